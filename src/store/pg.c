/* pg.c: the PostgreSQL store backend (libpq), for a shared server. The same tables as the
 * SQLite store: every cell as the text it was imported as, plus its line. Rows go in and out
 * with COPY (text format) because a statement per row costs a round trip each. Primary keys
 * are checked here, while rows stream, so a duplicate is reported at the same row as SQLite
 * reports it; the table's PRIMARY KEY stays as a second guard. Imports are one transaction
 * under an advisory lock (writers queue); reads run in a REPEATABLE READ snapshot, so a
 * reader sees the store before or after an import, never half of it. Cell values only ever
 * travel as COPY data or statement parameters, never inside SQL text. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "store_int.h"

typedef struct pg_store {
    lode_store base;
    PGconn *conn;
} pg_store;

static PGconn *conn_of(lode_store *s)
{
    return ((pg_store *)s)->conn;
}

/* Writers of one schema take this advisory lock (with the schema's hash) for their whole
 * transaction: table creation and imports queue instead of racing. The number is "lode". */
#define LOCK_SQL "SELECT pg_advisory_xact_lock(1819239525, hashtext(coalesce(current_schema(), '')))"

/* libpq's messages end in a newline and may span lines; messages here are one line. */
static void one_line(const char *in, char *out, size_t len)
{
    size_t n = 0;
    int space = 0;
    for (const char *p = in; *p && n + 1 < len; p++) {
        if (isspace((unsigned char)*p)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < len)
            out[n++] = ' ';
        space = 0;
        out[n++] = *p;
    }
    out[n] = '\0';
}

static lode_status pg_fail(lode_store *s, const PGresult *res, const char *path, long line,
                           lode_err *err, const char *what)
{
    char msg[200];
    const char *m = res ? PQresultErrorMessage(res) : "";
    one_line(*m ? m : PQerrorMessage(conn_of(s)), msg, sizeof msg);
    return LODE_FAIL(err, LODE_EIO, path ? path : s->uri, line, "", "%s: %s", what,
                     *msg ? msg : "unknown error");
}

/* Run a statement that returns no rows. */
static lode_status exec(lode_store *s, const char *sql, lode_err *err)
{
    PGresult *res = PQexec(conn_of(s), sql);
    ExecStatusType t = PQresultStatus(res);
    lode_status st = LODE_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
        st = pg_fail(s, res, NULL, 0, err, "store");
    PQclear(res);
    return st;
}

#define add_ident lode_store_ident

static lode_status pg_begin_write(lode_store *s, lode_err *err)
{
    lode_status st = exec(s, "BEGIN", err);
    if (st == LODE_OK) {
        st = exec(s, LOCK_SQL, err);
        if (st != LODE_OK)
            PQclear(PQexec(conn_of(s), "ROLLBACK"));
    }
    return st;
}

static lode_status pg_commit(lode_store *s, lode_err *err)
{
    PGresult *res = PQexec(conn_of(s), "COMMIT");
    lode_status st = LODE_OK;
    /* COMMIT of a transaction that failed answers ROLLBACK, with no error. */
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        st = pg_fail(s, res, NULL, 0, err, "store");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "store: the transaction was rolled back");
    PQclear(res);
    return st;
}

static void pg_rollback(lode_store *s)
{
    PQclear(PQexec(conn_of(s), "ROLLBACK"));
}

static lode_status pg_begin_read(lode_store *s, lode_err *err)
{
    return exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

static void pg_end_read(lode_store *s)
{
    PQclear(PQexec(conn_of(s), "COMMIT"));
}

static lode_status pg_create_tables(lode_store *s, lode_err *err)
{
    lode_status st = pg_begin_write(s, err);
    if (st != LODE_OK)
        return st;
    st = exec(s,
              "CREATE TABLE IF NOT EXISTS lode_meta("
              "key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
              err);
    for (size_t i = 0; st == LODE_OK && i < s->pkg->n_res; i++) {
        const lode_schema *r = &s->pkg->res[i];
        lode_buf b = LODE_BUF_INIT;
        lode_store_create_sql(&b, r, "bigint", "text COLLATE \"C\"");
        st = b.oom ? LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory")
                   : exec(s, b.data, err);
        lode_buf_free(&b);
    }
    if (st == LODE_OK)
        st = pg_commit(s, err);
    if (st != LODE_OK)
        pg_rollback(s);
    return st;
}

static void pg_close(lode_store *s)
{
    PQfinish(conn_of(s));
    free(s);
}

/* ---- primary keys seen in one file ------------------------------------------------------ */

/* Open addressing over the key bytes (the key's cells, each ending in NUL, which no cell
 * holds), kept in one buffer: a few tens of bytes a row. */
typedef struct key_slot {
    uint64_t hash;
    size_t off, len;
    long line; /* 0: empty slot */
} key_slot;

typedef struct key_set {
    key_slot *slots;
    size_t cap, n;
    lode_buf keys;
} key_set;

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211u;
    }
    return h;
}

static key_slot *key_find(key_set *k, uint64_t h, const char *key, size_t len)
{
    size_t i = (size_t)h & (k->cap - 1);
    for (;; i = (i + 1) & (k->cap - 1)) {
        key_slot *e = &k->slots[i];
        if (e->line == 0 || (e->hash == h && e->len == len &&
                             memcmp(k->keys.data + e->off, key, len) == 0))
            return e;
    }
}

/* Record key (first seen at line); returns 0 and sets *first if it was seen already, 1 if
 * new, -1 when out of memory. */
static int key_add(key_set *k, const char *key, size_t len, long line, long *first)
{
    if (2 * (k->n + 1) > k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 1024;
        key_slot *old = k->slots;
        size_t old_cap = k->cap;
        k->slots = calloc(cap, sizeof *k->slots);
        if (k->slots == NULL) {
            k->slots = old;
            return -1;
        }
        k->cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].line)
                *key_find(k, old[i].hash, k->keys.data + old[i].off, old[i].len) = old[i];
        free(old);
    }
    uint64_t h = fnv1a(key, len);
    key_slot *e = key_find(k, h, key, len);
    if (e->line) {
        *first = e->line;
        return 0;
    }
    size_t off = k->keys.len;
    lode_buf_add(&k->keys, key, len);
    if (k->keys.oom)
        return -1;
    *e = (key_slot){h, off, len, line};
    k->n++;
    return 1;
}

/* ---- import ----------------------------------------------------------------------------- */

typedef struct copy_ctx {
    lode_store *s;
    const lode_schema *r;
    const char *path;
    lode_buf out; /* COPY data not sent yet */
    lode_buf key; /* this row's key */
    key_set seen;
    size_t rows;
} copy_ctx;

/* A cell in COPY's text format: backslash, tab, newline and carriage return escaped. */
static void copy_cell(lode_buf *b, const char *v)
{
    const char *run = v;
    for (const char *p = v; *p; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: break;
        }
        if (esc) {
            lode_buf_add(b, run, (size_t)(p - run));
            lode_buf_puts(b, esc);
            run = p + 1;
        }
    }
    lode_buf_puts(b, run);
}

static lode_status copy_flush(copy_ctx *c, long line, lode_err *err)
{
    if (c->out.oom)
        return LODE_FAIL(err, LODE_EIO, c->path, line, "", "out of memory");
    if (c->out.len && PQputCopyData(conn_of(c->s), c->out.data, (int)c->out.len) != 1)
        return pg_fail(c->s, NULL, c->path, line, err, "store");
    c->out.len = 0;
    return LODE_OK;
}

static lode_status copy_row(void *ctx, const char *const *cells, size_t n, long line,
                            lode_err *err)
{
    copy_ctx *c = ctx;
    if (c->r->n_pkey) {
        c->key.len = 0;
        for (size_t k = 0; k < c->r->n_pkey; k++)
            lode_buf_add(&c->key, cells[c->r->pkey[k]], strlen(cells[c->r->pkey[k]]) + 1);
        long first = 0;
        int rc = c->key.oom ? -1 : key_add(&c->seen, c->key.data, c->key.len, line, &first);
        if (rc < 0)
            return LODE_FAIL(err, LODE_EIO, c->path, line, "", "out of memory");
        if (rc == 0)
            return lode_store_dup_key(err, c->r, c->path, line, cells, first);
    }
    lode_buf_printf(&c->out, "%ld", line);
    for (size_t i = 0; i < n; i++) {
        lode_buf_puts(&c->out, "\t");
        copy_cell(&c->out, cells[i]);
    }
    lode_buf_puts(&c->out, "\n");
    c->rows++;
    return c->out.len >= (1u << 20) ? copy_flush(c, line, err) : LODE_OK;
}

static lode_status pg_load_file(lode_store *s, const lode_schema *r, const char *path,
                                const char *data, size_t len, size_t *n_rows, lode_err *err)
{
    PGconn *conn = conn_of(s);
    lode_buf sql = LODE_BUF_INIT;
    /* DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe, so a reader's snapshot could see the
     * table empty. */
    lode_buf_puts(&sql, "DELETE FROM ");
    add_ident(&sql, r->name);
    lode_status st = sql.oom ? LODE_FAIL(err, LODE_EIO, path, 0, "", "out of memory")
                             : exec(s, sql.data, err);
    lode_buf_free(&sql);
    if (st != LODE_OK)
        return st;

    lode_buf_puts(&sql, "COPY ");
    add_ident(&sql, r->name);
    lode_buf_puts(&sql, " (_line");
    for (size_t f = 0; f < r->n_fields; f++) {
        lode_buf_puts(&sql, ", ");
        add_ident(&sql, r->fields[f].name);
    }
    lode_buf_puts(&sql, ") FROM STDIN");
    if (sql.oom) {
        lode_buf_free(&sql);
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "out of memory");
    }
    PGresult *res = PQexec(conn, sql.data);
    lode_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        st = pg_fail(s, res, path, 0, err, "store");
        PQclear(res);
        return st;
    }
    PQclear(res);

    copy_ctx c = {s, r, path, LODE_BUF_INIT, LODE_BUF_INIT, {NULL, 0, 0, LODE_BUF_INIT}, 0};
    st = lode_csv_scan(data, len, path, r, copy_row, &c, err);
    if (st == LODE_OK)
        st = copy_flush(&c, 0, err);
    /* Ending the COPY with an error message makes the server discard it; either way the
     * results must be read before the connection takes another command. */
    if (PQputCopyEnd(conn, st == LODE_OK ? NULL : "import failed") != 1 && st == LODE_OK)
        st = pg_fail(s, NULL, path, 0, err, "store");
    while ((res = PQgetResult(conn)) != NULL) {
        if (st == LODE_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = pg_fail(s, res, path, 0, err, "store");
        PQclear(res);
    }
    if (st == LODE_OK && n_rows)
        *n_rows += c.rows;
    lode_buf_free(&c.out);
    lode_buf_free(&c.key);
    lode_buf_free(&c.seen.keys);
    free(c.seen.slots);
    return st;
}

static lode_status pg_dangling(lode_store *s, const lode_schema *r, const lode_fkey *fk,
                               long *line, char *val, size_t len, lode_err *err)
{
    const char *field = r->fields[fk->field].name;
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT c._line, c.");
    add_ident(&b, field);
    lode_buf_puts(&b, " FROM ");
    add_ident(&b, r->name);
    lode_buf_puts(&b, " AS c WHERE c.");
    add_ident(&b, field);
    lode_buf_puts(&b, " <> '' AND NOT EXISTS (SELECT 1 FROM ");
    add_ident(&b, fk->ref_resource);
    lode_buf_puts(&b, " AS p WHERE p.");
    add_ident(&b, fk->ref_field);
    lode_buf_puts(&b, " = c.");
    add_ident(&b, field);
    lode_buf_puts(&b, ") ORDER BY c._line LIMIT 1");
    *line = 0;
    if (b.oom) {
        lode_buf_free(&b);
        return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    }
    PGresult *res = PQexec(conn_of(s), b.data);
    lode_buf_free(&b);
    lode_status st = LODE_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        st = pg_fail(s, res, NULL, 0, err, "cannot check references");
    } else if (PQntuples(res) > 0) {
        *line = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(val, len, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return st;
}

/* ---- reads ------------------------------------------------------------------------------ */

static long pg_count(lode_store *s, const lode_schema *r)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "SELECT count(*) FROM ");
    add_ident(&b, r->name);
    long n = 0;
    if (!b.oom) {
        PGresult *res = PQexec(conn_of(s), b.data);
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
            n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    }
    lode_buf_free(&b);
    return n;
}

/* Split one COPY text row (ending in '\n') into cells, decoding escapes into out, which has
 * room for len + 1 bytes (decoding never lengthens a cell, and each separator becomes the
 * cell's NUL). Returns the number of cells, or 0 if there are more than max. */
static size_t copy_split(const char *row, size_t len, char *out, const char **cells, size_t max)
{
    size_t n = 0, o = 0, i = 0;
    if (len && row[len - 1] == '\n')
        len--;
    for (;;) {
        size_t j = i;
        while (j < len && row[j] != '\t')
            j++;
        if (n == max)
            return 0;
        cells[n++] = out + o;
        /* \N is NULL, which only a store another program wrote holds: read as "". */
        if (!(j - i == 2 && row[i] == '\\' && row[i + 1] == 'N')) {
            for (size_t k = i; k < j; k++) {
                char ch = row[k];
                if (ch == '\\' && k + 1 < j) {
                    switch (row[++k]) {
                    case 'b': ch = '\b'; break;
                    case 'f': ch = '\f'; break;
                    case 'n': ch = '\n'; break;
                    case 'r': ch = '\r'; break;
                    case 't': ch = '\t'; break;
                    case 'v': ch = '\v'; break;
                    default: ch = row[k]; break; /* \\ and any other escaped byte */
                    }
                }
                out[o++] = ch;
            }
        }
        out[o++] = '\0';
        if (j >= len)
            return n;
        i = j + 1;
    }
}

/* COPY (SELECT _line, <fields> FROM r ORDER BY _line) TO STDOUT, one row at a time into fn.
 * _line orders rows as the file did: it rises through a file, and a table holds one file. */
static lode_status pg_scan(lode_store *s, const lode_schema *r, lode_row_fn fn, void *ctx,
                           lode_err *err)
{
    PGconn *conn = conn_of(s);
    lode_buf b = LODE_BUF_INIT;
    lode_buf_puts(&b, "COPY (SELECT _line");
    for (size_t f = 0; f < r->n_fields; f++) {
        lode_buf_puts(&b, ", ");
        add_ident(&b, r->fields[f].name);
    }
    lode_buf_puts(&b, " FROM ");
    add_ident(&b, r->name);
    lode_buf_puts(&b, " ORDER BY _line) TO STDOUT");
    if (b.oom) {
        lode_buf_free(&b);
        return LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    }
    PGresult *res = PQexec(conn, b.data);
    lode_buf_free(&b);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        lode_status st = pg_fail(s, res, NULL, 0, err, "cannot read table");
        PQclear(res);
        return st;
    }
    PQclear(res);
    const char **cells = calloc(r->n_fields + 2, sizeof *cells);
    char *scratch = NULL;
    size_t scratch_cap = 0;
    lode_status st = cells ? LODE_OK : LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
    char *row = NULL;
    int got;
    /* Read to the end even after a failure: the connection is usable only then. */
    while ((got = PQgetCopyData(conn, &row, 0)) > 0) {
        if (st == LODE_OK) {
            size_t len = (size_t)got;
            if (scratch_cap < len + 1) {
                free(scratch);
                scratch_cap = 2 * len + 64;
                scratch = malloc(scratch_cap);
            }
            if (scratch == NULL) {
                scratch_cap = 0;
                st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "out of memory");
            } else if (copy_split(row, len, scratch, cells, r->n_fields + 1) !=
                       r->n_fields + 1) {
                st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "",
                               "cannot read table: a row of %s has the wrong number of cells",
                               r->name);
            } else {
                st = fn(ctx, cells + 1, r->n_fields, strtol(cells[0], NULL, 10), err);
            }
        }
        PQfreemem(row);
        row = NULL;
    }
    if (got == -2 && st == LODE_OK)
        st = pg_fail(s, NULL, NULL, 0, err, "cannot read table");
    while ((res = PQgetResult(conn)) != NULL) {
        if (st == LODE_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = pg_fail(s, res, NULL, 0, err, "cannot read table");
        PQclear(res);
    }
    free(scratch);
    free(cells);
    return st;
}

/* ---- metadata --------------------------------------------------------------------------- */

static lode_status pg_meta_get(lode_store *s, const char *key, char *buf, size_t len,
                               lode_err *err)
{
    if (len)
        buf[0] = '\0';
    const char *params[] = {key};
    PGresult *res = PQexecParams(conn_of(s), "SELECT value FROM lode_meta WHERE key = $1::text",
                                 1, NULL, params, NULL, NULL, 0);
    lode_status st = LODE_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        st = pg_fail(s, res, NULL, 0, err, "cannot read metadata");
    else if (PQntuples(res) > 0 && len)
        snprintf(buf, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return st;
}

static lode_status pg_meta_set(lode_store *s, const char *key, const char *value,
                               lode_err *err)
{
    const char *params[] = {key, value};
    PGresult *res = PQexecParams(conn_of(s),
                                 "INSERT INTO lode_meta(key, value) VALUES($1::text, $2::text) "
                                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                 2, NULL, params, NULL, NULL, 0);
    lode_status st = LODE_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        st = pg_fail(s, res, NULL, 0, err, "cannot write metadata");
    PQclear(res);
    return st;
}

static lode_status pg_meta_list(lode_store *s, const char *prefix, lode_meta_fn fn, void *ctx,
                                lode_err *err)
{
    const char *params[] = {prefix};
    /* left() rather than LIKE: a prefix may hold '%' or '_'. COLLATE "C" orders by bytes, as
     * SQLite does, whatever the database's locale. */
    PGresult *res = PQexecParams(conn_of(s),
                                 "SELECT key, value FROM lode_meta "
                                 "WHERE left(key, length($1::text)) = $1::text "
                                 "ORDER BY key COLLATE \"C\"",
                                 1, NULL, params, NULL, NULL, 0);
    lode_status st = LODE_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        st = pg_fail(s, res, NULL, 0, err, "cannot read metadata");
    /* The result is whole in memory, so fn may call the store again. */
    for (int i = 0; st == LODE_OK && i < PQntuples(res); i++)
        if (fn(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0)
            st = lode_store_walk_stopped(err);
    PQclear(res);
    return st;
}

/* ---- open ------------------------------------------------------------------------------- */

/* Copy uri into out without a password: the one in a URI's user info ("postgresql://u:pw@h"
 * -> "postgresql://u@h"), and any password parameter of a URI's query or a keyword string. */
static void redact(const char *uri, lode_buf *out)
{
    const char *scheme = strstr(uri, "://");
    if (scheme && !strchr(uri, ' ')) {
        const char *start = scheme + 3;
        const char *query = strchr(start, '?');
        const char *end = query ? query : start + strlen(start);
        const char *at = NULL;
        for (const char *p = start; p < end; p++)
            if (*p == '@')
                at = p;
        const char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
        lode_buf_add(out, uri, (size_t)((colon ? colon : end) - uri));
        if (colon)
            lode_buf_add(out, at, (size_t)(end - at));
        if (query == NULL)
            return;
        char sep = '?';
        for (const char *p = query + 1; *p;) {
            const char *amp = strchr(p, '&');
            size_t n = amp ? (size_t)(amp - p) : strlen(p);
            if (!(n >= 9 && strncmp(p, "password=", 9) == 0)) {
                lode_buf_add(out, &sep, 1);
                lode_buf_add(out, p, n);
                sep = '&';
            }
            p += n + (amp != NULL);
        }
        return;
    }
    /* keyword = value pairs; a value may be single-quoted with backslash escapes. */
    const char *p = uri;
    int first = 1;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        int is_pw = (size_t)(p - tok) == 8 && strncmp(tok, "password", 8) == 0;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '=')
            p++;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        if (!is_pw) {
            if (!first)
                lode_buf_puts(out, " ");
            lode_buf_add(out, tok, (size_t)(p - tok));
            first = 0;
        }
    }
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

lode_status lode_store_pg_open(const char *uri, const lode_package *pkg, lode_store **out,
                               lode_err *err)
{
    static const lode_store_ops ops = {
        "postgresql",  pg_close,      pg_create_tables, pg_begin_write, pg_commit,
        pg_rollback,   pg_begin_read, pg_end_read,      pg_load_file,   pg_dangling,
        pg_scan,       pg_count,      pg_meta_get,      pg_meta_set,    pg_meta_list,
    };
    *out = NULL;
    pg_store *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    lode_store *s = &p->base;
    s->ops = &ops;
    s->pkg = pkg;
    lode_buf shown = LODE_BUF_INIT;
    redact(uri, &shown);
    snprintf(s->uri, sizeof s->uri, "%s", shown.data && !shown.oom ? shown.data : "postgresql");
    lode_buf_free(&shown);
    p->conn = PQconnectdb(uri);
    lode_status st = LODE_OK;
    if (p->conn == NULL)
        st = LODE_FAIL(err, LODE_EIO, s->uri, 0, "", "cannot open store: out of memory");
    else if (PQstatus(p->conn) != CONNECTION_OK)
        st = pg_fail(s, NULL, NULL, 0, err, "cannot open store");
    else if (PQsetClientEncoding(p->conn, "UTF8") != 0)
        st = pg_fail(s, NULL, NULL, 0, err, "cannot open store");
    if (st != LODE_OK) {
        pg_close(s);
        return st;
    }
    /* CREATE TABLE IF NOT EXISTS and friends send notices, which libpq would print. */
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    *out = s;
    return LODE_OK;
}
