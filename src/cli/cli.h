/*
 * cli/cli.h - cmpctl, the command-line client of cmpd, spelled like Microsoft's `mgc`.
 *
 * `cmpctl device-management compliance-management-partners list|get|create|patch|delete [options]`
 * with mgc's option names (--compliance-management-partner-id, --body, --filter, --select...),
 * plus the connection: --url/CMPD_URL, --token/CMPD_TOKEN, --ca/CMPD_CA, --api-version.  It speaks
 * HTTP through libcurl like any other client and includes no server header (STYLE.md 1).
 *
 * Modules: args.c (argv -> struct cli_args, pure), help.c (usage text), http.c (libcurl),
 * out.c (pretty JSON, Graph error text, pure), cmd_partners.c (the five commands), main.c.
 */
#ifndef CMP_CLI_CLI_H
#define CMP_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct arena;
struct buf;
struct json_value;

/* Exit statuses, documented in --help and the README. */
enum cli_exit {
    CLI_OK = 0,
    CLI_EHTTP = 1,  /* the server answered with an HTTP/Graph error */
    CLI_EUSAGE = 2, /* bad command line: unknown command/option, bad value, bad --body JSON,
                       unreadable --token @file */
    CLI_ECONN = 3,  /* no answer: connection refused, TLS failure, timeout */
};

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"
#define CLI_MAX_RESPONSE (64u * 1024 * 1024)

/* The commands; each option lists the commands that accept it as a mask of these bits. */
enum cli_cmd {
    CLI_CMD_NONE = 0,
    CLI_CMD_LIST = 1 << 0,
    CLI_CMD_GET = 1 << 1,
    CLI_CMD_CREATE = 1 << 2,
    CLI_CMD_PATCH = 1 << 3,
    CLI_CMD_DELETE = 1 << 4,
};
#define CLI_CMD_ALL 0x1f

/* How far down the command tree the words on the command line reach. */
enum cli_level {
    CLI_LEVEL_ROOT,    /* cmpctl */
    CLI_LEVEL_DM,      /* cmpctl device-management */
    CLI_LEVEL_PARTNER, /* cmpctl device-management compliance-management-partners */
    CLI_LEVEL_CMD,     /* ... list|get|create|patch|delete */
};

/* A parsed command line.  Strings point into argv or the arena given to cli_args_parse. */
struct cli_args {
    enum cli_level level;
    enum cli_cmd cmd;
    bool help;
    /* connection */
    const char *url;
    const char *token;
    const char *ca;
    const char *api_version;
    /* command options, as mgc spells them */
    const char *id;       /* --compliance-management-partner-id */
    const char *body;     /* --body */
    const char *filter;   /* --filter */
    const char *search;   /* --search */
    const char *select;   /* --select a b / --select a,b: joined with ',' */
    const char *orderby;  /* --orderby: joined with ',' */
    const char *expand;   /* --expand: joined with ',' */
    const char *if_match; /* --if-match (delete, patch) */
    const char *output;   /* --output json */
    long top;             /* -1 when not given */
    long skip;            /* -1 when not given */
    int count;            /* -1 not given, 0 false, 1 true */
    bool all;             /* --all: follow @odata.nextLink */
    bool debug;           /* --debug: libcurl's verbose trace on stderr */
};

/*
 * Parse argv[1..argc-1].  Returns 0, or CLI_EUSAGE with a one-line message in `msg`.  Flags win
 * over the environment, which the caller applies afterwards (cli_args_env).  Strings built by
 * joining list options come from `a`.
 */
int cli_args_parse(struct arena *a, int argc, char **argv, struct cli_args *out, char *msg,
                   size_t msglen);

/* Fill the connection fields not given as flags from CMPD_URL, CMPD_TOKEN, CMPD_CA,
 * CMPD_API_VERSION, and the defaults. */
void cli_args_env(struct cli_args *args);

/* The command's name ("list"...), or NULL. */
const char *cli_cmd_name(enum cli_cmd cmd);

/* Print the usage of the level/command `args` reached to `f`. */
void cli_help(FILE *f, const struct cli_args *args);

/* ---- http.c ---- */

struct cli_response {
    long status;
    char *body; /* owned (free()), NUL-terminated; NULL when empty */
    size_t len;
    char request_id[128];
    char date[64];
};

/*
 * Send one request.  `body` may be NULL.  Returns 0 once any HTTP answer arrived (whatever its
 * status), CLI_ECONN with a message in `msg` when none did.  `r` is filled; cli_response_fini
 * releases it.
 */
int cli_http(const struct cli_args *args, const char *method, const char *url, const char *body,
             struct cli_response *r, char *msg, size_t msglen);

void cli_response_fini(struct cli_response *r);

/* ---- out.c ---- */

/* Append `v` to `b` as JSON indented by two spaces, as mgc prints, ending in a newline. */
int cli_json_pretty(struct buf *b, const struct json_value *v);

/*
 * Append a readable account of an HTTP error to `b`: status, Graph code, message (unwrapping
 * Intune's JSON-inside-a-string message, graph-conventions.md 2.3), request-id and date (from
 * innerError, else the headers given).  `body` need not be JSON.
 */
int cli_error_text(struct buf *b, long status, const char *body, size_t len, const char *request_id,
                   const char *date);

/* ---- cmd_partners.c ---- */

/* Run the command of `args` (level CLI_LEVEL_CMD); returns a cli_exit status. */
int cli_partners_run(struct arena *a, const struct cli_args *args);

#endif
