/*
 * cmd/tenant.c - `cmpd tenant add|set|list|reset`: the tenant registry, edited in the store
 * directly (a running server reads it on every request).  `reset` deletes every partner of one
 * tenant - for test suites - and leaves its registration as it is.  It has no HTTP form: Graph
 * has none, and a bulk delete reachable over the network is a risk no client of the API needs.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

static const char usage[] =
    "usage: cmpd tenant add TID [--no-intune-license] [--data DIR | --store LOCATION]\n"
    "       cmpd tenant set TID --intune-license true|false [--data DIR | --store LOCATION]\n"
    "       cmpd tenant list [--data DIR | --store LOCATION]\n"
    "       cmpd tenant reset TID [--data DIR | --store LOCATION]   (delete its partners)\n"
    "\n"
    "  --data DIR            data directory of the SQLite store (default ./cmpd-data)\n"
    "  --store LOCATION      postgres://..., sqlite:PATH or a directory (default $CMPD_STORE)\n";

struct tenant_opts {
    const char *data;
    const char *store;
    int license; /* -1 unset, 0 false, 1 true */
    bool no_license;
};

static int parse(int argc, char **argv, struct tenant_opts *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"no-intune-license", no_argument, NULL, 'n'},
        {"intune-license", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    o->data = CMD_DEFAULT_DATA;
    o->store = NULL;
    o->license = -1;
    o->no_license = false;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->data = optarg;
            break;
        case 's':
            o->store = optarg;
            break;
        case 'n':
            o->no_license = true;
            break;
        case 'l':
            if (strcmp(optarg, "true") == 0) {
                o->license = 1;
            } else if (strcmp(optarg, "false") == 0) {
                o->license = 0;
            } else {
                fputs("cmpd tenant: --intune-license is true or false\n", stderr);
                return 2;
            }
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    return 0;
}

static int list(struct store *s)
{
    struct arena *a = arena_new(0);
    struct store_tenant *t;
    struct cmp_error err = {0};
    size_t n;
    size_t i;

    if (!a)
        return 1;
    if (store_tenant_list(s, a, &t, &n, &err)) {
        fprintf(stderr, "cmpd tenant: %s\n", cmp_error_message(&err));
        arena_free(a);
        return 1;
    }
    for (i = 0; i < n; i++)
        printf("%s %s\n", t[i].id, t[i].intune_licensed ? "licensed" : "unlicensed");
    arena_free(a);
    return 0;
}

static int put(struct store *s, const char *verb, const char *tid, const struct tenant_opts *o)
{
    struct store_tenant t;
    struct cmp_error err = {0};
    int rc;

    memset(&t, 0, sizeof t);
    str_lower(t.id, tid, 36);
    if (strcmp(verb, "add") == 0) {
        if (o->license >= 0) {
            fputs("cmpd tenant add: use --no-intune-license\n", stderr);
            return 2;
        }
        t.intune_licensed = !o->no_license;
        t.created = time_now();
        rc = store_tenant_put(s, &t, false, &err);
    } else {
        if (o->license < 0 || o->no_license) {
            fputs("cmpd tenant set: give --intune-license true|false\n", stderr);
            return 2;
        }
        rc = store_tenant_get(s, t.id, &t, &err);
        if (rc == CMP_ENOTFOUND) {
            fprintf(stderr, "cmpd tenant set: tenant %s is not registered (use add)\n", t.id);
            return 1;
        }
        t.intune_licensed = o->license == 1;
        if (!rc)
            rc = store_tenant_put(s, &t, false, &err);
    }
    if (rc) {
        fprintf(stderr, "cmpd tenant: %s\n", cmp_error_message(&err));
        return 1;
    }
    printf("%s %s\n", t.id, t.intune_licensed ? "licensed" : "unlicensed");
    return 0;
}

/* Delete every partner of `tid`; its registration (if any) stays. */
static int reset(struct store *s, const char *tid)
{
    struct cmp_error err = {0};
    char id[37];
    int64_t n;

    str_lower(id, tid, 36);
    if (store_partner_delete_all(s, id, &n, &err)) {
        fprintf(stderr, "cmpd tenant reset: %s\n", cmp_error_message(&err));
        return 1;
    }
    printf("%s deleted %lld partners\n", id, (long long)n);
    return 0;
}

int cmd_tenant(int argc, char **argv)
{
    struct tenant_opts o;
    struct store *s;
    struct cmp_error err = {0};
    const char *verb;
    const char *tid = NULL;
    int rc;

    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    verb = argv[1];
    /* Options follow the verb; getopt moves the tenant id behind them. */
    argc--;
    argv++;
    rc = parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (strcmp(verb, "list") == 0) {
        if (optind != argc) {
            fputs(usage, stderr);
            return 2;
        }
    } else if (strcmp(verb, "add") == 0 || strcmp(verb, "set") == 0 || strcmp(verb, "reset") == 0) {
        if (optind != argc - 1 || !str_is_guid(argv[optind], strlen(argv[optind]))) {
            fputs("cmpd tenant: give one tenant GUID\n", stderr);
            fputs(usage, stderr);
            return 2;
        }
        tid = argv[optind];
    } else {
        fputs(usage, stderr);
        return 2;
    }
    if (cmd_open_store(o.data, cmd_store_location(o.store), &s, &err)) {
        fprintf(stderr, "cmpd tenant: %s\n", cmp_error_message(&err));
        return 1;
    }
    if (strcmp(verb, "reset") == 0)
        rc = reset(s, tid);
    else
        rc = tid ? put(s, verb, tid, &o) : list(s);
    store_close(s);
    return rc;
}
