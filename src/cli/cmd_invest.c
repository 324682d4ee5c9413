/* cmd_invest.c: `lode invest --budget USD`: the project portfolio that most reduces expected
 * allied shortfall under the scenario set within a budget (a MILP solved by CBC), what faster
 * permitting buys, and the concentration after it. A thin handler over lode_invest_run: it
 * finds the scenario files, keeps the clock the engine may not read, and prints. */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "lode/invest.h"
#include "lode/sim.h"

static const char invest_usage[] =
    "usage: lode invest --budget USD [--months M] [--alliance A] [--scenario S]...\n"
    "                   [--require ID]... [--horizon Y] [--as-of YEAR] [--runs N] [--seed S]\n"
    "                   [--threads T] [--json | --csv]\n"
    "Chooses which candidate projects of data/projects.csv to finance within the budget (USD;\n"
    "suffixes k, m, bn allowed: 2.5bn) so that the expected allied shortfall under the scenario\n"
    "set falls the most: a 0/1 program solved by COIN-OR CBC. A project's benefit is the allied\n"
    "shortfall (t, all materials) the weekly simulation loses when its capacity x probability of\n"
    "success is added to its country and sold to the alliance, counted over the share of the\n"
    "planning horizon (--horizon years, default 10, from 1 January of --as-of, default 2026)\n"
    "it is online. Only projects with at most M months of permitting ahead can be financed\n"
    "(--months, default 6: the US-Japan framework's financing window); a plant needing an\n"
    "input no ally makes counts only with a project that makes it. The portfolio is chosen again\n"
    "with permitting cut by 25 % and 50 %. Defaults: alliance MSP; every scenario in the\n"
    "bundled scenarios/ directory, equally likely (--scenario takes a file or a bundled name,\n"
    "repeatable); 200 Monte Carlo runs for random scenarios (1 for fixed ones), seed 1.\n"
    "--require ID forces a project in (exit 3 if then infeasible, naming why).\n"
    "See docs/invest.md.\n";

static double now_s(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- arguments ---------------------------------------------------------------------------- */

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* USD with an optional k, m or bn suffix (any case); > 0. */
static int parse_usd(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    double v = strtod(s, &end), mult = 1;
    if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
        mult = 1e3;
    else if (strcmp(end, "m") == 0 || strcmp(end, "M") == 0)
        mult = 1e6;
    else if (strcmp(end, "bn") == 0 || strcmp(end, "BN") == 0 || strcmp(end, "b") == 0 ||
             strcmp(end, "B") == 0)
        mult = 1e9;
    else if (*end != '\0')
        return -1;
    v *= mult;
    if (!isfinite(v) || !(v > 0))
        return -1;
    *out = v;
    return 0;
}

/* The bundled scenarios directory: beside the bundled data directory. */
static void scenario_dir(const lode_ctx *ctx, char *out, size_t len)
{
    const char *env = getenv("LODE_SCENARIOS");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    snprintf(out, len, "%s", ctx->data_dir);
    char *slash = strrchr(out, '/');
    size_t at = slash ? (size_t)(slash - out) + 1 : 0;
    snprintf(out + at, len - at, "scenarios");
}

/* A scenario argument: a file that exists, else a bundled scenario's name. */
static const char *scenario_path(const lode_ctx *ctx, const char *arg)
{
    if (access(arg, R_OK) == 0)
        return lode_arena_strdup(ctx->arena, arg);
    char dir[4096], path[4400];
    scenario_dir(ctx, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.json", dir, arg);
    if (access(path, R_OK) == 0)
        return lode_arena_strdup(ctx->arena, path);
    return NULL;
}

/* ---- output helpers ----------------------------------------------------------------------- */

static const char *cid(const lode_model *m, int c)
{
    return c >= 0 ? m->countries[c].iso3 : "-";
}

static const char *pid(const lode_model *m, int p)
{
    return m->projects[p].id;
}

static const char *needs_text(const lode_model *m, const lode_invest_unit *u, char *buf,
                              size_t len)
{
    buf[0] = '\0';
    size_t at = 0;
    for (size_t q = 0; q < u->n_needs && at < len; q++) {
        const lode_invest_need *nd = &u->needs[q];
        at += (size_t)snprintf(buf + at, len - at, "%s%s (%s)", q ? "; " : "",
                               m->materials[nd->material].id,
                               nd->have ? "allies make it"
                               : nd->n_sources ? "only from a candidate"
                                               : "no ally makes it");
    }
    return buf;
}

static const char *chosen_list(const lode_model *m, const lode_invest_result *r,
                               const lode_invest_plan *pl, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t u = 0; u < r->n_units && at < len; u++)
        if (pl->chosen[u])
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
                                   pid(m, r->units[u].lead));
    if (at == 0)
        snprintf(buf, len, "(none)");
    return buf;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static cJSON *plan_json(const lode_model *m, const lode_invest_result *r,
                        const lode_invest_plan *pl, const lode_invest_plan *base)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddItemToObject(x, "permit_cut", out_num(pl->permit_cut));
    cJSON_AddStringToObject(x, "status", lode_plan_status_name(pl->status));
    cJSON *ch = cJSON_AddArrayToObject(x, "chosen");
    for (size_t u = 0; u < r->n_units; u++)
        if (pl->chosen[u])
            cJSON_AddItemToArray(ch, cJSON_CreateString(pid(m, r->units[u].lead)));
    cJSON_AddItemToObject(x, "capex_usd", out_num(pl->capex_usd));
    cJSON_AddItemToObject(x, "removed_t", out_num(pl->removed_t));
    cJSON_AddItemToObject(x, "removed_share",
                          out_num(r->base_mean_t > 0 ? pl->removed_t / r->base_mean_t : 0));
    cJSON_AddItemToObject(x, "removed_t_per_musd", out_num(pl->t_per_musd));
    cJSON_AddItemToObject(x, "removed_t_per_usd", out_num(pl->t_per_musd / 1e6));
    cJSON_AddItemToObject(x, "delta_removed_t", out_num(pl->removed_t - base->removed_t));
    cJSON *sc = cJSON_AddArrayToObject(x, "removed_by_scenario_t");
    for (size_t s = 0; s < r->n_scenarios; s++)
        cJSON_AddItemToArray(sc, out_num(pl->removed_scenario_t ? pl->removed_scenario_t[s] : 0));
    cJSON *us = cJSON_AddArrayToObject(x, "projects");
    for (size_t u = 0; u < r->n_units; u++) {
        cJSON *y = cJSON_CreateObject();
        cJSON_AddStringToObject(y, "id", pid(m, r->units[u].lead));
        cJSON_AddBoolToObject(y, "chosen", pl->chosen[u]);
        cJSON_AddBoolToObject(y, "financeable", pl->financeable[u]);
        cJSON_AddItemToObject(y, "permitting_months",
                              out_num(r->units[u].permit_m * (1 - pl->permit_cut)));
        cJSON_AddItemToObject(y, "online_months", out_num(pl->online_m[u]));
        cJSON_AddItemToObject(y, "horizon_share_online", out_num(pl->coverage[u]));
        cJSON_AddItemToArray(us, y);
    }
    const lode_portfolio_result *q = &pl->milp;
    cJSON *cbc = cJSON_AddObjectToObject(x, "cbc");
    cJSON_AddNumberToObject(cbc, "nodes", (double)q->nodes);
    cJSON_AddNumberToObject(cbc, "iterations", (double)q->iterations);
    cJSON_AddItemToObject(cbc, "time_s", out_num(q->solve_s));
    cJSON_AddNumberToObject(cbc, "columns", (double)q->n_cols);
    cJSON_AddNumberToObject(cbc, "rows", (double)q->n_rows);
    cJSON_AddNumberToObject(cbc, "nonzeros", (double)q->n_nonzeros);
    cJSON *ref = cJSON_AddObjectToObject(x, "reference");
    cJSON_AddItemToObject(ref, "lp_relaxation_t",
                          q->have_relax ? out_num(q->relax_t) : cJSON_CreateNull());
    cJSON_AddItemToObject(ref, "lp_relaxation_time_s",
                          q->have_relax ? out_num(q->relax_s) : cJSON_CreateNull());
    cJSON_AddItemToObject(ref, "glpk_t", q->have_glpk ? out_num(q->glpk_t) : cJSON_CreateNull());
    cJSON_AddItemToObject(ref, "glpk_time_s",
                          q->have_glpk ? out_num(q->glpk_s) : cJSON_CreateNull());
    return x;
}

static int json_out(const lode_model *m, const lode_invest_opts *o, const char *const *paths,
                    const lode_invest_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    const lode_alliance *al = &m->alliances[o->alliance];
    cJSON_AddItemToObject(doc, "budget_usd", out_num(o->budget_usd));
    cJSON_AddItemToObject(doc, "window_months", out_num(o->window_m));
    cJSON_AddStringToObject(doc, "alliance", al->id);
    cJSON *mem = cJSON_AddArrayToObject(doc, "alliance_members");
    for (size_t i = 0; i < al->n_members; i++)
        cJSON_AddItemToArray(mem, cJSON_CreateString(cid(m, al->members[i])));
    cJSON_AddItemToObject(doc, "horizon_years", out_num(o->horizon_yr));
    cJSON_AddNumberToObject(doc, "as_of_year", o->as_of_year);
    cJSON_AddNumberToObject(doc, "runs", (double)o->runs);
    cJSON_AddNumberToObject(doc, "seed", (double)o->seed);
    cJSON_AddNumberToObject(doc, "simulations", (double)r->n_sims);
    cJSON_AddItemToObject(doc, "allied_shortfall_t", out_num(r->base_mean_t));
    cJSON *sc = cJSON_AddArrayToObject(doc, "scenarios");
    for (size_t s = 0; s < r->n_scenarios; s++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", o->scenarios[s].name ? o->scenarios[s].name : "");
        cJSON_AddStringToObject(x, "path", paths[s]);
        cJSON_AddItemToObject(x, "weight", out_num(r->weights[s]));
        cJSON_AddItemToObject(x, "allied_shortfall_t", out_num(r->base_allied_t[s]));
        cJSON_AddItemToArray(sc, x);
    }
    cJSON *pr = cJSON_AddArrayToObject(doc, "projects");
    for (size_t i = 0; i < r->n_projects; i++) {
        const lode_invest_project *q = &r->projects[i];
        const lode_project *p = &m->projects[q->project];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", p->id);
        cJSON_AddStringToObject(x, "country", cid(m, p->country));
        cJSON_AddStringToObject(x, "material", p->material_id ? p->material_id : "");
        cJSON_AddStringToObject(x, "role", lode_invest_role_name(q->role));
        cJSON_AddStringToObject(x, "bundled_with",
                                q->bundled_with >= 0 ? pid(m, q->bundled_with) : "");
        cJSON_AddStringToObject(x, "status_class", q->status_class);
        cJSON_AddItemToObject(x, "capacity_tpa",
                              p->has_capacity ? out_num(p->capacity_tpa) : cJSON_CreateNull());
        cJSON_AddItemToObject(x, "capex_usd",
                              p->has_capex ? out_num(p->capex_usd_m * 1e6) : cJSON_CreateNull());
        cJSON_AddItemToObject(x, "p_success", out_num(q->p_success));
        cJSON_AddStringToObject(x, "p_success_basis", q->p_basis);
        cJSON_AddItemToObject(x, "permitting_months", out_num(q->permit_m));
        cJSON_AddStringToObject(x, "permitting_basis", q->permit_basis);
        cJSON_AddItemToObject(x, "build_months", out_num(q->build_m));
        cJSON_AddStringToObject(x, "build_basis", q->build_basis);
        cJSON_AddStringToObject(x, "source", p->prov.source ? p->prov.source : "");
        cJSON_AddItemToArray(pr, x);
    }
    cJSON *cand = cJSON_AddArrayToObject(doc, "candidates");
    for (size_t u = 0; u < r->n_units; u++) {
        const lode_invest_unit *un = &r->units[u];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", pid(m, un->lead));
        cJSON *mm = cJSON_AddArrayToObject(x, "members");
        for (size_t j = 0; j < un->n_members; j++)
            cJSON_AddItemToArray(mm, cJSON_CreateString(pid(m, un->members[j])));
        cJSON_AddItemToObject(x, "capex_usd", out_num(un->capex_usd));
        cJSON_AddItemToObject(x, "permitting_months", out_num(un->permit_m));
        cJSON_AddItemToObject(x, "build_months", out_num(un->build_m));
        cJSON *nd = cJSON_AddArrayToObject(x, "needs");
        for (size_t q = 0; q < un->n_needs; q++) {
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "material", m->materials[un->needs[q].material].id);
            cJSON_AddBoolToObject(y, "allied_production", un->needs[q].have);
            cJSON_AddNumberToObject(y, "candidate_sources", (double)un->needs[q].n_sources);
            cJSON_AddItemToArray(nd, y);
        }
        cJSON *rs = cJSON_AddArrayToObject(x, "removed_if_online_t");
        for (size_t s = 0; s < r->n_scenarios; s++)
            cJSON_AddItemToArray(rs, out_num(un->removed_full_t[s]));
        cJSON_AddItemToObject(x, "removed_if_online_mean_t", out_num(un->removed_full_mean_t));
        cJSON_AddItemToObject(x, "removed_if_online_t_per_musd",
                              out_num(un->removed_full_mean_t / (un->capex_usd / 1e6)));
        cJSON_AddItemToArray(cand, x);
    }
    cJSON *pl = cJSON_AddArrayToObject(doc, "plans");
    for (size_t i = 0; i < r->n_plans; i++)
        cJSON_AddItemToArray(pl, plan_json(m, r, &r->plans[i], &r->plans[0]));
    cJSON *h = cJSON_AddArrayToObject(doc, "hhi_after");
    for (size_t i = 0; i < r->n_hhi; i++) {
        const lode_invest_hhi *w = &r->hhi[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "material", m->materials[w->material].id);
        cJSON_AddStringToObject(x, "stage", lode_stage_name(w->stage));
        cJSON_AddItemToObject(x, "added_tpa", out_num(w->added_t));
        cJSON_AddItemToObject(x, "world_before_t", out_num(w->world_before_t));
        cJSON_AddItemToObject(x, "world_after_t", out_num(w->world_after_t));
        cJSON_AddItemToObject(x, "hhi_before", out_num(w->hhi_before));
        cJSON_AddItemToObject(x, "hhi_after", out_num(w->hhi_after));
        cJSON_AddStringToObject(x, "top1_before", cid(m, w->top1_before));
        cJSON_AddItemToObject(x, "top1_share_before", out_num(w->top1_share_before));
        cJSON_AddStringToObject(x, "top1_after", cid(m, w->top1_after));
        cJSON_AddItemToObject(x, "top1_share_after", out_num(w->top1_share_after));
        cJSON_AddItemToArray(h, x);
    }
    cJSON *j = cJSON_AddObjectToObject(doc, "joint_check");
    cJSON_AddItemToObject(j, "removed_together_t", out_num(r->joint_mean_t));
    cJSON_AddItemToObject(j, "removed_sum_of_singles_t", out_num(r->joint_sum_mean_t));
    cJSON_AddStringToObject(doc, "source",
                            "projects.csv (capacity, capex, status, start_year, permitting); "
                            "shortfall from lode_sim_run on the store's baseline; "
                            "defaults and assumptions in docs/invest.md");
    return out_json(doc);
}

/* ---- table and CSV ------------------------------------------------------------------------ */

static int csv_out(const lode_model *m, const lode_invest_result *r, lode_ctx *ctx)
{
    static const char *const head[] = {
        "permit_cut",       "id",         "country",          "material",
        "capex_usd",        "p_success",  "permitting_months", "online_months",
        "horizon_share_online", "financeable", "removed_if_online_t", "chosen"};
    static const int right[] = {1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    out_table t;
    out_table_init(&t, 12, head, right);
    for (size_t i = 0; i < r->n_plans; i++) {
        const lode_invest_plan *pl = &r->plans[i];
        for (size_t u = 0; u < r->n_units; u++) {
            const lode_invest_unit *un = &r->units[u];
            const lode_project *p = &m->projects[un->lead];
            out_table_addf(&t, "%.6g", pl->permit_cut);
            out_table_add(&t, p->id);
            out_table_add(&t, cid(m, p->country));
            out_table_add(&t, p->material_id);
            out_table_addf(&t, "%.10g", un->capex_usd);
            out_table_addf(&t, "%.6g", r->projects[un->lead].p_success);
            out_table_addf(&t, "%.6g", un->permit_m * (1 - pl->permit_cut));
            out_table_addf(&t, "%.6g", pl->online_m[u]);
            out_table_addf(&t, "%.6g", pl->coverage[u]);
            out_table_addf(&t, "%d", pl->financeable[u]);
            out_table_addf(&t, "%.10g", un->removed_full_mean_t);
            out_table_addf(&t, "%d", pl->chosen[u]);
        }
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

static int table_out(const lode_model *m, const lode_invest_opts *o, const lode_invest_result *r,
                     lode_ctx *ctx)
{
    char b1[64], b2[64], buf[1024];
    const lode_alliance *al = &m->alliances[o->alliance];
    printf("lode invest: budget %s M USD, financing window %g months, alliance %s (%zu members), "
           "%zu scenarios, horizon %g years from 1 Jan %d, %ld runs, seed %llu\n\n",
           fmt_t(b1, sizeof b1, o->budget_usd / 1e6), o->window_m, al->id, al->n_members,
           r->n_scenarios, o->horizon_yr, o->as_of_year, o->runs, (unsigned long long)o->seed);
    printf("projects.csv: %zu projects: %zu candidates (+%zu bundled with one), %zu already "
           "operating, %zu without capex, %zu without capacity\n\n",
           r->n_projects, r->n_candidates, r->n_bundled, r->n_operating, r->n_no_capex,
           r->n_no_capacity);

    static const char *const sh[] = {"scenario", "weight", "allied shortfall (t)",
                                      "removed by portfolio (t)"};
    static const int sr[] = {0, 1, 1, 1};
    out_table t;
    out_table_init(&t, 4, sh, sr);
    for (size_t s = 0; s < r->n_scenarios; s++) {
        out_table_add(&t, o->scenarios[s].name ? o->scenarios[s].name : "");
        out_table_addf(&t, "%.3f", r->weights[s]);
        out_table_add(&t, fmt_t(b1, sizeof b1, r->base_allied_t[s]));
        out_table_add(&t, fmt_t(b2, sizeof b2, r->plans[0].removed_scenario_t[s]));
    }
    int rc = out_table_print(&t, ctx->fmt, stdout);
    if (rc)
        return rc;

    printf("\ncandidates (removed if online: allied shortfall the simulation loses with the "
           "project online all through a disruption, mean over scenarios)\n");
    static const char *const ch[] = {"project",    "country", "material", "capacity (t/yr)",
                                      "capex (M USD)", "p_success", "permits left (months)",
                                      "online (months)", "removed if online (t)",
                                      "t per M USD", "needs", "chosen"};
    static const int cr[] = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    out_table_init(&t, 12, ch, cr);
    const lode_invest_plan *base = &r->plans[0];
    for (size_t u = 0; u < r->n_units; u++) {
        const lode_invest_unit *un = &r->units[u];
        const lode_project *p = &m->projects[un->lead];
        double cap = 0;
        for (size_t j = 0; j < un->n_members; j++)
            cap += m->projects[un->members[j]].capacity_tpa;
        out_table_addf(&t, "%s%s", p->id, un->n_members > 1 ? " (+bundled)" : "");
        out_table_add(&t, cid(m, p->country));
        out_table_add(&t, p->material_id);
        out_table_add(&t, fmt_t(b1, sizeof b1, cap));
        out_table_add(&t, fmt_t(b2, sizeof b2, un->capex_usd / 1e6));
        out_table_addf(&t, "%.2f", r->projects[un->lead].p_success);
        out_table_addf(&t, "%.0f", un->permit_m);
        out_table_addf(&t, "%.0f", base->online_m[u]);
        out_table_add(&t, fmt_t(b1, sizeof b1, un->removed_full_mean_t));
        out_table_addf(&t, "%.3g", un->removed_full_mean_t / (un->capex_usd / 1e6));
        out_table_add(&t, un->n_needs ? needs_text(m, un, buf, sizeof buf) : "");
        out_table_add(&t, base->chosen[u] ? "yes" : base->financeable[u] ? "no" : "window");
    }
    rc = out_table_print(&t, ctx->fmt, stdout);
    if (rc)
        return rc;

    printf("\nportfolios (removed: expected allied shortfall removed per disruption, time-"
           "weighted; of %s t)\n",
           fmt_t(b1, sizeof b1, r->base_mean_t));
    static const char *const ph[] = {"permitting", "chosen", "capex (M USD)", "removed (t)",
                                      "t per M USD", "vs as is (t)", "CBC", "nodes",
                                      "time (s)", "LP bound (t)"};
    static const int pr_[] = {0, 0, 1, 1, 1, 1, 0, 1, 1, 1};
    out_table_init(&t, 10, ph, pr_);
    for (size_t i = 0; i < r->n_plans; i++) {
        const lode_invest_plan *pl = &r->plans[i];
        if (pl->permit_cut == 0)
            out_table_add(&t, "as is");
        else
            out_table_addf(&t, "-%.0f %%", 100 * pl->permit_cut);
        out_table_add(&t, chosen_list(m, r, pl, buf, sizeof buf));
        out_table_add(&t, fmt_t(b1, sizeof b1, pl->capex_usd / 1e6));
        out_table_addf(&t, "%.4g", pl->removed_t);
        out_table_addf(&t, "%.3g", pl->t_per_musd);
        out_table_addf(&t, "%+.4g", pl->removed_t - base->removed_t);
        out_table_add(&t, lode_plan_status_name(pl->status));
        out_table_addf(&t, "%ld", pl->milp.nodes);
        out_table_addf(&t, "%.4f", pl->milp.solve_s);
        if (pl->milp.have_relax)
            out_table_addf(&t, "%.4g", pl->milp.relax_t);
        else
            out_table_add(&t, "-");
    }
    rc = out_table_print(&t, ctx->fmt, stdout);
    if (rc)
        return rc;

    if (r->n_hhi) {
        printf("\nconcentration after the portfolio (nameplate capacity added to production)\n");
        static const char *const hh[] = {"material", "stage", "added (t/yr)", "HHI before",
                                          "HHI after", "top-1 before", "top-1 after"};
        static const int hr[] = {0, 0, 1, 1, 1, 0, 0};
        out_table_init(&t, 7, hh, hr);
        for (size_t i = 0; i < r->n_hhi; i++) {
            const lode_invest_hhi *w = &r->hhi[i];
            out_table_add(&t, m->materials[w->material].id);
            out_table_add(&t, lode_stage_name(w->stage));
            out_table_add(&t, fmt_t(b1, sizeof b1, w->added_t));
            out_table_addf(&t, "%.0f", w->hhi_before);
            out_table_addf(&t, "%.0f", w->hhi_after);
            out_table_addf(&t, "%s %.2f", cid(m, w->top1_before), w->top1_share_before);
            out_table_addf(&t, "%s %.2f", cid(m, w->top1_after), w->top1_share_after);
        }
        rc = out_table_print(&t, ctx->fmt, stdout);
        if (rc)
            return rc;
    }
    printf("\nchosen projects simulated together remove %.4g t per disruption online all "
           "through (sum of singles %.4g t).\n",
           r->joint_mean_t, r->joint_sum_mean_t);
    /* What faster permits would buy beyond the candidates: projects waiting for permits. */
    size_t waiting = 0;
    for (size_t i = 0; i < r->n_projects; i++)
        waiting += r->projects[i].permit_m > 0 && r->projects[i].role != LODE_INV_OPERATING;
    if (waiting) {
        printf("projects still waiting for permits (%zu):", waiting);
        for (size_t i = 0; i < r->n_projects; i++) {
            const lode_invest_project *q = &r->projects[i];
            if (q->permit_m > 0 && q->role != LODE_INV_OPERATING)
                printf(" %s (%.0f months, %s)", pid(m, q->project), q->permit_m,
                       lode_invest_role_name(q->role));
        }
        printf(".\n");
    }
    printf("%ld simulations. Probabilities of success and permitting/construction months not in "
           "projects.csv are stated defaults (--json gives each basis); see docs/invest.md.\n",
           r->n_sims);
    return 0;
}

/* ---- the command -------------------------------------------------------------------------- */

int cmd_invest(int argc, char **argv, lode_ctx *ctx)
{
    lode_invest_opts o;
    lode_invest_opts_default(&o);
    const char *alliance = "MSP";
    const char **scen = calloc((size_t)argc + 1, sizeof *scen);
    const char **req = calloc((size_t)argc + 1, sizeof *req);
    size_t n_scen = 0, n_req = 0;
    long threads = 0, as_of = o.as_of_year;
    int have_budget = 0, rc = 0;
    if (!scen || !req) {
        free(scen);
        free(req);
        fputs("lode: out of memory\n", stderr);
        return LODE_EIO;
    }
    if (cli_wants_help(argc, argv)) {
        fputs(invest_usage, stdout);
        goto done;
    }
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--budget") == 0) {
            if (parse_usd(v, &o.budget_usd))
                rc = cli_usage(invest_usage, "invest: --budget needs an amount in USD > 0 "
                                             "(e.g. 2.5e9 or 2.5bn), got '%s'", v ? v : "");
            have_budget = 1;
            i++;
        } else if (strcmp(a, "--months") == 0) {
            if (parse_num(v, 0, 1200, &o.window_m))
                rc = cli_usage(invest_usage, "invest: --months needs a number of months in "
                                             "0..1200, got '%s'", v ? v : "");
            i++;
        } else if (strcmp(a, "--horizon") == 0) {
            if (parse_num(v, 0.1, 100, &o.horizon_yr))
                rc = cli_usage(invest_usage, "invest: --horizon needs years in 0.1..100, got "
                                             "'%s'", v ? v : "");
            i++;
        } else if (strcmp(a, "--as-of") == 0) {
            if (parse_long(v, 1900, 2200, &as_of))
                rc = cli_usage(invest_usage, "invest: --as-of needs a year, got '%s'",
                               v ? v : "");
            i++;
        } else if (strcmp(a, "--alliance") == 0) {
            if (v == NULL)
                rc = cli_usage(invest_usage, "invest: --alliance needs an alliance id");
            alliance = v;
            i++;
        } else if (strcmp(a, "--scenario") == 0) {
            if (v == NULL)
                rc = cli_usage(invest_usage, "invest: --scenario needs a file or a name");
            scen[n_scen++] = v;
            i++;
        } else if (strcmp(a, "--require") == 0) {
            if (v == NULL)
                rc = cli_usage(invest_usage, "invest: --require needs a project id");
            req[n_req++] = v;
            i++;
        } else if (strcmp(a, "--runs") == 0) {
            if (parse_long(v, 1, 1000000, &o.runs))
                rc = cli_usage(invest_usage, "invest: --runs needs a whole number in "
                                             "1..1000000, got '%s'", v ? v : "");
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_long(v, 1, 1024, &threads))
                rc = cli_usage(invest_usage, "invest: --threads needs a whole number in "
                                             "1..1024, got '%s'", v ? v : "");
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            char *end = NULL;
            if (v == NULL || *v < '0' || *v > '9' || (o.seed = strtoull(v, &end, 10), *end))
                rc = cli_usage(invest_usage, "invest: --seed needs a whole number >= 0, got "
                                             "'%s'", v ? v : "");
            i++;
        } else {
            rc = cli_usage(invest_usage, "invest: unexpected argument '%s'", a);
        }
    }
    if (rc)
        goto done;
    if (!have_budget) {
        rc = cli_usage(invest_usage, "invest: how much? (--budget USD)");
        goto done;
    }
    o.as_of_year = (int)as_of; /* checked: 1900..2200 */

    const lode_model *m;
    rc = cli_model(ctx, &m);
    if (rc)
        goto done;
    for (size_t i = 0; i < m->n_alliances; i++)
        if (strcmp(m->alliances[i].id, alliance) == 0)
            o.alliance = (int)i;
    if (o.alliance < 0) {
        char list[512] = "";
        for (size_t i = 0; i < m->n_alliances; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     m->alliances[i].id);
        rc = cli_usage(invest_usage, "invest: unknown alliance '%s' (alliances.csv has %s)",
                       alliance, list);
        goto done;
    }
    int *required = lode_arena_calloc(ctx->arena, n_req + 1, sizeof *required);
    if (!required) {
        rc = LODE_EIO;
        goto done;
    }
    for (size_t i = 0; i < n_req; i++) {
        required[i] = -1;
        for (size_t j = 0; j < m->n_projects; j++)
            if (strcmp(m->projects[j].id, req[i]) == 0)
                required[i] = (int)j;
        if (required[i] < 0) {
            rc = cli_usage(invest_usage, "invest: unknown project '%s' (projects.csv)", req[i]);
            goto done;
        }
    }
    o.required = required;
    o.n_required = n_req;

    /* The scenario set: the ones named, else every bundled scenario, in name order. */
    glob_t g;
    memset(&g, 0, sizeof g);
    const char **paths = lode_arena_calloc(ctx->arena, n_scen + 1, sizeof *paths);
    if (!paths) {
        rc = LODE_EIO;
        goto done;
    }
    for (size_t i = 0; i < n_scen; i++) {
        paths[i] = scenario_path(ctx, scen[i]);
        if (paths[i] == NULL) {
            rc = cli_usage(invest_usage, "invest: no scenario file or bundled scenario '%s'",
                           scen[i]);
            goto done;
        }
    }
    if (n_scen == 0) {
        char dir[4096], pat[4200];
        scenario_dir(ctx, dir, sizeof dir);
        snprintf(pat, sizeof pat, "%s/*.json", dir);
        if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
            globfree(&g);
            fprintf(stderr, "lode: invest: no scenario in %s (give --scenario FILE)\n", dir);
            rc = LODE_EIO;
            goto done;
        }
        paths = lode_arena_calloc(ctx->arena, g.gl_pathc + 1, sizeof *paths);
        for (size_t i = 0; paths && i < g.gl_pathc; i++)
            paths[i] = lode_arena_strdup(ctx->arena, g.gl_pathv[i]);
        n_scen = g.gl_pathc;
        globfree(&g);
        if (!paths) {
            rc = LODE_EIO;
            goto done;
        }
    }
    lode_scenario *sc = lode_arena_calloc(ctx->arena, n_scen, sizeof *sc);
    if (!sc) {
        rc = LODE_EIO;
        goto done;
    }
    lode_err err = {0};
    for (size_t i = 0; i < n_scen; i++)
        if (lode_scenario_load(m, paths[i], ctx->arena, &sc[i], &err) != LODE_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    o.scenarios = sc;
    o.n_scenarios = n_scen;
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (cpus < 1024 ? cpus : 1024) : 1;
    }
    o.threads = (int)threads; /* checked: 1..1024 */
    o.reference = 1;
    o.clock = now_s;
    cli_progress *prog = cli_progress_start("invest");
    o.progress = cli_progress_cb;
    o.progress_ctx = prog;
    lode_invest_result r;
    lode_status st = lode_invest_run(m, &o, ctx->arena, &r, &err);
    cli_progress_stop(prog);
    if (st != LODE_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (ctx->fmt == OUT_JSON)
        rc = json_out(m, &o, paths, &r);
    else if (ctx->fmt == OUT_CSV)
        rc = csv_out(m, &r, ctx);
    else
        rc = table_out(m, &o, &r, ctx);
done:
    free(scen);
    free(req);
    return rc;
}
