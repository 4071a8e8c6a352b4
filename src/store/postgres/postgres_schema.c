/*
 * store/postgres/postgres_schema.c - the PostgreSQL schema as a list of versioned migration steps.
 *
 * Table cmpd_schema records each step applied (version, what, when); the database is at its
 * highest version.  Opening a connection whose database is behind applies the missing steps in
 * order inside one transaction that first takes a transaction-level advisory lock and then reads
 * the version again, so of several instances starting at once on a fresh database one creates the
 * schema and the others find it done.  A database newer than this program is refused.  Steps are
 * never edited once released: a change of schema is a new step appended to the table.
 *
 * The schema mirrors SQLite's (sqlite_schema.c), version for version, up to v3; from v4 on the two
 * histories are independent (v4, the throttle counters, exists only here: SQLite keeps them in
 * the process's memory).  Column names of `partners`
 * are the `column` names of graph_partner_props (graph/model.c), plus the heartbeat text column
 * (store/row.h). Every string column the OData layer compares or orders is COLLATE "C": ordinal
 * (byte) order, as SQLite's BINARY, whatever the database's default collation.  The dialect orders
 * nullable keys NULLS FIRST ascending and NULLS LAST descending (store/sql_dialect.c); the indexes
 * are declared NULLS FIRST so a forward scan serves the ascending order and a backward scan the
 * descending one.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "store/postgres/postgres_impl.h"

/* The advisory lock key of migrations: "cmpd" in ASCII. */
#define MIGRATION_LOCK "1668116580"

struct migration {
    int version; /* the schema version after this step */
    const char *what;
    const char *sql; /* one or more statements, run with the simple protocol */
};

/* clang-format off */
static const struct migration migrations[] = {
    {1, "tenants and partners",
     "CREATE TABLE tenants ("
     "  id text COLLATE \"C\" PRIMARY KEY,"
     "  intune_licensed boolean NOT NULL,"
     "  created bigint NOT NULL"                    /* unix seconds */
     ");"
     /* seq orders listings (keyset paging) and breaks ties, like SQLite's rowid. */
     "CREATE TABLE partners ("
     "  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     "  tenant text COLLATE \"C\" NOT NULL,"
     "  id text COLLATE \"C\" NOT NULL,"
     "  last_heartbeat text NOT NULL,"              /* as the client sent it */
     "  last_heartbeat_ticks bigint NOT NULL,"      /* the UTC instant, for comparing */
     "  partner_state integer NOT NULL,"
     "  display_name text COLLATE \"C\" NULL,"
     "  mac_os_onboarded boolean NOT NULL,"
     "  linux_onboarded boolean NOT NULL,"
     "  android_onboarded boolean NOT NULL,"
     "  ios_onboarded boolean NOT NULL,"
     "  mac_os_assignments text NOT NULL,"          /* JSON arrays in the beta shape */
     "  android_assignments text NOT NULL,"
     "  ios_assignments text NOT NULL,"
     "  linux_assignments text NOT NULL,"
     "  created bigint NOT NULL,"                   /* unix seconds */
     "  modified bigint NOT NULL,"
     "  UNIQUE (tenant, id)"
     ");"
     "CREATE INDEX partners_tenant_seq ON partners (tenant, seq);"},
    {2, "indexes for ordered and filtered listings",
     /* Those of SQLite's v2, with seq spelled out (a PostgreSQL index entry does not end with
      * it): each serves an ($orderby..., seq) page by seeking to its start or keyset position
      * and reading just the page.  Descending orders scan backwards and sort only ties by seq
      * (an incremental sort).  $orderby=id and id eq '...' use the unique (tenant, id) index. */
     "CREATE INDEX partners_tenant_name ON partners (tenant, display_name NULLS FIRST, seq);"
     "CREATE INDEX partners_tenant_state_name ON partners "
     "  (tenant, partner_state, display_name NULLS FIRST, seq);"
     "CREATE INDEX partners_tenant_heartbeat ON partners (tenant, last_heartbeat_ticks, seq);"},
    {3, "shared secrets",
     /* Key material kept in the store when it is given with --store (store_secret_ensure). */
     "CREATE TABLE secrets ("
     "  name text COLLATE \"C\" PRIMARY KEY,"
     "  value bytea NOT NULL"
     ");"},
    {4, "throttle counters",
     /* store_throttle_take() for every instance at once: per key, one row per second of the
      * database's clock holding the requests admitted in it.  UNLOGGED: counters need no
      * durability (a crash or a failover forgets them, which only admits more), and a commit that
      * wrote only them waits for no WAL flush.  Rows older than a key's window are deleted by its
      * next take; those of keys no longer used by an occasional sweep (throttle_slot). */
     "CREATE UNLOGGED TABLE throttle ("
     "  key text COLLATE \"C\" NOT NULL,"
     "  slot bigint NOT NULL,"                      /* unix second, the database's clock */
     "  n integer NOT NULL,"
     "  PRIMARY KEY (key, slot)"
     ");"
     "CREATE INDEX throttle_slot ON throttle (slot);"
     /* Check and count in one round trip.  The keys are locked first (transaction advisory
      * locks in the (int, int) space, which the migration's bigint lock does not share), in the
      * order of their lock ids, so two takes never wait for each other in a cycle; then the window
      * is read: all keys under their limits -> one more in the current second of each, 0; else
      * nothing counted and the seconds until every full key frees a slot.  p_limits[i] > 0. */
     "CREATE FUNCTION cmpd_throttle_take(p_keys text[], p_limits integer[], p_window integer) "
     "RETURNS integer LANGUAGE plpgsql AS $f$\n"
     "DECLARE\n"
     "  now_s bigint;\n"
     "  lo bigint;\n"
     "  total bigint;\n"
     "  dropped bigint;\n"
     "  wait integer := 0;\n"
     "  i integer;\n"
     "  r record;\n"
     "BEGIN\n"
     "  FOR r IN SELECT DISTINCT hashtext(k) AS h FROM unnest(p_keys) AS k ORDER BY 1 LOOP\n"
     "    PERFORM pg_advisory_xact_lock(1668116596, r.h);\n"  /* "cmpt" */
     "  END LOOP;\n"
     "  now_s := floor(extract(epoch FROM clock_timestamp()));\n"
     "  lo := now_s - p_window + 1;\n"
     "  DELETE FROM throttle WHERE key = ANY (p_keys) AND slot < lo;\n"
     "  FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP\n"
     "    SELECT coalesce(sum(n), 0) INTO total FROM throttle\n"
     "      WHERE key = p_keys[i] AND slot >= lo;\n"
     "    CONTINUE WHEN total < p_limits[i];\n"
     "    dropped := 0;\n"
     "    FOR r IN SELECT slot, n FROM throttle WHERE key = p_keys[i] AND slot >= lo\n"
     "             ORDER BY slot LOOP\n"
     "      dropped := dropped + r.n;\n"
     "      IF total - dropped < p_limits[i] THEN\n"
     "        wait := greatest(wait, least(p_window, r.slot - lo + 1)::integer);\n"
     "        EXIT;\n"
     "      END IF;\n"
     "    END LOOP;\n"
     "  END LOOP;\n"
     "  IF wait > 0 THEN\n"
     "    RETURN wait;\n"
     "  END IF;\n"
     "  INSERT INTO throttle AS t (key, slot, n) SELECT DISTINCT k, now_s, 1 FROM unnest(p_keys) AS k\n"
     "    ON CONFLICT (key, slot) DO UPDATE SET n = t.n + 1;\n"
     /* Now and then, the rows of keys nobody uses any more (older than any window); rows another
      * take is deleting are skipped, so the sweep never waits for a lock. */
     "  IF random() < 0.004 THEN\n"
     "    DELETE FROM throttle WHERE ctid IN (SELECT ctid FROM throttle\n"
     "      WHERE slot < now_s - 3600 LIMIT 1000 FOR UPDATE SKIP LOCKED);\n"
     "  END IF;\n"
     "  RETURN 0;\n"
     "END\n"
     "$f$;"},
};
/* clang-format on */

#define MIGRATION_COUNT (sizeof migrations / sizeof *migrations)

/* v4's sweep deletes what is older than any window; released steps never change. */
_Static_assert(STORE_THROTTLE_MAX_WINDOW == 3600, "the throttle sweep of schema v4");

int store__pg_schema_version(void)
{
    return migrations[MIGRATION_COUNT - 1].version;
}

/* A query of one row and one integer column (NULL reads as 0). */
static int query_int(struct pg_store *s, const char *sql, int64_t *out, struct cmp_error *err)
{
    PGresult *r = PQexec(s->conn, sql);
    int rc = 0;

    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1) {
        rc = store__pg_error(s, r, sql, err);
    } else if (PQgetisnull(r, 0, 0)) {
        *out = 0;
    } else if (str_to_int64(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), INT32_MIN, INT32_MAX,
                            out)) {
        log_error("postgres: unreadable answer to %s", sql);
        rc = cmp_error_set(err, CMP_ESTORE, NULL);
    }
    PQclear(r);
    return rc;
}

/* The version the database has reached: 0 when cmpd_schema does not exist. */
static int read_version(struct pg_store *s, int *out, struct cmp_error *err)
{
    int64_t exists = 0;
    int64_t v = 0;
    /* A scan of pg_class, not to_regclass(): after waiting for the lock, the name lookup could
     * answer from this session's cache of names that did not exist (it takes no lock, so it
     * processes no invalidations), while the scan sees what the lock's holder committed. */
    int rc = query_int(s,
                       "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                       "ON n.oid = c.relnamespace "
                       "WHERE c.relname = 'cmpd_schema' AND n.nspname = current_schema()",
                       &exists, err);

    if (!rc && exists)
        rc = query_int(s, "SELECT max(version) FROM cmpd_schema", &v, err);
    if (!rc)
        *out = (int)v;
    return rc;
}

static int refuse_newer(int have, int want, struct cmp_error *err)
{
    log_error("postgres: the database is at schema v%d, newer than this cmpd (v%d)", have, want);
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

/* Record step `m` as applied. */
static int record(struct pg_store *s, const struct migration *m, struct cmp_error *err)
{
    char version[16];
    const char *values[2] = {version, m->what};
    PGresult *r;
    int rc = 0;

    snprintf(version, sizeof version, "%d", m->version);
    r = PQexecParams(s->conn, "INSERT INTO cmpd_schema (version, what) VALUES ($1::int, $2::text)",
                     2, NULL, values, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = store__pg_error(s, r, "record the schema version", err);
    PQclear(r);
    return rc;
}

/* Apply the steps above version `have`; the caller holds the transaction and the lock. */
static int apply_steps(struct pg_store *s, int have, struct cmp_error *err)
{
    size_t i;
    int rc = 0;

    if (have == 0)
        rc = store__pg_command(s,
                               "CREATE TABLE IF NOT EXISTS cmpd_schema ("
                               "  version integer PRIMARY KEY,"
                               "  what text NOT NULL,"
                               "  applied timestamptz NOT NULL DEFAULT now()"
                               ")",
                               "create cmpd_schema", err);
    for (i = 0; i < MIGRATION_COUNT && !rc; i++) {
        if (migrations[i].version <= have)
            continue;
        rc = store__pg_command(s, migrations[i].sql, migrations[i].what, err);
        rc = rc ? rc : record(s, &migrations[i], err);
        if (!rc)
            log_info("postgres: schema v%d applied (%s)", migrations[i].version,
                     migrations[i].what);
    }
    return rc;
}

int store__pg_migrate(struct pg_store *s, struct cmp_error *err)
{
    const int want = store__pg_schema_version();
    int64_t locked = 0;
    int have = 0;
    int rc = read_version(s, &have, err);

    if (rc || have == want)
        return rc;
    if (have > want)
        return refuse_newer(have, want, err);
    /* READ COMMITTED: each statement sees what the lock's previous holder committed.  A migration
     * may wait for another instance's as long as that takes. */
    rc = store__pg_command(s, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin migration", err);
    rc = rc ? rc : store__pg_command(s, "SET LOCAL lock_timeout = 0", "begin migration", err);
    rc = rc ? rc
            : query_int(s, "SELECT 0 FROM pg_advisory_xact_lock(" MIGRATION_LOCK ")", &locked, err);
    /* Read again under the lock: another instance may have migrated meanwhile. */
    rc = rc ? rc : read_version(s, &have, err);
    if (!rc && have > want)
        rc = refuse_newer(have, want, err);
    if (!rc && have < want)
        rc = apply_steps(s, have, err);
    rc = rc ? rc : store__pg_command(s, "COMMIT", "commit migration", err);
    if (rc && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        store__pg_command(s, "ROLLBACK", "roll back the migration", NULL);
    return rc;
}
