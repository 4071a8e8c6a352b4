/*
 * store/sql.c - a listing's $filter, $orderby and keyset position as SQL with bound parameters.
 *
 * The parser (odata/filter.c) has resolved every name and typed every literal, so nothing here
 * can meet an unknown property.  Each predicate is written so that SQL's TRUE means OData's true:
 * a comparison with a null column yields NULL or FALSE, both "not true", which is OData's false
 * (except `ne`, written `col IS NULL OR col <> ?`, which OData makes true).  So `not e` becomes
 * `(e) IS NOT TRUE` and all(e) becomes NOT EXISTS (... WHERE (e) IS NOT TRUE): no guard on each
 * leaf, and the leaves stay in the plain form an index serves.
 *
 * Assignment collections are JSON arrays in the beta shape (graph/json_out.c):
 * [{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g",
 *   "deviceAndAppManagementAssignmentFilterId":null,
 *   "deviceAndAppManagementAssignmentFilterType":"none"}}].
 * A lambda member reads as null on a target type that lacks it (groupId: only group and
 * exclusion group targets have it; collectionId: only Configuration Manager collections) or that
 * its cast does not match (a cast to groupAssignmentTarget also matches the derived
 * exclusionGroupAssignmentTarget): CASE WHEN <@odata.type test> THEN <member> END, so `eq null`
 * and `ne 'x'` are true there, as OData's cast semantics make them (odata/odata.h).
 * The filter type is stored by name: eq/ne/in bind the name, ordering maps names to member
 * values with a CASE.
 */
#include "store/sql.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/sql_impl.h"

/* JSON keys of a target (graph/json_out.c writes them). */
#define KEY_TYPE "@odata.type"

static const char *const member_keys[] = {
    [ODATA_TM_NONE] = NULL,
    [ODATA_TM_GROUP_ID] = "groupId",
    [ODATA_TM_COLLECTION_ID] = "collectionId",
    [ODATA_TM_FILTER_ID] = "deviceAndAppManagementAssignmentFilterId",
    [ODATA_TM_FILTER_TYPE] = "deviceAndAppManagementAssignmentFilterType",
};

static const char *const cmp_ops[] = {
    [ODATA_EQ] = " = ",  [ODATA_NE] = " <> ", [ODATA_GT] = " > ",
    [ODATA_GE] = " >= ", [ODATA_LT] = " < ",  [ODATA_LE] = " <= ",
};

/* ---- the builder ---- */

void sql__fail(struct sql__b *b, int rc)
{
    if (!b->rc)
        b->rc = rc;
}

void sql__put(struct sql__b *b, const char *s)
{
    int rc;

    if (b->rc)
        return;
    rc = buf_puts(&b->text, s);
    if (rc)
        sql__fail(b, rc == CMP_ENOMEM ? CMP_ENOMEM : CMP_EBADQUERY);
}

void sql__ref(struct sql__b *b, size_t k)
{
    char num[24];
    const struct sql_param *p;

    if (b->rc || k == 0 || k > b->n_params)
        return;
    p = &b->params[k - 1];
    num[0] = b->d->mark;
    num[1] = '\0';
    sql__put(b, num);
    /* Our own counter, not client text. */
    if (buf_printf(&b->text, "%zu", k))
        sql__fail(b, CMP_EBADQUERY);
    sql__put(b, p->type == SQL_PARAM_TEXT  ? b->d->text_cast
                : p->type == SQL_PARAM_INT ? b->d->int_cast
                                           : "");
}

static size_t add_param(struct sql__b *b, const struct sql_param *p)
{
    struct sql_param *bigger;
    size_t want;

    if (b->rc)
        return 0;
    if (b->n_params == b->cap) {
        want = b->cap ? b->cap * 2 : 8;
        bigger = arena_calloc(b->a, want, sizeof *bigger);
        if (!bigger) {
            sql__fail(b, CMP_ENOMEM);
            return 0;
        }
        if (b->n_params)
            memcpy(bigger, b->params, b->n_params * sizeof *bigger);
        b->params = bigger;
        b->cap = want;
    }
    b->params[b->n_params++] = *p;
    return b->n_params;
}

size_t sql__add_text(struct sql__b *b, const char *s, size_t n)
{
    struct sql_param p = {SQL_PARAM_TEXT, 0, s, n};

    return add_param(b, &p);
}

size_t sql__add_int(struct sql__b *b, int64_t i)
{
    struct sql_param p = {SQL_PARAM_INT, i, NULL, 0};

    return add_param(b, &p);
}

/* A string constant of the model (type or enum member name) as a SQL literal. */
static void put_model_literal(struct sql__b *b, const char *s)
{
    const char *c;

    for (c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '#')) {
            sql__fail(b, CMP_EINTERNAL);
            return;
        }
    }
    sql__put(b, "'");
    sql__put(b, s);
    sql__put(b, "'");
}

/* ---- operands and values ---- */

static bool is_member(const struct odata_expr *x)
{
    return x->member != ODATA_TM_NONE;
}

/* May the operand be NULL?  A lambda member may always be (JSON null, or absent). */
static bool nullable(const struct odata_expr *x)
{
    return is_member(x) || !(x->prop->flags & PROP_NONNULL);
}

/* The target types (bits of graph_target_kind) on which member operand `x` exists; 0: all. */
static unsigned member_types(const struct odata_expr *x)
{
    const unsigned group = 1u << GRAPH_TARGET_GROUP | 1u << GRAPH_TARGET_EXCLUSION_GROUP;

    if (x->cast == GRAPH_TARGET_GROUP)
        return group;
    if (x->cast >= 0 && x->cast < GRAPH_TARGET_COUNT)
        return 1u << x->cast;
    if (x->member == ODATA_TM_GROUP_ID)
        return group;
    if (x->member == ODATA_TM_COLLECTION_ID)
        return 1u << GRAPH_TARGET_CONFIGMGR_COLLECTION;
    return 0;
}

/* <@odata.type of the element> IN ('#microsoft.graph.<type>', ...) */
static void type_test(struct sql__b *b, unsigned types)
{
    const char *sep = "";
    char name[128];
    int k;

    b->d->member(b, KEY_TYPE);
    sql__put(b, " IN (");
    for (k = 0; k < GRAPH_TARGET_COUNT; k++) {
        if (!(types & 1u << k))
            continue;
        snprintf(name, sizeof name, "#" GRAPH_NS "%s", graph_target_types[k].name);
        sql__put(b, sep);
        put_model_literal(b, name);
        sep = ", ";
    }
    sql__put(b, ")");
}

void sql__operand(struct sql__b *b, const struct odata_expr *x)
{
    unsigned types;

    if (!is_member(x)) {
        sql__put(b, "p.");
        sql__put(b, x->prop->column);
        return;
    }
    if ((size_t)x->member >= sizeof member_keys / sizeof *member_keys) {
        sql__fail(b, CMP_EINTERNAL);
        return;
    }
    types = member_types(x);
    if (!types) {
        b->d->member(b, member_keys[x->member]);
        return;
    }
    /* Null on the types that lack the member or that the cast does not match. */
    sql__put(b, "CASE WHEN ");
    type_test(b, types);
    sql__put(b, " THEN ");
    b->d->member(b, member_keys[x->member]);
    sql__put(b, " END");
}

/* The filter type member under an ordering operator: its member value, by name. */
static bool by_member_value(const struct odata_expr *x, enum odata_op op)
{
    return x->member == ODATA_TM_FILTER_TYPE && op != ODATA_EQ && op != ODATA_NE;
}

static void cmp_operand(struct sql__b *b, const struct odata_expr *x, bool ordinal)
{
    size_t i;

    if (!ordinal) {
        sql__operand(b, x);
        return;
    }
    sql__put(b, "CASE ");
    sql__operand(b, x);
    for (i = 0; i < graph_enum_filter_type.count; i++) {
        sql__put(b, " WHEN ");
        put_model_literal(b, graph_enum_filter_type.members[i]);
        if (!b->rc && buf_printf(&b->text, " THEN %zu", i))
            sql__fail(b, CMP_EBADQUERY);
    }
    sql__put(b, " END");
}

/* Write value `v` (not null) for operand `x`. */
static void put_value(struct sql__b *b, const struct odata_expr *x, const struct odata_value *v,
                      bool ordinal)
{
    switch (v->type) {
    case ODATA_V_BOOL:
        sql__put(b, v->u.b ? b->d->true_lit : b->d->false_lit);
        return;
    case ODATA_V_STRING:
        sql__ref(b, sql__add_text(b, v->u.s.p, v->u.s.n));
        return;
    case ODATA_V_DATETIME:
        sql__ref(b, sql__add_int(b, v->u.ticks));
        return;
    case ODATA_V_ENUM:
        if (is_member(x) && !ordinal) {
            if (v->u.i < 0 || (size_t)v->u.i >= graph_enum_filter_type.count) {
                sql__fail(b, CMP_EINTERNAL);
                return;
            }
            sql__ref(b, sql__add_text(b, graph_enum_filter_type.members[v->u.i],
                                      strlen(graph_enum_filter_type.members[v->u.i])));
            return;
        }
        sql__ref(b, sql__add_int(b, v->u.i));
        return;
    case ODATA_V_NULL:
        break;
    }
    sql__fail(b, CMP_EINTERNAL);
}

/* ---- predicates ---- */

static void pred(struct sql__b *b, const struct odata_expr *e);

static void cmp(struct sql__b *b, const struct odata_expr *e)
{
    const struct odata_expr *x = e->left;
    const struct odata_value *v = &e->right->lit;
    bool ordinal = by_member_value(x, e->op);

    if (v->type == ODATA_V_NULL) {
        sql__operand(b, x);
        sql__put(b, e->op == ODATA_NE ? " IS NOT NULL" : " IS NULL");
    } else if (e->op == ODATA_NE && nullable(x)) {
        /* OData: null ne 'x' is true. */
        sql__put(b, "(");
        sql__operand(b, x);
        sql__put(b, " IS NULL OR ");
        sql__operand(b, x);
        sql__put(b, " <> ");
        put_value(b, x, v, false);
        sql__put(b, ")");
    } else {
        cmp_operand(b, x, ordinal);
        sql__put(b, cmp_ops[e->op]);
        put_value(b, x, v, ordinal);
    }
}

static void in_list(struct sql__b *b, const struct odata_expr *e)
{
    const struct odata_expr *x = e->left;
    const char *sep = "";
    size_t nulls = 0;
    size_t i;

    for (i = 0; i < e->item_count; i++)
        nulls += e->items[i]->lit.type == ODATA_V_NULL;
    if (nulls) {
        sql__put(b, nulls < e->item_count ? "(" : "");
        sql__operand(b, x);
        sql__put(b, " IS NULL");
        sql__put(b, nulls < e->item_count ? " OR " : "");
    }
    if (nulls < e->item_count) {
        sql__operand(b, x);
        sql__put(b, " IN (");
        for (i = 0; i < e->item_count; i++) {
            if (e->items[i]->lit.type == ODATA_V_NULL)
                continue;
            sql__put(b, sep);
            put_value(b, x, &e->items[i]->lit, false);
            sep = ", ";
        }
        sql__put(b, nulls ? "))" : ")");
    }
}

static void func(struct sql__b *b, const struct odata_expr *e)
{
    const struct odata_expr *x = e->left;
    const struct odata_value *v = &e->right->lit;

    if (v->type != ODATA_V_STRING) {
        sql__fail(b, CMP_EINTERNAL);
        return;
    }
    if (v->u.s.n == 0) {
        /* Every string starts with, ends with and contains ''; null does not. */
        sql__operand(b, x);
        sql__put(b, " IS NOT NULL");
    } else {
        b->d->func(b, e->func, x, v->u.s.p, v->u.s.n);
    }
}

/* any(var: e) / all(var: e) / any() over an assignment collection. */
static void lambda(struct sql__b *b, const struct odata_expr *e)
{
    if (!e->pred) {
        sql__put(b, b->d->len_open);
        sql__put(b, "p.");
        sql__put(b, e->collection->column);
        sql__put(b, b->d->len_close);
        sql__put(b, " > 0");
        return;
    }
    sql__put(b, e->kind == ODATA_ALL ? "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
    sql__put(b, b->d->each_open);
    sql__put(b, "p.");
    sql__put(b, e->collection->column);
    sql__put(b, b->d->each_close);
    sql__put(b, " AS " SQL_ELEM " WHERE ");
    /* all: no element for which the condition is not true (false, or null for a member). */
    sql__put(b, e->kind == ODATA_ALL ? "(" : "");
    pred(b, e->pred);
    sql__put(b, e->kind == ODATA_ALL ? ") IS NOT TRUE)" : ")");
}

static void pred(struct sql__b *b, const struct odata_expr *e)
{
    switch (e->kind) {
    case ODATA_AND:
    case ODATA_OR:
        sql__put(b, "(");
        pred(b, e->left);
        sql__put(b, e->kind == ODATA_AND ? " AND " : " OR ");
        pred(b, e->right);
        sql__put(b, ")");
        return;
    case ODATA_NOT:
        sql__put(b, "(");
        pred(b, e->left);
        sql__put(b, ") IS NOT TRUE");
        return;
    case ODATA_CMP:
        cmp(b, e);
        return;
    case ODATA_IN:
        in_list(b, e);
        return;
    case ODATA_FUNC:
        func(b, e);
        return;
    case ODATA_BOOL:
        sql__operand(b, e->left);
        sql__put(b, " = ");
        sql__put(b, b->d->true_lit);
        return;
    case ODATA_CONST:
        sql__put(b, e->lit.u.b ? b->d->true_lit : b->d->false_lit);
        return;
    case ODATA_ANY:
    case ODATA_ALL:
        lambda(b, e);
        return;
    case ODATA_OPERAND:
    case ODATA_LITERAL:
        break;
    }
    sql__fail(b, CMP_EINTERNAL);
}

/* ---- order and keyset ---- */

struct key {
    const struct graph_prop *prop;
    bool desc;
    const struct odata_value *v; /* the cursor's value */
    size_t param;                /* its parameter (0: null or a Boolean literal) */
};

/* Does cursor value `v` fit property `p`? */
static bool key_fits(const struct graph_prop *p, const struct odata_value *v)
{
    switch (p->type) {
    case EDM_STRING:
        return v->type == ODATA_V_STRING || (v->type == ODATA_V_NULL && !(p->flags & PROP_NONNULL));
    case EDM_DATETIMEOFFSET:
        return v->type == ODATA_V_DATETIME;
    case EDM_ENUM:
        return v->type == ODATA_V_ENUM;
    case EDM_BOOLEAN:
        return v->type == ODATA_V_BOOL;
    case EDM_ASSIGNMENTS:
        break;
    }
    return false;
}

static void put_column(struct sql__b *b, const struct key *k)
{
    sql__put(b, "p.");
    sql__put(b, k->prop->column);
}

static void put_key_value(struct sql__b *b, const struct key *k)
{
    if (k->v->type == ODATA_V_BOOL)
        sql__put(b, k->v->u.b ? b->d->true_lit : b->d->false_lit);
    else
        sql__ref(b, k->param);
}

/* column = value (IS NULL for a null value). */
static void key_eq(struct sql__b *b, const struct key *k)
{
    put_column(b, k);
    if (k->v->type == ODATA_V_NULL) {
        sql__put(b, " IS NULL");
        return;
    }
    sql__put(b, " = ");
    put_key_value(b, k);
}

/* Can any row come strictly after value v of this key?  Not after a null descending (last). */
static bool after_possible(const struct key *k)
{
    return !(k->desc && k->v->type == ODATA_V_NULL);
}

/* The rows strictly after v in this key's order: nulls first ascending, last descending. */
static void key_after(struct sql__b *b, const struct key *k)
{
    bool null_value = k->v->type == ODATA_V_NULL;
    bool nulls_after = k->desc && !(k->prop->flags & PROP_NONNULL);

    if (null_value) { /* ascending: every non-null value follows the nulls */
        put_column(b, k);
        sql__put(b, " IS NOT NULL");
        return;
    }
    sql__put(b, nulls_after ? "(" : "");
    put_column(b, k);
    sql__put(b, k->desc ? " < " : " > ");
    put_key_value(b, k);
    if (nulls_after) {
        sql__put(b, " OR ");
        put_column(b, k);
        sql__put(b, " IS NULL)");
    }
}

/*
 * A range on the first key implied by the keyset condition, so an index on (tenant, key) seeks
 * to the position instead of reading every row before it.  None where the rows after the
 * position are not one range of the index (a nullable key descending from a value: the nulls
 * come last).
 */
static void lead_range(struct sql__b *b, const struct key *k)
{
    bool null_value = k->v->type == ODATA_V_NULL;

    if (!k->desc && !null_value) {
        sql__put(b, " AND ");
        put_column(b, k);
        sql__put(b, " >= ");
        put_key_value(b, k);
    } else if (k->desc && null_value) {
        sql__put(b, " AND ");
        put_column(b, k);
        sql__put(b, " IS NULL");
    } else if (k->desc && (k->prop->flags & PROP_NONNULL)) {
        sql__put(b, " AND ");
        put_column(b, k);
        sql__put(b, " <= ");
        put_key_value(b, k);
    }
}

/* (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... OR (k1 = v1 AND ... AND seq > s) */
static void keyset(struct sql__b *b, const struct key *keys, size_t n, int64_t seq)
{
    const char *sep = "";
    size_t i;
    size_t j;

    if (n)
        lead_range(b, &keys[0]);
    sql__put(b, n ? " AND (" : " AND ");
    for (i = 0; i <= n; i++) {
        if (i < n && !after_possible(&keys[i]))
            continue;
        /* The first disjunct is one term (key_after parenthesises its own OR). */
        sql__put(b, sep);
        sql__put(b, i ? "(" : "");
        for (j = 0; j < i; j++) {
            key_eq(b, &keys[j]);
            sql__put(b, " AND ");
        }
        if (i < n) {
            key_after(b, &keys[i]);
        } else {
            sql__put(b, "p.seq > ");
            sql__ref(b, sql__add_int(b, seq));
        }
        sql__put(b, i ? ")" : "");
        sep = " OR ";
    }
    sql__put(b, n ? ")" : "");
}

/* The keys of req with the cursor's values; their parameters are added here, once each. */
static int cursor_keys(struct sql__b *b, const struct store_list_req *req, struct key *keys,
                       struct cmp_error *err)
{
    const struct store_cursor *c = req->after;
    size_t i;

    if (c->key_count != req->orderby_count)
        return cmp_error_set(err, CMP_EBADQUERY, "The $skiptoken does not fit the $orderby.");
    for (i = 0; i < req->orderby_count; i++) {
        keys[i].prop = req->orderby[i].prop;
        keys[i].desc = req->orderby[i].desc;
        keys[i].v = &c->keys[i];
        keys[i].param = 0;
        if (!key_fits(keys[i].prop, keys[i].v))
            return cmp_error_set(err, CMP_EBADQUERY, "The $skiptoken does not fit the $orderby.");
        if (keys[i].v->type == ODATA_V_STRING)
            keys[i].param = sql__add_text(b, keys[i].v->u.s.p, keys[i].v->u.s.n);
        else if (keys[i].v->type == ODATA_V_DATETIME)
            keys[i].param = sql__add_int(b, keys[i].v->u.ticks);
        else if (keys[i].v->type == ODATA_V_ENUM)
            keys[i].param = sql__add_int(b, keys[i].v->u.i);
    }
    return 0;
}

static void order_by(struct sql__b *b, const struct odata_orderby *orderby, size_t n)
{
    size_t i;

    sql__put(b, " ORDER BY ");
    for (i = 0; i < n; i++) {
        bool null_first = !(orderby[i].prop->flags & PROP_NONNULL) && b->d->nulls_clause;
        sql__put(b, "p.");
        sql__put(b, orderby[i].prop->column);
        sql__put(b, orderby[i].desc ? " DESC" : " ASC");
        if (null_first)
            sql__put(b, orderby[i].desc ? " NULLS LAST" : " NULLS FIRST");
        sql__put(b, ", ");
    }
    sql__put(b, "p.seq ASC");
}

/* ---- statements ---- */

static void begin(struct sql__b *b, struct arena *a, const struct sql_dialect *d)
{
    memset(b, 0, sizeof *b);
    buf_init(&b->text, SQL_MAX_TEXT);
    b->a = a;
    b->d = d;
}

/* Take the text into the arena and release the builder; returns b->rc or a failure. */
static int finish(struct sql__b *b, struct sql_query *out, struct cmp_error *err)
{
    int rc = b->rc;
    char *text = NULL;

    if (!rc) {
        text = arena_strndup(b->a, b->text.data ? b->text.data : "", b->text.len);
        if (!text)
            rc = CMP_ENOMEM;
    }
    if (!rc) {
        out->text = text;
        out->len = b->text.len;
        out->params = b->params;
        out->n_params = b->n_params;
    }
    buf_fini(&b->text);
    if (rc == CMP_EBADQUERY)
        return cmp_error_set(err, rc, "The query is too complex.");
    if (rc)
        return cmp_error_set(err, rc, NULL);
    return 0;
}

static void where_tenant(struct sql__b *b, const char *tenant, const struct odata_expr *filter)
{
    sql__put(b, " FROM partners AS p WHERE p.tenant = ");
    sql__ref(b, sql__add_text(b, tenant, strlen(tenant)));
    if (filter) {
        sql__put(b, " AND ");
        pred(b, filter);
    }
}

int sql_partner_list(struct arena *a, const struct sql_dialect *d, const char *columns,
                     const char *tenant, const struct store_list_req *req, struct sql_query *out,
                     struct cmp_error *err)
{
    struct key keys[ODATA_MAX_ORDERBY];
    struct sql__b b;
    int64_t limit = req->limit < (size_t)INT64_MAX ? (int64_t)req->limit + 1 : INT64_MAX;
    int rc = 0;

    if (req->orderby_count > ODATA_MAX_ORDERBY)
        return cmp_error_set(err, CMP_EBADQUERY, "Too many $orderby keys.");
    begin(&b, a, d);
    sql__put(&b, "SELECT ");
    sql__put(&b, columns);
    where_tenant(&b, tenant, req->filter);
    if (req->after) {
        rc = cursor_keys(&b, req, keys, err);
        if (!rc)
            keyset(&b, keys, req->orderby_count, req->after->seq);
    }
    order_by(&b, req->orderby, req->orderby_count);
    sql__put(&b, " LIMIT ");
    sql__ref(&b, sql__add_int(&b, limit));
    if (!req->after && req->skip > 0) {
        sql__put(&b, " OFFSET ");
        sql__ref(&b, sql__add_int(&b, req->skip));
    }
    if (rc) {
        buf_fini(&b.text);
        return rc;
    }
    return finish(&b, out, err);
}

int sql_partner_count(struct arena *a, const struct sql_dialect *d, const char *tenant,
                      const struct odata_expr *filter, struct sql_query *out, struct cmp_error *err)
{
    struct sql__b b;

    begin(&b, a, d);
    sql__put(&b, "SELECT count(*)");
    where_tenant(&b, tenant, filter);
    return finish(&b, out, err);
}

void sql_cursor_of(const struct graph_partner *p, int64_t seq, const struct odata_orderby *orderby,
                   size_t n, struct store_cursor *out)
{
    size_t i;

    memset(out, 0, sizeof *out);
    for (i = 0; i < n && i < ODATA_MAX_ORDERBY; i++) {
        const struct graph_prop *prop = orderby[i].prop;
        const void *f = (const char *)p + prop->offset;
        struct odata_value *v = &out->keys[i];
        const char *s;
        switch (prop->type) {
        case EDM_STRING:
            s = prop->id == GRAPH_P_ID ? p->id : *(const char *const *)f;
            v->type = s ? ODATA_V_STRING : ODATA_V_NULL;
            v->u.s.p = s;
            v->u.s.n = s ? strlen(s) : 0;
            break;
        case EDM_DATETIMEOFFSET:
            v->type = ODATA_V_DATETIME;
            v->u.ticks = p->last_heartbeat_ticks;
            break;
        case EDM_ENUM:
            v->type = ODATA_V_ENUM;
            v->u.i = *(const int *)f;
            break;
        case EDM_BOOLEAN:
            v->type = ODATA_V_BOOL;
            v->u.b = *(const bool *)f;
            break;
        case EDM_ASSIGNMENTS:
            v->type = ODATA_V_NULL;
            break;
        }
    }
    out->key_count = i;
    out->seq = seq;
}
