/*
 * store/postgres/postgres_row.c - partner rows of the PostgreSQL backend: the column lists built
 * from the model table (graph_partner_props), a partner's values as text parameters, and reading
 * a row (text results) back into exactly what the SQLite backend produces.
 *
 * The columns sent and read are, by construction, those the schema (postgres_schema.c) declares:
 * one per model property but id, and lastHeartbeatDateTime twice (its text as the client sent it,
 * and its ticks for comparing).  Booleans are boolean columns, enums integers, assignment
 * collections text holding the same JSON (beta shape, graph/json_out.c) that SQLite stores.
 */
#include <libpq-fe.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "store/postgres/postgres_impl.h"
#include "store/row.h"

static int put_column(struct buf *b, const char *column, void *ctx)
{
    int *k = ctx;

    if (!k)
        return buf_printf(b, "%s, ", column);
    return buf_printf(b, "%s = $%d, ", column, (*k)++);
}

static int put_param(struct buf *b, const char *column, void *ctx)
{
    int *k = ctx;

    (void)column;
    return buf_printf(b, "$%d, ", (*k)++);
}

int store__pg_value_columns(struct buf *b, int *k)
{
    return store__row_columns(b, put_column, k);
}

int store__pg_value_params(struct buf *b, int *k)
{
    return store__row_columns(b, put_param, k);
}

static const void *cfield(const struct graph_partner *p, const struct graph_prop *prop)
{
    return (const char *)p + prop->offset;
}

/* Append collection `l` as JSON text and a NUL to s->json; *off gets where it starts. */
static int write_assignments(struct pg_store *s, const struct graph_assignments *l, size_t *off,
                             struct cmp_error *err)
{
    int rc;

    *off = s->json.len;
    rc = store__row_write_assignments(&s->json, l, "postgres", err);
    if (!rc && buf_append(&s->json, "", 1))
        rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    return rc;
}

int store__pg_param_values(struct pg_store *s, struct store__pg_params *params,
                           const struct graph_partner *p, struct cmp_error *err)
{
    /* Where each collection's text starts in s->json, and its parameter: s->json may move while
     * it grows, so the pointers are taken at the end. */
    size_t off[GRAPH_P_COUNT];
    int at[GRAPH_P_COUNT];
    size_t n_json = 0;
    size_t k;
    int rc = 0;

    buf_reset(&s->json);
    for (k = 0; k < GRAPH_P_COUNT && !rc; k++) {
        const struct graph_prop *prop = &graph_partner_props[k];
        const void *v = cfield(p, prop);
        switch (prop->type) {
        case EDM_STRING:
            if (prop->id != GRAPH_P_ID)
                store__pg_param(params, *(const char *const *)v);
            break;
        case EDM_DATETIMEOFFSET:
            store__pg_param(params,
                            p->last_heartbeat ? p->last_heartbeat : GRAPH_DEFAULT_HEARTBEAT);
            store__pg_param_int(params, p->last_heartbeat_ticks);
            break;
        case EDM_ENUM:
            store__pg_param_int(params, *(const int *)v);
            break;
        case EDM_BOOLEAN:
            store__pg_param(params, *(const bool *)v ? "true" : "false");
            break;
        case EDM_ASSIGNMENTS:
            at[n_json] = params->n;
            rc = write_assignments(s, v, &off[n_json++], err);
            store__pg_param(params, NULL);
            break;
        }
    }
    for (k = 0; k < n_json && !rc; k++)
        params->v[at[k]] = s->json.data + off[k];
    return rc;
}

static int corrupt(const char *what, struct cmp_error *err)
{
    return store__row_corrupt("postgres", what, err);
}

/* A non-null integer column in [min, max]. */
static int read_int(const PGresult *r, int row, int col, int64_t min, int64_t max, int64_t *out)
{
    if (PQgetisnull(r, row, col))
        return CMP_ESTORE;
    if (str_to_int64(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col), min, max, out))
        return CMP_ESTORE;
    return 0;
}

/* A text column into the arena; NULL for SQL NULL. */
static int read_text(const PGresult *r, int row, int col, struct arena *a, const char **out,
                     struct cmp_error *err)
{
    if (PQgetisnull(r, row, col)) {
        *out = NULL;
        return 0;
    }
    *out = arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
    return *out ? 0 : cmp_error_set(err, CMP_ENOMEM, NULL);
}

/* Read one property's column(s) from *col on, advancing *col. */
static int read_prop(const PGresult *r, int row, int *col, struct arena *a,
                     const struct graph_prop *prop, struct graph_partner *p, struct cmp_error *err)
{
    void *v = (char *)p + prop->offset;
    const char *text;
    size_t n;
    int64_t i;

    switch (prop->type) {
    case EDM_STRING:
        return read_text(r, row, (*col)++, a, (const char **)v, err);
    case EDM_DATETIMEOFFSET:
        if (PQgetisnull(r, row, *col))
            return corrupt(STORE_HEARTBEAT_TEXT, err);
        if (read_text(r, row, (*col)++, a, &p->last_heartbeat, err))
            return CMP_ENOMEM;
        if (read_int(r, row, (*col)++, INT64_MIN, INT64_MAX, &p->last_heartbeat_ticks))
            return corrupt(prop->column, err);
        return 0;
    case EDM_ENUM:
        if (read_int(r, row, (*col)++, 0, (int64_t)prop->enums->count - 1, &i))
            return corrupt(prop->column, err);
        *(int *)v = (int)i;
        return 0;
    case EDM_BOOLEAN:
        if (PQgetisnull(r, row, *col))
            return corrupt(prop->column, err);
        *(bool *)v = PQgetvalue(r, row, (*col)++)[0] == 't';
        return 0;
    case EDM_ASSIGNMENTS:
        text = PQgetisnull(r, row, *col) ? NULL : PQgetvalue(r, row, *col);
        n = (size_t)PQgetlength(r, row, (*col)++);
        return store__row_read_assignments(a, text, n, prop->column, "postgres", v, err);
    }
    return corrupt(prop->column, err);
}

int store__pg_read_row(const PGresult *r, int row, struct arena *a, struct graph_partner *p,
                       int64_t *seq, struct cmp_error *err)
{
    size_t k;
    int col = 0;
    int rc = 0;
    int n;

    memset(p, 0, sizeof *p);
    for (k = 0; k < GRAPH_P_COUNT && !rc; k++)
        if (graph_partner_props[k].id != GRAPH_P_ID)
            rc = read_prop(r, row, &col, a, &graph_partner_props[k], p, err);
    if (rc)
        return rc;
    if (read_int(r, row, col++, INT64_MIN, INT64_MAX, seq))
        return corrupt("seq", err);
    n = PQgetlength(r, row, col);
    if (PQgetisnull(r, row, col) || n <= 0 || (size_t)n >= sizeof p->id)
        return corrupt("id", err);
    memcpy(p->id, PQgetvalue(r, row, col), (size_t)n);
    p->id[n] = '\0';
    /* Every property of a stored partner has a value. */
    p->present = GRAPH_ALL_PROPS;
    return 0;
}
