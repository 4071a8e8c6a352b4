/*
 * core/json.h - strict JSON parsing into a small arena tree, on yajl's event parser.
 *
 * Stricter than RFC 8259 allows parsers to be, as request bodies and tokens need: one value only
 * (no trailing data), UTF-8 validated, no duplicate member names, no NUL inside strings, a fixed
 * nesting limit and a limit on members per object.  Numbers keep their source text; members keep
 * their order.  Every node lives in the caller's arena.
 */
#ifndef CMP_CORE_JSON_H
#define CMP_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct cmp_error;

#define JSON_MAX_DEPTH 32
#define JSON_MAX_MEMBERS 256

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json_value {
    enum json_type type;
    union {
        bool b;
        struct {
            const char *p; /* NUL-terminated; no NUL inside */
            size_t n;
        } str; /* JSON_STRING, and JSON_NUMBER's source text */
        struct {
            struct json_value **items;
            size_t n;
        } arr;
        struct {
            struct json_member *items;
            size_t n;
        } obj;
    } u;
};

struct json_member {
    const char *key; /* NUL-terminated */
    size_t key_len;
    struct json_value *value;
};

/*
 * Parse `n` bytes.  On success stores the root in *out and returns 0.  On failure returns `code`
 * (the caller's choice: CMP_EBADBODY for bodies, CMP_EUNAUTHENTICATED for tokens...) with a message
 * in `err` saying what is wrong and at which byte offset.
 */
int json_parse(struct arena *a, const char *p, size_t n, int code, struct json_value **out,
               struct cmp_error *err);

/* The member named `key` of object `v`, or NULL (also when `v` is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

/* The name of a JSON type, for messages ("string", "object"...). */
const char *json_type_name(enum json_type t);

/* Number `v` as an exact int64, or CMP_EBADREQUEST if it is not an integer in range. */
int json_int64(const struct json_value *v, int64_t *out);

/*
 * Can `n` bytes stand for themselves inside a JSON string, none of them below 0x20, '"' or '\\'?
 * *ascii (OUT) tells whether all are below 0x80 (when not, they may still need a UTF-8 check).
 * Looks at eight bytes at a time: for writers that copy the common string whole, and readers
 * that take text without escapes as it is.
 */
bool json_is_plain(const char *s, size_t n, bool *ascii);

#endif
