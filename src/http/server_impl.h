/*
 * http/server_impl.h - what server.c and request.c share (not for other modules).
 */
#ifndef CMP_HTTP_SERVER_IMPL_H
#define CMP_HTTP_SERVER_IMPL_H

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/buf.h"
#include "http/fault.h"
#include "http/metrics.h"
#include "http/server.h"

struct auth_token_cache;
struct store;

/* Longest access-log line (the path is the longest field; --max-url-length is at most 256 KiB). */
#define HTTP_MAX_LOG_LINE (1024 * 1024)

struct http_worker {
    h2o_context_t ctx; /* first: a request finds its worker from req->conn->ctx */
    struct http_server *srv;
    h2o_evloop_t *loop;
    struct store *store;             /* this thread's connection */
    struct auth_token_cache *tokens; /* bearer tokens this loop verified */
    h2o_accept_ctx_t *accept;        /* one per listener */
    h2o_socket_t **socks;            /* one per listener */
    int *fds;
    pthread_t thread;
    bool started;
    bool drained;         /* every connection closed before the thread ended */
    h2o_linklist_t conns; /* struct http_conn: the sockets this loop accepted and still holds */
    struct http_metrics metrics; /* written by this loop only */
    size_t open;                 /* connections in `conns` */
    size_t max_open;             /* at most this many; then the listeners pause */
    bool paused;                 /* listeners not read while at max_open */
    struct buf log_line;         /* the access-log line being written, reused */
    /* Writes queued for the group commit come back here (http__on_write_done). */
    h2o_multithread_queue_t *write_queue;
    h2o_multithread_receiver_t write_receiver;
    size_t pending;               /* requests whose write is queued, or held by a fault delay */
    struct http_fault_loop fault; /* --fault-*: this loop's PRNG and held requests */
};

/* An accepted socket, tracked so that a stop can close idle keep-alive connections. */
struct http_conn {
    h2o_linklist_t link;
    h2o_socket_t *sock;
    struct http_worker *w;
};

struct http_handler {
    h2o_handler_t super;
    struct http_server *srv;
};

struct http_server {
    const struct http_config *cfg;
    h2o_globalconf_t globalconf;
    struct http_worker *workers;
    unsigned worker_count;
    atomic_bool stopping;
    char diagnostic[256]; /* x-ms-ags-diagnostic value */
};

/* dispatch(): the request waits for its queued write. */
#define HTTP_PENDING (-1)

/* The request pipeline (request.c). */
int http__on_req(h2o_handler_t *self, h2o_req_t *req);
/* Answer the requests whose queued writes ran (the worker's write_receiver). */
void http__on_write_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

#endif
