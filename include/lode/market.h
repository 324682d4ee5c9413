/* market.h: markets (lode market). Price series with their sources, converted to USD/kg where
 * the data allows; price against the dataset's production costs (who sells below cost, how
 * often, by how much); the cost to a government of a price floor over the price history and
 * under a simulated scenario's price path; seller and buyer concentration per material; and a
 * list of distortions (below-cost pricing, export-price gaps, policy floors above the market,
 * price jumps at export controls).
 *
 * Ownership: every result lives in the arena the caller passes and is borrowed until that
 * arena is freed. The engine is pure: no I/O, clock or printing.
 *
 * Units: USD/kg (prices and costs, converted as each row's `conversion` says), USD, t/yr of
 * the material's own unit; HHI 0..10 000 (shares in percent, squared, ROW left out). */
#ifndef LODE_MARKET_H
#define LODE_MARKET_H

#include <stddef.h>
#include <stdint.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"

/* Where a price was observed, from its basis text. */
typedef enum lode_price_region {
    LODE_PR_WORLD,          /* an index or average with no stated place (USGS annual) */
    LODE_PR_CHINA_DOMESTIC, /* China domestic, in-warehouse China, Chinese benchmark */
    LODE_PR_CHINA_EXPORT,   /* China export FOB */
    LODE_PR_EUROPE,         /* Rotterdam, Europe */
    LODE_PR_US,             /* New York dealer, US */
    LODE_PR_PRODUCER,       /* a producer's realised price */
    LODE_PR_POLICY          /* a government price floor: not a market price */
} lode_price_region;

const char *lode_price_region_name(lode_price_region r);

/* Price in USD/kg of `value` in `unit` (e.g. "USD/lb", "USD/t", "USD/mtu WO3"), or NAN when
 * the unit cannot be converted with what the dataset holds (AUD: no exchange rate). *how gets
 * the conversion used ("" for USD/kg; may be NULL). */
double lode_usd_per_kg(double value, const char *unit, const char **how);

typedef struct lode_price_obs {
    int row;                 /* index in m->prices */
    int material;
    const char *date;        /* as in the data: YYYY (annual) or YYYY-MM */
    int year, month;         /* month 0 for an annual figure */
    double price;            /* as published */
    const char *unit;
    double usd_per_kg;       /* NAN if not convertible */
    const char *conversion;
    lode_price_region region;
    const char *basis, *source;
} lode_price_obs;

/* One production-cost row against the market prices of its material. */
typedef struct lode_cost_check {
    int cost;                 /* index in m->costs */
    int material;
    double cost_usd_per_kg;   /* NAN if not convertible */
    size_t n_obs;             /* market observations compared (USD/kg, not policy rows) */
    size_t n_below;           /* of them, priced below this cost */
    double max_gap_usd_per_kg;  /* largest cost - price among those below, 0 if none */
    double mean_gap_usd_per_kg; /* mean over those below, 0 if none */
    const char *first_below, *last_below; /* dates, NULL if none */
} lode_cost_check;

typedef struct lode_floor_period {
    const char *date;
    double price_usd_per_kg;
    double gap_usd_per_kg;    /* max(0, floor - price) */
    double cost_usd;          /* gap x volume for the period */
} lode_floor_period;

typedef struct lode_floor_result {
    int material;
    double floor_usd_per_kg;
    const char *floor_source; /* the data row's source, or "--floor" */
    const char *floor_date;
    double volume_t;          /* covered volume per year */
    const char *volume_source;
    lode_floor_period *history; /* annual market prices of the material, by year */
    size_t n_history;
    double history_cost_usd;  /* sum over history */
    double latest_usd_per_kg; /* latest market observation */
    const char *latest_date;
    double latest_cost_usd_per_yr; /* the floor's yearly cost at that price */
    int have_scenario;
    const char *scenario;
    int weeks;
    double scenario_cost_usd;     /* over the scenario's weeks: price index x latest price */
    double scenario_min_usd_per_kg, scenario_max_usd_per_kg;
    double baseline_cost_usd;     /* the same weeks at the latest price (index 1) */
} lode_floor_result;

typedef struct lode_concentration {
    int material;
    int year;
    double world_t;           /* production, t/yr */
    double seller_hhi;        /* production by country (as lode_risk_run) */
    int top_seller;
    double top_seller_share;
    double use_t;             /* world use: intermediate + final, t/yr */
    double buyer_hhi;         /* use by country (intermediate + final demand) */
    int top_buyer;
    double top_buyer_share;
    double imports_t;
    double import_hhi;        /* baseline imports by importer */
    int top_importer;
    double top_importer_share;
} lode_concentration;

typedef enum lode_distortion_kind {
    LODE_DISTORT_BELOW_COST,   /* a producer's cost above market prices */
    LODE_DISTORT_EXPORT_GAP,   /* a Chinese price and a price outside China differ */
    LODE_DISTORT_POLICY_FLOOR, /* a government floor above the market */
    LODE_DISTORT_POLICY_JUMP   /* a price jump across a dated export control */
} lode_distortion_kind;

const char *lode_distortion_kind_name(lode_distortion_kind k);

typedef struct lode_distortion {
    lode_distortion_kind kind;
    int material;
    const char *date;    /* when (the later observation) */
    double gap_pct;      /* the size: price gap or jump in percent of the lower price */
    const char *detail;  /* what, with the rows' dates, prices and bases */
    const char *source;  /* the rows' sources */
} lode_distortion;

typedef struct lode_market_opts {
    int material;             /* only this material (series, costs, concentration), or -1 */
    int floor_material;       /* -1: the material of the dataset's price-floor row */
    double floor_usd_per_kg;  /* 0: the dataset's price-floor row */
    int floor_country;        /* whose production the floor covers (-1: USA) */
    double volume_t;          /* covered t/yr; 0: floor_country's baseline production */
    double gap_flag;          /* export gaps at least this share are flagged (0: 0.2) */
    double jump_flag;         /* price jumps at least this share are flagged (0: 0.5) */
    const lode_scenario *scenario; /* may be NULL: no scenario price path */
    long runs;                /* Monte Carlo runs if the scenario draws at random */
    uint64_t seed;
    int threads;
} lode_market_opts;

typedef struct lode_market_result {
    lode_price_obs *prices;   /* by material id, then date, then row */
    size_t n_prices;
    lode_cost_check *costs;   /* in file order */
    size_t n_costs;
    int have_floor;           /* 0 if no floor was given and the data has none */
    lode_floor_result floor;
    lode_concentration *conc; /* materials with production, by stage then id */
    size_t n_conc;
    lode_distortion *flags;   /* by kind, then material id, then date */
    size_t n_flags;
} lode_market_result;

void lode_market_opts_default(lode_market_opts *o);

/* Returns LODE_OK; LODE_EUSAGE for bad options (a floor <= 0 given, a negative volume, an
 * unknown material index, a floor material whose prices cannot be put in USD/kg);
 * LODE_EINPUT from the simulation; LODE_EIO when out of memory. */
lode_status lode_market_run(const lode_model *m, const lode_market_opts *o, lode_arena *a,
                            lode_market_result *out, lode_err *err);

#endif
