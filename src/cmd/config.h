/*
 * cmd/config.h - a subcommand's options, described once as a table, read from three sources:
 * an optional config file (--config FILE or $CMPD_CONFIG), CMPD_* environment variables and the
 * command line, each overriding the one before.
 *
 * Option `--page-size N` is `page-size = N` in the file and CMPD_PAGE_SIZE=N in the environment.
 * A repeatable option (--listen) given by a later source replaces the earlier source's values; in
 * the environment its values are separated by commas.  The file holds one `name = value` per line;
 * blank lines and lines starting with '#' are ignored.  A flag (--x) is `x = true|false` in the
 * file and CMPD_X=true|false in the environment.
 */
#ifndef CMP_CMD_CONFIG_H
#define CMP_CMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct arena;

/* What an option's value becomes. */
enum cmd_value {
    CMD_VALUE_FN,     /* whatever `set` makes of it */
    CMD_VALUE_STRING, /* a `const char *` at `offset` in the options */
    CMD_VALUE_LONG,   /* a decimal `long` in [min, max] at `offset` */
    CMD_VALUE_CHOICE, /* one of `choices`: its index, an `int` at `offset` */
};

struct cmd_opt {
    const char *name; /* long option name, also the file key; env CMPD_<NAME> */
    const char *arg;  /* the value's placeholder in --help ("N", "URL"); NULL: a flag */
    const char *help; /* may hold '\n' for more lines */
    bool repeat;      /* may be given several times (CMD_VALUE_FN only) */
    /*
     * CMD_VALUE_FN: take one value (a flag gets "true" or "false"; `first` is set for the first
     * value of a repeatable option from each source, to drop the values of earlier sources).
     * 0, or -1 with a message for the user in why[why_len].  `value` lives as long as the arena
     * given to cmd_config_parse.
     */
    int (*set)(void *opts, const char *value, bool first, char *why, size_t why_len);
    enum cmd_value kind;
    size_t offset;              /* CMD_VALUE_STRING, CMD_VALUE_LONG */
    long min, max;              /* CMD_VALUE_LONG */
    const char *const *choices; /* CMD_VALUE_CHOICE: the names, NULL-terminated */
};

/* An option whose value `set` takes. */
#define CMD_OPT_FN(name, arg, help, repeat, set)                                                   \
    {                                                                                              \
        name, arg, help, repeat, set, CMD_VALUE_FN, 0, 0, 0, NULL                                  \
    }

/* A string option stored in field `field` of options struct `type`. */
#define CMD_OPT_STRING(name, arg, help, type, field)                                               \
    {                                                                                              \
        name, arg, help, false, NULL, CMD_VALUE_STRING, offsetof(type, field), 0, 0, NULL          \
    }

/* A number in [min, max] stored in the `long` field `field` of options struct `type`. */
#define CMD_OPT_LONG(name, arg, help, type, field, min, max)                                       \
    {                                                                                              \
        name, arg, help, false, NULL, CMD_VALUE_LONG, offsetof(type, field), min, max, NULL        \
    }

/*
 * One of the names given as the last arguments, stored as its index in the `int` field `field` of
 * options struct `type` (the first name is 0); any other value is refused with the list of names.
 */
/* clang-format off */
#define CMD_OPT_CHOICE(name, arg, help, type, field, ...)                                          \
    {                                                                                              \
        name, arg, help, false, NULL, CMD_VALUE_CHOICE, offsetof(type, field), 0, 0,               \
        (const char *const[]){__VA_ARGS__, NULL}                                                   \
    }
/* clang-format on */

/*
 * Fill `opts` from the config file, the environment and argv (argv[0] is the subcommand).
 * Returns 0; 1 after printing the help (--help); 2 after printing a usage error to stderr.
 * Values from the file and the environment are copied into `a`.
 */
int cmd_config_parse(const char *cmd, const char *synopsis, const struct cmd_opt *table, size_t n,
                     int argc, char **argv, void *opts, struct arena *a);

/* Print the usage text: the synopsis, then every option with its environment variable. */
void cmd_config_usage(FILE *f, const char *synopsis, const struct cmd_opt *table, size_t n);

#endif
