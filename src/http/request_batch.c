/*
 * http/request_batch.c - an inner request of a $batch (api/batch.c parsed the envelope): its
 * method, url, headers and body become a request context that http__run() takes like any other,
 * with the batch's token, pool and request ids; its status, headers and body are collected for
 * the batch response instead of being sent.  Its writes run synchronously (store_write waits for
 * the group commit on this loop), so a later inner request sees them.
 */
#include <string.h>

#include "api/batch.h"
#include "core/arena.h"
#include "core/str.h"
#include "http/request_impl.h"

static void out_fini(void *p)
{
    buf_fini(p);
}

/* The inner request's headers: the client's, lower-cased, with the batch's own credential. */
static int inner_headers(struct reqctx *c, const struct reqctx *outer,
                         const struct batch_request *rq, h2o_headers_t *hdrs)
{
    h2o_iovec_t authz = http__header(outer, H2O_TOKEN_AUTHORIZATION);
    size_t i;

    for (i = 0; i < rq->n_headers; i++) {
        size_t n = strlen(rq->headers[i].name);
        char *name = arena_alloc(c->arena, n + 1);
        if (!name)
            return CMP_ENOMEM;
        str_lower(name, rq->headers[i].name, n);
        /* Each inner request runs with the batch's token, never one of its own. */
        if (str_eq(name, n, "authorization"))
            continue;
        h2o_add_header_by_str(c->pool, hdrs, name, n, 1, NULL, rq->headers[i].value,
                              strlen(rq->headers[i].value));
    }
    if (authz.len)
        h2o_add_header(c->pool, hdrs, H2O_TOKEN_AUTHORIZATION, NULL, authz.base, authz.len);
    return 0;
}

/* api_request.exec: run `rq` through http__run() on behalf of the batch `ctx` and collect its
 * answer. */
void http__run_inner(void *ctx, const struct batch_request *rq, struct batch_response *out)
{
    struct reqctx *outer = ctx;
    struct reqctx *c = arena_calloc(outer->arena, 1, sizeof *c);
    h2o_headers_t *hdrs = arena_calloc(outer->arena, 1, sizeof *hdrs);
    h2o_headers_t *res = arena_calloc(outer->arena, 1, sizeof *res);
    const char *q;
    size_t i;

    memset(out, 0, sizeof *out);
    out->status = 500;
    if (!c || !hdrs || !res)
        return;
    c->inner = true;
    c->req = outer->req;
    c->pool = outer->pool;
    c->w = outer->w;
    c->arena = outer->arena;
    c->method = h2o_iovec_init(rq->method, strlen(rq->method));
    c->path = rq->path ? h2o_iovec_init(rq->path, strlen(rq->path)) : outer->path;
    q = rq->path ? strchr(rq->path, '?') : NULL;
    c->query_at = q ? (size_t)(q - rq->path) : SIZE_MAX;
    c->body = h2o_iovec_init(rq->body, rq->body_len);
    c->headers = hdrs;
    c->res_headers = res;
    memcpy(c->request_id, outer->request_id, sizeof c->request_id);
    c->client_request_id = outer->client_request_id;
    c->client_request_id_len = outer->client_request_id_len;
    c->tls = outer->tls;
    c->base_url = outer->base_url;
    c->route = MR_NONE;
    buf_init(&c->out, HTTP_MAX_RESPONSE);
    if (arena_defer(c->arena, out_fini, &c->out)) {
        buf_fini(&c->out);
        return;
    }
    if (inner_headers(c, outer, rq, hdrs)) {
        cmp_error_set(&c->err, CMP_ENOMEM, NULL);
        http__send_error(c);
    } else if (rq->err.code) {
        c->err = rq->err;
        http__send_error(c);
    } else {
        http__run(c);
    }
    out->status = c->status;
    out->body = c->res_body.base;
    out->body_len = c->res_body.len;
    out->headers = arena_calloc(c->arena, res->size ? res->size : 1, sizeof *out->headers);
    for (i = 0; out->headers && i < res->size; i++) {
        out->headers[i].name =
            arena_strndup(c->arena, res->entries[i].name->base, res->entries[i].name->len);
        out->headers[i].value =
            arena_strndup(c->arena, res->entries[i].value.base, res->entries[i].value.len);
        if (!out->headers[i].name || !out->headers[i].value)
            break;
        if (str_eq(out->headers[i].name, strlen(out->headers[i].name), "content-type"))
            out->body_json = str_has_prefix(out->headers[i].value, res->entries[i].value.len,
                                            "application/json");
        out->n_headers++;
    }
    if (c->status == 429)
        metrics_add(&c->w->metrics.throttled, 1);
}
