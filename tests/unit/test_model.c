/* test_model.c: the model's row mapping, id resolution and baseline (src/model/model.c), on
 * small hand-made tables with answers computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lode/model.h"

/* Hand-written schemas: only the names matter to lode_model_add_row. */
#define F(n) {n, "", "", LODE_FT_STRING, 0, 0, 0, 0, 0, NULL, 0}
static lode_field mat_f[] = {F("id"), F("name"), F("stage"), F("unit"), F("hs_codes"),
                             F("source"), F("confidence"), F("note")};
static lode_field cty_f[] = {F("iso3"), F("name"), F("kind"), F("memberships"), F("source"),
                             F("confidence"), F("note")};
static lode_field prod_f[] = {F("material"), F("country"), F("year"), F("tonnes"), F("kind"),
                              F("source"), F("confidence"), F("note")};
static lode_field rec_f[] = {F("output"), F("input"), F("grade"), F("grade_share"), F("t_per_t"),
                             F("role"), F("source"), F("confidence"), F("note")};
#define S(name, f) {name, name ".csv", f, sizeof f / sizeof f[0], NULL, 0, NULL, 0}
static lode_schema mat_s = S("materials", mat_f);
static lode_schema cty_s = S("countries", cty_f);
static lode_schema prod_s = S("production", prod_f);
static lode_schema rec_s = S("recipes", rec_f);

static lode_status add(lode_model *m, const lode_schema *s, long line, const char *const *cells)
{
    return lode_model_add_row(m, s, cells, s->n_fields, s->path, line, NULL);
}

/* Oxide (mine 2023 and 2024) -> metal at 1.2 t oxide per t metal. In 2024 the listed
 * producers cover only 50% of the world total, so 2023 is the baseline year of oxide. */
static lode_status build(lode_model *m, lode_err *err)
{
    static const char *const mats[][8] = {
        {"ox", "Oxide", "refine", "t", "", "test", "verified", ""},
        {"met", "Metal", "metal", "t", "", "test", "verified", ""},
    };
    static const char *const ctys[][7] = {
        {"CHN", "China", "country", "", "t", "verified", ""},
        {"JPN", "Japan", "country", "G7", "t", "verified", ""},
        {"ROW", "Rest of world", "residual", "", "t", "derived", ""},
        {"WLD", "World", "world", "", "t", "verified", ""},
    };
    static const char *const prod[][8] = {
        {"ox", "CHN", "2023", "90", "refinery", "t", "verified", ""},
        {"ox", "ROW", "2023", "10", "refinery", "t", "verified", ""},
        {"ox", "WLD", "2023", "100", "refinery", "t", "verified", ""},
        {"ox", "CHN", "2024", "60", "refinery", "t", "verified", ""},
        {"ox", "WLD", "2024", "120", "refinery", "t", "verified", ""},
        {"met", "CHN", "2024", "50", "refinery", "t", "verified", ""},
        {"met", "JPN", "2024", "50", "refinery", "t", "verified", ""},
    };
    static const char *const rec[][9] = {
        {"met", "ox", "standard", "1", "1.2", "consumed", "t", "derived", ""},
    };
    lode_status st = LODE_OK;
    for (size_t i = 0; st == LODE_OK && i < 2; i++)
        st = add(m, &mat_s, (long)i + 2, mats[i]);
    for (size_t i = 0; st == LODE_OK && i < 4; i++)
        st = add(m, &cty_s, (long)i + 2, ctys[i]);
    for (size_t i = 0; st == LODE_OK && i < 7; i++)
        st = add(m, &prod_s, (long)i + 2, prod[i]);
    if (st == LODE_OK)
        st = add(m, &rec_s, 2, rec[0]);
    if (st == LODE_OK)
        st = lode_model_freeze(m, err);
    return st;
}

static void test_lode_model_freeze_baseline(void **state)
{
    (void)state;
    lode_model *m = lode_model_new();
    lode_err err = {0};
    assert_int_equal(build(m, &err), LODE_OK);
    int ox = lode_model_material(m, "ox"), met = lode_model_material(m, "met");
    int chn = lode_model_country(m, "CHN"), jpn = lode_model_country(m, "JPN");
    int row = lode_model_country(m, "ROW");
    size_t nc = m->n_countries;
    assert_true(ox >= 0 && met >= 0 && chn >= 0 && jpn >= 0 && row >= 0);
    assert_int_equal(lode_model_material(m, "nope"), -1);
    /* 2024 covers 60 of 120 t (< 90%): the baseline falls back to 2023. */
    assert_int_equal(m->base.year[ox], 2023);
    assert_true(m->base.world_t[ox] == 100);
    assert_true(m->base.prod_t[(size_t)ox * nc + (size_t)chn] == 90);
    assert_true(m->base.prod_t[(size_t)ox * nc + (size_t)row] == 10);
    /* Metal has no world total: its latest year, summed. */
    assert_int_equal(m->base.year[met], 2024);
    assert_true(m->base.world_t[met] == 100);
    /* Recipes ask 120 t oxide of a world making 100 t: use is scaled by 100/120. */
    assert_true(m->base.inter_scale[ox] > 0.8333 && m->base.inter_scale[ox] < 0.8334);
    double use_jpn = m->base.inter_t[(size_t)ox * nc + (size_t)jpn];
    assert_true(use_jpn > 49.999 && use_jpn < 50.001); /* 50 t metal x 1.2 x 100/120 */
    assert_int_equal(m->frozen, 1);
    lode_model_free(m);
}

static void test_lode_model_freeze_unknown_id(void **state)
{
    (void)state;
    lode_model *m = lode_model_new();
    static const char *const mat[] = {"ox", "Oxide", "refine", "t", "", "s", "verified", ""};
    static const char *const cty[] = {"CHN", "China", "country", "", "s", "verified", ""};
    static const char *const prod[] = {"ox", "XXX", "2023", "1", "mine", "s", "verified", ""};
    assert_int_equal(add(m, &mat_s, 2, mat), LODE_OK);
    assert_int_equal(add(m, &cty_s, 2, cty), LODE_OK);
    assert_int_equal(add(m, &prod_s, 7, prod), LODE_OK);
    lode_err err = {0};
    assert_int_equal(lode_model_freeze(m, &err), LODE_EINPUT);
    assert_string_equal(err.path, "production.csv");
    assert_int_equal(err.line, 7);
    assert_string_equal(err.field, "country");
    assert_non_null(strstr(err.msg, "\"XXX\""));
    lode_model_free(m);
}

static void test_lode_model_add_row_bad_enum(void **state)
{
    (void)state;
    lode_model *m = lode_model_new();
    static const char *const mat[] = {"ox", "Oxide", "smelt", "t", "", "s", "verified", ""};
    lode_err err = {0};
    assert_int_equal(lode_model_add_row(m, &mat_s, mat, 8, "materials.csv", 3, &err),
                     LODE_EINPUT);
    assert_string_equal(err.field, "stage");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    lode_model_free(m);
}

static void test_lode_model_freeze_duplicate_id(void **state)
{
    (void)state;
    lode_model *m = lode_model_new();
    static const char *const mat[] = {"ox", "Oxide", "refine", "t", "", "s", "verified", ""};
    static const char *const cty[] = {"CHN", "China", "country", "", "s", "verified", ""};
    assert_int_equal(add(m, &mat_s, 2, mat), LODE_OK);
    assert_int_equal(add(m, &mat_s, 3, mat), LODE_OK);
    assert_int_equal(add(m, &cty_s, 2, cty), LODE_OK);
    lode_err err = {0};
    assert_int_equal(lode_model_freeze(m, &err), LODE_EINPUT);
    assert_non_null(strstr(err.msg, "duplicate id"));
    lode_model_free(m);
}

/* Fail the model arena's Nth allocation for every N until building succeeds: each failure
 * must be a clean LODE_EIO (ASan's leak check proves nothing leaks). */
static void test_lode_model_freeze_every_allocation_fails(void **state)
{
    (void)state;
    int succeeded = 0;
    for (long n = 1; n < 100000 && !succeeded; n++) {
        lode_model *m = lode_model_new();
        assert_non_null(m);
        lode_arena_fail_after(m->arena, n);
        lode_err err = {0};
        lode_status st = build(m, &err);
        if (st == LODE_OK)
            succeeded = 1;
        else
            assert_int_equal(st, LODE_EIO);
        lode_model_free(m);
    }
    assert_true(succeeded);
}

static void test_lode_list_has(void **state)
{
    (void)state;
    assert_true(lode_list_has("G7;QUAD;EU", "EU"));
    assert_true(lode_list_has("G7;QUAD;EU", "G7"));
    assert_false(lode_list_has("G7;QUAD;EU", "E"));
    assert_false(lode_list_has("", "EU"));
    assert_false(lode_list_has("G20", "G2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lode_model_freeze_baseline),
        cmocka_unit_test(test_lode_model_freeze_unknown_id),
        cmocka_unit_test(test_lode_model_add_row_bad_enum),
        cmocka_unit_test(test_lode_model_freeze_duplicate_id),
        cmocka_unit_test(test_lode_model_freeze_every_allocation_fails),
        cmocka_unit_test(test_lode_list_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
