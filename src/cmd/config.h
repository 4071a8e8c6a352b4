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

struct cmd_opt {
    const char *name; /* long option name, also the file key; env CMPD_<NAME> */
    const char *arg;  /* the value's placeholder in --help ("N", "URL"); NULL: a flag */
    const char *help; /* may hold '\n' for more lines */
    bool repeat;      /* may be given several times */
    /*
     * Take one value (a flag gets "true" or "false"; `first` is set for the first value of a
     * repeatable option from each source, to drop the values of earlier sources).  0, or -1 with a
     * message for the user in why[why_len].  `value` lives as long as the arena given to
     * cmd_config_parse.
     */
    int (*set)(void *opts, const char *value, bool first, char *why, size_t why_len);
};

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
