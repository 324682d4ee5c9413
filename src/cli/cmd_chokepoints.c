/* cmd_chokepoints.c: `lode chokepoints`: every producing (country, material) node and every
 * bilateral baseline link, lost in turn for the whole horizon, ranked by the shortfall the
 * loss causes in an alliance's countries. A thin handler over lode_chokepoints_run; the
 * progress bar is cmd_simulate.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "lode/sim.h"


static const char chokepoints_usage[] =
    "usage: lode chokepoints [--weeks W] [--alliance A] [--top N] [--threads T]\n"
    "                        [--json | --csv]\n"
    "Loses, one at a time and for the whole horizon (default 52 weeks), every producing\n"
    "(country, material) node and every bilateral link of the baseline trade, simulates each\n"
    "loss (lode simulate's weekly engine, default parameters, one deterministic run) and ranks\n"
    "them by the shortfall of final demand they cause in the alliance's member countries\n"
    "(alliances.csv id, e.g. G7; default: every country), in t summed over materials, then by\n"
    "the shortfall everywhere. Tonnes of different materials are added as they are, so bulk\n"
    "materials rank high; \"share of allied demand\" divides by the allied final demand of the\n"
    "materials the loss reaches, for comparison across units. The table shows the top N\n"
    "(default 20); --json and --csv give all. Threads default to the online CPUs.\n";

int cmd_chokepoints(int argc, char **argv, lode_ctx *ctx)
{
    long weeks = 52, top = 20, threads = 0;
    const char *alliance = NULL;
    if (cli_wants_help(argc, argv)) {
        fputs(chokepoints_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--weeks") == 0) {
            if (cli_parse_long(v, 1, 520, &weeks))
                return cli_usage(chokepoints_usage,
                                 "chokepoints: --weeks needs a whole number "
                                 "in 1..520, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--top") == 0) {
            if (cli_parse_long(v, 1, 1000000, &top))
                return cli_usage(chokepoints_usage,
                                 "chokepoints: --top needs a whole number "
                                 ">= 1, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_long(v, 1, 1024, &threads))
                return cli_usage(chokepoints_usage,
                                 "chokepoints: --threads needs a whole "
                                 "number in 1..1024, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--alliance") == 0 && v != NULL) {
            alliance = v;
            i++;
        } else {
            return cli_usage(chokepoints_usage, "chokepoints: unexpected argument '%s'", a);
        }
    }
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    if (alliance) {
        size_t i = 0;
        while (i < m->n_alliances && strcmp(m->alliances[i].id, alliance) != 0)
            i++;
        if (i == m->n_alliances)
            return cli_usage(chokepoints_usage,
                             "chokepoints: unknown alliance '%s' (see "
                             "alliances.csv)",
                             alliance);
    }
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (cpus < 1024 ? cpus : 1024) : 1;
    }
    cli_progress *prog = cli_progress_start("chokepoints");
    lode_chokepoint_opts o;
    memset(&o, 0, sizeof o);
    o.weeks = (int)weeks;     /* checked: 1..520 */
    o.threads = (int)threads; /* checked: 1..1024 */
    o.alliance = alliance;
    o.progress = cli_progress_cb;
    o.progress_ctx = prog;
    lode_chokepoint *cp;
    size_t n;
    lode_err err = {0};
    lode_status st = lode_chokepoints_run(m, &o, ctx->arena, &cp, &n, &err);
    cli_progress_stop(prog);
    if (st != LODE_OK)
        return cli_fail(&err);

    if (ctx->fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "weeks", (double)weeks);
        cJSON_AddStringToObject(doc, "alliance", alliance ? alliance : "");
        cJSON *arr = cJSON_AddArrayToObject(doc, "chokepoints");
        for (size_t i = 0; i < n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "rank", (double)(i + 1));
            cJSON_AddStringToObject(x, "kind", cp[i].kind == 0 ? "node" : "link");
            cJSON_AddStringToObject(x, "country", m->countries[cp[i].country].iso3);
            cJSON_AddStringToObject(x, "importer",
                                    cp[i].importer >= 0 ? m->countries[cp[i].importer].iso3 : "");
            cJSON_AddStringToObject(x, "material", m->materials[cp[i].material].id);
            cJSON_AddItemToObject(x, "allied_shortfall_t", out_num(cp[i].allied_shortfall_t));
            cJSON_AddItemToObject(x, "total_shortfall_t", out_num(cp[i].total_shortfall_t));
            cJSON_AddItemToObject(x, "allied_demand_t", out_num(cp[i].allied_demand_t));
            cJSON_AddItemToArray(arr, x);
        }
        return out_json(doc);
    }
    static const char *const head[] = {"rank",
                                       "kind",
                                       "country",
                                       "importer",
                                       "material",
                                       "unit",
                                       "allied shortfall (t)",
                                       "total shortfall (t)",
                                       "allied demand (t)",
                                       "share of allied demand"};
    static const int right[] = {1, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    out_table t;
    out_table_init(&t, 10, head, right);
    for (size_t i = 0; i < n && (ctx->fmt == OUT_CSV || (long)i < top); i++) {
        char b1[64], b2[64], b3[64];
        out_table_addf(&t, "%zu", i + 1);
        out_table_add(&t, cp[i].kind == 0 ? "node" : "link");
        out_table_add(&t, m->countries[cp[i].country].iso3);
        out_table_add(&t, cp[i].importer >= 0 ? m->countries[cp[i].importer].iso3 : "");
        out_table_add(&t, m->materials[cp[i].material].id);
        out_table_add(&t, m->materials[cp[i].material].unit);
        double share =
            cp[i].allied_demand_t > 0 ? cp[i].allied_shortfall_t / cp[i].allied_demand_t : 0.0;
        if (ctx->fmt == OUT_CSV) {
            out_table_addf(&t, "%.10g", cp[i].allied_shortfall_t);
            out_table_addf(&t, "%.10g", cp[i].total_shortfall_t);
            out_table_addf(&t, "%.10g", cp[i].allied_demand_t);
            out_table_addf(&t, "%.10g", share);
        } else {
            out_table_add(&t, fmt_t(b1, sizeof b1, cp[i].allied_shortfall_t));
            out_table_add(&t, fmt_t(b2, sizeof b2, cp[i].total_shortfall_t));
            out_table_add(&t, fmt_t(b3, sizeof b3, cp[i].allied_demand_t));
            out_table_addf(&t, "%.3f", share);
        }
    }
    if (ctx->fmt == OUT_TABLE)
        printf("losses ranked by the shortfall of final demand they cause over %ld weeks in %s "
               "(%zu losses tried: nodes and links; top %ld)\n",
               weeks, alliance ? alliance : "every country", n, top);
    return out_table_print(&t, ctx->fmt, stdout);
}
