/* sim_chokepoints.c: lode chokepoints. Every producing (country, material) node and every
 * bilateral baseline link is lost in turn for the whole horizon, and the weekly simulation
 * (simulate.c, one deterministic run each, default parameters) measures the shortfall that
 * loss causes in the alliance's countries and everywhere. Losses run on threads, each in its
 * own slot, so the ranking does not depend on the thread count. */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

enum { DEFAULT_WEEKS = 52 };

typedef struct choke_ctx {
    const sim_net *net;
    const unsigned char *allied; /* [nc] */
    lode_sim_params prm;
    int weeks;
    lode_chokepoint *items;
    size_t n_nodes; /* items[0 .. n_nodes) are nodes, then links */
    int *item_node; /* node of a node item, flow of a link item */
    sim_work *work;
    sim_runout *out;
    lode_status *status; /* [items] */
} choke_ctx;

static void choke_item(void *ctx, int worker, long item)
{
    choke_ctx *c = ctx;
    const sim_net *net = c->net;
    lode_chokepoint *x = &c->items[item];
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_sim_outage og;
    lode_sim_policy pol;
    int mat;
    sim_plan pl;
    memset(&s, 0, sizeof s);
    s.name = "chokepoint";
    s.path = "";
    s.weeks = c->weeks;
    s.params = c->prm;
    if ((size_t)item < c->n_nodes) {
        size_t n = (size_t)c->item_node[item];
        memset(&og, 0, sizeof og);
        og.country = net->country[n];
        og.material = net->material[n];
        og.facility = "";
        og.start_wk.a = 0;
        og.duration_wk.a = c->weeks;
        og.severity.a = 1;
        s.outages = &og;
        s.n_outages = 1;
    } else {
        size_t f = (size_t)c->item_node[item];
        memset(&pol, 0, sizeof pol);
        mat = net->material[net->f_exp[f]];
        pol.id = "link";
        pol.country = net->country[net->f_exp[f]];
        pol.materials = &mat;
        pol.n_materials = 1;
        pol.kind = LODE_POL_BAN;
        pol.targets = &x->importer;
        pol.n_targets = 1;
        pol.start_wk.a = 0;
        pol.duration_wk.a = c->weeks;
        pol.severity.a = 1;
        pol.diverted = 0; /* the link is gone: nothing is rerouted */
        s.policies = &pol;
        s.n_policies = 1;
    }
    lode_status st = a ? sim_plan_build(net, &s, c->weeks, 0, a, &pl, NULL) : LODE_EIO;
    if (st == LODE_OK) {
        sim_runout *o = &c->out[worker];
        double total = 0, allied = 0, demand = 0;
        sim_run_one(&pl, &c->work[worker], o, 0, 0, 1);
        for (size_t i = 0; i < pl.n_aff; i++) {
            size_t k = (size_t)pl.aff_list[i];
            for (size_t n = net->mat_start[k]; n < net->mat_start[k + 1]; n++) {
                total += o->cell[n];
                if (c->allied[net->country[n]]) {
                    allied += o->cell[n];
                    demand += net->dtot0[n] * c->weeks;
                }
            }
        }
        x->total_shortfall_t = total;
        x->allied_shortfall_t = allied;
        x->allied_demand_t = demand;
    }
    c->status[item] = st;
    lode_arena_free(a);
}

typedef struct rank_key {
    const lode_chokepoint *x;
    const sim_net *net;
} rank_key;

static int choke_cmp(const void *pa, const void *pb)
{
    const rank_key *ka = pa, *kb = pb;
    const lode_chokepoint *x = ka->x, *y = kb->x;
    const sim_net *net = ka->net;
    if (x->allied_shortfall_t != y->allied_shortfall_t)
        return x->allied_shortfall_t > y->allied_shortfall_t ? -1 : 1;
    if (x->total_shortfall_t != y->total_shortfall_t)
        return x->total_shortfall_t > y->total_shortfall_t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    if (x->country != y->country)
        return net->crank[x->country] - net->crank[y->country];
    if (x->material != y->material)
        return net->mrank[x->material] - net->mrank[y->material];
    int ix = x->importer < 0 ? -1 : net->crank[x->importer];
    int iy = y->importer < 0 ? -1 : net->crank[y->importer];
    return (ix > iy) - (ix < iy);
}

lode_status lode_chokepoints_run(const lode_model *m, const lode_chokepoint_opts *o, lode_arena *a,
                                 lode_chokepoint **out, size_t *n_out, lode_err *err)
{
    if (out)
        *out = NULL;
    if (n_out)
        *n_out = 0;
    if (m == NULL || o == NULL || out == NULL || n_out == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing model, options or result");
    if (o->weeks < 0 || o->weeks > 520)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weeks",
                         "the horizon must be 1..520 weeks, got %d", o->weeks);
    int threads = o->threads > 0 ? (o->threads < 1024 ? o->threads : 1024) : 1;
    choke_ctx c;
    memset(&c, 0, sizeof c);
    c.weeks = o->weeks > 0 ? o->weeks : DEFAULT_WEEKS;
    lode_sim_params_default(&c.prm);

    sim_net *net = lode_arena_alloc(a, sizeof *net);
    if (!net)
        return OOM(err);
    LODE_TRY(sim_net_build(m, a, net, err));
    c.net = net;
    unsigned char *allied = lode_arena_calloc(a, (size_t)net->nc + 1, 1);
    if (!allied)
        return OOM(err);
    if (o->alliance == NULL) {
        memset(allied, 1, (size_t)net->nc);
    } else {
        size_t i = 0;
        while (i < m->n_alliances && strcmp(m->alliances[i].id, o->alliance) != 0)
            i++;
        if (i == m->n_alliances)
            return LODE_FAIL(err, LODE_EINPUT, "", 0, "alliance",
                             "unknown alliance \"%.60s\" (not in alliances.id)", o->alliance);
        for (size_t j = 0; j < m->alliances[i].n_members; j++)
            allied[m->alliances[i].members[j]] = 1;
    }
    c.allied = allied;

    size_t n_nodes = 0;
    for (size_t n = 0; n < net->nn; n++)
        n_nodes += net->cap0[n] > 0;
    size_t n_items = n_nodes + net->nf;
    c.n_nodes = n_nodes;
    c.items = lode_arena_calloc(a, n_items ? n_items : 1, sizeof *c.items);
    c.item_node = lode_arena_calloc(a, n_items ? n_items : 1, sizeof *c.item_node);
    c.status = lode_arena_calloc(a, n_items ? n_items : 1, sizeof *c.status);
    c.work = lode_arena_calloc(a, (size_t)threads, sizeof *c.work);
    c.out = lode_arena_calloc(a, (size_t)threads, sizeof *c.out);
    rank_key *keys = lode_arena_calloc(a, n_items ? n_items : 1, sizeof *keys);
    lode_chokepoint *sorted = lode_arena_calloc(a, n_items ? n_items : 1, sizeof *sorted);
    if (!c.items || !c.item_node || !c.status || !c.work || !c.out || !keys || !sorted)
        return OOM(err);
    size_t k = 0;
    for (size_t n = 0; n < net->nn; n++) {
        if (!(net->cap0[n] > 0))
            continue;
        c.items[k].kind = 0;
        c.items[k].country = net->country[n];
        c.items[k].importer = -1;
        c.items[k].material = net->material[n];
        c.item_node[k++] = (int)n;
    }
    for (size_t f = 0; f < net->nf; f++) {
        c.items[k].kind = 1;
        c.items[k].country = net->country[net->f_exp[f]];
        c.items[k].importer = net->country[net->f_imp[f]];
        c.items[k].material = net->material[net->f_exp[f]];
        c.item_node[k++] = (int)f;
    }
    for (int i = 0; i < threads; i++) {
        LODE_TRY(sim_work_new(net, c.weeks, 1, 1, 3, a, &c.work[i], err));
        LODE_TRY(sim_runout_new(net, c.weeks, a, &c.out[i], err));
    }
    sim_pool_run(threads, (long)n_items, 0, choke_item, NULL, &c, o->progress, o->progress_ctx);
    for (size_t i = 0; i < n_items; i++)
        if (c.status[i] != LODE_OK)
            return OOM(err);
    for (size_t i = 0; i < n_items; i++) {
        keys[i].x = &c.items[i];
        keys[i].net = net;
    }
    if (n_items > 1)
        qsort(keys, n_items, sizeof *keys, choke_cmp);
    for (size_t i = 0; i < n_items; i++)
        sorted[i] = *keys[i].x;
    *out = sorted;
    *n_out = n_items;
    return LODE_OK;
}
