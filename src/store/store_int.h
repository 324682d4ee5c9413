/* store_int.h: what a store backend gives the dispatcher (store.c). The dispatcher owns what
 * is the same everywhere: choosing the backend from the URI, expanding import paths, reading
 * and validating CSV files, the messages for duplicate keys and dangling references, writing
 * export files and building the model. A backend only moves rows in and out of its database,
 * inside the transactions the dispatcher asks for.
 *
 * Ownership: a backend's open allocates its own struct that begins with `lode_store base` and
 * fills base.ops and base.uri; ops->close frees it. Calls on one handle are serialized by the
 * dispatcher's lock, so a backend never sees two calls at once on the same handle. */
#ifndef LODE_STORE_INT_H
#define LODE_STORE_INT_H

#include <pthread.h>
#include <stddef.h>

#include "lode/store.h"
#include "lode/table.h"

typedef struct lode_store_ops lode_store_ops;

struct lode_store {
    const lode_store_ops *ops;
    const lode_package *pkg;
    char uri[1024];        /* for messages: the file, or the URI without its password */
    pthread_mutex_t lock;  /* recursive: a meta_list callback may call the store again */
};

struct lode_store_ops {
    const char *name; /* "sqlite", "postgresql" */
    void (*close)(lode_store *s);
    /* Create the package's tables and the metadata table if missing. */
    lode_status (*create_tables)(lode_store *s, lode_err *err);

    /* One write transaction; writers are serialized (the second waits). */
    lode_status (*begin_write)(lode_store *s, lode_err *err);
    lode_status (*commit)(lode_store *s, lode_err *err);
    void (*rollback)(lode_store *s);
    /* A read snapshot: every read until end_read sees one committed state. */
    lode_status (*begin_read)(lode_store *s, lode_err *err);
    void (*end_read)(lode_store *s);

    /* Inside a write transaction: replace r's rows by those of the CSV bytes data[0..len)
     * read from `path` (checked with lode_csv_scan, so bad cells fail with its message; a
     * duplicate key fails with lode_store_dup_key's). Adds the rows stored to *n_rows. */
    lode_status (*load_file)(lode_store *s, const lode_schema *r, const char *path,
                             const char *data, size_t len, size_t *n_rows, lode_err *err);
    /* The first row of r, in import order, whose field fk->field is neither empty nor a value
     * of fk->ref_field in fk->ref_resource: *line gets its line and val its value; *line is 0
     * if every reference resolves. */
    lode_status (*dangling)(lode_store *s, const lode_schema *r, const lode_fkey *fk,
                            long *line, char *val, size_t len, lode_err *err);
    /* Every row of r in import order: fn(ctx, cells, r->n_fields, line, err). */
    lode_status (*scan)(lode_store *s, const lode_schema *r, lode_row_fn fn, void *ctx,
                        lode_err *err);
    /* Rows in r, 0 on any error. */
    long (*count)(lode_store *s, const lode_schema *r);

    lode_status (*meta_get)(lode_store *s, const char *key, char *buf, size_t len,
                            lode_err *err);
    lode_status (*meta_set)(lode_store *s, const char *key, const char *value, lode_err *err);
    /* Keys starting with prefix (compared as bytes, no pattern characters), in byte order of
     * key. A non-zero fn return stops the walk with lode_store_walk_stopped. */
    lode_status (*meta_list)(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                             lode_err *err);
};

/* Backends. `uri` as given to lode_store_open; pkg is borrowed. */
lode_status lode_store_sqlite_open(const char *uri, const lode_package *pkg, lode_store **out,
                                   lode_err *err);
lode_status lode_store_pg_open(const char *uri, const lode_package *pkg, lode_store **out,
                               lode_err *err);

/* 1 if uri names a PostgreSQL database: a postgresql:// or postgres:// URI, or a libpq
 * keyword string starting with host= or dbname=. */
int lode_store_is_pg(const char *uri);

/* The one message for a duplicate key at `line` of path whose key first came at `first`. */
lode_status lode_store_dup_key(lode_err *err, const lode_schema *r, const char *path,
                               long line, const char *const *cells, long first);
/* The one message for a meta_list walk stopped by its callback. */
lode_status lode_store_walk_stopped(lode_err *err);

/* Append name as a double-quoted SQL identifier ("" doubles a quote). */
void lode_store_ident(lode_buf *b, const char *name);

/* Append the CREATE TABLE IF NOT EXISTS statement of resource r: a `_line` column of type
 * line_type (the cell's source line) and one column per field of type cell_type, NOT NULL,
 * with r's primary key. The backends differ only in the two type names. */
void lode_store_create_sql(lode_buf *b, const lode_schema *r, const char *line_type,
                           const char *cell_type);

#endif
