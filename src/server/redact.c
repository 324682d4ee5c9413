/* redact.c: a national stockpile is visible only to its holder. The engines work on every
 * stock (a joint response needs them all); what leaves the server for viewer V is the
 * engine's document with every figure that states or bounds a confidential holder's stock
 * removed, unless V is that holder. "Confidential holder": a country with a row of
 * stockpiles.csv marked confidential=yes. What is withheld, per command:
 *
 *   stockpile  stocks[] of a hidden holder: held_t and the target_* fields (null, withheld);
 *              materials[].others_confidential_held_t = the sum over hidden holders of that
 *              material, shown only when two or more hold some (else null).
 *   respond    deliveries[] from a hidden holder's stockpile: pooled per (recipient,
 *              material) into one row "from": "pooled" when two or more hidden holders
 *              ship it, else dropped (counted in confidentiality.withheld_deliveries);
 *              burden[] of a hidden holder: share, contrib_t, contrib_usd, own_release_t and
 *              deviation_usd (null, withheld); released_t, burden_deviation_usd and
 *              shipping_tonne_weeks are totals over every holder, so when exactly one hidden
 *              holder contributes, burden_deviation_usd is recomputed over the visible rows;
 *              when any hidden holder releases, released_t is the sum of the rows shown
 *              (a total less the shown rows would be what was hidden) and tonne-weeks are
 *              withheld.
 *   simulate   exhaustion[] rows of a hidden holder (the week its stocks run out bounds them).
 *
 * An aggregate over two or more other holders cannot be split by the viewer; one over a single
 * other holder could, so it is never shown. Shortfalls and prices are outcomes of the whole
 * system and stay: docs/api.md says what they can and cannot reveal. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

int srv_confidential_holder(const lode_model *m, const char *iso3)
{
    for (size_t i = 0; i < m->n_stockpiles; i++)
        if (m->stockpiles[i].confidential && m->stockpiles[i].holder_id &&
            strcmp(m->stockpiles[i].holder_id, iso3) == 0)
            return 1;
    return 0;
}

/* Is the country named by item[field] a confidential holder other than the viewer? */
static int hidden(const lode_model *m, const cJSON *item, const char *field, const char *viewer)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, field);
    if (!cJSON_IsString(c))
        return 0;
    if (viewer && strcmp(c->valuestring, viewer) == 0)
        return 0;
    return srv_confidential_holder(m, c->valuestring);
}

static const char *str(const cJSON *item, const char *field)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, field);
    return cJSON_IsString(c) ? c->valuestring : "";
}

static double num(const cJSON *item, const char *field)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, field);
    return cJSON_IsNumber(c) ? c->valuedouble : 0.0;
}

/* Replace the listed fields of item by null and mark it withheld. 0, or -1 out of memory. */
static int withhold(cJSON *item, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cJSON_GetObjectItemCaseSensitive(item, fields[i])) {
            cJSON *null = cJSON_CreateNull();
            if (null == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(item, fields[i], null))
                return -1;
        }
    cJSON_DeleteItemFromObjectCaseSensitive(item, "withheld");
    return cJSON_AddTrueToObject(item, "withheld") ? 0 : -1;
}

static int set_number(cJSON *obj, const char *field, double v)
{
    cJSON *n = cJSON_CreateNumber(v);
    if (n == NULL)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(obj, field))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, field, n) ? 0 : -1;
    return cJSON_AddItemToObject(obj, field, n) ? 0 : -1;
}

static int set_null(cJSON *obj, const char *field)
{
    cJSON *n = cJSON_CreateNull();
    if (n == NULL)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(obj, field))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, field, n) ? 0 : -1;
    return cJSON_AddItemToObject(obj, field, n) ? 0 : -1;
}

/* Distinct strings, small sets: holders of one group. */
typedef struct names {
    const char *v[64];
    size_t n;
} names;

static void names_add(names *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return;
    if (s->n < sizeof s->v / sizeof s->v[0])
        s->v[s->n++] = x;
}

/* ---- stockpile -------------------------------------------------------------------------- */

static int redact_stockpile(const lode_model *m, const char *viewer, cJSON *doc, int *n_hidden)
{
    static const char *const fields[] = {"held_t", "target_agency", "target_days", "target_t"};
    cJSON *stocks = cJSON_GetObjectItemCaseSensitive(doc, "stocks");
    cJSON *mats = cJSON_GetObjectItemCaseSensitive(doc, "materials");
    /* The aggregates are taken before anything is withheld. */
    for (cJSON *mat = mats ? mats->child : NULL; mat; mat = mat->next) {
        names holders = {0};
        double sum = 0;
        for (cJSON *s = stocks ? stocks->child : NULL; s; s = s->next)
            if (strcmp(str(s, "material"), str(mat, "material")) == 0 &&
                hidden(m, s, "country", viewer) && num(s, "held_t") > 0) {
                names_add(&holders, str(s, "country"));
                sum += num(s, "held_t");
            }
        if (holders.n >= 2 ? set_number(mat, "others_confidential_held_t", sum)
                           : set_null(mat, "others_confidential_held_t"))
            return -1;
    }
    for (cJSON *s = stocks ? stocks->child : NULL; s; s = s->next)
        if (hidden(m, s, "country", viewer)) {
            (*n_hidden)++;
            if (withhold(s, fields, sizeof fields / sizeof *fields))
                return -1;
        }
    return 0;
}

/* ---- respond ---------------------------------------------------------------------------- */

static int is_hidden_release(const lode_model *m, const cJSON *d, const char *viewer)
{
    return strcmp(str(d, "source"), "stockpile") == 0 && hidden(m, d, "from", viewer);
}

static int redact_respond(const lode_model *m, const char *viewer, cJSON *doc, int *n_hidden)
{
    static const char *const bfields[] = {"share", "contrib_t", "contrib_usd", "own_release_t",
                                          "deviation_usd"};
    cJSON *dels = cJSON_GetObjectItemCaseSensitive(doc, "deliveries");
    cJSON *burden = cJSON_GetObjectItemCaseSensitive(doc, "burden");
    names releasers = {0}, contributors = {0};
    double visible_released = 0, visible_dev = 0;
    for (cJSON *d = dels ? dels->child : NULL; d; d = d->next) {
        if (is_hidden_release(m, d, viewer)) {
            if (num(d, "tonnes") > 0)
                names_add(&releasers, str(d, "from"));
        } else if (strcmp(str(d, "source"), "stockpile") == 0) {
            visible_released += num(d, "tonnes");
        }
    }
    for (cJSON *b = burden ? burden->child : NULL; b; b = b->next) {
        if (hidden(m, b, "country", viewer)) {
            if (num(b, "contrib_t") > 0 || num(b, "deviation_usd") > 0)
                names_add(&contributors, str(b, "country"));
        } else {
            visible_dev += num(b, "deviation_usd");
        }
    }

    /* Pool hidden releases per (recipient, material) over two or more holders. */
    cJSON *pooled = cJSON_CreateArray();
    if (pooled == NULL)
        return -1;
    int withheld = 0;
    for (cJSON *d = dels ? dels->child : NULL; d;) {
        cJSON *next = d->next;
        if (!is_hidden_release(m, d, viewer)) {
            d = next;
            continue;
        }
        (*n_hidden)++;
        const char *to = str(d, "to"), *mat = str(d, "material");
        cJSON *row = NULL;
        for (cJSON *p = pooled->child; p; p = p->next)
            if (strcmp(str(p, "to"), to) == 0 && strcmp(str(p, "material"), mat) == 0)
                row = p;
        if (row == NULL) {
            /* The group's holders and sums, over every hidden release of this pair. */
            names holders = {0};
            double t = 0, week = 1e9, arrive = 1e9;
            for (cJSON *e = dels->child; e; e = e->next)
                if (is_hidden_release(m, e, viewer) && strcmp(str(e, "to"), to) == 0 &&
                    strcmp(str(e, "material"), mat) == 0) {
                    names_add(&holders, str(e, "from"));
                    t += num(e, "tonnes");
                    week = fmin(week, num(e, "week"));
                    arrive = fmin(arrive, num(e, "arrive_week"));
                }
            row = cJSON_CreateObject();
            if (row == NULL || !cJSON_AddStringToObject(row, "from", "pooled") ||
                !cJSON_AddStringToObject(row, "to", to) ||
                !cJSON_AddStringToObject(row, "material", mat) ||
                !cJSON_AddStringToObject(row, "unit", str(d, "unit")) ||
                !cJSON_AddNumberToObject(row, "week", week) ||
                !cJSON_AddNumberToObject(row, "arrive_week", arrive) ||
                !cJSON_AddStringToObject(row, "source", "stockpile") ||
                !cJSON_AddNumberToObject(row, "tonnes", t) ||
                !cJSON_AddNumberToObject(row, "holders", (double)holders.n)) {
                cJSON_Delete(row);
                cJSON_Delete(pooled);
                return -1;
            }
            cJSON_AddItemToArray(pooled, row);
        }
        cJSON_Delete(cJSON_DetachItemViaPointer(dels, d));
        d = next;
    }
    for (cJSON *p = pooled->child; p;) {
        cJSON *next = p->next;
        cJSON *row = cJSON_DetachItemViaPointer(pooled, p);
        if (num(row, "holders") >= 2) {
            cJSON_AddItemToArray(dels, row);
        } else {
            withheld++;
            cJSON_Delete(row);
        }
        p = next;
    }
    cJSON_Delete(pooled);

    for (cJSON *b = burden ? burden->child : NULL; b; b = b->next)
        if (hidden(m, b, "country", viewer)) {
            (*n_hidden)++;
            if (withhold(b, bfields, sizeof bfields / sizeof *bfields))
                return -1;
        }
    /* A total over every holder minus the rows the viewer sees is what was hidden: so when
     * anything was hidden the total is the sum of what is shown (own and public releases and
     * the pools), and tonne-weeks, which cannot be split by row here, are withheld. */
    if (releasers.n >= 1) {
        double shown = visible_released;
        for (const cJSON *d = dels ? dels->child : NULL; d; d = d->next)
            if (strcmp(str(d, "from"), "pooled") == 0)
                shown += num(d, "tonnes");
        if (set_number(doc, "released_t", shown) || set_null(doc, "shipping_tonne_weeks"))
            return -1;
    }
    if (contributors.n == 1 && set_number(doc, "burden_deviation_usd", visible_dev))
        return -1;
    cJSON *conf = cJSON_AddObjectToObject(doc, "confidentiality");
    if (conf == NULL || !cJSON_AddNumberToObject(conf, "withheld_deliveries", withheld) ||
        !cJSON_AddBoolToObject(conf, "totals_visible_only", releasers.n >= 1 || contributors.n == 1))
        return -1;
    return 0;
}

/* ---- simulate --------------------------------------------------------------------------- */

static int redact_simulate(const lode_model *m, const char *viewer, cJSON *doc, int *n_hidden)
{
    cJSON *ex = cJSON_GetObjectItemCaseSensitive(doc, "exhaustion");
    for (cJSON *x = ex ? ex->child : NULL; x;) {
        cJSON *next = x->next;
        if (hidden(m, x, "country", viewer)) {
            (*n_hidden)++;
            cJSON_Delete(cJSON_DetachItemViaPointer(ex, x));
        }
        x = next;
    }
    return 0;
}

/* The server's files are not the client's business: scenarios[].path (invest) becomes the
 * scenario's name, or "inline" for one the client sent. */
static int hide_paths(cJSON *doc)
{
    cJSON *sc = cJSON_GetObjectItemCaseSensitive(doc, "scenarios");
    for (cJSON *x = sc ? sc->child : NULL; x; x = x->next) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "path");
        if (!cJSON_IsString(p))
            continue;
        const char *base = strrchr(p->valuestring, '/');
        base = base ? base + 1 : p->valuestring;
        char name[80];
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
            n -= 5;
        if (strncmp(base, "scenario-", 9) == 0 || n >= sizeof name)
            snprintf(name, sizeof name, "inline");
        else
            snprintf(name, sizeof name, "%.*s", (int)n, base);
        cJSON *v = cJSON_CreateString(name);
        if (v == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(x, "path", v))
            return -1;
    }
    return 0;
}

int srv_redact(const lode_model *m, const char *cmd, const char *viewer, cJSON *doc)
{
    int n_hidden = 0, rc = hide_paths(doc);
    if (rc != 0)
        return -1;
    if (strcmp(cmd, "stockpile") == 0)
        rc = redact_stockpile(m, viewer, doc, &n_hidden);
    else if (strcmp(cmd, "respond") == 0)
        rc = redact_respond(m, viewer, doc, &n_hidden);
    else if (strcmp(cmd, "simulate") == 0)
        rc = redact_simulate(m, viewer, doc, &n_hidden);
    if (rc != 0)
        return -1;
    if (n_hidden > 0) {
        cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
        if (conf == NULL && (conf = cJSON_AddObjectToObject(doc, "confidentiality")) == NULL)
            return -1;
        if (!cJSON_AddStringToObject(conf, "viewer", viewer ? viewer : "") ||
            !cJSON_AddNumberToObject(conf, "withheld_items", n_hidden) ||
            !cJSON_AddStringToObject(conf, "rule",
                                     "other allies' confidential stocks are withheld; "
                                     "aggregates only over two or more holders (docs/api.md)"))
            return -1;
    }
    return n_hidden > 0;
}
