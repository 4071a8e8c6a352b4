/*
 * http/request_impl.h - what the files of the request pipeline share (not for other modules):
 * request.c (the pipeline: route, token, method, tenant, permission, body, handler, response),
 * request_ops.c (the operational endpoints, the URL and header limits, the access log) and
 * request_batch.c (an inner request of a $batch, run through the same pipeline).
 */
#ifndef CMP_HTTP_REQUEST_IMPL_H
#define CMP_HTTP_REQUEST_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/uuid.h"
#include "http/router.h"
#include "http/server_impl.h"

struct batch_request;
struct batch_response;

/* Largest response body (a page of 1000 partners with large assignment lists fits easily). */
#define HTTP_MAX_RESPONSE (64 * 1024 * 1024)

/* Marks the request gone when h2o disposes of it while its write waits for the group commit. */
struct req_guard {
    struct reqctx *c; /* NULL once the request was answered */
};

/*
 * One request going through the pipeline: either the h2o request itself, or an inner request of
 * a $batch, which reads its method, path, headers and body from the batch and collects its
 * status, headers and body for the batch response instead of sending them.
 */
struct reqctx {
    h2o_req_t *req; /* NULL: the client went away while the write was queued */
    bool inner;     /* an inner request of a batch: `req` is the batch's */
    h2o_mem_pool_t *pool;
    h2o_iovec_t method;
    h2o_iovec_t path; /* path and query, percent-encoded */
    size_t query_at;  /* offset of '?' in `path`, or SIZE_MAX */
    h2o_iovec_t body;
    const h2o_headers_t *headers; /* the request's */
    h2o_headers_t *res_headers;   /* the response's */
    int status;                   /* once answered */
    h2o_iovec_t res_body;         /* inner: the answer's body */
    struct http_worker *w;
    struct arena *arena; /* owns this struct too */
    struct api_request api;
    struct req_guard *guard;
    h2o_multithread_message_t done; /* on the worker's write_receiver once the write ran */
    struct buf out;
    struct cmp_error err;
    char request_id[UUID_STR_LEN + 1];
    const char *client_request_id;
    size_t client_request_id_len;
    bool tls;
    const char *base_url;
    struct timespec start;
    enum metrics_route route; /* for the metrics and the access log */
    const char *tenant;       /* the caller's, once the token is verified; else NULL */
    const char *app_id;
    /* Fault injection (http/fault.h): decided once; after a delay dispatch() runs again. */
    bool fault_decided;
    struct http_fault_decision fault;
    struct http_fault_wait fault_wait;
    struct route_match match; /* the route, kept for that second run */
};

/* ---- request.c ---- */

/* The request header `token`, or an empty iovec. */
h2o_iovec_t http__header(const struct reqctx *c, const h2o_token_t *token);

/* Add a response header (copied into the request's pool). */
void http__add_s(struct reqctx *c, const char *name, const char *value);

/* The headers every Graph response carries: request ids, diagnostics, cache, HSTS on https. */
void http__common_headers(struct reqctx *c);

/* Answer with `status` and `body` (an inner request keeps them for the batch instead). */
void http__send_body(struct reqctx *c, int status, const char *ctype, const char *body, size_t len);

/* Answer with the Graph error body of c->err. */
void http__send_error(struct reqctx *c);

/*
 * The pipeline after parsing, for a request and for an inner request of a batch alike: match the
 * route, authenticate, authorise, run the handler, answer.  HTTP_PENDING: not answered yet (a
 * queued write or a fault delay answers later).
 */
int http__run(struct reqctx *c);

/* ---- request_ops.c ---- */

/* Serve `path` when it is /healthz, /readyz or /metrics; false when it is none of them. */
bool http__serve_op_endpoint(struct reqctx *c, const char *path, size_t n);

/* 414 / 431 (in c->err) when the URL or the headers are over the configured limits. */
bool http__over_limits(struct reqctx *c);

/* Write the access-log line of the answered request, `us` microseconds after it started. */
void http__access_log(struct reqctx *c, uint64_t us);

/* ---- request_batch.c ---- */

/* api_request.exec: run `rq` through http__run() on behalf of the batch `ctx`; its answer in out.
 */
void http__run_inner(void *ctx, const struct batch_request *rq, struct batch_response *out);

#endif
