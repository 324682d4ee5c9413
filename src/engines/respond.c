/* respond.c: lode respond, coordinated emergency deliveries for an alliance. A simulation
 * without a response gives each ally's weekly unserved demand, its stockpile left unused and its
 * surplus; a linear program then releases and redirects tonnes to the allies short of them,
 * lexicographically: least priority-weighted unserved demand, then burden shares closest to the
 * alliance's rule, then fewest tonne-weeks shipped. The plan is re-simulated. Also here: the
 * rules plan.h shares with stockpile.c (lead times, values, burden keys). docs/respond.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/plan.h"
#include "lp.h"
#include "sim_int.h"

#define NSEC LODE_SEC_N
#define EPS_T 1e-9 /* tonnes below this are noise of the simulation's sums, not need */

static lode_status oom(lode_err *err, int line)
{
    return lode_err_set(err, LODE_EIO, "", 0, "", __FILE__, line, "out of memory");
}
#define OOM(err) oom((err), __LINE__)

static void *alloc_n(lode_arena *a, size_t n, size_t size)
{
    return lode_arena_calloc(a, n ? n : 1, size);
}

/* ---- shared rules ------------------------------------------------------------------------ */

const char *lode_solver_name(lode_solver s)
{
    switch (s) {
    case LODE_SOLVER_CLP:
        return "clp";
    case LODE_SOLVER_GLPK:
        return "glpk";
    }
    return "?";
}

int lode_solver_parse(const char *name, lode_solver *out)
{
    if (name && strcmp(name, "clp") == 0)
        *out = LODE_SOLVER_CLP;
    else if (name && strcmp(name, "glpk") == 0)
        *out = LODE_SOLVER_GLPK;
    else
        return -1;
    return 0;
}

static lode_lp_backend backend_of(lode_solver s)
{
    return s == LODE_SOLVER_GLPK ? LODE_LP_GLPK : LODE_LP_CLP;
}

double lode_priority_weight(lode_sector s)
{
    switch (s) {
    case LODE_SEC_DEFENCE:
        return 1000;
    case LODE_SEC_INFRASTRUCTURE:
        return 300;
    case LODE_SEC_HEALTH:
        return 100;
    case LODE_SEC_ENERGY:
        return 10;
    case LODE_SEC_CONSUMER:
        return 2;
    case LODE_SEC_UNALLOCATED:
    case LODE_SEC_N:
        break;
    }
    return 1;
}

const char *lode_rfam_name(lode_rfam f)
{
    switch (f) {
    case LODE_RF_BALANCE:
        return "balance";
    case LODE_RF_STOCK:
        return "stock";
    case LODE_RF_RELEASE:
        return "release";
    case LODE_RF_SURPLUS:
        return "surplus";
    case LODE_RF_CONTRIB:
        return "contrib";
    case LODE_RF_BURDEN:
        return "burden";
    case LODE_RF_REQUIRE:
        return "require";
    case LODE_RF_LEXICO:
        return "lexicographic";
    case LODE_RF_N:
        break;
    }
    return "?";
}

/* Shipping regions of the dataset's countries (continental groupings for sea freight; EUU, the
 * EU aggregate, sits in Europe). Sorted by iso3 for bsearch. */
typedef struct region_row {
    const char *iso3, *region;
} region_row;

static const region_row regions[] = {
    {"ARE", "MEA"}, {"ARG", "LAM"}, {"AUS", "OCE"}, {"AUT", "EUR"}, {"BDI", "AFR"},
    {"BEL", "EUR"}, {"BIH", "EUR"}, {"BOL", "LAM"}, {"BRA", "LAM"}, {"CAF", "AFR"},
    {"CAN", "NAM"}, {"CHE", "EUR"}, {"CHL", "LAM"}, {"CHN", "EAS"}, {"COD", "AFR"},
    {"COL", "LAM"}, {"CUB", "LAM"}, {"CZE", "EUR"}, {"DEU", "EUR"}, {"ECU", "LAM"},
    {"ESP", "EUR"}, {"EST", "EUR"}, {"EUU", "EUR"}, {"FIN", "EUR"}, {"FRA", "EUR"},
    {"GBR", "EUR"}, {"GEO", "EUR"}, {"GIN", "AFR"}, {"GRL", "NAM"}, {"HUN", "EUR"},
    {"IDN", "SEA"}, {"IND", "SAS"}, {"IRL", "EUR"}, {"ISR", "MEA"}, {"ITA", "EUR"},
    {"JPN", "EAS"}, {"KAZ", "CAS"}, {"KGZ", "CAS"}, {"KOR", "EAS"}, {"LAO", "SEA"},
    {"LKA", "SAS"}, {"LTU", "EUR"}, {"LUX", "EUR"}, {"MAR", "AFR"}, {"MDG", "AFR"},
    {"MEX", "NAM"}, {"MMR", "SEA"}, {"MNG", "EAS"}, {"MOZ", "AFR"}, {"MWI", "AFR"},
    {"MYS", "SEA"}, {"NAM", "AFR"}, {"NCL", "OCE"}, {"NGA", "AFR"}, {"NLD", "EUR"},
    {"NOR", "EUR"}, {"NZL", "OCE"}, {"OMN", "MEA"}, {"PAK", "SAS"}, {"PER", "LAM"},
    {"PHL", "SEA"}, {"PNG", "OCE"}, {"POL", "EUR"}, {"PRK", "EAS"}, {"PRT", "EUR"},
    {"QAT", "MEA"}, {"ROU", "EUR"}, {"RUS", "EUR"}, {"RWA", "AFR"}, {"SAU", "MEA"},
    {"SGP", "SEA"}, {"SRB", "EUR"}, {"SVK", "EUR"}, {"SWE", "EUR"}, {"THA", "SEA"},
    {"TJK", "CAS"}, {"TUR", "EUR"}, {"TWN", "EAS"}, {"TZA", "AFR"}, {"UKR", "EUR"},
    {"USA", "NAM"}, {"UZB", "CAS"}, {"VNM", "SEA"}, {"ZAF", "AFR"}, {"ZMB", "AFR"},
    {"ZWE", "AFR"},
};

static int region_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const region_row *)elem)->iso3);
}

const char *lode_region_of(const char *iso3)
{
    if (iso3 == NULL)
        return "OTH";
    const region_row *r =
        bsearch(iso3, regions, sizeof regions / sizeof regions[0], sizeof regions[0], region_cmp);
    return r ? r->region : "OTH";
}

/* Weeks between regions: typical port-to-port sea transit plus about a week to release, load
 * and clear, rounded up (docs/respond.md states the transit times assumed). Symmetric. */
typedef struct lead_row {
    const char *r1, *r2;
    int weeks;
} lead_row;

static const lead_row leads[] = {
    {"NAM", "EUR", 3}, {"NAM", "EAS", 4}, {"NAM", "SEA", 5}, {"NAM", "SAS", 6},
    {"NAM", "OCE", 4}, {"NAM", "LAM", 3}, {"NAM", "MEA", 5}, {"NAM", "AFR", 5},
    {"EUR", "EAS", 6}, {"EUR", "SEA", 5}, {"EUR", "SAS", 4}, {"EUR", "OCE", 6},
    {"EUR", "LAM", 4}, {"EUR", "MEA", 3}, {"EUR", "AFR", 4}, {"EUR", "CAS", 3},
    {"EAS", "SEA", 2}, {"EAS", "SAS", 3}, {"EAS", "OCE", 3}, {"EAS", "MEA", 4},
    {"EAS", "CAS", 3}, {"SEA", "SAS", 2}, {"SEA", "OCE", 2}, {"SAS", "OCE", 3},
    {"SAS", "MEA", 2},
};
enum { LEAD_DEFAULT_WK = 6 }; /* region pairs not listed */

int lode_lead_weeks(const char *from_iso3, const char *to_iso3)
{
    if (from_iso3 && to_iso3 && strcmp(from_iso3, to_iso3) == 0)
        return 0;
    const char *r1 = lode_region_of(from_iso3), *r2 = lode_region_of(to_iso3);
    if (strcmp(r1, r2) == 0 && strcmp(r1, "OTH") != 0)
        return 1;
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++)
        if ((strcmp(leads[i].r1, r1) == 0 && strcmp(leads[i].r2, r2) == 0) ||
            (strcmp(leads[i].r1, r2) == 0 && strcmp(leads[i].r2, r1) == 0))
            return leads[i].weeks;
    return LEAD_DEFAULT_WK;
}

/* USD per tonne of the material's unit for one unit of price, or -1 if the unit is not known.
 * The AUD rate is a stated assumption (about the 2024 average); the dataset has none. */
#define USD_PER_AUD 0.66
#define KG_W_PER_MTU_WO3 7.93 /* prices.csv: 1 mtu WO3 = 7.93 kg W */
static double usd_per_t(const char *unit)
{
    if (unit == NULL)
        return -1;
    if (strcmp(unit, "USD/t") == 0)
        return 1;
    if (strcmp(unit, "USD/kg") == 0)
        return 1000;
    if (strcmp(unit, "USD/lb") == 0)
        return 1000 / 0.45359237;
    if (strcmp(unit, "USD/mtu WO3") == 0)
        return 1000 / KG_W_PER_MTU_WO3;
    if (strcmp(unit, "AUD/kg") == 0)
        return 1000 * USD_PER_AUD;
    return -1;
}

/* The mean of material k's convertible prices on their latest date, USD/t; 0 if none. */
static double latest_price(const lode_model *m, int k)
{
    const char *latest = NULL;
    for (size_t i = 0; i < m->n_prices; i++) {
        const lode_price *p = &m->prices[i];
        if (p->material != k || usd_per_t(p->unit) < 0 || p->date == NULL)
            continue;
        if (latest == NULL || strcmp(p->date, latest) > 0)
            latest = p->date;
    }
    if (latest == NULL)
        return 0;
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < m->n_prices; i++) {
        const lode_price *p = &m->prices[i];
        if (p->material == k && usd_per_t(p->unit) >= 0 && p->date &&
            strcmp(p->date, latest) == 0) {
            sum += p->price * usd_per_t(p->unit);
            n++;
        }
    }
    return sum / n;
}

static double value_rec(const lode_model *m, int k, int depth, const char **basis)
{
    double v = latest_price(m, k);
    if (v > 0 || depth > 4) {
        *basis = v > 0 ? "price" : "none";
        return v;
    }
    /* The inputs it is made of, per tonne, by grade. */
    double in = 0;
    int any = 0;
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (r->output != k || !r->consumed)
            continue;
        const char *b;
        double vi = value_rec(m, r->input, depth + 1, &b);
        if (vi > 0) {
            in += r->grade_share * r->t_per_t * vi;
            any = 1;
        }
    }
    if (any && in > 0) {
        *basis = "inputs";
        return in;
    }
    /* The first product it is consumed in, per tonne of input. */
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (r->input != k || !r->consumed || !(r->t_per_t > 0))
            continue;
        double vo = latest_price(m, r->output);
        if (vo > 0) {
            *basis = "product";
            return vo / r->t_per_t;
        }
    }
    *basis = "none";
    return 0;
}

double lode_value_usd_per_t(const lode_model *m, int k, const char **basis)
{
    const char *b = "none";
    double v = k >= 0 && (size_t)k < m->n_materials ? value_rec(m, k, 0, &b) : 0;
    if (basis)
        *basis = b;
    return v;
}

void lode_burden_keys(const lode_model *m, lode_burden rule, const int *countries, size_t n,
                      const int *materials, size_t nk, double *key, int *fallback)
{
    size_t nc = m->n_countries;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)countries[i];
        key[i] = 0;
        if (rule == LODE_BURDEN_CONSUMPTION) {
            for (size_t j = 0; j < nk; j++) {
                size_t k = (size_t)materials[j];
                double use = m->base.final_t[k * nc + c] + m->base.inter_t[k * nc + c];
                key[i] += use * lode_value_usd_per_t(m, (int)k, NULL);
            }
        } else if (rule == LODE_BURDEN_GDP) {
            int year = -1;
            for (size_t e = 0; e < m->n_economy; e++) {
                const lode_econ *x = &m->economy[e];
                if ((size_t)x->country == c && x->year > year) {
                    year = x->year;
                    key[i] = x->value;
                }
            }
        } else {
            key[i] = 1;
        }
        if (!(key[i] > 0))
            key[i] = 0;
        sum += key[i];
    }
    if (fallback)
        *fallback = !(sum > 0);
    for (size_t i = 0; i < n; i++)
        key[i] = sum > 0 ? key[i] / sum : 1.0 / (double)n;
}

int lode_alliance_find(const lode_model *m, const char *id)
{
    for (size_t i = 0; id && i < m->n_alliances; i++)
        if (strcmp(m->alliances[i].id, id) == 0)
            return (int)i;
    return -1;
}

void lode_respond_opts_default(lode_respond_opts *o)
{
    memset(o, 0, sizeof *o);
    o->solver = LODE_SOLVER_CLP;
    o->burden_tol = 0.10;
    o->seed = 1;
    o->resimulate = 1;
}

/* ---- the LP ------------------------------------------------------------------------------ */

/* A release (sur = 0) or redirected shipment (sur = 1) from ally a in week t to ally b. */
typedef struct xcol {
    size_t a, b, k;
    int t, arr, sur;
} xcol;

/* The columns and where they sit, built once per problem; each stage's model is rebuilt from it
 * (lp.h has no cost update), which costs little next to a solve. */
typedef struct rplan {
    const lode_respond_problem *p;
    const lode_respond_opts *o;
    size_t na, nk, W, ncell;
    xcol *x;
    size_t nx;
    size_t *arr_start, *arr_x;  /* [na*nk*W + 1] x arriving at (b, k, t) */
    size_t *src_start, *src_x;  /* [na*nk*W + 1] x leaving (a, k, t) */
    unsigned char *reach;       /* [na*nk*W] something can arrive at (b, k) by week t */
    unsigned char *hold;        /* [na*nk*W] (b, k) may carry tonnes from week t to t + 1 */
    double wconst;              /* sum of weight x need: the weighted unserved before */
    int burden;                 /* burden rows exist (>= 2 allies and some value) */
} rplan;

static size_t need_ix(const rplan *r, size_t cell, size_t s, size_t t)
{
    return (cell * NSEC + s) * r->W + t;
}

static lode_status rplan_build(const lode_respond_problem *p, const lode_respond_opts *o,
                               lode_arena *a, rplan *r, lode_err *err)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->o = o;
    r->na = p->n_allies;
    r->nk = p->n_materials;
    r->W = (size_t)p->weeks;
    r->ncell = r->na * r->nk;
    size_t na = r->na, nk = r->nk, W = r->W, nbkt = r->ncell * W;
    unsigned char *has_need = alloc_n(a, nbkt, 1);
    r->reach = alloc_n(a, nbkt, 1);
    r->hold = alloc_n(a, nbkt, 1);
    r->arr_start = alloc_n(a, nbkt + 1, sizeof *r->arr_start);
    r->src_start = alloc_n(a, nbkt + 1, sizeof *r->src_start);
    if (!has_need || !r->reach || !r->hold || !r->arr_start || !r->src_start)
        return OOM(err);
    for (size_t c = 0; c < r->ncell; c++)
        for (size_t s = 0; s < NSEC; s++)
            for (size_t t = 0; t < W; t++) {
                double n = p->need_t[need_ix(r, c, s, t)];
                if (n > EPS_T) {
                    has_need[c * W + t] = 1;
                    r->wconst += lode_priority_weight((lode_sector)s) * n;
                }
            }
    /* last_need[c]: 1 + the last week of need, 0 if none. */
    size_t *last_need = alloc_n(a, r->ncell, sizeof *last_need);
    if (!last_need)
        return OOM(err);
    for (size_t c = 0; c < r->ncell; c++)
        for (size_t t = 0; t < W; t++)
            if (has_need[c * W + t])
                last_need[c] = t + 1;
    /* Columns: count, then fill. */
    for (int pass = 0; pass < 2; pass++) {
        size_t nx = 0;
        for (size_t ia = 0; ia < na; ia++)
            for (size_t k = 0; k < nk; k++) {
                size_t ca = ia * nk + k;
                for (int sur = 0; sur < 2; sur++) {
                    if (sur == 0 && !(p->stock_t[ca] > EPS_T))
                        continue;
                    if (sur == 1 && p->surplus_t == NULL)
                        continue;
                    for (size_t t = 0; t < W; t++) {
                        double lim = sur ? p->surplus_t[ca * W + t]
                                         : (p->release_t ? p->release_t[ca * W + t] : 1);
                        if (!(lim > EPS_T))
                            continue;
                        for (size_t b = 0; b < na; b++) {
                            if (sur && b == ia)
                                continue;
                            int lead = p->lead_wk[ia * na + b];
                            size_t arr = t + (size_t)(lead > 0 ? lead : 0);
                            /* worth sending if the ally needs it then or later */
                            if (arr >= W || !(last_need[b * nk + k] >= arr + 1))
                                continue;
                            if (pass == 1) {
                                xcol *x = &r->x[nx];
                                x->a = ia;
                                x->b = b;
                                x->k = k;
                                x->t = (int)t; /* t < weeks, an int */
                                x->arr = (int)arr;
                                x->sur = sur;
                            }
                            nx++;
                        }
                    }
                }
            }
        if (pass == 0) {
            r->nx = nx;
            r->x = alloc_n(a, nx, sizeof *r->x);
            if (!r->x)
                return OOM(err);
        }
    }
    /* Buckets by arrival (b, k, arr) and by source (a, k, t). */
    r->arr_x = alloc_n(a, r->nx, sizeof *r->arr_x);
    r->src_x = alloc_n(a, r->nx, sizeof *r->src_x);
    size_t *fa = alloc_n(a, nbkt + 1, sizeof *fa), *fs = alloc_n(a, nbkt + 1, sizeof *fs);
    if (!r->arr_x || !r->src_x || !fa || !fs)
        return OOM(err);
    for (size_t i = 0; i < r->nx; i++) {
        const xcol *x = &r->x[i];
        r->arr_start[(x->b * nk + x->k) * W + (size_t)x->arr + 1]++;
        r->src_start[(x->a * nk + x->k) * W + (size_t)x->t + 1]++;
    }
    for (size_t i = 0; i < nbkt; i++) {
        r->arr_start[i + 1] += r->arr_start[i];
        r->src_start[i + 1] += r->src_start[i];
    }
    for (size_t i = 0; i < r->nx; i++) {
        const xcol *x = &r->x[i];
        size_t ba = (x->b * nk + x->k) * W + (size_t)x->arr;
        size_t bs = (x->a * nk + x->k) * W + (size_t)x->t;
        r->arr_x[r->arr_start[ba] + fa[ba]++] = i;
        r->src_x[r->src_start[bs] + fs[bs]++] = i;
    }
    /* What arrives may be held for a later week's need: reach from the first arrival on,
     * hold until the last week of need. */
    for (size_t c = 0; c < r->ncell; c++) {
        size_t first = W, last = 0;
        int any_need = 0;
        for (size_t t = 0; t < W; t++) {
            if (first == W && r->arr_start[c * W + t + 1] > r->arr_start[c * W + t])
                first = t;
            if (has_need[c * W + t]) {
                last = t;
                any_need = 1;
            }
        }
        for (size_t t = first; any_need && t < W; t++) {
            r->reach[c * W + t] = 1;
            r->hold[c * W + t] = t < last;
        }
    }
    int any_value = 0;
    for (size_t k = 0; k < nk; k++)
        any_value |= p->value_usd_t && p->value_usd_t[k] > 0;
    r->burden = na >= 2 && any_value && p->key != NULL;
    return LODE_OK;
}

/* Where each kind of column sits in a built model. */
typedef struct rmodel {
    lode_lp *lp;
    long x0;     /* x columns are x0 .. x0 + nx */
    long *ycol;  /* [ncell * NSEC * W] or -1 */
    long *hcol;  /* [ncell * W] tonnes held from week t to t + 1, or -1 */
    long *ccol;  /* [na] contributions (USD million), or -1 */
    long Ccol;
    long *ocol, *ucol; /* [na] soft-band slacks, or -1 */
} rmodel;

/* A row builder: entries gathered in caller-owned buffers. */
typedef struct rowb {
    long *cols;
    double *vals;
    size_t n, cap;
} rowb;

static int rowb_add(rowb *b, long col, double val)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        long *c = realloc(b->cols, cap * sizeof *c);
        if (c == NULL)
            return -1;
        b->cols = c;
        double *v = realloc(b->vals, cap * sizeof *v);
        if (v == NULL)
            return -1;
        b->vals = v;
        b->cap = cap;
    }
    b->cols[b->n] = col;
    b->vals[b->n] = val;
    b->n++;
    return 0;
}

static void rmodel_free(rmodel *md)
{
    lode_lp_free(md->lp);
    md->lp = NULL;
}

/* Stage 1 minimises weighted unserved; 2 the burden slacks (soft) with stage 1 held at fix1;
 * 3 tonne-weeks shipped with fix1 and fix2 held. `skip` drops the rows of families (bit f).
 * 0 or -1 when out of memory. */
static int rmodel_build(const rplan *r, int stage, double fix1, double fix2, unsigned skip,
                        lode_arena *a, rmodel *md)
{
    const lode_respond_problem *p = r->p;
    const lode_respond_opts *o = r->o;
    size_t na = r->na, nk = r->nk, W = r->W;
    memset(md, 0, sizeof *md);
    md->lp = lode_lp_new();
    md->ycol = alloc_n(a, r->ncell * NSEC * W, sizeof *md->ycol);
    md->hcol = alloc_n(a, r->ncell * W, sizeof *md->hcol);
    md->ccol = alloc_n(a, na, sizeof *md->ccol);
    md->ocol = alloc_n(a, na, sizeof *md->ocol);
    md->ucol = alloc_n(a, na, sizeof *md->ucol);
    rowb b = {0};
    if (!md->lp || !md->ycol || !md->hcol || !md->ccol || !md->ocol || !md->ucol)
        goto fail;
    int soft = !o->burden_hard;
    /* Columns: shipments, served demand, contributions, slacks. */
    for (size_t i = 0; i < r->nx; i++) {
        const xcol *x = &r->x[i];
        size_t ca = x->a * nk + x->k;
        double ub = x->sur ? p->surplus_t[ca * W + (size_t)x->t] : p->stock_t[ca];
        if (!x->sur && p->release_t && p->release_t[ca * W + (size_t)x->t] < ub)
            ub = p->release_t[ca * W + (size_t)x->t];
        double cost = stage == 3 && x->a != x->b ? (double)p->lead_wk[x->a * na + x->b] : 0;
        long c = lode_lp_add_col(md->lp, 0, ub, cost, 0, NULL);
        if (c < 0)
            goto fail;
        if (i == 0)
            md->x0 = c;
    }
    for (size_t c = 0; c < r->ncell; c++)
        for (size_t s = 0; s < NSEC; s++)
            for (size_t t = 0; t < W; t++) {
                size_t ix = need_ix(r, c, s, t);
                double n = p->need_t[ix];
                md->ycol[ix] = -1;
                if (!(n > EPS_T) || !r->reach[c * W + t])
                    continue;
                double cost = stage == 1 ? -lode_priority_weight((lode_sector)s) : 0;
                if ((md->ycol[ix] = lode_lp_add_col(md->lp, 0, n, cost, 0, NULL)) < 0)
                    goto fail;
            }
    for (size_t c = 0; c < r->ncell; c++)
        for (size_t t = 0; t < W; t++) {
            md->hcol[c * W + t] = -1;
            if (r->hold[c * W + t] &&
                (md->hcol[c * W + t] =
                     lode_lp_add_col(md->lp, 0, LODE_LP_INF, stage == 3 ? 1 : 0, 0, NULL)) < 0)
                goto fail;
        }
    md->Ccol = -1;
    for (size_t i = 0; i < na; i++)
        md->ccol[i] = md->ocol[i] = md->ucol[i] = -1;
    int burden = r->burden && !(skip & (1u << LODE_RF_BURDEN));
    if (burden) {
        for (size_t i = 0; i < na; i++)
            if ((md->ccol[i] = lode_lp_add_col(md->lp, 0, LODE_LP_INF, 0, 0, NULL)) < 0)
                goto fail;
        if ((md->Ccol = lode_lp_add_col(md->lp, 0, LODE_LP_INF, 0, 0, NULL)) < 0)
            goto fail;
        for (size_t i = 0; i < na && soft; i++) {
            double cost = stage == 2 ? 1 : 0;
            if ((md->ocol[i] = lode_lp_add_col(md->lp, 0, LODE_LP_INF, cost, 0, NULL)) < 0 ||
                (md->ucol[i] = lode_lp_add_col(md->lp, 0, LODE_LP_INF, cost, 0, NULL)) < 0)
                goto fail;
        }
    }
#define ROW(lb, ub, fam)                                                                       \
    do {                                                                                       \
        if (lode_lp_add_row(md->lp, (lb), (ub), b.n, b.cols, b.vals, (fam), NULL) < 0)          \
            goto fail;                                                                         \
    } while (0)
#define ADD(col, val)                                                                          \
    do {                                                                                       \
        if (rowb_add(&b, (col), (val)) != 0)                                                   \
            goto fail;                                                                         \
    } while (0)

    /* balance: served + held on = arrivals + held over, per (b, k, t) */
    if (!(skip & (1u << LODE_RF_BALANCE)))
        for (size_t c = 0; c < r->ncell; c++)
            for (size_t t = 0; t < W; t++) {
                if (!r->reach[c * W + t])
                    continue;
                b.n = 0;
                for (size_t s = 0; s < NSEC; s++) {
                    long y = md->ycol[need_ix(r, c, s, t)];
                    if (y >= 0)
                        ADD(y, 1);
                }
                if (md->hcol[c * W + t] >= 0)
                    ADD(md->hcol[c * W + t], 1);
                if (t > 0 && md->hcol[c * W + t - 1] >= 0)
                    ADD(md->hcol[c * W + t - 1], -1);
                size_t bk = c * W + t;
                for (size_t j = r->arr_start[bk]; j < r->arr_start[bk + 1]; j++)
                    ADD(md->x0 + (long)r->arr_x[j], -1);
                if (b.n)
                    ROW(0, 0, LODE_RF_BALANCE);
            }
    /* stock: releases over the horizon, per (a, k) */
    if (!(skip & (1u << LODE_RF_STOCK)))
        for (size_t c = 0; c < r->ncell; c++) {
            b.n = 0;
            for (size_t t = 0; t < W; t++)
                for (size_t j = r->src_start[c * W + t]; j < r->src_start[c * W + t + 1]; j++)
                    if (!r->x[r->src_x[j]].sur)
                        ADD(md->x0 + (long)r->src_x[j], 1);
            if (b.n)
                ROW(-LODE_LP_INF, p->stock_t[c], LODE_RF_STOCK);
        }
    /* release and surplus limits, per (a, k, t) */
    for (int sur = 0; sur < 2; sur++) {
        int fam = sur ? LODE_RF_SURPLUS : LODE_RF_RELEASE;
        if ((skip & (1u << fam)) || (!sur && p->release_t == NULL))
            continue;
        for (size_t c = 0; c < r->ncell; c++)
            for (size_t t = 0; t < W; t++) {
                b.n = 0;
                for (size_t j = r->src_start[c * W + t]; j < r->src_start[c * W + t + 1]; j++)
                    if (r->x[r->src_x[j]].sur == sur)
                        ADD(md->x0 + (long)r->src_x[j], 1);
                if (b.n)
                    ROW(-LODE_LP_INF, sur ? p->surplus_t[c * W + t] : p->release_t[c * W + t],
                        fam);
            }
    }
    /* contributions (USD million) and the burden bands */
    if (burden) {
        for (size_t i = 0; i < na; i++) {
            b.n = 0;
            ADD(md->ccol[i], 1);
            for (size_t j = 0; j < r->nx; j++) {
                const xcol *x = &r->x[j];
                if (x->a == i && x->b != i && p->value_usd_t[x->k] > 0)
                    ADD(md->x0 + (long)j, -p->value_usd_t[x->k] * 1e-6);
            }
            ROW(0, 0, LODE_RF_CONTRIB);
        }
        b.n = 0;
        ADD(md->Ccol, 1);
        for (size_t i = 0; i < na; i++)
            ADD(md->ccol[i], -1);
        ROW(0, 0, LODE_RF_CONTRIB);
        double tol = o->burden_tol > 0 ? o->burden_tol : 0;
        for (size_t i = 0; i < na; i++) {
            b.n = 0;
            ADD(md->ccol[i], 1);
            ADD(md->Ccol, -(1 + tol) * p->key[i]);
            if (soft)
                ADD(md->ocol[i], -1);
            ROW(-LODE_LP_INF, 0, LODE_RF_BURDEN);
            b.n = 0;
            ADD(md->Ccol, (1 - tol) * p->key[i]);
            ADD(md->ccol[i], -1);
            if (soft)
                ADD(md->ucol[i], -1);
            ROW(-LODE_LP_INF, 0, LODE_RF_BURDEN);
        }
    }
    /* require: protected classes fully served (a row with no column when nothing can arrive) */
    if (o->require_priority > 0 && !(skip & (1u << LODE_RF_REQUIRE)))
        for (size_t c = 0; c < r->ncell; c++)
            for (size_t s = 0; s < NSEC; s++) {
                if ((int)s + 1 > o->require_priority) /* priority of class s is s + 1 */
                    continue;
                for (size_t t = 0; t < W; t++) {
                    size_t ix = need_ix(r, c, s, t);
                    double n = p->need_t[ix];
                    if (!(n > EPS_T))
                        continue;
                    b.n = 0;
                    if (md->ycol[ix] >= 0)
                        ADD(md->ycol[ix], 1);
                    ROW(n, LODE_LP_INF, LODE_RF_REQUIRE);
                }
            }
    /* lexicographic: the earlier stages' optima, with a relative tolerance for the solver's */
    if (stage >= 2) {
        b.n = 0;
        for (size_t c = 0; c < r->ncell; c++)
            for (size_t s = 0; s < NSEC; s++)
                for (size_t t = 0; t < W; t++) {
                    long y = md->ycol[need_ix(r, c, s, t)];
                    if (y >= 0)
                        ADD(y, lode_priority_weight((lode_sector)s));
                }
        ROW(fix1 - 1e-7 - 1e-12 * fabs(fix1), LODE_LP_INF, LODE_RF_LEXICO);
    }
    if (stage == 3 && burden && soft) {
        b.n = 0;
        for (size_t i = 0; i < na; i++) {
            ADD(md->ocol[i], 1);
            ADD(md->ucol[i], 1);
        }
        ROW(-LODE_LP_INF, fix2 + 1e-7 + 1e-12 * fabs(fix2), LODE_RF_LEXICO);
    }
#undef ROW
#undef ADD
    free(b.cols);
    free(b.vals);
    return 0;
fail:
    free(b.cols);
    free(b.vals);
    rmodel_free(md);
    return -1;
}

/* Which families, dropped alone, make stage 1 solvable: the one(s) at fault. Fills err. */
static lode_status diagnose(const rplan *r, lode_lp_status st, lode_arena *a, lode_err *err)
{
    static const lode_rfam suspects[] = {LODE_RF_REQUIRE, LODE_RF_BURDEN, LODE_RF_STOCK,
                                         LODE_RF_RELEASE, LODE_RF_SURPLUS};
    char names[256] = "";
    const char *first = NULL;
    int n = 0;
    lode_lp_opts lo = {0, 0, 0};
    for (size_t i = 0; i < sizeof suspects / sizeof suspects[0]; i++) {
        rmodel md;
        if (rmodel_build(r, 1, 0, 0, 1u << suspects[i], a, &md) != 0)
            return OOM(err);
        lode_lp_solution sol;
        lode_status cs = lode_lp_solve(md.lp, backend_of(r->o->solver), &lo, &sol, NULL);
        int ok = cs == LODE_OK && sol.status == LODE_LP_OPTIMAL;
        lode_lp_solution_free(&sol);
        rmodel_free(&md);
        if (!ok)
            continue;
        const char *nm = lode_rfam_name(suspects[i]);
        size_t len = strlen(names);
        char what[96];
        switch (suspects[i]) {
        case LODE_RF_REQUIRE:
            snprintf(what, sizeof what, "demand of priority 1..%d fully served",
                     r->o->require_priority);
            break;
        case LODE_RF_BURDEN:
            snprintf(what, sizeof what, "contributions within %g of the burden keys (hard)",
                     r->o->burden_tol);
            break;
        case LODE_RF_STOCK:
            snprintf(what, sizeof what, "releases within each holder's stock");
            break;
        case LODE_RF_RELEASE:
            snprintf(what, sizeof what, "releases within the weekly release limits");
            break;
        default:
            snprintf(what, sizeof what, "redirected tonnes within each week's surplus");
            break;
        }
        snprintf(names + len, sizeof names - len, "%s'%s' (%s)", n ? ", " : "", nm, what);
        if (first == NULL)
            first = nm;
        n++;
    }
    const char *what = st == LODE_LP_UNBOUNDED ? "unbounded" : "infeasible";
    if (n == 0)
        return LODE_FAIL(err, LODE_ENOSOLN, "", 0, "", "the response model is %s and no single "
                         "constraint family dropped makes it solvable", what);
    return LODE_FAIL(err, LODE_ENOSOLN, "", 0, first,
                     "no plan: the response model is %s; constraint famil%s %s at fault "
                     "(dropping %s makes it solvable)", what, n == 1 ? "y" : "ies", names,
                     n == 1 ? "it" : "any one");
}

/* Solve one stage. On success *sol is filled (caller frees). */
static lode_status solve_stage(const rplan *r, int stage, double fix1, double fix2, lode_arena *a,
                               lode_lp_solution *sol, rmodel *md, lode_respond_result *out,
                               lode_err *err)
{
    if (rmodel_build(r, stage, fix1, fix2, 0, a, md) != 0)
        return OOM(err);
    if (stage == 1) {
        out->rows = lode_lp_n_rows(md->lp);
        out->cols = lode_lp_n_cols(md->lp);
        out->nonzeros = lode_lp_n_nonzeros(md->lp);
    }
    lode_lp_opts lo = {0, 0, 0};
    lode_status cs = lode_lp_solve(md->lp, backend_of(r->o->solver), &lo, sol, err);
    if (cs != LODE_OK) {
        rmodel_free(md);
        return cs; /* a backend not built in, or out of memory: err says which */
    }
    out->iterations += sol->iterations;
    return LODE_OK;
}

static lode_status check_problem(const lode_respond_problem *p, lode_err *err)
{
    if (p == NULL || p->weeks < 1 || p->n_allies < 1 || !p->need_t || !p->stock_t ||
        !p->lead_wk || (p->n_materials > 0 && p->value_usd_t == NULL && p->key))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "incomplete response problem");
    size_t nc = p->n_allies * p->n_materials, W = (size_t)p->weeks;
    for (size_t i = 0; i < nc * NSEC * W; i++)
        if (!(p->need_t[i] >= 0) || !isfinite(p->need_t[i]))
            return LODE_FAIL(err, LODE_EINPUT, "", 0, "need_t", "need must be finite and >= 0");
    for (size_t i = 0; i < nc; i++)
        if (!(p->stock_t[i] >= 0) || !isfinite(p->stock_t[i]))
            return LODE_FAIL(err, LODE_EINPUT, "", 0, "stock_t",
                             "stock must be finite and >= 0");
    for (size_t i = 0; i < nc * W; i++)
        if ((p->release_t && !(p->release_t[i] >= 0)) ||
            (p->surplus_t && !(p->surplus_t[i] >= 0)))
            return LODE_FAIL(err, LODE_EINPUT, "", 0, p->release_t && !(p->release_t[i] >= 0)
                             ? "release_t" : "surplus_t", "limits must be >= 0");
    for (size_t i = 0; i < p->n_allies * p->n_allies; i++)
        if (p->lead_wk[i] < 0)
            return LODE_FAIL(err, LODE_EINPUT, "", 0, "lead_wk", "lead times must be >= 0");
    return LODE_OK;
}

static int delivery_cmp(const void *pa, const void *pb)
{
    const lode_delivery *x = pa, *y = pb;
    /* from, to, material are problem positions here (sorted by id); mapped to model indexes
     * after sorting */
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    if (x->material != y->material)
        return x->material < y->material ? -1 : 1;
    if (x->week != y->week)
        return x->week < y->week ? -1 : 1;
    return x->surplus - y->surplus;
}

lode_status lode_respond_solve(const lode_respond_problem *p, const lode_respond_opts *o,
                               lode_arena *a, lode_respond_result *out, lode_err *err)
{
    lode_respond_opts def;
    if (o == NULL) {
        lode_respond_opts_default(&def);
        o = &def;
    }
    if (out == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "no result");
    memset(out, 0, sizeof *out);
    LODE_TRY(check_problem(p, err));
    if (o->require_priority < 0 || o->require_priority > NSEC || !(o->burden_tol >= 0))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "bad response options");
    out->problem = p;
    out->weeks = p->weeks;
    out->solver = lode_solver_name(o->solver);
    rplan r;
    LODE_TRY(rplan_build(p, o, a, &r, err));
    size_t na = r.na, nk = r.nk, W = r.W;
    out->weighted_before = r.wconst;
    double *served = alloc_n(a, r.ncell * NSEC * W, sizeof *served);
    double *xval = alloc_n(a, r.nx, sizeof *xval);
    if (!served || !xval)
        return OOM(err);
    out->served_t = served;

    /* Stage 1: least weighted unserved. */
    lode_lp_solution sol;
    rmodel md;
    LODE_TRY(solve_stage(&r, 1, 0, 0, a, &sol, &md, out, err));
    if (sol.status != LODE_LP_OPTIMAL) {
        lode_lp_status st = sol.status;
        lode_lp_solution_free(&sol);
        rmodel_free(&md);
        if (st == LODE_LP_INFEASIBLE || st == LODE_LP_UNBOUNDED)
            return diagnose(&r, st, a, err);
        return LODE_FAIL(err, LODE_ENOSOLN, "", 0, "", "%s stopped: %s", out->solver,
                         lode_lp_status_name(st));
    }
    double served_w = -sol.objective;
    out->weighted_after = r.wconst + sol.objective;
    out->stages = 1;
    /* Stages 2 and 3 refine the plan among equally good ones; should one not reach optimality
     * (it cannot be infeasible: the previous optimum satisfies it), the previous plan stands. */
    double dev = 0;
    int soft = r.burden && !o->burden_hard;
    for (int stage = soft ? 2 : 3; stage <= 3; stage++) {
        lode_lp_solution s2;
        rmodel m2;
        lode_status cs = solve_stage(&r, stage, served_w, dev, a, &s2, &m2, out, err);
        if (cs != LODE_OK) {
            lode_lp_solution_free(&sol);
            rmodel_free(&md);
            return cs; /* out of memory: the backend worked in stage 1 */
        }
        if (s2.status != LODE_LP_OPTIMAL) {
            lode_lp_solution_free(&s2);
            rmodel_free(&m2);
            break;
        }
        out->stages++;
        if (stage == 2)
            dev = s2.objective;
        lode_lp_solution_free(&sol);
        rmodel_free(&md);
        sol = s2;
        md = m2;
    }

    /* Read the plan. */
    for (size_t i = 0; i < r.nx; i++) {
        double v = sol.x[md.x0 + (long)i];
        xval[i] = v > EPS_T ? v : 0;
    }
    for (size_t ix = 0; ix < r.ncell * NSEC * W; ix++)
        served[ix] = md.ycol[ix] >= 0 && sol.x[md.ycol[ix]] > EPS_T ? sol.x[md.ycol[ix]] : 0;
    lode_lp_solution_free(&sol);
    rmodel_free(&md);

    size_t nd = 0;
    for (size_t i = 0; i < r.nx; i++)
        nd += xval[i] > 0;
    out->deliveries = alloc_n(a, nd, sizeof *out->deliveries);
    out->burden = alloc_n(a, na, sizeof *out->burden);
    double *delivered = alloc_n(a, r.ncell, sizeof *delivered);
    if (!out->deliveries || !out->burden || !delivered)
        return OOM(err);
    nd = 0;
    for (size_t i = 0; i < r.nx; i++) {
        if (!(xval[i] > 0))
            continue;
        const xcol *x = &r.x[i];
        lode_delivery *d = &out->deliveries[nd++];
        d->from = (int)x->a; /* positions for sorting; mapped below */
        d->to = (int)x->b;
        d->material = (int)x->k;
        d->week = x->t;
        d->arrive_wk = x->arr;
        d->surplus = x->sur;
        d->tonnes = xval[i];
        delivered[x->b * nk + x->k] += xval[i];
        if (x->sur)
            out->redirected_t += xval[i];
        else
            out->released_t += xval[i];
        if (x->a != x->b)
            out->shipping_t_wk += xval[i] * p->lead_wk[x->a * na + x->b];
        lode_burden_share *bs = &out->burden[x->a];
        if (x->a == x->b) {
            bs->own_release_t += xval[i];
        } else {
            bs->contrib_t += xval[i];
            bs->contrib_usd += xval[i] * (p->value_usd_t ? p->value_usd_t[x->k] : 0);
            out->burden[x->b].received_t += xval[i];
        }
    }
    out->n_deliveries = nd;
    qsort(out->deliveries, nd, sizeof *out->deliveries, delivery_cmp);
    for (size_t i = 0; i < nd; i++) {
        lode_delivery *d = &out->deliveries[i];
        d->from = p->ally[d->from];
        d->to = p->ally[d->to];
        d->material = p->material[d->material];
    }
    double total = 0;
    for (size_t i = 0; i < na; i++)
        total += out->burden[i].contrib_usd;
    double tol = o->burden_tol;
    for (size_t i = 0; i < na; i++) {
        lode_burden_share *bs = &out->burden[i];
        bs->country = p->ally[i];
        bs->key = p->key ? p->key[i] : 1.0 / (double)na;
        bs->lo = bs->key * (1 - tol);
        bs->hi = bs->key * (1 + tol);
        if (bs->lo < 0)
            bs->lo = 0;
        bs->share = total > 0 ? bs->contrib_usd / total : 0;
        double lo = bs->lo * total, hi = bs->hi * total;
        bs->deviation_usd = bs->contrib_usd > hi ? bs->contrib_usd - hi
                            : bs->contrib_usd < lo ? lo - bs->contrib_usd : 0;
        out->burden_dev_usd += bs->deviation_usd;
    }
    out->n_burden = na;

    /* Cells with demand unserved before. */
    size_t nce = 0;
    double *before = alloc_n(a, r.ncell, sizeof *before);
    if (!before)
        return OOM(err);
    for (size_t c = 0; c < r.ncell; c++) {
        for (size_t s = 0; s < NSEC; s++)
            for (size_t t = 0; t < W; t++)
                before[c] += p->need_t[need_ix(&r, c, s, t)];
        nce += before[c] > EPS_T;
    }
    out->cells = alloc_n(a, nce, sizeof *out->cells);
    if (!out->cells)
        return OOM(err);
    nce = 0;
    for (size_t c = 0; c < r.ncell; c++) {
        out->unserved_before_t += before[c];
        if (!(before[c] > EPS_T))
            continue;
        lode_respond_cell *x = &out->cells[nce++];
        x->country = p->ally[c / nk];
        x->material = p->material[c % nk];
        x->before_t = before[c];
        x->delivered_t = delivered[c];
        x->plan_t = before[c] - delivered[c] > 0 ? before[c] - delivered[c] : 0;
        x->after_t = x->plan_t;
        out->unserved_plan_t += x->plan_t;
    }
    out->n_cells = nce;
    out->unserved_after_t = out->unserved_plan_t;
    return LODE_OK;
}

/* ---- the data: a simulation without a response ------------------------------------------- */

/* The no-response run over the whole horizon, as re-simulation needs it. */
typedef struct rctx {
    sim_net net;
    int W;
    double *price;       /* [nm * W] price index in effect */
    double *shist;       /* [nm * W] global shortfall share of each week */
    double *cell;        /* [nn] unserved final demand over the horizon (0: unaffected) */
} rctx;

static lode_status no_response(const lode_model *m, const lode_scenario *s, int W, uint64_t seed,
                               lode_arena *a, rctx *z, lode_err *err)
{
    memset(z, 0, sizeof *z);
    LODE_TRY(sim_net_build(m, a, &z->net, err));
    const sim_net *net = &z->net;
    size_t nm = (size_t)net->nm, Wz = (size_t)W;
    sim_plan pl;
    sim_work w;
    sim_runout ro;
    LODE_TRY(sim_plan_build(net, s, W, 0, a, &pl, err));
    LODE_TRY(sim_work_new(net, W, pl.np, pl.n_pm, pl.n_draws, a, &w, err));
    LODE_TRY(sim_runout_new(net, W, a, &ro, err));
    z->price = alloc_n(a, nm * Wz, sizeof *z->price);
    z->shist = alloc_n(a, nm * Wz, sizeof *z->shist);
    z->cell = alloc_n(a, net->nn, sizeof *z->cell);
    if (!z->price || !z->shist || !z->cell)
        return OOM(err);
    sim_run_one(&pl, &w, &ro, 0, seed, 1);
    memcpy(z->price, ro.price, nm * Wz * sizeof *z->price);
    memcpy(z->shist, w.shist, nm * Wz * sizeof *z->shist);
    for (size_t n = 0; n < net->nn; n++)
        z->cell[n] = pl.aff[net->material[n]] ? ro.cell[n] : 0;
    z->W = W;
    return LODE_OK;
}

lode_status lode_respond_problem_build(const lode_model *m, const lode_scenario *s, int alliance,
                                       const lode_respond_opts *o, lode_arena *a,
                                       lode_respond_problem *p, lode_err *err)
{
    lode_respond_opts def;
    if (o == NULL) {
        lode_respond_opts_default(&def);
        o = &def;
    }
    if (p == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "no problem to fill");
    memset(p, 0, sizeof *p);
    sim_net netv, *z_net = &netv;
    if (m == NULL || !m->frozen || s == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing model or scenario");
    if (alliance < 0 || (size_t)alliance >= m->n_alliances)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "alliance", "no such alliance");
    int W = o->weeks > 0 ? o->weeks : s->weeks;
    if (W < 1 || o->weeks < 0 || W > 520)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weeks", "the horizon must be 1 to 520 weeks, "
                         "got %d", W);
    const lode_alliance *al = &m->alliances[alliance];
    size_t nc = m->n_countries, nm = m->n_materials, Wz = (size_t)W;

    /* Allies: the members that are countries, in id order. */
    unsigned char *is_ally = alloc_n(a, nc, 1);
    int *ally = alloc_n(a, al->n_members, sizeof *ally);
    if (!is_ally || !ally)
        return OOM(err);
    for (size_t i = 0; i < al->n_members; i++) {
        int c = al->members[i];
        if (c >= 0 && lode_country_is_real(m, c))
            is_ally[c] = 1;
    }
    size_t na = 0;
    for (size_t i = 0; i < nc; i++) {
        int c = m->country_order[i];
        if (is_ally[c])
            ally[na++] = c;
    }
    if (na == 0)
        return LODE_FAIL(err, LODE_EINPUT, "", 0, "alliance", "alliance '%s' has no member "
                         "country in the model", al->id);

    /* The no-response runs: one per horizon 1..W (the simulation is causal, so the sums over
     * the first t weeks of a t-week run are those of the full run; differences give weeks). */
    LODE_TRY(sim_net_build(m, a, z_net, err));
    const sim_net *net = z_net;
    sim_plan plW;
    LODE_TRY(sim_plan_build(net, s, W, 0, a, &plW, err));
    sim_work w;
    sim_runout ro;
    LODE_TRY(sim_work_new(net, W, plW.np, plW.n_pm, plW.n_draws, a, &w, err));
    LODE_TRY(sim_runout_new(net, W, a, &ro, err));

    /* Candidate materials: affected, with an ally node. */
    int *mat = alloc_n(a, nm, sizeof *mat);
    if (!mat)
        return OOM(err);
    size_t nk = 0;
    for (size_t i = 0; i < nm; i++) {
        int k = m->material_order[i];
        int any = 0;
        for (size_t j = 0; j < na; j++)
            any |= net->node_of[(size_t)k * nc + (size_t)ally[j]] >= 0;
        if (plW.aff[k] && any)
            mat[nk++] = k;
    }
    size_t ncell = na * nk;
    double *cum = alloc_n(a, (Wz + 1) * ncell * NSEC, sizeof *cum);
    double *stk = alloc_n(a, (Wz + 1) * ncell, sizeof *stk);
    double *exports = alloc_n(a, ncell * Wz, sizeof *exports);
    if (!cum || !stk || !exports)
        return OOM(err);
    for (size_t c = 0; c < ncell; c++) {
        int n = net->node_of[(size_t)mat[c % nk] * nc + (size_t)ally[c / nk]];
        stk[c] = n >= 0 ? net->stock0[n] : 0;
    }
    for (int t = 1; t <= W; t++) {
        lode_arena *ta = NULL;
        sim_plan plt, *pl = &plW;
        if (t < W) {
            ta = lode_arena_new();
            if (ta == NULL)
                return OOM(err);
            lode_status st = sim_plan_build(net, s, t, 0, ta, &plt, err);
            if (st != LODE_OK) {
                lode_arena_free(ta);
                return st;
            }
            pl = &plt;
        }
        sim_run_one(pl, &w, &ro, 0, o->seed, 1);
        size_t tz = (size_t)t;
        for (size_t c = 0; c < ncell; c++) {
            int n = net->node_of[(size_t)mat[c % nk] * nc + (size_t)ally[c / nk]];
            if (n < 0)
                continue;
            for (size_t sc = 0; sc < NSEC; sc++)
                cum[(tz * ncell + c) * NSEC + sc] = ro.sec[(size_t)n * NSEC + sc];
            stk[tz * ncell + c] = w.S[n];
            if (t == W) {
                int e = net->ex_of[n];
                for (size_t u = 0; e >= 0 && u < Wz; u++)
                    exports[c * Wz + u] = ro.exports[(size_t)e * Wz + u];
            }
        }
        lode_arena_free(ta);
    }

    /* Need by class and week; stock left; release limit left; surplus to non-allies. */
    double *need = alloc_n(a, ncell * NSEC * Wz, sizeof *need);
    double *stock = alloc_n(a, ncell, sizeof *stock);
    double *rel = alloc_n(a, ncell * Wz, sizeof *rel);
    double *sur = alloc_n(a, ncell * Wz, sizeof *sur);
    int *lead = alloc_n(a, na * na, sizeof *lead);
    double *val = alloc_n(a, nk, sizeof *val);
    double *key = alloc_n(a, na, sizeof *key);
    if (!need || !stock || !rel || !sur || !lead || !val || !key)
        return OOM(err);
    double relwk = s->params.stock_release_wk;
    for (size_t c = 0; c < ncell; c++) {
        int n = net->node_of[(size_t)mat[c % nk] * nc + (size_t)ally[c / nk]];
        if (n < 0)
            continue;
        for (size_t sc = 0; sc < NSEC; sc++)
            for (size_t t = 0; t < Wz; t++) {
                double d = cum[((t + 1) * ncell + c) * NSEC + sc] - cum[(t * ncell + c) * NSEC + sc];
                need[(c * NSEC + sc) * Wz + t] = d > EPS_T ? d : 0;
            }
        double s0 = net->stock0[n];
        stock[c] = stk[Wz * ncell + c] > EPS_T ? stk[Wz * ncell + c] : 0;
        for (size_t t = 0; t < Wz; t++) {
            double drawn = stk[t * ncell + c] - stk[(t + 1) * ncell + c];
            double cap = relwk > 0 ? s0 / relwk : s0;
            double left = cap - (drawn > 0 ? drawn : 0);
            rel[c * Wz + t] = left > EPS_T ? left : 0;
        }
        /* The share of its baseline exports going outside the alliance. */
        double out_all = 0, out_non = 0;
        for (size_t j = net->out_start[n]; j < net->out_start[n + 1]; j++) {
            size_t f = net->out_flow[j];
            out_all += net->f_b[f];
            if (!is_ally[net->country[net->f_imp[f]]])
                out_non += net->f_b[f];
        }
        double share = out_all > 0 ? out_non / out_all : 0;
        for (size_t t = 0; t < Wz; t++) {
            double v = exports[c * Wz + t] * share;
            sur[c * Wz + t] = v > EPS_T ? v : 0;
        }
    }
    /* Keep the materials some ally is short of. */
    size_t keep = 0;
    for (size_t k = 0; k < nk; k++) {
        double tot = 0;
        for (size_t i = 0; i < na; i++)
            for (size_t x = 0; x < NSEC * Wz; x++)
                tot += need[((i * nk + k) * NSEC) * Wz + x];
        if (tot > EPS_T)
            keep++;
    }
    if (keep < nk) {
        /* Compact every per-cell array to the kept materials. */
        size_t nk2 = 0;
        int *mat2 = alloc_n(a, keep, sizeof *mat2);
        double *need2 = alloc_n(a, na * keep * NSEC * Wz, sizeof *need2);
        double *stock2 = alloc_n(a, na * keep, sizeof *stock2);
        double *rel2 = alloc_n(a, na * keep * Wz, sizeof *rel2);
        double *sur2 = alloc_n(a, na * keep * Wz, sizeof *sur2);
        if (!mat2 || !need2 || !stock2 || !rel2 || !sur2)
            return OOM(err);
        for (size_t k = 0; k < nk; k++) {
            double tot = 0;
            for (size_t i = 0; i < na; i++)
                for (size_t x = 0; x < NSEC * Wz; x++)
                    tot += need[((i * nk + k) * NSEC) * Wz + x];
            if (!(tot > EPS_T))
                continue;
            for (size_t i = 0; i < na; i++) {
                size_t c = i * nk + k, c2 = i * keep + nk2;
                memcpy(&need2[c2 * NSEC * Wz], &need[c * NSEC * Wz], NSEC * Wz * sizeof *need);
                memcpy(&rel2[c2 * Wz], &rel[c * Wz], Wz * sizeof *rel);
                memcpy(&sur2[c2 * Wz], &sur[c * Wz], Wz * sizeof *sur);
                stock2[c2] = stock[c];
            }
            mat2[nk2++] = mat[k];
        }
        mat = mat2;
        need = need2;
        stock = stock2;
        rel = rel2;
        sur = sur2;
        nk = keep;
    }
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < na; j++)
            lead[i * na + j] = lode_lead_weeks(m->countries[ally[i]].iso3,
                                               m->countries[ally[j]].iso3);
    for (size_t k = 0; k < nk; k++)
        val[k] = lode_value_usd_per_t(m, mat[k], NULL);
    int fallback = 0;
    lode_burden_keys(m, al->burden, ally, na, mat, nk, key, &fallback);
    p->key_fallback = fallback;
    p->n_allies = na;
    p->n_materials = nk;
    p->weeks = W;
    p->ally = ally;
    p->material = mat;
    p->need_t = need;
    p->stock_t = stock;
    p->release_t = rel;
    p->surplus_t = sur;
    p->lead_wk = lead;
    p->value_usd_t = val;
    p->key = key;
    return LODE_OK;
}

/* ---- re-simulation ----------------------------------------------------------------------- */

static double overlap(double t, double s, double d)
{
    double lo = t > s ? t : s;
    double hi = t + 1 < s + d ? t + 1 : s + d;
    return hi > lo ? hi - lo : 0;
}

/* The plan as demand relief: each (ally, material, class, week) served by the plan becomes a
 * demand shock cutting that class's demand that week by the served tonnes, estimated against
 * the baseline demand times the scenario's own shocks and the price response of the
 * no-response run. Fills after[cell] with the re-simulated unserved over the horizon. */
static lode_status resimulate(const lode_model *m, const lode_scenario *s,
                              const lode_respond_problem *p, const rctx *z, const double *served,
                              uint64_t seed, lode_arena *a, double *after, double *total,
                              lode_err *err)
{
    const sim_net *net = &z->net;
    size_t na = p->n_allies, nk = p->n_materials, W = (size_t)p->weeks, nc = m->n_countries;
    size_t n_new = 0;
    for (size_t i = 0; i < na * nk * NSEC * W; i++)
        n_new += served[i] > EPS_T;
    lode_scenario *s2 = lode_arena_alloc(a, sizeof *s2);
    if (!s2)
        return OOM(err);
    *s2 = *s;
    s2->demand_shocks = alloc_n(a, s->n_demand_shocks + n_new, sizeof *s2->demand_shocks);
    if (!s2->demand_shocks)
        return OOM(err);
    if (s->n_demand_shocks)
        memcpy(s2->demand_shocks, s->demand_shocks,
               s->n_demand_shocks * sizeof *s->demand_shocks);
    size_t nd = s->n_demand_shocks;
    double eps = s->params.price_elasticity;
    double lagd = s->params.substitution_lag_wk > 1 ? ceil(s->params.substitution_lag_wk) : 1;
    size_t lag = lagd < (double)W + 1 ? (size_t)lagd : W + 1;
    for (size_t c = 0; c < na * nk; c++) {
        int country = p->ally[c / nk], k = p->material[c % nk];
        int n = net->node_of[(size_t)k * nc + (size_t)country];
        for (size_t sc = 0; sc < NSEC && n >= 0; sc++)
            for (size_t t = 0; t < W; t++) {
                double y = served[(c * NSEC + sc) * W + t];
                if (!(y > EPS_T))
                    continue;
                double d = net->dem0[(size_t)n * NSEC + sc];
                for (size_t i = 0; i < s->n_demand_shocks; i++) {
                    const lode_sim_demand_shock *q = &s->demand_shocks[i];
                    if ((q->country < 0 || q->country == country) &&
                        (q->material < 0 || q->material == k) &&
                        (q->sector < 0 || (size_t)q->sector == sc))
                        d *= 1 + lode_dist_mean(&q->change) *
                                     overlap((double)t, lode_dist_mean(&q->start_wk),
                                             lode_dist_mean(&q->duration_wk));
                }
                /* The demand multiplier of the no-response run in week t, as simulate.c
                 * forms it: price^elasticity x (1 - substitution), substitution being the
                 * largest shortfall share `lag` weeks or more ago, capped. */
                double pr = z->price[(size_t)k * W + t], sub = 0;
                for (size_t u = 0; u + lag <= t; u++)
                    if (z->shist[(size_t)k * W + u] > sub)
                        sub = z->shist[(size_t)k * W + u];
                if (sub > s->params.substitution_max)
                    sub = s->params.substitution_max;
                if (sub < 0)
                    sub = 0;
                if ((pr > 0 && pr != 1) || sub > 0)
                    d *= pow(pr, eps) * (1 - sub);
                double cut = d > 0 ? y / d : 1;
                lode_sim_demand_shock *q = &s2->demand_shocks[nd++];
                memset(q, 0, sizeof *q);
                q->country = country;
                q->material = k;
                q->sector = (int)sc;
                q->start_wk.kind = q->duration_wk.kind = q->change.kind = LODE_DIST_FIXED;
                q->start_wk.a = (double)t;
                q->duration_wk.a = 1;
                q->change.a = -(cut < 1 ? cut : 1);
            }
    }
    s2->n_demand_shocks = nd;
    sim_plan pl;
    sim_work w;
    sim_runout ro;
    LODE_TRY(sim_plan_build(net, s2, (int)W, 0, a, &pl, err));
    LODE_TRY(sim_work_new(net, (int)W, pl.np, pl.n_pm, pl.n_draws, a, &w, err));
    LODE_TRY(sim_runout_new(net, (int)W, a, &ro, err));
    sim_run_one(&pl, &w, &ro, 0, seed, 1);
    for (size_t c = 0; c < na * nk; c++) {
        int n = net->node_of[(size_t)p->material[c % nk] * nc + (size_t)p->ally[c / nk]];
        after[c] = n >= 0 && pl.aff[p->material[c % nk]] ? ro.cell[n] : 0;
    }
    /* Every material counts, not only those short before: relief must not move shortage. */
    *total = 0;
    for (size_t k = 0; k < (size_t)net->nm; k++)
        for (size_t i = 0; i < na && pl.aff[k]; i++) {
            int n = net->node_of[k * nc + (size_t)p->ally[i]];
            if (n >= 0)
                *total += ro.cell[n];
        }
    return LODE_OK;
}

lode_status lode_respond_resimulate(const lode_model *m, const lode_scenario *s,
                                   const lode_respond_opts *o, lode_arena *a,
                                   lode_respond_result *r, lode_err *err)
{
    lode_respond_opts def;
    if (o == NULL) {
        lode_respond_opts_default(&def);
        o = &def;
    }
    if (m == NULL || s == NULL || r == NULL || r->problem == NULL || r->served_t == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "nothing to re-simulate");
    const lode_respond_problem *p = r->problem;
    size_t na = p->n_allies, nk = p->n_materials, nc = m->n_countries;
    rctx *z = lode_arena_alloc(a, sizeof *z);
    double *after = alloc_n(a, na * nk, sizeof *after);
    if (!z || !after)
        return OOM(err);
    LODE_TRY(no_response(m, s, p->weeks, o->seed, a, z, err));
    /* Before, as the simulation sums it: every material of every ally. */
    r->unserved_before_t = 0;
    for (size_t k = 0; k < (size_t)z->net.nm; k++)
        for (size_t i = 0; i < na; i++) {
            int n = z->net.node_of[k * nc + (size_t)p->ally[i]];
            if (n >= 0)
                r->unserved_before_t += z->cell[n];
        }
    LODE_TRY(resimulate(m, s, p, z, r->served_t, o->seed, a, after, &r->unserved_after_t, err));
    r->resimulated = 1;
    for (size_t i = 0; i < r->n_cells; i++) {
        lode_respond_cell *x = &r->cells[i];
        for (size_t c = 0; c < na * nk; c++)
            if (p->ally[c / nk] == x->country && p->material[c % nk] == x->material)
                x->after_t = after[c];
    }
    return LODE_OK;
}

lode_status lode_respond_run(const lode_model *m, const lode_scenario *s, int alliance,
                             const lode_respond_opts *o, lode_arena *a,
                             lode_respond_result *out, lode_err *err)
{
    lode_respond_opts def;
    if (o == NULL) {
        lode_respond_opts_default(&def);
        o = &def;
    }
    if (out)
        memset(out, 0, sizeof *out);
    lode_respond_problem *p = lode_arena_alloc(a, sizeof *p);
    if (!p)
        return OOM(err);
    LODE_TRY(lode_respond_problem_build(m, s, alliance, o, a, p, err));
    LODE_TRY(lode_respond_solve(p, o, a, out, err));
    return o->resimulate ? lode_respond_resimulate(m, s, o, a, out, err) : LODE_OK;
}
