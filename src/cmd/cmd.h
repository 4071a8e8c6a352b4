/*
 * cmd/cmd.h - the subcommands of the cmpd binary.  Each parses its own options and returns the
 * process exit status (0 ok, 1 failure, 2 usage error).
 */
#ifndef CMP_CMD_CMD_H
#define CMP_CMD_CMD_H

#define CMD_DEFAULT_DATA "./cmpd-data"
#define CMD_PAGING_KEY_LEN 32 /* the $skiptoken HMAC key (API_PAGING_KEY_LEN) */

struct auth_keys;
struct cmp_error;
struct store;

int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_jwks(int argc, char **argv);

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
