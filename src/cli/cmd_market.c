/* cmd_market.c: `lode market`: price series with their sources, price against production
 * cost, the cost of a price floor over the history and under a scenario, seller and buyer
 * concentration, and distortions. A thin handler over lode_market_run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "lode/market.h"
#include "lode/sim.h"

static const char market_usage[] =
    "usage: lode market [--material M] [--floor USD_PER_KG] [--volume T] [--country C]\n"
    "                   [--scenario S] [--runs N] [--seed S] [--threads T]\n"
    "                   [--table prices|costs|floor|concentration|distortions]\n"
    "                   [--json | --csv]\n"
    "Prices of prices.csv in USD/kg (USD/lb, USD/t and USD/mtu WO3 converted; AUD not: the\n"
    "dataset has no exchange rate) with their basis and source; production costs (costs.csv)\n"
    "against every market price of the material: how often and by how much the price was\n"
    "below cost; the cost to a government of a price floor: sum over years of\n"
    "max(0, floor - price) x covered volume (default: the dataset's July 2025 US floor of\n"
    "110 USD/kg for NdPr oxide, and the covered country's (--country, default USA)\n"
    "production in production.csv; --floor and --volume change them, --material picks the\n"
    "material), and with --scenario (a file or a bundled name) under the simulated price\n"
    "path (price index x latest price); seller concentration (HHI of production), buyer\n"
    "concentration (HHI of use) and import concentration per material; a list of distortions:\n"
    "below-cost prices, Chinese vs other prices of the same material within three months\n"
    "(gap >= 20 %), floors above the market, price jumps >= 50 % across an export control.\n"
    "--csv prints one table (--table, default prices). See docs/market.md.\n";

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

static int parse_pos(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || !(v > 0))
        return -1;
    *out = v;
    return 0;
}

static const char *cid(const lode_model *m, int c)
{
    return c >= 0 ? m->countries[c].iso3 : "-";
}

static const char *mid(const lode_model *m, int k)
{
    return k >= 0 ? m->materials[k].id : "-";
}

/* A scenario argument: a file that exists, else a bundled scenario's name. */
static const char *scenario_path(const lode_ctx *ctx, const char *arg, char *buf, size_t len)
{
    if (access(arg, R_OK) == 0)
        return arg;
    const char *env = getenv("LODE_SCENARIOS");
    char dir[4096];
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else {
        snprintf(dir, sizeof dir, "%s", ctx->data_dir);
        char *slash = strrchr(dir, '/');
        size_t at = slash ? (size_t)(slash - dir) + 1 : 0;
        snprintf(dir + at, sizeof dir - at, "scenarios");
    }
    snprintf(buf, len, "%s/%s.json", dir, arg);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* The human table shows the start of a long text; --csv and --json give it whole. */
static void add_text(out_table *t, lode_ctx *ctx, const char *s, size_t max)
{
    s = s ? s : "";
    if (ctx->fmt == OUT_TABLE && strlen(s) > max)
        out_table_addf(t, "%.*s...", (int)(max - 3), s);
    else
        out_table_add(t, s);
}

static void num_or_dash(out_table *t, double v)
{
    if (isfinite(v))
        out_table_addf(t, "%.4g", v);
    else
        out_table_add(t, "-");
}

/* Tonnes or dollars: grouped digits for people, plain numbers for CSV. */
static void add_amount(out_table *t, lode_ctx *ctx, double v)
{
    char b[64];
    if (ctx->fmt == OUT_CSV)
        out_table_addf(t, "%.10g", v);
    else
        out_table_add(t, fmt_t(b, sizeof b, v));
}

/* ---- the tables ----------------------------------------------------------------------------- */

static int prices_table(const lode_model *m, const lode_market_result *r, lode_ctx *ctx)
{
    static const char *const h[] = {"material",   "date",         "price",  "unit",
                                     "USD/kg",     "region",       "conversion", "basis",
                                     "source"};
    static const int right[] = {0, 0, 1, 0, 1, 0, 0, 0, 0};
    out_table t;
    out_table_init(&t, 9, h, right);
    for (size_t i = 0; i < r->n_prices; i++) {
        const lode_price_obs *p = &r->prices[i];
        out_table_add(&t, mid(m, p->material));
        out_table_add(&t, p->date);
        out_table_addf(&t, "%.6g", p->price);
        out_table_add(&t, p->unit);
        num_or_dash(&t, p->usd_per_kg);
        out_table_add(&t, lode_price_region_name(p->region));
        add_text(&t, ctx, p->conversion, 24);
        add_text(&t, ctx, p->basis, 40);
        add_text(&t, ctx, p->source, 40);
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

static int costs_table(const lode_model *m, const lode_market_result *r, lode_ctx *ctx)
{
    static const char *const h[] = {"producer",      "material",     "year",
                                     "cost (USD/kg)", "prices compared", "below cost",
                                     "share below",   "max gap (USD/kg)", "mean gap (USD/kg)",
                                     "when",          "source"};
    static const int right[] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    out_table t;
    out_table_init(&t, 11, h, right);
    for (size_t i = 0; i < r->n_costs; i++) {
        const lode_cost_check *c = &r->costs[i];
        const lode_cost *row = &m->costs[c->cost];
        add_text(&t, ctx, row->producer, 44);
        out_table_add(&t, mid(m, c->material));
        out_table_addf(&t, "%d", row->year);
        num_or_dash(&t, c->cost_usd_per_kg);
        out_table_addf(&t, "%zu", c->n_obs);
        out_table_addf(&t, "%zu", c->n_below);
        out_table_addf(&t, "%.2f", c->n_obs ? (double)c->n_below / (double)c->n_obs : 0);
        out_table_addf(&t, "%.4g", c->max_gap_usd_per_kg);
        out_table_addf(&t, "%.4g", c->mean_gap_usd_per_kg);
        if (c->n_below)
            out_table_addf(&t, "%s..%s", c->first_below, c->last_below);
        else
            out_table_add(&t, c->n_obs ? "never" : "no price");
        add_text(&t, ctx, row->prov.source, 40);
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

static int floor_table(const lode_market_result *r, lode_ctx *ctx)
{
    static const char *const h[] = {"period", "price (USD/kg)", "floor (USD/kg)",
                                     "gap (USD/kg)", "cost (USD)"};
    static const int right[] = {0, 1, 1, 1, 1};
    const lode_floor_result *f = &r->floor;
    out_table t;
    out_table_init(&t, 5, h, right);
    for (size_t i = 0; r->have_floor && i < f->n_history; i++) {
        const lode_floor_period *p = &f->history[i];
        out_table_add(&t, p->date);
        out_table_addf(&t, "%.4g", p->price_usd_per_kg);
        out_table_addf(&t, "%.4g", f->floor_usd_per_kg);
        out_table_addf(&t, "%.4g", p->gap_usd_per_kg);
        add_amount(&t, ctx, p->cost_usd);
    }
    if (r->have_floor && ctx->fmt == OUT_TABLE) {
        out_table_add(&t, "total");
        out_table_add(&t, "");
        out_table_add(&t, "");
        out_table_add(&t, "");
        add_amount(&t, ctx, f->history_cost_usd);
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

static int conc_table(const lode_model *m, const lode_market_result *r, lode_ctx *ctx)
{
    static const char *const h[] = {"material",     "stage",      "year",
                                     "production (t/yr)", "seller HHI", "top seller",
                                     "use (t/yr)",   "buyer HHI",  "top buyer",
                                     "import HHI",   "top importer"};
    static const int right[] = {0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0};
    out_table t;
    out_table_init(&t, 11, h, right);
    for (size_t i = 0; i < r->n_conc; i++) {
        const lode_concentration *c = &r->conc[i];
        out_table_add(&t, mid(m, c->material));
        out_table_add(&t, lode_stage_name(m->materials[c->material].stage));
        out_table_addf(&t, "%d", c->year);
        add_amount(&t, ctx, c->world_t);
        out_table_addf(&t, "%.0f", c->seller_hhi);
        out_table_addf(&t, "%s %.2f", cid(m, c->top_seller), c->top_seller_share);
        add_amount(&t, ctx, c->use_t);
        out_table_addf(&t, "%.0f", c->buyer_hhi);
        out_table_addf(&t, "%s %.2f", cid(m, c->top_buyer), c->top_buyer_share);
        out_table_addf(&t, "%.0f", c->import_hhi);
        out_table_addf(&t, "%s %.2f", cid(m, c->top_importer), c->top_importer_share);
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

static int flags_table(const lode_model *m, const lode_market_result *r, lode_ctx *ctx)
{
    static const char *const h[] = {"distortion", "material", "date", "size (%)", "what",
                                     "source"};
    static const int right[] = {0, 0, 0, 1, 0, 0};
    out_table t;
    out_table_init(&t, 6, h, right);
    for (size_t i = 0; i < r->n_flags; i++) {
        const lode_distortion *d = &r->flags[i];
        out_table_add(&t, lode_distortion_kind_name(d->kind));
        out_table_add(&t, mid(m, d->material));
        out_table_add(&t, d->date ? d->date : "");
        out_table_addf(&t, "%.0f", d->gap_pct);
        add_text(&t, ctx, d->detail, 110);
        add_text(&t, ctx, d->source, 30);
    }
    return out_table_print(&t, ctx->fmt, stdout);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static int json_out(const lode_model *m, const lode_market_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "prices");
    for (size_t i = 0; i < r->n_prices; i++) {
        const lode_price_obs *p = &r->prices[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "material", mid(m, p->material));
        cJSON_AddStringToObject(x, "date", p->date);
        cJSON_AddItemToObject(x, "price", out_num(p->price));
        cJSON_AddStringToObject(x, "unit", p->unit);
        cJSON_AddItemToObject(x, "price_usd_per_kg", out_num(p->usd_per_kg));
        cJSON_AddStringToObject(x, "conversion", p->conversion);
        cJSON_AddStringToObject(x, "region", lode_price_region_name(p->region));
        cJSON_AddStringToObject(x, "basis", p->basis);
        cJSON_AddStringToObject(x, "source", p->source);
        cJSON_AddItemToArray(arr, x);
    }
    arr = cJSON_AddArrayToObject(doc, "costs");
    for (size_t i = 0; i < r->n_costs; i++) {
        const lode_cost_check *c = &r->costs[i];
        const lode_cost *row = &m->costs[c->cost];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "producer", row->producer ? row->producer : "");
        cJSON_AddStringToObject(x, "material", mid(m, c->material));
        cJSON_AddStringToObject(x, "country", cid(m, row->country));
        cJSON_AddNumberToObject(x, "year", row->year);
        cJSON_AddItemToObject(x, "cost", out_num(row->cost));
        cJSON_AddStringToObject(x, "unit", row->unit ? row->unit : "");
        cJSON_AddItemToObject(x, "cost_usd_per_kg", out_num(c->cost_usd_per_kg));
        cJSON_AddNumberToObject(x, "prices_compared", (double)c->n_obs);
        cJSON_AddNumberToObject(x, "prices_below_cost", (double)c->n_below);
        cJSON_AddItemToObject(x, "share_below_cost",
                              out_num(c->n_obs ? (double)c->n_below / (double)c->n_obs : 0));
        cJSON_AddItemToObject(x, "max_gap_usd_per_kg", out_num(c->max_gap_usd_per_kg));
        cJSON_AddItemToObject(x, "mean_gap_usd_per_kg", out_num(c->mean_gap_usd_per_kg));
        cJSON_AddStringToObject(x, "first_below", c->first_below ? c->first_below : "");
        cJSON_AddStringToObject(x, "last_below", c->last_below ? c->last_below : "");
        cJSON_AddStringToObject(x, "source", row->prov.source ? row->prov.source : "");
        cJSON_AddItemToArray(arr, x);
    }
    if (r->have_floor) {
        const lode_floor_result *f = &r->floor;
        cJSON *x = cJSON_AddObjectToObject(doc, "floor");
        cJSON_AddStringToObject(x, "material", mid(m, f->material));
        cJSON_AddItemToObject(x, "floor_usd_per_kg", out_num(f->floor_usd_per_kg));
        cJSON_AddStringToObject(x, "floor_date", f->floor_date ? f->floor_date : "");
        cJSON_AddStringToObject(x, "floor_source", f->floor_source);
        cJSON_AddItemToObject(x, "volume_t_per_yr", out_num(f->volume_t));
        cJSON_AddStringToObject(x, "volume_source", f->volume_source ? f->volume_source : "");
        cJSON *h = cJSON_AddArrayToObject(x, "history");
        for (size_t i = 0; i < f->n_history; i++) {
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "date", f->history[i].date);
            cJSON_AddItemToObject(y, "price_usd_per_kg", out_num(f->history[i].price_usd_per_kg));
            cJSON_AddItemToObject(y, "gap_usd_per_kg", out_num(f->history[i].gap_usd_per_kg));
            cJSON_AddItemToObject(y, "cost_usd", out_num(f->history[i].cost_usd));
            cJSON_AddItemToArray(h, y);
        }
        cJSON_AddItemToObject(x, "history_cost_usd", out_num(f->history_cost_usd));
        cJSON_AddItemToObject(x, "latest_price_usd_per_kg",
                              f->latest_date ? out_num(f->latest_usd_per_kg) : cJSON_CreateNull());
        cJSON_AddStringToObject(x, "latest_date", f->latest_date ? f->latest_date : "");
        cJSON_AddItemToObject(x, "latest_cost_usd_per_yr", out_num(f->latest_cost_usd_per_yr));
        if (f->have_scenario) {
            cJSON *s = cJSON_AddObjectToObject(x, "scenario");
            cJSON_AddStringToObject(s, "name", f->scenario);
            cJSON_AddNumberToObject(s, "weeks", f->weeks);
            cJSON_AddItemToObject(s, "cost_usd", out_num(f->scenario_cost_usd));
            cJSON_AddItemToObject(s, "baseline_cost_usd", out_num(f->baseline_cost_usd));
            cJSON_AddItemToObject(s, "min_price_usd_per_kg", out_num(f->scenario_min_usd_per_kg));
            cJSON_AddItemToObject(s, "max_price_usd_per_kg", out_num(f->scenario_max_usd_per_kg));
        }
    } else {
        cJSON_AddNullToObject(doc, "floor");
    }
    arr = cJSON_AddArrayToObject(doc, "concentration");
    for (size_t i = 0; i < r->n_conc; i++) {
        const lode_concentration *c = &r->conc[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "material", mid(m, c->material));
        cJSON_AddStringToObject(x, "stage", lode_stage_name(m->materials[c->material].stage));
        cJSON_AddNumberToObject(x, "year", c->year);
        cJSON_AddItemToObject(x, "production_t", out_num(c->world_t));
        cJSON_AddItemToObject(x, "seller_hhi", out_num(c->seller_hhi));
        cJSON_AddStringToObject(x, "top_seller", cid(m, c->top_seller));
        cJSON_AddItemToObject(x, "top_seller_share", out_num(c->top_seller_share));
        cJSON_AddItemToObject(x, "use_t", out_num(c->use_t));
        cJSON_AddItemToObject(x, "buyer_hhi", out_num(c->buyer_hhi));
        cJSON_AddStringToObject(x, "top_buyer", cid(m, c->top_buyer));
        cJSON_AddItemToObject(x, "top_buyer_share", out_num(c->top_buyer_share));
        cJSON_AddItemToObject(x, "imports_t", out_num(c->imports_t));
        cJSON_AddItemToObject(x, "import_hhi", out_num(c->import_hhi));
        cJSON_AddStringToObject(x, "top_importer", cid(m, c->top_importer));
        cJSON_AddItemToObject(x, "top_importer_share", out_num(c->top_importer_share));
        cJSON_AddItemToArray(arr, x);
    }
    arr = cJSON_AddArrayToObject(doc, "distortions");
    for (size_t i = 0; i < r->n_flags; i++) {
        const lode_distortion *d = &r->flags[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "kind", lode_distortion_kind_name(d->kind));
        cJSON_AddStringToObject(x, "material", mid(m, d->material));
        cJSON_AddStringToObject(x, "date", d->date ? d->date : "");
        cJSON_AddItemToObject(x, "gap_pct", out_num(d->gap_pct));
        cJSON_AddStringToObject(x, "detail", d->detail);
        cJSON_AddStringToObject(x, "source", d->source ? d->source : "");
        cJSON_AddItemToArray(arr, x);
    }
    return out_json(doc);
}

/* ---- the command ---------------------------------------------------------------------------- */

int cmd_market(int argc, char **argv, lode_ctx *ctx)
{
    const char *mat = NULL, *country = NULL, *scen = NULL, *table = "prices";
    lode_market_opts o;
    lode_market_opts_default(&o);
    long threads = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(market_usage, stdout);
        return 0;
    }
    /* Every option takes a value: they come in pairs. */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--material") == 0 && v) {
            mat = v;
        } else if (strcmp(a, "--country") == 0 && v) {
            country = v;
        } else if (strcmp(a, "--scenario") == 0 && v) {
            scen = v;
        } else if (strcmp(a, "--table") == 0 && v) {
            table = v;
            if (strcmp(v, "prices") && strcmp(v, "costs") && strcmp(v, "floor") &&
                strcmp(v, "concentration") && strcmp(v, "distortions"))
                return cli_usage(market_usage, "market: unknown table '%s'", v);
        } else if (strcmp(a, "--floor") == 0) {
            if (parse_pos(v, &o.floor_usd_per_kg))
                return cli_usage(market_usage, "market: --floor needs a price in USD/kg > 0, "
                                               "got '%s'", v ? v : "");
        } else if (strcmp(a, "--volume") == 0) {
            if (parse_pos(v, &o.volume_t))
                return cli_usage(market_usage, "market: --volume needs tonnes per year > 0, "
                                               "got '%s'", v ? v : "");
        } else if (strcmp(a, "--runs") == 0) {
            if (parse_long(v, 1, 1000000, &o.runs))
                return cli_usage(market_usage, "market: --runs needs a whole number in "
                                               "1..1000000, got '%s'", v ? v : "");
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_long(v, 1, 1024, &threads))
                return cli_usage(market_usage, "market: --threads needs a whole number in "
                                               "1..1024, got '%s'", v ? v : "");
        } else if (strcmp(a, "--seed") == 0) {
            char *end = NULL;
            if (v == NULL || *v < '0' || *v > '9' || (o.seed = strtoull(v, &end, 10), *end))
                return cli_usage(market_usage, "market: --seed needs a whole number >= 0, got "
                                               "'%s'", v ? v : "");
        } else {
            return cli_usage(market_usage, "market: unexpected argument '%s'", a);
        }
    }
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    if (mat && (o.material = lode_model_material(m, mat)) < 0)
        return cli_usage(market_usage, "market: unknown material '%s'", mat);
    o.floor_material = o.material;
    if (country && (o.floor_country = lode_model_country(m, country)) < 0)
        return cli_usage(market_usage, "market: unknown country '%s'", country);
    lode_err err = {0};
    lode_scenario s;
    if (scen) {
        char buf[4400];
        const char *path = scenario_path(ctx, scen, buf, sizeof buf);
        if (path == NULL)
            return cli_usage(market_usage, "market: no scenario file or bundled scenario '%s'",
                             scen);
        if (lode_scenario_load(m, path, ctx->arena, &s, &err) != LODE_OK)
            return cli_fail(&err);
        o.scenario = &s;
    }
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (cpus < 1024 ? cpus : 1024) : 1;
    }
    o.threads = (int)threads; /* checked: 1..1024 */
    lode_market_result r;
    if (lode_market_run(m, &o, ctx->arena, &r, &err) != LODE_OK)
        return cli_fail(&err);
    if (ctx->fmt == OUT_JSON)
        return json_out(m, &r);
    if (ctx->fmt == OUT_CSV) {
        if (strcmp(table, "costs") == 0)
            return costs_table(m, &r, ctx);
        if (strcmp(table, "floor") == 0)
            return floor_table(&r, ctx);
        if (strcmp(table, "concentration") == 0)
            return conc_table(m, &r, ctx);
        if (strcmp(table, "distortions") == 0)
            return flags_table(m, &r, ctx);
        return prices_table(m, &r, ctx);
    }

    char b1[64], b2[64];
    printf("prices (prices.csv; USD/kg converted as the conversion column says)\n");
    if ((rc = prices_table(m, &r, ctx)) != 0)
        return rc;
    printf("\nprice against production cost (costs.csv): each cost row against every market "
           "price of its material (floors excluded)\n");
    if ((rc = costs_table(m, &r, ctx)) != 0)
        return rc;
    if (r.have_floor) {
        const lode_floor_result *f = &r.floor;
        printf("\nprice floor: %.4g USD/kg for %s (%s%s%s), covering %s t/yr (%s)\n",
               f->floor_usd_per_kg, mid(m, f->material), f->floor_source,
               f->floor_date && *f->floor_date ? ", " : "", f->floor_date ? f->floor_date : "",
               fmt_t(b1, sizeof b1, f->volume_t), f->volume_source);
        if ((rc = floor_table(&r, ctx)) != 0)
            return rc;
        if (f->latest_date)
            printf("at the latest market price, %.4g USD/kg (%s): %s USD per year\n",
                   f->latest_usd_per_kg, f->latest_date,
                   fmt_t(b1, sizeof b1, f->latest_cost_usd_per_yr));
        if (f->have_scenario)
            printf("under scenario %s (%d weeks, price index x %.4g USD/kg, %.4g..%.4g USD/kg): "
                   "%s USD, against %s USD at the latest price\n",
                   f->scenario, f->weeks, f->latest_usd_per_kg, f->scenario_min_usd_per_kg,
                   f->scenario_max_usd_per_kg, fmt_t(b1, sizeof b1, f->scenario_cost_usd),
                   fmt_t(b2, sizeof b2, f->baseline_cost_usd));
    } else {
        printf("\nprice floor: none in the dataset for this material (give --floor USD_PER_KG)\n");
    }
    printf("\nconcentration (HHI 0-10 000 of production, of use = intermediate + final demand, "
           "and of imports; ROW not counted as one country)\n");
    if ((rc = conc_table(m, &r, ctx)) != 0)
        return rc;
    printf("\ndistortions\n");
    if ((rc = flags_table(m, &r, ctx)) != 0)
        return rc;
    printf("\nSources: prices.csv, costs.csv, production.csv, policies.csv and the baseline "
           "(trade.csv, demand.csv); rules and thresholds in docs/market.md.\n");
    return 0;
}
