/* test_lp.c: the solver door lp.h and its backends lp_clp.c and lp_glpk.c, on small models
 * whose optima are worked by hand in the comments: every LP is solved by each backend built in
 * and the objectives must agree to 1e-9; infeasible and unbounded models are told apart
 * (including one that is both); integer columns go to GLPK and are refused by CLP. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engines/lp.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))
#define INF LODE_LP_INF

/* The LP backends built in: CLP and GLPK when the build found them. */
static const lode_lp_backend backends[] = {
#ifdef LODE_HAVE_CLP
    LODE_LP_CLP,
#endif
#ifdef LODE_HAVE_GLPK
    LODE_LP_GLPK,
#endif
    LODE_LP_CBC /* sentinel, never used: keeps the array non-empty */
};
static const size_t n_backends = sizeof backends / sizeof backends[0] - 1;

static long row2(lode_lp *lp, double lb, double ub, long c0, double v0, long c1, double v1)
{
    const long cols[2] = {c0, c1};
    const double vals[2] = {v0, v1};
    return lode_lp_add_row(lp, lb, ub, 2, cols, vals, 0, NULL);
}

/* Solve with every backend; each must find status `want`; when optimal, the objective must be
 * obj to 1e-9 and x (n values, if not NULL) to 1e-7. */
static void solve_all(const lode_lp *lp, lode_lp_status want, double obj, const double *x,
                      size_t n)
{
    if (n_backends == 0)
        skip();
    for (size_t b = 0; b < n_backends; b++) {
        lode_lp_solution s;
        lode_err err = {0};
        assert_int_equal(lode_lp_solve(lp, backends[b], NULL, &s, &err), LODE_OK);
        if (s.status != want)
            fprintf(stderr, "%s: status %s, want %s\n", lode_lp_backend_name(backends[b]),
                    lode_lp_status_name(s.status), lode_lp_status_name(want));
        assert_int_equal(s.status, want);
        if (want == LODE_LP_OPTIMAL) {
            NEAR(s.objective, obj, 1e-9 * (1 + fabs(obj)));
            for (size_t j = 0; j < n && x; j++)
                NEAR(s.x[j], x[j], 1e-7);
        }
        lode_lp_solution_free(&s);
    }
}

/* 1. max 3x + 2y s.t. x + y <= 4, x + 3y <= 7, x <= 3. The vertices of the feasible polygon
 * are (0,0), (3,0), (3,1), (2.5,1.5), (0,7/3); 3x + 2y is largest at (3,1): 11 (10.5 at
 * (2.5,1.5)). As a minimum of -3x - 2y: -11. The duals: at (3,1) only the row x + y <= 4 and
 * the bound x <= 3 are tight, y is basic, so the row price of x + y <= 4 is y's cost, -2, and
 * of x + 3y <= 7 zero. */
static void test_lode_lp_solve_textbook(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, 3, -3, 0, "x");
    long y = lode_lp_add_col(lp, 0, INF, -2, 0, "y");
    assert_int_equal(row2(lp, -INF, 4, x, 1, y, 1), 0);
    assert_int_equal(row2(lp, -INF, 7, x, 1, y, 3), 1);
    const double want[2] = {3, 1};
    solve_all(lp, LODE_LP_OPTIMAL, -11, want, 2);
    for (size_t b = 0; b < n_backends; b++) {
        lode_lp_solution s;
        assert_int_equal(lode_lp_solve(lp, backends[b], NULL, &s, NULL), LODE_OK);
        NEAR(s.row_act[0], 4, 1e-9);
        NEAR(s.row_act[1], 6, 1e-9);
        NEAR(s.dual[0], -2, 1e-9);
        NEAR(s.dual[1], 0, 1e-9);
        lode_lp_solution_free(&s);
    }
    lode_lp_free(lp);
}

/* 2. Ranges and >= rows: min 2x + 3y s.t. x + y >= 10, -2 <= x - y <= 2. x is cheaper, so
 * x - y = 2 binds with x + y = 10: x = 6, y = 4, cost 24. */
static void test_lode_lp_solve_range_rows(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, 2, 0, NULL);
    long y = lode_lp_add_col(lp, 0, INF, 3, 0, NULL);
    row2(lp, 10, INF, x, 1, y, 1);
    row2(lp, -2, 2, x, 1, y, -1);
    const double want[2] = {6, 4};
    solve_all(lp, LODE_LP_OPTIMAL, 24, want, 2);
    lode_lp_free(lp);
}

/* 3. Transportation: supplies 20 (A), 30 (B); demands 10, 25, 15; costs A: 8 6 10, B: 9 12 13.
 * B is dearer everywhere except relatively to column 1 (9 vs 8) and column 3 (13 vs 10): the
 * cost differences B - A are 1, 6, 3, so A serves column 2 first (25 > 20: all of A), B the
 * rest: A2 = 20, B1 = 10, B2 = 5, B3 = 15. Cost 120 + 90 + 60 + 195 = 465. */
static void test_lode_lp_solve_transport(void **state)
{
    (void)state;
    static const double cost[2][3] = {{8, 6, 10}, {9, 12, 13}};
    static const double sup[2] = {20, 30}, dem[3] = {10, 25, 15};
    lode_lp *lp = lode_lp_new();
    long c[2][3];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            c[i][j] = lode_lp_add_col(lp, 0, INF, cost[i][j], 0, NULL);
    for (int i = 0; i < 2; i++) {
        const double ones[3] = {1, 1, 1};
        lode_lp_add_row(lp, -INF, sup[i], 3, c[i], ones, 1, "supply");
    }
    for (int j = 0; j < 3; j++)
        row2(lp, dem[j], dem[j], c[0][j], 1, c[1][j], 1);
    const double want[6] = {0, 20, 0, 10, 5, 15};
    solve_all(lp, LODE_LP_OPTIMAL, 465, want, 6);
    assert_int_equal(lode_lp_n_rows(lp), 5);
    assert_int_equal(lode_lp_n_cols(lp), 6);
    assert_int_equal(lode_lp_n_nonzeros(lp), 12);
    assert_int_equal(lode_lp_row_family(lp, 0), 1);
    assert_string_equal(lode_lp_row_name(lp, 1), "supply");
    assert_string_equal(lode_lp_row_name(lp, 4), "");
    lode_lp_free(lp);
}

/* 4. x + y >= 5 and x + y <= 3 cannot both hold. */
static void test_lode_lp_solve_infeasible(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, 1, 0, NULL);
    long y = lode_lp_add_col(lp, 0, INF, 1, 0, NULL);
    row2(lp, 5, INF, x, 1, y, 1);
    row2(lp, -INF, 3, x, 1, y, 1);
    solve_all(lp, LODE_LP_INFEASIBLE, 0, NULL, 0);
    lode_lp_free(lp);
}

/* 5. min -x with x - y <= 1, x, y >= 0: x grows with y without end. */
static void test_lode_lp_solve_unbounded(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, -1, 0, NULL);
    long y = lode_lp_add_col(lp, 0, INF, 0, 0, NULL);
    row2(lp, -INF, 1, x, 1, y, -1);
    solve_all(lp, LODE_LP_UNBOUNDED, 0, NULL, 0);
    lode_lp_free(lp);
}

/* 6. Both at once: min -x over x >= 0 (in no row: unbounded) with y >= 1 and y <= 0 on two
 * rows. No point exists, so it is infeasible, not unbounded, although a simplex may see the
 * unbounded direction first. */
static void test_lode_lp_solve_infeasible_and_unbounded(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, -1, 0, NULL);
    long y = lode_lp_add_col(lp, 0, INF, 0, 0, NULL);
    const double one = 1;
    lode_lp_add_row(lp, 1, INF, 1, &y, &one, 0, NULL);
    lode_lp_add_row(lp, -INF, 0, 1, &y, &one, 0, NULL);
    (void)x;
    solve_all(lp, LODE_LP_INFEASIBLE, 0, NULL, 0);
    lode_lp_free(lp);
}

/* 7. A row naming a column twice means the sum: 1x + 1x >= 3 is 2x >= 3, min x: 1.5. */
static void test_lode_lp_solve_duplicate_entries(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, 1, 0, NULL);
    row2(lp, 3, INF, x, 1, x, 1);
    const double want[1] = {1.5};
    solve_all(lp, LODE_LP_OPTIMAL, 1.5, want, 1);
    lode_lp_free(lp);
}

/* 8. Edge cases: an empty model is optimal at 0; a column with lb > ub is infeasible; a
 * column in no row sits at its cheaper bound (min 2z - w, z in [1, 4], w in [-3, 5]: 2 - 5 =
 * -3). */
static void test_lode_lp_solve_edges(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    solve_all(lp, LODE_LP_OPTIMAL, 0, NULL, 0);
    lode_lp_add_col(lp, 1, 4, 2, 0, NULL);
    lode_lp_add_col(lp, -3, 5, -1, 0, NULL);
    const double want[2] = {1, 5};
    solve_all(lp, LODE_LP_OPTIMAL, -3, want, 2);
    lode_lp_add_col(lp, 2, 1, 0, 0, NULL);
    solve_all(lp, LODE_LP_INFEASIBLE, 0, NULL, 0);
    lode_lp_free(lp);
    /* a row over a column that does not exist is refused */
    lp = lode_lp_new();
    const long bad = 3;
    const double one = 1;
    assert_int_equal(lode_lp_add_row(lp, 0, 1, 1, &bad, &one, 0, NULL), -1);
    lode_lp_free(lp);
}

/* 9. Integer columns: max 5x + 4y s.t. 6x + 4y <= 24, x + 2y <= 6. The LP optimum is (3, 1.5),
 * 21; over the integers the candidates on the boundary are (4, 0): 20, (3, 1): 19, (2, 2): 18,
 * so -20 as a minimum. GLPK solves it; CLP refuses integer columns. */
static void test_lode_lp_solve_integer(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    long x = lode_lp_add_col(lp, 0, INF, -5, 1, NULL);
    long y = lode_lp_add_col(lp, 0, INF, -4, 1, NULL);
    row2(lp, -INF, 24, x, 6, y, 4);
    row2(lp, -INF, 6, x, 1, y, 2);
    lode_lp_solution s;
    lode_err err = {0};
#ifdef LODE_HAVE_GLPK
    assert_int_equal(lode_lp_solve(lp, LODE_LP_GLPK, NULL, &s, &err), LODE_OK);
    assert_int_equal(s.status, LODE_LP_OPTIMAL);
    NEAR(s.objective, -20, 1e-9);
    NEAR(s.x[0], 4, 1e-9);
    NEAR(s.x[1], 0, 1e-9);
    assert_null(s.dual);
    assert_true(s.nodes >= 1);
    lode_lp_solution_free(&s);
#endif
#ifdef LODE_HAVE_CLP
    assert_int_equal(lode_lp_solve(lp, LODE_LP_CLP, NULL, &s, &err), LODE_EUSAGE);
    assert_non_null(strstr(err.msg, "integer"));
#endif
    /* the same model as an LP: 21 at (3, 1.5) */
    lode_lp *rel = lode_lp_new();
    x = lode_lp_add_col(rel, 0, INF, -5, 0, NULL);
    y = lode_lp_add_col(rel, 0, INF, -4, 0, NULL);
    row2(rel, -INF, 24, x, 6, y, 4);
    row2(rel, -INF, 6, x, 1, y, 2);
    const double want[2] = {3, 1.5};
    solve_all(rel, LODE_LP_OPTIMAL, -21, want, 2);
    lode_lp_free(rel);
    lode_lp_free(lp);
}

/* 10. A larger LP from a fixed linear congruential stream: 40 sources x 60 sinks transport
 * with total supply above demand, so it is feasible; CLP and GLPK must agree to 1e-9
 * relative. */
static void test_lode_lp_solve_backends_agree(void **state)
{
    (void)state;
    if (n_backends < 2)
        skip();
    enum { NS = 40, ND = 60 };
    uint64_t r = 12345;
    lode_lp *lp = lode_lp_new();
    long c[NS][ND];
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < ND; j++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            c[i][j] = lode_lp_add_col(lp, 0, INF, 1.0 + (double)(r >> 40) / (double)(1 << 24),
                                      0, NULL);
        }
    double ones[ND];
    for (int j = 0; j < ND; j++)
        ones[j] = 1;
    for (int i = 0; i < NS; i++)
        lode_lp_add_row(lp, -INF, 30, ND, c[i], ones, 0, NULL);
    for (int j = 0; j < ND; j++) {
        long col[NS];
        for (int i = 0; i < NS; i++)
            col[i] = c[i][j];
        lode_lp_add_row(lp, 15, INF, NS, col, ones, 1, NULL);
    }
    double obj[2];
    for (size_t b = 0; b < 2; b++) {
        lode_lp_solution s;
        assert_int_equal(lode_lp_solve(lp, backends[b], NULL, &s, NULL), LODE_OK);
        assert_int_equal(s.status, LODE_LP_OPTIMAL);
        assert_true(s.iterations > 0);
        obj[b] = s.objective;
        lode_lp_solution_free(&s);
    }
    NEAR(obj[0], obj[1], 1e-9 * fabs(obj[0]));
    assert_true(obj[0] >= 15.0 * ND); /* every unit costs at least 1 */
    lode_lp_free(lp);
}

/* 11. A backend that was not built in is a usage error naming it. */
static void test_lode_lp_solve_missing_backend(void **state)
{
    (void)state;
#ifdef LODE_HAVE_CBC
    skip();
#else
    lode_lp *lp = lode_lp_new();
    lode_lp_solution s;
    lode_err err = {0};
    assert_int_equal(lode_lp_solve(lp, LODE_LP_CBC, NULL, &s, &err), LODE_EUSAGE);
    assert_non_null(strstr(err.msg, "cbc"));
    lode_lp_free(lp);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_lp_solve_textbook),
        cmocka_unit_test(test_lode_lp_solve_range_rows),
        cmocka_unit_test(test_lode_lp_solve_transport),
        cmocka_unit_test(test_lode_lp_solve_infeasible),
        cmocka_unit_test(test_lode_lp_solve_unbounded),
        cmocka_unit_test(test_lode_lp_solve_infeasible_and_unbounded),
        cmocka_unit_test(test_lode_lp_solve_duplicate_entries),
        cmocka_unit_test(test_lode_lp_solve_edges),
        cmocka_unit_test(test_lode_lp_solve_integer),
        cmocka_unit_test(test_lode_lp_solve_backends_agree),
        cmocka_unit_test(test_lode_lp_solve_missing_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
