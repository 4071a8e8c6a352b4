/*
 * tests/unit/test_store_postgres.c - what only the PostgreSQL backend has (store/postgres/): its
 * migrations and schema, reconnecting after the server ends a session, its errors, the tenant
 * cache's notifications, the statement cache, row locking in patches, ordinal string order
 * whatever the database's collation, and the throttle counters (the database's clock, several
 * connections, locking, the sweep).  The backend-independent behaviour is tested by test_store.c
 * and test_store_query.c (run with CMPD_TEST_STORE=postgres://...).
 *
 * $CMPD_TEST_PG is the URI of a server where the role may CREATE DATABASE, e.g.
 * postgres://cmpd@127.0.0.1:5432/postgres; each test works in a database of its own
 * (cmpd_unit_<pid>_<n>), dropped at the end.  Without it every test is skipped.
 */
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "store/postgres/postgres_impl.h"
#include "store/store.h"
#include "test_store_ast.h" /* which includes cmocka.h */

#define URI_MAX 512

struct suite {
    const char *base; /* $CMPD_TEST_PG, or NULL */
    unsigned next_db;
};

struct fixture {
    struct suite *suite;
    char db[64];       /* this test's database */
    char other_db[80]; /* another one it made, or "" */
    char uri[URI_MAX]; /* its URI */
    PGconn *admin;     /* a plain connection to it (not application_name cmpd) */
    struct store *store;
    struct arena *arena;
    char tenant[UUID_STR_LEN + 1];
    struct cmp_error err;
};

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `base` with its database name replaced by `db` (the path after the authority, before '?'). */
static void uri_with_db(const char *base, const char *db, char *out, size_t n)
{
    const char *auth = strstr(base, "://");
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    const char *query = strchr(base, '?');
    size_t head;

    assert_non_null(auth);
    if (query && slash && slash > query)
        slash = NULL;
    head = slash ? (size_t)(slash - base) : query ? (size_t)(query - base) : strlen(base);
    assert_true(snprintf(out, n, "%.*s/%s%s", (int)head, base, db, query ? query : "") < (int)n);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *connect_or_fail(const char *uri)
{
    PGconn *c = PQconnectdb(uri);

    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

/* Run `sql` (no rows, or rows ignored). */
static void run_sql(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* The integer in the first column of the first row of `sql`. */
static long long sql_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v;

    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static void need_pg(const struct suite *s)
{
    if (!s->base) {
        print_message("CMPD_TEST_PG is not set (a PostgreSQL URI where the role may CREATE "
                      "DATABASE): skipped\n");
        skip();
    }
}

/* Create database `name` (optionally with `options`), its URI into `uri`. */
static void create_db(const struct suite *s, const char *name, const char *options, char *uri,
                      size_t n)
{
    PGconn *c = connect_or_fail(s->base);
    char sql[512];

    snprintf(sql, sizeof sql, "CREATE DATABASE %s %s", name, options ? options : "");
    run_sql(c, sql);
    PQfinish(c);
    uri_with_db(s->base, name, uri, n);
}

static void drop_db(const struct suite *s, const char *name)
{
    PGconn *c = PQconnectdb(s->base);
    char sql[256];

    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, sql));
    PQfinish(c);
}

static void new_id(char out[UUID_STR_LEN + 1])
{
    assert_int_equal(uuid_v4(out), 0);
}

static void partner(struct graph_partner *p, const char *name)
{
    graph_partner_defaults(p);
    new_id(p->id);
    p->display_name = name;
}

/* End the store's session from the server side and wait until it is gone. */
static void terminate_cmpd_sessions(struct fixture *f)
{
    double until = now_s() + 10;

    assert_true(sql_int(f->admin,
                        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                        "pg_stat_activity WHERE application_name = 'cmpd' AND "
                        "datname = current_database() AND pid <> pg_backend_pid()) t") > 0);
    while (sql_int(f->admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                             "'cmpd' AND datname = current_database()") > 0) {
        assert_true(now_s() < until);
        usleep(10000);
    }
}

static struct store__pg_stats stats(struct store *s)
{
    struct store__pg_stats st;

    store__pg_stats(s, &st);
    return st;
}

/* ---- fixtures ---- */

static int suite_setup(void **state)
{
    struct suite *s = calloc(1, sizeof *s);
    const char *env = getenv("CMPD_TEST_PG");

    if (!s)
        return -1;
    s->base = env && *env ? env : NULL;
    *state = s;
    return 0;
}

static int suite_teardown(void **state)
{
    free(*state);
    return 0;
}

/* A fresh database; the store is opened by the tests that want one (open_store). */
static int setup(void **state)
{
    struct suite *s = *state;
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    f->suite = s;
    f->arena = arena_new(0);
    if (!f->arena || uuid_v4(f->tenant))
        return -1;
    *state = f;
    if (!s->base)
        return 0;
    snprintf(f->db, sizeof f->db, "cmpd_unit_%ld_%u", (long)getpid(), s->next_db++);
    drop_db(s, f->db);
    create_db(s, f->db, NULL, f->uri, sizeof f->uri);
    f->admin = connect_or_fail(f->uri);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    *state = f->suite;
    store_close(f->store);
    PQfinish(f->admin);
    if (f->db[0])
        drop_db(f->suite, f->db);
    if (f->other_db[0])
        drop_db(f->suite, f->other_db);
    arena_free(f->arena);
    free(f);
    return 0;
}

static void open_store(struct fixture *f)
{
    need_pg(f->suite);
    if (store_open(f->uri, &f->store, &f->err))
        fail_msg("store_open: %s", cmp_error_message(&f->err));
    assert_string_equal(store_backend(f->store), "postgres");
}

/* ---- migrations and schema ---- */

#define OPENERS 6
#define OPENER_PROCS 2

struct opener {
    const char *uri;
    pthread_barrier_t *start;
    int rc;
};

static void *opener_main(void *arg)
{
    struct opener *o = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};

    pthread_barrier_wait(o->start);
    o->rc = store_open(o->uri, &s, &err);
    store_close(s);
    return NULL;
}

/* Threads and processes opening a fresh database at once: the steps are applied once. */
static void test_pg_migrations_at_once_apply_once(void **state)
{
    struct fixture *f = *state;
    struct opener o[OPENERS];
    pthread_t th[OPENERS];
    pthread_barrier_t start;
    pid_t pids[OPENER_PROCS];
    int go[2];
    char c = 0;
    int i;

    need_pg(f->suite);
    assert_int_equal(pipe(go), 0);
    for (i = 0; i < OPENER_PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct store *s = NULL;
            struct cmp_error err = {0};
            close(go[1]);
            if (read(go[0], &c, 1) != 1)
                _exit(3);
            _exit(store_open(f->uri, &s, &err) ? 1 : (store_close(s), 0));
        }
    }
    close(go[0]);
    assert_int_equal(pthread_barrier_init(&start, NULL, OPENERS + 1), 0);
    for (i = 0; i < OPENERS; i++) {
        o[i] = (struct opener){f->uri, &start, -1};
        assert_int_equal(pthread_create(&th[i], NULL, opener_main, &o[i]), 0);
    }
    for (i = 0; i < OPENER_PROCS; i++)
        assert_int_equal(write(go[1], &c, 1), 1);
    pthread_barrier_wait(&start);
    for (i = 0; i < OPENERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (i = 0; i < OPENERS; i++)
        assert_int_equal(o[i].rc, 0);
    for (i = 0; i < OPENER_PROCS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    close(go[1]);
    pthread_barrier_destroy(&start);

    /* One row per step, each step once. */
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM cmpd_schema"),
                     store__pg_schema_version());
    assert_int_equal(sql_int(f->admin, "SELECT count(DISTINCT version) FROM cmpd_schema"),
                     store__pg_schema_version());
    assert_int_equal(sql_int(f->admin, "SELECT max(version) FROM cmpd_schema"),
                     store__pg_schema_version());
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM unnest(ARRAY['cmpd_schema', "
                                       "'tenants', 'partners', 'secrets', 'partners_tenant_seq', "
                                       "'partners_tenant_name', 'partners_tenant_state_name', "
                                       "'partners_tenant_heartbeat']) AS t(name) "
                                       "WHERE to_regclass(name) IS NOT NULL"),
                     8);
    /* Opening again changes nothing. */
    open_store(f);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM cmpd_schema"),
                     store__pg_schema_version());
}

static void test_pg_newer_database_is_refused(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    char sql[128];

    open_store(f);
    store_close(f->store);
    f->store = NULL;
    snprintf(sql, sizeof sql, "INSERT INTO cmpd_schema (version, what) VALUES (%d, 'future')",
             store__pg_schema_version() + 1);
    run_sql(f->admin, sql);
    assert_int_equal(store_open(f->uri, &s, &f->err), CMP_ESTORE);
    assert_null(s);
    assert_string_equal(cmp_error_message(&f->err), cmp_err_default_msg(CMP_ESTORE));
}

/* A column per model property, of the type the backend reads, ordinal where compared. */
static void test_pg_schema_has_a_column_per_property(void **state)
{
    static const char *const types[] = {
        [EDM_STRING] = "text",  [EDM_BOOLEAN] = "boolean",  [EDM_DATETIMEOFFSET] = "bigint",
        [EDM_ENUM] = "integer", [EDM_ASSIGNMENTS] = "text",
    };
    struct fixture *f = *state;
    size_t i;

    open_store(f);
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        char sql[512];
        PGresult *r;
        snprintf(sql, sizeof sql,
                 "SELECT data_type, coalesce(collation_name, '') FROM information_schema.columns "
                 "WHERE table_name = 'partners' AND column_name = '%s'",
                 p->column);
        r = PQexec(f->admin, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        if (PQntuples(r) != 1)
            fail_msg("no column %s for %s", p->column, p->name);
        assert_string_equal(PQgetvalue(r, 0, 0), types[p->type]);
        if (p->type == EDM_STRING)
            assert_string_equal(PQgetvalue(r, 0, 1), "C");
        PQclear(r);
    }
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM information_schema.columns WHERE "
                                       "table_name = 'partners' AND column_name = 'tenant' AND "
                                       "collation_name = 'C'"),
                     1);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM information_schema.columns WHERE "
                                       "table_name = 'tenants' AND column_name = 'id' AND "
                                       "collation_name = 'C'"),
                     1);
}

/* ---- the session ---- */

static char *store_setting(struct fixture *f, const char *name)
{
    struct pg_store *s = (struct pg_store *)f->store;
    char sql[128];
    PGresult *r;
    char *v;

    snprintf(sql, sizeof sql, "SELECT current_setting('%s')", name);
    r = PQexec(s->conn, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    v = arena_strdup(f->arena, PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* A server default of synchronous_commit=off is overridden: 0 after a write means committed. */
static void test_pg_session_keeps_synchronous_commit_on(void **state)
{
    struct fixture *f = *state;
    char sql[256];

    need_pg(f->suite);
    snprintf(sql, sizeof sql, "ALTER DATABASE %s SET synchronous_commit = off", f->db);
    run_sql(f->admin, sql);
    open_store(f);
    assert_string_equal(store_setting(f, "synchronous_commit"), "on");
    assert_string_equal(store_setting(f, "application_name"), "cmpd");
    assert_string_equal(store_setting(f, "lock_timeout"), "5s");
    assert_string_equal(store_setting(f, "client_encoding"), "UTF8");
    /* The URI's own application_name and lock_timeout win over cmpd's defaults. */
    store_close(f->store);
    f->store = NULL;
    snprintf(f->uri + strlen(f->uri), sizeof f->uri - strlen(f->uri), "%s",
             "?application_name=cmpd-2&options=-c%20lock_timeout%3D250");
    open_store(f);
    assert_string_equal(store_setting(f, "application_name"), "cmpd-2");
    assert_string_equal(store_setting(f, "lock_timeout"), "250ms");
    assert_string_equal(store_setting(f, "synchronous_commit"), "on");
}

/* ---- reconnecting ---- */

static void test_pg_reconnects_after_the_server_ends_the_session(void **state)
{
    struct fixture *f = *state;
    struct store_list_req req = {.limit = 10};
    struct store_page page;
    struct graph_partner p;
    struct graph_partner got;
    int64_t n = -1;

    open_store(f);
    partner(&p, "before");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    assert_int_equal(store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);

    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_get(f->store, f->tenant, p.id, f->arena, &got, &f->err), 0);
    assert_string_equal(got.display_name, "before");
    assert_true(stats(f->store).reconnects == 1);
    /* The listing statements of the old session are gone; the cache starts again. */
    assert_int_equal(store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 1);
    partner(&p, "after");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);

    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_count(f->store, f->tenant, NULL, &n, &f->err), 0);
    assert_int_equal(n, 2);
    assert_true(stats(f->store).reconnects == 2);
}

/* Without the check before each call, the failing call itself finds the broken connection. */
static void test_pg_read_is_retried_once_on_a_broken_connection(void **state)
{
    struct fixture *f = *state;
    struct odata_orderby by_name = {&graph_partner_props[GRAPH_P_DISPLAY_NAME], false};
    struct store_list_req req = {.orderby = &by_name, .orderby_count = 1, .limit = 10};
    struct store_tenant t = {0};
    struct store_tenant *all = NULL;
    struct store_page page;
    struct graph_partner p;
    struct graph_partner got;
    size_t n = 0;
    int64_t count = -1;

    open_store(f);
    store__pg_set_precheck(f->store, false);
    partner(&p, "x");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    snprintf(t.id, sizeof t.id, "%s", f->tenant);
    assert_int_equal(store_tenant_put(f->store, &t, true, &f->err), 0);
    assert_int_equal(store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);

    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_get(f->store, f->tenant, p.id, f->arena, &got, &f->err), 0);
    assert_int_equal(f->err.code, 0);
    assert_true(stats(f->store).retries == 1);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 1);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_count(f->store, f->tenant, NULL, &count, &f->err), 0);
    assert_int_equal(count, 1);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_tenant_get(f->store, f->tenant, &t, &f->err), 0);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_tenant_list(f->store, f->arena, &all, &n, &f->err), 0);
    assert_int_equal(n, 1);
    assert_true(stats(f->store).retries == 5);
    assert_true(stats(f->store).reconnects == 5);
    assert_int_equal(f->err.code, 0);
}

/* A write whose outcome is unknown is 503 with Retry-After; the next call reconnects. */
static void test_pg_write_on_a_broken_connection_is_unavailable(void **state)
{
    struct fixture *f = *state;
    struct graph_partner p;
    struct graph_partner q;
    struct graph_partner patch;
    struct graph_partner out;

    open_store(f);
    store__pg_set_precheck(f->store, false);
    partner(&p, "first");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);

    terminate_cmpd_sessions(f);
    partner(&q, "lost");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &q, &f->err), CMP_EUNAVAILABLE);
    assert_int_equal(f->err.retry_after, 1);
    assert_string_equal(cmp_error_message(&f->err), cmp_err_default_msg(CMP_EUNAVAILABLE));
    cmp_error_clear(&f->err);
    /* The next write goes through on a new session. */
    assert_int_equal(store_partner_insert(f->store, f->tenant, &q, &f->err), 0);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_partner_delete(f->store, f->tenant, q.id, &f->err), CMP_EUNAVAILABLE);
    cmp_error_clear(&f->err);
    assert_int_equal(store_partner_get(f->store, f->tenant, p.id, f->arena, &out, &f->err), 0);

    /* A patch broken before its COMMIT was sent wrote nothing: it runs again by itself. */
    terminate_cmpd_sessions(f);
    memset(&patch, 0, sizeof patch);
    patch.display_name = "patched";
    patch.present = GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant, p.id, &patch, f->arena, &out, &f->err), 0);
    assert_string_equal(out.display_name, "patched");
}

/* A closed port: CMP_EUNAVAILABLE at once, and the password is never logged. */
static void test_pg_unreachable_server_is_unavailable(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr = {htonl(INADDR_LOOPBACK)}};
    socklen_t len = sizeof addr;
    struct store *s = NULL;
    char uri[URI_MAX];
    char logname[] = "/tmp/cmpd-test-pg-log-XXXXXX";
    char logged[8192] = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int saved;
    int logfd;
    double t0;
    ssize_t got;

    need_pg(f->suite);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd); /* nothing listens there now */
    snprintf(uri, sizeof uri, "postgres://cmpd:Sekr1t-pw@127.0.0.1:%d/postgres",
             ntohs(addr.sin_port));

    logfd = mkstemp(logname);
    assert_true(logfd >= 0);
    saved = dup(STDERR_FILENO);
    dup2(logfd, STDERR_FILENO);
    t0 = now_s();
    assert_int_equal(store_open(uri, &s, &f->err), CMP_EUNAVAILABLE);
    assert_true(now_s() - t0 < 2);
    assert_int_equal(f->err.retry_after, 1);
    cmp_error_clear(&f->err);
    /* A URI libpq cannot parse is a configuration error; it is not logged either. */
    assert_int_equal(store_open("postgres://cmpd:Sekr1t-pw%zz@127.0.0.1/postgres", &s, &f->err),
                     CMP_ESTORE);
    dup2(saved, STDERR_FILENO);
    close(saved);
    got = pread(logfd, logged, sizeof logged - 1, 0);
    close(logfd);
    unlink(logname);
    assert_true(got > 0);
    if (strstr(logged, "Sekr1t"))
        fail_msg("the password was logged:\n%s", logged);
    assert_non_null(strstr(logged, "127.0.0.1"));
}

/* A held row lock past lock_timeout is 503, and the connection stays usable. */
static void test_pg_lock_timeout_is_unavailable(void **state)
{
    struct fixture *f = *state;
    struct pg_store *s;
    struct graph_partner p;
    struct graph_partner patch;
    struct graph_partner out;
    char sql[256];

    open_store(f);
    s = (struct pg_store *)f->store;
    partner(&p, "locked");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    PQclear(PQexec(s->conn, "SET lock_timeout = '100ms'"));
    run_sql(f->admin, "BEGIN");
    snprintf(sql, sizeof sql, "SELECT 1 FROM partners WHERE id = '%s' FOR UPDATE", p.id);
    run_sql(f->admin, sql);
    memset(&patch, 0, sizeof patch);
    patch.partner_state = 3;
    patch.present = GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE);
    assert_int_equal(
        store_partner_patch(f->store, f->tenant, p.id, &patch, f->arena, &out, &f->err),
        CMP_EUNAVAILABLE);
    assert_int_equal(f->err.retry_after, 1);
    cmp_error_clear(&f->err);
    run_sql(f->admin, "ROLLBACK");
    assert_int_equal(
        store_partner_patch(f->store, f->tenant, p.id, &patch, f->arena, &out, &f->err), 0);
    assert_int_equal(out.partner_state, 3);
}

/* ---- the tenant cache ---- */

static void put_tenant(struct fixture *f, const char *id, bool licensed)
{
    struct store_tenant t = {.intune_licensed = licensed, .created = 1700000000};

    snprintf(t.id, sizeof t.id, "%s", id);
    assert_int_equal(store_tenant_put(f->store, &t, false, &f->err), 0);
}

static bool licensed(struct fixture *f, const char *id)
{
    struct store_tenant t;

    assert_int_equal(store_tenant_get(f->store, id, &t, &f->err), 0);
    return t.intune_licensed;
}

/* Set the licence of the fixture's tenant by hand; `notify`: NOTIFY the channel with it. */
static void set_by_hand(struct fixture *f, bool on, bool notify)
{
    char sql[256];

    snprintf(sql, sizeof sql, "UPDATE tenants SET intune_licensed = %s WHERE id = '%s'%s",
             on ? "true" : "false", f->tenant, notify ? "; NOTIFY " STORE_PG_TENANT_CHANNEL : "");
    run_sql(f->admin, sql);
}

/* The store answers `want` within a second (a notification comes on the server's schedule). */
static void eventually_licensed(struct fixture *f, bool want)
{
    struct timespec ms = {0, 1000000};
    int waited = 0;

    while (licensed(f, f->tenant) != want) {
        if (++waited > 1000)
            fail_msg("no notification after 1 s");
        nanosleep(&ms, NULL);
    }
}

/*
 * A change that notified nobody is answered from the cache until the TTL; any notification on the
 * channel invalidates it; so does a reconnect, after which the session listens again.
 */
static void test_pg_tenant_cache_follows_notifications_and_reconnects(void **state)
{
    struct fixture *f = *state;
    struct store__tenant_cache *c;
    struct timespec pause = {0, 300 * 1000000};
    uint64_t hits;
    uint64_t notifies;

    open_store(f);
    c = store__pg_tenant_cache(f->store);
    c->ttl_ms = 3600 * 1000;
    put_tenant(f, f->tenant, true);
    assert_true(licensed(f, f->tenant));
    hits = c->hits;
    assert_true(licensed(f, f->tenant));
    assert_true(c->hits == hits + 1);

    set_by_hand(f, false, false);
    assert_true(licensed(f, f->tenant)); /* the cached answer */
    notifies = stats(f->store).tenant_notifies;
    run_sql(f->admin, "NOTIFY " STORE_PG_TENANT_CHANNEL); /* any notification, no payload */
    eventually_licensed(f, false);
    assert_true(stats(f->store).tenant_notifies == notifies + 1);

    /* Changed while the session was gone: the reset forgets the cache... */
    assert_false(licensed(f, f->tenant));
    terminate_cmpd_sessions(f);
    set_by_hand(f, true, false);
    assert_true(licensed(f, f->tenant));
    assert_true(stats(f->store).reconnects == 1);
    /* ...and listens again on the new session. */
    hits = c->hits;
    assert_true(licensed(f, f->tenant));
    assert_true(c->hits == hits + 1);
    set_by_hand(f, false, true);
    eventually_licensed(f, false);

    /* The TTL, for a change nobody was told of. */
    set_by_hand(f, true, false);
    assert_false(licensed(f, f->tenant));
    c->ttl_ms = 200;
    nanosleep(&pause, NULL);
    assert_true(licensed(f, f->tenant));
}

/* Without the check before each call nothing reads notifications off the socket: no caching. */
static void test_pg_tenant_cache_is_off_without_the_check(void **state)
{
    struct fixture *f = *state;
    struct store__tenant_cache *c;

    open_store(f);
    store__pg_set_precheck(f->store, false);
    c = store__pg_tenant_cache(f->store);
    put_tenant(f, f->tenant, true);
    assert_true(licensed(f, f->tenant));
    assert_true(licensed(f, f->tenant));
    assert_true(c->hits == 0);
    set_by_hand(f, false, false);
    assert_false(licensed(f, f->tenant));
}

/* ---- client text ---- */

static void test_pg_injection_strings_come_back_verbatim(void **state)
{
    static const char *const evil[] = {
        "x'); DROP TABLE partners;--",
        "' OR '1'='1",
        "$1::text; SELECT pg_sleep(10)",
        "\\'; \"quoted\" \\x00 E'\\n'",
        "Robert'); DELETE FROM tenants WHERE ('a'='a",
    };
    struct fixture *f = *state;
    size_t i;

    open_store(f);
    for (i = 0; i < sizeof evil / sizeof *evil; i++) {
        struct graph_partner p;
        struct graph_partner got;
        struct store_tenant t = {0};
        struct store_tenant tgot;
        struct store_list_req req = {.limit = 10};
        struct store_page page;
        char filter[384];
        char quoted[128];
        size_t k;
        size_t j = 0;
        int64_t n = -1;

        /* The tenant id and the partner id are the client's text too. */
        partner(&p, evil[i]);
        snprintf(p.id, sizeof p.id, "%s", evil[i]);
        assert_int_equal(store_partner_insert(f->store, evil[i], &p, &f->err), 0);
        assert_int_equal(store_partner_get(f->store, evil[i], p.id, f->arena, &got, &f->err), 0);
        assert_string_equal(got.id, p.id);
        assert_string_equal(got.display_name, evil[i]);
        snprintf(t.id, sizeof t.id, "%s", evil[i]);
        assert_int_equal(store_tenant_put(f->store, &t, false, &f->err), 0);
        assert_int_equal(store_tenant_get(f->store, t.id, &tgot, &f->err), 0);
        assert_string_equal(tgot.id, t.id);

        for (k = 0; evil[i][k] && j < sizeof quoted - 2; k++) {
            if (evil[i][k] == '\'')
                quoted[j++] = '\'';
            quoted[j++] = evil[i][k];
        }
        quoted[j] = '\0';
        snprintf(filter, sizeof filter, "(and (eq displayName '%s') (contains displayName '%s'))",
                 quoted, quoted);
        req.filter = ast_parse(f->arena, filter);
        assert_int_equal(store_partner_list(f->store, evil[i], &req, f->arena, &page, &f->err), 0);
        assert_int_equal(page.n, 1);
        assert_string_equal(page.items[0].display_name, evil[i]);
        assert_int_equal(store_partner_count(f->store, evil[i], req.filter, &n, &f->err), 0);
        assert_int_equal(n, 1);
    }
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM partners"), 5);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM tenants"), 5);
}

/* ---- the statement cache ---- */

/* More query shapes than the cache holds: the oldest are DEALLOCATEd, answers stay right. */
static void test_pg_statement_cache_evicts_and_still_answers(void **state)
{
    struct fixture *f = *state;
    struct store__pg_stats before;
    struct store__pg_stats after;
    struct graph_partner p;
    const size_t shapes = STORE_STMT_CACHE_SIZE + 8;
    size_t round;
    size_t i;

    open_store(f);
    for (i = 0; i < 6; i++) {
        partner(&p, "n");
        p.partner_state = (int)i;
        assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    }
    before = stats(f->store);
    for (round = 0; round < 2; round++) {
        for (i = 1; i <= shapes; i++) {
            /* `in` lists of 1, 2, ... items: partnerState in (0, 1, 2, 3, 4, 5, 0, 1, ...). */
            char in[512];
            size_t used = (size_t)snprintf(in, sizeof in, "(in partnerState");
            size_t k;
            int64_t n = -1;
            for (k = 0; k < i; k++)
                used += (size_t)snprintf(in + used, sizeof in - used, " #%zu", k % 6);
            snprintf(in + used, sizeof in - used, ")");
            assert_int_equal(
                store_partner_count(f->store, f->tenant, ast_parse(f->arena, in), &n, &f->err), 0);
            assert_int_equal(n, i < 6 ? i : 6);
        }
    }
    after = stats(f->store);
    /* Each shape missed in both rounds: the second round found the first's evicted. */
    assert_true(after.cache_misses - before.cache_misses == 2 * shapes);
    assert_true(after.cache_evictions - before.cache_evictions ==
                2 * shapes - STORE_STMT_CACHE_SIZE);
    /* The server holds as many statements as the cache: the fixed ones and the cached ones. */
    assert_int_equal(
        sql_int(((struct pg_store *)f->store)->conn,
                "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'cmpd\\_l%'"),
        STORE_STMT_CACHE_SIZE);
}

/* ---- concurrency ---- */

#define PATCHERS 4
#define PATCHES 150

struct patcher {
    const char *uri;
    const char *tenant;
    const char *id;
    int me; /* which counter this thread owns */
    pthread_barrier_t *start;
    int failures;
    int regressions; /* another thread's counter seen going backwards */
};

/* The counter `k` of partner `p` (0 display name, 1 heartbeat ticks, 2/3 macOS/Android group). */
static int64_t counter(const struct graph_partner *p, int k)
{
    const struct graph_assignments *l = k == 2 ? &p->mac_os_assignments : &p->android_assignments;

    if (k == 0)
        return p->display_name ? strtoll(p->display_name, NULL, 10) : 0;
    if (k == 1)
        return p->last_heartbeat_ticks;
    return l->n ? strtoll(l->items[0].target_id, NULL, 10) : 0;
}

/* Patch only this thread's counter to `v`. */
static void set_counter(struct arena *a, struct graph_partner *patch, int k, int64_t v)
{
    char *text = arena_sprintf(a, "%lld", (long long)v);
    struct graph_assignment *one = arena_calloc(a, 1, sizeof *one);

    memset(patch, 0, sizeof *patch);
    one->kind = GRAPH_TARGET_GROUP;
    one->target_id = text;
    if (k == 0) {
        patch->display_name = text;
        patch->present = GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME);
    } else if (k == 1) {
        patch->last_heartbeat = "2026-01-01T00:00:00Z";
        patch->last_heartbeat_ticks = v;
        patch->present = GRAPH_PROP_BIT(GRAPH_P_LAST_HEARTBEAT);
    } else {
        *(k == 2 ? &patch->mac_os_assignments : &patch->android_assignments) =
            (struct graph_assignments){one, 1};
        patch->present =
            GRAPH_PROP_BIT(k == 2 ? GRAPH_P_MACOS_ASSIGNMENTS : GRAPH_P_ANDROID_ASSIGNMENTS);
    }
}

/*
 * Counts its own counter up, one patch at a time.  Every patch returns the whole row it wrote; a
 * patch that read the row without locking it would write back another thread's older counter,
 * and someone would see that counter go backwards (or end short).
 */
static void *patcher_main(void *arg)
{
    struct patcher *w = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};
    int64_t seen[PATCHERS] = {0};
    int i;
    int k;

    if (store_open(w->uri, &s, &err)) {
        w->failures = PATCHES;
        pthread_barrier_wait(w->start);
        return NULL;
    }
    pthread_barrier_wait(w->start);
    for (i = 1; i <= PATCHES; i++) {
        struct arena *a = arena_new(0);
        struct graph_partner patch;
        struct graph_partner out;
        set_counter(a, &patch, w->me, i);
        if (store_partner_patch(s, w->tenant, w->id, &patch, a, &out, &err)) {
            w->failures++;
            cmp_error_clear(&err);
        } else {
            for (k = 0; k < PATCHERS; k++) {
                if (counter(&out, k) < seen[k])
                    w->regressions++;
                seen[k] = counter(&out, k);
            }
        }
        arena_free(a);
    }
    store_close(s);
    return NULL;
}

static void test_pg_concurrent_patches_lose_no_update(void **state)
{
    struct fixture *f = *state;
    struct patcher w[PATCHERS];
    pthread_t th[PATCHERS];
    pthread_barrier_t start;
    struct graph_partner p;
    struct graph_partner got;
    int i;

    open_store(f);
    partner(&p, "0");
    assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    assert_int_equal(pthread_barrier_init(&start, NULL, PATCHERS), 0);
    for (i = 0; i < PATCHERS; i++) {
        w[i] = (struct patcher){f->uri, f->tenant, p.id, i, &start, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, patcher_main, &w[i]), 0);
    }
    /* Every thread joined before any assertion: they point into this frame. */
    for (i = 0; i < PATCHERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (i = 0; i < PATCHERS; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].regressions, 0);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(store_partner_get(f->store, f->tenant, p.id, f->arena, &got, &f->err), 0);
    for (i = 0; i < PATCHERS; i++)
        if (counter(&got, i) != PATCHES)
            fail_msg("counter %d ended at %lld, want %d", i, (long long)counter(&got, i), PATCHES);
}

/* ---- ordinal strings ---- */

/* In a database whose default collation is linguistic (ICU en-US), order and comparisons stay
 * ordinal, as on SQLite: "A" < "B" < "a" < "b", and a lambda member compares so too. */
static void test_pg_strings_are_ordinal_under_any_collation(void **state)
{
    static const char *const names[] = {"b", "a", "B", "A", "\xc3\xa9", "e"};
    static const char *const want[] = {"A", "B", "a", "b", "e", "\xc3\xa9"};
    struct fixture *f = *state;
    struct odata_orderby ob[ODATA_MAX_ORDERBY];
    struct store_list_req req = {.orderby = ob, .limit = 10};
    struct store_page page;
    char sql[256];
    char uri[URI_MAX];
    PGconn *c;
    PGresult *r;
    size_t i;
    int64_t n = -1;

    need_pg(f->suite);
    snprintf(f->other_db, sizeof f->other_db, "%s_icu", f->db);
    c = connect_or_fail(f->suite->base);
    snprintf(sql, sizeof sql,
             "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu "
             "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
             f->other_db);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        print_message("no ICU collation on this server (%s): skipped\n", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        skip();
    }
    PQclear(r);
    PQfinish(c);
    uri_with_db(f->suite->base, f->other_db, uri, sizeof uri);
    if (store_open(uri, &f->store, &f->err))
        fail_msg("store_open: %s", cmp_error_message(&f->err));
    for (i = 0; i < sizeof names / sizeof *names; i++) {
        struct graph_partner p;
        struct graph_assignment *one = arena_calloc(f->arena, 1, sizeof *one);
        partner(&p, names[i]);
        one->kind = GRAPH_TARGET_GROUP;
        one->target_id = names[i];
        p.ios_assignments = (struct graph_assignments){one, 1};
        assert_int_equal(store_partner_insert(f->store, f->tenant, &p, &f->err), 0);
    }
    req.orderby_count = ast_orderby("displayName", ob);
    assert_int_equal(store_partner_list(f->store, f->tenant, &req, f->arena, &page, &f->err), 0);
    assert_int_equal(page.n, 6);
    for (i = 0; i < page.n; i++)
        assert_string_equal(page.items[i].display_name, want[i]);
    assert_int_equal(store_partner_count(f->store, f->tenant,
                                         ast_parse(f->arena, "(gt displayName 'B')"), &n, &f->err),
                     0);
    assert_int_equal(n, 4); /* a b e é */
    assert_int_equal(store_partner_count(
                         f->store, f->tenant,
                         ast_parse(f->arena, "(any iosEnrollmentAssignments (gt a/groupId 'B'))"),
                         &n, &f->err),
                     0);
    assert_int_equal(n, 4);
}

/* ---- throttling ---- */

/* One take of `n` keys on `s`; returns Retry-After (0: admitted). */
static int pg_take(struct fixture *f, struct store *s, const struct store_throttle_key *keys,
                   size_t n, int window)
{
    int retry = -1;

    if (store_throttle_take(s, keys, n, window, &retry, &f->err))
        fail_msg("store_throttle_take: %s", cmp_error_message(&f->err));
    return retry;
}

/* The counters live in an unlogged table: no WAL, and no flush to wait for at commit. */
static void test_pg_throttle_table_is_unlogged(void **state)
{
    struct fixture *f = *state;

    open_store(f);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM pg_class WHERE relname = 'throttle' "
                                       "AND relpersistence = 'u'"),
                     1);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM pg_proc WHERE proname = "
                                       "'cmpd_throttle_take'"),
                     1);
}

/*
 * Windows are counted on the database's clock: rows written at the database's current second
 * fill the window whatever this machine's clock says, and rows older than the window neither
 * count nor survive the key's next take.
 */
static void test_pg_throttle_counts_on_the_database_clock(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key now_key = {"t:clock:now", 5};
    struct store_throttle_key old_key = {"t:clock:old", 5};
    int retry;

    open_store(f);
    run_sql(f->admin, "INSERT INTO throttle (key, slot, n) VALUES ('t:clock:now', "
                      "floor(extract(epoch FROM clock_timestamp()))::bigint, 5)");
    retry = pg_take(f, f->store, &now_key, 1, 30);
    assert_true(retry >= 29 && retry <= 30);
    /* The refused take wrote nothing. */
    assert_int_equal(sql_int(f->admin, "SELECT sum(n) FROM throttle WHERE key = 't:clock:now'"), 5);

    run_sql(f->admin, "INSERT INTO throttle (key, slot, n) SELECT 't:clock:old', "
                      "floor(extract(epoch FROM clock_timestamp()))::bigint - s, 5 "
                      "FROM generate_series(30, 40) AS s");
    assert_int_equal(pg_take(f, f->store, &old_key, 1, 30), 0);
    /* What is left of the key: the one request just counted, in the database's current second. */
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM throttle WHERE key = 't:clock:old'"),
                     1);
    assert_true(sql_int(f->admin,
                        "SELECT abs(slot - floor(extract(epoch FROM "
                        "clock_timestamp()))) FROM throttle WHERE key = 't:clock:old'") <= 1);
}

/* Two instances (connections) on one database share every limit. */
static void test_pg_throttle_two_instances_share_the_limit(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key keys[2] = {{"t:shared:w", 3}, {"t:shared:*", 1000}};
    struct store *second = NULL;
    int i;

    open_store(f);
    if (store_open(f->uri, &second, &f->err))
        fail_msg("store_open: %s", cmp_error_message(&f->err));
    for (i = 0; i < 3; i++)
        assert_int_equal(pg_take(f, i % 2 ? second : f->store, keys, 2, 20), 0);
    assert_int_not_equal(pg_take(f, second, keys, 2, 20), 0);
    assert_int_not_equal(pg_take(f, f->store, keys, 2, 20), 0);
    /* Reads (the request counter only) still pass on both. */
    assert_int_equal(pg_take(f, second, &keys[1], 1, 20), 0);
    assert_int_equal(pg_take(f, f->store, &keys[1], 1, 20), 0);
    assert_int_equal(sql_int(f->admin, "SELECT sum(n) FROM throttle WHERE key = 't:shared:*'"), 5);
    store_close(second);
}

#define PG_TAKERS 8
#define PG_TAKES 40

struct pg_taker {
    const char *uri;
    int id;
    pthread_barrier_t *start;
    int admitted;
    int failures;
};

/*
 * Overlapping keys in opposite orders (a tenant's, the thread's application's, a key every
 * thread shares): the locks are taken in one order, so no take waits for another in a cycle.
 */
static void *pg_taker_main(void *arg)
{
    struct pg_taker *t = arg;
    struct store *s = NULL;
    struct cmp_error err = {0};
    char app[32];
    int i;

    snprintf(app, sizeof app, "a:race:%d", t->id);
    if (store_open(t->uri, &s, &err)) {
        t->failures = PG_TAKES;
        pthread_barrier_wait(t->start);
        return NULL;
    }
    pthread_barrier_wait(t->start);
    for (i = 0; i < PG_TAKES; i++) {
        struct store_throttle_key fwd[3] = {{"t:race:w", 150}, {app, 25}, {"t:race:*", 1000}};
        struct store_throttle_key rev[3] = {fwd[2], fwd[1], fwd[0]};
        int retry = -1;
        if (store_throttle_take(s, (t->id + i) % 2 ? fwd : rev, 3, 60, &retry, &err)) {
            t->failures++;
            cmp_error_clear(&err);
        } else if (retry == 0) {
            t->admitted++;
        }
    }
    store_close(s);
    return NULL;
}

static void test_pg_throttle_concurrent_takes_hold_every_limit(void **state)
{
    struct fixture *f = *state;
    struct pg_taker t[PG_TAKERS];
    pthread_t th[PG_TAKERS];
    pthread_barrier_t start;
    int total = 0;
    int i;

    open_store(f);
    assert_int_equal(pthread_barrier_init(&start, NULL, PG_TAKERS), 0);
    for (i = 0; i < PG_TAKERS; i++) {
        t[i] = (struct pg_taker){f->uri, i, &start, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, pg_taker_main, &t[i]), 0);
    }
    for (i = 0; i < PG_TAKERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (i = 0; i < PG_TAKERS; i++) {
        assert_int_equal(t[i].failures, 0); /* no deadlock, no lock timeout */
        assert_true(t[i].admitted <= 25);
        total += t[i].admitted;
    }
    /* 8 x 40 tries: each thread's own limit (25) leaves 200, the shared one binds at 150. */
    assert_int_equal(total, 150);
    assert_int_equal(sql_int(f->admin, "SELECT sum(n) FROM throttle WHERE key = 't:race:*'"), 150);
}

/* A take cut off by a broken connection is CMP_EUNAVAILABLE, not run again (it may have counted);
 * the next one reconnects. */
static void test_pg_throttle_on_a_broken_connection_is_unavailable(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k = {"t:broken:*", 10};
    int retry = -1;

    open_store(f);
    store__pg_set_precheck(f->store, false);
    assert_int_equal(pg_take(f, f->store, &k, 1, 20), 0);
    terminate_cmpd_sessions(f);
    assert_int_equal(store_throttle_take(f->store, &k, 1, 20, &retry, &f->err), CMP_EUNAVAILABLE);
    assert_true(stats(f->store).retries == 0);
    cmp_error_clear(&f->err);
    assert_int_equal(pg_take(f, f->store, &k, 1, 20), 0);
    assert_true(stats(f->store).reconnects == 1);
    assert_int_equal(sql_int(f->admin, "SELECT sum(n) FROM throttle WHERE key = 't:broken:*'"), 2);
}

/* Rows of keys nobody uses any more go in an occasional sweep. */
static void test_pg_throttle_sweeps_abandoned_keys(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key k = {"t:busy:*", 0x7fffffff};
    int i;

    open_store(f);
    run_sql(f->admin, "INSERT INTO throttle (key, slot, n) SELECT 't:gone:' || s, "
                      "floor(extract(epoch FROM clock_timestamp()))::bigint - 7200, 1 "
                      "FROM generate_series(1, 50) AS s");
    /* A recent row of an idle key is no business of the sweep. */
    run_sql(f->admin, "INSERT INTO throttle (key, slot, n) VALUES ('t:idle:*', "
                      "floor(extract(epoch FROM clock_timestamp()))::bigint - 600, 1)");
    for (i = 0; i < 20000; i++) {
        assert_int_equal(pg_take(f, f->store, &k, 1, 20), 0);
        if (sql_int(f->admin, "SELECT count(*) FROM throttle WHERE key LIKE 't:gone:%'") == 0)
            break;
    }
    assert_true(i < 20000);
    assert_int_equal(sql_int(f->admin, "SELECT count(*) FROM throttle WHERE key = 't:idle:*'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pg_migrations_at_once_apply_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_newer_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_schema_has_a_column_per_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_session_keeps_synchronous_commit_on, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_reconnects_after_the_server_ends_the_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_read_is_retried_once_on_a_broken_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_write_on_a_broken_connection_is_unavailable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_unreachable_server_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_lock_timeout_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_tenant_cache_follows_notifications_and_reconnects,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_tenant_cache_is_off_without_the_check, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_injection_strings_come_back_verbatim, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_statement_cache_evicts_and_still_answers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_concurrent_patches_lose_no_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_strings_are_ordinal_under_any_collation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_table_is_unlogged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_counts_on_the_database_clock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_two_instances_share_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_concurrent_takes_hold_every_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_on_a_broken_connection_is_unavailable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pg_throttle_sweeps_abandoned_keys, setup, teardown),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
