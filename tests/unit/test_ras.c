/* test_ras.c: lode_ras, iterative proportional fitting, against answers worked by hand: the
 * 2x2 closed form (a 2x2 fit keeps the seed's cross-product ratio), one sweep done by hand,
 * the biproportional form r_i a_ij s_j of a 3x3, fixed and zero cells, and every way the
 * targets can be out of reach. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lode/engines.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* 1. All-ones seed: the fit is the independence table r_i c_j / T, reached in one sweep. */
static void test_lode_ras_2x2_ones(void **state)
{
    (void)state;
    const double seed[4] = {1, 1, 1, 1}, rows[2] = {3, 1}, cols[2] = {2, 2};
    double x[4];
    int it = -1;
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-12, 100, x, &it, NULL), LODE_OK);
    NEAR(x[0], 1.5, 1e-12);
    NEAR(x[1], 1.5, 1e-12);
    NEAR(x[2], 0.5, 1e-12);
    NEAR(x[3], 0.5, 1e-12);
    assert_int_equal(it, 1);
}

/* 2. Seed [[1,2],[3,4]] to rows (10,20), columns (15,15). The fit keeps the cross-product
 * ratio x11 x22 / (x12 x21) = 4/6, so with x11 = a: a(5+a) / ((10-a)(15-a)) = 2/3, that is
 * a^2 + 65a - 300 = 0, a = (sqrt(5425) - 65) / 2 = 4.32726... */
static void test_lode_ras_2x2_closed_form(void **state)
{
    (void)state;
    const double seed[4] = {1, 2, 3, 4}, rows[2] = {10, 20}, cols[2] = {15, 15};
    double x[4];
    int it = 0;
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-12, 1000, x, &it, NULL), LODE_OK);
    double a = (sqrt(5425.0) - 65) / 2;
    NEAR(x[0], a, 1e-10);
    NEAR(x[1], 10 - a, 1e-10);
    NEAR(x[2], 15 - a, 1e-10);
    NEAR(x[3], 5 + a, 1e-10);
    assert_true(it > 1);
}

/* 3. The first sweep of test 2 by hand: rows scale by 10/3 and 20/7 to [[10/3, 20/3],
 * [60/7, 80/7]]; columns then by 15/(250/21) and 15/(380/21), giving
 * [[4.2, 105/19], [10.8, 180/19]]. With max_iter 1 the fit is not reached, so x is that first
 * iterate and the status says no convergence. */
static void test_lode_ras_one_sweep_by_hand(void **state)
{
    (void)state;
    const double seed[4] = {1, 2, 3, 4}, rows[2] = {10, 20}, cols[2] = {15, 15};
    double x[4];
    int it = 0;
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-12, 1, x, &it, &err), LODE_ENOSOLN);
    assert_int_equal(it, 1);
    assert_non_null(strstr(err.msg, "no convergence in 1 sweeps"));
    NEAR(x[0], 4.2, 1e-12);
    NEAR(x[1], 105.0 / 19, 1e-12);
    NEAR(x[2], 10.8, 1e-12);
    NEAR(x[3], 180.0 / 19, 1e-12);
}

/* 4. A fit is unique and of the form X = diag(r) A diag(s): build X* that way, hand its
 * margins to lode_ras with seed A, and expect X* back. */
static void test_lode_ras_3x3_biproportional(void **state)
{
    (void)state;
    const double A[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    const double r[3] = {2, 1, 0.5}, s[3] = {1, 3, 0.5};
    double want[9], rows[3] = {0}, cols[3] = {0}, x[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            want[i * 3 + j] = r[i] * A[i * 3 + j] * s[j];
            rows[i] += want[i * 3 + j];
            cols[j] += want[i * 3 + j];
        }
    /* By hand: rows 2*(1+6+1.5)=17, 4+15+3=22, 0.5*(7+24+5)=18; columns 2+4+3.5=9.5,
     * 12+15+12=39, 3+3+2.5=8.5. */
    NEAR(rows[0], 17, 1e-12);
    NEAR(rows[1], 22, 1e-12);
    NEAR(rows[2], 18, 1e-12);
    NEAR(cols[0], 9.5, 1e-12);
    NEAR(cols[1], 39, 1e-12);
    NEAR(cols[2], 8.5, 1e-12);
    int it = 0;
    assert_int_equal(lode_ras(3, 3, A, NULL, rows, cols, 1e-11, 10000, x, &it, NULL), LODE_OK);
    for (int k = 0; k < 9; k++)
        NEAR(x[k], want[k], 1e-9);
}

/* 5. Fixed cells keep their value; the free cells are the fit of the free seed to the targets
 * less the fixed cells; zero seed cells stay zero. x may alias the seed. */
static void test_lode_ras_fixed_and_zero_cells(void **state)
{
    (void)state;
    /* Free part X* = r a s over the free cells, cell (0,2) fixed at 5, cell (1,1) zero. */
    const double A[9] = {1, 2, 9, 4, 0, 6, 7, 8, 10};
    const unsigned char fixed[9] = {0, 0, 1, 0, 0, 0, 0, 0, 0};
    const double r[3] = {2, 1, 0.5}, s[3] = {1, 3, 0.5};
    double want[9], rows[3] = {0}, cols[3] = {0}, x[9];
    for (int k = 0; k < 9; k++) {
        int i = k / 3, j = k % 3;
        want[k] = fixed[k] ? 5 : r[i] * A[k] * s[j];
        rows[i] += want[k];
        cols[j] += want[k];
    }
    memcpy(x, A, sizeof x);
    x[2] = 5; /* the fixed cell's value is its seed value */
    int it = 0;
    assert_int_equal(lode_ras(3, 3, x, fixed, rows, cols, 1e-11, 10000, x, &it, NULL), LODE_OK);
    assert_true(x[2] == 5);
    assert_true(x[4] == 0);
    for (int k = 0; k < 9; k++)
        NEAR(x[k], want[k], 1e-9);
}

/* 6. A seed that already fits takes no sweep; and the sweep count is the least that reaches
 * the tolerance: one fewer fails. */
static void test_lode_ras_convergence_count(void **state)
{
    (void)state;
    const double seed[4] = {1, 2, 3, 4}, rows[2] = {3, 7}, cols[2] = {4, 6};
    double x[4];
    int it = -1;
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 0, 0, x, &it, NULL), LODE_OK);
    assert_int_equal(it, 0);
    assert_memory_equal(x, seed, sizeof x);

    const double rows2[2] = {10, 20}, cols2[2] = {15, 15};
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows2, cols2, 1e-9, 10000, x, &it, NULL), LODE_OK);
    assert_true(it >= 2);
    int need = it;
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows2, cols2, 1e-9, need - 1, x, &it, NULL),
                     LODE_ENOSOLN);
    assert_int_equal(it, need - 1);
    /* A tighter tolerance takes more sweeps. */
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows2, cols2, 1e-12, 10000, x, &it, NULL), LODE_OK);
    assert_true(it > need);
}

/* 7. Row and column targets that total differently. */
static void test_lode_ras_totals_mismatch(void **state)
{
    (void)state;
    const double seed[4] = {1, 1, 1, 1}, rows[2] = {3, 1}, cols[2] = {2, 2.5};
    double x[4];
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-9, 100, x, NULL, &err),
                     LODE_ENOSOLN);
    assert_non_null(strstr(err.msg, "total"));
    /* Within the tolerance it is not an error. */
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 0.6, 100, x, NULL, &err), LODE_OK);
}

/* 8. A positive target with no free positive cell: a zero row, a row whose only cell is
 * fixed, a row whose free cells all lie in columns already met by fixed cells. */
static void test_lode_ras_no_free_cell(void **state)
{
    (void)state;
    double x[4];
    lode_err err;
    memset(&err, 0, sizeof err);
    const double seed[4] = {1, 1, 0, 0}, rows[2] = {1, 1}, cols[2] = {1, 1};
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-9, 100, x, NULL, &err),
                     LODE_ENOSOLN);
    assert_string_equal(err.field, "row");
    assert_int_equal(err.line, 2);

    const double seed2[4] = {1, 0, 1, 1};
    const unsigned char fix2[4] = {1, 0, 0, 0};
    const double rows2[2] = {2, 1}, cols2[2] = {2, 1};
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed2, fix2, rows2, cols2, 1e-9, 100, x, NULL, &err),
                     LODE_ENOSOLN);
    assert_string_equal(err.field, "row");
    assert_int_equal(err.line, 1);

    /* Row 1 needs 10 more; its free cell (1,2) is in column 2, which its fixed cell (2,2)
     * already fills. */
    const double seed3[4] = {30, 1, 1, 50};
    const unsigned char fix3[4] = {1, 0, 0, 1};
    const double rows3[2] = {40, 60}, cols3[2] = {50, 50};
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed3, fix3, rows3, cols3, 1e-9, 100, x, NULL, &err),
                     LODE_ENOSOLN);
    assert_string_equal(err.field, "row");
    assert_int_equal(err.line, 1);
}

/* 9. Fixed cells above a target. */
static void test_lode_ras_fixed_above_target(void **state)
{
    (void)state;
    const double seed[4] = {5, 1, 1, 1}, rows[2] = {4, 4}, cols[2] = {4, 4};
    const unsigned char fixed[4] = {1, 0, 0, 0};
    double x[4];
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed, fixed, rows, cols, 1e-9, 100, x, NULL, &err),
                     LODE_ENOSOLN);
    assert_string_equal(err.field, "row");
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.msg, "fixed"));
}

/* 10. Every target has a positive cell, the totals agree, yet no fit exists: a diagonal seed
 * cannot move mass between rows. RAS oscillates; lode_ras gives up after max_iter. */
static void test_lode_ras_no_convergence(void **state)
{
    (void)state;
    const double seed[4] = {1, 0, 0, 1}, rows[2] = {1, 2}, cols[2] = {2, 1};
    double x[4];
    int it = 0;
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-9, 50, x, &it, &err), LODE_ENOSOLN);
    assert_int_equal(it, 50);
    assert_non_null(strstr(err.msg, "no convergence"));
    assert_true(x[1] == 0 && x[2] == 0);
}

/* 11. Bad arguments and inputs. */
static void test_lode_ras_bad_input(void **state)
{
    (void)state;
    const double seed[4] = {1, -1, 1, 1}, ok[4] = {1, 1, 1, 1}, rows[2] = {2, 2}, cols[2] = {2, 2},
                 nan_rows[2] = {NAN, 2};
    double x[4];
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_ras(2, 2, seed, NULL, rows, cols, 1e-9, 10, x, NULL, &err), LODE_EINPUT);
    assert_int_equal(lode_ras(2, 2, ok, NULL, nan_rows, cols, 1e-9, 10, x, NULL, &err),
                     LODE_EINPUT);
    assert_int_equal(lode_ras(2, 2, ok, NULL, rows, cols, -1, 10, x, NULL, &err), LODE_EUSAGE);
    assert_int_equal(lode_ras(2, 2, ok, NULL, rows, cols, 1e-9, -1, x, NULL, &err), LODE_EUSAGE);
    assert_int_equal(lode_ras(2, 2, NULL, NULL, rows, cols, 1e-9, 10, x, NULL, &err), LODE_EUSAGE);
    /* An empty matrix fits zero targets, and not positive ones. */
    const double zero[1] = {0};
    assert_int_equal(lode_ras(0, 1, NULL, NULL, NULL, zero, 0, 10, NULL, NULL, &err), LODE_OK);
    assert_int_equal(lode_ras(0, 2, NULL, NULL, NULL, cols, 0, 10, NULL, NULL, &err), LODE_ENOSOLN);
}

/* 12. Zero targets: the row and column are emptied, the rest fitted. */
static void test_lode_ras_zero_target(void **state)
{
    (void)state;
    const double seed[6] = {1, 1, 1, 1, 1, 1}, rows[2] = {0, 6}, cols[3] = {1, 2, 3};
    double x[6];
    assert_int_equal(lode_ras(2, 3, seed, NULL, rows, cols, 1e-12, 100, x, NULL, NULL), LODE_OK);
    assert_true(x[0] == 0 && x[1] == 0 && x[2] == 0);
    NEAR(x[3], 1, 1e-12);
    NEAR(x[4], 2, 1e-12);
    NEAR(x[5], 3, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_ras_2x2_ones),
        cmocka_unit_test(test_lode_ras_2x2_closed_form),
        cmocka_unit_test(test_lode_ras_one_sweep_by_hand),
        cmocka_unit_test(test_lode_ras_3x3_biproportional),
        cmocka_unit_test(test_lode_ras_fixed_and_zero_cells),
        cmocka_unit_test(test_lode_ras_convergence_count),
        cmocka_unit_test(test_lode_ras_totals_mismatch),
        cmocka_unit_test(test_lode_ras_no_free_cell),
        cmocka_unit_test(test_lode_ras_fixed_above_target),
        cmocka_unit_test(test_lode_ras_no_convergence),
        cmocka_unit_test(test_lode_ras_bad_input),
        cmocka_unit_test(test_lode_ras_zero_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
