/*
 * cmd/token.c - `cmpd token`: print a JWT signed with the local key, shaped like Entra's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "cmd/cmd.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"

static const char usage[] =
    "usage: cmpd token --tenant TID (--roles A,B | --scopes \"A B\") [options]\n"
    "\n"
    "  --tenant TID          tenant GUID (the token's tid; not needed with --personal)\n"
    "  --roles A,B           application permissions (an app-only token)\n"
    "  --scopes \"A B\"        delegated permissions (a user token)\n"
    "  --personal            a personal Microsoft account's token\n"
    "  --expires-in SECONDS  lifetime (default 3600; negative mints an expired token)\n"
    "  --audience AUD        aud claim (default https://graph.microsoft.com)\n"
    "  --app-id GUID         appid/azp claim\n"
    "  --issuer-version 1|2  v1 (sts.windows.net) or v2 (login.microsoftonline.com) issuer\n"
    "  --cloud NAME          global (default), usgov, usgov-dod or china\n"
    "  --data DIR            data directory holding keys/ (default ./cmpd-data)\n"
    "  --store LOCATION      the store holding the keys (default $CMPD_STORE)\n";

int cmd_token(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tenant", required_argument, NULL, 't'},
        {"roles", required_argument, NULL, 'r'},
        {"scopes", required_argument, NULL, 's'},
        {"personal", no_argument, NULL, 'P'},
        {"expires-in", required_argument, NULL, 'e'},
        {"audience", required_argument, NULL, 'a'},
        {"app-id", required_argument, NULL, 'i'},
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 'S'},
        {"issuer-version", required_argument, NULL, 'v'},
        {"cloud", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct auth_mint m = {.version = 1};
    const char *data = CMD_DEFAULT_DATA;
    const char *store_flag = NULL;
    const char *location;
    const char *cloud_name = "global";
    const struct auth_cloud *cloud;
    struct auth_keys *keys = NULL;
    struct cmp_error err = {0};
    struct arena *a = NULL;
    char tenant[37];
    char *token;
    int ch;
    int rc = 1;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int64_t v;
        switch (ch) {
        case 't':
            m.tenant = optarg;
            break;
        case 'r':
            m.roles = optarg;
            break;
        case 's':
            m.scopes = optarg;
            break;
        case 'P':
            m.personal = true;
            break;
        case 'e':
            if (str_to_int64(optarg, strlen(optarg), -315360000, 315360000, &v) || v == 0) {
                fprintf(stderr, "cmpd token: --expires-in is a non-zero number of seconds\n");
                return 2;
            }
            m.expires_in = v;
            break;
        case 'a':
            m.audience = optarg;
            break;
        case 'i':
            m.app_id = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'S':
            store_flag = optarg;
            break;
        case 'v':
            if (strcmp(optarg, "1") && strcmp(optarg, "2")) {
                fprintf(stderr, "cmpd token: --issuer-version is 1 or 2\n");
                return 2;
            }
            m.version = optarg[0] - '0';
            break;
        case 'C':
            cloud_name = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    /* A personal account always signs in to the consumer tenant. */
    if (m.personal && !m.tenant)
        m.tenant = AUTH_MSA_TENANT;
    if (optind < argc || !m.tenant || (!m.roles == !m.scopes) ||
        !str_is_guid(m.tenant, strlen(m.tenant))) {
        fputs("cmpd token: give --tenant GUID and one of --roles or --scopes\n", stderr);
        fputs(usage, stderr);
        return 2;
    }
    cloud = auth_cloud_find(cloud_name);
    if (!cloud) {
        fprintf(stderr, "cmpd token: unknown cloud '%s'\n", cloud_name);
        return 2;
    }
    str_lower(tenant, m.tenant, 36);
    m.tenant = tenant;
    location = cmd_store_location(store_flag);
    if (!location && cmd_ensure_dir(data))
        return 1;
    a = arena_new(0);
    if (!a)
        return 1;
    if (cmd_load_keys(data, location, NULL, &keys, NULL, &err) ||
        auth_jwt_mint(keys, cloud, &m, time_now(), a, &token, &err)) {
        fprintf(stderr, "cmpd token: %s\n", cmp_error_message(&err));
    } else {
        printf("%s\n", token);
        rc = 0;
    }
    auth_keys_free(keys);
    arena_free(a);
    return rc;
}
