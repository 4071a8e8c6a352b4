/*
 * store/store.h - the one storage interface.  SQLite (the embedded default) and PostgreSQL (for
 * several cmpd instances sharing one database) fill it; nothing above store/ knows which backend
 * is in use.
 *
 * A `struct store` is one connection: each server thread opens its own, so an instance holds at
 * most one connection per event loop (the pool is bounded by --threads).  Every partner call takes
 * the tenant id; rows of another tenant are invisible (CMP_ENOTFOUND, exactly like an unknown id).
 * A call that returns 0 after a write has committed it.
 */
#ifndef CMP_STORE_STORE_H
#define CMP_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/model.h"
#include "odata/odata.h"

struct arena;
struct cmp_error;
struct store;

struct store_tenant {
    char id[37]; /* lowercase GUID */
    bool intune_licensed;
    int64_t created; /* unix seconds */
};

/*
 * A keyset position: the $orderby values and the internal sequence number of the last row of
 * the previous page.  Rows come in ($orderby..., seq) order; nulls sort first ascending and last
 * descending (OData), seq breaks ties ascending.
 */
struct store_cursor {
    struct odata_value keys[ODATA_MAX_ORDERBY]; /* one per $orderby key, in order */
    size_t key_count;
    int64_t seq;
};

/* One page of a listing. */
struct store_list_req {
    const struct odata_expr *filter;     /* NULL: every row of the tenant */
    const struct odata_orderby *orderby; /* may be NULL when orderby_count is 0 */
    size_t orderby_count;
    size_t limit;                     /* at most this many items */
    int64_t skip;                     /* rows to skip first (only without `after`) */
    const struct store_cursor *after; /* NULL: from the start */
};

/*
 * One counter of store_throttle_take(): its name (ours, e.g. "t:<tenant>:w") and the most requests
 * it admits per window (0: no limit; the key is then neither checked nor counted).
 */
struct store_throttle_key {
    const char *name;
    uint32_t limit;
};

/* At most this many keys per store_throttle_take(), and the longest window it accepts. */
#define STORE_THROTTLE_MAX_KEYS 8
#define STORE_THROTTLE_MAX_WINDOW 3600
/* Longest key name (bytes, without the NUL). */
#define STORE_THROTTLE_MAX_NAME 512

struct store_page {
    struct graph_partner *items; /* arena-owned */
    size_t n;
    bool more;                /* rows remain after this page */
    struct store_cursor last; /* the position of the last item (valid when n > 0) */
};

/* What an acknowledged write survives (`cmpd serve --durability`). */
enum store_durability {
    STORE_DURABLE_DISK,    /* on disk (fsync) before it is acknowledged: survives power loss */
    STORE_DURABLE_PROCESS, /* survives a crash of cmpd, not of the machine */
};

enum store_write_kind { STORE_WRITE_INSERT, STORE_WRITE_PATCH, STORE_WRITE_DELETE };

/*
 * One partner write.  store_write() runs it at once in its own transaction; store_write_async()
 * queues it for the group committer (store/commit.c), which runs the writes of many callers in one
 * transaction and one commit.  Either way `rc` is 0 only once the write is committed.
 */
struct store_write {
    enum store_write_kind kind;
    const char *tenant;
    const char *id;                /* patch and delete: the partner's key */
    const struct graph_partner *p; /* insert: the new row (id assigned); patch: the patch */
    struct arena *a;               /* patch: where the strings of *out go */
    struct graph_partner *out;     /* patch: the merged row */
    struct cmp_error *err;
    int rc; /* the result: 0 (committed) or a CMP_E* code with `err` filled */
    /* store_write_async: called once, on the committer's thread, after `rc` is set. */
    void (*done)(struct store_write *w);
    void *data;               /* the caller's */
    struct store_write *next; /* the committer's queue */
};

struct store_ops {
    const char *name; /* "sqlite", "postgres" */
    int (*open)(const char *location, struct store **out, struct cmp_error *err);
    void (*close)(struct store *s);
    int (*tenant_get)(struct store *s, const char *tenant, struct store_tenant *out,
                      struct cmp_error *err);
    int (*tenant_put)(struct store *s, const struct store_tenant *t, bool only_if_new,
                      struct cmp_error *err);
    int (*tenant_list)(struct store *s, struct arena *a, struct store_tenant **out, size_t *n,
                       struct cmp_error *err);
    int (*partner_insert)(struct store *s, const char *tenant, const struct graph_partner *p,
                          struct cmp_error *err);
    int (*partner_get)(struct store *s, const char *tenant, const char *id, struct arena *a,
                       struct graph_partner *out, struct cmp_error *err);
    int (*partner_patch)(struct store *s, const char *tenant, const char *id,
                         const struct graph_partner *patch, struct arena *a,
                         struct graph_partner *out, struct cmp_error *err);
    int (*partner_delete)(struct store *s, const char *tenant, const char *id,
                          struct cmp_error *err);
    int (*partner_list)(struct store *s, const char *tenant, const struct store_list_req *req,
                        struct arena *a, struct store_page *out, struct cmp_error *err);
    int (*partner_count)(struct store *s, const char *tenant, const struct odata_expr *filter,
                         int64_t *out, struct cmp_error *err);
    int (*partner_delete_all)(struct store *s, const char *tenant, int64_t *deleted,
                              struct cmp_error *err);
    int (*partner_tenants)(struct store *s, struct arena *a, const char ***out, size_t *n,
                           struct cmp_error *err);
    int (*secret_ensure)(struct store *s, const char *name, const void *candidate, size_t n,
                         struct arena *a, unsigned char **out, size_t *out_n,
                         struct cmp_error *err);
    int (*throttle_take)(struct store *s, const struct store_throttle_key *keys, size_t n,
                         int window_s, int *retry_after, struct cmp_error *err);
    /* Durability of this connection's commits; NULL: always on disk (PostgreSQL). */
    int (*set_durability)(struct store *s, enum store_durability d, struct cmp_error *err);
    /* Group commit: an explicit write transaction and the writes run inside it (no commit of
     * their own).  NULL: the backend runs every write on its own (store_write_async declines). */
    int (*txn_begin)(struct store *s, struct cmp_error *err);
    int (*txn_end)(struct store *s, bool commit, struct cmp_error *err);
    bool (*txn_open)(struct store *s); /* false once the backend ended it on its own */
    int (*write_in_txn)(struct store *s, struct store_write *w);
    /* Housekeeping once a batch was answered (may be NULL). */
    void (*after_batch)(struct store *s);
    /* A bulk transaction on an ordinary connection (store_bulk_begin); ended with txn_end. */
    int (*bulk_begin)(struct store *s, struct cmp_error *err);
};

/*
 * Open a connection.  `location` is a data directory (SQLite at DIR/cmpd.db), "sqlite:PATH", or
 * a PostgreSQL URI ("postgres://..." / "postgresql://...", libpq's syntax).  The schema is created
 * or migrated to the current version first (safely when several processes start at once).
 * CMP_ESTORE / CMP_EIO on failure; CMP_EUNAVAILABLE when the database cannot be reached.
 */
int store_open(const char *location, struct store **out, struct cmp_error *err);
void store_close(struct store *s);

/* The backend's name. */
const char *store_backend(const struct store *s);

/*
 * The tenant registry.  tenant_get: CMP_ENOTFOUND when unknown.  Found tenants are answered from
 * the connection's cache (store/tenant_cache.h) until an update (store_tenant_put without
 * only_if_new) on any connection, of this process or another (`cmpd tenant set`, another
 * instance), invalidates it, and for at most a few seconds (STORE_TENANT_CACHE_TTL_MS) whatever
 * happens.  SQLite sees an update at once, through a counter file every process maps
 * (DB-tenants); PostgreSQL once the server's notification has reached the connection
 * (LISTEN/NOTIFY: sent at the commit, normally there within a millisecond).  An unknown tenant is
 * never cached, so one registered elsewhere (only_if_new, which invalidates nothing) is found at
 * once.
 */
int store_tenant_get(struct store *s, const char *tenant, struct store_tenant *out,
                     struct cmp_error *err);
/* Insert or update; with only_if_new an existing tenant is left alone (and 0 returned). */
int store_tenant_put(struct store *s, const struct store_tenant *t, bool only_if_new,
                     struct cmp_error *err);
int store_tenant_list(struct store *s, struct arena *a, struct store_tenant **out, size_t *n,
                      struct cmp_error *err);

/* Insert `p` (its id already assigned).  A duplicate id in the tenant is CMP_ESTORE. */
int store_partner_insert(struct store *s, const char *tenant, const struct graph_partner *p,
                         struct cmp_error *err);

/* Read one partner into *out (strings in `a`).  CMP_ENOTFOUND if absent in this tenant. */
int store_partner_get(struct store *s, const char *tenant, const char *id, struct arena *a,
                      struct graph_partner *out, struct cmp_error *err);

/*
 * Apply the properties present in `patch` to partner `id` in one transaction (read, merge with
 * graph_partner_merge, write) and store the result in *out.  CMP_ENOTFOUND if absent.
 */
int store_partner_patch(struct store *s, const char *tenant, const char *id,
                        const struct graph_partner *patch, struct arena *a,
                        struct graph_partner *out, struct cmp_error *err);

/* Delete partner `id`.  CMP_ENOTFOUND if absent. */
int store_partner_delete(struct store *s, const char *tenant, const char *id,
                         struct cmp_error *err);

/*
 * One page of the tenant's partners matching req->filter, in req->orderby order, after
 * req->after.  The filter and order are translated to SQL by store/sql.c with bound parameters.
 */
int store_partner_list(struct store *s, const char *tenant, const struct store_list_req *req,
                       struct arena *a, struct store_page *out, struct cmp_error *err);

/* Number of the tenant's partners matching `filter` (NULL: all of them). */
int store_partner_count(struct store *s, const char *tenant, const struct odata_expr *filter,
                        int64_t *out, struct cmp_error *err);

/*
 * Delete every partner of `tenant` (none is not an error) and set *deleted to how many went.
 * Runs in its own transaction, or inside the connection's bulk transaction.  The tenant's
 * registration is left as it is.
 */
int store_partner_delete_all(struct store *s, const char *tenant, int64_t *deleted,
                             struct cmp_error *err);

/*
 * The tenants that hold at least one partner, registered or not, in ascending order (arena-owned
 * strings in *out).  With store_partner_list() (no $orderby, keyset `after`) this walks every
 * partner of the store a page at a time.
 */
int store_partner_tenants(struct store *s, struct arena *a, const char ***out, size_t *n,
                          struct cmp_error *err);

/*
 * A bulk transaction on this connection (cmpd import, serve --seed): between store_bulk_begin()
 * and store_bulk_end() store_partner_get/insert/delete and store_partner_delete_all run inside
 * it (not store_partner_patch, which begins its own), and nothing is visible to others until
 * store_bulk_end(s, true) commits it - durably, as any commit of a STORE_DURABLE_DISK
 * connection (fsync on SQLite, synchronous_commit on PostgreSQL).  store_bulk_end(s, false), or
 * a commit that fails, leaves the store as it was.  It runs beside the group committer, not
 * through it: on SQLite it holds the database's write lock until it ends (other writers wait up
 * to the busy timeout), so keep it for tools and start-up.
 */
int store_bulk_begin(struct store *s, struct cmp_error *err);
int store_bulk_end(struct store *s, bool commit, struct cmp_error *err);

/*
 * Shared secrets (key material every instance must agree on), by name.  Stores `candidate` (n
 * bytes, n > 0) under `name` unless a value is stored there already, and returns the stored value
 * (arena-owned, NUL-terminated after its *out_n bytes): of several instances starting at once,
 * all end up with the first one's value.  With no candidate (NULL, 0) it only reads: CMP_ENOTFOUND
 * when nothing is stored.  Names are ours ("signing-key", "skiptoken-key").
 */
int store_secret_ensure(struct store *s, const char *name, const void *candidate, size_t n,
                        struct arena *a, unsigned char **out, size_t *out_n, struct cmp_error *err);

/*
 * Sliding-window request counters for throttling.  Atomically: when every key with a limit has
 * counted fewer than its limit in the last `window_s` seconds (one-second slots: the current
 * second and the window_s - 1 before it), count one request in each of them and set *retry_after
 * to 0; else count nothing and set *retry_after to the whole seconds (1..window_s) after which
 * every full key has freed a slot.  Names must be distinct; at most STORE_THROTTLE_MAX_KEYS of
 * them, window_s in 1..STORE_THROTTLE_MAX_WINDOW (else CMP_EINTERNAL).
 *
 * SQLite: counters in this process's memory (store/window.c), shared by every connection of the
 * process to the same database file, not by other processes.  PostgreSQL: counters in the
 * database (table `throttle`), on the database's clock, shared by every instance.  A failure
 * (CMP_EUNAVAILABLE, CMP_ESTORE) may or may not have counted the request; it is never retried
 * here.
 */
int store_throttle_take(struct store *s, const struct store_throttle_key *keys, size_t n,
                        int window_s, int *retry_after, struct cmp_error *err);

/*
 * What this connection's writes survive once acknowledged (and, for store_write_async, the group
 * committer's: the first connection to queue a write to a database sets it).  A new connection is
 * STORE_DURABLE_DISK.  PostgreSQL commits are always on disk (synchronous_commit is kept on).
 */
int store_set_durability(struct store *s, enum store_durability d, struct cmp_error *err);

/* Run `w` now, in its own transaction; returns w->rc. */
int store_write(struct store *s, struct store_write *w);

/*
 * Queue `w` for the group committer of this connection's database: true when queued (w->done
 * will be called once, on another thread, after the commit or the failure); false when the
 * backend has no group commit or the committer cannot start - nothing was done, call store_write.
 * Every write queued by the connections of one process to one database shares the committer;
 * the writes queued while it commits go together into its next transaction.
 */
bool store_write_async(struct store *s, struct store_write *w);

#endif
