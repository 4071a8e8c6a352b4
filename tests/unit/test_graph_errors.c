/*
 * tests/unit/test_graph_errors.c - Graph error bodies (graph/errors.c).
 *
 * The wrapped case reproduces the real Intune sample of graph-conventions.md 2.3 byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "graph/errors.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define RID "d4f43fa4-4791-424c-9cbf-7c4a60796465"
#define CRID "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54"
#define SAMPLE_URL                                                                                 \
    "https://fef.amsub0102.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/"                \
    "deviceManagement/applePushNotificationCertificate?api-version=2018-05-24"
#define T_2020_09_25_09_58_18 1601027898
#define T_2025_02_13_10_17_05 1739441825

static const char *write_error(struct buf *b, const struct cmp_error *err,
                               const struct graph_error_ctx *ctx)
{
    buf_reset(b);
    assert_int_equal(graph_error_write(b, err, ctx), 0);
    return b->data;
}

static void test_wrapped_body_matches_the_intune_sample(void **state)
{
    const struct graph_error_ctx ctx = {RID, RID, T_2020_09_25_09_58_18, SAMPLE_URL};
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    cmp_error_set(&err, CMP_ENOTFOUND, "An error has occurred");
    buf_init(&b, 1 << 16);
    assert_string_equal(
        write_error(&b, &err, &ctx),
        "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"{\\r\\n  \\\"_version\\\": 3,"
        "\\r\\n  \\\"Message\\\": \\\"An error has occurred - Operation ID (for customer "
        "support): 00000000-0000-0000-0000-000000000000 - Activity ID: " RID " - Url: " SAMPLE_URL
        "\\\",\\r\\n  \\\"CustomApiErrorPhrase\\\": \\\"\\\",\\r\\n  \\\"RetryAfter\\\": null,"
        "\\r\\n  \\\"ErrorSourceService\\\": \\\"\\\",\\r\\n  \\\"HttpHeaders\\\": \\\"{}\\\"\\r\\n"
        "}\",\"innerError\":{\"date\":\"2020-09-25T09:58:18\",\"request-id\":\"" RID "\","
        "\"client-request-id\":\"" RID "\"}}}");
    buf_fini(&b);
}

static void test_plain_body_carries_the_text_itself(void **state)
{
    const struct graph_error_ctx ctx = {RID, CRID, T_2025_02_13_10_17_05, "/v1.0/x"};
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    cmp_error_set(&err, CMP_EUNAUTHENTICATED, NULL);
    assert_string_equal(write_error(&b, &err, &ctx),
                        "{\"error\":{\"code\":\"InvalidAuthenticationToken\","
                        "\"message\":\"Access token is empty.\",\"innerError\":{"
                        "\"date\":\"2025-02-13T10:17:05\",\"request-id\":\"" RID "\","
                        "\"client-request-id\":\"" CRID "\"}}}");
    cmp_error_clear(&err);
    cmp_error_set(&err, CMP_EBADQUERY, "Invalid filter clause: \"x\" \\ y");
    assert_string_equal(write_error(&b, &err, &ctx),
                        "{\"error\":{\"code\":\"BadRequest\","
                        "\"message\":\"Invalid filter clause: \\\"x\\\" \\\\ y\",\"innerError\":{"
                        "\"date\":\"2025-02-13T10:17:05\",\"request-id\":\"" RID "\","
                        "\"client-request-id\":\"" CRID "\"}}}");
    buf_fini(&b);
}

/* The member named `key` of object `v` must be member number `i` and a string; returns it. */
static const char *member_string(const struct json_value *v, size_t i, const char *key)
{
    assert_true(i < v->u.obj.n);
    assert_string_equal(v->u.obj.items[i].key, key);
    assert_int_equal(v->u.obj.items[i].value->type, JSON_STRING);
    return v->u.obj.items[i].value->u.str.p;
}

static void test_wrapped_message_is_itself_json_with_members_in_order(void **state)
{
    const struct graph_error_ctx ctx = {RID, CRID, T_2025_02_13_10_17_05,
                                        "http://127.0.0.1:8080/v1.0/deviceManagement/x"};
    struct cmp_error err = {0};
    struct arena *a = arena_new(0);
    struct json_value *body;
    struct json_value *inner;
    const struct json_value *e;
    const char *msg;
    struct buf b;

    (void)state;
    assert_non_null(a);
    buf_init(&b, 1 << 16);
    cmp_error_set(&err, CMP_EBADBODY, "The property 'a\"b\\c' does not exist.");
    write_error(&b, &err, &ctx);
    assert_int_equal(json_parse(a, b.data, b.len, CMP_EBADBODY, &body, &err), 0);
    e = json_get(body, "error");
    assert_non_null(e);
    assert_string_equal(member_string(e, 0, "code"), "BadRequest");
    msg = member_string(e, 1, "message");
    assert_int_equal(json_parse(a, msg, strlen(msg), CMP_EBADBODY, &inner, &err), 0);
    assert_int_equal(inner->type, JSON_OBJECT);
    assert_int_equal(inner->u.obj.n, 6);
    assert_string_equal(inner->u.obj.items[0].key, "_version");
    assert_int_equal(inner->u.obj.items[0].value->type, JSON_NUMBER);
    assert_string_equal(inner->u.obj.items[0].value->u.str.p, "3");
    assert_string_equal(member_string(inner, 1, "Message"),
                        "The property 'a\"b\\c' does not exist. - Operation ID (for customer "
                        "support): 00000000-0000-0000-0000-000000000000 - Activity ID: " RID
                        " - Url: http://127.0.0.1:8080/v1.0/deviceManagement/x");
    assert_string_equal(member_string(inner, 2, "CustomApiErrorPhrase"), "");
    assert_string_equal(inner->u.obj.items[3].key, "RetryAfter");
    assert_int_equal(inner->u.obj.items[3].value->type, JSON_NULL);
    assert_string_equal(member_string(inner, 4, "ErrorSourceService"), "");
    assert_string_equal(member_string(inner, 5, "HttpHeaders"), "{}");
    e = json_get(e, "innerError");
    assert_non_null(e);
    assert_int_equal(e->u.obj.n, 3);
    assert_string_equal(member_string(e, 0, "date"), "2025-02-13T10:17:05");
    assert_string_equal(member_string(e, 1, "request-id"), RID);
    assert_string_equal(member_string(e, 2, "client-request-id"), CRID);
    buf_fini(&b);
    arena_free(a);
}

static void test_wrapped_retry_after_is_a_string_of_seconds(void **state)
{
    const struct graph_error_ctx ctx = {RID, CRID, 0, "u"};
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    cmp_error_set(&err, CMP_EINTERNAL, NULL);
    err.retry_after = 30;
    assert_non_null(strstr(write_error(&b, &err, &ctx),
                           "\\\"Message\\\": \\\"An internal server error has occurred - "));
    assert_non_null(strstr(b.data, "\\r\\n  \\\"RetryAfter\\\": \\\"30\\\",\\r\\n"));
    assert_non_null(strstr(b.data, "\"date\":\"1970-01-01T00:00:00\""));
    buf_fini(&b);
}

static void test_missing_context_strings_are_written_empty(void **state)
{
    const struct graph_error_ctx ctx = {NULL, NULL, 0, NULL};
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    cmp_error_set(&err, CMP_ENOTFOUND, NULL);
    write_error(&b, &err, &ctx);
    assert_non_null(strstr(b.data, "Activity ID:  - Url: \\\""));
    assert_non_null(strstr(b.data, "\"request-id\":\"\",\"client-request-id\":\"\"}}}"));
    buf_fini(&b);
}

static void test_failed_write_leaves_the_buffer_as_it_was(void **state)
{
    const struct graph_error_ctx ctx = {RID, CRID, 0, "u"};
    struct cmp_error err = {0};
    struct buf b;

    (void)state;
    cmp_error_set(&err, CMP_ENOTFOUND, NULL);
    buf_init(&b, 200); /* room for the plain form, not for the wrapped one */
    assert_int_equal(buf_puts(&b, "x"), 0);
    assert_int_equal(graph_error_write(&b, &err, &ctx), CMP_ETOOLARGE);
    assert_string_equal(b.data, "x");
    buf_fini(&b);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrapped_body_matches_the_intune_sample),
        cmocka_unit_test(test_plain_body_carries_the_text_itself),
        cmocka_unit_test(test_wrapped_message_is_itself_json_with_members_in_order),
        cmocka_unit_test(test_wrapped_retry_after_is_a_string_of_seconds),
        cmocka_unit_test(test_missing_context_strings_are_written_empty),
        cmocka_unit_test(test_failed_write_leaves_the_buffer_as_it_was),
    };

    return cmocka_run_group_tests_name("graph_errors", tests, NULL, NULL);
}
