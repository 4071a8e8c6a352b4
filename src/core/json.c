/*
 * core/json.c - yajl events -> arena tree, with the extra strictness yajl lacks.
 *
 * yajl rejects trailing garbage and comments by default and checks the shape of UTF-8 sequences,
 * but lets overlong forms, surrogates and code points past U+10FFFF through; strings and member
 * names are validated again here (str_is_utf8).  Duplicate keys, NUL bytes in strings, the depth
 * limit and the member limit are enforced in the callbacks too.
 */
#include "core/json.h"

#include <string.h>
#include <yajl/yajl_parse.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

/* A container being built: children are collected in a list and flattened when it closes. */
struct node_list {
    struct node_list *next;
    const char *key;
    size_t key_len;
    struct json_value *value;
};

struct frame {
    struct json_value *value;
    struct node_list *head;
    struct node_list *tail;
    size_t count;
    const char *pending_key; /* objects: the key waiting for its value */
    size_t pending_key_len;
};

struct ctx {
    struct arena *a;
    struct frame stack[JSON_MAX_DEPTH + 1];
    int depth; /* number of open containers */
    struct json_value *root;
    const char *problem; /* set by a callback that stops the parse */
    char detail[160];
};

static const char oom[] = "out of memory";

static int stop(struct ctx *c, const char *problem)
{
    c->problem = problem;
    return 0;
}

static int add(struct ctx *c, struct json_value *v)
{
    struct frame *f;
    struct node_list *item;

    if (!v)
        return stop(c, oom);
    if (c->depth == 0) {
        c->root = v;
        return 1;
    }
    f = &c->stack[c->depth - 1];
    if (f->count >= (f->value->type == JSON_OBJECT ? JSON_MAX_MEMBERS : SIZE_MAX))
        return stop(c, "too many members in one object");
    item = arena_alloc(c->a, sizeof *item);
    if (!item)
        return stop(c, oom);
    item->next = NULL;
    item->value = v;
    item->key = f->pending_key;
    item->key_len = f->pending_key_len;
    f->pending_key = NULL;
    if (f->tail)
        f->tail->next = item;
    else
        f->head = item;
    f->tail = item;
    f->count++;
    return 1;
}

static struct json_value *new_value(struct ctx *c, enum json_type t)
{
    struct json_value *v = arena_calloc(c->a, 1, sizeof *v);

    if (v)
        v->type = t;
    return v;
}

static int on_null(void *ud)
{
    struct ctx *c = ud;

    return add(c, new_value(c, JSON_NULL));
}

static int on_bool(void *ud, int b)
{
    struct ctx *c = ud;
    struct json_value *v = new_value(c, JSON_BOOL);

    if (v)
        v->u.b = b != 0;
    return add(c, v);
}

static int on_number(void *ud, const char *s, size_t n)
{
    struct ctx *c = ud;
    struct json_value *v = new_value(c, JSON_NUMBER);

    if (v) {
        v->u.str.p = arena_strndup(c->a, s, n);
        v->u.str.n = n;
        if (!v->u.str.p)
            return stop(c, oom);
    }
    return add(c, v);
}

static int on_string(void *ud, const unsigned char *s, size_t n)
{
    struct ctx *c = ud;
    struct json_value *v;

    if (memchr(s, '\0', n))
        return stop(c, "a string contains a NUL character");
    if (!str_is_utf8((const char *)s, n))
        return stop(c, "a string is not valid UTF-8");
    v = new_value(c, JSON_STRING);
    if (v) {
        v->u.str.p = arena_strndup(c->a, (const char *)s, n);
        v->u.str.n = n;
        if (!v->u.str.p)
            return stop(c, oom);
    }
    return add(c, v);
}

static int open_container(struct ctx *c, enum json_type t)
{
    struct json_value *v = new_value(c, t);
    struct frame *f;

    if (c->depth >= JSON_MAX_DEPTH)
        return stop(c, "nesting is too deep");
    if (!add(c, v))
        return 0;
    f = &c->stack[c->depth++];
    memset(f, 0, sizeof *f);
    f->value = v;
    return 1;
}

static int on_start_map(void *ud)
{
    return open_container(ud, JSON_OBJECT);
}

static int on_map_key(void *ud, const unsigned char *s, size_t n)
{
    struct ctx *c = ud;
    struct frame *f = &c->stack[c->depth - 1];
    struct node_list *it;

    if (memchr(s, '\0', n))
        return stop(c, "a member name contains a NUL character");
    if (!str_is_utf8((const char *)s, n))
        return stop(c, "a member name is not valid UTF-8");
    for (it = f->head; it; it = it->next) {
        if (it->key_len == n && memcmp(it->key, s, n) == 0) {
            size_t show = str_utf8_prefix((const char *)s, n, 64);

            memcpy(c->detail, s, show);
            c->detail[show] = '\0';
            return stop(c, "duplicate member name");
        }
    }
    f->pending_key = arena_strndup(c->a, (const char *)s, n);
    f->pending_key_len = n;
    if (!f->pending_key)
        return stop(c, oom);
    return 1;
}

static int close_container(struct ctx *c)
{
    struct frame *f = &c->stack[c->depth - 1];
    struct json_value *v = f->value;
    struct node_list *it;
    size_t i = 0;

    if (v->type == JSON_OBJECT) {
        v->u.obj.items = arena_alloc(c->a, (f->count ? f->count : 1) * sizeof *v->u.obj.items);
        if (!v->u.obj.items)
            return stop(c, oom);
        for (it = f->head; it; it = it->next, i++) {
            v->u.obj.items[i].key = it->key;
            v->u.obj.items[i].key_len = it->key_len;
            v->u.obj.items[i].value = it->value;
        }
        v->u.obj.n = f->count;
    } else {
        v->u.arr.items = arena_alloc(c->a, (f->count ? f->count : 1) * sizeof *v->u.arr.items);
        if (!v->u.arr.items)
            return stop(c, oom);
        for (it = f->head; it; it = it->next, i++)
            v->u.arr.items[i] = it->value;
        v->u.arr.n = f->count;
    }
    c->depth--;
    return 1;
}

static int on_start_array(void *ud)
{
    return open_container(ud, JSON_ARRAY);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = (int (*)(void *))close_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = (int (*)(void *))close_container,
};

static bool hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char ch = s[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (unsigned)((ch | 0x20) - 'a' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/*
 * yajl turns the \u escape of a lone UTF-16 surrogate into '?' without a word, so look for one
 * first.  A backslash occurs only inside strings in any text yajl accepts: no string tracking is
 * needed, and a malformed escape is left for yajl to refuse.
 */
static bool has_lone_surrogate(const char *p, size_t n)
{
    size_t i = 0;
    unsigned u;
    unsigned low;

    while (i < n) {
        const char *b = memchr(p + i, '\\', n - i);
        if (!b)
            return false;
        i = (size_t)(b - p) + 1;
        if (i < n && p[i] != 'u') {
            i++; /* a one-character escape, e.g. the second backslash of \\ */
            continue;
        }
        if (n - i < 5 || !hex4(p + i + 1, &u))
            return false;
        i += 5;
        if (u >= 0xdc00 && u <= 0xdfff)
            return true;
        if (u >= 0xd800 && u <= 0xdbff) {
            if (n - i < 6 || p[i] != '\\' || p[i + 1] != 'u' || !hex4(p + i + 2, &low) ||
                low < 0xdc00 || low > 0xdfff)
                return true;
            i += 6;
        }
    }
    return false;
}

int json_parse(struct arena *a, const char *p, size_t n, int code, struct json_value **out,
               struct cmp_error *err)
{
    /* The builder's state lives on the stack: a request that reads back many stored documents
     * (a page of partners) must not leave one parser context per document in its arena. */
    struct ctx state;
    struct ctx *c = &state;
    yajl_handle h;
    yajl_status st;
    size_t at;
    int rc = 0;

    memset(c, 0, sizeof *c);
    if (has_lone_surrogate(p, n))
        return cmp_error_set(err, code, "Invalid JSON: a string contains a lone UTF-16 surrogate.");
    c->a = a;
    h = yajl_alloc(&callbacks, NULL, c);
    if (!h)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    st = yajl_parse(h, (const unsigned char *)p, n);
    at = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        at = n;
    }
    if (st != yajl_status_ok) {
        if (c->problem == oom) {
            rc = cmp_error_set(err, CMP_ENOMEM, NULL);
        } else if (c->problem && c->detail[0]) {
            rc = cmp_error_set(err, code, "Invalid JSON: %s '%s' at offset %zu.", c->problem,
                               c->detail, at);
        } else if (c->problem) {
            rc = cmp_error_set(err, code, "Invalid JSON: %s at offset %zu.", c->problem, at);
        } else if (n == 0) {
            rc = cmp_error_set(err, code, "Invalid JSON: the body is empty.");
        } else {
            unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)p, n);
            size_t len = m ? strlen((const char *)m) : 0;
            /* yajl's own words ("lexical error: invalid char in json text") are safe to show,
             * without their trailing newline. */
            while (len && (m[len - 1] == '\n' || m[len - 1] == ' ' || m[len - 1] == '.'))
                m[--len] = '\0';
            rc = cmp_error_set(err, code, "Invalid JSON at offset %zu: %s.", at,
                               m ? (const char *)m : "syntax error");
            if (m)
                yajl_free_error(h, m);
        }
    } else if (!c->root) {
        rc = cmp_error_set(err, code, "Invalid JSON: the body is empty.");
    } else {
        *out = c->root;
    }
    yajl_free(h);
    return rc;
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
    size_t i;

    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (i = 0; i < v->u.obj.n; i++)
        if (strcmp(v->u.obj.items[i].key, key) == 0)
            return v->u.obj.items[i].value;
    return NULL;
}

const char *json_type_name(enum json_type t)
{
    switch (t) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return "boolean";
    case JSON_NUMBER:
        return "number";
    case JSON_STRING:
        return "string";
    case JSON_ARRAY:
        return "array";
    case JSON_OBJECT:
        return "object";
    }
    return "value";
}

int json_int64(const struct json_value *v, int64_t *out)
{
    if (!v || v->type != JSON_NUMBER)
        return CMP_EBADREQUEST;
    return str_to_int64(v->u.str.p, v->u.str.n, INT64_MIN, INT64_MAX, out);
}

/* ---- plain strings ---- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero when a byte of `x` is below `n` (n <= 128); exact as to whether any is. */
static uint64_t has_less(uint64_t x, uint64_t n)
{
    return (x - ONES * n) & ~x & HIGHS;
}

/* Nonzero when a byte of `x` is `c`; exact as to whether any is. */
static uint64_t has_byte(uint64_t x, uint64_t c)
{
    return has_less(x ^ (ONES * c), 1);
}

bool json_is_plain(const char *s, size_t n, bool *ascii)
{
    uint64_t special = 0;
    uint64_t high = 0;
    size_t i;

    for (i = 0; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        high |= x;
        special |= has_less(x, 0x20) | has_byte(x, '"') | has_byte(x, '\\');
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        high |= c;
        special |= c < 0x20 || c == '"' || c == '\\';
    }
    *ascii = (high & HIGHS) == 0;
    return special == 0;
}
