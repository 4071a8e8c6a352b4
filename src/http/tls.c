/*
 * http/tls.c - the local CA, the localhost server certificate it signs, and the server SSL_CTX.
 *
 * First start builds the whole set (ECDSA P-256 keys; CA "cmpd local CA", 10 years; server
 * certificate for localhost, 127.0.0.1 and ::1, 825 days) in a fresh mkdtemp(3) directory beside
 * DIR/tls and renames that directory into place (replacing an empty DIR/tls made beforehand):
 * nobody ever sees a partial set, and of two processes racing on first start the loser throws its
 * own away and uses the winner's.  Later starts reuse the files; a server certificate that is
 * missing, does not match its key, is not signed by the CA or expires within 30 days is re-issued
 * with the same key (a lost key.pem is replaced), writing a temporary file and renaming it over
 * the old one.  Files are created with O_EXCL, keys with mode 0600; the directory is 0700.  The
 * server context offers TLS 1.2+ and ALPN h2 / http/1.1.  OpenSSL's error text goes to the log.
 */
#include "http/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/file.h"
#include "core/log.h"
#include "core/uuid.h"

#define TLS_CA_DAYS 3650
#define TLS_LEAF_DAYS 825
#define TLS_RENEW_DAYS 30
#define TLS_CA_NAME "cmpd local CA"
#define TLS_LEAF_NAME "localhost"
#define TLS_LEAF_SAN "DNS:localhost,IP:127.0.0.1,IP:::1"

/* The four files of a TLS directory. */
struct tls_paths {
    char dir[PATH_MAX];
    char ca[PATH_MAX];
    char ca_key[PATH_MAX];
    char cert[PATH_MAX];
    char key[PATH_MAX];
};

static int paths_init(struct tls_paths *p, const char *dir)
{
    size_t n = strlen(dir);

    /* The longest name is "/ca-key.pem"; everything fits when the directory does. */
    if (n + sizeof "/ca-key.pem" > sizeof p->dir)
        return -1;
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    snprintf(p->ca, sizeof p->ca, "%s/ca.pem", dir);
    snprintf(p->ca_key, sizeof p->ca_key, "%s/ca-key.pem", dir);
    snprintf(p->cert, sizeof p->cert, "%s/cert.pem", dir);
    snprintf(p->key, sizeof p->key, "%s/key.pem", dir);
    return 0;
}

/* ---- files ---- */

/*
 * Replace `path` atomically with `n` bytes: a temporary file opened O_CREAT|O_EXCL with `mode`
 * (so a key is never readable by others, not even briefly), written, fsync'd, renamed.
 */
static int write_file(const char *path, const char *data, size_t n, mode_t mode,
                      struct cmp_error *err)
{
    return file_write_atomic(path, data, n, mode, true, NULL, err);
}

/* Write `cert` (then `chain`, if any) or the private key `key` as PEM to `path`. */
static int write_pem(const char *path, X509 *cert, X509 *chain, EVP_PKEY *key,
                     struct cmp_error *err)
{
    /* A secure-heap BIO for the key: its PEM text is wiped when freed. */
    BIO *bio = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
    char *data = NULL;
    long n = 0;
    int ok = bio != NULL;
    int rc;

    if (ok && cert)
        ok = PEM_write_bio_X509(bio, cert) == 1 && (!chain || PEM_write_bio_X509(bio, chain) == 1);
    if (ok && key)
        ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (ok)
        n = BIO_get_mem_data(bio, &data);
    if (!ok || n <= 0 || !data) {
        log_openssl("tls: PEM encoding");
        BIO_free(bio);
        return cmp_error_set(err, CMP_EIO, "cannot encode %s", path);
    }
    rc = write_file(path, data, (size_t)n, key ? 0600 : 0644, err);
    BIO_free(bio);
    return rc;
}

static X509 *read_cert(const char *path)
{
    BIO *bio = BIO_new_file(path, "r");
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

    BIO_free(bio);
    ERR_clear_error();
    return x;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* our key files are never encrypted; never prompt */
}

/* The private key in `path`, narrowing the file's mode to 0600 if it was wider. */
static EVP_PKEY *read_key(const char *path)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    struct stat st;

    BIO_free(bio);
    ERR_clear_error();
    if (k && stat(path, &st) == 0 && (st.st_mode & 077)) {
        log_warn("tls: %s was accessible to others; setting mode 0600", path);
        if (chmod(path, 0600))
            log_error("tls: cannot chmod %s: %s", path, strerror(errno));
    }
    return k;
}

/* ---- certificates ---- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return 0;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int add_exts(X509 *x, X509 *issuer, bool ca)
{
    if (ca)
        return add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
               add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
               add_ext(x, x, NID_subject_key_identifier, "hash");
    return add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
           add_ext(x, issuer, NID_ext_key_usage, "serverAuth") &&
           add_ext(x, issuer, NID_subject_alt_name, TLS_LEAF_SAN) &&
           add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
           add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
}

/* A random positive 127-bit serial number. */
static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

    BN_free(bn);
    return ok;
}

/*
 * A certificate for `key` named `cn`, valid for `days`, signed by `issuer`/`issuer_key` (the CA
 * signs itself when `ca`).  A server certificate never outlives its CA.
 */
static X509 *make_cert(EVP_PKEY *key, const char *cn, int days, bool ca, X509 *issuer,
                       EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    int ok;

    ok = name && X509_set_version(x, X509_VERSION_3) && set_serial(x) &&
         X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
         X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) && X509_set_pubkey(x, key) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)) &&
         add_exts(x, ca ? x : issuer, ca);
    if (ok && !ca && ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(issuer)) > 0)
        ok = X509_set1_notAfter(x, X509_get0_notAfter(issuer));
    if (ok)
        ok = X509_sign(x, ca ? key : issuer_key, EVP_sha256()) > 0;
    if (!ok) {
        log_openssl(ca ? "creating the CA certificate" : "creating the server certificate");
        X509_free(x);
        return NULL;
    }
    return x;
}

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");

    if (!k)
        log_openssl("tls: P-256 key generation");
    return k;
}

/* ---- the directory ---- */

static void remove_set(const struct tls_paths *p)
{
    unlink(p->ca);
    unlink(p->ca_key);
    unlink(p->cert);
    unlink(p->key);
    rmdir(p->dir);
}

/* Write a complete new set into `p` (an empty directory of ours). */
static int write_new_set(const struct tls_paths *p, struct cmp_error *err)
{
    EVP_PKEY *ca_key = new_key();
    EVP_PKEY *key = new_key();
    X509 *ca = ca_key ? make_cert(ca_key, TLS_CA_NAME, TLS_CA_DAYS, true, NULL, NULL) : NULL;
    X509 *leaf = ca && key ? make_cert(key, TLS_LEAF_NAME, TLS_LEAF_DAYS, false, ca, ca_key) : NULL;
    int rc;

    if (!leaf)
        rc = cmp_error_set(err, CMP_EIO, "cannot create the local TLS certificates");
    else
        rc = write_pem(p->ca_key, NULL, NULL, ca_key, err);
    if (!rc)
        rc = write_pem(p->key, NULL, NULL, key, err);
    if (!rc)
        rc = write_pem(p->ca, ca, NULL, NULL, err);
    if (!rc)
        rc = write_pem(p->cert, leaf, ca, NULL, err);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Create `final` (DIR/tls) as a whole; if another process got there first, keep theirs. */
static int create_dir_set(const char *data_dir, const char *final, struct cmp_error *err)
{
    struct tls_paths tmp;
    char name[PATH_MAX];
    int rc;

    if ((size_t)snprintf(name, sizeof name, "%s/.tls-XXXXXX", data_dir) >= sizeof name - 16)
        return cmp_error_set(err, CMP_EIO, "path too long: %s", data_dir);
    if (!mkdtemp(name)) /* mode 0700 */
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", name, strerror(errno));
    paths_init(&tmp, name);
    rc = write_new_set(&tmp, err);
    if (!rc && rename(tmp.dir, final)) {
        if (errno != EEXIST && errno != ENOTEMPTY)
            rc = cmp_error_set(err, CMP_EIO, "cannot create %s: %s", final, strerror(errno));
    } else if (!rc) {
        log_info("tls: created a local CA and a certificate for localhost in %s", final);
        return 0;
    }
    remove_set(&tmp);
    return rc;
}

/* Is `leaf` usable: matching `key`, signed by `ca`, and valid beyond the renewal window? */
static bool leaf_ok(X509 *leaf, EVP_PKEY *key, X509 *ca)
{
    time_t limit = time(NULL) + (time_t)TLS_RENEW_DAYS * 86400;
    bool ok = leaf && key && X509_check_private_key(leaf, key) == 1 &&
              X509_verify(leaf, X509_get0_pubkey(ca)) == 1 &&
              X509_cmp_time(X509_get0_notAfter(leaf), &limit) > 0;

    ERR_clear_error();
    return ok;
}

/* Load the CA and make sure the server certificate is fit, re-issuing it if not. */
static int check_set(const struct tls_paths *p, struct cmp_error *err)
{
    X509 *ca = read_cert(p->ca);
    EVP_PKEY *ca_key = read_key(p->ca_key);
    X509 *leaf = read_cert(p->cert);
    EVP_PKEY *key = read_key(p->key);
    time_t limit = time(NULL) + (time_t)TLS_RENEW_DAYS * 86400;
    int rc = 0;

    if (!ca || !ca_key || X509_check_private_key(ca, ca_key) != 1) {
        ERR_clear_error();
        rc = cmp_error_set(err, CMP_EIO, "%s and %s do not hold the local CA", p->ca, p->ca_key);
        goto out;
    }
    if (X509_cmp_time(X509_get0_notAfter(ca), &limit) <= 0)
        log_warn("tls: the local CA %s expires within %d days; remove %s to create a new one",
                 p->ca, TLS_RENEW_DAYS, p->dir);
    if (leaf_ok(leaf, key, ca))
        goto out;
    log_info("tls: issuing a new server certificate in %s", p->cert);
    if (!key) {
        key = new_key();
        rc = key ? write_pem(p->key, NULL, NULL, key, err)
                 : cmp_error_set(err, CMP_EIO, "cannot generate a TLS key");
    }
    X509_free(leaf);
    leaf = rc ? NULL : make_cert(key, TLS_LEAF_NAME, TLS_LEAF_DAYS, false, ca, ca_key);
    if (!rc && !leaf)
        rc = cmp_error_set(err, CMP_EIO, "cannot create the server certificate");
    if (!rc)
        rc = write_pem(p->cert, leaf, ca, NULL, err);
out:
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    return rc;
}

static bool missing(const char *path)
{
    return access(path, F_OK) && errno == ENOENT;
}

/*
 * Make sure DIR/tls exists, mode 0700.  When it is missing, or is there without a CA (say an empty
 * directory made beforehand, which rename(2) replaces), a complete new set is moved into place.
 */
static int ensure_tls_dir(const char *data_dir, const struct tls_paths *p, struct cmp_error *err)
{
    struct stat st;
    int rc;

    if (mkdir(data_dir, 0700) && errno != EEXIST)
        return cmp_error_set(err, CMP_EIO, "cannot create %s: %s", data_dir, strerror(errno));
    if (stat(p->dir, &st) && errno != ENOENT)
        return cmp_error_set(err, CMP_EIO, "cannot stat %s: %s", p->dir, strerror(errno));
    if (missing(p->dir) || (missing(p->ca) && missing(p->ca_key))) {
        rc = create_dir_set(data_dir, p->dir, err);
        if (rc)
            return rc;
    }
    if (stat(p->dir, &st))
        return cmp_error_set(err, CMP_EIO, "cannot stat %s: %s", p->dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cmp_error_set(err, CMP_EIO, "%s is not a directory", p->dir);
    if ((st.st_mode & 077) && chmod(p->dir, 0700))
        return cmp_error_set(err, CMP_EIO, "cannot chmod %s: %s", p->dir, strerror(errno));
    return 0;
}

int tls_ensure_local(const char *data_dir, char **cert_path, char **key_path, struct cmp_error *err)
{
    struct tls_paths p;
    char dir[PATH_MAX];
    char *c;
    char *k;
    int rc;

    if ((size_t)snprintf(dir, sizeof dir, "%s/tls", data_dir) >= sizeof dir || paths_init(&p, dir))
        return cmp_error_set(err, CMP_EIO, "path too long: %s", data_dir);
    rc = ensure_tls_dir(data_dir, &p, err);
    if (!rc)
        rc = check_set(&p, err);
    if (rc)
        return rc;
    c = strdup(p.cert);
    k = strdup(p.key);
    if (!c || !k) {
        free(c);
        free(k);
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    *cert_path = c;
    *key_path = k;
    return 0;
}

/* ---- the server context ---- */

/* ALPN: HTTP/2 when the client offers it, else HTTP/1.1; no protocol in common: no ALPN. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = "\x02h2\x08http/1.1";
    unsigned char *sel = NULL;

    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_server_ctx(const char *cert_path, const char *key_path, struct cmp_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const char *what = "creating the TLS context";

    if (!ctx)
        goto fail;
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1)
        goto fail;
    what = "loading the certificate chain";
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1)
        goto fail;
    what = "loading the private key";
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1)
        goto fail;
    what = "matching the private key with the certificate";
    if (SSL_CTX_check_private_key(ctx) != 1)
        goto fail;
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    return ctx;
fail:
    log_openssl(what);
    SSL_CTX_free(ctx);
    cmp_error_set(err, CMP_EIO, "TLS: %s failed (%s, %s)", what, cert_path, key_path);
    return NULL;
}
