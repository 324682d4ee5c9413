/* model.c: the model's tables, filled row by row from CSV or the store, then frozen.
 *
 * Rows arrive as strings already checked against the package schema (types, enums, minimums);
 * this file maps them onto the typed structs of model.h by column name, and lode_model_freeze
 * resolves ids to indexes and derives the baseline every engine reads. Column mapping is data
 * (one table of descriptors per resource) so a new column is one line, not new code. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lode/buf.h"
#include "lode/model.h"

/* ---- column descriptors --------------------------------------------------------------- */

typedef enum colkind {
    K_STR,     /* const char * */
    K_NUM,     /* double, required */
    K_INT,     /* int, required */
    K_OPTNUM,  /* double, with an int "has" flag at has_off */
    K_OPTINT,  /* int, with an int "has" flag at has_off */
    K_STAGE,   /* lode_stage */
    K_CKIND,   /* lode_ckind */
    K_PKIND,   /* lode_prodkind */
    K_SECTOR,  /* lode_sector */
    K_YESNO,   /* int: "yes" -> 1 */
    K_ROLE,    /* int consumed: "consumed" -> 1, "content" -> 0 */
    K_ISSHARE, /* int: the unit column says a share */
    K_BURDEN   /* lode_burden */
} colkind;

typedef struct colmap {
    const char *col;
    colkind kind;
    size_t off;
    size_t has_off;
} colmap;

typedef struct tablemap {
    const char *resource;
    size_t elem_size;
    size_t off_arr, off_n, off_cap; /* where in lode_model the array, count, capacity are */
    size_t off_prov;                /* where in the element its lode_prov is */
    const colmap *cols;
    size_t n_cols;
} tablemap;

#define C(type, col, kind, field) {col, kind, offsetof(type, field), 0}
#define CH(type, col, kind, field, has) {col, kind, offsetof(type, field), offsetof(type, has)}

static const colmap materials_cols[] = {
    C(lode_material, "id", K_STR, id),     C(lode_material, "name", K_STR, name),
    C(lode_material, "stage", K_STAGE, stage), C(lode_material, "unit", K_STR, unit),
    C(lode_material, "hs_codes", K_STR, hs_codes),
};
static const colmap countries_cols[] = {
    C(lode_country, "iso3", K_STR, iso3),
    C(lode_country, "name", K_STR, name),
    C(lode_country, "kind", K_CKIND, kind),
    C(lode_country, "memberships", K_STR, memberships),
};
static const colmap governance_cols[] = {
    C(lode_governance, "iso3", K_STR, iso3),
    C(lode_governance, "year", K_INT, year),
    C(lode_governance, "voice", K_NUM, wgi[0]),
    C(lode_governance, "stability", K_NUM, wgi[1]),
    C(lode_governance, "effectiveness", K_NUM, wgi[2]),
    C(lode_governance, "regulatory", K_NUM, wgi[3]),
    C(lode_governance, "rule_of_law", K_NUM, wgi[4]),
    C(lode_governance, "corruption", K_NUM, wgi[5]),
};
static const colmap production_cols[] = {
    C(lode_production, "material", K_STR, material_id),
    C(lode_production, "country", K_STR, country_id),
    C(lode_production, "year", K_INT, year),
    C(lode_production, "tonnes", K_NUM, tonnes),
    C(lode_production, "kind", K_PKIND, kind),
};
static const colmap capacity_cols[] = {
    C(lode_capacity, "material", K_STR, material_id),
    C(lode_capacity, "country", K_STR, country_id),
    C(lode_capacity, "facility", K_STR, facility),
    C(lode_capacity, "year", K_INT, year),
    C(lode_capacity, "tpa", K_NUM, tpa),
};
static const colmap recipes_cols[] = {
    C(lode_recipe, "output", K_STR, output_id),
    C(lode_recipe, "input", K_STR, input_id),
    C(lode_recipe, "grade", K_STR, grade),
    C(lode_recipe, "grade_share", K_NUM, grade_share),
    C(lode_recipe, "t_per_t", K_NUM, t_per_t),
    C(lode_recipe, "role", K_ROLE, consumed),
};
static const colmap trade_cols[] = {
    C(lode_flow, "material", K_STR, material_id), C(lode_flow, "exporter", K_STR, exporter_id),
    C(lode_flow, "importer", K_STR, importer_id), C(lode_flow, "year", K_INT, year),
    C(lode_flow, "tonnes", K_NUM, tonnes),
};
static const colmap pubtrade_cols[] = {
    C(lode_pubtrade, "material", K_STR, material_id),
    C(lode_pubtrade, "exporter", K_STR, exporter_id),
    C(lode_pubtrade, "importer", K_STR, importer_id),
    C(lode_pubtrade, "period", K_STR, period),
    C(lode_pubtrade, "value", K_NUM, value),
    C(lode_pubtrade, "unit", K_ISSHARE, is_share),
};
static const colmap consumption_cols[] = {
    C(lode_consumption, "material", K_STR, material_id),
    C(lode_consumption, "country", K_STR, country_id),
    C(lode_consumption, "year", K_INT, year),
    C(lode_consumption, "value", K_NUM, value),
    C(lode_consumption, "unit", K_ISSHARE, is_share),
    C(lode_consumption, "sector", K_STR, sector),
};
static const colmap demand_cols[] = {
    C(lode_demand, "material", K_STR, material_id), C(lode_demand, "country", K_STR, country_id),
    C(lode_demand, "sector", K_SECTOR, sector),     C(lode_demand, "priority", K_INT, priority),
    C(lode_demand, "year", K_INT, year),            C(lode_demand, "tonnes", K_NUM, tonnes),
};
static const colmap economy_cols[] = {
    C(lode_econ, "country", K_STR, country_id), C(lode_econ, "year", K_INT, year),
    C(lode_econ, "indicator", K_STR, indicator), C(lode_econ, "value", K_NUM, value),
    C(lode_econ, "unit", K_STR, unit),
};
static const colmap stockpiles_cols[] = {
    C(lode_stockpile, "holder", K_STR, holder_id),
    C(lode_stockpile, "agency", K_STR, agency),
    C(lode_stockpile, "scope", K_STR, scope),
    CH(lode_stockpile, "target", K_OPTNUM, target, has_target),
    C(lode_stockpile, "target_unit", K_STR, target_unit),
    C(lode_stockpile, "known_holdings", K_STR, known_holdings),
    C(lode_stockpile, "as_of", K_STR, as_of),
    C(lode_stockpile, "release_rules", K_STR, release_rules),
    C(lode_stockpile, "confidential", K_YESNO, confidential),
};
static const colmap policies_cols[] = {
    C(lode_policy, "id", K_STR, id),
    C(lode_policy, "country", K_STR, country_id),
    C(lode_policy, "title", K_STR, title),
    C(lode_policy, "notice_no", K_STR, notice_no),
    C(lode_policy, "materials", K_STR, materials_list),
    C(lode_policy, "kind", K_STR, kind),
    C(lode_policy, "targets", K_STR, targets),
    C(lode_policy, "announced", K_STR, announced),
    C(lode_policy, "effective", K_STR, effective),
    C(lode_policy, "suspended_from", K_STR, suspended_from),
    C(lode_policy, "ends", K_STR, ends),
    C(lode_policy, "severity_note", K_STR, severity_note),
};
static const colmap agreements_cols[] = {
    C(lode_agreement, "id", K_STR, id),
    C(lode_agreement, "parties", K_STR, parties),
    C(lode_agreement, "title", K_STR, title),
    C(lode_agreement, "signed", K_STR, signed_on),
    C(lode_agreement, "place", K_STR, place),
    C(lode_agreement, "commitments", K_STR, commitments),
    C(lode_agreement, "money", K_STR, money),
};
static const colmap alliances_cols[] = {
    C(lode_alliance, "id", K_STR, id),
    C(lode_alliance, "name", K_STR, name),
    C(lode_alliance, "members", K_STR, members_list),
    C(lode_alliance, "burden_rule", K_BURDEN, burden),
    CH(lode_alliance, "stock_obligation_days", K_OPTNUM, stock_days, has_stock_days),
    C(lode_alliance, "agreement", K_STR, agreement),
};
static const colmap projects_cols[] = {
    C(lode_project, "id", K_STR, id),
    C(lode_project, "name", K_STR, name),
    C(lode_project, "operator", K_STR, operator_name),
    C(lode_project, "country", K_STR, country_id),
    C(lode_project, "material", K_STR, material_id),
    C(lode_project, "stage", K_STR, stage),
    CH(lode_project, "capacity_tpa", K_OPTNUM, capacity_tpa, has_capacity),
    CH(lode_project, "capex_usd_m", K_OPTNUM, capex_usd_m, has_capex),
    C(lode_project, "status", K_STR, status),
    CH(lode_project, "start_year", K_OPTINT, start_year, has_start),
    CH(lode_project, "permitting_months", K_OPTNUM, permitting_months, has_permit),
    C(lode_project, "gov_support", K_STR, gov_support),
};
static const colmap prices_cols[] = {
    C(lode_price, "material", K_STR, material_id), C(lode_price, "date", K_STR, date),
    C(lode_price, "price", K_NUM, price),          C(lode_price, "unit", K_STR, unit),
    C(lode_price, "basis", K_STR, basis),
};
static const colmap costs_cols[] = {
    C(lode_cost, "material", K_STR, material_id), C(lode_cost, "producer", K_STR, producer),
    C(lode_cost, "country", K_STR, country_id),   C(lode_cost, "year", K_INT, year),
    C(lode_cost, "cost", K_NUM, cost),            C(lode_cost, "unit", K_STR, unit),
};
static const colmap eucrm_cols[] = {
    C(lode_eucrm, "eu_material", K_STR, eu_material),
    C(lode_eucrm, "lodestone_materials", K_STR, materials_list),
    C(lode_eucrm, "stages_assessed", K_STR, stages),
    C(lode_eucrm, "eu_supply_basis_extraction", K_STR, basis_e),
    C(lode_eucrm, "eu_supply_basis_processing", K_STR, basis_p),
    CH(lode_eucrm, "import_reliance_extraction_pct", K_OPTNUM, ir_e_pct, has_ir_e),
    CH(lode_eucrm, "import_reliance_processing_pct", K_OPTNUM, ir_p_pct, has_ir_p),
    CH(lode_eucrm, "eol_rir_pct", K_OPTNUM, eol_rir_pct, has_eol),
    CH(lode_eucrm, "si_sr", K_OPTNUM, si_sr, has_si),
    C(lode_eucrm, "si_ei", K_NUM, si_ei),
};
static const colmap eutrade_cols[] = {
    C(lode_eutrade, "eu_material", K_STR, eu_material),
    C(lode_eutrade, "country_iso3", K_STR, country_id),
    C(lode_eutrade, "stage", K_STR, stage),
    C(lode_eutrade, "scope", K_STR, scope),
    C(lode_eutrade, "t", K_NUM, t),
};
static const colmap firms_cols[] = {
    C(lode_firm, "id", K_STR, id),
    C(lode_firm, "country", K_STR, country_id),
    C(lode_firm, "material", K_STR, material_id),
    C(lode_firm, "capacity_tpa", K_NUM, capacity_tpa),
    C(lode_firm, "demand_tpa", K_NUM, demand_tpa),
};
static const colmap firm_links_cols[] = {
    C(lode_firm_link, "supplier", K_STR, supplier_id),
    C(lode_firm_link, "buyer", K_STR, buyer_id),
    C(lode_firm_link, "material", K_STR, material_id),
    C(lode_firm_link, "tonnes", K_NUM, tonnes),
};

#define T(res, type, arr, cols)                                                                \
    {res,                                                                                      \
     sizeof(type),                                                                             \
     offsetof(lode_model, arr),                                                                \
     offsetof(lode_model, n_##arr),                                                            \
     offsetof(lode_model, cap_##arr),                                                          \
     offsetof(type, prov),                                                                     \
     cols,                                                                                     \
     sizeof cols / sizeof cols[0]}

/* Sorted by resource name: looked up with bsearch. */
static const tablemap tables[] = {
    T("agreements", lode_agreement, agreements, agreements_cols),
    T("alliances", lode_alliance, alliances, alliances_cols),
    T("capacity", lode_capacity, capacity, capacity_cols),
    T("consumption", lode_consumption, consumption, consumption_cols),
    T("costs", lode_cost, costs, costs_cols),
    T("countries", lode_country, countries, countries_cols),
    T("demand", lode_demand, demand, demand_cols),
    T("economy", lode_econ, economy, economy_cols),
    T("eu_crm", lode_eucrm, eu_crm, eucrm_cols),
    T("eu_crm_trade", lode_eutrade, eu_crm_trade, eutrade_cols),
    T("firm_links", lode_firm_link, firm_links, firm_links_cols),
    T("firms", lode_firm, firms, firms_cols),
    T("governance", lode_governance, governance, governance_cols),
    T("materials", lode_material, materials, materials_cols),
    T("policies", lode_policy, policies, policies_cols),
    T("prices", lode_price, prices, prices_cols),
    T("production", lode_production, production, production_cols),
    T("projects", lode_project, projects, projects_cols),
    T("recipes", lode_recipe, recipes, recipes_cols),
    T("stockpiles", lode_stockpile, stockpiles, stockpiles_cols),
    T("trade", lode_flow, trade, trade_cols),
    T("trade_published", lode_pubtrade, trade_published, pubtrade_cols),
};

static int tablemap_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const tablemap *)elem)->resource);
}

/* ---- enum names ------------------------------------------------------------------------- */

static const char *const stage_names[LODE_STAGE_N] = {"mine", "refine", "metal", "component"};
static const char *const sector_names[LODE_SEC_N] = {
    "defence", "infrastructure", "health", "energy_transition", "consumer", "unallocated"};
static const char *const ckind_names[] = {"country", "region", "residual", "world"};
static const char *const pkind_names[] = {"mine", "refinery", "plant"};
static const char *const burden_names[] = {"consumption", "gdp", "equal"};

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *lode_stage_name(lode_stage s)
{
    return (unsigned)s < LODE_STAGE_N ? stage_names[s] : "?";
}

const char *lode_sector_name(lode_sector s)
{
    return (unsigned)s < LODE_SEC_N ? sector_names[s] : "?";
}

int lode_stage_parse(const char *s)
{
    return name_index(stage_names, LODE_STAGE_N, s);
}

int lode_sector_parse(const char *s)
{
    return name_index(sector_names, LODE_SEC_N, s);
}

int lode_list_has(const char *list, const char *tag)
{
    size_t n = strlen(tag);
    if (list == NULL || n == 0)
        return 0;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, tag, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* ---- new, free, add --------------------------------------------------------------------- */

lode_model *lode_model_new(void)
{
    lode_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->arena = lode_arena_new();
    if (m->arena == NULL) {
        free(m);
        return NULL;
    }
    m->name = "";
    m->world = m->residual = -1;
    return m;
}

void lode_model_free(lode_model *m)
{
    if (m == NULL)
        return;
    lode_arena_free(m->arena);
    free(m);
}

/* Grow the array of table t in m by one element; returns the new zeroed element or NULL. */
static void *table_push(lode_model *m, const tablemap *t)
{
    char *base = (char *)m;
    void **arr = (void **)(base + t->off_arr);
    size_t *n = (size_t *)(base + t->off_n);
    size_t *cap = (size_t *)(base + t->off_cap);
    if (lode_arena_grow(m->arena, arr, *n, cap, t->elem_size) != 0)
        return NULL;
    return (char *)*arr + (*n)++ * t->elem_size;
}

static lode_status bad_value(lode_err *err, const char *path, long line, const char *field,
                             const char *cell)
{
    return LODE_FAIL(err, LODE_EINPUT, path, line, field, "unexpected value \"%.40s\"", cell);
}

static lode_status set_cell(lode_model *m, const colmap *c, char *elem, const char *cell,
                            const char *path, long line, lode_err *err)
{
    void *dst = elem + c->off;
    int *has = c->has_off ? (int *)(void *)(elem + c->has_off) : NULL;
    double v = 0;
    int k;
    switch (c->kind) {
    case K_STR: {
        char *s = lode_arena_strdup(m->arena, cell);
        if (s == NULL)
            return LODE_FAIL(err, LODE_EIO, path, line, c->col, "out of memory");
        *(const char **)dst = s;
        return LODE_OK;
    }
    case K_NUM:
    case K_INT:
    case K_OPTNUM:
    case K_OPTINT:
        if (cell[0] == '\0') {
            if (c->kind == K_NUM || c->kind == K_INT)
                return LODE_FAIL(err, LODE_EINPUT, path, line, c->col, "required value is empty");
            return LODE_OK; /* has stays 0 */
        }
        if (!lode_parse_number(cell, &v))
            return LODE_FAIL(err, LODE_EINPUT, path, line, c->col,
                             "expected a number, got \"%.40s\"", cell);
        if (c->kind == K_INT || c->kind == K_OPTINT) {
            if (!(v >= INT_MIN && v <= INT_MAX) || v != (double)(int)v)
                return LODE_FAIL(err, LODE_EINPUT, path, line, c->col,
                                 "expected an integer, got \"%.40s\"", cell);
            *(int *)dst = (int)v;
        } else {
            *(double *)dst = v;
        }
        if (has)
            *has = 1;
        return LODE_OK;
    case K_STAGE:
        k = lode_stage_parse(cell);
        break;
    case K_CKIND:
        k = name_index(ckind_names, 4, cell);
        break;
    case K_PKIND:
        k = name_index(pkind_names, 3, cell);
        break;
    case K_SECTOR:
        k = lode_sector_parse(cell);
        break;
    case K_BURDEN:
        k = name_index(burden_names, 3, cell);
        break;
    case K_YESNO:
        k = strcmp(cell, "yes") == 0 ? 1 : strcmp(cell, "no") == 0 ? 0 : -1;
        break;
    case K_ROLE:
        k = strcmp(cell, "consumed") == 0 ? 1 : strcmp(cell, "content") == 0 ? 0 : -1;
        break;
    case K_ISSHARE:
        k = strncmp(cell, "share", 5) == 0 ? 1 : 0;
        break;
    default:
        k = -1;
    }
    if (k < 0)
        return bad_value(err, path, line, c->col, cell);
    *(int *)dst = k;
    return LODE_OK;
}

lode_status lode_model_add_row(lode_model *m, const lode_schema *s, const char *const *cells,
                               size_t n, const char *path, long line, lode_err *err)
{
    if (m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, path, line, "", "model is frozen");
    const tablemap *t = bsearch(s->name, tables, sizeof tables / sizeof tables[0],
                                sizeof tables[0], tablemap_cmp);
    if (t == NULL)
        return LODE_OK; /* a table the model does not use */
    char *elem = table_push(m, t);
    if (elem == NULL)
        return LODE_FAIL(err, LODE_EIO, path, line, "", "out of memory");
    lode_prov *prov = (lode_prov *)(void *)(elem + t->off_prov);
    prov->source = prov->confidence = prov->note = "";
    prov->line = line;
    prov->path = lode_arena_strdup(m->arena, path);
    if (prov->path == NULL)
        return LODE_FAIL(err, LODE_EIO, path, line, "", "out of memory");
    for (size_t i = 0; i < t->n_cols; i++) {
        long col = lode_schema_field(s, t->cols[i].col);
        if (col < 0 || (size_t)col >= n)
            return LODE_FAIL(err, LODE_EINPUT, path, line, t->cols[i].col,
                             "column missing from the %s schema", s->name);
        lode_status st = set_cell(m, &t->cols[i], elem, cells[col], path, line, err);
        if (st != LODE_OK) {
            if (err)
                err->column = col + 1;
            return st;
        }
    }
    static const char *const prov_cols[] = {"source", "confidence", "note"};
    const char **prov_dst[] = {&prov->source, &prov->confidence, &prov->note};
    for (size_t i = 0; i < 3; i++) {
        long col = lode_schema_field(s, prov_cols[i]);
        if (col >= 0 && (size_t)col < n) {
            *prov_dst[i] = lode_arena_strdup(m->arena, cells[col]);
            if (*prov_dst[i] == NULL)
                return LODE_FAIL(err, LODE_EIO, path, line, "", "out of memory");
        }
    }
    return LODE_OK;
}

/* ---- freeze: ids ------------------------------------------------------------------------ */

/* qsort has no context argument in C11, so the id sort uses a small array of (id, index). */
typedef struct idx_entry {
    const char *id;
    int index;
} idx_entry;

static int idx_cmp(const void *a, const void *b)
{
    return strcmp(((const idx_entry *)a)->id, ((const idx_entry *)b)->id);
}

static lode_status build_order(lode_model *m, const char *const *ids, size_t stride_n,
                               int **order, const lode_prov *const *provs, const char *what,
                               lode_err *err)
{
    idx_entry *e = lode_arena_calloc(m->arena, stride_n ? stride_n : 1, sizeof *e);
    *order = lode_arena_calloc(m->arena, stride_n ? stride_n : 1, sizeof **order);
    if (e == NULL || *order == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; i < stride_n; i++) {
        e[i].id = ids[i];
        e[i].index = (int)i;
    }
    qsort(e, stride_n, sizeof *e, idx_cmp);
    for (size_t i = 0; i < stride_n; i++) {
        if (i > 0 && strcmp(e[i].id, e[i - 1].id) == 0) {
            const lode_prov *p = provs[e[i].index];
            return LODE_FAIL(err, LODE_EINPUT, p->path, p->line, what, "duplicate id \"%s\"",
                             e[i].id);
        }
        (*order)[i] = e[i].index;
    }
    return LODE_OK;
}

static const char *material_key(const lode_model *m, int k)
{
    return m->materials[k].id;
}

static const char *country_key(const lode_model *m, int k)
{
    return m->countries[k].iso3;
}

static const char *firm_key(const lode_model *m, int k)
{
    return m->firms[k].id;
}

/* Binary search for id among n records whose indexes `order` lists sorted by key(m, k). */
static int find_id(const lode_model *m, const int *order, size_t n,
                   const char *(*key)(const lode_model *, int), const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int k = order[mid];
        int c = strcmp(id, key(m, k));
        if (c == 0)
            return k;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

int lode_model_material(const lode_model *m, const char *id)
{
    if (m == NULL || m->material_order == NULL || id == NULL)
        return -1;
    return find_id(m, m->material_order, m->n_materials, material_key, id);
}

int lode_model_country(const lode_model *m, const char *iso3)
{
    if (m == NULL || m->country_order == NULL || iso3 == NULL)
        return -1;
    return find_id(m, m->country_order, m->n_countries, country_key, iso3);
}

/* Regions are aggregates whose members carry a membership tag; this table is their only
 * definition, shared by the derivation (published EU shares) and exposure (the EU as one). */
static const struct {
    const char *region, *tag;
} region_tags[] = {{"EUU", "EU"}};

const char *lode_region_tag(const lode_model *m, int c)
{
    if (c < 0 || (size_t)c >= m->n_countries || m->countries[c].kind != LODE_CK_REGION)
        return NULL;
    for (size_t i = 0; i < sizeof region_tags / sizeof region_tags[0]; i++)
        if (strcmp(m->countries[c].iso3, region_tags[i].region) == 0)
            return region_tags[i].tag;
    return NULL;
}

int lode_country_is_real(const lode_model *m, int c)
{
    return c >= 0 && (size_t)c < m->n_countries && m->countries[c].kind == LODE_CK_COUNTRY;
}

/* Resolve id (required unless optional) to *out; unknown ids name the row. */
static lode_status resolve(const lode_model *m, int is_material, const char *id, int optional,
                           const lode_prov *p, const char *field, int *out, lode_err *err)
{
    if (id == NULL || id[0] == '\0') {
        *out = -1;
        if (optional)
            return LODE_OK;
        return LODE_FAIL(err, LODE_EINPUT, p->path, p->line, field, "required value is empty");
    }
    *out = is_material ? lode_model_material(m, id) : lode_model_country(m, id);
    if (*out < 0)
        return LODE_FAIL(err, LODE_EINPUT, p->path, p->line, field,
                         "unknown id \"%.40s\" (not in %s)", id,
                         is_material ? "materials.id" : "countries.iso3");
    return LODE_OK;
}

/* Resolve a ";"-separated list of ids into an arena array. */
static lode_status resolve_list(lode_model *m, int is_material, const char *list,
                                const lode_prov *p, const char *field, int **out, size_t *n,
                                lode_err *err)
{
    size_t count = 0;
    for (const char *q = list; q && *q; q++)
        count += *q == ';';
    count += list && *list ? 1 : 0;
    *n = 0;
    *out = lode_arena_calloc(m->arena, count ? count : 1, sizeof **out);
    if (*out == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    const char *q = list;
    while (q && *q) {
        const char *end = strchr(q, ';');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        char id[64];
        if (len == 0 || len >= sizeof id)
            return LODE_FAIL(err, LODE_EINPUT, p->path, p->line, field,
                             "bad id list \"%.40s\"", list);
        memcpy(id, q, len);
        id[len] = '\0';
        lode_status st = resolve(m, is_material, id, 0, p, field, &(*out)[*n], err);
        if (st != LODE_OK)
            return st;
        (*n)++;
        q = end ? end + 1 : NULL;
    }
    return LODE_OK;
}

/* Index in m->firms of firm id, or -1 (m->firm_order is sorted by id). */
static int find_firm(const lode_model *m, const char *id)
{
    return find_id(m, m->firm_order, m->n_firms, firm_key, id);
}

/* Firms and their links (optional tables): ids, countries, materials, and the link's ends. */
static lode_status resolve_firms(lode_model *m, lode_err *err)
{
    size_t nf = m->n_firms;
    const char **ids = lode_arena_calloc(m->arena, nf ? nf : 1, sizeof *ids);
    const lode_prov **provs = lode_arena_calloc(m->arena, nf ? nf : 1, sizeof *provs);
    if (!ids || !provs)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; i < nf; i++) {
        lode_firm *r = &m->firms[i];
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        ids[i] = r->id;
        provs[i] = &r->prov;
    }
    LODE_TRY(build_order(m, ids, nf, &m->firm_order, provs, "id", err));
    for (size_t i = 0; i < m->n_firm_links; i++) {
        lode_firm_link *r = &m->firm_links[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        const char *fields[2] = {"supplier", "buyer"};
        const char *fid[2] = {r->supplier_id, r->buyer_id};
        int *dst[2] = {&r->supplier, &r->buyer};
        for (int e = 0; e < 2; e++) {
            *dst[e] = fid[e] ? find_firm(m, fid[e]) : -1;
            if (*dst[e] < 0)
                return LODE_FAIL(err, LODE_EINPUT, r->prov.path, r->prov.line, fields[e],
                                 "unknown id \"%.40s\" (not in firms.id)", fid[e] ? fid[e] : "");
            if (m->firms[*dst[e]].material != r->material)
                return LODE_FAIL(err, LODE_EINPUT, r->prov.path, r->prov.line, "material",
                                 "%s \"%.40s\" makes %s, not %s", fields[e], fid[e],
                                 m->firms[*dst[e]].material_id, r->material_id);
        }
        if (r->supplier == r->buyer)
            return LODE_FAIL(err, LODE_EINPUT, r->prov.path, r->prov.line, "buyer",
                             "a firm cannot supply itself (\"%.40s\")", r->buyer_id);
    }
    return LODE_OK;
}

static lode_status resolve_all(lode_model *m, lode_err *err)
{
    for (size_t i = 0; i < m->n_governance; i++) {
        lode_governance *g = &m->governance[i];
        LODE_TRY(resolve(m, 0, g->iso3, 0, &g->prov, "iso3", &g->country, err));
        lode_country *c = &m->countries[g->country];
        if (g->year >= c->wgi_year) {
            c->wgi_year = g->year;
            memcpy(c->wgi, g->wgi, sizeof c->wgi);
        }
    }
    for (size_t i = 0; i < m->n_production; i++) {
        lode_production *r = &m->production[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_capacity; i++) {
        lode_capacity *r = &m->capacity[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_recipes; i++) {
        lode_recipe *r = &m->recipes[i];
        LODE_TRY(resolve(m, 1, r->output_id, 0, &r->prov, "output", &r->output, err));
        LODE_TRY(resolve(m, 1, r->input_id, 0, &r->prov, "input", &r->input, err));
        if (r->output == r->input)
            return LODE_FAIL(err, LODE_EINPUT, r->prov.path, r->prov.line, "input",
                             "a material cannot be its own input (\"%s\")", r->input_id);
    }
    for (size_t i = 0; i < m->n_trade; i++) {
        lode_flow *r = &m->trade[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->exporter_id, 0, &r->prov, "exporter", &r->exporter, err));
        LODE_TRY(resolve(m, 0, r->importer_id, 0, &r->prov, "importer", &r->importer, err));
    }
    for (size_t i = 0; i < m->n_trade_published; i++) {
        lode_pubtrade *r = &m->trade_published[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->exporter_id, 0, &r->prov, "exporter", &r->exporter, err));
        LODE_TRY(resolve(m, 0, r->importer_id, 0, &r->prov, "importer", &r->importer, err));
    }
    for (size_t i = 0; i < m->n_consumption; i++) {
        lode_consumption *r = &m->consumption[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_demand; i++) {
        lode_demand *r = &m->demand[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_economy; i++) {
        lode_econ *r = &m->economy[i];
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_stockpiles; i++) {
        lode_stockpile *r = &m->stockpiles[i];
        LODE_TRY(resolve(m, 0, r->holder_id, 0, &r->prov, "holder", &r->holder, err));
    }
    for (size_t i = 0; i < m->n_policies; i++) {
        lode_policy *r = &m->policies[i];
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
        LODE_TRY(resolve_list(m, 1, r->materials_list, &r->prov, "materials", &r->materials,
                         &r->n_materials, err));
    }
    for (size_t i = 0; i < m->n_alliances; i++) {
        lode_alliance *r = &m->alliances[i];
        LODE_TRY(resolve_list(m, 0, r->members_list, &r->prov, "members", &r->members,
                         &r->n_members, err));
    }
    for (size_t i = 0; i < m->n_projects; i++) {
        lode_project *r = &m->projects[i];
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country", &r->country, err));
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
    }
    for (size_t i = 0; i < m->n_prices; i++) {
        lode_price *r = &m->prices[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
    }
    for (size_t i = 0; i < m->n_costs; i++) {
        lode_cost *r = &m->costs[i];
        LODE_TRY(resolve(m, 1, r->material_id, 0, &r->prov, "material", &r->material, err));
        LODE_TRY(resolve(m, 0, r->country_id, 1, &r->prov, "country", &r->country, err));
    }
    for (size_t i = 0; i < m->n_eu_crm; i++) {
        lode_eucrm *r = &m->eu_crm[i];
        LODE_TRY(resolve_list(m, 1, r->materials_list, &r->prov, "lodestone_materials", &r->materials,
                         &r->n_materials, err));
    }
    for (size_t i = 0; i < m->n_eu_crm_trade; i++) {
        lode_eutrade *r = &m->eu_crm_trade[i];
        LODE_TRY(resolve(m, 0, r->country_id, 0, &r->prov, "country_iso3", &r->country, err));
    }
    return resolve_firms(m, err);
}

/* ---- freeze: baseline ------------------------------------------------------------------- */

/* A production row counts toward the baseline unless it is the world total or a region. */
static int counts_as_producer(const lode_model *m, int c)
{
    lode_ckind k = m->countries[c].kind;
    return k == LODE_CK_COUNTRY || k == LODE_CK_RESIDUAL;
}

/* Baseline year of material k: the latest year whose producer rows cover at least 90% of
 * that year's published world total (WLD row); a year without a world total qualifies only
 * if no year has one. The 90% rule skips years where the source lists only a few countries
 * (e.g. antimony 2024: China alone). */
static int baseline_year(const lode_model *m, int k, double *world_out)
{
    int best = 0, best_any = 0;
    double best_world = 0;
    for (size_t i = 0; i < m->n_production; i++) {
        const lode_production *r = &m->production[i];
        if (r->material != k)
            continue;
        if (counts_as_producer(m, r->country) && r->year > best_any)
            best_any = r->year;
        if (m->countries[r->country].kind != LODE_CK_WORLD || r->year <= best)
            continue;
        double sum = 0;
        for (size_t j = 0; j < m->n_production; j++) {
            const lode_production *q = &m->production[j];
            if (q->material == k && q->year == r->year && counts_as_producer(m, q->country))
                sum += q->tonnes;
        }
        if (r->tonnes > 0 && sum >= 0.9 * r->tonnes) {
            best = r->year;
            best_world = r->tonnes;
        }
    }
    if (best == 0) {
        best = best_any;
        best_world = -1; /* no usable world total: the sum of rows stands in */
    }
    *world_out = best_world;
    return best;
}

/* Orders the trade table for the baseline: the flows of each material's baseline year first.
 * qsort has no context argument, so the year test reads a flag set on each row beforehand. */
static int flow_cmp(const void *a, const void *b)
{
    const lode_flow *x = a, *y = b;
    if (x->off_year != y->off_year)
        return x->off_year - y->off_year;
    if (x->material != y->material)
        return x->material < y->material ? -1 : 1;
    if (x->importer != y->importer)
        return x->importer < y->importer ? -1 : 1;
    if (x->exporter != y->exporter)
        return x->exporter < y->exporter ? -1 : 1;
    return (x->year > y->year) - (x->year < y->year);
}

static lode_status compute_baseline(lode_model *m, lode_err *err)
{
    size_t nm = m->n_materials, nc = m->n_countries, cells = nm * nc;
    lode_baseline *b = &m->base;
    b->year = lode_arena_calloc(m->arena, nm + 1, sizeof *b->year);
    b->world_t = lode_arena_calloc(m->arena, nm + 1, sizeof *b->world_t);
    b->inter_scale = lode_arena_calloc(m->arena, nm + 1, sizeof *b->inter_scale);
    b->prod_t = lode_arena_calloc(m->arena, cells + 1, sizeof(double));
    b->inter_t = lode_arena_calloc(m->arena, cells + 1, sizeof(double));
    b->final_t = lode_arena_calloc(m->arena, cells + 1, sizeof(double));
    b->imports_t = lode_arena_calloc(m->arena, cells + 1, sizeof(double));
    b->exports_t = lode_arena_calloc(m->arena, cells + 1, sizeof(double));
    b->in_start = lode_arena_calloc(m->arena, cells + 1, sizeof *b->in_start);
    if (!b->year || !b->world_t || !b->inter_scale || !b->prod_t || !b->inter_t ||
        !b->final_t || !b->imports_t || !b->exports_t || !b->in_start)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");

    for (size_t k = 0; k < nm; k++) {
        double world;
        b->year[k] = baseline_year(m, (int)k, &world);
        b->world_t[k] = world;
        b->inter_scale[k] = 1;
    }
    for (size_t i = 0; i < m->n_production; i++) {
        const lode_production *r = &m->production[i];
        if (r->year == b->year[r->material] && counts_as_producer(m, r->country))
            b->prod_t[(size_t)r->material * nc + (size_t)r->country] += r->tonnes;
    }
    for (size_t k = 0; k < nm; k++) {
        if (b->world_t[k] < 0) {
            double sum = 0;
            for (size_t c = 0; c < nc; c++)
                sum += b->prod_t[k * nc + c];
            b->world_t[k] = sum;
        }
    }
    /* Intermediate use: each consumed input in proportion to its output's own production. */
    for (size_t i = 0; i < m->n_recipes; i++) {
        const lode_recipe *r = &m->recipes[i];
        if (!r->consumed)
            continue;
        double coef = r->t_per_t * r->grade_share;
        for (size_t c = 0; c < nc; c++)
            b->inter_t[(size_t)r->input * nc + c] += coef * b->prod_t[(size_t)r->output * nc + c];
    }
    for (size_t k = 0; k < nm; k++) {
        double made = 0, used = 0;
        for (size_t c = 0; c < nc; c++) {
            made += b->prod_t[k * nc + c];
            used += b->inter_t[k * nc + c];
        }
        if (used > made && used > 0) {
            b->inter_scale[k] = made / used;
            for (size_t c = 0; c < nc; c++)
                b->inter_t[k * nc + c] *= b->inter_scale[k];
        }
    }
    for (size_t i = 0; i < m->n_demand; i++) {
        const lode_demand *r = &m->demand[i];
        b->final_t[(size_t)r->material * nc + (size_t)r->country] += r->tonnes;
    }
    b->n_flows = 0;
    for (size_t i = 0; i < m->n_trade; i++) {
        lode_flow *f = &m->trade[i];
        f->off_year = f->year != b->year[f->material];
        b->n_flows += !f->off_year;
    }
    if (m->n_trade)
        qsort(m->trade, m->n_trade, sizeof *m->trade, flow_cmp);
    for (size_t i = 0; i < b->n_flows; i++) {
        const lode_flow *f = &m->trade[i];
        size_t mk = (size_t)f->material * nc;
        b->imports_t[mk + (size_t)f->importer] += f->tonnes;
        b->exports_t[mk + (size_t)f->exporter] += f->tonnes;
        b->in_start[mk + (size_t)f->importer + 1]++;
    }
    for (size_t k = 0; k < cells; k++)
        b->in_start[k + 1] += b->in_start[k];
    return LODE_OK;
}

lode_status lode_model_freeze(lode_model *m, lode_err *err)
{
    if (m->frozen)
        return LODE_OK;
    if (m->n_materials == 0)
        return LODE_FAIL(err, LODE_EINPUT, m->name, 0, "", "the model has no materials");
    if (m->n_countries == 0)
        return LODE_FAIL(err, LODE_EINPUT, m->name, 0, "", "the model has no countries");

    const char **ids = lode_arena_calloc(m->arena, m->n_materials, sizeof *ids);
    const lode_prov **provs = lode_arena_calloc(m->arena, m->n_materials, sizeof *provs);
    if (!ids || !provs)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; i < m->n_materials; i++) {
        ids[i] = m->materials[i].id;
        provs[i] = &m->materials[i].prov;
    }
    LODE_TRY(build_order(m, ids, m->n_materials, &m->material_order, provs, "id", err));

    ids = lode_arena_calloc(m->arena, m->n_countries, sizeof *ids);
    provs = lode_arena_calloc(m->arena, m->n_countries, sizeof *provs);
    if (!ids || !provs)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    for (size_t i = 0; i < m->n_countries; i++) {
        ids[i] = m->countries[i].iso3;
        provs[i] = &m->countries[i].prov;
    }
    LODE_TRY(build_order(m, ids, m->n_countries, &m->country_order, provs, "iso3", err));

    m->world = m->residual = -1;
    for (size_t i = 0; i < m->n_countries; i++) {
        if (m->countries[i].kind == LODE_CK_WORLD && m->world < 0)
            m->world = (int)i;
        if (m->countries[i].kind == LODE_CK_RESIDUAL && m->residual < 0)
            m->residual = (int)i;
    }
    LODE_TRY(resolve_all(m, err));
    LODE_TRY(compute_baseline(m, err));
    m->frozen = 1;
    return LODE_OK;
}

/* ---- loading a directory of CSVs -------------------------------------------------------- */

typedef struct dir_ctx {
    lode_model *m;
    const lode_schema *s;
    const char *path;
} dir_ctx;

static lode_status dir_row(void *ctx, const char *const *cells, size_t n, long line,
                           lode_err *err)
{
    dir_ctx *d = ctx;
    return lode_model_add_row(d->m, d->s, cells, n, d->path, line, err);
}

lode_status lode_model_load_dir(const char *dir, lode_model **out, lode_err *err)
{
    char path[4096];
    *out = NULL;
    lode_model *m = lode_model_new();
    if (m == NULL)
        return LODE_FAIL(err, LODE_EIO, dir, 0, "", "out of memory");
    lode_status st = LODE_OK;
    lode_package pkg;
    snprintf(path, sizeof path, "%s/datapackage.json", dir);
    st = lode_package_load(path, m->arena, &pkg, err);
    for (size_t i = 0; st == LODE_OK && i < pkg.n_res; i++) {
        const lode_schema *s = &pkg.res[i];
        snprintf(path, sizeof path, "%s/%s", dir, s->path);
        FILE *f = fopen(path, "rb");
        if (f == NULL && errno == ENOENT)
            continue; /* an absent table is empty (e.g. before `lode derive` wrote trade) */
        if (f == NULL) {
            st = LODE_FAIL(err, LODE_EIO, path, 0, "", "cannot read: %s", strerror(errno));
            break;
        }
        fclose(f);
        lode_buf buf = LODE_BUF_INIT;
        st = lode_file_read(path, &buf, err);
        if (st == LODE_OK) {
            dir_ctx d = {m, s, path};
            const char *p = lode_arena_strdup(m->arena, path);
            d.path = p ? p : path;
            st = lode_csv_scan(buf.data ? buf.data : "", buf.len, d.path, s, dir_row, &d, err);
        }
        lode_buf_free(&buf);
    }
    if (st == LODE_OK) {
        m->name = lode_arena_strdup(m->arena, dir);
        if (m->name == NULL)
            m->name = "";
        st = lode_model_freeze(m, err);
    }
    if (st != LODE_OK) {
        lode_model_free(m);
        return st;
    }
    *out = m;
    return LODE_OK;
}
