/*
 * tests/unit/test_store_ast.h - $filter ASTs, $orderby lists and keyset positions written as
 * s-expressions, for the store tests (test_store_sql.c, test_store_query.c).  The ASTs are built
 * by hand, not by odata/filter.c, so the store is tested on its own.
 *
 *   (eq displayName 'x')  (ne|gt|ge|lt|le ...)  (in X v...)  (startswith|endswith|contains X 's')
 *   (and A B) (or A B) (not A) (bool X) true false (any coll [A]) (all coll A)
 * Operands: a property name (beta), or a/[<targetType>/]groupId|collectionId|filterId|filterType.
 * Values: 'text' ('' for a quote), null, true, false, @ticks (DateTimeOffset), #n (enum member).
 * $orderby: "displayName,-partnerState" ('-' for desc).
 *
 * ast_eval() evaluates an AST on a partner the way OData does (graph-conventions.md 4-5), written
 * independently of store/sql.c so the store's answers can be checked against it: null equals
 * only null and orders against nothing; a lambda member reads as null on a target type that lacks
 * it or that its cast does not match (odata/odata.h).
 */
#ifndef CMP_TEST_STORE_AST_H
#define CMP_TEST_STORE_AST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "graph/model.h"
#include "odata/odata.h"
#include "store/store.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

struct ast_rd {
    struct arena *a;
    const char *s;
};

static inline void ast_skip_ws(struct ast_rd *r)
{
    while (*r->s == ' ')
        r->s++;
}

static inline struct odata_expr *ast_node(struct ast_rd *r, enum odata_kind kind)
{
    struct odata_expr *e = arena_calloc(r->a, 1, sizeof *e);

    assert_non_null(e);
    e->kind = kind;
    e->cast = -1;
    return e;
}

/* A bare word into buf. */
static inline void ast_word(struct ast_rd *r, char *buf, size_t cap)
{
    size_t n = 0;

    ast_skip_ws(r);
    while (*r->s && *r->s != ' ' && *r->s != ')' && *r->s != '(' && n + 1 < cap)
        buf[n++] = *r->s++;
    buf[n] = '\0';
    assert_true(n > 0);
}

static inline struct odata_expr *ast_value(struct ast_rd *r)
{
    struct odata_expr *e = ast_node(r, ODATA_LITERAL);
    char w[64];

    ast_skip_ws(r);
    if (*r->s == '\'') {
        struct buf b;
        buf_init(&b, 4096);
        for (r->s++; !(r->s[0] == '\'' && r->s[1] != '\''); r->s++) {
            assert_true(*r->s);
            assert_int_equal(buf_putc(&b, *r->s), 0);
            if (*r->s == '\'')
                r->s++;
        }
        r->s++;
        e->lit.type = ODATA_V_STRING;
        e->lit.u.s.p = arena_strndup(r->a, b.data ? b.data : "", b.len);
        e->lit.u.s.n = b.len;
        buf_fini(&b);
        return e;
    }
    ast_word(r, w, sizeof w);
    if (strcmp(w, "null") == 0) {
        e->lit.type = ODATA_V_NULL;
    } else if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
        e->lit.type = ODATA_V_BOOL;
        e->lit.u.b = w[0] == 't';
    } else if (w[0] == '@') {
        e->lit.type = ODATA_V_DATETIME;
        e->lit.u.ticks = strtoll(w + 1, NULL, 10);
    } else {
        assert_int_equal(w[0], '#');
        e->lit.type = ODATA_V_ENUM;
        e->lit.u.i = strtoll(w + 1, NULL, 10);
    }
    return e;
}

static inline enum odata_target_member ast_member_id(const char *m)
{
    if (strcmp(m, "groupId") == 0)
        return ODATA_TM_GROUP_ID;
    if (strcmp(m, "collectionId") == 0)
        return ODATA_TM_COLLECTION_ID;
    if (strcmp(m, "filterId") == 0)
        return ODATA_TM_FILTER_ID;
    assert_string_equal(m, "filterType");
    return ODATA_TM_FILTER_TYPE;
}

static inline struct odata_expr *ast_operand(struct ast_rd *r)
{
    struct odata_expr *e = ast_node(r, ODATA_OPERAND);
    char w[128];
    char cast[96];
    const char *slash;

    ast_word(r, w, sizeof w);
    if (strncmp(w, "a/", 2) != 0) {
        e->prop = graph_prop_find(w, strlen(w), GRAPH_BETA);
        assert_non_null(e->prop);
        return e;
    }
    slash = strchr(w + 2, '/');
    if (slash) {
        snprintf(cast, sizeof cast, GRAPH_NS "%.*s", (int)(slash - (w + 2)), w + 2);
        e->cast = graph_target_find(cast, strlen(cast));
        assert_true(e->cast >= 0);
        e->member = ast_member_id(slash + 1);
    } else {
        e->member = ast_member_id(w + 2);
    }
    return e;
}

static inline void ast_close(struct ast_rd *r)
{
    ast_skip_ws(r);
    assert_int_equal(*r->s, ')');
    r->s++;
}

static inline struct odata_expr *ast_pred(struct ast_rd *r);

static inline struct odata_expr *ast_compound(struct ast_rd *r, const char *op)
{
    static const char *const cmps[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    static const char *const funcs[] = {"startswith", "endswith", "contains"};
    struct odata_expr *e;
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strcmp(op, cmps[i]) == 0) {
            e = ast_node(r, ODATA_CMP);
            e->op = (enum odata_op)i;
            e->left = ast_operand(r);
            e->right = ast_value(r);
            return e;
        }
    }
    for (i = 0; i < 3; i++) {
        if (strcmp(op, funcs[i]) == 0) {
            e = ast_node(r, ODATA_FUNC);
            e->func = (enum odata_func)i;
            e->left = ast_operand(r);
            e->right = ast_value(r);
            return e;
        }
    }
    if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0) {
        e = ast_node(r, op[0] == 'a' ? ODATA_AND : ODATA_OR);
        e->left = ast_pred(r);
        e->right = ast_pred(r);
        return e;
    }
    if (strcmp(op, "not") == 0) {
        e = ast_node(r, ODATA_NOT);
        e->left = ast_pred(r);
        return e;
    }
    if (strcmp(op, "bool") == 0) {
        e = ast_node(r, ODATA_BOOL);
        e->left = ast_operand(r);
        return e;
    }
    if (strcmp(op, "in") == 0) {
        e = ast_node(r, ODATA_IN);
        e->left = ast_operand(r);
        e->items = arena_calloc(r->a, ODATA_MAX_IN_ITEMS, sizeof *e->items);
        assert_non_null(e->items);
        for (ast_skip_ws(r); *r->s != ')'; ast_skip_ws(r))
            e->items[e->item_count++] = ast_value(r);
        return e;
    }
    {
        char coll[64];
        e = ast_node(r, strcmp(op, "any") == 0 ? ODATA_ANY : ODATA_ALL);
        assert_true(strcmp(op, "any") == 0 || strcmp(op, "all") == 0);
        ast_word(r, coll, sizeof coll);
        e->collection = graph_prop_find(coll, strlen(coll), GRAPH_BETA);
        assert_non_null(e->collection);
        ast_skip_ws(r);
        if (*r->s != ')')
            e->pred = ast_pred(r);
        return e;
    }
}

static inline struct odata_expr *ast_pred(struct ast_rd *r)
{
    struct odata_expr *e;
    char w[32];

    ast_skip_ws(r);
    if (*r->s != '(') {
        ast_word(r, w, sizeof w);
        e = ast_node(r, ODATA_CONST);
        e->lit.type = ODATA_V_BOOL;
        e->lit.u.b = strcmp(w, "true") == 0;
        return e;
    }
    r->s++;
    ast_word(r, w, sizeof w);
    e = ast_compound(r, w);
    ast_close(r);
    return e;
}

static inline struct odata_expr *ast_parse(struct arena *a, const char *s)
{
    struct ast_rd r = {a, s};
    struct odata_expr *e = ast_pred(&r);

    ast_skip_ws(&r);
    assert_int_equal(*r.s, '\0');
    return e;
}

/* "displayName,-partnerState" into orderby (a '-' for desc); returns the count. */
static inline size_t ast_orderby(const char *s, struct odata_orderby *out)
{
    size_t n = 0;

    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        out[n].desc = *s == '-';
        out[n].prop = graph_prop_find(s + out[n].desc, len - out[n].desc, GRAPH_BETA);
        assert_non_null(out[n].prop);
        n++;
        s = end ? end + 1 : NULL;
    }
    return n;
}

/* Cursor values in the value notation, separated by spaces. */
static inline void ast_cursor(struct arena *a, const char *s, int64_t seq, struct store_cursor *c)
{
    struct ast_rd r = {a, s};

    memset(c, 0, sizeof *c);
    for (ast_skip_ws(&r); *r.s; ast_skip_ws(&r))
        c->keys[c->key_count++] = ast_value(&r)->lit;
    c->seq = seq;
}

/* ---- evaluating an AST in C, as OData defines it ---- */

enum ast_vkind { AST_NULL, AST_STR, AST_INT };

struct ast_val {
    enum ast_vkind kind;
    const char *s;
    int64_t i;
};

static inline struct ast_val ast_v_str(const char *s)
{
    struct ast_val v = {s ? AST_STR : AST_NULL, s, 0};
    return v;
}

static inline struct ast_val ast_v_int(int64_t i)
{
    struct ast_val v = {AST_INT, NULL, i};
    return v;
}

static inline struct ast_val ast_prop_val(const struct graph_partner *p,
                                          const struct graph_prop *prop)
{
    const void *f = (const char *)p + prop->offset;

    switch (prop->type) {
    case EDM_STRING:
        return ast_v_str(prop->id == GRAPH_P_ID ? p->id : *(const char *const *)f);
    case EDM_DATETIMEOFFSET:
        return ast_v_int(p->last_heartbeat_ticks);
    case EDM_ENUM:
        return ast_v_int(*(const int *)f);
    case EDM_BOOLEAN:
        return ast_v_int(*(const bool *)f);
    case EDM_ASSIGNMENTS:
        break;
    }
    fail();
    return ast_v_int(0);
}

static inline struct ast_val ast_lit_val(const struct odata_value *v)
{
    switch (v->type) {
    case ODATA_V_NULL:
        return ast_v_str(NULL);
    case ODATA_V_STRING:
        return ast_v_str(v->u.s.p);
    case ODATA_V_BOOL:
        return ast_v_int(v->u.b);
    case ODATA_V_DATETIME:
        return ast_v_int(v->u.ticks);
    case ODATA_V_ENUM:
        return ast_v_int(v->u.i);
    }
    fail();
    return ast_v_int(0);
}

/* Does member operand x exist on element `as` (its target type, and the cast matches)? */
static inline bool ast_applies(const struct odata_expr *x, const struct graph_assignment *as)
{
    const char *id_prop = graph_target_types[as->kind].id_prop;

    if (x->cast >= 0 && !((int)as->kind == x->cast || (x->cast == GRAPH_TARGET_GROUP &&
                                                       as->kind == GRAPH_TARGET_EXCLUSION_GROUP)))
        return false;
    switch (x->member) {
    case ODATA_TM_GROUP_ID:
        return id_prop && strcmp(id_prop, "groupId") == 0;
    case ODATA_TM_COLLECTION_ID:
        return id_prop && strcmp(id_prop, "collectionId") == 0;
    default:
        return true;
    }
}

static inline struct ast_val ast_operand_val(const struct odata_expr *x,
                                             const struct graph_partner *p,
                                             const struct graph_assignment *as)
{
    if (x->member == ODATA_TM_NONE)
        return ast_prop_val(p, x->prop);
    if (x->member == ODATA_TM_FILTER_ID)
        return ast_v_str(as->filter_id);
    if (x->member == ODATA_TM_FILTER_TYPE)
        return ast_v_int(as->filter_type);
    return ast_v_str(as->target_id);
}

/* OData comparison: null equals only null, and is neither greater nor less than anything. */
static inline bool ast_compare(enum odata_op op, struct ast_val a, struct ast_val b)
{
    int c;

    if (a.kind == AST_NULL || b.kind == AST_NULL) {
        if (op == ODATA_EQ)
            return a.kind == b.kind;
        return op == ODATA_NE && a.kind != b.kind;
    }
    c = a.kind == AST_STR ? strcmp(a.s, b.s) : (a.i > b.i) - (a.i < b.i);
    switch (op) {
    case ODATA_EQ:
        return c == 0;
    case ODATA_NE:
        return c != 0;
    case ODATA_GT:
        return c > 0;
    case ODATA_GE:
        return c >= 0;
    case ODATA_LT:
        return c < 0;
    case ODATA_LE:
        return c <= 0;
    }
    return false;
}

static inline bool ast_call(enum odata_func fn, const char *s, const char *arg)
{
    size_t n = strlen(s);
    size_t m = strlen(arg);

    switch (fn) {
    case ODATA_STARTSWITH:
        return strncmp(s, arg, m) == 0;
    case ODATA_ENDSWITH:
        return n >= m && memcmp(s + n - m, arg, m) == 0;
    case ODATA_CONTAINS:
        return strstr(s, arg) != NULL;
    }
    return false;
}

static inline bool ast_eval(const struct odata_expr *e, const struct graph_partner *p,
                            const struct graph_assignment *as);

static inline bool ast_eval_leaf(const struct odata_expr *e, const struct graph_partner *p,
                                 const struct graph_assignment *as)
{
    struct ast_val x;
    size_t i;

    /* A member the target lacks (or a failed cast) reads as null. */
    if (e->left->member != ODATA_TM_NONE && !ast_applies(e->left, as))
        x = ast_v_str(NULL);
    else
        x = ast_operand_val(e->left, p, as);
    switch (e->kind) {
    case ODATA_CMP:
        return ast_compare(e->op, x, ast_lit_val(&e->right->lit));
    case ODATA_IN:
        for (i = 0; i < e->item_count; i++)
            if (ast_compare(ODATA_EQ, x, ast_lit_val(&e->items[i]->lit)))
                return true;
        return false;
    case ODATA_FUNC:
        return x.kind == AST_STR && ast_call(e->func, x.s, e->right->lit.u.s.p);
    default:
        return x.i != 0; /* ODATA_BOOL */
    }
}

static inline bool ast_eval_lambda(const struct odata_expr *e, const struct graph_partner *p)
{
    const struct graph_assignments *l = (const void *)((const char *)p + e->collection->offset);
    size_t i;

    if (!e->pred)
        return l->n > 0;
    for (i = 0; i < l->n; i++)
        if (ast_eval(e->pred, p, &l->items[i]) != (e->kind == ODATA_ALL))
            return e->kind == ODATA_ANY;
    return e->kind == ODATA_ALL;
}

static inline bool ast_eval(const struct odata_expr *e, const struct graph_partner *p,
                            const struct graph_assignment *as)
{
    switch (e->kind) {
    case ODATA_AND:
        return ast_eval(e->left, p, as) && ast_eval(e->right, p, as);
    case ODATA_OR:
        return ast_eval(e->left, p, as) || ast_eval(e->right, p, as);
    case ODATA_NOT:
        return !ast_eval(e->left, p, as);
    case ODATA_CONST:
        return e->lit.u.b;
    case ODATA_ANY:
    case ODATA_ALL:
        return ast_eval_lambda(e, p);
    default:
        return ast_eval_leaf(e, p, as);
    }
}

#endif
