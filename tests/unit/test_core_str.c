/*
 * tests/unit/test_core_str.c - core/str.c: numbers, comparisons, base64, percent-decoding, GUIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static int setup(void **state)
{
    *state = arena_new(0);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

/* ---- numbers ---- */

static void test_str_to_int64_parses_or_refuses(void **state)
{
    static const struct {
        const char *text;
        int64_t min;
        int64_t max;
        int rc;
        int64_t want;
    } cases[] = {
        {"0", INT64_MIN, INT64_MAX, 0, 0},
        {"-0", INT64_MIN, INT64_MAX, 0, 0},
        {"42", INT64_MIN, INT64_MAX, 0, 42},
        {"-42", INT64_MIN, INT64_MAX, 0, -42},
        {"007", INT64_MIN, INT64_MAX, 0, 7},
        {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
        {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
        {"9223372036854775808", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0}, /* overflow */
        {"-9223372036854775809", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"99999999999999999999", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"18446744073709551616", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0}, /* 2^64 */
        {"", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"-", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"+1", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {" 1", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"1 ", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"1a", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"0x10", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"1.0", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"1e3", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"--1", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0},
        {"/", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0}, /* '0' - 1 */
        {":", INT64_MIN, INT64_MAX, CMP_EBADREQUEST, 0}, /* '9' + 1 */
        {"0", 1, 1000, CMP_EBADREQUEST, 0},              /* range */
        {"1", 1, 1000, 0, 1},
        {"1000", 1, 1000, 0, 1000},
        {"1001", 1, 1000, CMP_EBADREQUEST, 0},
        {"-5", 0, 10, CMP_EBADREQUEST, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t got = 12345;
        int rc =
            str_to_int64(cases[i].text, strlen(cases[i].text), cases[i].min, cases[i].max, &got);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].text, rc, cases[i].rc);
        if (!rc && got != cases[i].want)
            fail_msg("\"%s\": got %lld", cases[i].text, (long long)got);
        if (rc && got != 12345)
            fail_msg("\"%s\": *out written on failure", cases[i].text);
    }
}

static void test_str_to_int64_reads_only_n_bytes(void **state)
{
    int64_t got = 0;

    (void)state;
    assert_int_equal(str_to_int64("12345", 2, INT64_MIN, INT64_MAX, &got), 0);
    assert_int_equal(got, 12);
}

/* ---- comparisons ---- */

static void test_str_compares_with_length(void **state)
{
    (void)state;
    assert_true(str_eq("abc", 3, "abc"));
    assert_false(str_eq("abc", 2, "abc"));
    assert_false(str_eq("abcd", 4, "abc"));
    assert_false(str_eq("ABC", 3, "abc"));
    assert_true(str_eq("", 0, ""));
    assert_true(str_eq_ci("ABC", 3, "abc"));
    assert_true(str_eq_ci("Bearer", 6, "bearer"));
    assert_false(str_eq_ci("\xc3\xbc", 2, "\xc3\x9c")); /* ASCII only */
    assert_false(str_eq_ci("ab", 2, "abc"));
    assert_true(str_has_prefix("sqlite:x", 8, "sqlite:"));
    assert_false(str_has_prefix("sqlite", 6, "sqlite:"));
    assert_true(str_has_prefix("x", 1, ""));
}

static void test_str_lower_lowers_ascii_only(void **state)
{
    char out[16];

    (void)state;
    str_lower(out, "AbC-9F\xc3\x9c", 8);
    assert_string_equal(out, "abc-9f\xc3\x9c");
}

/* ---- base64 ---- */

static void test_str_base64url_encodes_without_padding(void **state)
{
    static const struct {
        const char *raw;
        size_t n;
        const char *enc;
    } cases[] = {
        {"", 0, ""},
        {"f", 1, "Zg"},
        {"fo", 2, "Zm8"},
        {"foo", 3, "Zm9v"},
        {"foob", 4, "Zm9vYg"},
        {"fooba", 5, "Zm9vYmE"},
        {"foobar", 6, "Zm9vYmFy"},
        {"\xfb\xff\xbf", 3, "-_-_"}, /* the two url-safe characters */
        {"\0\0", 2, "AAA"},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *enc = str_base64url_encode(a, (const unsigned char *)cases[i].raw, cases[i].n);
        unsigned char *dec = NULL;
        size_t n = 99;
        assert_non_null(enc);
        assert_string_equal(enc, cases[i].enc);
        assert_int_equal(str_base64url_decode(a, enc, strlen(enc), &dec, &n), 0);
        assert_int_equal(n, cases[i].n);
        assert_memory_equal(dec, cases[i].raw, n);
        assert_int_equal(dec[n], '\0');
    }
}

static void test_str_base64_decodes_or_refuses(void **state)
{
    static const struct {
        const char *text;
        int url;
        int rc;
        const char *want;
    } cases[] = {
        {"Zm9vYmFy", 1, 0, "foobar"},
        {"Zm9vYg", 1, 0, "foob"},
        {"Zm9vYg==", 1, 0, "foob"}, /* padding is optional */
        {"Zm9vYmE=", 1, 0, "fooba"},
        {"Zm9vYmE", 1, 0, "fooba"},
        {"", 1, 0, ""},
        {"Zm9vYg=", 1, CMP_EBADREQUEST, NULL}, /* padding that does not complete the group */
        {"Zm9vYg===", 1, CMP_EBADREQUEST, NULL},
        {"Zm9vYmFy=", 1, CMP_EBADREQUEST, NULL},
        {"=", 1, CMP_EBADREQUEST, NULL},
        {"Zm9=vYg", 1, CMP_EBADREQUEST, NULL}, /* padding inside */
        {"Z", 1, CMP_EBADREQUEST, NULL},       /* impossible length */
        {"Zm9vY", 1, CMP_EBADREQUEST, NULL},
        {"Zm9v+g", 1, CMP_EBADREQUEST, NULL}, /* standard alphabet in base64url */
        {"Zm9v/g", 1, CMP_EBADREQUEST, NULL},
        {"Zm9v Yg", 1, CMP_EBADREQUEST, NULL}, /* whitespace */
        {"Zm9v\nYg", 1, CMP_EBADREQUEST, NULL},
        {"Zm9v*g", 1, CMP_EBADREQUEST, NULL},
        {"-_-_", 1, 0, "\xfb\xff\xbf"},
        {"+/+/", 0, 0, "\xfb\xff\xbf"}, /* standard base64 */
        {"-_-_", 0, CMP_EBADREQUEST, NULL},
        {"Zm9vYg==", 0, 0, "foob"},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned char *out = NULL;
        size_t n = 0;
        const char *t = cases[i].text;
        int rc = cases[i].url ? str_base64url_decode(a, t, strlen(t), &out, &n)
                              : str_base64_decode(a, t, strlen(t), &out, &n);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", t, rc, cases[i].rc);
        if (!rc) {
            assert_int_equal(n, strlen(cases[i].want));
            assert_memory_equal(out, cases[i].want, n);
        }
    }
}

/* ---- percent-decoding ---- */

static void test_str_percent_decode_decodes_or_refuses(void **state)
{
    static const struct {
        const char *text;
        int rc;
        const char *want;
        size_t want_len;
    } cases[] = {
        {"abc", 0, "abc", 3},
        {"", 0, "", 0},
        {"a%20b", 0, "a b", 3},
        {"%41%62", 0, "Ab", 2},
        {"%c3%BC", 0, "\xc3\xbc", 2}, /* either case of hex */
        {"a+b", 0, "a+b", 3},         /* '+' is not a space here */
        {"%25", 0, "%", 1},
        {"%2525", 0, "%25", 3}, /* decoded once */
        {"%", CMP_EBADREQUEST, NULL, 0},
        {"%4", CMP_EBADREQUEST, NULL, 0},
        {"a%4", CMP_EBADREQUEST, NULL, 0},
        {"%4g", CMP_EBADREQUEST, NULL, 0},
        {"%g4", CMP_EBADREQUEST, NULL, 0},
        {"%%41", CMP_EBADREQUEST, NULL, 0},
        {"%00", CMP_EBADREQUEST, NULL, 0}, /* a decoded NUL */
        {"a%00b", CMP_EBADREQUEST, NULL, 0},
        {"%01", 0, "\x01", 1},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = NULL;
        size_t n = 0;
        int rc = str_percent_decode(a, cases[i].text, strlen(cases[i].text), &out, &n);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].text, rc, cases[i].rc);
        if (!rc) {
            assert_int_equal(n, cases[i].want_len);
            assert_memory_equal(out, cases[i].want, n);
            assert_int_equal(out[n], '\0');
        }
    }
}

/* ---- GUIDs and UTF-8 ---- */

static void test_str_is_guid_checks_the_shape(void **state)
{
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"4b1e4bba-5d5e-4a4f-9c3f-2f6ad2b0b1a7", true},
        {"4B1E4BBA-5D5E-4A4F-9C3F-2F6AD2B0B1A7", true},
        {"00000000-0000-0000-0000-000000000000", true},
        {"4b1e4bba-5d5e-4a4f-9c3f-2f6ad2b0b1a", false},   /* 35 */
        {"4b1e4bba-5d5e-4a4f-9c3f-2f6ad2b0b1a70", false}, /* 37 */
        {"4b1e4bba05d5e-4a4f-9c3f-2f6ad2b0b1a7", false},  /* dash missing */
        {"4b1e4bba-5d5e-4a4f-9c3f_2f6ad2b0b1a7", false},
        {"4b1e4bbg-5d5e-4a4f-9c3f-2f6ad2b0b1a7", false}, /* not hex */
        {"{4b1e4bba-5d5e-4a4f-9c3f-2f6ad2b0b1a}", false},
        {"4b1e4bba5d5e4a4f9c3f2f6ad2b0b1a7", false},
        {"", false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        if (str_is_guid(cases[i].text, strlen(cases[i].text)) != cases[i].ok)
            fail_msg("\"%s\"", cases[i].text);
}

static void test_str_is_utf8_follows_rfc3629(void **state)
{
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"", true},
        {"ascii \x7f", true},
        {"\xc2\x80", true},         /* U+0080 */
        {"\xdf\xbf", true},         /* U+07FF */
        {"\xe0\xa0\x80", true},     /* U+0800 */
        {"\xed\x9f\xbf", true},     /* U+D7FF */
        {"\xee\x80\x80", true},     /* U+E000 */
        {"\xef\xbf\xbf", true},     /* U+FFFF */
        {"\xf0\x90\x80\x80", true}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", true}, /* U+10FFFF */
        {"\x80", false},            /* lone continuation */
        {"\xc0\xaf", false},        /* overlong '/' */
        {"\xc1\xbf", false},
        {"\xe0\x9f\xbf", false}, /* overlong */
        {"\xf0\x8f\xbf\xbf", false},
        {"\xed\xa0\x80", false}, /* surrogate U+D800 */
        {"\xed\xbf\xbf", false},
        {"\xf4\x90\x80\x80", false}, /* U+110000 */
        {"\xf5\x80\x80\x80", false},
        {"\xff", false},
        {"\xc3", false}, /* truncated */
        {"\xe6\x97", false},
        {"\xc3\x28", false}, /* bad continuation */
        {"\xe6\x97\x28", false},
        {"\xf0\x9f\x98\x28", false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        if (str_is_utf8(cases[i].text, strlen(cases[i].text)) != cases[i].ok)
            fail_msg("case %zu", i);
}

/* A prefix shown in a message: whole when short enough, else cut before a continuation byte. */
static void test_str_utf8_prefix_never_splits_a_character(void **state)
{
    const char *e = "ab\xc3\xa9";                  /* "abé": é is 2 bytes at 2..3 */
    const char *euro = "\xe2\x82\xac\xe2\x82\xac"; /* two 3-byte characters */

    (void)state;
    assert_int_equal(str_utf8_prefix(e, 4, 4), 4);
    assert_int_equal(str_utf8_prefix(e, 4, 10), 4);
    assert_int_equal(str_utf8_prefix(e, 4, 3), 2); /* not half of é */
    assert_int_equal(str_utf8_prefix(e, 4, 2), 2);
    assert_int_equal(str_utf8_prefix(euro, 6, 5), 3);
    assert_int_equal(str_utf8_prefix(euro, 6, 4), 3);
    assert_int_equal(str_utf8_prefix(euro, 6, 3), 3);
    assert_int_equal(str_utf8_prefix(euro, 6, 2), 0);
    assert_int_equal(str_utf8_prefix("", 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_to_int64_parses_or_refuses),
        cmocka_unit_test(test_str_to_int64_reads_only_n_bytes),
        cmocka_unit_test(test_str_compares_with_length),
        cmocka_unit_test(test_str_lower_lowers_ascii_only),
        cmocka_unit_test_setup_teardown(test_str_base64url_encodes_without_padding, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_str_base64_decodes_or_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_str_percent_decode_decodes_or_refuses, setup,
                                        teardown),
        cmocka_unit_test(test_str_is_guid_checks_the_shape),
        cmocka_unit_test(test_str_is_utf8_follows_rfc3629),
        cmocka_unit_test(test_str_utf8_prefix_never_splits_a_character),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
