/*
 * core/arena.h - a region allocator: one per request (and one per long-lived task).
 *
 * Memory is taken from growing chunks and released all at once by arena_free(), which also runs
 * the cleanups registered with arena_defer() in reverse order.  Allocation failure returns NULL;
 * callers map it to CMP_ENOMEM.
 */
#ifndef CMP_CORE_ARENA_H
#define CMP_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena whose chunks hold at least `chunk` bytes (0: a default).  NULL when out of memory. */
struct arena *arena_new(size_t chunk);

/* Run the deferred cleanups, newest first, then release every chunk.  NULL is allowed. */
void arena_free(struct arena *a);

/* `n` bytes aligned for any type, or NULL. */
void *arena_alloc(struct arena *a, size_t n);

/* `n` zeroed bytes, or NULL. */
void *arena_calloc(struct arena *a, size_t count, size_t size);

/* A NUL-terminated copy of `n` bytes of `s` (which may contain NULs), or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* A NUL-terminated copy of `s`, or NULL (also for a NULL `s`). */
char *arena_strdup(struct arena *a, const char *s);

/* A formatted string in the arena, or NULL. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Call fn(arg) when the arena is freed.  Returns 0, or CMP_ENOMEM (then fn is called at once). */
int arena_defer(struct arena *a, void (*fn)(void *), void *arg);

/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
