/*
 * tests/unit/test_auth_keys.c - the local signing key and JWKS loading (auth/keys.c).
 *
 * Every key is generated at test time inside a mkdtemp(3) directory; nothing private is committed.
 */
#include <fcntl.h>
#include <ftw.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/keys.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/str.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

/* ---- fixtures ---- */

struct fixture {
    char dir[64];   /* mkdtemp'd scratch directory */
    char data[128]; /* DIR/data: the data directory, not created yet */
    char jwks[128]; /* DIR/jwks.json */
    struct arena *a;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-keys-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    snprintf(f->jwks, sizeof f->jwks, "%s/jwks.json", f->dir);
    f->a = arena_new(0);
    *state = f;
    return f->a ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    arena_free(f->a);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static char *read_text(struct arena *a, const char *path)
{
    char buf[8192];
    FILE *fp = fopen(path, "r");
    size_t n;

    assert_non_null(fp);
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return arena_strndup(a, buf, n);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static const char *param_b64(struct arena *a, const EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char bin[1024];
    int n;

    assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    n = BN_bn2bin(bn, bin);
    BN_free(bn);
    return str_base64url_encode(a, bin, (size_t)n);
}

/* A JWKS entry `{"kty":"RSA","kid":KID,"n":..,"e":..}` for `k`. */
static const char *jwk_ne(struct arena *a, const EVP_PKEY *k, const char *kid)
{
    return arena_sprintf(
        a, "{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}", kid,
        param_b64(a, k, OSSL_PKEY_PARAM_RSA_N), param_b64(a, k, OSSL_PKEY_PARAM_RSA_E));
}

/* A self-signed certificate for `k`, as standard base64 DER (an x5c entry). */
static const char *x5c_of(struct arena *a, EVP_PKEY *k)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    X509 *x = X509_new();
    unsigned char *der = NULL;
    char *out;
    int n;
    int i;
    size_t o = 0;

    assert_non_null(x);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"jwks test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    n = i2d_X509(x, &der);
    assert_true(n > 0);
    out = arena_alloc(a, (size_t)n / 3 * 4 + 8);
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)der[i] << 16 | (i + 1 < n ? (unsigned)der[i + 1] << 8 : 0) |
                     (i + 2 < n ? der[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    OPENSSL_free(der);
    X509_free(x);
    return out;
}

static EVP_PKEY *rsa_key(unsigned bits)
{
    EVP_PKEY *k = EVP_RSA_gen(bits);

    assert_non_null(k);
    return k;
}

/* ---- the local key ---- */

static void test_keys_creates_signing_key_with_private_modes(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    struct cmp_error err = {0};
    char path[256];

    assert_int_equal(auth_keys_load(f->data, NULL, &k, &err), 0);
    assert_non_null(k);
    assert_int_equal(auth_keys_count(k), 1);
    assert_int_equal(strlen(auth_keys_local_kid(k)), 43); /* base64url of 32 bytes */
    snprintf(path, sizeof path, "%s/keys", f->data);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    assert_int_equal(mode_of(path), 0600);
    assert_non_null(strstr(read_text(f->a, path), "BEGIN PRIVATE KEY"));
    auth_keys_free(k);
}

static void test_keys_reuses_key_on_second_load(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k1 = NULL;
    struct auth_keys *k2 = NULL;
    char path[256];
    const char *before;

    assert_int_equal(auth_keys_load(f->data, NULL, &k1, NULL), 0);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    before = read_text(f->a, path);
    assert_int_equal(auth_keys_load(f->data, NULL, &k2, NULL), 0);
    assert_string_equal(auth_keys_local_kid(k1), auth_keys_local_kid(k2));
    assert_string_equal(before, read_text(f->a, path));
    auth_keys_free(k1);
    auth_keys_free(k2);
}

static void test_keys_kid_is_thumbprint_of_public_key(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    unsigned char md[32];
    unsigned int md_len = 0;
    const char *canon;
    EVP_PKEY *pkey;

    assert_int_equal(auth_keys_load(f->data, NULL, &k, NULL), 0);
    pkey = auth__keys_signing(k);
    canon = arena_sprintf(f->a, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
                          param_b64(f->a, pkey, OSSL_PKEY_PARAM_RSA_E),
                          param_b64(f->a, pkey, OSSL_PKEY_PARAM_RSA_N));
    assert_int_equal(EVP_Digest(canon, strlen(canon), md, &md_len, EVP_sha256(), NULL), 1);
    assert_string_equal(auth_keys_local_kid(k), str_base64url_encode(f->a, md, md_len));
    assert_ptr_equal(auth__keys_find(k, auth_keys_local_kid(k), NULL), pkey);
    auth_keys_free(k);
}

static void test_keys_narrows_wide_file_mode(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    char path[256];

    assert_int_equal(auth_keys_load(f->data, NULL, &k, NULL), 0);
    auth_keys_free(k);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    assert_int_equal(chmod(path, 0644), 0);
    snprintf(path, sizeof path, "%s/keys", f->data);
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(auth_keys_load(f->data, NULL, &k, NULL), 0);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    assert_int_equal(mode_of(path), 0600);
    auth_keys_free(k);
}

static void test_keys_rejects_corrupt_signing_key(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    struct cmp_error err = {0};
    char path[256];

    snprintf(path, sizeof path, "%s", f->data);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/keys", f->data);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    write_text(path, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
    assert_int_equal(auth_keys_load(f->data, NULL, &k, &err), CMP_EIO);
    assert_null(k);
    assert_non_null(strstr(err.msg, "signing.pem"));
}

/* Processes racing on first start all end up with the one key that won. */
static void test_keys_race_on_first_start_converges(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    char kids[4][64];
    int fds[4][2];
    pid_t pids[4];
    int i;

    for (i = 0; i < 4; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct auth_keys *ck = NULL;
            const char *kid = "";
            if (auth_keys_load(f->data, NULL, &ck, NULL) == 0)
                kid = auth_keys_local_kid(ck);
            if (write(fds[i][1], kid, strlen(kid) + 1) < 0)
                _exit(2);
            _exit(0);
        }
        close(fds[i][1]);
    }
    for (i = 0; i < 4; i++) {
        int status = 0;
        ssize_t n = read(fds[i][0], kids[i], sizeof kids[i] - 1);
        assert_true(n > 1);
        kids[i][n] = '\0';
        close(fds[i][0]);
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_int_equal(status, 0);
    }
    assert_int_equal(auth_keys_load(f->data, NULL, &k, NULL), 0);
    for (i = 0; i < 4; i++)
        assert_string_equal(kids[i], auth_keys_local_kid(k));
    auth_keys_free(k);
}

/* ---- JWKS ---- */

static void test_keys_loads_jwks_n_and_e(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    struct auth_keys *k = NULL;

    write_text(f->jwks, arena_sprintf(f->a, "{\"keys\":[%s]}", jwk_ne(f->a, g, "entra-1")));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    assert_int_equal(auth_keys_count(k), 2);
    assert_non_null(auth__keys_find(k, "entra-1", NULL));
    assert_int_equal(EVP_PKEY_eq(auth__keys_find(k, "entra-1", NULL), g), 1);
    assert_null(auth__keys_find(k, "entra-2", NULL));
    auth_keys_free(k);
    EVP_PKEY_free(g);
}

static void test_keys_loads_jwks_x5c_and_matches_x5t(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    struct auth_keys *k = NULL;
    const char *x5c = x5c_of(f->a, g);

    write_text(f->jwks,
               arena_sprintf(f->a,
                             "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"cert-kid\","
                             "\"x5t\":\"cert-x5t\",\"x5c\":[\"%s\"],\"issuer\":\"x\"}]}",
                             x5c));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    assert_int_equal(auth_keys_count(k), 2);
    assert_int_equal(EVP_PKEY_eq(auth__keys_find(k, "cert-kid", NULL), g), 1);
    assert_int_equal(EVP_PKEY_eq(auth__keys_find(k, NULL, "cert-x5t"), g), 1);
    assert_int_equal(EVP_PKEY_eq(auth__keys_find(k, "unknown", "cert-x5t"), g), 1);
    auth_keys_free(k);
    EVP_PKEY_free(g);
}

static void test_keys_accepts_matching_n_e_and_x5c(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    struct auth_keys *k = NULL;

    write_text(f->jwks, arena_sprintf(f->a,
                                      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"both\",\"n\":\"%s\","
                                      "\"e\":\"%s\",\"x5c\":[\"%s\"]}]}",
                                      param_b64(f->a, g, OSSL_PKEY_PARAM_RSA_N),
                                      param_b64(f->a, g, OSSL_PKEY_PARAM_RSA_E), x5c_of(f->a, g)));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    assert_int_equal(EVP_PKEY_eq(auth__keys_find(k, "both", NULL), g), 1);
    auth_keys_free(k);
    EVP_PKEY_free(g);
}

static void test_keys_skips_non_rsa_and_non_signature_keys(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    struct auth_keys *k = NULL;
    const char *ne = jwk_ne(f->a, g, "good");

    write_text(
        f->jwks,
        arena_sprintf(f->a,
                      "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
                      "{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"enc\",\"n\":\"AA\","
                      "\"e\":\"AQAB\"},"
                      "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"rs512\",\"n\":\"AA\"},"
                      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},%s]}",
                      ne));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    assert_int_equal(auth_keys_count(k), 2);
    assert_non_null(auth__keys_find(k, "good", NULL));
    assert_null(auth__keys_find(k, "enc", NULL));
    auth_keys_free(k);
    EVP_PKEY_free(g);
}

/* RFC 7638 3.1: the example key's thumbprint becomes the kid of a key given without one. */
static void test_keys_gives_rfc7638_thumbprint_to_key_without_kid(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    static const char n[] = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
                            "aPFFxuhDR1L6tSoc_BJECPeb"
                            "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_"
                            "RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368Q"
                            "QMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
                            "bFTWhAI4vMQFh6WeZu0fM4lFd"
                            "2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    write_text(f->jwks, arena_sprintf(
                            f->a, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}]}", n));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    assert_non_null(auth__keys_find(k, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", NULL));
    auth_keys_free(k);
}

static void test_keys_jwks_json_lists_public_keys(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    struct auth_keys *k = NULL;
    struct json_value *root = NULL;
    const struct json_value *keys;
    const struct json_value *first;
    char *json;

    write_text(f->jwks, arena_sprintf(f->a, "{\"keys\":[%s]}", jwk_ne(f->a, g, "entra-1")));
    assert_int_equal(auth_keys_load(f->data, f->jwks, &k, NULL), 0);
    json = auth_keys_jwks_json(k);
    assert_non_null(json);
    assert_int_equal(json_parse(f->a, json, strlen(json), CMP_EBADBODY, &root, NULL), 0);
    keys = json_get(root, "keys");
    assert_non_null(keys);
    assert_int_equal(keys->u.arr.n, 2);
    first = keys->u.arr.items[0];
    assert_string_equal(json_get(first, "kid")->u.str.p, auth_keys_local_kid(k));
    assert_string_equal(json_get(first, "kty")->u.str.p, "RSA");
    assert_string_equal(json_get(first, "e")->u.str.p, "AQAB");
    assert_null(json_get(first, "d")); /* never the private exponent */
    assert_string_equal(json_get(keys->u.arr.items[1], "kid")->u.str.p, "entra-1");
    assert_string_equal(json_get(keys->u.arr.items[1], "n")->u.str.p,
                        param_b64(f->a, g, OSSL_PKEY_PARAM_RSA_N));
    free(json);
    auth_keys_free(k);
    EVP_PKEY_free(g);
}

/* Each row is a JWKS file auth_keys_load must refuse; "%N"/"%E"/"%X" are a good key's parts. */
struct bad_jwks {
    const char *name;
    const char *text; /* NULL: the file is missing */
};

static const struct bad_jwks bad_jwks_rows[] = {
    {"missing file", NULL},
    {"not json", "keys: []"},
    {"trailing data", "{\"keys\":[]} x"},
    {"no keys member", "{\"key\":[]}"},
    {"keys not an array", "{\"keys\":{}}"},
    {"entry not an object", "{\"keys\":[1]}"},
    {"rsa without material", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\"}]}"},
    {"n without e", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"%N\"}]}"},
    {"n not base64url", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"%N!\",\"e\":\"%E\"}]}"},
    {"n a number", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":5,\"e\":\"%E\"}]}"},
    {"even exponent", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"%N\",\"e\":\"AQAA\"}]}"},
    {"short modulus", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"},
    {"kid a number", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":7,\"n\":\"%N\",\"e\":\"%E\"}]}"},
    {"x5c not a certificate", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"x5c\":[\"AAAA\"]}]}"},
    {"x5c empty", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"x5c\":[]}]}"},
    {"x5c of another key", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"%N\",\"e\":\"%E\","
                           "\"x5c\":[\"%X\"]}]}"},
    {"1024-bit key", "%S"},
};

/* Expand the %N, %E (good key), %X (another key's certificate), %S (a 1024-bit key) markers. */
static const char *expand(struct arena *a, const char *t, EVP_PKEY *g, EVP_PKEY *other,
                          EVP_PKEY *small)
{
    const char *n = param_b64(a, g, OSSL_PKEY_PARAM_RSA_N);
    const char *e = param_b64(a, g, OSSL_PKEY_PARAM_RSA_E);
    char *out = arena_strdup(a, "");

    if (strcmp(t, "%S") == 0)
        return arena_sprintf(a, "{\"keys\":[%s]}", jwk_ne(a, small, "small"));
    for (; *t; t++) {
        if (t[0] == '%' && t[1] == 'N')
            out = arena_sprintf(a, "%s%s", out, n);
        else if (t[0] == '%' && t[1] == 'E')
            out = arena_sprintf(a, "%s%s", out, e);
        else if (t[0] == '%' && t[1] == 'X')
            out = arena_sprintf(a, "%s%s", out, x5c_of(a, other));
        else {
            out = arena_sprintf(a, "%s%c", out, *t);
            continue;
        }
        t++;
    }
    return out;
}

static void test_keys_rejects_bad_jwks(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *g = rsa_key(2048);
    EVP_PKEY *other = rsa_key(2048);
    EVP_PKEY *small = rsa_key(1024);
    size_t i;

    for (i = 0; i < sizeof bad_jwks_rows / sizeof bad_jwks_rows[0]; i++) {
        const struct bad_jwks *row = &bad_jwks_rows[i];
        struct auth_keys *k = NULL;
        struct cmp_error err = {0};
        int rc;

        unlink(f->jwks);
        if (row->text)
            write_text(f->jwks, expand(f->a, row->text, g, other, small));
        rc = auth_keys_load(f->data, f->jwks, &k, &err);
        if (rc != CMP_EIO || k || !strstr(err.msg, "jwks.json"))
            fail_msg("row \"%s\": rc %d, message \"%s\"", row->name, rc, err.msg);
    }
    EVP_PKEY_free(g);
    EVP_PKEY_free(other);
    EVP_PKEY_free(small);
}

static void test_keys_ephemeral_set_has_given_kid(void **state)
{
    struct auth_keys *k = NULL;

    (void)state;
    assert_int_equal(auth__keys_ephemeral("fixed", &k, NULL), 0);
    assert_string_equal(auth_keys_local_kid(k), "fixed");
    assert_int_equal(auth_keys_count(k), 1);
    assert_int_equal(EVP_PKEY_get_bits(auth__keys_signing(k)), 2048);
    auth_keys_free(k);
}

/* A generated PEM loads, gives the same kid every time, and matches the file layout's key. */
static void test_keys_pem_round_trip(void **state)
{
    struct fixture *f = *state;
    struct auth_keys *k1 = NULL;
    struct auth_keys *k2 = NULL;
    struct auth_keys *from_file = NULL;
    char *pem = NULL;
    size_t n = 0;
    char path[256];
    const char *text;

    assert_int_equal(auth_keys_new_pem(&pem, &n, NULL), 0);
    assert_int_equal(strlen(pem), n);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(auth_keys_load_pem(pem, n, NULL, &k1, NULL), 0);
    assert_int_equal(auth_keys_load_pem(pem, n, NULL, &k2, NULL), 0);
    assert_string_equal(auth_keys_local_kid(k1), auth_keys_local_kid(k2));
    assert_int_equal(EVP_PKEY_get_bits(auth__keys_signing(k1)), 2048);
    assert_int_equal(auth_keys_count(k1), 1);
    auth_keys_free_pem(pem, n);
    /* The PEM of the file layout loads to the same kid. */
    assert_int_equal(auth_keys_load(f->data, NULL, &from_file, NULL), 0);
    snprintf(path, sizeof path, "%s/keys/signing.pem", f->data);
    text = read_text(f->a, path);
    auth_keys_free(k2);
    k2 = NULL;
    assert_int_equal(auth_keys_load_pem(text, strlen(text), NULL, &k2, NULL), 0);
    assert_string_equal(auth_keys_local_kid(k2), auth_keys_local_kid(from_file));
    assert_string_not_equal(auth_keys_local_kid(k1), auth_keys_local_kid(k2));
    auth_keys_free(k1);
    auth_keys_free(k2);
    auth_keys_free(from_file);
}

/* A stored PEM that is not an RSA key of 2048 bits or more is refused, a JWKS file is added. */
static void test_keys_pem_rejects_bad_keys_and_adds_jwks(void **state)
{
    static const char *const bad[] = {
        "",
        "not a key",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    };
    struct fixture *f = *state;
    struct auth_keys *k = NULL;
    struct cmp_error err = {0};
    EVP_PKEY *small = EVP_RSA_gen(1024);
    BIO *bio;
    char *text = NULL;
    long len;
    char *jwks;
    size_t i;
    char *pem = NULL;
    size_t n = 0;

    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(auth_keys_load_pem(bad[i], strlen(bad[i]), NULL, &k, &err), CMP_EIO);
        assert_non_null(strstr(err.msg, "not an RSA private key"));
        cmp_error_clear(&err);
    }
    /* A well-formed RSA key that is too short. */
    assert_non_null(small);
    bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, small, NULL, NULL, 0, NULL, NULL), 1);
    len = BIO_get_mem_data(bio, &text);
    assert_int_equal(auth_keys_load_pem(text, (size_t)len, NULL, &k, &err), CMP_EIO);
    cmp_error_clear(&err);
    BIO_free(bio);
    EVP_PKEY_free(small);
    /* The local key plus the keys of a JWKS file. */
    assert_int_equal(auth_keys_new_pem(&pem, &n, NULL), 0);
    assert_int_equal(auth__keys_ephemeral("other", &k, NULL), 0);
    jwks = auth_keys_jwks_json(k);
    auth_keys_free(k);
    k = NULL;
    write_text(f->jwks, jwks);
    free(jwks);
    assert_int_equal(auth_keys_load_pem(pem, n, f->jwks, &k, NULL), 0);
    assert_int_equal(auth_keys_count(k), 2);
    assert_non_null(auth__keys_find(k, "other", NULL));
    auth_keys_free(k);
    auth_keys_free_pem(pem, n);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_keys_creates_signing_key_with_private_modes),
        T(test_keys_reuses_key_on_second_load),
        T(test_keys_kid_is_thumbprint_of_public_key),
        T(test_keys_narrows_wide_file_mode),
        T(test_keys_rejects_corrupt_signing_key),
        T(test_keys_race_on_first_start_converges),
        T(test_keys_loads_jwks_n_and_e),
        T(test_keys_loads_jwks_x5c_and_matches_x5t),
        T(test_keys_accepts_matching_n_e_and_x5c),
        T(test_keys_skips_non_rsa_and_non_signature_keys),
        T(test_keys_gives_rfc7638_thumbprint_to_key_without_kid),
        T(test_keys_jwks_json_lists_public_keys),
        T(test_keys_rejects_bad_jwks),
        T(test_keys_ephemeral_set_has_given_kid),
        T(test_keys_pem_round_trip),
        T(test_keys_pem_rejects_bad_keys_and_adds_jwks),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
