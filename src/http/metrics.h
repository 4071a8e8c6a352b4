/*
 * http/metrics.h - the service's counters, and their Prometheus text exposition (GET /metrics).
 *
 * Each event loop owns one `struct http_metrics` and is its only writer; GET /metrics, served by
 * any loop, reads all of them.  Counters are C11 atomics written with relaxed loads and stores
 * (no read-modify-write is needed with one writer), so counting costs a plain add.
 */
#ifndef CMP_HTTP_METRICS_H
#define CMP_HTTP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* What a request was, for its labels. */
enum metrics_route {
    MR_LIST,
    MR_GET,
    MR_CREATE,
    MR_UPDATE,
    MR_DELETE,
    MR_COUNT,
    MR_METADATA,
    MR_SERVICE,
    MR_HEALTHZ,
    MR_READYZ,
    MR_METRICS,
    MR_BATCH,
    MR_NONE, /* no route: unknown path, wrong method */
    MR__N
};

enum metrics_method { MM_GET, MM_HEAD, MM_POST, MM_PATCH, MM_PUT, MM_DELETE, MM_OTHER, MM__N };

/* The statuses cmpd sends, each its own label value; anything else counts as "other". */
#define METRICS_STATUSES 21
/* Latency histogram upper bounds, in microseconds (then +Inf). */
#define METRICS_BUCKETS 12

/* Injected faults (--fault-*), by kind. */
enum metrics_fault {
    METRICS_FAULT_429,
    METRICS_FAULT_503,
    METRICS_FAULT_LATENCY,
    METRICS_FAULT__N
};

struct http_metrics {
    _Atomic uint64_t requests[MR__N][MM__N][METRICS_STATUSES + 1];
    _Atomic uint64_t latency[MR__N][METRICS_BUCKETS + 1]; /* non-cumulative; last is +Inf */
    _Atomic uint64_t latency_sum_us[MR__N];
    _Atomic uint64_t store_errors;     /* requests that failed in the store (5xx from it) */
    _Atomic uint64_t throttled;        /* 429 responses */
    _Atomic uint64_t connections;      /* accepted */
    _Atomic uint64_t connections_open; /* accepted and not yet closed */
    _Atomic uint64_t faults[METRICS_FAULT__N];
};

enum metrics_method metrics_method(const char *m, size_t n);

/* Count one request: its route, method, status and duration in microseconds. */
void metrics_request(struct http_metrics *m, enum metrics_route r, enum metrics_method method,
                     int status, uint64_t us);

/* Add `d` to a counter of `m` (its only writer calls this). */
void metrics_add(_Atomic uint64_t *counter, int64_t d);

/*
 * Write the sum of `n` loops' metrics as Prometheus text (version 0.0.4) into `out`.
 * 0, or CMP_ENOMEM.
 */
int metrics_write(struct buf *out, struct http_metrics *const *loops, size_t n);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
