/* stockpile.c: lode stockpile, how much each ally must hold alone and how much the alliance
 * must hold when it pools. A Monte Carlo of a scenario set with every national stockpile set to
 * zero gives, per draw, each ally's shortfall over the horizon: what stocks must cover. Alone,
 * an ally holds the confidence-quantile of its own shortfall; pooled, an LP finds the least
 * total stock that covers every draw the lone stocks cover, shipping between allies within
 * their lead times. docs/respond.md, "stockpile". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lode/plan.h"
#include "lp.h"
#include "sim_int.h"

#define EPS_T 1e-9

static lode_status oom(lode_err *err, int line)
{
    return lode_err_set(err, LODE_EIO, "", 0, "", __FILE__, line, "out of memory");
}
#define OOM(err) oom((err), __LINE__)

static void *alloc_n(lode_arena *a, size_t n, size_t size)
{
    return lode_arena_calloc(a, n ? n : 1, size);
}

void lode_stockpile_opts_default(lode_stockpile_opts *o)
{
    memset(o, 0, sizeof *o);
    o->confidence = 0.95;
    o->runs = 200;
    o->seed = 1;
    o->threads = 1;
    o->solver = LODE_SOLVER_CLP;
}

/* ---- the pooling LP ---------------------------------------------------------------------- */

static int dbl_cmp(const void *pa, const void *pb)
{
    double x = *(const double *)pa, y = *(const double *)pb;
    return x < y ? -1 : x > y;
}

typedef struct draw_key {
    size_t r;
    double total;
} draw_key;

static int draw_key_cmp(const void *pa, const void *pb)
{
    const draw_key *x = pa, *y = pb;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1; /* largest first */
    return x->r < y->r ? -1 : x->r > y->r;
}

/* Does draw q need at least what draw r needs, everywhere, with the same late shares? Then any
 * stock covering q covers r (ship to r what q's plan ships, scaled by r's need over q's). */
static int dominates(const lode_pool_problem *p, size_t q, size_t r)
{
    size_t na = p->n_allies;
    for (size_t b = 0; b < na; b++)
        if (p->need_t[r * na + b] > p->need_t[q * na + b])
            return 0;
    return memcmp(&p->late[q * na * na], &p->late[r * na * na], na * na * sizeof *p->late) == 0;
}

lode_status lode_pool_solve(const lode_pool_problem *p, double confidence, lode_solver solver,
                            lode_arena *a, lode_pool_result *out, lode_err *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (p == NULL || out == NULL || p->n_allies == 0 || (p->n_draws && (!p->need_t || !p->late)))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "incomplete pooling problem");
    if (!(confidence > 0 && confidence <= 1))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "confidence", "confidence must be in (0, 1], "
                         "got %g", confidence);
    size_t na = p->n_allies, R = p->n_draws;
    out->lone_t = alloc_n(a, na, sizeof *out->lone_t);
    out->pooled_t = alloc_n(a, na, sizeof *out->pooled_t);
    double *col = alloc_n(a, R, sizeof *col);
    if (!out->lone_t || !out->pooled_t || !col)
        return OOM(err);
    if (R == 0)
        return LODE_OK;
    /* Alone: the ceil(P R)-th smallest need. */
    double pr = confidence * (double)R;
    size_t q = (size_t)ceil(pr - 1e-9 * pr); /* 1..R; the slack keeps 0.95 * 20 at 19 */
    if (q < 1)
        q = 1;
    if (q > R)
        q = R;
    for (size_t b = 0; b < na; b++) {
        for (size_t r = 0; r < R; r++)
            col[r] = p->need_t[r * na + b] > 0 ? p->need_t[r * na + b] : 0;
        qsort(col, R, sizeof *col, dbl_cmp);
        out->lone_t[b] = col[q - 1];
        out->lone_total_t += out->lone_t[b];
    }
    /* The draws the lone stocks cover, largest first; the undominated ones bind. */
    draw_key *keys = alloc_n(a, R, sizeof *keys);
    size_t *keep = alloc_n(a, R, sizeof *keep);
    if (!keys || !keep)
        return OOM(err);
    size_t nc = 0, nkeep = 0;
    for (size_t r = 0; r < R; r++) {
        int ok = 1;
        double tot = 0;
        for (size_t b = 0; b < na && ok; b++) {
            double n = p->need_t[r * na + b];
            ok = n <= out->lone_t[b] * (1 + 1e-12);
            tot += n > 0 ? n : 0;
        }
        if (!ok)
            continue;
        out->draws_covered++;
        if (tot > EPS_T)
            keys[nc++] = (draw_key){r, tot};
    }
    qsort(keys, nc, sizeof *keys, draw_key_cmp);
    for (size_t i = 0; i < nc; i++) {
        int dom = 0;
        for (size_t j = 0; j < nkeep && !dom; j++)
            dom = dominates(p, keep[j], keys[i].r);
        if (!dom)
            keep[nkeep++] = keys[i].r;
    }
    out->draws_binding = nkeep;
    if (nkeep == 0)
        return LODE_OK;

    /* min sum H, then least tonnes shipped between allies with that total held. */
    double hstar = 0;
    lode_lp_backend be = solver == LODE_SOLVER_GLPK ? LODE_LP_GLPK : LODE_LP_CLP;
    for (int stage = 1; stage <= 2; stage++) {
        lode_lp *lp = lode_lp_new();
        long *zc = malloc(nkeep * na * na * sizeof *zc);
        long *cols = malloc((na + 1) * sizeof *cols);
        double *vals = malloc((na + 1) * sizeof *vals);
        lode_status st = LODE_OK;
        if (!lp || !zc || !cols || !vals) {
            st = OOM(err);
            goto done;
        }
        for (size_t b = 0; b < na; b++)
            if (lode_lp_add_col(lp, 0, LODE_LP_INF, stage == 1 ? 1 : 0, 0, NULL) < 0) {
                st = OOM(err);
                goto done;
            }
        for (size_t i = 0; i < nkeep; i++)
            for (size_t x = 0; x < na; x++)
                for (size_t b = 0; b < na; b++) {
                    size_t r = keep[i];
                    double n = p->need_t[r * na + b];
                    double late = x == b ? 1 : p->late[(r * na + x) * na + b];
                    zc[(i * na + x) * na + b] = -1;
                    if (!(n > EPS_T) || !(late > 0))
                        continue;
                    double cost = stage == 2 && x != b ? 1 : 0;
                    long c = lode_lp_add_col(lp, 0, n * (late < 1 ? late : 1), cost, 0, NULL);
                    if (c < 0) {
                        st = OOM(err);
                        goto done;
                    }
                    zc[(i * na + x) * na + b] = c;
                }
        for (size_t i = 0; i < nkeep; i++) {
            size_t r = keep[i];
            for (size_t b = 0; b < na; b++) { /* cover: need met */
                double n = p->need_t[r * na + b];
                if (!(n > EPS_T))
                    continue;
                size_t k = 0;
                for (size_t x = 0; x < na; x++)
                    if (zc[(i * na + x) * na + b] >= 0) {
                        cols[k] = zc[(i * na + x) * na + b];
                        vals[k++] = 1;
                    }
                if (lode_lp_add_row(lp, n, LODE_LP_INF, k, cols, vals, 0, "cover") < 0) {
                    st = OOM(err);
                    goto done;
                }
            }
            for (size_t x = 0; x < na; x++) { /* stock: what x ships within what it holds */
                size_t k = 0;
                for (size_t b = 0; b < na; b++)
                    if (zc[(i * na + x) * na + b] >= 0) {
                        cols[k] = zc[(i * na + x) * na + b];
                        vals[k++] = 1;
                    }
                if (k == 0)
                    continue;
                cols[k] = (long)x;
                vals[k++] = -1;
                if (lode_lp_add_row(lp, -LODE_LP_INF, 0, k, cols, vals, 1, "stock") < 0) {
                    st = OOM(err);
                    goto done;
                }
            }
        }
        if (stage == 2) {
            for (size_t b = 0; b < na; b++) {
                cols[b] = (long)b;
                vals[b] = 1;
            }
            if (lode_lp_add_row(lp, -LODE_LP_INF, hstar + 1e-9 * fmax(1, hstar), na, cols, vals,
                                2, "lexicographic") < 0) {
                st = OOM(err);
                goto done;
            }
        } else {
            out->rows = lode_lp_n_rows(lp);
            out->cols = lode_lp_n_cols(lp);
            out->nonzeros = lode_lp_n_nonzeros(lp);
        }
        lode_lp_solution sol;
        st = lode_lp_solve(lp, be, NULL, &sol, err);
        if (st == LODE_OK) {
            out->iterations += sol.iterations;
            if (sol.status == LODE_LP_OPTIMAL) {
                if (stage == 1)
                    hstar = sol.objective;
                out->pooled_total_t = 0;
                for (size_t b = 0; b < na; b++) {
                    out->pooled_t[b] = sol.x[b] > EPS_T ? sol.x[b] : 0;
                    out->pooled_total_t += out->pooled_t[b];
                }
            } else if (stage == 1) {
                st = LODE_FAIL(err, LODE_ENOSOLN, "", 0, "", "pooling LP: %s",
                               lode_lp_status_name(sol.status));
            }
            lode_lp_solution_free(&sol);
        }
    done:
        lode_lp_free(lp);
        free(zc);
        free(cols);
        free(vals);
        if (st != LODE_OK)
            return st;
    }
    /* The lone stocks are feasible, so the optimum is at most their sum; a pooled total above
     * it is the solver's tolerance (or the second stage's): the lone stocks are then optimal. */
    if (out->pooled_total_t > out->lone_total_t) {
        memcpy(out->pooled_t, out->lone_t, na * sizeof *out->lone_t);
        out->pooled_total_t = out->lone_total_t;
    }
    return LODE_OK;
}

/* ---- stated targets ------------------------------------------------------------------------ */

/* Does a stockpile row's free-text scope cover material k? The rule simulate.c applies to
 * stockpiles.csv (docs/simulate.md): an exact id, "REE"/"rare earth(s)" for the rare-earth
 * chain's refined and later materials, or an element symbol for "<sym>_..." refined and later
 * materials. Kept in step with simulate.c by hand; sim.h could export it. */
static const char *const ree_prefixes[] = {"REO_", "NdPr_", "Dy_", "Tb_", "NdFeB_"};

static int token_names(const lode_model *m, size_t k, const char *tok, size_t len, int ree)
{
    const lode_material *mm = &m->materials[k];
    if (strlen(mm->id) == len && strncmp(mm->id, tok, len) == 0)
        return 1;
    if (mm->stage == LODE_STAGE_MINE)
        return 0;
    if (ree) {
        for (size_t i = 0; i < sizeof ree_prefixes / sizeof ree_prefixes[0]; i++)
            if (strncmp(mm->id, ree_prefixes[i], strlen(ree_prefixes[i])) == 0)
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

static int scope_covers(const lode_model *m, const char *scope, size_t k)
{
    const char *p = scope ? scope : "", *prev = NULL;
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

/* The first stockpiles.csv target of country c covering material k: in days, or in tonnes when
 * the scope is the material's id. Returns 1 and fills *days or *tonnes (the other -1). */
static int stated_target(const lode_model *m, int c, size_t k, double *days, double *tonnes,
                         const char **agency)
{
    for (size_t i = 0; i < m->n_stockpiles; i++) {
        const lode_stockpile *r = &m->stockpiles[i];
        if (r->holder != c || !r->has_target || !(r->target > 0) || r->target_unit == NULL)
            continue;
        if (strcmp(r->target_unit, "days") == 0 && scope_covers(m, r->scope, k)) {
            *days = r->target;
            *tonnes = -1;
        } else if (strcmp(r->target_unit, "tonnes") == 0 && r->scope &&
                   strcmp(r->scope, m->materials[k].id) == 0) {
            *tonnes = r->target;
            *days = -1;
        } else {
            continue;
        }
        *agency = r->agency ? r->agency : "";
        return 1;
    }
    return 0;
}

/* The IEA rule for oil as stockpiles.csv states it (holder WLD, a target in days: 90 days of
 * net imports); 0 if the dataset holds no such row. */
static double iea_days(const lode_model *m)
{
    for (size_t i = 0; i < m->n_stockpiles; i++) {
        const lode_stockpile *r = &m->stockpiles[i];
        if (r->holder >= 0 && r->holder == m->world && r->has_target && r->target > 0 &&
            r->target_unit && strcmp(r->target_unit, "days") == 0)
            return r->target;
    }
    return 0;
}

/* ---- Monte Carlo ------------------------------------------------------------------------- */

typedef struct mcx {
    const sim_net *net;
    const sim_plan *plans; /* [n_scen] */
    long runs;
    uint64_t seed;
    sim_work *work;        /* [threads] */
    sim_runout *slot;      /* [window] */
    long window;
    size_t na, nm, nc, Wmax;
    const int *ally;
    double *need;          /* [(item * nm + k) * na + a] shortfall over the horizon */
    double *prof;          /* [(scen * nm + k) * Wmax + t] global weekly shortfall, summed */
} mcx;

static void mc_item(void *ctx, int worker, long item)
{
    mcx *c = ctx;
    const sim_plan *pl = &c->plans[item / c->runs];
    sim_run_one(pl, &c->work[worker], &c->slot[item % c->window], item % c->runs, c->seed,
                c->runs == 1);
}

/* Under the pool's lock, in item order: copy the draw out of its slot. */
static void mc_commit(void *ctx, int worker, long item)
{
    mcx *c = ctx;
    (void)worker;
    size_t sc = (size_t)(item / c->runs), it = (size_t)item;
    const sim_plan *pl = &c->plans[sc];
    const sim_runout *o = &c->slot[item % c->window];
    size_t W = (size_t)pl->weeks;
    for (size_t k = 0; k < c->nm; k++) {
        if (!pl->aff[k])
            continue;
        for (size_t i = 0; i < c->na; i++) {
            int n = c->net->node_of[k * c->nc + (size_t)c->ally[i]];
            c->need[(it * c->nm + k) * c->na + i] = n >= 0 ? o->cell[n] : 0;
        }
        for (size_t t = 0; t < W; t++)
            c->prof[(sc * c->nm + k) * c->Wmax + t] += o->week[k * W + t];
    }
}

typedef struct row_key {
    int crank, mrank;
    size_t i;
} row_key;

static int row_key_cmp(const void *pa, const void *pb)
{
    const row_key *x = pa, *y = pb;
    if (x->crank != y->crank)
        return x->crank < y->crank ? -1 : 1;
    return x->mrank < y->mrank ? -1 : x->mrank > y->mrank;
}

lode_status lode_stockpile_run(const lode_model *m, const lode_scenario *const *scenarios,
                               size_t n_scen, int alliance, const lode_stockpile_opts *o,
                               lode_arena *a, lode_stockpile_result *out, lode_err *err)
{
    lode_stockpile_opts def;
    if (o == NULL) {
        lode_stockpile_opts_default(&def);
        o = &def;
    }
    if (out == NULL || m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "missing model or result");
    memset(out, 0, sizeof *out);
    if (n_scen == 0 || scenarios == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "scenario", "no scenarios");
    if (alliance < 0 || (size_t)alliance >= m->n_alliances)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "alliance", "no such alliance");
    if (!(o->confidence > 0 && o->confidence <= 1))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "confidence", "confidence must be in (0, 1], "
                         "got %g", o->confidence);
    if (o->runs < 1 || o->runs > 100000 || o->weeks < 0 || o->weeks > 520)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "runs", "runs must be 1..100000 and weeks "
                         "0..520");
    const lode_alliance *al = &m->alliances[alliance];
    size_t nc = m->n_countries, nm = m->n_materials;
    out->confidence = o->confidence;
    out->runs = o->runs;
    out->n_scenarios = n_scen;
    out->solver = lode_solver_name(o->solver);

    /* Allies in id order. */
    unsigned char *is_ally = alloc_n(a, nc, 1);
    int *ally = alloc_n(a, al->n_members, sizeof *ally);
    if (!is_ally || !ally)
        return OOM(err);
    for (size_t i = 0; i < al->n_members; i++)
        if (al->members[i] >= 0 && lode_country_is_real(m, al->members[i]))
            is_ally[al->members[i]] = 1;
    size_t na = 0;
    for (size_t i = 0; i < nc; i++)
        if (is_ally[m->country_order[i]])
            ally[na++] = m->country_order[i];
    if (na == 0)
        return LODE_FAIL(err, LODE_EINPUT, "", 0, "alliance", "alliance '%s' has no member "
                         "country in the model", al->id);

    /* The network with no national stockpile anywhere; the stocks it had are kept for the
     * comparison. */
    sim_net *net = lode_arena_alloc(a, sizeof *net);
    if (!net)
        return OOM(err);
    LODE_TRY(sim_net_build(m, a, net, err));
    double *held = alloc_n(a, net->nn, sizeof *held);
    if (!held)
        return OOM(err);
    memcpy(held, net->stock0, net->nn * sizeof *held);
    memset(net->stock0, 0, net->nn * sizeof *net->stock0);

    sim_plan *plans = alloc_n(a, n_scen, sizeof *plans);
    if (!plans)
        return OOM(err);
    size_t Wmax = 0, np = 0, npm = 0, nd = 0;
    for (size_t i = 0; i < n_scen; i++) {
        int W = o->weeks > 0 ? o->weeks : scenarios[i]->weeks;
        if (W < 1 || W > 520)
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weeks", "scenario '%s': the horizon must "
                             "be 1 to 520 weeks, got %d", scenarios[i]->name ? scenarios[i]->name
                             : "", W);
        LODE_TRY(sim_plan_build(net, scenarios[i], W, 0, a, &plans[i], err));
        Wmax = (size_t)W > Wmax ? (size_t)W : Wmax;
        np = plans[i].np > np ? plans[i].np : np;
        npm = plans[i].n_pm > npm ? plans[i].n_pm : npm;
        nd = plans[i].n_draws > nd ? plans[i].n_draws : nd;
    }
    int threads = o->threads > 0 ? (o->threads < 256 ? o->threads : 256) : 1;
    long items = (long)n_scen * o->runs;
    mcx c = {0};
    c.net = net;
    c.plans = plans;
    c.runs = o->runs;
    c.seed = o->seed;
    c.window = 4L * threads < items ? 4L * threads : items;
    c.na = na;
    c.nm = nm;
    c.nc = nc;
    c.Wmax = Wmax;
    c.ally = ally;
    c.work = alloc_n(a, (size_t)threads, sizeof *c.work);
    c.slot = alloc_n(a, (size_t)c.window, sizeof *c.slot);
    c.need = alloc_n(a, (size_t)items * nm * na, sizeof *c.need);
    c.prof = alloc_n(a, n_scen * nm * Wmax, sizeof *c.prof);
    if (!c.work || !c.slot || !c.need || !c.prof)
        return OOM(err);
    for (int i = 0; i < threads; i++)
        LODE_TRY(sim_work_new(net, (int)Wmax, np, npm, nd, a, &c.work[i], err));
    for (long i = 0; i < c.window; i++)
        LODE_TRY(sim_runout_new(net, (int)Wmax, a, &c.slot[i], err));
    sim_pool_run(threads, items, c.window, mc_item, mc_commit, &c, o->progress,
                 o->progress_ctx);
    out->n_draws = (size_t)items;

    /* Per material: the pooling problem. */
    size_t R = (size_t)items;
    double *need = alloc_n(a, R * na, sizeof *need);
    double *late = alloc_n(a, R * na * na, sizeof *late);
    double *early = alloc_n(a, n_scen * na * na, sizeof *early);
    lode_stock_row *rows = alloc_n(a, nm * na, sizeof *rows);
    lode_stock_material *mats = alloc_n(a, nm, sizeof *mats);
    if (!need || !late || !early || !rows || !mats)
        return OOM(err);
    size_t nrows = 0, nmat = 0;
    double iea = iea_days(m);
    out->iea_days = iea;
    for (size_t mi = 0; mi < nm; mi++) {
        size_t k = (size_t)m->material_order[mi];
        double any = 0;
        for (size_t r = 0; r < R; r++)
            for (size_t i = 0; i < na; i++) {
                double v = c.need[(r * nm + k) * na + i];
                need[r * na + i] = v > EPS_T ? v : 0;
                any += need[r * na + i];
            }
        if (!(any > EPS_T))
            continue;
        /* Share of each scenario's shortfall of k that comes before a shipment from x can reach
         * b: the first lead(x, b) weeks of its mean weekly profile (all countries). */
        for (size_t sc = 0; sc < n_scen; sc++) {
            const double *pf = &c.prof[(sc * nm + k) * Wmax];
            size_t W = (size_t)plans[sc].weeks;
            double tot = 0;
            for (size_t t = 0; t < W; t++)
                tot += pf[t];
            for (size_t x = 0; x < na; x++)
                for (size_t b = 0; b < na; b++) {
                    int L = lode_lead_weeks(m->countries[ally[x]].iso3,
                                            m->countries[ally[b]].iso3);
                    double e = 0;
                    for (size_t t = 0; t < W && t < (size_t)L; t++)
                        e += pf[t];
                    early[(sc * na + x) * na + b] =
                        x == b || !(tot > 0) ? 0 : e / tot;
                }
        }
        for (size_t r = 0; r < R; r++) {
            size_t sc = r / (size_t)o->runs;
            for (size_t x = 0; x < na * na; x++)
                late[r * na * na + x] = 1 - early[sc * na * na + x];
        }
        lode_pool_problem pp = {na, R, need, late};
        lode_pool_result pr;
        LODE_TRY(lode_pool_solve(&pp, o->confidence, o->solver, a, &pr, err));
        lode_stock_material *sm = &mats[nmat++];
        sm->material = (int)k;
        sm->lone_t = pr.lone_total_t;
        sm->pooled_t = pr.pooled_total_t;
        sm->saved_t = pr.lone_total_t - pr.pooled_total_t;
        sm->value_usd_t = lode_value_usd_per_t(m, (int)k, &sm->value_basis);
        sm->lone_usd = sm->lone_t * sm->value_usd_t;
        sm->pooled_usd = sm->pooled_t * sm->value_usd_t;
        sm->saved_usd = sm->saved_t * sm->value_usd_t;
        sm->draws_covered = pr.draws_covered;
        sm->draws_binding = pr.draws_binding;
        out->lone_t += sm->lone_t;
        out->pooled_t += sm->pooled_t;
        out->lone_usd += sm->lone_usd;
        out->pooled_usd += sm->pooled_usd;
        out->rows_lp += pr.rows;
        out->cols_lp += pr.cols;
        out->nonzeros_lp += pr.nonzeros;
        for (size_t i = 0; i < na; i++) {
            double mean = 0;
            for (size_t r = 0; r < R; r++)
                mean += need[r * na + i];
            mean /= (double)R;
            if (!(mean > 0) && !(pr.lone_t[i] > 0) && !(pr.pooled_t[i] > 0))
                continue;
            size_t cc = (size_t)ally[i];
            lode_stock_row *w = &rows[nrows++];
            w->country = ally[i];
            w->material = (int)k;
            w->use_t_yr = m->base.final_t[k * nc + cc] + m->base.inter_t[k * nc + cc];
            double ni = m->base.imports_t[k * nc + cc] - m->base.exports_t[k * nc + cc];
            w->net_imports_t_yr = ni > 0 ? ni : 0;
            w->mean_need_t = mean;
            w->lone_t = pr.lone_t[i];
            w->pooled_t = pr.pooled_t[i];
            double per_day = w->use_t_yr / 365.0;
            w->lone_days = per_day > 0 ? w->lone_t / per_day : 0;
            w->pooled_days = per_day > 0 ? w->pooled_t / per_day : 0;
            int n = net->node_of[k * nc + cc];
            w->held_t = n >= 0 ? held[n] : 0;
            double days, tonnes;
            if (stated_target(m, ally[i], k, &days, &tonnes, &w->target_agency)) {
                w->has_target = 1;
                w->target_days = days >= 0 ? days : per_day > 0 ? tonnes / per_day : 0;
                w->target_t = tonnes >= 0 ? tonnes : days * per_day;
            }
            w->iea90_t = iea * w->net_imports_t_yr / 365.0;
        }
    }
    out->saved_t = out->lone_t - out->pooled_t;
    out->saved_usd = out->lone_usd - out->pooled_usd;
    out->rows = rows;
    out->n_rows = nrows;
    out->materials = mats;
    out->n_materials = nmat;
    /* Rows come out material by material; sort by ally id, then material id. */
    int *crank = alloc_n(a, nc, sizeof *crank), *mrank = alloc_n(a, nm, sizeof *mrank);
    row_key *keys = alloc_n(a, nrows, sizeof *keys);
    lode_stock_row *sorted = alloc_n(a, nrows, sizeof *sorted);
    if (!crank || !mrank || !keys || !sorted)
        return OOM(err);
    for (size_t i = 0; i < nc; i++)
        crank[m->country_order[i]] = (int)i;
    for (size_t i = 0; i < nm; i++)
        mrank[m->material_order[i]] = (int)i;
    for (size_t i = 0; i < nrows; i++)
        keys[i] = (row_key){crank[rows[i].country], mrank[rows[i].material], i};
    qsort(keys, nrows, sizeof *keys, row_key_cmp);
    for (size_t i = 0; i < nrows; i++)
        sorted[i] = rows[keys[i].i];
    out->rows = sorted;
    return LODE_OK;
}
