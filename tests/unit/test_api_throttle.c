/*
 * tests/unit/test_api_throttle.c - the throttling policy (api/throttle.c): which counters a
 * request touches with which limits, reads and writes, the 429 it turns a refusal into, and
 * admitting when the store cannot count.  The store is a fake backend that records the call;
 * the counting itself is tested by test_store_window.c and test_store.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/throttle.h"
#include "core/err.h"
#include "store/store.h"
#include "store/store_impl.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define TENANT "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define APP "5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c01"

/* ---- a fake store: records the last take, answers what the test says ---- */

static struct {
    int calls;
    char names[STORE_THROTTLE_MAX_KEYS][STORE_THROTTLE_MAX_NAME + 1];
    uint32_t limits[STORE_THROTTLE_MAX_KEYS];
    size_t n;
    int window;
    int answer_rc;    /* returned */
    int answer_retry; /* *retry_after */
} fake;

static int fake_take(struct store *s, const struct store_throttle_key *keys, size_t n, int window_s,
                     int *retry_after, struct cmp_error *err)
{
    size_t i;

    (void)s;
    fake.calls++;
    fake.n = n;
    fake.window = window_s;
    for (i = 0; i < n; i++) {
        snprintf(fake.names[i], sizeof fake.names[i], "%s", keys[i].name);
        fake.limits[i] = keys[i].limit;
    }
    if (fake.answer_rc)
        return cmp_error_set(err, fake.answer_rc, NULL);
    *retry_after = fake.answer_retry;
    return 0;
}

static const struct store_ops fake_ops = {.name = "fake", .throttle_take = fake_take};
static struct store fake_store = {.ops = &fake_ops};

static int setup(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof fake);
    return 0;
}

static struct api_throttle limits(void)
{
    struct api_throttle t;

    api_throttle_intune(&t);
    t.tenant_writes = 11;
    t.tenant_requests = 22;
    t.app_writes = 33;
    t.app_requests = 44;
    t.window_s = 7;
    return t;
}

/* ---- tests ---- */

static void test_throttle_intune_limits_are_the_published_ones(void **state)
{
    struct api_throttle t;

    (void)state;
    memset(&t, 0, sizeof t);
    api_throttle_intune(&t);
    assert_true(t.on);
    assert_int_equal(t.tenant_writes, 200);
    assert_int_equal(t.tenant_requests, 2000);
    assert_int_equal(t.app_writes, 100);
    assert_int_equal(t.app_requests, 1000);
    assert_int_equal(t.window_s, 20);
}

static void test_throttle_writes_are_post_put_patch_delete(void **state)
{
    static const struct {
        const char *method;
        bool write;
    } cases[] = {
        {"POST", true}, {"PUT", true},    {"PATCH", true},    {"DELETE", true},
        {"GET", false}, {"HEAD", false},  {"OPTIONS", false}, {"post", false},
        {"POS", false}, {"POSTX", false}, {"", false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(api_throttle_is_write(cases[i].method, strlen(cases[i].method)),
                         cases[i].write);
}

static void test_throttle_write_counts_four_keys(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, true, &err), 0);
    assert_int_equal(fake.calls, 1);
    assert_int_equal(fake.window, 7);
    assert_int_equal(fake.n, 4);
    assert_string_equal(fake.names[0], "t:" TENANT ":w");
    assert_int_equal(fake.limits[0], 11);
    assert_string_equal(fake.names[1], "t:" TENANT ":*");
    assert_int_equal(fake.limits[1], 22);
    assert_string_equal(fake.names[2], "a:" TENANT ":" APP ":w");
    assert_int_equal(fake.limits[2], 33);
    assert_string_equal(fake.names[3], "a:" TENANT ":" APP ":*");
    assert_int_equal(fake.limits[3], 44);
}

static void test_throttle_read_counts_only_the_request_keys(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, false, &err), 0);
    assert_int_equal(fake.n, 2);
    assert_string_equal(fake.names[0], "t:" TENANT ":*");
    assert_int_equal(fake.limits[0], 22);
    assert_string_equal(fake.names[1], "a:" TENANT ":" APP ":*");
    assert_int_equal(fake.limits[1], 44);
}

/* Tokens without appid/azp share one application counter per tenant. */
static void test_throttle_no_app_id_is_one_application(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, "", false, &err), 0);
    assert_string_equal(fake.names[1], "a:" TENANT "::*");
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, NULL, false, &err), 0);
    assert_string_equal(fake.names[1], "a:" TENANT "::*");
}

/* An app id too long for a key is replaced by a digest: distinct ids stay distinct. */
static void test_throttle_long_app_id_becomes_a_digest(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};
    char id[300];
    char first[STORE_THROTTLE_MAX_NAME + 1];

    (void)state;
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, id, false, &err), 0);
    assert_true(strlen(fake.names[1]) < API_THROTTLE_KEY_MAX);
    assert_non_null(strstr(fake.names[1], ":#"));
    snprintf(first, sizeof first, "%s", fake.names[1]);
    id[5] = 'y';
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, id, false, &err), 0);
    assert_string_not_equal(fake.names[1], first);
    /* One of exactly API_THROTTLE_APP_ID_MAX bytes is kept as it is. */
    id[API_THROTTLE_APP_ID_MAX] = '\0';
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, id, false, &err), 0);
    assert_non_null(strstr(fake.names[1], id));
}

static void test_throttle_off_counts_nothing(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};

    (void)state;
    t.on = false;
    fake.answer_retry = 5;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, true, &err), 0);
    assert_int_equal(api_throttle_check(NULL, NULL, TENANT, APP, true, &err), 0);
    assert_int_equal(fake.calls, 0);
}

static void test_throttle_refusal_is_429_with_retry_after(void **state)
{
    struct api_throttle t = limits();
    struct cmp_error err = {0};

    (void)state;
    fake.answer_retry = 3;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, true, &err), CMP_ETHROTTLED);
    assert_int_equal(err.code, CMP_ETHROTTLED);
    assert_int_equal(err.retry_after, 3);
    assert_int_equal(cmp_err_status(err.code), 429);
    assert_string_equal(cmp_err_graph_code(err.code), "TooManyRequests");
    assert_false(cmp_err_wrapped(err.code)); /* a gateway error: plain text */
    assert_string_equal(cmp_error_message(&err), "Too many requests. Retry after 3 seconds.");
    cmp_error_clear(&err);
    fake.answer_retry = 1;
    assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, false, &err), CMP_ETHROTTLED);
    assert_string_equal(cmp_error_message(&err), "Too many requests. Retry after 1 second.");
}

/* The refusal the injected faults (http/fault.c) share with the limiter: 429 as above, and 503. */
static void test_throttle_refusal_builds_429_and_503(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(api_throttle_refusal(&err, CMP_ETHROTTLED, 2), CMP_ETHROTTLED);
    assert_int_equal(err.retry_after, 2);
    assert_string_equal(cmp_error_message(&err), "Too many requests. Retry after 2 seconds.");
    cmp_error_clear(&err);
    assert_int_equal(api_throttle_refusal(&err, CMP_EUNAVAILABLE, 1), CMP_EUNAVAILABLE);
    assert_int_equal(err.retry_after, 1);
    assert_int_equal(cmp_err_status(err.code), 503);
    assert_string_equal(cmp_err_graph_code(err.code), "ServiceUnavailable");
    assert_false(cmp_err_wrapped(err.code));
    assert_string_equal(cmp_error_message(&err),
                        "The service is temporarily unavailable. Retry after 1 second.");
}

/* A store that cannot count admits the request (and leaves the caller's error alone). */
static void test_throttle_store_failure_admits(void **state)
{
    static const int failures[] = {CMP_EUNAVAILABLE, CMP_ESTORE, CMP_ENOMEM};
    struct api_throttle t = limits();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof failures / sizeof *failures; i++) {
        struct cmp_error err = {0};
        fake.answer_rc = failures[i];
        assert_int_equal(api_throttle_check(&fake_store, &t, TENANT, APP, true, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(err.retry_after, 0);
    }
    assert_int_equal(fake.calls, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_throttle_intune_limits_are_the_published_ones, setup),
        cmocka_unit_test_setup(test_throttle_writes_are_post_put_patch_delete, setup),
        cmocka_unit_test_setup(test_throttle_write_counts_four_keys, setup),
        cmocka_unit_test_setup(test_throttle_read_counts_only_the_request_keys, setup),
        cmocka_unit_test_setup(test_throttle_no_app_id_is_one_application, setup),
        cmocka_unit_test_setup(test_throttle_long_app_id_becomes_a_digest, setup),
        cmocka_unit_test_setup(test_throttle_off_counts_nothing, setup),
        cmocka_unit_test_setup(test_throttle_refusal_is_429_with_retry_after, setup),
        cmocka_unit_test_setup(test_throttle_refusal_builds_429_and_503, setup),
        cmocka_unit_test_setup(test_throttle_store_failure_admits, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
