/* cmd_exposure.c: `lode exposure --country C`: import reliance of each material the country
 * uses, and where its supply originates at every upstream stage (origin tracing along the
 * recipes). A thin handler over lode_exposure_run. */
#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "lode/engines.h"

static const char exposure_usage[] =
    "usage: lode exposure --country ISO3 [--material M] [--top N] [--json | --csv]\n"
    "ISO3 may be a region (EUU: the EU-27 member states taken as one).\n"
    "For each material the country produces or imports in the baseline: production, imports,\n"
    "exports and apparent consumption (t/yr), import reliance (0-1), and origin tracing: the\n"
    "share of the country's supply that originates, at each upstream stage along the recipe\n"
    "inputs, from each producing country (shares at each stage sum to 1). The table shows\n"
    "the top N origins per stage (default 3); --json and --csv give all.\n";

static cJSON *origins_json(const lode_model *m, const lode_origin *o, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "country", m->countries[o[i].country].iso3);
        cJSON_AddItemToObject(x, "share", out_num(o[i].share));
        cJSON_AddItemToArray(arr, x);
    }
    return arr;
}

int cmd_exposure(int argc, char **argv, lode_ctx *ctx)
{
    const char *country = NULL, *mat = NULL;
    double top = 3;
    if (cli_wants_help(argc, argv)) {
        fputs(exposure_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--country") == 0 && i + 1 < argc)
            country = argv[++i];
        else if (strcmp(argv[i], "--material") == 0 && i + 1 < argc)
            mat = argv[++i];
        else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
            if (!lode_parse_number(argv[++i], &top) || top < 1)
                return cli_usage(exposure_usage, "exposure: bad --top '%s'", argv[i]);
        } else
            return cli_usage(exposure_usage, "exposure: unexpected argument '%s'", argv[i]);
    }
    if (country == NULL)
        return cli_usage(exposure_usage, "exposure: --country is required");
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    int c = lode_model_country(m, country);
    if (c < 0)
        return cli_usage(exposure_usage, "exposure: unknown country '%s' (ISO 3166 alpha-3)",
                         country);
    const char *tag = lode_region_tag(m, c);
    if (!lode_country_is_real(m, c) && tag == NULL)
        return cli_usage(exposure_usage,
                         "exposure: '%s' is not a country but an aggregate (%s); give a member "
                         "country's ISO3",
                         country, m->countries[c].name);
    int only = -1;
    if (mat && (only = lode_model_material(m, mat)) < 0)
        return cli_usage(exposure_usage, "exposure: unknown material '%s'", mat);
    lode_exposure_result r;
    lode_err err = {0};
    /* A region (EUU) is its member states taken as one. */
    int *members = NULL;
    size_t n_members = 0;
    if (tag) {
        members = lode_arena_calloc(ctx->arena, m->n_countries, sizeof *members);
        if (members == NULL)
            return cli_fail(&err);
        for (size_t i = 0; i < m->n_countries; i++)
            if (lode_country_is_real(m, (int)i) && lode_list_has(m->countries[i].memberships, tag))
                members[n_members++] = (int)i;
    }
    lode_status run = tag ? lode_exposure_group_run(m, members, n_members, ctx->arena, &r, &err)
                          : lode_exposure_run(m, c, ctx->arena, &r, &err);
    if (run != LODE_OK)
        return cli_fail(&err);

    if (ctx->fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "country", m->countries[c].iso3);
        if (tag) {
            cJSON *mem = cJSON_AddArrayToObject(doc, "members");
            for (size_t i = 0; i < n_members; i++)
                cJSON_AddItemToArray(mem, cJSON_CreateString(m->countries[members[i]].iso3));
        }
        cJSON_AddStringToObject(doc, "unit", "t/yr in each material's unit; shares 0-1");
        cJSON_AddStringToObject(doc, "source",
                                "baseline of production.csv, recipes.csv, trade.csv and "
                                "demand.csv (derived flows: docs/baseline.md)");
        cJSON *arr = cJSON_AddArrayToObject(doc, "materials");
        for (size_t i = 0; i < r.n_rows; i++) {
            const lode_exposure_row *w = &r.rows[i];
            if (only >= 0 && w->material != only)
                continue;
            const lode_material *mm = &m->materials[w->material];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "material", mm->id);
            cJSON_AddStringToObject(x, "stage", lode_stage_name(mm->stage));
            cJSON_AddStringToObject(x, "unit", mm->unit);
            cJSON_AddItemToObject(x, "production_t", out_num(w->production_t));
            cJSON_AddItemToObject(x, "imports_t", out_num(w->imports_t));
            cJSON_AddItemToObject(x, "exports_t", out_num(w->exports_t));
            cJSON_AddItemToObject(x, "supply_t", out_num(w->supply_t));
            cJSON_AddItemToObject(x, "import_reliance", out_num(w->import_reliance));
            cJSON_AddItemToObject(x, "origins", origins_json(m, w->origins, w->n_origins));
            cJSON *st = cJSON_AddArrayToObject(x, "stages");
            for (size_t k = 0; k < w->n_stages; k++) {
                const lode_exposure_stage *s = &w->stages[k];
                cJSON *y = cJSON_CreateObject();
                cJSON_AddStringToObject(y, "material", m->materials[s->material].id);
                cJSON_AddStringToObject(y, "stage", lode_stage_name(s->stage));
                cJSON_AddNumberToObject(y, "depth", s->depth);
                cJSON_AddItemToObject(y, "t_per_t", out_num(s->t_per_t));
                cJSON_AddItemToObject(y, "origins", origins_json(m, s->origins, s->n_origins));
                cJSON_AddItemToArray(st, y);
            }
            cJSON_AddItemToArray(arr, x);
        }
        return out_json(doc);
    }

    static const char *const head[] = {"material",      "import reliance", "supply (t/yr)",
                                       "traced stage",  "stage material",  "origin",
                                       "origin share"};
    static const int right[] = {0, 1, 1, 0, 0, 0, 1};
    out_table t;
    out_table_init(&t, 7, head, right);
    for (size_t i = 0; i < r.n_rows; i++) {
        const lode_exposure_row *w = &r.rows[i];
        if (only >= 0 && w->material != only)
            continue;
        char buf[64];
        for (size_t k = 0; k < w->n_stages; k++) {
            const lode_exposure_stage *s = &w->stages[k];
            size_t n = s->n_origins;
            if (ctx->fmt == OUT_TABLE && n > (size_t)top)
                n = (size_t)top;
            for (size_t j = 0; j < n; j++) {
                int first = k == 0 && j == 0;
                out_table_add(&t, first || ctx->fmt == OUT_CSV ? m->materials[w->material].id
                                                               : "");
                if (first || ctx->fmt == OUT_CSV) {
                    out_table_addf(&t, "%.3f", w->import_reliance);
                    out_table_add(&t, fmt_t(buf, sizeof buf, w->supply_t));
                } else {
                    out_table_add(&t, "");
                    out_table_add(&t, "");
                }
                out_table_add(&t, j == 0 || ctx->fmt == OUT_CSV ? lode_stage_name(s->stage) : "");
                out_table_add(&t, j == 0 || ctx->fmt == OUT_CSV ? m->materials[s->material].id
                                                                : "");
                out_table_add(&t, m->countries[s->origins[j].country].iso3);
                out_table_addf(&t, "%.3f", s->origins[j].share);
            }
        }
    }
    if (ctx->fmt == OUT_TABLE)
        printf("exposure of %s (%s%s): baseline supply and its origin at each upstream stage\n"
               "%s\n",
               m->countries[c].iso3, m->countries[c].name,
               tag ? ", its member states taken as one" : "",
               tag ? "(trade between members is internal; origins are the members' own, "
                     "weighted by each member's supply)\n"
                   : "");
    rc = out_table_print(&t, ctx->fmt, stdout);
    if (rc == 0 && ctx->fmt == OUT_TABLE)
        printf("\nimport reliance = (imports - exports) / (production + imports - exports). "
               "Sources: production.csv, recipes.csv; trade.csv and demand.csv are derived "
               "(docs/baseline.md). Shares at each stage sum to 1.\n");
    return rc;
}
