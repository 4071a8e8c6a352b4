/*
 * store/sqlite/sqlite_schema.c - the SQLite schema as a list of versioned migration steps.
 *
 * PRAGMA user_version records the version a database has reached.  Opening a connection applies
 * every step above it, in order, inside one BEGIN IMMEDIATE transaction (the write lock is taken
 * before user_version is read again, so of two processes starting at once the second finds the
 * work done).  Steps are never edited once released: a change of schema is a new step appended to
 * the table.  Column names of `partners` are the `column` names of graph_partner_props
 * (graph/model.c), plus the heartbeat text column (STORE_HEARTBEAT_TEXT, store/row.h).
 */
#include <sqlite3.h>
#include <stdio.h>

#include "core/err.h"
#include "core/log.h"
#include "store/sqlite/sqlite_impl.h"

struct migration {
    int version; /* user_version after this step */
    const char *what;
    const char *sql;
};

/* clang-format off */
static const struct migration migrations[] = {
    {1, "tenants and partners",
     "CREATE TABLE tenants ("
     "  id TEXT PRIMARY KEY,"
     "  intune_licensed INTEGER NOT NULL,"
     "  created INTEGER NOT NULL"
     ");"
     /* A rowid table with a unique index on (tenant, id): about twice the insert rate of a
      * WITHOUT ROWID table keyed on (tenant, id) for rows this size (MEASUREMENTS.md).  seq is
      * the rowid and orders listings (keyset paging). */
     "CREATE TABLE partners ("
     "  seq INTEGER PRIMARY KEY,"
     "  tenant TEXT NOT NULL,"
     "  id TEXT NOT NULL,"
     "  last_heartbeat TEXT NOT NULL,"
     "  last_heartbeat_ticks INTEGER NOT NULL,"
     "  partner_state INTEGER NOT NULL,"
     "  display_name TEXT NULL,"
     "  mac_os_onboarded INTEGER NOT NULL,"
     "  linux_onboarded INTEGER NOT NULL,"
     "  android_onboarded INTEGER NOT NULL,"
     "  ios_onboarded INTEGER NOT NULL,"
     "  mac_os_assignments TEXT NOT NULL,"   /* JSON arrays in the beta shape */
     "  android_assignments TEXT NOT NULL,"
     "  ios_assignments TEXT NOT NULL,"
     "  linux_assignments TEXT NOT NULL,"
     "  created INTEGER NOT NULL,"           /* unix seconds */
     "  modified INTEGER NOT NULL,"
     "  UNIQUE (tenant, id)"
     ");"
     "CREATE INDEX partners_tenant_seq ON partners (tenant, seq);"},
    {2, "indexes for ordered and filtered listings",
     /* Each serves an ($orderby..., seq) page by seeking to its start (or to the keyset position)
      * and reading just the page: an index entry ends with the rowid, which is seq, so (tenant,
      * X) is ordered by (tenant, X, seq) without naming seq.  One index per likely query:
      *   $orderby=displayName, startswith(displayName,'...'), displayName eq '...'
      *   $filter=partnerState eq '...'&$orderby=displayName (exact however rare the state),
      *   and /$count by state
      *   $orderby=lastHeartbeatDateTime, lastHeartbeatDateTime lt ... (stale partners)
      * id eq '...' and $orderby=id use the unique (tenant, id) index, no $orderby (tenant, seq).
      * Descending orders scan backwards and sort only ties by seq; a descending displayName
      * after a cursor reads the index from its top down to the cursor (its nulls come last, so
      * the rest is not one range).  The price is paid by writes: each index is one more page
      * per commit (one-row commits measured 12k/s at v1, 4.8k/s at v2), acceptable for a
      * read-mostly collection; group commit shares it between requests. */
     "CREATE INDEX partners_tenant_name ON partners (tenant, display_name);"
     "CREATE INDEX partners_tenant_state_name ON partners (tenant, partner_state, display_name);"
     "CREATE INDEX partners_tenant_heartbeat ON partners (tenant, last_heartbeat_ticks);"},
    {3, "shared secrets",
     /* Key material kept in the store when it is given with --store (store_secret_ensure). */
     "CREATE TABLE secrets ("
     "  name TEXT PRIMARY KEY,"
     "  value BLOB NOT NULL"
     ");"},
};
/* clang-format on */

#define MIGRATION_COUNT (sizeof migrations / sizeof *migrations)

int store__sqlite_schema_version(void)
{
    return migrations[MIGRATION_COUNT - 1].version;
}

static int user_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Apply the steps above version `have`; the caller holds the write transaction. */
static int apply_steps(sqlite3 *db, int have, const char **what)
{
    char sql[64];
    size_t i;
    int rc;

    for (i = 0; i < MIGRATION_COUNT; i++) {
        if (migrations[i].version <= have)
            continue;
        *what = migrations[i].what;
        rc = sqlite3_exec(db, migrations[i].sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return rc;
        log_info("sqlite: schema v%d applied (%s)", migrations[i].version, migrations[i].what);
    }
    *what = "set user_version";
    /* PRAGMA takes no parameters; the value is our own integer. */
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store__sqlite_schema_version());
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

int store__sqlite_migrate(sqlite3 *db, struct cmp_error *err)
{
    const int want = store__sqlite_schema_version();
    const char *what = "read user_version";
    int have = 0;
    int rc;

    rc = user_version(db, &have);
    if (rc == SQLITE_OK && have == want)
        return 0;
    if (rc == SQLITE_OK) {
        what = "begin migration";
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        /* Read again under the write lock: another connection may have migrated meanwhile. */
        what = "read user_version";
        rc = user_version(db, &have);
    }
    if (rc == SQLITE_OK && have > want) {
        log_error("sqlite: the database is at schema v%d, newer than this cmpd (v%d)", have, want);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    if (rc == SQLITE_OK && have < want)
        rc = apply_steps(db, have, &what);
    if (rc == SQLITE_OK) {
        what = "commit migration";
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        return 0;
    rc = store__sqlite_error(db, rc, what, err);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
