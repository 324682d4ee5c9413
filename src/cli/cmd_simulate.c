/* cmd_simulate.c: `lode simulate SCENARIO.json`: the weekly disruption simulation with
 * reproducible Monte Carlo. A thin handler over lode_scenario_load and lode_sim_run; the
 * progress bar on stderr (for runs longer than a second) lives here because engines have no
 * clock; `lode chokepoints` shares it (cli_progress_*). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "lode/firm.h"
#include "lode/sim.h"

static const char simulate_usage[] =
    "usage: lode simulate SCENARIO.json [--runs N] [--weeks W] [--seed S] [--threads T]\n"
    "                     [--top N] [--json | --csv] [--mpi] [--firms]\n"
    "Simulates the scenario week by week on the store's baseline: production after outages\n"
    "and limited by inputs in hand, shipments along the baseline trade pattern less what export\n"
    "controls block (withheld or diverted), demand served by priority class from flows,\n"
    "commercial inventory and national stockpiles; prices, demand and substitution respond.\n"
    "Shortfall is unserved final demand in t of each material's unit over the horizon, with\n"
    "its mean and percentiles across runs. Defaults: 1 run if the scenario draws nothing at\n"
    "random, else 1000 (a single run uses each distribution's mean); the scenario's weeks;\n"
    "seed 1; one thread per online CPU. Results and digest are the same for any --threads.\n"
    "The table shows the top N shortfalls (default 20); --csv gives the whole shortfall table\n"
    "and --json every output (DESIGN.md, simulate). --mpi (under mpirun -n K, if built with\n"
    "MPI) splits the runs over the K processes, each on its own threads; rank 0 prints, and\n"
    "results and digest are the same as one process's. --firms runs the same engine on the\n"
    "store's firm network (firms and firm_links, e.g. from `lode generate firms --out DIR`\n"
    "then `lode import DIR`) and reports its firms summed by country (docs/firms.md).\n"
    "See docs/simulate.md.\n";


/* ---- progress bar ----------------------------------------------------------------------- */


struct cli_progress {
    const char *what;
    double t0, last;
    int shown, tty;
    cli_sink *sink; /* the server's job, which reports progress instead of drawing it */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A progress bar for lode_progress_fn callbacks, or NULL when out of memory (then
 * cli_progress_cb draws nothing). */
cli_progress *cli_progress_start(const char *what)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (p) {
        p->what = what;
        p->t0 = now_s();
        p->tty = isatty(STDERR_FILENO);
        p->sink = cli_sink_current();
    }
    return p;
}

/* Draws on stderr once a second has passed, then at most ten times a second; a stderr that
 * is not a terminal gets the first and the last line only. */
void cli_progress_cb(void *ctx, long done, long total)
{
    cli_progress *p = ctx;
    if (p == NULL)
        return;
    if (p->sink) {
        p->sink->total = total;
        p->sink->done = done;
        return;
    }
    double t = now_s();
    if (t - p->t0 < 1.0 || (done < total && (t - p->last < 0.1 || (!p->tty && p->shown))))
        return;
    p->last = t;
    enum { WIDTH = 30 };
    int fill = total > 0 ? (int)((double)WIDTH * (double)done / (double)total) : 0;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "%slode %s: [%s] %ld/%ld %.1fs%s", p->tty ? "\r" : "", p->what, bar, done,
            total, t - p->t0, p->tty ? "" : "\n");
    p->shown = 1;
}

/* Ends the bar's line and frees p (NULL is a no-op). */
void cli_progress_stop(cli_progress *p)
{
    if (p && p->shown && p->tty && !p->sink)
        fputc('\n', stderr);
    free(p);
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* ---- output --------------------------------------------------------------------------- */

static int json_out(const lode_model *m, const lode_scenario *s, const lode_sim_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "scenario", s->name ? s->name : "");
    cJSON_AddNumberToObject(doc, "runs", (double)r->runs);
    cJSON_AddNumberToObject(doc, "weeks", r->weeks);
    cJSON_AddNumberToObject(doc, "seed", (double)r->seed);
    cJSON *arr = cJSON_AddArrayToObject(doc, "shortfall");
    for (size_t i = 0; i < r->n_shortfall; i++) {
        const lode_sim_shortfall *x = &r->shortfall[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, x->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddStringToObject(o, "unit", m->materials[x->material].unit);
        cJSON_AddItemToObject(o, "mean_t", out_num(x->mean_t));
        cJSON_AddItemToObject(o, "p5_t", out_num(x->p5_t));
        cJSON_AddItemToObject(o, "p50_t", out_num(x->p50_t));
        cJSON_AddItemToObject(o, "p95_t", out_num(x->p95_t));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "sector_shortfall");
    for (size_t i = 0; i < r->n_sector_shortfall; i++) {
        const lode_sim_sector_shortfall *x = &r->sector_shortfall[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, x->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddStringToObject(o, "sector", lode_sector_name(x->sector));
        cJSON_AddItemToObject(o, "mean_t", out_num(x->mean_t));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "week_shortfall");
    for (size_t i = 0; i < r->n_week_shortfall; i++) {
        const lode_sim_week_shortfall *x = &r->week_shortfall[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddNumberToObject(o, "week", x->week);
        cJSON_AddItemToObject(o, "mean_t", out_num(x->mean_t));
        cJSON_AddItemToObject(o, "p5_t", out_num(x->p5_t));
        cJSON_AddItemToObject(o, "p50_t", out_num(x->p50_t));
        cJSON_AddItemToObject(o, "p95_t", out_num(x->p95_t));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "exports");
    for (size_t i = 0; i < r->n_exports; i++) {
        const lode_sim_export *x = &r->exports[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, x->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddNumberToObject(o, "week", x->week);
        cJSON_AddItemToObject(o, "baseline_t", out_num(x->baseline_t));
        cJSON_AddItemToObject(o, "mean_t", out_num(x->mean_t));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "price_index");
    for (size_t i = 0; i < r->n_prices; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "material", cli_mid(m, r->prices[i].material));
        cJSON_AddNumberToObject(o, "week", r->prices[i].week);
        cJSON_AddItemToObject(o, "mean", out_num(r->prices[i].mean));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(doc, "exhaustion");
    for (size_t i = 0; i < r->n_exhaustion; i++) {
        const lode_sim_exhaustion *x = &r->exhaustion[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "country", cli_cid(m, x->country));
        cJSON_AddStringToObject(o, "material", cli_mid(m, x->material));
        cJSON_AddItemToObject(o, "mean_week", out_num(x->mean_week));
        cJSON_AddItemToObject(o, "share_runs", out_num(x->share_runs));
        cJSON_AddItemToArray(arr, o);
    }
    /* Not rounded: the property tests compare it with 1e-6 t. */
    cJSON_AddNumberToObject(doc, "mass_balance_max_error_t", r->mass_balance_max_error_t);
    cJSON_AddStringToObject(doc, "digest", r->digest);
    cJSON_AddNumberToObject(doc, "node_weeks", (double)r->node_weeks);
    cJSON_AddNumberToObject(doc, "percentile_cells", (double)r->percentile_cells);
    return out_json(doc);
}

static int by_mean_desc(const void *pa, const void *pb)
{
    const lode_sim_shortfall *x = *(const lode_sim_shortfall *const *)pa;
    const lode_sim_shortfall *y = *(const lode_sim_shortfall *const *)pb;
    if (x->mean_t != y->mean_t)
        return x->mean_t > y->mean_t ? -1 : 1;
    return x < y ? -1 : x > y; /* the result's own order: country id, material id */
}

static int by_exhaustion(const void *pa, const void *pb)
{
    const lode_sim_exhaustion *x = *(const lode_sim_exhaustion *const *)pa;
    const lode_sim_exhaustion *y = *(const lode_sim_exhaustion *const *)pb;
    if (x->share_runs != y->share_runs)
        return x->share_runs > y->share_runs ? -1 : 1;
    if (x->mean_week != y->mean_week)
        return x->mean_week < y->mean_week ? -1 : 1;
    return x < y ? -1 : x > y; /* the result's own order: country id, material id */
}

static int table_out(const lode_model *m, const lode_scenario *s, const lode_sim_result *r,
                     long top)
{
    char b1[64], b2[64], b3[64], b4[64], b5[64];
    size_t n_pos = 0;
    for (size_t i = 0; i < r->n_shortfall; i++)
        n_pos += r->shortfall[i].mean_t > 0 || r->shortfall[i].p95_t > 0;
    printf("scenario %s: %ld run%s, %d weeks, seed %llu\n", s->name ? s->name : "", r->runs,
           r->runs == 1 ? "" : "s", r->weeks, (unsigned long long)r->seed);
    printf("\nshortfall of final demand over the horizon (%zu of %zu country-material pairs "
           "short; top %ld by mean)\n",
           n_pos, r->n_shortfall, top);
    const lode_sim_shortfall **rows = calloc(r->n_shortfall + 1, sizeof *rows);
    if (rows == NULL)
        return LODE_EIO;
    size_t n = 0;
    for (size_t i = 0; i < r->n_shortfall; i++)
        if (r->shortfall[i].mean_t > 0 || r->shortfall[i].p95_t > 0)
            rows[n++] = &r->shortfall[i];
    qsort(rows, n, sizeof *rows, by_mean_desc);
    static const char *const head[] = {"country",  "material",   "unit",
                                       "mean (t)", "p5 (t)",     "p50 (t)",
                                       "p95 (t)",  "demand (t)", "share of demand"};
    static const int right[] = {0, 0, 0, 1, 1, 1, 1, 1, 1};
    out_table t;
    out_table_init(&t, 9, head, right);
    for (size_t i = 0; i < n && (long)i < top; i++) {
        const lode_sim_shortfall *x = rows[i];
        double dem = m->base.final_t[(size_t)x->material * m->n_countries + (size_t)x->country] *
                     r->weeks / 52.0;
        out_table_add(&t, cli_cid(m, x->country));
        out_table_add(&t, cli_mid(m, x->material));
        out_table_add(&t, m->materials[x->material].unit);
        out_table_add(&t, fmt_t(b1, sizeof b1, x->mean_t));
        out_table_add(&t, fmt_t(b2, sizeof b2, x->p5_t));
        out_table_add(&t, fmt_t(b3, sizeof b3, x->p50_t));
        out_table_add(&t, fmt_t(b4, sizeof b4, x->p95_t));
        out_table_add(&t, fmt_t(b5, sizeof b5, dem));
        out_table_addf(&t, "%.3f", dem > 0 ? x->mean_t / dem : 0.0);
    }
    free(rows);
    int rc = n ? out_table_print(&t, OUT_TABLE, stdout) : (out_table_free(&t), 0);
    if (rc)
        return rc;
    if (n == 0)
        printf("  none\n");

    /* Price peaks: the highest weekly mean index of each material above baseline. */
    printf("\nprice index peaks (mean across runs, 1.0 = baseline)\n");
    static const char *const phead[] = {"material", "peak index", "week"};
    static const int pright[] = {0, 1, 1};
    out_table_init(&t, 3, phead, pright);
    size_t n_peak = 0;
    for (size_t i = 0; i < r->n_prices;) {
        size_t j = i, best = i;
        while (j < r->n_prices && r->prices[j].material == r->prices[i].material) {
            if (r->prices[j].mean > r->prices[best].mean)
                best = j;
            j++;
        }
        if (r->prices[best].mean > 1.0) {
            out_table_add(&t, cli_mid(m, r->prices[best].material));
            out_table_addf(&t, "%.3f", r->prices[best].mean);
            out_table_addf(&t, "%d", r->prices[best].week);
            n_peak++;
        }
        i = j;
    }
    rc = n_peak ? out_table_print(&t, OUT_TABLE, stdout) : (out_table_free(&t), 0);
    if (rc)
        return rc;
    if (n_peak == 0)
        printf("  none\n");

    printf("\nstocks exhausted (commercial inventory and national stockpile both at zero; %zu "
           "country-material pairs, top %ld by share of runs, then earliest)\n",
           r->n_exhaustion, top);
    const lode_sim_exhaustion **ex = calloc(r->n_exhaustion + 1, sizeof *ex);
    if (ex == NULL)
        return LODE_EIO;
    for (size_t i = 0; i < r->n_exhaustion; i++)
        ex[i] = &r->exhaustion[i];
    qsort(ex, r->n_exhaustion, sizeof *ex, by_exhaustion);
    static const char *const ehead[] = {"country", "material", "share of runs", "mean week"};
    static const int eright[] = {0, 0, 1, 1};
    out_table_init(&t, 4, ehead, eright);
    for (size_t i = 0; i < r->n_exhaustion && (long)i < top; i++) {
        out_table_add(&t, cli_cid(m, ex[i]->country));
        out_table_add(&t, cli_mid(m, ex[i]->material));
        out_table_addf(&t, "%.3f", ex[i]->share_runs);
        out_table_addf(&t, "%.1f", ex[i]->mean_week);
    }
    free(ex);
    rc = r->n_exhaustion ? out_table_print(&t, OUT_TABLE, stdout) : (out_table_free(&t), 0);
    if (rc)
        return rc;
    if (r->n_exhaustion == 0)
        printf("  none\n");
    printf("\nmass balance: largest error %.3g t over every node, week and run\n",
           r->mass_balance_max_error_t);
    printf("digest %s\n", r->digest);
    return 0;
}

static int csv_out(const lode_model *m, const lode_sim_result *r)
{
    static const char *const head[] = {"country", "material", "unit", "mean_t",
                                       "p5_t",    "p50_t",    "p95_t"};
    out_table t;
    out_table_init(&t, 7, head, NULL);
    for (size_t i = 0; i < r->n_shortfall; i++) {
        const lode_sim_shortfall *x = &r->shortfall[i];
        out_table_add(&t, cli_cid(m, x->country));
        out_table_add(&t, cli_mid(m, x->material));
        out_table_add(&t, m->materials[x->material].unit);
        out_table_addf(&t, "%.10g", x->mean_t);
        out_table_addf(&t, "%.10g", x->p5_t);
        out_table_addf(&t, "%.10g", x->p50_t);
        out_table_addf(&t, "%.10g", x->p95_t);
    }
    return out_table_print(&t, OUT_CSV, stdout);
}

int cmd_simulate(int argc, char **argv, lode_ctx *ctx)
{
    const char *path = NULL;
    long runs = 0, weeks = 0, threads = 0, top = 20;
    int firms = 0;
#ifdef LODE_HAVE_MPI
    int mpi = 0;
#endif
    unsigned long long seed = 1;
    if (cli_wants_help(argc, argv)) {
        fputs(simulate_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--runs") == 0) {
            if (cli_parse_long(v, 1, 100000000L, &runs))
                return cli_usage(simulate_usage,
                                 "simulate: --runs needs a whole number in "
                                 "1..100000000, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--weeks") == 0) {
            if (cli_parse_long(v, 1, 520, &weeks))
                return cli_usage(simulate_usage,
                                 "simulate: --weeks needs a whole number in 1..520, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_long(v, 1, 1024, &threads))
                return cli_usage(simulate_usage,
                                 "simulate: --threads needs a whole number in 1..1024, got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--top") == 0) {
            if (cli_parse_long(v, 1, 1000000, &top))
                return cli_usage(simulate_usage,
                                 "simulate: --top needs a whole number >= 1, "
                                 "got '%s'",
                                 v ? v : "");
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            if (v == NULL || *v < '0' || *v > '9')
                return cli_usage(simulate_usage,
                                 "simulate: --seed needs a whole number >= 0, "
                                 "got '%s'",
                                 v ? v : "");
            seed = strtoull(v, &end, 10);
            if (*end != '\0')
                return cli_usage(simulate_usage,
                                 "simulate: --seed needs a whole number >= 0, "
                                 "got '%s'",
                                 v);
            i++;
        } else if (strcmp(a, "--firms") == 0) {
            firms = 1;
        } else if (strcmp(a, "--mpi") == 0) {
#ifdef LODE_HAVE_MPI
            mpi = 1;
#else
            return cli_usage(simulate_usage,
                             "simulate: --mpi: MPI was not built in (build with LODE_HAVE_MPI; "
                             "see docs/simulate.md)");
#endif
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(simulate_usage, "simulate: unexpected argument '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return cli_usage(simulate_usage, "simulate: one scenario file, got '%s' too", a);
        }
    }
    if (path == NULL)
        return cli_usage(simulate_usage, "simulate: which scenario? (a JSON file)");

    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    lode_scenario s;
    lode_err err = {0};
    if (lode_scenario_load(m, path, ctx->arena, &s, &err) != LODE_OK)
        return cli_fail(&err);
    lode_firmnet fnet;
    if (firms && lode_firm_from_model(m, ctx->arena, &fnet, &err) != LODE_OK)
        return cli_fail(&err);
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (cpus < 1024 ? cpus : 1024) : 1;
    }
    cli_progress *prog = cli_progress_start("simulate");
    lode_sim_opts o;
    memset(&o, 0, sizeof o);
    o.runs = runs > 0 ? runs : lode_scenario_is_random(&s) ? 1000 : 1;
    o.weeks = (int)weeks; /* checked: 1..520 */
    o.seed = (uint64_t)seed;
    o.threads = (int)threads; /* checked: 1..1024 */
    o.progress = cli_progress_cb;
    o.progress_ctx = prog;
    o.firms = firms ? &fnet : NULL;
    lode_sim_result r;
    lode_status st;
    int root = 1;
#ifdef LODE_HAVE_MPI
    if (mpi)
        st = cli_mpi_simulate(m, &s, &o, ctx->arena, &r, &root, &err);
    else
#endif
        st = lode_sim_run(m, &s, &o, ctx->arena, &r, &err);
    cli_progress_stop(prog);
    if (!root) /* MPI ranks other than 0 print nothing; rank 0 reports for all */
        return st == LODE_OK ? 0 : (int)st;
    if (st != LODE_OK)
        return cli_fail(&err);
    if (ctx->fmt == OUT_JSON)
        return json_out(m, &s, &r);
    if (ctx->fmt == OUT_CSV)
        return csv_out(m, &r);
    return table_out(m, &s, &r, top);
}
