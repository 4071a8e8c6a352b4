/*
 * tests/fuzz/fuzz_http_body.c - request bodies through graph/json_in.c (and back out).
 *
 * graph_json_in_fuzz decodes the input as a v1.0 create and a beta patch body and, when one
 * decodes, checks that encoding and decoding again gives the same bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "graph/json_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return graph_json_in_fuzz(data, size);
}
