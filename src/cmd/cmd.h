/*
 * cmd/cmd.h - the subcommands of the cmpd binary.  Each parses its own options and returns the
 * process exit status (0 ok, 1 failure, 2 usage error).
 */
#ifndef CMP_CMD_CMD_H
#define CMP_CMD_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CMD_DEFAULT_DATA "./cmpd-data"
#define CMD_PAGING_KEY_LEN 32 /* the $skiptoken HMAC key (API_PAGING_KEY_LEN) */

struct auth_keys;
struct cmp_error;
struct store;

int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_jwks(int argc, char **argv);
int cmd_export(int argc, char **argv); /* cmd/data.c */
int cmd_import(int argc, char **argv);

/* What an import does with a partner id that exists already. */
enum cmd_conflict { CMD_CONFLICT_FAIL, CMD_CONFLICT_SKIP, CMD_CONFLICT_REPLACE };

struct cmd_import_opts {
    const char *who;  /* prefix of the messages: "cmpd import" */
    const char *name; /* of the input, in messages */
    enum cmd_conflict conflict;
    bool register_tenants; /* register unknown tenants (only_if_new, licensed) */
    bool progress;         /* a progress bar when stderr is a terminal */
};

struct cmd_import_result {
    int64_t lines;    /* non-blank lines read */
    int64_t imported; /* partners inserted (replacements included) */
    int64_t replaced;
    int64_t skipped;
    int64_t bad; /* lines refused (each reported on stderr with its number, the first 20) */
    int64_t registered;
};

/*
 * Import the JSON lines of `in` (the format of cmd/data.c) into `s` in one transaction: 0 when
 * every line was good and the transaction committed; else an error (CMP_EBADBODY for bad lines,
 * each reported on stderr) and nothing written.  *res counts either way.
 */
int cmd_import_stream(struct store *s, FILE *in, const struct cmd_import_opts *o,
                      struct cmd_import_result *res, struct cmp_error *err);

/* `cmpd serve --seed FILE`: import FILE skipping the ids that exist, registering its tenants. */
int cmd_seed(struct store *s, const char *path, struct cmd_import_result *res,
             struct cmp_error *err);

/* The store location given: `flag` (--store) if set, else $CMPD_STORE, else NULL (DIR/cmpd.db). */
const char *cmd_store_location(const char *flag);

/*
 * The verification keys (the local signing key, then those of `jwks`, may be NULL) and, when
 * `paging_key` is not NULL, the CMD_PAGING_KEY_LEN-byte $skiptoken key: from `store_location`
 * when given (created there by the first caller), else from DIR/keys/ files (created on first
 * use).  0, or an error code with `err`.
 */
int cmd_load_keys(const char *data, const char *store_location, const char *jwks,
                  struct auth_keys **keys, unsigned char *paging_key, struct cmp_error *err);

/* The same from an open store `s` (NULL: the DIR/keys/ files of `data`). */
int cmd_keys_from(const char *data, struct store *s, const char *jwks, struct auth_keys **keys,
                  unsigned char *paging_key, struct cmp_error *err);

/* Open `store_location`, or (NULL) the SQLite store of data directory `data`, created if need be.
 */
int cmd_open_store(const char *data, const char *store_location, struct store **out,
                   struct cmp_error *err);

/* Create `dir` (mode 0700) if it does not exist.  0 or -1 with a message on stderr. */
int cmd_ensure_dir(const char *dir);

#endif
