/*
 * store/postgres/postgres_list.c - listing and counting partners on PostgreSQL: the SQL comes from
 * store/sql.c (PostgreSQL dialect: $N::text / $N::bigint placeholders, so the server infers
 * every parameter's type) with bound parameters only, and runs as a named prepared statement of
 * the connection's cache.
 *
 * Each connection keeps the last STORE_STMT_CACHE_SIZE listing texts prepared (store/stmt_cache.c)
 * as cmpd_l<N>; the one evicted to make room is DEALLOCATEd.  After a reconnect the server has
 * forgotten them all, and so does the cache.  A result is read whole (a page is at most the
 * page size plus one row) and cleared before the call returns.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "store/postgres/postgres_impl.h"
#include "store/sql.h"

/* The name of a listing statement: "cmpd_l" and the cache's id for it. */
#define NAME_SIZE 32

/* ---- the statement cache (store/stmt_cache.c) ---- */

/* Release a statement name; `ctx` is the store when the server still holds the statement. */
static void deallocate(void *ctx, void *handle)
{
    struct pg_store *s = ctx;
    char sql[NAME_SIZE + 16];

    if (s && !s->lost && PQstatus(s->conn) == CONNECTION_OK) {
        /* The name is ours (cmpd_l<N>), never client text. */
        snprintf(sql, sizeof sql, "DEALLOCATE %s", (const char *)handle);
        store__pg_command(s, sql, "deallocate a listing", NULL);
    }
    free(handle);
}

void store__pg_cache_clear(struct pg_store *s, bool server_side)
{
    store__stmt_cache_clear(&s->cache, deallocate, server_side ? s : NULL);
}

/* The name of the prepared statement for `q`, from the cache or prepared into it. */
static int statement(struct pg_store *s, const struct sql_query *q, const char **name,
                     struct cmp_error *err)
{
    struct store__stmt *e = store__stmt_cache_find(&s->cache, q->text, q->len);
    PGresult *r;
    char *n;
    int rc = 0;

    if (e) {
        *name = e->handle;
        return 0;
    }
    e = store__stmt_cache_take(&s->cache, q->text, q->len, deallocate, s);
    n = e ? malloc(NAME_SIZE) : NULL;
    if (!n) {
        if (e)
            store__stmt_cache_drop(e, deallocate, NULL);
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    snprintf(n, NAME_SIZE, "cmpd_l%llu", (unsigned long long)e->id);
    r = PQprepare(s->conn, n, e->sql, 0, NULL);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = store__pg_error(s, r, "prepare a listing", err);
        free(n);
        store__stmt_cache_drop(e, deallocate, NULL);
    } else {
        e->handle = n;
        *name = n;
    }
    PQclear(r);
    return rc;
}

/* ---- running a query ---- */

/* Run `q` (its statement from the cache; parameters as text in `a`). */
static int run(struct pg_store *s, const struct sql_query *q, struct arena *a, const char *what,
               PGresult **out, struct cmp_error *err)
{
    const char **values;
    const char *name = NULL;
    size_t k;
    int rc;

    if (q->n_params > 65535)
        return cmp_error_set(err, CMP_EBADQUERY, "The query is too complex.");
    values = arena_calloc(a, q->n_params ? q->n_params : 1, sizeof *values);
    if (!values)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (k = 0; k < q->n_params; k++) {
        const struct sql_param *p = &q->params[k];
        switch (p->type) {
        case SQL_PARAM_TEXT:
            values[k] = arena_strndup(a, p->s, p->n);
            break;
        case SQL_PARAM_INT:
            values[k] = arena_sprintf(a, "%lld", (long long)p->i);
            break;
        case SQL_PARAM_NULL:
            values[k] = NULL;
            continue;
        }
        if (!values[k])
            return cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    rc = statement(s, q, &name, err);
    if (rc)
        return rc;
    return store__pg_run(s, name, (int)q->n_params, values, NULL, NULL, false, PGRES_TUPLES_OK,
                         what, out, err);
}

/* Up to req->limit rows of `r` into *out; one more row tells that another page follows. */
static int collect_page(const PGresult *r, const struct store_list_req *req, struct arena *a,
                        struct store_page *out, struct cmp_error *err)
{
    size_t rows = (size_t)PQntuples(r);
    size_t n = rows < req->limit ? rows : req->limit;
    int64_t seq = 0;
    int rc;

    /* The statement asked for one row more than the page: there is a next page. */
    out->more = rows > n;
    if (!n)
        return 0;
    out->items = arena_calloc(a, n, sizeof *out->items);
    if (!out->items)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (; out->n < n; out->n++) {
        rc = store__pg_read_row(r, (int)out->n, a, &out->items[out->n], &seq, err);
        if (rc)
            return rc;
    }
    sql_cursor_of(&out->items[n - 1], seq, req->orderby, req->orderby_count, &out->last);
    return 0;
}

int store__pg_list(struct pg_store *s, const char *tenant, const struct store_list_req *req,
                   struct arena *a, struct store_page *out, struct cmp_error *err)
{
    struct sql_query q;
    PGresult *r = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    rc = sql_partner_list(a, &sql_dialect_postgres, s->list_columns, tenant, req, &q, err);
    rc = rc ? rc : run(s, &q, a, "list partners", &r, err);
    if (rc)
        return rc;
    rc = collect_page(r, req, a, out, err);
    PQclear(r);
    return rc;
}

int store__pg_count(struct pg_store *s, const char *tenant, const struct odata_expr *filter,
                    int64_t *out, struct cmp_error *err)
{
    struct arena *a = arena_new(0);
    struct sql_query q;
    PGresult *r = NULL;
    int rc;

    if (!a)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    rc = sql_partner_count(a, &sql_dialect_postgres, tenant, filter, &q, err);
    rc = rc ? rc : run(s, &q, a, "count partners", &r, err);
    if (!rc) {
        if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0) ||
            str_to_int64(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 0, INT64_MAX, out)) {
            log_error("postgres: unreadable count");
            rc = cmp_error_set(err, CMP_ESTORE, NULL);
        }
        PQclear(r);
    }
    arena_free(a);
    return rc;
}
