/*
 * odata/paging.h - server-driven paging: the opaque, tamper-evident $skiptoken.
 *
 * A token carries a keyset position (the $orderby values and the sequence number of the last row
 * of a page) and an HMAC-SHA256 over that position and a binding string, which names the tenant,
 * the API version and every query option that shapes the listing.  A token that was altered, was
 * made for another query or tenant, or under another key is refused (CMP_EBADQUERY).
 */
#ifndef CMP_ODATA_PAGING_H
#define CMP_ODATA_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include "odata/odata.h"

struct arena;
struct cmp_error;

#define ODATA_PAGING_KEY_LEN 32

/* Keyset position of a page's last row (mirrors struct store_cursor). */
struct odata_position {
    struct odata_value keys[ODATA_MAX_ORDERBY];
    size_t key_count;
    int64_t seq;
};

/*
 * The binding string of a listing: tenant, version and the options that shape it ($filter,
 * $orderby, $select, $top, $count), one per line.  Arena-owned.
 */
const char *odata_paging_binding(struct arena *a, const char *tenant, const char *version,
                                 const struct odata_query *q);

/* Encode `pos` as a base64url token authenticated with `key` for `binding`.  Arena-owned. */
int odata_skiptoken_make(struct arena *a, const unsigned char key[ODATA_PAGING_KEY_LEN],
                         const char *binding, const struct odata_position *pos, char **out,
                         struct cmp_error *err);

/* Check and decode `token` (n bytes).  0, or CMP_EBADQUERY "The $skiptoken is invalid…". */
int odata_skiptoken_read(struct arena *a, const unsigned char key[ODATA_PAGING_KEY_LEN],
                         const char *binding, const char *token, size_t n,
                         struct odata_position *out, struct cmp_error *err);

#endif
