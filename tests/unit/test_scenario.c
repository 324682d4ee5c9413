/* test_scenario.c: scenarios and distributions (src/engines/scenario.c): inverse-CDF draws
 * against closed forms and beta quantiles computed with mpmath (40 digits), means, bounds and
 * monotonicity; every shipped scenario parsed against the bundled dataset; dataset policy dates
 * turned into weeks; one case per error class with its exact JSON path; the malformed corpus
 * tests/bad_scenarios/; and a clean out-of-memory error at every allocation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "lode/sim.h"

#define SCEN_DIR LODE_DATADIR "/../scenarios"
#define BAD_DIR  LODE_DATADIR "/../tests/bad_scenarios"

#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __FILE__, __LINE__)

static void near_(double a, double b, double eps, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s = %.17g, expected %.17g (+/- %g)\n", what, a, b, eps);
        _fail(file, line);
    }
}

static lode_dist dist(lode_dist_kind k, double a, double b, double c)
{
    lode_dist d = {k, a, b, c};
    return d;
}

/* ---- distributions ------------------------------------------------------------------------ */

static void test_lode_dist_draw_fixed(void **state)
{
    lode_dist d = dist(LODE_DIST_FIXED, 3.5, 0, 0);
    (void)state;
    assert_near(lode_dist_draw(&d, 0.01, 0.99), 3.5, 0);
    assert_near(lode_dist_draw(&d, 0.99, 0.01), 3.5, 0);
    assert_near(lode_dist_mean(&d), 3.5, 0);
}

static void test_lode_dist_draw_uniform_quantiles(void **state)
{
    lode_dist d = dist(LODE_DIST_UNIFORM, 2, 10, 10);
    (void)state;
    assert_near(lode_dist_draw(&d, 0.0, 0.5), 2, 0);
    assert_near(lode_dist_draw(&d, 0.25, 0.5), 4, 1e-15);
    assert_near(lode_dist_draw(&d, 0.5, 0.5), 6, 1e-15);
    assert_near(lode_dist_draw(&d, 1.0, 0.5), 10, 0);
    assert_near(lode_dist_mean(&d), 6, 0);
}

/* Triangular(min 2, mode 5, max 11): F(mode) = 3/9; below it x = 2 + sqrt(27 u), above it
 * x = 11 - sqrt(54 (1 - u)). */
static void test_lode_dist_draw_triangular_quantiles(void **state)
{
    lode_dist d = dist(LODE_DIST_TRIANGULAR, 2, 5, 11);
    (void)state;
    assert_near(lode_dist_draw(&d, 0.0, 0.5), 2, 0);
    assert_near(lode_dist_draw(&d, 1.0 / 12.0, 0.5), 3.5, 1e-14);
    assert_near(lode_dist_draw(&d, 1.0 / 3.0, 0.5), 5, 1e-14);
    assert_near(lode_dist_draw(&d, 0.75, 0.5), 11 - sqrt(13.5), 1e-14);
    assert_near(lode_dist_draw(&d, 1.0, 0.5), 11, 0);
    assert_near(lode_dist_mean(&d), 6, 1e-15);
}

/* Beta-PERT quantiles against mpmath: bisection on betainc(alpha, beta, 0, x, regularized=True)
 * at 40 digits, alpha = 1 + 4 (mode - min) / (max - min), beta = 1 + 4 (max - mode) / (max - min).
 */
static void test_lode_dist_draw_pert_quantiles(void **state)
{
    static const struct {
        double min, mode, max, u, x;
    } t[] = {
        {0, 0.3, 1, 0.001, 0.015033386753324364942}, {0, 0.3, 1, 0.05, 0.09570428352919887361},
        {0, 0.3, 1, 0.5, 0.35099948494911798473},    {0, 0.3, 1, 0.95, 0.69155101771162650568},
        {0, 0.3, 1, 0.999, 0.89636913762845080534},  {2, 10, 30, 0.001, 2.3780837247767098176},
        {2, 10, 30, 0.05, 4.520634613429714588},     {2, 10, 30, 0.5, 11.530354405680979968},
        {2, 10, 30, 0.95, 21.095685973982501446},    {2, 10, 30, 0.999, 26.956813431501523411},
        {8, 26, 52, 0.05, 14.316770208421614445},    {8, 26, 52, 0.5, 27.018769474778984764},
        {8, 26, 52, 0.95, 41.432737138395693009},    {0, 0.01, 1, 0.001, 0.00026651090435934958965},
        {0, 0.01, 1, 0.5, 0.13670597845440401296},   {0, 0.01, 1, 0.999, 0.75560661599862066333},
    };
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lode_dist d = dist(LODE_DIST_PERT, t[i].min, t[i].mode, t[i].max);
        assert_near(lode_dist_draw(&d, t[i].u, 0.5), t[i].x, 1e-12 * (t[i].max - t[i].min));
    }
}

/* Closed forms: a symmetric PERT has its median at the mode; mode = min gives Beta(1, 5), whose
 * quantile is 1 - (1 - u)^(1/5); a PERT on one point returns it. */
static void test_lode_dist_draw_pert_special_cases(void **state)
{
    lode_dist sym = dist(LODE_DIST_PERT, 13, 26, 39);
    lode_dist left = dist(LODE_DIST_PERT, 0, 0, 1);
    lode_dist right = dist(LODE_DIST_PERT, 0, 1, 1);
    lode_dist point = dist(LODE_DIST_PERT, 4, 4, 4);
    (void)state;
    assert_near(lode_dist_draw(&sym, 0.5, 0.5), 26, 1e-12);
    assert_near(lode_dist_mean(&sym), 26, 0);
    for (double u = 0.05; u < 1; u += 0.1) {
        assert_near(lode_dist_draw(&left, u, 0.5), 1 - pow(1 - u, 0.2), 1e-14);
        assert_near(lode_dist_draw(&right, u, 0.5), pow(u, 0.2), 1e-14);
    }
    assert_near(lode_dist_draw(&point, 0.3, 0.5), 4, 0);
}

/* Every kind: draws stay in [min, max] for any u (0, 1, tiny, NaN, out of range) and do not
 * decrease as u1 grows. */
static void test_lode_dist_draw_bounds_and_monotone(void **state)
{
    lode_dist ds[] = {dist(LODE_DIST_UNIFORM, -1, 3, 3),   dist(LODE_DIST_TRIANGULAR, 0, 0, 5),
                      dist(LODE_DIST_TRIANGULAR, 1, 7, 7), dist(LODE_DIST_PERT, 0, 0.05, 1),
                      dist(LODE_DIST_PERT, 0, 0.95, 1),    dist(LODE_DIST_PERT, 10, 30, 520)};
    double odd[] = {0.0, 1.0, 1e-300, 1 - 1e-16, -5, 7, NAN};
    (void)state;
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        const lode_dist *d = &ds[k];
        double prev = -INFINITY;
        for (int i = 0; i <= 4000; i++) {
            double x = lode_dist_draw(d, i / 4000.0, 0.5);
            assert_true(x >= d->a && x <= d->c);
            assert_true(x >= prev);
            prev = x;
        }
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
            double x = lode_dist_draw(d, odd[i], odd[i]);
            assert_true(x >= d->a && x <= d->c);
        }
    }
}

/* The mean of the draws (midpoint rule over u, i.e. the integral of the quantile function)
 * matches lode_dist_mean: (min + 4 mode + max) / 6 for PERT, (min + mode + max) / 3 triangular. */
static void test_lode_dist_mean_matches_draws(void **state)
{
    lode_dist ds[] = {dist(LODE_DIST_UNIFORM, 2, 9, 9), dist(LODE_DIST_TRIANGULAR, 2, 5, 11),
                      dist(LODE_DIST_PERT, 0, 0.3, 1), dist(LODE_DIST_PERT, 8, 26, 52),
                      dist(LODE_DIST_PERT, 0, 0.01, 1)};
    const int n = 100000;
    (void)state;
    assert_near(lode_dist_mean(&ds[2]), (0 + 4 * 0.3 + 1) / 6.0, 1e-15);
    assert_near(lode_dist_mean(&ds[1]), 6, 1e-15);
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += lode_dist_draw(&ds[k], (i + 0.5) / n, 0.5);
        assert_near(sum / n, lode_dist_mean(&ds[k]), 1e-5 * (ds[k].c - ds[k].a));
    }
}

/* ---- parameters --------------------------------------------------------------------------- */

static void test_lode_sim_params_default_values(void **state)
{
    lode_sim_params p;
    (void)state;
    memset(&p, 0xff, sizeof p);
    lode_sim_params_default(&p);
    assert_near(p.inventory_wk, 4, 0);
    assert_near(p.price_elasticity, -0.1, 0);
    assert_near(p.price_response, 10, 0);
    assert_near(p.substitution_lag_wk, 26, 0);
    assert_near(p.substitution_max, 0.1, 0);
    assert_near(p.stock_release_wk, 13, 0);
    lode_sim_params_default(NULL); /* no-op */
}

/* ---- shipped scenarios -------------------------------------------------------------------- */

static int setup_model(void **state)
{
    lode_model *m = NULL;
    lode_err err = {0};
    if (lode_model_load_dir(LODE_DATADIR, &m, &err) != LODE_OK) {
        fprintf(stderr, "cannot load %s: %s\n", LODE_DATADIR, err.msg);
        return -1;
    }
    *state = m;
    return 0;
}

static int teardown_model(void **state)
{
    lode_model_free(*state);
    return 0;
}

/* Load scenarios/<name>.json, failing the test with the error if it does not parse. */
static void load(const lode_model *m, const char *name, lode_arena *a, lode_scenario *s)
{
    char path[512], msg[600];
    lode_err err = {0};
    snprintf(path, sizeof path, "%s/%s.json", SCEN_DIR, name);
    if (lode_scenario_load(m, path, a, s, &err) != LODE_OK) {
        print_error("%s\n", lode_err_fmt(&err, msg, sizeof msg));
        fail();
    }
}

/* Parse a JSON text; returns the status and leaves the error in *err. */
static lode_status parse(const lode_model *m, const char *json, lode_arena *a, lode_scenario *s,
                         lode_err *err)
{
    memset(err, 0, sizeof *err);
    return lode_scenario_parse(m, json, strlen(json), "t.json", a, s, err);
}

static int has_material(const lode_model *m, const int *mats, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m->materials[mats[i]].id, id) == 0)
            return 1;
    return 0;
}

/* Every .json file of scenarios/ parses against the bundled data, is named after its file
 * and says what it is; the seven the issue asks for are there. */
static void test_lode_scenario_load_every_shipped(void **state)
{
    static const char *const required[] = {"ga-ge-2023",
                                           "heavy-ree-licence-2025",
                                           "china-ban-usa-2024",
                                           "china-ree-stop",
                                           "australia-loss",
                                           "japan-2026",
                                           "zero"};
    const lode_model *m = *state;
    DIR *dir = opendir(SCEN_DIR);
    struct dirent *de;
    size_t found = 0, n = 0;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        char name[256];
        size_t len = strlen(de->d_name);
        lode_arena *a;
        lode_scenario s;
        if (len < 6 || len >= sizeof name || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        memcpy(name, de->d_name, len - 5);
        name[len - 5] = '\0';
        a = lode_arena_new();
        load(m, name, a, &s);
        assert_string_equal(s.name, name);
        assert_int_equal(s.weeks, 52);
        assert_true(strlen(s.description) > 40);
        assert_non_null(strstr(s.path, name));
        if (strcmp(name, "zero") != 0)
            assert_true(s.n_policies + s.n_outages + s.n_demand_shocks > 0);
        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
            found += strcmp(name, required[i]) == 0;
        lode_arena_free(a);
        n++;
    }
    closedir(dir);
    assert_int_equal(found, sizeof required / sizeof required[0]);
    assert_true(n >= found);
}

/* CHN-2023-23 with week 0 = 3 Jul 2023: effective 1 Aug, 29 days later. */
static void test_lode_scenario_load_ga_ge_2023(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    const lode_sim_policy *p;
    load(m, "ga-ge-2023", a, &s);
    assert_int_equal(s.n_policies, 1);
    p = &s.policies[0];
    assert_string_equal(p->id, "CHN-2023-23");
    assert_string_equal(m->countries[p->country].iso3, "CHN");
    assert_int_equal(p->kind, LODE_POL_LICENCE);
    assert_int_equal(p->n_materials, 2);
    assert_true(has_material(m, p->materials, p->n_materials, "Ga"));
    assert_true(has_material(m, p->materials, p->n_materials, "Ge"));
    assert_int_equal(p->n_targets, 0);
    assert_int_equal(p->start_wk.kind, LODE_DIST_FIXED);
    assert_near(p->start_wk.a, 29.0 / 7.0, 1e-12);
    assert_near(p->announce_wk, 29.0 / 7.0, 1e-12);
    assert_near(p->duration_wk.a, 10000, 0);
    assert_near(p->approval_rate, 0.75, 0);
    assert_near(lode_dist_mean(&p->severity), 0.25, 1e-15);
    assert_near(p->delay_wd, 45, 0);
    assert_near(p->validity_wk, 52, 0);
    assert_near(p->frontload, 0.8, 0);
    assert_near(p->diverted, 0, 0);
    lode_arena_free(a);
}

static void test_lode_scenario_load_china_ree_stop(void **state)
{
    static const char *const ree[] = {"REO_conc", "REO_sep",  "NdPr_oxide",  "NdPr_metal",
                                      "Dy_oxide", "Tb_oxide", "NdFeB_magnet"};
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    const lode_sim_policy *p;
    load(m, "china-ree-stop", a, &s);
    assert_int_equal(s.n_policies, 1);
    p = &s.policies[0];
    assert_string_equal(p->id, "inline[0]");
    assert_int_equal(p->kind, LODE_POL_BAN);
    assert_int_equal(p->n_materials, sizeof ree / sizeof ree[0]);
    for (size_t i = 0; i < sizeof ree / sizeof ree[0]; i++)
        assert_true(has_material(m, p->materials, p->n_materials, ree[i]));
    assert_int_equal(p->n_targets, 0);
    assert_near(lode_dist_mean(&p->severity), 1, 0);
    assert_int_equal(p->duration_wk.kind, LODE_DIST_PERT);
    assert_near(lode_dist_mean(&p->duration_wk), 26, 0);
    lode_arena_free(a);
}

/* CHN-2024-46-2 runs from 3 Dec 2024 to its suspension on 9 Nov 2025: 341 days. */
static void test_lode_scenario_load_china_ban_usa_2024(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    load(m, "china-ban-usa-2024", a, &s);
    assert_int_equal(s.n_policies, 3);
    for (size_t i = 0; i < s.n_policies; i++) {
        const lode_sim_policy *p = &s.policies[i];
        assert_int_equal(p->n_targets, 1);
        assert_string_equal(m->countries[p->targets[0]].iso3, "USA");
        assert_near(p->start_wk.a, 0, 0);
        assert_near(p->diverted, 1, 0);
    }
    assert_near(s.policies[0].duration_wk.a, 341.0 / 7.0, 1e-12);
    assert_int_equal(s.policies[0].kind, LODE_POL_BAN);
    assert_near(s.policies[0].severity.a, 1, 0);
    assert_int_equal(s.policies[1].kind, LODE_POL_LICENCE);
    assert_int_equal(s.policies[2].severity.kind, LODE_DIST_UNIFORM);
    assert_near(s.policies[2].approval_rate, 0.85, 1e-15);
    lode_arena_free(a);
}

static void test_lode_scenario_load_australia_loss(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    load(m, "australia-loss", a, &s);
    assert_int_equal(s.n_policies, 0);
    assert_int_equal(s.n_outages, 5);
    for (size_t i = 0; i < s.n_outages; i++) {
        assert_string_equal(m->countries[s.outages[i].country].iso3, "AUS");
        assert_string_equal(s.outages[i].facility, "");
        assert_near(s.outages[i].severity.a, 1, 0);
        assert_int_equal(s.outages[i].duration_wk.kind, LODE_DIST_TRIANGULAR);
    }
    lode_arena_free(a);
}

static void test_lode_scenario_load_zero_has_no_shock(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_sim_params d;
    load(m, "zero", a, &s);
    assert_int_equal(s.n_policies + s.n_outages + s.n_demand_shocks, 0);
    lode_sim_params_default(&d);
    assert_memory_equal(&s.params, &d, sizeof d);
    lode_arena_free(a);
}

/* ---- dates and defaults ---------------------------------------------------------------------- */

/* A policy already in force at week 0 starts at 0; a finite one keeps what remains of it. */
static void test_lode_scenario_parse_policy_in_force_before_start(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err;
    assert_int_equal(
        parse(m,
              "{\"start_date\": \"2025-01-07\", \"policies\": [{\"id\": "
              "\"CHN-2023-23\"}, {\"id\": \"CHN-2024-46-2\", \"materials\": [\"Ga\"]}]}",
              a, &s, &err),
        LODE_OK);
    assert_near(s.policies[0].start_wk.a, 0, 0);
    assert_near(s.policies[0].duration_wk.a, 10000, 0);
    assert_near(s.policies[1].start_wk.a, 0, 0);
    assert_near(s.policies[1].duration_wk.a, (341.0 - 35.0) / 7.0, 1e-12);
    /* without start_date every dataset policy starts at week 0 */
    assert_int_equal(parse(m, "{\"policies\": [{\"id\": \"CHN-2024-46-2\"}]}", a, &s, &err),
                     LODE_OK);
    assert_near(s.policies[0].start_wk.a, 0, 0);
    assert_near(s.policies[0].duration_wk.a, 341.0 / 7.0, 1e-12);
    /* a later policy starts later: 1 Aug 2023 is 52 days after 10 Jun 2023 */
    assert_int_equal(parse(m,
                           "{\"start_date\": \"2023-06-10\", \"policies\": [{\"id\": "
                           "\"CHN-2023-23\", \"start_wk\": 3}]}",
                           a, &s, &err),
                     LODE_OK);
    assert_near(s.policies[0].start_wk.a, 3, 0); /* explicit start wins */
    assert_int_equal(parse(m,
                           "{\"start_date\": \"2023-06-10\", \"policies\": [{\"id\": "
                           "\"CHN-2023-23\"}]}",
                           a, &s, &err),
                     LODE_OK);
    assert_near(s.policies[0].start_wk.a, 52.0 / 7.0, 1e-12);
    /* "YYYY-MM" dates of the dataset read as the 1st: MYS-2024-REE from 2024-01 */
    assert_int_equal(parse(m,
                           "{\"start_date\": \"2023-12-25\", \"policies\": [{\"id\": "
                           "\"MYS-2024-REE\"}]}",
                           a, &s, &err),
                     LODE_OK);
    assert_near(s.policies[0].start_wk.a, 1, 1e-12);
    lode_arena_free(a);
}

static void test_lode_scenario_parse_defaults(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err;
    lode_sim_params d;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_scenario_parse(m, "{}", 2, "dir/my-case.json", a, &s, &err), LODE_OK);
    assert_string_equal(s.name, "my-case");
    assert_string_equal(s.description, "");
    assert_string_equal(s.path, "dir/my-case.json");
    assert_int_equal(s.weeks, 52);
    lode_sim_params_default(&d);
    assert_memory_equal(&s.params, &d, sizeof d);
    assert_int_equal(
        parse(m,
              "{\"weeks\": 26, \"params\": {\"inventory_wk\": 8}, \"policies\": ["
              "{\"country\": \"CHN\", \"materials\": \"Ga;Ge\", \"kind\": \"licence\"},"
              "{\"country\": \"CHN\", \"materials\": [\"Sb\"], \"kind\": \"ban\", "
              "\"targets\": \"USA;JPN\"},"
              "{\"country\": \"USA\", \"materials\": [\"W_APT\"], \"kind\": \"tariff\", "
              "\"targets\": [\"CHN\"], \"diverted\": 0.25},"
              "{\"country\": \"COD\", \"materials\": [\"Co_mine\"], \"kind\": \"quota\", "
              "\"severity\": {\"dist\": \"fixed\", \"value\": 0.4}}],"
              "\"outages\": [{\"country\": \"USA\", \"material\": \"NdFeB_magnet\", "
              "\"facility\": \"MP Materials US magnet capacity (10X facility + "
              "Independence, Fort Worth TX)\", \"severity\": 0.5}],"
              "\"demand_shocks\": [{\"change\": 0.2}, {\"country\": \"DEU\", "
              "\"material\": \"NdFeB_magnet\", \"sector\": \"energy_transition\", "
              "\"start_wk\": 4, \"duration_wk\": 8, \"change\": -0.5}]}",
              a, &s, &err),
        LODE_OK);
    assert_int_equal(s.weeks, 26);
    assert_near(s.params.inventory_wk, 8, 0);
    assert_near(s.params.stock_release_wk, 13, 0);
    /* inline licence: defaults */
    assert_string_equal(s.policies[0].id, "inline[0]");
    assert_int_equal(s.policies[0].n_materials, 2);
    assert_near(s.policies[0].approval_rate, 0.75, 0);
    assert_near(s.policies[0].severity.a, 0.25, 1e-15);
    assert_near(s.policies[0].delay_wd, 45, 0);
    assert_near(s.policies[0].validity_wk, 52, 0);
    assert_near(s.policies[0].announce_wk, 0, 0);
    assert_near(s.policies[0].start_wk.a, 0, 0);
    assert_near(s.policies[0].duration_wk.a, 10000, 0);
    assert_near(s.policies[0].diverted, 0, 0);
    /* targeted ban: severity 1, blocked tonnes sold elsewhere */
    assert_int_equal(s.policies[1].n_targets, 2);
    assert_near(s.policies[1].severity.a, 1, 0);
    assert_near(s.policies[1].approval_rate, 0, 0);
    assert_near(s.policies[1].delay_wd, 0, 0);
    assert_near(s.policies[1].diverted, 1, 0);
    /* tariff: no volume effect */
    assert_near(s.policies[2].severity.a, 0, 0);
    assert_near(s.policies[2].diverted, 0.25, 0);
    assert_near(s.policies[3].severity.a, 0.4, 0);
    assert_near(s.outages[0].severity.a, 0.5, 0);
    assert_near(s.outages[0].start_wk.a, 0, 0);
    assert_near(s.outages[0].duration_wk.a, 10000, 0);
    assert_non_null(strstr(s.outages[0].facility, "10X"));
    assert_int_equal(s.demand_shocks[0].country, -1);
    assert_int_equal(s.demand_shocks[0].material, -1);
    assert_int_equal(s.demand_shocks[0].sector, -1);
    assert_near(s.demand_shocks[0].change.a, 0.2, 0);
    assert_string_equal(m->countries[s.demand_shocks[1].country].iso3, "DEU");
    assert_int_equal(s.demand_shocks[1].sector, LODE_SEC_ENERGY);
    assert_near(s.demand_shocks[1].duration_wk.a, 8, 0);
    lode_arena_free(a);
}

/* ---- errors ------------------------------------------------------------------------------- */

/* One case per error class: the JSON path (err->field) exactly and a part of the message. */
static void test_lode_scenario_parse_errors(void **state)
{
    static const struct {
        const char *json, *field, *msg;
    } t[] = {
        /* wrong JSON types */
        {"{\"weeks\": \"52\"}", "weeks", "got a string"},
        {"{\"policies\": {}}", "policies", "expected an array, got an object"},
        {"{\"policies\": [3]}", "policies[0]", "expected an object, got a number"},
        {"{\"params\": []}", "params", "expected an object"},
        {"{\"name\": 5}", "name", "expected a string, got a number"},
        {"{\"outages\": [{\"country\": \"AUS\", \"material\": \"Li_mine\", \"severity\": "
         "\"high\"}]}",
         "outages[0].severity", "expected a number or a distribution object"},
        {"{\"policies\": [{\"country\": \"CHN\", \"materials\": [\"Ga\", 7], \"kind\": \"ban\"}]}",
         "policies[0].materials[1]", "expected a string, got a number"},
        /* unknown keys */
        {"{\"wekes\": 52}", "wekes", "did you mean \"weeks\""},
        {"{\"outages\": [{\"country\": \"AUS\", \"material\": \"Li_mine\", \"start\": 2}]}",
         "outages[0].start", "unknown key \"start\""},
        {"{\"params\": {\"elasticity\": -0.2}}", "params.elasticity", "unknown key"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"severity\": {\"dist\": \"uniform\", "
         "\"min\": 0.1, \"max\": 0.3, \"mode\": 0.2}}]}",
         "policies[0].severity.mode", "not used by a uniform distribution"},
        /* unknown ids */
        {"{\"policies\": [{\"id\": \"CHN-2023-99\"}]}", "policies[0].id", "unknown policy id"},
        {"{\"policies\": [{\"country\": \"ZZZ\", \"materials\": [\"Ga\"], \"kind\": \"ban\"}]}",
         "policies[0].country", "unknown country \"ZZZ\""},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"targets\": [\"USA\", \"XXA\"]}]}",
         "policies[0].targets[1]", "unknown country \"XXA\""},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"materials\": \"Ga;Gx\"}]}",
         "policies[0].materials", "unknown material \"Gx\" in \"Ga;Gx\""},
        {"{\"outages\": [{\"country\": \"AUS\", \"material\": \"lithium\"}]}",
         "outages[0].material", "unknown material \"lithium\""},
        {"{\"outages\": [{\"country\": \"AUS\", \"material\": \"Li_mine\", \"facility\": "
         "\"Greenbushes\"}]}",
         "outages[0].facility", "no facility \"Greenbushes\" of AUS Li_mine"},
        {"{\"demand_shocks\": [{\"sector\": \"cars\", \"change\": 0.1}]}",
         "demand_shocks[0].sector", "unknown sector \"cars\""},
        {"{\"demand_shocks\": [{\"country\": \"ROW\", \"material\": \"XX\", \"change\": 0.1}]}",
         "demand_shocks[0].material", "unknown material"},
        {"{\"policies\": [{\"country\": \"ROW\", \"materials\": [\"Ga\"], \"kind\": \"ban\"}]}",
         "policies[0].country", "not a country that can impose a policy"},
        {"{\"outages\": [{\"country\": \"EUU\", \"material\": \"Ga\"}]}", "outages[0].country",
         "is a region"},
        /* negative or impossible values */
        {"{\"weeks\": 0}", "weeks", "in 1..520, got 0"},
        {"{\"weeks\": 521}", "weeks", "in 1..520, got 521"},
        {"{\"weeks\": 10.5}", "weeks", "whole number"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": -0.1}]}", "policies[0].severity",
         "expected a share in 0..1, got -0.1"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"duration_wk\": -1}]}",
         "policies[0].duration_wk", "expected weeks in 0..10000, got -1"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"start_wk\": 10001}]}", "policies[0].start_wk",
         "got 10001"},
        {"{\"demand_shocks\": [{\"change\": -1}]}", "demand_shocks[0].change", "> -1"},
        {"{\"demand_shocks\": [{\"change\": {\"dist\": \"uniform\", \"min\": -1.5, \"max\": 0}}]}",
         "demand_shocks[0].change.min", "> -1"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"approval_rate\": -0.2}]}",
         "policies[0].approval_rate", "share in 0..1"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"delay_wd\": -5}]}", "policies[0].delay_wd",
         "working days"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"validity_wk\": 0}]}",
         "policies[0].validity_wk", "weeks > 0"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"diverted\": 1.5}]}", "policies[0].diverted",
         "share in 0..1"},
        {"{\"params\": {\"stock_release_wk\": 0}}", "params.stock_release_wk", "weeks > 0"},
        {"{\"params\": {\"substitution_max\": 2}}", "params.substitution_max", "share in 0..1"},
        {"{\"start_date\": \"2023-13-01\"}", "start_date", "expected a date"},
        {"{\"start_date\": \"2023-07\"}", "start_date", "expected a date"},
        {"{\"name\": \"\"}", "name", "non-empty"},
        {"{\"policies\": [{\"id\": \"CHN-2025-56\", \"duration_wk\": 10}]}",
         "policies[0].materials", "names no material"},
        /* bad distribution parameters */
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"dist\": \"pert\", "
         "\"min\": 0.5, \"mode\": 0.2, \"max\": 0.9}}]}",
         "policies[0].severity.min", "must not exceed mode"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"dist\": \"triangular\", "
         "\"min\": 0.1, \"mode\": 0.95, \"max\": 0.9}}]}",
         "policies[0].severity.mode", "must not exceed max"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"start_wk\": {\"dist\": \"uniform\", "
         "\"min\": 9, \"max\": 3}}]}",
         "policies[0].start_wk.min", "must not exceed max"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"dist\": \"pert\", "
         "\"min\": 0.1, \"mode\": 0.5, \"max\": 1.2}}]}",
         "policies[0].severity.max", "share in 0..1, got 1.2"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"dist\": \"lognormal\", "
         "\"min\": 0.1, \"max\": 0.2}}]}",
         "policies[0].severity.dist", "unknown distribution \"lognormal\""},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"min\": 0.1, \"max\": 0.2}}]}",
         "policies[0].severity.dist", "missing"},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"severity\": {\"dist\": \"uniform\", "
         "\"min\": 0.1}}]}",
         "policies[0].severity.max", "missing: a uniform distribution needs min and max"},
        /* rules between fields */
        {"{\"policies\": [{\"country\": \"CHN\", \"materials\": [\"Ga\"]}]}", "policies[0].kind",
         "missing"},
        {"{\"policies\": [{\"materials\": [\"Ga\"], \"kind\": \"ban\"}]}", "policies[0].country",
         "missing"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"country\": \"CHN\"}]}", "policies[0].country",
         "not allowed with \"id\""},
        {"{\"policies\": [{\"id\": \"CHN-2026-01\", \"validity_wk\": 10}]}",
         "policies[0].validity_wk", "licence regimes only"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"severity\": 0.2, \"approval_rate\": 0.8}]}",
         "policies[0].approval_rate", "not both"},
        {"{\"policies\": [{\"id\": \"CHN-2023-23\", \"diverted\": 0.3}]}", "policies[0].diverted",
         "nothing to divert to"},
        {"{\"policies\": [{\"country\": \"CHN\", \"materials\": [\"Ga\"], \"kind\": \"other\"}]}",
         "policies[0].severity", "no default severity"},
        {"{\"policies\": [{\"country\": \"CHN\", \"materials\": [\"Ga\"], \"kind\": \"ban\", "
         "\"targets\": [\"USA\", \"USA\"]}]}",
         "policies[0].targets[1]", "listed twice"},
        {"{\"policies\": [{\"country\": \"CHN\", \"materials\": [\"Ga\"], \"kind\": \"ban\", "
         "\"targets\": []}]}",
         "policies[0].targets", "at least one country"},
        {"{\"policies\": [{\"id\": \"CHN-2025-57\"}]}", "policies[0].id", "before it takes effect"},
        {"{\"start_date\": \"2026-01-01\", \"policies\": [{\"id\": \"COD-2025-CO-SUSP\"}]}",
         "policies[0].id", "is over (2025-10-15) before start_date"},
        {"{\"outages\": [{\"material\": \"Li_mine\"}]}", "outages[0].country",
         "an outage needs country and material"},
        {"{\"demand_shocks\": [{\"material\": \"Ga\"}]}", "demand_shocks[0].change",
         "needs change"},
        {"{\"weeks\": 52, \"weeks\": 52}", "weeks", "given twice"},
    };
    const lode_model *m = *state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_scenario s;
        lode_err err;
        lode_status st = parse(m, t[i].json, a, &s, &err);
        if (st != LODE_EINPUT || strcmp(err.field, t[i].field) != 0 ||
            strstr(err.msg, t[i].msg) == NULL) {
            print_error("case %zu %s: status %d, field '%s', msg '%s'\n", i, t[i].json, st,
                        err.field, err.msg);
            fail();
        }
        assert_string_equal(err.path, "t.json");
        assert_null(s.policies); /* *out is zeroed on failure */
        assert_int_equal(s.weeks, 0);
        lode_arena_free(a);
    }
}

/* Malformed JSON: line and column of the fault, no field. */
static void test_lode_scenario_parse_syntax_error_position(void **state)
{
    static const struct {
        const char *json;
        long line, column;
        const char *msg;
    } t[] = {
        {"{\n  \"weeks\": 52\n  \"name\": \"x\"\n}", 3, 3, "not valid JSON"},
        {"{\"weeks\": 52}\n\nx", 3, 1, "text after the end"},
        {"{\"weeks\": 5", 1, 1, "this object is not closed"},
        {"{\"w\": [1, {\"a\": \"b\"}\n", 1, 7, "this array is not closed"},
        {"{\"w\": \"abc\n  ", 1, 7, "this string is not closed"},
        {"{\"a\": [1, 2}", 1, 12, "not valid JSON"},
        {"\n\n  {\"a\": \x01}", 3, 9, "control character"},
        {"   ", 0, 0, "empty file"},
        {"[1, 2]", 0, 0, "at the top level, got an array"},
        {"nul", 1, 1, "not valid JSON"},
    };
    const lode_model *m = *state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_scenario s;
        lode_err err;
        assert_int_equal(parse(m, t[i].json, a, &s, &err), LODE_EINPUT);
        if (err.line != t[i].line || err.column != t[i].column ||
            strstr(err.msg, t[i].msg) == NULL) {
            print_error("case %zu: %ld:%ld '%s'\n", i, err.line, err.column, err.msg);
            fail();
        }
        assert_string_equal(err.field, "");
        lode_arena_free(a);
    }
}

/* tests/bad_scenarios/NN-name.json must fail with a message (as lode_err_fmt prints it, after
 * the path) containing NN-name.expected. */
static void test_lode_scenario_load_bad_corpus(void **state)
{
    const lode_model *m = *state;
    DIR *dir = opendir(BAD_DIR);
    struct dirent *de;
    int n = 0;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        char path[768], exp_path[768], msg[700];
        size_t len = strlen(de->d_name);
        lode_buf exp = LODE_BUF_INIT;
        lode_err err = {0};
        lode_arena *a;
        lode_scenario s;
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", BAD_DIR, de->d_name);
        snprintf(exp_path, sizeof exp_path, "%s/%.*s.expected", BAD_DIR, (int)(len - 5),
                 de->d_name);
        assert_int_equal(lode_file_read(exp_path, &exp, NULL), LODE_OK);
        while (exp.len > 0 && (exp.data[exp.len - 1] == '\n' || exp.data[exp.len - 1] == '\r'))
            exp.data[--exp.len] = '\0';
        assert_true(exp.len > 0);
        a = lode_arena_new();
        if (lode_scenario_load(m, path, a, &s, &err) != LODE_EINPUT ||
            strncmp(lode_err_fmt(&err, msg, sizeof msg), path, strlen(path)) != 0 ||
            strstr(msg + strlen(path), exp.data) == NULL) {
            print_error("%s: got '%s', expected '%s'\n", de->d_name, msg, exp.data);
            fail();
        }
        lode_arena_free(a);
        lode_buf_free(&exp);
        n++;
    }
    closedir(dir);
    assert_true(n >= 15);
}

/* Fail the arena's Nth allocation for every N until parsing succeeds: each failure is a clean
 * LODE_EIO with *out zeroed (ASan's leak check proves the cJSON tree is freed). */
static void test_lode_scenario_parse_every_allocation_fails(void **state)
{
    const lode_model *m = *state;
    lode_buf b = LODE_BUF_INIT;
    int ok = 0;
    assert_int_equal(lode_file_read(SCEN_DIR "/china-ban-usa-2024.json", &b, NULL), LODE_OK);
    for (long n = 1; n < 1000 && !ok; n++) {
        lode_arena *a = lode_arena_new();
        lode_scenario s;
        lode_err err = {0};
        lode_status st;
        lode_arena_fail_after(a, n);
        st = lode_scenario_parse(m, b.data, b.len, "x.json", a, &s, &err);
        if (st == LODE_OK) {
            ok = 1;
            assert_int_equal(s.n_policies, 3);
        } else {
            assert_int_equal(st, LODE_EIO);
            assert_null(s.name);
        }
        lode_arena_free(a);
    }
    assert_true(ok);
    lode_buf_free(&b);
}

static void test_lode_scenario_load_missing_file(void **state)
{
    const lode_model *m = *state;
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err = {0};
    assert_int_equal(lode_scenario_load(m, SCEN_DIR "/no-such.json", a, &s, &err), LODE_EIO);
    assert_non_null(strstr(err.path, "no-such.json"));
    assert_int_equal(lode_scenario_load(m, SCEN_DIR, a, &s, &err), LODE_EIO); /* a directory */
    assert_int_equal(lode_scenario_load(m, NULL, a, &s, &err), LODE_EUSAGE);
    assert_int_equal(lode_scenario_parse(NULL, "{}", 2, "x", a, &s, &err), LODE_EUSAGE);
    assert_int_equal(lode_scenario_parse(m, "{}", 2, "x", NULL, &s, &err), LODE_EUSAGE);
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest dist_tests[] = {
        cmocka_unit_test(test_lode_dist_draw_fixed),
        cmocka_unit_test(test_lode_dist_draw_uniform_quantiles),
        cmocka_unit_test(test_lode_dist_draw_triangular_quantiles),
        cmocka_unit_test(test_lode_dist_draw_pert_quantiles),
        cmocka_unit_test(test_lode_dist_draw_pert_special_cases),
        cmocka_unit_test(test_lode_dist_draw_bounds_and_monotone),
        cmocka_unit_test(test_lode_dist_mean_matches_draws),
        cmocka_unit_test(test_lode_sim_params_default_values),
    };
    const struct CMUnitTest scenario_tests[] = {
        cmocka_unit_test(test_lode_scenario_load_every_shipped),
        cmocka_unit_test(test_lode_scenario_load_ga_ge_2023),
        cmocka_unit_test(test_lode_scenario_load_china_ree_stop),
        cmocka_unit_test(test_lode_scenario_load_china_ban_usa_2024),
        cmocka_unit_test(test_lode_scenario_load_australia_loss),
        cmocka_unit_test(test_lode_scenario_load_zero_has_no_shock),
        cmocka_unit_test(test_lode_scenario_parse_policy_in_force_before_start),
        cmocka_unit_test(test_lode_scenario_parse_defaults),
        cmocka_unit_test(test_lode_scenario_parse_errors),
        cmocka_unit_test(test_lode_scenario_parse_syntax_error_position),
        cmocka_unit_test(test_lode_scenario_load_bad_corpus),
        cmocka_unit_test(test_lode_scenario_parse_every_allocation_fails),
        cmocka_unit_test(test_lode_scenario_load_missing_file),
    };
    int fails = cmocka_run_group_tests(dist_tests, NULL, NULL);
    fails += cmocka_run_group_tests(scenario_tests, setup_model, teardown_model);
    return fails;
}
