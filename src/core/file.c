/*
 * core/file.c - atomic owner-only files and private directories.
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/uuid.h"

int file_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;

    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Move `tmp` to `path` unless `path` exists.  0, or -1 with errno (EEXIST: someone was first). */
static int place_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
    /* File systems without RENAME_NOREPLACE: link(2) refuses to replace too. */
    if (link(tmp, path))
        return -1;
    unlink(tmp);
    return 0;
}

/* fsync the directory holding `path`, so a new name survives a crash.  Best effort. */
static void sync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir)
        return;
    fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int file_write_atomic(const char *path, const void *data, size_t n, mode_t mode, bool replace,
                      bool *existed, struct cmp_error *err)
{
    char suffix[UUID_STR_LEN + 1];
    char tmp[PATH_MAX];
    int fd;
    int e;

    if (existed)
        *existed = false;
    if (uuid_v4(suffix))
        return cmp_error_set(err, CMP_EIO, "no randomness for a temporary file name");
    if (snprintf(tmp, sizeof tmp, "%s.%s.tmp", path, suffix) >= (int)sizeof tmp)
        return cmp_error_set(err, CMP_EIO, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (file_write_all(fd, data, n) || fsync(fd)) {
        e = errno;
        close(fd);
        unlink(tmp);
        return cmp_error_set(err, CMP_EIO, "cannot write %s: %s", tmp, strerror(e));
    }
    if (close(fd) || (replace ? rename(tmp, path) : place_noreplace(tmp, path))) {
        e = errno;
        unlink(tmp);
        if (!replace && e == EEXIST && existed) {
            *existed = true;
            return 0;
        }
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", path, strerror(e));
    }
    sync_parent(path);
    return 0;
}

int file_ensure_dir(const char *path, bool narrow, struct cmp_error *err)
{
    struct stat st;

    if (mkdir(path, 0700) && errno != EEXIST)
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", path, strerror(errno));
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return cmp_error_set(err, CMP_EIO, "%s is not a directory", path);
    if (narrow && (st.st_mode & 077)) {
        log_warn("%s was accessible to others; setting mode 0700", path);
        if (chmod(path, 0700))
            return cmp_error_set(err, CMP_EIO, "cannot chmod %s: %s", path, strerror(errno));
    }
    return 0;
}
