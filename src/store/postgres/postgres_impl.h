/*
 * store/postgres/postgres_impl.h - shared by the files of the PostgreSQL backend; nothing else
 * includes it (but test_store_postgres.c, for the counters and the test switch, and test_store.c,
 * for the tenant cache's counters).
 *
 *   postgres.c         tenants, partner insert/get/patch/delete, secrets, the ops table
 *   postgres_conn.c    the connection (open, session, fixed statements, the check before each
 *                      call, reconnecting), running statements and mapping their errors
 *   postgres_row.c     partner rows: the column lists from the model table, parameters, reading
 *   postgres_list.c    listing and counting through store/sql.c, and the statement cache
 *   postgres_schema.c  the versioned migrations
 *
 * Parameters are sent as text; results come back as text (binary for a secret's bytea).
 */
#ifndef CMP_STORE_POSTGRES_IMPL_H
#define CMP_STORE_POSTGRES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/stmt_cache.h"
#include "store/store_impl.h"
#include "store/tenant_cache.h"

struct arena;
struct graph_partner;
struct pg_conn;   /* libpq's PGconn */
struct pg_result; /* libpq's PGresult */

/*
 * Every connection LISTENs on this channel; a tenant write NOTIFYs it in its own transaction, so
 * every connection's tenant cache (the one that wrote included) reads its entries again.
 */
#define STORE_PG_TENANT_CHANNEL "cmpd_tenants"

/* Most parameters one fixed statement takes (an insert: tenant, id, 12 values, 2 times). */
#define STORE_PG_MAX_PARAMS 24

/* The statements prepared once per connection (named "cmpd_<name>"). */
enum store__pg_stmt {
    PG_TENANT_GET,
    PG_TENANT_PUT,
    PG_TENANT_PUT_NEW,
    PG_TENANT_LIST,
    PG_PARTNER_INSERT,
    PG_PARTNER_GET,
    PG_PARTNER_LOCK, /* the same row FOR UPDATE, inside a patch */
    PG_PARTNER_UPDATE,
    PG_PARTNER_DELETE,
    PG_PARTNER_DELETE_ALL,
    PG_PARTNER_TENANTS,
    PG_SECRET_PUT_NEW,
    PG_SECRET_GET,
    PG_THROTTLE_TAKE,
    PG_COUNT
};

/* What happened on a connection (for tests and metrics). */
struct store__pg_stats {
    uint64_t reconnects; /* successful resets after a lost connection */
    uint64_t retries;    /* read-only operations run again after one */
    uint64_t cache_hits; /* listing statements found prepared */
    uint64_t cache_misses;
    uint64_t cache_evictions; /* DEALLOCATEd to make room */
    uint64_t tenant_notifies; /* notifications received on STORE_PG_TENANT_CHANNEL */
};

struct pg_store {
    struct store base;    /* first: store.c sees this */
    struct pg_conn *conn; /* owned */
    bool ready;           /* the session is set up and the fixed statements are prepared */
    bool lost;            /* the last failure was the connection breaking */
    bool precheck;        /* look for a closed connection before each call (tests turn it off) */
    bool bulk;            /* a bulk transaction is open (store_bulk_begin): the check keeps it */
    char *list_columns;   /* owned: the select list of a partner row (value columns, seq, id) */
    struct buf json;      /* scratch for the assignment collections being sent */
    struct store__stmt_cache cache; /* of listings; handles are owned statement names */
    struct store__pg_stats stats;
    /* The tenant epoch: notifications received on STORE_PG_TENANT_CHANNEL, and resets (which
     * may have missed some).  Advanced by store__pg_check, which reads what waits unasked. */
    uint64_t tenant_epoch;
    struct store__tenant_cache tenants; /* the tenant rows read, filed under the epoch */
};

/* Parameters of one fixed statement, as text (NULL is SQL NULL) but for a binary bytea. */
struct store__pg_params {
    const char *v[STORE_PG_MAX_PARAMS];
    int len[STORE_PG_MAX_PARAMS];      /* of a binary parameter */
    int fmt[STORE_PG_MAX_PARAMS];      /* 0 text, 1 binary */
    char num[STORE_PG_MAX_PARAMS][24]; /* numbers formatted as text */
    int n;
};

/* ---- postgres_conn.c ---- */

/* Open a connection to URI `location` (CMP_EUNAVAILABLE when the server cannot be reached), set
 * up the session, migrate the schema and prepare the fixed statements.  And close it. */
int store__pg_open(const char *location, struct store **out, struct cmp_error *err);
void store__pg_close(struct store *s);

/*
 * Before each call: find a connection the server has closed (without blocking) or that the last
 * call found broken, and reconnect it; take the tenant notifications that came (each advances
 * s->tenant_epoch, as does a reset).  0 when the connection is ready; CMP_EUNAVAILABLE (retry
 * after 1 s) when the server cannot be reached.
 */
int store__pg_check(struct pg_store *s, struct cmp_error *err);

/*
 * Running a call once more when the connection broke under it (read-only calls, and those whose
 * repetition is harmless):
 *
 *   struct store__pg_attempt t = {0};
 *   int rc = 0;
 *
 *   while (store__pg_attempt(s, &t, &rc, err))
 *       rc = the_call(...);
 *   return rc;
 */
struct store__pg_attempt {
    struct cmp_error saved; /* the caller's error record before the first try */
    int tries;
};

/*
 * Whether to run the call (again): the first time, and once more when the previous try (*rc)
 * failed on a lost connection, with the error record restored.  The connection is checked
 * (store__pg_check) before each try; when that fails, *rc says why and the answer is false.
 */
bool store__pg_attempt(struct pg_store *s, struct store__pg_attempt *t, int *rc,
                       struct cmp_error *err);

/*
 * Log PostgreSQL's message for result `r` (NULL: the connection's message) with `what` we were
 * doing, and record the client-facing error: CMP_EUNAVAILABLE (retry_after 1) when the connection
 * broke (s->lost is then set), for a serialization failure, a deadlock or a lock timeout;
 * CMP_ESTORE with the generic message otherwise.  The server's text is never sent.  Returns the
 * code recorded.
 */
int store__pg_error(struct pg_store *s, const struct pg_result *r, const char *what,
                    struct cmp_error *err);

/*
 * Run prepared statement `name` with `n` parameters (`lengths` and `formats` as PQexecPrepared
 * takes them, or NULL: all text).  `binary`: results in binary format.  When the result's status
 * is `want` stores it in *out (the caller PQclear()s it) and returns 0; else logs, records the
 * error (store__pg_error) and returns its code.
 */
int store__pg_run(struct pg_store *s, const char *name, int n, const char *const *values,
                  const int *lengths, const int *formats, bool binary, int want, const char *what,
                  struct pg_result **out, struct cmp_error *err);

/* The same for fixed statement `st` with `p` (NULL: no parameters). */
int store__pg_exec(struct pg_store *s, enum store__pg_stmt st, const struct store__pg_params *p,
                   bool binary, int want, const char *what, struct pg_result **out,
                   struct cmp_error *err);

/* Run a statement without parameters (simple protocol) that returns no rows. */
int store__pg_command(struct pg_store *s, const char *sql, const char *what, struct cmp_error *err);

/* Undo the open transaction, if any. */
void store__pg_rollback(struct pg_store *s);

/* Add a parameter: text `v` (NULL: SQL NULL), an integer, or `n` bytes sent binary.  Text and
 * bytes must outlive the statement. */
void store__pg_param(struct store__pg_params *p, const char *v);
void store__pg_param_int(struct store__pg_params *p, int64_t i);
void store__pg_param_bytes(struct store__pg_params *p, const void *v, size_t n);

/* Counters of a PostgreSQL store; and the switch of the check before each call (tests). */
void store__pg_stats(struct store *s, struct store__pg_stats *out);
void store__pg_set_precheck(struct store *s, bool on);

/* The tenant cache of a PostgreSQL store (tests); it answers only while the check is on. */
struct store__tenant_cache *store__pg_tenant_cache(struct store *s);

/* ---- postgres_schema.c ---- */

/* The schema version store__pg_migrate() brings a database to. */
int store__pg_schema_version(void);

/*
 * Bring the database to the current schema: the steps above the recorded version are applied in
 * one transaction holding an advisory lock, the version read again under it, so of several
 * processes starting at once one applies them.  Returns 0; CMP_ESTORE (logged) on failure or for
 * a database newer than this program; CMP_EUNAVAILABLE when the connection breaks.
 */
int store__pg_migrate(struct pg_store *s, struct cmp_error *err);

/* ---- postgres_row.c ---- */

/*
 * Append the partner value columns - every model property but id, lastHeartbeatDateTime as its
 * text and its ticks - separated by ", ", each followed by " = $<k>" (k counting from *k, which
 * is advanced) when k is not NULL.  Parameters and reading walk graph_partner_props in the same
 * order.
 */
int store__pg_value_columns(struct buf *b, int *k);

/* The value placeholders of store__pg_value_columns(): "$k, " per column, k from *k on. */
int store__pg_value_params(struct buf *b, int *k);

/*
 * Add the value columns of `p` as parameters.  Assignment collections are written into s->json,
 * which must not change until the statement has run.
 */
int store__pg_param_values(struct pg_store *s, struct store__pg_params *params,
                           const struct graph_partner *p, struct cmp_error *err);

/* Read row `row` of `r`, columns (value columns, seq, id), into *p (strings in `a`), its seq into
 * *seq. */
int store__pg_read_row(const struct pg_result *r, int row, struct arena *a, struct graph_partner *p,
                       int64_t *seq, struct cmp_error *err);

/* ---- postgres_list.c ---- */

/* Forget every listing statement; with `server_side`, DEALLOCATE them too (else they are gone). */
void store__pg_cache_clear(struct pg_store *s, bool server_side);

/* The list and count operations (store_ops, called by postgres.c with the connection checked). */
int store__pg_list(struct pg_store *s, const char *tenant, const struct store_list_req *req,
                   struct arena *a, struct store_page *out, struct cmp_error *err);
int store__pg_count(struct pg_store *s, const char *tenant, const struct odata_expr *filter,
                    int64_t *out, struct cmp_error *err);

#endif
