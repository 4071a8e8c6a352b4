/*
 * api/throttle.c - throttling as Intune does it (issue: throttling; conventions section 8).
 *
 * Four counters per request: the tenant's writes and requests, and the calling application's in
 * that tenant.  A read touches only the two request counters.  The 429 is a gateway error: a
 * plain-text message (conventions 2.3), Retry-After from the store's answer.
 */
#include "api/throttle.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "store/store.h"

/* Seconds between two warnings that the store cannot count. */
#define THROTTLE_WARN_EVERY 10

static _Atomic int64_t last_warning;

void api_throttle_intune(struct api_throttle *t)
{
    t->on = true;
    t->tenant_writes = API_THROTTLE_TENANT_WRITES;
    t->tenant_requests = API_THROTTLE_TENANT_REQUESTS;
    t->app_writes = API_THROTTLE_APP_WRITES;
    t->app_requests = API_THROTTLE_APP_REQUESTS;
    t->window_s = API_THROTTLE_WINDOW;
}

bool api_throttle_is_write(const char *method, size_t n)
{
    static const char *const writes[] = {"POST", "PUT", "PATCH", "DELETE"};
    size_t i;

    for (i = 0; i < sizeof writes / sizeof *writes; i++)
        if (n == strlen(writes[i]) && memcmp(method, writes[i], n) == 0)
            return true;
    return false;
}

/* The application part of a key: the app id, or "#" and a digest of one too long to keep. */
static void app_part(const char *app_id, char *out, size_t n)
{
    uint64_t h = 14695981039346656037u;
    const char *p;

    if (strlen(app_id) <= API_THROTTLE_APP_ID_MAX) {
        snprintf(out, n, "%s", app_id);
        return;
    }
    for (p = app_id; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211u;
    }
    snprintf(out, n, "#%016llx%zu", (unsigned long long)h, strlen(app_id));
}

size_t api_throttle_keys(const struct api_throttle *t, const char *tenant, const char *app_id,
                         bool is_write, char names[API_THROTTLE_KEYS][API_THROTTLE_KEY_MAX],
                         struct store_throttle_key *keys)
{
    char app[API_THROTTLE_APP_ID_MAX + 1];
    size_t k = 0;

    app_part(app_id ? app_id : "", app, sizeof app);
    if (is_write) {
        snprintf(names[k], API_THROTTLE_KEY_MAX, "t:%s:w", tenant);
        keys[k] = (struct store_throttle_key){names[k], t->tenant_writes};
        k++;
    }
    snprintf(names[k], API_THROTTLE_KEY_MAX, "t:%s:*", tenant);
    keys[k] = (struct store_throttle_key){names[k], t->tenant_requests};
    k++;
    if (is_write) {
        snprintf(names[k], API_THROTTLE_KEY_MAX, "a:%s:%s:w", tenant, app);
        keys[k] = (struct store_throttle_key){names[k], t->app_writes};
        k++;
    }
    snprintf(names[k], API_THROTTLE_KEY_MAX, "a:%s:%s:*", tenant, app);
    keys[k] = (struct store_throttle_key){names[k], t->app_requests};
    k++;
    return k;
}

int api_throttle_check(struct store *s, const struct api_throttle *t, const char *tenant,
                       const char *app_id, bool is_write, struct cmp_error *err)
{
    char names[API_THROTTLE_KEYS][API_THROTTLE_KEY_MAX];
    struct store_throttle_key keys[API_THROTTLE_KEYS];
    struct cmp_error probe = {0};
    int retry_after = 0;
    size_t n;
    int rc;

    if (!t || !t->on)
        return 0;
    n = api_throttle_keys(t, tenant, app_id, is_write, names, keys);
    rc = store_throttle_take(s, keys, n, t->window_s, &retry_after, &probe);
    if (rc) {
        /* Fail open.  An outage would otherwise log a line per request: at most one per
         * THROTTLE_WARN_EVERY seconds (the only process-wide state here, a timestamp). */
        int64_t now = time_now();
        int64_t last = atomic_load_explicit(&last_warning, memory_order_relaxed);
        if (now - last >= THROTTLE_WARN_EVERY &&
            atomic_compare_exchange_strong(&last_warning, &last, now))
            log_warn("throttle: the store cannot count (%s); requests are admitted uncounted",
                     cmp_error_message(&probe));
        return 0;
    }
    if (!retry_after)
        return 0;
    return api_throttle_refusal(err, CMP_ETHROTTLED, retry_after);
}

int api_throttle_refusal(struct cmp_error *err, int code, int retry_after)
{
    const char *what =
        code == CMP_ETHROTTLED ? "Too many requests" : "The service is temporarily unavailable";
    int rc = cmp_error_set(err, code, "%s. Retry after %d second%s.", what, retry_after,
                           retry_after == 1 ? "" : "s");

    if (err && err->code == code)
        err->retry_after = retry_after;
    return rc;
}
