/*
 * tests/fuzz/fuzz_http_body.c - request bodies through graph/json_in.c (and back out through
 * graph/json_out.c): the JSON body -> entity decoder of POST and PATCH, in v1.0 and beta.
 *
 * graph_json_in_fuzz() decodes the input in every version and mode; whatever decodes must come
 * back unchanged from encode -> decode -> encode in either version, and so must each assignment
 * list through graph_assignments_write/parse; anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "graph/json_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return graph_json_in_fuzz(data, size);
}
