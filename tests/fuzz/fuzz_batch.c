/*
 * tests/fuzz/fuzz_batch.c - libFuzzer driver: the input is the body of POST /{v}/$batch.
 *
 * batch_fuzz() parses it as a batch envelope (api/batch.c) with a scratch arena and, when it is
 * accepted, writes a batch response for it, so the dependsOn ordering, the url and body
 * checks and the response writer all run.  Seeds: tests/fuzz/corpus/fuzz_batch/.
 */
#include <stddef.h>
#include <stdint.h>

#include "api/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return batch_fuzz(data, size);
}
