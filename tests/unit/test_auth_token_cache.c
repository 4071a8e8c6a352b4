/*
 * tests/unit/test_auth_token_cache.c - the cache of verified bearer tokens (auth/token_cache.c).
 *
 * Tokens are minted with auth_jwt_mint() from an in-memory key set made by the group setup; every
 * answer of the cache is compared with what auth_jwt_verify() says about the same header at the
 * same time.  Run under ASan, the tests also show that entries are freed on eviction and with the
 * cache, and that principals never point into the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "auth/token_cache.h"
#include "core/arena.h"
#include "core/err.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define NOW INT64_C(1750000000)
#define TID "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define OTHER_TID "11111111-2222-3333-4444-555555555555"

#define MSG_LIFETIME "Access token has expired or is not yet valid."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_SIGNATURE "Access token validation failure. Invalid signature."

struct fixture {
    struct auth_keys *keys;
    struct auth_keys *other_keys; /* a second set that knows none of the tokens' keys */
};

static struct fixture fx;

static int group_setup(void **state)
{
    (void)state;
    if (auth__keys_ephemeral("test-kid", &fx.keys, NULL) ||
        auth__keys_ephemeral("other-kid", &fx.other_keys, NULL))
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    auth_keys_free(fx.keys);
    auth_keys_free(fx.other_keys);
    return 0;
}

/* ---- helpers ---- */

/* "Bearer <token>" minted at NOW by the fixture's key, in `a`. */
static char *mint(struct arena *a, const struct auth_mint *m)
{
    char *tok = NULL;

    assert_int_equal(auth_jwt_mint(fx.keys, &auth_cloud_global, m, NOW, a, &tok, NULL), 0);
    return arena_sprintf(a, "Bearer %s", tok);
}

/* A delegated token with scopes and roles, so every field of the principal is filled. */
static char *mint_full(struct arena *a, const char *tenant)
{
    struct auth_mint m = {.tenant = tenant,
                          .roles = "R1, R2",
                          .scopes = " S1  S2 S3 ",
                          .app_id = "client-app",
                          .version = 2};

    return mint(a, &m);
}

static int cached(struct auth_token_cache *c, const char *auth, int64_t now, struct arena *a,
                  struct auth_principal *p, struct cmp_error *err)
{
    return auth_jwt_verify_cached(c, fx.keys, &auth_cloud_global, auth, auth ? strlen(auth) : 0,
                                  now, a, p, err);
}

static int plain(const char *auth, int64_t now, struct arena *a, struct auth_principal *p,
                 struct cmp_error *err)
{
    return auth_jwt_verify(fx.keys, &auth_cloud_global, auth, auth ? strlen(auth) : 0, now, a, p,
                           err);
}

static void assert_strings_equal(const char **x, const char **y, size_t n)
{
    size_t i;

    assert_int_equal(x == NULL, y == NULL);
    for (i = 0; i < n; i++)
        assert_string_equal(x[i], y[i]);
}

static void assert_principal_equal(const struct auth_principal *x, const struct auth_principal *y)
{
    assert_string_equal(x->tenant, y->tenant);
    assert_string_equal(x->app_id, y->app_id);
    assert_string_equal(x->object_id, y->object_id);
    assert_int_equal(x->app_only, y->app_only);
    assert_int_equal(x->personal, y->personal);
    assert_int_equal(x->scope_count, y->scope_count);
    assert_strings_equal(x->scopes, y->scopes, x->scope_count);
    assert_int_equal(x->role_count, y->role_count);
    assert_strings_equal(x->roles, y->roles, x->role_count);
    assert_int_equal(x->expires, y->expires);
    assert_int_equal(x->not_before, y->not_before);
}

static void assert_stats(const struct auth_token_cache *c, uint64_t hits, uint64_t misses)
{
    struct auth_token_cache_stats st;

    auth_token_cache_stats(c, &st);
    if (st.hits != hits || st.misses != misses)
        fail_msg("hits %llu misses %llu, want %llu and %llu", (unsigned long long)st.hits,
                 (unsigned long long)st.misses, (unsigned long long)hits,
                 (unsigned long long)misses);
}

/* ---- hits ---- */

static void test_cache_hit_returns_the_verified_principal(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    struct auth_principal want;
    struct auth_principal miss;
    struct auth_principal hit;
    const char *tok = mint_full(a, TID);

    (void)state;
    assert_non_null(c);
    assert_int_equal(plain(tok, NOW, a, &want, NULL), 0);
    assert_int_equal(want.scope_count, 3);
    assert_int_equal(want.role_count, 2);
    assert_int_equal(cached(c, tok, NOW, a, &miss, NULL), 0);
    assert_stats(c, 0, 1);
    assert_int_equal(cached(c, tok, NOW + 10, a, &hit, NULL), 0);
    assert_stats(c, 1, 1);
    assert_principal_equal(&miss, &want);
    assert_principal_equal(&hit, &want);
    assert_string_equal(hit.app_id, "client-app");
    assert_string_equal(hit.scopes[2], "S3");
    assert_string_equal(hit.roles[1], "R2");
    assert_false(hit.app_only);
    assert_int_equal(hit.not_before, NOW);
    auth_token_cache_free(c);
    arena_free(a);
}

/* NULL arrays (no scp, no roles) stay NULL, and "" strings stay "". */
static void test_cache_hit_keeps_absent_claims_absent(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1"};
    struct auth_principal want;
    struct auth_principal hit;
    const char *tok = mint(a, &m);

    (void)state;
    assert_int_equal(plain(tok, NOW, a, &want, NULL), 0);
    assert_int_equal(cached(c, tok, NOW, a, &hit, NULL), 0);
    assert_int_equal(cached(c, tok, NOW, a, &hit, NULL), 0);
    assert_stats(c, 1, 1);
    assert_null(hit.scopes);
    assert_int_equal(hit.role_count, 1);
    assert_true(hit.app_only);
    assert_principal_equal(&hit, &want);
    auth_token_cache_free(c);
    arena_free(a);
}

static void test_cache_counts_hits_and_misses(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(64);
    struct arena *a = arena_new(0);
    const char *t1 = mint_full(a, TID);
    const char *t2 = mint_full(a, OTHER_TID);
    struct auth_principal p;
    int i;

    (void)state;
    assert_stats(c, 0, 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(cached(c, t1, NOW, a, &p, NULL), 0);
        assert_string_equal(p.tenant, TID);
        assert_int_equal(cached(c, t2, NOW, a, &p, NULL), 0);
        assert_string_equal(p.tenant, OTHER_TID);
    }
    assert_stats(c, 8, 2);
    auth_token_cache_free(c);
    arena_free(a);
}

/* ---- lifetime ---- */

static void test_cache_expired_hit_fails_like_verify(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1", .expires_in = 60};
    const char *tok = mint(a, &m);
    int64_t late = NOW + 60 + AUTH_CLOCK_SKEW;
    struct auth_principal p;
    struct auth_principal untouched = {.app_id = "untouched"};
    struct cmp_error want = {0};
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, tok, late - 1, a, &p, NULL), 0);
    assert_stats(c, 1, 1);
    assert_int_equal(plain(tok, late, a, &p, &want), CMP_EUNAUTHENTICATED);
    assert_string_equal(want.msg, MSG_LIFETIME);
    p = untouched;
    assert_int_equal(cached(c, tok, late, a, &p, &err), CMP_EUNAUTHENTICATED);
    assert_int_equal(err.code, want.code);
    assert_string_equal(err.msg, want.msg);
    assert_string_equal(p.app_id, "untouched");
    assert_stats(c, 2, 1);
    /* The entry was dropped: the next call verifies again, and fails again. */
    cmp_error_clear(&err);
    assert_int_equal(cached(c, tok, late, a, &p, &err), CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_LIFETIME);
    assert_stats(c, 2, 2);
    auth_token_cache_free(c);
    arena_free(a);
}

/* A clock that steps back before nbf - skew finds the cached token not yet valid. */
static void test_cache_not_yet_valid_hit_fails_like_verify(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    const char *tok = mint_full(a, TID);
    int64_t early = NOW - AUTH_CLOCK_SKEW - 1;
    struct auth_principal p;
    struct cmp_error want = {0};
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, tok, early + 1, a, &p, NULL), 0);
    assert_int_equal(plain(tok, early, a, &p, &want), CMP_EUNAUTHENTICATED);
    assert_int_equal(cached(c, tok, early, a, &p, &err), CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, want.msg);
    assert_string_equal(err.msg, MSG_LIFETIME);
    assert_stats(c, 2, 1);
    /* Dropped, so once the clock is right again the token is verified in full. */
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_stats(c, 2, 2);
    auth_token_cache_free(c);
    arena_free(a);
}

/* ---- what is (not) a hit ---- */

static void test_cache_tampered_token_misses_and_fails(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    char *tok = mint_full(a, TID);
    char *bad = arena_strdup(a, tok);
    size_t i = strlen(bad) - 20; /* inside the signature, away from its padding bits */
    struct auth_principal p;
    struct cmp_error want = {0};
    struct cmp_error err = {0};

    (void)state;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_int_equal(plain(bad, NOW, a, &p, &want), CMP_EUNAUTHENTICATED);
    assert_string_equal(want.msg, MSG_SIGNATURE);
    assert_int_equal(cached(c, bad, NOW, a, &p, &err), CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, want.msg);
    assert_stats(c, 0, 2);
    /* The good token is still there. */
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_stats(c, 1, 2);
    auth_token_cache_free(c);
    arena_free(a);
}

static void test_cache_never_remembers_failures(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1", .audience = "api://elsewhere"};
    const char *tok = mint(a, &m);
    struct auth_principal p;
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        struct cmp_error err = {0};

        assert_int_equal(cached(c, tok, NOW, a, &p, &err), CMP_EUNAUTHENTICATED);
        assert_string_equal(err.msg, MSG_AUDIENCE);
    }
    assert_stats(c, 0, 3);
    auth_token_cache_free(c);
    arena_free(a);
}

/* The key is the exact header value: another spelling of the same token is another entry. */
static void test_cache_key_is_the_exact_header(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    char *tok = mint_full(a, TID);
    char *lower = arena_strdup(a, tok);
    char *padded = arena_sprintf(a, "  %s\t", tok);
    struct auth_principal p;

    (void)state;
    memcpy(lower, "bearer", 6);
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_stats(c, 1, 1);
    assert_int_equal(cached(c, lower, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, lower, NOW, a, &p, NULL), 0);
    assert_stats(c, 2, 2);
    assert_int_equal(cached(c, padded, NOW, a, &p, NULL), 0);
    assert_stats(c, 2, 3);
    /* A header that is a prefix of a cached one is no hit either. */
    assert_int_equal(auth_jwt_verify_cached(c, fx.keys, &auth_cloud_global, padded,
                                            strlen(padded) - 1, NOW, a, &p, NULL),
                     0);
    assert_stats(c, 2, 4);
    auth_token_cache_free(c);
    arena_free(a);
}

static void test_cache_skips_long_headers(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    const char *tok = mint_full(a, TID);
    /* Trailing blanks are ignored by verification, so this long header is still valid. */
    char *big = arena_sprintf(a, "%s%*s", tok, AUTH_TOKEN_CACHE_MAX_KEY, "");
    struct auth_principal want;
    struct auth_principal p;

    (void)state;
    assert_true(strlen(big) > AUTH_TOKEN_CACHE_MAX_KEY);
    assert_int_equal(plain(big, NOW, a, &want, NULL), 0);
    assert_int_equal(cached(c, big, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, big, NOW, a, &p, NULL), 0);
    assert_stats(c, 0, 2);
    assert_principal_equal(&p, &want);
    auth_token_cache_free(c);
    arena_free(a);
}

/* An entry answers only for the key set and cloud it was verified with (NULL cloud: global). */
static void test_cache_entry_belongs_to_its_keys_and_cloud(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *a = arena_new(0);
    const char *tok = mint_full(a, TID);
    const struct auth_cloud *usgov = auth_cloud_find("usgov");
    struct auth_principal p;
    struct cmp_error err = {0};
    size_t n = strlen(tok);

    (void)state;
    assert_non_null(usgov);
    assert_int_equal(cached(c, tok, NOW, a, &p, NULL), 0);
    assert_int_equal(auth_jwt_verify_cached(c, fx.keys, NULL, tok, n, NOW, a, &p, NULL), 0);
    assert_stats(c, 1, 1);
    assert_int_equal(auth_jwt_verify_cached(c, fx.keys, usgov, tok, n, NOW, a, &p, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_AUDIENCE);
    cmp_error_clear(&err);
    assert_int_equal(auth_jwt_verify_cached(c, fx.other_keys, NULL, tok, n, NOW, a, &p, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_SIGNATURE);
    assert_stats(c, 1, 3);
    auth_token_cache_free(c);
    arena_free(a);
}

/* ---- eviction ---- */

static void test_cache_single_slot_alternates(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(1);
    struct arena *a = arena_new(0);
    const char *t1 = mint_full(a, TID);
    const char *t2 = mint_full(a, OTHER_TID);
    struct auth_principal want1;
    struct auth_principal want2;
    struct auth_principal p;
    int i;

    (void)state;
    assert_non_null(c);
    assert_int_equal(plain(t1, NOW, a, &want1, NULL), 0);
    assert_int_equal(plain(t2, NOW, a, &want2, NULL), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(cached(c, t1, NOW, a, &p, NULL), 0);
        assert_principal_equal(&p, &want1);
        assert_int_equal(cached(c, t2, NOW, a, &p, NULL), 0);
        assert_principal_equal(&p, &want2);
    }
    assert_stats(c, 0, 8);
    assert_int_equal(cached(c, t2, NOW, a, &p, NULL), 0);
    assert_principal_equal(&p, &want2);
    assert_stats(c, 1, 8);
    auth_token_cache_free(c);
    arena_free(a);
}

/* Two slots make one set of two ways: the least recently used token is the one evicted. */
static void test_cache_two_ways_evict_least_recently_used(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(2);
    struct arena *a = arena_new(0);
    struct auth_mint m1 = {.tenant = TID, .roles = "One"};
    struct auth_mint m2 = {.tenant = TID, .roles = "Two"};
    struct auth_mint m3 = {.tenant = TID, .roles = "Three"};
    const char *t1 = mint(a, &m1);
    const char *t2 = mint(a, &m2);
    const char *t3 = mint(a, &m3);
    struct auth_principal p;

    (void)state;
    assert_int_equal(cached(c, t1, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, t2, NOW, a, &p, NULL), 0);
    assert_int_equal(cached(c, t1, NOW, a, &p, NULL), 0); /* t1 now the most recent */
    assert_stats(c, 1, 2);
    assert_int_equal(cached(c, t3, NOW, a, &p, NULL), 0); /* evicts t2 */
    assert_int_equal(cached(c, t1, NOW, a, &p, NULL), 0);
    assert_string_equal(p.roles[0], "One");
    assert_int_equal(cached(c, t3, NOW, a, &p, NULL), 0);
    assert_string_equal(p.roles[0], "Three");
    assert_stats(c, 3, 3);
    assert_int_equal(cached(c, t2, NOW, a, &p, NULL), 0);
    assert_string_equal(p.roles[0], "Two");
    assert_stats(c, 3, 4);
    auth_token_cache_free(c);
    arena_free(a);
}

/* Many tokens through a small cache: every answer is still the right one. */
static void test_cache_churn_answers_correctly(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(4);
    struct arena *a = arena_new(0);
    const char *toks[12];
    struct auth_principal p;
    struct auth_token_cache_stats st;
    size_t i;
    size_t round;

    (void)state;
    for (i = 0; i < 12; i++) {
        struct auth_mint m = {.tenant = TID, .roles = arena_sprintf(a, "Role%zu", i)};
        toks[i] = mint(a, &m);
    }
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 12; i++) {
            size_t k = (i * 5 + round) % 12;

            assert_int_equal(cached(c, toks[k], NOW, a, &p, NULL), 0);
            assert_int_equal(p.role_count, 1);
            assert_string_equal(p.roles[0], arena_sprintf(a, "Role%zu", k));
        }
    }
    auth_token_cache_stats(c, &st);
    assert_int_equal(st.hits + st.misses, 36);
    auth_token_cache_free(c);
    arena_free(a);
}

/* ---- the same answers as auth_jwt_verify ---- */

static void test_cache_answers_as_verify_does(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(8);
    struct arena *a = arena_new(0);
    struct auth_mint short_lived = {.tenant = TID, .roles = "R1", .expires_in = 30};
    const char *headers[] = {
        NULL,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Bearer garbage",
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.e30",
        mint_full(a, TID),
        mint(a, &short_lived),
    };
    const int64_t times[] = {NOW, NOW + 100, NOW + 30 + AUTH_CLOCK_SKEW, NOW + 4000, NOW};
    size_t t;
    size_t i;

    (void)state;
    for (t = 0; t < sizeof times / sizeof times[0]; t++) {
        for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
            struct auth_principal want = {0};
            struct auth_principal p = {0};
            struct cmp_error want_err = {0};
            struct cmp_error err = {0};
            int want_rc = plain(headers[i], times[t], a, &want, &want_err);
            int rc = cached(c, headers[i], times[t], a, &p, &err);

            if (rc != want_rc || err.code != want_err.code || strcmp(err.msg, want_err.msg) != 0)
                fail_msg("header %zu at %+lld: rc %d \"%s\", want %d \"%s\"", i,
                         (long long)(times[t] - NOW), rc, err.msg, want_rc, want_err.msg);
            if (!rc)
                assert_principal_equal(&p, &want);
        }
    }
    auth_token_cache_free(c);
    arena_free(a);
}

static void test_cache_null_is_plain_verify(void **state)
{
    struct arena *a = arena_new(0);
    const char *tok = mint_full(a, TID);
    struct auth_principal want;
    struct auth_principal p;
    struct auth_token_cache_stats st = {1, 1};
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(plain(tok, NOW, a, &want, NULL), 0);
    assert_int_equal(cached(NULL, tok, NOW, a, &p, NULL), 0);
    assert_principal_equal(&p, &want);
    assert_int_equal(cached(NULL, "Bearer garbage", NOW, a, &p, &err), CMP_EUNAUTHENTICATED);
    assert_true(err.msg[0] != '\0');
    auth_token_cache_stats(NULL, &st);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 0);
    auth_token_cache_free(NULL);
    arena_free(a);
}

/* ---- ownership ---- */

/* Principals from a miss and from a hit outlive the cache (ASan reads freed memory otherwise). */
static void test_cache_principal_lives_in_callers_arena(void **state)
{
    struct auth_token_cache *c = auth_token_cache_new(0);
    struct arena *mint_arena = arena_new(0);
    struct arena *a = arena_new(0);
    const char *tok = mint_full(mint_arena, TID);
    struct auth_principal want;
    struct auth_principal miss;
    struct auth_principal hit;

    (void)state;
    assert_int_equal(plain(tok, NOW, a, &want, NULL), 0);
    assert_int_equal(cached(c, tok, NOW, a, &miss, NULL), 0);
    assert_int_equal(cached(c, tok, NOW, a, &hit, NULL), 0);
    assert_stats(c, 1, 1);
    auth_token_cache_free(c);
    arena_free(mint_arena); /* and the header the cache was given is gone too */
    assert_principal_equal(&miss, &want);
    assert_principal_equal(&hit, &want);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hit_returns_the_verified_principal),
        cmocka_unit_test(test_cache_hit_keeps_absent_claims_absent),
        cmocka_unit_test(test_cache_counts_hits_and_misses),
        cmocka_unit_test(test_cache_expired_hit_fails_like_verify),
        cmocka_unit_test(test_cache_not_yet_valid_hit_fails_like_verify),
        cmocka_unit_test(test_cache_tampered_token_misses_and_fails),
        cmocka_unit_test(test_cache_never_remembers_failures),
        cmocka_unit_test(test_cache_key_is_the_exact_header),
        cmocka_unit_test(test_cache_skips_long_headers),
        cmocka_unit_test(test_cache_entry_belongs_to_its_keys_and_cloud),
        cmocka_unit_test(test_cache_single_slot_alternates),
        cmocka_unit_test(test_cache_two_ways_evict_least_recently_used),
        cmocka_unit_test(test_cache_churn_answers_correctly),
        cmocka_unit_test(test_cache_answers_as_verify_does),
        cmocka_unit_test(test_cache_null_is_plain_verify),
        cmocka_unit_test(test_cache_principal_lives_in_callers_arena),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
