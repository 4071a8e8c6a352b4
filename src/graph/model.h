/*
 * graph/model.h - the complianceManagementPartner entity, described once as a table.
 *
 * The property table drives JSON decoding and encoding, version projection (v1.0 / beta), and
 * later $select/$filter/$orderby name resolution and SQL column mapping.  Its order is the wire
 * order of the spec (compliance-management-partner.md 2.1): @odata.type, id, lastHeartbeatDateTime,
 * partnerState, displayName, macOsOnboarded, [linuxOnboarded], androidOnboarded, iosOnboarded,
 * macOsEnrollmentAssignments, androidEnrollmentAssignments, iosEnrollmentAssignments,
 * [linuxEnrollmentAssignments].
 */
#ifndef CMP_GRAPH_MODEL_H
#define CMP_GRAPH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* API versions, as bits so a property can name the versions it exists in. */
enum graph_version { GRAPH_V1 = 1, GRAPH_BETA = 2 };
#define GRAPH_ALL_VERSIONS (GRAPH_V1 | GRAPH_BETA)

#define GRAPH_NS "microsoft.graph."
#define GRAPH_PARTNER_TYPE "microsoft.graph.complianceManagementPartner"
#define GRAPH_ASSIGNMENT_TYPE "microsoft.graph.complianceManagementPartnerAssignment"

/* An OData enum type: its qualified name and its members in value order (value = index). */
struct graph_enum {
    const char *name; /* "microsoft.graph.deviceManagementPartnerTenantState" */
    const char *const *members;
    size_t count;
    unsigned versions;
};

extern const struct graph_enum graph_enum_partner_state; /* unknown=0 ... unresponsive=5 */
extern const struct graph_enum graph_enum_filter_type;   /* beta: none=0, include=1, exclude=2 */

/* Index of member `s` (n bytes, exact case) in `e`, or -1. */
int graph_enum_find(const struct graph_enum *e, const char *s, size_t n);

/* The concrete deviceAndAppManagementAssignmentTarget subtypes (spec 2.3). */
enum graph_target_kind {
    GRAPH_TARGET_ALL_DEVICES,
    GRAPH_TARGET_ALL_LICENSED_USERS,
    GRAPH_TARGET_CONFIGMGR_COLLECTION,
    GRAPH_TARGET_GROUP,
    GRAPH_TARGET_EXCLUSION_GROUP,
    GRAPH_TARGET_COUNT
};

struct graph_target_type {
    const char *name;    /* unqualified: "groupAssignmentTarget" */
    const char *id_prop; /* "groupId", "collectionId", or NULL when the type has none */
};

extern const struct graph_target_type graph_target_types[GRAPH_TARGET_COUNT];

/* Kind of the qualified name `s` (with or without '#'), or -1 for anything else. */
int graph_target_find(const char *s, size_t n);

struct graph_assignment {
    enum graph_target_kind kind;
    const char *target_id; /* groupId / collectionId; NULL is JSON null (or absent) */
    const char *filter_id; /* beta deviceAndAppManagementAssignmentFilterId; NULL is null */
    int filter_type;       /* beta deviceAndAppManagementAssignmentFilterType; 0 = none */
};

struct graph_assignments {
    struct graph_assignment *items; /* arena-owned */
    size_t n;
};

/* Property ids, in wire order. */
enum graph_prop_id {
    GRAPH_P_ID,
    GRAPH_P_LAST_HEARTBEAT,
    GRAPH_P_PARTNER_STATE,
    GRAPH_P_DISPLAY_NAME,
    GRAPH_P_MACOS_ONBOARDED,
    GRAPH_P_LINUX_ONBOARDED,
    GRAPH_P_ANDROID_ONBOARDED,
    GRAPH_P_IOS_ONBOARDED,
    GRAPH_P_MACOS_ASSIGNMENTS,
    GRAPH_P_ANDROID_ASSIGNMENTS,
    GRAPH_P_IOS_ASSIGNMENTS,
    GRAPH_P_LINUX_ASSIGNMENTS,
    GRAPH_P_COUNT
};

#define GRAPH_PROP_BIT(id) (1u << (id))
#define GRAPH_ALL_PROPS ((1u << GRAPH_P_COUNT) - 1)

enum graph_edm { EDM_STRING, EDM_BOOLEAN, EDM_DATETIMEOFFSET, EDM_ENUM, EDM_ASSIGNMENTS };

/*
 * The OData name of a type, for messages: "Edm.String", the enum's qualified name (`enums`, for
 * EDM_ENUM), or "Collection(microsoft.graph.complianceManagementPartnerAssignment)".
 */
const char *graph_edm_name(enum graph_edm type, const struct graph_enum *enums);

/* Property flags. */
#define PROP_KEY 0x01u      /* the entity key */
#define PROP_NONNULL 0x02u  /* null is refused on input */
#define PROP_READONLY 0x04u /* server-assigned; ignored on input */
#define PROP_FILTER 0x08u   /* usable in $filter */
#define PROP_ORDERBY 0x10u  /* usable in $orderby */

struct graph_prop {
    enum graph_prop_id id;
    const char *name; /* JSON name */
    enum graph_edm type;
    unsigned flags;
    unsigned versions;              /* GRAPH_V1 | GRAPH_BETA */
    const char *column;             /* SQL column name */
    size_t offset;                  /* of the value in struct graph_partner */
    const struct graph_enum *enums; /* EDM_ENUM only */
};

extern const struct graph_prop graph_partner_props[GRAPH_P_COUNT];

/* The property called `name` (n bytes, exact case) that exists in version `v`, or NULL. */
const struct graph_prop *graph_prop_find(const char *name, size_t n, enum graph_version v);

/* One partner.  Strings are arena-owned (or static) and NUL-terminated. */
struct graph_partner {
    char id[37];                  /* lowercase GUID */
    const char *last_heartbeat;   /* exactly as the client sent it */
    int64_t last_heartbeat_ticks; /* the same instant in UTC ticks (core/time.h), for comparing */
    int partner_state;            /* index in graph_enum_partner_state */
    const char *display_name;     /* NULL is null */
    bool mac_os_onboarded;
    bool linux_onboarded; /* beta */
    bool android_onboarded;
    bool ios_onboarded;
    struct graph_assignments mac_os_assignments;
    struct graph_assignments android_assignments;
    struct graph_assignments ios_assignments;
    struct graph_assignments linux_assignments; /* beta */
    uint32_t present; /* GRAPH_PROP_BIT of each property a request body carried */
};

/* The value "0001-01-01T00:00:00Z" that an unset lastHeartbeatDateTime takes (spec 2.1). */
#define GRAPH_DEFAULT_HEARTBEAT "0001-01-01T00:00:00Z"

/* Fill `p` with the defaults of spec 2.1 (false, "unknown", 0001-01-01T00:00:00Z, null, []). */
void graph_partner_defaults(struct graph_partner *p);

/*
 * Copy into `dst` every property whose bit is set in patch->present (collections are replaced
 * whole; `id` is never copied).  Borrowed pointers are shared, not duplicated.
 */
void graph_partner_merge(struct graph_partner *dst, const struct graph_partner *patch);

#endif
