/*
 * core/uuid.c - v4 (random) and v7 (time-ordered) GUIDs, their random bits from getrandom(2)
 * through a per-thread pool.
 */
#include "core/uuid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/err.h"

int random_bytes(void *p, size_t n)
{
    unsigned char *b = p;

    while (n) {
        ssize_t got = getrandom(b, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return CMP_EIO;
        }
        b += got;
        n -= (size_t)got;
    }
    return 0;
}

/*
 * 16 bytes of the thread's pool, refilled from getrandom(2) UUID_POOL bytes at a time: one system
 * call per 256 GUIDs instead of one per GUID (every request takes one for its request-id).  The
 * bytes are the kernel's CSPRNG output either way; each is handed out once and then wiped.
 */
#define UUID_POOL 4096

static int pooled_bytes(unsigned char out[16])
{
    static _Thread_local unsigned char pool[UUID_POOL];
    static _Thread_local size_t left;
    int rc;

    if (left < 16) {
        rc = random_bytes(pool, sizeof pool);
        if (rc)
            return rc;
        left = sizeof pool;
    }
    left -= 16;
    memcpy(out, pool + left, 16);
    memset(pool + left, 0, 16);
    return 0;
}

static void format(const unsigned char r[16], char out[UUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    int i;
    int o = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

int uuid_v4(char out[UUID_STR_LEN + 1])
{
    unsigned char r[16];
    int rc = pooled_bytes(r);

    if (rc)
        return rc;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    format(r, out);
    return 0;
}

void uuid_v7_at(const unsigned char random[16], uint64_t unix_ns, char out[UUID_STR_LEN + 1])
{
    uint64_t ms = unix_ns / 1000000;
    /* RFC 9562 6.2, method 3: rand_a holds the fraction of the millisecond in 1/4096ths. */
    unsigned frac = (unsigned)((unix_ns % 1000000) * 4096 / 1000000);
    unsigned char r[16];
    int i;

    memcpy(r, random, 16);
    for (i = 0; i < 6; i++)
        r[i] = (unsigned char)(ms >> (40 - 8 * i));
    r[6] = (unsigned char)(0x70 | (frac >> 8));
    r[7] = (unsigned char)(frac & 0xff);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    format(r, out);
}

int uuid_v7(char out[UUID_STR_LEN + 1])
{
    unsigned char r[16];
    struct timespec ts;
    int rc = pooled_bytes(r);

    if (rc)
        return rc;
    clock_gettime(CLOCK_REALTIME, &ts);
    uuid_v7_at(r, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, out);
    return 0;
}
