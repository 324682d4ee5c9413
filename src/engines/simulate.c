/* simulate.c: the weekly disruption simulation (lode simulate). The model's baseline becomes a
 * network of (material, country) nodes and bilateral flows; each week capacity after outages
 * makes what the inputs in hand allow, exporters ship along the baseline pattern less what
 * export controls block, and each country serves its demand by priority class from its
 * flows, its commercial inventory and its national stockpile; prices, demand and substitution
 * respond to the shortfall. Monte Carlo runs draw from counter-based Philox streams keyed by
 * (seed, run) and are reduced in run order, so the result does not depend on the number of
 * threads. Every rule, default and assumption is in docs/simulate.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "lode/firm.h"
#include "sim_int.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

enum { NSEC = LODE_SEC_N, PAD = 128 /* bytes between two threads' scratch */ };

/* Weeks per year: baseline tonnes are per year, the simulation steps weeks. */
static const double WEEKS_PER_YEAR = 52.0;
/* Memory traffic of the weekly step, counted (not measured) from the arrays it touches, for
 * benchmarks. Per node-week of an affected material: the fresh-week pass reads cap0, Rn and
 * writes R, Rn, cap (40 bytes); the group capacity pass reads cap (8); the main pass reads grp,
 * share, cap, material, country, dtot0, x0, has_cov, out_start, x_end, R, outside, I, S (85)
 * and writes P, Nq, D, X, T, SR, SRn, phi, rho, shx, shipped, withheld (96); the availability
 * pass reads phi, Nq, SRn (24); the end of week reads share, P, R, outside, I, X, D, phi, Nq,
 * SRn, S, SR, T, shipped, withheld, I_init, S_init, shx, rho (152) and writes used, I, S (24):
 * 429 bytes. Per link-week: out_flow, f_b, f_imp (20) and the buyer's Rn read and written
 * (16): 36 bytes. Group-level arrays (a few thousand groups) are left out; a scattered Rn
 * update that misses cache moves a whole 64-byte line, so on a network larger than cache the
 * true traffic is higher and the ratio a lower bound. */
static const double BYTES_PER_NODE_WEEK = 429.0;
static const double BYTES_PER_LINK_WEEK = 36.0;

/* Relative margin of the outside supply that makes a zero shock leave every node whole in
 * floating point (sums of ~100 terms are exact to ~1e-14 relative). */
static const double OUTSIDE_MARGIN = 1e-12;

/* ---- small helpers ------------------------------------------------------------------------ */

static void *alloc_n(lode_arena *a, size_t n, size_t size)
{
    return lode_arena_calloc(a, n ? n : 1, size);
}

/* Length of [t, t+1) ∩ [s, s + d): the share of week t an event starting at s lasting d
 * covers. */
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

static int *id_ranks(const lode_model *m, int materials, lode_arena *a)
{
    size_t n = materials ? m->n_materials : m->n_countries;
    const int *order = materials ? m->material_order : m->country_order;
    int *rank = alloc_n(a, n, sizeof *rank);
    if (rank == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        rank[order[i]] = (int)i; /* n fits an int: model indexes are ints */
    return rank;
}

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* ---- the network -------------------------------------------------------------------------- */

/* Production of node n this week at capacity cap: each grade needs all its consumed inputs,
 * and makes cap x share x (the smallest availability ratio rho among its inputs, rho[g] of the
 * input's group g in n's country); the part of the output without consumed inputs is made at
 * capacity. With `used`, adds what was consumed to the input groups of affected materials.
 * Always inlined: the weekly step calls it per node, and the call cost more than its work. */
static inline __attribute__((always_inline)) double produce(const sim_net *net,
                                                            const unsigned char *aff, size_t n,
                                                            double cap, const double *rho,
                                                            double *used)
{
    size_t k = (size_t)net->material[n], c = (size_t)net->country[n];
    size_t nc = (size_t)net->nc;
    double p = 0;
    for (size_t g = net->g_start[k]; g < net->g_start[k + 1]; g++) {
        double mr = 1;
        for (size_t j = net->gi_start[g]; j < net->gi_start[g + 1]; j++) {
            int ni = net->node_of[(size_t)net->gi_mat[j] * nc + c];
            if (ni >= 0 && rho[ni] < mr)
                mr = rho[ni];
        }
        double pg = cap * net->g_share[g] * mr;
        p += pg;
        if (used == NULL || pg <= 0)
            continue;
        for (size_t j = net->gi_start[g]; j < net->gi_start[g + 1]; j++) {
            int ni = net->node_of[(size_t)net->gi_mat[j] * nc + c];
            if (ni >= 0 && aff[net->gi_mat[j]])
                used[ni] += pg * net->gi_coef[j];
        }
    }
    return p + cap * net->rem[k];
}

/* Materials in an order where every consumed input comes before its outputs (Kahn). */
static lode_status topo_order(const lode_model *m, sim_net *net, lode_arena *a, lode_err *err)
{
    size_t nm = (size_t)net->nm;
    int *indeg = alloc_n(a, nm, sizeof *indeg);
    int *queue = alloc_n(a, nm, sizeof *queue);
    unsigned char *edge = alloc_n(a, nm * nm, 1);
    net->dn_start = alloc_n(a, nm + 1, sizeof *net->dn_start);
    net->topo = alloc_n(a, nm, sizeof *net->topo);
    if (!indeg || !queue || !edge || !net->dn_start || !net->topo)
        return OOM(err);
    size_t n_edges = 0;
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        size_t e = (size_t)r->input * nm + (size_t)r->output;
        if (!r->consumed || edge[e])
            continue;
        if (r->input == r->output)
            return LODE_FAIL(err, LODE_EINPUT, r->prov.path, r->prov.line, "input",
                             "material \"%s\" is consumed to make itself", r->output_id);
        edge[e] = 1;
        indeg[r->output]++;
        net->dn_start[r->input + 1]++;
        n_edges++;
    }
    for (size_t k = 0; k < nm; k++)
        net->dn_start[k + 1] += net->dn_start[k];
    net->dn_mat = alloc_n(a, n_edges, sizeof *net->dn_mat);
    if (!net->dn_mat)
        return OOM(err);
    size_t *fill = alloc_n(a, nm, sizeof *fill);
    if (!fill)
        return OOM(err);
    for (size_t i = 0; i < nm; i++)
        for (size_t o = 0; o < nm; o++)
            if (edge[i * nm + o])
                net->dn_mat[net->dn_start[i] + fill[i]++] = (int)o;
    size_t head = 0, tail = 0;
    for (size_t k = 0; k < nm; k++)
        if (indeg[k] == 0)
            queue[tail++] = (int)k;
    while (head < tail) {
        int k = queue[head++];
        net->topo[head - 1] = k;
        for (size_t j = net->dn_start[k]; j < net->dn_start[k + 1]; j++)
            if (--indeg[net->dn_mat[j]] == 0)
                queue[tail++] = net->dn_mat[j];
    }
    if (head < nm) {
        for (size_t k = 0; k < nm; k++)
            if (indeg[k] > 0)
                return LODE_FAIL(err, LODE_EINPUT, m->materials[k].prov.path, 0, "recipes",
                                 "consumed inputs form a cycle through material \"%s\"",
                                 m->materials[k].id);
    }
    return LODE_OK;
}

/* Grades of each output: distinct grade names among its consumed recipe rows, each with the
 * grade_share of its first row; shares summing above 1 are normalised, the rest of the
 * output needs no consumed input. */
static lode_status build_grades(const lode_model *m, sim_net *net, lode_arena *a, lode_err *err)
{
    size_t nm = (size_t)net->nm, nr = m->n_recipes;
    int *grade_of = alloc_n(a, nr, sizeof *grade_of); /* row -> grade number */
    size_t *first = alloc_n(a, nr, sizeof *first);    /* grade -> its first row */
    net->g_start = alloc_n(a, nm + 1, sizeof *net->g_start);
    net->rem = alloc_n(a, nm, sizeof *net->rem);
    if (!grade_of || !first || !net->g_start || !net->rem)
        return OOM(err);
    size_t ng = 0;
    for (size_t k = 0; k < nm; k++) {
        net->g_start[k] = ng;
        for (size_t i = 0; i < nr; i++) {
            const lode_recipe *r = &m->recipes[i];
            if ((size_t)r->output != k || !r->consumed)
                continue;
            size_t g = net->g_start[k];
            while (g < ng && !same_str(m->recipes[first[g]].grade, r->grade))
                g++;
            if (g == ng)
                first[ng++] = i;
            grade_of[i] = (int)g;
        }
    }
    net->g_start[nm] = ng;
    net->g_share = alloc_n(a, ng, sizeof *net->g_share);
    net->gi_start = alloc_n(a, ng + 1, sizeof *net->gi_start);
    if (!net->g_share || !net->gi_start)
        return OOM(err);
    size_t nin = 0;
    for (size_t i = 0; i < nr; i++)
        if (m->recipes[i].consumed) {
            net->gi_start[grade_of[i] + 1]++;
            nin++;
        }
    for (size_t g = 0; g < ng; g++)
        net->gi_start[g + 1] += net->gi_start[g];
    net->gi_mat = alloc_n(a, nin, sizeof *net->gi_mat);
    net->gi_coef = alloc_n(a, nin, sizeof *net->gi_coef);
    size_t *fill = alloc_n(a, ng, sizeof *fill);
    if (!net->gi_mat || !net->gi_coef || !fill)
        return OOM(err);
    for (size_t i = 0; i < nr; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (!r->consumed)
            continue;
        size_t g = (size_t)grade_of[i], j = net->gi_start[g] + fill[g]++;
        net->gi_mat[j] = r->input;
        net->gi_coef[j] = r->t_per_t * m->base.inter_scale[r->input];
    }
    for (size_t k = 0; k < nm; k++) {
        double sum = 0;
        for (size_t g = net->g_start[k]; g < net->g_start[k + 1]; g++) {
            double sh = m->recipes[first[g]].grade_share;
            net->g_share[g] = sh > 0 ? sh : 0;
            sum += net->g_share[g];
        }
        if (sum > 1) {
            for (size_t g = net->g_start[k]; g < net->g_start[k + 1]; g++)
                net->g_share[g] /= sum;
            sum = 1;
        }
        net->rem[k] = net->g_start[k] == net->g_start[k + 1] ? 1 : 1 - sum;
    }
    return LODE_OK;
}

/* ---- national stockpiles ------------------------------------------------------------------ */

/* Rare-earth materials for a stockpile scope that says "rare earths" or "REE": refined and
 * later stages of these id prefixes (docs/simulate.md). */
static const char *const ree_prefixes[] = {"REO_", "NdPr_", "Dy_", "Tb_", "NdFeB_"};

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Does scope token tok [len bytes] name material k? An exact id, or an element symbol
 * (1-2 letters, capital first) for the refined and later materials "<sym>_...". */
static int token_names(const lode_model *m, size_t k, const char *tok, size_t len, int ree)
{
    const lode_material *mm = &m->materials[k];
    if (strlen(mm->id) == len && strncmp(mm->id, tok, len) == 0)
        return 1;
    if (mm->stage == LODE_STAGE_MINE)
        return 0;
    if (ree) {
        for (size_t i = 0; i < sizeof ree_prefixes / sizeof ree_prefixes[0]; i++)
            if (starts_with(mm->id, ree_prefixes[i]))
                return 1;
        return 0;
    }
    if (len > 2 || tok[0] < 'A' || tok[0] > 'Z')
        return 0;
    return strncmp(mm->id, tok, len) == 0 && mm->id[len] == '_';
}

static int is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

/* Does the stockpile scope cover material k? */
static int scope_covers(const lode_model *m, const char *scope, size_t k)
{
    const char *p = scope ? scope : "";
    const char *prev = NULL;
    size_t prev_len = 0;
    while (*p) {
        while (*p && !is_word_char(*p))
            p++;
        const char *tok = p;
        while (*p && is_word_char(*p))
            p++;
        size_t len = (size_t)(p - tok);
        if (len == 0)
            break;
        int ree = (len == 3 && strncmp(tok, "REE", 3) == 0) ||
                  (prev && prev_len == 4 && strncmp(prev, "rare", 4) == 0 &&
                   (len == 5 || len == 6) && strncmp(tok, "earth", 5) == 0);
        if (token_names(m, k, tok, len, ree))
            return 1;
        prev = tok;
        prev_len = len;
    }
    return 0;
}

/* Days of use a stockpile row holds: "N days" at the start of known_holdings, else a target
 * in days; -1 if neither. */
static double stock_days(const lode_stockpile *r)
{
    if (r->known_holdings && r->known_holdings[0]) {
        char *end;
        double d = strtod(r->known_holdings, &end);
        while (*end == ' ')
            end++;
        if (end != r->known_holdings && d > 0 && strncmp(end, "day", 3) == 0)
            return d;
    }
    if (r->has_target && r->target > 0 && same_str(r->target_unit, "days"))
        return r->target;
    return -1;
}

static void build_stocks(const lode_model *m, sim_net *net)
{
    size_t nc = (size_t)net->nc;
    for (size_t i = 0; i < m->n_stockpiles; i++) {
        const lode_stockpile *r = &m->stockpiles[i];
        if (r->holder < 0)
            continue;
        double days = stock_days(r);
        int tonnes = r->has_target && r->target > 0 &&
                     (same_str(r->target_unit, "tonnes") || same_str(r->target_unit, "t"));
        int single = tonnes ? lode_model_material(m, r->scope) : -1;
        for (size_t k = 0; k < (size_t)net->nm; k++) {
            int n = net->node_of[k * nc + (size_t)r->holder];
            if (n < 0)
                continue;
            if (single >= 0 && (size_t)single == k)
                net->stock0[n] += r->target;
            else if (days > 0 && scope_covers(m, r->scope, k))
                net->stock0[n] += days / 7.0 * net->use0[n];
        }
    }
}

/* ---- building the net --------------------------------------------------------------------- */

lode_status sim_net_build(const lode_model *m, lode_arena *a, sim_net *net, lode_err *err)
{
    memset(net, 0, sizeof *net);
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "the model is not frozen");
    const lode_baseline *b = &m->base;
    size_t nm = m->n_materials, nc = m->n_countries;
    net->m = m;
    net->nm = (int)nm; /* model indexes are ints */
    net->nc = (int)nc;
    LODE_TRY(topo_order(m, net, a, err));
    LODE_TRY(build_grades(m, net, a, err));

    /* Nodes: every (material, country) with any baseline activity. */
    net->node_of = alloc_n(a, nm * nc, sizeof *net->node_of);
    net->mat_start = alloc_n(a, nm + 1, sizeof *net->mat_start);
    if (!net->node_of || !net->mat_start)
        return OOM(err);
    size_t nn = 0;
    for (size_t k = 0; k < nm; k++) {
        net->mat_start[k] = nn;
        for (size_t c = 0; c < nc; c++) {
            size_t i = k * nc + c;
            int active = b->prod_t[i] > 0 || b->inter_t[i] > 0 || b->final_t[i] > 0 ||
                         b->imports_t[i] > 0 || b->exports_t[i] > 0;
            net->node_of[i] = active ? (int)nn : -1;
            nn += (size_t)active;
        }
    }
    net->mat_start[nm] = nn;
    net->nn = nn;
#define NODE_ARRAY(f, n_)                                                                          \
    do {                                                                                           \
        net->f = alloc_n(a, (n_), sizeof *net->f);                                                 \
        if (net->f == NULL)                                                                        \
            return OOM(err);                                                                       \
    } while (0)
    NODE_ARRAY(country, nn);
    NODE_ARRAY(material, nn);
    NODE_ARRAY(cap0, nn);
    NODE_ARRAY(dem0, nn * NSEC);
    NODE_ARRAY(dtot0, nn);
    NODE_ARRAY(use0, nn);
    NODE_ARRAY(stock0, nn);
    NODE_ARRAY(p0, nn);
    NODE_ARRAY(r0, nn);
    NODE_ARRAY(x0, nn);
    NODE_ARRAY(nq0, nn);
    NODE_ARRAY(outside, nn);
    NODE_ARRAY(ex_of, nn);
    NODE_ARRAY(out_start, nn + 1);
    NODE_ARRAY(req_start, nn + 1);
    for (size_t k = 0; k < nm; k++)
        for (size_t c = 0; c < nc; c++) {
            int n = net->node_of[k * nc + c];
            if (n < 0)
                continue;
            net->country[n] = (int)c;
            net->material[n] = (int)k;
            net->cap0[n] = b->prod_t[k * nc + c] / WEEKS_PER_YEAR;
        }
    for (size_t i = 0; i < m->n_demand; i++) {
        const lode_demand *r = &m->demand[i];
        int n = net->node_of[(size_t)r->material * nc + (size_t)r->country];
        if (n >= 0 && r->tonnes > 0 && (int)r->sector >= 0 && r->sector < LODE_SEC_N)
            net->dem0[(size_t)n * NSEC + r->sector] += r->tonnes;
    }
    for (size_t n = 0; n < nn; n++) {
        double sum = 0;
        for (size_t s = 0; s < NSEC; s++) {
            net->dem0[n * NSEC + s] /= WEEKS_PER_YEAR;
            sum += net->dem0[n * NSEC + s];
        }
        net->dtot0[n] = sum;
    }

    /* Flows of the baseline year, out of each exporter node in trade order. */
    size_t nf = 0;
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        if (f->tonnes > 0 && f->exporter != f->importer) {
            net->out_start[net->node_of[(size_t)f->material * nc + (size_t)f->exporter] + 1]++;
            nf++;
        }
    }
    net->nf = nf;
    net->f_exp = alloc_n(a, nf, sizeof *net->f_exp);
    net->f_imp = alloc_n(a, nf, sizeof *net->f_imp);
    net->f_b = alloc_n(a, nf, sizeof *net->f_b);
    net->f_src = alloc_n(a, nf, sizeof *net->f_src);
    net->out_flow = alloc_n(a, nf, sizeof *net->out_flow);
    size_t *fill = alloc_n(a, nn, sizeof *fill);
    if (!net->f_exp || !net->f_imp || !net->f_b || !net->f_src || !net->out_flow || !fill)
        return OOM(err);
    for (size_t n = 0; n < nn; n++)
        net->out_start[n + 1] += net->out_start[n];
    nf = 0;
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        if (!(f->tonnes > 0 && f->exporter != f->importer))
            continue;
        int e = net->node_of[(size_t)f->material * nc + (size_t)f->exporter];
        net->f_exp[nf] = e;
        net->f_imp[nf] = net->node_of[(size_t)f->material * nc + (size_t)f->importer];
        net->f_b[nf] = f->tonnes / WEEKS_PER_YEAR;
        net->f_src[nf] = (int)i;
        net->out_flow[net->out_start[e] + fill[e]++] = nf;
        nf++;
    }

    /* Input need terms: node (input, c) needs cap[(output, c)] x share x coef per week. */
    size_t nt = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t n = 0; n < nn; n++)
                net->req_start[n + 1] += net->req_start[n];
            net->req_out = alloc_n(a, nt, sizeof *net->req_out);
            net->req_f = alloc_n(a, nt, sizeof *net->req_f);
            if (!net->req_out || !net->req_f)
                return OOM(err);
            memset(fill, 0, nn * sizeof *fill);
        }
        for (size_t n = 0; n < nn; n++) {
            size_t k = (size_t)net->material[n], c = (size_t)net->country[n];
            for (size_t g = net->g_start[k]; g < net->g_start[k + 1]; g++)
                for (size_t j = net->gi_start[g]; j < net->gi_start[g + 1]; j++) {
                    int ni = net->node_of[(size_t)net->gi_mat[j] * nc + c];
                    if (ni < 0)
                        continue;
                    if (pass == 0) {
                        net->req_start[ni + 1]++;
                        nt++;
                    } else {
                        size_t t = net->req_start[ni] + fill[ni]++;
                        net->req_out[t] = (int)n;
                        net->req_f[t] = net->g_share[g] * net->gi_coef[j];
                    }
                }
        }
    }

    /* Baseline week as the simulation computes it, and the outside supply that closes it. */
    double *ones = alloc_n(a, nn, sizeof *ones);
    if (!ones)
        return OOM(err);
    for (size_t n = 0; n < nn; n++)
        ones[n] = 1;
    for (size_t n = 0; n < nn; n++) {
        net->p0[n] = produce(net, NULL, n, net->cap0[n], ones, NULL);
        double nq = 0, x = 0;
        for (size_t j = net->req_start[n]; j < net->req_start[n + 1]; j++)
            nq += net->cap0[net->req_out[j]] * net->req_f[j];
        net->nq0[n] = nq;
        for (size_t j = net->out_start[n]; j < net->out_start[n + 1]; j++) {
            size_t f = net->out_flow[j];
            x += net->f_b[f];
            net->r0[net->f_imp[f]] += net->f_b[f];
        }
        net->x0[n] = x;
        net->use0[n] = nq + net->dtot0[n];
    }
    for (size_t n = 0; n < nn; n++) {
        double claims = net->x0[n] + net->nq0[n] + net->dtot0[n];
        double have = net->p0[n] + net->r0[n];
        net->outside[n] = (claims > have ? claims - have : 0) + OUTSIDE_MARGIN * (claims + have);
    }
    net->n_ex = 0;
    for (size_t n = 0; n < nn; n++)
        net->ex_of[n] = net->x0[n] > 0 ? (int)net->n_ex++ : -1;
    build_stocks(m, net);
    net->crank = id_ranks(m, 0, a);
    net->mrank = id_ranks(m, 1, a);
    if (!net->crank || !net->mrank)
        return OOM(err);

    /* Each node is its own group: the group arrays are the node arrays. */
    NODE_ARRAY(grp, nn);
    NODE_ARRAY(share, nn);
    NODE_ARRAY(gn_start, nn + 1);
    NODE_ARRAY(g_main, nn);
    for (size_t n = 0; n < nn; n++) {
        net->grp[n] = net->g_main[n] = (int)n;
        net->share[n] = 1;
        net->gn_start[n + 1] = n + 1;
    }
    net->ng = nn;
    net->one_node = 1;
    net->xx0 = net->x0;
    net->x_end = net->out_start + 1;
    net->g_mat_start = net->mat_start;
    net->g_country = net->country;
    net->g_material = net->material;
    net->g_dtot0 = net->dtot0;
    net->g_cap0 = net->cap0;
    net->g_x0 = net->x0;
    return LODE_OK;
#undef NODE_ARRAY
}

/* ---- a firm network's net ----------------------------------------------------------------- */

static lode_status firm_bad(lode_err *err, size_t n, const char *field, const char *what)
{
    return LODE_FAIL(err, LODE_EINPUT, "", 0, field, "firm %zu: %s", n, what);
}

lode_status sim_net_build_firms(const lode_model *m, const lode_firmnet *fn, lode_arena *a,
                                sim_net *net, lode_err *err)
{
    /* The country net gives the groups, recipes, demand by sector and stockpiles; then the
     * node level is replaced by the firms. */
    LODE_TRY(sim_net_build(m, a, net, err));
    net->one_node = 0; /* even with one firm per group: the test compares the two steps */
    const size_t ng = net->ng, nm = (size_t)net->nm, nc = (size_t)net->nc;
    const size_t N = fn->n_nodes, L = fn->n_links;
    const double *gstock = net->stock0, *gnq0 = net->nq0;
    if (N > (size_t)INT32_MAX || L > (size_t)INT32_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "too many firms or links: %zu, %zu", N, L);
#define ARR(f, n_)                                                                                 \
    do {                                                                                           \
        net->f = alloc_n(a, (n_), sizeof *net->f);                                                 \
        if (net->f == NULL)                                                                        \
            return OOM(err);                                                                       \
    } while (0)
    ARR(country, N);
    ARR(material, N);
    ARR(grp, N);
    ARR(share, N);
    ARR(cap0, N);
    ARR(dtot0, N);
    ARR(use0, N);
    ARR(stock0, N);
    ARR(p0, N);
    ARR(r0, N);
    ARR(x0, N);
    ARR(xx0, N);
    ARR(nq0, N);
    ARR(outside, N);
    ARR(mat_start, nm + 1);
    ARR(out_start, N + 1);
    ARR(gn_start, ng + 1);
    ARR(g_main, ng);
    ARR(g_cap0, ng);
    ARR(g_x0, ng);
    ARR(ex_of, ng);
    ARR(f_exp, L);
    ARR(f_imp, L);
    ARR(f_b, L);
    ARR(f_src, L);
    ARR(out_flow, L);
#undef ARR
    size_t *x_end = alloc_n(a, N, sizeof *x_end);
    double *gu = alloc_n(a, ng, sizeof *gu), *ones = alloc_n(a, ng, sizeof *ones);
    if (!x_end || !gu || !ones)
        return OOM(err);
    net->x_end = x_end;
    net->nn = N;
    net->nf = L;

    /* Firms: their groups, in order. */
    int prev = 0;
    for (size_t n = 0; n < N; n++) {
        int k = fn->material[n], c = fn->country[n];
        if (k < 0 || (size_t)k >= nm || c < 0 || (size_t)c >= nc)
            return firm_bad(err, n, "material", "unknown material or country index");
        int g = net->node_of[(size_t)k * nc + (size_t)c];
        if (g < 0)
            return LODE_FAIL(err, LODE_EINPUT, "", 0, "country",
                             "firm %zu: %s has no baseline production, use or trade of %s", n,
                             m->countries[c].iso3, m->materials[k].id);
        if (g < prev)
            return firm_bad(err, n, "", "firms are not grouped by (material, country)");
        if (!(fn->cap_t[n] >= 0) || !(fn->dem_t[n] >= 0))
            return firm_bad(err, n, "capacity_tpa", "capacity and use must be >= 0");
        prev = g;
        net->country[n] = c;
        net->material[n] = k;
        net->grp[n] = g;
        net->gn_start[g + 1]++;
        gu[g] += fn->dem_t[n];
    }
    for (size_t g = 0; g < ng; g++) {
        net->gn_start[g + 1] += net->gn_start[g];
        ones[g] = 1;
    }
    for (size_t k = 0; k <= nm; k++)
        net->mat_start[k] = net->gn_start[net->g_mat_start[k]];
    for (size_t n = 0; n < N; n++) {
        size_t g = (size_t)net->grp[n];
        double cnt = (double)(net->gn_start[g + 1] - net->gn_start[g]);
        double sh = gu[g] > 0 ? fn->dem_t[n] / gu[g] : 1.0 / cnt;
        net->share[n] = sh;
        net->cap0[n] = fn->cap_t[n] / WEEKS_PER_YEAR;
        net->dtot0[n] = sh * net->g_dtot0[g];
        net->stock0[n] = sh * gstock[g];
        net->nq0[n] = sh * gnq0[g];
        net->use0[n] = net->nq0[n] + net->dtot0[n];
    }

    /* Links, CSR by supplier: those crossing a border first, each part in the given order. */
    size_t j = 0;
    for (size_t n = 0; n < N; n++) {
        size_t l0 = fn->out_start[n], l1 = fn->out_start[n + 1];
        if (l1 < l0 || l1 > L)
            return firm_bad(err, n, "supplier", "bad link rows");
        net->out_start[n] = j;
        for (int dom = 0; dom < 2; dom++) {
            for (size_t l = l0; l < l1; l++) {
                size_t b = fn->buyer[l];
                if (b >= N || b == n)
                    return firm_bad(err, n, "buyer", "a link to an unknown firm or to itself");
                if (fn->material[b] != fn->material[n])
                    return firm_bad(err, n, "material",
                                    "a link to a firm of another material");
                if ((fn->country[b] == fn->country[n]) != dom)
                    continue;
                if (!(fn->link_t[l] >= 0))
                    return firm_bad(err, n, "tonnes", "link tonnes must be >= 0");
                double q = fn->link_t[l] / WEEKS_PER_YEAR;
                net->f_exp[j] = (int)n;
                net->f_imp[j] = (int)b;
                net->f_b[j] = q;
                net->f_src[j] = -1;
                net->out_flow[j] = j;
                net->x0[n] += q;
                if (!dom)
                    net->xx0[n] += q;
                net->r0[b] += q;
                j++;
            }
            if (!dom)
                x_end[n] = j;
        }
    }
    net->out_start[N] = j;

    /* Baseline production and the outside supply that closes each firm's week. */
    for (size_t n = 0; n < N; n++) {
        net->p0[n] = produce(net, NULL, n, net->cap0[n], ones, NULL);
        double claims = net->x0[n] + net->nq0[n] + net->dtot0[n];
        double have = net->p0[n] + net->r0[n];
        net->outside[n] = (claims > have ? claims - have : 0) + OUTSIDE_MARGIN * (claims + have);
        size_t g = (size_t)net->grp[n];
        net->g_cap0[g] += net->cap0[n];
        net->g_x0[g] += net->xx0[n];
    }
    net->n_ex = 0;
    for (size_t g = 0; g < ng; g++) {
        net->ex_of[g] = net->g_x0[g] > 0 ? (int)net->n_ex++ : -1;
        int best = -1;
        for (size_t n = net->gn_start[g]; n < net->gn_start[g + 1]; n++)
            if (best < 0 || net->r0[n] > net->r0[best])
                best = (int)n;
        net->g_main[g] = best;
    }
    return LODE_OK;
}

/* ---- preparing a scenario ----------------------------------------------------------------- */

static int list_has(const int *list, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == x)
            return 1;
    return 0;
}

static int dist_random(const lode_dist *d)
{
    return d->kind != LODE_DIST_FIXED;
}

lode_status sim_plan_build(const sim_net *net, const lode_scenario *s, int weeks, int full,
                           lode_arena *a, sim_plan *pl, lode_err *err)
{
    const lode_model *m = net->m;
    size_t nm = (size_t)net->nm, nc = (size_t)net->nc, nn = net->nn, nf = net->nf, ng = net->ng;
    memset(pl, 0, sizeof *pl);
    pl->net = net;
    pl->s = s;
    pl->weeks = weeks;
    pl->prm = s->params;
    pl->np = s->n_policies;
    pl->aff = alloc_n(a, nm, 1);
    pl->aff_list = alloc_n(a, nm, sizeof *pl->aff_list);
    pl->pol_on = alloc_n(a, pl->np, 1);
    size_t *pm_base = alloc_n(a, pl->np + 1, sizeof *pm_base);
    if (!pl->aff || !pl->aff_list || !pl->pol_on || !pm_base)
        return OOM(err);

    /* Materials a shock touches, then everything made from them. */
    for (size_t p = 0; p < pl->np; p++) {
        const lode_sim_policy *q = &s->policies[p];
        pl->pol_on[p] =
            (q->kind == LODE_POL_BAN || q->kind == LODE_POL_LICENCE || q->kind == LODE_POL_QUOTA) &&
            q->n_materials > 0;
        pm_base[p + 1] = pm_base[p] + q->n_materials;
        for (size_t j = 0; pl->pol_on[p] && j < q->n_materials; j++)
            pl->aff[q->materials[j]] = 1;
    }
    for (size_t i = 0; i < s->n_outages; i++)
        if (s->outages[i].material >= 0)
            pl->aff[s->outages[i].material] = 1;
    for (size_t i = 0; i < s->n_demand_shocks; i++) {
        int k = s->demand_shocks[i].material;
        for (size_t j = 0; j < nm; j++)
            if (k < 0 || (size_t)k == j)
                pl->aff[j] = 1;
    }
    for (size_t t = 0; t < nm; t++) { /* topological order: inputs are marked first */
        int k = net->topo[t];
        if (full)
            pl->aff[k] = 1;
        if (!pl->aff[k])
            continue;
        for (size_t j = net->dn_start[k]; j < net->dn_start[k + 1]; j++)
            pl->aff[net->dn_mat[j]] = 1;
        pl->aff_list[pl->n_aff++] = k;
    }

    /* Policies covering each flow, and where each (policy, material)'s diverted share goes. */
    pl->n_pm = pm_base[pl->np];
    pl->fc_start = alloc_n(a, nf + 1, sizeof *pl->fc_start);
    pl->has_cov = alloc_n(a, nn, 1);
    pl->pm_exp = alloc_n(a, pl->n_pm, sizeof *pl->pm_exp);
    pl->pmn_start = alloc_n(a, ng + 1, sizeof *pl->pmn_start);
    pl->dv_start = alloc_n(a, pl->n_pm + 1, sizeof *pl->dv_start);
    if (!pl->fc_start || !pl->has_cov || !pl->pm_exp || !pl->pmn_start || !pl->dv_start)
        return OOM(err);
    size_t n_cov = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            pl->fc_pol = alloc_n(a, n_cov, sizeof *pl->fc_pol);
            pl->fc_pm = alloc_n(a, n_cov, sizeof *pl->fc_pm);
            if (!pl->fc_pol || !pl->fc_pm)
                return OOM(err);
        }
        n_cov = 0;
        for (size_t f = 0; f < nf; f++) {
            int e = net->f_exp[f], i = net->f_imp[f];
            int k = net->material[e];
            if (pass == 0)
                pl->fc_start[f] = n_cov;
            /* export controls apply to exports: a link within a country is never covered */
            for (size_t p = 0; p < pl->np && pl->aff[k] && net->country[e] != net->country[i];
                 p++) {
                const lode_sim_policy *q = &s->policies[p];
                if (!pl->pol_on[p] || q->country != net->country[e])
                    continue;
                size_t j = 0;
                while (j < q->n_materials && q->materials[j] != k)
                    j++;
                if (j == q->n_materials)
                    continue;
                if (q->n_targets > 0 && !list_has(q->targets, q->n_targets, net->country[i]))
                    continue;
                if (pass == 1) {
                    pl->fc_pol[n_cov] = (int)p;
                    pl->fc_pm[n_cov] = (int)(pm_base[p] + j);
                    pl->has_cov[e] = 1;
                }
                n_cov++;
            }
        }
        pl->fc_start[nf] = n_cov;
    }
    size_t n_dv = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            pl->dv_node = alloc_n(a, n_dv, sizeof *pl->dv_node);
            pl->dv_w = alloc_n(a, n_dv, sizeof *pl->dv_w);
            pl->pmn_pm = alloc_n(a, pl->n_pm, sizeof *pl->pmn_pm);
            if (!pl->dv_node || !pl->dv_w || !pl->pmn_pm)
                return OOM(err);
            for (size_t g = 0; g < ng; g++)
                pl->pmn_start[g + 1] += pl->pmn_start[g];
        }
        n_dv = 0;
        size_t *fill = pass == 1 ? alloc_n(a, ng, sizeof *fill) : NULL;
        if (pass == 1 && !fill)
            return OOM(err);
        for (size_t p = 0; p < pl->np; p++) {
            const lode_sim_policy *q = &s->policies[p];
            for (size_t j = 0; j < q->n_materials; j++) {
                size_t pm = pm_base[p] + j, k = (size_t)q->materials[j];
                int e = pl->pol_on[p] ? net->node_of[k * nc + (size_t)q->country] : -1;
                if (pass == 0) {
                    pl->dv_start[pm] = n_dv;
                    pl->pm_exp[pm] = e;
                    if (e >= 0)
                        pl->pmn_start[e + 1]++;
                } else if (e >= 0) {
                    pl->pmn_pm[pl->pmn_start[e] + fill[e]++] = (int)pm;
                }
                if (e < 0 || q->n_targets == 0 || !(q->diverted > 0))
                    continue;
                double sum = 0;
                for (size_t c = 0; c < nc; c++) {
                    int g = net->node_of[k * nc + c], n = g < 0 ? -1 : net->g_main[g];
                    if (n < 0 || (int)c == q->country || list_has(q->targets, q->n_targets, (int)c))
                        continue;
                    double w = m->base.imports_t[k * nc + c];
                    if (!(w > 0))
                        continue;
                    if (pass == 1) {
                        pl->dv_node[n_dv] = n;
                        pl->dv_w[n_dv] = w;
                    }
                    sum += w;
                    n_dv++;
                }
                if (pass == 1)
                    for (size_t d = pl->dv_start[pm]; d < n_dv; d++)
                        pl->dv_w[d] /= sum;
            }
        }
        if (pass == 0)
            pl->dv_start[pl->n_pm] = n_dv;
    }

    /* Outages: the node hit and the share of its capacity lost at severity 1. */
    pl->og_node = alloc_n(a, s->n_outages, sizeof *pl->og_node);
    pl->og_frac = alloc_n(a, s->n_outages, sizeof *pl->og_frac);
    if (!pl->og_node || !pl->og_frac)
        return OOM(err);
    for (size_t i = 0; i < s->n_outages; i++) {
        const lode_sim_outage *g = &s->outages[i];
        pl->og_node[i] = -1;
        if (g->material < 0 || g->country < 0)
            continue;
        size_t cell = (size_t)g->material * nc + (size_t)g->country;
        double prod = m->base.prod_t[cell];
        double frac = 1;
        if (g->facility && g->facility[0]) {
            double tpa = 0;
            int found = 0;
            for (size_t j = 0; j < m->n_capacity; j++) {
                const lode_capacity *r = &m->capacity[j];
                if (r->material == g->material && r->country == g->country &&
                    same_str(r->facility, g->facility)) {
                    tpa += r->tpa;
                    found = 1;
                }
            }
            if (!found) {
                char field[64];
                snprintf(field, sizeof field, "outages[%zu].facility", i);
                return LODE_FAIL(err, LODE_EINPUT, s->path ? s->path : "", 0, field,
                                 "no capacity row for facility \"%.80s\" of %s in %s", g->facility,
                                 m->materials[g->material].id, m->countries[g->country].iso3);
            }
            frac = prod > 0 ? (tpa < prod ? tpa / prod : 1) : 0;
        }
        if (prod > 0 && frac > 0) {
            pl->og_node[i] = net->node_of[cell];
            pl->og_frac[i] = frac;
        }
    }

    /* Demand shocks hitting each node (the sector is checked each week). */
    pl->ds_start = alloc_n(a, ng + 1, sizeof *pl->ds_start);
    if (!pl->ds_start)
        return OOM(err);
    size_t n_ds = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            pl->ds_idx = alloc_n(a, n_ds, sizeof *pl->ds_idx);
            if (!pl->ds_idx)
                return OOM(err);
        }
        n_ds = 0;
        for (size_t g = 0; g < ng; g++) {
            pl->ds_start[g] = n_ds;
            for (size_t i = 0; i < s->n_demand_shocks; i++) {
                const lode_sim_demand_shock *d = &s->demand_shocks[i];
                if ((d->country < 0 || d->country == net->g_country[g]) &&
                    (d->material < 0 || d->material == net->g_material[g])) {
                    if (pass == 1)
                        pl->ds_idx[n_ds] = (int)i;
                    n_ds++;
                }
            }
        }
        pl->ds_start[ng] = n_ds;
    }

    pl->n_draws = 3 * (pl->np + s->n_outages + s->n_demand_shocks);
    for (size_t p = 0; p < pl->np; p++) {
        const lode_sim_policy *q = &s->policies[p];
        pl->random |=
            dist_random(&q->start_wk) | dist_random(&q->duration_wk) | dist_random(&q->severity);
    }
    for (size_t i = 0; i < s->n_outages; i++) {
        const lode_sim_outage *g = &s->outages[i];
        pl->random |=
            dist_random(&g->start_wk) | dist_random(&g->duration_wk) | dist_random(&g->severity);
    }
    for (size_t i = 0; i < s->n_demand_shocks; i++) {
        const lode_sim_demand_shock *d = &s->demand_shocks[i];
        pl->random |=
            dist_random(&d->start_wk) | dist_random(&d->duration_wk) | dist_random(&d->change);
    }
    return LODE_OK;
}

lode_status sim_work_new(const sim_net *net, int weeks, size_t np, size_t npm, size_t nd,
                         lode_arena *a, sim_work *w, lode_err *err)
{
    size_t nn = net->nn, nm = (size_t)net->nm;
    memset(w, 0, sizeof *w);
    /* A cache line or two on each side, so two threads' scratch never shares one. */
    if (lode_arena_alloc(a, PAD) == NULL)
        return OOM(err);
    w->nn = nn;
    w->nm = nm;
    w->np_cap = np;
    w->npm_cap = npm;
    w->nd_cap = nd;
    w->weeks = weeks;
    double **node_arrays[] = {&w->cap, &w->rho,  &w->phi,     &w->R,        &w->Rn,
                              &w->I,   &w->S,    &w->I_init,  &w->S_init,   &w->P,
                              &w->Nq,  &w->D,    &w->X,       &w->T,        &w->SR,
                              &w->SRn, &w->used, &w->shipped, &w->withheld, &w->shx};
    for (size_t i = 0; i < sizeof node_arrays / sizeof node_arrays[0]; i++)
        if ((*node_arrays[i] = alloc_n(a, nn, sizeof(double))) == NULL)
            return OOM(err);
    double **group_arrays[] = {&w->capg, &w->nqg, &w->rhog, &w->usedg, &w->availg};
    for (size_t i = 0; i < sizeof group_arrays / sizeof group_arrays[0]; i++)
        if ((*group_arrays[i] = alloc_n(a, net->ng, sizeof(double))) == NULL)
            return OOM(err);
    double **mat_arrays[] = {&w->price, &w->sub, &w->smax, &w->dmul, &w->unserved, &w->req};
    for (size_t i = 0; i < sizeof mat_arrays / sizeof mat_arrays[0]; i++)
        if ((*mat_arrays[i] = alloc_n(a, nm, sizeof(double))) == NULL)
            return OOM(err);
    w->dsec = alloc_n(a, nn * NSEC, sizeof *w->dsec);
    w->shist = alloc_n(a, nm * (size_t)weeks, sizeof *w->shist);
    w->draw = alloc_n(a, nd, sizeof *w->draw);
    w->beta = alloc_n(a, np, sizeof *w->beta);
    w->fl = alloc_n(a, np, sizeof *w->fl);
    w->divacc = alloc_n(a, npm, sizeof *w->divacc);
    if (!w->dsec || !w->shist || !w->draw || !w->beta || !w->fl || !w->divacc ||
        lode_arena_alloc(a, PAD) == NULL)
        return OOM(err);
    return LODE_OK;
}

lode_status sim_runout_new(const sim_net *net, int weeks, lode_arena *a, sim_runout *o,
                           lode_err *err)
{
    size_t ng = net->ng, nm = (size_t)net->nm, W = (size_t)weeks;
    memset(o, 0, sizeof *o);
    if (lode_arena_alloc(a, PAD) == NULL)
        return OOM(err);
    o->cell = alloc_n(a, ng, sizeof *o->cell);
    o->sec = alloc_n(a, ng * NSEC, sizeof *o->sec);
    o->week = alloc_n(a, nm * W, sizeof *o->week);
    o->exports = alloc_n(a, net->n_ex * W, sizeof *o->exports);
    o->price = alloc_n(a, nm * W, sizeof *o->price);
    o->exh = alloc_n(a, ng, sizeof *o->exh);
    if (!o->cell || !o->sec || !o->week || !o->exports || !o->price || !o->exh ||
        lode_arena_alloc(a, PAD) == NULL)
        return OOM(err);
    return LODE_OK;
}

/* ---- one run ------------------------------------------------------------------------------ */

void sim_uniforms(uint64_t seed, long run, uint32_t k, double *u1, double *u2)
{
    uint64_t r = (uint64_t)run;
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t ctr = {{(uint32_t)r, (uint32_t)(r >> 32), k, 0}};
    philox4x32_ctr_t x = philox4x32(ctr, key);
    /* 53 random bits each, centred in their cell so that 0 and 1 never occur. */
    uint64_t a = ((uint64_t)x.v[0] << 21) ^ ((uint64_t)x.v[1] >> 11);
    uint64_t b = ((uint64_t)x.v[2] << 21) ^ ((uint64_t)x.v[3] >> 11);
    *u1 = ((double)a + 0.5) * 0x1p-53;
    *u2 = ((double)b + 0.5) * 0x1p-53;
}

static void draw_dist(const lode_dist *d, uint64_t seed, long run, size_t k, int means, double *out)
{
    double u1, u2;
    if (d->kind == LODE_DIST_FIXED) {
        *out = d->a;
    } else if (means) {
        *out = lode_dist_mean(d);
    } else {
        sim_uniforms(seed, run, (uint32_t)k, &u1, &u2); /* draws per run are few: k fits */
        *out = lode_dist_draw(d, u1, u2);
    }
}

/* Share of week t in which a licence regime in force over [s, s + dur) lets nothing through:
 * the first licences take dp weeks to issue; each covers V weeks of shipments and its renewal
 * is applied for when it is issued, so the next one comes dp weeks later; with V < dp the
 * licence lapses for dp - V weeks of every dp (docs/simulate.md). */
static double processing(double t, double s, double dur, double dp, double V)
{
    if (!(dp > 0))
        return 0;
    double end = s + dur, sum = overlap(t, s, (dp < dur ? dp : dur));
    if (!(V < dp))
        return sum;
    double k0 = floor((t - s) / dp) - 1;
    for (double k = k0 < 1 ? 1 : k0; s + k * dp < t + 1 && s + k * dp < end; k++) {
        double lo = s + k * dp + V, hi = s + (k + 1) * dp;
        if (hi > end)
            hi = end;
        if (hi > lo)
            sum += overlap(t, lo, hi - lo);
    }
    return sum;
}

/* Input need of group g this week, at group capacities capg. */
static inline double group_need(const sim_net *net, const double *capg, size_t g)
{
    double nq = 0;
    for (size_t j = net->req_start[g]; j < net->req_start[g + 1]; j++)
        nq += capg[net->req_out[j]] * net->req_f[j];
    return nq;
}

/* sim_run_one, in two copies: `one` is net->one_node, a constant at each of the two call
 * sites. With one = 1 (the country net) the group level folds away at compile time, a group
 * being its node: its range is that node, its share 1, its capacity, input need and
 * availability ratio the node's own (capg = cap, rhog = rho: the same sums of one term), what
 * it had for inputs (availg) the node's, and no link stays in the country. The arithmetic is
 * the same in both copies, term by term; test_firm checks that a firm network of one firm per
 * group (the other copy) gives the country digest bit for bit. Always inlined: with `one`
 * read at run time, the group passes, per-node group lookups and the end of week's division
 * cost the country net about 40 % of its time. */
static inline __attribute__((always_inline)) void run_one(const sim_plan *pl, sim_work *w,
                                                          sim_runout *o, long run, uint64_t seed,
                                                          int means, const int one)
{
    const sim_net *net = pl->net;
    const lode_scenario *s = pl->s;
    const lode_sim_params *prm = &pl->prm;
    const int W = pl->weeks;
    const size_t nn = net->nn, Wz = (size_t)W;
    const size_t n_pol = pl->np, n_out = s->n_outages, n_ds = s->n_demand_shocks;

    /* This run's draws, in scenario order: policies, outages, demand shocks. */
    size_t k = 0;
    for (size_t p = 0; p < n_pol; p++, k += 3) {
        const lode_sim_policy *q = &s->policies[p];
        draw_dist(&q->start_wk, seed, run, k, means, &w->draw[k]);
        draw_dist(&q->duration_wk, seed, run, k + 1, means, &w->draw[k + 1]);
        draw_dist(&q->severity, seed, run, k + 2, means, &w->draw[k + 2]);
        w->draw[k + 2] = clamp01(w->draw[k + 2]);
    }
    for (size_t i = 0; i < n_out; i++, k += 3) {
        const lode_sim_outage *g = &s->outages[i];
        draw_dist(&g->start_wk, seed, run, k, means, &w->draw[k]);
        draw_dist(&g->duration_wk, seed, run, k + 1, means, &w->draw[k + 1]);
        draw_dist(&g->severity, seed, run, k + 2, means, &w->draw[k + 2]);
        w->draw[k + 2] = clamp01(w->draw[k + 2]);
    }
    for (size_t i = 0; i < n_ds; i++, k += 3) {
        const lode_sim_demand_shock *d = &s->demand_shocks[i];
        draw_dist(&d->start_wk, seed, run, k, means, &w->draw[k]);
        draw_dist(&d->duration_wk, seed, run, k + 1, means, &w->draw[k + 1]);
        draw_dist(&d->change, seed, run, k + 2, means, &w->draw[k + 2]);
        if (w->draw[k + 2] < -1)
            w->draw[k + 2] = -1;
    }
    const double *pd = w->draw, *od = w->draw + 3 * n_pol, *dd = od + 3 * n_out;

    /* Start every node at baseline; affected ones get their stocks and pipeline. */
    const size_t ng = one ? 0 : net->ng; /* with one, capg and rhog are cap and rho */
    for (size_t n = 0; n < nn; n++) {
        w->cap[n] = net->cap0[n];
        w->rho[n] = 1;
    }
    for (size_t g = 0; g < ng; g++) {
        w->capg[g] = net->g_cap0[g];
        w->rhog[g] = 1;
    }
    o->mass_err = 0;
    o->node_weeks = 0;
    o->link_weeks = 0;
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        w->price[km] = 1;
        w->sub[km] = 0;
        w->smax[km] = 0;
        for (size_t n = net->mat_start[km]; n < net->mat_start[km + 1]; n++) {
            /* commercial stocks: weeks of everything the node disposes of, sales across a
             * border included (a firm's deliveries within its country are its buyers' use) */
            w->I[n] = w->I_init[n] = prm->inventory_wk * (net->use0[n] + net->xx0[n]);
            w->S[n] = w->S_init[n] = net->stock0[n];
            w->Rn[n] = net->r0[n];
        }
        for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1]; g++) {
            o->cell[g] = 0;
            memset(&o->sec[g * NSEC], 0, NSEC * sizeof *o->sec);
            o->exh[g] = -1;
        }
        memset(&o->week[km * Wz], 0, Wz * sizeof *o->week);
    }
    double *capg = one ? w->cap : w->capg, *rhog = one ? w->rho : w->rhog;
    int lag = prm->substitution_lag_wk > 1 ? (int)ceil(prm->substitution_lag_wk) : 1;
    if (lag > W + 1)
        lag = W + 1;
    const double eps = prm->price_elasticity;
    const double relwk = prm->stock_release_wk;

    for (int t = 0; t < W; t++) {
        const double tw = (double)t;
        /* Policies this week: blocked share and front-loading. */
        for (size_t p = 0; p < n_pol; p++) {
            const lode_sim_policy *q = &s->policies[p];
            double st = pd[3 * p], du = pd[3 * p + 1], sev = pd[3 * p + 2];
            double act = overlap(tw, st, du);
            double beta = sev * act;
            if (q->kind == LODE_POL_LICENCE) {
                /* severity of a licence = its refusal share, 1 - approval_rate */
                double proc = processing(tw, st, du, q->delay_wd / 5.0, q->validity_wk);
                beta = proc + (act - proc) * sev;
            }
            w->beta[p] = pl->pol_on[p] ? clamp01(beta) : 0;
            w->fl[p] = pl->pol_on[p] && q->announce_wk > 0 && q->frontload > 0
                           ? q->frontload * overlap(tw, st - q->announce_wk, q->announce_wk)
                           : 0;
        }
        /* Affected materials: demand multiplier from price and substitution; fresh week. */
        for (size_t a = 0; a < pl->n_aff; a++) {
            size_t km = (size_t)pl->aff_list[a];
            w->dmul[km] = w->price[km] == 1 && w->sub[km] == 0
                              ? 1
                              : pow(w->price[km], eps) * (1 - w->sub[km]);
            w->unserved[km] = w->req[km] = 0;
            for (size_t n = net->mat_start[km]; n < net->mat_start[km + 1]; n++) {
                w->R[n] = w->Rn[n];
                w->Rn[n] = 0;
                w->cap[n] = net->cap0[n];
            }
            for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1]; g++)
                w->usedg[g] = 0;
        }
        for (size_t i = 0; i < n_out; i++) {
            int g = pl->og_node[i];
            if (g < 0)
                continue;
            double f = 1 - pl->og_frac[i] * od[3 * i + 2] * overlap(tw, od[3 * i], od[3 * i + 1]);
            size_t n0 = one ? (size_t)g : net->gn_start[g];
            size_t n1 = one ? (size_t)g + 1 : net->gn_start[g + 1];
            for (size_t n = n0; n < n1; n++)
                w->cap[n] *= f > 0 ? f : 0;
        }
        /* Capacity of each affected group after outages (its outputs' input need). */
        for (size_t a = 0; a < pl->n_aff && !one; a++) {
            size_t km = (size_t)pl->aff_list[a];
            for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1]; g++) {
                double c = 0;
                for (size_t n = net->gn_start[g]; n < net->gn_start[g + 1]; n++)
                    c += w->cap[n];
                capg[g] = c;
            }
        }

        for (size_t a = 0; a < pl->n_aff; a++) {
            size_t km = (size_t)pl->aff_list[a];
            /* Need of the inputs this week, by group (by node if groups are nodes). */
            for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1] && !one; g++)
                w->nqg[g] = group_need(net, capg, g);
            for (size_t n = net->mat_start[km]; n < net->mat_start[km + 1]; n++) {
                const size_t gn = one ? n : (size_t)net->grp[n];
                const double sh = one ? 1 : net->share[n];
                /* The node's share of its group's input need; production from the inputs in
                 * hand. */
                double nq = one ? group_need(net, capg, n) : sh * w->nqg[gn];
                double P = produce(net, pl->aff, n, w->cap[n], rhog, w->usedg);
                /* Final demand by sector after price, substitution and demand shocks;
                 * dsec holds it only for nodes with demand shocks, else it is dem0 x f. */
                const double *dn = &net->dem0[gn * NSEC];
                double D, fm = w->dmul[km];
                int shocked = pl->ds_start[gn] < pl->ds_start[gn + 1];
                if (!shocked) {
                    D = fm == 1 ? net->dtot0[n] : net->dtot0[n] * fm;
                } else {
                    D = 0;
                    for (size_t sc = 0; sc < NSEC; sc++) {
                        double f = fm, d0 = sh * dn[sc];
                        for (size_t j = pl->ds_start[gn]; j < pl->ds_start[gn + 1]; j++) {
                            size_t i = (size_t)pl->ds_idx[j];
                            int sec = s->demand_shocks[i].sector;
                            if (sec < 0 || (size_t)sec == sc)
                                f *= 1 + dd[3 * i + 2] * overlap(tw, dd[3 * i], dd[3 * i + 1]);
                        }
                        w->dsec[n * NSEC + sc] = d0 * f;
                        D += d0 * f;
                    }
                }
                /* Export orders: the baseline pattern; front-loaded extra orders on top. */
                double X = net->x0[n], Xf = 0;
                if (pl->has_cov[n]) {
                    X = 0;
                    for (size_t j = net->out_start[n]; j < net->out_start[n + 1]; j++) {
                        size_t f = net->out_flow[j];
                        double fls = 0;
                        for (size_t c = pl->fc_start[f]; c < pl->fc_start[f + 1]; c++)
                            fls += w->fl[pl->fc_pol[c]];
                        X += net->f_b[f];
                        Xf += net->f_b[f] * fls;
                    }
                }
                /* Flows first, then commercial inventory, shared in proportion to claims;
                 * then the stockpile for final demand by priority, then input need.
                 * Front-loaded orders get only what is left after every regular claim. */
                double M = P + w->R[n] + net->outside[n];
                double C = X + nq + D, A = M + w->I[n];
                double phi = 1, psi = 0, T = D, SR = 0, SRn = 0, rho = 1;
                if (A >= C) {
                    if (Xf > 0)
                        psi = A - C >= Xf ? 1 : (A - C) / Xf;
                } else {
                    phi = A / C;
                    double gapD = D - phi * D, gapN = nq - phi * nq;
                    double cap_rel = relwk > 0 ? w->S_init[n] / relwk : w->S[n];
                    SR = w->S[n] < cap_rel ? w->S[n] : cap_rel;
                    if (SR > gapD + gapN)
                        SR = gapD + gapN;
                    double SRd = SR < gapD ? SR : gapD;
                    SRn = SR - SRd;
                    T = phi * D + SRd;
                    rho = nq > 0 ? clamp01((phi * nq + SRn) / nq) : 1;
                    if (T < D) { /* priority classes, most protected first */
                        double left = T;
                        for (size_t sc = 0; sc < NSEC; sc++) {
                            double d = shocked ? w->dsec[n * NSEC + sc] : sh * dn[sc] * fm;
                            double sv = d < left ? d : left;
                            left -= sv;
                            o->sec[gn * NSEC + sc] += d - sv;
                        }
                    }
                }
                w->P[n] = P;
                w->Nq[n] = nq;
                w->D[n] = D;
                w->X[n] = phi * X + psi * Xf; /* orders filled, shipped or not */
                w->T[n] = T;
                w->SR[n] = SR;
                w->SRn[n] = SRn;
                w->phi[n] = phi;
                w->rho[n] = rho;
                /* Shipments: arrive next week. Links across a border come first; `dom`
                 * counts a firm's deliveries within its country. */
                double shipped = 0, wh = 0, dom = 0;
                const size_t xe = one ? net->out_start[n + 1] : net->x_end[n];
                if (!pl->has_cov[n]) {
                    size_t j = net->out_start[n];
                    for (; j < xe; j++) {
                        size_t f = net->out_flow[j];
                        double q = phi * net->f_b[f];
                        w->Rn[net->f_imp[f]] += q;
                        shipped += q;
                    }
                    for (; j < net->out_start[n + 1] && !one; j++) {
                        size_t f = net->out_flow[j];
                        double q = phi * net->f_b[f];
                        w->Rn[net->f_imp[f]] += q;
                        dom += q;
                    }
                } else {
                    for (size_t j = pl->pmn_start[gn]; j < pl->pmn_start[gn + 1]; j++)
                        w->divacc[pl->pmn_pm[j]] = 0;
                    for (size_t j = net->out_start[n]; j < net->out_start[n + 1]; j++) {
                        size_t f = net->out_flow[j];
                        double fls = 0;
                        for (size_t c = pl->fc_start[f]; c < pl->fc_start[f + 1]; c++)
                            fls += w->fl[pl->fc_pol[c]];
                        double r = phi * net->f_b[f] + psi * net->f_b[f] * fls;
                        for (size_t c = pl->fc_start[f]; c < pl->fc_start[f + 1]; c++) {
                            int p = pl->fc_pol[c];
                            double blk = r * w->beta[p];
                            double div = blk * clamp01(s->policies[p].diverted);
                            r -= blk;
                            w->divacc[pl->fc_pm[c]] += div;
                            wh += blk - div;
                        }
                        w->Rn[net->f_imp[f]] += r;
                        if (j < xe)
                            shipped += r;
                        else
                            dom += r;
                    }
                    for (size_t j = pl->pmn_start[gn]; j < pl->pmn_start[gn + 1]; j++) {
                        size_t pm = (size_t)pl->pmn_pm[j];
                        double amount = w->divacc[pm];
                        if (amount <= 0)
                            continue;
                        if (pl->dv_start[pm] == pl->dv_start[pm + 1]) {
                            wh += amount; /* nobody outside the targets imports it */
                            continue;
                        }
                        for (size_t d = pl->dv_start[pm]; d < pl->dv_start[pm + 1]; d++) {
                            double q = amount * pl->dv_w[d];
                            w->Rn[pl->dv_node[d]] += q;
                            shipped += q;
                        }
                    }
                }
                w->shx[n] = shipped;
                w->shipped[n] = shipped + dom;
                w->withheld[n] = wh;
            }
            /* Availability of each group's inputs to its country's production (a node's own
             * rho, computed above the same way, when groups are nodes). */
            for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1] && !one; g++) {
                double num = 0, den = 0;
                for (size_t n = net->gn_start[g]; n < net->gn_start[g + 1]; n++) {
                    num += w->phi[n] * w->Nq[n] + w->SRn[n];
                    den += w->Nq[n];
                }
                rhog[g] = den > 0 ? clamp01(num / den) : 1;
                w->availg[g] = num;
            }
        }

        /* End of week: stocks, balance, statistics. The material's sums are kept in locals
         * (in the same order) since the compiler cannot tell they alias no node array. */
        for (size_t a = 0; a < pl->n_aff; a++) {
            size_t km = (size_t)pl->aff_list[a];
            double week_t = o->week[km * Wz + (size_t)t], unserved = w->unserved[km];
            double req = w->req[km], mass_err = o->mass_err;
            for (size_t g = net->g_mat_start[km]; g < net->g_mat_start[km + 1]; g++) {
                double gs = 0, gs0 = 0, gx = 0;
                size_t n0 = one ? g : net->gn_start[g], n1 = one ? g + 1 : net->gn_start[g + 1];
                for (size_t n = n0; n < n1; n++) {
                    /* What the country's production used of the group is drawn from its
                     * nodes in proportion to what each had for it (phi Nq + SRn), so no node
                     * gives more than it had; a country's one node gives it all (av / av is
                     * exactly 1, av being finite and > 0: no division). */
                    double av = w->phi[n] * w->Nq[n] + w->SRn[n];
                    double ag = one ? av : w->availg[g];
                    double used = w->usedg[g] > 0 && ag > 0
                                      ? (one ? w->usedg[g] : w->usedg[g] * (av / ag))
                                      : 0;
                    w->used[n] = used;
                    double I0 = w->I[n], M = w->P[n] + w->R[n] + net->outside[n];
                    double Ie = w->phi[n] == 1 ? I0 + M - w->X[n] - w->D[n] - used
                                               : w->phi[n] * w->Nq[n] + w->SRn[n] - used;
                    if (Ie < 0)
                        Ie = 0; /* rounding; the balance below reports it */
                    double Se = w->S[n] - w->SR[n];
                    if (Se < 0)
                        Se = 0;
                    double lhs = M + w->SR[n] + (I0 > Ie ? I0 - Ie : 0);
                    double rhs =
                        used + w->T[n] + w->shipped[n] + w->withheld[n] + (Ie > I0 ? Ie - I0 : 0);
                    double e = fabs(lhs - rhs);
                    if (e > mass_err)
                        mass_err = e;
                    w->I[n] = Ie;
                    w->S[n] = Se;
                    gs += Ie + Se;
                    gs0 += w->I_init[n] + w->S_init[n];
                    gx += w->shx[n];
                    double short_t = w->D[n] > w->T[n] ? w->D[n] - w->T[n] : 0;
                    double served_n = w->rho[n] * w->Nq[n];
                    o->cell[g] += short_t;
                    week_t += short_t;
                    unserved += short_t + (w->Nq[n] > served_n ? w->Nq[n] - served_n : 0);
                    req += w->D[n] + w->Nq[n];
                }
                if (o->exh[g] < 0 && gs0 > 0 && gs <= 1e-9 * gs0)
                    o->exh[g] = t;
                if (net->ex_of[g] >= 0)
                    o->exports[(size_t)net->ex_of[g] * Wz + (size_t)t] = gx;
            }
            o->week[km * Wz + (size_t)t] = week_t;
            w->unserved[km] = unserved;
            w->req[km] = req;
            o->mass_err = mass_err;
            o->node_weeks += (long)(net->mat_start[km + 1] - net->mat_start[km]);
            o->link_weeks += (long)(net->out_start[net->mat_start[km + 1]] -
                                    net->out_start[net->mat_start[km]]);
            /* Price from this week's global shortfall share; substitution after the lag. */
            double sh = w->req[km] > 0 ? w->unserved[km] / w->req[km] : 0;
            o->price[km * Wz + (size_t)t] = w->price[km];
            w->shist[km * Wz + (size_t)t] = sh;
            w->price[km] = 1 + prm->price_response * sh;
            int tau = t + 1 - lag;
            if (tau >= 0 && w->shist[km * Wz + (size_t)tau] > w->smax[km])
                w->smax[km] = w->shist[km * Wz + (size_t)tau];
            w->sub[km] = w->smax[km] < prm->substitution_max ? w->smax[km] : prm->substitution_max;
            if (w->sub[km] < 0)
                w->sub[km] = 0;
        }
    }
}

void sim_run_one(const sim_plan *pl, sim_work *w, sim_runout *o, long run, uint64_t seed, int means)
{
    if (pl->net->one_node)
        run_one(pl, w, o, run, seed, means, 1);
    else
        run_one(pl, w, o, run, seed, means, 0);
}

/* ---- Monte Carlo -------------------------------------------------------------------------- */

typedef struct mc {
    const sim_plan *pl;
    const sim_net *net;
    uint64_t seed;
    long runs;
    int means;
    sim_work *work;   /* [threads] */
    sim_runout *slot; /* [window] */
    long window;
    int *sc_of; /* [nn] percentile row of an affected node with demand, or -1 */
    size_t n_sc;
    double *store_cell; /* [runs][n_sc] shortfall over the horizon per run */
    double *store_week; /* [runs][n_aff * weeks] shortfall per week per run */
    /* What build_result takes percentiles of: column j of run r is pct_cell[r * cell_stride +
     * j] (store_cell, or the rows of lode_sim_finish), and likewise pct_week. */
    const double *pct_cell, *pct_week;
    size_t cell_stride, week_stride;
    /* Layout of a run's row (lode_sim_rows), offsets in doubles: the percentile cells, the
     * weekly shortfall, then for the affected nodes in order their sector shortfall, exports
     * (exporters only), stock exhaustion week, the prices of the affected materials, and last
     * mass_err, node_weeks and link_weeks. */
    size_t o_week, o_sec, o_exp, o_price, o_exh, o_misc, width;
    int *aff_row;       /* [nm] row among affected materials, or -1 */
    /* run-order sums */
    double *sum_sec, *sum_exp, *sum_price, *exh_sum;
    long *exh_cnt;
    double mass_err;
    long node_weeks, link_weeks;
} mc;

static void mc_item(void *ctx, int worker, long r)
{
    mc *c = ctx;
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    sim_runout *o = &c->slot[r % c->window];
    size_t W = (size_t)pl->weeks, ru = (size_t)r;
    sim_run_one(pl, &c->work[worker], o, r, c->seed, c->means);
    /* Percentile stores have a row per run (so threads never write one cache line): any
     * order will do. */
    double *cell = &c->store_cell[ru * c->n_sc], *week = &c->store_week[ru * pl->n_aff * W];
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        for (size_t n = net->g_mat_start[km]; n < net->g_mat_start[km + 1]; n++)
            if (c->sc_of[n] >= 0)
                cell[c->sc_of[n]] = o->cell[n];
        memcpy(&week[a * W], &o->week[km * W], W * sizeof *week);
    }
}

static void mc_commit(void *ctx, int worker, long r)
{
    mc *c = ctx;
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    const sim_runout *o = &c->slot[r % c->window];
    size_t W = (size_t)pl->weeks;
    (void)worker;
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        for (size_t n = net->g_mat_start[km]; n < net->g_mat_start[km + 1]; n++) {
            for (size_t sc = 0; sc < NSEC; sc++)
                c->sum_sec[n * NSEC + sc] += o->sec[n * NSEC + sc];
            /* Exports and prices are summed as departures from baseline, so a week no
             * run departs from comes out exactly at baseline. */
            if (net->ex_of[n] >= 0)
                for (size_t t = 0; t < W; t++)
                    c->sum_exp[(size_t)net->ex_of[n] * W + t] +=
                        o->exports[(size_t)net->ex_of[n] * W + t] - net->g_x0[n];
            if (o->exh[n] >= 0) {
                c->exh_sum[n] += o->exh[n];
                c->exh_cnt[n]++;
            }
        }
        for (size_t t = 0; t < W; t++)
            c->sum_price[km * W + t] += o->price[km * W + t] - 1;
    }
    if (o->mass_err > c->mass_err)
        c->mass_err = o->mass_err;
    c->node_weeks += o->node_weeks;
    c->link_weeks += o->link_weeks;
}

/* Rearrange x[0..n) so that x[k] is its k-th smallest (0-based), with no larger value
 * before it and no smaller one after (Wirth's selection). */
static void select_k(double *x, size_t n, size_t k)
{
    long l = 0, r = (long)n - 1, kk = (long)k; /* n is a run count: fits a long */
    while (l < r) {
        double piv = x[kk];
        long i = l, j = r;
        do {
            while (x[i] < piv)
                i++;
            while (piv < x[j])
                j--;
            if (i <= j) {
                double tmp = x[i];
                x[i] = x[j];
                x[j] = tmp;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            r = j;
    }
}

/* Quantile q of x[0..n) by linear interpolation between order statistics (R's type 7,
 * numpy's default), x[0..from) being known to hold no value above the ones after it. */
static double quantile(double *x, size_t n, size_t from, double q)
{
    double h = q * (double)(n - 1);
    size_t k = (size_t)h;
    double frac = h - (double)k, v;
    select_k(x + from, n - from, k - from);
    v = x[k];
    if (frac > 0 && k + 1 < n) {
        double next = x[k + 1];
        for (size_t i = k + 2; i < n; i++)
            next = x[i] < next ? x[i] : next;
        v += frac * (next - v);
    }
    return v;
}

/* Mean (summed in run order) and p5, p50, p95 of x[0..n). Reorders x. */
void sim_stats(double *x, size_t n, double *mean, double *p5, double *p50, double *p95)
{
    double sum = 0, lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    *mean = sum / (double)n;
    if (lo == hi) {
        *p5 = *p50 = *p95 = lo;
        return;
    }
    /* The median splits x, so p95 is selected within the upper side only; p5 is selected
     * over the whole array last (its order statistic is counted over all n values, so the
     * lower side alone would give the wrong rank). */
    size_t k50 = (size_t)(0.5 * (double)(n - 1));
    *p50 = quantile(x, n, 0, 0.5);
    *p95 = quantile(x, n, k50, 0.95);
    *p5 = quantile(x, n, 0, 0.05);
}

/* A percentile job: stats() of column j of a runs x width row-major store, into out[0..4)
 * (mean, p5, p50, p95). */
typedef struct stat_job {
    const double *store;
    size_t width, j;
    double *mean, *p5, *p50, *p95;
} stat_job;

typedef struct stat_ctx {
    const stat_job *jobs;
    size_t runs;
    double *col; /* [threads * runs] a column buffer per worker */
} stat_ctx;

static void stat_item(void *ctx, int worker, long i)
{
    const stat_ctx *c = ctx;
    const stat_job *jb = &c->jobs[i];
    double *col = &c->col[(size_t)worker * c->runs];
    for (size_t r = 0; r < c->runs; r++)
        col[r] = jb->store[r * jb->width + jb->j];
    sim_stats(col, c->runs, jb->mean, jb->p5, jb->p50, jb->p95);
}

/* ---- the result --------------------------------------------------------------------------- */

typedef struct node_key {
    int crank, mrank, n;
} node_key;

static int node_key_cmp(const void *pa, const void *pb)
{
    const node_key *x = pa, *y = pb;
    if (x->crank != y->crank)
        return x->crank < y->crank ? -1 : 1;
    return (x->mrank > y->mrank) - (x->mrank < y->mrank);
}

/* Nodes passing `want` in (country id, material id) order; *count of them. */
static int *sorted_nodes(const sim_net *net, int (*want)(const sim_net *, size_t), lode_arena *a,
                         size_t *count)
{
    node_key *keys = alloc_n(a, net->ng, sizeof *keys);
    int *out = alloc_n(a, net->ng, sizeof *out);
    size_t k = 0;
    *count = 0;
    if (!keys || !out)
        return NULL;
    for (size_t n = 0; n < net->ng; n++)
        if (want(net, n)) {
            keys[k].crank = net->crank[net->g_country[n]];
            keys[k].mrank = net->mrank[net->g_material[n]];
            keys[k].n = (int)n;
            k++;
        }
    if (k > 1)
        qsort(keys, k, sizeof *keys, node_key_cmp);
    for (size_t i = 0; i < k; i++)
        out[i] = keys[i].n;
    *count = k;
    return out;
}

static int has_demand(const sim_net *net, size_t n)
{
    return net->g_dtot0[n] > 0;
}

static int is_exporter(const sim_net *net, size_t n)
{
    return net->ex_of[n] >= 0;
}

static int any_node(const sim_net *net, size_t n)
{
    (void)net;
    (void)n;
    return 1;
}

static void hash_u64(sim_sha256 *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    sim_sha256_update(h, b, 8);
}

static void hash_num(sim_sha256 *h, double v)
{
    uint64_t bits;
    if (v == 0)
        v = 0; /* -0 and +0 hash alike */
    memcpy(&bits, &v, sizeof bits);
    hash_u64(h, bits);
}

static void hash_str(sim_sha256 *h, const char *s)
{
    sim_sha256_update(h, s, strlen(s) + 1);
}

static void digest(const lode_model *m, const lode_sim_result *r, char out[65])
{
    sim_sha256 h;
    sim_sha256_init(&h);
    hash_u64(&h, (uint64_t)r->runs);
    hash_u64(&h, (uint64_t)r->weeks);
    hash_u64(&h, r->seed);
    hash_u64(&h, r->n_shortfall);
    for (size_t i = 0; i < r->n_shortfall; i++) {
        const lode_sim_shortfall *x = &r->shortfall[i];
        hash_str(&h, m->countries[x->country].iso3);
        hash_str(&h, m->materials[x->material].id);
        hash_num(&h, x->mean_t);
        hash_num(&h, x->p5_t);
        hash_num(&h, x->p50_t);
        hash_num(&h, x->p95_t);
    }
    hash_u64(&h, r->n_sector_shortfall);
    for (size_t i = 0; i < r->n_sector_shortfall; i++) {
        const lode_sim_sector_shortfall *x = &r->sector_shortfall[i];
        hash_str(&h, m->countries[x->country].iso3);
        hash_str(&h, m->materials[x->material].id);
        hash_u64(&h, (uint64_t)x->sector);
        hash_num(&h, x->mean_t);
    }
    hash_u64(&h, r->n_week_shortfall);
    for (size_t i = 0; i < r->n_week_shortfall; i++) {
        const lode_sim_week_shortfall *x = &r->week_shortfall[i];
        hash_str(&h, m->materials[x->material].id);
        hash_u64(&h, (uint64_t)x->week);
        hash_num(&h, x->mean_t);
        hash_num(&h, x->p5_t);
        hash_num(&h, x->p50_t);
        hash_num(&h, x->p95_t);
    }
    hash_u64(&h, r->n_exports);
    for (size_t i = 0; i < r->n_exports; i++) {
        const lode_sim_export *x = &r->exports[i];
        hash_str(&h, m->countries[x->country].iso3);
        hash_str(&h, m->materials[x->material].id);
        hash_u64(&h, (uint64_t)x->week);
        hash_num(&h, x->baseline_t);
        hash_num(&h, x->mean_t);
    }
    hash_u64(&h, r->n_prices);
    for (size_t i = 0; i < r->n_prices; i++) {
        hash_str(&h, m->materials[r->prices[i].material].id);
        hash_u64(&h, (uint64_t)r->prices[i].week);
        hash_num(&h, r->prices[i].mean);
    }
    hash_u64(&h, r->n_exhaustion);
    for (size_t i = 0; i < r->n_exhaustion; i++) {
        const lode_sim_exhaustion *x = &r->exhaustion[i];
        hash_str(&h, m->countries[x->country].iso3);
        hash_str(&h, m->materials[x->material].id);
        hash_num(&h, x->mean_week);
        hash_num(&h, x->share_runs);
    }
    hash_num(&h, r->mass_balance_max_error_t);
    sim_sha256_hex(&h, out);
}

typedef struct mat_key {
    int mrank, k;
} mat_key;

static int mat_key_cmp(const void *pa, const void *pb)
{
    const mat_key *x = pa, *y = pb;
    return (x->mrank > y->mrank) - (x->mrank < y->mrank);
}

static lode_status build_result(mc *c, int threads, lode_arena *a, lode_sim_result *out,
                                lode_err *err)
{
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    const lode_model *m = net->m;
    size_t W = (size_t)pl->weeks, runs = (size_t)c->runs, nm = (size_t)net->nm;
    double dr = (double)c->runs;
    size_t n_dem = 0, n_ex = 0, n_all = 0;
    int *dem = sorted_nodes(net, has_demand, a, &n_dem);
    int *exps = sorted_nodes(net, is_exporter, a, &n_ex);
    int *all = sorted_nodes(net, any_node, a, &n_all);
    if (!dem || !exps || !all)
        return OOM(err);
    mat_key *mats = alloc_n(a, nm, sizeof *mats);
    double *mat_dem = alloc_n(a, nm, sizeof *mat_dem);
    stat_job *jobs = alloc_n(a, n_dem + nm * W, sizeof *jobs);
    size_t n_jobs = 0;
    stat_ctx sx = {jobs, runs, alloc_n(a, (size_t)threads * runs, sizeof(double))};
    if (!mats || !mat_dem || !jobs || !sx.col)
        return OOM(err);
    for (size_t k = 0; k < nm; k++) {
        mats[k].mrank = net->mrank[k];
        mats[k].k = (int)k;
    }
    qsort(mats, nm, sizeof *mats, mat_key_cmp);
    for (size_t n = 0; n < net->ng; n++)
        mat_dem[net->g_material[n]] += net->g_dtot0[n];

    /* Shortfall by country and material. */
    out->shortfall = alloc_n(a, n_dem, sizeof *out->shortfall);
    if (!out->shortfall)
        return OOM(err);
    out->n_shortfall = n_dem;
    for (size_t i = 0; i < n_dem; i++) {
        size_t n = (size_t)dem[i];
        lode_sim_shortfall *x = &out->shortfall[i];
        x->country = net->g_country[n];
        x->material = net->g_material[n];
        if (c->sc_of[n] >= 0)
            jobs[n_jobs++] =
                (stat_job){c->pct_cell, c->cell_stride, (size_t)c->sc_of[n], &x->mean_t,
                           &x->p5_t,    &x->p50_t,      &x->p95_t};
    }
    /* By sector. */
    size_t n_sec = 0;
    for (size_t i = 0; i < n_dem; i++)
        for (size_t sc = 0; sc < NSEC; sc++)
            n_sec += net->dem0[(size_t)dem[i] * NSEC + sc] > 0;
    out->sector_shortfall = alloc_n(a, n_sec, sizeof *out->sector_shortfall);
    if (!out->sector_shortfall)
        return OOM(err);
    out->n_sector_shortfall = n_sec;
    n_sec = 0;
    for (size_t i = 0; i < n_dem; i++) {
        size_t n = (size_t)dem[i];
        for (size_t sc = 0; sc < NSEC; sc++) {
            if (!(net->dem0[n * NSEC + sc] > 0))
                continue;
            lode_sim_sector_shortfall *x = &out->sector_shortfall[n_sec++];
            x->country = net->g_country[n];
            x->material = net->g_material[n];
            x->sector = (lode_sector)sc;
            x->mean_t = pl->aff[x->material] ? c->sum_sec[n * NSEC + sc] / dr : 0;
        }
    }
    /* By week and material. */
    size_t n_wm = 0;
    for (size_t k = 0; k < nm; k++)
        n_wm += mat_dem[k] > 0 ? W : 0;
    out->week_shortfall = alloc_n(a, n_wm, sizeof *out->week_shortfall);
    out->prices = alloc_n(a, nm * W, sizeof *out->prices);
    if (!out->week_shortfall || !out->prices)
        return OOM(err);
    out->n_week_shortfall = n_wm;
    out->n_prices = nm * W;
    n_wm = 0;
    for (size_t i = 0; i < nm; i++) {
        size_t k = (size_t)mats[i].k;
        for (size_t t = 0; t < W; t++) {
            lode_sim_price *p = &out->prices[i * W + t];
            p->material = (int)k;
            p->week = (int)t;
            p->mean = pl->aff[k] ? 1 + c->sum_price[k * W + t] / dr : 1;
            if (!(mat_dem[k] > 0))
                continue;
            lode_sim_week_shortfall *x = &out->week_shortfall[n_wm++];
            x->material = (int)k;
            x->week = (int)t;
            if (c->aff_row[k] >= 0)
                jobs[n_jobs++] =
                    (stat_job){c->pct_week, c->week_stride, (size_t)c->aff_row[k] * W + t,
                               &x->mean_t,  &x->p5_t,       &x->p50_t,
                               &x->p95_t};
        }
    }
    /* Percentiles: each cell apart, on the threads (a job writes only its own row). */
    if (n_jobs > 0)
        sim_pool_run(threads, (long)n_jobs, 0, stat_item, NULL, &sx, NULL, NULL);
    /* Exports of each exporter and week. */
    out->exports = alloc_n(a, n_ex * W, sizeof *out->exports);
    if (!out->exports)
        return OOM(err);
    out->n_exports = n_ex * W;
    for (size_t i = 0; i < n_ex; i++) {
        size_t n = (size_t)exps[i], e = (size_t)net->ex_of[n];
        for (size_t t = 0; t < W; t++) {
            lode_sim_export *x = &out->exports[i * W + t];
            x->country = net->g_country[n];
            x->material = net->g_material[n];
            x->week = (int)t;
            x->baseline_t = net->g_x0[n];
            x->mean_t = net->g_x0[n] + (pl->aff[x->material] ? c->sum_exp[e * W + t] / dr : 0);
        }
    }
    /* Stocks exhausted in any run. */
    size_t n_exh = 0;
    for (size_t i = 0; i < n_all; i++)
        n_exh += c->exh_cnt[all[i]] > 0;
    out->exhaustion = alloc_n(a, n_exh, sizeof *out->exhaustion);
    if (!out->exhaustion)
        return OOM(err);
    out->n_exhaustion = n_exh;
    n_exh = 0;
    for (size_t i = 0; i < n_all; i++) {
        size_t n = (size_t)all[i];
        if (c->exh_cnt[n] == 0)
            continue;
        lode_sim_exhaustion *x = &out->exhaustion[n_exh++];
        x->country = net->g_country[n];
        x->material = net->g_material[n];
        x->mean_week = c->exh_sum[n] / (double)c->exh_cnt[n];
        x->share_runs = (double)c->exh_cnt[n] / dr;
    }
    out->runs = c->runs;
    out->weeks = pl->weeks;
    out->mass_balance_max_error_t = c->mass_err;
    digest(m, out, out->digest);
    out->node_weeks = c->node_weeks;
    out->link_weeks = c->link_weeks;
    out->traffic_bytes = BYTES_PER_NODE_WEEK * (double)c->node_weeks +
                         BYTES_PER_LINK_WEEK * (double)c->link_weeks;
    out->percentile_cells = c->n_sc + pl->n_aff * W;
    return LODE_OK;
}

/* The part of a Monte Carlo every way of running it shares: checks o, builds the net and
 * the plan, and allocates the run-order sums; *pc and *pthreads are set. out (may be NULL)
 * is cleared first. */
static lode_status mc_prepare(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                              int full, lode_arena *a, lode_sim_result *out, mc **pc,
                              int *pthreads, lode_err *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (m == NULL || s == NULL || o == NULL || out == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing model, scenario, options or result");
    if (o->runs < 1)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "runs must be at least 1, got %ld",
                         o->runs);
    int weeks = o->weeks > 0 ? o->weeks : s->weeks;
    if (weeks < 1 || o->weeks < 0)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weeks",
                         "the horizon must be at least 1 week, got %d", weeks);
    if ((size_t)o->runs > SIZE_MAX / sizeof(double) / (size_t)weeks)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "too many runs: %ld", o->runs);
    int threads = o->threads > 0 ? o->threads : 1;
    if (threads > 1024)
        threads = 1024;

    sim_net *net = lode_arena_alloc(a, sizeof *net);
    sim_plan *pl = lode_arena_alloc(a, sizeof *pl);
    mc *c = lode_arena_alloc(a, sizeof *c);
    if (!net || !pl || !c)
        return OOM(err);
    if (o->firms)
        LODE_TRY(sim_net_build_firms(m, o->firms, a, net, err));
    else
        LODE_TRY(sim_net_build(m, a, net, err));
    LODE_TRY(sim_plan_build(net, s, weeks, full, a, pl, err));
    size_t nn = net->ng, nm = (size_t)net->nm, W = (size_t)weeks;
    c->pl = pl;
    c->net = net;
    c->seed = o->seed;
    c->runs = o->runs;
    c->means = o->runs == 1;
    c->sc_of = alloc_n(a, nn, sizeof *c->sc_of);
    c->aff_row = alloc_n(a, nm, sizeof *c->aff_row);
    c->sum_sec = alloc_n(a, nn * NSEC, sizeof *c->sum_sec);
    c->sum_exp = alloc_n(a, net->n_ex * W, sizeof *c->sum_exp);
    c->sum_price = alloc_n(a, nm * W, sizeof *c->sum_price);
    c->exh_sum = alloc_n(a, nn, sizeof *c->exh_sum);
    c->exh_cnt = alloc_n(a, nn, sizeof *c->exh_cnt);
    if (!c->sc_of || !c->aff_row || !c->sum_sec || !c->sum_exp || !c->sum_price ||
        !c->exh_sum || !c->exh_cnt)
        return OOM(err);
    for (size_t k = 0; k < nm; k++)
        c->aff_row[k] = -1;
    for (size_t i = 0; i < pl->n_aff; i++)
        c->aff_row[pl->aff_list[i]] = (int)i;
    c->n_sc = 0;
    for (size_t n = 0; n < nn; n++)
        c->sc_of[n] = pl->aff[net->g_material[n]] && net->g_dtot0[n] > 0 ? (int)c->n_sc++ : -1;
    *pc = c;
    *pthreads = threads;
    return LODE_OK;
}

/* Scratch for `threads` workers and `slots` runouts of c. */
static lode_status mc_scratch(mc *c, int threads, long slots, lode_arena *a, lode_err *err)
{
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    c->work = alloc_n(a, (size_t)threads, sizeof *c->work);
    c->slot = alloc_n(a, (size_t)slots, sizeof *c->slot);
    if (!c->work || !c->slot)
        return OOM(err);
    for (int i = 0; i < threads; i++)
        LODE_TRY(sim_work_new(net, pl->weeks, pl->np, pl->n_pm, pl->n_draws, a, &c->work[i], err));
    for (long i = 0; i < slots; i++)
        LODE_TRY(sim_runout_new(net, pl->weeks, a, &c->slot[i], err));
    return LODE_OK;
}

lode_status sim_run(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o, int full,
                    lode_arena *a, lode_sim_result *out, lode_err *err)
{
    mc *c;
    int threads;
    LODE_TRY(mc_prepare(m, s, o, full, a, out, &c, &threads, err));
    const sim_plan *pl = c->pl;
    size_t W = (size_t)pl->weeks, runs = (size_t)o->runs;
    c->window = 16L * threads;
    if (c->window > o->runs)
        c->window = o->runs;
    LODE_TRY(mc_scratch(c, threads, c->window, a, err));

    if (c->n_sc > SIZE_MAX / sizeof(double) / runs ||
        pl->n_aff * W > SIZE_MAX / sizeof(double) / runs)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "too many runs: %ld", o->runs);
    c->store_cell = alloc_n(a, c->n_sc * runs, sizeof *c->store_cell);
    c->store_week = alloc_n(a, pl->n_aff * W * runs, sizeof *c->store_week);
    if (!c->store_cell || !c->store_week)
        return OOM(err);
    c->pct_cell = c->store_cell;
    c->pct_week = c->store_week;
    c->cell_stride = c->n_sc;
    c->week_stride = pl->n_aff * W;

    if (pl->n_aff > 0)
        sim_pool_run(threads, o->runs, c->window, mc_item, mc_commit, c, o->progress,
                     o->progress_ctx);
    else if (o->progress)
        o->progress(o->progress_ctx, o->runs, o->runs);
    out->seed = o->seed;
    return build_result(c, threads, a, out, err);
}

lode_status lode_sim_run(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                         lode_arena *a, lode_sim_result *out, lode_err *err)
{
    return sim_run(m, s, o, 0, a, out, err);
}

/* ---- Monte Carlo in parts: lode_sim_rows and lode_sim_finish ------------------------------ */

/* Sets c's row layout (see mc); LODE_EUSAGE if `runs` rows would not fit in memory. */
static lode_status row_layout(mc *c, long runs, lode_err *err)
{
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    size_t W = (size_t)pl->weeks, n_an = 0, n_ae = 0;
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        for (size_t n = net->g_mat_start[km]; n < net->g_mat_start[km + 1]; n++) {
            n_an++;
            n_ae += net->ex_of[n] >= 0;
        }
    }
    c->o_week = c->n_sc;
    c->o_sec = c->o_week + pl->n_aff * W;
    c->o_exp = c->o_sec + n_an * NSEC;
    c->o_exh = c->o_exp + n_ae * W;
    c->o_price = c->o_exh + n_an;
    c->o_misc = c->o_price + pl->n_aff * W;
    c->width = c->o_misc + 3;
    if (runs > 0 && c->width > SIZE_MAX / sizeof(double) / (size_t)runs)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "too many runs: %ld", runs);
    return LODE_OK;
}

/* Copies what run o produced into its row (c's layout). */
static void row_pack(const mc *c, const sim_runout *o, double *row)
{
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    size_t W = (size_t)pl->weeks, i = 0, e = 0;
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        memcpy(&row[c->o_week + a * W], &o->week[km * W], W * sizeof *row);
        memcpy(&row[c->o_price + a * W], &o->price[km * W], W * sizeof *row);
        for (size_t n = net->g_mat_start[km]; n < net->g_mat_start[km + 1]; n++, i++) {
            if (c->sc_of[n] >= 0)
                row[c->sc_of[n]] = o->cell[n];
            memcpy(&row[c->o_sec + i * NSEC], &o->sec[n * NSEC], NSEC * sizeof *row);
            if (net->ex_of[n] >= 0)
                memcpy(&row[c->o_exp + e++ * W], &o->exports[(size_t)net->ex_of[n] * W],
                       W * sizeof *row);
            row[c->o_exh + i] = o->exh[n];
        }
    }
    row[c->o_misc] = o->mass_err;
    row[c->o_misc + 1] = (double)o->node_weeks; /* exact: node-weeks stay far below 2^53 */
    row[c->o_misc + 2] = (double)o->link_weeks;
}

/* mc_commit from a row: the same sums, term by term, so summing rows in run order gives the
 * bits mc_commit gives. */
static void row_commit(mc *c, const double *row)
{
    const sim_net *net = c->net;
    const sim_plan *pl = c->pl;
    size_t W = (size_t)pl->weeks, i = 0, e = 0;
    for (size_t a = 0; a < pl->n_aff; a++) {
        size_t km = (size_t)pl->aff_list[a];
        for (size_t n = net->g_mat_start[km]; n < net->g_mat_start[km + 1]; n++, i++) {
            for (size_t sc = 0; sc < NSEC; sc++)
                c->sum_sec[n * NSEC + sc] += row[c->o_sec + i * NSEC + sc];
            if (net->ex_of[n] >= 0) {
                for (size_t t = 0; t < W; t++)
                    c->sum_exp[(size_t)net->ex_of[n] * W + t] +=
                        row[c->o_exp + e * W + t] - net->g_x0[n];
                e++;
            }
            double exh = row[c->o_exh + i];
            if (exh >= 0) {
                c->exh_sum[n] += exh;
                c->exh_cnt[n]++;
            }
        }
        for (size_t t = 0; t < W; t++)
            c->sum_price[km * W + t] += row[c->o_price + a * W + t] - 1;
    }
    if (row[c->o_misc] > c->mass_err)
        c->mass_err = row[c->o_misc];
    c->node_weeks += (long)row[c->o_misc + 1]; /* a whole number (row_pack) */
    c->link_weeks += (long)row[c->o_misc + 2];
}

typedef struct rows_ctx {
    mc *c;
    long r0;
    double *rows;
} rows_ctx;

static void rows_item(void *ctx, int worker, long i)
{
    rows_ctx *x = ctx;
    mc *c = x->c;
    sim_runout *o = &c->slot[worker];
    sim_run_one(c->pl, &c->work[worker], o, x->r0 + i, c->seed, c->means);
    row_pack(c, o, &x->rows[(size_t)i * c->width]);
}

lode_status lode_sim_rows(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                          long r0, long r1, lode_arena *a, double **rows, size_t *width,
                          lode_err *err)
{
    lode_sim_result scratch;
    mc *c;
    int threads;
    if (rows == NULL || width == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing rows or width");
    *rows = NULL;
    *width = 0;
    LODE_TRY(mc_prepare(m, s, o, 0, a, &scratch, &c, &threads, err));
    if (r0 < 0 || r1 < r0 || r1 > o->runs)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs",
                         "runs [%ld, %ld) are not within [0, %ld)", r0, r1, o->runs);
    long n = r1 - r0;
    LODE_TRY(row_layout(c, n, err));
    double *out = alloc_n(a, c->width * (size_t)n, sizeof *out);
    if (!out)
        return OOM(err);
    if (threads > n)
        threads = n > 0 ? (int)n : 1; /* n < threads <= 1024 */
    LODE_TRY(mc_scratch(c, threads, threads, a, err));
    rows_ctx x = {c, r0, out};
    if (c->pl->n_aff > 0 && n > 0)
        sim_pool_run(threads, n, 0, rows_item, NULL, &x, o->progress, o->progress_ctx);
    else if (o->progress)
        o->progress(o->progress_ctx, n, n);
    *rows = out;
    *width = c->width;
    return LODE_OK;
}

struct lode_sim_acc {
    mc *c;
    int threads;
    lode_arena *a;
    long added; /* runs added so far */
};

lode_status lode_sim_acc_new(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                             lode_arena *a, lode_sim_acc **acc, size_t *width, lode_err *err)
{
    lode_sim_result scratch;
    if (acc == NULL || width == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing accumulator or width");
    *acc = NULL;
    *width = 0;
    lode_sim_acc *x = lode_arena_alloc(a, sizeof *x);
    if (!x)
        return OOM(err);
    LODE_TRY(mc_prepare(m, s, o, 0, a, &scratch, &x->c, &x->threads, err));
    mc *c = x->c;
    size_t W = (size_t)c->pl->weeks, runs = (size_t)o->runs;
    LODE_TRY(row_layout(c, o->runs, err));
    /* The percentile store of sim_run, filled from the rows; the rest of a row is summed and
     * dropped, so memory is that of one process whatever the row width. */
    c->store_cell = alloc_n(a, c->n_sc * runs, sizeof *c->store_cell);
    c->store_week = alloc_n(a, c->pl->n_aff * W * runs, sizeof *c->store_week);
    if (!c->store_cell || !c->store_week)
        return OOM(err);
    c->pct_cell = c->store_cell;
    c->pct_week = c->store_week;
    c->cell_stride = c->n_sc;
    c->week_stride = c->pl->n_aff * W;
    x->a = a;
    *acc = x;
    *width = c->width;
    return LODE_OK;
}

long lode_sim_acc_add(lode_sim_acc *acc, const double *rows, long n)
{
    mc *c = acc->c;
    if (n > c->runs - acc->added)
        n = c->runs - acc->added;
    for (long i = 0; i < n; i++, acc->added++) {
        const double *row = &rows[(size_t)i * c->width];
        size_t r = (size_t)acc->added;
        memcpy(&c->store_cell[r * c->cell_stride], row, c->n_sc * sizeof *row);
        memcpy(&c->store_week[r * c->week_stride], &row[c->o_week],
               c->week_stride * sizeof *row);
        row_commit(c, row);
    }
    return n > 0 ? n : 0;
}

lode_status lode_sim_acc_finish(lode_sim_acc *acc, lode_sim_result *out, lode_err *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (acc == NULL || out == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing accumulator or result");
    if (acc->added != acc->c->runs)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "%ld of %ld runs' rows added",
                         acc->added, acc->c->runs);
    out->seed = acc->c->seed;
    return build_result(acc->c, acc->threads, acc->a, out, err);
}

lode_status lode_sim_finish(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                            const double *rows, size_t width, lode_arena *a,
                            lode_sim_result *out, lode_err *err)
{
    lode_sim_acc *acc;
    size_t w;
    if (out)
        memset(out, 0, sizeof *out);
    LODE_TRY(lode_sim_acc_new(m, s, o, a, &acc, &w, err));
    if (rows == NULL || width != w)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "rows of width %zu, expected %zu", width,
                         w);
    lode_sim_acc_add(acc, rows, o->runs);
    return lode_sim_acc_finish(acc, out, err);
}
