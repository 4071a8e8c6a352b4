/*
 * tests/unit/test_store_ast.h - $filter ASTs, $orderby lists and keyset positions written as
 * s-expressions, for the store tests (test_store_sql.c, test_store_query.c).  The ASTs are built
 * by hand, not by odata/filter.c, so the store is tested on its own.
 *
 *   (eq displayName 'x')  (ne|gt|ge|lt|le ...)  (in X v...)  (startswith|endswith|contains X 's')
 *   (and A B) (or A B) (not A) (bool X) true false (any coll [A]) (all coll A)
 * Operands: a property name (beta), or a/[<targetType>/]groupId|collectionId|filterId|filterType.
 * Values: 'text' ('' for a quote), null, true, false, @ticks (DateTimeOffset), #n (enum member).
 * $orderby: "displayName,-partnerState" ('-' for desc).  Include after cmocka.h.
 */
#ifndef CMP_TEST_STORE_AST_H
#define CMP_TEST_STORE_AST_H

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "graph/model.h"
#include "odata/odata.h"
#include "store/store.h"

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

#endif
