/* test_firm.c: the synthetic firm network (lode_firm_generate) and its simulation
 * (lode_firm_sim) on the bundled dataset: firm totals equal the country totals exactly (kg),
 * links sum to every country-level flow, CSR is well formed, generation is deterministic,
 * out-degrees are heavy-tailed, every allocation may fail cleanly, and the firm network
 * aggregated back to countries gives the country-level answer of the same scenario within
 * AGG_REL of each node's horizon use (no inventory: the step is then linear in the links). */
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

/* Aggregation tolerance: |firm - country| shortfall of a (material, country) node over the
 * horizon <= AGG_REL x that node's use over the horizon + AGG_ABS_T. Firm capacities are
 * whole kg, so a firm's ship ratio differs from its country's by up to ~1 kg / capacity. */
static const double AGG_REL = 1e-6;
static const double AGG_ABS_T = 1e-3;

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
        cap[k] += net.cap_kg[n];
        dem[k] += net.dem_kg[n];
        assert_true(net.out_start[n] <= net.out_start[n + 1]);
        uint32_t prev = UINT32_MAX;
        for (size_t l = net.out_start[n]; l < net.out_start[n + 1]; l++) {
            uint32_t b = net.buyer[l];
            assert_true(b < net.n_nodes);
            assert_int_equal(net.material[b], net.material[n]);
            assert_true(b != prev); /* no repeated link within a block run */
            prev = b;
            pair[k * nc + (size_t)net.country[b]] += net.link_kg[l];
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
    assert_memory_equal(x.link_kg, y.link_kg, x.n_links * sizeof *x.link_kg);
    assert_memory_equal(x.cap_kg, y.cap_kg, x.n_nodes * sizeof *x.cap_kg);
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

/* Firm shortfall aggregated to countries against the country network, node by node; returns
 * the largest difference in t. */
static double compare(const char *json, size_t nodes, double *firm_t, double *country_t)
{
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err = {0};
    if (lode_scenario_parse(M, json, strlen(json), "test.json", a, &s, &err) != LODE_OK) {
        char buf[1024];
        fail_msg("%s", lode_err_fmt(&err, buf, sizeof buf));
    }
    lode_firmnet fnet, cnet;
    lode_firm_gen_opts o = {nodes, 0, 3, 0};
    assert_int_equal(lode_firm_generate(M, &o, a, &fnet, NULL), LODE_OK);
    assert_int_equal(lode_firm_from_country(M, a, &cnet, NULL), LODE_OK);
    lode_firm_result fr, cr;
    assert_int_equal(lode_firm_sim(M, &fnet, &s, 0, a, &fr, NULL), LODE_OK);
    assert_int_equal(lode_firm_sim(M, &cnet, &s, 0, a, &cr, NULL), LODE_OK);
    assert_int_equal(fr.node_weeks, (long)nodes * s.weeks);
    double worst = 0;
    const size_t nc = M->n_countries;
    for (size_t k = 0; k < fr.n_cm; k++) {
        double use = (M->base.inter_t[k] + M->base.final_t[k]) * s.weeks / 52.0;
        double d = fabs(fr.short_t[k] - cr.short_t[k]);
        if (!(d <= AGG_REL * use + AGG_ABS_T))
            fail_msg("%s %s: firm %.9g t, country %.9g t", M->materials[k / nc].id,
                     M->countries[k % nc].iso3, fr.short_t[k], cr.short_t[k]);
        if (d > worst)
            worst = d;
    }
    *firm_t = fr.total_short_t;
    *country_t = cr.total_short_t;
    lode_arena_free(a);
    return worst;
}

/* 5. aggregation: zero shock gives zero; an outage and an export ban agree node by node. */
static void test_firm_aggregates_to_country(void **state)
{
    (void)state;
    double f, c, w;
    w = compare("{\"name\":\"zero\",\"weeks\":52}", 20000, &f, &c);
    assert_true(f == 0 && c == 0 && w == 0);
    w = compare("{\"name\":\"aus\",\"weeks\":52,\"params\":{\"inventory_wk\":0},\"outages\":["
                "{\"country\":\"AUS\",\"material\":\"Li_mine\",\"severity\":1,\"start_wk\":0,"
                "\"duration_wk\":26},"
                "{\"country\":\"AUS\",\"material\":\"REO_conc\",\"severity\":0.5,\"start_wk\":4,"
                "\"duration_wk\":13}]}",
                50000, &f, &c);
    assert_true(c > 0);
    printf("outage: firm %.6f t, country %.6f t, worst node %.3g t\n", f, c, w);
    w = compare("{\"name\":\"ban\",\"weeks\":52,\"params\":{\"inventory_wk\":0},\"policies\":["
                "{\"id\":\"CHN-2024-46-2\",\"materials\":[\"Ga\",\"Ge\"]}]}",
                50000, &f, &c);
    printf("ban: firm %.6f t, country %.6f t, worst node %.3g t\n", f, c, w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_firm_totals_exact),
        cmocka_unit_test(test_firm_deterministic),
        cmocka_unit_test(test_firm_degree_tail),
        cmocka_unit_test(test_firm_oom),
        cmocka_unit_test(test_firm_too_few_nodes),
        cmocka_unit_test(test_firm_aggregates_to_country),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
