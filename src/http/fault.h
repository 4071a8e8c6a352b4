/*
 * http/fault.h - fault injection for client testing (--fault-*), off by default: a fraction of
 * the authorised API requests answered with 429 TooManyRequests or 503 ServiceUnavailable (with
 * Retry-After), and added latency, for every tenant or for chosen ones.
 *
 * The decisions come from a small PRNG (splitmix64) that each event loop owns: with a fixed seed
 * (--fault-seed), the k-th request that reaches the fault point on loop i gets the same fault in
 * every run, whatever the others do; with --threads 1, the same request sequence sees the same
 * faults.  Each request in scope takes exactly four draws (error?, which status, delayed?, how
 * long), so one request's fate never depends on another's.
 *
 * A delay holds the request on a timer of its loop (an h2o timeout ticking every
 * HTTP_FAULT_TICK_MS, never a sleep): the loop serves other requests meanwhile.
 */
#ifndef CMP_HTTP_FAULT_H
#define CMP_HTTP_FAULT_H

#include <h2o.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_FAULT_MAX_TENANTS 64
#define HTTP_FAULT_MAX_LATENCY_MS 60000
#define HTTP_FAULT_MAX_RETRY_AFTER 3600
/* How often a loop with held requests looks at their deadlines (milliseconds). */
#define HTTP_FAULT_TICK_MS 2

/* The --fault-* options, each parsed by http_fault_set(). */
enum http_fault_opt {
    HTTP_FAULT_RATE,         /* P in [0, 1] */
    HTTP_FAULT_STATUS,       /* 429, 503 or 429,503 */
    HTTP_FAULT_RETRY_AFTER,  /* seconds, 1..HTTP_FAULT_MAX_RETRY_AFTER */
    HTTP_FAULT_LATENCY,      /* MS or MIN-MAX, 0..HTTP_FAULT_MAX_LATENCY_MS */
    HTTP_FAULT_LATENCY_RATE, /* P in [0, 1] */
    HTTP_FAULT_SEED,         /* 0..2^64-1 */
    HTTP_FAULT_TENANT,       /* a tenant GUID; repeatable */
    HTTP_FAULT__N
};

struct http_fault_config {
    bool on;         /* set by http_fault_finish(): an error rate or a latency */
    double rate;     /* fraction of requests in scope answered with an error */
    bool status_429; /* the statuses drawn from (evenly when both) */
    bool status_503;
    int retry_after;         /* seconds, in the header and the body */
    unsigned latency_min_ms; /* the delay, drawn uniformly in [min, max]; max 0: none */
    unsigned latency_max_ms;
    double latency_rate; /* fraction of requests in scope delayed */
    uint64_t seed;       /* --fault-seed, or random (seeded false) */
    bool seeded;
    char tenants[HTTP_FAULT_MAX_TENANTS][37]; /* lowercase GUIDs; none: every tenant */
    size_t tenant_count;
    bool given[HTTP_FAULT__N]; /* which options were given */
};

/* No fault: rate 0, both statuses, Retry-After 1, no latency (latency rate 1 once given). */
void http_fault_init(struct http_fault_config *f);

/*
 * Take the value `v` of option `opt` (`first`: the first value of a repeatable option from a new
 * source, which drops the earlier ones).  0, or -1 with a message for the user in why[n].
 */
int http_fault_set(struct http_fault_config *f, enum http_fault_opt opt, const char *v, bool first,
                   char *why, size_t n);

/*
 * Check the options together and set f->on; draw a seed when none was given.  0, or -1 with a
 * message in why[n] (an option that does nothing without --fault-rate or --fault-latency).
 */
int http_fault_finish(struct http_fault_config *f, char *why, size_t n);

/* A one-line description of `f` for the start-up warning. */
void http_fault_describe(const struct http_fault_config *f, char *out, size_t n);

/* ---- the PRNG: splitmix64 (Steele, Lea, Flood 2014), one per loop ---- */

struct http_fault_rng {
    uint64_t state;
};

/* The generator of loop `loop` for `seed`: loops of one seed draw different sequences. */
void http_fault_rng_seed(struct http_fault_rng *r, uint64_t seed, unsigned loop);

uint64_t http_fault_rng_next(struct http_fault_rng *r);

/* A double in [0, 1), from the top 53 bits of the next draw. */
double http_fault_rng_unit(struct http_fault_rng *r);

/* What happens to one request. */
struct http_fault_decision {
    int status;        /* 0 (none), 429 or 503 */
    unsigned delay_ms; /* 0: none */
};

/*
 * Decide for one authorised API request of `tenant` (lowercase or not).  A tenant out of scope
 * takes no draw and gets no fault; one in scope always takes four draws.
 */
void http_fault_decide(const struct http_fault_config *f, struct http_fault_rng *r,
                       const char *tenant, struct http_fault_decision *d);

/* ---- holding requests on a loop ---- */

/* A loop's fault state: its PRNG and the timer of held requests. */
struct http_fault_loop {
    const struct http_fault_config *cfg; /* NULL or !cfg->on: off */
    struct http_fault_rng rng;
    h2o_loop_t *loop;
    h2o_timeout_t tick;
    const atomic_bool *stopping; /* when set, held requests are let go at the next tick */
    bool ticking;                /* `tick` was initialised */
};

/* A held request; the caller owns it (in the request's memory) until `resume` runs. */
struct http_fault_wait {
    h2o_timeout_entry_t entry;
    struct http_fault_loop *fl;
    uint64_t due_ms; /* CLOCK_MONOTONIC */
    void (*resume)(struct http_fault_wait *w);
};

/* Set up loop number `index` (0-based) for `cfg` (NULL: off). */
void http_fault_loop_init(struct http_fault_loop *fl, const struct http_fault_config *cfg,
                          h2o_loop_t *loop, unsigned index, const atomic_bool *stopping);

/* Release the timer; nothing may be held any more. */
void http_fault_loop_fini(struct http_fault_loop *fl);

/* Hold `w` for `delay_ms`, then call `resume` on the loop (earlier once the server stops). */
void http_fault_hold(struct http_fault_loop *fl, struct http_fault_wait *w, unsigned delay_ms,
                     void (*resume)(struct http_fault_wait *w));

#endif
