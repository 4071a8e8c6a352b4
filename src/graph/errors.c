/*
 * graph/errors.c - struct cmp_error -> Graph error body (graph-conventions.md 2.1-2.3).
 *
 * Written by hand into the buffer: the shape is fixed and small.  For wrapped codes the message is
 * Intune's JSON object serialised with CRLF and two-space indentation, then escaped once more as
 * the outer "message" string.  NULL context strings are written as "".
 */
#include "graph/errors.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"

#define OPERATION_ID "00000000-0000-0000-0000-000000000000"

/* Sticky appends: after the first failure in *rc, nothing more is written. */
static void put(struct buf *b, int *rc, const char *s)
{
    if (!*rc)
        *rc = buf_puts(b, s);
}

static void put_escaped(struct buf *b, int *rc, const char *s)
{
    if (!s)
        s = "";
    if (!*rc)
        *rc = buf_append_json_escaped(b, s, strlen(s));
}

/* Intune's inner object, as text, into `inner`. */
static int write_wrapped(struct buf *inner, const struct cmp_error *err,
                         const struct graph_error_ctx *ctx)
{
    int rc = 0;

    put(inner, &rc, "{\r\n  \"_version\": 3,\r\n  \"Message\": \"");
    put_escaped(inner, &rc, cmp_error_message(err));
    put(inner, &rc, " - Operation ID (for customer support): " OPERATION_ID " - Activity ID: ");
    put_escaped(inner, &rc, ctx->request_id);
    put(inner, &rc, " - Url: ");
    put_escaped(inner, &rc, ctx->url);
    put(inner, &rc, "\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": ");
    if (err->retry_after > 0) {
        char retry[24];
        snprintf(retry, sizeof retry, "\"%d\"", err->retry_after);
        put(inner, &rc, retry);
    } else {
        put(inner, &rc, "null");
    }
    put(inner, &rc, ",\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}");
    return rc;
}

int graph_error_write(struct buf *out, const struct cmp_error *err,
                      const struct graph_error_ctx *ctx)
{
    size_t start = out->len;
    struct buf inner;
    char date[20];
    int rc = 0;

    put(out, &rc, "{\"error\":{\"code\":\"");
    put_escaped(out, &rc, cmp_err_graph_code(err->code));
    put(out, &rc, "\",\"message\":\"");
    if (cmp_err_wrapped(err->code)) {
        buf_init(&inner, out->max);
        if (!rc)
            rc = write_wrapped(&inner, err, ctx);
        if (!rc)
            rc = buf_append_json_escaped(out, inner.data, inner.len);
        buf_fini(&inner);
    } else {
        put_escaped(out, &rc, cmp_error_message(err));
    }
    time_format_inner_date(ctx->now, date);
    put(out, &rc, "\",\"innerError\":{\"date\":\"");
    put(out, &rc, date);
    put(out, &rc, "\",\"request-id\":\"");
    put_escaped(out, &rc, ctx->request_id);
    put(out, &rc, "\",\"client-request-id\":\"");
    put_escaped(out, &rc, ctx->client_request_id);
    put(out, &rc, "\"}}}");
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}
