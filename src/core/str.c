/*
 * core/str.c - checked string helpers.
 */
#include "core/str.h"

#include <string.h>

#include "core/arena.h"
#include "core/err.h"

int str_to_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    uint64_t limit;

    if (n && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n)
        return CMP_EBADREQUEST;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return CMP_EBADREQUEST;
        if (v > (limit - d) / 10)
            return CMP_EBADREQUEST;
        v = v * 10 + d;
    }
    if (neg) {
        int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (r < min || r > max)
            return CMP_EBADREQUEST;
        *out = r;
    } else {
        if ((int64_t)v < min || (int64_t)v > max)
            return CMP_EBADREQUEST;
        *out = (int64_t)v;
    }
    return 0;
}

bool str_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

bool str_eq_ci(const char *s, size_t n, const char *lit)
{
    size_t i;

    if (strlen(lit) != n)
        return false;
    for (i = 0; i < n; i++)
        if (lower(s[i]) != lower(lit[i]))
            return false;
    return true;
}

bool str_has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);

    return n >= k && memcmp(s, prefix, k) == 0;
}

void str_lower(char *dst, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        dst[i] = lower(s[i]);
    dst[n] = '\0';
}

bool str_is_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        unsigned lo = 0x80;
        unsigned hi = 0xbf;
        size_t len;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            /* The second byte's range excludes overlong forms (E0) and surrogates (ED). */
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            lo = c == 0xf0 ? 0x90 : 0x80; /* overlong */
            hi = c == 0xf4 ? 0x8f : 0xbf; /* above U+10FFFF */
        } else {
            return false; /* a continuation byte, C0/C1 (overlong) or F5..FF */
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (k = 2; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return false;
        i += len;
    }
    return true;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *str_base64url_encode(struct arena *a, const unsigned char *p, size_t n)
{
    size_t out_len = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    char *out = arena_alloc(a, out_len + 1);
    size_t i;
    size_t o = 0;

    if (!out)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

static int b64_decode(struct arena *a, const char *s, size_t n, bool url, unsigned char **out,
                      size_t *out_len)
{
    unsigned char *p;
    size_t i;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    size_t pad = 0;

    while (n && s[n - 1] == '=') {
        n--;
        pad++;
    }
    /* Padding is optional, but when present it must complete the last group of four. */
    if (n % 4 == 1 || pad > 2 || (pad && (n + pad) % 4 != 0))
        return CMP_EBADREQUEST;
    p = arena_alloc(a, n / 4 * 3 + 3);
    if (!p)
        return CMP_ENOMEM;
    for (i = 0; i < n; i++) {
        int v = b64_value(s[i], url);
        if (v < 0)
            return CMP_EBADREQUEST;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    p[o] = '\0';
    *out = p;
    *out_len = o;
    return 0;
}

int str_base64url_decode(struct arena *a, const char *s, size_t n, unsigned char **out,
                         size_t *out_len)
{
    return b64_decode(a, s, n, true, out, out_len);
}

int str_base64_decode(struct arena *a, const char *s, size_t n, unsigned char **out,
                      size_t *out_len)
{
    return b64_decode(a, s, n, false, out, out_len);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int str_percent_decode(struct arena *a, const char *s, size_t n, char **out, size_t *out_len)
{
    char *p = arena_alloc(a, n + 1);
    size_t i;
    size_t o = 0;

    if (!p)
        return CMP_ENOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi;
            int lo;
            if (n - i < 3)
                return CMP_EBADREQUEST;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return CMP_EBADREQUEST;
            p[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            p[o++] = s[i];
        }
    }
    p[o] = '\0';
    *out = p;
    *out_len = o;
    return 0;
}

bool str_is_guid(const char *s, size_t n)
{
    size_t i;

    if (n != 36)
        return false;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (hexval(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

size_t str_utf8_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}
