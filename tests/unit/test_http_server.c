/*
 * tests/unit/test_http_server.c - the in-process test server (http__test_new and friends) that the
 * fuzz target fuzz_request drives: raw HTTP/1.1 over a socketpair, through the real pipeline.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/jwt.h"
#include "auth/keys.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "http/server.h"

#include <cmocka.h>

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define BASE "/v1.0/deviceManagement/complianceManagementPartners"

/*
 * One server for the group (an RSA key takes a while to generate, and freeing a server waits for
 * h2o's one-second timer); each test uses its own connection.
 */
static struct {
    char dir[64];
    struct auth_keys *keys;
    struct arena *arena;
    char *token; /* app-only, ReadWrite, tenant TENANT */
    unsigned char paging_key[API_PAGING_KEY_LEN];
    struct http_config cfg;
    struct http_server *srv;
} fx;

static int group_setup(void **state)
{
    struct auth_mint m = {.tenant = TENANT, .roles = "DeviceManagementServiceConfig.ReadWrite.All"};
    struct cmp_error err = {0};

    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(fx.dir, sizeof fx.dir, "/tmp/cmpd-http-XXXXXX");
    fx.arena = arena_new(0);
    if (!mkdtemp(fx.dir) || !fx.arena || auth__keys_ephemeral(NULL, &fx.keys, &err) ||
        auth_jwt_mint(fx.keys, NULL, &m, time_now(), fx.arena, &fx.token, &err))
        return -1;
    fx.cfg.store_location = fx.dir;
    fx.cfg.keys = fx.keys;
    fx.cfg.cloud = &auth_cloud_global;
    fx.cfg.paging_key = fx.paging_key;
    fx.cfg.page_size = 2;
    return http__test_new(&fx.cfg, &fx.srv, &err) ? -1 : 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    http__test_free(fx.srv);
    auth_keys_free(fx.keys);
    arena_free(fx.arena);
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx.dir);
    return system(cmd) ? -1 : 0;
}

/*
 * Send `req` on a fresh connection, shut down our write side, and collect everything the server
 * writes until it closes the connection.  Returns the response (arena-owned, NUL-terminated).
 */
static char *exchange(const char *req)
{
    size_t cap = 1 << 20;
    char *resp = arena_alloc(fx.arena, cap);
    size_t len = 0;
    size_t open = 1;
    int sv[2];
    int turn;

    assert_non_null(resp);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], req, strlen(req)), (ssize_t)strlen(req));
    assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
    http__test_accept(fx.srv, sv[1]);
    for (turn = 0; turn < 1000 && open; turn++)
        open = http__test_run(fx.srv, 10);
    assert_int_equal(open, 0);
    for (;;) {
        ssize_t r = read(sv[0], resp + len, cap - 1 - len);
        assert_true(r >= 0);
        if (r == 0)
            break;
        len += (size_t)r;
    }
    resp[len] = '\0';
    close(sv[0]);
    return resp;
}

static void test_server_answers_health_without_token(void **state)
{
    char *resp = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

    (void)state;
    assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(resp, "\r\n\r\n{\"status\":\"ok\"}"));
}

static void test_server_refuses_missing_token(void **state)
{
    char *resp = exchange("GET " BASE " HTTP/1.1\r\nHost: x\r\n\r\n");

    (void)state;
    assert_true(strncmp(resp, "HTTP/1.1 401 ", 13) == 0);
    assert_non_null(strstr(resp, "InvalidAuthenticationToken"));
}

static void test_server_serves_pipelined_requests_with_token(void **state)
{
    const char *body = "{\"displayName\":\"Contoso\"}";
    char *req = arena_sprintf(fx.arena,
                              "POST " BASE " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s"
                              "GET " BASE "/$count HTTP/1.1\r\nHost: x\r\n"
                              "Authorization: Bearer %s\r\n\r\n",
                              fx.token, strlen(body), body, fx.token);
    char *resp = exchange(req);
    char *second = strstr(resp + 1, "HTTP/1.1 ");

    (void)state;
    assert_true(strncmp(resp, "HTTP/1.1 201 Created\r\n", 22) == 0);
    assert_non_null(strstr(resp, "\"displayName\":\"Contoso\""));
    assert_non_null(second);
    assert_true(strncmp(second, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_true(strlen(second) > 4 && strcmp(second + strlen(second) - 5, "\r\n\r\n1") == 0);
}

/* The partner count of TENANT, through the server. */
static long partner_count(void)
{
    char *req = arena_sprintf(fx.arena,
                              "GET " BASE "/$count HTTP/1.1\r\nHost: x\r\n"
                              "Authorization: Bearer %s\r\n\r\n",
                              fx.token);
    char *resp = exchange(req);
    char *body = strstr(resp, "\r\n\r\n");

    assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(body);
    return strtol(body + 4, NULL, 10);
}

/*
 * A client that goes away while its create waits for the group commit: the write still commits
 * (it was accepted), the loop lets go of the request and of the connection, nothing is answered
 * into freed memory (ASan), and the server serves the next request.
 */
static void test_server_client_gone_while_write_is_queued(void **state)
{
    const char *body = "{\"displayName\":\"gone before the answer\"}";
    char *req = arena_sprintf(fx.arena,
                              "POST " BASE " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                              fx.token, strlen(body), body);
    long before = partner_count();
    size_t open = 1;
    int sv[2];
    int turn;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], req, strlen(req)), (ssize_t)strlen(req));
    http__test_accept(fx.srv, sv[1]);
    for (turn = 0; turn < 1000 && !http__test_pending(fx.srv); turn++)
        http__test_run(fx.srv, 1);
    assert_int_equal(http__test_pending(fx.srv), 1); /* queued, not answered */
    close(sv[0]);
    for (turn = 0; turn < 1000 && open; turn++)
        open = http__test_run(fx.srv, 10);
    assert_int_equal(open, 0); /* no connection and no write left */
    assert_int_equal(partner_count(), before + 1);
}

static void test_server_closes_connection_on_half_request(void **state)
{
    char *resp = exchange("GET " BASE " HTTP/1.1\r\nHost: x\r\nAuthor");

    (void)state;
    /* The peer ended its input mid-headers: h2o closes without a response. */
    assert_string_equal(resp, "");
}

static void test_server_test_entry_refuses_listeners(void **state)
{
    struct http_listener l = {.tls = false, .host = "127.0.0.1", .port = "0"};
    struct http_config cfg = fx.cfg;
    struct http_server *s = NULL;
    struct cmp_error err = {0};

    (void)state;
    cfg.listeners = &l;
    cfg.listener_count = 1;
    assert_int_equal(http__test_new(&cfg, &s, &err), CMP_EBADREQUEST);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_answers_health_without_token),
        cmocka_unit_test(test_server_refuses_missing_token),
        cmocka_unit_test(test_server_serves_pipelined_requests_with_token),
        cmocka_unit_test(test_server_client_gone_while_write_is_queued),
        cmocka_unit_test(test_server_closes_connection_on_half_request),
        cmocka_unit_test(test_server_test_entry_refuses_listeners),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
