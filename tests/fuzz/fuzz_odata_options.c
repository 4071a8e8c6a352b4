/*
 * tests/fuzz/fuzz_odata_options.c - whole query strings through odata/options.c.
 *
 * odata_query_fuzz parses the input for a list, an item and /$count in v1.0 and beta, and aborts
 * when a parse succeeds with a query that breaks its promises (id always selected, $top/$skip in
 * range, $orderby properties orderable and distinct, a sound $filter AST), or fails with
 * anything but a well-formed 400 message.
 */
#include <stddef.h>
#include <stdint.h>

#include "odata/odata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return odata_query_fuzz(data, size);
}
