/* test_market.c: markets (src/engines/market.c) on a hand-made model whose answers are worked
 * out in the comments: unit conversions, below-cost detection, the cost of a price floor over
 * the history (zero when prices stay above it) and under a scenario, seller and buyer HHI,
 * and the distortion flags. Rows go in through lode_model_add_row, as the CSV loader does. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lode/market.h"
#include "lode/model.h"
#include "lode/sim.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

#define F(n)                                                                                       \
    {                                                                                              \
        n, "", "", LODE_FT_STRING, 0, 0, 0, 0, 0, NULL, 0                                          \
    }
static lode_field mat_f[] = {F("id"), F("name"), F("stage"), F("unit"), F("hs_codes"), F("source")};
static lode_field cty_f[] = {F("iso3"), F("name"), F("kind"), F("memberships"), F("source")};
static lode_field prod_f[] = {F("material"), F("country"), F("year"),
                              F("tonnes"),   F("kind"),    F("source")};
static lode_field dem_f[] = {F("material"), F("country"), F("sector"), F("priority"),
                             F("year"),     F("tonnes"),  F("source")};
static lode_field price_f[] = {F("material"), F("date"),  F("price"),
                               F("unit"),     F("basis"), F("source")};
static lode_field cost_f[] = {F("material"), F("producer"), F("country"), F("year"),
                              F("cost"),     F("unit"),     F("source")};
static lode_field pol_f[] = {F("id"),        F("country"),   F("title"),
                             F("notice_no"), F("materials"), F("kind"),
                             F("targets"),   F("announced"), F("effective"),
                             F("suspended_from"), F("ends"), F("severity_note"),
                             F("source")};
#define S(name, f)                                                                                 \
    {                                                                                              \
        name, name ".csv", f, sizeof f / sizeof f[0], NULL, 0, NULL, 0                             \
    }
static lode_schema mat_s = S("materials", mat_f);
static lode_schema cty_s = S("countries", cty_f);
static lode_schema prod_s = S("production", prod_f);
static lode_schema dem_s = S("demand", dem_f);
static lode_schema price_s = S("prices", price_f);
static lode_schema cost_s = S("costs", cost_f);
static lode_schema pol_s = S("policies", pol_f);

static lode_err add_err;

static lode_status add_rows(lode_model *m, const lode_schema *s, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lode_status st = lode_model_add_row(m, s, cells + i * s->n_fields, s->n_fields, s->path,
                                            (long)i + 2, &add_err);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

#define ADD(m, s, rows) add_rows((m), &(s), &(rows)[0][0], sizeof(rows) / sizeof((rows)[0]))

/* One oxide "Ndo" made in CHN (900 t) and the USA (100 t), used in JPN (600), the USA (300)
 * and ROW (100). Prices (USD/kg after conversion):
 *   2020 50, 2021 120, 2022 40 USD/lb = 88.1849..., 2023 80,000 USD/t = 80  (annual, world)
 *   2024-01 70 Rotterdam, 2024-03 60 China domestic, 2024-04 120 Rotterdam  (monthly)
 *   2024-02 30 AUD/kg (not convertible), 2024-06 100: a government price floor.
 * One producer cost: 70 USD/kg (USA, 2024). One export ban by CHN announced 2024-03-15. */
static lode_model *market_model(void)
{
    static const char *const mats[][6] = {{"Ndo", "oxide", "refine", "t", "", "s"}};
    static const char *const cty[][5] = {
        {"CHN", "China", "country", "", "s"},
        {"JPN", "Japan", "country", "", "s"},
        {"ROW", "Rest of world", "residual", "", "s"},
        {"USA", "United States", "country", "", "s"},
    };
    static const char *const prod[][6] = {
        {"Ndo", "CHN", "2024", "900", "refinery", "s"},
        {"Ndo", "USA", "2024", "100", "plant", "usa-row"},
    };
    static const char *const dem[][7] = {
        {"Ndo", "JPN", "consumer", "5", "2024", "600", "s"},
        {"Ndo", "USA", "consumer", "5", "2024", "300", "s"},
        {"Ndo", "ROW", "consumer", "5", "2024", "100", "s"},
    };
    static const char *const prices[][6] = {
        {"Ndo", "2020", "50", "USD/kg", "annual average", "p1"},
        {"Ndo", "2021", "120", "USD/kg", "annual average", "p2"},
        {"Ndo", "2022", "40", "USD/lb", "annual average", "p3"},
        {"Ndo", "2023", "80000", "USD/t", "annual average", "p4"},
        {"Ndo", "2024-01", "70", "USD/kg", "in-whs Rotterdam", "p5"},
        {"Ndo", "2024-02", "30", "AUD/kg", "producer basket", "p6"},
        {"Ndo", "2024-03", "60", "USD/kg", "China domestic price", "p7"},
        {"Ndo", "2024-04", "120", "USD/kg", "in-whs Rotterdam", "p8"},
        {"Ndo", "2024-06", "100", "USD/kg", "US government price floor", "floor-src"},
    };
    static const char *const costs[][7] = {{"Ndo", "P", "USA", "2024", "70", "USD/kg", "c1"}};
    static const char *const pols[][13] = {{"CHN-X", "CHN", "Export ban", "No. 1", "Ndo", "ban",
                                            "all", "2024-03-15", "2024-05-01", "", "", "",
                                            "pol"}};
    lode_model *m = lode_model_new();
    lode_err err = {0};
    assert_non_null(m);
    lode_status st = ADD(m, cty_s, cty);
    if (st == LODE_OK)
        st = ADD(m, mat_s, mats);
    if (st == LODE_OK)
        st = ADD(m, prod_s, prod);
    if (st == LODE_OK)
        st = ADD(m, dem_s, dem);
    if (st == LODE_OK)
        st = ADD(m, price_s, prices);
    if (st == LODE_OK)
        st = ADD(m, cost_s, costs);
    if (st == LODE_OK)
        st = ADD(m, pol_s, pols);
    if (st == LODE_OK)
        st = lode_model_freeze(m, &err);
    if (st != LODE_OK)
        print_error("model: %s (%s) / %s %s line %ld\n", err.msg, err.field, add_err.msg,
                    add_err.field, add_err.line);
    assert_int_equal(st, LODE_OK);
    return m;
}

static const double LB_KG = 0.45359237;

/* 1. Conversions: 1 USD/lb = 1/0.45359237 USD/kg; 1000 USD/t = 1 USD/kg; 79.3 USD per mtu WO3
 * = 10 USD/kg W (7.93 kg W per mtu); AUD and unknown units are not converted. */
static void test_lode_usd_per_kg_conversions(void **state)
{
    (void)state;
    const char *how = NULL;
    NEAR(lode_usd_per_kg(1, "USD/lb", &how), 1 / LB_KG, 1e-12);
    assert_non_null(strstr(how, "0.45359237"));
    NEAR(lode_usd_per_kg(1000, "USD/t", &how), 1, 1e-12);
    NEAR(lode_usd_per_kg(79.3, "USD/mtu WO3", &how), 10, 1e-12);
    NEAR(lode_usd_per_kg(60, "USD/kg", &how), 60, 0);
    assert_string_equal(how, "");
    NEAR(lode_usd_per_kg(11, "USD/kg REO", NULL), 11, 0);
    assert_true(isnan(lode_usd_per_kg(42.5, "AUD/kg", &how)));
    assert_non_null(strstr(how, "exchange rate"));
    assert_true(isnan(lode_usd_per_kg(1, "USD/oz", NULL)));
}

/* 2. Below cost: the 7 convertible market prices (the AUD quote and the floor left out) are
 * 50, 120, 88.18, 80, 70, 60, 120; below the cost of 70: 50 (by 20) and 60 (by 10); 70 is not
 * below. n_below 2, max gap 20, mean 15, from 2020 to 2024-03. The flag's size: 20 / 50. */
static void test_lode_market_run_below_cost(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_prices, 9);
    assert_string_equal(r.prices[0].date, "2020");
    assert_string_equal(r.prices[8].date, "2024-06");
    assert_int_equal(r.prices[8].region, LODE_PR_POLICY);
    assert_int_equal(r.prices[6].region, LODE_PR_CHINA_DOMESTIC);
    NEAR(r.prices[2].usd_per_kg, 40 / LB_KG, 1e-9);
    assert_int_equal(r.n_costs, 1);
    const lode_cost_check *c = &r.costs[0];
    assert_int_equal(c->n_obs, 7);
    assert_int_equal(c->n_below, 2);
    NEAR(c->max_gap_usd_per_kg, 20, 1e-12);
    NEAR(c->mean_gap_usd_per_kg, 15, 1e-12);
    assert_string_equal(c->first_below, "2020");
    assert_string_equal(c->last_below, "2024-03");
    assert_true(r.n_flags >= 1);
    assert_int_equal(r.flags[0].kind, LODE_DISTORT_BELOW_COST);
    NEAR(r.flags[0].gap_pct, 40, 1e-9);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 3. The floor from the data (100 USD/kg), covering the USA's 100 t/yr = 1e5 kg. Annual gaps:
 * 2020 50, 2021 0, 2022 100 - 88.1849... = 11.8151..., 2023 20: 81.8151... USD/kg-years x 1e5
 * kg = 8,181,509.5 USD. The latest market price (2024-04, 120) is above it: 0 a year. */
static void test_lode_market_run_floor_history(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_true(r.have_floor);
    const lode_floor_result *f = &r.floor;
    NEAR(f->floor_usd_per_kg, 100, 0);
    assert_string_equal(f->floor_source, "floor-src");
    NEAR(f->volume_t, 100, 0);
    assert_non_null(strstr(f->volume_source, "usa-row"));
    assert_int_equal(f->n_history, 4);
    NEAR(f->history[0].cost_usd, 5e6, 1e-6);
    NEAR(f->history[1].cost_usd, 0, 0);
    NEAR(f->history[2].gap_usd_per_kg, 100 - 40 / LB_KG, 1e-9);
    NEAR(f->history[3].cost_usd, 2e6, 1e-6);
    NEAR(f->history_cost_usd, (50 + 100 - 40 / LB_KG + 20) * 1e5, 1e-4);
    NEAR(f->history_cost_usd, 8181509.5126, 1e-3);
    assert_string_equal(f->latest_date, "2024-04");
    NEAR(f->latest_cost_usd_per_yr, 0, 0);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 4. A floor the prices never fall below costs nothing: at 40 USD/kg every annual price (50,
 * 120, 88.18, 80) and the latest (120) are above it. At 130 USD/kg on 10 t/yr = 1e4 kg: gaps
 * 80 + 10 + 41.815... + 50 = 181.815... -> 1,818,150.95 USD; at the latest price 10 x 1e4 =
 * 100,000 USD a year. */
static void test_lode_market_run_floor_zero_above(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    o.floor_usd_per_kg = 40;
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_true(r.have_floor);
    assert_string_equal(r.floor.floor_source, "--floor");
    NEAR(r.floor.history_cost_usd, 0, 0);
    for (size_t i = 0; i < r.floor.n_history; i++)
        NEAR(r.floor.history[i].cost_usd, 0, 0);
    NEAR(r.floor.latest_cost_usd_per_yr, 0, 0);

    o.floor_usd_per_kg = 130;
    o.volume_t = 10;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_string_equal(r.floor.volume_source, "--volume");
    NEAR(r.floor.history_cost_usd, (80 + 10 + 130 - 40 / LB_KG + 50) * 1e4, 1e-4);
    NEAR(r.floor.latest_cost_usd_per_yr, 1e5, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 5. Under a scenario that changes nothing, the price index stays 1: 4 weeks at the latest
 * price 120 under a floor of 130 on 1e4 kg a year cost 10 x 1e4 x 4 / 52 = 7,692.31 USD, the
 * same as the baseline. */
static void test_lode_market_run_floor_scenario(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    static const char json[] = "{\"name\": \"still\", \"weeks\": 4, \"policies\": [], "
                               "\"outages\": [], \"demand_shocks\": []}";
    lode_scenario s;
    lode_err err = {0};
    assert_int_equal(lode_scenario_parse(m, json, sizeof json - 1, "still.json", a, &s, &err),
                     LODE_OK);
    lode_market_opts o;
    lode_market_opts_default(&o);
    o.floor_usd_per_kg = 130;
    o.volume_t = 10;
    o.scenario = &s;
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, &err), LODE_OK);
    assert_true(r.floor.have_scenario);
    assert_int_equal(r.floor.weeks, 4);
    NEAR(r.floor.scenario_cost_usd, 10 * 1e4 * 4 / 52.0, 1e-6);
    NEAR(r.floor.baseline_cost_usd, r.floor.scenario_cost_usd, 1e-9);
    NEAR(r.floor.scenario_min_usd_per_kg, 120, 1e-9);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 6. Concentration: sellers CHN 90 %, USA 10 % -> HHI 8,100 + 100 = 8,200; buyers JPN 60 %,
 * USA 30 %, ROW 10 % (in the total, not squared) -> 3,600 + 900 = 4,500; no imports -> 0. */
static void test_lode_market_run_concentration(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_conc, 1);
    const lode_concentration *c = &r.conc[0];
    NEAR(c->seller_hhi, 8200, 1e-9);
    assert_string_equal(m->countries[c->top_seller].iso3, "CHN");
    NEAR(c->use_t, 1000, 1e-9);
    NEAR(c->buyer_hhi, 4500, 1e-9);
    assert_string_equal(m->countries[c->top_buyer].iso3, "JPN");
    NEAR(c->top_buyer_share, 0.6, 1e-12);
    NEAR(c->import_hhi, 0, 0);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 7. Flags: below cost (test 2); the China quote 2024-03 (60) against the nearest other quote
 * within three months, Rotterdam 2024-04 (120, one month; 2024-01 is two): +100 %; no floor
 * flag (the latest market price before the floor, 120, is above 100); CHN-X announced 2024-03:
 * the lowest Rotterdam quote of 2023-12..2024-03 (70) against the highest of 2024-04..2024-09
 * (120): +71.4 %. Sorted by kind. */
static void test_lode_market_run_distortions(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    lode_market_result r;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_flags, 3);
    assert_int_equal(r.flags[0].kind, LODE_DISTORT_BELOW_COST);
    assert_int_equal(r.flags[1].kind, LODE_DISTORT_EXPORT_GAP);
    NEAR(r.flags[1].gap_pct, 100, 1e-9);
    assert_string_equal(r.flags[1].date, "2024-04");
    assert_int_equal(r.flags[2].kind, LODE_DISTORT_POLICY_JUMP);
    NEAR(r.flags[2].gap_pct, 100.0 * 50 / 70, 1e-9);
    assert_non_null(strstr(r.flags[2].detail, "CHN-X"));

    /* A floor of 130 from --floor is not a data row: still no floor flag. With a lower
     * threshold the 2024-01 -> 2024-04 pair is not a China pair and adds nothing. */
    o.gap_flag = 0.01;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_flags, 3);
    lode_arena_free(a);
    lode_model_free(m);
}

/* 8. Options: a material filter keeps its rows only; bad options are usage errors. */
static void test_lode_market_run_options(void **state)
{
    (void)state;
    lode_model *m = market_model();
    lode_arena *a = lode_arena_new();
    lode_market_opts o;
    lode_market_opts_default(&o);
    lode_market_result r;
    o.material = lode_model_material(m, "Ndo");
    o.floor_material = o.material;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_prices, 9);
    assert_true(r.have_floor);
    o.volume_t = -1;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_EUSAGE);
    o.volume_t = 0;
    o.material = 7;
    assert_int_equal(lode_market_run(m, &o, a, &r, NULL), LODE_EUSAGE);
    lode_arena_free(a);
    lode_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_usd_per_kg_conversions),
        cmocka_unit_test(test_lode_market_run_below_cost),
        cmocka_unit_test(test_lode_market_run_floor_history),
        cmocka_unit_test(test_lode_market_run_floor_zero_above),
        cmocka_unit_test(test_lode_market_run_floor_scenario),
        cmocka_unit_test(test_lode_market_run_concentration),
        cmocka_unit_test(test_lode_market_run_distortions),
        cmocka_unit_test(test_lode_market_run_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
