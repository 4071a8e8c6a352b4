/*
 * cmd/config.c - options from a config file, the environment and the command line (config.h).
 */
#include "cmd/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define CONFIG_MAX_FILE (64 * 1024)
#define CONFIG_WHY 256

enum source { SRC_FILE, SRC_ENV, SRC_ARGS };

static const char *const source_name[] = {"config file", "environment", "command line"};

/* CMPD_<NAME>: upper case, '-' as '_'. */
static void env_name(const char *name, char *out, size_t n)
{
    size_t i = 0;
    size_t k = (size_t)snprintf(out, n, "CMPD_");

    for (; name[i] && k + 1 < n; i++, k++)
        out[k] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
    out[k < n ? k : n - 1] = '\0';
}

static const struct cmd_opt *find(const struct cmd_opt *t, size_t n, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0)
            return &t[i];
    return NULL;
}

/* Per option: whether the current source has given it yet (for repeatable options). */
struct seen {
    bool given[64];
};

/* A decimal integer in [lo, hi] into *out; -1 with a message otherwise. */
static int long_in(const char *v, long lo, long hi, long *out, char *why, size_t n)
{
    char *end;
    long x;

    errno = 0;
    x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        snprintf(why, n, "'%s' is not a number in %ld..%ld", v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* The index of `v` among `choices` into *out; -1 with "a, b or c, not 'v'" otherwise. */
static int choice_in(const char *v, const char *const *choices, int *out, char *why, size_t n)
{
    size_t k = 0;
    int i;

    for (i = 0; choices[i]; i++) {
        if (strcmp(v, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    for (i = 0; choices[i] && k < n; i++)
        k += (size_t)snprintf(why + k, n - k, "%s%s",
                              i == 0           ? ""
                              : choices[i + 1] ? ", "
                                               : " or ",
                              choices[i]);
    if (k < n)
        snprintf(why + k, n - k, ", not '%s'", v);
    return -1;
}

/* Give option `o` its value `v`, as its kind says. */
static int store_value(const struct cmd_opt *o, void *opts, const char *v, bool first, char *why,
                       size_t n)
{
    char *field = (char *)opts + o->offset;

    switch (o->kind) {
    case CMD_VALUE_STRING:
        *(const char **)(void *)field = v;
        return 0;
    case CMD_VALUE_LONG:
        return long_in(v, o->min, o->max, (long *)(void *)field, why, n);
    case CMD_VALUE_CHOICE:
        return choice_in(v, o->choices, (int *)(void *)field, why, n);
    case CMD_VALUE_FN:
        break;
    }
    return o->set(opts, v, first, why, n);
}

static int apply(const char *cmd, const struct cmd_opt *t, size_t n, const struct cmd_opt *o,
                 const char *value, enum source src, const char *where, struct seen *seen,
                 void *opts)
{
    char why[CONFIG_WHY] = "";
    size_t idx = (size_t)(o - t);
    bool first = !seen->given[idx];

    (void)n;
    if (!o->arg && strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
        fprintf(stderr, "cmpd %s: %s: %s is true or false\n", cmd, where, o->name);
        return 2;
    }
    if (!o->repeat && !first && src != SRC_ARGS) {
        fprintf(stderr, "cmpd %s: %s: %s given twice\n", cmd, where, o->name);
        return 2;
    }
    seen->given[idx] = true;
    if (store_value(o, opts, value, first, why, sizeof why)) {
        fprintf(stderr, "cmpd %s: %s (%s): %s\n", cmd, o->name, where, why);
        return 2;
    }
    return 0;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int read_file(const char *cmd, const char *path, struct arena *a, char **out)
{
    FILE *f = fopen(path, "r");
    char *text;
    size_t got;

    if (!f) {
        fprintf(stderr, "cmpd %s: cannot read config file %s: %s\n", cmd, path, strerror(errno));
        return 2;
    }
    text = arena_alloc(a, CONFIG_MAX_FILE + 1);
    got = text ? fread(text, 1, CONFIG_MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!text || got > CONFIG_MAX_FILE) {
        fprintf(stderr, "cmpd %s: config file %s is larger than %d bytes\n", cmd, path,
                CONFIG_MAX_FILE);
        return 2;
    }
    text[got] = '\0';
    if (strlen(text) != got) {
        fprintf(stderr, "cmpd %s: config file %s holds a NUL byte\n", cmd, path);
        return 2;
    }
    *out = text;
    return 0;
}

static int from_file(const char *cmd, const char *path, const struct cmd_opt *t, size_t n,
                     void *opts, struct arena *a)
{
    struct seen seen = {0};
    char where[300];
    char *text = NULL;
    char *line;
    char *next;
    int lineno = 0;
    int rc = read_file(cmd, path, a, &text);

    for (line = text; !rc && line && *line; line = next) {
        const struct cmd_opt *o;
        char *eq;
        char *key;
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line = trim(line);
        if (!*line || *line == '#')
            continue;
        snprintf(where, sizeof where, "%s line %d", path, lineno);
        eq = strchr(line, '=');
        if (!eq) {
            fprintf(stderr, "cmpd %s: %s: expected name = value\n", cmd, where);
            return 2;
        }
        *eq = '\0';
        key = trim(line);
        o = find(t, n, key, strlen(key));
        if (!o || strcmp(key, "config") == 0 || strcmp(key, "help") == 0) {
            fprintf(stderr, "cmpd %s: %s: unknown option '%s'\n", cmd, where, key);
            return 2;
        }
        rc = apply(cmd, t, n, o, trim(eq + 1), SRC_FILE, where, &seen, opts);
    }
    return rc;
}

static int from_env(const char *cmd, const struct cmd_opt *t, size_t n, void *opts, struct arena *a)
{
    struct seen seen = {0};
    char name[80];
    size_t i;
    int rc = 0;

    for (i = 0; i < n && !rc; i++) {
        const char *v;
        char *copy;
        char *part;
        char *next;
        if (strcmp(t[i].name, "help") == 0 || strcmp(t[i].name, "config") == 0)
            continue;
        env_name(t[i].name, name, sizeof name);
        v = getenv(name);
        if (!v || !*v)
            continue;
        copy = arena_strdup(a, v);
        if (!copy)
            return 2;
        if (!t[i].repeat) {
            rc = apply(cmd, t, n, &t[i], copy, SRC_ENV, name, &seen, opts);
            continue;
        }
        for (part = copy; !rc && part; part = next) {
            next = strchr(part, ',');
            if (next)
                *next++ = '\0';
            part = trim(part);
            if (*part)
                rc = apply(cmd, t, n, &t[i], part, SRC_ENV, name, &seen, opts);
        }
    }
    return rc;
}

/* The --config FILE of argv, else $CMPD_CONFIG, else NULL. */
static const char *config_path(int argc, char **argv)
{
    const char *env = getenv("CMPD_CONFIG");
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return env && *env ? env : NULL;
}

static int from_args(const char *cmd, const char *synopsis, const struct cmd_opt *t, size_t n,
                     int argc, char **argv, void *opts)
{
    struct seen seen = {0};
    int i;
    int rc = 0;

    for (i = 1; i < argc && !rc; i++) {
        const char *arg = argv[i];
        const char *eq;
        const struct cmd_opt *o;
        const char *value;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cmd_config_usage(stdout, synopsis, t, n);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            fprintf(stderr, "cmpd %s: unexpected argument '%s'\n", cmd, arg);
            return 2;
        }
        arg += 2;
        eq = strchr(arg, '=');
        o = find(t, n, arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (!o) {
            fprintf(stderr, "cmpd %s: unknown option '%s' (see --help)\n", cmd, argv[i]);
            return 2;
        }
        if (!o->arg) {
            if (eq) {
                fprintf(stderr, "cmpd %s: --%s takes no value\n", cmd, o->name);
                return 2;
            }
            value = "true";
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "cmpd %s: --%s needs a value (%s)\n", cmd, o->name, o->arg);
            return 2;
        }
        if (strcmp(o->name, "config") == 0)
            continue; /* read first, by config_path() */
        rc = apply(cmd, t, n, o, value, SRC_ARGS, source_name[SRC_ARGS], &seen, opts);
    }
    return rc;
}

int cmd_config_parse(const char *cmd, const char *synopsis, const struct cmd_opt *table, size_t n,
                     int argc, char **argv, void *opts, struct arena *a)
{
    const char *path = config_path(argc, argv);
    int rc = 0;
    int i;

    if (n > sizeof((struct seen *)0)->given)
        return 2;
    /* --help wins over everything, even a broken config file. */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cmd_config_usage(stdout, synopsis, table, n);
            return 1;
        }
    }
    if (path && find(table, n, "config", 6))
        rc = from_file(cmd, path, table, n, opts, a);
    if (!rc)
        rc = from_env(cmd, table, n, opts, a);
    if (!rc)
        rc = from_args(cmd, synopsis, table, n, argc, argv, opts);
    return rc;
}

void cmd_config_usage(FILE *f, const char *synopsis, const struct cmd_opt *table, size_t n)
{
    char env[80];
    size_t i;

    fprintf(f, "%s\n", synopsis);
    for (i = 0; i < n; i++) {
        const struct cmd_opt *o = &table[i];
        char left[64];
        const char *h = o->help;
        int width;
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        width = fprintf(f, "  %s", left);
        if (width >= 23) {
            /* A long name: its help starts on the next line, in the column. */
            fputc('\n', f);
            width = 0;
        }
        for (;;) {
            const char *nl = strchr(h, '\n');
            int len = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(f, "%*s%.*s\n", 24 - width, "", len, h);
            if (!nl)
                break;
            h = nl + 1;
            width = 0;
        }
        if (strcmp(o->name, "help") != 0 && strcmp(o->name, "config") != 0) {
            env_name(o->name, env, sizeof env);
            fprintf(f, "%24s[env %s%s]\n", "", env, o->repeat ? ", comma-separated" : "");
        }
    }
    fprintf(f, "  %-22s%s\n", "-h, --help", "this text");
    fputs("\nPrecedence: command line, then CMPD_* environment, then the config file\n"
          "(--config FILE or CMPD_CONFIG; one `name = value` per line, # comments).\n",
          f);
}
