/*
 * http/request.c - one request, end to end: route, authenticate, check the method, admit the
 * tenant, authorise, check the body, call the handler, and write the response with Graph's
 * headers (graph-conventions.md 3).  Every failure becomes a Graph error body here, through
 * graph/errors.c, and nowhere else.
 *
 * The inner requests of a $batch go through the same http__run() (request_batch.c); the
 * operational endpoints, the limits and the access log are in request_ops.c.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "auth/jwt.h"
#include "auth/scopes.h"
#include "auth/token_cache.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/status.h"
#include "core/str.h"
#include "core/time.h"
#include "core/uuid.h"
#include "graph/errors.h"
#include "http/metrics.h"
#include "http/request_impl.h"
#include "http/router.h"
#include "store/store.h"

#define MAX_CLIENT_REQUEST_ID 128

#define WWW_AUTHENTICATE                                                                           \
    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/"      \
    "authorize\", client_id=\"" AUTH_GRAPH_APP_ID "\""

h2o_iovec_t http__header(const struct reqctx *c, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(c->headers, token, -1);

    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return c->headers->entries[i].value;
}

static h2o_iovec_t header_by_name(const struct reqctx *c, const char *name)
{
    ssize_t i = h2o_find_header_by_str(c->headers, name, strlen(name), -1);

    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return c->headers->entries[i].value;
}

static void add(struct reqctx *c, const char *name, const char *value, size_t len)
{
    h2o_iovec_t v = h2o_strdup(c->pool, value, len);

    h2o_add_header_by_str(c->pool, c->res_headers, name, strlen(name), 1, NULL, v.base, v.len);
}

void http__add_s(struct reqctx *c, const char *name, const char *value)
{
    add(c, name, value, strlen(value));
}

/* The headers every Graph response carries. */
void http__common_headers(struct reqctx *c)
{
    http__add_s(c, "request-id", c->request_id);
    add(c, "client-request-id", c->client_request_id, c->client_request_id_len);
    http__add_s(c, "x-ms-ags-diagnostic", c->w->srv->diagnostic);
    http__add_s(c, "cache-control", "no-cache");
    if (c->tls)
        http__add_s(c, "strict-transport-security", "max-age=31536000");
}

/* The status line's phrase: RFC 9110's, or a generic one for a code cmpd does not name. */
static const char *reason(int status)
{
    const char *r = status_reason(status);

    return r ? r : status >= 500 ? "Internal Server Error" : "OK";
}

void http__send_body(struct reqctx *c, int status, const char *ctype, const char *body, size_t len)
{
    h2o_req_t *req = c->req;

    c->status = status;
    if (c->inner) {
        /* Kept for the batch response: the body (in c->out or static) outlives this call. */
        if (ctype)
            http__add_s(c, "content-type", ctype);
        c->res_body = h2o_iovec_init(status == 204 ? "" : body, status == 204 ? 0 : len);
        return;
    }
    req->res.status = status;
    req->res.reason = reason(status);
    if (ctype)
        http__add_s(c, "content-type", ctype);
    if (status == 204 || status == 304) {
        h2o_send_inline(req, "", 0);
        return;
    }
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void http__send_error(struct reqctx *c)
{
    struct graph_error_ctx ectx;
    const char *url;
    int status = cmp_err_status(c->err.code);
    char retry[16];

    url = arena_sprintf(c->arena, "%s%.*s", c->base_url ? c->base_url : "", (int)c->path.len,
                        c->path.base);
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
    http__common_headers(c);
    if (status == 401)
        http__add_s(c, "www-authenticate", WWW_AUTHENTICATE);
    if ((status == 429 || status == 503) && c->err.retry_after > 0) {
        int n = snprintf(retry, sizeof retry, "%d", c->err.retry_after);
        add(c, "retry-after", retry, (size_t)n);
    }
    http__send_body(c, status, "application/json", c->out.data, c->out.len);
}

/* The client-request-id to echo: the client's when it is short and printable, else ours. */
static void client_request_id(struct reqctx *c)
{
    h2o_iovec_t v = header_by_name(c, "client-request-id");
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

static bool prefers_representation(const h2o_headers_t *headers)
{
    ssize_t i = -1;

    while ((i = h2o_find_header_by_str(headers, H2O_STRLIT("prefer"), i)) >= 0) {
        h2o_iovec_t v = headers->entries[i].value;
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
    h2o_iovec_t ct = http__header(c, H2O_TOKEN_CONTENT_TYPE);

    if (c->body.len > API_MAX_BODY)
        return cmp_error_set(&c->err, CMP_ETOOLARGE,
                             "The request body is %zu bytes; at most %d bytes are accepted.",
                             c->body.len, API_MAX_BODY);
    if (!media_type_is_json(ct))
        return cmp_error_set(&c->err, CMP_EMEDIATYPE,
                             "The request body must be sent with Content-Type: application/json.");
    return 0;
}

/* The metrics label of a matched route. */
static enum metrics_route route_label(const struct route_match *m)
{
    if (!m->route)
        return MR_NONE;
    switch (m->target) {
    case ROUTE_COLLECTION:
        return m->route->has_body ? MR_CREATE : MR_LIST;
    case ROUTE_ITEM:
        if (m->route->has_body)
            return MR_UPDATE;
        return m->route->method[0] == 'D' ? MR_DELETE : MR_GET;
    case ROUTE_COUNT:
        return MR_COUNT;
    case ROUTE_METADATA:
        return MR_METADATA;
    case ROUTE_SERVICE:
        return MR_SERVICE;
    case ROUTE_BATCH:
        return MR_BATCH;
    }
    return MR_NONE;
}

/* Send the handler's response with the Graph headers. */
static void respond(struct reqctx *c)
{
    const struct api_request *r = &c->api;

    http__common_headers(c);
    if (r->content_type && strcmp(r->content_type, API_CT_TEXT) != 0)
        http__add_s(c, "odata-version", "4.0");
    if (r->location)
        http__add_s(c, "location", r->location);
    if (r->preference_applied)
        http__add_s(c, "preference-applied", "return=representation");
    http__send_body(c, r->status, r->content_type, c->out.data, c->out.len);
}

static void guard_dispose(void *p)
{
    struct req_guard *g = p;

    if (g->c)
        g->c->req = NULL;
}

/* The committer's thread: hand the finished write back to the loop that owns the request. */
static void write_done(struct store_write *sw)
{
    struct reqctx *c = sw->data;

    h2o_multithread_send_message(&c->w->write_receiver, &c->done);
}

static int fault_point(struct reqctx *c, const struct route_match *m);

/* Authenticate, admit the tenant, authorise and run the matched route.  0: answered;
 * HTTP_PENDING: the write is queued and http__on_write_done() answers (or a fault delay holds the
 * request and fault_resume() goes on); else an error to send. */
static int dispatch(struct reqctx *c, const struct route_match *m)
{
    const struct http_config *cfg = c->w->srv->cfg;
    struct auth_principal who;
    struct api_request *r = &c->api;
    h2o_iovec_t authz = http__header(c, H2O_TOKEN_AUTHORIZATION);
    size_t q = c->query_at;
    int rc;

    memset(&who, 0, sizeof who);
    c->route = route_label(m);
    if (!m->public_target) {
        rc = auth_jwt_verify_cached(c->w->tokens, cfg->keys, cfg->cloud, authz.base, authz.len,
                                    time_now(), c->arena, &who, &c->err);
        if (rc)
            return rc;
        c->tenant = arena_strdup(c->arena, who.tenant);
        if (!c->tenant)
            return cmp_error_set(&c->err, CMP_ENOMEM, NULL);
        c->app_id = who.app_id;
    }
    if (!m->route) {
        char allow[64];
        http__add_s(c, "allow", router_allowed(m->target, allow, sizeof allow));
        return cmp_error_set(&c->err, CMP_EMETHOD, NULL);
    }
    if (!accepts(http__header(c, H2O_TOKEN_ACCEPT), m->route->produces))
        return cmp_error_set(&c->err, CMP_ENOTACCEPTABLE,
                             "The Accept header does not admit %s, the media type of this "
                             "resource.",
                             m->route->produces);
    if (!m->public_target && !m->route->envelope) {
        /* Permissions first: a refused caller (a personal account) never registers a tenant. */
        rc = auth_authorize(&who, m->route->perm, &c->err);
        if (rc)
            return rc;
        /* Fault injection (--fault-*, off by default): an injected 429/503, or a delay after
         * which dispatch() runs again.  Before throttle and tenant: no store access. */
        rc = fault_point(c, m);
        if (rc)
            return rc;
        /* Authorised requests only are counted (conventions 8); 0 when throttling is off. */
        rc = api_throttle_check(c->w->store, &cfg->throttle, who.tenant, who.app_id,
                                api_throttle_is_write(c->method.base, c->method.len), &c->err);
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
    r->version = m->version;
    r->version_name = m->version_name;
    r->id = m->id;
    r->query = q == SIZE_MAX ? "" : c->path.base + q + 1;
    r->query_len = q == SIZE_MAX ? 0 : c->path.len - q - 1;
    r->body = c->body.base ? c->body.base : "";
    r->body_len = c->body.len;
    r->base_url = c->base_url;
    r->context_root = cfg->public_url ? cfg->public_url : cfg->cloud->graph_root;
    r->prefer_representation = prefers_representation(c->headers);
    r->tenant =
        m->public_target ? NULL : c->tenant; /* arena-owned: a queued write outlives `who` */
    r->paging_key = cfg->paging_key;
    r->page_size = cfg->page_size ? cfg->page_size : API_PAGE_SIZE;
    r->random_ids = cfg->random_ids;
    r->store = c->w->store;
    r->arena = c->arena;
    r->err = &c->err;
    r->out = &c->out;
    /* Inside a batch a write runs synchronously (store_write waits for its group commit): the
     * next inner request may depend on it. */
    r->defer_writes = !c->inner;
    r->exec = c->inner ? NULL : http__run_inner;
    r->exec_ctx = c;
    rc = m->route->handler(r);
    if (rc)
        return rc;
    if (r->write && r->defer_writes) {
        /* Queued for the group commit: write_done() answers once it is committed. */
        r->write->done = write_done;
        r->write->data = c;
        if (store_write_async(r->store, r->write)) {
            c->w->pending++;
            c->guard = h2o_mem_alloc_shared(&c->req->pool, sizeof *c->guard, guard_dispose);
            c->guard->c = c;
            return HTTP_PENDING;
        }
        store_write(r->store, r->write);
        rc = r->resume(r);
        if (rc)
            return rc;
    }
    respond(c);
    return 0;
}

/* ---- fault injection (http/fault.c decides; this only holds and answers) ---- */

static void fault_resume(struct http_fault_wait *fw);

/* 0: go on; HTTP_PENDING: held for the drawn delay; else the injected error. */
static int fault_point(struct reqctx *c, const struct route_match *m)
{
    struct http_fault_loop *fl = &c->w->fault;
    struct http_metrics *mt = &c->w->metrics;

    if (!fl->cfg)
        return 0;
    if (!c->fault_decided) {
        c->fault_decided = true;
        http_fault_decide(fl->cfg, &fl->rng, c->tenant, &c->fault);
        /* An inner request of a $batch runs to its end at once: it may get an injected error
         * (in its own response) but is not held. */
        if (c->fault.delay_ms && !c->inner) {
            /* Held like a queued write: counted in `pending`, guarded against the client going. */
            metrics_add(&mt->faults[METRICS_FAULT_LATENCY], 1);
            c->match = *m;
            c->w->pending++;
            c->guard = h2o_mem_alloc_shared(&c->req->pool, sizeof *c->guard, guard_dispose);
            c->guard->c = c;
            http_fault_hold(fl, &c->fault_wait, c->fault.delay_ms, fault_resume);
            return HTTP_PENDING;
        }
    }
    if (!c->fault.status)
        return 0;
    metrics_add(&mt->faults[c->fault.status == 429 ? METRICS_FAULT_429 : METRICS_FAULT_503], 1);
    return api_throttle_refusal(&c->err, c->fault.status == 429 ? CMP_ETHROTTLED : CMP_EUNAVAILABLE,
                                fl->cfg->retry_after);
}

static void finish(struct reqctx *c);
static void release(struct reqctx *c);
static void fail(struct reqctx *c, int rc);

/* The delay is over (or the server stops): the request goes on, unless its client went. */
static void fault_resume(struct http_fault_wait *fw)
{
    struct reqctx *c = H2O_STRUCT_FROM_MEMBER(struct reqctx, fault_wait, fw);
    int rc;

    c->w->pending--;
    if (c->req) {
        c->guard->c = NULL;
        rc = dispatch(c, &c->match);
        if (rc == HTTP_PENDING)
            return;
        if (rc)
            fail(c, rc);
        finish(c);
    }
    release(c);
}

static uint64_t elapsed_us(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)((now.tv_sec - start->tv_sec) * 1000000 +
                      (now.tv_nsec - start->tv_nsec) / 1000);
}

/* Count the request, and log it. */
static void finish(struct reqctx *c)
{
    uint64_t us = elapsed_us(&c->start);
    struct http_metrics *m = &c->w->metrics;
    int code = c->err.code;

    metrics_request(m, c->route, metrics_method(c->req->method.base, c->req->method.len),
                    c->req->res.status, us);
    if (code == CMP_ESTORE || (code == CMP_EUNAVAILABLE && c->route != MR_NONE && !c->fault.status))
        metrics_add(&m->store_errors, 1);
    if (c->w->srv->cfg->access_log)
        http__access_log(c, us);
}

static void release(struct reqctx *c)
{
    buf_fini(&c->out);
    arena_free(c->arena);
}

/* Send the error of a failed request (its code defaulting to `rc`). */
static void fail(struct reqctx *c, int rc)
{
    if (!c->err.code)
        cmp_error_set(&c->err, rc, NULL);
    http__send_error(c);
}

/*
 * The pipeline after parsing, the same for a request and for an inner request of a batch: match
 * the route, then dispatch() (auth, throttle, tenant, body check, handler, response).  Answers the
 * request unless it returns HTTP_PENDING.
 */
int http__run(struct reqctx *c)
{
    struct route_match m;
    size_t path_len = c->query_at == SIZE_MAX ? c->path.len : c->query_at;
    int rc;

    rc = router_match(c->arena, c->method.base, c->method.len, c->path.base, path_len, &m, &c->err);
    if (!rc)
        rc = dispatch(c, &m);
    if (rc && rc != HTTP_PENDING)
        fail(c, rc);
    return rc;
}

int http__on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct arena *arena = arena_new(0);
    struct reqctx *c = arena ? arena_calloc(arena, 1, sizeof *c) : NULL;
    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;

    (void)self;
    if (!c || uuid_v4(c->request_id)) {
        arena_free(arena);
        h2o_send_error_503(req, "Service Unavailable", "out of resources", 0);
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->arena = arena;
    c->req = req;
    c->pool = &req->pool;
    c->method = req->method;
    c->path = req->path;
    c->query_at = req->query_at;
    c->body = req->entity;
    c->headers = &req->headers;
    c->res_headers = &req->res.headers;
    c->w = (struct http_worker *)req->conn->ctx;
    c->tls = req->input.scheme == &H2O_URL_SCHEME_HTTPS;
    c->route = MR_NONE;
    buf_init(&c->out, HTTP_MAX_RESPONSE);
    client_request_id(c);
    c->base_url = base_url(c);
    if (http__over_limits(c)) {
        http__send_error(c);
    } else if (!http__serve_op_endpoint(c, req->path.base, path_len)) {
        if (http__run(c) == HTTP_PENDING)
            return 0;
    }
    finish(c);
    release(c);
    return 0;
}

void http__on_write_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct http_worker *w = H2O_STRUCT_FROM_MEMBER(struct http_worker, write_receiver, receiver);
    struct reqctx *c;
    int rc;

    while (!h2o_linklist_is_empty(messages)) {
        c = H2O_STRUCT_FROM_MEMBER(struct reqctx, done.link, messages->next);
        h2o_linklist_unlink(&c->done.link);
        w->pending--;
        if (c->req) {
            c->guard->c = NULL;
            rc = c->api.resume(&c->api);
            if (rc)
                fail(c, rc);
            else
                respond(c);
            finish(c);
        }
        release(c);
    }
}
