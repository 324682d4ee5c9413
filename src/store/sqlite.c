/* sqlite.c: the SQLite store. One table per package resource, every cell kept as the text it
 * was imported as (so export gives back the same bytes) plus the line it came from (so errors
 * found later still point into the user's file). Imports run in one transaction: the
 * primary key is enforced by SQLite, foreign keys are checked by query before commit, and any
 * failure rolls back, leaving the store as it was. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lode/buf.h"
#include "lode/store.h"

struct lode_store {
    sqlite3 *db;
    const lode_package *pkg;
    char uri[1024];
};

static lode_status db_fail(lode_store *s, lode_err *err, const char *what)
{
    return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "%s: %s", what, sqlite3_errmsg(s->db));
}

static lode_status exec(lode_store *s, const char *sql, lode_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lode_status st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "store: %s",
                                   msg ? msg : "unknown error");
        sqlite3_free(msg);
        return st;
    }
    return LODE_OK;
}

/* Identifiers come from our own package file, but quote them anyway ("" doubles a quote). */
static void add_ident(lode_buf *b, const char *name)
{
    lode_buf_puts(b, "\"");
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            lode_buf_puts(b, "\"");
        lode_buf_add(b, p, 1);
    }
    lode_buf_puts(b, "\"");
}

static lode_status create_tables(lode_store *s, lode_err *err)
{
    lode_status st = exec(s,
                          "CREATE TABLE IF NOT EXISTS lode_meta("
                          "key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                          err);
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        lode_buf b = LODE_BUF_INIT;
        lode_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
        add_ident(&b, r->name);
        lode_buf_puts(&b, "(_line INTEGER NOT NULL");
        for (size_t f = 0; f < r->n_fields; f++) {
            lode_buf_puts(&b, ", ");
            add_ident(&b, r->fields[f].name);
            lode_buf_puts(&b, " TEXT NOT NULL");
        }
        if (r->n_pkey) {
            lode_buf_puts(&b, ", PRIMARY KEY(");
            for (size_t k = 0; k < r->n_pkey; k++) {
                if (k)
                    lode_buf_puts(&b, ", ");
                add_ident(&b, r->fields[r->pkey[k]].name);
            }
            lode_buf_puts(&b, ")");
        }
        lode_buf_puts(&b, ")");
        st = b.oom ? LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory")
                   : exec(s, b.data, err);
        lode_buf_free(&b);
    }
    return st;
}

lode_status lode_store_open(const char *uri, const lode_package *pkg, lode_store **out,
                            lode_err *err)
{
    *out = NULL;
    lode_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return LODE_FAIL(err, LODE_EIO, uri, 0, "", "out of memory");
    snprintf(s->uri, sizeof s->uri, "%s", uri);
    s->pkg = pkg;
    if (sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        lode_status st = LODE_FAIL(err, LODE_EIO, uri, 0, "", "cannot open store: %s",
                                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
        lode_store_close(s);
        return st;
    }
    sqlite3_busy_timeout(s->db, 5000);
    lode_status st = exec(s, "PRAGMA synchronous=NORMAL", err);
    if (st == LODE_OK)
        st = create_tables(s, err);
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
    sqlite3_close(s->db);
    free(s);
}

/* ---- import ----------------------------------------------------------------------------- */

typedef struct import_ctx {
    lode_store *s;
    const lode_schema *r;
    const char *path;
    sqlite3_stmt *ins;
    size_t rows;
} import_ctx;

/* The row that first holds the key of cells (for a duplicate-key message). */
static long first_line_of_key(lode_store *s, const lode_schema *r, const char *const *cells)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT _line FROM ");
    add_ident(&b, r->name);
    for (size_t k = 0; k < r->n_pkey; k++) {
        lode_buf_puts(&b, k ? " AND " : " WHERE ");
        add_ident(&b, r->fields[r->pkey[k]].name);
        lode_buf_puts(&b, " = ?");
    }
    long line = 0;
    sqlite3_stmt *q = NULL;
    if (!b.oom && sqlite3_prepare_v2(s->db, b.data, -1, &q, NULL) == SQLITE_OK) {
        for (size_t k = 0; k < r->n_pkey; k++)
            sqlite3_bind_text(q, (int)k + 1, cells[r->pkey[k]], -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            line = (long)sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    lode_buf_free(&b);
    return line;
}

static lode_status import_row(void *ctx, const char *const *cells, size_t n, long line,
                              lode_err *err)
{
    import_ctx *c = ctx;
    sqlite3_stmt *q = c->ins;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, line);
    for (size_t i = 0; i < n; i++)
        sqlite3_bind_text(q, (int)i + 2, cells[i], -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        c->rows++;
        return LODE_OK;
    }
    if ((rc & 0xff) == SQLITE_CONSTRAINT && c->r->n_pkey) {
        lode_buf names = LODE_BUF_INIT, vals = LODE_BUF_INIT;
        for (size_t k = 0; k < c->r->n_pkey; k++) {
            lode_buf_printf(&names, "%s%s", k ? ", " : "", c->r->fields[c->r->pkey[k]].name);
            lode_buf_printf(&vals, "%s%.40s", k ? ", " : "", cells[c->r->pkey[k]]);
        }
        sqlite3_reset(q);
        long first = first_line_of_key(c->s, c->r, cells);
        lode_status st = LODE_FAIL(err, LODE_EINPUT, c->path, line, "",
                                   "duplicate key (%s) = (%s), first at line %ld",
                                   names.data ? names.data : "", vals.data ? vals.data : "",
                                   first);
        lode_buf_free(&names);
        lode_buf_free(&vals);
        return st;
    }
    return LODE_FAIL(err, LODE_EIO, c->path, line, "", "store: %s", sqlite3_errmsg(c->s->db));
}

static lode_status import_file(lode_store *s, const lode_schema *r, const char *path,
                               size_t *n_rows, lode_err *err)
{
    lode_buf sql = LODE_BUF_INIT, data = LODE_BUF_INIT;
    lode_status st = lode_file_read(path, &data, err);
    if (st != LODE_OK)
        return st;
    lode_buf_puts(&sql, "DELETE FROM ");
    add_ident(&sql, r->name);
    st = sql.oom ? LODE_FAIL(err, LODE_EIO, path, 0, "", "out of memory") : exec(s, sql.data, err);
    lode_buf_free(&sql);

    import_ctx c = {s, r, path, NULL, 0};
    if (st == LODE_OK) {
        lode_buf_puts(&sql, "INSERT INTO ");
        add_ident(&sql, r->name);
        lode_buf_puts(&sql, " VALUES(?");
        for (size_t f = 0; f < r->n_fields; f++)
            lode_buf_puts(&sql, ",?");
        lode_buf_puts(&sql, ")");
        if (sql.oom || sqlite3_prepare_v2(s->db, sql.data, -1, &c.ins, NULL) != SQLITE_OK)
            st = db_fail(s, err, "cannot prepare insert");
        lode_buf_free(&sql);
    }
    if (st == LODE_OK)
        st = lode_csv_scan(data.data ? data.data : "", data.len, path, r, import_row, &c, err);
    sqlite3_finalize(c.ins);
    lode_buf_free(&data);
    if (n_rows)
        *n_rows += c.rows;
    return st;
}

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
            const char *field = r->fields[fk->field].name;
            lode_buf b = LODE_BUF_INIT;
            lode_buf_puts(&b, "SELECT _line, ");
            add_ident(&b, field);
            lode_buf_puts(&b, " FROM ");
            add_ident(&b, r->name);
            lode_buf_puts(&b, " WHERE ");
            add_ident(&b, field);
            lode_buf_puts(&b, " <> '' AND ");
            add_ident(&b, field);
            lode_buf_puts(&b, " NOT IN (SELECT ");
            add_ident(&b, fk->ref_field);
            lode_buf_puts(&b, " FROM ");
            add_ident(&b, fk->ref_resource);
            lode_buf_puts(&b, ") ORDER BY rowid LIMIT 1");
            sqlite3_stmt *q = NULL;
            lode_status st = LODE_OK;
            int rc;
            if (b.oom || sqlite3_prepare_v2(s->db, b.data, -1, &q, NULL) != SQLITE_OK) {
                st = db_fail(s, err, "cannot check references");
            } else if ((rc = sqlite3_step(q)) != SQLITE_ROW && rc != SQLITE_DONE) {
                st = db_fail(s, err, "cannot check references");
            } else if (rc == SQLITE_ROW) {
                const char *path = imported_path(paths, res, n, r);
                char where[300];
                if (path == NULL)
                    snprintf(where, sizeof where, "%s (in the store)", r->path);
                st = LODE_FAIL(err, LODE_EINPUT, path ? path : where,
                               (long)sqlite3_column_int64(q, 0), field,
                               "unknown id \"%.40s\" (not in %s.%s)",
                               (const char *)sqlite3_column_text(q, 1), fk->ref_resource,
                               fk->ref_field);
                if (err)
                    err->column = (long)fk->field + 1;
            }
            sqlite3_finalize(q);
            lode_buf_free(&b);
            if (st != LODE_OK)
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

lode_status lode_store_import(lode_store *s, const char *const *paths, size_t n_paths,
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
        st = exec(s, "BEGIN IMMEDIATE", err);
    if (st == LODE_OK) {
        for (size_t i = 0; st == LODE_OK && i < n; i++)
            st = import_file(s, res[i], files[i], n_rows, err);
        if (st == LODE_OK)
            st = check_fkeys(s, (const char *const *)files, res, n, err);
        if (st == LODE_OK)
            st = exec(s, "COMMIT", err);
        if (st != LODE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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

/* ---- export and load -------------------------------------------------------------------- */

/* Prepare SELECT _line, <fields> FROM r ORDER BY rowid. */
static lode_status select_all(lode_store *s, const lode_schema *r, sqlite3_stmt **q,
                              lode_err *err)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT _line");
    for (size_t f = 0; f < r->n_fields; f++) {
        lode_buf_puts(&b, ", ");
        add_ident(&b, r->fields[f].name);
    }
    lode_buf_puts(&b, " FROM ");
    add_ident(&b, r->name);
    lode_buf_puts(&b, " ORDER BY rowid");
    lode_status st = LODE_OK;
    if (b.oom || sqlite3_prepare_v2(s->db, b.data, -1, q, NULL) != SQLITE_OK)
        st = db_fail(s, err, "cannot read table");
    lode_buf_free(&b);
    return st;
}

long lode_store_count(lode_store *s, const char *resource)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT count(*) FROM ");
    add_ident(&b, resource);
    long n = 0;
    sqlite3_stmt *q = NULL;
    if (!b.oom && sqlite3_prepare_v2(s->db, b.data, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    lode_buf_free(&b);
    return n;
}

lode_status lode_store_export(lode_store *s, const char *dir, lode_err *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return LODE_FAIL(err, LODE_EIO, dir, 0, "", "cannot create directory: %s",
                         strerror(errno));
    const char **cells = NULL;
    lode_status st = LODE_OK;
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        if (lode_store_count(s, r->name) == 0)
            continue;
        sqlite3_stmt *q = NULL;
        st = select_all(s, r, &q, err);
        free(cells);
        cells = calloc(r->n_fields + 1, sizeof *cells);
        if (st == LODE_OK && cells == NULL)
            st = LODE_FAIL(err, LODE_EIO, dir, 0, "", "out of memory");
        lode_buf out = LODE_BUF_INIT;
        if (st == LODE_OK) {
            for (size_t f = 0; f < r->n_fields; f++)
                cells[f] = r->fields[f].name;
            lode_csv_write_row(&out, cells, r->n_fields);
            int rc;
            while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                for (size_t f = 0; f < r->n_fields; f++) {
                    const char *v = (const char *)sqlite3_column_text(q, (int)f + 1);
                    cells[f] = v ? v : "";
                }
                lode_csv_write_row(&out, cells, r->n_fields);
            }
            if (rc != SQLITE_DONE)
                st = db_fail(s, err, "cannot read table");
        }
        sqlite3_finalize(q);
        if (st == LODE_OK && out.oom)
            st = LODE_FAIL(err, LODE_EIO, dir, 0, "", "out of memory");
        if (st == LODE_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, r->path);
            st = lode_file_write(path, out.data ? out.data : "", out.len, err);
        }
        lode_buf_free(&out);
    }
    free(cells);
    return st;
}

lode_status lode_store_load_model(lode_store *s, lode_model **out, lode_err *err)
{
    *out = NULL;
    lode_model *m = lode_model_new();
    if (m == NULL)
        return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    m->name = lode_arena_strdup(m->arena, s->uri);
    const char **cells = NULL;
    lode_status st = m->name ? LODE_OK : LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        sqlite3_stmt *q = NULL;
        st = select_all(s, r, &q, err);
        free(cells);
        cells = calloc(r->n_fields + 1, sizeof *cells);
        if (st == LODE_OK && cells == NULL)
            st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
        int rc = SQLITE_DONE;
        while (st == LODE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            for (size_t f = 0; f < r->n_fields; f++) {
                const char *v = (const char *)sqlite3_column_text(q, (int)f + 1);
                cells[f] = v ? v : ""; /* NULL only in a store another program wrote */
            }
            /* Rows keep the line of the file they were imported from. */
            st = lode_model_add_row(m, r, cells, r->n_fields, r->path,
                                    (long)sqlite3_column_int64(q, 0), err);
        }
        if (st == LODE_OK && rc != SQLITE_DONE)
            st = db_fail(s, err, "cannot read table");
        sqlite3_finalize(q);
    }
    free(cells);
    if (st == LODE_OK)
        st = lode_model_freeze(m, err);
    if (st != LODE_OK) {
        lode_model_free(m);
        return st;
    }
    *out = m;
    return LODE_OK;
}

lode_status lode_store_meta_get(lode_store *s, const char *key, char *buf, size_t len,
                                lode_err *err)
{
    sqlite3_stmt *q = NULL;
    if (len)
        buf[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM lode_meta WHERE key = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(s, err, "cannot read metadata");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && len)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return LODE_OK;
}

lode_status lode_store_meta_set(lode_store *s, const char *key, const char *value,
                                lode_err *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO lode_meta(key, value) VALUES(?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot write metadata");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? LODE_OK : db_fail(s, err, "cannot write metadata");
}

lode_status lode_store_meta_list(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                                 lode_err *err)
{
    sqlite3_stmt *q = NULL;
    /* substr() rather than LIKE: a prefix may hold '%' or '_'. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT key, value FROM lode_meta "
                           "WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read metadata");
    sqlite3_bind_text(q, 1, prefix, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (fn(ctx, (const char *)sqlite3_column_text(q, 0),
               (const char *)sqlite3_column_text(q, 1)) != 0) {
            sqlite3_finalize(q);
            return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "metadata walk stopped");
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? LODE_OK : db_fail(s, err, "cannot read metadata");
}
