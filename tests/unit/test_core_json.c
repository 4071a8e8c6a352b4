/*
 * tests/unit/test_core_json.c - core/json.c: the strict JSON parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

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

/* Parse `n` bytes; on failure the error must be `code` with a message. */
static int parse_n(struct arena *a, const char *p, size_t n, struct json_value **out,
                   struct cmp_error *err)
{
    int rc = json_parse(a, p, n, CMP_EBADBODY, out, err);

    if (rc) {
        assert_int_equal(rc, CMP_EBADBODY);
        assert_int_equal(err->code, CMP_EBADBODY);
        assert_true(err->msg[0] != '\0');
    }
    return rc;
}

/* `depth` nested arrays: [[[...]]]. */
static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    int i;

    assert_non_null(s);
    for (i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth * 2 - 1 - i] = ']';
    }
    s[depth * 2] = '\0';
    return s;
}

/* An object with `n` members "k0".."k<n-1>". */
static char *members(int n)
{
    size_t cap = (size_t)n * 16 + 3;
    char *s = malloc(cap);
    size_t o = 0;
    int i;

    assert_non_null(s);
    s[o++] = '{';
    for (i = 0; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s\"k%d\":%d", i ? "," : "", i, i);
    s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void test_json_accepts_or_refuses_each_document(void **state)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen(text) */
        int ok;
    } cases[] = {
        {"{}", 0, 1},
        {"[]", 0, 1},
        {"null", 0, 1},
        {"true", 0, 1},
        {"0", 0, 1},
        {"\"x\"", 0, 1},
        {" \t\r\n{\"a\" : [1, 2.5, -3e10, \"\\u00fc\\ud83d\\ude00\", null, false]} \n", 0, 1},
        {"{\"a\":{\"b\":{\"c\":[]}}}", 0, 1},
        {"{\"\xc3\xbc\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\"}", 0, 1}, /* UTF-8 passes */
        {"{\"a\":1,\"b\":2}", 0, 1},
        {"{\"a\":{\"x\":1},\"b\":{\"x\":1}}", 0, 1}, /* same name in different objects */
        /* refused */
        {"", 0, 0},
        {"   ", 0, 0},
        {"{", 0, 0},
        {"{\"a\":1,}", 0, 0},
        {"[1,]", 0, 0},
        {"{\"a\":1,\"a\":2}", 0, 0},           /* duplicate member */
        {"{\"a\":1,\"b\":{},\"a\":{}}", 0, 0}, /* duplicate after a container */
        {"{\"a\\u0062\":1,\"ab\":2}", 0, 0},   /* duplicate once unescaped */
        {"\"\xff\"", 0, 0},                    /* not UTF-8 */
        {"\"\xc3\"", 0, 0},                    /* truncated sequence */
        {"\"\xc0\xaf\"", 0, 0},                /* overlong */
        {"\"\xe0\x80\xaf\"", 0, 0},            /* overlong, three bytes */
        {"\"\xed\xa0\x80\"", 0, 0},            /* UTF-16 surrogate */
        {"\"\xf4\x90\x80\x80\"", 0, 0},        /* above U+10FFFF */
        {"\"\\ud800\"", 0, 0},                 /* lone surrogate escape */
        {"\"\\udc00x\"", 0, 0},
        {"\"\\ud800\\u0041\"", 0, 0},          /* high surrogate, then no low one */
        {"\"\\uD83D\\uDE00\\\\ud800\"", 0, 1}, /* a pair, then an escaped backslash */
        {"{\"\xfe\":1}", 0, 0},                /* bad member name */
        {"{\"\xc0\xaf\":1}", 0, 0},
        {"\"a\\u0000b\"", 0, 0},    /* NUL in a string */
        {"{\"a\\u0000\":1}", 0, 0}, /* NUL in a name */
        {"\"a\0b\"", 5, 0},         /* raw NUL byte */
        {"\"a\tb\"", 0, 0},         /* raw control character */
        {"{} x", 0, 0},             /* trailing garbage */
        {"{}{}", 0, 0},             /* two values */
        {"1 2", 0, 0},
        {"{} // c", 0, 0}, /* comments refused */
        {"/* c */ {}", 0, 0},
        {"{'a':1}", 0, 0},
        {"[01]", 0, 0},
        {"[NaN]", 0, 0},
        {"{\"a\":tru}", 0, 0},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cmp_error err = {0};
        struct json_value *v = NULL;
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int rc = parse_n(a, cases[i].text, n, &v, &err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu (%s): rc %d, %s", i, cases[i].text, rc, err.msg);
        if (rc == 0)
            assert_non_null(v);
    }
}

static void test_json_refuses_nesting_deeper_than_the_limit(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};
    char *ok = nested(JSON_MAX_DEPTH);
    char *deep = nested(JSON_MAX_DEPTH + 1);

    assert_int_equal(parse_n(a, ok, strlen(ok), &v, &err), 0);
    assert_int_equal(parse_n(a, deep, strlen(deep), &v, &err), CMP_EBADBODY);
    assert_non_null(strstr(err.msg, "deep"));
    free(ok);
    free(deep);
}

static void test_json_refuses_more_members_than_the_limit(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};
    char *ok = members(JSON_MAX_MEMBERS);
    char *many = members(JSON_MAX_MEMBERS + 1);

    assert_int_equal(parse_n(a, ok, strlen(ok), &v, &err), 0);
    assert_int_equal(v->u.obj.n, JSON_MAX_MEMBERS);
    assert_int_equal(parse_n(a, many, strlen(many), &v, &err), CMP_EBADBODY);
    free(ok);
    free(many);
}

static void test_json_keeps_number_source_text(void **state)
{
    static const char *const numbers[] = {
        "0", "-0", "1.50", "1e5", "-2.5E-3", "123456789012345678901234567890", "9007199254740993",
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        struct json_value *v = NULL;
        struct cmp_error err = {0};
        assert_int_equal(parse_n(a, numbers[i], strlen(numbers[i]), &v, &err), 0);
        assert_int_equal(v->type, JSON_NUMBER);
        assert_string_equal(v->u.str.p, numbers[i]);
        assert_int_equal(v->u.str.n, strlen(numbers[i]));
    }
}

static void test_json_builds_the_tree_in_member_order(void **state)
{
    static const char doc[] =
        "{\"z\":null,\"a\":[true,false,\"s\\\"q\"],\"m\":{\"k\":\"\\u00fc\"},\"n\":-7}";
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};
    const struct json_value *arr;

    assert_int_equal(parse_n(a, doc, sizeof doc - 1, &v, &err), 0);
    assert_int_equal(v->type, JSON_OBJECT);
    assert_int_equal(v->u.obj.n, 4);
    assert_string_equal(v->u.obj.items[0].key, "z");
    assert_string_equal(v->u.obj.items[1].key, "a");
    assert_string_equal(v->u.obj.items[2].key, "m");
    assert_string_equal(v->u.obj.items[3].key, "n");
    assert_int_equal(v->u.obj.items[0].value->type, JSON_NULL);
    arr = json_get(v, "a");
    assert_non_null(arr);
    assert_int_equal(arr->type, JSON_ARRAY);
    assert_int_equal(arr->u.arr.n, 3);
    assert_true(arr->u.arr.items[0]->u.b);
    assert_false(arr->u.arr.items[1]->u.b);
    assert_string_equal(arr->u.arr.items[2]->u.str.p, "s\"q");
    assert_string_equal(json_get(json_get(v, "m"), "k")->u.str.p, "\xc3\xbc");
    assert_null(json_get(v, "missing"));
    assert_null(json_get(arr, "a"));
}

static void test_json_int64_takes_integers_in_range(void **state)
{
    static const struct {
        const char *text;
        int ok;
        int64_t want;
    } cases[] = {
        {"0", 1, 0},
        {"-1", 1, -1},
        {"9223372036854775807", 1, INT64_MAX},
        {"-9223372036854775808", 1, INT64_MIN},
        {"9223372036854775808", 0, 0},
        {"1.0", 0, 0},
        {"1e3", 0, 0},
        {"\"1\"", 0, 0},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct json_value *v = NULL;
        struct cmp_error err = {0};
        int64_t got = 42;
        assert_int_equal(parse_n(a, cases[i].text, strlen(cases[i].text), &v, &err), 0);
        if (cases[i].ok) {
            assert_int_equal(json_int64(v, &got), 0);
            assert_true(got == cases[i].want);
        } else {
            assert_int_equal(json_int64(v, &got), CMP_EBADREQUEST);
        }
    }
}

static void test_json_error_uses_the_callers_code(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};

    assert_int_equal(json_parse(a, "{", 1, CMP_EUNAUTHENTICATED, &v, &err), CMP_EUNAUTHENTICATED);
    assert_int_equal(err.code, CMP_EUNAUTHENTICATED);
    assert_non_null(strstr(err.msg, "Invalid JSON"));
    /* Messages are single lines without yajl's trailing newline. */
    assert_null(strchr(err.msg, '\n'));
}

static void test_json_error_keeps_an_earlier_failure(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};

    cmp_error_set(&err, CMP_ETOOLARGE, "first");
    assert_int_equal(json_parse(a, "[1,", 3, CMP_EBADBODY, &v, &err), CMP_EBADBODY);
    assert_int_equal(err.code, CMP_ETOOLARGE);
    assert_string_equal(err.msg, "first");
}

static void test_json_error_may_be_null(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;

    assert_int_equal(json_parse(a, "[1,", 3, CMP_EBADBODY, &v, NULL), CMP_EBADBODY);
    assert_int_equal(json_parse(a, "{\"a\":1,\"a\":1}", 13, CMP_EBADBODY, &v, NULL), CMP_EBADBODY);
    assert_int_equal(json_parse(a, "", 0, CMP_EBADBODY, &v, NULL), CMP_EBADBODY);
}

/* The duplicate name is quoted in the message, cut to a whole UTF-8 character. */
static void test_json_duplicate_message_stays_valid_utf8(void **state)
{
    struct arena *a = *state;
    struct json_value *v = NULL;
    struct cmp_error err = {0};
    char key[200];
    char doc[500];
    char quoted[CMP_ERROR_MSG_MAX + 3];
    size_t o = 0;
    int i;

    key[o++] = 'x'; /* shifts every two-byte character to straddle byte 64 */
    for (i = 0; i < 40; i++) {
        key[o++] = '\xc3';
        key[o++] = '\xbc';
    }
    key[o] = '\0';
    snprintf(doc, sizeof doc, "{\"%s\":1,\"%s\":2}", key, key);
    assert_int_equal(parse_n(a, doc, strlen(doc), &v, &err), CMP_EBADBODY);
    assert_non_null(strstr(err.msg, "duplicate"));
    /* Parse the message as a JSON string: that validates its UTF-8. */
    snprintf(quoted, sizeof quoted, "\"%s\"", err.msg);
    assert_int_equal(json_parse(a, quoted, strlen(quoted), CMP_EBADBODY, &v, NULL), 0);
}

static void test_json_type_names(void **state)
{
    (void)state;
    assert_string_equal(json_type_name(JSON_NULL), "null");
    assert_string_equal(json_type_name(JSON_BOOL), "boolean");
    assert_string_equal(json_type_name(JSON_NUMBER), "number");
    assert_string_equal(json_type_name(JSON_STRING), "string");
    assert_string_equal(json_type_name(JSON_ARRAY), "array");
    assert_string_equal(json_type_name(JSON_OBJECT), "object");
}

/* Every byte at every place of strings of 0..24 bytes (the eight-byte steps and the tail). */
static void test_json_is_plain_finds_any_byte_anywhere(void **state)
{
    char s[24];
    size_t n;
    size_t at;
    unsigned c;

    (void)state;
    for (n = 0; n <= sizeof s; n++) {
        bool ascii = false;
        memset(s, 'a', sizeof s);
        assert_true(json_is_plain(s, n, &ascii));
        assert_true(ascii);
        for (at = 0; at < n; at++) {
            for (c = 0; c < 256; c++) {
                bool want_plain = c >= 0x20 && c != '"' && c != '\\';
                memset(s, c == 'a' ? 'b' : 'a', sizeof s);
                s[at] = (char)c;
                assert_int_equal(json_is_plain(s, n, &ascii), want_plain);
                assert_int_equal(ascii, c < 0x80);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_accepts_or_refuses_each_document, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_refuses_nesting_deeper_than_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_refuses_more_members_than_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_keeps_number_source_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_builds_the_tree_in_member_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_int64_takes_integers_in_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_error_uses_the_callers_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_error_keeps_an_earlier_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_error_may_be_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_duplicate_message_stays_valid_utf8, setup,
                                        teardown),
        cmocka_unit_test(test_json_type_names),
        cmocka_unit_test(test_json_is_plain_finds_any_byte_anywhere),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
