/*
 * main.c - the cmpd binary: a self-hosted Microsoft Graph complianceManagementPartner service.
 * Dispatches to the subcommands in cmd/.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

#define CMPD_VERSION "0.1.0"

static const char usage[] = "usage: cmpd <command> [options]\n"
                            "\n"
                            "commands:\n"
                            "  serve     run the Graph-compatible service (cmpd serve --help)\n"
                            "  token     print a signed access token (cmpd token --help)\n"
                            "  tenant    add, set, list or reset tenants (cmpd tenant --help)\n"
                            "  export    write partners as JSON lines (cmpd export --help)\n"
                            "  import    read partners from JSON lines (cmpd import --help)\n"
                            "  jwks      print the public signing key as JWKS (cmpd jwks --help)\n"
                            "  version   print the version\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    if (strcmp(argv[1], "tenant") == 0)
        return cmd_tenant(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "jwks") == 0)
        return cmd_jwks(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("cmpd %s\n", CMPD_VERSION);
        return 0;
    }
    fprintf(stderr, "cmpd: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
