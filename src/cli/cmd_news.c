/* cmd_news.c: `lode news FILE…`: multilingual articles -> events -> draft policies. Reads the
 * files (never more than the size limit of each), loads the lexicon from the data directory and
 * the libexttextcat fingerprints, and hands everything to lode_news_run; prints the articles,
 * the events and the draft CSV rows. A file that cannot be read or is not text is reported and
 * skipped; the exit code is 0 if at least one article was read, 4 (I/O) if no file could be
 * opened or read at all, 2 if files were read but none was a usable article. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_int.h"
#include "lode/news.h"

static const char news_usage[] =
    "usage: lode news [--json | --csv] [--date YYYY-MM-DD] [--window DAYS] [--sources N]\n"
    "                 [--lexicon FILE] FILE... | -\n"
    "Reads UTF-8 articles in any European or Asian language (- is standard input) and gives\n"
    "per article: its language, date, the countries (ISO3) and materials (dataset ids) it\n"
    "names, the kind of event (export_control, agreement, stockpile, investment, outage,\n"
    "price), its dates and amounts. Articles reporting the same event (same kind, parties\n"
    "Jaccard >= 0.5, materials overlap >= 0.5, dates within --window days, default 3) are\n"
    "grouped into one event; an event reported by --sources distinct sources (default 2) or by\n"
    "one official source is confirmed, and confirmed agreements, export controls and stockpile\n"
    "measures become draft rows of data/agreements.csv or data/policies.csv for review.\n"
    "An article may start with header lines (Date: YYYY-MM-DD, Title:, Source:, URL:, Lang:,\n"
    "Official: yes) and a blank line. --date gives the date of articles that have none.\n"
    "--csv prints the articles table. Lexicon: data/lexicon/news.csv; language fingerprints:\n"
    "$LODE_TEXTCAT_DIR, else /usr/share/libexttextcat. See docs/news.md.\n"
    "Exit: 0 if at least one article was read, 2 if none was usable, 4 if no file could be\n"
    "opened or read, 1 usage.\n";

/* Read at most max + 1 bytes of f into *out (malloc'd): one byte more than allowed tells the
 * engine the file is too large without reading a huge file whole. */
static const char *read_capped(FILE *f, size_t max, char **out, size_t *len, char *why, size_t wl)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    *out = NULL;
    *len = 0;
    if (buf == NULL)
        return "out of memory";
    for (;;) {
        if (n == cap) {
            if (cap > max)
                break;
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *p = realloc(buf, nc);
            if (p == NULL) {
                free(buf);
                return "out of memory";
            }
            buf = p;
            cap = nc;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                snprintf(why, wl, "cannot read: %s", strerror(errno));
                free(buf);
                return why;
            }
            break;
        }
    }
    if (n > max) {
        snprintf(why, wl, "too large (more than %zu bytes)", max);
        free(buf);
        return why;
    }
    *out = buf;
    *len = n;
    return NULL;
}

static cJSON *str_array(const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *mention_ids(const lode_news_mention *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i].id));
    return a;
}

static cJSON *mention_detail(const lode_news_mention *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", v[i].id);
        cJSON_AddNumberToObject(o, "mentions", v[i].mentions);
        cJSON_AddItemToObject(o, "weight", out_num(v[i].weight));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *nullable(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void draft_csv(lode_buf *b, const lode_news_draft *d)
{
    lode_csv_write_row(b, d->values, d->n_columns);
}

static int print_json(const lode_news_result *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arts = cJSON_AddArrayToObject(doc, "articles");
    for (size_t i = 0; i < r->n_articles; i++) {
        const lode_news_article *x = &r->articles[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", x->file);
        cJSON_AddItemToObject(o, "error", nullable(x->error));
        cJSON_AddItemToObject(o, "lang", nullable(x->lang));
        cJSON_AddItemToObject(o, "lang_method", nullable(x->lang_method));
        cJSON_AddItemToObject(o, "date", nullable(x->date));
        cJSON_AddItemToObject(o, "date_source", nullable(x->date_source));
        cJSON_AddItemToObject(o, "event_date", nullable(x->event_date));
        cJSON_AddItemToObject(o, "title", nullable(x->error ? NULL : x->title));
        cJSON_AddItemToObject(o, "source", nullable(x->error ? NULL : x->source));
        cJSON_AddBoolToObject(o, "official", x->official);
        cJSON_AddItemToObject(o, "countries", mention_ids(x->countries, x->n_countries));
        cJSON_AddItemToObject(o, "materials", mention_ids(x->materials, x->n_materials));
        cJSON_AddItemToObject(o, "kind", nullable(lode_news_kind_name(x->kind)));
        cJSON_AddItemToObject(o, "subkind", nullable(x->subkind));
        cJSON *ks = cJSON_AddObjectToObject(o, "kind_scores");
        for (int k = 0; k < LODE_NEWS_KIND_N; k++)
            cJSON_AddItemToObject(ks, lode_news_kind_name(k), out_num(x->kind_score[k]));
        cJSON *ds = cJSON_AddArrayToObject(o, "dates");
        for (size_t k = 0; k < x->n_dates; k++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "text", x->dates[k].text);
            cJSON_AddStringToObject(d, "date", x->dates[k].date);
            cJSON_AddBoolToObject(d, "relative", x->dates[k].relative);
            cJSON_AddItemToArray(ds, d);
        }
        cJSON *as = cJSON_AddArrayToObject(o, "amounts");
        for (size_t k = 0; k < x->n_amounts; k++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "text", x->amounts[k].text);
            cJSON_AddItemToObject(d, "value", out_num(x->amounts[k].value));
            cJSON_AddStringToObject(d, "unit", x->amounts[k].unit);
            cJSON_AddItemToArray(as, d);
        }
        cJSON_AddItemToObject(o, "country_mentions", mention_detail(x->countries, x->n_countries));
        cJSON_AddItemToObject(o, "material_mentions", mention_detail(x->materials, x->n_materials));
        cJSON_AddItemToArray(arts, o);
    }
    cJSON *evs = cJSON_AddArrayToObject(doc, "events");
    for (size_t i = 0; i < r->n_events; i++) {
        const lode_news_event *e = &r->events[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", e->id);
        cJSON_AddStringToObject(o, "kind", lode_news_kind_name(e->kind));
        cJSON_AddItemToObject(o, "date", nullable(e->date));
        cJSON_AddItemToObject(o, "countries", str_array(e->countries, e->n_countries));
        cJSON_AddItemToObject(o, "materials", str_array(e->materials, e->n_materials));
        cJSON *fa = cJSON_AddArrayToObject(o, "articles");
        for (size_t k = 0; k < e->n_articles; k++)
            cJSON_AddItemToArray(fa, cJSON_CreateString(r->articles[e->articles[k]].file));
        cJSON_AddItemToObject(o, "langs", str_array(e->langs, e->n_langs));
        cJSON_AddNumberToObject(o, "sources", (double)e->n_sources);
        cJSON_AddBoolToObject(o, "official", e->official);
        cJSON_AddBoolToObject(o, "confirmed", e->confirmed);
        cJSON_AddItemToArray(evs, o);
    }
    cJSON *drs = cJSON_AddArrayToObject(doc, "draft_policies");
    for (size_t i = 0; i < r->n_drafts; i++) {
        const lode_news_draft *d = &r->drafts[i];
        cJSON *o = cJSON_CreateObject();
        lode_buf b = LODE_BUF_INIT;
        cJSON_AddStringToObject(o, "event", r->events[d->event].id);
        cJSON_AddStringToObject(o, "table", d->table);
        cJSON_AddStringToObject(o, "id", d->values[0]);
        cJSON *f = cJSON_AddObjectToObject(o, "fields");
        for (size_t k = 0; k < d->n_columns; k++)
            cJSON_AddStringToObject(f, d->columns[k], d->values[k]);
        draft_csv(&b, d);
        cJSON_AddStringToObject(o, "csv", b.data ? b.data : "");
        lode_buf_free(&b);
        cJSON_AddItemToArray(drs, o);
    }
    return out_json(doc);
}

static void ids_cell(out_table *t, const lode_news_mention *v, size_t n, size_t max)
{
    lode_buf b = LODE_BUF_INIT;
    lode_buf_add(&b, "", 0);
    for (size_t i = 0; i < n && i < max; i++)
        lode_buf_printf(&b, "%s%s", i ? "," : "", v[i].id);
    if (n > max)
        lode_buf_printf(&b, ",+%zu", n - max);
    out_table_add(t, b.data ? b.data : "");
    lode_buf_free(&b);
}

/* Bytes of the first max code points of s: a cut never splits a character. */
static size_t cut_utf8(const char *s, size_t max)
{
    size_t i = 0, k = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && k++ == max)
            break;
        i++;
    }
    return i;
}

static int print_tables(const lode_news_result *r, out_format fmt)
{
    static const char *const head[] = {"file",    "lang",      "date",      "event date",
                                       "kind",    "countries", "materials", "dates",
                                       "amounts", "title",     "error"};
    static const int right[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    out_table t;
    int rc;
    out_table_init(&t, 11, head, right);
    for (size_t i = 0; i < r->n_articles; i++) {
        const lode_news_article *x = &r->articles[i];
        lode_buf am = LODE_BUF_INIT;
        out_table_add(&t, x->file);
        out_table_add(&t, x->lang ? x->lang : "");
        out_table_add(&t, x->date ? x->date : "");
        out_table_add(&t, x->event_date ? x->event_date : "");
        out_table_addf(&t, "%s%s%s", x->kind >= 0 ? lode_news_kind_name(x->kind) : "",
                       x->subkind ? ":" : "", x->subkind ? x->subkind : "");
        ids_cell(&t, x->countries, x->n_countries, fmt == OUT_CSV ? 64 : 4);
        ids_cell(&t, x->materials, x->n_materials, fmt == OUT_CSV ? 64 : 3);
        out_table_addf(&t, "%zu", x->n_dates);
        lode_buf_add(&am, "", 0);
        for (size_t j = 0; j < x->n_amounts && j < (fmt == OUT_CSV ? 16u : 2u); j++)
            lode_buf_printf(&am, "%s%s", j ? "; " : "", x->amounts[j].text);
        out_table_add(&t, am.data ? am.data : "");
        lode_buf_free(&am);
        if (fmt == OUT_TABLE && x->title && !x->error && x->title[cut_utf8(x->title, 40)])
            out_table_addf(&t, "%.*s...", (int)cut_utf8(x->title, 37), x->title);
        else
            out_table_add(&t, x->title && !x->error ? x->title : "");
        out_table_add(&t, x->error ? x->error : "");
    }
    rc = out_table_print(&t, fmt, stdout);
    if (rc || fmt == OUT_CSV)
        return rc;

    static const char *const ehead[] = {"event",     "kind",     "date",  "countries",
                                        "materials", "articles", "langs", "confirmed"};
    static const int eright[] = {0, 0, 0, 0, 0, 1, 0, 0};
    printf("\n");
    out_table_init(&t, 8, ehead, eright);
    for (size_t i = 0; i < r->n_events; i++) {
        const lode_news_event *e = &r->events[i];
        lode_buf c = LODE_BUF_INIT, m = LODE_BUF_INIT, l = LODE_BUF_INIT;
        lode_buf_add(&c, "", 0);
        lode_buf_add(&m, "", 0);
        lode_buf_add(&l, "", 0);
        for (size_t k = 0; k < e->n_countries; k++)
            lode_buf_printf(&c, "%s%s", k ? "," : "", e->countries[k]);
        for (size_t k = 0; k < e->n_materials; k++)
            lode_buf_printf(&m, "%s%s", k ? "," : "", e->materials[k]);
        for (size_t k = 0; k < e->n_langs; k++)
            lode_buf_printf(&l, "%s%s", k ? "," : "", e->langs[k]);
        out_table_add(&t, e->id);
        out_table_add(&t, lode_news_kind_name(e->kind));
        out_table_add(&t, e->date ? e->date : "");
        out_table_add(&t, c.data ? c.data : "");
        out_table_add(&t, m.data ? m.data : "");
        out_table_addf(&t, "%zu", e->n_articles);
        out_table_add(&t, l.data ? l.data : "");
        out_table_add(&t, e->confirmed ? (e->official ? "yes (official)" : "yes") : "no");
        lode_buf_free(&c);
        lode_buf_free(&m);
        lode_buf_free(&l);
    }
    rc = out_table_print(&t, OUT_TABLE, stdout);
    if (rc)
        return rc;
    for (int pass = 0; pass < 2; pass++) {
        const char *table = pass ? "policies" : "agreements";
        int first = 1;
        for (size_t i = 0; i < r->n_drafts; i++) {
            const lode_news_draft *d = &r->drafts[i];
            lode_buf b = LODE_BUF_INIT;
            if (strcmp(d->table, table) != 0)
                continue;
            if (first) {
                printf("\nDraft rows for data/%s.csv (review every field before importing):\n",
                       table);
                lode_csv_write_row(&b, d->columns, d->n_columns);
                first = 0;
            }
            draft_csv(&b, d);
            if (b.data)
                fputs(b.data, stdout);
            lode_buf_free(&b);
        }
    }
    printf("\nCountries: ISO3; materials: dataset ids (a generic \"rare earths\" is the set in "
           "docs/news.md). Events group articles of the same kind with the same parties and "
           "materials within the date window; confirmed = reported by enough distinct sources "
           "or an official one.\n");
    return 0;
}

int cmd_news(int argc, char **argv, lode_ctx *ctx)
{
    const char *lexpath = NULL, *date = NULL;
    int window = 3, sources = 2, rc = 0, stdin_used = 0;
    size_t n_io = 0; /* files the system would not let us open or read */
    char **files;
    size_t nf = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(news_usage, stdout);
        return 0;
    }
    files = calloc((size_t)argc, sizeof *files);
    if (files == NULL)
        return LODE_EIO;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lexicon") == 0 && i + 1 < argc) {
            lexpath = argv[++i];
        } else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc) {
            date = argv[++i];
        } else if ((strcmp(argv[i], "--window") == 0 || strcmp(argv[i], "--sources") == 0) &&
                   i + 1 < argc) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || v < 0 || v > 3660) {
                free(files);
                return cli_usage(news_usage, "news: bad %s '%s'", argv[i], argv[i + 1]);
            }
            *(strcmp(argv[i], "--window") == 0 ? &window : &sources) = (int)v;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            free(files);
            return cli_usage(news_usage, "news: unexpected argument '%s'", argv[i]);
        } else {
            if (strcmp(argv[i], "-") == 0 && stdin_used++) {
                free(files);
                return cli_usage(news_usage, "news: '-' (standard input) given twice");
            }
            files[nf++] = argv[i];
        }
    }
    if (nf == 0) {
        free(files);
        return cli_usage(news_usage, "news: no article files");
    }

    /* the lexicon, checked against the dataset's material ids */
    char path[4096];
    lode_buf lb = LODE_BUF_INIT;
    lode_err err = {0};
    lode_news_lexicon *lex = NULL;
    lode_news_langid *li = NULL;
    const lode_model *m = NULL;
    if (lexpath == NULL)
        snprintf(path, sizeof path, "%s/lexicon/news.csv", ctx->data_dir);
    else
        snprintf(path, sizeof path, "%s", lexpath);
    rc = cli_model(ctx, &m);
    if (rc) {
        free(files);
        return rc;
    }
    if (lode_file_read(path, &lb, &err) != LODE_OK ||
        lode_news_lexicon_parse(lb.data, lb.len, path, m, &lex, &err) != LODE_OK) {
        lode_buf_free(&lb);
        free(files);
        return cli_fail(&err);
    }
    lode_buf_free(&lb);
    {
        const char *dir = getenv("LODE_TEXTCAT_DIR");
        if (lode_news_langid_open(dir && *dir ? dir : "/usr/share/libexttextcat", &li, &err) !=
            LODE_OK) {
            char buf[1024];
            fprintf(stderr, "lode: news: %s; languages are told by script and lexicon only\n",
                    lode_err_fmt(&err, buf, sizeof buf));
            li = NULL;
        }
    }

    lode_news_input *in = calloc(nf, sizeof *in);
    char **bufs = calloc(nf, sizeof *bufs);
    char(*why)[160] = calloc(nf, sizeof *why);
    lode_news_opts o;
    lode_news_result res;
    lode_news_opts_default(&o);
    o.lex = lex;
    o.langid = li;
    o.window_days = window;
    o.min_sources = sources;
    o.default_date = date;
    if (in == NULL || bufs == NULL || why == NULL) {
        rc = LODE_EIO;
        fputs("lode: out of memory\n", stderr);
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        int is_stdin = strcmp(files[i], "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(files[i], "rb");
        struct stat sb;
        in[i].name = is_stdin ? "(stdin)" : files[i];
        if (f == NULL) {
            snprintf(why[i], sizeof why[i], "cannot open: %s", strerror(errno));
            in[i].error = why[i];
            n_io++;
            continue;
        }
        if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
            snprintf(why[i], sizeof why[i], "is a directory");
            in[i].error = why[i];
            n_io++;
        } else if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
                   (size_t)sb.st_size > o.max_bytes) {
            snprintf(why[i], sizeof why[i], "too large (%lld bytes; the limit is %zu)",
                     (long long)sb.st_size, o.max_bytes);
            in[i].error = why[i];
        } else {
            in[i].error = read_capped(f, o.max_bytes, &bufs[i], &in[i].len, why[i], sizeof why[i]);
            in[i].data = bufs[i];
            if (in[i].error != NULL && strncmp(in[i].error, "too large", 9) != 0)
                n_io++; /* a read error or out of memory; too large is the file's fault */
        }
        if (!is_stdin)
            fclose(f);
    }
    if (lode_news_run(in, nf, &o, ctx->arena, &res, &err) != LODE_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    for (size_t i = 0; i < res.n_articles; i++)
        if (res.articles[i].error)
            fprintf(stderr, "lode: news: %s: %s (skipped)\n", res.articles[i].file,
                    res.articles[i].error);
    if (ctx->fmt == OUT_JSON)
        rc = print_json(&res);
    else
        rc = print_tables(&res, ctx->fmt);
    if (rc == 0 && res.n_read == 0) {
        /* Exit 2 says the articles were bad; when not one file could even be opened or read,
         * the fault is the file system's (a wrong path, permissions): exit 4. */
        fputs("lode: news: no article could be read\n", stderr);
        rc = n_io == nf ? LODE_EIO : LODE_EINPUT;
    }
done:
    for (size_t i = 0; bufs && i < nf; i++)
        free(bufs[i]);
    free(bufs);
    free(why);
    free(in);
    free(files);
    lode_news_langid_close(li);
    lode_news_lexicon_free(lex);
    return rc;
}
