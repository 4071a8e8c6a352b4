/*
 * odata/filter_impl.h - the $filter parser's state, shared by filter.c (expressions, literals,
 * functions), filter_path.c (property paths and any/all lambdas) and filter_check.c (the AST
 * invariants the fuzz target and the unit tests assert).  Module-internal.
 */
#ifndef CMP_ODATA_FILTER_IMPL_H
#define CMP_ODATA_FILTER_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "odata/lexer.h"
#include "odata/odata.h"

struct cmp_error;

/* The type of an operand, whether an entity property or a member of an assignment target. */
struct odata__optype {
    const char *name; /* "displayName", "groupId": for messages */
    enum graph_edm edm;
    bool nullable;
    const struct graph_enum *enums; /* EDM_ENUM */
};

/* What a sub-expression turned out to be, before it is known how it is used. */
enum odata__term_kind {
    ODATA__TERM_PRED,    /* a Boolean condition: e */
    ODATA__TERM_OPERAND, /* a property or lambda member: e (ODATA_OPERAND), type */
    ODATA__TERM_LITERAL  /* a literal token, typed only once it meets an operand: lit */
};

struct odata__term {
    enum odata__term_kind kind;
    size_t pos;
    struct odata_expr *e;
    struct odata__optype type;
    struct odata__token lit;
};

struct odata__parser {
    struct odata__lexer lx;
    struct odata__token tok; /* the current token */
    struct arena *a;
    struct cmp_error *err;
    enum graph_version v;
    size_t depth;    /* nesting of unary expressions (parentheses, not, arguments, lambdas) */
    size_t nodes;    /* AST nodes made so far */
    const char *var; /* the lambda variable in scope, or NULL outside a lambda */
    size_t var_len;
};

/* Move to the next token.  0 or an error code. */
int odata__next(struct odata__parser *p);

/* Consume a token of `kind` (described as `what` in the message), or fail. */
int odata__expect(struct odata__parser *p, enum odata__tok kind, const char *what);

/* A zeroed node of `kind` at `pos` (cast -1) into *out, counted against ODATA_MAX_NODES. */
int odata__node(struct odata__parser *p, enum odata_kind kind, size_t pos, struct odata_expr **out);

/* The whole grammar from its lowest precedence: or-expression. */
int odata__parse_or(struct odata__parser *p, struct odata__term *out);

/* A term as a Boolean condition (a Boolean property, true/false, or a condition). */
int odata__to_pred(struct odata__parser *p, const struct odata__term *t, struct odata_expr **out);

/*
 * The name `name` (already consumed; p->tok is the token after it, not '('): a property, a
 * member path of the lambda variable, or an any/all lambda over a collection.
 */
int odata__parse_path(struct odata__parser *p, const struct odata__token *name,
                      struct odata__term *out);

/* The type of entity property `prop`. */
void odata__prop_type(const struct graph_prop *prop, struct odata__optype *out);

/* The type of lambda member `m` in version `v`: 0, or -1 when `v` has no such member. */
int odata__member_type(enum odata_target_member m, enum graph_version v, struct odata__optype *out);

/* "Edm.String", "Edm.Boolean", ... or the enum's qualified name. */
const char *odata__edm_name(const struct odata__optype *t);

/*
 * Check the invariants later stages rely on (names resolved, literals typed for their operands,
 * limits kept).  Returns NULL when `e` is sound, else a description of the first violation.
 */
const char *odata__expr_check(const struct odata_expr *e, enum graph_version v);

/*
 * Is `err` a failure a client may see: CMP_EBADQUERY with a UTF-8 message that starts with
 * `prefix` and ends with '.' (or CMP_ENOMEM)?  For the fuzz targets.
 */
bool odata__error_sound(const struct cmp_error *err, const char *prefix);

#endif
