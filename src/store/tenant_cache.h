/*
 * store/tenant_cache.h - a connection's copy of the tenant rows it has read, so that the lookup
 * every request makes (api_tenant_admit -> store_tenant_get) need not reach the database.  Shared
 * by the backends (sqlite.c, postgres.c); nothing above store/ includes it.
 *
 * Coherence rests on an epoch: a number the backend advances whenever the tenants table may have
 * changed, in this process or any other.  SQLite: a counter in a small file next to the database,
 * mapped by every process that opens it and bumped by every tenant write.  PostgreSQL: this
 * connection's count of the notifications received on channel cmpd_tenants (and of reconnects).
 * The backend reads its epoch before it reads a row from the database and files the row under it;
 * an entry answers only while the epoch is still that one, and for at most the TTL
 * (STORE_TENANT_CACHE_TTL_MS): a backstop for a change that advanced no epoch (a writer that
 * crashed between its commit and its bump, an older cmpd, SQL run by hand).
 *
 * Only found tenants are kept: an unknown tenant is looked up every time, so one registered by
 * another process is seen at once.  A fixed table of STORE_TENANT_CACHE_SIZE entries in sets of
 * STORE_TENANT_CACHE_WAYS by the hash of the id, the least recently used of a full set replaced.
 * One thread at a time, like the connection.  A zeroed cache is an empty one with the default TTL.
 */
#ifndef CMP_STORE_TENANT_CACHE_H
#define CMP_STORE_TENANT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_TENANT_CACHE_SIZE 256
#define STORE_TENANT_CACHE_WAYS 4
/* The longest an entry answers without being read again, whatever the epoch says. */
#define STORE_TENANT_CACHE_TTL_MS 5000

struct store__tenant_entry {
    struct store_tenant t; /* t.id[0] == '\0': a free slot */
    uint64_t epoch;        /* the backend's epoch read before `t` was read */
    int64_t read_ms;       /* when it was filed, on the monotonic clock */
    uint64_t used;         /* the cache's clock at its last use */
};

struct store__tenant_cache {
    struct store__tenant_entry slot[STORE_TENANT_CACHE_SIZE];
    uint64_t clock;
    int64_t ttl_ms; /* 0: STORE_TENANT_CACHE_TTL_MS (tests shorten it) */
    uint64_t hits;  /* lookups answered here, and the others (for tests) */
    uint64_t misses;
};

/*
 * Copy the entry of `tenant` into *out and return true when there is one, filed at `epoch` (the
 * backend's current one) and younger than the TTL; else false (a stale entry is dropped).  Counts
 * a hit or a miss.
 */
bool store__tenant_cache_get(struct store__tenant_cache *c, const char *tenant, uint64_t epoch,
                             struct store_tenant *out);

/* File `t`, just read from the database, under `epoch`: the backend's epoch read before it. */
void store__tenant_cache_put(struct store__tenant_cache *c, const struct store_tenant *t,
                             uint64_t epoch);

/* Drop the entry of `tenant`, if any (this connection changed it). */
void store__tenant_cache_forget(struct store__tenant_cache *c, const char *tenant);

/* Drop every entry (the counters and the TTL stay). */
void store__tenant_cache_clear(struct store__tenant_cache *c);

#endif
