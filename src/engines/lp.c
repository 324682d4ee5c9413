/* lp.c: the solver-independent half of lp.h: a model stored as columns and row triplets,
 * and dispatch to the backends (lp_clp.c, lp_cbc.c, lp_glpk.c), each compiled in only when its
 * library was found at build time (LODE_HAVE_CLP, LODE_HAVE_CBC, LODE_HAVE_GLPK). */
#include <stdlib.h>
#include <string.h>

#include "lp.h"
#include "lp_int.h"

lode_lp *lode_lp_new(void)
{
    return calloc(1, sizeof(lode_lp));
}

void lode_lp_free(lode_lp *lp)
{
    if (lp == NULL)
        return;
    for (size_t i = 0; i < lp->n_cols; i++)
        free(lp->col_name[i]);
    for (size_t i = 0; i < lp->n_rows; i++)
        free(lp->row_name[i]);
    free(lp->col_lb);
    free(lp->col_ub);
    free(lp->cost);
    free(lp->integer);
    free(lp->col_name);
    free(lp->row_lb);
    free(lp->row_ub);
    free(lp->family);
    free(lp->row_name);
    free(lp->row_start);
    free(lp->nz_col);
    free(lp->nz_val);
    free(lp);
}

/* Grow *p (n elements of size bytes, capacity *cap) to hold `need`; 0 or -1. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(*p, ncap * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = ncap;
    return 0;
}

static char *copy_name(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t n = strlen(name) + 1;
    char *s = malloc(n);
    if (s)
        memcpy(s, name, n);
    return s;
}

long lode_lp_add_col(lode_lp *lp, double lb, double ub, double cost, int integer,
                     const char *name)
{
    size_t need = lp->n_cols + 1, cap = lp->cap_cols;
    /* Every column array shares one capacity: grow them all from the same old value. */
    if (need > cap) {
        size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap, c5 = cap;
        if (grow((void **)&lp->col_lb, &c1, need, sizeof(double)) ||
            grow((void **)&lp->col_ub, &c2, need, sizeof(double)) ||
            grow((void **)&lp->cost, &c3, need, sizeof(double)) ||
            grow((void **)&lp->integer, &c4, need, sizeof(int)) ||
            grow((void **)&lp->col_name, &c5, need, sizeof(char *)))
            return -1;
        lp->cap_cols = c1;
    }
    char *copy = copy_name(name);
    if (name && copy == NULL)
        return -1;
    size_t j = lp->n_cols++;
    lp->col_lb[j] = lb;
    lp->col_ub[j] = ub;
    lp->cost[j] = cost;
    lp->integer[j] = integer != 0;
    lp->col_name[j] = copy;
    return (long)j;
}

long lode_lp_add_row(lode_lp *lp, double lb, double ub, size_t n, const long *cols,
                     const double *vals, int family, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (cols[k] < 0 || (size_t)cols[k] >= lp->n_cols)
            return -1;
    size_t need = lp->n_rows + 1, cap = lp->cap_rows;
    if (need > cap) {
        size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
        if (grow((void **)&lp->row_lb, &c1, need, sizeof(double)) ||
            grow((void **)&lp->row_ub, &c2, need, sizeof(double)) ||
            grow((void **)&lp->family, &c3, need, sizeof(int)) ||
            grow((void **)&lp->row_name, &c4, need, sizeof(char *)))
            return -1;
        lp->cap_rows = c1;
    }
    /* row_start has one more entry than there are rows. */
    if (grow((void **)&lp->row_start, &lp->cap_start, need + 1, sizeof(size_t)))
        return -1;
    size_t nz = lp->n_nz + n, c1 = lp->cap_nz, c2 = lp->cap_nz;
    if (nz > lp->cap_nz) {
        if (grow((void **)&lp->nz_col, &c1, nz, sizeof(long)) ||
            grow((void **)&lp->nz_val, &c2, nz, sizeof(double)))
            return -1;
        lp->cap_nz = c1;
    }
    char *copy = copy_name(name);
    if (name && copy == NULL)
        return -1;
    size_t r = lp->n_rows++;
    lp->row_lb[r] = lb;
    lp->row_ub[r] = ub;
    lp->family[r] = family;
    lp->row_name[r] = copy;
    lp->row_start[r] = lp->n_nz;
    if (n) {
        memcpy(lp->nz_col + lp->n_nz, cols, n * sizeof *cols);
        memcpy(lp->nz_val + lp->n_nz, vals, n * sizeof *vals);
    }
    lp->n_nz = nz;
    lp->row_start[r + 1] = nz;
    return (long)r;
}

size_t lode_lp_n_cols(const lode_lp *lp)
{
    return lp->n_cols;
}

size_t lode_lp_n_rows(const lode_lp *lp)
{
    return lp->n_rows;
}

size_t lode_lp_n_nonzeros(const lode_lp *lp)
{
    return lp->n_nz;
}

int lode_lp_row_family(const lode_lp *lp, size_t r)
{
    return r < lp->n_rows ? lp->family[r] : -1;
}

const char *lode_lp_row_name(const lode_lp *lp, size_t r)
{
    return r < lp->n_rows && lp->row_name[r] ? lp->row_name[r] : "";
}

int lode_lp_to_columns(const lode_lp *lp, lode_lp_csc *out)
{
    size_t nc = lp->n_cols, nz = lp->n_nz;
    memset(out, 0, sizeof *out);
    out->start = calloc(nc + 1, sizeof *out->start);
    out->index = calloc(nz ? nz : 1, sizeof *out->index);
    out->value = calloc(nz ? nz : 1, sizeof *out->value);
    size_t *fill = calloc(nc + 1, sizeof *fill);
    if (!out->start || !out->index || !out->value || !fill) {
        free(fill);
        lode_lp_csc_free(out);
        return -1;
    }
    for (size_t k = 0; k < nz; k++)
        out->start[lp->nz_col[k] + 1]++;
    for (size_t j = 0; j < nc; j++)
        out->start[j + 1] += out->start[j];
    for (size_t r = 0; r < lp->n_rows; r++) {
        for (size_t k = lp->row_start[r]; k < lp->row_start[r + 1]; k++) {
            size_t j = (size_t)lp->nz_col[k];
            size_t at = out->start[j] + fill[j]++;
            out->index[at] = (int)r;
            out->value[at] = lp->nz_val[k];
        }
    }
    free(fill);
    return 0;
}

void lode_lp_csc_free(lode_lp_csc *c)
{
    free(c->start);
    free(c->index);
    free(c->value);
    memset(c, 0, sizeof *c);
}

int lode_lp_solution_alloc(lode_lp_solution *s, size_t n_cols, size_t n_rows, int with_duals)
{
    memset(s, 0, sizeof *s);
    s->status = LODE_LP_ERROR;
    s->n_cols = n_cols;
    s->n_rows = n_rows;
    s->x = calloc(n_cols ? n_cols : 1, sizeof *s->x);
    s->row_act = calloc(n_rows ? n_rows : 1, sizeof *s->row_act);
    s->dual = with_duals ? calloc(n_rows ? n_rows : 1, sizeof *s->dual) : NULL;
    if (!s->x || !s->row_act || (with_duals && !s->dual)) {
        lode_lp_solution_free(s);
        return -1;
    }
    return 0;
}

void lode_lp_solution_free(lode_lp_solution *s)
{
    if (s == NULL)
        return;
    free(s->x);
    free(s->row_act);
    free(s->dual);
    s->x = s->row_act = s->dual = NULL;
}

const char *lode_lp_backend_name(lode_lp_backend b)
{
    switch (b) {
    case LODE_LP_CLP:
        return "clp";
    case LODE_LP_CBC:
        return "cbc";
    case LODE_LP_GLPK:
        return "glpk";
    }
    return "?";
}

const char *lode_lp_status_name(lode_lp_status s)
{
    switch (s) {
    case LODE_LP_OPTIMAL:
        return "optimal";
    case LODE_LP_INFEASIBLE:
        return "infeasible";
    case LODE_LP_UNBOUNDED:
        return "unbounded";
    case LODE_LP_LIMIT:
        return "limit reached";
    case LODE_LP_ERROR:
        return "solver error";
    }
    return "?";
}

lode_status lode_lp_solve(const lode_lp *lp, lode_lp_backend b, const lode_lp_opts *o,
                          lode_lp_solution *out, lode_err *err)
{
    static const lode_lp_opts defaults = {0, 0, 0};
    if (o == NULL)
        o = &defaults;
    (void)lp; /* unused when no backend is built in */
    (void)out;
    switch (b) {
    case LODE_LP_CLP:
#ifdef LODE_HAVE_CLP
        return lode_lp_solve_clp(lp, o, out, err);
#else
        break;
#endif
    case LODE_LP_CBC:
#ifdef LODE_HAVE_CBC
        return lode_lp_solve_cbc(lp, o, out, err);
#else
        break;
#endif
    case LODE_LP_GLPK:
#ifdef LODE_HAVE_GLPK
        return lode_lp_solve_glpk(lp, o, out, err);
#else
        break;
#endif
    }
    return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "solver %s was not built in",
                     lode_lp_backend_name(b));
}
