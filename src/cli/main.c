/*
 * cli/main.c - cmpctl's entry point: parse the command line, apply the environment, read
 * `--token @file`, run the command.  Exit statuses are enum cli_exit (cli/cli.h).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"

#define TOKEN_MAX (64 * 1024)

/* `--token @file`: the token is the file's content without surrounding whitespace. */
static const char *read_token(struct arena *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *t = arena_alloc(a, TOKEN_MAX + 1);
    size_t n;
    size_t i = 0;

    if (!f || !t) {
        if (f)
            fclose(f);
        return NULL;
    }
    n = fread(t, 1, TOKEN_MAX, f);
    fclose(f);
    t[n] = '\0';
    while (n && strchr(" \t\r\n", t[n - 1]))
        t[--n] = '\0';
    while (t[i] && strchr(" \t\r\n", t[i]))
        i++;
    return t + i;
}

int main(int argc, char **argv)
{
    struct arena *a = arena_new(64 * 1024);
    struct cli_args args;
    char msg[512];
    int rc;

    if (!a) {
        fputs("cmpctl: out of memory\n", stderr);
        return CLI_ECONN;
    }
    rc = cli_args_parse(a, argc, argv, &args, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "cmpctl: %s\n\n", msg);
        cli_help(stderr, &args);
        goto out;
    }
    if (args.help) {
        cli_help(stdout, &args);
        goto out;
    }
    cli_args_env(&args);
    if (strcmp(args.api_version, "v1.0") && strcmp(args.api_version, "beta")) {
        fprintf(stderr, "cmpctl: API version '%s' is not v1.0 or beta\n", args.api_version);
        rc = CLI_EUSAGE;
        goto out;
    }
    if (args.token && args.token[0] == '@') {
        const char *t = read_token(a, args.token + 1);
        if (!t) {
            fprintf(stderr, "cmpctl: cannot read the token file %s\n", args.token + 1);
            rc = CLI_EUSAGE;
            goto out;
        }
        args.token = t;
    }
    if (args.token && args.token[strcspn(args.token, "\r\n")]) {
        fputs("cmpctl: the token must be one line\n", stderr);
        rc = CLI_EUSAGE;
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cli_partners_run(a, &args);
    curl_global_cleanup();
out:
    arena_free(a);
    return rc;
}
