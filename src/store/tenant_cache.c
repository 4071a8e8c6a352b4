/*
 * store/tenant_cache.c - the per-connection tenant cache (tenant_cache.h): a set-associative
 * table searched by the FNV-1a hash of the id, on the coarse monotonic clock (read without a
 * system call; its few milliseconds of resolution are nothing next to the TTL).
 */
#include "store/tenant_cache.h"

#include <string.h>
#include <time.h>

#define SETS (STORE_TENANT_CACHE_SIZE / STORE_TENANT_CACHE_WAYS)

_Static_assert(STORE_TENANT_CACHE_SIZE % STORE_TENANT_CACHE_WAYS == 0,
               "the cache holds whole sets");

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first slot of the set of `tenant`. */
static struct store__tenant_entry *set_of(struct store__tenant_cache *c, const char *tenant)
{
    uint64_t h = 14695981039346656037u;

    for (; *tenant; tenant++) {
        h ^= (unsigned char)*tenant;
        h *= 1099511628211u;
    }
    return &c->slot[(h % SETS) * STORE_TENANT_CACHE_WAYS];
}

/* The slot holding `tenant` in its set, or NULL. */
static struct store__tenant_entry *find(struct store__tenant_cache *c, const char *tenant)
{
    struct store__tenant_entry *set = set_of(c, tenant);
    int i;

    for (i = 0; i < STORE_TENANT_CACHE_WAYS; i++)
        if (set[i].t.id[0] && strcmp(set[i].t.id, tenant) == 0)
            return &set[i];
    return NULL;
}

bool store__tenant_cache_get(struct store__tenant_cache *c, const char *tenant, uint64_t epoch,
                             struct store_tenant *out)
{
    struct store__tenant_entry *e = find(c, tenant);
    int64_t ttl = c->ttl_ms > 0 ? c->ttl_ms : STORE_TENANT_CACHE_TTL_MS;

    if (e && (e->epoch != epoch || now_ms() - e->read_ms >= ttl)) {
        memset(e, 0, sizeof *e);
        e = NULL;
    }
    if (!e) {
        c->misses++;
        return false;
    }
    c->hits++;
    e->used = ++c->clock;
    *out = e->t;
    return true;
}

void store__tenant_cache_put(struct store__tenant_cache *c, const struct store_tenant *t,
                             uint64_t epoch)
{
    struct store__tenant_entry *e = find(c, t->id);
    struct store__tenant_entry *set;
    int i;

    if (!t->id[0])
        return;
    if (!e) {
        /* A free slot of the set, else its least recently used one. */
        set = set_of(c, t->id);
        e = &set[0];
        for (i = 1; i < STORE_TENANT_CACHE_WAYS && e->t.id[0]; i++)
            if (!set[i].t.id[0] || set[i].used < e->used)
                e = &set[i];
    }
    e->t = *t;
    e->epoch = epoch;
    e->read_ms = now_ms();
    e->used = ++c->clock;
}

void store__tenant_cache_forget(struct store__tenant_cache *c, const char *tenant)
{
    struct store__tenant_entry *e = find(c, tenant);

    if (e)
        memset(e, 0, sizeof *e);
}

void store__tenant_cache_clear(struct store__tenant_cache *c)
{
    memset(c->slot, 0, sizeof c->slot);
}
