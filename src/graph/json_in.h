/*
 * graph/json_in.h - request body -> struct graph_partner, validated against the model table.
 *
 * Implements every row of the spec's validation table (compliance-management-partner.md 4) and of
 * the conventions' body-validation table (graph-conventions.md 2.4): the body must be a JSON object
 * (strict parse: core/json.h), every member a property of the type in that API version, of the
 * right JSON type, non-null where the model says so, enum literals exact members (no integers),
 * DateTimeOffsets with an offset, targets with a concrete @odata.type (with or without '#') and
 * only that type's properties.  Instance annotations (@odata.*, @x.y) other than @odata.type are
 * ignored.  Failures return CMP_EBADBODY with a message naming the offending property, e.g.
 * "The property 'x' does not exist on type 'microsoft.graph.complianceManagementPartner'. Make sure
 * to only use property names that are defined by the type or mark the type as open type."
 *
 * Limits Graph does not document but cmpd needs: a string property (displayName, groupId,
 * collectionId, the filter id, a PATCH id) holds at most GRAPH_MAX_STRING bytes, and an assignment
 * collection at most GRAPH_MAX_ASSIGNMENTS elements; beyond them the body is refused (400).
 */
#ifndef CMP_GRAPH_JSON_IN_H
#define CMP_GRAPH_JSON_IN_H

#include <stddef.h>

#include "graph/model.h"

struct arena;
struct cmp_error;
struct json_value;

#define GRAPH_MAX_STRING 4096
#define GRAPH_MAX_ASSIGNMENTS 1000

enum graph_decode_mode {
    GRAPH_DECODE_CREATE, /* start from the defaults; a body `id` is ignored */
    GRAPH_DECODE_PATCH   /* only `present` matters; a body `id` is kept in out->id, bit set */
};

/*
 * Decode `n` bytes of `body` for API version `v`.  On success fills *out (strings in `a`), sets
 * out->present and returns 0; otherwise returns CMP_EBADBODY (or CMP_ENOMEM) with `err` filled.
 */
int graph_partner_from_json(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                            const char *body, size_t n, struct graph_partner *out,
                            struct cmp_error *err);

/*
 * The same from a value already parsed (json_parse), e.g. the "partner" member of a line of
 * `cmpd import`: the same rules and messages as a request body.
 */
int graph_partner_from_value(struct arena *a, enum graph_version v, enum graph_decode_mode mode,
                             const struct json_value *root, struct graph_partner *out,
                             struct cmp_error *err);

/*
 * Decode an assignment collection from a parsed JSON array (used by the stores to read back what
 * graph_assignments_write() stored, always in the beta shape).
 */
int graph_assignments_from_json(struct arena *a, enum graph_version v, const char *prop_name,
                                const struct json_value *arr, struct graph_assignments *out,
                                struct cmp_error *err);

/* Same from text. */
int graph_assignments_parse(struct arena *a, const char *text, size_t n,
                            struct graph_assignments *out, struct cmp_error *err);

/*
 * Fuzz entry point: decode `data` as a create and as a patch body in v1.0 and beta; whatever
 * decodes must survive encode -> decode -> encode in both versions unchanged (else abort()).
 */
int graph_json_in_fuzz(const unsigned char *data, size_t size);

#endif
