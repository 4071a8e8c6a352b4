/*
 * core/uuid.h - GUIDs: random (version 4) and time-ordered (version 7), from the kernel's CSPRNG.
 */
#ifndef CMP_CORE_UUID_H
#define CMP_CORE_UUID_H

#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 36

/* Write a lowercase RFC 4122 v4 GUID and a NUL into out[37].  0, or CMP_EIO if no randomness. */
int uuid_v4(char out[UUID_STR_LEN + 1]);

/*
 * Write a lowercase version 7 GUID (RFC 9562: the RFC 4122 variant, 48 bits of Unix time in
 * milliseconds first, then the fraction of the millisecond in 12 bits, then 62 random bits) and a
 * NUL into out[37].  GUIDs made one after another sort in the order they were made (to 1/4096 ms,
 * as far as the clock goes forward), so an index keyed on them takes new ones at its end instead
 * of at a random leaf.  0, or CMP_EIO if no randomness.
 */
int uuid_v7(char out[UUID_STR_LEN + 1]);

/* uuid_v7 of a given time (nanoseconds since 1970) and 16 bytes of randomness (tests). */
void uuid_v7_at(const unsigned char random[16], uint64_t unix_ns, char out[UUID_STR_LEN + 1]);

/* Fill `p` with `n` bytes from the CSPRNG.  0 or CMP_EIO. */
int random_bytes(void *p, size_t n);

#endif
