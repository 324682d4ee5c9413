/* test_stockpile.c: lode stockpile. The pooling LP (lode_pool_solve) on hand-made draws with the
 * answers worked by hand in the comments, pooled never above the sum of lone stocks on many
 * random problems, CLP and GLPK agreeing; then the Monte Carlo on the bundled data: pooled at
 * most lone for every material, results the same for any thread count. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lode/plan.h"
#include "lode/sim.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))
#define SCEN_DIR LODE_DATADIR "/../scenarios"

static const lode_solver solvers[] = {LODE_SOLVER_CLP, LODE_SOLVER_GLPK};

/* Four draws of two allies: A needs 10, 0, 5, 20 and B 0, 10, 5, 20. */
static const double need4[8] = {10, 0, 0, 10, 5, 5, 20, 20};

static void late_all(double *late, size_t n_draws, size_t na, double v)
{
    for (size_t r = 0; r < n_draws; r++)
        for (size_t a = 0; a < na; a++)
            for (size_t b = 0; b < na; b++)
                late[(r * na + a) * na + b] = a == b ? 1 : v;
}

/* 1. Confidence 0.75 of 4 draws: the 3rd smallest need. A's needs sorted 0, 5, 10, 20: 10;
 * B's the same: 10; alone 20 t. The lone stocks cover draws 0, 1, 2 (draw 3 needs 20 each). With
 * sharing, the largest total need among them is 10 (each of draws 0, 1, 2), so 10 t pooled, 10 t
 * saved. Where: shipping in the three draws totals 10 + |H_A - 5| for H_A + H_B = 10, so the
 * second stage holds 5 t at each. */
static void test_lode_pool_solve_by_hand(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        double late[4 * 4];
        late_all(late, 4, 2, 1);
        lode_pool_problem p = {2, 4, need4, late};
        lode_arena *a = lode_arena_new();
        lode_pool_result r;
        assert_int_equal(lode_pool_solve(&p, 0.75, solvers[s], a, &r, NULL), LODE_OK);
        NEAR(r.lone_t[0], 10, 0);
        NEAR(r.lone_t[1], 10, 0);
        NEAR(r.lone_total_t, 20, 0);
        NEAR(r.pooled_total_t, 10, 1e-7);
        NEAR(r.pooled_t[0], 5, 1e-6);
        NEAR(r.pooled_t[1], 5, 1e-6);
        assert_int_equal(r.draws_covered, 3);
        assert_int_equal(r.draws_binding, 3); /* none of (10,0), (0,10), (5,5) dominates */
        lode_arena_free(a);
    }
}

/* 2. Lead times: only 20 % of A's need in any draw comes late enough for B's stock. Draw 0 (A
 * needs 10) then wants H_A >= 8; draws 0-2 together still need 10 in all, so pooled stays 10:
 * H = (8, 2), the split that ships least (2 + 8 + 3 = 13 t over the three draws; (9, 1) ships
 * 14, (10, 0) 15). With no late share at all A must hold 10 alone and B 10 for draw 1 less
 * what A can send: B's draws are reachable, so H = (10, 0). */
static void test_lode_pool_solve_lead_times(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        double late[4 * 4];
        late_all(late, 4, 2, 1);
        for (size_t r = 0; r < 4; r++)
            late[(r * 2 + 1) * 2 + 0] = 0.2; /* from B to A */
        lode_pool_problem p = {2, 4, need4, late};
        lode_arena *a = lode_arena_new();
        lode_pool_result r;
        assert_int_equal(lode_pool_solve(&p, 0.75, solvers[s], a, &r, NULL), LODE_OK);
        NEAR(r.pooled_total_t, 10, 1e-7);
        NEAR(r.pooled_t[0], 8, 1e-6);
        NEAR(r.pooled_t[1], 2, 1e-6);
        for (size_t i = 0; i < 4; i++)
            late[(i * 2 + 1) * 2 + 0] = 0;
        assert_int_equal(lode_pool_solve(&p, 0.75, solvers[s], a, &r, NULL), LODE_OK);
        NEAR(r.pooled_total_t, 10, 1e-7);
        NEAR(r.pooled_t[0], 10, 1e-6);
        lode_arena_free(a);
    }
}

/* 3. Confidence 1: the largest need (20 each) and every draw covered; comonotone draws (draw 3
 * dominates the rest) leave nothing to pool: pooled = lone = 40. A confidence outside (0, 1] is
 * a usage error. */
static void test_lode_pool_solve_edges(void **state)
{
    (void)state;
    double late[4 * 4];
    late_all(late, 4, 2, 1);
    lode_pool_problem p = {2, 4, need4, late};
    lode_arena *a = lode_arena_new();
    lode_pool_result r;
    lode_err err = {0};
    assert_int_equal(lode_pool_solve(&p, 1, LODE_SOLVER_CLP, a, &r, &err), LODE_OK);
    NEAR(r.lone_total_t, 40, 0);
    NEAR(r.pooled_total_t, 40, 1e-7);
    assert_int_equal(r.draws_covered, 4);
    assert_int_equal(r.draws_binding, 1);
    assert_int_equal(lode_pool_solve(&p, 0, LODE_SOLVER_CLP, a, &r, &err), LODE_EUSAGE);
    assert_string_equal(err.field, "confidence");
    assert_int_equal(lode_pool_solve(&p, 1.5, LODE_SOLVER_CLP, a, &r, &err), LODE_EUSAGE);
    /* no draws: nothing to hold */
    lode_pool_problem none = {2, 0, NULL, NULL};
    assert_int_equal(lode_pool_solve(&none, 0.95, LODE_SOLVER_CLP, a, &r, &err), LODE_OK);
    NEAR(r.pooled_total_t, 0, 0);
    lode_arena_free(a);
}

/* 4. Pooled never exceeds the sum of lone stocks, and CLP and GLPK agree to 1e-6, on 40 random
 * problems of 3 to 5 allies and 30 draws (needs often zero, late shares random). */
static void test_lode_pool_solve_never_above_lone(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int it = 0; it < 40; it++) {
        size_t na = 3 + (size_t)(it % 3), R = 30;
        double need[30 * 5], late[30 * 25];
        for (size_t i = 0; i < R * na; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            double u = (double)(x >> 11) / 9007199254740992.0;
            need[i] = u < 0.4 ? 0 : 100 * u * u;
        }
        for (size_t i = 0; i < R * na * na; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            late[i] = (double)(x >> 11) / 9007199254740992.0;
        }
        lode_pool_problem p = {na, R, need, late};
        lode_arena *a = lode_arena_new();
        lode_pool_result rc, rg;
        double conf = it % 2 ? 0.9 : 0.95;
        assert_int_equal(lode_pool_solve(&p, conf, LODE_SOLVER_CLP, a, &rc, NULL), LODE_OK);
        assert_int_equal(lode_pool_solve(&p, conf, LODE_SOLVER_GLPK, a, &rg, NULL), LODE_OK);
        assert_true(rc.pooled_total_t <= rc.lone_total_t);
        assert_true(rg.pooled_total_t <= rg.lone_total_t);
        NEAR(rc.pooled_total_t, rg.pooled_total_t, 1e-6 * fmax(1, rc.pooled_total_t));
        for (size_t b = 0; b < na; b++)
            assert_true(rc.pooled_t[b] >= 0);
        lode_arena_free(a);
    }
}

/* 5. Out of memory at every arena allocation: a clean LODE_EIO, then the hand answer. */
static void test_lode_pool_solve_out_of_memory(void **state)
{
    (void)state;
    double late[4 * 4];
    late_all(late, 4, 2, 1);
    lode_pool_problem p = {2, 4, need4, late};
    lode_pool_result r;
    int done = 0;
    for (long n = 1; n < 1000 && !done; n++) {
        lode_arena *a = lode_arena_new();
        lode_arena_fail_after(a, n);
        lode_status st = lode_pool_solve(&p, 0.75, LODE_SOLVER_CLP, a, &r, NULL);
        if (st == LODE_OK) {
            NEAR(r.pooled_total_t, 10, 1e-7);
            done = 1;
        } else {
            assert_int_equal(st, LODE_EIO);
        }
        lode_arena_free(a);
    }
    assert_true(done);
}

/* ---- the bundled data -------------------------------------------------------------------- */

static lode_model *model;

static int load_model(void **state)
{
    (void)state;
    lode_err err = {0};
    if (lode_model_load_dir(LODE_DATADIR, &model, &err) != LODE_OK) {
        fprintf(stderr, "cannot load %s: %s\n", LODE_DATADIR, err.msg);
        return -1;
    }
    return 0;
}

static int free_model(void **state)
{
    (void)state;
    lode_model_free(model);
    return 0;
}

/* 6. Three scenarios, 25 runs each, for the G7: pooled at most lone per material and overall,
 * the totals the sums of the rows, days = tonnes over a day of use, JOGMEC's 60 days found for
 * Japan, and the same numbers with 1 and 3 threads and with GLPK. */
static void test_lode_stockpile_run_bundled(void **state)
{
    (void)state;
    static const char *const names[] = {"china-ree-stop", "japan-2026", "ga-ge-2023"};
    lode_arena *a = lode_arena_new();
    const lode_scenario *sc[3];
    lode_err err = {0};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.json", SCEN_DIR, names[i]);
        lode_scenario *s = lode_arena_alloc(a, sizeof *s);
        assert_int_equal(lode_scenario_load(model, path, a, s, &err), LODE_OK);
        sc[i] = s;
    }
    int g7 = lode_alliance_find(model, "G7");
    lode_stockpile_opts o;
    lode_stockpile_opts_default(&o);
    o.runs = 25;
    o.weeks = 26;
    lode_stockpile_result r1, r3, rg;
    assert_int_equal(lode_stockpile_run(model, sc, 3, g7, &o, a, &r1, &err), LODE_OK);
    assert_int_equal(r1.n_draws, 75);
    assert_true(r1.n_materials > 0);
    double lone = 0, pooled = 0;
    for (size_t i = 0; i < r1.n_materials; i++) {
        const lode_stock_material *x = &r1.materials[i];
        assert_true(x->pooled_t <= x->lone_t);
        assert_true(x->saved_t >= 0);
        lone += x->lone_t;
        pooled += x->pooled_t;
    }
    NEAR(lone, r1.lone_t, 1e-9 * fmax(1, lone));
    NEAR(pooled, r1.pooled_t, 1e-9 * fmax(1, pooled));
    assert_true(r1.pooled_t <= r1.lone_t);
    int jpn = lode_model_country(model, "JPN"), seen_jogmec = 0;
    for (size_t i = 0; i < r1.n_rows; i++) {
        const lode_stock_row *w = &r1.rows[i];
        if (w->use_t_yr > 0)
            NEAR(w->lone_days, w->lone_t / (w->use_t_yr / 365), 1e-9 * fmax(1, w->lone_days));
        if (i > 0)
            assert_true(strcmp(model->countries[r1.rows[i - 1].country].iso3,
                               model->countries[w->country].iso3) <= 0);
        if (w->country == jpn && w->has_target) {
            NEAR(w->target_days, 60, 0);
            assert_non_null(strstr(w->target_agency, "JOGMEC"));
            seen_jogmec = 1;
        }
    }
    assert_true(seen_jogmec);
    o.threads = 3;
    assert_int_equal(lode_stockpile_run(model, sc, 3, g7, &o, a, &r3, &err), LODE_OK);
    assert_int_equal(r3.n_rows, r1.n_rows);
    for (size_t i = 0; i < r1.n_rows; i++) {
        NEAR(r1.rows[i].lone_t, r3.rows[i].lone_t, 0);
        NEAR(r1.rows[i].pooled_t, r3.rows[i].pooled_t, 0);
    }
    o.solver = LODE_SOLVER_GLPK;
    assert_int_equal(lode_stockpile_run(model, sc, 3, g7, &o, a, &rg, &err), LODE_OK);
    NEAR(rg.pooled_t, r1.pooled_t, 1e-6 * fmax(1, r1.pooled_t));
    NEAR(rg.lone_t, r1.lone_t, 0);
    lode_arena_free(a);
}

/* 7. Bad calls. */
static void test_lode_stockpile_run_bad_calls(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_stockpile_result r;
    lode_err err = {0};
    lode_stockpile_opts o;
    lode_stockpile_opts_default(&o);
    assert_int_equal(lode_stockpile_run(model, NULL, 0, 0, &o, a, &r, &err), LODE_EUSAGE);
    lode_scenario s;
    assert_int_equal(lode_scenario_load(model, SCEN_DIR "/zero.json", a, &s, &err), LODE_OK);
    const lode_scenario *sc[1] = {&s};
    o.confidence = 0;
    assert_int_equal(lode_stockpile_run(model, sc, 1, 0, &o, a, &r, &err), LODE_EUSAGE);
    o.confidence = 0.95;
    assert_int_equal(lode_stockpile_run(model, sc, 1, 99, &o, a, &r, &err), LODE_EUSAGE);
    /* no shock: nothing to hold */
    o.runs = 2;
    assert_int_equal(lode_stockpile_run(model, sc, 1, 0, &o, a, &r, &err), LODE_OK);
    assert_int_equal(r.n_materials, 0);
    NEAR(r.lone_t, 0, 0);
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest hand_tests[] = {
        cmocka_unit_test(test_lode_pool_solve_by_hand),
        cmocka_unit_test(test_lode_pool_solve_lead_times),
        cmocka_unit_test(test_lode_pool_solve_edges),
        cmocka_unit_test(test_lode_pool_solve_never_above_lone),
        cmocka_unit_test(test_lode_pool_solve_out_of_memory),
    };
    const struct CMUnitTest data_tests[] = {
        cmocka_unit_test(test_lode_stockpile_run_bundled),
        cmocka_unit_test(test_lode_stockpile_run_bad_calls),
    };
    int rc = cmocka_run_group_tests(hand_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(data_tests, load_model, free_model);
    return rc;
}
