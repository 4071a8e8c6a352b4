/*
 * odata/options.c - the query string of a GET into struct odata_query (graph-conventions.md 5).
 *
 * The string is split on '&' and each part at its first '='; name and value are percent-decoded
 * (RFC 3986) with '+' read as a space, as ASP.NET does for query strings, so a literal '+' must
 * be sent as %2B.  Names are case-insensitive.  On beta the '$' is optional; on v1.0 a name
 * without it is a custom parameter and is ignored, as are unknown names without '$' on beta.
 * An unknown name with '$' is refused.  Empty parts ("a&&b") are skipped.  Every failure is
 * CMP_EBADQUERY with a message that ends in '.'; *out is written only on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "odata/filter_impl.h"
#include "odata/odata.h"

enum opt {
    OPT_FILTER,
    OPT_SELECT,
    OPT_ORDERBY,
    OPT_TOP,
    OPT_SKIP,
    OPT_COUNT,
    OPT_SKIPTOKEN,
    OPT_FORMAT,
    OPT_SEARCH,
    OPT_EXPAND,
    OPT_N
};

#define FOR(t) (1u << (t))
#define ALL_TARGETS (FOR(ODATA_FOR_LIST) | FOR(ODATA_FOR_ITEM) | FOR(ODATA_FOR_COUNT))

static const struct {
    const char *name; /* as written in messages */
    unsigned targets; /* where the option may appear */
} opts[OPT_N] = {
    [OPT_FILTER] = {"$filter", FOR(ODATA_FOR_LIST) | FOR(ODATA_FOR_COUNT)},
    [OPT_SELECT] = {"$select", FOR(ODATA_FOR_LIST) | FOR(ODATA_FOR_ITEM)},
    [OPT_ORDERBY] = {"$orderby", FOR(ODATA_FOR_LIST)},
    [OPT_TOP] = {"$top", FOR(ODATA_FOR_LIST)},
    [OPT_SKIP] = {"$skip", FOR(ODATA_FOR_LIST)},
    [OPT_COUNT] = {"$count", FOR(ODATA_FOR_LIST)},
    [OPT_SKIPTOKEN] = {"$skiptoken", FOR(ODATA_FOR_LIST)},
    [OPT_FORMAT] = {"$format", ALL_TARGETS},
    [OPT_SEARCH] = {"$search", ALL_TARGETS},
    [OPT_EXPAND] = {"$expand", ALL_TARGETS},
};

#define SELECT_EXPAND_FAILED "Parsing OData Select and Expand failed: "

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* Percent-decode `s` with '+' as a space into an arena string. */
static int decode(struct arena *a, const char *s, size_t n, char **out, size_t *out_len,
                  struct cmp_error *err)
{
    char q[ODATA__QUOTE_MAX + 4];
    char *plus = arena_alloc(a, n + 1);
    size_t i;

    if (!plus)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (i = 0; i < n; i++)
        plus[i] = s[i] == '+' ? ' ' : s[i];
    if (str_percent_decode(a, plus, n, out, out_len))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query string is malformed: '%s' is not correctly "
                             "percent-encoded.",
                             str_is_utf8(s, n) ? odata__lex_quote(q, s, n) : "(binary)");
    if (!str_is_utf8(*out, *out_len))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query string is malformed: a parameter is not UTF-8 text.");
    return 0;
}

/* ---- $select, $orderby, $expand ---- */

static int unknown_property(struct cmp_error *err, const char *prefix, const char *s, size_t n)
{
    char q[ODATA__QUOTE_MAX + 4];

    return cmp_error_set(err, CMP_EBADQUERY,
                         "%sCould not find a property named '%s' on type '" GRAPH_PARTNER_TYPE "'.",
                         prefix, odata__lex_quote(q, s, n));
}

/* The next comma-separated item of s[*i..n), trimmed, into *item and *item_len. */
static void next_item(const char *s, size_t n, size_t *i, const char **item, size_t *item_len)
{
    const char *comma = memchr(s + *i, ',', n - *i);
    size_t end = comma ? (size_t)(comma - s) : n;

    *item = s + *i;
    *item_len = end - *i;
    trim(item, item_len);
    *i = end + 1;
}

static int parse_select(struct arena *a, enum graph_version v, const char *s, size_t n,
                        struct odata_query *q, struct cmp_error *err)
{
    char *text = arena_alloc(a, n + 1);
    size_t len = 0;
    size_t i = 0;

    if (!text)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    q->select = GRAPH_PROP_BIT(GRAPH_P_ID);
    while (i <= n) {
        const struct graph_prop *p;
        const char *item;
        size_t item_len;
        next_item(s, n, &i, &item, &item_len);
        if (!item_len)
            return cmp_error_set(err, CMP_EBADQUERY,
                                 SELECT_EXPAND_FAILED "$select has an empty item.");
        if (str_eq(item, item_len, "*")) {
            q->select = GRAPH_ALL_PROPS;
        } else {
            p = graph_prop_find(item, item_len, v);
            if (!p)
                return unknown_property(err, SELECT_EXPAND_FAILED, item, item_len);
            q->select |= GRAPH_PROP_BIT(p->id);
        }
        if (len)
            text[len++] = ',';
        memcpy(text + len, item, item_len);
        len += item_len;
    }
    text[len] = '\0';
    q->select_text = text;
    return 0;
}

/* One "prop [asc|desc]" of $orderby. */
static int orderby_item(enum graph_version v, const char *item, size_t n, struct odata_query *q,
                        struct cmp_error *err)
{
    char q1[ODATA__QUOTE_MAX + 4];
    char q2[ODATA__QUOTE_MAX + 4];
    const struct graph_prop *p;
    const char *dir;
    size_t name_len = 0;
    size_t dir_len;
    size_t k;

    while (name_len < n && !is_space(item[name_len]))
        name_len++;
    dir = item + name_len;
    dir_len = n - name_len;
    trim(&dir, &dir_len);
    if (dir_len && !str_eq_ci(dir, dir_len, "asc") && !str_eq_ci(dir, dir_len, "desc"))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "Invalid $orderby: expected 'asc' or 'desc' after '%s' but found "
                             "'%s'.",
                             odata__lex_quote(q1, item, name_len),
                             odata__lex_quote(q2, dir, dir_len));
    p = graph_prop_find(item, name_len, v);
    if (!p)
        return unknown_property(err, "", item, name_len);
    if (!(p->flags & PROP_ORDERBY))
        return cmp_error_set(err, CMP_EBADQUERY, "The property '%s' cannot be used in $orderby.",
                             p->name);
    for (k = 0; k < q->orderby_count; k++)
        if (q->orderby[k].prop == p)
            return cmp_error_set(err, CMP_EBADQUERY,
                                 "The property '%s' appears more than once in $orderby.", p->name);
    if (q->orderby_count == ODATA_MAX_ORDERBY)
        return cmp_error_set(err, CMP_EBADQUERY, "$orderby takes at most %d properties.",
                             ODATA_MAX_ORDERBY);
    q->orderby[q->orderby_count].prop = p;
    q->orderby[q->orderby_count].desc = dir_len && str_eq_ci(dir, dir_len, "desc");
    q->orderby_count++;
    return 0;
}

static int parse_orderby(enum graph_version v, const char *s, size_t n, struct odata_query *q,
                         struct cmp_error *err)
{
    size_t i = 0;
    int rc = 0;

    while (!rc && i <= n) {
        const char *item;
        size_t item_len;
        next_item(s, n, &i, &item, &item_len);
        if (!item_len)
            return cmp_error_set(err, CMP_EBADQUERY, "Invalid $orderby: an empty item.");
        rc = orderby_item(v, item, item_len, q, err);
    }
    if (!rc)
        q->orderby_text = s;
    return rc;
}

/* There is nothing to expand: say why for the first name. */
static int refuse_expand(enum graph_version v, const char *s, size_t n, struct cmp_error *err)
{
    size_t k = strcspn(s, ",(/;$ \t");

    if (k > n)
        k = n;
    if (str_eq(s, k, "*") || k == 0)
        return cmp_error_set(err, CMP_EBADQUERY,
                             SELECT_EXPAND_FAILED "The type '" GRAPH_PARTNER_TYPE
                                                  "' has no navigation properties to expand.");
    if (!graph_prop_find(s, k, v))
        return unknown_property(err, SELECT_EXPAND_FAILED, s, k);
    return cmp_error_set(err, CMP_EBADQUERY,
                         SELECT_EXPAND_FAILED "Property '%.*s' on type '" GRAPH_PARTNER_TYPE
                                              "' is not a navigation property. Only navigation "
                                              "properties can be expanded.",
                         (int)k, s);
}

/* ---- scalars ---- */

static int parse_int(const char *name, const char *s, size_t n, int64_t *out, struct cmp_error *err)
{
    char q[ODATA__QUOTE_MAX + 4];

    if (s[0] == '-' || str_to_int64(s, n, 0, INT64_MAX, out))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "Invalid value '%s' for %s query option found. The %s query option "
                             "requires a non-negative integer value.",
                             odata__lex_quote(q, s, n), name, name);
    return 0;
}

static int parse_count(const char *s, size_t n, bool *out, struct cmp_error *err)
{
    char q[ODATA__QUOTE_MAX + 4];

    if (str_eq(s, n, "true") || str_eq(s, n, "false")) {
        *out = s[0] == 't';
        return 0;
    }
    return cmp_error_set(err, CMP_EBADQUERY,
                         "Invalid value '%s' for $count query option found. Valid values are "
                         "'true' and 'false'.",
                         odata__lex_quote(q, s, n));
}

static int check_format(const char *s, size_t n, struct cmp_error *err)
{
    static const char mime[] = "application/json";
    char q[ODATA__QUOTE_MAX + 4];
    size_t m = sizeof mime - 1;

    if (str_eq_ci(s, n, "json") || str_eq_ci(s, n, mime) ||
        (n > m && str_eq_ci(s, m, mime) && s[m] == ';'))
        return 0;
    return cmp_error_set(err, CMP_EBADQUERY,
                         "The $format value '%s' is not supported; only 'json' is.",
                         odata__lex_quote(q, s, n));
}

/* ---- the options ---- */

/* Which system query option `name` is: 0 and *out, 1 for a custom parameter, or an error. */
static int classify(enum graph_version v, const char *name, size_t n, enum opt *out,
                    struct cmp_error *err)
{
    char q[ODATA__QUOTE_MAX + 4];
    bool dollar = n && name[0] == '$';
    int i;

    if (!dollar && v == GRAPH_V1)
        return 1;
    for (i = 0; i < OPT_N; i++) {
        if (str_eq_ci(name + dollar, n - dollar, opts[i].name + 1)) {
            *out = (enum opt)i;
            return 0;
        }
    }
    if (!dollar)
        return 1;
    return cmp_error_set(err, CMP_EBADQUERY, "The query parameter '%s' is not supported.",
                         odata__lex_quote(q, name, n));
}

/* Refuse option `o` where it does not belong. */
static int check_target(enum opt o, enum odata_target target, struct cmp_error *err)
{
    if (o == OPT_SEARCH)
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query option '$search' is not supported on this resource.");
    if (opts[o].targets & FOR(target))
        return 0;
    if (target == ODATA_FOR_ITEM && o != OPT_SKIPTOKEN)
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query option '%s' cannot be applied: the requested resource is "
                             "not a collection. Query options $filter, $orderby, $count, $skip, "
                             "and $top can be applied only on collections.",
                             opts[o].name);
    if (target == ODATA_FOR_COUNT)
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query option '%s' cannot be used with /$count.", opts[o].name);
    return cmp_error_set(err, CMP_EBADQUERY,
                         "The query option '%s' is not supported on this resource.", opts[o].name);
}

static int apply(struct arena *a, enum graph_version v, enum opt o, const char *s, size_t n,
                 struct odata_query *q, struct cmp_error *err)
{
    switch (o) {
    case OPT_FILTER:
        q->filter_text = s;
        return odata_filter_parse(a, v, s, n, &q->filter, err);
    case OPT_SELECT:
        return parse_select(a, v, s, n, q, err);
    case OPT_ORDERBY:
        return parse_orderby(v, s, n, q, err);
    case OPT_TOP:
        return parse_int("$top", s, n, &q->top, err);
    case OPT_SKIP:
        return parse_int("$skip", s, n, &q->skip, err);
    case OPT_COUNT:
        return parse_count(s, n, &q->count, err);
    case OPT_SKIPTOKEN:
        q->skiptoken = s;
        return 0;
    case OPT_FORMAT:
        return check_format(s, n, err);
    case OPT_EXPAND:
        return refuse_expand(v, s, n, err);
    case OPT_SEARCH:
    case OPT_N:
        break;
    }
    return cmp_error_set(err, CMP_EINTERNAL, NULL);
}

/* One "name=value" part; *seen collects the options met so far. */
static int parse_part(struct arena *a, enum graph_version v, enum odata_target target,
                      const char *part, size_t n, unsigned *seen, struct odata_query *q,
                      struct cmp_error *err)
{
    const char *eq = memchr(part, '=', n);
    size_t name_raw = eq ? (size_t)(eq - part) : n;
    char *name;
    char *value;
    size_t name_len;
    size_t value_len;
    enum opt o = (enum opt)0;
    int rc;

    rc = decode(a, part, name_raw, &name, &name_len, err);
    if (!rc)
        rc = classify(v, name, name_len, &o, err);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (*seen & (1u << o))
        return cmp_error_set(err, CMP_EBADQUERY,
                             "The query option '%s' is specified more than once.", opts[o].name);
    *seen |= 1u << o;
    rc = check_target(o, target, err);
    if (!rc)
        rc = decode(a, eq ? eq + 1 : part + n, eq ? n - name_raw - 1 : 0, &value, &value_len, err);
    if (!rc && !value_len)
        rc = cmp_error_set(err, CMP_EBADQUERY, "The query option '%s' has no value.", opts[o].name);
    return rc ? rc : apply(a, v, o, value, value_len, q, err);
}

int odata_query_parse(struct arena *a, enum graph_version v, enum odata_target target,
                      const char *qs, size_t len, struct odata_query *out, struct cmp_error *err)
{
    struct odata_query q;
    unsigned seen = 0;
    size_t i = 0;
    int rc = 0;

    memset(&q, 0, sizeof q);
    q.select = GRAPH_ALL_PROPS;
    q.top = -1;
    while (!rc && i < len) {
        const char *amp = memchr(qs + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - qs) : len;
        if (end > i)
            rc = parse_part(a, v, target, qs + i, end - i, &seen, &q, err);
        i = end + 1;
    }
    if (!rc)
        *out = q;
    return rc;
}

/* ---- fuzzing ---- */

/* What odata_query_parse promises on success; NULL, or the first violation. */
static const char *query_check(const struct odata_query *q, enum graph_version v)
{
    size_t i;
    size_t k;

    if (!(q->select & GRAPH_PROP_BIT(GRAPH_P_ID)) || (q->select & ~(uint32_t)GRAPH_ALL_PROPS))
        return "a $select mask without id or with unknown bits";
    if (q->top < -1 || q->skip < 0 || q->orderby_count > ODATA_MAX_ORDERBY)
        return "$top, $skip or $orderby out of range";
    if (!q->filter != !q->filter_text || (q->select_text && q->select == 0))
        return "a text without its parsed option";
    for (i = 0; i < q->orderby_count; i++) {
        const struct graph_prop *p = q->orderby[i].prop;
        if (!p || !(p->flags & PROP_ORDERBY) || !(p->versions & (unsigned)v))
            return "an $orderby property that cannot be ordered by";
        for (k = 0; k < i; k++)
            if (q->orderby[k].prop == p)
                return "an $orderby property twice";
    }
    return q->filter ? odata__expr_check(q->filter, v) : NULL;
}

int odata_query_fuzz(const unsigned char *data, size_t size)
{
    static const enum graph_version versions[] = {GRAPH_V1, GRAPH_BETA};
    static const enum odata_target targets[] = {ODATA_FOR_LIST, ODATA_FOR_ITEM, ODATA_FOR_COUNT};
    size_t i;
    size_t t;

    for (i = 0; i < 2; i++) {
        for (t = 0; t < 3; t++) {
            struct arena *a = arena_new(0);
            struct odata_query q;
            struct cmp_error err = {0};
            const char *bad = NULL;
            if (!a)
                return 0;
            if (!odata_query_parse(a, versions[i], targets[t], (const char *)data, size, &q, &err))
                bad = query_check(&q, versions[i]);
            else if (!odata__error_sound(&err, ""))
                bad = err.msg[0] ? err.msg : "an error without a message";
            if (bad) {
                fprintf(stderr, "odata_query_fuzz: %s\n", bad);
                abort();
            }
            arena_free(a);
        }
    }
    return 0;
}
