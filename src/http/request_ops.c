/*
 * http/request_ops.c - the operational endpoints (/healthz, /readyz, /metrics: no token, GET and
 * HEAD only), the URL and header limits checked before anything else, and the JSON-lines access
 * log written after the answer.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/time.h"
#include "graph/errors.h"
#include "http/request_impl.h"
#include "store/store.h"

/* GET /readyz: 200 when this loop's store answers, else 503. */
static void send_ready(struct reqctx *c)
{
    struct store_tenant t;
    struct cmp_error err = {0};
    int rc;

    /* A lookup of the nil tenant, which is never registered: any answer but an error will do. */
    rc = store_tenant_get(c->w->store, "00000000-0000-0000-0000-000000000000", &t, &err);
    http__common_headers(c);
    if (rc && rc != CMP_ENOTFOUND) {
        http__add_s(c, "retry-after", "1");
        http__send_body(c, 503, "application/json", "{\"status\":\"unavailable\"}", 24);
        return;
    }
    http__send_body(c, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

/* GET /metrics: the counters of every loop, in Prometheus text. */
static void send_metrics(struct reqctx *c)
{
    struct http_server *srv = c->w->srv;
    struct http_metrics **loops = arena_calloc(c->arena, srv->worker_count, sizeof *loops);
    unsigned i;

    if (!loops) {
        cmp_error_set(&c->err, CMP_ENOMEM, NULL);
        http__send_error(c);
        return;
    }
    buf_reset(&c->out);
    for (i = 0; i < srv->worker_count; i++)
        loops[i] = &srv->workers[i].metrics;
    if (metrics_write(&c->out, loops, srv->worker_count)) {
        cmp_error_set(&c->err, CMP_ENOMEM, NULL);
        http__send_error(c);
        return;
    }
    http__common_headers(c);
    http__send_body(c, 200, METRICS_CONTENT_TYPE, c->out.data, c->out.len);
}

static const struct {
    const char *path;
    enum metrics_route route;
    void (*send)(struct reqctx *c);
} op_endpoints[] = {
    {"/healthz", MR_HEALTHZ, NULL},
    {"/readyz", MR_READYZ, send_ready},
    {"/metrics", MR_METRICS, send_metrics},
};

/* Serve `path` when it is an operational endpoint; false when it is not one. */
bool http__serve_op_endpoint(struct reqctx *c, const char *path, size_t n)
{
    h2o_req_t *req = c->req;
    size_t i;

    for (i = 0; i < sizeof op_endpoints / sizeof *op_endpoints; i++) {
        if (!h2o_memis(path, n, op_endpoints[i].path, strlen(op_endpoints[i].path)))
            continue;
        c->route = op_endpoints[i].route;
        if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
            !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
            http__add_s(c, "allow", "GET, HEAD");
            cmp_error_set(&c->err, CMP_EMETHOD, NULL);
            http__send_error(c);
        } else if (op_endpoints[i].send) {
            op_endpoints[i].send(c);
        } else {
            http__common_headers(c);
            http__send_body(c, 200, "application/json", "{\"status\":\"ok\"}", 15);
        }
        return true;
    }
    return false;
}

/*
 * The URL and header limits (what h2o itself lets through is far larger): 414 for a path and
 * query longer than cfg->max_url, 431 for header names and values that add up to more than
 * cfg->max_header_bytes.
 */
bool http__over_limits(struct reqctx *c)
{
    const struct http_config *cfg = c->w->srv->cfg;
    h2o_req_t *req = c->req;
    size_t max_url = cfg->max_url ? cfg->max_url : HTTP_DEFAULT_MAX_URL;
    size_t max_head = cfg->max_header_bytes ? cfg->max_header_bytes : HTTP_DEFAULT_MAX_HEADER_BYTES;
    size_t total = req->input.authority.len;
    size_t i;

    if (req->path.len > max_url) {
        cmp_error_set(&c->err, CMP_EURITOOLONG,
                      "The request URL is %zu bytes long; at most %zu bytes are accepted.",
                      req->path.len, max_url);
        return true;
    }
    for (i = 0; i < req->headers.size; i++)
        total += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    if (total > max_head) {
        cmp_error_set(&c->err, CMP_EHEADERSTOOLARGE,
                      "The request headers are %zu bytes long; at most %zu bytes are accepted.",
                      total, max_head);
        return true;
    }
    return false;
}

static void json_field(struct buf *b, const char *name, const char *v, size_t n)
{
    buf_printf(b, ",\"%s\":\"", name);
    buf_append_json_escaped(b, v, n);
    buf_putc(b, '"');
}

/*
 * One JSON line per request: time, request ids, peer, method, path and query, status, bytes,
 * duration, tenant and app.  Never a header value that carries a credential.
 */
void http__access_log(struct reqctx *c, uint64_t us)
{
    const struct http_config *cfg = c->w->srv->cfg;
    h2o_req_t *req = c->req;
    struct sockaddr_storage ss;
    char peer[64] = "";
    char when[20];
    struct timespec now;
    struct buf *b = &c->w->log_line;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    const char *p;
    size_t left;

    if (len > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, len, peer);
    clock_gettime(CLOCK_REALTIME, &now);
    time_format_inner_date(now.tv_sec, when);
    buf_reset(b);
    buf_printf(b, "{\"time\":\"%.19s.%03dZ\"", when, (int)(now.tv_nsec / 1000000));
    json_field(b, "request_id", c->request_id, strlen(c->request_id));
    json_field(b, "client_request_id", c->client_request_id, c->client_request_id_len);
    json_field(b, "remote", peer, strlen(peer));
    json_field(b, "method", req->method.base, req->method.len);
    json_field(b, "path", req->path.base, req->path.len);
    buf_printf(b, ",\"status\":%d,\"bytes\":%zu,\"duration_ms\":%.3f", req->res.status,
               req->res.content_length == SIZE_MAX ? (size_t)0 : req->res.content_length,
               (double)us / 1000.0);
    if (c->tenant)
        json_field(b, "tenant", c->tenant, strlen(c->tenant));
    if (c->app_id && *c->app_id)
        json_field(b, "app_id", c->app_id, strlen(c->app_id));
    if (c->err.code && req->res.status >= 400)
        json_field(b, "error", cmp_err_graph_code(c->err.code),
                   strlen(cmp_err_graph_code(c->err.code)));
    if (buf_puts(b, "}\n") == 0) {
        /* One write(2) per line: lines of concurrent loops never interleave (O_APPEND). */
        for (p = b->data, left = b->len; left;) {
            ssize_t w = write(cfg->access_log_fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            p += w;
            left -= (size_t)w;
        }
    }
}
