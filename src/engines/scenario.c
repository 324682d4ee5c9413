/* scenario.c: disruption scenarios for `lode simulate` (include/lode/sim.h). Parses scenario
 * JSON (cJSON) against a frozen model: dataset policies by id, their dates turned into weeks,
 * inline policies, outages, demand shocks and parameter overrides. Every value is checked and
 * every error names the JSON path at fault, since scenarios are written by hand. Also here: the
 * distributions Monte Carlo draws from (exact inverse CDFs; beta-PERT through the inverse of the
 * regularised incomplete beta function) and the default behavioural parameters, whose sources
 * docs/scenarios.md gives. The format itself is documented there too. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <utf8proc.h>

#include "lode/buf.h"
#include "lode/sim.h"

/* ---- defaults (docs/scenarios.md gives the source of each) ------------------------------- */

enum {
    JPATH = 96,               /* room for a JSON path such as demand_shocks[12].duration_wk.mode */
    QUOTE_MAX = 40,           /* bytes of a user string quoted in a message */
    QBUF = 2 * QUOTE_MAX + 8, /* room for it quoted */
    MAX_ITEMS = 10000,        /* policies, outages or demand shocks in one scenario */
    MAX_HORIZON_WK = 520,     /* ten years */
    DEFAULT_WEEKS = 52
};
static const size_t MAX_FILE = 16u << 20; /* a scenario file is hand-written: 16 MiB is plenty */

static const double OPEN_WK = 10000.0;         /* duration of an open-ended shock; also the largest
                                                * week number or duration a scenario may give */
static const double DEF_APPROVAL = 0.75;       /* licence approval rate */
static const double DEF_DELAY_WD = 45.0;       /* licence processing, working days */
static const double DEF_VALIDITY_WK = 52.0;    /* a licence covers a year of shipments */
static const double DEF_FRONTLOAD = 0.8;       /* extra orders per week before a control starts */
static const double DEF_DIVERTED_TARGETED = 1; /* blocked supply sold to non-targets */

void lode_sim_params_default(lode_sim_params *p)
{
    if (p == NULL)
        return;
    p->inventory_wk = 4.0;
    p->price_elasticity = -0.1;
    p->price_response = 10.0; /* 1 / |price_elasticity|: the rise that clears the shortfall */
    p->substitution_lag_wk = 26.0;
    p->substitution_max = 0.10;
    p->stock_release_wk = 13.0;
}

/* ---- distributions ---------------------------------------------------------------------- */

/* Continued fraction of the incomplete beta function by the modified Lentz method; converges
 * fast for x < (a + 1) / (a + b + 2), where it is used. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap, h;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m, aa, del;
        aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            break;
    }
    return h;
}

/* log B(a, b) for the moderate a, b of a PERT (1 <= a, b <= 5). tgamma rather than lgamma,
 * which writes the global `signgam` and so is not safe on many threads. */
static double log_beta(double a, double b)
{
    return log(tgamma(a)) + log(tgamma(b)) - log(tgamma(a + b));
}

/* Regularised incomplete beta I_x(a, b); lb = log_beta(a, b). */
static double beta_inc(double a, double b, double x, double lb)
{
    double front;
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    front = exp(a * log(x) + b * log1p(-x) - lb);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * betacf(a, b, x) / a;
    return 1.0 - front * betacf(b, a, 1.0 - x) / b;
}

/* The u-quantile of Beta(a, b), a, b >= 1: closed forms when a or b is 1, else Newton's method
 * on I_x(a, b) = u kept inside a bisection bracket, so it always converges (the CDF is
 * increasing) and near the answer converges quadratically. Accurate to about 1e-14. */
static double beta_quantile(double a, double b, double u)
{
    double lb, lo = 0.0, hi = 1.0, x;
    if (!(u > 0.0))
        return 0.0;
    if (u >= 1.0)
        return 1.0;
    if (a == 1.0 && b == 1.0)
        return u;
    if (a == 1.0)
        return -expm1(log1p(-u) / b); /* I_x(1, b) = 1 - (1 - x)^b */
    if (b == 1.0)
        return exp(log(u) / a); /* I_x(a, 1) = x^a */
    lb = log_beta(a, b);
    x = a / (a + b);
    for (int it = 0; it < 200; it++) {
        double f = beta_inc(a, b, x, lb) - u, pdf, nx;
        if (f == 0.0)
            return x;
        if (f < 0.0)
            lo = x;
        else
            hi = x;
        pdf = exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lb);
        nx = pdf > 0.0 ? x - f / pdf : -1.0;
        if (!(nx > lo && nx < hi)) /* also catches NaN */
            nx = 0.5 * (lo + hi);
        if (fabs(nx - x) <= 4.0 * DBL_EPSILON * x || hi - lo <= 4.0 * DBL_EPSILON) {
            x = nx;
            break;
        }
        x = nx;
    }
    return x;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Draw from d by inverse CDF of u1 (every kind uses u1 only, so draws are monotone in u1; u2 is
 * unused and reserved). u1 outside [0, 1] is clamped, NaN counts as 0.5. The result lies in
 * the distribution's [min, max]. d must not be NULL. */
double lode_dist_draw(const lode_dist *d, double u1, double u2)
{
    double u = u1 != u1 ? 0.5 : clampd(u1, 0.0, 1.0), r, fc;
    (void)u2;
    switch (d->kind) {
    case LODE_DIST_FIXED:
        return d->a;
    case LODE_DIST_UNIFORM:
        return clampd(d->a + u * (d->b - d->a), d->a, d->b);
    case LODE_DIST_TRIANGULAR:
        r = d->c - d->a;
        if (!(r > 0.0))
            return d->a;
        fc = (d->b - d->a) / r;
        if (u < fc)
            return clampd(d->a + sqrt(u * r * (d->b - d->a)), d->a, d->c);
        return clampd(d->c - sqrt((1.0 - u) * r * (d->c - d->b)), d->a, d->c);
    case LODE_DIST_PERT:
        r = d->c - d->a;
        if (!(r > 0.0))
            return d->a;
        return clampd(d->a + r * beta_quantile(1.0 + 4.0 * (d->b - d->a) / r,
                                               1.0 + 4.0 * (d->c - d->b) / r, u),
                      d->a, d->c);
    }
    return d->a;
}

/* Mean of d: a; (a + b) / 2; (a + b + c) / 3; (a + 4 b + c) / 6 for PERT. */
double lode_dist_mean(const lode_dist *d)
{
    switch (d->kind) {
    case LODE_DIST_FIXED:
        return d->a;
    case LODE_DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case LODE_DIST_TRIANGULAR:
        return (d->a + d->b + d->c) / 3.0;
    case LODE_DIST_PERT:
        return (d->a + 4.0 * d->b + d->c) / 6.0;
    }
    return d->a;
}

static lode_dist fixed(double v)
{
    lode_dist d = {LODE_DIST_FIXED, v, v, v};
    return d;
}

/* ---- parse context, paths and messages ---------------------------------------------------- */

typedef struct pctx {
    const lode_model *m;
    const char *path; /* file named in errors */
    lode_arena *a;
    lode_err *err;
    int has_start_date;
    long start_day; /* start_date as days since 1970-01-01 */
} pctx;

#define BAD(c, jp, ...) LODE_FAIL((c)->err, LODE_EINPUT, (c)->path, 0, (jp), __VA_ARGS__)
#define TRY(x)                                                                                     \
    do {                                                                                           \
        lode_status st_ = (x);                                                                     \
        if (st_ != LODE_OK)                                                                        \
            return st_;                                                                            \
    } while (0)

static lode_status oom(const pctx *c)
{
    return LODE_FAIL(c->err, LODE_EIO, c->path, 0, "", "out of memory");
}

/* Append s to out[0..JPATH) at *len, printable ASCII only (anything else becomes '?': keys are
 * user input and the path goes into messages), truncating. */
static void put_clean(char *out, size_t *len, const char *s)
{
    for (; *s && *len + 1 < JPATH; s++) {
        unsigned char ch = (unsigned char)*s;
        out[(*len)++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[*len] = '\0';
}

/* out = parent.key (or key at the top level). */
static void jp_key(char *out, const char *parent, const char *key)
{
    size_t len = 0;
    out[0] = '\0';
    put_clean(out, &len, parent);
    if (parent[0] != '\0')
        put_clean(out, &len, ".");
    put_clean(out, &len, key);
}

/* out = parent[i]. */
static void jp_idx(char *out, const char *parent, size_t i)
{
    char num[24];
    size_t len = 0;
    snprintf(num, sizeof num, "[%zu]", i);
    out[0] = '\0';
    put_clean(out, &len, parent);
    put_clean(out, &len, num);
}

/* s[0..n) for a message, into buf (QBUF bytes): printable ASCII kept, '"' and '\\' escaped,
 * other bytes shown as '?', cut with "..." after QUOTE_MAX bytes. */
static const char *esc(char *buf, const char *s, size_t n)
{
    size_t o = 0, i;
    for (i = 0; i < n && o < QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            buf[o++] = '\\';
        buf[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* The NUL-terminated s (NULL gives "") for a message: esc(). */
static const char *q(char *buf, const char *s)
{
    return esc(buf, s ? s : "", s ? strlen(s) : 0);
}

/* What a JSON value is, for "expected X, got Y". */
static const char *jtype(const cJSON *it)
{
    if (cJSON_IsString(it))
        return "a string";
    if (cJSON_IsNumber(it))
        return "a number";
    if (cJSON_IsObject(it))
        return "an object";
    if (cJSON_IsArray(it))
        return "an array";
    if (cJSON_IsTrue(it))
        return "true";
    if (cJSON_IsFalse(it))
        return "false";
    if (cJSON_IsNull(it))
        return "null";
    return "an invalid value";
}

/* Edit distance of two short strings (Levenshtein), for "did you mean". Strings longer than 31
 * bytes count as far from everything. */
static size_t edit_distance(const char *s, const char *t)
{
    size_t ns = strlen(s), nt = strlen(t), row[33], i, j;
    if (ns > 31 || nt > 31)
        return 99;
    for (j = 0; j <= nt; j++)
        row[j] = j;
    for (i = 1; i <= ns; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= nt; j++) {
            size_t up = row[j], best = diag + (s[i - 1] != t[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[nt];
}

/* Error for an unknown key (kp its path), suggesting the nearest allowed key, else listing
 * them: unknown keys are errors so that a typo never silently leaves a default in place. */
static lode_status unknown_key(const pctx *c, const char *kp, const char *key,
                               const char *const *keys, size_t n)
{
    char qb[QBUF], list[200];
    size_t best = 0, bestd = 99, len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, keys[i]);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    if (bestd <= 2)
        return BAD(c, kp, "unknown key \"%s\" (did you mean \"%s\"?)", q(qb, key), keys[best]);
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(keys[i]);
        if (len + k + 3 >= sizeof list)
            break;
        if (i > 0) {
            memcpy(list + len, ", ", 2);
            len += 2;
        }
        memcpy(list + len, keys[i], k + 1);
        len += k;
    }
    return BAD(c, kp, "unknown key \"%s\" (expected one of: %s)", q(qb, key), list);
}

/* Match the members of the object obj (at path jp) to keys[0..n): out[i] is the member named
 * keys[i], or NULL. obj must be an object; unknown and repeated keys are errors. */
static lode_status members(const pctx *c, const cJSON *obj, const char *jp, const char *const *keys,
                           size_t n, const cJSON **out)
{
    char kp[JPATH];
    if (!cJSON_IsObject(obj))
        return BAD(c, jp, "expected an object, got %s", jtype(obj));
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        const char *k = it->string ? it->string : "";
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0)
            i++;
        jp_key(kp, jp, k);
        if (i == n)
            return unknown_key(c, kp, k, keys, n);
        if (out[i] != NULL)
            return BAD(c, kp, "key \"%s\" given twice", keys[i]);
        out[i] = it;
    }
    return LODE_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

/* An allowed range of numbers and how to name it in a message. */
typedef struct range {
    double lo, hi;
    int lo_open; /* lo itself is not allowed */
    const char *what;
} range;

static const range R_SHARE = {0.0, 1.0, 0, "a share in 0..1"};
static const range R_WEEKS = {0.0, 10000.0, 0, "weeks in 0..10000"};
static const range R_CHANGE = {-1.0, 100.0, 1, "a relative change > -1 and <= 100"};
static const range R_DELAY = {0.0, 2600.0, 0, "working days in 0..2600"};
static const range R_VALIDITY = {0.0, 520.0, 1, "weeks > 0 and <= 520"};
static const range R_ANNOUNCE = {0.0, 520.0, 0, "weeks in 0..520"};
static const range R_FRONTLOAD = {0.0, 10.0, 0, "a share of baseline in 0..10"};

static int in_range(const range *r, double v)
{
    return (r->lo_open ? v > r->lo : v >= r->lo) && v <= r->hi;
}

/* A finite number in r. */
static lode_status get_num(const pctx *c, const cJSON *it, const char *jp, const range *r,
                           double *out)
{
    if (!cJSON_IsNumber(it))
        return BAD(c, jp, "expected a number (%s), got %s", r->what, jtype(it));
    if (!isfinite(it->valuedouble))
        return BAD(c, jp, "expected a finite number (%s)", r->what);
    if (!in_range(r, it->valuedouble))
        return BAD(c, jp, "expected %s, got %.10g", r->what, it->valuedouble);
    *out = it->valuedouble;
    return LODE_OK;
}

/* A string (borrowed from the JSON tree). */
static lode_status get_str(const pctx *c, const cJSON *it, const char *jp, const char **out)
{
    *out = "";
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return BAD(c, jp, "expected a string, got %s", jtype(it));
    *out = it->valuestring;
    return LODE_OK;
}

/* 1 if s is valid UTF-8. */
static int utf8_ok(const char *s)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0)
            return 0;
        p += n;
        left -= n;
    }
    return 1;
}

/* A text string (name, description), copied into the arena. */
static lode_status get_text(const pctx *c, const cJSON *it, const char *jp, const char **out)
{
    const char *s = NULL;
    TRY(get_str(c, it, jp, &s));
    if (!utf8_ok(s))
        return BAD(c, jp, "expected UTF-8 text");
    *out = lode_arena_strdup(c->a, s);
    return *out ? LODE_OK : oom(c);
}

/* A distribution: a number (fixed) or {"dist": "fixed"|"uniform"|"triangular"|"pert", ...}
 * with every parameter in r and min <= mode <= max. */
static lode_status get_dist(const pctx *c, const cJSON *it, const char *jp, const range *r,
                            lode_dist *out)
{
    static const char *const keys[] = {"dist", "value", "min", "mode", "max"};
    enum { D_DIST, D_VALUE, D_MIN, D_MODE, D_MAX, D_N };
    static const char *const names[] = {"fixed", "uniform", "triangular", "pert", "beta-pert"};
    /* which keys each kind needs (1) or forbids (0), in keys[] order after "dist" */
    static const int need[][4] = {{1, 0, 0, 0}, {0, 1, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 1}};
    static const char *const needs[] = {"value", "min and max", "min, mode and max",
                                        "min, mode and max"};
    const cJSON *v[D_N];
    char kp[JPATH], qb[QBUF];
    double x[D_N] = {0};
    const char *name = NULL;
    size_t kind;
    if (cJSON_IsNumber(it)) {
        TRY(get_num(c, it, jp, r, &x[0]));
        *out = fixed(x[0]);
        return LODE_OK;
    }
    if (!cJSON_IsObject(it))
        return BAD(c, jp, "expected a number or a distribution object ({\"dist\": ...}), got %s",
                   jtype(it));
    TRY(members(c, it, jp, keys, D_N, v));
    jp_key(kp, jp, "dist");
    if (v[D_DIST] == NULL)
        return BAD(c, kp,
                   "missing: a distribution needs \"dist\" (fixed, uniform, triangular or "
                   "pert)");
    TRY(get_str(c, v[D_DIST], kp, &name));
    for (kind = 0; kind < sizeof names / sizeof names[0]; kind++)
        if (strcmp(names[kind], name) == 0)
            break;
    if (kind == sizeof names / sizeof names[0])
        return BAD(c, kp,
                   "unknown distribution \"%s\" (expected fixed, uniform, triangular or "
                   "pert)",
                   q(qb, name));
    if (kind == 4)
        kind = 3; /* "beta-pert" is "pert" */
    for (size_t k = D_VALUE; k < D_N; k++) {
        jp_key(kp, jp, keys[k]);
        if (need[kind][k - 1] && v[k] == NULL)
            return BAD(c, kp, "missing: a %s distribution needs %s", names[kind], needs[kind]);
        if (!need[kind][k - 1] && v[k] != NULL)
            return BAD(c, kp, "not used by a %s distribution (it takes %s)", names[kind],
                       needs[kind]);
        if (v[k] != NULL)
            TRY(get_num(c, v[k], kp, r, &x[k]));
    }
    if (kind == 0) {
        *out = fixed(x[D_VALUE]);
        return LODE_OK;
    }
    if (kind == 1)
        x[D_MODE] = x[D_MIN];
    jp_key(kp, jp, "min");
    if (x[D_MIN] > x[D_MAX])
        return BAD(c, kp, "min (%.10g) must not exceed max (%.10g)", x[D_MIN], x[D_MAX]);
    if (x[D_MIN] > x[D_MODE])
        return BAD(c, kp, "min (%.10g) must not exceed mode (%.10g)", x[D_MIN], x[D_MODE]);
    jp_key(kp, jp, "mode");
    if (x[D_MODE] > x[D_MAX])
        return BAD(c, kp, "mode (%.10g) must not exceed max (%.10g)", x[D_MODE], x[D_MAX]);
    if (kind == 1) {
        out->kind = LODE_DIST_UNIFORM;
        out->a = x[D_MIN];
        out->b = x[D_MAX];
        out->c = x[D_MAX];
    } else {
        out->kind = kind == 2 ? LODE_DIST_TRIANGULAR : LODE_DIST_PERT;
        out->a = x[D_MIN];
        out->b = x[D_MODE];
        out->c = x[D_MAX];
    }
    return LODE_OK;
}

/* ---- dates ------------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parse "YYYY-MM-DD" (or, when month_ok, also "YYYY-MM", read as the 1st of the month, as some
 * dataset rows give) into days since 1970-01-01. Returns 1 on success. */
static int date_parse(const char *s, int month_ok, long *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t n = s ? strlen(s) : 0;
    long y, m, d = 1;
    if (!(n == 10 || (month_ok && n == 7)) || s[4] != '-')
        return 0;
    y = digits(s, 4);
    m = digits(s + 5, 2);
    if (n == 10) {
        if (s[7] != '-')
            return 0;
        d = digits(s + 8, 2);
    }
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 0;
    *out = days_from_civil(y, m, d);
    return 1;
}

/* ---- id lists --------------------------------------------------------------------------- */

/* Resolve one id: a material, or a country that may be a trade partner (a real country or
 * ROW, not WLD or a region). exporter >= 0 also forbids that country (a policy's targets). */
static lode_status one_id(const pctx *c, const char *id, int is_material, int exporter,
                          const char *jp, const char *in_list, int *out)
{
    char qb[QBUF], ql[QBUF];
    const char *what = is_material ? "material" : "country";
    int k = is_material ? lode_model_material(c->m, id) : lode_model_country(c->m, id);
    if (k < 0) {
        if (in_list != NULL)
            return BAD(c, jp, "unknown %s \"%s\" in \"%s\" (not in %s.csv)", what, q(qb, id),
                       q(ql, in_list), is_material ? "materials" : "countries");
        return BAD(c, jp, "unknown %s \"%s\" (not in %s.csv)", what, q(qb, id),
                   is_material ? "materials" : "countries");
    }
    if (!is_material) {
        lode_ckind kind = c->m->countries[k].kind;
        if (kind == LODE_CK_WORLD || kind == LODE_CK_REGION)
            return BAD(c, jp, "\"%s\" is %s, not a country (list the countries)", q(qb, id),
                       kind == LODE_CK_WORLD ? "the world total" : "a region");
        if (k == exporter)
            return BAD(c, jp, "\"%s\" is the exporter itself", q(qb, id));
    }
    *out = k;
    return LODE_OK;
}

/* Ids as a ";"-separated string (dataset style) or an array of strings, into an arena array.
 * allow_all: "all" gives *n = 0 (every importer). Empty lists and repeated ids are errors. */
static lode_status id_list(const pctx *c, const cJSON *it, const char *list_str, const char *jp,
                           int is_material, int allow_all, int exporter, int **out, size_t *n)
{
    char ep[JPATH], tok[64], qb[QBUF];
    const char *what = is_material ? "material" : "country";
    size_t cnt = 0, i = 0;
    int *arr;
    if (it != NULL && cJSON_IsString(it))
        list_str = it->valuestring;
    else if (it != NULL && !cJSON_IsArray(it))
        return BAD(c, jp, "expected %s, got %s",
                   allow_all ? "\"all\" or an array of country ids" : "an array of material ids",
                   jtype(it));
    *out = NULL;
    *n = 0;
    if (list_str != NULL) {
        if (allow_all && strcmp(list_str, "all") == 0)
            return LODE_OK;
        if (list_str[0] != '\0') {
            cnt = 1;
            for (const char *p = list_str; *p; p++)
                cnt += *p == ';';
        }
    } else {
        for (const cJSON *e = it->child; e != NULL; e = e->next)
            cnt++;
    }
    if (cnt == 0)
        return BAD(c, jp, "expected %s",
                   allow_all ? "\"all\" or at least one country" : "at least one material");
    if (cnt > MAX_ITEMS)
        return BAD(c, jp, "expected at most %d ids, got %zu", (int)MAX_ITEMS, cnt);
    arr = lode_arena_calloc(c->a, cnt, sizeof *arr);
    if (arr == NULL)
        return oom(c);
    if (list_str != NULL) {
        for (const char *p = list_str;; i++) {
            const char *end = strchr(p, ';');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len >= sizeof tok)
                len = sizeof tok - 1;
            memcpy(tok, p, len);
            tok[len] = '\0';
            TRY(one_id(c, tok, is_material, exporter, jp, list_str, &arr[i]));
            for (size_t j = 0; j < i; j++)
                if (arr[j] == arr[i])
                    return BAD(c, jp, "%s \"%s\" is listed twice", what, q(qb, tok));
            if (end == NULL)
                break;
            p = end + 1;
        }
    } else {
        for (const cJSON *e = it->child; e != NULL; e = e->next, i++) {
            const char *id = NULL;
            jp_idx(ep, jp, i);
            TRY(get_str(c, e, ep, &id));
            TRY(one_id(c, id, is_material, exporter, ep, NULL, &arr[i]));
            for (size_t j = 0; j < i; j++)
                if (arr[j] == arr[i])
                    return BAD(c, ep, "%s \"%s\" is listed twice", what, q(qb, id));
        }
    }
    *out = arr;
    *n = cnt;
    return LODE_OK;
}

/* ---- policies ----------------------------------------------------------------------------- */

static const char *const kind_names[] = {"ban", "licence", "quota", "tariff", "other"};

static int kind_parse(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (s != NULL && strcmp(kind_names[i], s) == 0)
            return i;
    return -1;
}

static const lode_policy *find_policy(const lode_model *m, const char *id)
{
    for (size_t i = 0; i < m->n_policies; i++)
        if (m->policies[i].id != NULL && strcmp(m->policies[i].id, id) == 0)
            return &m->policies[i];
    return NULL;
}

/* Start, duration and announcement lead of dataset policy dp from its dates: the start is its
 * effective date counted from start_date (week 0 when the scenario has none); the duration
 * runs to the earlier of suspended_from and ends (open-ended if neither). A policy already in
 * force at week 0 starts at 0 with what remains of its duration. jp names the "id" key. */
static lode_status policy_dates(const pctx *c, const lode_policy *dp, const char *jp, int own_start,
                                int own_dur, double *start, double *dur, double *ann)
{
    char qb[QBUF], qe[QBUF];
    long eff, t, end = LONG_MAX;
    const char *end_s = NULL;
    if (!date_parse(dp->effective, 1, &eff))
        return BAD(c, jp, "dataset policy %s has no readable effective date (\"%s\")", dp->id,
                   q(qb, dp->effective));
    if (dp->suspended_from != NULL && dp->suspended_from[0] != '\0') {
        if (!date_parse(dp->suspended_from, 1, &t))
            return BAD(c, jp, "dataset policy %s has an unreadable suspended_from (\"%s\")", dp->id,
                       q(qb, dp->suspended_from));
        end = t;
        end_s = dp->suspended_from;
    }
    if (dp->ends != NULL && dp->ends[0] != '\0') {
        if (!date_parse(dp->ends, 1, &t))
            return BAD(c, jp, "dataset policy %s has an unreadable end date (\"%s\")", dp->id,
                       q(qb, dp->ends));
        if (t < end) {
            end = t;
            end_s = dp->ends;
        }
    }
    *dur = OPEN_WK;
    if (end != LONG_MAX) {
        if (end <= eff && !own_dur)
            return BAD(c, jp,
                       "dataset policy %s is suspended or ends (%s) before it takes "
                       "effect (%s); give duration_wk to simulate it anyway",
                       dp->id, q(qb, end_s), q(qe, dp->effective));
        *dur = fmin((double)(end - eff) / 7.0, OPEN_WK);
    }
    *start = c->has_start_date ? (double)(eff - c->start_day) / 7.0 : 0.0;
    if (*start > OPEN_WK)
        return BAD(c, jp, "dataset policy %s takes effect (%s) over 10000 weeks after start_date",
                   dp->id, q(qb, dp->effective));
    if (*start < 0.0 && !own_start) {
        if (end != LONG_MAX && !own_dur) {
            *dur += *start;
            if (*dur <= 0.0)
                return BAD(c, jp, "dataset policy %s is over (%s) before start_date", dp->id,
                           q(qb, end_s));
        }
        *start = 0.0;
    }
    *ann = 0.0;
    if (dp->announced != NULL && date_parse(dp->announced, 1, &t) && t < eff)
        *ann = fmin((double)(eff - t) / 7.0, R_ANNOUNCE.hi);
    return LODE_OK;
}

/* Optional "note" member: any string. */
static lode_status check_note(const pctx *c, const cJSON *it, const char *jp)
{
    char kp[JPATH];
    const char *s = NULL;
    if (it == NULL)
        return LODE_OK;
    jp_key(kp, jp, "note");
    return get_str(c, it, kp, &s);
}

static const char *const pol_keys[] = {"id",          "country",       "materials",   "kind",
                                       "targets",     "start_wk",      "duration_wk", "severity",
                                       "diverted",    "approval_rate", "delay_wd",    "validity_wk",
                                       "announce_wk", "frontload",     "note"};
enum {
    P_ID,
    P_COUNTRY,
    P_MATERIALS,
    P_KIND,
    P_TARGETS,
    P_START,
    P_DUR,
    P_SEV,
    P_DIV,
    P_APPR,
    P_DELAY,
    P_VALID,
    P_ANN,
    P_FRONT,
    P_NOTE,
    P_N
};

/* Policy i of the scenario (the object o at path jp) into *p. */
static lode_status parse_policy(const pctx *c, const cJSON *o, const char *jp, size_t i,
                                lode_sim_policy *p)
{
    const cJSON *v[P_N];
    char kp[JPATH], qb[QBUF], idbuf[32];
    const lode_policy *dp = NULL;
    const char *s = NULL;
    double start = 0.0, dur = OPEN_WK, ann = 0.0, x;
    int kind = -1;

    TRY(members(c, o, jp, pol_keys, P_N, v));
    TRY(check_note(c, v[P_NOTE], jp));
    if (v[P_ID] != NULL) {
        jp_key(kp, jp, "id");
        TRY(get_str(c, v[P_ID], kp, &s));
        dp = find_policy(c->m, s);
        if (dp == NULL)
            return BAD(c, kp, "unknown policy id \"%s\" (not in policies.csv)", q(qb, s));
        if (v[P_COUNTRY] != NULL) {
            jp_key(kp, jp, "country");
            return BAD(c, kp, "not allowed with \"id\": the country comes from dataset policy %s",
                       dp->id);
        }
        p->id = lode_arena_strdup(c->a, dp->id);
        if (p->id == NULL)
            return oom(c);
        p->country = dp->country;
        kind = kind_parse(dp->kind);
        if (kind < 0 && v[P_KIND] == NULL)
            return BAD(c, kp,
                       "dataset policy %s has kind \"%s\"; give \"kind\" (ban, licence, "
                       "quota, tariff or other)",
                       dp->id, q(qb, dp->kind));
        if (dp->n_materials > 0 && v[P_MATERIALS] == NULL) {
            p->materials = lode_arena_calloc(c->a, dp->n_materials, sizeof *p->materials);
            if (p->materials == NULL)
                return oom(c);
            memcpy(p->materials, dp->materials, dp->n_materials * sizeof *p->materials);
            p->n_materials = dp->n_materials;
        }
        if (v[P_TARGETS] == NULL)
            TRY(id_list(c, NULL, dp->targets ? dp->targets : "all", kp, 0, 1, p->country,
                        &p->targets, &p->n_targets));
        TRY(policy_dates(c, dp, kp, v[P_START] != NULL, v[P_DUR] != NULL, &start, &dur, &ann));
    } else {
        static const char *const need =
            "an inline policy needs country, materials and kind (or an id from policies.csv)";
        for (int k = P_COUNTRY; k <= P_KIND; k++)
            if (v[k] == NULL) {
                jp_key(kp, jp, pol_keys[k]);
                return BAD(c, kp, "missing: %s", need);
            }
        jp_key(kp, jp, "country");
        TRY(get_str(c, v[P_COUNTRY], kp, &s));
        TRY(one_id(c, s, 0, -1, kp, NULL, &p->country));
        if (c->m->countries[p->country].kind != LODE_CK_COUNTRY)
            return BAD(c, kp, "\"%s\" is not a country that can impose a policy", q(qb, s));
        snprintf(idbuf, sizeof idbuf, "inline[%zu]", i);
        p->id = lode_arena_strdup(c->a, idbuf);
        if (p->id == NULL)
            return oom(c);
    }
    if (v[P_KIND] != NULL) {
        jp_key(kp, jp, "kind");
        TRY(get_str(c, v[P_KIND], kp, &s));
        kind = kind_parse(s);
        if (kind < 0)
            return BAD(c, kp,
                       "unknown kind \"%s\" (expected ban, licence, quota, tariff or "
                       "other)",
                       q(qb, s));
    }
    p->kind = (lode_polkind)kind;
    if (v[P_MATERIALS] != NULL) {
        jp_key(kp, jp, "materials");
        TRY(id_list(c, v[P_MATERIALS], NULL, kp, 1, 0, -1, &p->materials, &p->n_materials));
    }
    if (p->n_materials == 0) {
        jp_key(kp, jp, "materials");
        return BAD(c, kp,
                   "missing: dataset policy %s names no material of the model; give "
                   "\"materials\"",
                   dp ? dp->id : "?");
    }
    if (v[P_TARGETS] != NULL) {
        jp_key(kp, jp, "targets");
        TRY(id_list(c, v[P_TARGETS], NULL, kp, 0, 1, p->country, &p->targets, &p->n_targets));
    }

    /* severity and the licence terms: for a licence, severity = 1 - approval_rate */
    if (p->kind == LODE_POL_LICENCE) {
        if (v[P_SEV] != NULL && v[P_APPR] != NULL) {
            jp_key(kp, jp, "approval_rate");
            return BAD(c, kp,
                       "give severity or approval_rate, not both (a licence's severity "
                       "is 1 - approval_rate)");
        }
        if (v[P_SEV] != NULL) {
            jp_key(kp, jp, "severity");
            TRY(get_dist(c, v[P_SEV], kp, &R_SHARE, &p->severity));
            p->approval_rate = 1.0 - lode_dist_mean(&p->severity);
        } else {
            p->approval_rate = DEF_APPROVAL;
            if (v[P_APPR] != NULL) {
                jp_key(kp, jp, "approval_rate");
                TRY(get_num(c, v[P_APPR], kp, &R_SHARE, &p->approval_rate));
            }
            p->severity = fixed(1.0 - p->approval_rate);
        }
        p->delay_wd = DEF_DELAY_WD;
        if (v[P_DELAY] != NULL) {
            jp_key(kp, jp, "delay_wd");
            TRY(get_num(c, v[P_DELAY], kp, &R_DELAY, &p->delay_wd));
        }
        p->validity_wk = DEF_VALIDITY_WK;
        if (v[P_VALID] != NULL) {
            jp_key(kp, jp, "validity_wk");
            TRY(get_num(c, v[P_VALID], kp, &R_VALIDITY, &p->validity_wk));
        }
    } else {
        for (int k = P_APPR; k <= P_VALID; k++)
            if (v[k] != NULL) {
                jp_key(kp, jp, pol_keys[k]);
                return BAD(c, kp, "applies to licence regimes only (this policy's kind is %s)",
                           kind_names[kind]);
            }
        jp_key(kp, jp, "severity");
        if (v[P_SEV] != NULL)
            TRY(get_dist(c, v[P_SEV], kp, &R_SHARE, &p->severity));
        else if (p->kind == LODE_POL_BAN)
            p->severity = fixed(1.0);
        else if (p->kind == LODE_POL_TARIFF)
            p->severity = fixed(0.0);
        else
            return BAD(c, kp,
                       "missing: a %s policy has no default severity (share of the "
                       "covered flows blocked, 0..1)",
                       kind_names[kind]);
        p->approval_rate = 1.0 - lode_dist_mean(&p->severity);
        p->delay_wd = 0.0;
        p->validity_wk = 0.0;
    }

    p->diverted = p->n_targets > 0 ? DEF_DIVERTED_TARGETED : 0.0;
    if (v[P_DIV] != NULL) {
        jp_key(kp, jp, "diverted");
        TRY(get_num(c, v[P_DIV], kp, &R_SHARE, &x));
        if (p->n_targets == 0 && x > 0.0)
            return BAD(c, kp,
                       "nothing to divert to: the policy targets every importer (give "
                       "\"targets\" or leave out diverted)");
        p->diverted = x;
    }
    p->announce_wk = ann;
    if (v[P_ANN] != NULL) {
        jp_key(kp, jp, "announce_wk");
        TRY(get_num(c, v[P_ANN], kp, &R_ANNOUNCE, &p->announce_wk));
    }
    p->frontload = DEF_FRONTLOAD;
    if (v[P_FRONT] != NULL) {
        jp_key(kp, jp, "frontload");
        TRY(get_num(c, v[P_FRONT], kp, &R_FRONTLOAD, &p->frontload));
    }
    p->start_wk = fixed(start);
    if (v[P_START] != NULL) {
        jp_key(kp, jp, "start_wk");
        TRY(get_dist(c, v[P_START], kp, &R_WEEKS, &p->start_wk));
    }
    p->duration_wk = fixed(dur);
    if (v[P_DUR] != NULL) {
        jp_key(kp, jp, "duration_wk");
        TRY(get_dist(c, v[P_DUR], kp, &R_WEEKS, &p->duration_wk));
    }
    return LODE_OK;
}

/* ---- outages, demand shocks, parameters ----------------------------------------------------- */

/* Optional start and duration (defaults: week 0, open-ended). */
static lode_status get_window(const pctx *c, const cJSON *st, const cJSON *du, const char *jp,
                              lode_dist *start, lode_dist *dur)
{
    char kp[JPATH];
    *start = fixed(0.0);
    *dur = fixed(OPEN_WK);
    if (st != NULL) {
        jp_key(kp, jp, "start_wk");
        TRY(get_dist(c, st, kp, &R_WEEKS, start));
    }
    if (du != NULL) {
        jp_key(kp, jp, "duration_wk");
        TRY(get_dist(c, du, kp, &R_WEEKS, dur));
    }
    return LODE_OK;
}

/* A country or material member; required ones must be present, optional ones give -1. */
static lode_status get_id(const pctx *c, const cJSON *it, const char *jp, const char *key,
                          int is_material, int required, const char *need, int *out)
{
    char kp[JPATH];
    const char *s = NULL;
    jp_key(kp, jp, key);
    *out = -1;
    if (it == NULL)
        return required ? BAD(c, kp, "missing: %s", need) : LODE_OK;
    TRY(get_str(c, it, kp, &s));
    return one_id(c, s, is_material, -1, kp, NULL, out);
}

static lode_status parse_outage(const pctx *c, const cJSON *o, const char *jp, lode_sim_outage *p)
{
    static const char *const keys[] = {"country",     "material", "facility", "start_wk",
                                       "duration_wk", "severity", "note"};
    enum { O_COUNTRY, O_MATERIAL, O_FACILITY, O_START, O_DUR, O_SEV, O_NOTE, O_N };
    static const char *const need = "an outage needs country and material";
    const cJSON *v[O_N];
    char kp[JPATH], qb[QBUF];
    const char *s = NULL;
    TRY(members(c, o, jp, keys, O_N, v));
    TRY(check_note(c, v[O_NOTE], jp));
    TRY(get_id(c, v[O_COUNTRY], jp, "country", 0, 1, need, &p->country));
    TRY(get_id(c, v[O_MATERIAL], jp, "material", 1, 1, need, &p->material));
    p->facility = "";
    if (v[O_FACILITY] != NULL) {
        size_t k;
        jp_key(kp, jp, "facility");
        TRY(get_str(c, v[O_FACILITY], kp, &s));
        for (k = 0; k < c->m->n_capacity; k++) {
            const lode_capacity *r = &c->m->capacity[k];
            if (r->country == p->country && r->material == p->material && r->facility != NULL &&
                strcmp(r->facility, s) == 0)
                break;
        }
        if (k == c->m->n_capacity)
            return BAD(c, kp, "no facility \"%s\" of %s %s in capacity.csv", q(qb, s),
                       c->m->countries[p->country].iso3, c->m->materials[p->material].id);
        p->facility = lode_arena_strdup(c->a, s);
        if (p->facility == NULL)
            return oom(c);
    }
    TRY(get_window(c, v[O_START], v[O_DUR], jp, &p->start_wk, &p->duration_wk));
    p->severity = fixed(1.0);
    if (v[O_SEV] != NULL) {
        jp_key(kp, jp, "severity");
        TRY(get_dist(c, v[O_SEV], kp, &R_SHARE, &p->severity));
    }
    return LODE_OK;
}

static lode_status parse_shock(const pctx *c, const cJSON *o, const char *jp,
                               lode_sim_demand_shock *p)
{
    static const char *const keys[] = {"country",     "material", "sector", "start_wk",
                                       "duration_wk", "change",   "note"};
    enum { D_COUNTRY, D_MATERIAL, D_SECTOR, D_START, D_DUR, D_CHANGE, D_NOTE, D_N };
    const cJSON *v[D_N];
    char kp[JPATH], qb[QBUF];
    const char *s = NULL;
    TRY(members(c, o, jp, keys, D_N, v));
    TRY(check_note(c, v[D_NOTE], jp));
    TRY(get_id(c, v[D_COUNTRY], jp, "country", 0, 0, "", &p->country));
    TRY(get_id(c, v[D_MATERIAL], jp, "material", 1, 0, "", &p->material));
    p->sector = -1;
    if (v[D_SECTOR] != NULL) {
        jp_key(kp, jp, "sector");
        TRY(get_str(c, v[D_SECTOR], kp, &s));
        p->sector = lode_sector_parse(s);
        if (p->sector < 0)
            return BAD(c, kp,
                       "unknown sector \"%s\" (expected defence, infrastructure, health, "
                       "energy_transition, consumer or unallocated)",
                       q(qb, s));
    }
    TRY(get_window(c, v[D_START], v[D_DUR], jp, &p->start_wk, &p->duration_wk));
    jp_key(kp, jp, "change");
    if (v[D_CHANGE] == NULL)
        return BAD(c, kp, "missing: a demand shock needs change (relative, e.g. 0.2 = +20 %%)");
    return get_dist(c, v[D_CHANGE], kp, &R_CHANGE, &p->change);
}

static lode_status parse_params(const pctx *c, const cJSON *o, const char *jp, lode_sim_params *p)
{
    static const char *const keys[] = {"inventory_wk",     "price_response",
                                       "price_elasticity", "substitution_lag_wk",
                                       "substitution_max", "stock_release_wk"};
    static const range ranges[] = {
        {0.0, 520.0, 0, "weeks of use in 0..520"},  {0.0, 1000.0, 0, "a number in 0..1000"},
        {-10.0, 0.0, 0, "an elasticity in -10..0"}, {0.0, 520.0, 0, "weeks in 0..520"},
        {0.0, 1.0, 0, "a share in 0..1"},           {0.0, 520.0, 1, "weeks > 0 and <= 520"}};
    enum { N = sizeof keys / sizeof keys[0] };
    double *dst[N];
    const cJSON *v[N];
    char kp[JPATH];
    dst[0] = &p->inventory_wk;
    dst[1] = &p->price_response;
    dst[2] = &p->price_elasticity;
    dst[3] = &p->substitution_lag_wk;
    dst[4] = &p->substitution_max;
    dst[5] = &p->stock_release_wk;
    TRY(members(c, o, jp, keys, N, v));
    for (size_t k = 0; k < N; k++)
        if (v[k] != NULL) {
            jp_key(kp, jp, keys[k]);
            TRY(get_num(c, v[k], kp, &ranges[k], dst[k]));
        }
    return LODE_OK;
}

/* The items of the array `it` (at jp) into a new arena array of `size`-byte elements, each
 * parsed by fn. it may be NULL (no items). */
typedef lode_status (*item_fn)(const pctx *c, const cJSON *o, const char *jp, size_t i, void *dst);

static lode_status pol_item(const pctx *c, const cJSON *o, const char *jp, size_t i, void *dst)
{
    return parse_policy(c, o, jp, i, (lode_sim_policy *)dst + i);
}

static lode_status out_item(const pctx *c, const cJSON *o, const char *jp, size_t i, void *dst)
{
    return parse_outage(c, o, jp, (lode_sim_outage *)dst + i);
}

static lode_status shock_item(const pctx *c, const cJSON *o, const char *jp, size_t i, void *dst)
{
    return parse_shock(c, o, jp, (lode_sim_demand_shock *)dst + i);
}

static lode_status parse_items(const pctx *c, const cJSON *it, const char *jp, size_t size,
                               item_fn fn, void **out, size_t *n)
{
    char ip[JPATH];
    size_t cnt = 0, i = 0;
    void *arr;
    *out = NULL;
    *n = 0;
    if (it == NULL)
        return LODE_OK;
    if (!cJSON_IsArray(it))
        return BAD(c, jp, "expected an array, got %s", jtype(it));
    for (const cJSON *e = it->child; e != NULL; e = e->next)
        cnt++;
    if (cnt == 0)
        return LODE_OK;
    if (cnt > MAX_ITEMS)
        return BAD(c, jp, "expected at most %d items, got %zu", (int)MAX_ITEMS, cnt);
    arr = lode_arena_calloc(c->a, cnt, size);
    if (arr == NULL)
        return oom(c);
    for (const cJSON *e = it->child; e != NULL; e = e->next, i++) {
        jp_idx(ip, jp, i);
        TRY(fn(c, e, ip, i, arr));
    }
    *out = arr;
    *n = cnt;
    return LODE_OK;
}

/* ---- the scenario -------------------------------------------------------------------------- */

/* The scenario name when the file gives none: its base name without ".json". */
static const char *default_name(lode_arena *a, const char *path)
{
    const char *base = path && path[0] ? strrchr(path, '/') : NULL;
    size_t n;
    base = base ? base + 1 : (path && path[0] ? path : "scenario");
    n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    return lode_arena_strndup(a, base, n);
}

static lode_status build(pctx *c, const cJSON *root, lode_scenario *s)
{
    static const char *const keys[] = {"name",     "description", "weeks",         "start_date",
                                       "policies", "outages",     "demand_shocks", "params"};
    enum { K_NAME, K_DESC, K_WEEKS, K_START, K_POL, K_OUT, K_DEM, K_PAR, K_N };
    const cJSON *v[K_N];
    char qb[QBUF];
    const char *str = NULL;
    void *arr;

    TRY(members(c, root, "", keys, K_N, v));
    if (v[K_NAME] != NULL) {
        TRY(get_text(c, v[K_NAME], "name", &s->name));
        if (s->name[0] == '\0')
            return BAD(c, "name", "expected a non-empty string");
    } else {
        s->name = default_name(c->a, c->path);
        if (s->name == NULL)
            return oom(c);
    }
    s->description = "";
    if (v[K_DESC] != NULL)
        TRY(get_text(c, v[K_DESC], "description", &s->description));
    s->weeks = DEFAULT_WEEKS;
    if (v[K_WEEKS] != NULL) {
        const cJSON *w = v[K_WEEKS];
        if (!cJSON_IsNumber(w))
            return BAD(c, "weeks", "expected a whole number of weeks in 1..%d, got %s",
                       (int)MAX_HORIZON_WK, jtype(w));
        if (!(w->valuedouble >= 1.0 && w->valuedouble <= MAX_HORIZON_WK) ||
            w->valuedouble != floor(w->valuedouble))
            return BAD(c, "weeks", "expected a whole number of weeks in 1..%d, got %.10g",
                       (int)MAX_HORIZON_WK, w->valuedouble);
        s->weeks = (int)w->valuedouble; /* whole and in 1..520: exact */
    }
    if (v[K_START] != NULL) {
        TRY(get_str(c, v[K_START], "start_date", &str));
        if (!date_parse(str, 0, &c->start_day))
            return BAD(c, "start_date", "expected a date \"YYYY-MM-DD\", got \"%s\"", q(qb, str));
        c->has_start_date = 1;
    }
    lode_sim_params_default(&s->params);
    if (v[K_PAR] != NULL)
        TRY(parse_params(c, v[K_PAR], "params", &s->params));
    TRY(parse_items(c, v[K_POL], "policies", sizeof *s->policies, pol_item, &arr, &s->n_policies));
    s->policies = arr;
    TRY(parse_items(c, v[K_OUT], "outages", sizeof *s->outages, out_item, &arr, &s->n_outages));
    s->outages = arr;
    TRY(parse_items(c, v[K_DEM], "demand_shocks", sizeof *s->demand_shocks, shock_item, &arr,
                    &s->n_demand_shocks));
    s->demand_shocks = arr;
    return LODE_OK;
}

/* Line and column (1-based) of byte off of json. */
static void line_col(const char *json, size_t off, long *line, long *col)
{
    size_t bol = 0;
    *line = 1;
    for (size_t i = 0; i < off; i++)
        if (json[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    *col = (long)(off - bol) + 1;
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Whether json[0..len) looks like a JSON text cut short: scanned loosely, a string or bracket
 * is still open at the end and no bracket closes the wrong kind. If so returns 1 with *at the
 * offset where the innermost open string or bracket starts and *what its kind. cJSON reports
 * such errors at the last byte, which would point the user at the wrong place. */
static int cut_short(const char *json, size_t len, size_t *at, const char **what)
{
    size_t stack[1024], depth = 0, str_at = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = json[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
            str_at = i;
        } else if (ch == '{' || ch == '[') {
            if (depth == sizeof stack / sizeof stack[0])
                return 0;
            stack[depth++] = i;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0 || json[stack[depth - 1]] != (ch == '}' ? '{' : '['))
                return 0;
            depth--;
        }
    }
    if (in_str) {
        *at = str_at;
        *what = "this string is not closed";
    } else if (depth > 0) {
        *at = stack[depth - 1];
        *what = json[*at] == '{' ? "this object is not closed" : "this array is not closed";
    }
    return in_str || depth > 0;
}

/* A syntax error at byte off of json[0..len): err->line and err->column say where, the message
 * quotes the text just before and after it on its line. */
static lode_status syntax_error(const pctx *c, const char *json, size_t len, size_t off,
                                const char *what)
{
    char qb[QBUF];
    size_t from = off, to = off, i = off;
    long line, col;
    lode_status st;
    if (off > len)
        off = from = to = i = len;
    while (i < len && is_ws(json[i]))
        i++;
    line_col(json, off, &line, &col);
    if (i == len)
        st = LODE_FAIL(c->err, LODE_EINPUT, c->path, line, "",
                       "malformed JSON: %s (unexpected end of input)", what);
    else {
        while (from > 0 && off - from < 16 && json[from - 1] != '\n' && json[from - 1] != '\r')
            from--;
        while (to < len && to - off < 8 && json[to] != '\n' && json[to] != '\r')
            to++;
        st = LODE_FAIL(c->err, LODE_EINPUT, c->path, line, "", "malformed JSON: %s at \"%s\"", what,
                       esc(qb, json + from, to - from));
    }
    if (c->err != NULL)
        c->err->column = col;
    return st;
}

/* Parse scenario JSON json[0..len) against the frozen model m into *out, every string and array
 * in arena a. Returns LODE_OK; LODE_EINPUT for anything wrong with the scenario (err->path =
 * path, err->field = the JSON path at fault, or err->line and err->column for malformed JSON);
 * LODE_EIO when out of memory; LODE_EUSAGE for NULL arguments or a model not frozen. On failure
 * *out is zeroed (what was allocated stays in a until it is freed). */
lode_status lode_scenario_parse(const lode_model *m, const char *json, size_t len, const char *path,
                                lode_arena *a, lode_scenario *out, lode_err *err)
{
    pctx c = {m, path ? path : "", a, err, 0, 0};
    lode_scenario s;
    const char *end = NULL;
    cJSON *root;
    size_t start = 0, off;
    lode_status st;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (m == NULL || !m->frozen || a == NULL || out == NULL || (json == NULL && len > 0))
        return LODE_FAIL(err, LODE_EUSAGE, c.path, 0, "",
                         "lode_scenario_parse needs a frozen model, an arena and an output");
    memset(&s, 0, sizeof s);
    s.path = lode_arena_strdup(a, c.path);
    if (s.path == NULL)
        return oom(&c);
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0)
        start = 3; /* a UTF-8 byte-order mark some editors write */
    while (start < len && is_ws(json[start]))
        start++;
    if (start == len)
        return BAD(&c, "", "empty file: expected a JSON object");
    for (off = start; off < len; off++) {
        unsigned char ch = (unsigned char)json[off];
        if (ch < 0x20 && !is_ws((char)ch)) /* cJSON would take these for white space */
            return syntax_error(&c, json, len, off, "control character (write it as \\u00XX)");
    }
    root = cJSON_ParseWithLengthOpts(json + start, len - start, &end, 0);
    if (root == NULL) {
        const char *what;
        if (cut_short(json + start, len - start, &off, &what))
            return syntax_error(&c, json, len, start + off, what);
        off = end != NULL && end >= json + start ? (size_t)(end - json) : start;
        return syntax_error(&c, json, len, off, "not valid JSON");
    }
    off = end != NULL && end >= json + start ? (size_t)(end - json) : len;
    while (off < len && is_ws(json[off]))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        return syntax_error(&c, json, len, off, "text after the end of the top-level value");
    }
    if (!cJSON_IsObject(root)) {
        st = BAD(&c, "", "expected a JSON object at the top level, got %s", jtype(root));
        cJSON_Delete(root);
        return st;
    }
    st = build(&c, root, &s);
    cJSON_Delete(root);
    if (st == LODE_OK)
        *out = s;
    return st;
}

/* Read the file at path and parse it (lode_scenario_parse). An unreadable file is LODE_EIO; a
 * file over 16 MiB is LODE_EINPUT. */
lode_status lode_scenario_load(const lode_model *m, const char *path, lode_arena *a,
                               lode_scenario *out, lode_err *err)
{
    lode_buf b = LODE_BUF_INIT;
    lode_status st;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (path == NULL)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "lode_scenario_load needs a path");
    st = lode_file_read(path, &b, err);
    if (st == LODE_OK && b.len > MAX_FILE)
        st = LODE_FAIL(err, LODE_EINPUT, path, 0, "",
                       "file too large (%zu bytes; a scenario may have at most %zu)", b.len,
                       MAX_FILE);
    if (st == LODE_OK)
        st = lode_scenario_parse(m, b.data ? b.data : "", b.len, path, a, out, err);
    lode_buf_free(&b);
    return st;
}

int lode_scenario_is_random(const lode_scenario *s)
{
    for (size_t i = 0; i < s->n_policies; i++) {
        const lode_sim_policy *p = &s->policies[i];
        if (p->start_wk.kind != LODE_DIST_FIXED || p->duration_wk.kind != LODE_DIST_FIXED ||
            p->severity.kind != LODE_DIST_FIXED)
            return 1;
    }
    for (size_t i = 0; i < s->n_outages; i++) {
        const lode_sim_outage *g = &s->outages[i];
        if (g->start_wk.kind != LODE_DIST_FIXED || g->duration_wk.kind != LODE_DIST_FIXED ||
            g->severity.kind != LODE_DIST_FIXED)
            return 1;
    }
    for (size_t i = 0; i < s->n_demand_shocks; i++) {
        const lode_sim_demand_shock *d = &s->demand_shocks[i];
        if (d->start_wk.kind != LODE_DIST_FIXED || d->duration_wk.kind != LODE_DIST_FIXED ||
            d->change.kind != LODE_DIST_FIXED)
            return 1;
    }
    return 0;
}
