/*
 * tests/unit/test_auth_jwt.c - bearer token verification and minting (auth/jwt.c).
 *
 * The group setup makes a data directory and a JWKS file in a mkdtemp(3) directory: the JWKS
 * holds a key generated here (kid "test-kid", x5t "test-x5t"), so most tokens below are "Entra"
 * tokens signed by a JWKS-loaded key.  Another generated key, absent from the set, forges.
 */
#include <ftw.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/str.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define NOW INT64_C(1750000000)
#define TID "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define TID_UPPER "72F988BF-86F1-41AF-91AB-2D7CD011DB47"
#define OTHER_TID "11111111-2222-3333-4444-555555555555"
#define ISS_V1 "https://sts.windows.net/" TID "/"
#define ISS_V2 "https://login.microsoftonline.com/" TID "/v2.0"

#define MSG_EMPTY "Access token is empty."
#define MSG_SCHEME                                                                                 \
    "Access token validation failure. The Authorization header must use the Bearer scheme."
#define MSG_MALFORMED "CompactToken parsing failed with error code: 80049217"
#define MSG_LIFETIME "Access token has expired or is not yet valid."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_ISSUER "Access token validation failure. Invalid issuer."
#define MSG_SIGNATURE "Access token validation failure. Invalid signature."

/* Header and claims of a valid token, to build rows from. */
#define HDR "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"test-kid\"}"
#define AUD "\"aud\":\"https://graph.microsoft.com\""
#define ISS "\"iss\":\"" ISS_V1 "\""
#define TIMES "\"iat\":1749999000,\"nbf\":1749999000,\"exp\":1750003600"
#define TENANT "\"tid\":\"" TID "\""
#define APP                                                                                        \
    "\"appid\":\"a1b2c3d4-0000-4000-8000-000000000001\",\"idtyp\":\"app\",\"roles\":[\"R1\"]"
#define CLAIMS(...) "{" __VA_ARGS__ "}"
#define GOOD CLAIMS(AUD "," ISS "," TIMES "," TENANT "," APP)

struct fixture {
    char dir[64];
    struct auth_keys *keys;
    EVP_PKEY *jwks_key;  /* in the set as test-kid / test-x5t */
    EVP_PKEY *other_key; /* not in the set */
};

static struct fixture fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *b64_param(struct arena *a, const EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char bin[512];
    int n;

    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
        return NULL;
    n = BN_bn2bin(bn, bin);
    BN_free(bn);
    return str_base64url_encode(a, bin, (size_t)n);
}

static int group_setup(void **state)
{
    struct arena *a = arena_new(0);
    char path[128];
    FILE *fp;
    int rc;

    (void)state;
    snprintf(fx.dir, sizeof fx.dir, "/tmp/cmpd-jwt-XXXXXX");
    if (!a || !mkdtemp(fx.dir))
        return -1;
    fx.jwks_key = EVP_RSA_gen(2048);
    fx.other_key = EVP_RSA_gen(2048);
    snprintf(path, sizeof path, "%s/jwks.json", fx.dir);
    fp = fopen(path, "w");
    if (!fx.jwks_key || !fx.other_key || !fp)
        return -1;
    fprintf(fp,
            "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"test-kid\",\"x5t\":\"test-x5t\","
            "\"n\":\"%s\",\"e\":\"%s\"}]}",
            b64_param(a, fx.jwks_key, OSSL_PKEY_PARAM_RSA_N),
            b64_param(a, fx.jwks_key, OSSL_PKEY_PARAM_RSA_E));
    fclose(fp);
    arena_free(a);
    rc = auth_keys_load(fx.dir, path, &fx.keys, NULL);
    return rc ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    auth_keys_free(fx.keys);
    EVP_PKEY_free(fx.jwks_key);
    EVP_PKEY_free(fx.other_key);
    nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- building tokens ---- */

enum sign {
    SIGN_JWKS,   /* RS256 with the JWKS key */
    SIGN_OTHER,  /* RS256 with a key outside the set */
    SIGN_HS256,  /* HMAC-SHA256 keyed with the JWKS key's modulus (key confusion) */
    SIGN_NONE,   /* empty signature */
    SIGN_TAMPER, /* signed with the JWKS key, then the payload is swapped */
};

static const char *b64(struct arena *a, const char *s)
{
    return str_base64url_encode(a, (const unsigned char *)s, strlen(s));
}

static const char *rs256(struct arena *a, EVP_PKEY *k, const char *input)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t len = sizeof sig;

    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &len, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    return str_base64url_encode(a, sig, len);
}

/* "Bearer <token>" with `header` and `claims` signed as `how`. */
static char *bearer(struct arena *a, const char *header, const char *claims, enum sign how)
{
    const char *input = arena_sprintf(a, "%s.%s", b64(a, header), b64(a, claims));
    const char *sig = "";
    unsigned char mac[32];
    unsigned int mac_len = 0;
    const char *secret;

    switch (how) {
    case SIGN_JWKS:
        sig = rs256(a, fx.jwks_key, input);
        break;
    case SIGN_OTHER:
        sig = rs256(a, fx.other_key, input);
        break;
    case SIGN_HS256:
        secret = b64_param(a, fx.jwks_key, OSSL_PKEY_PARAM_RSA_N);
        assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
                             (const unsigned char *)input, strlen(input), mac, &mac_len));
        sig = str_base64url_encode(a, mac, mac_len);
        break;
    case SIGN_NONE:
        break;
    case SIGN_TAMPER:
        sig = rs256(a, fx.jwks_key, input);
        input = arena_sprintf(a, "%s.%s", b64(a, header),
                              b64(a, CLAIMS(AUD "," ISS "," TIMES "," TENANT
                                                ",\"idtyp\":\"app\",\"roles\":[\"R1\",\"R2\"]")));
        break;
    }
    return arena_sprintf(a, "Bearer %s.%s", input, sig);
}

static int verify(struct arena *a, const char *auth, struct auth_principal *p,
                  struct cmp_error *err)
{
    return auth_jwt_verify(fx.keys, &auth_cloud_global, auth, auth ? strlen(auth) : 0, NOW, a, p,
                           err);
}

/* ---- the failure (and near-failure) table ---- */

struct token_row {
    const char *name;
    const char *raw; /* the whole Authorization value; else built from the three below */
    const char *header;
    const char *claims;
    enum sign sign;
    const char *msg; /* NULL: the token is accepted */
};

static const struct token_row token_rows[] = {
    /* the Authorization header itself */
    {"empty", "", NULL, NULL, 0, MSG_EMPTY},
    {"blank", "   ", NULL, NULL, 0, MSG_EMPTY},
    {"scheme only", "Bearer", NULL, NULL, 0, MSG_EMPTY},
    {"scheme and blanks", "Bearer   ", NULL, NULL, 0, MSG_EMPTY},
    {"basic scheme", "Basic dXNlcjpwYXNzd29yZA==", NULL, NULL, 0, MSG_SCHEME},
    {"no scheme", "eyJhbGciOiJSUzI1NiJ9.e30.e30", NULL, NULL, 0, MSG_SCHEME},
    /* compact structure */
    {"garbage", "Bearer garbage", NULL, NULL, 0, MSG_MALFORMED},
    {"two parts", "Bearer eyJhbGciOiJSUzI1NiJ9.e30", NULL, NULL, 0, MSG_MALFORMED},
    {"four parts", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.e30.e30", NULL, NULL, 0, MSG_MALFORMED},
    {"empty header", "Bearer .e30.AAAA", NULL, NULL, 0, MSG_MALFORMED},
    {"bad base64", "Bearer eyJhbGciOiJSUzI1NiJ9!.e30.AAAA", NULL, NULL, 0, MSG_MALFORMED},
    {"bad base64 signature", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.AA*A", NULL, NULL, 0, MSG_MALFORMED},
    {"header not json", "Bearer bm90IGpzb24.e30.AAAA", NULL, NULL, 0, MSG_MALFORMED},
    {"header an array", "Bearer WzFd.e30.AAAA", NULL, NULL, 0, MSG_MALFORMED},
    {"payload not an object", NULL, HDR, "\"claims\"", SIGN_JWKS, MSG_MALFORMED},
    {"duplicate claim", NULL, HDR, "{\"tid\":\"a\",\"tid\":\"b\"}", SIGN_JWKS, MSG_MALFORMED},
    /* algorithm and key */
    {"alg none", NULL, "{\"alg\":\"none\",\"kid\":\"test-kid\"}", GOOD, SIGN_NONE, MSG_SIGNATURE},
    {"alg missing", NULL, "{\"kid\":\"test-kid\"}", GOOD, SIGN_JWKS, MSG_SIGNATURE},
    {"alg HS256", NULL, "{\"alg\":\"HS256\",\"kid\":\"test-kid\"}", GOOD, SIGN_HS256,
     MSG_SIGNATURE},
    {"alg HS512", NULL, "{\"alg\":\"HS512\",\"kid\":\"test-kid\"}", GOOD, SIGN_HS256,
     MSG_SIGNATURE},
    {"alg ES256", NULL, "{\"alg\":\"ES256\",\"kid\":\"test-kid\"}", GOOD, SIGN_JWKS, MSG_SIGNATURE},
    {"alg PS256", NULL, "{\"alg\":\"PS256\",\"kid\":\"test-kid\"}", GOOD, SIGN_JWKS, MSG_SIGNATURE},
    {"alg rs256 lowercase", NULL, "{\"alg\":\"rs256\",\"kid\":\"test-kid\"}", GOOD, SIGN_JWKS,
     MSG_SIGNATURE},
    {"alg not a string", NULL, "{\"alg\":1,\"kid\":\"test-kid\"}", GOOD, SIGN_JWKS, MSG_MALFORMED},
    {"typ not JWT", NULL, "{\"alg\":\"RS256\",\"typ\":\"JOSE+JSON\",\"kid\":\"test-kid\"}", GOOD,
     SIGN_JWKS, MSG_MALFORMED},
    {"crit extension", NULL, "{\"alg\":\"RS256\",\"kid\":\"test-kid\",\"crit\":[\"exp\"]}", GOOD,
     SIGN_JWKS, MSG_MALFORMED},
    {"unknown kid", NULL, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", GOOD, SIGN_OTHER, MSG_SIGNATURE},
    {"no kid nor x5t", NULL, "{\"alg\":\"RS256\"}", GOOD, SIGN_JWKS, MSG_SIGNATURE},
    {"key by x5t", NULL, "{\"alg\":\"RS256\",\"x5t\":\"test-x5t\"}", GOOD, SIGN_JWKS, NULL},
    {"known kid, other signer", NULL, HDR, GOOD, SIGN_OTHER, MSG_SIGNATURE},
    {"tampered payload", NULL, HDR, GOOD, SIGN_TAMPER, MSG_SIGNATURE},
    {"empty signature", NULL, HDR, GOOD, SIGN_NONE, MSG_SIGNATURE},
    {"valid", NULL, HDR, GOOD, SIGN_JWKS, NULL},
    /* lifetime (skew 300 s) */
    {"expired", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":1749999700," TENANT), SIGN_JWKS,
     MSG_LIFETIME},
    {"expired within skew", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":1749999701," TENANT), SIGN_JWKS,
     NULL},
    {"exp missing", NULL, HDR, CLAIMS(AUD "," ISS "," TENANT), SIGN_JWKS, MSG_LIFETIME},
    {"exp a string", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":\"1750003600\"," TENANT), SIGN_JWKS,
     MSG_MALFORMED},
    {"exp with an exponent", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":1.7500036e9," TENANT),
     SIGN_JWKS, MSG_MALFORMED},
    {"exp negative", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":-1," TENANT), SIGN_JWKS,
     MSG_MALFORMED},
    {"exp past year 9999", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":9223372036854775807," TENANT),
     SIGN_JWKS, MSG_MALFORMED},
    {"exp with a fraction", NULL, HDR, CLAIMS(AUD "," ISS ",\"exp\":1750003600.5," TENANT),
     SIGN_JWKS, NULL},
    {"nbf in the future", NULL, HDR,
     CLAIMS(AUD "," ISS ",\"nbf\":1750000301,\"exp\":1750003600," TENANT), SIGN_JWKS, MSG_LIFETIME},
    {"nbf within skew", NULL, HDR,
     CLAIMS(AUD "," ISS ",\"nbf\":1750000300,\"exp\":1750003600," TENANT), SIGN_JWKS, NULL},
    /* audience */
    {"wrong aud", NULL, HDR,
     CLAIMS("\"aud\":\"https://graph.windows.net\"," ISS "," TIMES "," TENANT), SIGN_JWKS,
     MSG_AUDIENCE},
    {"other cloud's aud", NULL, HDR,
     CLAIMS("\"aud\":\"https://graph.microsoft.us\"," ISS "," TIMES "," TENANT), SIGN_JWKS,
     MSG_AUDIENCE},
    {"aud missing", NULL, HDR, CLAIMS(ISS "," TIMES "," TENANT), SIGN_JWKS, MSG_AUDIENCE},
    {"aud trailing slash", NULL, HDR,
     CLAIMS("\"aud\":\"https://graph.microsoft.com/\"," ISS "," TIMES "," TENANT), SIGN_JWKS, NULL},
    {"aud graph app id", NULL, HDR,
     CLAIMS("\"aud\":\"00000003-0000-0000-c000-000000000000\"," ISS "," TIMES "," TENANT),
     SIGN_JWKS, NULL},
    {"aud array", NULL, HDR,
     CLAIMS("\"aud\":[\"api://x\",\"https://graph.microsoft.com\"]," ISS "," TIMES "," TENANT),
     SIGN_JWKS, NULL},
    {"aud array without graph", NULL, HDR,
     CLAIMS("\"aud\":[\"api://x\",7]," ISS "," TIMES "," TENANT), SIGN_JWKS, MSG_AUDIENCE},
    /* issuer and tenant */
    {"v2 issuer", NULL, HDR, CLAIMS(AUD ",\"iss\":\"" ISS_V2 "\"," TIMES "," TENANT), SIGN_JWKS,
     NULL},
    {"issuer guid upper case", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://sts.windows.net/" TID_UPPER "/\"," TIMES "," TENANT), SIGN_JWKS,
     NULL},
    {"wrong issuer host", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://sts.evil.example/" TID "/\"," TIMES "," TENANT), SIGN_JWKS,
     MSG_ISSUER},
    {"v1 host, v2 form", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://sts.windows.net/" TID "/v2.0\"," TIMES "," TENANT), SIGN_JWKS,
     MSG_ISSUER},
    {"v2 host, no version", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://login.microsoftonline.com/" TID "/\"," TIMES "," TENANT),
     SIGN_JWKS, MSG_ISSUER},
    {"other cloud's issuer", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://login.microsoftonline.us/" TID "/v2.0\"," TIMES "," TENANT),
     SIGN_JWKS, MSG_ISSUER},
    {"issuer tenant differs", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://sts.windows.net/" OTHER_TID "/\"," TIMES "," TENANT), SIGN_JWKS,
     MSG_ISSUER},
    {"issuer missing", NULL, HDR, CLAIMS(AUD "," TIMES "," TENANT), SIGN_JWKS, MSG_ISSUER},
    {"tid missing", NULL, HDR, CLAIMS(AUD "," ISS "," TIMES), SIGN_JWKS, MSG_ISSUER},
    {"tid not a guid", NULL, HDR,
     CLAIMS(AUD ",\"iss\":\"https://sts.windows.net/contoso/\"," TIMES ",\"tid\":\"contoso\""),
     SIGN_JWKS, MSG_ISSUER},
    {"tid a number", NULL, HDR, CLAIMS(AUD "," ISS "," TIMES ",\"tid\":42"), SIGN_JWKS, MSG_ISSUER},
    /* principal claims of the wrong type */
    {"roles a string", NULL, HDR, CLAIMS(AUD "," ISS "," TIMES "," TENANT ",\"roles\":\"R1\""),
     SIGN_JWKS, MSG_MALFORMED},
    {"roles with a number", NULL, HDR,
     CLAIMS(AUD "," ISS "," TIMES "," TENANT ",\"roles\":[\"R1\",2]"), SIGN_JWKS, MSG_MALFORMED},
    {"scp an array", NULL, HDR, CLAIMS(AUD "," ISS "," TIMES "," TENANT ",\"scp\":[\"a\"]"),
     SIGN_JWKS, MSG_MALFORMED},
    {"idtyp a number", NULL, HDR, CLAIMS(AUD "," ISS "," TIMES "," TENANT ",\"idtyp\":1"),
     SIGN_JWKS, MSG_MALFORMED},
};

static void test_jwt_token_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof token_rows / sizeof token_rows[0]; i++) {
        const struct token_row *row = &token_rows[i];
        struct arena *a = arena_new(0);
        struct auth_principal p;
        struct cmp_error err = {0};
        const char *auth;
        int rc;

        assert_non_null(a);
        auth = row->raw ? row->raw : bearer(a, row->header, row->claims, row->sign);
        rc = verify(a, auth, &p, &err);
        if (row->msg && (rc != CMP_EUNAUTHENTICATED || strcmp(err.msg, row->msg) != 0))
            fail_msg("row \"%s\": rc %d, message \"%s\", want \"%s\"", row->name, rc, err.msg,
                     row->msg);
        if (!row->msg && rc)
            fail_msg("row \"%s\": refused with \"%s\"", row->name, err.msg);
        arena_free(a);
    }
}

static void test_jwt_refuses_missing_header(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(auth_jwt_verify(fx.keys, &auth_cloud_global, NULL, 0, NOW, a, &p, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_EMPTY);
    arena_free(a);
}

static void test_jwt_refuses_oversized_token(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    struct cmp_error err = {0};
    char *big = arena_alloc(a, AUTH_MAX_TOKEN + 16);
    const char *tok;

    (void)state;
    memset(big, 'A', AUTH_MAX_TOKEN + 15);
    big[AUTH_MAX_TOKEN + 15] = '\0';
    big[100] = '.';
    big[200] = '.';
    tok = arena_sprintf(a, "Bearer %s", big);
    assert_int_equal(verify(a, tok, &p, &err), CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_MALFORMED);
    arena_free(a);
}

static void test_jwt_accepts_scheme_in_any_case(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    char *tok = bearer(a, HDR, GOOD, SIGN_JWKS);

    (void)state;
    memcpy(tok, "bEARER", 6);
    assert_int_equal(verify(a, tok, &p, NULL), 0);
    arena_free(a);
}

/* ---- principal ---- */

static void test_jwt_extracts_app_principal(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    const char *claims =
        CLAIMS(AUD ",\"iss\":\"https://sts.windows.net/" TID_UPPER "/\"," TIMES
                   ",\"tid\":\"" TID_UPPER "\",\"appid\":\"app-1\",\"oid\":\"obj-1\","
                   "\"idtyp\":\"app\",\"roles\":[\"R1\",\"R2\"]");

    (void)state;
    assert_int_equal(verify(a, bearer(a, HDR, claims, SIGN_JWKS), &p, NULL), 0);
    assert_string_equal(p.tenant, TID); /* lowercased */
    assert_string_equal(p.app_id, "app-1");
    assert_string_equal(p.object_id, "obj-1");
    assert_true(p.app_only);
    assert_false(p.personal);
    assert_int_equal(p.role_count, 2);
    assert_string_equal(p.roles[0], "R1");
    assert_string_equal(p.roles[1], "R2");
    assert_int_equal(p.scope_count, 0);
    assert_int_equal(p.expires, 1750003600);
    assert_int_equal(p.not_before, 1749999000);
    arena_free(a);
}

/* Without `nbf` the principal's not_before is 0, and the token is valid from the epoch on. */
static void test_jwt_not_before_defaults_to_zero(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    struct cmp_error err = {0};
    const char *auth = bearer(a, HDR, CLAIMS(AUD "," ISS ",\"exp\":1750003600," TENANT), SIGN_JWKS);

    (void)state;
    assert_int_equal(verify(a, auth, &p, NULL), 0);
    assert_int_equal(p.not_before, 0);
    assert_int_equal(p.expires, 1750003600);
    assert_int_equal(auth_jwt_verify(fx.keys, NULL, auth, strlen(auth), 0, a, &p, NULL), 0);
    assert_int_equal(
        auth_jwt_verify(fx.keys, NULL, auth, strlen(auth), -AUTH_CLOCK_SKEW - 1, a, &p, &err),
        CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_LIFETIME);
    arena_free(a);
}

/* The lifetime check on its own (what the token cache re-runs on a hit): the skew on both ends. */
static void test_jwt_check_lifetime_window(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(auth__jwt_check_lifetime(NOW, NOW, NOW, NULL), 0);
    assert_int_equal(auth__jwt_check_lifetime(NOW, NOW, NOW + AUTH_CLOCK_SKEW - 1, NULL), 0);
    assert_int_equal(auth__jwt_check_lifetime(NOW, NOW, NOW - AUTH_CLOCK_SKEW, NULL), 0);
    assert_int_equal(auth__jwt_check_lifetime(NOW, NOW, NOW + AUTH_CLOCK_SKEW, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_LIFETIME);
    cmp_error_clear(&err);
    assert_int_equal(auth__jwt_check_lifetime(NOW, NOW, NOW - AUTH_CLOCK_SKEW - 1, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_LIFETIME);
}

static void test_jwt_extracts_delegated_principal(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_principal p;
    const char *claims = CLAIMS(AUD ",\"iss\":\"" ISS_V2 "\"," TIMES "," TENANT
                                    ",\"azp\":\"client-2\",\"idtyp\":\"user\","
                                    "\"scp\":\" S1  S2 S3 \",\"roles\":[\"AppRole\"]");

    (void)state;
    assert_int_equal(verify(a, bearer(a, HDR, claims, SIGN_JWKS), &p, NULL), 0);
    assert_string_equal(p.app_id, "client-2");
    assert_string_equal(p.object_id, "");
    assert_false(p.app_only);
    assert_int_equal(p.scope_count, 3);
    assert_string_equal(p.scopes[0], "S1");
    assert_string_equal(p.scopes[1], "S2");
    assert_string_equal(p.scopes[2], "S3");
    assert_int_equal(p.role_count, 1);
    arena_free(a);
}

/* Without idtyp: app-only exactly when there is no scp but there are roles. */
struct idtyp_row {
    const char *extra;
    bool app_only;
};

static const struct idtyp_row idtyp_rows[] = {
    {",\"roles\":[\"R1\"]", true},
    {",\"scp\":\"S1\"", false},
    {",\"scp\":\"S1\",\"roles\":[\"R1\"]", false},
    {"", false},
    {",\"idtyp\":\"app\",\"scp\":\"S1\"", true},
    {",\"idtyp\":\"user\",\"roles\":[\"R1\"]", false},
};

static void test_jwt_tells_app_only_from_delegated(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof idtyp_rows / sizeof idtyp_rows[0]; i++) {
        struct arena *a = arena_new(0);
        struct auth_principal p;
        const char *claims =
            arena_sprintf(a, "{" AUD "," ISS "," TIMES "," TENANT "%s}", idtyp_rows[i].extra);

        assert_int_equal(verify(a, bearer(a, HDR, claims, SIGN_JWKS), &p, NULL), 0);
        if (p.app_only != idtyp_rows[i].app_only)
            fail_msg("claims %s: app_only %d", idtyp_rows[i].extra, p.app_only);
        arena_free(a);
    }
}

struct personal_row {
    const char *tid;
    const char *idp; /* NULL: no idp claim */
    bool personal;
};

static const struct personal_row personal_rows[] = {
    {TID, NULL, false},
    {AUTH_MSA_TENANT, NULL, true},
    {"9188040D-6C67-4C5B-B112-36A304B66DAD", NULL, true},
    {TID, "live.com", true},
    {TID, "LIVE.COM", true},
    {TID, "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/", true},
    {TID, "https://sts.windows.net/" OTHER_TID "/", false},
    {TID, "google.com", false},
};

static void test_jwt_detects_personal_accounts(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof personal_rows / sizeof personal_rows[0]; i++) {
        const struct personal_row *row = &personal_rows[i];
        struct arena *a = arena_new(0);
        struct auth_principal p;
        const char *claims =
            arena_sprintf(a,
                          "{" AUD ",\"iss\":\"https://login.microsoftonline.com/%s/v2.0\"," TIMES
                          ",\"tid\":\"%s\",\"scp\":\"S1\"%s%s%s}",
                          row->tid, row->tid, row->idp ? ",\"idp\":\"" : "",
                          row->idp ? row->idp : "", row->idp ? "\"" : "");

        assert_int_equal(verify(a, bearer(a, HDR, claims, SIGN_JWKS), &p, NULL), 0);
        if (p.personal != row->personal)
            fail_msg("tid %s idp %s: personal %d", row->tid, row->idp ? row->idp : "-", p.personal);
        arena_free(a);
    }
}

/* ---- minting ---- */

static const struct json_value *payload_of(struct arena *a, const char *tok)
{
    const char *d1 = strchr(tok, '.');
    const char *d2 = strchr(d1 + 1, '.');
    unsigned char *raw;
    size_t n;
    struct json_value *v = NULL;

    assert_int_equal(str_base64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1), &raw, &n), 0);
    assert_int_equal(json_parse(a, (const char *)raw, n, CMP_EBADBODY, &v, NULL), 0);
    return v;
}

static const char *claim(const struct json_value *pl, const char *name)
{
    const struct json_value *v = json_get(pl, name);

    return v && v->type == JSON_STRING ? v->u.str.p : NULL;
}

struct mint_row {
    struct auth_mint m;
    const char *ver;
    const char *iss;
    const char *app_claim;
    bool app_only;
    size_t roles;
    size_t scopes;
};

static const struct mint_row mint_rows[] = {
    {{TID, "DeviceManagementServiceConfig.Read.All, X.Y", NULL, false, 0, NULL, NULL, 1},
     "1.0",
     ISS_V1,
     "appid",
     true,
     2,
     0},
    {{TID_UPPER, "R1", NULL, false, 600, NULL, "my-app", 2}, "2.0", ISS_V2, "azp", true, 1, 0},
    {{TID, NULL, "S1 S2", false, 0, NULL, NULL, 0}, "1.0", ISS_V1, "appid", false, 0, 2},
    {{TID, NULL, "S1", false, 0, NULL, NULL, 2}, "2.0", ISS_V2, "azp", false, 0, 1},
    {{NULL, NULL, "S1", true, 0, NULL, NULL, 2},
     "2.0",
     "https://login.microsoftonline.com/" AUTH_MSA_TENANT "/v2.0",
     "azp",
     false,
     0,
     1},
    {{NULL, NULL, "S1", true, 0, NULL, NULL, 1},
     "1.0",
     "https://sts.windows.net/" AUTH_MSA_TENANT "/",
     "appid",
     false,
     0,
     1},
};

static void test_jwt_mint_round_trips(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof mint_rows / sizeof mint_rows[0]; i++) {
        const struct mint_row *row = &mint_rows[i];
        struct arena *a = arena_new(0);
        struct auth_principal p;
        struct cmp_error err = {0};
        const struct json_value *pl;
        char *tok = NULL;

        assert_int_equal(auth_jwt_mint(fx.keys, NULL, &row->m, NOW, a, &tok, &err), 0);
        assert_int_equal(verify(a, arena_sprintf(a, "Bearer %s", tok), &p, &err), 0);
        pl = payload_of(a, tok);
        assert_string_equal(claim(pl, "ver"), row->ver);
        assert_string_equal(claim(pl, "iss"), row->iss);
        assert_string_equal(claim(pl, "aud"), "https://graph.microsoft.com");
        assert_non_null(claim(pl, row->app_claim));
        assert_non_null(claim(pl, "uti"));
        assert_non_null(claim(pl, "sub"));
        assert_string_equal(claim(pl, "idtyp"), row->app_only ? "app" : "user");
        assert_int_equal(p.app_only, row->app_only);
        assert_int_equal(p.personal, row->m.personal);
        assert_int_equal(p.role_count, row->roles);
        assert_int_equal(p.scope_count, row->scopes);
        assert_int_equal(p.expires, NOW + (row->m.expires_in ? row->m.expires_in : 3600));
        assert_int_equal(strlen(p.object_id), 36);
        assert_string_equal(p.tenant, row->m.personal ? AUTH_MSA_TENANT : TID);
        if (row->m.personal)
            assert_string_equal(claim(pl, "idp"), "live.com");
        if (row->roles == 2) {
            assert_string_equal(p.roles[0], "DeviceManagementServiceConfig.Read.All");
            assert_string_equal(p.roles[1], "X.Y");
        }
        if (row->m.app_id)
            assert_string_equal(p.app_id, row->m.app_id);
        arena_free(a);
    }
}

static void test_jwt_mint_header_names_local_kid(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1"};
    char *tok = NULL;
    unsigned char *raw;
    size_t n;
    const char *want;

    (void)state;
    assert_int_equal(auth_jwt_mint(fx.keys, &auth_cloud_global, &m, NOW, a, &tok, NULL), 0);
    assert_int_equal(str_base64url_decode(a, tok, strcspn(tok, "."), &raw, &n), 0);
    want = arena_sprintf(a, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                         auth_keys_local_kid(fx.keys));
    assert_string_equal((const char *)raw, want);
    arena_free(a);
}

static void test_jwt_minted_token_expires(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1", .expires_in = 60};
    struct auth_principal p;
    struct cmp_error err = {0};
    char *tok = NULL;

    (void)state;
    assert_int_equal(auth_jwt_mint(fx.keys, NULL, &m, NOW, a, &tok, NULL), 0);
    tok = arena_sprintf(a, "Bearer %s", tok);
    assert_int_equal(auth_jwt_verify(fx.keys, NULL, tok, strlen(tok), NOW + 60 + 299, a, &p, NULL),
                     0);
    assert_int_equal(auth_jwt_verify(fx.keys, NULL, tok, strlen(tok), NOW + 60 + 300, a, &p, &err),
                     CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_LIFETIME);
    arena_free(a);
}

static void test_jwt_mint_audience_override_is_checked(void **state)
{
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1", .audience = "api://elsewhere"};
    struct auth_principal p;
    struct cmp_error err = {0};
    char *tok = NULL;

    (void)state;
    assert_int_equal(auth_jwt_mint(fx.keys, NULL, &m, NOW, a, &tok, NULL), 0);
    assert_int_equal(verify(a, arena_sprintf(a, "Bearer %s", tok), &p, &err), CMP_EUNAUTHENTICATED);
    assert_string_equal(err.msg, MSG_AUDIENCE);
    arena_free(a);
}

struct mint_error_row {
    const char *name;
    struct auth_mint m;
};

static const struct mint_error_row mint_error_rows[] = {
    {"no tenant", {NULL, "R1", NULL, false, 0, NULL, NULL, 1}},
    {"tenant not a guid", {"contoso.com", "R1", NULL, false, 0, NULL, NULL, 1}},
    {"version 3", {TID, "R1", NULL, false, 0, NULL, NULL, 3}},
    {"personal without scopes", {NULL, NULL, NULL, true, 0, NULL, NULL, 1}},
    {"personal with roles", {NULL, "R1", "S1", true, 0, NULL, NULL, 1}},
};

static void test_jwt_mint_refuses_bad_requests(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof mint_error_rows / sizeof mint_error_rows[0]; i++) {
        struct arena *a = arena_new(0);
        struct cmp_error err = {0};
        char *tok = NULL;
        int rc = auth_jwt_mint(fx.keys, NULL, &mint_error_rows[i].m, NOW, a, &tok, &err);

        if (rc != CMP_EBADREQUEST || tok || !err.msg[0])
            fail_msg("row \"%s\": rc %d", mint_error_rows[i].name, rc);
        arena_free(a);
    }
}

/* ---- clouds ---- */

struct cloud_row {
    const char *name;
    const char *graph_root;
    const char *v2_issuer;
    const char *v1_issuer;
};

static const struct cloud_row cloud_rows[] = {
    {"global", "https://graph.microsoft.com", "https://login.microsoftonline.com",
     "https://sts.windows.net"},
    {"usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us",
     "https://sts.windows.net"},
    {"usgov-dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us",
     "https://sts.windows.net"},
    {"china", "https://microsoftgraph.chinacloudapi.cn", "https://login.partner.microsoftonline.cn",
     "https://sts.chinacloudapi.cn"},
};

static void test_jwt_clouds_accept_their_own_tokens_only(void **state)
{
    size_t i;

    (void)state;
    assert_null(auth_cloud_find("mars"));
    assert_ptr_equal(auth_cloud_find("global"), &auth_cloud_global);
    for (i = 0; i < sizeof cloud_rows / sizeof cloud_rows[0]; i++) {
        const struct cloud_row *row = &cloud_rows[i];
        const struct auth_cloud *c = auth_cloud_find(row->name);
        struct arena *a = arena_new(0);
        struct auth_principal p;
        struct cmp_error err = {0};
        const char *v1 = arena_sprintf(
            a, "{\"aud\":\"%s\",\"iss\":\"%s/%s/\"," TIMES "," TENANT ",\"roles\":[\"R\"]}",
            row->graph_root, row->v1_issuer, TID);
        const char *v2 = arena_sprintf(
            a, "{\"aud\":\"%s\",\"iss\":\"%s/%s/v2.0\"," TIMES "," TENANT ",\"roles\":[\"R\"]}",
            AUTH_GRAPH_APP_ID, row->v2_issuer, TID);
        const char *t1 = bearer(a, HDR, v1, SIGN_JWKS);
        const char *t2 = bearer(a, HDR, v2, SIGN_JWKS);
        char *minted = NULL;
        struct auth_mint m = {.tenant = TID, .roles = "R1", .version = 2};

        assert_non_null(c);
        assert_string_equal(c->graph_root, row->graph_root);
        assert_int_equal(auth_jwt_verify(fx.keys, c, t1, strlen(t1), NOW, a, &p, &err), 0);
        assert_int_equal(auth_jwt_verify(fx.keys, c, t2, strlen(t2), NOW, a, &p, &err), 0);
        assert_int_equal(auth_jwt_mint(fx.keys, c, &m, NOW, a, &minted, NULL), 0);
        minted = arena_sprintf(a, "Bearer %s", minted);
        assert_int_equal(auth_jwt_verify(fx.keys, c, minted, strlen(minted), NOW, a, &p, &err), 0);
        if (c != &auth_cloud_global) {
            assert_int_equal(verify(a, t1, &p, &err), CMP_EUNAUTHENTICATED);
            assert_string_equal(err.msg, MSG_AUDIENCE);
        }
        arena_free(a);
    }
}

/* ---- fuzz entry ---- */

static void test_jwt_fuzz_entry_survives_odd_input(void **state)
{
    static const char *const inputs[] = {"", ".", "..", "...", "a.b.c", "e30.e30.", "\0\0.\0"};
    struct arena *a = arena_new(0);
    struct auth_mint m = {.tenant = TID, .roles = "R1"};
    char *tok = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        assert_int_equal(auth_jwt_fuzz((const unsigned char *)inputs[i], strlen(inputs[i])), 0);
    assert_int_equal(auth_jwt_fuzz((const unsigned char *)"\0\0.\0", 5), 0);
    assert_int_equal(auth_jwt_mint(fx.keys, NULL, &m, NOW, a, &tok, NULL), 0);
    assert_int_equal(auth_jwt_fuzz((const unsigned char *)tok, strlen(tok)), 0);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_token_table),
        cmocka_unit_test(test_jwt_refuses_missing_header),
        cmocka_unit_test(test_jwt_refuses_oversized_token),
        cmocka_unit_test(test_jwt_accepts_scheme_in_any_case),
        cmocka_unit_test(test_jwt_extracts_app_principal),
        cmocka_unit_test(test_jwt_not_before_defaults_to_zero),
        cmocka_unit_test(test_jwt_check_lifetime_window),
        cmocka_unit_test(test_jwt_extracts_delegated_principal),
        cmocka_unit_test(test_jwt_tells_app_only_from_delegated),
        cmocka_unit_test(test_jwt_detects_personal_accounts),
        cmocka_unit_test(test_jwt_mint_round_trips),
        cmocka_unit_test(test_jwt_mint_header_names_local_kid),
        cmocka_unit_test(test_jwt_minted_token_expires),
        cmocka_unit_test(test_jwt_mint_audience_override_is_checked),
        cmocka_unit_test(test_jwt_mint_refuses_bad_requests),
        cmocka_unit_test(test_jwt_clouds_accept_their_own_tokens_only),
        cmocka_unit_test(test_jwt_fuzz_entry_survives_odd_input),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
