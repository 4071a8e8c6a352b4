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
#include "core/file.h"
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
    bool existed;
    int rc = read_exact(path, out, len, err);

    if (rc != CMP_ENOTFOUND)
        return rc;
    if (random_bytes(out, len))
        return cmp_error_set(err, CMP_EIO, "no randomness for %s", path);
    /* Never replaces: if another process won the race, its secret is the one read back. */
    rc = file_write_atomic(path, out, len, 0600, false, &existed, err);
    if (rc)
        return rc;
    return read_exact(path, out, len, err);
}
