/*
 * store/window.h - sliding-window request counters in memory, for store_throttle_take() on a
 * backend whose processes do not share state through the store (SQLite).  Backend-neutral;
 * nothing above store/ includes it.
 *
 * A window holds, per key name, a ring of per-second counts covering the last `window_s` seconds
 * and their total.  A take checks every key and counts in all of them or in none, under one mutex,
 * so it is safe from any number of threads.  Keys whose counts have all expired are dropped
 * (nothing is lost: they count nothing); past `max_keys` live keys, the least recently used one
 * is dropped too (its counts are forgotten: its client may get up to one window's worth of extra
 * requests).  Memory is bounded by max_keys * (entry + window_s * 4 bytes).
 *
 * Windows shared by every connection to one database in the process come from
 * store__window_acquire() (by name, reference-counted through store/shared.h), as the
 * connections of one process are opened independently.
 */
#ifndef CMP_STORE_WINDOW_H
#define CMP_STORE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct store_throttle_key;
struct store__window;

/* Keys a window of store__window_acquire() holds at most. */
#define STORE_WINDOW_MAX_KEYS 65536

/* The current second on the window's clock (monotonic: it never goes back). */
typedef int64_t store__window_clock_fn(void *arg);

/* What a window holds and has dropped (for tests). */
struct store__window_stats {
    size_t keys;           /* entries held */
    uint64_t expired;      /* dropped after all their counts expired */
    uint64_t evicted_live; /* dropped with counts in the window, to stay within max_keys */
};

/*
 * A new, empty window of at most `max_keys` keys (at least 2 * STORE_THROTTLE_MAX_KEYS are kept),
 * reading the time from `clock(arg)`, or CLOCK_MONOTONIC when `clock` is NULL.  NULL when out of
 * memory.  Free it with store__window_free().
 */
struct store__window *store__window_new(size_t max_keys, store__window_clock_fn *clock, void *arg);
void store__window_free(struct store__window *w);

/*
 * store_throttle_take() on `w` (arguments already checked by store.c: distinct names, n and
 * window_s in range).  0, or CMP_ENOMEM (nothing counted).  A key first seen with another window
 * length starts again from zero.
 */
int store__window_take(struct store__window *w, const struct store_throttle_key *keys, size_t n,
                       int window_s, int *retry_after);

void store__window_stats(struct store__window *w, struct store__window_stats *out);

/*
 * The process-wide window named `name` (e.g. a database file's real path), created on first use
 * with the monotonic clock and STORE_WINDOW_MAX_KEYS; every acquire is paired with a release, and
 * the last release frees it.  NULL when out of memory.
 */
struct store__window *store__window_acquire(const char *name);
void store__window_release(struct store__window *w);

#endif
