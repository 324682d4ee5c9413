/* test_respond.c: lode respond. First the response LP (lode_respond_solve) on hand-made networks
 * of two and three allies whose optima are worked by hand in the comments, with CLP and GLPK;
 * then the shared rules (lead times, values at dataset prices, burden keys); then every bundled
 * scenario for three alliances on the bundled data: the plan never releases more than a stock
 * holds or a week's release limit allows, never redirects more than a week's surplus, the
 * re-simulated plan never leaves more demand unserved than no plan, and CLP and GLPK find the
 * same optimum to 1e-6. */
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
#define NSEC LODE_SEC_N
#define W 4

static const lode_solver solvers[] = {LODE_SOLVER_CLP, LODE_SOLVER_GLPK};

/* A hand-made problem of up to three allies, one material, four weeks. */
typedef struct hand {
    int ally[3], mat[1];
    double need[3 * NSEC * W], stock[3], rel[3 * W], sur[3 * W], val[1], key[3];
    int lead[9];
    lode_respond_problem p;
} hand;

static void hand_init(hand *h, size_t n_allies)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < 3; i++)
        h->ally[i] = (int)i;
    h->val[0] = 1e6; /* USD per t: contributions in USD million equal tonnes */
    for (size_t i = 0; i < n_allies * n_allies; i++)
        h->lead[i] = i % (n_allies + 1) == 0 ? 0 : 1;
    for (size_t i = 0; i < n_allies; i++)
        h->key[i] = 1.0 / (double)n_allies;
    h->p.n_allies = n_allies;
    h->p.n_materials = 1;
    h->p.weeks = W;
    h->p.ally = h->ally;
    h->p.material = h->mat;
    h->p.need_t = h->need;
    h->p.stock_t = h->stock;
    h->p.release_t = h->rel;
    h->p.surplus_t = h->sur;
    h->p.lead_wk = h->lead;
    h->p.value_usd_t = h->val;
    h->p.key = h->key;
}

static double *need(hand *h, size_t ally, lode_sector s, size_t t)
{
    return &h->need[(ally * NSEC + (size_t)s) * W + t];
}

/* Tonnes of the plan from `from` to `to` shipped in week `week` (any source). */
static double sent(const lode_respond_result *r, int from, int to, int week)
{
    double t = 0;
    for (size_t i = 0; i < r->n_deliveries; i++)
        if (r->deliveries[i].from == from && r->deliveries[i].to == to &&
            r->deliveries[i].week == week)
            t += r->deliveries[i].tonnes;
    return t;
}

static double sent_total(const lode_respond_result *r, int from, int to)
{
    double t = 0;
    for (size_t i = 0; i < r->n_deliveries; i++)
        if (r->deliveries[i].from == from && r->deliveries[i].to == to)
            t += r->deliveries[i].tonnes;
    return t;
}

/* 1. Two allies. A (0) holds 25 t and may release 12 t a week; B (1) needs 10 t for defence in
 * week 1 and 20 t for consumers in week 2; shipping A -> B takes one week, B may hold what
 * arrives early. What reaches B by week 2 was released in weeks 0 and 1: at most 12 + 12 = 24 t
 * of the 30 t needed (the stock's 25 t does not bind). Defence (weight 1000) is served first, so
 * 6 t of consumer demand (weight 2) stay unserved: weighted unserved 12, against 10 x 1000 +
 * 20 x 2 = 10 040 with no plan. The plan: 12 t in week 0 (10 for defence in week 1, 2 held) and
 * 12 t in week 1: 24 tonne-weeks shipped. Only A gives, so its share of the burden is 1. */
static void test_lode_respond_solve_two_allies(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        hand_init(&h, 2);
        h.stock[0] = 25;
        for (size_t t = 0; t < W; t++)
            h.rel[0 * W + t] = 12;
        *need(&h, 1, LODE_SEC_DEFENCE, 1) = 10;
        *need(&h, 1, LODE_SEC_CONSUMER, 2) = 20;
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        lode_err err = {0};
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_OK);
        NEAR(r.weighted_before, 10040, 1e-9);
        NEAR(r.weighted_after, 12, 1e-6);
        NEAR(r.unserved_before_t, 30, 1e-9);
        NEAR(r.unserved_plan_t, 6, 1e-6);
        NEAR(sent(&r, 0, 1, 0), 12, 1e-6);
        NEAR(sent(&r, 0, 1, 1), 12, 1e-6);
        NEAR(r.released_t, 24, 1e-6);
        NEAR(r.shipping_t_wk, 24, 1e-6);
        assert_int_equal(r.n_burden, 2);
        NEAR(r.burden[0].share, 1, 1e-9);
        NEAR(r.burden[1].received_t, 24, 1e-6);
        /* served by class: defence in full, consumers 14 of 20 */
        NEAR(r.served_t[(1 * NSEC + LODE_SEC_DEFENCE) * W + 1], 10, 1e-6);
        NEAR(r.served_t[(1 * NSEC + LODE_SEC_CONSUMER) * W + 2], 14, 1e-6);
        assert_string_equal(r.solver, b ? "glpk" : "clp");
        assert_true(r.rows > 0 && r.cols > 0 && r.nonzeros > 0);
        lode_arena_free(a);
    }
}

/* 2. The same, with 15 t of stock and no rate limit: the stock binds. Defence takes 10 t, the
 * consumers 5 t, 15 t stay unserved: weighted 30. The third stage (tonne-weeks shipped and held)
 * sends 10 t in week 0 and 5 t in week 1 rather than holding 5 t for a week. */
static void test_lode_respond_solve_stock_binds(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        hand_init(&h, 2);
        h.p.release_t = NULL;
        h.stock[0] = 15;
        *need(&h, 1, LODE_SEC_DEFENCE, 1) = 10;
        *need(&h, 1, LODE_SEC_CONSUMER, 2) = 20;
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, NULL), LODE_OK);
        NEAR(r.weighted_after, 30, 1e-6);
        NEAR(r.unserved_plan_t, 15, 1e-6);
        NEAR(sent(&r, 0, 1, 0), 10, 1e-6);
        NEAR(sent(&r, 0, 1, 1), 5, 1e-6);
        NEAR(r.released_t, 15, 1e-6);
        lode_arena_free(a);
    }
}

/* 3. Lead time: B's defence need in week 0 cannot be met (A's tonnes take a week), so it stays
 * unserved; asking for every defence tonne served (--require 1) has no solution, and the error
 * names the 'require' family. B's own stock, released the same week, would do. */
static void test_lode_respond_solve_lead_time_and_require(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        hand_init(&h, 2);
        h.stock[0] = 100;
        for (size_t t = 0; t < W; t++)
            h.rel[0 * W + t] = 100;
        *need(&h, 1, LODE_SEC_DEFENCE, 0) = 10;
        *need(&h, 1, LODE_SEC_DEFENCE, 3) = 4;
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        lode_err err = {0};
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_OK);
        NEAR(r.weighted_after, 10000, 1e-6);
        NEAR(sent(&r, 0, 1, 2), 4, 1e-6);
        o.require_priority = 1;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_ENOSOLN);
        assert_string_equal(err.field, "require");
        assert_non_null(strstr(err.msg, "infeasible"));
        /* B's own stock (lead 0) makes it feasible */
        h.stock[1] = 10;
        for (size_t t = 0; t < W; t++)
            h.rel[1 * W + t] = 10;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_OK);
        NEAR(r.weighted_after, 0, 1e-6);
        NEAR(sent(&r, 1, 1, 0), 10, 1e-6);
        NEAR(r.burden[1].own_release_t, 10, 1e-6);
        lode_arena_free(a);
    }
}

/* Three allies: A (0) and C (2) hold 100 t each, B (1) needs 20 t (unallocated) in week 2.
 * A reaches B in 1 week, C in 2. */
static void three_allies(hand *h)
{
    hand_init(h, 3);
    h->p.release_t = NULL;
    h->stock[0] = h->stock[2] = 100;
    h->lead[0 * 3 + 1] = 1;
    h->lead[2 * 3 + 1] = 2;
    *need(h, 1, LODE_SEC_UNALLOCATED, 2) = 20;
    h->key[0] = 0.4;
    h->key[1] = 0.2;
    h->key[2] = 0.4;
}

/* 4. Burden, soft. All 20 t are served (weighted 0). Contributions C = 20 (USD million); bands
 * are key x [0.9, 1.1] x C: A and C [7.2, 8.8], B [3.6, 4.4]. B gives nothing: 3.6 below its
 * band whatever the plan. With x_A + x_C = 20 the deviation of A and C is (x_A - 8.8) + (x_C -
 * 8.8) = 2.4 for any x_A in [8.8, 11.2] and more outside: 6.0 million USD in all. Among those
 * plans the third stage ships the fewest tonne-weeks: A (1 week) sends 11.2 t, C (2 weeks)
 * 8.8 t: 28.8 tonne-weeks. Without burden rows A would send all 20 t (20 tonne-weeks). */
static void test_lode_respond_solve_burden_soft(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        three_allies(&h);
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, NULL), LODE_OK);
        NEAR(r.weighted_after, 0, 1e-6);
        NEAR(sent_total(&r, 0, 1), 11.2, 1e-6);
        NEAR(sent_total(&r, 2, 1), 8.8, 1e-6);
        NEAR(sent(&r, 0, 1, 1), 11.2, 1e-6); /* just in time: nothing held */
        NEAR(sent(&r, 2, 1, 0), 8.8, 1e-6);
        NEAR(r.burden_dev_usd, 6.0e6, 1); /* the stages hold optima to 1e-7 USD million */
        NEAR(r.shipping_t_wk, 28.8, 1e-6);
        NEAR(r.burden[0].share, 0.56, 1e-7);
        NEAR(r.burden[0].lo, 0.36, 1e-12);
        NEAR(r.burden[0].hi, 0.44, 1e-12);
        assert_int_equal(r.stages, 3);
        h.p.key = NULL; /* no burden sharing */
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, NULL), LODE_OK);
        NEAR(sent_total(&r, 0, 1), 20, 1e-6);
        NEAR(r.shipping_t_wk, 20, 1e-6);
        lode_arena_free(a);
    }
}

/* 5. Burden, hard. Keys A 0.5, B 0, C 0.5: A and C must each give 45-55 % of the total, so A
 * sends 11 t (the most the band allows, being nearer) and C 9 t. With keys 0.4/0.2/0.4, B's
 * share must be at least 18 % but B has nothing, so the only plan gives nothing: weighted
 * unserved stays 20; requiring everything served then has no solution, and dropping either
 * 'require' or 'burden' would give one. */
static void test_lode_respond_solve_burden_hard(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        three_allies(&h);
        h.key[0] = 0.5;
        h.key[1] = 0;
        h.key[2] = 0.5;
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        o.burden_hard = 1;
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        lode_err err = {0};
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_OK);
        assert_int_equal(r.stages, 2); /* hard band: no burden stage */
        NEAR(r.weighted_after, 0, 1e-6);
        NEAR(sent_total(&r, 0, 1), 11, 1e-6);
        NEAR(sent_total(&r, 2, 1), 9, 1e-6);
        NEAR(r.burden_dev_usd, 0, 1e-3);
        three_allies(&h);
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_OK);
        NEAR(r.weighted_after, 20, 1e-6);
        assert_int_equal(r.n_deliveries, 0);
        o.require_priority = 6;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, &err), LODE_ENOSOLN);
        assert_string_equal(err.field, "require");
        assert_non_null(strstr(err.msg, "'burden'"));
        lode_arena_free(a);
    }
}

/* 6. Surplus: B redirects up to 3 t a week of what it exports outside the alliance to A, one
 * week away; A needs 5 t of infrastructure demand in weeks 2 and 3 and has no stock. Weeks 1 and
 * 2 can carry 3 t each (week 0's 3 t could be held at A as well): the 10 t need at most 9 t of
 * surplus shipped in weeks 0-2, so 1 t stays unserved: weighted 300. */
static void test_lode_respond_solve_surplus(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        hand h;
        hand_init(&h, 2);
        for (size_t t = 0; t < W; t++)
            h.sur[1 * W + t] = 3;
        *need(&h, 0, LODE_SEC_INFRASTRUCTURE, 2) = 5;
        *need(&h, 0, LODE_SEC_INFRASTRUCTURE, 3) = 5;
        lode_respond_opts o;
        lode_respond_opts_default(&o);
        o.solver = solvers[b];
        lode_arena *a = lode_arena_new();
        lode_respond_result r;
        assert_int_equal(lode_respond_solve(&h.p, &o, a, &r, NULL), LODE_OK);
        NEAR(r.weighted_after, 300, 1e-6);
        NEAR(r.redirected_t, 9, 1e-6);
        NEAR(r.released_t, 0, 1e-12);
        for (size_t i = 0; i < r.n_deliveries; i++)
            assert_true(r.deliveries[i].surplus && r.deliveries[i].tonnes <= 3 + 1e-9);
        lode_arena_free(a);
    }
}

/* 7. Bad problems. */
static void test_lode_respond_solve_bad_input(void **state)
{
    (void)state;
    hand h;
    hand_init(&h, 2);
    lode_arena *a = lode_arena_new();
    lode_respond_result r;
    lode_err err = {0};
    *need(&h, 1, LODE_SEC_DEFENCE, 0) = -1;
    assert_int_equal(lode_respond_solve(&h.p, NULL, a, &r, &err), LODE_EINPUT);
    assert_string_equal(err.field, "need_t");
    *need(&h, 1, LODE_SEC_DEFENCE, 0) = 0;
    h.p.weeks = 0;
    assert_int_equal(lode_respond_solve(&h.p, NULL, a, &r, &err), LODE_EUSAGE);
    h.p.weeks = W;
    h.lead[1] = -1;
    assert_int_equal(lode_respond_solve(&h.p, NULL, a, &r, &err), LODE_EINPUT);
    h.lead[1] = 1;
    /* nothing to do is fine: an empty plan */
    assert_int_equal(lode_respond_solve(&h.p, NULL, a, &r, &err), LODE_OK);
    assert_int_equal(r.n_deliveries, 0);
    assert_int_equal(r.n_cells, 0);
    lode_arena_free(a);
}

/* 7b. Out of memory at every arena allocation of a solve: a clean LODE_EIO each time (no leak
 * under ASan), then the same answer once memory suffices. */
static void test_lode_respond_solve_out_of_memory(void **state)
{
    (void)state;
    hand h;
    three_allies(&h);
    lode_respond_result r;
    lode_err err = {0};
    int done = 0;
    for (long n = 1; n < 10000 && !done; n++) {
        lode_arena *a = lode_arena_new();
        lode_arena_fail_after(a, n);
        lode_status st = lode_respond_solve(&h.p, NULL, a, &r, &err);
        if (st == LODE_OK) {
            NEAR(sent_total(&r, 0, 1), 11.2, 1e-6);
            done = 1;
        } else {
            assert_int_equal(st, LODE_EIO);
        }
        lode_arena_free(a);
    }
    assert_true(done);
}

/* ---- shared rules ------------------------------------------------------------------------ */

/* 8. Lead times: 0 at home, 1 within a region, the table between regions. */
static void test_lode_lead_weeks_rule(void **state)
{
    (void)state;
    assert_string_equal(lode_region_of("JPN"), "EAS");
    assert_string_equal(lode_region_of("GBR"), "EUR");
    assert_string_equal(lode_region_of("XXX"), "OTH");
    assert_int_equal(lode_lead_weeks("JPN", "JPN"), 0);
    assert_int_equal(lode_lead_weeks("USA", "CAN"), 1);
    assert_int_equal(lode_lead_weeks("DEU", "FRA"), 1);
    assert_int_equal(lode_lead_weeks("USA", "DEU"), 3);
    assert_int_equal(lode_lead_weeks("JPN", "USA"), 4); /* trans-Pacific */
    assert_int_equal(lode_lead_weeks("USA", "JPN"), 4);
    assert_int_equal(lode_lead_weeks("JPN", "GBR"), 6);
    assert_int_equal(lode_lead_weeks("AUS", "JPN"), 3);
    assert_int_equal(lode_lead_weeks("XXX", "YYY"), 6);
}

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

/* 9. Values at the latest dataset prices, by hand: Ga 725 USD/kg; Co_refined 16.5 USD/lb =
 * 16.5 / 0.45359237 x 1000; W_APT 250 USD/mtu WO3 with 7.93 kg W per mtu = 250 x 1000 / 7.93;
 * REO_sep 49.2 AUD/kg at 0.66 USD/AUD; NdPr_oxide: two prices on 2025-07, 60 and 110 USD/kg,
 * mean 85 000 USD/t; NdPr_metal (no price): 1.177 t oxide per t = 100 045; Li_mine (no price,
 * no inputs): lithium carbonate's 14 000 USD/t over 0.1879 t Li per t. */
static void test_lode_value_usd_per_t_by_hand(void **state)
{
    (void)state;
    const char *basis;
    struct {
        const char *id, *basis;
        double usd;
    } want[] = {
        {"Ga", "price", 725000},
        {"Co_refined", "price", 16.5 / 0.45359237 * 1000},
        {"W_APT", "price", 250 * 1000 / 7.93},
        {"REO_sep", "price", 49.2 * 1000 * 0.66},
        {"NdPr_oxide", "price", 85000},
        {"NdPr_metal", "inputs", 1.177 * 85000},
        {"Li_mine", "product", 14000 / 0.1879},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int k = lode_model_material(model, want[i].id);
        assert_true(k >= 0);
        double v = lode_value_usd_per_t(model, k, &basis);
        if (fabs(v - want[i].usd) > 1e-6 * want[i].usd)
            fprintf(stderr, "%s: %.10g, want %.10g\n", want[i].id, v, want[i].usd);
        NEAR(v, want[i].usd, 1e-6 * want[i].usd);
        assert_string_equal(basis, want[i].basis);
    }
}

/* 10. Burden keys: equal shares; GDP-rule keys in proportion to economy.csv's figures. */
static void test_lode_burden_keys_rules(void **state)
{
    (void)state;
    int c[2] = {lode_model_country(model, "USA"), lode_model_country(model, "JPN")};
    int k[1] = {lode_model_material(model, "Ga")};
    double key[2];
    int fb = -1;
    lode_burden_keys(model, LODE_BURDEN_EQUAL, c, 2, k, 1, key, &fb);
    NEAR(key[0], 0.5, 1e-15);
    assert_int_equal(fb, 0);
    lode_burden_keys(model, LODE_BURDEN_GDP, c, 2, k, 1, key, &fb);
    double e[2] = {0, 0};
    for (size_t i = 0; i < model->n_economy; i++)
        for (int j = 0; j < 2; j++)
            if (model->economy[i].country == c[j])
                e[j] = model->economy[i].value;
    assert_true(e[0] > 0 && e[1] > 0);
    NEAR(key[0], e[0] / (e[0] + e[1]), 1e-12);
    NEAR(key[0] + key[1], 1, 1e-12);
    lode_burden_keys(model, LODE_BURDEN_CONSUMPTION, c, 2, k, 1, key, &fb);
    NEAR(key[0] + key[1], 1, 1e-12);
    assert_true(key[0] > 0 && key[1] > 0);
}

/* ---- the bundled data -------------------------------------------------------------------- */

static size_t pos_of(const int *arr, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i] == x)
            return i;
    fail_msg("index %d not in the problem", x);
    return 0;
}

/* The plan's tonnes within stock, release limits and surpluses; arrivals at week + lead. */
static void check_plan(const lode_respond_result *r)
{
    const lode_respond_problem *p = r->problem;
    size_t na = p->n_allies, nk = p->n_materials, Wz = (size_t)p->weeks;
    double *stock = calloc(na * nk + 1, sizeof *stock);
    double *rel = calloc(na * nk * Wz + 1, sizeof *rel);
    double *sur = calloc(na * nk * Wz + 1, sizeof *sur);
    assert_non_null(stock);
    assert_non_null(rel);
    assert_non_null(sur);
    for (size_t i = 0; i < r->n_deliveries; i++) {
        const lode_delivery *d = &r->deliveries[i];
        size_t a = pos_of(p->ally, na, d->from), b = pos_of(p->ally, na, d->to);
        size_t k = pos_of(p->material, nk, d->material);
        assert_true(d->tonnes > 0);
        assert_int_equal(d->arrive_wk, d->week + p->lead_wk[a * na + b]);
        assert_true(d->arrive_wk < p->weeks);
        assert_true(!d->surplus || a != b);
        if (d->surplus) {
            sur[(a * nk + k) * Wz + (size_t)d->week] += d->tonnes;
        } else {
            stock[a * nk + k] += d->tonnes;
            rel[(a * nk + k) * Wz + (size_t)d->week] += d->tonnes;
        }
    }
    for (size_t c = 0; c < na * nk; c++) {
        assert_true(stock[c] <= p->stock_t[c] * (1 + 1e-9) + 1e-7);
        for (size_t t = 0; t < Wz; t++) {
            assert_true(rel[c * Wz + t] <= p->release_t[c * Wz + t] * (1 + 1e-9) + 1e-7);
            assert_true(sur[c * Wz + t] <= p->surplus_t[c * Wz + t] * (1 + 1e-9) + 1e-7);
        }
    }
    free(stock);
    free(rel);
    free(sur);
}

/* 11. Every bundled scenario for three alliances, 26 weeks: the plan within its limits, the
 * re-simulated plan never worse than no plan, CLP and GLPK at the same optimum, and the same
 * answer twice. */
static void test_lode_respond_run_bundled(void **state)
{
    (void)state;
    static const char *const scen[] = {"australia-loss",     "china-ban-usa-2024",
                                       "china-ree-stop",     "ga-ge-2023",
                                       "heavy-ree-licence-2025", "japan-2026", "zero"};
    static const char *const alliances[] = {"USA-JPN", "G7", "MSP"};
    int some_plan = 0;
    for (size_t i = 0; i < sizeof scen / sizeof scen[0]; i++) {
        lode_arena *a = lode_arena_new();
        char path[512];
        snprintf(path, sizeof path, "%s/%s.json", SCEN_DIR, scen[i]);
        lode_scenario s;
        lode_err err = {0};
        assert_int_equal(lode_scenario_load(model, path, a, &s, &err), LODE_OK);
        for (size_t j = 0; j < sizeof alliances / sizeof alliances[0]; j++) {
            int al = lode_alliance_find(model, alliances[j]);
            assert_true(al >= 0);
            lode_respond_opts o;
            lode_respond_opts_default(&o);
            o.weeks = 26;
            lode_respond_result r, g, r2;
            assert_int_equal(lode_respond_run(model, &s, al, &o, a, &r, &err), LODE_OK);
            check_plan(&r);
            assert_true(r.resimulated);
            if (r.unserved_after_t > r.unserved_before_t * (1 + 1e-9) + 1e-9)
                fprintf(stderr, "%s %s: after %.10g > before %.10g\n", scen[i], alliances[j],
                        r.unserved_after_t, r.unserved_before_t);
            assert_true(r.unserved_after_t <= r.unserved_before_t * (1 + 1e-9) + 1e-9);
            assert_true(r.unserved_plan_t <= r.unserved_before_t * (1 + 1e-9) + 1e-9);
            assert_true(r.weighted_after <= r.weighted_before * (1 + 1e-9) + 1e-9);
            some_plan |= r.n_deliveries > 0;
            o.solver = LODE_SOLVER_GLPK;
            assert_int_equal(lode_respond_run(model, &s, al, &o, a, &g, &err), LODE_OK);
            check_plan(&g);
            NEAR(r.weighted_after, g.weighted_after, 1e-6 * fmax(1, fabs(r.weighted_after)));
            assert_int_equal(r.rows, g.rows);
            assert_int_equal(r.cols, g.cols);
            o.solver = LODE_SOLVER_CLP;
            assert_int_equal(lode_respond_run(model, &s, al, &o, a, &r2, &err), LODE_OK);
            assert_int_equal(r.n_deliveries, r2.n_deliveries);
            if (r.n_deliveries)
                assert_memory_equal(r.deliveries, r2.deliveries,
                                    r.n_deliveries * sizeof *r.deliveries);
            NEAR(r.unserved_after_t, r2.unserved_after_t, 0);
        }
        lode_arena_free(a);
    }
    assert_true(some_plan);
}

/* 12. Bad calls: an unknown alliance, a horizon out of range. */
static void test_lode_respond_run_bad_calls(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err = {0};
    assert_int_equal(lode_scenario_load(model, SCEN_DIR "/ga-ge-2023.json", a, &s, &err),
                     LODE_OK);
    lode_respond_result r;
    assert_int_equal(lode_respond_run(model, &s, -1, NULL, a, &r, &err), LODE_EUSAGE);
    assert_int_equal(lode_alliance_find(model, "NOPE"), -1);
    lode_respond_opts o;
    lode_respond_opts_default(&o);
    o.weeks = 521;
    assert_int_equal(lode_respond_run(model, &s, lode_alliance_find(model, "G7"), &o, a, &r,
                                      &err),
                     LODE_EUSAGE);
    assert_string_equal(err.field, "weeks");
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest hand_tests[] = {
        cmocka_unit_test(test_lode_respond_solve_two_allies),
        cmocka_unit_test(test_lode_respond_solve_stock_binds),
        cmocka_unit_test(test_lode_respond_solve_lead_time_and_require),
        cmocka_unit_test(test_lode_respond_solve_burden_soft),
        cmocka_unit_test(test_lode_respond_solve_burden_hard),
        cmocka_unit_test(test_lode_respond_solve_surplus),
        cmocka_unit_test(test_lode_respond_solve_bad_input),
        cmocka_unit_test(test_lode_respond_solve_out_of_memory),
        cmocka_unit_test(test_lode_lead_weeks_rule),
    };
    const struct CMUnitTest data_tests[] = {
        cmocka_unit_test(test_lode_value_usd_per_t_by_hand),
        cmocka_unit_test(test_lode_burden_keys_rules),
        cmocka_unit_test(test_lode_respond_run_bundled),
        cmocka_unit_test(test_lode_respond_run_bad_calls),
    };
    int rc = cmocka_run_group_tests(hand_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(data_tests, load_model, free_model);
    return rc;
}
