/* test_util.c: unit tests of src/util: lode_err (err.c), the arena with fault injection
 * (arena.c), lode_buf and whole-file read and atomic write (buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lode/arena.h"
#include "lode/buf.h"
#include "lode/err.h"

/* ---- err ---------------------------------------------------------------------------------- */

static void test_lode_err_set_fills_all(void **state)
{
    lode_err e;
    lode_status st;
    (void)state;
    memset(&e, 0x55, sizeof e);
    st = LODE_FAIL(&e, LODE_EINPUT, "data/trade.csv", 214, "tonnes",
                   "expected a number, got \"%s\"", "12,5");
    assert_int_equal(st, LODE_EINPUT);
    assert_int_equal(e.code, LODE_EINPUT);
    assert_string_equal(e.path, "data/trade.csv");
    assert_int_equal(e.line, 214);
    assert_int_equal(e.column, 0);
    assert_string_equal(e.field, "tonnes");
    assert_string_equal(e.msg, "expected a number, got \"12,5\"");
    assert_non_null(e.src);
    assert_true(strstr(e.src, "test_util.c") != NULL);
    assert_true(e.src_line > 0);
}

static void test_lode_err_set_null_err(void **state)
{
    (void)state;
    assert_int_equal(LODE_FAIL(NULL, LODE_EIO, "x", 1, "f", "boom %d", 1), LODE_EIO);
}

static void test_lode_err_set_null_strings(void **state)
{
    lode_err e;
    (void)state;
    memset(&e, 0x55, sizeof e);
    LODE_FAIL(&e, LODE_EUSAGE, NULL, 0, NULL, "%s", "bad flag");
    assert_string_equal(e.path, "");
    assert_string_equal(e.field, "");
    assert_string_equal(e.msg, "bad flag");
}

static void test_lode_err_set_truncates(void **state)
{
    char longs[1000];
    lode_err e;
    (void)state;
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    LODE_FAIL(&e, LODE_EINPUT, longs, 1, longs, "%s", longs);
    assert_int_equal(strlen(e.path), sizeof e.path - 1);
    assert_int_equal(strlen(e.field), sizeof e.field - 1);
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
}

static void test_lode_err_fmt_full(void **state)
{
    lode_err e;
    char buf[512];
    (void)state;
    LODE_FAIL(&e, LODE_EINPUT, "data/trade.csv", 214, "tonnes", "expected a number, got \"12,5\"");
    e.column = 5;
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf),
                        "data/trade.csv:214:5: field 'tonnes': expected a number, got \"12,5\"");
}

static void test_lode_err_fmt_omits_parts(void **state)
{
    lode_err e;
    char buf[512];
    (void)state;
    LODE_FAIL(&e, LODE_EINPUT, "p.csv", 3, "", "bad");
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf), "p.csv:3: bad");
    LODE_FAIL(&e, LODE_EINPUT, "p.csv", 0, "f", "bad");
    e.column = 7; /* a column without a line is not printed */
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf), "p.csv: field 'f': bad");
    LODE_FAIL(&e, LODE_EINPUT, "", 9, "resources[0].name", "missing");
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf), "field 'resources[0].name': missing");
    LODE_FAIL(&e, LODE_EIO, "", 0, "", "out of memory");
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf), "out of memory");
    assert_string_equal(lode_err_fmt(NULL, buf, sizeof buf), "");
}

static void test_lode_err_fmt_truncates(void **state)
{
    lode_err e;
    char buf[12];
    (void)state;
    memset(buf, 'Z', sizeof buf);
    LODE_FAIL(&e, LODE_EINPUT, "data/trade.csv", 214, "tonnes", "x");
    assert_string_equal(lode_err_fmt(&e, buf, sizeof buf), "data/trade.");
    assert_string_equal(lode_err_fmt(&e, buf, 1), "");
}

static void test_lode_status_str_all(void **state)
{
    (void)state;
    assert_string_equal(lode_status_str(LODE_OK), "ok");
    assert_string_equal(lode_status_str(LODE_EUSAGE), "usage error");
    assert_string_equal(lode_status_str(LODE_EINPUT), "bad input");
    assert_string_equal(lode_status_str(LODE_ENOSOLN), "no solution");
    assert_string_equal(lode_status_str(LODE_EIO), "i/o error");
}

/* ---- arena -------------------------------------------------------------------------------- */

static int all_zero(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

static void test_lode_arena_alloc_aligned_zeroed(void **state)
{
    lode_arena *a = lode_arena_new();
    size_t sizes[] = {1, 3, 16, 17, 100, 5000, 20000, 70000, 1, 7};
    unsigned char *p[10];
    size_t i, j;
    (void)state;
    assert_non_null(a);
    for (i = 0; i < 10; i++) {
        p[i] = lode_arena_alloc(a, sizes[i]);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        assert_true(all_zero(p[i], sizes[i]));
        memset(p[i], (int)i + 1, sizes[i]);
    }
    /* no two allocations overlap: each still holds its own fill */
    for (i = 0; i < 10; i++)
        for (j = 0; j < sizes[i]; j++)
            assert_int_equal(p[i][j], i + 1);
    lode_arena_free(a);
}

static void test_lode_arena_alloc_big_own_chunk(void **state)
{
    lode_arena *a = lode_arena_new();
    unsigned char *small1, *big, *small2;
    (void)state;
    small1 = lode_arena_alloc(a, 32);
    big = lode_arena_alloc(a, 1 << 20);
    small2 = lode_arena_alloc(a, 32);
    assert_non_null(small1);
    assert_non_null(big);
    assert_non_null(small2);
    assert_true(all_zero(big, 1 << 20));
    /* the big block did not retire the small-object chunk: small2 follows small1 */
    assert_ptr_equal(small2, small1 + 32);
    lode_arena_free(a);
}

static void test_lode_arena_alloc_zero_size(void **state)
{
    lode_arena *a = lode_arena_new();
    void *p, *q;
    (void)state;
    p = lode_arena_alloc(a, 0);
    q = lode_arena_alloc(a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    assert_null(lode_arena_alloc(NULL, 8));
    lode_arena_free(a);
}

static void test_lode_arena_alloc_overflow(void **state)
{
    lode_arena *a = lode_arena_new();
    (void)state;
    assert_null(lode_arena_alloc(a, SIZE_MAX));
    assert_null(lode_arena_alloc(a, SIZE_MAX - 8));
    assert_null(lode_arena_calloc(a, SIZE_MAX / 2, 3));
    assert_null(lode_arena_calloc(a, 3, SIZE_MAX / 2));
    assert_non_null(lode_arena_calloc(a, 10, 8));
    assert_non_null(lode_arena_calloc(a, 0, 8));
    lode_arena_free(a);
}

static void test_lode_arena_strdup_copies(void **state)
{
    lode_arena *a = lode_arena_new();
    char src[] = "lithium";
    char *d;
    (void)state;
    d = lode_arena_strdup(a, src);
    assert_string_equal(d, "lithium");
    assert_ptr_not_equal(d, src);
    src[0] = 'L';
    assert_string_equal(d, "lithium");
    assert_string_equal(lode_arena_strdup(a, NULL), "");
    assert_string_equal(lode_arena_strdup(a, ""), "");
    lode_arena_free(a);
}

static void test_lode_arena_strndup_bounds(void **state)
{
    lode_arena *a = lode_arena_new();
    (void)state;
    assert_string_equal(lode_arena_strndup(a, "cobalt", 3), "cob");
    assert_string_equal(lode_arena_strndup(a, "cobalt", 100), "cobalt");
    assert_string_equal(lode_arena_strndup(a, "co\0balt", 7), "co");
    assert_string_equal(lode_arena_strndup(a, NULL, 5), "");
    assert_string_equal(lode_arena_strndup(a, "x", 0), "");
    lode_arena_free(a);
}

static void test_lode_arena_used_counts(void **state)
{
    lode_arena *a = lode_arena_new();
    (void)state;
    assert_int_equal(lode_arena_used(a), 0);
    lode_arena_alloc(a, 1);
    assert_int_equal(lode_arena_used(a), 16);
    lode_arena_alloc(a, 17);
    assert_int_equal(lode_arena_used(a), 48);
    lode_arena_alloc(a, 100000);
    assert_int_equal(lode_arena_used(a), 48 + 100000);
    assert_int_equal(lode_arena_used(NULL), 0);
    lode_arena_free(a);
}

static void test_lode_arena_free_null(void **state)
{
    (void)state;
    lode_arena_free(NULL);
}

static void test_lode_arena_fail_after_nth(void **state)
{
    lode_arena *a = lode_arena_new();
    (void)state;
    lode_arena_fail_after(a, 3);
    assert_non_null(lode_arena_alloc(a, 8));
    assert_non_null(lode_arena_strdup(a, "x"));
    assert_null(lode_arena_calloc(a, 2, 8));
    assert_non_null(lode_arena_alloc(a, 8)); /* one-shot: later allocations succeed */
    lode_arena_fail_after(a, 1);
    assert_null(lode_arena_strndup(a, "abc", 2));
    lode_arena_fail_after(a, 2);
    lode_arena_fail_after(a, 0); /* off again */
    assert_non_null(lode_arena_alloc(a, 8));
    assert_non_null(lode_arena_alloc(a, 8));
    lode_arena_fail_after(NULL, 1);
    lode_arena_free(a);
}

/* A small "builder" in the way library code uses an arena: n strings into an array, stopping
 * with LODE_EIO at the first failed allocation. */
static lode_status build_list(lode_arena *a, size_t n, char ***out, lode_err *err)
{
    char **v = lode_arena_calloc(a, n, sizeof *v);
    char name[16];
    size_t i;
    if (v == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof name, "m%zu", i);
        v[i] = lode_arena_strdup(a, name);
        if (v[i] == NULL)
            return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    }
    *out = v;
    return LODE_OK;
}

/* Fail each allocation in turn (SQLite's fault-injection loop): every N gives a clean
 * LODE_EIO, and N past the last allocation succeeds. ASan checks nothing leaks. */
static void test_lode_arena_fail_after_every_n(void **state)
{
    lode_arena *a;
    lode_err e;
    char **v = NULL;
    long n;
    int ok = 0;
    (void)state;
    for (n = 1; n <= 20 && !ok; n++) {
        a = lode_arena_new();
        lode_arena_fail_after(a, n);
        if (build_list(a, 10, &v, &e) == LODE_OK) {
            ok = 1;
            assert_int_equal(n, 12); /* 11 allocations: the 12th countdown never fires */
            assert_string_equal(v[9], "m9");
        } else {
            assert_int_equal(e.code, LODE_EIO);
            assert_string_equal(e.msg, "out of memory");
        }
        lode_arena_free(a);
    }
    assert_true(ok);
}

/* ---- buf ---------------------------------------------------------------------------------- */

static void test_lode_buf_add_and_puts(void **state)
{
    lode_buf b = LODE_BUF_INIT;
    (void)state;
    lode_buf_add(&b, "ab\0cd", 5);
    lode_buf_puts(&b, "ef");
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "ab\0cdef", 8);
    assert_int_equal(b.oom, 0);
    lode_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    lode_buf_free(NULL);
}

static void test_lode_buf_printf_grows(void **state)
{
    lode_buf b = LODE_BUF_INIT;
    char big[3000];
    size_t i;
    (void)state;
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lode_buf_printf(&b, "%d-%s", 42, "x");
    assert_string_equal(b.data, "42-x");
    lode_buf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 4 + 2 + sizeof big - 1);
    assert_int_equal(b.data[4], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    for (i = 0; i < 1000; i++)
        lode_buf_printf(&b, "%zu,", i);
    assert_int_equal(strncmp(b.data + b.len - 4, "999,", 4), 0);
    lode_buf_free(&b);
}

static void test_lode_buf_oom_drops(void **state)
{
    lode_buf b = LODE_BUF_INIT;
    (void)state;
    lode_buf_puts(&b, "keep");
    b.oom = 1;
    lode_buf_puts(&b, "drop");
    lode_buf_printf(&b, "%s", "drop");
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    lode_buf_free(&b);
}

/* ---- files -------------------------------------------------------------------------------- */

static int make_tmpdir(void **state)
{
    char *dir = malloc(64);
    if (dir == NULL)
        return -1;
    strcpy(dir, "/tmp/lode_test_util_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int remove_tmpdir(void **state)
{
    char *dir = *state;
    char cmd[128];
    int rc;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    rc = system(cmd);
    free(dir);
    return rc == 0 ? 0 : -1;
}

/* Number of entries in dir whose name contains ".tmp." */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    int n = 0;
    assert_non_null(d);
    for (ent = readdir(d); ent != NULL; ent = readdir(d))
        if (strstr(ent->d_name, ".tmp.") != NULL)
            n++;
    closedir(d);
    return n;
}

static void test_lode_file_write_read_roundtrip(void **state)
{
    const char *dir = *state;
    char path[256];
    const char data[] = "a,b\n1,\"x\0y\"\n";
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(lode_file_write(path, data, sizeof data - 1, &e), LODE_OK);
    assert_int_equal(lode_file_read(path, &b, &e), LODE_OK);
    assert_int_equal(b.len, sizeof data - 1);
    assert_memory_equal(b.data, data, sizeof data - 1);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(count_temps(dir), 0);
    lode_buf_free(&b);
}

static void test_lode_file_write_replaces(void **state)
{
    const char *dir = *state;
    char path[256];
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    snprintf(path, sizeof path, "%s/r.txt", dir);
    assert_int_equal(lode_file_write(path, "old old old\n", 12, &e), LODE_OK);
    assert_int_equal(lode_file_write(path, "new\n", 4, &e), LODE_OK);
    assert_int_equal(lode_file_read(path, &b, &e), LODE_OK);
    assert_string_equal(b.data, "new\n");
    assert_int_equal(lode_file_write(path, "", 0, &e), LODE_OK);
    assert_int_equal(lode_file_read(path, &b, &e), LODE_OK);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_int_equal(count_temps(dir), 0);
    lode_buf_free(&b);
}

static void test_lode_file_write_no_dir(void **state)
{
    const char *dir = *state;
    char path[256];
    lode_err e;
    snprintf(path, sizeof path, "%s/missing/out.csv", dir);
    assert_int_equal(lode_file_write(path, "x", 1, &e), LODE_EIO);
    assert_string_equal(e.path, path);
    assert_true(strncmp(e.msg, "cannot write: ", 14) == 0);
    assert_int_equal(count_temps(dir), 0);
}

/* The rename fails (the target is a non-empty directory): the temporary file is removed and
 * the target is untouched. */
static void test_lode_file_write_rename_fails_cleans_up(void **state)
{
    const char *dir = *state;
    char path[256], inner[300];
    struct stat sb;
    lode_err e;
    snprintf(path, sizeof path, "%s/target", dir);
    snprintf(inner, sizeof inner, "%s/keep", path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(lode_file_write(inner, "k", 1, &e), LODE_OK);
    assert_int_equal(lode_file_write(path, "data", 4, &e), LODE_EIO);
    assert_true(strncmp(e.msg, "cannot rename into place: ", 26) == 0);
    assert_int_equal(count_temps(dir), 0);
    assert_int_equal(stat(inner, &sb), 0);
}

static void test_lode_file_read_missing(void **state)
{
    const char *dir = *state;
    char path[256];
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    snprintf(path, sizeof path, "%s/nope.csv", dir);
    assert_int_equal(lode_file_read(path, &b, &e), LODE_EIO);
    assert_int_equal(e.code, LODE_EIO);
    assert_string_equal(e.path, path);
    assert_string_equal(e.msg, "cannot read: No such file or directory");
    assert_int_equal(lode_file_read(path, &b, NULL), LODE_EIO);
    lode_buf_free(&b);
}

static void test_lode_file_read_directory(void **state)
{
    const char *dir = *state;
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    assert_int_equal(lode_file_read(dir, &b, &e), LODE_EIO);
    assert_true(strncmp(e.msg, "cannot read: ", 13) == 0);
    lode_buf_free(&b);
}

static void test_lode_file_read_large(void **state)
{
    const char *dir = *state;
    char path[256];
    lode_buf w = LODE_BUF_INIT, r = LODE_BUF_INIT;
    lode_err e;
    size_t i;
    snprintf(path, sizeof path, "%s/large.bin", dir);
    for (i = 0; i < 300000; i++)
        lode_buf_printf(&w, "%zu\n", i * 7919);
    assert_int_equal(lode_file_write(path, w.data, w.len, &e), LODE_OK);
    assert_int_equal(lode_file_read(path, &r, &e), LODE_OK);
    assert_int_equal(r.len, w.len);
    assert_memory_equal(r.data, w.data, w.len);
    lode_buf_free(&w);
    lode_buf_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_err_set_fills_all),
        cmocka_unit_test(test_lode_err_set_null_err),
        cmocka_unit_test(test_lode_err_set_null_strings),
        cmocka_unit_test(test_lode_err_set_truncates),
        cmocka_unit_test(test_lode_err_fmt_full),
        cmocka_unit_test(test_lode_err_fmt_omits_parts),
        cmocka_unit_test(test_lode_err_fmt_truncates),
        cmocka_unit_test(test_lode_status_str_all),
        cmocka_unit_test(test_lode_arena_alloc_aligned_zeroed),
        cmocka_unit_test(test_lode_arena_alloc_big_own_chunk),
        cmocka_unit_test(test_lode_arena_alloc_zero_size),
        cmocka_unit_test(test_lode_arena_alloc_overflow),
        cmocka_unit_test(test_lode_arena_strdup_copies),
        cmocka_unit_test(test_lode_arena_strndup_bounds),
        cmocka_unit_test(test_lode_arena_used_counts),
        cmocka_unit_test(test_lode_arena_free_null),
        cmocka_unit_test(test_lode_arena_fail_after_nth),
        cmocka_unit_test(test_lode_arena_fail_after_every_n),
        cmocka_unit_test(test_lode_buf_add_and_puts),
        cmocka_unit_test(test_lode_buf_printf_grows),
        cmocka_unit_test(test_lode_buf_oom_drops),
        cmocka_unit_test_setup_teardown(test_lode_file_write_read_roundtrip, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_write_replaces, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_write_no_dir, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_write_rename_fails_cleans_up, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_read_missing, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_read_directory, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_lode_file_read_large, make_tmpdir, remove_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
