/* lp_int.h: what lp.c shares with the solver backends (lp_clp.c, lp_cbc.c, lp_glpk.c): the
 * stored model and helpers to hand it over. Private to src/engines. */
#ifndef LODE_LP_INT_H
#define LODE_LP_INT_H

#include <stddef.h>
#include "lp.h"

struct lode_lp {
    size_t n_cols, cap_cols;
    double *col_lb, *col_ub, *cost;
    int *integer;
    char **col_name;
    size_t n_rows, cap_rows;
    double *row_lb, *row_ub;
    int *family;
    char **row_name;
    size_t *row_start; /* [n_rows + 1]: row r's entries are nz_*[row_start[r] .. row_start[r+1]) */
    size_t cap_start;
    size_t n_nz, cap_nz;
    long *nz_col;
    double *nz_val;
};

/* The matrix in compressed sparse columns, as CLP and CBC load it. */
typedef struct lode_lp_csc {
    size_t *start; /* [n_cols + 1] */
    int *index;    /* row of each entry */
    double *value;
} lode_lp_csc;

int lode_lp_to_columns(const lode_lp *lp, lode_lp_csc *out); /* 0 or -1 out of memory */
void lode_lp_csc_free(lode_lp_csc *c);
/* Zeroed solution arrays of the given sizes; 0 or -1. */
int lode_lp_solution_alloc(lode_lp_solution *s, size_t n_cols, size_t n_rows, int with_duals);

lode_status lode_lp_solve_clp(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                              lode_err *err);
lode_status lode_lp_solve_cbc(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                              lode_err *err);
lode_status lode_lp_solve_glpk(const lode_lp *lp, const lode_lp_opts *o, lode_lp_solution *out,
                               lode_err *err);

#endif
