/*
 * tests/unit/test_api_partners.c - the handlers of api/, called directly on a real SQLite store
 * in a temporary directory: statuses, Location, Prefer, the id rule, paging and tenant admission.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "store/store.h"

#include <cmocka.h>

#define TENANT_A "aaaaaaaa-0000-4000-8000-000000000001"
#define TENANT_B "bbbbbbbb-0000-4000-8000-000000000002"
#define BASE "https://localhost:8443"

static const unsigned char paging_key[API_PAGING_KEY_LEN] = "0123456789abcdef0123456789abcde";

struct fixture {
    char dir[64];
    struct store *store;
    struct arena *arena;
    struct buf out;
    struct cmp_error err;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct cmp_error err = {0};

    snprintf(f->dir, sizeof f->dir, "/tmp/cmpd-api-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, &f->store, &err), 0);
    f->arena = arena_new(0);
    buf_init(&f->out, 1 << 24);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    store_close(f->store);
    arena_free(f->arena);
    buf_fini(&f->out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A fresh request on the fixture's store. */
static struct api_request req(struct fixture *f, const char *tenant, const char *id,
                              const char *body, const char *query)
{
    struct api_request r;

    memset(&r, 0, sizeof r);
    buf_reset(&f->out);
    cmp_error_clear(&f->err);
    r.version = GRAPH_V1;
    r.version_name = "v1.0";
    r.id = id;
    r.query = query ? query : "";
    r.query_len = strlen(r.query);
    r.body = body ? body : "";
    r.body_len = strlen(r.body);
    r.base_url = BASE;
    r.tenant = tenant;
    r.paging_key = paging_key;
    r.page_size = API_PAGE_SIZE;
    r.store = f->store;
    r.arena = f->arena;
    r.err = &f->err;
    r.out = &f->out;
    return r;
}

/* Create a partner named `name` in `tenant`; return its id (arena-owned). */
static const char *create(struct fixture *f, const char *tenant, const char *name)
{
    char body[128];
    struct api_request r;
    const char *at;

    snprintf(body, sizeof body, "{\"displayName\":\"%s\"}", name);
    r = req(f, tenant, NULL, body, NULL);
    assert_int_equal(partners_create(&r), 0);
    at = strstr(f->out.data, "\"id\":\"");
    assert_non_null(at);
    return arena_strndup(f->arena, at + 6, 36);
}

static void test_create_answers_201_with_location_and_entity(void **state)
{
    struct fixture *f = *state;
    struct api_request r =
        req(f, TENANT_A, NULL, "{\"id\":\"client-chosen\",\"iosOnboarded\":true}", NULL);
    const char *id;

    assert_int_equal(partners_create(&r), 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.content_type, API_CT_ODATA);
    assert_non_null(strstr(f->out.data, "\"@odata.context\":\"" BASE "/v1.0/$metadata#"
                                        "deviceManagement/complianceManagementPartners/$entity\""));
    id = strstr(f->out.data, "\"id\":\"") + 6;
    assert_true(str_is_guid(id, 36));
    assert_null(strstr(f->out.data, "client-chosen"));
    assert_non_null(
        strstr(r.location, BASE "/v1.0/deviceManagement/complianceManagementPartners/"));
    assert_memory_equal(r.location + strlen(r.location) - 36, id, 36);
}

static void test_context_names_the_context_root_and_location_the_base(void **state)
{
    struct fixture *f = *state;
    struct api_request r = req(f, TENANT_A, NULL, "{}", NULL);
    const char *id;

    r.context_root = "https://graph.microsoft.us";
    assert_int_equal(partners_create(&r), 0);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(f->out.data, "\"@odata.context\":\"https://graph.microsoft.us/v1.0/"
                                        "$metadata#deviceManagement/complianceManagementPartners/"
                                        "$entity\""));
    assert_non_null(
        strstr(r.location, BASE "/v1.0/deviceManagement/complianceManagementPartners/"));
    id = arena_strndup(f->arena, r.location + strlen(r.location) - 36, 36);

    r = req(f, TENANT_A, id, NULL, NULL);
    r.context_root = "https://microsoftgraph.chinacloudapi.cn";
    assert_int_equal(partners_get(&r), 0);
    assert_non_null(strstr(f->out.data,
                           "\"@odata.context\":\"https://microsoftgraph.chinacloudapi.cn"
                           "/v1.0/$metadata#"));

    r = req(f, TENANT_A, NULL, NULL, NULL);
    r.context_root = "https://dod-graph.microsoft.us";
    assert_int_equal(service_document(&r), 0);
    assert_non_null(strstr(f->out.data,
                           "\"@odata.context\":\"https://dod-graph.microsoft.us/v1.0/$metadata\""));
}

static void test_invalid_body_stores_nothing(void **state)
{
    struct fixture *f = *state;
    struct api_request r = req(f, TENANT_A, NULL, "{\"partnerState\":\"active\"}", NULL);
    int64_t n = -1;

    assert_int_equal(partners_create(&r), CMP_EBADBODY);
    assert_non_null(strstr(f->err.msg, "partnerState"));
    assert_int_equal(f->out.len, 0);
    assert_int_equal(store_partner_count(f->store, TENANT_A, NULL, &n, &f->err), 0);
    assert_int_equal(n, 0);
}

static void test_patch_is_204_or_200_with_prefer(void **state)
{
    struct fixture *f = *state;
    const char *id = create(f, TENANT_A, "one");
    struct api_request r = req(f, TENANT_A, id, "{\"partnerState\":\"enabled\"}", NULL);

    assert_int_equal(partners_update(&r), 0);
    assert_int_equal(r.status, 204);
    assert_int_equal(f->out.len, 0);
    assert_false(r.preference_applied);

    r = req(f, TENANT_A, id, "{\"displayName\":\"two\"}", NULL);
    r.prefer_representation = true;
    assert_int_equal(partners_update(&r), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.preference_applied);
    assert_non_null(strstr(f->out.data, "\"partnerState\":\"enabled\",\"displayName\":\"two\""));
}

static void test_patch_refuses_a_different_id(void **state)
{
    struct fixture *f = *state;
    const char *id = create(f, TENANT_A, "one");
    char body[96];
    char upper[37];
    struct api_request r;
    size_t i;

    snprintf(body, sizeof body, "{\"id\":\"%s\"}", "00000000-0000-4000-8000-000000000000");
    r = req(f, TENANT_A, id, body, NULL);
    assert_int_equal(partners_update(&r), CMP_EBADBODY);
    assert_non_null(strstr(f->err.msg, "'id'"));

    /* The same id, in any case, is fine. */
    for (i = 0; i < 36; i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
    upper[36] = '\0';
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", upper);
    r = req(f, TENANT_A, id, body, NULL);
    assert_int_equal(partners_update(&r), 0);
}

static void test_unknown_and_foreign_ids_are_not_found(void **state)
{
    struct fixture *f = *state;
    const char *id = create(f, TENANT_A, "mine");
    const char *ids[] = {id, "00000000-0000-4000-8000-000000000000", "not-a-guid"};
    size_t i;

    for (i = 0; i < 3; i++) {
        struct api_request r = req(f, TENANT_B, ids[i], "{}", NULL);
        assert_int_equal(partners_get(&r), CMP_ENOTFOUND);
        r = req(f, TENANT_B, ids[i], "{}", NULL);
        assert_int_equal(partners_update(&r), CMP_ENOTFOUND);
        r = req(f, TENANT_B, ids[i], NULL, NULL);
        assert_int_equal(partners_delete(&r), CMP_ENOTFOUND);
    }
    /* Still there for its owner. */
    struct api_request r = req(f, TENANT_A, id, NULL, NULL);
    assert_int_equal(partners_get(&r), 0);
    assert_int_equal(r.status, 200);
}

static void test_delete_then_get_is_not_found(void **state)
{
    struct fixture *f = *state;
    const char *id = create(f, TENANT_A, "gone");
    struct api_request r = req(f, TENANT_A, id, NULL, NULL);

    assert_int_equal(partners_delete(&r), 0);
    assert_int_equal(r.status, 204);
    r = req(f, TENANT_A, id, NULL, NULL);
    assert_int_equal(partners_get(&r), CMP_ENOTFOUND);
}

static void test_count_is_plain_text_per_tenant(void **state)
{
    struct fixture *f = *state;
    struct api_request r;

    create(f, TENANT_A, "a1");
    create(f, TENANT_A, "a2");
    create(f, TENANT_B, "b1");
    r = req(f, TENANT_A, NULL, NULL, NULL);
    assert_int_equal(partners_count(&r), 0);
    assert_string_equal(r.content_type, API_CT_TEXT);
    assert_string_equal(f->out.data, "2");
}

static void test_list_pages_with_next_link(void **state)
{
    struct fixture *f = *state;
    struct api_request r;
    const char *link;
    const char *tok;
    size_t seen = 0;
    int i;

    for (i = 0; i < API_PAGE_SIZE + 5; i++)
        create(f, TENANT_A, "p");
    r = req(f, TENANT_A, NULL, NULL, NULL);
    assert_int_equal(partners_list(&r), 0);
    link = strstr(f->out.data, "\"@odata.nextLink\":\"" BASE "/v1.0/deviceManagement/"
                               "complianceManagementPartners?$skiptoken=");
    assert_non_null(link);
    for (const char *p = f->out.data; (p = strstr(p, "\"id\":")); p++)
        seen++;
    assert_int_equal(seen, API_PAGE_SIZE);
    tok = strstr(link, "?") + 1;
    r = req(f, TENANT_A, NULL, NULL, arena_strndup(f->arena, tok, strcspn(tok, "\"")));
    assert_int_equal(partners_list(&r), 0);
    assert_null(strstr(f->out.data, "nextLink"));
    seen = 0;
    for (const char *p = f->out.data; (p = strstr(p, "\"id\":")); p++)
        seen++;
    assert_int_equal(seen, 5);
}

static void test_next_link_is_bound_to_tenant_and_query(void **state)
{
    struct fixture *f = *state;
    struct api_request r;
    const char *tok;
    char *query;
    int i;

    for (i = 0; i < 3; i++)
        create(f, TENANT_A, "p");
    r = req(f, TENANT_A, NULL, NULL, "$top=2&$orderby=displayName");
    assert_int_equal(partners_list(&r), 0);
    tok = strstr(f->out.data, "complianceManagementPartners?$top=2&$orderby=displayName&"
                              "$skiptoken=");
    assert_non_null(tok);
    tok = strstr(tok, "?") + 1;
    query = arena_strndup(f->arena, tok, strcspn(tok, "\""));
    /* The same link from another tenant, or with the query changed, is refused. */
    r = req(f, TENANT_B, NULL, NULL, query);
    assert_int_equal(partners_list(&r), CMP_EBADQUERY);
    r = req(f, TENANT_A, NULL, NULL, strstr(query, "$skiptoken"));
    assert_int_equal(partners_list(&r), CMP_EBADQUERY);
    /* Followed as given, it returns the last partner and no further link. */
    r = req(f, TENANT_A, NULL, NULL, query);
    assert_int_equal(partners_list(&r), 0);
    assert_null(strstr(f->out.data, "nextLink"));
}

static void test_invalid_query_options_are_refused(void **state)
{
    struct fixture *f = *state;
    const char *queries[] = {"$search=x", "$expand=target",    "$skiptoken=!!", "$skiptoken=eA",
                             "$top=-1",   "$filter=nope eq 1", "$top=1&$top=2"};
    size_t i;

    for (i = 0; i < sizeof queries / sizeof *queries; i++) {
        struct api_request r = req(f, TENANT_A, NULL, NULL, queries[i]);
        assert_int_equal(partners_list(&r), CMP_EBADQUERY);
    }
}

static void test_tenant_admission(void **state)
{
    struct fixture *f = *state;
    struct store_tenant t = {.id = TENANT_B, .intune_licensed = false};
    struct cmp_error err = {0};

    assert_int_equal(api_tenant_admit(f->store, TENANT_A, API_TENANTS_REGISTERED, &err),
                     CMP_EFORBIDDEN);
    cmp_error_clear(&err);
    assert_int_equal(api_tenant_admit(f->store, TENANT_A, API_TENANTS_AUTO, &err), 0);
    /* Registered now, so the strict mode admits it too. */
    assert_int_equal(api_tenant_admit(f->store, TENANT_A, API_TENANTS_REGISTERED, &err), 0);
    assert_int_equal(store_tenant_put(f->store, &t, false, &err), 0);
    assert_int_equal(api_tenant_admit(f->store, TENANT_B, API_TENANTS_AUTO, &err), CMP_EUNLICENSED);
    assert_string_equal(cmp_error_message(&err), "Request not applicable to target tenant.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_answers_201_with_location_and_entity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_context_names_the_context_root_and_location_the_base,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_body_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch_is_204_or_200_with_prefer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch_refuses_a_different_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_foreign_ids_are_not_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_then_get_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_is_plain_text_per_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_with_next_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_link_is_bound_to_tenant_and_query, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_query_options_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_admission, setup, teardown),
    };

    return cmocka_run_group_tests_name("api_partners", tests, NULL, NULL);
}
