/* out.c: the three output forms of every command: an aligned human table, CSV, and one JSON
 * document. Numbers are formatted here with fixed formats in the "C" locale (lode never calls
 * setlocale), so output is the same on every machine. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "cli_int.h"

void out_table_init(out_table *t, size_t n_cols, const char *const *head, const int *right)
{
    memset(t, 0, sizeof *t);
    t->n_cols = n_cols;
    t->head = calloc(n_cols, sizeof *t->head);
    t->right = calloc(n_cols, sizeof *t->right);
    for (size_t i = 0; t->head && t->right && i < n_cols; i++) {
        t->head[i] = head[i];
        t->right[i] = right ? right[i] : 0;
    }
}

void out_table_add(out_table *t, const char *cell)
{
    lode_buf_add(&t->cells, cell, strlen(cell) + 1);
    t->n_cells++;
}

void out_table_addf(out_table *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out_table_add(t, buf);
}

void out_table_free(out_table *t)
{
    free(t->head);
    free(t->right);
    lode_buf_free(&t->cells);
    memset(t, 0, sizeof *t);
}

/* Display width of a UTF-8 string in terminal columns: CJK characters take two, combining
 * marks none (utf8proc's East Asian width). Invalid bytes count one column each. */
static size_t width(const char *s)
{
    size_t w = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0) {
            w++;
            p++;
            continue;
        }
        int cw = utf8proc_charwidth(cp);
        w += cw > 0 ? (size_t)cw : 0;
        p += n;
    }
    return w;
}

int out_table_print(out_table *t, out_format fmt, FILE *f)
{
    if (t->head == NULL || t->right == NULL || t->cells.oom) {
        out_table_free(t);
        fputs("lode: out of memory\n", stderr);
        return LODE_EIO;
    }
    size_t nc = t->n_cols, nrows = nc ? t->n_cells / nc : 0;
    const char **cells = calloc(t->n_cells + 1, sizeof *cells);
    size_t *w = calloc(nc + 1, sizeof *w);
    if (cells == NULL || w == NULL) {
        free(cells);
        free(w);
        out_table_free(t);
        return LODE_EIO;
    }
    const char *p = t->cells.data;
    for (size_t i = 0; i < t->n_cells; i++) {
        cells[i] = p;
        p += strlen(p) + 1;
    }
    if (fmt == OUT_CSV) {
        lode_buf b = LODE_BUF_INIT;
        lode_csv_write_row(&b, t->head, nc);
        for (size_t r = 0; r < nrows; r++)
            lode_csv_write_row(&b, cells + r * nc, nc);
        if (b.len)
            fwrite(b.data, 1, b.len, f);
        lode_buf_free(&b);
    } else {
        for (size_t c = 0; c < nc; c++)
            w[c] = width(t->head[c]);
        for (size_t i = 0; i < nrows * nc; i++)
            if (width(cells[i]) > w[i % nc])
                w[i % nc] = width(cells[i]);
        for (size_t r = 0; r <= nrows; r++) {
            for (size_t c = 0; c < nc; c++) {
                const char *s = r == 0 ? t->head[c] : cells[(r - 1) * nc + c];
                size_t pad = w[c] - width(s);
                int last = c + 1 == nc;
                if (t->right[c])
                    fprintf(f, "%*s%s", (int)pad, "", s);
                else
                    fprintf(f, "%s%*s", s, last ? 0 : (int)pad, "");
                fputs(last ? "\n" : "  ", f);
            }
        }
    }
    free(cells);
    free(w);
    out_table_free(t);
    return 0;
}

int out_json(cJSON *doc)
{
    if (doc == NULL) {
        fputs("lode: out of memory\n", stderr);
        return LODE_EIO;
    }
    cli_sink *sink = cli_sink_current();
    if (sink) { /* run for the server: hand the document over instead of printing it */
        cJSON_Delete(sink->doc);
        sink->doc = doc;
        return 0;
    }
    char *s = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (s == NULL) {
        fputs("lode: out of memory\n", stderr);
        return LODE_EIO;
    }
    fputs(s, stdout);
    fputs("\n", stdout);
    free(s);
    return 0;
}

/* JSON numbers keep 10 significant digits: far beyond the data's precision, and stable under
 * summation-order noise in the last bits. */
cJSON *out_num(double v)
{
    char buf[64];
    if (!isfinite(v))
        return cJSON_CreateNull();
    snprintf(buf, sizeof buf, "%.10g", v);
    return cJSON_CreateNumber(strtod(buf, NULL));
}

const char *fmt_t(char *buf, size_t len, double t)
{
    /* Below a gram is solver or rounding noise, not a quantity anyone ships. */
    if (fabs(t) < 1e-6)
        t = 0;
    if (fabs(t) >= 100 || t == 0) {
        /* whole tonnes with thousands separators */
        char raw[64];
        snprintf(raw, sizeof raw, "%.0f", fabs(t));
        size_t n = strlen(raw), o = 0;
        char out[96];
        if (t < 0)
            out[o++] = '-';
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && (n - i) % 3 == 0)
                out[o++] = ',';
            out[o++] = raw[i];
        }
        out[o] = '\0';
        snprintf(buf, len, "%s", out);
    } else {
        snprintf(buf, len, "%.3g", t);
    }
    return buf;
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

const char *cli_cid(const lode_model *m, int c)
{
    return c >= 0 && (size_t)c < m->n_countries ? m->countries[c].iso3 : "";
}

const char *cli_mid(const lode_model *m, int k)
{
    return k >= 0 && (size_t)k < m->n_materials ? m->materials[k].id : "";
}
