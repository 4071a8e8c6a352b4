/*
 * store/sqlite/sqlite_checkpoint.c - WAL checkpoints off the commit path.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that pushes the log past its threshold:
 * that commit (and, with group commit, every write queued behind it) waits while pages are copied
 * into the database file and, with synchronous=FULL, while that file is synced.  Instead, every
 * connection of this backend replaces it with its own WAL hook: past CHECKPOINT_PAGES the hook
 * wakes one checkpoint thread per database file, which runs PASSIVE checkpoints on its own
 * connection while writers and readers go on (PASSIVE never waits for them).  Such a checkpoint
 * always lags the writer a little, and SQLite only restarts the log from its beginning once every
 * page of it is copied; so past CHECKPOINT_INLINE_PAGES the committing connection finishes the
 * copy itself, as SQLite would - by then the thread has copied and synced nearly everything, and
 * the inline part is short.  The group committer's connection does it after the batch was
 * answered (store__checkpointer_after_batch), so that no acknowledgement waits for it.
 *
 * Shared by name (the database's real path) and reference-counted, like store/window.c.  The
 * thread and its connection start at the first commit that wants a checkpoint, not when a
 * connection opens (a `cmpd token` never starts them).  If they cannot start, the committing
 * connections checkpoint themselves, as SQLite's automatic checkpoint would.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "store/shared.h"
#include "store/sqlite/sqlite_impl.h"

/* Log pages (of the default 4 KiB) after a commit that wake the checkpoint thread; SQLite's own
 * automatic checkpoint uses the same threshold. */
#define CHECKPOINT_PAGES 1000
/* The thread's nice value, above the process's: copying the log into the database is background
 * work, and at equal priority it took a third of the CPU from the event loops and the group
 * committer under a write load (creates +10-27 % at +10 on the two-core bench machine).  Should it
 * fall behind, the committer's own checkpoint past CHECKPOINT_INLINE_PAGES keeps the log bounded.
 */
#define CHECKPOINT_NICE 10
/* Log pages after which the committing connection checkpoints itself, so that the log restarts. */
#define CHECKPOINT_INLINE_PAGES 4000

struct store__checkpointer {
    struct store__shared shared; /* first: by the database's real path (store/shared.h) */
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool wanted; /* a checkpoint was asked for since the last one began */
    bool stopping;
    bool started;  /* the thread runs (under `lock`) */
    bool failed;   /* it could not start: commits checkpoint themselves */
    uint64_t runs; /* checkpoints run (tests) */
};

static void *checkpoint_main(void *arg)
{
    struct store__checkpointer *c = arg;
    int frames;
    int copied;
    int nice;
    int rc;

    pthread_setname_np(pthread_self(), "cmpd-checkpoint");
    /* Per thread on Linux, relative to the process's own; lowering it needs no privilege. */
    nice = getpriority(PRIO_PROCESS, (id_t)gettid()) + CHECKPOINT_NICE;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice > 19 ? 19 : nice) != 0)
        log_warn("sqlite: the checkpoint thread keeps its priority");
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->wanted && !c->stopping)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->lock);
        rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
            log_warn("sqlite: checkpoint: %s (code %d)", sqlite3_errmsg(c->db), rc);
        pthread_mutex_lock(&c->lock);
        c->runs++;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void destroy(struct store__checkpointer *c)
{
    if (c->db)
        sqlite3_close_v2(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

static struct store__shared *create(const char *path, void *arg)
{
    struct store__checkpointer *c = calloc(1, sizeof *c);

    (void)path;
    (void)arg;
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    return &c->shared;
}

/* Open the thread's connection and start it; under c->lock.  On failure c->failed. */
static void start(struct store__checkpointer *c)
{
    const char *path = c->shared.name;

    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("sqlite: cannot open %s for checkpoints; commits checkpoint themselves", path);
        c->failed = true;
        return;
    }
    /* It never waits for a lock: a busy checkpoint is simply run again at the next wake.  A
     * first read opens the log: a checkpoint on a connection that never read does nothing. */
    sqlite3_wal_autocheckpoint(c->db, 0);
    if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("sqlite: checkpoint connection: %s", sqlite3_errmsg(c->db));
    if (pthread_create(&c->thread, NULL, checkpoint_main, c)) {
        log_error("sqlite: cannot start the checkpoint thread; commits checkpoint themselves");
        c->failed = true;
        return;
    }
    c->started = true;
}

/* The last connection to the file went: stop the thread, if it ever started. */
static void stop(struct store__shared *s)
{
    struct store__checkpointer *c = (struct store__checkpointer *)s;

    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (c->started)
        pthread_join(c->thread, NULL);
    destroy(c);
}

static struct store__registry checkpointers = STORE_REGISTRY(create, stop);

struct store__checkpointer *store__checkpointer_acquire(const char *path)
{
    return (struct store__checkpointer *)store__shared_acquire(&checkpointers, path, NULL);
}

void store__checkpointer_release(struct store__checkpointer *c)
{
    store__shared_release(&checkpointers, c ? &c->shared : NULL);
}

/* Copy what the checkpoint thread has not yet, on the connection that wrote it. */
static void checkpoint_here(sqlite3 *db)
{
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        log_warn("sqlite: checkpoint: %s (code %d)", sqlite3_errmsg(db), rc);
}

/* sqlite3_wal_hook: after every commit, with the log's size in pages. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct sqlite_store *s = arg;
    struct store__checkpointer *c = s->checkpointer;

    (void)name;
    if (pages >= CHECKPOINT_INLINE_PAGES) {
        if (s->batching)
            s->log_full = true;
        else
            checkpoint_here(db);
    } else if (pages >= CHECKPOINT_PAGES) {
        bool failed;

        pthread_mutex_lock(&c->lock);
        if (!c->started && !c->failed)
            start(c);
        failed = c->failed;
        c->wanted = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        if (failed)
            checkpoint_here(db);
    }
    return SQLITE_OK;
}

void store__checkpointer_attach(struct sqlite_store *s)
{
    if (!s->checkpointer)
        return; /* SQLite's automatic checkpoint stays on */
    sqlite3_wal_hook(s->db, on_commit, s);
}

void store__checkpointer_after_batch(struct sqlite_store *s)
{
    if (!s->log_full)
        return;
    s->log_full = false;
    checkpoint_here(s->db);
}

uint64_t store__checkpointer_runs(struct store__checkpointer *c)
{
    uint64_t n;

    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    n = c->runs;
    pthread_mutex_unlock(&c->lock);
    return n;
}
