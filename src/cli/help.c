/*
 * cli/help.c - usage text at every level of the command tree, laid out as mgc's
 * (System.CommandLine): Description, Usage, Commands or Options.  Text only; printed on --help
 * (stdout, exit 0) and after a usage error (stderr, exit 2).
 */
#include "cli/cli.h"

#define CONN_OPTIONS                                                                               \
    "  --url <url>                  cmpd's base URL [env: CMPD_URL; default: " CLI_DEFAULT_URL     \
    "]\n"                                                                                          \
    "  --token <token|@file>        Bearer access token, or @file to read it from a file\n"        \
    "                               [env: CMPD_TOKEN]\n"                                           \
    "  --ca <file>                  PEM CA bundle to verify https:// with [env: CMPD_CA]\n"        \
    "  --api-version <v1.0|beta>    Graph version [env: CMPD_API_VERSION; default: v1.0]\n"        \
    "  --output <json>              Output format [default: json]\n"                               \
    "  --debug                      Trace the HTTP exchange on stderr\n"                           \
    "  -?, -h, --help               Show help and usage information\n"

#define EXIT_CODES                                                                                 \
    "\nExit status:\n"                                                                             \
    "  0 success, 1 HTTP/Graph error (printed on stderr), 2 usage error,\n"                        \
    "  3 connection or TLS failure\n"

static const char *const cmd_help[] = {
    /* list */
    "Description:\n"
    "  List properties and relationships of the complianceManagementPartner objects.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners list [options]\n\n"
    "Options:\n"
    "  --top <top>                  Show only the first n items\n"
    "  --skip <skip>                Skip the first n items\n"
    "  --search <search>            Search items by search phrases\n"
    "  --filter <filter>            Filter items by property values\n"
    "  --count [true|false]         Include count of items\n"
    "  --orderby <orderby>          Order items by property values\n"
    "  --select <select>            Select properties to be returned\n"
    "  --expand <expand>            Expand related entities\n"
    "  --all                        Fetch all pages (follow @odata.nextLink) and print one\n"
    "                               merged value array\n",
    /* get */
    "Description:\n"
    "  Read properties and relationships of the complianceManagementPartner object.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners get [options]\n\n"
    "Options:\n"
    "  --compliance-management-partner-id <id>  The unique identifier of\n"
    "                               complianceManagementPartner (required)\n"
    "  --select <select>            Select properties to be returned\n"
    "  --expand <expand>            Expand related entities\n",
    /* create */
    "Description:\n"
    "  Create a new complianceManagementPartner object.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners create [options]\n\n"
    "Options:\n"
    "  --body <body>                The complianceManagementPartner as JSON (required)\n",
    /* patch */
    "Description:\n"
    "  Update the properties of a complianceManagementPartner object.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners patch [options]\n\n"
    "Options:\n"
    "  --compliance-management-partner-id <id>  The unique identifier of\n"
    "                               complianceManagementPartner (required)\n"
    "  --body <body>                The properties to change as JSON (required)\n"
    "  --if-match <etag>            ETag\n",
    /* delete */
    "Description:\n"
    "  Deletes a complianceManagementPartner.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners delete [options]\n\n"
    "Options:\n"
    "  --compliance-management-partner-id <id>  The unique identifier of\n"
    "                               complianceManagementPartner (required)\n"
    "  --if-match <etag>            ETag\n",
};

static const char root_help[] = "Description:\n"
                                "  cmpctl: the Microsoft Graph CLI (mgc) commands for cmpd.\n\n"
                                "Usage:\n"
                                "  cmpctl [command] [options]\n\n"
                                "Options:\n" CONN_OPTIONS "\n"
                                "Commands:\n"
                                "  device-management\n" EXIT_CODES;

static const char dm_help[] =
    "Description:\n"
    "  Provides operations to manage the deviceManagement singleton.\n\n"
    "Usage:\n"
    "  cmpctl device-management [command] [options]\n\n"
    "Options:\n" CONN_OPTIONS "\n"
    "Commands:\n"
    "  compliance-management-partners  Provides operations to manage the\n"
    "                                  complianceManagementPartners\n"
    "                                  property of the deviceManagement\n"
    "                                  entity.\n";

static const char partner_help[] =
    "Description:\n"
    "  Provides operations to manage the complianceManagementPartners property of the\n"
    "  microsoft.graph.deviceManagement entity.\n\n"
    "Usage:\n"
    "  cmpctl device-management compliance-management-partners [command] [options]\n\n"
    "Options:\n" CONN_OPTIONS "\n"
    "Commands:\n"
    "  create  Create a new complianceManagementPartner object.\n"
    "  delete  Deletes a complianceManagementPartner.\n"
    "  get     Read properties and relationships of the complianceManagementPartner object.\n"
    "  list    List properties and relationships of the complianceManagementPartner objects.\n"
    "  patch   Update the properties of a complianceManagementPartner object.\n";

void cli_help(FILE *f, const struct cli_args *args)
{
    switch (args->level) {
    case CLI_LEVEL_ROOT:
        fputs(root_help, f);
        return;
    case CLI_LEVEL_DM:
        fputs(dm_help, f);
        return;
    case CLI_LEVEL_PARTNER:
        fputs(partner_help, f);
        return;
    case CLI_LEVEL_CMD:
        break;
    }
    for (unsigned i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++) {
        if (args->cmd == (enum cli_cmd)(1u << i)) {
            fputs(cmd_help[i], f);
            fputs(CONN_OPTIONS EXIT_CODES, f);
            return;
        }
    }
}
