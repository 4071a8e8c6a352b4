/*
 * cmd/data.c - `cmpd export` and `cmpd import`, and the loader behind `cmpd serve --seed`: the
 * partners of a store as JSON lines, one partner per line, in the store directly (the same
 * --data / --store as the other subcommands; a server may be running on it).
 *
 * The format (one line, no other members, in this order when written):
 *
 *   {"tenantId":"<tenant GUID>","partner":{<the partner as GET /beta returns it>}}
 *
 * "partner" is the entity's beta representation (the superset of v1.0: linuxOnboarded and
 * linuxEnrollmentAssignments, the assignment filter properties), with its id and
 * lastHeartbeatDateTime exactly as stored, so a round trip into an empty store gives
 * byte-identical GETs and listings in both versions.  The store keeps nothing else a client can
 * see (no etag or version; created/modified are internal and take the import's time).  Blank
 * lines are skipped.  Export writes the partners tenant by tenant (ascending id), each tenant's
 * in listing order (insertion order), a page of EXPORT_PAGE rows at a time, so memory stays
 * bounded whatever the store holds; it reads page by page, not one snapshot: for an exact copy,
 * export a store nobody writes to.  Import inserts in file order, which keeps the listing order.
 *
 * Import checks every line: the outer object as above, "tenantId" a GUID, "partner" decoded by
 * graph_partner_from_value() with the rules and messages of a create (graph/json_in.c), plus an
 * "id" that must be a GUID (kept, lowercased).  It runs in ONE store transaction
 * (store_bulk_begin): lines are parsed and written as they are read (memory: one line and an
 * arena of at most IMPORT_ARENA_LINES lines' values), and the transaction commits only when
 * every line was good - a bad line is reported with its number, the rest is still checked (up to
 * IMPORT_MAX_REPORTS reports), and nothing is written.  An id that exists already (in the store,
 * or earlier in the file) is a failure by default; CMD_CONFLICT_SKIP leaves the stored partner,
 * CMD_CONFLICT_REPLACE deletes it and inserts the line's (at the end of the listing order).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "graph/json_in.h"
#include "graph/json_out.h"
#include "store/store.h"

#define EXPORT_PAGE 1000
#define IMPORT_ARENA_LINES 1000
#define IMPORT_MAX_REPORTS 20
/* Largest line import accepts (a partner with three full assignment collections fits). */
#define IMPORT_MAX_LINE (16u * 1024 * 1024)
/* Most bytes one exported line may take. */
#define EXPORT_MAX_LINE (64u * 1024 * 1024)
#define PROGRESS_EVERY_MS 100
/* Runs of a seed whose transaction failed on the store (a concurrent start's insert). */
#define SEED_TRIES 3

/* ---- progress on a terminal ---- */

struct progress {
    bool on;          /* stderr is a terminal */
    const char *verb; /* "exporting", "importing" */
    int64_t last_ms;
    bool drawn;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Draw "[####......]  42% done/total unit" (or without a total, just the count). */
static void progress_draw(struct progress *pg, int64_t done, int64_t total, const char *unit,
                          bool force)
{
    char bar[31];
    int64_t t = now_ms();
    int filled;
    int i;

    if (!pg->on || (!force && t - pg->last_ms < PROGRESS_EVERY_MS))
        return;
    pg->last_ms = t;
    pg->drawn = true;
    if (total <= 0) {
        fprintf(stderr, "\r%s: %lld %s", pg->verb, (long long)done, unit);
        return;
    }
    if (done > total)
        done = total;
    filled = (int)(done * 30 / total);
    for (i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %lld/%lld %s", pg->verb, bar, (int)(done * 100 / total),
            (long long)done, (long long)total, unit);
}

static void progress_end(struct progress *pg)
{
    if (pg->drawn)
        fputc('\n', stderr);
}

/* ---- export ---- */

/* One line for partner `p` of `tenant` into `b`. */
static int export_line(struct buf *b, const char *tenant, const struct graph_partner *p)
{
    int rc;

    buf_reset(b);
    rc = buf_printf(b, "{\"tenantId\":\"%s\",\"partner\":", tenant);
    rc = rc ? rc : graph_partner_write(b, p, GRAPH_BETA, GRAPH_ALL_PROPS, NULL);
    return rc ? rc : buf_puts(b, "}\n");
}

/* Every partner of `tenant`, page by page; *count grows by the lines written. */
static int export_tenant(struct store *s, const char *tenant, FILE *out, struct buf *b,
                         struct progress *pg, int64_t total, int64_t *count, struct cmp_error *err)
{
    struct store_cursor after;
    struct store_page page;
    struct store_list_req req = {.limit = EXPORT_PAGE};
    struct arena *a;
    size_t i;
    int rc = 0;

    do {
        a = arena_new(0);
        if (!a)
            return cmp_error_set(err, CMP_ENOMEM, NULL);
        rc = store_partner_list(s, tenant, &req, a, &page, err);
        for (i = 0; !rc && i < page.n; i++) {
            rc = export_line(b, tenant, &page.items[i]);
            if (rc)
                rc = cmp_error_set(err, rc, "partner %s is too large to export", page.items[i].id);
            else if (fwrite(b->data, 1, b->len, out) != b->len)
                rc = cmp_error_set(err, CMP_EIO, "cannot write: %s", strerror(errno));
            else
                (*count)++;
        }
        /* Without $orderby the cursor is the sequence number alone: nothing in the arena. */
        if (!rc && page.n) {
            after = page.last;
            req.after = &after;
        }
        arena_free(a);
        progress_draw(pg, *count, total, "partners", false);
    } while (!rc && page.more);
    return rc;
}

struct export_opts {
    const char *data;
    const char *store;
    const char *tenant; /* NULL: every tenant */
    const char *output; /* NULL or "-": stdout */
};

static int export_all(struct store *s, const struct export_opts *o, FILE *out, int64_t *count,
                      size_t *tenants, struct cmp_error *err)
{
    struct arena *a = arena_new(0);
    struct progress pg = {isatty(STDERR_FILENO) == 1, "exporting", 0, false};
    char lowered[37];
    const char *one[1] = {lowered};
    const char **ids = one;
    int64_t total = 0;
    int64_t n;
    struct buf b;
    size_t i;
    int rc = 0;

    if (!a)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    buf_init(&b, EXPORT_MAX_LINE);
    *tenants = 1;
    if (o->tenant) {
        str_lower(lowered, o->tenant, 36);
    } else {
        rc = store_partner_tenants(s, a, &ids, tenants, err);
    }
    for (i = 0; pg.on && !rc && i < *tenants; i++) {
        rc = store_partner_count(s, ids[i], NULL, &n, err);
        total += n;
    }
    for (i = 0; !rc && i < *tenants; i++)
        rc = export_tenant(s, ids[i], out, &b, &pg, total, count, err);
    progress_draw(&pg, *count, total, "partners", true);
    progress_end(&pg);
    buf_fini(&b);
    arena_free(a);
    return rc;
}

/* Write to FILE.partial, fsync, rename: a failed export leaves no truncated FILE behind. */
static int export_to_file(struct store *s, const struct export_opts *o, int64_t *count,
                          size_t *tenants, struct cmp_error *err)
{
    size_t n = strlen(o->output) + sizeof ".partial";
    char *tmp = malloc(n);
    FILE *f;
    int rc;

    if (!tmp)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    snprintf(tmp, n, "%s.partial", o->output);
    f = fopen(tmp, "w");
    if (!f) {
        rc = cmp_error_set(err, CMP_EIO, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    rc = export_all(s, o, f, count, tenants, err);
    if (!rc && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = cmp_error_set(err, CMP_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && !rc)
        rc = cmp_error_set(err, CMP_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, o->output) != 0)
        rc = cmp_error_set(err, CMP_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

static const char export_usage[] =
    "usage: cmpd export [--tenant TID] [--output FILE | FILE] [--data DIR | --store LOCATION]\n"
    "\n"
    "Write the partners of one tenant, or of every tenant, as JSON lines:\n"
    "  {\"tenantId\":\"<TID>\",\"partner\":{<the partner as GET /beta returns it>}}\n"
    "\n"
    "  --tenant TID          only this tenant (default: every tenant holding partners)\n"
    "  --output FILE         write FILE (atomically: FILE.partial, then renamed); default stdout\n"
    "  --data DIR            data directory of the SQLite store (default ./cmpd-data)\n"
    "  --store LOCATION      postgres://..., sqlite:PATH or a directory (default $CMPD_STORE)\n";

int cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tenant", required_argument, NULL, 't'}, {"output", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},   {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct export_opts o = {CMD_DEFAULT_DATA, NULL, NULL, NULL};
    struct cmp_error err = {0};
    struct store *s;
    int64_t count = 0;
    size_t tenants = 0;
    int ch;
    int rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            o.tenant = optarg;
            break;
        case 'o':
            o.output = optarg;
            break;
        case 'd':
            o.data = optarg;
            break;
        case 's':
            o.store = optarg;
            break;
        case 'h':
            fputs(export_usage, stdout);
            return 0;
        default:
            fputs(export_usage, stderr);
            return 2;
        }
    }
    if (optind < argc && !o.output)
        o.output = argv[optind++];
    if (optind != argc || (o.tenant && !str_is_guid(o.tenant, strlen(o.tenant)))) {
        fputs(o.tenant ? "cmpd export: --tenant takes a tenant GUID\n" : "", stderr);
        fputs(export_usage, stderr);
        return 2;
    }
    if (cmd_open_store(o.data, cmd_store_location(o.store), &s, &err)) {
        fprintf(stderr, "cmpd export: %s\n", cmp_error_message(&err));
        return 1;
    }
    if (o.output && strcmp(o.output, "-") != 0) {
        rc = export_to_file(s, &o, &count, &tenants, &err);
    } else {
        rc = export_all(s, &o, stdout, &count, &tenants, &err);
        if (!rc && fflush(stdout) != 0)
            rc = cmp_error_set(&err, CMP_EIO, "cannot write: %s", strerror(errno));
    }
    store_close(s);
    if (rc) {
        fprintf(stderr, "cmpd export: %s\n", cmp_error_message(&err));
        return 1;
    }
    fprintf(stderr, "exported %lld partners from %zu tenants\n", (long long)count, tenants);
    return 0;
}

/* ---- import ---- */

struct import_run {
    struct store *s;
    const struct cmd_import_opts *o;
    struct cmd_import_result *res;
    struct arena *a; /* this group of lines' values */
    char last[37];   /* the last tenant registered or found registered */
    int64_t line;    /* number of the line being read */
    size_t reports;  /* bad lines reported */
    struct progress pg;
};

/* Report a bad line (the first IMPORT_MAX_REPORTS of them). */
static void bad_line(struct import_run *r, const char *msg)
{
    r->res->bad++;
    if (r->reports++ < IMPORT_MAX_REPORTS) {
        progress_end(&r->pg);
        r->pg.drawn = false;
        fprintf(stderr, "%s: %s: line %lld: %s\n", r->o->who, r->o->name, (long long)r->line, msg);
    }
}

/* Decode line `p` (n bytes) into its tenant (lowercased) and partner. */
static int parse_line(struct arena *a, const char *p, size_t n, char *tenant,
                      struct graph_partner *out, struct cmp_error *err)
{
    const struct json_value *t;
    const struct json_value *v;
    struct json_value *root;
    size_t i;
    int rc = json_parse(a, p, n, CMP_EBADBODY, &root, err);

    if (rc)
        return rc;
    if (root->type != JSON_OBJECT)
        return cmp_error_set(err, CMP_EBADBODY,
                             "a line must be an object {\"tenantId\":...,\"partner\":{...}}");
    for (i = 0; i < root->u.obj.n; i++) {
        const char *k = root->u.obj.items[i].key;
        if (strcmp(k, "tenantId") != 0 && strcmp(k, "partner") != 0)
            return cmp_error_set(err, CMP_EBADBODY,
                                 "unknown member '%.64s' (a line has tenantId and partner)", k);
    }
    t = json_get(root, "tenantId");
    v = json_get(root, "partner");
    if (!t || t->type != JSON_STRING || !str_is_guid(t->u.str.p, t->u.str.n))
        return cmp_error_set(err, CMP_EBADBODY, "tenantId must be a tenant GUID");
    if (!v || v->type != JSON_OBJECT)
        return cmp_error_set(err, CMP_EBADBODY, "partner must be an object");
    str_lower(tenant, t->u.str.p, 36);
    /* The create rules; the patch mode only keeps the body's id, which import needs. */
    rc = graph_partner_from_value(a, GRAPH_BETA, GRAPH_DECODE_PATCH, v, out, err);
    if (rc)
        return rc;
    if (!(out->present & GRAPH_PROP_BIT(GRAPH_P_ID)) || !str_is_guid(out->id, strlen(out->id)))
        return cmp_error_set(err, CMP_EBADBODY, "partner.id must be a GUID");
    str_lower(out->id, out->id, 36);
    out->present = 0;
    return 0;
}

/* Register `tenant` unless it is (licensed, as `cmpd tenant add` does), in the transaction. */
static int register_tenant(struct import_run *r, const char *tenant, struct cmp_error *err)
{
    struct store_tenant t;
    int rc;

    if (strcmp(r->last, tenant) == 0)
        return 0;
    rc = store_tenant_get(r->s, tenant, &t, err);
    if (rc == CMP_ENOTFOUND) {
        cmp_error_clear(err);
        memset(&t, 0, sizeof t);
        memcpy(t.id, tenant, sizeof t.id);
        t.intune_licensed = true;
        t.created = time_now();
        rc = store_tenant_put(r->s, &t, true, err);
        if (!rc)
            r->res->registered++;
    }
    if (!rc)
        memcpy(r->last, tenant, sizeof r->last);
    return rc;
}

/*
 * Write one good line.  0, or a store error (the run stops); an existing id in the fail mode is
 * a bad line (returns 0, counted in res->bad).
 */
static int write_line(struct import_run *r, const char *tenant, const struct graph_partner *p,
                      struct cmp_error *err)
{
    struct graph_partner old;
    char msg[160];
    bool check_only = r->res->bad > 0; /* after a bad line nothing more is written */
    int rc = r->o->register_tenants && !check_only ? register_tenant(r, tenant, err) : 0;

    if (rc)
        return rc;
    if (check_only && r->o->conflict != CMD_CONFLICT_FAIL)
        return 0;
    rc = store_partner_get(r->s, tenant, p->id, r->a, &old, err);
    if (rc == CMP_ENOTFOUND && check_only) {
        cmp_error_clear(err);
        return 0;
    }
    if (rc == 0) {
        if (r->o->conflict == CMD_CONFLICT_SKIP) {
            r->res->skipped++;
            return 0;
        }
        if (r->o->conflict == CMD_CONFLICT_FAIL) {
            snprintf(msg, sizeof msg,
                     "partner %s of tenant %s exists already (see --on-conflict skip|replace)",
                     p->id, tenant);
            bad_line(r, msg);
            return 0;
        }
        rc = store_partner_delete(r->s, tenant, p->id, err);
        if (!rc)
            r->res->replaced++;
    } else if (rc == CMP_ENOTFOUND) {
        cmp_error_clear(err);
        rc = 0;
    }
    if (!rc)
        rc = store_partner_insert(r->s, tenant, p, err);
    if (!rc)
        r->res->imported++;
    return rc;
}

/* Every line of `in`; 0 when all were good and written (not yet committed). */
static int import_lines(struct import_run *r, FILE *in, int64_t size, struct cmp_error *err)
{
    struct cmp_error line_err;
    struct graph_partner p;
    char tenant[37];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    while (!rc && (n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        r->line++;
        if (r->line % IMPORT_ARENA_LINES == 0) {
            arena_free(r->a);
            r->a = arena_new(0);
            if (!r->a) {
                rc = cmp_error_set(err, CMP_ENOMEM, NULL);
                break;
            }
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue;
        r->res->lines++;
        memset(&line_err, 0, sizeof line_err);
        if (len > IMPORT_MAX_LINE) {
            bad_line(r, "the line is too long");
        } else if (parse_line(r->a, line, len, tenant, &p, &line_err)) {
            bad_line(r, cmp_error_message(&line_err));
        } else {
            rc = write_line(r, tenant, &p, err);
        }
        if (size > 0)
            progress_draw(&r->pg, ftello(in), size, "bytes", false);
        else
            progress_draw(&r->pg, r->res->lines, 0, "lines", false);
    }
    if (!rc && ferror(in))
        rc = cmp_error_set(err, CMP_EIO, "cannot read %s: %s", r->o->name, strerror(errno));
    free(line);
    return rc;
}

int cmd_import_stream(struct store *s, FILE *in, const struct cmd_import_opts *o,
                      struct cmd_import_result *res, struct cmp_error *err)
{
    struct import_run r = {s, o, res, arena_new(0), "", 0, 0, {false, "importing", 0, false}};
    struct stat sb;
    int64_t size = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if (!r.a)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    r.pg.on = o->progress && isatty(STDERR_FILENO) == 1;
    if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
        size = (int64_t)sb.st_size;
    rc = store_bulk_begin(s, err);
    if (!rc) {
        rc = import_lines(&r, in, size, err);
        if (!rc && res->bad)
            rc = cmp_error_set(err, CMP_EBADBODY, "%lld bad lines; nothing was imported",
                               (long long)res->bad);
        if (rc)
            store_bulk_end(s, false, NULL);
        else
            rc = store_bulk_end(s, true, err);
    }
    if (size > 0)
        progress_draw(&r.pg, size, size, "bytes", true);
    progress_end(&r.pg);
    arena_free(r.a);
    return rc;
}

static const char import_usage[] =
    "usage: cmpd import [--input FILE | FILE] [--on-conflict fail|skip|replace]\n"
    "                   [--register-tenants] [--data DIR | --store LOCATION]\n"
    "\n"
    "Read partners as JSON lines (the format of cmpd export) and insert them with their ids,\n"
    "all in one transaction: any bad line (reported with its number) and nothing is written.\n"
    "\n"
    "  --input FILE          read FILE (default stdin; - is stdin)\n"
    "  --on-conflict MODE    an id that exists: fail (default), skip it, or replace it\n"
    "  --register-tenants    register the tenants that are not (licensed), for a server run\n"
    "                        with --tenants registered\n"
    "  --data DIR            data directory of the SQLite store (default ./cmpd-data)\n"
    "  --store LOCATION      postgres://..., sqlite:PATH or a directory (default $CMPD_STORE)\n";

static int parse_conflict(const char *v, enum cmd_conflict *out)
{
    if (strcmp(v, "fail") == 0)
        *out = CMD_CONFLICT_FAIL;
    else if (strcmp(v, "skip") == 0)
        *out = CMD_CONFLICT_SKIP;
    else if (strcmp(v, "replace") == 0)
        *out = CMD_CONFLICT_REPLACE;
    else
        return -1;
    return 0;
}

int cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"on-conflict", required_argument, NULL, 'c'},
        {"register-tenants", no_argument, NULL, 'r'},
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cmd_import_opts o = {"cmpd import", "stdin", CMD_CONFLICT_FAIL, false, true};
    struct cmd_import_result res = {0};
    struct cmp_error err = {0};
    const char *data = CMD_DEFAULT_DATA;
    const char *store = NULL;
    const char *input = NULL;
    struct store *s;
    FILE *in = stdin;
    int ch;
    int rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            input = optarg;
            break;
        case 'c':
            if (parse_conflict(optarg, &o.conflict)) {
                fputs("cmpd import: --on-conflict is fail, skip or replace\n", stderr);
                return 2;
            }
            break;
        case 'r':
            o.register_tenants = true;
            break;
        case 'd':
            data = optarg;
            break;
        case 's':
            store = optarg;
            break;
        case 'h':
            fputs(import_usage, stdout);
            return 0;
        default:
            fputs(import_usage, stderr);
            return 2;
        }
    }
    if (optind < argc && !input)
        input = argv[optind++];
    if (optind != argc) {
        fputs(import_usage, stderr);
        return 2;
    }
    if (input && strcmp(input, "-") != 0) {
        in = fopen(input, "r");
        if (!in) {
            fprintf(stderr, "cmpd import: cannot open %s: %s\n", input, strerror(errno));
            return 1;
        }
        o.name = input;
    }
    if (cmd_open_store(data, cmd_store_location(store), &s, &err)) {
        fprintf(stderr, "cmpd import: %s\n", cmp_error_message(&err));
        if (in != stdin)
            fclose(in);
        return 1;
    }
    rc = cmd_import_stream(s, in, &o, &res, &err);
    store_close(s);
    if (in != stdin)
        fclose(in);
    if (rc) {
        fprintf(stderr, "cmpd import: %s\n", cmp_error_message(&err));
        fprintf(stderr, "imported 0 partners, failed %lld of %lld lines\n", (long long)res.bad,
                (long long)res.lines);
        return 1;
    }
    fprintf(stderr, "imported %lld partners (%lld replaced), skipped %lld, failed 0",
            (long long)res.imported, (long long)res.replaced, (long long)res.skipped);
    if (res.registered)
        fprintf(stderr, "; registered %lld tenants", (long long)res.registered);
    fputc('\n', stderr);
    return 0;
}

int cmd_seed(struct store *s, const char *path, struct cmd_import_result *res,
             struct cmp_error *err)
{
    struct cmd_import_opts o = {"cmpd serve --seed", path, CMD_CONFLICT_SKIP, true, false};
    FILE *in = fopen(path, "r");
    int tries;
    int rc;

    if (!in)
        return cmp_error_set(err, CMP_EIO, "cannot open the seed %s: %s", path, strerror(errno));
    /* Instances starting at once on one PostgreSQL database may insert the same id at once: the
     * loser's transaction fails and is rolled back, and a second run finds the rows and skips
     * them.  Bad lines are not retried. */
    for (tries = 1;; tries++) {
        rc = cmd_import_stream(s, in, &o, res, err);
        if (!rc || res->bad || tries == SEED_TRIES || (rc != CMP_ESTORE && rc != CMP_EUNAVAILABLE))
            break;
        log_warn("seed %s: %s; loading it again", path, cmp_error_message(err));
        cmp_error_clear(err);
        rewind(in);
    }
    fclose(in);
    return rc;
}
