/* plan.h: coordinated emergency deliveries (lode respond) and stockpile targets alone and pooled
 * (lode stockpile) for an alliance: linear programs over the allies, built from the weekly
 * simulation (sim.h) and solved through the project's one solver door (COIN-OR CLP, or GLPK as
 * the independent reference). docs/respond.md gives the formulations and every assumption.
 *
 * Ownership: results live in the arena the caller passes and are borrowed until that arena is
 * freed; the model is read through `const lode_model *`. A problem struct (lode_respond_problem,
 * lode_pool_problem) only points at arrays its builder owns; solving reads it and never keeps
 * it. Engines here are pure: no I/O, clock, globals or printing.
 *
 * Units: tonnes of each material's own unit (materials[].unit); weeks, week 0 being the first
 * simulated week; money in US dollars at the dataset's latest prices; shares 0..1. Arrays say
 * their length in brackets; `country` and `material` fields are model indexes. */
#ifndef LODE_PLAN_H
#define LODE_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"

/* ---- shared rules ------------------------------------------------------------------------ */

typedef enum lode_solver { LODE_SOLVER_CLP, LODE_SOLVER_GLPK } lode_solver;

const char *lode_solver_name(lode_solver s);
/* "clp" or "glpk" to *out; -1 if unknown. */
int lode_solver_parse(const char *name, lode_solver *out);

/* Weight of a tonne left unserved in a priority class (docs/respond.md): defence 1000,
 * infrastructure 300, health 100, energy transition 10, consumer 2, unallocated 1. */
double lode_priority_weight(lode_sector s);

/* Shipping region of a country ("NAM", "EUR", "EAS", "SEA", "SAS", "OCE", "LAM", "MEA", "AFR",
 * "CAS"; "OTH" if unlisted) and the stated lead time in whole weeks from release or shipment in
 * one country to arrival in another: 0 within a country, 1 within a region, else a table of
 * sea transit plus a week of handling (docs/respond.md). */
const char *lode_region_of(const char *iso3);
int lode_lead_weeks(const char *from_iso3, const char *to_iso3);

/* Value of one tonne of material k in USD: the mean of the dataset's prices on their latest
 * date, converted from the price's unit (USD/t, USD/kg, USD/lb, USD/mtu WO3, AUD/kg at a stated
 * rate); for a material without a price, the value of its consumed recipe inputs per tonne, or
 * else the value of the product it is consumed in divided by t input per t. *basis (may be
 * NULL) gets a short static description of which rule applied ("price", "inputs", "product",
 * or "none"). Returns 0 when nothing gives a value. */
double lode_value_usd_per_t(const lode_model *m, int k, const char **basis);

/* Burden keys of the allies (countries[0..n)) by the alliance's rule, summing to 1:
 * consumption: each ally's baseline use (final + intermediate, t/yr) of materials[0..nk)
 * valued at lode_value_usd_per_t; gdp: the latest economy.csv value of the indicator
 * (manufacturing value added, NV.IND.MANF.CD) per ally; equal: 1/n. An ally with no figure gets
 * 0; when every key is 0 the keys fall back to equal shares (*fallback set to 1, may be NULL). */
void lode_burden_keys(const lode_model *m, lode_burden rule, const int *countries, size_t n,
                      const int *materials, size_t nk, double *key, int *fallback);

/* ---- respond: coordinated emergency deliveries ------------------------------------------- */

/* Constraint families of the response LP; exit 3 names the one at fault. */
typedef enum lode_rfam {
    LODE_RF_BALANCE, /* what arrives at an ally in a week = the demand it serves there */
    LODE_RF_STOCK,   /* a holder releases at most its releasable stock over the horizon */
    LODE_RF_RELEASE, /* ... and at most its release limit in any week */
    LODE_RF_SURPLUS, /* an ally redirects at most its surplus of the week */
    LODE_RF_CONTRIB, /* definitions: each ally's contribution and the alliance total */
    LODE_RF_BURDEN,  /* each contribution within its burden share's tolerance band */
    LODE_RF_REQUIRE, /* demand of the protected priority classes fully served */
    LODE_RF_LEXICO,  /* an earlier stage's optimum held while the next one is optimised */
    LODE_RF_N
} lode_rfam;

const char *lode_rfam_name(lode_rfam f);

/* The response LP's data: who needs what when, and what each ally can give. Index helpers:
 * cell (a, k) = a * n_materials + k; need_t[((cell) * LODE_SEC_N + s) * weeks + t];
 * release_t and surplus_t[(cell) * weeks + t]; lead_wk[a * n_allies + b]. */
typedef struct lode_respond_problem {
    size_t n_allies, n_materials;
    int weeks;
    const int *ally;           /* [n_allies] country index of each ally (sorted by id) */
    const int *material;       /* [n_materials] material index (sorted by id) */
    const double *need_t;      /* unserved final demand without a response, by class and week */
    const double *stock_t;     /* [cells] stock the holder may release over the horizon */
    const double *release_t;   /* [cells * weeks] release limit in each week; NULL: no limit */
    const double *surplus_t;   /* [cells * weeks] tonnes the ally may redirect to allies in each
                                * week (shipments to non-allies); NULL: none */
    const int *lead_wk;        /* [n_allies^2] weeks from release/shipment to arrival, >= 0 */
    const double *value_usd_t; /* [n_materials] value of a tonne, for burden sharing */
    const double *key;         /* [n_allies] burden shares by the alliance's rule, sum 1 */
    int key_fallback;          /* 1 if no ally had a figure for the rule: equal shares */
} lode_respond_problem;

typedef struct lode_respond_opts {
    lode_solver solver;
    double burden_tol;    /* each share may lie in key * [1 - tol, 1 + tol]; default 0.10 */
    int burden_hard;      /* 1: that band is a hard constraint; 0 (default): soft, deviations
                           * minimised once unserved demand is (lexicographic) */
    int require_priority; /* 0 (default): none; p in 1..6: demand of every class of priority <= p
                           * must be fully served (hard; may make the model infeasible) */
    int weeks;            /* lode_respond_run: horizon, 0 = the scenario's */
    uint64_t seed;        /* lode_respond_run: seed of the simulation (a single mean run) */
    int resimulate;       /* lode_respond_run: 1 (default) re-simulate the plan */
} lode_respond_opts;

void lode_respond_opts_default(lode_respond_opts *o);

typedef struct lode_delivery {
    int from, to;    /* country indexes; from == to is a holder releasing to its own users */
    int material;
    int week;        /* week released or shipped */
    int arrive_wk;   /* week + lead */
    int surplus;     /* 0: from the holder's stockpile, 1: redirected surplus */
    double tonnes;
} lode_delivery;

typedef struct lode_burden_share {
    int country;
    double key;            /* share by the alliance's rule */
    double lo, hi;         /* the tolerance band around it */
    double share;          /* share of the alliance's contributions in the plan (0 if none) */
    double contrib_usd;    /* value of what it sends to other allies */
    double contrib_t;      /* tonnes it sends to other allies */
    double own_release_t;  /* tonnes it releases to its own users (not a contribution) */
    double received_t;     /* tonnes other allies send it */
    double deviation_usd;  /* contribution outside the band (0 when inside) */
} lode_burden_share;

typedef struct lode_respond_cell {
    int country, material;
    double before_t;    /* unserved over the horizon without a response */
    double delivered_t; /* what the plan delivers to it */
    double plan_t;      /* before - delivered: the LP's account */
    double after_t;     /* re-simulated with the plan (= plan_t if not re-simulated) */
} lode_respond_cell;

typedef struct lode_respond_result {
    int weeks;
    const lode_respond_problem *problem; /* the data solved (lode_respond_run) */
    double unserved_before_t; /* allies, every material, over the horizon, no response */
    double unserved_plan_t;   /* before less what the plan delivers */
    double unserved_after_t;  /* the plan re-simulated by the simulation engine */
    int resimulated;          /* 1 if unserved_after_t comes from the simulation */
    double weighted_before;   /* priority-weighted unserved, no response */
    double weighted_after;    /* the LP's first objective: priority-weighted unserved */
    double burden_dev_usd;    /* second objective: contributions outside the bands, USD */
    double shipping_t_wk;     /* third objective: tonne-weeks shipped between allies */
    double released_t, redirected_t; /* tonnes from stockpiles, from surpluses */
    lode_delivery *deliveries; /* sorted by from, to, material (ids), then week */
    size_t n_deliveries;
    lode_burden_share *burden; /* one per ally, in the problem's order */
    size_t n_burden;
    lode_respond_cell *cells;  /* every (ally, material) with demand unserved before */
    size_t n_cells;
    const double *served_t;    /* indexed as problem->need_t: demand the plan serves */
    size_t rows, cols, nonzeros; /* the first stage's model */
    const char *solver;
    long iterations;          /* simplex iterations, every stage */
    int stages;               /* lexicographic stages solved and kept: 1 to 3 (2 with the
                               * burden band hard or absent) */
} lode_respond_result;

/* Solve the response LP p (docs/respond.md, "formulation"): minimise priority-weighted unserved
 * demand; then (soft burden) the contributions outside their bands; then tonne-weeks shipped,
 * each stage holding the earlier optima. LODE_ENOSOLN when the model is infeasible or
 * unbounded, with err->field the family at fault (lode_rfam_name: the family without which the
 * model solves) or when the solver fails; LODE_EUSAGE for a backend not built in or bad sizes;
 * LODE_EIO when out of memory. Fills out->deliveries, burden, cells (after_t = plan_t) and the
 * objectives; out->problem is p. */
lode_status lode_respond_solve(const lode_respond_problem *p, const lode_respond_opts *o,
                               lode_arena *a, lode_respond_result *out, lode_err *err);

/* Build the response problem of alliance `alliance` (model index) under scenario s: a single
 * simulation at the distributions' means without a response gives each ally's weekly unserved
 * final demand by class, stockpile left unused and release limit left, and surplus shipped to
 * non-allies (docs/respond.md, "data"). LODE_EUSAGE for a bad alliance or horizon. */
lode_status lode_respond_problem_build(const lode_model *m, const lode_scenario *s, int alliance,
                                       const lode_respond_opts *o, lode_arena *a,
                                       lode_respond_problem *out, lode_err *err);

/* Re-simulate the plan in r (from lode_respond_solve on a problem built for m and s): each
 * tonne the plan serves becomes relief of the recipient's demand in that class and week, the
 * simulation runs again, and r->unserved_after_t and cells[].after_t get the allies' unserved
 * demand; r->unserved_before_t becomes the simulation's own sum without a response, over
 * every material. Sets r->resimulated. */
lode_status lode_respond_resimulate(const lode_model *m, const lode_scenario *s,
                                   const lode_respond_opts *o, lode_arena *a,
                                   lode_respond_result *r, lode_err *err);

/* lode respond: build, solve and (if o->resimulate) re-simulate. Errors as the three above. */
lode_status lode_respond_run(const lode_model *m, const lode_scenario *s, int alliance,
                             const lode_respond_opts *o, lode_arena *a,
                             lode_respond_result *out, lode_err *err);

/* ---- stockpile: targets alone and pooled ------------------------------------------------- */

/* One material's pooling problem: the need of each ally in each Monte Carlo draw and the share
 * of it that shipments from each other ally can still reach in time. */
typedef struct lode_pool_problem {
    size_t n_allies, n_draws;
    const double *need_t; /* [r * n_allies + b] shortfall over the horizon of ally b, draw r */
    const double *late;   /* [(r * n_allies + a) * n_allies + b]: share of b's need in draw r
                           * that arrives late enough for a's stock to meet (a == b: 1) */
} lode_pool_problem;

typedef struct lode_pool_result {
    double *lone_t;       /* [n_allies] the confidence-quantile of each ally's need */
    double *pooled_t;     /* [n_allies] stock held by each ally when pooling */
    double lone_total_t, pooled_total_t;
    size_t draws_covered; /* draws in which every ally's need is within its lone stock */
    size_t draws_binding; /* of those, not dominated by another: the LP's scenarios */
    size_t rows, cols, nonzeros;
    long iterations;
} lode_pool_result;

/* lone_t[b] = the smallest need covering a `confidence` share of draws (the ceil(P n)-th
 * smallest); pooled: min sum of stocks H such that in every covered draw (each ally's need at
 * most its lone stock) each ally's need is met from its own stock and from others' stocks
 * within the late shares (docs/respond.md, "stockpile"). Pooled never exceeds the sum of lone
 * stocks (the lone stocks are one feasible answer). LODE_ENOSOLN if the solver fails,
 * LODE_EUSAGE for confidence outside (0, 1] or a backend not built in. */
lode_status lode_pool_solve(const lode_pool_problem *p, double confidence, lode_solver solver,
                            lode_arena *a, lode_pool_result *out, lode_err *err);

typedef struct lode_stockpile_opts {
    double confidence;   /* default 0.95 */
    long runs;           /* Monte Carlo runs per scenario (>= 1; 1 = each distribution's mean) */
    uint64_t seed;
    int weeks;           /* 0: each scenario's horizon */
    int threads;         /* >= 1 */
    lode_solver solver;
    lode_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} lode_stockpile_opts;

void lode_stockpile_opts_default(lode_stockpile_opts *o);

typedef struct lode_stock_row {
    int country, material;
    double use_t_yr;      /* baseline use, final + intermediate, t/yr */
    double net_imports_t_yr; /* baseline imports - exports, t/yr (0 if a net exporter) */
    double mean_need_t;   /* mean shortfall over the draws without national stocks */
    double lone_t, pooled_t;
    double lone_days, pooled_days; /* in days of baseline use (0 if no use) */
    double held_t;        /* stock the dataset gives it now (the simulation's reading) */
    int has_target;       /* a stated target in days covers this material */
    double target_days, target_t;
    const char *target_agency;
    double iea90_t;       /* the IEA rule for oil (stockpiles.csv, holder WLD: 90 days) applied
                           * to the ally's net imports; 0 if the dataset has no such row */
} lode_stock_row;

typedef struct lode_stock_material {
    int material;
    double lone_t, pooled_t, saved_t;
    double value_usd_t;   /* lode_value_usd_per_t */
    const char *value_basis;
    double lone_usd, pooled_usd, saved_usd;
    size_t draws_covered, draws_binding;
} lode_stock_material;

typedef struct lode_stockpile_result {
    double confidence;
    double iea_days;      /* days of net imports of the IEA rule found in stockpiles.csv, or 0 */
    long runs;            /* per scenario */
    size_t n_scenarios, n_draws;
    lode_stock_row *rows; /* every (ally, material) with any need, sorted by ally id, material id */
    size_t n_rows;
    lode_stock_material *materials; /* sorted by id */
    size_t n_materials;
    double lone_usd, pooled_usd, saved_usd, lone_t, pooled_t, saved_t;
    size_t rows_lp, cols_lp, nonzeros_lp; /* summed over the materials' LPs */
    const char *solver;
} lode_stockpile_result;

/* lode stockpile: Monte Carlo of each scenario (o->runs draws each, equally likely, with
 * every national stockpile set to zero so the shortfall is what stocks must cover), then per
 * material the lone and pooled stocks (lode_pool_solve) with lead times from lode_lead_weeks
 * applied to the scenario's mean weekly shortfall profile. LODE_EUSAGE for bad options or no
 * scenarios. */
lode_status lode_stockpile_run(const lode_model *m, const lode_scenario *const *scenarios,
                               size_t n_scenarios, int alliance, const lode_stockpile_opts *o,
                               lode_arena *a, lode_stockpile_result *out, lode_err *err);

/* Index of the alliance with id `id`, or -1. */
int lode_alliance_find(const lode_model *m, const char *id);

#endif
