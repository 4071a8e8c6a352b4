/*
 * api/tenants.c - admitting the caller's tenant (issue: tenants; conventions section 9).
 *
 * The registry is looked up on every request, so `cmpd tenant set` takes effect on a running
 * server: the store answers from its per-connection cache only until a tenant update anywhere
 * invalidates it (store_tenant_get).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/time.h"
#include "store/store.h"

int api_tenant_admit(struct store *s, const char *tenant, enum api_tenant_mode mode,
                     struct cmp_error *err)
{
    struct store_tenant t;
    struct cmp_error probe = {0};
    int rc;

    rc = store_tenant_get(s, tenant, &t, &probe);
    if (rc == CMP_ENOTFOUND) {
        if (mode == API_TENANTS_REGISTERED)
            return cmp_error_set(err, CMP_EFORBIDDEN,
                                 "The tenant '%s' is not registered with this service.", tenant);
        memset(&t, 0, sizeof t);
        snprintf(t.id, sizeof t.id, "%s", tenant);
        t.intune_licensed = true;
        t.created = time_now();
        rc = store_tenant_put(s, &t, true, err);
        if (rc)
            return rc;
        rc = store_tenant_get(s, tenant, &t, err);
    } else if (rc) {
        rc = cmp_error_set(err, rc, "%s", probe.msg);
        if (err)
            err->retry_after = probe.retry_after; /* 503 from the store keeps its Retry-After */
        return rc;
    }
    if (rc)
        return rc;
    if (!t.intune_licensed)
        return cmp_error_set(err, CMP_EUNLICENSED, NULL);
    return 0;
}
