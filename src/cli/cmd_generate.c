/* cmd_generate.c: `lode generate firms`: a synthetic firm network of the store's baseline
 * written as firms.csv and firm_links.csv (resources of the data package), and optionally
 * simulated with timing, memory-traffic and copy-bandwidth figures for the benchmark. A thin
 * handler over lode_firm_generate and lode_firm_sim (one run of lode_sim_run's engine on the
 * firm network, and on the country network for comparison); the clock lives here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_int.h"
#include "lode/firm.h"
#include "lode/sim.h"


static const char generate_usage[] =
    "usage: lode generate firms --nodes N [--links L] [--seed S] [--gamma G] [--out DIR]\n"
    "                           [--simulate SCENARIO.json] [--weeks W]\n"
    "Writes a synthetic firm network of the store's baseline into DIR (firms.csv,\n"
    "firm_links.csv): every (material, country) node is split into firms with power-law\n"
    "weights (expected degree exponent G, default 2.35) and every country-level flow into\n"
    "supplier->buyer links drawn Chung-Lu style; capacities, use and link tonnes sum to the\n"
    "country totals exactly (in kg). L defaults to 5 x N, S to 1. Import DIR with\n"
    "`lode import DIR` and simulate it with `lode simulate SCENARIO.json --firms`.\n"
    "--simulate runs the scenario once (at its means) with the simulation engine on the firm\n"
    "network and on the country network and prints both shortfalls, node-weeks per second\n"
    "and memory traffic against measured copy bandwidth. See docs/firms.md.\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Copy bandwidth of this machine: best of 5 memcpy of a 256 MiB buffer, bytes read +
 * written per second (STREAM "copy" counting); 0 when out of memory. */
static double copy_bandwidth(void)
{
    const size_t n = (size_t)256 << 20;
    char *src = malloc(n), *dst = malloc(n);
    double best = 0;
    if (src && dst) {
        memset(src, 1, n);
        memset(dst, 2, n);
        for (int i = 0; i < 5; i++) {
            double t0 = now_s();
            memcpy(dst, src, n);
            double dt = now_s() - t0;
            src[i] = dst[n - 1 - (size_t)i]; /* keep the copy observable */
            if (dt > 0 && 2.0 * (double)n / dt > best)
                best = 2.0 * (double)n / dt;
        }
    }
    free(src);
    free(dst);
    return best;
}

/* t (a whole number of kg, as the generator makes them) with three decimals, exactly. */
static void put_t(FILE *f, double t)
{
    long long kg = llround(t * 1000.0);
    fprintf(f, "%lld.%03lld", kg / 1000, kg % 1000);
}

/* Open dir/name's temporary sibling for writing; the caller renames it into place only when
 * every row is written, so a file is there whole or not at all. */
static FILE *open_tmp(const char *dir, const char *name, char *tmp, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(tmp, len, "%s/.%s.tmp", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        fprintf(stderr, "lode: generate: cannot write '%s'\n", tmp);
    return f;
}

static int close_into_place(FILE *f, const char *tmp, const char *path)
{
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        fprintf(stderr, "lode: generate: cannot write '%s'\n", path);
        return LODE_EIO;
    }
    return 0;
}

/* firms.csv and firm_links.csv in the package's columns (datapackage.json): every row keeps
 * its source and confidence like every other table. */
static int write_csv(const lode_model *m, const lode_firmnet *net, const char *dir,
                     const char *source)
{
    static const char prov[] = "derived,synthetic firm network; not a published figure";
    char path[4096], tmp[4096];
    if (mkdir(dir, 0777) != 0) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "lode: generate: cannot create directory '%s'\n", dir);
            return LODE_EIO;
        }
    }
    FILE *f = open_tmp(dir, "firms.csv", tmp, path, sizeof path);
    if (!f)
        return LODE_EIO;
    fputs("id,country,material,capacity_tpa,demand_tpa,source,confidence,note\n", f);
    for (size_t n = 0; n < net->n_nodes; n++) {
        fprintf(f, "F%08zu,%s,%s,", n, cli_cid(m, net->country[n]), cli_mid(m, net->material[n]));
        put_t(f, net->cap_t[n]);
        fputc(',', f);
        put_t(f, net->dem_t[n]);
        fprintf(f, ",%s,%s\n", source, prov);
    }
    int rc = close_into_place(f, tmp, path);
    if (rc)
        return rc;
    f = open_tmp(dir, "firm_links.csv", tmp, path, sizeof path);
    if (!f)
        return LODE_EIO;
    fputs("supplier,buyer,material,tonnes,source,confidence,note\n", f);
    for (size_t n = 0; n < net->n_nodes; n++)
        for (size_t l = net->out_start[n]; l < net->out_start[n + 1]; l++) {
            fprintf(f, "F%08zu,F%08u,%s,", n, (unsigned)net->buyer[l],
                    cli_mid(m, net->material[n]));
            put_t(f, net->link_t[l]);
            fprintf(f, ",%s,%s\n", source, prov);
        }
    return close_into_place(f, tmp, path);
}

int cmd_generate(int argc, char **argv, lode_ctx *ctx)
{
    if (cli_wants_help(argc, argv)) {
        fputs(generate_usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "firms") != 0)
        return cli_usage(generate_usage, "generate: expected 'firms', got '%s'",
                         argc < 2 ? "" : argv[1]);
    long nodes = 0, links = 0, seed = 1, weeks = 0;
    double gamma = 2.35;
    const char *dir = NULL, *scen = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return cli_usage(generate_usage, "generate: '%s' needs a value", a);
        i++;
        if (strcmp(a, "--nodes") == 0) {
            if (cli_parse_long(v, 1, 4000000000L, &nodes))
                return cli_usage(generate_usage, "generate: bad --nodes '%s'", v);
        } else if (strcmp(a, "--links") == 0) {
            if (cli_parse_long(v, 1, 4000000000L, &links))
                return cli_usage(generate_usage, "generate: bad --links '%s'", v);
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_parse_long(v, 0, 0x7fffffffffffffffL, &seed))
                return cli_usage(generate_usage, "generate: bad --seed '%s'", v);
        } else if (strcmp(a, "--weeks") == 0) {
            if (cli_parse_long(v, 1, 520, &weeks))
                return cli_usage(generate_usage, "generate: --weeks needs 1..520, got '%s'", v);
        } else if (strcmp(a, "--gamma") == 0) {
            char *end;
            gamma = strtod(v, &end);
            if (*end || !(gamma > 2 && gamma < 10))
                return cli_usage(generate_usage, "generate: --gamma needs 2 < G < 10, got '%s'", v);
        } else if (strcmp(a, "--out") == 0) {
            dir = v;
        } else if (strcmp(a, "--simulate") == 0) {
            scen = v;
        } else {
            return cli_usage(generate_usage, "generate: unexpected argument '%s'", a);
        }
    }
    if (nodes <= 0)
        return cli_usage(generate_usage, "generate: --nodes is required");
    if (!dir && !scen)
        return cli_usage(generate_usage, "generate: give --out DIR, --simulate, or both");
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    lode_err err = {0};
    lode_scenario s;
    if (scen && lode_scenario_load(m, scen, ctx->arena, &s, &err) != LODE_OK)
        return cli_fail(&err);

    lode_arena *a = lode_arena_new();
    if (!a)
        return LODE_EIO;
    lode_firm_gen_opts o = {(size_t)nodes, (size_t)links, (uint64_t)seed, gamma};
    lode_firmnet net;
    double t0 = now_s();
    if (lode_firm_generate(m, &o, a, &net, &err) != LODE_OK) {
        lode_arena_free(a);
        return cli_fail(&err);
    }
    double t_gen = now_s() - t0;
    fprintf(stderr, "generated %zu firms, %zu links in %.2f s\n", net.n_nodes, net.n_links, t_gen);
    if (dir) {
        char source[256];
        snprintf(source, sizeof source,
                 "synthetic: lode generate firms --nodes %ld --links %ld --seed %ld --gamma %g "
                 "(docs/firms.md)",
                 nodes, links ? links : 5 * nodes, seed, gamma);
        rc = write_csv(m, &net, dir, source);
        if (rc) {
            lode_arena_free(a);
            return rc;
        }
    }
    if (scen) {
        lode_firm_result fr, cr;
        lode_firmnet cnet;
        double bw = copy_bandwidth();
        t0 = now_s();
        lode_status st = lode_firm_sim(m, &net, &s, (int)weeks, a, &fr, &err);
        double t_sim = now_s() - t0;
        if (st == LODE_OK)
            st = lode_firm_from_country(m, a, &cnet, &err);
        if (st == LODE_OK)
            st = lode_firm_sim(m, &cnet, &s, (int)weeks, a, &cr, &err);
        if (st != LODE_OK) {
            lode_arena_free(a);
            return cli_fail(&err);
        }
        double diff = 0;
        for (size_t k = 0; k < fr.n_cm; k++) {
            double d = fr.short_t[k] - cr.short_t[k];
            diff += d < 0 ? -d : d;
        }
        double bps = t_sim > 0 ? fr.bytes_moved / t_sim : 0;
        printf("firms %zu, links %zu, weeks %d\n", net.n_nodes, net.n_links, fr.weeks);
        printf("generate_s %.3f\nsimulate_s %.3f\n", t_gen, t_sim);
        printf("node_weeks %ld\nlink_weeks %ld\nnode_weeks_per_s %.4g\n", fr.node_weeks,
               fr.link_weeks, t_sim > 0 ? (double)fr.node_weeks / t_sim : 0);
        printf("mass_balance_max_error_t %.3g\n", fr.sim.mass_balance_max_error_t);
        printf("traffic_bytes_per_s %.4g\ncopy_bytes_per_s %.4g\ntraffic_to_copy %.3f\n", bps, bw,
               bw > 0 ? bps / bw : 0);
        printf("arena_bytes %zu\n", lode_arena_used(a));
        printf("shortfall_firm_t %.6f\nshortfall_country_t %.6f\nabs_diff_by_node_t %.6g\n",
               fr.total_short_t, cr.total_short_t, diff);
    }
    lode_arena_free(a);
    return 0;
}
