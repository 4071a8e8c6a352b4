/*
 * api/api.h - the Graph resource handlers, independent of the HTTP library.
 *
 * http/ resolves the route, authenticates the caller and admits its tenant, then fills a
 * struct api_request and calls a handler.  A handler validates, calls the store and writes the
 * response body into `out`; on failure it returns the CMP_E* code with `err` filled and writes
 * nothing (http/ renders the Graph error).  Handlers never see HTTP headers.
 */
#ifndef CMP_API_API_H
#define CMP_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/model.h"

struct arena;
struct auth_principal;
struct batch_request;
struct batch_response;
struct buf;
struct cmp_error;
struct store;
struct store_write;

#define API_CT_ODATA                                                                               \
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"        \
    "charset=utf-8"
#define API_CT_TEXT "text/plain"
#define API_CT_XML "application/xml"

/* Largest request body accepted (larger: 413). */
#define API_MAX_BODY (1024 * 1024)
/* Items per page of a listing, unless configured otherwise; $top above the page size is clamped. */
#define API_PAGE_SIZE 1000
#define API_PAGING_KEY_LEN 32

#define API_COLLECTION_PATH "deviceManagement/complianceManagementPartners"

struct api_request {
    /* in */
    enum graph_version version;
    const char *version_name; /* "v1.0" or "beta" */
    const char *id;           /* the item key, lowercased, or NULL for collection routes */
    const char *query;        /* raw query string without '?', or "" */
    size_t query_len;
    const char *body;
    size_t body_len;
    const char *base_url; /* public root, e.g. "https://localhost:8443" (no trailing '/') */
    /*
     * Root named by @odata.context: the cloud's Graph root ("https://graph.microsoft.us"), as
     * Graph writes it, or --public-url when one is set.  NULL: base_url.  nextLink and Location
     * use base_url, since clients follow them.
     */
    const char *context_root;
    bool prefer_representation;      /* Prefer: return=representation */
    const char *tenant;              /* admitted tenant id (NULL on routes that need no token) */
    const unsigned char *paging_key; /* API_PAGING_KEY_LEN bytes: the $skiptoken HMAC key */
    size_t page_size;                /* items per page (API_PAGE_SIZE by default) */
    bool random_ids;                 /* new partners get v4 GUIDs, not v7 (--ids v4) */
    struct store *store;
    struct arena *arena;
    struct cmp_error *err;
    /*
     * in: a write handler (create, update, delete) stops before the store call and leaves the
     * write in `write`; the caller runs it - store_write, or store_write_async to share a group
     * commit - and then calls resume(r), which turns its result into the response.  false: the
     * handler runs the write itself.
     */
    bool defer_writes;
    /*
     * in: runs one inner request of a $batch through the whole request pipeline and fills *out
     * (arena-owned).  NULL inside a batch: batches do not nest.
     */
    void (*exec)(void *exec_ctx, const struct batch_request *rq, struct batch_response *out);
    void *exec_ctx;
    /* out */
    int status;
    struct buf *out;
    const char *content_type;  /* API_CT_ODATA, API_CT_TEXT, or NULL for no body */
    const char *location;      /* Location header, or NULL */
    bool preference_applied;   /* send Preference-Applied: return=representation */
    struct store_write *write; /* with defer_writes: the write to run (arena-owned), or NULL */
    int (*resume)(struct api_request *r); /* with `write`: finish the response after it ran */
};

typedef int api_handler_fn(struct api_request *r);

/* The root @odata.context names (see api_request.context_root). */
static inline const char *api_context_root(const struct api_request *r)
{
    return r->context_root ? r->context_root : r->base_url;
}

api_handler_fn partners_list;
api_handler_fn partners_get;
api_handler_fn partners_create;
api_handler_fn partners_update;
api_handler_fn partners_delete;
api_handler_fn partners_count;
api_handler_fn service_metadata; /* GET /{v}/$metadata: the CSDL */
api_handler_fn service_document; /* GET /{v}/: the OData service document */
api_handler_fn batch_post;       /* POST /{v}/$batch (api/batch.h) */

/* How unknown tenants are treated. */
enum api_tenant_mode {
    API_TENANTS_AUTO,      /* registered, licensed, on their first valid request */
    API_TENANTS_REGISTERED /* refused unless `cmpd tenant add` registered them */
};

/*
 * Admit the caller's tenant: look it up (registering it in AUTO mode), refuse an unregistered one
 * in REGISTERED mode (CMP_EFORBIDDEN) and an unlicensed one (CMP_EUNLICENSED).
 */
int api_tenant_admit(struct store *s, const char *tenant, enum api_tenant_mode mode,
                     struct cmp_error *err);

#endif
