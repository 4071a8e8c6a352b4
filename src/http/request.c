/*
 * http/request.c - one request, end to end: route, authenticate, check the method, admit the
 * tenant, authorise, check the body, call the handler, and write the response with Graph's
 * headers (graph-conventions.md 3).  Every failure becomes a Graph error body here, through
 * graph/errors.c, and nowhere else.
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/jwt.h"
#include "auth/scopes.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "core/uuid.h"
#include "graph/errors.h"
#include "http/router.h"
#include "http/server_impl.h"

/* Largest response body (a page of 1000 partners with large assignment lists fits easily). */
#define MAX_RESPONSE (64 * 1024 * 1024)
#define MAX_CLIENT_REQUEST_ID 128

#define WWW_AUTHENTICATE                                                                           \
    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/"      \
    "authorize\", client_id=\"" AUTH_GRAPH_APP_ID "\""

struct reqctx {
    h2o_req_t *req;
    struct http_worker *w;
    struct arena *arena;
    struct buf out;
    struct cmp_error err;
    char request_id[UUID_STR_LEN + 1];
    const char *client_request_id;
    size_t client_request_id_len;
    bool tls;
    const char *base_url;
};

static h2o_iovec_t header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);

    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}

static h2o_iovec_t header_by_name(h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);

    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}

static void add(struct reqctx *c, const char *name, const char *value, size_t len)
{
    h2o_req_t *req = c->req;
    h2o_iovec_t v = h2o_strdup(&req->pool, value, len);

    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, v.base,
                          v.len);
}

static void add_s(struct reqctx *c, const char *name, const char *value)
{
    add(c, name, value, strlen(value));
}

/* The headers every Graph response carries. */
static void common_headers(struct reqctx *c)
{
    add_s(c, "request-id", c->request_id);
    add(c, "client-request-id", c->client_request_id, c->client_request_id_len);
    add_s(c, "x-ms-ags-diagnostic", c->w->srv->diagnostic);
    add_s(c, "cache-control", "no-cache");
    if (c->tls)
        add_s(c, "strict-transport-security", "max-age=31536000");
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "OK";
    }
}

static void send_body(struct reqctx *c, int status, const char *ctype, const char *body, size_t len)
{
    h2o_req_t *req = c->req;

    req->res.status = status;
    req->res.reason = reason(status);
    if (ctype)
        add_s(c, "content-type", ctype);
    if (status == 204 || status == 304) {
        h2o_send_inline(req, "", 0);
        return;
    }
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

static void send_error(struct reqctx *c)
{
    struct graph_error_ctx ectx;
    const char *url;
    int status = cmp_err_status(c->err.code);
    char retry[16];

    url = arena_sprintf(c->arena, "%s%.*s", c->base_url ? c->base_url : "", (int)c->req->path.len,
                        c->req->path.base);
    ectx.request_id = c->request_id;
    ectx.client_request_id =
        arena_strndup(c->arena, c->client_request_id, c->client_request_id_len);
    ectx.now = time_now();
    ectx.url = url ? url : "";
    buf_reset(&c->out);
    if (status >= 500)
        log_error("request %s failed: %d %s", c->request_id, status, cmp_error_message(&c->err));
    if (graph_error_write(&c->out, &c->err, &ectx)) {
        buf_reset(&c->out);
        buf_puts(&c->out, "{\"error\":{\"code\":\"InternalError\",\"message\":\"\"}}");
    }
    common_headers(c);
    if (status == 401)
        add_s(c, "www-authenticate", WWW_AUTHENTICATE);
    if ((status == 429 || status == 503) && c->err.retry_after > 0) {
        int n = snprintf(retry, sizeof retry, "%d", c->err.retry_after);
        add(c, "retry-after", retry, (size_t)n);
    }
    send_body(c, status, "application/json", c->out.data, c->out.len);
}

/* The client-request-id to echo: the client's when it is short and printable, else ours. */
static void client_request_id(struct reqctx *c)
{
    h2o_iovec_t v = header_by_name(c->req, "client-request-id");
    size_t i;

    c->client_request_id = c->request_id;
    c->client_request_id_len = UUID_STR_LEN;
    if (!v.len || v.len > MAX_CLIENT_REQUEST_ID)
        return;
    for (i = 0; i < v.len; i++)
        if (v.base[i] < 0x21 || v.base[i] > 0x7e)
            return;
    c->client_request_id = v.base;
    c->client_request_id_len = v.len;
}

static const char *base_url(struct reqctx *c)
{
    const struct http_config *cfg = c->w->srv->cfg;
    h2o_iovec_t host = c->req->input.authority;
    size_t i;

    if (cfg->public_url)
        return cfg->public_url;
    /* Only characters of a host[:port] may reach URLs we write; anything else falls back. */
    for (i = 0; i < host.len; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
                    host.base[i]))
            break;
    if (!host.len || i < host.len || host.len > 255)
        host = h2o_iovec_init(H2O_STRLIT("localhost"));
    return arena_sprintf(c->arena, "%s://%.*s", c->tls ? "https" : "http", (int)host.len,
                         host.base);
}

static bool media_type_is_json(h2o_iovec_t v)
{
    size_t n = 0;

    while (n < v.len && v.base[n] != ';' && v.base[n] != ' ')
        n++;
    return str_eq_ci(v.base, n, "application/json");
}

static bool prefers_representation(h2o_req_t *req)
{
    ssize_t i = -1;

    while ((i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("prefer"), i)) >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        if (h2o_strstr(v.base, v.len, H2O_STRLIT("return=representation")) != SIZE_MAX)
            return true;
    }
    return false;
}

/*
 * Does the Accept header value `v` admit `type` ("application/json")?  No header admits
 * everything; a range matches on its type and subtype, or with a wildcard subtype or the full
 * wildcard; a range with q=0 excludes.  Other parameters (odata.metadata=minimal...) do not
 * matter.
 */
/* Do the parameters `p` (n bytes, ";q=0.5;...") of a media range carry a zero quality? */
static bool q_is_zero(const char *p, size_t n)
{
    size_t at = h2o_strstr(p, n, H2O_STRLIT("q="));
    size_t i;

    if (at == SIZE_MAX || (at > 0 && p[at - 1] != ';' && p[at - 1] != ' '))
        return false;
    for (i = at + 2; i < n && p[i] != ';' && p[i] != ' '; i++)
        if (p[i] != '0' && p[i] != '.')
            return false;
    return i > at + 2;
}

static bool accepts(h2o_iovec_t v, const char *type)
{
    size_t major = strcspn(type, "/");
    size_t i = 0;

    if (!v.len)
        return true;
    while (i < v.len) {
        size_t start;
        size_t end;
        size_t stop;
        while (i < v.len && (v.base[i] == ' ' || v.base[i] == ','))
            i++;
        start = i;
        while (i < v.len && v.base[i] != ',' && v.base[i] != ';' && v.base[i] != ' ')
            i++;
        end = i;
        stop = i;
        while (stop < v.len && v.base[stop] != ',')
            stop++;
        i = stop;
        if (end == start)
            continue;
        if (q_is_zero(v.base + end, stop - end))
            continue;
        if (str_eq(v.base + start, end - start, "*/*") ||
            str_eq_ci(v.base + start, end - start, type) ||
            (end - start == major + 2 && strncasecmp(v.base + start, type, major + 1) == 0 &&
             v.base[end - 1] == '*'))
            return true;
    }
    return false;
}

/* A request body check: JSON media type and the size limit. */
static int check_body(struct reqctx *c)
{
    h2o_iovec_t ct = header(c->req, H2O_TOKEN_CONTENT_TYPE);

    if (c->req->entity.len > API_MAX_BODY)
        return cmp_error_set(&c->err, CMP_ETOOLARGE,
                             "The request body is %zu bytes; at most %d bytes are accepted.",
                             c->req->entity.len, API_MAX_BODY);
    if (!media_type_is_json(ct))
        return cmp_error_set(&c->err, CMP_EMEDIATYPE,
                             "The request body must be sent with Content-Type: application/json.");
    return 0;
}

/* Authenticate, admit the tenant, authorise and run the matched route. */
static int dispatch(struct reqctx *c, const struct route_match *m)
{
    const struct http_config *cfg = c->w->srv->cfg;
    struct auth_principal who;
    struct api_request r;
    h2o_iovec_t authz = header(c->req, H2O_TOKEN_AUTHORIZATION);
    size_t q = c->req->query_at;
    int rc;

    memset(&who, 0, sizeof who);
    if (!m->public_target) {
        rc = auth_jwt_verify(cfg->keys, cfg->cloud, authz.base, authz.len, time_now(), c->arena,
                             &who, &c->err);
        if (rc)
            return rc;
    }
    if (!m->route) {
        char allow[64];
        add_s(c, "allow", router_allowed(m->target, allow, sizeof allow));
        return cmp_error_set(&c->err, CMP_EMETHOD, NULL);
    }
    if (!accepts(header(c->req, H2O_TOKEN_ACCEPT), m->route->produces))
        return cmp_error_set(&c->err, CMP_ENOTACCEPTABLE,
                             "The Accept header does not admit %s, the media type of this "
                             "resource.",
                             m->route->produces);
    if (!m->public_target) {
        /* Permissions first: a refused caller (a personal account) never registers a tenant. */
        rc = auth_authorize(&who, m->route->perm, &c->err);
        if (rc)
            return rc;
        rc = api_tenant_admit(c->w->store, who.tenant, cfg->tenants, &c->err);
        if (rc)
            return rc;
    }
    if (m->route->has_body) {
        rc = check_body(c);
        if (rc)
            return rc;
    }
    memset(&r, 0, sizeof r);
    r.version = m->version;
    r.version_name = m->version_name;
    r.id = m->id;
    r.query = q == SIZE_MAX ? "" : c->req->path.base + q + 1;
    r.query_len = q == SIZE_MAX ? 0 : c->req->path.len - q - 1;
    r.body = c->req->entity.base ? c->req->entity.base : "";
    r.body_len = c->req->entity.len;
    r.base_url = c->base_url;
    r.prefer_representation = prefers_representation(c->req);
    r.tenant = m->public_target ? NULL : who.tenant;
    r.paging_key = cfg->paging_key;
    r.page_size = cfg->page_size ? cfg->page_size : API_PAGE_SIZE;
    r.store = c->w->store;
    r.arena = c->arena;
    r.err = &c->err;
    r.out = &c->out;
    rc = m->route->handler(&r);
    if (rc)
        return rc;
    common_headers(c);
    if (r.content_type && strcmp(r.content_type, API_CT_TEXT) != 0)
        add_s(c, "odata-version", "4.0");
    if (r.location)
        add_s(c, "location", r.location);
    if (r.preference_applied)
        add_s(c, "preference-applied", "return=representation");
    send_body(c, r.status, r.content_type, c->out.data, c->out.len);
    return 0;
}

static bool is_health(h2o_req_t *req, size_t path_len)
{
    return h2o_memis(req->path.base, path_len, H2O_STRLIT("/healthz"));
}

int http__on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct reqctx c;
    struct route_match m;
    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    int rc;

    (void)self;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.w = (struct http_worker *)req->conn->ctx;
    c.tls = req->input.scheme == &H2O_URL_SCHEME_HTTPS;
    buf_init(&c.out, MAX_RESPONSE);
    c.arena = arena_new(0);
    if (!c.arena || uuid_v4(c.request_id)) {
        arena_free(c.arena);
        h2o_send_error_503(req, "Service Unavailable", "out of resources", 0);
        return 0;
    }
    client_request_id(&c);
    c.base_url = base_url(&c);
    if (is_health(req, path_len) &&
        (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
         h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))) {
        common_headers(&c);
        send_body(&c, 200, "application/json", "{\"status\":\"ok\"}", 15);
    } else if (is_health(req, path_len)) {
        add_s(&c, "allow", "GET, HEAD");
        cmp_error_set(&c.err, CMP_EMETHOD, NULL);
        send_error(&c);
    } else {
        rc = router_match(c.arena, req->method.base, req->method.len, req->path.base, path_len, &m,
                          &c.err);
        if (!rc)
            rc = dispatch(&c, &m);
        if (rc) {
            if (!c.err.code)
                cmp_error_set(&c.err, rc, NULL);
            send_error(&c);
        }
    }
    buf_fini(&c.out);
    arena_free(c.arena);
    return 0;
}
