/*
 * odata/filter_check.c - the invariants of a parsed $filter, and the $filter fuzz entry point.
 *
 * What store/sql.c may rely on: every predicate node has the children its kind promises; every
 * operand names a filterable property of the version (or, inside a lambda only, a member of the
 * version); every literal is typed for the operand it meets (null only under eq/ne and `in`, on
 * nullable operands); `in` lists are non-empty and bounded; lambdas do not nest; the tree has at
 * most ODATA_MAX_NODES nodes.  The fuzz target aborts when a parse succeeds and this fails,
 * when a failure is not a well-formed CMP_EBADQUERY, or when a filter that parses on v1.0 does
 * not parse to the same tree on beta (beta only adds names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "odata/filter_impl.h"

struct check {
    enum graph_version v;
    size_t nodes;
};

static const char *check_operand(struct check *c, const struct odata_expr *e, bool in_lambda,
                                 struct odata__optype *type)
{
    if (!e || e->kind != ODATA_OPERAND)
        return "an operand was expected";
    c->nodes++;
    if (e->member == ODATA_TM_NONE) {
        if (!e->prop || e->prop != graph_prop_find(e->prop->name, strlen(e->prop->name), c->v))
            return "an operand names no property of this version";
        if (!(e->prop->flags & PROP_FILTER) || e->prop->type == EDM_ASSIGNMENTS)
            return "an operand names a property that cannot be compared";
        if (e->cast != -1)
            return "an entity property carries a cast";
        odata__prop_type(e->prop, type);
        return NULL;
    }
    if (e->prop)
        return "a lambda member also names a property";
    if (!in_lambda)
        return "a lambda member outside a lambda";
    if (e->cast < -1 || e->cast >= GRAPH_TARGET_COUNT)
        return "a cast out of range";
    if (odata__member_type(e->member, c->v, type))
        return "a lambda member this version does not have";
    return NULL;
}

static const char *check_literal(struct check *c, const struct odata_expr *e,
                                 const struct odata__optype *t, enum odata_op op)
{
    const struct odata_value *v = e ? &e->lit : NULL;

    if (!e || e->kind != ODATA_LITERAL)
        return "a literal was expected";
    c->nodes++;
    switch (v->type) {
    case ODATA_V_NULL:
        return t->nullable && (op == ODATA_EQ || op == ODATA_NE) ? NULL : "a null out of place";
    case ODATA_V_BOOL:
        return t->edm == EDM_BOOLEAN ? NULL : "a Boolean literal for another type";
    case ODATA_V_STRING:
        if (t->edm != EDM_STRING)
            return "a string literal for another type";
        if (!v->u.s.p || strlen(v->u.s.p) != v->u.s.n || !str_is_utf8(v->u.s.p, v->u.s.n))
            return "a string literal that is not NUL-terminated UTF-8";
        return NULL;
    case ODATA_V_DATETIME:
        return t->edm == EDM_DATETIMEOFFSET && v->u.ticks >= 0 ? NULL : "a bad DateTimeOffset";
    case ODATA_V_ENUM:
        return t->edm == EDM_ENUM && t->enums && v->u.i >= 0 && (size_t)v->u.i < t->enums->count
                   ? NULL
                   : "a bad enum literal";
    }
    return "a literal of no known type";
}

static const char *check_pred(struct check *c, const struct odata_expr *e, bool in_lambda);

/* CMP, IN, FUNC, BOOL: an operand and its literals. */
static const char *check_leaf(struct check *c, const struct odata_expr *e, bool in_lambda)
{
    struct odata__optype t;
    const char *bad = check_operand(c, e->left, in_lambda, &t);
    size_t i;

    if (bad)
        return bad;
    switch (e->kind) {
    case ODATA_CMP:
        if (e->op > ODATA_LE)
            return "an operator out of range";
        return check_literal(c, e->right, &t, e->op);
    case ODATA_IN:
        if (!e->items || e->item_count == 0 || e->item_count > ODATA_MAX_IN_ITEMS)
            return "an in list of bad size";
        for (i = 0; i < e->item_count && !bad; i++)
            bad = check_literal(c, e->items[i], &t, ODATA_EQ);
        return bad;
    case ODATA_FUNC:
        if (e->func > ODATA_CONTAINS || t.edm != EDM_STRING)
            return "a function over a non-string";
        bad = check_literal(c, e->right, &t, ODATA_EQ);
        return bad ? bad : e->right->lit.type == ODATA_V_STRING ? NULL : "a null function argument";
    default:
        return t.edm == EDM_BOOLEAN ? NULL : "a non-Boolean operand as a condition";
    }
}

static const char *check_lambda(struct check *c, const struct odata_expr *e, bool in_lambda)
{
    const struct graph_prop *p = e->collection;

    if (in_lambda)
        return "a nested lambda";
    if (!p || p->type != EDM_ASSIGNMENTS || p != graph_prop_find(p->name, strlen(p->name), c->v))
        return "a lambda over something that is not a collection of this version";
    if (!e->pred)
        return e->kind == ODATA_ANY ? NULL : "all() without a body";
    return check_pred(c, e->pred, true);
}

static const char *check_pred(struct check *c, const struct odata_expr *e, bool in_lambda)
{
    const char *bad;

    if (!e)
        return "a missing condition";
    if (++c->nodes > ODATA_MAX_NODES)
        return "too many nodes";
    switch (e->kind) {
    case ODATA_AND:
    case ODATA_OR:
        bad = check_pred(c, e->left, in_lambda);
        return bad ? bad : check_pred(c, e->right, in_lambda);
    case ODATA_NOT:
        return check_pred(c, e->left, in_lambda);
    case ODATA_CMP:
    case ODATA_IN:
    case ODATA_FUNC:
    case ODATA_BOOL:
        bad = check_leaf(c, e, in_lambda);
        return bad ? bad : c->nodes > ODATA_MAX_NODES ? "too many nodes" : NULL;
    case ODATA_ANY:
    case ODATA_ALL:
        return check_lambda(c, e, in_lambda);
    case ODATA_CONST:
        return e->lit.type == ODATA_V_BOOL ? NULL : "a constant that is not Boolean";
    case ODATA_OPERAND:
    case ODATA_LITERAL:
        return "an operand or literal where a condition belongs";
    }
    return "a node of no known kind";
}

const char *odata__expr_check(const struct odata_expr *e, enum graph_version v)
{
    struct check c = {v, 0};

    return check_pred(&c, e, false);
}

bool odata__error_sound(const struct cmp_error *err, const char *prefix)
{
    size_t n = strlen(err->msg);

    if (err->code == CMP_ENOMEM)
        return true;
    return err->code == CMP_EBADQUERY && n > 1 && str_has_prefix(err->msg, n, prefix) &&
           err->msg[n - 1] == '.' && str_is_utf8(err->msg, n);
}

/* ---- fuzzing ---- */

static bool value_equal(const struct odata_value *a, const struct odata_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case ODATA_V_NULL:
        return true;
    case ODATA_V_BOOL:
        return a->u.b == b->u.b;
    case ODATA_V_STRING:
        return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case ODATA_V_DATETIME:
        return a->u.ticks == b->u.ticks;
    case ODATA_V_ENUM:
        return a->u.i == b->u.i;
    }
    return false;
}

/* Structural equality of two parses (fields a kind does not use are zero in both). */
static bool expr_equal(const struct odata_expr *a, const struct odata_expr *b)
{
    size_t i;

    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->pos != b->pos || a->op != b->op || a->func != b->func ||
        a->prop != b->prop || a->member != b->member || a->cast != b->cast ||
        a->collection != b->collection || a->item_count != b->item_count)
        return false;
    if ((a->kind == ODATA_LITERAL || a->kind == ODATA_CONST) && !value_equal(&a->lit, &b->lit))
        return false;
    for (i = 0; i < a->item_count; i++)
        if (!expr_equal(a->items[i], b->items[i]))
            return false;
    return expr_equal(a->left, b->left) && expr_equal(a->right, b->right) &&
           expr_equal(a->pred, b->pred);
}

/* Parse in version `v`: NULL and *out, or a description of what went wrong (maybe in err). */
static const char *fuzz_parse(struct arena *a, const char *src, size_t n, enum graph_version v,
                              struct odata_expr **out, struct cmp_error *err)
{
    *out = NULL;
    if (!odata_filter_parse(a, v, src, n, out, err))
        return odata__expr_check(*out, v);
    if (!odata__error_sound(err, "Invalid filter clause: "))
        return err->msg[0] ? err->msg : "an error without a message";
    return NULL;
}

/*
 * Both versions must give a sound AST or a sound 400, and beta is a superset of v1.0: a filter
 * that parses on v1.0 parses to the same tree on beta.
 */
int odata_filter_fuzz(const unsigned char *data, size_t size)
{
    struct arena *a = arena_new(0);
    struct cmp_error err1 = {0};
    struct cmp_error err2 = {0};
    struct odata_expr *v1;
    struct odata_expr *beta;
    const char *bad;

    if (!a)
        return 0;
    bad = fuzz_parse(a, (const char *)data, size, GRAPH_V1, &v1, &err1);
    if (!bad)
        bad = fuzz_parse(a, (const char *)data, size, GRAPH_BETA, &beta, &err2);
    if (!bad && v1 && !expr_equal(v1, beta))
        bad = "a v1.0 filter that parses differently (or not at all) on beta";
    if (bad) {
        fprintf(stderr, "odata_filter_fuzz: %s\n", bad);
        abort();
    }
    arena_free(a);
    return 0;
}
