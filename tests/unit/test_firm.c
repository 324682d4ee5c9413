/* test_firm.c: the synthetic firm network (lode_firm_generate) and its simulation by the
 * engine of lode_sim_run (lode_sim_opts.firms) on the bundled dataset: firm totals equal the
 * country totals exactly (kg), links sum to every country-level flow, CSR is well formed,
 * generation is deterministic, out-degrees are heavy-tailed, every allocation may fail
 * cleanly; the country network expressed as firms (lode_firm_from_country) gives the
 * country-level result to REL_SAME; a generated network aggregated back to countries gives it
 * within the AGG_ tolerances (docs/firms.md says why it is not exact). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lode/firm.h"
#include "lode/sim.h"

#ifndef LODE_DATADIR
#define LODE_DATADIR "data"
#endif

/* The country network as firms: every number of the result within REL_SAME relative (and
 * SAME_ABS_T absolute, for zeros) of the country engine's. */
static const double REL_SAME = 1e-9;
static const double SAME_ABS_T = 1e-12;
/* A generated network aggregated to countries (docs/firms.md, "Aggregation"): the world
 * shortfall of every material within AGG_MAT of that material's world use (intermediate +
 * final, countries and ROW) over the horizon, and the total within AGG_TOTAL of the country
 * total. Not exact: firms do not pool supply within their country, deliveries between firms
 * of one country take the week every link takes, and stocks are split over firms. Single
 * (country, material) cells are not bounded: a country with few firms, one of which buys only
 * from the shocked exporter, differs by up to 0.8 of its use (measured; printed below). */
static const double AGG_MAT = 0.01;
static const double AGG_TOTAL = 0.05;

static lode_model *M;

static int setup(void **state)
{
    (void)state;
    lode_err err = {0};
    if (lode_model_load_dir(LODE_DATADIR, &M, &err) != LODE_OK) {
        char buf[1024];
        fprintf(stderr, "%s\n", lode_err_fmt(&err, buf, sizeof buf));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lode_model_free(M);
    return 0;
}

static int64_t kg(double t)
{
    return t > 0 ? (int64_t)llround(t * 1000.0) : 0;
}

static int kept(const lode_model *m, int c)
{
    return lode_country_is_real(m, c) || c == m->residual;
}

/* 1. capacities and use sum to production and use of every node, links to every flow. */
static void test_firm_totals_exact(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_firmnet net;
    lode_firm_gen_opts o = {20000, 0, 7, 0};
    assert_int_equal(lode_firm_generate(M, &o, a, &net, NULL), LODE_OK);
    assert_int_equal(net.n_nodes, 20000);
    const size_t nc = M->n_countries, K = M->n_materials * nc;
    int64_t *cap = calloc(K, sizeof *cap), *dem = calloc(K, sizeof *dem);
    int64_t *pair = calloc(K * nc, sizeof *pair); /* [k = m*nc+exporter][importer] */
    assert_non_null(cap);
    assert_non_null(dem);
    assert_non_null(pair);
    for (size_t n = 0; n < net.n_nodes; n++) {
        size_t k = (size_t)net.material[n] * nc + (size_t)net.country[n];
        cap[k] += kg(net.cap_t[n]);
        dem[k] += kg(net.dem_t[n]);
        assert_true(net.out_start[n] <= net.out_start[n + 1]);
        uint32_t prev = UINT32_MAX;
        for (size_t l = net.out_start[n]; l < net.out_start[n + 1]; l++) {
            uint32_t b = net.buyer[l];
            assert_true(b < net.n_nodes);
            assert_int_equal(net.material[b], net.material[n]);
            assert_true(b != prev); /* no repeated link within a block run */
            prev = b;
            assert_true(b != n); /* a firm's delivery to itself is no link */
            pair[k * nc + (size_t)net.country[b]] += kg(net.link_t[l]);
        }
    }
    assert_int_equal(net.out_start[net.n_nodes], net.n_links);
    for (size_t k = 0; k < K; k++) {
        if (!kept(M, (int)(k % nc)))
            continue;
        assert_true(cap[k] == kg(M->base.prod_t[k]));
        assert_true(dem[k] == kg(M->base.inter_t[k] + M->base.final_t[k]));
    }
    /* every baseline flow between kept countries, to the kg */
    int64_t *want = calloc(K * nc, sizeof *want);
    assert_non_null(want);
    for (size_t i = 0; i < M->base.n_flows; i++) {
        const lode_flow *f = &M->trade[i];
        if (f->exporter == f->importer || !kept(M, f->exporter) || !kept(M, f->importer))
            continue;
        want[((size_t)f->material * nc + (size_t)f->exporter) * nc + (size_t)f->importer] +=
            kg(f->tonnes);
    }
    for (size_t k = 0; k < K; k++)
        for (size_t c = 0; c < nc; c++)
            if (c != k % nc)
                assert_true(pair[k * nc + c] == want[k * nc + c]);
    free(want);
    free(cap);
    free(dem);
    free(pair);
    lode_arena_free(a);
}

/* 2. same seed, same network; another seed, another network. */
static void test_firm_deterministic(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_firmnet x, y, z;
    lode_firm_gen_opts o = {5000, 30000, 42, 0};
    assert_int_equal(lode_firm_generate(M, &o, a, &x, NULL), LODE_OK);
    assert_int_equal(lode_firm_generate(M, &o, a, &y, NULL), LODE_OK);
    o.seed = 43;
    assert_int_equal(lode_firm_generate(M, &o, a, &z, NULL), LODE_OK);
    assert_int_equal(x.n_links, y.n_links);
    assert_memory_equal(x.out_start, y.out_start, (x.n_nodes + 1) * sizeof *x.out_start);
    assert_memory_equal(x.buyer, y.buyer, x.n_links * sizeof *x.buyer);
    assert_memory_equal(x.link_t, y.link_t, x.n_links * sizeof *x.link_t);
    assert_memory_equal(x.cap_t, y.cap_t, x.n_nodes * sizeof *x.cap_t);
    int differ = x.n_links != z.n_links ||
                 memcmp(x.buyer, z.buyer, x.n_links * sizeof *x.buyer) != 0;
    assert_true(differ);
    lode_arena_free(a);
}

/* 3. out-degrees are heavy-tailed: the largest is far above the mean, and the top 1 % of
 * firms hold a large share of the links (a Poisson graph would give ~ mean + 4 sqrt(mean)). */
static void test_firm_degree_tail(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_firmnet net;
    lode_firm_gen_opts o = {100000, 0, 1, 0};
    assert_int_equal(lode_firm_generate(M, &o, a, &net, NULL), LODE_OK);
    size_t maxd = 0;
    for (size_t n = 0; n < net.n_nodes; n++) {
        size_t d = net.out_start[n + 1] - net.out_start[n];
        if (d > maxd)
            maxd = d;
    }
    double mean = (double)net.n_links / (double)net.n_nodes;
    assert_true(net.n_links > 4 * net.n_nodes); /* near the 5 x N asked */
    assert_true((double)maxd > 50 * mean);
    lode_arena_free(a);
}

/* 4. every allocation may fail: LODE_EIO, never a crash. */
static void test_firm_oom(void **state)
{
    (void)state;
    for (long k = 1; k < 200; k++) {
        lode_arena *a = lode_arena_new();
        lode_firmnet net;
        lode_err err = {0};
        lode_arena_fail_after(a, k);
        lode_firm_gen_opts o = {3000, 0, 1, 0};
        lode_status st = lode_firm_generate(M, &o, a, &net, &err);
        lode_arena_free(a);
        if (st == LODE_OK)
            return;
        assert_int_equal(st, LODE_EIO);
    }
    fail_msg("generation never succeeded");
}

static void test_firm_too_few_nodes(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_firmnet net;
    lode_err err = {0};
    lode_firm_gen_opts o = {3, 0, 1, 0};
    assert_int_equal(lode_firm_generate(M, &o, a, &net, &err), LODE_EUSAGE);
    lode_arena_free(a);
}

static void load_scenario(const char *name, lode_arena *a, lode_scenario *s)
{
    char path[1024];
    lode_err err = {0};
    snprintf(path, sizeof path, "%s/../scenarios/%s", LODE_DATADIR, name);
    if (lode_scenario_load(M, path, a, s, &err) != LODE_OK) {
        char buf[1024];
        fail_msg("%s", lode_err_fmt(&err, buf, sizeof buf));
    }
}

static void run_sim(const lode_scenario *s, const lode_firmnet *net, long runs, lode_arena *a,
                    lode_sim_result *r)
{
    lode_sim_opts o;
    memset(&o, 0, sizeof o);
    o.runs = runs;
    o.seed = 11;
    o.threads = 2;
    o.firms = net;
    lode_err err = {0};
    if (lode_sim_run(M, s, &o, a, r, &err) != LODE_OK) {
        char buf[1024];
        fail_msg("%s", lode_err_fmt(&err, buf, sizeof buf));
    }
}

static void same(double x, double y, const char *what, size_t i)
{
    double tol = REL_SAME * fmax(fabs(x), fabs(y)) + SAME_ABS_T;
    if (!(fabs(x - y) <= tol))
        fail_msg("%s[%zu]: firms %.17g, country %.17g", what, i, x, y);
}

/* 6. the country network expressed as firms, through the same engine, gives every number of
 * the country-level result: shortfall (mean and percentiles), by sector and week, exports,
 * prices, exhaustion, mass balance; Monte Carlo of random scenarios included. */
static void test_firm_country_as_firms(void **state)
{
    (void)state;
    static const char *const scen[] = {"zero.json",          "australia-loss.json",
                                       "china-ree-stop.json", "heavy-ree-licence-2025.json",
                                       "japan-2026.json",     "ga-ge-2023.json"};
    for (size_t i = 0; i < sizeof scen / sizeof scen[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_scenario s;
        lode_firmnet cnet;
        lode_sim_result c, f;
        load_scenario(scen[i], a, &s);
        assert_int_equal(lode_firm_from_country(M, a, &cnet, NULL), LODE_OK);
        long runs = lode_scenario_is_random(&s) ? 8 : 1;
        run_sim(&s, NULL, runs, a, &c);
        run_sim(&s, &cnet, runs, a, &f);
        assert_int_equal(c.n_shortfall, f.n_shortfall);
        for (size_t j = 0; j < c.n_shortfall; j++) {
            assert_int_equal(c.shortfall[j].country, f.shortfall[j].country);
            assert_int_equal(c.shortfall[j].material, f.shortfall[j].material);
            same(f.shortfall[j].mean_t, c.shortfall[j].mean_t, "shortfall.mean_t", j);
            same(f.shortfall[j].p5_t, c.shortfall[j].p5_t, "shortfall.p5_t", j);
            same(f.shortfall[j].p50_t, c.shortfall[j].p50_t, "shortfall.p50_t", j);
            same(f.shortfall[j].p95_t, c.shortfall[j].p95_t, "shortfall.p95_t", j);
        }
        assert_int_equal(c.n_sector_shortfall, f.n_sector_shortfall);
        for (size_t j = 0; j < c.n_sector_shortfall; j++)
            same(f.sector_shortfall[j].mean_t, c.sector_shortfall[j].mean_t, "sector", j);
        assert_int_equal(c.n_week_shortfall, f.n_week_shortfall);
        for (size_t j = 0; j < c.n_week_shortfall; j++)
            same(f.week_shortfall[j].mean_t, c.week_shortfall[j].mean_t, "week", j);
        assert_int_equal(c.n_exports, f.n_exports);
        for (size_t j = 0; j < c.n_exports; j++) {
            same(f.exports[j].baseline_t, c.exports[j].baseline_t, "exports.baseline_t", j);
            same(f.exports[j].mean_t, c.exports[j].mean_t, "exports.mean_t", j);
        }
        assert_int_equal(c.n_prices, f.n_prices);
        for (size_t j = 0; j < c.n_prices; j++)
            same(f.prices[j].mean, c.prices[j].mean, "prices", j);
        assert_int_equal(c.n_exhaustion, f.n_exhaustion);
        for (size_t j = 0; j < c.n_exhaustion; j++)
            same(f.exhaustion[j].mean_week, c.exhaustion[j].mean_week, "exhaustion", j);
        assert_true(f.mass_balance_max_error_t <= 1e-6);
        assert_int_equal(c.node_weeks, f.node_weeks);
        printf("%s: %zu cells, digest %s\n", scen[i], c.n_shortfall,
               strcmp(c.digest, f.digest) == 0 ? "identical" : "differs (within 1e-9)");
        lode_arena_free(a);
    }
}

/* 7. a generated network of 20 000 firms aggregated back to countries against the country
 * network, same scenario, same engine: within the AGG_ tolerances; mass is conserved. */
static void test_firm_aggregates_to_country(void **state)
{
    (void)state;
    static const char *const scen[] = {"zero.json",          "australia-loss.json",
                                       "china-ree-stop.json", "china-ban-usa-2024.json",
                                       "heavy-ree-licence-2025.json", "ga-ge-2023.json"};
    lode_arena *ga = lode_arena_new();
    lode_firmnet fnet;
    lode_firm_gen_opts go = {20000, 0, 3, 0};
    assert_int_equal(lode_firm_generate(M, &go, ga, &fnet, NULL), LODE_OK);
    const size_t nc = M->n_countries, nm = M->n_materials;
    double *cdem = calloc(nm * nc, sizeof *cdem), *mdem = calloc(nm, sizeof *mdem);
    double *mf = calloc(nm, sizeof *mf), *mc = calloc(nm, sizeof *mc);
    assert_non_null(cdem);
    assert_non_null(mdem);
    assert_non_null(mf);
    assert_non_null(mc);
    for (size_t k = 0; k < nm * nc; k++) {
        if (!lode_country_is_real(M, (int)(k % nc)) && (int)(k % nc) != M->residual)
            continue; /* as the model's world totals: countries and ROW */
        cdem[k] = M->base.inter_t[k] + M->base.final_t[k];
        mdem[k / nc] += cdem[k];
    }
    for (size_t i = 0; i < sizeof scen / sizeof scen[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_scenario s;
        lode_firm_result fr, cr;
        lode_firmnet cnet;
        load_scenario(scen[i], a, &s);
        assert_int_equal(lode_firm_sim(M, &fnet, &s, 0, a, &fr, NULL), LODE_OK);
        assert_int_equal(lode_firm_from_country(M, a, &cnet, NULL), LODE_OK);
        assert_int_equal(lode_firm_sim(M, &cnet, &s, 0, a, &cr, NULL), LODE_OK);
        assert_true(fr.sim.mass_balance_max_error_t <= 1e-6);
        double hz = (double)fr.weeks / 52.0, worst_cell = 0, worst_mat = 0;
        memset(mf, 0, nm * sizeof *mf);
        memset(mc, 0, nm * sizeof *mc);
        for (size_t k = 0; k < fr.n_cm; k++) {
            double d = fabs(fr.short_t[k] - cr.short_t[k]), use = cdem[k] * hz;
            if (use > 0 && d / use > worst_cell)
                worst_cell = d / use;
            mf[k / nc] += fr.short_t[k];
            mc[k / nc] += cr.short_t[k];
        }
        for (size_t k = 0; k < nm; k++) {
            double d = fabs(mf[k] - mc[k]), use = mdem[k] * hz;
            if (!(d <= AGG_MAT * use + 1e-6))
                fail_msg("%s: %s: firms %.6f t, country %.6f t, world use %.6f t",
                         scen[i], M->materials[k].id, mf[k], mc[k], use);
            if (use > 0 && d / use > worst_mat)
                worst_mat = d / use;
        }
        double dt = fabs(fr.total_short_t - cr.total_short_t);
        assert_true(dt <= AGG_TOTAL * cr.total_short_t + 1e-6);
        if (strcmp(scen[i], "zero.json") == 0)
            assert_true(fr.total_short_t == 0 && cr.total_short_t == 0);
        printf("%s: firms %.3f t, country %.3f t (%+.2f %%); worst material %.2g, worst cell "
               "%.2g of use\n",
               scen[i], fr.total_short_t, cr.total_short_t,
               cr.total_short_t > 0 ? 100 * (fr.total_short_t / cr.total_short_t - 1) : 0,
               worst_mat, worst_cell);
        lode_arena_free(a);
    }
    free(cdem);
    free(mdem);
    free(mf);
    free(mc);
    lode_arena_free(ga);
}

/* 8. bad firm networks are refused, naming the firm. */
static void test_firm_bad_network(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_firmnet net;
    lode_scenario s;
    lode_firm_result r;
    lode_err err = {0};
    load_scenario("zero.json", a, &s);
    assert_int_equal(lode_firm_from_country(M, a, &net, NULL), LODE_OK);
    assert_true(net.n_links > 0);
    uint32_t keep = net.buyer[0];
    net.buyer[0] = 0; /* node 0 ships to itself, or a firm of another material */
    assert_int_equal(lode_firm_sim(M, &net, &s, 4, a, &r, &err), LODE_EINPUT);
    net.buyer[0] = keep;
    int32_t c = net.country[1];
    net.country[1] = net.country[0] == 0 ? 1 : 0; /* out of (material, country) order */
    assert_int_equal(lode_firm_sim(M, &net, &s, 4, a, &r, &err), LODE_EINPUT);
    net.country[1] = c;
    assert_int_equal(lode_firm_sim(M, &net, &s, 4, a, &r, &err), LODE_OK);
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_firm_totals_exact),
        cmocka_unit_test(test_firm_deterministic),
        cmocka_unit_test(test_firm_degree_tail),
        cmocka_unit_test(test_firm_oom),
        cmocka_unit_test(test_firm_too_few_nodes),
        cmocka_unit_test(test_firm_country_as_firms),
        cmocka_unit_test(test_firm_aggregates_to_country),
        cmocka_unit_test(test_firm_bad_network),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
