/*
 * auth/scopes.h - the permission table of compliance-management-partner.md 3.1.
 *
 * Delegated calls pass if any `scp` entry is in the operation's list, app-only calls if any
 * `roles` entry is (names compared case-insensitively).  Personal Microsoft accounts are refused
 * for every operation.  Refusals are CMP_EFORBIDDEN with Intune's text: "Application is not
 * authorized to perform this operation. Application must have one of the following scopes:
 * DeviceManagementServiceConfig.Read.All, DeviceManagementServiceConfig.ReadWrite.All, …"
 */
#ifndef CMP_AUTH_SCOPES_H
#define CMP_AUTH_SCOPES_H

struct auth_principal;
struct cmp_error;

enum auth_perm {
    AUTH_PERM_NONE,  /* no token needed (/healthz) */
    AUTH_PERM_READ,  /* list, get, $count */
    AUTH_PERM_WRITE, /* create, update, delete */
};

/* 0 when `p` may perform an operation needing `perm`, else CMP_EFORBIDDEN with `err` filled. */
int auth_authorize(const struct auth_principal *p, enum auth_perm perm, struct cmp_error *err);

#endif
