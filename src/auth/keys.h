/*
 * auth/keys.h - the keys tokens are verified with (and the local one they are signed with).
 *
 * The local signing key is an RSA-2048 key created on first start as DIR/keys/signing.pem (mode
 * 0600, directory 0700), or kept in a shared store (auth_keys_load_pem); its `kid` is the RFC 7638
 * JWK thumbprint of the public key (base64url of the SHA-256).  More verification keys come from a
 * JWKS file (--jwks FILE): RSA keys given as `n`/`e` or as an `x5c` certificate, each with its
 * `kid`, as Entra publishes them, so tokens of a real tenant can be checked offline.  A key set is
 * immutable once loaded and may be shared by threads.
 */
#ifndef CMP_AUTH_KEYS_H
#define CMP_AUTH_KEYS_H

#include <stddef.h>

struct cmp_error;
struct auth_keys;

/*
 * Load (creating on first use) the local key in `data_dir`/keys/, then the keys of `jwks_file`
 * (NULL for none).  On success *out owns the set; free it with auth_keys_free().
 * Errors: CMP_EIO (unreadable/uncreatable files, bad JWKS), with `err` saying which.
 */
int auth_keys_load(const char *data_dir, const char *jwks_file, struct auth_keys **out,
                   struct cmp_error *err);

/*
 * The same from the PEM text of the local signing key kept elsewhere (a shared store), instead of
 * DIR/keys/signing.pem.  CMP_EIO when `pem` is not an RSA private key of 2048 bits or more.
 */
int auth_keys_load_pem(const char *pem, size_t n, const char *jwks_file, struct auth_keys **out,
                       struct cmp_error *err);

/*
 * A fresh RSA-2048 private key as unencrypted PKCS#8 PEM (*n bytes, NUL-terminated), to be
 * stored and loaded with auth_keys_load_pem().  Release it with auth_keys_free_pem(), which wipes
 * it.  CMP_EIO / CMP_ENOMEM.
 */
int auth_keys_new_pem(char **pem, size_t *n, struct cmp_error *err);
void auth_keys_free_pem(char *pem, size_t n);

void auth_keys_free(struct auth_keys *k);

/* The kid of the local signing key (valid while `k` lives). */
const char *auth_keys_local_kid(const struct auth_keys *k);

/* Number of verification keys (local + JWKS). */
size_t auth_keys_count(const struct auth_keys *k);

/* Write the public keys as a JWKS document (NUL-terminated, malloc'd, caller frees), or NULL. */
char *auth_keys_jwks_json(const struct auth_keys *k);

/* ---- auth-internal: for jwt.c only ---- */

struct evp_pkey_st; /* OpenSSL's EVP_PKEY */

/*
 * The verification key whose `kid` equals `kid`, else the one whose `x5t` equals `x5t` (either
 * may be NULL), or NULL.  Borrowed: valid while `k` lives.
 */
struct evp_pkey_st *auth__keys_find(const struct auth_keys *k, const char *kid, const char *x5t);

/* The local private key (signs minted tokens).  Borrowed: valid while `k` lives. */
struct evp_pkey_st *auth__keys_signing(const struct auth_keys *k);

/*
 * A key set holding only a fresh in-memory RSA-2048 key (nothing on disk), with kid `kid` (NULL:
 * its thumbprint).  For the fuzz entry point and tests.  CMP_EIO / CMP_ENOMEM on failure.
 */
int auth__keys_ephemeral(const char *kid, struct auth_keys **out, struct cmp_error *err);

#endif
