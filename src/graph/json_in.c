/*
 * graph/json_in.c - request bodies -> struct graph_partner, validated against the model table.
 *
 * The body is parsed strictly by core/json.h, then walked member by member: each name is looked up
 * in graph_partner_props for the request's API version and its value decoded by the property's
 * EDM type into the field at the table's offset.  Assignment targets use a small table of the
 * base type's (beta) properties plus the subtype's own id property from graph_target_types.
 * Every refusal is CMP_EBADBODY with an ODataLib-style message naming the property; client text
 * echoed in a message is cut to SHOW_MAX bytes on a UTF-8 boundary so the message stays whole.
 *
 * Decision: `target` is nullable in the CSDL, but an assignment without a concrete target means
 * nothing and struct graph_assignment has no "no target" state, so a null or absent `target` is
 * refused with a message saying so.  Null elements of an assignment collection are refused too.
 */
#include "graph/json_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "graph/json_out.h"

#define TARGET_BASE_TYPE GRAPH_NS "deviceAndAppManagementAssignmentTarget"
#define ASSIGNMENTS_TYPE "Collection(" GRAPH_ASSIGNMENT_TYPE ")"
#define SHOW_MAX 100 /* bytes of client text echoed in one message */

struct dec {
    struct arena *a;
    enum graph_version v;
    struct cmp_error *err;
};

/* What decoding needs to know of one scalar property, whichever type it belongs to. */
struct field {
    const char *name;
    enum graph_edm type;
    bool nonnull;
    const struct graph_enum *enums; /* EDM_ENUM only */
};

/* The properties every target has (the abstract base's; beta only), besides its own id. */
static const struct target_prop {
    struct field f;
    unsigned versions;
    size_t offset; /* in struct graph_assignment */
} target_props[] = {
    {{"deviceAndAppManagementAssignmentFilterId", EDM_STRING, false, NULL},
     GRAPH_BETA,
     offsetof(struct graph_assignment, filter_id)},
    {{"deviceAndAppManagementAssignmentFilterType", EDM_ENUM, true, &graph_enum_filter_type},
     GRAPH_BETA,
     offsetof(struct graph_assignment, filter_type)},
};

/* ---- messages ---- */

/* How many of `n` bytes of `s` to show: at most SHOW_MAX, never splitting a UTF-8 sequence. */
static int shown(const char *s, size_t n)
{
    return (int)str_utf8_prefix(s, n, SHOW_MAX);
}

static const char *edm_name(const struct field *f)
{
    return graph_edm_name(f->type, f->enums);
}

static int unknown_prop(struct dec *d, const char *type, const char *name, size_t n)
{
    return cmp_error_set(d->err, CMP_EBADBODY,
                         "The property '%.*s' does not exist on type '%s'. Make sure to only use "
                         "property names that are defined by the type or mark the type as open "
                         "type.",
                         shown(name, n), name, type);
}

/* A value of the wrong JSON type: scalars are quoted as literals, containers by their kind. */
static int wrong_type(struct dec *d, const char *name, const char *expected,
                      const struct json_value *v)
{
    const char *lit = json_type_name(v->type);
    size_t n = strlen(lit);

    if (v->type == JSON_STRING || v->type == JSON_NUMBER) {
        lit = v->u.str.p;
        n = v->u.str.n;
    } else if (v->type == JSON_BOOL) {
        lit = v->u.b ? "true" : "false";
        n = strlen(lit);
    }
    return cmp_error_set(d->err, CMP_EBADBODY,
                         "Cannot convert the literal '%.*s' to the expected type '%s' for "
                         "property '%s'.",
                         shown(lit, n), lit, expected, name);
}

static int null_value(struct dec *d, const char *name, const char *type)
{
    return cmp_error_set(d->err, CMP_EBADBODY,
                         "A null value was found for the property named '%s', which has the "
                         "expected type '%s[Nullable=False]'. The expected type "
                         "'%s[Nullable=False]' does not allow null values.",
                         name, type, type);
}

/* A type annotation that names a type other than `expected` (which the value must be). */
static int not_assignable(struct dec *d, const struct json_value *t, const char *expected)
{
    return cmp_error_set(d->err, CMP_EBADBODY,
                         "A resource with type '%.*s' was found, but it is not assignable to the "
                         "expected type '%s'. The type specified in the resource must be equal to "
                         "either the expected type or a derived type.",
                         shown(t->u.str.p, t->u.str.n), t->u.str.p, expected);
}

/* ---- values ---- */

/* Does `s` (n bytes) name the qualified type `qualified`, with or without the leading '#'? */
static bool names_type(const char *s, size_t n, const char *qualified)
{
    if (n && s[0] == '#') {
        s++;
        n--;
    }
    return str_eq(s, n, qualified);
}

/* Check an "@odata.type" annotation that must name `expected`. */
static int check_type(struct dec *d, const struct json_value *t, const char *expected)
{
    if (t->type != JSON_STRING)
        return wrong_type(d, "@odata.type", "Edm.String", t);
    if (!names_type(t->u.str.p, t->u.str.n, expected))
        return not_assignable(d, t, expected);
    return 0;
}

static bool is_annotation(const struct json_member *m)
{
    return memchr(m->key, '@', m->key_len) != NULL;
}

/*
 * Decode a scalar into `dst`: a const char * for EDM_STRING and EDM_DATETIMEOFFSET (then the
 * instant goes to *ticks), a bool for EDM_BOOLEAN, an int (member index) for EDM_ENUM.
 */
static int decode_scalar(struct dec *d, const struct field *f, const struct json_value *v,
                         void *dst, int64_t *ticks)
{
    enum json_type want = f->type == EDM_BOOLEAN ? JSON_BOOL : JSON_STRING;
    int i;

    if (v->type == JSON_NULL) {
        if (f->nonnull || f->type != EDM_STRING)
            return null_value(d, f->name, edm_name(f));
        *(const char **)dst = NULL;
        return 0;
    }
    if (v->type != want)
        return wrong_type(d, f->name, edm_name(f), v);
    switch (f->type) {
    case EDM_BOOLEAN:
        *(bool *)dst = v->u.b;
        return 0;
    case EDM_ENUM:
        i = graph_enum_find(f->enums, v->u.str.p, v->u.str.n);
        if (i < 0)
            return cmp_error_set(d->err, CMP_EBADBODY,
                                 "The value '%.*s' is not a valid member of the enum type '%s' "
                                 "for property '%s'.",
                                 shown(v->u.str.p, v->u.str.n), v->u.str.p, f->enums->name,
                                 f->name);
        *(int *)dst = i;
        return 0;
    case EDM_DATETIMEOFFSET:
        if (time_parse_datetimeoffset(v->u.str.p, v->u.str.n, ticks))
            return cmp_error_set(d->err, CMP_EBADBODY,
                                 "The value '%.*s' of property '%s' is not a valid "
                                 "Edm.DateTimeOffset: use ISO 8601 with a time zone offset, e.g. "
                                 "2026-11-01T08:15:00Z.",
                                 shown(v->u.str.p, v->u.str.n), v->u.str.p, f->name);
        *(const char **)dst = v->u.str.p;
        return 0;
    case EDM_STRING:
        if (v->u.str.n > GRAPH_MAX_STRING)
            return cmp_error_set(d->err, CMP_EBADBODY,
                                 "The value of property '%s' is %zu bytes long; at most %d bytes "
                                 "are allowed.",
                                 f->name, v->u.str.n, GRAPH_MAX_STRING);
        *(const char **)dst = v->u.str.p; /* the parse tree lives in the caller's arena */
        return 0;
    case EDM_ASSIGNMENTS:
        break;
    }
    return cmp_error_set(d->err, CMP_EINTERNAL, NULL);
}

/* ---- assignments ---- */

static int target_member(struct dec *d, const struct json_member *m, struct graph_assignment *out)
{
    const struct graph_target_type *t = &graph_target_types[out->kind];
    char type[96];
    size_t i;

    if (t->id_prop && str_eq(m->key, m->key_len, t->id_prop)) {
        const struct field f = {t->id_prop, EDM_STRING, false, NULL};
        return decode_scalar(d, &f, m->value, &out->target_id, NULL);
    }
    for (i = 0; i < sizeof target_props / sizeof *target_props; i++) {
        const struct target_prop *p = &target_props[i];
        if ((p->versions & (unsigned)d->v) && str_eq(m->key, m->key_len, p->f.name))
            return decode_scalar(d, &p->f, m->value, (char *)out + p->offset, NULL);
    }
    snprintf(type, sizeof type, GRAPH_NS "%s", t->name);
    return unknown_prop(d, type, m->key, m->key_len);
}

static int decode_target(struct dec *d, const struct json_value *v, struct graph_assignment *out)
{
    const struct json_value *t;
    size_t i;
    int kind;
    int rc;

    if (v->type == JSON_NULL)
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "A null value was found for the property named 'target'. Every "
                             "assignment needs a target object whose '@odata.type' names a type "
                             "derived from '" TARGET_BASE_TYPE "'.");
    if (v->type != JSON_OBJECT)
        return wrong_type(d, "target", TARGET_BASE_TYPE, v);
    t = json_get(v, "@odata.type");
    if (!t)
        return cmp_error_set(
            d->err, CMP_EBADBODY,
            "The property 'target' has no '@odata.type': its declared type '" TARGET_BASE_TYPE
            "' is abstract, so the value must name a derived "
            "type, e.g. '#microsoft.graph.groupAssignmentTarget'.");
    if (t->type != JSON_STRING)
        return wrong_type(d, "@odata.type", "Edm.String", t);
    if (names_type(t->u.str.p, t->u.str.n, TARGET_BASE_TYPE))
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "Cannot create an instance of the abstract type '" TARGET_BASE_TYPE
                             "' for property 'target'.");
    kind = graph_target_find(t->u.str.p, t->u.str.n);
    if (kind < 0)
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "The type '%.*s' given for property 'target' is not a type derived "
                             "from '" TARGET_BASE_TYPE "'.",
                             shown(t->u.str.p, t->u.str.n), t->u.str.p);
    memset(out, 0, sizeof *out);
    out->kind = (enum graph_target_kind)kind;
    for (i = 0; i < v->u.obj.n; i++) {
        const struct json_member *m = &v->u.obj.items[i];
        if (is_annotation(m))
            continue; /* @odata.type was read above; other annotations are ignored */
        rc = target_member(d, m, out);
        if (rc)
            return rc;
    }
    return 0;
}

static int decode_assignment(struct dec *d, const char *prop, const struct json_value *v,
                             struct graph_assignment *out)
{
    bool have_target = false;
    size_t i;
    int rc;

    if (v->type == JSON_NULL)
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "A null value was found in the collection property '%s'; its "
                             "elements must be " GRAPH_ASSIGNMENT_TYPE " objects.",
                             prop);
    if (v->type != JSON_OBJECT)
        return wrong_type(d, prop, GRAPH_ASSIGNMENT_TYPE, v);
    for (i = 0; i < v->u.obj.n; i++) {
        const struct json_member *m = &v->u.obj.items[i];
        if (str_eq(m->key, m->key_len, "@odata.type"))
            rc = check_type(d, m->value, GRAPH_ASSIGNMENT_TYPE);
        else if (is_annotation(m))
            rc = 0;
        else if (str_eq(m->key, m->key_len, "target"))
            rc = decode_target(d, m->value, out);
        else
            rc = unknown_prop(d, GRAPH_ASSIGNMENT_TYPE, m->key, m->key_len);
        if (rc)
            return rc;
        have_target |= str_eq(m->key, m->key_len, "target");
    }
    if (!have_target)
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "An element of the collection property '%s' has no property "
                             "'target'; every assignment needs one.",
                             prop);
    return 0;
}

static int decode_assignments(struct dec *d, const char *prop, const struct json_value *v,
                              struct graph_assignments *out)
{
    struct graph_assignment *items = NULL;
    size_t i;

    if (v->type == JSON_NULL)
        return null_value(d, prop, ASSIGNMENTS_TYPE);
    if (v->type != JSON_ARRAY)
        return wrong_type(d, prop, ASSIGNMENTS_TYPE, v);
    if (v->u.arr.n > GRAPH_MAX_ASSIGNMENTS)
        return cmp_error_set(d->err, CMP_EBADBODY,
                             "The collection property '%s' has %zu elements; at most %d are "
                             "allowed.",
                             prop, v->u.arr.n, GRAPH_MAX_ASSIGNMENTS);
    if (v->u.arr.n) {
        items = arena_calloc(d->a, v->u.arr.n, sizeof *items);
        if (!items)
            return cmp_error_set(d->err, CMP_ENOMEM, NULL);
    }
    for (i = 0; i < v->u.arr.n; i++) {
        int rc = decode_assignment(d, prop, v->u.arr.items[i], &items[i]);
        if (rc)
            return rc;
    }
    out->items = items;
    out->n = v->u.arr.n;
    return 0;
}

/* ---- the entity ---- */

/*
 * `id`: type-checked in both modes; CREATE ignores it (the server assigns ids).  PATCH keeps it
 * for the caller to compare with the URL; one too long for out->id is kept as "" (an id no URL
 * has), so the caller still answers the mismatch.
 */
static int decode_key(struct dec *d, const struct field *f, const struct json_value *v,
                      enum graph_decode_mode mode, struct graph_partner *out)
{
    const char *id = NULL;
    size_t n;
    int rc = decode_scalar(d, f, v, &id, NULL);

    if (rc || mode == GRAPH_DECODE_CREATE)
        return rc;
    n = strlen(id);
    if (n >= sizeof out->id)
        n = 0;
    memcpy(out->id, id, n);
    out->id[n] = '\0';
    out->present |= GRAPH_PROP_BIT(GRAPH_P_ID);
    return 0;
}

static int decode_prop(struct dec *d, const struct graph_prop *p, const struct json_value *v,
                       enum graph_decode_mode mode, struct graph_partner *out)
{
    const struct field f = {p->name, p->type, (p->flags & PROP_NONNULL) != 0, p->enums};
    void *dst = (char *)out + p->offset;
    int rc;

    if (p->flags & PROP_KEY)
        return decode_key(d, &f, v, mode, out);
    if (p->type == EDM_ASSIGNMENTS)
        rc = decode_assignments(d, p->name, v, dst);
    else
        rc = decode_scalar(d, &f, v, dst, &out->last_heartbeat_ticks);
    if (!rc)
        out->present |= GRAPH_PROP_BIT(p->id);
    return rc;
}

static int decode_partner(struct dec *d, const struct json_value *root, enum graph_decode_mode mode,
                          struct graph_partner *out)
{
    const struct graph_prop *p;
    size_t i;
    int rc;

    if (root->type != JSON_OBJECT)
        return cmp_error_set(d->err, CMP_EBADBODY, "The request body must be a JSON object.");
    for (i = 0; i < root->u.obj.n; i++) {
        const struct json_member *m = &root->u.obj.items[i];
        if (str_eq(m->key, m->key_len, "@odata.type")) {
            rc = check_type(d, m->value, GRAPH_PARTNER_TYPE);
        } else if (is_annotation(m)) {
            rc = 0; /* instance and property annotations are ignored */
        } else {
            p = graph_prop_find(m->key, m->key_len, d->v);
            if (!p)
                return unknown_prop(d, GRAPH_PARTNER_TYPE, m->key, m->key_len);
            rc = decode_prop(d, p, m->value, mode, out);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int graph_partner_from_json(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                            const char *body, size_t n, struct graph_partner *out,
                            struct cmp_error *err)
{
    struct dec d = {a, v, err};
    struct json_value *root;
    int rc;

    rc = json_parse(a, body, n, CMP_EBADBODY, &root, err);
    if (rc)
        return rc;
    graph_partner_defaults(out);
    return decode_partner(&d, root, mode, out);
}

int graph_partner_from_value(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                             const struct json_value *root, struct graph_partner *out,
                             struct cmp_error *err)
{
    struct dec d = {a, v, err};

    graph_partner_defaults(out);
    return decode_partner(&d, root, mode, out);
}

int graph_assignments_from_json(struct arena *a, enum graph_version v, const char *prop_name,
                                const struct json_value *arr, struct graph_assignments *out,
                                struct cmp_error *err)
{
    struct dec d = {a, v, err};

    if (!prop_name)
        prop_name = "assignments";
    if (!arr)
        return cmp_error_set(err, CMP_EBADBODY, "The collection property '%s' is missing.",
                             prop_name);
    return decode_assignments(&d, prop_name, arr, out);
}

/*
 * What the store reads back was written by cmpd itself, so a failure here is a damaged row, not
 * a bad request: the detail is logged and the caller gets CMP_ESTORE.
 */
int graph_assignments_parse(struct arena *a, const char *text, size_t n,
                            struct graph_assignments *out, struct cmp_error *err)
{
    struct cmp_error local = {0};
    struct json_value *root;
    int rc;

    rc = json_parse(a, text, n, CMP_ESTORE, &root, &local);
    if (!rc)
        rc = graph_assignments_from_json(a, GRAPH_BETA, NULL, root, out, &local);
    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    if (rc) {
        log_warn("stored assignments are unreadable: %s", cmp_error_message(&local));
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    return 0;
}

/* ---- fuzzing ---- */

/*
 * Abort unless `p` (decoded in version `v`, mode `mode`) survives encode -> decode -> encode
 * unchanged when written in either version (what cmpd writes it reads back), and so does each of
 * its assignment lists through graph_assignments_write/parse.
 */
static void check_round_trip(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                             const struct graph_partner *p)
{
    static const enum graph_version versions[] = {GRAPH_V1, GRAPH_BETA};
    const struct graph_assignments *lists[] = {&p->mac_os_assignments, &p->android_assignments,
                                               &p->ios_assignments, &p->linux_assignments};
    struct graph_partner again;
    struct graph_assignments l;
    struct cmp_error err = {0};
    struct buf one;
    struct buf two;
    size_t i;

    buf_init(&one, SIZE_MAX / 2);
    buf_init(&two, SIZE_MAX / 2);
    for (i = 0; i < sizeof versions / sizeof *versions; i++) {
        buf_reset(&one);
        buf_reset(&two);
        if (graph_partner_write(&one, p, versions[i], GRAPH_ALL_PROPS, NULL) ||
            graph_partner_from_json(a, versions[i], mode, one.data, one.len, &again, &err) ||
            graph_partner_write(&two, &again, versions[i], GRAPH_ALL_PROPS, NULL) ||
            one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
            log_error("round trip (decoded as %d, written as %d): %s\n%.*s\n%.*s", v, versions[i],
                      cmp_error_message(&err), (int)one.len, one.data, (int)two.len, two.data);
            abort();
        }
    }
    for (i = 0; i < sizeof lists / sizeof *lists; i++) {
        buf_reset(&one);
        buf_reset(&two);
        if (graph_assignments_write(&one, lists[i], GRAPH_BETA) ||
            graph_assignments_parse(a, one.data, one.len, &l, &err) ||
            graph_assignments_write(&two, &l, GRAPH_BETA) || one.len != two.len ||
            memcmp(one.data, two.data, one.len) != 0)
            abort();
    }
    buf_fini(&one);
    buf_fini(&two);
}

int graph_json_in_fuzz(const unsigned char *data, size_t size)
{
    static const enum graph_version versions[] = {GRAPH_V1, GRAPH_BETA};
    static const enum graph_decode_mode modes[] = {GRAPH_DECODE_CREATE, GRAPH_DECODE_PATCH};
    struct graph_partner p;
    size_t i;
    size_t k;

    for (i = 0; i < sizeof versions / sizeof *versions; i++) {
        for (k = 0; k < sizeof modes / sizeof *modes; k++) {
            struct arena *a = arena_new(0);
            struct cmp_error err = {0};
            if (!a)
                return 0;
            if (!graph_partner_from_json(a, versions[i], modes[k], (const char *)data, size, &p,
                                         &err))
                check_round_trip(a, versions[i], modes[k], &p);
            arena_free(a);
        }
    }
    return 0;
}
