/* firm.h: firm-level supply networks below countries (issue 9): a synthetic generator whose
 * country and stage totals match the model's baseline exactly, the country network and an
 * imported firm table as firm networks, and their simulation by the weekly engine of
 * lode_sim_run (lode_sim_opts.firms; lode_firm_sim is a one-run door into it).
 *
 * Ownership: every lode_firmnet and lode_firm_result lives in the arena the caller passes and
 * is borrowed until that arena is freed; the model is read through `const lode_model *`.
 * Layout: node state is a structure of arrays ([n_nodes] each), links are CSR by supplier
 * (out_start[n_nodes + 1], buyer/link_t[n_links]); nothing is allocated per node. Firms are
 * grouped by (material, country) in model index order (material major), which is the order the
 * engine needs; every function here gives them so.
 *
 * Units: tonnes per year of the material's unit (t/yr). The generator's amounts are whole
 * kilograms (multiples of 0.001 t, held as doubles: exact to the kilogram below 9e9 t) so that
 * firm rows sum to the country totals exactly. */
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
    double *cap_t;               /* [n_nodes] production capacity, t/yr */
    double *dem_t;               /* [n_nodes] use of its material (intermediate + final), t/yr */
    size_t *out_start;           /* [n_nodes + 1] CSR by supplier */
    uint32_t *buyer;             /* [n_links] buyer node (same material as the supplier) */
    double *link_t;              /* [n_links] baseline tonnes on the link, t/yr */
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

/* The country network as a firm network: one node per (material, country) with baseline
 * activity (as the country engine has them), capacity = baseline production, use =
 * intermediate + final, and the baseline trade flows between two countries as links, in trade
 * order, tonnes as in the model (not rounded). Domestic deliveries are not links: a country
 * serves its own use from its production in the same week. lode_sim_run with this network
 * gives the country-level answer (test_firm_country_as_firms). */
lode_status lode_firm_from_country(const lode_model *m, lode_arena *a, lode_firmnet *out,
                                   lode_err *err);

/* The firm network of m's firms and firm_links tables (imported like any table), firms
 * regrouped by (material, country). LODE_EINPUT (naming the table's file, line and field) for
 * a link whose material is not its supplier's and buyer's, or a self-link; LODE_EUSAGE when m
 * has no firms; LODE_EIO when out of memory. */
lode_status lode_firm_from_model(const lode_model *m, lode_arena *a, lode_firmnet *out,
                                 lode_err *err);

typedef struct lode_firm_result {
    int weeks;
    size_t n_cm;        /* n_materials * n_countries */
    double *short_t;    /* [n_cm] unserved final demand over the horizon, t, by
                         * (material, country): index material * n_countries + country */
    double total_short_t;
    long node_weeks, link_weeks;
    double bytes_moved; /* estimate of memory traffic of the weekly step, bytes */
    lode_sim_result sim; /* the engine's whole result (one run at the means) */
} lode_firm_result;

/* One run of scenario s at its distributions' means on net, for `weeks` weeks (0: the
 * scenario's), by lode_sim_run with o.firms = net (one thread);
 * the shortfall is also given densely by (material, country). Errors as lode_sim_run's. */
lode_status lode_firm_sim(const lode_model *m, const lode_firmnet *net, const lode_scenario *s,
                          int weeks, lode_arena *a, lode_firm_result *out, lode_err *err);

#endif
