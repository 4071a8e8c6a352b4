/*
 * cli/args.c - cmpctl's command line: words down the command tree, then mgc's options.
 *
 * The words are `device-management compliance-management-partners <command>`; options may come
 * anywhere after `cmpctl`, as `--name value` or `--name=value`.  List options (--select, --orderby,
 * --expand) take one or more values up to the next option and may repeat, as System.CommandLine
 * does for mgc; their values are joined with ','.  --count takes an optional true/false.  Every
 * option says which commands accept it; anything else is a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"

enum opt_kind { OPT_FLAG, OPT_VALUE, OPT_LIST, OPT_NUMBER, OPT_BOOL };

struct opt {
    const char *name;
    enum opt_kind kind;
    size_t field; /* offsetof(struct cli_args, ...) */
    unsigned cmds;
};

#define F(m) offsetof(struct cli_args, m)
static const struct opt opts[] = {
    /* name                                kind        field           commands */
    {"--url", OPT_VALUE, F(url), CLI_CMD_ALL},
    {"--token", OPT_VALUE, F(token), CLI_CMD_ALL},
    {"--ca", OPT_VALUE, F(ca), CLI_CMD_ALL},
    {"--api-version", OPT_VALUE, F(api_version), CLI_CMD_ALL},
    {"--debug", OPT_FLAG, F(debug), CLI_CMD_ALL},
    {"--output", OPT_VALUE, F(output), CLI_CMD_ALL},
    {"--compliance-management-partner-id", OPT_VALUE, F(id),
     CLI_CMD_GET | CLI_CMD_PATCH | CLI_CMD_DELETE},
    {"--body", OPT_VALUE, F(body), CLI_CMD_CREATE | CLI_CMD_PATCH},
    {"--if-match", OPT_VALUE, F(if_match), CLI_CMD_PATCH | CLI_CMD_DELETE},
    {"--filter", OPT_VALUE, F(filter), CLI_CMD_LIST},
    {"--search", OPT_VALUE, F(search), CLI_CMD_LIST},
    {"--select", OPT_LIST, F(select), CLI_CMD_LIST | CLI_CMD_GET},
    {"--expand", OPT_LIST, F(expand), CLI_CMD_LIST | CLI_CMD_GET},
    {"--orderby", OPT_LIST, F(orderby), CLI_CMD_LIST},
    {"--top", OPT_NUMBER, F(top), CLI_CMD_LIST},
    {"--skip", OPT_NUMBER, F(skip), CLI_CMD_LIST},
    {"--count", OPT_BOOL, F(count), CLI_CMD_LIST},
    {"--all", OPT_FLAG, F(all), CLI_CMD_LIST},
};
#undef F

static const struct {
    const char *name;
    enum cli_cmd cmd;
} cmds[] = {
    {"list", CLI_CMD_LIST},   {"get", CLI_CMD_GET},       {"create", CLI_CMD_CREATE},
    {"patch", CLI_CMD_PATCH}, {"delete", CLI_CMD_DELETE},
};

static const char *const words[] = {"device-management", "compliance-management-partners"};

const char *cli_cmd_name(enum cli_cmd cmd)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (cmds[i].cmd == cmd)
            return cmds[i].name;
    return NULL;
}

static int usage(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int usage(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return CLI_EUSAGE;
}

static const struct opt *find_opt(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strlen(opts[i].name) == n && !strncmp(opts[i].name, s, n))
            return &opts[i];
    return NULL;
}

static bool is_option(const char *s)
{
    return s[0] == '-' && s[1] != '\0';
}

/* Append `v` to the comma-joined list in *slot. */
static int join(struct arena *a, const char **slot, const char *v)
{
    const char *s = *slot ? arena_sprintf(a, "%s,%s", *slot, v) : v;

    if (!s)
        return -1;
    *slot = s;
    return 0;
}

/* Take the value(s) of option `o` from argv[*i] on; `inline_v` is the text after '=' if any. */
static int take_value(struct arena *a, const struct opt *o, const char *inline_v, int argc,
                      char **argv, int *i, struct cli_args *out, char *msg, size_t len)
{
    char *field = (char *)out + o->field;
    const char *v = inline_v;

    if (o->kind == OPT_FLAG) {
        if (inline_v)
            return usage(msg, len, "option %s takes no value", o->name);
        *(bool *)field = true;
        return 0;
    }
    if (o->kind == OPT_BOOL) {
        if (!v && *i + 1 < argc &&
            (!strcmp(argv[*i + 1], "true") || !strcmp(argv[*i + 1], "false")))
            v = argv[++*i];
        if (v && strcmp(v, "true") && strcmp(v, "false"))
            return usage(msg, len, "option %s takes true or false, not '%s'", o->name, v);
        *(int *)field = !v || !strcmp(v, "true");
        return 0;
    }
    if (!v) {
        if (*i + 1 >= argc || (o->kind != OPT_VALUE && is_option(argv[*i + 1])))
            return usage(msg, len, "option %s needs a value", o->name);
        v = argv[++*i];
    }
    if (o->kind == OPT_NUMBER) {
        char *end;
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 0 || n > 2147483647)
            return usage(msg, len, "option %s takes a number of 0 or more, not '%s'", o->name, v);
        *(long *)field = n;
        return 0;
    }
    if (o->kind == OPT_LIST) {
        if (join(a, (const char **)field, v))
            return usage(msg, len, "out of memory");
        /* More values up to the next option: `--select id displayName`. */
        while (!inline_v && *i + 1 < argc && !is_option(argv[*i + 1]))
            if (join(a, (const char **)field, argv[++*i]))
                return usage(msg, len, "out of memory");
        return 0;
    }
    if (*(const char **)field)
        return usage(msg, len, "option %s given twice", o->name);
    *(const char **)field = v;
    return 0;
}

/* A word on the command line: the next level of the tree, or a usage error. */
static int take_word(const char *w, struct cli_args *out, char *msg, size_t len)
{
    if (out->level < CLI_LEVEL_PARTNER) {
        if (strcmp(w, words[out->level]))
            return usage(msg, len, "unknown command '%s'", w);
        out->level++;
        return 0;
    }
    if (out->level == CLI_LEVEL_PARTNER) {
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
            if (!strcmp(w, cmds[i].name)) {
                out->cmd = cmds[i].cmd;
                out->level = CLI_LEVEL_CMD;
                return 0;
            }
        }
        return usage(msg, len, "unknown command '%s'", w);
    }
    return usage(msg, len, "unexpected argument '%s'", w);
}

int cli_args_parse(struct arena *a, int argc, char **argv, struct cli_args *out, char *msg,
                   size_t msglen)
{
    const struct opt *seen[sizeof opts / sizeof opts[0] + 1];
    size_t nseen = 0;
    int rc;

    memset(out, 0, sizeof *out);
    out->top = -1;
    out->skip = -1;
    out->count = -1;
    msg[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];

        if (!strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "-?")) {
            out->help = true;
            continue;
        }
        if (!is_option(s)) {
            rc = take_word(s, out, msg, msglen);
            if (rc)
                return rc;
            continue;
        }
        const char *eq = strchr(s, '=');
        const struct opt *o = find_opt(s, eq ? (size_t)(eq - s) : strlen(s));
        if (!o)
            return usage(msg, msglen, "unknown option '%.*s'", eq ? (int)(eq - s) : (int)strlen(s),
                         s);
        rc = take_value(a, o, eq ? eq + 1 : NULL, argc, argv, &i, out, msg, msglen);
        if (rc)
            return rc;
        if (nseen < sizeof seen / sizeof seen[0])
            seen[nseen++] = o;
    }
    if (out->help)
        return 0;
    if (out->level != CLI_LEVEL_CMD)
        return usage(msg, msglen, "required command was not provided");
    for (size_t i = 0; i < nseen; i++)
        if (!(seen[i]->cmds & out->cmd))
            return usage(msg, msglen, "option %s does not apply to '%s'", seen[i]->name,
                         cli_cmd_name(out->cmd));
    if ((out->cmd & (CLI_CMD_GET | CLI_CMD_PATCH | CLI_CMD_DELETE)) && !out->id)
        return usage(msg, msglen, "option --compliance-management-partner-id is required");
    if ((out->cmd & (CLI_CMD_CREATE | CLI_CMD_PATCH)) && !out->body)
        return usage(msg, msglen, "option --body is required");
    if (out->output && strcmp(out->output, "json") && strcmp(out->output, "JSON"))
        return usage(msg, msglen, "--output '%s' is not supported (json only)", out->output);
    if (out->api_version && strcmp(out->api_version, "v1.0") && strcmp(out->api_version, "beta"))
        return usage(msg, msglen, "--api-version takes v1.0 or beta, not '%s'", out->api_version);
    return 0;
}

void cli_args_env(struct cli_args *args)
{
    const char *v;

    if (!args->url) {
        v = getenv("CMPD_URL");
        args->url = v && *v ? v : CLI_DEFAULT_URL;
    }
    if (!args->token) {
        v = getenv("CMPD_TOKEN");
        args->token = v && *v ? v : NULL;
    }
    if (!args->ca) {
        v = getenv("CMPD_CA");
        args->ca = v && *v ? v : NULL;
    }
    if (!args->api_version) {
        v = getenv("CMPD_API_VERSION");
        args->api_version = v && *v ? v : "v1.0";
    }
}
