/* test_lp_cbc.c: the CBC backend of lp.h (src/engines/lp_cbc.c) on models whose answers are
 * worked out by hand in the comments: a 0/1 knapsack whose LP relaxation is fractional, an LP
 * with a vertex optimum, infeasible models (the relaxation infeasible, and only the integers),
 * an unbounded LP, and the row families kept for tracing infeasibility. Each case is skipped
 * when the build has no CBC (lode_lp_solve says LODE_EUSAGE). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engines/lp.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Solve with CBC, or skip the test when CBC was not built in. */
static lode_status solve(const lode_lp *lp, lode_lp_solution *s)
{
    lode_lp_opts o = {0, 0, 0};
    lode_err err = {0};
    lode_status st = lode_lp_solve(lp, LODE_LP_CBC, &o, s, &err);
    if (st == LODE_EUSAGE && strstr(err.msg, "not built in")) {
        print_message("cbc not built in: %s\n", err.msg);
        skip();
    }
    return st;
}

/* 1. Knapsack, capacity 10: items (value, weight) A (10, 5), B (13, 6), C (7, 3), D (8, 4).
 * Pairs that fit: A+C 17 (w 8), A+D 18 (9), B+C 20 (9), B+D 21 (10), C+D 15 (7); no three fit
 * (the lightest three weigh 12). Optimum B+D = 21. The LP relaxation takes by value/weight C
 * (2.33), B (2.17), then 1/5 of A or 1/4 of D (2.0 each): 7 + 13 + 2 = 22, so CBC must close a
 * gap of 1 by branching or cuts. Minimising -value: objective -21. */
static void test_lode_lp_solve_cbc_knapsack(void **state)
{
    (void)state;
    const double v[4] = {10, 13, 7, 8}, w[4] = {5, 6, 3, 4};
    lode_lp *lp = lode_lp_new();
    assert_non_null(lp);
    long cols[4];
    for (int j = 0; j < 4; j++) {
        cols[j] = lode_lp_add_col(lp, 0, 1, -v[j], 1, NULL);
        assert_int_equal(cols[j], j);
    }
    assert_int_equal(lode_lp_add_row(lp, -LODE_LP_INF, 10, 4, cols, w, 7, "capacity"), 0);
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_OPTIMAL);
    NEAR(s.objective, -21, 1e-9);
    assert_true(s.x[0] == 0 && s.x[1] == 1 && s.x[2] == 0 && s.x[3] == 1);
    NEAR(s.row_act[0], 10, 1e-9);
    assert_null(s.dual); /* CBC's C interface gives no duals */
    assert_true(s.nodes >= 0);
    lode_lp_solution_free(&s);

    /* The same model with the integers relaxed: the LP bound 22 (-22 minimised). */
    lode_lp *rel = lode_lp_new();
    for (int j = 0; j < 4; j++)
        lode_lp_add_col(rel, 0, 1, -v[j], 0, NULL);
    lode_lp_add_row(rel, -LODE_LP_INF, 10, 4, cols, w, 7, "capacity");
    assert_int_equal(solve(rel, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_OPTIMAL);
    NEAR(s.objective, -22, 1e-9);
    lode_lp_solution_free(&s);
    lode_lp_free(rel);
    lode_lp_free(lp);
}

/* 2. LP: min x + y with x + 2y >= 4 and 3x + y >= 6, x, y >= 0. The vertices are (0, 6) -> 6,
 * (4, 0) -> 4 and the crossing x = 8/5, y = 6/5 -> 14/5 = 2.8, the optimum. */
static void test_lode_lp_solve_cbc_lp_vertex(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_add_col(lp, 0, LODE_LP_INF, 1, 0, "x");
    lode_lp_add_col(lp, 0, LODE_LP_INF, 1, 0, "y");
    const long c[2] = {0, 1};
    const double r1[2] = {1, 2}, r2[2] = {3, 1};
    lode_lp_add_row(lp, 4, LODE_LP_INF, 2, c, r1, 0, NULL);
    lode_lp_add_row(lp, 6, LODE_LP_INF, 2, c, r2, 0, NULL);
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_OPTIMAL);
    NEAR(s.objective, 2.8, 1e-9);
    NEAR(s.x[0], 1.6, 1e-9);
    NEAR(s.x[1], 1.2, 1e-9);
    NEAR(s.row_act[0], 4, 1e-9);
    NEAR(s.row_act[1], 6, 1e-9);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

/* 3. Infeasible relaxation: two binaries with x1 + x2 >= 3 (at most 2). */
static void test_lode_lp_solve_cbc_infeasible(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_add_col(lp, 0, 1, -1, 1, NULL);
    lode_lp_add_col(lp, 0, 1, -1, 1, NULL);
    const long c[2] = {0, 1};
    const double one[2] = {1, 1};
    lode_lp_add_row(lp, 3, LODE_LP_INF, 2, c, one, 5, "need three");
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_INFEASIBLE);
    assert_int_equal(lode_lp_row_family(lp, 0), 5);
    assert_string_equal(lode_lp_row_name(lp, 0), "need three");
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

/* 4. Feasible relaxation, infeasible integers: 2x = 1 with x in {0, 1} (x = 1/2 in the LP). */
static void test_lode_lp_solve_cbc_integer_infeasible(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_add_col(lp, 0, 1, 1, 1, NULL);
    const long c[1] = {0};
    const double two[1] = {2};
    lode_lp_add_row(lp, 1, 1, 1, c, two, 0, NULL);
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_INFEASIBLE);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

/* 5. Unbounded LP: min -x with x >= 0 and no row holding it. (CBC calls this "infeasible"
 * without integers; lp_cbc.c tells it apart by the initial solve.) Then the same with a
 * binary column beside it: CBC's own unbounded flag. */
static void test_lode_lp_solve_cbc_unbounded(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_add_col(lp, 0, LODE_LP_INF, -1, 0, NULL);
    lode_lp_add_col(lp, 0, 1, 0, 0, NULL);
    const long c[1] = {1};
    const double one[1] = {1};
    lode_lp_add_row(lp, 0, 1, 1, c, one, 0, NULL);
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_UNBOUNDED);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);

    lp = lode_lp_new();
    lode_lp_add_col(lp, 0, LODE_LP_INF, -1, 0, NULL);
    lode_lp_add_col(lp, 0, 1, 0, 1, NULL);
    lode_lp_add_row(lp, 0, 1, 1, c, one, 0, NULL);
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_UNBOUNDED);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

/* 6. Equality rows, general integers and a free-standing bound: max 5a + 4b (min -5a - 4b)
 * with 6a + 4b <= 24, a + 2b <= 6, a, b integer >= 0. LP optimum a = 3, b = 1.5 (21); the
 * integer points on the frontier: (4, 0) -> 20, (3, 1) -> 19, (2, 2) -> 18: optimum 20. */
static void test_lode_lp_solve_cbc_general_integers(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_add_col(lp, 0, LODE_LP_INF, -5, 1, "a");
    lode_lp_add_col(lp, 0, LODE_LP_INF, -4, 1, "b");
    const long c[2] = {0, 1};
    const double r1[2] = {6, 4}, r2[2] = {1, 2};
    lode_lp_add_row(lp, -LODE_LP_INF, 24, 2, c, r1, 0, NULL);
    lode_lp_add_row(lp, -LODE_LP_INF, 6, 2, c, r2, 0, NULL);
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_int_equal(s.status, LODE_LP_OPTIMAL);
    NEAR(s.objective, -20, 1e-9);
    assert_true(s.x[0] == 4 && s.x[1] == 0);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

/* 7. An empty model (no columns, no rows) is optimal at 0. */
static void test_lode_lp_solve_cbc_empty(void **state)
{
    (void)state;
    lode_lp *lp = lode_lp_new();
    lode_lp_solution s;
    assert_int_equal(solve(lp, &s), LODE_OK);
    assert_true(s.status == LODE_LP_OPTIMAL);
    NEAR(s.objective, 0, 1e-12);
    lode_lp_solution_free(&s);
    lode_lp_free(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_lp_solve_cbc_knapsack),
        cmocka_unit_test(test_lode_lp_solve_cbc_lp_vertex),
        cmocka_unit_test(test_lode_lp_solve_cbc_infeasible),
        cmocka_unit_test(test_lode_lp_solve_cbc_integer_infeasible),
        cmocka_unit_test(test_lode_lp_solve_cbc_unbounded),
        cmocka_unit_test(test_lode_lp_solve_cbc_general_integers),
        cmocka_unit_test(test_lode_lp_solve_cbc_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
