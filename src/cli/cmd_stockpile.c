/* cmd_stockpile.c: `lode stockpile --alliance A`: the stock each ally must hold alone and the
 * alliance pooled to cover a scenario set's Monte Carlo shortfall at a confidence level, what
 * pooling saves in tonnes and dollars, and the comparison with stated targets (JOGMEC 60 days,
 * KOMIR, the IEA's 90 days of net imports). A thin handler over lode_stockpile_run; the default
 * scenario set is every JSON file in the scenarios directory shipped with the data. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "lode/plan.h"
#include "lode/sim.h"

static const char stockpile_usage[] =
    "usage: lode stockpile --alliance A [--confidence P] [--runs N] [--scenario F]...\n"
    "                      [--weeks W] [--seed S] [--threads T] [--solver clp|glpk]\n"
    "                      [--json | --csv]\n"
    "Runs every scenario N times (default 200; one run uses each distribution's mean) with all\n"
    "national stockpiles set to zero, so each ally's shortfall over the horizon is what its\n"
    "stock must cover; the draws of all scenarios count equally. Alone: each ally holds the\n"
    "P-quantile (default 0.95) of its own shortfall per material. Pooled: a linear program\n"
    "finds the least total stock covering every draw the lone stocks cover, allies shipping to\n"
    "each other within lead times. Shows the tonnes and USD (latest dataset prices) pooling\n"
    "saves, and each ally's stock in days of its baseline use against its stated target\n"
    "(stockpiles.csv) and the IEA's 90 days of net imports. Default scenarios: the bundled\n"
    "scenarios/*.json; --scenario (repeatable) replaces them. --csv prints the per-ally table.\n"
    "See docs/respond.md.\n";


static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every *.json of the scenarios directory next to the bundled data, sorted; 0 or an exit
 * code. */
static int default_scenarios(lode_ctx *ctx, const char ***paths, size_t *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../scenarios", ctx->data_dir);
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "lode: %s: cannot open the scenarios directory (use --scenario F)\n",
                dir);
        return LODE_EIO;
    }
    size_t cap = 0;
    *n = 0;
    *paths = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (lode_arena_grow(ctx->arena, (void **)paths, *n, &cap, sizeof **paths) != 0) {
            closedir(d);
            return LODE_EIO;
        }
        char buf[4352];
        snprintf(buf, sizeof buf, "%s/%s", dir, e->d_name);
        if (((*paths)[*n] = lode_arena_strdup(ctx->arena, buf)) == NULL) {
            closedir(d);
            return LODE_EIO;
        }
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort((void *)*paths, *n, sizeof **paths, str_cmp);
    return 0;
}

static int json_out(const lode_model *m, const char *alliance, const lode_scenario *const *sc,
                    size_t n_sc, const lode_stockpile_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "alliance", alliance);
    cJSON_AddItemToObject(doc, "confidence", out_num(r->confidence));
    cJSON_AddNumberToObject(doc, "runs", (double)r->runs);
    cJSON_AddNumberToObject(doc, "draws", (double)r->n_draws);
    cJSON_AddStringToObject(doc, "solver", r->solver);
    cJSON *arr = cJSON_AddArrayToObject(doc, "scenarios");
    for (size_t i = 0; i < n_sc; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sc[i]->name ? sc[i]->name : ""));
    cJSON_AddItemToObject(doc, "lone_t", out_num(r->lone_t));
    cJSON_AddItemToObject(doc, "pooled_t", out_num(r->pooled_t));
    cJSON_AddItemToObject(doc, "saved_t", out_num(r->saved_t));
    cJSON_AddItemToObject(doc, "lone_usd", out_num(r->lone_usd));
    cJSON_AddItemToObject(doc, "pooled_usd", out_num(r->pooled_usd));
    cJSON_AddItemToObject(doc, "saved_usd", out_num(r->saved_usd));
    cJSON_AddItemToObject(doc, "iea_days", out_num(r->iea_days));
    cJSON *mo = cJSON_AddObjectToObject(doc, "model");
    cJSON_AddNumberToObject(mo, "rows", (double)r->rows_lp);
    cJSON_AddNumberToObject(mo, "cols", (double)r->cols_lp);
    cJSON_AddNumberToObject(mo, "nonzeros", (double)r->nonzeros_lp);
    arr = cJSON_AddArrayToObject(doc, "materials");
    for (size_t i = 0; i < r->n_materials; i++) {
        const lode_stock_material *x = &r->materials[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddStringToObject(o, "unit", m->materials[x->material].unit);
        cJSON_AddItemToObject(o, "lone_t", out_num(x->lone_t));
        cJSON_AddItemToObject(o, "pooled_t", out_num(x->pooled_t));
        cJSON_AddItemToObject(o, "saved_t", out_num(x->saved_t));
        cJSON_AddItemToObject(o, "usd_per_t", out_num(x->value_usd_t));
        cJSON_AddStringToObject(o, "value_basis", x->value_basis ? x->value_basis : "none");
        cJSON_AddItemToObject(o, "saved_usd", out_num(x->saved_usd));
        cJSON_AddNumberToObject(o, "draws_covered", (double)x->draws_covered);
        cJSON_AddNumberToObject(o, "draws_binding", (double)x->draws_binding);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "stocks");
    for (size_t i = 0; i < r->n_rows; i++) {
        const lode_stock_row *w = &r->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, w->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, w->material));
        cJSON_AddItemToObject(o, "use_t_yr", out_num(w->use_t_yr));
        cJSON_AddItemToObject(o, "mean_shortfall_t", out_num(w->mean_need_t));
        cJSON_AddItemToObject(o, "lone_t", out_num(w->lone_t));
        cJSON_AddItemToObject(o, "lone_days", out_num(w->lone_days));
        cJSON_AddItemToObject(o, "pooled_t", out_num(w->pooled_t));
        cJSON_AddItemToObject(o, "pooled_days", out_num(w->pooled_days));
        cJSON_AddItemToObject(o, "held_t", out_num(w->held_t));
        if (w->has_target) {
            cJSON_AddStringToObject(o, "target_agency", w->target_agency);
            cJSON_AddItemToObject(o, "target_days", out_num(w->target_days));
            cJSON_AddItemToObject(o, "target_t", out_num(w->target_t));
        } else {
            cJSON_AddNullToObject(o, "target_agency");
            cJSON_AddNullToObject(o, "target_days");
            cJSON_AddNullToObject(o, "target_t");
        }
        cJSON_AddItemToObject(o, "iea90_t", out_num(w->iea90_t));
        cJSON_AddItemToArray(arr, o);
    }
    return out_json(doc);
}

static int rows_table(const lode_model *m, const lode_stockpile_result *r, out_format fmt)
{
    static const char *const head[] = {
        "country",      "material",    "mean short (t)", "alone (t)",      "alone (days)",
        "pooled (t)",   "pooled (days)", "held now (t)", "target",         "target (days)",
        "target (t)",   "IEA rule (t)"};
    static const char *const csv_head[] = {
        "country",   "material",    "mean_shortfall_t", "lone_t",      "lone_days",
        "pooled_t",  "pooled_days", "held_t",           "target_agency", "target_days",
        "target_t",  "iea90_t"};
    static const int right[] = {0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1};
    out_table t;
    char b[64];
    out_table_init(&t, 12, fmt == OUT_CSV ? csv_head : head, right);
    for (size_t i = 0; i < r->n_rows; i++) {
        const lode_stock_row *w = &r->rows[i];
        out_table_add(&t, cli_cid(m, w->country));
        out_table_add(&t, cli_mid(m, w->material));
        double v[4] = {w->mean_need_t, w->lone_t, w->pooled_t, w->held_t};
        for (int j = 0; j < 4; j++) {
            if (fmt == OUT_CSV)
                out_table_addf(&t, "%.10g", v[j]);
            else
                out_table_add(&t, fmt_t(b, sizeof b, v[j]));
            if (j == 1)
                out_table_addf(&t, "%.0f", w->lone_days);
            if (j == 2)
                out_table_addf(&t, "%.0f", w->pooled_days);
        }
        if (w->has_target) {
            const char *ag = w->target_agency ? w->target_agency : "";
            if (fmt == OUT_TABLE && strlen(ag) > 24)
                out_table_addf(&t, "%.21s...", ag);
            else
                out_table_add(&t, ag);
            out_table_addf(&t, "%.0f", w->target_days);
            if (fmt == OUT_CSV)
                out_table_addf(&t, "%.10g", w->target_t);
            else
                out_table_add(&t, fmt_t(b, sizeof b, w->target_t));
        } else {
            out_table_add(&t, fmt == OUT_CSV ? "" : "-");
            out_table_add(&t, fmt == OUT_CSV ? "" : "-");
            out_table_add(&t, fmt == OUT_CSV ? "" : "-");
        }
        if (fmt == OUT_CSV)
            out_table_addf(&t, "%.10g", w->iea90_t);
        else
            out_table_add(&t, fmt_t(b, sizeof b, w->iea90_t));
    }
    return out_table_print(&t, fmt, stdout);
}

static int table_out(const lode_model *m, const char *alliance, const lode_scenario *const *sc,
                     size_t n_sc, const lode_stockpile_result *r)
{
    char b1[64], b2[64], b3[64];
    printf("alliance %s: %zu scenario%s x %ld run%s = %zu draws, confidence %.3g, solver %s\n",
           alliance, n_sc, n_sc == 1 ? "" : "s", r->runs, r->runs == 1 ? "" : "s", r->n_draws,
           r->confidence, r->solver);
    printf("scenarios:");
    for (size_t i = 0; i < n_sc; i++)
        printf(" %s", sc[i]->name ? sc[i]->name : "?");
    printf("\nstock needed alone %s t (%s USD), pooled %s t",
           fmt_t(b1, sizeof b1, r->lone_t), fmt_t(b2, sizeof b2, r->lone_usd),
           fmt_t(b3, sizeof b3, r->pooled_t));
    printf(" (%s USD): pooling saves ", fmt_t(b1, sizeof b1, r->pooled_usd));
    printf("%s t, %s USD\n", fmt_t(b2, sizeof b2, r->saved_t), fmt_t(b3, sizeof b3, r->saved_usd));

    printf("\nby material (tonnes summed over the allies, in each material's unit)\n");
    static const char *const mhead[] = {"material", "unit",       "alone (t)", "pooled (t)",
                                        "saved (t)", "USD per t", "value from", "saved (USD)"};
    static const int mright[] = {0, 0, 1, 1, 1, 1, 0, 1};
    out_table t;
    out_table_init(&t, 8, mhead, mright);
    for (size_t i = 0; i < r->n_materials; i++) {
        const lode_stock_material *x = &r->materials[i];
        out_table_add(&t, cli_mid(m, x->material));
        out_table_add(&t, m->materials[x->material].unit);
        out_table_add(&t, fmt_t(b1, sizeof b1, x->lone_t));
        out_table_add(&t, fmt_t(b2, sizeof b2, x->pooled_t));
        out_table_add(&t, fmt_t(b3, sizeof b3, x->saved_t));
        out_table_add(&t, fmt_t(b1, sizeof b1, x->value_usd_t));
        out_table_add(&t, x->value_basis ? x->value_basis : "none");
        out_table_add(&t, fmt_t(b2, sizeof b2, x->saved_usd));
    }
    int rc;
    if (r->n_materials == 0) {
        out_table_free(&t);
        printf("  none: no ally falls short in any draw\n");
    } else if ((rc = out_table_print(&t, OUT_TABLE, stdout)) != 0) {
        return rc;
    }
    printf("\nby ally (days of the ally's baseline use; held now: the stockpile the dataset gives "
           "it, as the simulation reads stockpiles.csv)\n");
    if (r->n_rows && (rc = rows_table(m, r, OUT_TABLE)) != 0)
        return rc;
    if (r->iea_days > 0)
        printf("\nIEA rule: %.0f days of net imports (stockpiles.csv, the IEA's oil-stock rule "
               "applied to each ally's baseline net imports of the material).", r->iea_days);
    printf("\nValue from: price = latest dataset price; inputs = value of the recipe inputs per "
           "t (a lower bound); product = price of the product it goes into per t of input. "
           "Pooled stocks need not sit where the lone ones do. See docs/respond.md.\n");
    return 0;
}

int cmd_stockpile(int argc, char **argv, lode_ctx *ctx)
{
    const char *alliance = NULL;
    lode_stockpile_opts o;
    lode_stockpile_opts_default(&o);
    o.threads = 0;
    const char **paths = NULL;
    size_t n_paths = 0, cap = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(stockpile_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--alliance") == 0 && v) {
            alliance = v;
            i++;
        } else if (strcmp(a, "--confidence") == 0) {
            char *end = NULL;
            double x = v ? strtod(v, &end) : -1;
            if (v == NULL || *end != '\0' || !(x > 0 && x <= 1))
                return cli_usage(stockpile_usage, "stockpile: --confidence needs a number in "
                                                  "(0, 1], got '%s'", v ? v : "");
            o.confidence = x;
            i++;
        } else if (strcmp(a, "--runs") == 0) {
            if (cli_parse_long(v, 1, 100000, &n))
                return cli_usage(stockpile_usage, "stockpile: --runs needs a whole number in "
                                                  "1..100000, got '%s'", v ? v : "");
            o.runs = n;
            i++;
        } else if (strcmp(a, "--weeks") == 0) {
            if (cli_parse_long(v, 1, 520, &n))
                return cli_usage(stockpile_usage, "stockpile: --weeks needs a whole number in "
                                                  "1..520, got '%s'", v ? v : "");
            o.weeks = (int)n; /* 1..520 */
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_long(v, 1, 256, &n))
                return cli_usage(stockpile_usage, "stockpile: --threads needs a whole number "
                                                  "in 1..256, got '%s'", v ? v : "");
            o.threads = (int)n; /* 1..256 */
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            if (v == NULL || *v < '0' || *v > '9')
                return cli_usage(stockpile_usage, "stockpile: --seed needs a whole number >= 0, "
                                                  "got '%s'", v ? v : "");
            o.seed = (uint64_t)strtoull(v, &end, 10);
            if (*end != '\0')
                return cli_usage(stockpile_usage, "stockpile: --seed needs a whole number >= 0, "
                                                  "got '%s'", v);
            i++;
        } else if (strcmp(a, "--solver") == 0) {
            if (lode_solver_parse(v, &o.solver) != 0)
                return cli_usage(stockpile_usage, "stockpile: --solver is clp or glpk, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--scenario") == 0 && v) {
            if (lode_arena_grow(ctx->arena, (void **)&paths, n_paths, &cap, sizeof *paths) != 0)
                return LODE_EIO;
            paths[n_paths++] = v;
            i++;
        } else {
            return cli_usage(stockpile_usage, "stockpile: unexpected argument '%s'", a);
        }
    }
    if (alliance == NULL)
        return cli_usage(stockpile_usage, "stockpile: which alliance? (--alliance A)");
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
        return cli_usage(stockpile_usage, "stockpile: unknown alliance '%s' (known: %s)",
                         alliance, ids);
    }
    if (n_paths == 0 && (rc = default_scenarios(ctx, &paths, &n_paths)) != 0)
        return rc;
    if (n_paths == 0)
        return cli_usage(stockpile_usage, "stockpile: no scenario files found");
    const lode_scenario **sc = lode_arena_calloc(ctx->arena, n_paths, sizeof *sc);
    if (sc == NULL)
        return LODE_EIO;
    lode_err err = {0};
    for (size_t i = 0; i < n_paths; i++) {
        lode_scenario *s = lode_arena_alloc(ctx->arena, sizeof *s);
        if (s == NULL)
            return LODE_EIO;
        if (lode_scenario_load(m, paths[i], ctx->arena, s, &err) != LODE_OK)
            return cli_fail(&err);
        sc[i] = s;
    }
    if (o.threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = cpus > 0 ? (cpus < 256 ? (int)cpus : 256) : 1; /* 1..256 */
    }
    cli_progress *prog = cli_progress_start("stockpile");
    o.progress = cli_progress_cb;
    o.progress_ctx = prog;
    lode_stockpile_result r;
    lode_status st = lode_stockpile_run(m, sc, n_paths, al, &o, ctx->arena, &r, &err);
    cli_progress_stop(prog);
    if (st != LODE_OK)
        return cli_fail(&err);
    if (ctx->fmt == OUT_JSON)
        return json_out(m, m->alliances[al].id, sc, n_paths, &r);
    if (ctx->fmt == OUT_CSV)
        return rows_table(m, &r, OUT_CSV);
    return table_out(m, m->alliances[al].id, sc, n_paths, &r);
}
