/* news_text.c: the text layer of the news engine: UTF-8 validation, NFKC normalisation and
 * case folding with utf8proc, and the tokenizer. Tokens are words of any non-CJK script, single
 * Han/Kana/Hangul characters (so that CJK terms match as character sequences, with no word
 * segmenter), numbers with their separators, all-digit dates and currency signs; each token
 * records the separator before it, so a multi-word term never matches across a comma. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include <utf8proc.h>

#include "news_int.h"

size_t news_utf8_check(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1, cp = c & 0x1Fu, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2, cp = c & 0x0Fu, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return i;
        }
        if (n - i <= k)
            return i;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + j] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return n;
}

/* Decodes valid UTF-8; a bad byte (never seen after news_utf8_check) gives U+FFFD and one step,
 * so a caller can never loop or read past n. */
uint32_t news_utf8_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = *i, k;
    uint32_t c = p[at];
    if (c < 0x80) {
        *i = at + 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        k = 1, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 2, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 3, c &= 0x07;
    else
        k = 0;
    if (k == 0 || n - at <= k) {
        *i = at + 1;
        return 0xFFFD;
    }
    for (size_t j = 1; j <= k; j++) {
        if ((p[at + j] & 0xC0) != 0x80) {
            *i = at + 1;
            return 0xFFFD;
        }
        c = (c << 6) | (p[at + j] & 0x3Fu);
    }
    *i = at + k + 1;
    return c;
}

int news_is_cjk(uint32_t c)
{
    return (c >= 0x3040 && c <= 0x30FA) || (c >= 0x30FC && c <= 0x30FF) || /* kana */
           (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3005 && c <= 0x3007) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || /* Han */
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || /* Hangul */
           (c >= 0x3130 && c <= 0x318F) || (c >= 0xA960 && c <= 0xA97F) ||
           (c >= 0xD7B0 && c <= 0xD7FF);
}

static int is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

int news_nfkc(nws *ws, const char *s, size_t n)
{
    ws->text.len = 0;
    ws->text.oom = 0;
    lode_buf_add(&ws->text, "", 0);
    if (is_ascii(s, n)) {
        lode_buf_add(&ws->text, s, n);
    } else {
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        if (r == UTF8PROC_ERROR_NOMEM) {
            free(out);
            return -1;
        }
        /* Any other failure (unassigned code points are kept, so none is expected) leaves the
         * text as it came: it is valid UTF-8 already. */
        if (r < 0)
            lode_buf_add(&ws->text, s, n);
        else
            lode_buf_add(&ws->text, (const char *)out, (size_t)r);
        free(out);
    }
    return ws->text.oom ? -1 : 0;
}

static int grow_u32(nws *ws, size_t need)
{
    if (need <= ws->u32cap)
        return 0;
    size_t cap = ws->u32cap ? ws->u32cap : 256;
    while (cap < need)
        cap *= 2;
    int32_t *p = realloc(ws->u32, cap * sizeof *p);
    if (p == NULL)
        return -1;
    ws->u32 = p;
    ws->u32cap = cap;
    return 0;
}

int news_fold(nws *ws, const char *s, size_t n, int keep_marks, uint32_t *off, uint32_t *len)
{
    lode_buf *b = keep_marks ? &ws->stems : &ws->fold;
    size_t at = b->len;
    if (n > NEWS_MAX_FOLD)
        return 1;
    if (is_ascii(s, n)) {
        char tmp[NEWS_MAX_FOLD + 1];
        for (size_t i = 0; i < n; i++)
            tmp[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + ('a' - 'A') : s[i]);
        lode_buf_add(b, tmp, n);
    } else {
        utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                UTF8PROC_COMPOSE | (keep_marks ? 0 : UTF8PROC_STRIPMARK);
        utf8proc_ssize_t r;
        if (grow_u32(ws, 4 * n + 16) != 0)
            return -1;
        r = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, ws->u32,
                               (utf8proc_ssize_t)ws->u32cap, opt);
        if (r > 0 && (size_t)r > ws->u32cap) {
            if (grow_u32(ws, (size_t)r) != 0)
                return -1;
            r = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, ws->u32,
                                   (utf8proc_ssize_t)ws->u32cap, opt);
        }
        if (r < 0)
            return r == UTF8PROC_ERROR_NOMEM ? -1 : 1;
        /* Turkish dotless i and Polish l-stroke are often typed without their marks: fold
         * them like the marks that utf8proc strips. */
        if (!keep_marks)
            for (utf8proc_ssize_t k = 0; k < r; k++) {
                if (ws->u32[k] == 0x131)
                    ws->u32[k] = 'i';
                else if (ws->u32[k] == 0x142)
                    ws->u32[k] = 'l';
            }
        r = utf8proc_reencode(ws->u32, r, opt);
        if (r < 0)
            return 1;
        lode_buf_add(b, (const char *)ws->u32, (size_t)r);
    }
    lode_buf_add(b, "", 1); /* the NUL after each fold */
    if (b->oom)
        return -1;
    *off = (uint32_t)at;
    *len = (uint32_t)(b->len - at - 1);
    return 0;
}

/* ---- tokenizer ------------------------------------------------------------------------------ */

enum {
    CC_SPACE,
    CC_NL,
    CC_DIGIT,
    CC_LETTER,
    CC_CJK,
    CC_SYM,
    CC_HYPHEN,
    CC_APOS,
    CC_DOT,
    CC_COMMA,
    CC_STAR,
    CC_OTHER
};

static int cclass(uint32_t c, int lexicon_mode)
{
    if (c < 0x80) {
        if (c >= '0' && c <= '9')
            return CC_DIGIT;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return CC_LETTER;
        switch (c) {
        case ' ':
        case '\t':
        case '\r':
        case '\v':
        case '\f':
            return CC_SPACE;
        case '\n':
            return CC_NL;
        case '-':
            return CC_HYPHEN;
        case '\'':
        case '`':
            return CC_APOS;
        case '.':
            return CC_DOT;
        case ',':
            return CC_COMMA;
        case '$':
        case '%':
            return CC_SYM;
        case '*':
            return lexicon_mode ? CC_STAR : CC_OTHER;
        default:
            return CC_OTHER;
        }
    }
    switch (c) {
    case 0x2018:
    case 0x2019:
    case 0x02BC:
    case 0x02B9:
        return CC_APOS;
    case 0x3001:
    case 0xFE50:
    case 0xFF64:
        return CC_COMMA;
    case 0x2212:
        return CC_HYPHEN;
    case 0x2030:
    case 0x2031:
        return CC_SYM;
    case 0x2028:
    case 0x2029:
    case 0x85:
        return CC_NL;
    case 0x30FB: /* katakana middle dot separates words */
        return CC_OTHER;
    default:
        break;
    }
    if (news_is_cjk(c))
        return CC_CJK;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: /* non-ASCII digits are read as letters */
        return CC_LETTER;
    case UTF8PROC_CATEGORY_ZS:
        return CC_SPACE;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return CC_NL;
    case UTF8PROC_CATEGORY_PD:
        return CC_HYPHEN;
    case UTF8PROC_CATEGORY_SC:
        return CC_SYM;
    default:
        return CC_OTHER;
    }
}

static int isdig(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

static size_t digits(const char *s, size_t n, size_t i)
{
    size_t k = 0;
    while (isdig(s, n, i + k))
        k++;
    return k;
}

static int atoin(const char *s, size_t k)
{
    int v = 0;
    for (size_t i = 0; i < k && i < 6; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* An all-digit date at s[i]: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD[.], or D.M.YYYY, D/M/YYYY,
 * D-M-YYYY. Fills t and returns its end, or 0. The order of D and M in the second form is
 * decided later, by language. */
static size_t scan_numdate(const char *s, size_t n, size_t i, ntok *t)
{
    size_t l1 = digits(s, n, i), j, l2, l3;
    char sep;
    if (l1 == 0 || i + l1 >= n)
        return 0;
    sep = s[i + l1];
    if (sep != '-' && sep != '/' && sep != '.')
        return 0;
    j = i + l1 + 1;
    l2 = digits(s, n, j);
    if (l2 < 1 || l2 > 2 || j + l2 >= n || s[j + l2] != sep)
        return 0;
    l3 = digits(s, n, j + l2 + 1);
    size_t end = j + l2 + 1 + l3;
    if (l1 == 4 && l3 >= 1 && l3 <= 2) {
        int y = atoin(s + i, 4), m = atoin(s + j, l2), d = atoin(s + j + l2 + 1, l3);
        if (!news_valid_date(y, m, d) || y < 1900 || y > 2100)
            return 0;
        t->nd_ymd = 1, t->nd_y = (uint16_t)y, t->nd_a = (uint8_t)m, t->nd_b = (uint8_t)d;
        if (sep == '.' && end < n && s[end] == '.')
            end++;
    } else if (l1 <= 2 && l3 == 4) {
        int a = atoin(s + i, l1), b = atoin(s + j, l2), y = atoin(s + j + l2 + 1, 4);
        if (y < 1900 || y > 2100 || (!news_valid_date(y, b, a) && !news_valid_date(y, a, b)))
            return 0;
        t->nd_ymd = 0, t->nd_y = (uint16_t)y, t->nd_a = (uint8_t)a, t->nd_b = (uint8_t)b;
    } else {
        return 0;
    }
    if (isdig(s, n, end))
        return 0;
    t->nd_sep = sep;
    return end;
}

/* A number at s[i]: digit groups joined by ',' or '.', or by one space before exactly three
 * digits (120 000) when the groups so far are thousands groups. */
static size_t scan_number(const char *s, size_t n, size_t i)
{
    size_t l = digits(s, n, i), j = i + l, first = l;
    int spaced_ok = first <= 3, marks = 0;
    while (j < n && j - i < 40) {
        if ((s[j] == ',' || s[j] == '.') && isdig(s, n, j + 1)) {
            size_t g = digits(s, n, j + 1);
            if (g != 3)
                spaced_ok = 0;
            marks = 1;
            j += 1 + g;
        } else if (s[j] == ' ' && spaced_ok && !marks && digits(s, n, j + 1) == 3) {
            j += 4;
        } else {
            break;
        }
    }
    return j;
}

static int push_tok(nws *ws, const ntok *t)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 1024;
        ntok *p = realloc(ws->tok, cap * sizeof *p);
        if (p == NULL)
            return -1;
        ws->tok = p;
        ws->cap = cap;
    }
    ws->tok[ws->n++] = *t;
    return 0;
}

static uint16_t count_cps(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return (uint16_t)(k > 0xFFFF ? 0xFFFF : k);
}

int news_tokenize(nws *ws, int lexicon_mode)
{
    const char *s = ws->text.data;
    size_t n = ws->text.len, i = 0, last_end = SIZE_MAX, star_at = SIZE_MAX;
    int pre = SEP_NONE, nl = 0;
    ws->n = 0;
    ws->fold.len = 0;
    ws->fold.oom = 0;
    ws->stems.len = 0;
    ws->stems.oom = 0;
    /* fold.data is never NULL, even when the first word is too long to fold */
    lode_buf_add(&ws->fold, "", 0);
    if (ws->fold.oom)
        return -1;
    if (s == NULL)
        return 0;
    while (i < n) {
        size_t start = i, end;
        uint32_t c = news_utf8_next(s, n, &i);
        int cc = cclass(c, lexicon_mode);
        ntok t;
        memset(&t, 0, sizeof t);
        switch (cc) {
        case CC_SPACE:
            if (pre < SEP_SPACE)
                pre = SEP_SPACE;
            continue;
        case CC_NL:
            if (++nl >= 2)
                pre = SEP_BREAK;
            else if (pre < SEP_SPACE)
                pre = SEP_SPACE;
            continue;
        case CC_HYPHEN:
        case CC_APOS:
        case CC_DOT:
        case CC_COMMA:
        case CC_OTHER: {
            int sp = cc == CC_HYPHEN  ? SEP_HYPHEN
                     : cc == CC_APOS  ? SEP_APOS
                     : cc == CC_DOT   ? SEP_DOT
                     : cc == CC_COMMA ? SEP_COMMA
                                      : SEP_BREAK;
            if (pre < sp)
                pre = sp;
            continue;
        }
        case CC_STAR:
            if (start == last_end && ws->n > 0)
                ws->tok[ws->n - 1].star |= 2;
            star_at = i;
            continue;
        case CC_DIGIT:
            end = scan_numdate(s, n, start, &t);
            if (end) {
                t.type = LODE_NT_NUMDATE;
            } else {
                end = scan_number(s, n, start);
                t.type = LODE_NT_NUM;
            }
            break;
        case CC_CJK:
            end = i;
            t.type = LODE_NT_CJK;
            break;
        case CC_SYM:
            end = i;
            t.type = LODE_NT_SYM;
            break;
        default: /* CC_LETTER */
            end = i;
            while (end < n) {
                size_t k = end;
                uint32_t d = news_utf8_next(s, n, &k);
                int dc = cclass(d, lexicon_mode);
                if (dc != CC_LETTER && dc != CC_DIGIT)
                    break;
                end = k;
            }
            t.type = LODE_NT_WORD;
            break;
        }
        i = end;
        t.off = (uint32_t)start;
        t.len = (uint32_t)(end - start);
        t.pre = (uint8_t)pre;
        t.slen = UINT32_MAX;
        if (start == star_at)
            t.star |= 1;
        if (t.type == LODE_NT_WORD) {
            int r = news_fold(ws, s + start, end - start, 0, &t.fold, &t.flen);
            if (r < 0)
                return -1;
            if (r > 0)
                t.flen = 0, t.fold = 0;
        } else {
            t.fold = (uint32_t)ws->fold.len;
            t.flen = t.len;
            lode_buf_add(&ws->fold, s + start, end - start);
            lode_buf_add(&ws->fold, "", 1);
            if (ws->fold.oom)
                return -1;
        }
        t.cps = t.flen ? count_cps(ws->fold.data + t.fold, t.flen) : 0;
        if (push_tok(ws, &t) != 0)
            return -1;
        last_end = end;
        pre = SEP_NONE;
        nl = 0;
    }
    /* fold.data stays valid (non-NULL) even with no tokens */
    lode_buf_add(&ws->fold, "", 0);
    lode_buf_add(&ws->stems, "", 0);
    return ws->fold.oom || ws->stems.oom ? -1 : 0;
}

void news_ws_free(nws *ws)
{
    if (ws == NULL)
        return;
    free(ws->tok);
    free(ws->u32);
    lode_buf_free(&ws->text);
    lode_buf_free(&ws->fold);
    lode_buf_free(&ws->stems);
    for (size_t i = 0; i < NEWS_MAX_LANGS; i++)
        sb_stemmer_delete(ws->stemmer[i]); /* NULL is a no-op */
    memset(ws, 0, sizeof *ws);
}

lode_status lode_news_tokenize(const char *text, size_t len, lode_arena *a, lode_news_token **out,
                               size_t *n_out, lode_err *err)
{
    nws ws;
    lode_status st = LODE_OK;
    size_t bad = news_utf8_check(text, len);
    *out = NULL;
    *n_out = 0;
    if (bad < len)
        return LODE_FAIL(err, LODE_EINPUT, "", 0, "text", "invalid UTF-8 at byte %zu", bad);
    memset(&ws, 0, sizeof ws);
    lode_buf_add(&ws.text, text, len);
    if (ws.text.oom || news_tokenize(&ws, 0) != 0) {
        news_ws_free(&ws);
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    }
    lode_news_token *t = lode_arena_calloc(a, ws.n ? ws.n : 1, sizeof *t);
    if (t == NULL) {
        st = LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    } else {
        for (size_t i = 0; i < ws.n && st == LODE_OK; i++) {
            const ntok *k = &ws.tok[i];
            t[i].off = k->off;
            t[i].len = k->len;
            t[i].type = (lode_news_toktype)k->type;
            t[i].sep = k->pre;
            t[i].fold = lode_arena_strndup(a, ws.fold.data + k->fold, k->flen);
            if (t[i].fold == NULL)
                st = LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
        }
        if (st == LODE_OK) {
            *out = t;
            *n_out = ws.n;
        }
    }
    news_ws_free(&ws);
    return st;
}
