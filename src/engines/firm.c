/* firm.c: the weekly simulation of a firm network (lode_firm_sim). The same step runs on a
 * generated firm network and on the country network (lode_firm_from_country), so firm results
 * aggregated to countries can be checked against the country-level answer. Each week a
 * supplier's capacity after outages, plus the outside supply that covers its baseline
 * re-exports, sets the share of its baseline links it ships; export controls cut links;
 * buyers serve their use from receipts, outside supply and inventory. Node state is a
 * structure of arrays, links are CSR: one pass over nodes, one over links, one over nodes. */
#include <math.h>
#include <string.h>

#include "lode/firm.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

static const double WEEKS_PER_YEAR = 52.0;
/* As in simulate.c: outside supply carries this relative margin so that no shock leaves
 * every node whole in floating point. */
static const double MARGIN = 1e-12;
enum { MAXPOL = 32 };

static double overlap(double t, double s, double d)
{
    double lo = t > s ? t : s;
    double hi = t + 1 < s + d ? t + 1 : s + d;
    return hi > lo ? hi - lo : 0;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static int in_list(const int *v, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

lode_status lode_firm_sim(const lode_model *m, const lode_firmnet *net, const lode_scenario *s,
                          int weeks, lode_arena *a, lode_firm_result *out, lode_err *err)
{
    const size_t N = net->n_nodes, nc = m->n_countries, K = m->n_materials * nc;
    const int W = weeks > 0 ? weeks : s->weeks;
    memset(out, 0, sizeof *out);
    double *cap = lode_arena_calloc(a, N + 1, sizeof *cap);   /* t/wk */
    double *out0 = lode_arena_calloc(a, N + 1, sizeof *out0); /* baseline shipments, t/wk */
    double *osup = lode_arena_calloc(a, N + 1, sizeof *osup); /* outside supply of re-exports */
    double *ratio = lode_arena_calloc(a, N + 1, sizeof *ratio);
    double *dem = lode_arena_calloc(a, N + 1, sizeof *dem);
    double *oin = lode_arena_calloc(a, N + 1, sizeof *oin); /* outside supply of use */
    double *inv = lode_arena_calloc(a, N + 1, sizeof *inv);
    double *invcap = lode_arena_calloc(a, N + 1, sizeof *invcap);
    double *recv = lode_arena_calloc(a, N + 1, sizeof *recv);
    double *shrt = lode_arena_calloc(a, N + 1, sizeof *shrt);
    double *lt = lode_arena_calloc(a, net->n_links + 1, sizeof *lt);
    double *fac = lode_arena_calloc(a, K + 1, sizeof *fac);
    out->short_t = lode_arena_calloc(a, K + 1, sizeof *out->short_t);
    if (!cap || !out0 || !osup || !ratio || !dem || !oin || !inv || !invcap || !recv || !shrt ||
        !lt || !fac || !out->short_t)
        return OOM(err);

    /* Export controls that cut volume (bans, quotas, licences at their refusal share), at
     * their means: bit p of smask[n] / bmask[n] says node n is a covered supplier / target. */
    size_t np = 0;
    const lode_sim_policy *pol[MAXPOL];
    for (size_t p = 0; p < s->n_policies && np < MAXPOL; p++) {
        lode_polkind k = s->policies[p].kind;
        if (k == LODE_POL_BAN || k == LODE_POL_QUOTA || k == LODE_POL_LICENCE)
            pol[np++] = &s->policies[p];
    }
    uint32_t *smask = NULL, *bmask = NULL;
    if (np) {
        smask = lode_arena_calloc(a, N + 1, sizeof *smask);
        bmask = lode_arena_calloc(a, N + 1, sizeof *bmask);
        if (!smask || !bmask)
            return OOM(err);
        for (size_t n = 0; n < N; n++)
            for (size_t p = 0; p < np; p++) {
                const lode_sim_policy *q = pol[p];
                if (q->country == net->country[n] &&
                    in_list(q->materials, q->n_materials, net->material[n]))
                    smask[n] |= 1u << p;
                if (q->n_targets == 0 || in_list(q->targets, q->n_targets, net->country[n]))
                    bmask[n] |= 1u << p;
            }
    }
    double beta[MAXPOL];

    const double iw = s->params.inventory_wk;
    for (size_t n = 0; n < N; n++) {
        double o = 0;
        for (size_t l = net->out_start[n]; l < net->out_start[n + 1]; l++) {
            lt[l] = (double)net->link_kg[l] / 1000.0 / WEEKS_PER_YEAR;
            o += lt[l];
            recv[net->buyer[l]] += lt[l];
        }
        cap[n] = (double)net->cap_kg[n] / 1000.0 / WEEKS_PER_YEAR;
        out0[n] = o;
        osup[n] = (o > cap[n] ? o - cap[n] : 0) + o * MARGIN;
        dem[n] = (double)net->dem_kg[n] / 1000.0 / WEEKS_PER_YEAR;
    }
    for (size_t n = 0; n < N; n++) {
        oin[n] = (dem[n] > recv[n] ? dem[n] - recv[n] : 0) + dem[n] * MARGIN;
        inv[n] = invcap[n] = iw * dem[n];
    }

    double bytes = 0;
    for (int t = 0; t < W; t++) {
        const double tw = (double)t;
        for (size_t k = 0; k < K; k++)
            fac[k] = 1;
        for (size_t i = 0; i < s->n_outages; i++) {
            const lode_sim_outage *g = &s->outages[i];
            if (g->country < 0 || g->material < 0)
                continue;
            size_t k = (size_t)g->material * nc + (size_t)g->country;
            double sev = clamp01(lode_dist_mean(&g->severity));
            double f = 1 - sev * overlap(tw, lode_dist_mean(&g->start_wk),
                                         lode_dist_mean(&g->duration_wk));
            fac[k] *= f > 0 ? f : 0;
        }
        int any_pol = 0;
        for (size_t p = 0; p < np; p++) {
            const lode_sim_policy *q = pol[p];
            double act = overlap(tw, lode_dist_mean(&q->start_wk), lode_dist_mean(&q->duration_wk));
            beta[p] = clamp01(lode_dist_mean(&q->severity) * act);
            any_pol |= beta[p] > 0;
        }
        /* 1. suppliers: share of baseline links shipped */
        for (size_t n = 0; n < N; n++) {
            size_t k = (size_t)net->material[n] * nc + (size_t)net->country[n];
            double avail = cap[n] * fac[k] + osup[n];
            ratio[n] = out0[n] > 0 ? (avail >= out0[n] ? 1 : avail / out0[n]) : 0;
            recv[n] = 0;
        }
        /* 2. links: push shipments to buyers */
        for (size_t n = 0; n < N; n++) {
            double r = ratio[n];
            size_t l0 = net->out_start[n], l1 = net->out_start[n + 1];
            if (any_pol && smask[n]) {
                for (size_t l = l0; l < l1; l++) {
                    uint32_t b = net->buyer[l], hit = smask[n] & bmask[b];
                    double f = r;
                    for (size_t p = 0; hit; p++, hit >>= 1)
                        if (hit & 1u)
                            f *= 1 - beta[p];
                    recv[b] += lt[l] * f;
                }
            } else {
                for (size_t l = l0; l < l1; l++)
                    recv[net->buyer[l]] += lt[l] * r;
            }
        }
        /* 3. buyers: serve use from receipts, outside supply and inventory */
        for (size_t n = 0; n < N; n++) {
            double need = dem[n];
            if (need <= 0)
                continue;
            double avail = recv[n] + oin[n] + inv[n];
            double served = avail < need ? avail : need;
            shrt[n] += need - served;
            double left = avail - served;
            inv[n] = left < invcap[n] ? left : invcap[n];
        }
        /* bytes: pass 1 reads material, country, cap, osup, out0, writes ratio, recv (44);
         * pass 2 reads out_start, ratio (16) and per link buyer, lt and recv read-write (28);
         * pass 3 reads dem, recv, oin, inv, invcap, shrt and writes shrt, inv (64). */
        bytes += 124.0 * (double)N + 28.0 * (double)net->n_links;
    }
    for (size_t n = 0; n < N; n++) {
        size_t k = (size_t)net->material[n] * nc + (size_t)net->country[n];
        out->short_t[k] += shrt[n];
        out->total_short_t += shrt[n];
    }
    out->weeks = W;
    out->n_cm = K;
    out->node_weeks = (long)N * (long)W;
    out->bytes_moved = bytes;
    return LODE_OK;
}
