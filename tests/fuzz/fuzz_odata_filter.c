/*
 * tests/fuzz/fuzz_odata_filter.c - $filter expressions through odata/filter.c.
 *
 * odata_filter_fuzz parses the input as a v1.0 and as a beta $filter and aborts when a parse
 * succeeds with an AST that breaks the invariants of odata/filter_check.c, or fails with anything
 * but a well-formed 400 message.
 */
#include <stddef.h>
#include <stdint.h>

#include "odata/odata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return odata_filter_fuzz(data, size);
}
