/* test_news.c: unit tests of the news engine (src/engines/news*.c): number, date and amount
 * parsing, the tokenizer, the lexicon's checks, bad input, every test article of tests/news/
 * against its expected extraction (<case>.json), the grouping of those articles into events
 * (tests/news/events.json), the draft rows' columns, and out-of-memory at every arena
 * allocation. Needs data/lexicon/news.csv and libexttextcat's fingerprints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/news_int.h"
#include "lode/buf.h"
#include "lode/model.h"
#include "lode/news.h"

#ifndef LODE_DATADIR
#define LODE_DATADIR "data"
#endif
#define CASES LODE_DATADIR "/../tests/news"

static lode_news_lexicon *LX;
static lode_news_langid *LI;
static lode_model *M;

static int setup(void **state)
{
    lode_buf b = LODE_BUF_INIT;
    lode_err err = {0};
    char buf[1024];
    (void)state;
    if (lode_model_load_dir(LODE_DATADIR, &M, &err) != LODE_OK ||
        lode_file_read(LODE_DATADIR "/lexicon/news.csv", &b, &err) != LODE_OK ||
        lode_news_lexicon_parse(b.data, b.len, "news.csv", M, &LX, &err) != LODE_OK) {
        print_error("setup: %s\n", lode_err_fmt(&err, buf, sizeof buf));
        lode_buf_free(&b);
        return -1;
    }
    lode_buf_free(&b);
    if (lode_news_langid_open("/usr/share/libexttextcat", &LI, &err) != LODE_OK) {
        print_error("setup: %s\n", lode_err_fmt(&err, buf, sizeof buf));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lode_news_langid_close(LI);
    lode_news_lexicon_free(LX);
    lode_model_free(M);
    return 0;
}

static lode_news_opts opts(void)
{
    lode_news_opts o;
    lode_news_opts_default(&o);
    o.lex = LX;
    o.langid = LI;
    return o;
}

static char *slurp(const char *path, size_t *n)
{
    lode_buf b = LODE_BUF_INIT;
    lode_err err = {0};
    if (lode_file_read(path, &b, &err) != LODE_OK)
        return NULL;
    *n = b.len;
    return b.data;
}

/* ---- numbers ------------------------------------------------------------------------------- */

static void test_lode_news_number_separators(void **state)
{
    static const struct {
        const char *s;
        char dec;
        double v;
    } cases[] = {
        {"1.200", ',', 1200},        {"1,200", '.', 1200},
        {"1.200", '.', 1.2},         {"8,5", ',', 8.5},
        {"8,5", '.', 8.5},           {"120 000", ',', 120000},
        {"1.234,5", ',', 1234.5},    {"1,234.5", '.', 1234.5},
        {"1.234.567", '.', 1234567}, {"0,1", ',', 0.1},
        {"0.125", ',', 0.125},       {"5500", '.', 5500},
        {"3.5", ',', 3.5},           {"120 000,5", ',', 120000.5},
        {"2025", '.', 2025},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;
        if (!lode_news_number(cases[i].s, strlen(cases[i].s), cases[i].dec, &v) ||
            fabs(v - cases[i].v) > 1e-9)
            fail_msg("%s (decimal '%c'): got %g, want %g", cases[i].s, cases[i].dec, v, cases[i].v);
    }
}

static void test_lode_news_number_rejects(void **state)
{
    static const char *const bad[] = {"",    "1,2,3", "1.2.3,4,5", ",5",       "5,",
                                      "12a", "1..2",  "1 23",      "1234 567", "12,34,567"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (lode_news_number(bad[i], strlen(bad[i]), ',', &v))
            fail_msg("\"%s\" accepted as %g", bad[i], v);
    }
}

/* ---- tokenizer ----------------------------------------------------------------------------- */

static void test_lode_news_tokenize_separators(void **state)
{
    const char *t = "Seltene-Erden, U.S. rare-earth; China's  l\xe2\x80\x99"
                    "Europe";
    lode_arena *a = lode_arena_new();
    lode_news_token *tok;
    size_t n;
    static const char *const want[] = {"seltene", "erden", "u", "s", "rare",
                                       "earth",   "china", "s", "l", "europe"};
    static const int sep[] = {0, 2, 5, 4, 4, 2, 6, 3, 1, 3}; /* "U.S. rare": a dot */
    (void)state;
    assert_int_equal(lode_news_tokenize(t, strlen(t), a, &tok, &n, NULL), LODE_OK);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tok[i].fold, want[i]);
        assert_int_equal(tok[i].sep, sep[i]);
        assert_int_equal(tok[i].type, LODE_NT_WORD);
    }
    lode_arena_free(a);
}

static void test_lode_news_tokenize_cjk_chars(void **state)
{
    /* each Han/Kana/Hangul character is a token; digits and Latin stay words and numbers */
    const char *t = "日米は28日、5500億ドルの投資。희토류 EU";
    lode_arena *a = lode_arena_new();
    lode_news_token *tok;
    size_t n;
    (void)state;
    assert_int_equal(lode_news_tokenize(t, strlen(t), a, &tok, &n, NULL), LODE_OK);
    assert_string_equal(tok[0].fold, "日");
    assert_string_equal(tok[1].fold, "米");
    assert_int_equal(tok[1].sep, 0);
    assert_int_equal(tok[3].type, LODE_NT_NUM);
    assert_string_equal(tok[3].fold, "28");
    assert_int_equal(tok[4].sep, 0);
    assert_int_equal(tok[5].type, LODE_NT_NUM);
    assert_int_equal(tok[5].sep, 5); /* the ideographic comma */
    assert_string_equal(tok[n - 1].fold, "eu");
    assert_string_equal(tok[n - 4].fold, "희");
    assert_int_equal(tok[n - 4].sep, 6); /* after 。 */
    lode_arena_free(a);
}

static void test_lode_news_tokenize_numbers(void **state)
{
    const char *t = "2025-10-28 28.10.2025 1.200 120 000 t 3,5% 2025. 10/28/2025";
    lode_arena *a = lode_arena_new();
    lode_news_token *tok;
    size_t n;
    (void)state;
    assert_int_equal(lode_news_tokenize(t, strlen(t), a, &tok, &n, NULL), LODE_OK);
    assert_int_equal(tok[0].type, LODE_NT_NUMDATE);
    assert_int_equal(tok[1].type, LODE_NT_NUMDATE);
    assert_string_equal(tok[2].fold, "1.200");
    assert_string_equal(tok[3].fold, "120 000");
    assert_string_equal(tok[4].fold, "t");
    assert_string_equal(tok[5].fold, "3,5");
    assert_int_equal(tok[6].type, LODE_NT_SYM);
    assert_string_equal(tok[7].fold, "2025");
    assert_int_equal(tok[8].type, LODE_NT_NUMDATE);
    assert_int_equal(n, 9);
    lode_arena_free(a);
}

static void test_lode_news_tokenize_invalid_utf8(void **state)
{
    static const char *const bad[] = {"ab\xc3",           "\xff",       "\xc0\xaf", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80", "ok \xe2\x82"};
    lode_arena *a = lode_arena_new();
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lode_news_token *tok;
        size_t n;
        lode_err err = {0};
        assert_int_equal(lode_news_tokenize(bad[i], strlen(bad[i]), a, &tok, &n, &err),
                         LODE_EINPUT);
        assert_non_null(strstr(err.msg, "invalid UTF-8"));
    }
    lode_arena_free(a);
}

static void test_lode_news_tokenize_long_word(void **state)
{
    /* a word too long to fold (found by fuzz_news) matches nothing and breaks nothing */
    char t[400];
    lode_arena *a = lode_arena_new();
    lode_news_token *tok;
    lode_news_article x;
    lode_news_opts o = opts();
    size_t n;
    (void)state;
    memset(t, 'm', 300);
    strcpy(t + 300, " Japan");
    assert_int_equal(lode_news_tokenize(t, strlen(t), a, &tok, &n, NULL), LODE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(tok[0].fold, "");
    assert_string_equal(tok[1].fold, "japan");
    assert_int_equal(lode_news_article_parse(&o, "l", t, strlen(t), a, &x, NULL), LODE_OK);
    assert_int_equal(x.n_countries, 1);
    lode_arena_free(a);
}

/* ---- dates and amounts --------------------------------------------------------------------- */

typedef struct dcase {
    const char *lang, *text, *anchor, *date;
    int relative;
} dcase;

static void check_dates(const dcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lode_arena *a = lode_arena_new();
        lode_news_date *d;
        lode_news_amount *am;
        size_t nd, na;
        assert_int_equal(lode_news_scan(LX, c[i].lang, c[i].text, strlen(c[i].text), c[i].anchor, a,
                                        &d, &nd, &am, &na, NULL),
                         LODE_OK);
        if (nd != 1 || strcmp(d[0].date, c[i].date) != 0 || d[0].relative != c[i].relative)
            fail_msg("%s \"%s\": got %zu date(s), first %s, want %s", c[i].lang, c[i].text, nd,
                     nd ? d[0].date : "-", c[i].date);
        lode_arena_free(a);
    }
}

static void test_lode_news_scan_dates_absolute(void **state)
{
    static const dcase c[] = {
        {"en", "signed on 28 October 2025 in Tokyo", NULL, "2025-10-28", 0},
        {"en", "on October 28, 2025, the two", NULL, "2025-10-28", 0},
        {"en", "the 28th of October 2025", NULL, "2025-10-28", 0},
        {"de", "am 28. Oktober 2025 unterzeichnet", NULL, "2025-10-28", 0},
        {"ro", "pe 28 octombrie 2025, la Tokyo", NULL, "2025-10-28", 0},
        {"tr", "28 Ekim 2025 tarihinde", NULL, "2025-10-28", 0},
        {"pl", "28 października 2025 r. w Tokio", NULL, "2025-10-28", 0},
        {"fr", "le 1er décembre 2025", NULL, "2025-12-01", 0},
        {"es", "el 9 de octubre de 2025", NULL, "2025-10-09", 0},
        {"pt", "em 9 de outubro de 2025", NULL, "2025-10-09", 0},
        {"it", "il 9 ottobre 2025", NULL, "2025-10-09", 0},
        {"nl", "op 9 oktober 2025", NULL, "2025-10-09", 0},
        {"sv", "den 9 oktober 2025", NULL, "2025-10-09", 0},
        {"cs", "dne 9. října 2025", NULL, "2025-10-09", 0},
        {"hu", "2025. október 9-én", NULL, "2025-10-09", 0},
        {"uk", "9 жовтня 2025 року", NULL, "2025-10-09", 0},
        {"ru", "9 октября 2025 года", NULL, "2025-10-09", 0},
        {"ja", "2025年10月28日に署名", NULL, "2025-10-28", 0},
        {"zh", "于2025年10月28日签署", NULL, "2025-10-28", 0},
        {"ko", "2025년 10월 28일 서명", NULL, "2025-10-28", 0},
        {"en", "dated 2025-10-28.", NULL, "2025-10-28", 0},
        {"de", "Stand: 28.10.2025", NULL, "2025-10-28", 0},
        {"en", "filed 10/28/2025", NULL, "2025-10-28", 0},
        {"fr", "le 09/10/2025", NULL, "2025-10-09", 0},
        {"ja", "2025/10/28 更新", NULL, "2025-10-28", 0},
    };
    (void)state;
    check_dates(c, sizeof c / sizeof c[0]);
}

static void test_lode_news_scan_dates_relative(void **state)
{
    /* 2025-10-29 is a Wednesday */
    static const dcase c[] = {
        {"en", "they signed it yesterday", "2025-10-29", "2025-10-28", 1},
        {"de", "wie gestern bekannt wurde", "2025-10-29", "2025-10-28", 1},
        {"ro", "acordul semnat ieri", "2025-10-29", "2025-10-28", 1},
        {"it", "firmato ieri a Tokyo", "2025-10-29", "2025-10-28", 1},
        {"tr", "dün imzalandı", "2025-10-29", "2025-10-28", 1},
        {"ja", "昨日署名した", "2025-10-29", "2025-10-28", 1},
        {"zh", "昨天签署", "2025-10-29", "2025-10-28", 1},
        {"ko", "어제 서명했다", "2025-10-29", "2025-10-28", 1},
        {"en", "on Tuesday the two leaders", "2025-10-29", "2025-10-28", 1},
        {"pl", "podpisały we wtorek", "2025-10-29", "2025-10-28", 1},
        {"fr", "a annoncé mercredi", "2025-10-29", "2025-10-29", 1},
        {"ja", "28日、東京で", "2025-10-29", "2025-10-28", 1},
        {"ko", "3일 발표했다", "2025-11-04", "2025-11-03", 1},
        {"ja", "30日に発表", "2025-11-02", "2025-10-30", 1},
        {"zh", "10月28日在东京", "2025-10-29", "2025-10-28", 1},
        {"en", "from 1 December", "2025-10-09", "2025-12-01", 1},
        {"en", "since December 20", "2026-01-05", "2025-12-20", 1},
    };
    (void)state;
    check_dates(c, sizeof c / sizeof c[0]);
}

static void test_lode_news_scan_dates_unresolved(void **state)
{
    /* without an anchor, relative dates are left out; "may" is a verb */
    lode_arena *a = lode_arena_new();
    lode_news_date *d;
    lode_news_amount *am;
    size_t nd, na;
    const char *t = "Yesterday it may 5 times have said so on Tuesday.";
    (void)state;
    assert_int_equal(lode_news_scan(LX, "en", t, strlen(t), NULL, a, &d, &nd, &am, &na, NULL),
                     LODE_OK);
    assert_int_equal(nd, 0);
    lode_arena_free(a);
}

typedef struct acase {
    const char *lang, *text;
    double value;
    const char *unit;
} acase;

static void test_lode_news_scan_amounts(void **state)
{
    static const acase c[] = {
        {"en", "pledged US$550 billion in the US", 550e9, "USD"},
        {"en", "a $1.5 trillion package", 1.5e12, "USD"},
        {"en", "worth €2bn to the bloc", 2e9, "EUR"},
        {"en", "raised 120 million dollars", 120e6, "USD"},
        {"en", "output of 1,200 tonnes", 1200, "t"},
        {"en", "about 12 kt of oxide", 12000, "t"},
        {"en", "prices rose 12% on the week", 12, "%"},
        {"pl", "inwestycji o wartości 8,5 mld USD", 8.5e9, "USD"},
        {"fr", "produit 120 000 t par an", 120000, "t"},
        {"de", "rund 1.200 Tonnen Oxid", 1200, "t"},
        {"de", "550 Mrd. US-Dollar", 550e9, "USD"},
        {"ko", "5억 달러를 투자", 5e8, "USD"},
        {"ko", "5500억 달러", 550e9, "USD"},
        {"ja", "5500億ドルの投資", 550e9, "USD"},
        {"ja", "80兆円規模", 80e12, "JPY"},
        {"ja", "5億5000万ドル", 5.5e8, "USD"},
        {"zh", "投资5500亿美元", 550e9, "USD"},
        {"zh", "产量12万吨", 120000, "t"},
        {"ro", "550 de miliarde de dolari", 550e9, "USD"},
        {"es", "unos 550.000 millones de dólares", 550e9, "USD"},
        {"it", "1.150 dollari al chilogrammo", 1150, "USD"},
        {"tr", "550 milyar dolarlık yatırım", 550e9, "USD"},
        {"tr", "yüzde 12 arttı", 12, "%"},
        {"tr", "%12 yükseldi", 12, "%"},
        {"ru", "2,5 млрд долларов", 2.5e9, "USD"},
        {"uk", "190 мільйонів євро", 190e6, "EUR"},
        {"pt", "R$ 3 bilhões", 3e9, "BRL"},
        {"pt", "250 mil toneladas", 250000, "t"},
        {"hu", "190 millió euró", 190e6, "EUR"},
        {"cs", "190 milionů eur", 190e6, "EUR"},
        {"sv", "2 miljarder kronor", 2e9, "SEK"},
        {"nl", "1.150 dollar per kilo", 1150, "USD"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_news_date *d;
        lode_news_amount *am;
        size_t nd, na;
        assert_int_equal(lode_news_scan(LX, c[i].lang, c[i].text, strlen(c[i].text), NULL, a, &d,
                                        &nd, &am, &na, NULL),
                         LODE_OK);
        if (na != 1 || fabs(am[0].value - c[i].value) > 1e-6 * c[i].value ||
            strcmp(am[0].unit, c[i].unit) != 0)
            fail_msg("%s \"%s\": got %zu amount(s), first %g %s, want %g %s", c[i].lang, c[i].text,
                     na, na ? am[0].value : 0, na ? am[0].unit : "-", c[i].value, c[i].unit);
        lode_arena_free(a);
    }
}

static void test_lode_news_scan_amounts_none(void **state)
{
    /* a number alone, a year, "won" the verb before a number: no amount */
    static const char *const t[] = {"in 2025 the firm", "the deal won 5 votes", "Article 3 says",
                                    "제3조에 따라"};
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lode_arena *a = lode_arena_new();
        lode_news_date *d;
        lode_news_amount *am;
        size_t nd, na;
        assert_int_equal(lode_news_scan(LX, i == 3 ? "ko" : "en", t[i], strlen(t[i]), NULL, a, &d,
                                        &nd, &am, &na, NULL),
                         LODE_OK);
        if (na != 0)
            fail_msg("\"%s\": got amount %s", t[i], am[0].text);
        lode_arena_free(a);
    }
}

/* ---- lexicon ------------------------------------------------------------------------------- */

static void test_lode_news_lexicon_parse_errors(void **state)
{
    static const struct {
        const char *csv, *field;
        long line;
    } c[] = {
        {"lang,kind,term,value,source\nen,colour,red,1,x\n", "kind", 2},
        {"lang,kind,term,value,source\nen,country,Japan,JP,x\n", "value", 2},
        {"lang,kind,term,value,source\nEN,country,Japan,JPN,x\n", "lang", 2},
        {"lang,kind,term,value,source\nen,month,May,13,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,event,ban,export_control:never,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,event,deal,treaty,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,unit,t,kg:1,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,currency,dollar,usd,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,material,gallium,Gallium,x\n", "value", 2},
        {"lang,kind,term,value,source\nen,country,=,USA,x\n", "term", 2},
        {"lang,kind,term,value,source\nen,country,...,USA,x\n", "term", 2},
        {"lang,kind,term,value\nen,country,Japan,JPN\n", "", 1},
        {"lang,kind,term,value,source\nen,country,Japan,JPN,\n", "source", 2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        lode_news_lexicon *lx = NULL;
        lode_err err = {0};
        lode_status st = lode_news_lexicon_parse(c[i].csv, strlen(c[i].csv), "t.csv", M, &lx, &err);
        if (st != LODE_EINPUT || lx != NULL || err.line != c[i].line ||
            (c[i].field[0] && strcmp(err.field, c[i].field) != 0))
            fail_msg("case %zu: status %d line %ld field '%s' (%s)", i, st, err.line, err.field,
                     err.msg);
    }
}

static void test_lode_news_lexicon_parse_small(void **state)
{
    const char *csv = "lang,kind,term,value,source\n"
                      "en,country,United States,USA,x\nen,country,US,USA,x\n"
                      "en,material,rare earth*,REO_conc,x\nmul,currency,$,USD,x\n";
    lode_news_lexicon *lx;
    (void)state;
    assert_int_equal(lode_news_lexicon_parse(csv, strlen(csv), "t.csv", M, &lx, NULL), LODE_OK);
    assert_int_equal(lode_news_lexicon_size(lx), 4);
    assert_int_equal(lode_news_lexicon_n_langs(lx), 1);
    assert_string_equal(lode_news_lexicon_lang(lx, 0), "en");
    assert_null(lode_news_lexicon_lang(lx, 1));
    lode_news_lexicon_free(lx);
    lode_news_lexicon_free(NULL);
}

static void test_lode_news_lexicon_parse_covers_languages(void **state)
{
    static const char *const want[] = {"en", "de", "fr", "es", "it", "pt", "pl", "ro", "tr",
                                       "nl", "sv", "cs", "hu", "uk", "ru", "ja", "zh", "ko"};
    (void)state;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t k;
        for (k = 0; k < lode_news_lexicon_n_langs(LX); k++)
            if (strcmp(lode_news_lexicon_lang(LX, k), want[i]) == 0)
                break;
        if (k == lode_news_lexicon_n_langs(LX))
            fail_msg("the lexicon lacks %s", want[i]);
    }
}

/* ---- articles ------------------------------------------------------------------------------ */

static void test_lode_news_article_parse_rejects(void **state)
{
    static const struct {
        const char *data;
        size_t len;
        const char *why;
    } c[] = {
        {"", 0, "empty file"},
        {" \n\t\r\n", 5, "white space only"},
        {"PK\x03\x04\0\0binary", 12, "NUL byte at offset 4"},
        {"Japan and \xff the US", 17, "invalid UTF-8 at byte 10"},
        {"\xc0\xaf overlong", 11, "invalid UTF-8 at byte 0"},
        {"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f text", 15, "control characters"},
        {"0123456789ABCDEFGHIJK", 21, "too large"},
    };
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    (void)state;
    o.max_bytes = 20;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        lode_news_article x;
        assert_int_equal(lode_news_article_parse(&o, "f", c[i].data, c[i].len, a, &x, NULL),
                         LODE_OK);
        if (x.error == NULL || strstr(x.error, c[i].why) == NULL)
            fail_msg("case %zu: error \"%s\", want \"%s\"", i, x.error ? x.error : "(none)",
                     c[i].why);
        assert_int_equal(x.kind, -1);
        assert_int_equal(x.n_countries, 0);
    }
    lode_arena_free(a);
}

static void test_lode_news_article_parse_header(void **state)
{
    const char *t = "\xEF\xBB\xBF"
                    "Date: Tue, 28 Oct 2025 09:00:00 +0900\r\n"
                    "Title: Japan and US sign minerals deal\r\nSource: https://www.mofa.go.jp/x\r\n"
                    "Lang: en-GB\r\n\r\nThe two governments signed it on Tuesday.\r\n";
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_article x;
    (void)state;
    assert_int_equal(lode_news_article_parse(&o, "h.txt", t, strlen(t), a, &x, NULL), LODE_OK);
    assert_null(x.error);
    assert_string_equal(x.date, "2025-10-28");
    assert_string_equal(x.date_source, "header");
    assert_string_equal(x.title, "Japan and US sign minerals deal");
    assert_string_equal(x.lang, "en");
    assert_string_equal(x.lang_method, "header");
    assert_true(x.official);
    assert_int_equal(x.kind, LODE_NEWS_AGREEMENT);
    assert_int_equal(x.n_countries, 2);
    assert_int_equal(x.n_dates, 1);
    assert_string_equal(x.dates[0].date, "2025-10-28");
    lode_arena_free(a);
}

static void test_lode_news_article_parse_date_from_text(void **state)
{
    /* no header: the first absolute date is the article's; "WASHINGTON:" is not a header */
    const char *t = "WASHINGTON: On 3 July 2023 China announced export controls on gallium.\n"
                    "Yesterday it said more.";
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_article x;
    (void)state;
    assert_int_equal(lode_news_article_parse(&o, "t.txt", t, strlen(t), a, &x, NULL), LODE_OK);
    assert_string_equal(x.date, "2023-07-03");
    assert_string_equal(x.date_source, "text");
    assert_int_equal(x.n_dates, 2);
    assert_string_equal(x.dates[1].date, "2023-07-02");
    assert_int_equal(x.kind, LODE_NEWS_EXPORT_CONTROL);
    assert_string_equal(x.materials[0].id, "Ga");
    lode_arena_free(a);
}

static void test_lode_news_article_parse_cjk_by_script(void **state)
{
    /* without textcat: Kana means Japanese, Hangul Korean, Han alone Chinese */
    static const struct {
        const char *text, *lang;
    } c[] = {{"日本と米国はレアアースの協定に署名した。", "ja"},
             {"미국과 일본은 희토류 협정에 서명했다.", "ko"},
             {"美国和日本签署了稀土协议。", "zh"}};
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    (void)state;
    o.langid = NULL;
    for (size_t i = 0; i < 3; i++) {
        lode_news_article x;
        assert_int_equal(
            lode_news_article_parse(&o, "c", c[i].text, strlen(c[i].text), a, &x, NULL), LODE_OK);
        assert_string_equal(x.lang, c[i].lang);
        assert_string_equal(x.lang_method, "script");
        assert_int_equal(x.kind, LODE_NEWS_AGREEMENT);
        assert_int_equal(x.n_countries, 2);
    }
    lode_arena_free(a);
}

static void test_lode_news_article_parse_short_headlines(void **state)
{
    /* one sentence per language: textcat alone calls some of these Catalan or Russian */
    static const struct {
        const char *lang, *text;
    } c[] = {
        {"en", "China tightens rare earth export controls."},
        {"de", "China verschärft Exportkontrollen für Seltene Erden."},
        {"fr", "La Chine durcit les contrôles sur les terres rares."},
        {"es", "China endurece los controles sobre las tierras raras."},
        {"it", "La Cina inasprisce i controlli sulle terre rare."},
        {"pt", "A China endurece os controles sobre terras raras."},
        {"pl", "Chiny zaostrzają kontrolę eksportu metali ziem rzadkich."},
        {"ro", "China înăsprește controalele la export pentru pământurile rare."},
        {"tr", "Çin nadir toprak elementlerinde ihracat kontrollerini sıkılaştırdı."},
        {"nl", "China verscherpt de exportcontroles op zeldzame aardmetalen."},
        {"sv", "Kina skärper exportkontrollerna för sällsynta jordartsmetaller."},
        {"cs", "Čína zpřísňuje kontroly vývozu vzácných zemin."},
        {"hu", "Kína szigorítja a ritkaföldfémek exportjának ellenőrzését."},
        {"uk", "Китай посилює експортний контроль над рідкісноземельними металами."},
        {"ru", "Китай ужесточает экспортный контроль над редкоземельными металлами."},
        {"ja", "中国がレアアースの輸出規制を強化"},
        {"zh", "中国加强稀土出口管制"},
        {"ko", "중국, 희토류 수출 통제 강화"},
    };
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    (void)state;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        lode_news_article x;
        assert_int_equal(
            lode_news_article_parse(&o, "h", c[i].text, strlen(c[i].text), a, &x, NULL), LODE_OK);
        if (strcmp(x.lang, c[i].lang) != 0 || x.kind != LODE_NEWS_EXPORT_CONTROL ||
            x.n_countries != 1 || strcmp(x.countries[0].id, "CHN") != 0 || x.n_materials != 6)
            fail_msg("%s: lang %s, kind %d, %zu countries, %zu materials", c[i].lang, x.lang,
                     x.kind, x.n_countries, x.n_materials);
    }
    lode_arena_free(a);
}

static int json_has_str(const cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0) return 1;
    return 0;
}

typedef struct score {
    size_t n, lang, kind, date, event_date, first_country;
    size_t want_c, got_c, want_m, got_m, want_d, got_d, want_a, got_a, wrong_c;
} score;

/* Compare article x with its expected extraction; count what matched into *s. Returns the
 * number of mismatches (each printed). */
static int check_case(const char *name, const lode_news_article *x, const cJSON *e, score *s)
{
    int bad = 0;
    const cJSON *it;
    const char *lang = cJSON_GetObjectItem(e, "lang")->valuestring;
    const char *kind = cJSON_GetObjectItem(e, "kind")->valuestring;
    const char *date = cJSON_GetObjectItem(e, "date")->valuestring;
    const char *evd = cJSON_GetObjectItem(e, "event_date")->valuestring;
    s->n++;
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
        } else {                                                                                   \
            print_error("%s: ", name);                                                             \
            print_error(__VA_ARGS__);                                                              \
            print_error("\n");                                                                     \
            bad++;                                                                                 \
        }                                                                                          \
    } while (0)
    EXPECT(x->error == NULL, "error %s", x->error);
    if (x->error)
        return bad;
    s->lang += strcmp(x->lang, lang) == 0;
    EXPECT(strcmp(x->lang, lang) == 0, "lang %s, want %s", x->lang, lang);
    s->kind += x->kind >= 0 && strcmp(lode_news_kind_name(x->kind), kind) == 0;
    EXPECT(x->kind >= 0 && strcmp(lode_news_kind_name(x->kind), kind) == 0, "kind %s, want %s",
           x->kind >= 0 ? lode_news_kind_name(x->kind) : "none", kind);
    s->date += x->date && strcmp(x->date, date) == 0;
    EXPECT(x->date && strcmp(x->date, date) == 0, "date %s, want %s", x->date, date);
    s->event_date += x->event_date && strcmp(x->event_date, evd) == 0;
    EXPECT(x->event_date && strcmp(x->event_date, evd) == 0, "event date %s, want %s",
           x->event_date, evd);
    const cJSON *want_c = cJSON_GetObjectItem(e, "countries");
    cJSON_ArrayForEach(it, want_c)
    {
        int found = 0;
        for (size_t k = 0; k < x->n_countries; k++)
            found |= strcmp(x->countries[k].id, it->valuestring) == 0;
        s->want_c++;
        s->got_c += (size_t)found;
        EXPECT(found, "country %s not found", it->valuestring);
    }
    s->first_country += x->n_countries && json_has_str(want_c, x->countries[0].id);
    EXPECT(x->n_countries && json_has_str(want_c, x->countries[0].id), "first country %s",
           x->n_countries ? x->countries[0].id : "none");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(e, "not_countries"))
    {
        for (size_t k = 0; k < x->n_countries; k++)
            if (strcmp(x->countries[k].id, it->valuestring) == 0) {
                s->wrong_c++;
                EXPECT(0, "country %s should not be found", it->valuestring);
            }
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(e, "materials"))
    {
        int found = 0;
        for (size_t k = 0; k < x->n_materials; k++)
            found |= strcmp(x->materials[k].id, it->valuestring) == 0;
        s->want_m++;
        s->got_m += (size_t)found;
        EXPECT(found, "material %s not found", it->valuestring);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(e, "dates"))
    {
        const char *t = cJSON_GetArrayItem(it, 0)->valuestring;
        const char *d = cJSON_GetArrayItem(it, 1)->valuestring;
        int found = 0;
        for (size_t k = 0; k < x->n_dates; k++)
            found |= strcmp(x->dates[k].text, t) == 0 && strcmp(x->dates[k].date, d) == 0;
        s->want_d++;
        s->got_d += (size_t)found;
        EXPECT(found, "date \"%s\" = %s not found", t, d);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(e, "amounts"))
    {
        const char *t = cJSON_GetArrayItem(it, 0)->valuestring;
        double v = cJSON_GetArrayItem(it, 1)->valuedouble;
        const char *u = cJSON_GetArrayItem(it, 2)->valuestring;
        int found = 0;
        for (size_t k = 0; k < x->n_amounts; k++)
            found |= strcmp(x->amounts[k].text, t) == 0 && strcmp(x->amounts[k].unit, u) == 0 &&
                     fabs(x->amounts[k].value - v) <= 1e-9 * fabs(v);
        s->want_a++;
        s->got_a += (size_t)found;
        EXPECT(found, "amount \"%s\" = %g %s not found", t, v, u);
    }
#undef EXPECT
    return bad;
}

/* The test articles, sorted by name (NULL-terminated, malloc'd). */
static char **case_files(size_t *n)
{
    DIR *d = opendir(CASES);
    struct dirent *ent;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (d == NULL)
        return NULL;
    while ((ent = readdir(d)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l < 5 || strcmp(ent->d_name + l - 4, ".txt") != 0)
            continue;
        if (*n + 2 > cap) {
            cap = cap ? cap * 2 : 32;
            v = realloc(v, cap * sizeof *v);
        }
        v[(*n)++] = strdup(ent->d_name);
        v[*n] = NULL;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v;
}

static void free_files(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void test_lode_news_article_parse_cases(void **state)
{
    size_t n;
    char **files = case_files(&n);
    score s;
    int bad = 0;
    (void)state;
    memset(&s, 0, sizeof s);
    assert_non_null(files);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        char path[1024], jpath[1024];
        size_t len = 0, jl = 0;
        snprintf(path, sizeof path, "%s/%s", CASES, files[i]);
        snprintf(jpath, sizeof jpath, "%s/%.*s.json", CASES, (int)strlen(files[i]) - 4, files[i]);
        char *text = slurp(path, &len), *js = slurp(jpath, &jl);
        assert_non_null(text);
        if (js == NULL)
            fail_msg("%s has no expected extraction %s", files[i], jpath);
        cJSON *e = cJSON_Parse(js);
        assert_non_null(e);
        lode_arena *a = lode_arena_new();
        lode_news_opts o = opts();
        lode_news_article x;
        assert_int_equal(lode_news_article_parse(&o, files[i], text, len, a, &x, NULL), LODE_OK);
        bad += check_case(files[i], &x, e, &s);
        lode_arena_free(a);
        cJSON_Delete(e);
        free(text);
        free(js);
    }
    print_message("news accuracy on %zu own articles: lang %zu/%zu, kind %zu/%zu, date %zu/%zu, "
                  "event date %zu/%zu, main country %zu/%zu, countries %zu/%zu (wrong %zu), "
                  "materials %zu/%zu, dates %zu/%zu, amounts %zu/%zu\n",
                  s.n, s.lang, s.n, s.kind, s.n, s.date, s.n, s.event_date, s.n, s.first_country,
                  s.n, s.got_c, s.want_c, s.wrong_c, s.got_m, s.want_m, s.got_d, s.want_d, s.got_a,
                  s.want_a);
    free_files(files, n);
    assert_int_equal(bad, 0);
}

/* ---- the run: events and drafts ------------------------------------------------------------ */

typedef struct corpus {
    lode_news_input *in;
    char **files;
    size_t n;
} corpus;

static void corpus_load(corpus *c, int reverse)
{
    c->files = case_files(&c->n);
    c->in = calloc(c->n, sizeof *c->in);
    for (size_t i = 0; i < c->n; i++) {
        char path[1024];
        size_t k = reverse ? c->n - 1 - i : i;
        snprintf(path, sizeof path, "%s/%s", CASES, c->files[k]);
        c->in[i].name = c->files[k];
        c->in[i].data = slurp(path, &c->in[i].len);
    }
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free((char *)c->in[i].data);
    free(c->in);
    free_files(c->files, c->n);
}

static void test_lode_news_run_events(void **state)
{
    corpus c;
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_result r;
    size_t jl = 0;
    char *js = slurp(CASES "/events.json", &jl);
    cJSON *doc = cJSON_Parse(js), *it;
    (void)state;
    corpus_load(&c, 0);
    assert_int_equal(lode_news_run(c.in, c.n, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_read, c.n);
    assert_int_equal(r.n_events, (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(doc, "events")));
    size_t e = 0, drafts = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "events"))
    {
        const lode_news_event *ev = &r.events[e++];
        const cJSON *x;
        assert_string_equal(lode_news_kind_name(ev->kind),
                            cJSON_GetObjectItem(it, "kind")->valuestring);
        assert_string_equal(ev->date, cJSON_GetObjectItem(it, "date")->valuestring);
        assert_int_equal(ev->n_articles,
                         (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(it, "articles")));
        for (size_t k = 0; k < ev->n_articles; k++)
            if (!json_has_str(cJSON_GetObjectItem(it, "articles"),
                              r.articles[ev->articles[k]].file))
                fail_msg("event %s: unexpected article %s", ev->id,
                         r.articles[ev->articles[k]].file);
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(it, "countries"))
        {
            int found = 0;
            for (size_t k = 0; k < ev->n_countries; k++)
                found |= strcmp(ev->countries[k], x->valuestring) == 0;
            if (!found)
                fail_msg("event %s lacks party %s", ev->id, x->valuestring);
        }
        assert_true(json_has_str(cJSON_GetObjectItem(it, "countries"), ev->countries[0]));
        assert_int_equal(ev->confirmed, cJSON_IsTrue(cJSON_GetObjectItem(it, "confirmed")));
        x = cJSON_GetObjectItem(it, "draft");
        int has = 0;
        for (size_t k = 0; k < r.n_drafts; k++)
            if (r.drafts[k].event == e - 1) {
                has = 1;
                assert_true(cJSON_IsString(x));
                assert_string_equal(r.drafts[k].table, x->valuestring);
                drafts++;
            }
        assert_int_equal(has, cJSON_IsString(x));
    }
    assert_int_equal(drafts, r.n_drafts);
    cJSON_Delete(doc);
    free(js);
    corpus_free(&c);
    lode_arena_free(a);
}

static void test_lode_news_run_order_independent(void **state)
{
    corpus c1, c2;
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_result r1, r2;
    (void)state;
    corpus_load(&c1, 0);
    corpus_load(&c2, 1);
    assert_int_equal(lode_news_run(c1.in, c1.n, &o, a, &r1, NULL), LODE_OK);
    assert_int_equal(lode_news_run(c2.in, c2.n, &o, a, &r2, NULL), LODE_OK);
    assert_int_equal(r1.n_events, r2.n_events);
    for (size_t e = 0; e < r1.n_events; e++) {
        assert_string_equal(r1.events[e].id, r2.events[e].id);
        assert_int_equal(r1.events[e].n_articles, r2.events[e].n_articles);
    }
    assert_int_equal(r1.n_drafts, r2.n_drafts);
    corpus_free(&c1);
    corpus_free(&c2);
    lode_arena_free(a);
}

static void test_lode_news_run_draft_columns(void **state)
{
    /* draft rows use the header of the dataset's own files, column for column */
    corpus c;
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_result r;
    int seen[2] = {0, 0};
    (void)state;
    corpus_load(&c, 0);
    assert_int_equal(lode_news_run(c.in, c.n, &o, a, &r, NULL), LODE_OK);
    for (size_t k = 0; k < r.n_drafts; k++) {
        const lode_news_draft *d = &r.drafts[k];
        char path[256], head[1024] = "";
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s.csv", LODE_DATADIR, d->table);
        char *csv = slurp(path, &n);
        assert_non_null(csv);
        for (size_t i = 0; i < d->n_columns; i++) {
            strcat(head, i ? "," : "");
            strcat(head, d->columns[i]);
        }
        strcat(head, "\n");
        assert_memory_equal(csv, head, strlen(head));
        free(csv);
        seen[strcmp(d->table, "policies") == 0]++;
        assert_string_equal(d->values[0], d->values[0][0] ? d->values[0] : "x");
        assert_non_null(strstr(d->values[0], "DRAFT-"));
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
    corpus_free(&c);
    lode_arena_free(a);
}

static void test_lode_news_run_bad_inputs(void **state)
{
    lode_news_input in[3] = {{"a.txt", "", 0, NULL},
                             {"b.bin",
                              "\x7f"
                              "ELF\0\0",
                              6, NULL},
                             {"c.txt", NULL, 0, "cannot open: No such file or directory"}};
    lode_arena *a = lode_arena_new();
    lode_news_opts o = opts();
    lode_news_result r;
    lode_err err = {0};
    (void)state;
    assert_int_equal(lode_news_run(in, 3, &o, a, &r, NULL), LODE_OK);
    assert_int_equal(r.n_read, 0);
    assert_int_equal(r.n_events, 0);
    assert_string_equal(r.articles[2].error, "cannot open: No such file or directory");
    o.default_date = "2025-13-01";
    assert_int_equal(lode_news_run(in, 3, &o, a, &r, &err), LODE_EUSAGE);
    o.default_date = NULL;
    o.lex = NULL;
    assert_int_equal(lode_news_run(in, 3, &o, a, &r, &err), LODE_EUSAGE);
    lode_arena_free(a);
}

static void test_lode_news_run_oom(void **state)
{
    /* fail the arena's Nth allocation, for every N, until the run needs no more */
    corpus c;
    lode_news_opts o = opts();
    int done = 0;
    (void)state;
    corpus_load(&c, 0);
    for (long n = 1; n < 100000 && !done; n++) {
        lode_arena *a = lode_arena_new();
        lode_news_result r;
        lode_err err = {0};
        lode_arena_fail_after(a, n);
        lode_status st = lode_news_run(c.in, 4, &o, a, &r, &err);
        if (st == LODE_OK)
            done = 1;
        else
            assert_int_equal(st, LODE_EIO);
        lode_arena_free(a);
    }
    assert_true(done);
    corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_news_number_separators),
        cmocka_unit_test(test_lode_news_number_rejects),
        cmocka_unit_test(test_lode_news_tokenize_separators),
        cmocka_unit_test(test_lode_news_tokenize_cjk_chars),
        cmocka_unit_test(test_lode_news_tokenize_numbers),
        cmocka_unit_test(test_lode_news_tokenize_invalid_utf8),
        cmocka_unit_test(test_lode_news_tokenize_long_word),
        cmocka_unit_test(test_lode_news_scan_dates_absolute),
        cmocka_unit_test(test_lode_news_scan_dates_relative),
        cmocka_unit_test(test_lode_news_scan_dates_unresolved),
        cmocka_unit_test(test_lode_news_scan_amounts),
        cmocka_unit_test(test_lode_news_scan_amounts_none),
        cmocka_unit_test(test_lode_news_lexicon_parse_errors),
        cmocka_unit_test(test_lode_news_lexicon_parse_small),
        cmocka_unit_test(test_lode_news_lexicon_parse_covers_languages),
        cmocka_unit_test(test_lode_news_article_parse_rejects),
        cmocka_unit_test(test_lode_news_article_parse_header),
        cmocka_unit_test(test_lode_news_article_parse_date_from_text),
        cmocka_unit_test(test_lode_news_article_parse_cjk_by_script),
        cmocka_unit_test(test_lode_news_article_parse_short_headlines),
        cmocka_unit_test(test_lode_news_article_parse_cases),
        cmocka_unit_test(test_lode_news_run_events),
        cmocka_unit_test(test_lode_news_run_order_independent),
        cmocka_unit_test(test_lode_news_run_draft_columns),
        cmocka_unit_test(test_lode_news_run_bad_inputs),
        cmocka_unit_test(test_lode_news_run_oom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
