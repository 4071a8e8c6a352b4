/*
 * auth/keys.c - the local signing key and the verification keys of a JWKS file.
 *
 * The local key is DIR/keys/signing.pem (unencrypted PKCS#8 PEM, mode 0600, directory 0700).  It
 * is written to a temporary name opened O_CREAT|O_EXCL with mode 0600, fsync'd, then moved into
 * place without replacing anything (renameat2 RENAME_NOREPLACE, or link(2) on file systems that
 * lack it): it is never readable by others nor half-written, and of two processes racing on first
 * start the loser reads the winner's key.  JWKS files give RSA keys as `n`/`e` or as an `x5c`
 * certificate (both: they must agree); keys whose `kty` is not RSA, whose `use` is not "sig" or
 * whose `alg` is not RS256 are skipped; RSA keys under 2048 bits make the file invalid.  A key
 * without `kid` gets its thumbprint.  Every string lives in the set's arena.
 */
#include "auth/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/uuid.h"

#define KEYS_RSA_BITS 2048
#define KEYS_MAX_RSA_BITS 16384
#define KEYS_MAX_FILE (1024 * 1024) /* a JWKS or PEM file larger than this is refused */

struct auth_key {
    const char *kid; /* arena */
    const char *x5t; /* arena, or NULL */
    const char *n;   /* arena: base64url modulus, for the JWKS output */
    const char *e;   /* arena: base64url public exponent */
    EVP_PKEY *pkey;  /* owned; keys[0] holds the private half too */
};

struct auth_keys {
    struct arena *a;       /* owns every string */
    struct auth_key *keys; /* owned heap array; keys[0] is the local key */
    size_t count;
    size_t cap;
};

/* ---- the set ---- */

static struct auth_keys *keys_new(void)
{
    struct auth_keys *k = calloc(1, sizeof *k);

    if (!k)
        return NULL;
    k->a = arena_new(0);
    if (!k->a) {
        free(k);
        return NULL;
    }
    return k;
}

void auth_keys_free(struct auth_keys *k)
{
    size_t i;

    if (!k)
        return;
    for (i = 0; i < k->count; i++)
        EVP_PKEY_free(k->keys[i].pkey);
    free(k->keys);
    arena_free(k->a);
    free(k);
}

/* The unsigned big-endian bytes of RSA parameter `name` of `pkey`, base64url-encoded. */
static const char *rsa_param_b64(struct arena *a, const EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char *bin;
    const char *out = NULL;
    int len;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return NULL;
    len = BN_num_bytes(bn);
    bin = arena_alloc(a, len > 0 ? (size_t)len : 1);
    if (bin && len > 0 && BN_bn2bin(bn, bin) == len)
        out = str_base64url_encode(a, bin, (size_t)len);
    BN_free(bn);
    return out;
}

/* Fill key->n, key->e and *thumb (RFC 7638: SHA-256 of the canonical JWK, base64url). */
static int jwk_params(struct arena *a, struct auth_key *key, const char **thumb)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    const char *canon;

    key->n = rsa_param_b64(a, key->pkey, OSSL_PKEY_PARAM_RSA_N);
    key->e = rsa_param_b64(a, key->pkey, OSSL_PKEY_PARAM_RSA_E);
    if (!key->n || !key->e)
        return CMP_ENOMEM;
    /* Members in lexicographic order, no whitespace: the RFC 7638 form for RSA. */
    canon = arena_sprintf(a, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", key->e, key->n);
    if (!canon)
        return CMP_ENOMEM;
    if (EVP_Digest(canon, strlen(canon), md, &md_len, EVP_sha256(), NULL) != 1)
        return CMP_EIO;
    *thumb = str_base64url_encode(a, md, md_len);
    return *thumb ? 0 : CMP_ENOMEM;
}

/* Add `pkey` (taken, freed on failure) under `kid` (NULL: its thumbprint) and `x5t`. */
static int add_key(struct auth_keys *k, EVP_PKEY *pkey, const char *kid, const char *x5t,
                   struct cmp_error *err)
{
    struct auth_key key = {.pkey = pkey};
    const char *thumb = NULL;
    int rc;

    if (k->count == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        struct auth_key *p = realloc(k->keys, cap * sizeof *p);
        if (!p) {
            EVP_PKEY_free(pkey);
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        }
        k->keys = p;
        k->cap = cap;
    }
    rc = jwk_params(k->a, &key, &thumb);
    if (!rc) {
        key.kid = arena_strdup(k->a, kid ? kid : thumb);
        key.x5t = x5t ? arena_strdup(k->a, x5t) : NULL;
        if (!key.kid || (x5t && !key.x5t))
            rc = CMP_ENOMEM;
    }
    if (rc) {
        log_openssl("keys: cannot read an RSA public key");
        EVP_PKEY_free(pkey);
        return cmp_error_set(err, rc, NULL);
    }
    k->keys[k->count++] = key;
    return 0;
}

/* ---- files ---- */

/* Read all of `path` (at most KEYS_MAX_FILE bytes) into a malloc'd buffer.  0 or an errno. */
static int read_file(const char *path, char **out, size_t *len)
{
    struct stat st;
    char *p;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int e = 0;

    if (fd < 0)
        return errno;
    if (fstat(fd, &st))
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EINVAL;
    else if (st.st_size > KEYS_MAX_FILE)
        e = EFBIG;
    if (e) {
        close(fd);
        return e;
    }
    p = malloc((size_t)st.st_size + 1);
    if (!p) {
        close(fd);
        return ENOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = r < 0 ? errno : EIO;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (e) {
        free(p);
        return e;
    }
    p[got] = '\0';
    *out = p;
    *len = got;
    return 0;
}

/*
 * Write `n` bytes as DIR/NAME, mode 0600, unless that file exists (then *existed is set and the
 * file is left alone).  Never visible half-written or with a wider mode.
 */
static int write_new_file(const char *dir, const char *name, const char *data, size_t n,
                          bool *existed, struct cmp_error *err)
{
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return cmp_error_set(err, CMP_EIO, "path too long: %s", dir);
    return file_write_atomic(path, data, n, 0600, false, existed, err);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* the key file is never encrypted; never prompt */
}

/* The RSA private key in PEM text `data` (n bytes; `what` names it in errors). */
static int parse_private_key(const char *data, size_t n, const char *what, EVP_PKEY **out,
                             struct cmp_error *err)
{
    BIO *bio = n <= INT_MAX ? BIO_new_mem_buf(data, (int)n) : NULL;
    EVP_PKEY *pkey = NULL;

    if (bio)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (!pkey || !EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) < KEYS_RSA_BITS) {
        log_openssl("keys: signing key");
        EVP_PKEY_free(pkey);
        return cmp_error_set(err, CMP_EIO, "%s is not an RSA private key of %d bits or more", what,
                             KEYS_RSA_BITS);
    }
    *out = pkey;
    return 0;
}

/* Read the RSA private key at `path`; *missing is set (and 0 returned) when there is no file. */
static int read_private_key(const char *path, EVP_PKEY **out, bool *missing, struct cmp_error *err)
{
    char *data = NULL;
    size_t n = 0;
    int e = read_file(path, &data, &n);
    int rc;

    *missing = e == ENOENT;
    if (*missing)
        return 0;
    if (e)
        return cmp_error_set(err, CMP_EIO, "cannot read %s: %s", path, strerror(e));
    rc = parse_private_key(data, n, path, out, err);
    OPENSSL_cleanse(data, n);
    free(data);
    return rc;
}

static EVP_PKEY *new_rsa_key(struct cmp_error *err)
{
    EVP_PKEY *pkey = EVP_RSA_gen(KEYS_RSA_BITS);

    if (!pkey) {
        log_openssl("keys: RSA key generation");
        cmp_error_set(err, CMP_EIO, "cannot generate an RSA key");
    }
    return pkey;
}

/* `pkey` as PKCS#8 PEM in a secure-heap BIO (wiped when freed), or NULL; *pem and *n point into it.
 */
static BIO *pem_of(EVP_PKEY *pkey, char **pem, size_t *n)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    long len = 0;

    if (bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1)
        len = BIO_get_mem_data(bio, pem);
    if (len <= 0 || !*pem) {
        log_openssl("keys: PEM encoding");
        BIO_free(bio);
        return NULL;
    }
    *n = (size_t)len;
    return bio;
}

/* Generate the signing key and store it; when another process stored one first, use that. */
static int create_private_key(const char *dir, const char *path, EVP_PKEY **out,
                              struct cmp_error *err)
{
    EVP_PKEY *pkey = new_rsa_key(err);
    BIO *bio = NULL;
    char *pem = NULL;
    size_t n = 0;
    bool existed = false;
    bool missing = false;
    int rc = CMP_EIO;

    if (!pkey)
        return CMP_EIO;
    bio = pem_of(pkey, &pem, &n);
    if (bio)
        rc = write_new_file(dir, "signing.pem", pem, n, &existed, err);
    BIO_free(bio);
    if (rc) {
        EVP_PKEY_free(pkey);
        return cmp_error_set(err, rc, "cannot store the signing key in %s", path);
    }
    if (!existed) {
        log_info("keys: created signing key %s", path);
        *out = pkey;
        return 0;
    }
    EVP_PKEY_free(pkey);
    rc = read_private_key(path, out, &missing, err);
    if (!rc && missing)
        rc = cmp_error_set(err, CMP_EIO, "%s vanished while starting", path);
    return rc;
}

static int load_local(struct auth_keys *k, const char *data_dir, struct cmp_error *err)
{
    char *dir = arena_sprintf(k->a, "%s/keys", data_dir);
    char *path = arena_sprintf(k->a, "%s/keys/signing.pem", data_dir);
    EVP_PKEY *pkey = NULL;
    struct stat st;
    bool missing = false;
    int rc;

    if (!dir || !path)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    rc = file_ensure_dir(data_dir, false, err);
    if (!rc)
        rc = file_ensure_dir(dir, true, err);
    if (!rc)
        rc = read_private_key(path, &pkey, &missing, err);
    if (!rc && missing)
        rc = create_private_key(dir, path, &pkey, err);
    if (rc)
        return rc;
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        log_warn("keys: %s was accessible to others; setting mode 0600", path);
        if (chmod(path, 0600)) {
            EVP_PKEY_free(pkey);
            return cmp_error_set(err, CMP_EIO, "cannot chmod %s: %s", path, strerror(errno));
        }
    }
    return add_key(k, pkey, NULL, NULL, err);
}

/* ---- JWKS ---- */

static bool is_string(const struct json_value *v, const char *lit)
{
    return v && v->type == JSON_STRING && str_eq(v->u.str.p, v->u.str.n, lit);
}

/* An RSA public key from base64url `n` and `e`, checked; NULL if they do not make one. */
static EVP_PKEY *key_from_ne(struct arena *a, const struct json_value *n,
                             const struct json_value *e)
{
    unsigned char *nb;
    unsigned char *eb;
    size_t nl;
    size_t el;
    BIGNUM *bn = NULL;
    BIGNUM *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (str_base64url_decode(a, n->u.str.p, n->u.str.n, &nb, &nl) || nl == 0 ||
        nl > KEYS_MAX_RSA_BITS / 8 || str_base64url_decode(a, e->u.str.p, e->u.str.n, &eb, &el) ||
        el == 0 || el > 8)
        return NULL;
    bn = BN_bin2bn(nb, (int)nl, NULL);
    be = BN_bin2bn(eb, (int)el, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        params = OSSL_PARAM_BLD_to_param(bld);
    if (params)
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    ctx = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
    if (pkey && (!ctx || EVP_PKEY_public_check(ctx) != 1)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

/* The RSA public key of the first certificate of an `x5c` array, or NULL. */
static EVP_PKEY *key_from_x5c(struct arena *a, const struct json_value *x5c)
{
    const struct json_value *c;
    unsigned char *der;
    const unsigned char *p;
    size_t n;
    X509 *x;
    EVP_PKEY *pkey = NULL;

    if (x5c->type != JSON_ARRAY || x5c->u.arr.n == 0)
        return NULL;
    c = x5c->u.arr.items[0];
    if (c->type != JSON_STRING || str_base64_decode(a, c->u.str.p, c->u.str.n, &der, &n) || !n)
        return NULL;
    p = der;
    x = d2i_X509(NULL, &p, (long)n);
    if (x && p == der + n)
        pkey = X509_get_pubkey(x);
    X509_free(x);
    if (pkey && !EVP_PKEY_is_a(pkey, "RSA")) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

static const char *opt_string(const struct json_value *obj, const char *name, bool *bad)
{
    const struct json_value *v = json_get(obj, name);

    if (!v)
        return NULL;
    if (v->type != JSON_STRING || v->u.str.n == 0) {
        *bad = true;
        return NULL;
    }
    return v->u.str.p;
}

/* The public key of one JWKS entry (NULL with *why set when it is unusable). */
static EVP_PKEY *jwks_entry_key(struct arena *a, const struct json_value *item, const char **why)
{
    const struct json_value *n = json_get(item, "n");
    const struct json_value *e = json_get(item, "e");
    const struct json_value *x5c = json_get(item, "x5c");
    EVP_PKEY *pkey = NULL;
    EVP_PKEY *cert_key = NULL;

    *why = "has neither n/e nor x5c";
    if (n || e) {
        *why = "has a bad n/e";
        if (!n || !e || n->type != JSON_STRING || e->type != JSON_STRING)
            return NULL;
        pkey = key_from_ne(a, n, e);
        if (!pkey)
            return NULL;
    }
    if (x5c) {
        *why = "has a bad x5c certificate";
        cert_key = key_from_x5c(a, x5c);
        if (!cert_key || (pkey && EVP_PKEY_eq(pkey, cert_key) != 1)) {
            *why = cert_key ? "has an x5c certificate that does not match n/e" : *why;
            EVP_PKEY_free(pkey);
            EVP_PKEY_free(cert_key);
            return NULL;
        }
        if (pkey)
            EVP_PKEY_free(cert_key);
        else
            pkey = cert_key;
    }
    if (pkey && EVP_PKEY_get_bits(pkey) < KEYS_RSA_BITS) {
        *why = "is shorter than 2048 bits";
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

static int jwks_entry(struct auth_keys *k, struct arena *scratch, const char *path, size_t i,
                      const struct json_value *item, struct cmp_error *err)
{
    const struct json_value *use = json_get(item, "use");
    const struct json_value *alg = json_get(item, "alg");
    const char *why = "is not an object";
    const char *kid;
    const char *x5t;
    bool bad = false;
    EVP_PKEY *pkey;

    if (item->type != JSON_OBJECT)
        goto invalid;
    if (!is_string(json_get(item, "kty"), "RSA") || (use && !is_string(use, "sig")) ||
        (alg && !is_string(alg, "RS256"))) {
        log_info("keys: %s: skipping key %zu (not an RS256 signature key)", path, i);
        return 0;
    }
    kid = opt_string(item, "kid", &bad);
    x5t = opt_string(item, "x5t", &bad);
    why = "has a kid or x5t that is not a non-empty string";
    if (bad)
        goto invalid;
    pkey = jwks_entry_key(scratch, item, &why);
    if (!pkey)
        goto invalid;
    ERR_clear_error();
    return add_key(k, pkey, kid, x5t, err);
invalid:
    log_openssl("keys: JWKS");
    return cmp_error_set(err, CMP_EIO, "JWKS file %s: key %zu %s", path, i, why);
}

static int load_jwks(struct auth_keys *k, const char *path, struct cmp_error *err)
{
    struct cmp_error perr = {0};
    struct arena *scratch = arena_new(0);
    const struct json_value *keys;
    struct json_value *root = NULL;
    char *data = NULL;
    size_t n = 0;
    size_t i;
    int rc = 0;
    int e;

    if (!scratch)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    e = read_file(path, &data, &n);
    if (e) {
        rc = cmp_error_set(err, CMP_EIO, "cannot read JWKS file %s: %s", path, strerror(e));
        goto out;
    }
    if (json_parse(scratch, data, n, CMP_EIO, &root, &perr)) {
        rc = cmp_error_set(err, CMP_EIO, "JWKS file %s: %s", path, cmp_error_message(&perr));
        goto out;
    }
    keys = json_get(root, "keys");
    if (!keys || keys->type != JSON_ARRAY) {
        rc = cmp_error_set(err, CMP_EIO, "JWKS file %s: no \"keys\" array", path);
        goto out;
    }
    for (i = 0; i < keys->u.arr.n && !rc; i++)
        rc = jwks_entry(k, scratch, path, i, keys->u.arr.items[i], err);
    if (!rc)
        log_info("keys: %s: %zu verification keys", path, k->count - 1);
out:
    free(data);
    arena_free(scratch);
    return rc;
}

/* ---- public ---- */

/*
 * The rest of a load once the local key is in `k` (rc 0) or failed (rc): the keys of `jwks_file`
 * (may be NULL), then *out owns the set, or it is freed.
 */
static int complete(struct auth_keys *k, int rc, const char *jwks_file, struct auth_keys **out,
                    struct cmp_error *err)
{
    if (!rc && jwks_file)
        rc = load_jwks(k, jwks_file, err);
    if (rc) {
        auth_keys_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int auth_keys_load(const char *data_dir, const char *jwks_file, struct auth_keys **out,
                   struct cmp_error *err)
{
    struct auth_keys *k = keys_new();

    if (!k)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    return complete(k, load_local(k, data_dir, err), jwks_file, out, err);
}

int auth_keys_load_pem(const char *pem, size_t n, const char *jwks_file, struct auth_keys **out,
                       struct cmp_error *err)
{
    struct auth_keys *k = keys_new();
    EVP_PKEY *pkey = NULL;
    int rc;

    if (!k)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    rc = parse_private_key(pem, n, "the stored signing key", &pkey, err);
    if (!rc)
        rc = add_key(k, pkey, NULL, NULL, err);
    return complete(k, rc, jwks_file, out, err);
}

int auth_keys_new_pem(char **pem, size_t *n, struct cmp_error *err)
{
    EVP_PKEY *pkey = new_rsa_key(err);
    BIO *bio;
    char *text = NULL;
    int rc = 0;

    if (!pkey)
        return CMP_EIO;
    bio = pem_of(pkey, &text, n);
    if (!bio) {
        rc = cmp_error_set(err, CMP_EIO, "cannot encode the signing key");
    } else {
        *pem = OPENSSL_secure_malloc(*n + 1);
        if (!*pem) {
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
        } else {
            memcpy(*pem, text, *n);
            (*pem)[*n] = '\0';
        }
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return rc;
}

void auth_keys_free_pem(char *pem, size_t n)
{
    if (pem)
        OPENSSL_secure_clear_free(pem, n + 1);
}

int auth__keys_ephemeral(const char *kid, struct auth_keys **out, struct cmp_error *err)
{
    struct auth_keys *k = keys_new();
    EVP_PKEY *pkey;

    if (!k)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    pkey = new_rsa_key(err);
    return complete(k, pkey ? add_key(k, pkey, kid, NULL, err) : CMP_EIO, NULL, out, err);
}

const char *auth_keys_local_kid(const struct auth_keys *k)
{
    return k->keys[0].kid;
}

size_t auth_keys_count(const struct auth_keys *k)
{
    return k->count;
}

struct evp_pkey_st *auth__keys_find(const struct auth_keys *k, const char *kid, const char *x5t)
{
    size_t i;

    for (i = 0; kid && i < k->count; i++)
        if (strcmp(k->keys[i].kid, kid) == 0)
            return k->keys[i].pkey;
    for (i = 0; x5t && i < k->count; i++)
        if (k->keys[i].x5t && strcmp(k->keys[i].x5t, x5t) == 0)
            return k->keys[i].pkey;
    return NULL;
}

struct evp_pkey_st *auth__keys_signing(const struct auth_keys *k)
{
    return k->keys[0].pkey;
}

static int jwk_json(struct buf *b, const struct auth_key *key)
{
    int rc = buf_puts(b, "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"");

    if (!rc)
        rc = buf_append_json_escaped(b, key->kid, strlen(key->kid));
    if (!rc && key->x5t) {
        rc = buf_puts(b, "\",\"x5t\":\"");
        if (!rc)
            rc = buf_append_json_escaped(b, key->x5t, strlen(key->x5t));
    }
    if (!rc)
        rc = buf_printf(b, "\",\"n\":\"%s\",\"e\":\"%s\"}", key->n, key->e);
    return rc;
}

char *auth_keys_jwks_json(const struct auth_keys *k)
{
    struct buf b;
    size_t i;
    int rc;

    buf_init(&b, KEYS_MAX_FILE);
    rc = buf_puts(&b, "{\"keys\":[");
    for (i = 0; i < k->count && !rc; i++) {
        if (i)
            rc = buf_putc(&b, ',');
        if (!rc)
            rc = jwk_json(&b, &k->keys[i]);
    }
    if (!rc)
        rc = buf_puts(&b, "]}");
    if (rc) {
        buf_fini(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}
