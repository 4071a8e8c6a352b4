/*
 * cli/http.c - one HTTP request through libcurl: bearer token, JSON body, the CA to trust, and
 * the response's status, body (capped at CLI_MAX_RESPONSE) and request-id/Date headers.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/buf.h"

struct sink {
    struct buf body;
    struct cli_response *r;
    bool too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;

    if (buf_append(&s->body, p, size * n)) {
        s->too_large = true;
        return 0;
    }
    return size * n;
}

/* Copy header `name`'s value from the header line `p` into `dst`, trimmed. */
static void header_value(const char *p, size_t n, const char *name, char *dst, size_t cap)
{
    size_t k = strlen(name);

    if (n <= k || strncasecmp(p, name, k) || p[k] != ':')
        return;
    p += k + 1;
    n -= k + 1;
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;

    header_value(p, size * n, "request-id", s->r->request_id, sizeof s->r->request_id);
    header_value(p, size * n, "date", s->r->date, sizeof s->r->date);
    return size * n;
}

static struct curl_slist *headers(const struct cli_args *args, const char *body)
{
    struct curl_slist *h = NULL;
    struct buf b;

    buf_init(&b, 64 * 1024);
    h = curl_slist_append(h, "Accept: application/json");
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (args->token && !buf_printf(&b, "Authorization: Bearer %s", args->token))
        h = curl_slist_append(h, b.data);
    buf_reset(&b);
    if (args->if_match && !buf_printf(&b, "If-Match: %s", args->if_match))
        h = curl_slist_append(h, b.data);
    buf_fini(&b);
    return h;
}

int cli_http(const struct cli_args *args, const char *method, const char *url, const char *body,
             struct cli_response *r, char *msg, size_t msglen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink s = {.r = r};
    struct curl_slist *h = NULL;
    CURL *c;
    CURLcode cc;
    int rc = 0;

    memset(r, 0, sizeof *r);
    buf_init(&s.body, CLI_MAX_RESPONSE);
    c = curl_easy_init();
    if (!c) {
        snprintf(msg, msglen, "cannot initialise libcurl");
        return CLI_ECONN;
    }
    h = headers(args, body);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cmpctl/1.0");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (args->debug)
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    if (args->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, args->ca);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else if (!strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    }
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (s.too_large)
            snprintf(msg, msglen, "%s: response larger than %u bytes", url, CLI_MAX_RESPONSE);
        else
            snprintf(msg, msglen, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        rc = CLI_ECONN;
        buf_fini(&s.body);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->body = buf_steal(&s.body, &r->len);
out:
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

void cli_response_fini(struct cli_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
