/* sim.h: disruption scenarios and the weekly simulation (lode simulate, lode chokepoints).
 *
 * Ownership: a lode_scenario and every result live in the arena the caller passes; they are
 * borrowed until that arena is freed. The model is read through `const lode_model *` and may
 * be shared by any number of threads.
 *
 * Units: tonnes of the material's own unit; time in weeks (week 0 is the first simulated
 * week); shares 0..1; the price index is 1.0 at baseline. */
#ifndef LODE_SIM_H
#define LODE_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"

/* ---- scenarios -------------------------------------------------------------------------- */

typedef enum lode_dist_kind {
    LODE_DIST_FIXED,      /* a */
    LODE_DIST_UNIFORM,    /* uniform on [a, b] */
    LODE_DIST_TRIANGULAR, /* min a, mode b, max c */
    LODE_DIST_PERT        /* beta-PERT: min a, mode b, max c (lambda 4) */
} lode_dist_kind;

/* A scenario number that Monte Carlo may draw: start, duration, severity... */
typedef struct lode_dist {
    lode_dist_kind kind;
    double a, b, c;
} lode_dist;

/* Draw from d given independent uniforms u1, u2 in (0, 1) (PERT needs two for its beta
 * draw; the others use u1). A fixed distribution returns a without using them. */
double lode_dist_draw(const lode_dist *d, double u1, double u2);
/* Mean of d (what a single deterministic run uses). */
double lode_dist_mean(const lode_dist *d);

typedef enum lode_polkind {
    LODE_POL_BAN,     /* exports to targets stop (severity = share blocked) */
    LODE_POL_LICENCE, /* licence regime: approval rate, processing delay, validity */
    LODE_POL_QUOTA,   /* exports capped at (1 - severity) of baseline */
    LODE_POL_TARIFF,  /* no volume effect in the weekly engine; kept for the record */
    LODE_POL_OTHER
} lode_polkind;

/* An export control as the simulation applies it: from the dataset by id, or inline. */
typedef struct lode_sim_policy {
    const char *id;           /* dataset id, or "inline[N]" */
    int country;              /* the exporter imposing it */
    int *materials;           /* n_materials material indexes */
    size_t n_materials;
    lode_polkind kind;
    int *targets;             /* importers hit; n_targets == 0 means every importer */
    size_t n_targets;
    lode_dist start_wk;       /* effective week */
    lode_dist duration_wk;    /* weeks in force (a large number for open-ended) */
    lode_dist severity;       /* share of the covered flows blocked, 0..1 */
    double diverted;          /* share of blocked supply shipped to non-targets instead, 0..1 */
    /* licence regime semantics (LODE_POL_LICENCE) */
    double approval_rate;     /* share of applications approved, 0..1 */
    double delay_wd;          /* processing delay in working days (5 per week) */
    double validity_wk;       /* a licence covers this many weeks of shipments */
    /* buyers' front-loading between announcement and effective date */
    double announce_wk;       /* weeks between announcement and start (0: none) */
    double frontload;         /* extra orders per week in that window, share of baseline */
} lode_sim_policy;

/* Capacity lost at a producer (a country, or one named facility of the capacity table). */
typedef struct lode_sim_outage {
    int country;
    int material;
    const char *facility; /* "" for the whole country */
    lode_dist start_wk, duration_wk;
    lode_dist severity;   /* share of capacity lost, 0..1 */
} lode_sim_outage;

/* A change in final demand: country, material, sector may each be -1 for "all". */
typedef struct lode_sim_demand_shock {
    int country, material, sector;
    lode_dist start_wk, duration_wk;
    lode_dist change; /* relative change of demand, e.g. 0.2 = +20 % (> -1) */
} lode_sim_demand_shock;

/* Behavioural parameters. Every default has a source or a stated assumption in
 * docs/scenarios.md; a scenario may override any of them. */
typedef struct lode_sim_params {
    double inventory_wk;        /* commercial inventory held, weeks of use */
    double price_response;      /* price index rise per unit of global shortfall share */
    double price_elasticity;    /* demand elasticity to price (negative) */
    double substitution_lag_wk; /* weeks before substitution starts */
    double substitution_max;    /* share of demand that substitution can replace */
    double stock_release_wk;    /* national stockpile release rate, weeks to empty */
} lode_sim_params;

typedef struct lode_scenario {
    const char *name, *description, *path;
    int weeks;                  /* horizon */
    lode_sim_policy *policies;
    size_t n_policies;
    lode_sim_outage *outages;
    size_t n_outages;
    lode_sim_demand_shock *demand_shocks;
    size_t n_demand_shocks;
    lode_sim_params params;
} lode_scenario;

/* Defaults of every parameter (docs/scenarios.md gives their sources). */
void lode_sim_params_default(lode_sim_params *p);

/* Parse scenario JSON json[0..len) against model m. Unknown ids, negative or impossible
 * values, bad distribution parameters (e.g. min > mode) and malformed JSON are LODE_EINPUT
 * with err->path = path and err->field = the JSON path at fault ("policies[2].severity.b"). */
lode_status lode_scenario_parse(const lode_model *m, const char *json, size_t len,
                                const char *path, lode_arena *a, lode_scenario *out,
                                lode_err *err);
/* 1 if any start, duration, severity or change of s is drawn from a distribution (so Monte
 * Carlo runs differ), 0 if every one is fixed (one run says everything). */
int lode_scenario_is_random(const lode_scenario *s);
lode_status lode_scenario_load(const lode_model *m, const char *path, lode_arena *a,
                               lode_scenario *out, lode_err *err);

/* ---- simulation ------------------------------------------------------------------------- */

typedef void (*lode_progress_fn)(void *ctx, long done, long total);

struct lode_firmnet; /* lode/firm.h */

typedef struct lode_sim_opts {
    long runs;        /* Monte Carlo runs, >= 1 */
    int weeks;        /* 0: the scenario's horizon */
    uint64_t seed;
    int threads;      /* >= 1 */
    lode_progress_fn progress; /* may be NULL; called from one thread at a time */
    void *progress_ctx;
    /* NULL: the country network (a node per (material, country)). Else the same weekly step
     * runs on this firm network (lode/firm.h; borrowed for the call) and every result is
     * its firms summed by (country, material) (docs/firms.md). */
    const struct lode_firmnet *firms;
} lode_sim_opts;

typedef struct lode_sim_shortfall {
    int country, material;
    double mean_t, p5_t, p50_t, p95_t; /* unserved final demand over the horizon, t */
} lode_sim_shortfall;

typedef struct lode_sim_sector_shortfall {
    int country, material;
    lode_sector sector;
    double mean_t;
} lode_sim_sector_shortfall;

typedef struct lode_sim_week_shortfall {
    int material, week;
    double mean_t, p5_t, p50_t, p95_t; /* unserved in that week, all countries */
} lode_sim_week_shortfall;

typedef struct lode_sim_export {
    int country, material, week;
    double baseline_t, mean_t; /* the exporter's shipments that week */
} lode_sim_export;

typedef struct lode_sim_price {
    int material, week;
    double mean; /* price index, 1.0 = baseline */
} lode_sim_price;

typedef struct lode_sim_exhaustion {
    int country, material;
    double mean_week;   /* week the commercial + national stock first reaches zero */
    double share_runs;  /* share of runs in which it does */
} lode_sim_exhaustion;

typedef struct lode_sim_result {
    long runs;
    int weeks;
    uint64_t seed;
    lode_sim_shortfall *shortfall; /* sorted by country id, material id */
    size_t n_shortfall;
    lode_sim_sector_shortfall *sector_shortfall;
    size_t n_sector_shortfall;
    lode_sim_week_shortfall *week_shortfall;
    size_t n_week_shortfall;
    lode_sim_export *exports;
    size_t n_exports;
    lode_sim_price *prices;
    size_t n_prices;
    lode_sim_exhaustion *exhaustion;
    size_t n_exhaustion;
    double mass_balance_max_error_t; /* over every node, week and run */
    char digest[65];                 /* hex hash of every number the run produced */
    /* Work done, for benchmarks (not in the digest): */
    long node_weeks;         /* node-weeks simulated over all runs (a node is a (material,
                              * country), or a firm with o->firms); nodes of materials no shock
                              * can reach stay at baseline unsimulated */
    long link_weeks;         /* link-weeks of those nodes' outgoing links */
    double traffic_bytes;    /* estimate of the weekly step's memory traffic over all runs:
                              * bytes per node-week and per link-week counted in simulate.c */
    size_t percentile_cells; /* numbers kept per run for exact percentiles (8 bytes each) */
} lode_sim_result;

/* Run the scenario `o->runs` times, run r drawing from its own Philox stream keyed by
 * (seed, r), reduced in run order: the result (and digest) is the same for any thread count.
 * Progress is reported through o->progress. */
lode_status lode_sim_run(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                         lode_arena *a, lode_sim_result *out, lode_err *err);

/* ---- runs in parts (for MPI) -------------------------------------------------------------
 *
 * A caller that spreads the runs over processes calls lode_sim_rows for its runs [r0, r1) of
 * o->runs, gathers every part's rows in run order (row r of the whole at rows + r * width),
 * and calls lode_sim_finish once: the result and digest are bit for bit lode_sim_run's with
 * the same m, s and options, for any split and thread counts. A row holds what the run order
 * reduction needs: the per-run percentile cells and the terms of every mean. */

/* Runs r0 .. r1 - 1 (0 <= r0 <= r1 <= o->runs; o->runs is the whole Monte Carlo's count, which
 * decides as in lode_sim_run whether a single run uses the means). *rows ((r1 - r0) * *width
 * doubles, in run order) lives in a; *width is the same for every part of one (m, s, o).
 * o->progress counts this part's runs. LODE_EUSAGE for a bad range or options, LODE_EIO when
 * out of memory, and lode_sim_run's input errors. */
lode_status lode_sim_rows(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                          long r0, long r1, lode_arena *a, double **rows, size_t *width,
                          lode_err *err);

/* The result of the whole Monte Carlo from rows [o->runs * width] (every run's row, in run
 * order); LODE_EUSAGE if width is not the one lode_sim_rows gives. */
lode_status lode_sim_finish(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                            const double *rows, size_t width, lode_arena *a,
                            lode_sim_result *out, lode_err *err);

/* The same, a part at a time, so the caller need not hold every row: lode_sim_acc_new
 * prepares an accumulator in a (and gives the row width); lode_sim_acc_add takes the rows of
 * the next n runs in run order (it keeps their percentile cells, sums the rest, and returns
 * how many it took: never past o->runs); lode_sim_acc_finish writes the result once every
 * run's row was added (else LODE_EUSAGE). The accumulator lives until a is freed. */
typedef struct lode_sim_acc lode_sim_acc;
lode_status lode_sim_acc_new(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                             lode_arena *a, lode_sim_acc **acc, size_t *width, lode_err *err);
long lode_sim_acc_add(lode_sim_acc *acc, const double *rows, long n);
lode_status lode_sim_acc_finish(lode_sim_acc *acc, lode_sim_result *out, lode_err *err);

/* ---- chokepoints ------------------------------------------------------------------------ */

typedef struct lode_chokepoint {
    int kind;          /* 0: node (country, material), 1: link (exporter -> importer) */
    int country;       /* node country or link exporter */
    int importer;      /* link importer, -1 for a node */
    int material;
    double allied_shortfall_t; /* shortfall in allied countries over the horizon when lost */
    double total_shortfall_t;  /* in every country */
    double allied_demand_t;    /* allied final demand over the horizon of the materials the
                                * loss can reach (the lost one and all made from it): the
                                * shortfall's denominator, comparable across units */
} lode_chokepoint;

typedef struct lode_chokepoint_opts {
    int weeks;
    const char *alliance; /* whose shortfall ranks the losses; NULL = every country */
    int threads;
    lode_progress_fn progress;
    void *progress_ctx;
} lode_chokepoint_opts;

/* Every producing node and baseline link of m removed in turn for the horizon, ranked by the
 * allied shortfall its loss causes; *out (n of them) lives in a. Returns LODE_OK; LODE_EINPUT
 * for an unknown alliance; LODE_EIO when out of memory. */
lode_status lode_chokepoints_run(const lode_model *m, const lode_chokepoint_opts *o,
                                 lode_arena *a, lode_chokepoint **out, size_t *n,
                                 lode_err *err);

#endif
