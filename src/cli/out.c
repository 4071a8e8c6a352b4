/*
 * cli/out.c - what cmpctl prints: JSON indented by two spaces as mgc prints it, and a readable
 * account of a Graph error.  Pure functions on buffers, so the unit tests see the exact text.
 */
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/status.h"

/* ---- pretty JSON ---- */

static int indent(struct buf *b, int depth)
{
    int rc = buf_putc(b, '\n');

    for (int i = 0; !rc && i < depth; i++)
        rc = buf_puts(b, "  ");
    return rc;
}

static int json_string(struct buf *b, const char *s, size_t n)
{
    int rc = buf_putc(b, '"');

    if (!rc)
        rc = buf_append_json_escaped(b, s, n);
    if (!rc)
        rc = buf_putc(b, '"');
    return rc;
}

static int pretty(struct buf *b, const struct json_value *v, int depth)
{
    int rc = 0;

    switch (v->type) {
    case JSON_NULL:
        return buf_puts(b, "null");
    case JSON_BOOL:
        return buf_puts(b, v->u.b ? "true" : "false");
    case JSON_NUMBER:
        return buf_append(b, v->u.str.p, v->u.str.n);
    case JSON_STRING:
        return json_string(b, v->u.str.p, v->u.str.n);
    case JSON_ARRAY:
        if (!v->u.arr.n)
            return buf_puts(b, "[]");
        rc = buf_putc(b, '[');
        for (size_t i = 0; !rc && i < v->u.arr.n; i++) {
            rc = i ? buf_putc(b, ',') : 0;
            if (!rc)
                rc = indent(b, depth + 1);
            if (!rc)
                rc = pretty(b, v->u.arr.items[i], depth + 1);
        }
        if (!rc)
            rc = indent(b, depth);
        return rc ? rc : buf_putc(b, ']');
    case JSON_OBJECT:
        if (!v->u.obj.n)
            return buf_puts(b, "{}");
        rc = buf_putc(b, '{');
        for (size_t i = 0; !rc && i < v->u.obj.n; i++) {
            const struct json_member *m = &v->u.obj.items[i];

            rc = i ? buf_putc(b, ',') : 0;
            if (!rc)
                rc = indent(b, depth + 1);
            if (!rc)
                rc = json_string(b, m->key, m->key_len);
            if (!rc)
                rc = buf_puts(b, ": ");
            if (!rc)
                rc = pretty(b, m->value, depth + 1);
        }
        if (!rc)
            rc = indent(b, depth);
        return rc ? rc : buf_putc(b, '}');
    }
    return 0;
}

int cli_json_pretty(struct buf *b, const struct json_value *v)
{
    int rc = pretty(b, v, 0);

    return rc ? rc : buf_putc(b, '\n');
}

/* ---- Graph errors ---- */

static const char *str_member(const struct json_value *v, const char *key)
{
    const struct json_value *m = json_get(v, key);

    return m && m->type == JSON_STRING ? m->u.str.p : NULL;
}

static const char *reason(long status)
{
    const char *r = status_reason(status);

    return r ? r : "";
}

/*
 * Intune's message is a JSON object in a string whose "Message" holds the text (graph-conventions
 * 2.3); return that text (and the phrase, if any, in *phrase), or `msg` itself when it is plain.
 */
static const char *unwrap(struct arena *a, const char *msg, const char **phrase)
{
    struct json_value *inner;
    struct cmp_error err = {0};
    const char *text;

    *phrase = NULL;
    if (!msg || msg[0] != '{')
        return msg;
    if (json_parse(a, msg, strlen(msg), CMP_EBADBODY, &inner, &err) || inner->type != JSON_OBJECT)
        return msg;
    text = str_member(inner, "Message");
    if (!text)
        return msg;
    *phrase = str_member(inner, "CustomApiErrorPhrase");
    if (*phrase && !**phrase)
        *phrase = NULL;
    return text;
}

int cli_error_text(struct buf *b, long status, const char *body, size_t len, const char *request_id,
                   const char *date)
{
    struct arena *a = arena_new(4096);
    struct json_value *root = NULL;
    const struct json_value *e = NULL;
    const struct json_value *inner = NULL;
    struct cmp_error err = {0};
    const char *code = NULL;
    const char *msg = NULL;
    const char *phrase = NULL;
    int rc;

    if (!a)
        return CMP_ENOMEM;
    if (body && len && !json_parse(a, body, len, CMP_EBADBODY, &root, &err))
        e = json_get(root, "error");
    if (e && e->type == JSON_OBJECT) {
        code = str_member(e, "code");
        msg = unwrap(a, str_member(e, "message"), &phrase);
        inner = json_get(e, "innerError");
        if (str_member(inner, "request-id"))
            request_id = str_member(inner, "request-id");
        if (str_member(inner, "date"))
            date = str_member(inner, "date");
    }
    rc =
        buf_printf(b, "cmpctl: HTTP %ld%s%s", status, reason(status)[0] ? " " : "", reason(status));
    if (!rc && code)
        rc = buf_printf(b, ": %s", code);
    if (!rc && msg)
        rc = buf_printf(b, ": %s", msg);
    else if (!rc && !e && body && len)
        rc = buf_printf(b, ": %.*s", (int)(len > 500 ? 500 : len), body);
    if (!rc && phrase)
        rc = buf_printf(b, "\n  phrase: %s", phrase);
    if (!rc && request_id && *request_id)
        rc = buf_printf(b, "\n  request-id: %s", request_id);
    if (!rc && date && *date)
        rc = buf_printf(b, "\n  date: %s", date);
    if (!rc)
        rc = buf_putc(b, '\n');
    arena_free(a);
    return rc;
}
