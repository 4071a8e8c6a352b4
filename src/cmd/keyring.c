/*
 * cmd/keyring.c - where the subcommands find the key material and the store, and `cmpd jwks`.
 *
 * Two layouts.  The embedded default (no --store, no $CMPD_STORE): the SQLite store is
 * DIR/cmpd.db and the keys are files, DIR/keys/signing.pem and DIR/keys/skiptoken.key.  With a
 * store location given: the keys live in the store itself (store_secret_ensure), so every
 * instance sharing that store - several cmpd behind a load balancer on one PostgreSQL - signs and
 * verifies tokens and $skiptoken values with the same keys.  The first instance to start stores
 * them; the others read them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "cmd/cmd.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/uuid.h"
#include "store/store.h"

#define SECRET_SIGNING "signing-key"
#define SECRET_PAGING "skiptoken-key"

const char *cmd_store_location(const char *flag)
{
    const char *env = getenv("CMPD_STORE");

    if (flag && *flag)
        return flag;
    return env && *env ? env : NULL;
}

/* The signing key kept in the store, created there by the first instance. */
static int store_signing_key(struct store *s, struct arena *a, const char *jwks,
                             struct auth_keys **keys, struct cmp_error *err)
{
    unsigned char *pem = NULL;
    size_t n = 0;
    char *fresh = NULL;
    size_t fresh_n = 0;
    int rc = store_secret_ensure(s, SECRET_SIGNING, NULL, 0, a, &pem, &n, err);

    if (rc == CMP_ENOTFOUND) {
        cmp_error_clear(err);
        rc = auth_keys_new_pem(&fresh, &fresh_n, err);
        if (!rc)
            rc = store_secret_ensure(s, SECRET_SIGNING, fresh, fresh_n, a, &pem, &n, err);
        if (!rc && n == fresh_n && memcmp(pem, fresh, n) == 0)
            log_info("keys: created the signing key in the %s store", store_backend(s));
        auth_keys_free_pem(fresh, fresh_n);
    }
    if (!rc)
        rc = auth_keys_load_pem((const char *)pem, n, jwks, keys, err);
    if (pem)
        memset(pem, 0, n);
    return rc;
}

/* The $skiptoken HMAC key kept in the store. */
static int store_paging_key(struct store *s, struct arena *a, unsigned char *key,
                            struct cmp_error *err)
{
    unsigned char fresh[CMD_PAGING_KEY_LEN];
    unsigned char *got = NULL;
    size_t n = 0;
    int rc = random_bytes(fresh, sizeof fresh);

    if (rc)
        return cmp_error_set(err, CMP_EIO, "no randomness for the $skiptoken key");
    rc = store_secret_ensure(s, SECRET_PAGING, fresh, sizeof fresh, a, &got, &n, err);
    memset(fresh, 0, sizeof fresh);
    if (!rc && n != CMD_PAGING_KEY_LEN)
        rc = cmp_error_set(err, CMP_ESTORE, "the stored $skiptoken key has %zu bytes, not %d", n,
                           CMD_PAGING_KEY_LEN);
    if (!rc)
        memcpy(key, got, CMD_PAGING_KEY_LEN);
    if (got)
        memset(got, 0, n);
    return rc;
}

/* The file layout: DIR/keys/signing.pem and DIR/keys/skiptoken.key. */
static int file_keys(const char *data, const char *jwks, struct auth_keys **keys,
                     unsigned char *paging_key, struct cmp_error *err)
{
    char path[4096];
    int rc = auth_keys_load(data, jwks, keys, err);

    if (rc || !paging_key)
        return rc;
    if (snprintf(path, sizeof path, "%s/keys/skiptoken.key", data) >= (int)sizeof path)
        return cmp_error_set(err, CMP_EIO, "data path too long");
    return secret_load_or_create(path, paging_key, CMD_PAGING_KEY_LEN, err);
}

int cmd_keys_from(const char *data, struct store *s, const char *jwks, struct auth_keys **keys,
                  unsigned char *paging_key, struct cmp_error *err)
{
    struct arena *a;
    int rc;

    *keys = NULL;
    if (!s)
        return file_keys(data, jwks, keys, paging_key, err);
    a = arena_new(0);
    if (!a)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    rc = store_signing_key(s, a, jwks, keys, err);
    if (!rc && paging_key)
        rc = store_paging_key(s, a, paging_key, err);
    if (rc) {
        auth_keys_free(*keys);
        *keys = NULL;
    }
    arena_free(a);
    return rc;
}

int cmd_load_keys(const char *data, const char *store_location, const char *jwks,
                  struct auth_keys **keys, unsigned char *paging_key, struct cmp_error *err)
{
    struct store *s = NULL;
    int rc;

    *keys = NULL;
    if (!store_location)
        return cmd_keys_from(data, NULL, jwks, keys, paging_key, err);
    rc = store_open(store_location, &s, err);
    if (!rc)
        rc = cmd_keys_from(data, s, jwks, keys, paging_key, err);
    store_close(s);
    return rc;
}

int cmd_open_store(const char *data, const char *store_location, struct store **out,
                   struct cmp_error *err)
{
    if (store_location)
        return store_open(store_location, out, err);
    if (cmd_ensure_dir(data))
        return cmp_error_set(err, CMP_EIO, "cannot create the data directory");
    return store_open(data, out, err);
}

static const char jwks_usage[] =
    "usage: cmpd jwks [--data DIR | --store LOCATION]\n"
    "\n"
    "Print the public key tokens are signed with, as a JWKS document (for other verifiers).\n"
    "\n"
    "  --data DIR            data directory holding keys/ (default ./cmpd-data)\n"
    "  --store LOCATION      the store holding the keys (default $CMPD_STORE)\n";

int cmd_jwks(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = CMD_DEFAULT_DATA;
    const char *store_flag = NULL;
    const char *location;
    struct auth_keys *keys = NULL;
    struct cmp_error err = {0};
    char *json;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 's':
            store_flag = optarg;
            break;
        case 'h':
            fputs(jwks_usage, stdout);
            return 0;
        default:
            fputs(jwks_usage, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fputs(jwks_usage, stderr);
        return 2;
    }
    location = cmd_store_location(store_flag);
    if (!location && cmd_ensure_dir(data))
        return 1;
    if (cmd_load_keys(data, location, NULL, &keys, NULL, &err)) {
        fprintf(stderr, "cmpd jwks: %s\n", cmp_error_message(&err));
        return 1;
    }
    json = auth_keys_jwks_json(keys);
    auth_keys_free(keys);
    if (!json) {
        fputs("cmpd jwks: out of memory\n", stderr);
        return 1;
    }
    printf("%s\n", json);
    free(json);
    return 0;
}
