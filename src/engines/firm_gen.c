/* firm_gen.c: the synthetic firm network of issue 9 (lode generate firms). Each active
 * (material, country) node of the baseline is split into firms with power-law weights; each
 * country-level flow (trade, and domestic deliveries) becomes a block of supplier->buyer links
 * drawn Chung-Lu style (endpoint probability proportional to weight) from a Philox stream.
 * Tonnes are whole kilograms split by largest remainder, so every total is exact. The country
 * network and the imported firm tables as firm networks are in firm.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "lode/firm.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

/* A country-level flow: supplier node ks ships kg to buyer node kb (ks == kb: domestic). */
typedef struct block {
    size_t ks, kb;
    int64_t kg;
    size_t links; /* links wanted */
} block;

typedef struct frac_ix {
    double frac;
    size_t i;
} frac_ix;

static int64_t to_kg(double t)
{
    return t > 0 ? (int64_t)llround(t * 1000.0) : 0;
}

static int frac_cmp(const void *pa, const void *pb)
{
    const frac_ix *a = pa, *b = pb;
    if (a->frac != b->frac)
        return a->frac > b->frac ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int u64_cmp(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Split total (>= 0) over n parts proportional to w (all zero: equally) so that the parts
 * sum to total exactly: floors, then one more to the largest remainders (ties: lower index).
 * sc holds n entries. */
static void lr_alloc(int64_t total, const double *w, size_t n, int64_t *out, frac_ix *sc)
{
    double W = 0;
    for (size_t i = 0; i < n; i++)
        W += w[i];
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = W > 0 ? (double)total * (w[i] / W) : (double)total / (double)n;
        double f = floor(x);
        out[i] = (int64_t)f; /* x <= total, which is an int64 */
        sc[i].frac = x - f;
        sc[i].i = i;
        sum += out[i];
    }
    int64_t d = total - sum;
    for (size_t i = 0; d < 0 && i < n; i++) { /* floating point overshoot: take back */
        while (d < 0 && out[i] > 0) {
            out[i]--;
            d++;
        }
    }
    if (d <= 0)
        return;
    qsort(sc, n, sizeof *sc, frac_cmp);
    for (size_t j = 0; d > 0; j = (j + 1) % n, d--)
        out[sc[j].i]++;
}

/* Uniform in (0, 1) from a 32-bit word. */
static double unit(uint32_t x)
{
    return ((double)x + 0.5) / 4294967296.0;
}

/* Index in [0, n) of the firm whose cumulative weight cw (within its node) first exceeds u. */
static size_t pick(const double *cw, size_t n, double u)
{
    double target = u * cw[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cw[mid] > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Active nodes and country-level blocks of m's baseline, in kg. active[k] = 1 for a (material,
 * country) node of a real country or ROW with any production, use or trade. */
static lode_status country_blocks(const lode_model *m, lode_arena *a, unsigned char **active,
                                  int64_t **P, int64_t **U, block **blocks, size_t *n_blocks,
                                  lode_err *err)
{
    const size_t nc = m->n_countries, K = m->n_materials * nc;
    const lode_baseline *b = &m->base;
    unsigned char *act = lode_arena_calloc(a, K ? K : 1, 1);
    int64_t *p = lode_arena_calloc(a, K ? K : 1, sizeof *p);
    int64_t *u = lode_arena_calloc(a, K ? K : 1, sizeof *u);
    int64_t *x = lode_arena_calloc(a, K ? K : 1, sizeof *x);
    int64_t *im = lode_arena_calloc(a, K ? K : 1, sizeof *im);
    block *bl = lode_arena_calloc(a, b->n_flows + K + 1, sizeof *bl);
    if (!act || !p || !u || !x || !im || !bl)
        return OOM(err);
    for (size_t k = 0; k < K; k++) {
        int c = (int)(k % nc);
        if (!lode_country_is_real(m, c) && c != m->residual)
            continue;
        p[k] = to_kg(b->prod_t[k]);
        u[k] = to_kg(b->inter_t[k] + b->final_t[k]);
    }
    size_t nb = 0;
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        if (f->exporter == f->importer)
            continue;
        if ((!lode_country_is_real(m, f->exporter) && f->exporter != m->residual) ||
            (!lode_country_is_real(m, f->importer) && f->importer != m->residual))
            continue;
        int64_t kg = to_kg(f->tonnes);
        if (kg <= 0)
            continue;
        size_t ks = (size_t)f->material * nc + (size_t)f->exporter;
        size_t kb = (size_t)f->material * nc + (size_t)f->importer;
        if (nb > 0 && bl[nb - 1].ks == ks && bl[nb - 1].kb == kb) {
            bl[nb - 1].kg += kg; /* a repeated (material, exporter, importer) row */
        } else {
            bl[nb].ks = ks;
            bl[nb].kb = kb;
            bl[nb].kg = kg;
            nb++;
        }
        x[ks] += kg;
        im[kb] += kg;
    }
    for (size_t k = 0; k < K; k++) {
        /* Domestic deliveries: production not exported, up to the use imports leave open. */
        int64_t d = p[k] - x[k], open = u[k] - im[k];
        if (open < d)
            d = open;
        if (d > 0) {
            bl[nb].ks = bl[nb].kb = k;
            bl[nb].kg = d;
            nb++;
        }
        act[k] = p[k] > 0 || u[k] > 0 || x[k] > 0 || im[k] > 0;
    }
    *active = act;
    *P = p;
    *U = u;
    *blocks = bl;
    *n_blocks = nb;
    return LODE_OK;
}

/* Capacities and use of the firms of node k (first .. first + nf): production split in
 * proportion to each firm's baseline out-links (its weight when the node ships nothing), use in
 * proportion to its in-links; so each firm ships the same share of its capacity as its
 * country does. */
static void split_node(int64_t P, int64_t U, const double *outw, const double *inw,
                       const double *w, size_t nf, int64_t *cap, int64_t *dem, frac_ix *sc)
{
    double so = 0, si = 0;
    for (size_t j = 0; j < nf; j++) {
        so += outw[j];
        si += inw[j];
    }
    lr_alloc(P, so > 0 ? outw : w, nf, cap, sc);
    lr_alloc(U, si > 0 ? inw : w, nf, dem, sc);
}

lode_status lode_firm_generate(const lode_model *m, const lode_firm_gen_opts *o, lode_arena *a,
                               lode_firmnet *out, lode_err *err)
{
    unsigned char *act = NULL;
    int64_t *P = NULL, *U = NULL;
    block *bl = NULL;
    size_t nb = 0;
    memset(out, 0, sizeof *out);
    LODE_TRY(country_blocks(m, a, &act, &P, &U, &bl, &nb, err));
    const size_t nc = m->n_countries, nm = m->n_materials, K = nm * nc;
    const double gamma = o->gamma > 2 ? o->gamma : 2.35;
    const size_t L = o->links ? o->links : 5 * o->nodes;

    size_t n_act = 0;
    for (size_t k = 0; k < K; k++)
        n_act += act[k];
    if (o->nodes < n_act || o->nodes > UINT32_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "nodes",
                         "need between %zu (one firm per active country-material node) and "
                         "%u firms, got %zu",
                         n_act, (unsigned)UINT32_MAX, o->nodes);
    if (L < nb)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "links",
                         "need at least %zu links (one per country-level flow), got %zu", nb, L);

    /* Firms per node: one each, the rest by the node's share of its material's activity
     * (production + use), every material weighted alike. */
    size_t scn = K > nb ? K : nb;
    double *kw = lode_arena_calloc(a, K + 1, sizeof *kw);
    double *msum = lode_arena_calloc(a, nm + 1, sizeof *msum);
    int64_t *extra = lode_arena_calloc(a, K + 1, sizeof *extra);
    frac_ix *sc = lode_arena_calloc(a, scn + 1, sizeof *sc);
    size_t *first = lode_arena_calloc(a, K + 1, sizeof *first);
    size_t *nf = lode_arena_calloc(a, K + 1, sizeof *nf);
    if (!kw || !msum || !extra || !sc || !first || !nf)
        return OOM(err);
    size_t mats = 0;
    for (size_t k = 0; k < K; k++)
        if (act[k])
            msum[k / nc] += (double)(P[k] + U[k]) + 1.0;
    for (size_t k = 0; k < nm; k++)
        mats += msum[k] > 0;
    for (size_t k = 0; k < K; k++)
        kw[k] = act[k] ? ((double)(P[k] + U[k]) + 1.0) / msum[k / nc] : 0;
    lr_alloc((int64_t)(o->nodes - n_act), kw, K, extra, sc);
    size_t N = 0;
    for (size_t k = 0; k < K; k++) {
        first[k] = N;
        nf[k] = act[k] ? 1 + (size_t)extra[k] : 0;
        N += nf[k];
    }
    (void)mats;

    /* Firm weights w_j = (j + 1)^(-1 / (gamma - 1)) within each node: Chung-Lu expected
     * degrees with a power-law tail of exponent gamma. cw: cumulative within the node. */
    double *w = lode_arena_calloc(a, N + 1, sizeof *w);
    double *cw = lode_arena_calloc(a, N + 1, sizeof *cw);
    if (!w || !cw)
        return OOM(err);
    const double ex = -1.0 / (gamma - 1.0);
    for (size_t k = 0; k < K; k++) {
        double c = 0;
        for (size_t j = 0; j < nf[k]; j++) {
            w[first[k] + j] = pow((double)(j + 1), ex);
            c += w[first[k] + j];
            cw[first[k] + j] = c;
        }
    }

    /* Links per block: one each, the rest in proportion to the firms at both ends, at most
     * every pair. */
    double *bw = lode_arena_calloc(a, nb + 1, sizeof *bw);
    int64_t *bx = lode_arena_calloc(a, nb + 1, sizeof *bx);
    if (!bw || !bx)
        return OOM(err);
    for (size_t i = 0; i < nb; i++)
        bw[i] = (double)(nf[bl[i].ks] + nf[bl[i].kb]);
    lr_alloc((int64_t)(L - nb), bw, nb, bx, sc);
    size_t maxb = 0, Lw = 0;
    for (size_t i = 0; i < nb; i++) {
        double pairs = (double)nf[bl[i].ks] * (double)nf[bl[i].kb];
        size_t want = 1 + (size_t)bx[i];
        if ((double)want > pairs)
            want = (size_t)pairs;
        bl[i].links = want;
        Lw += want;
        if (want > maxb)
            maxb = want;
    }

    uint64_t *keys = lode_arena_calloc(a, 2 * maxb + 1, sizeof *keys);
    uint32_t *lsup = lode_arena_calloc(a, Lw + 1, sizeof *lsup);
    uint32_t *lbuy = lode_arena_calloc(a, Lw + 1, sizeof *lbuy);
    int64_t *lkg = lode_arena_calloc(a, Lw + 1, sizeof *lkg);
    double *lw = lode_arena_calloc(a, maxb + 1, sizeof *lw);
    frac_ix *lsc = lode_arena_calloc(a, maxb + 1, sizeof *lsc);
    if (!keys || !lsup || !lbuy || !lkg || !lw || !lsc)
        return OOM(err);
    philox4x32_key_t key = {{(uint32_t)o->seed, (uint32_t)(o->seed >> 32)}};
    size_t nl = 0;
    for (size_t i = 0; i < nb; i++) {
        const block *B = &bl[i];
        size_t ns = nf[B->ks], nbu = nf[B->kb], want = B->links, have = 0;
        const double *cs = &cw[first[B->ks]], *cb = &cw[first[B->kb]];
        /* Draw pairs until `want` distinct ones or 16 rounds (hubs collide). */
        for (uint32_t round = 0; round < 16 && have < want; round++) {
            size_t need = want - have;
            for (size_t d = 0; d < need; d++) {
                philox4x32_ctr_t ctr = {{(uint32_t)i, (uint32_t)(i >> 32) ^ (round << 16),
                                         (uint32_t)d, (uint32_t)(d >> 32)}};
                philox4x32_ctr_t r = philox4x32(ctr, key);
                uint64_t s = pick(cs, ns, unit(r.v[0])), b = pick(cb, nbu, unit(r.v[1]));
                keys[have + d] = s << 32 | b;
            }
            size_t tot = have + need, u = 0;
            qsort(keys, tot, sizeof *keys, u64_cmp);
            for (size_t j = 0; j < tot; j++)
                if (u == 0 || keys[j] != keys[u - 1])
                    keys[u++] = keys[j];
            have = u;
        }
        /* Tonnes by largest remainder over the links, weight w_s x w_b. */
        for (size_t j = 0; j < have; j++) {
            size_t s = (size_t)(keys[j] >> 32), b = (size_t)(keys[j] & 0xffffffffu);
            lw[j] = w[first[B->ks] + s] * w[first[B->kb] + b];
        }
        lr_alloc(B->kg, lw, have, &lkg[nl], lsc);
        for (size_t j = 0; j < have; j++) {
            /* N <= UINT32_MAX (checked above) */
            lsup[nl + j] = (uint32_t)(first[B->ks] + (size_t)(keys[j] >> 32));
            lbuy[nl + j] = (uint32_t)(first[B->kb] + (size_t)(keys[j] & 0xffffffffu));
        }
        nl += have;
    }

    /* CSR by supplier, and the firms' capacities and use from their links. A pair drawn with
     * the same firm at both ends (a domestic block) is a firm serving its own use from its own
     * production: it counts in the firm's capacity and use but is no link. */
    size_t nself = 0;
    for (size_t l = 0; l < nl; l++)
        nself += lsup[l] == lbuy[l];
    out->n_nodes = N;
    out->n_links = nl - nself;
    out->country = lode_arena_calloc(a, N + 1, sizeof *out->country);
    out->material = lode_arena_calloc(a, N + 1, sizeof *out->material);
    out->cap_t = lode_arena_calloc(a, N + 1, sizeof *out->cap_t);
    out->dem_t = lode_arena_calloc(a, N + 1, sizeof *out->dem_t);
    out->out_start = lode_arena_calloc(a, N + 1, sizeof *out->out_start);
    out->buyer = lode_arena_calloc(a, nl - nself + 1, sizeof *out->buyer);
    out->link_t = lode_arena_calloc(a, nl - nself + 1, sizeof *out->link_t);
    int64_t *cap_kg = lode_arena_calloc(a, N + 1, sizeof *cap_kg);
    int64_t *dem_kg = lode_arena_calloc(a, N + 1, sizeof *dem_kg);
    double *outw = lode_arena_calloc(a, N + 1, sizeof *outw);
    double *inw = lode_arena_calloc(a, N + 1, sizeof *inw);
    size_t *fill = lode_arena_calloc(a, N + 1, sizeof *fill);
    if (!out->country || !out->material || !out->cap_t || !out->dem_t || !out->out_start ||
        !out->buyer || !out->link_t || !cap_kg || !dem_kg || !outw || !inw || !fill)
        return OOM(err);
    for (size_t l = 0; l < nl; l++) {
        out->out_start[lsup[l] + 1] += lsup[l] != lbuy[l];
        outw[lsup[l]] += (double)lkg[l];
        inw[lbuy[l]] += (double)lkg[l];
    }
    for (size_t i = 0; i < N; i++)
        out->out_start[i + 1] += out->out_start[i];
    for (size_t l = 0; l < nl; l++) {
        if (lsup[l] == lbuy[l])
            continue;
        size_t s = lsup[l], at = out->out_start[s] + fill[s]++;
        out->buyer[at] = lbuy[l];
        out->link_t[at] = (double)lkg[l] / 1000.0; /* exact to the kg: lkg < 2^53 */
    }
    size_t maxf = 0;
    for (size_t k = 0; k < K; k++)
        if (nf[k] > maxf)
            maxf = nf[k];
    frac_ix *fsc = lode_arena_calloc(a, maxf + 1, sizeof *fsc);
    if (!fsc)
        return OOM(err);
    for (size_t k = 0; k < K; k++) {
        if (!nf[k])
            continue;
        size_t f0 = first[k];
        split_node(P[k], U[k], &outw[f0], &inw[f0], &w[f0], nf[k], &cap_kg[f0], &dem_kg[f0],
                   fsc);
        for (size_t j = 0; j < nf[k]; j++) {
            out->cap_t[f0 + j] = (double)cap_kg[f0 + j] / 1000.0;
            out->dem_t[f0 + j] = (double)dem_kg[f0 + j] / 1000.0;
            out->country[f0 + j] = (int32_t)(k % nc); /* model indexes are ints */
            out->material[f0 + j] = (int32_t)(k / nc);
        }
    }
    return LODE_OK;
}
