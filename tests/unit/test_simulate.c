/* test_simulate.c: lode_sim_run and lode_chokepoints_run on a network small enough to work out
 * by hand (below), plus the properties the engine promises: zero shock gives exactly zero
 * shortfall, every node balances every week, a stronger shock never gives less shortfall, the
 * digest is the same at any thread count, skipping untouched materials changes nothing, and
 * every allocation may fail cleanly. Also SHA-256 and Philox known answers.
 *
 * The network, per week (the tables hold 52 times these, per year), no ROW, one year:
 *
 *     AAA mines ox 100 --60--> BBB makes met 50 from 1.2 t ox/t (uses the 60)
 *                      --40--> CCC uses ox 40 (defence 10, consumer 30)
 *     BBB met 50: 30 used at home (energy), 20 --> CCC (consumer 20)
 *     AAA makes zz 10 --10--> CCC (consumer 10): a material no shock below touches
 *
 * Shipments arrive the week after they leave. With no inventory, no stockpile and no price,
 * substitution or elasticity response ("bare" parameters), by hand:
 *
 * 1. AAA bans 50 % of ox to CCC for weeks 0-3: CCC gets 20 instead of 40 in weeks 1-4,
 *    defence is served first, so consumer is short 20 t a week: 80 t, all consumer.
 * 2. The same with 1 week of inventory (CCC holds 40 t): weeks 1-2 draw it down (exhausted at
 *    the end of week 2), weeks 3-4 are short 20 t: 40 t.
 * 3. The same with no inventory and a 40 t CCC stockpile of ox released over 4 weeks (10 t a
 *    week): short 10 t a week in weeks 1-4: 40 t, consumer; the stockpile is empty in week 4.
 * 4. AAA's ox output lost for weeks 0-1: CCC and BBB get no ox in weeks 1-2: CCC short 2 x 40
 *    = 80 t ox; BBB makes no met in weeks 1-2: short 2 x 30 = 60 t at home and ships none, so
 *    CCC is short 2 x 20 = 40 t met in weeks 2-3. 180 t in all.
 * 5. AAA bans all ox to CCC for weeks 0-3 and diverts it: BBB (the only other importer) gets
 *    it on top; CCC is short 4 x 40 = 160 t; AAA still ships 100 t a week.
 * 6. A licence regime on all AAA ox for weeks 0-5, 10 working days (2 weeks) to issue, refusal
 *    share 0.25: nothing ships in weeks 0-1, then 75 %. CCC ox: 2 x 40 + 4 x 10 = 120 t. BBB
 *    gets 0, 0, then 45 of 60 t: met output 0, 0, then 37.5 t, each shared pro rata between
 *    its home demand (30) and CCC (20): BBB short 2 x 30 + 4 x 7.5 = 90 t, and CCC met short
 *    2 x 20 + 4 x 5 = 60 t. 270 t in all.
 * 7. With 1 week of inventory (AAA holds 100 t, CCC 40 t), a ban of all ox to CCC in weeks
 *    2-3 costs CCC 40 t (its stock covers week 3, not week 4). Announced 2 weeks ahead with
 *    front-loading 0.5, CCC orders 20 t a week extra in weeks 0-1, which AAA ships from its
 *    stock: CCC enters the ban with 80 t and is never short. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engines/sim_int.h"
#include "lode/sim.h"

#define NEAR(a, b, tol) near_((a), (b), (tol), __LINE__)
static void near_(double a, double b, double tol, int line)
{
    if (!(fabs(a - b) <= tol))
        fail_msg("line %d: got %.15g, want %.15g (tol %g)", line, a, b, tol);
}

static const double TOL = 1e-6; /* t: the outside margin is ~1e-10 t here */

/* ---- the network ------------------------------------------------------------------------- */

enum { CAP = 16 };

static lode_model *net_model(int with_stockpile)
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
    ALLOC(demand);
    ALLOC(stockpiles);
    ALLOC(alliances);
#undef ALLOC
    static const char *const mats[] = {"met", "ox", "zz"};
    static const lode_stage stages[] = {LODE_STAGE_METAL, LODE_STAGE_REFINE, LODE_STAGE_REFINE};
    for (int i = 0; i < 3; i++) {
        lode_material *r = &m->materials[m->n_materials++];
        r->id = r->name = mats[i];
        r->unit = "t";
        r->stage = stages[i];
    }
    static const char *const cs[] = {"AAA", "BBB", "CCC"};
    for (int i = 0; i < 3; i++) {
        lode_country *r = &m->countries[m->n_countries++];
        r->iso3 = r->name = cs[i];
        r->kind = LODE_CK_COUNTRY;
        r->memberships = "";
    }
    struct {
        const char *mat, *c;
        double t;
    } prod[] = {{"ox", "AAA", 100}, {"met", "BBB", 50}, {"zz", "AAA", 10}};
    for (int i = 0; i < 3; i++) {
        lode_production *r = &m->production[m->n_production++];
        r->material_id = prod[i].mat;
        r->country_id = prod[i].c;
        r->year = 2024;
        r->tonnes = 52 * prod[i].t;
    }
    lode_recipe *rc = &m->recipes[m->n_recipes++];
    rc->output_id = "met";
    rc->input_id = "ox";
    rc->grade = "";
    rc->grade_share = 1;
    rc->t_per_t = 1.2;
    rc->consumed = 1;
    struct {
        const char *mat, *e, *i;
        double t;
    } fl[] = {{"ox", "AAA", "BBB", 60},
              {"ox", "AAA", "CCC", 40},
              {"met", "BBB", "CCC", 20},
              {"zz", "AAA", "CCC", 10}};
    for (int i = 0; i < 4; i++) {
        lode_flow *r = &m->trade[m->n_trade++];
        r->material_id = fl[i].mat;
        r->exporter_id = fl[i].e;
        r->importer_id = fl[i].i;
        r->year = 2024;
        r->tonnes = 52 * fl[i].t;
    }
    struct {
        const char *mat, *c;
        lode_sector s;
        double t;
    } dm[] = {{"ox", "CCC", LODE_SEC_DEFENCE, 10},
              {"ox", "CCC", LODE_SEC_CONSUMER, 30},
              {"met", "BBB", LODE_SEC_ENERGY, 30},
              {"met", "CCC", LODE_SEC_CONSUMER, 20},
              {"zz", "CCC", LODE_SEC_CONSUMER, 10}};
    for (int i = 0; i < 5; i++) {
        lode_demand *r = &m->demand[m->n_demand++];
        r->material_id = dm[i].mat;
        r->country_id = dm[i].c;
        r->sector = dm[i].s;
        r->priority = (int)dm[i].s + 1;
        r->year = 2024;
        r->tonnes = 52 * dm[i].t;
    }
    if (with_stockpile) {
        lode_stockpile *r = &m->stockpiles[m->n_stockpiles++];
        r->holder_id = "CCC";
        r->agency = "test";
        r->scope = "ox";
        r->target_unit = "tonnes";
        r->has_target = 1;
        r->target = 40;
        r->known_holdings = "";
    }
    lode_alliance *al = &m->alliances[m->n_alliances++];
    al->id = "AL";
    al->name = "CCC alone";
    al->members_list = "CCC";
    lode_err err;
    memset(&err, 0, sizeof err);
    if (lode_model_freeze(m, &err) != LODE_OK)
        fail_msg("freeze: %s", err.msg);
    return m;
}

static lode_sim_params bare_params(void)
{
    lode_sim_params p;
    memset(&p, 0, sizeof p);
    p.stock_release_wk = 4;
    return p;
}

static lode_dist fixed(double a)
{
    lode_dist d = {LODE_DIST_FIXED, a, 0, 0};
    return d;
}

/* A scenario with one policy of AAA on material mat (targets: "" = all, else one country). */
typedef struct scen {
    lode_scenario s;
    lode_sim_policy pol;
    lode_sim_outage out;
    int mat, target;
} scen;

static void scen_empty(scen *x, int weeks, lode_sim_params prm)
{
    memset(x, 0, sizeof *x);
    x->s.name = "test";
    x->s.path = "test.json";
    x->s.weeks = weeks;
    x->s.params = prm;
}

static void scen_policy(scen *x, const lode_model *m, lode_polkind kind, const char *target,
                        double severity, double start, double dur, double diverted)
{
    x->mat = lode_model_material(m, "ox");
    x->pol.id = "p";
    x->pol.country = lode_model_country(m, "AAA");
    x->pol.materials = &x->mat;
    x->pol.n_materials = 1;
    x->pol.kind = kind;
    if (target) {
        x->target = lode_model_country(m, target);
        x->pol.targets = &x->target;
        x->pol.n_targets = 1;
    }
    x->pol.start_wk = fixed(start);
    x->pol.duration_wk = fixed(dur);
    x->pol.severity = fixed(severity);
    x->pol.diverted = diverted;
    x->pol.validity_wk = 52;
    x->s.policies = &x->pol;
    x->s.n_policies = 1;
}

static void scen_outage(scen *x, const lode_model *m, const char *c, const char *mat,
                        double severity, double start, double dur)
{
    x->out.country = lode_model_country(m, c);
    x->out.material = lode_model_material(m, mat);
    x->out.facility = "";
    x->out.start_wk = fixed(start);
    x->out.duration_wk = fixed(dur);
    x->out.severity = fixed(severity);
    x->s.outages = &x->out;
    x->s.n_outages = 1;
}

static lode_sim_opts opts(long runs, int threads)
{
    lode_sim_opts o;
    memset(&o, 0, sizeof o);
    o.runs = runs;
    o.seed = 1;
    o.threads = threads;
    return o;
}

static void run(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o, lode_arena *a,
                lode_sim_result *r)
{
    lode_err err;
    memset(&err, 0, sizeof err);
    if (lode_sim_run(m, s, o, a, r, &err) != LODE_OK)
        fail_msg("lode_sim_run: %s: %s", err.field, err.msg);
    if (!(r->mass_balance_max_error_t <= 1e-6))
        fail_msg("mass balance error %g t", r->mass_balance_max_error_t);
}

static double short_of(const lode_model *m, const lode_sim_result *r, const char *c,
                       const char *mat)
{
    int ci = lode_model_country(m, c), k = lode_model_material(m, mat);
    for (size_t i = 0; i < r->n_shortfall; i++)
        if (r->shortfall[i].country == ci && r->shortfall[i].material == k)
            return r->shortfall[i].mean_t;
    fail_msg("no shortfall row for %s %s", c, mat);
    return -1;
}

static double total_short(const lode_sim_result *r)
{
    double t = 0;
    for (size_t i = 0; i < r->n_shortfall; i++)
        t += r->shortfall[i].mean_t;
    return t;
}

static double sector_short(const lode_model *m, const lode_sim_result *r, const char *c,
                           const char *mat, lode_sector sec)
{
    int ci = lode_model_country(m, c), k = lode_model_material(m, mat);
    for (size_t i = 0; i < r->n_sector_shortfall; i++) {
        const lode_sim_sector_shortfall *x = &r->sector_shortfall[i];
        if (x->country == ci && x->material == k && x->sector == sec)
            return x->mean_t;
    }
    fail_msg("no sector row for %s %s %d", c, mat, (int)sec);
    return -1;
}

static double week_short(const lode_model *m, const lode_sim_result *r, const char *mat, int wk)
{
    int k = lode_model_material(m, mat);
    for (size_t i = 0; i < r->n_week_shortfall; i++)
        if (r->week_shortfall[i].material == k && r->week_shortfall[i].week == wk)
            return r->week_shortfall[i].mean_t;
    fail_msg("no week row for %s %d", mat, wk);
    return -1;
}

static double exports_of(const lode_model *m, const lode_sim_result *r, const char *c,
                         const char *mat, int wk, double *baseline)
{
    int ci = lode_model_country(m, c), k = lode_model_material(m, mat);
    for (size_t i = 0; i < r->n_exports; i++) {
        const lode_sim_export *x = &r->exports[i];
        if (x->country == ci && x->material == k && x->week == wk) {
            if (baseline)
                *baseline = x->baseline_t;
            return x->mean_t;
        }
    }
    fail_msg("no export row for %s %s %d", c, mat, wk);
    return -1;
}

/* ---- known answers ------------------------------------------------------------------------- */

static void hex_of(const char *s, char out[65])
{
    sim_sha256 h;
    sim_sha256_init(&h);
    sim_sha256_update(&h, s, strlen(s));
    sim_sha256_hex(&h, out);
}

static void test_sim_sha256_vectors(void **state)
{
    (void)state;
    char hex[65];
    hex_of("", hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a' in uneven pieces */
    sim_sha256 h;
    char buf[997];
    memset(buf, 'a', sizeof buf);
    sim_sha256_init(&h);
    for (size_t left = 1000000; left > 0;) {
        size_t n = left < sizeof buf ? left : sizeof buf;
        sim_sha256_update(&h, buf, n);
        left -= n;
    }
    sim_sha256_hex(&h, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sim_uniforms_philox(void **state)
{
    (void)state;
    double u1, u2;
    /* Random123's known answer for philox4x32-10 at counter 0, key 0:
     * 6627e8d5 e169c58d bc57ac4c 9b00dbd8 */
    sim_uniforms(0, 0, 0, &u1, &u2);
    uint64_t a = ((uint64_t)0x6627e8d5u << 21) ^ ((uint64_t)0xe169c58du >> 11);
    uint64_t b = ((uint64_t)0xbc57ac4cu << 21) ^ ((uint64_t)0x9b00dbd8u >> 11);
    assert_true(u1 == ((double)a + 0.5) * 0x1p-53);
    assert_true(u2 == ((double)b + 0.5) * 0x1p-53);
    double v1, v2;
    sim_uniforms(1, 0, 0, &v1, &v2);
    assert_true(v1 != u1);
    sim_uniforms(0, 1, 0, &v1, &v2);
    assert_true(v1 != u1);
    sim_uniforms(0, 0, 1, &v1, &v2);
    assert_true(v1 != u1);
    for (long r = 0; r < 1000; r++) {
        sim_uniforms(42, r, 3, &v1, &v2);
        assert_true(v1 > 0 && v1 < 1 && v2 > 0 && v2 < 1);
    }
}

/* ---- the hand-worked cases ----------------------------------------------------------------- */

static void test_sim_run_zero_shock(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    lode_sim_params prm[2];
    lode_sim_params_default(&prm[0]);
    prm[1] = bare_params();
    for (int p = 0; p < 2; p++)
        for (int full = 0; full < 2; full++) {
            lode_arena *a = lode_arena_new();
            scen x;
            scen_empty(&x, 20, prm[p]);
            if (full) { /* a policy that never starts: every material is simulated */
                scen_policy(&x, m, LODE_POL_BAN, NULL, 1, 100, 5, 0);
                scen_outage(&x, m, "AAA", "zz", 1, 100, 5);
            }
            lode_sim_opts o = opts(3, 2);
            lode_sim_result r;
            lode_err err;
            memset(&err, 0, sizeof err);
            assert_int_equal(sim_run(m, &x.s, &o, full, a, &r, &err), LODE_OK);
            assert_true(r.mass_balance_max_error_t <= 1e-6);
            assert_int_equal(r.n_shortfall, 4);
            for (size_t i = 0; i < r.n_shortfall; i++) {
                assert_true(r.shortfall[i].mean_t == 0); /* exactly */
                assert_true(r.shortfall[i].p95_t == 0);
            }
            for (size_t i = 0; i < r.n_sector_shortfall; i++)
                assert_true(r.sector_shortfall[i].mean_t == 0);
            for (size_t i = 0; i < r.n_week_shortfall; i++)
                assert_true(r.week_shortfall[i].mean_t == 0);
            for (size_t i = 0; i < r.n_prices; i++)
                assert_true(r.prices[i].mean == 1);
            for (size_t i = 0; i < r.n_exports; i++)
                assert_true(r.exports[i].mean_t == r.exports[i].baseline_t);
            assert_int_equal(r.n_exhaustion, 0);
            lode_arena_free(a);
        }
    lode_model_free(m);
}

static void test_sim_run_ban_half_no_inventory(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    scen_policy(&x, m, LODE_POL_BAN, "CCC", 0.5, 0, 4, 0);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 80, TOL);
    NEAR(total_short(&r), 80, TOL);
    NEAR(sector_short(m, &r, "CCC", "ox", LODE_SEC_DEFENCE), 0, TOL);
    NEAR(sector_short(m, &r, "CCC", "ox", LODE_SEC_CONSUMER), 80, TOL);
    NEAR(week_short(m, &r, "ox", 0), 0, TOL);
    for (int t = 1; t <= 4; t++)
        NEAR(week_short(m, &r, "ox", t), 20, TOL);
    NEAR(week_short(m, &r, "ox", 5), 0, TOL);
    double base;
    NEAR(exports_of(m, &r, "AAA", "ox", 0, &base), 80, TOL);
    NEAR(base, 100, 1e-12);
    NEAR(exports_of(m, &r, "AAA", "ox", 4, NULL), 100, TOL);
    assert_int_equal(r.runs, 1);
    assert_int_equal(r.weeks, 10);
    assert_int_equal(strlen(r.digest), 64);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_ban_half_inventory(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    lode_sim_params prm = bare_params();
    prm.inventory_wk = 1;
    scen_empty(&x, 10, prm);
    scen_policy(&x, m, LODE_POL_BAN, "CCC", 0.5, 0, 4, 0);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 40, TOL);
    NEAR(week_short(m, &r, "ox", 2), 0, TOL);
    NEAR(week_short(m, &r, "ox", 3), 20, TOL);
    NEAR(week_short(m, &r, "ox", 4), 20, TOL);
    assert_int_equal(r.n_exhaustion, 1);
    assert_int_equal(r.exhaustion[0].country, lode_model_country(m, "CCC"));
    assert_int_equal(r.exhaustion[0].material, lode_model_material(m, "ox"));
    NEAR(r.exhaustion[0].mean_week, 2, 0);
    NEAR(r.exhaustion[0].share_runs, 1, 0);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_stockpile_release(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    scen_policy(&x, m, LODE_POL_BAN, "CCC", 0.5, 0, 4, 0);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 40, TOL);
    NEAR(sector_short(m, &r, "CCC", "ox", LODE_SEC_DEFENCE), 0, TOL);
    NEAR(sector_short(m, &r, "CCC", "ox", LODE_SEC_CONSUMER), 40, TOL);
    for (int t = 1; t <= 4; t++)
        NEAR(week_short(m, &r, "ox", t), 10, TOL);
    assert_int_equal(r.n_exhaustion, 1);
    NEAR(r.exhaustion[0].mean_week, 4, 0);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_outage_propagates(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    scen_outage(&x, m, "AAA", "ox", 1, 0, 2);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 80, TOL);
    NEAR(short_of(m, &r, "BBB", "met"), 60, TOL);
    NEAR(short_of(m, &r, "CCC", "met"), 40, TOL);
    NEAR(short_of(m, &r, "CCC", "zz"), 0, 0);
    NEAR(total_short(&r), 180, TOL);
    NEAR(week_short(m, &r, "met", 1), 30, TOL);
    NEAR(week_short(m, &r, "met", 2), 50, TOL);
    NEAR(week_short(m, &r, "met", 3), 20, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 0, NULL), 0, TOL);
    NEAR(exports_of(m, &r, "BBB", "met", 1, NULL), 0, TOL);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_diversion(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    scen_policy(&x, m, LODE_POL_BAN, "CCC", 1, 0, 4, 1);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 160, TOL);
    NEAR(total_short(&r), 160, TOL);
    for (int t = 0; t < 10; t++)
        NEAR(exports_of(m, &r, "AAA", "ox", t, NULL), 100, TOL);
    /* A quota of the same severity blocks the same tonnes. */
    lode_sim_result q;
    x.pol.kind = LODE_POL_QUOTA;
    run(m, &x.s, &o, a, &q);
    NEAR(total_short(&q), 160, TOL);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_licence(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    scen_policy(&x, m, LODE_POL_LICENCE, NULL, 0.25, 0, 6, 0);
    x.pol.delay_wd = 10;
    x.pol.approval_rate = 0.75;
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 120, TOL);
    NEAR(short_of(m, &r, "BBB", "met"), 90, TOL);
    NEAR(short_of(m, &r, "CCC", "met"), 60, TOL);
    NEAR(total_short(&r), 270, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 1, NULL), 0, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 2, NULL), 75, TOL);
    NEAR(exports_of(m, &r, "BBB", "met", 3, NULL), 15, TOL);
    /* A licence valid 1 week, renewed on issue (2 weeks): it ships every other week. */
    x.pol.validity_wk = 1;
    lode_sim_result v;
    run(m, &x.s, &o, a, &v);
    NEAR(exports_of(m, &v, "AAA", "ox", 2, NULL), 75, TOL);
    NEAR(exports_of(m, &v, "AAA", "ox", 3, NULL), 0, TOL);
    NEAR(exports_of(m, &v, "AAA", "ox", 4, NULL), 75, TOL);
    NEAR(exports_of(m, &v, "AAA", "ox", 5, NULL), 0, TOL);
    NEAR(exports_of(m, &v, "AAA", "ox", 6, NULL), 100, TOL);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_frontload(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    lode_sim_params prm = bare_params();
    prm.inventory_wk = 1;
    scen_empty(&x, 10, prm);
    scen_policy(&x, m, LODE_POL_BAN, "CCC", 1, 2, 2, 0);
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 40, TOL);
    NEAR(week_short(m, &r, "ox", 4), 40, TOL);
    x.pol.announce_wk = 2;
    x.pol.frontload = 0.5;
    run(m, &x.s, &o, a, &r);
    NEAR(short_of(m, &r, "CCC", "ox"), 0, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 0, NULL), 120, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 1, NULL), 120, TOL);
    NEAR(exports_of(m, &r, "AAA", "ox", 2, NULL), 60, TOL);
    lode_arena_free(a);
    lode_model_free(m);
}

/* ---- properties ---------------------------------------------------------------------------- */

static void test_sim_run_monotone(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    static const lode_polkind kinds[] = {LODE_POL_BAN, LODE_POL_LICENCE, LODE_POL_QUOTA};
    for (int target = 0; target < 2; target++)
        for (int k = 0; k < 4; k++) {
            double last = -1;
            for (int i = 0; i <= 20; i++) {
                lode_arena *a = lode_arena_new();
                scen x;
                lode_sim_params prm;
                lode_sim_params_default(&prm);
                scen_empty(&x, 40, prm);
                if (k < 3) {
                    scen_policy(&x, m, kinds[k], target ? "CCC" : NULL, i / 20.0, 3, 20,
                                target ? 0.5 : 0);
                    x.pol.delay_wd = 15;
                    x.pol.announce_wk = 2;
                    x.pol.frontload = 0.3;
                } else {
                    scen_outage(&x, m, target ? "BBB" : "AAA", target ? "met" : "ox", i / 20.0, 3,
                                20);
                }
                lode_sim_opts o = opts(1, 1);
                lode_sim_result r;
                run(m, &x.s, &o, a, &r);
                double t = total_short(&r);
                if (t < last - 1e-9)
                    fail_msg("kind %d target %d: severity %g gives %.12g t, below %.12g", k, target,
                             i / 20.0, t, last);
                last = t;
                lode_arena_free(a);
            }
            assert_true(last > 0);
        }
    lode_model_free(m);
}

/* A scenario drawing start, duration and severity at random. */
static void random_scen(scen *x, const lode_model *m)
{
    lode_sim_params prm;
    lode_sim_params_default(&prm);
    scen_empty(x, 30, prm);
    scen_policy(x, m, LODE_POL_BAN, "CCC", 0, 0, 0, 0.3);
    x->pol.severity = (lode_dist){LODE_DIST_UNIFORM, 0.2, 0.9, 0};
    x->pol.duration_wk = (lode_dist){LODE_DIST_TRIANGULAR, 2, 6, 12};
    x->pol.start_wk = (lode_dist){LODE_DIST_PERT, 0, 1, 5};
    scen_outage(x, m, "BBB", "met", 0, 2, 3);
    x->out.severity = (lode_dist){LODE_DIST_UNIFORM, 0, 1, 0};
}

typedef struct progress_seen {
    long calls, last, total;
    int backwards;
} progress_seen;

static void progress_cb(void *ctx, long done, long total)
{
    progress_seen *p = ctx;
    p->backwards |= done < p->last;
    p->calls++;
    p->last = done;
    p->total = total;
}

static void test_sim_run_threads_digest(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    scen x;
    random_scen(&x, m);
    char first[65] = "";
    lode_sim_result r0;
    lode_arena *a0 = lode_arena_new();
    static const int threads[] = {1, 2, 4, 3};
    for (int i = 0; i < 4; i++) {
        lode_arena *a = i == 0 ? a0 : lode_arena_new();
        lode_sim_opts o = opts(97, threads[i]);
        progress_seen seen = {0, 0, 0, 0};
        o.progress = progress_cb;
        o.progress_ctx = &seen;
        lode_sim_result r;
        run(m, &x.s, &o, a, &r);
        assert_true(total_short(&r) > 0);
        assert_true(seen.calls > 0 && !seen.backwards);
        assert_int_equal(seen.last, 97);
        assert_int_equal(seen.total, 97);
        if (i == 0) {
            memcpy(first, r.digest, sizeof first);
            r0 = r;
        } else {
            assert_string_equal(r.digest, first);
            assert_memory_equal(r.shortfall, r0.shortfall, r.n_shortfall * sizeof *r.shortfall);
            assert_memory_equal(r.exports, r0.exports, r.n_exports * sizeof *r.exports);
        }
        /* percentiles are ordered */
        for (size_t j = 0; j < r.n_shortfall; j++)
            assert_true(r.shortfall[j].p5_t <= r.shortfall[j].p50_t &&
                        r.shortfall[j].p50_t <= r.shortfall[j].p95_t);
        if (i > 0)
            lode_arena_free(a);
    }
    /* Another seed draws other runs. */
    lode_arena *a = lode_arena_new();
    lode_sim_opts o = opts(97, 2);
    o.seed = 2;
    lode_sim_result r;
    run(m, &x.s, &o, a, &r);
    assert_string_not_equal(r.digest, first);
    lode_arena_free(a);
    lode_arena_free(a0);
    lode_model_free(m);
}

static void test_sim_run_skip_equals_full(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    scen x;
    random_scen(&x, m);
    lode_arena *a = lode_arena_new();
    lode_sim_opts o = opts(31, 2);
    lode_sim_result r[2];
    for (int full = 0; full < 2; full++) {
        lode_err err;
        memset(&err, 0, sizeof err);
        assert_int_equal(sim_run(m, &x.s, &o, full, a, &r[full], &err), LODE_OK);
    }
    assert_int_equal(r[0].n_shortfall, r[1].n_shortfall);
    assert_memory_equal(r[0].shortfall, r[1].shortfall, r[0].n_shortfall * sizeof *r[0].shortfall);
    assert_memory_equal(r[0].sector_shortfall, r[1].sector_shortfall,
                        r[0].n_sector_shortfall * sizeof *r[0].sector_shortfall);
    assert_memory_equal(r[0].week_shortfall, r[1].week_shortfall,
                        r[0].n_week_shortfall * sizeof *r[0].week_shortfall);
    assert_memory_equal(r[0].exports, r[1].exports, r[0].n_exports * sizeof *r[0].exports);
    assert_memory_equal(r[0].prices, r[1].prices, r[0].n_prices * sizeof *r[0].prices);
    /* zz is untouched: exactly at baseline */
    NEAR(short_of(m, &r[0], "CCC", "zz"), 0, 0);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_one_run_uses_means(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    scen x, y;
    random_scen(&x, m);
    random_scen(&y, m);
    y.pol.severity = fixed(lode_dist_mean(&x.pol.severity));
    y.pol.duration_wk = fixed(lode_dist_mean(&x.pol.duration_wk));
    y.pol.start_wk = fixed(lode_dist_mean(&x.pol.start_wk));
    y.out.severity = fixed(lode_dist_mean(&x.out.severity));
    lode_arena *a = lode_arena_new();
    lode_sim_opts o = opts(1, 1);
    lode_sim_result r1, r2;
    run(m, &x.s, &o, a, &r1);
    run(m, &y.s, &o, a, &r2);
    assert_memory_equal(r1.shortfall, r2.shortfall, r1.n_shortfall * sizeof *r1.shortfall);
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_usage(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_arena *a = lode_arena_new();
    scen x;
    scen_empty(&x, 10, bare_params());
    lode_sim_result r;
    lode_err err;
    lode_sim_opts o = opts(0, 1);
    assert_int_equal(lode_sim_run(m, &x.s, &o, a, &r, &err), LODE_EUSAGE);
    assert_string_equal(err.field, "runs");
    o = opts(1, 1);
    o.weeks = -1;
    assert_int_equal(lode_sim_run(m, &x.s, &o, a, &r, &err), LODE_EUSAGE);
    assert_int_equal(lode_sim_run(NULL, &x.s, &o, a, &r, &err), LODE_EUSAGE);
    /* an outage of a facility the capacity table does not list */
    scen_outage(&x, m, "AAA", "ox", 1, 0, 2);
    x.out.facility = "Mount Nowhere";
    o = opts(1, 1);
    assert_int_equal(lode_sim_run(m, &x.s, &o, a, &r, &err), LODE_EINPUT);
    assert_string_equal(err.field, "outages[0].facility");
    assert_string_equal(err.path, "test.json");
    lode_arena_free(a);
    lode_model_free(m);
}

static void test_sim_run_fault_injection(void **state)
{
    (void)state;
    lode_model *m = net_model(1);
    scen x;
    random_scen(&x, m);
    long n;
    for (n = 1; n < 100000; n++) {
        lode_arena *a = lode_arena_new();
        assert_non_null(a);
        lode_arena_fail_after(a, n);
        lode_sim_opts o = opts(5, 2);
        lode_sim_result r;
        lode_err err;
        memset(&err, 0, sizeof err);
        lode_status st = lode_sim_run(m, &x.s, &o, a, &r, &err);
        lode_arena_free(a);
        if (st == LODE_OK)
            break;
        assert_int_equal(st, LODE_EIO);
        assert_string_equal(err.msg, "out of memory");
    }
    assert_true(n > 10 && n < 100000);
    lode_model_free(m);
}

/* ---- chokepoints --------------------------------------------------------------------------- */

static void test_chokepoints_run_rank(void **state)
{
    (void)state;
    lode_model *m = net_model(0);
    lode_chokepoint *cp[2];
    size_t n[2];
    lode_arena *a = lode_arena_new();
    for (int t = 0; t < 2; t++) {
        lode_chokepoint_opts o;
        memset(&o, 0, sizeof o);
        o.weeks = 40;
        o.threads = t + 1;
        lode_err err;
        memset(&err, 0, sizeof err);
        assert_int_equal(lode_chokepoints_run(m, &o, a, &cp[t], &n[t], &err), LODE_OK);
    }
    /* 3 producing nodes and 4 links, the same at 1 and 2 threads */
    assert_int_equal(n[0], 7);
    assert_int_equal(n[1], 7);
    assert_memory_equal(cp[0], cp[1], 7 * sizeof *cp[0]);
    /* AAA's ox feeds everything but zz: over 40 weeks its loss ranks first (over a few weeks
     * the loss of one of its links can hurt more: AAA's own stocks keep shipping after an
     * outage, but a ban withholds them) */
    assert_int_equal(cp[0][0].kind, 0);
    assert_int_equal(cp[0][0].country, lode_model_country(m, "AAA"));
    assert_int_equal(cp[0][0].material, lode_model_material(m, "ox"));
    for (size_t i = 1; i < 7; i++)
        assert_true(cp[0][i].allied_shortfall_t <= cp[0][i - 1].allied_shortfall_t);
    for (size_t i = 0; i < 7; i++)
        assert_true(cp[0][i].total_shortfall_t > 0);

    /* Ranked for CCC alone: the loss of BBB -> CCC met hurts CCC, BBB's home demand not. */
    lode_chokepoint_opts o;
    memset(&o, 0, sizeof o);
    o.weeks = 12;
    o.threads = 2;
    o.alliance = "AL";
    lode_chokepoint *c;
    size_t k;
    lode_err err;
    assert_int_equal(lode_chokepoints_run(m, &o, a, &c, &k, &err), LODE_OK);
    for (size_t i = 0; i < k; i++) {
        assert_true(c[i].allied_shortfall_t <= c[i].total_shortfall_t + 1e-9);
        if (c[i].kind == 1 && c[i].importer == lode_model_country(m, "CCC"))
            NEAR(c[i].allied_shortfall_t, c[i].total_shortfall_t, 1e-9);
        if (c[i].kind == 1 && c[i].importer == lode_model_country(m, "BBB"))
            assert_true(c[i].allied_shortfall_t < c[i].total_shortfall_t);
    }
    o.alliance = "NOPE";
    assert_int_equal(lode_chokepoints_run(m, &o, a, &c, &k, &err), LODE_EINPUT);
    assert_string_equal(err.field, "alliance");
    lode_arena_free(a);

    for (long f = 1; f < 100000; f++) {
        lode_arena *b = lode_arena_new();
        lode_arena_fail_after(b, f);
        o.alliance = NULL;
        lode_status st = lode_chokepoints_run(m, &o, b, &c, &k, &err);
        lode_arena_free(b);
        if (st == LODE_OK)
            break;
        assert_int_equal(st, LODE_EIO);
    }
    lode_model_free(m);
}

/* 101 values 0..100 in scrambled order: p5 = 5, p50 = 50, p95 = 95 exactly; 20 values 1..20:
 * h = 0.05 x 19 = 0.95, so p5 = 1 + 0.95 = 1.95 and p95 = 19 + 0.05 = 19.05. */
static void test_sim_stats_percentiles(void **state)
{
    (void)state;
    double x[101], mean, p5, p50, p95;
    for (size_t i = 0; i < 101; i++)
        x[i] = (double)((i * 37) % 101);
    sim_stats(x, 101, &mean, &p5, &p50, &p95);
    assert_true(fabs(mean - 50) < 1e-12 && fabs(p5 - 5) < 1e-12);
    assert_true(fabs(p50 - 50) < 1e-12 && fabs(p95 - 95) < 1e-12);
    double y[20];
    for (size_t i = 0; i < 20; i++)
        y[i] = (double)(20 - i);
    sim_stats(y, 20, &mean, &p5, &p50, &p95);
    assert_true(fabs(p5 - 1.95) < 1e-12 && fabs(p50 - 10.5) < 1e-12);
    assert_true(fabs(p95 - 19.05) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_stats_percentiles),
        cmocka_unit_test(test_sim_sha256_vectors),
        cmocka_unit_test(test_sim_uniforms_philox),
        cmocka_unit_test(test_sim_run_zero_shock),
        cmocka_unit_test(test_sim_run_ban_half_no_inventory),
        cmocka_unit_test(test_sim_run_ban_half_inventory),
        cmocka_unit_test(test_sim_run_stockpile_release),
        cmocka_unit_test(test_sim_run_outage_propagates),
        cmocka_unit_test(test_sim_run_diversion),
        cmocka_unit_test(test_sim_run_licence),
        cmocka_unit_test(test_sim_run_frontload),
        cmocka_unit_test(test_sim_run_monotone),
        cmocka_unit_test(test_sim_run_threads_digest),
        cmocka_unit_test(test_sim_run_skip_equals_full),
        cmocka_unit_test(test_sim_run_one_run_uses_means),
        cmocka_unit_test(test_sim_run_usage),
        cmocka_unit_test(test_sim_run_fault_injection),
        cmocka_unit_test(test_chokepoints_run_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
