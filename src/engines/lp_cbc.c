/* lp_cbc.c: the COIN-OR CBC backend of lp.h, through CBC's C interface (coin/Cbc_C_Interface.h,
 * libCbcSolver). Loads the stored model in compressed sparse columns, marks the integer
 * columns, solves silently and copies the answer into a lode_lp_solution. Compiled only with
 * LODE_HAVE_CBC; lp.c dispatches here for LODE_LP_CBC.
 *
 * CBC keeps no state between calls, so one Cbc_Model is made and deleted per solve: the C
 * interface documents its arrays as invalid after Cbc_solve, and reusing a model is not
 * supported. Row duals are not in the 2.10 C interface: out->dual stays NULL (CLP gives them). */
#ifdef LODE_HAVE_CBC

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <coin/Cbc_C_Interface.h>

#include "lp.h"
#include "lp_int.h"

/* CLP treats any bound beyond 1e27 as infinite, but says so with COIN_DBL_MAX: hand it that. */
static double bound(double v)
{
    if (v >= LODE_LP_INF)
        return DBL_MAX;
    if (v <= -LODE_LP_INF)
        return -DBL_MAX;
    return v;
}

static lode_status oom(lode_err *err)
{
    return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
}

/* Solve lp with CBC. Returns LODE_OK when CBC ran (out->status tells how it ended: OPTIMAL,
 * INFEASIBLE, UNBOUNDED, LIMIT with the best solution found in out->x, or ERROR), LODE_EUSAGE
 * for a model too large for CBC's int indexes, LODE_EIO when out of memory. */
lode_status lode_lp_solve_cbc(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                              lode_err *err)
{
    size_t nc = lp->n_cols, nr = lp->n_rows;
    if (nc > INT_MAX || nr > INT_MAX || lp->n_nz > INT_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "model too large for CBC: %zu columns, "
                         "%zu rows, %zu nonzeros", nc, nr, lp->n_nz);
    if (lode_lp_solution_alloc(out, nc, nr, 0) != 0)
        return oom(err);
    lode_lp_csc csc;
    if (lode_lp_to_columns(lp, &csc) != 0) {
        lode_lp_solution_free(out);
        return oom(err);
    }
    CoinBigIndex *start = malloc((nc + 1) * sizeof *start);
    double *clb = malloc((nc ? nc : 1) * sizeof *clb), *cub = malloc((nc ? nc : 1) * sizeof *cub);
    double *rlb = malloc((nr ? nr : 1) * sizeof *rlb), *rub = malloc((nr ? nr : 1) * sizeof *rub);
    Cbc_Model *cbc = Cbc_newModel();
    lode_status st = LODE_OK;
    if (!start || !clb || !cub || !rlb || !rub || !cbc) {
        st = oom(err);
        goto done;
    }
    for (size_t j = 0; j <= nc; j++)
        start[j] = (CoinBigIndex)csc.start[j]; /* <= n_nz <= INT_MAX, checked above */
    for (size_t j = 0; j < nc; j++) {
        clb[j] = bound(lp->col_lb[j]);
        cub[j] = bound(lp->col_ub[j]);
    }
    for (size_t r = 0; r < nr; r++) {
        rlb[r] = bound(lp->row_lb[r]);
        rub[r] = bound(lp->row_ub[r]);
    }
    /* Column and row counts fit an int: checked above. */
    Cbc_loadProblem(cbc, (int)nc, (int)nr, start, csc.index, csc.value, clb, cub, lp->cost, rlb,
                    rub);
    Cbc_setObjSense(cbc, 1); /* minimise, as lp.h defines the cost */
    int n_int = 0;
    for (size_t j = 0; j < nc; j++)
        if (lp->integer[j]) {
            Cbc_setInteger(cbc, (int)j);
            n_int++;
        }
    if (!o->verbose) {
        /* CbcMain1 reads these as command-line switches: silence CBC and the LP solver. */
        Cbc_setLogLevel(cbc, 0);
        Cbc_setParameter(cbc, "log", "0");
        Cbc_setParameter(cbc, "slog", "0");
    }
    if (o->time_limit_s > 0)
        Cbc_setMaximumSeconds(cbc, o->time_limit_s);
    if (o->mip_gap > 0)
        Cbc_setAllowableFractionGap(cbc, o->mip_gap);

    Cbc_solve(cbc);

    out->nodes = Cbc_getNodeCount(cbc);
    out->iterations = Cbc_getIterationCount(cbc);
    /* Without integers CBC only runs CLP on the relaxation and reports an unbounded LP as
     * "infeasible" too; the initial solve tells the two apart (primal infeasible or not). */
    if (Cbc_isProvenOptimal(cbc))
        out->status = LODE_LP_OPTIMAL;
    else if (Cbc_isContinuousUnbounded(cbc))
        out->status = LODE_LP_UNBOUNDED;
    else if (n_int == 0 && Cbc_isProvenInfeasible(cbc) &&
             !Cbc_isInitialSolveProvenPrimalInfeasible(cbc) &&
             !Cbc_isInitialSolveProvenOptimal(cbc) && !Cbc_isInitialSolveAbandoned(cbc))
        out->status = LODE_LP_UNBOUNDED;
    else if (Cbc_isProvenInfeasible(cbc) || Cbc_isInitialSolveProvenPrimalInfeasible(cbc))
        out->status = LODE_LP_INFEASIBLE;
    else if (Cbc_isNodeLimitReached(cbc) || Cbc_isSecondsLimitReached(cbc) ||
             Cbc_isSolutionLimitReached(cbc))
        out->status = LODE_LP_LIMIT;
    else
        out->status = LODE_LP_ERROR;
    /* A limit without any integer solution leaves nothing to report. */
    if (out->status == LODE_LP_LIMIT && n_int > 0 && Cbc_bestSolution(cbc) == NULL)
        out->status = LODE_LP_ERROR;
    if (out->status == LODE_LP_OPTIMAL || out->status == LODE_LP_LIMIT) {
        const double *x = Cbc_getColSolution(cbc), *act = Cbc_getRowActivity(cbc);
        if (x)
            memcpy(out->x, x, nc * sizeof *x);
        if (act)
            memcpy(out->row_act, act, nr * sizeof *act);
        /* Integer columns come back within CBC's integrality tolerance; give exact values. */
        for (size_t j = 0; j < nc; j++)
            if (lp->integer[j])
                out->x[j] = round(out->x[j]);
        out->objective = Cbc_getObjValue(cbc);
    }
done:
    if (cbc)
        Cbc_deleteModel(cbc);
    free(start);
    free(clb);
    free(cub);
    free(rlb);
    free(rub);
    lode_lp_csc_free(&csc);
    if (st != LODE_OK)
        lode_lp_solution_free(out);
    return st;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int lode_lp_cbc_not_built;
#endif
