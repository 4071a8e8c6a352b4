/*
 * tests/unit/test_store_sqlite.c - what only the SQLite backend has: locations and the data
 * directory (store/store.c), the schema and its migrations, WAL locking and damaged rows
 * (store/sqlite/), the tenant epoch file, its statement cache, and the query plans of listings
 * over 1,000,000 partners.
 * The backend-independent behaviour is tested by test_store.c and test_store_query.c.
 */
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/store.h"
#include "test_store_ast.h" /* which includes cmocka.h */

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
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal",
                                           STORE_SQLITE_EPOCH_SUFFIX};
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
        {"", true, "cmpd.db", CMP_EIO},                 /* a file where a directory is expected */
        {"", true, "no/such/parent", CMP_EIO},          /* only the last component is created */
        {"sqlite:", true, "no/such/dir/x.db", CMP_EIO}, /* SQLite creates no directory */
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
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
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
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), 3);
    sqlite3_close(db);
    remove_db_files(loc + strlen("sqlite:"));
}

/* A database of schema v1 (no listing indexes, no secrets) gains them on open, keeps its rows. */
static void test_store_migrates_v1_to_current(void **state)
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
                 "DROP INDEX partners_tenant_heartbeat; DROP TABLE secrets; "
                 "PRAGMA user_version = 1");
    sqlite3_close(db);
    assert_int_equal(store_open(f->dir, &f->store, &f->err), 0);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err), 0);
    assert_string_equal(got.display_name, p.display_name);
    db = raw_open(f->db);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
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

/* A failure inside SQLite reaches the client as the generic message, never SQLite's own text. */
static void test_store_error_text_stays_in_the_log(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner got;
    const char *msg;
    sqlite3 *db;

    full_partner(f->arena, &p);
    insert(f, f->tenant_a, &p);
    db = raw_open(f->db);
    /* The statements are prepared; a column they read disappears under them. */
    raw_exec(db, "DROP INDEX partners_tenant_name; DROP INDEX partners_tenant_state_name;"
                 "ALTER TABLE partners DROP COLUMN display_name");
    sqlite3_close(db);
    assert_int_equal(store_partner_get(f->store, f->tenant_a, p.id, f->arena, &got, &f->err),
                     CMP_ESTORE);
    msg = cmp_error_message(&f->err);
    assert_string_equal(msg, cmp_err_default_msg(CMP_ESTORE));
    assert_null(strstr(msg, "display_name"));
    assert_null(strstr(msg, "column"));
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

/* ---- the tenant epoch ---- */

/* The count in the epoch file of database `db`. */
static uint64_t epoch_of(const char *db)
{
    char path[200];
    uint64_t v = 0;
    int fd;

    snprintf(path, sizeof path, "%s%s", db, STORE_SQLITE_EPOCH_SUFFIX);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &v, sizeof v, 0), sizeof v);
    close(fd);
    return v;
}

static void put_tenant(struct fixture *f, struct store *s, const char *id, bool licensed,
                       bool only_if_new)
{
    struct store_tenant t = {.intune_licensed = licensed, .created = 1700000000};

    snprintf(t.id, sizeof t.id, "%s", id);
    assert_int_equal(store_tenant_put(s, &t, only_if_new, &f->err), 0);
}

static bool licensed(struct fixture *f, struct store *s, const char *id)
{
    struct store_tenant t;

    assert_int_equal(store_tenant_get(s, id, &t, &f->err), 0);
    return t.intune_licensed;
}

/* Next to the database, owner-only, 8 bytes; an update bumps it twice, a registration not. */
static void test_store_tenant_epoch_file_is_private_and_counts_updates(void **state)
{
    struct fixture *f = *state;
    struct store *second = NULL;
    struct stat sb;
    char path[200];
    uint64_t v;

    snprintf(path, sizeof path, "%s%s", f->db, STORE_SQLITE_EPOCH_SUFFIX);
    assert_int_equal(lstat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 8);
    v = epoch_of(f->db);
    put_tenant(f, f->store, f->tenant_a, true, true);
    assert_true(epoch_of(f->db) == v);
    put_tenant(f, f->store, f->tenant_a, false, false);
    assert_true(epoch_of(f->db) == v + 2);
    put_tenant(f, f->store, f->tenant_a, true, true);
    assert_true(epoch_of(f->db) == v + 2);
    /* Another connection maps the same count: opening keeps it, its updates add to it. */
    assert_int_equal(store_open(f->dir, &second, &f->err), 0);
    assert_true(epoch_of(f->db) == v + 2);
    put_tenant(f, second, f->tenant_a, true, false);
    store_close(second);
    assert_true(epoch_of(f->db) == v + 4);
    assert_true(licensed(f, f->store, f->tenant_a));
}

/* A change that bumped nothing (SQL by hand, an older cmpd) is seen once the TTL has passed. */
static void test_store_tenant_change_without_a_bump_is_seen_after_the_ttl(void **state)
{
    struct fixture *f = *state;
    struct store__tenant_cache *c = store__sqlite_tenant_cache(f->store);
    struct timespec pause = {0, 300 * 1000000};
    sqlite3 *db;

    assert_non_null(c);
    c->ttl_ms = 3600 * 1000;
    put_tenant(f, f->store, f->tenant_a, true, false);
    assert_true(licensed(f, f->store, f->tenant_a));
    db = raw_open(f->db);
    raw_exec1(db, "UPDATE tenants SET intune_licensed = 0 WHERE id = ?1", f->tenant_a);
    sqlite3_close(db);
    assert_true(licensed(f, f->store, f->tenant_a)); /* the cached answer */
    c->ttl_ms = 200;
    nanosleep(&pause, NULL);
    assert_false(licensed(f, f->store, f->tenant_a));
}

/* `cmpd tenant set` (the cmpd built beside this test) while the database is open: seen at once. */
static void test_store_tenant_set_by_the_cli_is_seen_at_once(void **state)
{
    struct fixture *f = *state;
    struct store__tenant_cache *c = store__sqlite_tenant_cache(f->store);
    char exe[PATH_MAX];
    char cmpd[PATH_MAX + 8];
    char loc[120];
    char *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    int status = 0;
    uint64_t hits;
    pid_t pid;

    assert_true(n > 0);
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    assert_non_null(slash);
    *slash = '\0';
    snprintf(cmpd, sizeof cmpd, "%s/cmpd", exe);
    if (access(cmpd, X_OK) != 0) {
        print_message("no %s: skipped\n", cmpd);
        skip();
    }
    snprintf(loc, sizeof loc, "sqlite:%s", f->db);
    put_tenant(f, f->store, f->tenant_a, true, false);
    assert_true(licensed(f, f->store, f->tenant_a));
    hits = c->hits;
    assert_true(licensed(f, f->store, f->tenant_a));
    assert_true(c->hits == hits + 1);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execl(cmpd, "cmpd", "tenant", "set", f->tenant_a, "--intune-license", "false", "--store",
              loc, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(licensed(f, f->store, f->tenant_a));
}

/* No epoch file (a directory stands in its way): the store opens, and caches no tenant. */
static void test_store_without_the_epoch_file_tenants_are_not_cached(void **state)
{
    struct fixture *f = *state;
    struct store *a = NULL;
    struct store *b = NULL;
    char dir[120];
    char db[140];
    char blocker[160];

    snprintf(dir, sizeof dir, "%s/blocked", f->dir);
    snprintf(db, sizeof db, "%s/cmpd.db", dir);
    snprintf(blocker, sizeof blocker, "%s%s", db, STORE_SQLITE_EPOCH_SUFFIX);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(blocker, 0700), 0);
    assert_int_equal(store_open(dir, &a, &f->err), 0);
    assert_int_equal(store_open(dir, &b, &f->err), 0);
    assert_null(store__sqlite_tenant_cache(a));
    put_tenant(f, b, f->tenant_a, true, false);
    assert_true(licensed(f, a, f->tenant_a));
    put_tenant(f, b, f->tenant_a, false, false);
    assert_false(licensed(f, a, f->tenant_a));
    store_close(a);
    store_close(b);
    assert_int_equal(rmdir(blocker), 0);
    remove_db_files(db);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- the statement cache ---- */

/* Repeated query shapes reuse their statement; past the cache size the oldest shape goes. */
static void test_store_statement_cache_reuses_and_evicts(void **state)
{
    struct fixture *f = *state;
    struct odata_orderby by_name = {&graph_partner_props[GRAPH_P_DISPLAY_NAME], false};
    struct store_list_req req = {.orderby = &by_name, .orderby_count = 1, .limit = 5};
    struct store_page page;
    uint64_t hits;
    uint64_t misses;
    uint64_t h0;
    uint64_t m0;
    size_t i;

    store__sqlite_cache_stats(f->store, &h0, &m0);
    for (i = 0; i < 10; i++)
        assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err),
                         0);
    store__sqlite_cache_stats(f->store, &hits, &misses);
    assert_true(misses - m0 == 1 && hits - h0 == 9);
    /* STORE_SQLITE_CACHE_SIZE other shapes: `in` lists of 1, 2, ... items. */
    for (i = 0; i < STORE_SQLITE_CACHE_SIZE; i++) {
        struct store_list_req other = {.limit = 5};
        char in[256];
        size_t used = (size_t)snprintf(in, sizeof in, "(in partnerState");
        size_t k;
        for (k = 0; k <= i; k++)
            used += (size_t)snprintf(in + used, sizeof in - used, " #2");
        snprintf(in + used, sizeof in - used, ")");
        other.filter = ast_parse(f->arena, in);
        assert_int_equal(
            store_partner_list(f->store, f->tenant_a, &other, f->arena, &page, &f->err), 0);
    }
    store__sqlite_cache_stats(f->store, &h0, &m0);
    assert_int_equal(store_partner_list(f->store, f->tenant_a, &req, f->arena, &page, &f->err), 0);
    store__sqlite_cache_stats(f->store, &hits, &misses);
    assert_true(misses == m0 + 1);
}

/* ---- 1,000,000 partners: each page is read from an index, and only the page ---- */

#define BIG_TENANT "b16b16b1-0000-4000-8000-000000000001"
#define SMALL_TENANT "5a115a11-0000-4000-8000-000000000002"
#define BIG_ROWS 1000000
#define SMALL_ROWS 10000
#define PAGE 100

/* One tenant's partners generated in SQL: names with duplicates and nulls, states x % 6. */
#define GENERATE(tenant, rows)                                                                     \
    "INSERT INTO partners (tenant, id, last_heartbeat, last_heartbeat_ticks, partner_state, "      \
    "display_name, mac_os_onboarded, linux_onboarded, android_onboarded, ios_onboarded, "          \
    "mac_os_assignments, android_assignments, ios_assignments, linux_assignments, created, "       \
    "modified) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " rows     \
    ") SELECT '" tenant "', printf('%08x-0000-4000-8000-%012x', x, x), '0001-01-01T00:00:00Z', "   \
    "630000000000000000 + (x % 1000) * 10000000, x % 6, CASE WHEN x % 97 = 0 THEN NULL ELSE "      \
    "printf('partner %07d', (x * 7919) % 1000003) END, x % 2, 0, 0, x % 3 = 0, '[]', '[]', "       \
    "CASE WHEN x % 10 = 0 THEN '[{\"target\":{\"@odata.type\":"                                    \
    "\"#microsoft.graph.groupAssignmentTarget\",\"deviceAndAppManagementAssignmentFilterId\":"     \
    "null,\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"groupId\":\"g1\"}}]' "         \
    "ELSE '[]' END, '[]', 0, 0 FROM c;"

/*
 * Fill the fixture's database: the listing indexes are dropped and the schema set back to v1,
 * the rows go in as one transaction, and reopening the store runs migration v2, which builds the
 * indexes (a sort, much faster than 1,000,000 random B-tree inserts).
 */
static void load_big(struct fixture *f)
{
    struct timespec t0;
    struct timespec t1;
    sqlite3 *db;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    store_close(f->store);
    f->store = NULL;
    db = raw_open(f->db);
    raw_exec(db,
             "PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;"
             "DROP INDEX partners_tenant_name; DROP INDEX partners_tenant_state_name;"
             "DROP INDEX partners_tenant_heartbeat; DROP TABLE secrets; PRAGMA user_version = 1;"
             "BEGIN;" GENERATE(BIG_TENANT, "1000000")
                 GENERATE(SMALL_TENANT, "10000") "COMMIT;"
                                                 "PRAGMA journal_mode = "
                                                 "WAL;");
    sqlite3_close(db);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("big: rows inserted in %.1f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_int_equal(store_open(f->dir, &f->store, &f->err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("big: %d + %d partners loaded and indexed in %.1f s\n", BIG_ROWS, SMALL_ROWS,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void bind_query(sqlite3_stmt *st, const struct sql_query *q)
{
    size_t k;

    for (k = 0; k < q->n_params; k++) {
        const struct sql_param *p = &q->params[k];
        int rc = p->type == SQL_PARAM_TEXT
                     ? sqlite3_bind_text(st, (int)k + 1, p->s, (int)p->n, SQLITE_STATIC)
                 : p->type == SQL_PARAM_INT ? sqlite3_bind_int64(st, (int)k + 1, p->i)
                                            : sqlite3_bind_null(st, (int)k + 1);
        assert_int_equal(rc, SQLITE_OK);
    }
}

/* The EXPLAIN QUERY PLAN details of `q`, joined by "; ". */
static void query_plan(sqlite3 *db, const struct sql_query *q, char *out, size_t cap)
{
    char sql[8192];
    sqlite3_stmt *st = NULL;
    size_t used = 0;

    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", q->text);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    bind_query(st, q);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW && used < cap)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "; " : "",
                                 (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
}

struct counted {
    int vm_steps;
    int fullscan_steps;
    int sorts;
    size_t rows;
};

/* Run `q` to the end, with SQLite's own counters of the work done. */
static struct counted run_counted(sqlite3 *db, const struct sql_query *q)
{
    struct counted c = {0, 0, 0, 0};
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, q->text, (int)q->len, &st, NULL), SQLITE_OK);
    bind_query(st, q);
    while (sqlite3_step(st) == SQLITE_ROW)
        c.rows++;
    c.vm_steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
    c.fullscan_steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    c.sorts = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0);
    sqlite3_finalize(st);
    return c;
}

struct shape {
    const char *what;
    const char *filter;  /* test_store_ast.h notation, or NULL */
    const char *orderby; /* "displayName" or "" */
    const char *cursor;  /* NULL: the first page */
    int64_t seq;
    const char *index; /* the index the plan must use */
};

static const struct shape shapes[] = {
    {"partnerState eq 'enabled' by displayName", "(eq partnerState #2)", "displayName", NULL, 0,
     "partners_tenant_state_name (tenant=? AND partner_state=?)"},
    {"partnerState eq 'enabled' by displayName, after a cursor", "(eq partnerState #2)",
     "displayName", "'partner 0500000'", 500000,
     "partners_tenant_state_name (tenant=? AND partner_state=? AND display_name>?)"},
    {"by displayName, after a cursor", NULL, "displayName", "'partner 0500000'", 1,
     "partners_tenant_name (tenant=? AND display_name>?)"},
    {"startswith(displayName,'partner 05') by displayName", "(startswith displayName 'partner 05')",
     "displayName", NULL, 0,
     "partners_tenant_name (tenant=? AND display_name>? AND display_name<?)"},
    {"by lastHeartbeatDateTime, after a cursor", NULL, "lastHeartbeatDateTime",
     "@630000000005000000", 500000,
     "partners_tenant_heartbeat (tenant=? AND last_heartbeat_ticks>?)"},
    {"no $orderby, after a cursor", NULL, "", "", 500000,
     "partners_tenant_seq (tenant=? AND seq>?)"},
    {"id eq", "(eq id '0007a120-0000-4000-8000-00000007a120')", "", NULL, 0,
     "sqlite_autoindex_partners_1 (tenant=? AND id=?)"},
};

static void shape_query(struct arena *a, const char *columns, const char *tenant,
                        const struct shape *sh, struct sql_query *q)
{
    static struct odata_orderby ob[ODATA_MAX_ORDERBY];
    static struct store_cursor after;
    struct store_list_req req = {.orderby = ob, .limit = PAGE};
    struct cmp_error err = {0};

    req.orderby_count = ast_orderby(sh->orderby, ob);
    req.filter = sh->filter ? ast_parse(a, sh->filter) : NULL;
    if (sh->cursor) {
        ast_cursor(a, sh->cursor, sh->seq, &after);
        req.after = &after;
    }
    assert_int_equal(sql_partner_list(a, &sql_dialect_sqlite, columns, tenant, &req, q, &err), 0);
}

/* Every shape: an index seek, no scan and no sort, and as much work at 1M rows as at 10k. */
static void check_plans(struct fixture *f, sqlite3 *db, const char *columns)
{
    size_t i;

    for (i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        struct sql_query q;
        struct counted big;
        struct counted small;
        char plan[2048];
        shape_query(f->arena, columns, BIG_TENANT, &shapes[i], &q);
        query_plan(db, &q, plan, sizeof plan);
        big = run_counted(db, &q);
        shape_query(f->arena, columns, SMALL_TENANT, &shapes[i], &q);
        small = run_counted(db, &q);
        printf("plan %-55s %s\n     rows %zu, VM steps %d at 1M, %d at 10k\n", shapes[i].what, plan,
               big.rows, big.vm_steps, small.vm_steps);
        if (!strstr(plan, shapes[i].index) || strstr(plan, "SCAN") || strstr(plan, "TEMP B-TREE"))
            fail_msg("%s: plan %s", shapes[i].what, plan);
        assert_int_equal(big.fullscan_steps, 0);
        assert_int_equal(big.sorts, 0);
        assert_true(big.rows == PAGE + 1 || (big.rows == 1 && small.rows <= 1));
        /* About the same work for a page of 1,000,000 rows as for one of 10,000. */
        assert_true(big.vm_steps < 2 * small.vm_steps + 1000);
        assert_true(big.vm_steps < 200 * (PAGE + 1));
    }
}

/* Under AddressSanitizer, freed memory waits in a quarantine before it is reused or returned:
 * purge it before reading the resident set, and ask the sanitizer for the live heap. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
size_t __sanitizer_get_current_allocated_bytes(void);
void __sanitizer_purge_allocator(void);
#endif

/* Bytes of heap in use. */
static long heap_kb(void)
{
#ifdef TEST_ASAN
    return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
#endif
}

/* The process's resident set in kB (/proc/self/status VmRSS). */
static long rss_kb(void)
{
    FILE *fp;
    char line[256];
    long kb = -1;

#ifdef TEST_ASAN
    __sanitizer_purge_allocator();
#endif
    fp = fopen("/proc/self/status", "r");
    assert_non_null(fp);
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(fp);
    assert_true(kb > 0);
    return kb;
}

struct walked {
    double ms_per_page;
    long rss_growth_kb;
    long heap_growth_kb;
};

/*
 * Page through `tenant`'s enabled partners by displayName through the store, one arena per page
 * as a request has, the cursor carried from page to page as a $skiptoken would carry it.
 */
static struct walked walk_pages(struct fixture *f, const char *tenant, size_t pages)
{
    static char name[64];
    struct odata_orderby by_name = {&graph_partner_props[GRAPH_P_DISPLAY_NAME], false};
    struct store_list_req req = {.orderby = &by_name, .orderby_count = 1, .limit = PAGE};
    struct store_cursor after;
    struct timespec t0;
    struct timespec t1;
    struct walked w = {0, 0, 0};
    long rss0 = 0;
    long heap0 = 0;
    size_t i;

    req.filter = ast_parse(f->arena, "(eq partnerState #2)");
    for (i = 0; i <= pages; i++) {
        struct arena *a = arena_new(0);
        struct store_page page;
        assert_non_null(a);
        if (i == 1) { /* the first page warms the caches */
            rss0 = rss_kb();
            heap0 = heap_kb();
            clock_gettime(CLOCK_MONOTONIC, &t0);
        }
        assert_int_equal(store_partner_list(f->store, tenant, &req, a, &page, &f->err), 0);
        assert_int_equal(page.n, PAGE);
        assert_true(page.more);
        after = page.last;
        if (after.keys[0].type == ODATA_V_STRING) { /* its text lives in the page's arena */
            snprintf(name, sizeof name, "%s", after.keys[0].u.s.p);
            after.keys[0].u.s.p = name;
        }
        req.after = &after;
        arena_free(a);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w.ms_per_page =
        ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
        (double)pages;
    w.heap_growth_kb = heap_kb() - heap0;
    w.rss_growth_kb = rss_kb() - rss0;
    return w;
}

static void test_store_big_tenant_pages_read_only_the_page(void **state)
{
    struct fixture *f = *state;
    struct walked small;
    struct walked big;
    struct buf columns;
    uint64_t h0;
    uint64_t m0;
    uint64_t hits;
    uint64_t misses;
    sqlite3 *db;

    load_big(f);
    buf_init(&columns, 4096);
    assert_int_equal(store__sqlite_value_columns(&columns, ""), 0);
    assert_int_equal(buf_puts(&columns, "seq, id"), 0);
    db = raw_open(f->db);
    check_plans(f, db, columns.data);
    sqlite3_close(db);
    buf_fini(&columns);

    store__sqlite_cache_stats(f->store, &h0, &m0);
    small = walk_pages(f, SMALL_TENANT, 15);
    big = walk_pages(f, BIG_TENANT, 15);
    store__sqlite_cache_stats(f->store, &hits, &misses);
    printf("big: a page of %d enabled partners by displayName: %.2f ms at 10k, %.2f ms at 1M\n"
           "big: over 15 pages, RSS %+ld kB at 10k, %+ld kB at 1M; heap %+ld kB, %+ld kB\n",
           PAGE, small.ms_per_page, big.ms_per_page, small.rss_growth_kb, big.rss_growth_kb,
           small.heap_growth_kb, big.heap_growth_kb);
    /* The shapes of both walks (first page, after a null name, after a name), each prepared
     * once for the connection. */
    assert_true(misses - m0 <= 3);
    assert_true(hits - h0 >= 28);
    /* Memory stays flat as the table grows: the live heap within 1 MiB (SQLite's page cache is
     * bounded), the resident set within generous slack for the allocator. */
    assert_true(big.heap_growth_kb < 1024);
    assert_true(big.rss_growth_kb < small.rss_growth_kb + 16 * 1024);
    assert_true(big.ms_per_page < 1000.0);
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
        cmocka_unit_test_setup_teardown(test_store_migrates_v1_to_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_a_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_error_text_stays_in_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_locked_database_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_damaged_row_is_a_store_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_epoch_file_is_private_and_counts_updates,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_tenant_change_without_a_bump_is_seen_after_the_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_set_by_the_cli_is_seen_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_without_the_epoch_file_tenants_are_not_cached,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_statement_cache_reuses_and_evicts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_big_tenant_pages_read_only_the_page, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
