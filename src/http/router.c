/*
 * http/router.c - the route table and the path parser in front of it.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

/* clang-format off */
static const struct route routes[] = {
    /* method    target            handler           permission       body   produces            envelope */
    {"GET",      ROUTE_COLLECTION, partners_list,    AUTH_PERM_READ,  false, "application/json", false},
    {"POST",     ROUTE_COLLECTION, partners_create,  AUTH_PERM_WRITE, true,  "application/json", false},
    {"GET",      ROUTE_ITEM,       partners_get,     AUTH_PERM_READ,  false, "application/json", false},
    {"PATCH",    ROUTE_ITEM,       partners_update,  AUTH_PERM_WRITE, true,  "application/json", false},
    {"DELETE",   ROUTE_ITEM,       partners_delete,  AUTH_PERM_WRITE, false, "application/json", false},
    {"GET",      ROUTE_COUNT,      partners_count,   AUTH_PERM_READ,  false, "text/plain", false},
    {"GET",      ROUTE_METADATA,   service_metadata, AUTH_PERM_NONE,  false, "application/xml", false},
    {"GET",      ROUTE_SERVICE,    service_document, AUTH_PERM_NONE,  false, "application/json", false},
    {"POST",     ROUTE_BATCH,      batch_post,       AUTH_PERM_NONE,  true,  "application/json", true},
};
/* clang-format on */

#define MAX_SEGMENTS 8
#define ENTITY_SET "complianceManagementPartners"

struct segments {
    struct str seg[MAX_SEGMENTS];
    size_t n;
};

/* Split the decoded path on '/', skipping empty segments (a trailing slash is harmless). */
static int split(const char *p, size_t n, struct segments *out)
{
    size_t i = 0;

    out->n = 0;
    while (i < n) {
        size_t start;
        while (i < n && p[i] == '/')
            i++;
        start = i;
        while (i < n && p[i] != '/')
            i++;
        if (i == start)
            break;
        if (out->n == MAX_SEGMENTS)
            return -1;
        out->seg[out->n].p = p + start;
        out->seg[out->n].n = i - start;
        out->n++;
    }
    return 0;
}

static int show_len(size_t n)
{
    return (int)(n > 128 ? 128 : n);
}

static int not_found_segment(struct cmp_error *err, struct str s)
{
    return cmp_error_set(err, CMP_ENOROUTE, "Resource not found for the segment '%.*s'.",
                         show_len(s.n), s.p);
}

/* The key of ('key'): a single-quoted string literal, '' standing for one quote. */
static int parse_paren_key(struct arena *a, struct str s, const char **out, struct cmp_error *err)
{
    char *k;
    size_t i;
    size_t o = 0;

    if (s.n < 4 || s.p[0] != '(' || s.p[1] != '\'' || s.p[s.n - 1] != ')' || s.p[s.n - 2] != '\'')
        return cmp_error_set(err, CMP_EBADKEY,
                             "The key in '%.*s' is not a valid string literal: write " ENTITY_SET
                             "('<id>').",
                             show_len(s.n), s.p);
    k = arena_alloc(a, s.n);
    if (!k)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (i = 2; i < s.n - 2; i++) {
        if (s.p[i] == '\'') {
            if (i + 1 >= s.n - 2 || s.p[i + 1] != '\'')
                return cmp_error_set(err, CMP_EBADKEY, "The key literal in '%.*s' is malformed.",
                                     show_len(s.n), s.p);
            i++;
        }
        k[o++] = s.p[i];
    }
    k[o] = '\0';
    *out = k;
    return 0;
}

static const char *lowered(struct arena *a, const char *s, size_t n)
{
    char *k = arena_alloc(a, n + 1);

    if (k)
        str_lower(k, s, n);
    return k;
}

static int match_path(struct arena *a, const struct segments *sg, struct route_match *m,
                      struct cmp_error *err)
{
    const char *key = NULL;
    size_t next = 3;
    struct str set;

    if (sg->n == 0)
        return cmp_error_set(err, CMP_EBADVERSION, "Invalid version: ");
    if (str_eq(sg->seg[0].p, sg->seg[0].n, "v1.0")) {
        m->version = GRAPH_V1;
        m->version_name = "v1.0";
    } else if (str_eq(sg->seg[0].p, sg->seg[0].n, "beta")) {
        m->version = GRAPH_BETA;
        m->version_name = "beta";
    } else {
        return cmp_error_set(err, CMP_EBADVERSION, "Invalid version: %.*s", show_len(sg->seg[0].n),
                             sg->seg[0].p);
    }
    if (sg->n == 1) {
        m->target = ROUTE_SERVICE;
        m->public_target = true;
        return 0;
    }
    if (sg->n == 2 && str_eq(sg->seg[1].p, sg->seg[1].n, "$metadata")) {
        m->target = ROUTE_METADATA;
        m->public_target = true;
        return 0;
    }
    if (sg->n == 2 && str_eq(sg->seg[1].p, sg->seg[1].n, "$batch")) {
        m->target = ROUTE_BATCH;
        return 0;
    }
    if (!str_eq(sg->seg[1].p, sg->seg[1].n, "deviceManagement"))
        return not_found_segment(err, sg->seg[1]);
    if (sg->n < 3)
        return cmp_error_set(err, CMP_ENOROUTE, NULL);
    set = sg->seg[2];
    if (str_has_prefix(set.p, set.n, ENTITY_SET "(")) {
        struct str paren = {set.p + strlen(ENTITY_SET), set.n - strlen(ENTITY_SET)};
        if (parse_paren_key(a, paren, &key, err))
            return err->code;
    } else if (!str_eq(set.p, set.n, ENTITY_SET)) {
        return not_found_segment(err, set);
    }
    m->target = ROUTE_COLLECTION;
    if (key) {
        m->target = ROUTE_ITEM;
    } else if (sg->n > 3) {
        struct str s = sg->seg[3];
        next = 4;
        if (str_eq(s.p, s.n, "$count")) {
            m->target = ROUTE_COUNT;
        } else {
            m->target = ROUTE_ITEM;
            key = arena_strndup(a, s.p, s.n);
        }
    }
    if (sg->n > next)
        return cmp_error_set(err, CMP_EBADSEGMENT, "Resource not found for the segment '%.*s'.",
                             show_len(sg->seg[next].n), sg->seg[next].p);
    if (m->target == ROUTE_ITEM) {
        /* Keys are lowercase GUIDs; a client may write them in upper case. */
        m->id = key ? lowered(a, key, strlen(key)) : NULL;
        if (!m->id)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    return 0;
}

int router_match(struct arena *a, const char *method, size_t method_len, const char *path,
                 size_t path_len, struct route_match *m, struct cmp_error *err)
{
    struct segments sg;
    char *decoded;
    size_t decoded_len;
    size_t i;
    int rc;

    memset(m, 0, sizeof *m);
    /* Segments and keys are text: bytes that are not UTF-8 name nothing any store could hold. */
    if (str_percent_decode(a, path, path_len, &decoded, &decoded_len) ||
        !str_is_utf8(decoded, decoded_len))
        return cmp_error_set(err, CMP_EBADREQUEST, "The request URL is not validly encoded.");
    if (split(decoded, decoded_len, &sg))
        return cmp_error_set(err, CMP_ENOROUTE, NULL);
    rc = match_path(a, &sg, m, err);
    if (rc)
        return rc;
    for (i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (routes[i].target == m->target && str_eq(method, method_len, routes[i].method)) {
            m->route = &routes[i];
            break;
        }
    }
    return 0;
}

const char *router_allowed(enum route_target target, char *out, size_t size)
{
    size_t used = 0;
    size_t i;

    out[0] = '\0';
    for (i = 0; i < sizeof routes / sizeof *routes; i++) {
        int n;
        if (routes[i].target != target)
            continue;
        n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", routes[i].method);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return out;
}
