/*
 * tests/fuzz/fuzz_request.c - whole HTTP/1.1 requests through the real server, in-process.
 *
 * The input is the raw bytes a client sends on one connection: request line, headers, body, and
 * as many pipelined requests as it likes.  They are written to one end of a socketpair whose
 * other end the server serves as an accepted connection: http__test_new() gives the router,
 * authentication, tenant admission, handlers, access log (into /dev/null) and SQLite store of
 * `cmpd serve`, on one loop on this thread.  The write side is then shut down and the loop turned
 * until the server closes the connection; the response is read and checked for one thing only:
 * no 500.
 *
 * Placeholders in the input are replaced by bearer tokens minted at start-up with the server's
 * key, so that requests get past authentication: {TOKEN} (app-only, ReadWrite, tenant A),
 * {TOKEN_RO} (delegated v2, Read, tenant A), {TOKEN_OTHER} (app-only, ReadWrite, tenant B),
 * {TOKEN_PERSONAL} (a personal account).  Before each input the store is reset to one partner
 * of tenant A with the id FUZZ_ID, so item routes can be reached and every input starts alike.
 *
 * A crash, a sanitizer report, a 500 response or a connection the server never closes is a
 * finding.  FUZZ_REQUEST_DUMP=1 prints every response (to see what an input reaches);
 * FUZZ_REQUEST_STORE=postgres://... runs on that PostgreSQL database instead of SQLite.
 * Seeds: tests/fuzz/corpus/fuzz_request/.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/jwt.h"
#include "auth/keys.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "graph/json_in.h"
#include "http/server.h"
#include "store/store.h"

#define FUZZ_TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define FUZZ_TENANT_OTHER "5b5d8e3a-0c8b-4d0e-9c55-2a1e1f3c9b10"
#define FUZZ_ID "9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f"
/* Small pages, so a few partners are enough to reach @odata.nextLink and $skiptoken. */
#define FUZZ_PAGE_SIZE 3
/* Loop turns (without waiting) before a connection still open counts as hung. */
#define MAX_TURNS 20000
/* Response bytes kept for the 500 check (the rest is read and dropped). */
#define MAX_KEPT (4 * 1024 * 1024)

/* The partner every input starts with (tenant A, id FUZZ_ID). */
static const char seed_partner[] =
    "{\"lastHeartbeatDateTime\":\"2016-12-31T23:59:37.9174975-08:00\","
    "\"partnerState\":\"enabled\",\"displayName\":\"Seed partner\",\"macOsOnboarded\":true,"
    "\"linuxOnboarded\":true,\"macOsEnrollmentAssignments\":[{\"target\":{\"@odata.type\":"
    "\"#microsoft.graph.groupAssignmentTarget\",\"groupId\":\"g1\","
    "\"deviceAndAppManagementAssignmentFilterId\":\"f1\","
    "\"deviceAndAppManagementAssignmentFilterType\":\"include\"}}],"
    "\"iosEnrollmentAssignments\":[{\"target\":{\"@odata.type\":"
    "\"#microsoft.graph.allLicensedUsersAssignmentTarget\"}}]}";

struct token {
    const char *placeholder;
    struct auth_mint mint;
    char *value; /* minted at start-up, in fx.arena */
};

/* Built once by LLVMFuzzerInitialize and kept for the process (libFuzzer calls from one thread). */
static struct {
    char dir[256];
    struct auth_keys *keys;
    struct arena *arena;
    unsigned char paging_key[API_PAGING_KEY_LEN];
    struct http_config cfg;
    struct http_server *srv;
    struct store *store; /* our own connection, to reset the data between inputs */
    struct graph_partner seed;
    bool dump;  /* FUZZ_REQUEST_DUMP=1: print each response on stderr */
    char *resp; /* MAX_KEPT bytes, reused by every input */
} fx;

static struct token tokens[] = {
    {"{TOKEN}",
     {FUZZ_TENANT, "DeviceManagementServiceConfig.ReadWrite.All", NULL, false, 0, NULL, NULL, 1},
     NULL},
    {"{TOKEN_RO}",
     {FUZZ_TENANT, NULL, "DeviceManagementServiceConfig.Read.All", false, 0, NULL, NULL, 2},
     NULL},
    {"{TOKEN_OTHER}",
     {FUZZ_TENANT_OTHER, "DeviceManagementConfiguration.ReadWrite.All", NULL, false, 0, NULL, NULL,
      1},
     NULL},
    {"{TOKEN_PERSONAL}",
     {NULL, NULL, "DeviceManagementServiceConfig.ReadWrite.All", true, 0, NULL, NULL, 2},
     NULL},
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const struct cmp_error *err)
{
    fprintf(stderr, "fuzz_request: %s: %s\n", what, err ? cmp_error_message(err) : "");
    abort();
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(void)
{
    nftw(fx.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Delete every partner of `tenant`. */
static void clear_tenant(const char *tenant)
{
    struct store_list_req req = {.limit = 100};
    struct store_page page;
    struct cmp_error err = {0};
    struct arena *a;
    size_t i;

    do {
        a = arena_new(0);
        if (!a || store_partner_list(fx.store, tenant, &req, a, &page, &err))
            die("list", &err);
        for (i = 0; i < page.n; i++)
            if (store_partner_delete(fx.store, tenant, page.items[i].id, &err))
                die("delete", &err);
        arena_free(a);
    } while (page.n);
}

static void reset_store(void)
{
    struct cmp_error err = {0};

    clear_tenant(FUZZ_TENANT);
    clear_tenant(FUZZ_TENANT_OTHER);
    if (store_partner_insert(fx.store, FUZZ_TENANT, &fx.seed, &err))
        die("insert", &err);
}

static void setup_store(void)
{
    const char *ids[] = {FUZZ_TENANT, FUZZ_TENANT_OTHER};
    struct cmp_error err = {0};
    size_t i;

    if (store_open(fx.cfg.store_location, &fx.store, &err))
        die("store_open", &err);
    for (i = 0; i < sizeof ids / sizeof *ids; i++) {
        struct store_tenant t = {.intune_licensed = true, .created = time_now()};
        memcpy(t.id, ids[i], sizeof t.id);
        if (store_tenant_put(fx.store, &t, true, &err))
            die("tenant_put", &err);
    }
    if (graph_partner_from_json(fx.arena, GRAPH_BETA, GRAPH_DECODE_CREATE, seed_partner,
                                sizeof seed_partner - 1, &fx.seed, &err))
        die("seed partner", &err);
    memcpy(fx.seed.id, FUZZ_ID, sizeof fx.seed.id);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    struct cmp_error err = {0};
    size_t i;

    (void)argc;
    (void)argv;
    /* The peer may close first: a write then fails with EPIPE instead of killing the process. */
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_ERROR);
    fx.dump = getenv("FUZZ_REQUEST_DUMP") && strcmp(getenv("FUZZ_REQUEST_DUMP"), "1") == 0;
    snprintf(fx.dir, sizeof fx.dir, "%s/cmpd-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx.dir))
        die("mkdtemp", NULL);
    atexit(remove_dir);
    fx.arena = arena_new(0);
    fx.resp = malloc(MAX_KEPT);
    if (!fx.arena || !fx.resp || auth__keys_ephemeral(NULL, &fx.keys, &err))
        die("keys", &err);
    for (i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        tokens[i].mint.expires_in = 30 * 24 * 3600;
        if (auth_jwt_mint(fx.keys, &auth_cloud_global, &tokens[i].mint, time_now(), fx.arena,
                          &tokens[i].value, &err))
            die("mint", &err);
        if (strlen(tokens[i].value) >= 2048) /* what substitute() makes room for */
            die("token too long", NULL);
    }
    memset(fx.paging_key, 0x5a, sizeof fx.paging_key);
    fx.cfg.threads = 1;
    /* An fsync per accepted write would only slow the search: what is fuzzed is the same. */
    fx.cfg.durability = STORE_DURABLE_PROCESS;
    /* FUZZ_REQUEST_STORE=postgres://...: the same on a PostgreSQL database (emptied as it goes). */
    fx.cfg.store_location = getenv("FUZZ_REQUEST_STORE") ? getenv("FUZZ_REQUEST_STORE") : fx.dir;
    fx.cfg.keys = fx.keys;
    fx.cfg.cloud = &auth_cloud_global;
    fx.cfg.tenants = API_TENANTS_AUTO;
    fx.cfg.paging_key = fx.paging_key;
    fx.cfg.page_size = FUZZ_PAGE_SIZE;
    /* Limits an input of a few KB can reach, so the 414 and 431 answers are exercised too. */
    fx.cfg.max_url = 1024;
    fx.cfg.max_header_bytes = 4096;
    /* The access log writes fuzzed methods, paths and ids as JSON: exercise it, into nothing. */
    fx.cfg.access_log = true;
    fx.cfg.access_log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fx.cfg.access_log_fd < 0)
        die("/dev/null", NULL);
    if (http__test_new(&fx.cfg, &fx.srv, &err))
        die("http__test_new", &err);
    setup_store();
    return 0;
}

#define TOKEN_COUNT (sizeof tokens / sizeof *tokens)

/* The token whose placeholder `p` (`left` bytes) starts with, or TOKEN_COUNT. */
static size_t placeholder_at(const uint8_t *p, size_t left)
{
    size_t t;

    for (t = 0; t < TOKEN_COUNT; t++) {
        size_t n = strlen(tokens[t].placeholder);
        if (left >= n && memcmp(p, tokens[t].placeholder, n) == 0)
            break;
    }
    return t;
}

/* The input with its placeholders replaced (malloc'd, *n bytes). */
static char *substitute(const uint8_t *data, size_t size, size_t *n)
{
    size_t cap = size + 1;
    size_t len = 0;
    size_t i;
    char *out;

    for (i = 0; i < size; i++)
        if (data[i] == '{')
            cap += 2048; /* a token is well below that */
    out = malloc(cap);
    if (!out)
        die("out of memory", NULL);
    for (i = 0; i < size;) {
        size_t t = data[i] == '{' ? placeholder_at(data + i, size - i) : TOKEN_COUNT;
        if (t < TOKEN_COUNT) {
            size_t vl = strlen(tokens[t].value);
            memcpy(out + len, tokens[t].value, vl);
            len += vl;
            i += strlen(tokens[t].placeholder);
        } else {
            out[len++] = (char)data[i++];
        }
    }
    *n = len;
    return out;
}

struct exchange {
    int fd; /* our end */
    const char *req;
    size_t req_len;
    size_t sent;
    bool shut;
    bool eof;   /* the server closed its end */
    char *resp; /* fx.resp */
    size_t resp_len;
};

static void send_some(struct exchange *x)
{
    ssize_t w;

    if (x->sent < x->req_len) {
        w = send(x->fd, x->req + x->sent, x->req_len - x->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            x->sent += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            x->sent = x->req_len; /* the server has gone: the rest cannot be sent */
    }
    if (x->sent == x->req_len && !x->shut) {
        shutdown(x->fd, SHUT_WR);
        x->shut = true;
    }
}

static void receive_some(struct exchange *x)
{
    char sink[16384];
    ssize_t r;

    for (;;) {
        r = recv(x->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            x->eof = true;
            return;
        }
        if (r < 0)
            return;
        if (x->resp_len < MAX_KEPT) {
            size_t keep = (size_t)r < MAX_KEPT - x->resp_len ? (size_t)r : MAX_KEPT - x->resp_len;
            memcpy(x->resp + x->resp_len, sink, keep);
            x->resp_len += keep;
        }
    }
}

/*
 * Graph's InternalError is a server bug whatever the request; its status line cannot occur
 * inside a body or header cmpd writes (those never carry a raw CR LF).
 */
static void check_no_500(const struct exchange *x)
{
    static const char line[] = " 500 Internal Server Error\r\n";
    const char *p = x->resp;
    const char *end = x->resp + x->resp_len;
    const char *hit;

    while ((hit = memmem(p, (size_t)(end - p), line, sizeof line - 1))) {
        if (hit - x->resp >= 8 && memcmp(hit - 8, "HTTP/1.", 7) == 0) {
            fprintf(stderr, "fuzz_request: a 500 response:\n%.*s\n", (int)(end - (hit - 8)),
                    hit - 8);
            abort();
        }
        p = hit + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct exchange x = {0};
    int sv[2];
    size_t open = 1;
    size_t turn;

    reset_store();
    x.req = substitute(data, size, &x.req_len);
    x.resp = fx.resp;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        die("socketpair", NULL);
    x.fd = sv[0];
    http__test_accept(fx.srv, sv[1]);
    for (turn = 0; turn < MAX_TURNS && (open || !x.eof); turn++) {
        send_some(&x);
        receive_some(&x);
        /* A queued write comes back from the committer's thread: wait for it, briefly. */
        open = http__test_run(fx.srv, http__test_pending(fx.srv) ? 1 : 0);
    }
    if (open) {
        fprintf(stderr, "fuzz_request: the server kept the connection open after %d turns\n",
                MAX_TURNS);
        abort();
    }
    if (fx.dump)
        fprintf(stderr, "%.*s\n----\n", (int)x.resp_len, x.resp);
    check_no_500(&x);
    close(x.fd);
    free((void *)x.req);
    return 0;
}
