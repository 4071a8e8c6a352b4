/*
 * graph/json_out.c - struct graph_partner -> compact JSON with yajl's generator, no tree.
 *
 * The generator prints straight into the caller's buffer.  Its calls go through small "sticky"
 * helpers: the first failure (a buffer past its cap, a string yajl refuses as invalid UTF-8, an
 * enum index out of range) is kept and every later call does nothing, so writers read as a plain
 * sequence.  On failure the buffer is cut back to where it was.
 *
 * A target is written as {"@odata.type":"#microsoft.graph.<type>"
 * [,"deviceAndAppManagementAssignmentFilterId":…,"deviceAndAppManagementAssignmentFilterType":…]
 * [,"<groupId|collectionId>":…]}: the base type's two beta properties, then the subtype's own id
 * property (when it has one).  An assignment itself carries no "@odata.type" (spec 3.4 response).
 */
#include "graph/json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "core/buf.h"
#include "core/err.h"

struct gen {
    yajl_gen g;
    struct buf *b;
    size_t start; /* length of b before this write */
    int rc;       /* the first failure, or 0 */
};

/* ---- sticky generator calls ---- */

static void print_cb(void *ctx, const char *s, size_t n)
{
    struct gen *w = ctx;

    if (!w->rc)
        w->rc = buf_append(w->b, s, n);
}

static void check(struct gen *w, yajl_gen_status st)
{
    if (st != yajl_gen_status_ok && !w->rc)
        w->rc = CMP_EINTERNAL;
}

static void put_strn(struct gen *w, const char *s, size_t n)
{
    if (!w->rc)
        check(w, yajl_gen_string(w->g, (const unsigned char *)s, n));
}

static void put_str(struct gen *w, const char *s)
{
    put_strn(w, s, strlen(s));
}

/* A nullable string: NULL is JSON null. */
static void put_nullable(struct gen *w, const char *s)
{
    if (s)
        put_str(w, s);
    else if (!w->rc)
        check(w, yajl_gen_null(w->g));
}

static void put_bool(struct gen *w, bool b)
{
    if (!w->rc)
        check(w, yajl_gen_bool(w->g, b));
}

static void put_enum(struct gen *w, const struct graph_enum *e, int i)
{
    if (i < 0 || (size_t)i >= e->count) {
        if (!w->rc)
            w->rc = CMP_EINTERNAL;
        return;
    }
    put_str(w, e->members[i]);
}

static void open_map(struct gen *w)
{
    if (!w->rc)
        check(w, yajl_gen_map_open(w->g));
}

static void close_map(struct gen *w)
{
    if (!w->rc)
        check(w, yajl_gen_map_close(w->g));
}

static void open_array(struct gen *w)
{
    if (!w->rc)
        check(w, yajl_gen_array_open(w->g));
}

static void close_array(struct gen *w)
{
    if (!w->rc)
        check(w, yajl_gen_array_close(w->g));
}

static int gen_begin(struct gen *w, struct buf *out)
{
    w->b = out;
    w->start = out->len;
    w->rc = 0;
    w->g = yajl_gen_alloc(NULL);
    if (!w->g)
        return CMP_ENOMEM;
    if (!yajl_gen_config(w->g, yajl_gen_print_callback, print_cb, w) ||
        !yajl_gen_config(w->g, yajl_gen_validate_utf8, 1)) {
        yajl_gen_free(w->g);
        return CMP_EINTERNAL;
    }
    return 0;
}

/* Release the generator; on failure cut the buffer back.  Returns the first failure. */
static int gen_end(struct gen *w)
{
    yajl_gen_free(w->g);
    if (w->rc) {
        w->b->len = w->start;
        if (w->b->data)
            w->b->data[w->start] = '\0';
    }
    return w->rc;
}

/* ---- assignments ---- */

static void write_target(struct gen *w, const struct graph_assignment *as, enum graph_version v)
{
    const struct graph_target_type *t;
    char type[96];

    if ((unsigned)as->kind >= GRAPH_TARGET_COUNT) {
        if (!w->rc)
            w->rc = CMP_EINTERNAL;
        return;
    }
    t = &graph_target_types[as->kind];
    snprintf(type, sizeof type, "#" GRAPH_NS "%s", t->name);
    open_map(w);
    put_str(w, "@odata.type");
    put_str(w, type);
    /* Inherited properties first, as OData serialises them (and as the beta docs show). */
    if ((unsigned)v & GRAPH_BETA) {
        put_str(w, "deviceAndAppManagementAssignmentFilterId");
        put_nullable(w, as->filter_id);
        put_str(w, "deviceAndAppManagementAssignmentFilterType");
        put_enum(w, &graph_enum_filter_type, as->filter_type);
    }
    if (t->id_prop) {
        put_str(w, t->id_prop);
        put_nullable(w, as->target_id);
    }
    close_map(w);
}

static void write_assignments(struct gen *w, const struct graph_assignments *l,
                              enum graph_version v)
{
    size_t i;

    open_array(w);
    for (i = 0; i < l->n; i++) {
        open_map(w);
        put_str(w, "target");
        write_target(w, &l->items[i], v);
        close_map(w);
    }
    close_array(w);
}

int graph_assignments_write(struct buf *out, const struct graph_assignments *l,
                            enum graph_version v)
{
    struct gen w;
    int rc = gen_begin(&w, out);

    if (rc)
        return rc;
    write_assignments(&w, l, v);
    return gen_end(&w);
}

/* ---- the entity ---- */

static void write_value(struct gen *w, const struct graph_prop *prop, const struct graph_partner *p,
                        enum graph_version v)
{
    const void *src = (const char *)p + prop->offset;

    if (prop->flags & PROP_KEY) {
        put_str(w, p->id); /* the key is an array in the struct, not a pointer */
        return;
    }
    switch (prop->type) {
    case EDM_STRING:
        put_nullable(w, *(const char *const *)src);
        break;
    case EDM_DATETIMEOFFSET:
        put_str(w, *(const char *const *)src ? *(const char *const *)src : GRAPH_DEFAULT_HEARTBEAT);
        break;
    case EDM_ENUM:
        put_enum(w, prop->enums, *(const int *)src);
        break;
    case EDM_BOOLEAN:
        put_bool(w, *(const bool *)src);
        break;
    case EDM_ASSIGNMENTS:
        write_assignments(w, src, v);
        break;
    }
}

/* Does `select` hold every property that exists in version `v`? */
static bool selects_all(uint32_t select, enum graph_version v)
{
    uint32_t all = 0;
    size_t i;

    for (i = 0; i < GRAPH_P_COUNT; i++)
        if (graph_partner_props[i].versions & (unsigned)v)
            all |= GRAPH_PROP_BIT(graph_partner_props[i].id);
    return (select & all) == all;
}

int graph_partner_write(struct buf *out, const struct graph_partner *p, enum graph_version v,
                        uint32_t select, const char *context)
{
    struct gen w;
    size_t i;
    int rc = gen_begin(&w, out);

    if (rc)
        return rc;
    open_map(&w);
    if (context) {
        put_str(&w, "@odata.context");
        put_str(&w, context);
    }
    if (selects_all(select, v)) {
        put_str(&w, "@odata.type");
        put_str(&w, "#" GRAPH_PARTNER_TYPE);
    }
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *prop = &graph_partner_props[i];
        if (!(prop->versions & (unsigned)v))
            continue;
        /* Graph returns the key whatever $select says. */
        if (!(prop->flags & PROP_KEY) && !(select & GRAPH_PROP_BIT(prop->id)))
            continue;
        put_str(&w, prop->name);
        write_value(&w, prop, p, v);
    }
    close_map(&w);
    return gen_end(&w);
}

/* ---- collections ---- */

/* Append ,"key":"value" (no comma for the first member), the value JSON-escaped. */
static int put_member(struct buf *out, bool *first, const char *key, const char *value)
{
    int rc = buf_puts(out, *first ? "\"" : ",\"");

    *first = false;
    if (!rc)
        rc = buf_puts(out, key);
    if (!rc)
        rc = buf_puts(out, "\":\"");
    if (!rc)
        rc = buf_append_json_escaped(out, value, strlen(value));
    if (!rc)
        rc = buf_putc(out, '"');
    return rc;
}

int graph_collection_begin(struct buf *out, const char *context, int64_t count,
                           const char *next_link)
{
    size_t start = out->len;
    bool first = true;
    int rc = buf_putc(out, '{');

    if (!rc && context)
        rc = put_member(out, &first, "@odata.context", context);
    if (!rc && count >= 0) {
        rc = buf_printf(out, "%s\"@odata.count\":%" PRId64, first ? "" : ",", count);
        first = false;
    }
    if (!rc && next_link)
        rc = put_member(out, &first, "@odata.nextLink", next_link);
    if (!rc)
        rc = buf_puts(out, first ? "\"value\":[" : ",\"value\":[");
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

int graph_collection_end(struct buf *out)
{
    return buf_puts(out, "]}");
}
