/*
 * core/secret.c - owner-only secret files.
 */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/uuid.h"

static int read_exact(const char *path, unsigned char *out, size_t len, struct cmp_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ssize_t got;

    if (fd < 0)
        return errno == ENOENT
                   ? CMP_ENOTFOUND
                   : cmp_error_set(err, CMP_EIO, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, &st) || st.st_size != (off_t)len) {
        close(fd);
        return cmp_error_set(err, CMP_EIO, "%s is not a %zu-byte secret", path, len);
    }
    if (st.st_mode & 077)
        fchmod(fd, 0600);
    got = read(fd, out, len);
    close(fd);
    if (got != (ssize_t)len)
        return cmp_error_set(err, CMP_EIO, "cannot read %s", path);
    return 0;
}

int secret_load_or_create(const char *path, unsigned char *out, size_t len, struct cmp_error *err)
{
    char tmp[4096];
    char suffix[UUID_STR_LEN + 1];
    int fd;
    int rc = read_exact(path, out, len, err);

    if (rc != CMP_ENOTFOUND)
        return rc;
    if (uuid_v4(suffix) || random_bytes(out, len))
        return cmp_error_set(err, CMP_EIO, "no randomness for %s", path);
    if (snprintf(tmp, sizeof tmp, "%s.%s.tmp", path, suffix) >= (int)sizeof tmp)
        return cmp_error_set(err, CMP_EIO, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (write(fd, out, len) != (ssize_t)len || fsync(fd)) {
        close(fd);
        unlink(tmp);
        return cmp_error_set(err, CMP_EIO, "cannot write %s", tmp);
    }
    close(fd);
    /* link() never replaces: if another process won the race, use its secret. */
    if (link(tmp, path) && errno != EEXIST) {
        int e = errno;
        unlink(tmp);
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", path, strerror(e));
    }
    unlink(tmp);
    return read_exact(path, out, len, err);
}
