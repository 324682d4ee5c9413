/* news_int.h: what the files of the news engine share: the token and the workspace that one
 * article is analysed in (news_text.c), the compiled lexicon and its matcher (news_lex.c),
 * language identification (news_lang.c) and the date and amount scanner (news_scan.c).
 * Private to src/engines; tests include it for white-box cases. */
#ifndef LODE_NEWS_INT_H
#define LODE_NEWS_INT_H

#include <stdint.h>

#include "lode/buf.h"
#include "lode/news.h"

/* Lexicon entry kinds (the `kind` column). */
typedef enum nkind {
    NK_COUNTRY,
    NK_MATERIAL,
    NK_EVENT,
    NK_MONTH,
    NK_WEEKDAY,
    NK_RELDAY,
    NK_UNIT,
    NK_CURRENCY,
    NK_SCALE,
    NK_CONNECTOR,
    NK_DATEPART,
    NK_OFFICIAL,
    NK_DECIMAL,
    NK_N
} nkind;
#define NKM(k) (1u << (k))

/* Separator before a token, weakest first: a run of separators counts as its strongest. */
enum { SEP_NONE, SEP_SPACE, SEP_HYPHEN, SEP_APOS, SEP_DOT, SEP_COMMA, SEP_BREAK };

/* How a lexicon term token matches a text token: whole, or as prefix/suffix/infix ('*'). */
enum { PM_EXACT, PM_PREFIX, PM_SUFFIX, PM_INFIX };

enum { NEWS_MAX_LANGS = 64, NEWS_MAX_FOLD = 255, NEWS_MAX_MATCH = 16 };

typedef struct ntok {
    uint32_t off, len;   /* bytes of the text */
    uint32_t fold, flen; /* folded form at ws->fold.data + fold; flen 0 for an over-long word */
    uint32_t stem, slen; /* folded stem at ws->fold.data + stem; slen UINT32_MAX = not yet */
    uint16_t cps;        /* code points of the fold */
    uint8_t type;        /* lode_news_toktype */
    uint8_t pre;         /* SEP_* before it */
    uint8_t used;        /* taken by a date or amount */
    uint8_t title;       /* inside the title */
    uint8_t star;        /* lexicon terms only: 1 '*' before the token, 2 '*' after it */
    uint8_t nd_ymd;      /* NUMDATE: 1 if year first (y, a = month, b = day) */
    char nd_sep;         /* NUMDATE: the separator ('-', '.', '/') */
    uint8_t nd_a, nd_b;  /* NUMDATE: the two non-year parts, in written order */
    uint16_t nd_y;
} ntok;

struct sb_stemmer;

/* Scratch for one article, reused from one to the next: it grows to the largest article and is
 * freed by news_ws_free. Results never point into it. */
typedef struct nws {
    ntok *tok;
    size_t n, cap;
    lode_buf text;  /* the NFKC text being analysed */
    lode_buf fold;  /* folds, NUL-separated */
    lode_buf stems; /* scratch: the unstripped fold a stemmer reads */
    int32_t *u32;   /* utf8proc scratch */
    size_t u32cap;
    struct sb_stemmer *stemmer[NEWS_MAX_LANGS];
    unsigned char stem_tried[NEWS_MAX_LANGS];
    int oom;
} nws;

void news_ws_free(nws *ws);

/* ---- text (news_text.c) -------------------------------------------------------------------- */

/* Offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and code points
 * above U+10FFFF are invalid), or n if all of s[0..n) is valid. */
size_t news_utf8_check(const char *s, size_t n);
/* Decode the code point at s[*i] (valid UTF-8) and advance *i. */
uint32_t news_utf8_next(const char *s, size_t n, size_t *i);
/* Replace ws->text by the NFKC form of s[0..n) (valid UTF-8). 0, or -1 when out of memory. */
int news_nfkc(nws *ws, const char *s, size_t n);
/* Fold s[0..n) for matching (NFKC, case fold, marks stripped, dotless i and l-stroke mapped to
 * i and l) into ws->fold; *off and *len say where. keep_marks folds without stripping (what
 * stemmers read), into ws->stems instead. 0, -1 when out of memory, 1 if too long to fold. */
int news_fold(nws *ws, const char *s, size_t n, int keep_marks, uint32_t *off, uint32_t *len);
/* Tokenize ws->text into ws->tok and fold every token. lexicon_mode reads '*' as a wildcard
 * mark on the neighbouring token. 0, or -1 when out of memory. */
int news_tokenize(nws *ws, int lexicon_mode);
/* 1 if c is Han, Kana or Hangul (matched character by character). */
int news_is_cjk(uint32_t c);

/* ---- lexicon (news_lex.c) ------------------------------------------------------------------ */

typedef struct lpat {
    const char *form; /* folded */
    const char *orig; /* as written (case-sensitive entries) */
    const char *stem; /* folded stem, NULL if the language has no stemmer */
    uint32_t flen, olen, slen;
    uint16_t cps;
    uint8_t mode, sep, type;
} lpat;

typedef struct lentry {
    const char *term, *value, *source;
    long line;
    uint8_t lang;   /* index into lx->langs */
    uint8_t kind;   /* nkind */
    uint8_t cs;     /* case-sensitive: '=' prefix, or an acronym (two or more capitals) */
    uint8_t fuzzy;  /* inflection allowed by shared prefix (names, months, weekdays, currencies) */
    uint8_t before; /* a unit written before its number ("yüzde 12"): value "...:before" */
    lpat *pat;
    uint32_t npat;
    double num;       /* month, weekday (1 = Monday), day offset, scale, unit factor */
    const char *code; /* currency code, unit ("t", "%"), datepart, decimal mark, subkind */
    int ev;           /* event kind */
    uint32_t *ids;    /* country or material values: indexes into lx->ids */
    uint32_t nids;
} lentry;

typedef struct lslot {
    uint64_t h;
    const char *key;
    uint32_t keylen, start, count;
    uint8_t ktype, lang, used;
} lslot;

struct lode_news_lexicon {
    lode_arena *arena;
    lentry *e;
    size_t n;
    char langs[NEWS_MAX_LANGS][8];
    size_t nlang;
    int mul;                      /* index of "mul", or -1 */
    char decimal[NEWS_MAX_LANGS]; /* decimal mark per language, '.' by default */
    const char **ids;             /* interned country and material ids */
    unsigned char *id_is_country;
    size_t nids, capids;
    lslot *slots; /* open addressing, nslots a power of two */
    size_t nslots;
    uint32_t *lists; /* entry indexes, slots point into it */
    uint32_t *loose; /* entries whose first token is a suffix or infix pattern */
    size_t nloose;
    uint32_t *official; /* entries of kind official */
    size_t nofficial;
    uint64_t prefix_lens, fuzzy_lens; /* byte lengths (< 64) that have prefix or fuzzy keys */
    uint64_t *stem3; /* bit set over (lang, first 3 folded bytes) of stemmed words */
    unsigned char has_stemmer[NEWS_MAX_LANGS];
};

/* What to match: languages (bit per lx->langs index), entry kinds (NKM bits), the language
 * whose stemmer reads the text (-1: none) and whether inflection by shared prefix is tried. */
typedef struct mctx {
    uint64_t langs;
    uint32_t kinds;
    int primary;
    int fuzzy;
} mctx;

typedef struct lmatch {
    uint32_t ntok; /* tokens covered */
    int quality;   /* sum over tokens: 4 exact, 3 stem, 2 wildcard, 1 shared prefix */
    uint32_t n;    /* entries matched */
    uint32_t ids[NEWS_MAX_MATCH];
} lmatch;

/* The longest term of the wanted kinds and languages starting at token i (ties: best quality,
 * then every entry that reaches it). Tokens marked used are never matched. Returns out->n. */
uint32_t news_match(const lode_news_lexicon *lx, nws *ws, size_t i, const mctx *c, lmatch *out);
/* Add to votes[l] (one per lexicon language) the tokens among the first max_tokens that are
 * whole terms of language l: what identifies a language when textcat cannot. */
void news_lang_votes(const lode_news_lexicon *lx, nws *ws, size_t max_tokens, unsigned *votes);
/* Index of a language code in lx->langs, or -1. */
int news_lang_index(const lode_news_lexicon *lx, const char *code);
/* The stemmer of language l, created on first use (NULL if it has none). */
struct sb_stemmer *news_stemmer(nws *ws, const lode_news_lexicon *lx, int l);

/* ---- language (news_lang.c) ----------------------------------------------------------------- */

typedef struct nlang {
    char code[8];       /* reported language */
    const char *method; /* "textcat", "script", "lexicon", "header" */
    int primary;        /* lexicon language used for stems, -1 if none */
    uint64_t mask;      /* lexicon languages matched */
    int exact_only;     /* language unknown: every language, whole words only */
} nlang;

/* Identify the language of ws->text (tokenized): see lode_news_article.lang_method. hint is a
 * Lang: header value or NULL. 0, or -1 when out of memory. */
int news_lang_guess(const lode_news_lexicon *lx, lode_news_langid *li, nws *ws, const char *hint,
                    nlang *out);

/* Set *out to language `code` (matched with its own terms, "mul", and for ja/zh/ko each other's;
 * a language the lexicon lacks matches every language, whole words only). */
void news_lang_set(const lode_news_lexicon *lx, const char *code, nlang *out);

/* ---- dates and amounts (news_scan.c) --------------------------------------------------------- */

enum { MD_ABS, MD_REL_DAYS, MD_WEEKDAY, MD_DAY_ONLY, MD_NO_YEAR };

typedef struct nmention {
    uint32_t first, last; /* token range */
    int is_amount;
    int how;     /* MD_*: how a date is resolved */
    int y, m, d; /* absolute parts, or the day (MD_DAY_ONLY), month+day (MD_NO_YEAR) */
    int rel;     /* day offset (MD_REL_DAYS) or ISO weekday (MD_WEEKDAY) */
    double value;
    const char *unit;
} nmention;

/* Find dates and amounts in ws->tok (marking their tokens used) with language l. Fills *out
 * (malloc'd, caller frees) with up to `max` mentions of each kind. 0, or -1 when out of
 * memory. */
int news_scan_tokens(const lode_news_lexicon *lx, nws *ws, const nlang *l, size_t max,
                     nmention **out, size_t *n_out);
/* Resolve a date mention against anchor (days since 1970-01-01, or INT32_MIN if none).
 * Returns 1 and sets *days, or 0. */
int news_mention_days(const nmention *m, int32_t anchor, int32_t *days);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int32_t news_days(int y, int m, int d);
void news_civil(int32_t days, int *y, int *m, int *d);
int news_valid_date(int y, int m, int d);
/* Parse "YYYY-MM-DD" at s (exactly ten bytes used); 1 and *days, or 0. */
int news_parse_iso(const char *s, size_t n, int32_t *days);

#endif
