/* test_metrics.c: the Metrics engine (src/engines/metrics.c): HHI and top-k, WGI scaling, the EU
 * supply-risk formula, import reliance and origin tracing, on small hand-made networks whose
 * answers are worked out by hand in the comments. Rows go in through lode_model_add_row, the
 * path the CSV loader takes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lode/engines.h"
#include "lode/model.h"

/* ---- helpers ------------------------------------------------------------------------------ */

#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __FILE__, __LINE__)

static void near_(double a, double b, double eps, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s = %.17g, expected %.17g (+/- %g)\n", what, a, b, eps);
        _fail(file, line);
    }
}

/* Hand-written schemas: only the names matter to lode_model_add_row. */
#define F(n)                                                                                       \
    {                                                                                              \
        n, "", "", LODE_FT_STRING, 0, 0, 0, 0, 0, NULL, 0                                          \
    }
static lode_field mat_f[] = {F("id"), F("name"), F("stage"), F("unit"), F("hs_codes"), F("source")};
static lode_field cty_f[] = {F("iso3"), F("name"), F("kind"), F("memberships"), F("source")};
static lode_field gov_f[] = {F("iso3"),        F("year"),          F("voice"),
                             F("stability"),   F("effectiveness"), F("regulatory"),
                             F("rule_of_law"), F("corruption"),    F("source")};
static lode_field prod_f[] = {F("material"), F("country"), F("year"),
                              F("tonnes"),   F("kind"),    F("source")};
static lode_field rec_f[] = {F("output"),  F("input"), F("grade"), F("grade_share"),
                             F("t_per_t"), F("role"),  F("source")};
static lode_field trade_f[] = {F("material"), F("exporter"), F("importer"),
                               F("year"),     F("tonnes"),   F("source")};
static lode_field eu_f[] = {F("eu_material"),
                            F("lodestone_materials"),
                            F("stages_assessed"),
                            F("eu_supply_basis_extraction"),
                            F("eu_supply_basis_processing"),
                            F("import_reliance_extraction_pct"),
                            F("import_reliance_processing_pct"),
                            F("eol_rir_pct"),
                            F("si_sr"),
                            F("si_ei"),
                            F("source")};
static lode_field eut_f[] = {F("eu_material"), F("country_iso3"), F("stage"), F("scope"),
                             F("t"),           F("source")};
#define S(name, f)                                                                                 \
    {                                                                                              \
        name, name ".csv", f, sizeof f / sizeof f[0], NULL, 0, NULL, 0                             \
    }
static lode_schema mat_s = S("materials", mat_f);
static lode_schema cty_s = S("countries", cty_f);
static lode_schema gov_s = S("governance", gov_f);
static lode_schema prod_s = S("production", prod_f);
static lode_schema rec_s = S("recipes", rec_f);
static lode_schema trade_s = S("trade", trade_f);
static lode_schema eu_s = S("eu_crm", eu_f);
static lode_schema eut_s = S("eu_crm_trade", eut_f);

/* Add rows (n of them, each s->n_fields cells) to m; lines count from 2 like a CSV body. */
static lode_status add_rows(lode_model *m, const lode_schema *s, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lode_status st = lode_model_add_row(m, s, cells + i * s->n_fields, s->n_fields, s->path,
                                            (long)i + 2, NULL);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

#define ADD(m, s, rows) add_rows((m), &(s), &(rows)[0][0], sizeof(rows) / sizeof((rows)[0]))

/* Countries shared by every network, with WGI estimates chosen so the scaled WGI,
 * 2 x (2.5 - mean), is a round number: CHN all -0.5 -> 6; AUS, JPN, DEU all 1.5 -> 2; USA, FRA
 * all 1.0 -> 3. KAZ has no WGI row. ROW is the residual. DEU and FRA are EU members. */
static lode_status add_countries(lode_model *m)
{
    static const char *const cty[][5] = {
        {"AUS", "Australia", "country", "QUAD", "t"},
        {"CHN", "China", "country", "BRICS", "t"},
        {"DEU", "Germany", "country", "G7;EU", "t"},
        {"FRA", "France", "country", "G7;EU", "t"},
        {"JPN", "Japan", "country", "G7;QUAD", "t"},
        {"KAZ", "Kazakhstan", "country", "SCO", "t"},
        {"ROW", "Rest of world", "residual", "", "t"},
        {"USA", "United States", "country", "G7;QUAD", "t"},
    };
#define W6(v) v, v, v, v, v, v
    static const char *const gov[][9] = {
        {"AUS", "2023", W6("1.5"), "t"}, {"CHN", "2023", W6("-0.5"), "t"},
        {"DEU", "2023", W6("1.5"), "t"}, {"FRA", "2023", W6("1.0"), "t"},
        {"JPN", "2023", W6("1.5"), "t"}, {"USA", "2023", W6("1.0"), "t"},
    };
#undef W6
    lode_status st = ADD(m, cty_s, cty);
    return st != LODE_OK ? st : ADD(m, gov_s, gov);
}

static int mat(const lode_model *m, const char *id)
{
    int k = lode_model_material(m, id);
    assert_true(k >= 0);
    return k;
}

static int cty(const lode_model *m, const char *iso3)
{
    int c = lode_model_country(m, iso3);
    assert_true(c >= 0);
    return c;
}

static const lode_risk_row *risk_find(const lode_risk_result *r, int k)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].material == k)
            return &r->rows[i];
    return NULL;
}

/* Share of country c in a list of origins, 0 if absent. */
static double share_of(const lode_origin *o, size_t n, int c)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].country == c)
            return o[i].share;
    return 0;
}

/* ---- the risk network --------------------------------------------------------------------- */

/* rx (mine):   CHN 60, AUS 20, USA 10, ROW 10 of 100 t.
 * ry (refine): CHN 50, KAZ 50 (KAZ has no WGI).
 * Ga (refine): CHN 90, JPN 5, DEU 5 of 100 t; into the EU: CHN->DEU 3, JPN->FRA 2, and DEU->FRA 1
 *              (intra-EU, left out), CHN->USA 10 (not the EU). EU t: CHN 1.2 global, 1.1 EU.
 * Dy (refine): CHN 100. Dysprosium E+P with one (refine) material: processing, GSonly.
 * NdPr (refine): CHN 80, AUS 20; CHN->DEU 6, AUS->FRA 4. Neodymium and Praseodymium both map.
 * Ge (refine): CHN 10, no flow into the EU; Germanium lacks its processing IR.
 * ry also goes KAZ->DEU 5; "Kazium" (P, GS+EU, IR 50%) maps to it.
 * Li_mine (mine): AUS 50, CHN 50; Lithium E+P, extraction basis GSonly.
 * Li_chem (refine): no production, so no risk row.
 * W (mine): CHN 80, DEU 20, no flow into the EU, though Tungsten's extraction IR is 21%.
 * Fl (mine): CHN 90, DEU 10, no flow into the EU, and Fluorspar's IR is 0. */
static lode_status build_risk(lode_model *m, lode_err *err)
{
    static const char *const mats[][6] = {
        {"rx", "X", "mine", "t", "", "t"},         {"ry", "Y", "refine", "t", "", "t"},
        {"Ga", "Gallium", "refine", "t", "", "t"}, {"Dy", "Dy oxide", "refine", "t", "", "t"},
        {"NdPr", "NdPr", "refine", "t", "", "t"},  {"Ge", "Germanium", "refine", "t", "", "t"},
        {"Li_mine", "Li", "mine", "t", "", "t"},   {"Li_chem", "Li chem", "refine", "t", "", "t"},
        {"W", "Tungsten", "mine", "t", "", "t"},   {"Fl", "Fluorspar", "mine", "t", "", "t"},
    };
    static const char *const prod[][6] = {
        {"rx", "CHN", "2023", "60", "mine", "USGS rx"},
        {"rx", "AUS", "2023", "20", "mine", "USGS rx"},
        {"rx", "USA", "2023", "10", "mine", "USGS rx"},
        {"rx", "ROW", "2023", "10", "mine", "derived: world less listed"},
        {"ry", "CHN", "2023", "50", "refinery", "s"},
        {"ry", "KAZ", "2023", "50", "refinery", "s"},
        {"Ga", "CHN", "2023", "90", "refinery", "s"},
        {"Ga", "JPN", "2023", "5", "refinery", "s"},
        {"Ga", "DEU", "2023", "5", "refinery", "s"},
        {"Dy", "CHN", "2023", "100", "refinery", "s"},
        {"NdPr", "CHN", "2023", "80", "refinery", "s"},
        {"NdPr", "AUS", "2023", "20", "refinery", "s"},
        {"Ge", "CHN", "2023", "10", "refinery", "s"},
        {"Li_mine", "AUS", "2023", "50", "mine", "s"},
        {"Li_mine", "CHN", "2023", "50", "mine", "s"},
        {"W", "CHN", "2023", "80", "mine", "s"},
        {"W", "DEU", "2023", "20", "mine", "s"},
        {"Fl", "CHN", "2023", "90", "mine", "s"},
        {"Fl", "DEU", "2023", "10", "mine", "s"},
    };
    static const char *const trade[][6] = {
        {"Ga", "CHN", "DEU", "2023", "3", "s"},   {"Ga", "JPN", "FRA", "2023", "2", "s"},
        {"Ga", "DEU", "FRA", "2023", "1", "s"},   {"Ga", "CHN", "USA", "2023", "10", "s"},
        {"NdPr", "CHN", "DEU", "2023", "6", "s"}, {"NdPr", "AUS", "FRA", "2023", "4", "s"},
        {"ry", "KAZ", "DEU", "2023", "5", "s"},
    };
    static const char *const eu[][11] = {
        {"Gallium", "Ga", "P", "", "GS+EU", "", "98", "0", "0.98", "0.98", "s"},
        {"Dysprosium", "Dy", "E+P", "GS+EU", "GSonly", "80", "100", "1", "0.99", "0.98", "s"},
        {"Neodymium", "NdPr", "E+P", "GS+EU", "GS+EU", "80", "100", "1", "0.98", "0.97", "s"},
        {"Praseodymium", "NdPr", "E+P", "GS+EU", "GS+EU", "80", "100", "1", "0.99", "0.96", "s"},
        {"Germanium", "Ge", "P", "", "GS+EU", "", "", "2", "0.94", "0.92", "s"},
        {"Lithium", "Li_mine;Li_chem", "E+P", "GSonly", "GS+EU", "81", "100", "0", "0.94", "0.91",
         "s"},
        {"Kazium", "ry", "P", "", "GS+EU", "", "50", "0", "1", "1", "s"},
        {"Tungsten", "W", "E", "GS+EU", "", "21", "", "42", "0.96", "0.95", "s"},
        {"Fluorspar", "Fl", "E", "GS+EU", "", "0", "", "0", "1", "1", "s"},
    };
    static const char *const eut[][6] = {
        {"Gallium", "CHN", "processing", "global", "1.2", "s"},
        {"Gallium", "CHN", "processing", "eu", "1.1", "s"},
        {"Gallium", "CHN", "extraction", "global", "5", "s"},   /* another stage: not used */
        {"Germanium", "CHN", "processing", "global", "3", "s"}, /* another material */
    };
    lode_status st = add_countries(m);
    if (st == LODE_OK)
        st = ADD(m, mat_s, mats);
    if (st == LODE_OK)
        st = ADD(m, prod_s, prod);
    if (st == LODE_OK)
        st = ADD(m, trade_s, trade);
    if (st == LODE_OK)
        st = ADD(m, eu_s, eu);
    if (st == LODE_OK)
        st = ADD(m, eut_s, eut);
    if (st == LODE_OK)
        st = lode_model_freeze(m, err);
    return st;
}

static lode_model *risk_model(void)
{
    lode_model *m = lode_model_new();
    lode_err err = {0};
    assert_non_null(m);
    assert_int_equal(build_risk(m, &err), LODE_OK);
    return m;
}

static void test_lode_wgi_scaled_mapping(void **state)
{
    (void)state;
    lode_country c;
    memset(&c, 0, sizeof c);
    assert_near(lode_wgi_scaled(&c), -1, 0); /* no WGI row */
    assert_near(lode_wgi_scaled(NULL), -1, 0);
    c.wgi_year = 2023;
    assert_near(lode_wgi_scaled(&c), 5, 1e-12); /* mean 0: the middle */
    for (int i = 0; i < LODE_WGI_N; i++)
        c.wgi[i] = 2.5;
    assert_near(lode_wgi_scaled(&c), 0, 1e-12);
    for (int i = 0; i < LODE_WGI_N; i++)
        c.wgi[i] = -2.5;
    assert_near(lode_wgi_scaled(&c), 10, 1e-12);
    for (int i = 0; i < LODE_WGI_N; i++)
        c.wgi[i] = 3.1; /* beyond the nominal range: clamped */
    assert_near(lode_wgi_scaled(&c), 0, 0);
    for (int i = 0; i < LODE_WGI_N; i++)
        c.wgi[i] = -2.9;
    assert_near(lode_wgi_scaled(&c), 10, 0);
    /* Mean of (1, 0.5, -0.5, 0, 1.5, -1) = 0.25 -> 2 x (2.5 - 0.25) = 4.5 */
    const double v[LODE_WGI_N] = {1, 0.5, -0.5, 0, 1.5, -1};
    memcpy(c.wgi, v, sizeof v);
    assert_near(lode_wgi_scaled(&c), 4.5, 1e-12);
}

/* rx: shares CHN .6, AUS .2, USA .1, ROW .1 (ROW out of the squares and the top three).
 * HHI = 60^2 + 20^2 + 10^2 = 4100; top1 CHN .6; top3 CHN, AUS, USA = .9;
 * wgi_hhi = .36 x 6 + .04 x 2 + .01 x 3 = 2.27; coverage .9. */
static void test_lode_risk_run_hhi_topk(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    lode_err err = {0};
    assert_int_equal(lode_risk_run(m, NULL, a, &r, &err), LODE_OK);
    /* Every material with production, Li_chem excluded; mine rows first, then by id. */
    assert_int_equal(r.n_rows, 9);
    assert_int_equal(r.rows[0].material, mat(m, "Fl"));
    assert_int_equal(r.rows[1].material, mat(m, "Li_mine"));
    assert_int_equal(r.rows[2].material, mat(m, "W"));
    assert_int_equal(r.rows[3].material, mat(m, "rx"));
    assert_int_equal(r.rows[4].material, mat(m, "Dy"));
    assert_int_equal(r.rows[8].material, mat(m, "ry"));
    assert_null(risk_find(&r, mat(m, "Li_chem")));

    const lode_risk_row *x = risk_find(&r, mat(m, "rx"));
    assert_non_null(x);
    assert_int_equal(x->stage, LODE_STAGE_MINE);
    assert_int_equal(x->year, 2023);
    assert_near(x->world_t, 100, 1e-12);
    assert_near(x->hhi, 4100, 1e-9);
    assert_int_equal(x->top1_country, cty(m, "CHN"));
    assert_near(x->top1_share, 0.6, 1e-12);
    assert_int_equal(x->top3_country[0], cty(m, "CHN"));
    assert_int_equal(x->top3_country[1], cty(m, "AUS"));
    assert_int_equal(x->top3_country[2], cty(m, "USA"));
    assert_near(x->top3_share, 0.9, 1e-12);
    assert_near(x->wgi_hhi, 2.27, 1e-12);
    assert_near(x->wgi_coverage, 0.9, 1e-12);
    assert_string_equal(x->source, "USGS rx; derived: world less listed");
    assert_null(x->eu.eu_material); /* no EU material maps to rx */

    /* ry: a tie broken by id; KAZ has no WGI: wgi_hhi = .25 x 6, coverage .5. */
    const lode_risk_row *y = risk_find(&r, mat(m, "ry"));
    assert_non_null(y);
    assert_near(y->hhi, 5000, 1e-9);
    assert_int_equal(y->top1_country, cty(m, "CHN"));
    assert_int_equal(y->top3_country[1], cty(m, "KAZ"));
    assert_int_equal(y->top3_country[2], -1);
    assert_near(y->top3_share, 1, 1e-12);
    assert_near(y->wgi_hhi, 1.5, 1e-12);
    assert_near(y->wgi_coverage, 0.5, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_lode_risk_run_filters(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    lode_risk_opts o = {mat(m, "Ga"), -1};
    assert_int_equal(lode_risk_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_rows, 1);
    assert_int_equal(r.rows[0].material, mat(m, "Ga"));
    o.material = -1;
    o.stage = LODE_STAGE_MINE;
    assert_int_equal(lode_risk_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_rows, 4);
    o.stage = LODE_STAGE_COMPONENT;
    assert_int_equal(lode_risk_run(m, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_rows, 0);
    o.stage = 99;
    lode_err err = {0};
    assert_int_equal(lode_risk_run(m, &o, a, &r, &err), LODE_EUSAGE);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Gallium, processing, GS+EU, IR .98, EOL-RIR 0, SI_SR .98.
 * Global supply: CHN .9 (t 1.2), JPN .05, DEU .05:
 *   HHI_GS = .81 x 6 x 1.2 + .0025 x 2 + .0025 x 2 = 5.842
 * EU sourcing: DEU production 5 + imports CHN 3, JPN 2 (DEU->FRA is intra-EU) = 10 t:
 *   DEU .5, CHN .3 (t 1.1), JPN .2: HHI_EU = .25 x 2 + .09 x 6 x 1.1 + .04 x 2 = 1.174
 * SR = (5.842 x .98/2 + 1.174 x (1 - .98/2)) x (1 - 0) x .98
 *    = (2.86258 + 0.59874) x .98 = 3.3920936 */
static void test_lode_risk_run_eu_sr_gs_eu(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    assert_int_equal(lode_risk_run(m, NULL, a, &r, NULL), LODE_OK);
    const lode_eusr *e = &risk_find(&r, mat(m, "Ga"))->eu;
    assert_string_equal(e->eu_material, "Gallium");
    assert_string_equal(e->eu_stage, "processing");
    assert_string_equal(e->basis, "GS+EU");
    assert_int_equal(e->computed, 1);
    assert_near(e->hhi_wgi_gs, 5.842, 1e-12);
    assert_near(e->hhi_wgi_eus, 1.174, 1e-12);
    assert_near(e->ir, 0.98, 1e-15);
    assert_near(e->eol_rir, 0, 0);
    assert_near(e->si_sr, 0.98, 0);
    assert_near(e->sr, 3.3920936, 1e-12);
    /* The trade-agreement partners (t = 0.8) are not in the dataset: named, t = 1 used. */
    assert_string_equal(e->missing, "eu_trade_agreements");
    lode_arena_free(a);
    lode_model_free(m);
}

/* Dysprosium: E+P with one refine-stage material, so Dy stands for processing, whose basis is
 * GSonly: SR = HHI_GS x (1 - EOL) x SI = (1^2 x 6) x .99 x .99 = 5.8806. */
static void test_lode_risk_run_eu_sr_gs_only(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    assert_int_equal(lode_risk_run(m, NULL, a, &r, NULL), LODE_OK);
    const lode_eusr *e = &risk_find(&r, mat(m, "Dy"))->eu;
    assert_string_equal(e->eu_material, "Dysprosium");
    assert_string_equal(e->eu_stage, "processing");
    assert_string_equal(e->basis, "GSonly");
    assert_int_equal(e->computed, 1);
    assert_near(e->hhi_wgi_gs, 6, 1e-12);
    assert_near(e->hhi_wgi_eus, 0, 0);
    assert_near(e->sr, 5.8806, 1e-12);

    /* Lithium: Li_mine is the first of two materials, so extraction, basis GSonly:
     * HHI_GS = .25 x 2 + .25 x 6 = 2; SR = 2 x (1 - 0) x .94 = 1.88. */
    e = &risk_find(&r, mat(m, "Li_mine"))->eu;
    assert_string_equal(e->eu_material, "Lithium");
    assert_string_equal(e->eu_stage, "extraction");
    assert_string_equal(e->basis, "GSonly");
    assert_near(e->ir, 0.81, 1e-15);
    assert_near(e->sr, 1.88, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Neodymium and Praseodymium both map to NdPr (processing, GS+EU, IR 1, EOL .01).
 * HHI_GS = .64 x 6 + .04 x 2 = 3.92; EU sourcing CHN .6, AUS .4: HHI_EU = .36 x 6 + .16 x 2 =
 * 2.48; both terms weigh 1/2: 3.2. Nd: 3.2 x .99 x .98 = 3.104640; Pr: 3.2 x .99 x .99 =
 * 3.136320, the higher, reported with both names. */
static void test_lode_risk_run_eu_sr_two_materials(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    assert_int_equal(lode_risk_run(m, NULL, a, &r, NULL), LODE_OK);
    const lode_eusr *e = &risk_find(&r, mat(m, "NdPr"))->eu;
    assert_string_equal(e->eu_material, "Neodymium;Praseodymium");
    assert_int_equal(e->computed, 1);
    assert_near(e->hhi_wgi_gs, 3.92, 1e-12);
    assert_near(e->hhi_wgi_eus, 2.48, 1e-12);
    assert_near(e->si_sr, 0.99, 0);
    assert_near(e->sr, 3.13632, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Germanium: no processing IR and no flow into the EU: not computed, both named. */
static void test_lode_risk_run_eu_sr_missing(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    assert_int_equal(lode_risk_run(m, NULL, a, &r, NULL), LODE_OK);
    const lode_eusr *e = &risk_find(&r, mat(m, "Ge"))->eu;
    assert_string_equal(e->eu_material, "Germanium");
    assert_int_equal(e->computed, 0);
    assert_string_equal(e->missing,
                        "import_reliance_processing;eu_sourcing:Ge;eu_trade_agreements");
    /* The global term is still reported: CHN alone, t 3 (Germanium's own parameter). */
    assert_near(e->hhi_wgi_gs, 18, 1e-12);

    /* Tungsten: EU production but no import in the baseline, while the EU imports 21% of its
     * supply: domestic production alone would pass for EU sourcing, so SR is not computed. */
    e = &risk_find(&r, mat(m, "W"))->eu;
    assert_string_equal(e->eu_stage, "extraction");
    assert_int_equal(e->computed, 0);
    assert_string_equal(e->missing, "eu_imports:W;eu_trade_agreements");

    /* Fluorspar: IR 0, so EU production is the whole EU sourcing: DEU alone, HHI_EU = 2;
     * SR = (HHI_GS x 0 + 2 x 1) x 1 x 1 = 2. */
    e = &risk_find(&r, mat(m, "Fl"))->eu;
    assert_int_equal(e->computed, 1);
    assert_near(e->hhi_wgi_eus, 2, 1e-12);
    assert_near(e->sr, 2, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Kazium (ry): KAZ has no WGI. It is named once though it supplies both the world and the EU,
 * adds nothing to either sum, and SR is still computed: HHI_GS = .25 x 6 = 1.5, HHI_EU = 0,
 * SR = (1.5 x .25 + 0 x .75) x 1 x 1 = .375. */
static void test_lode_risk_run_eu_sr_no_wgi(void **state)
{
    (void)state;
    lode_model *m = risk_model();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    assert_int_equal(lode_risk_run(m, NULL, a, &r, NULL), LODE_OK);
    const lode_eusr *e = &risk_find(&r, mat(m, "ry"))->eu;
    assert_string_equal(e->eu_material, "Kazium");
    assert_int_equal(e->computed, 1);
    assert_string_equal(e->missing, "wgi:KAZ;eu_trade_agreements");
    assert_near(e->hhi_wgi_gs, 1.5, 1e-12);
    assert_near(e->hhi_wgi_eus, 0, 0);
    assert_near(e->sr, 0.375, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_lode_risk_run_not_frozen(void **state)
{
    (void)state;
    lode_model *m = lode_model_new();
    lode_arena *a = lode_arena_new();
    lode_risk_result r;
    lode_exposure_result x;
    lode_err err = {0};
    assert_int_equal(lode_risk_run(m, NULL, a, &r, &err), LODE_EUSAGE);
    assert_int_equal(lode_exposure_run(m, 0, a, &x, &err), LODE_EUSAGE);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- the exposure network ----------------------------------------------------------------- */

/* Three stages, oxide -> metal -> magnet:
 *   met <- ox: 1.2 t/t; mag <- met: grades A (share .5, .31 t/t) and B (.5, .27): .29 t/t.
 *   Oxide embodied per t of magnet: .29 x 1.2 = .348.
 * Production: ox CHN 100, USA 20; met CHN 80, JPN 10; mag CHN 200, JPN 40, USA 10.
 * Trade: ox CHN->JPN 15, USA->JPN 5; met CHN->JPN 6, CHN->USA 4, JPN->USA 2;
 *        mag CHN->USA 30, JPN->USA 10, CHN->JPN 5.
 * If with_usa_metal is 0, the two metal flows into the USA are left out. */
static lode_status build_chain(lode_model *m, int with_usa_metal, lode_err *err)
{
    static const char *const mats[][6] = {
        {"ox", "NdPr oxide", "refine", "t", "", "t"},
        {"met", "NdPr metal", "metal", "t", "", "t"},
        {"mag", "NdFeB magnet", "component", "t", "", "t"},
    };
    static const char *const rec[][7] = {
        {"met", "ox", "std", "1", "1.2", "consumed", "t"},
        {"mag", "met", "A", "0.5", "0.31", "consumed", "t"},
        {"mag", "met", "B", "0.5", "0.27", "consumed", "t"},
    };
    static const char *const prod[][6] = {
        {"ox", "CHN", "2023", "100", "refinery", "t"}, {"ox", "USA", "2023", "20", "refinery", "t"},
        {"met", "CHN", "2023", "80", "plant", "t"},    {"met", "JPN", "2023", "10", "plant", "t"},
        {"mag", "CHN", "2023", "200", "plant", "t"},   {"mag", "JPN", "2023", "40", "plant", "t"},
        {"mag", "USA", "2023", "10", "plant", "t"},
    };
    static const char *const trade[][6] = {
        {"ox", "CHN", "JPN", "2023", "15", "t"},  {"ox", "USA", "JPN", "2023", "5", "t"},
        {"met", "CHN", "JPN", "2023", "6", "t"},  {"mag", "CHN", "USA", "2023", "30", "t"},
        {"mag", "JPN", "USA", "2023", "10", "t"}, {"mag", "CHN", "JPN", "2023", "5", "t"},
        {"met", "CHN", "USA", "2023", "4", "t"},  {"met", "JPN", "USA", "2023", "2", "t"},
    };
    lode_status st = add_countries(m);
    if (st == LODE_OK)
        st = ADD(m, mat_s, mats);
    if (st == LODE_OK)
        st = ADD(m, rec_s, rec);
    if (st == LODE_OK)
        st = ADD(m, prod_s, prod);
    if (st == LODE_OK)
        st = add_rows(m, &trade_s, &trade[0][0], with_usa_metal ? 8 : 6);
    if (st == LODE_OK)
        st = lode_model_freeze(m, err);
    return st;
}

static lode_model *chain_model(int with_usa_metal)
{
    lode_model *m = lode_model_new();
    lode_err err = {0};
    assert_non_null(m);
    assert_int_equal(build_chain(m, with_usa_metal, &err), LODE_OK);
    return m;
}

static const lode_exposure_row *row_find(const lode_exposure_result *x, int k)
{
    for (size_t i = 0; i < x->n_rows; i++)
        if (x->rows[i].material == k)
            return &x->rows[i];
    return NULL;
}

/* Every row: origins == stages[0] origins; shares in (0, 1], sorted, summing to 1 at every
 * stage. */
static void check_shares(const lode_model *m, const lode_exposure_result *x)
{
    for (size_t i = 0; i < x->n_rows; i++) {
        const lode_exposure_row *r = &x->rows[i];
        assert_true(r->n_stages >= 1);
        assert_int_equal(r->stages[0].material, r->material);
        assert_int_equal(r->stages[0].depth, 0);
        assert_near(r->stages[0].t_per_t, 1, 0);
        assert_ptr_equal(r->origins, r->stages[0].origins);
        for (size_t s = 0; s < r->n_stages; s++) {
            const lode_exposure_stage *st = &r->stages[s];
            double sum = 0;
            assert_true(st->n_origins >= 1);
            for (size_t j = 0; j < st->n_origins; j++) {
                assert_true(st->origins[j].share > 0 && st->origins[j].share <= 1 + 1e-12);
                if (j > 0) {
                    const lode_origin *p = &st->origins[j - 1], *q = &st->origins[j];
                    assert_true(p->share > q->share || (p->share == q->share &&
                                                        strcmp(m->countries[p->country].iso3,
                                                               m->countries[q->country].iso3) < 0));
                }
                sum += st->origins[j].share;
            }
            assert_near(sum, 1, 1e-9);
        }
    }
}

/* USA.
 * Supply mixes (exports out of domestic production first):
 *   ox  CHN: P 100, X 15 -> CHN 1.   JPN: imports CHN 15, USA 5 -> CHN 3/4, USA 1/4.
 *       USA: P 20, X 5 -> USA 1.
 *   met CHN: P 80, X 10 -> CHN 1.    JPN: P 10, M 6 (CHN), X 2: keeps 8 of its own -> JPN 8/14,
 *       CHN 6/14.                   USA: M 6: CHN 4, JPN 2 -> CHN 2/3, JPN 1/3.
 *   mag USA: P 10, M 40 (CHN 30, JPN 10), X 0: S 50, IR .8 -> CHN .6, JPN .2, USA .2.
 * Metal in the USA's magnets: each maker's own metal supply, weighted by the magnet mix:
 *   .2 x USA{CHN 2/3, JPN 1/3} + .6 x CHN{CHN 1} + .2 x JPN{JPN 8/14, CHN 6/14}
 *   CHN = 2/15 + 3/5 + 3/35 = 86/105;  JPN = 1/15 + 4/35 = 19/105.
 * Oxide in the USA's magnets: oxide in each maker's metal supply, which is oxide in each metal
 * maker's oxide supply:
 *   ox in USA metal supply = 2/3 x CHN{1} + 1/3 x JPN{CHN 3/4, USA 1/4} = CHN 11/12, USA 1/12
 *   ox in CHN metal supply = CHN 1
 *   ox in JPN metal supply = 8/14 x JPN{CHN 3/4, USA 1/4} + 6/14 x CHN{1} = CHN 12/14, USA 2/14
 *   mag: .2 x {CHN 11/12, USA 1/12} + .6 x {CHN 1} + .2 x {CHN 12/14, USA 2/14}
 *   CHN = 11/60 + 3/5 + 6/35 = 401/420;  USA = 1/60 + 1/35 = 19/420.
 * The USA's metal row: CHN 2/3, JPN 1/3, and its oxide CHN 11/12, USA 1/12 (above).
 * The USA's oxide row: P 20, X 5: IR (0 - 5)/15 clamped to 0; origins USA 1. */
static void test_lode_exposure_run_three_stages(void **state)
{
    (void)state;
    lode_model *m = chain_model(1);
    lode_arena *a = lode_arena_new();
    lode_exposure_result x;
    lode_err err = {0};
    int usa = cty(m, "USA"), chn = cty(m, "CHN"), jpn = cty(m, "JPN");
    int ox = mat(m, "ox"), met = mat(m, "met"), mag = mat(m, "mag");
    assert_int_equal(lode_exposure_run(m, usa, a, &x, &err), LODE_OK);
    assert_int_equal(x.country, usa);
    assert_int_equal(x.n_rows, 3); /* sorted by stage: refine, metal, component */
    assert_int_equal(x.rows[0].material, ox);
    assert_int_equal(x.rows[1].material, met);
    assert_int_equal(x.rows[2].material, mag);
    check_shares(m, &x);

    const lode_exposure_row *r = &x.rows[2];
    assert_near(r->production_t, 10, 0);
    assert_near(r->imports_t, 40, 0);
    assert_near(r->exports_t, 0, 0);
    assert_near(r->supply_t, 50, 1e-12);
    assert_near(r->import_reliance, 0.8, 1e-12);
    assert_int_equal(r->n_origins, 3);
    assert_int_equal(r->origins[0].country, chn);
    assert_near(r->origins[0].share, 0.6, 1e-12);
    assert_int_equal(r->origins[1].country, jpn); /* a tie at .2: by id */
    assert_int_equal(r->origins[2].country, usa);
    assert_near(r->origins[2].share, 0.2, 1e-12);
    assert_int_equal(r->n_stages, 3);
    assert_int_equal(r->stages[1].material, met);
    assert_int_equal(r->stages[1].stage, LODE_STAGE_METAL);
    assert_int_equal(r->stages[1].depth, 1);
    assert_near(r->stages[1].t_per_t, 0.29, 1e-12);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, chn), 86.0 / 105, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, jpn), 19.0 / 105, 1e-9);
    assert_int_equal(r->stages[1].n_origins, 2);
    assert_int_equal(r->stages[2].material, ox);
    assert_int_equal(r->stages[2].depth, 2);
    assert_near(r->stages[2].t_per_t, 0.348, 1e-12);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, chn), 401.0 / 420, 1e-9);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, usa), 19.0 / 420, 1e-9);
    assert_int_equal(r->stages[2].n_origins, 2);

    r = &x.rows[1];
    assert_near(r->import_reliance, 1, 0);
    assert_near(share_of(r->origins, r->n_origins, chn), 2.0 / 3, 1e-9);
    assert_near(share_of(r->origins, r->n_origins, jpn), 1.0 / 3, 1e-9);
    assert_int_equal(r->n_stages, 2);
    assert_near(r->stages[1].t_per_t, 1.2, 1e-12);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, chn), 11.0 / 12, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, usa), 1.0 / 12, 1e-9);

    r = &x.rows[0];
    assert_near(r->supply_t, 15, 1e-12);
    assert_near(r->import_reliance, 0, 0);
    assert_int_equal(r->n_origins, 1);
    assert_int_equal(r->origins[0].country, usa);
    assert_int_equal(r->n_stages, 1);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Japan: the magnets it makes from Chinese metal count as Chinese at the metal stage, the ones
 * it imports from China as Chinese at every stage.
 *   mag JPN: P 40, M 5 (CHN), X 10 -> keeps 30 of its own: JPN 6/7, CHN 1/7; IR (5-10)/35 -> 0.
 *   metal: 6/7 x JPN{JPN 8/14, CHN 6/14} + 1/7 x CHN{CHN 1} = JPN 24/49, CHN 25/49
 *   oxide: 6/7 x {CHN 12/14, USA 2/14} + 1/7 x {CHN 1} = CHN 43/49, USA 6/49 */
static void test_lode_exposure_run_japan_magnets(void **state)
{
    (void)state;
    lode_model *m = chain_model(1);
    lode_arena *a = lode_arena_new();
    lode_exposure_result x;
    int usa = cty(m, "USA"), chn = cty(m, "CHN"), jpn = cty(m, "JPN");
    assert_int_equal(lode_exposure_run(m, jpn, a, &x, NULL), LODE_OK);
    check_shares(m, &x);
    const lode_exposure_row *r = row_find(&x, mat(m, "mag"));
    assert_non_null(r);
    assert_near(r->supply_t, 35, 1e-12);
    assert_near(r->import_reliance, 0, 0);
    assert_near(share_of(r->origins, r->n_origins, jpn), 6.0 / 7, 1e-9);
    assert_near(share_of(r->origins, r->n_origins, chn), 1.0 / 7, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, jpn), 24.0 / 49, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, chn), 25.0 / 49, 1e-9);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, chn), 43.0 / 49, 1e-9);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, usa), 6.0 / 49, 1e-9);
    /* Japan's oxide: all imported, CHN 3/4, USA 1/4; metal: JPN 8/14, CHN 6/14, IR 4/14. */
    r = row_find(&x, mat(m, "ox"));
    assert_near(r->import_reliance, 1, 0);
    assert_near(share_of(r->origins, r->n_origins, chn), 0.75, 1e-12);
    r = row_find(&x, mat(m, "met"));
    assert_near(r->import_reliance, 4.0 / 14, 1e-12);
    assert_near(share_of(r->origins, r->n_origins, jpn), 8.0 / 14, 1e-12);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Without metal imports the USA makes magnets with no metal in the baseline: its magnets'
 * metal and oxide are its own (untraceable). Japan's metal is then JPN 10/16, CHN 6/16.
 *   metal: .2 x USA{1} + .6 x CHN{1} + .2 x {JPN 10/16, CHN 6/16}
 *          = USA .2, CHN .675, JPN .125
 *   oxide: .2 x USA{1} + .6 x CHN{1} + .2 x (10/16 x {CHN 3/4, USA 1/4} + 6/16 x {CHN 1})
 *          = USA .2 + .03125 = .23125, CHN .6 + .16875 = .76875 */
static void test_lode_exposure_run_untraceable_input(void **state)
{
    (void)state;
    lode_model *m = chain_model(0);
    lode_arena *a = lode_arena_new();
    lode_exposure_result x;
    int usa = cty(m, "USA"), chn = cty(m, "CHN"), jpn = cty(m, "JPN");
    assert_int_equal(lode_exposure_run(m, usa, a, &x, NULL), LODE_OK);
    check_shares(m, &x);
    assert_null(row_find(&x, mat(m, "met"))); /* the USA neither makes nor imports metal */
    const lode_exposure_row *r = row_find(&x, mat(m, "mag"));
    assert_non_null(r);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, usa), 0.2, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, chn), 0.675, 1e-9);
    assert_near(share_of(r->stages[1].origins, r->stages[1].n_origins, jpn), 0.125, 1e-9);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, usa), 0.23125, 1e-9);
    assert_near(share_of(r->stages[2].origins, r->stages[2].n_origins, chn), 0.76875, 1e-9);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Re-exports and pure exporters, one material sb:
 *   JPN: P 2, M 10 (CHN 6, USA 4), X 5 (to CHN). Exports beyond its 2 t are 3 t of re-exports,
 *        taken pro rata from imports, which keep 7/10: CHN 4.2, USA 2.8 of S 7 -> .6, .4;
 *        IR (10 - 5)/7 = 5/7.
 *   AUS: P 5, X 5 (to CHN): S 0, IR 0; the gross mix stands in: AUS 1. */
static void test_lode_exposure_run_reexports(void **state)
{
    (void)state;
    static const char *const mats[][6] = {{"sb", "Antimony", "refine", "t", "", "t"}};
    static const char *const prod[][6] = {
        {"sb", "JPN", "2023", "2", "refinery", "t"},
        {"sb", "CHN", "2023", "50", "refinery", "t"},
        {"sb", "USA", "2023", "20", "refinery", "t"},
        {"sb", "AUS", "2023", "5", "refinery", "t"},
    };
    static const char *const trade[][6] = {
        {"sb", "CHN", "JPN", "2023", "6", "t"},
        {"sb", "USA", "JPN", "2023", "4", "t"},
        {"sb", "JPN", "CHN", "2023", "5", "t"},
        {"sb", "AUS", "CHN", "2023", "5", "t"},
    };
    lode_model *m = lode_model_new();
    assert_int_equal(add_countries(m), LODE_OK);
    assert_int_equal(ADD(m, mat_s, mats), LODE_OK);
    assert_int_equal(ADD(m, prod_s, prod), LODE_OK);
    assert_int_equal(ADD(m, trade_s, trade), LODE_OK);
    assert_int_equal(lode_model_freeze(m, NULL), LODE_OK);
    lode_arena *a = lode_arena_new();
    lode_exposure_result x;
    assert_int_equal(lode_exposure_run(m, cty(m, "JPN"), a, &x, NULL), LODE_OK);
    check_shares(m, &x);
    assert_int_equal(x.n_rows, 1);
    const lode_exposure_row *r = &x.rows[0];
    assert_near(r->supply_t, 7, 1e-12);
    assert_near(r->import_reliance, 5.0 / 7, 1e-12);
    assert_int_equal(r->n_origins, 2);
    assert_near(share_of(r->origins, r->n_origins, cty(m, "CHN")), 0.6, 1e-12);
    assert_near(share_of(r->origins, r->n_origins, cty(m, "USA")), 0.4, 1e-12);

    assert_int_equal(lode_exposure_run(m, cty(m, "AUS"), a, &x, NULL), LODE_OK);
    check_shares(m, &x);
    r = &x.rows[0];
    assert_near(r->supply_t, 0, 0);
    assert_near(r->import_reliance, 0, 0);
    assert_int_equal(r->n_origins, 1);
    assert_int_equal(r->origins[0].country, cty(m, "AUS"));

    /* A country with no activity has no rows; an index out of range is a usage error. */
    assert_int_equal(lode_exposure_run(m, cty(m, "KAZ"), a, &x, NULL), LODE_OK);
    assert_int_equal(x.n_rows, 0);
    lode_err err = {0};
    assert_int_equal(lode_exposure_run(m, 999, a, &x, &err), LODE_EUSAGE);
    assert_int_equal(lode_exposure_run(m, -1, a, &x, &err), LODE_EUSAGE);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Every country of the chain: shares sum to 1 at every stage. */
static void test_lode_exposure_run_shares_sum_to_one(void **state)
{
    (void)state;
    for (int with = 0; with <= 1; with++) {
        lode_model *m = chain_model(with);
        lode_arena *a = lode_arena_new();
        for (size_t c = 0; c < m->n_countries; c++) {
            lode_exposure_result x;
            assert_int_equal(lode_exposure_run(m, (int)c, a, &x, NULL), LODE_OK);
            check_shares(m, &x);
        }
        lode_arena_free(a);
        lode_model_free(m);
    }
}

/* A group of one is that country; a group of every trading country imports nothing. */
static void test_lode_exposure_group_run_one_and_all(void **state)
{
    (void)state;
    lode_model *m = chain_model(1);
    lode_arena *a = lode_arena_new();
    int usa = cty(m, "USA");
    lode_exposure_result one, grp;
    assert_int_equal(lode_exposure_run(m, usa, a, &one, NULL), LODE_OK);
    assert_int_equal(lode_exposure_group_run(m, &usa, 1, a, &grp, NULL), LODE_OK);
    assert_int_equal(grp.country, -1);
    assert_int_equal(grp.n_rows, one.n_rows);
    check_shares(m, &grp);
    for (size_t i = 0; i < one.n_rows; i++) {
        assert_int_equal(grp.rows[i].material, one.rows[i].material);
        assert_near(grp.rows[i].import_reliance, one.rows[i].import_reliance, 1e-12);
        assert_int_equal(grp.rows[i].n_stages, one.rows[i].n_stages);
        for (size_t s = 0; s < one.rows[i].n_stages; s++) {
            const lode_exposure_stage *g = &grp.rows[i].stages[s], *o = &one.rows[i].stages[s];
            assert_int_equal(g->material, o->material);
            assert_int_equal(g->n_origins, o->n_origins);
            for (size_t k = 0; k < o->n_origins; k++) {
                assert_int_equal(g->origins[k].country, o->origins[k].country);
                assert_near(g->origins[k].share, o->origins[k].share, 1e-12);
            }
        }
    }
    int all[64];
    size_t n = 0;
    for (size_t c = 0; c < m->n_countries && n < 64; c++)
        if (lode_country_is_real(m, (int)c) || m->countries[c].kind == LODE_CK_RESIDUAL)
            all[n++] = (int)c;
    assert_int_equal(lode_exposure_group_run(m, all, n, a, &grp, NULL), LODE_OK);
    check_shares(m, &grp);
    for (size_t i = 0; i < grp.n_rows; i++) {
        assert_near(grp.rows[i].imports_t, 0, 0);
        assert_near(grp.rows[i].import_reliance, 0, 0);
    }
    lode_arena_free(a);
    lode_model_free(m);
}

/* a <- b <- c <- a: a cycle, named with the recipe row that closes it. */
static void test_lode_exposure_run_recipe_cycle(void **state)
{
    (void)state;
    static const char *const mats[][6] = {
        {"a", "A", "metal", "t", "", "t"},
        {"b", "B", "refine", "t", "", "t"},
        {"c", "C", "mine", "t", "", "t"},
    };
    static const char *const rec[][7] = {
        {"a", "b", "", "1", "1", "consumed", "t"},
        {"b", "c", "", "1", "1", "content", "t"},
        {"c", "a", "", "1", "1", "consumed", "t"},
    };
    static const char *const prod[][6] = {{"a", "JPN", "2023", "1", "plant", "t"}};
    lode_model *m = lode_model_new();
    assert_int_equal(add_countries(m), LODE_OK);
    assert_int_equal(ADD(m, mat_s, mats), LODE_OK);
    assert_int_equal(ADD(m, rec_s, rec), LODE_OK);
    assert_int_equal(ADD(m, prod_s, prod), LODE_OK);
    assert_int_equal(lode_model_freeze(m, NULL), LODE_OK);
    lode_arena *a = lode_arena_new();
    lode_exposure_result x;
    lode_err err = {0};
    assert_int_equal(lode_exposure_run(m, cty(m, "JPN"), a, &x, &err), LODE_EINPUT);
    assert_string_equal(err.path, "recipes.csv");
    assert_int_equal(err.line, 4);
    assert_string_equal(err.field, "input");
    assert_non_null(strstr(err.msg, "a -> b -> c -> a"));
    lode_arena_free(a);
    lode_model_free(m);
}

/* Fail the run arena's Nth allocation for every N until a run succeeds: every failure is a
 * clean LODE_EIO (ASan's leak check proves nothing leaks). */
static void test_lode_metrics_every_allocation_fails(void **state)
{
    (void)state;
    lode_model *rm = risk_model(), *cm = chain_model(1);
    for (int which = 0; which < 2; which++) {
        int succeeded = 0;
        for (long n = 1; n < 100000 && !succeeded; n++) {
            lode_arena *a = lode_arena_new();
            lode_arena_fail_after(a, n);
            lode_err err = {0};
            lode_status st;
            if (which == 0) {
                lode_risk_result r;
                st = lode_risk_run(rm, NULL, a, &r, &err);
            } else {
                lode_exposure_result x;
                st = lode_exposure_run(cm, cty(cm, "USA"), a, &x, &err);
            }
            if (st == LODE_OK)
                succeeded = 1;
            else
                assert_int_equal(st, LODE_EIO);
            lode_arena_free(a);
        }
        assert_true(succeeded);
    }
    lode_model_free(rm);
    lode_model_free(cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_wgi_scaled_mapping),
        cmocka_unit_test(test_lode_risk_run_hhi_topk),
        cmocka_unit_test(test_lode_risk_run_filters),
        cmocka_unit_test(test_lode_risk_run_eu_sr_gs_eu),
        cmocka_unit_test(test_lode_risk_run_eu_sr_gs_only),
        cmocka_unit_test(test_lode_risk_run_eu_sr_two_materials),
        cmocka_unit_test(test_lode_risk_run_eu_sr_missing),
        cmocka_unit_test(test_lode_risk_run_eu_sr_no_wgi),
        cmocka_unit_test(test_lode_risk_run_not_frozen),
        cmocka_unit_test(test_lode_exposure_run_three_stages),
        cmocka_unit_test(test_lode_exposure_group_run_one_and_all),
        cmocka_unit_test(test_lode_exposure_run_japan_magnets),
        cmocka_unit_test(test_lode_exposure_run_untraceable_input),
        cmocka_unit_test(test_lode_exposure_run_reexports),
        cmocka_unit_test(test_lode_exposure_run_shares_sum_to_one),
        cmocka_unit_test(test_lode_exposure_run_recipe_cycle),
        cmocka_unit_test(test_lode_metrics_every_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
