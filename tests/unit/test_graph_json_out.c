/*
 * tests/unit/test_graph_json_out.c - struct graph_partner -> JSON (graph/json_out.c).
 *
 * Every expectation is the exact output bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "graph/json_out.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define CTX_ENTITY                                                                                 \
    "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners/"    \
    "$entity"

/* The partner of the spec's create example (3.4), with its two assignments. */
static struct graph_assignment seed_items[2] = {
    {GRAPH_TARGET_CONFIGMGR_COLLECTION, "SMS00001", NULL, 0},
    {GRAPH_TARGET_EXCLUSION_GROUP, "0e226165-c685-41ce-8bfc-df8360ab325d", NULL, 0},
};

static void seed_partner(struct graph_partner *p)
{
    graph_partner_defaults(p);
    memcpy(p->id, "9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f", 37);
    p->last_heartbeat = "2026-11-01T08:15:00Z";
    p->partner_state = 1;
    p->display_name = "Contoso MDM";
    p->mac_os_onboarded = true;
    p->android_onboarded = true;
    p->ios_onboarded = true;
    p->mac_os_assignments = (struct graph_assignments){&seed_items[0], 1};
    p->android_assignments = (struct graph_assignments){&seed_items[1], 1};
}

/* Write `p` and compare the whole output with `want`. */
static void assert_written(const struct graph_partner *p, enum graph_version v, uint32_t select,
                           const char *context, const char *want)
{
    struct buf b;

    buf_init(&b, 1 << 16);
    assert_int_equal(graph_partner_write(&b, p, v, select, context), 0);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    buf_fini(&b);
}

static void test_v1_writes_the_spec_create_response(void **state)
{
    struct graph_partner p;

    (void)state;
    seed_partner(&p);
    assert_written(
        &p, GRAPH_V1, GRAPH_ALL_PROPS, CTX_ENTITY,
        "{\"@odata.context\":\"" CTX_ENTITY "\","
        "\"@odata.type\":\"#microsoft.graph.complianceManagementPartner\","
        "\"id\":\"9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f\","
        "\"lastHeartbeatDateTime\":\"2026-11-01T08:15:00Z\",\"partnerState\":\"unavailable\","
        "\"displayName\":\"Contoso MDM\",\"macOsOnboarded\":true,\"androidOnboarded\":true,"
        "\"iosOnboarded\":true,"
        "\"macOsEnrollmentAssignments\":[{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "configurationManagerCollectionAssignmentTarget\",\"collectionId\":\"SMS00001\"}}],"
        "\"androidEnrollmentAssignments\":[{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "exclusionGroupAssignmentTarget\",\"groupId\":\"0e226165-c685-41ce-8bfc-df8360ab325d\"}}],"
        "\"iosEnrollmentAssignments\":[]}");
}

static void test_beta_adds_linux_props_and_target_filter_props(void **state)
{
    struct graph_assignment linux_items[] = {{GRAPH_TARGET_GROUP, "g", "f", 2}};
    struct graph_partner p;

    (void)state;
    seed_partner(&p);
    p.linux_onboarded = true;
    p.linux_assignments = (struct graph_assignments){linux_items, 1};
    assert_written(
        &p, GRAPH_BETA, GRAPH_ALL_PROPS, NULL,
        "{\"@odata.type\":\"#microsoft.graph.complianceManagementPartner\","
        "\"id\":\"9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f\","
        "\"lastHeartbeatDateTime\":\"2026-11-01T08:15:00Z\",\"partnerState\":\"unavailable\","
        "\"displayName\":\"Contoso MDM\",\"macOsOnboarded\":true,\"linuxOnboarded\":true,"
        "\"androidOnboarded\":true,\"iosOnboarded\":true,"
        "\"macOsEnrollmentAssignments\":[{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "configurationManagerCollectionAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"collectionId\":\"SMS00001\"}}],"
        "\"androidEnrollmentAssignments\":[{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "exclusionGroupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"groupId\":\"0e226165-c685-41ce-"
        "8bfc-df8360ab325d\"}}],"
        "\"iosEnrollmentAssignments\":[],"
        "\"linuxEnrollmentAssignments\":[{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "groupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":\"f\","
        "\"deviceAndAppManagementAssignmentFilterType\":\"exclude\",\"groupId\":\"g\"}}]}");
}

static void test_defaults_are_written_for_unset_props(void **state)
{
    struct graph_partner p;

    (void)state;
    graph_partner_defaults(&p);
    assert_written(
        &p, GRAPH_V1, GRAPH_ALL_PROPS, NULL,
        "{\"@odata.type\":\"#microsoft.graph.complianceManagementPartner\",\"id\":\"\","
        "\"lastHeartbeatDateTime\":\"0001-01-01T00:00:00Z\",\"partnerState\":\"unknown\","
        "\"displayName\":null,\"macOsOnboarded\":false,\"androidOnboarded\":false,"
        "\"iosOnboarded\":false,\"macOsEnrollmentAssignments\":[],"
        "\"androidEnrollmentAssignments\":[],\"iosEnrollmentAssignments\":[]}");
    p.last_heartbeat = NULL; /* a NULL pointer also means the default */
    assert_written(
        &p, GRAPH_BETA, GRAPH_ALL_PROPS, NULL,
        "{\"@odata.type\":\"#microsoft.graph.complianceManagementPartner\",\"id\":\"\","
        "\"lastHeartbeatDateTime\":\"0001-01-01T00:00:00Z\",\"partnerState\":\"unknown\","
        "\"displayName\":null,\"macOsOnboarded\":false,\"linuxOnboarded\":false,"
        "\"androidOnboarded\":false,\"iosOnboarded\":false,"
        "\"macOsEnrollmentAssignments\":[],\"androidEnrollmentAssignments\":[],"
        "\"iosEnrollmentAssignments\":[],\"linuxEnrollmentAssignments\":[]}");
}

static void test_select_omits_type_and_keeps_id_in_table_order(void **state)
{
    struct graph_partner p;

    (void)state;
    seed_partner(&p);
    p.partner_state = 2;
    assert_written(&p, GRAPH_V1,
                   GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME) | GRAPH_PROP_BIT(GRAPH_P_PARTNER_STATE),
                   "ctx",
                   "{\"@odata.context\":\"ctx\",\"id\":\"9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f\","
                   "\"partnerState\":\"enabled\",\"displayName\":\"Contoso MDM\"}");
    assert_written(&p, GRAPH_BETA, 0, NULL, "{\"id\":\"9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f\"}");
}

static void test_select_of_beta_only_props_is_ignored_on_v1(void **state)
{
    struct graph_partner p;

    (void)state;
    seed_partner(&p);
    assert_written(&p, GRAPH_V1, GRAPH_PROP_BIT(GRAPH_P_LINUX_ONBOARDED), NULL,
                   "{\"id\":\"9f0c2d4e-1a3b-4c5d-8e6f-7a8b9c0d1e2f\"}");
}

/* "Every property" means every property of the version: v1 needs no beta bits for @odata.type. */
static void test_type_is_written_when_select_holds_every_prop_of_the_version(void **state)
{
    uint32_t v1_all = GRAPH_ALL_PROPS & ~(GRAPH_PROP_BIT(GRAPH_P_LINUX_ONBOARDED) |
                                          GRAPH_PROP_BIT(GRAPH_P_LINUX_ASSIGNMENTS));
    struct graph_partner p;
    struct buf b;

    (void)state;
    graph_partner_defaults(&p);
    buf_init(&b, 1 << 16);
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, v1_all, NULL), 0);
    assert_true(strncmp(b.data, "{\"@odata.type\":", 15) == 0);
    buf_reset(&b);
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_BETA, v1_all, NULL), 0);
    assert_true(strncmp(b.data, "{\"id\":", 6) == 0);
    buf_fini(&b);
}

static void test_targets_of_every_kind_in_both_versions(void **state)
{
    struct graph_assignment items[] = {
        {GRAPH_TARGET_ALL_DEVICES, NULL, NULL, 0},
        {GRAPH_TARGET_ALL_LICENSED_USERS, NULL, "f", 1},
        {GRAPH_TARGET_CONFIGMGR_COLLECTION, NULL, NULL, 0},
        {GRAPH_TARGET_GROUP, "g", NULL, 0},
        {GRAPH_TARGET_EXCLUSION_GROUP, "x", NULL, 2},
    };
    struct graph_assignments l = {items, 5};
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    assert_int_equal(graph_assignments_write(&b, &l, GRAPH_V1), 0);
    assert_string_equal(
        b.data,
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.allLicensedUsersAssignmentTarget\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "configurationManagerCollectionAssignmentTarget\",\"collectionId\":null}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.groupAssignmentTarget\","
        "\"groupId\":\"g\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.exclusionGroupAssignmentTarget\","
        "\"groupId\":\"x\"}}]");
    buf_reset(&b);
    assert_int_equal(graph_assignments_write(&b, &l, GRAPH_BETA), 0);
    assert_string_equal(
        b.data,
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.allLicensedUsersAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":\"f\","
        "\"deviceAndAppManagementAssignmentFilterType\":\"include\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph."
        "configurationManagerCollectionAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"collectionId\":null}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.groupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"groupId\":\"g\"}},"
        "{\"target\":{\"@odata.type\":\"#microsoft.graph.exclusionGroupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"exclude\",\"groupId\":\"x\"}}]");
    buf_reset(&b);
    l.n = 0;
    assert_int_equal(graph_assignments_write(&b, &l, GRAPH_BETA), 0);
    assert_string_equal(b.data, "[]");
    buf_fini(&b);
}

static void test_strings_are_escaped(void **state)
{
    struct graph_partner p;

    (void)state;
    graph_partner_defaults(&p);
    p.display_name = "a\"b\\c/d\n\x01\xc3\xa9";
    assert_written(&p, GRAPH_V1, GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME), NULL,
                   "{\"id\":\"\",\"displayName\":\"a\\\"b\\\\c/d\\n\\u0001\xc3\xa9\"}");
}

/*
 * Every byte at every place of a string long enough to be looked at eight bytes at a time and
 * then byte by byte: written as buf_append_json_escaped escapes it, or refused when not UTF-8.
 */
static void test_every_byte_anywhere_in_a_string(void **state)
{
    static const char prefix[] = "{\"id\":\"\",\"displayName\":\"";
    char s[20];
    struct graph_partner p;
    struct buf got;
    struct buf want;
    unsigned c;
    size_t at;

    (void)state;
    graph_partner_defaults(&p);
    p.display_name = s;
    buf_init(&got, 1 << 16);
    buf_init(&want, 1 << 16);
    for (c = 1; c < 256; c++) {
        for (at = 0; at < sizeof s - 1; at++) {
            memset(s, 'a', sizeof s - 1);
            s[sizeof s - 1] = '\0';
            s[at] = (char)c;
            buf_reset(&got);
            buf_reset(&want);
            if (c >= 0x80) { /* a lone byte above ASCII is not UTF-8 */
                assert_int_equal(graph_partner_write(&got, &p, GRAPH_V1,
                                                     GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME), NULL),
                                 CMP_EINTERNAL);
                assert_int_equal(got.len, 0);
                continue;
            }
            assert_int_equal(buf_puts(&want, prefix), 0);
            assert_int_equal(buf_append_json_escaped(&want, s, strlen(s)), 0);
            assert_int_equal(buf_puts(&want, "\"}"), 0);
            assert_int_equal(
                graph_partner_write(&got, &p, GRAPH_V1, GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME), NULL),
                0);
            assert_string_equal(got.data, want.data);
        }
    }
    /* UTF-8 anywhere, including across the eight-byte steps, is written as is. */
    for (at = 0; at + 4 < sizeof s; at++) {
        memset(s, 'a', sizeof s - 1);
        s[sizeof s - 1] = '\0';
        memcpy(s + at, "\xf0\x9f\x98\x80", 4);
        buf_reset(&got);
        assert_int_equal(
            graph_partner_write(&got, &p, GRAPH_V1, GRAPH_PROP_BIT(GRAPH_P_DISPLAY_NAME), NULL), 0);
        assert_int_equal(got.len, strlen(prefix) + strlen(s) + 2);
        assert_memory_equal(got.data + strlen(prefix), s, strlen(s));
    }
    buf_fini(&got);
    buf_fini(&want);
}

/* A failed write leaves what the buffer held before, whatever the reason. */
static void test_failed_write_leaves_the_buffer_as_it_was(void **state)
{
    static const char bad_utf8[] = "\xff";
    struct graph_partner p;
    struct buf b;

    (void)state;
    graph_partner_defaults(&p);
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "[x,"), 0);
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, GRAPH_ALL_PROPS, NULL), CMP_ETOOLARGE);
    assert_string_equal(b.data, "[x,");
    buf_fini(&b);

    buf_init(&b, 1 << 16);
    assert_int_equal(buf_puts(&b, "[x,"), 0);
    p.partner_state = 6;
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, GRAPH_ALL_PROPS, NULL), CMP_EINTERNAL);
    assert_string_equal(b.data, "[x,");
    p.partner_state = 0;
    p.display_name = bad_utf8;
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, GRAPH_ALL_PROPS, NULL), CMP_EINTERNAL);
    assert_int_equal(b.len, 3);
    buf_fini(&b);
}

static void test_collection_framing(void **state)
{
    struct graph_partner p;
    struct buf b;

    (void)state;
    graph_partner_defaults(&p);
    buf_init(&b, 1 << 16);
    assert_int_equal(graph_collection_begin(&b, "c", -1, NULL), 0);
    assert_int_equal(graph_collection_end(&b), 0);
    assert_string_equal(b.data, "{\"@odata.context\":\"c\",\"value\":[]}");

    buf_reset(&b);
    assert_int_equal(graph_collection_begin(&b, "c", 2, "https://x/?$skiptoken=\"a\""), 0);
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, 0, NULL), 0);
    assert_int_equal(buf_putc(&b, ','), 0);
    assert_int_equal(graph_partner_write(&b, &p, GRAPH_V1, 0, NULL), 0);
    assert_int_equal(graph_collection_end(&b), 0);
    assert_string_equal(b.data, "{\"@odata.context\":\"c\",\"@odata.count\":2,"
                                "\"@odata.nextLink\":\"https://x/?$skiptoken=\\\"a\\\"\","
                                "\"value\":[{\"id\":\"\"},{\"id\":\"\"}]}");

    buf_reset(&b);
    assert_int_equal(graph_collection_begin(&b, NULL, 0, NULL), 0);
    assert_string_equal(b.data, "{\"@odata.count\":0,\"value\":[");
    buf_reset(&b);
    assert_int_equal(graph_collection_begin(&b, NULL, -1, NULL), 0);
    assert_string_equal(b.data, "{\"value\":[");
    buf_fini(&b);

    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "ab"), 0);
    assert_int_equal(graph_collection_begin(&b, "context", -1, NULL), CMP_ETOOLARGE);
    assert_string_equal(b.data, "ab");
    buf_fini(&b);

    /* The URLs carry what the client sent: escaped, never refused. */
    buf_init(&b, 1 << 16);
    assert_int_equal(graph_collection_begin(&b, "c\xff\n", -1, "n\xfe"), 0);
    assert_string_equal(b.data, "{\"@odata.context\":\"c\xff\\n\",\"@odata.nextLink\":\"n\xfe\","
                                "\"value\":[");
    buf_fini(&b);
}

/* Output past the first allocation, and a page of rows, come out whole. */
static void test_long_output_grows_the_buffer(void **state)
{
    struct graph_assignment items[40];
    struct graph_partner p;
    struct buf b;
    struct buf one;
    size_t i;

    (void)state;
    seed_partner(&p);
    for (i = 0; i < sizeof items / sizeof *items; i++)
        items[i] = (struct graph_assignment){GRAPH_TARGET_GROUP, "g", NULL, 0};
    p.ios_assignments = (struct graph_assignments){items, sizeof items / sizeof *items};
    buf_init(&one, 1 << 20);
    assert_int_equal(graph_partner_write(&one, &p, GRAPH_BETA, GRAPH_ALL_PROPS, NULL), 0);
    assert_int_equal(one.len, strlen(one.data));
    buf_init(&b, 1 << 20);
    assert_int_equal(graph_collection_begin(&b, NULL, -1, NULL), 0);
    for (i = 0; i < 50; i++) {
        if (i)
            assert_int_equal(buf_putc(&b, ','), 0);
        assert_int_equal(graph_partner_write(&b, &p, GRAPH_BETA, GRAPH_ALL_PROPS, NULL), 0);
    }
    assert_int_equal(graph_collection_end(&b), 0);
    assert_int_equal(b.len, strlen("{\"value\":[") + 50 * one.len + 49 + 2);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data + b.len - one.len - 2, one.data, one.len);
    buf_fini(&b);
    buf_fini(&one);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_writes_the_spec_create_response),
        cmocka_unit_test(test_beta_adds_linux_props_and_target_filter_props),
        cmocka_unit_test(test_defaults_are_written_for_unset_props),
        cmocka_unit_test(test_select_omits_type_and_keeps_id_in_table_order),
        cmocka_unit_test(test_select_of_beta_only_props_is_ignored_on_v1),
        cmocka_unit_test(test_type_is_written_when_select_holds_every_prop_of_the_version),
        cmocka_unit_test(test_targets_of_every_kind_in_both_versions),
        cmocka_unit_test(test_strings_are_escaped),
        cmocka_unit_test(test_every_byte_anywhere_in_a_string),
        cmocka_unit_test(test_failed_write_leaves_the_buffer_as_it_was),
        cmocka_unit_test(test_collection_framing),
        cmocka_unit_test(test_long_output_grows_the_buffer),
    };

    return cmocka_run_group_tests_name("graph_json_out", tests, NULL, NULL);
}
