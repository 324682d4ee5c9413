/* cli_int.h: what the command files share: the run context (store, model, output format)
 * and the output helpers of out.c. Private to src/cli. */
#ifndef LODE_CLI_INT_H
#define LODE_CLI_INT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "lode/arena.h"
#include "lode/buf.h"
#include "lode/err.h"
#include "lode/model.h"
#include "lode/sim.h"
#include "lode/store.h"
#include "lode/table.h"

typedef enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV } out_format;

typedef struct lode_ctx {
    const char *db;       /* --db, or NULL for the default store */
    const char *data_dir; /* the bundled dataset */
    out_format fmt;
    lode_arena *arena;    /* lives for the whole command */
    lode_package pkg;
    int have_pkg;
    lode_store *store;
    const lode_model *model; /* the model commands read */
    lode_model *own_model;   /* the model this context loaded and frees (NULL if lent) */
} lode_ctx;

/* Exit codes are lode_status values (err.h): 0 done, 1 usage, 2 bad input, 3 no solution,
 * 4 I/O or store error. */

/* Print err to stderr as "lode: <path:line:col: field 'f': msg>" and return its code. */
int cli_fail(const lode_err *err);
/* Print a usage error ("lode <cmd>: msg") and the usage text; returns LODE_EUSAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The package (data/datapackage.json), loaded once. */
int cli_package(lode_ctx *ctx, const lode_package **out);
/* A digest of every file of the bundled package (needs cli_package first). */
int cli_data_digest(lode_ctx *ctx, char *out, size_t len);
/* Open the store, building the default one from the bundled data on first use. */
int cli_store(lode_ctx *ctx, lode_store **out);
/* The frozen model from the store. */
int cli_model(lode_ctx *ctx, const lode_model **out);

/* A text table: headers (with units) then rows of cells, printed aligned, or as CSV. Cells are
 * copied. */
typedef struct out_table {
    size_t n_cols;
    const char **head;
    int *right; /* right-align the column (numbers) */
    lode_buf cells; /* all cells, NUL-separated */
    size_t n_cells;
} out_table;

void out_table_init(out_table *t, size_t n_cols, const char *const *head, const int *right);
void out_table_add(out_table *t, const char *cell);
void out_table_addf(out_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print as aligned text (OUT_TABLE) or CSV (OUT_CSV) to f, then free. */
int out_table_print(out_table *t, out_format fmt, FILE *f);
void out_table_free(out_table *t);

/* Print a cJSON document to stdout and delete it. Returns an exit code. */
int out_json(cJSON *doc);
/* A number rounded to `sig` significant digits for JSON (stable across platforms). */
cJSON *out_num(double v);

/* Parse a whole number in [lo, hi] written in full (no spaces, no trailing text): 0, or -1. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
/* Ids for printing: material k, country c (-1 gives ""). */
const char *cli_cid(const lode_model *m, int c);
const char *cli_mid(const lode_model *m, int k);

/* Human format of tonnes: whole tonnes with separators from 100 t up ("12,345"), else 3
 * significant digits; below 1e-6 t (a gram) prints 0. */
const char *fmt_t(char *buf, size_t len, double t);

/* Commands: each returns an exit code. */
int cmd_init(int argc, char **argv, lode_ctx *ctx);
int cmd_import(int argc, char **argv, lode_ctx *ctx);
int cmd_export(int argc, char **argv, lode_ctx *ctx);
int cmd_check(int argc, char **argv, lode_ctx *ctx);
int cmd_derive(int argc, char **argv, lode_ctx *ctx);
int cmd_risk(int argc, char **argv, lode_ctx *ctx);
int cmd_exposure(int argc, char **argv, lode_ctx *ctx);
int cmd_simulate(int argc, char **argv, lode_ctx *ctx);
int cmd_chokepoints(int argc, char **argv, lode_ctx *ctx);
int cmd_respond(int argc, char **argv, lode_ctx *ctx);
int cmd_stockpile(int argc, char **argv, lode_ctx *ctx);
int cmd_invest(int argc, char **argv, lode_ctx *ctx);
int cmd_market(int argc, char **argv, lode_ctx *ctx);
int cmd_news(int argc, char **argv, lode_ctx *ctx);
int cmd_generate(int argc, char **argv, lode_ctx *ctx);
int cmd_keys(int argc, char **argv, lode_ctx *ctx);
int cmd_serve(int argc, char **argv, lode_ctx *ctx);

/* `lode simulate --mpi` (src/cli/mpi.c, built with LODE_HAVE_MPI): runs split over the MPI
 * ranks, gathered on rank 0 in run order; *root is 1 on the rank that prints. */
lode_status cli_mpi_simulate(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                             lode_arena *a, lode_sim_result *out, int *root, lode_err *err);

/* Progress bar on stderr for lode_progress_fn callbacks (cmd_simulate.c): drawn only when a
 * run lasts more than a second and stderr is a terminal. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_start(const char *what);
void cli_progress_cb(void *ctx, long done, long total);
void cli_progress_stop(cli_progress *p);

/* ---- running a command for the server ---------------------------------------------------
 * `lode serve` runs the same command handlers that print --json, so every endpoint answers
 * with exactly the fields of the command line. A sink set on the calling thread catches what
 * the handler would have printed: the JSON document, the first error message, and the
 * progress of long runs (updated from the engine's worker threads, hence atomic). */
typedef struct cli_sink {
    cJSON *doc;            /* the --json document (owned by the caller once the run ends) */
    char msg[1024];        /* the first error the command reported ("" if none) */
    _Atomic long done, total; /* progress of a long run */
} cli_sink;

/* Run command argv[0] (one of check, risk, exposure, chokepoints, market, news, simulate,
 * respond, stockpile, invest) as `lode --json argv...` on the borrowed model m, with its output
 * caught in *sink. Thread-safe for distinct sinks. Returns the command's exit code. */
cli_sink *cli_sink_current(void);
int cli_run_json(int argc, char **argv, const lode_model *m, const char *data_dir,
                 cli_sink *sink);

/* Is argv[i] a request for help? */
int cli_wants_help(int argc, char **argv);

#endif
