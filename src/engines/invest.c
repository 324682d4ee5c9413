/* invest.c: project portfolios (lode invest). Sorts the dataset's projects into candidates and
 * the rest, measures each candidate's benefit as the allied shortfall the weekly simulation
 * loses when the project's expected output is added to its country and sold to the alliance,
 * and chooses the portfolio with a MILP solved by CBC (lp.h), once per permitting speed. The
 * model is immutable, so a project is simulated on a *view*: a shallow copy of the model whose
 * baseline arrays (production, trade) are copies with the project added. docs/invest.md gives
 * the formulation, every default and its source or assumption. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/engines.h"
#include "lode/invest.h"
#include "lp.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

static double clock_s(lode_clock_fn fn, void *ctx)
{
    return fn ? fn(ctx) : 0;
}

const char *lode_plan_status_name(lode_plan_status s)
{
    switch (s) {
    case LODE_PLAN_OPTIMAL:
        return "optimal";
    case LODE_PLAN_INFEASIBLE:
        return "infeasible";
    case LODE_PLAN_LIMIT:
        return "time limit (best found)";
    case LODE_PLAN_ERROR:
        return "solver error";
    }
    return "?";
}

const char *lode_portfolio_family_name(lode_portfolio_family f)
{
    switch (f) {
    case LODE_PF_BUDGET:
        return "budget";
    case LODE_PF_WINDOW:
        return "financing window";
    case LODE_PF_NEEDS:
        return "stage dependency";
    case LODE_PF_REQUIRED:
        return "required";
    case LODE_PF_CAP:
        return "shortfall cap";
    }
    return "?";
}

const char *lode_invest_role_name(lode_invest_role r)
{
    switch (r) {
    case LODE_INV_CANDIDATE:
        return "candidate";
    case LODE_INV_BUNDLED:
        return "bundled";
    case LODE_INV_OPERATING:
        return "operating";
    case LODE_INV_NO_CAPEX:
        return "no capex";
    case LODE_INV_NO_CAPACITY:
        return "no capacity";
    }
    return "?";
}

/* ==== the portfolio MILP ==================================================================== */

/* The model of p: columns x_0 .. x_{n-1} (0/1, integer unless `integer` is 0), then z_0 ..
 * z_{G-1}; rows of every family not in `drop`. Stage 1 (capex_scale 0) minimises
 * -sum w_g z_g; stage 2 minimises capex (times capex_scale) among portfolios removing at
 * least floor_t. The budget row is written in units of budget_unit USD: CBC gets 1 (exact
 * dollars, so its 1e-7 feasibility tolerance is a tenth of a microdollar); GLPK, which does not
 * scale rows itself, gets the largest capex. NULL when out of memory. */
static lode_lp *portfolio_lp(const lode_portfolio *p, unsigned drop, int integer,
                             double capex_scale, double floor_t, double budget_unit)
{
    size_t n = p->n_items, G = p->n_groups;
    lode_lp *lp = lode_lp_new();
    size_t width = (n > G ? n : G) + 1;
    long *cols = malloc(width * sizeof *cols);
    double *vals = malloc(width * sizeof *vals);
    if (!lp || !cols || !vals)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (lode_lp_add_col(lp, 0, 1, capex_scale * p->capex_usd[i], integer, NULL) < 0)
            goto fail;
    for (size_t g = 0; g < G; g++) {
        /* z_g >= sum of the negative benefits: never binding (sum b x is at least that), and
         * a finite bound keeps every solver's simplex away from free columns. */
        double ub = p->cap_t ? p->cap_t[g] : LODE_LP_INF, lb = 0;
        for (size_t i = 0; i < n; i++)
            lb += p->benefit_t[i * G + g] < 0 ? p->benefit_t[i * G + g] : 0;
        lb = lb < ub ? lb : ub;
        double cost = capex_scale > 0 ? 0 : -p->weight[g];
        if (lode_lp_add_col(lp, lb, ub, cost, 0, NULL) < 0)
            goto fail;
    }
    if (capex_scale > 0) { /* sum_g w_g z_g >= floor */
        for (size_t g = 0; g < G; g++) {
            cols[g] = (long)(n + g);
            vals[g] = p->weight[g];
        }
        if (lode_lp_add_row(lp, floor_t, LODE_LP_INF, G, cols, vals, LODE_PF_CAP,
                            "removal floor") < 0)
            goto fail;
    }
    /* z_g - sum_i b_ig x_i <= 0 */
    for (size_t g = 0; g < G; g++) {
        size_t k = 0;
        cols[k] = (long)(n + g);
        vals[k++] = 1;
        for (size_t i = 0; i < n; i++) {
            double b = p->benefit_t[i * G + g];
            if (b != 0) {
                cols[k] = (long)i;
                vals[k++] = -b;
            }
        }
        if (lode_lp_add_row(lp, -LODE_LP_INF, 0, k, cols, vals, LODE_PF_CAP, "shortfall cap") < 0)
            goto fail;
    }
    if (!(drop & LODE_PF_BUDGET)) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (p->capex_usd[i] != 0) {
                cols[k] = (long)i;
                vals[k++] = p->capex_usd[i] / budget_unit;
            }
        if (lode_lp_add_row(lp, -LODE_LP_INF, p->budget_usd / budget_unit, k, cols, vals,
                            LODE_PF_BUDGET,
                            "budget") < 0)
            goto fail;
    }
    if (!(drop & LODE_PF_WINDOW) && p->financeable) {
        const double one = 1;
        for (size_t i = 0; i < n; i++) {
            long c = (long)i;
            if (!p->financeable[i] &&
                lode_lp_add_row(lp, -LODE_LP_INF, 0, 1, &c, &one, LODE_PF_WINDOW,
                                "financing window") < 0)
                goto fail;
        }
    }
    if (!(drop & LODE_PF_NEEDS)) {
        for (size_t d = 0; d < p->n_needs; d++) {
            size_t k = 0;
            cols[k] = (long)p->need_item[d];
            vals[k++] = 1;
            for (size_t j = p->src_start[d]; j < p->src_start[d + 1]; j++) {
                cols[k] = (long)p->src[j];
                vals[k++] = -1;
            }
            if (lode_lp_add_row(lp, -LODE_LP_INF, p->need_have[d] ? 1 : 0, k, cols, vals,
                                LODE_PF_NEEDS, "stage dependency") < 0)
                goto fail;
        }
    }
    if (!(drop & LODE_PF_REQUIRED) && p->required) {
        const double one = 1;
        for (size_t i = 0; i < n; i++) {
            long c = (long)i;
            if (p->required[i] &&
                lode_lp_add_row(lp, 1, LODE_LP_INF, 1, &c, &one, LODE_PF_REQUIRED, "required") < 0)
                goto fail;
        }
    }
    free(cols);
    free(vals);
    return lp;
fail:
    free(cols);
    free(vals);
    lode_lp_free(lp);
    return NULL;
}

static lode_plan_status plan_status(lode_lp_status s)
{
    switch (s) {
    case LODE_LP_OPTIMAL:
        return LODE_PLAN_OPTIMAL;
    case LODE_LP_INFEASIBLE:
        return LODE_PLAN_INFEASIBLE;
    case LODE_LP_LIMIT:
        return LODE_PLAN_LIMIT;
    case LODE_LP_UNBOUNDED: /* every column is bounded: cannot happen */
    case LODE_LP_ERROR:
        return LODE_PLAN_ERROR;
    }
    return LODE_PLAN_ERROR;
}

/* Check p's arrays; LODE_EUSAGE naming the first fault. */
static lode_status portfolio_check(const lode_portfolio *p, lode_err *err)
{
    size_t n = p->n_items, G = p->n_groups;
    if (G == 0 || !p->weight || (n && (!p->capex_usd || !p->benefit_t)))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "portfolio: missing arrays or no group");
    if (!(p->budget_usd >= 0) || !isfinite(p->budget_usd))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "budget", "budget must be >= 0, got %g",
                         p->budget_usd);
    for (size_t i = 0; i < n; i++) {
        if (!(p->capex_usd[i] >= 0) || !isfinite(p->capex_usd[i]))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "capex", "item %zu: capex must be >= 0",
                             i);
        for (size_t g = 0; g < G; g++)
            if (!isfinite(p->benefit_t[i * G + g]))
                return LODE_FAIL(err, LODE_EUSAGE, "", 0, "benefit",
                                 "item %zu: benefit is not a number", i);
    }
    for (size_t g = 0; g < G; g++)
        if (!(p->weight[g] >= 0) || !isfinite(p->weight[g]) || (p->cap_t && isnan(p->cap_t[g])))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weight", "group %zu: bad weight or cap",
                             g);
    if (p->n_needs && (!p->need_item || !p->need_have || !p->src_start))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "needs", "portfolio: missing need arrays");
    for (size_t d = 0; d < p->n_needs; d++) {
        if (p->need_item[d] >= n || p->src_start[d] > p->src_start[d + 1] ||
            (p->src_start[d + 1] > p->src_start[d] && !p->src))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "needs", "need %zu is malformed", d);
        for (size_t j = p->src_start[d]; j < p->src_start[d + 1]; j++) {
            if (p->src[j] >= n || p->src[j] == p->need_item[d])
                return LODE_FAIL(err, LODE_EUSAGE, "", 0, "needs",
                                 "need %zu: source %zu is out of range or the item itself", d,
                                 p->src[j]);
            for (size_t q = p->src_start[d]; q < j; q++)
                if (p->src[q] == p->src[j])
                    return LODE_FAIL(err, LODE_EUSAGE, "", 0, "needs",
                                     "need %zu: source %zu listed twice", d, p->src[j]);
        }
    }
    return LODE_OK;
}

/* Solve lp with CBC (or GLPK); LODE_OK with *sol filled, else the status of the call. */
static lode_status run_lp(const lode_lp *lp, lode_lp_backend b, double limit,
                          lode_lp_solution *sol, lode_err *err)
{
    lode_lp_opts lo = {limit, 0, 0};
    return lode_lp_solve(lp, b, &lo, sol, err);
}

lode_status lode_portfolio_solve(const lode_portfolio *p, const lode_portfolio_opts *o,
                                 lode_arena *a, lode_portfolio_result *out, lode_err *err)
{
    static const lode_portfolio_opts defaults = {0, 0, NULL, NULL};
    if (o == NULL)
        o = &defaults;
    memset(out, 0, sizeof *out);
    out->status = LODE_PLAN_ERROR;
    if (p == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "portfolio: no problem given");
    LODE_TRY(portfolio_check(p, err));
    size_t n = p->n_items, G = p->n_groups;
    out->chosen = lode_arena_calloc(a, n ? n : 1, 1);
    out->removed_group_t = lode_arena_calloc(a, G, sizeof *out->removed_group_t);
    if (!out->chosen || !out->removed_group_t)
        return OOM(err);

    /* Lexicographic: stage 1 finds the most shortfall that can be removed; stage 2 the least
     * capex that removes it (up to a relative 1e-7), so ties go to the cheaper portfolio
     * without a weighted tie-break trading tonnes for dollars. */
    double tot_c = 0;
    for (size_t i = 0; i < n; i++)
        tot_c += p->capex_usd[i];
    double scale = 1 / (tot_c > 0 ? tot_c : 1);

    lode_lp *lp = portfolio_lp(p, 0, 1, 0, 0, 1);
    if (lp == NULL)
        return OOM(err);
    out->n_cols = lode_lp_n_cols(lp);
    out->n_rows = lode_lp_n_rows(lp);
    out->n_nonzeros = lode_lp_n_nonzeros(lp);
    lode_lp_solution sol;
    double t0 = clock_s(o->clock, o->clock_ctx);
    lode_status st = run_lp(lp, LODE_LP_CBC, o->time_limit_s, &sol, err);
    if (st != LODE_OK) {
        lode_lp_free(lp);
        return st;
    }
    out->status = plan_status(sol.status);
    out->nodes = sol.nodes;
    out->iterations = sol.iterations;
    if ((out->status == LODE_PLAN_OPTIMAL || out->status == LODE_PLAN_LIMIT) && n > 0) {
        double best = -sol.objective;
        double floor_t = best - 1e-7 * (fabs(best) > 1 ? fabs(best) : 1);
        lode_lp *l2 = portfolio_lp(p, 0, 1, scale, floor_t, 1);
        lode_lp_solution s2;
        if (l2 == NULL) {
            lode_lp_solution_free(&sol);
            lode_lp_free(lp);
            return OOM(err);
        }
        st = run_lp(l2, LODE_LP_CBC, o->time_limit_s, &s2, err);
        lode_lp_free(l2);
        if (st != LODE_OK) {
            lode_lp_solution_free(&sol);
            lode_lp_free(lp);
            return st;
        }
        out->nodes += s2.nodes;
        out->iterations += s2.iterations;
        if (s2.status == LODE_LP_OPTIMAL || s2.status == LODE_LP_LIMIT) {
            lode_lp_solution_free(&sol);
            sol = s2;
        } else {
            lode_lp_solution_free(&s2); /* keep stage 1's portfolio */
        }
    }
    out->solve_s = clock_s(o->clock, o->clock_ctx) - t0;
    if (out->status == LODE_PLAN_OPTIMAL || out->status == LODE_PLAN_LIMIT) {
        for (size_t i = 0; i < n; i++) {
            out->chosen[i] = sol.x[i] > 0.5;
            if (out->chosen[i])
                out->capex_usd += p->capex_usd[i];
        }
        /* z_g is min(cap, sum b x) at the optimum; recompute it from the chosen items so
         * that solver tolerances do not show. */
        for (size_t g = 0; g < G; g++) {
            double sum = 0;
            for (size_t i = 0; i < n; i++)
                if (out->chosen[i])
                    sum += p->benefit_t[i * G + g];
            if (p->cap_t && sum > p->cap_t[g])
                sum = p->cap_t[g];
            out->removed_group_t[g] = sum;
            out->removed_t += p->weight[g] * sum;
        }
    }
    lode_lp_solution_free(&sol);

    if (out->status == LODE_PLAN_INFEASIBLE) {
        /* Which family alone stands in the way: drop it and solve again. `required` is in
         * every infeasibility (without it, choosing nothing is feasible), so it is not tried. */
        static const unsigned fam[] = {LODE_PF_BUDGET, LODE_PF_WINDOW, LODE_PF_NEEDS};
        for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
            lode_lp *d = portfolio_lp(p, fam[f], 1, 0, 0, 1);
            if (d == NULL) {
                lode_lp_free(lp);
                return OOM(err);
            }
            lode_lp_solution ds;
            lode_status dst = run_lp(d, LODE_LP_CBC, o->time_limit_s, &ds, err);
            lode_lp_free(d);
            if (dst != LODE_OK) {
                lode_lp_free(lp);
                return dst;
            }
            if (ds.status == LODE_LP_OPTIMAL || ds.status == LODE_LP_LIMIT)
                out->blocking |= fam[f];
            lode_lp_solution_free(&ds);
        }
    }

    if (o->reference && out->status != LODE_PLAN_INFEASIBLE) {
        lode_lp *rel = portfolio_lp(p, 0, 0, 0, 0, 1);
        if (rel == NULL) {
            lode_lp_free(lp);
            return OOM(err);
        }
        lode_lp_solution rs;
        t0 = clock_s(o->clock, o->clock_ctx);
        st = run_lp(rel, LODE_LP_CBC, o->time_limit_s, &rs, err);
        out->relax_s = clock_s(o->clock, o->clock_ctx) - t0;
        lode_lp_free(rel);
        if (st != LODE_OK) {
            lode_lp_free(lp);
            return st;
        }
        if (rs.status == LODE_LP_OPTIMAL) {
            out->have_relax = 1;
            for (size_t g = 0; g < G; g++)
                out->relax_t += p->weight[g] * rs.x[n + g];
        }
        lode_lp_solution_free(&rs);
        /* GLPK, the independent reference, when its backend is built in. */
        double unit = 0;
        for (size_t i = 0; i < n; i++)
            unit = p->capex_usd[i] > unit ? p->capex_usd[i] : unit;
        lode_lp *gl = portfolio_lp(p, 0, 1, 0, 0, unit > 0 ? unit : 1);
        if (gl == NULL) {
            lode_lp_free(lp);
            return OOM(err);
        }
        lode_err gerr = {0};
        t0 = clock_s(o->clock, o->clock_ctx);
        st = run_lp(gl, LODE_LP_GLPK, o->time_limit_s, &rs, &gerr);
        lode_lp_free(gl);
        if (st == LODE_OK) {
            out->glpk_s = clock_s(o->clock, o->clock_ctx) - t0;
            if (rs.status == LODE_LP_OPTIMAL) {
                out->have_glpk = 1;
                out->glpk_nodes = rs.nodes;
                for (size_t g = 0; g < G; g++) {
                    double s = 0;
                    for (size_t i = 0; i < n; i++)
                        if (rs.x[i] > 0.5)
                            s += p->benefit_t[i * G + g];
                    if (p->cap_t && s > p->cap_t[g])
                        s = p->cap_t[g];
                    out->glpk_t += p->weight[g] * s;
                }
            }
            lode_lp_solution_free(&rs);
        } else if (st == LODE_EIO) {
            lode_lp_free(lp);
            return OOM(err);
        } /* LODE_EUSAGE: GLPK not built in; no reference */
    }
    lode_lp_free(lp);
    return LODE_OK;
}

/* ==== candidates ============================================================================= */

typedef enum sclass {
    SC_OPERATING,
    SC_COMMISSIONING,
    SC_CONSTRUCTION,
    SC_PERMITTED,
    SC_FINANCED,
    SC_DEVELOPMENT,
    SC_UNCERTAIN
} sclass;

/* Probability of delivering by status, and whether permits are in hand. No published rate of
 * completion by stage for critical-minerals projects was found; these are Lodestone's stated
 * assumptions (docs/invest.md), to be replaced by a p_success column in projects.csv. */
static const struct {
    const char *name;
    double p_success;
    int permitted;
} sclass_info[] = {
    {"operating", 1.0, 1},     {"commissioning", 0.95, 1}, {"construction", 0.85, 1},
    {"permitted", 0.70, 1},    {"financed", 0.60, 0},      {"development", 0.40, 0},
    {"uncertain", 0.25, 0},
};

/* Permitting still ahead of a project without permits and without a permitting_months figure:
 * a mine waits 1.8 years on average between the end of its feasibility study and the start of
 * construction (MinEx Consulting data on the 35 largest mines of 2010-19, reported by
 * mdoresorting.com, 25 Jun 2024): 22 months. A plant on an industrial site: 12 months
 * (assumption). Construction and ramp-up when no start_year is given: mine 36, refinery 30,
 * metal and component plants 24 months; commissioning projects 6 months (assumptions). */
static const double PERMIT_MINE_M = 22, PERMIT_PLANT_M = 12;
static const double BUILD_M[LODE_STAGE_N] = {36, 30, 24, 24};
static const double BUILD_COMMISSIONING_M = 6;

static int has_word(const char *lower, const char *w)
{
    return strstr(lower, w) != NULL;
}

static void ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* Status class from the free-text stage and status columns, checked in this order. */
static sclass classify(const char *stage, const char *status)
{
    char st[256], su[256], both[520];
    snprintf(st, sizeof st, "%s", stage ? stage : "");
    snprintf(su, sizeof su, "%s", status ? status : "");
    ascii_lower(st);
    ascii_lower(su);
    snprintf(both, sizeof both, "%s | %s", st, su);
    if (strncmp(st, "operating", 9) == 0 || strncmp(su, "operating", 9) == 0 ||
        has_word(su, "commissioned"))
        return SC_OPERATING;
    if (has_word(both, "uncertain"))
        return SC_UNCERTAIN;
    if (has_word(both, "commissioning") || has_word(both, "first output") ||
        has_word(both, "first magnets") || has_word(both, "first commercial") ||
        has_word(both, "construction complete"))
        return SC_COMMISSIONING;
    if (has_word(both, "pre-fid") || has_word(both, "feasibility"))
        return SC_DEVELOPMENT;
    if (has_word(both, "permitted"))
        return SC_PERMITTED;
    if (has_word(both, "construction") && !has_word(both, "pre-construction"))
        return SC_CONSTRUCTION;
    if (has_word(both, "financed"))
        return SC_FINANCED;
    return SC_DEVELOPMENT;
}

static int id_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* The project whose capex covers project i, from the dataset's wording: gov_support
 * "as <ID>" or a note saying "counted once under <ID>". -1 if none. */
static int bundle_lead(const lode_model *m, size_t i)
{
    const lode_project *p = &m->projects[i];
    const char *cands[2] = {NULL, NULL};
    if (p->gov_support && strncmp(p->gov_support, "as ", 3) == 0)
        cands[0] = p->gov_support + 3;
    const char *note = p->prov.note ? strstr(p->prov.note, "counted once under ") : NULL;
    if (note)
        cands[1] = note + strlen("counted once under ");
    for (int k = 0; k < 2; k++) {
        if (!cands[k])
            continue;
        size_t len = 0;
        while (id_char(cands[k][len]))
            len++;
        for (size_t j = 0; j < m->n_projects; j++)
            if (j != i && strlen(m->projects[j].id) == len &&
                strncmp(m->projects[j].id, cands[k], len) == 0)
                return (int)j;
    }
    return -1;
}

/* Consumed inputs that every grade of material k needs (none if part of k needs no input).
 * Writes up to cap material indexes to out; returns how many. */
static size_t essential_inputs(const lode_model *m, int k, int *out, size_t cap)
{
    const char *grades[16];
    double share[16];
    size_t ng = 0;
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (r->output != k || !r->consumed)
            continue;
        const char *g = r->grade ? r->grade : "";
        size_t j = 0;
        while (j < ng && strcmp(grades[j], g) != 0)
            j++;
        if (j == ng && ng < 16) {
            grades[ng] = g;
            share[ng++] = r->grade_share;
        }
    }
    double tot = 0;
    for (size_t j = 0; j < ng; j++)
        tot += share[j];
    if (ng == 0 || tot < 1 - 1e-9)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < m->n_recipes && n < cap; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (r->output != k || !r->consumed)
            continue;
        int dup = 0;
        for (size_t q = 0; q < n; q++)
            dup |= out[q] == r->input;
        if (dup)
            continue;
        size_t in_all = 0;
        for (size_t j = 0; j < ng; j++)
            for (size_t q = 0; q < m->n_recipes; q++) {
                const lode_recipe *s = &m->recipes[q];
                if (s->output == k && s->consumed && s->input == r->input &&
                    strcmp(s->grade ? s->grade : "", grades[j]) == 0) {
                    in_all++;
                    break;
                }
            }
        if (in_all == ng)
            out[n++] = r->input;
    }
    return n;
}

/* ==== views of the model ===================================================================== */

typedef struct add_cap {
    int material, country;
    double t;
} add_cap;

typedef struct add_flow {
    int material, exporter, importer;
    double t;
} add_flow;

static int flow_cmp(const void *pa, const void *pb)
{
    const lode_flow *x = pa, *y = pb;
    if (x->material != y->material)
        return x->material < y->material ? -1 : 1;
    if (x->importer != y->importer)
        return x->importer < y->importer ? -1 : 1;
    if (x->exporter != y->exporter)
        return x->exporter < y->exporter ? -1 : 1;
    return 0;
}

static double *copy_cells(lode_arena *a, const double *src, size_t n)
{
    double *d = lode_arena_calloc(a, n + 1, sizeof *d);
    if (d)
        memcpy(d, src, n * sizeof *d);
    return d;
}

/* *v = m with production caps[] added (to the world totals too) and baseline flows flows[]
 * added (merged into an existing flow of the same material, exporter and importer, else
 * inserted in the order lode_model_freeze keeps). Arrays of v live in a; the rest is m's. */
static lode_status view_build(const lode_model *m, const add_cap *caps, size_t n_caps,
                              const add_flow *flows, size_t n_flows, lode_arena *a,
                              lode_model *v, lode_err *err)
{
    size_t nm = m->n_materials, nc = m->n_countries, cells = nm * nc;
    *v = *m;
    lode_baseline *b = &v->base;
    b->prod_t = copy_cells(a, m->base.prod_t, cells);
    b->world_t = copy_cells(a, m->base.world_t, nm);
    if (!b->prod_t || !b->world_t)
        return OOM(err);
    for (size_t i = 0; i < n_caps; i++) {
        b->prod_t[(size_t)caps[i].material * nc + (size_t)caps[i].country] += caps[i].t;
        b->world_t[caps[i].material] += caps[i].t;
    }
    if (n_flows == 0)
        return LODE_OK;
    b->imports_t = copy_cells(a, m->base.imports_t, cells);
    b->exports_t = copy_cells(a, m->base.exports_t, cells);
    size_t n0 = m->base.n_flows, nt = m->n_trade + n_flows;
    lode_flow *tr = lode_arena_calloc(a, nt, sizeof *tr);
    b->in_start = lode_arena_calloc(a, cells + 1, sizeof *b->in_start);
    if (!b->imports_t || !b->exports_t || !tr || !b->in_start)
        return OOM(err);
    memcpy(tr, m->trade, n0 * sizeof *tr);
    size_t nb = n0;
    for (size_t i = 0; i < n_flows; i++) {
        const add_flow *f = &flows[i];
        size_t cell = (size_t)f->material * nc + (size_t)f->importer;
        b->imports_t[cell] += f->t;
        b->exports_t[(size_t)f->material * nc + (size_t)f->exporter] += f->t;
        size_t j;
        for (j = m->base.in_start[cell]; j < m->base.in_start[cell + 1]; j++)
            if (tr[j].exporter == f->exporter)
                break;
        if (j < m->base.in_start[cell + 1]) {
            tr[j].tonnes += f->t;
            continue;
        }
        for (j = n0; j < nb; j++)
            if (tr[j].material == f->material && tr[j].importer == f->importer &&
                tr[j].exporter == f->exporter)
                break;
        if (j < nb) {
            tr[j].tonnes += f->t;
            continue;
        }
        lode_flow *t = &tr[nb++];
        memset(t, 0, sizeof *t);
        t->material = f->material;
        t->exporter = f->exporter;
        t->importer = f->importer;
        t->material_id = m->materials[f->material].id;
        t->exporter_id = m->countries[f->exporter].iso3;
        t->importer_id = m->countries[f->importer].iso3;
        t->year = m->base.year[f->material];
        t->tonnes = f->t;
        t->prov.source = "derived:lode invest: a candidate project's output sold to the alliance";
    }
    memcpy(tr + nb, m->trade + n0, (m->n_trade - n0) * sizeof *tr);
    qsort(tr, nb, sizeof *tr, flow_cmp);
    for (size_t i = 0; i < nb; i++)
        b->in_start[(size_t)tr[i].material * nc + (size_t)tr[i].importer + 1]++;
    for (size_t k = 0; k < cells; k++)
        b->in_start[k + 1] += b->in_start[k];
    v->trade = tr;
    v->n_trade = nb + (m->n_trade - n0);
    v->cap_trade = nt;
    b->n_flows = nb;
    return LODE_OK;
}

/* ==== the engine ============================================================================= */

typedef struct inv {
    const lode_model *m;
    const lode_invest_opts *o;
    lode_arena *a;
    unsigned char *ally; /* [n_countries] */
    lode_invest_result *r;
    long done, total;
} inv;

/* Allied shortfall (t, all materials) of scenario s on model v. Each simulation gets its own
 * scratch arena, freed here: a run keeps only the number. */
static lode_status allied_shortfall(inv *c, const lode_model *v, const lode_scenario *s,
                                    double *out_t, lode_err *err)
{
    lode_arena *tmp = lode_arena_new();
    if (tmp == NULL)
        return OOM(err);
    lode_sim_opts so;
    memset(&so, 0, sizeof so);
    so.runs = lode_scenario_is_random(s) ? c->o->runs : 1;
    so.seed = c->o->seed;
    so.threads = c->o->threads > 0 ? c->o->threads : 1;
    lode_sim_result res;
    lode_status st = lode_sim_run(v, s, &so, tmp, &res, err);
    if (st == LODE_OK) {
        double t = 0;
        for (size_t i = 0; i < res.n_shortfall; i++)
            if (c->ally[res.shortfall[i].country])
                t += res.shortfall[i].mean_t;
        *out_t = t;
    }
    lode_arena_free(tmp);
    c->r->n_sims++;
    c->done++;
    if (c->o->progress)
        c->o->progress(c->o->progress_ctx, c->done, c->total);
    return st;
}

/* Production and offtake flows that project p adds at `share` of its capacity: output at home,
 * sold to the alliance members and the home country in proportion to their baseline use
 * (intermediate + final) of the material; kept at home if none of them uses it. */
static size_t project_adds(inv *c, int p, double share, add_cap *cap, add_flow *fl)
{
    const lode_model *m = c->m;
    const lode_project *pr = &m->projects[p];
    size_t nc = m->n_countries, k = (size_t)pr->material, home = (size_t)pr->country;
    double t = pr->capacity_tpa * share;
    cap->material = pr->material;
    cap->country = pr->country;
    cap->t = t;
    double w = 0;
    for (size_t r = 0; r < nc; r++)
        if (c->ally[r] || r == home)
            w += m->base.inter_t[k * nc + r] + m->base.final_t[k * nc + r];
    size_t n = 0;
    if (!(w > 0))
        return 0;
    for (size_t r = 0; r < nc; r++) {
        if (!c->ally[r] || r == home)
            continue;
        double u = m->base.inter_t[k * nc + r] + m->base.final_t[k * nc + r];
        if (u > 0) {
            fl[n].material = pr->material;
            fl[n].exporter = pr->country;
            fl[n].importer = (int)r;
            fl[n].t = t * u / w;
            n++;
        }
    }
    return n;
}

/* Simulate every scenario on the model with the units flagged in `on` added (each member at
 * capacity x p_success), writing allied shortfall removed per scenario to removed[]. */
static lode_status simulate_units(inv *c, const unsigned char *on, double *removed,
                                  lode_err *err)
{
    const lode_model *m = c->m;
    lode_invest_result *r = c->r;
    size_t nc = m->n_countries, n_caps = 0, n_fl = 0, n_members = 0;
    for (size_t u = 0; u < r->n_units; u++)
        if (on[u])
            n_members += r->units[u].n_members;
    lode_arena *tmp = lode_arena_new();
    add_cap *caps = tmp ? lode_arena_calloc(tmp, n_members + 1, sizeof *caps) : NULL;
    add_flow *fl = tmp ? lode_arena_calloc(tmp, (n_members + 1) * nc, sizeof *fl) : NULL;
    if (!caps || !fl) {
        lode_arena_free(tmp);
        return OOM(err);
    }
    for (size_t u = 0; u < r->n_units; u++) {
        if (!on[u])
            continue;
        for (size_t j = 0; j < r->units[u].n_members; j++) {
            int p = r->units[u].members[j];
            n_fl += project_adds(c, p, r->projects[p].p_success, &caps[n_caps], fl + n_fl);
            n_caps++;
        }
    }
    lode_model v;
    lode_status st = view_build(m, caps, n_caps, fl, n_fl, tmp, &v, err);
    for (size_t s = 0; st == LODE_OK && s < r->n_scenarios; s++) {
        double t = 0;
        st = allied_shortfall(c, &v, &c->o->scenarios[s], &t, err);
        if (st == LODE_OK) {
            /* Runs share their random draws with the baseline's (same seed and scenario), so
             * the difference is exact up to rounding: call rounding zero. */
            double d = r->base_allied_t[s] - t, scale = r->base_allied_t[s];
            removed[s] = fabs(d) <= 1e-9 * (scale > 1 ? scale : 1) ? 0 : d;
        }
    }
    lode_arena_free(tmp);
    return st;
}

static int unit_cmp(const void *pa, const void *pb, const lode_model *m)
{
    const lode_invest_unit *x = pa, *y = pb;
    return strcmp(m->projects[x->lead].id, m->projects[y->lead].id);
}

/* Sort units by lead id (insertion sort: qsort has no context and units are few). */
static void sort_units(lode_invest_unit *u, size_t n, const lode_model *m)
{
    for (size_t i = 1; i < n; i++) {
        lode_invest_unit key = u[i];
        size_t j = i;
        while (j > 0 && unit_cmp(&u[j - 1], &key, m) > 0) {
            u[j] = u[j - 1];
            j--;
        }
        u[j] = key;
    }
}

/* Classify every project and group candidates with their bundled projects into units. */
static lode_status build_candidates(inv *c, lode_err *err)
{
    const lode_model *m = c->m;
    const lode_invest_opts *o = c->o;
    lode_invest_result *r = c->r;
    size_t np = m->n_projects;
    r->n_projects = np;
    r->projects = lode_arena_calloc(c->a, np + 1, sizeof *r->projects);
    int *lead = lode_arena_calloc(c->a, np + 1, sizeof *lead);
    if (!r->projects || !lead)
        return OOM(err);
    for (size_t i = 0; i < np; i++) {
        const lode_project *p = &m->projects[i];
        lode_invest_project *q = &r->projects[i];
        sclass sc = classify(p->stage, p->status);
        q->project = (int)i;
        q->unit = -1;
        q->bundled_with = -1;
        q->status_class = sclass_info[sc].name;
        q->p_success = sclass_info[sc].p_success;
        q->p_basis = "assumption by status (no p_success column in projects.csv)";
        int mine = p->material >= 0 && m->materials[p->material].stage == LODE_STAGE_MINE;
        if (sclass_info[sc].permitted) {
            q->permit_m = 0;
            q->permit_basis = "permits in hand (by status)";
        } else if (p->has_permit && p->permitting_months >= 0) {
            q->permit_m = p->permitting_months;
            q->permit_basis = "projects.csv permitting_months";
        } else {
            q->permit_m = mine ? PERMIT_MINE_M : PERMIT_PLANT_M;
            q->permit_basis = mine ? "default for a mine: 1.8 years from feasibility study to "
                                     "construction (MinEx Consulting, 35 top mines)"
                                   : "default for a plant: 12 months (assumption)";
        }
        if (p->has_start) {
            double online = ((double)p->start_year - (double)o->as_of_year) * 12 + 6;
            online = online > 0 ? online : 0;
            q->build_m = online > q->permit_m ? online - q->permit_m : 0;
            q->build_basis = "projects.csv start_year (mid-year) less permitting";
        } else if (sc == SC_COMMISSIONING) {
            q->build_m = BUILD_COMMISSIONING_M;
            q->build_basis = "default for commissioning: 6 months (assumption)";
        } else {
            int stg = p->material >= 0 ? (int)m->materials[p->material].stage : 0;
            q->build_m = BUILD_M[stg];
            q->build_basis = "default by stage: mine 36, refinery 30, plant 24 months "
                             "(assumption)";
        }
        lead[i] = -1;
        if (sc == SC_OPERATING) {
            q->role = LODE_INV_OPERATING;
        } else if (!p->has_capex || !(p->capex_usd_m > 0)) {
            lead[i] = bundle_lead(m, i);
            q->role = lead[i] >= 0 ? LODE_INV_BUNDLED : LODE_INV_NO_CAPEX;
        } else if (!p->has_capacity || !(p->capacity_tpa > 0) || p->material < 0 ||
                   p->country < 0) {
            q->role = LODE_INV_NO_CAPACITY;
        } else {
            q->role = LODE_INV_CANDIDATE;
        }
    }
    /* A bundled project follows its lead; without a candidate lead it has no capex of its own,
     * and without capacity it adds nothing to simulate. */
    for (size_t i = 0; i < np; i++) {
        lode_invest_project *q = &r->projects[i];
        if (q->role != LODE_INV_BUNDLED)
            continue;
        const lode_project *p = &m->projects[i];
        if (r->projects[lead[i]].role != LODE_INV_CANDIDATE)
            q->role = LODE_INV_NO_CAPEX;
        else if (!p->has_capacity || !(p->capacity_tpa > 0) || p->material < 0 ||
                 p->country < 0)
            q->role = LODE_INV_NO_CAPACITY;
        else
            q->bundled_with = lead[i];
    }
    size_t nu = 0;
    for (size_t i = 0; i < np; i++) {
        switch (r->projects[i].role) {
        case LODE_INV_CANDIDATE:
            r->n_candidates++;
            nu++;
            break;
        case LODE_INV_BUNDLED:
            r->n_bundled++;
            break;
        case LODE_INV_OPERATING:
            r->n_operating++;
            break;
        case LODE_INV_NO_CAPEX:
            r->n_no_capex++;
            break;
        case LODE_INV_NO_CAPACITY:
            r->n_no_capacity++;
            break;
        }
    }
    r->units = lode_arena_calloc(c->a, nu + 1, sizeof *r->units);
    if (!r->units)
        return OOM(err);
    for (size_t i = 0; i < np; i++) {
        if (r->projects[i].role != LODE_INV_CANDIDATE)
            continue;
        lode_invest_unit *u = &r->units[r->n_units++];
        size_t nmem = 1;
        for (size_t j = 0; j < np; j++)
            nmem += r->projects[j].bundled_with == (int)i;
        int *mem = lode_arena_calloc(c->a, nmem, sizeof *mem);
        if (!mem)
            return OOM(err);
        u->lead = (int)i;
        u->members = mem;
        mem[u->n_members++] = (int)i;
        for (size_t j = 0; j < np; j++)
            if (r->projects[j].bundled_with == (int)i)
                mem[u->n_members++] = (int)j;
        u->capex_usd = m->projects[i].capex_usd_m * 1e6;
        for (size_t j = 0; j < u->n_members; j++) {
            const lode_invest_project *q = &r->projects[u->members[j]];
            u->permit_m = q->permit_m > u->permit_m ? q->permit_m : u->permit_m;
            u->build_m = q->build_m > u->build_m ? q->build_m : u->build_m;
        }
    }
    sort_units(r->units, r->n_units, m);
    for (size_t u = 0; u < r->n_units; u++)
        for (size_t j = 0; j < r->units[u].n_members; j++)
            r->projects[r->units[u].members[j]].unit = (int)u;
    return LODE_OK;
}

/* Stage dependencies of each unit: every essential input of a member's material that the unit
 * does not make itself, whether an ally produces it, and which units make it. */
static lode_status build_needs(inv *c, lode_err *err)
{
    const lode_model *m = c->m;
    lode_invest_result *r = c->r;
    size_t nc = m->n_countries;
    for (size_t u = 0; u < r->n_units; u++) {
        lode_invest_unit *un = &r->units[u];
        int ins[32];
        size_t n_in = 0;
        for (size_t j = 0; j < un->n_members; j++) {
            int k = m->projects[un->members[j]].material;
            int e[16];
            size_t ne = essential_inputs(m, k, e, 16);
            for (size_t q = 0; q < ne && n_in < 32; q++) {
                int dup = 0, self = 0;
                for (size_t z = 0; z < n_in; z++)
                    dup |= ins[z] == e[q];
                for (size_t z = 0; z < un->n_members; z++)
                    self |= m->projects[un->members[z]].material == e[q];
                if (!dup && !self)
                    ins[n_in++] = e[q];
            }
        }
        un->needs = lode_arena_calloc(c->a, n_in + 1, sizeof *un->needs);
        if (!un->needs)
            return OOM(err);
        for (size_t q = 0; q < n_in; q++) {
            lode_invest_need *nd = &un->needs[un->n_needs++];
            nd->material = ins[q];
            for (size_t k = 0; k < nc; k++)
                if (c->ally[k] && m->base.prod_t[(size_t)ins[q] * nc + k] > 0)
                    nd->have = 1;
            for (size_t v = 0; v < r->n_units; v++) {
                int makes = 0;
                for (size_t z = 0; v != u && z < r->units[v].n_members; z++)
                    makes |= m->projects[r->units[v].members[z]].material == ins[q];
                nd->n_sources += (size_t)makes;
            }
        }
    }
    return LODE_OK;
}

/* The portfolio arrays shared by every plan (needs, required); the per-plan ones are filled
 * by solve_plan. */
typedef struct pf_data {
    lode_portfolio p;
    double *capex, *benefit;
    unsigned char *fin, *req;
    size_t *need_item, *src_start, *src;
    unsigned char *need_have;
} pf_data;

static lode_status pf_init(inv *c, pf_data *d, lode_err *err)
{
    const lode_model *m = c->m;
    lode_invest_result *r = c->r;
    size_t nu = r->n_units, S = r->n_scenarios, nn = 0, ns = 0;
    for (size_t u = 0; u < nu; u++) {
        nn += r->units[u].n_needs;
        for (size_t q = 0; q < r->units[u].n_needs; q++)
            ns += r->units[u].needs[q].n_sources;
    }
    memset(d, 0, sizeof *d);
    d->capex = lode_arena_calloc(c->a, nu + 1, sizeof *d->capex);
    d->benefit = lode_arena_calloc(c->a, nu * S + 1, sizeof *d->benefit);
    d->fin = lode_arena_calloc(c->a, nu + 1, 1);
    d->req = lode_arena_calloc(c->a, nu + 1, 1);
    d->need_item = lode_arena_calloc(c->a, nn + 1, sizeof *d->need_item);
    d->need_have = lode_arena_calloc(c->a, nn + 1, 1);
    d->src_start = lode_arena_calloc(c->a, nn + 1, sizeof *d->src_start);
    d->src = lode_arena_calloc(c->a, ns + 1, sizeof *d->src);
    if (!d->capex || !d->benefit || !d->fin || !d->req || !d->need_item || !d->need_have ||
        !d->src_start || !d->src)
        return OOM(err);
    size_t k = 0, z = 0;
    for (size_t u = 0; u < nu; u++) {
        d->capex[u] = r->units[u].capex_usd;
        for (size_t q = 0; q < r->units[u].n_needs; q++) {
            const lode_invest_need *nd = &r->units[u].needs[q];
            d->need_item[k] = u;
            d->need_have[k] = (unsigned char)(nd->have != 0);
            d->src_start[k] = z;
            for (size_t v = 0; v < nu; v++) {
                int makes = 0;
                for (size_t w = 0; v != u && w < r->units[v].n_members; w++)
                    makes |= m->projects[r->units[v].members[w]].material == nd->material;
                if (makes)
                    d->src[z++] = v;
            }
            k++;
        }
    }
    d->src_start[k] = z;
    for (size_t i = 0; i < c->o->n_required; i++)
        d->req[r->projects[c->o->required[i]].unit] = 1;
    d->p.n_items = nu;
    d->p.capex_usd = d->capex;
    d->p.financeable = d->fin;
    d->p.required = c->o->n_required ? d->req : NULL;
    d->p.n_groups = S;
    d->p.weight = r->weights;
    d->p.benefit_t = d->benefit;
    d->p.cap_t = r->base_allied_t;
    d->p.n_needs = k;
    d->p.need_item = d->need_item;
    d->p.need_have = d->need_have;
    d->p.src_start = d->src_start;
    d->p.src = d->src;
    d->p.budget_usd = c->o->budget_usd;
    return LODE_OK;
}

static lode_status solve_plan(inv *c, pf_data *d, double cut, lode_invest_plan *pl,
                              lode_err *err)
{
    lode_invest_result *r = c->r;
    const lode_invest_opts *o = c->o;
    size_t nu = r->n_units, S = r->n_scenarios;
    double horizon_m = 12 * o->horizon_yr;
    pl->permit_cut = cut;
    pl->chosen = lode_arena_calloc(c->a, nu + 1, 1);
    pl->financeable = lode_arena_calloc(c->a, nu + 1, 1);
    pl->online_m = lode_arena_calloc(c->a, nu + 1, sizeof *pl->online_m);
    pl->coverage = lode_arena_calloc(c->a, nu + 1, sizeof *pl->coverage);
    if (!pl->chosen || !pl->financeable || !pl->online_m || !pl->coverage)
        return OOM(err);
    for (size_t u = 0; u < nu; u++) {
        const lode_invest_unit *un = &r->units[u];
        double permit = un->permit_m * (1 - cut);
        pl->financeable[u] = permit <= o->window_m + 1e-9;
        pl->online_m[u] = permit + un->build_m;
        double cov = horizon_m > 0 ? (horizon_m - pl->online_m[u]) / horizon_m : 0;
        pl->coverage[u] = cov < 0 ? 0 : cov > 1 ? 1 : cov;
        d->fin[u] = pl->financeable[u];
        for (size_t s = 0; s < S; s++)
            d->benefit[u * S + s] = pl->coverage[u] * un->removed_full_t[s];
    }
    lode_portfolio_opts po = {o->time_limit_s, o->reference, o->clock, o->clock_ctx};
    LODE_TRY(lode_portfolio_solve(&d->p, &po, c->a, &pl->milp, err));
    pl->status = pl->milp.status;
    memcpy(pl->chosen, pl->milp.chosen, nu);
    pl->removed_t = pl->milp.removed_t;
    pl->removed_scenario_t = pl->milp.removed_group_t;
    pl->capex_usd = pl->milp.capex_usd;
    pl->t_per_musd = pl->capex_usd > 0 ? pl->removed_t / (pl->capex_usd / 1e6) : 0;
    return LODE_OK;
}

/* Why the base plan has no solution, in words: the blocking families and, for each required
 * unit, the constraint it cannot meet on its own. */
static lode_status infeasible_why(inv *c, const pf_data *d, const lode_invest_plan *pl,
                                  lode_err *err)
{
    const lode_model *m = c->m;
    lode_invest_result *r = c->r;
    char msg[1024] = "";
    size_t len = 0;
#define ADD(...)                                                                               \
    do {                                                                                       \
        if (len < sizeof msg)                                                                  \
            len += (size_t)snprintf(msg + len, sizeof msg - len, __VA_ARGS__);                 \
    } while (0)
    ADD("no portfolio meets every constraint (");
    if (pl->milp.blocking == 0)
        ADD("required projects together with several constraints");
    int first = 1;
    for (unsigned f = LODE_PF_BUDGET; f <= LODE_PF_NEEDS; f <<= 1)
        if (pl->milp.blocking & f) {
            ADD("%s%s", first ? "required projects against the " : " or the ",
                lode_portfolio_family_name((lode_portfolio_family)f));
            first = 0;
        }
    ADD(")");
    double req_capex = 0;
    for (size_t u = 0; u < r->n_units; u++)
        if (d->req[u])
            req_capex += r->units[u].capex_usd;
    if (req_capex > c->o->budget_usd)
        ADD(": the required projects cost %.0f M USD, over the budget of %.0f M USD",
            req_capex / 1e6, c->o->budget_usd / 1e6);
    for (size_t u = 0; u < r->n_units; u++) {
        if (!d->req[u])
            continue;
        const char *id = m->projects[r->units[u].lead].id;
        if (!pl->financeable[u])
            ADD("; %s has %.0f months of permitting ahead, beyond the %g-month financing "
                "window",
                id, r->units[u].permit_m * (1 - pl->permit_cut), c->o->window_m);
        for (size_t q = 0; q < r->units[u].n_needs; q++) {
            const lode_invest_need *nd = &r->units[u].needs[q];
            if (!nd->have)
                ADD("; %s needs %s, which no member of %s produces%s", id,
                    m->materials[nd->material].id, m->alliances[c->o->alliance].id,
                    nd->n_sources ? " and no candidate that makes it fits" :
                                    " and no candidate makes");
        }
    }
#undef ADD
    return LODE_FAIL(err, LODE_ENOSOLN, "", 0, "", "%s", msg);
}

/* Concentration of each material the chosen units add to, before and after. */
static lode_status build_hhi(inv *c, const unsigned char *chosen, lode_err *err)
{
    const lode_model *m = c->m;
    lode_invest_result *r = c->r;
    size_t nm = m->n_materials, n_caps = 0;
    double *added = lode_arena_calloc(c->a, nm, sizeof *added);
    add_cap *caps = lode_arena_calloc(c->a, m->n_projects + 1, sizeof *caps);
    if (!added || !caps)
        return OOM(err);
    for (size_t u = 0; u < r->n_units; u++) {
        if (!chosen[u])
            continue;
        for (size_t j = 0; j < r->units[u].n_members; j++) {
            const lode_project *p = &m->projects[r->units[u].members[j]];
            caps[n_caps].material = p->material;
            caps[n_caps].country = p->country;
            caps[n_caps++].t = p->capacity_tpa;
            added[p->material] += p->capacity_tpa;
        }
    }
    size_t n = 0;
    for (size_t k = 0; k < nm; k++)
        n += added[k] > 0;
    r->hhi = lode_arena_calloc(c->a, n + 1, sizeof *r->hhi);
    if (!r->hhi)
        return OOM(err);
    if (n == 0)
        return LODE_OK;
    lode_arena *tmp = lode_arena_new();
    if (tmp == NULL)
        return OOM(err);
    lode_model v;
    lode_risk_opts ro = {-1, -1};
    lode_risk_result before, after;
    lode_status st = view_build(m, caps, n_caps, NULL, 0, tmp, &v, err);
    if (st == LODE_OK)
        st = lode_risk_run(m, &ro, tmp, &before, err);
    if (st == LODE_OK)
        st = lode_risk_run(&v, &ro, tmp, &after, err);
    /* Risk rows come sorted by stage, then material id: keep that order. */
    for (size_t i = 0; st == LODE_OK && i < after.n_rows; i++) {
        const lode_risk_row *w = &after.rows[i];
        if (!(added[w->material] > 0))
            continue;
        lode_invest_hhi *h = &r->hhi[r->n_hhi++];
        h->material = w->material;
        h->stage = w->stage;
        h->added_t = added[w->material];
        h->world_after_t = w->world_t;
        h->hhi_after = w->hhi;
        h->top1_after = w->top1_country;
        h->top1_share_after = w->top1_share;
        h->top1_before = -1;
        for (size_t j = 0; j < before.n_rows; j++)
            if (before.rows[j].material == w->material) {
                h->world_before_t = before.rows[j].world_t;
                h->hhi_before = before.rows[j].hhi;
                h->top1_before = before.rows[j].top1_country;
                h->top1_share_before = before.rows[j].top1_share;
            }
    }
    lode_arena_free(tmp);
    return st;
}

void lode_invest_opts_default(lode_invest_opts *o)
{
    static const double cuts[3] = {0, 0.25, 0.5};
    memset(o, 0, sizeof *o);
    o->window_m = 6;
    o->alliance = -1;
    o->horizon_yr = 10;
    o->as_of_year = 2026;
    o->permit_cuts = cuts;
    o->n_cuts = 3;
    o->runs = 200;
    o->seed = 1;
    o->threads = 1;
}

lode_status lode_invest_run(const lode_model *m, const lode_invest_opts *o, lode_arena *a,
                            lode_invest_result *out, lode_err *err)
{
    static const double default_cuts[3] = {0, 0.25, 0.5};
    if (out)
        memset(out, 0, sizeof *out);
    if (!m || !m->frozen || !o || !out)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "invest: missing model, options or "
                                                      "result");
    if (!(o->budget_usd > 0) || !isfinite(o->budget_usd))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "budget", "the budget must be > 0 USD, got %g",
                         o->budget_usd);
    if (!(o->window_m >= 0) || !(o->horizon_yr > 0) || o->runs < 1)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "invest: the window must be >= 0 months, "
                                                      "the horizon > 0 years and runs >= 1");
    if (o->alliance < 0 || (size_t)o->alliance >= m->n_alliances)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "alliance", "invest: no such alliance");
    if (o->n_scenarios == 0 || !o->scenarios)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "scenario", "invest: no scenario given");
    const double *cuts = o->permit_cuts ? o->permit_cuts : default_cuts;
    size_t n_cuts = o->permit_cuts ? o->n_cuts : 3;
    for (size_t i = 0; i < n_cuts; i++)
        if (!(cuts[i] >= 0 && cuts[i] <= 1))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "permit_cuts",
                             "a permitting cut is a share 0..1, got %g", cuts[i]);
    if (n_cuts == 0)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "permit_cuts", "no permitting cut given");

    inv c = {m, o, a, NULL, out, 0, 0};
    size_t nc = m->n_countries, S = o->n_scenarios;
    c.ally = lode_arena_calloc(a, nc + 1, 1);
    if (!c.ally)
        return OOM(err);
    const lode_alliance *al = &m->alliances[o->alliance];
    for (size_t i = 0; i < al->n_members; i++)
        c.ally[al->members[i]] = 1;

    LODE_TRY(build_candidates(&c, err));
    for (size_t i = 0; i < o->n_required; i++) {
        int p = o->required[i];
        if (p < 0 || (size_t)p >= m->n_projects)
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "require", "no such project");
        if (out->projects[p].unit < 0)
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "require",
                             "project \"%s\" is not a candidate (%s)", m->projects[p].id,
                             lode_invest_role_name(out->projects[p].role));
    }
    LODE_TRY(build_needs(&c, err));

    /* Scenario weights, normalised. */
    out->n_scenarios = S;
    out->weights = lode_arena_calloc(a, S, sizeof *out->weights);
    out->base_allied_t = lode_arena_calloc(a, S, sizeof *out->base_allied_t);
    out->joint_t = lode_arena_calloc(a, S, sizeof *out->joint_t);
    if (!out->weights || !out->base_allied_t || !out->joint_t)
        return OOM(err);
    double wsum = 0;
    for (size_t s = 0; s < S; s++) {
        double w = o->weights ? o->weights[s] : 1;
        if (!(w >= 0) || !isfinite(w))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weights",
                             "scenario weights must be >= 0, got %g", w);
        out->weights[s] = w;
        wsum += w;
    }
    if (!(wsum > 0))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "weights", "the scenario weights sum to 0");
    for (size_t s = 0; s < S; s++)
        out->weights[s] /= wsum;

    /* Benefits: one simulation per scenario at baseline, then one per unit and scenario; the
     * plans below reuse them (only timing changes with permitting). */
    c.total = (long)(S * (out->n_units + 2));
    for (size_t s = 0; s < S; s++)
        LODE_TRY(allied_shortfall(&c, m, &o->scenarios[s], &out->base_allied_t[s], err));
    for (size_t s = 0; s < S; s++)
        out->base_mean_t += out->weights[s] * out->base_allied_t[s];
    unsigned char *on = lode_arena_calloc(a, out->n_units + 1, 1);
    if (!on)
        return OOM(err);
    for (size_t u = 0; u < out->n_units; u++) {
        lode_invest_unit *un = &out->units[u];
        un->removed_full_t = lode_arena_calloc(a, S, sizeof *un->removed_full_t);
        if (!un->removed_full_t)
            return OOM(err);
        memset(on, 0, out->n_units);
        on[u] = 1;
        LODE_TRY(simulate_units(&c, on, un->removed_full_t, err));
        for (size_t s = 0; s < S; s++)
            un->removed_full_mean_t += out->weights[s] * un->removed_full_t[s];
    }

    pf_data d;
    LODE_TRY(pf_init(&c, &d, err));
    out->n_plans = n_cuts;
    out->plans = lode_arena_calloc(a, n_cuts, sizeof *out->plans);
    if (!out->plans)
        return OOM(err);
    for (size_t i = 0; i < n_cuts; i++)
        LODE_TRY(solve_plan(&c, &d, cuts[i], &out->plans[i], err));
    const lode_invest_plan *base = &out->plans[0];
    if (base->status == LODE_PLAN_INFEASIBLE)
        return infeasible_why(&c, &d, base, err);
    if (base->status == LODE_PLAN_ERROR)
        return LODE_FAIL(err, LODE_ENOSOLN, "", 0, "", "cbc failed on the portfolio MILP");

    /* The chosen units simulated together: how far from additive their benefits are. */
    int any = 0;
    for (size_t u = 0; u < out->n_units; u++) {
        any |= base->chosen[u];
        if (base->chosen[u])
            out->joint_sum_mean_t += out->units[u].removed_full_mean_t;
    }
    if (any) {
        LODE_TRY(simulate_units(&c, base->chosen, out->joint_t, err));
        for (size_t s = 0; s < S; s++)
            out->joint_mean_t += out->weights[s] * out->joint_t[s];
    } else if (o->progress) {
        o->progress(o->progress_ctx, c.total, c.total);
    }
    return build_hhi(&c, base->chosen, err);
}
