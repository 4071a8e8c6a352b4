/*
 * tests/unit/test_http_tls.c - the local CA, server certificate and SSL_CTX (http/tls.c).
 *
 * Everything is generated inside a mkdtemp(3) directory; handshakes run in memory (BIO pairs).
 */
#include <ftw.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "http/tls.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

struct fixture {
    char dir[64];
    char data[128]; /* the data directory, not created yet */
    char tls[160];  /* data/tls */
    char *cert;
    char *key;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-tls-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    snprintf(f->tls, sizeof f->tls, "%s/tls", f->data);
    *state = f;
    return 0;
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
    free(f->cert);
    free(f->key);
    free(f);
    return 0;
}

static void ensure(struct fixture *f)
{
    struct cmp_error err = {0};

    free(f->cert);
    free(f->key);
    f->cert = NULL;
    f->key = NULL;
    if (tls_ensure_local(f->data, &f->cert, &f->key, &err))
        fail_msg("tls_ensure_local: %s", err.msg);
}

static const char *file_in(const struct fixture *f, const char *name)
{
    static char path[256];

    snprintf(path, sizeof path, "%s/%s", f->tls, name);
    return path;
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static X509 *load_cert(const char *path)
{
    FILE *fp = fopen(path, "r");
    X509 *x;

    assert_non_null(fp);
    x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *load_key(const char *path)
{
    FILE *fp = fopen(path, "r");
    EVP_PKEY *k;

    assert_non_null(fp);
    k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

static char *slurp(const char *path)
{
    static char buf[2][8192];
    static int which;
    FILE *fp = fopen(path, "r");
    size_t n;

    assert_non_null(fp);
    which ^= 1;
    n = fread(buf[which], 1, sizeof buf[which] - 1, fp);
    fclose(fp);
    buf[which][n] = '\0';
    return buf[which];
}

static char *cn_of(const X509_NAME *name, char *out, int n)
{
    assert_true(X509_NAME_get_text_by_NID(name, NID_commonName, out, n) > 0);
    return out;
}

/* Days from now until `t`. */
static int days_left(const ASN1_TIME *t)
{
    int days = 0;
    int secs = 0;

    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
    return days;
}

/* ---- files ---- */

static void test_tls_creates_files_with_private_modes(void **state)
{
    struct fixture *f = *state;

    ensure(f);
    assert_string_equal(f->cert, file_in(f, "cert.pem"));
    assert_string_equal(f->key, file_in(f, "key.pem"));
    assert_int_equal(mode_of(f->tls), 0700);
    assert_int_equal(mode_of(file_in(f, "ca-key.pem")), 0600);
    assert_int_equal(mode_of(file_in(f, "key.pem")), 0600);
    assert_int_equal(mode_of(file_in(f, "ca.pem")) & 077, 044);
    assert_int_equal(access(file_in(f, "cert.pem"), R_OK), 0);
}

static void test_tls_ca_is_a_p256_signing_authority(void **state)
{
    struct fixture *f = *state;
    X509 *ca;
    char cn[64];
    char group[32];
    size_t glen = 0;
    int crit = -1;
    BASIC_CONSTRAINTS *bc;

    ensure(f);
    ca = load_cert(file_in(f, "ca.pem"));
    assert_string_equal(cn_of(X509_get_subject_name(ca), cn, sizeof cn), "cmpd local CA");
    assert_int_equal(X509_check_ca(ca), 1);
    bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
    assert_non_null(bc);
    assert_true(bc->ca);
    assert_int_equal(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    assert_int_equal(EVP_PKEY_get_group_name(X509_get0_pubkey(ca), group, sizeof group, &glen), 1);
    assert_string_equal(group, "prime256v1");
    assert_in_range(days_left(X509_get0_notAfter(ca)), 3640, 3650);
    X509_free(ca);
}

static void test_tls_server_cert_names_localhost(void **state)
{
    struct fixture *f = *state;
    X509 *leaf;
    char cn[64];

    ensure(f);
    leaf = load_cert(f->cert);
    assert_string_equal(cn_of(X509_get_subject_name(leaf), cn, sizeof cn), "localhost");
    assert_int_equal(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "::1", 0), 1);
    assert_int_equal(X509_check_host(leaf, "example.com", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(leaf, "10.0.0.1", 0), 0);
    assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    assert_int_equal(X509_check_ca(leaf), 0);
    assert_in_range(days_left(X509_get0_notAfter(leaf)), 820, 825);
    X509_free(leaf);
}

static void test_tls_server_cert_chains_to_ca(void **state)
{
    struct fixture *f = *state;
    X509 *ca;
    X509 *leaf;
    X509 *second;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    FILE *fp;

    ensure(f);
    ca = load_cert(file_in(f, "ca.pem"));
    fp = fopen(f->cert, "r");
    assert_non_null(fp);
    leaf = PEM_read_X509(fp, NULL, NULL, NULL);
    second = PEM_read_X509(fp, NULL, NULL, NULL); /* cert.pem: leaf, then the CA */
    fclose(fp);
    assert_non_null(leaf);
    assert_non_null(second);
    assert_int_equal(X509_cmp(second, ca), 0);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    if (X509_verify_cert(ctx) != 1)
        fail_msg("verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(ca);
    X509_free(leaf);
    X509_free(second);
}

static void test_tls_reuses_files_on_second_start(void **state)
{
    struct fixture *f = *state;
    char ca[8192];
    char cert[8192];
    char key[8192];

    ensure(f);
    snprintf(ca, sizeof ca, "%s", slurp(file_in(f, "ca.pem")));
    snprintf(cert, sizeof cert, "%s", slurp(f->cert));
    snprintf(key, sizeof key, "%s", slurp(f->key));
    ensure(f);
    assert_string_equal(ca, slurp(file_in(f, "ca.pem")));
    assert_string_equal(cert, slurp(f->cert));
    assert_string_equal(key, slurp(f->key));
}

/* Replace cert.pem with a certificate for `key` valid `days`, signed by `signer`. */
static void plant_leaf(struct fixture *f, EVP_PKEY *key, int days, EVP_PKEY *signer)
{
    X509 *ca = load_cert(file_in(f, "ca.pem"));
    X509 *x = X509_new();
    FILE *fp;

    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 99);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(ca));
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    fp = fopen(f->cert, "w");
    assert_non_null(fp);
    PEM_write_X509(fp, x);
    fclose(fp);
    X509_free(x);
    X509_free(ca);
}

static void test_tls_renews_server_cert_near_expiry(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *ca_key;
    EVP_PKEY *key;
    X509 *leaf;
    char key_pem[8192];

    ensure(f);
    ca_key = load_key(file_in(f, "ca-key.pem"));
    key = load_key(f->key);
    snprintf(key_pem, sizeof key_pem, "%s", slurp(f->key));
    plant_leaf(f, key, 29, ca_key);
    ensure(f);
    leaf = load_cert(f->cert);
    assert_in_range(days_left(X509_get0_notAfter(leaf)), 820, 825);
    assert_int_equal(X509_check_private_key(leaf, key), 1); /* same key, new certificate */
    assert_string_equal(key_pem, slurp(f->key));
    X509_free(leaf);
    plant_leaf(f, key, 31, ca_key); /* outside the window: kept */
    ensure(f);
    leaf = load_cert(f->cert);
    assert_in_range(days_left(X509_get0_notAfter(leaf)), 30, 31);
    X509_free(leaf);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
}

static void test_tls_reissues_cert_not_signed_by_ca(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *stranger = EVP_EC_gen("P-256");
    EVP_PKEY *key;
    X509 *leaf;
    X509 *ca;

    ensure(f);
    key = load_key(f->key);
    plant_leaf(f, key, 400, stranger);
    ensure(f);
    leaf = load_cert(f->cert);
    ca = load_cert(file_in(f, "ca.pem"));
    assert_int_equal(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
    X509_free(ca);
    X509_free(leaf);
    unlink(f->key); /* a lost key is replaced, and the certificate with it */
    ensure(f);
    assert_int_equal(mode_of(f->key), 0600);
    EVP_PKEY_free(key);
    key = load_key(f->key);
    leaf = load_cert(f->cert);
    assert_int_equal(X509_check_private_key(leaf, key), 1);
    X509_free(leaf);
    EVP_PKEY_free(key);
    EVP_PKEY_free(stranger);
}

static void test_tls_race_on_first_start_converges(void **state)
{
    struct fixture *f = *state;
    pid_t pids[4];
    char ca[8192];
    int i;

    for (i = 0; i < 4; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char *c = NULL;
            char *k = NULL;
            _exit(tls_ensure_local(f->data, &c, &k, NULL) ? 1 : 0);
        }
    }
    for (i = 0; i < 4; i++) {
        int status = -1;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_int_equal(status, 0);
    }
    snprintf(ca, sizeof ca, "%s", slurp(file_in(f, "ca.pem")));
    ensure(f);
    assert_string_equal(ca, slurp(file_in(f, "ca.pem")));
    /* no temporary directory is left behind */
    {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s | grep -v '^tls$')\"", f->data);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_tls_fills_empty_directory_made_beforehand(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(mkdir(f->data, 0755), 0);
    assert_int_equal(mkdir(f->tls, 0755), 0);
    ensure(f);
    assert_int_equal(mode_of(f->tls), 0700);
    assert_int_equal(mode_of(file_in(f, "ca-key.pem")), 0600);
    assert_int_equal(access(file_in(f, "ca.pem"), R_OK), 0);
}

static void test_tls_refuses_unusable_ca(void **state)
{
    struct fixture *f = *state;
    struct cmp_error err = {0};
    char *c = NULL;
    char *k = NULL;
    FILE *fp;

    ensure(f);
    fp = fopen(file_in(f, "ca-key.pem"), "w");
    assert_non_null(fp);
    fputs("garbage\n", fp);
    fclose(fp);
    assert_int_equal(tls_ensure_local(f->data, &c, &k, &err), CMP_EIO);
    assert_null(c);
    assert_non_null(strstr(err.msg, "ca-key.pem"));
}

/* ---- the server context ---- */

/* Handshake a client offering `alpn` with `sctx` in memory; the protocol chosen, or "". */
static const char *handshake(SSL_CTX *sctx, const char *ca_path, const unsigned char *alpn,
                             unsigned alpn_len)
{
    static char chosen[32];
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c;
    SSL *s = SSL_new(sctx);
    BIO *cb = NULL;
    BIO *sb = NULL;
    const unsigned char *sel = NULL;
    unsigned sel_len = 0;
    int i;
    int done = 0;

    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_load_verify_locations(cctx, ca_path, NULL), 1);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    c = SSL_new(cctx);
    assert_int_equal(SSL_set1_host(c, "localhost"), 1);
    assert_int_equal(SSL_set_alpn_protos(c, alpn, alpn_len), 0);
    assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    for (i = 0; i < 100 && done != 3; i++) {
        if (SSL_do_handshake(c) == 1)
            done |= 1;
        if (SSL_do_handshake(s) == 1)
            done |= 2;
    }
    if (done != 3)
        fail_msg("handshake failed: %s", ERR_reason_error_string(ERR_get_error()));
    assert_int_equal(SSL_get_verify_result(c), X509_V_OK);
    assert_true(SSL_version(c) >= TLS1_2_VERSION);
    SSL_get0_alpn_selected(c, &sel, &sel_len);
    snprintf(chosen, sizeof chosen, "%.*s", (int)sel_len, sel ? (const char *)sel : "");
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    return chosen;
}

static void test_tls_server_ctx_handshakes_with_alpn(void **state)
{
    struct fixture *f = *state;
    SSL_CTX *ctx;
    struct cmp_error err = {0};

    ensure(f);
    ctx = tls_server_ctx(f->cert, f->key, &err);
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    assert_string_equal(
        handshake(ctx, file_in(f, "ca.pem"), (const unsigned char *)"\x08http/1.1\x02h2", 12),
        "h2");
    assert_string_equal(
        handshake(ctx, file_in(f, "ca.pem"), (const unsigned char *)"\x08http/1.1", 9), "http/1.1");
    assert_string_equal(handshake(ctx, file_in(f, "ca.pem"), (const unsigned char *)"\x03spd", 4),
                        "");
    SSL_CTX_free(ctx);
}

static void test_tls_server_ctx_refuses_mismatched_key(void **state)
{
    struct fixture *f = *state;
    struct cmp_error err = {0};

    ensure(f);
    assert_null(tls_server_ctx(f->cert, file_in(f, "ca-key.pem"), &err));
    assert_int_equal(err.code, CMP_EIO);
    cmp_error_clear(&err);
    assert_null(tls_server_ctx(file_in(f, "missing.pem"), f->key, &err));
    assert_int_equal(err.code, CMP_EIO);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tls_creates_files_with_private_modes),
        T(test_tls_ca_is_a_p256_signing_authority),
        T(test_tls_server_cert_names_localhost),
        T(test_tls_server_cert_chains_to_ca),
        T(test_tls_reuses_files_on_second_start),
        T(test_tls_renews_server_cert_near_expiry),
        T(test_tls_reissues_cert_not_signed_by_ca),
        T(test_tls_race_on_first_start_converges),
        T(test_tls_fills_empty_directory_made_beforehand),
        T(test_tls_refuses_unusable_ca),
        T(test_tls_server_ctx_handshakes_with_alpn),
        T(test_tls_server_ctx_refuses_mismatched_key),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
