/*
 * core/uuid.h - random (version 4) GUIDs from the kernel's CSPRNG.
 */
#ifndef CMP_CORE_UUID_H
#define CMP_CORE_UUID_H

#include <stddef.h>

#define UUID_STR_LEN 36

/* Write a lowercase RFC 4122 v4 GUID and a NUL into out[37].  0, or CMP_EIO if no randomness. */
int uuid_v4(char out[UUID_STR_LEN + 1]);

/* Fill `p` with `n` bytes from the CSPRNG.  0 or CMP_EIO. */
int random_bytes(void *p, size_t n);

#endif
