/*
 * tests/unit/test_http_fault.c - fault injection (http/fault.c): every --fault-* option, good
 * values and each kind of bad one with its message; the checks of the options together; the
 * splitmix64 generator (reference value, determinism per seed and loop); and the decisions - the
 * rates they hold to, the statuses and delays they draw, the tenant scope and the fixed number of
 * draws per request that makes a seeded sequence repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http/fault.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define TENANT_A "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define TENANT_B "5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c01"

static char why[256];

static int set(struct http_fault_config *f, enum http_fault_opt o, const char *v)
{
    why[0] = '\0';
    return http_fault_set(f, o, v, false, why, sizeof why);
}

/* `v` refused for `o`, with a message naming it, and the config unchanged. */
static void refused(enum http_fault_opt o, const char *v, const char *expect)
{
    struct http_fault_config f;
    struct http_fault_config before;

    http_fault_init(&f);
    before = f;
    assert_int_equal(set(&f, o, v), -1);
    if (!strstr(why, expect))
        fail_msg("'%s': message '%s' lacks '%s'", v, why, expect);
    assert_memory_equal(&f, &before, sizeof f);
}

static void test_fault_defaults_are_off(void **state)
{
    struct http_fault_config f;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    assert_false(f.on);
    assert_true(f.status_429 && f.status_503);
    assert_int_equal(f.retry_after, 1);
    assert_true(f.latency_rate == 1.0);
    assert_int_equal(f.latency_max_ms, 0);
    assert_int_equal(f.tenant_count, 0);
}

static void test_fault_rate_values(void **state)
{
    static const struct {
        const char *v;
        double d;
    } good[] = {{"0", 0},   {"1", 1},  {"0.3", 0.3},      {".5", 0.5},
                {"1.0", 1}, {"1.", 1}, {"0.000001", 1e-6}};
    static const char *const bad[] = {"",    "1.5",  "-0.1", "x",    "0.3x", "1e-1", "nan",
                                      "inf", " 0.3", "0.3 ", "+0.3", "..",   "30%"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof good / sizeof *good; i++) {
        struct http_fault_config f;
        http_fault_init(&f);
        assert_int_equal(set(&f, HTTP_FAULT_RATE, good[i].v), 0);
        assert_true(f.rate == good[i].d);
        assert_true(f.given[HTTP_FAULT_RATE]);
        assert_int_equal(set(&f, HTTP_FAULT_LATENCY_RATE, good[i].v), 0);
        assert_true(f.latency_rate == good[i].d);
    }
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        refused(HTTP_FAULT_RATE, bad[i], "a fraction from 0 to 1");
        refused(HTTP_FAULT_LATENCY_RATE, bad[i], "a fraction from 0 to 1");
    }
}

static void test_fault_status_values(void **state)
{
    static const char *const bad[] = {"",         "500",  "429,",    ",503",
                                      "429 ,503", "4290", "429;503", "TooManyRequests"};
    struct http_fault_config f;
    size_t i;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_STATUS, "429"), 0);
    assert_true(f.status_429 && !f.status_503);
    assert_int_equal(set(&f, HTTP_FAULT_STATUS, "503"), 0);
    assert_true(!f.status_429 && f.status_503);
    assert_int_equal(set(&f, HTTP_FAULT_STATUS, "503,429"), 0);
    assert_true(f.status_429 && f.status_503);
    for (i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(HTTP_FAULT_STATUS, bad[i], "429, 503 or 429,503");
}

static void test_fault_retry_after_values(void **state)
{
    static const char *const bad[] = {"",   "0", "3601", "-1", "1.5", "99999999999999999999999",
                                      " 1", "1s"};
    struct http_fault_config f;
    size_t i;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_RETRY_AFTER, "3600"), 0);
    assert_int_equal(f.retry_after, 3600);
    assert_int_equal(set(&f, HTTP_FAULT_RETRY_AFTER, "1"), 0);
    assert_int_equal(f.retry_after, 1);
    for (i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(HTTP_FAULT_RETRY_AFTER, bad[i], "whole seconds from 1 to 3600");
}

static void test_fault_latency_values(void **state)
{
    static const char *const bad_form[] = {
        "",      "a",        "10-", "-10",     "10-20-30",
        "60001", "10-60001", "1.5", "10 - 20", "99999999999999999999999"};
    struct http_fault_config f;
    size_t i;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY, "100"), 0);
    assert_int_equal(f.latency_min_ms, 100);
    assert_int_equal(f.latency_max_ms, 100);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY, "0-60000"), 0);
    assert_int_equal(f.latency_min_ms, 0);
    assert_int_equal(f.latency_max_ms, 60000);
    for (i = 0; i < sizeof bad_form / sizeof *bad_form; i++)
        refused(HTTP_FAULT_LATENCY, bad_form[i], "milliseconds MS or MIN-MAX, each 0..60000");
    refused(HTTP_FAULT_LATENCY, "20-10", "MIN at most MAX");
    refused(HTTP_FAULT_LATENCY, "0", "at least 1 ms");
    refused(HTTP_FAULT_LATENCY, "0-0", "at least 1 ms");
}

static void test_fault_seed_values(void **state)
{
    static const char *const bad[] = {"", "-1", "0x10", "18446744073709551616", "1e3", " 1"};
    struct http_fault_config f;
    size_t i;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_SEED, "0"), 0);
    assert_true(f.seeded);
    assert_true(f.seed == 0);
    assert_int_equal(set(&f, HTTP_FAULT_SEED, "18446744073709551615"), 0);
    assert_true(f.seed == UINT64_MAX);
    for (i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(HTTP_FAULT_SEED, bad[i], "a whole number from 0 to 18446744073709551615");
}

static void test_fault_tenant_values(void **state)
{
    static const char *const bad[] = {"",
                                      "contoso",
                                      "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f",
                                      "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9a",
                                      "{0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9}",
                                      "0f1e2d3c4b5a-4978-8695-a4b3c2d1e0f9-",
                                      "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0fg"};
    struct http_fault_config f;
    char guid[40];
    size_t i;

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_TENANT, "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_TENANT, TENANT_B), 0);
    assert_int_equal(f.tenant_count, 2);
    assert_string_equal(f.tenants[0], TENANT_A);
    /* The first value from a later source replaces the earlier ones. */
    assert_int_equal(http_fault_set(&f, HTTP_FAULT_TENANT, TENANT_B, true, why, sizeof why), 0);
    assert_int_equal(f.tenant_count, 1);
    assert_string_equal(f.tenants[0], TENANT_B);
    for (i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(HTTP_FAULT_TENANT, bad[i], "a tenant id (GUID)");
    http_fault_init(&f);
    for (i = 0; i < HTTP_FAULT_MAX_TENANTS; i++) {
        snprintf(guid, sizeof guid, "00000000-0000-0000-0000-%012zu", i);
        assert_int_equal(set(&f, HTTP_FAULT_TENANT, guid), 0);
    }
    assert_int_equal(set(&f, HTTP_FAULT_TENANT, TENANT_A), -1);
    assert_non_null(strstr(why, "at most 64 tenants"));
}

static void test_fault_finish_checks_the_options_together(void **state)
{
    static const struct {
        enum http_fault_opt o;
        const char *v;
        const char *msg;
    } alone[] = {
        {HTTP_FAULT_STATUS, "429", "--fault-status needs --fault-rate or --fault-latency"},
        {HTTP_FAULT_RETRY_AFTER, "5", "--fault-retry-after needs"},
        {HTTP_FAULT_SEED, "5", "--fault-seed needs"},
        {HTTP_FAULT_TENANT, TENANT_A, "--fault-tenant needs"},
        {HTTP_FAULT_LATENCY_RATE, "0.5", "--fault-latency-rate needs --fault-latency"},
    };
    struct http_fault_config f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof alone / sizeof *alone; i++) {
        http_fault_init(&f);
        assert_int_equal(set(&f, alone[i].o, alone[i].v), 0);
        assert_int_equal(http_fault_finish(&f, why, sizeof why), -1);
        if (!strstr(why, alone[i].msg))
            fail_msg("message '%s' lacks '%s'", why, alone[i].msg);
    }
    /* --fault-latency-rate needs --fault-latency even with a rate. */
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_RATE, "0.5"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY_RATE, "0.5"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), -1);
    /* An explicit rate 0 is a switch: off, the other options accepted. */
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_RATE, "0"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_SEED, "9"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    assert_false(f.on);
    /* A rate, or a latency at a rate above 0, turns it on. */
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_RATE, "0.1"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    assert_true(f.on);
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY, "5"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    assert_true(f.on);
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY, "5"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_LATENCY_RATE, "0"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    assert_false(f.on);
}

static void test_fault_describe_names_everything(void **state)
{
    struct http_fault_config f;
    char line[512];

    (void)state;
    http_fault_init(&f);
    assert_int_equal(set(&f, HTTP_FAULT_RATE, "0.25"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_STATUS, "503"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_SEED, "42"), 0);
    assert_int_equal(set(&f, HTTP_FAULT_TENANT, TENANT_A), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    http_fault_describe(&f, line, sizeof line);
    assert_non_null(strstr(line, "rate 0.25 (503, Retry-After 1 s)"));
    assert_non_null(strstr(line, "seed 42,"));
    assert_non_null(strstr(line, "tenants: " TENANT_A));
}

static void test_fault_rng_is_splitmix64(void **state)
{
    struct http_fault_rng r = {0};
    struct http_fault_rng a;
    struct http_fault_rng b;
    int i;

    (void)state;
    /* The published first outputs of splitmix64 from state 0. */
    assert_true(http_fault_rng_next(&r) == 0xe220a8397b1dcdafu);
    assert_true(http_fault_rng_next(&r) == 0x6e789e6aa1b965f4u);
    /* One seed and loop: one sequence; another loop or seed: another. */
    http_fault_rng_seed(&a, 42, 0);
    http_fault_rng_seed(&b, 42, 0);
    for (i = 0; i < 1000; i++)
        assert_true(http_fault_rng_next(&a) == http_fault_rng_next(&b));
    http_fault_rng_seed(&a, 42, 0);
    http_fault_rng_seed(&b, 42, 1);
    assert_true(http_fault_rng_next(&a) != http_fault_rng_next(&b));
    http_fault_rng_seed(&a, 42, 0);
    http_fault_rng_seed(&b, 43, 0);
    assert_true(http_fault_rng_next(&a) != http_fault_rng_next(&b));
    for (i = 0; i < 100000; i++) {
        double u = http_fault_rng_unit(&a);
        assert_true(u >= 0.0 && u < 1.0);
    }
}

static struct http_fault_config on_config(const char *rate, const char *latency,
                                          const char *latency_rate)
{
    struct http_fault_config f;

    http_fault_init(&f);
    if (rate)
        assert_int_equal(set(&f, HTTP_FAULT_RATE, rate), 0);
    if (latency)
        assert_int_equal(set(&f, HTTP_FAULT_LATENCY, latency), 0);
    if (latency_rate)
        assert_int_equal(set(&f, HTTP_FAULT_LATENCY_RATE, latency_rate), 0);
    assert_int_equal(set(&f, HTTP_FAULT_SEED, "1234"), 0);
    assert_int_equal(http_fault_finish(&f, why, sizeof why), 0);
    return f;
}

static void test_fault_decisions_hold_the_rates(void **state)
{
    struct http_fault_config f = on_config("0.3", "10-20", "0.5");
    struct http_fault_rng r;
    struct http_fault_decision d;
    int n = 100000;
    int faulted = 0;
    int s429 = 0;
    int delayed = 0;
    int lo = 0;
    int hi = 0;
    int i;

    (void)state;
    http_fault_rng_seed(&r, f.seed, 0);
    for (i = 0; i < n; i++) {
        http_fault_decide(&f, &r, TENANT_A, &d);
        if (d.status) {
            assert_true(d.status == 429 || d.status == 503);
            faulted++;
            s429 += d.status == 429;
        }
        if (d.delay_ms) {
            assert_in_range(d.delay_ms, 10, 20);
            delayed++;
            lo += d.delay_ms == 10;
            hi += d.delay_ms == 20;
        }
    }
    assert_in_range(faulted, 29000, 31000);
    assert_in_range(s429, faulted * 45 / 100, faulted * 55 / 100);
    assert_in_range(delayed, 49000, 51000);
    assert_true(lo > 0 && hi > 0); /* both ends of MIN-MAX are drawn */
}

static void test_fault_rate_one_and_single_status(void **state)
{
    struct http_fault_config f = on_config("1", NULL, NULL);
    struct http_fault_rng r;
    struct http_fault_decision d;
    int i;

    (void)state;
    assert_int_equal(set(&f, HTTP_FAULT_STATUS, "503"), 0);
    http_fault_rng_seed(&r, 1, 0);
    for (i = 0; i < 10000; i++) {
        http_fault_decide(&f, &r, TENANT_A, &d);
        assert_int_equal(d.status, 503);
        assert_int_equal(d.delay_ms, 0);
    }
    /* Off (NULL or not on): nothing, whatever the generator. */
    http_fault_decide(NULL, &r, TENANT_A, &d);
    assert_int_equal(d.status, 0);
}

static void test_fault_seeded_sequence_repeats(void **state)
{
    struct http_fault_config f = on_config("0.3", "0-100", NULL);
    struct http_fault_rng a;
    struct http_fault_rng b;
    struct http_fault_decision da;
    struct http_fault_decision db;
    int i;

    (void)state;
    http_fault_rng_seed(&a, f.seed, 0);
    http_fault_rng_seed(&b, f.seed, 0);
    for (i = 0; i < 10000; i++) {
        http_fault_decide(&f, &a, TENANT_A, &da);
        http_fault_decide(&f, &b, TENANT_A, &db);
        assert_int_equal(da.status, db.status);
        assert_int_equal(da.delay_ms, db.delay_ms);
    }
}

static void test_fault_tenant_scope_and_draw_count(void **state)
{
    struct http_fault_config f = on_config("1", NULL, NULL);
    struct http_fault_rng r;
    struct http_fault_rng ref;
    struct http_fault_decision d;
    int i;

    (void)state;
    assert_int_equal(set(&f, HTTP_FAULT_TENANT, TENANT_A), 0);
    http_fault_rng_seed(&r, 5, 0);
    ref = r;
    /* Out of scope: no fault, no draw. */
    http_fault_decide(&f, &r, TENANT_B, &d);
    assert_int_equal(d.status, 0);
    http_fault_decide(&f, &r, NULL, &d);
    assert_int_equal(d.status, 0);
    assert_true(r.state == ref.state);
    /* In scope (any case): faulted, exactly four draws, latency configured or not. */
    http_fault_decide(&f, &r, "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9", &d);
    assert_int_equal(d.status != 0, 1);
    for (i = 0; i < 4; i++)
        http_fault_rng_next(&ref);
    assert_true(r.state == ref.state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_defaults_are_off),
        cmocka_unit_test(test_fault_rate_values),
        cmocka_unit_test(test_fault_status_values),
        cmocka_unit_test(test_fault_retry_after_values),
        cmocka_unit_test(test_fault_latency_values),
        cmocka_unit_test(test_fault_seed_values),
        cmocka_unit_test(test_fault_tenant_values),
        cmocka_unit_test(test_fault_finish_checks_the_options_together),
        cmocka_unit_test(test_fault_describe_names_everything),
        cmocka_unit_test(test_fault_rng_is_splitmix64),
        cmocka_unit_test(test_fault_decisions_hold_the_rates),
        cmocka_unit_test(test_fault_rate_one_and_single_status),
        cmocka_unit_test(test_fault_seeded_sequence_repeats),
        cmocka_unit_test(test_fault_tenant_scope_and_draw_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
