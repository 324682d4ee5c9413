/* lp_clp.c: the COIN-OR CLP backend of lp.h, through CLP's C interface (Clp_C_Interface.h,
 * Debian coinor-libclp-dev). CLP solves linear programs only: a model with integer columns is
 * refused here (CBC or GLPK solve those). Compiled in only with LODE_HAVE_CLP; the model is
 * handed over in compressed sparse columns with duplicate entries summed. */
#ifdef LODE_HAVE_CLP

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Clp_C_Interface.h>

#include "lp.h"
#include "lp_int.h"

/* CLP's own infinity is DBL_MAX; lp.h's is LODE_LP_INF. */
static double clp_bound(double v)
{
    if (v >= LODE_LP_INF)
        return DBL_MAX;
    if (v <= -LODE_LP_INF)
        return -DBL_MAX;
    return v;
}

/* Every number the solver will see is finite (infinite bounds aside) and every size fits an
 * int; returns LODE_OK or LODE_EUSAGE naming the first offender. */
static lode_status check_model(const lode_lp *lp, lode_err *err)
{
    if (lp->n_cols > INT_MAX || lp->n_rows > INT_MAX || lp->n_nz > INT_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "model too large for clp: %zu columns, "
                         "%zu rows, %zu nonzeros", lp->n_cols, lp->n_rows, lp->n_nz);
    for (size_t j = 0; j < lp->n_cols; j++)
        if (!isfinite(lp->cost[j]) || isnan(lp->col_lb[j]) || isnan(lp->col_ub[j]))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "column %zu has a non-finite cost "
                             "or bound", j);
    for (size_t r = 0; r < lp->n_rows; r++)
        if (isnan(lp->row_lb[r]) || isnan(lp->row_ub[r]))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "row %zu ('%s') has a NaN bound", r,
                             lode_lp_row_name(lp, r));
    for (size_t k = 0; k < lp->n_nz; k++)
        if (!isfinite(lp->nz_val[k]))
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "a coefficient of column %ld is not "
                             "finite", lp->nz_col[k]);
    return LODE_OK;
}

/* The matrix as CLP loads it: column starts (CoinBigIndex), row indexes and values, with the
 * entries of one (row, column) pair summed into one. */
typedef struct clp_mat {
    CoinBigIndex *start;
    int *index;
    double *value;
} clp_mat;

static void clp_mat_free(clp_mat *c)
{
    free(c->start);
    free(c->index);
    free(c->value);
}

static int clp_mat_build(const lode_lp *lp, clp_mat *out)
{
    lode_lp_csc csc;
    memset(out, 0, sizeof *out);
    if (lode_lp_to_columns(lp, &csc) != 0)
        return -1;
    size_t nc = lp->n_cols, nz = lp->n_nz;
    out->start = malloc((nc + 1) * sizeof *out->start);
    out->index = malloc((nz ? nz : 1) * sizeof *out->index);
    out->value = malloc((nz ? nz : 1) * sizeof *out->value);
    long *seen = malloc((lp->n_rows ? lp->n_rows : 1) * sizeof *seen); /* row -> slot, or -1 */
    if (!out->start || !out->index || !out->value || !seen) {
        free(seen);
        lode_lp_csc_free(&csc);
        clp_mat_free(out);
        return -1;
    }
    for (size_t r = 0; r < lp->n_rows; r++)
        seen[r] = -1;
    size_t at = 0;
    for (size_t j = 0; j < nc; j++) {
        size_t first = at;
        out->start[j] = (CoinBigIndex)at; /* at <= n_nz <= INT_MAX (check_model) */
        for (size_t k = csc.start[j]; k < csc.start[j + 1]; k++) {
            int r = csc.index[k];
            if (seen[r] >= (long)first) {
                out->value[seen[r]] += csc.value[k];
                continue;
            }
            seen[r] = (long)at;
            out->index[at] = r;
            out->value[at] = csc.value[k];
            at++;
        }
    }
    out->start[nc] = (CoinBigIndex)at;
    free(seen);
    lode_lp_csc_free(&csc);
    return 0;
}

/* Load lp into a fresh CLP model with the given costs (NULL: all zero). NULL if out of
 * memory. */
static Clp_Simplex *clp_load(const lode_lp *lp, const clp_mat *mat, const double *cost,
                             const lode_lp_opts *o)
{
    size_t nc = lp->n_cols, nr = lp->n_rows;
    double *clb = malloc((nc ? nc : 1) * sizeof *clb), *cub = malloc((nc ? nc : 1) * sizeof *cub);
    double *rlb = malloc((nr ? nr : 1) * sizeof *rlb), *rub = malloc((nr ? nr : 1) * sizeof *rub);
    double *obj = calloc(nc ? nc : 1, sizeof *obj);
    Clp_Simplex *clp = NULL;
    if (clb && cub && rlb && rub && obj) {
        for (size_t j = 0; j < nc; j++) {
            clb[j] = clp_bound(lp->col_lb[j]);
            cub[j] = clp_bound(lp->col_ub[j]);
            if (cost)
                obj[j] = cost[j];
        }
        for (size_t r = 0; r < nr; r++) {
            rlb[r] = clp_bound(lp->row_lb[r]);
            rub[r] = clp_bound(lp->row_ub[r]);
        }
        clp = Clp_newModel();
        if (clp) {
            Clp_setLogLevel(clp, o->verbose ? 1 : 0);
            /* sizes fit an int: check_model */
            Clp_loadProblem(clp, (int)nc, (int)nr, mat->start, mat->index, mat->value, clb, cub,
                            obj, rlb, rub);
            Clp_setOptimizationDirection(clp, 1);
            if (o->time_limit_s > 0)
                Clp_setMaximumSeconds(clp, o->time_limit_s);
        }
    }
    free(clb);
    free(cub);
    free(rlb);
    free(rub);
    free(obj);
    return clp;
}

/* Map CLP's status (0 optimal, 1 primal infeasible, 2 dual infeasible, 3 stopped on a limit,
 * 4 stopped on errors) to lp.h's. */
static lode_lp_status clp_status(Clp_Simplex *clp)
{
    switch (Clp_status(clp)) {
    case 0:
        return LODE_LP_OPTIMAL;
    case 1:
        return LODE_LP_INFEASIBLE;
    case 2:
        return LODE_LP_UNBOUNDED;
    case 3:
        return LODE_LP_LIMIT;
    default:
        return LODE_LP_ERROR;
    }
}

lode_status lode_lp_solve_clp(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                              lode_err *err)
{
    memset(out, 0, sizeof *out);
    out->status = LODE_LP_ERROR;
    for (size_t j = 0; j < lp->n_cols; j++)
        if (lp->integer[j])
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "clp solves linear programs only: "
                             "column %zu is integer (use cbc or glpk)", j);
    LODE_TRY(check_model(lp, err));
    clp_mat mat;
    if (clp_mat_build(lp, &mat) != 0)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory building the clp matrix");
    Clp_Simplex *clp = clp_load(lp, &mat, lp->cost, o);
    if (clp == NULL) {
        clp_mat_free(&mat);
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory loading the model into clp");
    }
    Clp_initialSolve(clp);
    lode_lp_status st = clp_status(clp);
    long iters = Clp_numberIterations(clp);
    if (st == LODE_LP_UNBOUNDED) {
        /* Dual infeasible: unbounded if a feasible point exists, else infeasible as well.
         * Settle it by solving for feasibility alone (zero costs). */
        Clp_Simplex *feas = clp_load(lp, &mat, NULL, o);
        if (feas == NULL) {
            Clp_deleteModel(clp);
            clp_mat_free(&mat);
            return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory loading the model into "
                             "clp");
        }
        Clp_initialSolve(feas);
        if (Clp_status(feas) == 1)
            st = LODE_LP_INFEASIBLE;
        iters += Clp_numberIterations(feas);
        Clp_deleteModel(feas);
    }
    clp_mat_free(&mat);
    if (lode_lp_solution_alloc(out, lp->n_cols, lp->n_rows, 1) != 0) {
        Clp_deleteModel(clp);
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory for the clp solution");
    }
    out->status = st;
    out->iterations = iters;
    if (st == LODE_LP_OPTIMAL || st == LODE_LP_LIMIT) {
        const double *x = Clp_getColSolution(clp), *act = Clp_getRowActivity(clp),
                     *dual = Clp_getRowPrice(clp);
        if (lp->n_cols)
            memcpy(out->x, x, lp->n_cols * sizeof *x);
        if (lp->n_rows) {
            memcpy(out->row_act, act, lp->n_rows * sizeof *act);
            memcpy(out->dual, dual, lp->n_rows * sizeof *dual);
        }
        out->objective = Clp_objectiveValue(clp);
    }
    Clp_deleteModel(clp);
    return LODE_OK;
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int lode_lp_clp_not_built;

#endif
