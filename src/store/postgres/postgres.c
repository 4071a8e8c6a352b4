/*
 * store/postgres/postgres.c - placeholder until the PostgreSQL backend lands: refuses to open.
 */
#include <stddef.h>

#include "core/err.h"
#include "store/store_impl.h"

static int pg_open(const char *location, struct store **out, struct cmp_error *err)
{
    (void)location;
    (void)out;
    return cmp_error_set(err, CMP_ESTORE, "PostgreSQL backend not built yet");
}

const struct store_ops store__postgres_ops = {
    .name = "postgres",
    .open = pg_open,
};
