/*
 * http/server.h - the HTTP(S) server: listeners, one h2o event loop per thread, and the request
 * pipeline of STYLE.md section 5 (route -> authenticate -> method -> tenant -> permission ->
 * handler -> response).
 *
 * Each thread owns its loop, its own listening sockets (SO_REUSEPORT, so the kernel spreads
 * connections) and its own store connection.  Handlers run on the loop: a read is a short store
 * call on the loop's connection; a partner write is queued for the store's group committer
 * (store_write_async, where the backend has one) and the loop serves other requests until the
 * committer hands the result back, then answers.
 */
#ifndef CMP_HTTP_SERVER_H
#define CMP_HTTP_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "api/throttle.h"
#include "store/store.h"

struct auth_cloud;
struct auth_keys;
struct cmp_error;
struct http_fault_config;
struct http_server;

struct http_listener {
    bool tls;
    char host[256]; /* numeric address or name, without brackets */
    char port[8];
};

struct http_config {
    const struct http_listener *listeners;
    size_t listener_count;
    const char *public_url; /* NULL: scheme and Host of each request */
    SSL_CTX *ssl_ctx;       /* required when a listener has tls */
    unsigned threads;       /* event loops; 0 = one per core */
    const char *store_location;
    enum store_durability durability; /* of acknowledged writes (STORE_DURABLE_DISK: fsync) */
    const struct auth_keys *keys;
    const struct auth_cloud *cloud;
    enum api_tenant_mode tenants;
    const unsigned char *paging_key; /* API_PAGING_KEY_LEN bytes */
    size_t page_size;                /* items per listing page */
    bool random_ids;                 /* --ids v4: random GUIDs for new partners, not v7 */
    bool access_log;                 /* write a JSON line per request to access_log_fd */
    int access_log_fd;
    size_t max_connections;      /* open connections per process (0: HTTP_DEFAULT_MAX_CONNS) */
    unsigned request_timeout_ms; /* to receive a request, and keep-alive idle (0: default) */
    size_t max_url;              /* path and query, in bytes (0: HTTP_DEFAULT_MAX_URL) */
    size_t max_header_bytes;     /* names and values of all headers (0: default) */
    /* Throttling: off unless throttle.on. */
    struct api_throttle throttle;
    /* Fault injection (http/fault.h): NULL or not on: none. */
    const struct http_fault_config *fault;
};

#define HTTP_DEFAULT_MAX_CONNS 4096
#define HTTP_DEFAULT_REQUEST_TIMEOUT_MS 10000
#define HTTP_DEFAULT_MAX_URL 16384
#define HTTP_DEFAULT_MAX_HEADER_BYTES 32768

/* Parse "http://host:port" / "https://[::1]:8443".  0 or CMP_EBADREQUEST with `err`. */
int http_listener_parse(const char *url, struct http_listener *out, struct cmp_error *err);

/*
 * Is the listener's address free?  Bound once without SO_REUSEPORT and closed: 0, or CMP_EIO
 * with "cannot listen on HOST:PORT: ..." (for a port in use, asking whether another cmpd or
 * server listens there).  http_server_start() checks again just before it binds.
 */
int http_listener_check(const struct http_listener *l, struct cmp_error *err);

/*
 * Bind every listener, open the stores and start the threads.  On success *out runs until
 * http_server_stop().  The config must outlive the server.
 */
int http_server_start(const struct http_config *cfg, struct http_server **out,
                      struct cmp_error *err);

/* Stop accepting, let the loops finish what is in flight (bounded), join, release everything. */
void http_server_stop(struct http_server *s);

/* ---- for the in-process fuzz target and tests ---- */

/*
 * A server of one worker that runs on the caller's thread: no listener (cfg->listener_count must
 * be 0, else CMP_EBADREQUEST), no thread.  It serves the connections handed in with
 * http__test_accept() while the caller turns its loop with http__test_run().  Same pipeline and
 * errors as http_server_start(); release it with http__test_free() (never http_server_stop()).
 */
int http__test_new(const struct http_config *cfg, struct http_server **out, struct cmp_error *err);

/* Serve the connected stream socket `fd` as if accepted; the server owns (and closes) it. */
void http__test_accept(struct http_server *s, int fd);

/* Run the loop once, waiting at most `ms` milliseconds.  Returns the connections still open
 * plus the requests whose write is still queued (0: nothing left to do). */
size_t http__test_run(struct http_server *s, int ms);

/* Requests whose write is queued for the group commit (the loop should wait for them). */
size_t http__test_pending(const struct http_server *s);

/* Let open connections finish (bounded, as a stop does), then release everything. */
void http__test_free(struct http_server *s);

#endif
