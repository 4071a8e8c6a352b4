/*
 * auth/token_cache.h - remember the bearer tokens already verified, one cache per event loop.
 *
 * Verifying an RS256 token (base64, JSON, RSA-2048) is most of the CPU a cheap request costs, and
 * a client sends the same token on every request until it expires.  The cache maps the exact
 * bytes of an Authorization header value to the principal auth_jwt_verify() found in it, so a
 * token seen before costs a hash, a memcmp and a copy of the principal.  Only successful
 * verifications are remembered; the lifetime (exp/nbf with AUTH_CLOCK_SKEW) is checked again on
 * every hit.  Entries are never invalidated for a key change: a key set (auth/keys.h) is immutable
 * and kept for the life of the process.  An entry answers only for the key set and cloud it was
 * verified with.  Not thread-safe.
 */
#ifndef CMP_AUTH_TOKEN_CACHE_H
#define CMP_AUTH_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct auth_cloud;
struct auth_keys;
struct auth_principal;
struct cmp_error;

#define AUTH_TOKEN_CACHE_DEFAULT_SLOTS 256
#define AUTH_TOKEN_CACHE_MAX_SLOTS 65536
/* Longer Authorization values are verified every time, never cached. */
#define AUTH_TOKEN_CACHE_MAX_KEY 4096

struct auth_token_cache;

/*
 * A cache of `slots` verified tokens (rounded up to a power of two, at most
 * AUTH_TOKEN_CACHE_MAX_SLOTS; 0: AUTH_TOKEN_CACHE_DEFAULT_SLOTS).  One per event loop: not
 * thread-safe.  NULL when out of memory or when the kernel gives no random bytes for its seed.
 */
struct auth_token_cache *auth_token_cache_new(size_t slots);

/* Free the cache and every entry.  NULL is allowed. */
void auth_token_cache_free(struct auth_token_cache *c);

/*
 * Exactly auth_jwt_verify()'s contract: the same results, errors and principal.  A token that
 * verified before with the same `keys` and `cloud` is answered from the cache while its lifetime
 * still holds at `now`; once it does not, the call fails as auth_jwt_verify() would and the entry
 * is dropped.  A token that verifies is remembered, evicting an older one.  The principal's
 * strings and arrays are copied into `a`, never borrowed from the cache.  `c` NULL: plain
 * auth_jwt_verify().
 */
int auth_jwt_verify_cached(struct auth_token_cache *c, const struct auth_keys *keys,
                           const struct auth_cloud *cloud, const char *authorization, size_t n,
                           int64_t now, struct arena *a, struct auth_principal *out,
                           struct cmp_error *err);

/*
 * Counters for tests and metrics.  Each call with a cache counts once: a hit when it was answered
 * from the cache (also when the entry had expired and the call failed), a miss when it ran
 * auth_jwt_verify() (also for tokens too long to cache).
 */
struct auth_token_cache_stats {
    uint64_t hits;
    uint64_t misses;
};

/* OUT: *out, the counters of `c` (zeros for NULL). */
void auth_token_cache_stats(const struct auth_token_cache *c, struct auth_token_cache_stats *out);

#endif
