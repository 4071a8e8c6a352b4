/*
 * tests/unit/test_odata_lexer.c - odata/lexer.c: the tokens of a $filter.
 *
 * Each valid input is lexed to the end and compared as a token listing, KIND(value)@position;
 * each invalid one must fail with CMP_EBADQUERY and a message containing the fragment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "odata/lexer.h"

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

static const char *const kind_names[] = {
    [ODATA__T_EOF] = "EOF",       [ODATA__T_IDENT] = "IDENT",   [ODATA__T_TYPED] = "TYPED",
    [ODATA__T_STRING] = "STRING", [ODATA__T_NUMBER] = "NUMBER", [ODATA__T_DATETIME] = "DT",
    [ODATA__T_TRUE] = "TRUE",     [ODATA__T_FALSE] = "FALSE",   [ODATA__T_NULL] = "NULL",
    [ODATA__T_LPAREN] = "(",      [ODATA__T_RPAREN] = ")",      [ODATA__T_COMMA] = ",",
    [ODATA__T_SLASH] = "/",       [ODATA__T_COLON] = ":",       [ODATA__T_EQ] = "EQ",
    [ODATA__T_NE] = "NE",         [ODATA__T_GT] = "GT",         [ODATA__T_GE] = "GE",
    [ODATA__T_LT] = "LT",         [ODATA__T_LE] = "LE",         [ODATA__T_AND] = "AND",
    [ODATA__T_OR] = "OR",         [ODATA__T_NOT] = "NOT",       [ODATA__T_IN] = "IN",
};

/* Lex `src` to the end into a listing; returns the first failure's code (0 when none). */
static int lex_all(struct arena *a, const char *src, size_t n, char *out, size_t size,
                   struct cmp_error *err)
{
    struct odata__lexer lx;
    struct odata__token t;
    size_t len = 0;
    int rc;

    out[0] = '\0';
    odata__lex_init(&lx, a, src, n);
    do {
        rc = odata__lex_next(&lx, &t, err);
        if (rc)
            return rc;
        switch (t.kind) {
        case ODATA__T_STRING:
            len +=
                snprintf(out + len, size - len, "%sSTRING(%s)@%zu", len ? " " : "", t.str, t.pos);
            break;
        case ODATA__T_TYPED:
            len += snprintf(out + len, size - len, "%sTYPED(%.*s:%s)@%zu", len ? " " : "",
                            (int)t.len, t.text, t.str, t.pos);
            break;
        case ODATA__T_DATETIME:
            len += snprintf(out + len, size - len, "%sDT(%lld)@%zu", len ? " " : "",
                            (long long)t.ticks, t.pos);
            break;
        case ODATA__T_IDENT:
        case ODATA__T_NUMBER:
            len += snprintf(out + len, size - len, "%s%s(%.*s)@%zu", len ? " " : "",
                            kind_names[t.kind], (int)t.len, t.text, t.pos);
            break;
        default:
            len += snprintf(out + len, size - len, "%s%s@%zu", len ? " " : "", kind_names[t.kind],
                            t.pos);
            break;
        }
        assert_true(len < size);
    } while (t.kind != ODATA__T_EOF);
    return 0;
}

static void test_lexer_tokens(void **state)
{
    static const struct {
        const char *src;
        const char *tokens;
    } cases[] = {
        {"", "EOF@0"},
        {" \t ", "EOF@3"},
        {"displayName eq 'x'", "IDENT(displayName)@0 EQ@12 STRING(x)@15 EOF@18"},
        {"eq ne gt ge lt le and or not in",
         "EQ@0 NE@3 GT@6 GE@9 LT@12 LE@15 AND@18 OR@22 NOT@25 IN@29 EOF@31"},
        {"true false null", "TRUE@0 FALSE@5 NULL@11 EOF@15"},
        /* keywords are lowercase words; anything longer or capitalised is a name */
        {"EQ And equal notx nulls _x1", "IDENT(EQ)@0 IDENT(And)@3 IDENT(equal)@7 IDENT(notx)@13 "
                                        "IDENT(nulls)@18 IDENT(_x1)@24 EOF@27"},
        {"(),/:", "(@0 )@1 ,@2 /@3 :@4 EOF@5"},
        {"a/any(x:x/target)", "IDENT(a)@0 /@1 IDENT(any)@2 (@5 IDENT(x)@6 :@7 IDENT(x)@8 /@9 "
                              "IDENT(target)@10 )@16 EOF@17"},
        {"microsoft.graph.groupAssignmentTarget/groupId",
         "IDENT(microsoft.graph.groupAssignmentTarget)@0 /@37 IDENT(groupId)@38 EOF@45"},
        {"microsoft.graph.deviceManagementPartnerTenantState'enabled'",
         "TYPED(microsoft.graph.deviceManagementPartnerTenantState:enabled)@0 EOF@59"},
        {"duration'P1D' x''", "TYPED(duration:P1D)@0 TYPED(x:)@14 EOF@17"},
        {"eq'x'", "EQ@0 STRING(x)@2 EOF@5"},
        {"'it''s' '' ''''", "STRING(it's)@0 STRING()@8 STRING(')@11 EOF@15"},
        {"'a b,c)(' 'é' x", "STRING(a b,c)()@0 STRING(é)@10 IDENT(x)@14 EOF@15"},
        {"0 42 -1 1.5 2e10 -3.25E-2 7e+1",
         "NUMBER(0)@0 NUMBER(42)@2 NUMBER(-1)@5 NUMBER(1.5)@8 NUMBER(2e10)@12 "
         "NUMBER(-3.25E-2)@17 NUMBER(7e+1)@26 EOF@30"},
        {"(1)", "(@0 NUMBER(1)@1 )@2 EOF@3"},
        {"2026-11-01T08:15:00Z", "DT(639291177000000000)@0 EOF@20"},
        {"2026-11-01T09:15:00+01:00)", "DT(639291177000000000)@0 )@25 EOF@26"},
        {"2026-11-01T08:15:00.1234567Z,", "DT(639291177001234567)@0 ,@28 EOF@29"},
        {"2026-11-01T03:15-05:00", "DT(639291177000000000)@0 EOF@22"},
        {"0001-01-01T00:00:00Z", "DT(0)@0 EOF@20"},
    };
    char out[1024];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cmp_error err = {0};
        int rc = lex_all(*state, cases[i].src, strlen(cases[i].src), out, sizeof out, &err);
        if (rc || strcmp(out, cases[i].tokens) != 0)
            print_message("%s\n  got: %d %s %s\n", cases[i].src, rc, out, err.msg);
        assert_int_equal(rc, 0);
        assert_string_equal(out, cases[i].tokens);
    }
}

static void test_lexer_rejects_bad_tokens(void **state)
{
    static const struct {
        const char *src;
        const char *fragment;
    } cases[] = {
        {"'abc", "Unterminated string literal at position 0."},
        {"x 'a''", "Unterminated string literal at position 2."},
        {"'", "Unterminated string literal at position 0."},
        {"a.b'x", "Unterminated string literal at position 0."},
        {"12ab", "Invalid literal '12ab' at position 0."},
        {"x 1.", "Invalid literal '1.' at position 2."},
        {"1e", "Invalid literal '1e'"},
        {"1.5.5", "Invalid literal '1.5.5'"},
        {"--1", "Syntax error: unexpected character '-' at position 0."},
        {"-x", "Syntax error: unexpected character '-' at position 0."},
        {"4b1e4bba-5d5e-4a4f-9c3f-2f6ad2b0b1a7", "Invalid literal '4b1e4bba-5d5e-4a4f-9c3f"},
        {"08:15:00", "Invalid literal '08:15:00'"},
        {"2026-11-01", "Invalid DateTimeOffset literal '2026-11-01' (expected a date, a time and "
                       "an offset, e.g. 2026-11-01T08:15:00Z) at position 0."},
        {"2026-11-01T25:00:00Z", "Invalid DateTimeOffset literal '2026-11-01T25:00:00Z'"},
        {"2026-11-01T08:15:00", "Invalid DateTimeOffset literal '2026-11-01T08:15:00' (expected"},
        {"2026-11-01T08:15:00 01:00", "e.g. 2026-11-01T08:15:00Z; a '+' in a URL must be sent as "
                                      "%2B) at position 0."},
        {"2026-11-01T08:15:00.12345678Z", "Invalid DateTimeOffset literal"},
        {"a.", "Syntax error: unexpected character '.' at position 1."},
        {"a.1", "Syntax error: unexpected character '.' at position 1."},
        {".5", "Syntax error: unexpected character '.' at position 0."},
        {"x @", "Syntax error: unexpected character '@' at position 2."},
        {"$filter", "Syntax error: unexpected character '$' at position 0."},
        {"[1]", "Syntax error: unexpected character '['"},
        {"\"x\"", "Syntax error: unexpected character '\"'"},
        {"a\r\n", "Syntax error: unexpected character U+000D at position 1."},
        {"\x7f", "Syntax error: unexpected character U+007F at position 0."},
        {"'é' é", "Syntax error: unexpected character 'é' at position 4."},
        {"'€' 😀", "Syntax error: unexpected character '😀' at position 4."},
    };
    char out[1024];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cmp_error err = {0};
        int rc = lex_all(*state, cases[i].src, strlen(cases[i].src), out, sizeof out, &err);
        if (rc != CMP_EBADQUERY || !strstr(err.msg, cases[i].fragment))
            print_message("%s\n  got: %d %s\n", cases[i].src, rc, err.msg);
        assert_int_equal(rc, CMP_EBADQUERY);
        assert_non_null(strstr(err.msg, cases[i].fragment));
        assert_true(strncmp(err.msg, "Invalid filter clause: ", 23) == 0);
    }
}

/* The source need not be NUL-terminated: a token never reads past `len`. */
static void test_lexer_stops_at_len(void **state)
{
    char out[256];
    struct cmp_error err = {0};

    assert_int_equal(lex_all(*state, "'ab'cd", 3, out, sizeof out, &err), CMP_EBADQUERY);
    assert_non_null(strstr(err.msg, "Unterminated string literal"));
    assert_int_equal(lex_all(*state, "abc.def", 3, out, sizeof out, &err), 0);
    assert_string_equal(out, "IDENT(abc)@0 EOF@3");
    cmp_error_clear(&err);
    assert_int_equal(lex_all(*state, "2026-11-01T08:15:00Zjunk", 20, out, sizeof out, &err), 0);
    assert_string_equal(out, "DT(639291177000000000)@0 EOF@20");
    assert_int_equal(lex_all(*state, "12345", 2, out, sizeof out, &err), 0);
    assert_string_equal(out, "NUMBER(12)@0 EOF@2");
}

static void test_lexer_describe_and_quote(void **state)
{
    struct odata__lexer lx;
    struct odata__token t;
    struct cmp_error err = {0};
    char buf[ODATA__QUOTE_MAX + 40];
    char q[ODATA__QUOTE_MAX + 4];
    char longs[200];
    size_t i;

    odata__lex_init(&lx, *state, "eq 'x' ", 7);
    assert_int_equal(odata__lex_next(&lx, &t, &err), 0);
    assert_string_equal(odata__lex_describe(&t, buf, sizeof buf), "'eq'");
    assert_int_equal(odata__lex_next(&lx, &t, &err), 0);
    assert_string_equal(odata__lex_describe(&t, buf, sizeof buf), "string literal 'x'");
    assert_int_equal(odata__lex_next(&lx, &t, &err), 0);
    assert_string_equal(odata__lex_describe(&t, buf, sizeof buf), "end of input");

    /* quoting cuts long text on a character boundary and marks the cut */
    assert_string_equal(odata__lex_quote(q, "abc", 3), "abc");
    for (i = 0; i + 2 <= sizeof longs - 1; i += 2)
        memcpy(longs + i, "é", 2);
    longs[i] = '\0';
    odata__lex_quote(q, longs, strlen(longs));
    assert_int_equal(strlen(q), ODATA__QUOTE_MAX + 3);
    assert_string_equal(q + ODATA__QUOTE_MAX, "...");
    memset(longs, 'a', sizeof longs);
    memcpy(longs + ODATA__QUOTE_MAX - 1, "é", 2);
    odata__lex_quote(q, longs, sizeof longs);
    assert_int_equal(strlen(q), ODATA__QUOTE_MAX - 1 + 3); /* 'é' would straddle the limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lexer_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexer_rejects_bad_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexer_stops_at_len, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexer_describe_and_quote, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
