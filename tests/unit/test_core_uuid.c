/*
 * tests/unit/test_core_uuid.c - v4 GUIDs (core/uuid.c): the shape, and no repeats across the
 * refills of the per-thread pool or between threads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"

#include <cmocka.h>

#define PER_THREAD 2000 /* several refills of the 256-GUID pool */
#define THREADS 4

static char ids[THREADS * PER_THREAD][UUID_STR_LEN + 1];

static void assert_v4(const char *s)
{
    size_t i;

    assert_int_equal(strlen(s), UUID_STR_LEN);
    for (i = 0; i < UUID_STR_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(s[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", s[i]));
    }
    assert_int_equal(s[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", s[19])); /* RFC 4122 variant */
}

static void *make(void *arg)
{
    char(*mine)[UUID_STR_LEN + 1] = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++)
        if (uuid_v4(mine[i]))
            return arg; /* failure */
    return NULL;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_uuid_shape_and_no_repeats(void **state)
{
    pthread_t t[THREADS];
    void *res;
    size_t i;

    (void)state;
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, make, ids[i * PER_THREAD]), 0);
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    for (i = 0; i < THREADS * PER_THREAD; i++)
        assert_v4(ids[i]);
    qsort(ids, THREADS * PER_THREAD, sizeof ids[0], by_text);
    for (i = 1; i < THREADS * PER_THREAD; i++)
        assert_int_not_equal(strcmp(ids[i - 1], ids[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_shape_and_no_repeats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
