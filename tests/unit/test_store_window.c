/*
 * tests/unit/test_store_window.c - the in-memory sliding windows (store/window.c), on a clock the
 * tests move: exact counts, the window sliding, Retry-After values, dropping expired and surplus
 * keys, many threads at once, and the process-wide windows by name.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/window.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

struct fake_clock {
    int64_t now;
};

static int64_t fake_now(void *arg)
{
    return ((struct fake_clock *)arg)->now;
}

struct fixture {
    struct fake_clock clock;
    struct store__window *w;
};

static int setup(void **state)
{
    static struct fixture f;

    memset(&f, 0, sizeof f);
    f.clock.now = 1000;
    f.w = store__window_new(1024, fake_now, &f.clock);
    if (!f.w)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store__window_free(f->w);
    return 0;
}

/* One take of `name` (limit, window); returns Retry-After (0: admitted). */
static int take1(struct fixture *f, const char *name, uint32_t limit, int window)
{
    struct store_throttle_key k = {name, limit};
    int retry = -1;

    assert_int_equal(store__window_take(f->w, &k, 1, window, &retry), 0);
    return retry;
}

static size_t keys_held(struct store__window *w)
{
    struct store__window_stats st;

    store__window_stats(w, &st);
    return st.keys;
}

/* ---- counting ---- */

static void test_window_admits_exactly_the_limit(void **state)
{
    struct fixture *f = *state;
    int i;

    for (i = 0; i < 5; i++)
        assert_int_equal(take1(f, "k", 5, 20), 0);
    /* All five in the current second: it leaves the window after 20 s. */
    assert_int_equal(take1(f, "k", 5, 20), 20);
    assert_int_equal(take1(f, "k", 5, 20), 20);
    f->clock.now += 19;
    assert_int_equal(take1(f, "k", 5, 20), 1);
    f->clock.now += 1;
    for (i = 0; i < 5; i++)
        assert_int_equal(take1(f, "k", 5, 20), 0);
    assert_int_equal(take1(f, "k", 5, 20), 20);
}

/* Counts spread over seconds leave one second at a time; Retry-After names the first that frees
 * a slot. */
static void test_window_slides_second_by_second(void **state)
{
    struct fixture *f = *state;

    /* t=1000: 2, t=1001: 1, t=1003: 1 (window 4, limit 4). */
    assert_int_equal(take1(f, "k", 4, 4), 0);
    assert_int_equal(take1(f, "k", 4, 4), 0);
    f->clock.now = 1001;
    assert_int_equal(take1(f, "k", 4, 4), 0);
    f->clock.now = 1003;
    assert_int_equal(take1(f, "k", 4, 4), 0);
    /* Window 1000..1003 holds 4: second 1000 leaves at 1004, after 1 s. */
    assert_int_equal(take1(f, "k", 4, 4), 1);
    /* With limit 2 the two of 1000 and the one of 1001 must go: 1005, after 2 s. */
    assert_int_equal(take1(f, "k", 2, 4), 2);
    f->clock.now = 1004;
    /* 1001..1004 holds 1 + 1: two more fit. */
    assert_int_equal(take1(f, "k", 4, 4), 0);
    assert_int_equal(take1(f, "k", 4, 4), 0);
    assert_int_equal(take1(f, "k", 4, 4), 1); /* 1001 leaves at 1005 */
    f->clock.now = 1005;
    assert_int_equal(take1(f, "k", 4, 4), 0);
    /* 1002..1005 holds 0 + 1 + 2 + 1: 1003 leaves at 1007, after 2 s. */
    assert_int_equal(take1(f, "k", 4, 4), 2);
}

/* Waiting what Retry-After says always gets through, whatever the pattern. */
static void test_window_waiting_retry_after_gets_through(void **state)
{
    struct fixture *f = *state;
    uint32_t seed = 12345;
    int admitted = 0;
    int refused = 0;
    int i;

    for (i = 0; i < 5000; i++) {
        int retry;
        seed = seed * 1103515245u + 12345u;
        f->clock.now += (seed >> 16) % 3 == 0 ? 1 : 0;
        retry = take1(f, "k", 7, 5);
        if (!retry) {
            admitted++;
            continue;
        }
        refused++;
        assert_true(retry >= 1 && retry <= 5);
        /* One second less is not enough (nothing else took a slot meanwhile). */
        f->clock.now += retry - 1;
        assert_int_not_equal(take1(f, "k", 7, 5), 0);
        f->clock.now += 1;
        assert_int_equal(take1(f, "k", 7, 5), 0);
        admitted++;
    }
    assert_true(refused > 100);
    assert_true(admitted > 1000);
}

/* Over any `window` consecutive seconds at most `limit` are admitted. */
static void test_window_never_admits_more_than_the_limit_in_any_window(void **state)
{
    struct fixture *f = *state;
    int per_second[400] = {0};
    int start = (int)f->clock.now;
    int s;
    int i;

    for (s = 0; s < 400; s++) {
        f->clock.now = start + s;
        for (i = 0; i < (s % 7) * 3; i++)
            if (take1(f, "k", 10, 6) == 0)
                per_second[s]++;
    }
    for (s = 0; s + 6 <= 400; s++) {
        int sum = 0;
        for (i = 0; i < 6; i++)
            sum += per_second[s + i];
        assert_true(sum <= 10);
    }
}

/* ---- several keys ---- */

static void test_window_refused_take_counts_in_no_key(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key both[2] = {{"full", 1}, {"roomy", 3}};
    int retry = -1;

    assert_int_equal(take1(f, "full", 1, 10), 0);
    assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
    assert_int_equal(retry, 10);
    assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
    assert_int_equal(retry, 10);
    /* "roomy" counted nothing: all three of its slots are free. */
    assert_int_equal(take1(f, "roomy", 3, 10), 0);
    assert_int_equal(take1(f, "roomy", 3, 10), 0);
    assert_int_equal(take1(f, "roomy", 3, 10), 0);
    assert_int_equal(take1(f, "roomy", 3, 10), 10);
}

static void test_window_admitted_take_counts_in_every_key(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key both[2] = {{"a", 5}, {"b", 5}};
    int retry = -1;
    int i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
        assert_int_equal(retry, 0);
    }
    /* Three in each: one more fits under 4 in "a", none under 3 in "b". */
    assert_int_equal(take1(f, "a", 4, 10), 0);
    assert_int_equal(take1(f, "a", 4, 10), 10);
    assert_int_equal(take1(f, "b", 3, 10), 10);
}

/* Retry-After is the longest wait of the full keys. */
static void test_window_retry_after_waits_for_every_full_key(void **state)
{
    struct fixture *f = *state;
    struct store_throttle_key both[2] = {{"early", 1}, {"late", 1}};
    int retry = -1;

    assert_int_equal(take1(f, "early", 1, 10), 0);
    f->clock.now += 6;
    assert_int_equal(take1(f, "late", 1, 10), 0);
    assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
    assert_int_equal(retry, 10); /* "late" frees at +10, "early" at +4 */
    f->clock.now += 4;
    assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
    assert_int_equal(retry, 6);
    f->clock.now += 6;
    assert_int_equal(store__window_take(f->w, both, 2, 10, &retry), 0);
    assert_int_equal(retry, 0);
}

static void test_window_zero_limit_is_neither_checked_nor_held(void **state)
{
    struct fixture *f = *state;
    int i;

    for (i = 0; i < 1000; i++)
        assert_int_equal(take1(f, "free", 0, 10), 0);
    assert_int_equal(keys_held(f->w), 0);
}

static void test_window_another_length_starts_the_key_again(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(take1(f, "k", 1, 10), 0);
    assert_int_equal(take1(f, "k", 1, 10), 10);
    assert_int_equal(take1(f, "k", 1, 5), 0);
    assert_int_equal(take1(f, "k", 1, 5), 5);
    assert_int_equal(keys_held(f->w), 1);
}

/* A clock that goes back (it should not) counts in the newest second seen. */
static void test_window_clock_going_back_counts_in_the_newest_second(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(take1(f, "k", 2, 3), 0);
    f->clock.now -= 100;
    assert_int_equal(take1(f, "k", 2, 3), 0);
    assert_int_equal(take1(f, "k", 2, 3), 3);
    f->clock.now += 103;
    assert_int_equal(take1(f, "k", 2, 3), 0);
}

/* ---- memory ---- */

static void test_window_drops_expired_keys(void **state)
{
    struct fixture *f = *state;
    struct store__window_stats st;
    char name[32];
    int i;

    for (i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "tenant-%d", i);
        assert_int_equal(take1(f, name, 10, 5), 0);
    }
    assert_int_equal(keys_held(f->w), 500);
    f->clock.now += 4; /* not yet expired */
    assert_int_equal(take1(f, "other", 10, 5), 0);
    assert_int_equal(keys_held(f->w), 501);
    f->clock.now += 1;
    /* Each take drops a bounded number; within a few dozen takes all are gone. */
    for (i = 0; i < 40; i++)
        assert_int_equal(take1(f, "busy", 1000, 5), 0);
    store__window_stats(f->w, &st);
    assert_int_equal(st.keys, 2); /* "other" (4 s old) and "busy" */
    assert_int_equal(st.expired, 500);
    assert_int_equal(st.evicted_live, 0);
}

static void test_window_stays_within_max_keys(void **state)
{
    struct fake_clock clock = {50};
    struct store__window *w = store__window_new(64, fake_now, &clock);
    struct store__window_stats st;
    struct store_throttle_key k;
    char name[32];
    int retry;
    int i;

    (void)state;
    assert_non_null(w);
    for (i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, "app-%d", i);
        k = (struct store_throttle_key){name, 3};
        assert_int_equal(store__window_take(w, &k, 1, 20, &retry), 0);
        assert_int_equal(retry, 0);
    }
    store__window_stats(w, &st);
    assert_int_equal(st.keys, 64);
    assert_int_equal(st.evicted_live, 10000 - 64);
    /* The most recent keys are kept with their counts. */
    k = (struct store_throttle_key){"app-9999", 1};
    assert_int_equal(store__window_take(w, &k, 1, 20, &retry), 0);
    assert_int_equal(retry, 20);
    store__window_free(w);
}

/* A take of several new keys in a full table keeps all of them. */
static void test_window_full_table_keeps_the_keys_of_one_take(void **state)
{
    struct fake_clock clock = {50};
    struct store__window *w = store__window_new(1, fake_now, &clock); /* raised to 16 */
    struct store_throttle_key k[STORE_THROTTLE_MAX_KEYS];
    char names[STORE_THROTTLE_MAX_KEYS][16];
    int retry;
    int round;
    size_t i;

    (void)state;
    assert_non_null(w);
    for (round = 0; round < 20; round++) {
        for (i = 0; i < STORE_THROTTLE_MAX_KEYS; i++) {
            snprintf(names[i], sizeof names[i], "r%d-%zu", round, i);
            k[i] = (struct store_throttle_key){names[i], 1};
        }
        assert_int_equal(store__window_take(w, k, STORE_THROTTLE_MAX_KEYS, 20, &retry), 0);
        assert_int_equal(retry, 0);
        assert_int_equal(store__window_take(w, k, STORE_THROTTLE_MAX_KEYS, 20, &retry), 0);
        assert_int_equal(retry, 20);
    }
    store__window_free(w);
}

/* ---- threads ---- */

#define THREADS 8
#define TAKES 2000

struct taker {
    struct store__window *w;
    pthread_barrier_t *start;
    int admitted;
    int failures;
};

static void *taker_main(void *arg)
{
    struct taker *t = arg;
    struct store_throttle_key keys[2] = {{"shared", 5000}, {"tenant", 6000}};
    int i;

    pthread_barrier_wait(t->start);
    for (i = 0; i < TAKES; i++) {
        int retry = -1;
        if (store__window_take(t->w, keys, 2, 20, &retry))
            t->failures++;
        else if (retry == 0)
            t->admitted++;
    }
    return NULL;
}

static void test_window_threads_never_admit_more_than_the_limit(void **state)
{
    struct fixture *f = *state;
    struct taker t[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_t start;
    int total = 0;
    int i;

    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (i = 0; i < THREADS; i++) {
        t[i] = (struct taker){f->w, &start, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, taker_main, &t[i]), 0);
    }
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(t[i].failures, 0);
        total += t[i].admitted;
    }
    assert_int_equal(total, 5000);
    assert_int_equal(take1(f, "tenant", 5001, 20), 0); /* 5000 counted there too */
    assert_int_equal(take1(f, "tenant", 5001, 20), 20);
}

/* ---- process-wide windows ---- */

static void test_window_acquire_shares_by_name(void **state)
{
    struct store__window *a = store__window_acquire("/db/one");
    struct store__window *b = store__window_acquire("/db/one");
    struct store__window *c = store__window_acquire("/db/two");
    struct store_throttle_key k = {"k", 1};
    int retry = -1;

    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_int_equal(store__window_take(a, &k, 1, 20, &retry), 0);
    assert_int_equal(retry, 0);
    assert_int_equal(store__window_take(b, &k, 1, 20, &retry), 0);
    assert_int_equal(retry, 20);
    assert_int_equal(store__window_take(c, &k, 1, 20, &retry), 0);
    assert_int_equal(retry, 0);
    store__window_release(a);
    /* Still held by b: the counts remain. */
    a = store__window_acquire("/db/one");
    assert_ptr_equal(a, b);
    assert_int_equal(store__window_take(a, &k, 1, 20, &retry), 0);
    assert_int_equal(retry, 20);
    store__window_release(a);
    store__window_release(b);
    store__window_release(c);
    /* The last release freed it: a new window starts empty. */
    a = store__window_acquire("/db/one");
    assert_int_equal(keys_held(a), 0);
    store__window_release(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window_admits_exactly_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_slides_second_by_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_waiting_retry_after_gets_through, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_never_admits_more_than_the_limit_in_any_window,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_refused_take_counts_in_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_admitted_take_counts_in_every_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_retry_after_waits_for_every_full_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_zero_limit_is_neither_checked_nor_held, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_another_length_starts_the_key_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_clock_going_back_counts_in_the_newest_second,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_drops_expired_keys, setup, teardown),
        cmocka_unit_test(test_window_stays_within_max_keys),
        cmocka_unit_test(test_window_full_table_keeps_the_keys_of_one_take),
        cmocka_unit_test_setup_teardown(test_window_threads_never_admit_more_than_the_limit, setup,
                                        teardown),
        cmocka_unit_test(test_window_acquire_shares_by_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
