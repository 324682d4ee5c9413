/* store.h: where a dataset lives between runs. SQLite (one file, nothing to start) by default;
 * the store keeps every cell exactly as it was imported, so `lode export` writes back the
 * same bytes. Every table of the package has a table in the store, with its primary key
 * enforced; foreign keys are checked after each import.
 *
 * Ownership: lode_store_open returns an owned handle closed with lode_store_close (NULL is a
 * no-op). The package passed to open is borrowed and must outlive the store. */
#ifndef LODE_STORE_H
#define LODE_STORE_H

#include <stddef.h>
#include "lode/err.h"
#include "lode/model.h"
#include "lode/table.h"

typedef struct lode_store lode_store;

/* Open (creating if needed) the store at `uri`: a file path for SQLite. Creates the tables of
 * the package if they are missing. */
lode_status lode_store_open(const char *uri, const lode_package *pkg, lode_store **out,
                            lode_err *err);
void lode_store_close(lode_store *s);

/* Import CSV files in one transaction. Each path is a CSV file named after its resource
 * (".../production.csv" -> production) or a directory, meaning every resource file in it.
 * Each imported table's rows are replaced by the file's. Any bad cell, duplicate key or
 * dangling reference (in any table, after the import) rolls everything back and fails with
 * LODE_EINPUT naming file, line, column and field. *n_rows (may be NULL) gets rows imported. */
lode_status lode_store_import(lode_store *s, const char *const *paths, size_t n_paths,
                              size_t *n_rows, lode_err *err);

/* Write every non-empty table as dir/<resource>.csv (dir is created), each file whole or not
 * at all. */
lode_status lode_store_export(lode_store *s, const char *dir, lode_err *err);

/* Load a frozen model from the store. */
lode_status lode_store_load_model(lode_store *s, lode_model **out, lode_err *err);

/* Key/value metadata kept in the store (e.g. the digest of the data it was built from).
 * get returns LODE_OK with buf "" if the key is absent. */
lode_status lode_store_meta_get(lode_store *s, const char *key, char *buf, size_t len,
                                lode_err *err);
lode_status lode_store_meta_set(lode_store *s, const char *key, const char *value,
                                lode_err *err);

/* Every metadata entry whose key starts with `prefix`, in key order: fn(ctx, key, value) for
 * each (a non-zero return from fn stops the walk and is returned as LODE_EIO). */
typedef int (*lode_meta_fn)(void *ctx, const char *key, const char *value);
lode_status lode_store_meta_list(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                                 lode_err *err);

/* Rows in a table (0 if the table is empty or unknown). */
long lode_store_count(lode_store *s, const char *resource);

#endif
