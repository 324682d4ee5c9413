/* cmd_respond.c: `lode respond SCENARIO.json --alliance A`: coordinated emergency deliveries,
 * the linear program of lode_respond_run (who releases or redirects what to whom, which week),
 * the burden each ally carries, and the alliance's unserved demand before and after, with the
 * plan re-simulated. A thin handler; exit 3 names the constraint family at fault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"
#include "lode/plan.h"
#include "lode/sim.h"

static const char respond_usage[] =
    "usage: lode respond SCENARIO.json --alliance A [--weeks W] [--solver clp|glpk]\n"
    "                    [--seed S] [--burden-tol X] [--burden-hard] [--require P]\n"
    "                    [--no-resimulate] [--timing] [--json | --csv]\n"
    "Simulates the scenario once (each distribution at its mean) without a response, then\n"
    "solves a linear program over the horizon: weekly releases from each ally's stockpile (the\n"
    "stock the simulation left unused, within the release rate it left) and redirected\n"
    "shipments of each ally's exports to non-allies, arriving after a lead time between\n"
    "countries, to minimise priority-weighted unserved demand (defence 1000, infrastructure\n"
    "300, health 100, energy transition 10, consumer 2, unallocated 1 per t), then keep each\n"
    "ally's contribution (USD at dataset prices) within --burden-tol (default 0.10) of its\n"
    "share by the alliance's rule, then ship the fewest tonne-weeks. The plan is re-simulated.\n"
    "Tonnes are in each material's unit (t); money in USD. --burden-hard makes the burden band\n"
    "a hard constraint; --require P demands every class of priority <= P (1 defence .. 6) be\n"
    "fully served. Alliances: data/alliances.csv. Exit 3 when no plan exists, naming the\n"
    "constraint family at fault. --csv prints the deliveries; --timing reports the seconds\n"
    "spent simulating, solving and re-simulating on stderr. See docs/respond.md.\n";


static int json_out(const lode_model *m, const lode_scenario *s, const char *alliance,
                    const lode_respond_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "scenario", s->name ? s->name : "");
    cJSON_AddStringToObject(doc, "alliance", alliance);
    cJSON_AddNumberToObject(doc, "weeks", r->weeks);
    cJSON_AddStringToObject(doc, "solver", r->solver);
    cJSON_AddItemToObject(doc, "unserved_before_t", out_num(r->unserved_before_t));
    cJSON_AddItemToObject(doc, "unserved_after_t", out_num(r->unserved_after_t));
    cJSON_AddItemToObject(doc, "unserved_plan_t", out_num(r->unserved_plan_t));
    cJSON_AddBoolToObject(doc, "resimulated", r->resimulated);
    cJSON_AddItemToObject(doc, "weighted_unserved_before", out_num(r->weighted_before));
    cJSON_AddItemToObject(doc, "objective", out_num(r->weighted_after));
    cJSON_AddItemToObject(doc, "burden_deviation_usd", out_num(r->burden_dev_usd));
    cJSON_AddItemToObject(doc, "shipping_tonne_weeks", out_num(r->shipping_t_wk));
    cJSON_AddItemToObject(doc, "released_t", out_num(r->released_t));
    cJSON_AddItemToObject(doc, "redirected_t", out_num(r->redirected_t));
    cJSON *mo = cJSON_AddObjectToObject(doc, "model");
    cJSON_AddNumberToObject(mo, "rows", (double)r->rows);
    cJSON_AddNumberToObject(mo, "cols", (double)r->cols);
    cJSON_AddNumberToObject(mo, "nonzeros", (double)r->nonzeros);
    cJSON_AddNumberToObject(mo, "stages", r->stages);
    cJSON *arr = cJSON_AddArrayToObject(doc, "deliveries");
    for (size_t i = 0; i < r->n_deliveries; i++) {
        const lode_delivery *d = &r->deliveries[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "from", cli_cid(m, d->from));
        cJSON_AddStringToObject(o, "to", cli_cid(m, d->to));
        cJSON_AddStringToObject(o, "material", cli_mid(m, d->material));
        cJSON_AddStringToObject(o, "unit", m->materials[d->material].unit);
        cJSON_AddNumberToObject(o, "week", d->week);
        cJSON_AddNumberToObject(o, "arrive_week", d->arrive_wk);
        cJSON_AddStringToObject(o, "source", d->surplus ? "surplus" : "stockpile");
        cJSON_AddItemToObject(o, "tonnes", out_num(d->tonnes));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "burden");
    for (size_t i = 0; i < r->n_burden; i++) {
        const lode_burden_share *b = &r->burden[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, b->country));
        cJSON_AddItemToObject(o, "share", out_num(b->share));
        cJSON_AddItemToObject(o, "key", out_num(b->key));
        cJSON_AddItemToObject(o, "lo", out_num(b->lo));
        cJSON_AddItemToObject(o, "hi", out_num(b->hi));
        cJSON_AddItemToObject(o, "contrib_usd", out_num(b->contrib_usd));
        cJSON_AddItemToObject(o, "contrib_t", out_num(b->contrib_t));
        cJSON_AddItemToObject(o, "own_release_t", out_num(b->own_release_t));
        cJSON_AddItemToObject(o, "received_t", out_num(b->received_t));
        cJSON_AddItemToObject(o, "deviation_usd", out_num(b->deviation_usd));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "unserved");
    for (size_t i = 0; i < r->n_cells; i++) {
        const lode_respond_cell *c = &r->cells[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, c->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, c->material));
        cJSON_AddItemToObject(o, "before_t", out_num(c->before_t));
        cJSON_AddItemToObject(o, "delivered_t", out_num(c->delivered_t));
        cJSON_AddItemToObject(o, "plan_t", out_num(c->plan_t));
        cJSON_AddItemToObject(o, "after_t", out_num(c->after_t));
        cJSON_AddItemToArray(arr, o);
    }
    return out_json(doc);
}

static int deliveries_table(const lode_model *m, const lode_respond_result *r, out_format fmt)
{
    static const char *const head[] = {"from",          "to",     "material", "unit",
                                       "week shipped",  "arrives", "source",  "tonnes (t)"};
    static const char *const csv_head[] = {"from", "to",          "material", "unit",
                                           "week", "arrive_week", "source",   "tonnes"};
    static const int right[] = {0, 0, 0, 0, 1, 1, 0, 1};
    out_table t;
    char b[64];
    out_table_init(&t, 8, fmt == OUT_CSV ? csv_head : head, right);
    for (size_t i = 0; i < r->n_deliveries; i++) {
        const lode_delivery *d = &r->deliveries[i];
        out_table_add(&t, cli_cid(m, d->from));
        out_table_add(&t, cli_cid(m, d->to));
        out_table_add(&t, cli_mid(m, d->material));
        out_table_add(&t, m->materials[d->material].unit);
        out_table_addf(&t, "%d", d->week);
        out_table_addf(&t, "%d", d->arrive_wk);
        out_table_add(&t, d->surplus ? "surplus" : "stockpile");
        if (fmt == OUT_CSV)
            out_table_addf(&t, "%.10g", d->tonnes);
        else
            out_table_add(&t, fmt_t(b, sizeof b, d->tonnes));
    }
    return out_table_print(&t, fmt, stdout);
}

static int table_out(const lode_model *m, const lode_scenario *s, const char *alliance,
                     const lode_respond_result *r)
{
    char b1[64], b2[64], b3[64], b4[64];
    printf("scenario %s, alliance %s: %d weeks, solver %s (model %zu rows, %zu columns, %zu "
           "nonzeros; %d stage%s)\n",
           s->name ? s->name : "", alliance, r->weeks, r->solver, r->rows, r->cols, r->nonzeros,
           r->stages, r->stages == 1 ? "" : "s");
    printf("unserved demand of the allies over the horizon: %s t without a response, %s t "
           "with the plan (%s t by the LP's own account)\n",
           fmt_t(b1, sizeof b1, r->unserved_before_t), fmt_t(b2, sizeof b2, r->unserved_after_t),
           fmt_t(b3, sizeof b3, r->unserved_plan_t));
    printf("priority-weighted unserved: %.6g before, %.6g after; released %s t from stockpiles, "
           "redirected %s t of surplus\n",
           r->weighted_before, r->weighted_after, fmt_t(b1, sizeof b1, r->released_t),
           fmt_t(b4, sizeof b4, r->redirected_t));
    if (!r->resimulated)
        printf("(not re-simulated: --no-resimulate)\n");

    printf("\ndeliveries\n");
    int rc = 0;
    if (r->n_deliveries == 0)
        printf("  none: no ally holds stock or surplus that can reach a short ally in time\n");
    else if ((rc = deliveries_table(m, r, OUT_TABLE)) != 0)
        return rc;

    printf("\nburden (contributions: tonnes sent to other allies, valued in USD)\n");
    static const char *const bhead[] = {"country",      "key share", "band",        "share",
                                        "sent (USD)",   "sent (t)",  "own use (t)", "received (t)"};
    static const int bright[] = {0, 1, 1, 1, 1, 1, 1, 1};
    out_table t;
    out_table_init(&t, 8, bhead, bright);
    for (size_t i = 0; i < r->n_burden; i++) {
        const lode_burden_share *x = &r->burden[i];
        out_table_add(&t, cli_cid(m, x->country));
        out_table_addf(&t, "%.3f", x->key);
        out_table_addf(&t, "%.3f-%.3f", x->lo, x->hi);
        out_table_addf(&t, "%.3f", x->share);
        out_table_add(&t, fmt_t(b1, sizeof b1, x->contrib_usd));
        out_table_add(&t, fmt_t(b2, sizeof b2, x->contrib_t));
        out_table_add(&t, fmt_t(b3, sizeof b3, x->own_release_t));
        out_table_add(&t, fmt_t(b4, sizeof b4, x->received_t));
    }
    if ((rc = out_table_print(&t, OUT_TABLE, stdout)) != 0)
        return rc;
    printf("contributions outside their bands: %s USD\n",
           fmt_t(b1, sizeof b1, r->burden_dev_usd));

    printf("\nunserved by ally and material (t)\n");
    static const char *const chead[] = {"country", "material", "unit",       "before (t)",
                                        "delivered (t)", "LP account (t)", "re-simulated (t)"};
    static const int cright[] = {0, 0, 0, 1, 1, 1, 1};
    out_table_init(&t, 7, chead, cright);
    for (size_t i = 0; i < r->n_cells; i++) {
        const lode_respond_cell *c = &r->cells[i];
        out_table_add(&t, cli_cid(m, c->country));
        out_table_add(&t, cli_mid(m, c->material));
        out_table_add(&t, m->materials[c->material].unit);
        out_table_add(&t, fmt_t(b1, sizeof b1, c->before_t));
        out_table_add(&t, fmt_t(b2, sizeof b2, c->delivered_t));
        out_table_add(&t, fmt_t(b3, sizeof b3, c->plan_t));
        out_table_add(&t, fmt_t(b4, sizeof b4, c->after_t));
    }
    if (r->n_cells == 0) {
        out_table_free(&t);
        printf("  none\n");
    } else if ((rc = out_table_print(&t, OUT_TABLE, stdout)) != 0) {
        return rc;
    }
    printf("\nLead times: same country 0 weeks, same region 1, else sea transit plus a week of "
           "handling; stock: what the simulation left unused; values: latest dataset prices. "
           "See docs/respond.md.\n");
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_respond(int argc, char **argv, lode_ctx *ctx)
{
    const char *path = NULL, *alliance = NULL;
    int timing = 0;
    lode_respond_opts o;
    lode_respond_opts_default(&o);
    if (cli_wants_help(argc, argv)) {
        fputs(respond_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--alliance") == 0 && v) {
            alliance = v;
            i++;
        } else if (strcmp(a, "--weeks") == 0) {
            if (cli_parse_long(v, 1, 520, &n))
                return cli_usage(respond_usage, "respond: --weeks needs a whole number in "
                                                "1..520, got '%s'", v ? v : "");
            o.weeks = (int)n; /* 1..520 */
            i++;
        } else if (strcmp(a, "--solver") == 0) {
            if (lode_solver_parse(v, &o.solver) != 0)
                return cli_usage(respond_usage, "respond: --solver is clp or glpk, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            if (v == NULL || *v < '0' || *v > '9')
                return cli_usage(respond_usage, "respond: --seed needs a whole number >= 0, "
                                                "got '%s'", v ? v : "");
            o.seed = (uint64_t)strtoull(v, &end, 10);
            if (*end != '\0')
                return cli_usage(respond_usage, "respond: --seed needs a whole number >= 0, "
                                                "got '%s'", v);
            i++;
        } else if (strcmp(a, "--burden-tol") == 0) {
            char *end = NULL;
            double x = v ? strtod(v, &end) : -1;
            if (v == NULL || *end != '\0' || !(x >= 0 && x <= 1))
                return cli_usage(respond_usage, "respond: --burden-tol needs a number in 0..1, "
                                                "got '%s'", v ? v : "");
            o.burden_tol = x;
            i++;
        } else if (strcmp(a, "--burden-hard") == 0) {
            o.burden_hard = 1;
        } else if (strcmp(a, "--require") == 0) {
            if (cli_parse_long(v, 1, LODE_SEC_N, &n))
                return cli_usage(respond_usage, "respond: --require needs a priority 1..6, got "
                                                "'%s'", v ? v : "");
            o.require_priority = (int)n; /* 1..6 */
            i++;
        } else if (strcmp(a, "--no-resimulate") == 0) {
            o.resimulate = 0;
        } else if (strcmp(a, "--timing") == 0) {
            timing = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(respond_usage, "respond: unexpected argument '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return cli_usage(respond_usage, "respond: one scenario file, got '%s' too", a);
        }
    }
    if (path == NULL)
        return cli_usage(respond_usage, "respond: which scenario? (a JSON file)");
    if (alliance == NULL)
        return cli_usage(respond_usage, "respond: which alliance? (--alliance A)");
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    int al = lode_alliance_find(m, alliance);
    if (al < 0) {
        char ids[512] = "";
        for (size_t i = 0; i < m->n_alliances; i++)
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? ", " : "",
                     m->alliances[i].id);
        return cli_usage(respond_usage, "respond: unknown alliance '%s' (known: %s)", alliance,
                         ids);
    }
    lode_scenario s;
    lode_err err = {0};
    if (lode_scenario_load(m, path, ctx->arena, &s, &err) != LODE_OK)
        return cli_fail(&err);
    /* The three steps of lode_respond_run, one by one so that --timing can tell them apart. */
    lode_respond_problem p;
    lode_respond_result r;
    double t0 = now_s();
    if (lode_respond_problem_build(m, &s, al, &o, ctx->arena, &p, &err) != LODE_OK)
        return cli_fail(&err);
    double t1 = now_s();
    if (lode_respond_solve(&p, &o, ctx->arena, &r, &err) != LODE_OK)
        return cli_fail(&err);
    double t2 = now_s();
    if (o.resimulate && lode_respond_resimulate(m, &s, &o, ctx->arena, &r, &err) != LODE_OK)
        return cli_fail(&err);
    double t3 = now_s();
    if (timing)
        fprintf(stderr, "lode respond: simulate %.4f s, solve %.4f s (%s, %zu rows, %zu columns, "
                "%zu nonzeros, %d stages, %ld iterations), re-simulate %.4f s\n", t1 - t0,
                t2 - t1, r.solver, r.rows, r.cols, r.nonzeros, r.stages, r.iterations, t3 - t2);
    if (ctx->fmt == OUT_JSON)
        return json_out(m, &s, m->alliances[al].id, &r);
    if (ctx->fmt == OUT_CSV)
        return deliveries_table(m, &r, OUT_CSV);
    return table_out(m, &s, m->alliances[al].id, &r);
}
