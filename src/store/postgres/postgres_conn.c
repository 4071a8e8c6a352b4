/*
 * store/postgres/postgres_conn.c - the connection of the PostgreSQL backend: opening it, the
 * session, the fixed statements, running statements and mapping their errors, and recovering a
 * connection the server closed.
 *
 * The connection URI is libpq's; cmpd adds application_name=cmpd and connect_timeout=5 unless the
 * URI sets them, and always speaks UTF-8.  The session keeps synchronous_commit on (a 0 return
 * after a write means committed) and waits at most 5 s for a row lock unless the server or the
 * URI bounds that already.  The fixed statements are prepared once per session under their names.
 *
 * A connection the server closed (restart, failover, pg_terminate_backend) is found before each
 * call without blocking (poll() on its socket, then reading what waits there: the server's last
 * words and the end of the stream) and reset: reconnected with the same parameters, the session
 * set up, the statements prepared again and the listing cache emptied.  A call that failed
 * because the connection broke marks it lost, so the next call resets it; read-only calls run
 * once more at once (struct store__pg_attempt).  A server that cannot be reached is
 * CMP_EUNAVAILABLE.  PostgreSQL's messages are logged, never returned to the client, and the
 * password of the URI is never logged.
 *
 * Every session LISTENs on STORE_PG_TENANT_CHANNEL, and a tenant update NOTIFYs it from the same
 * statement (so only once it commits).  The check before each call takes the notifications that
 * came - those read with the results of earlier calls, and those waiting on the socket - and each
 * advances the tenant epoch, which invalidates the connection's tenant cache; so does a reset,
 * since a session that was gone may have missed some.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "store/postgres/postgres_impl.h"

/* Largest assignment collections, as JSON, one partner statement may send. */
#define STORE_PG_MAX_JSON (64u * 1024 * 1024)
/* Largest SQL text built from the model table. */
#define STORE_PG_MAX_SQL 4096
/* Defaults the URI may override. */
#define STORE_PG_CONNECT_TIMEOUT "5"
#define STORE_PG_LOCK_TIMEOUT "5s"

static const char *const stmt_names[PG_COUNT] = {
    [PG_TENANT_GET] = "cmpd_tenant_get",
    [PG_TENANT_PUT] = "cmpd_tenant_put",
    [PG_TENANT_PUT_NEW] = "cmpd_tenant_put_new",
    [PG_TENANT_LIST] = "cmpd_tenant_list",
    [PG_PARTNER_INSERT] = "cmpd_partner_insert",
    [PG_PARTNER_GET] = "cmpd_partner_get",
    [PG_PARTNER_LOCK] = "cmpd_partner_lock",
    [PG_PARTNER_UPDATE] = "cmpd_partner_update",
    [PG_PARTNER_DELETE] = "cmpd_partner_delete",
    [PG_PARTNER_DELETE_ALL] = "cmpd_partner_delete_all",
    [PG_PARTNER_TENANTS] = "cmpd_partner_tenants",
    [PG_SECRET_PUT_NEW] = "cmpd_secret_put_new",
    [PG_SECRET_GET] = "cmpd_secret_get",
    [PG_THROTTLE_TAKE] = "cmpd_throttle_take",
};

/* Statements whose text does not depend on the model table. */
static const char *const fixed_sql[PG_COUNT] = {
    [PG_TENANT_GET] = "SELECT id, intune_licensed, created FROM tenants WHERE id = $1",
    /* The update and its notification in one statement, so in one transaction. */
    [PG_TENANT_PUT] = "WITH t AS (INSERT INTO tenants (id, intune_licensed, created) "
                      "VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET intune_licensed = "
                      "excluded.intune_licensed RETURNING id) "
                      "SELECT pg_notify('" STORE_PG_TENANT_CHANNEL "', id) FROM t",
    [PG_TENANT_PUT_NEW] = "INSERT INTO tenants (id, intune_licensed, created) VALUES ($1, $2, $3) "
                          "ON CONFLICT (id) DO NOTHING",
    [PG_TENANT_LIST] = "SELECT id, intune_licensed, created FROM tenants ORDER BY id",
    [PG_PARTNER_DELETE] = "DELETE FROM partners WHERE tenant = $1 AND id = $2",
    [PG_PARTNER_DELETE_ALL] = "DELETE FROM partners WHERE tenant = $1",
    [PG_PARTNER_TENANTS] = "SELECT DISTINCT tenant FROM partners ORDER BY tenant",
    [PG_SECRET_PUT_NEW] = "INSERT INTO secrets (name, value) VALUES ($1, $2) "
                          "ON CONFLICT (name) DO NOTHING",
    [PG_SECRET_GET] = "SELECT value FROM secrets WHERE name = $1",
    [PG_THROTTLE_TAKE] = "SELECT cmpd_throttle_take($1::text[], $2::integer[], $3::integer)",
};

static struct pg_store *from(struct store *s)
{
    return (struct pg_store *)s;
}

/* ---- errors and running statements ---- */

/* Log `what: msg (SQLSTATE state)` on one line (libpq's messages end in newlines). */
static void log_pg(const char *what, const char *msg, const char *state)
{
    char line[512];
    size_t n = 0;

    for (; msg && *msg && n < sizeof line - 1; msg++)
        line[n++] = (*msg == '\n' || *msg == '\t' || *msg == '\r') ? ' ' : *msg;
    while (n && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    if (state)
        log_error("postgres: %s: %s (SQLSTATE %s)", what, line, state);
    else
        log_error("postgres: %s: %s", what, line);
}

static bool state_is(const char *state, const char *prefix)
{
    return state && strncmp(state, prefix, strlen(prefix)) == 0;
}

static int unavailable(struct cmp_error *err)
{
    int rc = cmp_error_set(err, CMP_EUNAVAILABLE, NULL);

    if (err && err->code == CMP_EUNAVAILABLE && !err->retry_after)
        err->retry_after = 1;
    return rc;
}

int store__pg_error(struct pg_store *s, const PGresult *r, const char *what, struct cmp_error *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    log_pg(what, msg ? msg : PQerrorMessage(s->conn), state);
    /* Class 08: connection exceptions; 57P0x: the server ended the session (shutdown, crash,
     * database dropped, idle timeout) or cannot take it yet. */
    if (PQstatus(s->conn) != CONNECTION_OK || state_is(state, "08") || state_is(state, "57P0")) {
        s->lost = true;
        return unavailable(err);
    }
    /* Serialization failure, deadlock, lock timeout: worth trying again shortly. */
    if (state_is(state, "40001") || state_is(state, "40P01") || state_is(state, "55P03"))
        return unavailable(err);
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

void store__pg_param(struct store__pg_params *p, const char *v)
{
    if (p->n < STORE_PG_MAX_PARAMS)
        p->v[p->n] = v;
    p->n++;
}

void store__pg_param_int(struct store__pg_params *p, int64_t i)
{
    if (p->n < STORE_PG_MAX_PARAMS) {
        snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)i);
        p->v[p->n] = p->num[p->n];
    }
    p->n++;
}

void store__pg_param_bytes(struct store__pg_params *p, const void *v, size_t n)
{
    if (p->n < STORE_PG_MAX_PARAMS) {
        p->len[p->n] = (int)n;
        p->fmt[p->n] = 1;
    }
    store__pg_param(p, v);
}

int store__pg_run(struct pg_store *s, const char *name, int n, const char *const *values,
                  const int *lengths, const int *formats, bool binary, int want, const char *what,
                  PGresult **out, struct cmp_error *err)
{
    PGresult *r = PQexecPrepared(s->conn, name, n, values, lengths, formats, binary ? 1 : 0);
    int rc;

    if (r && PQresultStatus(r) == (ExecStatusType)want) {
        *out = r;
        return 0;
    }
    rc = store__pg_error(s, r, what, err);
    PQclear(r);
    return rc;
}

int store__pg_exec(struct pg_store *s, enum store__pg_stmt st, const struct store__pg_params *p,
                   bool binary, int want, const char *what, PGresult **out, struct cmp_error *err)
{
    if (p && p->n > STORE_PG_MAX_PARAMS) {
        log_error("postgres: %s: %d parameters, more than %d", what, p->n, STORE_PG_MAX_PARAMS);
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    }
    return store__pg_run(s, stmt_names[st], p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                         p ? p->fmt : NULL, binary, want, what, out, err);
}

int store__pg_command(struct pg_store *s, const char *sql, const char *what, struct cmp_error *err)
{
    PGresult *r = PQexec(s->conn, sql);
    int rc = 0;

    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = store__pg_error(s, r, what, err);
    PQclear(r);
    return rc;
}

void store__pg_rollback(struct pg_store *s)
{
    PGTransactionStatusType t = PQtransactionStatus(s->conn);

    if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR)
        store__pg_command(s, "ROLLBACK", "rollback", NULL);
}

/* ---- the connection ---- */

/* user@host:port/db of the connection, for the log (never the password). */
static void describe(PGconn *conn, char *out, size_t n)
{
    const char *user = conn ? PQuser(conn) : NULL;
    const char *host = conn ? PQhost(conn) : NULL;
    const char *port = conn ? PQport(conn) : NULL;
    const char *db = conn ? PQdb(conn) : NULL;

    snprintf(out, n, "%s@%s:%s/%s", user ? user : "?", host ? host : "?", port ? port : "?",
             db ? db : "?");
}

/* Server notices go to the log; a FATAL one (the server ending the session) marks it lost. */
static void on_notice(void *arg, const PGresult *r)
{
    struct pg_store *s = arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

    if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)) {
        s->lost = true;
        log_warn("postgres: the server ends the session: %s", msg ? msg : "");
    } else if (sev && strcmp(sev, "WARNING") == 0) {
        log_warn("postgres: %s", msg ? msg : "");
    } else {
        log_debug("postgres: %s: %s", sev ? sev : "notice", msg ? msg : "");
    }
}

/* The SQL of a model-dependent statement, into `b`. */
static int build_sql(struct buf *b, enum store__pg_stmt id)
{
    int k = 3;
    int rc;

    switch (id) {
    case PG_PARTNER_INSERT:
        rc = buf_puts(b, "INSERT INTO partners (tenant, id, ");
        rc = rc ? rc : store__pg_value_columns(b, NULL);
        rc = rc ? rc : buf_puts(b, "created, modified) VALUES ($1, $2, ");
        rc = rc ? rc : store__pg_value_params(b, &k);
        return rc ? rc : buf_printf(b, "$%d, $%d)", k, k + 1);
    case PG_PARTNER_UPDATE:
        k = 1;
        rc = buf_puts(b, "UPDATE partners SET ");
        rc = rc ? rc : store__pg_value_columns(b, &k);
        return rc ? rc
                  : buf_printf(b, "modified = $%d WHERE tenant = $%d AND id = $%d", k, k + 1,
                               k + 2);
    case PG_PARTNER_GET:
    case PG_PARTNER_LOCK:
        rc = buf_puts(b, "SELECT ");
        rc = rc ? rc : store__pg_value_columns(b, NULL);
        rc = rc ? rc : buf_puts(b, "seq, id FROM partners WHERE tenant = $1 AND id = $2");
        return rc ? rc : buf_puts(b, id == PG_PARTNER_LOCK ? " FOR UPDATE" : "");
    default:
        return buf_puts(b, fixed_sql[id]);
    }
}

/* Prepare the fixed statements on the (new) session. */
static int prepare_all(struct pg_store *s, struct cmp_error *err)
{
    struct buf sql;
    int id;
    int rc = 0;

    buf_init(&sql, STORE_PG_MAX_SQL);
    for (id = 0; id < PG_COUNT && !rc; id++) {
        PGresult *r;
        buf_reset(&sql);
        if (build_sql(&sql, (enum store__pg_stmt)id)) {
            log_error("postgres: statement %d does not fit in %d bytes", id, STORE_PG_MAX_SQL);
            rc = cmp_error_set(err, CMP_ESTORE, NULL);
            break;
        }
        r = PQprepare(s->conn, stmt_names[id], sql.data, 0, NULL);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = store__pg_error(s, r, stmt_names[id], err);
        PQclear(r);
    }
    buf_fini(&sql);
    return rc;
}

/* The select list of listings, whose statements postgres_list.c builds per query. */
static int build_list_columns(struct pg_store *s, struct cmp_error *err)
{
    struct buf b;
    int rc;

    buf_init(&b, STORE_PG_MAX_SQL);
    rc = store__pg_value_columns(&b, NULL);
    rc = rc ? rc : buf_puts(&b, "seq, id");
    if (!rc) {
        s->list_columns = buf_steal(&b, NULL);
        rc = s->list_columns ? 0 : CMP_ENOMEM;
    }
    buf_fini(&b);
    return rc ? cmp_error_set(err, rc == CMP_ENOMEM ? CMP_ENOMEM : CMP_ESTORE, NULL) : 0;
}

/*
 * Session settings: synchronous_commit must not be off (a 0 return after a write means
 * committed), and a row lock is waited for a bounded time (as SQLite's busy timeout) unless the
 * server or the URI bounds it already.
 */
static int setup_session(struct pg_store *s, struct cmp_error *err)
{
    PGresult *r = PQexec(s->conn, "SELECT current_setting('synchronous_commit'), "
                                  "current_setting('lock_timeout')");
    bool sync_off;
    bool no_lock_timeout;
    int rc = 0;

    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = store__pg_error(s, r, "read the session settings", err);
        PQclear(r);
        return rc;
    }
    sync_off = strcmp(PQgetvalue(r, 0, 0), "off") == 0;
    no_lock_timeout = strcmp(PQgetvalue(r, 0, 1), "0") == 0;
    PQclear(r);
    if (sync_off) {
        log_warn("postgres: synchronous_commit is off on the server; cmpd sets it on");
        rc = store__pg_command(s, "SET synchronous_commit = on", "set synchronous_commit", err);
    }
    if (!rc && no_lock_timeout)
        rc = store__pg_command(s, "SET lock_timeout = '" STORE_PG_LOCK_TIMEOUT "'",
                               "set lock_timeout", err);
    return rc;
}

/* Tenant notifications on the (new) session. */
static int listen_tenants(struct pg_store *s, struct cmp_error *err)
{
    return store__pg_command(s, "LISTEN " STORE_PG_TENANT_CHANNEL, "listen for tenant changes",
                             err);
}

/* A connection reset and reconnected: every statement of the old session is gone. */
static int reconnect(struct pg_store *s, struct cmp_error *err)
{
    char who[256];
    int rc;

    describe(s->conn, who, sizeof who);
    s->ready = false;
    store__pg_cache_clear(s, false);
    s->tenant_epoch++; /* the notifications sent while the session was gone are lost */
    log_warn("postgres: the connection to %s was lost; reconnecting", who);
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        log_pg("reconnect", PQerrorMessage(s->conn), NULL);
        return unavailable(err);
    }
    s->lost = false;
    rc = setup_session(s, err);
    if (!rc)
        rc = prepare_all(s, err);
    if (!rc)
        rc = listen_tenants(s, err);
    if (rc)
        return rc;
    s->ready = true;
    s->stats.reconnects++;
    log_info("postgres: reconnected to %s", who);
    return 0;
}

/* Count the notifications libpq has read (all on the tenant channel: the only one listened to). */
static void take_notifies(struct pg_store *s)
{
    for (;;) {
        PGnotify *n = PQnotifies(s->conn);
        if (!n)
            break;
        s->tenant_epoch++;
        s->stats.tenant_notifies++;
        PQfreemem(n);
    }
}

int store__pg_check(struct pg_store *s, struct cmp_error *err)
{
    int i;

    for (i = 0; s->precheck && i < 4 && PQstatus(s->conn) == CONNECTION_OK; i++) {
        struct pollfd pfd = {PQsocket(s->conn), POLLIN, 0};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(s->conn))
            break;
        /* Parses what came: an error while idle reaches on_notice(), a notification the queue
         * of PQnotifies(). */
        PQisBusy(s->conn);
    }
    take_notifies(s);
    if (s->bulk) {
        /* Inside a bulk transaction: it must still be open, and no reconnect could bring it
         * back. */
        if (s->ready && !s->lost && PQstatus(s->conn) == CONNECTION_OK &&
            PQtransactionStatus(s->conn) == PQTRANS_INTRANS)
            return 0;
        log_error("postgres: the bulk transaction was lost");
        return unavailable(err);
    }
    if (s->ready && !s->lost && PQstatus(s->conn) == CONNECTION_OK) {
        /* A call that failed half-way never leaves a transaction open; make sure of it. */
        store__pg_rollback(s);
        return 0;
    }
    return reconnect(s, err);
}

bool store__pg_attempt(struct pg_store *s, struct store__pg_attempt *t, int *rc,
                       struct cmp_error *err)
{
    if (t->tries == 0) {
        if (err)
            t->saved = *err;
    } else {
        if (!*rc || !s->lost || t->tries > 1)
            return false;
        if (err)
            *err = t->saved;
        s->stats.retries++;
        log_warn("postgres: a read failed on a lost connection; trying once more");
    }
    t->tries++;
    *rc = store__pg_check(s, err);
    return *rc == 0;
}

/* The libpq connection parameters: defaults the URI may override, then what cmpd needs. */
static PGconn *connect_uri(const char *uri)
{
    const char *const keys[] = {"application_name", "connect_timeout", "dbname", "client_encoding",
                                NULL};
    const char *const values[] = {"cmpd", STORE_PG_CONNECT_TIMEOUT, uri, "UTF8", NULL};

    return PQconnectdbParams(keys, values, 1);
}

void store__pg_close(struct store *base)
{
    struct pg_store *s = from(base);

    if (!s)
        return;
    store__pg_cache_clear(s, false);
    PQfinish(s->conn);
    free(s->list_columns);
    buf_fini(&s->json);
    free(s);
}

/* Refuse a URI libpq cannot parse, without logging it (it may hold a password). */
static int check_uri(const char *uri, struct cmp_error *err)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &msg);

    PQfreemem(msg);
    if (!opts) {
        log_error("postgres: the store location is not a valid PostgreSQL connection URI "
                  "(not logged: it may hold a password)");
        return cmp_error_set(err, CMP_ESTORE, "The PostgreSQL connection URI is invalid.");
    }
    PQconninfoFree(opts);
    return 0;
}

int store__pg_open(const char *location, struct store **out, struct cmp_error *err)
{
    struct pg_store *s;
    char who[256];
    int rc = check_uri(location, err);

    if (rc)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    s->base.ops = &store__postgres_ops;
    s->precheck = true;
    buf_init(&s->json, STORE_PG_MAX_JSON);
    s->conn = connect_uri(location);
    if (!s->conn) {
        rc = cmp_error_set(err, CMP_ENOMEM, NULL);
    } else if (PQstatus(s->conn) != CONNECTION_OK) {
        describe(s->conn, who, sizeof who);
        log_error("postgres: cannot connect to %s", who);
        log_pg("connect", PQerrorMessage(s->conn), NULL);
        rc = unavailable(err);
    } else {
        PQsetNoticeReceiver(s->conn, on_notice, s);
        rc = setup_session(s, err);
    }
    rc = rc ? rc : store__pg_migrate(s, err);
    rc = rc ? rc : prepare_all(s, err);
    rc = rc ? rc : listen_tenants(s, err);
    rc = rc ? rc : build_list_columns(s, err);
    if (rc) {
        store__pg_close(&s->base);
        return rc;
    }
    s->ready = true;
    *out = &s->base;
    return 0;
}

void store__pg_stats(struct store *base, struct store__pg_stats *out)
{
    struct pg_store *s = from(base);

    *out = s->stats;
    out->cache_hits = s->cache.hits;
    out->cache_misses = s->cache.misses;
    out->cache_evictions = s->cache.evictions;
}

void store__pg_set_precheck(struct store *base, bool on)
{
    from(base)->precheck = on;
}
