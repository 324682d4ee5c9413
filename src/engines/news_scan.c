/* news_scan.c: dates and amounts in tokenized text. Patterns are written over token kinds, not
 * over any language: a day number, a month name from the lexicon, a year ("28 octombrie 2025",
 * "28. Oktober 2025", "October 28, 2025", "2025. október 28.", "2025年10月28日", "2025년 10월
 * 28일"), all-digit dates, words that name a day relative to the article ("gestern", "dün",
 * "昨日", "on Tuesday"); and a number with its scale, unit or currency on either side ("US$550
 * billion", "8,5 mld USD", "120 000 t", "5억 달러", "550 de miliarde de dolari", "yüzde 12").
 * Tokens a date or amount takes are marked used, so "日" in "28日米国" is never read as "日米". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "news_int.h"

/* ---- calendar ----------------------------------------------------------------------------------
 */

/* Days from civil, after H. Hinnant's public-domain algorithm. */
int32_t news_days(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void news_civil(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t yy = yoe + era * 400;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int news_valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29)
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return 1;
}

int news_parse_iso(const char *s, size_t n, int32_t *days)
{
    int v[3] = {0, 0, 0};
    static const size_t at[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    if (n < 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < len[k]; i++) {
            char c = s[at[k] + i];
            if (c < '0' || c > '9')
                return 0;
            v[k] = v[k] * 10 + (c - '0');
        }
    if (!news_valid_date(v[0], v[1], v[2]))
        return 0;
    *days = news_days(v[0], v[1], v[2]);
    return 1;
}

int news_mention_days(const nmention *m, int32_t anchor, int32_t *days)
{
    int ay, am, ad;
    if (m->is_amount)
        return 0;
    if (m->how == MD_ABS) {
        *days = news_days(m->y, m->m, m->d);
        return 1;
    }
    if (anchor == INT32_MIN)
        return 0;
    news_civil(anchor, &ay, &am, &ad);
    switch (m->how) {
    case MD_REL_DAYS:
        *days = anchor + m->rel;
        return 1;
    case MD_WEEKDAY: {
        /* the most recent such weekday on or before the article's date: news reports what
         * happened ("on Tuesday"); 1970-01-01 was a Thursday (ISO 4) */
        int wd = (int)(((anchor % 7) + 7 + 3) % 7) + 1;
        *days = anchor - ((wd - m->rel + 7) % 7);
        return 1;
    }
    case MD_DAY_ONLY: {
        /* "28日": that day of the article's month, or of the month before if it would be
         * more than two days ahead */
        int y = ay, mo = am;
        if (m->d > ad + 2) {
            if (--mo == 0)
                mo = 12, y--;
        }
        if (!news_valid_date(y, mo, m->d))
            return 0;
        *days = news_days(y, mo, m->d);
        return 1;
    }
    case MD_NO_YEAR: {
        /* the year that puts the date nearest the article's */
        int32_t best = 0;
        int found = 0;
        for (int y = ay - 1; y <= ay + 1; y++) {
            if (!news_valid_date(y, m->m, m->d))
                continue;
            int32_t dd = news_days(y, m->m, m->d);
            if (!found || labs((long)(dd - anchor)) < labs((long)(best - anchor)))
                best = dd, found = 1;
        }
        if (found)
            *days = best;
        return found;
    }
    default:
        return 0;
    }
}

/* ---- numbers -----------------------------------------------------------------------------------
 */

int lode_news_number(const char *s, size_t n, char decimal, double *out)
{
    size_t groups[64], ng = 0, gl = 0;
    char seps[64];
    int ncomma = 0, ndot = 0;
    if (n == 0 || n > 64 || s[0] < '0' || s[0] > '9' || s[n - 1] < '0' || s[n - 1] > '9')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            gl++;
            continue;
        }
        if (c != ',' && c != '.' && c != ' ')
            return 0;
        if (gl == 0 || ng >= 63)
            return 0;
        groups[ng] = gl;
        seps[ng++] = c;
        gl = 0;
        ncomma += c == ',';
        ndot += c == '.';
    }
    groups[ng] = gl;
    /* which separator, if any, is the decimal mark */
    char dec = 0;
    if (ncomma && ndot) {
        dec = seps[ng - 1];
        if ((dec == ',' ? ncomma : ndot) != 1)
            return 0;
    } else if (ncomma + ndot == 1) {
        char c = ncomma ? ',' : '.';
        size_t after = groups[ng];
        /* a lone mark before exactly three digits is a thousands separator unless it is the
         * language's decimal mark (1.200 Tonnen, 1,200 tonnes); before any other count of
         * digits it is decimal (8,5 mld, 3.5%) */
        if (seps[ng - 1] != c)
            dec = c; /* "120 000,5": the mark comes after the spaces */
        else if (after != 3 || c == decimal || groups[0] > 3 || (groups[0] == 1 && s[0] == '0'))
            dec = c;
    }
    double v = 0, scale = 1;
    int in_frac = 0;
    for (size_t g = 0, i = 0; g <= ng; g++) {
        size_t len = groups[g];
        /* thousands groups must hold three digits (the first may hold 1-3) */
        if (!in_frac && g > 0 && len != 3 && !(g > 0 && seps[g - 1] == dec))
            return 0;
        if (!in_frac && g == 1 && groups[0] > 3 && seps[0] != dec)
            return 0;
        for (size_t k = 0; k < len; k++, i++) {
            int dgt = s[i] - '0';
            if (in_frac) {
                scale /= 10;
                v += dgt * scale;
            } else {
                v = v * 10 + dgt;
            }
        }
        if (g < ng) {
            if (seps[g] == dec)
                in_frac = 1;
            i++;
        }
    }
    if (!isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* ---- the scanner -------------------------------------------------------------------------------
 */

typedef struct scan {
    const lode_news_lexicon *lx;
    nws *ws;
    const nlang *l;
    mctx c;
    nmention *m;
    size_t n, cap, max, ndates, namounts;
    int oom;
} scan;

/* The entry of kind k matched at token i, preferring the article's language, then "mul". */
static const lentry *match1(scan *s, size_t i, uint32_t kinds, uint32_t *ntk)
{
    lmatch m;
    mctx c = s->c;
    const lentry *best = NULL;
    c.kinds = kinds;
    if (i >= s->ws->n || news_match(s->lx, s->ws, i, &c, &m) == 0)
        return NULL;
    for (uint32_t k = 0; k < m.n; k++) {
        const lentry *e = &s->lx->e[m.ids[k]];
        if (best == NULL || ((int)e->lang == s->l->primary && (int)best->lang != s->l->primary))
            best = e;
    }
    *ntk = m.ntok;
    return best;
}

static const ntok *T(scan *s, size_t i)
{
    return i < s->ws->n ? &s->ws->tok[i] : NULL;
}

/* Value of a pure-digit NUM token of at most maxd digits, else -1. */
static int small_int(scan *s, size_t i, size_t maxd)
{
    const ntok *t = T(s, i);
    int v = 0;
    if (t == NULL || t->type != LODE_NT_NUM || t->used || t->len > maxd)
        return -1;
    for (uint32_t k = 0; k < t->len; k++) {
        char c = s->ws->text.data[t->off + k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

static int year_at(scan *s, size_t i)
{
    int y = small_int(s, i, 4);
    const ntok *t = T(s, i);
    return t && t->len == 4 && y >= 1900 && y <= 2100 ? y : -1;
}

static int pre_in(scan *s, size_t i, unsigned mask)
{
    const ntok *t = T(s, i);
    return t && !t->used && (mask >> t->pre & 1);
}
#define P(x) (1u << (x))

/* An ordinal ending glued to a day number ("28th", "1er", "28-го", "28-án"). */
static size_t skip_ordinal(scan *s, size_t j)
{
    const ntok *t = T(s, j);
    const char *x = s->ws->text.data;
    /* glued to the number, or by one hyphen ("28-го", not "21 - The") */
    if (t && !t->used && t->type == LODE_NT_WORD && t->cps <= 3 &&
        (t->pre == SEP_NONE || (t->pre == SEP_HYPHEN && t->off >= 2 && x[t->off - 1] == '-' &&
                                x[t->off - 2] >= '0' && x[t->off - 2] <= '9')))
        return j + 1;
    return j;
}

static size_t skip_connector(scan *s, size_t j)
{
    uint32_t nt;
    if (pre_in(s, j, P(SEP_SPACE)) && match1(s, j, NKM(NK_CONNECTOR), &nt))
        return j + nt;
    return j;
}

static int add(scan *s, const nmention *m)
{
    size_t *count = m->is_amount ? &s->namounts : &s->ndates;
    if (*count >= s->max)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        nmention *q = realloc(s->m, cap * sizeof *q);
        if (q == NULL) {
            s->oom = 1;
            return 0;
        }
        s->m = q;
        s->cap = cap;
    }
    s->m[s->n++] = *m;
    (*count)++;
    for (uint32_t k = m->first; k <= m->last; k++)
        s->ws->tok[k].used = 1;
    return 1;
}

static int datepart(scan *s, size_t i, const char *which)
{
    uint32_t nt;
    const lentry *e;
    if (!pre_in(s, i, P(SEP_NONE) | P(SEP_SPACE)))
        return 0;
    e = match1(s, i, NKM(NK_DATEPART), &nt);
    return e && strcmp(e->code, which) == 0;
}

static int date_add(scan *s, size_t first, size_t last, int how, int y, int mo, int d)
{
    nmention m;
    memset(&m, 0, sizeof m);
    if (how == MD_ABS && !news_valid_date(y, mo, d))
        return 0;
    if (how == MD_NO_YEAR && !news_valid_date(2000, mo, d))
        return 0;
    m.first = (uint32_t)first;
    m.last = (uint32_t)last;
    m.how = how;
    m.y = y, m.m = mo, m.d = d;
    return add(s, &m);
}

/* Dates that start with a number at token i. */
static int date_at_number(scan *s, size_t i)
{
    int d = small_int(s, i, 2), y = year_at(s, i);
    uint32_t nt;
    const lentry *mon;
    size_t j, k;
    if (y > 0) {
        /* 2025年10月28日, 2025년 10월 28일 */
        if (datepart(s, i + 1, "year")) {
            int mo = small_int(s, i + 2, 2), dd = small_int(s, i + 4, 2);
            if (mo >= 1 && mo <= 12 && pre_in(s, i + 2, P(SEP_NONE) | P(SEP_SPACE)) &&
                datepart(s, i + 3, "month") && dd >= 1 &&
                pre_in(s, i + 4, P(SEP_NONE) | P(SEP_SPACE)) && datepart(s, i + 5, "day"))
                return date_add(s, i, i + 5, MD_ABS, y, mo, dd);
            return 0;
        }
        /* 2025. október 28. */
        if (pre_in(s, i + 1, P(SEP_DOT) | P(SEP_SPACE)) &&
            (mon = match1(s, i + 1, NKM(NK_MONTH), &nt)) != NULL) {
            k = i + 1 + nt;
            int dd = small_int(s, k, 2);
            if (dd >= 1 && pre_in(s, k, P(SEP_SPACE)))
                return date_add(s, i, skip_ordinal(s, k + 1) - 1, MD_ABS, y, (int)mon->num, dd);
        }
        return 0;
    }
    if (d < 1 || d > 31)
        return 0;
    /* 10月28日 (month first, no year), 28日 (day only) */
    if (d <= 12 && datepart(s, i + 1, "month")) {
        int dd = small_int(s, i + 2, 2);
        if (dd >= 1 && pre_in(s, i + 2, P(SEP_NONE) | P(SEP_SPACE)) && datepart(s, i + 3, "day"))
            return date_add(s, i, i + 3, MD_NO_YEAR, 0, d, dd);
        return 0;
    }
    if (datepart(s, i + 1, "day")) {
        nmention m;
        memset(&m, 0, sizeof m);
        m.first = (uint32_t)i;
        m.last = (uint32_t)i + 1;
        m.how = MD_DAY_ONLY;
        m.d = d;
        return add(s, &m);
    }
    /* 28 October 2025, 28. Oktober 2025, 28 de octubre de 2025, 28th of October */
    j = skip_ordinal(s, i + 1);
    j = skip_connector(s, j);
    if (!pre_in(s, j, P(SEP_SPACE) | P(SEP_DOT) | P(SEP_HYPHEN) | P(SEP_NONE)))
        return 0;
    mon = match1(s, j, NKM(NK_MONTH), &nt);
    if (mon == NULL)
        return 0;
    k = j + nt;
    {
        size_t ky = skip_connector(s, k);
        int yy = year_at(s, ky);
        if (yy > 0 && pre_in(s, ky, P(SEP_SPACE) | P(SEP_COMMA) | P(SEP_HYPHEN) | P(SEP_DOT)))
            return date_add(s, i, ky, MD_ABS, yy, (int)mon->num, d);
    }
    return date_add(s, i, k - 1, MD_NO_YEAR, 0, (int)mon->num, d);
}

/* Dates that start with a word at token i: "October 28, 2025", weekdays, relative days. */
static int date_at_word(scan *s, size_t i)
{
    uint32_t nt;
    const lentry *e = match1(s, i, NKM(NK_MONTH) | NKM(NK_WEEKDAY) | NKM(NK_RELDAY), &nt);
    nmention m;
    if (e == NULL)
        return 0;
    memset(&m, 0, sizeof m);
    m.first = (uint32_t)i;
    m.last = (uint32_t)(i + nt - 1);
    if (e->kind == NK_MONTH) {
        size_t j = i + nt;
        int d = small_int(s, j, 2);
        if (d < 1 || d > 31 || !pre_in(s, j, P(SEP_SPACE) | P(SEP_DOT)))
            return 0;
        j = skip_ordinal(s, j + 1);
        int y = year_at(s, j);
        if (y > 0 && pre_in(s, j, P(SEP_SPACE) | P(SEP_COMMA)))
            return date_add(s, i, j, MD_ABS, y, (int)e->num, d);
        return date_add(s, i, j - 1, MD_NO_YEAR, 0, (int)e->num, d);
    }
    if (e->kind == NK_WEEKDAY) {
        /* "Tuesday, 28 October 2025": the date says it all; the weekday goes with it */
        size_t j = i + nt;
        const ntok *t = T(s, j);
        if (t && !t->used && (t->pre == SEP_COMMA || t->pre == SEP_SPACE) &&
            (t->type == LODE_NT_NUM || t->type == LODE_NT_NUMDATE ||
             match1(s, j, NKM(NK_MONTH), &nt))) {
            s->ws->tok[i].used = 1;
            return 1;
        }
        m.how = MD_WEEKDAY;
        m.rel = (int)e->num;
        return add(s, &m);
    }
    m.how = MD_REL_DAYS;
    m.rel = (int)e->num;
    return add(s, &m);
}

static int numdate(scan *s, size_t i)
{
    const ntok *t = T(s, i);
    int y = t->nd_y, a = t->nd_a, b = t->nd_b;
    if (t->nd_ymd)
        return date_add(s, i, i, MD_ABS, y, a, b);
    /* D.M.Y everywhere, except "/" in English, where M/D/Y is read when both could be */
    int month_first =
        t->nd_sep == '/' && s->l->primary >= 0 && strcmp(s->lx->langs[s->l->primary], "en") == 0;
    if (month_first ? news_valid_date(y, a, b) : !news_valid_date(y, b, a))
        return date_add(s, i, i, MD_ABS, y, a, b);
    return date_add(s, i, i, MD_ABS, y, b, a);
}

/* An amount whose number is token i, with an optional unit or currency `pre` written before
 * it from token `first`. */
static int amount_at(scan *s, size_t i, size_t first, const lentry *pre)
{
    const ntok *t = T(s, i);
    const lentry *unit = pre, *e;
    double v, mult = 1;
    uint32_t nt;
    size_t j = i + 1, last = i;
    char dec = s->l->primary >= 0 ? s->lx->decimal[s->l->primary] : '.';
    if (t == NULL || t->type != LODE_NT_NUM || t->used ||
        !lode_news_number(s->ws->text.data + t->off, t->len, dec, &v))
        return 0;
    for (int round = 0; round < 2; round++) {
        size_t j0 = round ? skip_connector(s, j) : j;
        if (pre_in(s, j0, P(SEP_NONE) | P(SEP_SPACE) | P(SEP_APOS)) &&
            (e = match1(s, j0, NKM(NK_SCALE), &nt)) != NULL) {
            mult *= e->num;
            last = j0 + nt - 1;
            j = j0 + nt;
            /* 5億5000万: a smaller CJK group right after */
            double w;
            const ntok *u = T(s, j);
            if (u && u->type == LODE_NT_NUM && u->pre == SEP_NONE && !u->used &&
                lode_news_number(s->ws->text.data + u->off, u->len, dec, &w)) {
                const lentry *e2 = match1(s, j + 1, NKM(NK_SCALE), &nt);
                if (e2 && e2->num < e->num && pre_in(s, j + 1, P(SEP_NONE))) {
                    v = v + w * e2->num / e->num;
                    last = j + nt;
                    j = j + 1 + nt;
                }
            }
        }
    }
    {
        /* after "Mrd." or "d'": a dot or an apostrophe may come first */
        size_t j0 = skip_connector(s, j);
        if (pre_in(s, j0, P(SEP_NONE) | P(SEP_SPACE) | P(SEP_DOT) | P(SEP_APOS)) &&
            (e = match1(s, j0, NKM(NK_UNIT) | NKM(NK_CURRENCY), &nt)) != NULL) {
            if (unit == NULL)
                unit = e;
            last = j0 + nt - 1;
        }
    }
    if (unit == NULL)
        return 0;
    nmention m;
    memset(&m, 0, sizeof m);
    m.is_amount = 1;
    m.first = (uint32_t)first;
    m.last = (uint32_t)last;
    m.value = v * mult;
    if (unit->kind == NK_UNIT) {
        m.unit = unit->code;
        if (unit->code[0] == 't')
            m.value *= unit->num;
    } else {
        m.unit = unit->code;
    }
    if (!isfinite(m.value))
        return 0;
    return add(s, &m);
}

int news_scan_tokens(const lode_news_lexicon *lx, nws *ws, const nlang *l, size_t max,
                     nmention **out, size_t *n_out)
{
    scan s;
    memset(&s, 0, sizeof s);
    s.lx = lx;
    s.ws = ws;
    s.l = l;
    s.c.langs = l->mask;
    s.c.primary = l->primary;
    s.c.fuzzy = !l->exact_only;
    s.max = max;
    for (size_t i = 0; i < ws->n && !s.oom && !ws->oom; i++) {
        const ntok *t = &ws->tok[i];
        if (t->used)
            continue;
        switch (t->type) {
        case LODE_NT_NUMDATE:
            numdate(&s, i);
            break;
        case LODE_NT_NUM:
            if (!date_at_number(&s, i))
                amount_at(&s, i, i, NULL);
            break;
        default: {
            uint32_t nt;
            const lentry *e;
            if (date_at_word(&s, i))
                break;
            /* a unit or currency written before its number: signs ($, €, %), codes (USD,
             * US$) and words marked so in the lexicon ("yüzde"); never a word like "won" */
            e = match1(&s, i, NKM(NK_UNIT) | NKM(NK_CURRENCY), &nt);
            if (e &&
                (t->type == LODE_NT_SYM || e->pat[e->npat - 1].type == LODE_NT_SYM || e->cs ||
                 e->before) &&
                pre_in(&s, i + nt, P(SEP_NONE) | P(SEP_SPACE)))
                amount_at(&s, i + nt, i, e);
            break;
        }
        }
    }
    *out = s.m;
    *n_out = s.n;
    return s.oom || ws->oom ? -1 : 0;
}
