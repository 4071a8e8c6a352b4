/*
 * tests/unit/test_store_query.c - listing and counting with $filter, $orderby, $skip and keyset
 * positions (store/store.h), backend-independent: every answer is compared with the same query
 * evaluated here, in C, on a deterministic data set.
 *
 * Like test_store.c, the location comes from $CMPD_TEST_STORE when set (e.g. a PostgreSQL DSN),
 * else a fresh mkdtemp directory (SQLite), and every test works in tenants of its own.  ASTs are
 * written in the notation of test_store_ast.h.  The evaluator follows OData (graph-conventions.md
 * 4-5) and odata/odata.h's reading of lambda members: a member reads as null on a target type
 * that lacks it or that its cast does not match (a cast to groupAssignmentTarget also matches
 * exclusionGroupAssignmentTarget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "odata/odata.h"
#include "store/store.h"
#include "test_store_ast.h" /* which includes cmocka.h */

#define ROWS 200
#define NOISE 60
#define MAX_ROWS 1024

/* A partner as the test knows it: its values and its place in insertion order. */
struct row {
    struct graph_partner p;
    int64_t seq; /* insertion order, the order of the store's own sequence */
    bool deleted;
};

struct suite;

struct fixture {
    struct suite *suite;
    const char *location;
    struct store *store;
    struct arena *arena;
    char tenant[UUID_STR_LEN + 1]; /* the data set */
    char noise[UUID_STR_LEN + 1];  /* another tenant whose rows match everything */
    struct row rows[MAX_ROWS];     /* rows[0..n) of `tenant` */
    size_t n;
    struct row noise_rows[NOISE];
    uint64_t rng;
    int64_t next_seq;
    struct cmp_error err;
};

/* ---- the data set ---- */

static const char *const names[] = {
    NULL,
    NULL,
    "",
    "Contoso",
    "Contoso",
    "contoso",
    "Contoso Ltd",
    "Con",
    "Co",
    "CON",
    "alpha",
    "Alpha",
    "ALPHA",
    "beta",
    "O'Brien",
    "Zeta",
    "zeta",
    "\xc3\x9cnic\xc3\xb6"
    "de",
    "\xc3\xbc",
    "\xe6\x97\xa5\xe6\x9c\xac",
    "M",
    "m",
    "mid",
    "x'); DROP TABLE partners;--",
    "so",
    "Fabrikamso",
    "a%b_c",
    "\x7f",
    "~tilde",
};

static const int64_t beats[] = {
    0, 0, 0, 636188000000000000, 636188000000000000, 638000000000000000, 5, 3155378975999999999,
};

static const char *const target_ids[] = {NULL, "g1", "g2", "gx", "g1"};
static const char *const filter_ids[] = {NULL, "f1", "f2"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static uint64_t next_rand(struct fixture *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

static size_t pick(struct fixture *f, size_t n)
{
    return (size_t)(next_rand(f) % n);
}

static struct graph_assignments some_targets(struct fixture *f)
{
    struct graph_assignments l = {NULL, pick(f, 4)};
    size_t i;

    l.items = arena_calloc(f->arena, l.n ? l.n : 1, sizeof *l.items);
    assert_non_null(l.items);
    for (i = 0; i < l.n; i++) {
        struct graph_assignment *as = &l.items[i];
        as->kind = (enum graph_target_kind)pick(f, GRAPH_TARGET_COUNT);
        as->target_id =
            graph_target_types[as->kind].id_prop ? target_ids[pick(f, COUNT(target_ids))] : NULL;
        as->filter_id = filter_ids[pick(f, COUNT(filter_ids))];
        as->filter_type = (int)pick(f, 3);
    }
    return l;
}

static void random_partner(struct fixture *f, struct graph_partner *p)
{
    graph_partner_defaults(p);
    assert_int_equal(uuid_v4(p->id), 0);
    p->display_name = names[pick(f, COUNT(names))];
    p->last_heartbeat_ticks = beats[pick(f, COUNT(beats))];
    p->partner_state = (int)pick(f, 6);
    p->mac_os_onboarded = pick(f, 2);
    p->linux_onboarded = pick(f, 2);
    p->android_onboarded = pick(f, 2);
    p->ios_onboarded = pick(f, 2);
    p->mac_os_assignments = some_targets(f);
    p->android_assignments = some_targets(f);
    p->ios_assignments = some_targets(f);
    p->linux_assignments = some_targets(f);
}

static void add_row(struct fixture *f, const char *tenant, struct row *r)
{
    random_partner(f, &r->p);
    r->seq = f->next_seq++;
    r->deleted = false;
    assert_int_equal(store_partner_insert(f->store, tenant, &r->p, &f->err), 0);
}

struct order {
    const struct odata_orderby *keys;
    size_t n;
};

/* The OData order of two rows: each key (nulls first ascending, last descending), then seq. */
static int order(const struct row *a, const struct row *b, const struct order *o)
{
    size_t k;

    for (k = 0; k < o->n; k++) {
        struct ast_val x = ast_prop_val(&a->p, o->keys[k].prop);
        struct ast_val y = ast_prop_val(&b->p, o->keys[k].prop);
        int c;
        if (x.kind == AST_NULL || y.kind == AST_NULL)
            c = (x.kind != AST_NULL) - (y.kind != AST_NULL);
        else if (x.kind == AST_STR)
            c = strcmp(x.s, y.s);
        else
            c = (x.i > y.i) - (x.i < y.i);
        c = c < 0 ? -1 : c > 0;
        if (c)
            return o->keys[k].desc ? -c : c;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int order_ptr(const void *a, const void *b, void *o)
{
    return order(*(const struct row *const *)a, *(const struct row *const *)b, o);
}

/* The rows of rows[0..n) matching `filter` in the order of `ob`, into out; returns how many. */
static size_t expect(const struct row *rows, size_t n, const struct odata_expr *filter,
                     const struct order *o, const struct row **out)
{
    size_t m = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (!rows[i].deleted && (!filter || ast_eval(filter, &rows[i].p, NULL)))
            out[m++] = &rows[i];
    qsort_r(out, m, sizeof *out, order_ptr, (void *)o);
    return m;
}

/* ---- walking the pages ---- */

static const char *const orderbys[] = {
    "",
    "displayName",
    "-displayName",
    "lastHeartbeatDateTime",
    "-lastHeartbeatDateTime",
    "partnerState,displayName",
    "-partnerState,-displayName",
    "id",
    "-id",
    "-iosOnboarded,displayName,-lastHeartbeatDateTime",
    "displayName,-macOsOnboarded,partnerState",
};

struct walk {
    struct arena *a; /* owns the items seen; the caller frees it */
    const char *tenant;
    const struct odata_expr *filter;
    struct order order;
    size_t limit;
    void (*between)(struct fixture *f); /* called between pages, or NULL */
    const struct graph_partner *seen[MAX_ROWS * 2];
    size_t n;
    size_t pages;
};

/* The last item's position is the page's cursor. */
static void check_last(const struct store_page *page, const struct order *o)
{
    size_t k;

    if (!page->n)
        return;
    assert_int_equal(page->last.key_count, o->n);
    for (k = 0; k < o->n; k++) {
        struct ast_val v = ast_prop_val(&page->items[page->n - 1], o->keys[k].prop);
        const struct odata_value *c = &page->last.keys[k];
        if (v.kind == AST_NULL)
            assert_int_equal(c->type, ODATA_V_NULL);
        else if (v.kind == AST_STR)
            assert_string_equal(c->u.s.p, v.s);
        else if (c->type == ODATA_V_BOOL)
            assert_true((int64_t)c->u.b == v.i);
        else if (c->type == ODATA_V_DATETIME)
            assert_true(c->u.ticks == v.i);
        else
            assert_true(c->type == ODATA_V_ENUM && c->u.i == v.i);
    }
}

/* Every page of the listing, through the cursor of each page. */
static void walk(struct fixture *f, struct walk *w)
{
    struct store_list_req req;
    struct store_cursor after;
    struct store_page page;
    size_t i;

    memset(&req, 0, sizeof req);
    req.filter = w->filter;
    req.orderby = w->order.keys;
    req.orderby_count = w->order.n;
    req.limit = w->limit;
    w->n = 0;
    w->pages = 0;
    w->a = arena_new(0);
    assert_non_null(w->a);
    do {
        assert_int_equal(store_partner_list(f->store, w->tenant, &req, w->a, &page, &f->err), 0);
        assert_true(page.n <= w->limit);
        assert_true(page.more ? page.n == w->limit : true);
        check_last(&page, &w->order);
        for (i = 0; i < page.n; i++) {
            assert_true(w->n < COUNT(w->seen));
            w->seen[w->n++] = &page.items[i];
        }
        w->pages++;
        after = page.last;
        req.after = &after;
        if (page.more && w->between)
            w->between(f);
    } while (page.more);
}

static void assert_same_ids(const struct walk *w, const struct row *const *want, size_t n,
                            const char *what)
{
    size_t i;

    for (i = 0; i < n && i < w->n; i++)
        if (strcmp(w->seen[i]->id, want[i]->p.id) != 0)
            fail_msg("%s: item %zu is %s (%s), want %s (%s)", what, i, w->seen[i]->id,
                     w->seen[i]->display_name ? w->seen[i]->display_name : "null", want[i]->p.id,
                     want[i]->p.display_name ? want[i]->p.display_name : "null");
    if (w->n != n)
        fail_msg("%s: %zu items, want %zu", what, w->n, n);
}

/* ---- fixtures ---- */

struct suite {
    char dir[256];        /* the mkdtemp directory ("" when $CMPD_TEST_STORE is used) */
    const char *location; /* what store_open() gets */
    char db_path[300];
};

static int suite_setup(void **state)
{
    struct suite *s = calloc(1, sizeof *s);
    const char *env = getenv("CMPD_TEST_STORE");

    if (!s)
        return -1;
    if (env && *env) {
        s->location = env;
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/cmpd-test-query-XXXXXX");
        if (!mkdtemp(s->dir))
            return -1;
        snprintf(s->db_path, sizeof s->db_path, "%s/cmpd.db", s->dir);
        s->location = s->dir;
    }
    *state = s;
    return 0;
}

static int suite_teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", "-tenants"};
    struct suite *s = *state;
    char p[512];
    size_t i;

    if (s->db_path[0]) {
        for (i = 0; i < COUNT(suffixes); i++) {
            snprintf(p, sizeof p, "%s%s", s->db_path, suffixes[i]);
            unlink(p);
        }
        rmdir(s->dir);
    }
    free(s);
    return 0;
}

/* A store with ROWS partners in a tenant of their own and NOISE in another. */
static int setup(void **state)
{
    struct suite *s = *state;
    struct fixture *f = calloc(1, sizeof *f);
    size_t i;

    if (!f)
        return -1;
    f->suite = s;
    f->location = s->location;
    f->arena = arena_new(0);
    if (!f->arena || store_open(f->location, &f->store, &f->err))
        return -1;
    if (uuid_v4(f->tenant) || uuid_v4(f->noise))
        return -1;
    f->rng = 0x9e3779b97f4a7c15u;
    f->next_seq = 1;
    for (i = 0; i < ROWS; i++) {
        add_row(f, f->tenant, &f->rows[f->n++]);
        if (i % 4 == 0)
            add_row(f, f->noise, &f->noise_rows[i / 4]);
    }
    for (i = ROWS / 4; i < NOISE; i++)
        add_row(f, f->noise, &f->noise_rows[i]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    *state = f->suite;
    store_close(f->store);
    arena_free(f->arena);
    free(f);
    return 0;
}

/* ---- listing ---- */

static const char *const filters[] = {
    "(eq displayName 'Contoso')",
    "(ne displayName 'Contoso')",
    "(eq displayName null)",
    "(ne displayName null)",
    "(eq displayName '')",
    "(gt displayName 'M')",
    "(le displayName 'contoso')",
    "(lt displayName '\xc3\xbc')",
    "(startswith displayName 'Con')",
    "(startswith displayName 'con')",
    "(startswith displayName '')",
    "(startswith displayName '\xc3')",
    "(endswith displayName 'so')",
    "(endswith displayName '')",
    "(contains displayName 'nt')",
    "(contains displayName '\xc3\xb6')",
    "(contains displayName '%')",
    "(not (startswith displayName 'Con'))",
    "(not (eq displayName 'Contoso'))",
    "(not (ne displayName null))",
    "(in displayName 'Contoso' 'alpha' null)",
    "(in displayName 'O''Brien' 'x''); DROP TABLE partners;--')",
    "(eq partnerState #2)",
    "(in partnerState #0 #5)",
    "(gt partnerState #3)",
    "(ge lastHeartbeatDateTime @636188000000000000)",
    "(lt lastHeartbeatDateTime @636188000000000000)",
    "(eq lastHeartbeatDateTime @0)",
    "(ne lastHeartbeatDateTime @0)",
    "(bool iosOnboarded)",
    "(not (bool iosOnboarded))",
    "(eq macOsOnboarded false)",
    "(ne linuxOnboarded true)",
    "(and (eq partnerState #2) (or (bool iosOnboarded) (eq displayName null)))",
    "(or (startswith displayName 'C') (not (lt lastHeartbeatDateTime @6)))",
    "(any iosEnrollmentAssignments)",
    "(not (any iosEnrollmentAssignments))",
    "(any iosEnrollmentAssignments (eq a/groupId 'g1'))",
    "(any iosEnrollmentAssignments (eq a/groupAssignmentTarget/groupId 'g1'))",
    "(any iosEnrollmentAssignments (eq a/exclusionGroupAssignmentTarget/groupId 'g1'))",
    "(any iosEnrollmentAssignments (ne a/groupId 'g1'))",
    "(all iosEnrollmentAssignments (ne a/groupId 'g1'))",
    "(all macOsEnrollmentAssignments (eq a/groupId null))",
    "(not (all macOsEnrollmentAssignments (ne a/groupId null)))",
    "(any androidEnrollmentAssignments (eq a/collectionId null))",
    "(any androidEnrollmentAssignments (in a/configurationManagerCollectionAssignmentTarget/"
    "collectionId 'g2' null))",
    "(any linuxEnrollmentAssignments (eq a/filterType #1))",
    "(any linuxEnrollmentAssignments (ge a/filterType #1))",
    "(all linuxEnrollmentAssignments (lt a/filterType #2))",
    "(any linuxEnrollmentAssignments (in a/filterType #0 #2))",
    "(any macOsEnrollmentAssignments (eq a/allDevicesAssignmentTarget/filterId 'f1'))",
    "(any macOsEnrollmentAssignments (eq a/filterId null))",
    "(any iosEnrollmentAssignments (and (startswith a/groupId 'g') (eq partnerState #2)))",
    "(and (any iosEnrollmentAssignments (endswith a/groupId '1')) (all "
    "androidEnrollmentAssignments "
    "(contains a/filterId 'f')))",
    "true",
    "false",
};

static void test_query_filters_and_orders_match_the_evaluation(void **state)
{
    struct fixture *f = *state;
    static struct walk w;
    const struct row *want[MAX_ROWS];
    struct odata_orderby ob[ODATA_MAX_ORDERBY];
    size_t i;
    size_t k;

    for (i = 0; i < COUNT(filters); i++) {
        const struct odata_expr *e = ast_parse(f->arena, filters[i]);
        struct order none = {NULL, 0};
        int64_t count = -1;
        size_t n = expect(f->rows, f->n, e, &none, want);
        assert_int_equal(store_partner_count(f->store, f->tenant, e, &count, &f->err), 0);
        if ((size_t)count != n)
            fail_msg("%s: count %lld, want %zu", filters[i], (long long)count, n);
        for (k = 0; k < COUNT(orderbys); k++) {
            char what[512];
            w = (struct walk){.tenant = f->tenant, .filter = e, .limit = 13};
            w.order.keys = ob;
            w.order.n = ast_orderby(orderbys[k], ob);
            n = expect(f->rows, f->n, e, &w.order, want);
            walk(f, &w);
            snprintf(what, sizeof what, "%s by '%s'", filters[i], orderbys[k]);
            assert_same_ids(&w, want, n, what);
            assert_int_equal(w.pages, n / 13 + 1 - (n && n % 13 == 0));
            arena_free(w.a);
        }
    }
}

static void test_query_filter_by_id_and_in(void **state)
{
    struct fixture *f = *state;
    const struct row *want[MAX_ROWS];
    struct order none = {NULL, 0};
    char text[256];
    int64_t count = -1;
    const struct odata_expr *e;
    size_t n;

    snprintf(text, sizeof text, "(in id '%s' '%s' 'nope')", f->rows[3].p.id, f->rows[150].p.id);
    e = ast_parse(f->arena, text);
    n = expect(f->rows, f->n, e, &none, want);
    assert_int_equal(n, 2);
    assert_int_equal(store_partner_count(f->store, f->tenant, e, &count, &f->err), 0);
    assert_int_equal(count, 2);
    /* Another tenant's id is no match. */
    snprintf(text, sizeof text, "(eq id '%s')", f->noise_rows[0].p.id);
    e = ast_parse(f->arena, text);
    assert_int_equal(store_partner_count(f->store, f->tenant, e, &count, &f->err), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_partner_count(f->store, f->noise, e, &count, &f->err), 0);
    assert_int_equal(count, 1);
}

/* $skip on a first page, then the cursor of that page takes over. */
static void test_query_skip_then_cursor(void **state)
{
    static const int64_t skips[] = {0, 1, 12, 13, 150, 199, 200, 250};
    struct fixture *f = *state;
    const struct row *want[MAX_ROWS];
    struct odata_orderby ob[ODATA_MAX_ORDERBY];
    size_t k;
    size_t i;

    for (k = 0; k < COUNT(orderbys); k++) {
        struct order o = {ob, ast_orderby(orderbys[k], ob)};
        size_t n = expect(f->rows, f->n, NULL, &o, want);
        for (i = 0; i < COUNT(skips); i++) {
            struct store_list_req req = {.orderby = ob, .orderby_count = o.n, .limit = 13};
            struct store_cursor after;
            struct store_page page;
            size_t from = (size_t)skips[i] < n ? (size_t)skips[i] : n;
            size_t j;
            req.skip = skips[i];
            assert_int_equal(
                store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);
            assert_int_equal(page.n, n - from < 13 ? n - from : 13);
            assert_int_equal(page.more, n - from > 13);
            for (j = 0; j < page.n; j++)
                assert_string_equal(page.items[j].id, want[from + j]->p.id);
            if (!page.more)
                continue;
            after = page.last;
            req.after = &after; /* the skip is in the cursor now; req.skip is ignored */
            assert_int_equal(
                store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);
            assert_true(page.n > 0);
            assert_string_equal(page.items[0].id, want[from + 13]->p.id);
        }
    }
}

/* ---- paging under writes ---- */

/* Between two pages: two partners created, two deleted (seen or not yet). */
static void churn(struct fixture *f)
{
    size_t i;

    for (i = 0; i < 2 && f->n < MAX_ROWS; i++)
        add_row(f, f->tenant, &f->rows[f->n++]);
    for (i = 0; i < 2; i++) {
        struct row *r = &f->rows[pick(f, f->n)];
        if (r->deleted)
            continue;
        assert_int_equal(store_partner_delete(f->store, f->tenant, r->p.id, &f->err), 0);
        r->deleted = true;
    }
}

static size_t row_index(struct fixture *f, const char *id)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcmp(f->rows[i].p.id, id) == 0)
            return i;
    fail_msg("listed a partner never created: %s", id);
    return 0;
}

/* Every partner that existed throughout a walk is seen exactly once, in order. */
static void test_query_keyset_walk_sees_each_row_once_under_writes(void **state)
{
    struct fixture *f = *state;
    static struct walk w;
    static bool alive[MAX_ROWS];
    static unsigned seen[MAX_ROWS];
    struct odata_orderby ob[ODATA_MAX_ORDERBY];
    size_t k;
    size_t i;

    for (k = 0; k < COUNT(orderbys); k++) {
        const struct odata_expr *e =
            k % 2 ? ast_parse(f->arena, "(not (eq partnerState #0))") : NULL;
        size_t before = f->n;
        size_t throughout = 0;
        for (i = 0; i < before; i++)
            alive[i] = !f->rows[i].deleted;
        memset(seen, 0, sizeof seen);
        w = (struct walk){.tenant = f->tenant, .filter = e, .limit = 9, .between = churn};
        w.order.keys = ob;
        w.order.n = ast_orderby(orderbys[k], ob);
        walk(f, &w);
        for (i = 0; i < w.n; i++) {
            size_t r = row_index(f, w.seen[i]->id);
            if (++seen[r] > 1)
                fail_msg("by '%s': %s seen twice", orderbys[k], w.seen[i]->id);
            if (i && order(&f->rows[row_index(f, w.seen[i - 1]->id)], &f->rows[r], &w.order) >= 0)
                fail_msg("by '%s': item %zu out of order", orderbys[k], i);
        }
        for (i = 0; i < before; i++) {
            if (!alive[i] || f->rows[i].deleted || (e && !ast_eval(e, &f->rows[i].p, NULL)))
                continue;
            throughout++;
            if (seen[i] != 1)
                fail_msg("by '%s': %s (existing throughout) seen %u times", orderbys[k],
                         f->rows[i].p.id, seen[i]);
        }
        assert_true(throughout > 50);
        assert_true(w.pages > 10);
        arena_free(w.a);
    }
}

/* ---- tenants ---- */

static void test_query_tenant_isolation_under_filters(void **state)
{
    struct fixture *f = *state;
    const struct row *want[MAX_ROWS];
    struct order none = {NULL, 0};
    char unknown[UUID_STR_LEN + 1];
    size_t i;

    assert_int_equal(uuid_v4(unknown), 0);
    for (i = 0; i < COUNT(filters); i++) {
        const struct odata_expr *e = ast_parse(f->arena, filters[i]);
        struct store_list_req req = {.filter = e, .limit = 1000};
        struct store_page page;
        int64_t count = -1;
        size_t n = expect(f->noise_rows, NOISE, e, &none, want);
        assert_int_equal(store_partner_count(f->store, f->noise, e, &count, &f->err), 0);
        assert_int_equal(count, n);
        assert_int_equal(store_partner_list(f->store, f->noise, &req, f->arena, &page, &f->err), 0);
        assert_int_equal(page.n, n);
        assert_int_equal(store_partner_count(f->store, unknown, e, &count, &f->err), 0);
        assert_int_equal(count, 0);
        assert_int_equal(store_partner_list(f->store, unknown, &req, f->arena, &page, &f->err), 0);
        assert_int_equal(page.n, 0);
        assert_false(page.more);
    }
}

/* A string that looks like SQL is only ever a value; the table is still there afterwards. */
static void test_query_client_text_is_only_a_value(void **state)
{
    struct fixture *f = *state;
    const struct row *want[MAX_ROWS];
    struct order none = {NULL, 0};
    const struct odata_expr *e =
        ast_parse(f->arena, "(or (eq displayName 'x''); DROP TABLE partners;--') "
                            "(contains displayName ''' OR ''1''=''1'))");
    int64_t count = -1;
    size_t n = expect(f->rows, f->n, e, &none, want);

    assert_true(n > 0);
    assert_int_equal(store_partner_count(f->store, f->tenant, e, &count, &f->err), 0);
    assert_int_equal(count, n);
    assert_int_equal(store_partner_count(f->store, f->tenant, NULL, &count, &f->err), 0);
    assert_int_equal(count, ROWS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_query_filters_and_orders_match_the_evaluation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_filter_by_id_and_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_skip_then_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_keyset_walk_sees_each_row_once_under_writes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_tenant_isolation_under_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_client_text_is_only_a_value, setup, teardown),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
