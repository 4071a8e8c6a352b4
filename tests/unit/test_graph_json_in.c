/*
 * tests/unit/test_graph_json_in.c - request bodies -> struct graph_partner (graph/json_in.c).
 *
 * One table row per validation rule, valid and invalid inputs side by side, for v1.0 and beta;
 * each row runs as its own named test.  Bodies in the table are written with ' for " (turned
 * back at run time) so they stay readable; no row needs a literal apostrophe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "graph/json_in.h"
#include "graph/json_out.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define V1 GRAPH_V1
#define BETA GRAPH_BETA
#define CREATE GRAPH_DECODE_CREATE
#define PATCH GRAPH_DECODE_PATCH
#define BAD CMP_EBADBODY

#define UNKNOWN_TAIL                                                                               \
    ". Make sure to only use property names that are defined by the type or mark the type as "     \
    "open type."
#define ASSIGN(target) "{'macOsEnrollmentAssignments':[{'target':" target "}]}"
#define GROUP_TARGET(extra)                                                                        \
    ASSIGN("{'@odata.type':'#microsoft.graph.groupAssignmentTarget'" extra "}")

struct row {
    const char *name;
    enum graph_version v;
    enum graph_decode_mode mode;
    const char *body; /* ' stands for " */
    int rc;
    const char *msg; /* a part of the expected message (often all of it); NULL when rc is 0 */
};

/* clang-format off */
static const struct row rows[] = {
    /* ---- the body as a whole ---- */
    {"accepts_empty_object", V1, CREATE, "{}", 0, NULL},
    {"rejects_array_body", V1, CREATE, "[]", BAD, "The request body must be a JSON object."},
    {"rejects_string_body", V1, CREATE, "'x'", BAD, "The request body must be a JSON object."},
    {"rejects_null_body", BETA, PATCH, "null", BAD, "The request body must be a JSON object."},
    {"rejects_empty_body", V1, CREATE, "", BAD, "Invalid JSON: the body is empty."},
    {"rejects_malformed_json", V1, CREATE, "{'displayName':", BAD, "Invalid JSON"},
    {"rejects_trailing_data", V1, CREATE, "{} {}", BAD, "Invalid JSON"},
    {"rejects_duplicate_member", V1, CREATE, "{'displayName':'a','displayName':'b'}", BAD,
     "duplicate member name 'displayName'"},
    {"rejects_invalid_utf8", V1, CREATE, "{'displayName':'\xff'}", BAD, "Invalid JSON"},
    {"rejects_escaped_nul", V1, CREATE, "{'displayName':'a\\u0000b'}", BAD, "NUL"},

    /* ---- @odata.type of the entity ---- */
    {"accepts_entity_type_with_hash", V1, CREATE,
     "{'@odata.type':'#microsoft.graph.complianceManagementPartner'}", 0, NULL},
    {"accepts_entity_type_without_hash", BETA, PATCH,
     "{'@odata.type':'microsoft.graph.complianceManagementPartner'}", 0, NULL},
    {"rejects_entity_of_another_type", V1, CREATE, "{'@odata.type':'#microsoft.graph.entity'}", BAD,
     "A resource with type '#microsoft.graph.entity' was found, but it is not assignable to the "
     "expected type 'microsoft.graph.complianceManagementPartner'."},
    {"rejects_entity_type_in_wrong_case", V1, CREATE,
     "{'@odata.type':'#microsoft.graph.CompliancemanagementPartner'}", BAD,
     "type '#microsoft.graph.CompliancemanagementPartner' was found"},
    {"rejects_entity_type_that_is_not_a_string", BETA, CREATE, "{'@odata.type':5}", BAD,
     "Cannot convert the literal '5' to the expected type 'Edm.String' for property "
     "'@odata.type'."},

    /* ---- annotations and unknown properties ---- */
    {"ignores_instance_annotations", V1, CREATE,
     "{'@odata.context':'x','@odata.etag':1,'@x.y':{},'displayName@odata.type':'#String'}", 0,
     NULL},
    {"rejects_unknown_property", V1, CREATE, "{'foo':1}", BAD,
     "The property 'foo' does not exist on type 'microsoft.graph.complianceManagementPartner'"
     UNKNOWN_TAIL},
    {"rejects_property_in_wrong_case", BETA, CREATE, "{'DisplayName':'x'}", BAD,
     "The property 'DisplayName' does not exist"},
    {"rejects_removed_windows_property_on_beta", BETA, CREATE, "{'windowsOnboarded':true}", BAD,
     "The property 'windowsOnboarded' does not exist"},
    {"v1_rejects_linuxOnboarded_as_unknown", V1, CREATE, "{'linuxOnboarded':true}", BAD,
     "The property 'linuxOnboarded' does not exist on type "
     "'microsoft.graph.complianceManagementPartner'" UNKNOWN_TAIL},
    {"beta_accepts_linuxOnboarded", BETA, CREATE, "{'linuxOnboarded':true}", 0, NULL},
    {"v1_rejects_linuxEnrollmentAssignments_as_unknown", V1, PATCH,
     "{'linuxEnrollmentAssignments':[]}", BAD,
     "The property 'linuxEnrollmentAssignments' does not exist"},
    {"beta_accepts_linuxEnrollmentAssignments", BETA, PATCH, "{'linuxEnrollmentAssignments':[]}",
     0, NULL},

    /* ---- Edm.Boolean ---- */
    {"accepts_boolean", V1, CREATE, "{'macOsOnboarded':true,'iosOnboarded':false}", 0, NULL},
    {"rejects_string_for_boolean", V1, CREATE, "{'androidOnboarded':'yes'}", BAD,
     "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean' for property "
     "'androidOnboarded'."},
    {"rejects_number_for_boolean", V1, CREATE, "{'iosOnboarded':1}", BAD,
     "Cannot convert the literal '1' to the expected type 'Edm.Boolean' for property "
     "'iosOnboarded'."},
    {"rejects_object_for_boolean", V1, CREATE, "{'macOsOnboarded':{}}", BAD,
     "Cannot convert the literal 'object' to the expected type 'Edm.Boolean'"},
    {"rejects_null_for_boolean", V1, PATCH, "{'macOsOnboarded':null}", BAD,
     "A null value was found for the property named 'macOsOnboarded', which has the expected type "
     "'Edm.Boolean[Nullable=False]'. The expected type 'Edm.Boolean[Nullable=False]' does not "
     "allow null values."},
    {"beta_rejects_null_for_linuxOnboarded", BETA, CREATE, "{'linuxOnboarded':null}", BAD,
     "A null value was found for the property named 'linuxOnboarded'"},

    /* ---- Edm.String ---- */
    {"accepts_string", V1, CREATE, "{'displayName':'Contoso \\u00e9 \xe2\x9c\x93'}", 0, NULL},
    {"accepts_null_for_nullable_string", V1, PATCH, "{'displayName':null}", 0, NULL},
    {"rejects_number_for_string", V1, CREATE, "{'displayName':5}", BAD,
     "Cannot convert the literal '5' to the expected type 'Edm.String' for property "
     "'displayName'."},
    {"rejects_boolean_for_string", V1, CREATE, "{'displayName':true}", BAD,
     "Cannot convert the literal 'true' to the expected type 'Edm.String'"},
    {"rejects_array_for_string", V1, CREATE, "{'displayName':[]}", BAD,
     "Cannot convert the literal 'array' to the expected type 'Edm.String'"},

    /* ---- enum partnerState ---- */
    {"accepts_enum_member", V1, CREATE, "{'partnerState':'unresponsive'}", 0, NULL},
    {"rejects_unknown_enum_member", V1, CREATE, "{'partnerState':'active'}", BAD,
     "The value 'active' is not a valid member of the enum type "
     "'microsoft.graph.deviceManagementPartnerTenantState' for property 'partnerState'."},
    {"rejects_enum_member_in_wrong_case", V1, CREATE, "{'partnerState':'Enabled'}", BAD,
     "The value 'Enabled' is not a valid member"},
    {"rejects_unknownFutureValue_which_the_enum_lacks", BETA, CREATE,
     "{'partnerState':'unknownFutureValue'}", BAD, "The value 'unknownFutureValue' is not"},
    {"rejects_integer_for_enum", V1, CREATE, "{'partnerState':2}", BAD,
     "Cannot convert the literal '2' to the expected type "
     "'microsoft.graph.deviceManagementPartnerTenantState' for property 'partnerState'."},
    {"rejects_null_for_enum", V1, PATCH, "{'partnerState':null}", BAD,
     "A null value was found for the property named 'partnerState', which has the expected type "
     "'microsoft.graph.deviceManagementPartnerTenantState[Nullable=False]'."},

    /* ---- Edm.DateTimeOffset ---- */
    {"accepts_datetime_with_offset", V1, CREATE,
     "{'lastHeartbeatDateTime':'2016-12-31T23:59:37.9174975-08:00'}", 0, NULL},
    {"accepts_datetime_in_utc", V1, CREATE, "{'lastHeartbeatDateTime':'2026-11-01T08:15:00Z'}", 0,
     NULL},
    {"rejects_datetime_without_offset", V1, CREATE,
     "{'lastHeartbeatDateTime':'2026-11-01T08:15:00'}", BAD,
     "The value '2026-11-01T08:15:00' of property 'lastHeartbeatDateTime' is not a valid "
     "Edm.DateTimeOffset: use ISO 8601 with a time zone offset, e.g. 2026-11-01T08:15:00Z."},
    {"rejects_datetime_with_month_13", V1, CREATE,
     "{'lastHeartbeatDateTime':'2026-13-01T08:15:00Z'}", BAD,
     "The value '2026-13-01T08:15:00Z' of property 'lastHeartbeatDateTime' is not a valid"},
    {"rejects_datetime_in_words", BETA, PATCH, "{'lastHeartbeatDateTime':'yesterday'}", BAD,
     "The value 'yesterday' of property 'lastHeartbeatDateTime'"},
    {"rejects_number_for_datetime", V1, CREATE, "{'lastHeartbeatDateTime':0}", BAD,
     "Cannot convert the literal '0' to the expected type 'Edm.DateTimeOffset' for property "
     "'lastHeartbeatDateTime'."},
    {"rejects_null_for_datetime", V1, PATCH, "{'lastHeartbeatDateTime':null}", BAD,
     "'Edm.DateTimeOffset[Nullable=False]' does not allow null values."},

    /* ---- id ---- */
    {"create_accepts_and_ignores_an_id", V1, CREATE, "{'id':'abc'}", 0, NULL},
    {"patch_accepts_an_id", BETA, PATCH, "{'id':'abc'}", 0, NULL},
    {"rejects_number_for_id", V1, CREATE, "{'id':5}", BAD,
     "Cannot convert the literal '5' to the expected type 'Edm.String' for property 'id'."},
    {"rejects_null_for_id", V1, PATCH, "{'id':null}", BAD,
     "A null value was found for the property named 'id'"},

    /* ---- assignment collections ---- */
    {"accepts_empty_collection", V1, CREATE, "{'iosEnrollmentAssignments':[]}", 0, NULL},
    {"rejects_null_for_collection", V1, CREATE, "{'iosEnrollmentAssignments':null}", BAD,
     "A null value was found for the property named 'iosEnrollmentAssignments', which has the "
     "expected type "
     "'Collection(microsoft.graph.complianceManagementPartnerAssignment)[Nullable=False]'."},
    {"rejects_object_for_collection", V1, CREATE, "{'iosEnrollmentAssignments':{}}", BAD,
     "Cannot convert the literal 'object' to the expected type "
     "'Collection(microsoft.graph.complianceManagementPartnerAssignment)' for property "
     "'iosEnrollmentAssignments'."},
    {"rejects_null_element", V1, CREATE, "{'androidEnrollmentAssignments':[null]}", BAD,
     "A null value was found in the collection property 'androidEnrollmentAssignments'"},
    {"rejects_number_element", V1, CREATE, "{'androidEnrollmentAssignments':[5]}", BAD,
     "Cannot convert the literal '5' to the expected type "
     "'microsoft.graph.complianceManagementPartnerAssignment' for property "
     "'androidEnrollmentAssignments'."},

    /* ---- an assignment ---- */
    {"accepts_assignment_type_without_hash", V1, CREATE,
     "{'macOsEnrollmentAssignments':[{'@odata.type':'microsoft.graph."
     "complianceManagementPartnerAssignment','target':{'@odata.type':'#microsoft.graph."
     "allDevicesAssignmentTarget'}}]}", 0, NULL},
    {"accepts_assignment_type_with_hash", BETA, CREATE,
     "{'macOsEnrollmentAssignments':[{'@odata.type':'#microsoft.graph."
     "complianceManagementPartnerAssignment','target':{'@odata.type':'#microsoft.graph."
     "allDevicesAssignmentTarget'}}]}", 0, NULL},
    {"rejects_assignment_of_another_type", V1, CREATE,
     "{'macOsEnrollmentAssignments':[{'@odata.type':'#microsoft.graph.groupAssignmentTarget',"
     "'target':{'@odata.type':'#microsoft.graph.allDevicesAssignmentTarget'}}]}", BAD,
     "A resource with type '#microsoft.graph.groupAssignmentTarget' was found, but it is not "
     "assignable to the expected type 'microsoft.graph.complianceManagementPartnerAssignment'."},
    {"rejects_unknown_assignment_property", V1, CREATE,
     "{'macOsEnrollmentAssignments':[{'target':{'@odata.type':'#microsoft.graph."
     "allDevicesAssignmentTarget'},'id':'x'}]}", BAD,
     "The property 'id' does not exist on type "
     "'microsoft.graph.complianceManagementPartnerAssignment'" UNKNOWN_TAIL},
    {"rejects_assignment_without_target", V1, CREATE, "{'macOsEnrollmentAssignments':[{}]}", BAD,
     "An element of the collection property 'macOsEnrollmentAssignments' has no property "
     "'target'"},
    {"rejects_null_target", V1, CREATE, ASSIGN("null"), BAD,
     "A null value was found for the property named 'target'."},
    {"rejects_string_target", V1, CREATE, ASSIGN("'x'"), BAD,
     "Cannot convert the literal 'x' to the expected type "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget' for property 'target'."},

    /* ---- the target's type ---- */
    {"rejects_target_without_type", V1, CREATE, ASSIGN("{'groupId':'g'}"), BAD,
     "The property 'target' has no '@odata.type'"},
    {"rejects_abstract_target_type", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph.deviceAndAppManagementAssignmentTarget'}"), BAD,
     "Cannot create an instance of the abstract type "
     "'microsoft.graph.deviceAndAppManagementAssignmentTarget' for property 'target'."},
    {"rejects_abstract_target_type_without_hash", BETA, CREATE,
     ASSIGN("{'@odata.type':'microsoft.graph.deviceAndAppManagementAssignmentTarget'}"), BAD,
     "Cannot create an instance of the abstract type"},
    {"rejects_docs_only_scope_tag_target", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph.scopeTagGroupAssignmentTarget'}"), BAD,
     "The type '#microsoft.graph.scopeTagGroupAssignmentTarget' given for property 'target' is "
     "not a type derived from 'microsoft.graph.deviceAndAppManagementAssignmentTarget'."},
    {"rejects_target_type_in_another_namespace", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph2.groupAssignmentTarget'}"), BAD,
     "The type '#microsoft.graph2.groupAssignmentTarget' given for property 'target'"},
    {"rejects_target_type_that_is_not_a_string", V1, CREATE, ASSIGN("{'@odata.type':true}"), BAD,
     "Cannot convert the literal 'true' to the expected type 'Edm.String' for property "
     "'@odata.type'."},
    {"accepts_all_devices_target", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph.allDevicesAssignmentTarget'}"), 0, NULL},
    {"accepts_all_licensed_users_target", V1, CREATE,
     ASSIGN("{'@odata.type':'microsoft.graph.allLicensedUsersAssignmentTarget'}"), 0, NULL},
    {"accepts_collection_target", V1, CREATE,
     ASSIGN("{'@odata.type':'microsoft.graph.configurationManagerCollectionAssignmentTarget',"
            "'collectionId':'SMS00001'}"), 0, NULL},
    {"accepts_exclusion_group_target", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph.exclusionGroupAssignmentTarget','groupId':'g'}"), 0,
     NULL},
    {"accepts_group_target", V1, CREATE, GROUP_TARGET(",'groupId':'g'"), 0, NULL},
    {"ignores_annotations_on_target", V1, CREATE, GROUP_TARGET(",'@odata.id':'x','groupId@a.b':1"),
     0, NULL},

    /* ---- the target's properties ---- */
    {"accepts_null_group_id", V1, CREATE, GROUP_TARGET(",'groupId':null"), 0, NULL},
    {"rejects_number_group_id", V1, CREATE, GROUP_TARGET(",'groupId':5"), BAD,
     "Cannot convert the literal '5' to the expected type 'Edm.String' for property 'groupId'."},
    {"rejects_group_id_on_all_devices_target", V1, CREATE,
     ASSIGN("{'@odata.type':'#microsoft.graph.allDevicesAssignmentTarget','groupId':'g'}"), BAD,
     "The property 'groupId' does not exist on type 'microsoft.graph.allDevicesAssignmentTarget'"
     UNKNOWN_TAIL},
    {"rejects_collection_id_on_group_target", BETA, CREATE, GROUP_TARGET(",'collectionId':'c'"),
     BAD, "The property 'collectionId' does not exist on type "
     "'microsoft.graph.groupAssignmentTarget'"},
    {"v1_rejects_filter_id_as_unknown", V1, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterId':null"), BAD,
     "The property 'deviceAndAppManagementAssignmentFilterId' does not exist on type "
     "'microsoft.graph.groupAssignmentTarget'" UNKNOWN_TAIL},
    {"v1_rejects_filter_type_as_unknown", V1, PATCH,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterType':'none'"), BAD,
     "The property 'deviceAndAppManagementAssignmentFilterType' does not exist"},
    {"beta_accepts_filter_props", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterId':'f',"
                  "'deviceAndAppManagementAssignmentFilterType':'exclude'"), 0, NULL},
    {"beta_accepts_null_filter_id", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterId':null"), 0, NULL},
    {"beta_rejects_number_filter_id", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterId':5"), BAD,
     "Cannot convert the literal '5' to the expected type 'Edm.String' for property "
     "'deviceAndAppManagementAssignmentFilterId'."},
    {"beta_rejects_null_filter_type", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterType':null"), BAD,
     "A null value was found for the property named 'deviceAndAppManagementAssignmentFilterType', "
     "which has the expected type "
     "'microsoft.graph.deviceAndAppManagementAssignmentFilterType[Nullable=False]'."},
    {"beta_rejects_unknown_filter_type", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterType':'all'"), BAD,
     "The value 'all' is not a valid member of the enum type "
     "'microsoft.graph.deviceAndAppManagementAssignmentFilterType' for property "
     "'deviceAndAppManagementAssignmentFilterType'."},
    {"beta_rejects_integer_filter_type", BETA, CREATE,
     GROUP_TARGET(",'deviceAndAppManagementAssignmentFilterType':1"), BAD,
     "Cannot convert the literal '1' to the expected type "
     "'microsoft.graph.deviceAndAppManagementAssignmentFilterType'"},
};
/* clang-format on */

/* The documented example request (spec/examples/create-request.json), byte for byte. */
static const char seed_request[] =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.complianceManagementPartner\",\n"
    "  \"lastHeartbeatDateTime\": \"2016-12-31T23:59:37.9174975-08:00\",\n"
    "  \"partnerState\": \"unavailable\",\n"
    "  \"displayName\": \"Display Name value\",\n"
    "  \"macOsOnboarded\": true,\n"
    "  \"androidOnboarded\": true,\n"
    "  \"iosOnboarded\": true,\n"
    "  \"macOsEnrollmentAssignments\": [\n"
    "    {\n"
    "      \"@odata.type\": \"microsoft.graph.complianceManagementPartnerAssignment\",\n"
    "      \"target\": {\n"
    "        \"@odata.type\": "
    "\"microsoft.graph.configurationManagerCollectionAssignmentTarget\",\n"
    "        \"collectionId\": \"Collection Id value\"\n"
    "      }\n"
    "    }\n"
    "  ],\n"
    "  \"androidEnrollmentAssignments\": [\n"
    "    {\n"
    "      \"@odata.type\": \"microsoft.graph.complianceManagementPartnerAssignment\",\n"
    "      \"target\": {\n"
    "        \"@odata.type\": "
    "\"microsoft.graph.configurationManagerCollectionAssignmentTarget\",\n"
    "        \"collectionId\": \"Collection Id value\"\n"
    "      }\n"
    "    }\n"
    "  ],\n"
    "  \"iosEnrollmentAssignments\": [\n"
    "    {\n"
    "      \"@odata.type\": \"microsoft.graph.complianceManagementPartnerAssignment\",\n"
    "      \"target\": {\n"
    "        \"@odata.type\": "
    "\"microsoft.graph.configurationManagerCollectionAssignmentTarget\",\n"
    "        \"collectionId\": \"Collection Id value\"\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* ---- helpers ---- */

static int setup_arena(void **state)
{
    *state = arena_new(0);
    return *state ? 0 : -1;
}

static int teardown_arena(void **state)
{
    arena_free(*state);
    return 0;
}

/* `body` with every ' turned into ", in the arena. */
static char *quotes(struct arena *a, const char *body)
{
    char *s = arena_strdup(a, body);
    char *p;

    assert_non_null(s);
    for (p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

static int decode(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                  const char *body, size_t n, struct graph_partner *p, struct cmp_error *err)
{
    memset(err, 0, sizeof *err);
    return graph_partner_from_json(a, v, mode, body, n, p, err);
}

static void assert_msg_contains(const struct cmp_error *err, const char *want)
{
    if (!strstr(err->msg, want)) {
        print_error("message: %s\nwanted:  %s\n", err->msg, want);
        fail();
    }
}

static void run_row(void **state)
{
    const struct row *r = *state;
    struct arena *a = arena_new(0);
    struct graph_partner p;
    struct cmp_error err;
    char *body;
    int rc;

    assert_non_null(a);
    body = quotes(a, r->body);
    rc = decode(a, r->v, r->mode, body, strlen(body), &p, &err);
    if (rc != r->rc)
        print_error("rc %d (%s), wanted %d\n", rc, err.msg, r->rc);
    assert_int_equal(rc, r->rc);
    if (r->msg) {
        assert_int_equal(err.code, r->rc);
        assert_msg_contains(&err, r->msg);
    }
    arena_free(a);
}

/* ---- decoded values ---- */

static void test_seed_example_decodes_on_v1(void **state)
{
    struct graph_partner p;
    struct cmp_error err;
    const struct graph_assignments *lists[3];
    size_t i;

    assert_int_equal(decode(*state, V1, CREATE, seed_request, strlen(seed_request), &p, &err), 0);
    assert_string_equal(p.last_heartbeat, "2016-12-31T23:59:37.9174975-08:00");
    /* 2017-01-01T07:59:37.9174975Z */
    assert_true(p.last_heartbeat_ticks == INT64_C(636188543779174975));
    assert_int_equal(p.partner_state, 1);
    assert_string_equal(p.display_name, "Display Name value");
    assert_true(p.mac_os_onboarded && p.android_onboarded && p.ios_onboarded);
    assert_false(p.linux_onboarded);
    assert_string_equal(p.id, "");
    lists[0] = &p.mac_os_assignments;
    lists[1] = &p.android_assignments;
    lists[2] = &p.ios_assignments;
    for (i = 0; i < 3; i++) {
        assert_int_equal(lists[i]->n, 1);
        assert_int_equal(lists[i]->items[0].kind, GRAPH_TARGET_CONFIGMGR_COLLECTION);
        assert_string_equal(lists[i]->items[0].target_id, "Collection Id value");
        assert_null(lists[i]->items[0].filter_id);
        assert_int_equal(lists[i]->items[0].filter_type, 0);
    }
    assert_int_equal(p.linux_assignments.n, 0);
    assert_int_equal(p.present, GRAPH_ALL_PROPS & ~(GRAPH_PROP_BIT(GRAPH_P_ID) |
                                                    GRAPH_PROP_BIT(GRAPH_P_LINUX_ONBOARDED) |
                                                    GRAPH_PROP_BIT(GRAPH_P_LINUX_ASSIGNMENTS)));
}

static void test_beta_body_decodes_linux_and_filter_props(void **state)
{
    char *body = quotes(*state, "{'linuxOnboarded':true,'linuxEnrollmentAssignments':[{'target':"
                                "{'@odata.type':'#microsoft.graph.exclusionGroupAssignmentTarget',"
                                "'groupId':'g1','deviceAndAppManagementAssignmentFilterId':'f1',"
                                "'deviceAndAppManagementAssignmentFilterType':'include'}},"
                                "{'target':{'@odata.type':'#microsoft.graph."
                                "allLicensedUsersAssignmentTarget'}}]}");
    struct graph_partner p;
    struct cmp_error err;
    const struct graph_assignment *as;

    assert_int_equal(decode(*state, BETA, CREATE, body, strlen(body), &p, &err), 0);
    assert_true(p.linux_onboarded);
    assert_int_equal(p.linux_assignments.n, 2);
    as = &p.linux_assignments.items[0];
    assert_int_equal(as->kind, GRAPH_TARGET_EXCLUSION_GROUP);
    assert_string_equal(as->target_id, "g1");
    assert_string_equal(as->filter_id, "f1");
    assert_int_equal(as->filter_type, 1);
    as = &p.linux_assignments.items[1];
    assert_int_equal(as->kind, GRAPH_TARGET_ALL_LICENSED_USERS);
    assert_null(as->target_id);
    assert_null(as->filter_id);
    assert_int_equal(as->filter_type, 0); /* absent: none */
}

static void test_create_starts_from_defaults_and_ignores_id(void **state)
{
    char *body = quotes(*state, "{'id':'9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f'}");
    struct graph_partner p;
    struct cmp_error err;

    assert_int_equal(decode(*state, V1, CREATE, body, strlen(body), &p, &err), 0);
    assert_string_equal(p.id, "");
    assert_int_equal(p.present, 0);
    assert_string_equal(p.last_heartbeat, GRAPH_DEFAULT_HEARTBEAT);
    assert_int_equal(p.partner_state, 0);
    assert_null(p.display_name);
    assert_null(p.mac_os_assignments.items);
}

static void test_patch_keeps_id_and_marks_only_present_props(void **state)
{
    char *body = quotes(*state, "{'id':'9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f',"
                                "'partnerState':'enabled','displayName':null}");
    struct graph_partner p;
    struct cmp_error err;

    assert_int_equal(decode(*state, BETA, PATCH, body, strlen(body), &p, &err), 0);
    assert_string_equal(p.id, "9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f");
    assert_int_equal(p.present, GRAPH_PROP_BIT(GRAPH_P_ID) | GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE) |
                                    GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME));
    assert_int_equal(p.partner_state, 2);
    assert_null(p.display_name);
}

static void test_patch_flags_overlong_id_with_empty_id(void **state)
{
    char *body = quotes(*state, "{'id':'9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2fX'}");
    struct graph_partner p;
    struct cmp_error err;

    assert_int_equal(decode(*state, V1, PATCH, body, strlen(body), &p, &err), 0);
    assert_true(p.present & GRAPH_PROP_BIT(GRAPH_P_ID));
    assert_string_equal(p.id, ""); /* matches no URL: the caller answers 400 */
}

static void test_string_longer_than_cap_is_refused(void **state)
{
    struct buf b;
    struct graph_partner p;
    struct cmp_error err;
    size_t i;

    buf_init(&b, 1 << 20);
    assert_int_equal(buf_puts(&b, "{\"displayName\":\""), 0);
    for (i = 0; i < GRAPH_MAX_STRING; i++)
        assert_int_equal(buf_putc(&b, 'x'), 0);
    assert_int_equal(buf_puts(&b, "\"}"), 0);
    assert_int_equal(decode(*state, V1, CREATE, b.data, b.len, &p, &err), 0);
    assert_int_equal(strlen(p.display_name), GRAPH_MAX_STRING);
    b.len -= 2;
    assert_int_equal(buf_puts(&b, "x\"}"), 0);
    assert_int_equal(decode(*state, V1, CREATE, b.data, b.len, &p, &err), CMP_EBADBODY);
    assert_string_equal(err.msg, "The value of property 'displayName' is 4097 bytes long; at "
                                 "most 4096 bytes are allowed.");
    buf_fini(&b);
}

static void test_collection_longer_than_cap_is_refused(void **state)
{
    static const char item[] =
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\"}}";
    struct buf b;
    struct graph_partner p;
    struct cmp_error err;
    size_t i;

    buf_init(&b, 1 << 20);
    assert_int_equal(buf_puts(&b, "{\"iosEnrollmentAssignments\":["), 0);
    for (i = 0; i < GRAPH_MAX_ASSIGNMENTS; i++) {
        assert_int_equal(buf_puts(&b, i ? "," : ""), 0);
        assert_int_equal(buf_puts(&b, item), 0);
    }
    assert_int_equal(buf_puts(&b, "]}"), 0);
    assert_int_equal(decode(*state, V1, CREATE, b.data, b.len, &p, &err), 0);
    assert_int_equal(p.ios_assignments.n, GRAPH_MAX_ASSIGNMENTS);
    b.len -= 2;
    assert_int_equal(buf_printf(&b, ",%s]}", item), 0);
    assert_int_equal(decode(*state, V1, CREATE, b.data, b.len, &p, &err), CMP_EBADBODY);
    assert_string_equal(err.msg, "The collection property 'iosEnrollmentAssignments' has 1001 "
                                 "elements; at most 1000 are allowed.");
    buf_fini(&b);
}

/* A long unknown name is echoed cut to 100 bytes, and never in the middle of a UTF-8 character. */
static void test_long_names_are_cut_on_a_character_boundary(void **state)
{
    struct buf b;
    struct graph_partner p;
    struct cmp_error err;
    const char *q;
    size_t i;

    buf_init(&b, 1 << 16);
    assert_int_equal(buf_puts(&b, "{\"x"), 0); /* 1 + 2 * 60 bytes: byte 100 is mid-character */
    for (i = 0; i < 60; i++)
        assert_int_equal(buf_puts(&b, "\xc3\xa9"), 0);
    assert_int_equal(buf_puts(&b, "\":1}"), 0);
    assert_int_equal(decode(*state, V1, CREATE, b.data, b.len, &p, &err), CMP_EBADBODY);
    q = strstr(err.msg, "' does not exist");
    assert_non_null(q);
    assert_int_equal(q - (err.msg + strlen("The property '")), 99);
    buf_fini(&b);
}

/* ---- graph_assignments_from_json / graph_assignments_parse ---- */

static void test_assignments_parse_reads_back_the_beta_shape(void **state)
{
    struct graph_assignment items[2] = {
        {GRAPH_TARGET_GROUP, "g", "f", 2},
        {GRAPH_TARGET_CONFIGMGR_COLLECTION, NULL, NULL, 0},
    };
    struct graph_assignments l = {items, 2};
    struct graph_assignments back;
    struct cmp_error err = {0};
    struct buf b;

    buf_init(&b, 1 << 16);
    assert_int_equal(graph_assignments_write(&b, &l, BETA), 0);
    assert_int_equal(graph_assignments_parse(*state, b.data, b.len, &back, &err), 0);
    assert_int_equal(back.n, 2);
    assert_int_equal(back.items[0].kind, GRAPH_TARGET_GROUP);
    assert_string_equal(back.items[0].target_id, "g");
    assert_string_equal(back.items[0].filter_id, "f");
    assert_int_equal(back.items[0].filter_type, 2);
    assert_int_equal(back.items[1].kind, GRAPH_TARGET_CONFIGMGR_COLLECTION);
    assert_null(back.items[1].target_id);
    assert_null(back.items[1].filter_id);
    buf_fini(&b);
}

/*
 * The general reader of stored text (what store/row.c falls back to for anything but its own
 * canonical form): cmpd's form and an escaped, spaced, reordered form of the same list (an older
 * cmpd, a hand edit) read alike; text that only looks canonical but is damaged is refused.
 */
static void test_assignments_parse_canonical_and_general_forms_agree(void **state)
{
    static const char *const same[] = {
        /* canonical */
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.groupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":\"f1\","
        "\"deviceAndAppManagementAssignmentFilterType\":\"include\",\"groupId\":\"g{1}\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}]",
        /* the same with spaces, another member order and an escape */
        "[ {\"target\": {\"groupId\": \"g{\\u0031}\", \"@odata.type\": "
        "\"#microsoft.graph.groupAssignmentTarget\", "
        "\"deviceAndAppManagementAssignmentFilterType\": \"include\", "
        "\"deviceAndAppManagementAssignmentFilterId\": \"f1\"}}, "
        "{\"target\": {\"@odata.type\": \"#microsoft.graph.allDevicesAssignmentTarget\", "
        "\"deviceAndAppManagementAssignmentFilterId\": null, "
        "\"deviceAndAppManagementAssignmentFilterType\": \"none\"}} ]",
    };
    static const char *const damaged[] = {
        /* canonical up to a missing "]", a trailing byte, an unknown type, an unknown filter */
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}]x",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.nopeAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}]",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"sometimes\"}}]",
    };
    struct graph_assignments back;
    struct cmp_error err = {0};
    struct buf b;
    size_t i;

    buf_init(&b, 1 << 16);
    for (i = 0; i < sizeof same / sizeof *same; i++) {
        memset(&back, 0, sizeof back);
        assert_int_equal(graph_assignments_parse(*state, same[i], strlen(same[i]), &back, &err), 0);
        assert_int_equal(back.n, 2);
        assert_int_equal(back.items[0].kind, GRAPH_TARGET_GROUP);
        assert_string_equal(back.items[0].target_id, "g{1}");
        assert_string_equal(back.items[0].filter_id, "f1");
        assert_int_equal(back.items[0].filter_type, 1);
        assert_int_equal(back.items[1].kind, GRAPH_TARGET_ALL_DEVICES);
        assert_null(back.items[1].filter_id);
        /* Written again, both are the canonical text. */
        buf_reset(&b);
        assert_int_equal(graph_assignments_write(&b, &back, BETA), 0);
        assert_string_equal(b.data, same[0]);
    }
    log_set_level(LOG_ERROR);
    for (i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(
            graph_assignments_parse(*state, damaged[i], strlen(damaged[i]), &back, &err),
            CMP_ESTORE);
    }
    log_set_level(LOG_INFO);
    buf_fini(&b);
}

static void test_assignments_parse_reports_damaged_text_as_store_error(void **state)
{
    static const char *const damaged[] = {"", "[", "{}", "[{\"target\":null}]", "null"};
    struct graph_assignments back;
    struct cmp_error err;
    size_t i;

    log_set_level(LOG_ERROR); /* the damage is logged as a warning */
    for (i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(
            graph_assignments_parse(*state, damaged[i], strlen(damaged[i]), &back, &err),
            CMP_ESTORE);
        assert_int_equal(err.code, CMP_ESTORE);
    }
    log_set_level(LOG_INFO);
}

static void test_assignments_from_json_names_the_given_property(void **state)
{
    struct json_value *v;
    struct graph_assignments l;
    struct cmp_error err = {0};

    assert_int_equal(json_parse(*state, "[5]", 3, CMP_EBADBODY, &v, &err), 0);
    assert_int_equal(
        graph_assignments_from_json(*state, V1, "iosEnrollmentAssignments", v, &l, &err),
        CMP_EBADBODY);
    assert_msg_contains(&err, "for property 'iosEnrollmentAssignments'.");
    cmp_error_clear(&err);
    assert_int_equal(graph_assignments_from_json(*state, V1, "x", NULL, &l, &err), CMP_EBADBODY);
}

static void test_fuzz_entry_accepts_any_bytes(void **state)
{
    static const char *const inputs[] = {"", "{", "{}", "[]", "\xff", "{\"id\":\"a\"}"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof inputs / sizeof *inputs; i++)
        assert_int_equal(graph_json_in_fuzz((const unsigned char *)inputs[i], strlen(inputs[i])),
                         0);
    assert_int_equal(graph_json_in_fuzz((const unsigned char *)seed_request, strlen(seed_request)),
                     0);
}

int main(void)
{
    static const struct CMUnitTest named[] = {
        cmocka_unit_test_setup_teardown(test_seed_example_decodes_on_v1, setup_arena,
                                        teardown_arena),
        cmocka_unit_test_setup_teardown(test_beta_body_decodes_linux_and_filter_props, setup_arena,
                                        teardown_arena),
        cmocka_unit_test_setup_teardown(test_create_starts_from_defaults_and_ignores_id,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_keeps_id_and_marks_only_present_props,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_flags_overlong_id_with_empty_id, setup_arena,
                                        teardown_arena),
        cmocka_unit_test_setup_teardown(test_string_longer_than_cap_is_refused, setup_arena,
                                        teardown_arena),
        cmocka_unit_test_setup_teardown(test_collection_longer_than_cap_is_refused, setup_arena,
                                        teardown_arena),
        cmocka_unit_test_setup_teardown(test_long_names_are_cut_on_a_character_boundary,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_assignments_parse_reads_back_the_beta_shape,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_assignments_parse_canonical_and_general_forms_agree,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_assignments_parse_reports_damaged_text_as_store_error,
                                        setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_assignments_from_json_names_the_given_property,
                                        setup_arena, teardown_arena),
        cmocka_unit_test(test_fuzz_entry_accepts_any_bytes),
    };
    size_t nrows = sizeof rows / sizeof *rows;
    struct CMUnitTest *table = calloc(nrows, sizeof *table);
    size_t i;
    int failed;

    if (!table)
        return 1;
    for (i = 0; i < nrows; i++) {
        table[i].name = rows[i].name;
        table[i].test_func = run_row;
        table[i].initial_state = (void *)&rows[i];
    }
    failed = _cmocka_run_group_tests("graph_json_in_rules", table, nrows, NULL, NULL);
    failed += cmocka_run_group_tests_name("graph_json_in_values", named, NULL, NULL);
    free(table);
    return failed;
}
