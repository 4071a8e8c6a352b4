/*
 * tests/fuzz/fuzz_http_path.c - the router on arbitrary request paths: first byte picks the
 * method, the rest is the path.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT"};
    struct arena *a;
    struct cmp_error err = {0};
    struct route_match m;

    if (size < 1)
        return 0;
    a = arena_new(0);
    if (!a)
        return 0;
    router_match(a, methods[data[0] % 5], 3, (const char *)data + 1, size - 1, &m, &err);
    arena_free(a);
    return 0;
}
