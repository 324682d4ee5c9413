/* cmd_data.c: the commands that build, load, dump, validate and derive a store: init,
 * import, export, check and derive. Thin handlers over src/store and the engines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "lode/engines.h"

static const char init_usage[] =
    "usage: lode init [--db FILE]\n"
    "Build the store (default: the default store) from the bundled dataset in data/,\n"
    "replacing every table it holds.\n";

static const char import_usage[] =
    "usage: lode import [--db FILE] PATH...\n"
    "Load CSV files into the store in one transaction. A file is named after its table\n"
    "(production.csv, trade.csv, ...) and replaces that table; a directory means every\n"
    "table file in it. Any bad row, duplicate key or unknown id changes nothing: the error\n"
    "names file:line:column and the field (exit 2).\n";

static const char export_usage[] =
    "usage: lode export [--db FILE] DIR\n"
    "Write every table of the store as DIR/<table>.csv (the bundled dataset round-trips\n"
    "byte for byte).\n";

static const char check_usage[] =
    "usage: lode check [--db FILE] [--tolerance REL] [--json | --csv]\n"
    "Validate the store: every reference resolves, and the baseline balances for every\n"
    "country and material: production + imports = use + exports, within REL times\n"
    "max(production + imports, 1 t) (default 1e-6). Exit 2 if anything fails.\n";

static const char derive_usage[] =
    "usage: lode derive [--data DIR] [--out DIR] [--check]\n"
    "Derive the baseline final demand (demand.csv) and trade matrix (trade.csv) from the\n"
    "published production, consumption and bilateral trade figures of DIR (default: the\n"
    "bundled data/) by the method of docs/baseline.md, and write them to --out (default:\n"
    "DIR). --check writes nothing and fails (exit 2) if the files differ from what the\n"
    "method gives.\n";

int cmd_init(int argc, char **argv, lode_ctx *ctx)
{
    if (cli_wants_help(argc, argv)) {
        fputs(init_usage, stdout);
        return 0;
    }
    if (argc > 1)
        return cli_usage(init_usage, "init: unexpected argument '%s'", argv[1]);
    lode_store *s;
    int rc = cli_store(ctx, &s);
    if (rc)
        return rc;
    /* cli_store builds an empty store; an existing one is rebuilt here. */
    const char *paths[] = {ctx->data_dir};
    lode_err err = {0};
    size_t rows = 0;
    char digest[32];
    cli_data_digest(ctx, digest, sizeof digest);
    if (lode_store_import(s, paths, 1, &rows, &err) != LODE_OK ||
        lode_store_meta_set(s, "data_digest", digest, &err) != LODE_OK)
        return cli_fail(&err);
    fprintf(stderr, "lode: store holds the bundled dataset (%zu rows)\n", rows);
    return 0;
}

int cmd_import(int argc, char **argv, lode_ctx *ctx)
{
    if (cli_wants_help(argc, argv)) {
        fputs(import_usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cli_usage(import_usage, "import: no files given");
    lode_store *s;
    int rc = cli_store(ctx, &s);
    if (rc)
        return rc;
    lode_err err = {0};
    size_t rows = 0;
    if (lode_store_import(s, (const char *const *)(argv + 1), (size_t)(argc - 1), &rows,
                          &err) != LODE_OK)
        return cli_fail(&err);
    /* The store now holds the user's data: never rebuild it from data/ behind their back. */
    if (lode_store_meta_set(s, "data_digest", "imported", &err) != LODE_OK)
        return cli_fail(&err);
    fprintf(stderr, "lode: imported %zu rows from %d path%s\n", rows, argc - 1,
            argc == 2 ? "" : "s");
    return 0;
}

int cmd_export(int argc, char **argv, lode_ctx *ctx)
{
    if (cli_wants_help(argc, argv)) {
        fputs(export_usage, stdout);
        return 0;
    }
    if (argc != 2)
        return cli_usage(export_usage, "export: expected one directory");
    lode_store *s;
    int rc = cli_store(ctx, &s);
    if (rc)
        return rc;
    lode_err err = {0};
    if (lode_store_export(s, argv[1], &err) != LODE_OK)
        return cli_fail(&err);
    return 0;
}

/* ---- check ------------------------------------------------------------------------------ */

int cmd_check(int argc, char **argv, lode_ctx *ctx)
{
    double tol = 1e-6;
    if (cli_wants_help(argc, argv)) {
        fputs(check_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tolerance") == 0 && i + 1 < argc) {
            if (!lode_parse_number(argv[++i], &tol) || tol < 0)
                return cli_usage(check_usage, "check: bad tolerance '%s'", argv[i]);
        } else {
            return cli_usage(check_usage, "check: unexpected argument '%s'", argv[i]);
        }
    }
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    lode_check_result r;
    lode_err err = {0};
    if (lode_check_run(m, tol, ctx->arena, &r, &err) != LODE_OK)
        return cli_fail(&err);
    size_t nc = m->n_countries;
    if (ctx->fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "references", (double)r.n_refs);
        cJSON_AddItemToObject(doc, "tolerance_rel", out_num(r.tol_rel));
        cJSON_AddItemToObject(doc, "max_error_t", out_num(r.max_error_t));
        cJSON_AddNumberToObject(doc, "balances", (double)r.n_rows);
        cJSON_AddNumberToObject(doc, "violations", (double)r.n_violations);
        cJSON *rows = cJSON_AddArrayToObject(doc, "balance");
        for (size_t i = 0; i < r.n_rows; i++) {
            const lode_balance_row *b = &r.rows[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "material", m->materials[b->material].id);
            cJSON_AddStringToObject(o, "country", m->countries[b->country].iso3);
            cJSON_AddItemToObject(o, "production_t", out_num(b->production_t));
            cJSON_AddItemToObject(o, "imports_t", out_num(b->imports_t));
            cJSON_AddItemToObject(o, "use_t", out_num(b->use_t));
            cJSON_AddItemToObject(o, "exports_t", out_num(b->exports_t));
            cJSON_AddItemToObject(o, "error_t", out_num(b->error_t));
            cJSON_AddItemToArray(rows, o);
        }
        rc = out_json(doc);
    } else {
        static const char *const head[] = {"material", "country", "production (t/yr)",
                                           "imports (t/yr)", "use (t/yr)", "exports (t/yr)",
                                           "error (t/yr)"};
        static const int right[] = {0, 0, 1, 1, 1, 1, 1};
        out_table t;
        out_table_init(&t, 7, head, right);
        for (size_t i = 0; i < r.n_rows; i++) {
            const lode_balance_row *b = &r.rows[i];
            double lim = r.tol_rel * fmax(b->production_t + b->imports_t, 1.0);
            /* The human table lists only what fails; --csv and --json list every balance. */
            if (ctx->fmt == OUT_TABLE && fabs(b->error_t) <= lim)
                continue;
            char buf[64];
            out_table_add(&t, m->materials[b->material].id);
            out_table_add(&t, m->countries[b->country].iso3);
            out_table_add(&t, fmt_t(buf, sizeof buf, b->production_t));
            out_table_add(&t, fmt_t(buf, sizeof buf, b->imports_t));
            out_table_add(&t, fmt_t(buf, sizeof buf, b->use_t));
            out_table_add(&t, fmt_t(buf, sizeof buf, b->exports_t));
            out_table_addf(&t, "%.3g", b->error_t);
        }
        if (ctx->fmt == OUT_TABLE) {
            printf("references resolved: %zu (every id in every table)\n", r.n_refs);
            printf("mass balance: %zu country-material balances, production + imports = use +"
                   " exports\n",
                   r.n_rows);
            printf("  tolerance: %g x max(production + imports, 1 t); largest error %.3g t/yr\n",
                   r.tol_rel, r.max_error_t);
            printf("  outside tolerance: %zu\n", r.n_violations);
            if (r.n_violations)
                rc = out_table_print(&t, ctx->fmt, stdout);
            else
                out_table_free(&t);
            (void)nc;
        } else {
            rc = out_table_print(&t, ctx->fmt, stdout);
        }
    }
    if (rc == 0 && r.n_violations) {
        fprintf(stderr, "lode: check: %zu balances outside tolerance\n", r.n_violations);
        rc = LODE_EINPUT;
    }
    return rc;
}

/* ---- derive ----------------------------------------------------------------------------- */

static void add_num(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.10g", v);
}

/* The derived trade and demand tables as CSV text, in the package's column order. */
static int derive_csv(const lode_model *m, const lode_derive_result *r, lode_buf *trade,
                      lode_buf *demand)
{
    static const char *const th[] = {"material", "exporter", "importer", "year", "tonnes",
                                     "source",   "confidence", "note"};
    static const char *const dh[] = {"material", "country", "sector", "priority", "year",
                                     "tonnes",   "source",  "confidence", "note"};
    lode_csv_write_row(trade, th, 8);
    for (size_t i = 0; i < r->n_flows; i++) {
        const lode_derived_flow *f = &r->flows[i];
        char year[16], t[32];
        snprintf(year, sizeof year, "%d", f->year);
        add_num(t, sizeof t, f->tonnes);
        const char *cells[] = {m->materials[f->material].id,
                               m->countries[f->exporter].iso3,
                               m->countries[f->importer].iso3,
                               year,
                               t,
                               f->method,
                               "derived",
                               "baseline flow derived by lode derive (docs/baseline.md); not a "
                               "published figure"};
        lode_csv_write_row(trade, cells, 8);
    }
    lode_csv_write_row(demand, dh, 9);
    for (size_t i = 0; i < r->n_demand; i++) {
        const lode_derived_demand *d = &r->demand[i];
        char year[16], t[32], prio[16];
        snprintf(year, sizeof year, "%d", d->year);
        snprintf(prio, sizeof prio, "%d", (int)d->sector + 1);
        add_num(t, sizeof t, d->tonnes);
        const char *cells[] = {m->materials[d->material].id,
                               m->countries[d->country].iso3,
                               lode_sector_name(d->sector),
                               prio,
                               year,
                               t,
                               d->method,
                               "derived",
                               "baseline final demand derived by lode derive "
                               "(docs/baseline.md); not a published figure"};
        lode_csv_write_row(demand, cells, 9);
    }
    return trade->oom || demand->oom ? LODE_EIO : 0;
}

/* 0 if path holds exactly the bytes of b. */
static int same_file(const char *path, const lode_buf *b)
{
    lode_buf have = LODE_BUF_INIT;
    lode_err err = {0};
    int same = lode_file_read(path, &have, &err) == LODE_OK && have.len == b->len &&
               (b->len == 0 || memcmp(have.data, b->data, b->len) == 0);
    lode_buf_free(&have);
    return same ? 0 : -1;
}

int cmd_derive(int argc, char **argv, lode_ctx *ctx)
{
    const char *dir = ctx->data_dir, *outdir = NULL;
    int check = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(derive_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else
            return cli_usage(derive_usage, "derive: unexpected argument '%s'", argv[i]);
    }
    if (outdir == NULL)
        outdir = dir;
    lode_model *m = NULL;
    lode_err err = {0};
    if (lode_model_load_dir(dir, &m, &err) != LODE_OK)
        return cli_fail(&err);
    lode_derive_result r;
    int rc = 0;
    if (lode_derive_run(m, ctx->arena, &r, &err) != LODE_OK) {
        lode_model_free(m);
        return cli_fail(&err);
    }
    lode_buf trade = LODE_BUF_INIT, demand = LODE_BUF_INIT;
    rc = derive_csv(m, &r, &trade, &demand);
    char tpath[4096], dpath[4096];
    snprintf(tpath, sizeof tpath, "%s/trade.csv", outdir);
    snprintf(dpath, sizeof dpath, "%s/demand.csv", outdir);
    if (rc == 0 && check) {
        int bad_t = same_file(tpath, &trade) != 0, bad_d = same_file(dpath, &demand) != 0;
        if (bad_t || bad_d) {
            fprintf(stderr,
                    "lode: derive: %s%s%s differ%s from what the method gives; run `lode "
                    "derive` and review the diff\n",
                    bad_t ? tpath : "", bad_t && bad_d ? " and " : "", bad_d ? dpath : "",
                    bad_t && bad_d ? "" : "s");
            rc = LODE_EINPUT;
        }
    } else if (rc == 0) {
        if (lode_file_write(tpath, trade.data, trade.len, &err) != LODE_OK ||
            lode_file_write(dpath, demand.data, demand.len, &err) != LODE_OK)
            rc = cli_fail(&err);
    }
    if (rc == 0)
        fprintf(stderr,
                "lode: derive: %zu flows, %zu demand rows; largest imbalance %.3g t/yr\n",
                r.n_flows, r.n_demand, r.max_imbalance_t);
    lode_buf_free(&trade);
    lode_buf_free(&demand);
    lode_model_free(m);
    return rc;
}
