/* news_lang.c: which language an article is in. libexttextcat (an n-gram classifier with 160+
 * language fingerprints) decides for alphabetic scripts. Han, Kana and Hangul text is decided
 * by counting those scripts whenever textcat is unsure or disagrees (a few hundred CJK bytes
 * are a weak n-gram sample, while Kana means Japanese and Hangul Korean without doubt). When
 * textcat cannot tell, the lexicon votes: the language most of whose terms the text contains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <textcat.h>
#include <utf8proc.h>

#include "news_int.h"

struct lode_news_langid {
    void *tc;
    candidate_t *cand;
};

lode_status lode_news_langid_open(const char *dir, lode_news_langid **out, lode_err *err)
{
    char conf[4096], prefix[4096];
    lode_news_langid *li;
    *out = NULL;
    if (snprintf(conf, sizeof conf, "%s/fpdb.conf", dir) >= (int)sizeof conf ||
        snprintf(prefix, sizeof prefix, "%s/", dir) >= (int)sizeof prefix)
        return LODE_FAIL(err, LODE_EUSAGE, dir, 0, "", "path too long");
    li = calloc(1, sizeof *li);
    if (li == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    li->tc = special_textcat_Init(conf, prefix);
    if (li->tc == NULL) {
        free(li);
        return LODE_FAIL(err, LODE_EIO, conf, 0, "",
                         "cannot read the libexttextcat language fingerprints (Debian package "
                         "libexttextcat-data)");
    }
    li->cand = textcat_GetClassifyFullOutput(li->tc);
    if (li->cand == NULL) {
        textcat_Done(li->tc);
        free(li);
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    }
    *out = li;
    return LODE_OK;
}

void lode_news_langid_close(lode_news_langid *li)
{
    if (li == NULL)
        return;
    textcat_ReleaseClassifyFullOutput(li->tc, li->cand);
    textcat_Done(li->tc);
    free(li);
}

/* "zh-CN-utf8" -> "zh" */
static void code_of(const char *name, char *out, size_t len)
{
    size_t i = 0;
    while (name[i] && name[i] != '-' && i + 1 < len) {
        out[i] = name[i];
        i++;
    }
    out[i] = '\0';
}

typedef struct scripts {
    size_t latin, cyrillic, greek, han, kana, hangul, other;
    size_t uk_only, ru_only; /* і ї є ґ; ы э ъ ё */
} scripts;

static void count_scripts(const char *s, size_t n, scripts *sc)
{
    size_t i = 0;
    memset(sc, 0, sizeof *sc);
    if (n > 65536)
        n = 65536;
    while (i < n) {
        uint32_t c = news_utf8_next(s, n, &i);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF))
            sc->latin++;
        else if (c >= 0x400 && c <= 0x52F) {
            sc->cyrillic++;
            sc->uk_only += c == 0x456 || c == 0x457 || c == 0x454 || c == 0x491 || c == 0x406 ||
                           c == 0x407 || c == 0x404 || c == 0x490;
            sc->ru_only += c == 0x44B || c == 0x44D || c == 0x44A || c == 0x451 || c == 0x42B ||
                           c == 0x42D || c == 0x42A || c == 0x401;
        } else if (c >= 0x370 && c <= 0x3FF)
            sc->greek++;
        else if ((c >= 0x3040 && c <= 0x30FF && c != 0x30FB) || (c >= 0x31F0 && c <= 0x31FF))
            sc->kana++;
        else if ((c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) ||
                 (c >= 0x3130 && c <= 0x318F))
            sc->hangul++;
        else if (news_is_cjk(c))
            sc->han++;
        else if (c >= 0x250) {
            utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
            sc->other += k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
        }
    }
}

static void set_lang(const lode_news_lexicon *lx, nlang *out, const char *code, int fallback)
{
    snprintf(out->code, sizeof out->code, "%s", code);
    out->primary = news_lang_index(lx, code);
    if (out->primary < 0)
        out->primary = fallback;
    out->mask = 0;
    out->exact_only = 0;
    if (out->primary < 0) {
        /* a language the lexicon lacks: every language, whole words only */
        out->mask = lx->nlang >= 64 ? ~0ULL : (1ULL << lx->nlang) - 1;
        out->exact_only = 1;
        return;
    }
    out->mask = 1ULL << out->primary;
    if (lx->mul >= 0)
        out->mask |= 1ULL << lx->mul;
    /* CJK terms are written in shared characters: all three languages match together */
    static const char *const cjk[] = {"ja", "zh", "ko"};
    int is_cjk = 0;
    for (int k = 0; k < 3; k++)
        is_cjk |= strcmp(lx->langs[out->primary], cjk[k]) == 0;
    for (int k = 0; is_cjk && k < 3; k++) {
        int l = news_lang_index(lx, cjk[k]);
        if (l >= 0)
            out->mask |= 1ULL << l;
    }
}

void news_lang_set(const lode_news_lexicon *lx, const char *code, nlang *out)
{
    memset(out, 0, sizeof *out);
    set_lang(lx, out, code, -1);
    out->method = "header";
}

static int by_votes(const lode_news_lexicon *lx, nws *ws, nlang *out)
{
    unsigned votes[NEWS_MAX_LANGS] = {0};
    int best = -1;
    news_lang_votes(lx, ws, 4000, votes);
    for (size_t l = 0; l < lx->nlang; l++)
        if ((int)l != lx->mul && votes[l] >= 2 && (best < 0 || votes[l] > votes[best]))
            best = (int)l;
    if (best < 0)
        return 0;
    set_lang(lx, out, lx->langs[best], -1);
    out->method = "lexicon";
    return 1;
}

int news_lang_guess(const lode_news_lexicon *lx, lode_news_langid *li, nws *ws, const char *hint,
                    nlang *out)
{
    scripts sc;
    char top[8] = "";
    int ncand = 0, fallback = -1;
    size_t letters, cjk;
    memset(out, 0, sizeof *out);
    if (hint && *hint) {
        char code[8];
        size_t i = 0;
        while (hint[i] && i + 1 < sizeof code && hint[i] != '-' && hint[i] != '_') {
            code[i] = (char)(hint[i] >= 'A' && hint[i] <= 'Z' ? hint[i] + 32 : hint[i]);
            i++;
        }
        code[i] = '\0';
        set_lang(lx, out, code, -1);
        out->method = "header";
        return 0;
    }
    count_scripts(ws->text.data, ws->text.len, &sc);
    cjk = sc.han + sc.kana + sc.hangul;
    letters = cjk + sc.latin + sc.cyrillic + sc.greek + sc.other;
    if (li && letters > 0) {
        /* 1.5 KB are plenty for n-grams (textcat's own advice: a few hundred bytes) and
         * classifying costs time in proportion; cut on a character boundary. */
        size_t n = ws->text.len < 1536 ? ws->text.len : 1536;
        while (n > 0 && n < ws->text.len && ((unsigned char)ws->text.data[n] & 0xC0) == 0x80)
            n--;
        ncand = textcat_ClassifyFull(li->tc, ws->text.data, n, li->cand);
        if (ncand > 0) {
            code_of(li->cand[0].name, top, sizeof top);
            for (int k = 0; k < ncand && fallback < 0; k++) {
                char c[8];
                code_of(li->cand[k].name, c, sizeof c);
                fallback = news_lang_index(lx, c);
                if (fallback == lx->mul)
                    fallback = -1;
            }
        }
    }
    if (letters == 0) {
        set_lang(lx, out, "und", -1);
        out->method = "script";
        return 0;
    }
    if (cjk * 10 >= letters * 3) {
        const char *by_script = sc.kana * 20 >= cjk ? "ja" : sc.hangul * 2 >= cjk ? "ko" : "zh";
        set_lang(lx, out, by_script, -1);
        out->method = ncand > 0 && strcmp(top, by_script) == 0 ? "textcat" : "script";
        return 0;
    }
    if (ncand > 0) {
        /* Several languages within 3% (short text): the lexicon's terms break the tie among
         * them ("China tightens rare earth export controls" is closer to Catalan n-grams, but
         * only English has its words); a lexicon language also beats one the lexicon lacks. */
        if (ncand > 1) {
            unsigned votes[NEWS_MAX_LANGS] = {0};
            int best = -1, top_l = news_lang_index(lx, top);
            news_lang_votes(lx, ws, 4000, votes);
            for (int k = 0; k < ncand; k++) {
                char c[8];
                code_of(li->cand[k].name, c, sizeof c);
                int l = news_lang_index(lx, c);
                if (l >= 0 && l != lx->mul && votes[l] > 0 && (best < 0 || votes[l] > votes[best]))
                    best = l;
            }
            if (best >= 0 && best != top_l &&
                (top_l < 0 || top_l == lx->mul || votes[best] > votes[top_l]))
                snprintf(top, sizeof top, "%s", lx->langs[best]);
        }
        /* Ukrainian and Russian n-grams are close; their own letters are not */
        if (strcmp(top, "ru") == 0 && sc.uk_only > 0 && sc.ru_only == 0)
            snprintf(top, sizeof top, "uk");
        else if (strcmp(top, "uk") == 0 && sc.ru_only > 0 && sc.uk_only == 0)
            snprintf(top, sizeof top, "ru");
        set_lang(lx, out, top, fallback);
        out->method = "textcat";
        return 0;
    }
    if (by_votes(lx, ws, out))
        return 0;
    set_lang(lx, out, "und", -1);
    out->method = li ? "textcat" : "lexicon";
    return 0;
}
