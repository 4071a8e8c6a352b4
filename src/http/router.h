/*
 * http/router.h - URL path + method -> route, from one table.
 *
 * Paths have the shape /{version}/deviceManagement/complianceManagementPartners[/{id} |
 * ('{id}')][/$count], or /{version}/$metadata, /{version}/$batch, matched case-sensitively as the
 * metadata spells them (spec section 1). An unknown version is 404 "Invalid version: <seg>", an
 * unknown segment 404, a segment below an item 400 "Resource not found for the segment '<seg>'.", a
 * known path with another method 405.
 */
#ifndef CMP_HTTP_ROUTER_H
#define CMP_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "auth/scopes.h"

struct arena;
struct cmp_error;

enum route_target {
    ROUTE_COLLECTION,
    ROUTE_ITEM,
    ROUTE_COUNT,
    ROUTE_METADATA, /* /{v}/$metadata */
    ROUTE_SERVICE,  /* /{v}/ : the service document */
    ROUTE_BATCH     /* /{v}/$batch */
};

struct route {
    const char *method;
    enum route_target target;
    api_handler_fn *handler;
    enum auth_perm perm;
    bool has_body;        /* needs a JSON request body */
    const char *produces; /* media type of a successful response body ("application/json") */
    bool envelope;        /* $batch: the token is verified, but each inner request is authorised,
                             throttled and admitted on its own */
};

struct route_match {
    const struct route *route; /* NULL when the path exists but not for this method */
    enum route_target target;
    enum graph_version version;
    const char *version_name;
    const char *id;     /* lowercased key, arena-owned; NULL unless ROUTE_ITEM */
    bool public_target; /* served without a token, whatever the method ($metadata, service doc) */
};

/*
 * Match the percent-encoded `path` (without the query) and `method`.  Returns 0 with *m filled
 * (m->route NULL means 405), or CMP_EBADVERSION / CMP_ENOROUTE / CMP_EBADSEGMENT / CMP_EBADKEY,
 * or CMP_EBADREQUEST when the path does not decode (a bad escape, a NUL) to UTF-8 text.
 */
int router_match(struct arena *a, const char *method, size_t method_len, const char *path,
                 size_t path_len, struct route_match *m, struct cmp_error *err);

/*
 * The methods the route table serves for `target`, as an Allow header value ("GET, POST"),
 * written into out[size].  Returns out.
 */
const char *router_allowed(enum route_target target, char *out, size_t size);

#endif
