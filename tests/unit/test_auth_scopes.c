/*
 * tests/unit/test_auth_scopes.c - the permission table (auth/scopes.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/scopes.h"
#include "core/err.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define NOT_AUTHORIZED                                                                             \
    "Application is not authorized to perform this operation. Application must have one of the "   \
    "following scopes: "
#define READ_MSG                                                                                   \
    NOT_AUTHORIZED "DeviceManagementServiceConfig.Read.All, "                                      \
                   "DeviceManagementServiceConfig.ReadWrite.All, "                                 \
                   "DeviceManagementConfiguration.Read.All, "                                      \
                   "DeviceManagementConfiguration.ReadWrite.All"
#define WRITE_MSG                                                                                  \
    NOT_AUTHORIZED "DeviceManagementServiceConfig.ReadWrite.All, "                                 \
                   "DeviceManagementConfiguration.ReadWrite.All"

enum kind { DELEGATED, APP };

struct perm_row {
    enum auth_perm perm;
    enum kind kind;
    const char *name; /* the one permission the caller holds, or NULL for none */
    bool in_other;    /* put it in the claim of the other kind (scp for apps, roles for users) */
    const char *msg;  /* NULL: allowed */
};

static const struct perm_row perm_rows[] = {
    /* read: any of the four, delegated or application */
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementServiceConfig.Read.All", false, NULL},
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementServiceConfig.ReadWrite.All", false, NULL},
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementConfiguration.Read.All", false, NULL},
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementConfiguration.ReadWrite.All", false, NULL},
    {AUTH_PERM_READ, APP, "DeviceManagementServiceConfig.Read.All", false, NULL},
    {AUTH_PERM_READ, APP, "DeviceManagementServiceConfig.ReadWrite.All", false, NULL},
    {AUTH_PERM_READ, APP, "DeviceManagementConfiguration.Read.All", false, NULL},
    {AUTH_PERM_READ, APP, "DeviceManagementConfiguration.ReadWrite.All", false, NULL},
    /* write: the two ReadWrite ones only */
    {AUTH_PERM_WRITE, DELEGATED, "DeviceManagementServiceConfig.ReadWrite.All", false, NULL},
    {AUTH_PERM_WRITE, DELEGATED, "DeviceManagementConfiguration.ReadWrite.All", false, NULL},
    {AUTH_PERM_WRITE, DELEGATED, "DeviceManagementServiceConfig.Read.All", false, WRITE_MSG},
    {AUTH_PERM_WRITE, DELEGATED, "DeviceManagementConfiguration.Read.All", false, WRITE_MSG},
    {AUTH_PERM_WRITE, APP, "DeviceManagementServiceConfig.ReadWrite.All", false, NULL},
    {AUTH_PERM_WRITE, APP, "DeviceManagementConfiguration.ReadWrite.All", false, NULL},
    {AUTH_PERM_WRITE, APP, "DeviceManagementServiceConfig.Read.All", false, WRITE_MSG},
    {AUTH_PERM_WRITE, APP, "DeviceManagementConfiguration.Read.All", false, WRITE_MSG},
    /* names compare case-insensitively */
    {AUTH_PERM_READ, DELEGATED, "devicemanagementserviceconfig.read.all", false, NULL},
    {AUTH_PERM_READ, APP, "DEVICEMANAGEMENTCONFIGURATION.READ.ALL", false, NULL},
    {AUTH_PERM_WRITE, DELEGATED, "deviceManagementConfiguration.readWrite.all", false, NULL},
    {AUTH_PERM_WRITE, APP, "devicemanagementserviceconfig.readwrite.ALL", false, NULL},
    /* ...but exactly: no prefixes, no other permissions */
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementServiceConfig.Read", false, READ_MSG},
    {AUTH_PERM_READ, APP, "DeviceManagementManagedDevices.Read.All", false, READ_MSG},
    {AUTH_PERM_READ, APP, "", false, READ_MSG},
    /* missing altogether */
    {AUTH_PERM_READ, DELEGATED, NULL, false, READ_MSG},
    {AUTH_PERM_READ, APP, NULL, false, READ_MSG},
    {AUTH_PERM_WRITE, DELEGATED, NULL, false, WRITE_MSG},
    {AUTH_PERM_WRITE, APP, NULL, false, WRITE_MSG},
    /* held in the wrong claim: a user's app roles or an app's stray scp grant nothing */
    {AUTH_PERM_READ, DELEGATED, "DeviceManagementServiceConfig.Read.All", true, READ_MSG},
    {AUTH_PERM_WRITE, APP, "DeviceManagementServiceConfig.ReadWrite.All", true, WRITE_MSG},
    /* no token needed */
    {AUTH_PERM_NONE, DELEGATED, NULL, false, NULL},
    {AUTH_PERM_NONE, APP, NULL, false, NULL},
};

static void test_scopes_permission_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof perm_rows / sizeof perm_rows[0]; i++) {
        const struct perm_row *row = &perm_rows[i];
        const char *held[2] = {"Unrelated.Permission", row->name};
        struct auth_principal p = {.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"};
        struct cmp_error err = {0};
        bool in_roles = (row->kind == APP) != row->in_other;
        int rc;

        p.app_only = row->kind == APP;
        if (in_roles) {
            p.roles = held;
            p.role_count = row->name ? 2 : 1;
        } else {
            p.scopes = held;
            p.scope_count = row->name ? 2 : 1;
        }
        rc = auth_authorize(&p, row->perm, &err);
        if (!row->msg && rc)
            fail_msg("row %zu (%s): refused with \"%s\"", i, row->name ? row->name : "-", err.msg);
        if (row->msg && (rc != CMP_EFORBIDDEN || strcmp(err.msg, row->msg) != 0))
            fail_msg("row %zu (%s): rc %d, message \"%s\"", i, row->name ? row->name : "-", rc,
                     err.msg);
    }
}

static void test_scopes_refuses_personal_accounts(void **state)
{
    const char *held[] = {"DeviceManagementServiceConfig.ReadWrite.All"};
    struct auth_principal p = {.personal = true, .scopes = held, .scope_count = 1};
    enum auth_perm perms[] = {AUTH_PERM_READ, AUTH_PERM_WRITE};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        struct cmp_error err = {0};
        assert_int_equal(auth_authorize(&p, perms[i], &err), CMP_EFORBIDDEN);
        assert_non_null(strstr(err.msg, "personal Microsoft accounts are not supported"));
    }
}

static void test_scopes_none_needs_no_principal(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(auth_authorize(NULL, AUTH_PERM_NONE, &err), 0);
    assert_int_equal(err.code, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scopes_permission_table),
        cmocka_unit_test(test_scopes_refuses_personal_accounts),
        cmocka_unit_test(test_scopes_none_needs_no_principal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
