/*
 * tests/fuzz/fuzz_http_body.c - request bodies through graph/json_in.c (and back out through
 * graph/json_out.c): the JSON body -> entity decoder of POST and PATCH, in v1.0 and beta.
 *
 * graph_json_in_fuzz decodes the input as a v1.0 create and a beta patch body; this driver adds
 * the other two (v1.0 patch, beta create).  For each that decodes, encoding the entity in either
 * version, decoding that in the same version and mode and encoding once more must give the same
 * bytes (what cmpd writes it reads back), and so must each assignment list through
 * graph_assignments_write/parse; anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "graph/json_in.h"
#include "graph/json_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless `p` survives encode -> decode -> encode unchanged. */
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
    /* What cmpd writes in either version, it reads back in that version. */
    for (i = 0; i < sizeof versions / sizeof *versions; i++) {
        buf_reset(&one);
        buf_reset(&two);
        if (graph_partner_write(&one, p, versions[i], GRAPH_ALL_PROPS, NULL) ||
            graph_partner_from_json(a, versions[i], mode, one.data, one.len, &again, &err) ||
            graph_partner_write(&two, &again, versions[i], GRAPH_ALL_PROPS, NULL) ||
            one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
            fprintf(stderr, "round trip (decoded as %d, written as %d): %s\n%.*s\n%.*s\n", v,
                    versions[i], cmp_error_message(&err), (int)one.len, one.data, (int)two.len,
                    two.data);
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

static void decode(enum graph_version v, enum graph_decode_mode mode, const uint8_t *data,
                   size_t size)
{
    struct arena *a = arena_new(0);
    struct graph_partner p;
    struct cmp_error err = {0};

    if (!a)
        return;
    if (!graph_partner_from_json(a, v, mode, (const char *)data, size, &p, &err))
        check_round_trip(a, v, mode, &p);
    arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    graph_json_in_fuzz(data, size); /* v1.0 create, beta patch */
    decode(GRAPH_V1, GRAPH_DECODE_PATCH, data, size);
    decode(GRAPH_BETA, GRAPH_DECODE_CREATE, data, size);
    return 0;
}
