/*
 * http/server.c - listeners and event-loop threads over libh2o-evloop.
 */
#include <errno.h>
#include <h2o.h>
#include <h2o/socket/evloop.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/token_cache.h"
#include "core/err.h"
#include "core/log.h"
#include "http/server_impl.h"
#include "store/store.h"

/* Loops wake this often to notice a stop request (milliseconds). */
#define LOOP_TICK_MS 100
/* After a stop request, loops keep running at most this long to finish responses in flight. */
#define DRAIN_MS 2000
#define FLUSH_MS 200

int http_listener_parse(const char *url, struct http_listener *out, struct cmp_error *err)
{
    const char *p = url;
    const char *host;
    const char *host_end;
    const char *port;
    size_t n;

    memset(out, 0, sizeof *out);
    if (strncmp(p, "https://", 8) == 0) {
        out->tls = true;
        p += 8;
    } else if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else {
        return cmp_error_set(err, CMP_EBADREQUEST,
                             "listener '%s': expected http://HOST:PORT or https://HOST:PORT", url);
    }
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end[1] != ':')
            return cmp_error_set(err, CMP_EBADREQUEST, "listener '%s': bad IPv6 address", url);
        port = host_end + 2;
    } else {
        host = p;
        host_end = strrchr(p, ':');
        if (!host_end)
            return cmp_error_set(err, CMP_EBADREQUEST, "listener '%s': missing port", url);
        port = host_end + 1;
    }
    n = (size_t)(host_end - host);
    if (n == 0 || n >= sizeof out->host)
        return cmp_error_set(err, CMP_EBADREQUEST, "listener '%s': bad host", url);
    memcpy(out->host, host, n);
    n = strcspn(port, "/");
    if (n == 0 || n >= sizeof out->port || strspn(port, "0123456789") != n ||
        (port[n] && strcmp(port + n, "/") != 0))
        return cmp_error_set(err, CMP_EBADREQUEST, "listener '%s': bad port", url);
    memcpy(out->port, port, n);
    return 0;
}

/*
 * A socket bound to the listener's address.  `share`: one of the loops' listening sockets
 * (SO_REUSEPORT, so that the kernel spreads connections over them).  Else a probe, bound and
 * closed before those: SO_REUSEPORT would as gladly share the port with another process that
 * set it (a second cmpd started by mistake, which would then get half the connections), and a
 * socket without it fails there with EADDRINUSE.
 */
static int bind_listener(const struct http_listener *l, bool share, int *out, struct cmp_error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res;
    int one = 1;
    int fd;
    int grc = getaddrinfo(l->host, l->port, &hints, &res);

    if (grc)
        return cmp_error_set(err, CMP_EIO, "cannot resolve %s: %s", l->host, gai_strerror(grc));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        (share && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ||
        (res->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one)) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || (share && listen(fd, SOMAXCONN))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return cmp_error_set(
            err, CMP_EIO, "cannot listen on %s:%s: %s%s", l->host, l->port, strerror(e),
            e == EADDRINUSE ? " (is another cmpd or server listening there?)" : "");
    }
    freeaddrinfo(res);
    if (share)
        *out = fd;
    else
        close(fd);
    return 0;
}

int http_listener_check(const struct http_listener *l, struct cmp_error *err)
{
    return bind_listener(l, false, NULL, err);
}

static void on_accept(h2o_socket_t *listener, const char *err);

/*
 * At the connection cap a loop stops reading its listeners: new connections wait in the kernel's
 * backlog (not refused, not served) until one closes.  Never while stopping (the listeners are
 * closed then).
 */
static void pause_listeners(struct http_worker *w, bool pause)
{
    size_t i;

    if (w->paused == pause || atomic_load(&w->srv->stopping))
        return;
    w->paused = pause;
    for (i = 0; i < w->srv->cfg->listener_count; i++) {
        if (!w->socks[i])
            continue;
        if (pause)
            h2o_socket_read_stop(w->socks[i]);
        else
            h2o_socket_read_start(w->socks[i], on_accept);
    }
}

static void on_conn_close(void *data)
{
    struct http_conn *c = data;
    struct http_worker *w = c->w;

    metrics_add(&w->metrics.connections_open, -1);
    h2o_linklist_unlink(&c->link);
    free(c);
    w->open--;
    if (w->paused && w->open < w->max_open)
        pause_listeners(w, false);
}

/* Track the accepted `sock` in w->conns and hand it to h2o (which closes it when done). */
static void serve(struct http_worker *w, h2o_accept_ctx_t *actx, h2o_socket_t *sock)
{
    struct http_conn *c = calloc(1, sizeof *c); /* h2o_linklist_insert wants a zeroed node */

    if (!c) {
        h2o_socket_close(sock);
        return;
    }
    c->sock = sock;
    c->w = w;
    metrics_add(&w->metrics.connections, 1);
    metrics_add(&w->metrics.connections_open, 1);
    h2o_linklist_insert(&w->conns, &c->link);
    sock->on_close.cb = on_conn_close;
    sock->on_close.data = c;
    if (++w->open >= w->max_open)
        pause_listeners(w, true);
    h2o_accept(actx, sock);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_accept_ctx_t *actx = listener->data;
    h2o_socket_t *sock;

    if (err)
        return;
    sock = h2o_evloop_socket_accept(listener);
    if (sock)
        serve((struct http_worker *)actx->ctx, actx, sock);
}

/*
 * h2o 2.2 does not close idle HTTP/1 keep-alive connections when asked to shut down: end their
 * read side, so h2o sees the peer's end of input and closes each connection itself.
 */
static void end_reads(struct http_worker *w)
{
    h2o_linklist_t *n;

    for (n = w->conns.next; n != &w->conns; n = n->next) {
        struct http_conn *c = H2O_STRUCT_FROM_MEMBER(struct http_conn, link, n);
        shutdown(h2o_socket_get_fd(c->sock), SHUT_RD);
    }
}

/* No connection, handshake or other work left that holds a timer of the context. */
static bool connections_gone(h2o_context_t *ctx)
{
    h2o_timeout_t *timers[] = {&ctx->zero_timeout,
                               &ctx->one_sec_timeout,
                               &ctx->hundred_ms_timeout,
                               &ctx->handshake_timeout,
                               &ctx->http1.req_timeout,
                               &ctx->http2.idle_timeout,
                               &ctx->http2.graceful_shutdown_timeout,
                               &ctx->proxy.io_timeout};
    size_t i;

    if (!h2o_linklist_is_empty(&ctx->http1._conns) || !h2o_linklist_is_empty(&ctx->http2._conns))
        return false;
    for (i = 0; i < sizeof timers / sizeof *timers; i++)
        if (!h2o_linklist_is_empty(&timers[i]->_entries)) {
            log_debug("timer %zu still armed", i);
            return false;
        }
    return true;
}

/*
 * Ask open connections to finish (idle HTTP/1 ones close, HTTP/2 ones get GOAWAY) and give
 * responses in flight a bounded time; w->drained says whether every connection closed.
 */
static void drain(struct http_worker *w)
{
    int64_t drained = 0;

    h2o_context_request_shutdown(&w->ctx);
    while (!connections_gone(&w->ctx) && drained < DRAIN_MS) {
        /* Responses being written get FLUSH_MS to leave before idle connections are ended. */
        if (drained == FLUSH_MS)
            end_reads(w);
        h2o_evloop_run(w->loop, 10);
        drained += 10;
    }
    w->drained = connections_gone(&w->ctx);
    /* A queued write is always answered by its committer (within the store's busy timeout);
     * its request, if still there, is answered and the memory freed. */
    while (w->pending)
        h2o_evloop_run(w->loop, 10);
}

/*
 * The queue on which the group committer hands finished writes back.  Created by the thread that
 * runs the loop: an h2o socket takes its buffers from the creating thread's (thread-local) pool.
 */
static void start_receiving(struct http_worker *w)
{
    w->write_queue = h2o_multithread_create_queue(w->loop);
    h2o_multithread_register_receiver(w->write_queue, &w->write_receiver, http__on_write_done);
}

/* Once nothing is pending: no message can come any more. */
static void stop_receiving(struct http_worker *w)
{
    if (!w->write_queue)
        return;
    h2o_multithread_unregister_receiver(w->write_queue, &w->write_receiver);
    h2o_multithread_destroy_queue(w->write_queue);
    w->write_queue = NULL;
    h2o_evloop_run(w->loop, 0); /* let the loop free the queue's socket */
}

static void *worker_main(void *arg)
{
    struct http_worker *w = arg;
    struct http_server *s = w->srv;
    char name[16];
    size_t i;

    /* Named for top -H, perf and gdb: "cmpd-http0", "cmpd-http1", ... */
    snprintf(name, sizeof name, "cmpd-http%u", (unsigned)(w - s->workers));
    pthread_setname_np(pthread_self(), name);
    start_receiving(w);
    for (i = 0; i < s->cfg->listener_count; i++) {
        w->socks[i] = h2o_evloop_socket_create(w->loop, w->fds[i], H2O_SOCKET_FLAG_DONT_READ);
        w->socks[i]->data = &w->accept[i];
        h2o_socket_read_start(w->socks[i], on_accept);
    }
    while (!atomic_load(&s->stopping))
        h2o_evloop_run(w->loop, LOOP_TICK_MS);
    /* Stop accepting, then let the open connections finish. */
    for (i = 0; i < s->cfg->listener_count; i++) {
        h2o_socket_read_stop(w->socks[i]);
        h2o_socket_close(w->socks[i]);
        w->socks[i] = NULL;
    }
    drain(w);
    stop_receiving(w);
    return NULL;
}

static void set_diagnostic(struct http_server *s)
{
    char host[64] = "cmpd";

    gethostname(host, sizeof host - 1);
    host[strcspn(host, "\"\\")] = '\0';
    snprintf(s->diagnostic, sizeof s->diagnostic,
             "{\"ServerInfo\":{\"DataCenter\":\"cmpd\",\"Slice\":\"E\",\"Ring\":\"0\","
             "\"ScaleUnit\":\"000\",\"RoleInstance\":\"%s\"}}",
             host);
}

static int init_worker(struct http_server *s, struct http_worker *w, struct cmp_error *err)
{
    const struct http_config *cfg = s->cfg;
    size_t n;
    size_t i;
    int rc;

    w->srv = s;
    h2o_linklist_init_anchor(&w->conns);
    buf_init(&w->log_line, HTTP_MAX_LOG_LINE);
    /* At least one of each: a test server (no listener) serves its connections through
     * accept[0]. */
    n = cfg->listener_count ? cfg->listener_count : 1;
    w->accept = calloc(n, sizeof *w->accept);
    w->socks = calloc(n, sizeof *w->socks);
    w->fds = calloc(n, sizeof *w->fds);
    if (!w->accept || !w->socks || !w->fds)
        return cmp_error_set(err, CMP_ENOMEM, "out of memory");
    for (i = 0; i < cfg->listener_count; i++)
        w->fds[i] = -1;
    w->tokens = auth_token_cache_new(0);
    if (!w->tokens)
        return cmp_error_set(err, CMP_ENOMEM, "out of memory");
    rc = store_open(cfg->store_location, &w->store, err);
    if (!rc)
        rc = store_set_durability(w->store, cfg->durability, err);
    if (rc)
        return rc;
    w->loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->loop, &s->globalconf);
    http_fault_loop_init(&w->fault, cfg->fault, w->loop, (unsigned)(w - s->workers), &s->stopping);
    for (i = 0; i < cfg->listener_count; i++) {
        rc = bind_listener(&cfg->listeners[i], true, &w->fds[i], err);
        if (rc)
            return rc;
        w->accept[i].ctx = &w->ctx;
        w->accept[i].hosts = s->globalconf.hosts;
        w->accept[i].ssl_ctx = cfg->listeners[i].tls ? cfg->ssl_ctx : NULL;
    }
    return 0;
}

static void free_worker(struct http_worker *w, size_t listeners)
{
    size_t i;

    buf_fini(&w->log_line);
    /* A context whose connections did not finish in time cannot be disposed (h2o asserts its
     * timers are empty); the process is exiting, so its memory is left to the exit. */
    if (w->loop && (w->drained || !w->started)) {
        http_fault_loop_fini(&w->fault);
        h2o_context_dispose(&w->ctx);
        h2o_evloop_destroy(w->loop);
    } else if (w->loop) {
        log_warn("connections still open after %d ms; closing without draining", DRAIN_MS);
    }
    for (i = 0; w->fds && i < listeners; i++)
        if (w->fds[i] >= 0 && !w->started)
            close(w->fds[i]);
    store_close(w->store);
    auth_token_cache_free(w->tokens);
    free(w->accept);
    free(w->socks);
    free(w->fds);
}

static void free_server(struct http_server *s)
{
    unsigned i;

    for (i = 0; i < s->worker_count; i++)
        free_worker(&s->workers[i], s->cfg->listener_count);
    free(s->workers);
    h2o_config_dispose(&s->globalconf);
    free(s);
}

/* The server of `cfg` with `workers` workers initialised, no thread started yet. */
static int server_new(const struct http_config *cfg, unsigned workers, struct http_server **out,
                      struct cmp_error *err)
{
    struct http_server *s = calloc(1, sizeof *s);
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    struct http_handler *h;
    uint64_t timeout;
    size_t max_conns = cfg->max_connections ? cfg->max_connections : HTTP_DEFAULT_MAX_CONNS;
    unsigned i;
    int rc = 0;

    if (!s)
        return cmp_error_set(err, CMP_ENOMEM, "out of memory");
    s->cfg = cfg;
    atomic_init(&s->stopping, false);
    set_diagnostic(s);
    h2o_config_init(&s->globalconf);
    s->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("cmpd"));
    /* Bodies up to API_MAX_BODY reach the handler; a little above that it answers a Graph 413. */
    s->globalconf.max_request_entity_size = 4 * API_MAX_BODY;
    /* A request (head and body) must arrive within the timeout, and an idle connection closes
     * after it: a slow or silent client holds a connection for that long, no longer. */
    timeout = cfg->request_timeout_ms ? cfg->request_timeout_ms : HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
    s->globalconf.http1.req_timeout = timeout;
    s->globalconf.http2.idle_timeout = timeout;
    s->globalconf.handshake_timeout = timeout;
    host = h2o_config_register_host(&s->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h = (struct http_handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = http__on_req;
    h->srv = s;
    s->workers = calloc(workers, sizeof *s->workers);
    if (!s->workers) {
        free_server(s);
        return cmp_error_set(err, CMP_ENOMEM, "out of memory");
    }
    s->worker_count = workers; /* only now: free_server() walks the workers */
    for (i = 0; i < s->worker_count && !rc; i++) {
        /* The cap is shared out between the loops (each accepts on its own listener). */
        s->workers[i].max_open = (max_conns + workers - 1) / workers;
        rc = init_worker(s, &s->workers[i], err);
    }
    if (rc) {
        free_server(s);
        return rc;
    }
    *out = s;
    return 0;
}

int http_server_start(const struct http_config *cfg, struct http_server **out,
                      struct cmp_error *err)
{
    struct http_server *s;
    unsigned workers = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    unsigned i;
    int rc;

    if (workers == 0 || workers > 64)
        workers = 1;
    for (i = 0; i < cfg->listener_count; i++) {
        rc = http_listener_check(&cfg->listeners[i], err);
        if (rc)
            return rc;
    }
    rc = server_new(cfg, workers, &s, err);
    if (rc)
        return rc;
    for (i = 0; i < s->worker_count && !rc; i++) {
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]))
            rc = cmp_error_set(err, CMP_EIO, "cannot start a thread");
        else
            s->workers[i].started = true;
    }
    if (rc) {
        http_server_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

void http_server_stop(struct http_server *s)
{
    unsigned i;

    if (!s)
        return;
    atomic_store(&s->stopping, true);
    for (i = 0; i < s->worker_count; i++)
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
    free_server(s);
}

/* ---- for the in-process fuzz target and tests ---- */

int http__test_new(const struct http_config *cfg, struct http_server **out, struct cmp_error *err)
{
    struct http_server *s;
    struct http_worker *w;
    int rc;

    if (cfg->listener_count)
        return cmp_error_set(err, CMP_EBADREQUEST, "a test server binds no listener");
    rc = server_new(cfg, 1, &s, err);
    if (rc)
        return rc;
    w = &s->workers[0];
    w->accept[0].ctx = &w->ctx;
    w->accept[0].hosts = s->globalconf.hosts;
    /* It runs, on the caller's thread: free_worker() disposes of it only once drained. */
    w->started = true;
    start_receiving(w);
    *out = s;
    return 0;
}

void http__test_accept(struct http_server *s, int fd)
{
    struct http_worker *w = &s->workers[0];

    serve(w, &w->accept[0],
          h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION));
}

size_t http__test_run(struct http_server *s, int ms)
{
    struct http_worker *w = &s->workers[0];
    size_t n = 0;
    h2o_linklist_t *l;

    h2o_evloop_run(w->loop, ms);
    for (l = w->conns.next; l != &w->conns; l = l->next)
        n++;
    return n + w->pending;
}

size_t http__test_pending(const struct http_server *s)
{
    return s->workers[0].pending;
}

void http__test_free(struct http_server *s)
{
    if (!s)
        return;
    drain(&s->workers[0]);
    stop_receiving(&s->workers[0]);
    free_server(s);
}
