/*
 * tests/unit/test_core_secret.c - owner-only secret files: created once, 0600, then reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/secret.h"

#include <cmocka.h>

static void test_secret_is_created_owner_only_and_reused(void **state)
{
    char dir[] = "/tmp/cmpd-secret-XXXXXX";
    char path[64];
    unsigned char a[32];
    unsigned char b[32];
    struct cmp_error err = {0};
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k", dir);
    assert_int_equal(secret_load_or_create(path, a, sizeof a, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    assert_int_equal(secret_load_or_create(path, b, sizeof b, &err), 0);
    assert_memory_equal(a, b, sizeof a);
    /* A secret of another size is an error, never silently replaced. */
    assert_int_equal(secret_load_or_create(path, b, 16, &err), CMP_EIO);
    unlink(path);
    rmdir(dir);
}

static void test_secret_in_a_missing_directory_fails(void **state)
{
    unsigned char a[32];
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(secret_load_or_create("/nonexistent-dir/k", a, sizeof a, &err), CMP_EIO);
    assert_true(err.msg[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_is_created_owner_only_and_reused),
        cmocka_unit_test(test_secret_in_a_missing_directory_fails),
    };

    return cmocka_run_group_tests_name("core_secret", tests, NULL, NULL);
}
