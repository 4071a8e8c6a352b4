/*
 * odata/filter_path.c - property paths and any/all lambdas of a $filter.
 *
 *   path   := property
 *           | collection '/' ('any' | 'all') '(' [ var ':' or ] ')'
 *           | var '/' 'target' '/' [ qualifiedTargetType '/' ] member
 *
 * `collection` is one of the *EnrollmentAssignments properties of the version; any() without a
 * body means "the collection is not empty", all() needs one.  Inside the body the variable reads
 * the members of the assignment's target: groupId, collectionId and, on beta, the assignment
 * filter id and type.  A type cast segment names a concrete target type (or the abstract base);
 * a member the cast type does not have is refused.  Without a cast a member applies to the
 * target types that have it (groupId: group and exclusion group targets), which OData itself
 * would only allow after a cast.  Entity properties may be used inside a lambda body too (they
 * are plain entity-level operands); lambdas do not nest, and a variable exists only inside its
 * own lambda (outside, its name is an unknown property).
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "odata/filter_impl.h"

#define TARGET_BASE GRAPH_NS "deviceAndAppManagementAssignmentTarget"
#define PARTNER_TYPE GRAPH_PARTNER_TYPE

static const struct member {
    const char *name;
    enum odata_target_member id;
    enum graph_edm edm;
    bool nullable;
    const struct graph_enum *enums;
    unsigned versions;
    bool base; /* declared on the abstract base type (so every target type has it) */
} members[] = {
    {"groupId", ODATA_TM_GROUP_ID, EDM_STRING, true, NULL, GRAPH_ALL_VERSIONS, false},
    {"collectionId", ODATA_TM_COLLECTION_ID, EDM_STRING, true, NULL, GRAPH_ALL_VERSIONS, false},
    {"deviceAndAppManagementAssignmentFilterId", ODATA_TM_FILTER_ID, EDM_STRING, true, NULL,
     GRAPH_BETA, true},
    {"deviceAndAppManagementAssignmentFilterType", ODATA_TM_FILTER_TYPE, EDM_ENUM, false,
     &graph_enum_filter_type, GRAPH_BETA, true},
};

#define MEMBER_COUNT (sizeof members / sizeof *members)

void odata__prop_type(const struct graph_prop *prop, struct odata__optype *out)
{
    out->name = prop->name;
    out->edm = prop->type;
    out->nullable = !(prop->flags & PROP_NONNULL);
    out->enums = prop->enums;
}

static void member_type(const struct member *m, struct odata__optype *out)
{
    out->name = m->name;
    out->edm = m->edm;
    out->nullable = m->nullable;
    out->enums = m->enums;
}

int odata__member_type(enum odata_target_member id, enum graph_version v, struct odata__optype *out)
{
    size_t i;

    for (i = 0; i < MEMBER_COUNT; i++) {
        if (members[i].id == id && (members[i].versions & (unsigned)v)) {
            member_type(&members[i], out);
            return 0;
        }
    }
    return -1;
}

static int no_property(struct odata__parser *p, const struct odata__token *name, const char *type)
{
    char q[ODATA__QUOTE_MAX + 4];

    return odata__lex_fail(p->err, name->pos, "Could not find a property named '%s' on type '%s'",
                           odata__lex_quote(q, name->text, name->len), type);
}

static bool is_qualified(const struct odata__token *t)
{
    return memchr(t->text, '.', t->len) != NULL;
}

/* Expect a plain name after `after` (for the message). */
static int expect_name(struct odata__parser *p, const char *after)
{
    char d[ODATA__QUOTE_MAX + 40];

    if (p->tok.kind == ODATA__T_IDENT)
        return 0;
    return odata__lex_fail(p->err, p->tok.pos,
                           "syntax error: expected a name after '%s' but found %s", after,
                           odata__lex_describe(&p->tok, d, sizeof d));
}

/* ---- the lambda variable: var/target/[cast/]member ---- */

/* The optional cast segment at p->tok: *cast (-1 for none or the base type), *explicit_cast. */
static int parse_cast(struct odata__parser *p, int *cast, bool *explicit_cast, char *type_name)
{
    char q[ODATA__QUOTE_MAX + 4];
    int rc;

    *cast = -1;
    *explicit_cast = false;
    snprintf(type_name, ODATA__QUOTE_MAX + 4, "%s", TARGET_BASE);
    if (!is_qualified(&p->tok))
        return 0;
    *cast = graph_target_find(p->tok.text, p->tok.len);
    if (*cast < 0 && !str_eq(p->tok.text, p->tok.len, TARGET_BASE))
        return odata__lex_fail(p->err, p->tok.pos,
                               "'%s' is not a type derived from '" TARGET_BASE "'",
                               odata__lex_quote(q, p->tok.text, p->tok.len));
    *explicit_cast = true;
    odata__lex_quote(type_name, p->tok.text, p->tok.len);
    rc = odata__next(p);
    if (!rc && p->tok.kind != ODATA__T_SLASH)
        rc = odata__lex_fail(p->err, p->tok.pos,
                             "type tests are not supported: compare a member of '%s' instead",
                             type_name);
    if (!rc)
        rc = odata__next(p);
    return rc ? rc : expect_name(p, type_name);
}

/* The member named at p->tok for the given cast. */
static int find_member(struct odata__parser *p, int cast, bool explicit_cast, const char *type_name,
                       const struct member **out)
{
    const struct member *m = NULL;
    size_t i;

    for (i = 0; i < MEMBER_COUNT; i++)
        if ((members[i].versions & (unsigned)p->v) &&
            str_eq(p->tok.text, p->tok.len, members[i].name))
            m = &members[i];
    if (m && explicit_cast && !m->base &&
        (cast < 0 || !graph_target_types[cast].id_prop ||
         strcmp(graph_target_types[cast].id_prop, m->name) != 0))
        m = NULL;
    if (!m)
        return no_property(p, &p->tok, type_name);
    *out = m;
    return 0;
}

/* After the variable `var`: /target/[cast/]member.  p->tok is the token after the variable. */
static int parse_member(struct odata__parser *p, const struct odata__token *var,
                        struct odata__term *out)
{
    char type_name[ODATA__QUOTE_MAX + 4];
    char q[ODATA__QUOTE_MAX + 4];
    const struct member *m = NULL;
    bool explicit_cast;
    int cast;
    int rc = 0;

    odata__lex_quote(q, var->text, var->len);
    if (p->tok.kind != ODATA__T_SLASH)
        return odata__lex_fail(p->err, var->pos,
                               "the lambda variable '%s' can only be used as %s/target/<member>", q,
                               q);
    rc = odata__next(p);
    if (!rc)
        rc = expect_name(p, "/");
    if (!rc && !str_eq(p->tok.text, p->tok.len, "target"))
        rc = no_property(p, &p->tok, GRAPH_ASSIGNMENT_TYPE);
    if (!rc)
        rc = odata__next(p);
    if (!rc && p->tok.kind != ODATA__T_SLASH)
        rc = odata__lex_fail(p->err, p->tok.pos,
                             "'%s/target' cannot be used as a value: compare one of its members, "
                             "e.g. %s/target/groupId",
                             q, q);
    if (!rc)
        rc = odata__next(p);
    if (!rc)
        rc = expect_name(p, "target/");
    if (!rc)
        rc = parse_cast(p, &cast, &explicit_cast, type_name);
    if (!rc)
        rc = find_member(p, cast, explicit_cast, type_name, &m);
    if (!rc)
        rc = odata__next(p);
    if (!rc && p->tok.kind == ODATA__T_SLASH)
        rc = odata__lex_fail(p->err, p->tok.pos, "'%s' has no members", m->name);
    if (!rc)
        rc = odata__node(p, ODATA_OPERAND, var->pos, &out->e);
    if (rc)
        return rc;
    out->e->member = m->id;
    out->e->cast = cast;
    out->kind = ODATA__TERM_OPERAND;
    out->pos = var->pos;
    member_type(m, &out->type);
    return 0;
}

/* ---- lambdas ---- */

/* The body of collection/any( or /all( : p->tok is the token after '('. */
static int parse_lambda_body(struct odata__parser *p, struct odata_expr *e)
{
    char d[ODATA__QUOTE_MAX + 40];
    struct odata__term body;
    int rc;

    if (p->tok.kind == ODATA__T_RPAREN) {
        if (e->kind == ODATA_ALL)
            return odata__lex_fail(p->err, p->tok.pos,
                                   "a lambda all() needs a variable and a condition, e.g. "
                                   "%s/all(a: a/target/groupId ne null)",
                                   e->collection->name);
        return odata__next(p);
    }
    if (p->tok.kind != ODATA__T_IDENT || is_qualified(&p->tok))
        return odata__lex_fail(p->err, p->tok.pos,
                               "syntax error: expected a lambda variable name but found %s",
                               odata__lex_describe(&p->tok, d, sizeof d));
    p->var = p->tok.text;
    p->var_len = p->tok.len;
    rc = odata__next(p);
    if (!rc)
        rc = odata__expect(p, ODATA__T_COLON, "':'");
    if (!rc)
        rc = odata__parse_or(p, &body);
    if (!rc)
        rc = odata__to_pred(p, &body, &e->pred);
    p->var = NULL;
    p->var_len = 0;
    return rc ? rc : odata__expect(p, ODATA__T_RPAREN, "')'");
}

/* collection/any(...) or /all(...): p->tok is the token after the collection's name. */
static int parse_lambda(struct odata__parser *p, const struct graph_prop *prop,
                        const struct odata__token *name, struct odata__term *out)
{
    enum odata_kind kind;
    int rc;

    if (p->tok.kind != ODATA__T_SLASH)
        return odata__lex_fail(p->err, name->pos,
                               "the collection '%s' can only be used with /any(...) or /all(...)",
                               prop->name);
    rc = odata__next(p);
    if (!rc)
        rc = expect_name(p, prop->name);
    if (rc)
        return rc;
    if (str_eq(p->tok.text, p->tok.len, "any"))
        kind = ODATA_ANY;
    else if (str_eq(p->tok.text, p->tok.len, "all"))
        kind = ODATA_ALL;
    else
        return no_property(p, &p->tok, GRAPH_ASSIGNMENT_TYPE);
    if (p->var)
        return odata__lex_fail(p->err, name->pos, "nested lambda expressions are not supported");
    rc = odata__next(p);
    if (!rc)
        rc = odata__expect(p, ODATA__T_LPAREN, "'('");
    if (!rc)
        rc = odata__node(p, kind, name->pos, &out->e);
    if (rc)
        return rc;
    out->e->collection = prop;
    out->kind = ODATA__TERM_PRED;
    out->pos = name->pos;
    return parse_lambda_body(p, out->e);
}

int odata__parse_path(struct odata__parser *p, const struct odata__token *name,
                      struct odata__term *out)
{
    char q[ODATA__QUOTE_MAX + 4];
    const struct graph_prop *prop;
    int rc;

    memset(out, 0, sizeof *out);
    out->pos = name->pos;
    if (p->var && name->len == p->var_len && memcmp(name->text, p->var, name->len) == 0)
        return parse_member(p, name, out);
    if (is_qualified(name))
        return odata__lex_fail(p->err, name->pos,
                               "the type cast '%s' is not supported here (casts are allowed only "
                               "on the target of a lambda variable)",
                               odata__lex_quote(q, name->text, name->len));
    prop = graph_prop_find(name->text, name->len, p->v);
    if (!prop)
        return no_property(p, name, PARTNER_TYPE);
    if (!(prop->flags & PROP_FILTER))
        return odata__lex_fail(p->err, name->pos, "the property '%s' cannot be used in $filter",
                               prop->name);
    if (prop->type == EDM_ASSIGNMENTS)
        return parse_lambda(p, prop, name, out);
    if (p->tok.kind == ODATA__T_SLASH)
        return odata__lex_fail(p->err, p->tok.pos, "'%s' has no members", prop->name);
    rc = odata__node(p, ODATA_OPERAND, name->pos, &out->e);
    if (rc)
        return rc;
    out->e->prop = prop;
    out->kind = ODATA__TERM_OPERAND;
    odata__prop_type(prop, &out->type);
    return 0;
}
