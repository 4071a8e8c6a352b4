/*
 * auth/jwt.c - verify Entra-style RS256 bearer tokens; mint local ones.
 *
 * Verification runs in a fixed order so that nothing the token says is trusted before its
 * signature is: Authorization scheme, compact structure (three base64url parts, JSON objects),
 * header (alg RS256, typ JWT, no `crit`), key by `kid` then `x5t`, signature, then the claims:
 * lifetime, audience, issuer/tenant, and finally the principal.  Each failure maps to one of
 * Graph's 401 messages; structure and claim-type errors are the "CompactToken parsing failed"
 * one.  Nothing from OpenSSL reaches the client.  Decoded parts live in the caller's arena.
 */
#include "auth/jwt.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

#include "auth/keys.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/uuid.h"

#define MSG_EMPTY "Access token is empty."
#define MSG_SCHEME                                                                                 \
    "Access token validation failure. The Authorization header must use the Bearer scheme."
#define MSG_MALFORMED "CompactToken parsing failed with error code: 80049217"
#define MSG_LIFETIME "Access token has expired or is not yet valid."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_ISSUER "Access token validation failure. Invalid issuer."
#define MSG_SIGNATURE "Access token validation failure. Invalid signature."

/* NumericDate claims outside [0, year 9999] are refused, so adding the skew cannot overflow. */
#define JWT_MAX_DATE INT64_C(253402300799)

/* The client id minted tokens carry when none is given: cmpd's own, fixed. */
#define MINT_APP_ID "2f0c6a5e-7b1d-4c3a-9e58-cd04a1b7e3f9"
#define MINT_MAX_JSON 8192

/* ---- clouds (graph-conventions.md 1) ---- */

const struct auth_cloud auth_cloud_global = {
    "global",
    "https://graph.microsoft.com",
    {"https://graph.microsoft.com", AUTH_GRAPH_APP_ID, NULL},
    {"https://login.microsoftonline.com", NULL, NULL},
    "https://sts.windows.net",
};

/*
 * Entra's US Government clouds (GCC High and DoD) sign v1.0 tokens with the same v1 issuer host
 * as the global cloud, https://sts.windows.net/{tid}/; only their v2.0 issuer (login host) and
 * Graph audience differ.
 */
static const struct auth_cloud cloud_usgov = {
    "usgov",
    "https://graph.microsoft.us",
    {"https://graph.microsoft.us", AUTH_GRAPH_APP_ID, NULL},
    {"https://login.microsoftonline.us", NULL, NULL},
    "https://sts.windows.net",
};

static const struct auth_cloud cloud_usgov_dod = {
    "usgov-dod",
    "https://dod-graph.microsoft.us",
    {"https://dod-graph.microsoft.us", AUTH_GRAPH_APP_ID, NULL},
    {"https://login.microsoftonline.us", NULL, NULL},
    "https://sts.windows.net",
};

static const struct auth_cloud cloud_china = {
    "china",
    "https://microsoftgraph.chinacloudapi.cn",
    {"https://microsoftgraph.chinacloudapi.cn", AUTH_GRAPH_APP_ID, NULL},
    {"https://login.chinacloudapi.cn", "https://login.partner.microsoftonline.cn", NULL},
    "https://sts.chinacloudapi.cn",
};

static const struct auth_cloud *const clouds[] = {
    &auth_cloud_global,
    &cloud_usgov,
    &cloud_usgov_dod,
    &cloud_china,
};

const struct auth_cloud *auth_cloud_find(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcmp(clouds[i]->name, name) == 0)
            return clouds[i];
    return NULL;
}

/* ---- structure ---- */

struct token {
    const char *signed_part; /* "header.payload", borrowed */
    size_t signed_len;
    unsigned char *sig; /* arena */
    size_t sig_len;
    struct json_value *header;
    struct json_value *payload;
};

static int fail(struct cmp_error *err, const char *msg)
{
    return cmp_error_set(err, CMP_EUNAUTHENTICATED, "%s", msg);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The token of "Bearer <token>" (scheme case-insensitive, surrounding whitespace ignored). */
static int bearer_token(const char *h, size_t n, struct str *tok, struct cmp_error *err)
{
    size_t i = 0;
    size_t j;

    if (!h)
        return fail(err, MSG_EMPTY);
    while (n && is_ows(h[n - 1]))
        n--;
    while (i < n && is_ows(h[i]))
        i++;
    if (i == n)
        return fail(err, MSG_EMPTY);
    for (j = i; j < n && !is_ows(h[j]);)
        j++;
    if (!str_eq_ci(h + i, j - i, "Bearer"))
        return fail(err, MSG_SCHEME);
    while (j < n && is_ows(h[j]))
        j++;
    if (j == n)
        return fail(err, MSG_EMPTY);
    tok->p = h + j;
    tok->n = n - j;
    return 0;
}

/* Decode one base64url part holding a JSON object. */
static int decode_object(struct arena *a, const char *p, size_t n, struct json_value **out,
                         struct cmp_error *err)
{
    struct cmp_error perr = {0};
    unsigned char *raw;
    size_t len;
    int rc;

    if (n == 0 || str_base64url_decode(a, p, n, &raw, &len))
        return fail(err, MSG_MALFORMED);
    rc = json_parse(a, (const char *)raw, len, CMP_EUNAUTHENTICATED, out, &perr);
    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, rc, NULL);
    if (rc || (*out)->type != JSON_OBJECT)
        return fail(err, MSG_MALFORMED);
    return 0;
}

static int parse_compact(struct arena *a, struct str tok, struct token *t, struct cmp_error *err)
{
    const char *d1;
    const char *d2;
    const char *end = tok.p + tok.n;
    int rc;

    if (tok.n > AUTH_MAX_TOKEN)
        return fail(err, MSG_MALFORMED);
    d1 = memchr(tok.p, '.', tok.n);
    d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return fail(err, MSG_MALFORMED);
    rc = decode_object(a, tok.p, (size_t)(d1 - tok.p), &t->header, err);
    if (!rc)
        rc = decode_object(a, d1 + 1, (size_t)(d2 - d1 - 1), &t->payload, err);
    if (rc)
        return rc;
    if (str_base64url_decode(a, d2 + 1, (size_t)(end - d2 - 1), &t->sig, &t->sig_len))
        return fail(err, MSG_MALFORMED);
    t->signed_part = tok.p;
    t->signed_len = (size_t)(d2 - tok.p);
    return 0;
}

/* Member `name` as a string: *out NULL when absent; -1 when present but not a string. */
static int opt_str(const struct json_value *obj, const char *name, const struct json_value **out)
{
    const struct json_value *v = json_get(obj, name);

    *out = v;
    return v && v->type != JSON_STRING ? -1 : 0;
}

/* Check the JOSE header and find the key it names. */
static int header_key(const struct auth_keys *keys, const struct json_value *h, EVP_PKEY **out,
                      struct cmp_error *err)
{
    const struct json_value *alg;
    const struct json_value *typ;
    const struct json_value *kid;
    const struct json_value *x5t;

    if (opt_str(h, "alg", &alg) || opt_str(h, "typ", &typ) || opt_str(h, "kid", &kid) ||
        opt_str(h, "x5t", &x5t))
        return fail(err, MSG_MALFORMED);
    /* Only RS256: "none", HMAC (a public key used as a secret) and the rest are refused. */
    if (!alg || !str_eq(alg->u.str.p, alg->u.str.n, "RS256"))
        return fail(err, MSG_SIGNATURE);
    /* No extension is understood, so a token that marks any as critical is refused. */
    if ((typ && !str_eq_ci(typ->u.str.p, typ->u.str.n, "JWT")) || json_get(h, "crit"))
        return fail(err, MSG_MALFORMED);
    *out = auth__keys_find(keys, kid ? kid->u.str.p : NULL, x5t ? x5t->u.str.p : NULL);
    if (!*out)
        return fail(err, MSG_SIGNATURE);
    return 0;
}

static int verify_signature(EVP_PKEY *pkey, const struct token *t, struct cmp_error *err)
{
    EVP_MD_CTX *md;
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (t->sig_len == 0 || t->sig_len != (size_t)EVP_PKEY_get_size(pkey))
        return fail(err, MSG_SIGNATURE);
    md = EVP_MD_CTX_new();
    if (!md)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    ok = EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
         EVP_DigestVerify(md, t->sig, t->sig_len, (const unsigned char *)t->signed_part,
                          t->signed_len) == 1;
    EVP_MD_CTX_free(md);
    /* A bad signature leaves an entry in the thread's error queue; it is the client's fault. */
    ERR_clear_error();
    return ok ? 0 : fail(err, MSG_SIGNATURE);
}

/* ---- claims ---- */

/*
 * A NumericDate: RFC 7519 allows a fraction, which is dropped; exponents and negative values are
 * refused.  Parsed by hand rather than with strtod(), whose decimal point depends on the locale.
 */
static int numeric_date(const struct json_value *v, int64_t *out)
{
    const char *dot;
    size_t n;

    if (!v || v->type != JSON_NUMBER || strpbrk(v->u.str.p, "eE-"))
        return -1;
    dot = strchr(v->u.str.p, '.');
    n = dot ? (size_t)(dot - v->u.str.p) : v->u.str.n;
    return str_to_int64(v->u.str.p, n, 0, JWT_MAX_DATE, out) ? -1 : 0;
}

int auth__jwt_check_lifetime(int64_t expires, int64_t not_before, int64_t now,
                             struct cmp_error *err)
{
    if (now >= expires + AUTH_CLOCK_SKEW || not_before - AUTH_CLOCK_SKEW > now)
        return fail(err, MSG_LIFETIME);
    return 0;
}

/*
 * `exp` is required, `nbf` optional.  An absent `nbf` counts as 0 (the epoch), so the principal
 * carries the whole window and a cached token is checked again by the very same rule.
 */
static int check_lifetime(const struct json_value *pl, int64_t now, struct auth_principal *p,
                          struct cmp_error *err)
{
    const struct json_value *e = json_get(pl, "exp");
    const struct json_value *n = json_get(pl, "nbf");

    if (!e)
        return fail(err, MSG_LIFETIME);
    p->not_before = 0;
    if (numeric_date(e, &p->expires) || (n && numeric_date(n, &p->not_before)))
        return fail(err, MSG_MALFORMED);
    return auth__jwt_check_lifetime(p->expires, p->not_before, now, err);
}

static bool audience_ok(const struct auth_cloud *cloud, const struct json_value *v)
{
    const char *s;
    size_t n;
    size_t i;

    if (v->type != JSON_STRING)
        return false;
    s = v->u.str.p;
    n = v->u.str.n;
    for (i = 0; i < 3 && cloud->audiences[i]; i++) {
        const char *aud = cloud->audiences[i];
        if (str_eq_ci(s, n, aud))
            return true;
        /* Resource URIs are also issued with a trailing slash. */
        if (str_has_prefix(aud, strlen(aud), "https://") && n && s[n - 1] == '/' &&
            str_eq_ci(s, n - 1, aud))
            return true;
    }
    return false;
}

static int check_audience(const struct auth_cloud *cloud, const struct json_value *pl,
                          struct cmp_error *err)
{
    const struct json_value *aud = json_get(pl, "aud");
    size_t i;

    if (aud && aud->type == JSON_ARRAY) {
        for (i = 0; i < aud->u.arr.n; i++)
            if (audience_ok(cloud, aud->u.arr.items[i]))
                return 0;
    } else if (aud && audience_ok(cloud, aud)) {
        return 0;
    }
    return fail(err, MSG_AUDIENCE);
}

/* Does `iss` read `host` "/" GUID `tail`?  The GUID is returned in *guid. */
static bool issuer_form(const char *iss, size_t n, const char *host, const char *tail,
                        const char **guid)
{
    size_t h = strlen(host);
    size_t t = strlen(tail);

    if (n != h + 1 + 36 + t || !str_eq_ci(iss, h, host) || iss[h] != '/' ||
        !str_eq(iss + h + 37, t, tail))
        return false;
    *guid = iss + h + 1;
    return true;
}

static int check_issuer(const struct auth_cloud *cloud, const struct json_value *pl,
                        struct auth_principal *p, struct cmp_error *err)
{
    const struct json_value *tid;
    const struct json_value *iss;
    const char *guid = NULL;
    bool form;
    size_t i;

    if (opt_str(pl, "tid", &tid) || opt_str(pl, "iss", &iss) || !tid || !iss ||
        !str_is_guid(tid->u.str.p, tid->u.str.n))
        return fail(err, MSG_ISSUER);
    form = issuer_form(iss->u.str.p, iss->u.str.n, cloud->v1_issuer_host, "/", &guid);
    for (i = 0; !form && i < 3 && cloud->login_hosts[i]; i++)
        form = issuer_form(iss->u.str.p, iss->u.str.n, cloud->login_hosts[i], "/v2.0", &guid);
    if (!form || !str_is_guid(guid, 36) || !str_eq_ci(guid, 36, tid->u.str.p))
        return fail(err, MSG_ISSUER);
    str_lower(p->tenant, tid->u.str.p, 36);
    return 0;
}

/* Split `s` on spaces into an arena array. */
static int split_scopes(struct arena *a, const char *s, size_t n, const char ***out, size_t *count)
{
    const char **v;
    size_t i = 0;
    size_t k = 0;
    size_t words = 0;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
            words++;
    v = arena_calloc(a, words ? words : 1, sizeof *v);
    if (!v)
        return CMP_ENOMEM;
    for (i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (j > i) {
            v[k] = arena_strndup(a, s + i, j - i);
            if (!v[k++])
                return CMP_ENOMEM;
        }
        i = j + 1;
    }
    *out = v;
    *count = k;
    return 0;
}

static int read_roles(struct arena *a, const struct json_value *roles, struct auth_principal *p)
{
    size_t i;

    if (roles->type != JSON_ARRAY)
        return -1;
    p->roles = arena_calloc(a, roles->u.arr.n ? roles->u.arr.n : 1, sizeof *p->roles);
    if (!p->roles)
        return CMP_ENOMEM;
    for (i = 0; i < roles->u.arr.n; i++) {
        const struct json_value *r = roles->u.arr.items[i];
        if (r->type != JSON_STRING)
            return -1;
        p->roles[i] = r->u.str.p;
    }
    p->role_count = roles->u.arr.n;
    return 0;
}

/* Case-insensitive: does `s` (n bytes) contain `needle`? */
static bool contains_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    size_t i;

    for (i = 0; i + k <= n; i++)
        if (str_eq_ci(s + i, k, needle))
            return true;
    return false;
}

static int read_principal(struct arena *a, const struct json_value *pl, struct auth_principal *p,
                          struct cmp_error *err)
{
    const struct json_value *appid;
    const struct json_value *azp;
    const struct json_value *oid;
    const struct json_value *idtyp;
    const struct json_value *idp;
    const struct json_value *scp;
    const struct json_value *roles = json_get(pl, "roles");
    int rc = 0;

    if (opt_str(pl, "appid", &appid) || opt_str(pl, "azp", &azp) || opt_str(pl, "oid", &oid) ||
        opt_str(pl, "idtyp", &idtyp) || opt_str(pl, "idp", &idp) || opt_str(pl, "scp", &scp))
        return fail(err, MSG_MALFORMED);
    p->app_id = appid ? appid->u.str.p : azp ? azp->u.str.p : "";
    p->object_id = oid ? oid->u.str.p : "";
    if (scp)
        rc = split_scopes(a, scp->u.str.p, scp->u.str.n, &p->scopes, &p->scope_count);
    if (!rc && roles)
        rc = read_roles(a, roles, p);
    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, rc, NULL);
    if (rc)
        return fail(err, MSG_MALFORMED);
    p->app_only = idtyp ? str_eq(idtyp->u.str.p, idtyp->u.str.n, "app") : !scp && roles;
    p->personal = strcmp(p->tenant, AUTH_MSA_TENANT) == 0 ||
                  (idp && (str_eq_ci(idp->u.str.p, idp->u.str.n, "live.com") ||
                           contains_ci(idp->u.str.p, idp->u.str.n, AUTH_MSA_TENANT)));
    return 0;
}

int auth_jwt_verify(const struct auth_keys *keys, const struct auth_cloud *cloud,
                    const char *authorization, size_t n, int64_t now, struct arena *a,
                    struct auth_principal *out, struct cmp_error *err)
{
    struct auth_principal p = {0};
    struct token t = {0};
    struct str tok = {0};
    EVP_PKEY *pkey = NULL;
    int rc;

    if (!cloud)
        cloud = &auth_cloud_global;
    rc = bearer_token(authorization, n, &tok, err);
    if (!rc)
        rc = parse_compact(a, tok, &t, err);
    if (!rc)
        rc = header_key(keys, t.header, &pkey, err);
    if (!rc)
        rc = verify_signature(pkey, &t, err);
    /* From here on the claims are the issuer's. */
    if (!rc)
        rc = check_lifetime(t.payload, now, &p, err);
    if (!rc)
        rc = check_audience(cloud, t.payload, err);
    if (!rc)
        rc = check_issuer(cloud, t.payload, &p, err);
    if (!rc)
        rc = read_principal(a, t.payload, &p, err);
    if (!rc)
        *out = p;
    return rc;
}

/* ---- minting ---- */

static int put_str(struct buf *b, const char *name, const char *v)
{
    int rc = buf_printf(b, ",\"%s\":\"", name);

    if (!rc)
        rc = buf_append_json_escaped(b, v, strlen(v));
    if (!rc)
        rc = buf_putc(b, '"');
    return rc;
}

/* `"roles":[...]` from a comma-separated list (blanks around names dropped). */
static int put_roles(struct buf *b, const char *list)
{
    const char *s = list;
    bool first = true;
    int rc = buf_puts(b, ",\"roles\":[");

    while (!rc && *s) {
        size_t n = strcspn(s, ",");
        size_t i = 0;
        while (i < n && is_ows(s[i]))
            i++;
        while (n > i && is_ows(s[n - 1]))
            n--;
        if (n > i) {
            rc = buf_puts(b, first ? "\"" : ",\"");
            if (!rc)
                rc = buf_append_json_escaped(b, s + i, n - i);
            if (!rc)
                rc = buf_putc(b, '"');
            first = false;
        }
        s += strcspn(s, ",");
        if (*s)
            s++;
    }
    return rc ? rc : buf_putc(b, ']');
}

/* A random base64url string of `bytes` random bytes (uti, pairwise sub). */
static const char *random_b64(struct arena *a, size_t bytes)
{
    unsigned char r[32];

    if (bytes > sizeof r || random_bytes(r, bytes))
        return NULL;
    return str_base64url_encode(a, r, bytes);
}

static int mint_claims(struct buf *b, struct arena *a, const struct auth_cloud *cloud,
                       const struct auth_mint *m, const char *tid, int64_t now)
{
    bool v2 = m->version == 2;
    bool user = m->scopes != NULL;
    char oid[UUID_STR_LEN + 1];
    const char *uti = random_b64(a, 16);
    const char *sub = user ? random_b64(a, 32) : oid;
    int64_t ttl = m->expires_in ? m->expires_in : 3600;
    int rc;

    if (!uti || !sub || uuid_v4(oid))
        return CMP_EIO;
    rc = buf_puts(b, "{\"aud\":\"");
    if (!rc)
        rc = buf_append_json_escaped(b, m->audience ? m->audience : cloud->graph_root,
                                     strlen(m->audience ? m->audience : cloud->graph_root));
    if (!rc && v2)
        rc = buf_printf(b, "\",\"iss\":\"%s/%s/v2.0\"", cloud->login_hosts[0], tid);
    else if (!rc)
        rc = buf_printf(b, "\",\"iss\":\"%s/%s/\"", cloud->v1_issuer_host, tid);
    if (!rc)
        rc = buf_printf(b, ",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld", (long long)now,
                        (long long)now, (long long)(now + ttl));
    if (!rc && m->personal)
        rc = put_str(b, "idp", "live.com");
    if (!rc)
        rc = put_str(b, v2 ? "azp" : "appid", m->app_id ? m->app_id : MINT_APP_ID);
    if (!rc)
        rc = put_str(b, "idtyp", user ? "user" : "app");
    if (!rc)
        rc = put_str(b, "oid", oid);
    if (!rc && m->roles)
        rc = put_roles(b, m->roles);
    if (!rc && user)
        rc = put_str(b, "scp", m->scopes);
    if (!rc)
        rc = put_str(b, "sub", sub);
    if (!rc)
        rc = put_str(b, "tid", tid);
    if (!rc)
        rc = put_str(b, "uti", uti);
    if (!rc)
        rc = buf_printf(b, ",\"ver\":\"%s\"}", v2 ? "2.0" : "1.0");
    return rc;
}

/* base64url(RS256 signature of `data`) in the arena, or NULL. */
static const char *sign_rs256(struct arena *a, EVP_PKEY *pkey, const char *data)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = (size_t)EVP_PKEY_get_size(pkey);
    unsigned char *sig = arena_alloc(a, len);
    const char *out = NULL;

    if (md && sig && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
        EVP_DigestSign(md, sig, &len, (const unsigned char *)data, strlen(data)) == 1)
        out = str_base64url_encode(a, sig, len);
    else
        log_error("jwt: RS256 signing failed (OpenSSL error %lu)", ERR_peek_error());
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    return out;
}

/* Join base64url(header) "." base64url(claims), sign it, and append the signature. */
static char *encode_signed(struct arena *a, EVP_PKEY *pkey, const struct buf *hdr,
                           const struct buf *claims)
{
    const char *h = str_base64url_encode(a, (const unsigned char *)hdr->data, hdr->len);
    const char *c = str_base64url_encode(a, (const unsigned char *)claims->data, claims->len);
    const char *input = h && c ? arena_sprintf(a, "%s.%s", h, c) : NULL;
    const char *sig = input ? sign_rs256(a, pkey, input) : NULL;

    return sig ? arena_sprintf(a, "%s.%s", input, sig) : NULL;
}

int auth_jwt_mint(const struct auth_keys *keys, const struct auth_cloud *cloud,
                  const struct auth_mint *m, int64_t now, struct arena *a, char **out,
                  struct cmp_error *err)
{
    struct buf hdr;
    struct buf claims;
    char tid[UUID_STR_LEN + 1];
    char *tok = NULL;
    int rc = 0;

    if (!cloud)
        cloud = &auth_cloud_global;
    if (m->version != 0 && m->version != 1 && m->version != 2)
        return cmp_error_set(err, CMP_EBADREQUEST, "The token version must be 1 or 2.");
    if (m->personal && (!m->scopes || m->roles))
        return cmp_error_set(err, CMP_EBADREQUEST,
                             "Personal account tokens are delegated: give scopes, not roles.");
    if (!m->personal && (!m->tenant || !str_is_guid(m->tenant, strlen(m->tenant))))
        return cmp_error_set(err, CMP_EBADREQUEST, "The tenant must be a GUID.");
    str_lower(tid, m->personal ? AUTH_MSA_TENANT : m->tenant, UUID_STR_LEN);
    buf_init(&hdr, MINT_MAX_JSON);
    buf_init(&claims, MINT_MAX_JSON);
    rc = buf_puts(&hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"");
    if (!rc)
        rc = buf_append_json_escaped(&hdr, auth_keys_local_kid(keys),
                                     strlen(auth_keys_local_kid(keys)));
    if (!rc)
        rc = buf_puts(&hdr, "\"}");
    if (!rc)
        rc = mint_claims(&claims, a, cloud, m, tid, now);
    if (!rc) {
        tok = encode_signed(a, auth__keys_signing(keys), &hdr, &claims);
        rc = tok ? 0 : CMP_EIO;
    }
    buf_fini(&hdr);
    buf_fini(&claims);
    if (rc == CMP_ETOOLARGE || (!rc && strlen(tok) > AUTH_MAX_TOKEN))
        return cmp_error_set(err, CMP_EBADREQUEST, "The token would be too large.");
    if (rc)
        return cmp_error_set(err, rc, "cannot mint a token");
    *out = tok;
    return 0;
}

/* ---- fuzzing ---- */

#define FUZZ_NOW INT64_C(1750000000)
#define FUZZ_KID "fuzz"

/*
 * Besides checking `data` as it is, sign its "header.payload" with the fuzz key and check that
 * too, so the claim checks behind the signature are reached (corpus tokens name kid "fuzz").
 */
static void fuzz_resigned(const struct auth_keys *keys, struct arena *a, const char *tok, size_t n)
{
    const char *dot = memchr(tok, '.', n);
    const char *last = memrchr(tok, '.', n);
    struct auth_principal p;
    struct cmp_error err = {0};
    const char *input;
    const char *sig;
    const char *h;

    if (!dot || dot == last || n > AUTH_MAX_TOKEN || memchr(tok, '\0', n))
        return;
    input = arena_strndup(a, tok, (size_t)(last - tok));
    sig = input ? sign_rs256(a, auth__keys_signing(keys), input) : NULL;
    h = sig ? arena_sprintf(a, "Bearer %s.%s", input, sig) : NULL;
    if (h)
        auth_jwt_verify(keys, &auth_cloud_global, h, strlen(h), FUZZ_NOW, a, &p, &err);
}

int auth_jwt_fuzz(const unsigned char *data, size_t size)
{
    /* Built once and kept for the process: the fuzzer calls in from one thread. */
    static struct auth_keys *keys;
    struct auth_principal p;
    struct cmp_error err = {0};
    struct arena *a;
    char *h;

    if (!keys && auth__keys_ephemeral(FUZZ_KID, &keys, NULL))
        return 0;
    a = arena_new(0);
    h = a ? arena_alloc(a, size + 7) : NULL;
    if (h) {
        memcpy(h, "Bearer ", 7);
        if (size)
            memcpy(h + 7, data, size);
        auth_jwt_verify(keys, &auth_cloud_global, h, size + 7, FUZZ_NOW, a, &p, &err);
        fuzz_resigned(keys, a, (const char *)data, size);
    }
    arena_free(a);
    return 0;
}
