/*
 * store/row.h - what the SQL backends share about a partner row; only store/ includes it.
 *
 * A partner row holds one column per model property but id (graph_partner_props, in its order),
 * lastHeartbeatDateTime twice - its text as the client sent it (STORE_HEARTBEAT_TEXT) and its
 * ticks for comparing (the model's column) - and the assignment collections as JSON text in the
 * beta shape (graph/json_out.c).  Both backends bind and read the columns in the order
 * store__row_columns() walks them.
 */
#ifndef CMP_STORE_ROW_H
#define CMP_STORE_ROW_H

#include <stddef.h>

struct arena;
struct buf;
struct cmp_error;
struct graph_assignments;

/* The column that holds lastHeartbeatDateTime as the client sent it. */
#define STORE_HEARTBEAT_TEXT "last_heartbeat"

/*
 * Call put(b, column, ctx) for every value column, in binding order; stops at (and returns) the
 * first non-zero result.
 */
int store__row_columns(struct buf *b, int (*put)(struct buf *b, const char *column, void *ctx),
                       void *ctx);

/*
 * Append collection `l` as the JSON text a row stores.  0; CMP_ENOMEM, or CMP_ESTORE (logged,
 * naming `backend`) for a collection that cannot be written; `err` is set either way.
 */
int store__row_write_assignments(struct buf *b, const struct graph_assignments *l,
                                 const char *backend, struct cmp_error *err);

/*
 * Read the JSON text (n bytes) of column `column` into `out` (strings in `a`).  NULL text or text
 * that is not a collection is a corrupt row: CMP_ESTORE, logged naming `backend`.  CMP_ENOMEM.
 */
int store__row_read_assignments(struct arena *a, const char *text, size_t n, const char *column,
                                const char *backend, struct graph_assignments *out,
                                struct cmp_error *err);

/* Log that a row of `backend` is unreadable at `what`; returns CMP_ESTORE set in `err`. */
int store__row_corrupt(const char *backend, const char *what, struct cmp_error *err);

#endif
