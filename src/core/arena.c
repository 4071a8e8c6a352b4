/*
 * core/arena.c - chunked region allocator with deferred cleanups.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK 8192

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *);
    void *arg;
};

struct arena {
    struct chunk *head;        /* owned: newest chunk first */
    struct deferred *deferred; /* newest first; the nodes live in the chunks */
    size_t chunk;
    size_t total;
};

struct arena *arena_new(size_t chunk)
{
    struct arena *a = calloc(1, sizeof *a);

    if (!a)
        return NULL;
    a->chunk = chunk ? chunk : ARENA_DEFAULT_CHUNK;
    return a;
}

void arena_free(struct arena *a)
{
    struct chunk *c;

    if (!a)
        return;
    while (a->deferred) {
        struct deferred *d = a->deferred;
        a->deferred = d->next;
        d->fn(d->arg);
    }
    c = a->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    struct chunk *c = a->head;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p;

    if (need < n)
        return NULL;
    if (!need)
        need = ARENA_ALIGN;
    if (!c || c->size - c->used < need) {
        size_t size = need > a->chunk ? need : a->chunk;
        if (size > SIZE_MAX - sizeof *c)
            return NULL;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        if (a->head && need > a->chunk) {
            /* An oversized block goes behind the current chunk so its free space stays usable. */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
    void *p;

    if (size && count > SIZE_MAX / size)
        return NULL;
    p = arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX)
        return NULL;
    p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    if (!s)
        return NULL;
    return arena_strndup(a, s, strlen(s));
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
    struct deferred *d = arena_alloc(a, sizeof *d);

    if (!d) {
        fn(arg);
        return CMP_ENOMEM;
    }
    d->fn = fn;
    d->arg = arg;
    d->next = a->deferred;
    a->deferred = d;
    return 0;
}

size_t arena_used(const struct arena *a)
{
    return a->total;
}
