/*
 * tests/unit/test_odata_paging.c - the $skiptoken round-trips and refuses every alteration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "odata/paging.h"

#include <cmocka.h>

static const unsigned char key1[ODATA_PAGING_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[ODATA_PAGING_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static struct odata_position sample(void)
{
    struct odata_position p;

    memset(&p, 0, sizeof p);
    p.seq = 123456789;
    p.key_count = 5;
    p.keys[0].type = ODATA_V_STRING;
    p.keys[0].u.s.p = "Contoso 'MDM' \xc3\xa9";
    p.keys[0].u.s.n = strlen(p.keys[0].u.s.p);
    p.keys[1].type = ODATA_V_NULL;
    p.keys[2].type = ODATA_V_ENUM;
    p.keys[2].u.i = 5;
    p.keys[3].type = ODATA_V_DATETIME;
    p.keys[3].u.ticks = INT64_C(636188039779174975);
    p.keys[4].type = ODATA_V_BOOL;
    p.keys[4].u.b = true;
    return p;
}

static void test_skiptoken_round_trips_every_key_type(void **state)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct odata_position in = sample();
    struct odata_position out;
    char *tok;

    (void)state;
    assert_int_equal(odata_skiptoken_make(a, key1, "b", &in, &tok, &err), 0);
    assert_int_equal(odata_skiptoken_read(a, key1, "b", tok, strlen(tok), &out, &err), 0);
    assert_int_equal(out.seq, in.seq);
    assert_int_equal(out.key_count, 5);
    assert_int_equal(out.keys[0].type, ODATA_V_STRING);
    assert_string_equal(out.keys[0].u.s.p, in.keys[0].u.s.p);
    assert_int_equal(out.keys[1].type, ODATA_V_NULL);
    assert_int_equal(out.keys[2].u.i, 5);
    assert_true(out.keys[3].u.ticks == in.keys[3].u.ticks);
    assert_true(out.keys[4].u.b);
    /* URL-safe as it stands. */
    assert_null(strpbrk(tok, "+/=&?#%"));
    arena_free(a);
}

static void test_skiptoken_refuses_every_altered_byte(void **state)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct odata_position in = sample();
    struct odata_position out;
    unsigned char *raw;
    size_t raw_len;
    size_t i;
    char *tok;

    (void)state;
    assert_int_equal(odata_skiptoken_make(a, key1, "b", &in, &tok, &err), 0);
    assert_int_equal(str_base64url_decode(a, tok, strlen(tok), &raw, &raw_len), 0);
    for (i = 0; i < raw_len; i++) {
        char *forged;
        raw[i] ^= 0x01;
        forged = str_base64url_encode(a, raw, raw_len);
        cmp_error_clear(&err);
        assert_int_equal(odata_skiptoken_read(a, key1, "b", forged, strlen(forged), &out, &err),
                         CMP_EBADQUERY);
        assert_non_null(strstr(err.msg, "$skiptoken"));
        raw[i] ^= 0x01;
    }
    arena_free(a);
}

static void test_skiptoken_is_bound_to_binding_and_key(void **state)
{
    struct arena *a = arena_new(0);
    struct cmp_error err = {0};
    struct odata_position in = sample();
    struct odata_position out;
    char *tok;

    (void)state;
    assert_int_equal(odata_skiptoken_make(a, key1, "tenant-a", &in, &tok, &err), 0);
    assert_int_equal(odata_skiptoken_read(a, key1, "tenant-b", tok, strlen(tok), &out, &err),
                     CMP_EBADQUERY);
    cmp_error_clear(&err);
    assert_int_equal(odata_skiptoken_read(a, key2, "tenant-a", tok, strlen(tok), &out, &err),
                     CMP_EBADQUERY);
    arena_free(a);
}

static void test_skiptoken_refuses_garbage(void **state)
{
    static const char *const bad[] = {"",
                                      "x",
                                      "!!!!",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "s1",
                                      "%27",
                                      "eyJhbGciOiJub25lIn0"};
    struct arena *a = arena_new(0);
    struct odata_position out;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cmp_error err = {0};
        assert_int_equal(odata_skiptoken_read(a, key1, "b", bad[i], strlen(bad[i]), &out, &err),
                         CMP_EBADQUERY);
    }
    arena_free(a);
}

static void test_binding_names_tenant_version_and_options(void **state)
{
    struct arena *a = arena_new(0);
    struct odata_query q;
    const char *b1;
    const char *b2;

    (void)state;
    memset(&q, 0, sizeof q);
    q.top = -1;
    q.filter_text = "partnerState eq 'enabled'";
    b1 = odata_paging_binding(a, "t1", "v1.0", &q);
    b2 = odata_paging_binding(a, "t2", "v1.0", &q);
    assert_string_not_equal(b1, b2);
    b2 = odata_paging_binding(a, "t1", "beta", &q);
    assert_string_not_equal(b1, b2);
    q.orderby_text = "displayName desc";
    b2 = odata_paging_binding(a, "t1", "v1.0", &q);
    assert_string_not_equal(b1, b2);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skiptoken_round_trips_every_key_type),
        cmocka_unit_test(test_skiptoken_refuses_every_altered_byte),
        cmocka_unit_test(test_skiptoken_is_bound_to_binding_and_key),
        cmocka_unit_test(test_skiptoken_refuses_garbage),
        cmocka_unit_test(test_binding_names_tenant_version_and_options),
    };

    return cmocka_run_group_tests_name("odata_paging", tests, NULL, NULL);
}
