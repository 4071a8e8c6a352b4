/*
 * store/sqlite/sqlite_impl.h - shared by sqlite.c and sqlite_schema.c; nothing else includes it.
 */
#ifndef CMP_STORE_SQLITE_IMPL_H
#define CMP_STORE_SQLITE_IMPL_H

struct cmp_error;
struct sqlite3;

/* The partner column that holds lastHeartbeatDateTime as the client sent it; the model's column
 * for the property (last_heartbeat_ticks) holds the UTC instant used for comparing. */
#define STORE_SQLITE_HEARTBEAT_TEXT "last_heartbeat"

/*
 * Log SQLite's message for `rc` (with `what` we were doing) and record the client-facing error:
 * CMP_EUNAVAILABLE for SQLITE_BUSY / SQLITE_LOCKED (the busy timeout ran out), CMP_ESTORE with the
 * generic message otherwise.  The SQLite text is never sent.  Returns the code recorded.
 */
int store__sqlite_error(struct sqlite3 *db, int rc, const char *what, struct cmp_error *err);

/* The schema version store__sqlite_migrate() brings a database to. */
int store__sqlite_schema_version(void);

/*
 * Bring `db` to the current schema: the steps above its PRAGMA user_version are applied in one
 * BEGIN IMMEDIATE transaction, so two processes opening a fresh file at once apply them once.
 * Returns 0; CMP_ESTORE (details logged) on failure or for a database newer than this program;
 * CMP_EUNAVAILABLE when the database stays locked past the busy timeout.
 */
int store__sqlite_migrate(struct sqlite3 *db, struct cmp_error *err);

#endif
