/* metrics.c: the Metrics engine. `lode risk`: concentration of each material's production (HHI,
 * top-1/top-3, governance-weighted HHI) and the EU 2023 supply-risk indicator; `lode exposure`:
 * a country's import reliance and origin tracing through every upstream recipe stage. Pure
 * functions of a frozen model; results and scratch live in the caller's arena. Every formula,
 * unit and assumption, with its source, is in docs/risk.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "lode/engines.h"

#define OOM(err) LODE_FAIL((err), LODE_EIO, "", 0, "", "out of memory")

/* Index of (material k, country c) in the baseline arrays. Indexes of a frozen model are never
 * negative, so the casts to size_t keep their value. */
static size_t cell(const lode_model *m, int k, int c)
{
    return (size_t)k * m->n_countries + (size_t)c;
}

static int is_country(const lode_model *m, int c)
{
    return m->countries[c].kind == LODE_CK_COUNTRY;
}

static int has_wgi(const lode_model *m, int c)
{
    return m->countries[c].wgi_year != 0;
}

/* rank[i] = position of material (or country) i in id order, for deterministic tie-breaks. */
static int *id_ranks(const lode_model *m, int materials, lode_arena *a)
{
    size_t n = materials ? m->n_materials : m->n_countries;
    const int *order = materials ? m->material_order : m->country_order;
    int *rank = lode_arena_calloc(a, n ? n : 1, sizeof *rank);
    if (rank == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        rank[order[i]] = (int)i; /* n fits an int: indexes are ints */
    return rank;
}

/* A share with its sort keys: share descending, then id order. */
typedef struct ranked {
    double share;
    int rank;
    int index;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *x = pa, *y = pb;
    if (x->share != y->share)
        return x->share > y->share ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* ---- WGI ---------------------------------------------------------------------------------- */

/* Mean of the six WGI estimates mapped linearly from [-2.5, 2.5] onto [10, 0] and clamped:
 * 2 x (2.5 - mean). Returns -1 when c is NULL or has no WGI row (wgi_year == 0); callers test
 * has_wgi first. */
double lode_wgi_scaled(const lode_country *c)
{
    if (c == NULL || c->wgi_year == 0)
        return -1;
    double sum = 0;
    for (int i = 0; i < LODE_WGI_N; i++)
        sum += c->wgi[i];
    double v = 2.0 * (2.5 - sum / LODE_WGI_N);
    return v < 0 ? 0 : v > 10 ? 10 : v;
}

/* ---- global supply ------------------------------------------------------------------------ */

/* The total that shares of material k's production are of: the sum of its baseline producer
 * rows (countries and ROW), or the published world total where that is larger (the gap is then
 * an unlisted residual, diffuse like ROW). 0 if k has no production. */
static double world_total(const lode_model *m, int k)
{
    double sum = 0;
    for (size_t c = 0; c < m->n_countries; c++)
        sum += m->base.prod_t[cell(m, k, (int)c)];
    if (sum <= 0)
        return 0;
    return m->base.world_t[k] > sum ? m->base.world_t[k] : sum;
}

/* Append ";"-separated item to b (no separator before the first). */
static void list_add(lode_buf *b, const char *item)
{
    if (b->len > 0)
        lode_buf_puts(b, ";");
    lode_buf_puts(b, item);
}

/* Append item unless the list already holds it. */
static void list_add_once(lode_buf *b, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = b->data; p && !b->oom && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, item, n) == 0)
            return;
        p = end ? end + 1 : p + len;
    }
    list_add(b, item);
}

/* Copy b into the arena (b freed); "" for an empty buffer. NULL when out of memory. */
static const char *buf_keep(lode_buf *b, lode_arena *a)
{
    const char *s = b->oom ? NULL : lode_arena_strdup(a, b->len ? b->data : "");
    lode_buf_free(b);
    return s;
}

/* ---- EU supply risk ----------------------------------------------------------------------- */

enum { EU_NONE = 0, EU_EXTRACTION = 1, EU_PROCESSING = 2 };

/* Which stage of EU material e Lodestone material k stands for. "E+P" lists the extraction
 * material first and the processing one second; a single material under "E+P" is the
 * extraction one if it is a mine-stage material, else the processing one. */
static int eu_stage_of(const lode_model *m, const lode_eucrm *e, int k)
{
    const char *st = e->stages ? e->stages : "";
    for (size_t i = 0; i < e->n_materials; i++) {
        if (e->materials[i] != k)
            continue;
        if (strcmp(st, "E") == 0)
            return EU_EXTRACTION;
        if (strcmp(st, "P") == 0)
            return EU_PROCESSING;
        if (strcmp(st, "E+P") == 0) {
            if (e->n_materials >= 2)
                return i == 0 ? EU_EXTRACTION : i == 1 ? EU_PROCESSING : EU_NONE;
            return m->materials[k].stage == LODE_STAGE_MINE ? EU_EXTRACTION : EU_PROCESSING;
        }
    }
    return EU_NONE;
}

/* The EU's trade parameter t for (EU material, country, stage, scope); 1 where none is
 * published. */
static double eu_t(const lode_model *m, const char *eu_material, int c, const char *stage,
                   const char *scope)
{
    for (size_t i = 0; i < m->n_eu_crm_trade; i++) {
        const lode_eutrade *r = &m->eu_crm_trade[i];
        if (r->country == c && r->eu_material && strcmp(r->eu_material, eu_material) == 0 &&
            r->stage && strcmp(r->stage, stage) == 0 && r->scope && strcmp(r->scope, scope) == 0)
            return r->t;
    }
    return 1;
}

static int is_eu_member(const lode_model *m, int c)
{
    return is_country(m, c) && lode_list_has(m->countries[c].memberships, "EU");
}

/* The EU as one aggregate entity (EUU, or a region tagged EU). */
static int is_eu_region(const lode_model *m, int c)
{
    const lode_country *p = &m->countries[c];
    return p->kind == LODE_CK_REGION &&
           (lode_list_has(p->memberships, "EU") || (p->iso3 && strcmp(p->iso3, "EUU") == 0));
}

/* EU sourcing of material k into eus[nc] (t/yr by origin): production in EU member states plus
 * imports into them from outside the EU. Intra-EU flows are left out: they move EU production
 * (already counted) between members. Flows into the EU aggregate (EUU) are used only when the
 * baseline has none into individual members, so nothing is counted twice. Returns the total;
 * *imports_t gets the part imported. */
static double eu_sourcing(const lode_model *m, int k, double *eus, double *imports_t)
{
    size_t nc = m->n_countries;
    double total = 0;
    int members_have_flows = 0;
    memset(eus, 0, nc * sizeof *eus);
    *imports_t = 0;
    for (size_t c = 0; c < nc; c++) {
        if (!is_eu_member(m, (int)c))
            continue;
        size_t i = cell(m, k, (int)c);
        eus[c] += m->base.prod_t[i];
        total += m->base.prod_t[i];
        if (m->base.in_start[i + 1] > m->base.in_start[i])
            members_have_flows = 1;
    }
    for (size_t c = 0; c < nc; c++) {
        int importer = members_have_flows ? is_eu_member(m, (int)c) : is_eu_region(m, (int)c);
        if (!importer)
            continue;
        size_t i = cell(m, k, (int)c);
        for (size_t f = m->base.in_start[i]; f < m->base.in_start[i + 1]; f++) {
            const lode_flow *fl = &m->trade[f];
            if (is_eu_member(m, fl->exporter) || is_eu_region(m, fl->exporter))
                continue;
            eus[fl->exporter] += fl->tonnes;
            total += fl->tonnes;
            *imports_t += fl->tonnes;
        }
    }
    return total;
}

/* HHI_WGI,t = sum over countries of share^2 x scaled WGI x t (shares as fractions of total_t,
 * so 0..10). Residual and aggregate entities (ROW) stay in the total but out of the squares;
 * countries without WGI add "wgi:ISO3" to missing and nothing to the sum. */
static double hhi_wgi_t(const lode_model *m, const double *t_by_c, double total_t,
                        const char *eu_material, const char *stage, const char *scope,
                        lode_buf *missing)
{
    double h = 0;
    for (size_t c = 0; c < m->n_countries; c++) {
        double v = t_by_c[c];
        if (v <= 0 || !is_country(m, (int)c))
            continue;
        if (!has_wgi(m, (int)c)) {
            char item[80];
            snprintf(item, sizeof item, "wgi:%s", m->countries[c].iso3);
            list_add_once(missing, item);
            continue;
        }
        double s = v / total_t;
        h += s * s * lode_wgi_scaled(&m->countries[c]) * eu_t(m, eu_material, (int)c, stage, scope);
    }
    return h;
}

/* SR of one stage of one EU material, from material k's baseline (docs/risk.md, "EU supply
 * risk"). `scratch` has room for n_countries doubles. Fills *out (strings in a). */
static lode_status eu_stage_sr(const lode_model *m, const lode_eucrm *e, int stage, int k,
                               double *scratch, lode_arena *a, lode_eusr *out, lode_err *err)
{
    const int ext = stage == EU_EXTRACTION;
    const char *st = ext ? "extraction" : "processing";
    const char *basis = ext ? e->basis_e : e->basis_p;
    int has_ir = ext ? e->has_ir_e : e->has_ir_p;
    double ir_pct = ext ? e->ir_e_pct : e->ir_p_pct;
    lode_buf missing = LODE_BUF_INIT;
    int fatal = 0, use_gs = 0, use_eu = 0;

    memset(out, 0, sizeof *out);
    out->eu_material = e->eu_material;
    out->eu_stage = st;
    out->basis = basis ? basis : "";
    if (basis && strcmp(basis, "GS+EU") == 0) {
        use_gs = use_eu = 1;
    } else if (basis && strcmp(basis, "GSonly") == 0) {
        use_gs = 1;
    } else if (basis && strcmp(basis, "EUonly") == 0) {
        use_eu = 1;
    } else {
        lode_buf_printf(&missing, "%ssupply_basis_%s", missing.len ? ";" : "", st);
        fatal = 1;
    }
    if (has_ir) {
        out->ir = ir_pct / 100.0;
    } else if (use_gs && use_eu) { /* IR only weighs the two terms */
        lode_buf_printf(&missing, "%simport_reliance_%s", missing.len ? ";" : "", st);
        fatal = 1;
    }
    if (e->has_eol) {
        out->eol_rir = e->eol_rir_pct / 100.0;
    } else {
        list_add(&missing, "eol_rir");
        fatal = 1;
    }
    if (e->has_si) {
        out->si_sr = e->si_sr;
    } else {
        list_add(&missing, "si_sr");
        fatal = 1;
    }
    if (use_gs) {
        double world = world_total(m, k);
        if (world <= 0) {
            lode_buf_printf(&missing, "%sproduction:%s", missing.len ? ";" : "",
                            m->materials[k].id);
            fatal = 1;
        } else {
            for (size_t c = 0; c < m->n_countries; c++)
                scratch[c] = m->base.prod_t[cell(m, k, (int)c)];
            out->hhi_wgi_gs = hhi_wgi_t(m, scratch, world, e->eu_material, st, "global", &missing);
        }
    }
    if (use_eu) {
        double imported;
        double total = eu_sourcing(m, k, scratch, &imported);
        if (total <= 0) {
            lode_buf_printf(&missing, "%seu_sourcing:%s", missing.len ? ";" : "",
                            m->materials[k].id);
            fatal = 1;
        } else if (imported <= 0 && (!has_ir || ir_pct > 0)) {
            /* The EU imports part of its supply (IR > 0) but the baseline has no flow into
             * it: EU production alone would pass for the whole EU sourcing. */
            lode_buf_printf(&missing, "%seu_imports:%s", missing.len ? ";" : "",
                            m->materials[k].id);
            fatal = 1;
        } else {
            out->hhi_wgi_eus = hhi_wgi_t(m, scratch, total, e->eu_material, st, "eu", &missing);
        }
    }
    /* t = 0.8 for EU trade-agreement partners: the dataset does not say who they are, so t = 1
     * stands in for them (an upper bound on SR). */
    list_add(&missing, "eu_trade_agreements");
    if (!fatal) {
        double h;
        if (use_gs && use_eu)
            h = out->hhi_wgi_gs * out->ir / 2 + out->hhi_wgi_eus * (1 - out->ir / 2);
        else
            h = use_gs ? out->hhi_wgi_gs : out->hhi_wgi_eus;
        out->sr = h * (1 - out->eol_rir) * out->si_sr;
        out->computed = 1;
    }
    out->missing = buf_keep(&missing, a);
    if (out->missing == NULL)
        return OOM(err);
    return LODE_OK;
}

/* EU supply risk for risk row material k: every EU material mapped to k is assessed at its
 * stage; the highest computed SR is reported (else the first), naming all of them. */
static lode_status eu_for_material(const lode_model *m, int k, double *scratch, lode_arena *a,
                                   lode_eusr *out, lode_err *err)
{
    lode_buf names = LODE_BUF_INIT;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    out->eu_stage = out->missing = out->basis = "";
    for (size_t i = 0; i < m->n_eu_crm; i++) {
        const lode_eucrm *e = &m->eu_crm[i];
        int stage = eu_stage_of(m, e, k);
        if (stage == EU_NONE)
            continue;
        lode_eusr cand;
        lode_status st = eu_stage_sr(m, e, stage, k, scratch, a, &cand, err);
        if (st != LODE_OK) {
            lode_buf_free(&names);
            return st;
        }
        list_add(&names, e->eu_material ? e->eu_material : "");
        if (n == 0 || (cand.computed && (!out->computed || cand.sr > out->sr)))
            *out = cand;
        n++;
    }
    if (n == 0) {
        lode_buf_free(&names);
        out->eu_material = NULL;
        return LODE_OK;
    }
    out->eu_material = buf_keep(&names, a);
    if (out->eu_material == NULL)
        return OOM(err);
    return LODE_OK;
}

/* ---- lode risk ---------------------------------------------------------------------------- */

/* Distinct sources of material k's baseline production rows, "; "-joined in row order. */
static const char *production_sources(const lode_model *m, int k, lode_arena *a)
{
    lode_buf b = LODE_BUF_INIT;
    for (size_t i = 0; i < m->n_production; i++) {
        const lode_production *r = &m->production[i];
        if (r->material != k || r->year != m->base.year[k])
            continue;
        lode_ckind kind = m->countries[r->country].kind;
        if (kind != LODE_CK_COUNTRY && kind != LODE_CK_RESIDUAL)
            continue;
        const char *s = r->prov.source ? r->prov.source : "";
        int seen = s[0] == '\0';
        for (size_t j = 0; j < i && !seen; j++) {
            const lode_production *q = &m->production[j];
            seen = q->material == k && q->year == r->year && q->prov.source &&
                   strcmp(q->prov.source, s) == 0 &&
                   (m->countries[q->country].kind == LODE_CK_COUNTRY ||
                    m->countries[q->country].kind == LODE_CK_RESIDUAL);
        }
        if (!seen) {
            if (b.len)
                lode_buf_puts(&b, "; ");
            lode_buf_puts(&b, s);
        }
    }
    return buf_keep(&b, a);
}

/* Fill risk row r for material k, which has production in its baseline year. */
static lode_status risk_row(const lode_model *m, int k, const int *crank, ranked *tmp,
                            double *scratch, lode_arena *a, lode_risk_row *r, lode_err *err)
{
    double world = world_total(m, k);
    size_t n = 0;
    memset(r, 0, sizeof *r);
    r->material = k;
    r->stage = m->materials[k].stage;
    r->year = m->base.year[k];
    r->world_t = world;
    r->top1_country = r->top3_country[0] = r->top3_country[1] = r->top3_country[2] = -1;
    for (size_t c = 0; c < m->n_countries; c++) {
        double t = m->base.prod_t[cell(m, k, (int)c)];
        if (t <= 0 || !is_country(m, (int)c))
            continue; /* ROW is a diffuse residual of many producers: not one country */
        double s = t / world;
        r->hhi += (100 * s) * (100 * s);
        if (has_wgi(m, (int)c)) {
            r->wgi_hhi += s * s * lode_wgi_scaled(&m->countries[c]);
            r->wgi_coverage += s;
        }
        tmp[n].share = s;
        tmp[n].rank = crank[c];
        tmp[n].index = (int)c;
        n++;
    }
    qsort(tmp, n, sizeof *tmp, ranked_cmp);
    for (size_t i = 0; i < n && i < 3; i++) {
        r->top3_country[i] = tmp[i].index;
        r->top3_share += tmp[i].share;
    }
    if (n > 0) {
        r->top1_country = tmp[0].index;
        r->top1_share = tmp[0].share;
    }
    r->source = production_sources(m, k, a);
    if (r->source == NULL)
        return OOM(err);
    return eu_for_material(m, k, scratch, a, &r->eu, err);
}

typedef struct row_key {
    int stage, rank, index;
} row_key;

static int row_key_cmp(const void *pa, const void *pb)
{
    const row_key *x = pa, *y = pb;
    if (x->stage != y->stage)
        return x->stage < y->stage ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Materials k with baseline activity, sorted by stage then id; want(m, k, ctx) selects. */
static row_key *sorted_materials(const lode_model *m, const int *mrank, lode_arena *a,
                                 int (*want)(const lode_model *, int, const void *),
                                 const void *ctx, size_t *n_out)
{
    row_key *keys = lode_arena_calloc(a, m->n_materials ? m->n_materials : 1, sizeof *keys);
    size_t n = 0;
    if (keys == NULL)
        return NULL;
    for (size_t k = 0; k < m->n_materials; k++) {
        if (!want(m, (int)k, ctx))
            continue;
        keys[n].stage = (int)m->materials[k].stage;
        keys[n].rank = mrank[k];
        keys[n].index = (int)k;
        n++;
    }
    qsort(keys, n, sizeof *keys, row_key_cmp);
    *n_out = n;
    return keys;
}

static int risk_wants(const lode_model *m, int k, const void *ctx)
{
    const lode_risk_opts *o = ctx;
    if (o && o->material >= 0 && o->material != k)
        return 0;
    if (o && o->stage >= 0 && o->stage != (int)m->materials[k].stage)
        return 0;
    return m->base.year[k] > 0 && world_total(m, k) > 0;
}

/* One row per material (filtered by o, which may be NULL) with production in its baseline
 * year, sorted by stage then material id. Returns LODE_EUSAGE for an unfrozen model or an
 * out-of-range filter, LODE_EIO when out of memory. */
lode_status lode_risk_run(const lode_model *m, const lode_risk_opts *o, lode_arena *a,
                          lode_risk_result *out, lode_err *err)
{
    memset(out, 0, sizeof *out);
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "the model is not frozen");
    if (o && (o->material >= (int)m->n_materials || o->stage >= (int)LODE_STAGE_N))
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "material or stage filter out of range");
    int *mrank = id_ranks(m, 1, a);
    int *crank = id_ranks(m, 0, a);
    ranked *tmp = lode_arena_calloc(a, m->n_countries, sizeof *tmp);
    double *scratch = lode_arena_calloc(a, m->n_countries, sizeof *scratch);
    if (!mrank || !crank || !tmp || !scratch)
        return OOM(err);
    size_t n;
    row_key *keys = sorted_materials(m, mrank, a, risk_wants, o, &n);
    if (keys == NULL)
        return OOM(err);
    lode_risk_row *rows = lode_arena_calloc(a, n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return OOM(err);
    for (size_t i = 0; i < n; i++)
        LODE_TRY(risk_row(m, keys[i].index, crank, tmp, scratch, a, &rows[i], err));
    out->rows = rows;
    out->n_rows = n;
    return LODE_OK;
}

/* ---- lode exposure: the recipe graph ------------------------------------------------------ */

/* A direct input j of a material with its weight: sum over grades of grade_share x t_per_t. */
typedef struct xin {
    int input;
    double w;
    int recipe; /* first recipe row of the link, for messages */
} xin;

/* A material upstream of (or equal to) another, with t embodied per t and recipe steps. */
typedef struct xup {
    int k;
    double emb;
    int depth;
} xup;

/* A sparse distribution over countries: shares sum to 1. */
typedef struct dist {
    lode_origin *o;
    size_t n;
} dist;

typedef struct xctx {
    const lode_model *m;
    lode_arena *a;
    lode_err *err;
    size_t nc, nm;
    xin **in;
    size_t *n_in;
    xup **up; /* up[k][0] is k itself */
    size_t *n_up;
    int *pos; /* pos[j * nm + k]: index of k in up[j], or -1 */
    /* Memo per (country, material), both indexed like the baseline: supply[] holds, for each
     * up[k] entry, the origins of that material embodied in the country's supply of k; made[]
     * the same for the country's own production of k. */
    dist **supply, **made;
    unsigned char *busy_supply, *busy_made;
    /* One dense accumulator: every recursion finishes before accumulation starts. */
    double *acc;
    int *touched;
    size_t n_touched;
    unsigned char *mark;
} xctx;

static void acc_add(xctx *x, int c, double v)
{
    if (!x->mark[c]) {
        x->mark[c] = 1;
        x->touched[x->n_touched++] = c;
    }
    x->acc[c] += v;
}

static int int_cmp(const void *pa, const void *pb)
{
    int p = *(const int *)pa, q = *(const int *)pb;
    return (p > q) - (p < q);
}

/* Move the accumulator into *d (positive entries in country index order, divided by their
 * sum) and clear it. An empty accumulator gives an empty list. */
static lode_status acc_take(xctx *x, dist *d)
{
    double sum = 0;
    size_t n = 0;
    qsort(x->touched, x->n_touched, sizeof *x->touched, int_cmp);
    for (size_t i = 0; i < x->n_touched; i++)
        if (x->acc[x->touched[i]] > 0) {
            sum += x->acc[x->touched[i]];
            n++;
        }
    d->n = 0;
    d->o = lode_arena_calloc(x->a, n ? n : 1, sizeof *d->o);
    for (size_t i = 0; i < x->n_touched; i++) {
        int c = x->touched[i];
        if (d->o && x->acc[c] > 0) {
            d->o[d->n].country = c;
            d->o[d->n].share = x->acc[c] / sum;
            d->n++;
        }
        x->acc[c] = 0;
        x->mark[c] = 0;
    }
    x->n_touched = 0;
    return d->o ? LODE_OK : OOM(x->err);
}

static lode_status dist_self(xctx *x, int c, dist *d)
{
    acc_add(x, c, 1);
    return acc_take(x, d);
}

enum { WHITE, GRAY, BLACK };

/* Depth-first search from k over recipe inputs; a GRAY input closes a cycle. path[] holds the
 * materials on the current path. Appends k to topo[] once all its inputs are there. */
static lode_status dfs(xctx *x, int k, unsigned char *color, int *path, size_t depth, int *topo,
                       size_t *n_topo)
{
    const lode_model *m = x->m;
    color[k] = GRAY;
    path[depth] = k;
    for (size_t i = 0; i < x->n_in[k]; i++) {
        int j = x->in[k][i].input;
        if (color[j] == GRAY) {
            lode_buf b = LODE_BUF_INIT;
            size_t from = 0;
            while (path[from] != j)
                from++;
            for (size_t p = from; p <= depth; p++)
                lode_buf_printf(&b, "%s -> ", m->materials[path[p]].id);
            lode_buf_puts(&b, m->materials[j].id);
            const lode_prov *pv = &m->recipes[x->in[k][i].recipe].prov;
            lode_status st =
                LODE_FAIL(x->err, LODE_EINPUT, pv->path ? pv->path : "", pv->line, "input",
                          "recipes form a cycle: %s", b.data && !b.oom ? b.data : "?");
            lode_buf_free(&b);
            return st;
        }
        if (color[j] == WHITE)
            LODE_TRY(dfs(x, j, color, path, depth + 1, topo, n_topo));
    }
    color[k] = BLACK;
    topo[(*n_topo)++] = k;
    return LODE_OK;
}

/* Aggregate recipe rows into weighted input links, reject cycles, and list for every material
 * the materials upstream of it with t embodied per t (sum over paths of the product of link
 * weights) and depth (fewest recipe steps). */
static lode_status build_graph(xctx *x, const int *mrank)
{
    const lode_model *m = x->m;
    size_t nm = x->nm;
    x->in = lode_arena_calloc(x->a, nm, sizeof *x->in);
    x->n_in = lode_arena_calloc(x->a, nm, sizeof *x->n_in);
    x->up = lode_arena_calloc(x->a, nm, sizeof *x->up);
    x->n_up = lode_arena_calloc(x->a, nm, sizeof *x->n_up);
    x->pos = lode_arena_calloc(x->a, nm * nm, sizeof *x->pos);
    size_t *cap = lode_arena_calloc(x->a, nm, sizeof *cap);
    if (!x->in || !x->n_in || !x->up || !x->n_up || !x->pos || !cap)
        return OOM(x->err);
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        size_t k = (size_t)r->output;
        cap[k]++;
    }
    for (size_t k = 0; k < nm; k++) {
        x->in[k] = lode_arena_calloc(x->a, cap[k] ? cap[k] : 1, sizeof **x->in);
        if (x->in[k] == NULL)
            return OOM(x->err);
    }
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        size_t k = (size_t)r->output, j = 0;
        while (j < x->n_in[k] && x->in[k][j].input != r->input)
            j++;
        if (j == x->n_in[k]) {
            x->in[k][j].input = r->input;
            x->in[k][j].recipe = (int)i; /* recipe counts fit an int like every index */
            x->n_in[k]++;
        }
        x->in[k][j].w += r->grade_share * r->t_per_t;
    }

    unsigned char *color = lode_arena_calloc(x->a, nm, 1);
    int *path = lode_arena_calloc(x->a, nm, sizeof *path);
    int *topo = lode_arena_calloc(x->a, nm, sizeof *topo);
    double *emb = lode_arena_calloc(x->a, nm, sizeof *emb);
    int *depth = lode_arena_calloc(x->a, nm, sizeof *depth);
    ranked *tmp = lode_arena_calloc(x->a, nm, sizeof *tmp);
    if (!color || !path || !topo || !emb || !depth || !tmp)
        return OOM(x->err);
    size_t n_topo = 0;
    for (size_t k = 0; k < nm; k++)
        if (color[k] == WHITE)
            LODE_TRY(dfs(x, (int)k, color, path, 0, topo, &n_topo));

    for (size_t i = 0; i < nm * nm; i++)
        x->pos[i] = -1;
    /* Inputs come before their outputs in topo[], so up[j] is ready when k needs it. */
    for (size_t t = 0; t < n_topo; t++) {
        int k = topo[t];
        for (size_t q = 0; q < nm; q++) {
            emb[q] = 0;
            depth[q] = -1;
        }
        emb[k] = 1;
        depth[k] = 0;
        for (size_t i = 0; i < x->n_in[k]; i++) {
            int j = x->in[k][i].input;
            double w = x->in[k][i].w;
            for (size_t u = 0; u < x->n_up[j]; u++) {
                const xup *p = &x->up[j][u];
                emb[p->k] += w * p->emb;
                if (depth[p->k] < 0 || p->depth + 1 < depth[p->k])
                    depth[p->k] = p->depth + 1;
            }
        }
        /* Order: k itself, then by depth, then material id. The depth rides in the share slot
         * negated so ranked_cmp (share descending) sorts it ascending. */
        size_t n = 0;
        for (size_t q = 0; q < nm; q++) {
            if ((int)q == k || depth[q] < 0 || emb[q] <= 0)
                continue;
            tmp[n].share = -(double)depth[q];
            tmp[n].rank = mrank[q];
            tmp[n].index = (int)q;
            n++;
        }
        qsort(tmp, n, sizeof *tmp, ranked_cmp);
        xup *up = lode_arena_calloc(x->a, n + 1, sizeof *up);
        if (up == NULL)
            return OOM(x->err);
        up[0].k = k;
        up[0].emb = 1;
        up[0].depth = 0;
        for (size_t i = 0; i < n; i++) {
            up[i + 1].k = tmp[i].index;
            up[i + 1].emb = emb[tmp[i].index];
            up[i + 1].depth = depth[tmp[i].index];
        }
        x->up[k] = up;
        x->n_up[k] = n + 1;
        for (size_t i = 0; i <= n; i++)
            x->pos[(size_t)k * nm + (size_t)up[i].k] = (int)i;
    }
    return LODE_OK;
}

/* ---- lode exposure: supply mixes and origin tracing --------------------------------------- */

/* Country c's supply mix of material k by producing country: domestic production (as c) and
 * imports by exporter. Exports come out of domestic production first; only exports beyond it
 * are re-exports, taken pro rata out of every import. Where nothing is left (c exports all it
 * has), the gross mix of production and imports stands in; with neither, c itself. */
static lode_status supply_mix(xctx *x, int c, int k, dist *d)
{
    const lode_model *m = x->m;
    size_t i = cell(m, k, c);
    double p = m->base.prod_t[i], im = m->base.imports_t[i], ex = m->base.exports_t[i];
    double dom, keep;
    if (p + im - ex > 0) {
        double reexport = ex > p ? ex - p : 0;
        dom = p > ex ? p - ex : 0;
        keep = im > 0 ? (im - reexport) / im : 0;
    } else if (p + im > 0) {
        dom = p;
        keep = 1;
    } else {
        return dist_self(x, c, d);
    }
    if (dom > 0)
        acc_add(x, c, dom);
    for (size_t f = m->base.in_start[i]; f < m->base.in_start[i + 1]; f++)
        if (m->trade[f].tonnes > 0)
            acc_add(x, m->trade[f].exporter, m->trade[f].tonnes * keep);
    return acc_take(x, d);
}

static lode_status trace_made(xctx *x, int e, int k, dist **out);

/* For country c's supply of material k: for every up[k] entry, the origins of that material
 * embodied in it (entry 0: the supply mix itself). Memoized. A country with neither
 * production nor imports of k has nothing to trace: everything is attributed to it. */
static lode_status trace_supply(xctx *x, int c, int k, dist **out)
{
    const lode_model *m = x->m;
    size_t idx = cell(m, k, c);
    if (x->supply[idx]) {
        *out = x->supply[idx];
        return LODE_OK;
    }
    if (x->busy_supply[idx]) /* unreachable once build_graph has rejected cycles */
        return LODE_FAIL(x->err, LODE_EINPUT, "", 0, "", "recipes form a cycle through \"%s\"",
                         m->materials[k].id);
    x->busy_supply[idx] = 1;
    size_t n = x->n_up[k];
    dist *d = lode_arena_calloc(x->a, n, sizeof *d);
    if (d == NULL)
        return OOM(x->err);
    if (m->base.prod_t[idx] + m->base.imports_t[idx] <= 0) {
        LODE_TRY(dist_self(x, c, &d[0]));
        for (size_t u = 1; u < n; u++)
            d[u] = d[0];
    } else {
        LODE_TRY(supply_mix(x, c, k, &d[0]));
        if (n > 1) {
            for (size_t i = 0; i < d[0].n; i++) {
                dist *made;
                LODE_TRY(trace_made(x, d[0].o[i].country, k, &made));
            }
            for (size_t u = 1; u < n; u++) {
                for (size_t i = 0; i < d[0].n; i++) {
                    const dist *made = &x->made[cell(m, k, d[0].o[i].country)][u];
                    for (size_t q = 0; q < made->n; q++)
                        acc_add(x, made->o[q].country, d[0].o[i].share * made->o[q].share);
                }
                LODE_TRY(acc_take(x, &d[u]));
            }
        }
    }
    x->busy_supply[idx] = 0;
    x->supply[idx] = d;
    *out = d;
    return LODE_OK;
}

/* For country e's own production of material k: for every up[k] entry u >= 1, the origins of
 * that material embodied in it, through each direct input j in proportion to the t of it that
 * arrives by way of j (w_j x embodied per t of j / embodied per t of k), traced through e's own
 * supply of j. Entry 0 is e itself. Memoized. */
static lode_status trace_made(xctx *x, int e, int k, dist **out)
{
    const lode_model *m = x->m;
    size_t idx = cell(m, k, e);
    if (x->made[idx]) {
        *out = x->made[idx];
        return LODE_OK;
    }
    if (x->busy_made[idx])
        return LODE_FAIL(x->err, LODE_EINPUT, "", 0, "", "recipes form a cycle through \"%s\"",
                         m->materials[k].id);
    x->busy_made[idx] = 1;
    size_t n = x->n_up[k];
    dist *d = lode_arena_calloc(x->a, n, sizeof *d);
    if (d == NULL)
        return OOM(x->err);
    LODE_TRY(dist_self(x, e, &d[0]));
    for (size_t i = 0; i < x->n_in[k]; i++) {
        dist *s;
        LODE_TRY(trace_supply(x, e, x->in[k][i].input, &s));
    }
    for (size_t u = 1; u < n; u++) {
        int kk = x->up[k][u].k;
        for (size_t i = 0; i < x->n_in[k]; i++) {
            int j = x->in[k][i].input;
            int p = x->pos[(size_t)j * x->nm + (size_t)kk];
            if (p < 0)
                continue;
            double coef = x->in[k][i].w * x->up[j][p].emb / x->up[k][u].emb;
            const dist *s = &x->supply[cell(m, j, e)][p];
            for (size_t q = 0; q < s->n; q++)
                acc_add(x, s->o[q].country, coef * s->o[q].share);
        }
        LODE_TRY(acc_take(x, &d[u]));
    }
    x->busy_made[idx] = 0;
    x->made[idx] = d;
    *out = d;
    return LODE_OK;
}

/* Copy of d sorted by share descending, then country id. */
static lode_status origins_sorted(xctx *x, const dist *d, const int *crank, ranked *tmp,
                                  lode_origin **out, size_t *n_out)
{
    lode_origin *o = lode_arena_calloc(x->a, d->n ? d->n : 1, sizeof *o);
    if (o == NULL)
        return OOM(x->err);
    for (size_t i = 0; i < d->n; i++) {
        tmp[i].share = d->o[i].share;
        tmp[i].rank = crank[d->o[i].country];
        tmp[i].index = d->o[i].country;
    }
    qsort(tmp, d->n, sizeof *tmp, ranked_cmp);
    for (size_t i = 0; i < d->n; i++) {
        o[i].country = tmp[i].index;
        o[i].share = tmp[i].share;
    }
    *out = o;
    *n_out = d->n;
    return LODE_OK;
}

static int exposure_wants(const lode_model *m, int k, const void *ctx)
{
    size_t i = cell(m, k, *(const int *)ctx);
    return m->base.prod_t[i] > 0 || m->base.imports_t[i] > 0;
}

static lode_status exposure_row(xctx *x, int c, int k, const int *crank, ranked *tmp,
                                lode_exposure_row *r)
{
    const lode_model *m = x->m;
    size_t i = cell(m, k, c);
    dist *d;
    r->material = k;
    r->production_t = m->base.prod_t[i];
    r->imports_t = m->base.imports_t[i];
    r->exports_t = m->base.exports_t[i];
    r->supply_t = r->production_t + r->imports_t - r->exports_t;
    if (r->supply_t > 0) {
        double ir = (r->imports_t - r->exports_t) / r->supply_t;
        r->import_reliance = ir < 0 ? 0 : ir > 1 ? 1 : ir;
    }
    LODE_TRY(trace_supply(x, c, k, &d));
    r->n_stages = x->n_up[k];
    r->stages = lode_arena_calloc(x->a, r->n_stages, sizeof *r->stages);
    if (r->stages == NULL)
        return OOM(x->err);
    for (size_t u = 0; u < r->n_stages; u++) {
        lode_exposure_stage *s = &r->stages[u];
        s->material = x->up[k][u].k;
        s->stage = m->materials[s->material].stage;
        s->depth = x->up[k][u].depth;
        s->t_per_t = x->up[k][u].emb;
        LODE_TRY(origins_sorted(x, &d[u], crank, tmp, &s->origins, &s->n_origins));
    }
    r->origins = r->stages[0].origins;
    r->n_origins = r->stages[0].n_origins;
    return LODE_OK;
}

/* Exposure of `country` for every material it produces or imports in the baseline, sorted by
 * stage then material id. Returns LODE_EUSAGE for an unfrozen model or a country index out of
 * range, LODE_EINPUT (naming the recipe row) when recipes form a cycle, LODE_EIO when out of
 * memory. */
lode_status lode_exposure_run(const lode_model *m, int country, lode_arena *a,
                              lode_exposure_result *out, lode_err *err)
{
    memset(out, 0, sizeof *out);
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "the model is not frozen");
    if (country < 0 || (size_t)country >= m->n_countries)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "country", "no country with index %d", country);
    xctx x;
    memset(&x, 0, sizeof x);
    x.m = m;
    x.a = a;
    x.err = err;
    x.nc = m->n_countries;
    x.nm = m->n_materials;
    size_t cells = x.nc * x.nm;
    int *mrank = id_ranks(m, 1, a);
    int *crank = id_ranks(m, 0, a);
    ranked *tmp = lode_arena_calloc(a, x.nc, sizeof *tmp);
    x.supply = lode_arena_calloc(a, cells, sizeof *x.supply);
    x.made = lode_arena_calloc(a, cells, sizeof *x.made);
    x.busy_supply = lode_arena_calloc(a, cells, 1);
    x.busy_made = lode_arena_calloc(a, cells, 1);
    x.acc = lode_arena_calloc(a, x.nc, sizeof *x.acc);
    x.touched = lode_arena_calloc(a, x.nc, sizeof *x.touched);
    x.mark = lode_arena_calloc(a, x.nc, 1);
    if (!mrank || !crank || !tmp || !x.supply || !x.made || !x.busy_supply || !x.busy_made ||
        !x.acc || !x.touched || !x.mark)
        return OOM(err);
    LODE_TRY(build_graph(&x, mrank));

    size_t n;
    row_key *keys = sorted_materials(m, mrank, a, exposure_wants, &country, &n);
    if (keys == NULL)
        return OOM(err);
    lode_exposure_row *rows = lode_arena_calloc(a, n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return OOM(err);
    for (size_t i = 0; i < n; i++)
        LODE_TRY(exposure_row(&x, country, keys[i].index, crank, tmp, &rows[i]));
    out->country = country;
    out->rows = rows;
    out->n_rows = n;
    return LODE_OK;
}

/* ---- exposure of a group of countries (a region) ---------------------------------------- */

/* Origins of one accumulated stage: acc[c] weights, normalised, sorted share descending then
 * id; NULL-safe on an empty list. */
static lode_status group_origins(const lode_model *m, const double *acc, const int *crank,
                                 lode_arena *a, lode_origin **out, size_t *n, lode_err *err)
{
    size_t nc = m->n_countries, k = 0;
    double total = 0;
    for (size_t c = 0; c < nc; c++)
        total += acc[c];
    ranked *tmp = lode_arena_calloc(a, nc ? nc : 1, sizeof *tmp);
    if (tmp == NULL)
        return OOM(err);
    for (size_t c = 0; total > 0 && c < nc; c++) {
        if (acc[c] <= 0)
            continue;
        tmp[k].share = acc[c] / total;
        tmp[k].rank = crank[c];
        tmp[k].index = (int)c;
        k++;
    }
    qsort(tmp, k, sizeof *tmp, ranked_cmp);
    *out = lode_arena_calloc(a, k ? k : 1, sizeof **out);
    if (*out == NULL)
        return OOM(err);
    for (size_t i = 0; i < k; i++) {
        (*out)[i].country = tmp[i].index;
        (*out)[i].share = tmp[i].share;
    }
    *n = k;
    return LODE_OK;
}

lode_status lode_exposure_group_run(const lode_model *m, const int *members, size_t n_members,
                                    lode_arena *a, lode_exposure_result *out, lode_err *err)
{
    memset(out, 0, sizeof *out);
    out->country = -1;
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "the model is not frozen");
    size_t nc = m->n_countries, nm = m->n_materials;
    unsigned char *in = lode_arena_calloc(a, nc ? nc : 1, 1);
    lode_exposure_result *each = lode_arena_calloc(a, n_members ? n_members : 1, sizeof *each);
    int *crank = id_ranks(m, 0, a), *mrank = id_ranks(m, 1, a);
    /* acc[s * nc + c]: weight of origin c at stage material s; w_t[s]: weighted t_per_t;
     * depth[s]: smallest depth seen (-1: stage absent) */
    double *acc = lode_arena_calloc(a, nm * nc + 1, sizeof *acc);
    double *w_t = lode_arena_calloc(a, nm + 1, sizeof *w_t);
    int *depth = lode_arena_calloc(a, nm + 1, sizeof *depth);
    lode_exposure_row *rows = lode_arena_calloc(a, nm + 1, sizeof *rows);
    if (!in || !each || !crank || !mrank || !acc || !w_t || !depth || !rows)
        return OOM(err);
    for (size_t i = 0; i < n_members; i++) {
        if (members[i] < 0 || (size_t)members[i] >= nc)
            return LODE_FAIL(err, LODE_EUSAGE, "", 0, "members", "no country with index %d",
                             members[i]);
        in[members[i]] = 1;
        LODE_TRY(lode_exposure_run(m, members[i], a, &each[i], err));
    }
    size_t n_rows = 0;
    /* Materials in the order per-country results use: stage, then id. */
    int *order = lode_arena_calloc(a, nm + 1, sizeof *order);
    if (order == NULL)
        return OOM(err);
    for (size_t k = 0; k < nm; k++)
        order[mrank[k]] = (int)k;
    for (lode_stage st = 0; st < LODE_STAGE_N; st++) {
        for (size_t r = 0; r < nm; r++) {
            int k = order[r];
            if (m->materials[k].stage != st)
                continue;
            double prod = 0, mx = 0, xx = 0, weight = 0;
            memset(acc, 0, nm * nc * sizeof *acc);
            memset(w_t, 0, nm * sizeof *w_t);
            for (size_t s = 0; s < nm; s++)
                depth[s] = -1;
            for (size_t i = 0; i < n_members; i++) {
                for (size_t j = 0; j < each[i].n_rows; j++) {
                    const lode_exposure_row *x = &each[i].rows[j];
                    if (x->material != k)
                        continue;
                    prod += x->production_t;
                    double w = x->supply_t > 0 ? x->supply_t : 0;
                    weight += w;
                    for (size_t s = 0; s < x->n_stages; s++) {
                        const lode_exposure_stage *g = &x->stages[s];
                        size_t sm = (size_t)g->material;
                        if (depth[sm] < 0 || g->depth < depth[sm])
                            depth[sm] = g->depth;
                        w_t[sm] += w * g->t_per_t;
                        for (size_t o = 0; o < g->n_origins; o++)
                            acc[sm * nc + (size_t)g->origins[o].country] +=
                                w * g->origins[o].share;
                    }
                }
            }
            /* Trade with non-members only: flows inside the group are its own supply. */
            for (size_t f = 0; f < m->base.n_flows; f++) {
                const lode_flow *fl = &m->trade[f];
                if (fl->material != k)
                    continue;
                if (in[fl->importer] && !in[fl->exporter])
                    mx += fl->tonnes;
                else if (in[fl->exporter] && !in[fl->importer])
                    xx += fl->tonnes;
            }
            if (prod <= 0 && mx <= 0)
                continue;
            lode_exposure_row *row = &rows[n_rows++];
            row->material = k;
            row->production_t = prod;
            row->imports_t = mx;
            row->exports_t = xx;
            row->supply_t = prod + mx - xx;
            double ir = row->supply_t > 0 ? (mx - xx) / row->supply_t : 0;
            row->import_reliance = ir < 0 ? 0 : ir > 1 ? 1 : ir;
            size_t n_st = 0;
            for (size_t s = 0; s < nm; s++)
                n_st += depth[s] >= 0;
            row->stages = lode_arena_calloc(a, n_st ? n_st : 1, sizeof *row->stages);
            if (row->stages == NULL)
                return OOM(err);
            /* The row's own material first, then upstream stages by depth and id. */
            for (int d = 0; weight > 0 && (size_t)d <= nm; d++) {
                for (size_t rr = 0; rr < nm; rr++) {
                    size_t s = (size_t)order[rr];
                    if (depth[s] != d)
                        continue;
                    lode_exposure_stage *g = &row->stages[row->n_stages++];
                    g->material = (int)s;
                    g->stage = m->materials[s].stage;
                    g->depth = d;
                    g->t_per_t = w_t[s] / weight;
                    LODE_TRY(group_origins(m, acc + s * nc, crank, a, &g->origins,
                                           &g->n_origins, err));
                }
            }
            if (row->n_stages) {
                row->origins = row->stages[0].origins;
                row->n_origins = row->stages[0].n_origins;
            }
        }
    }
    out->rows = rows;
    out->n_rows = n_rows;
    return LODE_OK;
}
