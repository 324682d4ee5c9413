/* ras.c: RAS, or iterative proportional fitting: scale the free cells of a non-negative matrix
 * by alternating row and column factors until its row and column sums meet given targets.
 * lode derive uses it to spread net surpluses over net needs around the published bilateral
 * shares it holds fixed (docs/baseline.md). Needs no scratch memory, so it takes no arena. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "lode/engines.h"

static int bad_value(double v)
{
    return !isfinite(v) || v < 0;
}

/* Fixed and free sums of row i. */
static void row_sums(size_t nc, const double *x, const unsigned char *fixed, size_t i,
                     double *fix_out, double *free_out)
{
    double fs = 0, fr = 0;
    for (size_t j = 0; j < nc; j++) {
        size_t k = i * nc + j;
        if (fixed && fixed[k])
            fs += x[k];
        else
            fr += x[k];
    }
    *fix_out = fs;
    *free_out = fr;
}

static void col_sums(size_t nr, size_t nc, const double *x, const unsigned char *fixed, size_t j,
                     double *fix_out, double *free_out)
{
    double fs = 0, fr = 0;
    for (size_t i = 0; i < nr; i++) {
        size_t k = i * nc + j;
        if (fixed && fixed[k])
            fs += x[k];
        else
            fr += x[k];
    }
    *fix_out = fs;
    *free_out = fr;
}

/* Largest |sum - target| over rows and columns; *is_row and *where name it. */
static double max_gap(size_t nr, size_t nc, const double *x, const unsigned char *fixed,
                      const double *row_t, const double *col_t, int *is_row, size_t *where)
{
    double gap = 0, fs, fr;
    *is_row = 1;
    *where = 0;
    for (size_t i = 0; i < nr; i++) {
        row_sums(nc, x, fixed, i, &fs, &fr);
        double g = fabs(fs + fr - row_t[i]);
        if (g > gap) {
            gap = g;
            *where = i;
        }
    }
    for (size_t j = 0; j < nc; j++) {
        col_sums(nr, nc, x, fixed, j, &fs, &fr);
        double g = fabs(fs + fr - col_t[j]);
        if (g > gap) {
            gap = g;
            *is_row = 0;
            *where = j;
        }
    }
    return gap;
}

/* Errors name the row or column in err->field ("row"/"column") and err->line (1-based index),
 * so a caller can translate the index into what the row stands for. */
static lode_status ras_fail(lode_err *err, lode_status code, int is_row, size_t where,
                            const char *what, double a, double b)
{
    /* A matrix index fits a long: nr * nc doubles were addressable. */
    return LODE_FAIL(err, code, "", (long)where + 1, is_row ? "row" : "column",
                     "ras: %s %zu %s (%.9g vs %.9g)", is_row ? "row" : "column", where + 1, what, a,
                     b);
}

static lode_status bad_input(lode_err *err, int is_row, size_t where, const char *what, double v)
{
    /* A matrix index fits a long: nr * nc doubles were addressable. */
    return LODE_FAIL(err, LODE_EINPUT, "", (long)where + 1, is_row ? "row" : "column",
                     "ras: %s %zu has a negative or non-finite %s (%g)", is_row ? "row" : "column",
                     where + 1, what, v);
}

/*
 * Contract (engines.h): scale the free cells of seed (copied into x) so that row sums equal
 * row_t and column sums col_t within tol, fixed cells held.
 *
 * Returns LODE_OK with x filled and *iters the number of sweeps (a sweep is one row pass and
 * one column pass; 0 when the seed already fits).
 * LODE_EUSAGE: a NULL array with a non-empty matrix, tol < 0 or NaN, max_iter < 0.
 * LODE_EINPUT: a seed cell or target that is negative or not finite ("row"/"column" named).
 * LODE_ENOSOLN: the row and column targets total differently (by more than tol); a row's or
 * column's fixed cells exceed its target by more than tol; a target above tol with no free
 * positive cell left (free cells in a row or column whose free target is within tol of zero
 * are set to zero first, as no scaling could make them carry anything); or no convergence
 * within max_iter sweeps (x then holds the last iterate). err->field is "row" or "column" and
 * err->line its 1-based index when one is at fault.
 */
lode_status lode_ras(size_t nr, size_t nc, const double *seed, const unsigned char *fixed,
                     const double *row_t, const double *col_t, double tol, int max_iter, double *x,
                     int *iters, lode_err *err)
{
    if (iters)
        *iters = 0;
    if (!(tol >= 0) || max_iter < 0 || (nr && nc && (seed == NULL || x == NULL)) ||
        (nr && row_t == NULL) || (nc && col_t == NULL))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "ras: bad arguments");
    double sr = 0, sc = 0;
    for (size_t i = 0; i < nr; i++) {
        if (bad_value(row_t[i]))
            return bad_input(err, 1, i, "target", row_t[i]);
        sr += row_t[i];
    }
    for (size_t j = 0; j < nc; j++) {
        if (bad_value(col_t[j]))
            return bad_input(err, 0, j, "target", col_t[j]);
        sc += col_t[j];
    }
    if (fabs(sr - sc) > tol)
        return LODE_FAIL(err, LODE_ENOSOLN, "", 0, "",
                         "ras: row targets total %.9g but column targets total %.9g", sr, sc);
    if (nr == 0 || nc == 0)
        return LODE_OK;
    for (size_t k = 0; k < nr * nc; k++)
        if (bad_value(seed[k]))
            return bad_input(err, 1, k / nc, "seed cell", seed[k]);
    if (x != seed)
        memcpy(x, seed, nr * nc * sizeof *x);

    /* Fixed cells over a target, and free cells that cannot carry anything. */
    double fs, fr;
    for (size_t i = 0; i < nr; i++) {
        row_sums(nc, x, fixed, i, &fs, &fr);
        if (fs > row_t[i] + tol)
            return ras_fail(err, LODE_ENOSOLN, 1, i, "has fixed cells above its target", fs,
                            row_t[i]);
        if (row_t[i] - fs <= tol)
            for (size_t j = 0; j < nc; j++)
                if (!(fixed && fixed[i * nc + j]))
                    x[i * nc + j] = 0;
    }
    for (size_t j = 0; j < nc; j++) {
        col_sums(nr, nc, x, fixed, j, &fs, &fr);
        if (fs > col_t[j] + tol)
            return ras_fail(err, LODE_ENOSOLN, 0, j, "has fixed cells above its target", fs,
                            col_t[j]);
        if (col_t[j] - fs <= tol)
            for (size_t i = 0; i < nr; i++)
                if (!(fixed && fixed[i * nc + j]))
                    x[i * nc + j] = 0;
    }
    for (size_t i = 0; i < nr; i++) {
        row_sums(nc, x, fixed, i, &fs, &fr);
        if (row_t[i] - fs > tol && fr <= 0)
            return ras_fail(err, LODE_ENOSOLN, 1, i, "has no free positive cell for its target",
                            row_t[i] - fs, fr);
    }
    for (size_t j = 0; j < nc; j++) {
        col_sums(nr, nc, x, fixed, j, &fs, &fr);
        if (col_t[j] - fs > tol && fr <= 0)
            return ras_fail(err, LODE_ENOSOLN, 0, j, "has no free positive cell for its target",
                            col_t[j] - fs, fr);
    }

    int is_row;
    size_t where;
    double gap;
    for (int it = 0;; it++) {
        gap = max_gap(nr, nc, x, fixed, row_t, col_t, &is_row, &where);
        if (gap <= tol) {
            if (iters)
                *iters = it;
            return LODE_OK;
        }
        if (it == max_iter)
            break;
        for (size_t i = 0; i < nr; i++) {
            row_sums(nc, x, fixed, i, &fs, &fr);
            if (fr <= 0)
                continue;
            double f = (row_t[i] - fs) / fr;
            for (size_t j = 0; j < nc; j++)
                if (!(fixed && fixed[i * nc + j]))
                    x[i * nc + j] *= f;
        }
        for (size_t j = 0; j < nc; j++) {
            col_sums(nr, nc, x, fixed, j, &fs, &fr);
            if (fr <= 0)
                continue;
            double f = (col_t[j] - fs) / fr;
            for (size_t i = 0; i < nr; i++)
                if (!(fixed && fixed[i * nc + j]))
                    x[i * nc + j] *= f;
        }
    }
    if (iters)
        *iters = max_iter;
    return LODE_FAIL(err, LODE_ENOSOLN, "", (long)where + 1, is_row ? "row" : "column",
                     "ras: no convergence in %d sweeps: %s %zu is %.3g off its target", max_iter,
                     is_row ? "row" : "column", where + 1, gap);
}
