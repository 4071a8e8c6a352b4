/*
 * tests/unit/test_store.c - the store interface (store/store.h), backend-independent.
 *
 * The location comes from $CMPD_TEST_STORE when set (e.g. a PostgreSQL DSN, so this one file runs
 * against every backend), else a fresh mkdtemp directory (SQLite).  Every test works in tenants of
 * its own (random GUIDs), so tests share one database without seeing each other.  What only
 * SQLite has (the file, its schema, locking, locations) is tested in test_store_sqlite.c.  The
 * tenant cache is watched through its counters, which each backend hands to tests.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "store/postgres/postgres_impl.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/store.h"
#include "store/tenant_cache.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

struct suite {
    char dir[256];        /* the mkdtemp directory ("" when $CMPD_TEST_STORE is used) */
    const char *location; /* what store_open() gets */
    char db_path[300];    /* the SQLite file to remove ("" unless we own it) */
};

struct fixture {
    struct suite *suite;
    struct store *store;
    struct arena *arena;
    char tenant_a[UUID_STR_LEN + 1];
    char tenant_b[UUID_STR_LEN + 1];
    struct cmp_error err;
};

static const char heartbeat[] = "2016-12-31T23:59:37.9174975-08:00";

/* One assignment of every target kind, with and without ids and beta filter properties. */
static const struct graph_assignment every_target[] = {
    {GRAPH_TARGET_ALL_DEVICES, NULL, "5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c01", 1},
    {GRAPH_TARGET_ALL_LICENSED_USERS, NULL, NULL, 0},
    {GRAPH_TARGET_CONFIGMGR_COLLECTION, "SMS00001 \"q\" \\ \xc3\xbc", NULL, 2},
    {GRAPH_TARGET_GROUP, "a8c1b5c0-7c6e-4a26-9a8e-1f0a4f3c2d11",
     "9d3c7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f", 2},
    {GRAPH_TARGET_GROUP, NULL, NULL, 1},
    {GRAPH_TARGET_EXCLUSION_GROUP, "0e226165-c685-41ce-8bfc-df8360ab325d", NULL, 0},
};

#define N_TARGETS (sizeof every_target / sizeof *every_target)

/* ---- helpers ---- */

static struct graph_assignments copy_targets(struct arena *a, const struct graph_assignment *src,
                                             size_t n)
{
    struct graph_assignments l = {arena_calloc(a, n ? n : 1, sizeof *l.items), n};

    assert_non_null(l.items);
    if (n)
        memcpy(l.items, src, n * sizeof *src);
    return l;
}

static void new_id(char out[UUID_STR_LEN + 1])
{
    assert_int_equal(uuid_v4(out), 0);
}

/* A partner with every property set away from its default. */
static void full_partner(struct arena *a, struct graph_partner *p)
{
    graph_partner_defaults(p);
    new_id(p->id);
    p->last_heartbeat = heartbeat;
    assert_int_equal(
        time_parse_datetimeoffset(heartbeat, strlen(heartbeat), &p->last_heartbeat_ticks), 0);
    p->partner_state = 5;
    p->display_name = "Contoso \"MDM\" \\ \xc3\xbc \xe6\x97\xa5\xe6\x9c\xac";
    p->mac_os_onboarded = true;
    p->linux_onboarded = true;
    p->android_onboarded = true;
    p->ios_onboarded = true;
    p->mac_os_assignments = copy_targets(a, every_target, N_TARGETS);
    p->android_assignments = copy_targets(a, every_target + 2, 1);
    p->ios_assignments = copy_targets(a, every_target + 3, 3);
    p->linux_assignments = copy_targets(a, every_target, 2);
}

static void assert_str_or_null(const char *want, const char *got)
{
    if (!want)
        assert_null(got);
    else
        assert_string_equal(want, got);
}

static void assert_assignments_equal(const struct graph_assignments *want,
                                     const struct graph_assignments *got)
{
    size_t i;

    assert_int_equal(want->n, got->n);
    for (i = 0; i < want->n; i++) {
        assert_int_equal(want->items[i].kind, got->items[i].kind);
        assert_str_or_null(want->items[i].target_id, got->items[i].target_id);
        assert_str_or_null(want->items[i].filter_id, got->items[i].filter_id);
        assert_int_equal(want->items[i].filter_type, got->items[i].filter_type);
    }
}

static void assert_partner_equal(const struct graph_partner *want, const struct graph_partner *got)
{
    assert_string_equal(want->id, got->id);
    assert_string_equal(want->last_heartbeat, got->last_heartbeat);
    assert_true(want->last_heartbeat_ticks == got->last_heartbeat_ticks);
    assert_int_equal(want->partner_state, got->partner_state);
    assert_str_or_null(want->display_name, got->display_name);
    assert_int_equal(want->mac_os_onboarded, got->mac_os_onboarded);
    assert_int_equal(want->linux_onboarded, got->linux_onboarded);
    assert_int_equal(want->android_onboarded, got->android_onboarded);
    assert_int_equal(want->ios_onboarded, got->ios_onboarded);
    assert_assignments_equal(&want->mac_os_assignments, &got->mac_os_assignments);
    assert_assignments_equal(&want->android_assignments, &got->android_assignments);
    assert_assignments_equal(&want->ios_assignments, &got->ios_assignments);
    assert_assignments_equal(&want->linux_assignments, &got->linux_assignments);
}

/* Expect `rc` to be CMP_ENOTFOUND; return the message (copied into the arena). */
static const char *expect_not_found(struct fixture *f, int rc)
{
    const char *msg;

    assert_int_equal(rc, CMP_ENOTFOUND);
    assert_int_equal(f->err.code, CMP_ENOTFOUND);
    msg = arena_strdup(f->arena, cmp_error_message(&f->err));
    cmp_error_clear(&f->err);
    return msg;
}

static void insert(struct fixture *f, const char *tenant, const struct graph_partner *p)
{
    assert_int_equal(store_partner_insert(f->store, tenant, p, &f->err), 0);
}

/* ---- fixtures ---- */

static int suite_setup(void **state)
{
    struct suite *s = calloc(1, sizeof *s);
    const char *env = getenv("CMPD_TEST_STORE");

    if (!s)
        return -1;
    if (env && *env) {
        s->location = env;
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/cmpd-test-store-XXXXXX");
        if (!mkdtemp(s->dir))
            return -1;
        snprintf(s->db_path, sizeof s->db_path, "%s/cmpd.db", s->dir);
        s->location = s->dir;
    }
    *state = s;
    return 0;
}

static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal",
                                           STORE_SQLITE_EPOCH_SUFFIX};
    char p[512];
    size_t i;

    for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static int suite_teardown(void **state)
{
    struct suite *s = *state;

    if (s->db_path[0]) {
        remove_db_files(s->db_path);
        rmdir(s->dir);
    }
    free(s);
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    f->suite = *state;
    f->arena = arena_new(0);
    if (!f->arena || store_open(f->suite->location, &f->store, &f->err))
        return -1;
    new_id(f->tenant_a);
    new_id(f->tenant_b);
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

/* ---- round trips ---- */

static void test_store_insert_then_get_returns_every_property(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&p, &got);
}

static void test_store_insert_then_get_keeps_defaults(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;

    graph_partner_defaults(&p);
    new_id(p.id);
    insert(f, f->tenant_a, &p);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&p, &got);
    assert_string_equal(got.last_heartbeat, GRAPH_DEFAULT_HEARTBEAT);
    assert_null(got.display_name);
    assert_int_equal(got.mac_os_assignments.n, 0);
    /* An empty name is not null. */
    new_id(p.id);
    p.display_name = "";
    insert(f, f->tenant_a, &p);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_non_null(got.display_name);
    assert_string_equal(got.display_name, "");
}

static void test_store_keeps_heartbeat_text_exactly(void **state)
{
    static const char *const texts[] = {
        "2016-12-31T23:59:37.9174975-08:00", "2026-11-01T08:15:00Z",
        "2026-11-01t08:15:00.10+14:00",      "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.9999999Z",
    };
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct graph_partner p;
        struct graph_partner got;
        graph_partner_defaults(&p);
        new_id(p.id);
        p.last_heartbeat = texts[i];
        assert_int_equal(
            time_parse_datetimeoffset(texts[i], strlen(texts[i]), &p.last_heartbeat_ticks), 0);
        insert(f, f->tenant_a, &p);
        assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err),
                         0);
        assert_string_equal(got.last_heartbeat, texts[i]);
        assert_true(got.last_heartbeat_ticks == p.last_heartbeat_ticks);
    }
}

static void test_store_get_copies_strings_into_the_arena(void **state)
{
    struct fixture *f = *state;
    struct arena *other = arena_new(0);
    struct graph_partner p;
    struct graph_partner got;
    size_t before;

    assert_non_null(other);
    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    before = arena_used(other);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, other, &got, &f->err), 0);
    assert_true(arena_used(other) > before);
    /* The row stays readable after the statement was reused for another row. */
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &p, &f->err), 0);
    assert_partner_equal(&p, &got);
    arena_free(other);
}

static void test_store_duplicate_id_is_a_store_error(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    assert_int_equal(store_partner_insert(f->store, f->tenant_a, &p, &f->err), CMP_ESTORE);
    /* The database's own text never reaches the client. */
    assert_string_equal(cmp_error_message(&f->err), cmp_err_default_msg(CMP_ESTORE));
    cmp_error_clear(&f->err);
    /* The same id in another tenant is a different partner. */
    insert(f, f->tenant_b, &p);
}

/* ---- patch ---- */

static void test_store_patch_merges_only_present_properties(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;
    struct graph_partner got;
    struct graph_partner want;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    memset(&patch, 0, sizeof patch);
    patch.partner_state = 2;
    patch.display_name = NULL; /* present: set to null */
    patch.ios_onboarded = false;
    patch.mac_os_onboarded = false; /* not present: ignored */
    patch.present = GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE) | GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME) |
                    GRAPH_PROP_BIT(GRAPH_P_IOS_ONBOARDED);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant_a, p.id, &patch, f->arena, &out, &f->err), 0);
    want = p;
    want.partner_state = 2;
    want.display_name = NULL;
    want.ios_onboarded = false;
    assert_partner_equal(&want, &out);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&want, &got);
}

static void test_store_patch_replaces_collections_whole(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;
    struct graph_partner got;
    struct graph_partner want;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    memset(&patch, 0, sizeof patch);
    patch.mac_os_assignments = copy_targets(f->arena, every_target + 5, 1);
    patch.linux_assignments = copy_targets(f->arena, NULL, 0);
    patch.last_heartbeat = "2026-11-01T08:15:00Z";
    patch.last_heartbeat_ticks = 42;
    patch.present = GRAPH_PROP_BIT(GRAPH_P_MACOS_ASSIGNMENTS) |
                    GRAPH_PROP_BIT(GRAPH_P_LINUX_ASSIGNMENTS) |
                    GRAPH_PROP_BIT(GRAPH_P_LAST_HEARTBEAT);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant_a, p.id, &patch, f->arena, &out, &f->err), 0);
    want = p;
    want.mac_os_assignments = patch.mac_os_assignments;
    want.linux_assignments = patch.linux_assignments;
    want.last_heartbeat = patch.last_heartbeat;
    want.last_heartbeat_ticks = 42;
    assert_partner_equal(&want, &out);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&want, &got);
}

static void test_store_patch_never_changes_the_id(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    memset(&patch, 0, sizeof patch);
    new_id(patch.id);
    patch.present = GRAPH_PROP_BIT(GRAPH_P_ID);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant_a, p.id, &patch, f->arena, &out, &f->err), 0);
    assert_string_equal(out.id, p.id);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &out, &f->err), 0);
}

/* ---- not found and delete ---- */

static void test_store_unknown_id_is_not_found_everywhere(void **state)
{
    struct fixture *f = *state;
    struct graph_partner patch;
    struct graph_partner out;
    char id[UUID_STR_LEN + 1];

    new_id(id);
    memset(&patch, 0, sizeof patch);
    patch.present = GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE);
    expect_not_found(f, store_partner_get(f->store, f->tenant_a, id, f->arena, &out, &f->err));
    expect_not_found(
        f, store_partner_patch(f->store, f->tenant_a, id, &patch, f->arena, &out, &f->err));
    expect_not_found(f, store_partner_delete(f->store, f->tenant_a, id, &f->err));
    /* A failed patch leaves no transaction open: the connection still writes. */
    full_partner(f->arena, &out);
    insert(f, f->tenant_a, &out);
}

static void test_store_delete_removes_the_partner(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner keep;
    struct graph_partner got;
    int64_t n = -1;

    full_partner(f->arena, &p);
    full_partner(f->arena, &keep);
    insert(f, f->tenant_a, &p);
    insert(f, f->tenant_a, &keep);
    assert_int_equal(store_partner_delete(f->store, f->tenant_a, p.id, &f->err), 0);
    expect_not_found(f, store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err));
    expect_not_found(f, store_partner_delete(f->store, f->tenant_a, p.id, &f->err));
    assert_int_equal(store_partner_get(f->store, f->tenant_a, keep.id, f->arena, &got, &f->err), 0);
    assert_int_equal(store_partner_count(f->store, f->tenant_a, NULL, &n, &f->err), 0);
    assert_int_equal(n, 1);
}

/* ---- tenant isolation ---- */

static void test_store_other_tenant_sees_nothing(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;
    struct store_list_req req = {.limit = 10};
    struct store_page page;
    int64_t n = -1;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    memset(&patch, 0, sizeof patch);
    patch.display_name = "stolen";
    patch.present = GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME);

    /* Tenant B gets the answer an unknown id gets (same words: the next test). */
    expect_not_found(f, store_partner_get(f->store, f->tenant_b, p.id, f->arena, &out, &f->err));
    expect_not_found(
        f, store_partner_patch(f->store, f->tenant_b, p.id, &patch, f->arena, &out, &f->err));
    expect_not_found(f, store_partner_delete(f->store, f->tenant_b, p.id, &f->err));
    assert_int_equal(store_partner_list(f->store, f->tenant_b, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 0);
    assert_false(page.more);
    assert_int_equal(store_partner_count(f->store, f->tenant_b, NULL, &n, &f->err), 0);
    assert_int_equal(n, 0);

    /* Tenant A's partner is untouched. */
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &out, &f->err), 0);
    assert_partner_equal(&p, &out);
}

static void test_store_not_found_message_does_not_tell_tenants_apart(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner out;
    char unknown[UUID_STR_LEN + 1];
    const char *mine;
    const char *theirs;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    new_id(unknown);
    theirs = expect_not_found(
        f, store_partner_get(f->store, f->tenant_b, p.id, f->arena, &out, &f->err));
    mine = expect_not_found(
        f, store_partner_get(f->store, f->tenant_b, unknown, f->arena, &out, &f->err));
    assert_string_equal(mine, theirs);
    mine = expect_not_found(f, store_partner_delete(f->store, f->tenant_b, unknown, &f->err));
    theirs = expect_not_found(f, store_partner_delete(f->store, f->tenant_b, p.id, &f->err));
    assert_string_equal(mine, theirs);
}

/* ---- listing and counting ---- */

/* Insert `n` partners into `tenant`, their ids into ids[n][37] in insertion order. */
static void insert_many(struct fixture *f, const char *tenant, size_t n, char (*ids)[37])
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct graph_partner p;
        full_partner(f->arena, &p);
        p.partner_state = (int)(i % 6);
        memcpy(ids[i], p.id, sizeof p.id);
        insert(f, tenant, &p);
    }
}

static void test_store_list_pages_visit_each_row_once(void **state)
{
    static const struct {
        size_t rows;
        size_t limit;
        size_t pages;
    } cases[] = {
        {25, 10, 3}, {20, 10, 2}, {1, 10, 1}, {0, 10, 1}, {7, 1, 7}, {3, 1000, 1},
    };
    struct fixture *f = *state;
    char ids[25][37];
    char noise[2][37];
    size_t c;

    for (c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct store_list_req req = {.limit = cases[c].limit};
        size_t seen = 0;
        size_t pages = 0;
        struct store_page page;
        struct store_cursor after;
        char tenant[UUID_STR_LEN + 1];

        new_id(tenant);
        /* Rows of another tenant in between leave gaps in the sequence. */
        insert_many(f, tenant, cases[c].rows / 2, ids);
        insert_many(f, f->tenant_b, 2, noise);
        insert_many(f, tenant, cases[c].rows - cases[c].rows / 2, ids + cases[c].rows / 2);
        do {
            size_t i;
            assert_int_equal(store_partner_list(f->store, tenant, &req, f->arena, &page, &f->err),
                             0);
            assert_true(page.n <= cases[c].limit);
            for (i = 0; i < page.n; i++, seen++) {
                assert_true(seen < cases[c].rows);
                assert_string_equal(page.items[i].id, ids[seen]);
            }
            pages++;
            after = page.last;
            req.after = &after;
        } while (page.more);
        assert_int_equal(seen, cases[c].rows);
        assert_int_equal(pages, cases[c].pages);
    }
}

static void test_store_list_reads_whole_partners(void **state)
{
    struct fixture *f = *state;
    struct store_list_req req = {.limit = 10};
    struct store_page page;
    struct graph_partner p;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 1);
    assert_partner_equal(&p, &page.items[0]);
}

static void test_store_list_zero_limit_only_tells_more(void **state)
{
    struct fixture *f = *state;
    struct store_list_req req = {.limit = 0};
    struct store_page page;
    char ids[1][37];

    assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 0);
    assert_false(page.more);
    insert_many(f, f->tenant_a, 1, ids);
    assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 0);
    assert_true(page.more);
}

static void test_store_count_counts_the_tenant_only(void **state)
{
    struct fixture *f = *state;
    char ids[12][37];
    int64_t n = -1;

    assert_int_equal(store_partner_count(f->store, f->tenant_a, NULL, &n, &f->err), 0);
    assert_int_equal(n, 0);
    insert_many(f, f->tenant_a, 12, ids);
    insert_many(f, f->tenant_b, 3, ids);
    assert_int_equal(store_partner_count(f->store, f->tenant_a, NULL, &n, &f->err), 0);
    assert_int_equal(n, 12);
    assert_int_equal(store_partner_count(f->store, f->tenant_b, NULL, &n, &f->err), 0);
    assert_int_equal(n, 3);
}

/* ---- tenants ---- */

static struct store_tenant tenant_rec(const char *id, bool licensed, int64_t created)
{
    struct store_tenant t;

    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    t.intune_licensed = licensed;
    t.created = created;
    return t;
}

static void test_store_tenant_registry_puts_gets_and_lists(void **state)
{
    struct fixture *f = *state;
    struct store_tenant a = tenant_rec(f->tenant_a, true, 1700000000);
    struct store_tenant b = tenant_rec(f->tenant_b, false, 1700000001);
    struct store_tenant got;
    struct store_tenant *all = NULL;
    size_t n = 0;
    size_t i;
    int found = 0;

    expect_not_found(f, store_tenant_get(f->store, f->tenant_a, &got, &f->err));
    assert_int_equal(store_tenant_put(f->store, &a, true, &f->err), 0);
    assert_int_equal(store_tenant_put(f->store, &b, false, &f->err), 0);
    assert_int_equal(store_tenant_get(f->store, f->tenant_a, &got, &f->err), 0);
    assert_string_equal(got.id, a.id);
    assert_true(got.intune_licensed);
    assert_true(got.created == 1700000000);
    assert_int_equal(store_tenant_list(f->store, f->arena, &all, &n, &f->err), 0);
    for (i = 0; i < n; i++) {
        if (strcmp(all[i].id, a.id) == 0 || strcmp(all[i].id, b.id) == 0)
            found++;
        if (strcmp(all[i].id, b.id) == 0)
            assert_false(all[i].intune_licensed);
        if (i)
            assert_true(strcmp(all[i - 1].id, all[i].id) < 0);
    }
    assert_int_equal(found, 2);
}

static void test_store_tenant_put_only_if_new_keeps_the_existing(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = tenant_rec(f->tenant_a, true, 100);
    struct store_tenant got;

    assert_int_equal(store_tenant_put(f->store, &t, true, &f->err), 0);
    t.intune_licensed = false;
    t.created = 200;
    assert_int_equal(store_tenant_put(f->store, &t, true, &f->err), 0);
    assert_int_equal(store_tenant_get(f->store, f->tenant_a, &got, &f->err), 0);
    assert_true(got.intune_licensed);
    assert_true(got.created == 100);
    /* Without only_if_new the licence changes; the first registration time stays. */
    assert_int_equal(store_tenant_put(f->store, &t, false, &f->err), 0);
    assert_int_equal(store_tenant_get(f->store, f->tenant_a, &got, &f->err), 0);
    assert_false(got.intune_licensed);
    assert_true(got.created == 100);
}

/* ---- the tenant cache ---- */

/* The tenant cache of connection `s` (both backends keep one). */
static struct store__tenant_cache *tenant_cache(struct store *s)
{
    struct store__tenant_cache *c = strcmp(store_backend(s), "sqlite") == 0
                                        ? store__sqlite_tenant_cache(s)
                                        : store__pg_tenant_cache(s);

    assert_non_null(c);
    return c;
}

static bool is_sqlite(const struct store *s)
{
    return strcmp(store_backend(s), "sqlite") == 0;
}

/* Whether `tenant`, which must be registered, is licensed, as connection `s` answers. */
static bool licensed(struct fixture *f, struct store *s, const char *tenant)
{
    struct store_tenant t;

    assert_int_equal(store_tenant_get(s, tenant, &t, &f->err), 0);
    assert_string_equal(t.id, tenant);
    assert_true(t.created == 1700000000);
    return t.intune_licensed;
}

/* Register or update `tenant` through `s` (an update: what `cmpd tenant set` does). */
static void set_licence(struct store *s, const char *tenant, bool on, struct cmp_error *err)
{
    struct store_tenant t = tenant_rec(tenant, on, 1700000000);

    assert_int_equal(store_tenant_put(s, &t, false, err), 0);
}

/* Read `tenant` through `s` twice: the second answer comes from the cache. */
static void read_into_cache(struct fixture *f, struct store *s, const char *tenant, bool want)
{
    struct store__tenant_cache *c = tenant_cache(s);
    uint64_t hits;
    uint64_t misses;

    assert_int_equal(licensed(f, s, tenant), want);
    hits = c->hits;
    misses = c->misses;
    assert_int_equal(licensed(f, s, tenant), want);
    assert_true(c->hits == hits + 1);
    assert_true(c->misses == misses);
}

/*
 * Read `tenant` through `s`, which had it cached, after another connection changed it: SQLite
 * answers `want` at once (the writer bumped the shared epoch before it returned).  PostgreSQL does
 * once the notification has come, which the server sends each listening session right after the
 * writer's commit but on that session's own schedule: allowed a second, with the TTL set to an
 * hour so that only the notification can do it.
 */
static void expect_change_seen(struct fixture *f, struct store *s, const char *tenant, bool want)
{
    struct timespec ms = {0, 1000000};
    int waited = 0;

    tenant_cache(s)->ttl_ms = 3600 * 1000;
    while (licensed(f, s, tenant) != want) {
        if (is_sqlite(s))
            fail_msg("the change was not seen at once");
        if (++waited > 1000)
            fail_msg("no notification after 1 s");
        nanosleep(&ms, NULL);
    }
    if (waited)
        print_message("the notification came after %d ms\n", waited);
}

static void test_store_tenant_lookup_is_cached_per_connection(void **state)
{
    struct fixture *f = *state;
    struct store_tenant got;

    set_licence(f->store, f->tenant_a, true, &f->err);
    read_into_cache(f, f->store, f->tenant_a, true);
    /* Another tenant has an entry of its own. */
    set_licence(f->store, f->tenant_b, false, &f->err);
    read_into_cache(f, f->store, f->tenant_b, false);
    assert_int_equal(store_tenant_get(f->store, f->tenant_a, &got, &f->err), 0);
    assert_true(got.intune_licensed);
    assert_string_equal(got.id, f->tenant_a);
}

/* Connection B changes a tenant connection A has cached: A's next lookup has the change. */
static void test_store_tenant_change_by_another_connection_is_seen(void **state)
{
    struct fixture *f = *state;
    struct store *b = NULL;

    assert_int_equal(store_open(f->suite->location, &b, &f->err), 0);
    /* Registered through A: on PostgreSQL a session gets its own notifications with its answer. */
    set_licence(f->store, f->tenant_a, true, &f->err);
    read_into_cache(f, f->store, f->tenant_a, true);
    set_licence(b, f->tenant_a, false, &f->err);
    expect_change_seen(f, f->store, f->tenant_a, false);
    read_into_cache(f, f->store, f->tenant_a, false);
    set_licence(b, f->tenant_a, true, &f->err);
    expect_change_seen(f, f->store, f->tenant_a, true);
    store_close(b);
}

/* The same when the writer is another process, e.g. `cmpd tenant set` beside a server. */
static void test_store_tenant_change_by_another_process_is_seen(void **state)
{
    struct fixture *f = *state;
    int status = 0;
    pid_t pid;

    set_licence(f->store, f->tenant_a, true, &f->err);
    read_into_cache(f, f->store, f->tenant_a, true);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *s = NULL;
        struct store_tenant t = tenant_rec(f->tenant_a, false, 1700000000);
        struct cmp_error err = {0};
        int rc = store_open(f->suite->location, &s, &err);
        if (!rc)
            rc = store_tenant_put(s, &t, false, &err);
        store_close(s);
        _exit(rc ? 1 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect_change_seen(f, f->store, f->tenant_a, false);
}

/* An unknown tenant is looked up every time: one registered elsewhere is found at once. */
static void test_store_tenant_not_found_is_never_cached(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = tenant_rec(f->tenant_a, true, 1700000000);
    struct store__tenant_cache *c = tenant_cache(f->store);
    struct store_tenant got;
    struct store *b = NULL;
    uint64_t hits;

    assert_int_equal(store_open(f->suite->location, &b, &f->err), 0);
    hits = c->hits;
    expect_not_found(f, store_tenant_get(f->store, f->tenant_a, &got, &f->err));
    expect_not_found(f, store_tenant_get(f->store, f->tenant_a, &got, &f->err));
    assert_true(c->hits == hits);
    /* Registration (only_if_new, as auto-registration does) tells no cache: none needs it. */
    assert_int_equal(store_tenant_put(b, &t, true, &f->err), 0);
    assert_true(licensed(f, f->store, f->tenant_a));
    store_close(b);
}

/* A connection's own update replaces its entry at once (on PostgreSQL too, notification or not). */
static void test_store_tenant_put_drops_the_connection_s_own_entry(void **state)
{
    struct fixture *f = *state;

    set_licence(f->store, f->tenant_a, true, &f->err);
    read_into_cache(f, f->store, f->tenant_a, true);
    tenant_cache(f->store)->ttl_ms = 3600 * 1000;
    set_licence(f->store, f->tenant_a, false, &f->err);
    assert_false(licensed(f, f->store, f->tenant_a));
    set_licence(f->store, f->tenant_a, true, &f->err);
    assert_true(licensed(f, f->store, f->tenant_a));
}

/* Past the TTL an entry is read again, whatever the epoch says. */
static void test_store_tenant_entry_is_read_again_after_the_ttl(void **state)
{
    struct fixture *f = *state;
    struct store__tenant_cache *c = tenant_cache(f->store);
    struct timespec pause = {0, 300 * 1000000};
    uint64_t misses;

    set_licence(f->store, f->tenant_a, true, &f->err);
    c->ttl_ms = 200;
    read_into_cache(f, f->store, f->tenant_a, true);
    nanosleep(&pause, NULL);
    misses = c->misses;
    assert_true(licensed(f, f->store, f->tenant_a));
    assert_true(c->misses == misses + 1);
    read_into_cache(f, f->store, f->tenant_a, true);
}

/* ---- durability and concurrency ---- */

static void reopen(struct fixture *f)
{
    store_close(f->store);
    f->store = NULL;
    assert_int_equal(store_open(f->suite->location, &f->store, &f->err), 0);
}
/* The first value stored under a name wins; later candidates get it back unchanged. */
static void test_store_secret_first_value_wins(void **state)
{
    struct fixture *f = *state;
    char name[64];
    unsigned char first[40];
    unsigned char second[40];
    unsigned char *got = NULL;
    size_t n = 0;

    /* A name of this test's own: the database may be shared with other runs. */
    snprintf(name, sizeof name, "test-%s", f->tenant_a);
    memset(first, 0xa5, sizeof first);
    first[3] = 0; /* binary: a NUL inside must survive */
    memset(second, 0x5a, sizeof second);
    assert_int_equal(store_secret_ensure(f->store, name, NULL, 0, f->arena, &got, &n, &f->err),
                     CMP_ENOTFOUND);
    cmp_error_clear(&f->err);
    assert_int_equal(
        store_secret_ensure(f->store, name, first, sizeof first, f->arena, &got, &n, &f->err), 0);
    assert_int_equal(n, sizeof first);
    assert_memory_equal(got, first, sizeof first);
    assert_int_equal(got[n], 0);
    assert_int_equal(
        store_secret_ensure(f->store, name, second, sizeof second, f->arena, &got, &n, &f->err), 0);
    assert_int_equal(n, sizeof first);
    assert_memory_equal(got, first, sizeof first);
    /* Reading only. */
    assert_int_equal(store_secret_ensure(f->store, name, NULL, 0, f->arena, &got, &n, &f->err), 0);
    assert_int_equal(n, sizeof first);
    assert_memory_equal(got, first, sizeof first);
}

/* Each name holds its own value. */
static void test_store_secrets_are_kept_by_name(void **state)
{
    struct fixture *f = *state;
    char a_name[64];
    char b_name[64];
    unsigned char *got = NULL;
    size_t n = 0;

    snprintf(a_name, sizeof a_name, "test-%s", f->tenant_a);
    snprintf(b_name, sizeof b_name, "test-%s", f->tenant_b);
    assert_int_equal(store_secret_ensure(f->store, a_name, "alpha", 5, f->arena, &got, &n, &f->err),
                     0);
    assert_int_equal(
        store_secret_ensure(f->store, b_name, "bravo!", 6, f->arena, &got, &n, &f->err), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(got, "bravo!", 6);
    assert_int_equal(store_secret_ensure(f->store, a_name, "other", 5, f->arena, &got, &n, &f->err),
                     0);
    assert_memory_equal(got, "alpha", 5);
}

static void test_store_data_survives_close_and_reopen(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    reopen(f);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&p, &got);
}

static void test_store_opening_again_keeps_schema_and_data(void **state)
{
    struct fixture *f = *state;
    struct store *second = NULL;
    struct graph_partner p;
    struct graph_partner got;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    /* A second connection while the first is open, then the first again: migrations no-op. */
    assert_int_equal(store_open(f->suite->location, &second, &f->err), 0);
    assert_string_equal(store_backend(second), store_backend(f->store));
    assert_int_equal(store_partner_get(second, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    store_close(second);
    reopen(f);
    reopen(f);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&p, &got);
}

/* A child process commits a write and is killed before it can close anything. */
static void test_store_committed_write_survives_kill(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;
    int status = 0;
    pid_t pid;

    full_partner(f->arena, &p);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *s = NULL;
        struct cmp_error err = {0};
        if (store_open(f->suite->location, &s, &err) ||
            store_partner_insert(s, f->tenant_a, &p, &err))
            _exit(1);
        raise(SIGKILL);
        _exit(2);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_partner_equal(&p, &got);
}

#define WRITER_THREADS 2
#define WRITER_ROWS 200

struct writer {
    const char *location;
    const char *tenant;
    pthread_barrier_t *start;
    int failures;
};

/* Opens its own connection (a store is one thread's) and inserts WRITER_ROWS partners. */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};
    struct graph_partner p;
    int i;

    if (store_open(w->location, &s, &err)) {
        w->failures = WRITER_ROWS;
        pthread_barrier_wait(w->start);
        return NULL;
    }
    pthread_barrier_wait(w->start);
    for (i = 0; i < WRITER_ROWS; i++) {
        graph_partner_defaults(&p);
        p.display_name = "concurrent";
        if (uuid_v4(p.id) || store_partner_insert(s, w->tenant, &p, &err)) {
            w->failures++;
            cmp_error_clear(&err);
        }
    }
    store_close(s);
    return NULL;
}

static void test_store_concurrent_writers_lose_nothing(void **state)
{
    struct fixture *f = *state;
    struct writer w[WRITER_THREADS];
    pthread_t th[WRITER_THREADS];
    pthread_barrier_t start;
    int64_t n = -1;
    int i;

    assert_int_equal(pthread_barrier_init(&start, NULL, WRITER_THREADS), 0);
    for (i = 0; i < WRITER_THREADS; i++) {
        w[i] = (struct writer){f->suite->location, f->tenant_a, &start, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < WRITER_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(store_partner_count(f->store, f->tenant_a, NULL, &n, &f->err), 0);
    assert_int_equal(n, WRITER_THREADS * WRITER_ROWS);
}

/* ---- throttling ---- */

/* A key name of this test's own (tests share one database). */
static const char *throttle_key(struct fixture *f, const char *what)
{
    return arena_sprintf(f->arena, "test:%s:%s", f->tenant_a, what);
}

/* One take of `n` keys; returns Retry-After (0: admitted). */
static int take(struct fixture *f, struct store *s, const struct store_throttle_key *keys, size_t n,
                int window)
{
    int retry = -1;

    assert_int_equal(store_throttle_take(s, keys, n, window, &retry, &f->err), 0);
    assert_true(retry >= 0 && retry <= window);
    return retry;
}

static void test_store_throttle_admits_up_to_the_limit(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k = {throttle_key(f, "a"), 3};
    struct store_throttle_key other = {throttle_key(f, "b"), 3};
    struct store_throttle_key free_key = {throttle_key(f, "c"), 0};
    int retry;
    int i;

    for (i = 0; i < 3; i++)
        assert_int_equal(take(f, f->store, &k, 1, 60), 0);
    retry = take(f, f->store, &k, 1, 60);
    /* All three within the last second or two: free again after most of the window. */
    assert_true(retry >= 58 && retry <= 60);
    assert_int_equal(take(f, f->store, &other, 1, 60), 0);
    for (i = 0; i < 50; i++)
        assert_int_equal(take(f, f->store, &free_key, 1, 60), 0);
    /* No key with a limit: nothing to count. */
    assert_int_equal(take(f, f->store, NULL, 0, 60), 0);
}

static void test_store_throttle_refusal_counts_in_no_key(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key both[2] = {{throttle_key(f, "full"), 1},
                                         {throttle_key(f, "roomy"), 2}};
    int i;

    assert_int_equal(take(f, f->store, &both[0], 1, 60), 0);
    for (i = 0; i < 5; i++)
        assert_int_not_equal(take(f, f->store, both, 2, 60), 0);
    /* Both slots of "roomy" are still free. */
    assert_int_equal(take(f, f->store, &both[1], 1, 60), 0);
    assert_int_equal(take(f, f->store, &both[1], 1, 60), 0);
    assert_int_not_equal(take(f, f->store, &both[1], 1, 60), 0);
}

/* A key name goes to the store as data, whatever its characters. */
static void test_store_throttle_names_are_data(void **state)
{
    struct fixture *f = *state;
    static const char *const odd[] = {"q\"uote",
                                      "back\\slash",
                                      "com,ma",
                                      "{brace}",
                                      "sp ace",
                                      "NULL",
                                      "'; DROP TABLE partners; --",
                                      "\xc3\xbc\xe6\x97\xa5"};
    struct store_throttle_key k[STORE_THROTTLE_MAX_KEYS];
    size_t i;

    for (i = 0; i < STORE_THROTTLE_MAX_KEYS; i++)
        k[i] = (struct store_throttle_key){throttle_key(f, odd[i]), 1};
    assert_int_equal(take(f, f->store, k, STORE_THROTTLE_MAX_KEYS, 60), 0);
    /* Each one alone is full now: every name was counted under itself. */
    for (i = 0; i < STORE_THROTTLE_MAX_KEYS; i++)
        assert_int_not_equal(take(f, f->store, &k[i], 1, 60), 0);
}

static void test_store_throttle_rejects_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k[STORE_THROTTLE_MAX_KEYS + 1];
    char *long_name = arena_alloc(f->arena, STORE_THROTTLE_MAX_NAME + 2);
    int retry = -1;
    size_t i;

    for (i = 0; i <= STORE_THROTTLE_MAX_KEYS; i++)
        k[i] =
            (struct store_throttle_key){arena_sprintf(f->arena, "test:%s:%zu", f->tenant_a, i), 1};
    assert_int_equal(
        store_throttle_take(f->store, k, STORE_THROTTLE_MAX_KEYS + 1, 60, &retry, &f->err),
        CMP_EINTERNAL);
    cmp_error_clear(&f->err);
    assert_int_equal(store_throttle_take(f->store, k, 1, 0, &retry, &f->err), CMP_EINTERNAL);
    cmp_error_clear(&f->err);
    assert_int_equal(
        store_throttle_take(f->store, k, 1, STORE_THROTTLE_MAX_WINDOW + 1, &retry, &f->err),
        CMP_EINTERNAL);
    cmp_error_clear(&f->err);
    k[1].name = k[0].name;
    assert_int_equal(store_throttle_take(f->store, k, 2, 60, &retry, &f->err), CMP_EINTERNAL);
    cmp_error_clear(&f->err);
    memset(long_name, 'x', STORE_THROTTLE_MAX_NAME + 1);
    long_name[STORE_THROTTLE_MAX_NAME + 1] = '\0';
    k[0].name = long_name;
    assert_int_equal(store_throttle_take(f->store, k, 1, 60, &retry, &f->err), CMP_EINTERNAL);
    cmp_error_clear(&f->err);
    /* Nothing was counted by the refused calls. */
    k[0].name = arena_sprintf(f->arena, "test:%s:0", f->tenant_a);
    assert_int_equal(take(f, f->store, k, 1, 60), 0);
}

/* Waiting what Retry-After says gets through (one-second window: the real clock moves). */
static void test_store_throttle_waiting_retry_after_gets_through(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k = {throttle_key(f, "slide"), 2};
    struct timespec ts;
    int retry;

    assert_int_equal(take(f, f->store, &k, 1, 1), 0);
    assert_int_equal(take(f, f->store, &k, 1, 1), 0);
    retry = take(f, f->store, &k, 1, 1);
    assert_int_equal(retry, 1);
    ts = (struct timespec){retry, 0};
    nanosleep(&ts, NULL);
    assert_int_equal(take(f, f->store, &k, 1, 1), 0);
    assert_int_equal(take(f, f->store, &k, 1, 1), 0);
}

/* Every connection to the store counts in the same windows. */
static void test_store_throttle_is_shared_by_connections(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k = {throttle_key(f, "shared"), 4};
    struct store *second = NULL;

    assert_int_equal(store_open(f->suite->location, &second, &f->err), 0);
    assert_int_equal(take(f, f->store, &k, 1, 60), 0);
    assert_int_equal(take(f, second, &k, 1, 60), 0);
    assert_int_equal(take(f, f->store, &k, 1, 60), 0);
    assert_int_equal(take(f, second, &k, 1, 60), 0);
    assert_int_not_equal(take(f, f->store, &k, 1, 60), 0);
    assert_int_not_equal(take(f, second, &k, 1, 60), 0);
    store_close(second);
}

#define TAKER_THREADS 6
#define TAKER_TAKES 60

struct taker {
    const char *location;
    struct store_throttle_key keys[2]; /* a shared key, and one of the thread's own */
    pthread_barrier_t *start;
    int admitted;
    int failures;
};

/* Opens its own connection and takes TAKER_TAKES times. */
static void *taker_main(void *arg)
{
    struct taker *t = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};
    int i;

    if (store_open(t->location, &s, &err)) {
        t->failures = TAKER_TAKES;
        pthread_barrier_wait(t->start);
        return NULL;
    }
    pthread_barrier_wait(t->start);
    for (i = 0; i < TAKER_TAKES; i++) {
        int retry = -1;
        if (store_throttle_take(s, t->keys, 2, 60, &retry, &err)) {
            t->failures++;
            cmp_error_clear(&err);
        } else if (retry == 0) {
            t->admitted++;
        }
    }
    store_close(s);
    return NULL;
}

/* Connections taking at once never admit more than the limit, and admit exactly that many. */
static void test_store_throttle_concurrent_takes_admit_exactly_the_limit(void **state)
{
    struct fixture *f = *state;
    struct taker t[TAKER_THREADS];
    pthread_t th[TAKER_THREADS];
    pthread_barrier_t start;
    const char *shared = throttle_key(f, "together");
    int total = 0;
    int i;

    assert_int_equal(pthread_barrier_init(&start, NULL, TAKER_THREADS), 0);
    for (i = 0; i < TAKER_THREADS; i++) {
        t[i] = (struct taker){f->suite->location,
                              {{shared, 100}, {arena_sprintf(f->arena, "%s:%d", shared, i), 30}},
                              &start,
                              0,
                              0};
        assert_int_equal(pthread_create(&th[i], NULL, taker_main, &t[i]), 0);
    }
    for (i = 0; i < TAKER_THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (i = 0; i < TAKER_THREADS; i++) {
        assert_int_equal(t[i].failures, 0);
        assert_true(t[i].admitted <= 30);
        total += t[i].admitted;
    }
    /* 6 x 60 tries: the shared limit (100) binds before the threads' own (6 x 30). */
    assert_int_equal(total, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_insert_then_get_returns_every_property, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_insert_then_get_keeps_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_keeps_heartbeat_text_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_get_copies_strings_into_the_arena, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_duplicate_id_is_a_store_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_patch_merges_only_present_properties, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_patch_replaces_collections_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_patch_never_changes_the_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_unknown_id_is_not_found_everywhere, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_delete_removes_the_partner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_other_tenant_sees_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_not_found_message_does_not_tell_tenants_apart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_list_pages_visit_each_row_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_list_reads_whole_partners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_list_zero_limit_only_tells_more, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_count_counts_the_tenant_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_registry_puts_gets_and_lists, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_put_only_if_new_keeps_the_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_lookup_is_cached_per_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_change_by_another_connection_is_seen,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_change_by_another_process_is_seen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_not_found_is_never_cached, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_put_drops_the_connection_s_own_entry,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_entry_is_read_again_after_the_ttl, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_secret_first_value_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_secrets_are_kept_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_data_survives_close_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_opening_again_keeps_schema_and_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_committed_write_survives_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_concurrent_writers_lose_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_admits_up_to_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_refusal_counts_in_no_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_names_are_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_waiting_retry_after_gets_through, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_throttle_is_shared_by_connections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_store_throttle_concurrent_takes_admit_exactly_the_limit, setup, teardown),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
