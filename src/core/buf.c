/*
 * core/buf.c - growable capped buffer.
 */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_fini(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n)
{
    size_t want;
    size_t cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return CMP_ETOOLARGE;
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return CMP_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CMP_EINTERNAL;
    rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* ---- JSON strings ---- */

/* Does byte `c` stand for itself inside a JSON string? */
static int json_plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* Write the escape of byte `c` (one that is not json_plain) at `e`; returns its length. */
static size_t json_escape(unsigned char c, char *e)
{
    static const char hex[] = "0123456789abcdef";

    e[0] = '\\';
    switch (c) {
    case '"':
        e[1] = '"';
        return 2;
    case '\\':
        e[1] = '\\';
        return 2;
    case '\n':
        e[1] = 'n';
        return 2;
    case '\r':
        e[1] = 'r';
        return 2;
    case '\t':
        e[1] = 't';
        return 2;
    case '\b':
        e[1] = 'b';
        return 2;
    case '\f':
        e[1] = 'f';
        return 2;
    default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        return 6;
    }
}

/* Escape `n` bytes of `s` into `d`, which has room for 6 * n; returns the bytes written. */
static size_t escape_into(char *d, const char *s, size_t n)
{
    char *start = d;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json_plain(c))
            *d++ = (char)c;
        else
            d += json_escape(c, d);
    }
    return (size_t)(d - start);
}

/* The escaping loop run by run, for a buffer too near its cap for the worst case; may stop part
 * way. */
static int append_escaped(struct buf *b, const char *s, size_t n)
{
    size_t i;
    size_t run = 0;
    int rc;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];

        if (json_plain(c)) {
            run++;
            continue;
        }
        rc = buf_append(b, s + i - run, run);
        if (rc)
            return rc;
        run = 0;
        rc = buf_append(b, esc, json_escape(c, esc));
        if (rc)
            return rc;
    }
    return buf_append(b, s + n - run, run);
}

int buf_append_json_escaped(struct buf *b, const char *s, size_t n)
{
    size_t len = b->len;
    int rc;

    /* With room for the worst case (every byte a \u00XX) it is one pass without checks. */
    if (n <= SIZE_MAX / 6 && buf_reserve(b, 6 * n) == 0) {
        b->len += escape_into(b->data + b->len, s, n);
        b->data[b->len] = '\0';
        return 0;
    }
    rc = append_escaped(b, s, n);
    /* Like every append, a failed one leaves the buffer as it was. */
    if (rc && b->data) {
        b->len = len;
        b->data[len] = '\0';
    }
    return rc;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = b->data;

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
