/*
 * tests/unit/test_core_file.c - atomic owner-only files and private directories.
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
#include "core/file.h"

#include <cmocka.h>

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_write_atomic_creates_with_the_mode_and_no_leftovers(void **state)
{
    char dir[] = "/tmp/cmpd-file-XXXXXX";
    char path[64];
    char cmd[96];
    struct cmp_error err = {0};
    struct stat st;
    bool existed = true;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.pem", dir);
    assert_int_equal(file_write_atomic(path, "one", 3, 0600, false, &existed, &err), 0);
    assert_false(existed);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_string_equal(slurp(path), "one");
    /* Without replace, an existing file is kept and reported. */
    assert_int_equal(file_write_atomic(path, "two", 3, 0600, false, &existed, &err), 0);
    assert_true(existed);
    assert_string_equal(slurp(path), "one");
    /* With replace, it is swapped atomically. */
    assert_int_equal(file_write_atomic(path, "three", 5, 0644, true, NULL, &err), 0);
    assert_string_equal(slurp(path), "three");
    /* No temporary file is left behind. */
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_write_atomic_into_a_missing_directory_fails_clearly(void **state)
{
    struct cmp_error err = {0};

    (void)state;
    assert_int_equal(file_write_atomic("/nonexistent-cmpd/x", "a", 1, 0600, true, NULL, &err),
                     CMP_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-cmpd/x"));
}

static void test_ensure_dir_creates_0700_and_narrows_on_request(void **state)
{
    char dir[] = "/tmp/cmpd-dir-XXXXXX";
    char sub[64];
    char file[64];
    struct cmp_error err = {0};
    struct stat st;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/keys", dir);
    assert_int_equal(file_ensure_dir(sub, false, &err), 0);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(chmod(sub, 0755), 0);
    assert_int_equal(file_ensure_dir(sub, false, &err), 0);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    assert_int_equal(file_ensure_dir(sub, true, &err), 0);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* A plain file where the directory should be is an error. */
    snprintf(file, sizeof file, "%s/plain", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(file_ensure_dir(file, false, &err), CMP_EIO);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_atomic_creates_with_the_mode_and_no_leftovers),
        cmocka_unit_test(test_write_atomic_into_a_missing_directory_fails_clearly),
        cmocka_unit_test(test_ensure_dir_creates_0700_and_narrows_on_request),
    };

    return cmocka_run_group_tests_name("core_file", tests, NULL, NULL);
}
