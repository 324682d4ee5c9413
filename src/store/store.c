/* store.c: the store interface of store.h over two backends (sqlite.c, pg.c). Everything the
 * two must do alike lives here: the URI decides the backend; import paths are expanded and
 * checked before anything is written; every file is read and checked by the same CSV reader;
 * references are checked and reported by the same code; export files and the model are built
 * from rows in import order. Each public call holds the handle's lock, so one handle may be
 * shared by threads whatever the backend. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lode/buf.h"
#include "store_int.h"

int lode_store_is_pg(const char *uri)
{
    static const char *const prefixes[] = {"postgresql://", "postgres://", "host=", "dbname="};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(uri, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

void lode_store_ident(lode_buf *b, const char *name)
{
    lode_buf_puts(b, "\"");
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            lode_buf_puts(b, "\"");
        lode_buf_add(b, p, 1);
    }
    lode_buf_puts(b, "\"");
}

void lode_store_create_sql(lode_buf *b, const lode_schema *r, const char *line_type,
                           const char *cell_type)
{
    lode_buf_puts(b, "CREATE TABLE IF NOT EXISTS ");
    lode_store_ident(b, r->name);
    lode_buf_printf(b, "(_line %s NOT NULL", line_type);
    for (size_t f = 0; f < r->n_fields; f++) {
        lode_buf_puts(b, ", ");
        lode_store_ident(b, r->fields[f].name);
        lode_buf_printf(b, " %s NOT NULL", cell_type);
    }
    if (r->n_pkey) {
        lode_buf_puts(b, ", PRIMARY KEY(");
        for (size_t k = 0; k < r->n_pkey; k++) {
            if (k)
                lode_buf_puts(b, ", ");
            lode_store_ident(b, r->fields[r->pkey[k]].name);
        }
        lode_buf_puts(b, ")");
    }
    lode_buf_puts(b, ")");
}

lode_status lode_store_dup_key(lode_err *err, const lode_schema *r, const char *path,
                               long line, const char *const *cells, long first)
{
    lode_buf names = LODE_BUF_INIT, vals = LODE_BUF_INIT;
    for (size_t k = 0; k < r->n_pkey; k++) {
        lode_buf_printf(&names, "%s%s", k ? ", " : "", r->fields[r->pkey[k]].name);
        lode_buf_printf(&vals, "%s%.40s", k ? ", " : "", cells[r->pkey[k]]);
    }
    lode_status st = LODE_FAIL(err, LODE_EINPUT, path, line, "",
                               "duplicate key (%s) = (%s), first at line %ld",
                               names.data ? names.data : "", vals.data ? vals.data : "", first);
    lode_buf_free(&names);
    lode_buf_free(&vals);
    return st;
}

lode_status lode_store_walk_stopped(lode_err *err)
{
    return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "metadata walk stopped");
}

lode_status lode_store_open(const char *uri, const lode_package *pkg, lode_store **out,
                            lode_err *err)
{
    *out = NULL;
    lode_store *s = NULL;
    lode_status st = lode_store_is_pg(uri) ? lode_store_pg_open(uri, pkg, &s, err)
                                           : lode_store_sqlite_open(uri, pkg, &s, err);
    if (st != LODE_OK)
        return st;
    s->pkg = pkg;
    pthread_mutexattr_t attr;
    int ok = pthread_mutexattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
             pthread_mutex_init(&s->lock, &attr) == 0;
        pthread_mutexattr_destroy(&attr);
    }
    if (!ok) {
        s->ops->close(s);
        return LODE_FAIL(err, LODE_EIO, uri, 0, "", "cannot create a lock");
    }
    st = s->ops->create_tables(s, err);
    if (st != LODE_OK) {
        lode_store_close(s);
        return st;
    }
    *out = s;
    return LODE_OK;
}

void lode_store_close(lode_store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    s->ops->close(s);
}

/* ---- import ----------------------------------------------------------------------------- */

/* The path a table was imported from in this call, or NULL. */
static const char *imported_path(const char *const *paths, const lode_schema *const *res,
                                 size_t n, const lode_schema *r)
{
    for (size_t i = 0; i < n; i++)
        if (res[i] == r)
            return paths[i];
    return NULL;
}

/* Check every foreign key of every table; the first dangling reference fails. */
static lode_status check_fkeys(lode_store *s, const char *const *paths,
                               const lode_schema *const *res, size_t n, lode_err *err)
{
    for (size_t i = 0; i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        for (size_t k = 0; k < r->n_fkeys; k++) {
            const lode_fkey *fk = &r->fkeys[k];
            long line = 0;
            char val[64];
            LODE_TRY(s->ops->dangling(s, r, fk, &line, val, sizeof val, err));
            if (line == 0)
                continue;
            const char *path = imported_path(paths, res, n, r);
            char where[300];
            if (path == NULL)
                snprintf(where, sizeof where, "%s (in the store)", r->path);
            lode_status st = LODE_FAIL(err, LODE_EINPUT, path ? path : where, line,
                                       r->fields[fk->field].name,
                                       "unknown id \"%.40s\" (not in %s.%s)", val,
                                       fk->ref_resource, fk->ref_field);
            if (err)
                err->column = (long)fk->field + 1;
            return st;
        }
    }
    return LODE_OK;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Which resource a CSV path names: "x/production.csv" -> production. */
static const lode_schema *resource_of(const lode_package *pkg, const char *path)
{
    const char *b = base_name(path);
    for (size_t i = 0; i < pkg->n_res; i++)
        if (strcmp(base_name(pkg->res[i].path), b) == 0)
            return &pkg->res[i];
    return NULL;
}

static lode_status import_file(lode_store *s, const lode_schema *r, const char *path,
                               size_t *n_rows, lode_err *err)
{
    lode_buf data = LODE_BUF_INIT;
    lode_status st = lode_file_read(path, &data, err);
    if (st == LODE_OK)
        st = s->ops->load_file(s, r, path, data.data ? data.data : "", data.len, n_rows, err);
    lode_buf_free(&data);
    return st;
}

static lode_status import_locked(lode_store *s, const char *const *paths, size_t n_paths,
                                 size_t *n_rows, lode_err *err)
{
    /* Expand directories into their resource files first, so nothing is written before the
     * whole list is known to be good. */
    size_t cap = n_paths * (s->pkg->n_res + 1) + 1, n = 0;
    char **files = calloc(cap, sizeof *files);
    const lode_schema **res = calloc(cap, sizeof *res);
    lode_status st = LODE_OK;
    if (files == NULL || res == NULL)
        st = LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; st == LODE_OK && i < n_paths; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            st = LODE_FAIL(err, LODE_EIO, paths[i], 0, "", "cannot read: %s", strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            for (size_t r = 0; r < s->pkg->n_res; r++) {
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", paths[i], s->pkg->res[r].path);
                if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
                    files[n] = strdup(p);
                    res[n++] = &s->pkg->res[r];
                }
            }
        } else {
            res[n] = resource_of(s->pkg, paths[i]);
            if (res[n] == NULL)
                st = LODE_FAIL(err, LODE_EINPUT, paths[i], 0, "",
                               "unknown table \"%s\": the file name must be a table of the "
                               "package, e.g. production.csv",
                               base_name(paths[i]));
            else
                files[n++] = strdup(paths[i]);
        }
    }
    for (size_t i = 0; st == LODE_OK && i < n; i++)
        if (files[i] == NULL)
            st = LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; st == LODE_OK && i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (res[i] == res[j])
                st = LODE_FAIL(err, LODE_EUSAGE, files[i], 0, "",
                               "table %s is given twice (also %s)", res[i]->name, files[j]);
    if (n_rows)
        *n_rows = 0;
    if (st == LODE_OK)
        st = s->ops->begin_write(s, err);
    if (st == LODE_OK) {
        for (size_t i = 0; st == LODE_OK && i < n; i++)
            st = import_file(s, res[i], files[i], n_rows, err);
        if (st == LODE_OK)
            st = check_fkeys(s, (const char *const *)files, res, n, err);
        if (st == LODE_OK)
            st = s->ops->commit(s, err);
        if (st != LODE_OK) {
            s->ops->rollback(s);
            if (n_rows)
                *n_rows = 0;
        }
    }
    for (size_t i = 0; files && i < n; i++)
        free(files[i]);
    free(files);
    free(res);
    return st;
}

lode_status lode_store_import(lode_store *s, const char *const *paths, size_t n_paths,
                              size_t *n_rows, lode_err *err)
{
    pthread_mutex_lock(&s->lock);
    lode_status st = import_locked(s, paths, n_paths, n_rows, err);
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* ---- export and load -------------------------------------------------------------------- */

long lode_store_count(lode_store *s, const char *resource)
{
    const lode_schema *r = lode_package_find(s->pkg, resource);
    if (r == NULL)
        return 0;
    pthread_mutex_lock(&s->lock);
    long n = s->ops->count(s, r);
    pthread_mutex_unlock(&s->lock);
    return n;
}

static lode_status export_row(void *ctx, const char *const *cells, size_t n, long line,
                              lode_err *err)
{
    (void)line;
    (void)err;
    lode_csv_write_row(ctx, cells, n);
    return LODE_OK;
}

static lode_status export_locked(lode_store *s, const char *dir, lode_err *err)
{
    const char **names = NULL;
    lode_status st = LODE_OK;
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        if (s->ops->count(s, r) == 0)
            continue;
        free(names);
        names = calloc(r->n_fields + 1, sizeof *names);
        if (names == NULL) {
            st = LODE_FAIL(err, LODE_EIO, dir, 0, "", "out of memory");
            break;
        }
        lode_buf out = LODE_BUF_INIT;
        for (size_t f = 0; f < r->n_fields; f++)
            names[f] = r->fields[f].name;
        lode_csv_write_row(&out, names, r->n_fields);
        st = s->ops->scan(s, r, export_row, &out, err);
        if (st == LODE_OK && out.oom)
            st = LODE_FAIL(err, LODE_EIO, dir, 0, "", "out of memory");
        if (st == LODE_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, r->path);
            st = lode_file_write(path, out.data ? out.data : "", out.len, err);
        }
        lode_buf_free(&out);
    }
    free(names);
    return st;
}

lode_status lode_store_export(lode_store *s, const char *dir, lode_err *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return LODE_FAIL(err, LODE_EIO, dir, 0, "", "cannot create directory: %s",
                         strerror(errno));
    pthread_mutex_lock(&s->lock);
    lode_status st = s->ops->begin_read(s, err);
    if (st == LODE_OK) {
        st = export_locked(s, dir, err);
        s->ops->end_read(s);
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}

typedef struct load_ctx {
    lode_model *m;
    const lode_schema *r;
} load_ctx;

static lode_status load_row(void *ctx, const char *const *cells, size_t n, long line,
                            lode_err *err)
{
    load_ctx *c = ctx;
    /* Rows keep the line of the file they were imported from. */
    return lode_model_add_row(c->m, c->r, cells, n, c->r->path, line, err);
}

lode_status lode_store_load_model(lode_store *s, lode_model **out, lode_err *err)
{
    *out = NULL;
    lode_model *m = lode_model_new();
    if (m == NULL)
        return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    m->name = lode_arena_strdup(m->arena, s->uri);
    lode_status st = m->name ? LODE_OK : LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    pthread_mutex_lock(&s->lock);
    if (st == LODE_OK)
        st = s->ops->begin_read(s, err);
    if (st == LODE_OK) {
        for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
            load_ctx c = {m, &s->pkg->res[i]};
            st = s->ops->scan(s, c.r, load_row, &c, err);
        }
        s->ops->end_read(s);
    }
    pthread_mutex_unlock(&s->lock);
    if (st == LODE_OK)
        st = lode_model_freeze(m, err);
    if (st != LODE_OK) {
        lode_model_free(m);
        return st;
    }
    *out = m;
    return LODE_OK;
}

/* ---- metadata --------------------------------------------------------------------------- */

lode_status lode_store_meta_get(lode_store *s, const char *key, char *buf, size_t len,
                                lode_err *err)
{
    pthread_mutex_lock(&s->lock);
    lode_status st = s->ops->meta_get(s, key, buf, len, err);
    pthread_mutex_unlock(&s->lock);
    return st;
}

lode_status lode_store_meta_set(lode_store *s, const char *key, const char *value,
                                lode_err *err)
{
    pthread_mutex_lock(&s->lock);
    lode_status st = s->ops->meta_set(s, key, value, err);
    pthread_mutex_unlock(&s->lock);
    return st;
}

lode_status lode_store_meta_list(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                                 lode_err *err)
{
    pthread_mutex_lock(&s->lock);
    lode_status st = s->ops->meta_list(s, prefix, fn, ctx, err);
    pthread_mutex_unlock(&s->lock);
    return st;
}
