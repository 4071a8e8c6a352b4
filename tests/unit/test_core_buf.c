/*
 * tests/unit/test_core_buf.c - core/buf.c: the capped growable buffer and JSON escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

/* cmocka.h needs setjmp.h, stdarg.h and stddef.h before it. */
#include <cmocka.h>

static void assert_buf(const struct buf *b, const char *want)
{
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->data, want, b->len);
    assert_int_equal(b->data[b->len], '\0');
}

static void test_buf_appends_and_stays_nul_terminated(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 1024);
    assert_null(b.data);
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_puts(&b, "cd"), 0);
    assert_int_equal(buf_putc(&b, 'e'), 0);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_buf(&b, "abcde42-x");
    buf_reset(&b);
    assert_buf(&b, "");
    assert_int_equal(buf_puts(&b, "again"), 0);
    assert_buf(&b, "again");
    buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(buf_puts(&b, "after fini"), 0);
    assert_buf(&b, "after fini");
    buf_fini(&b);
}

static void test_buf_grows_past_its_first_allocation(void **state)
{
    struct buf b;
    char chunk[100];
    int i;

    (void)state;
    memset(chunk, 'z', sizeof chunk);
    buf_init(&b, 100000);
    for (i = 0; i < 1000; i++)
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[99999], 'z');
    buf_fini(&b);
}

static void test_buf_refuses_appends_past_the_cap_unchanged(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "abcdef"), 0);
    assert_int_equal(buf_puts(&b, "ghi"), CMP_ETOOLARGE);
    assert_buf(&b, "abcdef");
    assert_int_equal(buf_printf(&b, "%s", "xyz"), CMP_ETOOLARGE);
    assert_buf(&b, "abcdef");
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), CMP_ETOOLARGE);
    assert_buf(&b, "abcdef");
    assert_int_equal(buf_puts(&b, "gh"), 0); /* exactly the cap */
    assert_buf(&b, "abcdefgh");
    assert_int_equal(buf_putc(&b, 'i'), CMP_ETOOLARGE);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_buf(&b, "abcdefgh");
    buf_fini(&b);
}

static void test_buf_escaped_append_past_the_cap_leaves_the_buffer(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "ab"), 0);
    /* The first characters would fit; the escape that follows would not. */
    assert_int_equal(buf_append_json_escaped(&b, "cd\x01xyz", 6), CMP_ETOOLARGE);
    assert_buf(&b, "ab");
    assert_int_equal(buf_append_json_escaped(&b, "cd\"", 3), 0);
    assert_buf(&b, "abcd\\\"");
    buf_fini(&b);
}

static void test_buf_escapes_json_strings(void **state)
{
    static const struct {
        const char *in;
        size_t n; /* 0: strlen */
        const char *out;
    } cases[] = {
        {"plain", 0, "plain"},
        {"", 0, ""},
        {"\"", 0, "\\\""},
        {"\\", 0, "\\\\"},
        {"a\"b\\c", 0, "a\\\"b\\\\c"},
        {"/", 0, "/"}, /* solidus needs no escape */
        {"\n\r\t\b\f", 0, "\\n\\r\\t\\b\\f"},
        {"\x01\x02\x1f", 0, "\\u0001\\u0002\\u001f"},
        {"\x0b", 0, "\\u000b"},
        {"a\0b", 3, "a\\u0000b"},
        {"\x7f", 0, "\x7f"},
        {" ", 0, " "},
        {"\xc3\xbc \xe6\x97\xa5 \xf0\x9f\x98\x80", 0, "\xc3\xbc \xe6\x97\xa5 \xf0\x9f\x98\x80"},
        {"x\xc3\xbc\"\n", 0, "x\xc3\xbc\\\"\\n"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct buf b;
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
        buf_init(&b, 1024);
        assert_int_equal(buf_puts(&b, "["), 0);
        assert_int_equal(buf_append_json_escaped(&b, cases[i].in, n), 0);
        assert_int_equal(buf_puts(&b, "]"), 0);
        if (b.len != strlen(cases[i].out) + 2 || memcmp(b.data + 1, cases[i].out, b.len - 2) != 0)
            fail_msg("case %zu: got [%s]", i, b.data + 1);
        buf_fini(&b);
    }
}

/* Near its cap a buffer escapes run by run: the same bytes as with room for the worst case. */
static void test_buf_escapes_the_same_near_the_cap(void **state)
{
    char all[255];
    struct buf roomy;
    struct buf tight;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof all; i++)
        all[i] = (char)(i + 1);
    buf_init(&roomy, 1 << 16);
    assert_int_equal(buf_append_json_escaped(&roomy, all, sizeof all), 0);
    assert_int_equal(buf_append_json_escaped(&roomy, "\0", 1), 0);
    /* A cap of exactly the escaped length: the worst case (6 bytes each) never fits. */
    buf_init(&tight, roomy.len);
    assert_int_equal(buf_append_json_escaped(&tight, all, sizeof all), 0);
    assert_int_equal(buf_append_json_escaped(&tight, "\0", 1), 0);
    assert_int_equal(tight.len, roomy.len);
    assert_memory_equal(tight.data, roomy.data, roomy.len);
    assert_int_equal(tight.data[tight.len], '\0');
    buf_fini(&roomy);
    buf_fini(&tight);
}

static void test_buf_reserve_makes_room_within_the_cap(void **state)
{
    struct buf b;
    char *data;

    (void)state;
    buf_init(&b, 1000);
    assert_int_equal(buf_reserve(&b, 600), 0);
    assert_true(b.cap >= 601);
    assert_int_equal(b.len, 0);
    data = b.data;
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_reserve(&b, 597), 0);
    assert_ptr_equal(b.data, data); /* no new allocation */
    assert_int_equal(buf_reserve(&b, 998), CMP_ETOOLARGE);
    assert_int_equal(buf_reserve(&b, 997), 0);
    assert_buf(&b, "abc");
    buf_fini(&b);
}

static void test_buf_steal_hands_over_the_data(void **state)
{
    struct buf b;
    size_t len = 0;
    char *p;

    (void)state;
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "mine"), 0);
    p = buf_steal(&b, &len);
    assert_string_equal(p, "mine");
    assert_int_equal(len, 4);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_puts(&b, "new"), 0);
    assert_buf(&b, "new");
    free(p);
    buf_fini(&b);
    buf_init(&b, 64);
    assert_null(buf_steal(&b, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_appends_and_stays_nul_terminated),
        cmocka_unit_test(test_buf_grows_past_its_first_allocation),
        cmocka_unit_test(test_buf_refuses_appends_past_the_cap_unchanged),
        cmocka_unit_test(test_buf_escaped_append_past_the_cap_leaves_the_buffer),
        cmocka_unit_test(test_buf_escapes_json_strings),
        cmocka_unit_test(test_buf_escapes_the_same_near_the_cap),
        cmocka_unit_test(test_buf_reserve_makes_room_within_the_cap),
        cmocka_unit_test(test_buf_steal_hands_over_the_data),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
