/*
 * store/postgres/postgres.c - the PostgreSQL backend of store/store.h, on libpq: tenants,
 * partners and secrets (the connection is postgres_conn.c's, listings postgres_list.c's).
 *
 * One `struct store` is one connection, used by one thread at a time (every server thread opens
 * its own, so --threads bounds the pool).  Every call first checks the connection
 * (store__pg_check); read-only calls, and those whose retry is harmless, run once more when the
 * connection breaks under them; a write whose outcome is unknown is CMP_EUNAVAILABLE with
 * Retry-After 1.  The statements are the prepared ones of postgres_conn.c, run with text
 * parameters.  Rows of another tenant are never touched: the tenant id is part of every WHERE
 * clause, and another tenant's row is CMP_ENOTFOUND with an unknown id's message.  Throttle
 * counters are the database's (table `throttle`, function cmpd_throttle_take of schema v4), so
 * every instance counts in the same windows.  Tenant lookups are answered from the connection's
 * tenant cache (store/tenant_cache.c) until a notification on STORE_PG_TENANT_CHANNEL - sent by
 * every tenant update, of any instance - or a reconnect advances its epoch (postgres_conn.c).
 */
#include <libpq-fe.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "store/postgres/postgres_impl.h"

static struct pg_store *from(struct store *s)
{
    return (struct pg_store *)s;
}

/* ---- tenants ---- */

static int read_tenant(const PGresult *r, int row, struct store_tenant *t, struct cmp_error *err)
{
    int n = PQgetlength(r, row, 0);
    int64_t created;

    if (PQgetisnull(r, row, 0) || n < 0 || (size_t)n >= sizeof t->id ||
        str_to_int64(PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2), INT64_MIN, INT64_MAX,
                     &created)) {
        log_error("postgres: unreadable tenant row");
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    memcpy(t->id, PQgetvalue(r, row, 0), (size_t)n);
    t->id[n] = '\0';
    t->intune_licensed = PQgetvalue(r, row, 1)[0] == 't';
    t->created = created;
    return 0;
}

static int tenant_get(struct pg_store *s, const char *tenant, struct store_tenant *out,
                      struct cmp_error *err)
{
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc;

    store__pg_param(&p, tenant);
    rc = store__pg_exec(s, PG_TENANT_GET, &p, false, PGRES_TUPLES_OK, "get tenant", &r, err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_TENANT_NOT_FOUND);
    else
        rc = read_tenant(r, 0, out, err);
    PQclear(r);
    return rc;
}

struct store__tenant_cache *store__pg_tenant_cache(struct store *base)
{
    return &from(base)->tenants;
}

/*
 * The check before the call has taken the notifications that came (postgres_conn.c), so the epoch
 * is current: the cache answers while its entry was filed under it; else the row is read and
 * filed under the epoch of before the read (a notification arriving with the answer advances it).
 * Without the check (tests switch it off) nothing reads the socket for notifications: no cache.
 */
static int pg_tenant_get(struct store *base, const char *tenant, struct store_tenant *out,
                         struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    uint64_t epoch = 0;
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err)) {
        epoch = s->tenant_epoch;
        if (s->precheck && store__tenant_cache_get(&s->tenants, tenant, epoch, out))
            return 0;
        rc = tenant_get(s, tenant, out, err);
    }
    if (!rc && s->precheck)
        store__tenant_cache_put(&s->tenants, out, epoch);
    return rc;
}

/*
 * An update NOTIFYs STORE_PG_TENANT_CHANNEL from its own statement (PG_TENANT_PUT): every
 * connection's cache, this one's included, drops its entries once it commits.  Adding a new
 * tenant only (only_if_new) changes no row anyone can have cached - not-found is never cached -
 * so it notifies nobody.
 */
static int pg_tenant_put(struct store *base, const struct store_tenant *t, bool only_if_new,
                         struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc = store__pg_check(s, err);

    if (rc)
        return rc;
    store__pg_param(&p, t->id);
    store__pg_param(&p, t->intune_licensed ? "true" : "false");
    store__pg_param_int(&p, t->created);
    rc = store__pg_exec(s, only_if_new ? PG_TENANT_PUT_NEW : PG_TENANT_PUT, &p, false,
                        only_if_new ? PGRES_COMMAND_OK : PGRES_TUPLES_OK, "put tenant", &r, err);
    store__tenant_cache_forget(&s->tenants, t->id);
    if (rc)
        return rc;
    PQclear(r);
    return 0;
}

static int tenant_list(struct pg_store *s, struct arena *a, struct store_tenant **out, size_t *n,
                       struct cmp_error *err)
{
    struct store_tenant *items;
    PGresult *r = NULL;
    int rows;
    int i;
    int rc =
        store__pg_exec(s, PG_TENANT_LIST, NULL, false, PGRES_TUPLES_OK, "list tenants", &r, err);

    if (rc)
        return rc;
    rows = PQntuples(r);
    items = arena_calloc(a, rows ? (size_t)rows : 1, sizeof *items);
    if (!items)
        rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    for (i = 0; i < rows && !rc; i++)
        rc = read_tenant(r, i, &items[i], err);
    PQclear(r);
    if (!rc) {
        *out = items;
        *n = (size_t)rows;
    }
    return rc;
}

static int pg_tenant_list(struct store *base, struct arena *a, struct store_tenant **out, size_t *n,
                          struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err))
        rc = tenant_list(s, a, out, n, err);
    return rc;
}

/* ---- partners ---- */

/* Insert `p` on a connection already checked (alone, or inside a group commit). */
static int insert_row(struct pg_store *s, const char *tenant, const struct graph_partner *p,
                      struct cmp_error *err)
{
    struct store__pg_params params = {0};
    int64_t now = time_now();
    PGresult *r = NULL;
    int rc;

    store__pg_param(&params, tenant);
    store__pg_param(&params, p->id);
    rc = store__pg_param_values(s, &params, p, err);
    if (rc)
        return rc;
    store__pg_param_int(&params, now);
    store__pg_param_int(&params, now);
    /* A duplicate id (unique_violation) is CMP_ESTORE, as on SQLite. */
    rc = store__pg_exec(s, PG_PARTNER_INSERT, &params, false, PGRES_COMMAND_OK, "insert partner",
                        &r, err);
    if (rc)
        return rc;
    PQclear(r);
    return 0;
}

static int pg_partner_insert(struct store *base, const char *tenant, const struct graph_partner *p,
                             struct cmp_error *err)
{
    struct pg_store *s = from(base);
    int rc = store__pg_check(s, err);

    return rc ? rc : insert_row(s, tenant, p, err);
}

/* Read partner `id` of `tenant` with statement `st` (GET, or LOCK in a transaction). */
static int read_one(struct pg_store *s, enum store__pg_stmt st, const char *tenant, const char *id,
                    struct arena *a, struct graph_partner *out, struct cmp_error *err)
{
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int64_t seq;
    int rc;

    store__pg_param(&p, tenant);
    store__pg_param(&p, id);
    rc = store__pg_exec(s, st, &p, false, PGRES_TUPLES_OK, "get partner", &r, err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0)
        rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
    else
        rc = store__pg_read_row(r, 0, a, out, &seq, err);
    PQclear(r);
    return rc;
}

static int pg_partner_get(struct store *base, const char *tenant, const char *id, struct arena *a,
                          struct graph_partner *out, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err))
        rc = read_one(s, PG_PARTNER_GET, tenant, id, a, out, err);
    return rc;
}

/* Write every value column of `p` over the row `id` of `tenant`. */
static int write_one(struct pg_store *s, const char *tenant, const char *id,
                     const struct graph_partner *p, struct cmp_error *err)
{
    struct store__pg_params params = {0};
    PGresult *r = NULL;
    int rc = store__pg_param_values(s, &params, p, err);

    if (rc)
        return rc;
    store__pg_param_int(&params, time_now());
    store__pg_param(&params, tenant);
    store__pg_param(&params, id);
    rc = store__pg_exec(s, PG_PARTNER_UPDATE, &params, false, PGRES_COMMAND_OK, "update partner",
                        &r, err);
    if (rc)
        return rc;
    if (strcmp(PQcmdTuples(r), "1") != 0)
        rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
    PQclear(r);
    return rc;
}

/*
 * One patch: the row read FOR UPDATE (a concurrent patch of it waits until this one commits, then
 * reads its result), merged, written and committed.  *committing tells whether COMMIT was sent.
 */
static int patch_once(struct pg_store *s, const char *tenant, const char *id,
                      const struct graph_partner *patch, struct arena *a, struct graph_partner *out,
                      bool *committing, struct cmp_error *err)
{
    int rc = store__pg_command(s, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin patch", err);

    *committing = false;
    rc = rc ? rc : read_one(s, PG_PARTNER_LOCK, tenant, id, a, out, err);
    if (!rc) {
        graph_partner_merge(out, patch);
        rc = write_one(s, tenant, id, out, err);
    }
    if (!rc) {
        *committing = true;
        rc = store__pg_command(s, "COMMIT", "commit patch", err);
    }
    if (rc && !s->lost)
        store__pg_rollback(s);
    return rc;
}

/*
 * Read, merge and write in one transaction, so concurrent patches of one partner each see the
 * other's result.  A connection lost before COMMIT was sent lost the transaction with it: nothing
 * was written, and the patch runs once more on a new connection.  *out borrows the strings and
 * collections of `patch` that it took over.
 */
static int pg_partner_patch(struct store *base, const char *tenant, const char *id,
                            const struct graph_partner *patch, struct arena *a,
                            struct graph_partner *out, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    bool committing = false;
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err)) {
        rc = patch_once(s, tenant, id, patch, a, out, &committing, err);
        if (committing)
            break; /* after COMMIT was sent, the outcome is unknown: no retry */
    }
    return rc;
}

/* Delete on a connection already checked (alone, or inside a group commit). */
static int delete_row(struct pg_store *s, const char *tenant, const char *id, struct cmp_error *err)
{
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc;

    store__pg_param(&p, tenant);
    store__pg_param(&p, id);
    rc = store__pg_exec(s, PG_PARTNER_DELETE, &p, false, PGRES_COMMAND_OK, "delete partner", &r,
                        err);
    if (rc)
        return rc;
    if (strcmp(PQcmdTuples(r), "0") == 0)
        rc = cmp_error_set(err, CMP_ENOTFOUND, STORE_MSG_PARTNER_NOT_FOUND);
    PQclear(r);
    return rc;
}

static int pg_partner_delete(struct store *base, const char *tenant, const char *id,
                             struct cmp_error *err)
{
    struct pg_store *s = from(base);
    int rc = store__pg_check(s, err);

    return rc ? rc : delete_row(s, tenant, id, err);
}

/* Every partner of `tenant` in one statement: its own transaction, or the caller's bulk one. */
static int pg_partner_delete_all(struct store *base, const char *tenant, int64_t *deleted,
                                 struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc = store__pg_check(s, err);

    if (rc)
        return rc;
    store__pg_param(&p, tenant);
    rc = store__pg_exec(s, PG_PARTNER_DELETE_ALL, &p, false, PGRES_COMMAND_OK,
                        "delete partners of a tenant", &r, err);
    if (rc)
        return rc;
    if (str_to_int64(PQcmdTuples(r), strlen(PQcmdTuples(r)), 0, INT64_MAX, deleted)) {
        log_error("postgres: unreadable row count of a delete");
        rc = cmp_error_set(err, CMP_ESTORE, NULL);
    }
    PQclear(r);
    return rc;
}

static int partner_tenants(struct pg_store *s, struct arena *a, const char ***out, size_t *n,
                           struct cmp_error *err)
{
    const char **items;
    PGresult *r = NULL;
    int rows;
    int i;
    int rc = store__pg_exec(s, PG_PARTNER_TENANTS, NULL, false, PGRES_TUPLES_OK,
                            "list the tenants of partners", &r, err);

    if (rc)
        return rc;
    rows = PQntuples(r);
    items = arena_calloc(a, rows ? (size_t)rows : 1, sizeof *items);
    if (!items)
        rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    for (i = 0; i < rows && !rc; i++) {
        items[i] = arena_strndup(a, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
        if (!items[i])
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    PQclear(r);
    if (!rc) {
        *out = items;
        *n = (size_t)rows;
    }
    return rc;
}

static int pg_partner_tenants(struct store *base, struct arena *a, const char ***out, size_t *n,
                              struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err))
        rc = partner_tenants(s, a, out, n, err);
    return rc;
}

static int pg_partner_list(struct store *base, const char *tenant, const struct store_list_req *req,
                           struct arena *a, struct store_page *out, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err))
        rc = store__pg_list(s, tenant, req, a, out, err);
    return rc;
}

static int pg_partner_count(struct store *base, const char *tenant, const struct odata_expr *filter,
                            int64_t *out, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    while (store__pg_attempt(s, &t, &rc, err))
        rc = store__pg_count(s, tenant, filter, out, err);
    return rc;
}

/* ---- shared secrets ---- */

/* Read secret `name` into *out (arena-owned, NUL-terminated); the value comes back binary. */
static int read_secret(struct pg_store *s, const char *name, struct arena *a, unsigned char **out,
                       size_t *out_n, struct cmp_error *err)
{
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc = 0;
    int n;

    store__pg_param(&p, name);
    rc = store__pg_exec(s, PG_SECRET_GET, &p, true, PGRES_TUPLES_OK, "get secret", &r, err);
    if (rc)
        return rc;
    n = PQntuples(r) ? PQgetlength(r, 0, 0) : 0;
    if (PQntuples(r) == 0) {
        rc = cmp_error_set(err, CMP_ENOTFOUND, "No such secret.");
    } else if (PQgetisnull(r, 0, 0) || n <= 0 || (size_t)n > STORE_MAX_SECRET) {
        log_error("postgres: the stored secret %s is unusable", name);
        rc = cmp_error_set(err, CMP_ESTORE, NULL);
    } else {
        *out = arena_alloc(a, (size_t)n + 1);
        if (!*out) {
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
        } else {
            memcpy(*out, PQgetvalue(r, 0, 0), (size_t)n);
            (*out)[n] = '\0';
            *out_n = (size_t)n;
        }
    }
    PQclear(r);
    return rc;
}

static int secret_ensure(struct pg_store *s, const char *name, const void *candidate, size_t n,
                         struct arena *a, unsigned char **out, size_t *out_n, struct cmp_error *err)
{
    struct store__pg_params p = {0};
    PGresult *r = NULL;
    int rc;

    if (candidate && n) {
        store__pg_param(&p, name);
        /* The value goes as binary bytea: no escaping, NULs kept. */
        store__pg_param_bytes(&p, candidate, n);
        rc = store__pg_exec(s, PG_SECRET_PUT_NEW, &p, false, PGRES_COMMAND_OK, "put secret", &r,
                            err);
        if (rc)
            return rc;
        PQclear(r);
    }
    return read_secret(s, name, a, out, out_n, err);
}

/*
 * Storing a value only if none is there is idempotent, so the whole call is retried like a read
 * when the connection breaks under it.
 */
static int pg_secret_ensure(struct store *base, const char *name, const void *candidate, size_t n,
                            struct arena *a, unsigned char **out, size_t *out_n,
                            struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_attempt t = {0};
    int rc = 0;

    if (candidate && n > STORE_MAX_SECRET)
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    while (store__pg_attempt(s, &t, &rc, err))
        rc = secret_ensure(s, name, candidate, n, a, out, out_n, err);
    return rc;
}

/* ---- throttling ---- */

/* Append `v` as an element of a PostgreSQL array literal: quoted, with " and \\ escaped. */
static int array_element(struct buf *b, const char *v)
{
    int rc = b->len > 1 ? buf_putc(b, ',') : 0; /* after the opening brace */

    rc = rc ? rc : buf_putc(b, '"');
    for (; *v && !rc; v++) {
        if (*v == '"' || *v == '\\')
            rc = buf_putc(b, '\\');
        rc = rc ? rc : buf_putc(b, *v);
    }
    return rc ? rc : buf_putc(b, '"');
}

/*
 * One call of cmpd_throttle_take with the keys that have a limit, as two array literals.  Not run
 * again when the connection breaks under it: the database may have counted the request (the
 * caller decides what a failure means; the connection is reset before the next call).
 */
static int pg_throttle_take(struct store *base, const struct store_throttle_key *keys, size_t n,
                            int window_s, int *retry_after, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    struct store__pg_params p = {0};
    struct buf names;
    struct buf limits;
    PGresult *r = NULL;
    int64_t wait = 0;
    size_t i;
    int rc = 0;

    /* Room for every name escaped (each byte at most doubled), quotes and commas. */
    buf_init(&names, STORE_THROTTLE_MAX_KEYS * (2 * STORE_THROTTLE_MAX_NAME + 3) + 2);
    buf_init(&limits, STORE_THROTTLE_MAX_KEYS * 12 + 2);
    rc = buf_putc(&names, '{');
    rc = rc ? rc : buf_putc(&limits, '{');
    for (i = 0; i < n && !rc; i++) {
        if (!keys[i].limit)
            continue;
        rc = array_element(&names, keys[i].name);
        rc = rc ? rc : buf_printf(&limits, "%s%u", limits.len > 1 ? "," : "", keys[i].limit);
    }
    rc = rc ? rc : buf_putc(&names, '}');
    rc = rc ? rc : buf_putc(&limits, '}');
    if (rc)
        rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    else if (names.len > 2)
        rc = store__pg_check(s, err);
    if (!rc && names.len > 2) {
        store__pg_param(&p, names.data);
        store__pg_param(&p, limits.data);
        store__pg_param_int(&p, window_s);
        rc = store__pg_exec(s, PG_THROTTLE_TAKE, &p, false, PGRES_TUPLES_OK, "throttle", &r, err);
        if (!rc && (PQntuples(r) != 1 || PQgetisnull(r, 0, 0) ||
                    str_to_int64(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 0,
                                 STORE_THROTTLE_MAX_WINDOW, &wait))) {
            log_error("postgres: unreadable answer of cmpd_throttle_take");
            rc = cmp_error_set(err, CMP_ESTORE, NULL);
        }
        PQclear(r);
    }
    buf_fini(&names);
    buf_fini(&limits);
    if (!rc)
        *retry_after = (int)wait;
    return rc;
}

/* ---- group commit (store/commit.c) ---- */

static int pg_txn_begin(struct store *base, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    int rc = store__pg_check(s, err);

    return rc ? rc
              : store__pg_command(s, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin batch", err);
}

/*
 * A bulk transaction (store_bulk_begin): the same BEGIN, and the calls made inside it go through
 * the check before each call without its rollback (s->bulk), until pg_txn_end.
 */
static int pg_bulk_begin(struct store *base, struct cmp_error *err)
{
    struct pg_store *s = from(base);
    int rc = pg_txn_begin(base, err);

    /* A generic plan made while the table looked small (the rows this transaction inserts are
     * not in the statistics) scans the table for every lookup: an import grew quadratic
     * (20,000 lines 21 s).  Custom plans see the table's real size and use the index. */
    if (!rc)
        rc = store__pg_command(s, "SET LOCAL plan_cache_mode = force_custom_plan", "begin bulk",
                               err);
    if (rc && !s->lost)
        store__pg_rollback(s);
    s->bulk = rc == 0;
    return rc;
}

/* COMMIT, or ROLLBACK of whatever is open (also a transaction an error aborted). */
static int pg_txn_end(struct store *base, bool commit, struct cmp_error *err)
{
    struct pg_store *s = from(base);

    s->bulk = false;
    if (commit)
        return store__pg_command(s, "COMMIT", "commit batch", err);
    if (!s->lost)
        store__pg_rollback(s);
    return 0;
}

/* False once a statement failed (PostgreSQL aborts the whole transaction) or the link was lost. */
static bool pg_txn_open(struct store *base)
{
    struct pg_store *s = from(base);

    return !s->lost && PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
}

static int pg_write_in_txn(struct store *base, struct store_write *w)
{
    struct pg_store *s = from(base);
    int rc;

    switch (w->kind) {
    case STORE_WRITE_INSERT:
        return insert_row(s, w->tenant, w->p, w->err);
    case STORE_WRITE_PATCH:
        /* The row is locked until the batch commits: a patch of it queued later reads this one's
         * result, in this batch or the next. */
        rc = read_one(s, PG_PARTNER_LOCK, w->tenant, w->id, w->a, w->out, w->err);
        if (!rc) {
            graph_partner_merge(w->out, w->p);
            rc = write_one(s, w->tenant, w->id, w->out, w->err);
        }
        return rc;
    case STORE_WRITE_DELETE:
        return delete_row(s, w->tenant, w->id, w->err);
    }
    return cmp_error_set(w->err, CMP_EINTERNAL, NULL);
}

const struct store_ops store__postgres_ops = {
    .name = "postgres",
    .open = store__pg_open,
    .close = store__pg_close,
    .tenant_get = pg_tenant_get,
    .tenant_put = pg_tenant_put,
    .tenant_list = pg_tenant_list,
    .partner_insert = pg_partner_insert,
    .partner_get = pg_partner_get,
    .partner_patch = pg_partner_patch,
    .partner_delete = pg_partner_delete,
    .partner_list = pg_partner_list,
    .partner_count = pg_partner_count,
    .partner_delete_all = pg_partner_delete_all,
    .partner_tenants = pg_partner_tenants,
    .secret_ensure = pg_secret_ensure,
    .throttle_take = pg_throttle_take,
    .txn_begin = pg_txn_begin,
    .txn_end = pg_txn_end,
    .txn_open = pg_txn_open,
    .write_in_txn = pg_write_in_txn,
    .bulk_begin = pg_bulk_begin,
};
