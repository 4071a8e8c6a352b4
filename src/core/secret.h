/*
 * core/secret.h - small random secrets kept in owner-only files (e.g. the $skiptoken HMAC key).
 */
#ifndef CMP_CORE_SECRET_H
#define CMP_CORE_SECRET_H

#include <stddef.h>

struct cmp_error;

/*
 * Read the `len`-byte secret at `path`, creating it with fresh random bytes on first use: mode
 * 0600, written under a temporary name and linked into place without replacing a file another
 * process created meanwhile (the loser of such a race reads the winner's secret).  A file of the
 * wrong size is an error (CMP_EIO), never silently replaced.
 */
int secret_load_or_create(const char *path, unsigned char *out, size_t len, struct cmp_error *err);

#endif
