/* lp_glpk.c: the GLPK backend of lp.h (Debian libglpk-dev), the independent reference the
 * tests and benchmarks hold CLP against, and a MILP solver: glp_simplex for the LP (or the
 * relaxation), then glp_intopt when any column is integer. Compiled in only with
 * LODE_HAVE_GLPK. GLPK aborts the process on invalid input, so everything it is given is
 * checked first: finite numbers, int-sized model, duplicate entries summed. */
#ifdef LODE_HAVE_GLPK

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "lode/engines.h"
#include "lp.h"
#include "lp_int.h"

static lode_status check_model(const lode_lp *lp, lode_err *err)
{
    /* GLPK numbers rows and columns from 1 and matrix entries from 1, in ints. */
    if (lp->n_cols >= INT_MAX || lp->n_rows >= INT_MAX || lp->n_nz >= INT_MAX)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "model too large for glpk: %zu columns, "
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

/* GLPK's bound type for [lb, ub] (lp.h's infinities mean no bound). */
static int glpk_type(double lb, double ub)
{
    int has_lb = lb > -LODE_LP_INF, has_ub = ub < LODE_LP_INF;
    if (has_lb && has_ub)
        return lb == ub ? GLP_FX : GLP_DB;
    if (has_lb)
        return GLP_LO;
    if (has_ub)
        return GLP_UP;
    return GLP_FR;
}

/* 1 if some column or row has lb > ub: the model is infeasible as stated (GLPK would refuse it
 * with GLP_EBOUND). */
static int crossed_bounds(const lode_lp *lp)
{
    for (size_t j = 0; j < lp->n_cols; j++)
        if (lp->col_lb[j] > lp->col_ub[j])
            return 1;
    for (size_t r = 0; r < lp->n_rows; r++)
        if (lp->row_lb[r] > lp->row_ub[r])
            return 1;
    return 0;
}

/* Load lp into a new GLPK problem; NULL when out of memory. GLPK's own allocation failures
 * abort, so this only covers ours. */
static glp_prob *glpk_load(const lode_lp *lp)
{
    size_t nc = lp->n_cols, nr = lp->n_rows, nz = lp->n_nz;
    /* Entries 1..ne, with the (row, column) duplicates of a row summed. */
    int *ia = malloc((nz + 1) * sizeof *ia), *ja = malloc((nz + 1) * sizeof *ja);
    double *ar = malloc((nz + 1) * sizeof *ar);
    long *seen = malloc((nc ? nc : 1) * sizeof *seen); /* column -> entry of this row, or -1 */
    if (!ia || !ja || !ar || !seen) {
        free(ia);
        free(ja);
        free(ar);
        free(seen);
        return NULL;
    }
    for (size_t j = 0; j < nc; j++)
        seen[j] = -1;
    size_t ne = 0;
    for (size_t r = 0; r < nr; r++) {
        size_t first = ne + 1;
        for (size_t k = lp->row_start[r]; k < lp->row_start[r + 1]; k++) {
            size_t j = (size_t)lp->nz_col[k];
            if (seen[j] >= (long)first) {
                ar[seen[j]] += lp->nz_val[k];
                continue;
            }
            ne++;
            seen[j] = (long)ne;
            ia[ne] = (int)r + 1; /* sizes checked against INT_MAX */
            ja[ne] = (int)j + 1;
            ar[ne] = lp->nz_val[k];
        }
    }
    free(seen);
    glp_prob *p = glp_create_prob();
    glp_set_obj_dir(p, GLP_MIN);
    if (nr)
        glp_add_rows(p, (int)nr);
    if (nc)
        glp_add_cols(p, (int)nc);
    for (size_t r = 0; r < nr; r++)
        glp_set_row_bnds(p, (int)r + 1, glpk_type(lp->row_lb[r], lp->row_ub[r]), lp->row_lb[r],
                         lp->row_ub[r]);
    for (size_t j = 0; j < nc; j++) {
        glp_set_col_bnds(p, (int)j + 1, glpk_type(lp->col_lb[j], lp->col_ub[j]), lp->col_lb[j],
                         lp->col_ub[j]);
        glp_set_obj_coef(p, (int)j + 1, lp->cost[j]);
        if (lp->integer[j])
            glp_set_col_kind(p, (int)j + 1, GLP_IV);
    }
    if (ne)
        glp_load_matrix(p, (int)ne, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);
    return p;
}

/* Branch-and-bound callback: remember the number of nodes the tree has had. */
static void count_nodes(glp_tree *t, void *info)
{
    int a_cnt, n_cnt, t_cnt;
    glp_ios_tree_size(t, &a_cnt, &n_cnt, &t_cnt);
    long *nodes = info;
    if (t_cnt > *nodes)
        *nodes = t_cnt;
}

static int time_ms(double s)
{
    if (!(s > 0))
        return INT_MAX;
    return s * 1000.0 >= (double)INT_MAX ? INT_MAX : (int)(s * 1000.0); /* clamped above */
}

/* The LP status of a glp_simplex run that returned rc. */
static lode_lp_status simplex_status(glp_prob *p, int rc)
{
    switch (rc) {
    case 0:
        break;
    case GLP_ETMLIM:
    case GLP_EITLIM:
        return LODE_LP_LIMIT;
    case GLP_ENOPFS:
        return LODE_LP_INFEASIBLE;
    case GLP_ENODFS:
        return LODE_LP_UNBOUNDED;
    default:
        return LODE_LP_ERROR;
    }
    switch (glp_get_status(p)) {
    case GLP_OPT:
        return LODE_LP_OPTIMAL;
    case GLP_NOFEAS:
        return LODE_LP_INFEASIBLE;
    case GLP_UNBND:
        return LODE_LP_UNBOUNDED;
    case GLP_FEAS:
        return LODE_LP_LIMIT;
    default:
        return LODE_LP_ERROR;
    }
}

lode_status lode_lp_solve_glpk(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                               lode_err *err)
{
    memset(out, 0, sizeof *out);
    out->status = LODE_LP_ERROR;
    LODE_TRY(check_model(lp, err));
    int mip = 0;
    for (size_t j = 0; j < lp->n_cols; j++)
        mip |= lp->integer[j];
    if (lode_lp_solution_alloc(out, lp->n_cols, lp->n_rows, !mip) != 0)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory for the glpk solution");
    if (crossed_bounds(lp)) {
        out->status = LODE_LP_INFEASIBLE;
        return LODE_OK;
    }
    if (lp->n_rows == 0 && lp->n_cols == 0) {
        out->status = LODE_LP_OPTIMAL; /* GLPK refuses an empty problem; its optimum is 0 */
        return LODE_OK;
    }
    glp_prob *p = glpk_load(lp);
    if (p == NULL) {
        lode_lp_solution_free(out);
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory loading the model into glpk");
    }
    glp_smcp sm;
    glp_init_smcp(&sm);
    sm.msg_lev = o->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    sm.meth = GLP_DUALP;
    sm.tm_lim = time_ms(o->time_limit_s);
    /* Without the presolver GLPK reports infeasible and unbounded as a solution status. */
    sm.presolve = GLP_OFF;
    int rc = glp_simplex(p, &sm);
    int gs = glp_get_status(p);
    if (rc == 0 && gs != GLP_OPT && gs != GLP_NOFEAS && gs != GLP_UNBND) {
        /* The dual simplex stopped on dual infeasibility without settling whether the model
         * is unbounded or infeasible; the primal simplex, from that basis, tells which. */
        sm.meth = GLP_PRIMAL;
        rc = glp_simplex(p, &sm);
    }
    lode_lp_status st = simplex_status(p, rc);
    out->iterations = glp_get_it_cnt(p);
    /* A MILP stopped in its relaxation has no integer point: LIMIT with x left at zero. */
    if (mip && st == LODE_LP_OPTIMAL) {
        glp_iocp io;
        glp_init_iocp(&io);
        io.msg_lev = o->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
        io.tm_lim = time_ms(o->time_limit_s);
        if (o->mip_gap > 0)
            io.mip_gap = o->mip_gap;
        long nodes = 0;
        io.cb_func = count_nodes;
        io.cb_info = &nodes;
        rc = glp_intopt(p, &io);
        out->nodes = nodes;
        out->iterations = glp_get_it_cnt(p);
        switch (glp_mip_status(p)) {
        case GLP_OPT:
            st = LODE_LP_OPTIMAL;
            break;
        case GLP_FEAS:
            /* stopped at the gap asked for: as good as optimal; a time limit is a limit */
            st = rc == GLP_EMIPGAP || rc == 0 ? LODE_LP_OPTIMAL : LODE_LP_LIMIT;
            break;
        case GLP_NOFEAS:
            st = LODE_LP_INFEASIBLE;
            break;
        default:
            st = rc == GLP_ETMLIM ? LODE_LP_LIMIT : LODE_LP_ERROR;
            break;
        }
        if (st == LODE_LP_OPTIMAL || st == LODE_LP_LIMIT) {
            out->objective = glp_mip_obj_val(p);
            for (size_t j = 0; j < lp->n_cols; j++)
                out->x[j] = glp_mip_col_val(p, (int)j + 1);
            for (size_t r = 0; r < lp->n_rows; r++)
                out->row_act[r] = glp_mip_row_val(p, (int)r + 1);
        }
    } else if (!mip && (st == LODE_LP_OPTIMAL || st == LODE_LP_LIMIT)) {
        out->objective = glp_get_obj_val(p);
        for (size_t j = 0; j < lp->n_cols; j++)
            out->x[j] = glp_get_col_prim(p, (int)j + 1);
        for (size_t r = 0; r < lp->n_rows; r++) {
            out->row_act[r] = glp_get_row_prim(p, (int)r + 1);
            out->dual[r] = glp_get_row_dual(p, (int)r + 1);
        }
    }
    out->status = st;
    glp_delete_prob(p);
    return LODE_OK;
}

void lode_engines_thread_done(void)
{
    glp_free_env(); /* returns 1, harmlessly, if this thread never used GLPK */
}

#else

#include "lode/engines.h"

void lode_engines_thread_done(void)
{
}

#endif
