/*
 * store/window.c - sliding-window request counters in memory (window.h).
 *
 * A hash table (chained, doubling while it holds more keys than buckets) of entries; each entry
 * holds its ring of per-second counts, the newest second counted (`head`) and the ring's total,
 * and sits in a list ordered by last use, most recent first.  As the clock is monotonic and every
 * use moves an entry to the front with head = now, the list is ordered by head, so the expired
 * entries are found at its tail.  One mutex guards everything: a take is a few hash lookups.
 */
#include "store/window.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "store/shared.h"
#include "store/store.h"

#define INITIAL_BUCKETS 64
/* Expired entries dropped per take at most, so one take never walks the whole table. */
#define EXPIRE_PER_TAKE 16

struct entry {
    struct entry *chain; /* next in the bucket */
    struct entry *newer; /* towards the front of the use list */
    struct entry *older; /* towards its tail */
    uint64_t hash;
    int64_t head;    /* the newest second counted */
    uint32_t total;  /* the sum of ring[] */
    int window;      /* ring length, in seconds */
    char *name;      /* points after ring[] */
    uint32_t ring[]; /* the count of second s at ring[s mod window] */
};

struct store__window {
    struct store__shared shared; /* first: store__window_acquire()'s registry */
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t max_keys;
    struct entry *newest; /* the use list */
    struct entry *oldest;
    store__window_clock_fn *clock;
    void *clock_arg;
    uint64_t expired;
    uint64_t evicted_live;
};

/* ---- entries ---- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

static size_t slot_of(const struct entry *e, int64_t second)
{
    int64_t m = second % e->window;

    return (size_t)(m < 0 ? m + e->window : m);
}

static bool expired(const struct entry *e, int64_t now)
{
    return now - e->head >= e->window;
}

/* Move the ring forward to second `now`: the seconds that left the window count no more. */
static void advance(struct entry *e, int64_t now)
{
    int64_t s;

    if (now <= e->head)
        return;
    if (expired(e, now)) {
        memset(e->ring, 0, (size_t)e->window * sizeof *e->ring);
        e->total = 0;
    } else {
        for (s = e->head + 1; s <= now; s++) {
            e->total -= e->ring[slot_of(e, s)];
            e->ring[slot_of(e, s)] = 0;
        }
    }
    e->head = now;
}

/*
 * Seconds until `e` (advanced to now) counts fewer than `limit`: the oldest seconds of the window
 * leave it one by one, the oldest after 1 s; 0 when it already does.
 */
static int wait_for(const struct entry *e, uint32_t limit)
{
    int64_t lo = e->head - e->window + 1;
    uint32_t dropped = 0;
    int64_t s;

    if (e->total < limit)
        return 0;
    for (s = lo; s <= e->head; s++) {
        dropped += e->ring[slot_of(e, s)];
        if (e->total - dropped < limit)
            break;
    }
    return (int)(s - lo + 1);
}

/* ---- the table ---- */

static void unlink_use(struct store__window *w, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        w->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        w->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void push_front(struct store__window *w, struct entry *e)
{
    e->older = w->newest;
    e->newer = NULL;
    if (w->newest)
        w->newest->newer = e;
    w->newest = e;
    if (!w->oldest)
        w->oldest = e;
}

static void remove_entry(struct store__window *w, struct entry *e)
{
    struct entry **p = &w->buckets[e->hash & (w->nbuckets - 1)];

    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    unlink_use(w, e);
    w->count--;
    free(e);
}

/* Double the buckets (when that fails, the chains just grow longer). */
static void grow(struct store__window *w)
{
    size_t n = w->nbuckets * 2;
    struct entry **b = calloc(n, sizeof *b);
    size_t i;

    if (!b)
        return;
    for (i = 0; i < w->nbuckets; i++) {
        struct entry *e = w->buckets[i];
        while (e) {
            struct entry *next = e->chain;
            e->chain = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(w->buckets);
    w->buckets = b;
    w->nbuckets = n;
}

/* Drop expired entries from the tail of the use list (a bounded number of them). */
static void expire(struct store__window *w, int64_t now)
{
    int i;

    for (i = 0; i < EXPIRE_PER_TAKE && w->oldest && expired(w->oldest, now); i++) {
        remove_entry(w, w->oldest);
        w->expired++;
    }
}

/*
 * The entry of `name` with a ring of `window` seconds, advanced to `now` and moved to the front of
 * the use list; created (empty) when missing or of another length.  NULL when out of memory.
 */
static struct entry *find(struct store__window *w, const char *name, int window, int64_t now)
{
    uint64_t h = hash_name(name);
    size_t len = strlen(name);
    struct entry *e;

    for (e = w->buckets[h & (w->nbuckets - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->name, name) == 0)
            break;
    if (e && e->window != window) {
        remove_entry(w, e);
        e = NULL;
    }
    if (e) {
        advance(e, now);
        unlink_use(w, e);
        push_front(w, e);
        return e;
    }
    /* Full: the least recently used key goes, even with counts (the entries of this take are at
     * the front: max_keys is at least twice the keys of one take). */
    if (w->count >= w->max_keys && w->oldest) {
        w->evicted_live += !expired(w->oldest, now);
        w->expired += expired(w->oldest, now);
        remove_entry(w, w->oldest);
    }
    e = calloc(1, sizeof *e + (size_t)window * sizeof *e->ring + len + 1);
    if (!e)
        return NULL;
    e->hash = h;
    e->head = now;
    e->window = window;
    e->name = (char *)(e->ring + window);
    memcpy(e->name, name, len + 1);
    if (w->count >= w->nbuckets)
        grow(w);
    e->chain = w->buckets[h & (w->nbuckets - 1)];
    w->buckets[h & (w->nbuckets - 1)] = e;
    w->count++;
    push_front(w, e);
    return e;
}

/* ---- the window ---- */

static int64_t monotonic_seconds(void *arg)
{
    struct timespec ts;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

struct store__window *store__window_new(size_t max_keys, store__window_clock_fn *clock, void *arg)
{
    struct store__window *w = calloc(1, sizeof *w);

    if (!w)
        return NULL;
    w->nbuckets = INITIAL_BUCKETS;
    w->buckets = calloc(w->nbuckets, sizeof *w->buckets);
    if (!w->buckets || pthread_mutex_init(&w->lock, NULL) != 0) {
        free(w->buckets);
        free(w);
        return NULL;
    }
    w->max_keys = max_keys < 2 * STORE_THROTTLE_MAX_KEYS ? 2 * STORE_THROTTLE_MAX_KEYS : max_keys;
    w->clock = clock ? clock : monotonic_seconds;
    w->clock_arg = arg;
    return w;
}

void store__window_free(struct store__window *w)
{
    if (!w)
        return;
    while (w->oldest)
        remove_entry(w, w->oldest);
    pthread_mutex_destroy(&w->lock);
    free(w->buckets);
    free(w);
}

int store__window_take(struct store__window *w, const struct store_throttle_key *keys, size_t n,
                       int window_s, int *retry_after)
{
    struct entry *e[STORE_THROTTLE_MAX_KEYS];
    int wait = 0;
    int rc = 0;
    int64_t now;
    size_t i;

    *retry_after = 0;
    pthread_mutex_lock(&w->lock);
    now = w->clock(w->clock_arg);
    expire(w, now);
    for (i = 0; i < n && !rc; i++) {
        int t;
        e[i] = NULL;
        if (!keys[i].limit)
            continue;
        e[i] = find(w, keys[i].name, window_s, now);
        if (!e[i]) {
            rc = CMP_ENOMEM;
            break;
        }
        t = wait_for(e[i], keys[i].limit);
        if (t > wait)
            wait = t;
    }
    if (!rc && !wait) {
        for (i = 0; i < n; i++) {
            if (!e[i])
                continue;
            /* `head` is never behind now here; a clock behind it counts in the newest second. */
            e[i]->ring[slot_of(e[i], e[i]->head)]++;
            e[i]->total++;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (!rc)
        *retry_after = wait;
    return rc;
}

void store__window_stats(struct store__window *w, struct store__window_stats *out)
{
    pthread_mutex_lock(&w->lock);
    out->keys = w->count;
    out->expired = w->expired;
    out->evicted_live = w->evicted_live;
    pthread_mutex_unlock(&w->lock);
}

/* ---- process-wide windows, by name ---- */

static struct store__shared *create_shared(const char *name, void *arg)
{
    struct store__window *w = store__window_new(STORE_WINDOW_MAX_KEYS, NULL, NULL);

    (void)name;
    (void)arg;
    return w ? &w->shared : NULL;
}

static void destroy_shared(struct store__shared *s)
{
    store__window_free((struct store__window *)s);
}

static struct store__registry windows = STORE_REGISTRY(create_shared, destroy_shared);

struct store__window *store__window_acquire(const char *name)
{
    return (struct store__window *)store__shared_acquire(&windows, name, NULL);
}

void store__window_release(struct store__window *w)
{
    store__shared_release(&windows, w ? &w->shared : NULL);
}
