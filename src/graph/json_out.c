/*
 * graph/json_out.c - struct graph_partner -> compact JSON, printed straight into the caller's
 * buffer, no tree.
 *
 * A small generator of our own (no library: the output is a fixed shape of maps, arrays, strings,
 * booleans and null, and yajl's callback per token cost a third of a page of 100 partners): it
 * tracks, per open map or array, how many tokens it holds, to put the ',' and ':' between them.
 * Strings are checked to be UTF-8 and escaped as yajl escapes them (buf_append_json_escaped), so
 * the bytes are the same as before.  Its calls are "sticky": the first failure (a buffer past its
 * cap, a string that is not UTF-8, an enum index out of range, nesting past GEN_MAX_DEPTH) is kept
 * and every later call does nothing, so writers read as a plain sequence.  On failure the buffer
 * is cut back to where it was.
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

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#define GEN_MAX_DEPTH 8

struct gen {
    struct buf *b;
    size_t start; /* length of b before this write */
    int rc;       /* the first failure, or 0 */
    int depth;    /* open maps and arrays */
    bool map[GEN_MAX_DEPTH];
    size_t count[GEN_MAX_DEPTH]; /* tokens in it so far (a map's keys and values both count) */
};

/* ---- sticky generator calls ---- */

static void fail(struct gen *w, int rc)
{
    if (!w->rc)
        w->rc = rc;
}

static void emit(struct gen *w, const char *s, size_t n)
{
    struct buf *b = w->b;

    if (w->rc)
        return;
    if (b->len + n < b->cap && b->len + n <= b->max) { /* room (and for the NUL): no call */
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    w->rc = buf_append(b, s, n);
}

/* The separator a new token needs: ',' between members or items, ':' after a key. */
static void separate(struct gen *w)
{
    size_t n;

    if (w->rc || w->depth == 0)
        return;
    n = w->count[w->depth - 1]++;
    if (n == 0)
        return;
    if (w->map[w->depth - 1])
        emit(w, n % 2 ? ":" : ",", 1);
    else
        emit(w, ",", 1);
}

static void put_strn(struct gen *w, const char *s, size_t n)
{
    if (w->rc)
        return;
    if (!str_is_utf8(s, n)) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    separate(w);
    emit(w, "\"", 1);
    if (!w->rc)
        w->rc = buf_append_json_escaped(w->b, s, n);
    emit(w, "\"", 1);
}

static void put_str(struct gen *w, const char *s)
{
    put_strn(w, s, strlen(s));
}

/* A string of ours (a property name, an enum member: ASCII, nothing to escape). */
static void put_lit(struct gen *w, const char *s)
{
    separate(w);
    emit(w, "\"", 1);
    emit(w, s, strlen(s));
    emit(w, "\"", 1);
}

/* A nullable string: NULL is JSON null. */
static void put_nullable(struct gen *w, const char *s)
{
    if (s) {
        put_str(w, s);
        return;
    }
    separate(w);
    emit(w, "null", 4);
}

static void put_bool(struct gen *w, bool b)
{
    separate(w);
    emit(w, b ? "true" : "false", b ? 4 : 5);
}

static void put_enum(struct gen *w, const struct graph_enum *e, int i)
{
    if (i < 0 || (size_t)i >= e->count) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    put_lit(w, e->members[i]);
}

static void open_container(struct gen *w, bool map)
{
    if (w->rc)
        return;
    if (w->depth == GEN_MAX_DEPTH) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    separate(w);
    emit(w, map ? "{" : "[", 1);
    w->map[w->depth] = map;
    w->count[w->depth] = 0;
    w->depth++;
}

static void close_container(struct gen *w, bool map)
{
    if (w->rc)
        return;
    if (w->depth == 0 || w->map[w->depth - 1] != map || (map && w->count[w->depth - 1] % 2)) {
        fail(w, CMP_EINTERNAL); /* a writer bug: closed the wrong thing, or a key without value */
        return;
    }
    w->depth--;
    emit(w, map ? "}" : "]", 1);
}

static void open_map(struct gen *w)
{
    open_container(w, true);
}

static void close_map(struct gen *w)
{
    close_container(w, true);
}

static void open_array(struct gen *w)
{
    open_container(w, false);
}

static void close_array(struct gen *w)
{
    close_container(w, false);
}

static int gen_begin(struct gen *w, struct buf *out)
{
    w->b = out;
    w->start = out->len;
    w->rc = 0;
    w->depth = 0;
    return 0;
}

/* On failure cut the buffer back.  Returns the first failure. */
static int gen_end(struct gen *w)
{
    if (!w->rc && w->depth != 0)
        w->rc = CMP_EINTERNAL;
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

    if ((unsigned)as->kind >= GRAPH_TARGET_COUNT) {
        if (!w->rc)
            w->rc = CMP_EINTERNAL;
        return;
    }
    t = &graph_target_types[as->kind];
    open_map(w);
    put_lit(w, "@odata.type");
    separate(w);
    emit(w, "\"#" GRAPH_NS, sizeof "\"#" GRAPH_NS - 1);
    emit(w, t->name, strlen(t->name));
    emit(w, "\"", 1);
    /* Inherited properties first, as OData serialises them (and as the beta docs show). */
    if ((unsigned)v & GRAPH_BETA) {
        put_lit(w, "deviceAndAppManagementAssignmentFilterId");
        put_nullable(w, as->filter_id);
        put_lit(w, "deviceAndAppManagementAssignmentFilterType");
        put_enum(w, &graph_enum_filter_type, as->filter_type);
    }
    if (t->id_prop) {
        put_lit(w, t->id_prop);
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
        put_lit(w, "target");
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
        put_lit(&w, "@odata.context");
        put_str(&w, context);
    }
    if (selects_all(select, v)) {
        put_lit(&w, "@odata.type");
        put_lit(&w, "#" GRAPH_PARTNER_TYPE);
    }
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *prop = &graph_partner_props[i];
        if (!(prop->versions & (unsigned)v))
            continue;
        /* Graph returns the key whatever $select says. */
        if (!(prop->flags & PROP_KEY) && !(select & GRAPH_PROP_BIT(prop->id)))
            continue;
        put_lit(&w, prop->name);
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
