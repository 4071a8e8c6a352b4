/*
 * core/str.h - checked string helpers: numbers, comparison, base64url, percent-decoding.
 *
 * Nothing here trusts its input to be NUL-terminated: every function takes a length.
 */
#ifndef CMP_CORE_STR_H
#define CMP_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* A borrowed byte range. */
struct str {
    const char *p;
    size_t n;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* Parse all `n` bytes as a decimal integer (optional leading '-') in [min, max]. 0 or
 * CMP_EBADREQUEST. */
int str_to_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* Equality of `n` bytes with NUL-terminated `lit`. */
bool str_eq(const char *s, size_t n, const char *lit);

/* ASCII case-insensitive equality of `n` bytes with NUL-terminated `lit`. */
bool str_eq_ci(const char *s, size_t n, const char *lit);

/* Does `s` (n bytes) start with NUL-terminated `prefix`? */
bool str_has_prefix(const char *s, size_t n, const char *prefix);

/* Base64url without padding.  Encode: returns an arena string, or NULL. */
char *str_base64url_encode(struct arena *a, const unsigned char *p, size_t n);

/*
 * Decode base64url (padding optional, no whitespace) into an arena buffer, NUL-terminated.
 * Returns 0, or CMP_EBADREQUEST for a character outside the alphabet / a bad length.
 */
int str_base64url_decode(struct arena *a, const char *s, size_t n, unsigned char **out,
                         size_t *out_len);

/* Same for standard base64 with padding (JWKS x5c certificates). */
int str_base64_decode(struct arena *a, const char *s, size_t n, unsigned char **out,
                      size_t *out_len);

/*
 * Percent-decode `n` bytes (RFC 3986; '+' is kept as '+') into an arena string.
 * Returns 0, or CMP_EBADREQUEST for a malformed escape or a decoded NUL.
 */
int str_percent_decode(struct arena *a, const char *s, size_t n, char **out, size_t *out_len);

/* Is `s` a lowercase or uppercase GUID of the 8-4-4-4-12 form? */
bool str_is_guid(const char *s, size_t n);

/*
 * Is `s` (n bytes) well-formed UTF-8 (RFC 3629)?  Overlong forms, UTF-16 surrogates (U+D800..DFFF)
 * and code points above U+10FFFF are not.
 */
bool str_is_utf8(const char *s, size_t n);

/*
 * How many of the n bytes of `s` to show in a message: n, or at most `max`, cut back to the start
 * of a UTF-8 sequence so that the shown text stays valid UTF-8.
 */
size_t str_utf8_prefix(const char *s, size_t n, size_t max);

/* Copy `s` into `dst` lower-cased (dst has n + 1 bytes). */
void str_lower(char *dst, const char *s, size_t n);

#endif
