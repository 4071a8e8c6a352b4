/*
 * tests/unit/test_graph_model.c - the entity tables and helpers of graph/model.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "graph/model.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static void test_props_are_in_the_spec_wire_order(void **state)
{
    static const char *const wire[GRAPH_P_COUNT] = {
        "id",
        "lastHeartbeatDateTime",
        "partnerState",
        "displayName",
        "macOsOnboarded",
        "linuxOnboarded",
        "androidOnboarded",
        "iosOnboarded",
        "macOsEnrollmentAssignments",
        "androidEnrollmentAssignments",
        "iosEnrollmentAssignments",
        "linuxEnrollmentAssignments",
    };
    size_t i;

    (void)state;
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        assert_int_equal(graph_partner_props[i].id, i);
        assert_string_equal(graph_partner_props[i].name, wire[i]);
    }
}

/* Spec 2.1: only displayName and the collections may be null; only the linux ones are beta. */
static void test_props_carry_the_spec_nullability_and_versions(void **state)
{
    const uint32_t nullable =
        GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME) | GRAPH_PROP_BIT(GRAPH_P_MACOS_ASSIGNMENTS) |
        GRAPH_PROP_BIT(GRAPH_P_ANDROID_ASSIGNMENTS) | GRAPH_PROP_BIT(GRAPH_P_IOS_ASSIGNMENTS) |
        GRAPH_PROP_BIT(GRAPH_P_LINUX_ASSIGNMENTS);
    const uint32_t beta_only =
        GRAPH_PROP_BIT(GRAPH_P_LINUX_ONBOARDED) | GRAPH_PROP_BIT(GRAPH_P_LINUX_ASSIGNMENTS);
    size_t i;

    (void)state;
    for (i = 0; i < GRAPH_P_COUNT; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        assert_int_equal(!(p->flags & PROP_NONNULL), !!(nullable & GRAPH_PROP_BIT(p->id)));
        assert_int_equal(p->versions,
                         beta_only & GRAPH_PROP_BIT(p->id) ? GRAPH_BETA : GRAPH_ALL_VERSIONS);
        assert_int_equal(p->type == EDM_ENUM, p->enums != NULL);
        assert_true(p->offset < sizeof(struct graph_partner));
    }
    assert_int_equal(graph_partner_props[GRAPH_P_ID].flags & PROP_KEY, PROP_KEY);
    assert_int_equal(graph_partner_props[GRAPH_P_ID].offset, offsetof(struct graph_partner, id));
}

static void test_prop_find_is_exact_and_version_aware(void **state)
{
    static const struct {
        const char *name;
        enum graph_version v;
        int want; /* property id, or -1 */
    } rows[] = {
        {"displayName", GRAPH_V1, GRAPH_P_DISPLAY_NAME},
        {"displayName", GRAPH_BETA, GRAPH_P_DISPLAY_NAME},
        {"DisplayName", GRAPH_V1, -1},
        {"display", GRAPH_V1, -1},
        {"displayNameX", GRAPH_V1, -1},
        {"", GRAPH_V1, -1},
        {"linuxOnboarded", GRAPH_V1, -1},
        {"linuxOnboarded", GRAPH_BETA, GRAPH_P_LINUX_ONBOARDED},
        {"linuxEnrollmentAssignments", GRAPH_V1, -1},
        {"linuxEnrollmentAssignments", GRAPH_BETA, GRAPH_P_LINUX_ASSIGNMENTS},
        {"windowsOnboarded", GRAPH_BETA, -1},
        {"id", GRAPH_V1, GRAPH_P_ID},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct graph_prop *p = graph_prop_find(rows[i].name, strlen(rows[i].name), rows[i].v);
        assert_int_equal(p ? (int)p->id : -1, rows[i].want);
    }
}

static void test_enum_find_is_exact(void **state)
{
    (void)state;
    assert_int_equal(graph_enum_partner_state.count, 6);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "unknown", 7), 0);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "unresponsive", 12), 5);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "Enabled", 7), -1);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "enable", 6), -1);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "unknownFutureValue", 18), -1);
    assert_int_equal(graph_enum_find(&graph_enum_partner_state, "", 0), -1);
    assert_int_equal(graph_enum_find(&graph_enum_filter_type, "exclude", 7), 2);
    assert_int_equal(graph_enum_filter_type.versions, GRAPH_BETA);
    assert_int_equal(graph_enum_partner_state.versions, GRAPH_ALL_VERSIONS);
}

static void test_target_find_takes_qualified_names_with_or_without_hash(void **state)
{
    static const struct {
        const char *name;
        int want;
    } rows[] = {
        {"#microsoft.graph.groupAssignmentTarget", GRAPH_TARGET_GROUP},
        {"microsoft.graph.groupAssignmentTarget", GRAPH_TARGET_GROUP},
        {"#microsoft.graph.allDevicesAssignmentTarget", GRAPH_TARGET_ALL_DEVICES},
        {"#microsoft.graph.allLicensedUsersAssignmentTarget", GRAPH_TARGET_ALL_LICENSED_USERS},
        {"microsoft.graph.configurationManagerCollectionAssignmentTarget",
         GRAPH_TARGET_CONFIGMGR_COLLECTION},
        {"#microsoft.graph.exclusionGroupAssignmentTarget", GRAPH_TARGET_EXCLUSION_GROUP},
        {"#microsoft.graph.deviceAndAppManagementAssignmentTarget", -1},
        {"#microsoft.graph.scopeTagGroupAssignmentTarget", -1},
        {"groupAssignmentTarget", -1},
        {"##microsoft.graph.groupAssignmentTarget", -1},
        {"#microsoft.graph.GroupAssignmentTarget", -1},
        {"#microsoft.graph.", -1},
        {"#", -1},
        {"", -1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof rows / sizeof *rows; i++)
        assert_int_equal(graph_target_find(rows[i].name, strlen(rows[i].name)), rows[i].want);
    assert_string_equal(graph_target_types[GRAPH_TARGET_GROUP].id_prop, "groupId");
    assert_string_equal(graph_target_types[GRAPH_TARGET_EXCLUSION_GROUP].id_prop, "groupId");
    assert_string_equal(graph_target_types[GRAPH_TARGET_CONFIGMGR_COLLECTION].id_prop,
                        "collectionId");
    assert_null(graph_target_types[GRAPH_TARGET_ALL_DEVICES].id_prop);
    assert_null(graph_target_types[GRAPH_TARGET_ALL_LICENSED_USERS].id_prop);
}

static void test_defaults_follow_spec(void **state)
{
    struct graph_partner p;

    (void)state;
    memset(&p, 0xa5, sizeof p);
    graph_partner_defaults(&p);
    assert_string_equal(p.id, "");
    assert_string_equal(p.last_heartbeat, "0001-01-01T00:00:00Z");
    assert_true(p.last_heartbeat_ticks == 0);
    assert_int_equal(p.partner_state, 0);
    assert_null(p.display_name);
    assert_false(p.mac_os_onboarded || p.linux_onboarded || p.android_onboarded || p.ios_onboarded);
    assert_int_equal(p.mac_os_assignments.n + p.android_assignments.n + p.ios_assignments.n +
                         p.linux_assignments.n,
                     0);
    assert_int_equal(p.present, 0);
}

static void test_merge_copies_present_props_but_never_the_id(void **state)
{
    struct graph_assignment item = {GRAPH_TARGET_ALL_DEVICES, NULL, NULL, 0};
    struct graph_assignment old_item = {GRAPH_TARGET_GROUP, "g", NULL, 0};
    struct graph_partner dst;
    struct graph_partner patch;

    (void)state;
    graph_partner_defaults(&dst);
    memcpy(dst.id, "kept", 5);
    dst.display_name = "old";
    dst.ios_onboarded = true;
    dst.ios_assignments = (struct graph_assignments){&old_item, 1};
    dst.android_assignments = (struct graph_assignments){&old_item, 1};
    graph_partner_defaults(&patch);
    memcpy(patch.id, "other", 6);
    patch.display_name = NULL;
    patch.partner_state = 3;
    patch.last_heartbeat = "2026-11-01T08:15:00Z";
    patch.last_heartbeat_ticks = 42;
    patch.ios_onboarded = false;
    patch.ios_assignments = (struct graph_assignments){&item, 1};
    patch.present = GRAPH_PROP_BIT(GRAPH_P_ID) | GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME) |
                    GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE) | GRAPH_PROP_BIT(GRAPH_P_LAST_HEARTBEAT) |
                    GRAPH_PROP_BIT(GRAPH_P_IOS_ASSIGNMENTS);
    graph_partner_merge(&dst, &patch);
    assert_string_equal(dst.id, "kept");
    assert_null(dst.display_name);
    assert_int_equal(dst.partner_state, 3);
    assert_string_equal(dst.last_heartbeat, "2026-11-01T08:15:00Z");
    assert_true(dst.last_heartbeat_ticks == 42);
    assert_true(dst.ios_onboarded); /* not present in the patch */
    assert_int_equal(dst.ios_assignments.n, 1);
    assert_ptr_equal(dst.ios_assignments.items, &item); /* replaced whole */
    assert_ptr_equal(dst.android_assignments.items, &old_item);
}

static void test_edm_names_are_the_odata_type_names(void **state)
{
    (void)state;
    assert_string_equal(graph_edm_name(EDM_STRING, NULL), "Edm.String");
    assert_string_equal(graph_edm_name(EDM_BOOLEAN, NULL), "Edm.Boolean");
    assert_string_equal(graph_edm_name(EDM_DATETIMEOFFSET, NULL), "Edm.DateTimeOffset");
    assert_string_equal(graph_edm_name(EDM_ENUM, &graph_enum_partner_state),
                        "microsoft.graph.deviceManagementPartnerTenantState");
    assert_string_equal(graph_edm_name(EDM_ASSIGNMENTS, NULL),
                        "Collection(microsoft.graph.complianceManagementPartnerAssignment)");
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_props_are_in_the_spec_wire_order),
        cmocka_unit_test(test_props_carry_the_spec_nullability_and_versions),
        cmocka_unit_test(test_prop_find_is_exact_and_version_aware),
        cmocka_unit_test(test_enum_find_is_exact),
        cmocka_unit_test(test_target_find_takes_qualified_names_with_or_without_hash),
        cmocka_unit_test(test_defaults_follow_spec),
        cmocka_unit_test(test_merge_copies_present_props_but_never_the_id),
        cmocka_unit_test(test_edm_names_are_the_odata_type_names),
    };

    return cmocka_run_group_tests_name("graph_model", tests, NULL, NULL);
}
