/*
 * store/stmt_cache.c - the statement cache of the SQL backends: STORE_STMT_CACHE_SIZE slots
 * searched linearly (a hash compared first), the least recently used one evicted on a miss.
 */
#include "store/stmt_cache.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: a cheap first comparison before the full text. */
static uint64_t hash_text(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

struct store__stmt *store__stmt_cache_find(struct store__stmt_cache *c, const char *sql, size_t len)
{
    uint64_t h = hash_text(sql, len);
    size_t i;

    c->clock++;
    for (i = 0; i < STORE_STMT_CACHE_SIZE; i++) {
        struct store__stmt *e = &c->slot[i];
        if (e->sql && e->hash == h && e->len == len && memcmp(e->sql, sql, len) == 0) {
            c->hits++;
            e->used = c->clock;
            return e;
        }
    }
    c->misses++;
    return NULL;
}

void store__stmt_cache_drop(struct store__stmt *e, store__stmt_release_fn *release, void *ctx)
{
    if (e->handle)
        release(ctx, e->handle);
    free(e->sql);
    memset(e, 0, sizeof *e);
}

struct store__stmt *store__stmt_cache_take(struct store__stmt_cache *c, const char *sql, size_t len,
                                           store__stmt_release_fn *release, void *ctx)
{
    struct store__stmt *victim = &c->slot[0];
    size_t i;

    for (i = 1; i < STORE_STMT_CACHE_SIZE && victim->sql; i++)
        if (!c->slot[i].sql || c->slot[i].used < victim->used)
            victim = &c->slot[i];
    if (victim->sql) {
        c->evictions += victim->handle != NULL;
        store__stmt_cache_drop(victim, release, ctx);
    }
    victim->sql = malloc(len + 1);
    if (!victim->sql)
        return NULL;
    memcpy(victim->sql, sql, len);
    victim->sql[len] = '\0';
    victim->len = len;
    victim->hash = hash_text(sql, len);
    victim->id = ++c->next_id;
    victim->used = c->clock;
    return victim;
}

void store__stmt_cache_clear(struct store__stmt_cache *c, store__stmt_release_fn *release,
                             void *ctx)
{
    size_t i;

    for (i = 0; i < STORE_STMT_CACHE_SIZE; i++)
        store__stmt_cache_drop(&c->slot[i], release, ctx);
}
