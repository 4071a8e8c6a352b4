/*
 * store/sql.h - the OData $filter, $orderby and keyset position of a listing as SQL text with
 * bound parameters, shared by every SQL backend.
 *
 * No client text ever becomes SQL text: strings, numbers, ids and cursor values are parameters;
 * column names come only from the model table (graph/model.c) and JSON paths, target type names
 * and enum member names only from the model's own tables.  What differs between SQLite and
 * PostgreSQL (placeholders, JSON array iteration and member access, string functions, Boolean
 * literals, NULLS FIRST/LAST) lives in one place, the dialect tables of store/sql_dialect.c.
 *
 * Semantics (graph-conventions.md 4-5, OData 4.01 Part 2 5.1.1): string comparisons are ordinal
 * (binary); a comparison with a null column is false, except `ne` with a value and `ne null`,
 * which are true; `not` negates that two-valued result; startswith/endswith/contains are
 * case-sensitive and false on null; DateTimeOffset compares instants, enums member values.
 * Rows come in ($orderby..., seq) order, nulls first ascending and last descending, seq
 * ascending breaking ties; a keyset position selects the rows strictly after it in that order.
 */
#ifndef CMP_STORE_SQL_H
#define CMP_STORE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "odata/odata.h"
#include "store/store.h"

struct arena;
struct cmp_error;

/* A SQL dialect (opaque); the tables are in store/sql_dialect.c. */
struct sql_dialect;

extern const struct sql_dialect sql_dialect_sqlite;   /* ?N placeholders, json_each */
extern const struct sql_dialect sql_dialect_postgres; /* $N::type placeholders, jsonb */

enum sql_param_type { SQL_PARAM_NULL, SQL_PARAM_INT, SQL_PARAM_TEXT };

struct sql_param {
    enum sql_param_type type;
    int64_t i;     /* SQL_PARAM_INT */
    const char *s; /* SQL_PARAM_TEXT: borrowed from the request (AST, cursor, tenant) or static */
    size_t n;      /* its length in bytes */
};

/* A statement: placeholder k (?k / $k, numbered from 1) takes params[k - 1]. */
struct sql_query {
    const char *text; /* arena-owned, NUL-terminated */
    size_t len;
    struct sql_param *params; /* arena-owned */
    size_t n_params;
};

/* Largest SQL text one query may become (the $filter limits of odata.h keep far below it). */
#define SQL_MAX_TEXT (256u * 1024)

/*
 * The page query of store_partner_list():
 *
 *   SELECT <columns> FROM partners AS p WHERE p.tenant = ?1 [AND <filter>]
 *     [AND <range on the first key>] [AND (<keyset after req->after>)]
 *     ORDER BY <keys>, p.seq ASC LIMIT <req->limit + 1> [OFFSET <req->skip>]
 *
 * `columns` is the backend's select list (its own text, from the model table).  The LIMIT asks
 * for one row more than the page, so the backend learns whether another page follows.  The
 * OFFSET is written only without req->after.  A cursor whose keys do not fit req->orderby is
 * CMP_EBADQUERY; CMP_ENOMEM; CMP_EBADQUERY when the text would pass SQL_MAX_TEXT.
 * On success fills *out (arena-owned) and returns 0.
 */
int sql_partner_list(struct arena *a, const struct sql_dialect *d, const char *columns,
                     const char *tenant, const struct store_list_req *req, struct sql_query *out,
                     struct cmp_error *err);

/* SELECT count(*) FROM partners AS p WHERE p.tenant = ?1 [AND <filter>].  As above. */
int sql_partner_count(struct arena *a, const struct sql_dialect *d, const char *tenant,
                      const struct odata_expr *filter, struct sql_query *out,
                      struct cmp_error *err);

/*
 * The keyset position of row `p` (internal sequence number `seq`) in the order `orderby`
 * (`n` keys) into *out.  String values borrow p's strings.
 */
void sql_cursor_of(const struct graph_partner *p, int64_t seq, const struct odata_orderby *orderby,
                   size_t n, struct store_cursor *out);

#endif
