/* model.h: the Lodestone model: materials at stages, countries, and the tables of the bundled
 * dataset as plain C structs, plus the baseline (production, use and trade of one year per
 * material) that lode_model_freeze derives from them.
 *
 * Ownership: lode_model_new returns an owned model freed with lode_model_free (NULL is a
 * no-op); every string and array in it lives in the model's own arena and is borrowed until the
 * model is freed. Rows are added while the model is open; lode_model_freeze resolves every
 * reference and computes the baseline, after which the model is an immutable snapshot that
 * engines read through `const lode_model *` (safe to share between threads). */
#ifndef LODE_MODEL_H
#define LODE_MODEL_H

#include <stddef.h>
#include "lode/arena.h"
#include "lode/err.h"
#include "lode/table.h"

typedef enum lode_stage {
    LODE_STAGE_MINE,      /* ore, concentrate */
    LODE_STAGE_REFINE,    /* separated oxide, refined chemical */
    LODE_STAGE_METAL,     /* metal, alloy */
    LODE_STAGE_COMPONENT, /* magnet, anode, ... */
    LODE_STAGE_N
} lode_stage;

typedef enum lode_ckind {
    LODE_CK_COUNTRY,  /* ISO 3166 alpha-3 */
    LODE_CK_REGION,   /* an aggregate such as EUU (EU-27) */
    LODE_CK_RESIDUAL, /* ROW: published world total less the listed countries */
    LODE_CK_WORLD     /* WLD: published world total */
} lode_ckind;

/* Priority classes of demand, most protected first (DESIGN.md). */
typedef enum lode_sector {
    LODE_SEC_DEFENCE,
    LODE_SEC_INFRASTRUCTURE,
    LODE_SEC_HEALTH,
    LODE_SEC_ENERGY,
    LODE_SEC_CONSUMER,
    LODE_SEC_UNALLOCATED, /* demand no source splits by sector */
    LODE_SEC_N
} lode_sector;

/* Where a row came from: every row keeps its source and confidence flag. */
typedef struct lode_prov {
    const char *source;
    const char *confidence; /* verified, secondary, derived, recalled, ... */
    const char *note;
    const char *path;       /* file (or store table) it was read from, for errors */
    long line;              /* line in that file */
} lode_prov;

enum { LODE_WGI_N = 6 }; /* voice, stability, effectiveness, regulatory, rule of law, corruption */

typedef struct lode_material {
    const char *id, *name, *unit, *hs_codes;
    lode_stage stage;
    lode_prov prov;
} lode_material;

typedef struct lode_country {
    const char *iso3, *name;
    const char *memberships; /* ";"-separated tags: G7;QUAD;EU;MSP;... */
    lode_ckind kind;
    int wgi_year;            /* 0 if no WGI row */
    double wgi[LODE_WGI_N];  /* World Bank WGI estimates, about -2.5..2.5 */
    lode_prov prov;
} lode_country;

typedef struct lode_governance {
    const char *iso3;
    int country;
    int year;
    double wgi[LODE_WGI_N];
    lode_prov prov;
} lode_governance;

typedef enum lode_prodkind { LODE_PK_MINE, LODE_PK_REFINERY, LODE_PK_PLANT } lode_prodkind;

typedef struct lode_production {
    const char *material_id, *country_id;
    int material, country; /* resolved by freeze */
    int year;
    double tonnes;         /* t/yr in the material's unit */
    lode_prodkind kind;
    lode_prov prov;
} lode_production;

typedef struct lode_capacity {
    const char *material_id, *country_id, *facility;
    int material, country;
    int year;
    double tpa; /* t/yr */
    lode_prov prov;
} lode_capacity;

typedef struct lode_recipe {
    const char *output_id, *input_id, *grade;
    int output, input;
    double grade_share; /* share of the output made in this grade, 0..1 */
    double t_per_t;     /* t input per t output */
    int consumed;       /* 1: the input is used up; 0: content link of a co-product */
    lode_prov prov;
} lode_recipe;

/* A baseline flow exporter -> importer, t/yr. */
typedef struct lode_flow {
    const char *material_id, *exporter_id, *importer_id;
    int material, exporter, importer;
    int year;
    double tonnes;
    int off_year; /* set by freeze: 1 if year is not the material's baseline year */
    lode_prov prov;
} lode_flow;

/* A published bilateral trade figure: tonnes, or a share of the importer's imports. */
typedef struct lode_pubtrade {
    const char *material_id, *exporter_id, *importer_id, *period;
    int material, exporter, importer;
    double value;
    int is_share;
    lode_prov prov;
} lode_pubtrade;

/* Published consumption: tonnes, or a share of the country's use going to `sector`. */
typedef struct lode_consumption {
    const char *material_id, *country_id, *sector;
    int material, country;
    int year;
    double value;
    int is_share;
    lode_prov prov;
} lode_consumption;

/* Baseline final demand, t/yr. */
typedef struct lode_demand {
    const char *material_id, *country_id;
    int material, country;
    lode_sector sector;
    int priority; /* 1 defence .. 5 consumer, 6 unallocated */
    int year;
    double tonnes;
    lode_prov prov;
} lode_demand;

/* An economic indicator used as an allocation key (e.g. manufacturing value added). */
typedef struct lode_econ {
    const char *country_id, *indicator, *unit;
    int country;
    int year;
    double value;
    lode_prov prov;
} lode_econ;

typedef struct lode_stockpile {
    const char *holder_id, *agency, *scope, *target_unit, *known_holdings, *as_of,
        *release_rules;
    int holder;
    int has_target;
    double target;
    int confidential; /* visible only to its holder */
    lode_prov prov;
} lode_stockpile;

typedef struct lode_policy {
    const char *id, *country_id, *title, *notice_no, *materials_list, *kind, *targets,
        *announced, *effective, *suspended_from, *ends, *severity_note;
    int country;
    int *materials; /* resolved material indexes, n_materials of them */
    size_t n_materials;
    lode_prov prov;
} lode_policy;

typedef struct lode_agreement {
    const char *id, *parties, *title, *signed_on, *place, *commitments, *money;
    lode_prov prov;
} lode_agreement;

typedef enum lode_burden { LODE_BURDEN_CONSUMPTION, LODE_BURDEN_GDP, LODE_BURDEN_EQUAL } lode_burden;

typedef struct lode_alliance {
    const char *id, *name, *members_list, *agreement;
    int *members; /* country indexes */
    size_t n_members;
    lode_burden burden;
    int has_stock_days;
    double stock_days;
    lode_prov prov;
} lode_alliance;

typedef struct lode_project {
    const char *id, *name, *operator_name, *country_id, *material_id, *stage, *status,
        *gov_support;
    int country, material;
    int has_capacity, has_capex, has_start, has_permit;
    double capacity_tpa, capex_usd_m;
    int start_year;
    double permitting_months;
    lode_prov prov;
} lode_project;

typedef struct lode_price {
    const char *material_id, *date, *unit, *basis;
    int material;
    double price;
    lode_prov prov;
} lode_price;

typedef struct lode_cost {
    const char *material_id, *producer, *country_id, *unit;
    int material, country;
    int year;
    double cost;
    lode_prov prov;
} lode_cost;

/* EU CRM 2023 supply-risk inputs for one EU material (see docs/risk.md). Percentages as
 * published (0..100); has_* say which were published. */
typedef struct lode_eucrm {
    const char *eu_material, *materials_list, *stages, *basis_e, *basis_p;
    int *materials;
    size_t n_materials;
    int has_ir_e, has_ir_p, has_eol, has_si;
    double ir_e_pct, ir_p_pct, eol_rir_pct, si_sr, si_ei;
    lode_prov prov;
} lode_eucrm;

/* EU trade parameter t for a country, stage and scope (global supply or EU sourcing). */
typedef struct lode_eutrade {
    const char *eu_material, *country_id, *stage, *scope;
    int country;
    double t;
    lode_prov prov;
} lode_eutrade;

/* A firm or facility below a country (firms.csv; docs/firms.md): it makes and uses one
 * material. Optional: the bundled dataset has none; `lode generate firms` writes them. */
typedef struct lode_firm {
    const char *id, *country_id, *material_id;
    int country, material; /* resolved by freeze */
    double capacity_tpa;   /* t/yr */
    double demand_tpa;     /* t/yr, intermediate and final use */
    lode_prov prov;
} lode_firm;

/* A supplier -> buyer link between two firms (firm_links.csv), baseline t/yr of one material. */
typedef struct lode_firm_link {
    const char *supplier_id, *buyer_id, *material_id;
    int supplier, buyer;   /* indexes in m->firms, resolved by freeze */
    int material;
    double tonnes;         /* t/yr */
    lode_prov prov;
} lode_firm_link;

/* The baseline derived by lode_model_freeze. Arrays indexed [m * n_countries + c] hold t/yr of
 * material m in country c in that material's baseline year. */
typedef struct lode_baseline {
    int *year;         /* [n_materials] latest year with country production rows, 0 if none */
    double *world_t;   /* [n_materials] published world total (WLD row), else sum of rows */
    double *prod_t;    /* production (countries and ROW; WLD and regions excluded) */
    double *inter_t;   /* intermediate use: recipes (consumed inputs) x own production, times
                        * inter_scale of the input */
    double *inter_scale; /* [n_materials] 1, or world production / world recipe use where the
                          * recipes ask more of an input than the world produces (the rest is
                          * fed from outside the model: scrap, synthetic, stock draw) */
    double *final_t;   /* final demand: sum of demand rows */
    double *imports_t; /* sum of baseline flows in */
    double *exports_t; /* sum of baseline flows out */
    /* Baseline flows are m->trade[0 .. n_flows): the rows whose year is their material's
     * baseline year, sorted by (material, importer, exporter); rows of other years follow.
     * The importer's flows of material m are trade[in_start[k] .. in_start[k+1]) with
     * k = m * n_countries + importer. */
    size_t n_flows;
    size_t *in_start;  /* [n_materials * n_countries + 1] */
} lode_baseline;

typedef struct lode_model {
    lode_arena *arena;
    int frozen;
    const char *name; /* where it was loaded from, for messages */

#define LODE_TABLE(type, name) type *name; size_t n_##name; size_t cap_##name;
    LODE_TABLE(lode_material, materials)
    LODE_TABLE(lode_country, countries)
    LODE_TABLE(lode_governance, governance)
    LODE_TABLE(lode_production, production)
    LODE_TABLE(lode_capacity, capacity)
    LODE_TABLE(lode_recipe, recipes)
    LODE_TABLE(lode_flow, trade)
    LODE_TABLE(lode_pubtrade, trade_published)
    LODE_TABLE(lode_consumption, consumption)
    LODE_TABLE(lode_demand, demand)
    LODE_TABLE(lode_econ, economy)
    LODE_TABLE(lode_stockpile, stockpiles)
    LODE_TABLE(lode_policy, policies)
    LODE_TABLE(lode_agreement, agreements)
    LODE_TABLE(lode_alliance, alliances)
    LODE_TABLE(lode_project, projects)
    LODE_TABLE(lode_price, prices)
    LODE_TABLE(lode_cost, costs)
    LODE_TABLE(lode_eucrm, eu_crm)
    LODE_TABLE(lode_eutrade, eu_crm_trade)
    LODE_TABLE(lode_firm, firms)
    LODE_TABLE(lode_firm_link, firm_links)
#undef LODE_TABLE

    /* id indexes, sorted by id; filled by freeze */
    int *material_order, *country_order;
    int *firm_order;     /* [n_firms] firm indexes sorted by id */
    int world, residual; /* indexes of WLD and ROW, -1 if absent */
    lode_baseline base;
} lode_model;

lode_model *lode_model_new(void);
void lode_model_free(lode_model *m);

/* Add one row of resource `s->name` (cells as read, n == s->n_fields, matched to struct fields
 * by column name) read from `path` at `line`. Unknown resources are ignored (LODE_OK), so a
 * package may carry tables the model does not use. Cell values were checked against the
 * schema already; a value the model cannot use (an unknown enum) is LODE_EINPUT. */
lode_status lode_model_add_row(lode_model *m, const lode_schema *s, const char *const *cells,
                               size_t n, const char *path, long line, lode_err *err);

/* Resolve every id (unknown ids are LODE_EINPUT naming table, line and field), build the id
 * indexes and compute the baseline. After this the model is read-only. */
lode_status lode_model_freeze(lode_model *m, lode_err *err);

/* Index of a material/country id, or -1. Needs a frozen model. */
int lode_model_material(const lode_model *m, const char *id);
int lode_model_country(const lode_model *m, const char *iso3);

/* 1 if the ";"-separated list `list` holds `tag` exactly. */
int lode_list_has(const char *list, const char *tag);

/* Names of enum values, as in the CSV files. */
const char *lode_stage_name(lode_stage s);
const char *lode_sector_name(lode_sector s);
/* Parse a stage or sector name; -1 if unknown. */
int lode_stage_parse(const char *s);
int lode_sector_parse(const char *s);

/* The membership tag whose holders make up region c (countries.csv kind "region"): "EU" for
 * EUU. NULL if c is not a region the model knows how to expand. */
const char *lode_region_tag(const lode_model *m, int c);

/* Is country c a real country (not WLD, ROW or a region)? */
int lode_country_is_real(const lode_model *m, int c);

/* Load a frozen model from a directory of CSVs described by dir/datapackage.json, with every
 * foreign key checked. Used by tests, `lode init` and `lode derive`. The model's baseline uses
 * the trade and demand tables as found (absent tables give zero flows/demand). */
lode_status lode_model_load_dir(const char *dir, lode_model **out, lode_err *err);

#endif
