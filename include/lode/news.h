/* news.h: the news engine behind `lode news`. UTF-8 articles in any European or Asian language
 * go in; out come, per article, its language, the countries and materials it names (as the
 * dataset's ISO3 and material ids), the kind of event it reports, its dates and amounts; then
 * the articles that report the same event (same kind, overlapping parties and materials,
 * dates within a window) are grouped into one event, and confirmed events become draft rows of
 * policies.csv or agreements.csv for a person to review. What words mean is data: the
 * multilingual lexicon data/lexicon/news.csv (docs/news.md); the code knows no language.
 *
 * Ownership: lode_news_lexicon_parse and lode_news_langid_open return owned objects, freed
 * with lode_news_lexicon_free and lode_news_langid_close (NULL is a no-op). Everything a run
 * returns lives in the arena the caller passes and is borrowed until that arena is freed. A
 * parsed lexicon is immutable and may be shared between threads; a langid handle wraps
 * libexttextcat state and is not: one per thread.
 *
 * One call does the whole run:
 *
 *     lode_news_opts o;
 *     lode_news_opts_default(&o);
 *     o.lex = lex;           // from lode_news_lexicon_parse
 *     o.langid = li;         // from lode_news_langid_open, or NULL
 *     lode_news_run(inputs, n, &o, arena, &result, &err);
 */
#ifndef LODE_NEWS_H
#define LODE_NEWS_H

#include <stddef.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/model.h"

/* Largest article accepted by default, in bytes. */
#define LODE_NEWS_MAX_BYTES ((size_t)16 << 20)

/* Event kinds, in the order ties are broken (first wins). */
typedef enum lode_news_kind {
    LODE_NEWS_EXPORT_CONTROL,
    LODE_NEWS_AGREEMENT,
    LODE_NEWS_STOCKPILE,
    LODE_NEWS_INVESTMENT,
    LODE_NEWS_OUTAGE,
    LODE_NEWS_PRICE,
    LODE_NEWS_KIND_N
} lode_news_kind;

/* "export_control", ..., or NULL for an out-of-range value. */
const char *lode_news_kind_name(int kind);

/* ---- lexicon ------------------------------------------------------------------------------ */

typedef struct lode_news_lexicon lode_news_lexicon;

/* Parse and compile the lexicon CSV held in csv[0..len) (header lang,kind,term,value,source;
 * docs/news.md gives the term syntax). `path` names it in errors. If m is not NULL, every
 * material value must be a material id of m. Returns LODE_OK and an owned lexicon in *out, or
 * LODE_EINPUT naming path, line and field (unknown kind, bad value, empty term, more than 64
 * languages), or LODE_EIO when out of memory. */
lode_status lode_news_lexicon_parse(const char *csv, size_t len, const char *path,
                                    const lode_model *m, lode_news_lexicon **out, lode_err *err);
void lode_news_lexicon_free(lode_news_lexicon *lx);
/* Number of entries, and the languages (ISO 639-1 codes other than "mul"), for messages. */
size_t lode_news_lexicon_size(const lode_news_lexicon *lx);
size_t lode_news_lexicon_n_langs(const lode_news_lexicon *lx);
const char *lode_news_lexicon_lang(const lode_news_lexicon *lx, size_t i);

/* ---- language identification -------------------------------------------------------------- */

typedef struct lode_news_langid lode_news_langid;

/* Open libexttextcat's fingerprints: dir holds fpdb.conf and the *.lm files (Debian:
 * /usr/share/libexttextcat). This is the one function of the engine that reads files; call it
 * once per thread before the run. LODE_EIO naming the directory if they cannot be read. */
lode_status lode_news_langid_open(const char *dir, lode_news_langid **out, lode_err *err);
void lode_news_langid_close(lode_news_langid *li);

/* ---- results ------------------------------------------------------------------------------ */

typedef struct lode_news_date {
    const char *text; /* as written (NFKC-normalised), e.g. "28. Oktober 2025", "gestern" */
    const char *date; /* YYYY-MM-DD */
    int relative;     /* 1 if resolved against the article's date (yesterday, on Tuesday, 28日
                       * without a month, a day and month without a year) */
} lode_news_date;

typedef struct lode_news_amount {
    const char *text; /* as written, e.g. "US$550 billion", "8,5 mld USD", "120 000 t" */
    double value;     /* in `unit`: currency units, tonnes, or percent */
    const char *unit; /* ISO 4217 code, "t" or "%" */
} lode_news_amount;

/* A country or material an article names: how often and how prominently. */
typedef struct lode_news_mention {
    const char *id; /* ISO3 or material id */
    int mentions;   /* matches in the text */
    double weight;  /* mentions, with a match in the title counting 3 */
} lode_news_mention;

typedef struct lode_news_article {
    const char *file;
    const char *error;       /* NULL, or why the article was skipped ("invalid UTF-8 at ...") */
    const char *lang;        /* ISO 639-1 code, "und" if not identified */
    const char *lang_method; /* "textcat", "script" (CJK decided by Han/Kana/Hangul counts),
                              * "lexicon" (terms matched, when textcat is unsure), "header" */
    const char *title;       /* Title: header, else the first line if short; "" if none */
    const char *source;      /* Source:/URL: header, "" if none */
    int official;            /* the source is official (Official: yes, or an official domain) */
    const char *date;        /* article date YYYY-MM-DD, or NULL */
    const char *date_source; /* "header", "text" (first absolute date), "default", or NULL */
    const char *event_date;  /* date of the reported event: the first date mentioned within the
                              * 10 days up to the article date, else the article date; or NULL */
    lode_news_mention *countries; /* by weight descending, then id */
    size_t n_countries;
    lode_news_mention *materials;
    size_t n_materials;
    int kind;            /* lode_news_kind, or -1 if no event words were found */
    const char *subkind; /* for export_control: ban, licence, quota, tariff; else NULL */
    double kind_score[LODE_NEWS_KIND_N]; /* weighted matches per kind */
    lode_news_date *dates;               /* in text order; at most 256 */
    size_t n_dates;
    lode_news_amount *amounts; /* in text order; at most 256 */
    size_t n_amounts;
    size_t n_tokens;
} lode_news_article;

typedef struct lode_news_event {
    const char *id; /* "EV-2025-10-28-agreement-JPN-USA" */
    int kind;
    const char *date;       /* most reported event date (earliest on ties), or NULL */
    const char **countries; /* parties: named by at least half of the articles, by weight */
    size_t n_countries;
    const char **materials;
    size_t n_materials;
    size_t *articles; /* indexes into lode_news_result.articles */
    size_t n_articles;
    const char **langs; /* distinct, sorted */
    size_t n_langs;
    size_t n_sources; /* distinct sources (Source: header, else the file) */
    int official;     /* reported by at least one official source */
    int confirmed;    /* n_sources >= opts.min_sources, or official */
} lode_news_event;

/* A draft row for a person to review, in the column order of the dataset's own CSV file. */
typedef struct lode_news_draft {
    size_t event;      /* index into lode_news_result.events */
    const char *table; /* "policies" or "agreements" */
    const char *const *columns;
    const char **values; /* n_columns of them; "" for empty cells */
    size_t n_columns;
} lode_news_draft;

typedef struct lode_news_result {
    lode_news_article *articles; /* in input order */
    size_t n_articles;
    size_t n_read;           /* articles without an error */
    lode_news_event *events; /* by date, then id */
    size_t n_events;
    lode_news_draft *drafts; /* confirmed agreement, export_control and stockpile events */
    size_t n_drafts;
} lode_news_result;

/* ---- the run ------------------------------------------------------------------------------ */

typedef struct lode_news_input {
    const char *name; /* file name, reported as articles[].file and in draft sources */
    const char *data; /* the bytes; need not be NUL-terminated; may be NULL if error is set */
    size_t len;
    const char *error; /* set by the caller when it could not read the file: reported as is */
} lode_news_input;

typedef struct lode_news_opts {
    const lode_news_lexicon *lex; /* required */
    lode_news_langid *langid;     /* may be NULL: CJK by script, else by lexicon matches */
    int window_days;              /* event dates this close group together (3) */
    double min_country_sim;       /* Jaccard of parties to group (0.5) */
    double min_material_sim;      /* overlap coefficient of materials to group (0.5) */
    int min_sources;              /* distinct sources that confirm an event (2) */
    size_t max_bytes;             /* larger inputs are skipped with a reason */
    const char *default_date;     /* YYYY-MM-DD when an article gives none, or NULL */
} lode_news_opts;

void lode_news_opts_default(lode_news_opts *o);

/* Analyse n inputs, group them into events and draft rows. A bad input (empty, binary,
 * invalid UTF-8, too large) is reported in its article's `error`, never as a failure of the
 * run. Returns LODE_OK, LODE_EUSAGE (no lexicon, bad default_date), or LODE_EIO (out of
 * memory). */
lode_status lode_news_run(const lode_news_input *in, size_t n, const lode_news_opts *o,
                          lode_arena *a, lode_news_result *out, lode_err *err);

/* One article alone (what lode_news_run does per input). */
lode_status lode_news_article_parse(const lode_news_opts *o, const char *name, const char *data,
                                    size_t len, lode_arena *a, lode_news_article *out,
                                    lode_err *err);

/* ---- parts, for tests and fuzzers ---------------------------------------------------------- */

typedef enum lode_news_toktype {
    LODE_NT_WORD,    /* letters (and digits after a letter), any non-CJK script */
    LODE_NT_CJK,     /* one Han, Kana or Hangul character */
    LODE_NT_NUM,     /* digits with their group and decimal separators: "1.200", "8,5" */
    LODE_NT_NUMDATE, /* an all-digit date: 2025-10-28, 28.10.2025, 2025/10/28 */
    LODE_NT_SYM      /* a currency sign or % */
} lode_news_toktype;

typedef struct lode_news_token {
    size_t off, len;  /* bytes of the text */
    const char *fold; /* NFKC, case-folded, marks stripped (CJK: NFKC only) */
    lode_news_toktype type;
    int sep; /* what separates it from the previous token: 0 nothing, 1 space,
              * 2 hyphen, 3 apostrophe, 4 dot, 5 comma, 6 other (a break) */
} lode_news_token;

/* Tokenize text[0..len) (valid UTF-8, already NFKC). Tokens go into the arena. LODE_EINPUT if
 * the text is not valid UTF-8, LODE_EIO when out of memory. */
lode_status lode_news_tokenize(const char *text, size_t len, lode_arena *a, lode_news_token **out,
                               size_t *n_out, lode_err *err);

/* Dates and amounts of text[0..len) read as language `lang` (its month names, scales, units,
 * decimal mark), with relative dates resolved against `anchor` (YYYY-MM-DD, or NULL: they are
 * left out). Results go into the arena. */
lode_status lode_news_scan(const lode_news_lexicon *lx, const char *lang, const char *text,
                           size_t len, const char *anchor, lode_arena *a, lode_news_date **dates,
                           size_t *n_dates, lode_news_amount **amounts, size_t *n_amounts,
                           lode_err *err);

/* Value of a number as written: digits with ',' '.' or ' ' separators; `decimal` is the
 * language's decimal mark (',' or '.'), used only when one separator followed by exactly three
 * digits could be either. Returns 1 and sets *out, or 0 if s is not such a number. */
int lode_news_number(const char *s, size_t n, char decimal, double *out);

#endif
