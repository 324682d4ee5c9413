/* mpi.c: `lode simulate ... --mpi` under mpirun. Each rank runs a contiguous range of the
 * Monte Carlo runs with lode_sim_rows (on its own threads); rank 0 takes every run's row in
 * run order into a lode_sim_acc and finishes, so the result and digest are the single-process
 * ones for any rank count. Rows go by MPI_Send/MPI_Recv a chunk at a time rather than one
 * MPI_Gatherv, so rank 0 never holds every row. MPI stays here: the engine only sees runs
 * and rows. Compiled to nothing unless LODE_HAVE_MPI is defined. */
#ifdef LODE_HAVE_MPI

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>

#include "lode/arena.h"

#include "lode/sim.h"
#include "cli_int.h"

/* Runs of rank `rank` of `size`: [runs * rank / size, runs * (rank + 1) / size). */
static long range_start(long runs, int rank, int size)
{
    return (long)((long long)runs * rank / size); /* runs <= 1e8, so no overflow */
}

/* Progress of rank 0's chunks as one bar over its runs. */
typedef struct chunk_progress {
    lode_progress_fn fn;
    void *ctx;
    long base, total;
} chunk_progress;

static void chunk_progress_cb(void *ctx, long done, long total)
{
    const chunk_progress *p = ctx;
    (void)total;
    p->fn(p->ctx, p->base + done, p->total);
}

/* Rank 0's own runs [r0, r1), a chunk at a time (each in an arena of its own), into acc. */
static lode_status own_runs(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                            long r0, long r1, long chunk, lode_sim_acc *acc, lode_err *err)
{
    chunk_progress cp = {o->progress, o->progress_ctx, 0, r1 - r0};
    lode_sim_opts co = *o;
    if (o->progress) {
        co.progress = chunk_progress_cb;
        co.progress_ctx = &cp;
    }
    for (long r = r0; r < r1; r += chunk) {
        long e = r1 - r < chunk ? r1 : r + chunk;
        lode_arena *ca = lode_arena_new();
        if (ca == NULL)
            return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
        double *rows;
        size_t w;
        cp.base = r - r0;
        lode_status st = lode_sim_rows(m, s, &co, r, e, ca, &rows, &w, err);
        if (st == LODE_OK)
            lode_sim_acc_add(acc, rows, e - r);
        lode_arena_free(ca);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

/* Runs per message: about 64 MiB of rows, at least one. */
static long chunk_runs(size_t width)
{
    size_t n = ((size_t)8 << 20) / (width > 0 ? width : 1);
    return n < 1 ? 1 : n > 4096 ? 4096 : (long)n;
}

/* The whole Monte Carlo o over every rank of MPI_COMM_WORLD (initialised here, and finalised
 * before returning). Rank k runs [runs * k / K, runs * (k + 1) / K) on o->threads threads.
 * Rank 0 runs its part a chunk at a time into an accumulator, then takes every other rank's
 * rows in rank (so run) order, a chunk per message, and finishes: it holds the percentile
 * store of a single process plus one chunk; rank k > 0 holds the rows of its own runs.
 * *root is set to 1 on rank 0, which alone gets *out; other ranks return with *out untouched
 * and should print nothing. If any rank fails, every rank does (rank 0 with its own message
 * if it failed itself, else a generic one). */
lode_status cli_mpi_simulate(const lode_model *m, const lode_scenario *s, const lode_sim_opts *o,
                             lode_arena *a, lode_sim_result *out, int *root, lode_err *err)
{
    int inited = 0, rank = 0, size = 1;
    *root = 1;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *root = rank == 0;
    long r0 = range_start(o->runs, rank, size), r1 = range_start(o->runs, rank + 1, size);
    double *rows = NULL, *buf = NULL;
    size_t width = 0;
    lode_sim_acc *acc = NULL;
    lode_status st;
    if (rank == 0) {
        st = lode_sim_acc_new(m, s, o, a, &acc, &width, err);
        if (st == LODE_OK)
            st = own_runs(m, s, o, r0, r1, chunk_runs(width), acc, err);
    } else {
        lode_sim_opts mine = *o;
        mine.progress = NULL; /* one progress bar: rank 0's, counting its own runs */
        st = lode_sim_rows(m, s, &mine, r0, r1, a, &rows, &width, err);
    }

    /* Agree on success and on the row width before anyone sends or waits. */
    unsigned long long mine_w[2] = {st == LODE_OK ? 0ULL : 1ULL + (unsigned)st, width};
    unsigned long long hi[2], lo_w;
    MPI_Allreduce(mine_w, hi, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&mine_w[1], &lo_w, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    if (hi[0] != 0) {
        if (st == LODE_OK)
            st = LODE_FAIL(err, (lode_status)(hi[0] - 1), "", 0, "",
                           "simulate failed on another MPI rank");
        goto done;
    }
    if (hi[1] != lo_w || width > INT_MAX) {
        st = LODE_FAIL(err, LODE_EIO, "", 0, "", "MPI ranks disagree on the row width");
        goto done;
    }

    /* A row is one element of a contiguous type, so counts are runs and fit an int. */
    long chunk = chunk_runs(width);
    MPI_Datatype row_t;
    MPI_Type_contiguous((int)width, MPI_DOUBLE, &row_t);
    MPI_Type_commit(&row_t);
    if (rank == 0) {
        buf = malloc((size_t)chunk * width * sizeof *buf + 1);
        if (buf == NULL)
            MPI_Abort(MPI_COMM_WORLD, LODE_EIO); /* others would wait in MPI_Send forever */
        for (int src = 1; src < size; src++) {
            long e1 = range_start(o->runs, src + 1, size);
            for (long r = range_start(o->runs, src, size); r < e1; r += chunk) {
                long n = e1 - r < chunk ? e1 - r : chunk; /* <= 4096 */
                MPI_Recv(buf, (int)n, row_t, src, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                lode_sim_acc_add(acc, buf, n);
            }
        }
        free(buf);
        st = lode_sim_acc_finish(acc, out, err);
    } else {
        for (long r = r0; r < r1; r += chunk) {
            long n = r1 - r < chunk ? r1 - r : chunk; /* <= 4096 */
            MPI_Send(&rows[(size_t)(r - r0) * width], (int)n, row_t, 0, 0, MPI_COMM_WORLD);
        }
    }
    MPI_Type_free(&row_t);
done:
    MPI_Finalize();
    return st;
}

#else
typedef int lode_mpi_not_built; /* ISO C wants a translation unit to declare something */
#endif
