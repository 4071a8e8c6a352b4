/*
 * tests/unit/test_core_uuid.c - v4 and v7 GUIDs (core/uuid.c): the shape, no repeats across the
 * refills of the per-thread pool or between threads, and v7's time order (RFC 9562's example).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"

#include <cmocka.h>

#define PER_THREAD 2000 /* several refills of the 256-GUID pool */
#define THREADS 4

static char ids[THREADS * PER_THREAD][UUID_STR_LEN + 1];

static void assert_shape(const char *s, char version)
{
    size_t i;

    assert_int_equal(strlen(s), UUID_STR_LEN);
    for (i = 0; i < UUID_STR_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(s[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", s[i]));
    }
    assert_int_equal(s[14], version);
    assert_non_null(strchr("89ab", s[19])); /* RFC 4122 variant */
}

static void *make_v4(void *arg)
{
    char(*mine)[UUID_STR_LEN + 1] = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++)
        if (uuid_v4(mine[i]))
            return arg; /* failure */
    return NULL;
}

static void *make_v7(void *arg)
{
    char(*mine)[UUID_STR_LEN + 1] = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++)
        if (uuid_v7(mine[i]))
            return arg;
    return NULL;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Make THREADS * PER_THREAD GUIDs with `make` on as many threads; check shape and uniqueness. */
static void shape_and_no_repeats(void *(*make)(void *), char version)
{
    pthread_t t[THREADS];
    void *res;
    size_t i;

    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, make, ids[i * PER_THREAD]), 0);
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    for (i = 0; i < THREADS * PER_THREAD; i++)
        assert_shape(ids[i], version);
    qsort(ids, THREADS * PER_THREAD, sizeof ids[0], by_text);
    for (i = 1; i < THREADS * PER_THREAD; i++)
        assert_int_not_equal(strcmp(ids[i - 1], ids[i]), 0);
}

static void test_uuid_shape_and_no_repeats(void **state)
{
    (void)state;
    shape_and_no_repeats(make_v4, '4');
}

static void test_uuid_v7_shape_and_no_repeats(void **state)
{
    (void)state;
    shape_and_no_repeats(make_v7, '7');
}

/* The example of RFC 9562, appendix A.6: 2022-02-22 19:22:22 UTC, rand_a 0xcc3. */
static void test_uuid_v7_rfc_example(void **state)
{
    static const unsigned char random[16] = {0,    0,    0,    0,    0,    0,    0,    0,
                                             0x98, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f};
    char s[UUID_STR_LEN + 1];
    unsigned char ones[16];

    (void)state;
    /* 0xcc3 / 4096 of a millisecond is 797,607.4 ns: the first nanosecond that rounds to it. */
    uuid_v7_at(random, UINT64_C(0x017f22e279b0) * 1000000 + 797608, s);
    assert_string_equal(s, "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    /* Random bits in the version and variant places are overwritten. */
    memset(ones, 0xff, sizeof ones);
    uuid_v7_at(ones, 0, s);
    assert_string_equal(s, "00000000-0000-7000-bfff-ffffffffffff");
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The first 48 bits are the time of making in ms; one thread's GUIDs come out in order. */
static void test_uuid_v7_time_ordered(void **state)
{
    char prev[UUID_STR_LEN + 1] = "";
    char s[UUID_STR_LEN + 1];
    uint64_t before;
    uint64_t after;
    uint64_t ms;
    int i;

    (void)state;
    for (i = 0; i < 5000; i++) {
        before = now_ms();
        assert_int_equal(uuid_v7(s), 0);
        after = now_ms();
        ms = strtoull((char[]){s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[9], s[10], s[11],
                               s[12], '\0'},
                      NULL, 16);
        assert_true(ms >= before && ms <= after);
        /* Time and its 1/4096 ms fraction (up to the variant) never go back. */
        assert_true(strncmp(prev, s, 18) <= 0);
        memcpy(prev, s, sizeof s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_shape_and_no_repeats),
        cmocka_unit_test(test_uuid_v7_shape_and_no_repeats),
        cmocka_unit_test(test_uuid_v7_rfc_example),
        cmocka_unit_test(test_uuid_v7_time_ordered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
