/*
 * core/file.h - files that must never be seen half-written or with a wider mode than asked:
 * keys, certificates, secrets.  And the 0700 directories that hold them.
 */
#ifndef CMP_CORE_FILE_H
#define CMP_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cmp_error;

/* Write all `n` bytes to `fd`, retrying short writes and EINTR.  0, or -1 with errno. */
int file_write_all(int fd, const void *p, size_t n);

/*
 * Write `n` bytes to `path` through a temporary file beside it, created O_EXCL with `mode` (so
 * the data is never readable by others, not even briefly), fsync'd, then put in place:
 *  - with `replace`, atomically over whatever is there (rename(2));
 *  - without, only if `path` does not exist yet: when another process created it first, *existed
 *    (which may then not be NULL) is set, the file is left alone, and 0 is returned.
 * The directory is fsync'd afterwards (best effort), so the new name is durable.  CMP_EIO on
 * failure, with `err` naming the file.
 */
int file_write_atomic(const char *path, const void *data, size_t n, mode_t mode, bool replace,
                      bool *existed, struct cmp_error *err);

/*
 * Create directory `path` with mode 0700 unless it exists; it must be a directory.  With
 * `narrow`, an existing one readable by others is set back to 0700 (with a warning).
 * CMP_EIO on failure.
 */
int file_ensure_dir(const char *path, bool narrow, struct cmp_error *err);

#endif
