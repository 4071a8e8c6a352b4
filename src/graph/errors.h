/*
 * graph/errors.h - the one place a struct cmp_error becomes a Graph error body.
 *
 * Shape (graph-conventions.md 2.1): {"error":{"code":…,"message":…,"innerError":{"date":…,
 * "request-id":…,"client-request-id":…}}}.  Codes whose cmp_err_wrapped() is set carry Intune's
 * JSON-in-a-string message (2.3): "{\r\n  \"_version\": 3,\r\n  \"Message\": \"<text> - Operation
 * ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: <request-id> -
 * Url: <internal url>\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n
 * \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}".
 */
#ifndef CMP_GRAPH_ERRORS_H
#define CMP_GRAPH_ERRORS_H

#include <stdint.h>

struct buf;
struct cmp_error;

struct graph_error_ctx {
    const char *request_id;        /* GUID */
    const char *client_request_id; /* GUID or the client's value */
    int64_t now;                   /* unix seconds, for innerError.date */
    const char *url;               /* cmpd's own URL of the request, for the wrapped "Url:" part */
};

/* Append the error body for `err` to `out`.  Returns 0 or the buf error. */
int graph_error_write(struct buf *out, const struct cmp_error *err,
                      const struct graph_error_ctx *ctx);

#endif
