/*
 * cmd/util.c - small helpers the subcommands share.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"

int cmd_ensure_dir(const char *dir)
{
    if (mkdir(dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "cmpd: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}
