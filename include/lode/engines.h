/* engines.h: the engines that read a frozen model. Each is a pure function of its inputs: no
 * I/O, clock, globals or printing. Results live in the arena the caller passes and are
 * borrowed until that arena is freed; one lode_arena_free ends the run.
 *
 * Units: tonnes per year of the material's own unit (materials[].unit); shares are 0..1;
 * HHI is on the 0..10 000 scale (shares in percent, squared and summed). */
#ifndef LODE_ENGINES_H
#define LODE_ENGINES_H

#include <stddef.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"

/* ---- metrics: lode risk ------------------------------------------------------------------ */

typedef struct lode_risk_opts {
    int material; /* only this material, or -1 for all */
    int stage;    /* only this lode_stage, or -1 for all */
} lode_risk_opts;

/* EU 2023 supply risk of one stage of one EU material, as the EU methodology defines it:
 * SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EUS) * (1 - IR/2)] * (1 - EOL_RIR) * SI_SR,
 * or with global supply only when the EU's basis is "GSonly". */
typedef struct lode_eusr {
    const char *eu_material; /* e.g. "Neodymium" */
    const char *eu_stage;    /* "extraction" or "processing" */
    int computed;            /* 1 if SR was computed: every essential input was found
                              * (`missing` may still name inputs approximated, e.g.
                              * "eu_trade_agreements": t = 1 stands in for 0.8) */
    double sr;               /* the indicator, when computed */
    double hhi_wgi_gs;       /* HHI_WGI,t over global supply (0..10) */
    double hhi_wgi_eus;      /* HHI_WGI,t over EU sourcing (0..10), if used */
    double ir;               /* import reliance 0..1 */
    double eol_rir;          /* 0..1 */
    double si_sr;
    const char *missing;     /* "" or a ";"-list of the inputs the dataset lacks
                              * (docs/risk.md lists the names) */
    const char *basis;       /* "GS+EU" or "GSonly" */
} lode_eusr;

typedef struct lode_risk_row {
    int material;
    lode_stage stage;
    int year;              /* baseline year of the production figures */
    double world_t;        /* t/yr, the total the shares are of */
    double hhi;            /* 0..10 000; ROW (diffuse residual) is left out of the squares */
    int top1_country;      /* -1 if none */
    double top1_share;     /* 0..1 */
    int top3_country[3];   /* -1 where fewer than 3 */
    double top3_share;     /* 0..1, sum of the top three */
    double wgi_hhi;        /* sum of share^2 x scaled WGI (0..10, higher = poorer governance) */
    double wgi_coverage;   /* share of world_t from producers with a WGI score */
    lode_eusr eu;          /* EU supply risk of this material's stage; eu.eu_material NULL if
                            * the EU assesses no material mapped to this one */
    const char *source;    /* the production rows' sources, summarised */
} lode_risk_row;

typedef struct lode_risk_result {
    lode_risk_row *rows; /* sorted by stage, then material id */
    size_t n_rows;
} lode_risk_result;

/* Risk rows of every material with baseline production (filtered by o; o may be NULL for
 * all), in a. Needs a frozen model. Returns LODE_OK; LODE_EUSAGE for an unfrozen model or a
 * filter index out of range; LODE_EIO when out of memory (out is then left empty). */
lode_status lode_risk_run(const lode_model *m, const lode_risk_opts *o, lode_arena *a,
                          lode_risk_result *out, lode_err *err);

/* Scaled WGI used by the EU method: mean of the six estimates mapped from [-2.5, 2.5] to
 * [10, 0] (higher = poorer governance), clamped to [0, 10]. Returns -1 if c is NULL or has
 * no WGI row (wgi_year == 0). */
double lode_wgi_scaled(const lode_country *c);

/* ---- metrics: lode exposure -------------------------------------------------------------- */

typedef struct lode_origin {
    int country;
    double share; /* 0..1; the origins of one list sum to 1 */
} lode_origin;

/* Where the `material` embodied in the country's supply of the row's material was produced. */
typedef struct lode_exposure_stage {
    int material;       /* an upstream material (or the row's own material, depth 0) */
    lode_stage stage;
    int depth;          /* recipe steps from the row's material */
    double t_per_t;     /* t of this input embodied per t of the row's material */
    lode_origin *origins; /* sorted by share descending, then country id */
    size_t n_origins;
} lode_exposure_stage;

typedef struct lode_exposure_row {
    int material;
    double production_t, imports_t, exports_t; /* t/yr, baseline */
    double supply_t;        /* production + imports - exports: apparent consumption */
    double import_reliance; /* (imports - exports) / supply, clamped to [0, 1]; 0 if no supply */
    lode_origin *origins;   /* the country's supply of the material by producing country */
    size_t n_origins;
    lode_exposure_stage *stages; /* stages[0] is the material itself, then upstream ones */
    size_t n_stages;
} lode_exposure_row;

typedef struct lode_exposure_result {
    int country;
    lode_exposure_row *rows; /* materials the country uses, sorted by stage then id */
    size_t n_rows;
} lode_exposure_result;

/* Exposure of `country` (an index of m->countries) for every material it produces or imports
 * in the baseline, in a. Returns LODE_OK; LODE_EUSAGE for an unfrozen model or a country out
 * of range; LODE_EINPUT if the recipes form a cycle (err names the row and the loop);
 * LODE_EIO when out of memory. */
lode_status lode_exposure_run(const lode_model *m, int country, lode_arena *a,
                              lode_exposure_result *out, lode_err *err);

/* Exposure of a group of countries taken as one, such as a region's member states (the EU-27
 * for EUU): production and trade with non-members give import reliance; origins at every
 * stage are the members' own origin shares weighted by each member's supply of the row's
 * material (so flows inside the group keep their producing member as origin). out->country is
 * -1. Returns LODE_OK; LODE_EUSAGE for an unfrozen model or a member out of range; the errors
 * of lode_exposure_run; LODE_EIO when out of memory. */
lode_status lode_exposure_group_run(const lode_model *m, const int *members, size_t n_members,
                                    lode_arena *a, lode_exposure_result *out, lode_err *err);

/* ---- baseline derivation: lode derive ---------------------------------------------------- */

/* RAS (iterative proportional fitting) of a nr x nc matrix x (row-major) so that its row sums
 * equal row_t and column sums equal col_t, starting from seed (x may alias seed). Cells with
 * fixed[i*nc+j] set (fixed may be NULL) keep their seed value; the free cells are scaled.
 * Zero seed cells stay zero. Stops when every row and column sum is within tol (absolute) of
 * its target or after max_iter sweeps; *iters (may be NULL) gets the sweeps used.
 * Returns LODE_ENOSOLN if the targets cannot be met (totals differ by more than tol, or a
 * positive target has no free positive cell), naming the row or column in err: err->field is
 * "row" or "column" and err->line its 1-based index. LODE_EINPUT for a negative or non-finite
 * seed cell or target, LODE_EUSAGE for tol < 0, max_iter < 0 or a missing array. */
lode_status lode_ras(size_t nr, size_t nc, const double *seed, const unsigned char *fixed,
                     const double *row_t, const double *col_t, double tol, int max_iter,
                     double *x, int *iters, lode_err *err);

typedef struct lode_derived_flow {
    int material, exporter, importer, year;
    double tonnes;
    const char *method; /* source text: "derived:ras ..." */
} lode_derived_flow;

typedef struct lode_derived_demand {
    int material, country, year;
    lode_sector sector;
    double tonnes;
    const char *method; /* source text: "derived:..." */
} lode_derived_demand;

typedef struct lode_derive_result {
    lode_derived_flow *flows; /* sorted by material, exporter, importer */
    size_t n_flows;
    lode_derived_demand *demand; /* sorted by material, country, sector */
    size_t n_demand;
    double max_imbalance_t; /* largest |production + imports - use - exports| */
    /* What the method did with its inputs, so nothing is dropped silently: */
    size_t n_materials;            /* materials with production, derived */
    size_t n_shares_used;          /* published share rows held as fixed cells */
    size_t n_shares_no_surplus;    /* share rows dropped: exporter has no net surplus */
    size_t n_shares_unused;        /* share rows dropped: importer (or every member of the
                                    * region) has no net need, or is not a trading country */
    size_t n_exporters_capped;     /* (material, exporter) fixed cells scaled down to surplus */
    size_t n_importers_normalised; /* (material, importer) fixed shares summing above 1 */
    size_t n_consumption_scaled;   /* materials whose published consumption was scaled down to
                                    * fit world final use */
    size_t n_importers_filled;     /* (material, importer) whose shares left a rest no other
                                    * exporter could supply: scaled up to sum to 1 */
    size_t n_ras_released;         /* (material, importer or exporter) whose fixed cells were
                                    * released because RAS found no fit with them even so */
    size_t n_ras_fallback;         /* materials where RAS found no fit even so: the unfixed
                                    * proportional seed was used */
    int ras_iters_max;             /* most RAS sweeps any material took */
} lode_derive_result;

/* Derive the baseline final demand and trade matrix from production, recipes, published
 * consumption, published bilateral trade and the allocation key (docs/baseline.md). Ignores
 * the model's own trade and demand tables. */
lode_status lode_derive_run(const lode_model *m, lode_arena *a, lode_derive_result *out,
                            lode_err *err);

/* ---- validation: lode check -------------------------------------------------------------- */

typedef struct lode_balance_row {
    int material, country;
    double production_t, imports_t, use_t, exports_t; /* use = intermediate + final */
    double error_t;                                   /* production + imports - use - exports */
} lode_balance_row;

typedef struct lode_check_result {
    lode_balance_row *rows; /* every (material, country) with any activity */
    size_t n_rows;
    double max_error_t;
    double tol_rel;       /* tolerance: |error| <= tol_rel x max(production+imports, 1 t) */
    size_t n_violations;  /* rows outside the tolerance */
    size_t n_refs;        /* references checked */
} lode_check_result;

/* Balance rows of every (material, country) with activity, in a, and the count of resolved
 * references. Violations are counted in out, not returned as an error: returns LODE_OK, or
 * LODE_EUSAGE for an unfrozen model or a negative tolerance, LODE_EIO when out of memory. */
lode_status lode_check_run(const lode_model *m, double tol_rel, lode_arena *a,
                           lode_check_result *out, lode_err *err);

/* Free the solvers' per-thread state (GLPK keeps an environment per thread). Call at the end
 * of a thread other than main that ran respond, stockpile or invest; harmless otherwise. */
void lode_engines_thread_done(void);

#endif
