/* test_store.c: the store interface (src/store/) on whichever backend LODE_TEST_STORE names:
 * unset, a fresh SQLite file per case; a PostgreSQL URI (run under tools/pg-test.sh with
 * LODE_TEST_STORE=$LODE_TEST_PG), a schema of its own, dropped and made again per case. The
 * same cases run on both, with answers taken from the bundled CSV files themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "lode/engines.h"
#include "lode/store.h"
#include "store/store_int.h"

#define SCHEMA "lode_test_store"

typedef struct fixture {
    lode_arena *arena;
    lode_package pkg;
    char tmp[256];  /* scratch directory of this case */
    char uri[2048]; /* the store under test */
    lode_store *s;
} fixture;

static const char *base_uri(void)
{
    const char *u = getenv("LODE_TEST_STORE");
    return u && *u ? u : NULL;
}

/* A PostgreSQL URI with our own schema first on the search path. */
static void pg_uri(const char *base, char *out, size_t len)
{
    if (strstr(base, "://"))
        snprintf(out, len, "%s%coptions=-csearch_path%%3D" SCHEMA, base,
                 strchr(base, '?') ? '&' : '?');
    else
        snprintf(out, len, "%s options=-csearch_path=" SCHEMA, base);
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static void pg_reset(const char *base)
{
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", base, PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, "DROP SCHEMA IF EXISTS " SCHEMA " CASCADE; CREATE SCHEMA " SCHEMA);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("cannot reset schema: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->arena = lode_arena_new();
    assert_int_equal(lode_package_load(LODE_DATADIR "/datapackage.json", f->arena, &f->pkg, NULL),
                     LODE_OK);
    snprintf(f->tmp, sizeof f->tmp, "%s/lode-test-store.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->tmp));
    const char *base = base_uri();
    if (base && lode_store_is_pg(base)) {
        pg_reset(base);
        pg_uri(base, f->uri, sizeof f->uri);
    } else if (base) {
        snprintf(f->uri, sizeof f->uri, "%s", base);
        remove(f->uri);
    } else {
        snprintf(f->uri, sizeof f->uri, "%s/store.db", f->tmp);
    }
    lode_err err = {0};
    if (lode_store_open(f->uri, &f->pkg, &f->s, &err) != LODE_OK)
        fail_msg("cannot open %s: %s", f->uri, err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lode_store_close(f->s);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmp);
    assert_int_equal(system(cmd), 0);
    lode_arena_free(f->arena);
    free(f);
    return 0;
}

/* ---- the bundled tables, read with the CSV reader -------------------------------------- */

typedef struct table {
    const lode_schema *r;
    char ***rows; /* rows[i][field], owned */
    long *lines;
    size_t n, cap;
} table;

static lode_status keep_row(void *ctx, const char *const *cells, size_t n, long line,
                            lode_err *err)
{
    (void)err;
    table *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        t->lines = realloc(t->lines, t->cap * sizeof *t->lines);
        assert_non_null(t->rows);
        assert_non_null(t->lines);
    }
    t->rows[t->n] = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        t->rows[t->n][i] = strdup(cells[i]);
    t->lines[t->n++] = line;
    return LODE_OK;
}

/* Read path as a table of r; returns 0 (and an empty table) if there is no such file. */
static int table_read_path(const lode_schema *r, const char *path, table *t)
{
    memset(t, 0, sizeof *t);
    t->r = r;
    lode_buf b = LODE_BUF_INIT;
    if (access(path, R_OK) != 0)
        return 0;
    assert_int_equal(lode_file_read(path, &b, NULL), LODE_OK);
    assert_int_equal(lode_csv_scan(b.data, b.len, path, t->r, keep_row, t, NULL), LODE_OK);
    lode_buf_free(&b);
    return 1;
}

/* Read data/<name>.csv. */
static int table_read(const fixture *f, const char *name, table *t)
{
    const lode_schema *r = lode_package_find(&f->pkg, name);
    assert_non_null(r);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LODE_DATADIR, r->path);
    return table_read_path(r, path, t);
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->r->n_fields; j++)
            free(t->rows[i][j]);
        free(t->rows[i]);
    }
    free(t->rows);
    free(t->lines);
}

static void set_cell(table *t, size_t row, const char *field, const char *value)
{
    long col = lode_schema_field(t->r, field);
    assert_true(col >= 0);
    free(t->rows[row][col]);
    t->rows[row][col] = strdup(value);
}

static const char *cell(const table *t, size_t row, const char *field)
{
    long col = lode_schema_field(t->r, field);
    assert_true(col >= 0);
    return t->rows[row][col];
}

/* Append a copy of row `from`. */
static void dup_row(table *t, size_t from)
{
    const char **cells = calloc(t->r->n_fields, sizeof *cells);
    for (size_t j = 0; j < t->r->n_fields; j++)
        cells[j] = t->rows[from][j];
    keep_row(t, cells, t->r->n_fields, t->lines[t->n - 1] + 1, NULL);
    free(cells);
}

static void drop_row(table *t, size_t row)
{
    for (size_t j = 0; j < t->r->n_fields; j++)
        free(t->rows[row][j]);
    free(t->rows[row]);
    memmove(t->rows + row, t->rows + row + 1, (t->n - row - 1) * sizeof *t->rows);
    t->n--;
}

/* Write t as dir/<file> in the canonical CSV form (the bundled files are in it). */
static void table_write(const table *t, const char *dir, char *path, size_t len)
{
    lode_buf b = LODE_BUF_INIT;
    const char **cells = calloc(t->r->n_fields, sizeof *cells);
    for (size_t j = 0; j < t->r->n_fields; j++)
        cells[j] = t->r->fields[j].name;
    lode_csv_write_row(&b, cells, t->r->n_fields);
    for (size_t i = 0; i < t->n; i++)
        lode_csv_write_row(&b, (const char *const *)t->rows[i], t->r->n_fields);
    snprintf(path, len, "%s/%s", dir, t->r->path);
    assert_int_equal(lode_file_write(path, b.data, b.len, NULL), LODE_OK);
    lode_buf_free(&b);
    free(cells);
}

static void import_bundled(fixture *f)
{
    const char *paths[] = {LODE_DATADIR};
    lode_err err = {0};
    if (lode_store_import(f->s, paths, 1, NULL, &err) != LODE_OK)
        fail_msg("import failed: %s", err.msg);
}

/* Rows of every table, to compare a store before and after a failed import. */
static void counts(fixture *f, long *out)
{
    for (size_t i = 0; i < f->pkg.n_res; i++)
        out[i] = lode_store_count(f->s, f->pkg.res[i].name);
}

static void assert_counts_unchanged(fixture *f, const long *before)
{
    long after[64];
    assert_true(f->pkg.n_res <= 64);
    counts(f, after);
    for (size_t i = 0; i < f->pkg.n_res; i++)
        if (before[i] != after[i])
            fail_msg("%s: %ld rows before, %ld after", f->pkg.res[i].name, before[i], after[i]);
}

/* A scratch directory for input files. */
static void in_dir(const fixture *f, char *dir, size_t len)
{
    snprintf(dir, len, "%s/in", f->tmp);
    mkdir(dir, 0777);
}

/* ---- cases ------------------------------------------------------------------------------ */

/* 1. The bundled data goes in whole: every table holds its file's rows. */
static void test_store_import_bundled(void **state)
{
    fixture *f = *state;
    const char *paths[] = {LODE_DATADIR};
    size_t rows = 0, want = 0;
    lode_err err = {0};
    assert_int_equal(lode_store_import(f->s, paths, 1, &rows, &err), LODE_OK);
    for (size_t i = 0; i < f->pkg.n_res; i++) {
        table t;
        int present = table_read(f, f->pkg.res[i].name, &t);
        assert_int_equal(lode_store_count(f->s, f->pkg.res[i].name), (long)t.n);
        if (present)
            assert_true(t.n > 0);
        want += t.n;
        table_free(&t);
    }
    assert_true(want > 4000);
    assert_int_equal(rows, want);
    assert_int_equal(lode_store_count(f->s, "no_such_table"), 0);
    /* A second import replaces, never adds. */
    assert_int_equal(lode_store_import(f->s, paths, 1, &rows, &err), LODE_OK);
    assert_int_equal(rows, want);
}

static void assert_same_model(const lode_model *a, const lode_model *b)
{
#define SAME(t) assert_int_equal(a->n_##t, b->n_##t)
    SAME(materials); SAME(countries); SAME(governance); SAME(production); SAME(capacity);
    SAME(recipes); SAME(trade); SAME(trade_published); SAME(consumption); SAME(demand);
    SAME(economy); SAME(stockpiles); SAME(policies); SAME(agreements); SAME(alliances);
    SAME(projects); SAME(prices); SAME(costs); SAME(eu_crm); SAME(eu_crm_trade);
#undef SAME
    lode_arena *ar = lode_arena_new();
    lode_risk_result ra, rb;
    assert_int_equal(lode_risk_run(a, NULL, ar, &ra, NULL), LODE_OK);
    assert_int_equal(lode_risk_run(b, NULL, ar, &rb, NULL), LODE_OK);
    assert_true(ra.n_rows > 10);
    assert_int_equal(ra.n_rows, rb.n_rows);
    for (size_t i = 0; i < ra.n_rows; i++) {
        const lode_risk_row *x = &ra.rows[i], *y = &rb.rows[i];
        assert_string_equal(a->materials[x->material].id, b->materials[y->material].id);
        assert_int_equal(x->stage, y->stage);
        /* Same cells in the same order give the same bits. */
        assert_memory_equal(&x->hhi, &y->hhi, sizeof x->hhi);
        assert_memory_equal(&x->world_t, &y->world_t, sizeof x->world_t);
        assert_memory_equal(&x->top1_share, &y->top1_share, sizeof x->top1_share);
        assert_memory_equal(&x->top3_share, &y->top3_share, sizeof x->top3_share);
        assert_memory_equal(&x->wgi_hhi, &y->wgi_hhi, sizeof x->wgi_hhi);
        assert_int_equal(x->eu.computed, y->eu.computed);
        if (x->eu.computed)
            assert_memory_equal(&x->eu.sr, &y->eu.sr, sizeof x->eu.sr);
    }
    lode_arena_free(ar);
}

/* 2. The model from the store is the model from the CSV files, and the model from a SQLite
 * store (so PostgreSQL and SQLite give the same model). */
static void test_store_load_model_same(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    lode_model *from_store = NULL, *from_csv = NULL, *from_sqlite = NULL;
    lode_err err = {0};
    if (lode_store_load_model(f->s, &from_store, &err) != LODE_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(lode_model_load_dir(LODE_DATADIR, &from_csv, &err), LODE_OK);
    assert_same_model(from_store, from_csv);

    char path[512];
    snprintf(path, sizeof path, "%s/other.db", f->tmp);
    lode_store *sq = NULL;
    assert_int_equal(lode_store_open(path, &f->pkg, &sq, &err), LODE_OK);
    const char *paths[] = {LODE_DATADIR};
    assert_int_equal(lode_store_import(sq, paths, 1, NULL, &err), LODE_OK);
    assert_int_equal(lode_store_load_model(sq, &from_sqlite, &err), LODE_OK);
    assert_same_model(from_store, from_sqlite);
    /* A row keeps the line of its file. */
    table t;
    table_read(f, "production", &t);
    assert_int_equal(from_store->n_production, t.n);
    lode_store_close(sq);
    table_free(&t);
    lode_model_free(from_store);
    lode_model_free(from_csv);
    lode_model_free(from_sqlite);
}

/* 3. A duplicate key fails naming the file and both lines, and changes nothing. A bad cell
 * after the duplicate does not hide it: the first fault in the file is the one reported. */
static void test_store_import_duplicate_key(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    long before[64];
    counts(f, before);
    table t;
    assert_true(table_read(f, "trade", &t));
    /* The appended rows start after the file's last newline. */
    lode_buf orig = LODE_BUF_INIT;
    assert_int_equal(lode_file_read(LODE_DATADIR "/trade.csv", &orig, NULL), LODE_OK);
    long dup_line = 1;
    for (size_t i = 0; i < orig.len; i++)
        dup_line += orig.data[i] == '\n';
    lode_buf_free(&orig);
    dup_row(&t, 3);
    dup_row(&t, 0);
    set_cell(&t, t.n - 1, "tonnes", "12,5"); /* a bad cell after the duplicate */
    char dir[300], path[600], want[512];
    in_dir(f, dir, sizeof dir);
    table_write(&t, dir, path, sizeof path);
    snprintf(want, sizeof want,
             "duplicate key (material, exporter, importer, year) = (%s, %s, %s, %s), "
             "first at line %ld",
             cell(&t, 3, "material"), cell(&t, 3, "exporter"), cell(&t, 3, "importer"),
             cell(&t, 3, "year"), t.lines[3]);
    const char *paths[] = {path};
    lode_err err = {0};
    size_t rows = 99;
    assert_int_equal(lode_store_import(f->s, paths, 1, &rows, &err), LODE_EINPUT);
    assert_string_equal(err.path, path);
    assert_int_equal(err.line, dup_line);
    assert_string_equal(err.msg, want);
    assert_int_equal(rows, 0);
    assert_counts_unchanged(f, before);
    table_free(&t);
}

static lode_status ignore_row(void *ctx, const char *const *cells, size_t n, long line,
                              lode_err *err)
{
    (void)ctx, (void)cells, (void)n, (void)line, (void)err;
    return LODE_OK;
}

/* 4. A bad cell fails with the CSV reader's own message; an earlier good table of the same
 * import is rolled back with it. */
static void test_store_import_bad_cell(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    long before[64];
    counts(f, before);
    char dir[300], cpath[600], ppath[600];
    in_dir(f, dir, sizeof dir);
    table c, p;
    assert_true(table_read(f, "countries", &c));
    drop_row(&c, c.n - 1); /* a good change, which must not stay */
    table_write(&c, dir, cpath, sizeof cpath);
    assert_true(table_read(f, "production", &p));
    set_cell(&p, 9, "tonnes", "12,5");
    table_write(&p, dir, ppath, sizeof ppath);

    /* What the reader says about that file, without any store. */
    lode_buf b = LODE_BUF_INIT;
    lode_err want = {0};
    assert_int_equal(lode_file_read(ppath, &b, NULL), LODE_OK);
    assert_int_equal(lode_csv_scan(b.data, b.len, ppath, p.r, ignore_row, NULL, &want),
                     LODE_EINPUT);
    lode_buf_free(&b);

    const char *paths[] = {dir};
    lode_err err = {0};
    assert_int_equal(lode_store_import(f->s, paths, 1, NULL, &err), LODE_EINPUT);
    assert_string_equal(err.path, ppath);
    assert_int_equal(err.line, p.lines[9]);
    assert_string_equal(err.field, "tonnes");
    assert_int_equal(err.column, lode_schema_field(p.r, "tonnes") + 1);
    assert_string_equal(err.msg, want.msg);
    assert_counts_unchanged(f, before);
    table_free(&c);
    table_free(&p);
}

/* 5. A dangling reference fails naming file, line, column and field; so does one left in a
 * table not imported this time. Nothing changes either way. */
static void test_store_import_dangling(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    long before[64];
    counts(f, before);
    char dir[300], path[600];
    in_dir(f, dir, sizeof dir);
    table p;
    assert_true(table_read(f, "production", &p));
    set_cell(&p, 6, "country", "XXX");
    table_write(&p, dir, path, sizeof path);
    const char *paths[] = {path};
    lode_err err = {0};
    assert_int_equal(lode_store_import(f->s, paths, 1, NULL, &err), LODE_EINPUT);
    assert_string_equal(err.path, path);
    assert_int_equal(err.line, p.lines[6]);
    assert_string_equal(err.field, "country");
    assert_int_equal(err.column, lode_schema_field(p.r, "country") + 1);
    assert_string_equal(err.msg, "unknown id \"XXX\" (not in countries.iso3)");
    assert_counts_unchanged(f, before);

    /* countries.csv without a country other tables use: the reference left dangling is in a
     * table of the store, not of this import. */
    table c;
    assert_true(table_read(f, "countries", &c));
    size_t used = 0;
    while (used < c.n && strcmp(cell(&c, used, "iso3"), cell(&p, 0, "country")) != 0)
        used++;
    assert_true(used < c.n);
    drop_row(&c, used);
    table_write(&c, dir, path, sizeof path);
    memset(&err, 0, sizeof err);
    assert_int_equal(lode_store_import(f->s, paths, 1, NULL, &err), LODE_EINPUT);
    assert_non_null(strstr(err.path, ".csv (in the store)"));
    assert_true(err.line > 1);
    assert_non_null(strstr(err.msg, "(not in countries.iso3)"));
    assert_counts_unchanged(f, before);
    table_free(&c);
    table_free(&p);
}

static void assert_same_file(const char *a, const char *b)
{
    lode_buf x = LODE_BUF_INIT, y = LODE_BUF_INIT;
    assert_int_equal(lode_file_read(a, &x, NULL), LODE_OK);
    assert_int_equal(lode_file_read(b, &y, NULL), LODE_OK);
    if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
        fail_msg("%s and %s differ", a, b);
    lode_buf_free(&x);
    lode_buf_free(&y);
}

/* 6. Export writes back the imported bytes, and only the tables that hold rows. */
static void test_store_export_round_trip(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/out", f->tmp);
    lode_err err = {0};
    assert_int_equal(lode_store_export(f->s, dir, &err), LODE_OK);
    int compared = 0;
    for (size_t i = 0; i < f->pkg.n_res; i++) {
        char in[512], out[512];
        snprintf(in, sizeof in, "%s/%s", LODE_DATADIR, f->pkg.res[i].path);
        snprintf(out, sizeof out, "%s/%s", dir, f->pkg.res[i].path);
        if (access(in, R_OK) == 0) {
            assert_same_file(in, out);
            compared++;
        } else {
            assert_int_not_equal(access(out, F_OK), 0);
        }
    }
    assert_true(compared >= 15);

    /* Cells that need quoting or escaping on the way (tab, backslash, newline, quote) come
     * back as they went in. */
    table m;
    assert_true(table_read(f, "materials", &m));
    set_cell(&m, 0, "note", "a\tb\\c\nd \"e\", \\N\r\n\xe6\x97\xa5\xe6\x9c\xac");
    set_cell(&m, 1, "note", "\\N");
    char in[300], path[600];
    in_dir(f, in, sizeof in);
    table_write(&m, in, path, sizeof path);
    const char *paths[] = {path};
    assert_int_equal(lode_store_import(f->s, paths, 1, NULL, &err), LODE_OK);
    assert_int_equal(lode_store_export(f->s, dir, &err), LODE_OK);
    char out[600];
    snprintf(out, sizeof out, "%s/%s", dir, m.r->path);
    assert_same_file(path, out);
    table_free(&m);
}

typedef struct walk {
    char seen[1024];
    int stop_after;
    int n;
} walk;

static int collect(void *ctx, const char *key, const char *value)
{
    walk *w = ctx;
    size_t l = strlen(w->seen);
    snprintf(w->seen + l, sizeof w->seen - l, "%s=%s;", key, value);
    return ++w->n == w->stop_after;
}

static void list(fixture *f, const char *prefix, walk *w)
{
    memset(w, 0, sizeof *w);
    lode_err err = {0};
    assert_int_equal(lode_store_meta_list(f->s, prefix, collect, w, &err), LODE_OK);
}

/* 7. Metadata: absent keys read "", set replaces, list takes a prefix literally ('%' and '_'
 * are plain characters) and walks in byte order of key. */
static void test_store_meta(void **state)
{
    fixture *f = *state;
    char buf[64] = "junk";
    lode_err err = {0};
    assert_int_equal(lode_store_meta_get(f->s, "absent", buf, sizeof buf, &err), LODE_OK);
    assert_string_equal(buf, "");
    static const char *const kv[][2] = {
        {"key:a%b", "1"}, {"key:a_b", "2"}, {"key:axb", "3"}, {"key:a%bc", "4"},
        {"key:ab", "5"},  {"key:B", "6"},   {"keyz", "7"},    {"key:\xc3\xa9", "8"},
        {"ke", "9"},      {"key:a%", "10"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        assert_int_equal(lode_store_meta_set(f->s, kv[i][0], kv[i][1], &err), LODE_OK);
    assert_int_equal(lode_store_meta_set(f->s, "key:ab", "five", &err), LODE_OK);
    assert_int_equal(lode_store_meta_get(f->s, "key:ab", buf, sizeof buf, &err), LODE_OK);
    assert_string_equal(buf, "five");
    assert_int_equal(lode_store_meta_get(f->s, "key:a%b", buf, 2, &err), LODE_OK);
    assert_string_equal(buf, "1");

    walk w;
    list(f, "key:a%", &w);
    assert_string_equal(w.seen, "key:a%=10;key:a%b=1;key:a%bc=4;");
    list(f, "key:a_", &w);
    assert_string_equal(w.seen, "key:a_b=2;");
    list(f, "key:", &w);
    assert_string_equal(w.seen, "key:B=6;key:a%=10;key:a%b=1;key:a%bc=4;key:a_b=2;key:ab=five;"
                                "key:axb=3;key:\xc3\xa9=8;");
    list(f, "nothing", &w);
    assert_string_equal(w.seen, "");
    list(f, "", &w);
    assert_int_equal(w.n, 10);
    /* A callback that says stop ends the walk with LODE_EIO. */
    memset(&w, 0, sizeof w);
    w.stop_after = 2;
    assert_int_equal(lode_store_meta_list(f->s, "key:", collect, &w, &err), LODE_EIO);
    assert_int_equal(w.n, 2);
    /* Metadata survives reopening. */
    lode_store_close(f->s);
    assert_int_equal(lode_store_open(f->uri, &f->pkg, &f->s, &err), LODE_OK);
    assert_int_equal(lode_store_meta_get(f->s, "key:a_b", buf, sizeof buf, &err), LODE_OK);
    assert_string_equal(buf, "2");
}

/* 8. A PostgreSQL server that cannot be reached is LODE_EIO naming the URI without its
 * password (needs no server: nothing listens on port 1). */
static void test_store_open_pg_unreachable(void **state)
{
    fixture *f = *state;
    static const char *const cases[][2] = {
        {"postgresql://lode:s3cret@127.0.0.1:1/x?connect_timeout=5&password=s3cret",
         "postgresql://lode@127.0.0.1:1/x?connect_timeout=5"},
        {"postgres://lode:s3cret@127.0.0.1:1/x", "postgres://lode@127.0.0.1:1/x"},
        {"host=127.0.0.1 port=1 password='s3 cret' dbname=x connect_timeout=5",
         "host=127.0.0.1 port=1 dbname=x connect_timeout=5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lode_store *s = (lode_store *)1;
        lode_err err = {0};
        assert_int_equal(lode_store_open(cases[i][0], &f->pkg, &s, &err), LODE_EIO);
        assert_null(s);
        assert_string_equal(err.path, cases[i][1]);
        assert_null(strstr(err.msg, "s3"));
        assert_non_null(strstr(err.msg, "cannot open store"));
    }
}

/* 9. Readers on their own handles see the store before or after an import, never between
 * its tables. The writer swaps countries and demand (read first and last of the model's
 * tables) between the bundled files and a version with one more country and one more demand
 * row of it. */
typedef struct race {
    fixture *f;
    const char *paths_a[2], *paths_b[2];
    size_t countries_a, countries_b, demand_a, demand_b;
    int done, writer_failed, loads, bad;
    pthread_mutex_t lock;
} race;

static void *race_writer(void *arg)
{
    race *r = arg;
    lode_store *s = NULL;
    if (lode_store_open(r->f->uri, &r->f->pkg, &s, NULL) != LODE_OK) {
        r->writer_failed = 1;
    } else {
        for (int i = 0; i < 20 && !r->writer_failed; i++)
            if (lode_store_import(s, i % 2 ? r->paths_a : r->paths_b, 2, NULL, NULL) != LODE_OK)
                r->writer_failed = 1;
    }
    lode_store_close(s);
    pthread_mutex_lock(&r->lock);
    r->done = 1;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void test_store_readers_see_whole_imports(void **state)
{
    fixture *f = *state;
    import_bundled(f);
    char dir[300], cpath[600], ppath[600];
    in_dir(f, dir, sizeof dir);
    table c, p;
    assert_true(table_read(f, "countries", &c));
    assert_true(table_read(f, "demand", &p));
    race r = {f, {LODE_DATADIR "/countries.csv", LODE_DATADIR "/demand.csv"}, {cpath, ppath},
              c.n, c.n + 1, p.n, p.n + 1, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    /* A demand row of a real country: the new country copies both. */
    size_t prow = 0, real = 0;
    for (;; prow++) {
        assert_true(prow < p.n);
        for (real = 0; real < c.n; real++)
            if (strcmp(cell(&c, real, "iso3"), cell(&p, prow, "country")) == 0)
                break;
        if (real < c.n && strcmp(cell(&c, real, "kind"), "country") == 0)
            break;
    }
    dup_row(&c, real);
    set_cell(&c, c.n - 1, "iso3", "ZZZ");
    dup_row(&p, prow);
    set_cell(&p, p.n - 1, "country", "ZZZ");
        table_write(&c, dir, cpath, sizeof cpath);
    table_write(&p, dir, ppath, sizeof ppath);

    pthread_t w;
    assert_int_equal(pthread_create(&w, NULL, race_writer, &r), 0);
    for (;;) {
        pthread_mutex_lock(&r.lock);
        int done = r.done;
        pthread_mutex_unlock(&r.lock);
        if (done)
            break;
        lode_model *m = NULL;
        lode_err err = {0};
        if (lode_store_load_model(f->s, &m, &err) != LODE_OK)
            fail_msg("load during import: %s", err.msg);
        int a = m->n_countries == r.countries_a && m->n_demand == r.demand_a;
        int b = m->n_countries == r.countries_b && m->n_demand == r.demand_b;
        r.bad += !(a || b);
        r.loads++;
        lode_model_free(m);
    }
    pthread_join(w, NULL);
    assert_false(r.writer_failed);
    assert_int_equal(r.bad, 0);
    assert_true(r.loads > 0);
    table_free(&c);
    table_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_import_bundled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_load_model_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_duplicate_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_bad_cell, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_dangling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_export_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open_pg_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_readers_see_whole_imports, setup, teardown),
    };
    const char *base = base_uri();
    fprintf(stderr, "test_store: store %s\n",
            base && lode_store_is_pg(base) ? "PostgreSQL (LODE_TEST_STORE)"
                                           : base ? base : "SQLite, a fresh file per case");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
