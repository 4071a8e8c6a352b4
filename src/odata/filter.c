/*
 * odata/filter.c - parse an OData $filter expression into the AST of odata.h.
 *
 * Recursive descent; precedence from the loosest: or, and, comparison, not (as in ODataLib,
 * `not a eq b` is `(not a) eq b`):
 *
 *   or      := and ('or' and)*
 *   and     := cmp ('and' cmp)*
 *   cmp     := unary (cmpop unary | 'in' '(' literal (',' literal)* ')')*
 *   unary   := 'not' unary | primary
 *   primary := '(' or ')' | literal | func '(' or ',' or ')' | path       (path: filter_path.c)
 *
 * A comparison needs a property (or lambda member) on one side and a literal on the other; a
 * literal on the left is moved to the right with the operator mirrored.  A condition compared
 * with true/false by eq/ne becomes the condition or its negation.  Literals are typed by the
 * operand they meet: a string is an enum member for an enum property, a DateTimeOffset must be
 * unquoted, null is allowed only with eq/ne (or in an `in` list) on a nullable operand.  Ordering
 * operators work on every type (enums by member value, false before true).  Names are exact
 * (case-sensitive), as are keywords and enum members.  All limits of odata.h are enforced here:
 * length, nesting depth (so deep input cannot exhaust the stack), node count, `in` items.
 */
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "odata/filter_impl.h"
#include "odata/odata.h"

int odata__next(struct odata__parser *p)
{
    return odata__lex_next(&p->lx, &p->tok, p->err);
}

int odata__expect(struct odata__parser *p, enum odata__tok kind, const char *what)
{
    char d[ODATA__QUOTE_MAX + 40];

    if (p->tok.kind != kind)
        return odata__lex_fail(p->err, p->tok.pos, "syntax error: expected %s but found %s", what,
                               odata__lex_describe(&p->tok, d, sizeof d));
    return odata__next(p);
}

int odata__node(struct odata__parser *p, enum odata_kind kind, size_t pos, struct odata_expr **out)
{
    struct odata_expr *e = NULL;

    if (p->nodes >= ODATA_MAX_NODES)
        return odata__lex_fail(p->err, pos, "the expression has more than %d terms",
                               ODATA_MAX_NODES);
    e = arena_calloc(p->a, 1, sizeof *e);
    if (!e)
        return cmp_error_set(p->err, CMP_ENOMEM, NULL);
    p->nodes++;
    e->kind = kind;
    e->pos = pos;
    e->cast = -1;
    *out = e;
    return 0;
}

const char *odata__edm_name(const struct odata__optype *t)
{
    return graph_edm_name(t->edm, t->enums);
}

/* ---- literals ---- */

static bool is_literal(enum odata__tok k)
{
    return k == ODATA__T_STRING || k == ODATA__T_TYPED || k == ODATA__T_NUMBER ||
           k == ODATA__T_DATETIME || k == ODATA__T_TRUE || k == ODATA__T_FALSE ||
           k == ODATA__T_NULL;
}

static const char *literal_type(const struct odata__token *t)
{
    switch (t->kind) {
    case ODATA__T_STRING:
        return "Edm.String";
    case ODATA__T_TRUE:
    case ODATA__T_FALSE:
        return "Edm.Boolean";
    case ODATA__T_DATETIME:
        return "Edm.DateTimeOffset";
    case ODATA__T_NUMBER:
        return memchr(t->text, '.', t->len) || memchr(t->text, 'e', t->len) ||
                       memchr(t->text, 'E', t->len)
                   ? "Edm.Double"
                   : "Edm.Int64";
    default:
        return "a typed literal";
    }
}

static int mismatch(struct odata__parser *p, const struct odata__token *lit,
                    const struct odata__optype *ty)
{
    char d[ODATA__QUOTE_MAX + 40];
    const char *hint = "";

    if (ty->edm == EDM_DATETIMEOFFSET && lit->kind == ODATA__T_STRING)
        hint = " (DateTimeOffset literals are written without quotes, e.g. 2026-11-01T08:15:00Z)";
    return odata__lex_fail(
        p->err, lit->pos, "incompatible types: '%s' is of type %s but %s is %s%s", ty->name,
        odata__edm_name(ty), odata__lex_describe(lit, d, sizeof d), literal_type(lit), hint);
}

/* The member `s` of the operand's enum type into *v. */
static int enum_member(struct odata__parser *p, const struct odata__token *lit, const char *s,
                       size_t n, const struct odata__optype *ty, struct odata_value *v)
{
    char q[ODATA__QUOTE_MAX + 4];
    int i = graph_enum_find(ty->enums, s, n);

    if (i < 0)
        return odata__lex_fail(p->err, lit->pos, "'%s' is not a member of the enum type '%s'",
                               odata__lex_quote(q, s, n), ty->enums->name);
    v->type = ODATA_V_ENUM;
    v->u.i = i;
    return 0;
}

/* A typed literal name'value' for an enum operand: the name must be the operand's enum type. */
static int typed_enum(struct odata__parser *p, const struct odata__token *lit,
                      const struct odata__optype *ty, struct odata_value *v)
{
    char q[ODATA__QUOTE_MAX + 4];

    if (!str_eq(lit->text, lit->len, ty->enums->name))
        return odata__lex_fail(p->err, lit->pos,
                               "incompatible types: '%s' is of type %s but the literal is of type "
                               "'%s'",
                               ty->name, ty->enums->name, odata__lex_quote(q, lit->text, lit->len));
    return enum_member(p, lit, lit->str, lit->str_len, ty, v);
}

static int null_literal(struct odata__parser *p, const struct odata__token *lit,
                        const struct odata__optype *ty, enum odata_op op, struct odata_value *v)
{
    if (op != ODATA_EQ && op != ODATA_NE)
        return odata__lex_fail(p->err, lit->pos, "null can only be compared with eq or ne");
    if (!ty->nullable)
        return odata__lex_fail(p->err, lit->pos,
                               "'%s' is not nullable and cannot be compared with null", ty->name);
    v->type = ODATA_V_NULL;
    return 0;
}

/* Type literal token `lit` for an operand of type `ty` under operator `op`: a LITERAL node. */
static int coerce(struct odata__parser *p, const struct odata__token *lit,
                  const struct odata__optype *ty, enum odata_op op, struct odata_expr **out)
{
    struct odata_value v;
    int rc = 0;

    memset(&v, 0, sizeof v);
    switch (lit->kind) {
    case ODATA__T_NULL:
        rc = null_literal(p, lit, ty, op, &v);
        break;
    case ODATA__T_TRUE:
    case ODATA__T_FALSE:
        if (ty->edm != EDM_BOOLEAN)
            return mismatch(p, lit, ty);
        v.type = ODATA_V_BOOL;
        v.u.b = lit->kind == ODATA__T_TRUE;
        break;
    case ODATA__T_DATETIME:
        if (ty->edm != EDM_DATETIMEOFFSET)
            return mismatch(p, lit, ty);
        v.type = ODATA_V_DATETIME;
        v.u.ticks = lit->ticks;
        break;
    case ODATA__T_STRING:
        if (ty->edm == EDM_ENUM) {
            rc = enum_member(p, lit, lit->str, lit->str_len, ty, &v);
        } else if (ty->edm == EDM_STRING) {
            v.type = ODATA_V_STRING;
            v.u.s.p = lit->str;
            v.u.s.n = lit->str_len;
        } else {
            return mismatch(p, lit, ty);
        }
        break;
    case ODATA__T_TYPED:
        if (ty->edm != EDM_ENUM)
            return mismatch(p, lit, ty);
        rc = typed_enum(p, lit, ty, &v);
        break;
    default:
        return mismatch(p, lit, ty);
    }
    if (!rc)
        rc = odata__node(p, ODATA_LITERAL, lit->pos, out);
    if (!rc)
        (*out)->lit = v;
    return rc;
}

/* ---- conditions ---- */

int odata__to_pred(struct odata__parser *p, const struct odata__term *t, struct odata_expr **out)
{
    char d[ODATA__QUOTE_MAX + 40];
    int rc;

    switch (t->kind) {
    case ODATA__TERM_PRED:
        *out = t->e;
        return 0;
    case ODATA__TERM_OPERAND:
        if (t->type.edm != EDM_BOOLEAN)
            return odata__lex_fail(p->err, t->pos,
                                   "'%s' is of type %s and cannot be used as a condition",
                                   t->type.name, odata__edm_name(&t->type));
        rc = odata__node(p, ODATA_BOOL, t->pos, out);
        if (!rc)
            (*out)->left = t->e;
        return rc;
    case ODATA__TERM_LITERAL:
        if (t->lit.kind != ODATA__T_TRUE && t->lit.kind != ODATA__T_FALSE)
            return odata__lex_fail(p->err, t->pos, "%s cannot be used as a condition",
                                   odata__lex_describe(&t->lit, d, sizeof d));
        rc = odata__node(p, ODATA_CONST, t->pos, out);
        if (!rc) {
            (*out)->lit.type = ODATA_V_BOOL;
            (*out)->lit.u.b = t->lit.kind == ODATA__T_TRUE;
        }
        return rc;
    }
    return cmp_error_set(p->err, CMP_EINTERNAL, NULL);
}

static const char *const op_names[] = {"eq", "ne", "gt", "ge", "lt", "le"};

/* `cond eq true`, `cond ne false`, ...: the condition or its negation. */
static int compare_pred(struct odata__parser *p, const struct odata__term *cond, enum odata_op op,
                        size_t op_pos, const struct odata__term *lit, struct odata__term *out)
{
    bool bool_lit = lit->lit.kind == ODATA__T_TRUE || lit->lit.kind == ODATA__T_FALSE;
    int rc = 0;

    if (!bool_lit || (op != ODATA_EQ && op != ODATA_NE))
        return odata__lex_fail(p->err, op_pos,
                               "a condition can only be compared with true or false, using eq or "
                               "ne");
    memset(out, 0, sizeof *out);
    out->kind = ODATA__TERM_PRED;
    out->pos = cond->pos;
    out->e = cond->e;
    if ((lit->lit.kind == ODATA__T_FALSE) != (op == ODATA_NE)) {
        rc = odata__node(p, ODATA_NOT, op_pos, &out->e);
        if (!rc)
            out->e->left = cond->e;
    }
    return rc;
}

/* `l op r` into *out (which may alias neither l nor r). */
static int compare(struct odata__parser *p, const struct odata__term *l, enum odata_op op,
                   size_t op_pos, const struct odata__term *r, struct odata__term *out)
{
    static const enum odata_op mirror[] = {ODATA_EQ, ODATA_NE, ODATA_LT,
                                           ODATA_LE, ODATA_GT, ODATA_GE};
    const struct odata__term *x = l;
    const struct odata__term *lit = r;
    struct odata_expr *e = NULL;
    int rc;

    if (l->kind == ODATA__TERM_LITERAL && r->kind != ODATA__TERM_LITERAL) {
        x = r;
        lit = l;
        op = mirror[op];
    }
    if (lit->kind != ODATA__TERM_LITERAL)
        return odata__lex_fail(p->err, op_pos,
                               "'%s' needs a property on one side and a literal on the other "
                               "(comparing two properties or conditions is not supported)",
                               op_names[op]);
    if (x->kind == ODATA__TERM_LITERAL)
        return odata__lex_fail(p->err, op_pos,
                               "'%s' needs a property on one side, not two literals", op_names[op]);
    if (x->kind == ODATA__TERM_PRED)
        return compare_pred(p, x, op, op_pos, lit, out);
    rc = odata__node(p, ODATA_CMP, op_pos, &e);
    if (!rc)
        rc = coerce(p, &lit->lit, &x->type, op, &e->right);
    if (rc)
        return rc;
    e->left = x->e;
    e->op = op;
    memset(out, 0, sizeof *out);
    out->kind = ODATA__TERM_PRED;
    out->pos = x->pos;
    out->e = e;
    return 0;
}

/* `left in (lit, ...)`; p->tok is 'in'. */
static int parse_in(struct odata__parser *p, const struct odata__term *left,
                    struct odata__term *out)
{
    struct odata_expr *items[ODATA_MAX_IN_ITEMS];
    struct odata_expr *e = NULL;
    char d[ODATA__QUOTE_MAX + 40];
    size_t in_pos = p->tok.pos;
    size_t n = 0;
    int rc;

    if (left->kind != ODATA__TERM_OPERAND)
        return odata__lex_fail(p->err, in_pos, "the left side of 'in' must be a property");
    rc = odata__next(p);
    if (!rc)
        rc = odata__expect(p, ODATA__T_LPAREN, "'('");
    while (!rc) {
        if (!is_literal(p->tok.kind))
            return odata__lex_fail(p->err, p->tok.pos,
                                   "syntax error: expected a literal in the 'in' list but found %s",
                                   odata__lex_describe(&p->tok, d, sizeof d));
        if (n == ODATA_MAX_IN_ITEMS)
            return odata__lex_fail(p->err, p->tok.pos, "'in' takes at most %d values",
                                   ODATA_MAX_IN_ITEMS);
        rc = coerce(p, &p->tok, &left->type, ODATA_EQ, &items[n++]);
        if (!rc)
            rc = odata__next(p);
        if (rc || p->tok.kind != ODATA__T_COMMA)
            break;
        rc = odata__next(p);
    }
    if (!rc)
        rc = odata__expect(p, ODATA__T_RPAREN, "',' or ')'");
    if (!rc)
        rc = odata__node(p, ODATA_IN, in_pos, &e);
    if (rc)
        return rc;
    e->items = arena_alloc(p->a, n * sizeof *items);
    if (!e->items)
        return cmp_error_set(p->err, CMP_ENOMEM, NULL);
    memcpy(e->items, items, n * sizeof *items);
    e->item_count = n;
    e->left = left->e;
    memset(out, 0, sizeof *out);
    out->kind = ODATA__TERM_PRED;
    out->pos = left->pos;
    out->e = e;
    return 0;
}

/* ---- functions ---- */

static int func_args(struct odata__parser *p, const char *fname, const struct odata__term *a1,
                     const struct odata__term *a2)
{
    if (a1->kind != ODATA__TERM_OPERAND)
        return odata__lex_fail(p->err, a1->pos, "the first argument of %s must be a property",
                               fname);
    if (a1->type.edm != EDM_STRING)
        return odata__lex_fail(
            p->err, a1->pos, "the function %s needs an Edm.String property but '%s' is of type %s",
            fname, a1->type.name, odata__edm_name(&a1->type));
    if (a2->kind != ODATA__TERM_LITERAL || a2->lit.kind != ODATA__T_STRING)
        return odata__lex_fail(p->err, a2->pos,
                               "the second argument of %s must be a string literal", fname);
    return 0;
}

/* name(arg, arg): startswith, endswith, contains.  p->tok is '(' after the name. */
static int parse_func(struct odata__parser *p, const struct odata__token *name,
                      struct odata__term *out)
{
    static const char *const names[] = {"startswith", "endswith", "contains"};
    char q[ODATA__QUOTE_MAX + 4];
    struct odata__term a1;
    struct odata__term a2;
    struct odata_expr *e = NULL;
    size_t f;
    int rc;

    for (f = 0; f < sizeof names / sizeof *names; f++)
        if (str_eq(name->text, name->len, names[f]))
            break;
    if (f == sizeof names / sizeof *names)
        return odata__lex_fail(p->err, name->pos, "the function '%s' is not supported",
                               odata__lex_quote(q, name->text, name->len));
    rc = odata__next(p);
    if (!rc)
        rc = odata__parse_or(p, &a1);
    if (!rc)
        rc = odata__expect(p, ODATA__T_COMMA, "','");
    if (!rc)
        rc = odata__parse_or(p, &a2);
    if (!rc)
        rc = odata__expect(p, ODATA__T_RPAREN, "')'");
    if (!rc)
        rc = func_args(p, names[f], &a1, &a2);
    if (!rc)
        rc = odata__node(p, ODATA_FUNC, name->pos, &e);
    if (!rc)
        rc = coerce(p, &a2.lit, &a1.type, ODATA_EQ, &e->right);
    if (rc)
        return rc;
    e->func = (enum odata_func)f;
    e->left = a1.e;
    memset(out, 0, sizeof *out);
    out->kind = ODATA__TERM_PRED;
    out->pos = name->pos;
    out->e = e;
    return 0;
}

/* ---- the grammar ---- */

static int parse_primary(struct odata__parser *p, struct odata__term *out)
{
    char d[ODATA__QUOTE_MAX + 40];
    struct odata__token name;
    int rc;

    memset(out, 0, sizeof *out);
    out->pos = p->tok.pos;
    if (p->tok.kind == ODATA__T_LPAREN) {
        rc = odata__next(p);
        if (!rc)
            rc = odata__parse_or(p, out);
        return rc ? rc : odata__expect(p, ODATA__T_RPAREN, "')'");
    }
    if (is_literal(p->tok.kind)) {
        out->kind = ODATA__TERM_LITERAL;
        out->lit = p->tok;
        return odata__next(p);
    }
    if (p->tok.kind == ODATA__T_IDENT) {
        name = p->tok;
        rc = odata__next(p);
        if (rc)
            return rc;
        if (p->tok.kind == ODATA__T_LPAREN)
            return parse_func(p, &name, out);
        return odata__parse_path(p, &name, out);
    }
    if (p->tok.kind == ODATA__T_EOF)
        return odata__lex_fail(p->err, p->tok.pos, "expression expected");
    return odata__lex_fail(p->err, p->tok.pos, "syntax error: expected an expression but found %s",
                           odata__lex_describe(&p->tok, d, sizeof d));
}

/* Every nesting (parentheses, not, function arguments, lambda bodies) passes through here. */
static int parse_unary(struct odata__parser *p, struct odata__term *out)
{
    struct odata__term inner;
    struct odata_expr *cond;
    size_t pos = p->tok.pos;
    int rc;

    if (p->depth >= ODATA_MAX_DEPTH)
        return odata__lex_fail(p->err, pos, "the expression is nested more than %d levels deep",
                               ODATA_MAX_DEPTH);
    p->depth++;
    if (p->tok.kind != ODATA__T_NOT) {
        rc = parse_primary(p, out);
    } else {
        rc = odata__next(p);
        if (!rc)
            rc = parse_unary(p, &inner);
        if (!rc)
            rc = odata__to_pred(p, &inner, &cond);
        memset(out, 0, sizeof *out);
        out->kind = ODATA__TERM_PRED;
        out->pos = pos;
        if (!rc)
            rc = odata__node(p, ODATA_NOT, pos, &out->e);
        if (!rc)
            out->e->left = cond;
    }
    p->depth--;
    return rc;
}

/* Operators that OData has and cmpd does not support. */
static bool unsupported_op(const struct odata__token *t)
{
    static const char *const ops[] = {"has", "add", "sub", "mul", "div", "divby", "mod"};
    size_t i;

    for (i = 0; t->kind == ODATA__T_IDENT && i < sizeof ops / sizeof *ops; i++)
        if (str_eq(t->text, t->len, ops[i]))
            return true;
    return false;
}

static int parse_cmp(struct odata__parser *p, struct odata__term *out)
{
    struct odata__term left;
    struct odata__term right;
    int rc = parse_unary(p, out);

    while (!rc) {
        enum odata__tok k = p->tok.kind;
        size_t op_pos = p->tok.pos;
        left = *out;
        if (k >= ODATA__T_EQ && k <= ODATA__T_LE) {
            rc = odata__next(p);
            if (!rc)
                rc = parse_unary(p, &right);
            if (!rc)
                rc = compare(p, &left, (enum odata_op)(k - ODATA__T_EQ), op_pos, &right, out);
        } else if (k == ODATA__T_IN) {
            rc = parse_in(p, &left, out);
        } else if (unsupported_op(&p->tok)) {
            return odata__lex_fail(p->err, op_pos, "the operator '%.*s' is not supported",
                                   (int)p->tok.len, p->tok.text);
        } else {
            break;
        }
    }
    return rc;
}

/* and/or: a left-deep chain of `kind` nodes over `sub`-expressions. */
static int parse_chain(struct odata__parser *p, enum odata__tok op, enum odata_kind kind,
                       int (*sub)(struct odata__parser *, struct odata__term *),
                       struct odata__term *out)
{
    struct odata__term right;
    struct odata_expr *l = NULL;
    struct odata_expr *r = NULL;
    struct odata_expr *e = NULL;
    int rc = sub(p, out);

    while (!rc && p->tok.kind == op) {
        size_t op_pos = p->tok.pos;
        rc = odata__to_pred(p, out, &l);
        if (!rc)
            rc = odata__next(p);
        if (!rc)
            rc = sub(p, &right);
        if (!rc)
            rc = odata__to_pred(p, &right, &r);
        if (!rc)
            rc = odata__node(p, kind, op_pos, &e);
        if (rc)
            break;
        e->left = l;
        e->right = r;
        out->kind = ODATA__TERM_PRED;
        out->e = e;
    }
    return rc;
}

static int parse_and(struct odata__parser *p, struct odata__term *out)
{
    return parse_chain(p, ODATA__T_AND, ODATA_AND, parse_cmp, out);
}

int odata__parse_or(struct odata__parser *p, struct odata__term *out)
{
    return parse_chain(p, ODATA__T_OR, ODATA_OR, parse_and, out);
}

int odata_filter_parse(struct arena *a, enum graph_version v, const char *src, size_t len,
                       struct odata_expr **out, struct cmp_error *err)
{
    struct odata__parser p;
    struct odata__term t;
    struct odata_expr *e = NULL;
    char d[ODATA__QUOTE_MAX + 40];
    int rc;

    if (len > ODATA_MAX_FILTER_LEN)
        return cmp_error_set(err, CMP_EBADQUERY,
                             "Invalid filter clause: the expression is longer than %d bytes.",
                             ODATA_MAX_FILTER_LEN);
    if (memchr(src, '\0', len) || !str_is_utf8(src, len))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "Invalid filter clause: the expression is not valid UTF-8 text.");
    memset(&p, 0, sizeof p);
    p.a = a;
    p.err = err;
    p.v = v;
    odata__lex_init(&p.lx, a, src, len);
    rc = odata__next(&p);
    if (!rc)
        rc = odata__parse_or(&p, &t);
    if (!rc && p.tok.kind != ODATA__T_EOF)
        rc = odata__lex_fail(err, p.tok.pos, "syntax error: unexpected %s",
                             odata__lex_describe(&p.tok, d, sizeof d));
    if (!rc)
        rc = odata__to_pred(&p, &t, &e);
    if (!rc)
        *out = e;
    return rc;
}
