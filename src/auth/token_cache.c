/*
 * auth/token_cache.c - a per-event-loop cache of verified bearer tokens.
 *
 * Two-way set-associative: a token's hash picks a set of two slots, kept in recency order (way 0
 * the most recently used), and a new token evicts the least recently used one.  The hash is
 * XXH64 with a seed drawn from the CSPRNG per cache, so a client cannot aim tokens at one set;
 * it only picks a slot, and a hit needs the full bytes to match.  Each entry is one malloc block
 * holding the principal, its scope and role arrays, their strings and the token; a hit copies the
 * principal into the request's arena.  Failures are never remembered: a token that fails once is
 * verified in full every time.
 */
#include "auth/token_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"

/* A verified token and what it says, in one block. */
struct entry {
    const struct auth_keys *keys; /* borrowed: the set it verified with */
    const struct auth_cloud *cloud;
    struct auth_principal p; /* strings and arrays point into this block */
    const char *strs;        /* every string of p, NUL-terminated, str_len bytes in all */
    size_t str_len;
    const char *key; /* the Authorization value, key_len bytes */
    size_t key_len;
    /* then: const char *vec[scope_count + role_count]; char strs[str_len]; char key[key_len] */
};

struct slot {
    uint64_t hash;
    struct entry *e; /* owned; NULL when empty */
};

struct auth_token_cache {
    struct slot *slots; /* owned, n_slots; set i is slots[i * ways .. i * ways + ways - 1] */
    size_t n_slots;     /* a power of two */
    size_t set_mask;    /* n_slots / ways - 1 */
    size_t ways;        /* 2, or 1 for a single-slot cache */
    uint64_t seed;
    struct auth_token_cache_stats stats;
};

/* ---- hashing: XXH64 ---- */

#define P1 UINT64_C(0x9E3779B185EBCA87)
#define P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P3 UINT64_C(0x165667B19E3779F9)
#define P4 UINT64_C(0x85EBCA77C2B2AE63)
#define P5 UINT64_C(0x27D4EB2F165667C5)

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Host byte order: the hash only ever meets hashes of the same process. */
static uint64_t read64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t read32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t round64(uint64_t acc, uint64_t input)
{
    return rotl(acc + input * P2, 31) * P1;
}

static uint64_t merge64(uint64_t h, uint64_t v)
{
    return (h ^ round64(0, v)) * P1 + P4;
}

static uint64_t xxh64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    const unsigned char *end = p + n;
    uint64_t h;

    if (n >= 32) {
        uint64_t v1 = seed + P1 + P2;
        uint64_t v2 = seed + P2;
        uint64_t v3 = seed;
        uint64_t v4 = seed - P1;

        for (; end - p >= 32; p += 32) {
            v1 = round64(v1, read64(p));
            v2 = round64(v2, read64(p + 8));
            v3 = round64(v3, read64(p + 16));
            v4 = round64(v4, read64(p + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge64(h, v1);
        h = merge64(h, v2);
        h = merge64(h, v3);
        h = merge64(h, v4);
    } else {
        h = seed + P5;
    }
    h += n;
    for (; end - p >= 8; p += 8)
        h = rotl(h ^ round64(0, read64(p)), 27) * P1 + P4;
    if (end - p >= 4) {
        h = rotl(h ^ read32(p) * P1, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++)
        h = rotl(h ^ *p * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

/* ---- entries ---- */

/* Copy `s` with its NUL to *at and advance *at; the copy. */
static const char *put_string(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = *at;

    memcpy(copy, s, n);
    *at += n;
    return copy;
}

/*
 * A block holding `p` and `key`, or NULL.  Arrays keep whether they were NULL, so a hit gives
 * back the very principal auth_jwt_verify() gave.
 */
static struct entry *entry_new(const struct auth_principal *p, const char *key, size_t key_len)
{
    size_t nvec = p->scope_count + p->role_count;
    size_t str_len = strlen(p->app_id) + 1 + strlen(p->object_id) + 1;
    const char **vec;
    struct entry *e;
    char *at;
    size_t i;

    for (i = 0; i < p->scope_count; i++)
        str_len += strlen(p->scopes[i]) + 1;
    for (i = 0; i < p->role_count; i++)
        str_len += strlen(p->roles[i]) + 1;
    e = malloc(sizeof *e + nvec * sizeof *vec + str_len + key_len);
    if (!e)
        return NULL;
    vec = (const char **)(e + 1);
    at = (char *)(vec + nvec);
    e->p = *p;
    e->strs = at;
    e->str_len = str_len;
    e->p.app_id = put_string(&at, p->app_id);
    e->p.object_id = put_string(&at, p->object_id);
    e->p.scopes = p->scopes ? vec : NULL;
    for (i = 0; i < p->scope_count; i++)
        e->p.scopes[i] = put_string(&at, p->scopes[i]);
    e->p.roles = p->roles ? vec + p->scope_count : NULL;
    for (i = 0; i < p->role_count; i++)
        e->p.roles[i] = put_string(&at, p->roles[i]);
    memcpy(at, key, key_len);
    e->key = at;
    e->key_len = key_len;
    return e;
}

/* Rebase a string of `e` onto its copy at `strs`. */
static const char *rebase(const struct entry *e, const char *strs, const char *s)
{
    return strs + (s - e->strs);
}

/* A copy of a cached array (at least one element, as auth_jwt_verify allocates), or NULL. */
static const char **copy_vec(struct arena *a, const struct entry *e, const char *strs,
                             const char **v, size_t n)
{
    const char **copy = arena_calloc(a, n ? n : 1, sizeof *copy);
    size_t i;

    for (i = 0; copy && i < n; i++)
        copy[i] = rebase(e, strs, v[i]);
    return copy;
}

/* *out = the principal of `e` with its strings and arrays in `a`.  0 or CMP_ENOMEM. */
static int entry_principal(const struct entry *e, struct arena *a, struct auth_principal *out)
{
    struct auth_principal p = e->p;
    char *strs = arena_alloc(a, e->str_len);

    if (!strs)
        return CMP_ENOMEM;
    memcpy(strs, e->strs, e->str_len);
    p.app_id = rebase(e, strs, e->p.app_id);
    p.object_id = rebase(e, strs, e->p.object_id);
    if (e->p.scopes) {
        p.scopes = copy_vec(a, e, strs, e->p.scopes, e->p.scope_count);
        if (!p.scopes)
            return CMP_ENOMEM;
    }
    if (e->p.roles) {
        p.roles = copy_vec(a, e, strs, e->p.roles, e->p.role_count);
        if (!p.roles)
            return CMP_ENOMEM;
    }
    *out = p;
    return 0;
}

/* ---- the cache ---- */

struct auth_token_cache *auth_token_cache_new(size_t slots)
{
    struct auth_token_cache *c = calloc(1, sizeof *c);
    size_t n = 1;

    if (!slots)
        slots = AUTH_TOKEN_CACHE_DEFAULT_SLOTS;
    if (slots > AUTH_TOKEN_CACHE_MAX_SLOTS)
        slots = AUTH_TOKEN_CACHE_MAX_SLOTS;
    while (n < slots)
        n <<= 1;
    if (c)
        c->slots = calloc(n, sizeof *c->slots);
    if (!c || !c->slots || random_bytes(&c->seed, sizeof c->seed)) {
        auth_token_cache_free(c);
        return NULL;
    }
    c->n_slots = n;
    c->ways = n >= 2 ? 2 : 1;
    c->set_mask = n / c->ways - 1;
    return c;
}

void auth_token_cache_free(struct auth_token_cache *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; c->slots && i < c->n_slots; i++)
        free(c->slots[i].e);
    free(c->slots);
    free(c);
}

void auth_token_cache_stats(const struct auth_token_cache *c, struct auth_token_cache_stats *out)
{
    static const struct auth_token_cache_stats none;

    *out = c ? c->stats : none;
}

static bool entry_matches(const struct slot *s, uint64_t hash, const struct auth_keys *keys,
                          const struct auth_cloud *cloud, const char *key, size_t n)
{
    const struct entry *e = s->e;

    return e && s->hash == hash && e->key_len == n && e->keys == keys && e->cloud == cloud &&
           memcmp(e->key, key, n) == 0;
}

/* Remember a verified token in its set as the most recently used, evicting the least. */
static void insert(struct slot *set, size_t ways, uint64_t hash, struct entry *e)
{
    free(set[ways - 1].e);
    if (ways == 2)
        set[1] = set[0];
    set[0].hash = hash;
    set[0].e = e;
}

/* A hit: fail on an expired entry (dropping it), else copy the principal out. */
static int answer(struct slot *set, size_t way, int64_t now, struct arena *a,
                  struct auth_principal *out, struct cmp_error *err)
{
    struct slot hit = set[way];
    int rc;

    rc = auth__jwt_check_lifetime(hit.e->p.expires, hit.e->p.not_before, now, err);
    if (rc) {
        free(hit.e);
        set[way].e = NULL;
        return rc;
    }
    if (way) {
        set[way] = set[0];
        set[0] = hit;
    }
    rc = entry_principal(hit.e, a, out);
    return rc ? cmp_error_set(err, rc, NULL) : 0;
}

int auth_jwt_verify_cached(struct auth_token_cache *c, const struct auth_keys *keys,
                           const struct auth_cloud *cloud, const char *authorization, size_t n,
                           int64_t now, struct arena *a, struct auth_principal *out,
                           struct cmp_error *err)
{
    struct slot *set;
    struct entry *e;
    uint64_t hash;
    size_t way;
    int rc;

    if (!c)
        return auth_jwt_verify(keys, cloud, authorization, n, now, a, out, err);
    if (!authorization || n > AUTH_TOKEN_CACHE_MAX_KEY) {
        c->stats.misses++;
        return auth_jwt_verify(keys, cloud, authorization, n, now, a, out, err);
    }
    /* auth_jwt_verify() reads a NULL cloud as the global one; so must the entries. */
    if (!cloud)
        cloud = &auth_cloud_global;
    hash = xxh64(authorization, n, c->seed);
    set = &c->slots[(hash & c->set_mask) * c->ways];
    for (way = 0; way < c->ways; way++) {
        if (entry_matches(&set[way], hash, keys, cloud, authorization, n)) {
            c->stats.hits++;
            return answer(set, way, now, a, out, err);
        }
    }
    c->stats.misses++;
    rc = auth_jwt_verify(keys, cloud, authorization, n, now, a, out, err);
    if (rc)
        return rc;
    /* Out of memory here only costs the next request a full verification. */
    e = entry_new(out, authorization, n);
    if (e) {
        e->keys = keys;
        e->cloud = cloud;
        insert(set, c->ways, hash, e);
    }
    return 0;
}
