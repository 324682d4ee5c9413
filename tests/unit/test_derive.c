/* test_derive.c: lode_derive_run and lode_check_run on small models built by hand and frozen,
 * whose derived demand and trade were worked out by hand (docs/baseline.md gives the method):
 * a 3-country, 2-material chain with ROW, EU shares applied to member states, a RAS that
 * cannot fit and falls back, published consumption capped, no allocation key; and the balance
 * check on a balanced and an unbalanced model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lode/engines.h"

#ifndef LODE_DATADIR
#define LODE_DATADIR "data"
#endif

#define NEAR(a, b, tol) near_((a), (b), (tol), __LINE__)
static void near_(double a, double b, double tol, int line)
{
    if (!(fabs(a - b) <= tol))
        fail_msg("line %d: got %.15g, want %.15g (tol %g)", line, a, b, tol);
}

/* ---- building a model by hand ------------------------------------------------------------ */

enum { CAP = 32 };

static lode_model *model_new(void)
{
    lode_model *m = lode_model_new();
    assert_non_null(m);
    lode_arena *a = m->arena;
#define ALLOC(t)                                                                                   \
    do {                                                                                           \
        m->t = lode_arena_calloc(a, CAP, sizeof *m->t);                                            \
        assert_non_null(m->t);                                                                     \
        m->cap_##t = CAP;                                                                          \
    } while (0)
    ALLOC(materials);
    ALLOC(countries);
    ALLOC(production);
    ALLOC(recipes);
    ALLOC(trade);
    ALLOC(trade_published);
    ALLOC(consumption);
    ALLOC(demand);
    ALLOC(economy);
#undef ALLOC
    return m;
}

static void material(lode_model *m, const char *id, lode_stage stage)
{
    assert_true(m->n_materials < CAP);
    lode_material *r = &m->materials[m->n_materials++];
    r->id = id;
    r->name = id;
    r->unit = "t";
    r->stage = stage;
}

static void country(lode_model *m, const char *iso3, lode_ckind kind, const char *memberships)
{
    assert_true(m->n_countries < CAP);
    lode_country *r = &m->countries[m->n_countries++];
    r->iso3 = iso3;
    r->name = iso3;
    r->kind = kind;
    r->memberships = memberships;
}

static void prod(lode_model *m, const char *mat, const char *c, int year, double t)
{
    assert_true(m->n_production < CAP);
    lode_production *r = &m->production[m->n_production++];
    r->material_id = mat;
    r->country_id = c;
    r->year = year;
    r->tonnes = t;
}

static void recipe(lode_model *m, const char *out, const char *in, double t_per_t)
{
    assert_true(m->n_recipes < CAP);
    lode_recipe *r = &m->recipes[m->n_recipes++];
    r->output_id = out;
    r->input_id = in;
    r->grade = "";
    r->grade_share = 1;
    r->t_per_t = t_per_t;
    r->consumed = 1;
}

static void cons(lode_model *m, const char *mat, const char *c, int year, double v,
                 const char *sector)
{
    assert_true(m->n_consumption < CAP);
    lode_consumption *r = &m->consumption[m->n_consumption++];
    r->material_id = mat;
    r->country_id = c;
    r->year = year;
    r->value = v;
    r->is_share = strcmp(sector, "total") != 0;
    r->sector = sector;
}

static void econ(lode_model *m, const char *c, const char *ind, int year, double v)
{
    assert_true(m->n_economy < CAP);
    lode_econ *r = &m->economy[m->n_economy++];
    r->country_id = c;
    r->indicator = ind;
    r->unit = "USD";
    r->year = year;
    r->value = v;
}

static void pubshare(lode_model *m, const char *mat, const char *e, const char *i,
                     const char *period, double v)
{
    assert_true(m->n_trade_published < CAP);
    lode_pubtrade *r = &m->trade_published[m->n_trade_published++];
    r->material_id = mat;
    r->exporter_id = e;
    r->importer_id = i;
    r->period = period;
    r->value = v;
    r->is_share = 1;
}

static void flow(lode_model *m, const char *mat, const char *e, const char *i, double t)
{
    assert_true(m->n_trade < CAP);
    lode_flow *r = &m->trade[m->n_trade++];
    r->material_id = mat;
    r->exporter_id = e;
    r->importer_id = i;
    r->year = 2024;
    r->tonnes = t;
}

static void demand(lode_model *m, const char *mat, const char *c, double t)
{
    assert_true(m->n_demand < CAP);
    lode_demand *r = &m->demand[m->n_demand++];
    r->material_id = mat;
    r->country_id = c;
    r->sector = LODE_SEC_UNALLOCATED;
    r->priority = 6;
    r->year = 2024;
    r->tonnes = t;
}

static void freeze(lode_model *m)
{
    lode_err err;
    memset(&err, 0, sizeof err);
    lode_status st = lode_model_freeze(m, &err);
    if (st != LODE_OK)
        fail_msg("freeze: %s", err.msg);
}

/* ---- looking at a result ----------------------------------------------------------------- */

static double flow_t(const lode_model *m, const lode_derive_result *r, const char *mat,
                     const char *e, const char *i)
{
    int k = lode_model_material(m, mat), ce = lode_model_country(m, e),
        ci = lode_model_country(m, i);
    for (size_t j = 0; j < r->n_flows; j++)
        if (r->flows[j].material == k && r->flows[j].exporter == ce && r->flows[j].importer == ci)
            return r->flows[j].tonnes;
    return 0;
}

static const lode_derived_demand *demand_row(const lode_model *m, const lode_derive_result *r,
                                             const char *mat, const char *c, lode_sector s)
{
    int k = lode_model_material(m, mat), cc = lode_model_country(m, c);
    for (size_t j = 0; j < r->n_demand; j++)
        if (r->demand[j].material == k && r->demand[j].country == cc && r->demand[j].sector == s)
            return &r->demand[j];
    return NULL;
}

static double final_t(const lode_model *m, const lode_derive_result *r, const char *mat,
                      const char *c)
{
    int k = lode_model_material(m, mat), cc = lode_model_country(m, c);
    double t = 0;
    for (size_t j = 0; j < r->n_demand; j++)
        if (r->demand[j].material == k && r->demand[j].country == cc)
            t += r->demand[j].tonnes;
    return t;
}

/* Every (material, country) balances: production + imports = inter + final + exports; flows
 * out of each exporter add up to its surplus. Also checks the sort orders. */
static void assert_balanced(const lode_model *m, const lode_derive_result *r, double tol)
{
    size_t nc = m->n_countries;
    for (size_t k = 0; k < m->n_materials; k++)
        for (size_t c = 0; c < nc; c++) {
            double in = 0, out = 0;
            for (size_t j = 0; j < r->n_flows; j++) {
                const lode_derived_flow *f = &r->flows[j];
                if ((size_t)f->material != k)
                    continue;
                if ((size_t)f->importer == c)
                    in += f->tonnes;
                if ((size_t)f->exporter == c)
                    out += f->tonnes;
            }
            double fin = final_t(m, r, m->materials[k].id, m->countries[c].iso3);
            double e = m->base.prod_t[k * nc + c] + in - m->base.inter_t[k * nc + c] - fin - out;
            if (fabs(e) > tol)
                fail_msg("%s %s off by %g", m->materials[k].id, m->countries[c].iso3, e);
        }
    assert_true(r->max_imbalance_t <= tol);
    for (size_t j = 1; j < r->n_flows; j++) {
        const lode_derived_flow *p = &r->flows[j - 1], *q = &r->flows[j];
        assert_true(p->material < q->material ||
                    (p->material == q->material &&
                     (p->exporter < q->exporter ||
                      (p->exporter == q->exporter && p->importer < q->importer))));
    }
    for (size_t j = 1; j < r->n_demand; j++) {
        const lode_derived_demand *p = &r->demand[j - 1], *q = &r->demand[j];
        assert_true(
            p->material < q->material ||
            (p->material == q->material &&
             (p->country < q->country || (p->country == q->country && p->sector < q->sector))));
    }
    for (size_t j = 0; j < r->n_flows; j++) {
        assert_true(r->flows[j].tonnes >= 1e-6);
        assert_int_equal(strncmp(r->flows[j].method, "derived:", 8), 0);
    }
    for (size_t j = 0; j < r->n_demand; j++)
        assert_int_equal(strncmp(r->demand[j].method, "derived:", 8), 0);
}

/* ---- 1. a chain of two materials --------------------------------------------------------- */

/* ore (mine) -> met (refine), 2 t ore per t met. AAA mines 100, ROW 20; BBB refines 30, CCC 10.
 *
 * ore: world final use = 120 - 2 x 40 = 40. BBB publishes 70 t apparent consumption, less its
 * 60 t intermediate use: final 10. The other 30 go by manufacturing value added: AAA 3, CCC 4,
 * ROW = WLD 10 - listed (3 + 1 + 4) = 2, so AAA 10, CCC 40/3, ROW 20/3.
 * Net: AAA +90, ROW +40/3, BBB -70, CCC -(20 + 40/3) = -100/3.
 * CCC takes 25% of its imports from ROW (2024): ROW -> CCC = 25/3, fixed. ROW's other 5 t can
 * only go to BBB, so AAA -> BBB 65 and AAA -> CCC 25.
 *
 * met: world final use 40. CCC publishes 30 t (2024; the 2022 and 2025 rows lose). The other
 * 10 by key over AAA, BBB, ROW (3 : 1 : 2): 5, 5/3, 10/3. BBB's surplus 30 - 5/3 goes to
 * AAA 5, CCC 20, ROW 10/3. CCC's sector shares: defence 0.5, consumer 0.25, remainder 0.25;
 * the others take WLD's: defence 0.2, energy 0.6, remainder 0.2. CCC's published 10% share
 * from AAA is dropped: AAA has no surplus of met. */
static void chain_rows(lode_model *m)
{
    material(m, "ore", LODE_STAGE_MINE);
    material(m, "met", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "G7");
    country(m, "BBB", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, "");
    country(m, "ROW", LODE_CK_RESIDUAL, "");
    country(m, "WLD", LODE_CK_WORLD, "");
    prod(m, "ore", "AAA", 2020, 50); /* an older year: not the baseline */
    prod(m, "ore", "AAA", 2024, 100);
    prod(m, "ore", "ROW", 2024, 20);
    prod(m, "ore", "WLD", 2024, 120);
    prod(m, "met", "BBB", 2024, 30);
    prod(m, "met", "CCC", 2024, 10);
    prod(m, "met", "WLD", 2024, 40);
    recipe(m, "met", "ore", 2);
    cons(m, "ore", "BBB", 2023, 70, "total");
    cons(m, "met", "CCC", 2022, 40, "total");
    cons(m, "met", "CCC", 2024, 30, "total");
    cons(m, "met", "CCC", 2025, 99, "total");
    cons(m, "met", "CCC", 2024, 0.5, "defence");
    cons(m, "met", "CCC", 2024, 0.25, "consumer");
    cons(m, "met", "CCC", 2019, 1.0, "health"); /* older shares: not used */
    cons(m, "met", "WLD", 2022, 0.2, "defence");
    cons(m, "met", "WLD", 2022, 0.6, "energy_transition");
    econ(m, "AAA", "NV.IND.MANF.CD", 2020, 99); /* older: the latest year counts */
    econ(m, "AAA", "NV.IND.MANF.CD", 2023, 3);
    econ(m, "BBB", "NV.IND.MANF.CD", 2023, 1);
    econ(m, "CCC", "NV.IND.MANF.CD", 2023, 4);
    econ(m, "WLD", "NV.IND.MANF.CD", 2023, 10);
    econ(m, "AAA", "NY.GDP.MKTP.CD", 2023, 1000); /* covers fewer countries: not the key */
    pubshare(m, "ore", "ROW", "CCC", "2024", 0.25);
    pubshare(m, "ore", "AAA", "CCC", "2020", 0.9);    /* older year for CCC: not used */
    pubshare(m, "ore", "AAA", "CCC", "2025-05", 0.9); /* monthly: not an annual share */
    pubshare(m, "met", "AAA", "CCC", "2024", 0.1);    /* AAA has no met surplus: dropped */
}

static lode_model *chain_model(void)
{
    lode_model *m = model_new();
    chain_rows(m);
    freeze(m);
    return m;
}

static void test_lode_derive_run_chain(void **state)
{
    (void)state;
    lode_model *m = chain_model();
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_derive_run(m, a, &r, &err), LODE_OK);
    const double tol = 1e-9;

    /* Final demand. */
    NEAR(final_t(m, &r, "ore", "BBB"), 10, tol);
    NEAR(final_t(m, &r, "ore", "AAA"), 10, tol);
    NEAR(final_t(m, &r, "ore", "CCC"), 40.0 / 3, tol);
    NEAR(final_t(m, &r, "ore", "ROW"), 20.0 / 3, tol);
    NEAR(final_t(m, &r, "ore", "WLD"), 0, 0);
    NEAR(final_t(m, &r, "met", "CCC"), 30, tol);
    NEAR(final_t(m, &r, "met", "AAA"), 5, tol);
    NEAR(final_t(m, &r, "met", "BBB"), 5.0 / 3, tol);
    NEAR(final_t(m, &r, "met", "ROW"), 10.0 / 3, tol);

    /* Sector split and method strings. */
    const lode_derived_demand *d = demand_row(m, &r, "met", "CCC", LODE_SEC_DEFENCE);
    assert_non_null(d);
    NEAR(d->tonnes, 15, tol);
    assert_int_equal(d->year, 2024);
    assert_string_equal(d->method, "derived:published consumption consumption.csv CCC 2024 "
                                   "less intermediate use; sector shares consumption.csv CCC "
                                   "2024");
    d = demand_row(m, &r, "met", "CCC", LODE_SEC_CONSUMER);
    assert_non_null(d);
    NEAR(d->tonnes, 7.5, tol);
    d = demand_row(m, &r, "met", "CCC", LODE_SEC_UNALLOCATED);
    assert_non_null(d);
    NEAR(d->tonnes, 7.5, tol);
    assert_non_null(strstr(d->method, "remainder after sector shares consumption.csv CCC 2024"));
    assert_null(demand_row(m, &r, "met", "CCC", LODE_SEC_HEALTH));
    d = demand_row(m, &r, "met", "AAA", LODE_SEC_ENERGY);
    assert_non_null(d);
    NEAR(d->tonnes, 3, tol);
    assert_string_equal(d->method, "derived:key-allocation economy.csv NV.IND.MANF.CD 2023; "
                                   "sector shares consumption.csv WLD 2022");
    d = demand_row(m, &r, "met", "ROW", LODE_SEC_DEFENCE);
    assert_non_null(d);
    NEAR(d->tonnes, 2.0 / 3, tol);
    assert_string_equal(d->method,
                        "derived:key-allocation economy.csv NV.IND.MANF.CD 2023 (ROW: WLD less "
                        "listed countries); sector shares consumption.csv WLD 2022");
    d = demand_row(m, &r, "ore", "BBB", LODE_SEC_UNALLOCATED);
    assert_non_null(d);
    assert_string_equal(d->method, "derived:published consumption consumption.csv BBB 2023 "
                                   "less intermediate use; no sector shares");

    /* Trade: the published share is a fixed cell, exactly 25% of CCC's need. */
    NEAR(flow_t(m, &r, "ore", "ROW", "CCC"), 0.25 * 100.0 / 3, tol);
    NEAR(flow_t(m, &r, "ore", "ROW", "BBB"), 5, tol);
    NEAR(flow_t(m, &r, "ore", "AAA", "BBB"), 65, tol);
    NEAR(flow_t(m, &r, "ore", "AAA", "CCC"), 25, tol);
    NEAR(flow_t(m, &r, "met", "BBB", "AAA"), 5, tol);
    NEAR(flow_t(m, &r, "met", "BBB", "CCC"), 20, tol);
    NEAR(flow_t(m, &r, "met", "BBB", "ROW"), 10.0 / 3, tol);
    assert_int_equal(r.n_flows, 7);
    /* Flows out of an exporter add up to its surplus. */
    NEAR(flow_t(m, &r, "ore", "AAA", "BBB") + flow_t(m, &r, "ore", "AAA", "CCC"), 90, tol);
    for (size_t j = 0; j < r.n_flows; j++) {
        assert_int_equal(r.flows[j].year, 2024);
        if (r.flows[j].material == 0)
            assert_string_equal(r.flows[j].method,
                                "derived:ras net surplus to net need, seeded by "
                                "trade_published.csv shares (CCC 2024); see docs/baseline.md");
        else
            assert_non_null(strstr(r.flows[j].method, "no usable trade_published.csv shares"));
    }

    assert_int_equal(r.n_materials, 2);
    assert_int_equal(r.n_shares_used, 1);
    assert_int_equal(r.n_shares_no_surplus, 1);
    assert_int_equal(r.n_shares_unused, 0);
    assert_int_equal(r.n_ras_fallback, 0);
    assert_int_equal(r.n_consumption_scaled, 0);
    assert_balanced(m, &r, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* The derived rows, loaded back as the model's trade and demand tables, pass lode check. */
static void test_lode_derive_run_checks_clean(void **state)
{
    (void)state;
    lode_model *m = chain_model();
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);

    lode_model *m2 = model_new();
    chain_rows(m2);
    m2->trade = lode_arena_calloc(m2->arena, r.n_flows, sizeof *m2->trade);
    m2->demand = lode_arena_calloc(m2->arena, r.n_demand, sizeof *m2->demand);
    assert_non_null(m2->trade);
    assert_non_null(m2->demand);
    m2->cap_trade = r.n_flows;
    m2->cap_demand = r.n_demand;
    for (size_t j = 0; j < r.n_flows; j++)
        flow(m2, m->materials[r.flows[j].material].id, m->countries[r.flows[j].exporter].iso3,
             m->countries[r.flows[j].importer].iso3, r.flows[j].tonnes);
    for (size_t j = 0; j < r.n_demand; j++)
        demand(m2, m->materials[r.demand[j].material].id, m->countries[r.demand[j].country].iso3,
               r.demand[j].tonnes);
    freeze(m2);
    lode_check_result c;
    assert_int_equal(lode_check_run(m2, 1e-9, a, &c, NULL), LODE_OK);
    assert_int_equal(c.n_violations, 0);
    assert_true(c.max_error_t <= 1e-9);
    /* ore: AAA, BBB, CCC, ROW; met: AAA, BBB, CCC, ROW. */
    assert_int_equal(c.n_rows, 8);
    lode_model_free(m2);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- 2. EU shares on member states --------------------------------------------------------- */

/* x: AAA makes 60, CCC 40; DDD, EEE, FFF (EU members) use 25, 25, 50 by key 1 : 1 : 2.
 * EUU takes 80% of its imports from AAA (2020): EEE and FFF get AAA -> EEE 20, AAA -> FFF 40.
 * DDD publishes its own shares (100% from CCC, 2024), which take precedence over the EU's:
 * CCC -> DDD 25. That fills AAA; CCC's other 15 go to EEE 5 and FFF 10. */
static lode_model *eu_model(double ddd_share_from_ccc)
{
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, "");
    country(m, "DDD", LODE_CK_COUNTRY, "EU");
    country(m, "EEE", LODE_CK_COUNTRY, "G7;EU;NATO");
    country(m, "EUU", LODE_CK_REGION, "");
    country(m, "FFF", LODE_CK_COUNTRY, "EU");
    prod(m, "x", "AAA", 2024, 60);
    prod(m, "x", "CCC", 2024, 40);
    econ(m, "DDD", "NV.IND.MANF.CD", 2023, 1);
    econ(m, "EEE", "NV.IND.MANF.CD", 2023, 1);
    econ(m, "FFF", "NV.IND.MANF.CD", 2023, 2);
    pubshare(m, "x", "AAA", "EUU", "2020", 0.8);
    pubshare(m, "x", "CCC", "DDD", "2024", ddd_share_from_ccc);
    freeze(m);
    return m;
}

static void test_lode_derive_run_eu_members(void **state)
{
    (void)state;
    lode_model *m = eu_model(1.0);
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    const double tol = 1e-7;
    NEAR(flow_t(m, &r, "x", "AAA", "EEE"), 20, tol);
    NEAR(flow_t(m, &r, "x", "AAA", "FFF"), 40, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "DDD"), 25, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "EEE"), 5, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "FFF"), 10, tol);
    assert_true(flow_t(m, &r, "x", "AAA", "DDD") == 0);
    assert_int_equal(r.n_flows, 5);
    assert_string_equal(r.flows[0].method,
                        "derived:ras net surplus to net need, seeded by trade_published.csv "
                        "shares (DDD 2024, EUU 2020); see docs/baseline.md");
    assert_int_equal(r.n_shares_used, 2);
    assert_int_equal(r.n_ras_fallback, 0);
    assert_balanced(m, &r, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- 3. shares RAS cannot fit --------------------------------------------------------- */

/* AAA has 40, CCC 60; DDD and EEE need 50 each. DDD takes 60% from AAA (30), EEE 100% from
 * CCC (50). AAA's other 10 could only go to EEE, which CCC already fills: no fit. RAS names
 * AAA; AAA's fixed cells are released and the fit tried again: EEE's share holds (CCC -> EEE
 * 50), CCC's other 10 go to DDD, AAA's 40 to DDD. */
static void test_lode_derive_run_ras_release(void **state)
{
    (void)state;
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, "");
    country(m, "DDD", LODE_CK_COUNTRY, "");
    country(m, "EEE", LODE_CK_COUNTRY, "");
    prod(m, "x", "AAA", 2024, 40);
    prod(m, "x", "CCC", 2024, 60);
    econ(m, "DDD", "NV.IND.MANF.CD", 2023, 1);
    econ(m, "EEE", "NV.IND.MANF.CD", 2023, 1);
    pubshare(m, "x", "AAA", "DDD", "2024", 0.6);
    pubshare(m, "x", "CCC", "EEE", "2024", 1.0);
    freeze(m);
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    const double tol = 1e-9;
    NEAR(flow_t(m, &r, "x", "AAA", "DDD"), 40, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "DDD"), 10, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "EEE"), 50, tol);
    assert_int_equal(r.n_flows, 3);
    assert_int_equal(r.n_ras_released, 1);
    assert_int_equal(r.n_ras_fallback, 0);
    assert_string_equal(r.flows[0].method,
                        "derived:ras net surplus to net need, seeded by trade_published.csv "
                        "shares (DDD 2024, EEE 2024); shares from AAA dropped (no fit); see "
                        "docs/baseline.md");
    assert_balanced(m, &r, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- 4. shares above 1, exporters over their surplus ------------------------------------- */

/* AAA and CCC have 50 each; BBB needs 60, DDD 40 (key 3 : 2). */
static lode_model *caps_model(double bbb_from_aaa, double bbb_from_ccc, double ddd_from_aaa)
{
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "BBB", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, "");
    country(m, "DDD", LODE_CK_COUNTRY, "");
    prod(m, "x", "AAA", 2024, 50);
    prod(m, "x", "CCC", 2024, 50);
    econ(m, "BBB", "NV.IND.MANF.CD", 2023, 3);
    econ(m, "DDD", "NV.IND.MANF.CD", 2023, 2);
    if (bbb_from_aaa > 0)
        pubshare(m, "x", "AAA", "BBB", "2024", bbb_from_aaa);
    if (bbb_from_ccc > 0)
        pubshare(m, "x", "CCC", "BBB", "2024", bbb_from_ccc);
    if (ddd_from_aaa > 0)
        pubshare(m, "x", "AAA", "DDD", "2024", ddd_from_aaa);
    freeze(m);
    return m;
}

static void test_lode_derive_run_caps(void **state)
{
    (void)state;
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    const double tol = 1e-9;

    /* BBB's shares sum to 1.5 (AAA 0.9, CCC 0.6): normalised to 0.6 and 0.4, 36 and 24. DDD
     * gets the rest: 14 from AAA, 26 from CCC. */
    lode_model *m = caps_model(0.9, 0.6, 0);
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(flow_t(m, &r, "x", "AAA", "BBB"), 36, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "BBB"), 24, tol);
    NEAR(flow_t(m, &r, "x", "AAA", "DDD"), 14, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "DDD"), 26, tol);
    assert_int_equal(r.n_importers_normalised, 1);
    assert_int_equal(r.n_exporters_capped, 0);
    assert_balanced(m, &r, 1e-6);
    lode_model_free(m);

    /* AAA's fixed cells, BBB 50% (30) and DDD 100% (40), exceed its 50: scaled by 5/7. CCC
     * fills the rest of both. */
    m = caps_model(0.5, 0, 1.0);
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(flow_t(m, &r, "x", "AAA", "BBB"), 150.0 / 7, tol);
    NEAR(flow_t(m, &r, "x", "AAA", "DDD"), 200.0 / 7, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "BBB"), 60 - 150.0 / 7, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "DDD"), 40 - 200.0 / 7, tol);
    assert_int_equal(r.n_importers_normalised, 0);
    assert_int_equal(r.n_exporters_capped, 1);
    assert_balanced(m, &r, 1e-6);
    lode_model_free(m);

    /* Both: BBB's normalised shares fill its column, and AAA, capped, cannot deliver its part
     * of it; no one else may. RAS names BBB, whose shares are released: DDD's holds (AAA ->
     * DDD 40), BBB takes AAA's other 10 and CCC's 50. */
    m = caps_model(0.9, 0.6, 1.0);
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(flow_t(m, &r, "x", "AAA", "BBB"), 10, tol);
    NEAR(flow_t(m, &r, "x", "AAA", "DDD"), 40, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "BBB"), 50, tol);
    assert_int_equal(r.n_flows, 3);
    assert_int_equal(r.n_ras_released, 1);
    assert_int_equal(r.n_shares_used, 3);
    assert_int_equal(r.n_importers_filled, 0);
    assert_non_null(strstr(r.flows[0].method, "; shares into BBB dropped (no fit);"));
    assert_balanced(m, &r, 1e-6);
    lode_model_free(m);

    /* BBB's shares, AAA 0.3 and CCC 0.2, leave half its need to others, but there are no
     * others: scaled up to 1 in their proportion, 36 and 24. DDD takes the rest. */
    m = caps_model(0.3, 0.2, 0);
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(flow_t(m, &r, "x", "AAA", "BBB"), 36, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "BBB"), 24, tol);
    NEAR(flow_t(m, &r, "x", "AAA", "DDD"), 14, tol);
    NEAR(flow_t(m, &r, "x", "CCC", "DDD"), 26, tol);
    assert_int_equal(r.n_importers_filled, 1);
    assert_int_equal(r.n_ras_released, 0);
    assert_string_equal(r.flows[0].method,
                        "derived:ras net surplus to net need, seeded by trade_published.csv "
                        "shares (BBB 2024); shares into BBB scaled up to 1 (no other exporter "
                        "had a surplus left); see docs/baseline.md");
    assert_balanced(m, &r, 1e-6);
    lode_model_free(m);
    lode_arena_free(a);
}

/* ---- 5. published consumption above world final use; no key ----------------------------- */

/* AAA makes 100. BBB publishes 80 t, CCC 70 t: 150 > 100, so both are scaled by 2/3 and the
 * key (AAA) gets nothing. */
static void test_lode_derive_run_consumption_scaled(void **state)
{
    (void)state;
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "BBB", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, "");
    prod(m, "x", "AAA", 2024, 100);
    cons(m, "x", "BBB", 2024, 80, "total");
    cons(m, "x", "CCC", 2024, 70, "total");
    econ(m, "AAA", "NV.IND.MANF.CD", 2023, 1);
    freeze(m);
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(final_t(m, &r, "x", "BBB"), 80 * 2.0 / 3, 1e-9);
    NEAR(final_t(m, &r, "x", "CCC"), 70 * 2.0 / 3, 1e-9);
    NEAR(final_t(m, &r, "x", "AAA"), 0, 0);
    assert_int_equal(r.n_consumption_scaled, 1);
    const lode_derived_demand *d = demand_row(m, &r, "x", "BBB", LODE_SEC_UNALLOCATED);
    assert_non_null(d);
    assert_string_equal(d->method, "derived:published consumption consumption.csv BBB 2024 less "
                                   "intermediate use, scaled by 0.666667 to fit world final "
                                   "use; no sector shares");
    assert_balanced(m, &r, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* No economy rows: what published consumption leaves goes to ROW; without ROW that is an
 * error naming economy.csv. */
static void test_lode_derive_run_no_key(void **state)
{
    (void)state;
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "BBB", LODE_CK_COUNTRY, "");
    country(m, "ROW", LODE_CK_RESIDUAL, "");
    prod(m, "x", "AAA", 2024, 100);
    cons(m, "x", "BBB", 2024, 30, "total");
    freeze(m);
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_OK);
    NEAR(flow_t(m, &r, "x", "AAA", "BBB"), 30, 1e-9);
    NEAR(flow_t(m, &r, "x", "AAA", "ROW"), 70, 1e-9);
    const lode_derived_demand *d = demand_row(m, &r, "x", "ROW", LODE_SEC_UNALLOCATED);
    assert_non_null(d);
    assert_string_equal(d->method, "derived:world final use less published consumption, all to "
                                   "ROW (no allocation key in economy.csv); no sector shares");
    assert_balanced(m, &r, 1e-6);
    lode_model_free(m);

    m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    prod(m, "x", "AAA", 2024, 100);
    freeze(m);
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_derive_run(m, a, &r, &err), LODE_EINPUT);
    assert_string_equal(err.path, "economy.csv");
    assert_int_equal(r.n_flows, 0);
    lode_model_free(m);
    lode_arena_free(a);
}

static void test_lode_derive_run_not_frozen(void **state)
{
    (void)state;
    lode_model *m = model_new();
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, NULL), LODE_EUSAGE);
    lode_check_result c;
    assert_int_equal(lode_check_run(m, 1e-6, a, &c, NULL), LODE_EUSAGE);
    lode_arena_free(a);
    lode_model_free(m);
}

/* Every allocation failing in turn gives a clean error, never a crash. */
static void test_lode_derive_run_oom(void **state)
{
    (void)state;
    lode_model *m = chain_model();
    int clean = 0;
    for (long n = 1; n < 10000 && !clean; n++) {
        lode_arena *a = lode_arena_new();
        lode_arena_fail_after(a, n);
        lode_derive_result r;
        lode_err err;
        memset(&err, 0, sizeof err);
        lode_status st = lode_derive_run(m, a, &r, &err);
        if (st == LODE_OK)
            clean = 1;
        else
            assert_int_equal(st, LODE_EIO);
        lode_arena_free(a);
    }
    assert_true(clean);
    lode_model_free(m);
}

/* The bundled dataset: every country balances to 1e-6 t, nothing falls back, the rows are
 * sorted and every method says derived. */
static void test_lode_derive_run_bundled(void **state)
{
    (void)state;
    lode_model *m = NULL;
    lode_err err;
    memset(&err, 0, sizeof err);
    if (lode_model_load_dir(LODE_DATADIR, &m, &err) != LODE_OK) {
        char buf[600];
        fail_msg("%s", lode_err_fmt(&err, buf, sizeof buf));
    }
    lode_arena *a = lode_arena_new();
    lode_derive_result r;
    assert_int_equal(lode_derive_run(m, a, &r, &err), LODE_OK);
    assert_true(r.n_materials > 0);
    assert_true(r.n_flows > 0);
    assert_true(r.n_demand > 0);
    assert_int_equal(r.n_ras_fallback, 0);
    assert_balanced(m, &r, 1e-6);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- 6. lode check ----------------------------------------------------------------------- */

static lode_model *check_model(double bbb_demand)
{
    lode_model *m = model_new();
    material(m, "x", LODE_STAGE_REFINE);
    country(m, "AAA", LODE_CK_COUNTRY, "");
    country(m, "BBB", LODE_CK_COUNTRY, "");
    country(m, "CCC", LODE_CK_COUNTRY, ""); /* no activity: no row */
    prod(m, "x", "AAA", 2024, 100);
    flow(m, "x", "AAA", "BBB", 60);
    demand(m, "x", "AAA", 40);
    demand(m, "x", "BBB", bbb_demand);
    freeze(m);
    return m;
}

static void test_lode_check_run_balanced(void **state)
{
    (void)state;
    lode_model *m = check_model(60);
    lode_arena *a = lode_arena_new();
    lode_check_result c;
    assert_int_equal(lode_check_run(m, 1e-6, a, &c, NULL), LODE_OK);
    assert_int_equal(c.n_rows, 2);
    assert_int_equal(c.n_violations, 0);
    assert_true(c.max_error_t == 0);
    assert_true(c.tol_rel == 1e-6);
    /* production 2 + trade 3 + demand 2 x 2 */
    assert_int_equal(c.n_refs, 9);
    assert_int_equal(c.rows[0].country, lode_model_country(m, "AAA"));
    NEAR(c.rows[0].production_t, 100, 0);
    NEAR(c.rows[0].exports_t, 60, 0);
    NEAR(c.rows[0].use_t, 40, 0);
    NEAR(c.rows[1].imports_t, 60, 0);
    lode_model_free(m);

    /* Off by 1e-5 t on 60 t: inside 1e-6 x 60. */
    m = check_model(60.00001);
    assert_int_equal(lode_check_run(m, 1e-6, a, &c, NULL), LODE_OK);
    assert_int_equal(c.n_violations, 0);
    NEAR(c.max_error_t, 1e-5, 1e-9);
    lode_model_free(m);
    lode_arena_free(a);
}

static void test_lode_check_run_unbalanced(void **state)
{
    (void)state;
    lode_model *m = check_model(70);
    lode_arena *a = lode_arena_new();
    lode_check_result c;
    assert_int_equal(lode_check_run(m, 1e-6, a, &c, NULL), LODE_OK);
    assert_int_equal(c.n_violations, 1);
    NEAR(c.max_error_t, 10, 1e-12);
    NEAR(c.rows[1].error_t, -10, 1e-12);
    NEAR(c.rows[0].error_t, 0, 0);
    /* A loose enough tolerance accepts it: 10 <= 0.2 x 60. */
    assert_int_equal(lode_check_run(m, 0.2, a, &c, NULL), LODE_OK);
    assert_int_equal(c.n_violations, 0);
    lode_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_check_run(m, -1, a, &c, &err), LODE_EUSAGE);
    assert_int_equal(lode_check_run(m, NAN, a, &c, &err), LODE_EUSAGE);
    lode_model_free(m);
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_derive_run_chain),
        cmocka_unit_test(test_lode_derive_run_checks_clean),
        cmocka_unit_test(test_lode_derive_run_eu_members),
        cmocka_unit_test(test_lode_derive_run_ras_release),
        cmocka_unit_test(test_lode_derive_run_caps),
        cmocka_unit_test(test_lode_derive_run_consumption_scaled),
        cmocka_unit_test(test_lode_derive_run_no_key),
        cmocka_unit_test(test_lode_derive_run_not_frozen),
        cmocka_unit_test(test_lode_derive_run_oom),
        cmocka_unit_test(test_lode_derive_run_bundled),
        cmocka_unit_test(test_lode_check_run_balanced),
        cmocka_unit_test(test_lode_check_run_unbalanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
