/* lp.h: the one door to linear and mixed-integer solvers. Engines build a model here (columns,
 * rows in triplet form, a cost to minimise) and solve it with a backend: COIN-OR CLP (LP),
 * COIN-OR CBC (MILP) or GLPK (LP and MILP, the independent reference). Which backends exist is
 * decided at build time; asking for a missing one is LODE_EUSAGE.
 *
 * Ownership: lode_lp_new returns an owned model freed with lode_lp_free (NULL is a no-op).
 * A solution's arrays are owned by the solution and freed with lode_lp_solution_free.
 * Call status (lode_status: did the call work) is apart from model status (lode_lp_status:
 * optimal, infeasible...), as in HiGHS. */
#ifndef LODE_LP_H
#define LODE_LP_H

#include <stddef.h>
#include "lode/err.h"

#define LODE_LP_INF 1e30 /* an infinite bound */

typedef struct lode_lp lode_lp;

typedef enum lode_lp_backend { LODE_LP_CLP, LODE_LP_CBC, LODE_LP_GLPK } lode_lp_backend;

typedef enum lode_lp_status {
    LODE_LP_OPTIMAL,
    LODE_LP_INFEASIBLE,
    LODE_LP_UNBOUNDED,
    LODE_LP_LIMIT, /* iteration, node or time limit reached before optimality */
    LODE_LP_ERROR  /* the solver failed */
} lode_lp_status;

lode_lp *lode_lp_new(void);
void lode_lp_free(lode_lp *lp);

/* Add a column with bounds [lb, ub], objective cost, integrality (0/1). name may be NULL (it
 * is copied). Returns the column index, or -1 when out of memory. */
long lode_lp_add_col(lode_lp *lp, double lb, double ub, double cost, int integer,
                     const char *name);

/* Add a row lb <= sum vals[i] * x[cols[i]] <= ub (n entries; use +-LODE_LP_INF for one-sided).
 * `family` tags the constraint family (an engine-defined small integer) so infeasibility can
 * be traced to one; name may be NULL. Returns the row index, or -1 (out of memory or a column
 * index out of range). */
long lode_lp_add_row(lode_lp *lp, double lb, double ub, size_t n, const long *cols,
                     const double *vals, int family, const char *name);

size_t lode_lp_n_cols(const lode_lp *lp);
size_t lode_lp_n_rows(const lode_lp *lp);
size_t lode_lp_n_nonzeros(const lode_lp *lp);
/* Family tag and name of row r ("" if none). */
int lode_lp_row_family(const lode_lp *lp, size_t r);
const char *lode_lp_row_name(const lode_lp *lp, size_t r);

typedef struct lode_lp_opts {
    double time_limit_s; /* 0: none */
    double mip_gap;      /* relative gap for MILP, 0: solver default */
    int verbose;         /* 0: silent (the solver prints nothing) */
} lode_lp_opts;

typedef struct lode_lp_solution {
    lode_lp_status status;
    double objective;
    double *x;        /* [n_cols] column values, filled when status is OPTIMAL or LIMIT */
    double *row_act;  /* [n_rows] row activities */
    double *dual;     /* [n_rows] row duals (LP only; NULL for MILP) */
    size_t n_cols, n_rows;
    long iterations;  /* simplex iterations */
    long nodes;       /* branch-and-bound nodes (MILP) */
} lode_lp_solution;

/* Solve with backend b. Returns LODE_OK when the solver ran (then see out->status),
 * LODE_EUSAGE if the backend was not built in, LODE_EIO on out of memory. */
lode_status lode_lp_solve(const lode_lp *lp, lode_lp_backend b, const lode_lp_opts *o,
                          lode_lp_solution *out, lode_err *err);
void lode_lp_solution_free(lode_lp_solution *s);

const char *lode_lp_backend_name(lode_lp_backend b);
const char *lode_lp_status_name(lode_lp_status s);

#endif
