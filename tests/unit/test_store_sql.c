/*
 * tests/unit/test_store_sql.c - store/sql.c: $filter ASTs, $orderby and keyset positions as SQL
 * text and parameters, in the SQLite and the PostgreSQL dialect.
 *
 * ASTs are built by hand (not by odata/filter.c) in the s-expression notation of
 * test_store_ast.h, so each case is one table row.  Parameters print as 'text' (bytes outside
 * printable ASCII as \xNN), integers, NULL. Every SQLite statement is also prepared against the
 * real schema (store/sqlite migrations).
 */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "graph/model.h"
#include "odata/odata.h"
#include "store/sql.h"
#include "store/store.h"
#include "test_store_ast.h" /* which includes cmocka.h */

#define TENANT "T"

struct fixture {
    struct arena *a;
    sqlite3 *db; /* the real schema, for preparing every SQLite statement */
    char dir[64];
};

/* ---- printing and checking ---- */

static void print_params(const struct sql_query *q, char *out, size_t cap)
{
    size_t used = 0;
    size_t k;
    size_t i;

    out[0] = '\0';
    for (k = 0; k < q->n_params && used < cap; k++) {
        const struct sql_param *p = &q->params[k];
        used += (size_t)snprintf(out + used, cap - used, "%s", k ? ", " : "");
        if (p->type == SQL_PARAM_INT) {
            used += (size_t)snprintf(out + used, cap - used, "%lld", (long long)p->i);
            continue;
        }
        if (p->type == SQL_PARAM_NULL) {
            used += (size_t)snprintf(out + used, cap - used, "NULL");
            continue;
        }
        used += (size_t)snprintf(out + used, cap - used, "'");
        for (i = 0; i < p->n && used < cap; i++) {
            unsigned char c = (unsigned char)p->s[i];
            if (c == '\'')
                used += (size_t)snprintf(out + used, cap - used, "''");
            else if (c < 0x20 || c > 0x7e)
                used += (size_t)snprintf(out + used, cap - used, "\\x%02x", c);
            else
                used += (size_t)snprintf(out + used, cap - used, "%c", c);
        }
        used += (size_t)snprintf(out + used, cap - used, "'");
    }
    assert_true(used < cap);
}

/* Prepare a SQLite statement against the real schema: it parses and has every parameter. */
static void assert_prepares(struct fixture *f, const struct sql_query *q)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(f->db, q->text, (int)q->len, &st, NULL);

    if (rc != SQLITE_OK)
        fail_msg("%s\n%s", sqlite3_errmsg(f->db), q->text);
    assert_int_equal(sqlite3_bind_parameter_count(st), (int)q->n_params);
    sqlite3_finalize(st);
}

static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", "-tenants"};
    char p[512];
    size_t i;

    for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct cmp_error err = {0};
    struct store *s = NULL;
    char loc[128];

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-test-sql-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(loc, sizeof loc, "sqlite:%s/schema.db", f->dir);
    if (store_open(loc, &s, &err))
        return -1;
    store_close(s);
    if (sqlite3_open_v2(loc + strlen("sqlite:"), &f->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return -1;
    f->a = arena_new(0);
    *state = f;
    return f->a ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[128];

    sqlite3_close(f->db);
    snprintf(path, sizeof path, "%s/schema.db", f->dir);
    remove_db_files(path);
    rmdir(f->dir);
    arena_free(f->a);
    free(f);
    return 0;
}

/* ---- $filter ---- */

#define SQ_TYPE "json_extract(j.value, '$.target.\"@odata.type\"')"
#define SQ_M(k) "json_extract(j.value, '$.target." k "')"
#define PG_TYPE "((j.value->'target'->>'@odata.type') COLLATE \"C\")"
#define PG_M(k) "((j.value->'target'->>'" k "') COLLATE \"C\")"
#define T_GROUP "'#microsoft.graph.groupAssignmentTarget'"
#define T_EXCL "'#microsoft.graph.exclusionGroupAssignmentTarget'"
#define T_CM "'#microsoft.graph.configurationManagerCollectionAssignmentTarget'"
#define T_ALL "'#microsoft.graph.allDevicesAssignmentTarget'"
#define FT "deviceAndAppManagementAssignmentFilterType"
#define FID "deviceAndAppManagementAssignmentFilterId"
#define SQ_EACH(c) "EXISTS (SELECT 1 FROM json_each(p." c "_assignments) AS j WHERE "
#define PG_EACH(c)                                                                                 \
    "EXISTS (SELECT 1 FROM jsonb_array_elements(p." c "_assignments::jsonb) AS j WHERE "
#define SQ_CASE(types, k) "CASE WHEN " SQ_TYPE " IN (" types ") THEN " SQ_M(k) " END"
#define PG_CASE(types, k) "CASE WHEN " PG_TYPE " IN (" types ") THEN " PG_M(k) " END"
#define SQ_GID SQ_CASE(T_GROUP ", " T_EXCL, "groupId")
#define PG_GID PG_CASE(T_GROUP ", " T_EXCL, "groupId")
#define SQ_FT_CASE                                                                                 \
    "CASE " SQ_M(FT) " WHEN 'none' THEN 0 WHEN 'include' THEN 1 WHEN 'exclude' THEN 2 END"
#define PG_FT_CASE                                                                                 \
    "CASE " PG_M(FT) " WHEN 'none' THEN 0 WHEN 'include' THEN 1 WHEN 'exclude' THEN 2 END"

static const struct filter_case {
    const char *ast;
    const char *sqlite; /* the condition after "p.tenant = ?1 AND " */
    const char *postgres;
    const char *params; /* after the tenant's; "sqlite | postgres" when they differ */
} filter_cases[] = {
    /* comparisons: ordinal strings, nulls */
    {"(eq displayName 'Contoso')", "p.display_name = ?2", "p.display_name = $2::text", "'Contoso'"},
    {"(ne displayName 'Contoso')", "(p.display_name IS NULL OR p.display_name <> ?2)",
     "(p.display_name IS NULL OR p.display_name <> $2::text)", "'Contoso'"},
    {"(eq displayName null)", "p.display_name IS NULL", "p.display_name IS NULL", ""},
    {"(ne displayName null)", "p.display_name IS NOT NULL", "p.display_name IS NOT NULL", ""},
    {"(gt displayName 'm')", "p.display_name > ?2", "p.display_name > $2::text", "'m'"},
    {"(ge displayName 'm')", "p.display_name >= ?2", "p.display_name >= $2::text", "'m'"},
    {"(lt displayName 'm')", "p.display_name < ?2", "p.display_name < $2::text", "'m'"},
    {"(le displayName 'it''s')", "p.display_name <= ?2", "p.display_name <= $2::text", "'it''s'"},
    /* a non-nullable column: ne needs no null test */
    {"(ne id 'x')", "p.id <> ?2", "p.id <> $2::text", "'x'"},
    {"(eq id 'x')", "p.id = ?2", "p.id = $2::text", "'x'"},
    /* enums by member value, DateTimeOffset by instant, Booleans as literals */
    {"(eq partnerState #2)", "p.partner_state = ?2", "p.partner_state = $2::bigint", "2"},
    {"(ge partnerState #3)", "p.partner_state >= ?2", "p.partner_state >= $2::bigint", "3"},
    {"(gt lastHeartbeatDateTime @636188000000000000)", "p.last_heartbeat_ticks > ?2",
     "p.last_heartbeat_ticks > $2::bigint", "636188000000000000"},
    {"(eq iosOnboarded true)", "p.ios_onboarded = 1", "p.ios_onboarded = TRUE", ""},
    {"(ne linuxOnboarded false)", "p.linux_onboarded <> 0", "p.linux_onboarded <> FALSE", ""},
    {"(bool macOsOnboarded)", "p.mac_os_onboarded = 1", "p.mac_os_onboarded = TRUE", ""},
    {"true", "1", "TRUE", ""},
    {"false", "0", "FALSE", ""},
    /* logic: not is "is not true", so a null comparison under not is true */
    {"(not (eq displayName 'x'))", "(p.display_name = ?2) IS NOT TRUE",
     "(p.display_name = $2::text) IS NOT TRUE", "'x'"},
    {"(not (not (bool iosOnboarded)))", "((p.ios_onboarded = 1) IS NOT TRUE) IS NOT TRUE",
     "((p.ios_onboarded = TRUE) IS NOT TRUE) IS NOT TRUE", ""},
    {"(and (eq partnerState #2) (or (lt displayName 'b') (gt displayName 'y')))",
     "(p.partner_state = ?2 AND (p.display_name < ?3 OR p.display_name > ?4))",
     "(p.partner_state = $2::bigint AND (p.display_name < $3::text OR p.display_name > $4::text))",
     "2, 'b', 'y'"},
    /* in */
    {"(in displayName 'a' 'b')", "p.display_name IN (?2, ?3)",
     "p.display_name IN ($2::text, $3::text)", "'a', 'b'"},
    {"(in displayName 'a' null)", "(p.display_name IS NULL OR p.display_name IN (?2))",
     "(p.display_name IS NULL OR p.display_name IN ($2::text))", "'a'"},
    {"(in displayName null)", "p.display_name IS NULL", "p.display_name IS NULL", ""},
    {"(in partnerState #1 #2 #5)", "p.partner_state IN (?2, ?3, ?4)",
     "p.partner_state IN ($2::bigint, $3::bigint, $4::bigint)", "1, 2, 5"},
    {"(in iosOnboarded true)", "p.ios_onboarded IN (1)", "p.ios_onboarded IN (TRUE)", ""},
    /* functions: case-sensitive, never LIKE */
    {"(startswith displayName 'Con')", "(p.display_name >= ?2 AND p.display_name < ?3)",
     "starts_with(p.display_name, $2::text)", "'Con', 'Coo' | 'Con'"},
    {"(startswith displayName '\xc3\xbc')", "(p.display_name >= ?2 AND p.display_name < ?3)",
     "starts_with(p.display_name, $2::text)", "'\\xc3\\xbc', '\\xc3\\xbd' | '\\xc3\\xbc'"},
    {"(startswith displayName '')", "p.display_name IS NOT NULL", "p.display_name IS NOT NULL", ""},
    /* not UTF-8 (the parser refuses it; the store compares bytes): hex bytes on PostgreSQL */
    {"(startswith displayName '\xc3')", "(p.display_name >= ?2 AND p.display_name < ?3)",
     "position(decode($2::text, 'hex') IN convert_to(p.display_name, 'UTF8')) = 1",
     "'\\xc3', '\\xc4' | 'c3'"},
    {"(endswith displayName '\xbc')", "substr(p.display_name, -length(?2)) = ?2",
     "substring(convert_to(p.display_name, 'UTF8') FROM octet_length(convert_to(p.display_name, "
     "'UTF8')) - octet_length(decode($2::text, 'hex')) + 1) = decode($2::text, 'hex')",
     "'\\xbc' | 'bc'"},
    {"(contains displayName 'a\xff')", "instr(p.display_name, ?2) > 0",
     "position(decode($2::text, 'hex') IN convert_to(p.display_name, 'UTF8')) > 0",
     "'a\\xff' | '61ff'"},

    {"(endswith displayName 'so')", "substr(p.display_name, -length(?2)) = ?2",
     "right(p.display_name, char_length($2::text)) = $2::text", "'so'"},
    {"(endswith id '')", "p.id IS NOT NULL", "p.id IS NOT NULL", ""},
    {"(contains displayName 'ont')", "instr(p.display_name, ?2) > 0",
     "strpos(p.display_name, $2::text) > 0", "'ont'"},
    {"(not (contains displayName 'x'))", "(instr(p.display_name, ?2) > 0) IS NOT TRUE",
     "(strpos(p.display_name, $2::text) > 0) IS NOT TRUE", "'x'"},
    /* lambdas; a member reads as null where its target type lacks it or the cast fails */
    {"(any iosEnrollmentAssignments)", "json_array_length(p.ios_assignments) > 0",
     "jsonb_array_length(p.ios_assignments::jsonb) > 0", ""},
    {"(any iosEnrollmentAssignments (eq a/groupAssignmentTarget/groupId 'g1'))",
     SQ_EACH("ios") SQ_GID " = ?2)", PG_EACH("ios") PG_GID " = $2::text)", "'g1'"},
    {"(any iosEnrollmentAssignments (eq a/groupId 'g1'))", SQ_EACH("ios") SQ_GID " = ?2)",
     PG_EACH("ios") PG_GID " = $2::text)", "'g1'"},
    {"(any androidEnrollmentAssignments (eq a/exclusionGroupAssignmentTarget/groupId 'g'))",
     SQ_EACH("android") SQ_CASE(T_EXCL, "groupId") " = ?2)",
     PG_EACH("android") PG_CASE(T_EXCL, "groupId") " = $2::text)", "'g'"},
    {"(all macOsEnrollmentAssignments (ne a/groupId null))",
     "NOT " SQ_EACH("mac_os") "(" SQ_GID " IS NOT NULL) IS NOT TRUE)",
     "NOT " PG_EACH("mac_os") "(" PG_GID " IS NOT NULL) IS NOT TRUE)", ""},
    {"(any linuxEnrollmentAssignments (ne a/collectionId 'c'))",
     SQ_EACH("linux") "(" SQ_CASE(T_CM, "collectionId") " IS NULL OR " SQ_CASE(
         T_CM, "collectionId") " <> ?2))",
     PG_EACH("linux") "(" PG_CASE(T_CM, "collectionId") " IS NULL OR " PG_CASE(
         T_CM, "collectionId") " <> $2::text))",
     "'c'"},
    /* the filter type: by name for eq/in, by member value for ordering */
    {"(any iosEnrollmentAssignments (eq a/filterType #1))", SQ_EACH("ios") SQ_M(FT) " = ?2)",
     PG_EACH("ios") PG_M(FT) " = $2::text)", "'include'"},
    {"(any iosEnrollmentAssignments (gt a/filterType #0))", SQ_EACH("ios") SQ_FT_CASE " > ?2)",
     PG_EACH("ios") PG_FT_CASE " > $2::bigint)", "0"},
    {"(any iosEnrollmentAssignments (in a/filterType #1 #2))",
     SQ_EACH("ios") SQ_M(FT) " IN (?2, ?3))", PG_EACH("ios") PG_M(FT) " IN ($2::text, $3::text))",
     "'include', 'exclude'"},
    {"(any iosEnrollmentAssignments (eq a/allDevicesAssignmentTarget/filterId 'f'))",
     SQ_EACH("ios") SQ_CASE(T_ALL, FID) " = ?2)", PG_EACH("ios") PG_CASE(T_ALL, FID) " = $2::text)",
     "'f'"},
    {"(any iosEnrollmentAssignments (startswith a/groupId 'ab'))",
     SQ_EACH("ios") "(" SQ_GID " >= ?2 AND " SQ_GID " < ?3))",
     PG_EACH("ios") "starts_with(" PG_GID ", $2::text))", "'ab', 'ac' | 'ab'"},
    /* entity properties inside a lambda body refer to the partner */
    {"(any iosEnrollmentAssignments (and (in a/groupId 'g' null) (eq partnerState #2)))",
     SQ_EACH("ios") "((" SQ_GID " IS NULL OR " SQ_GID " IN (?2)) AND p.partner_state = ?3))",
     PG_EACH("ios") "((" PG_GID " IS NULL OR " PG_GID
                    " IN ($2::text)) AND p.partner_state = $3::bigint))",
     "'g', 2"},
    {"(not (any iosEnrollmentAssignments))",
     "(json_array_length(p.ios_assignments) > 0) IS NOT TRUE",
     "(jsonb_array_length(p.ios_assignments::jsonb) > 0) IS NOT TRUE", ""},
};

static void check_filter(struct fixture *f, const struct filter_case *c, bool postgres)
{
    static const char head_sqlite[] = "SELECT count(*) FROM partners AS p WHERE p.tenant = ?1";
    static const char head_pg[] = "SELECT count(*) FROM partners AS p WHERE p.tenant = $1::text";
    const char *head = postgres ? head_pg : head_sqlite;
    struct odata_expr *e = ast_parse(f->a, c->ast);
    struct cmp_error err = {0};
    const char *bar;
    struct sql_query q;
    char want[4096];
    char params[1024];

    assert_int_equal(sql_partner_count(f->a, postgres ? &sql_dialect_postgres : &sql_dialect_sqlite,
                                       TENANT, e, &q, &err),
                     0);
    snprintf(want, sizeof want, "%s AND %s", head, postgres ? c->postgres : c->sqlite);
    if (strcmp(q.text, want) != 0)
        fail_msg("%s (%s)\n got: %s\nwant: %s", c->ast, postgres ? "postgres" : "sqlite", q.text,
                 want);
    assert_int_equal(strlen(q.text), q.len);
    print_params(&q, params, sizeof params);
    bar = strstr(c->params, " | ");
    if (!bar)
        snprintf(want, sizeof want, "'" TENANT "'%s%s", c->params[0] ? ", " : "", c->params);
    else if (postgres)
        snprintf(want, sizeof want, "'" TENANT "', %s", bar + 3);
    else
        snprintf(want, sizeof want, "'" TENANT "', %.*s", (int)(bar - c->params), c->params);
    if (strcmp(params, want) != 0)
        fail_msg("%s: params\n got: %s\nwant: %s", c->ast, params, want);
    if (!postgres)
        assert_prepares(f, &q);
}

static void test_sql_filter_translates_every_operator(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof filter_cases / sizeof *filter_cases; i++) {
        check_filter(f, &filter_cases[i], false);
        check_filter(f, &filter_cases[i], true);
    }
}

static void test_sql_count_without_filter_is_the_tenant(void **state)
{
    struct fixture *f = *state;
    struct cmp_error err = {0};
    struct sql_query q;

    assert_int_equal(sql_partner_count(f->a, &sql_dialect_sqlite, TENANT, NULL, &q, &err), 0);
    assert_string_equal(q.text, "SELECT count(*) FROM partners AS p WHERE p.tenant = ?1");
    assert_int_equal(q.n_params, 1);
    assert_int_equal(q.params[0].type, SQL_PARAM_TEXT);
    assert_int_equal(q.params[0].n, 1);
    assert_memory_equal(q.params[0].s, TENANT, 1);
    assert_prepares(f, &q);
}

/* ---- $orderby, keyset, $skip ---- */

static const struct order_case {
    const char *orderby;
    const char *cursor; /* NULL: the first page */
    int64_t seq;
    int64_t skip;
    const char *filter;
    const char *sqlite; /* after "SELECT * FROM partners AS p WHERE p.tenant = ?1" */
    const char *postgres;
    const char *params; /* after the tenant's */
} order_cases[] = {
    {"", NULL, 0, 0, NULL, " ORDER BY p.seq ASC LIMIT ?2", " ORDER BY p.seq ASC LIMIT $2::bigint",
     "11"},
    {"", "", 42, 0, NULL, " AND p.seq > ?2 ORDER BY p.seq ASC LIMIT ?3",
     " AND p.seq > $2::bigint ORDER BY p.seq ASC LIMIT $3::bigint", "42, 11"},
    /* $skip only on a first page; a cursor already encodes it */
    {"", NULL, 0, 5, NULL, " ORDER BY p.seq ASC LIMIT ?2 OFFSET ?3",
     " ORDER BY p.seq ASC LIMIT $2::bigint OFFSET $3::bigint", "11, 5"},
    {"", "", 42, 5, NULL, " AND p.seq > ?2 ORDER BY p.seq ASC LIMIT ?3",
     " AND p.seq > $2::bigint ORDER BY p.seq ASC LIMIT $3::bigint", "42, 11"},
    /* a nullable key: nulls first ascending, last descending */
    {"displayName", NULL, 0, 0, NULL, " ORDER BY p.display_name ASC, p.seq ASC LIMIT ?2",
     " ORDER BY p.display_name ASC NULLS FIRST, p.seq ASC LIMIT $2::bigint", "11"},
    {"displayName", "'m'", 7, 0, NULL,
     " AND p.display_name >= ?2 AND (p.display_name > ?2 OR (p.display_name = ?2 AND p.seq > "
     "?3)) ORDER BY p.display_name ASC, p.seq ASC LIMIT ?4",
     " AND p.display_name >= $2::text AND (p.display_name > $2::text OR (p.display_name = "
     "$2::text AND p.seq > $3::bigint)) ORDER BY p.display_name ASC NULLS FIRST, p.seq ASC LIMIT "
     "$4::bigint",
     "'m', 7, 11"},
    {"displayName", "null", 7, 0, NULL,
     " AND (p.display_name IS NOT NULL OR (p.display_name IS NULL AND p.seq > ?2)) ORDER BY "
     "p.display_name ASC, p.seq ASC LIMIT ?3",
     " AND (p.display_name IS NOT NULL OR (p.display_name IS NULL AND p.seq > $2::bigint)) "
     "ORDER BY p.display_name ASC NULLS FIRST, p.seq ASC LIMIT $3::bigint",
     "7, 11"},
    {"-displayName", "'m'", 7, 0, NULL,
     " AND ((p.display_name < ?2 OR p.display_name IS NULL) OR (p.display_name = ?2 AND p.seq > "
     "?3)) ORDER BY p.display_name DESC, p.seq ASC LIMIT ?4",
     " AND ((p.display_name < $2::text OR p.display_name IS NULL) OR (p.display_name = $2::text "
     "AND p.seq > $3::bigint)) ORDER BY p.display_name DESC NULLS LAST, p.seq ASC LIMIT "
     "$4::bigint",
     "'m', 7, 11"},
    {"-displayName", "null", 7, 0, NULL,
     " AND p.display_name IS NULL AND ((p.display_name IS NULL AND p.seq > ?2)) ORDER BY "
     "p.display_name DESC, p.seq ASC LIMIT ?3",
     " AND p.display_name IS NULL AND ((p.display_name IS NULL AND p.seq > $2::bigint)) ORDER BY "
     "p.display_name DESC NULLS LAST, p.seq ASC LIMIT $3::bigint",
     "7, 11"},
    /* non-nullable keys, both directions */
    {"-lastHeartbeatDateTime", "@5", 1, 0, NULL,
     " AND p.last_heartbeat_ticks <= ?2 AND (p.last_heartbeat_ticks < ?2 OR "
     "(p.last_heartbeat_ticks = ?2 AND p.seq > ?3)) ORDER BY p.last_heartbeat_ticks DESC, p.seq "
     "ASC LIMIT ?4",
     " AND p.last_heartbeat_ticks <= $2::bigint AND (p.last_heartbeat_ticks < $2::bigint OR "
     "(p.last_heartbeat_ticks = $2::bigint AND p.seq > $3::bigint)) ORDER BY "
     "p.last_heartbeat_ticks DESC, p.seq ASC LIMIT $4::bigint",
     "5, 1, 11"},
    {"id", "'abc'", 1, 0, NULL,
     " AND p.id >= ?2 AND (p.id > ?2 OR (p.id = ?2 AND p.seq > ?3)) ORDER BY p.id ASC, p.seq "
     "ASC LIMIT ?4",
     " AND p.id >= $2::text AND (p.id > $2::text OR (p.id = $2::text AND p.seq > $3::bigint)) "
     "ORDER BY p.id ASC, p.seq ASC LIMIT $4::bigint",
     "'abc', 1, 11"},
    /* two keys, mixed */
    {"-partnerState,displayName", "#2 'm'", 9, 0, NULL,
     " AND p.partner_state <= ?2 AND (p.partner_state < ?2 OR (p.partner_state = ?2 AND "
     "p.display_name > ?3) OR (p.partner_state = ?2 AND p.display_name = ?3 AND p.seq > ?4)) "
     "ORDER BY p.partner_state DESC, p.display_name ASC, p.seq ASC LIMIT ?5",
     " AND p.partner_state <= $2::bigint AND (p.partner_state < $2::bigint OR (p.partner_state "
     "= $2::bigint AND p.display_name > $3::text) OR (p.partner_state = $2::bigint AND "
     "p.display_name = $3::text AND p.seq > $4::bigint)) ORDER BY p.partner_state DESC, "
     "p.display_name ASC NULLS FIRST, p.seq ASC LIMIT $5::bigint",
     "2, 'm', 9, 11"},
    /* three keys, mixed, a null and a Boolean in the cursor: nothing follows a null descending */
    {"lastHeartbeatDateTime,-displayName,-iosOnboarded", "@100 null true", 3, 0, NULL,
     " AND p.last_heartbeat_ticks >= ?2 AND (p.last_heartbeat_ticks > ?2 OR "
     "(p.last_heartbeat_ticks = ?2 AND p.display_name IS NULL AND p.ios_onboarded < 1) OR "
     "(p.last_heartbeat_ticks = ?2 AND p.display_name IS NULL AND p.ios_onboarded = 1 AND p.seq > "
     "?3)) ORDER BY p.last_heartbeat_ticks ASC, p.display_name DESC, p.ios_onboarded DESC, p.seq "
     "ASC LIMIT ?4",
     " AND p.last_heartbeat_ticks >= $2::bigint AND (p.last_heartbeat_ticks > $2::bigint OR "
     "(p.last_heartbeat_ticks = $2::bigint AND p.display_name IS NULL AND p.ios_onboarded < TRUE) "
     "OR (p.last_heartbeat_ticks = $2::bigint AND p.display_name IS NULL AND p.ios_onboarded = "
     "TRUE AND p.seq > $3::bigint)) ORDER BY p.last_heartbeat_ticks ASC, p.display_name DESC "
     "NULLS LAST, p.ios_onboarded DESC, p.seq ASC LIMIT $4::bigint",
     "100, 3, 11"},
    {"displayName,-macOsOnboarded,partnerState", "'x' false #0", 4, 0, NULL,
     " AND p.display_name >= ?2 AND (p.display_name > ?2 OR (p.display_name = ?2 AND "
     "p.mac_os_onboarded < 0) OR (p.display_name = ?2 AND p.mac_os_onboarded = 0 AND "
     "p.partner_state > ?3) OR (p.display_name = ?2 AND p.mac_os_onboarded = 0 AND "
     "p.partner_state = ?3 AND p.seq > ?4)) ORDER BY p.display_name ASC, p.mac_os_onboarded DESC, "
     "p.partner_state ASC, p.seq ASC LIMIT ?5",
     " AND p.display_name >= $2::text AND (p.display_name > $2::text OR (p.display_name = "
     "$2::text AND p.mac_os_onboarded < FALSE) OR (p.display_name = $2::text AND "
     "p.mac_os_onboarded = FALSE AND p.partner_state > $3::bigint) OR (p.display_name = $2::text "
     "AND p.mac_os_onboarded = FALSE AND p.partner_state = $3::bigint AND p.seq > $4::bigint)) "
     "ORDER BY p.display_name ASC NULLS FIRST, p.mac_os_onboarded DESC, p.partner_state ASC, "
     "p.seq ASC LIMIT $5::bigint",
     "'x', 0, 4, 11"},
    /* the filter comes first, then the range the index seeks to */
    {"displayName", "'m'", 7, 0, "(eq partnerState #2)",
     " AND p.partner_state = ?2 AND p.display_name >= ?3 AND (p.display_name > ?3 OR "
     "(p.display_name = ?3 AND p.seq > ?4)) ORDER BY p.display_name ASC, p.seq ASC LIMIT ?5",
     " AND p.partner_state = $2::bigint AND p.display_name >= $3::text AND (p.display_name > "
     "$3::text OR (p.display_name = $3::text AND p.seq > $4::bigint)) ORDER BY p.display_name "
     "ASC NULLS FIRST, p.seq ASC LIMIT $5::bigint",
     "2, 'm', 7, 11"},
};

static int list(struct fixture *f, const struct sql_dialect *d, const struct order_case *c,
                size_t limit, struct sql_query *q, struct cmp_error *err)
{
    struct odata_orderby orderby[ODATA_MAX_ORDERBY];
    struct store_cursor cursor;
    struct store_list_req req;

    memset(&req, 0, sizeof req);
    req.orderby = orderby;
    req.orderby_count = ast_orderby(c->orderby, orderby);
    req.limit = limit;
    req.skip = c->skip;
    req.filter = c->filter ? ast_parse(f->a, c->filter) : NULL;
    if (c->cursor) {
        ast_cursor(f->a, c->cursor, c->seq, &cursor);
        req.after = &cursor;
    }
    return sql_partner_list(f->a, d, "*", TENANT, &req, q, err);
}

static void check_order(struct fixture *f, const struct order_case *c, bool postgres)
{
    struct cmp_error err = {0};
    struct sql_query q;
    char want[4096];
    char params[1024];

    assert_int_equal(
        list(f, postgres ? &sql_dialect_postgres : &sql_dialect_sqlite, c, 10, &q, &err), 0);
    snprintf(want, sizeof want, "SELECT * FROM partners AS p WHERE p.tenant = %s%s",
             postgres ? "$1::text" : "?1", postgres ? c->postgres : c->sqlite);
    if (strcmp(q.text, want) != 0)
        fail_msg("%s after %s (%s)\n got: %s\nwant: %s", c->orderby, c->cursor ? c->cursor : "-",
                 postgres ? "postgres" : "sqlite", q.text, want);
    print_params(&q, params, sizeof params);
    snprintf(want, sizeof want, "'" TENANT "', %s", c->params);
    if (strcmp(params, want) != 0)
        fail_msg("%s: params\n got: %s\nwant: %s", c->orderby, params, want);
    if (!postgres)
        assert_prepares(f, &q);
}

static void test_sql_orderby_and_keyset(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof order_cases / sizeof *order_cases; i++) {
        check_order(f, &order_cases[i], false);
        check_order(f, &order_cases[i], true);
    }
}

static void test_sql_cursor_must_fit_the_orderby(void **state)
{
    static const struct order_case bad[] = {
        {"displayName", "'a' 'b'", 1, 0, NULL, NULL, NULL, NULL}, /* too many keys */
        {"displayName,id", "'a'", 1, 0, NULL, NULL, NULL, NULL},  /* too few */
        {"partnerState", "'a'", 1, 0, NULL, NULL, NULL, NULL},    /* a string for an enum */
        {"id", "null", 1, 0, NULL, NULL, NULL, NULL},             /* null for a non-null key */
        {"lastHeartbeatDateTime", "#1", 1, 0, NULL, NULL, NULL, NULL},
        {"iosOnboarded", "'true'", 1, 0, NULL, NULL, NULL, NULL},
        {"", "'a'", 1, 0, NULL, NULL, NULL, NULL},
    };
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cmp_error err = {0};
        struct sql_query q;
        assert_int_equal(list(f, &sql_dialect_sqlite, &bad[i], 10, &q, &err), CMP_EBADQUERY);
        assert_int_equal(err.code, CMP_EBADQUERY);
    }
}

static void test_sql_limit_asks_for_one_more_row(void **state)
{
    static const struct order_case c = {"", NULL, 0, 0, NULL, NULL, NULL, NULL};
    struct fixture *f = *state;
    struct cmp_error err = {0};
    struct sql_query q;

    assert_int_equal(list(f, &sql_dialect_sqlite, &c, 0, &q, &err), 0);
    assert_true(q.params[1].type == SQL_PARAM_INT && q.params[1].i == 1);
    assert_int_equal(list(f, &sql_dialect_sqlite, &c, SIZE_MAX, &q, &err), 0);
    assert_true(q.params[1].i == INT64_MAX);
}

/* ---- no client text in SQL ---- */

static const char *const evil[] = {
    "'); DROP TABLE partners;--",
    "' OR '1'='1",
    "\" OR 1=1 --",
    "?1 $1 :a @a",
    "*/ SELECT * FROM tenants /*",
    "\\'; DELETE FROM partners WHERE ''='",
};

/* The s-expression text of `s` (quotes doubled) in `out`. */
static void quote(const char *s, char *out, size_t cap)
{
    size_t n = 0;

    out[n++] = '\'';
    for (; *s && n + 3 < cap; s++) {
        out[n++] = *s;
        if (*s == '\'')
            out[n++] = '\'';
    }
    out[n++] = '\'';
    out[n] = '\0';
}

static bool has_param(const struct sql_query *q, const char *s)
{
    size_t k;

    for (k = 0; k < q->n_params; k++)
        if (q->params[k].type == SQL_PARAM_TEXT && q->params[k].n == strlen(s) &&
            memcmp(q->params[k].s, s, q->params[k].n) == 0)
            return true;
    return false;
}

static void check_clean(const struct sql_query *q, const char *s)
{
    if (strstr(q->text, s) || strstr(q->text, "DROP") || strstr(q->text, "DELETE") ||
        strstr(q->text, "tenants") || strstr(q->text, "--") || strstr(q->text, "/*"))
        fail_msg("client text in SQL: %s", q->text);
    assert_true(has_param(q, s));
}

static void test_sql_client_text_is_never_sql_text(void **state)
{
    static const char *const shapes[] = {
        "(eq displayName %s)",
        "(ne id %s)",
        "(in displayName 'x' %s null)",
        "(startswith displayName %s)",
        "(endswith displayName %s)",
        "(contains displayName %s)",
        "(not (le displayName %s))",
        "(any iosEnrollmentAssignments (eq a/groupId %s))",
        "(all macOsEnrollmentAssignments (contains "
        "a/configurationManagerCollectionAssignmentTarget/"
        "collectionId %s))",
        "(any linuxEnrollmentAssignments (endswith a/filterId %s))",
    };
    struct fixture *f = *state;
    size_t i;
    size_t k;
    int d;

    for (i = 0; i < sizeof evil / sizeof *evil; i++) {
        char lit[128];
        quote(evil[i], lit, sizeof lit);
        for (k = 0; k < sizeof shapes / sizeof *shapes; k++) {
            for (d = 0; d < 2; d++) {
                const struct sql_dialect *dl = d ? &sql_dialect_postgres : &sql_dialect_sqlite;
                struct cmp_error err = {0};
                struct order_case c = {"displayName", lit, 1, 0, NULL, NULL, NULL, NULL};
                struct sql_query q;
                char ast[512];
                /* The shapes are our own format strings, the literal is the test's data. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                snprintf(ast, sizeof ast, shapes[k], lit);
#pragma GCC diagnostic pop
                c.filter = ast;
                assert_int_equal(list(f, dl, &c, 10, &q, &err), 0);
                check_clean(&q, evil[i]);
                if (!d)
                    assert_prepares(f, &q);
                assert_int_equal(sql_partner_count(f->a, dl, evil[i], NULL, &q, &err), 0);
                check_clean(&q, evil[i]);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_filter_translates_every_operator),
        cmocka_unit_test(test_sql_count_without_filter_is_the_tenant),
        cmocka_unit_test(test_sql_orderby_and_keyset),
        cmocka_unit_test(test_sql_cursor_must_fit_the_orderby),
        cmocka_unit_test(test_sql_limit_asks_for_one_more_row),
        cmocka_unit_test(test_sql_client_text_is_never_sql_text),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
