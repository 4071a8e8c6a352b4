/*
 * api/partners.c - the complianceManagementPartner operations (spec section 3).
 *
 * Each handler decodes what it needs, makes one store call and writes the body; errors travel
 * back as CMP_E* codes with the detail in r->err.  A write is acknowledged only after the store
 * reported it committed: the write handlers build a store_write and finish in a `resume` step
 * once it ran, so that the HTTP layer can queue it for a group commit (api.h, defer_writes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/uuid.h"
#include "graph/json_in.h"
#include "graph/json_out.h"
#include "odata/odata.h"
#include "odata/paging.h"
#include "store/store.h"

/* ---- response pieces ---- */

/* {root}/{v}/$metadata#deviceManagement/complianceManagementPartners[(select)][/$entity] */
static const char *context_url(struct api_request *r, const struct odata_query *q, bool entity)
{
    const char *sel = q && q->select_text ? q->select_text : NULL;

    return arena_sprintf(r->arena, "%s/%s/$metadata#" API_COLLECTION_PATH "%s%s%s%s",
                         api_context_root(r), r->version_name, sel ? "(" : "", sel ? sel : "",
                         sel ? ")" : "", entity ? "/$entity" : "");
}

static int write_entity(struct api_request *r, const struct graph_partner *p, uint32_t select,
                        const char *ctx, int status)
{
    if (!ctx)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    r->status = status;
    r->content_type = API_CT_ODATA;
    return graph_partner_write(r->out, p, r->version, select, ctx);
}

/* ---- paging ---- */

/* Is the raw query parameter (n bytes) a $skiptoken (or, on beta, skiptoken)? */
static bool is_skiptoken_param(const struct api_request *r, const char *p, size_t n)
{
    size_t name = 0;

    while (name < n && p[name] != '=')
        name++;
    if (str_eq_ci(p, name, "$skiptoken") || str_eq_ci(p, name, "%24skiptoken"))
        return true;
    return r->version == GRAPH_BETA && str_eq_ci(p, name, "skiptoken");
}

/* The nextLink: the request's own query options, verbatim, with a new $skiptoken. */
static const char *next_link(struct api_request *r, const char *token)
{
    struct buf b;
    const char *p = r->query;
    const char *end = r->query + r->query_len;
    char *out = NULL;
    int rc;

    buf_init(&b, 1 << 20);
    rc = buf_printf(&b, "%s/%s/" API_COLLECTION_PATH "?", r->base_url, r->version_name);
    while (!rc && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop > p && !is_skiptoken_param(r, p, (size_t)(stop - p))) {
            rc = buf_append(&b, p, (size_t)(stop - p));
            if (!rc)
                rc = buf_putc(&b, '&');
        }
        p = stop + 1;
    }
    if (!rc)
        rc = buf_printf(&b, "$skiptoken=%s", token);
    if (!rc)
        out = arena_strndup(r->arena, b.data, b.len);
    buf_fini(&b);
    return out;
}

/* Read the request's $skiptoken into *after; the token must fit this query's $orderby. */
static int read_cursor(struct api_request *r, const struct odata_query *q, const char *binding,
                       struct store_cursor *after)
{
    struct odata_position pos;
    size_t i;
    int rc = odata_skiptoken_read(r->arena, r->paging_key, binding, q->skiptoken,
                                  strlen(q->skiptoken), &pos, r->err);

    if (rc)
        return rc;
    if (pos.key_count != q->orderby_count)
        return cmp_error_set(r->err, CMP_EBADQUERY, "The $skiptoken is invalid.");
    memset(after, 0, sizeof *after);
    for (i = 0; i < pos.key_count; i++)
        after->keys[i] = pos.keys[i];
    after->key_count = pos.key_count;
    after->seq = pos.seq;
    return 0;
}

static int make_next_link(struct api_request *r, const char *binding, const struct store_page *page,
                          const char **out)
{
    struct odata_position pos;
    char *token;
    size_t i;
    int rc;

    memset(&pos, 0, sizeof pos);
    for (i = 0; i < page->last.key_count; i++)
        pos.keys[i] = page->last.keys[i];
    pos.key_count = page->last.key_count;
    pos.seq = page->last.seq;
    rc = odata_skiptoken_make(r->arena, r->paging_key, binding, &pos, &token, r->err);
    if (rc)
        return rc;
    *out = next_link(r, token);
    return *out ? 0 : cmp_error_set(r->err, CMP_ENOMEM, NULL);
}

/* ---- handlers ---- */

static int write_page(struct api_request *r, const struct odata_query *q,
                      const struct store_page *page, int64_t count, const char *next)
{
    const char *ctx = context_url(r, q, false);
    size_t i;
    int rc;

    if (!ctx)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = graph_collection_begin(r->out, ctx, count, next);
    for (i = 0; !rc && i < page->n; i++) {
        if (i)
            rc = buf_putc(r->out, ',');
        if (!rc)
            rc = graph_partner_write(r->out, &page->items[i], r->version, q->select, NULL);
    }
    if (!rc)
        rc = graph_collection_end(r->out);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_ODATA;
    return 0;
}

int partners_list(struct api_request *r)
{
    struct odata_query q;
    struct store_list_req req;
    struct store_cursor after;
    struct store_page page;
    const char *binding;
    const char *next = NULL;
    int64_t count = -1;
    int rc;

    rc =
        odata_query_parse(r->arena, r->version, ODATA_FOR_LIST, r->query, r->query_len, &q, r->err);
    if (rc)
        return rc;
    binding = odata_paging_binding(r->arena, r->tenant, r->version_name, &q);
    if (!binding)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    memset(&req, 0, sizeof req);
    req.filter = q.filter;
    req.orderby = q.orderby;
    req.orderby_count = q.orderby_count;
    /* $top asks for a page size; above the server's page size it is clamped. */
    req.limit = q.top >= 0 && (uint64_t)q.top < r->page_size ? (size_t)q.top : r->page_size;
    if (q.skiptoken) {
        rc = read_cursor(r, &q, binding, &after);
        if (rc)
            return rc;
        req.after = &after; /* $skip was spent on the first page */
    } else {
        req.skip = q.skip;
    }
    if (req.limit == 0) {
        memset(&page, 0, sizeof page);
    } else {
        rc = store_partner_list(r->store, r->tenant, &req, r->arena, &page, r->err);
        if (rc)
            return rc;
    }
    /* @odata.count: every match, before $top and $skip, on the first page only. */
    if (q.count && !q.skiptoken) {
        rc = store_partner_count(r->store, r->tenant, q.filter, &count, r->err);
        if (rc)
            return rc;
    }
    if (page.more && page.n > 0) {
        rc = make_next_link(r, binding, &page, &next);
        if (rc)
            return rc;
    }
    return write_page(r, &q, &page, count, next);
}

int partners_get(struct api_request *r)
{
    struct odata_query q;
    struct graph_partner p;
    int rc;

    rc =
        odata_query_parse(r->arena, r->version, ODATA_FOR_ITEM, r->query, r->query_len, &q, r->err);
    if (rc)
        return rc;
    rc = store_partner_get(r->store, r->tenant, r->id, r->arena, &p, r->err);
    if (rc)
        return rc;
    rc = write_entity(r, &p, q.select, context_url(r, &q, true), 200);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

/*
 * Hand the write `w` to the caller (defer_writes) or run it now; `resume` finishes the response
 * from its result either way.
 */
static int run_write(struct api_request *r, struct store_write *w,
                     int (*resume)(struct api_request *r))
{
    w->err = r->err;
    r->write = w;
    r->resume = resume;
    if (r->defer_writes)
        return 0;
    store_write(r->store, w);
    return resume(r);
}

static struct store_write *new_write(struct api_request *r, enum store_write_kind kind)
{
    struct store_write *w = arena_calloc(r->arena, 1, sizeof *w);

    if (!w)
        return NULL;
    w->kind = kind;
    w->tenant = r->tenant;
    w->id = r->id;
    w->a = r->arena;
    return w;
}

static int create_done(struct api_request *r)
{
    const struct graph_partner *p = r->write->p;
    int rc;

    if (r->write->rc)
        return r->write->rc;
    r->location = arena_sprintf(r->arena, "%s/%s/" API_COLLECTION_PATH "/%s", r->base_url,
                                r->version_name, p->id);
    if (!r->location)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = write_entity(r, p, GRAPH_ALL_PROPS, context_url(r, NULL, true), 201);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

int partners_create(struct api_request *r)
{
    struct store_write *w = new_write(r, STORE_WRITE_INSERT);
    struct graph_partner *p = arena_calloc(r->arena, 1, sizeof *p);
    int rc;

    if (!w || !p)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = graph_partner_from_json(r->arena, r->version, GRAPH_DECODE_CREATE, r->body, r->body_len, p,
                                 r->err);
    if (rc)
        return rc;
    /* The server assigns the key; a client `id` never overrides it.  v7 by default: time-ordered,
     * so the (tenant, id) index takes each new key at its end, not at a random leaf - about 1.5x
     * the creates at a million partners (BENCHMARKS.md). */
    rc = r->random_ids ? uuid_v4(p->id) : uuid_v7(p->id);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    w->p = p;
    return run_write(r, w, create_done);
}

static int update_done(struct api_request *r)
{
    int rc;

    if (r->write->rc)
        return r->write->rc;
    if (!r->prefer_representation) {
        r->status = 204;
        return 0;
    }
    r->preference_applied = true;
    rc = write_entity(r, r->write->out, GRAPH_ALL_PROPS, context_url(r, NULL, true), 200);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

int partners_update(struct api_request *r)
{
    struct store_write *w = new_write(r, STORE_WRITE_PATCH);
    struct graph_partner *patch = arena_calloc(r->arena, 1, sizeof *patch);
    int rc;

    if (!w || !patch)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    w->out = arena_calloc(r->arena, 1, sizeof *w->out);
    if (!w->out)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = graph_partner_from_json(r->arena, r->version, GRAPH_DECODE_PATCH, r->body, r->body_len,
                                 patch, r->err);
    if (rc)
        return rc;
    /* The key cannot change: an `id` in the body must name the same partner. */
    if (patch->present & GRAPH_PROP_BIT(GRAPH_P_ID)) {
        char lowered[sizeof patch->id];
        str_lower(lowered, patch->id, strlen(patch->id));
        if (strcmp(lowered, r->id) != 0)
            return cmp_error_set(r->err, CMP_EBADBODY,
                                 "The property 'id' in the request body does not match the key "
                                 "'%s' in the URL; the id of a complianceManagementPartner "
                                 "cannot be changed.",
                                 r->id);
    }
    w->p = patch;
    return run_write(r, w, update_done);
}

static int delete_done(struct api_request *r)
{
    if (r->write->rc)
        return r->write->rc;
    r->status = 204;
    return 0;
}

int partners_delete(struct api_request *r)
{
    struct store_write *w = new_write(r, STORE_WRITE_DELETE);

    if (!w)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    return run_write(r, w, delete_done);
}

int partners_count(struct api_request *r)
{
    struct odata_query q;
    int64_t n;
    int rc;

    rc = odata_query_parse(r->arena, r->version, ODATA_FOR_COUNT, r->query, r->query_len, &q,
                           r->err);
    if (rc)
        return rc;
    rc = store_partner_count(r->store, r->tenant, q.filter, &n, r->err);
    if (rc)
        return rc;
    rc = buf_printf(r->out, "%" PRId64, n);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_TEXT;
    return 0;
}
