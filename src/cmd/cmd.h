/*
 * cmd/cmd.h - the subcommands of the cmpd binary.  Each parses its own options and returns the
 * process exit status (0 ok, 1 failure, 2 usage error).
 */
#ifndef CMP_CMD_CMD_H
#define CMP_CMD_CMD_H

#define CMD_DEFAULT_DATA "./cmpd-data"

int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_tenant(int argc, char **argv);

/* Create `dir` (mode 0700) if it does not exist.  0 or -1 with a message on stderr. */
int cmd_ensure_dir(const char *dir);

#endif
