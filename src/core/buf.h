/*
 * core/buf.h - a growable byte buffer with a hard cap.
 *
 * The cap is fixed at init; an append past it fails with CMP_ETOOLARGE and leaves the buffer as it
 * was.  The data is always NUL-terminated (the NUL is not counted in len).  Heap-owned: buf_fini()
 * releases it.
 */
#ifndef CMP_CORE_BUF_H
#define CMP_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* most bytes it may hold */
};

/* An empty buffer that may grow to `max` bytes. */
void buf_init(struct buf *b, size_t max);

/* Release the memory; the buffer is empty and usable again. */
void buf_fini(struct buf *b);

/* Forget the contents but keep the memory. */
void buf_reset(struct buf *b);

/*
 * Make room for `n` more bytes (and the NUL) so that appends of up to `n` bytes in all need no
 * further allocation.  0, CMP_ETOOLARGE when len + n is past the cap, or CMP_ENOMEM; the contents
 * are unchanged either way.
 */
int buf_reserve(struct buf *b, size_t n);

/* Append `n` bytes.  0, CMP_ETOOLARGE past the cap, or CMP_ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s);

/* Append one byte. */
int buf_putc(struct buf *b, char c);

/* Append formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Append `n` bytes of `s` as the body of a JSON string (no quotes), escaping as RFC 8259 asks and
 * as yajl does: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00XX, everything else (DEL,
 * '/', UTF-8 sequences) as is.
 */
int buf_append_json_escaped(struct buf *b, const char *s, size_t n);

/* Take the data (caller frees with free()); the buffer is left empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
