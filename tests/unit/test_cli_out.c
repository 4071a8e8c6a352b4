/*
 * tests/unit/test_cli_out.c - cli/out.c: JSON indented as mgc prints it, and the text of Graph
 * errors (plain and Intune's JSON-inside-a-string message, request-id and date, non-JSON bodies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static void test_out_pretty_prints_with_two_spaces(void **state)
{
    static const char in[] =
        "{\"a\":1.50,\"b\":[],\"c\":{},\"d\":[true,null,\"x\\\"y\"],\"e\":{\"f\":\"\\u00e9\"}}";
    static const char want[] = "{\n"
                               "  \"a\": 1.50,\n"
                               "  \"b\": [],\n"
                               "  \"c\": {},\n"
                               "  \"d\": [\n"
                               "    true,\n"
                               "    null,\n"
                               "    \"x\\\"y\"\n"
                               "  ],\n"
                               "  \"e\": {\n"
                               "    \"f\": \"\xc3\xa9\"\n"
                               "  }\n"
                               "}\n";
    struct arena *a = arena_new(0);
    struct json_value *v;
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    assert_non_null(a);
    assert_int_equal(json_parse(a, in, strlen(in), CMP_EBADBODY, &v, &err), 0);
    buf_init(&b, 4096);
    assert_int_equal(cli_json_pretty(&b, v), 0);
    assert_string_equal(b.data, want);
    buf_fini(&b);
    arena_free(a);
}

static void test_out_error_text(void **state)
{
    static const struct {
        long status;
        const char *body;
        const char *rid;
        const char *date;
        const char *want;
    } cases[] = {
        /* Intune's wrapped message: the inner Message, innerError's request-id and date. */
        {404,
         "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"{\\r\\n  \\\"_version\\\": "
         "3,\\r\\n"
         "  \\\"Message\\\": \\\"Resource not found. - Operation ID (for customer support): 0 - "
         "Activity ID: r1 - Url: /x\\\",\\r\\n  \\\"CustomApiErrorPhrase\\\": \\\"\\\",\\r\\n  "
         "\\\"RetryAfter\\\": null\\r\\n}\",\"innerError\":{\"date\":\"2026-01-02T03:04:05\","
         "\"request-id\":\"r1\",\"client-request-id\":\"r1\"}}}",
         "hdr", "hdrdate",
         "cmpctl: HTTP 404 Not Found: ResourceNotFound: Resource not found. - Operation ID (for "
         "customer support): 0 - Activity ID: r1 - Url: /x\n  request-id: r1\n  date: "
         "2026-01-02T03:04:05\n"},
        /* A plain message, a phrase in a wrapped one. */
        {401,
         "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"Access token is "
         "empty.\",\"innerError\":{\"request-id\":\"r2\"}}}",
         NULL, "d",
         "cmpctl: HTTP 401 Unauthorized: InvalidAuthenticationToken: Access token is empty.\n"
         "  request-id: r2\n  date: d\n"},
        {400,
         "{\"error\":{\"code\":\"BadRequest\",\"message\":\"{\\\"Message\\\":\\\"m\\\","
         "\\\"CustomApiErrorPhrase\\\":\\\"FeatureDisabled\\\"}\"}}",
         NULL, NULL, "cmpctl: HTTP 400 Bad Request: BadRequest: m\n  phrase: FeatureDisabled\n"},
        /* A message that only looks wrapped stays as it is. */
        {400, "{\"error\":{\"code\":\"BadRequest\",\"message\":\"{not json\"}}", NULL, NULL,
         "cmpctl: HTTP 400 Bad Request: BadRequest: {not json\n"},
        /* Not Graph JSON at all: the body, headers as given. */
        {502, "<html>bad gateway</html>", "h1", NULL,
         "cmpctl: HTTP 502: <html>bad gateway</html>\n  request-id: h1\n"},
        {503, "", NULL, NULL, "cmpctl: HTTP 503 Service Unavailable\n"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;

        buf_init(&b, 4096);
        assert_int_equal(cli_error_text(&b, cases[i].status, cases[i].body, strlen(cases[i].body),
                                        cases[i].rid, cases[i].date),
                         0);
        assert_string_equal(b.data, cases[i].want);
        buf_fini(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_pretty_prints_with_two_spaces),
        cmocka_unit_test(test_out_error_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
