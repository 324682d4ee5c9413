/* firm.h: firm-level supply networks below countries (issue 9): a synthetic generator whose
 * country and stage totals match the model's baseline exactly, and a weekly simulation of the
 * firm network on compressed sparse rows.
 *
 * Ownership: every lode_firmnet and lode_firm_result lives in the arena the caller passes and
 * is borrowed until that arena is freed; the model is read through `const lode_model *`.
 * Layout: node state is a structure of arrays ([n_nodes] each), links are CSR by supplier
 * (out_start[n_nodes + 1], buyer/link_t[n_links]); nothing is allocated per node.
 *
 * Units: tonnes per year of the material's unit (t/yr); amounts are whole kilograms
 * (multiples of 0.001 t) so that firm rows sum to the country totals exactly. */
#ifndef LODE_FIRM_H
#define LODE_FIRM_H

#include <stddef.h>
#include <stdint.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"

typedef struct lode_firmnet {
    size_t n_nodes, n_links;
    int32_t *country, *material; /* [n_nodes] model indexes */
    int64_t *cap_kg;             /* [n_nodes] production capacity, kg/yr */
    int64_t *dem_kg;             /* [n_nodes] use of its material (intermediate + final), kg/yr */
    size_t *out_start;           /* [n_nodes + 1] CSR by supplier */
    uint32_t *buyer;             /* [n_links] buyer node, sorted within a supplier */
    int64_t *link_kg;            /* [n_links] baseline tonnes on the link, kg/yr */
} lode_firmnet;

typedef struct lode_firm_gen_opts {
    size_t nodes;   /* firms wanted (>= number of active country-material nodes) */
    size_t links;   /* links wanted, >= the number of country-level flows; 0 = 5 x nodes */
    uint64_t seed;
    double gamma;   /* power-law exponent of the expected degree, > 2; 0 = 2.35 */
} lode_firm_gen_opts;

/* Generate a synthetic firm network of m's baseline (docs/firms.md): deterministic in
 * (m, o). Links per country-level flow are fewer than o->links when a block has fewer firm
 * pairs or its draws collide; out->n_links says how many. LODE_EUSAGE when o->nodes is too
 * small; LODE_EIO when out of memory. */
lode_status lode_firm_generate(const lode_model *m, const lode_firm_gen_opts *o, lode_arena *a,
                               lode_firmnet *out, lode_err *err);

/* The country network as a firm network: one node per active (material, country), the
 * baseline trade flows and domestic deliveries as links. The firm engine run on it gives the
 * country-level answer of the same step. */
lode_status lode_firm_from_country(const lode_model *m, lode_arena *a, lode_firmnet *out,
                                   lode_err *err);

typedef struct lode_firm_result {
    int weeks;
    size_t n_cm;        /* n_materials * n_countries */
    double *short_t;    /* [n_cm] unserved use over the horizon, t, by (material, country) */
    double total_short_t;
    long node_weeks;
    double bytes_moved; /* estimate of memory traffic of the weekly loop, bytes */
} lode_firm_result;

/* Simulate s (outages and bans/quotas, each at its distribution's mean; other parts are
 * ignored, see docs/firms.md) on net for `weeks` weeks (0: the scenario's) with commercial
 * inventory of inventory_wk weeks of use (the scenario's parameter). LODE_EIO when out of
 * memory. */
lode_status lode_firm_sim(const lode_model *m, const lode_firmnet *net, const lode_scenario *s,
                          int weeks, lode_arena *a, lode_firm_result *out, lode_err *err);

#endif
