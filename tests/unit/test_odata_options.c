/*
 * tests/unit/test_odata_options.c - odata/options.c: a whole query string into struct odata_query.
 *
 * Valid query strings are compared as a one-line summary of the parsed query (summary() below
 * prints only what differs from "no options"); invalid ones must fail with CMP_EBADQUERY and a
 * message containing the fragment, leaving *out untouched.
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
#define LIST ODATA_FOR_LIST
#define ITEM ODATA_FOR_ITEM
#define COUNT ODATA_FOR_COUNT

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

struct out {
    char buf[2048];
    size_t len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->len) {
        o->buf[o->len++] = ';';
        o->buf[o->len++] = ' ';
    }
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof o->buf - o->len);
    o->len += (size_t)n;
}

/* "filter=<text>; select=<text>{props}; orderby=p-,q+ [<text>]; top=N; skip=N; count; st=X" */
static const char *summary(const struct odata_query *q, struct out *o)
{
    char names[512] = "";
    size_t n = 0;
    size_t i;

    o->len = 0;
    o->buf[0] = '\0';
    if (q->filter) {
        assert_non_null(q->filter_text);
        put(o, "filter=%s", q->filter_text);
    }
    if (q->select_text) {
        for (i = 0; i < GRAPH_P_COUNT; i++)
            if (q->select & GRAPH_PROP_BIT(i))
                n += snprintf(names + n, sizeof names - n, "%s%s", n ? "," : "",
                              graph_partner_props[i].name);
        put(o, "select=%s{%s}", q->select_text, names);
    } else {
        assert_int_equal(q->select, GRAPH_ALL_PROPS);
    }
    for (i = 0, n = 0; i < q->orderby_count; i++)
        n += snprintf(names + n, sizeof names - n, "%s%s%c", i ? "," : "", q->orderby[i].prop->name,
                      q->orderby[i].desc ? '-' : '+');
    if (q->orderby_count)
        put(o, "orderby=%s [%s]", names, q->orderby_text);
    if (q->top != -1)
        put(o, "top=%lld", (long long)q->top);
    if (q->skip)
        put(o, "skip=%lld", (long long)q->skip);
    if (q->count)
        put(o, "count");
    if (q->skiptoken)
        put(o, "st=%s", q->skiptoken);
    return o->buf;
}

struct valid_case {
    int v;
    enum odata_target target;
    const char *qs;
    const char *summary;
};

struct invalid_case {
    int v;
    enum odata_target target;
    const char *qs;
    const char *fragment;
};

static void run_valid(struct arena *a, const struct valid_case *c, size_t n)
{
    struct out o;
    size_t i;

    for (i = 0; i < n; i++) {
        struct odata_query q;
        struct cmp_error err = {0};
        int rc = odata_query_parse(a, (enum graph_version)c[i].v, c[i].target, c[i].qs,
                                   strlen(c[i].qs), &q, &err);
        if (rc)
            print_message("%s: %s\n", c[i].qs, err.msg);
        assert_int_equal(rc, 0);
        if (q.filter)
            assert_null(odata__expr_check(q.filter, (enum graph_version)c[i].v));
        if (strcmp(summary(&q, &o), c[i].summary) != 0)
            print_message("%s\n", c[i].qs);
        assert_string_equal(o.buf, c[i].summary);
        assert_int_equal(odata_query_fuzz((const unsigned char *)c[i].qs, strlen(c[i].qs)), 0);
    }
}

static void run_invalid(struct arena *a, const struct invalid_case *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct odata_query q;
        struct cmp_error err = {0};
        int rc;
        memset(&q, 0xa5, sizeof q);
        rc = odata_query_parse(a, (enum graph_version)c[i].v, c[i].target, c[i].qs, strlen(c[i].qs),
                               &q, &err);
        if (rc != CMP_EBADQUERY || !strstr(err.msg, c[i].fragment))
            print_message("%s\n  got: %d %s\n  want: %s\n", c[i].qs, rc, err.msg, c[i].fragment);
        assert_int_equal(rc, CMP_EBADQUERY);
        assert_non_null(strstr(err.msg, c[i].fragment));
        assert_int_equal(q.top, (int64_t)0xa5a5a5a5a5a5a5a5); /* *out untouched */
        assert_int_equal(odata_query_fuzz((const unsigned char *)c[i].qs, strlen(c[i].qs)), 0);
    }
}

#define RUN(fn, a, table) fn((a), (table), sizeof(table) / sizeof *(table))

/* ---- splitting, decoding, names ---- */

static void test_options_split_decode_and_names(void **state)
{
    static const struct valid_case ok[] = {
        {V1, LIST, "", ""},
        {V1, LIST, "&&", ""},
        {V1, LIST, "&$top=1&", "top=1"},
        {V1, LIST, "$filter=displayName%20eq%20%27a%2Bb%27", "filter=displayName eq 'a+b'"},
        {V1, LIST, "$filter=displayName+eq+'x'", "filter=displayName eq 'x'"},
        {V1, LIST, "$filter=displayName eq 'a=b'", "filter=displayName eq 'a=b'"},
        {V1, LIST, "$filter=displayName%20eq%20%27%C3%A9%27", "filter=displayName eq 'é'"},
        {V1, LIST, "%24top=3", "top=3"},
        {V1, LIST, "$FILTER=true&$Top=2&$SKIP=1&$CoUnT=true", "filter=true; top=2; skip=1; count"},
        /* beta: '$' optional; v1.0: a name without '$' is a custom parameter */
        {BETA, LIST, "filter=true&top=1&select=id", "filter=true; select=id{id}; top=1"},
        {BETA, LIST, "Filter=true", "filter=true"},
        {V1, LIST, "filter=true&top=-5&select=foo", ""},
        {V1, LIST, "foo=bar&api-version=2&=x&novalue", ""},
        {BETA, LIST, "foo=bar&=x&novalue", ""},
        {V1, LIST, "$top=1&top=2", "top=1"},
        {V1, LIST,
         "$filter=iosEnrollmentAssignments/any(a:a/target/"
         "microsoft.graph.groupAssignmentTarget/groupId%20eq%20'g1')",
         "filter=iosEnrollmentAssignments/any(a:a/target/"
         "microsoft.graph.groupAssignmentTarget/groupId eq 'g1')"},
        {V1, LIST, "$filter=lastHeartbeatDateTime%20gt%202026-11-01T08:15:00%2B01:00",
         "filter=lastHeartbeatDateTime gt 2026-11-01T08:15:00+01:00"},
        {V1, LIST, "$skiptoken=AQAB-_x&$top=1000", "top=1000; st=AQAB-_x"},
        {V1, LIST, "$skiptoken=a%2Db", "st=a-b"},
        {V1, LIST, "$format=json&$count=false", ""},
        {V1, LIST, "$format=JSON", ""},
        {V1, LIST, "$format=application/json", ""},
        {V1, LIST, "$format=application%2Fjson%3Bodata.metadata%3Dminimal", ""},
    };
    static const struct invalid_case bad[] = {
        {V1, LIST, "$filter=%zz",
         "The query string is malformed: '%zz' is not correctly "
         "percent-encoded."},
        {V1, LIST, "$filter=%2", "'%2' is not correctly percent-encoded."},
        {V1, LIST, "$filter=a%00b", "'a%00b' is not correctly percent-encoded."},
        {V1, LIST, "%zz=1", "'%zz' is not correctly percent-encoded."},
        {V1, LIST, "$filter=%FF", "The query string is malformed: a parameter is not UTF-8 text."},
        {V1, LIST, "$foo=1", "The query parameter '$foo' is not supported."},
        {BETA, LIST, "$apply=groupby((id))", "The query parameter '$apply' is not supported."},
        {V1, LIST, "$=1", "The query parameter '$' is not supported."},
        {V1, LIST, "$top =1", "The query parameter '$top ' is not supported."},
        {V1, LIST, "$top=1&$top=2", "The query option '$top' is specified more than once."},
        {V1, LIST, "$TOP=1&$top=1", "The query option '$top' is specified more than once."},
        {BETA, LIST, "$filter=true&filter=true", "'$filter' is specified more than once."},
        {BETA, LIST, "select=id&$Select=id", "'$select' is specified more than once."},
        {V1, LIST, "$top=", "The query option '$top' has no value."},
        {V1, LIST, "$top", "The query option '$top' has no value."},
        {V1, LIST, "$filter=", "The query option '$filter' has no value."},
        {V1, LIST, "$select=&$top=1", "The query option '$select' has no value."},
        {V1, LIST, "$skiptoken=", "The query option '$skiptoken' has no value."},
        {V1, LIST, "$format=xml", "The $format value 'xml' is not supported; only 'json' is."},
        {V1, LIST, "$format=application/jsonx", "The $format value 'application/jsonx'"},
        {V1, LIST, "$format=application/xml", "is not supported; only 'json' is."},
        {V1, LIST, "$filter=displayName eq 5",
         "Invalid filter clause: Incompatible types: 'displayName' is of type Edm.String but '5' "
         "is Edm.Int64 at position 15."},
        {V1, LIST, "$filter=displayName+eq+'a'+and", "Expression expected at position 22."},
        {V1, LIST, "$filter=lastHeartbeatDateTime gt 2026-11-01T08:15:00+01:00",
         "a '+' in a URL must be sent as %2B"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* ---- $top, $skip, $count ---- */

static void test_options_top_skip_count(void **state)
{
    static const struct valid_case ok[] = {
        {V1, LIST, "$top=10&$skip=5", "top=10; skip=5"},
        {V1, LIST, "$top=0&$skip=0", "top=0"},
        {V1, LIST, "$top=9223372036854775807", "top=9223372036854775807"},
        {V1, LIST, "$skip=0007", "skip=7"},
        {V1, LIST, "$count=true", "count"},
        {V1, LIST, "$count=false", ""},
    };
    static const struct invalid_case bad[] = {
        {V1, LIST, "$top=-1",
         "Invalid value '-1' for $top query option found. The $top query option requires a "
         "non-negative integer value."},
        {V1, LIST, "$top=abc", "Invalid value 'abc' for $top query option found."},
        {V1, LIST, "$top=1e3", "Invalid value '1e3' for $top"},
        {V1, LIST, "$top=1.0", "Invalid value '1.0' for $top"},
        {V1, LIST, "$top=+1", "Invalid value ' 1' for $top"},
        {V1, LIST, "$top=%2B1", "Invalid value '+1' for $top"},
        {V1, LIST, "$top=%201", "Invalid value ' 1' for $top"},
        {V1, LIST, "$top=99999999999999999999", "Invalid value '99999999999999999999' for $top"},
        {V1, LIST, "$top=9223372036854775808", "Invalid value '9223372036854775808' for $top"},
        {V1, LIST, "$skip=-0",
         "Invalid value '-0' for $skip query option found. The $skip query option requires a "
         "non-negative integer value."},
        {V1, LIST, "$skip=0x10", "Invalid value '0x10' for $skip"},
        {V1, LIST, "$count=yes",
         "Invalid value 'yes' for $count query option found. Valid values are 'true' and "
         "'false'."},
        {V1, LIST, "$count=True", "Invalid value 'True' for $count"},
        {V1, LIST, "$count=1", "Invalid value '1' for $count"},
        {V1, LIST, "$count=true%20", "Invalid value 'true ' for $count"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* ---- $select, $orderby, $expand, $search ---- */

static void test_options_select(void **state)
{
    static const struct valid_case ok[] = {
        {V1, LIST, "$select=displayName,partnerState",
         "select=displayName,partnerState{id,partnerState,displayName}"},
        {V1, ITEM, "$select=id,displayName", "select=id,displayName{id,displayName}"},
        {V1, LIST, "$select=%20id%20,%20displayName%20", "select=id,displayName{id,displayName}"},
        {V1, LIST, "$select=displayName,displayName",
         "select=displayName,displayName{id,displayName}"},
        {V1, LIST, "$select=macOsEnrollmentAssignments",
         "select=macOsEnrollmentAssignments{id,macOsEnrollmentAssignments}"},
        {BETA, LIST, "$select=linuxOnboarded", "select=linuxOnboarded{id,linuxOnboarded}"},
        {V1, LIST, "$select=*",
         "select=*{id,lastHeartbeatDateTime,partnerState,displayName,macOsOnboarded,"
         "linuxOnboarded,androidOnboarded,iosOnboarded,macOsEnrollmentAssignments,"
         "androidEnrollmentAssignments,iosEnrollmentAssignments,linuxEnrollmentAssignments}"},
    };
    static const struct invalid_case bad[] = {
        {V1, LIST, "$select=foo",
         "Parsing OData Select and Expand failed: Could not find a property named 'foo' on type "
         "'microsoft.graph.complianceManagementPartner'."},
        {V1, ITEM, "$select=DisplayName", "Could not find a property named 'DisplayName'"},
        {V1, LIST, "$select=linuxOnboarded", "Could not find a property named 'linuxOnboarded'"},
        {V1, LIST, "$select=id,,displayName",
         "Parsing OData Select and Expand failed: $select has an empty item."},
        {V1, LIST, "$select=id,", "$select has an empty item."},
        {V1, LIST, "$select=,id", "$select has an empty item."},
        {V1, LIST, "$select=macOsEnrollmentAssignments/target",
         "named "
         "'macOsEnrollmentAssignments/"
         "target'"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

static void test_options_orderby(void **state)
{
    static const struct valid_case ok[] = {
        {V1, LIST, "$orderby=displayName", "orderby=displayName+ [displayName]"},
        {V1, LIST, "$orderby=displayName desc,lastHeartbeatDateTime",
         "orderby=displayName-,lastHeartbeatDateTime+ [displayName desc,lastHeartbeatDateTime]"},
        {V1, LIST, "$orderby=partnerState%20DESC,%20id%20asc",
         "orderby=partnerState-,id+ [partnerState DESC, id asc]"},
        {V1, LIST, "$orderby=displayName+desc", "orderby=displayName- [displayName desc]"},
        {V1, LIST, "$orderby=displayName \t desc ", "orderby=displayName- [displayName \t desc ]"},
        {BETA, LIST,
         "orderby=id,lastHeartbeatDateTime,partnerState,displayName,macOsOnboarded,"
         "linuxOnboarded,androidOnboarded,iosOnboarded desc",
         "orderby=id+,lastHeartbeatDateTime+,partnerState+,displayName+,macOsOnboarded+,"
         "linuxOnboarded+,androidOnboarded+,iosOnboarded- [id,lastHeartbeatDateTime,partnerState,"
         "displayName,macOsOnboarded,linuxOnboarded,androidOnboarded,iosOnboarded desc]"},
    };
    static const struct invalid_case bad[] = {
        {V1, LIST, "$orderby=foo",
         "Could not find a property named 'foo' on type "
         "'microsoft.graph.complianceManagementPartner'."},
        {V1, LIST, "$orderby=linuxOnboarded", "Could not find a property named 'linuxOnboarded'"},
        {V1, LIST, "$orderby=macOsEnrollmentAssignments",
         "The property 'macOsEnrollmentAssignments' cannot be used in $orderby."},
        {V1, LIST, "$orderby=displayName sideways",
         "Invalid $orderby: expected 'asc' or 'desc' after 'displayName' but found 'sideways'."},
        {V1, LIST, "$orderby=displayName asc desc", "but found 'asc desc'."},
        {V1, LIST, "$orderby=displayName,displayName desc",
         "The property 'displayName' appears more than once in $orderby."},
        {V1, LIST, "$orderby=id,", "Invalid $orderby: an empty item."},
        {V1, LIST, "$orderby=%20", "Invalid $orderby: an empty item."},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

static void test_options_refuse_search_and_expand(void **state)
{
    static const struct invalid_case bad[] = {
        {V1, LIST, "$search=contoso",
         "The query option '$search' is not supported on this resource."},
        {V1, COUNT, "$search=%22x%22", "The query option '$search' is not supported"},
        {V1, ITEM, "$search=x", "The query option '$search' is not supported"},
        {BETA, LIST, "search=x", "The query option '$search' is not supported"},
        {V1, LIST, "$expand=macOsEnrollmentAssignments",
         "Parsing OData Select and Expand failed: Property 'macOsEnrollmentAssignments' on type "
         "'microsoft.graph.complianceManagementPartner' is not a navigation property. Only "
         "navigation properties can be expanded."},
        {V1, ITEM, "$expand=displayName($select=id)", "Property 'displayName' on type"},
        {V1, LIST, "$expand=*",
         "Parsing OData Select and Expand failed: The type "
         "'microsoft.graph.complianceManagementPartner' has no navigation properties to expand."},
        {V1, LIST, "$expand=foo,bar",
         "Parsing OData Select and Expand failed: Could not find a property named 'foo' on type "
         "'microsoft.graph.complianceManagementPartner'."},
        {V1, COUNT, "$expand=linuxEnrollmentAssignments", "named 'linuxEnrollmentAssignments'"},
        {BETA, LIST, "expand=linuxEnrollmentAssignments",
         "Property 'linuxEnrollmentAssignments' on type"},
    };

    RUN(run_invalid, *state, bad);
}

/* ---- targets ---- */

static void test_options_depend_on_the_target(void **state)
{
    static const struct valid_case ok[] = {
        {V1, ITEM, "$select=displayName&$format=json", "select=displayName{id,displayName}"},
        {V1, COUNT, "$filter=iosOnboarded&$format=json", "filter=iosOnboarded"},
        {V1, ITEM, "top=1&foo=bar", ""},
    };
    static const struct invalid_case bad[] = {
        {V1, ITEM, "$top=1",
         "The query option '$top' cannot be applied: the requested resource is not a collection. "
         "Query options $filter, $orderby, $count, $skip, and $top can be applied only on "
         "collections."},
        {V1, ITEM, "$filter=true", "The query option '$filter' cannot be applied"},
        {V1, ITEM, "$orderby=id", "The query option '$orderby' cannot be applied"},
        {V1, ITEM, "$count=true", "The query option '$count' cannot be applied"},
        {V1, ITEM, "$skip=1", "The query option '$skip' cannot be applied"},
        {BETA, ITEM, "top=1", "The query option '$top' cannot be applied"},
        {V1, ITEM, "$top=-1", "The query option '$top' cannot be applied"},
        {V1, ITEM, "$skiptoken=x",
         "The query option '$skiptoken' is not supported on this resource."},
        {V1, COUNT, "$select=id", "The query option '$select' cannot be used with /$count."},
        {V1, COUNT, "$top=1", "The query option '$top' cannot be used with /$count."},
        {V1, COUNT, "$skip=1", "The query option '$skip' cannot be used with /$count."},
        {V1, COUNT, "$orderby=id", "The query option '$orderby' cannot be used with /$count."},
        {V1, COUNT, "$count=true", "The query option '$count' cannot be used with /$count."},
        {V1, COUNT, "$skiptoken=x", "The query option '$skiptoken' cannot be used with /$count."},
        {V1, COUNT, "$filter=foo", "Could not find a property named 'foo'"},
    };

    RUN(run_valid, *state, ok);
    RUN(run_invalid, *state, bad);
}

/* The query string need not be NUL-terminated, and parts of it are copied, not borrowed. */
static void test_options_respect_len(void **state)
{
    char qs[32] = "$top=12&$skip=3";
    struct odata_query q;
    struct cmp_error err = {0};
    struct out o;

    assert_int_equal(odata_query_parse(*state, V1, LIST, qs, 6, &q, &err), 0);
    assert_string_equal(summary(&q, &o), "top=1");
    memcpy(qs, "$select=id,displayName", 23);
    assert_int_equal(odata_query_parse(*state, V1, LIST, qs, 10, &q, &err), 0);
    memset(qs, 'x', 10);
    assert_string_equal(summary(&q, &o), "select=id{id}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options_split_decode_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_top_skip_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_orderby, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_refuse_search_and_expand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_depend_on_the_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_respect_len, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
