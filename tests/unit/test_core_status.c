/*
 * tests/unit/test_core_status.c - core/status.c: the reason phrase of every status cmpd sends, NULL
 * for the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#include <cmocka.h>

static void test_known_codes_have_their_rfc_9110_phrase(void **state)
{
    (void)state;
    assert_string_equal(status_reason(200), "OK");
    assert_string_equal(status_reason(201), "Created");
    assert_string_equal(status_reason(204), "No Content");
    assert_string_equal(status_reason(404), "Not Found");
    assert_string_equal(status_reason(424), "Failed Dependency");
    assert_string_equal(status_reason(429), "Too Many Requests");
    assert_string_equal(status_reason(431), "Request Header Fields Too Large");
    assert_string_equal(status_reason(503), "Service Unavailable");
}

static void test_unknown_codes_have_none(void **state)
{
    (void)state;
    assert_null(status_reason(0));
    assert_null(status_reason(418));
    assert_null(status_reason(-1));
    assert_null(status_reason(999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_codes_have_their_rfc_9110_phrase),
        cmocka_unit_test(test_unknown_codes_have_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
