/*
 * http/fault.c - fault injection (fault.h): the --fault-* options, the per-loop PRNG, the
 * decision for one request, and the timer that holds delayed requests.
 *
 * Nothing here reads the network: the options come from the command line, the environment or
 * the config file.  The errors themselves are built by api/throttle.c (api_throttle_refusal), the
 * same as the throttle's.
 */
#include "http/fault.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"

void http_fault_init(struct http_fault_config *f)
{
    memset(f, 0, sizeof *f);
    f->status_429 = true;
    f->status_503 = true;
    f->retry_after = 1;
    f->latency_rate = 1.0;
}

/* A fraction in [0, 1]: a plain decimal ("0.3", "1", ".25"), no sign, no exponent. */
static int parse_fraction(const char *v, double *out, char *why, size_t n)
{
    const char *p;
    char *end;
    double d;

    for (p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            break;
    errno = 0;
    d = *v && !*p ? strtod(v, &end) : NAN;
    if (*p || !*v || errno || *end || isnan(d) || d < 0.0 || d > 1.0) {
        snprintf(why, n, "a fraction from 0 to 1 (0.25: a quarter), not '%s'", v);
        return -1;
    }
    *out = d;
    return 0;
}

/* A decimal number in [min, max] of at most 19 digits; `end` gets what follows it. */
static int parse_number(const char *v, unsigned long long max, unsigned long long *out,
                        const char **end)
{
    unsigned long long x = 0;
    const char *p = v;

    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (x > (max - (unsigned long long)(*p - '0')) / 10)
            return -1;
        x = x * 10 + (unsigned long long)(*p - '0');
    }
    *out = x;
    *end = p;
    return 0;
}

static int set_status(struct http_fault_config *f, const char *v, char *why, size_t n)
{
    bool s429 = false;
    bool s503 = false;
    const char *p = v;

    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 3 && strncmp(p, "429", 3) == 0) {
            s429 = true;
        } else if (len == 3 && strncmp(p, "503", 3) == 0) {
            s503 = true;
        } else {
            snprintf(why, n, "429, 503 or 429,503, not '%s'", v);
            return -1;
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    f->status_429 = s429;
    f->status_503 = s503;
    return 0;
}

static int set_latency(struct http_fault_config *f, const char *v, char *why, size_t n)
{
    unsigned long long lo;
    unsigned long long hi;
    const char *end;

    if (parse_number(v, HTTP_FAULT_MAX_LATENCY_MS, &lo, &end))
        goto bad;
    hi = lo;
    if (*end == '-' && parse_number(end + 1, HTTP_FAULT_MAX_LATENCY_MS, &hi, &end))
        goto bad;
    if (*end)
        goto bad;
    if (hi < lo) {
        snprintf(why, n, "MIN-MAX with MIN at most MAX, not '%s'", v);
        return -1;
    }
    if (hi == 0) {
        snprintf(why, n, "a delay of at least 1 ms, not '%s'", v);
        return -1;
    }
    f->latency_min_ms = (unsigned)lo;
    f->latency_max_ms = (unsigned)hi;
    return 0;
bad:
    snprintf(why, n, "milliseconds MS or MIN-MAX, each 0..%d, not '%s'", HTTP_FAULT_MAX_LATENCY_MS,
             v);
    return -1;
}

static int set_tenant(struct http_fault_config *f, const char *v, bool first, char *why, size_t n)
{
    static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    size_t i;

    if (first)
        f->tenant_count = 0;
    for (i = 0; form[i] && v[i]; i++)
        if (form[i] == '-' ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
            break;
    if (form[i] || v[i]) {
        snprintf(why, n, "a tenant id (GUID), not '%s'", v);
        return -1;
    }
    if (f->tenant_count == HTTP_FAULT_MAX_TENANTS) {
        snprintf(why, n, "at most %d tenants", HTTP_FAULT_MAX_TENANTS);
        return -1;
    }
    for (i = 0; i < UUID_STR_LEN; i++)
        f->tenants[f->tenant_count][i] = (char)tolower((unsigned char)v[i]);
    f->tenants[f->tenant_count][UUID_STR_LEN] = '\0';
    f->tenant_count++;
    return 0;
}

int http_fault_set(struct http_fault_config *f, enum http_fault_opt opt, const char *v, bool first,
                   char *why, size_t n)
{
    unsigned long long x;
    const char *end;
    int rc = 0;

    switch (opt) {
    case HTTP_FAULT_RATE:
        rc = parse_fraction(v, &f->rate, why, n);
        break;
    case HTTP_FAULT_STATUS:
        rc = set_status(f, v, why, n);
        break;
    case HTTP_FAULT_RETRY_AFTER:
        if (parse_number(v, HTTP_FAULT_MAX_RETRY_AFTER, &x, &end) || *end || x < 1) {
            snprintf(why, n, "whole seconds from 1 to %d, not '%s'", HTTP_FAULT_MAX_RETRY_AFTER, v);
            return -1;
        }
        f->retry_after = (int)x;
        break;
    case HTTP_FAULT_LATENCY:
        rc = set_latency(f, v, why, n);
        break;
    case HTTP_FAULT_LATENCY_RATE:
        rc = parse_fraction(v, &f->latency_rate, why, n);
        break;
    case HTTP_FAULT_SEED:
        if (parse_number(v, UINT64_MAX, &x, &end) || *end) {
            snprintf(why, n, "a whole number from 0 to %llu, not '%s'",
                     (unsigned long long)UINT64_MAX, v);
            return -1;
        }
        f->seed = (uint64_t)x;
        f->seeded = true;
        break;
    case HTTP_FAULT_TENANT:
        rc = set_tenant(f, v, first, why, n);
        break;
    default:
        snprintf(why, n, "unknown fault option");
        return -1;
    }
    if (!rc)
        f->given[opt] = true;
    return rc;
}

int http_fault_finish(struct http_fault_config *f, char *why, size_t n)
{
    static const char *const names[HTTP_FAULT__N] = {
        [HTTP_FAULT_STATUS] = "--fault-status",
        [HTTP_FAULT_RETRY_AFTER] = "--fault-retry-after",
        [HTTP_FAULT_LATENCY_RATE] = "--fault-latency-rate",
        [HTTP_FAULT_SEED] = "--fault-seed",
        [HTTP_FAULT_TENANT] = "--fault-tenant",
    };
    size_t i;

    if (f->given[HTTP_FAULT_LATENCY_RATE] && !f->given[HTTP_FAULT_LATENCY]) {
        snprintf(why, n, "--fault-latency-rate needs --fault-latency");
        return -1;
    }
    /* An explicit --fault-rate 0 turns errors off (a switch from the environment): no error. */
    if (!f->given[HTTP_FAULT_RATE] && !f->given[HTTP_FAULT_LATENCY])
        for (i = 0; i < HTTP_FAULT__N; i++)
            if (names[i] && f->given[i]) {
                snprintf(why, n, "%s needs --fault-rate or --fault-latency", names[i]);
                return -1;
            }
    f->on = f->rate > 0.0 || (f->latency_max_ms > 0 && f->latency_rate > 0.0);
    if (f->on && !f->seeded && random_bytes(&f->seed, sizeof f->seed))
        f->seed = (uint64_t)time(NULL);
    return 0;
}

void http_fault_describe(const struct http_fault_config *f, char *out, size_t n)
{
    const char *status = f->status_429 && f->status_503 ? "429,503" : f->status_429 ? "429" : "503";
    int k;

    k = snprintf(out, n,
                 "rate %g (%s, Retry-After %d s), latency %u-%u ms at rate %g, seed %llu%s, %s",
                 f->rate, status, f->retry_after, f->latency_min_ms, f->latency_max_ms,
                 f->latency_max_ms ? f->latency_rate : 0.0, (unsigned long long)f->seed,
                 f->seeded ? "" : " (random)", f->tenant_count ? "tenants:" : "every tenant");
    for (size_t i = 0; i < f->tenant_count && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, " %s", f->tenants[i]);
}

/* ---- the PRNG ---- */

void http_fault_rng_seed(struct http_fault_rng *r, uint64_t seed, unsigned loop)
{
    /* The loop number through one splitmix64 step, so neighbouring loops are far apart. */
    struct http_fault_rng mix = {seed ^ ((uint64_t)loop * 0xd1b54a32d192ed03u)};

    r->state = http_fault_rng_next(&mix);
}

uint64_t http_fault_rng_next(struct http_fault_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

double http_fault_rng_unit(struct http_fault_rng *r)
{
    return (double)(http_fault_rng_next(r) >> 11) * 0x1.0p-53;
}

static bool in_scope(const struct http_fault_config *f, const char *tenant)
{
    size_t i;

    if (!f->tenant_count)
        return true;
    for (i = 0; tenant && i < f->tenant_count; i++)
        if (strcasecmp(f->tenants[i], tenant) == 0)
            return true;
    return false;
}

void http_fault_decide(const struct http_fault_config *f, struct http_fault_rng *r,
                       const char *tenant, struct http_fault_decision *d)
{
    double err;
    uint64_t which;
    double late;
    uint64_t span;

    d->status = 0;
    d->delay_ms = 0;
    if (!f || !f->on || !in_scope(f, tenant))
        return;
    /* Always four draws, in this order. */
    err = http_fault_rng_unit(r);
    which = http_fault_rng_next(r);
    late = http_fault_rng_unit(r);
    span = http_fault_rng_next(r);
    if (err < f->rate)
        d->status = f->status_429 && f->status_503 ? (which >> 63 ? 503 : 429)
                    : f->status_429                ? 429
                                                   : 503;
    if (f->latency_max_ms && late < f->latency_rate)
        d->delay_ms =
            f->latency_min_ms + (unsigned)(span % (f->latency_max_ms - f->latency_min_ms + 1u));
}

/* ---- holding requests ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void http_fault_loop_init(struct http_fault_loop *fl, const struct http_fault_config *cfg,
                          h2o_loop_t *loop, unsigned index, const atomic_bool *stopping)
{
    memset(fl, 0, sizeof *fl);
    fl->cfg = cfg && cfg->on ? cfg : NULL;
    fl->loop = loop;
    fl->stopping = stopping;
    if (!fl->cfg)
        return;
    http_fault_rng_seed(&fl->rng, cfg->seed, index);
    h2o_timeout_init(loop, &fl->tick, HTTP_FAULT_TICK_MS);
    fl->ticking = true;
}

void http_fault_loop_fini(struct http_fault_loop *fl)
{
    if (fl->ticking)
        h2o_timeout_dispose(fl->loop, &fl->tick);
    fl->ticking = false;
}

/* A tick of a held request: let it go once due (or when the server stops), else wait on. */
static void on_tick(h2o_timeout_entry_t *entry)
{
    struct http_fault_wait *w = H2O_STRUCT_FROM_MEMBER(struct http_fault_wait, entry, entry);

    if (now_ms() >= w->due_ms || (w->fl->stopping && atomic_load(w->fl->stopping))) {
        w->resume(w);
        return;
    }
    h2o_timeout_link(w->fl->loop, &w->fl->tick, &w->entry);
}

void http_fault_hold(struct http_fault_loop *fl, struct http_fault_wait *w, unsigned delay_ms,
                     void (*resume)(struct http_fault_wait *w))
{
    memset(w, 0, sizeof *w);
    w->fl = fl;
    w->due_ms = now_ms() + delay_ms;
    w->resume = resume;
    w->entry.cb = on_tick;
    h2o_timeout_link(fl->loop, &fl->tick, &w->entry);
}
