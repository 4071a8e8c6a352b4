/*
 * store/sqlite/sqlite_gather.c - a group commit's log writes, gathered into few system calls.
 *
 * SQLite writes each frame of the write-ahead log with two calls, its 24-byte header and its
 * page: a group commit of 30 creates at 1,000,000 partners is ~90 pwrite(2) calls, and on a
 * paravirtualised machine each call costs more than the copy it does.  This VFS ("cmpd-gather")
 * passes every call through to the default one ("unix"), except that while a thread runs a group
 * commit's COMMIT (store__sqlite_gather_begin/end, on a synchronous=FULL connection) the
 * consecutive writes to its log are copied into a buffer and written with one call: when the
 * buffer is full, when a write does not follow on, and before any other call this thread makes
 * on any file of this VFS.
 *
 * Why that is safe: in FULL mode SQLite writes a commit's frames, then syncs the log (xSync, so
 * the buffer is written and synced first, and a failed write fails the sync and so the commit),
 * and only then publishes the frames in the wal-index for other connections.  Outside that
 * window nothing is buffered; synchronous=NORMAL connections (--durability process), which
 * publish without a sync, never open it.  Files of other connections and processes see the
 * same bytes at the same moments as without this VFS.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite/sqlite_impl.h"

/* What one call to the unix VFS writes at most (it masks larger amounts to 17 bits). */
#define GATHER_MAX 0x1ffff

struct gather_file {
    sqlite3_file base;
    sqlite3_file *real; /* the unix VFS's file, right after this struct */
    bool is_log;
    unsigned char *buf; /* is_log: GATHER_MAX bytes */
    size_t len;
    sqlite3_int64 off; /* of buf[0] in the file */
};

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs gather_vfs;
static bool installed;
static _Thread_local bool gathering;                 /* inside begin/end */
static _Thread_local struct gather_file *pending;    /* holds bytes not yet written */
static atomic_uint_fast64_t stat_writes, stat_calls; /* log writes gathered; calls made */

#define REAL(f) (((struct gather_file *)(f))->real)

static int flush(struct gather_file *f)
{
    int rc = SQLITE_OK;

    if (f->len) {
        rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
        atomic_fetch_add_explicit(&stat_calls, 1, memory_order_relaxed);
    }
    f->len = 0;
    if (pending == f)
        pending = NULL;
    return rc;
}

/* Before any call on a file of this VFS: this thread's gathered bytes go out first. */
#define FLUSH_OR_RETURN()                                                                          \
    do {                                                                                           \
        int frc_ = pending ? flush(pending) : SQLITE_OK;                                           \
        if (frc_ != SQLITE_OK)                                                                     \
            return frc_;                                                                           \
    } while (0)

static int g_close(sqlite3_file *file)
{
    struct gather_file *f = (struct gather_file *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);

    free(f->buf);
    return rc != SQLITE_OK ? rc : rc2;
}

static int g_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    struct gather_file *f = (struct gather_file *)file;
    int rc;

    if (!f->is_log || !gathering) {
        FLUSH_OR_RETURN();
        return f->real->pMethods->xWrite(f->real, data, n, off);
    }
    if (pending && pending != f) {
        rc = flush(pending);
        if (rc != SQLITE_OK)
            return rc;
    }
    atomic_fetch_add_explicit(&stat_writes, 1, memory_order_relaxed);
    if (f->len && off == f->off + (sqlite3_int64)f->len && f->len + (size_t)n <= GATHER_MAX) {
        memcpy(f->buf + f->len, data, (size_t)n);
        f->len += (size_t)n;
        return SQLITE_OK;
    }
    rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    if ((size_t)n > GATHER_MAX / 2) {
        atomic_fetch_add_explicit(&stat_calls, 1, memory_order_relaxed);
        return f->real->pMethods->xWrite(f->real, data, n, off);
    }
    memcpy(f->buf, data, (size_t)n);
    f->off = off;
    f->len = (size_t)n;
    pending = f;
    return SQLITE_OK;
}

static int g_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}

static int g_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int g_sync(sqlite3_file *f, int flags)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int g_file_size(sqlite3_file *f, sqlite3_int64 *out)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xFileSize(REAL(f), out);
}

static int g_lock(sqlite3_file *f, int level)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int g_unlock(sqlite3_file *f, int level)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int g_check_reserved(sqlite3_file *f, int *out)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int g_file_control(sqlite3_file *f, int op, void *arg)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int g_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int g_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int g_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}

static int g_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

/* Not reached with bytes pending (the sync before the wal-index wrote them); if it were, they
 * must reach the file before the wal-index publishes them. */
static void g_shm_barrier(sqlite3_file *f)
{
    if (pending && flush(pending) != SQLITE_OK)
        log_error("sqlite: a gathered log write failed at the wal-index barrier");
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int g_shm_unmap(sqlite3_file *f, int delete_flag)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int g_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
    FLUSH_OR_RETURN();
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}

static int g_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods gather_methods = {
    .iVersion = 3,
    .xClose = g_close,
    .xRead = g_read,
    .xWrite = g_write,
    .xTruncate = g_truncate,
    .xSync = g_sync,
    .xFileSize = g_file_size,
    .xLock = g_lock,
    .xUnlock = g_unlock,
    .xCheckReservedLock = g_check_reserved,
    .xFileControl = g_file_control,
    .xSectorSize = g_sector_size,
    .xDeviceCharacteristics = g_device_characteristics,
    .xShmMap = g_shm_map,
    .xShmLock = g_shm_lock,
    .xShmBarrier = g_shm_barrier,
    .xShmUnmap = g_shm_unmap,
    .xFetch = g_fetch,
    .xUnfetch = g_unfetch,
};

static int g_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                  int *out_flags)
{
    struct gather_file *f = (struct gather_file *)file;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    rc = unix_vfs->xOpen(unix_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        return rc; /* base.pMethods NULL: SQLite does not close it */
    }
    if (f->real->pMethods->iVersion < 3) { /* gather_methods forwards the version-3 methods */
        f->real->pMethods->xClose(f->real);
        return SQLITE_CANTOPEN;
    }
    if (flags & SQLITE_OPEN_WAL) {
        f->buf = malloc(GATHER_MAX);
        f->is_log = f->buf != NULL; /* without a buffer it is simply not gathered */
    }
    f->base.pMethods = &gather_methods;
    return SQLITE_OK;
}

static void install(void)
{
    unix_vfs = sqlite3_vfs_find("unix");
    if (!unix_vfs) {
        log_warn("sqlite: no unix VFS: log writes are not gathered");
        return;
    }
    gather_vfs = *unix_vfs;
    gather_vfs.pNext = NULL;
    gather_vfs.zName = STORE_SQLITE_VFS;
    gather_vfs.szOsFile = (int)sizeof(struct gather_file) + unix_vfs->szOsFile;
    gather_vfs.xOpen = g_open;
    installed = sqlite3_vfs_register(&gather_vfs, 0) == SQLITE_OK;
}

const char *store__sqlite_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, install);
    return installed ? STORE_SQLITE_VFS : NULL;
}

void store__sqlite_gather_begin(void)
{
    gathering = true;
}

int store__sqlite_gather_end(void)
{
    int rc = pending ? flush(pending) : SQLITE_OK;

    gathering = false;
    return rc;
}

void store__sqlite_gather_stats(uint64_t *writes, uint64_t *calls)
{
    *writes = atomic_load(&stat_writes);
    *calls = atomic_load(&stat_calls);
}
