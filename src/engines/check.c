/* check.c: lode check's engine: the mass balance of the frozen model's baseline, production +
 * imports = intermediate use + final use + exports for every material and country with any
 * activity, within a relative tolerance, and a count of the references freeze resolved (it
 * fails on an unknown one, so a frozen model has them all). */
#include <math.h>
#include <string.h>

#include "lode/engines.h"

static size_t ref(const char *id)
{
    return id != NULL && id[0] != '\0';
}

/* Foreign-key references in the model's tables: every non-empty id field freeze resolved to
 * an index, and every id in a resolved list. */
static size_t count_refs(const lode_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_governance; i++)
        n += ref(m->governance[i].iso3);
    for (size_t i = 0; i < m->n_production; i++)
        n += ref(m->production[i].material_id) + ref(m->production[i].country_id);
    for (size_t i = 0; i < m->n_capacity; i++)
        n += ref(m->capacity[i].material_id) + ref(m->capacity[i].country_id);
    for (size_t i = 0; i < m->n_recipes; i++)
        n += ref(m->recipes[i].output_id) + ref(m->recipes[i].input_id);
    for (size_t i = 0; i < m->n_trade; i++)
        n += ref(m->trade[i].material_id) + ref(m->trade[i].exporter_id) +
             ref(m->trade[i].importer_id);
    for (size_t i = 0; i < m->n_trade_published; i++)
        n += ref(m->trade_published[i].material_id) + ref(m->trade_published[i].exporter_id) +
             ref(m->trade_published[i].importer_id);
    for (size_t i = 0; i < m->n_consumption; i++)
        n += ref(m->consumption[i].material_id) + ref(m->consumption[i].country_id);
    for (size_t i = 0; i < m->n_demand; i++)
        n += ref(m->demand[i].material_id) + ref(m->demand[i].country_id);
    for (size_t i = 0; i < m->n_economy; i++)
        n += ref(m->economy[i].country_id);
    for (size_t i = 0; i < m->n_stockpiles; i++)
        n += ref(m->stockpiles[i].holder_id);
    for (size_t i = 0; i < m->n_policies; i++)
        n += ref(m->policies[i].country_id) + m->policies[i].n_materials;
    for (size_t i = 0; i < m->n_alliances; i++)
        n += m->alliances[i].n_members;
    for (size_t i = 0; i < m->n_projects; i++)
        n += ref(m->projects[i].material_id) + ref(m->projects[i].country_id);
    for (size_t i = 0; i < m->n_prices; i++)
        n += ref(m->prices[i].material_id);
    for (size_t i = 0; i < m->n_costs; i++)
        n += ref(m->costs[i].material_id) + ref(m->costs[i].country_id);
    for (size_t i = 0; i < m->n_eu_crm; i++)
        n += m->eu_crm[i].n_materials;
    for (size_t i = 0; i < m->n_eu_crm_trade; i++)
        n += ref(m->eu_crm_trade[i].country_id);
    return n;
}

/*
 * Contract (engines.h): one balance row per (material, country) where any of base.prod_t,
 * inter_t, final_t, imports_t, exports_t is non-zero, in (material, country) index order, with
 * error_t = production + imports - (intermediate + final) - exports. A row violates the
 * balance when |error_t| > tol_rel x max(production + imports, 1 t).
 *
 * Returns LODE_OK with *out filled in arena a (violations are a result, not an error; the
 * caller decides the exit code). LODE_EUSAGE: the model is not frozen, or tol_rel is negative
 * or not finite. LODE_EIO: out of memory.
 */
lode_status lode_check_run(const lode_model *m, double tol_rel, lode_arena *a,
                           lode_check_result *out, lode_err *err)
{
    memset(out, 0, sizeof *out);
    if (m == NULL || !m->frozen)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "", "check needs a frozen model");
    if (!isfinite(tol_rel) || tol_rel < 0)
        return LODE_FAIL(err, LODE_EUSAGE, "", 0, "tolerance",
                         "expected a tolerance of 0 or more, got %g", tol_rel);
    const lode_baseline *b = &m->base;
    size_t nc = m->n_countries, cells = m->n_materials * nc, n = 0;
    for (size_t k = 0; k < cells; k++)
        n += b->prod_t[k] != 0 || b->inter_t[k] != 0 || b->final_t[k] != 0 ||
             b->imports_t[k] != 0 || b->exports_t[k] != 0;
    out->rows = lode_arena_calloc(a, n ? n : 1, sizeof *out->rows);
    if (out->rows == NULL)
        return LODE_FAIL(err, LODE_EIO, "", 0, "", "out of memory");
    out->tol_rel = tol_rel;
    for (size_t k = 0; k < cells; k++) {
        if (!(b->prod_t[k] != 0 || b->inter_t[k] != 0 || b->final_t[k] != 0 ||
              b->imports_t[k] != 0 || b->exports_t[k] != 0))
            continue;
        lode_balance_row *r = &out->rows[out->n_rows++];
        /* Indexes fit an int: the model's tables index materials and countries by int. */
        r->material = (int)(k / nc);
        r->country = (int)(k % nc);
        r->production_t = b->prod_t[k];
        r->imports_t = b->imports_t[k];
        r->use_t = b->inter_t[k] + b->final_t[k];
        r->exports_t = b->exports_t[k];
        r->error_t = r->production_t + r->imports_t - r->use_t - r->exports_t;
        double scale = r->production_t + r->imports_t;
        if (fabs(r->error_t) > out->max_error_t)
            out->max_error_t = fabs(r->error_t);
        /* NaN errors count as violations: the negated comparison is true for them. */
        if (!(fabs(r->error_t) <= tol_rel * (scale > 1 ? scale : 1)))
            out->n_violations++;
    }
    out->n_refs = count_refs(m);
    return LODE_OK;
}
