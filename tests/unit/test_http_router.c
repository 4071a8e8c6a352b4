/*
 * tests/unit/test_http_router.c - path + method -> route, and every way a path can be wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/router.h"

#include <cmocka.h>

#define BASE "/v1.0/deviceManagement/complianceManagementPartners"
#define ID "9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f"

struct route_case {
    const char *method;
    const char *path;
    int rc;                  /* expected return code */
    api_handler_fn *handler; /* expected handler, NULL for 405 */
    const char *id;          /* expected key */
    enum graph_version version;
    const char *msg; /* expected error message, or NULL */
};

static const struct route_case cases[] = {
    {"GET", BASE, 0, partners_list, NULL, GRAPH_V1, NULL},
    {"GET", BASE "/", 0, partners_list, NULL, GRAPH_V1, NULL},
    {"POST", BASE, 0, partners_create, NULL, GRAPH_V1, NULL},
    {"GET", "/beta/deviceManagement/complianceManagementPartners", 0, partners_list, NULL,
     GRAPH_BETA, NULL},
    {"GET", BASE "/" ID, 0, partners_get, ID, GRAPH_V1, NULL},
    {"GET", BASE "/9F0C2D4E-1A3B-4C5D-8E6F-7A8B9C0D1E2F", 0, partners_get, ID, GRAPH_V1, NULL},
    {"PATCH", BASE "/" ID, 0, partners_update, ID, GRAPH_V1, NULL},
    {"DELETE", BASE "/" ID, 0, partners_delete, ID, GRAPH_V1, NULL},
    {"GET", BASE "('" ID "')", 0, partners_get, ID, GRAPH_V1, NULL},
    {"GET", BASE "(%27" ID "%27)", 0, partners_get, ID, GRAPH_V1, NULL},
    {"DELETE", BASE "('" ID "')", 0, partners_delete, ID, GRAPH_V1, NULL},
    {"GET", BASE "('it''s')", 0, partners_get, "it's", GRAPH_V1, NULL},
    {"GET", BASE "/$count", 0, partners_count, NULL, GRAPH_V1, NULL},
    /* Known paths, other methods: 405 (route NULL). */
    {"PUT", BASE "/" ID, 0, NULL, ID, GRAPH_V1, NULL},
    {"POST", BASE "/" ID, 0, NULL, ID, GRAPH_V1, NULL},
    {"PATCH", BASE, 0, NULL, NULL, GRAPH_V1, NULL},
    {"DELETE", BASE, 0, NULL, NULL, GRAPH_V1, NULL},
    {"POST", BASE "/$count", 0, NULL, NULL, GRAPH_V1, NULL},
    {"get", BASE, 0, NULL, NULL, GRAPH_V1, NULL},
    /* $batch: POST only, both versions. */
    {"POST", "/v1.0/$batch", 0, batch_post, NULL, GRAPH_V1, NULL},
    {"POST", "/beta/$batch/", 0, batch_post, NULL, GRAPH_BETA, NULL},
    {"GET", "/v1.0/$batch", 0, NULL, NULL, GRAPH_V1, NULL},
    {"POST", "/v1.0/$batch/x", CMP_ENOROUTE, NULL, NULL, 0,
     "Resource not found for the segment '$batch'."},
    /* Versions and segments. */
    {"GET", "/v2/deviceManagement/complianceManagementPartners", CMP_EBADVERSION, NULL, NULL, 0,
     "Invalid version: v2"},
    {"GET", "/deviceManagement/complianceManagementPartners", CMP_EBADVERSION, NULL, NULL, 0,
     "Invalid version: deviceManagement"},
    {"GET", "/V1.0/deviceManagement/complianceManagementPartners", CMP_EBADVERSION, NULL, NULL, 0,
     "Invalid version: V1.0"},
    {"GET", "/", CMP_EBADVERSION, NULL, NULL, 0, "Invalid version: "},
    {"GET", "/v1.0/devicemanagement/complianceManagementPartners", CMP_ENOROUTE, NULL, NULL, 0,
     "Resource not found for the segment 'devicemanagement'."},
    {"GET", "/v1.0/deviceManagement/compliancemanagementpartners", CMP_ENOROUTE, NULL, NULL, 0,
     "Resource not found for the segment 'compliancemanagementpartners'."},
    {"GET", "/v1.0/deviceManagement", CMP_ENOROUTE, NULL, NULL, 0, NULL},
    {"GET", "/v1.0/$metadata", 0, service_metadata, NULL, GRAPH_V1, NULL},
    {"GET", "/beta/$metadata", 0, service_metadata, NULL, GRAPH_BETA, NULL},
    {"GET", "/v1.0/", 0, service_document, NULL, GRAPH_V1, NULL},
    {"GET", "/beta", 0, service_document, NULL, GRAPH_BETA, NULL},
    {"POST", "/v1.0/$metadata", 0, NULL, NULL, GRAPH_V1, NULL},
    {"GET", "/v1.0/$metadata/x", CMP_ENOROUTE, NULL, NULL, 0, NULL},
    {"GET", BASE "/" ID "/displayName", CMP_EBADSEGMENT, NULL, NULL, 0,
     "Resource not found for the segment 'displayName'."},
    {"GET", BASE "/" ID "/macOsEnrollmentAssignments", CMP_EBADSEGMENT, NULL, NULL, 0,
     "Resource not found for the segment 'macOsEnrollmentAssignments'."},
    {"GET", BASE "('" ID "')/$count", CMP_EBADSEGMENT, NULL, NULL, 0,
     "Resource not found for the segment '$count'."},
    {"GET", BASE "/$count/x", CMP_EBADSEGMENT, NULL, NULL, 0, NULL},
    {"GET", BASE "(" ID ")", CMP_EBADKEY, NULL, NULL, 0, NULL},
    {"GET", BASE "('" ID ")", CMP_EBADKEY, NULL, NULL, 0, NULL},
    {"GET", BASE "('a'b')", CMP_EBADKEY, NULL, NULL, 0, NULL},
    {"GET", BASE "/%zz", CMP_EBADREQUEST, NULL, NULL, 0, NULL},
    {"GET", BASE "/a%00b", CMP_EBADREQUEST, NULL, NULL, 0, NULL},
    /* The decoded path must be UTF-8 text: PostgreSQL refused such a key with a 500 (found by
     * fuzz_request, corpus/fuzz_request/regress_key_not_utf8). */
    {"GET", BASE "/9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0%A21e2f", CMP_EBADREQUEST, NULL, NULL, 0,
     "The request URL is not validly encoded."},
    {"DELETE", BASE "('%C3%28')", CMP_EBADREQUEST, NULL, NULL, 0, NULL},
    {"GET", BASE "/\xa2", CMP_EBADREQUEST, NULL, NULL, 0, NULL},
    {"GET", "/v%FF.0/deviceManagement/complianceManagementPartners", CMP_EBADREQUEST, NULL, NULL, 0,
     NULL},
    {"GET", BASE "('%C3%A9')", 0, partners_get, "\xc3\xa9", GRAPH_V1, NULL},
    {"GET", "/v1.0/a/b/c/d/e/f/g/h/i", CMP_ENOROUTE, NULL, NULL, 0, NULL},
};

static void test_router_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct route_case *c = &cases[i];
        struct arena *a = arena_new(0);
        struct cmp_error err = {0};
        struct route_match m;
        int rc = router_match(a, c->method, strlen(c->method), c->path, strlen(c->path), &m, &err);

        print_message("%s %s\n", c->method, c->path);
        assert_int_equal(rc, c->rc);
        if (rc == 0) {
            assert_int_equal(m.version, c->version);
            if (c->handler) {
                assert_non_null(m.route);
                assert_ptr_equal(m.route->handler, c->handler);
            } else {
                assert_null(m.route);
            }
            if (c->id)
                assert_string_equal(m.id, c->id);
            else if (m.target != ROUTE_ITEM)
                assert_null(m.id);
        } else {
            assert_int_equal(err.code, c->rc);
            if (c->msg)
                assert_string_equal(cmp_error_message(&err), c->msg);
        }
        arena_free(a);
    }
}

static void test_router_write_routes_need_write_permission(void **state)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct route_match m;
    const char *writes[] = {"POST", "PATCH", "DELETE"};
    const char *paths[] = {BASE, BASE "/" ID, BASE "/" ID};
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        assert_int_equal(
            router_match(a, writes[i], strlen(writes[i]), paths[i], strlen(paths[i]), &m, &err), 0);
        assert_int_equal(m.route->perm, AUTH_PERM_WRITE);
    }
    assert_int_equal(router_match(a, "GET", 3, BASE "/$count", strlen(BASE "/$count"), &m, &err),
                     0);
    assert_int_equal(m.route->perm, AUTH_PERM_READ);
    arena_free(a);
}

static void test_router_allowed_lists_the_methods_of_a_target(void **state)
{
    char buf[64];

    (void)state;
    assert_string_equal(router_allowed(ROUTE_COLLECTION, buf, sizeof buf), "GET, POST");
    assert_string_equal(router_allowed(ROUTE_ITEM, buf, sizeof buf), "GET, PATCH, DELETE");
    assert_string_equal(router_allowed(ROUTE_COUNT, buf, sizeof buf), "GET");
    assert_string_equal(router_allowed(ROUTE_BATCH, buf, sizeof buf), "POST");
}

/* The batch route verifies the token; each inner request is authorised and throttled itself. */
static void test_router_batch_is_an_envelope(void **state)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct route_match m;

    (void)state;
    assert_int_equal(router_match(a, "POST", 4, "/v1.0/$batch", 12, &m, &err), 0);
    assert_int_equal(m.target, ROUTE_BATCH);
    assert_false(m.public_target);
    assert_true(m.route->envelope);
    assert_true(m.route->has_body);
    assert_int_equal(router_match(a, "POST", 4, BASE, strlen(BASE), &m, &err), 0);
    assert_false(m.route->envelope);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_table),
        cmocka_unit_test(test_router_write_routes_need_write_permission),
        cmocka_unit_test(test_router_allowed_lists_the_methods_of_a_target),
        cmocka_unit_test(test_router_batch_is_an_envelope),
    };

    return cmocka_run_group_tests_name("http_router", tests, NULL, NULL);
}
