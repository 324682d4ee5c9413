/* invest.h: project portfolios (lode invest). Which of the dataset's candidate projects (mines,
 * refineries, metal and magnet plants) to finance within a budget so that the expected allied
 * shortfall under a set of disruption scenarios falls the most, with each project's benefit
 * measured by the weekly simulation, and what faster permitting buys. The choice is a
 * mixed-integer program solved by COIN-OR CBC (through src/engines/lp.h).
 *
 * Ownership: every result lives in the arena the caller passes and is borrowed until that
 * arena is freed; inputs are only read. The engines are pure: no I/O, clock or printing (the
 * caller may pass a clock to time the solver, and a progress callback).
 *
 * Units: tonnes of each material's own unit (materials[].unit) summed over materials; USD;
 * months; shares 0..1. */
#ifndef LODE_INVEST_H
#define LODE_INVEST_H

#include <stddef.h>
#include <stdint.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"

/* Seconds from any fixed origin (e.g. CLOCK_MONOTONIC), supplied by the caller. */
typedef double (*lode_clock_fn)(void *ctx);

/* How a solve ended. */
typedef enum lode_plan_status {
    LODE_PLAN_OPTIMAL,    /* proven optimal */
    LODE_PLAN_INFEASIBLE, /* no portfolio meets every constraint (see blocking) */
    LODE_PLAN_LIMIT,      /* time limit: the best portfolio found, not proven optimal */
    LODE_PLAN_ERROR       /* the solver failed */
} lode_plan_status;

const char *lode_plan_status_name(lode_plan_status s);

/* ---- the portfolio MILP on plain arrays ------------------------------------------------- *
 *
 *   maximise   sum_g weight[g] z_g, then (a second solve) minimise sum_i capex[i] x_i
 *              among the portfolios that remove that much (to a relative 1e-7)
 *   subject to z_g <= sum_i benefit[i][g] x_i,  z_g <= cap[g]         for each group g
 *              sum_i capex[i] x_i <= budget                            (budget)
 *              x_i = 0 where !financeable[i]                           (financing window)
 *              x_i <= sum_{j in src(d)} x_j + have[d]                  for each need d of i
 *              x_i = 1 where required[i]                               (required)
 *              x_i in {0, 1}
 *
 * Groups are scenarios: z_g is the shortfall the portfolio removes in scenario g, which can
 * exceed neither the sum of its items' benefits nor what there is to remove (cap). */

typedef enum lode_portfolio_family {
    LODE_PF_BUDGET = 1,
    LODE_PF_WINDOW = 2,
    LODE_PF_NEEDS = 4,
    LODE_PF_REQUIRED = 8,
    LODE_PF_CAP = 16
} lode_portfolio_family;

/* A constraint family's name ("budget", "financing window", "stage dependency", "required",
 * "shortfall cap"). */
const char *lode_portfolio_family_name(lode_portfolio_family f);

typedef struct lode_portfolio {
    size_t n_items;
    const double *capex_usd;          /* [n_items], >= 0 */
    const unsigned char *financeable; /* [n_items], or NULL: every item can be financed */
    const unsigned char *required;    /* [n_items], or NULL: none is */
    size_t n_groups;                  /* >= 1 */
    const double *weight;             /* [n_groups], >= 0 */
    const double *benefit_t;          /* [n_items * n_groups]: item i in group g at i*n_groups+g */
    const double *cap_t;              /* [n_groups], or NULL: no cap */
    /* Needs: item need_item[d] counts only if an item of src[src_start[d] .. src_start[d+1])
     * is chosen too, or need_have[d] is set (the input is already at hand). */
    size_t n_needs;
    const size_t *need_item;          /* [n_needs] */
    const unsigned char *need_have;   /* [n_needs] */
    const size_t *src_start;          /* [n_needs + 1] */
    const size_t *src;                /* [src_start[n_needs]] item indexes */
    double budget_usd;                /* >= 0 */
} lode_portfolio;

typedef struct lode_portfolio_opts {
    double time_limit_s; /* 0: none */
    int reference;       /* also solve the LP relaxation and, if built in, the MILP by GLPK */
    lode_clock_fn clock; /* may be NULL: then every *_s is 0 */
    void *clock_ctx;
} lode_portfolio_opts;

typedef struct lode_portfolio_result {
    lode_plan_status status;
    unsigned char *chosen;   /* [n_items] 0/1 (all 0 unless OPTIMAL or LIMIT) */
    double removed_t;        /* sum_g weight[g] z_g */
    double *removed_group_t; /* [n_groups] z_g */
    double capex_usd;        /* of the chosen items */
    long nodes, iterations;  /* CBC branch-and-bound nodes, simplex iterations (both solves) */
    double solve_s;          /* CBC wall time (both solves) */
    size_t n_cols, n_rows, n_nonzeros;
    /* reference runs (opts.reference) */
    int have_relax;
    double relax_t, relax_s;   /* LP relaxation (CBC on the relaxed model): its bound and time */
    int have_glpk;
    double glpk_t, glpk_s;     /* the same MILP solved by GLPK */
    long glpk_nodes;
    unsigned blocking; /* INFEASIBLE: families (lode_portfolio_family bits) whose removal alone
                        * makes the problem feasible; 0 if no single family does */
} lode_portfolio_result;

/* Solve portfolio p. Returns LODE_OK when the solver ran (see out->status; INFEASIBLE sets
 * out->blocking), LODE_EUSAGE for bad arrays (a NULL array that is needed, a negative capex,
 * budget or weight, an index out of range) or when CBC was not built in, LODE_EIO when out of
 * memory. */
lode_status lode_portfolio_solve(const lode_portfolio *p, const lode_portfolio_opts *o,
                                 lode_arena *a, lode_portfolio_result *out, lode_err *err);

/* ---- lode invest: candidates, benefits by simulation, the plans ------------------------- */

/* Why a project of the dataset is or is not a decision of its own. */
typedef enum lode_invest_role {
    LODE_INV_CANDIDATE,   /* a decision unit (possibly with bundled projects) */
    LODE_INV_BUNDLED,     /* decided together with another project whose capex covers it */
    LODE_INV_OPERATING,   /* already operating: nothing to finance */
    LODE_INV_NO_CAPEX,    /* no capital cost in the data: cannot enter a budget */
    LODE_INV_NO_CAPACITY  /* no capacity in the data: no benefit can be measured */
} lode_invest_role;

const char *lode_invest_role_name(lode_invest_role r);

typedef struct lode_invest_project {
    int project;              /* index in m->projects */
    lode_invest_role role;
    int unit;                 /* index in result units, -1 unless CANDIDATE or BUNDLED */
    int bundled_with;         /* BUNDLED: the lead project's index, else -1 */
    const char *status_class; /* operating, commissioning, construction, permitted, financed,
                               * development, uncertain (from the stage and status text) */
    double p_success;         /* probability the project delivers, 0..1 */
    const char *p_basis;      /* where p_success comes from */
    double permit_m;          /* permitting months still ahead (before any cut) */
    const char *permit_basis;
    double build_m;           /* construction and ramp-up months after permits */
    const char *build_basis;
} lode_invest_project;

/* A consumed input every grade of a unit's material needs (e.g. NdPr metal for magnets). */
typedef struct lode_invest_need {
    int material;        /* the input */
    int have;            /* an alliance member produces it in the baseline */
    size_t n_sources;    /* candidate units that make it */
} lode_invest_need;

typedef struct lode_invest_unit {
    int lead;                   /* project index */
    const int *members;         /* project indexes, lead first */
    size_t n_members;
    double capex_usd;
    double permit_m, build_m;   /* the members' largest */
    double *removed_full_t;     /* [n_scenarios] allied shortfall removed in each scenario with
                                 * the unit online through the whole scenario, at expected
                                 * capacity (capacity x p_success), simulated */
    double removed_full_mean_t; /* weighted over the scenarios */
    lode_invest_need *needs;
    size_t n_needs;
} lode_invest_unit;

/* The portfolio question answered once for one permitting speed. */
typedef struct lode_invest_plan {
    double permit_cut;           /* share of permitting months cut: 0, 0.25, 0.5 ... */
    lode_plan_status status;
    unsigned char *chosen;       /* [n_units] */
    unsigned char *financeable;  /* [n_units]: permitting left <= the window */
    double *online_m;            /* [n_units] months from the decision to output */
    double *coverage;            /* [n_units] share of the planning horizon online, 0..1 */
    double removed_t;            /* expected allied shortfall removed per disruption, t */
    double *removed_scenario_t;  /* [n_scenarios] */
    double capex_usd;
    double t_per_musd;           /* removed_t per million USD of capex, 0 if none spent */
    lode_portfolio_result milp;  /* nodes, time, reference runs */
} lode_invest_plan;

/* Concentration of one material's production before and after the chosen capacities are added
 * (HHI as lode_risk_run defines it: shares in percent, squared, ROW left out). */
typedef struct lode_invest_hhi {
    int material;
    lode_stage stage;
    double added_t;               /* nameplate capacity added, t/yr */
    double world_before_t, world_after_t;
    double hhi_before, hhi_after;
    int top1_before, top1_after;  /* country index, -1 if none */
    double top1_share_before, top1_share_after;
} lode_invest_hhi;

typedef struct lode_invest_opts {
    double budget_usd;          /* > 0 */
    double window_m;            /* financing window: projects whose permitting left is at most
                                 * this many months can be financed (6: US-Japan framework) */
    int alliance;               /* index in m->alliances: whose shortfall counts */
    const lode_scenario *scenarios; /* [n_scenarios] */
    size_t n_scenarios;
    const double *weights;      /* [n_scenarios] or NULL: equally likely */
    double horizon_yr;          /* planning horizon over which a disruption may start (10) */
    int as_of_year;             /* decisions are taken on 1 January of this year */
    const double *permit_cuts;  /* [n_cuts] or NULL: {0, 0.25, 0.5}; the first is the base */
    size_t n_cuts;
    const int *required;        /* [n_required] project indexes that must be chosen */
    size_t n_required;
    long runs;                  /* Monte Carlo runs per simulation of a random scenario */
    uint64_t seed;
    int threads;
    double time_limit_s;        /* per MILP, 0: none */
    int reference;              /* also solve LP relaxation / GLPK (see lode_portfolio_opts) */
    lode_progress_fn progress;  /* simulations done of total; may be NULL */
    void *progress_ctx;
    lode_clock_fn clock;        /* may be NULL */
    void *clock_ctx;
} lode_invest_opts;

typedef struct lode_invest_result {
    lode_invest_project *projects; /* [n_projects] every project of the dataset, in file order */
    size_t n_projects;
    size_t n_candidates, n_bundled, n_operating, n_no_capex, n_no_capacity;
    lode_invest_unit *units;       /* sorted by lead project id */
    size_t n_units;
    size_t n_scenarios;
    double *weights;               /* [n_scenarios] normalised to sum 1 */
    double *base_allied_t;         /* [n_scenarios] allied shortfall with no project, t */
    double base_mean_t;
    lode_invest_plan *plans;       /* [n_plans], one per permit cut; plans[0] the base */
    size_t n_plans;
    double *joint_t;               /* [n_scenarios] shortfall removed by plans[0]'s units
                                    * simulated together (online all through, expected
                                    * capacity); compare with the sum of their removed_full_t */
    double joint_mean_t, joint_sum_mean_t;
    lode_invest_hhi *hhi;          /* materials of plans[0]'s units, by stage then id */
    size_t n_hhi;
    long n_sims;                   /* simulations run (each of `runs` or 1 run) */
} lode_invest_result;

/* Set the defaults: window 6 months, horizon 10 years, as of 2026, cuts {0, .25, .5}, 200
 * runs, seed 1, one thread. budget_usd, alliance and scenarios are the caller's. */
void lode_invest_opts_default(lode_invest_opts *o);

/* Choose the portfolio (and re-choose it with permitting cut by each o->permit_cuts), and
 * report the HHI after it. Returns LODE_OK; LODE_ENOSOLN if the base plan is infeasible (only
 * possible with o->required: err->msg names why) or the solver failed; LODE_EUSAGE for bad
 * options (budget <= 0, no scenario, an unknown alliance, a required project that is not a
 * candidate) or a build without CBC; LODE_EINPUT from the simulation; LODE_EIO out of memory. */
lode_status lode_invest_run(const lode_model *m, const lode_invest_opts *o, lode_arena *a,
                            lode_invest_result *out, lode_err *err);

#endif
