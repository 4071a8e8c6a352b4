/*
 * tests/unit/test_cmd_config.c - options from a config file, CMPD_* variables and the command line
 * (cmd/config.c): precedence, repeatable options, and every kind of bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config.h"
#include "core/arena.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

struct opts {
    const char *name;
    long n;
    bool flag;
    const char *items[4];
    size_t count;
    const char *path;
    long level;
    int mode;
};

static int set_name(void *o, const char *v, bool first, char *why, size_t n)
{
    (void)first, (void)why, (void)n;
    ((struct opts *)o)->name = v;
    return 0;
}

static int set_n(void *o, const char *v, bool first, char *why, size_t n)
{
    char *end;
    long x = strtol(v, &end, 10);

    (void)first;
    if (!*v || *end) {
        snprintf(why, n, "'%s' is not a number", v);
        return -1;
    }
    ((struct opts *)o)->n = x;
    return 0;
}

static int set_flag(void *o, const char *v, bool first, char *why, size_t n)
{
    (void)first, (void)why, (void)n;
    ((struct opts *)o)->flag = strcmp(v, "true") == 0;
    return 0;
}

static int set_item(void *o, const char *v, bool first, char *why, size_t n)
{
    struct opts *s = o;

    if (first)
        s->count = 0;
    if (s->count == 4) {
        snprintf(why, n, "at most 4");
        return -1;
    }
    s->items[s->count++] = v;
    return 0;
}

static int set_config(void *o, const char *v, bool first, char *why, size_t n)
{
    (void)o, (void)v, (void)first, (void)why, (void)n;
    return 0;
}

static const struct cmd_opt table[] = {
    CMD_OPT_FN("name", "TEXT", "a name", false, set_name),
    CMD_OPT_FN("max-n", "N", "a number", false, set_n),
    CMD_OPT_FN("flag", NULL, "a flag", false, set_flag),
    CMD_OPT_FN("item", "X", "repeatable", true, set_item),
    CMD_OPT_FN("config", "FILE", "config file", false, set_config),
    CMD_OPT_STRING("path", "P", "a string field", struct opts, path),
    CMD_OPT_LONG("level", "N", "a number field", struct opts, level, 1, 10),
    CMD_OPT_CHOICE("mode", "M", "a choice", struct opts, mode, "off", "on", "auto"),
};

#define N_OPTS (sizeof table / sizeof *table)

struct fixture {
    struct arena *a;
    struct opts o;
    char file[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    int fd;

    if (!f)
        return -1;
    f->a = arena_new(0);
    snprintf(f->file, sizeof f->file, "/tmp/cmpd-config-XXXXXX");
    fd = mkstemp(f->file);
    if (fd < 0)
        return -1;
    close(fd);
    unsetenv("CMPD_NAME");
    unsetenv("CMPD_MAX_N");
    unsetenv("CMPD_FLAG");
    unsetenv("CMPD_ITEM");
    unsetenv("CMPD_CONFIG");
    *state = f;
    return f->a ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->file);
    arena_free(f->a);
    free(f);
    return 0;
}

static void write_file(struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->file, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int parse(struct fixture *f, int argc, char **argv)
{
    memset(&f->o, 0, sizeof f->o);
    return cmd_config_parse("test", "usage: test", table, N_OPTS, argc, argv, &f->o, f->a);
}

static void test_config_command_line_forms(void **state)
{
    struct fixture *f = *state;
    char *argv[] = {"test", "--name", "a b", "--max-n=42", "--flag", "--item", "x", "--item=y"};

    assert_int_equal(parse(f, 8, argv), 0);
    assert_string_equal(f->o.name, "a b");
    assert_int_equal(f->o.n, 42);
    assert_true(f->o.flag);
    assert_int_equal(f->o.count, 2);
    assert_string_equal(f->o.items[0], "x");
    assert_string_equal(f->o.items[1], "y");
}

static void test_config_precedence_file_env_args(void **state)
{
    struct fixture *f = *state;
    char *argv[] = {"test", "--config", f->file, "--max-n", "3"};

    write_file(f,
               "# comment\n\n  name = from file  \nmax-n = 1\nitem = f1\nitem = f2\nflag = true\n");
    setenv("CMPD_MAX_N", "2", 1);
    setenv("CMPD_ITEM", "e1, e2,,e3", 1);
    assert_int_equal(parse(f, 5, argv), 0);
    assert_string_equal(f->o.name, "from file"); /* only the file gives it, trimmed */
    assert_int_equal(f->o.n, 3);                 /* the command line wins */
    assert_true(f->o.flag);
    /* The environment's list replaced the file's. */
    assert_int_equal(f->o.count, 3);
    assert_string_equal(f->o.items[0], "e1");
    assert_string_equal(f->o.items[2], "e3");
}

static void test_config_file_from_environment(void **state)
{
    struct fixture *f = *state;
    char *argv[] = {"test"};

    write_file(f, "name=x\n");
    setenv("CMPD_CONFIG", f->file, 1);
    assert_int_equal(parse(f, 1, argv), 0);
    assert_string_equal(f->o.name, "x");
}

static void test_config_refuses_bad_input(void **state)
{
    struct fixture *f = *state;
    char *unknown[] = {"test", "--nope"};
    char *positional[] = {"test", "stray"};
    char *missing[] = {"test", "--name"};
    char *flag_value[] = {"test", "--flag=1"};
    char *bad_number[] = {"test", "--max-n", "12x"};
    char *with_file[] = {"test", "--config", f->file};
    char *no_file[] = {"test", "--config", "/nonexistent/cmpd.conf"};

    assert_int_equal(parse(f, 2, unknown), 2);
    assert_int_equal(parse(f, 2, positional), 2);
    assert_int_equal(parse(f, 2, missing), 2);
    assert_int_equal(parse(f, 2, flag_value), 2);
    assert_int_equal(parse(f, 3, bad_number), 2);
    assert_int_equal(parse(f, 3, no_file), 2);
    write_file(f, "name x\n");
    assert_int_equal(parse(f, 3, with_file), 2); /* no '=' */
    write_file(f, "nope = 1\n");
    assert_int_equal(parse(f, 3, with_file), 2); /* unknown key */
    write_file(f, "name = a\nname = b\n");
    assert_int_equal(parse(f, 3, with_file), 2); /* given twice */
    write_file(f, "config = other\n");
    assert_int_equal(parse(f, 3, with_file), 2); /* no nesting */
    write_file(f, "flag = yes\n");
    assert_int_equal(parse(f, 3, with_file), 2); /* a flag is true or false */
    write_file(f, "max-n = nine\n");
    assert_int_equal(parse(f, 3, with_file), 2);
    write_file(f, "");
    setenv("CMPD_MAX_N", "ten", 1);
    assert_int_equal(parse(f, 3, with_file), 2);
    unsetenv("CMPD_MAX_N");
    setenv("CMPD_ITEM", "1,2,3,4,5", 1);
    assert_int_equal(parse(f, 3, with_file), 2); /* the setter's own limit */
}

/* Options stored straight into a field: a string, and a number checked against its range. */
static void test_config_field_options(void **state)
{
    struct fixture *f = *state;
    char *ok[] = {"test", "--path", "/x y", "--level=10"};
    char *low[] = {"test", "--level", "0"};
    char *high[] = {"test", "--level", "11"};
    char *junk[] = {"test", "--level", "3x"};
    char *empty[] = {"test", "--level="};

    assert_int_equal(parse(f, 4, ok), 0);
    assert_string_equal(f->o.path, "/x y");
    assert_int_equal(f->o.level, 10);
    assert_int_equal(parse(f, 3, low), 2);
    assert_int_equal(parse(f, 3, high), 2);
    assert_int_equal(parse(f, 3, junk), 2);
    assert_int_equal(parse(f, 2, empty), 2);
    setenv("CMPD_LEVEL", "4", 1);
    setenv("CMPD_PATH", "from-env", 1);
    assert_int_equal(parse(f, 1, ok), 0);
    assert_int_equal(f->o.level, 4);
    assert_string_equal(f->o.path, "from-env");
    unsetenv("CMPD_LEVEL");
    unsetenv("CMPD_PATH");
}

/* A choice is stored as the index of its name; anything else (a case variant, an empty value, a
 * number) is refused. */
static void test_config_choice_options(void **state)
{
    struct fixture *f = *state;
    char *last[] = {"test", "--mode", "auto"};
    char *first[] = {"test", "--mode=off"};
    char *upper[] = {"test", "--mode", "AUTO"};
    char *empty[] = {"test", "--mode="};
    char *index[] = {"test", "--mode", "1"};
    char *none[] = {"test"};

    assert_int_equal(parse(f, 3, last), 0);
    assert_int_equal(f->o.mode, 2);
    assert_int_equal(parse(f, 2, first), 0);
    assert_int_equal(f->o.mode, 0);
    assert_int_equal(parse(f, 3, upper), 2);
    assert_int_equal(parse(f, 2, empty), 2);
    assert_int_equal(parse(f, 3, index), 2);
    setenv("CMPD_MODE", "on", 1);
    assert_int_equal(parse(f, 1, none), 0);
    assert_int_equal(f->o.mode, 1);
    setenv("CMPD_MODE", "sometimes", 1);
    assert_int_equal(parse(f, 1, none), 2);
    unsetenv("CMPD_MODE");
}

static void test_config_help_wins(void **state)
{
    struct fixture *f = *state;
    char *argv[] = {"test", "--config", "/nonexistent", "--help"};

    assert_int_equal(parse(f, 4, argv), 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_config_command_line_forms),
        T(test_config_precedence_file_env_args),
        T(test_config_file_from_environment),
        T(test_config_refuses_bad_input),
        T(test_config_field_options),
        T(test_config_choice_options),
        T(test_config_help_wins),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
