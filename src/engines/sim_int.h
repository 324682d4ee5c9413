/* sim_int.h: the weekly simulation's internals, shared by simulate.c (lode_sim_run),
 * sim_chokepoints.c (lode_chokepoints_run), sim_sha256.c and the unit test. Private to
 * src/engines; the public contract is include/lode/sim.h.
 *
 * Ownership: a sim_net and a sim_plan live in the arena they were built in and are read-only
 * once built, so any number of threads may share them; a sim_work and a sim_runout belong to
 * one thread at a time. Units: t per week of the material's own unit; shares 0..1. */
#ifndef LODE_SIM_INT_H
#define LODE_SIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"

/* The network at baseline, built once: from a frozen model (sim_net_build: a node per
 * (material, country)) or from a firm network (sim_net_build_firms: a node per firm, CSR links).
 *
 * Two levels. A *node* carries the state the weekly step moves (a firm, or a whole country's
 * (material, country) cell); nodes are grouped by material (in material index order) and,
 * within one, by group. A *group* is a (material, country) cell with baseline activity: it is
 * what results are reported by, what recipes couple (a node's production is limited by the
 * availability of its inputs in its own country, taken over the input's group), and what
 * outages, stockpiles and final demand by sector are given for. For the country network every
 * group has exactly one node, node n is group n, and every g_ array below is the node array
 * of the same meaning (the same pointer). Node-level arrays are [nn], group-level ones [ng];
 * nothing is allocated per node. */
typedef struct sim_net {
    const lode_model *m;
    int nc, nm;
    int *topo;         /* [nm] material indexes, every consumed input before its outputs */
    /* ---- nodes */
    size_t nn;         /* nodes */
    size_t *mat_start; /* [nm + 1] nodes of material k: mat_start[k] .. mat_start[k + 1] */
    int *country;      /* [nn] */
    int *material;     /* [nn] */
    int *grp;          /* [nn] group of the node */
    double *share;     /* [nn] the node's share of its group's use (final demand by sector,
                        * input need and national stockpile are split by it); 1 for a country */
    double *cap0;      /* [nn] baseline production capacity, t/wk */
    double *dtot0;     /* [nn] baseline final demand (share x the group's) */
    double *use0;      /* [nn] intermediate + final use (with x0, the basis of inventory_wk;
                        * alone, of a stockpile's days) */
    double *stock0;    /* [nn] national stockpile, t (docs/simulate.md: what is used) */
    double *p0, *r0, *x0, *nq0; /* [nn] baseline production, receipts, shipments, input need */
    double *xx0;                /* [nn] the part of x0 that crosses a border (x0 for a country) */
    double *outside;            /* [nn] supply from outside the model: the baseline's rounding
                                 * residual plus a 1e-12 relative margin (docs/simulate.md) */
    /* ---- links (baseline flows), CSR by supplier node */
    size_t nf;                  /* links */
    int *f_exp, *f_imp;         /* [nf] supplier and buyer nodes */
    double *f_b;                /* [nf] baseline shipment, t/wk */
    int *f_src;                 /* [nf] index in m->trade, or -1 (a firm link) */
    size_t *out_start; /* [nn + 1] links out of node n: out_flow[out_start[n] .. [n + 1]) */
    size_t *out_flow;
    const size_t *x_end; /* [nn] out_flow[out_start[n] .. x_end[n]) cross a border, the rest
                          * up to out_start[n + 1] stay in the country (firm networks only) */
    /* ---- groups */
    size_t ng;
    int one_node; /* 1 for the country net (sim_net_build): every group is one node, node n is
                   * group n with share 1 and no link stays in a country, so the weekly step
                   * takes its copy without the group level (same arithmetic); 0 for firms */
    int *node_of;      /* [nm * nc] group of (material, country), or -1 */
    size_t *g_mat_start; /* [nm + 1] groups of material k */
    int *g_country, *g_material; /* [ng] */
    size_t *gn_start;  /* [ng + 1] nodes of group g: gn_start[g] .. gn_start[g + 1] */
    int *g_main;       /* [ng] node that takes diverted supply: most baseline cross-border
                        * receipts, -1 if the group has no node */
    double *dem0;      /* [ng * LODE_SEC_N] baseline final demand by sector */
    double *g_dtot0;   /* [ng] its sum */
    double *g_cap0;    /* [ng] sum of the nodes' cap0 */
    double *g_x0;      /* [ng] baseline cross-border shipments (sum of the nodes' xx0) */
    int *ex_of;        /* [ng] row of group g among exporters (g_x0 > 0), or -1 */
    size_t n_ex;
    /* Recipes: output material k is made in grades g_start[k] .. g_start[k + 1), grade g
     * being g_share[g] of its output and needing gi_coef[j] t of material gi_mat[j] per t for
     * j in gi_start[g] .. gi_start[g + 1) (t_per_t x the input's inter_scale); rem[k] of the
     * output needs no consumed input. */
    size_t *g_start, *gi_start;
    double *g_share, *gi_coef, *rem;
    int *gi_mat;
    /* Input need of group g: sum of capg[req_out[j]] * req_f[j], j in req_start[g] .. [g + 1),
     * req_out being groups; a node needs share x its group's. */
    size_t *req_start;
    int *req_out;
    double *req_f;
    size_t *dn_start; /* [nm + 1] materials made from material k (consumed): dn_mat[...] */
    int *dn_mat;
    int *crank, *mrank; /* id order of countries and materials, for sorting output */
} sim_net;

/* A scenario prepared against a net: which materials it can touch, which policies cover each
 * flow, where diverted supply goes, which node each outage and demand shock hits. */
typedef struct sim_plan {
    const sim_net *net;
    const lode_scenario *s;
    int weeks;
    lode_sim_params prm;
    unsigned char *aff; /* [nm] 1 if the scenario can move this material off its baseline */
    int *aff_list;      /* affected materials in topological order */
    size_t n_aff;
    size_t np;             /* policies (s->n_policies) */
    unsigned char *pol_on; /* [np] 1 if the policy moves volumes (ban, licence, quota) */
    size_t *fc_start;      /* [nf + 1] policies covering flow f: fc_pol/fc_pm[fc_start[f] ..) */
    int *fc_pol, *fc_pm;
    unsigned char *has_cov; /* [nn] node ships at least one covered flow */
    size_t n_pm;            /* (policy, material) pairs, for diversion */
    int *pm_exp;            /* [n_pm] exporter group, -1 if none */
    size_t *pmn_start;      /* [ng + 1] pairs whose exporter is group g: pmn_pm[...] */
    int *pmn_pm;
    size_t *dv_start; /* [n_pm + 1] non-target importer nodes dv_node[...] (each group's
                       * g_main) with weights dv_w */
    int *dv_node;
    double *dv_w;
    int *og_node;     /* [n_outages] group hit (all its nodes), -1 if it makes nothing */
    double *og_frac;  /* [n_outages] share of its capacity lost per unit severity */
    size_t *ds_start; /* [ng + 1] demand shocks hitting group g: ds_idx[...] */
    int *ds_idx;
    size_t n_draws; /* 3 per policy, outage and demand shock */
    int random;     /* any distribution is not fixed */
} sim_plan;

/* One thread's scratch for runs of plans on one net with at most `weeks` weeks. */
typedef struct sim_work {
    size_t nn, nm, np_cap, npm_cap, nd_cap;
    int weeks;
    double *draw;      /* [nd_cap] this run's start/duration/severity... */
    double *beta, *fl; /* [np_cap] blocked share, front-loading this week */
    double *divacc;    /* [npm_cap] */
    double *cap, *rho, *phi, *R, *Rn, *I, *S, *I_init, *S_init;
    double *P, *Nq, *D, *X, *T, *SR, *SRn, *used, *shipped, *withheld; /* [nn] */
    double *shx;                       /* [nn] shipped across a border (and diverted) */
    double *dsec;                      /* [nn * LODE_SEC_N] */
    double *capg, *nqg, *rhog, *usedg, *availg; /* [ng] capacity, input need, input
                                                 * availability ratio, inputs used, inputs
                                                 * available: the group sums recipes couple */
    double *price, *sub, *smax, *dmul, *unserved, *req;                /* [nm] */
    double *shist; /* [nm * weeks] shortfall share history */
} sim_work;

/* What one run produced, by group; groups and materials the plan does not affect are left
 * untouched. */
typedef struct sim_runout {
    double *cell;    /* [ng] final-demand shortfall over the horizon */
    double *sec;     /* [ng * LODE_SEC_N] by sector */
    double *week;    /* [nm * weeks] all countries, by week */
    double *exports; /* [n_ex * weeks] cross-border shipments of each exporter group */
    double *price;   /* [nm * weeks] price index in effect */
    int *exh;        /* [ng] first week the group's stocks (summed over its nodes) are
                      * exhausted, -1 if never */
    double mass_err; /* largest |balance error| over nodes and weeks, t */
    long node_weeks; /* node-weeks simulated */
    long link_weeks; /* link-weeks of those nodes' outgoing links */
} sim_runout;

/* Build the net of frozen model m in arena a. LODE_EINPUT if consumed recipes form a cycle,
 * LODE_EIO when out of memory. */
lode_status sim_net_build(const lode_model *m, lode_arena *a, sim_net *net, lode_err *err);

struct lode_firmnet;
/* Build the net of firm network fn (firms grouped by (material, country) in index order, as
 * lode_firm_generate, lode_firm_from_country and lode_firm_from_model give them) below the
 * country net of m: groups, recipes, final demand by sector and stockpiles come from the
 * country net, split over a group's firms by their share of its use. LODE_EINPUT for a firm of
 * a (material, country) without baseline activity, a link between two materials or firms out
 * of order; LODE_EIO when out of memory. */
lode_status sim_net_build_firms(const lode_model *m, const struct lode_firmnet *fn,
                                lode_arena *a, sim_net *net, lode_err *err);

/* Prepare scenario s (its parameters, shocks) for `weeks` weeks. full = 1 marks every
 * material affected (simulates all, for tests: the result must not change). LODE_EINPUT for
 * an outage of an unknown facility, LODE_EIO when out of memory. */
lode_status sim_plan_build(const sim_net *net, const lode_scenario *s, int weeks, int full,
                           lode_arena *a, sim_plan *pl, lode_err *err);

/* Scratch for plans with at most np policies, npm (policy, material) pairs, nd draws. */
lode_status sim_work_new(const sim_net *net, int weeks, size_t np, size_t npm, size_t nd,
                         lode_arena *a, sim_work *w, lode_err *err);
lode_status sim_runout_new(const sim_net *net, int weeks, lode_arena *a, sim_runout *o,
                           lode_err *err);

/* Run `run` of plan pl: draws from Philox4x32-10 keyed by seed, counter (run, draw, 0), or
 * each distribution's mean if means != 0. Fills o for the affected materials. Cannot fail. */
void sim_run_one(const sim_plan *pl, sim_work *w, sim_runout *o, long run, uint64_t seed,
                 int means);

/* The two uniforms in (0, 1) of draw k of run `run` under `seed`. */
void sim_uniforms(uint64_t seed, long run, uint32_t k, double *u1, double *u2);

/* lode_sim_run with full as in sim_plan_build. */
lode_status sim_run(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o, int full,
                    lode_arena *a, lode_sim_result *out, lode_err *err);

/* ---- a pool of threads taking items by index ------------------------------------------ */

/* fn(ctx, worker, item) does item `item` on worker `worker` (0 .. threads-1). With window > 0,
 * items are committed in index order: commit(ctx, item) runs under the pool's lock for items
 * 0, 1, 2, ... as each and all before it are done, and no item starts while `window` or more
 * started items wait for their commit, so an item may use slot item % window. progress (may
 * be NULL) is called under the lock after commits. Returns the number of threads used: the
 * caller's own plus those pthread_create gave (fewer than asked if it failed). */
typedef void (*sim_item_fn)(void *ctx, int worker, long item);
int sim_pool_run(int threads, long n_items, long window, sim_item_fn fn, sim_item_fn commit,
                 void *ctx, lode_progress_fn progress, void *progress_ctx);

/* ---- SHA-256 (FIPS 180-4), for the digest ------------------------------------------------ */

typedef struct sim_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed */
    unsigned char buf[64];
    size_t n; /* bytes in buf */
} sim_sha256;

void sim_sha256_init(sim_sha256 *s);
void sim_sha256_update(sim_sha256 *s, const void *data, size_t len);
/* Finish and write 64 lowercase hex digits and a NUL to hex[65]. */
void sim_sha256_hex(sim_sha256 *s, char hex[65]);

/* Mean (summed in index order) and the 5th, 50th and 95th percentiles of x[0..n), n >= 1, by
 * linear interpolation between order statistics (R type 7). Reorders x. */
void sim_stats(double *x, size_t n, double *mean, double *p5, double *p50, double *p95);

#endif
