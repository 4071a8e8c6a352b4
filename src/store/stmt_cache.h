/*
 * store/stmt_cache.h - a connection's prepared statements for listings, keyed by their SQL text
 * and evicted least recently used first; shared by the SQL backends (sqlite_list.c,
 * postgres_list.c).  Nothing above store/ includes it.
 *
 * The text of a listing depends on the shape of the query ($filter, $orderby, a cursor or not),
 * not on its values, so a server sees few distinct texts.  The cache keeps the last
 * STORE_STMT_CACHE_SIZE of them.  What a backend prepares (a sqlite3_stmt, the name of a
 * PostgreSQL prepared statement) is an opaque handle here, released through the backend's
 * callback when its slot is evicted, dropped or cleared.  A zeroed cache is an empty one.
 */
#ifndef CMP_STORE_STMT_CACHE_H
#define CMP_STORE_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_STMT_CACHE_SIZE 32

/* One slot: a statement keyed by its SQL text. */
struct store__stmt {
    char *sql; /* owned; NULL: a free slot */
    size_t len;
    uint64_t hash;
    void *handle;  /* the backend's statement (owned through the release callback), or NULL */
    uint64_t id;   /* unique among the cache's statements, ever: for backends that name them */
    uint64_t used; /* the cache's clock at its last use */
};

struct store__stmt_cache {
    struct store__stmt slot[STORE_STMT_CACHE_SIZE];
    uint64_t clock;
    uint64_t next_id;
    uint64_t hits; /* for tests and metrics */
    uint64_t misses;
    uint64_t evictions; /* prepared statements released to make room */
};

/* Release a slot's handle (never called with NULL); `ctx` is the backend's connection. */
typedef void store__stmt_release_fn(void *ctx, void *handle);

/*
 * The slot holding `sql` (len bytes), marked used, or NULL when it is not cached.  Counts a hit
 * or a miss.
 */
struct store__stmt *store__stmt_cache_find(struct store__stmt_cache *c, const char *sql,
                                           size_t len);

/*
 * A slot for `sql` after a miss: a free one, or the least recently used one emptied (its handle
 * released).  The slot holds a copy of the text, a new id and no handle: the caller prepares the
 * statement and sets `handle`, or gives the slot back with store__stmt_cache_drop().  NULL when
 * out of memory.
 */
struct store__stmt *store__stmt_cache_take(struct store__stmt_cache *c, const char *sql, size_t len,
                                           store__stmt_release_fn *release, void *ctx);

/* Empty one slot (releasing its handle, if any). */
void store__stmt_cache_drop(struct store__stmt *e, store__stmt_release_fn *release, void *ctx);

/* Empty every slot. */
void store__stmt_cache_clear(struct store__stmt_cache *c, store__stmt_release_fn *release,
                             void *ctx);

#endif
