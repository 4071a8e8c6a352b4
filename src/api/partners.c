/*
 * api/partners.c - the complianceManagementPartner operations (spec section 3).
 *
 * Each handler decodes what it needs, makes one store call and writes the body; errors travel
 * back as CMP_E* codes with the detail in r->err.  A write is acknowledged only after the store
 * reported it committed.
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
#include "store/store.h"

/* ---- query options ---- */

/*
 * The OData query engine is not part of this module yet: a listing pages on its own with
 * $skiptoken, and any other option is refused with a clear 400 rather than silently ignored.
 */
static int parse_query(struct api_request *r, bool allow_skiptoken, int64_t *after)
{
    const char *p = r->query;
    const char *end = r->query + r->query_len;

    *after = 0;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        size_t name_len = (size_t)((eq ? eq : stop) - p);

        if (name_len == 0) {
            p = stop + (amp ? 1 : 0);
            continue;
        }
        if (allow_skiptoken && str_eq_ci(p, name_len, "$skiptoken") && eq) {
            unsigned char *raw;
            size_t raw_len;
            if (str_base64url_decode(r->arena, eq + 1, (size_t)(stop - eq - 1), &raw, &raw_len) ||
                raw_len < 2 || raw[0] != 's' ||
                str_to_int64((const char *)raw + 1, raw_len - 1, 0, INT64_MAX, after))
                return cmp_error_set(r->err, CMP_EBADQUERY, "The $skiptoken is invalid.");
        } else {
            return cmp_error_set(r->err, CMP_EBADQUERY,
                                 "The query option '%.*s' is not supported on this resource.",
                                 (int)(name_len > 64 ? 64 : name_len), p);
        }
        p = stop + (amp ? 1 : 0);
    }
    return 0;
}

/* ---- response pieces ---- */

static const char *context_url(struct api_request *r, bool entity)
{
    return arena_sprintf(r->arena, "%s/%s/$metadata#" API_COLLECTION_PATH "%s", r->base_url,
                         r->version_name, entity ? "/$entity" : "");
}

static int write_entity(struct api_request *r, const struct graph_partner *p, int status)
{
    const char *ctx = context_url(r, true);

    if (!ctx)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    r->status = status;
    r->content_type = API_CT_ODATA;
    return graph_partner_write(r->out, p, r->version, GRAPH_ALL_PROPS, ctx);
}

/* ---- handlers ---- */

int partners_list(struct api_request *r)
{
    struct store_list_req req = {.limit = API_PAGE_SIZE};
    struct store_page page;
    const char *next = NULL;
    const char *ctx;
    size_t i;
    int rc;

    rc = parse_query(r, true, &req.after_seq);
    if (rc)
        return rc;
    rc = store_partner_list(r->store, r->tenant, &req, r->arena, &page, r->err);
    if (rc)
        return rc;
    if (page.more) {
        char tok[32];
        int n = snprintf(tok, sizeof tok, "s%" PRId64, page.last_seq);
        const char *enc = str_base64url_encode(r->arena, (const unsigned char *)tok, (size_t)n);
        next = enc ? arena_sprintf(r->arena, "%s/%s/" API_COLLECTION_PATH "?$skiptoken=%s",
                                   r->base_url, r->version_name, enc)
                   : NULL;
        if (!next)
            return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    }
    ctx = context_url(r, false);
    if (!ctx)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = graph_collection_begin(r->out, ctx, -1, next);
    for (i = 0; !rc && i < page.n; i++) {
        if (i)
            rc = buf_putc(r->out, ',');
        if (!rc)
            rc = graph_partner_write(r->out, &page.items[i], r->version, GRAPH_ALL_PROPS, NULL);
    }
    if (!rc)
        rc = graph_collection_end(r->out);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_ODATA;
    return 0;
}

int partners_get(struct api_request *r)
{
    struct graph_partner p;
    int64_t unused;
    int rc;

    rc = parse_query(r, false, &unused);
    if (rc)
        return rc;
    rc = store_partner_get(r->store, r->tenant, r->id, r->arena, &p, r->err);
    if (rc)
        return rc;
    rc = write_entity(r, &p, 200);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

int partners_create(struct api_request *r)
{
    struct graph_partner p;
    int rc;

    rc = graph_partner_from_json(r->arena, r->version, GRAPH_DECODE_CREATE, r->body, r->body_len,
                                 &p, r->err);
    if (rc)
        return rc;
    /* The server assigns the key; a client `id` never overrides it. */
    rc = uuid_v4(p.id);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    rc = store_partner_insert(r->store, r->tenant, &p, r->err);
    if (rc)
        return rc;
    r->location = arena_sprintf(r->arena, "%s/%s/" API_COLLECTION_PATH "/%s", r->base_url,
                                r->version_name, p.id);
    if (!r->location)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    rc = write_entity(r, &p, 201);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

int partners_update(struct api_request *r)
{
    struct graph_partner patch;
    struct graph_partner merged;
    int rc;

    rc = graph_partner_from_json(r->arena, r->version, GRAPH_DECODE_PATCH, r->body, r->body_len,
                                 &patch, r->err);
    if (rc)
        return rc;
    /* The key cannot change: an `id` in the body must name the same partner. */
    if ((patch.present & GRAPH_PROP_BIT(GRAPH_P_ID)) && strcmp(patch.id, r->id) != 0) {
        char lowered[sizeof patch.id];
        str_lower(lowered, patch.id, strlen(patch.id));
        if (strcmp(lowered, r->id) != 0)
            return cmp_error_set(r->err, CMP_EBADBODY,
                                 "The property 'id' in the request body does not match the key "
                                 "'%s' in the URL; the id of a complianceManagementPartner "
                                 "cannot be changed.",
                                 r->id);
    }
    rc = store_partner_patch(r->store, r->tenant, r->id, &patch, r->arena, &merged, r->err);
    if (rc)
        return rc;
    if (!r->prefer_representation) {
        r->status = 204;
        return 0;
    }
    r->preference_applied = true;
    rc = write_entity(r, &merged, 200);
    return rc ? cmp_error_set(r->err, rc, NULL) : 0;
}

int partners_delete(struct api_request *r)
{
    int rc = store_partner_delete(r->store, r->tenant, r->id, r->err);

    if (rc)
        return rc;
    r->status = 204;
    return 0;
}

int partners_count(struct api_request *r)
{
    int64_t n;
    int64_t unused;
    int rc;

    rc = parse_query(r, false, &unused);
    if (rc)
        return rc;
    rc = store_partner_count(r->store, r->tenant, &n, r->err);
    if (rc)
        return rc;
    rc = buf_printf(r->out, "%" PRId64, n);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_TEXT;
    return 0;
}
