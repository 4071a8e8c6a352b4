/*
 * api/batch.c - the $batch envelope: parse and check it, order its requests by dependsOn, run
 * them through the caller's pipeline (api_request.exec), and write the batch response.  See
 * api/batch.h for the rules; graph-conventions.md 7 for where they come from.
 */
#include "api/batch.h"

#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/str.h"

/* Longest id or url shown back in a message, in bytes. */
#define SHOW_MAX 64

/* How much of p[n] a message shows: at most SHOW_MAX bytes, never cutting a UTF-8 sequence. */
static int show(const char *p, size_t n)
{
    return (int)str_utf8_prefix(p, n, SHOW_MAX);
}

/* ---- a JSON value back to text (an inner body sent as an object) ---- */

static int write_value(struct buf *b, const struct json_value *v)
{
    size_t i;
    int rc = 0;

    switch (v->type) {
    case JSON_NULL:
        return buf_puts(b, "null");
    case JSON_BOOL:
        return buf_puts(b, v->u.b ? "true" : "false");
    case JSON_NUMBER:
        return buf_append(b, v->u.str.p, v->u.str.n);
    case JSON_STRING:
        rc = buf_putc(b, '"');
        rc = rc ? rc : buf_append_json_escaped(b, v->u.str.p, v->u.str.n);
        return rc ? rc : buf_putc(b, '"');
    case JSON_ARRAY:
        rc = buf_putc(b, '[');
        for (i = 0; !rc && i < v->u.arr.n; i++) {
            if (i)
                rc = buf_putc(b, ',');
            rc = rc ? rc : write_value(b, v->u.arr.items[i]);
        }
        return rc ? rc : buf_putc(b, ']');
    case JSON_OBJECT:
        rc = buf_putc(b, '{');
        for (i = 0; !rc && i < v->u.obj.n; i++) {
            const struct json_member *m = &v->u.obj.items[i];
            if (i)
                rc = buf_putc(b, ',');
            rc = rc ? rc : buf_putc(b, '"');
            rc = rc ? rc : buf_append_json_escaped(b, m->key, m->key_len);
            rc = rc ? rc : buf_puts(b, "\":");
            rc = rc ? rc : write_value(b, m->value);
        }
        return rc ? rc : buf_putc(b, '}');
    }
    return CMP_EINTERNAL;
}

/* ---- one request of the envelope ---- */

static int bad(struct cmp_error *err, size_t i, const char *what)
{
    return cmp_error_set(err, CMP_EBADBODY, "Invalid batch request %zu: %s.", i + 1, what);
}

static const struct json_value *member(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);

    return v && v->type == JSON_NULL ? NULL : v;
}

/* The url relative to the version root -> "/{version}/<url>", or the request's own 400. */
static void parse_url(struct arena *a, const char *version, const struct json_value *url,
                      struct batch_request *rq)
{
    const char *u = url->u.str.p;
    size_t n = url->u.str.n;
    size_t seg;

    if (memchr(u, ':', strcspn(u, "/?")) || (n >= 2 && u[0] == '/' && u[1] == '/')) {
        cmp_error_set(&rq->err, CMP_EBADREQUEST,
                      "The url '%.*s' of a batch request must be relative to the version root "
                      "(/%s).",
                      show(u, n), u, version);
        return;
    }
    if (n && u[0] == '/') {
        u++;
        n--;
    }
    seg = strcspn(u, "/?");
    /* "/v1.0/..." in a v1.0 batch is what the Graph SDKs send (they strip only scheme and host). */
    if (str_eq(u, seg, version) && seg < n && u[seg] == '/') {
        u += seg + 1;
        n -= seg + 1;
    } else if (str_eq(u, seg, "v1.0") || str_eq(u, seg, "beta")) {
        cmp_error_set(&rq->err, CMP_EBADREQUEST,
                      "The url '%.*s' of a batch request names another version than the batch's "
                      "(/%s).",
                      show(url->u.str.p, url->u.str.n), url->u.str.p, version);
        return;
    }
    rq->path = arena_sprintf(a, "/%s/%.*s", version, (int)n, u);
    if (!rq->path)
        cmp_error_set(&rq->err, CMP_ENOMEM, NULL);
}

static int parse_headers(struct arena *a, size_t i, const struct json_value *h,
                         struct batch_request *rq, bool *has_ctype, struct cmp_error *err)
{
    size_t k;

    if (h->type != JSON_OBJECT)
        return bad(err, i, "'headers' must be an object");
    rq->headers = arena_calloc(a, h->u.obj.n ? h->u.obj.n : 1, sizeof *rq->headers);
    if (!rq->headers)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (k = 0; k < h->u.obj.n; k++) {
        const struct json_member *m = &h->u.obj.items[k];
        if (m->value->type != JSON_STRING)
            return bad(err, i, "every header value must be a string");
        if (!m->key_len)
            return bad(err, i, "a header name is empty");
        if (strcasecmp(m->key, "content-type") == 0)
            *has_ctype = true;
        rq->headers[k].name = m->key;
        rq->headers[k].value = m->value->u.str.p;
    }
    rq->n_headers = h->u.obj.n;
    return 0;
}

/* The body: an object sent as its JSON text, a string as the bytes its base64 holds. */
static void parse_body(struct arena *a, const struct json_value *body, struct batch_request *rq)
{
    struct buf b;
    unsigned char *raw;

    if (body->type == JSON_STRING) {
        if (str_base64_decode(a, body->u.str.p, body->u.str.n, &raw, &rq->body_len)) {
            cmp_error_set(&rq->err, CMP_EBADBODY,
                          "The body of a batch request must be a JSON object or base64 text.");
            return;
        }
        rq->body = (const char *)raw;
        return;
    }
    if (body->type != JSON_OBJECT) {
        cmp_error_set(&rq->err, CMP_EBADBODY,
                      "The body of a batch request must be a JSON object or base64 text, not %s.",
                      json_type_name(body->type));
        return;
    }
    buf_init(&b, API_MAX_BODY);
    if (write_value(&b, body))
        cmp_error_set(&rq->err, CMP_ETOOLARGE,
                      "The body of a batch request is larger than %d bytes.", API_MAX_BODY);
    else
        rq->body = arena_strndup(a, b.data, b.len);
    rq->body_len = b.len;
    if (!rq->body && !rq->err.code)
        cmp_error_set(&rq->err, CMP_ENOMEM, NULL);
    buf_fini(&b);
}

static int parse_one(struct arena *a, const char *version, size_t i, const struct json_value *o,
                     struct batch_request *rq, struct cmp_error *err)
{
    const struct json_value *id = member(o, "id");
    const struct json_value *method = member(o, "method");
    const struct json_value *url = member(o, "url");
    const struct json_value *headers = member(o, "headers");
    const struct json_value *body = member(o, "body");
    bool has_ctype = false;
    char *m;
    int rc;

    if (o->type != JSON_OBJECT)
        return bad(err, i, "each request must be an object");
    if (!id || id->type != JSON_STRING || !id->u.str.n)
        return bad(err, i, "'id' is required and must be a non-empty string");
    if (!method || method->type != JSON_STRING || !method->u.str.n)
        return bad(err, i, "'method' is required and must be a string");
    if (!url || url->type != JSON_STRING || !url->u.str.n)
        return bad(err, i, "'url' is required and must be a string");
    rq->id = id->u.str.p;
    m = arena_alloc(a, method->u.str.n + 1);
    if (!m)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (size_t k = 0; k <= method->u.str.n; k++)
        m[k] = (char)(method->u.str.p[k] >= 'a' && method->u.str.p[k] <= 'z'
                          ? method->u.str.p[k] - 'a' + 'A'
                          : method->u.str.p[k]);
    rq->method = m;
    if (headers) {
        rc = parse_headers(a, i, headers, rq, &has_ctype, err);
        if (rc)
            return rc;
    }
    if (body && !has_ctype)
        return bad(err, i, "a request with a body needs a Content-Type in 'headers'");
    parse_url(a, version, url, rq);
    if (body && !rq->err.code)
        parse_body(a, body, rq);
    return 0;
}

/* ---- dependsOn ---- */

static int find_id(const struct batch *b, const char *id, size_t n)
{
    size_t i;

    for (i = 0; i < b->n; i++)
        if (strlen(b->items[i].id) == n && strncasecmp(b->items[i].id, id, n) == 0)
            return (int)i;
    return -1;
}

static int parse_depends(struct arena *a, struct batch *b, size_t i, const struct json_value *d,
                         struct cmp_error *err)
{
    struct batch_request *rq = &b->items[i];
    size_t k;

    if (d->type != JSON_ARRAY)
        return bad(err, i, "'dependsOn' must be an array of ids");
    rq->depends = arena_calloc(a, d->u.arr.n ? d->u.arr.n : 1, sizeof *rq->depends);
    if (!rq->depends)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (k = 0; k < d->u.arr.n; k++) {
        const struct json_value *v = d->u.arr.items[k];
        int at;
        if (v->type != JSON_STRING)
            return bad(err, i, "'dependsOn' must be an array of ids");
        at = find_id(b, v->u.str.p, v->u.str.n);
        if (at < 0)
            return cmp_error_set(err, CMP_EBADBODY,
                                 "Invalid batch request %zu: 'dependsOn' names '%.*s', which is "
                                 "not the id of a request of the batch.",
                                 i + 1, show(v->u.str.p, v->u.str.n), v->u.str.p);
        rq->depends[rq->n_depends++] = (size_t)at;
    }
    return 0;
}

/* Every request after those it depends on, else in request order; a cycle fails the batch. */
static int order(struct arena *a, struct batch *b, struct cmp_error *err)
{
    bool *done = arena_calloc(a, b->n ? b->n : 1, sizeof *done);
    size_t placed = 0;

    b->order = arena_calloc(a, b->n ? b->n : 1, sizeof *b->order);
    if (!done || !b->order)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    while (placed < b->n) {
        size_t i;
        for (i = 0; i < b->n; i++) {
            size_t k;
            if (done[i])
                continue;
            for (k = 0; k < b->items[i].n_depends && done[b->items[i].depends[k]]; k++)
                ;
            if (k == b->items[i].n_depends)
                break;
        }
        if (i == b->n)
            return cmp_error_set(err, CMP_EBADBODY,
                                 "The dependsOn of the batch requests form a cycle.");
        done[i] = true;
        b->order[placed++] = i;
    }
    return 0;
}

int batch_parse(struct arena *a, const char *version_name, const char *p, size_t n,
                struct batch *out, struct cmp_error *err)
{
    struct json_value *root;
    const struct json_value *reqs;
    size_t i;
    int rc;

    memset(out, 0, sizeof *out);
    rc = json_parse(a, p, n, CMP_EBADBODY, &root, err);
    if (rc)
        return rc;
    if (root->type != JSON_OBJECT)
        return cmp_error_set(err, CMP_EBADBODY, "The batch body must be a JSON object.");
    reqs = json_get(root, "requests");
    if (!reqs || reqs->type != JSON_ARRAY)
        return cmp_error_set(err, CMP_EBADBODY, "The batch body needs a 'requests' array.");
    if (reqs->u.arr.n > BATCH_MAX_REQUESTS)
        return cmp_error_set(err, CMP_EBADBODY,
                             "A batch holds at most %d requests; this one has %zu.",
                             BATCH_MAX_REQUESTS, reqs->u.arr.n);
    out->items = arena_calloc(a, reqs->u.arr.n ? reqs->u.arr.n : 1, sizeof *out->items);
    if (!out->items)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (i = 0; i < reqs->u.arr.n; i++) {
        rc = parse_one(a, version_name, i, reqs->u.arr.items[i], &out->items[i], err);
        if (rc)
            return rc;
        if (find_id(out, out->items[i].id, strlen(out->items[i].id)) >= 0)
            return cmp_error_set(err, CMP_EBADBODY,
                                 "The batch has two requests with the id '%s' (ids are compared "
                                 "case-insensitively).",
                                 out->items[i].id);
        out->n++;
    }
    for (i = 0; i < out->n; i++) {
        const struct json_value *d = member(reqs->u.arr.items[i], "dependsOn");
        if (d) {
            rc = parse_depends(a, out, i, d, err);
            if (rc)
                return rc;
        }
    }
    return order(a, out, err);
}

/* ---- the response ---- */

/* The inner response headers a batch answer carries, spelled as Graph spells them. */
static const char *const answer_headers[] = {
    "Cache-Control", "OData-Version", "Content-Type",       "Location",
    "Retry-After",   "Allow",         "Preference-Applied", "WWW-Authenticate",
};

static const char *answer_header(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof answer_headers / sizeof *answer_headers; i++)
        if (strcasecmp(name, answer_headers[i]) == 0)
            return answer_headers[i];
    return NULL;
}

static int write_string(struct buf *b, const char *s, size_t n)
{
    int rc = buf_putc(b, '"');

    rc = rc ? rc : buf_append_json_escaped(b, s, n);
    return rc ? rc : buf_putc(b, '"');
}

static int write_answer(struct buf *b, const struct batch_request *rq,
                        const struct batch_response *r)
{
    bool first = true;
    size_t k;
    int rc = buf_puts(b, "{\"id\":");

    rc = rc ? rc : write_string(b, rq->id, strlen(rq->id));
    rc = rc ? rc : buf_printf(b, ",\"status\":%d,\"headers\":{", r->status);
    for (k = 0; !rc && k < r->n_headers; k++) {
        const char *name = answer_header(r->headers[k].name);
        if (!name)
            continue;
        rc = buf_puts(b, first ? "\"" : ",\"");
        rc = rc ? rc : buf_puts(b, name);
        rc = rc ? rc : buf_puts(b, "\":");
        rc = rc ? rc : write_string(b, r->headers[k].value, strlen(r->headers[k].value));
        first = false;
    }
    rc = rc ? rc : buf_putc(b, '}');
    if (!rc && r->body && r->body_len && r->status != 204) {
        rc = buf_puts(b, ",\"body\":");
        rc = rc             ? rc
             : r->body_json ? buf_append(b, r->body, r->body_len)
                            : write_string(b, r->body, r->body_len);
    }
    return rc ? rc : buf_putc(b, '}');
}

int batch_write(struct buf *out, const struct batch *b, const struct batch_response *res)
{
    size_t i;
    int rc = buf_puts(out, "{\"responses\":[");

    for (i = 0; !rc && i < b->n; i++) {
        if (i)
            rc = buf_putc(out, ',');
        rc = rc ? rc : write_answer(out, &b->items[i], &res[i]);
    }
    return rc ? rc : buf_puts(out, "]}");
}

/* ---- the handler ---- */

int batch_post(struct api_request *r)
{
    struct batch b;
    struct batch_response *res;
    size_t i;
    int rc;

    if (!r->exec)
        return cmp_error_set(r->err, CMP_EBADREQUEST, "A batch cannot hold another batch.");
    rc = batch_parse(r->arena, r->version_name, r->body, r->body_len, &b, r->err);
    if (rc)
        return rc;
    res = arena_calloc(r->arena, b.n ? b.n : 1, sizeof *res);
    if (!res)
        return cmp_error_set(r->err, CMP_ENOMEM, NULL);
    for (i = 0; i < b.n; i++) {
        size_t at = b.order[i];
        struct batch_request *rq = &b.items[at];
        size_t k;
        for (k = 0; k < rq->n_depends && !rq->err.code; k++)
            if (res[rq->depends[k]].status >= 400)
                cmp_error_set(&rq->err, CMP_EFAILEDDEPENDENCY,
                              "The request depends on request '%s', which failed with status %d.",
                              b.items[rq->depends[k]].id, res[rq->depends[k]].status);
        r->exec(r->exec_ctx, rq, &res[at]);
    }
    rc = batch_write(r->out, &b, res);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_ODATA;
    return 0;
}

int batch_fuzz(const unsigned char *data, size_t size)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct batch b;

    if (!a)
        return 0;
    if (!batch_parse(a, "v1.0", (const char *)data, size, &b, &err)) {
        struct buf out;
        struct batch_response *res = arena_calloc(a, b.n ? b.n : 1, sizeof *res);
        buf_init(&out, 1 << 20);
        for (size_t i = 0; res && i < b.n; i++) {
            res[i].status = b.items[i].err.code ? cmp_err_status(b.items[i].err.code) : 200;
            res[i].body = b.items[i].body;
            res[i].body_len = b.items[i].body_len;
        }
        if (res)
            batch_write(&out, &b, res);
        buf_fini(&out);
    }
    arena_free(a);
    return 0;
}
