/*
 * store/sqlite/sqlite.c - the embedded SQLite backend of store/store.h.
 *
 * One `struct store` is one SQLite connection, used by one thread at a time (opened with
 * SQLITE_OPEN_NOMUTEX; every server thread opens its own).  The database runs in WAL mode with
 * synchronous=FULL: a committed write is on disk and survives power loss (NORMAL with
 * STORE_DURABLE_PROCESS: it survives a crash of the process, not of the machine).  The group
 * committer (store/commit.c) runs batches of partner writes through the txn_* operations.
 * The statements of this file are prepared once when the connection opens and reused with bound
 * parameters; the partner statements are built from the model table (sqlite_row.c).  Listing and
 * counting, whose SQL depends on the query, are in sqlite_list.c.  Rows of another tenant are
 * never touched: the tenant id is part of every WHERE clause.  The database file is created
 * owner-only (0600).  SQLite's own messages are logged,
 * never returned to the client.  Throttle counters are not written to the database: they live in
 * this process's memory (store/window.c), one window per database file shared by its connections.
 * Tenant lookups are answered from the connection's tenant cache (store/tenant_cache.c) while the
 * tenant epoch - 8 bytes in PATH-tenants, mapped shared by every process that opens the database
 * and bumped around every tenant write - has not moved since the row was read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/window.h"

/* How long a statement waits for another connection's write lock before CMP_EUNAVAILABLE. */
#define STORE_SQLITE_BUSY_MS 5000
/* Largest assignment collection, as JSON, one partner column may hold. */
#define STORE_SQLITE_MAX_JSON (16u * 1024 * 1024)
/* Largest SQL text built from the model table. */
#define STORE_SQLITE_MAX_SQL 4096

/* Statements whose text does not depend on the model table. */
static const char *const fixed_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_TENANT_GET] = "SELECT id, intune_licensed, created FROM tenants WHERE id = ?1",
    [ST_TENANT_PUT] = "INSERT INTO tenants (id, intune_licensed, created) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (id) DO UPDATE SET intune_licensed = excluded.intune_licensed",
    [ST_TENANT_PUT_NEW] = "INSERT INTO tenants (id, intune_licensed, created) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (id) DO NOTHING",
    [ST_TENANT_LIST] = "SELECT id, intune_licensed, created FROM tenants ORDER BY id",
    [ST_PARTNER_DELETE] = "DELETE FROM partners WHERE tenant = ?1 AND id = ?2",
    [ST_PARTNER_DELETE_ALL] = "DELETE FROM partners WHERE tenant = ?1",
    [ST_PARTNER_TENANTS] = "SELECT DISTINCT tenant FROM partners ORDER BY tenant",
    [ST_SECRET_PUT_NEW] = "INSERT INTO secrets (name, value) VALUES (?1, ?2) "
                          "ON CONFLICT (name) DO NOTHING",
    [ST_SECRET_GET] = "SELECT value FROM secrets WHERE name = ?1",
};

static struct sqlite_store *from(struct store *s)
{
    return (struct sqlite_store *)s;
}

int store__sqlite_error(sqlite3 *db, int rc, const char *what, struct cmp_error *err)
{
    int primary = rc & 0xff;

    log_error("sqlite: %s: %s (code %d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        rc = cmp_error_set(err, CMP_EUNAVAILABLE, NULL);
        if (err && err->code == CMP_EUNAVAILABLE && !err->retry_after)
            err->retry_after = 1;
        return rc;
    }
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

/* Make a statement ready for its next use (its error, if any, was taken from sqlite3_step). */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Run a statement that returns no rows (BEGIN, COMMIT...). */
static int exec_stmt(struct sqlite_store *s, enum store__sqlite_stmt id, const char *what,
                     struct cmp_error *err)
{
    int src = sqlite3_step(s->st[id]);
    int rc = 0;

    if (src != SQLITE_DONE)
        rc = store__sqlite_error(s->db, src, what, err);
    done(s->st[id]);
    return rc;
}

/* Undo the open transaction, if any (SQLite ends some on its own after an error). */
static void rollback(struct sqlite_store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return;
    if (sqlite3_step(s->st[ST_ROLLBACK]) != SQLITE_DONE)
        log_error("sqlite: rollback: %s", sqlite3_errmsg(s->db));
    done(s->st[ST_ROLLBACK]);
}

/* The SQL of a model-dependent statement, into `b`. */
static int build_sql(struct buf *b, enum store__sqlite_stmt id)
{
    int rc;

    switch (id) {
    case ST_PARTNER_INSERT:
        rc = buf_puts(b, "INSERT INTO partners (tenant, id, ");
        rc = rc ? rc : store__sqlite_value_columns(b, "");
        rc = rc ? rc : buf_puts(b, "created, modified) VALUES (?, ?, ");
        rc = rc ? rc : store__sqlite_value_params(b);
        return rc ? rc : buf_puts(b, "?, ?)");
    case ST_PARTNER_UPDATE:
        rc = buf_puts(b, "UPDATE partners SET ");
        rc = rc ? rc : store__sqlite_value_columns(b, " = ?");
        return rc ? rc : buf_puts(b, "modified = ? WHERE tenant = ? AND id = ?");
    case ST_PARTNER_GET:
        rc = buf_puts(b, "SELECT ");
        rc = rc ? rc : store__sqlite_value_columns(b, "");
        return rc ? rc : buf_puts(b, "seq, id FROM partners WHERE tenant = ? AND id = ?");
    default:
        return buf_puts(b, fixed_sql[id]);
    }
}

static int prepare_all(struct sqlite_store *s, struct cmp_error *err)
{
    struct buf sql;
    int id;
    int src;
    int rc = 0;

    buf_init(&sql, STORE_SQLITE_MAX_SQL);
    for (id = 0; id < ST_COUNT && !rc; id++) {
        buf_reset(&sql);
        rc = build_sql(&sql, (enum store__sqlite_stmt)id);
        if (rc) {
            log_error("sqlite: statement %d does not fit in %d bytes", id, STORE_SQLITE_MAX_SQL);
            rc = cmp_error_set(err, CMP_ESTORE, NULL);
            break;
        }
        src = sqlite3_prepare_v3(s->db, sql.data, (int)sql.len, SQLITE_PREPARE_PERSISTENT,
                                 &s->st[id], NULL);
        if (src != SQLITE_OK)
            rc = store__sqlite_error(s->db, src, sql.data, err);
    }
    /* The select list of listings, whose statements sqlite_list.c builds per query. */
    buf_reset(&sql);
    if (!rc && (store__sqlite_value_columns(&sql, "") || buf_puts(&sql, "seq, id")))
        rc = cmp_error_set(err, CMP_ESTORE, NULL);
    if (!rc) {
        s->list_columns = buf_steal(&sql, NULL);
        if (!s->list_columns)
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    buf_fini(&sql);
    return rc;
}

static int bind_text(struct sqlite_store *s, sqlite3_stmt *st, int i, const char *text,
                     struct cmp_error *err)
{
    int rc = sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);

    if (rc != SQLITE_OK)
        return store__sqlite_error(s->db, rc, "bind", err);
    return 0;
}

/* ---- the tenant epoch ---- */

/* The counter is shared between processes: its atomics must not take a lock of this process. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && sizeof(atomic_ullong) == 8,
               "the tenant epoch is a lock-free 8-byte counter");

/* Map the 8 bytes of epoch file `name` into *out, creating it (0600, zeroes) when missing; NULL,
 * or why not. */
static const char *open_epoch(const char *name, atomic_ullong **out)
{
    const off_t size = sizeof **out;
    struct stat sb;
    const char *why = NULL;
    void *p;
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return strerror(errno);
    if (fstat(fd, &sb) != 0)
        why = strerror(errno);
    else if (!S_ISREG(sb.st_mode))
        why = "not a regular file";
    /* Extending the file zeroes the new bytes; a file of 8 bytes already keeps its count. */
    else if (sb.st_size < size && ftruncate(fd, size) != 0)
        why = strerror(errno);
    if (!why) {
        p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            why = strerror(errno);
        else
            *out = p;
    }
    close(fd);
    return why;
}

/*
 * Map the tenant epoch of database `path`.  Without it (a read-only directory...) this connection
 * reads every tenant lookup from the database: a warning, once per process, never an error.
 */
static void map_epoch(struct sqlite_store *s, const char *path)
{
    static atomic_flag warned = ATOMIC_FLAG_INIT; /* the one piece of state: a log line's */
    char name[PATH_MAX];
    const char *why = "the path is too long";

    if (snprintf(name, sizeof name, "%s%s", path, STORE_SQLITE_EPOCH_SUFFIX) < (int)sizeof name)
        why = open_epoch(name, &s->tenant_epoch);
    if (why && !atomic_flag_test_and_set(&warned))
        log_warn("sqlite: cannot map %s%s (%s): tenant lookups are not cached", path,
                 STORE_SQLITE_EPOCH_SUFFIX, why);
}

/* Every process's tenant cache of the database reads its entries again. */
static void bump_epoch(struct sqlite_store *s)
{
    if (s->tenant_epoch)
        atomic_fetch_add(s->tenant_epoch, 1);
}

struct store__tenant_cache *store__sqlite_tenant_cache(struct store *base)
{
    struct sqlite_store *s = from(base);

    return s->tenant_epoch ? &s->tenants : NULL;
}

/* ---- connection ---- */

static void sq_close(struct store *base)
{
    struct sqlite_store *s = from(base);
    int i;

    if (!s)
        return;
    for (i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    store__sqlite_cache_clear(&s->cache);
    free(s->list_columns);
    if (s->db && sqlite3_close_v2(s->db) != SQLITE_OK)
        log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    buf_fini(&s->json);
    store__window_release(s->window);
    store__checkpointer_release(s->checkpointer); /* after the close: its hook is gone */
    if (s->tenant_epoch)
        munmap(s->tenant_epoch, sizeof *s->tenant_epoch);
    free(s);
}

/* WAL, synchronous=FULL, foreign keys; warn if the file system refuses WAL. */
static int configure(struct sqlite_store *s, struct cmp_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *mode;
    int rc;

    sqlite3_busy_timeout(s->db, STORE_SQLITE_BUSY_MS);
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            log_warn("sqlite: journal_mode is %s, not wal", mode ? mode : "unknown");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return store__sqlite_error(s->db, rc, "set journal_mode", err);
    /* FULL until store_set_durability says otherwise: a commit is on disk when it returns. */
    rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK)
        return store__sqlite_error(s->db, rc, "set pragmas", err);
    return 0;
}

/*
 * Create the database file owner-only (0600) when it does not exist: it may hold the keys
 * (store_secret_ensure), and SQLite gives its -wal and -shm files the database file's mode.
 */
static int create_private(const char *path, struct cmp_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    log_error("sqlite: cannot create %s: %s", path, strerror(errno));
    return cmp_error_set(err, CMP_EIO, "Cannot create the database file.");
}

/*
 * What the connections of this process to one database file share, by its real path: the
 * throttle counters and the checkpoint thread.
 */
static int acquire_shared(struct sqlite_store *s, const char *path, struct cmp_error *err)
{
    char real[PATH_MAX];
    const char *name = realpath(path, real) ? real : path;

    s->window = store__window_acquire(name);
    if (!s->window)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    s->checkpointer = store__checkpointer_acquire(name);
    store__checkpointer_attach(s);
    return 0;
}

static int sq_open(const char *path, struct store **out, struct cmp_error *err)
{
    struct sqlite_store *s;
    int rc = create_private(path, err);

    if (rc)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    s->base.ops = &store__sqlite_ops;
    buf_init(&s->json, STORE_SQLITE_MAX_JSON);
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         store__sqlite_vfs());
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(s->db, 1);
        rc = configure(s, err);
    } else {
        log_error("sqlite: cannot open %s", path);
        rc = store__sqlite_error(s->db, rc, "open", err);
    }
    if (!rc)
        rc = store__sqlite_migrate(s->db, err);
    if (!rc)
        rc = prepare_all(s, err);
    if (!rc)
        rc = acquire_shared(s, path, err);
    if (rc) {
        sq_close(&s->base);
        return rc;
    }
    map_epoch(s, path);
    *out = &s->base;
    return 0;
}

/* ---- tenants ---- */

void *store__sqlite_grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size)
{
    size_t want = *cap ? *cap * 2 : 16;
    void *bigger;

    if (n < *cap)
        return items;
    bigger = arena_calloc(a, want, size);
    if (!bigger)
        return NULL;
    if (n)
        memcpy(bigger, items, n * size);
    *cap = want;
    return bigger;
}

static int read_tenant(sqlite3_stmt *st, struct store_tenant *t, struct cmp_error *err)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    int n = sqlite3_column_bytes(st, 0);

    if (!id || (size_t)n >= sizeof t->id) {
        log_error("sqlite: unreadable tenant row");
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    memcpy(t->id, id, (size_t)n);
    t->id[n] = '\0';
    t->intune_licensed = sqlite3_column_int(st, 1) != 0;
    t->created = sqlite3_column_int64(st, 2);
    return 0;
}

/* Read tenant `tenant` from the database. */
static int read_tenant_row(struct sqlite_store *s, const char *tenant, struct store_tenant *out,
                           struct cmp_error *err)
{
    sqlite3_stmt *st = s->st[ST_TENANT_GET];
    int rc = bind_text(s, st, 1, tenant, err);
    int src;

    if (!rc) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            rc = read_tenant(st, out, err);
        else if (src == SQLITE_DONE)
            rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_TENANT_NOT_FOUND);
        else
            rc = store__sqlite_error(s->db, src, "get tenant", err);
    }
    done(st);
    return rc;
}

/*
 * From the cache while the epoch has not moved since the entry was read; else from the database,
 * under the epoch loaded before the read: a write committed after the read bumps it past that.
 */
static int sq_tenant_get(struct store *base, const char *tenant, struct store_tenant *out,
                         struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    unsigned long long epoch = 0;
    int rc;

    if (s->tenant_epoch) {
        epoch = atomic_load_explicit(s->tenant_epoch, memory_order_acquire);
        if (store__tenant_cache_get(&s->tenants, tenant, epoch, out))
            return 0;
    }
    rc = read_tenant_row(s, tenant, out, err);
    if (!rc && s->tenant_epoch)
        store__tenant_cache_put(&s->tenants, out, epoch);
    return rc;
}

/*
 * One statement, its own transaction.  A change bumps the epoch before the write (a reader that
 * read before it is invalidated even if this process dies after the commit) and after the commit
 * (a reader that read between the first bump and the commit is invalidated too).  Adding a new
 * tenant only (only_if_new) changes no row anyone can have cached - not-found is never cached -
 * so it bumps nothing.
 */
static int sq_tenant_put(struct store *base, const struct store_tenant *t, bool only_if_new,
                         struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[only_if_new ? ST_TENANT_PUT_NEW : ST_TENANT_PUT];
    int src;
    int rc = 0;

    if (!only_if_new)
        bump_epoch(s);
    src = sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(st, 2, t->intune_licensed ? 1 : 0);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(st, 3, t->created);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = store__sqlite_error(s->db, src, "put tenant", err);
    done(st);
    if (!only_if_new)
        bump_epoch(s);
    store__tenant_cache_forget(&s->tenants, t->id);
    return rc;
}

static int sq_tenant_list(struct store *base, struct arena *a, struct store_tenant **out, size_t *n,
                          struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_TENANT_LIST];
    struct store_tenant *items = NULL;
    size_t cap = 0;
    size_t count = 0;
    int rc = 0;

    for (;;) {
        int src = sqlite3_step(st);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = store__sqlite_error(s->db, src, "list tenants", err);
            break;
        }
        items = store__sqlite_grow(a, items, count, &cap, sizeof *items);
        if (!items) {
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
            break;
        }
        rc = read_tenant(st, &items[count++], err);
        if (rc)
            break;
    }
    done(st);
    if (!rc) {
        *out = items;
        *n = count;
    }
    return rc;
}

/* ---- partners ---- */

static int sq_partner_insert(struct store *base, const char *tenant, const struct graph_partner *p,
                             struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_INSERT];
    int64_t now = time_now();
    int i = 3;
    int src = SQLITE_OK;
    int rc = bind_text(s, st, 1, tenant, err);

    rc = rc ? rc : bind_text(s, st, 2, p->id, err);
    rc = rc ? rc : store__sqlite_bind_values(s, st, 3, p, &i, err);
    if (!rc) {
        src = sqlite3_bind_int64(st, i, now);
        if (src == SQLITE_OK)
            src = sqlite3_bind_int64(st, i + 1, now);
        if (src == SQLITE_OK)
            src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = store__sqlite_error(s->db, src, "insert partner", err);
    }
    done(st);
    return rc;
}

/* Read partner `id` of `tenant` with ST_PARTNER_GET.  CMP_ENOTFOUND when there is none. */
static int read_one(struct sqlite_store *s, const char *tenant, const char *id, struct arena *a,
                    struct graph_partner *out, struct cmp_error *err)
{
    sqlite3_stmt *st = s->st[ST_PARTNER_GET];
    int64_t seq;
    int rc = bind_text(s, st, 1, tenant, err);
    int src;

    rc = rc ? rc : bind_text(s, st, 2, id, err);
    if (!rc) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            rc = store__sqlite_read_row(st, a, out, &seq, err);
        else if (src == SQLITE_DONE)
            rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
        else
            rc = store__sqlite_error(s->db, src, "get partner", err);
    }
    done(st);
    return rc;
}

static int sq_partner_get(struct store *base, const char *tenant, const char *id, struct arena *a,
                          struct graph_partner *out, struct cmp_error *err)
{
    return read_one(from(base), tenant, id, a, out, err);
}

/* Write every value column of `p` over the row `id` of `tenant`. */
static int write_one(struct sqlite_store *s, const char *tenant, const char *id,
                     const struct graph_partner *p, struct cmp_error *err)
{
    sqlite3_stmt *st = s->st[ST_PARTNER_UPDATE];
    int i = 1;
    int src = SQLITE_OK;
    int rc = store__sqlite_bind_values(s, st, 1, p, &i, err);

    if (!rc) {
        src = sqlite3_bind_int64(st, i, time_now());
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(st, i + 1, tenant, -1, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(st, i + 2, id, -1, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = store__sqlite_error(s->db, src, "update partner", err);
        else if (sqlite3_changes(s->db) != 1)
            rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
    }
    done(st);
    return rc;
}

/* Read, merge and write, inside a write transaction already open. */
static int patch_in_txn(struct sqlite_store *s, const char *tenant, const char *id,
                        const struct graph_partner *patch, struct arena *a,
                        struct graph_partner *out, struct cmp_error *err)
{
    int rc = read_one(s, tenant, id, a, out, err);

    if (!rc) {
        graph_partner_merge(out, patch);
        rc = write_one(s, tenant, id, out, err);
    }
    return rc;
}

/*
 * Read, merge and write under one write lock, so concurrent patches of one partner each see the
 * other's result.  *out borrows the strings and collections of `patch` that it took over.
 */
static int sq_partner_patch(struct store *base, const char *tenant, const char *id,
                            const struct graph_partner *patch, struct arena *a,
                            struct graph_partner *out, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    int rc = exec_stmt(s, ST_BEGIN, "begin patch", err);

    if (rc)
        return rc;
    rc = patch_in_txn(s, tenant, id, patch, a, out, err);
    if (!rc)
        rc = exec_stmt(s, ST_COMMIT, "commit patch", err);
    if (rc)
        rollback(s);
    return rc;
}

static int sq_partner_delete(struct store *base, const char *tenant, const char *id,
                             struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_DELETE];
    int rc = bind_text(s, st, 1, tenant, err);
    int src;

    rc = rc ? rc : bind_text(s, st, 2, id, err);
    if (!rc) {
        src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = store__sqlite_error(s->db, src, "delete partner", err);
        else if (sqlite3_changes(s->db) == 0)
            rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
    }
    done(st);
    return rc;
}

/* Every partner of `tenant`, in one statement (its own transaction, or the caller's). */
static int sq_partner_delete_all(struct store *base, const char *tenant, int64_t *deleted,
                                 struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_DELETE_ALL];
    int rc = bind_text(s, st, 1, tenant, err);
    int src;

    if (!rc) {
        src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = store__sqlite_error(s->db, src, "delete partners of a tenant", err);
        else
            *deleted = sqlite3_changes64(s->db);
    }
    done(st);
    return rc;
}

static int sq_partner_tenants(struct store *base, struct arena *a, const char ***out, size_t *n,
                              struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_TENANTS];
    const char **items = NULL;
    size_t cap = 0;
    size_t count = 0;
    int rc = 0;

    for (;;) {
        int src = sqlite3_step(st);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = store__sqlite_error(s->db, src, "list the tenants of partners", err);
            break;
        }
        items = store__sqlite_grow(a, items, count, &cap, sizeof *items);
        if (items)
            items[count] = arena_strndup(a, (const char *)sqlite3_column_text(st, 0),
                                         (size_t)sqlite3_column_bytes(st, 0));
        if (!items || !items[count]) {
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
            break;
        }
        count++;
    }
    done(st);
    if (!rc) {
        *out = items;
        *n = count;
    }
    return rc;
}

/* ---- shared secrets ---- */

/* Read secret `name` into *out (arena-owned, NUL-terminated). */
static int read_secret(struct sqlite_store *s, const char *name, struct arena *a,
                       unsigned char **out, size_t *out_n, struct cmp_error *err)
{
    sqlite3_stmt *st = s->st[ST_SECRET_GET];
    const void *v;
    int rc = bind_text(s, st, 1, name, err);
    int src;
    int n;

    if (!rc) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW) {
            rc = src == SQLITE_DONE ? cmp_error_set(err, CMP_ENOTFOUND, "No such secret.")
                                    : store__sqlite_error(s->db, src, "get secret", err);
        } else {
            v = sqlite3_column_blob(st, 0);
            n = sqlite3_column_bytes(st, 0);
            if (!v || n <= 0 || (size_t)n > STORE_MAX_SECRET) {
                log_error("sqlite: the stored secret %s is unusable", name);
                rc = cmp_error_set(err, CMP_ESTORE, NULL);
            } else {
                *out = arena_alloc(a, (size_t)n + 1);
                if (!*out) {
                    rc = cmp_error_set(err, CMP_ENOMEM, NULL);
                } else {
                    memcpy(*out, v, (size_t)n);
                    (*out)[n] = '\0';
                    *out_n = (size_t)n;
                }
            }
        }
    }
    done(st);
    return rc;
}

static int sq_secret_ensure(struct store *base, const char *name, const void *candidate, size_t n,
                            struct arena *a, unsigned char **out, size_t *out_n,
                            struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_SECRET_PUT_NEW];
    int src;
    int rc = 0;

    if (!candidate || n == 0)
        return read_secret(s, name, a, out, out_n, err);
    if (n > STORE_MAX_SECRET)
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    src = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(st, 2, candidate, (int)n, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = store__sqlite_error(s->db, src, "put secret", err);
    done(st);
    return rc ? rc : read_secret(s, name, a, out, out_n, err);
}

/* ---- throttling ---- */

static int sq_throttle_take(struct store *base, const struct store_throttle_key *keys, size_t n,
                            int window_s, int *retry_after, struct cmp_error *err)
{
    int rc = store__window_take(from(base)->window, keys, n, window_s, retry_after);

    return rc ? cmp_error_set(err, rc, NULL) : 0;
}

/* ---- durability and group commit (store/commit.c) ---- */

static int sq_set_durability(struct store *base, enum store_durability d, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    /* In WAL mode FULL syncs the log at every commit; NORMAL only at checkpoints. */
    const char *sql =
        d == STORE_DURABLE_PROCESS ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL";
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : store__sqlite_error(s->db, rc, "set synchronous", err);
}

static int sq_txn_begin(struct store *base, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);

    s->batching = true; /* only the group committer begins batches on its connection */
    return exec_stmt(s, ST_BEGIN, "begin batch", err);
}

static void sq_after_batch(struct store *base)
{
    store__checkpointer_after_batch(from(base));
}

/* A bulk transaction (store_bulk_begin) on a connection of its own: not the committer's. */
static int sq_bulk_begin(struct store *base, struct cmp_error *err)
{
    return exec_stmt(from(base), ST_BEGIN, "begin bulk", err);
}

static int sq_txn_end(struct store *base, bool commit, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);

    if (commit) {
        /* With synchronous=FULL the log is synced before the commit is published, so its
         * frames can be written in few calls (sqlite_gather.c). */
        bool gather = s->base.durability == STORE_DURABLE_DISK;
        int rc;
        int grc;

        if (gather)
            store__sqlite_gather_begin();
        rc = exec_stmt(s, ST_COMMIT, "commit batch", err);
        grc = gather ? store__sqlite_gather_end() : SQLITE_OK;
        if (!rc && grc != SQLITE_OK)
            rc = store__sqlite_error(s->db, grc, "commit batch", err);
        return rc;
    }
    rollback(s);
    return 0;
}

static bool sq_txn_open(struct store *base)
{
    return !sqlite3_get_autocommit(from(base)->db);
}

static int sq_write_in_txn(struct store *base, struct store_write *w)
{
    struct sqlite_store *s = from(base);

    switch (w->kind) {
    case STORE_WRITE_INSERT:
        return sq_partner_insert(base, w->tenant, w->p, w->err);
    case STORE_WRITE_PATCH:
        return patch_in_txn(s, w->tenant, w->id, w->p, w->a, w->out, w->err);
    case STORE_WRITE_DELETE:
        return sq_partner_delete(base, w->tenant, w->id, w->err);
    }
    return cmp_error_set(w->err, CMP_EINTERNAL, NULL);
}

const struct store_ops store__sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .tenant_get = sq_tenant_get,
    .tenant_put = sq_tenant_put,
    .tenant_list = sq_tenant_list,
    .partner_insert = sq_partner_insert,
    .partner_get = sq_partner_get,
    .partner_patch = sq_partner_patch,
    .partner_delete = sq_partner_delete,
    .partner_list = store__sqlite_partner_list,
    .partner_count = store__sqlite_partner_count,
    .partner_delete_all = sq_partner_delete_all,
    .partner_tenants = sq_partner_tenants,
    .secret_ensure = sq_secret_ensure,
    .throttle_take = sq_throttle_take,
    .set_durability = sq_set_durability,
    .txn_begin = sq_txn_begin,
    .txn_end = sq_txn_end,
    .txn_open = sq_txn_open,
    .write_in_txn = sq_write_in_txn,
    .after_batch = sq_after_batch,
    .bulk_begin = sq_bulk_begin,
};
