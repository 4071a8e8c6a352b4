/*
 * auth/scopes.c - the permission table of compliance-management-partner.md 3.1 and its check.
 *
 * One row per permission level, listing in the docs' order ("least to most privileged") the
 * delegated permissions (`scp`) and the application permissions (`roles`) that allow it; any one
 * entry suffices, compared case-insensitively.  The refusal lists the row in that order, as
 * Intune does; graph/errors.c appends " - Operation ID ..." and wraps it.
 */
#include "auth/scopes.h"

#include <stdio.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/err.h"
#include "core/str.h"

#define PERM_NAMES_MAX 4

#define MSG_NOT_AUTHORIZED "Application is not authorized to perform this operation."
#define MSG_PERSONAL                                                                               \
    MSG_NOT_AUTHORIZED " Requests made with personal Microsoft accounts are not supported for "    \
                       "this operation."

struct perm_row {
    enum auth_perm perm;
    const char *delegated[PERM_NAMES_MAX + 1];   /* NULL-terminated */
    const char *application[PERM_NAMES_MAX + 1]; /* NULL-terminated */
};

static const struct perm_row perm_table[] = {
    /* list, get, $count */
    {AUTH_PERM_READ,
     {"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All",
      "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
      NULL},
     {"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All",
      "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
      NULL}},
    /* create, update, delete */
    {AUTH_PERM_WRITE,
     {"DeviceManagementServiceConfig.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All",
      NULL},
     {"DeviceManagementServiceConfig.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All",
      NULL}},
};

static const struct perm_row *find_row(enum auth_perm perm)
{
    size_t i;

    for (i = 0; i < sizeof perm_table / sizeof perm_table[0]; i++)
        if (perm_table[i].perm == perm)
            return &perm_table[i];
    return NULL;
}

/* Is any of the caller's `names` in the NULL-terminated `allowed`? */
static bool any_allowed(const char *const *names, size_t count, const char *const *allowed)
{
    size_t i;
    size_t j;

    for (i = 0; i < count; i++)
        for (j = 0; allowed[j]; j++)
            if (str_eq_ci(names[i], strlen(names[i]), allowed[j]))
                return true;
    return false;
}

static int refuse(const char *const *allowed, struct cmp_error *err)
{
    char list[CMP_ERROR_MSG_MAX];
    size_t off = 0;
    size_t i;

    list[0] = '\0';
    for (i = 0; allowed[i] && off < sizeof list; i++) {
        int n = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", allowed[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return cmp_error_set(
        err, CMP_EFORBIDDEN,
        MSG_NOT_AUTHORIZED " Application must have one of the following scopes: %s", list);
}

int auth_authorize(const struct auth_principal *p, enum auth_perm perm, struct cmp_error *err)
{
    const struct perm_row *row;
    const char *const *allowed;

    if (perm == AUTH_PERM_NONE)
        return 0;
    row = find_row(perm);
    if (!row)
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    if (!p)
        return cmp_error_set(err, CMP_EUNAUTHENTICATED, NULL);
    if (p->personal)
        return cmp_error_set(err, CMP_EFORBIDDEN, "%s", MSG_PERSONAL);
    if (p->app_only) {
        allowed = row->application;
        if (any_allowed(p->roles, p->role_count, allowed))
            return 0;
    } else {
        allowed = row->delegated;
        if (any_allowed(p->scopes, p->scope_count, allowed))
            return 0;
    }
    return refuse(allowed, err);
}
