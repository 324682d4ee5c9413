/* firm.c: firm networks as the weekly engine takes them. The country network as a firm network
 * (one node per (material, country), the check that the firm path of simulate.c reproduces the
 * country answer), the imported firms and firm_links tables as a firm network, and
 * lode_firm_sim, a one-run door into lode_sim_run. The step itself is simulate.c's; nothing
 * here simulates. */
#include <string.h>

#include "lode/firm.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

static void *alloc_n(lode_arena *a, size_t n, size_t size)
{
    return lode_arena_calloc(a, n ? n : 1, size);
}

static lode_status net_alloc(lode_arena *a, size_t n, size_t nl, lode_firmnet *out,
                             lode_err *err)
{
    out->n_nodes = n;
    out->n_links = nl;
    out->country = alloc_n(a, n, sizeof *out->country);
    out->material = alloc_n(a, n, sizeof *out->material);
    out->cap_t = alloc_n(a, n, sizeof *out->cap_t);
    out->dem_t = alloc_n(a, n, sizeof *out->dem_t);
    out->out_start = alloc_n(a, n + 1, sizeof *out->out_start);
    out->buyer = alloc_n(a, nl, sizeof *out->buyer);
    out->link_t = alloc_n(a, nl, sizeof *out->link_t);
    if (!out->country || !out->material || !out->cap_t || !out->dem_t || !out->out_start ||
        !out->buyer || !out->link_t)
        return OOM(err);
    return LODE_OK;
}

lode_status lode_firm_from_country(const lode_model *m, lode_arena *a, lode_firmnet *out,
                                   lode_err *err)
{
    memset(out, 0, sizeof *out);
    const lode_baseline *b = &m->base;
    const size_t nc = m->n_countries, K = m->n_materials * nc;
    if (K > (size_t)UINT32_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "too many nodes");
    /* The nodes of simulate.c's country net: every cell with any baseline activity. */
    size_t *node = alloc_n(a, K, sizeof *node);
    if (!node)
        return OOM(err);
    size_t n = 0, nl = 0;
    for (size_t k = 0; k < K; k++) {
        int act = b->prod_t[k] > 0 || b->inter_t[k] > 0 || b->final_t[k] > 0 ||
                  b->imports_t[k] > 0 || b->exports_t[k] > 0;
        node[k] = act ? n++ : SIZE_MAX;
    }
    for (size_t i = 0; i < b->n_flows; i++)
        nl += m->trade[i].tonnes > 0 && m->trade[i].exporter != m->trade[i].importer;
    LODE_TRY(net_alloc(a, n, nl, out, err));
    for (size_t k = 0; k < K; k++) {
        if (node[k] == SIZE_MAX)
            continue;
        size_t i = node[k];
        out->country[i] = (int32_t)(k % nc); /* model indexes are ints */
        out->material[i] = (int32_t)(k / nc);
        out->cap_t[i] = b->prod_t[k];
        out->dem_t[i] = b->inter_t[k] + b->final_t[k];
    }
    /* Links in trade order within each supplier, as the country net keeps its flows. */
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        if (f->tonnes > 0 && f->exporter != f->importer)
            out->out_start[node[(size_t)f->material * nc + (size_t)f->exporter] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        out->out_start[i + 1] += out->out_start[i];
    size_t *fill = alloc_n(a, n, sizeof *fill);
    if (!fill)
        return OOM(err);
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        if (!(f->tonnes > 0 && f->exporter != f->importer))
            continue;
        size_t s = node[(size_t)f->material * nc + (size_t)f->exporter];
        size_t at = out->out_start[s] + fill[s]++;
        out->buyer[at] = (uint32_t)node[(size_t)f->material * nc + (size_t)f->importer];
        out->link_t[at] = f->tonnes;
    }
    return LODE_OK;
}

lode_status lode_firm_from_model(const lode_model *m, lode_arena *a, lode_firmnet *out,
                                 lode_err *err)
{
    memset(out, 0, sizeof *out);
    const size_t N = m->n_firms, L = m->n_firm_links, nc = m->n_countries;
    const size_t K = m->n_materials * nc;
    if (N == 0)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "firms",
                         "the store has no firms (import firms.csv and firm_links.csv)");
    if (N > (size_t)UINT32_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "firms", "too many firms: %zu", N);
    LODE_TRY(net_alloc(a, N, L, out, err));
    /* Firms regrouped by (material, country), stably: counting sort on the cell. */
    size_t *cell_start = alloc_n(a, K + 1, sizeof *cell_start);
    size_t *pos = alloc_n(a, N, sizeof *pos); /* new index of table row i */
    size_t *fill = alloc_n(a, N, sizeof *fill);
    if (!cell_start || !pos || !fill)
        return OOM(err);
    for (size_t i = 0; i < N; i++)
        cell_start[(size_t)m->firms[i].material * nc + (size_t)m->firms[i].country + 1]++;
    for (size_t k = 0; k < K; k++)
        cell_start[k + 1] += cell_start[k];
    for (size_t i = 0; i < N; i++) {
        const lode_firm *r = &m->firms[i];
        size_t j = cell_start[(size_t)r->material * nc + (size_t)r->country]++;
        pos[i] = j;
        out->country[j] = r->country;
        out->material[j] = r->material;
        out->cap_t[j] = r->capacity_tpa;
        out->dem_t[j] = r->demand_tpa;
    }
    /* Links, CSR by supplier, in table order within each. freeze checked both ends exist,
     * differ and hold the link's material. */
    for (size_t l = 0; l < L; l++)
        out->out_start[pos[m->firm_links[l].supplier] + 1]++;
    for (size_t i = 0; i < N; i++)
        out->out_start[i + 1] += out->out_start[i];
    for (size_t l = 0; l < L; l++) {
        const lode_firm_link *r = &m->firm_links[l];
        size_t s = pos[r->supplier], at = out->out_start[s] + fill[s]++;
        out->buyer[at] = (uint32_t)pos[r->buyer]; /* N <= UINT32_MAX */
        out->link_t[at] = r->tonnes;
    }
    return LODE_OK;
}

lode_status lode_firm_sim(const lode_model *m, const lode_firmnet *net, const lode_scenario *s,
                          int weeks, lode_arena *a, lode_firm_result *out, lode_err *err)
{
    memset(out, 0, sizeof *out);
    lode_sim_opts o;
    memset(&o, 0, sizeof o);
    o.runs = 1;
    o.weeks = weeks;
    o.threads = 1;
    o.firms = net;
    LODE_TRY(lode_sim_run(m, s, &o, a, &out->sim, err));
    const size_t nc = m->n_countries, K = m->n_materials * nc;
    out->short_t = alloc_n(a, K, sizeof *out->short_t);
    if (!out->short_t)
        return OOM(err);
    for (size_t i = 0; i < out->sim.n_shortfall; i++) {
        const lode_sim_shortfall *x = &out->sim.shortfall[i];
        out->short_t[(size_t)x->material * nc + (size_t)x->country] = x->mean_t;
        out->total_short_t += x->mean_t;
    }
    out->weeks = out->sim.weeks;
    out->n_cm = K;
    out->node_weeks = out->sim.node_weeks;
    out->link_weeks = out->sim.link_weeks;
    out->bytes_moved = out->sim.traffic_bytes;
    return LODE_OK;
}
