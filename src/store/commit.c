/*
 * store/commit.c - group commit: the partner writes of many requests share one transaction and
 * one commit (one fsync with the default durability).
 *
 * One committer per database location per process: a thread with its own connection (opened with
 * store_open, so it is an ordinary connection of the backend) and a queue.  The thread takes
 * everything queued, runs it inside one write transaction through the backend's write_in_txn,
 * commits, and only then sets each write's result and calls its `done`.  While it commits, new
 * writes queue up and go together into the next transaction: the busier the server, the larger
 * the batches, and a lone write waits for no one.
 *
 * A write that fails without an SQL error (not found) fails alone, and so does one whose
 * statement SQLite undoes alone (a constraint).  When the transaction is lost with it (PostgreSQL
 * aborts it on any error; SQLite on I/O errors or a full disk; a broken connection) or the commit
 * fails, every write of the transaction not yet failed gets that error: nothing is acknowledged
 * that was not committed.  The writes after it start a new transaction.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/shared.h"
#include "store/store_impl.h"

/* At most this many writes per transaction: a bound on one commit's latency. */
#define COMMIT_MAX_BATCH 512

struct store__committer {
    struct store__shared shared; /* first: by location (store/shared.h) */
    struct store *conn;
    pthread_t thread;
    pthread_mutex_t lock; /* the queue and `stopping` */
    pthread_cond_t more;
    struct store_write *head;
    struct store_write **tail;
    bool stopping;
    atomic_uint_fast64_t transactions; /* begun (tests) */
    atomic_uint_fast64_t writes;       /* run */
};

/* Fail every write of `first`..`end` (exclusive) that has not failed yet with `rc`/`why`. */
static void fail_open(struct store_write *first, struct store_write *end, int rc,
                      const struct cmp_error *why)
{
    struct store_write *w;

    for (w = first; w != end; w = w->next) {
        if (w->rc)
            continue;
        w->rc = cmp_error_set(w->err, rc, "%s", why->msg);
        if (w->err)
            w->err->retry_after = why->retry_after;
    }
}

/*
 * Run the writes of `batch` in as few transactions as the backend allows.  Every write's rc is
 * set on return; none is acknowledged (done) here.
 */
static void run_batch(struct store__committer *c, struct store_write *batch)
{
    struct store *s = c->conn;
    struct store_write *first = batch; /* the first write of the open transaction */
    struct store_write *w = batch;
    struct cmp_error err;
    int rc;

    while (first) {
        memset(&err, 0, sizeof err);
        rc = s->ops->txn_begin(s, &err);
        atomic_fetch_add_explicit(&c->transactions, 1, memory_order_relaxed);
        if (rc) {
            fail_open(first, NULL, rc, &err);
            return;
        }
        for (w = first; w; w = w->next) {
            w->rc = s->ops->write_in_txn(s, w);
            atomic_fetch_add_explicit(&c->writes, 1, memory_order_relaxed);
            if (w->rc && !s->ops->txn_open(s))
                break; /* the backend undid the whole transaction */
        }
        if (w) {
            /* Everything before w was undone with it; w has its own error. */
            struct cmp_error lost = {0};
            cmp_error_set(&lost, w->rc == CMP_EUNAVAILABLE ? CMP_EUNAVAILABLE : CMP_ESTORE, NULL);
            lost.retry_after = w->err ? w->err->retry_after : 0;
            fail_open(first, w, lost.code, &lost);
            s->ops->txn_end(s, false, NULL); /* what is left of it, if the backend kept any */
            first = w->next;
            continue;
        }
        memset(&err, 0, sizeof err);
        rc = s->ops->txn_end(s, true, &err);
        if (rc) {
            if (s->ops->txn_open(s))
                s->ops->txn_end(s, false, NULL);
            fail_open(first, NULL, rc, &err);
        }
        return;
    }
}

static void *committer_main(void *arg)
{
    struct store__committer *c = arg;
    struct store_write *batch;
    struct store_write *w;
    struct store_write *next;
    struct store_write **cut;
    size_t n;

    pthread_setname_np(pthread_self(), "cmpd-commit");
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (!c->head && !c->stopping)
            pthread_cond_wait(&c->more, &c->lock);
        if (!c->head) {
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        /* Take up to COMMIT_MAX_BATCH writes, in the order they came. */
        batch = c->head;
        for (cut = &c->head, n = 0; *cut && n < COMMIT_MAX_BATCH; n++)
            cut = &(*cut)->next;
        c->head = *cut;
        *cut = NULL;
        if (!c->head)
            c->tail = &c->head;
        pthread_mutex_unlock(&c->lock);

        run_batch(c, batch);
        for (w = batch; w; w = next) {
            next = w->next; /* done() may free w */
            w->next = NULL;
            w->done(w);
        }
        if (c->conn->ops->after_batch)
            c->conn->ops->after_batch(c->conn);
    }
}

static void destroy(struct store__committer *c)
{
    store_close(c->conn);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->more);
    free(c);
}

/* The committer of `location`: its connection (durability *arg) and its thread. */
static struct store__shared *create(const char *location, void *arg)
{
    struct store__committer *c = calloc(1, sizeof *c);
    struct cmp_error err = {0};

    if (!c)
        return NULL;
    c->tail = &c->head;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->more, NULL);
    if (store_open(location, &c->conn, &err) ||
        store_set_durability(c->conn, *(const enum store_durability *)arg, &err)) {
        log_error("store: cannot start the group committer: %s",
                  err.msg[0] ? err.msg : "out of memory");
        destroy(c);
        return NULL;
    }
    if (pthread_create(&c->thread, NULL, committer_main, c)) {
        log_error("store: cannot start the group committer thread");
        destroy(c);
        return NULL;
    }
    return &c->shared;
}

/* The last reference went: the thread finishes what is queued, then ends. */
static void stop(struct store__shared *s)
{
    struct store__committer *c = (struct store__committer *)s;

    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    destroy(c);
}

static struct store__registry committers = STORE_REGISTRY(create, stop);

struct store__committer *store__committer_acquire(const char *location, enum store_durability d)
{
    return (struct store__committer *)store__shared_acquire(&committers, location, &d);
}

void store__committer_release(struct store__committer *c)
{
    store__shared_release(&committers, c ? &c->shared : NULL);
}

void store__committer_submit(struct store__committer *c, struct store_write *w)
{
    w->next = NULL;
    w->rc = 0;
    pthread_mutex_lock(&c->lock);
    *c->tail = w;
    c->tail = &w->next;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
}

void store__committer_stats(const struct store *s, uint64_t *transactions, uint64_t *writes)
{
    struct store__committer *c = s->committer;

    *transactions = 0;
    *writes = 0;
    if (!c)
        return;
    *transactions = atomic_load(&c->transactions);
    *writes = atomic_load(&c->writes);
}
