/*
 * auth/jwt.h - verify Entra-style bearer tokens and mint local ones.
 *
 * Verification (graph-conventions.md 10): compact JWS, header alg exactly "RS256" (none, HS*, and
 * everything else refused), `kid` (or `x5t`) naming a key of the set, RSA-PKCS1v1.5-SHA256
 * signature, `exp` and `nbf` with AUTH_CLOCK_SKEW seconds of leeway, `aud` one of the cloud's Graph
 * audiences, `iss` of the v1 form https://sts.windows.net/{tid}/ or the v2 form
 * https://login.microsoftonline.com/{tid}/v2.0 (the cloud's login hosts) with its GUID equal to
 * `tid`, `tid` a GUID.  Every failure is CMP_EUNAUTHENTICATED with Graph's messages:
 * "Access token is empty.", "Access token has expired or is not yet valid.",
 * "Access token validation failure. Invalid audience.", "Access token validation failure. Invalid
 * issuer.", "Access token validation failure. Invalid signature.", "CompactToken parsing failed
 * with error code: 80049217" (malformed).
 */
#ifndef CMP_AUTH_JWT_H
#define CMP_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct auth_keys;
struct cmp_error;

#define AUTH_CLOCK_SKEW 300 /* seconds, as Entra's own validators allow */
#define AUTH_MAX_TOKEN 16384

/* The tenant personal Microsoft accounts sign in to. */
#define AUTH_MSA_TENANT "9188040d-6c67-4c5b-b112-36a304b66dad"
/* Graph's application id, an accepted audience in every cloud. */
#define AUTH_GRAPH_APP_ID "00000003-0000-0000-c000-000000000000"

/* What a cloud accepts (conventions 1). */
struct auth_cloud {
    const char *name;           /* "global", "usgov", "usgov-dod", "china" */
    const char *graph_root;     /* "https://graph.microsoft.com" */
    const char *audiences[3];   /* resource URI(s) and the Graph app id; NULL-terminated */
    const char *login_hosts[3]; /* v2 issuer hosts, e.g. "https://login.microsoftonline.com" */
    const char *v1_issuer_host; /* "https://sts.windows.net" (or the cloud's equivalent) */
};

extern const struct auth_cloud auth_cloud_global;

/* Look a cloud up by name, or NULL. */
const struct auth_cloud *auth_cloud_find(const char *name);

/* Who is calling, from a verified token.  Strings live in the arena given to auth_jwt_verify. */
struct auth_principal {
    char tenant[37];       /* `tid`, lowercased */
    const char *app_id;    /* `appid` (v1) or `azp` (v2), or "" */
    const char *object_id; /* `oid`, or "" */
    bool app_only;         /* idtyp "app", or no `scp` but `roles` */
    bool personal;         /* a personal Microsoft account (tid/iss/idp as conventions 10 say) */
    const char **scopes;   /* delegated permissions from `scp`, split on spaces */
    size_t scope_count;
    const char **roles; /* application permissions from `roles` */
    size_t role_count;
    int64_t expires;    /* `exp` */
    int64_t not_before; /* `nbf`, or 0 when absent */
};

/*
 * Verify the value of an Authorization header (`n` bytes, "Bearer <jwt>", scheme case-insensitive)
 * at time `now`.  On success fills *out and returns 0; otherwise CMP_EUNAUTHENTICATED with `err`.
 */
int auth_jwt_verify(const struct auth_keys *keys, const struct auth_cloud *cloud,
                    const char *authorization, size_t n, int64_t now, struct arena *a,
                    struct auth_principal *out, struct cmp_error *err);

/* What `cmpd token` puts in a token. */
struct auth_mint {
    const char *tenant;   /* required GUID */
    const char *roles;    /* comma-separated application permissions, or NULL */
    const char *scopes;   /* space-separated delegated permissions, or NULL */
    bool personal;        /* shape it as a personal Microsoft account's token */
    int64_t expires_in;   /* seconds; default 3600 when 0 */
    const char *audience; /* default: the cloud's Graph resource URI */
    const char *app_id;   /* default: a fixed cmpd client id */
    int version;          /* 1 or 2 (token format / issuer form); default 1 */
};

/*
 * Mint an RS256 JWT signed with the local key of `keys`, with Entra-shaped claims (aud, iss, iat,
 * nbf, exp, tid, oid, sub, appid or azp, idtyp, ver, roles or scp, uti).  *out is arena-owned.
 */
int auth_jwt_mint(const struct auth_keys *keys, const struct auth_cloud *cloud,
                  const struct auth_mint *m, int64_t now, struct arena *a, char **out,
                  struct cmp_error *err);

/* Fuzz entry point: decode and verify `data` as a token against a fixed key set. */
int auth_jwt_fuzz(const unsigned char *data, size_t size);

/* ---- auth-internal: for token_cache.c ---- */

/*
 * The lifetime check auth_jwt_verify() makes, on a principal's `expires` and `not_before`: 0 while
 * `now` is inside [not_before - AUTH_CLOCK_SKEW, expires + AUTH_CLOCK_SKEW), else
 * CMP_EUNAUTHENTICATED with the same message.  Both dates in [0, year 9999], as verified.
 */
int auth__jwt_check_lifetime(int64_t expires, int64_t not_before, int64_t now,
                             struct cmp_error *err);

#endif
