/*
 * tests/unit/test_store_row.c - store/row.c: the assignment collections a partner row stores, read
 * back by the piece-by-piece decoder (cmpd's own text) or the general parser (anything else).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "graph/json_out.h"
#include "graph/model.h"
#include "store/row.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static int setup(void **state)
{
    *state = arena_new(0);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static void assert_same_item(const struct graph_assignment *a, const struct graph_assignment *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->filter_type, b->filter_type);
    if (a->target_id)
        assert_string_equal(a->target_id, b->target_id);
    else
        assert_null(b->target_id);
    if (a->filter_id)
        assert_string_equal(a->filter_id, b->filter_id);
    else
        assert_null(b->filter_id);
}

/* Store `l` as a row would and read it back; the two lists must be equal. */
static void assert_round_trip(struct arena *a, const struct graph_assignments *l)
{
    struct graph_assignments back = {NULL, 99};
    struct cmp_error err = {0};
    struct buf b;
    size_t i;

    buf_init(&b, 1 << 20);
    assert_int_equal(store__row_write_assignments(&b, l, "test", &err), 0);
    assert_int_equal(store__row_read_assignments(a, b.data, b.len, "col", "test", &back, &err), 0);
    assert_int_equal(back.n, l->n);
    for (i = 0; i < l->n; i++)
        assert_same_item(&l->items[i], &back.items[i]);
    buf_fini(&b);
}

static void test_every_kind_and_filter_reads_back(void **state)
{
    struct graph_assignment items[] = {
        {GRAPH_TARGET_ALL_DEVICES, NULL, NULL, 0},
        {GRAPH_TARGET_ALL_LICENSED_USERS, NULL, "f", 1},
        {GRAPH_TARGET_CONFIGMGR_COLLECTION, NULL, NULL, 0},
        {GRAPH_TARGET_CONFIGMGR_COLLECTION, "Collection Id value", NULL, 2},
        {GRAPH_TARGET_GROUP, "", "", 0},
        {GRAPH_TARGET_EXCLUSION_GROUP, "0e226165-c685-41ce-8bfc-df8360ab325d", "fid", 2},
    };
    struct graph_assignments l = {items, 0};

    for (l.n = 0; l.n <= sizeof items / sizeof *items; l.n++)
        assert_round_trip(*state, &l);
}

/* Escapes, control characters and UTF-8 in the strings; past the decoder's item limit. */
static void test_strings_of_any_content_and_long_lists_read_back(void **state)
{
    struct graph_assignment items[20];
    struct graph_assignments l = {items, 1};
    static const char *const ids[] = {
        "a\"b",         "back\\slash", "tab\there", "\x01", "caf\xc3\xa9", "\xf0\x9f\x98\x80",
        "{\"x\":null}", "null",        "]",
    };
    size_t i;

    for (i = 0; i < sizeof ids / sizeof *ids; i++) {
        items[0] = (struct graph_assignment){GRAPH_TARGET_GROUP, ids[i], ids[i], 1};
        assert_round_trip(*state, &l);
    }
    for (i = 0; i < sizeof items / sizeof *items; i++) {
        enum graph_target_kind kind = (enum graph_target_kind)(i % GRAPH_TARGET_COUNT);
        /* A kind without an id property has no id to store. */
        const char *id = graph_target_types[kind].id_prop && i % 2 ? "id" : NULL;
        items[i] = (struct graph_assignment){kind, id, i % 3 ? NULL : "f", (int)(i % 3)};
    }
    for (l.n = 7; l.n <= sizeof items / sizeof *items; l.n++)
        assert_round_trip(*state, &l);
}

/* cmpd's own text is read without a JSON tree: the items and their strings, one allocation. */
static void test_own_text_takes_one_allocation(void **state)
{
    static const char text[] = "[{\"target\":{\"@odata.type\":\"#microsoft.graph."
                               "configurationManagerCollectionAssignmentTarget\","
                               "\"deviceAndAppManagementAssignmentFilterId\":null,"
                               "\"deviceAndAppManagementAssignmentFilterType\":\"none\","
                               "\"collectionId\":\"Collection Id value\"}}]";
    struct graph_assignments back;
    struct cmp_error err = {0};
    size_t before = arena_used(*state);

    assert_int_equal(
        store__row_read_assignments(*state, text, strlen(text), "col", "test", &back, &err), 0);
    assert_int_equal(back.n, 1);
    assert_string_equal(back.items[0].target_id, "Collection Id value");
    assert_true(arena_used(*state) - before <=
                sizeof *back.items + sizeof "Collection Id value" + 16);
}

/* Text in another form (an older cmpd, a hand edit) reads through the general parser. */
static void test_other_forms_read_the_same(void **state)
{
    static const char spaced[] = "[ {\"target\": {\"groupId\": \"g\\u0031\", \"@odata.type\": "
                                 "\"#microsoft.graph.groupAssignmentTarget\", "
                                 "\"deviceAndAppManagementAssignmentFilterType\": \"include\"}} ]";
    struct graph_assignments back;
    struct cmp_error err = {0};

    assert_int_equal(
        store__row_read_assignments(*state, spaced, strlen(spaced), "col", "test", &back, &err), 0);
    assert_int_equal(back.n, 1);
    assert_int_equal(back.items[0].kind, GRAPH_TARGET_GROUP);
    assert_string_equal(back.items[0].target_id, "g1");
    assert_null(back.items[0].filter_id);
    assert_int_equal(back.items[0].filter_type, 1);
}

/* Damaged text is a corrupt row, whether or not it starts like cmpd's own. */
static void test_damaged_text_is_a_store_error(void **state)
{
    static const char *const damaged[] = {
        "",
        "[",
        "null",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}]x",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTargetX\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\"}}]",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.allDevicesAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"nonex\"}}]",
        "[{\"target\":{\"@odata.type\":\"#microsoft.graph.groupAssignmentTarget\","
        "\"deviceAndAppManagementAssignmentFilterId\":null,"
        "\"deviceAndAppManagementAssignmentFilterType\":\"none\",\"groupId\":\"\xff\"}}]",
    };
    struct graph_assignments back;
    struct cmp_error err;
    size_t i;

    log_set_level(LOG_ERROR); /* the general parser warns; the corrupt row is logged as an error */
    for (i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(store__row_read_assignments(*state, damaged[i], strlen(damaged[i]), "col",
                                                     "test", &back, &err),
                         CMP_ESTORE);
        assert_int_equal(err.code, CMP_ESTORE);
    }
    memset(&err, 0, sizeof err);
    assert_int_equal(store__row_read_assignments(*state, NULL, 0, "col", "test", &back, &err),
                     CMP_ESTORE);
    log_set_level(LOG_INFO);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_kind_and_filter_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_of_any_content_and_long_lists_read_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_own_text_takes_one_allocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_forms_read_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_text_is_a_store_error, setup, teardown),
    };

    return cmocka_run_group_tests_name("store_row", tests, NULL, NULL);
}
