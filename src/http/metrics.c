/*
 * http/metrics.c - counting requests and writing them out for Prometheus (metrics.h).
 *
 * Series (all counters but the gauge):
 *   cmpd_http_requests_total{route,method,status}
 *   cmpd_http_request_duration_seconds{route} (histogram: _bucket{le}, _sum, _count)
 *   cmpd_store_errors_total, cmpd_throttled_requests_total
 *   cmpd_connections_total, cmpd_open_connections (gauge)
 *   cmpd_faults_injected_total{kind="429"|"503"|"latency"} (fault injection; an injected 429 also
 *   counts in cmpd_throttled_requests_total, which counts every 429 sent)
 * A series that never counted anything is left out, so a scrape stays small.
 */
#include "http/metrics.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

static const char *const route_names[MR__N] = {
    [MR_LIST] = "list",         [MR_GET] = "get",         [MR_CREATE] = "create",
    [MR_UPDATE] = "update",     [MR_DELETE] = "delete",   [MR_COUNT] = "count",
    [MR_METADATA] = "metadata", [MR_SERVICE] = "service", [MR_HEALTHZ] = "healthz",
    [MR_READYZ] = "readyz",     [MR_METRICS] = "metrics", [MR_BATCH] = "batch",
    [MR_NONE] = "none",
};

static const char *const method_names[MM__N] = {
    [MM_GET] = "GET", [MM_HEAD] = "HEAD",     [MM_POST] = "POST",   [MM_PATCH] = "PATCH",
    [MM_PUT] = "PUT", [MM_DELETE] = "DELETE", [MM_OTHER] = "OTHER",
};

static const int statuses[METRICS_STATUSES] = {200, 201, 204, 400, 401, 403, 404,
                                               405, 406, 408, 411, 413, 414, 415,
                                               429, 431, 500, 501, 502, 503, 504};

static const uint64_t bucket_us[METRICS_BUCKETS] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000,
};

enum metrics_method metrics_method(const char *m, size_t n)
{
    int i;

    for (i = 0; i < MM_OTHER; i++)
        if (strlen(method_names[i]) == n && memcmp(method_names[i], m, n) == 0)
            return (enum metrics_method)i;
    return MM_OTHER;
}

void metrics_add(_Atomic uint64_t *counter, int64_t d)
{
    uint64_t v = atomic_load_explicit(counter, memory_order_relaxed);

    atomic_store_explicit(counter, v + (uint64_t)d, memory_order_relaxed);
}

static size_t status_index(int status)
{
    size_t i;

    for (i = 0; i < METRICS_STATUSES; i++)
        if (statuses[i] == status)
            return i;
    return METRICS_STATUSES;
}

void metrics_request(struct http_metrics *m, enum metrics_route r, enum metrics_method method,
                     int status, uint64_t us)
{
    size_t b;

    metrics_add(&m->requests[r][method][status_index(status)], 1);
    for (b = 0; b < METRICS_BUCKETS && us > bucket_us[b]; b++)
        ;
    metrics_add(&m->latency[r][b], 1);
    metrics_add(&m->latency_sum_us[r], (int64_t)us);
    if (status == 429)
        metrics_add(&m->throttled, 1);
}

static uint64_t get(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* The sum over every loop of the counter at `field` of loops[0]. */
static uint64_t sum_at(struct http_metrics *const *loops, size_t n, const _Atomic uint64_t *field)
{
    size_t off = (size_t)((const char *)field - (const char *)loops[0]);
    uint64_t s = 0;
    size_t k;

    for (k = 0; k < n; k++)
        s += get((const _Atomic uint64_t *)(const void *)((const char *)loops[k] + off));
    return s;
}

#define SUM(field) (n ? sum_at(loops, n, &loops[0]->field) : 0)

static int write_requests(struct buf *out, struct http_metrics *const *loops, size_t n)
{
    int rc = buf_puts(out, "# HELP cmpd_http_requests_total Requests answered.\n"
                           "# TYPE cmpd_http_requests_total counter\n");
    size_t r;
    size_t me;
    size_t s;

    for (r = 0; r < MR__N && !rc; r++)
        for (me = 0; me < MM__N && !rc; me++)
            for (s = 0; s <= METRICS_STATUSES && !rc; s++) {
                uint64_t v = SUM(requests[r][me][s]);
                char status[8];
                if (!v)
                    continue;
                if (s < METRICS_STATUSES)
                    snprintf(status, sizeof status, "%d", statuses[s]);
                else
                    snprintf(status, sizeof status, "other");
                rc = buf_printf(out,
                                "cmpd_http_requests_total{route=\"%s\",method=\"%s\","
                                "status=\"%s\"} %llu\n",
                                route_names[r], method_names[me], status, (unsigned long long)v);
            }
    return rc;
}

static int write_latency(struct buf *out, struct http_metrics *const *loops, size_t n)
{
    int rc = buf_puts(out, "# HELP cmpd_http_request_duration_seconds Time from the request "
                           "to its response.\n"
                           "# TYPE cmpd_http_request_duration_seconds histogram\n");
    size_t r;
    size_t b;

    for (r = 0; r < MR__N && !rc; r++) {
        uint64_t cum = 0;
        uint64_t total = 0;
        for (b = 0; b <= METRICS_BUCKETS; b++)
            total += SUM(latency[r][b]);
        if (!total)
            continue;
        for (b = 0; b < METRICS_BUCKETS && !rc; b++) {
            cum += SUM(latency[r][b]);
            rc = buf_printf(out,
                            "cmpd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                            "%llu\n",
                            route_names[r], (double)bucket_us[b] / 1e6, (unsigned long long)cum);
        }
        if (!rc)
            rc = buf_printf(out,
                            "cmpd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                            "%llu\n"
                            "cmpd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                            "cmpd_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                            route_names[r], (unsigned long long)total, route_names[r],
                            (double)SUM(latency_sum_us[r]) / 1e6, route_names[r],
                            (unsigned long long)total);
    }
    return rc;
}

static int write_faults(struct buf *out, struct http_metrics *const *loops, size_t n)
{
    static const char *const kinds[METRICS_FAULT__N] = {
        [METRICS_FAULT_429] = "429",
        [METRICS_FAULT_503] = "503",
        [METRICS_FAULT_LATENCY] = "latency",
    };
    int rc = buf_puts(out, "# HELP cmpd_faults_injected_total Faults injected (--fault-*).\n"
                           "# TYPE cmpd_faults_injected_total counter\n");
    size_t k;

    for (k = 0; k < METRICS_FAULT__N && !rc; k++) {
        uint64_t v = SUM(faults[k]);
        if (v)
            rc = buf_printf(out, "cmpd_faults_injected_total{kind=\"%s\"} %llu\n", kinds[k],
                            (unsigned long long)v);
    }
    return rc;
}

int metrics_write(struct buf *out, struct http_metrics *const *loops, size_t n)
{
    int rc = write_requests(out, loops, n);

    if (!rc)
        rc = write_latency(out, loops, n);
    if (!rc)
        rc = buf_printf(out,
                        "# HELP cmpd_store_errors_total Requests that failed in the store.\n"
                        "# TYPE cmpd_store_errors_total counter\n"
                        "cmpd_store_errors_total %llu\n"
                        "# HELP cmpd_throttled_requests_total Requests refused with 429.\n"
                        "# TYPE cmpd_throttled_requests_total counter\n"
                        "cmpd_throttled_requests_total %llu\n"
                        "# HELP cmpd_connections_total Connections accepted.\n"
                        "# TYPE cmpd_connections_total counter\n"
                        "cmpd_connections_total %llu\n"
                        "# HELP cmpd_open_connections Connections open now.\n"
                        "# TYPE cmpd_open_connections gauge\n"
                        "cmpd_open_connections %llu\n",
                        (unsigned long long)SUM(store_errors), (unsigned long long)SUM(throttled),
                        (unsigned long long)SUM(connections),
                        (unsigned long long)SUM(connections_open));
    if (!rc)
        rc = write_faults(out, loops, n);
    return rc ? CMP_ENOMEM : 0;
}
