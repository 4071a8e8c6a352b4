/*
 * cmd/util.c - small helpers the subcommands share.
 */
#include <stdio.h>

#include "cmd/cmd.h"
#include "core/err.h"
#include "core/file.h"

int cmd_ensure_dir(const char *dir)
{
    struct cmp_error err = {0};

    if (file_ensure_dir(dir, false, &err)) {
        fprintf(stderr, "cmpd: %s\n", cmp_error_message(&err));
        return -1;
    }
    return 0;
}
