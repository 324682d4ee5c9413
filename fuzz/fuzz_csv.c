/* fuzz_csv.c: libFuzzer target for lode_csv_scan. Scans the input against a small embedded
 * schema and against the data/datapackage.json resource whose header the input starts with
 * (production if none); every row that passes is written back with lode_csv_write_row and must
 * scan again to the same cells. Build and run with fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/table.h"

static const char PKG[] =
    "{\"resources\":[{\"name\":\"t\",\"path\":\"t.csv\",\"schema\":{\"fields\":["
    "{\"name\":\"id\",\"constraints\":{\"required\":true}},"
    "{\"name\":\"qty\",\"type\":\"number\",\"unit\":\"t\",\"constraints\":{\"minimum\":0}},"
    "{\"name\":\"year\",\"type\":\"integer\",\"constraints\":{\"minimum\":1900,\"maximum\":2100}},"
    "{\"name\":\"kind\",\"constraints\":{\"enum\":[\"mine\",\"refinery\"]}},{\"name\":\"note\"}]}}]"
    "}";

static lode_arena *arena;
static lode_package emb, real;
static int have_real;

typedef struct again {
    const char *const *cells;
    size_t n, rows;
} again;

static lode_status same_row(void *ctx, const char *const *cells, size_t n, long line, lode_err *e)
{
    again *g = ctx;
    size_t i;
    (void)line, (void)e;
    if (n != g->n || g->rows++ != 0)
        abort();
    for (i = 0; i < n; i++)
        if (strcmp(cells[i], g->cells[i]) != 0)
            abort();
    return LODE_OK;
}

static lode_status check_row(void *ctx, const char *const *cells, size_t n, long line, lode_err *e)
{
    const lode_schema *s = ctx;
    lode_buf b = LODE_BUF_INIT;
    const char *hdr[64];
    again g = {cells, n, 0};
    size_t i;
    (void)line;
    for (i = 0; i < n && i < 64; i++)
        hdr[i] = s->fields[i].name;
    lode_csv_write_row(&b, hdr, n < 64 ? n : 64);
    lode_csv_write_row(&b, cells, n);
    if (n <= 64 && !b.oom && lode_csv_scan(b.data, b.len, "again", s, same_row, &g, e) != LODE_OK)
        abort();
    if (n <= 64 && !b.oom && g.rows != 1)
        abort();
    lode_buf_free(&b);
    return LODE_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    arena = lode_arena_new();
    if (lode_package_parse(PKG, sizeof PKG - 1, "emb", arena, &emb, NULL) != LODE_OK)
        abort();
#ifdef LODE_DATADIR
    have_real = lode_package_load(LODE_DATADIR "/datapackage.json", arena, &real, NULL) == LODE_OK;
#endif
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    const lode_schema *s = lode_package_find(&real, "production");
    size_t i, n;
    lode_err err;
    lode_csv_scan(buf, size, "fuzz.csv", &emb.res[0], check_row, (void *)&emb.res[0], &err);
    for (i = 0; have_real && i < real.n_res; i++) {
        n = strlen(real.res[i].fields[0].name);
        if (size > n && memcmp(buf, real.res[i].fields[0].name, n) == 0 && buf[n] == ',')
            s = &real.res[i];
    }
    if (s != NULL)
        lode_csv_scan(buf, size, "fuzz.csv", s, check_row, (void *)s, &err);
    return 0;
}
