/*
 * tests/unit/test_store_bulk.c - the store operations behind cmpd export/import, tenant reset and
 * serve --seed (store/store.h): deleting a tenant's partners, the tenants that hold partners,
 * walking a tenant page by page, and bulk transactions.
 *
 * Backend-independent like test_store.c: the location comes from $CMPD_TEST_STORE when set
 * (tests/run.sh runs this file again on a fresh PostgreSQL database), else a fresh mkdtemp
 * directory (SQLite).  Every test works in tenants of its own (random GUIDs).
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
#include "store/sqlite/sqlite_impl.h"
#include "store/store.h"

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
    struct store *other; /* a second connection to the same store */
    struct arena *arena;
    char tenant_a[UUID_STR_LEN + 1];
    char tenant_b[UUID_STR_LEN + 1];
    struct cmp_error err;
};

/* ---- helpers ---- */

static void new_id(char out[UUID_STR_LEN + 1])
{
    assert_int_equal(uuid_v4(out), 0);
}

/* Insert `n` partners named "<prefix> <i>" into `tenant`; their ids into ids[] when not NULL. */
static void insert_n(struct fixture *f, struct store *s, const char *tenant, size_t n,
                     const char *prefix, char (*ids)[UUID_STR_LEN + 1])
{
    struct graph_partner p;
    size_t i;

    for (i = 0; i < n; i++) {
        graph_partner_defaults(&p);
        new_id(p.id);
        p.display_name = arena_sprintf(f->arena, "%s %zu", prefix, i);
        assert_int_equal(store_partner_insert(s, tenant, &p, &f->err), 0);
        if (ids)
            memcpy(ids[i], p.id, sizeof ids[i]);
    }
}

static int64_t count(struct fixture *f, struct store *s, const char *tenant)
{
    int64_t n = -1;

    assert_int_equal(store_partner_count(s, tenant, NULL, &n, &f->err), 0);
    return n;
}

static bool exists(struct fixture *f, struct store *s, const char *tenant, const char *id)
{
    struct graph_partner got;
    int rc = store_partner_get(s, tenant, id, f->arena, &got, &f->err);

    if (rc == CMP_ENOTFOUND) {
        cmp_error_clear(&f->err);
        return false;
    }
    assert_int_equal(rc, 0);
    return true;
}

/* The position of `tenant` in store_partner_tenants(), or -1. */
static long tenant_index(struct fixture *f, const char *tenant)
{
    const char **ids;
    size_t n;
    size_t i;
    long at = -1;

    assert_int_equal(store_partner_tenants(f->store, f->arena, &ids, &n, &f->err), 0);
    for (i = 0; i < n; i++) {
        if (i > 0)
            assert_true(strcmp(ids[i - 1], ids[i]) < 0); /* ascending, each once */
        if (strcmp(ids[i], tenant) == 0)
            at = (long)i;
    }
    return at;
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
        snprintf(s->dir, sizeof s->dir, "/tmp/cmpd-test-bulk-XXXXXX");
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
    struct suite *s = *state;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal",
                                           STORE_SQLITE_EPOCH_SUFFIX};
    char p[512];
    size_t i;

    if (s->db_path[0]) {
        for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
            snprintf(p, sizeof p, "%s%s", s->db_path, suffixes[i]);
            unlink(p);
        }
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
    if (!f->arena || store_open(f->suite->location, &f->store, &f->err) ||
        store_open(f->suite->location, &f->other, &f->err))
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
    store_close(f->other);
    store_close(f->store);
    arena_free(f->arena);
    free(f);
    return 0;
}

/* ---- deleting a tenant's partners ---- */

static void test_store_delete_all_takes_one_tenant_only(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = {0};
    struct store_tenant got;
    int64_t deleted = -1;

    memcpy(t.id, f->tenant_a, sizeof t.id);
    t.intune_licensed = true;
    t.created = 1700000000;
    assert_int_equal(store_tenant_put(f->store, &t, false, &f->err), 0);
    insert_n(f, f->store, f->tenant_a, 30, "a", NULL);
    insert_n(f, f->store, f->tenant_b, 7, "b", NULL);
    assert_int_equal(store_partner_delete_all(f->store, f->tenant_a, &deleted, &f->err), 0);
    assert_int_equal(deleted, 30);
    assert_int_equal(count(f, f->store, f->tenant_a), 0);
    assert_int_equal(count(f, f->other, f->tenant_b), 7);
    /* The registration stays as it was. */
    assert_int_equal(store_tenant_get(f->other, f->tenant_a, &got, &f->err), 0);
    assert_true(got.intune_licensed);
    assert_int_equal(got.created, 1700000000);
}

static void test_store_delete_all_of_an_empty_tenant_deletes_nothing(void **state)
{
    struct fixture *f = *state;
    int64_t deleted = -1;

    assert_int_equal(store_partner_delete_all(f->store, f->tenant_a, &deleted, &f->err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(f->err.code, 0);
}

/* ---- the tenants that hold partners ---- */

static void test_store_partner_tenants_lists_tenants_with_partners(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = {0};
    int64_t deleted;

    /* Registered without partners: not listed; unregistered with partners: listed. */
    memcpy(t.id, f->tenant_b, sizeof t.id);
    assert_int_equal(store_tenant_put(f->store, &t, false, &f->err), 0);
    assert_int_equal(tenant_index(f, f->tenant_a), -1);
    assert_int_equal(tenant_index(f, f->tenant_b), -1);
    insert_n(f, f->store, f->tenant_a, 3, "a", NULL);
    assert_true(tenant_index(f, f->tenant_a) >= 0);
    assert_int_equal(tenant_index(f, f->tenant_b), -1);
    assert_int_equal(store_partner_delete_all(f->store, f->tenant_a, &deleted, &f->err), 0);
    assert_int_equal(tenant_index(f, f->tenant_a), -1);
}

/* ---- walking a tenant a page at a time (what export does) ---- */

static void test_store_keyset_walk_returns_every_partner_in_insertion_order(void **state)
{
    struct fixture *f = *state;
    char ids[250][UUID_STR_LEN + 1];
    struct store_list_req req = {.limit = 40};
    struct store_cursor after;
    struct store_page page;
    size_t seen = 0;
    size_t i;

    insert_n(f, f->store, f->tenant_a, 250, "w", ids);
    insert_n(f, f->store, f->tenant_b, 5, "other", NULL);
    do {
        assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err),
                         0);
        for (i = 0; i < page.n; i++) {
            assert_true(seen < 250);
            assert_string_equal(page.items[i].id, ids[seen]);
            seen++;
        }
        if (page.n) {
            after = page.last;
            req.after = &after;
        }
    } while (page.more);
    assert_int_equal(seen, 250);
}

/* ---- bulk transactions ---- */

static void test_store_bulk_commit_makes_every_write_visible_at_once(void **state)
{
    struct fixture *f = *state;
    char ids[20][UUID_STR_LEN + 1];

    assert_int_equal(store_bulk_begin(f->store, &f->err), 0);
    insert_n(f, f->store, f->tenant_a, 20, "bulk", ids);
    /* The writer reads its own writes; another connection sees none of them yet. */
    assert_true(exists(f, f->store, f->tenant_a, ids[19]));
    assert_int_equal(count(f, f->other, f->tenant_a), 0);
    assert_int_equal(store_bulk_end(f->store, true, &f->err), 0);
    assert_int_equal(count(f, f->other, f->tenant_a), 20);
    assert_true(exists(f, f->other, f->tenant_a, ids[0]));
}

static void test_store_bulk_rollback_leaves_the_store_as_it_was(void **state)
{
    struct fixture *f = *state;
    char kept[3][UUID_STR_LEN + 1];
    int64_t deleted;

    insert_n(f, f->store, f->tenant_a, 3, "kept", kept);
    insert_n(f, f->store, f->tenant_b, 2, "b", NULL);
    assert_int_equal(store_bulk_begin(f->store, &f->err), 0);
    insert_n(f, f->store, f->tenant_a, 5, "gone", NULL);
    assert_int_equal(store_partner_delete(f->store, f->tenant_a, kept[1], &f->err), 0);
    assert_int_equal(store_partner_delete_all(f->store, f->tenant_b, &deleted, &f->err), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(store_bulk_end(f->store, false, &f->err), 0);
    assert_int_equal(count(f, f->other, f->tenant_a), 3);
    assert_int_equal(count(f, f->other, f->tenant_b), 2);
    assert_true(exists(f, f->store, f->tenant_a, kept[1]));
    /* The connection is usable as before. */
    insert_n(f, f->store, f->tenant_a, 1, "after", NULL);
    assert_int_equal(count(f, f->other, f->tenant_a), 4);
}

static void test_store_bulk_replace_keeps_the_id_with_new_values(void **state)
{
    struct fixture *f = *state;
    char ids[1][UUID_STR_LEN + 1];
    struct graph_partner p;
    struct graph_partner got;

    insert_n(f, f->store, f->tenant_a, 1, "old", ids);
    assert_int_equal(store_bulk_begin(f->store, &f->err), 0);
    graph_partner_defaults(&p);
    memcpy(p.id, ids[0], sizeof p.id);
    p.display_name = "new";
    p.partner_state = 2;
    /* A duplicate id is refused; delete then insert replaces it. */
    assert_int_equal(store_partner_delete(f->store, f->tenant_a, p.id, &f->err), 0);
    assert_int_equal(store_partner_insert(f->store, f->tenant_a, &p, &f->err), 0);
    assert_int_equal(store_bulk_end(f->store, true, &f->err), 0);
    assert_int_equal(store_partner_get(f->other, f->tenant_a, ids[0], f->arena, &got, &f->err), 0);
    assert_string_equal(got.display_name, "new");
    assert_int_equal(got.partner_state, 2);
    assert_int_equal(count(f, f->other, f->tenant_a), 1);
}

static void test_store_bulk_registers_tenants_in_the_transaction(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = {0};
    struct store_tenant got;

    memcpy(t.id, f->tenant_a, sizeof t.id);
    t.intune_licensed = true;
    assert_int_equal(store_bulk_begin(f->store, &f->err), 0);
    assert_int_equal(store_tenant_put(f->store, &t, true, &f->err), 0);
    assert_int_equal(store_bulk_end(f->store, false, &f->err), 0);
    assert_int_equal(store_tenant_get(f->other, f->tenant_a, &got, &f->err), CMP_ENOTFOUND);
    cmp_error_clear(&f->err);
    assert_int_equal(store_bulk_begin(f->store, &f->err), 0);
    assert_int_equal(store_tenant_put(f->store, &t, true, &f->err), 0);
    assert_int_equal(store_bulk_end(f->store, true, &f->err), 0);
    assert_int_equal(store_tenant_get(f->other, f->tenant_a, &got, &f->err), 0);
    assert_true(got.intune_licensed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_delete_all_takes_one_tenant_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_delete_all_of_an_empty_tenant_deletes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_partner_tenants_lists_tenants_with_partners,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_keyset_walk_returns_every_partner_in_insertion_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_bulk_commit_makes_every_write_visible_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_bulk_rollback_leaves_the_store_as_it_was, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_bulk_replace_keeps_the_id_with_new_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_bulk_registers_tenants_in_the_transaction, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
