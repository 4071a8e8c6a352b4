/*
 * graph/json_out.c - struct graph_partner -> compact JSON, printed straight into the caller's
 * buffer, no tree.
 *
 * The output is a fixed shape, so it is written as fixed pieces straight into the buffer's memory
 * (one capacity check per piece): a member's name with its quotes, colon and leading comma in one
 * copy; a string value looked at eight bytes at a time and copied whole when nothing in it needs
 * an escape (the common case).  No library: yajl's callback per token cost a third of a page of
 * 100 partners.  Strings are checked to be UTF-8 and escaped as yajl escapes them
 * (buf_append_json_escaped), so the bytes are the same as yajl's.
 *
 * Writes are "sticky": the first failure (a buffer past its cap, a string that is not UTF-8, an
 * enum index or target kind out of range) is kept and every later piece is dropped, so writers
 * read as a plain sequence.  On failure the buffer is cut back to where it was.
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
#include "core/json.h"
#include "core/str.h"

struct gen {
    struct buf *b;
    size_t start; /* length of b before this write */
    size_t limit; /* b->len may grow to this without a check: min(b->cap - 1, b->max) */
    int rc;       /* the first failure, or 0 */
};

/* ---- sticky writes ---- */

static void fail(struct gen *w, int rc)
{
    if (!w->rc)
        w->rc = rc;
}

static void set_limit(struct gen *w)
{
    const struct buf *b = w->b;

    if (!b->cap)
        w->limit = 0;
    else
        w->limit = b->cap - 1 < b->max ? b->cap - 1 : b->max;
}

/* Grow the buffer for `n` more bytes: where they go, or NULL (with w->rc set). */
static char *grow(struct gen *w, size_t n)
{
    int rc;

    if (w->rc)
        return NULL;
    rc = buf_reserve(w->b, n);
    if (rc) {
        fail(w, rc);
        return NULL;
    }
    set_limit(w);
    return w->b->data + w->b->len;
}

/*
 * Where `n` more bytes go, or NULL (with w->rc set).  Inline, so that copies of a known size
 * become a few moves.  The caller adds what it wrote to b->len.
 */
static inline char *room(struct gen *w, size_t n)
{
    struct buf *b = w->b;

    if (!w->rc && b->data && n <= w->limit - b->len)
        return b->data + b->len;
    return grow(w, n);
}

static inline void put(struct gen *w, const char *s, size_t n)
{
    char *d = room(w, n);

    if (!d)
        return;
    memcpy(d, s, n);
    w->b->len += n;
}

/* A piece of ours given as a string literal. */
#define PUT(w, lit) put((w), (lit), sizeof(lit) - 1)

/* A string of ours (a property name, an enum member, a type name: nothing to escape). */
static void put_name(struct gen *w, const char *s)
{
    put(w, s, strlen(s));
}

/* ,"name": (no comma before the first member). */
static void put_key(struct gen *w, bool *first, const char *name)
{
    size_t n = strlen(name); /* one of ours: short */
    size_t k = 0;
    char *d = room(w, n + 4);

    if (!d)
        return;
    if (!*first)
        d[k++] = ',';
    d[k++] = '"';
    memcpy(d + k, name, n);
    k += n;
    d[k++] = '"';
    d[k++] = ':';
    w->b->len += k;
    *first = false;
}

/* ---- strings ---- */

/*
 * A quoted JSON string, checked to be UTF-8 when `check`: one copy when every byte stands for
 * itself (the common case), else escaped.
 */
static void put_quoted(struct gen *w, const char *s, bool check)
{
    size_t n = strlen(s);
    bool plain;
    bool ascii;
    char *d;

    plain = json_is_plain(s, n, &ascii);
    if (check && !ascii && !str_is_utf8(s, n)) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    if (!plain) {
        PUT(w, "\"");
        if (!w->rc) {
            fail(w, buf_append_json_escaped(w->b, s, n));
            set_limit(w);
        }
        PUT(w, "\"");
        return;
    }
    if (n > SIZE_MAX - 2) {
        fail(w, CMP_ETOOLARGE);
        return;
    }
    d = room(w, n + 2);
    if (!d)
        return;
    d[0] = '"';
    memcpy(d + 1, s, n);
    d[n + 1] = '"';
    w->b->len += n + 2;
}

static void put_string(struct gen *w, const char *s)
{
    put_quoted(w, s, true);
}

/* A nullable string: NULL is JSON null. */
static void put_nullable(struct gen *w, const char *s)
{
    if (s)
        put_string(w, s);
    else
        PUT(w, "null");
}

static void put_bool(struct gen *w, bool b)
{
    if (b)
        PUT(w, "true");
    else
        PUT(w, "false");
}

static void put_enum(struct gen *w, const struct graph_enum *e, int i)
{
    if (i < 0 || (size_t)i >= e->count) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    PUT(w, "\"");
    put_name(w, e->members[i]);
    PUT(w, "\"");
}

static void gen_begin(struct gen *w, struct buf *out)
{
    w->b = out;
    w->start = out->len;
    w->rc = 0;
    set_limit(w);
}

/* NUL-terminate, or on failure cut the buffer back.  Returns the first failure. */
static int gen_end(struct gen *w)
{
    struct buf *b = w->b;

    if (w->rc)
        b->len = w->start;
    if (b->data)
        b->data[b->len] = '\0';
    return w->rc;
}

/* ---- assignments ---- */

static void write_target(struct gen *w, const struct graph_assignment *as, enum graph_version v)
{
    const struct graph_target_type *t;

    if ((unsigned)as->kind >= GRAPH_TARGET_COUNT) {
        fail(w, CMP_EINTERNAL);
        return;
    }
    t = &graph_target_types[as->kind];
    PUT(w, "{\"target\":{\"@odata.type\":\"#" GRAPH_NS);
    put_name(w, t->name);
    PUT(w, "\"");
    /* Inherited properties first, as OData serialises them (and as the beta docs show). */
    if ((unsigned)v & GRAPH_BETA) {
        PUT(w, ",\"deviceAndAppManagementAssignmentFilterId\":");
        put_nullable(w, as->filter_id);
        PUT(w, ",\"deviceAndAppManagementAssignmentFilterType\":");
        put_enum(w, &graph_enum_filter_type, as->filter_type);
    }
    if (t->id_prop) {
        PUT(w, ",\"");
        put_name(w, t->id_prop);
        PUT(w, "\":");
        put_nullable(w, as->target_id);
    }
    PUT(w, "}}");
}

static void write_assignments(struct gen *w, const struct graph_assignments *l,
                              enum graph_version v)
{
    size_t i;

    PUT(w, "[");
    for (i = 0; i < l->n && !w->rc; i++) {
        if (i)
            PUT(w, ",");
        write_target(w, &l->items[i], v);
    }
    PUT(w, "]");
}

int graph_assignments_write(struct buf *out, const struct graph_assignments *l,
                            enum graph_version v)
{
    struct gen w;

    gen_begin(&w, out);
    write_assignments(&w, l, v);
    return gen_end(&w);
}

/* ---- the entity ---- */

static void write_value(struct gen *w, const struct graph_prop *prop, const struct graph_partner *p,
                        enum graph_version v)
{
    const void *src = (const char *)p + prop->offset;

    if (prop->flags & PROP_KEY) {
        put_string(w, p->id); /* the key is an array in the struct, not a pointer */
        return;
    }
    switch (prop->type) {
    case EDM_STRING:
        put_nullable(w, *(const char *const *)src);
        break;
    case EDM_DATETIMEOFFSET:
        put_string(w,
                   *(const char *const *)src ? *(const char *const *)src : GRAPH_DEFAULT_HEARTBEAT);
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
    bool first = true;
    size_t i;

    gen_begin(&w, out);
    PUT(&w, "{");
    if (context) {
        put_key(&w, &first, "@odata.context");
        put_string(&w, context);
    }
    if (selects_all(select, v)) {
        put_key(&w, &first, "@odata.type");
        PUT(&w, "\"#" GRAPH_PARTNER_TYPE "\"");
    }
    for (i = 0; i < GRAPH_P_COUNT && !w.rc; i++) {
        const struct graph_prop *prop = &graph_partner_props[i];
        if (!(prop->versions & (unsigned)v))
            continue;
        /* Graph returns the key whatever $select says. */
        if (!(prop->flags & PROP_KEY) && !(select & GRAPH_PROP_BIT(prop->id)))
            continue;
        put_key(&w, &first, prop->name);
        write_value(&w, prop, p, v);
    }
    PUT(&w, "}");
    return gen_end(&w);
}

/* ---- collections ---- */

int graph_collection_begin(struct buf *out, const char *context, int64_t count,
                           const char *next_link)
{
    struct gen w;
    bool first = true;
    char num[24];

    gen_begin(&w, out);
    PUT(&w, "{");
    /* The URLs are escaped but not checked: they hold what the client sent. */
    if (context) {
        put_key(&w, &first, "@odata.context");
        put_quoted(&w, context, false);
    }
    if (count >= 0) {
        put_key(&w, &first, "@odata.count");
        put(&w, num, (size_t)snprintf(num, sizeof num, "%" PRId64, count));
    }
    if (next_link) {
        put_key(&w, &first, "@odata.nextLink");
        put_quoted(&w, next_link, false);
    }
    put_key(&w, &first, "value");
    PUT(&w, "[");
    return gen_end(&w);
}

int graph_collection_end(struct buf *out)
{
    return buf_puts(out, "]}");
}
