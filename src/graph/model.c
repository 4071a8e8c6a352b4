/*
 * graph/model.c - the tables of graph/model.h.
 */
#include "graph/model.h"

#include <string.h>

static const char *const partner_state_members[] = {
    "unknown", "unavailable", "enabled", "terminated", "rejected", "unresponsive",
};

const struct graph_enum graph_enum_partner_state = {
    "microsoft.graph.deviceManagementPartnerTenantState",
    partner_state_members,
    sizeof partner_state_members / sizeof *partner_state_members,
    GRAPH_ALL_VERSIONS,
};

static const char *const filter_type_members[] = {"none", "include", "exclude"};

const struct graph_enum graph_enum_filter_type = {
    "microsoft.graph.deviceAndAppManagementAssignmentFilterType",
    filter_type_members,
    sizeof filter_type_members / sizeof *filter_type_members,
    GRAPH_BETA,
};

int graph_enum_find(const struct graph_enum *e, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < e->count; i++)
        if (strlen(e->members[i]) == n && memcmp(e->members[i], s, n) == 0)
            return (int)i;
    return -1;
}

const struct graph_target_type graph_target_types[GRAPH_TARGET_COUNT] = {
    [GRAPH_TARGET_ALL_DEVICES] = {"allDevicesAssignmentTarget", NULL},
    [GRAPH_TARGET_ALL_LICENSED_USERS] = {"allLicensedUsersAssignmentTarget", NULL},
    [GRAPH_TARGET_CONFIGMGR_COLLECTION] = {"configurationManagerCollectionAssignmentTarget",
                                           "collectionId"},
    [GRAPH_TARGET_GROUP] = {"groupAssignmentTarget", "groupId"},
    [GRAPH_TARGET_EXCLUSION_GROUP] = {"exclusionGroupAssignmentTarget", "groupId"},
};

int graph_target_find(const char *s, size_t n)
{
    static const char ns[] = GRAPH_NS;
    int i;

    if (n && s[0] == '#') {
        s++;
        n--;
    }
    if (n < sizeof ns - 1 || memcmp(s, ns, sizeof ns - 1) != 0)
        return -1;
    s += sizeof ns - 1;
    n -= sizeof ns - 1;
    for (i = 0; i < GRAPH_TARGET_COUNT; i++)
        if (strlen(graph_target_types[i].name) == n &&
            memcmp(graph_target_types[i].name, s, n) == 0)
            return i;
    return -1;
}

#define OFF(field) offsetof(struct graph_partner, field)

/* clang-format off */
const struct graph_prop graph_partner_props[GRAPH_P_COUNT] = {
    /* id                          name                            type                flags                                      versions            column                 offset                         enum */
    {GRAPH_P_ID,                   "id",                           EDM_STRING,         PROP_KEY | PROP_READONLY | PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "id", OFF(id), NULL},
    {GRAPH_P_LAST_HEARTBEAT,       "lastHeartbeatDateTime",        EDM_DATETIMEOFFSET, PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "last_heartbeat_ticks", OFF(last_heartbeat), NULL},
    {GRAPH_P_PARTNER_STATE,        "partnerState",                 EDM_ENUM,           PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "partner_state",       OFF(partner_state),        &graph_enum_partner_state},
    {GRAPH_P_DISPLAY_NAME,         "displayName",                  EDM_STRING,         PROP_FILTER | PROP_ORDERBY,                GRAPH_ALL_VERSIONS, "display_name",        OFF(display_name),         NULL},
    {GRAPH_P_MACOS_ONBOARDED,      "macOsOnboarded",               EDM_BOOLEAN,        PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "mac_os_onboarded",    OFF(mac_os_onboarded),     NULL},
    {GRAPH_P_LINUX_ONBOARDED,      "linuxOnboarded",               EDM_BOOLEAN,        PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_BETA,         "linux_onboarded",     OFF(linux_onboarded),      NULL},
    {GRAPH_P_ANDROID_ONBOARDED,    "androidOnboarded",             EDM_BOOLEAN,        PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "android_onboarded",   OFF(android_onboarded),    NULL},
    {GRAPH_P_IOS_ONBOARDED,        "iosOnboarded",                 EDM_BOOLEAN,        PROP_NONNULL | PROP_FILTER | PROP_ORDERBY, GRAPH_ALL_VERSIONS, "ios_onboarded",       OFF(ios_onboarded),        NULL},
    {GRAPH_P_MACOS_ASSIGNMENTS,    "macOsEnrollmentAssignments",   EDM_ASSIGNMENTS,    PROP_FILTER,                               GRAPH_ALL_VERSIONS, "mac_os_assignments",  OFF(mac_os_assignments),   NULL},
    {GRAPH_P_ANDROID_ASSIGNMENTS,  "androidEnrollmentAssignments", EDM_ASSIGNMENTS,    PROP_FILTER,                               GRAPH_ALL_VERSIONS, "android_assignments", OFF(android_assignments),  NULL},
    {GRAPH_P_IOS_ASSIGNMENTS,      "iosEnrollmentAssignments",     EDM_ASSIGNMENTS,    PROP_FILTER,                               GRAPH_ALL_VERSIONS, "ios_assignments",     OFF(ios_assignments),      NULL},
    {GRAPH_P_LINUX_ASSIGNMENTS,    "linuxEnrollmentAssignments",   EDM_ASSIGNMENTS,    PROP_FILTER,                               GRAPH_BETA,         "linux_assignments",   OFF(linux_assignments),    NULL},
};
/* clang-format on */

const struct graph_prop *graph_prop_find(const char *name, size_t n, enum graph_version v)
{
    size_t i;

    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if ((p->versions & (unsigned)v) && strlen(p->name) == n && memcmp(p->name, name, n) == 0)
            return p;
    }
    return NULL;
}

void graph_partner_defaults(struct graph_partner *p)
{
    memset(p, 0, sizeof *p);
    p->last_heartbeat = GRAPH_DEFAULT_HEARTBEAT;
    p->last_heartbeat_ticks = 0;
    p->partner_state = 0;
    p->display_name = NULL;
}

void graph_partner_merge(struct graph_partner *dst, const struct graph_partner *patch)
{
    size_t i;

    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if (p->id == GRAPH_P_ID || !(patch->present & GRAPH_PROP_BIT(p->id)))
            continue;
        char *d = (char *)dst + p->offset;
        const char *src = (const char *)patch + p->offset;
        switch (p->type) {
        case EDM_STRING:
            *(const char **)(void *)d = *(const char *const *)(const void *)src;
            break;
        case EDM_DATETIMEOFFSET:
            dst->last_heartbeat = patch->last_heartbeat;
            dst->last_heartbeat_ticks = patch->last_heartbeat_ticks;
            break;
        case EDM_ENUM:
            *(int *)(void *)d = *(const int *)(const void *)src;
            break;
        case EDM_BOOLEAN:
            *(bool *)(void *)d = *(const bool *)(const void *)src;
            break;
        case EDM_ASSIGNMENTS:
            *(struct graph_assignments *)(void *)d =
                *(const struct graph_assignments *)(const void *)src;
            break;
        }
    }
}

const char *graph_edm_name(enum graph_edm type, const struct graph_enum *enums)
{
    switch (type) {
    case EDM_STRING:
        return "Edm.String";
    case EDM_BOOLEAN:
        return "Edm.Boolean";
    case EDM_DATETIMEOFFSET:
        return "Edm.DateTimeOffset";
    case EDM_ENUM:
        return enums ? enums->name : "Edm.Enum";
    case EDM_ASSIGNMENTS:
        return "Collection(" GRAPH_ASSIGNMENT_TYPE ")";
    }
    return "Edm.Untyped";
}
