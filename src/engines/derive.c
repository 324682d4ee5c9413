/* derive.c: lode derive: the baseline final demand by country and sector and the baseline trade
 * matrix, which no source publishes, derived from production, intermediate use, published
 * consumption, published bilateral shares and an allocation key by the method of
 * docs/baseline.md. Trade is net: a country either exports its surplus or imports its need,
 * and lode_ras spreads the one over the other around the published shares it holds fixed. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/engines.h"

static const double min_flow_t = 1e-6; /* smaller flows are not written */
/* RAS tolerance, times the material's total trade. Not 1e-9: that leaves an exporter off its
 * surplus by up to 1e-9 x world trade (3e-3 t for nickel, about 3e6 t), which for a small
 * exporter is a visible imbalance; 1e-12 is still 100 times above the rounding of the sums. */
static const double ras_tol_rel = 1e-12;
static const int ras_max_iter = 10000;

/* Where a file name appears in method strings: the bundled dataset's tables. Named here, not
 * taken from the rows' paths, so the text is the same whether the model came from CSV or a
 * store. */
#define F_CONS "consumption.csv"
#define F_ECON "economy.csv"
#define F_PUBT "trade_published.csv"


/* ---- strings in the arena ---------------------------------------------------------------- */

typedef struct sbuf {
    lode_arena *a;
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    if (b->oom)
        return;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        va_end(ap2);
        return;
    }
    size_t need = b->len + (size_t)n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < need)
            cap *= 2;
        /* The old block stays in the arena; strings here are short. */
        char *s = lode_arena_alloc(b->a, cap);
        if (s == NULL) {
            b->oom = 1;
            va_end(ap2);
            return;
        }
        if (b->len)
            memcpy(s, b->s, b->len);
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

/* ---- context ----------------------------------------------------------------------------- */

/* How a country's final demand of one material was found. */
typedef enum fsrc { FS_NONE, FS_PUBLISHED, FS_KEY, FS_ROW_KEY, FS_ROW_NOKEY } fsrc;

typedef struct dctx {
    const lode_model *m;
    lode_arena *a;
    lode_err *err;
    lode_derive_result *out;
    int nc;

    /* allocation key, the same for every material */
    const char *key_ind; /* indicator used, NULL if economy.csv gives none */
    double *key;         /* [nc] key of each country (ROW: WLD less listed, when WLD given) */
    int *key_year;       /* [nc] year of that key, 0 if none */

    /* scratch for one material, [nc] each */
    double *fin; /* final demand */
    fsrc *src;   /* how fin was found */
    long *pub;   /* consumption row of the published total, -1 if none */
    double *surplus, *need;
    int *exi, *imi;         /* country -> exporter / importer index, -1 */
    int *pub_year;          /* importer's chosen year of published shares, 0 if none */
    unsigned char *applied; /* importer's shares were used */

    double cons_scale; /* published consumption scale factor of this material (1 if none) */

    size_t cap_flows, cap_demand;
} dctx;

static lode_status oom(dctx *d)
{
    return LODE_FAIL(d->err, LODE_EIO, "", 0, "", "out of memory");
}

/* A country that trades and consumes: a real country or ROW (not WLD, not a region). */
static int is_node(const lode_model *m, int c)
{
    if (c < 0 || (size_t)c >= m->n_countries)
        return 0;
    lode_ckind k = m->countries[c].kind;
    return k == LODE_CK_COUNTRY || k == LODE_CK_RESIDUAL;
}

/* Is year y a better pick than the current pick cur (0 = none) for baseline year by? The
 * latest year up to the baseline year wins; if there is none, the latest year. */
static int better_year(int y, int cur, int by)
{
    if (cur == 0)
        return 1;
    if ((y <= by) != (cur <= by))
        return y <= by;
    return y > cur;
}

/* The year of an annual period ("2024"), or 0 for anything else ("2025-05", "2024-YTD"). */
static int annual_period(const char *p)
{
    if (p == NULL || strlen(p) != 4)
        return 0;
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        y = y * 10 + (p[i] - '0');
    }
    return y;
}

/* ---- allocation key ---------------------------------------------------------------------- */

/* Pick the economy.csv indicator that covers the most real countries (ties: the smaller name),
 * and take each country's latest value of it. If it has a WLD row, ROW's key is WLD less the
 * listed countries, never below zero. */
static lode_status build_key(dctx *d)
{
    const lode_model *m = d->m;
    size_t best_n = 0;
    d->key_ind = NULL;
    for (size_t i = 0; i < m->n_economy; i++) {
        const char *ind = m->economy[i].indicator;
        if (ind == NULL || !lode_country_is_real(m, m->economy[i].country))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = m->economy[j].indicator && lode_country_is_real(m, m->economy[j].country) &&
                   strcmp(m->economy[j].indicator, ind) == 0;
        if (seen)
            continue;
        /* Count distinct countries: rows of one country in several years count once. */
        size_t n = 0;
        for (size_t j = i; j < m->n_economy; j++) {
            const lode_econ *e = &m->economy[j];
            if (!e->indicator || strcmp(e->indicator, ind) != 0 ||
                !lode_country_is_real(m, e->country))
                continue;
            int dup = 0;
            for (size_t k = i; k < j && !dup; k++)
                dup = m->economy[k].country == e->country && m->economy[k].indicator &&
                      strcmp(m->economy[k].indicator, ind) == 0;
            n += !dup;
        }
        if (n > best_n || (n == best_n && d->key_ind && strcmp(ind, d->key_ind) < 0)) {
            best_n = n;
            d->key_ind = ind;
        }
    }
    if (d->key_ind == NULL)
        return LODE_OK;
    int wld_year = 0;
    double wld = 0;
    for (size_t i = 0; i < m->n_economy; i++) {
        const lode_econ *e = &m->economy[i];
        if (!e->indicator || strcmp(e->indicator, d->key_ind) != 0 || e->country < 0 ||
            e->country >= d->nc)
            continue;
        lode_ckind k = m->countries[e->country].kind;
        /* "Latest year per country": no baseline year applies, the key is one for all. */
        if (k == LODE_CK_COUNTRY && e->year > d->key_year[e->country]) {
            d->key_year[e->country] = e->year;
            d->key[e->country] = e->value > 0 ? e->value : 0;
        } else if (k == LODE_CK_WORLD && e->year > wld_year) {
            wld_year = e->year;
            wld = e->value;
        }
    }
    if (wld_year && m->residual >= 0) {
        double listed = 0;
        for (int c = 0; c < d->nc; c++)
            if (m->countries[c].kind == LODE_CK_COUNTRY)
                listed += d->key[c];
        d->key[m->residual] = wld > listed ? wld - listed : 0;
        d->key_year[m->residual] = wld_year;
    }
    return LODE_OK;
}

/* ---- final demand ------------------------------------------------------------------------ */

/* Sector shares of country c's use of material k (c's own rows, latest year up to by, else
 * latest). sh[] gets one share per sector, the remainder to unallocated; returns 1 if c has
 * share rows, with *year and *sum (the published shares' total, before normalising). */
static int sector_shares(const lode_model *m, int k, int c, int by, double sh[LODE_SEC_N],
                         int *year, double *sum)
{
    int y = 0;
    for (size_t i = 0; i < m->n_consumption; i++) {
        const lode_consumption *r = &m->consumption[i];
        if (r->material == k && r->country == c && r->is_share &&
            lode_sector_parse(r->sector) >= 0 && better_year(r->year, y, by))
            y = r->year;
    }
    if (y == 0)
        return 0;
    double s = 0;
    for (int j = 0; j < LODE_SEC_N; j++)
        sh[j] = 0;
    for (size_t i = 0; i < m->n_consumption; i++) {
        const lode_consumption *r = &m->consumption[i];
        int sec = lode_sector_parse(r->sector);
        if (r->material == k && r->country == c && r->is_share && r->year == y && sec >= 0 &&
            r->value > 0) {
            sh[sec] += r->value;
            s += r->value;
        }
    }
    if (s <= 0)
        return 0;
    *year = y;
    *sum = s;
    if (s > 1)
        for (int j = 0; j < LODE_SEC_N; j++)
            sh[j] /= s;
    else
        sh[LODE_SEC_UNALLOCATED] += 1 - s;
    return 1;
}

static lode_status push_demand(dctx *d, int k, int c, int year, lode_sector sec, double t,
                               const char *method)
{
    lode_derive_result *o = d->out;
    if (lode_arena_grow(d->a, (void **)&o->demand, o->n_demand, &d->cap_demand, sizeof *o->demand) != 0)
        return oom(d);
    lode_derived_demand *r = &o->demand[o->n_demand++];
    r->material = k;
    r->country = c;
    r->year = year;
    r->sector = sec;
    r->tonnes = t;
    r->method = method;
    return LODE_OK;
}

/* Write country c's demand rows of material k: fin[c] split by sector shares. */
static lode_status emit_demand(dctx *d, int k, int c, int by)
{
    const lode_model *m = d->m;
    const char *iso = m->countries[c].iso3;
    sbuf head = {d->a, NULL, 0, 0, 0};
    switch (d->src[c]) {
    case FS_PUBLISHED: {
        const lode_consumption *r = &m->consumption[d->pub[c]];
        sb_printf(&head, "derived:published consumption " F_CONS " %s %d less intermediate use",
                  iso, r->year);
        if (d->cons_scale < 1)
            sb_printf(&head, ", scaled by %.6g to fit world final use", d->cons_scale);
        break;
    }
    case FS_KEY:
        sb_printf(&head, "derived:key-allocation " F_ECON " %s %d", d->key_ind, d->key_year[c]);
        break;
    case FS_ROW_KEY:
        sb_printf(&head, "derived:key-allocation " F_ECON " %s %d (%s: WLD less listed countries)",
                  d->key_ind, d->key_year[c], iso);
        break;
    case FS_ROW_NOKEY:
        sb_printf(&head,
                  "derived:world final use less published consumption, all to %s (no "
                  "allocation key in " F_ECON ")",
                  iso);
        break;
    case FS_NONE:
        return LODE_OK;
    }
    if (head.oom)
        return oom(d);

    double sh[LODE_SEC_N] = {0};
    int year = 0, from = c;
    double sum = 0;
    if (!sector_shares(m, k, c, by, sh, &year, &sum)) {
        from = m->world;
        if (from < 0 || !sector_shares(m, k, from, by, sh, &year, &sum))
            from = -1;
    }
    if (from < 0) {
        sbuf b = {d->a, NULL, 0, 0, 0};
        sb_printf(&b, "%s; no sector shares", head.s);
        if (b.oom)
            return oom(d);
        return push_demand(d, k, c, by, LODE_SEC_UNALLOCATED, d->fin[c], b.s);
    }
    const char *fiso = m->countries[from].iso3;
    for (int s = 0; s < LODE_SEC_N; s++) {
        double t = d->fin[c] * sh[s];
        if (!(t > 0))
            continue;
        sbuf b = {d->a, NULL, 0, 0, 0};
        sb_printf(&b, "%s; %s " F_CONS " %s %d", head.s,
                  s == LODE_SEC_UNALLOCATED && sum < 1 ? "remainder after sector shares"
                                                       : "sector shares",
                  fiso, year);
        if (sum > 1)
            sb_printf(&b, " (shares summed to %.6g, normalised)", sum);
        if (b.oom)
            return oom(d);
        lode_status st = push_demand(d, k, c, by, (lode_sector)s, t, b.s);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

/* Final demand of material k in every country (docs/baseline.md, steps 1-3). */
static lode_status final_demand(dctx *d, int k, int by)
{
    const lode_model *m = d->m;
    const double *prod = m->base.prod_t + (size_t)k * (size_t)d->nc;
    const double *inter = m->base.inter_t + (size_t)k * (size_t)d->nc;
    double fw = 0;
    for (int c = 0; c < d->nc; c++) {
        d->fin[c] = 0;
        d->src[c] = FS_NONE;
        d->pub[c] = -1;
        if (is_node(m, c))
            fw += prod[c] - inter[c];
    }
    if (fw < 0)
        fw = 0; /* only by rounding: inter_scale keeps world use within world production */

    /* 1. Published apparent consumption, in tonnes, of real countries. */
    for (size_t i = 0; i < m->n_consumption; i++) {
        const lode_consumption *r = &m->consumption[i];
        if (r->material != k || r->is_share || r->sector == NULL ||
            strcmp(r->sector, "total") != 0 || !lode_country_is_real(m, r->country))
            continue;
        long cur = d->pub[r->country];
        if (cur < 0 || better_year(r->year, m->consumption[cur].year, by))
            d->pub[r->country] = (long)i; /* a row index: tables are far below LONG_MAX */
    }
    double pubsum = 0;
    for (int c = 0; c < d->nc; c++) {
        if (d->pub[c] < 0)
            continue;
        double v = m->consumption[d->pub[c]].value - inter[c];
        d->fin[c] = v > 0 ? v : 0;
        d->src[c] = FS_PUBLISHED;
        pubsum += d->fin[c];
    }
    double rest = fw - pubsum;
    d->cons_scale = 1;
    if (pubsum > fw) {
        d->cons_scale = fw / pubsum;
        for (int c = 0; c < d->nc; c++)
            if (d->src[c] == FS_PUBLISHED)
                d->fin[c] *= d->cons_scale;
        rest = 0;
        d->out->n_consumption_scaled++;
    }

    /* 2. The rest by the allocation key, over real countries without a published figure and
     * ROW; with no key, all of it to ROW. */
    if (rest > 0) {
        double ksum = 0;
        for (int c = 0; c < d->nc; c++)
            if (is_node(m, c) && d->src[c] == FS_NONE)
                ksum += d->key[c];
        if (ksum > 0) {
            for (int c = 0; c < d->nc; c++) {
                if (!is_node(m, c) || d->src[c] != FS_NONE || !(d->key[c] > 0))
                    continue;
                d->fin[c] = rest * d->key[c] / ksum;
                d->src[c] = m->countries[c].kind == LODE_CK_RESIDUAL ? FS_ROW_KEY : FS_KEY;
            }
        } else if (m->residual >= 0) {
            d->fin[m->residual] += rest;
            d->src[m->residual] = FS_ROW_NOKEY;
        } else {
            return LODE_FAIL(d->err, LODE_EINPUT, F_ECON, 0, "",
                             "no allocation key for %.6g t of world final use of %s, and no "
                             "ROW country to take it",
                             rest, m->materials[k].id);
        }
    }

    /* 3. Sector split, and the demand rows. */
    for (int c = 0; c < d->nc; c++) {
        if (d->fin[c] > 0) {
            lode_status st = emit_demand(d, k, c, by);
            if (st != LODE_OK)
                return st;
        }
    }
    return LODE_OK;
}

/* ---- trade ------------------------------------------------------------------------------- */

typedef struct applied_imp {
    const char *iso;
    int year;
} applied_imp;

static int applied_cmp(const void *a, const void *b)
{
    const applied_imp *x = a, *y = b;
    return strcmp(x->iso, y->iso);
}

static lode_status push_flow(dctx *d, int k, int e, int i, int year, double t, const char *method)
{
    lode_derive_result *o = d->out;
    if (lode_arena_grow(d->a, (void **)&o->flows, o->n_flows, &d->cap_flows, sizeof *o->flows) != 0)
        return oom(d);
    lode_derived_flow *f = &o->flows[o->n_flows++];
    f->material = k;
    f->exporter = e;
    f->importer = i;
    f->year = year;
    f->tonnes = t;
    f->method = method;
    return LODE_OK;
}

/* What the fit does with an importer's published shares after RAS found no fit with them. */
enum { COL_AS_PUBLISHED, COL_DROPPED, COL_FILLED };

/* Fixed cells of the fit: the published cells (pub) outside dropped rows and columns, at
 * share x need; an importer's shares normalised when they sum above 1, or scaled up to 1 when
 * its column is COL_FILLED; then an exporter's fixed cells scaled down to its surplus when
 * they exceed it. Counts the fixed cells, the importers normalised and the exporters capped. */
static void set_fixed(const dctx *d, int ne, int ni, const int *exc, const int *imc,
                      const double *share, const unsigned char *pub, const unsigned char *dropr,
                      const unsigned char *colst, unsigned char *fixed, double *x, size_t *nfixed,
                      size_t *nnorm, size_t *ncap)
{
    *nfixed = *nnorm = *ncap = 0;
    for (int e = 0; e < ne; e++)
        for (int j = 0; j < ni; j++) {
            size_t cell = (size_t)e * (size_t)ni + (size_t)j;
            fixed[cell] = pub[cell] && !dropr[e] && colst[j] != COL_DROPPED;
            x[cell] = 0;
            *nfixed += fixed[cell];
        }
    for (int j = 0; j < ni; j++) {
        double s = 0;
        for (int e = 0; e < ne; e++)
            if (fixed[(size_t)e * (size_t)ni + (size_t)j])
                s += share[(size_t)e * (size_t)ni + (size_t)j];
        *nnorm += s > 1;
        double div = s > 1 || (colst[j] == COL_FILLED && s > 0) ? s : 1;
        for (int e = 0; e < ne; e++) {
            size_t cell = (size_t)e * (size_t)ni + (size_t)j;
            if (fixed[cell])
                x[cell] = share[cell] / div * d->need[imc[j]];
        }
    }
    for (int e = 0; e < ne; e++) {
        double s = 0;
        for (int j = 0; j < ni; j++)
            s += x[(size_t)e * (size_t)ni + (size_t)j];
        double sur = d->surplus[exc[e]];
        if (s > sur) {
            (*ncap)++;
            for (int j = 0; j < ni; j++)
                x[(size_t)e * (size_t)ni + (size_t)j] *= sur / s;
        }
    }
}

/* "AAA, BBB, CCC" for up to five names, else "12 importers": method text stays short. */
static void name_list(sbuf *b, const lode_model *m, const int *cs, const unsigned char *mark,
                      unsigned char want, int n, const char *noun)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += mark[i] == want;
    if (count > 5) {
        sb_printf(b, "%d %s", count, noun);
        return;
    }
    int first = 1;
    for (int i = 0; i < n; i++)
        if (mark[i] == want) {
            sb_printf(b, "%s%s", first ? "" : ", ", m->countries[cs[i]].iso3);
            first = 0;
        }
}

/* Trade matrix of material k (docs/baseline.md, steps 4-7), from d->fin. */
static lode_status trade(dctx *d, int k, int by)
{
    const lode_model *m = d->m;
    const int nc = d->nc;
    const double *prod = m->base.prod_t + (size_t)k * (size_t)nc;
    const double *inter = m->base.inter_t + (size_t)k * (size_t)nc;

    /* 4. Net positions. */
    int ne = 0, ni = 0;
    double ssum = 0, nsum = 0;
    for (int c = 0; c < nc; c++) {
        d->surplus[c] = d->need[c] = 0;
        d->exi[c] = d->imi[c] = -1;
        d->pub_year[c] = 0;
        d->applied[c] = 0;
        if (!is_node(m, c))
            continue;
        double n = prod[c] - inter[c] - d->fin[c];
        if (n > 0) {
            d->surplus[c] = n;
            d->exi[c] = ne++;
            ssum += n;
        } else if (n < 0) {
            d->need[c] = -n;
            d->imi[c] = ni++;
            nsum += -n;
        }
    }
    /* Published shares: each importer's latest annual year up to the baseline year, else its
     * latest; a region's year is the region's own. */
    for (size_t r = 0; r < m->n_trade_published; r++) {
        const lode_pubtrade *p = &m->trade_published[r];
        int y = annual_period(p->period);
        if (p->material == k && p->is_share && y && p->importer >= 0 && p->importer < nc &&
            better_year(y, d->pub_year[p->importer], by))
            d->pub_year[p->importer] = y;
    }
    if (ne == 0 || ni == 0) {
        /* Nothing to ship (a leftover is rounding, and shows as imbalance); the chosen share
         * rows are still accounted for. */
        for (size_t r = 0; r < m->n_trade_published; r++) {
            const lode_pubtrade *p = &m->trade_published[r];
            int y = annual_period(p->period);
            if (p->material != k || !p->is_share || !y || p->importer < 0 || p->importer >= nc ||
                y != d->pub_year[p->importer])
                continue;
            if (is_node(m, p->exporter) && d->surplus[p->exporter] > 0)
                d->out->n_shares_unused++;
            else
                d->out->n_shares_no_surplus++;
        }
        return LODE_OK;
    }
    /* Sum of net positions is zero but for rounding; make the needs total the surpluses
     * exactly so the RAS targets agree. */
    for (int c = 0; c < nc; c++)
        d->need[c] *= ssum / nsum;

    size_t cells = (size_t)ne * (size_t)ni;
    double *x = lode_arena_calloc(d->a, cells, sizeof *x);
    double *share = lode_arena_calloc(d->a, cells, sizeof *share);
    unsigned char *pub = lode_arena_calloc(d->a, cells, 1);
    unsigned char *fixed = lode_arena_calloc(d->a, cells, 1);
    double *rt = lode_arena_calloc(d->a, (size_t)ne, sizeof *rt);
    double *ct = lode_arena_calloc(d->a, (size_t)ni, sizeof *ct);
    int *exc = lode_arena_calloc(d->a, (size_t)ne, sizeof *exc);
    int *imc = lode_arena_calloc(d->a, (size_t)ni, sizeof *imc);
    if (!x || !share || !pub || !fixed || !rt || !ct || !exc || !imc)
        return oom(d);
    for (int c = 0; c < nc; c++) {
        if (d->exi[c] >= 0)
            exc[d->exi[c]] = c;
        if (d->imi[c] >= 0)
            imc[d->imi[c]] = c;
    }

    /* 5. Published shares (the rows chosen above): fixed cells. */
    for (size_t r = 0; r < m->n_trade_published; r++) {
        const lode_pubtrade *p = &m->trade_published[r];
        int y = annual_period(p->period);
        if (p->material != k || !p->is_share || !y || p->importer < 0 || p->importer >= nc ||
            y != d->pub_year[p->importer])
            continue;
        int e = p->exporter;
        if (!is_node(m, e) || !(d->surplus[e] > 0)) {
            d->out->n_shares_no_surplus++;
            continue;
        }
        const char *tag = NULL;
        if (!is_node(m, p->importer)) {
            tag = lode_region_tag(m, p->importer);
            if (tag == NULL) {
                d->out->n_shares_unused++; /* WLD, or a region with no member list */
                continue;
            }
        }
        int used = 0;
        for (int i = 0; i < nc; i++) {
            if (tag ? !(m->countries[i].kind == LODE_CK_COUNTRY &&
                        lode_list_has(m->countries[i].memberships, tag) &&
                        d->pub_year[i] == 0) /* a member's own figures take precedence */
                    : i != p->importer)
                continue;
            if (d->imi[i] < 0 || !(p->value > 0))
                continue;
            size_t cell = (size_t)d->exi[e] * (size_t)ni + (size_t)d->imi[i];
            share[cell] += p->value;
            pub[cell] = 1;
            used = 1;
        }
        if (used) {
            d->out->n_shares_used++;
            d->applied[p->importer] = 1;
        } else {
            d->out->n_shares_unused++;
        }
    }

    /* Importers whose shares were used, for the method text. */
    size_t na = 0;
    applied_imp *ap = NULL;
    for (int c = 0; c < nc; c++)
        na += d->applied[c];
    if (na) {
        ap = lode_arena_calloc(d->a, na, sizeof *ap);
        if (ap == NULL)
            return oom(d);
        na = 0;
        for (int c = 0; c < nc; c++)
            if (d->applied[c])
                ap[na++] = (applied_imp){m->countries[c].iso3, d->pub_year[c]};
        qsort(ap, na, sizeof *ap, applied_cmp);
    }
    sbuf list = {d->a, NULL, 0, 0, 0};
    for (size_t i = 0; i < na; i++)
        sb_printf(&list, "%s%s %d", i ? ", " : "", ap[i].iso, ap[i].year);

    for (int e = 0; e < ne; e++)
        rt[e] = d->surplus[exc[e]];
    for (int j = 0; j < ni; j++)
        ct[j] = d->need[imc[j]];

    /* 6. Fit. When RAS finds no fit, what it names gives way and the fit is tried again:
     * an importer (column) whose shares leave a rest no other exporter can supply has its
     * shares scaled up to 1 (the listed exporters supply it all, in their published
     * proportions); if that fails too, or RAS names an exporter (row), its fixed cells are
     * released. Only when what it names has no fixed cell left does the whole material fall
     * back to the proportional seed. Each step frees a row or column: the loop ends. */
    unsigned char *dropr = lode_arena_calloc(d->a, (size_t)ne, 1);
    unsigned char *colst = lode_arena_calloc(d->a, (size_t)ni, 1);
    if (!dropr || !colst)
        return oom(d);
    size_t nfixed = 0, nnorm = 0, ncap = 0, nfill = 0, ndropc = 0;
    int iters = 0, fallback = 0;
    lode_err rerr;
    lode_status st;
    memset(&rerr, 0, sizeof rerr);
    for (;;) {
        set_fixed(d, ne, ni, exc, imc, share, pub, dropr, colst, fixed, x, &nfixed, &nnorm, &ncap);
        for (int e = 0; e < ne; e++)
            for (int j = 0; j < ni; j++) {
                size_t cell = (size_t)e * (size_t)ni + (size_t)j;
                if (!fixed[cell])
                    x[cell] = rt[e] * ct[j] / ssum;
            }
        if (nfixed == 0)
            break; /* the proportional seed meets every target by construction */
        memset(&rerr, 0, sizeof rerr);
        st = lode_ras((size_t)ne, (size_t)ni, x, fixed, rt, ct, ras_tol_rel * ssum, ras_max_iter, x,
                      &iters, &rerr);
        if (st == LODE_OK)
            break;
        if (st != LODE_ENOSOLN)
            return LODE_FAIL(d->err, st, "", 0, "", "%s: %s", m->materials[k].id, rerr.msg);
        long at = rerr.line - 1;
        int is_row = strcmp(rerr.field, "row") == 0, is_col = strcmp(rerr.field, "column") == 0;
        int has = 0;
        if (is_row && at >= 0 && at < ne)
            for (int j = 0; j < ni && !has; j++)
                has = fixed[(size_t)at * (size_t)ni + (size_t)j];
        if (is_col && at >= 0 && at < ni)
            for (int e = 0; e < ne && !has; e++)
                has = fixed[(size_t)e * (size_t)ni + (size_t)at];
        if (!has) {
            fallback = 1;
            break;
        }
        if (is_row) {
            dropr[at] = 1;
            d->out->n_ras_released++;
        } else if (colst[at] == COL_AS_PUBLISHED) {
            colst[at] = COL_FILLED;
            nfill++;
        } else {
            colst[at] = COL_DROPPED;
            nfill--;
            ndropc++;
            d->out->n_ras_released++;
        }
    }
    d->out->n_importers_filled += nfill;

    sbuf meth = {d->a, NULL, 0, 0, 0};
    sbuf gave = {d->a, NULL, 0, 0, 0}; /* "; ..." what gave way, for the method text */
    if (nfill) {
        sb_printf(&gave, "; shares into ");
        name_list(&gave, m, imc, colst, COL_FILLED, ni, "importers");
        sb_printf(&gave, " scaled up to 1 (no other exporter had a surplus left)");
    }
    if (ndropc) {
        sb_printf(&gave, "; shares into ");
        name_list(&gave, m, imc, colst, COL_DROPPED, ni, "importers");
        sb_printf(&gave, " dropped (no fit)");
    }
    int nrow = 0;
    for (int e = 0; e < ne; e++)
        nrow += dropr[e];
    if (nrow) {
        sb_printf(&gave, "; shares from ");
        name_list(&gave, m, exc, dropr, 1, ne, "exporters");
        sb_printf(&gave, " dropped (no fit)");
    }
    if (fallback) {
        d->out->n_ras_fallback++;
        for (int e = 0; e < ne; e++)
            for (int j = 0; j < ni; j++)
                x[(size_t)e * (size_t)ni + (size_t)j] = rt[e] * ct[j] / ssum;
        sb_printf(&meth,
                  "derived:net surplus to net need in proportion; " F_PUBT
                  " shares (%s) dropped: ras found no fit (%s); see docs/baseline.md",
                  list.s ? list.s : "", rerr.msg);
        iters = 0;
    } else if (nfixed) {
        d->out->n_importers_normalised += nnorm;
        d->out->n_exporters_capped += ncap;
        sb_printf(&meth,
                  "derived:ras net surplus to net need, seeded by " F_PUBT
                  " shares (%s)%s; see docs/baseline.md",
                  list.s ? list.s : "", gave.s ? gave.s : "");
    } else if (gave.len) {
        sb_printf(&meth,
                  "derived:net surplus to net need in proportion, " F_PUBT
                  " shares (%s) all given up%s; see docs/baseline.md",
                  list.s ? list.s : "", gave.s);
    } else {
        sb_printf(&meth, "derived:net surplus to net need in proportion (no usable " F_PUBT
                         " shares); see docs/baseline.md");
    }
    if (meth.oom || list.oom || gave.oom)
        return oom(d);
    if (iters > d->out->ras_iters_max)
        d->out->ras_iters_max = iters;

    /* 7. Flows, sorted by exporter then importer: both index lists are in country order. */
    for (int e = 0; e < ne; e++)
        for (int j = 0; j < ni; j++) {
            double t = x[(size_t)e * (size_t)ni + (size_t)j];
            if (t >= min_flow_t) {
                st = push_flow(d, k, exc[e], imc[j], by, t, meth.s);
                if (st != LODE_OK)
                    return st;
            }
        }
    return LODE_OK;
}

/* ---- balance of the result --------------------------------------------------------------- */

static lode_status imbalance(dctx *d)
{
    const lode_model *m = d->m;
    size_t nc = (size_t)d->nc, cells = m->n_materials * nc;
    double *net = lode_arena_calloc(d->a, cells + 1, sizeof *net);
    if (net == NULL)
        return oom(d);
    for (size_t k = 0; k < cells; k++)
        net[k] = m->base.prod_t[k] - m->base.inter_t[k];
    for (size_t i = 0; i < d->out->n_flows; i++) {
        const lode_derived_flow *f = &d->out->flows[i];
        net[(size_t)f->material * nc + (size_t)f->importer] += f->tonnes;
        net[(size_t)f->material * nc + (size_t)f->exporter] -= f->tonnes;
    }
    for (size_t i = 0; i < d->out->n_demand; i++) {
        const lode_derived_demand *r = &d->out->demand[i];
        net[(size_t)r->material * nc + (size_t)r->country] -= r->tonnes;
    }
    double mx = 0;
    for (size_t k = 0; k < cells; k++)
        if (fabs(net[k]) > mx)
            mx = fabs(net[k]);
    d->out->max_imbalance_t = mx;
    return LODE_OK;
}

/*
 * Contract (engines.h): derive final demand and trade for every material with production in
 * the frozen model m's baseline (base.prod_t, base.inter_t, base.year), by docs/baseline.md.
 * The model's own trade and demand tables are not read.
 *
 * Returns LODE_OK with *out filled: flows sorted by (material, exporter, importer) index,
 * only those of at least 1e-6 t; demand sorted by (material, country, sector) index, every
 * positive row; the counters say what was dropped, scaled or fallen back on, so nothing is
 * silent. Everything lives in arena a.
 * LODE_EUSAGE: the model is not frozen. LODE_EINPUT: world final use is left over with no
 * allocation key and no ROW country to take it. LODE_EIO: out of memory.
 * A material whose RAS fails is not an error: it falls back to the unfixed seed, says so in
 * its flows' method and counts in n_ras_fallback.
 */
lode_status lode_derive_run(const lode_model *m, lode_arena *a, lode_derive_result *out,
                            lode_err *err)
{
    memset(out, 0, sizeof *out);
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "derive needs a frozen model");
    if (m->n_countries > INT_MAX / 2)
        return LODE_FAIL(err, LODE_EINPUT, m->name, 0, "", "too many countries (%zu)",
                         m->n_countries);
    dctx d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.a = a;
    d.err = err;
    d.out = out;
    d.nc = (int)m->n_countries; /* checked above */
    size_t nc = m->n_countries;
    d.key = lode_arena_calloc(a, nc, sizeof *d.key);
    d.key_year = lode_arena_calloc(a, nc, sizeof *d.key_year);
    d.fin = lode_arena_calloc(a, nc, sizeof *d.fin);
    d.src = lode_arena_calloc(a, nc, sizeof *d.src);
    d.pub = lode_arena_calloc(a, nc, sizeof *d.pub);
    d.surplus = lode_arena_calloc(a, nc, sizeof *d.surplus);
    d.need = lode_arena_calloc(a, nc, sizeof *d.need);
    d.exi = lode_arena_calloc(a, nc, sizeof *d.exi);
    d.imi = lode_arena_calloc(a, nc, sizeof *d.imi);
    d.pub_year = lode_arena_calloc(a, nc, sizeof *d.pub_year);
    d.applied = lode_arena_calloc(a, nc, sizeof *d.applied);
    if (!d.key || !d.key_year || !d.fin || !d.src || !d.pub || !d.surplus || !d.need || !d.exi ||
        !d.imi || !d.pub_year || !d.applied)
        return oom(&d);
    lode_status st = build_key(&d);
    for (size_t k = 0; st == LODE_OK && k < m->n_materials; k++) {
        double made = 0;
        for (size_t c = 0; c < nc; c++)
            if (is_node(m, (int)c)) /* c < n_countries <= INT_MAX */
                made += m->base.prod_t[k * nc + c];
        if (!(made > 0))
            continue;
        out->n_materials++;
        int by = m->base.year[k];
        st = final_demand(&d, (int)k, by); /* k < n_materials, an int index in the model */
        if (st == LODE_OK)
            st = trade(&d, (int)k, by);
    }
    if (st == LODE_OK)
        st = imbalance(&d);
    if (st != LODE_OK)
        memset(out, 0, sizeof *out);
    return st;
}
