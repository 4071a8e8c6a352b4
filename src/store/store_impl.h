/*
 * store/store_impl.h - what the backends share with store/store.c; no other module includes it.
 *
 * A backend's connection struct begins with a `struct store` whose `ops` points at the backend's
 * table, so store.c can dispatch on any handle.  A backend's `open` receives the location with the
 * scheme resolved by store.c (for SQLite: the database file path).
 */
#ifndef CMP_STORE_STORE_IMPL_H
#define CMP_STORE_STORE_IMPL_H

#include "store/store.h"

struct store__committer;

struct store {
    const struct store_ops *ops; /* the backend; always the first member */
    /* Set by store.c (the backend leaves them zero): */
    char *location;                     /* as given to store_open, for the group committer */
    enum store_durability durability;   /* the last store_set_durability() */
    struct store__committer *committer; /* acquired by the first store_write_async() */
};

/*
 * The group committer of one database (store/commit.c): a thread with its own connection that
 * runs queued writes in batches, one transaction and one commit per batch.  Shared by every
 * connection of the process to the same location; reference-counted.
 */
struct store__committer *store__committer_acquire(const char *location, enum store_durability d);
void store__committer_release(struct store__committer *c);
void store__committer_submit(struct store__committer *c, struct store_write *w);
/* Transactions begun and writes run by the committer of `s` so far (0s without one); for tests. */
void store__committer_stats(const struct store *s, uint64_t *transactions, uint64_t *writes);

/*
 * Not-found messages: the same text for an unknown id and for another tenant's row.  The id is
 * not echoed: it is the client's text, and the message must stay valid UTF-8.
 */
#define STORE_MSG_PARTNER_NOT_FOUND "The complianceManagementPartner was not found."
#define STORE_MSG_TENANT_NOT_FOUND "The tenant was not found."

/* The embedded SQLite backend (store/sqlite/sqlite.c). */
extern const struct store_ops store__sqlite_ops;

/* The PostgreSQL backend (store/postgres/postgres.c); its `open` gets the whole URI. */
extern const struct store_ops store__postgres_ops;

/* Largest shared secret store_secret_ensure() accepts or returns. */
#define STORE_MAX_SECRET (64u * 1024)

#endif
