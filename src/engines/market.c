/* market.c: markets (lode market). Reads the price, cost, production and trade tables of a
 * frozen model and reports price series in USD/kg, price against production cost, the cost of
 * a price floor over the history and under a simulated scenario's price path, seller and buyer
 * concentration, and a list of distortions. Conversions, pairing rules and thresholds are in
 * docs/market.md; seller HHI is lode_risk_run's, so the two commands agree. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/engines.h"
#include "lode/market.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

static const double KG_PER_LB = 0.45359237;   /* exact, by definition of the pound */
static const double KG_W_PER_MTU_WO3 = 7.93;  /* USGS MCS 2025 Tungsten: 1 mtu WO3 = 7.93 kg W */
static const double KG_PER_T = 1000;
static const double WEEKS_PER_YEAR = 52;

const char *lode_price_region_name(lode_price_region r)
{
    switch (r) {
    case LODE_PR_WORLD:
        return "world";
    case LODE_PR_CHINA_DOMESTIC:
        return "china-domestic";
    case LODE_PR_CHINA_EXPORT:
        return "china-export";
    case LODE_PR_EUROPE:
        return "europe";
    case LODE_PR_US:
        return "us";
    case LODE_PR_PRODUCER:
        return "producer";
    case LODE_PR_POLICY:
        return "policy";
    }
    return "?";
}

const char *lode_distortion_kind_name(lode_distortion_kind k)
{
    switch (k) {
    case LODE_DISTORT_BELOW_COST:
        return "below-cost";
    case LODE_DISTORT_EXPORT_GAP:
        return "export-price-gap";
    case LODE_DISTORT_POLICY_FLOOR:
        return "policy-floor";
    case LODE_DISTORT_POLICY_JUMP:
        return "export-control-jump";
    }
    return "?";
}

void lode_market_opts_default(lode_market_opts *o)
{
    memset(o, 0, sizeof *o);
    o->material = -1;
    o->floor_material = -1;
    o->floor_country = -1;
    o->gap_flag = 0.2;
    o->jump_flag = 0.5;
    o->runs = 200;
    o->seed = 1;
    o->threads = 1;
}

/* ---- small helpers ------------------------------------------------------------------------ */

static int lower_eq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
        if (x == '\0')
            return 1;
    }
    return 1;
}

/* Position of needle in hay ignoring ASCII case, or -1. */
static long find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; hay[i]; i++)
        if (lower_eq_n(hay + i, needle, n))
            return (long)i;
    return -1;
}

static const char *afmt(lode_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A formatted string in arena a, or NULL when out of memory. */
static const char *afmt(lode_arena *a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return lode_arena_strdup(a, buf);
}

/* Month key of a date YYYY, YYYY-MM or YYYY-MM-DD: year*12 + month-1; an annual figure sits at
 * mid-year (month index 6). *year and *month (0 for annual) are set; -1 if unreadable. */
static long date_key(const char *d, int *year, int *month)
{
    int y = 0, mo = 0, i = 0;
    *year = *month = 0;
    if (!d)
        return -1;
    for (; i < 4; i++) {
        if (d[i] < '0' || d[i] > '9')
            return -1;
        y = y * 10 + (d[i] - '0');
    }
    if (d[4] == '-' && d[5] >= '0' && d[5] <= '9' && d[6] >= '0' && d[6] <= '9')
        mo = (d[5] - '0') * 10 + (d[6] - '0');
    else if (d[4] != '\0')
        return -1;
    if (mo > 12)
        return -1;
    *year = y;
    *month = mo;
    return (long)y * 12 + (mo ? mo - 1 : 6);
}

double lode_usd_per_kg(double value, const char *unit, const char **how)
{
    const char *dummy;
    if (how == NULL)
        how = &dummy;
    *how = "";
    if (unit == NULL || !isfinite(value)) {
        *how = "no unit";
        return NAN;
    }
    while (*unit == ' ')
        unit++;
    if (!lower_eq_n(unit, "USD/", 4)) {
        *how = "not converted: the dataset has no exchange rate for this currency";
        return NAN;
    }
    const char *per = unit + 4;
    size_t n = 0;
    while (per[n] && per[n] != ' ')
        n++;
    if (n == 2 && lower_eq_n(per, "kg", 2))
        return value;
    if (n == 1 && lower_eq_n(per, "t", 1)) {
        *how = "1 t = 1000 kg";
        return value / KG_PER_T;
    }
    if (n == 2 && lower_eq_n(per, "lb", 2)) {
        *how = "1 lb = 0.45359237 kg";
        return value / KG_PER_LB;
    }
    if (n == 3 && lower_eq_n(per, "mtu", 3) && find_ci(per, "WO3") >= 0) {
        *how = "1 mtu WO3 = 7.93 kg W contained (USGS MCS 2025 Tungsten): USD/kg W";
        return value / KG_W_PER_MTU_WO3;
    }
    *how = "not converted: unknown unit";
    return NAN;
}

/* Region from the basis text: a floor or a realised price by keyword, else the place named
 * first (so "Argus Europe ...; China export ..." is Europe, the row's own quote). */
static lode_price_region region_of(const char *basis)
{
    static const struct {
        const char *pat;
        lode_price_region r;
    } pats[] = {
        {"china domestic", LODE_PR_CHINA_DOMESTIC}, {"in-whs china", LODE_PR_CHINA_DOMESTIC},
        {"chinese", LODE_PR_CHINA_DOMESTIC},        {"china export", LODE_PR_CHINA_EXPORT},
        {"rotterdam", LODE_PR_EUROPE},              {"europe", LODE_PR_EUROPE},
        {"new york", LODE_PR_US},                   {"global", LODE_PR_WORLD},
        {"world", LODE_PR_WORLD},
    };
    if (!basis)
        return LODE_PR_WORLD;
    if (find_ci(basis, "price floor") >= 0)
        return LODE_PR_POLICY;
    if (find_ci(basis, "realized") >= 0 || find_ci(basis, "realised") >= 0)
        return LODE_PR_PRODUCER;
    long best = -1;
    lode_price_region r = LODE_PR_WORLD;
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        long p = find_ci(basis, pats[i].pat);
        if (p >= 0 && (best < 0 || p < best)) {
            best = p;
            r = pats[i].r;
        }
    }
    return r;
}

static int is_china(lode_price_region r)
{
    return r == LODE_PR_CHINA_DOMESTIC || r == LODE_PR_CHINA_EXPORT;
}

static int is_market(const lode_price_obs *p)
{
    return p->region != LODE_PR_POLICY && isfinite(p->usd_per_kg);
}

/* ---- price series --------------------------------------------------------------------------- */

typedef struct obs_key {
    const lode_price_obs *p;
    const lode_model *m;
    long key;
} obs_key;

static int obs_cmp(const void *pa, const void *pb)
{
    const obs_key *x = pa, *y = pb;
    int c = strcmp(x->m->materials[x->p->material].id, y->m->materials[y->p->material].id);
    if (c)
        return c;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->p->row > y->p->row) - (x->p->row < y->p->row);
}

static lode_status build_prices(const lode_model *m, int only, lode_arena *a,
                                lode_market_result *out, long **keys_out, lode_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_prices; i++)
        n += m->prices[i].material >= 0 && (only < 0 || m->prices[i].material == only);
    lode_price_obs *raw = lode_arena_calloc(a, n + 1, sizeof *raw);
    obs_key *ks = lode_arena_calloc(a, n + 1, sizeof *ks);
    out->prices = lode_arena_calloc(a, n + 1, sizeof *out->prices);
    long *keys = lode_arena_calloc(a, n + 1, sizeof *keys);
    if (!raw || !ks || !out->prices || !keys)
        return OOM(err);
    size_t k = 0;
    for (size_t i = 0; i < m->n_prices; i++) {
        const lode_price *r = &m->prices[i];
        if (r->material < 0 || (only >= 0 && r->material != only))
            continue;
        lode_price_obs *p = &raw[k];
        p->row = (int)i;
        p->material = r->material;
        p->date = r->date;
        ks[k].key = date_key(r->date, &p->year, &p->month);
        p->price = r->price;
        p->unit = r->unit;
        p->usd_per_kg = lode_usd_per_kg(r->price, r->unit, &p->conversion);
        p->region = region_of(r->basis);
        p->basis = r->basis ? r->basis : "";
        p->source = r->prov.source ? r->prov.source : "";
        ks[k].p = p;
        ks[k].m = m;
        k++;
    }
    qsort(ks, k, sizeof *ks, obs_cmp);
    for (size_t i = 0; i < k; i++) {
        out->prices[i] = *ks[i].p;
        keys[i] = ks[i].key;
    }
    out->n_prices = k;
    *keys_out = keys;
    return LODE_OK;
}

/* ---- price against cost --------------------------------------------------------------------- */

static lode_status build_costs(const lode_model *m, int only, lode_arena *a,
                               lode_market_result *out, lode_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_costs; i++)
        n += m->costs[i].material >= 0 && (only < 0 || m->costs[i].material == only);
    out->costs = lode_arena_calloc(a, n + 1, sizeof *out->costs);
    if (!out->costs)
        return OOM(err);
    for (size_t i = 0; i < m->n_costs; i++) {
        const lode_cost *r = &m->costs[i];
        if (r->material < 0 || (only >= 0 && r->material != only))
            continue;
        lode_cost_check *c = &out->costs[out->n_costs++];
        c->cost = (int)i;
        c->material = r->material;
        c->cost_usd_per_kg = lode_usd_per_kg(r->cost, r->unit, NULL);
        if (!isfinite(c->cost_usd_per_kg))
            continue;
        double sum = 0;
        for (size_t j = 0; j < out->n_prices; j++) {
            const lode_price_obs *p = &out->prices[j];
            if (p->material != r->material || !is_market(p))
                continue;
            c->n_obs++;
            double gap = c->cost_usd_per_kg - p->usd_per_kg;
            if (gap > 1e-9) {
                c->n_below++;
                sum += gap;
                if (gap > c->max_gap_usd_per_kg)
                    c->max_gap_usd_per_kg = gap;
                if (!c->first_below)
                    c->first_below = p->date;
                c->last_below = p->date;
            }
        }
        c->mean_gap_usd_per_kg = c->n_below ? sum / (double)c->n_below : 0;
    }
    return LODE_OK;
}

/* ---- the price floor ------------------------------------------------------------------------ */

/* The floor's material and level: the options', else the dataset's price-floor row (of the
 * options' material if one is given). 0 if there is none; 1 found; -1 a usage error. */
static int find_floor(const lode_model *m, const lode_market_opts *o, lode_floor_result *f)
{
    int want = o->floor_material;
    for (size_t i = 0; i < m->n_prices; i++) {
        const lode_price *r = &m->prices[i];
        if (r->material < 0 || (want >= 0 && r->material != want) ||
            region_of(r->basis) != LODE_PR_POLICY)
            continue;
        double v = lode_usd_per_kg(r->price, r->unit, NULL);
        if (!isfinite(v))
            continue;
        f->material = r->material;
        f->floor_usd_per_kg = v;
        f->floor_source = r->prov.source ? r->prov.source : "";
        f->floor_date = r->date;
        break;
    }
    if (o->floor_usd_per_kg > 0) {
        if (want < 0 && f->floor_source == NULL)
            return -1;
        f->material = want >= 0 ? want : f->material;
        f->floor_usd_per_kg = o->floor_usd_per_kg;
        f->floor_source = "--floor";
        f->floor_date = "";
        return 1;
    }
    return f->floor_source != NULL;
}

static lode_status build_floor(const lode_model *m, const lode_market_opts *o, lode_arena *a,
                               lode_market_result *out, lode_err *err)
{
    lode_floor_result *f = &out->floor;
    memset(f, 0, sizeof *f);
    f->material = -1;
    int found = find_floor(m, o, f);
    if (found < 0)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "floor",
                         "--floor needs a material: the dataset has no price-floor row");
    if (found == 0)
        return LODE_OK;
    out->have_floor = 1;
    size_t nc = m->n_countries, k = (size_t)f->material;
    int fc = o->floor_country >= 0 ? o->floor_country : lode_model_country(m, "USA");
    if (o->volume_t > 0) {
        f->volume_t = o->volume_t;
        f->volume_source = "--volume";
    } else if (fc >= 0) {
        f->volume_t = m->base.prod_t[k * nc + (size_t)fc];
        f->volume_source = "no production of the material in the floor's country";
        for (size_t i = 0; i < m->n_production; i++) {
            const lode_production *r = &m->production[i];
            if (r->material == f->material && r->country == fc &&
                r->year == m->base.year[k]) {
                f->volume_source =
                    afmt(a, "production.csv %s %s %d: %s", m->materials[k].id,
                         m->countries[fc].iso3, r->year, r->prov.source ? r->prov.source : "");
                break;
            }
        }
    }
    /* The history: the annual market prices, one period per year (rows of one year averaged);
     * the latest market observation of any date. The floor's prices are in `out->prices` only
     * if the material filter let them in, so read them from the model here. */
    lode_price_obs *obs = lode_arena_calloc(a, m->n_prices + 1, sizeof *obs);
    f->history = lode_arena_calloc(a, m->n_prices + 1, sizeof *f->history);
    if (!obs || !f->history || !f->volume_source)
        return OOM(err);
    size_t n = 0;
    long latest = -1;
    for (size_t i = 0; i < m->n_prices; i++) {
        const lode_price *r = &m->prices[i];
        if (r->material != f->material)
            continue;
        lode_price_obs *p = &obs[n];
        long key = date_key(r->date, &p->year, &p->month);
        p->usd_per_kg = lode_usd_per_kg(r->price, r->unit, NULL);
        p->region = region_of(r->basis);
        p->date = r->date;
        if (!is_market(p) || key < 0)
            continue;
        if (key >= latest) {
            latest = key;
            f->latest_usd_per_kg = p->usd_per_kg;
            f->latest_date = r->date;
        }
        if (p->month == 0)
            n++;
    }
    /* Annual rows by year (insertion sort: a handful), averaging a year's rows. */
    for (size_t i = 1; i < n; i++) {
        lode_price_obs key = obs[i];
        size_t j = i;
        while (j > 0 && obs[j - 1].year > key.year) {
            obs[j] = obs[j - 1];
            j--;
        }
        obs[j] = key;
    }
    double per_kg_t = f->volume_t * KG_PER_T; /* kg per year covered */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double sum = 0;
        while (j < n && obs[j].year == obs[i].year)
            sum += obs[j++].usd_per_kg;
        lode_floor_period *h = &f->history[f->n_history++];
        h->date = obs[i].date;
        h->price_usd_per_kg = sum / (double)(j - i);
        h->gap_usd_per_kg = f->floor_usd_per_kg > h->price_usd_per_kg
                                ? f->floor_usd_per_kg - h->price_usd_per_kg
                                : 0;
        h->cost_usd = h->gap_usd_per_kg * per_kg_t;
        f->history_cost_usd += h->cost_usd;
        i = j;
    }
    if (f->latest_date) {
        double gap = f->floor_usd_per_kg - f->latest_usd_per_kg;
        f->latest_cost_usd_per_yr = gap > 0 ? gap * per_kg_t : 0;
    }
    if (!o->scenario || !f->latest_date)
        return LODE_OK;

    /* Under the scenario: the simulated price index (1 = baseline) times the latest price. */
    lode_arena *tmp = lode_arena_new();
    if (tmp == NULL)
        return OOM(err);
    lode_sim_opts so;
    memset(&so, 0, sizeof so);
    so.runs = lode_scenario_is_random(o->scenario) ? (o->runs > 0 ? o->runs : 1) : 1;
    so.seed = o->seed;
    so.threads = o->threads > 0 ? o->threads : 1;
    lode_sim_result r;
    lode_status st = lode_sim_run(m, o->scenario, &so, tmp, &r, err);
    if (st == LODE_OK) {
        f->have_scenario = 1;
        f->scenario = o->scenario->name ? o->scenario->name : "";
        f->weeks = r.weeks;
        double *idx = lode_arena_calloc(tmp, (size_t)r.weeks, sizeof *idx);
        if (idx == NULL) {
            lode_arena_free(tmp);
            return OOM(err);
        }
        for (int w = 0; w < r.weeks; w++)
            idx[w] = 1; /* a material the scenario does not touch stays at baseline */
        for (size_t i = 0; i < r.n_prices; i++)
            if (r.prices[i].material == f->material && r.prices[i].week >= 0 &&
                r.prices[i].week < r.weeks)
                idx[r.prices[i].week] = r.prices[i].mean;
        double per_week_kg = per_kg_t / WEEKS_PER_YEAR;
        f->scenario_min_usd_per_kg = INFINITY;
        f->scenario_max_usd_per_kg = -INFINITY;
        for (int w = 0; w < r.weeks; w++) {
            double p = idx[w] * f->latest_usd_per_kg;
            if (p < f->scenario_min_usd_per_kg)
                f->scenario_min_usd_per_kg = p;
            if (p > f->scenario_max_usd_per_kg)
                f->scenario_max_usd_per_kg = p;
            if (f->floor_usd_per_kg > p)
                f->scenario_cost_usd += (f->floor_usd_per_kg - p) * per_week_kg;
            if (f->floor_usd_per_kg > f->latest_usd_per_kg)
                f->baseline_cost_usd += (f->floor_usd_per_kg - f->latest_usd_per_kg) * per_week_kg;
        }
    }
    lode_arena_free(tmp);
    return st;
}

/* ---- concentration -------------------------------------------------------------------------- */

/* HHI (0..10 000) of t[c] over countries: real countries' shares squared, the residual (ROW)
 * counted in the total only. Sets *top and *top_share. */
static double hhi_of(const lode_model *m, const double *t, double *total, int *top,
                     double *top_share)
{
    double tot = 0, h = 0, best = 0;
    *top = -1;
    for (size_t c = 0; c < m->n_countries; c++)
        if (lode_country_is_real(m, (int)c) || (int)c == m->residual)
            tot += t[c] > 0 ? t[c] : 0;
    *total = tot;
    *top_share = 0;
    if (!(tot > 0))
        return 0;
    for (size_t c = 0; c < m->n_countries; c++) {
        if (!lode_country_is_real(m, (int)c) || !(t[c] > 0))
            continue;
        double s = t[c] / tot;
        h += (100 * s) * (100 * s);
        if (s > best) {
            best = s;
            *top = (int)c;
        }
    }
    *top_share = best;
    return h;
}

static lode_status build_conc(const lode_model *m, int only, lode_arena *a,
                              lode_market_result *out, lode_err *err)
{
    lode_risk_opts ro = {only, -1};
    lode_risk_result rr;
    LODE_TRY(lode_risk_run(m, &ro, a, &rr, err));
    size_t nc = m->n_countries;
    out->conc = lode_arena_calloc(a, rr.n_rows + 1, sizeof *out->conc);
    double *use = lode_arena_calloc(a, nc + 1, sizeof *use);
    if (!out->conc || !use)
        return OOM(err);
    for (size_t i = 0; i < rr.n_rows; i++) {
        const lode_risk_row *w = &rr.rows[i];
        lode_concentration *c = &out->conc[out->n_conc++];
        size_t k = (size_t)w->material;
        c->material = w->material;
        c->year = w->year;
        c->world_t = w->world_t;
        c->seller_hhi = w->hhi;
        c->top_seller = w->top1_country;
        c->top_seller_share = w->top1_share;
        for (size_t j = 0; j < nc; j++)
            use[j] = m->base.inter_t[k * nc + j] + m->base.final_t[k * nc + j];
        c->buyer_hhi = hhi_of(m, use, &c->use_t, &c->top_buyer, &c->top_buyer_share);
        c->import_hhi = hhi_of(m, m->base.imports_t + k * nc, &c->imports_t, &c->top_importer,
                               &c->top_importer_share);
    }
    return LODE_OK;
}

/* ---- distortions ---------------------------------------------------------------------------- */

typedef struct flag_list {
    lode_distortion *v;
    size_t n, cap;
} flag_list;

static lode_distortion *flag_new(lode_arena *a, flag_list *l)
{
    if (l->n == l->cap && lode_arena_grow(a, (void **)&l->v, l->n, &l->cap, sizeof *l->v) != 0)
        return NULL;
    lode_distortion *d = &l->v[l->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static int policy_is_export_control(const lode_policy *p)
{
    const char *k = p->kind ? p->kind : "";
    return find_ci(k, "ban") >= 0 || find_ci(k, "licen") >= 0 || find_ci(k, "quota") >= 0 ||
           find_ci(k, "export") >= 0;
}

static lode_status build_flags(const lode_model *m, const lode_market_opts *o,
                               const long *keys, lode_arena *a, lode_market_result *out,
                               lode_err *err)
{
    flag_list l = {NULL, 0, 0};
    double gap_flag = o->gap_flag > 0 ? o->gap_flag : 0.2;
    double jump_flag = o->jump_flag > 0 ? o->jump_flag : 0.5;
    const lode_price_obs *P = out->prices;
    size_t np = out->n_prices;

    /* Below cost: each cost row that some market price undercuts. */
    for (size_t i = 0; i < out->n_costs; i++) {
        const lode_cost_check *c = &out->costs[i];
        if (c->n_below == 0)
            continue;
        const lode_cost *r = &m->costs[c->cost];
        lode_distortion *d = flag_new(a, &l);
        if (!d)
            return OOM(err);
        double min_p = c->cost_usd_per_kg - c->max_gap_usd_per_kg;
        d->kind = LODE_DISTORT_BELOW_COST;
        d->material = c->material;
        d->date = c->last_below;
        d->gap_pct = min_p > 0 ? 100 * c->max_gap_usd_per_kg / min_p : 0;
        d->detail = afmt(a,
                         "%s: cost %.4g USD/kg (%d) above %zu of %zu market prices (%s to %s), "
                         "by up to %.4g USD/kg, %.4g on average",
                         r->producer ? r->producer : "?", c->cost_usd_per_kg, r->year, c->n_below,
                         c->n_obs, c->first_below, c->last_below, c->max_gap_usd_per_kg,
                         c->mean_gap_usd_per_kg);
        d->source = r->prov.source ? r->prov.source : "";
        if (!d->detail)
            return OOM(err);
    }

    /* Export-price gaps: each Chinese quote against the nearest quote of another region
     * (outside China, or China's other basis) within three months. */
    for (size_t i = 0; i < np; i++) {
        if (!is_china(P[i].region) || !is_market(&P[i]) || P[i].month == 0)
            continue;
        long best = -1, bestd = 4;
        for (size_t j = 0; j < np; j++) {
            if (j == i || P[j].material != P[i].material || !is_market(&P[j]) ||
                P[j].month == 0 || P[j].region == P[i].region ||
                !(is_china(P[j].region) || P[j].region == LODE_PR_EUROPE ||
                  P[j].region == LODE_PR_US))
                continue;
            if (is_china(P[j].region) && j < i)
                continue; /* a China-China pair once */
            long dist = labs(keys[j] - keys[i]);
            if (dist < bestd) {
                bestd = dist;
                best = (long)j;
            }
        }
        if (best < 0)
            continue;
        const lode_price_obs *q = &P[best];
        double lo = P[i].usd_per_kg < q->usd_per_kg ? P[i].usd_per_kg : q->usd_per_kg;
        double gap = lo > 0 ? fabs(q->usd_per_kg - P[i].usd_per_kg) / lo : 0;
        if (gap < gap_flag)
            continue;
        lode_distortion *d = flag_new(a, &l);
        if (!d)
            return OOM(err);
        d->kind = LODE_DISTORT_EXPORT_GAP;
        d->material = P[i].material;
        d->date = keys[best] > keys[i] ? q->date : P[i].date;
        d->gap_pct = 100 * gap;
        d->detail = afmt(a, "%s %s %.4g USD/kg (%s) vs %s %s %.4g USD/kg (%s): %+.0f%%",
                         lode_price_region_name(P[i].region), P[i].date, P[i].usd_per_kg,
                         P[i].basis, lode_price_region_name(q->region), q->date, q->usd_per_kg,
                         q->basis, 100 * (q->usd_per_kg - P[i].usd_per_kg) / P[i].usd_per_kg);
        d->source = afmt(a, "%s; %s", P[i].source, q->source);
        if (!d->detail || !d->source)
            return OOM(err);
    }

    /* A floor above the market: the latest market price at or before the floor's date. */
    for (size_t i = 0; i < np; i++) {
        if (P[i].region != LODE_PR_POLICY || !isfinite(P[i].usd_per_kg))
            continue;
        long best = -1;
        for (size_t j = 0; j < np; j++)
            if (P[j].material == P[i].material && is_market(&P[j]) && keys[j] <= keys[i] &&
                (best < 0 || keys[j] >= keys[best]))
                best = (long)j;
        if (best < 0 || !(P[i].usd_per_kg > P[best].usd_per_kg))
            continue;
        lode_distortion *d = flag_new(a, &l);
        if (!d)
            return OOM(err);
        const lode_price_obs *q = &P[best];
        d->kind = LODE_DISTORT_POLICY_FLOOR;
        d->material = P[i].material;
        d->date = P[i].date;
        d->gap_pct = 100 * (P[i].usd_per_kg - q->usd_per_kg) / q->usd_per_kg;
        d->detail = afmt(a, "floor %.4g USD/kg (%s, %s) vs market %.4g USD/kg (%s, %s): %+.0f%%",
                         P[i].usd_per_kg, P[i].date, P[i].basis, q->usd_per_kg, q->date,
                         q->basis, d->gap_pct);
        d->source = afmt(a, "%s; %s", P[i].source, q->source);
        if (!d->detail || !d->source)
            return OOM(err);
    }

    /* Jumps across an export control: the lowest monthly quote of a region in the three
     * months up to the control's month against the highest of the same region in the six
     * months after it (announcement and entry into force tried; the larger jump kept). */
    for (size_t pi = 0; pi < m->n_policies; pi++) {
        const lode_policy *pol = &m->policies[pi];
        if (!policy_is_export_control(pol))
            continue;
        for (size_t mi = 0; mi < pol->n_materials; mi++) {
            int k = pol->materials[mi];
            double best_jump = 0;
            long bi = -1, bj = -1;
            const char *dates[2] = {pol->announced, pol->effective};
            for (int di = 0; di < 2; di++) {
                int y, mo;
                long pk = date_key(dates[di], &y, &mo);
                if (pk < 0 || mo == 0)
                    continue;
                for (size_t i = 0; i < np; i++) {
                    if (P[i].material != k || !is_market(&P[i]) || P[i].month == 0 ||
                        keys[i] > pk || keys[i] < pk - 3)
                        continue;
                    for (size_t j = 0; j < np; j++) {
                        if (P[j].material != k || !is_market(&P[j]) || P[j].month == 0 ||
                            P[j].region != P[i].region || keys[j] <= pk || keys[j] > pk + 6)
                            continue;
                        double jump = (P[j].usd_per_kg - P[i].usd_per_kg) / P[i].usd_per_kg;
                        if (jump > best_jump) {
                            best_jump = jump;
                            bi = (long)i;
                            bj = (long)j;
                        }
                    }
                }
            }
            if (bi < 0 || best_jump < jump_flag)
                continue;
            lode_distortion *d = flag_new(a, &l);
            if (!d)
                return OOM(err);
            d->kind = LODE_DISTORT_POLICY_JUMP;
            d->material = k;
            d->date = P[bj].date;
            d->gap_pct = 100 * best_jump;
            d->detail = afmt(a,
                             "%s (%s, %s): %s %.4g USD/kg (%s) -> %.4g USD/kg (%s): %+.0f%%",
                             pol->id, pol->announced ? pol->announced : "",
                             pol->title ? pol->title : "", lode_price_region_name(P[bi].region),
                             P[bi].usd_per_kg, P[bi].date, P[bj].usd_per_kg, P[bj].date,
                             d->gap_pct);
            d->source = afmt(a, "%s; %s; %s", pol->prov.source ? pol->prov.source : "",
                             P[bi].source, P[bj].source);
            if (!d->detail || !d->source)
                return OOM(err);
        }
    }

    /* Order: kind, material id, date, detail. */
    for (size_t i = 1; i < l.n; i++) {
        lode_distortion key = l.v[i];
        size_t j = i;
        while (j > 0) {
            const lode_distortion *p = &l.v[j - 1];
            int c = (int)p->kind - (int)key.kind;
            if (c == 0)
                c = strcmp(m->materials[p->material].id, m->materials[key.material].id);
            if (c == 0)
                c = strcmp(p->date ? p->date : "", key.date ? key.date : "");
            if (c == 0)
                c = strcmp(p->detail, key.detail);
            if (c <= 0)
                break;
            l.v[j] = l.v[j - 1];
            j--;
        }
        l.v[j] = key;
    }
    out->flags = l.v;
    out->n_flags = l.n;
    return LODE_OK;
}

lode_status lode_market_run(const lode_model *m, const lode_market_opts *o, lode_arena *a,
                            lode_market_result *out, lode_err *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!m || !m->frozen || !o || !out)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "market: missing model, options or result");
    int nm = (int)m->n_materials; /* model indexes are ints */
    if (o->material >= nm || o->floor_material >= nm || o->material < -1 ||
        o->floor_material < -1)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "material", "market: no such material");
    if (o->floor_usd_per_kg < 0 || !isfinite(o->floor_usd_per_kg))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "floor", "the floor must be > 0 USD/kg, got %g",
                         o->floor_usd_per_kg);
    if (o->volume_t < 0 || !isfinite(o->volume_t))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "volume", "the volume must be >= 0 t, got %g",
                         o->volume_t);
    if (o->floor_country >= (int)m->n_countries)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "country", "market: no such country");
    long *keys = NULL;
    LODE_TRY(build_prices(m, o->material, a, out, &keys, err));
    LODE_TRY(build_costs(m, o->material, a, out, err));
    LODE_TRY(build_floor(m, o, a, out, err));
    LODE_TRY(build_conc(m, o->material, a, out, err));
    return build_flags(m, o, keys, a, out, err);
}
