/* fuzz_news.c: libFuzzer target for the news tokenizer and the whole analysis of one article
 * (header, NFKC, language, dates, amounts, lexicon matching). Tokens must come in order inside
 * the input with valid UTF-8 folds, and the analysis must succeed or reject the input with a
 * reason. Seeds: the articles in tests/news/. Build and run with fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "lode/news.h"

static lode_news_opts opts;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    lode_buf b = LODE_BUF_INIT;
    lode_news_lexicon *lx;
    lode_news_langid *li = NULL;
    (void)argc, (void)argv;
    if (lode_file_read(LODE_DATADIR "/lexicon/news.csv", &b, NULL) != LODE_OK ||
        lode_news_lexicon_parse(b.data, b.len, "news.csv", NULL, &lx, NULL) != LODE_OK)
        abort();
    lode_buf_free(&b);
    lode_news_langid_open("/usr/share/libexttextcat", &li, NULL); /* NULL: script and lexicon */
    lode_news_opts_default(&opts);
    opts.lex = lx;
    opts.langid = li;
    opts.default_date = "2025-10-29";
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    lode_arena *a = lode_arena_new();
    lode_news_token *t;
    lode_news_article x;
    size_t n, end = 0;
    if (lode_news_tokenize(s, size, a, &t, &n, NULL) == LODE_OK)
        for (size_t i = 0; i < n; i++) {
            lode_news_token *k = &t[i];
            if (k->off < end || k->off + k->len > size || k->len == 0 || k->sep < 0 || k->sep > 6)
                abort();
            end = k->off + k->len;
        }
    if (lode_news_article_parse(&opts, "fuzz", s, size, a, &x, NULL) != LODE_OK)
        abort();
    if (x.error == NULL && (x.lang == NULL || (x.kind >= 0 && lode_news_kind_name(x.kind) == NULL)))
        abort();
    lode_arena_free(a);
    return 0;
}
