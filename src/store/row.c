/*
 * store/row.c - the partner row both SQL backends store (row.h).
 *
 * Reading a page decodes three assignment collections per row, so the text cmpd itself stores is
 * decoded here by matching it piece by piece (decode_stored); anything else - text written by
 * hand, by an older cmpd, or with escapes in a string - goes to the general parser of
 * graph/json_in.c, which also says what is wrong with a damaged row.
 */
#include "store/row.h"

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "graph/json_in.h"
#include "graph/json_out.h"
#include "graph/model.h"

/* Collections longer than this take the general parser. */
#define ROW_FAST_ITEMS 8

int store__row_columns(struct buf *b, int (*put)(struct buf *b, const char *column, void *ctx),
                       void *ctx)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < GRAPH_P_COUNT && !rc; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if (p->id == GRAPH_P_ID)
            continue;
        if (p->type == EDM_DATETIMEOFFSET)
            rc = put(b, STORE_HEARTBEAT_TEXT, ctx);
        if (!rc)
            rc = put(b, p->column, ctx);
    }
    return rc;
}

int store__row_write_assignments(struct buf *b, const struct graph_assignments *l,
                                 const char *backend, struct cmp_error *err)
{
    int rc = graph_assignments_write(b, l, GRAPH_BETA);

    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    if (rc) {
        log_error("%s: an assignment collection cannot be stored (error %d)", backend, rc);
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    return 0;
}

int store__row_corrupt(const char *backend, const char *what, struct cmp_error *err)
{
    log_error("%s: unreadable partner row: %s", backend, what);
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

/* ---- the stored form, decoded piece by piece ---- */

struct cursor {
    const char *p;
    const char *end;
};

/* Consume `n` bytes equal to `s`. */
static bool take(struct cursor *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

#define TAKE(c, lit) take((c), (lit), sizeof(lit) - 1)

/*
 * The rest of a string whose opening quote was taken, up to and past its closing quote: *s points
 * into the text, *n is its length.  false for an escape, a control character or bad UTF-8.
 */
static bool take_rest_of_string(struct cursor *c, const char **s, size_t *n)
{
    const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
    bool ascii;

    if (!q || !json_is_plain(c->p, (size_t)(q - c->p), &ascii) ||
        (!ascii && !str_is_utf8(c->p, (size_t)(q - c->p))))
        return false;
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q + 1;
    return true;
}

/* A string value or null; a string's bytes stay in the text for now. */
struct span {
    const char *s; /* NULL: null */
    size_t n;
};

static bool take_nullable(struct cursor *c, struct span *out)
{
    out->s = NULL;
    out->n = 0;
    if (TAKE(c, "null"))
        return true;
    return TAKE(c, "\"") && take_rest_of_string(c, &out->s, &out->n);
}

/*
 * Consume `name` and the closing quote after it.  Matching the names a string may hold skips
 * scanning it for escapes first.
 */
static bool take_name(struct cursor *c, const char *name)
{
    size_t n;

    if (c->p == c->end || *c->p != *name) /* most names differ at once */
        return false;
    n = strlen(name);
    if ((size_t)(c->end - c->p) <= n || c->p[n] != '"' || memcmp(c->p, name, n) != 0)
        return false;
    c->p += n + 1;
    return true;
}

struct stored_item {
    int kind;
    int filter_type;
    struct span target_id;
    struct span filter_id;
};

/* One {"target":{…}} as graph_assignments_write(GRAPH_BETA) writes it. */
static bool take_item(struct cursor *c, struct stored_item *it)
{
    const struct graph_target_type *t;

    if (!TAKE(c, "{\"target\":{\"@odata.type\":\"#" GRAPH_NS))
        return false;
    for (it->kind = 0; it->kind < GRAPH_TARGET_COUNT; it->kind++)
        if (take_name(c, graph_target_types[it->kind].name))
            break;
    if (it->kind == GRAPH_TARGET_COUNT ||
        !TAKE(c, ",\"deviceAndAppManagementAssignmentFilterId\":") ||
        !take_nullable(c, &it->filter_id) ||
        !TAKE(c, ",\"deviceAndAppManagementAssignmentFilterType\":\""))
        return false;
    for (it->filter_type = 0; (size_t)it->filter_type < graph_enum_filter_type.count;
         it->filter_type++)
        if (take_name(c, graph_enum_filter_type.members[it->filter_type]))
            break;
    if ((size_t)it->filter_type == graph_enum_filter_type.count)
        return false;
    t = &graph_target_types[it->kind];
    it->target_id.s = NULL;
    it->target_id.n = 0;
    if (t->id_prop && (!TAKE(c, ",\"") || !take(c, t->id_prop, strlen(t->id_prop)) ||
                       !TAKE(c, "\":") || !take_nullable(c, &it->target_id)))
        return false;
    return TAKE(c, "}}");
}

/* Copy a span after *at (NUL-terminated); NULL for null. */
static const char *place(char **at, const struct span *sp)
{
    char *s = *at;

    if (!sp->s)
        return NULL;
    memcpy(s, sp->s, sp->n);
    s[sp->n] = '\0';
    *at += sp->n + 1;
    return s;
}

/*
 * Decode `text` if it is exactly what graph_assignments_write(GRAPH_BETA) writes, with at most
 * ROW_FAST_ITEMS items and no escapes, into one arena allocation (the items, then their strings).
 * 0, CMP_ENOMEM, or 1 when the text is anything else (nothing allocated).
 */
static int decode_stored(struct arena *a, const char *text, size_t n, struct graph_assignments *out)
{
    struct stored_item items[ROW_FAST_ITEMS];
    struct cursor c = {text, text + n};
    size_t count = 0;
    size_t strings = 0;
    size_t i;
    char *at;

    if (!TAKE(&c, "["))
        return 1;
    while (!TAKE(&c, "]")) {
        if (count == ROW_FAST_ITEMS || (count && !TAKE(&c, ",")) || !take_item(&c, &items[count]))
            return 1;
        strings += (items[count].target_id.s ? items[count].target_id.n + 1 : 0) +
                   (items[count].filter_id.s ? items[count].filter_id.n + 1 : 0);
        count++;
    }
    if (c.p != c.end)
        return 1;
    out->n = count;
    out->items = NULL;
    if (!count)
        return 0;
    /* The strings are shorter than the text, so the sum cannot overflow. */
    out->items = arena_alloc(a, count * sizeof *out->items + strings);
    if (!out->items)
        return CMP_ENOMEM;
    at = (char *)(out->items + count);
    for (i = 0; i < count; i++) {
        out->items[i].kind = (enum graph_target_kind)items[i].kind;
        out->items[i].filter_type = items[i].filter_type;
        out->items[i].target_id = place(&at, &items[i].target_id);
        out->items[i].filter_id = place(&at, &items[i].filter_id);
    }
    return 0;
}

/* ---- reading ---- */

/* Text in any other form: the general parser (and its message for a damaged row). */
static int parse_other(struct arena *a, const char *text, size_t n, const char *column,
                       const char *backend, struct graph_assignments *out, struct cmp_error *err)
{
    struct cmp_error perr = {0};

    if (graph_assignments_parse(a, text, n, out, &perr)) {
        /* graph_assignments_parse() has logged what is wrong with the text. */
        if (perr.code == CMP_ENOMEM)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        return store__row_corrupt(backend, column, err);
    }
    return 0;
}

int store__row_read_assignments(struct arena *a, const char *text, size_t n, const char *column,
                                const char *backend, struct graph_assignments *out,
                                struct cmp_error *err)
{
    int rc;

    if (!text)
        return store__row_corrupt(backend, column, err);
    rc = decode_stored(a, text, n, out);
    if (rc == 0)
        return 0;
    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    return parse_other(a, text, n, column, backend, out, err);
}