/*
 * api/throttle.h - throttling as Intune does it (graph-conventions.md 8): sliding windows per
 * tenant (all its applications) and per application in a tenant, writes (POST, PUT, PATCH,
 * DELETE) and all requests counted separately; a write counts toward both.  Over a limit: 429
 * TooManyRequests with Retry-After.  The counting is the store's (store_throttle_take), so on
 * PostgreSQL the limits hold for every instance together.
 */
#ifndef CMP_API_THROTTLE_H
#define CMP_API_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmp_error;
struct store;
struct store_throttle_key;

/* Intune's published limits, per 20 seconds. */
#define API_THROTTLE_WINDOW 20
#define API_THROTTLE_TENANT_WRITES 200
#define API_THROTTLE_TENANT_REQUESTS 2000
#define API_THROTTLE_APP_WRITES 100
#define API_THROTTLE_APP_REQUESTS 1000

/* Keys of one check: the tenant's and the application's, writes and all requests. */
#define API_THROTTLE_KEYS 4
/* Longest key name: "a:" tenant ":" app id ":w" with the app id at most 128 bytes (a longer one
 * is replaced by a digest of it). */
#define API_THROTTLE_APP_ID_MAX 128
#define API_THROTTLE_KEY_MAX (2 + 36 + 1 + API_THROTTLE_APP_ID_MAX + 2 + 1)

struct api_throttle {
    bool on;                  /* off: every request passes uncounted */
    uint32_t tenant_writes;   /* per tenant, all applications; 0: no limit */
    uint32_t tenant_requests; /* idem, any method */
    uint32_t app_writes;      /* per application in a tenant */
    uint32_t app_requests;
    int window_s; /* 1..STORE_THROTTLE_MAX_WINDOW */
};

/* Intune's limits and window, on. */
void api_throttle_intune(struct api_throttle *t);

/* Is `method` (n bytes) a write: POST, PUT, PATCH or DELETE? */
bool api_throttle_is_write(const char *method, size_t n);

/*
 * The counters of one request into keys[API_THROTTLE_KEYS] (names in `names`, API_THROTTLE_KEYS of
 * API_THROTTLE_KEY_MAX bytes); returns how many: 4 for a write, 2 for a read (the write counters
 * are not touched by reads).  Names: "t:<tenant>:w", "t:<tenant>:*", "a:<tenant>:<app>:w",
 * "a:<tenant>:<app>:*".
 */
size_t api_throttle_keys(const struct api_throttle *t, const char *tenant, const char *app_id,
                         bool is_write, char names[API_THROTTLE_KEYS][API_THROTTLE_KEY_MAX],
                         struct store_throttle_key *keys);

/*
 * Admit and count one request of (tenant, app_id), or refuse it: CMP_ETHROTTLED with
 * err->retry_after the seconds to wait.  0 when throttling is off.  A store failure admits the
 * request (logged): a limiter that cannot count lets traffic through rather than refusing it, and
 * what follows reports the store's trouble itself.
 */
int api_throttle_check(struct store *s, const struct api_throttle *t, const char *tenant,
                       const char *app_id, bool is_write, struct cmp_error *err);

/*
 * The refusal of a request that should come back later: `code` CMP_ETHROTTLED (429, "Too many
 * requests. Retry after N seconds.") or CMP_EUNAVAILABLE (503, "The service is temporarily
 * unavailable. Retry after N seconds."), with err->retry_after = `retry_after` (the Retry-After
 * header and the body's RetryAfter).  Returns `code`.  The throttle's and the injected faults'.
 */
int api_throttle_refusal(struct cmp_error *err, int code, int retry_after);

#endif
