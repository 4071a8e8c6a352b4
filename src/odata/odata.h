/*
 * odata/odata.h - OData query options for the complianceManagementPartner collection: the
 * $filter AST, the parsed query, and the parsers (graph-conventions.md 4-6, spec 3.2-3.3, 3.7).
 *
 * Names are resolved against the entity table of graph/model.h while parsing, so later stages
 * (store/sql.c) never see an unknown property, a type mismatch or an enum literal that is not a
 * member.  Every node comes from the caller's arena.  Failures are CMP_EBADQUERY with a message
 * that says what is wrong and at which character position of the option value.
 */
#ifndef CMP_ODATA_ODATA_H
#define CMP_ODATA_ODATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/model.h"

struct arena;
struct cmp_error;

/* Limits: a $filter longer, deeper or with more nodes than this is refused (400). */
#define ODATA_MAX_FILTER_LEN 4096
#define ODATA_MAX_DEPTH 32
#define ODATA_MAX_NODES 256
#define ODATA_MAX_IN_ITEMS 100
#define ODATA_MAX_ORDERBY 8

/* ---- $filter AST ---- */

enum odata_kind {
    ODATA_AND,     /* left and right */
    ODATA_OR,      /* left or right */
    ODATA_NOT,     /* not left */
    ODATA_CMP,     /* operand(left) op literal(right); the parser normalises 'lit op prop'.
                      Ordering operators apply to every type (strings ordinal, enums by member
                      value, false < true); a null literal only under eq/ne */
    ODATA_IN,      /* operand(left) in (items): 1..ODATA_MAX_IN_ITEMS literals, null allowed
                      when the operand is nullable */
    ODATA_FUNC,    /* func(operand(left), literal(right)) : startswith, endswith, contains;
                      the operand is Edm.String and the literal a (non-null) string */
    ODATA_ANY,     /* collection/any(var: pred); pred NULL for any() (collection not empty) */
    ODATA_ALL,     /* collection/all(var: pred) */
    ODATA_BOOL,    /* a Boolean operand used as a predicate: iosOnboarded, a/…/x eq true */
    ODATA_CONST,   /* true or false as a whole predicate (value in lit.u.b) */
    ODATA_OPERAND, /* a property of the entity, or a member of the lambda variable */
    ODATA_LITERAL
};

enum odata_op { ODATA_EQ, ODATA_NE, ODATA_GT, ODATA_GE, ODATA_LT, ODATA_LE };

enum odata_func { ODATA_STARTSWITH, ODATA_ENDSWITH, ODATA_CONTAINS };

/* The members of an assignment target that a lambda may read (a/target/<cast>/<member>). */
enum odata_target_member {
    ODATA_TM_NONE,          /* an entity property, not a lambda member */
    ODATA_TM_GROUP_ID,      /* groupId (groupAssignmentTarget and exclusionGroupAssignmentTarget) */
    ODATA_TM_COLLECTION_ID, /* collectionId (configurationManagerCollectionAssignmentTarget) */
    ODATA_TM_FILTER_ID,     /* beta deviceAndAppManagementAssignmentFilterId */
    ODATA_TM_FILTER_TYPE    /* beta deviceAndAppManagementAssignmentFilterType */
};

enum odata_vtype {
    ODATA_V_NULL,
    ODATA_V_BOOL,
    ODATA_V_STRING,   /* u.s, unescaped ('' -> ') */
    ODATA_V_DATETIME, /* u.ticks (core/time.h) */
    ODATA_V_ENUM      /* u.i = member value */
};

struct odata_value {
    enum odata_vtype type;
    union {
        bool b;
        struct {
            const char *p; /* NUL-terminated */
            size_t n;
        } s;
        int64_t ticks;
        int64_t i;
    } u;
};

struct odata_expr {
    enum odata_kind kind;
    size_t pos; /* character offset in the $filter text, for messages */

    /* ODATA_AND / OR / NOT / CMP / IN / FUNC / BOOL */
    struct odata_expr *left;
    struct odata_expr *right;
    enum odata_op op;          /* CMP */
    enum odata_func func;      /* FUNC */
    struct odata_expr **items; /* IN: literals */
    size_t item_count;

    /* ODATA_OPERAND */
    const struct graph_prop *prop;   /* entity property (member == ODATA_TM_NONE) */
    enum odata_target_member member; /* or a member of the lambda variable's target */
    int cast; /* lambda member: -1, or the graph_target_kind named by a type cast segment; a
                 cast to groupAssignmentTarget also matches exclusionGroupAssignmentTarget.
                 A target the cast does not match reads the member as null (OData cast
                 semantics); so does, without a cast, a target type that lacks the member
                 (groupId: only group and exclusion group targets have it; collectionId: only
                 configurationManagerCollectionAssignmentTarget; the beta filter members: all) */

    /* ODATA_ANY / ODATA_ALL: the collection property and the predicate over its elements.  The
       predicate may also use entity properties (plain entity-level operands); lambdas never
       nest, and lambda members (member != ODATA_TM_NONE) occur only inside a predicate. */
    const struct graph_prop *collection;
    struct odata_expr *pred;

    /* ODATA_LITERAL, ODATA_CONST */
    struct odata_value lit;
};

/*
 * Parse `src` (`len` bytes, already percent-decoded) as a $filter for API version `v`.  On success
 * stores the AST in *out and returns 0; otherwise CMP_EBADQUERY with `err` naming the position.
 */
int odata_filter_parse(struct arena *a, enum graph_version v, const char *src, size_t len,
                       struct odata_expr **out, struct cmp_error *err);

/* ---- the whole query string ---- */

enum odata_target {
    ODATA_FOR_LIST, /* GET collection: every option */
    ODATA_FOR_ITEM, /* GET item: $select (and $format) */
    ODATA_FOR_COUNT /* GET /$count: $filter (and $format) */
};

struct odata_orderby {
    const struct graph_prop *prop; /* PROP_ORDERBY properties only */
    bool desc;
};

struct odata_query {
    struct odata_expr *filter; /* NULL: none */
    const char *filter_text;   /* decoded, as given (for nextLink), or NULL */
    uint32_t select;           /* GRAPH_PROP_BIT mask; GRAPH_ALL_PROPS when $select is absent */
    const char *select_text;   /* "id,displayName" as written, or NULL: @odata.context gains it */
    struct odata_orderby orderby[ODATA_MAX_ORDERBY];
    size_t orderby_count;
    const char *orderby_text; /* decoded, as given, or NULL */
    int64_t top;              /* -1: absent */
    int64_t skip;             /* 0: absent */
    bool count;               /* $count=true */
    const char *skiptoken;    /* $skiptoken value (percent-decoded, uninterpreted), or NULL */
};

/*
 * Parse a raw query string (without '?', percent-encoded, '&'-separated) for `target` in API
 * version `v`.  Option names are case-insensitive; on beta the '$' prefix is optional, on v1.0 it
 * is required (a name without '$' is then not a system query option and is ignored, as Graph
 * ignores unknown custom parameters).  A repeated option, an option not valid for `target`,
 * $search, $expand, $format other than json, $count other than true/false, a negative,
 * non-numeric or overflowing $top/$skip, an unknown or non-orderable property, and every $filter
 * error are CMP_EBADQUERY.
 */
int odata_query_parse(struct arena *a, enum graph_version v, enum odata_target target,
                      const char *qs, size_t len, struct odata_query *out, struct cmp_error *err);

/* Fuzz entry points: parse `data` as a $filter / a whole query string, in both versions. */
int odata_filter_fuzz(const unsigned char *data, size_t size);
int odata_query_fuzz(const unsigned char *data, size_t size);

#endif
