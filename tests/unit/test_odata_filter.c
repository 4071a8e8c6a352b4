/*
 * tests/unit/test_odata_filter.c - odata/filter.c and filter_path.c: $filter into the AST.
 *
 * Valid inputs are compared as the canonical S-expression of their AST (printed by sexpr()
 * below); invalid ones must fail with CMP_EBADQUERY and a message that contains the given
 * fragment, position included.  Every AST that parses is also run through the invariant
 * checker the fuzz target uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "graph/model.h"
#include "odata/filter_impl.h"
#include "odata/odata.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define V1 GRAPH_V1
#define BETA GRAPH_BETA
#define T0815 "639291177000000000" /* 2026-11-01T08:15:00Z in ticks */

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

/* ---- the printer ---- */

struct out {
    char buf[4096];
    size_t len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof o->buf - o->len);
    o->len += (size_t)n;
}

static void print_value(struct out *o, const struct odata_value *v)
{
    switch (v->type) {
    case ODATA_V_NULL:
        put(o, "null");
        break;
    case ODATA_V_BOOL:
        put(o, "%s", v->u.b ? "true" : "false");
        break;
    case ODATA_V_STRING:
        put(o, "'%s'", v->u.s.p);
        break;
    case ODATA_V_DATETIME:
        put(o, "t%lld", (long long)v->u.ticks);
        break;
    case ODATA_V_ENUM:
        put(o, "#%lld", (long long)v->u.i);
        break;
    }
}

static void print_operand(struct out *o, const struct odata_expr *e)
{
    static const char *const members[] = {"", "@groupId", "@collectionId", "@filterId",
                                          "@filterType"};

    if (e->member == ODATA_TM_NONE)
        put(o, "%s", e->prop->name);
    else
        put(o, "%s", members[e->member]);
    if (e->cast >= 0)
        put(o, "/%s", graph_target_types[e->cast].name);
}

static void print_expr(struct out *o, const struct odata_expr *e)
{
    static const char *const ops[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    static const char *const funcs[] = {"startswith", "endswith", "contains"};
    size_t i;

    switch (e->kind) {
    case ODATA_AND:
    case ODATA_OR:
        put(o, "(%s ", e->kind == ODATA_AND ? "and" : "or");
        print_expr(o, e->left);
        put(o, " ");
        print_expr(o, e->right);
        put(o, ")");
        break;
    case ODATA_NOT:
    case ODATA_BOOL:
        put(o, "(%s ", e->kind == ODATA_NOT ? "not" : "bool");
        print_expr(o, e->left);
        put(o, ")");
        break;
    case ODATA_CMP:
    case ODATA_FUNC:
        put(o, "(%s ", e->kind == ODATA_CMP ? ops[e->op] : funcs[e->func]);
        print_expr(o, e->left);
        put(o, " ");
        print_expr(o, e->right);
        put(o, ")");
        break;
    case ODATA_IN:
        put(o, "(in ");
        print_expr(o, e->left);
        for (i = 0; i < e->item_count; i++) {
            put(o, " ");
            print_expr(o, e->items[i]);
        }
        put(o, ")");
        break;
    case ODATA_ANY:
    case ODATA_ALL:
        put(o, "(%s %s", e->kind == ODATA_ANY ? "any" : "all", e->collection->name);
        if (e->pred) {
            put(o, " ");
            print_expr(o, e->pred);
        }
        put(o, ")");
        break;
    case ODATA_CONST:
    case ODATA_LITERAL:
        print_value(o, &e->lit);
        break;
    case ODATA_OPERAND:
        print_operand(o, e);
        break;
    }
}

static const char *sexpr(const struct odata_expr *e, struct out *o)
{
    o->len = 0;
    o->buf[0] = '\0';
    print_expr(o, e);
    return o->buf;
}

/* ---- tables ---- */

struct valid_case {
    int v;
    const char *filter;
    const char *ast;
};

struct invalid_case {
    int v;
    const char *filter;
    const char *fragment; /* of the message */
};

static void run_valid(struct arena *a, const struct valid_case *c, size_t n)
{
    struct out o;
    size_t i;

    for (i = 0; i < n; i++) {
        struct odata_expr *e = NULL;
        struct cmp_error err = {0};
        int rc = odata_filter_parse(a, (enum graph_version)c[i].v, c[i].filter, strlen(c[i].filter),
                                    &e, &err);
        if (rc)
            print_message("%s: %s\n", c[i].filter, err.msg);
        assert_int_equal(rc, 0);
        assert_null(odata__expr_check(e, (enum graph_version)c[i].v));
        if (strcmp(sexpr(e, &o), c[i].ast) != 0)
            print_message("%s\n", c[i].filter);
        assert_string_equal(o.buf, c[i].ast);
        /* the fuzz oracle agrees: both versions sound, v1.0 trees the same on beta */
        assert_int_equal(odata_filter_fuzz((const unsigned char *)c[i].filter, strlen(c[i].filter)),
                         0);
    }
}

static void expect_invalid(struct arena *a, int v, const char *filter, size_t len,
                           const char *fragment)
{
    struct odata_expr *e = (struct odata_expr *)(uintptr_t)1;
    struct cmp_error err = {0};
    int rc = odata_filter_parse(a, (enum graph_version)v, filter, len, &e, &err);

    if (rc != CMP_EBADQUERY || !strstr(err.msg, fragment))
        print_message("%.80s\n  got: %d %s\n  want: %s\n", filter, rc, err.msg, fragment);
    assert_int_equal(rc, CMP_EBADQUERY);
    assert_non_null(strstr(err.msg, fragment));
    assert_true(strncmp(err.msg, "Invalid filter clause: ", 23) == 0);
    assert_ptr_equal(e, (struct odata_expr *)(uintptr_t)1); /* *out untouched */
    assert_int_equal(odata_filter_fuzz((const unsigned char *)filter, len), 0);
}

static void run_invalid(struct arena *a, const struct invalid_case *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        expect_invalid(a, c[i].v, c[i].filter, strlen(c[i].filter), c[i].fragment);
}

#define RUN(fn, a, table) fn((a), (table), sizeof(table) / sizeof *(table))

/* ---- comparisons, literals and types ---- */

static void test_filter_comparisons_and_literals(void **state)
{
    static const struct valid_case ok[] = {
        {V1, "displayName eq 'x'", "(eq displayName 'x')"},
        {V1, "displayName eq'x'", "(eq displayName 'x')"},
        {V1, "  displayName\teq  'x'  ", "(eq displayName 'x')"},
        {V1, "displayName eq 'it''s'", "(eq displayName 'it's')"},
        {V1, "displayName eq ''", "(eq displayName '')"},
        {V1, "displayName eq 'Übersicht'", "(eq displayName 'Übersicht')"},
        {V1, "displayName ne null", "(ne displayName null)"},
        {V1, "id ge 'a' and id le 'b'", "(and (ge id 'a') (le id 'b'))"},
        {V1, "(displayName) eq 'x'", "(eq displayName 'x')"},
        {V1, "partnerState eq 'enabled'", "(eq partnerState #2)"},
        {V1, "partnerState eq microsoft.graph.deviceManagementPartnerTenantState'unresponsive'",
         "(eq partnerState #5)"},
        {V1, "partnerState gt 'unknown'", "(gt partnerState #0)"},
        {V1, "lastHeartbeatDateTime gt 2026-11-01T08:15:00Z",
         "(gt lastHeartbeatDateTime t" T0815 ")"},
        {V1, "lastHeartbeatDateTime le 2026-11-01T09:15:00+01:00",
         "(le lastHeartbeatDateTime t" T0815 ")"},
        {V1, "lastHeartbeatDateTime eq 2026-11-01T08:15:00.1234567Z",
         "(eq lastHeartbeatDateTime t639291177001234567)"},
        {V1, "lastHeartbeatDateTime eq 0001-01-01T00:00:00Z", "(eq lastHeartbeatDateTime t0)"},
        {V1, "iosOnboarded eq true", "(eq iosOnboarded true)"},
        {V1, "iosOnboarded ne false", "(ne iosOnboarded false)"},
        {V1, "macOsOnboarded gt false", "(gt macOsOnboarded false)"},
        {BETA, "linuxOnboarded eq true", "(eq linuxOnboarded true)"},
    };
    static const struct invalid_case bad[] = {
        {V1, "displayName eq 5",
         "Incompatible types: 'displayName' is of type Edm.String but '5' is Edm.Int64 at "
         "position 15."},
        {V1, "displayName eq 1.5", "'1.5' is Edm.Double at position 15."},
        {V1, "displayName eq true",
         "'displayName' is of type Edm.String but 'true' is Edm.Boolean"},
        {V1, "iosOnboarded eq 'true'", "'iosOnboarded' is of type Edm.Boolean but string literal"},
        {V1, "iosOnboarded eq 1", "'1' is Edm.Int64 at position 16."},
        {V1, "lastHeartbeatDateTime gt '2026-11-01T08:15:00Z'",
         "DateTimeOffset literals are written without quotes, e.g. 2026-11-01T08:15:00Z) at "
         "position 25."},
        {V1, "lastHeartbeatDateTime gt 2026-11-01",
         "Invalid DateTimeOffset literal '2026-11-01' (expected"},
        {V1, "lastHeartbeatDateTime gt 2026-02-30T00:00:00Z", "Invalid DateTimeOffset literal"},
        {V1, "lastHeartbeatDateTime gt 2026-11-01T08:15:00 01:00",
         "a '+' in a URL must be sent as %2B) at position 25."},
        {V1, "lastHeartbeatDateTime eq null",
         "'lastHeartbeatDateTime' is not nullable and cannot be compared with null at position "
         "25."},
        {V1, "id eq null", "'id' is not nullable and cannot be compared with null at position 6."},
        {V1, "iosOnboarded ne null", "'iosOnboarded' is not nullable"},
        {V1, "displayName gt null", "Null can only be compared with eq or ne at position 15."},
        {V1, "partnerState eq 'bogus'",
         "'bogus' is not a member of the enum type "
         "'microsoft.graph.deviceManagementPartnerTenantState' at position 16."},
        {V1, "partnerState eq 'Enabled'", "'Enabled' is not a member"},
        {V1, "partnerState eq 2",
         "'partnerState' is of type "
         "microsoft.graph.deviceManagementPartnerTenantState but '2'"},
        {V1, "partnerState eq microsoft.graph.deviceManagementPartnerTenantState'bogus'",
         "'bogus' is not a member of the enum type"},
        {V1, "partnerState eq microsoft.graph.deviceAndAppManagementAssignmentFilterType'none'",
         "the literal is of type 'microsoft.graph.deviceAndAppManagementAssignmentFilterType' at "
         "position 16."},
        {V1, "partnerState eq duration'P1D'", "the literal is of type 'duration'"},
        {V1, "displayName eq microsoft.graph.deviceManagementPartnerTenantState'enabled'",
         "'displayName' is of type Edm.String but literal "
         "microsoft.graph.deviceManagementPartnerTenantState'...' is a typed literal"},
        {V1, "partnerState eq null", "'partnerState' is not nullable"},
        {V1, "displayName eq id",
         "'eq' needs a property on one side and a literal on the other (comparing two properties "
         "or conditions is not supported) at position 12."},
        {V1, "'a' eq 'a'", "'eq' needs a property on one side, not two literals at position 4."},
        {V1, "null eq null", "not two literals"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* 'lit op prop' is stored as 'prop op' lit' with the operator mirrored. */
static void test_filter_normalises_literal_on_the_left(void **state)
{
    static const struct valid_case ok[] = {
        {V1, "'x' eq displayName", "(eq displayName 'x')"},
        {V1, "'x' ne displayName", "(ne displayName 'x')"},
        {V1, "'x' lt displayName", "(gt displayName 'x')"},
        {V1, "'x' le displayName", "(ge displayName 'x')"},
        {V1, "'x' gt displayName", "(lt displayName 'x')"},
        {V1, "'x' ge displayName", "(le displayName 'x')"},
        {V1, "null eq displayName", "(eq displayName null)"},
        {V1, "'enabled' eq partnerState", "(eq partnerState #2)"},
        {V1, "2026-11-01T08:15:00Z lt lastHeartbeatDateTime",
         "(gt lastHeartbeatDateTime t" T0815 ")"},
        {V1, "true eq iosOnboarded", "(eq iosOnboarded true)"},
        {V1, "false eq (displayName eq 'a')", "(not (eq displayName 'a'))"},
    };
    static const struct invalid_case bad[] = {
        {V1, "5 eq displayName", "'5' is Edm.Int64 at position 0."},
        {V1, "null lt displayName", "Null can only be compared with eq or ne at position 0."},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* ---- conditions, precedence ---- */

static void test_filter_booleans_and_precedence(void **state)
{
    static const struct valid_case ok[] = {
        {V1, "iosOnboarded", "(bool iosOnboarded)"},
        {V1, "not iosOnboarded", "(not (bool iosOnboarded))"},
        {V1, "not not iosOnboarded", "(not (not (bool iosOnboarded)))"},
        {V1, "not(iosOnboarded)", "(not (bool iosOnboarded))"},
        {V1, "true", "true"},
        {V1, "false or true", "(or false true)"},
        {V1, "(((true)))", "true"},
        /* not binds tighter than comparisons, as in ODataLib */
        {V1, "not iosOnboarded eq true", "(not (bool iosOnboarded))"},
        {V1, "not iosOnboarded eq false", "(not (not (bool iosOnboarded)))"},
        {V1, "(displayName eq 'a') eq true", "(eq displayName 'a')"},
        {V1, "(displayName eq 'a') eq false", "(not (eq displayName 'a'))"},
        {V1, "(displayName eq 'a') ne true", "(not (eq displayName 'a'))"},
        {V1, "(displayName eq 'a') ne false", "(eq displayName 'a')"},
        {V1, "displayName eq 'a' eq false", "(not (eq displayName 'a'))"},
        {V1, "iosOnboarded or androidOnboarded and macOsOnboarded",
         "(or (bool iosOnboarded) (and (bool androidOnboarded) (bool macOsOnboarded)))"},
        {V1, "iosOnboarded and androidOnboarded or macOsOnboarded",
         "(or (and (bool iosOnboarded) (bool androidOnboarded)) (bool macOsOnboarded))"},
        {V1, "(iosOnboarded or androidOnboarded) and macOsOnboarded",
         "(and (or (bool iosOnboarded) (bool androidOnboarded)) (bool macOsOnboarded))"},
        {V1, "iosOnboarded and androidOnboarded and macOsOnboarded",
         "(and (and (bool iosOnboarded) (bool androidOnboarded)) (bool macOsOnboarded))"},
        {V1, "not iosOnboarded and displayName eq 'x' or not (partnerState ne 'enabled')",
         "(or (and (not (bool iosOnboarded)) (eq displayName 'x')) (not (ne partnerState #2)))"},
    };
    static const struct invalid_case bad[] = {
        {V1, "displayName",
         "'displayName' is of type Edm.String and cannot be used as a "
         "condition at position 0."},
        {V1, "'x'", "String literal 'x' cannot be used as a condition at position 0."},
        {V1, "null", "'null' cannot be used as a condition"},
        {V1, "not displayName",
         "'displayName' is of type Edm.String and cannot be used as a "
         "condition at position 4."},
        {V1, "not displayName eq 'x'", "cannot be used as a condition at position 4."},
        {V1, "partnerState and true",
         "'partnerState' is of type "
         "microsoft.graph.deviceManagementPartnerTenantState and "
         "cannot be used as a condition at position 0."},
        {V1, "iosOnboarded or 'x'", "cannot be used as a condition at position 16."},
        {V1, "(displayName eq 'a') eq 'x'",
         "A condition can only be compared with true or false, using eq or ne at position 21."},
        {V1, "(displayName eq 'a') gt true", "A condition can only be compared"},
        {V1, "(displayName eq 'a') eq iosOnboarded", "needs a property on one side and a literal"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* ---- in, functions ---- */

static void test_filter_in_and_functions(void **state)
{
    static const struct valid_case ok[] = {
        {V1, "id in ('a','b')", "(in id 'a' 'b')"},
        {V1, "id in ( 'a' , 'b' )", "(in id 'a' 'b')"},
        {V1, "displayName in (null, 'x')", "(in displayName null 'x')"},
        {V1,
         "partnerState in ('enabled', "
         "microsoft.graph.deviceManagementPartnerTenantState'rejected')",
         "(in partnerState #2 #4)"},
        {V1, "lastHeartbeatDateTime in (2026-11-01T08:15:00Z)",
         "(in lastHeartbeatDateTime t" T0815 ")"},
        {V1, "not (id in ('a'))", "(not (in id 'a'))"},
        {V1, "id in ('a') eq false", "(not (in id 'a'))"},
        {V1, "startswith(displayName,'Con')", "(startswith displayName 'Con')"},
        {V1, "endswith( id , 'x' )", "(endswith id 'x')"},
        {V1, "contains(displayName,'it''s')", "(contains displayName 'it's')"},
        {V1, "contains((displayName), ('M'))", "(contains displayName 'M')"},
        {V1, "endswith(id,'x') eq false", "(not (endswith id 'x'))"},
        {V1, "not startswith(displayName,'a')", "(not (startswith displayName 'a'))"},
    };
    static const struct invalid_case bad[] = {
        {V1, "displayName in ()",
         "Syntax error: expected a literal in the 'in' list but found ')' at position 16."},
        {V1, "displayName in ('a',)", "expected a literal in the 'in' list but found ')'"},
        {V1, "displayName in 'a'",
         "Syntax error: expected '(' but found string literal 'a' at "
         "position 15."},
        {V1, "displayName in ('a' 'b')", "expected ',' or ')' but found string literal 'b'"},
        {V1, "displayName in ('a'", "expected ',' or ')' but found end of input at position 19."},
        {V1, "displayName in (id)", "expected a literal in the 'in' list but found 'id'"},
        {V1, "'a' in ('a')", "The left side of 'in' must be a property at position 4."},
        {V1, "(id eq 'a') in (true)", "The left side of 'in' must be a property at position 12."},
        {V1, "id in ('a', null)", "'id' is not nullable"},
        {V1, "partnerState in ('enabled', 'nope')", "'nope' is not a member"},
        {V1, "tolower(displayName) eq 'x'",
         "The function 'tolower' is not supported at position 0."},
        {V1, "length(displayName) gt 2", "The function 'length' is not supported"},
        {V1, "substringof('a', displayName)", "The function 'substringof' is not supported"},
        {V1, "geo.distance(a, b) lt 1", "The function 'geo.distance' is not supported"},
        {V1, "startswith(partnerState,'e')",
         "The function startswith needs an Edm.String property but 'partnerState' is of type "
         "microsoft.graph.deviceManagementPartnerTenantState at position 11."},
        {V1, "contains(iosOnboarded,'e')", "needs an Edm.String property but 'iosOnboarded'"},
        {V1, "startswith('abc', displayName)",
         "The first argument of startswith must be a property at position 11."},
        {V1, "endswith(displayName, null)",
         "The second argument of endswith must be a string literal at position 22."},
        {V1, "endswith(displayName, id)", "The second argument of endswith must be a string"},
        {V1, "startswith(displayName)", "Syntax error: expected ',' but found ')' at position 22."},
        {V1, "startswith(displayName,'a','b')", "expected ')' but found ','"},
        {V1, "startswith(displayName,'a'", "expected ')' but found end of input"},
        {V1, "displayName has 'x'", "The operator 'has' is not supported at position 12."},
        {V1, "1 add 2 eq 3", "The operator 'add' is not supported at position 2."},
        {V1, "displayName eq 'a' xor iosOnboarded",
         "Syntax error: unexpected 'xor' at position 19."},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* ---- lambdas ---- */

static const struct valid_case lambda_ok[] = {
    {V1,
     "iosEnrollmentAssignments/any(a:a/target/microsoft.graph.groupAssignmentTarget/groupId "
     "eq 'g1')",
     "(any iosEnrollmentAssignments (eq @groupId/groupAssignmentTarget 'g1'))"},
    {V1, "iosEnrollmentAssignments/any()", "(any iosEnrollmentAssignments)"},
    {V1, "not macOsEnrollmentAssignments/any()", "(not (any macOsEnrollmentAssignments))"},
    {V1, "macOsEnrollmentAssignments/all(t: t/target/collectionId ne null)",
     "(all macOsEnrollmentAssignments (ne @collectionId null))"},
    {V1, "androidEnrollmentAssignments/any(x: x/target/groupId in ('g1', 'g2'))",
     "(any androidEnrollmentAssignments (in @groupId 'g1' 'g2'))"},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.exclusionGroupAssignmentTarget/groupId eq null)",
     "(any iosEnrollmentAssignments (eq @groupId/exclusionGroupAssignmentTarget null))"},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.configurationManagerCollectionAssignmentTarget/collectionId "
     "eq 'c')",
     "(any iosEnrollmentAssignments (eq "
     "@collectionId/configurationManagerCollectionAssignmentTarget 'c'))"},
    {V1, "iosEnrollmentAssignments/any(a: startswith(a/target/groupId, 'g'))",
     "(any iosEnrollmentAssignments (startswith @groupId 'g'))"},
    {V1, "iosEnrollmentAssignments/any(a: 'g' eq a/target/groupId)",
     "(any iosEnrollmentAssignments (eq @groupId 'g'))"},
    /* entity properties inside a lambda body are plain entity-level operands */
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId eq 'g' and iosOnboarded)",
     "(any iosEnrollmentAssignments (and (eq @groupId 'g') (bool iosOnboarded)))"},
    {V1, "iosEnrollmentAssignments/any(a: true)", "(any iosEnrollmentAssignments true)"},
    /* the same variable name in two lambdas; a variable may shadow a property name */
    {V1,
     "iosEnrollmentAssignments/any(a:a/target/groupId eq 'x') and "
     "macOsEnrollmentAssignments/all(a:a/target/groupId ne 'y')",
     "(and (any iosEnrollmentAssignments (eq @groupId 'x')) (all macOsEnrollmentAssignments "
     "(ne @groupId 'y')))"},
    {V1, "iosEnrollmentAssignments/any(id: id/target/groupId eq 'x')",
     "(any iosEnrollmentAssignments (eq @groupId 'x'))"},
    {BETA, "linuxEnrollmentAssignments/any()", "(any linuxEnrollmentAssignments)"},
    {BETA,
     "linuxEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.deviceAndAppManagementAssignmentTarget/"
     "deviceAndAppManagementAssignmentFilterId eq 'f')",
     "(any linuxEnrollmentAssignments (eq @filterId 'f'))"},
    {BETA,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.allDevicesAssignmentTarget/"
     "deviceAndAppManagementAssignmentFilterType eq 'exclude')",
     "(any iosEnrollmentAssignments (eq @filterType/allDevicesAssignmentTarget #2))"},
    {BETA,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType "
     "ne microsoft.graph.deviceAndAppManagementAssignmentFilterType'none')",
     "(any iosEnrollmentAssignments (ne @filterType #0))"},
    {BETA,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterId eq "
     "null)",
     "(any iosEnrollmentAssignments (eq @filterId null))"},
};

static const struct invalid_case lambda_bad[] = {
    {V1, "linuxEnrollmentAssignments/any()",
     "Could not find a property named 'linuxEnrollmentAssignments' on type "
     "'microsoft.graph.complianceManagementPartner' at position 0."},
    {V1, "iosEnrollmentAssignments eq null",
     "The collection 'iosEnrollmentAssignments' can only be used with /any(...) or /all(...) "
     "at position 0."},
    {V1, "iosEnrollmentAssignments", "can only be used with /any(...) or /all(...)"},
    {V1, "iosEnrollmentAssignments/count",
     "Could not find a property named 'count' on type "
     "'microsoft.graph.complianceManagementPartnerAssignment' at position 25."},
    {V1, "iosEnrollmentAssignments/any", "Syntax error: expected '(' but found end of input"},
    {V1, "iosEnrollmentAssignments/all()",
     "A lambda all() needs a variable and a condition, e.g. iosEnrollmentAssignments/all(a: "
     "a/target/groupId ne null) at position 29."},
    {V1, "iosEnrollmentAssignments/any(a: b/target/groupId eq 'x')",
     "Could not find a property named 'b' on type "
     "'microsoft.graph.complianceManagementPartner' "
     "at position 32."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId eq 'x') and a/target/groupId eq 'y'",
     "Could not find a property named 'a' on type "
     "'microsoft.graph.complianceManagementPartner' "
     "at position 61."},
    {V1, "a/target/groupId eq 'x'", "Could not find a property named 'a'"},
    {V1, "iosEnrollmentAssignments/any(a: a eq null)",
     "The lambda variable 'a' can only be used as a/target/<member> at position 32."},
    {V1, "iosEnrollmentAssignments/any(a: a/target eq null)",
     "'a/target' cannot be used as a value: compare one of its members, e.g. a/target/groupId "
     "at position 41."},
    {V1, "iosEnrollmentAssignments/any(a: a/foo/groupId eq 'x')",
     "Could not find a property named 'foo' on type "
     "'microsoft.graph.complianceManagementPartnerAssignment' at position 34."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/foo eq 'x')",
     "Could not find a property named 'foo' on type "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget' at position 41."},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.configurationManagerCollectionAssignmentTarget/groupId eq 'x')",
     "Could not find a property named 'groupId' on type "
     "'microsoft.graph.configurationManagerCollectionAssignmentTarget' at position 104."},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.deviceAndAppManagementAssignmentTarget/groupId eq 'x')",
     "Could not find a property named 'groupId' on type "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget'"},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.allDevicesAssignmentTarget/collectionId eq 'x')",
     "named 'collectionId' on type 'microsoft.graph.allDevicesAssignmentTarget'"},
    {V1,
     "iosEnrollmentAssignments/any(a: "
     "a/target/microsoft.graph.groupAssignmentTarget/collectionId eq 'x')",
     "named 'collectionId' on type 'microsoft.graph.groupAssignmentTarget'"},
    {V1, "iosEnrollmentAssignments/any(a: a/target/microsoft.graph.fooTarget/groupId eq 'x')",
     "'microsoft.graph.fooTarget' is not a type derived from "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget' at position 41."},
    {V1,
     "iosEnrollmentAssignments/any(a: a/target/microsoft.graph.groupAssignmentTarget eq "
     "null)",
     "Type tests are not supported: compare a member of "
     "'microsoft.graph.groupAssignmentTarget' instead at position 79."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId/x eq 'y')",
     "'groupId' has no members at position 48."},
    {V1,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterId eq "
     "'f')",
     "Could not find a property named 'deviceAndAppManagementAssignmentFilterId' on type "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget'"},
    {BETA,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq "
     "null)",
     "'deviceAndAppManagementAssignmentFilterType' is not nullable"},
    {BETA,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq "
     "'bogus')",
     "'bogus' is not a member of the enum type "
     "'microsoft.graph.deviceAndAppManagementAssignmentFilterType'"},
    {BETA,
     "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq "
     "microsoft.graph.deviceManagementPartnerTenantState'enabled')",
     "the literal is of type 'microsoft.graph.deviceManagementPartnerTenantState'"},
    {V1, "iosEnrollmentAssignments/any(a: macOsEnrollmentAssignments/any())",
     "Nested lambda expressions are not supported at position 32."},
    {V1, "iosEnrollmentAssignments/any(a a/target/groupId eq 'x')",
     "Syntax error: expected ':' but found 'a' at position 31."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId eq 'x'",
     "expected ')' but found end of input at position 55."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId)",
     "'groupId' is of type Edm.String and cannot be used as a condition at position 32."},
    {V1, "iosEnrollmentAssignments/any(microsoft.x: true)",
     "Syntax error: expected a lambda variable name but found 'microsoft.x' at position 29."},
    {V1, "iosEnrollmentAssignments/any(a: a/target/groupId eq 5)",
     "'groupId' is of type "
     "Edm.String but '5'"},
    {V1, "iosEnrollmentAssignments/any(a: a/target/collectionId gt null)",
     "Null can only be compared with eq or ne"},
    {V1, "microsoft.graph.complianceManagementPartner/displayName eq 'x'",
     "The type cast 'microsoft.graph.complianceManagementPartner' is not supported here"},
    {V1, "displayName/length eq 2", "'displayName' has no members at position 11."},
};

static void test_filter_lambdas(void **state)
{
    RUN(run_valid, *state, lambda_ok);
}

static void test_filter_rejects_bad_lambdas(void **state)
{
    RUN(run_invalid, *state, lambda_bad);
}

/* ---- names, syntax, text ---- */

static void test_filter_rejects_unknown_names_and_syntax(void **state)
{
    static const struct invalid_case bad[] = {
        {V1, "", "Expression expected at position 0."},
        {V1, "   ", "Expression expected at position 3."},
        {V1, "displayName eq", "Expression expected at position 14."},
        {V1, "displayName eq 'a' and", "Expression expected at position 22."},
        {V1, "not", "Expression expected at position 3."},
        {V1, "foo eq 'x'",
         "Could not find a property named 'foo' on type "
         "'microsoft.graph.complianceManagementPartner' at position 0."},
        {V1, "DisplayName eq 'x'", "Could not find a property named 'DisplayName'"},
        {V1, "linuxOnboarded", "Could not find a property named 'linuxOnboarded'"},
        {V1, "displayName EQ 'x'", "Syntax error: unexpected 'EQ' at position 12."},
        {V1, "displayName eq 'x", "Unterminated string literal at position 15."},
        {V1, "displayName eq 'a' 'b'",
         "Syntax error: unexpected string literal 'b' at position "
         "19."},
        {V1, "(displayName eq 'a'",
         "Syntax error: expected ')' but found end of input at "
         "position 19."},
        {V1, "displayName eq 'a')", "Syntax error: unexpected ')' at position 18."},
        {V1, "()", "Syntax error: expected an expression but found ')' at position 1."},
        {V1, "eq 'x'", "expected an expression but found 'eq' at position 0."},
        {V1, "displayName eq -", "Syntax error: unexpected character '-' at position 15."},
        {V1, "displayName eq 12ab", "Invalid literal '12ab' at position 15."},
        {V1, "displayName eq $it", "unexpected character '$' at position 15."},
        {V1, "displayName eq \"x\"", "unexpected character '\"' at position 15."},
        {V1, "displayName eq\x01'x'", "unexpected character U+0001 at position 14."},
        {V1, "displayName eq 'é' and foo", "named 'foo'"},
        {V1, "displayName eq 'é' and foo", "at position 23."}, /* characters, not bytes */
        {V1, "displayName eq 'x' and é", "unexpected character 'é' at position 23."},
        {V1, "displayName eq 'x' & true", "unexpected character '&' at position 19."},
    };

    RUN(run_invalid, *state, bad);
}

static void test_filter_rejects_bad_text(void **state)
{
    static const char nul[] = "displayName eq 'a\0b'";
    static const char bad_utf8[] = "displayName eq '\xff'";
    static const char overlong[] = "displayName eq '\xc0\xaf'";

    expect_invalid(*state, V1, nul, sizeof nul - 1, "is not valid UTF-8 text.");
    expect_invalid(*state, V1, bad_utf8, sizeof bad_utf8 - 1, "is not valid UTF-8 text.");
    expect_invalid(*state, V1, overlong, sizeof overlong - 1, "is not valid UTF-8 text.");
}

/* ---- limits ---- */

/* `n` copies of `unit` into buf, then `tail`. */
static const char *repeat(char *buf, size_t size, const char *unit, size_t n, const char *tail)
{
    size_t len = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        assert_true(len + strlen(unit) < size);
        memcpy(buf + len, unit, strlen(unit));
        len += strlen(unit);
    }
    assert_true(len + strlen(tail) < size);
    memcpy(buf + len, tail, strlen(tail) + 1);
    return buf;
}

static void test_filter_enforces_depth_limit(void **state)
{
    static char buf[ODATA_MAX_FILTER_LEN * 4];
    char msg[128];
    struct odata_expr *e;
    struct cmp_error err = {0};
    char *s;

    /* ODATA_MAX_DEPTH - 1 parentheses is the deepest accepted nesting */
    s = buf;
    repeat(s, sizeof buf, "(", ODATA_MAX_DEPTH - 1, "true");
    memset(s + strlen(s), ')', ODATA_MAX_DEPTH - 1);
    s[ODATA_MAX_DEPTH - 1 + 4 + ODATA_MAX_DEPTH - 1] = '\0';
    assert_int_equal(odata_filter_parse(*state, V1, s, strlen(s), &e, &err), 0);
    assert_int_equal(e->kind, ODATA_CONST);

    snprintf(msg, sizeof msg, "nested more than %d levels deep at position %d.", ODATA_MAX_DEPTH,
             ODATA_MAX_DEPTH);
    repeat(buf, sizeof buf, "(", ODATA_MAX_DEPTH, "true");
    expect_invalid(*state, V1, buf, strlen(buf), msg);

    /* far past the limit: refused at the limit, no stack exhaustion */
    repeat(buf, sizeof buf, "(", 10000, "");
    expect_invalid(*state, V1, buf, ODATA_MAX_FILTER_LEN, msg);
    snprintf(msg, sizeof msg, "nested more than %d levels deep at position %d.", ODATA_MAX_DEPTH,
             ODATA_MAX_DEPTH * 4);
    repeat(buf, sizeof buf, "not ", 1000, "true");
    expect_invalid(*state, V1, buf, strlen(buf), msg);
    repeat(buf, sizeof buf, "startswith(", 100, "");
    expect_invalid(*state, V1, buf, strlen(buf), "levels deep");
    repeat(buf, sizeof buf, "iosEnrollmentAssignments/any(a:(", 40, "");
    expect_invalid(*state, V1, buf, strlen(buf), "Nested lambda expressions are not supported");
}

static void test_filter_enforces_size_limits(void **state)
{
    static char buf[ODATA_MAX_FILTER_LEN * 2];
    char msg[128];
    struct odata_expr *e;
    struct cmp_error err = {0};
    size_t n;

    /* length */
    memset(buf, ' ', ODATA_MAX_FILTER_LEN);
    memcpy(buf, "true", 4);
    assert_int_equal(odata_filter_parse(*state, V1, buf, ODATA_MAX_FILTER_LEN, &e, &err), 0);
    snprintf(msg, sizeof msg, "the expression is longer than %d bytes.", ODATA_MAX_FILTER_LEN);
    buf[ODATA_MAX_FILTER_LEN] = ' ';
    expect_invalid(*state, V1, buf, ODATA_MAX_FILTER_LEN + 1, msg);

    /* nodes: each "iosOnboarded or " costs 3 (operand, bool, or) */
    n = (ODATA_MAX_NODES - 2) / 3;
    repeat(buf, sizeof buf, "iosOnboarded or ", n, "true");
    assert_int_equal(odata_filter_parse(*state, V1, buf, strlen(buf), &e, &err), 0);
    assert_null(odata__expr_check(e, V1));
    repeat(buf, sizeof buf, "iosOnboarded or ", n + 1, "iosOnboarded");
    snprintf(msg, sizeof msg, "The expression has more than %d terms at position", ODATA_MAX_NODES);
    expect_invalid(*state, V1, buf, strlen(buf), msg);

    /* in items */
    repeat(buf, sizeof buf, "'x',", ODATA_MAX_IN_ITEMS - 1, "'x')");
    memmove(buf + 7, buf, strlen(buf) + 1);
    memcpy(buf, "id in (", 7);
    assert_int_equal(odata_filter_parse(*state, V1, buf, strlen(buf), &e, &err), 0);
    assert_int_equal(e->item_count, ODATA_MAX_IN_ITEMS);
    repeat(buf, sizeof buf, "'x',", ODATA_MAX_IN_ITEMS, "'x')");
    memmove(buf + 7, buf, strlen(buf) + 1);
    memcpy(buf, "id in (", 7);
    snprintf(msg, sizeof msg, "'in' takes at most %d values at position %d.", ODATA_MAX_IN_ITEMS,
             7 + 4 * ODATA_MAX_IN_ITEMS);
    expect_invalid(*state, V1, buf, strlen(buf), msg);
}

/* Positions on nodes are character offsets of the construct. */
static void test_filter_nodes_carry_positions(void **state)
{
    static const char src[] = "iosOnboarded and 'é' eq displayName";
    struct odata_expr *e;
    struct cmp_error err = {0};

    assert_int_equal(odata_filter_parse(*state, V1, src, strlen(src), &e, &err), 0);
    assert_int_equal(e->kind, ODATA_AND);
    assert_int_equal(e->pos, 13);
    assert_int_equal(e->left->pos, 0);
    assert_int_equal(e->right->kind, ODATA_CMP);
    assert_int_equal(e->right->pos, 21);
    assert_int_equal(e->right->left->pos, 24);
    assert_int_equal(e->right->right->pos, 17);
    assert_int_equal(e->right->right->lit.u.s.n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filter_comparisons_and_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_normalises_literal_on_the_left, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_filter_booleans_and_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_in_and_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_lambdas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_rejects_bad_lambdas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_rejects_unknown_names_and_syntax, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_filter_rejects_bad_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_enforces_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_enforces_size_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_nodes_carry_positions, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
