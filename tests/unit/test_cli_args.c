/*
 * tests/unit/test_cli_args.c - cli/args.c: the command tree, mgc's options and their values,
 * which commands accept which option, and the usage errors (exit 2) for everything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#define MAX_ARGS 32

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

/* Parse the NULL-terminated words after "cmpctl"; returns the rc, the message in `msg`. */
static int parse(struct arena *a, const char *const *words, struct cli_args *out, char *msg,
                 size_t len)
{
    char *argv[MAX_ARGS + 1] = {"cmpctl"};
    int argc = 1;

    for (; words[argc - 1]; argc++) {
        assert_true(argc < MAX_ARGS);
        argv[argc] = (char *)words[argc - 1];
    }
    return cli_args_parse(a, argc, argv, out, msg, len);
}

static void test_args_reads_the_seed_command(void **state)
{
    const char *w[] = {"device-management",
                       "compliance-management-partners",
                       "create",
                       "--body",
                       "{\"displayName\":\"x\"}",
                       NULL};
    struct cli_args args;
    char msg[256];

    assert_int_equal(parse(*state, w, &args, msg, sizeof msg), 0);
    assert_int_equal(args.level, CLI_LEVEL_CMD);
    assert_int_equal(args.cmd, CLI_CMD_CREATE);
    assert_string_equal(args.body, "{\"displayName\":\"x\"}");
    assert_null(args.url);
    assert_int_equal(args.top, -1);
    assert_int_equal(args.count, -1);
}

static void test_args_reads_list_options(void **state)
{
    const char *w[] = {"device-management",
                       "compliance-management-partners",
                       "list",
                       "--filter",
                       "displayName eq 'a'",
                       "--select",
                       "id",
                       "displayName",
                       "--select=partnerState",
                       "--orderby",
                       "displayName desc",
                       "--top=5",
                       "--skip",
                       "2",
                       "--count",
                       "--all",
                       "--url",
                       "http://h:1",
                       NULL};
    struct cli_args args;
    char msg[256];

    assert_int_equal(parse(*state, w, &args, msg, sizeof msg), 0);
    assert_int_equal(args.cmd, CLI_CMD_LIST);
    assert_string_equal(args.filter, "displayName eq 'a'");
    assert_string_equal(args.select, "id,displayName,partnerState");
    assert_string_equal(args.orderby, "displayName desc");
    assert_int_equal(args.top, 5);
    assert_int_equal(args.skip, 2);
    assert_int_equal(args.count, 1);
    assert_true(args.all);
    assert_string_equal(args.url, "http://h:1");
}

static void test_args_count_takes_an_optional_boolean(void **state)
{
    const char *w[] = {
        "device-management", "compliance-management-partners", "list", "--count", "false", NULL};
    struct cli_args args;
    char msg[256];

    assert_int_equal(parse(*state, w, &args, msg, sizeof msg), 0);
    assert_int_equal(args.count, 0);
}

static void test_args_help_at_every_level(void **state)
{
    static const struct {
        const char *w[5];
        enum cli_level level;
    } cases[] = {
        {{"--help"}, CLI_LEVEL_ROOT},
        {{"device-management", "-h"}, CLI_LEVEL_DM},
        {{"device-management", "compliance-management-partners", "-?"}, CLI_LEVEL_PARTNER},
        {{"device-management", "compliance-management-partners", "get", "--help"}, CLI_LEVEL_CMD},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_args args;
        char msg[256];

        assert_int_equal(parse(*state, cases[i].w, &args, msg, sizeof msg), 0);
        assert_true(args.help);
        assert_int_equal(args.level, cases[i].level);
    }
}

static void test_args_refuses_bad_command_lines(void **state)
{
    static const struct {
        const char *w[8];
        const char *msg;
    } cases[] = {
        {{NULL}, "required command was not provided"},
        {{"device-mgmt"}, "unknown command 'device-mgmt'"},
        {{"device-management", "compliance-management-partners", "frob"}, "unknown command 'frob'"},
        {{"device-management", "compliance-management-partners", "list", "extra"},
         "unexpected argument 'extra'"},
        {{"device-management", "compliance-management-partners", "list", "--bogus"},
         "unknown option '--bogus'"},
        {{"device-management", "compliance-management-partners", "list", "--top"},
         "option --top needs a value"},
        {{"device-management", "compliance-management-partners", "list", "--top", "-1"},
         "option --top needs a value"},
        {{"device-management", "compliance-management-partners", "list", "--top", "1x"},
         "option --top takes a number of 0 or more, not '1x'"},
        {{"device-management", "compliance-management-partners", "list", "--count", "--all=1"},
         "option --all takes no value"},
        {{"device-management", "compliance-management-partners", "list", "--count=yes"},
         "option --count takes true or false, not 'yes'"},
        {{"device-management", "compliance-management-partners", "get"},
         "option --compliance-management-partner-id is required"},
        {{"device-management", "compliance-management-partners", "patch",
          "--compliance-management-partner-id", "x"},
         "option --body is required"},
        {{"device-management", "compliance-management-partners", "delete",
          "--compliance-management-partner-id", "x", "--filter", "a"},
         "option --filter does not apply to 'delete'"},
        {{"device-management", "compliance-management-partners", "create", "--body", "{}", "--body",
          "{}"},
         "option --body given twice"},
        {{"device-management", "compliance-management-partners", "list", "--output", "table"},
         "--output 'table' is not supported (json only)"},
        {{"device-management", "compliance-management-partners", "list", "--api-version", "v2"},
         "--api-version takes v1.0 or beta, not 'v2'"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_args args;
        char msg[256];

        assert_int_equal(parse(*state, cases[i].w, &args, msg, sizeof msg), CLI_EUSAGE);
        assert_string_equal(msg, cases[i].msg);
    }
}

static void test_args_env_fills_what_flags_left(void **state)
{
    const char *w[] = {
        "device-management", "compliance-management-partners", "list", "--token", "flag", NULL};
    struct cli_args args;
    char msg[256];

    setenv("CMPD_URL", "https://env:1", 1);
    setenv("CMPD_TOKEN", "env", 1);
    unsetenv("CMPD_CA");
    unsetenv("CMPD_API_VERSION");
    assert_int_equal(parse(*state, w, &args, msg, sizeof msg), 0);
    cli_args_env(&args);
    assert_string_equal(args.url, "https://env:1");
    assert_string_equal(args.token, "flag");
    assert_null(args.ca);
    assert_string_equal(args.api_version, "v1.0");
    unsetenv("CMPD_URL");
    assert_int_equal(parse(*state, w, &args, msg, sizeof msg), 0);
    cli_args_env(&args);
    assert_string_equal(args.url, CLI_DEFAULT_URL);
    unsetenv("CMPD_TOKEN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args_reads_the_seed_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_reads_list_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_count_takes_an_optional_boolean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_help_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_refuses_bad_command_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_env_fills_what_flags_left, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
