/*
 * store/row.c - the partner row both SQL backends store (row.h).
 */
#include "store/row.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "graph/json_in.h"
#include "graph/json_out.h"
#include "graph/model.h"

int store__row_columns(struct buf *b, int (*put)(struct buf *b, const char *column, void *ctx),
                       void *ctx)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < GRAPH_P_COUNT && !rc; i++) {
        const struct graph_prop *p = &graph_partner_props[i];
        if (p->id == GRAPH_P_ID)
            continue;
        if (p->type == EDM_DATETIMEOFFSET)
            rc = put(b, STORE_HEARTBEAT_TEXT, ctx);
        if (!rc)
            rc = put(b, p->column, ctx);
    }
    return rc;
}

int store__row_write_assignments(struct buf *b, const struct graph_assignments *l,
                                 const char *backend, struct cmp_error *err)
{
    int rc = graph_assignments_write(b, l, GRAPH_BETA);

    if (rc == CMP_ENOMEM)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    if (rc) {
        log_error("%s: an assignment collection cannot be stored (error %d)", backend, rc);
        return cmp_error_set(err, CMP_ESTORE, NULL);
    }
    return 0;
}

int store__row_corrupt(const char *backend, const char *what, struct cmp_error *err)
{
    log_error("%s: unreadable partner row: %s", backend, what);
    return cmp_error_set(err, CMP_ESTORE, NULL);
}

int store__row_read_assignments(struct arena *a, const char *text, size_t n, const char *column,
                                const char *backend, struct graph_assignments *out,
                                struct cmp_error *err)
{
    struct cmp_error perr = {0};

    if (!text)
        return store__row_corrupt(backend, column, err);
    if (n == 2 && text[0] == '[' && text[1] == ']') {
        /* The common empty collection, exactly as graph_assignments_write() stores it: no parser
         * (and none of the memory one takes) for it. */
        out->items = NULL;
        out->n = 0;
        return 0;
    }
    if (graph_assignments_parse(a, text, n, out, &perr)) {
        /* graph_assignments_parse() has logged what is wrong with the text. */
        if (perr.code == CMP_ENOMEM)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        return store__row_corrupt(backend, column, err);
    }
    return 0;
}
