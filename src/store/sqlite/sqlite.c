/*
 * store/sqlite/sqlite.c - the embedded SQLite backend of store/store.h.
 *
 * One `struct store` is one SQLite connection, used by one thread at a time (opened with
 * SQLITE_OPEN_NOMUTEX; every server thread opens its own).  The database runs in WAL mode with
 * synchronous=NORMAL: a committed write survives a crash of the process, not of the machine.
 * Every statement is prepared once when the connection opens and reused with bound parameters;
 * the partner statements are built from the model table (graph_partner_props), so the columns
 * bound and read are, by construction, those the schema (sqlite_schema.c) declares.  Assignment
 * collections are stored as JSON text in the beta shape (graph/json_out.c) and parsed back on
 * read (graph/json_in.c).  Rows of another tenant are never touched: the tenant id is part of
 * every WHERE clause.  SQLite's own messages are logged, never returned to the client.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "graph/json_in.h"
#include "graph/json_out.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/store_impl.h"

/* How long a statement waits for another connection's write lock before CMP_EUNAVAILABLE. */
#define STORE_SQLITE_BUSY_MS 5000
/* Largest assignment collection, as JSON, one partner column may hold. */
#define STORE_SQLITE_MAX_JSON (16u * 1024 * 1024)
/* Largest SQL text built from the model table. */
#define STORE_SQLITE_MAX_SQL 4096

enum stmt_id {
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
    ST_PARTNER_LIST,
    ST_PARTNER_COUNT,
    ST_COUNT
};

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
    [ST_PARTNER_COUNT] = "SELECT count(*) FROM partners WHERE tenant = ?1",
};

struct sqlite_store {
    struct store base; /* first: store.c sees this */
    sqlite3 *db;       /* owned */
    sqlite3_stmt *st[ST_COUNT];
    struct buf json; /* scratch for one assignment collection being bound */
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
static int exec_stmt(struct sqlite_store *s, enum stmt_id id, const char *what,
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

/* ---- statements built from the model table ---- */

/*
 * Append the partner value columns - every model property but id, lastHeartbeatDateTime as its
 * text and its ticks - each followed by `suffix`, separated by ", ".  Binding and reading walk
 * graph_partner_props in the same order.
 */
static int value_columns(struct buf *b, const char *suffix)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < GRAPH_P_COUNT && !rc; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if (p->id == GRAPH_P_ID)
            continue;
        if (p->type == EDM_DATETIMEOFFSET)
            rc = buf_printf(b, "%s%s, ", STORE_SQLITE_HEARTBEAT_TEXT, suffix);
        if (!rc)
            rc = buf_printf(b, "%s%s, ", p->column, suffix);
    }
    return rc;
}

/* The value placeholders of value_columns(): one "?, " per column. */
static int value_params(struct buf *b)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < GRAPH_P_COUNT && !rc; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if (p->id == GRAPH_P_ID)
            continue;
        rc = buf_puts(b, p->type == EDM_DATETIMEOFFSET ? "?, ?, " : "?, ");
    }
    return rc;
}

/* The SQL of a model-dependent statement, into `b`. */
static int build_sql(struct buf *b, enum stmt_id id)
{
    int rc;

    switch (id) {
    case ST_PARTNER_INSERT:
        rc = buf_puts(b, "INSERT INTO partners (tenant, id, ");
        rc = rc ? rc : value_columns(b, "");
        rc = rc ? rc : buf_puts(b, "created, modified) VALUES (?, ?, ");
        rc = rc ? rc : value_params(b);
        return rc ? rc : buf_puts(b, "?, ?)");
    case ST_PARTNER_UPDATE:
        rc = buf_puts(b, "UPDATE partners SET ");
        rc = rc ? rc : value_columns(b, " = ?");
        return rc ? rc : buf_puts(b, "modified = ? WHERE tenant = ? AND id = ?");
    case ST_PARTNER_GET:
    case ST_PARTNER_LIST:
        rc = buf_puts(b, "SELECT ");
        rc = rc ? rc : value_columns(b, "");
        rc = rc ? rc : buf_puts(b, "seq, id FROM partners WHERE tenant = ? AND ");
        return rc ? rc
                  : buf_puts(b, id == ST_PARTNER_GET ? "id = ?" : "seq > ? ORDER BY seq LIMIT ?");
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
        rc = build_sql(&sql, (enum stmt_id)id);
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
    buf_fini(&sql);
    return rc;
}

/* ---- binding and reading partner rows ---- */

static void *field(struct graph_partner *p, const struct graph_prop *prop)
{
    return (char *)p + prop->offset;
}

static const void *cfield(const struct graph_partner *p, const struct graph_prop *prop)
{
    return (const char *)p + prop->offset;
}

/* Bind an assignment collection as JSON text at index `i`. */
static int bind_assignments(struct sqlite_store *s, sqlite3_stmt *st, int i,
                            const struct graph_assignments *l, struct cmp_error *err)
{
    int src;
    int rc;

    buf_reset(&s->json);
    rc = graph_assignments_write(&s->json, l, GRAPH_BETA);
    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    if (rc) {
        log_error("sqlite: an assignment collection cannot be stored (error %d)", rc);
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    src = sqlite3_bind_text(st, i, s->json.data, (int)s->json.len, SQLITE_TRANSIENT);
    if (src != SQLITE_OK)
        return store__sqlite_error(s->db, src, "bind assignments", err);
    return 0;
}

/* Bind one property's value(s) from index *i on, advancing *i. */
static int bind_prop(struct sqlite_store *s, sqlite3_stmt *st, int *i,
                     const struct graph_prop *prop, const struct graph_partner *p,
                     struct cmp_error *err)
{
    const void *v = cfield(p, prop);
    const char *text;
    int rc = SQLITE_OK;

    switch (prop->type) {
    case EDM_STRING:
        text = *(const char *const *)v;
        rc = text ? sqlite3_bind_text(st, (*i)++, text, -1, SQLITE_STATIC)
                  : sqlite3_bind_null(st, (*i)++);
        break;
    case EDM_DATETIMEOFFSET:
        text = p->last_heartbeat ? p->last_heartbeat : GRAPH_DEFAULT_HEARTBEAT;
        rc = sqlite3_bind_text(st, (*i)++, text, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(st, (*i)++, p->last_heartbeat_ticks);
        break;
    case EDM_ENUM:
        rc = sqlite3_bind_int(st, (*i)++, *(const int *)v);
        break;
    case EDM_BOOLEAN:
        rc = sqlite3_bind_int(st, (*i)++, *(const bool *)v ? 1 : 0);
        break;
    case EDM_ASSIGNMENTS:
        return bind_assignments(s, st, (*i)++, v, err);
    }
    if (rc != SQLITE_OK)
        return store__sqlite_error(s->db, rc, "bind", err);
    return 0;
}

/* Bind the value columns of `p` from index `first` on; *next gets the index after them. */
static int bind_values(struct sqlite_store *s, sqlite3_stmt *st, int first,
                       const struct graph_partner *p, int *next, struct cmp_error *err)
{
    size_t k;
    int i = first;
    int rc = 0;

    for (k = 0; k < GRAPH_P_COUNT && !rc; k++)
        if (graph_partner_props[k].id != GRAPH_P_ID)
            rc = bind_prop(s, st, &i, &graph_partner_props[k], p, err);
    *next = i;
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

static int corrupt(const char *what, struct cmp_error *err)
{
    log_error("sqlite: unreadable partner row: %s", what);
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

/* Read an assignment collection column (JSON text) into `out`. */
static int read_assignments(sqlite3_stmt *st, int col, struct arena *a,
                            const struct graph_prop *prop, struct graph_assignments *out,
                            struct cmp_error *err)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    struct cmp_error perr = {0};

    if (!text)
        return corrupt(prop->column, err);
    if (graph_assignments_parse(a, text, (size_t)sqlite3_column_bytes(st, col), out, &perr)) {
        /* graph_assignments_parse() has logged what is wrong with the text. */
        if (perr.code == CMP_ENOMEM)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        return corrupt(prop->column, err);
    }
    return 0;
}

/* Read one property's column(s) from *col on, advancing *col. */
static int read_prop(sqlite3_stmt *st, int *col, struct arena *a, const struct graph_prop *prop,
                     struct graph_partner *p, struct cmp_error *err)
{
    void *v = field(p, prop);
    const char *text;
    int n;

    switch (prop->type) {
    case EDM_STRING:
        text = (const char *)sqlite3_column_text(st, *col);
        n = sqlite3_column_bytes(st, (*col)++);
        *(const char **)v = text ? arena_strndup(a, text, (size_t)n) : NULL;
        if (text && !*(const char **)v)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        return 0;
    case EDM_DATETIMEOFFSET:
        text = (const char *)sqlite3_column_text(st, *col);
        n = sqlite3_column_bytes(st, (*col)++);
        p->last_heartbeat = text ? arena_strndup(a, text, (size_t)n) : NULL;
        p->last_heartbeat_ticks = sqlite3_column_int64(st, (*col)++);
        if (!text)
            return corrupt(prop->column, err);
        return p->last_heartbeat ? 0 : cmp_error_set(err, CMP_ENOMEM, NULL);
    case EDM_ENUM:
        n = sqlite3_column_int(st, (*col)++);
        if (n < 0 || (size_t)n >= prop->enums->count)
            return corrupt(prop->column, err);
        *(int *)v = n;
        return 0;
    case EDM_BOOLEAN:
        *(bool *)v = sqlite3_column_int(st, (*col)++) != 0;
        return 0;
    case EDM_ASSIGNMENTS:
        return read_assignments(st, (*col)++, a, prop, v, err);
    }
    return corrupt(prop->column, err);
}

/* Read a row of ST_PARTNER_GET / ST_PARTNER_LIST (value columns, seq, id) into *p. */
static int read_row(sqlite3_stmt *st, struct arena *a, struct graph_partner *p, int64_t *seq,
                    struct cmp_error *err)
{
    const char *id;
    size_t k;
    int col = 0;
    int rc = 0;
    int n;

    memset(p, 0, sizeof *p);
    for (k = 0; k < GRAPH_P_COUNT && !rc; k++)
        if (graph_partner_props[k].id != GRAPH_P_ID)
            rc = read_prop(st, &col, a, &graph_partner_props[k], p, err);
    if (rc)
        return rc;
    *seq = sqlite3_column_int64(st, col++);
    id = (const char *)sqlite3_column_text(st, col);
    n = sqlite3_column_bytes(st, col);
    if (!id || (size_t)n >= sizeof p->id)
        return corrupt("id", err);
    memcpy(p->id, id, (size_t)n);
    p->id[n] = '\0';
    /* Every property of a stored partner has a value. */
    p->present = GRAPH_ALL_PROPS;
    return 0;
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
    if (s->db && sqlite3_close_v2(s->db) != SQLITE_OK)
        log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    buf_fini(&s->json);
    free(s);
}

/* WAL, synchronous=NORMAL, foreign keys; warn if the file system refuses WAL. */
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
    rc = sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK)
        return store__sqlite_error(s->db, rc, "set pragmas", err);
    return 0;
}

static int sq_open(const char *path, struct store **out, struct cmp_error *err)
{
    struct sqlite_store *s = calloc(1, sizeof *s);
    int rc;

    if (!s)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    s->base.ops = &store__sqlite_ops;
    buf_init(&s->json, STORE_SQLITE_MAX_JSON);
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
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
    if (rc) {
        sq_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

/* ---- tenants ---- */

/* Room for one more item in an arena array holding `n` of `*cap` items of `size` bytes. */
static void *grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size)
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

static int sq_tenant_get(struct store *base, const char *tenant, struct store_tenant *out,
                         struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
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

static int sq_tenant_put(struct store *base, const struct store_tenant *t, bool only_if_new,
                         struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[only_if_new ? ST_TENANT_PUT_NEW : ST_TENANT_PUT];
    int src = sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
    int rc = 0;

    if (src == SQLITE_OK)
        src = sqlite3_bind_int(st, 2, t->intune_licensed ? 1 : 0);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(st, 3, t->created);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = store__sqlite_error(s->db, src, "put tenant", err);
    done(st);
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
        items = grow(a, items, count, &cap, sizeof *items);
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
    rc = rc ? rc : bind_values(s, st, 3, p, &i, err);
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
            rc = read_row(st, a, out, &seq, err);
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
    int rc = bind_values(s, st, 1, p, &i, err);

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
    rc = read_one(s, tenant, id, a, out, err);
    if (!rc) {
        graph_partner_merge(out, patch);
        rc = write_one(s, tenant, id, out, err);
    }
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

/* Step through ST_PARTNER_LIST (already bound) collecting up to req->limit rows into *out. */
static int collect_page(struct sqlite_store *s, sqlite3_stmt *st, const struct store_list_req *req,
                        struct arena *a, struct store_page *out, struct cmp_error *err)
{
    size_t cap = 0;
    int64_t seq;
    int rc = 0;

    for (;;) {
        int src = sqlite3_step(st);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW)
            return store__sqlite_error(s->db, src, "list partners", err);
        if (out->n == req->limit) {
            /* The statement asked for one row more than the page: there is a next page. */
            out->more = true;
            break;
        }
        out->items = grow(a, out->items, out->n, &cap, sizeof *out->items);
        if (!out->items)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        rc = read_row(st, a, &out->items[out->n], &seq, err);
        if (rc)
            return rc;
        out->n++;
        out->last_seq = seq;
    }
    return 0;
}

static int sq_partner_list(struct store *base, const char *tenant, const struct store_list_req *req,
                           struct arena *a, struct store_page *out, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_LIST];
    int64_t limit = req->limit < (size_t)INT64_MAX ? (int64_t)req->limit + 1 : INT64_MAX;
    int rc = bind_text(s, st, 1, tenant, err);
    int src = SQLITE_OK;

    memset(out, 0, sizeof *out);
    out->last_seq = req->after_seq;
    if (!rc) {
        src = sqlite3_bind_int64(st, 2, req->after_seq);
        if (src == SQLITE_OK)
            src = sqlite3_bind_int64(st, 3, limit);
        if (src != SQLITE_OK)
            rc = store__sqlite_error(s->db, src, "bind", err);
    }
    if (!rc)
        rc = collect_page(s, st, req, a, out, err);
    done(st);
    return rc;
}

static int sq_partner_count(struct store *base, const char *tenant, int64_t *out,
                            struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = s->st[ST_PARTNER_COUNT];
    int rc = bind_text(s, st, 1, tenant, err);
    int src;

    if (!rc) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            *out = sqlite3_column_int64(st, 0);
        else
            rc = store__sqlite_error(s->db, src, "count partners", err);
    }
    done(st);
    return rc;
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
    .partner_list = sq_partner_list,
    .partner_count = sq_partner_count,
};
