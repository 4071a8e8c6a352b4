/*
 * tests/unit/test_core_err.c - core/err.c: the error vocabulary and struct cmp_error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "core/err.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

/* What the conventions (graph-conventions.md 2.2, 2.3) ask of each code. */
static const struct {
    int code;
    int status;
    const char *graph_code;
    int wrapped;
} expected[] = {
    {CMP_EBADBODY, 400, "BadRequest", 1},
    {CMP_EBADQUERY, 400, "BadRequest", 0},
    {CMP_EBADSEGMENT, 400, "BadRequest", 0},
    {CMP_EBADKEY, 400, "BadRequest", 0},
    {CMP_EUNLICENSED, 400, "BadRequest", 0},
    {CMP_EBADREQUEST, 400, "BadRequest", 0},
    {CMP_EUNAUTHENTICATED, 401, "InvalidAuthenticationToken", 0},
    {CMP_EFORBIDDEN, 403, "Forbidden", 1},
    {CMP_ENOTFOUND, 404, "ResourceNotFound", 1},
    {CMP_EBADVERSION, 404, "ResourceNotFound", 0},
    {CMP_ENOROUTE, 404, "ResourceNotFound", 0},
    {CMP_EMETHOD, 405, "MethodNotAllowed", 0},
    {CMP_ENOTACCEPTABLE, 406, "NotAcceptable", 0},
    {CMP_ELENGTHREQUIRED, 411, "LengthRequired", 0},
    {CMP_ETOOLARGE, 413, "RequestEntityTooLarge", 0},
    {CMP_EURITOOLONG, 414, "RequestUriTooLong", 0},
    {CMP_EMEDIATYPE, 415, "UnsupportedMediaType", 0},
    {CMP_EFAILEDDEPENDENCY, 424, "FailedDependency", 0},
    {CMP_ETHROTTLED, 429, "TooManyRequests", 0},
    {CMP_EHEADERSTOOLARGE, 431, "RequestHeaderFieldsTooLarge", 0},
    {CMP_EINTERNAL, 500, "InternalError", 1},
    {CMP_ENOMEM, 500, "InternalError", 1},
    {CMP_ESTORE, 500, "InternalError", 1},
    {CMP_EUNAVAILABLE, 503, "ServiceUnavailable", 0},
    {CMP_EIO, 500, "InternalError", 1},
};

static void test_err_maps_each_code_to_status_code_and_form(void **state)
{
    size_t i;

    (void)state;
    assert_int_equal(sizeof expected / sizeof *expected, CMP_E_COUNT - 1);
    for (i = 0; i < sizeof expected / sizeof *expected; i++) {
        int c = expected[i].code;
        if (cmp_err_status(c) != expected[i].status)
            fail_msg("code %d: status %d", c, cmp_err_status(c));
        assert_string_equal(cmp_err_graph_code(c), expected[i].graph_code);
        assert_int_equal(cmp_err_wrapped(c), expected[i].wrapped);
        assert_true(strlen(cmp_err_default_msg(c)) > 0);
    }
}

static void test_err_unknown_code_is_an_internal_error(void **state)
{
    static const int unknown[] = {-1, CMP_E_COUNT, CMP_E_COUNT + 100};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        assert_int_equal(cmp_err_status(unknown[i]), 500);
        assert_string_equal(cmp_err_graph_code(unknown[i]), "InternalError");
        assert_string_equal(cmp_err_default_msg(unknown[i]), cmp_err_default_msg(CMP_EINTERNAL));
    }
}

static void test_err_set_records_code_and_message(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(cmp_error_set(&err, CMP_EBADQUERY, "bad '%s' at %d", "$top", 5),
                     CMP_EBADQUERY);
    assert_int_equal(err.code, CMP_EBADQUERY);
    assert_string_equal(err.msg, "bad '$top' at 5");
    assert_string_equal(cmp_error_message(&err), "bad '$top' at 5");
}

static void test_err_set_without_text_uses_the_default(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(cmp_error_set(&err, CMP_ENOTFOUND, NULL), CMP_ENOTFOUND);
    assert_string_equal(err.msg, "");
    assert_string_equal(cmp_error_message(&err), cmp_err_default_msg(CMP_ENOTFOUND));
}

static void test_err_first_failure_wins(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    cmp_error_set(&err, CMP_EBADBODY, "The property 'x' does not exist.");
    /* A caller reporting again with a vaguer code returns its code but keeps the detail. */
    assert_int_equal(cmp_error_set(&err, CMP_EINTERNAL, "something failed"), CMP_EINTERNAL);
    assert_int_equal(cmp_error_set(&err, CMP_ESTORE, NULL), CMP_ESTORE);
    assert_int_equal(err.code, CMP_EBADBODY);
    assert_string_equal(err.msg, "The property 'x' does not exist.");
}

static void test_err_clear_forgets_everything(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    cmp_error_set(&err, CMP_ETHROTTLED, "slow down");
    err.retry_after = 10;
    cmp_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");
    assert_int_equal(err.retry_after, 0);
    cmp_error_set(&err, CMP_EBADKEY, "next");
    assert_int_equal(err.code, CMP_EBADKEY);
    assert_string_equal(err.msg, "next");
}

static void test_err_set_accepts_null_and_truncates(void **state)
{
    struct cmp_error err = {0};
    char long_text[CMP_ERROR_MSG_MAX * 2];

    (void)state;
    assert_int_equal(cmp_error_set(NULL, CMP_EIO, "ignored %d", 1), CMP_EIO);
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cmp_error_set(&err, CMP_EBADBODY, "%s", long_text);
    assert_int_equal(strlen(err.msg), CMP_ERROR_MSG_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_maps_each_code_to_status_code_and_form),
        cmocka_unit_test(test_err_unknown_code_is_an_internal_error),
        cmocka_unit_test(test_err_set_records_code_and_message),
        cmocka_unit_test(test_err_set_without_text_uses_the_default),
        cmocka_unit_test(test_err_first_failure_wins),
        cmocka_unit_test(test_err_clear_forgets_everything),
        cmocka_unit_test(test_err_set_accepts_null_and_truncates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
