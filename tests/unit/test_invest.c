/* test_invest.c: project portfolios (src/engines/invest.c). The MILP (lode_portfolio_solve)
 * on a hand-made portfolio whose optimum is worked out in the comments, every constraint
 * family and the infeasibility diagnosis; a property test against brute-force enumeration of
 * random portfolios (never over budget, never a project outside the financing window, never a
 * plant without its input, and optimal); then lode_invest_run on the bundled dataset and one
 * bundled scenario. Every case is skipped when the build has no CBC. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lode/invest.h"
#include "lode/model.h"
#include "lode/sim.h"

#ifndef LODE_DATADIR
#define LODE_DATADIR "data"
#endif

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Solve, or skip the test when CBC was not built in. */
static lode_status solve(const lode_portfolio *p, lode_arena *a, lode_portfolio_result *r)
{
    lode_portfolio_opts o = {0, 1, NULL, NULL};
    lode_err err = {0};
    lode_status st = lode_portfolio_solve(p, &o, a, r, &err);
    if (st == LODE_EUSAGE && strstr(err.msg, "not built in")) {
        print_message("cbc not built in: %s\n", err.msg);
        skip();
    }
    return st;
}

/* ---- the hand-made portfolio ------------------------------------------------------------- *
 *
 * Five projects, one scenario (weight 1), budget 7:
 *
 *   item  capex  benefit  note
 *   A     4      10
 *   B     3      7        makes the input E needs (a metal plant)
 *   C     2      6
 *   D     5      13       cannot be financed within the window
 *   E     1      5        a magnet plant: needs B (no ally makes its input)
 *
 * Without D, the sets within capex 7 whose E has B: A+B 17 (capex 7), A+C 16 (6), B+C 13 (5),
 * B+E 12 (4), B+C+E 18 (6), C+E and A+C+E are out (E without B). Optimum: B+C+E = 18, capex 6.
 * Were E's input at hand, A+C+E = 21 (capex 7) would win; were D financeable, D+C = 19. */

enum { A, B, C, D, E, N5 };
static const double capex5[N5] = {4, 3, 2, 5, 1};
static const double benefit5[N5] = {10, 7, 6, 13, 5};
static const unsigned char fin5[N5] = {1, 1, 1, 0, 1};
static const size_t need_item5[1] = {E};
static const size_t src_start5[2] = {0, 1};
static const size_t src5[1] = {B};
static const double w1[1] = {1};

static lode_portfolio hand(unsigned char *have, unsigned char *req)
{
    lode_portfolio p;
    memset(&p, 0, sizeof p);
    p.n_items = N5;
    p.capex_usd = capex5;
    p.financeable = fin5;
    p.required = req;
    p.n_groups = 1;
    p.weight = w1;
    p.benefit_t = benefit5;
    p.n_needs = 1;
    p.need_item = need_item5;
    p.need_have = have;
    p.src_start = src_start5;
    p.src = src5;
    p.budget_usd = 7;
    return p;
}

static void expect_chosen(const lode_portfolio_result *r, const char *set)
{
    for (int i = 0; i < N5; i++)
        if ((strchr(set, 'A' + i) != NULL) != (r->chosen[i] != 0)) {
            print_error("item %c: chosen %d, expected set %s\n", 'A' + i, r->chosen[i], set);
            fail();
        }
}

/* 1. The optimum worked out above; the LP relaxation bounds it from above. */
static void test_lode_portfolio_solve_hand_optimum(void **state)
{
    (void)state;
    unsigned char have[1] = {0};
    lode_portfolio p = hand(have, NULL);
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    assert_int_equal(r.status, LODE_PLAN_OPTIMAL);
    expect_chosen(&r, "BCE");
    NEAR(r.removed_t, 18, 1e-9);
    NEAR(r.capex_usd, 6, 1e-12);
    assert_true(r.have_relax);
    assert_true(r.relax_t >= r.removed_t - 1e-9);
    assert_int_equal(r.n_cols, N5 + 1);
    lode_arena_free(a);
}

/* 2. E's input at hand (an ally makes it): A+C+E = 21, the whole budget. */
static void test_lode_portfolio_solve_need_met(void **state)
{
    (void)state;
    unsigned char have[1] = {1};
    lode_portfolio p = hand(have, NULL);
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    expect_chosen(&r, "ACE");
    NEAR(r.removed_t, 21, 1e-9);
    NEAR(r.capex_usd, 7, 1e-12);
    lode_arena_free(a);
}

/* 3. A cap of 12 t on what the scenario can lose: every set reaching 12 removes 12, and the
 * tie-break takes the cheapest of them. B+E = 7 + 5 = 12 at capex 4; below capex 4 only B (7),
 * C (6) and A (10, capex 4 but short of 12) are valid (C+E lacks B). So B+E, capex 4. */
static void test_lode_portfolio_solve_cap_and_tie_break(void **state)
{
    (void)state;
    unsigned char have[1] = {0};
    const double cap[1] = {12};
    lode_portfolio p = hand(have, NULL);
    p.cap_t = cap;
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    NEAR(r.removed_t, 12, 1e-9);
    expect_chosen(&r, "BE");
    NEAR(r.capex_usd, 4, 1e-12);
    NEAR(r.removed_group_t[0], 12, 1e-9);
    lode_arena_free(a);
}

/* 4. A required: A+B 17 (capex 7) beats A+C 16; A+C+E lacks B. */
static void test_lode_portfolio_solve_required(void **state)
{
    (void)state;
    unsigned char have[1] = {0}, req[N5] = {1, 0, 0, 0, 0};
    lode_portfolio p = hand(have, req);
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    expect_chosen(&r, "AB");
    NEAR(r.removed_t, 17, 1e-9);
    lode_arena_free(a);
}

/* 5. Infeasible, with the family that alone stands in the way:
 *    D required: D is outside the window; without the window row D+C = 19 fits -> WINDOW.
 *    A and D required: capex 9 > 7 and D outside the window: neither family alone -> 0.
 *    E required with B outside the window: dropping the need or the window each works. */
static void test_lode_portfolio_solve_infeasible_why(void **state)
{
    (void)state;
    unsigned char have[1] = {0};
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;

    unsigned char req1[N5] = {0, 0, 0, 1, 0};
    lode_portfolio p = hand(have, req1);
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    assert_int_equal(r.status, LODE_PLAN_INFEASIBLE);
    assert_int_equal(r.blocking, LODE_PF_WINDOW);

    unsigned char req2[N5] = {1, 0, 0, 1, 0};
    p = hand(have, req2);
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    assert_int_equal(r.status, LODE_PLAN_INFEASIBLE);
    assert_int_equal(r.blocking, 0);

    unsigned char req3[N5] = {0, 0, 0, 0, 1};
    const unsigned char fin[N5] = {1, 0, 1, 0, 1};
    p = hand(have, req3);
    p.financeable = fin;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    assert_int_equal(r.status, LODE_PLAN_INFEASIBLE);
    assert_int_equal(r.blocking, LODE_PF_WINDOW | LODE_PF_NEEDS);
    assert_string_equal(lode_portfolio_family_name(LODE_PF_NEEDS), "stage dependency");
    lode_arena_free(a);
}

/* 6. Budget 0 buys nothing; weights pick between scenarios: X removes 10 t in scenario 0,
 * Y 8 t in scenario 1, one fits. Weights (0.3, 0.7): X 3, Y 5.6 -> Y; (0.6, 0.4): X 6, Y 3.2. */
static void test_lode_portfolio_solve_budget_zero_and_weights(void **state)
{
    (void)state;
    unsigned char have[1] = {1};
    lode_portfolio p = hand(have, NULL);
    p.budget_usd = 0;
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    assert_int_equal(solve(&p, a, &r), LODE_OK);
    expect_chosen(&r, "");
    NEAR(r.removed_t, 0, 0);

    const double cx[2] = {1, 1}, b2[4] = {10, 0, 0, 8};
    double w[2] = {0.3, 0.7};
    lode_portfolio q;
    memset(&q, 0, sizeof q);
    q.n_items = 2;
    q.capex_usd = cx;
    q.n_groups = 2;
    q.weight = w;
    q.benefit_t = b2;
    q.budget_usd = 1;
    assert_int_equal(solve(&q, a, &r), LODE_OK);
    assert_true(r.chosen[0] == 0 && r.chosen[1] == 1);
    NEAR(r.removed_t, 5.6, 1e-9);
    w[0] = 0.6;
    w[1] = 0.4;
    assert_int_equal(solve(&q, a, &r), LODE_OK);
    assert_true(r.chosen[0] == 1 && r.chosen[1] == 0);
    NEAR(r.removed_t, 6, 1e-9);
    lode_arena_free(a);
}

/* 7. Bad arrays are usage errors. */
static void test_lode_portfolio_solve_bad_input(void **state)
{
    (void)state;
    unsigned char have[1] = {0};
    lode_portfolio p = hand(have, NULL);
    lode_arena *a = lode_arena_new();
    lode_portfolio_result r;
    p.budget_usd = -1;
    assert_int_equal(lode_portfolio_solve(&p, NULL, a, &r, NULL), LODE_EUSAGE);
    p = hand(have, NULL);
    const size_t self[1] = {E};
    p.src = self; /* E as its own source */
    assert_int_equal(lode_portfolio_solve(&p, NULL, a, &r, NULL), LODE_EUSAGE);
    p = hand(have, NULL);
    p.n_groups = 0;
    assert_int_equal(lode_portfolio_solve(&p, NULL, a, &r, NULL), LODE_EUSAGE);
    lode_arena_free(a);
}

/* ---- property: random portfolios against enumeration ------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: a fixed stream, so the test is the same every run */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Objective of subset `mask` if it meets every constraint, else -1. */
static double brute(const lode_portfolio *p, unsigned mask)
{
    size_t n = p->n_items, G = p->n_groups;
    double capex = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(mask >> i & 1))
            continue;
        capex += p->capex_usd[i];
        if (!p->financeable[i])
            return -1;
    }
    if (capex > p->budget_usd + 1e-9)
        return -1;
    for (size_t d = 0; d < p->n_needs; d++) {
        if (!(mask >> p->need_item[d] & 1) || p->need_have[d])
            continue;
        int ok = 0;
        for (size_t j = p->src_start[d]; j < p->src_start[d + 1]; j++)
            ok |= (int)(mask >> p->src[j] & 1);
        if (!ok)
            return -1;
    }
    double obj = 0;
    for (size_t g = 0; g < G; g++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            if (mask >> i & 1)
                s += p->benefit_t[i * G + g];
        if (p->cap_t && s > p->cap_t[g])
            s = p->cap_t[g];
        obj += p->weight[g] * s;
    }
    return obj;
}

/* 8. 300 random portfolios of up to 10 items, 1-3 scenarios, random windows, needs and caps:
 * CBC's portfolio is within budget, financeable, has every input, and removes as much as the
 * best of all 2^n subsets; GLPK (when built in) finds the same optimum and the LP relaxation
 * bounds it. Capex in hundreds of millions of USD, as in the data. */
static void test_lode_portfolio_solve_property_vs_enumeration(void **state)
{
    (void)state;
    uint64_t seed = 42;
    lode_arena *a = lode_arena_new();
    for (int t = 0; t < 300; t++) {
        size_t n = 1 + (size_t)(rng_next(&seed) % 10), G = 1 + (size_t)(rng_next(&seed) % 3);
        double capex[10], ben[30], w[3], cap[3];
        unsigned char fin[10], have[10];
        size_t need_item[10], src_start[11], src[100], nn = 0, ns = 0;
        for (size_t i = 0; i < n; i++) {
            capex[i] = 1e8 * (1 + floor(9 * rng_unit(&seed))); /* USD, as in the data */
            fin[i] = rng_unit(&seed) < 0.8;
            for (size_t g = 0; g < G; g++)
                ben[i * G + g] = rng_unit(&seed) < 0.2 ? 0 : floor(100 * rng_unit(&seed));
        }
        for (size_t g = 0; g < G; g++) {
            w[g] = rng_unit(&seed);
            cap[g] = 50 + 200 * rng_unit(&seed);
        }
        for (size_t i = 0; i < n; i++) {
            if (rng_unit(&seed) >= 0.3)
                continue;
            need_item[nn] = i;
            have[nn] = rng_unit(&seed) < 0.3;
            src_start[nn] = ns;
            for (size_t j = 0; j < n; j++)
                if (j != i && rng_unit(&seed) < 0.25)
                    src[ns++] = j;
            nn++;
        }
        src_start[nn] = ns;
        lode_portfolio p;
        memset(&p, 0, sizeof p);
        p.n_items = n;
        p.capex_usd = capex;
        p.financeable = fin;
        p.n_groups = G;
        p.weight = w;
        p.benefit_t = ben;
        p.cap_t = rng_unit(&seed) < 0.5 ? cap : NULL;
        p.n_needs = nn;
        p.need_item = need_item;
        p.need_have = have;
        p.src_start = src_start;
        p.src = src;
        p.budget_usd = 1e8 * floor(5 + 20 * rng_unit(&seed));
        lode_portfolio_result r;
        assert_int_equal(solve(&p, a, &r), LODE_OK);
        assert_int_equal(r.status, LODE_PLAN_OPTIMAL);
        unsigned mask = 0;
        for (size_t i = 0; i < n; i++)
            mask |= (unsigned)(r.chosen[i] != 0) << i;
        double got = brute(&p, mask), best = 0;
        assert_true(got >= 0); /* budget, window and needs all hold */
        assert_true(r.capex_usd <= p.budget_usd + 1e-9);
        for (unsigned s = 0; s < (1u << n); s++) {
            double v = brute(&p, s);
            if (v > best)
                best = v;
        }
        if (fabs(got - best) > 1e-6 * (1 + best)) {
            print_error("instance %d: cbc %.9g, enumeration %.9g\n", t, got, best);
            fail();
        }
        NEAR(r.removed_t, got, 1e-9 * (1 + got));
        if (r.have_glpk) /* the independent reference agrees on the optimum */
            NEAR(r.glpk_t, best, 1e-6 * (1 + best));
        if (r.have_relax)
            assert_true(r.relax_t >= best - 1e-6 * (1 + best));
    }
    lode_arena_free(a);
}

/* ---- lode_invest_run on the bundled data ------------------------------------------------- */

static int proj(const lode_model *m, const char *id)
{
    for (size_t i = 0; i < m->n_projects; i++)
        if (strcmp(m->projects[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* 9. The bundled projects against china-ree-stop (a few runs): projects sorted into
 * candidates and the rest as the data says, every plan within the budget and the window,
 * the magnet plant kept out by its NdPr metal, and the required-project errors. */
static void test_lode_invest_run_bundled(void **state)
{
    (void)state;
    lode_model *m = NULL;
    lode_err err = {0};
    assert_int_equal(lode_model_load_dir(LODE_DATADIR, &m, &err), LODE_OK);
    lode_arena *a = lode_arena_new();
    lode_scenario sc;
    assert_int_equal(
        lode_scenario_load(m, LODE_DATADIR "/../scenarios/china-ree-stop.json", a, &sc, &err),
        LODE_OK);
    lode_invest_opts o;
    lode_invest_opts_default(&o);
    o.budget_usd = 2e9;
    o.scenarios = &sc;
    o.n_scenarios = 1;
    o.runs = 4;
    for (size_t i = 0; i < m->n_alliances; i++)
        if (strcmp(m->alliances[i].id, "MSP") == 0)
            o.alliance = (int)i;
    assert_true(o.alliance >= 0);
    lode_invest_result r;
    lode_status st = lode_invest_run(m, &o, a, &r, &err);
    if (st == LODE_EUSAGE && strstr(err.msg, "not built in")) {
        lode_arena_free(a);
        lode_model_free(m);
        skip();
    }
    assert_int_equal(st, LODE_OK);
    assert_int_equal(r.n_projects, m->n_projects);
    assert_int_equal(r.n_candidates + r.n_bundled + r.n_operating + r.n_no_capex +
                         r.n_no_capacity,
                     r.n_projects);
    assert_int_equal(r.projects[proj(m, "MP-MTP-MINE")].role, LODE_INV_OPERATING);
    assert_int_equal(r.projects[proj(m, "MP-10X")].role, LODE_INV_NO_CAPEX);
    int dytb = proj(m, "ILU-ENB-DYTB"), ndpr = proj(m, "ILU-ENB-NDPR");
    assert_int_equal(r.projects[dytb].role, LODE_INV_BUNDLED);
    assert_int_equal(r.projects[dytb].bundled_with, ndpr);
    assert_int_equal(r.projects[dytb].unit, r.projects[ndpr].unit);
    assert_int_equal(r.n_plans, 3);
    int usar = r.projects[proj(m, "USAR-STW")].unit;
    assert_true(usar >= 0);
    assert_int_equal(r.units[usar].n_needs, 1);
    assert_string_equal(m->materials[r.units[usar].needs[0].material].id, "NdPr_metal");
    assert_int_equal(r.units[usar].needs[0].have, 0);
    for (size_t i = 0; i < r.n_plans; i++) {
        const lode_invest_plan *pl = &r.plans[i];
        assert_int_equal(pl->status, LODE_PLAN_OPTIMAL);
        double capex = 0;
        for (size_t u = 0; u < r.n_units; u++) {
            double permit = r.units[u].permit_m * (1 - pl->permit_cut);
            assert_int_equal(pl->financeable[u], permit <= o.window_m + 1e-9);
            if (!pl->chosen[u])
                continue;
            capex += r.units[u].capex_usd;
            assert_true(pl->financeable[u]);
            for (size_t q = 0; q < r.units[u].n_needs; q++)
                assert_true(r.units[u].needs[q].have || r.units[u].needs[q].n_sources > 0);
        }
        assert_true(capex <= o.budget_usd);
        NEAR(capex, pl->capex_usd, 1e-3);
        assert_false(pl->chosen[usar]);
    }
    assert_true(r.base_allied_t[0] > 0);

    /* Required projects: one that cannot be a candidate is a usage error; the magnet plant
     * cannot get its metal: no solution, and the message says why. */
    int req = proj(m, "MP-10X");
    o.required = &req;
    o.n_required = 1;
    assert_int_equal(lode_invest_run(m, &o, a, &r, &err), LODE_EUSAGE);
    req = proj(m, "USAR-STW");
    assert_int_equal(lode_invest_run(m, &o, a, &r, &err), LODE_ENOSOLN);
    assert_non_null(strstr(err.msg, "NdPr_metal"));
    req = ndpr; /* 1,125 M USD against a 500 M budget */
    o.budget_usd = 5e8;
    assert_int_equal(lode_invest_run(m, &o, a, &r, &err), LODE_ENOSOLN);
    assert_non_null(strstr(err.msg, "budget"));
    lode_arena_free(a);
    lode_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_portfolio_solve_hand_optimum),
        cmocka_unit_test(test_lode_portfolio_solve_need_met),
        cmocka_unit_test(test_lode_portfolio_solve_cap_and_tie_break),
        cmocka_unit_test(test_lode_portfolio_solve_required),
        cmocka_unit_test(test_lode_portfolio_solve_infeasible_why),
        cmocka_unit_test(test_lode_portfolio_solve_budget_zero_and_weights),
        cmocka_unit_test(test_lode_portfolio_solve_bad_input),
        cmocka_unit_test(test_lode_portfolio_solve_property_vs_enumeration),
        cmocka_unit_test(test_lode_invest_run_bundled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
