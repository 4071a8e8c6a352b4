/*
 * tests/unit/test_core_time.c - core/time.c: Edm.DateTimeOffset parsing and date formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define TICKS_PER_SECOND INT64_C(10000000)
#define TICKS_PER_DAY (86400 * TICKS_PER_SECOND)

/* Ticks of a Unix time in seconds plus `frac` ticks. */
#define UNIX(s, frac) (TIME_UNIX_EPOCH_TICKS + (int64_t)(s)*TICKS_PER_SECOND + (frac))

static void test_time_parses_datetimeoffsets(void **state)
{
    static const struct {
        const char *text;
        int64_t ticks;
    } cases[] = {
        {"0001-01-01T00:00:00Z", 0},
        {"0001-01-01T00:00:00.0000001Z", 1},
        {"1970-01-01T00:00:00Z", TIME_UNIX_EPOCH_TICKS},
        {"1970-01-01T00:00:00+00:00", TIME_UNIX_EPOCH_TICKS},
        {"1970-01-01T00:00:00-00:00", TIME_UNIX_EPOCH_TICKS},
        {"1970-01-01t00:00:00z", TIME_UNIX_EPOCH_TICKS},
        {"1970-01-01T00:00Z", TIME_UNIX_EPOCH_TICKS}, /* seconds optional */
        {"1970-01-01T01:00:00+01:00", TIME_UNIX_EPOCH_TICKS},
        {"1969-12-31T16:00:00-08:00", TIME_UNIX_EPOCH_TICKS},
        {"1970-01-01T00:00:00.5Z", UNIX(0, 5000000)},
        {"1970-01-01T00:00:00.1234567Z", UNIX(0, 1234567)},
        {"1970-01-01T00:00:00.12345670Z", UNIX(0, 1234567)}, /* 8th digit zero */
        {"1970-01-01T00:00:00.123456700000Z", UNIX(0, 1234567)},
        {"2016-12-31T23:59:37.9174975-08:00", UNIX(1483257577, 9174975)},
        {"2026-11-01T08:15:00Z", UNIX(1793520900, 0)},
        {"2000-02-29T00:00:00Z", UNIX(951782400, 0)},  /* leap (div by 400) */
        {"2024-02-29T12:00:00Z", UNIX(1709208000, 0)}, /* leap */
        {"2024-12-31T23:59:59Z", UNIX(1735689599, 0)},
        {"2026-06-15T10:00:00+14:00", UNIX(1781467200, 0)},
        {"2026-06-15T10:00:00-14:00", UNIX(1781568000, 0)},
        {"2026-06-15T10:00:00+05:45", UNIX(1781496900, 0)},
        {"9999-12-31T23:59:59.9999999Z", 3155378975999999999},
        {"9999-12-31T23:59:59+00:01", 3155378975390000000},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t t = -1;
        int rc = time_parse_datetimeoffset(cases[i].text, strlen(cases[i].text), &t);
        if (rc)
            fail_msg("\"%s\" refused", cases[i].text);
        if (t != cases[i].ticks)
            fail_msg("\"%s\": %lld, want %lld", cases[i].text, (long long)t,
                     (long long)cases[i].ticks);
    }
}

static void test_time_refuses_malformed_datetimeoffsets(void **state)
{
    static const char *const cases[] = {
        "",
        "2026-11-01",
        "2026-11-01T08:15:00", /* the offset is mandatory */
        "2026-11-01T08:15",
        "2026-11-01 08:15:00Z",
        "2026-11-01T08:15:00.Z",         /* a dot needs digits */
        "2026-11-01T08:15:00.12345678Z", /* an 8th non-zero digit cannot be kept */
        "2026-11-01T08:15:00.00000001Z",
        "2026-11-01T08:15:00,5Z",
        "2026-11-01T08:15:00ZZ",
        "2026-11-01T08:15:00Z ",
        " 2026-11-01T08:15:00Z",
        "2026-11-01T08:15:00+0800",
        "2026-11-01T08:15:00+08",
        "2026-11-01T08:15:00+08:00:00",
        "2026-11-01T08:15:00+14:01", /* offsets reach +-14:00 */
        "2026-11-01T08:15:00+15:00",
        "2026-11-01T08:15:00+08:60",
        "2026-11-01T08:15:00 +08:00",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z", /* divisible by 100, not by 400 */
        "2024-02-30T00:00:00Z",
        "2026-11-01T24:00:00Z",
        "2026-11-01T23:60:00Z",
        "2026-11-01T23:59:60Z", /* no leap seconds */
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01", /* before the first instant once in UTC */
        "9999-12-31T23:59:59-00:01", /* after the last */
        "10000-01-01T00:00:00Z",
        "+2026-11-01T08:15:00Z",
        "2026-1-01T08:15:00Z",
        "2026-11-1T08:15:00Z",
        "2026-11-01T8:15:00Z",
        "2026-11-01T08:5:00Z",
        "2026-11-01T08:15:0Z",
        "2026-11-01T08:15:00.-1Z",
        "2026-x1-01T08:15:00Z",
        "2026-11-01T08:15:00+0a:00",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t t = 42;
        int rc = time_parse_datetimeoffset(cases[i], strlen(cases[i]), &t);
        if (rc != CMP_EBADREQUEST)
            fail_msg("\"%s\": rc %d", cases[i], rc);
        if (t != 42)
            fail_msg("\"%s\": *ticks written on failure", cases[i]);
    }
}

static void test_time_same_instant_compares_equal_across_offsets(void **state)
{
    static const char *const same[] = {
        "2016-12-31T23:59:37.9174975-08:00",  "2017-01-01T07:59:37.9174975Z",
        "2017-01-01T07:59:37.9174975+00:00",  "2017-01-01T13:29:37.9174975+05:30",
        "2016-12-31T17:59:37.91749750-14:00",
    };
    int64_t first = 0;
    int64_t t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof same / sizeof *same; i++) {
        assert_int_equal(time_parse_datetimeoffset(same[i], strlen(same[i]), &t), 0);
        if (i == 0)
            first = t;
        else if (t != first)
            fail_msg("\"%s\" differs", same[i]);
    }
    assert_int_equal(time_parse_datetimeoffset("2017-01-01T07:59:37.9174976Z", 28, &t), 0);
    assert_true(t == first + 1);
}

static void test_time_reads_only_n_bytes(void **state)
{
    int64_t t = 0;

    (void)state;
    assert_int_equal(time_parse_datetimeoffset("1970-01-01T00:00:00Zjunk", 20, &t), 0);
    assert_true(t == TIME_UNIX_EPOCH_TICKS);
    assert_int_equal(time_parse_datetimeoffset("1970-01-01T00:00:00Z", 19, &t), CMP_EBADREQUEST);
}

static void test_time_formats_inner_error_and_http_dates(void **state)
{
    static const struct {
        int64_t unix_seconds;
        const char *inner;
        const char *http;
    } cases[] = {
        {0, "1970-01-01T00:00:00", "Thu, 01 Jan 1970 00:00:00 GMT"},
        {1739441825, "2025-02-13T10:17:05", "Thu, 13 Feb 2025 10:17:05 GMT"},
        {951782400, "2000-02-29T00:00:00", "Tue, 29 Feb 2000 00:00:00 GMT"},
        {1798761599, "2026-12-31T23:59:59", "Thu, 31 Dec 2026 23:59:59 GMT"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        char inner[20];
        char http[30];
        time_format_inner_date(cases[i].unix_seconds, inner);
        time_format_http_date(cases[i].unix_seconds, http);
        assert_string_equal(inner, cases[i].inner);
        assert_string_equal(http, cases[i].http);
    }
}

static void test_time_now_is_after_2025(void **state)
{
    (void)state;
    assert_true(time_now() > 1735689600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parses_datetimeoffsets),
        cmocka_unit_test(test_time_refuses_malformed_datetimeoffsets),
        cmocka_unit_test(test_time_same_instant_compares_equal_across_offsets),
        cmocka_unit_test(test_time_reads_only_n_bytes),
        cmocka_unit_test(test_time_formats_inner_error_and_http_dates),
        cmocka_unit_test(test_time_now_is_after_2025),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
