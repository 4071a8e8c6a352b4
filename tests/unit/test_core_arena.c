/*
 * tests/unit/test_core_arena.c - core/arena.c: the region allocator and its deferred cleanups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static int setup(void **state)
{
    *state = arena_new(256);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static void test_arena_aligns_every_allocation(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 7, 8, 15, 16, 17, 31, 100, 255, 256, 257, 1000, 5000};
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = arena_alloc(a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xa5, sizes[i]); /* ASan reports any overlap or overrun */
    }
}

static void test_arena_allocations_do_not_overlap(void **state)
{
    struct arena *a = *state;
    unsigned char *p[200];
    size_t i;
    size_t k;

    for (i = 0; i < 200; i++) {
        size_t n = 1 + i * 7 % 300;
        p[i] = arena_alloc(a, n);
        assert_non_null(p[i]);
        memset(p[i], (int)i, n);
    }
    for (i = 0; i < 200; i++)
        for (k = 0; k < 1 + i * 7 % 300; k++)
            assert_int_equal(p[i][k], (unsigned char)i);
}

static void test_arena_zero_size_allocations_are_distinct(void **state)
{
    struct arena *a = *state;
    void *x = arena_alloc(a, 0);
    void *y = arena_alloc(a, 0);

    assert_non_null(x);
    assert_non_null(y);
    assert_ptr_not_equal(x, y);
}

static void test_arena_oversized_block_keeps_the_current_chunk(void **state)
{
    struct arena *a = *state;
    char *small1 = arena_alloc(a, 16);
    char *big = arena_alloc(a, 100000);
    char *small2 = arena_alloc(a, 16);

    assert_non_null(small1);
    assert_non_null(big);
    memset(big, 1, 100000);
    /* The next small block comes from the same chunk as the first. */
    assert_ptr_equal(small2, small1 + 16);
}

static void test_arena_refuses_impossible_sizes(void **state)
{
    struct arena *a = *state;

    assert_null(arena_alloc(a, SIZE_MAX));
    assert_null(arena_alloc(a, SIZE_MAX - 8));
    assert_null(arena_calloc(a, SIZE_MAX / 2, 3));
    assert_null(arena_calloc(a, 2, SIZE_MAX / 2 + 1));
    assert_null(arena_strndup(a, "x", SIZE_MAX));
    /* Still usable afterwards. */
    assert_non_null(arena_alloc(a, 10));
}

static void test_arena_calloc_zeroes(void **state)
{
    struct arena *a = *state;
    unsigned char *p;
    size_t i;

    /* Neighbouring memory is dirty; the zeroed block must not be. */
    p = arena_alloc(a, 64);
    memset(p, 0xff, 64);
    p = arena_calloc(a, 50, 4);
    assert_non_null(p);
    for (i = 0; i < 200; i++)
        assert_int_equal(p[i], 0);
    assert_non_null(arena_calloc(a, 0, 8));
}

static void test_arena_copies_strings(void **state)
{
    struct arena *a = *state;
    const char src[] = "ab\0cd";
    char *s = arena_strndup(a, src, 5);

    assert_non_null(s);
    assert_memory_equal(s, src, 5);
    assert_int_equal(s[5], '\0');
    s = arena_strndup(a, "xyz", 2);
    assert_string_equal(s, "xy");
    s = arena_strndup(a, NULL, 0);
    assert_string_equal(s, "");
    assert_string_equal(arena_strdup(a, "hello"), "hello");
    assert_null(arena_strdup(a, NULL));
    assert_string_equal(arena_sprintf(a, "%s-%d-%05.1f", "x", -3, 2.25), "x--3-002.2");
    assert_string_equal(arena_sprintf(a, "%s", ""), "");
}

static void test_arena_counts_bytes_handed_out(void **state)
{
    struct arena *a = *state;
    size_t before = arena_used(a);

    assert_non_null(arena_alloc(a, 10));
    assert_true(arena_used(a) >= before + 10);
}

struct trace {
    char order[8];
    int n;
};

static void note_a(void *arg)
{
    struct trace *t = arg;
    t->order[t->n++] = 'a';
}

static void note_b(void *arg)
{
    struct trace *t = arg;
    t->order[t->n++] = 'b';
}

static void test_arena_runs_cleanups_newest_first(void **state)
{
    struct arena *a = arena_new(0);
    struct trace t = {{0}, 0};

    (void)state;
    assert_non_null(a);
    assert_int_equal(arena_defer(a, note_a, &t), 0);
    assert_int_equal(arena_defer(a, note_b, &t), 0);
    assert_int_equal(arena_defer(a, note_a, &t), 0);
    assert_int_equal(t.n, 0);
    arena_free(a);
    assert_string_equal(t.order, "aba");
    arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arena_aligns_every_allocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_allocations_do_not_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_zero_size_allocations_are_distinct, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_arena_oversized_block_keeps_the_current_chunk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_arena_refuses_impossible_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_calloc_zeroes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_copies_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_counts_bytes_handed_out, setup, teardown),
        cmocka_unit_test(test_arena_runs_cleanups_newest_first),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
