/*
 * store/sqlite/sqlite_list.c - listing and counting partners on SQLite: the SQL comes from
 * store/sql.c (SQLite dialect) with bound parameters only, and runs as a statement of the
 * connection's cache.
 *
 * The text of a listing depends on the shape of the query ($filter, $orderby, a cursor or not),
 * not on its values, so a server sees few distinct texts.  Each connection keeps the last
 * STORE_SQLITE_CACHE_SIZE of them prepared (SQLITE_PREPARE_PERSISTENT) in its statement cache
 * (store/stmt_cache.c); a statement is reset as soon as its rows are read, so eviction never
 * meets one in use.
 */
#include <limits.h>
#include <sqlite3.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_impl.h"

/* Rows a listing makes room for before its first step; a longer page grows by doubling. */
#define SQLITE_LIST_FIRST_ROWS 128

static struct sqlite_store *from(struct store *s)
{
    return (struct sqlite_store *)s;
}

/* ---- the statement cache (store/stmt_cache.c) ---- */

static void finalize(void *ctx, void *handle)
{
    (void)ctx;
    sqlite3_finalize(handle);
}

void store__sqlite_cache_clear(struct store__stmt_cache *c)
{
    store__stmt_cache_clear(c, finalize, NULL);
}

void store__sqlite_cache_stats(struct store *base, uint64_t *hits, uint64_t *misses)
{
    *hits = from(base)->cache.hits;
    *misses = from(base)->cache.misses;
}

/* The prepared statement for `sql` (len bytes), from the cache or prepared into it. */
static int cached(struct sqlite_store *s, const char *sql, size_t len, sqlite3_stmt **out,
                  struct cmp_error *err)
{
    struct store__stmt *e = store__stmt_cache_find(&s->cache, sql, len);
    sqlite3_stmt *st = NULL;
    int src;

    if (e) {
        *out = e->handle;
        return 0;
    }
    if (len > INT_MAX)
        return cmp_error_set(err, CMP_EBADQUERY, "The query is too complex.");
    e = store__stmt_cache_take(&s->cache, sql, len, finalize, NULL);
    if (!e)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    src = sqlite3_prepare_v3(s->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(st);
        store__stmt_cache_drop(e, finalize, NULL);
        return store__sqlite_error(s->db, src, "prepare a listing", err);
    }
    e->handle = st;
    *out = st;
    return 0;
}

/* ---- running a query ---- */

static int bind_params(struct sqlite_store *s, sqlite3_stmt *st, const struct sql_query *q,
                       struct cmp_error *err)
{
    size_t k;
    int src = SQLITE_OK;

    for (k = 0; k < q->n_params && src == SQLITE_OK; k++) {
        const struct sql_param *p = &q->params[k];
        switch (p->type) {
        case SQL_PARAM_TEXT:
            src = p->n > INT_MAX
                      ? SQLITE_TOOBIG
                      : sqlite3_bind_text(st, (int)k + 1, p->s, (int)p->n, SQLITE_STATIC);
            break;
        case SQL_PARAM_INT:
            src = sqlite3_bind_int64(st, (int)k + 1, p->i);
            break;
        case SQL_PARAM_NULL:
            src = sqlite3_bind_null(st, (int)k + 1);
            break;
        }
    }
    if (src != SQLITE_OK)
        return store__sqlite_error(s->db, src, "bind a listing", err);
    return 0;
}

/* Make a statement ready for its next use (its error, if any, was taken from sqlite3_step). */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* The cached statement of `q`, bound. */
static int statement(struct sqlite_store *s, const struct sql_query *q, sqlite3_stmt **out,
                     struct cmp_error *err)
{
    int rc = cached(s, q->text, q->len, out, err);

    if (!rc)
        rc = bind_params(s, *out, q, err);
    if (rc && *out)
        done(*out);
    return rc;
}

/* Step through a bound listing collecting up to req->limit rows into *out. */
static int collect_page(struct sqlite_store *s, sqlite3_stmt *st, const struct store_list_req *req,
                        struct arena *a, struct store_page *out, struct cmp_error *err)
{
    size_t cap = 0;
    int64_t seq = 0;
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
        if (!cap) {
            /* Room for a whole page of the usual size at once: no copies as it fills. */
            cap = req->limit < SQLITE_LIST_FIRST_ROWS ? req->limit : SQLITE_LIST_FIRST_ROWS;
            out->items = arena_alloc(a, cap * sizeof *out->items);
        } else {
            out->items = store__sqlite_grow(a, out->items, out->n, &cap, sizeof *out->items);
        }
        if (!out->items)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        rc = store__sqlite_read_row(st, a, &out->items[out->n], &seq, err);
        if (rc)
            return rc;
        out->n++;
    }
    if (out->n)
        sql_cursor_of(&out->items[out->n - 1], seq, req->orderby, req->orderby_count, &out->last);
    return 0;
}

int store__sqlite_partner_list(struct store *base, const char *tenant,
                               const struct store_list_req *req, struct arena *a,
                               struct store_page *out, struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = NULL;
    struct sql_query q;
    int rc;

    memset(out, 0, sizeof *out);
    rc = sql_partner_list(a, &sql_dialect_sqlite, s->list_columns, tenant, req, &q, err);
    if (!rc)
        rc = statement(s, &q, &st, err);
    if (rc)
        return rc;
    rc = collect_page(s, st, req, a, out, err);
    done(st);
    return rc;
}

int store__sqlite_partner_count(struct store *base, const char *tenant,
                                const struct odata_expr *filter, int64_t *out,
                                struct cmp_error *err)
{
    struct sqlite_store *s = from(base);
    sqlite3_stmt *st = NULL;
    struct arena *a = arena_new(0);
    struct sql_query q;
    int rc;
    int src;

    if (!a)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    rc = sql_partner_count(a, &sql_dialect_sqlite, tenant, filter, &q, err);
    if (!rc)
        rc = statement(s, &q, &st, err);
    if (!rc) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            *out = sqlite3_column_int64(st, 0);
        else
            rc = store__sqlite_error(s->db, src, "count partners", err);
        done(st);
    }
    arena_free(a);
    return rc;
}
