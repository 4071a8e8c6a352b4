/*
 * store/store.c - pick a backend from the location and dispatch every call through its ops.
 *
 * Locations: "sqlite:PATH" (the database file itself); "postgres://..." / "postgresql://..."
 * (a libpq connection URI, passed whole to the PostgreSQL backend); anything else is a data
 * directory, created
 * with mode 0700 when missing (its parent must exist), holding the SQLite database DIR/cmpd.db.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/log.h"
#include "store/store_impl.h"

#define STORE_SQLITE_FILE "cmpd.db"
#define STORE_MAX_PATH 4096

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Create data directory `dir` (mode 0700) unless it exists; it must be a directory. */
static int ensure_dir(const char *dir, struct cmp_error *err)
{
    struct stat sb;

    if (mkdir(dir, 0700) == 0) {
        log_info("store: created data directory %s", dir);
        return 0;
    }
    if (errno != EEXIST) {
        log_error("store: cannot create data directory %s: %s", dir, strerror(errno));
        return cmp_error_set(err, CMP_EIO, "Cannot create the data directory.");
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        log_error("store: %s is not a directory", dir);
        return cmp_error_set(err, CMP_EIO, "The data location is not a directory.");
    }
    return 0;
}

static int open_sqlite_dir(const char *dir, struct store **out, struct cmp_error *err)
{
    char path[STORE_MAX_PATH];
    size_t n = strlen(dir);
    int rc;

    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (snprintf(path, sizeof path, "%.*s/%s", (int)n, dir, STORE_SQLITE_FILE) >= (int)sizeof path)
        return cmp_error_set(err, CMP_EIO, "The data directory path is too long.");
    rc = ensure_dir(dir, err);
    if (rc)
        return rc;
    return store__sqlite_ops.open(path, out, err);
}

static int open_backend(const char *location, struct store **out, struct cmp_error *err)
{
    if (has_prefix(location, "sqlite:")) {
        const char *path = location + strlen("sqlite:");
        if (!*path)
            return cmp_error_set(err, CMP_ESTORE, "The sqlite: location names no file.");
        return store__sqlite_ops.open(path, out, err);
    }
    if (has_prefix(location, "postgres://") || has_prefix(location, "postgresql://"))
        return store__postgres_ops.open(location, out, err);
    return open_sqlite_dir(location, out, err);
}

int store_open(const char *location, struct store **out, struct cmp_error *err)
{
    struct store *s;
    int rc;

    if (!location || !*location)
        return cmp_error_set(err, CMP_ESTORE, "No store location given.");
    rc = open_backend(location, &s, err);
    if (rc)
        return rc;
    s->location = strdup(location);
    if (!s->location) {
        s->ops->close(s);
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    }
    s->durability = STORE_DURABLE_DISK;
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store__committer_release(s->committer);
    free(s->location);
    s->ops->close(s);
}

const char *store_backend(const struct store *s)
{
    return s->ops->name;
}

int store_tenant_get(struct store *s, const char *tenant, struct store_tenant *out,
                     struct cmp_error *err)
{
    return s->ops->tenant_get(s, tenant, out, err);
}

int store_tenant_put(struct store *s, const struct store_tenant *t, bool only_if_new,
                     struct cmp_error *err)
{
    return s->ops->tenant_put(s, t, only_if_new, err);
}

int store_tenant_list(struct store *s, struct arena *a, struct store_tenant **out, size_t *n,
                      struct cmp_error *err)
{
    return s->ops->tenant_list(s, a, out, n, err);
}

int store_partner_insert(struct store *s, const char *tenant, const struct graph_partner *p,
                         struct cmp_error *err)
{
    return s->ops->partner_insert(s, tenant, p, err);
}

int store_set_durability(struct store *s, enum store_durability d, struct cmp_error *err)
{
    int rc = s->ops->set_durability ? s->ops->set_durability(s, d, err) : 0;

    if (!rc)
        s->durability = d;
    return rc;
}

int store_write(struct store *s, struct store_write *w)
{
    switch (w->kind) {
    case STORE_WRITE_INSERT:
        w->rc = s->ops->partner_insert(s, w->tenant, w->p, w->err);
        break;
    case STORE_WRITE_PATCH:
        w->rc = s->ops->partner_patch(s, w->tenant, w->id, w->p, w->a, w->out, w->err);
        break;
    case STORE_WRITE_DELETE:
        w->rc = s->ops->partner_delete(s, w->tenant, w->id, w->err);
        break;
    default:
        w->rc = cmp_error_set(w->err, CMP_EINTERNAL, NULL);
    }
    return w->rc;
}

bool store_write_async(struct store *s, struct store_write *w)
{
    if (!s->ops->txn_begin || !s->location)
        return false;
    if (!s->committer)
        s->committer = store__committer_acquire(s->location, s->durability);
    if (!s->committer)
        return false;
    store__committer_submit(s->committer, w);
    return true;
}

int store_partner_get(struct store *s, const char *tenant, const char *id, struct arena *a,
                      struct graph_partner *out, struct cmp_error *err)
{
    return s->ops->partner_get(s, tenant, id, a, out, err);
}

int store_partner_patch(struct store *s, const char *tenant, const char *id,
                        const struct graph_partner *patch, struct arena *a,
                        struct graph_partner *out, struct cmp_error *err)
{
    return s->ops->partner_patch(s, tenant, id, patch, a, out, err);
}

int store_partner_delete(struct store *s, const char *tenant, const char *id, struct cmp_error *err)
{
    return s->ops->partner_delete(s, tenant, id, err);
}

int store_partner_list(struct store *s, const char *tenant, const struct store_list_req *req,
                       struct arena *a, struct store_page *out, struct cmp_error *err)
{
    return s->ops->partner_list(s, tenant, req, a, out, err);
}

int store_partner_count(struct store *s, const char *tenant, const struct odata_expr *filter,
                        int64_t *out, struct cmp_error *err)
{
    return s->ops->partner_count(s, tenant, filter, out, err);
}

int store_partner_delete_all(struct store *s, const char *tenant, int64_t *deleted,
                             struct cmp_error *err)
{
    *deleted = 0;
    return s->ops->partner_delete_all(s, tenant, deleted, err);
}

int store_partner_tenants(struct store *s, struct arena *a, const char ***out, size_t *n,
                          struct cmp_error *err)
{
    *out = NULL;
    *n = 0;
    return s->ops->partner_tenants(s, a, out, n, err);
}

int store_bulk_begin(struct store *s, struct cmp_error *err)
{
    return s->ops->bulk_begin(s, err);
}

int store_bulk_end(struct store *s, bool commit, struct cmp_error *err)
{
    int rc = s->ops->txn_end(s, commit, err);

    if (rc && commit)
        s->ops->txn_end(s, false, err); /* a commit that failed leaves nothing open */
    if (s->ops->after_batch)
        s->ops->after_batch(s);
    return rc;
}

int store_secret_ensure(struct store *s, const char *name, const void *candidate, size_t n,
                        struct arena *a, unsigned char **out, size_t *out_n, struct cmp_error *err)
{
    return s->ops->secret_ensure(s, name, candidate, n, a, out, out_n, err);
}

int store_throttle_take(struct store *s, const struct store_throttle_key *keys, size_t n,
                        int window_s, int *retry_after, struct cmp_error *err)
{
    size_t i;
    size_t j;

    *retry_after = 0;
    if (n > STORE_THROTTLE_MAX_KEYS || window_s < 1 || window_s > STORE_THROTTLE_MAX_WINDOW)
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    for (i = 0; i < n; i++) {
        if (!keys[i].name || strlen(keys[i].name) > STORE_THROTTLE_MAX_NAME)
            return cmp_error_set(err, CMP_EINTERNAL, NULL);
        for (j = 0; j < i; j++)
            if (strcmp(keys[i].name, keys[j].name) == 0)
                return cmp_error_set(err, CMP_EINTERNAL, NULL);
    }
    return s->ops->throttle_take(s, keys, n, window_s, retry_after, err);
}
