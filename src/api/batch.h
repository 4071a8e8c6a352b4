/*
 * api/batch.h - JSON batching (graph-conventions.md 7): the $batch envelope, its order of
 * execution, and the batch response.
 *
 * POST /{version}/$batch carries {"requests":[{"id","method","url","headers","body",
 * "dependsOn"}]}.  batch_parse() checks the envelope: at most BATCH_MAX_REQUESTS requests, an `id`
 * string unique case-insensitively, `method` and `url` strings, `headers` an object of strings
 * that must hold Content-Type when a `body` is present, `dependsOn` an array of known ids without
 * a cycle.  Any of these broken fails the whole batch (400).  A request whose own url or body
 * cannot be taken (an absolute url, one naming the other version - "/v1.0/..." in a v1.0 batch is
 * taken as relative, as the Graph SDKs send it -, a body neither an object nor base64)
 * fails alone: it carries the error in its `err` and is answered with it.
 *
 * batch_post() is the route's handler.  It runs the requests one at a time, in request order
 * except that a request waits for those it depends on, through r->exec - the caller's full
 * request pipeline (route, auth, throttle, options, handler) - and writes
 * {"responses":[{"id","status","headers","body"}]} in request order.  A request whose dependency
 * failed (status >= 400, 424 included) is not run: it is answered 424.  Nothing here knows the
 * HTTP library.
 */
#ifndef CMP_API_BATCH_H
#define CMP_API_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "core/err.h"

struct arena;
struct buf;

#define BATCH_MAX_REQUESTS 20

struct batch_header {
    const char *name; /* as the client or the pipeline spelled it */
    const char *value;
};

struct batch_request {
    const char *id;
    const char *method; /* upper-cased */
    const char *path;   /* "/{version}/<url>", query included; NULL when `err` is set */
    struct batch_header *headers;
    size_t n_headers;
    const char *body; /* the body as bytes (an object re-serialised, base64 decoded), or NULL */
    size_t body_len;
    size_t *depends; /* indices into batch.items */
    size_t n_depends;
    struct cmp_error err; /* code != 0: answer this error instead of running the request */
};

struct batch {
    struct batch_request *items; /* in request order */
    size_t n;
    size_t *order; /* the order to run them in: every request after those it depends on */
};

struct batch_response {
    int status;
    struct batch_header *headers;
    size_t n_headers;
    const char *body; /* NULL or empty: no body */
    size_t body_len;
    bool body_json; /* the body is JSON text (embedded as is); else embedded as a JSON string */
};

/*
 * Parse the envelope `p` (n bytes) of a batch sent to `version_name` ("v1.0" or "beta").  On
 * success fills *out (arena-owned) and returns 0; on a malformed envelope returns CMP_EBADBODY
 * with `err` saying what is wrong.
 */
int batch_parse(struct arena *a, const char *version_name, const char *p, size_t n,
                struct batch *out, struct cmp_error *err);

/*
 * Write the batch response for `b` and its answers `res` (one per item, in request order) to
 * `out`.  Returns 0, or the buf error.
 */
int batch_write(struct buf *out, const struct batch *b, const struct batch_response *res);

/* Parse `data` as an envelope with a scratch arena and discard it (the fuzz target). */
int batch_fuzz(const unsigned char *data, size_t size);

#endif
