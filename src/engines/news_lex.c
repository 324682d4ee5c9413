/* news_lex.c: the multilingual lexicon (data/lexicon/news.csv) compiled for matching, and the
 * matcher. Each term is tokenized and folded exactly as article text is, and stemmed with its
 * language's Snowball stemmer where libstemmer has one; hash indexes then find, for a text
 * token, the terms that can start there: by whole folded form, by stem, by a '*' wildcard
 * prefix, or by a shared prefix for inflected names ("Japonii" for "Japonia"). The longest
 * term wins, so "Korea Północna" is North Korea and not Korea. */
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "lode/table.h"
#include "news_int.h"

enum { KT_EXACT = 1, KT_PREFIX, KT_FUZZ, KT_STEM };
enum { MAX_TERM_TOKENS = 32 }; /* CJK terms count characters */
/* Inflection by shared prefix: a name of FUZZY_MIN letters or more matches a word that shares all
 * but its last letter and ends in at most three more ("Japonii" for "Japonia", "Kanadzie" for
 * "Kanada"). Shorter names must match whole or by stem: "Palau" is not "Palace". */
enum { FUZZY_MIN = 6 };

static const char *const kind_names[NK_N] = {
    "country",  "material", "event",     "month",    "weekday",  "relative_day", "unit",
    "currency", "scale",    "connector", "datepart", "official", "decimal"};

static const char *const event_names[LODE_NEWS_KIND_N] = {
    "export_control", "agreement", "stockpile", "investment", "outage", "price"};

const char *lode_news_kind_name(int kind)
{
    return kind >= 0 && kind < LODE_NEWS_KIND_N ? event_names[kind] : NULL;
}

/* ---- hashing ----------------------------------------------------------------------------------
 */

static uint64_t h_start(int ktype, int lang)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (uint64_t)(unsigned)ktype) * 1099511628211ULL;
    h = (h ^ (uint64_t)(unsigned)lang) * 1099511628211ULL;
    return h;
}

static uint64_t h_add(uint64_t h, unsigned char c)
{
    return (h ^ c) * 1099511628211ULL;
}

static uint64_t h_key(int ktype, int lang, const char *k, size_t n)
{
    uint64_t h = h_start(ktype, lang);
    for (size_t i = 0; i < n; i++)
        h = h_add(h, (unsigned char)k[i]);
    return h;
}

static const lslot *lookup(const lode_news_lexicon *lx, uint64_t h, int ktype, int lang,
                           const char *k, size_t n)
{
    size_t mask = lx->nslots - 1;
    if (lx->nslots == 0)
        return NULL;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const lslot *s = &lx->slots[i];
        if (!s->used)
            return NULL;
        if (s->h == h && s->ktype == ktype && s->lang == lang && s->keylen == n &&
            memcmp(s->key, k, n) == 0)
            return s;
    }
}

/* ---- stems -------------------------------------------------------------------------------------
 */

struct sb_stemmer *news_stemmer(nws *ws, const lode_news_lexicon *lx, int l)
{
    if (l < 0 || (size_t)l >= lx->nlang || !lx->has_stemmer[l])
        return NULL;
    if (!ws->stem_tried[l]) {
        ws->stem_tried[l] = 1;
        ws->stemmer[l] = sb_stemmer_new(lx->langs[l], "UTF_8");
    }
    return ws->stemmer[l];
}

/* Stem of s[0..n) in language l, folded, appended to ws->fold. 0 (and *off, *len), 1 if there is
 * none, -1 when out of memory. */
static int stem_of(nws *ws, const lode_news_lexicon *lx, int l, const char *s, size_t n,
                   uint32_t *off, uint32_t *len)
{
    struct sb_stemmer *st = news_stemmer(ws, lx, l);
    uint32_t mo, ml;
    int r;
    if (st == NULL)
        return 1;
    ws->stems.len = 0;
    r = news_fold(ws, s, n, 1, &mo, &ml);
    if (r != 0)
        return r;
    const sb_symbol *out = sb_stemmer_stem(st, (const sb_symbol *)ws->stems.data + mo, (int)ml);
    if (out == NULL)
        return -1;
    int sl = sb_stemmer_length(st);
    if (sl <= 0)
        return 1;
    r = news_fold(ws, (const char *)out, (size_t)sl, 0, off, len);
    return r;
}

/* The stem of text token t in language l (computed once). NULL if none. */
static const char *tok_stem(nws *ws, const lode_news_lexicon *lx, int l, ntok *t, uint32_t *len)
{
    if (t->slen == UINT32_MAX) {
        uint32_t off = 0, sl = 0;
        int r = stem_of(ws, lx, l, ws->text.data + t->off, t->len, &off, &sl);
        if (r < 0)
            ws->oom = 1;
        t->stem = off;
        t->slen = r == 0 ? sl : 0;
    }
    *len = t->slen;
    return t->slen ? ws->fold.data + t->stem : NULL;
}

static size_t lcp_cps(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, k = 0;
    while (i < na && i < nb && a[i] == b[i]) {
        i++;
        /* count a code point once all its bytes matched */
        if ((i == na || ((unsigned char)a[i] & 0xC0) != 0x80) &&
            (i == nb || ((unsigned char)b[i] & 0xC0) != 0x80))
            k++;
    }
    return k;
}

static int has_sub(const char *h, size_t nh, const char *nd, size_t nn)
{
    if (nn == 0)
        return 1;
    for (size_t i = 0; i + nn <= nh; i++)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0)
            return 1;
    return 0;
}

static int sep_ok(int term, int text)
{
    if (term == text)
        return 1;
    if (term == SEP_SPACE || term == SEP_HYPHEN)
        return text == SEP_SPACE || text == SEP_HYPHEN || text == SEP_NONE;
    return 0;
}

/* Quality with which pattern p of entry e matches token t; 0 if it does not. */
static int pat_match(const lode_news_lexicon *lx, nws *ws, const lentry *e, const lpat *p, ntok *t,
                     const mctx *c)
{
    if (p->type != t->type || t->flen == 0)
        return 0;
    if (t->type != LODE_NT_WORD)
        return t->flen == p->flen && memcmp(ws->fold.data + t->fold, p->form, p->flen) == 0 ? 400
                                                                                            : 0;
    if (e->cs) {
        const char *o = ws->text.data + t->off;
        if (p->mode == PM_PREFIX)
            return t->len >= p->olen && memcmp(o, p->orig, p->olen) == 0 ? 200 : 0;
        return t->len == p->olen && memcmp(o, p->orig, p->olen) == 0 ? 400 : 0;
    }
    const char *f = ws->fold.data + t->fold;
    switch (p->mode) {
    case PM_PREFIX:
        return t->flen >= p->flen && memcmp(f, p->form, p->flen) == 0
                   ? 200 + (int)(p->flen < 99 ? p->flen : 99)
                   : 0;
    case PM_SUFFIX:
        return t->flen >= p->flen && memcmp(f + t->flen - p->flen, p->form, p->flen) == 0
                   ? 200 + (int)(p->flen < 99 ? p->flen : 99)
                   : 0;
    case PM_INFIX:
        return has_sub(f, t->flen, p->form, p->flen) ? 200 + (int)(p->flen < 99 ? p->flen : 99) : 0;
    default:
        break;
    }
    if (t->flen == p->flen && memcmp(f, p->form, p->flen) == 0)
        return 400;
    if (p->stem && e->lang == c->primary) {
        uint32_t sl;
        const char *s = tok_stem(ws, lx, c->primary, t, &sl);
        if (s && sl == p->slen && memcmp(s, p->stem, sl) == 0)
            return 300;
        f = ws->fold.data + t->fold; /* the fold buffer may have moved */
    }
    if (e->fuzzy && c->fuzzy && p->cps >= FUZZY_MIN) {
        size_t l = lcp_cps(f, t->flen, p->form, p->flen);
        size_t k = (size_t)p->cps - 1;
        if (l >= k && (size_t)t->cps - l <= (size_t)p->cps - l + 3)
            return 100 + (int)(l < 99 ? l : 99);
    }
    return 0;
}

typedef struct cands {
    uint32_t id[256];
    size_t n;
} cands;

static void cand_add_slot(const lode_news_lexicon *lx, cands *cs, const lslot *s)
{
    if (s == NULL)
        return;
    for (uint32_t k = 0; k < s->count; k++) {
        uint32_t id = lx->lists[s->start + k];
        size_t j;
        for (j = 0; j < cs->n; j++)
            if (cs->id[j] == id)
                break;
        if (j == cs->n && cs->n < 256)
            cs->id[cs->n++] = id;
    }
}

static int utf8_boundary(const char *f, size_t n, size_t at)
{
    return at >= n || ((unsigned char)f[at] & 0xC0) != 0x80;
}

uint32_t news_match(const lode_news_lexicon *lx, nws *ws, size_t i, const mctx *c, lmatch *out)
{
    ntok *t = &ws->tok[i];
    cands cs;
    out->ntok = 0;
    out->quality = 0;
    out->n = 0;
    if (t->used || t->flen == 0)
        return 0;
    cs.n = 0;
    {
        const char *f = ws->fold.data + t->fold;
        cand_add_slot(lx, &cs, lookup(lx, h_key(KT_EXACT, 0, f, t->flen), KT_EXACT, 0, f, t->flen));
        if (t->type == LODE_NT_WORD) {
            uint64_t hp = h_start(KT_PREFIX, 0), hf = h_start(KT_FUZZ, 0);
            for (size_t k = 0; k < t->flen && k < 63; k++) {
                hp = h_add(hp, (unsigned char)f[k]);
                hf = h_add(hf, (unsigned char)f[k]);
                if (!utf8_boundary(f, t->flen, k + 1))
                    continue;
                if (lx->prefix_lens >> (k + 1) & 1)
                    cand_add_slot(lx, &cs, lookup(lx, hp, KT_PREFIX, 0, f, k + 1));
                if (c->fuzzy && (lx->fuzzy_lens >> (k + 1) & 1))
                    cand_add_slot(lx, &cs, lookup(lx, hf, KT_FUZZ, 0, f, k + 1));
            }
        }
    }
    if (t->type == LODE_NT_WORD && c->primary >= 0 && lx->has_stemmer[c->primary]) {
        const char *f = ws->fold.data + t->fold;
        uint64_t h = h_key(KT_STEM, c->primary, f, t->flen < 3 ? t->flen : 3) & 0xFFFF;
        if (lx->stem3[h >> 6] >> (h & 63) & 1) {
            uint32_t sl;
            const char *s = tok_stem(ws, lx, c->primary, t, &sl);
            if (s)
                cand_add_slot(
                    lx, &cs,
                    lookup(lx, h_key(KT_STEM, c->primary, s, sl), KT_STEM, c->primary, s, sl));
        }
    }
    if (t->type == LODE_NT_WORD)
        for (size_t k = 0; k < lx->nloose && cs.n < 256; k++)
            if (c->langs >> lx->e[lx->loose[k]].lang & 1)
                cs.id[cs.n++] = lx->loose[k];

    for (size_t k = 0; k < cs.n; k++) {
        const lentry *e = &lx->e[cs.id[k]];
        int q = 0;
        if (!(c->langs >> e->lang & 1) || !(c->kinds & NKM(e->kind)) || i + e->npat > ws->n)
            continue;
        for (uint32_t j = 0; j < e->npat; j++) {
            ntok *tj = &ws->tok[i + j];
            int qj;
            if (j > 0 && (tj->used || !sep_ok(e->pat[j].sep, tj->pre))) {
                q = 0;
                break;
            }
            qj = pat_match(lx, ws, e, &e->pat[j], tj, c);
            if (qj == 0) {
                q = 0;
                break;
            }
            q += qj;
        }
        if (q == 0)
            continue;
        if (e->npat > out->ntok || (e->npat == out->ntok && q > out->quality)) {
            out->ntok = e->npat;
            out->quality = q;
            out->n = 0;
        }
        if (e->npat == out->ntok && q == out->quality && out->n < NEWS_MAX_MATCH)
            out->ids[out->n++] = cs.id[k];
    }
    /* Deterministic order whatever the hash order: by entry index. */
    for (uint32_t a = 1; a < out->n; a++)
        for (uint32_t b = a; b > 0 && out->ids[b - 1] > out->ids[b]; b--) {
            uint32_t tmp = out->ids[b];
            out->ids[b] = out->ids[b - 1];
            out->ids[b - 1] = tmp;
        }
    return out->n;
}

void news_lang_votes(const lode_news_lexicon *lx, nws *ws, size_t max_tokens, unsigned *votes)
{
    for (size_t i = 0; i < ws->n && i < max_tokens; i++) {
        const ntok *t = &ws->tok[i];
        const char *f = ws->fold.data + t->fold;
        uint64_t seen = 0;
        const lslot *s;
        if (t->type != LODE_NT_WORD || t->flen == 0)
            continue;
        s = lookup(lx, h_key(KT_EXACT, 0, f, t->flen), KT_EXACT, 0, f, t->flen);
        for (uint32_t k = 0; s && k < s->count; k++) {
            const lentry *e = &lx->e[lx->lists[s->start + k]];
            if ((int)e->lang == lx->mul || e->npat != 1 || (seen >> e->lang & 1))
                continue;
            seen |= 1ULL << e->lang;
            votes[e->lang]++;
        }
    }
}

int news_lang_index(const lode_news_lexicon *lx, const char *code)
{
    for (size_t i = 0; i < lx->nlang; i++)
        if (strcmp(lx->langs[i], code) == 0)
            return (int)i;
    return -1;
}

/* ---- parsing -----------------------------------------------------------------------------------
 */

typedef struct kpair {
    uint64_t h;
    const char *key;
    uint32_t keylen, entry;
    uint8_t ktype, lang;
} kpair;

static int same_key(const kpair *x, const kpair *y)
{
    return x->h == y->h && x->ktype == y->ktype && x->lang == y->lang && x->keylen == y->keylen &&
           memcmp(x->key, y->key, x->keylen) == 0;
}

static size_t cps_of(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

typedef struct pctx {
    lode_news_lexicon *lx;
    const lode_model *m;
    const char *path;
    nws ws;
    size_t cap;
    kpair *pairs;
    size_t npairs, cappairs;
    size_t caploose, capofficial;
} pctx;

static lode_status oom(lode_err *err)
{
    return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
}

static int add_pair(pctx *p, int ktype, int lang, const char *key, size_t n, size_t entry)
{
    if (p->npairs == p->cappairs) {
        size_t cap = p->cappairs ? p->cappairs * 2 : 4096;
        kpair *q = realloc(p->pairs, cap * sizeof *q);
        if (q == NULL)
            return -1;
        p->pairs = q;
        p->cappairs = cap;
    }
    kpair *k = &p->pairs[p->npairs++];
    k->h = h_key(ktype, lang, key, n);
    k->key = key;
    k->keylen = (uint32_t)n;
    k->entry = (uint32_t)entry;
    k->ktype = (uint8_t)ktype;
    k->lang = (uint8_t)lang;
    return 0;
}

static long intern(lode_news_lexicon *lx, const char *id, size_t n, int is_country)
{
    for (size_t i = 0; i < lx->nids; i++)
        if (strlen(lx->ids[i]) == n && memcmp(lx->ids[i], id, n) == 0 &&
            lx->id_is_country[i] == is_country)
            return (long)i;
    if (lx->nids == lx->capids) {
        size_t cap = lx->capids ? lx->capids * 2 : 64;
        const char **q = realloc(lx->ids, cap * sizeof *q);
        if (q == NULL)
            return -1;
        lx->ids = q;
        unsigned char *r = realloc(lx->id_is_country, cap);
        if (r == NULL)
            return -1;
        lx->id_is_country = r;
        lx->capids = cap;
    }
    char *s = lode_arena_strndup(lx->arena, id, n);
    if (s == NULL)
        return -1;
    lx->ids[lx->nids] = s;
    lx->id_is_country[lx->nids] = (unsigned char)is_country;
    return (long)lx->nids++;
}

static int is_upper3(const char *s, size_t n)
{
    if (n != 3)
        return 0;
    for (size_t i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    if (*s == '\0')
        return 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Parse the value column for entry e. Returns LODE_OK or the error. */
static lode_status parse_value(pctx *p, lentry *e, const char *v, long line, lode_err *err)
{
    lode_news_lexicon *lx = p->lx;
    long iv;
    double d;
    e->ev = -1;
    switch ((nkind)e->kind) {
    case NK_COUNTRY:
    case NK_MATERIAL: {
        size_t cnt = 1;
        for (const char *s = v; *s; s++)
            cnt += *s == ';';
        e->ids = lode_arena_calloc(lx->arena, cnt, sizeof *e->ids);
        if (e->ids == NULL)
            return oom(err);
        for (const char *s = v;;) {
            const char *semi = strchr(s, ';');
            size_t n = semi ? (size_t)(semi - s) : strlen(s);
            long id;
            if (e->kind == NK_COUNTRY && !is_upper3(s, n))
                return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                                 "expected ISO 3166 alpha-3 codes separated by ';', got \"%s\"", v);
            if (e->kind == NK_MATERIAL) {
                char buf[64];
                if (n == 0 || n >= sizeof buf)
                    return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                                     "expected material ids separated by ';', got \"%s\"", v);
                memcpy(buf, s, n);
                buf[n] = '\0';
                if (p->m && lode_model_material(p->m, buf) < 0)
                    return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                                     "unknown material '%s'", buf);
            }
            id = intern(lx, s, n, e->kind == NK_COUNTRY);
            if (id < 0)
                return oom(err);
            e->ids[e->nids++] = (uint32_t)id;
            if (semi == NULL)
                break;
            s = semi + 1;
        }
        return LODE_OK;
    }
    case NK_EVENT: {
        static const char *const subs[] = {"ban", "licence", "quota", "tariff", "other"};
        const char *colon = strchr(v, ':');
        size_t n = colon ? (size_t)(colon - v) : strlen(v);
        for (int k = 0; k < LODE_NEWS_KIND_N; k++)
            if (strlen(event_names[k]) == n && memcmp(event_names[k], v, n) == 0)
                e->ev = k;
        if (e->ev < 0)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "unknown event kind \"%s\" (export_control, agreement, stockpile, "
                             "investment, outage, price)",
                             v);
        if (colon) {
            for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
                if (strcmp(colon + 1, subs[k]) == 0)
                    e->code = subs[k];
            if (e->code == NULL || e->ev != LODE_NEWS_EXPORT_CONTROL)
                return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                                 "bad subkind in \"%s\" (export_control:ban, :licence, :quota, "
                                 ":tariff or :other)",
                                 v);
        }
        return LODE_OK;
    }
    case NK_MONTH:
        if (!parse_int(v, 1, 12, &iv))
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected a month number 1-12, got \"%s\"", v);
        e->num = (double)iv;
        return LODE_OK;
    case NK_WEEKDAY:
        if (!parse_int(v, 1, 7, &iv))
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected an ISO weekday 1 (Monday) to 7, got \"%s\"", v);
        e->num = (double)iv;
        return LODE_OK;
    case NK_RELDAY:
        if (!parse_int(v, -366, 366, &iv))
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected a day offset -366..366, got \"%s\"", v);
        e->num = (double)iv;
        return LODE_OK;
    case NK_UNIT: {
        /* t:<tonnes per unit> or %:1, then ":before" if written before the number */
        char num[32];
        const char *colon = strchr(v, ':'), *end;
        size_t k;
        if (colon == NULL || (strncmp(v, "t:", 2) != 0 && strncmp(v, "%:", 2) != 0))
            goto bad_unit;
        end = strchr(colon + 1, ':');
        k = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
        if (k == 0 || k >= sizeof num || (end && strcmp(end, ":before") != 0))
            goto bad_unit;
        memcpy(num, colon + 1, k);
        num[k] = '\0';
        if (!lode_parse_number(num, &d) || d <= 0)
            goto bad_unit;
        e->code = v[0] == 't' ? "t" : "%";
        e->num = d;
        e->before = end != NULL;
        return LODE_OK;
    bad_unit:
        return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                         "expected t:<tonnes per unit> or %%:1, optionally :before, got \"%s\"", v);
    }
    case NK_CURRENCY:
        if (!is_upper3(v, strlen(v)))
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected an ISO 4217 code, got \"%s\"", v);
        e->code = v;
        return LODE_OK;
    case NK_SCALE:
        if (!lode_parse_number(v, &d) || d <= 0)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected a positive multiplier, got \"%s\"", v);
        e->num = d;
        return LODE_OK;
    case NK_DATEPART:
        if (strcmp(v, "year") != 0 && strcmp(v, "month") != 0 && strcmp(v, "day") != 0)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected year, month or day, got \"%s\"", v);
        e->code = v;
        return LODE_OK;
    case NK_DECIMAL:
        if (strcmp(v, ",") != 0 && strcmp(v, ".") != 0)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "value",
                             "expected ',' or '.', got \"%s\"", v);
        e->code = v;
        return LODE_OK;
    case NK_CONNECTOR:
    case NK_OFFICIAL:
    case NK_N:
        return LODE_OK;
    }
    return LODE_OK;
}

/* Count upper- and lower-case letters of s. */
static void count_case(const char *s, size_t n, int *up, int *lo)
{
    size_t i = 0;
    *up = *lo = 0;
    while (i < n) {
        uint32_t c = news_utf8_next(s, n, &i);
        utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
        *up += k == UTF8PROC_CATEGORY_LU;
        *lo += k == UTF8PROC_CATEGORY_LL;
    }
}

static lode_status add_row(void *ctx, const char *const *cells, size_t n, long line, lode_err *err)
{
    pctx *p = ctx;
    lode_news_lexicon *lx = p->lx;
    const char *lang = cells[0], *kind = cells[1], *term = cells[2];
    lentry e;
    int l = -1, up, lo;
    lode_status st;
    (void)n;
    memset(&e, 0, sizeof e);
    if (strcmp(lang, "mul") != 0) {
        size_t k = strlen(lang);
        int ok = k >= 2 && k <= 3;
        for (size_t j = 0; j < k; j++)
            ok &= lang[j] >= 'a' && lang[j] <= 'z';
        if (!ok)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "lang",
                             "expected an ISO 639-1 code or \"mul\", got \"%s\"", lang);
    }
    l = news_lang_index(lx, lang);
    if (l < 0) {
        if (lx->nlang == NEWS_MAX_LANGS)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "lang", "more than %d languages",
                             NEWS_MAX_LANGS);
        l = (int)lx->nlang++;
        snprintf(lx->langs[l], sizeof lx->langs[l], "%s", lang);
        lx->decimal[l] = '.';
        if (strcmp(lang, "mul") == 0) {
            lx->mul = l;
        } else {
            struct sb_stemmer *st0 = sb_stemmer_new(lang, "UTF_8");
            lx->has_stemmer[l] = st0 != NULL;
            sb_stemmer_delete(st0);
        }
    }
    e.lang = (uint8_t)l;
    e.kind = NK_N;
    for (int k = 0; k < NK_N; k++)
        if (strcmp(kind, kind_names[k]) == 0)
            e.kind = (uint8_t)k;
    if (e.kind == NK_N)
        return LODE_FAIL(err, LODE_EINPUT, p->path, line, "kind",
                         "unknown kind \"%s\" (country, material, event, month, weekday, "
                         "relative_day, unit, currency, scale, connector, datepart, official, "
                         "decimal)",
                         kind);
    e.line = line;
    e.term = lode_arena_strdup(lx->arena, term);
    e.value = lode_arena_strdup(lx->arena, cells[3]);
    e.source = lode_arena_strdup(lx->arena, cells[4]);
    if (e.term == NULL || e.value == NULL || e.source == NULL)
        return oom(err);
    st = parse_value(p, &e, e.value, line, err);
    if (st != LODE_OK)
        return st;
    if (e.kind == NK_DECIMAL) {
        lx->decimal[l] = e.code[0];
    }
    if (term[0] == '=') {
        e.cs = 1;
        term++;
    }
    if (*term == '\0')
        return LODE_FAIL(err, LODE_EINPUT, p->path, line, "term", "empty term");
    count_case(term, strlen(term), &up, &lo);
    if (up >= 2 && lo == 0)
        e.cs = 1;
    e.fuzzy = !e.cs && (e.kind == NK_COUNTRY || e.kind == NK_MONTH || e.kind == NK_WEEKDAY ||
                        e.kind == NK_CURRENCY);

    if (e.kind != NK_OFFICIAL && e.kind != NK_DECIMAL) {
        if (news_nfkc(&p->ws, term, strlen(term)) != 0 || news_tokenize(&p->ws, 1) != 0)
            return oom(err);
        if (p->ws.n == 0 || p->ws.n > MAX_TERM_TOKENS)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "term",
                             "a term must have 1 to %d words, got \"%s\"", MAX_TERM_TOKENS, term);
        e.npat = (uint32_t)p->ws.n;
        e.pat = lode_arena_calloc(lx->arena, e.npat, sizeof *e.pat);
        if (e.pat == NULL)
            return oom(err);
        /* Stems first: stem_of appends to the fold buffer, so take every pointer after. */
        uint32_t soff[MAX_TERM_TOKENS] = {0}, slen[MAX_TERM_TOKENS] = {0};
        for (uint32_t j = 0; j < e.npat; j++) {
            const ntok *t = &p->ws.tok[j];
            /* Stems only where inflection changes the word but not its meaning: names of
             * days and months are matched whole ("segunda" is not "segundo") */
            if (!e.cs && t->type == LODE_NT_WORD && t->star == 0 && t->flen > 0 &&
                (e.kind == NK_COUNTRY || e.kind == NK_MATERIAL || e.kind == NK_EVENT ||
                 e.kind == NK_UNIT || e.kind == NK_CURRENCY || e.kind == NK_SCALE)) {
                int r =
                    stem_of(&p->ws, lx, l, p->ws.text.data + t->off, t->len, &soff[j], &slen[j]);
                if (r < 0)
                    return oom(err);
                /* a short stem says little: "para" and "París" share "par", "almayı" and
                 * "Alman" share "alma"; names need five letters of stem, other terms four */
                if (r > 0 || cps_of(p->ws.fold.data + soff[j], slen[j]) <
                                 (e.kind == NK_COUNTRY ? 5u : 4u)) /* Turkish "alma" */
                    slen[j] = 0;
            }
        }
        for (uint32_t j = 0; j < e.npat; j++) {
            const ntok *t = &p->ws.tok[j];
            lpat *pt = &e.pat[j];
            if (t->flen == 0)
                return LODE_FAIL(err, LODE_EINPUT, p->path, line, "term",
                                 "word too long in "
                                 "\"%s\"",
                                 term);
            pt->form = lode_arena_strndup(lx->arena, p->ws.fold.data + t->fold, t->flen);
            pt->orig = lode_arena_strndup(lx->arena, p->ws.text.data + t->off, t->len);
            if (pt->form == NULL || pt->orig == NULL)
                return oom(err);
            pt->flen = t->flen;
            pt->olen = t->len;
            pt->cps = t->cps;
            pt->type = t->type;
            pt->sep = j == 0 ? SEP_NONE : t->pre;
            pt->mode = t->star == 3   ? PM_INFIX
                       : t->star == 1 ? PM_SUFFIX
                       : t->star == 2 ? PM_PREFIX
                                      : PM_EXACT;
            if (pt->mode != PM_EXACT && t->type != LODE_NT_WORD)
                return LODE_FAIL(err, LODE_EINPUT, p->path, line, "term",
                                 "'*' only goes on words, in \"%s\"", term);
            if (slen[j]) {
                pt->stem = lode_arena_strndup(lx->arena, p->ws.fold.data + soff[j], slen[j]);
                if (pt->stem == NULL)
                    return oom(err);
                pt->slen = slen[j];
            }
        }
    } else {
        /* official: a folded substring of Source:/URL: headers */
        uint32_t off, len;
        p->ws.fold.len = 0;
        if (news_fold(&p->ws, term, strlen(term), 0, &off, &len) != 0)
            return LODE_FAIL(err, LODE_EINPUT, p->path, line, "term", "cannot fold \"%s\"", term);
        e.code = e.kind == NK_OFFICIAL ? lode_arena_strndup(lx->arena, p->ws.fold.data + off, len)
                                       : e.code;
        if (e.code == NULL)
            return oom(err);
    }
    if (lx->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        lentry *q = realloc(lx->e, cap * sizeof *q);
        if (q == NULL)
            return oom(err);
        lx->e = q;
        p->cap = cap;
    }
    lx->e[lx->n++] = e;
    return LODE_OK;
}

static int pair_cmp(const void *a, const void *b)
{
    const kpair *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    if (x->ktype != y->ktype)
        return x->ktype - y->ktype;
    if (x->lang != y->lang)
        return x->lang - y->lang;
    if (x->keylen != y->keylen)
        return x->keylen < y->keylen ? -1 : 1;
    int c = memcmp(x->key, y->key, x->keylen);
    if (c)
        return c;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static void stem3_set(lode_news_lexicon *lx, int l, const char *s, size_t n)
{
    uint64_t h = h_key(KT_STEM, l, s, n < 3 ? n : 3) & 0xFFFF;
    lx->stem3[h >> 6] |= 1ULL << (h & 63);
}

static lode_status build_index(pctx *p, lode_err *err)
{
    lode_news_lexicon *lx = p->lx;
    lx->stem3 = lode_arena_calloc(lx->arena, 1024, sizeof *lx->stem3);
    if (lx->stem3 == NULL)
        return oom(err);
    for (size_t i = 0; i < lx->n; i++) {
        const lentry *e = &lx->e[i];
        const lpat *p0 = e->pat;
        int r = 0;
        if (e->kind == NK_OFFICIAL) {
            if (lx->nofficial == p->capofficial) {
                size_t cap = p->capofficial ? p->capofficial * 2 : 16;
                uint32_t *q = realloc(lx->official, cap * sizeof *q);
                if (q == NULL)
                    return oom(err);
                lx->official = q;
                p->capofficial = cap;
            }
            lx->official[lx->nofficial++] = (uint32_t)i;
        }
        if (e->npat == 0)
            continue;
        if (p0->mode == PM_EXACT) {
            r |= add_pair(p, KT_EXACT, 0, p0->form, p0->flen, i);
            if (p0->stem && !e->cs) {
                r |= add_pair(p, KT_STEM, e->lang, p0->stem, p0->slen, i);
                stem3_set(lx, e->lang, p0->form, p0->flen);
                stem3_set(lx, e->lang, p0->stem, p0->slen);
            }
            if (e->fuzzy && p0->type == LODE_NT_WORD && p0->cps >= FUZZY_MIN) {
                size_t k = (size_t)p0->cps - 1, b = 0, cp = 0;
                while (b < p0->flen && cp < k) {
                    b++;
                    if (b == p0->flen || ((unsigned char)p0->form[b] & 0xC0) != 0x80)
                        cp++;
                }
                if (b < 64) {
                    r |= add_pair(p, KT_FUZZ, 0, p0->form, b, i);
                    lx->fuzzy_lens |= 1ULL << b;
                }
            }
        } else if (p0->mode == PM_PREFIX && p0->flen < 64 && !e->cs) {
            r |= add_pair(p, KT_PREFIX, 0, p0->form, p0->flen, i);
            lx->prefix_lens |= 1ULL << p0->flen;
        } else {
            if (lx->nloose == p->caploose) {
                size_t cap = p->caploose ? p->caploose * 2 : 64;
                uint32_t *q = realloc(lx->loose, cap * sizeof *q);
                if (q == NULL)
                    return oom(err);
                lx->loose = q;
                p->caploose = cap;
            }
            lx->loose[lx->nloose++] = (uint32_t)i;
        }
        if (r)
            return oom(err);
    }
    if (p->npairs)
        qsort(p->pairs, p->npairs, sizeof *p->pairs, pair_cmp);
    size_t nkeys = 0;
    for (size_t i = 0; i < p->npairs; i++)
        nkeys += i == 0 || !same_key(&p->pairs[i - 1], &p->pairs[i]);
    lx->nslots = 16;
    while (lx->nslots < 2 * nkeys + 1)
        lx->nslots *= 2;
    lx->slots = lode_arena_calloc(lx->arena, lx->nslots, sizeof *lx->slots);
    lx->lists = lode_arena_calloc(lx->arena, p->npairs + 1, sizeof *lx->lists);
    if (lx->slots == NULL || lx->lists == NULL)
        return oom(err);
    for (size_t i = 0; i < p->npairs;) {
        size_t j = i;
        const kpair *k = &p->pairs[i];
        while (j < p->npairs && same_key(&p->pairs[j], k)) {
            lx->lists[j] = p->pairs[j].entry;
            j++;
        }
        size_t mask = lx->nslots - 1, s = (size_t)k->h & mask;
        while (lx->slots[s].used)
            s = (s + 1) & mask;
        lslot *sl = &lx->slots[s];
        sl->used = 1;
        sl->h = k->h;
        sl->key = k->key;
        sl->keylen = k->keylen;
        sl->ktype = k->ktype;
        sl->lang = k->lang;
        sl->start = (uint32_t)i;
        sl->count = (uint32_t)(j - i);
        i = j;
    }
    return LODE_OK;
}

lode_status lode_news_lexicon_parse(const char *csv, size_t len, const char *path,
                                    const lode_model *m, lode_news_lexicon **out, lode_err *err)
{
    lode_field fields[5];
    static const char *const names[5] = {"lang", "kind", "term", "value", "source"};
    lode_schema schema;
    pctx p;
    lode_status st;
    lode_arena *a;
    *out = NULL;
    memset(fields, 0, sizeof fields);
    for (int i = 0; i < 5; i++) {
        fields[i].name = names[i];
        fields[i].description = "";
        fields[i].unit = "";
        fields[i].type = LODE_FT_STRING;
        fields[i].required = 1;
    }
    memset(&schema, 0, sizeof schema);
    schema.name = "news_lexicon";
    schema.path = path;
    schema.fields = fields;
    schema.n_fields = 5;
    a = lode_arena_new();
    if (a == NULL)
        return oom(err);
    memset(&p, 0, sizeof p);
    p.lx = lode_arena_alloc(a, sizeof *p.lx);
    if (p.lx == NULL) {
        lode_arena_free(a);
        return oom(err);
    }
    p.lx->arena = a;
    p.lx->mul = -1;
    p.m = m;
    p.path = path;
    st = lode_csv_scan(csv, len, path, &schema, add_row, &p, err);
    if (st == LODE_OK && p.lx->n == 0)
        st = LODE_FAIL(err, LODE_EINPUT, path, 0, "", "the lexicon has no entries");
    if (st == LODE_OK)
        st = build_index(&p, err);
    free(p.pairs);
    news_ws_free(&p.ws);
    if (st != LODE_OK) {
        lode_news_lexicon_free(p.lx);
        return st;
    }
    *out = p.lx;
    return LODE_OK;
}

void lode_news_lexicon_free(lode_news_lexicon *lx)
{
    if (lx == NULL)
        return;
    free(lx->e);
    free(lx->ids);
    free(lx->id_is_country);
    free(lx->loose);
    free(lx->official);
    lode_arena_free(lx->arena);
}

size_t lode_news_lexicon_size(const lode_news_lexicon *lx)
{
    return lx ? lx->n : 0;
}

size_t lode_news_lexicon_n_langs(const lode_news_lexicon *lx)
{
    return lx ? lx->nlang - (lx->mul >= 0) : 0;
}

const char *lode_news_lexicon_lang(const lode_news_lexicon *lx, size_t i)
{
    for (size_t k = 0; lx && k < lx->nlang; k++) {
        if ((int)k == lx->mul)
            continue;
        if (i-- == 0)
            return lx->langs[k];
    }
    return NULL;
}
