/*
 * cmd/serve.c - `cmpd serve`: configuration, keys, TLS material, the server, and signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "cmd/cmd.h"
#include "cmd/config.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "http/fault.h"
#include "http/server.h"
#include "http/tls.h"
#include "store/store.h"

#define MAX_LISTENERS 16

static const char synopsis[] = "usage: cmpd serve [options]\n";

/* The --throttle-* values, in serve_opts.throttle_limit. */
enum {
    THR_TENANT_WRITES,
    THR_TENANT_REQUESTS,
    THR_APP_WRITES,
    THR_APP_REQUESTS,
    THR_WINDOW,
    THR__N
};

/* Largest --throttle-* limit. */
#define THROTTLE_MAX_LIMIT 100000000

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
    int tenants;            /* enum api_tenant_mode: the index of --tenants' choice */
    int durability;         /* enum store_durability, likewise */
    long threads;           /* 0: one per core */
    long page_size;         /* 0: API_PAGE_SIZE */
    int ids;                /* 0: v7, 1: v4 */
    const char *access_log; /* a path, "-" (stdout, the default) or "off" */
    long max_connections;   /* 0: the default */
    long request_timeout;   /* seconds; 0: the default */
    long max_url;
    long max_header_bytes;
    int throttle;                   /* -1: not given, 0: off, 1: intune */
    long throttle_limit[THR__N];    /* -1 when not given */
    const char *config;             /* read first, by cmd_config_parse() */
    struct http_fault_config fault; /* --fault-* */
    const char *seed;               /* JSON lines loaded before the listeners open (cmd/data.c) */
};

#define OPTS(p) ((struct serve_opts *)(p))

/* The choice options store the index of the name given: the enums follow the names' order. */
_Static_assert(API_TENANTS_AUTO == 0 && API_TENANTS_REGISTERED == 1, "--tenants auto|registered");
_Static_assert(STORE_DURABLE_DISK == 0 && STORE_DURABLE_PROCESS == 1, "--durability disk|process");

static int set_listen(void *o, const char *v, bool first, char *why, size_t n)
{
    struct serve_opts *s = OPTS(o);

    if (first)
        s->listen_count = 0; /* a later source replaces the listeners of an earlier one */
    if (s->listen_count == MAX_LISTENERS) {
        snprintf(why, n, "at most %d listeners", MAX_LISTENERS);
        return -1;
    }
    s->listen[s->listen_count++] = v;
    return 0;
}

static int set_cloud(void *o, const char *v, bool first, char *why, size_t n)
{
    (void)first;
    if (!auth_cloud_find(v)) {
        snprintf(why, n, "global, usgov, usgov-dod or china, not '%s'", v);
        return -1;
    }
    OPTS(o)->cloud = v;
    return 0;
}

/* The --fault-* options: each one's value goes to http_fault_set() (http/fault.c parses them). */
#define FAULT_SETTER(fn, opt)                                                                      \
    static int fn(void *o, const char *v, bool first, char *why, size_t n)                         \
    {                                                                                              \
        return http_fault_set(&OPTS(o)->fault, opt, v, first, why, n);                             \
    }
FAULT_SETTER(set_fault_rate, HTTP_FAULT_RATE)
FAULT_SETTER(set_fault_status, HTTP_FAULT_STATUS)
FAULT_SETTER(set_fault_retry_after, HTTP_FAULT_RETRY_AFTER)
FAULT_SETTER(set_fault_latency, HTTP_FAULT_LATENCY)
FAULT_SETTER(set_fault_latency_rate, HTTP_FAULT_LATENCY_RATE)
FAULT_SETTER(set_fault_seed, HTTP_FAULT_SEED)
FAULT_SETTER(set_fault_tenant, HTTP_FAULT_TENANT)

/* Every option of `cmpd serve`, in --help order. */
static const struct cmd_opt serve_options[] = {
    CMD_OPT_STRING("data", "DIR", "data directory (default ./cmpd-data): cmpd.db, keys/, tls/",
                   struct serve_opts, data),
    CMD_OPT_STRING("store", "LOCATION",
                   "the store instead of DIR/cmpd.db: postgres://... (shared by\n"
                   "several instances), sqlite:PATH or a directory; the keys then\n"
                   "live in the store",
                   struct serve_opts, store),
    CMD_OPT_FN("listen", "URL",
               "http://HOST:PORT or https://HOST:PORT; repeatable\n"
               "(default https://127.0.0.1:8443 and http://127.0.0.1:8080)",
               true, set_listen),
    CMD_OPT_STRING("public-url", "URL",
                   "root written into @odata.context, nextLink and Location\n"
                   "(default: nextLink and Location name the scheme and Host\n"
                   "of each request, @odata.context the cloud's Graph root)",
                   struct serve_opts, public_url),
    CMD_OPT_STRING("tls-cert", "FILE", "certificate chain (PEM) for https listeners",
                   struct serve_opts, tls_cert),
    CMD_OPT_STRING("tls-key", "FILE", "its private key (PEM); without both, a local CA in DIR/tls/",
                   struct serve_opts, tls_key),
    CMD_OPT_STRING("jwks", "FILE", "also accept tokens signed by the keys of this JWKS file",
                   struct serve_opts, jwks),
    CMD_OPT_CHOICE("tenants", "MODE",
                   "auto (default: unknown tenants are registered, licensed) or\n"
                   "registered (only tenants added with `cmpd tenant add`)",
                   struct serve_opts, tenants, "auto", "registered"),
    CMD_OPT_FN("cloud", "NAME",
               "global (default), usgov, usgov-dod or china: the token\n"
               "audiences and issuers accepted, the Graph root of @odata.context",
               false, set_cloud),
    CMD_OPT_CHOICE("durability", "MODE",
                   "disk (default): a write is answered once it is on disk (fsync), surviving\n"
                   "power loss; process: once the data survives a crash of cmpd, not of the\n"
                   "machine (SQLite synchronous=NORMAL; PostgreSQL commits stay on disk)",
                   struct serve_opts, durability, "disk", "process"),
    CMD_OPT_LONG("threads", "N", "event loops, 1..64 (default: one per core)", struct serve_opts,
                 threads, 1, 64),
    CMD_OPT_LONG("page-size", "N",
                 "items per listing page, 1..1000 (default 1000); $top above it\n"
                 "is clamped",
                 struct serve_opts, page_size, 1, API_PAGE_SIZE),
    CMD_OPT_CHOICE("ids", "KIND",
                   "ids of new partners: v7 (default: GUIDs that begin with their\n"
                   "creation time, so they sort in creation order and cost the index\n"
                   "less) or v4 (random GUIDs)",
                   struct serve_opts, ids, "v7", "v4"),
    CMD_OPT_STRING("access-log", "PATH",
                   "a JSON line per request to PATH (appended, mode 0600), - for\n"
                   "standard output (the default), or off",
                   struct serve_opts, access_log),
    CMD_OPT_LONG("max-connections", "N",
                 "open connections at most (default 4096, or what the file\n"
                 "descriptor limit allows); more wait in the listen backlog",
                 struct serve_opts, max_connections, 1, 1000000),
    CMD_OPT_LONG("request-timeout", "SECONDS",
                 "a request (head and body) must arrive within it, and an idle\n"
                 "connection is closed after it (default 10)",
                 struct serve_opts, request_timeout, 1, 3600),
    CMD_OPT_LONG("max-url-length", "BYTES", "longer path and query: 414 (default 16384)",
                 struct serve_opts, max_url, 256, 262144),
    CMD_OPT_LONG("max-header-size", "BYTES",
                 "larger request headers, all together: 431 (default 32768)", struct serve_opts,
                 max_header_bytes, 1024, 262144),
    CMD_OPT_CHOICE("throttle", "MODE",
                   "off (default) or intune: 429 TooManyRequests past Intune's\n"
                   "limits per 20 s - per tenant 200 writes (POST, PUT, PATCH,\n"
                   "DELETE) and 2000 requests, per app in a tenant 100 and 1000;\n"
                   "on PostgreSQL for all instances together",
                   struct serve_opts, throttle, "off", "intune"),
    CMD_OPT_LONG("throttle-tenant-writes", "N",
                 "writes per window per tenant (0: no limit); any --throttle-*\n"
                 "option turns throttling on, with Intune's values for the others",
                 struct serve_opts, throttle_limit[THR_TENANT_WRITES], 0, THROTTLE_MAX_LIMIT),
    CMD_OPT_LONG("throttle-tenant-requests", "N", "requests per window per tenant",
                 struct serve_opts, throttle_limit[THR_TENANT_REQUESTS], 0, THROTTLE_MAX_LIMIT),
    CMD_OPT_LONG("throttle-app-writes", "N", "writes per window per application in a tenant",
                 struct serve_opts, throttle_limit[THR_APP_WRITES], 0, THROTTLE_MAX_LIMIT),
    CMD_OPT_LONG("throttle-app-requests", "N", "requests per window per application in a tenant",
                 struct serve_opts, throttle_limit[THR_APP_REQUESTS], 0, THROTTLE_MAX_LIMIT),
    CMD_OPT_LONG("throttle-window", "SECONDS", "the sliding window, 1..3600 (default 20)",
                 struct serve_opts, throttle_limit[THR_WINDOW], 1, STORE_THROTTLE_MAX_WINDOW),
    CMD_OPT_FN("fault-rate", "P",
               "fault injection for client testing, off by default: answer this\n"
               "fraction (0..1) of authorised API requests with an injected 429\n"
               "TooManyRequests or 503 ServiceUnavailable, with Retry-After",
               false, set_fault_rate),
    CMD_OPT_FN("fault-status", "LIST", "which: 429, 503 or 429,503 (default, drawn evenly)", false,
               set_fault_status),
    CMD_OPT_FN("fault-retry-after", "SECONDS", "the injected Retry-After, 1..3600 (default 1)",
               false, set_fault_retry_after),
    CMD_OPT_FN("fault-latency", "MS",
               "delay API requests by MS, or MIN-MAX drawn uniformly (0..60000);\n"
               "the loop serves others meanwhile",
               false, set_fault_latency),
    CMD_OPT_FN("fault-latency-rate", "P", "fraction of requests delayed, 0..1 (default 1)", false,
               set_fault_latency_rate),
    CMD_OPT_FN("fault-seed", "N",
               "seed of the fault draws: with --threads 1 the same request\n"
               "sequence gets the same faults in every run (default: random)",
               false, set_fault_seed),
    CMD_OPT_FN("fault-tenant", "GUID",
               "inject faults for this tenant only; repeatable (default all)", true,
               set_fault_tenant),
    CMD_OPT_STRING("seed", "FILE",
                   "load the partners of FILE (the JSON lines of cmpd export) before listening;\n"
                   "ids already stored are skipped, so a restart keeps later changes;\n"
                   "the file's tenants are registered",
                   struct serve_opts, seed),
    CMD_OPT_STRING("config", "FILE", "read options from FILE first (default $CMPD_CONFIG)",
                   struct serve_opts, config),
};

#define SERVE_OPTION_COUNT (sizeof serve_options / sizeof *serve_options)

static int parse(int argc, char **argv, struct serve_opts *o, struct arena *a)
{
    char why[256];
    size_t i;
    int rc;

    memset(o, 0, sizeof *o);
    o->data = CMD_DEFAULT_DATA;
    o->cloud = "global";
    o->access_log = "-";
    o->throttle = -1;
    for (i = 0; i < THR__N; i++)
        o->throttle_limit[i] = -1;
    http_fault_init(&o->fault);
    rc = cmd_config_parse("serve", synopsis, serve_options, SERVE_OPTION_COUNT, argc, argv, o, a);
    if (rc)
        return rc;
    if (http_fault_finish(&o->fault, why, sizeof why)) {
        fprintf(stderr, "cmpd serve: %s\n", why);
        return 2;
    }
    if (!o->tls_cert != !o->tls_key) {
        fputs("cmpd serve: --tls-cert and --tls-key go together\n", stderr);
        return 2;
    }
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
    int access_log_fd;   /* an opened --access-log file, else -1 */
};

_Static_assert(CMD_PAGING_KEY_LEN == API_PAGING_KEY_LEN, "one $skiptoken key length");

/*
 * The connection cap: `asked`, or the default; the file descriptor limit is raised to its hard
 * maximum first, and the cap kept below it (listeners, store, logs need descriptors too).
 */
static size_t connection_cap(size_t asked)
{
    struct rlimit rl;
    size_t cap = asked ? asked : HTTP_DEFAULT_MAX_CONNS;
    size_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cap;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return cap;
    room = rl.rlim_cur > 128 ? (size_t)rl.rlim_cur - 64 : 64;
    if (cap > room) {
        log_warn("serve: %zu connections would pass the file descriptor limit; capping at %zu", cap,
                 room);
        cap = room;
    }
    return cap;
}

/*
 * The throttling of --throttle and --throttle-*: on with `intune`, or when a --throttle-* option is
 * given and --throttle is not `off` (an explicit off wins: a switch to turn it off from the
 * environment whatever the file says); Intune's values for what is not given.
 */
static void throttle_config(const struct serve_opts *o, struct api_throttle *t)
{
    const long *v = o->throttle_limit;
    bool any = false;
    size_t i;

    memset(t, 0, sizeof *t);
    for (i = 0; i < THR__N; i++)
        any |= v[i] >= 0;
    if (o->throttle == 0 || (o->throttle < 0 && !any))
        return;
    api_throttle_intune(t);
    if (v[THR_TENANT_WRITES] >= 0)
        t->tenant_writes = (uint32_t)v[THR_TENANT_WRITES];
    if (v[THR_TENANT_REQUESTS] >= 0)
        t->tenant_requests = (uint32_t)v[THR_TENANT_REQUESTS];
    if (v[THR_APP_WRITES] >= 0)
        t->app_writes = (uint32_t)v[THR_APP_WRITES];
    if (v[THR_APP_REQUESTS] >= 0)
        t->app_requests = (uint32_t)v[THR_APP_REQUESTS];
    if (v[THR_WINDOW] >= 0)
        t->window_s = (int)v[THR_WINDOW];
    log_info("throttling: per %d s, per tenant %u writes and %u requests, per application %u "
             "writes and %u requests (0: no limit)",
             t->window_s, t->tenant_writes, t->tenant_requests, t->app_writes, t->app_requests);
}

static int prepare(const struct serve_opts *o, struct serve_state *st, struct cmp_error *err)
{
    struct store *probe;
    bool any_tls = false;
    size_t i;
    int rc;

    /* A port in use is refused before anything is created (data directory, keys, schema). */
    for (i = 0; i < o->listen_count; i++) {
        rc = http_listener_parse(o->listen[i], &st->listeners[i], err);
        rc = rc ? rc : http_listener_check(&st->listeners[i], err);
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
    if (o->seed) {
        struct cmd_import_result seeded = {0};
        rc = cmd_seed(probe, o->seed, &seeded, err);
        if (rc) {
            store_close(probe);
            return rc;
        }
        log_info("seed %s: %lld partners loaded, %lld already there", o->seed,
                 (long long)seeded.imported, (long long)seeded.skipped);
    }
    /* The same connection reads (or first stores) the keys when they live in the store. */
    rc = cmd_keys_from(o->data, o->store ? probe : NULL, o->jwks, &st->keys, st->paging_key, err);
    store_close(probe);
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
    st->cfg.threads = (unsigned)o->threads;
    st->cfg.store_location = o->store ? o->store : o->data;
    st->cfg.durability = (enum store_durability)o->durability;
    st->cfg.keys = st->keys;
    st->cfg.tenants = (enum api_tenant_mode)o->tenants;
    st->cfg.paging_key = st->paging_key;
    st->cfg.page_size = o->page_size ? (size_t)o->page_size : API_PAGE_SIZE;
    st->cfg.random_ids = o->ids == 1;
    st->cfg.max_connections = connection_cap((size_t)o->max_connections);
    st->cfg.request_timeout_ms = (unsigned)o->request_timeout * 1000;
    st->cfg.max_url = (size_t)o->max_url;
    st->cfg.max_header_bytes = (size_t)o->max_header_bytes;
    throttle_config(o, &st->cfg.throttle);
    st->cfg.fault = o->fault.on ? &o->fault : NULL;
    if (strcmp(o->access_log, "off") == 0) {
        st->cfg.access_log = false;
    } else if (strcmp(o->access_log, "-") == 0) {
        st->cfg.access_log = true;
        st->cfg.access_log_fd = STDOUT_FILENO;
    } else {
        st->access_log_fd =
            open(o->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (st->access_log_fd < 0)
            return cmp_error_set(err, CMP_EIO, "cannot open the access log %s: %s", o->access_log,
                                 strerror(errno));
        st->cfg.access_log = true;
        st->cfg.access_log_fd = st->access_log_fd;
    }
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
    if (st->access_log_fd >= 0)
        close(st->access_log_fd);
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    struct serve_state st;
    struct http_server *srv = NULL;
    struct cmp_error err = {0};
    struct arena *a = arena_new(0); /* option values read from the environment or a file */
    const char *durability;
    sigset_t set;
    size_t i;
    int sig = 0;
    int rc = a ? parse(argc, argv, &o, a) : 2;

    if (rc) {
        arena_free(a);
        return rc == 1 ? 0 : rc;
    }
    memset(&st, 0, sizeof st);
    st.access_log_fd = -1;
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
        arena_free(a);
        return 1;
    }
    if (o.fault.on) {
        char what[1024];
        http_fault_describe(&o.fault, what, sizeof what);
        log_warn("FAULT INJECTION IS ON: API requests get injected errors and delays (%s); for "
                 "client testing only, never in production",
                 what);
    }
    for (i = 0; i < o.listen_count; i++)
        log_info("listening on %s", o.listen[i]);
    durability = o.durability == STORE_DURABLE_PROCESS ? "process" : "disk";
    if (o.store)
        log_info("ready (store %s, keys in the store, durability %s)", st.backend, durability);
    else
        log_info("ready (data %s, store %s, durability %s)", o.data, st.backend, durability);
    while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
        ;
    log_info("stopping on signal %d", sig);
    http_server_stop(srv);
    release(&st);
    arena_free(a);
    log_info("stopped");
    return 0;
}
