/* table.h: the bundled dataset's tables as CSV files described by a Frictionless Data Package
 * (data/datapackage.json). The package gives each resource's fields, types, units and
 * constraints; the CSV reader checks every cell against them and names file:line:column and
 * field on the first bad one.
 *
 * Ownership: lode_package_parse/_load fill a lode_package whose memory lives in the arena the
 * caller passes; it stays valid until that arena is freed. */
#ifndef LODE_TABLE_H
#define LODE_TABLE_H

#include <stddef.h>
#include "lode/arena.h"
#include "lode/buf.h"
#include "lode/err.h"

typedef enum lode_ftype { LODE_FT_STRING, LODE_FT_NUMBER, LODE_FT_INTEGER } lode_ftype;

typedef struct lode_field {
    const char *name;
    const char *description; /* "" if none */
    const char *unit;        /* "" if none, e.g. "t", "USD/kg" */
    lode_ftype type;
    int required;            /* an empty cell is an error */
    int has_min, has_max;
    double min, max;
    const char **enums;      /* allowed values, n_enum of them; NULL if any */
    size_t n_enum;
} lode_field;

/* A single-column foreign key: field `field` must equal some value of ref_field in ref_resource
 * (empty cells are not checked). */
typedef struct lode_fkey {
    size_t field;
    const char *ref_resource;
    const char *ref_field;
} lode_fkey;

typedef struct lode_schema {
    const char *name; /* resource name, e.g. "production" */
    const char *path; /* relative path in the package, e.g. "production.csv" */
    lode_field *fields;
    size_t n_fields;
    size_t *pkey;     /* indexes into fields, n_pkey of them */
    size_t n_pkey;
    lode_fkey *fkeys;
    size_t n_fkeys;
} lode_schema;

typedef struct lode_package {
    const char *name;
    lode_schema *res; /* in the order of the package file */
    size_t n_res;
} lode_package;

/* Parse a datapackage.json held in json[0..len). `path` names it in errors. Resources with
 * a field type other than string/number/integer, a primaryKey or foreignKey naming an unknown
 * field, or a duplicate resource name are errors (LODE_EINPUT). */
lode_status lode_package_parse(const char *json, size_t len, const char *path, lode_arena *a,
                               lode_package *out, lode_err *err);
lode_status lode_package_load(const char *path, lode_arena *a, lode_package *out, lode_err *err);
/* The resource named `name`, or NULL. */
const lode_schema *lode_package_find(const lode_package *p, const char *name);
/* Index of field `name` in s, or -1. */
long lode_schema_field(const lode_schema *s, const char *name);

/* Called once per data row with its cells (n == s->n_fields, each NUL-terminated) and its
 * 1-based line number in the file. Returns LODE_OK to go on; any other status stops the scan
 * and is returned by lode_csv_scan (the callback fills err). */
typedef lode_status (*lode_row_fn)(void *ctx, const char *const *cells, size_t n, long line,
                                   lode_err *err);

/* Longest line the reader accepts, in bytes. */
#define LODE_CSV_MAX_LINE (1L << 20)

/* Scan CSV bytes buf[0..len): the header must name the schema's fields in order; each row must
 * have that many cells; every cell must be valid UTF-8 and pass its field's type and
 * constraints. An empty file, a bad header or any bad cell is LODE_EINPUT with path, line,
 * column and field set. Primary-key uniqueness and foreign keys are not checked here (the
 * store checks them). Uses libcsv. */
lode_status lode_csv_scan(const char *buf, size_t len, const char *path, const lode_schema *s,
                          lode_row_fn fn, void *ctx, lode_err *err);

/* Check one cell against field `col` of s. */
lode_status lode_csv_check_cell(const lode_schema *s, size_t col, const char *cell,
                                const char *path, long line, lode_err *err);

/* Append one CSV record (n cells, '\n'-terminated) in the canonical form: a cell is quoted
 * only if it holds a comma, a double quote, CR or LF; quotes inside are doubled. */
void lode_csv_write_row(lode_buf *b, const char *const *cells, size_t n);

/* Parse a number the way the reader does: C-locale decimal, no thousands separators, finite.
 * Returns 1 and sets *out on success, else 0. */
int lode_parse_number(const char *s, double *out);

#endif
