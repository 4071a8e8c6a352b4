/*
 * store/sqlite/sqlite_row.c - partner rows of the SQLite backend: the column lists built from the
 * model table (graph_partner_props), binding a partner's values and reading a row back.
 *
 * The columns bound and read are, by construction, those the schema (sqlite_schema.c) declares:
 * one per model property but id, and lastHeartbeatDateTime twice (its text as the client sent it,
 * and its ticks for comparing).  Assignment collections are stored as JSON text in the beta shape
 * (graph/json_out.c) and parsed back on read (graph/json_in.c).
 */
#include <sqlite3.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "store/row.h"
#include "store/sqlite/sqlite_impl.h"

static int put_column(struct buf *b, const char *column, void *suffix)
{
    return buf_printf(b, "%s%s, ", column, (const char *)suffix);
}

static int put_param(struct buf *b, const char *column, void *ctx)
{
    (void)column, (void)ctx;
    return buf_puts(b, "?, ");
}

int store__sqlite_value_columns(struct buf *b, const char *suffix)
{
    return store__row_columns(b, put_column, (void *)suffix);
}

int store__sqlite_value_params(struct buf *b)
{
    return store__row_columns(b, put_param, NULL);
}

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
    rc = store__row_write_assignments(&s->json, l, "sqlite", err);
    if (rc)
        return rc;
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

int store__sqlite_bind_values(struct sqlite_store *s, sqlite3_stmt *st, int first,
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

static int corrupt(const char *what, struct cmp_error *err)
{
    return store__row_corrupt("sqlite", what, err);
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
        text = (const char *)sqlite3_column_text(st, *col);
        n = sqlite3_column_bytes(st, (*col)++);
        return store__row_read_assignments(a, text, (size_t)n, prop->column, "sqlite", v, err);
    }
    return corrupt(prop->column, err);
}

int store__sqlite_read_row(sqlite3_stmt *st, struct arena *a, struct graph_partner *p, int64_t *seq,
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
