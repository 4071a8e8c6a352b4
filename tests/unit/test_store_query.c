/*
 * tests/unit/test_store_query.c - listing and counting with $filter, $orderby, $skip and keyset
 * positions (store/store.h), backend-independent: every answer is compared with the same query
 * evaluated here, in C, on a deterministic data set.
 *
 * Like test_store.c, the location comes from $CMPD_TEST_STORE when set (e.g. a PostgreSQL DSN),
 * else a fresh mkdtemp directory (SQLite), and every test works in tenants of its own.  ASTs are
 * written in the notation of test_store_ast.h.  The evaluator follows OData (graph-conventions.md
 * 4-5) and cmpd's reading of lambda members: a member compares only on the target types that
 * have it (a cast to groupAssignmentTarget also admits exclusionGroupAssignmentTarget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/uuid.h"
#include "graph/model.h"
#include "odata/odata.h"
#include "store/store.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

#include "test_store_ast.h"

#define ROWS 200
#define NOISE 60
#define MAX_ROWS 400

/* A partner as the test knows it: its values and its place in insertion order. */
struct row {
    struct graph_partner p;
    int64_t seq; /* insertion order, the order of the store's own sequence */
    bool deleted;
};

struct fixture {
    char dir[256];
    char db_path[300];
    const char *location;
    struct store *store;
    struct arena *arena;
    char tenant[UUID_STR_LEN + 1];   /* the data set */
    char noise[UUID_STR_LEN + 1];    /* another tenant whose rows match everything */
    struct row rows[MAX_ROWS];       /* rows[0..n) of `tenant` */
    size_t n;
    struct row noise_rows[NOISE];
    uint64_t rng;
    int64_t next_seq;
    struct cmp_error err;
};

/* ---- the data set ---- */

static const char *const names[] = {
    NULL,
    NULL,
    "",
    "Contoso",
    "Contoso",
    "contoso",
    "Contoso Ltd",
    "Con",
    "Co",
    "CON",
    "alpha",
    "Alpha",
    "ALPHA",
    "beta",
    "O'Brien",
    "Zeta",
    "zeta",
    "\xc3\x9cnic\xc3\xb6" "de",
    "\xc3\xbc",
    "\xe6\x97\xa5\xe6\x9c\xac",
    "M",
    "m",
    "mid",
    "x'); DROP TABLE partners;--",
    "so",
    "Fabrikamso",
    "a%b_c",
    "\x7f",
    "~tilde",
};

static const int64_t beats[] = {
    0, 0, 0, 636188000000000000, 636188000000000000, 638000000000000000, 5, 3155378975999999999,
};

static const char *const target_ids[] = {NULL, "g1", "g2", "gx", "g1"};
static const char *const filter_ids[] = {NULL, "f1", "f2"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static uint64_t next_rand(struct fixture *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

static size_t pick(struct fixture *f, size_t n)
{
    return (size_t)(next_rand(f) % n);
}

static struct graph_assignments some_targets(struct fixture *f)
{
    struct graph_assignments l = {NULL, pick(f, 4)};
    size_t i;

    l.items = arena_calloc(f->arena, l.n ? l.n : 1, sizeof *l.items);
    assert_non_null(l.items);
    for (i = 0; i < l.n; i++) {
        struct graph_assignment *as = &l.items[i];
        as->kind = (enum graph_target_kind)pick(f, GRAPH_TARGET_COUNT);
        as->target_id =
            graph_target_types[as->kind].id_prop ? target_ids[pick(f, COUNT(target_ids))] : NULL;
        as->filter_id = filter_ids[pick(f, COUNT(filter_ids))];
        as->filter_type = (int)pick(f, 3);
    }
    return l;
}

static void random_partner(struct fixture *f, struct graph_partner *p)
{
    graph_partner_defaults(p);
    assert_int_equal(uuid_v4(p->id), 0);
    p->display_name = names[pick(f, COUNT(names))];
    p->last_heartbeat_ticks = beats[pick(f, COUNT(beats))];
    p->partner_state = (int)pick(f, 6);
    p->mac_os_onboarded = pick(f, 2);
    p->linux_onboarded = pick(f, 2);
    p->android_onboarded = pick(f, 2);
    p->ios_onboarded = pick(f, 2);
    p->mac_os_assignments = some_targets(f);
    p->android_assignments = some_targets(f);
    p->ios_assignments = some_targets(f);
    p->linux_assignments = some_targets(f);
}

static void add_row(struct fixture *f, const char *tenant, struct row *r)
{
    random_partner(f, &r->p);
    r->seq = f->next_seq++;
    r->deleted = false;
    assert_int_equal(store_partner_insert(f->store, tenant, &r->p, &f->err), 0);
}

/* ---- the evaluator ---- */

enum vkind { V_NULL, V_STR, V_INT };

struct val {
    enum vkind kind;
    const char *s;
    int64_t i;
};

static struct val v_str(const char *s)
{
    struct val v = {s ? V_STR : V_NULL, s, 0};
    return v;
}

static struct val v_int(int64_t i)
{
    struct val v = {V_INT, NULL, i};
    return v;
}

static struct val prop_val(const struct graph_partner *p, const struct graph_prop *prop)
{
    const void *f = (const char *)p + prop->offset;

    switch (prop->type) {
    case EDM_STRING:
        return v_str(prop->id == GRAPH_P_ID ? p->id : *(const char *const *)f);
    case EDM_DATETIMEOFFSET:
        return v_int(p->last_heartbeat_ticks);
    case EDM_ENUM:
        return v_int(*(const int *)f);
    case EDM_BOOLEAN:
        return v_int(*(const bool *)f);
    case EDM_ASSIGNMENTS:
        break;
    }
    fail();
    return v_int(0);
}

static struct val lit_val(const struct odata_value *v)
{
    switch (v->type) {
    case ODATA_V_NULL:
        return v_str(NULL);
    case ODATA_V_STRING:
        return v_str(v->u.s.p);
    case ODATA_V_BOOL:
        return v_int(v->u.b);
    case ODATA_V_DATETIME:
        return v_int(v->u.ticks);
    case ODATA_V_ENUM:
        return v_int(v->u.i);
    }
    fail();
    return v_int(0);
}

/* Does member operand x exist on element `as` (its target type, or the cast's)? */
static bool applies(const struct odata_expr *x, const struct graph_assignment *as)
{
    const char *id_prop = graph_target_types[as->kind].id_prop;

    if (x->cast >= 0 && !((int)as->kind == x->cast ||
                          (x->cast == GRAPH_TARGET_GROUP && as->kind == GRAPH_TARGET_EXCLUSION_GROUP)))
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

static struct val operand_val(const struct odata_expr *x, const struct graph_partner *p,
                              const struct graph_assignment *as)
{
    if (x->member == ODATA_TM_NONE)
        return prop_val(p, x->prop);
    if (x->member == ODATA_TM_FILTER_ID)
        return v_str(as->filter_id);
    if (x->member == ODATA_TM_FILTER_TYPE)
        return v_int(as->filter_type);
    return v_str(as->target_id);
}

/* OData comparison: null equals only null, and is neither greater nor less than anything. */
static bool compare(enum odata_op op, struct val a, struct val b)
{
    int c;

    if (a.kind == V_NULL || b.kind == V_NULL) {
        if (op == ODATA_EQ)
            return a.kind == b.kind;
        return op == ODATA_NE && a.kind != b.kind;
    }
    c = a.kind == V_STR ? strcmp(a.s, b.s) : (a.i > b.i) - (a.i < b.i);
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

static bool call(enum odata_func fn, const char *s, const char *arg)
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

static bool eval(const struct odata_expr *e, const struct graph_partner *p,
                 const struct graph_assignment *as);

static bool eval_leaf(const struct odata_expr *e, const struct graph_partner *p,
                      const struct graph_assignment *as)
{
    struct val x;
    size_t i;

    if (e->left->member != ODATA_TM_NONE && !applies(e->left, as))
        return false;
    x = operand_val(e->left, p, as);
    switch (e->kind) {
    case ODATA_CMP:
        return compare(e->op, x, lit_val(&e->right->lit));
    case ODATA_IN:
        for (i = 0; i < e->item_count; i++)
            if (compare(ODATA_EQ, x, lit_val(&e->items[i]->lit)))
                return true;
        return false;
    case ODATA_FUNC:
        return x.kind == V_STR && call(e->func, x.s, e->right->lit.u.s.p);
    default:
        return x.i != 0; /* ODATA_BOOL */
    }
}

static bool eval_lambda(const struct odata_expr *e, const struct graph_partner *p)
{
    const struct graph_assignments *l =
        (const void *)((const char *)p + e->collection->offset);
    size_t i;

    if (!e->pred)
        return l->n > 0;
    for (i = 0; i < l->n; i++)
        if (eval(e->pred, p, &l->items[i]) != (e->kind == ODATA_ALL))
            return e->kind == ODATA_ANY;
    return e->kind == ODATA_ALL;
}

static bool eval(const struct odata_expr *e, const struct graph_partner *p,
                 const struct graph_assignment *as)
{
    switch (e->kind) {
    case ODATA_AND:
        return eval(e->left, p, as) && eval(e->right, p, as);
    case ODATA_OR:
        return eval(e->left, p, as) || eval(e->right, p, as);
    case ODATA_NOT:
        return !eval(e->left, p, as);
    case ODATA_CONST:
        return e->lit.u.b;
    case ODATA_ANY:
    case ODATA_ALL:
        return eval_lambda(e, p);
    default:
        return eval_leaf(e, p, as);
    }
}

/* The OData order of two rows: each key (nulls first ascending, last descending), then seq. */
static const struct odata_orderby *sort_keys;
static size_t sort_key_count;

static int order(const struct row *a, const struct row *b)
{
    size_t k;

    for (k = 0; k < sort_key_count; k++) {
        struct val x = prop_val(&a->p, sort_keys[k].prop);
        struct val y = prop_val(&b->p, sort_keys[k].prop);
        int c;
        if (x.kind == V_NULL || y.kind == V_NULL)
            c = (x.kind != V_NULL) - (y.kind != V_NULL);
        else if (x.kind == V_STR)
            c = strcmp(x.s, y.s);
        else
            c = (x.i > y.i) - (x.i < y.i);
        c = c < 0 ? -1 : c > 0;
        if (c)
            return sort_keys[k].desc ? -c : c;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int order_ptr(const void *a, const void *b)
{
    return order(*(const struct row *const *)a, *(const struct row *const *)b);
}

/* The rows of rows[0..n) matching `filter` in the order of `ob`, into out; returns how many. */
static size_t expect(const struct row *rows, size_t n, const struct odata_expr *filter,
                     const struct odata_orderby *ob, size_t nob, const struct row **out)
{
    size_t m = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (!rows[i].deleted && (!filter || eval(filter, &rows[i].p, NULL)))
            out[m++] = &rows[i];
    sort_keys = ob;
    sort_key_count = nob;
    qsort(out, m, sizeof *out, order_ptr);
    return m;
}
