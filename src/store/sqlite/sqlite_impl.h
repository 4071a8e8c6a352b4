/*
 * store/sqlite/sqlite_impl.h - shared by the files of the SQLite backend; nothing else includes it
 * (but test_store_sqlite.c, for the statement cache's counters, and test_store.c, for the tenant
 * cache's).
 *
 *   sqlite.c         the connection, tenants (and the tenant epoch file), partner
 *                    insert/get/patch/delete
 *   sqlite_row.c     partner rows: the column lists from the model table, binding and reading
 *   sqlite_list.c    listing and counting through store/sql.c, and the statement cache
 *   sqlite_schema.c  the versioned migrations
 *   sqlite_checkpoint.c  WAL checkpoints on a thread of their own, off the commit path
 *   sqlite_gather.c      the VFS that gathers a group commit's log writes into few calls
 */
#ifndef CMP_STORE_SQLITE_IMPL_H
#define CMP_STORE_SQLITE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/stmt_cache.h"
#include "store/store_impl.h"
#include "store/tenant_cache.h"

struct arena;
struct cmp_error;
struct graph_partner;
struct sqlite3;
struct sqlite3_stmt;
struct store__window;
struct store__checkpointer;

/* Statements built per query shape ($filter, $orderby, cursor) kept prepared per connection. */
#define STORE_SQLITE_CACHE_SIZE STORE_STMT_CACHE_SIZE

enum store__sqlite_stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_TENANT_GET,
    ST_TENANT_PUT,
    ST_TENANT_PUT_NEW,
    ST_TENANT_LIST,
    ST_PARTNER_INSERT,
    ST_PARTNER_GET,
    ST_PARTNER_UPDATE,
    ST_PARTNER_DELETE,
    ST_PARTNER_DELETE_ALL,
    ST_PARTNER_TENANTS,
    ST_SECRET_PUT_NEW,
    ST_SECRET_GET,
    ST_COUNT
};

struct sqlite_store {
    struct store base;  /* first: store.c sees this */
    struct sqlite3 *db; /* owned */
    struct sqlite3_stmt *st[ST_COUNT];
    struct buf json;    /* scratch for one assignment collection being bound */
    char *list_columns; /* owned: the select list of a partner row (value columns, seq, id) */
    struct store__stmt_cache cache; /* of sqlite3_stmt handles */
    struct store__window *window;   /* acquired: the throttle counters of this database file */
    struct store__checkpointer *checkpointer; /* acquired: the WAL checkpoints of the file */
    bool batching; /* the group committer's connection: its own checkpoint waits for after_batch */
    bool log_full; /* a commit left the log past the inline threshold (when batching) */
    /* Mapped (MAP_SHARED): the tenant epoch of the database, the 8 bytes of <db>-tenants that
     * every process opening it maps and every tenant write bumps.  NULL: no tenant caching. */
    atomic_ullong *tenant_epoch;
    struct store__tenant_cache tenants; /* the tenant rows read, filed under the epoch */
};

/*
 * The VFS of every connection of this backend (sqlite_gather.c): the default one's, but while
 * a thread is between store__sqlite_gather_begin() and _end() - around a group commit's COMMIT
 * on a synchronous=FULL connection, whose log sync follows its frames - its consecutive log
 * writes go out in few calls.  store__sqlite_vfs() registers it on first use; NULL if it
 * cannot (the default VFS is used).  _end() writes anything still gathered (SQLite result).
 */
#define STORE_SQLITE_VFS "cmpd-gather"
const char *store__sqlite_vfs(void);
void store__sqlite_gather_begin(void);
int store__sqlite_gather_end(void);
/* Log writes gathered, and the write calls they took (for tests). */
void store__sqlite_gather_stats(uint64_t *writes, uint64_t *calls);

/* Next to the database file: the tenant epoch (PATH-tenants). */
#define STORE_SQLITE_EPOCH_SUFFIX "-tenants"

/* The tenant cache of a SQLite store, NULL when it has none (no epoch file); for tests. */
struct store__tenant_cache *store__sqlite_tenant_cache(struct store *s);

/*
 * Log SQLite's message for `rc` (with `what` we were doing) and record the client-facing error:
 * CMP_EUNAVAILABLE for SQLITE_BUSY / SQLITE_LOCKED (the busy timeout ran out), CMP_ESTORE with the
 * generic message otherwise.  The SQLite text is never sent.  Returns the code recorded.
 */
int store__sqlite_error(struct sqlite3 *db, int rc, const char *what, struct cmp_error *err);

/* The schema version store__sqlite_migrate() brings a database to. */
int store__sqlite_schema_version(void);

/*
 * Bring `db` to the current schema: the steps above its PRAGMA user_version are applied in one
 * BEGIN IMMEDIATE transaction, so two processes opening a fresh file at once apply them once.
 * Returns 0; CMP_ESTORE (details logged) on failure or for a database newer than this program;
 * CMP_EUNAVAILABLE when the database stays locked past the busy timeout.
 */
int store__sqlite_migrate(struct sqlite3 *db, struct cmp_error *err);

/* Room for one more item in an arena array holding `n` of `*cap` items of `size` bytes: the
 * array itself, or a copy twice as large; NULL when out of memory. */
void *store__sqlite_grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size);

/* ---- sqlite_row.c ---- */

/*
 * Append the partner value columns - every model property but id, lastHeartbeatDateTime as its
 * text and its ticks - each followed by `suffix`, separated by ", ".  Binding and reading walk
 * graph_partner_props in the same order.
 */
int store__sqlite_value_columns(struct buf *b, const char *suffix);

/* The value placeholders of store__sqlite_value_columns(): one "?, " per column. */
int store__sqlite_value_params(struct buf *b);

/* Bind the value columns of `p` from index `first` on; *next gets the index after them. */
int store__sqlite_bind_values(struct sqlite_store *s, struct sqlite3_stmt *st, int first,
                              const struct graph_partner *p, int *next, struct cmp_error *err);

/* Read a row of (value columns, seq, id) into *p (strings in `a`) and its seq into *seq. */
int store__sqlite_read_row(struct sqlite3_stmt *st, struct arena *a, struct graph_partner *p,
                           int64_t *seq, struct cmp_error *err);

/* ---- sqlite_checkpoint.c ---- */

/* The checkpoint thread of database file `path` (its real path), or NULL if it cannot start. */
struct store__checkpointer *store__checkpointer_acquire(const char *path);
void store__checkpointer_release(struct store__checkpointer *c);
/* Hand the checkpoints of `s` to s->checkpointer (NULL: SQLite's automatic checkpoint stays). */
void store__checkpointer_attach(struct sqlite_store *s);
/* After a batch was answered: the checkpoint a commit of the batch deferred, if any. */
void store__checkpointer_after_batch(struct sqlite_store *s);
/* Checkpoints `c` has run (tests). */
uint64_t store__checkpointer_runs(struct store__checkpointer *c);

/* ---- sqlite_list.c ---- */

/* Finalize every cached statement. */
void store__sqlite_cache_clear(struct store__stmt_cache *c);

/* Statement-cache counters of a SQLite store (for tests). */
void store__sqlite_cache_stats(struct store *s, uint64_t *hits, uint64_t *misses);

/* The list and count operations (store_ops). */
int store__sqlite_partner_list(struct store *s, const char *tenant,
                               const struct store_list_req *req, struct arena *a,
                               struct store_page *out, struct cmp_error *err);
int store__sqlite_partner_count(struct store *s, const char *tenant,
                                const struct odata_expr *filter, int64_t *out,
                                struct cmp_error *err);

#endif
