/*
 * store/sql_impl.h - shared by sql.c (the translation) and sql_dialect.c (what differs between
 * SQL engines); nothing else includes it.
 *
 * The translation writes into a builder whose calls are "sticky": the first failure (the text
 * past SQL_MAX_TEXT, memory) is kept in `rc` and every later call does nothing, so writers read
 * as a plain sequence.
 */
#ifndef CMP_STORE_SQL_IMPL_H
#define CMP_STORE_SQL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/sql.h"

/* The alias of the element row inside an any/all subquery (lambdas do not nest). */
#define SQL_ELEM "j"

struct sql__b {
    struct buf text;
    struct arena *a;
    const struct sql_dialect *d;
    struct sql_param *params; /* arena-owned */
    size_t n_params;
    size_t cap;
    int rc; /* the first failure, or 0 */
};

struct sql_dialect {
    const char *name;
    char mark;             /* placeholders: '?' writes ?N (SQLite), '$' writes $N (PostgreSQL) */
    const char *text_cast; /* after a text placeholder: "" or "::text" */
    const char *int_cast;  /* after an integer placeholder: "" or "::bigint" */
    const char *true_lit;  /* Boolean columns and constant predicates */
    const char *false_lit;
    bool nulls_clause;      /* write NULLS FIRST / NULLS LAST on nullable keys (not the default) */
    const char *each_open;  /* "json_each(" <column> each_close: one row per array element, */
    const char *each_close; /* its JSON in column `value` */
    const char *len_open;   /* the number of elements of an array column */
    const char *len_close;
    /* Write the value, as text or NULL, of member `key` of the element's target. */
    void (*member)(struct sql__b *b, const char *key);
    /* Write startswith/endswith/contains of operand `x` and the non-empty string `s`. */
    void (*func)(struct sql__b *b, enum odata_func f, const struct odata_expr *x, const char *s,
                 size_t n);
};

/* Append SQL text (ours, never the client's). */
void sql__put(struct sql__b *b, const char *s);

/* Append the placeholder of parameter k (1-based). */
void sql__ref(struct sql__b *b, size_t k);

/* Add a text / integer parameter without writing it; returns its number (0 after a failure). */
size_t sql__add_text(struct sql__b *b, const char *s, size_t n);
size_t sql__add_int(struct sql__b *b, int64_t i);

/* Write an operand: an entity column (p.<column>) or a member of the lambda element. */
void sql__operand(struct sql__b *b, const struct odata_expr *x);

/* Record a failure (the first one wins). */
void sql__fail(struct sql__b *b, int rc);

#endif
