/*
 * tests/fuzz/fuzz_jwt.c - libFuzzer driver: the input is the token of "Bearer <input>".
 *
 * auth_jwt_fuzz() checks it against a key generated on the first call, then re-signs its
 * "header.payload" with that key (kid "fuzz") so the claim checks behind the signature are
 * exercised as well.  Seeds: tests/fuzz/corpus/fuzz_jwt/.
 */
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return auth_jwt_fuzz(data, size);
}
