/* cmd_risk.c: `lode risk`: supply concentration per material and stage (HHI, top-1 and top-3
 * producers, governance-weighted HHI) and the EU 2023 supply-risk indicator where the dataset
 * holds its inputs. A thin handler over lode_risk_run. */
#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "lode/engines.h"

static const char risk_usage[] =
    "usage: lode risk [--material M] [--stage mine|refine|metal|component] [--json | --csv]\n"
    "Per material in its baseline year: world production (t/yr, the material's unit), HHI\n"
    "(0-10 000, producing countries' shares in percent), top-1 and top-3 producers and shares\n"
    "(0-1), WGI-weighted HHI (0-10, higher = supply from poorer governance; World Bank WGI),\n"
    "and the EU 2023 supply risk (SR; critical above 1.0) with the inputs it lacks.\n";

static cJSON *eu_json(const lode_eusr *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "eu_material", e->eu_material);
    cJSON_AddStringToObject(o, "eu_stage", e->eu_stage ? e->eu_stage : "");
    cJSON_AddStringToObject(o, "basis", e->basis ? e->basis : "");
    cJSON_AddBoolToObject(o, "computed", e->computed);
    cJSON_AddItemToObject(o, "sr", e->computed ? out_num(e->sr) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "hhi_wgi_gs", out_num(e->hhi_wgi_gs));
    cJSON_AddItemToObject(o, "hhi_wgi_eus", out_num(e->hhi_wgi_eus));
    cJSON_AddItemToObject(o, "import_reliance", out_num(e->ir));
    cJSON_AddItemToObject(o, "eol_rir", out_num(e->eol_rir));
    cJSON_AddItemToObject(o, "si_sr", out_num(e->si_sr));
    cJSON_AddStringToObject(o, "missing", e->missing ? e->missing : "");
    cJSON_AddStringToObject(o, "source", "European Commission CRM 2023 methodology; inputs "
                                         "eu_crm.csv, eu_crm_trade.csv; shares from the "
                                         "baseline (production.csv, trade.csv)");
    return o;
}

int cmd_risk(int argc, char **argv, lode_ctx *ctx)
{
    const char *mat = NULL, *stage = NULL;
    if (cli_wants_help(argc, argv)) {
        fputs(risk_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--material") == 0 && i + 1 < argc)
            mat = argv[++i];
        else if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc)
            stage = argv[++i];
        else
            return cli_usage(risk_usage, "risk: unexpected argument '%s'", argv[i]);
    }
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    lode_risk_opts o = {-1, -1};
    if (mat && (o.material = lode_model_material(m, mat)) < 0)
        return cli_usage(risk_usage, "risk: unknown material '%s'", mat);
    if (stage && (o.stage = lode_stage_parse(stage)) < 0)
        return cli_usage(risk_usage, "risk: unknown stage '%s'", stage);
    lode_risk_result r;
    lode_err err = {0};
    if (lode_risk_run(m, &o, ctx->arena, &r, &err) != LODE_OK)
        return cli_fail(&err);

    if (ctx->fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "materials");
        for (size_t i = 0; i < r.n_rows; i++) {
            const lode_risk_row *w = &r.rows[i];
            const lode_material *mm = &m->materials[w->material];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "material", mm->id);
            cJSON_AddStringToObject(x, "stage", lode_stage_name(w->stage));
            cJSON_AddStringToObject(x, "unit", mm->unit);
            cJSON_AddNumberToObject(x, "year", w->year);
            cJSON_AddItemToObject(x, "world_t", out_num(w->world_t));
            cJSON_AddItemToObject(x, "hhi", out_num(w->hhi));
            cJSON_AddStringToObject(x, "top1_country", cli_cid(m, w->top1_country));
            cJSON_AddItemToObject(x, "top1_share", out_num(w->top1_share));
            cJSON *t3 = cJSON_AddArrayToObject(x, "top3_countries");
            for (int k = 0; k < 3; k++)
                if (w->top3_country[k] >= 0)
                    cJSON_AddItemToArray(t3, cJSON_CreateString(cli_cid(m, w->top3_country[k])));
            cJSON_AddItemToObject(x, "top3_share", out_num(w->top3_share));
            cJSON_AddItemToObject(x, "wgi_hhi", out_num(w->wgi_hhi));
            cJSON_AddItemToObject(x, "wgi_coverage", out_num(w->wgi_coverage));
            int has_eu = w->eu.eu_material != NULL;
            cJSON_AddItemToObject(x, "eu_sr",
                                  has_eu && w->eu.computed ? out_num(w->eu.sr) : cJSON_CreateNull());
            if (has_eu)
                cJSON_AddItemToObject(x, "eu", eu_json(&w->eu));
            cJSON_AddStringToObject(x, "source", w->source ? w->source : "");
            cJSON_AddItemToArray(arr, x);
        }
        return out_json(doc);
    }
    static const char *const head[] = {
        "material",   "stage",         "year",      "world (t/yr)",  "unit",
        "HHI (0-10k)", "top-1",        "top-1 share", "top-3",       "top-3 share",
        "WGI-HHI (0-10)", "EU SR",     "EU SR inputs missing", "source"};
    static const int right[] = {0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0};
    out_table t;
    out_table_init(&t, 14, head, right);
    for (size_t i = 0; i < r.n_rows; i++) {
        const lode_risk_row *w = &r.rows[i];
        const lode_material *mm = &m->materials[w->material];
        char buf[64], top3[64] = "";
        for (int k = 0; k < 3; k++) {
            if (w->top3_country[k] < 0)
                break;
            snprintf(top3 + strlen(top3), sizeof top3 - strlen(top3), "%s%s", k ? "," : "",
                     cli_cid(m, w->top3_country[k]));
        }
        out_table_add(&t, mm->id);
        out_table_add(&t, lode_stage_name(w->stage));
        out_table_addf(&t, "%d", w->year);
        out_table_add(&t, fmt_t(buf, sizeof buf, w->world_t));
        out_table_add(&t, mm->unit);
        out_table_addf(&t, "%.0f", w->hhi);
        out_table_add(&t, cli_cid(m, w->top1_country));
        out_table_addf(&t, "%.3f", w->top1_share);
        out_table_add(&t, top3);
        out_table_addf(&t, "%.3f", w->top3_share);
        out_table_addf(&t, "%.2f", w->wgi_hhi);
        if (w->eu.eu_material && w->eu.computed)
            out_table_addf(&t, "%.2f", w->eu.sr);
        else
            out_table_add(&t, w->eu.eu_material ? "n/a" : "-");
        out_table_add(&t, w->eu.eu_material && w->eu.missing ? w->eu.missing : "");
        /* The human table shows the start of the source; --csv and --json give it whole. */
        const char *src = w->source ? w->source : "";
        if (ctx->fmt == OUT_TABLE && strlen(src) > 60)
            out_table_addf(&t, "%.57s...", src);
        else
            out_table_add(&t, src);
    }
    rc = out_table_print(&t, ctx->fmt, stdout);
    if (rc == 0 && ctx->fmt == OUT_TABLE)
        printf("\nHHI and shares: production.csv in each material's baseline year (ROW, the "
               "residual of small producers, is not counted as one producer). WGI: World Bank "
               "WGI via governance.csv. EU SR: European Commission CRM 2023 method, inputs "
               "eu_crm.csv; '-' = not assessed by the EU. See docs/risk.md.\n");
    return rc;
}
