/*
 * tests/unit/test_store_commit.c - group commit (store/commit.c) on a real database: writes
 * queued from many threads share transactions, every one is answered once and only after its
 * commit, a failure never acknowledges or loses another write, a release drains the queue.  On
 * SQLite (the default) also: a failing write fails alone, the durability setting reaches the
 * synchronous pragma, and checkpoints run on their own thread.  With $CMPD_TEST_STORE (a
 * PostgreSQL DSN, tests/run.sh) the same tests run there, each in a tenant of its own.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/store.h"

#include <cmocka.h>

static char tenant[UUID_STR_LEN + 1]; /* the current test's */
#define TENANT tenant
#define THREADS 8
#define PER_THREAD 200

struct fixture {
    char dir[64]; /* "" with $CMPD_TEST_STORE */
    const char *location;
    struct store *store;
    struct arena *arena;
    struct cmp_error err;
};

/* A write waited for by its submitter. */
struct waited {
    struct store_write w;
    struct cmp_error err;
    struct graph_partner p;
    struct graph_partner out;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->location = getenv("CMPD_TEST_STORE");
    if (!f->location || !*f->location) {
        snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-commit-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->location = f->dir;
    }
    assert_int_equal(uuid_v4(tenant), 0);
    assert_int_equal(store_open(f->location, &f->store, &f->err), 0);
    f->arena = arena_new(0);
    assert_non_null(f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    store_close(f->store);
    arena_free(f->arena);
    if (f->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        assert_int_equal(system(cmd), 0);
    }
    free(f);
    return 0;
}

static void on_done(struct store_write *w)
{
    struct waited *x = w->data;

    pthread_mutex_lock(&x->lock);
    x->calls++;
    pthread_cond_signal(&x->cond);
    pthread_mutex_unlock(&x->lock);
}

static void prepare(struct waited *x, enum store_write_kind kind, const char *id)
{
    memset(x, 0, sizeof *x);
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->cond, NULL);
    graph_partner_defaults(&x->p);
    x->p.display_name = "grouped";
    if (id)
        snprintf(x->p.id, sizeof x->p.id, "%s", id);
    else
        assert_int_equal(uuid_v4(x->p.id), 0);
    x->w.kind = kind;
    x->w.tenant = TENANT;
    x->w.id = x->p.id;
    x->w.p = &x->p;
    x->w.out = &x->out;
    x->w.err = &x->err;
    x->w.done = on_done;
    x->w.data = x;
}

static void wait_done(struct waited *x)
{
    pthread_mutex_lock(&x->lock);
    while (!x->calls)
        pthread_cond_wait(&x->cond, &x->lock);
    pthread_mutex_unlock(&x->lock);
}

static void finish(struct waited *x)
{
    pthread_mutex_destroy(&x->lock);
    pthread_cond_destroy(&x->cond);
}

struct worker {
    struct fixture *f;
    struct store *conn;
    struct waited *writes; /* PER_THREAD */
    struct arena *arena;
};

/* One server thread: its own connection, PER_THREAD writes queued without waiting in between. */
static void *submit_many(void *arg)
{
    struct worker *wk = arg;
    struct cmp_error err = {0};
    int i;

    assert_int_equal(store_open(wk->f->location, &wk->conn, &err), 0);
    for (i = 0; i < PER_THREAD; i++) {
        prepare(&wk->writes[i], STORE_WRITE_INSERT, NULL);
        wk->writes[i].w.a = wk->arena;
        assert_true(store_write_async(wk->conn, &wk->writes[i].w));
    }
    for (i = 0; i < PER_THREAD; i++)
        wait_done(&wk->writes[i]);
    return NULL;
}

static void test_commit_groups_the_writes_of_many_threads(void **state)
{
    struct fixture *f = *state;
    struct worker wk[THREADS];
    pthread_t t[THREADS];
    uint64_t transactions = 0;
    uint64_t writes = 0;
    uint64_t tx;
    uint64_t wr;
    int64_t n = 0;
    int i;
    int j;

    for (i = 0; i < THREADS; i++) {
        wk[i].f = f;
        wk[i].writes = calloc(PER_THREAD, sizeof *wk[i].writes);
        wk[i].arena = arena_new(0);
        assert_non_null(wk[i].writes);
        assert_int_equal(pthread_create(&t[i], NULL, submit_many, &wk[i]), 0);
    }
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < THREADS; i++) {
        for (j = 0; j < PER_THREAD; j++) {
            assert_int_equal(wk[i].writes[j].calls, 1); /* answered exactly once */
            assert_int_equal(wk[i].writes[j].w.rc, 0);
            finish(&wk[i].writes[j]);
        }
        store__committer_stats(wk[i].conn, &tx, &wr);
        transactions = tx;
        writes = wr;
    }
    /* Every row is there, read through another connection. */
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, THREADS * PER_THREAD);
    /* One committer for all the connections, and far fewer transactions than writes. */
    assert_int_equal(writes, THREADS * PER_THREAD);
    assert_true(transactions < writes / 4);
    for (i = 0; i < THREADS; i++) {
        store_close(wk[i].conn);
        arena_free(wk[i].arena);
        free(wk[i].writes);
    }
}

static void test_commit_failing_write_fails_alone(void **state)
{
    struct fixture *f = *state;
    struct waited ok1;
    struct waited missing;
    struct waited ok2;
    struct waited dup;
    struct graph_partner got;

    prepare(&ok1, STORE_WRITE_INSERT, NULL);
    prepare(&missing, STORE_WRITE_PATCH, "5d1e7a8e-0000-4000-8000-00000000dead");
    prepare(&ok2, STORE_WRITE_INSERT, NULL);
    prepare(&dup, STORE_WRITE_INSERT, ok1.p.id); /* the same key again: a constraint error */
    missing.w.a = f->arena;
    assert_true(store_write_async(f->store, &ok1.w));
    assert_true(store_write_async(f->store, &missing.w));
    assert_true(store_write_async(f->store, &ok2.w));
    assert_true(store_write_async(f->store, &dup.w));
    wait_done(&ok1);
    wait_done(&missing);
    wait_done(&ok2);
    wait_done(&dup);
    assert_int_equal(missing.w.rc, CMP_ENOTFOUND);
    assert_int_equal(missing.err.code, CMP_ENOTFOUND);
    assert_int_equal(dup.w.rc, CMP_ESTORE);
    /* Acknowledged if and only if committed. */
    assert_int_equal(store_partner_get(f->store, TENANT, ok1.p.id, f->arena, &got, &f->err),
                     ok1.w.rc ? CMP_ENOTFOUND : 0);
    assert_int_equal(store_partner_get(f->store, TENANT, ok2.p.id, f->arena, &got, &f->err),
                     ok2.w.rc ? CMP_ENOTFOUND : 0);
    if (strcmp(store_backend(f->store), "sqlite") == 0) {
        /* SQLite undoes the failing statement alone: the others commit. */
        assert_int_equal(ok1.w.rc, 0);
        assert_int_equal(ok2.w.rc, 0);
    }
    finish(&ok1);
    finish(&missing);
    finish(&ok2);
    finish(&dup);
}

static void test_commit_patch_and_delete_queued(void **state)
{
    struct fixture *f = *state;
    struct waited ins;
    struct waited patch;
    struct waited del;
    struct graph_partner got;

    prepare(&ins, STORE_WRITE_INSERT, NULL);
    prepare(&patch, STORE_WRITE_PATCH, ins.p.id);
    prepare(&del, STORE_WRITE_DELETE, ins.p.id);
    memset(&patch.p, 0, sizeof patch.p);
    snprintf(patch.p.id, sizeof patch.p.id, "%s", ins.p.id);
    patch.p.display_name = "renamed";
    patch.p.present = GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME);
    patch.w.a = f->arena;
    assert_true(store_write_async(f->store, &ins.w));
    assert_true(store_write_async(f->store, &patch.w));
    wait_done(&ins);
    wait_done(&patch);
    assert_int_equal(ins.w.rc, 0);
    assert_int_equal(patch.w.rc, 0);
    assert_string_equal(patch.out.display_name, "renamed"); /* the merged row comes back */
    assert_int_equal(store_partner_get(f->store, TENANT, ins.p.id, f->arena, &got, &f->err), 0);
    assert_string_equal(got.display_name, "renamed");
    assert_true(store_write_async(f->store, &del.w));
    wait_done(&del);
    assert_int_equal(del.w.rc, 0);
    assert_int_equal(store_partner_get(f->store, TENANT, ins.p.id, f->arena, &got, &f->err),
                     CMP_ENOTFOUND);
    finish(&ins);
    finish(&patch);
    finish(&del);
}

/* The last connection to release the committer waits for what is queued: nothing is dropped. */
static void test_commit_close_drains_the_queue(void **state)
{
    struct fixture *f = *state;
    struct store *conn;
    struct waited x[64];
    int64_t n = 0;
    size_t i;

    assert_int_equal(store_open(f->location, &conn, &f->err), 0);
    for (i = 0; i < 64; i++) {
        prepare(&x[i], STORE_WRITE_INSERT, NULL);
        assert_true(store_write_async(conn, &x[i].w));
    }
    store_close(conn); /* the only user of the committer */
    for (i = 0; i < 64; i++) {
        assert_int_equal(x[i].calls, 1);
        assert_int_equal(x[i].w.rc, 0);
        finish(&x[i]);
    }
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 64);
}

static int synchronous_of(struct store *s)
{
    sqlite3_stmt *st;
    int v;

    assert_int_equal(
        sqlite3_prepare_v2(((struct sqlite_store *)s)->db, "PRAGMA synchronous", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* FULL (2) by default: a commit returns once the log is synced; NORMAL (1) with `process`. */
static void test_durability_sets_synchronous(void **state)
{
    struct fixture *f = *state;

    if (strcmp(store_backend(f->store), "sqlite") != 0)
        skip();
    assert_int_equal(synchronous_of(f->store), 2);
    assert_int_equal(store_set_durability(f->store, STORE_DURABLE_PROCESS, &f->err), 0);
    assert_int_equal(synchronous_of(f->store), 1);
    assert_int_equal(store_set_durability(f->store, STORE_DURABLE_DISK, &f->err), 0);
    assert_int_equal(synchronous_of(f->store), 2);
}

/* store_write runs at once, in its own transaction, with the same results. */
static void test_store_write_runs_now(void **state)
{
    struct fixture *f = *state;
    struct waited ins;
    struct graph_partner got;
    uint64_t tx;
    uint64_t wr;

    prepare(&ins, STORE_WRITE_INSERT, NULL);
    ins.w.done = NULL;
    assert_int_equal(store_write(f->store, &ins.w), 0);
    assert_int_equal(store_partner_get(f->store, TENANT, ins.p.id, f->arena, &got, &f->err), 0);
    store__committer_stats(f->store, &tx, &wr);
    assert_int_equal(wr, 0); /* no committer was involved */
    finish(&ins);
}

/* The nice value of this process's thread named `name` (-100 if there is none). */
static int thread_nice(const char *name)
{
    char path[300];
    char line[1024];
    struct dirent *e;
    DIR *d = opendir("/proc/self/task");
    int nice = -100;
    FILE *fp;

    assert_non_null(d);
    while ((e = readdir(d)) && nice == -100) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        fp = fopen(path, "r");
        if (!fp || !fgets(line, sizeof line, fp)) {
            if (fp)
                fclose(fp);
            continue;
        }
        fclose(fp);
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, name) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        fp = fopen(path, "r");
        assert_non_null(fp);
        assert_non_null(fgets(line, sizeof line, fp));
        fclose(fp);
        /* Field 19 (nice) counts from the ')' that ends the name (field 2). */
        {
            char *p = strrchr(line, ')');
            int field = 2;

            assert_non_null(p);
            for (p++; *p && field < 19; p++)
                if (*p == ' ')
                    field++;
            nice = atoi(p);
        }
    }
    closedir(d);
    return nice;
}

/* The log is checkpointed by the checkpoint thread (not inside a commit) once it grows. */
static void test_checkpoints_run_on_their_own_thread(void **state)
{
    struct fixture *f = *state;
    struct sqlite_store *ss = (struct sqlite_store *)f->store;
    static struct waited x[3000];
    char *big;
    int64_t n = 0;
    size_t i;
    int tries;
    char path[128];
    struct stat sb;

    if (strcmp(store_backend(f->store), "sqlite") != 0)
        skip();
    big = malloc(2048);
    assert_non_null(big);
    memset(big, 'x', 2047);
    big[2047] = '\0';
    assert_non_null(ss->checkpointer);
    assert_int_equal(store__checkpointer_runs(ss->checkpointer), 0);
    for (i = 0; i < 3000; i++) {
        prepare(&x[i], STORE_WRITE_INSERT, NULL);
        x[i].p.display_name = big;
        assert_true(store_write_async(f->store, &x[i].w));
    }
    for (i = 0; i < 3000; i++) {
        wait_done(&x[i]);
        assert_int_equal(x[i].w.rc, 0);
        finish(&x[i]);
    }
    for (tries = 0; tries < 200 && store__checkpointer_runs(ss->checkpointer) == 0; tries++)
        usleep(10000);
    assert_true(store__checkpointer_runs(ss->checkpointer) > 0);
    /* Background work: 10 above the process's own nice value (at most 19). */
    assert_int_equal(thread_nice("cmpd-checkpoint"), getpriority(PRIO_PROCESS, 0) + 10 > 19
                                                         ? 19
                                                         : getpriority(PRIO_PROCESS, 0) + 10);
    /* The pages reached the database file: ~6 MB of rows, far more than its empty size. */
    snprintf(path, sizeof path, "%s/cmpd.db", f->dir);
    for (tries = 0; tries < 200; tries++) {
        assert_int_equal(stat(path, &sb), 0);
        if (sb.st_size > 4 * 1024 * 1024)
            break;
        usleep(10000);
    }
    assert_true(sb.st_size > 4 * 1024 * 1024);
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 3000);
    free(big);
}

/* Queue n creates on `s` and wait for them all; each must succeed. */
static void create_many(struct store *s, struct waited *x, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        prepare(&x[i], STORE_WRITE_INSERT, NULL);
        assert_true(store_write_async(s, &x[i].w));
    }
    for (i = 0; i < n; i++) {
        wait_done(&x[i]);
        assert_int_equal(x[i].w.rc, 0);
        finish(&x[i]);
    }
}

/*
 * With the default durability a group commit's log writes (two per frame) go out in few calls
 * (sqlite_gather.c), and what they wrote is what every other connection reads, then and after
 * the database was closed and opened again.
 */
static void test_commit_gathers_the_log_writes(void **state)
{
    struct fixture *f = *state;
    static struct waited x[400];
    struct store *other;
    uint64_t w0, c0, w1, c1;
    int64_t n = 0;

    if (strcmp(store_backend(f->store), "sqlite") != 0)
        skip();
    store__sqlite_gather_stats(&w0, &c0);
    create_many(f->store, x, 400);
    store__sqlite_gather_stats(&w1, &c1);
    assert_true(w1 - w0 >= 2 * 7); /* a create logs its table and index pages at least once */
    assert_true(c1 > c0);
    assert_true((c1 - c0) * 4 <= w1 - w0); /* and in far fewer calls than writes */
    assert_int_equal(store_open(f->location, &other, &f->err), 0);
    assert_int_equal(store_partner_count(other, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 400);
    store_close(other);
    store_close(f->store);
    assert_int_equal(store_open(f->location, &f->store, &f->err), 0);
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 400);
}

/*
 * A gathered log write that fails (here: the file size limit, as a full disk would) fails the
 * commit's sync and so the commit: its writes get an error, no other connection ever reads them,
 * and the next batch commits.
 */
static void test_commit_fails_when_a_gathered_write_fails(void **state)
{
    struct fixture *f = *state;
    static struct waited x[40];
    struct store *other;
    struct rlimit old;
    struct rlimit lim;
    struct stat sb;
    char path[128];
    char *big;
    int64_t n = -1;
    size_t i;

    if (strcmp(store_backend(f->store), "sqlite") != 0)
        skip();
    create_many(f->store, x, 5);
    snprintf(path, sizeof path, "%s/cmpd.db-wal", f->dir);
    assert_int_equal(stat(path, &sb), 0);
    big = malloc(3000);
    assert_non_null(big);
    memset(big, 'y', 2999);
    big[2999] = '\0';
    /* 40 rows of 3 KB cannot fit below the log's current size: its writes must grow it. */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 4096;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (i = 0; i < 40; i++) {
        prepare(&x[i], STORE_WRITE_INSERT, NULL);
        x[i].p.display_name = big;
        assert_true(store_write_async(f->store, &x[i].w));
    }
    for (i = 0; i < 40; i++)
        wait_done(&x[i]);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    for (i = 0; i < 40; i++) {
        assert_int_not_equal(x[i].w.rc, 0);
        finish(&x[i]);
    }
    assert_int_equal(store_open(f->location, &other, &f->err), 0);
    assert_int_equal(store_partner_count(other, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 5);
    store_close(other);
    create_many(f->store, x, 5);
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 10);
    free(big);
}

/* With --durability process (no sync before a commit is published) nothing is gathered. */
static void test_commit_without_sync_does_not_gather(void **state)
{
    struct fixture *f = *state;
    static struct waited x[100];
    uint64_t w0, c0, w1, c1;
    int64_t n = 0;

    if (strcmp(store_backend(f->store), "sqlite") != 0)
        skip();
    assert_int_equal(store_set_durability(f->store, STORE_DURABLE_PROCESS, &f->err), 0);
    store__sqlite_gather_stats(&w0, &c0);
    create_many(f->store, x, 100);
    store__sqlite_gather_stats(&w1, &c1);
    assert_int_equal(w1, w0);
    assert_int_equal(c1, c0);
    assert_int_equal(store_partner_count(f->store, TENANT, NULL, &n, &f->err), 0);
    assert_int_equal(n, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_groups_the_writes_of_many_threads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_failing_write_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_patch_and_delete_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_close_drains_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_sets_synchronous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write_runs_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_run_on_their_own_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_gathers_the_log_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_without_sync_does_not_gather, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_fails_when_a_gathered_write_fails, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
