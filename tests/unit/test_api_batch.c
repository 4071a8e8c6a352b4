/*
 * tests/unit/test_api_batch.c - the $batch envelope (api/batch.c): every whole-batch 400 rule
 * (bad JSON, wrong types, missing members, the limit of 20, duplicate ids case-insensitively,
 * unknown or cyclic dependsOn), the per-request errors (absolute url, another version, a body
 * that is neither an object nor base64), the order dependsOn imposes, the batch response, and
 * batch_post() with a fake pipeline: 424 down a failed chain, no nested batches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/batch.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static struct arena *a;

static int setup(void **state)
{
    (void)state;
    a = arena_new(0);
    return a ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(a);
    return 0;
}

static int parse(const char *json, struct batch *b, struct cmp_error *err)
{
    memset(err, 0, sizeof *err);
    return batch_parse(a, "v1.0", json, strlen(json), b, err);
}

#define REQ(id) "{\"id\":\"" id "\",\"method\":\"GET\",\"url\":\"/deviceManagement/x\"}"

/* ---- whole-batch 400s ---- */

static const struct {
    const char *json;
    const char *message; /* a part of the error message */
} bad_envelopes[] = {
    {"", "JSON"},
    {"{\"requests\": [", ""},
    {"{\"requests\": []} x", ""},
    {"[]", "must be a JSON object"},
    {"\"requests\"", "must be a JSON object"},
    {"{}", "needs a 'requests' array"},
    {"{\"requests\": null}", "needs a 'requests' array"},
    {"{\"requests\": {}}", "needs a 'requests' array"},
    {"{\"requests\": [1]}", "request 1: each request must be an object"},
    {"{\"requests\": [" REQ("1") ", null]}", "request 2: each request must be an object"},
    {"{\"requests\": [{\"method\":\"GET\",\"url\":\"/x\"}]}", "'id' is required"},
    {"{\"requests\": [{\"id\":1,\"method\":\"GET\",\"url\":\"/x\"}]}", "'id' is required"},
    {"{\"requests\": [{\"id\":\"\",\"method\":\"GET\",\"url\":\"/x\"}]}", "'id' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"url\":\"/x\"}]}", "'method' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":true,\"url\":\"/x\"}]}", "'method' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\"}]}", "'url' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":[]}]}", "'url' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"\"}]}", "'url' is required"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"headers\":[]}]}",
     "'headers' must be an object"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"headers\":{\"a\":1}}]}",
     "header value must be a string"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"headers\":{\"\":\"v\"}}]}",
     "header name is empty"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/x\",\"body\":{}}]}",
     "needs a Content-Type"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/x\",\"headers\":{\"Accept\":"
     "\"*/*\"},\"body\":{}}]}",
     "needs a Content-Type"},
    {"{\"requests\": [" REQ("a") "," REQ("a") "]}", "two requests with the id 'a'"},
    {"{\"requests\": [" REQ("Abc") "," REQ("aBC") "]}", "two requests with the id 'aBC'"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":\"2\"}]}",
     "'dependsOn' must be an array"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[2]}]}",
     "'dependsOn' must be an array"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[\"9\"]}]}",
     "names '9', which is not the id"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[\"1\"]}]}",
     "form a cycle"},
    {"{\"requests\": [{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[\"3\"]},"
     "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[\"1\"]},"
     "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/x\",\"dependsOn\":[\"2\"]}]}",
     "form a cycle"},
};

static void test_batch_rejects_malformed_envelopes(void **state)
{
    struct batch b;
    struct cmp_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad_envelopes / sizeof *bad_envelopes; i++) {
        int rc = parse(bad_envelopes[i].json, &b, &err);
        if (rc != CMP_EBADBODY || !strstr(err.msg, bad_envelopes[i].message))
            fail_msg("case %zu (%s): rc %d, message '%s'", i, bad_envelopes[i].json, rc, err.msg);
    }
}

static char *envelope(size_t n)
{
    struct buf b;
    size_t i;
    char *s;

    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"requests\":[");
    for (i = 0; i < n; i++)
        buf_printf(&b, "%s{\"id\":\"%zu\",\"method\":\"GET\",\"url\":\"/x\"}", i ? "," : "", i);
    buf_puts(&b, "]}");
    s = arena_strndup(a, b.data, b.len);
    buf_fini(&b);
    return s;
}

static void test_batch_takes_20_requests_and_refuses_21(void **state)
{
    struct batch b;
    struct cmp_error err;

    (void)state;
    assert_int_equal(parse(envelope(20), &b, &err), 0);
    assert_int_equal(b.n, 20);
    assert_int_equal(parse(envelope(21), &b, &err), CMP_EBADBODY);
    assert_non_null(strstr(err.msg, "at most 20 requests; this one has 21"));
    assert_int_equal(parse(envelope(0), &b, &err), 0);
    assert_int_equal(b.n, 0);
}

/* ---- one request ---- */

static void test_batch_url_is_relative_to_the_version_root(void **state)
{
    struct batch b;
    struct cmp_error err;

    (void)state;
    assert_int_equal(
        parse("{\"requests\":["
              "{\"id\":\"1\",\"method\":\"get\",\"url\":\"/deviceManagement/x?$top=1\"},"
              "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"deviceManagement/x\"},"
              "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/v1.0/deviceManagement/x\"},"
              "{\"id\":\"4\",\"method\":\"GET\",\"url\":\"/beta/deviceManagement/x\"},"
              "{\"id\":\"5\",\"method\":\"GET\",\"url\":\"https://graph.microsoft.com/v1.0/x\"},"
              "{\"id\":\"6\",\"method\":\"GET\",\"url\":\"//evil/x\"},"
              "{\"id\":\"7\",\"method\":\"GET\",\"url\":\"beta\"}]}",
              &b, &err),
        0);
    assert_string_equal(b.items[0].method, "GET");
    assert_string_equal(b.items[0].path, "/v1.0/deviceManagement/x?$top=1");
    assert_string_equal(b.items[1].path, "/v1.0/deviceManagement/x");
    assert_string_equal(b.items[2].path, "/v1.0/deviceManagement/x");
    assert_int_equal(b.items[3].err.code, CMP_EBADREQUEST);
    assert_non_null(strstr(b.items[3].err.msg, "another version"));
    assert_null(b.items[3].path);
    assert_int_equal(b.items[4].err.code, CMP_EBADREQUEST);
    assert_non_null(strstr(b.items[4].err.msg, "must be relative"));
    assert_int_equal(b.items[5].err.code, CMP_EBADREQUEST);
    assert_int_equal(b.items[6].err.code, CMP_EBADREQUEST);
}

/* A long url or id is shown cut at 64 bytes, never inside a UTF-8 sequence. */
static void test_batch_messages_cut_long_text_on_a_character(void **state)
{
    struct batch b;
    struct cmp_error err;
    char env[512];
    const char *at;

    (void)state;
    /* "https://" + 55 'a' + "\u00e9" (2 bytes, at offsets 63-64) + "/x": the 64th byte is inside
     * it. */
    snprintf(env, sizeof env,
             "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"https://%s\u00e9/x\"}]}",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(parse(env, &b, &err), 0);
    assert_int_equal(b.items[0].err.code, CMP_EBADREQUEST);
    at = strstr(b.items[0].err.msg, "https://");
    assert_non_null(at);
    assert_true(str_is_utf8(b.items[0].err.msg, strlen(b.items[0].err.msg)));
    assert_non_null(strstr(at, "aaaa' of a batch request"));
}

static void test_batch_body_object_base64_or_refused(void **state)
{
    struct batch b;
    struct cmp_error err;

    (void)state;
    /* "eyJhIjoxfQ==" is base64 of {"a":1}. */
    assert_int_equal(
        parse(
            "{\"requests\":["
            "{\"id\":\"1\",\"method\":\"POST\",\"url\":\"x\",\"headers\":{\"content-type\":"
            "\"application/json\"},\"body\":{\"a\":[1,2.5e3,true,null,\"q\\\"\\u00e9\"],\"b\":{}}},"
            "{\"id\":\"2\",\"method\":\"POST\",\"url\":\"x\",\"headers\":{\"Content-Type\":"
            "\"application/json\"},\"body\":\"eyJhIjoxfQ==\"},"
            "{\"id\":\"3\",\"method\":\"POST\",\"url\":\"x\",\"headers\":{\"Content-Type\":"
            "\"application/json\"},\"body\":\"%%%\"},"
            "{\"id\":\"4\",\"method\":\"POST\",\"url\":\"x\",\"headers\":{\"Content-Type\":"
            "\"application/json\"},\"body\":[1]},"
            "{\"id\":\"5\",\"method\":\"POST\",\"url\":\"x\",\"headers\":{\"Content-Type\":"
            "\"application/json\"},\"body\":null}]}",
            &b, &err),
        0);
    assert_string_equal(b.items[0].body, "{\"a\":[1,2.5e3,true,null,\"q\\\"\xc3\xa9\"],\"b\":{}}");
    assert_int_equal(b.items[0].body_len, strlen(b.items[0].body));
    assert_int_equal(b.items[0].n_headers, 1);
    assert_string_equal(b.items[0].headers[0].name, "content-type");
    assert_memory_equal(b.items[1].body, "{\"a\":1}", 7);
    assert_int_equal(b.items[1].body_len, 7);
    assert_int_equal(b.items[2].err.code, CMP_EBADBODY);
    assert_int_equal(b.items[3].err.code, CMP_EBADBODY);
    assert_non_null(strstr(b.items[3].err.msg, "not array"));
    assert_int_equal(b.items[4].err.code, 0);
    assert_null(b.items[4].body);
}

static void test_batch_orders_by_depends_on(void **state)
{
    struct batch b;
    struct cmp_error err;

    (void)state;
    assert_int_equal(parse("{\"requests\":["
                           "{\"id\":\"a\",\"method\":\"GET\",\"url\":\"x\",\"dependsOn\":[\"C\"]},"
                           "{\"id\":\"b\",\"method\":\"GET\",\"url\":\"x\"},"
                           "{\"id\":\"c\",\"method\":\"GET\",\"url\":\"x\",\"dependsOn\":[\"b\"]},"
                           "{\"id\":\"d\",\"method\":\"GET\",\"url\":\"x\",\"dependsOn\":[]}]}",
                           &b, &err),
                     0);
    assert_int_equal(b.items[0].n_depends, 1);
    assert_int_equal(b.items[0].depends[0], 2);
    assert_int_equal(b.order[0], 1);
    assert_int_equal(b.order[1], 2);
    assert_int_equal(b.order[2], 0);
    assert_int_equal(b.order[3], 3);
}

/* ---- the response, and the handler with a fake pipeline ---- */

static int ran[BATCH_MAX_REQUESTS];
static size_t n_ran;

static void fake_exec(void *ctx, const struct batch_request *rq, struct batch_response *out)
{
    static struct batch_header ct = {"content-type", "application/json"};
    static struct batch_header rid = {"request-id", "not-copied"};
    struct batch_header *h = arena_calloc(a, 2, sizeof *h);

    (void)ctx;
    memset(out, 0, sizeof *out);
    ran[n_ran++] = rq->id[0];
    h[0] = ct;
    h[1] = rid;
    out->headers = h;
    out->n_headers = 2;
    out->body_json = true;
    if (rq->err.code) {
        out->status = cmp_err_status(rq->err.code);
        out->body = arena_sprintf(a, "{\"m\":\"%s\"}", rq->err.msg);
    } else if (strcmp(rq->method, "DELETE") == 0) {
        out->status = 204;
        out->n_headers = 0;
    } else if (strstr(rq->path, "missing")) {
        out->status = 404;
        out->body = "{}";
    } else {
        out->status = 200;
        out->body = "{\"ok\":true}";
    }
    out->body_len = out->body ? strlen(out->body) : 0;
}

static void test_batch_post_runs_in_order_and_fails_dependents_with_424(void **state)
{
    const char *env = "{\"requests\":["
                      "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"x\",\"dependsOn\":[\"2\"]},"
                      "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"missing\"},"
                      "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"x\",\"dependsOn\":[\"1\"]},"
                      "{\"id\":\"4\",\"method\":\"DELETE\",\"url\":\"x\"}]}";
    struct api_request r;
    struct cmp_error err = {0};
    struct buf out;

    (void)state;
    buf_init(&out, 1 << 20);
    memset(&r, 0, sizeof r);
    r.version_name = "v1.0";
    r.body = env;
    r.body_len = strlen(env);
    r.arena = a;
    r.err = &err;
    r.out = &out;
    r.exec = fake_exec;
    n_ran = 0;
    assert_int_equal(batch_post(&r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, API_CT_ODATA);
    assert_int_equal(n_ran, 4);
    assert_int_equal(ran[0], '1');
    assert_int_equal(ran[1], '2');
    assert_int_equal(ran[2], '3');
    assert_int_equal(ran[3], '4');
    buf_putc(&out, '\0');
    assert_string_equal(
        out.data,
        "{\"responses\":["
        "{\"id\":\"3\",\"status\":424,\"headers\":{\"Content-Type\":\"application/json\"},"
        "\"body\":{\"m\":\"The request depends on request '2', which failed with status 424.\"}},"
        "{\"id\":\"1\",\"status\":404,\"headers\":{\"Content-Type\":\"application/json\"},"
        "\"body\":{}},"
        "{\"id\":\"2\",\"status\":424,\"headers\":{\"Content-Type\":\"application/json\"},"
        "\"body\":{\"m\":\"The request depends on request '1', which failed with status 404.\"}},"
        "{\"id\":\"4\",\"status\":204,\"headers\":{}}]}");
    buf_fini(&out);
}

static void test_batch_post_refuses_nested_batches_and_bad_envelopes(void **state)
{
    struct api_request r;
    struct cmp_error err = {0};
    struct buf out;

    (void)state;
    buf_init(&out, 1 << 20);
    memset(&r, 0, sizeof r);
    r.version_name = "beta";
    r.body = "{\"requests\":[]}";
    r.body_len = strlen(r.body);
    r.arena = a;
    r.err = &err;
    r.out = &out;
    assert_int_equal(batch_post(&r), CMP_EBADREQUEST);
    assert_non_null(strstr(err.msg, "cannot hold another batch"));
    memset(&err, 0, sizeof err);
    r.exec = fake_exec;
    r.body = "{\"requests\":7}";
    r.body_len = strlen(r.body);
    assert_int_equal(batch_post(&r), CMP_EBADBODY);
    assert_int_equal(out.len, 0);
    buf_fini(&out);
}

static void test_batch_text_bodies_are_json_strings(void **state)
{
    struct batch b;
    struct cmp_error err;
    struct batch_response res[1];
    struct batch_header h = {"Content-Type", "text/plain"};
    struct buf out;

    (void)state;
    assert_int_equal(parse("{\"requests\":[" REQ("c") "]}", &b, &err), 0);
    memset(res, 0, sizeof res);
    res[0].status = 200;
    res[0].headers = &h;
    res[0].n_headers = 1;
    res[0].body = "12\n\"";
    res[0].body_len = 4;
    buf_init(&out, 4096);
    assert_int_equal(batch_write(&out, &b, res), 0);
    buf_putc(&out, '\0');
    assert_string_equal(out.data, "{\"responses\":[{\"id\":\"c\",\"status\":200,\"headers\":{"
                                  "\"Content-Type\":\"text/plain\"},\"body\":\"12\\n\\\"\"}]}");
    buf_fini(&out);
}

static void test_batch_fuzz_entry_survives_garbage(void **state)
{
    static const char *inputs[] = {"", "{", "{\"requests\":[{\"id\":\"1\"}]}", "\xff\xfe",
                                   "{\"requests\":[" REQ("1") "]}"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof inputs / sizeof *inputs; i++)
        assert_int_equal(batch_fuzz((const unsigned char *)inputs[i], strlen(inputs[i])), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_rejects_malformed_envelopes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_takes_20_requests_and_refuses_21, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_url_is_relative_to_the_version_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_messages_cut_long_text_on_a_character, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_body_object_base64_or_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_orders_by_depends_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_post_runs_in_order_and_fails_dependents_with_424,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_post_refuses_nested_batches_and_bad_envelopes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_text_bodies_are_json_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_fuzz_entry_survives_garbage, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
