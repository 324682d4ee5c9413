/* fuzz_news_dates.c: libFuzzer target for the news date and amount parsers. The first byte picks
 * a lexicon language, the rest is text scanned against the anchor 2025-10-29: every date must
 * be a valid YYYY-MM-DD, every amount finite and non-negative with a unit; lode_news_number
 * must agree with itself under both decimal marks where no mark is ambiguous. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "lode/news.h"

static lode_news_lexicon *lx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    lode_buf b = LODE_BUF_INIT;
    (void)argc, (void)argv;
    if (lode_file_read(LODE_DATADIR "/lexicon/news.csv", &b, NULL) != LODE_OK ||
        lode_news_lexicon_parse(b.data, b.len, "news.csv", NULL, &lx, NULL) != LODE_OK)
        abort();
    lode_buf_free(&b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lode_arena *a;
    lode_news_date *d;
    lode_news_amount *m;
    size_t nd, na, nl = lode_news_lexicon_n_langs(lx);
    double v, w;
    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1, *lang = lode_news_lexicon_lang(lx, data[0] % (nl + 1));
    size_t n = size - 1;
    int plain = !memchr(s, ',', n) && !memchr(s, '.', n);
    if (lode_news_number(s, n, ',', &v) &&
        (!isfinite(v) || v < 0 || (plain && (!lode_news_number(s, n, '.', &w) || v != w))))
        abort();
    a = lode_arena_new();
    if (lode_news_scan(lx, lang ? lang : "und", s, n, "2025-10-29", a, &d, &nd, &m, &na, NULL) ==
        LODE_OK) {
        for (size_t i = 0; i < nd; i++)
            if (strlen(d[i].date) != 10 || d[i].date[4] != '-' || d[i].date[7] != '-' ||
                !*d[i].text)
                abort();
        for (size_t i = 0; i < na; i++)
            if (!isfinite(m[i].value) || m[i].value < 0 || !m[i].unit || !*m[i].text)
                abort();
    }
    lode_arena_free(a);
    return 0;
}
