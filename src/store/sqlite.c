/* sqlite.c: the SQLite store backend. One table per package resource, every cell kept as the
 * text it was imported as (so export gives back the same bytes) plus the line it came from (so
 * errors found later still point into the user's file). The primary key is enforced by SQLite;
 * the dispatcher (store.c) runs imports in one transaction and checks foreign keys before
 * commit, so any failure rolls back and leaves the store as it was. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "store_int.h"

typedef struct sq_store {
    lode_store base;
    sqlite3 *db;
} sq_store;

static sqlite3 *db_of(lode_store *s)
{
    return ((sq_store *)s)->db;
}

static lode_status db_fail(lode_store *s, lode_err *err, const char *what)
{
    return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "%s: %s", what, sqlite3_errmsg(db_of(s)));
}

static lode_status exec(lode_store *s, const char *sql, lode_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db_of(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        lode_status st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "store: %s",
                                   msg ? msg : "unknown error");
        sqlite3_free(msg);
        return st;
    }
    return LODE_OK;
}

#define add_ident lode_store_ident

static lode_status sq_create_tables(lode_store *s, lode_err *err)
{
    lode_status st = exec(s,
                          "CREATE TABLE IF NOT EXISTS lode_meta("
                          "key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                          err);
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        lode_buf b = LODE_BUF_INIT;
        lode_store_create_sql(&b, r, "INTEGER", "TEXT");
        st = b.oom ? LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory")
                   : exec(s, b.data, err);
        lode_buf_free(&b);
    }
    return st;
}

static void sq_close(lode_store *s)
{
    sqlite3_close(db_of(s));
    free(s);
}

/* ---- transactions ----------------------------------------------------------------------- */

static lode_status sq_begin_write(lode_store *s, lode_err *err)
{
    return exec(s, "BEGIN IMMEDIATE", err);
}

static lode_status sq_commit(lode_store *s, lode_err *err)
{
    return exec(s, "COMMIT", err);
}

static void sq_rollback(lode_store *s)
{
    sqlite3_exec(db_of(s), "ROLLBACK", NULL, NULL, NULL);
}

/* A deferred transaction holds SQLite's shared lock from the first read to the end, so a
 * writer cannot commit between the tables of one export or model load. */
static lode_status sq_begin_read(lode_store *s, lode_err *err)
{
    return exec(s, "BEGIN", err);
}

static void sq_end_read(lode_store *s)
{
    sqlite3_exec(db_of(s), "COMMIT", NULL, NULL, NULL);
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
    if (!b.oom && sqlite3_prepare_v2(db_of(s), b.data, -1, &q, NULL) == SQLITE_OK) {
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
        sqlite3_reset(q);
        long first = first_line_of_key(c->s, c->r, cells);
        return lode_store_dup_key(err, c->r, c->path, line, cells, first);
    }
    return LODE_FAIL(err, LODE_EIO, c->path, line, "", "store: %s", sqlite3_errmsg(db_of(c->s)));
}

static lode_status sq_load_file(lode_store *s, const lode_schema *r, const char *path,
                                const char *data, size_t len, size_t *n_rows, lode_err *err)
{
    lode_buf sql = LODE_BUF_INIT;
    lode_buf_puts(&sql, "DELETE FROM ");
    add_ident(&sql, r->name);
    lode_status st = sql.oom ? LODE_FAIL(err, LODE_EIO, path, 0, "", "out of memory")
                             : exec(s, sql.data, err);
    lode_buf_free(&sql);

    import_ctx c = {s, r, path, NULL, 0};
    if (st == LODE_OK) {
        lode_buf_puts(&sql, "INSERT INTO ");
        add_ident(&sql, r->name);
        lode_buf_puts(&sql, " VALUES(?");
        for (size_t f = 0; f < r->n_fields; f++)
            lode_buf_puts(&sql, ",?");
        lode_buf_puts(&sql, ")");
        if (sql.oom || sqlite3_prepare_v2(db_of(s), sql.data, -1, &c.ins, NULL) != SQLITE_OK)
            st = db_fail(s, err, "cannot prepare insert");
        lode_buf_free(&sql);
    }
    if (st == LODE_OK)
        st = lode_csv_scan(data, len, path, r, import_row, &c, err);
    sqlite3_finalize(c.ins);
    if (n_rows)
        *n_rows += c.rows;
    return st;
}

static lode_status sq_dangling(lode_store *s, const lode_schema *r, const lode_fkey *fk,
                               long *line, char *val, size_t len, lode_err *err)
{
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
    *line = 0;
    if (b.oom || sqlite3_prepare_v2(db_of(s), b.data, -1, &q, NULL) != SQLITE_OK) {
        st = db_fail(s, err, "cannot check references");
    } else if ((rc = sqlite3_step(q)) != SQLITE_ROW && rc != SQLITE_DONE) {
        st = db_fail(s, err, "cannot check references");
    } else if (rc == SQLITE_ROW) {
        *line = (long)sqlite3_column_int64(q, 0);
        const char *v = (const char *)sqlite3_column_text(q, 1);
        snprintf(val, len, "%s", v ? v : "");
    }
    sqlite3_finalize(q);
    lode_buf_free(&b);
    return st;
}

/* ---- reads ------------------------------------------------------------------------------ */

static long sq_count(lode_store *s, const lode_schema *r)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT count(*) FROM ");
    add_ident(&b, r->name);
    long n = 0;
    sqlite3_stmt *q = NULL;
    if (!b.oom && sqlite3_prepare_v2(db_of(s), b.data, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    lode_buf_free(&b);
    return n;
}

/* SELECT _line, <fields> FROM r ORDER BY rowid, one row at a time into fn. */
static lode_status sq_scan(lode_store *s, const lode_schema *r, lode_row_fn fn, void *ctx,
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
    sqlite3_stmt *q = NULL;
    lode_status st = LODE_OK;
    if (b.oom || sqlite3_prepare_v2(db_of(s), b.data, -1, &q, NULL) != SQLITE_OK)
        st = db_fail(s, err, "cannot read table");
    lode_buf_free(&b);
    const char **cells = calloc(r->n_fields + 1, sizeof *cells);
    if (st == LODE_OK && cells == NULL)
        st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    int rc = SQLITE_DONE;
    while (st == LODE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (size_t f = 0; f < r->n_fields; f++) {
            const char *v = (const char *)sqlite3_column_text(q, (int)f + 1);
            cells[f] = v ? v : ""; /* NULL only in a store another program wrote */
        }
        st = fn(ctx, cells, r->n_fields, (long)sqlite3_column_int64(q, 0), err);
    }
    if (st == LODE_OK && rc != SQLITE_DONE)
        st = db_fail(s, err, "cannot read table");
    sqlite3_finalize(q);
    free(cells);
    return st;
}

/* ---- metadata --------------------------------------------------------------------------- */

static lode_status sq_meta_get(lode_store *s, const char *key, char *buf, size_t len,
                               lode_err *err)
{
    sqlite3_stmt *q = NULL;
    if (len)
        buf[0] = '\0';
    if (sqlite3_prepare_v2(db_of(s), "SELECT value FROM lode_meta WHERE key = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read metadata");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && len)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return LODE_OK;
}

static lode_status sq_meta_set(lode_store *s, const char *key, const char *value,
                               lode_err *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db_of(s),
                           "INSERT OR REPLACE INTO lode_meta(key, value) VALUES(?, ?)", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot write metadata");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? LODE_OK : db_fail(s, err, "cannot write metadata");
}

static lode_status sq_meta_list(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                                lode_err *err)
{
    sqlite3_stmt *q = NULL;
    /* substr() rather than LIKE: a prefix may hold '%' or '_'. */
    if (sqlite3_prepare_v2(db_of(s),
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
            return lode_store_walk_stopped(err);
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? LODE_OK : db_fail(s, err, "cannot read metadata");
}

/* ---- open ------------------------------------------------------------------------------- */

static const lode_store_ops sq_ops = {
    "sqlite",      sq_close,     sq_create_tables, sq_begin_write, sq_commit,
    sq_rollback,   sq_begin_read, sq_end_read,     sq_load_file,   sq_dangling,
    sq_scan,       sq_count,     sq_meta_get,      sq_meta_set,    sq_meta_list,
};

lode_status lode_store_sqlite_open(const char *uri, const lode_package *pkg, lode_store **out,
                                   lode_err *err)
{
    *out = NULL;
    sq_store *q = calloc(1, sizeof *q);
    if (q == NULL)
        return LODE_FAIL(err, LODE_EIO, uri, 0, "", "out of memory");
    lode_store *s = &q->base;
    s->ops = &sq_ops;
    s->pkg = pkg;
    snprintf(s->uri, sizeof s->uri, "%s", uri);
    if (sqlite3_open_v2(uri, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        lode_status st = LODE_FAIL(err, LODE_EIO, uri, 0, "", "cannot open store: %s",
                                   q->db ? sqlite3_errmsg(q->db) : "out of memory");
        sq_close(s);
        return st;
    }
    sqlite3_busy_timeout(q->db, 5000);
    lode_status st = exec(s, "PRAGMA synchronous=NORMAL", err);
    if (st != LODE_OK) {
        sq_close(s);
        return st;
    }
    *out = s;
    return LODE_OK;
}
