/*
 * graph/json_out.h - struct graph_partner -> JSON, written straight into a buffer.
 *
 * No JSON tree is built: values are written in the wire order of the model table as fixed pieces
 * (json_out.c), strings escaped as yajl escapes them, byte for byte.  v1.0 output omits beta-only
 * properties and the beta target filter properties; beta output always carries
 * deviceAndAppManagementAssignmentFilterType ("none" when unset).  Targets always carry
 * "@odata.type": "#microsoft.graph.<type>"; the entity carries
 * "@odata.type": "#microsoft.graph.complianceManagementPartner" (spec 3.2 decision).
 */
#ifndef CMP_GRAPH_JSON_OUT_H
#define CMP_GRAPH_JSON_OUT_H

#include <stdint.h>

#include "graph/model.h"

struct buf;

/*
 * Append one entity object to `out`.  `context` (may be NULL) is written first as
 * "@odata.context".  `select` is a mask of GRAPH_PROP_BIT()s: properties outside it are omitted
 * (GRAPH_ALL_PROPS for all; "@odata.type" is written only when every property is selected).
 * Returns 0 or the buf error.
 */
int graph_partner_write(struct buf *out, const struct graph_partner *p, enum graph_version v,
                        uint32_t select, const char *context);

/* Append a JSON array of assignments in version `v`'s shape. */
int graph_assignments_write(struct buf *out, const struct graph_assignments *l,
                            enum graph_version v);

/*
 * Collection framing: {"@odata.context":"…"[,"@odata.count":N][,"@odata.nextLink":"…"],"value":[
 * then items separated by commas, then ]}.  `count` < 0 omits it; `next_link` NULL omits it.
 * The two URLs are escaped but, unlike the entity's strings, not required to be UTF-8.  On
 * failure (the buf error) the buffer is left as it was.
 */
int graph_collection_begin(struct buf *out, const char *context, int64_t count,
                           const char *next_link);
int graph_collection_end(struct buf *out);

#endif
