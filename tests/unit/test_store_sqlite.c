/*
 * tests/unit/test_store_sqlite.c - what only the SQLite backend has: locations and the data
 * directory (store/store.c), the schema and its migrations, WAL locking and damaged rows
 * (store/sqlite/).  The backend-independent behaviour is tested by test_store.c.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "store/store.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

/* A fresh data directory with the store open on it. */
struct fixture {
    char dir[64];
    char db[96]; /* dir/cmpd.db */
    struct store *store;
    struct arena *arena;
    char tenant_a[UUID_STR_LEN + 1];
    struct cmp_error err;
};

static void new_id(char out[UUID_STR_LEN + 1])
{
    assert_int_equal(uuid_v4(out), 0);
}

/* A partner with a name and one assignment, under a new id. */
static void full_partner(struct arena *a, struct graph_partner *p)
{
    struct graph_assignment *one = arena_calloc(a, 1, sizeof *one);

    assert_non_null(one);
    graph_partner_defaults(p);
    new_id(p->id);
    p->display_name = "Contoso";
    one->kind = GRAPH_TARGET_GROUP;
    one->target_id = "a8c1b5c0-7c6e-4a26-9a8e-1f0a4f3c2d11";
    p->ios_assignments = (struct graph_assignments){one, 1};
    p->android_assignments = (struct graph_assignments){one, 1};
}

static void insert(struct fixture *f, const char *tenant, const struct graph_partner *p)
{
    assert_int_equal(store_partner_insert(f->store, tenant, p, &f->err), 0);
}

static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
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

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-test-sqlite-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/cmpd.db", f->dir);
    f->arena = arena_new(0);
    if (!f->arena || store_open(f->dir, &f->store, &f->err))
        return -1;
    new_id(f->tenant_a);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->store);
    arena_free(f->arena);
    remove_db_files(f->db);
    if (rmdir(f->dir) != 0)
        fprintf(stderr, "test left files in %s\n", f->dir);
    free(f);
    return 0;
}

/* ---- locations ---- */

static void test_store_open_creates_a_missing_data_dir_0700(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct stat sb;
    char dir[400];
    char db[420];

    snprintf(dir, sizeof dir, "%s/data", f->dir);
    snprintf(db, sizeof db, "%s/cmpd.db", dir);
    assert_int_equal(store_open(dir, &s, &f->err), 0);
    assert_string_equal(store_backend(s), "sqlite");
    store_close(s);
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(db, &sb), 0);
    /* A trailing slash names the same directory. */
    snprintf(db, sizeof db, "%s/", dir);
    assert_int_equal(store_open(db, &s, &f->err), 0);
    store_close(s);
    snprintf(db, sizeof db, "%s/cmpd.db", dir);
    remove_db_files(db);
    assert_int_equal(rmdir(dir), 0);
}

static void test_store_open_sqlite_prefix_names_the_file(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct stat sb;
    char loc[420];

    snprintf(loc, sizeof loc, "sqlite:%s/other.db", f->dir);
    assert_int_equal(store_open(loc, &s, &f->err), 0);
    store_close(s);
    assert_int_equal(stat(loc + strlen("sqlite:"), &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    remove_db_files(loc + strlen("sqlite:"));
}

static void test_store_open_refuses_bad_locations(void **state)
{
    static const struct {
        const char *scheme;
        bool in_dir; /* `path` is under the suite directory */
        const char *path;
        int code;
    } cases[] = {
        {"", false, "", CMP_ESTORE},
        {"sqlite:", false, "", CMP_ESTORE},
        {"postgres://", false, "cmpd@localhost/cmpd", CMP_ESTORE},
        {"postgresql://", false, "localhost", CMP_ESTORE},
        {"", true, "cmpd.db", CMP_EIO},        /* a file where a directory is expected */
        {"", true, "no/such/parent", CMP_EIO}, /* only the last component is created */
        {"sqlite:", true, "no/such/dir/x.db", CMP_ESTORE},
    };
    struct fixture *f = *state;
    struct store *s = NULL;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        char loc[512];
        int rc;
        snprintf(loc, sizeof loc, "%s%s%s%s", cases[i].scheme, cases[i].in_dir ? f->dir : "",
                 cases[i].in_dir ? "/" : "", cases[i].path);
        rc = store_open(loc, &s, &f->err);
        if (rc != cases[i].code)
            fail_msg("store_open(\"%s\") = %d, want %d", loc, rc, cases[i].code);
        assert_null(s);
        cmp_error_clear(&f->err);
    }
    assert_int_equal(store_open("postgres://x", &s, &f->err), CMP_ESTORE);
    assert_string_equal(f->err.msg, "PostgreSQL backend not built yet");
}

/* ---- the database file ---- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
}

/* Run `sql` with ?1 bound to `text`. */
static void raw_exec1(sqlite3 *db, const char *sql, const char *text)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static void test_store_schema_has_a_column_per_model_property(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db;
    char sql[256];
    size_t i;

    db = raw_open(f->db);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(raw_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pragma_table_info('partners') WHERE name = '%s'",
                 graph_partner_props[i].column);
        if (raw_int(db, sql) != 1)
            fail_msg("no column %s", graph_partner_props[i].column);
    }
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('partners') WHERE name IN "
                                 "('seq', 'tenant', 'last_heartbeat', 'created', 'modified')"),
                     5);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_index_list('partners') WHERE "
                                 "name IN ('partners_tenant_seq', 'partners_tenant_name', "
                                 "'partners_tenant_state_name', 'partners_tenant_heartbeat') "
                                 "OR \"unique\" = 1"),
                     5);
    sqlite3_close(db);
}

#define OPEN_RACERS 4

struct racer {
    const char *location;
    pthread_barrier_t *start;
    int rc;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};

    pthread_barrier_wait(r->start);
    r->rc = store_open(r->location, &s, &err);
    store_close(s);
    return NULL;
}

static void test_store_first_open_by_many_at_once_migrates_once(void **state)
{
    struct fixture *f = *state;
    struct racer r[OPEN_RACERS];
    pthread_t th[OPEN_RACERS];
    pthread_barrier_t start;
    char loc[420];
    sqlite3 *db;
    int i;

    snprintf(loc, sizeof loc, "sqlite:%s/race.db", f->dir);
    assert_int_equal(pthread_barrier_init(&start, NULL, OPEN_RACERS), 0);
    for (i = 0; i < OPEN_RACERS; i++) {
        r[i] = (struct racer){loc, &start, -1};
        assert_int_equal(pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
    }
    for (i = 0; i < OPEN_RACERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(r[i].rc, 0);
    }
    pthread_barrier_destroy(&start);
    db = raw_open(loc + strlen("sqlite:"));
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), 2);
    sqlite3_close(db);
    remove_db_files(loc + strlen("sqlite:"));
}

/* A database of schema v1 (no listing indexes) gains them on open and keeps its rows. */
static void test_store_migrates_v1_to_v2(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;
    sqlite3 *db;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    store_close(f->store);
    f->store = NULL;
    db = raw_open(f->db);
    raw_exec(db, "DROP INDEX partners_tenant_name; DROP INDEX partners_tenant_state_name; "
                 "DROP INDEX partners_tenant_heartbeat; PRAGMA user_version = 1");
    sqlite3_close(db);
    assert_int_equal(store_open(f->dir, &f->store, &f->err), 0);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_string_equal(got.display_name, p.display_name);
    db = raw_open(f->db);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_index_list('partners') WHERE name IN "
                                 "('partners_tenant_name', 'partners_tenant_state_name', "
                                 "'partners_tenant_heartbeat')"),
                     3);
    sqlite3_close(db);
}

static void test_store_refuses_a_newer_schema(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    char loc[420];
    sqlite3 *db;

    snprintf(loc, sizeof loc, "sqlite:%s/newer.db", f->dir);
    assert_int_equal(store_open(loc, &s, &f->err), 0);
    store_close(s);
    s = NULL;
    db = raw_open(loc + strlen("sqlite:"));
    raw_exec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    assert_int_equal(store_open(loc, &s, &f->err), CMP_ESTORE);
    assert_null(s);
    remove_db_files(loc + strlen("sqlite:"));
}

/* Another connection holds the write lock past the busy timeout: 503, not 500. */
static void test_store_locked_database_is_unavailable(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;
    sqlite3 *db;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    memset(&patch, 0, sizeof patch);
    patch.present = GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE);
    db = raw_open(f->db);
    sqlite3_busy_timeout(db, 0);
    raw_exec(db, "BEGIN IMMEDIATE");
    /* WAL: readers go on while another connection writes. */
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &out, &f->err), 0);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant_a, p.id, &patch, f->arena, &out, &f->err),
        CMP_EUNAVAILABLE);
    assert_true(f->err.retry_after > 0);
    raw_exec(db, "ROLLBACK");
    sqlite3_close(db);
    cmp_error_clear(&f->err);
    /* Reads were never blocked, and writes resume once the lock is gone. */
    assert_int_equal(
        store_partner_patch(f->store, f->tenant_a, p.id, &patch, f->arena, &out, &f->err), 0);
}

static void test_store_damaged_row_is_a_store_error(void **state)
{
    static const char *const damage[] = {
        "UPDATE partners SET ios_assignments = '[{' WHERE id = ?1",
        "UPDATE partners SET android_assignments = '[{\"target\":{}}]' WHERE id = ?1",
        "UPDATE partners SET partner_state = 99 WHERE id = ?1",
        "UPDATE partners SET id = '"
        "0123456789012345678901234567890123456789"
        "' WHERE id = ?1",
    };
    struct fixture *f = *state;
    struct store_list_req req = {.limit = 10};
    struct store_page page;
    struct graph_partner p;
    struct graph_partner out;
    sqlite3 *db;
    size_t i;

    db = raw_open(f->db);
    for (i = 0; i < sizeof damage / sizeof *damage; i++) {
        char tenant[UUID_STR_LEN + 1];
        new_id(tenant);
        full_partner(f->arena, &p);
        insert(f, tenant, &p);
        raw_exec1(db, damage[i], p.id);
        assert_int_equal(store_partner_get(f->store, tenant, p.id, f->arena, &out, &f->err),
                         i == 3 ? CMP_ENOTFOUND : CMP_ESTORE);
        cmp_error_clear(&f->err);
        assert_int_equal(store_partner_list(f->store, tenant, &req, f->arena, &page, &f->err),
                         CMP_ESTORE);
        assert_string_equal(cmp_error_message(&f->err), cmp_err_default_msg(CMP_ESTORE));
        cmp_error_clear(&f->err);
    }
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open_creates_a_missing_data_dir_0700, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_open_sqlite_prefix_names_the_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_open_refuses_bad_locations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_schema_has_a_column_per_model_property, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_first_open_by_many_at_once_migrates_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_migrates_v1_to_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_a_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_locked_database_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_damaged_row_is_a_store_error, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
