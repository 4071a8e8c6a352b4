/*
 * cli/cmd_partners.c - the five commands of `cmpctl device-management
 * compliance-management-partners`: build the URL and query, send, print the entity or collection
 * (pretty JSON) on stdout or the Graph error on stderr.  `list --all` follows @odata.nextLink and
 * prints one merged value array.
 */
#include <curl/curl.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

#define PARTNERS_PATH "/deviceManagement/complianceManagementPartners"
#define MAX_PAGES 100000

/* Append `s` percent-encoded. */
static int put_escaped(struct buf *b, const char *s)
{
    char *e = curl_easy_escape(NULL, s, (int)strlen(s));
    int rc;

    if (!e)
        return CMP_ENOMEM;
    rc = buf_puts(b, e);
    curl_free(e);
    return rc;
}

static int put_query(struct buf *b, const char *name, const char *value)
{
    int rc;

    if (!value)
        return 0;
    rc = buf_printf(b, "%c%s=", strchr(b->data, '?') ? '&' : '?', name);
    return rc ? rc : put_escaped(b, value);
}

/* The request URL of `args` into `b`. */
static int build_url(struct buf *b, const struct cli_args *args)
{
    size_t n = strlen(args->url);
    char num[24];
    int rc;

    while (n && args->url[n - 1] == '/')
        n--;
    rc = buf_printf(b, "%.*s/%s" PARTNERS_PATH, (int)n, args->url, args->api_version);
    if (!rc && args->id) {
        rc = buf_putc(b, '/');
        if (!rc)
            rc = put_escaped(b, args->id);
    }
    if (!rc && args->top >= 0) {
        snprintf(num, sizeof num, "%ld", args->top);
        rc = put_query(b, "$top", num);
    }
    if (!rc && args->skip >= 0) {
        snprintf(num, sizeof num, "%ld", args->skip);
        rc = put_query(b, "$skip", num);
    }
    if (!rc)
        rc = put_query(b, "$search", args->search);
    if (!rc)
        rc = put_query(b, "$filter", args->filter);
    if (!rc && args->count >= 0)
        rc = put_query(b, "$count", args->count ? "true" : "false");
    if (!rc)
        rc = put_query(b, "$orderby", args->orderby);
    if (!rc)
        rc = put_query(b, "$select", args->select);
    if (!rc)
        rc = put_query(b, "$expand", args->expand);
    return rc;
}

static void print_error(const struct cli_response *r)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    if (!cli_error_text(&b, r->status, r->body, r->len, r->request_id, r->date))
        fputs(b.data, stderr);
    else
        fprintf(stderr, "cmpctl: HTTP %ld\n", r->status);
    buf_fini(&b);
}

static int print_json(const struct json_value *v)
{
    struct buf b;
    int rc;

    buf_init(&b, (size_t)4 * CLI_MAX_RESPONSE);
    rc = cli_json_pretty(&b, v);
    if (!rc)
        fwrite(b.data, 1, b.len, stdout);
    buf_fini(&b);
    return rc;
}

/* Print a successful answer: nothing for an empty body, pretty JSON, or the text as it came. */
static int print_body(struct arena *a, const struct cli_response *r)
{
    struct json_value *v;
    struct cmp_error err = {0};

    if (!r->len)
        return CLI_OK;
    if (json_parse(a, r->body, r->len, CMP_EBADBODY, &v, &err) || print_json(v)) {
        fwrite(r->body, 1, r->len, stdout);
        if (r->body[r->len - 1] != '\n')
            putchar('\n');
    }
    return CLI_OK;
}

/* One request; prints the error (and returns its exit status) unless the answer is a 2xx. */
static int exchange(const struct cli_args *args, const char *method, const char *url,
                    const char *body, struct cli_response *r)
{
    char msg[CURL_ERROR_SIZE + 1024];

    if (cli_http(args, method, url, body, r, msg, sizeof msg)) {
        fprintf(stderr, "cmpctl: cannot reach cmpd: %s\n", msg);
        return CLI_ECONN;
    }
    if (r->status < 200 || r->status > 299) {
        print_error(r);
        cli_response_fini(r);
        return CLI_EHTTP;
    }
    return CLI_OK;
}

/* ---- list --all ---- */

/* Room for `need` more items in the growing array `*items` of capacity *cap. */
static int grow(struct arena *a, struct json_value ***items, size_t n, size_t need, size_t *cap)
{
    struct json_value **p;
    size_t c = *cap ? *cap : 64;

    if (n + need <= *cap)
        return 0;
    while (c < n + need)
        c *= 2;
    p = arena_alloc(a, c * sizeof *p);
    if (!p)
        return CMP_ENOMEM;
    if (n)
        memcpy(p, *items, n * sizeof *p);
    *items = p;
    *cap = c;
    return 0;
}

static int list_all(struct arena *a, const struct cli_args *args, const char *first)
{
    struct json_value *merged = arena_calloc(a, 1, sizeof *merged);
    struct json_member *members = arena_calloc(a, 3, sizeof *members);
    struct json_value *value = arena_calloc(a, 1, sizeof *value);
    struct json_value **items = NULL;
    size_t n = 0, cap = 0;
    const char *url = first;

    if (!merged || !members || !value)
        return CLI_ECONN;
    merged->type = JSON_OBJECT;
    merged->u.obj.items = members;
    value->type = JSON_ARRAY;
    for (int page = 0; url && page < MAX_PAGES; page++) {
        struct cli_response r;
        struct json_value *v;
        const struct json_value *vals;
        const struct json_value *next;
        struct cmp_error err = {0};
        char *body;
        int rc = exchange(args, "GET", url, NULL, &r);

        if (rc)
            return rc;
        body = arena_strndup(a, r.body ? r.body : "", r.len);
        cli_response_fini(&r);
        if (!body || json_parse(a, body, strlen(body), CMP_EBADBODY, &v, &err) ||
            !(vals = json_get(v, "value")) || vals->type != JSON_ARRAY) {
            fprintf(stderr, "cmpctl: %s: the answer is not a Graph collection\n", url);
            return CLI_EHTTP;
        }
        for (size_t i = 0; page == 0 && i < v->u.obj.n; i++) {
            const char *k = v->u.obj.items[i].key;
            if (!strcmp(k, "@odata.context") || !strcmp(k, "@odata.count"))
                members[merged->u.obj.n++] = v->u.obj.items[i];
        }
        if (grow(a, &items, n, vals->u.arr.n, &cap))
            return CLI_ECONN;
        if (vals->u.arr.n)
            memcpy(items + n, vals->u.arr.items, vals->u.arr.n * sizeof *items);
        n += vals->u.arr.n;
        next = json_get(v, "@odata.nextLink");
        url = next && next->type == JSON_STRING ? next->u.str.p : NULL;
    }
    value->u.arr.items = items;
    value->u.arr.n = n;
    members[merged->u.obj.n].key = "value";
    members[merged->u.obj.n].key_len = 5;
    members[merged->u.obj.n++].value = value;
    print_json(merged);
    return CLI_OK;
}

/* ---- the commands ---- */

static const char *method_of(enum cli_cmd cmd)
{
    switch (cmd) {
    case CLI_CMD_CREATE:
        return "POST";
    case CLI_CMD_PATCH:
        return "PATCH";
    case CLI_CMD_DELETE:
        return "DELETE";
    default:
        return "GET";
    }
}

/* mgc sends whatever --body holds; we say what is wrong before sending. */
static int check_body(struct arena *a, const char *body)
{
    struct json_value *v;
    struct cmp_error err = {0};

    if (json_parse(a, body, strlen(body), CMP_EBADBODY, &v, &err)) {
        fprintf(stderr, "cmpctl: --body is not valid JSON: %s\n", cmp_error_message(&err));
        return CLI_EUSAGE;
    }
    if (v->type != JSON_OBJECT) {
        fprintf(stderr, "cmpctl: --body must be a JSON object, not %s\n", json_type_name(v->type));
        return CLI_EUSAGE;
    }
    return 0;
}

int cli_partners_run(struct arena *a, const struct cli_args *args)
{
    struct cli_response r;
    struct buf url;
    int rc;

    if (args->body) {
        rc = check_body(a, args->body);
        if (rc)
            return rc;
    }
    buf_init(&url, 64 * 1024);
    if (build_url(&url, args)) {
        fprintf(stderr, "cmpctl: the request URL is too long\n");
        buf_fini(&url);
        return CLI_EUSAGE;
    }
    if (args->cmd == CLI_CMD_LIST && args->all) {
        rc = list_all(a, args, url.data);
        goto out;
    }
    rc = exchange(args, method_of(args->cmd), url.data, args->body, &r);
    if (rc)
        goto out;
    rc = print_body(a, &r);
    cli_response_fini(&r);
out:
    buf_fini(&url);
    return rc;
}
