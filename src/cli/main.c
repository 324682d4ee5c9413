/* main.c: the `lode` command. Global options (--db, --json, --csv) are taken out of argv
 * wherever they stand, then one sorted table dispatches to cmd_<name>. Only this directory
 * turns a status into an exit code. Also here: finding the bundled data and building the
 * default store from it on first use, so a new user types one command and gets an answer. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"

static const char usage[] =
    "usage: lode [--db FILE] [--json | --csv] <command> [args]\n"
    "\n"
    "commands:\n"
    "%s"
    "\n"
    "Without --db, lode uses a default store built from the bundled dataset on first use\n"
    "($LODE_DB, else $XDG_CACHE_HOME/lodestone/default.db or ~/.cache/lodestone/default.db).\n"
    "`lode help <command>` or `lode <command> --help` describes one command.\n"
    "Exit codes: 0 done, 1 usage, 2 bad input, 3 no solution, 4 I/O or store error.\n";

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv, lode_ctx *ctx);
    const char *help;
} command;

/* Sorted by name (bsearch). */
static const command commands[] = {
    {"check", cmd_check, "validate the store: references, baseline mass balance"},
    {"chokepoints", cmd_chokepoints, "nodes and links ranked by the shortfall their loss causes"},
    {"derive", cmd_derive, "derive baseline trade and demand from published figures"},
    {"export", cmd_export, "write the store's tables as CSV files into a directory"},
    {"exposure", cmd_exposure, "import reliance and origin tracing for one country"},
    {"generate", cmd_generate, "synthetic firm network (firms.csv, firm_links.csv)"},
    {"import", cmd_import, "load CSV files into the store (all or nothing)"},
    {"init", cmd_init, "build a store from the bundled dataset"},
    {"invest", cmd_invest, "project portfolio within a budget (MILP) and what faster permits buy"},
    {"keys", cmd_keys, "API keys of `lode serve`: add, list, revoke (stored hashed)"},
    {"market", cmd_market, "price vs cost, price-floor cost, buyer/seller concentration"},
    {"news", cmd_news, "articles -> events -> draft policies"},
    {"respond", cmd_respond, "coordinated emergency deliveries for an alliance (LP)"},
    {"risk", cmd_risk, "concentration, governance-weighted HHI, EU supply risk"},
    {"serve", cmd_serve, "HTTP JSON API and web dashboard, one key per ally"},
    {"simulate", cmd_simulate, "weekly simulation, Monte Carlo"},
    {"stockpile", cmd_stockpile, "stockpile targets alone and pooled, value of pooling"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int command_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const command *)elem)->name);
}

static void print_usage(FILE *f)
{
    lode_buf list = LODE_BUF_INIT;
    for (size_t i = 0; i < N_COMMANDS; i++)
        lode_buf_printf(&list, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(f, usage, list.data ? list.data : "");
    lode_buf_free(&list);
}

/* The sink of the command running on this thread for the server, or NULL on the command line
 * (cli_run_json sets it). */
static _Thread_local cli_sink *tl_sink;

cli_sink *cli_sink_current(void)
{
    return tl_sink;
}

int cli_fail(const lode_err *err)
{
    char buf[1024];
    lode_err_fmt(err, buf, sizeof buf);
    if (tl_sink) {
        if (tl_sink->msg[0] == '\0')
            snprintf(tl_sink->msg, sizeof tl_sink->msg, "%s", buf);
    } else {
        fprintf(stderr, "lode: %s\n", buf);
    }
    return err->code == LODE_OK ? LODE_EIO : (int)err->code;
}

int cli_usage(const char *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (tl_sink) {
        if (tl_sink->msg[0] == '\0')
            vsnprintf(tl_sink->msg, sizeof tl_sink->msg, fmt, ap);
        va_end(ap);
        return LODE_EUSAGE;
    }
    fputs("lode: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    fputs(text, stderr);
    return LODE_EUSAGE;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* ---- package and store ------------------------------------------------------------------ */

int cli_package(lode_ctx *ctx, const lode_package **out)
{
    if (!ctx->have_pkg) {
        char path[4096];
        lode_err err = {0};
        snprintf(path, sizeof path, "%s/datapackage.json", ctx->data_dir);
        if (lode_package_load(path, ctx->arena, &ctx->pkg, &err) != LODE_OK)
            return cli_fail(&err);
        ctx->have_pkg = 1;
    }
    *out = &ctx->pkg;
    return 0;
}

/* FNV-1a over every file of the bundled package: tells whether the default store is stale. */
int cli_data_digest(lode_ctx *ctx, char *out, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    char path[4096];
    for (size_t i = 0; i <= ctx->pkg.n_res; i++) {
        if (i < ctx->pkg.n_res)
            snprintf(path, sizeof path, "%s/%s", ctx->data_dir, ctx->pkg.res[i].path);
        else
            snprintf(path, sizeof path, "%s/datapackage.json", ctx->data_dir);
        lode_buf b = LODE_BUF_INIT;
        lode_err err = {0};
        if (lode_file_read(path, &b, &err) == LODE_OK) {
            for (size_t k = 0; k < b.len; k++) {
                h ^= (unsigned char)b.data[k];
                h *= 1099511628211ULL;
            }
        }
        h ^= (uint64_t)b.len;
        h *= 1099511628211ULL;
        lode_buf_free(&b);
    }
    snprintf(out, len, "%016llx", (unsigned long long)h);
    return 0;
}

static int mkdirs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    /* The store's own directory is private: it may live under /tmp. */
    return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void default_db_path(char *out, size_t len)
{
    const char *env = getenv("LODE_DB");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char dir[3800];
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/lodestone", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/lodestone", home);
    else
        snprintf(dir, sizeof dir, "/tmp/lodestone-%ld", (long)getuid());
    mkdirs(dir);
    snprintf(out, len, "%s/default.db", dir);
}

/* Import the bundled dataset into an open store and record its digest. */
static int build_from_data(lode_ctx *ctx, lode_store *s, const char *digest)
{
    lode_err err = {0};
    const char *paths[] = {ctx->data_dir};
    size_t rows = 0;
    if (lode_store_import(s, paths, 1, &rows, &err) != LODE_OK)
        return cli_fail(&err);
    if (lode_store_meta_set(s, "data_digest", digest, &err) != LODE_OK)
        return cli_fail(&err);
    fprintf(stderr, "lode: built the store from %s (%zu rows)\n", ctx->data_dir, rows);
    return 0;
}

int cli_store(lode_ctx *ctx, lode_store **out)
{
    const lode_package *pkg;
    int rc = cli_package(ctx, &pkg);
    if (rc)
        return rc;
    if (ctx->store) {
        *out = ctx->store;
        return 0;
    }
    char path[4096], digest[32], have[32];
    int is_default = ctx->db == NULL;
    if (is_default)
        default_db_path(path, sizeof path);
    else
        snprintf(path, sizeof path, "%s", ctx->db);
    cli_data_digest(ctx, digest, sizeof digest);
    lode_err err = {0};
    if (lode_store_open(path, pkg, &ctx->store, &err) != LODE_OK)
        return cli_fail(&err);
    if (lode_store_meta_get(ctx->store, "data_digest", have, sizeof have, &err) != LODE_OK)
        return cli_fail(&err);
    /* A store nobody has filled is built from the bundled data; the default store is also
     * rebuilt when the bundled data changed since it was built. A store the user imported
     * into is theirs: never rebuilt behind their back. */
    int empty = lode_store_count(ctx->store, "materials") == 0;
    int stale = is_default && have[0] && strcmp(have, "imported") != 0 &&
                strcmp(have, digest) != 0;
    if (empty || stale) {
        if (stale) {
            lode_store_close(ctx->store);
            ctx->store = NULL;
            remove(path);
            if (lode_store_open(path, pkg, &ctx->store, &err) != LODE_OK)
                return cli_fail(&err);
        }
        rc = build_from_data(ctx, ctx->store, digest);
        if (rc)
            return rc;
    }
    *out = ctx->store;
    return 0;
}

int cli_model(lode_ctx *ctx, const lode_model **out)
{
    if (ctx->model == NULL) {
        lode_store *s;
        int rc = cli_store(ctx, &s);
        if (rc)
            return rc;
        lode_err err = {0};
        if (lode_store_load_model(s, &ctx->own_model, &err) != LODE_OK)
            return cli_fail(&err);
        ctx->model = ctx->own_model;
    }
    *out = ctx->model;
    return 0;
}

/* ---- the server's door ------------------------------------------------------------------ */

/* The commands the server may run: engines that read the model and print one document. */
static const char *const json_commands[] = {"check",   "chokepoints", "exposure",
                                            "invest",  "market",      "news",
                                            "respond", "risk",        "simulate", "stockpile"};

int cli_run_json(int argc, char **argv, const lode_model *m, const char *data_dir,
                 cli_sink *sink)
{
    const command *c = NULL;
    for (size_t i = 0; argc > 0 && i < sizeof json_commands / sizeof *json_commands; i++)
        if (strcmp(argv[0], json_commands[i]) == 0)
            c = bsearch(argv[0], commands, N_COMMANDS, sizeof commands[0], command_cmp);
    if (c == NULL) {
        snprintf(sink->msg, sizeof sink->msg, "not a command the server runs");
        return LODE_EUSAGE;
    }
    lode_ctx ctx = {0};
    ctx.fmt = OUT_JSON;
    ctx.data_dir = data_dir;
    ctx.model = m;
    ctx.arena = lode_arena_new();
    if (ctx.arena == NULL) {
        snprintf(sink->msg, sizeof sink->msg, "out of memory");
        return LODE_EIO;
    }
    tl_sink = sink;
    int rc = c->fn(argc, argv, &ctx);
    tl_sink = NULL;
    lode_store_close(ctx.store);
    lode_arena_free(ctx.arena);
    if (rc == 0 && sink->doc == NULL) {
        snprintf(sink->msg, sizeof sink->msg, "the command printed no document");
        rc = LODE_EIO;
    }
    return rc;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    lode_ctx ctx = {0};
    ctx.fmt = OUT_TABLE;
    const char *data = getenv("LODE_DATA");
    ctx.data_dir = data && *data ? data : LODE_DATADIR;

    /* Take global options out of argv, wherever they stand. */
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            ctx.fmt = OUT_JSON;
        } else if (strcmp(argv[i], "--csv") == 0) {
            ctx.fmt = OUT_CSV;
        } else if (strcmp(argv[i], "--db") == 0 || strncmp(argv[i], "--db=", 5) == 0) {
            if (argv[i][4] == '=') {
                ctx.db = argv[i] + 5;
            } else if (i + 1 < argc) {
                ctx.db = argv[++i];
            } else {
                fputs("lode: --db needs a file\n", stderr);
                return LODE_EUSAGE;
            }
        } else {
            argv[++n] = argv[i];
        }
    }
    argc = n + 1;
    if (argc < 2) {
        print_usage(stderr);
        return LODE_EUSAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            const command *c = bsearch(argv[2], commands, N_COMMANDS, sizeof commands[0],
                                       command_cmp);
            if (c) {
                char *args[] = {argv[2], (char *)"--help", NULL};
                return c->fn(2, args, &ctx);
            }
            fprintf(stderr, "lode: help: unknown command '%s'\n", argv[2]);
            print_usage(stderr);
            return LODE_EUSAGE;
        }
        print_usage(stdout);
        return 0;
    }
    const command *c = bsearch(name, commands, N_COMMANDS, sizeof commands[0], command_cmp);
    if (c == NULL) {
        fprintf(stderr, "lode: unknown command '%s'\n", name);
        print_usage(stderr);
        return LODE_EUSAGE;
    }
    ctx.arena = lode_arena_new();
    if (ctx.arena == NULL) {
        fputs("lode: out of memory\n", stderr);
        return LODE_EIO;
    }
    int rc = c->fn(argc - 1, argv + 1, &ctx);
    lode_model_free(ctx.own_model);
    lode_store_close(ctx.store);
    lode_arena_free(ctx.arena);
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
        fputs("lode: cannot write output\n", stderr);
        rc = LODE_EIO;
    }
    return rc;
}
