/*
 * store/sql_dialect.c - everything that differs between the SQL engines cmpd speaks, as one table
 * per engine: SQLite (the embedded backend, store/sqlite/) and PostgreSQL (store/postgres/).
 *
 *                      SQLite                               PostgreSQL
 *   placeholder        ?N                                   $N::text / $N::bigint
 *   array elements     json_each(col) AS j                  jsonb_array_elements(col::jsonb) AS j
 *   target member      json_extract(j.value,'$.target.k')   ((j.value->'target'->>'k') COLLATE "C")
 *   array length       json_array_length(col)               jsonb_array_length(col::jsonb)
 *   Booleans           1 / 0                                TRUE / FALSE
 *   nulls in ORDER BY  the default (NULL smallest)          NULLS FIRST asc / NULLS LAST desc
 *   startswith         col >= ?s AND col < ?succ(s)         starts_with(col, $s)
 *   endswith           substr(col, -length(?s)) = ?s        right(col, char_length($s)) = $s
 *   contains           instr(col, ?s) > 0                   strpos(col, $s) > 0
 *
 * Every string function is case-sensitive; LIKE is never used (SQLite's is case-insensitive for
 * ASCII, and its wildcards would need escaping).  On SQLite, startswith is the byte range
 * [s, succ(s)) where succ(s) is s with its last byte incremented: under the BINARY collation (a
 * memcmp) that range holds exactly the strings that begin with s, and an index on the column
 * serves it.  succ(s) need not be valid UTF-8; SQLite compares it as bytes.  PostgreSQL would
 * refuse such a parameter, hence starts_with() there.  PostgreSQL's string columns must use the
 * "C" collation (ordinal, like SQLite's BINARY) - a matter of its schema; the members of lambda
 * elements, which are no columns, are given it here.  Empty string arguments never reach these
 * functions (sql.c writes `col IS NOT NULL`).  A string argument that is not UTF-8 (the OData
 * parser refuses one, the store takes bytes) cannot be a PostgreSQL text parameter: there the
 * three functions compare bytes, the argument sent as hex -
 * position(decode($s, 'hex') IN convert_to(col, 'UTF8')) = 1 for startswith.
 */
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "store/sql_impl.h"

/* ---- SQLite ---- */

/* A key with characters outside [A-Za-z0-9] is quoted in a JSON path: $.target."@odata.type" */
static bool plain_key(const char *key)
{
    for (; *key; key++)
        if (!((*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') ||
              (*key >= '0' && *key <= '9')))
            return false;
    return true;
}

static void sqlite_member(struct sql__b *b, const char *key)
{
    bool plain = plain_key(key);

    sql__put(b, "json_extract(" SQL_ELEM ".value, '$.target.");
    sql__put(b, plain ? "" : "\"");
    sql__put(b, key);
    sql__put(b, plain ? "" : "\"");
    sql__put(b, "')");
}

/*
 * The least string greater than every string that begins with s (n > 0 bytes): s without its
 * trailing 0xff bytes, last byte incremented.  NULL when there is none (s is all 0xff), else
 * arena-owned; *len gets its length.
 */
static char *prefix_successor(struct sql__b *b, const char *s, size_t n, size_t *len)
{
    char *succ;

    while (n && (unsigned char)s[n - 1] == 0xff)
        n--;
    if (!n)
        return NULL;
    succ = arena_strndup(b->a, s, n);
    if (!succ) {
        sql__fail(b, CMP_ENOMEM);
        return NULL;
    }
    succ[n - 1] = (char)((unsigned char)succ[n - 1] + 1);
    *len = n;
    return succ;
}

static void sqlite_startswith(struct sql__b *b, const struct odata_expr *x, const char *s, size_t n)
{
    size_t k = sql__add_text(b, s, n);
    size_t len = 0;
    char *succ = prefix_successor(b, s, n, &len);

    sql__put(b, "(");
    sql__operand(b, x);
    sql__put(b, " >= ");
    sql__ref(b, k);
    if (succ) {
        sql__put(b, " AND ");
        sql__operand(b, x);
        sql__put(b, " < ");
        sql__ref(b, sql__add_text(b, succ, len));
    }
    sql__put(b, ")");
}

static void sqlite_func(struct sql__b *b, enum odata_func f, const struct odata_expr *x,
                        const char *s, size_t n)
{
    size_t k;

    switch (f) {
    case ODATA_STARTSWITH:
        sqlite_startswith(b, x, s, n);
        return;
    case ODATA_ENDSWITH:
        k = sql__add_text(b, s, n);
        sql__put(b, "substr(");
        sql__operand(b, x);
        sql__put(b, ", -length(");
        sql__ref(b, k);
        sql__put(b, ")) = ");
        sql__ref(b, k);
        return;
    case ODATA_CONTAINS:
        sql__put(b, "instr(");
        sql__operand(b, x);
        sql__put(b, ", ");
        sql__ref(b, sql__add_text(b, s, n));
        sql__put(b, ") > 0");
        return;
    }
    sql__fail(b, CMP_EINTERNAL);
}

const struct sql_dialect sql_dialect_sqlite = {
    .name = "sqlite",
    .mark = '?',
    .text_cast = "",
    .int_cast = "",
    .true_lit = "1",
    .false_lit = "0",
    /* SQLite's NULL is the smallest value: ASC puts nulls first and DESC last, as OData wants,
     * and a plain ORDER BY keeps to the index order. */
    .nulls_clause = false,
    .each_open = "json_each(",
    .each_close = ")",
    .len_open = "json_array_length(",
    .len_close = ")",
    .member = sqlite_member,
    .func = sqlite_func,
};

/* ---- PostgreSQL ---- */

/* A member's text compares ordinally, as the "C" columns do, whatever the database's default
 * collation. */
static void postgres_member(struct sql__b *b, const char *key)
{
    sql__put(b, "((" SQL_ELEM ".value->'target'->>'");
    sql__put(b, key);
    sql__put(b, "') COLLATE \"C\")");
}

/*
 * startswith/endswith/contains of a string that is not UTF-8 (the OData parser refuses one, but
 * the store takes bytes): PostgreSQL refuses such a text parameter, so the string goes as hex and
 * both sides are compared as bytes - the byte semantics of the SQLite startswith range.
 */
static void postgres_bytes_func(struct sql__b *b, enum odata_func f, const struct odata_expr *x,
                                const char *s, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = arena_alloc(b->a, 2 * n + 1);
    size_t k;
    size_t i;

    if (!hex) {
        sql__fail(b, CMP_ENOMEM);
        return;
    }
    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[(unsigned char)s[i] >> 4];
        hex[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    hex[2 * n] = '\0';
    k = sql__add_text(b, hex, 2 * n);
    if (f == ODATA_ENDSWITH) {
        /* substring(bytes FROM octet_length(bytes) - octet_length(s) + 1) = s */
        sql__put(b, "substring(convert_to(");
        sql__operand(b, x);
        sql__put(b, ", 'UTF8') FROM octet_length(convert_to(");
        sql__operand(b, x);
        sql__put(b, ", 'UTF8')) - octet_length(decode(");
        sql__ref(b, k);
        sql__put(b, ", 'hex')) + 1) = decode(");
        sql__ref(b, k);
        sql__put(b, ", 'hex')");
        return;
    }
    /* position(s IN bytes): 1 for startswith, > 0 for contains */
    sql__put(b, "position(decode(");
    sql__ref(b, k);
    sql__put(b, ", 'hex') IN convert_to(");
    sql__operand(b, x);
    sql__put(b, f == ODATA_STARTSWITH ? ", 'UTF8')) = 1" : ", 'UTF8')) > 0");
}

static void postgres_func(struct sql__b *b, enum odata_func f, const struct odata_expr *x,
                          const char *s, size_t n)
{
    size_t k;

    if (!str_is_utf8(s, n)) {
        postgres_bytes_func(b, f, x, s, n);
        return;
    }
    k = sql__add_text(b, s, n);
    switch (f) {
    case ODATA_STARTSWITH:
        sql__put(b, "starts_with(");
        sql__operand(b, x);
        sql__put(b, ", ");
        sql__ref(b, k);
        sql__put(b, ")");
        return;
    case ODATA_ENDSWITH:
        sql__put(b, "right(");
        sql__operand(b, x);
        sql__put(b, ", char_length(");
        sql__ref(b, k);
        sql__put(b, ")) = ");
        sql__ref(b, k);
        return;
    case ODATA_CONTAINS:
        sql__put(b, "strpos(");
        sql__operand(b, x);
        sql__put(b, ", ");
        sql__ref(b, k);
        sql__put(b, ") > 0");
        return;
    }
    sql__fail(b, CMP_EINTERNAL);
}

const struct sql_dialect sql_dialect_postgres = {
    .name = "postgres",
    .mark = '$',
    .text_cast = "::text",
    .int_cast = "::bigint",
    .true_lit = "TRUE",
    .false_lit = "FALSE",
    /* PostgreSQL's NULL is the largest value: OData's order has to be spelled out (and its
     * indexes declared with NULLS FIRST to serve it). */
    .nulls_clause = true,
    .each_open = "jsonb_array_elements(",
    .each_close = "::jsonb)",
    .len_open = "jsonb_array_length(",
    .len_close = "::jsonb)",
    .member = postgres_member,
    .func = postgres_func,
};
