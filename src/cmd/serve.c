/*
 * cmd/serve.c - `cmpd serve`: configuration, keys, TLS material, the server, and signals.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "cmd/cmd.h"
#include "core/err.h"
#include "core/log.h"
#include "http/server.h"
#include "http/tls.h"
#include "store/store.h"

#define MAX_LISTENERS 16

static const char usage[] =
    "usage: cmpd serve [options]\n"
    "\n"
    "  --data DIR            data directory (default ./cmpd-data): cmpd.db, keys/, tls/\n"
    "  --store LOCATION      the store instead of DIR/cmpd.db: postgres://... (shared by\n"
    "                        several instances), sqlite:PATH or a directory; the keys then\n"
    "                        live in the store (default $CMPD_STORE)\n"
    "  --listen URL          http://HOST:PORT or https://HOST:PORT; repeatable\n"
    "                        (default https://127.0.0.1:8443 and http://127.0.0.1:8080)\n"
    "  --public-url URL      root written into @odata.context, nextLink and Location\n"
    "                        (default: the scheme and Host of each request)\n"
    "  --tls-cert FILE       certificate chain (PEM) for https listeners\n"
    "  --tls-key FILE        its private key (PEM); without both, a local CA in DIR/tls/\n"
    "  --jwks FILE           also accept tokens signed by the keys of this JWKS file\n"
    "  --tenants MODE        auto (default: unknown tenants are registered, licensed) or\n"
    "                        registered (only tenants added with `cmpd tenant add`)\n"
    "  --cloud NAME          global (default), usgov, usgov-dod or china\n"
    "  --threads N           event loops (default: one per core)\n"
    "  --page-size N         items per listing page, 1..1000 (default 1000); $top above it\n"
    "                        is clamped\n"
    "  -h, --help            this text\n";

struct serve_opts {
    const char *data;
    const char *store; /* --store / $CMPD_STORE, or NULL: DIR/cmpd.db */
    const char *listen[MAX_LISTENERS];
    size_t listen_count;
    const char *public_url;
    const char *tls_cert;
    const char *tls_key;
    const char *jwks;
    const char *cloud;
    enum api_tenant_mode tenants;
    unsigned threads;
    size_t page_size;
};

static int parse(int argc, char **argv, struct serve_opts *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"public-url", required_argument, NULL, 'p'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"jwks", required_argument, NULL, 'j'},
        {"tenants", required_argument, NULL, 't'},
        {"threads", required_argument, NULL, 'n'},
        {"cloud", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"page-size", required_argument, NULL, 'P'},
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    memset(o, 0, sizeof *o);
    o->data = CMD_DEFAULT_DATA;
    o->cloud = "global";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->data = optarg;
            break;
        case 's':
            o->store = optarg;
            break;
        case 'l':
            if (o->listen_count == MAX_LISTENERS) {
                fprintf(stderr, "cmpd serve: at most %d listeners\n", MAX_LISTENERS);
                return 2;
            }
            o->listen[o->listen_count++] = optarg;
            break;
        case 'p':
            o->public_url = optarg;
            break;
        case 'c':
            o->tls_cert = optarg;
            break;
        case 'k':
            o->tls_key = optarg;
            break;
        case 'j':
            o->jwks = optarg;
            break;
        case 'C':
            o->cloud = optarg;
            break;
        case 't':
            if (strcmp(optarg, "auto") == 0) {
                o->tenants = API_TENANTS_AUTO;
            } else if (strcmp(optarg, "registered") == 0) {
                o->tenants = API_TENANTS_REGISTERED;
            } else {
                fprintf(stderr, "cmpd serve: --tenants is auto or registered\n");
                return 2;
            }
            break;
        case 'n': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "cmpd serve: --threads is 1..64\n");
                return 2;
            }
            o->threads = (unsigned)v;
            break;
        }
        case 'P': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > API_PAGE_SIZE) {
                fprintf(stderr, "cmpd serve: --page-size is 1..%d\n", API_PAGE_SIZE);
                return 2;
            }
            o->page_size = (size_t)v;
            break;
        }
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind < argc || (!o->tls_cert != !o->tls_key)) {
        fputs(optind < argc ? "cmpd serve: unexpected argument\n"
                            : "cmpd serve: --tls-cert and --tls-key go together\n",
              stderr);
        return 2;
    }
    o->store = cmd_store_location(o->store);
    if (o->listen_count == 0) {
        o->listen[o->listen_count++] = "https://127.0.0.1:8443";
        o->listen[o->listen_count++] = "http://127.0.0.1:8080";
    }
    return 0;
}

/* Everything serve() sets up, so one function can release it. */
struct serve_state {
    struct http_listener listeners[MAX_LISTENERS];
    struct http_config cfg;
    struct auth_keys *keys;
    SSL_CTX *ssl;
    char *cert;
    char *key;
    char *public_url;
    unsigned char paging_key[API_PAGING_KEY_LEN];
    const char *backend; /* the store's name ("sqlite"): a static string */
};

_Static_assert(CMD_PAGING_KEY_LEN == API_PAGING_KEY_LEN, "one $skiptoken key length");

static int prepare(const struct serve_opts *o, struct serve_state *st, struct cmp_error *err)
{
    struct store *probe;
    bool any_tls = false;
    size_t i;
    int rc;

    for (i = 0; i < o->listen_count; i++) {
        rc = http_listener_parse(o->listen[i], &st->listeners[i], err);
        if (rc)
            return rc;
        any_tls |= st->listeners[i].tls;
    }
    st->cfg.cloud = auth_cloud_find(o->cloud);
    if (!st->cfg.cloud)
        return cmp_error_set(err, CMP_EBADREQUEST, "unknown cloud '%s'", o->cloud);
    /* Migrate the schema once, before the threads open their own connections. */
    rc = cmd_open_store(o->data, o->store, &probe, err);
    if (rc)
        return rc;
    st->backend = store_backend(probe);
    store_close(probe);
    rc = cmd_load_keys(o->data, o->store, o->jwks, &st->keys, st->paging_key, err);
    if (rc)
        return rc;
    if (any_tls) {
        if (o->tls_cert) {
            st->cert = strdup(o->tls_cert);
            st->key = strdup(o->tls_key);
        } else {
            rc = tls_ensure_local(o->data, &st->cert, &st->key, err);
            if (rc)
                return rc;
        }
        st->ssl = tls_server_ctx(st->cert, st->key, err);
        if (!st->ssl)
            return err->code ? err->code : cmp_error_set(err, CMP_EIO, "TLS set-up failed");
    }
    if (o->public_url) {
        size_t n = strlen(o->public_url);
        while (n && o->public_url[n - 1] == '/')
            n--;
        st->public_url = strndup(o->public_url, n);
    }
    st->cfg.listeners = st->listeners;
    st->cfg.listener_count = o->listen_count;
    st->cfg.public_url = st->public_url;
    st->cfg.ssl_ctx = st->ssl;
    st->cfg.threads = o->threads;
    st->cfg.store_location = o->store ? o->store : o->data;
    st->cfg.keys = st->keys;
    st->cfg.tenants = o->tenants;
    st->cfg.paging_key = st->paging_key;
    st->cfg.page_size = o->page_size ? o->page_size : API_PAGE_SIZE;
    return 0;
}

static void release(struct serve_state *st)
{
    auth_keys_free(st->keys);
    if (st->ssl)
        SSL_CTX_free(st->ssl);
    free(st->cert);
    free(st->key);
    free(st->public_url);
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    struct serve_state st;
    struct http_server *srv = NULL;
    struct cmp_error err = {0};
    sigset_t set;
    size_t i;
    int sig = 0;
    int rc = parse(argc, argv, &o);

    if (rc)
        return rc == 1 ? 0 : rc;
    memset(&st, 0, sizeof st);
    /* Threads inherit the mask: only this thread receives the stop signals, via sigwait(). */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    rc = prepare(&o, &st, &err);
    if (!rc)
        rc = http_server_start(&st.cfg, &srv, &err);
    if (rc) {
        fprintf(stderr, "cmpd: %s\n", cmp_error_message(&err));
        release(&st);
        return 1;
    }
    for (i = 0; i < o.listen_count; i++)
        log_info("listening on %s", o.listen[i]);
    if (o.store)
        log_info("ready (store %s, keys in the store)", st.backend);
    else
        log_info("ready (data %s, store %s)", o.data, st.backend);
    while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
        ;
    log_info("stopping on signal %d", sig);
    http_server_stop(srv);
    release(&st);
    log_info("stopped");
    return 0;
}
