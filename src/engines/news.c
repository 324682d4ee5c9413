/* news.c: `lode news` from articles to events to draft policies (include/lode/news.h). Per
 * article: reject what is not text, read the Date:/Title:/Source: header, normalise (NFKC),
 * tokenize, identify the language, take out dates and amounts, then count the countries,
 * materials and event words the lexicon finds. Across articles: group reports of the same event
 * by kind, parties, materials and date (never by shared words, which differ by language), and
 * turn confirmed events into draft rows of policies.csv or agreements.csv for review. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "news_int.h"

enum { MAX_MENTIONS = 256, MAX_SET = 16 };

void lode_news_opts_default(lode_news_opts *o)
{
    memset(o, 0, sizeof *o);
    o->window_days = 3;
    o->min_country_sim = 0.5;
    o->min_material_sim = 0.5;
    o->min_sources = 2;
    o->max_bytes = LODE_NEWS_MAX_BYTES;
}

static lode_status nomem(lode_err *err)
{
    return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
}

static const char *afmt(lode_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *afmt(lode_arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return lode_arena_strdup(a, buf);
}

static const char *day_str(lode_arena *a, int32_t days)
{
    int y, m, d;
    news_civil(days, &y, &m, &d);
    return afmt(a, "%04d-%02d-%02d", y, m, d);
}

/* ---- the header --------------------------------------------------------------------------------
 */

typedef struct slice {
    const char *p;
    size_t n;
} slice;

typedef struct hdr {
    slice date, title, source, url, lang, official;
    size_t body; /* offset where the body starts */
} hdr;

static int key_is(const char *k, size_t n, const char *name)
{
    size_t i;
    for (i = 0; i < n && name[i]; i++) {
        char c = k[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != name[i])
            return 0;
    }
    return i == n && name[i] == '\0';
}

/* Leading "Key: value" lines, up to a blank line. Only an article whose first line is a known
 * key has a header ("WASHINGTON: ..." does not). */
static void parse_header(const char *s, size_t n, hdr *h)
{
    size_t p = 0;
    int any = 0;
    memset(h, 0, sizeof *h);
    while (p < n) {
        size_t e = p, le, k = p;
        while (e < n && s[e] != '\n')
            e++;
        le = e;
        if (le > p && s[le - 1] == '\r')
            le--;
        if (le == p) {
            if (any)
                p = e < n ? e + 1 : e;
            break;
        }
        while (k < le &&
               ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') || s[k] == '-'))
            k++;
        if (k == p || k >= le || s[k] != ':' || k - p > 20)
            break;
        size_t vs = k + 1, ve = le;
        while (vs < ve && (s[vs] == ' ' || s[vs] == '\t'))
            vs++;
        while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
            ve--;
        slice v = {s + vs, ve - vs}, *dst = NULL;
        const char *key = s + p;
        size_t kn = k - p;
        if (key_is(key, kn, "date") || key_is(key, kn, "published"))
            dst = &h->date;
        else if (key_is(key, kn, "title") || key_is(key, kn, "headline"))
            dst = &h->title;
        else if (key_is(key, kn, "source") || key_is(key, kn, "publisher"))
            dst = &h->source;
        else if (key_is(key, kn, "url") || key_is(key, kn, "link"))
            dst = &h->url;
        else if (key_is(key, kn, "lang") || key_is(key, kn, "language"))
            dst = &h->lang;
        else if (key_is(key, kn, "official"))
            dst = &h->official;
        if (dst == NULL && !any)
            break;
        if (dst)
            *dst = v;
        any = 1;
        p = e < n ? e + 1 : e;
    }
    h->body = any ? p : 0;
}

/* ---- one article ------------------------------------------------------------------------------
 */

typedef struct nrun {
    const lode_news_opts *o;
    const lode_news_lexicon *lx;
    nws ws;
    int *cn;    /* mentions per lexicon id */
    double *cw; /* weight per lexicon id */
    uint32_t *touched;
    size_t ntouched;
} nrun;

static void run_free(nrun *r)
{
    news_ws_free(&r->ws);
    free(r->cn);
    free(r->cw);
    free(r->touched);
}

static int run_init(nrun *r, const lode_news_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->lx = o->lex;
    size_t n = r->lx->nids ? r->lx->nids : 1;
    r->cn = calloc(n, sizeof *r->cn);
    r->cw = calloc(n, sizeof *r->cw);
    r->touched = calloc(n, sizeof *r->touched);
    return r->cn && r->cw && r->touched ? 0 : -1;
}

/* The first absolute date written in s[0..n), in any language of the lexicon. */
static int date_of_text(nrun *r, const char *s, size_t n, int32_t *days)
{
    nlang l;
    nmention *m = NULL;
    size_t nm = 0;
    int found = 0;
    if (news_parse_iso(s, n, days))
        return 1;
    if (news_utf8_check(s, n) < n || news_nfkc(&r->ws, s, n) != 0 || news_tokenize(&r->ws, 0) != 0)
        return 0;
    news_lang_set(r->lx, "und", &l);
    if (news_scan_tokens(r->lx, &r->ws, &l, 8, &m, &nm) == 0)
        for (size_t i = 0; i < nm && !found; i++)
            if (!m[i].is_amount && m[i].how == MD_ABS)
                found = news_mention_days(&m[i], INT32_MIN, days);
    free(m);
    return found;
}

static const char *reject(const char *data, size_t len, size_t max, char *why, size_t wl)
{
    size_t ctl = 0, bad;
    const char *nul;
    if (len > max) {
        snprintf(why, wl, "too large (%zu bytes; the limit is %zu)", len, max);
        return why;
    }
    if (len == 0)
        return "empty file";
    nul = memchr(data, 0, len);
    if (nul) {
        snprintf(why, wl, "binary file (NUL byte at offset %zu)", (size_t)(nul - data));
        return why;
    }
    bad = news_utf8_check(data, len);
    if (bad < len) {
        snprintf(why, wl, "invalid UTF-8 at byte %zu", bad);
        return why;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        ctl += (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ||
               c == 0x7F;
    }
    if (ctl > 4 && ctl * 100 > len) {
        snprintf(why, wl, "binary file (%zu control characters)", ctl);
        return why;
    }
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' &&
            data[i] != '\f' && data[i] != '\v')
            return NULL;
    return "empty file (white space only)";
}

static int mention_cmp(const void *a, const void *b)
{
    const lode_news_mention *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Countries or materials counted in r, sorted; NULL with *n 0 if none. */
static lode_news_mention *collect(nrun *r, int countries, lode_arena *a, size_t *n)
{
    size_t k = 0;
    lode_news_mention *v;
    *n = 0;
    for (size_t i = 0; i < r->ntouched; i++)
        k += r->lx->id_is_country[r->touched[i]] == countries;
    if (k == 0)
        return NULL;
    v = lode_arena_calloc(a, k, sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < r->ntouched; i++) {
        uint32_t id = r->touched[i];
        if (r->lx->id_is_country[id] != countries)
            continue;
        v[*n].id = r->lx->ids[id];
        v[*n].mentions = r->cn[id];
        v[*n].weight = r->cw[id];
        (*n)++;
    }
    qsort(v, *n, sizeof *v, mention_cmp);
    return v;
}

static lode_status analyse(nrun *r, const char *name, const char *data, size_t len, lode_arena *a,
                           lode_news_article *out, lode_err *err)
{
    const lode_news_lexicon *lx = r->lx;
    nws *ws = &r->ws;
    char why[160];
    const char *rej;
    hdr h;
    nlang l;
    nmention *m = NULL;
    size_t nm = 0, title_end = 0;
    int32_t anchor = INT32_MIN;
    double sub[5] = {0, 0, 0, 0, 0};
    size_t kind_first[LODE_NEWS_KIND_N];
    static const char *const subs[5] = {"ban", "licence", "quota", "tariff", "other"};

    memset(out, 0, sizeof *out);
    out->kind = -1;
    out->file = lode_arena_strdup(a, name ? name : "");
    if (out->file == NULL)
        return nomem(err);
    rej = reject(data, len, r->o->max_bytes, why, sizeof why);
    if (rej) {
        out->error = lode_arena_strdup(a, rej);
        return out->error ? LODE_OK : nomem(err);
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, len -= 3;
    parse_header(data, len, &h);

    /* the article's own date: the header, if it holds one */
    if (h.date.n && date_of_text(r, h.date.p, h.date.n, &anchor))
        out->date_source = "header";

    /* the text analysed: the header's title, a blank line, the body */
    {
        lode_buf t = LODE_BUF_INIT;
        if (h.title.n) {
            lode_buf_add(&t, h.title.p, h.title.n);
            lode_buf_add(&t, "\n\n", 2);
        }
        lode_buf_add(&t, data + h.body, len - h.body);
        int bad = t.oom || news_nfkc(ws, t.data ? t.data : "", t.len) != 0;
        lode_buf_free(&t);
        if (bad || news_tokenize(ws, 0) != 0)
            return nomem(err);
    }
    {
        const char *s = ws->text.data, *nl = memchr(s, '\n', ws->text.len);
        size_t first = nl ? (size_t)(nl - s) : ws->text.len;
        if (h.title.n || (nl && first <= 300))
            title_end = first;
        while (title_end > 0 && (s[title_end - 1] == ' ' || s[title_end - 1] == '\r'))
            title_end--;
        out->title = lode_arena_strndup(a, s, title_end);
        for (size_t i = 0; i < ws->n && ws->tok[i].off < title_end; i++)
            ws->tok[i].title = 1;
    }
    out->n_tokens = ws->n;
    {
        char src[512];
        size_t k = 0;
        slice sv = h.source.n ? h.source : h.url;
        for (size_t i = 0; i < sv.n && k + 1 < sizeof src; i++)
            src[k++] = sv.p[i];
        while (k > 0 && k < sv.n && ((unsigned char)sv.p[k] & 0xC0) == 0x80)
            k--; /* never cut a character in two */
        src[k] = '\0';
        out->source = lode_arena_strdup(a, src);
        if (h.official.n)
            out->official = key_is(h.official.p, h.official.n, "yes") ||
                            key_is(h.official.p, h.official.n, "true") ||
                            key_is(h.official.p, h.official.n, "1");
        else {
            /* official domains and publishers (lexicon kind "official") in Source:/URL: */
            for (int pass = 0; pass < 2 && !out->official; pass++) {
                slice v = pass ? h.url : h.source;
                uint32_t off, fl;
                /* folded like the lexicon's terms; appended after the tokens' folds */
                if (v.n == 0 || news_fold(ws, v.p, v.n, 0, &off, &fl) != 0)
                    continue;
                const char *f = ws->fold.data + off;
                for (size_t j = 0; j < lx->nofficial && !out->official; j++) {
                    const char *c = lx->e[lx->official[j]].code;
                    if (c && *c) {
                        size_t cl = strlen(c);
                        for (size_t i = 0; i + cl <= fl && !out->official; i++)
                            out->official = memcmp(f + i, c, cl) == 0;
                    }
                }
            }
        }
    }
    if (out->title == NULL || out->source == NULL)
        return nomem(err);

    {
        char hint[16] = "";
        if (h.lang.n && h.lang.n < sizeof hint) {
            memcpy(hint, h.lang.p, h.lang.n);
            hint[h.lang.n] = '\0';
        }
        news_lang_guess(lx, r->o->langid, ws, hint[0] ? hint : NULL, &l);
        out->lang = lode_arena_strdup(a, l.code);
        out->lang_method = l.method;
        if (out->lang == NULL)
            return nomem(err);
    }

    if (news_scan_tokens(lx, ws, &l, MAX_MENTIONS, &m, &nm) != 0) {
        free(m);
        return nomem(err);
    }
    if (anchor == INT32_MIN)
        for (size_t i = 0; i < nm; i++)
            if (!m[i].is_amount && m[i].how == MD_ABS) {
                news_mention_days(&m[i], INT32_MIN, &anchor);
                out->date_source = "text";
                break;
            }
    if (anchor == INT32_MIN && r->o->default_date &&
        news_parse_iso(r->o->default_date, strlen(r->o->default_date), &anchor))
        out->date_source = "default";
    if (anchor != INT32_MIN && (out->date = day_str(a, anchor)) == NULL) {
        free(m);
        return nomem(err);
    }

    /* dates and amounts as written, resolved */
    {
        size_t nd = 0, na = 0;
        int32_t ev = anchor;
        int have_ev = 0;
        for (size_t i = 0; i < nm; i++)
            *(m[i].is_amount ? &na : &nd) += 1;
        out->dates = lode_arena_calloc(a, nd ? nd : 1, sizeof *out->dates);
        out->amounts = lode_arena_calloc(a, na ? na : 1, sizeof *out->amounts);
        if (out->dates == NULL || out->amounts == NULL) {
            free(m);
            return nomem(err);
        }
        for (size_t i = 0; i < nm; i++) {
            const ntok *f = &ws->tok[m[i].first], *t = &ws->tok[m[i].last];
            const char *text =
                lode_arena_strndup(a, ws->text.data + f->off, t->off + t->len - f->off);
            int32_t d;
            if (text == NULL) {
                free(m);
                return nomem(err);
            }
            if (m[i].is_amount) {
                lode_news_amount *x = &out->amounts[out->n_amounts++];
                x->text = text;
                x->value = m[i].value;
                x->unit = m[i].unit;
            } else if (news_mention_days(&m[i], anchor, &d)) {
                lode_news_date *x = &out->dates[out->n_dates++];
                x->text = text;
                x->date = day_str(a, d);
                x->relative = m[i].how != MD_ABS;
                if (x->date == NULL) {
                    free(m);
                    return nomem(err);
                }
                if (!have_ev && anchor != INT32_MIN && d <= anchor && d >= anchor - 10)
                    ev = d, have_ev = 1;
            }
        }
        if (anchor != INT32_MIN && (out->event_date = day_str(a, ev)) == NULL) {
            free(m);
            return nomem(err);
        }
    }
    free(m);

    /* countries, materials and event words */
    {
        mctx c;
        lmatch mt;
        c.langs = l.mask;
        c.kinds = NKM(NK_COUNTRY) | NKM(NK_MATERIAL) | NKM(NK_EVENT);
        c.primary = l.primary;
        c.fuzzy = !l.exact_only;
        int title_events = 0;
        r->ntouched = 0;
        for (int k = 0; k < LODE_NEWS_KIND_N; k++)
            kind_first[k] = SIZE_MAX;
        for (size_t i = 0; i < ws->n; i++) {
            if (ws->tok[i].used || news_match(lx, ws, i, &c, &mt) == 0)
                continue;
            double w = ws->tok[i].title ? 3.0 : 1.0;
            /* The headline names its event first: later event words in it weigh 2, not 3
             * ("Gallium price jumps on fear of Chinese export curbs" is a price move). */
            int has_event = 0;
            for (uint32_t k = 0; k < mt.n; k++)
                has_event |= lx->e[mt.ids[k]].kind == NK_EVENT;
            double we = ws->tok[i].title && has_event ? (title_events++ ? 2.0 : 3.0) : 1.0;
            uint32_t seen[NEWS_MAX_MATCH * 4];
            size_t nseen = 0;
            unsigned kinds_seen = 0, subs_seen = 0;
            for (uint32_t k = 0; k < mt.n; k++) {
                const lentry *e = &lx->e[mt.ids[k]];
                if (e->kind == NK_EVENT) {
                    if (!(kinds_seen >> e->ev & 1))
                        out->kind_score[e->ev] += we;
                    if (kind_first[e->ev] == SIZE_MAX)
                        kind_first[e->ev] = i;
                    kinds_seen |= 1u << e->ev;
                    for (int s = 0; e->code && s < 5; s++)
                        if (strcmp(e->code, subs[s]) == 0 && !(subs_seen >> s & 1)) {
                            sub[s] += we;
                            subs_seen |= 1u << s;
                        }
                    continue;
                }
                for (uint32_t j = 0; j < e->nids; j++) {
                    uint32_t id = e->ids[j];
                    size_t q;
                    for (q = 0; q < nseen; q++)
                        if (seen[q] == id)
                            break;
                    if (q < nseen || nseen == sizeof seen / sizeof seen[0])
                        continue;
                    seen[nseen++] = id;
                    if (r->cn[id] == 0)
                        r->touched[r->ntouched++] = id;
                    r->cn[id]++;
                    r->cw[id] += w;
                }
            }
            i += mt.ntok - 1;
        }
        if (ws->oom)
            return nomem(err);
        out->countries = collect(r, 1, a, &out->n_countries);
        out->materials = collect(r, 0, a, &out->n_materials);
        for (size_t i = 0; i < r->ntouched; i++) {
            r->cn[r->touched[i]] = 0;
            r->cw[r->touched[i]] = 0;
        }
        if ((out->n_countries == 0) != (out->countries == NULL) ||
            (out->n_materials == 0) != (out->materials == NULL))
            return nomem(err);
    }
    {
        /* the highest score; on a tie, the kind named first (news puts the event first) */
        double best = 0;
        for (int k = 0; k < LODE_NEWS_KIND_N; k++)
            if (out->kind_score[k] > best || (out->kind >= 0 && out->kind_score[k] == best &&
                                              kind_first[k] < kind_first[out->kind])) {
                best = out->kind_score[k];
                out->kind = k;
            }
        if (out->kind == LODE_NEWS_EXPORT_CONTROL) {
            double bs = 0;
            for (int s = 0; s < 4; s++)
                if (sub[s] > bs) {
                    bs = sub[s];
                    out->subkind = subs[s];
                }
        }
    }
    return LODE_OK;
}

lode_status lode_news_article_parse(const lode_news_opts *o, const char *name, const char *data,
                                    size_t len, lode_arena *a, lode_news_article *out,
                                    lode_err *err)
{
    nrun r;
    lode_status st;
    if (o == NULL || o->lex == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "no lexicon");
    if (run_init(&r, o) != 0) {
        run_free(&r);
        return nomem(err);
    }
    st = analyse(&r, name, data ? data : "", data ? len : 0, a, out, err);
    run_free(&r);
    return st;
}

/* ---- grouping ----------------------------------------------------------------------------------
 */

/* The countries (or materials) that matter in an article: half the top weight or more (China
 * named in passing in a report of a US-Japan deal does not make it a party). */
typedef struct sal {
    const char *c[MAX_SET], *m[MAX_SET];
    size_t nc, nm;
    int32_t day;
    int has_day;
} sal;

static size_t salient(const lode_news_mention *v, size_t n, const char **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < MAX_SET; i++)
        if (v[i].weight >= 0.5 * v[0].weight)
            out[k++] = v[i].id;
    return k;
}

static size_t inter(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    size_t k = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (strcmp(a[i], b[j]) == 0) {
                k++;
                break;
            }
    return k;
}

typedef struct grp {
    int kind, has_day;
    int32_t anchor;
    size_t *mem;
    size_t n, cap;
    const char *c[MAX_SET], *m[MAX_SET];
    size_t nc, nm;
} grp;

static double weight_in(const lode_news_mention *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return v[i].weight;
    return 0;
}

typedef struct tally {
    const char *id;
    size_t count;
    double w;
} tally;

static int tally_cmp(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The group's parties (mat = 0) or materials (mat = 1): those salient in more than half of its
 * articles, by summed weight; if none is, the three heaviest. */
static size_t core(const lode_news_article *arts, const sal *S, const size_t *mem, size_t nmem,
                   int mat, const char **out)
{
    tally t[4 * MAX_SET];
    size_t nt = 0, k = 0;
    for (size_t i = 0; i < nmem; i++) {
        const sal *s = &S[mem[i]];
        const lode_news_article *a = &arts[mem[i]];
        size_t n = mat ? s->nm : s->nc;
        for (size_t j = 0; j < n; j++) {
            const char *id = mat ? s->m[j] : s->c[j];
            size_t q;
            for (q = 0; q < nt; q++)
                if (strcmp(t[q].id, id) == 0)
                    break;
            if (q == nt) {
                if (nt == sizeof t / sizeof t[0])
                    continue;
                t[nt].id = id, t[nt].count = 0, t[nt].w = 0;
                nt++;
            }
            t[q].count++;
            t[q].w += mat ? weight_in(a->materials, a->n_materials, id)
                          : weight_in(a->countries, a->n_countries, id);
        }
    }
    if (nt == 0)
        return 0;
    qsort(t, nt, sizeof *t, tally_cmp);
    for (size_t q = 0; q < nt && k < MAX_SET; q++)
        if (t[q].count * 2 > nmem)
            out[k++] = t[q].id;
    for (size_t q = 0; k == 0 && q < nt && q < 3; q++)
        out[q] = t[q].id, k = q + 1;
    return k;
}

static int group_add(grp *g, size_t art)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        size_t *p = realloc(g->mem, cap * sizeof *p);
        if (p == NULL)
            return -1;
        g->mem = p;
        g->cap = cap;
    }
    g->mem[g->n++] = art;
    return 0;
}

typedef struct order {
    int32_t day;
    int has_day;
    const char *file;
    size_t i;
} order;

static int order_cmp(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->has_day != y->has_day)
        return x->has_day ? -1 : 1;
    if (x->has_day && x->day != y->day)
        return x->day < y->day ? -1 : 1;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int event_cmp(const void *a, const void *b)
{
    const lode_news_event *x = a, *y = b;
    const char *dx = x->date ? x->date : "9999", *dy = y->date ? y->date : "9999";
    int c = strcmp(dx, dy);
    return c ? c : strcmp(x->id, y->id);
}

/* ---- drafts ------------------------------------------------------------------------------------
 */

static const char *const policy_cols[] = {"id",        "country",        "title",   "notice_no",
                                          "materials", "kind",           "targets", "announced",
                                          "effective", "suspended_from", "ends",    "severity_note",
                                          "source",    "confidence",     "note"};
static const char *const agreement_cols[] = {"id",         "parties",     "title", "signed",
                                             "place",      "commitments", "money", "source",
                                             "confidence", "note"};

static const char *join(lode_arena *a, const char *const *v, size_t n, const char *sep)
{
    lode_buf b = LODE_BUF_INIT;
    const char *s;
    lode_buf_add(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            lode_buf_puts(&b, sep);
        lode_buf_puts(&b, v[i]);
    }
    s = b.oom ? NULL : lode_arena_strdup(a, b.data);
    lode_buf_free(&b);
    return s;
}

static lode_status draft(const lode_news_result *res, size_t ei, lode_arena *a, lode_news_draft *d,
                         int *made, lode_err *err)
{
    const lode_news_event *ev = &res->events[ei];
    const lode_news_article *first = &res->articles[ev->articles[0]];
    lode_buf src = LODE_BUF_INIT, note = LODE_BUF_INIT;
    const char *title = NULL, *money = "";
    double money_v = -1;
    int is_agr = ev->kind == LODE_NEWS_AGREEMENT;
    double sub[4] = {0, 0, 0, 0};
    static const char *const subs[4] = {"ban", "licence", "quota", "tariff"};
    *made = 0;
    if (ev->n_countries == 0 || ev->date == NULL)
        return LODE_OK;
    lode_buf_puts(&src, "lode news draft from ");
    for (size_t i = 0; i < ev->n_articles; i++) {
        const lode_news_article *x = &res->articles[ev->articles[i]];
        lode_buf_printf(&src, "%s%s (%s, %s%s%s)", i ? "; " : "", x->file, x->lang,
                        x->date ? x->date : "undated", x->source && *x->source ? ", " : "",
                        x->source ? x->source : "");
        if (title == NULL && x->lang && strcmp(x->lang, "en") == 0 && x->title && *x->title)
            title = x->title;
        for (int s = 0; x->subkind && s < 4; s++)
            sub[s] += strcmp(x->subkind, subs[s]) == 0;
        for (size_t k = 0; k < x->n_amounts; k++) {
            const lode_news_amount *am = &x->amounts[k];
            double v = am->value * (strcmp(am->unit, "USD") == 0 ? 1.0 : 1e-3);
            /* the largest sum; as written in English when an English report gives it */
            if (strcmp(am->unit, "t") != 0 && strcmp(am->unit, "%") != 0 &&
                (v > money_v || (v == money_v && strcmp(x->lang, "en") == 0)))
                money_v = v, money = am->text;
        }
    }
    if (title == NULL)
        title = first->title && *first->title ? first->title : NULL;
    lode_buf_printf(&note,
                    "DRAFT for review, machine-extracted by lode news: %s event reported by %zu "
                    "article(s) from %zu source(s) in %zu language(s)",
                    lode_news_kind_name(ev->kind), ev->n_articles, ev->n_sources, ev->n_langs);
    {
        const char *mats = join(a, ev->materials, ev->n_materials, ";");
        const char *others = join(a, ev->countries + 1, ev->n_countries - 1, ";");
        if (mats == NULL || others == NULL)
            note.oom = 1;
        else if (ev->n_materials)
            lode_buf_printf(&note, "; materials named: %s", mats);
        if (others && !is_agr && ev->n_countries > 1)
            lode_buf_printf(&note, "; other countries named: %s", others);
    }
    lode_buf_puts(&note, ". Check every field against the sources before importing.");

    const char *id_tail = is_agr ? join(a, ev->countries, ev->n_countries, "-") : ev->countries[0];
    const char *id = afmt(a, "DRAFT-%s-%s", id_tail ? id_tail : "", ev->date);
    const char *conf = ev->official ? "secondary" : "secondary_low";
    if (title == NULL)
        title = afmt(a, "%s reported on %s", lode_news_kind_name(ev->kind), ev->date);
    if (src.oom || note.oom) {
        lode_buf_free(&src);
        lode_buf_free(&note);
        return nomem(err);
    }
    d->event = ei;
    if (is_agr) {
        d->table = "agreements";
        d->columns = agreement_cols;
        d->n_columns = sizeof agreement_cols / sizeof agreement_cols[0];
    } else {
        d->table = "policies";
        d->columns = policy_cols;
        d->n_columns = sizeof policy_cols / sizeof policy_cols[0];
    }
    d->values = lode_arena_calloc(a, d->n_columns, sizeof *d->values);
    if (d->values == NULL) {
        lode_buf_free(&src);
        lode_buf_free(&note);
        return nomem(err);
    }
    for (size_t k = 0; k < d->n_columns; k++)
        d->values[k] = "";
    const char *srcs = lode_arena_strdup(a, src.data), *notes = lode_arena_strdup(a, note.data);
    lode_buf_free(&src);
    lode_buf_free(&note);
    if (is_agr) {
        d->values[0] = id;
        d->values[1] = join(a, ev->countries, ev->n_countries, ";");
        d->values[2] = title;
        d->values[3] = ev->date;
        d->values[6] = money;
        d->values[7] = srcs;
        d->values[8] = conf;
        d->values[9] = notes;
    } else {
        const char *kind = "other";
        double bs = 0;
        for (int s = 0; ev->kind == LODE_NEWS_EXPORT_CONTROL && s < 4; s++)
            if (sub[s] > bs)
                bs = sub[s], kind = subs[s];
        d->values[0] = id;
        d->values[1] = ev->countries[0];
        d->values[2] = title;
        d->values[4] = join(a, ev->materials, ev->n_materials, ";");
        d->values[5] = kind;
        d->values[7] = ev->date;
        d->values[12] = srcs;
        d->values[13] = conf;
        d->values[14] = notes;
    }
    for (size_t k = 0; k < d->n_columns; k++)
        if (d->values[k] == NULL)
            return nomem(err);
    *made = 1;
    return LODE_OK;
}

/* ---- the run -----------------------------------------------------------------------------------
 */

static lode_status group_all(const lode_news_opts *o, lode_news_result *res, lode_arena *a,
                             lode_err *err)
{
    size_t n = res->n_articles, ng = 0;
    sal *S = calloc(n ? n : 1, sizeof *S);
    order *ord = calloc(n ? n : 1, sizeof *ord);
    grp *G = calloc(n ? n : 1, sizeof *G);
    const char **bases = calloc(n ? n : 1, sizeof *bases);
    lode_status st = LODE_OK;
    if (S == NULL || ord == NULL || G == NULL || bases == NULL) {
        st = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const lode_news_article *x = &res->articles[i];
        S[i].nc = salient(x->countries, x->n_countries, S[i].c);
        S[i].nm = salient(x->materials, x->n_materials, S[i].m);
        S[i].has_day = x->event_date && news_parse_iso(x->event_date, 10, &S[i].day);
        ord[i].day = S[i].day;
        ord[i].has_day = S[i].has_day;
        ord[i].file = x->file;
        ord[i].i = i;
    }
    qsort(ord, n, sizeof *ord, order_cmp);
    for (size_t q = 0; q < n; q++) {
        size_t i = ord[q].i;
        const lode_news_article *x = &res->articles[i];
        const sal *s = &S[i];
        long best = -1;
        double best_score = -1;
        if (x->error || x->kind < 0 || (s->nc == 0 && s->nm == 0))
            continue;
        for (size_t g = 0; g < ng; g++) {
            grp *gr = &G[g];
            double score = 0;
            int common = 0;
            if (gr->kind != x->kind || gr->has_day != s->has_day)
                continue;
            if (s->has_day && labs((long)(s->day - gr->anchor)) > o->window_days)
                continue;
            if (s->nc && gr->nc) {
                size_t k = inter(s->c, s->nc, gr->c, gr->nc);
                double j = (double)k / (double)(s->nc + gr->nc - k);
                if (j < o->min_country_sim)
                    continue;
                score += j;
                common = 1;
            }
            if (s->nm && gr->nm) {
                size_t k = inter(s->m, s->nm, gr->m, gr->nm);
                double ov = (double)k / (double)(s->nm < gr->nm ? s->nm : gr->nm);
                if (ov < o->min_material_sim)
                    continue;
                score += ov;
                common = 1;
            }
            if (common && score > best_score)
                best_score = score, best = (long)g;
        }
        if (best < 0) {
            best = (long)ng++;
            G[best].kind = x->kind;
            G[best].has_day = s->has_day;
            G[best].anchor = s->day;
        }
        grp *gr = &G[best];
        if (group_add(gr, i) != 0) {
            st = nomem(err);
            goto done;
        }
        gr->nc = core(res->articles, S, gr->mem, gr->n, 0, gr->c);
        gr->nm = core(res->articles, S, gr->mem, gr->n, 1, gr->m);
    }

    res->events = lode_arena_calloc(a, ng ? ng : 1, sizeof *res->events);
    res->drafts = lode_arena_calloc(a, ng ? ng : 1, sizeof *res->drafts);
    if (res->events == NULL || res->drafts == NULL) {
        st = nomem(err);
        goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        grp *gr = &G[g];
        lode_news_event *ev = &res->events[g];
        const char *langs[64], *srcs[64];
        size_t nl = 0, ns = 0;
        int32_t days[64];
        size_t nd = 0;
        ev->kind = gr->kind;
        ev->articles = lode_arena_calloc(a, gr->n, sizeof *ev->articles);
        ev->countries = lode_arena_calloc(a, gr->nc ? gr->nc : 1, sizeof *ev->countries);
        ev->materials = lode_arena_calloc(a, gr->nm ? gr->nm : 1, sizeof *ev->materials);
        if (ev->articles == NULL || ev->countries == NULL || ev->materials == NULL) {
            st = nomem(err);
            goto done;
        }
        /* members in input order */
        for (size_t k = 0; k < gr->n; k++)
            ev->articles[k] = gr->mem[k];
        for (size_t k = 1; k < gr->n; k++)
            for (size_t j = k; j > 0 && ev->articles[j - 1] > ev->articles[j]; j--) {
                size_t t = ev->articles[j];
                ev->articles[j] = ev->articles[j - 1];
                ev->articles[j - 1] = t;
            }
        ev->n_articles = gr->n;
        memcpy(ev->countries, gr->c, gr->nc * sizeof *gr->c);
        ev->n_countries = gr->nc;
        memcpy(ev->materials, gr->m, gr->nm * sizeof *gr->m);
        ev->n_materials = gr->nm;
        for (size_t k = 0; k < gr->n; k++) {
            const lode_news_article *x = &res->articles[gr->mem[k]];
            const char *sk = x->source && *x->source ? x->source : x->file;
            size_t j;
            for (j = 0; j < nl; j++)
                if (strcmp(langs[j], x->lang) == 0)
                    break;
            if (j == nl && nl < 64)
                langs[nl++] = x->lang;
            for (j = 0; j < ns; j++)
                if (strcmp(srcs[j], sk) == 0)
                    break;
            if (j == ns && ns < 64)
                srcs[ns++] = sk;
            if (S[gr->mem[k]].has_day && nd < 64)
                days[nd++] = S[gr->mem[k]].day;
            ev->official |= x->official;
        }
        qsort(langs, nl, sizeof *langs, str_cmp);
        ev->langs = lode_arena_calloc(a, nl ? nl : 1, sizeof *ev->langs);
        if (ev->langs == NULL) {
            st = nomem(err);
            goto done;
        }
        memcpy(ev->langs, langs, nl * sizeof *langs);
        ev->n_langs = nl;
        ev->n_sources = ns;
        ev->confirmed = ev->official || ns >= (size_t)o->min_sources;
        /* the date most articles give; the earliest of those on a tie */
        if (nd) {
            int32_t best = days[0];
            size_t bc = 0;
            for (size_t k = 0; k < nd; k++) {
                size_t c = 0;
                for (size_t j = 0; j < nd; j++)
                    c += days[j] == days[k];
                if (c > bc || (c == bc && days[k] < best))
                    bc = c, best = days[k];
            }
            ev->date = day_str(a, best);
            if (ev->date == NULL) {
                st = nomem(err);
                goto done;
            }
        }
        {
            const char *ids[4];
            size_t ni = 0;
            for (size_t k = 0; k < ev->n_countries && ni < 4; k++)
                ids[ni++] = ev->countries[k];
            if (ni == 0)
                for (size_t k = 0; k < ev->n_materials && ni < 2; k++)
                    ids[ni++] = ev->materials[k];
            qsort(ids, ni, sizeof *ids, str_cmp);
            const char *tail = join(a, ids, ni, "-");
            /* the same date, kind and parties twice: -2, -3, ... in creation order */
            bases[g] = afmt(a, "EV-%s-%s%s%s", ev->date ? ev->date : "undated",
                            lode_news_kind_name(ev->kind), ni ? "-" : "", tail ? tail : "");
            if (bases[g] == NULL || tail == NULL) {
                st = nomem(err);
                goto done;
            }
            size_t same = 0;
            for (size_t k = 0; k < g; k++)
                same += strcmp(bases[k], bases[g]) == 0;
            ev->id = same ? afmt(a, "%s-%zu", bases[g], same + 1) : bases[g];
            if (ev->id == NULL) {
                st = nomem(err);
                goto done;
            }
        }
    }
    res->n_events = ng;
    qsort(res->events, ng, sizeof *res->events, event_cmp);
    for (size_t e = 0; e < ng; e++) {
        const lode_news_event *ev = &res->events[e];
        int made;
        if (!ev->confirmed ||
            (ev->kind != LODE_NEWS_AGREEMENT && ev->kind != LODE_NEWS_EXPORT_CONTROL &&
             ev->kind != LODE_NEWS_STOCKPILE))
            continue;
        st = draft(res, e, a, &res->drafts[res->n_drafts], &made, err);
        if (st != LODE_OK)
            goto done;
        res->n_drafts += (size_t)made;
    }
done:
    for (size_t g = 0; G && g < ng; g++)
        free(G[g].mem);
    free(G);
    free(S);
    free(ord);
    free(bases);
    return st;
}

lode_status lode_news_run(const lode_news_input *in, size_t n, const lode_news_opts *o,
                          lode_arena *a, lode_news_result *out, lode_err *err)
{
    nrun r;
    lode_status st = LODE_OK;
    int32_t dd;
    memset(out, 0, sizeof *out);
    if (o == NULL || o->lex == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "no lexicon");
    if (o->default_date && !news_parse_iso(o->default_date, strlen(o->default_date), &dd))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "date", "expected YYYY-MM-DD, got \"%s\"",
                         o->default_date);
    if (o->window_days < 0 || !(o->min_country_sim >= 0) || !(o->min_material_sim >= 0))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "bad grouping options");
    out->articles = lode_arena_calloc(a, n ? n : 1, sizeof *out->articles);
    if (out->articles == NULL)
        return nomem(err);
    if (run_init(&r, o) != 0) {
        run_free(&r);
        return nomem(err);
    }
    for (size_t i = 0; i < n && st == LODE_OK; i++) {
        lode_news_article *x = &out->articles[i];
        if (in[i].error) {
            memset(x, 0, sizeof *x);
            x->kind = -1;
            x->file = lode_arena_strdup(a, in[i].name ? in[i].name : "");
            x->error = lode_arena_strdup(a, in[i].error);
            if (x->file == NULL || x->error == NULL)
                st = nomem(err);
        } else {
            st = analyse(&r, in[i].name, in[i].data ? in[i].data : "", in[i].data ? in[i].len : 0,
                         a, x, err);
        }
        out->n_read += st == LODE_OK && x->error == NULL;
    }
    out->n_articles = n;
    run_free(&r);
    if (st == LODE_OK)
        st = group_all(o, out, a, err);
    return st;
}

lode_status lode_news_scan(const lode_news_lexicon *lx, const char *lang, const char *text,
                           size_t len, const char *anchor, lode_arena *a, lode_news_date **dates,
                           size_t *n_dates, lode_news_amount **amounts, size_t *n_amounts,
                           lode_err *err)
{
    nws ws;
    nlang l;
    nmention *m = NULL;
    size_t nm = 0, nd = 0, na = 0;
    int32_t an = INT32_MIN;
    lode_status st = LODE_OK;
    *dates = NULL;
    *amounts = NULL;
    *n_dates = *n_amounts = 0;
    if (lx == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "no lexicon");
    if (news_utf8_check(text, len) < len)
        return LODE_FAIL(err, LODE_EINPUT, "", 0, "text", "invalid UTF-8 at byte %zu",
                         news_utf8_check(text, len));
    if (anchor && !news_parse_iso(anchor, strlen(anchor), &an))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "anchor", "expected YYYY-MM-DD");
    memset(&ws, 0, sizeof ws);
    news_lang_set(lx, lang ? lang : "und", &l);
    if (news_nfkc(&ws, text, len) != 0 || news_tokenize(&ws, 0) != 0 ||
        news_scan_tokens(lx, &ws, &l, MAX_MENTIONS, &m, &nm) != 0) {
        st = nomem(err);
        goto done;
    }
    *dates = lode_arena_calloc(a, nm ? nm : 1, sizeof **dates);
    *amounts = lode_arena_calloc(a, nm ? nm : 1, sizeof **amounts);
    if (*dates == NULL || *amounts == NULL) {
        st = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < nm; i++) {
        const ntok *f = &ws.tok[m[i].first], *t = &ws.tok[m[i].last];
        const char *s = lode_arena_strndup(a, ws.text.data + f->off, t->off + t->len - f->off);
        int32_t d;
        if (s == NULL) {
            st = nomem(err);
            goto done;
        }
        if (m[i].is_amount) {
            (*amounts)[na].text = s;
            (*amounts)[na].value = m[i].value;
            (*amounts)[na].unit = m[i].unit;
            na++;
        } else if (news_mention_days(&m[i], an, &d)) {
            (*dates)[nd].text = s;
            (*dates)[nd].date = day_str(a, d);
            (*dates)[nd].relative = m[i].how != MD_ABS;
            if ((*dates)[nd].date == NULL) {
                st = nomem(err);
                goto done;
            }
            nd++;
        }
    }
    *n_dates = nd;
    *n_amounts = na;
done:
    free(m);
    news_ws_free(&ws);
    return st;
}
