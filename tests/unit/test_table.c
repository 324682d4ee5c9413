/* test_table.c: unit tests of src/model/table.c: datapackage.json parsing (good, bad, every
 * allocation failing in turn), CSV scanning with the exact line/column/field of each class of
 * error, line counting through quoted newlines, CRLF and BOM, canonical row writing (bytes as
 * Python's csv.writer writes them), a scan -> write_row round trip over data/ *.csv and inline
 * samples, and the malformed-input corpus in tests/bad/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lode/arena.h"
#include "lode/buf.h"
#include "lode/err.h"
#include "lode/table.h"

#ifndef LODE_DATADIR
#define LODE_DATADIR "data"
#endif

/* JSON written with ' for " so that it reads in C; returns a malloc'd copy with ' -> ". */
static char *json_q(const char *s)
{
    char *d = strdup(s), *p;
    assert_non_null(d);
    for (p = d; *p; p++)
        if (*p == '\'')
            *p = '"';
    return d;
}

/* Schemas in the shape of the bundled dataset's, for the unit tests (the round trip and the
 * tests/bad corpus use data/datapackage.json itself). */
static const char PKG[] =
    "{'name':'lodestone','resources':["
    "{'name':'materials','path':'materials.csv','schema':{'fields':["
    " {'name':'id','type':'string','constraints':{'required':true}},"
    " {'name':'name','type':'string','constraints':{'required':true}},"
    " {'name':'stage','type':'string','constraints':{'required':true,"
    "  'enum':['mine','refine','metal','component']}},"
    " {'name':'unit','type':'string'},{'name':'hs_codes','type':'string'},"
    " {'name':'source','type':'string','constraints':{'required':true}},"
    " {'name':'confidence','type':'string'},{'name':'note','type':'string'}],"
    " 'primaryKey':'id'}},"
    "{'name':'countries','path':'countries.csv','schema':{'fields':["
    " {'name':'iso3','type':'string','constraints':{'required':true}},"
    " {'name':'name','type':'string','constraints':{'required':true}},"
    " {'name':'memberships','type':'string'},"
    " {'name':'source','type':'string','constraints':{'required':true}},"
    " {'name':'confidence','type':'string'},{'name':'note','type':'string'}],"
    " 'primaryKey':['iso3']}},"
    "{'name':'production','path':'production.csv','schema':{'fields':["
    " {'name':'material','type':'string','constraints':{'required':true}},"
    " {'name':'country','type':'string','constraints':{'required':true}},"
    " {'name':'year','type':'integer','constraints':{'required':true,'minimum':1900,"
    "  'maximum':2100}},"
    " {'name':'tonnes','type':'number','unit':'t','description':'output',"
    "  'constraints':{'required':true,'minimum':0}},"
    " {'name':'kind','type':'string','constraints':{'required':true,"
    "  'enum':['mine','refinery','plant']}},"
    " {'name':'source','type':'string','constraints':{'required':true}},"
    " {'name':'confidence','type':'string'},{'name':'note','type':'string'}],"
    " 'primaryKey':['material','country','year','kind'],"
    " 'foreignKeys':[{'fields':'material','reference':{'resource':'materials','fields':'id'}},"
    "  {'fields':['country'],'reference':{'resource':'countries','fields':['iso3']}}]}},"
    "{'name':'trade','path':'trade.csv','schema':{'fields':["
    " {'name':'material','type':'string','constraints':{'required':true}},"
    " {'name':'exporter','type':'string','constraints':{'required':true}},"
    " {'name':'importer','type':'string','constraints':{'required':true}},"
    " {'name':'year','type':'integer','constraints':{'required':true}},"
    " {'name':'tonnes','type':'number','unit':'t','constraints':{'required':true,'minimum':0}},"
    " {'name':'source','type':'string','constraints':{'required':true}},"
    " {'name':'confidence','type':'string'},{'name':'note','type':'string'}]}},"
    "{'name':'prices','path':'prices.csv','schema':{'fields':["
    " {'name':'material','type':'string','constraints':{'required':true}},"
    " {'name':'date','type':'string','constraints':{'required':true}},"
    " {'name':'price','type':'number','constraints':{'required':true,'minimum':0}},"
    " {'name':'unit','type':'string','constraints':{'required':true}},"
    " {'name':'basis','type':'string'},"
    " {'name':'source','type':'string','constraints':{'required':true}},"
    " {'name':'confidence','type':'string'},{'name':'note','type':'string'}]}},"
    "{'name':'selfref','path':'selfref.csv','schema':{'fields':["
    " {'name':'id'},{'name':'parent'}],"
    " 'foreignKeys':[{'fields':'parent','reference':{'resource':'','fields':'id'}}]}}"
    "]}";

#define HDR "material,country,year,tonnes,kind,source,confidence,note\n"

typedef struct fixture {
    lode_arena *a;
    lode_package pkg;
    const lode_schema *prod;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char *json = json_q(PKG);
    lode_err e;
    if (fx == NULL)
        return -1;
    fx->a = lode_arena_new();
    if (lode_package_parse(json, strlen(json), "datapackage.json", fx->a, &fx->pkg, &e) !=
        LODE_OK) {
        char buf[512];
        fprintf(stderr, "setup: %s\n", lode_err_fmt(&e, buf, sizeof buf));
        free(json);
        return -1;
    }
    free(json);
    fx->prod = lode_package_find(&fx->pkg, "production");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    lode_arena_free(fx->a);
    free(fx);
    return 0;
}

/* ---- lode_package_parse ------------------------------------------------------------------- */

static void test_lode_package_parse_good(void **state)
{
    fixture *fx = *state;
    const lode_schema *s = fx->prod, *self;
    const lode_field *f;
    (void)state;
    assert_string_equal(fx->pkg.name, "lodestone");
    assert_int_equal(fx->pkg.n_res, 6);
    assert_non_null(s);
    assert_string_equal(s->name, "production");
    assert_string_equal(s->path, "production.csv");
    assert_int_equal(s->n_fields, 8);
    f = &s->fields[2];
    assert_string_equal(f->name, "year");
    assert_int_equal(f->type, LODE_FT_INTEGER);
    assert_true(f->required && f->has_min && f->has_max);
    assert_true(f->min == 1900 && f->max == 2100);
    f = &s->fields[3];
    assert_int_equal(f->type, LODE_FT_NUMBER);
    assert_string_equal(f->unit, "t");
    assert_string_equal(f->description, "output");
    assert_true(f->has_min && !f->has_max);
    f = &s->fields[4];
    assert_int_equal(f->n_enum, 3);
    assert_string_equal(f->enums[0], "mine");
    assert_string_equal(f->enums[2], "plant");
    f = &s->fields[7];
    assert_int_equal(f->type, LODE_FT_STRING);
    assert_false(f->required);
    assert_string_equal(f->unit, "");
    assert_string_equal(f->description, "");
    assert_null(f->enums);
    assert_int_equal(s->n_pkey, 4);
    assert_int_equal(s->pkey[0], 0);
    assert_int_equal(s->pkey[3], 4);
    assert_int_equal(s->n_fkeys, 2);
    assert_int_equal(s->fkeys[1].field, 1);
    assert_string_equal(s->fkeys[1].ref_resource, "countries");
    assert_string_equal(s->fkeys[1].ref_field, "iso3");
    /* primaryKey as a plain string */
    assert_int_equal(lode_package_find(&fx->pkg, "materials")->n_pkey, 1);
    /* a missing type is "string"; a "" reference is the resource itself */
    self = lode_package_find(&fx->pkg, "selfref");
    assert_int_equal(self->fields[1].type, LODE_FT_STRING);
    assert_string_equal(self->fkeys[0].ref_resource, "selfref");
}

static void test_lode_package_find_and_field(void **state)
{
    fixture *fx = *state;
    assert_null(lode_package_find(&fx->pkg, "nope"));
    assert_null(lode_package_find(NULL, "production"));
    assert_null(lode_package_find(&fx->pkg, NULL));
    assert_int_equal(lode_schema_field(fx->prod, "kind"), 4);
    assert_int_equal(lode_schema_field(fx->prod, "material"), 0);
    assert_int_equal(lode_schema_field(fx->prod, "Kind"), -1);
    assert_int_equal(lode_schema_field(NULL, "kind"), -1);
}

typedef struct bad_pkg {
    const char *json; /* with ' for " */
    const char *field;
    const char *msg;
} bad_pkg;

#define R0 "{'resources':[{'name':'r','path':'r.csv','schema':{'fields':["
static const bad_pkg BAD_PKGS[] = {
    {"[]", "", "expected a JSON object at the top level"},
    {"{}", "resources", "missing"},
    {"{'resources':{}}", "resources", "expected a non-empty array"},
    {"{'resources':[]}", "resources", "expected a non-empty array"},
    {"{'resources':[1]}", "resources[0]", "expected an object"},
    {"{'name':5,'resources':[{}]}", "name", "expected a string"},
    {"{'resources':[{'path':'x'}]}", "resources[0].name", "missing"},
    {"{'resources':[{'name':'','path':'x'}]}", "resources[0]", "empty resource name"},
    {"{'resources':[{'name':'r'}]}", "resources[0].path", "missing"},
    {"{'resources':[{'name':'r','path':['a']}]}", "resources[0].path", "expected a string"},
    {"{'resources':[{'name':'r','path':'p'}]}", "resources[0].schema", "missing"},
    {"{'resources':[{'name':'r','path':'p','schema':'s'}]}", "resources[0].schema",
     "expected an object"},
    {"{'resources':[{'name':'r','path':'p','schema':{}}]}", "resources[0].schema.fields",
     "missing"},
    {R0 "]}}]}", "resources[0].schema.fields", "expected a non-empty array"},
    {R0 "'a']}}]}", "resources[0].schema.fields[0]", "expected an object"},
    {R0 "{'type':'string'}]}}]}", "resources[0].schema.fields[0].name", "missing"},
    {R0 "{'name':''}]}}]}", "resources[0].schema.fields[0]", "empty field name"},
    {R0 "{'name':'a'},{'name':'b','type':'date'}]}}]}", "resources[0].schema.fields[1].type",
     "unknown type \"date\" (expected string, number or integer)"},
    {R0 "{'name':'a','type':3}]}}]}", "resources[0].schema.fields[0].type", "expected a string"},
    {R0 "{'name':'a','unit':[]}]}}]}", "resources[0].schema.fields[0].unit", "expected a string"},
    {R0 "{'name':'a'},{'name':'a'}]}}]}", "resources[0].schema.fields[1]",
     "duplicate field name \"a\""},
    {R0 "{'name':'a','constraints':[]}]}}]}", "resources[0].schema.fields[0].constraints",
     "expected an object"},
    {R0 "{'name':'a','constraints':{'pattern':'x'}}]}}]}",
     "resources[0].schema.fields[0].constraints", "unsupported constraint \"pattern\""},
    {R0 "{'name':'a','constraints':{'required':'yes'}}]}}]}",
     "resources[0].schema.fields[0].constraints.required", "expected true or false"},
    {R0 "{'name':'a','type':'number','constraints':{'minimum':'0'}}]}}]}",
     "resources[0].schema.fields[0].constraints.minimum", "expected a finite number"},
    {R0 "{'name':'a','type':'number','constraints':{'maximum':1e999}}]}}]}",
     "resources[0].schema.fields[0].constraints.maximum", "expected a finite number"},
    {R0 "{'name':'a','constraints':{'minimum':0}}]}}]}",
     "resources[0].schema.fields[0].constraints",
     "minimum and maximum need a number or integer field"},
    {R0 "{'name':'a','type':'integer','constraints':{'minimum':5,'maximum':1}}]}}]}",
     "resources[0].schema.fields[0].constraints", "minimum is above maximum"},
    {R0 "{'name':'a','constraints':{'enum':[]}}]}}]}",
     "resources[0].schema.fields[0].constraints.enum", "expected a non-empty array of strings"},
    {R0 "{'name':'a','constraints':{'enum':['x',2]}}]}}]}",
     "resources[0].schema.fields[0].constraints.enum[1]", "expected a string"},
    {R0 "{'name':'a'}],'primaryKey':'b'}}]}", "resources[0].schema.primaryKey",
     "unknown field \"b\""},
    {R0 "{'name':'a'}],'primaryKey':[]}}]}", "resources[0].schema.primaryKey",
     "expected a field name or a non-empty array of them"},
    {R0 "{'name':'a'}],'primaryKey':{}}}]}", "resources[0].schema.primaryKey",
     "expected a field name or a non-empty array of them"},
    {R0 "{'name':'a'}],'primaryKey':['a',1]}}]}", "resources[0].schema.primaryKey[1]",
     "expected a string"},
    {R0 "{'name':'a'}],'primaryKey':['a','a']}}]}", "resources[0].schema.primaryKey[1]",
     "field \"a\" appears twice"},
    {R0 "{'name':'a'}],'foreignKeys':{}}}]}", "resources[0].schema.foreignKeys",
     "expected an array"},
    {R0 "{'name':'a'}],'foreignKeys':[3]}}]}", "resources[0].schema.foreignKeys[0]",
     "expected an object"},
    {R0 "{'name':'a'},{'name':'b'}],'foreignKeys':[{'fields':['a','b'],"
        "'reference':{'resource':'r','fields':['a','b']}}]}}]}",
     "resources[0].schema.foreignKeys[0].fields", "multi-column foreign keys are not supported"},
    {R0 "{'name':'a'}],'foreignKeys':[{'reference':{'resource':'r','fields':'a'}}]}}]}",
     "resources[0].schema.foreignKeys[0].fields", "missing"},
    {R0
     "{'name':'a'}],'foreignKeys':[{'fields':'z','reference':{'resource':'r','fields':'a'}}]}}]}",
     "resources[0].schema.foreignKeys[0].fields", "unknown field \"z\""},
    {R0 "{'name':'a'}],'foreignKeys':[{'fields':'a'}]}}]}",
     "resources[0].schema.foreignKeys[0].reference", "missing"},
    {R0 "{'name':'a'}],'foreignKeys':[{'fields':'a','reference':{'fields':'a'}}]}}]}",
     "resources[0].schema.foreignKeys[0].reference.resource", "missing"},
    {R0 "{'name':'a'}],'foreignKeys':[{'fields':'a','reference':{'resource':'r',"
        "'fields':['a','b']}}]}}]}",
     "resources[0].schema.foreignKeys[0].reference.fields",
     "multi-column foreign keys are not supported"},
    {R0 "{'name':'a'}],'foreignKeys':[{'fields':'a','reference':{'resource':'q',"
        "'fields':'a'}}]}}]}",
     "resources[0].schema.foreignKeys[0].reference", "unknown resource \"q\""},
    {R0 "{'name':'a'}],'foreignKeys':[{'fields':'a','reference':{'resource':'',"
        "'fields':'y'}}]}}]}",
     "resources[0].schema.foreignKeys[0].reference", "unknown field \"y\" in resource \"r\""},
    {"{'resources':[{'name':'r','path':'a','schema':{'fields':[{'name':'a'}]}},"
     "{'name':'r','path':'b','schema':{'fields':[{'name':'a'}]}}]}",
     "resources[1]", "duplicate resource name \"r\""},
    {"{'resources':[{'name':'r\xff','path':'a'}]}", "resources[0].name", "invalid UTF-8 in string"},
};

static void test_lode_package_parse_bad(void **state)
{
    lode_arena *a = lode_arena_new();
    lode_package p;
    lode_err e;
    size_t i;
    char *json;
    (void)state;
    for (i = 0; i < sizeof BAD_PKGS / sizeof BAD_PKGS[0]; i++) {
        json = json_q(BAD_PKGS[i].json);
        memset(&e, 0, sizeof e);
        if (lode_package_parse(json, strlen(json), "dp.json", a, &p, &e) != LODE_EINPUT)
            fail_msg("case %zu (%s): not LODE_EINPUT", i, json);
        if (strcmp(e.field, BAD_PKGS[i].field) != 0 || strcmp(e.msg, BAD_PKGS[i].msg) != 0)
            fail_msg("case %zu (%s): got field '%s' msg '%s', want field '%s' msg '%s'", i, json,
                     e.field, e.msg, BAD_PKGS[i].field, BAD_PKGS[i].msg);
        assert_string_equal(e.path, "dp.json");
        assert_int_equal(p.n_res, 0);
        assert_null(p.res);
        free(json);
    }
    lode_arena_free(a);
}

static void test_lode_package_parse_bad_json(void **state)
{
    static const char json[] = "{\"resources\": [\n  {\"name\": \"x\",\n   \"path\" 1}]}";
    lode_arena *a = lode_arena_new();
    lode_package p;
    lode_err e;
    (void)state;
    assert_int_equal(lode_package_parse(json, sizeof json - 1, "dp.json", a, &p, &e), LODE_EINPUT);
    assert_string_equal(e.msg, "invalid JSON at byte 42");
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 11);
    assert_int_equal(lode_package_parse("", 0, "dp.json", a, &p, &e), LODE_EINPUT);
    assert_string_equal(e.msg, "invalid JSON at byte 0");
    assert_int_equal(lode_package_parse(NULL, 5, "dp.json", a, &p, &e), LODE_EINPUT);
    /* trailing garbage after the value */
    assert_int_equal(lode_package_parse("{} x", 4, "dp.json", a, &p, &e), LODE_EINPUT);
    assert_string_equal(e.msg, "invalid JSON at byte 3");
    /* len is respected: the text after it is not read */
    assert_int_equal(lode_package_parse("{}}", 2, "dp.json", a, &p, &e), LODE_EINPUT);
    assert_string_equal(e.field, "resources");
    lode_arena_free(a);
}

static void test_lode_package_load_missing(void **state)
{
    lode_arena *a = lode_arena_new();
    lode_package p;
    lode_err e;
    (void)state;
    assert_int_equal(lode_package_load("/nonexistent/datapackage.json", a, &p, &e), LODE_EIO);
    assert_string_equal(e.path, "/nonexistent/datapackage.json");
    assert_string_equal(e.msg, "cannot read: No such file or directory");
    lode_arena_free(a);
}

static void test_lode_package_load_file(void **state)
{
    char dir[] = "/tmp/lode_test_table_XXXXXX", path[128];
    char *json = json_q(PKG);
    lode_arena *a = lode_arena_new();
    lode_package p;
    lode_err e;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/datapackage.json", dir);
    assert_int_equal(lode_file_write(path, json, strlen(json), &e), LODE_OK);
    assert_int_equal(lode_package_load(path, a, &p, &e), LODE_OK);
    assert_int_equal(p.n_res, 6);
    remove(path);
    remove(dir);
    free(json);
    lode_arena_free(a);
}

/* Every arena allocation of a parse fails in turn: each is a clean LODE_EIO (ASan: no leak). */
static void test_lode_package_parse_fault_injection(void **state)
{
    char *json = json_q(PKG);
    lode_arena *a;
    lode_package p;
    lode_err e;
    lode_status st = LODE_EIO;
    long n;
    (void)state;
    for (n = 1; n < 1000 && st != LODE_OK; n++) {
        a = lode_arena_new();
        lode_arena_fail_after(a, n);
        st = lode_package_parse(json, strlen(json), "dp.json", a, &p, &e);
        if (st != LODE_OK) {
            assert_int_equal(st, LODE_EIO);
            assert_string_equal(e.msg, "out of memory");
            assert_int_equal(p.n_res, 0);
        }
        lode_arena_free(a);
    }
    assert_int_equal(st, LODE_OK);
    assert_true(n > 50); /* the package needs many allocations: injection really ran */
    free(json);
}

/* ---- lode_parse_number / lode_csv_check_cell ---------------------------------------------- */

static void test_lode_parse_number_accepts(void **state)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {{"0", 0},        {"12", 12},
              {"-3", -3},      {"12.5", 12.5},
              {"0.001", .001}, {".5", .5},
              {"5.", 5},       {"1e3", 1000},
              {"1E-2", .01},   {"2.5e+2", 250},
              {"-0", 0},       {"007", 7},
              {"1e-400", 0},   {"1.7976931348623157e308", 1.7976931348623157e308}};
    double v;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        v = -99;
        if (!lode_parse_number(ok[i].s, &v) || v != ok[i].v)
            fail_msg("\"%s\": got %g", ok[i].s, v);
    }
}

static void test_lode_parse_number_rejects(void **state)
{
    static const char *const bad[] = {"",    " 12", "12 ",  "+12",      "12,5", "1,000", "nan",
                                      "NaN", "inf", "-inf", "Infinity", "0x10", "1e400", "-1e400",
                                      "-",   ".",   "-.",   "e5",       "1e",   "1e+",   "1.2.3",
                                      "12a", "١٢",  "\t1",  "1\n"};
    double v = 42;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lode_parse_number(bad[i], &v))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_true(v == 42); /* *out untouched on failure */
    assert_false(lode_parse_number(NULL, &v));
}

static void test_lode_csv_check_cell_messages(void **state)
{
    fixture *fx = *state;
    static const struct {
        size_t col;
        const char *cell;
        const char *msg; /* NULL: passes */
    } c[] = {
        {0, "REO_conc", NULL},
        {0, "", "required value is empty"},
        {6, "", NULL},
        {2, "2023", NULL},
        {2, "2023.5", "expected an integer, got \"2023.5\""},
        {2, "2023.0", "expected an integer, got \"2023.0\""},
        {2, "1e3", "expected an integer, got \"1e3\""},
        {2, "1800", "expected a value >= 1900, got 1800"},
        {2, "2101", "expected a value <= 2100, got 2101"},
        {2, "99999999999999999999", "integer out of range, got \"99999999999999999999\""},
        {3, "-3", "expected a value >= 0, got -3 (unit: t)"},
        {3, "12,5", "expected a number, got \"12,5\""},
        {3, "nan", "expected a number, got \"nan\""},
        {3, "inf", "expected a number, got \"inf\""},
        {3, " 12", "expected a number, got \" 12\""},
        {3, "+12", "expected a number, got \"+12\""},
        {3, "0x10", "expected a number, got \"0x10\""},
        {3, "1e400", "number out of range, got \"1e400\""},
        {3, "a\"b\nc", "expected a number, got \"a\\\"b\\nc\""},
        {3, "0123456789012345678901234567890123456789xyz",
         "expected a number, got \"0123456789012345678901234567890123456789...\""},
        {4, "mine", NULL},
        {4, "mines", "expected one of mine|refinery|plant, got \"mines\""},
        {4, "Mine", "expected one of mine|refinery|plant, got \"Mine\""},
    };
    lode_err e;
    size_t i;
    lode_status st;
    for (i = 0; i < sizeof c / sizeof c[0]; i++) {
        memset(&e, 0, sizeof e);
        st = lode_csv_check_cell(fx->prod, c[i].col, c[i].cell, "p.csv", 7, &e);
        if (c[i].msg == NULL) {
            if (st != LODE_OK)
                fail_msg("\"%s\": %s", c[i].cell, e.msg);
            continue;
        }
        if (st != LODE_EINPUT || strcmp(e.msg, c[i].msg) != 0)
            fail_msg("\"%s\": got '%s', want '%s'", c[i].cell, e.msg, c[i].msg);
        assert_int_equal(e.line, 7);
        assert_int_equal(e.column, (long)c[i].col + 1);
        assert_string_equal(e.field, fx->prod->fields[c[i].col].name);
        assert_string_equal(e.path, "p.csv");
    }
    assert_int_equal(lode_csv_check_cell(fx->prod, 8, "x", "p.csv", 1, &e), LODE_EINPUT);
    /* a long value is cut at a character boundary, never inside a UTF-8 sequence */
    assert_int_equal(lode_csv_check_cell(fx->prod, 4,
                                         "0123456789012345678901234567890123456\xc3\xa9\xc3\xa9x",
                                         "p.csv", 1, &e),
                     LODE_EINPUT);
    assert_non_null(strstr(e.msg, "\"0123456789012345678901234567890123456\xc3\xa9...\""));
}

/* ---- lode_csv_scan: errors ---------------------------------------------------------------- */

typedef struct scase {
    const char *name;
    const char *csv;
    size_t len; /* 0: strlen(csv) */
    long line, column;
    const char *field;
    const char *msg;
} scase;

#define ROW_OK "REO_conc,USA,2023,41600,mine,USGS,verified,\n"
static const scase SCASES[] = {
    {"empty", "", 0, 1, 0, "", "empty file: expected a header row"},
    {"bom only", "\xEF\xBB\xBF", 0, 1, 0, "", "empty file: expected a header row"},
    {"blank lines only", "\n\r\n\n", 0, 1, 0, "", "empty file: expected a header row"},
    {"header misspelt", "material,country,yr,tonnes,kind,source,confidence,note\n", 0, 1, 3, "year",
     "header: expected column 3 'year', got 'yr'"},
    {"header missing column", "material,country,year,tonnes,kind,source,confidence\n", 0, 1, 8,
     "note", "header: missing column 8 'note'"},
    {"header extra column", "material,country,year,tonnes,kind,source,confidence,note,x\n", 0, 1, 9,
     "", "header: unexpected column 9 'x'"},
    {"header case", "Material,country,year,tonnes,kind,source,confidence,note\n", 0, 1, 1,
     "material", "header: expected column 1 'material', got 'Material'"},
    {"fewer cells", HDR ROW_OK "REO_conc,USA,2024,1,mine,USGS,verified\n", 0, 3, 8, "note",
     "expected 8 columns, got 7"},
    {"more cells", HDR ROW_OK "REO_conc,USA,2024,1,mine,USGS,verified,,x\n", 0, 3, 9, "",
     "expected 8 columns, got 9"},
    {"one cell", HDR "x\n", 0, 2, 2, "country", "expected 8 columns, got 1"},
    {"thousands comma", HDR "REO_conc,USA,2023,\"12,5\",mine,USGS,,\n", 0, 2, 4, "tonnes",
     "expected a number, got \"12,5\""},
    {"negative", HDR "REO_conc,USA,2023,-3,mine,USGS,,\n", 0, 2, 4, "tonnes",
     "expected a value >= 0, got -3 (unit: t)"},
    {"space in number", HDR "REO_conc,USA,2023, 12,mine,USGS,,\n", 0, 2, 4, "tonnes",
     "expected a number, got \" 12\""},
    {"bad year", HDR "REO_conc,USA,2023.5,1,mine,USGS,,\n", 0, 2, 3, "year",
     "expected an integer, got \"2023.5\""},
    {"empty required", HDR "REO_conc,,2023,1,mine,USGS,,\n", 0, 2, 2, "country",
     "required value is empty"},
    {"bad enum", HDR "REO_conc,USA,2023,1,mines,USGS,,\n", 0, 2, 5, "kind",
     "expected one of mine|refinery|plant, got \"mines\""},
    {"utf8 middle",
     HDR "REO_conc,USA,2023,1,mine,USGS,,ab\xE9"
         "cd\n",
     0, 2, 8, "note", "invalid UTF-8 at byte 3 of the cell (0xe9)"},
    {"utf8 end of cell", HDR "REO_conc,USA,2023,1,mine,US\xC3,,\n", 0, 2, 6, "source",
     "invalid UTF-8 at byte 3 of the cell (0xc3)"},
    {"utf8 end of file", HDR "REO_conc,USA,2023,1,mine,USGS,,x\xE2\x82", 0, 2, 8, "note",
     "invalid UTF-8 at byte 2 of the cell (0xe2)"},
    {"utf8 overlong", HDR "REO_conc,USA,2023,1,mine,USGS,,\xC0\xAF\n", 0, 2, 8, "note",
     "invalid UTF-8 at byte 1 of the cell (0xc0)"},
    {"utf8 surrogate", HDR "REO_conc,USA,2023,1,mine,USGS,,\xED\xA0\x80\n", 0, 2, 8, "note",
     "invalid UTF-8 at byte 1 of the cell (0xed)"},
    {"utf8 in header", "material,country,year,tonnes,kind,source,confidence,n\xF8te\n", 0, 1, 8,
     "note", "invalid UTF-8 at byte 2 of the cell (0xf8)"},
    {"nul byte", HDR "REO_conc,USA,2023,1,mine,US\0GS,,\n", sizeof(HDR) + 32, 2, 6, "source",
     "cell holds a NUL byte at offset 2"},
    {"unterminated quote", HDR ROW_OK "REO_conc,USA,2024,1,mine,\"USGS,,\nmore\n", 0, 3, 6,
     "source", "unterminated quoted field"},
    {"quote in unquoted field", HDR "REO_conc,USA,2023,1,mine,US\"GS,,\n", 0, 2, 6, "source",
     "quote in an unquoted field (quote the whole field and double the quote)"},
    {"text after closing quote", HDR "REO_conc,USA,2023,1,mine,\"US\"GS,,\n", 0, 2, 6, "source",
     "unexpected character after a closing quote (a quote inside a quoted field must be "
     "doubled)"},
    {"space after closing quote", HDR "REO_conc,USA,2023,1,mine,\"USGS\" ,,\n", 0, 2, 6, "source",
     "unexpected character after a closing quote (a quote inside a quoted field must be "
     "doubled)"},
    {"quoted newlines count",
     HDR "A,USA,2023,1,mine,\"line\none\n\",,\"x\r\ny\"\n" ROW_OK "B,USA,2023,x,mine,USGS,,\n", 0,
     7, 4, "tonnes", "expected a number, got \"x\""},
    {"crlf",
     "material,country,year,tonnes,kind,source,confidence,note\r\n"
     "REO_conc,USA,2023,1,mine,USGS,,\r\nREO_conc,USA,2023,-1,mine,USGS,,\r\n",
     0, 3, 4, "tonnes", "expected a value >= 0, got -1 (unit: t)"},
    {"blank lines counted",
     HDR "\n" ROW_OK "\r\n\n"
         "REO_conc,USA,2023,1,plant,,,\n",
     0, 6, 6, "source", "required value is empty"},
    {"bare cr", HDR ROW_OK "\rREO_conc,USA,2023,1,min,USGS,,\r", 0, 4, 5, "kind",
     "expected one of mine|refinery|plant, got \"min\""},
    {"bom then error", "\xEF\xBB\xBF" HDR "REO_conc,USA,2023,1,mine,USGS,,\"\n", 0, 2, 8, "note",
     "unterminated quoted field"},
    {"binary", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, 1, 1, "material",
     "invalid UTF-8 at byte 1 of the cell (0x89)"},
};

static lode_status count_rows(void *ctx, const char *const *cells, size_t n, long line,
                              lode_err *err)
{
    (void)cells;
    (void)n;
    (void)line;
    (void)err;
    ++*(long *)ctx;
    return LODE_OK;
}

static void test_lode_csv_scan_errors(void **state)
{
    fixture *fx = *state;
    const scase *c;
    lode_err e;
    long rows;
    size_t i;
    lode_status st;
    for (i = 0; i < sizeof SCASES / sizeof SCASES[0]; i++) {
        c = &SCASES[i];
        memset(&e, 0, sizeof e);
        rows = 0;
        st = lode_csv_scan(c->csv, c->len ? c->len : strlen(c->csv), "p.csv", fx->prod, count_rows,
                           &rows, &e);
        if (st != LODE_EINPUT || e.line != c->line || e.column != c->column ||
            strcmp(e.field, c->field) != 0 || strcmp(e.msg, c->msg) != 0)
            fail_msg("case '%s': got %d at %ld:%ld field '%s' '%s'; want %ld:%ld field '%s' '%s'",
                     c->name, st, e.line, e.column, e.field, e.msg, c->line, c->column, c->field,
                     c->msg);
        assert_string_equal(e.path, "p.csv");
    }
}

static void test_lode_csv_scan_record_too_long(void **state)
{
    fixture *fx = *state;
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    long rows = 0;
    size_t i;
    lode_buf_puts(&b, HDR ROW_OK "REO_conc,USA,2023,1,mine,USGS,,");
    for (i = 0; i < (size_t)LODE_CSV_MAX_LINE; i += 64)
        lode_buf_puts(&b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    lode_buf_puts(&b, "\n");
    assert_int_equal(lode_csv_scan(b.data, b.len, "p.csv", fx->prod, count_rows, &rows, &e),
                     LODE_EINPUT);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 8);
    assert_string_equal(e.field, "note");
    assert_string_equal(e.msg, "record longer than 1048576 bytes");
    assert_int_equal(rows, 1);
    /* a record of exactly the limit, not counting its line break, passes */
    b.len = 0;
    lode_buf_puts(&b, HDR "REO_conc,USA,2023,1,mine,USGS,,");
    for (i = 31; i < (size_t)LODE_CSV_MAX_LINE; i++)
        lode_buf_add(&b, "x", 1);
    lode_buf_puts(&b, "\r\n");
    rows = 0;
    assert_int_equal(lode_csv_scan(b.data, b.len, "p.csv", fx->prod, count_rows, &rows, &e),
                     LODE_OK);
    assert_int_equal(rows, 1);
    /* one byte more, spread over a quoted multi-line cell, fails */
    b.len = 0;
    lode_buf_puts(&b, HDR "REO_conc,USA,2023,1,mine,USGS,,\"");
    for (i = 32; i < (size_t)LODE_CSV_MAX_LINE; i++)
        lode_buf_add(&b, i % 1000 ? "x" : "\n", 1);
    lode_buf_puts(&b, "\"\n");
    assert_int_equal(lode_csv_scan(b.data, b.len, "p.csv", fx->prod, count_rows, &rows, &e),
                     LODE_EINPUT);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.msg, "record longer than 1048576 bytes");
    lode_buf_free(&b);
}

/* ---- lode_csv_scan: rows ------------------------------------------------------------------ */

typedef struct collect {
    lode_buf out;   /* rows written back with lode_csv_write_row */
    long lines[16]; /* line of each row */
    size_t n;
} collect;

static lode_status collect_row(void *ctx, const char *const *cells, size_t n, long line,
                               lode_err *err)
{
    collect *c = ctx;
    (void)err;
    if (c->n < 16)
        c->lines[c->n] = line;
    c->n++;
    lode_csv_write_row(&c->out, cells, n);
    return LODE_OK;
}

static void test_lode_csv_scan_lines_and_cells(void **state)
{
    fixture *fx = *state;
    static const char csv[] = "\xEF\xBB\xBF" HDR "A,USA,2023,1,mine,\"two\nlines\",,\n"
                              "\n"
                              "B,CHN,2024,2.5,refinery,\"say \"\"hi\"\"\",,\"a,b\"\r\n"
                              "C,AUS,2025,0,plant,\"three\r\nline\ncell\",, x \n"
                              "D,AUS,2025,0,plant,s,,last";
    collect c;
    lode_err e;
    memset(&c, 0, sizeof c);
    assert_int_equal(lode_csv_scan(csv, sizeof csv - 1, "p.csv", fx->prod, collect_row, &c, &e),
                     LODE_OK);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.lines[0], 2);
    assert_int_equal(c.lines[1], 5);
    assert_int_equal(c.lines[2], 6);
    assert_int_equal(c.lines[3], 9);
    assert_string_equal(c.out.data, "A,USA,2023,1,mine,\"two\nlines\",,\n"
                                    "B,CHN,2024,2.5,refinery,\"say \"\"hi\"\"\",,\"a,b\"\n"
                                    "C,AUS,2025,0,plant,\"three\r\nline\ncell\",, x \n"
                                    "D,AUS,2025,0,plant,s,,last\n");
    lode_buf_free(&c.out);
}

static lode_status stop_at_second(void *ctx, const char *const *cells, size_t n, long line,
                                  lode_err *err)
{
    (void)cells;
    (void)n;
    if (++*(long *)ctx == 2)
        return LODE_FAIL(err, LODE_ENOSOLN, "cb", line, "", "stop");
    return LODE_OK;
}

static void test_lode_csv_scan_callback_stops(void **state)
{
    fixture *fx = *state;
    static const char csv[] = HDR ROW_OK ROW_OK ROW_OK;
    lode_err e;
    long rows = 0;
    assert_int_equal(
        lode_csv_scan(csv, sizeof csv - 1, "p.csv", fx->prod, stop_at_second, &rows, &e),
        LODE_ENOSOLN);
    assert_int_equal(rows, 2);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.msg, "stop");
    /* header only: no rows, no error; a NULL callback is allowed */
    rows = 0;
    assert_int_equal(lode_csv_scan(HDR, strlen(HDR), "p.csv", fx->prod, count_rows, &rows, &e),
                     LODE_OK);
    assert_int_equal(rows, 0);
    assert_int_equal(lode_csv_scan(csv, sizeof csv - 1, "p.csv", fx->prod, NULL, NULL, NULL),
                     LODE_OK);
}

/* ---- lode_csv_write_row ------------------------------------------------------------------- */

/* Expected bytes produced by Python 3.11: csv.writer(f, lineterminator='\n').writerow(row) */
static void test_lode_csv_write_row_python(void **state)
{
    static const char *const r1[] = {"a", "b c", " lead", "trail ", ""};
    static const char *const r2[] = {"x,y", "say \"hi\"", "multi\nline", "tab\there",
                                     "\xc3\xa9, \xc3\xbc"};
    static const char *const r3[] = {""};
    static const char *const r4[] = {"", ""};
    static const char *const r5[] = {"\""};
    static const char *const r6[] = {"a\r\nb"};
    static const char *const r7[] = {"lone\rcr"}; /* Python 3.11 leaves this unquoted */
    lode_buf b = LODE_BUF_INIT;
    (void)state;
    lode_csv_write_row(&b, r1, 5);
    assert_string_equal(b.data, "a,b c, lead,trail ,\n");
    b.len = 0;
    lode_csv_write_row(&b, r2, 5);
    assert_string_equal(
        b.data, "\"x,y\",\"say \"\"hi\"\"\",\"multi\nline\",tab\there,\"\xc3\xa9, \xc3\xbc\"\n");
    b.len = 0;
    lode_csv_write_row(&b, r3, 1);
    assert_string_equal(b.data, "\"\"\n");
    b.len = 0;
    lode_csv_write_row(&b, r4, 2);
    assert_string_equal(b.data, ",\n");
    b.len = 0;
    lode_csv_write_row(&b, r5, 1);
    assert_string_equal(b.data, "\"\"\"\"\n");
    b.len = 0;
    lode_csv_write_row(&b, r6, 1);
    assert_string_equal(b.data, "\"a\r\nb\"\n");
    b.len = 0;
    lode_csv_write_row(&b, r7, 1);
    assert_string_equal(b.data, "\"lone\rcr\"\n");
    b.len = 0;
    lode_csv_write_row(&b, NULL, 0);
    assert_string_equal(b.data, "\n");
    lode_buf_free(&b);
}

/* ---- round trip --------------------------------------------------------------------------- */

/* Scan text against s and write header and rows back: the bytes must be the same. */
static void roundtrip(const char *name, const char *text, size_t len, const lode_schema *s)
{
    collect c;
    lode_err e;
    char msg[512];
    const char **hdr = calloc(s->n_fields, sizeof *hdr);
    size_t i, at;
    memset(&c, 0, sizeof c);
    assert_non_null(hdr);
    for (i = 0; i < s->n_fields; i++)
        hdr[i] = s->fields[i].name;
    lode_csv_write_row(&c.out, hdr, s->n_fields);
    if (lode_csv_scan(text, len, name, s, collect_row, &c, &e) != LODE_OK)
        fail_msg("%s", lode_err_fmt(&e, msg, sizeof msg));
    assert_false(c.out.oom);
    if (c.out.len != len || memcmp(c.out.data, text, len) != 0) {
        for (at = 0; at < len && at < c.out.len && text[at] == c.out.data[at]; at++)
            ;
        fail_msg("%s: written back differs at byte %zu (%zu bytes read, %zu written)", name, at,
                 len, c.out.len);
    }
    free(hdr);
    lode_buf_free(&c.out);
}

static void test_lode_csv_write_row_roundtrip_inline(void **state)
{
    fixture *fx = *state;
    static const char *const samples[] = {
        HDR,
        HDR ROW_OK,
        HDR "REO_conc,USA,2023,41600,mine,\"USGS MCS 2025, Rare Earths\",verified,"
            "\"said \"\"about\"\" 5%\"\n"
            "X,CHN,2024,0.5,refinery,s,,\"multi\nline\"\n"
            "Y,\xc3\x89TA,2024,1e-05,plant, padded ,,\xe2\x82\xac \xf0\x9f\x98\x80\n",
    };
    size_t i;
    for (i = 0; i < sizeof samples / sizeof samples[0]; i++)
        roundtrip("inline", samples[i], strlen(samples[i]), fx->prod);
}

/* An all-string schema named after the header of text (for files the package does not name). */
static lode_schema *schema_from_header(lode_arena *a, const char *text, size_t len)
{
    lode_schema *s = lode_arena_alloc(a, sizeof *s);
    const char *p = text, *end = memchr(text, '\n', len), *comma;
    size_t n = 1, i;
    if (end == NULL)
        end = text + len;
    if (end > text && end[-1] == '\r')
        end--;
    for (comma = p; comma < end; comma++)
        n += *comma == ',';
    s->name = "header";
    s->path = "";
    s->n_fields = n;
    s->fields = lode_arena_calloc(a, n, sizeof *s->fields);
    for (i = 0; i < n; i++) {
        comma = memchr(p, ',', (size_t)(end - p));
        if (comma == NULL)
            comma = end;
        s->fields[i].name = lode_arena_strndup(a, p, (size_t)(comma - p));
        s->fields[i].description = s->fields[i].unit = "";
        p = comma + 1;
    }
    return s;
}

/* Every data/ *.csv read and written back gives the same bytes, checked against its schema in
 * data/datapackage.json (or an all-string one from its header if the package lacks it). */
static void test_lode_csv_write_row_roundtrip_data(void **state)
{
    DIR *d = opendir(LODE_DATADIR);
    struct dirent *ent;
    lode_arena *a = lode_arena_new();
    lode_package pkg;
    lode_buf b = LODE_BUF_INIT;
    lode_err e;
    const lode_schema *s;
    char path[1024], msg[512];
    size_t i, nfiles = 0, nl;
    int have_pkg;
    (void)state;
    if (d == NULL) {
        print_message("note: no %s yet; inline samples only\n", LODE_DATADIR);
        lode_arena_free(a);
        return;
    }
    snprintf(path, sizeof path, "%s/datapackage.json", LODE_DATADIR);
    have_pkg = lode_package_load(path, a, &pkg, &e) == LODE_OK;
    if (!have_pkg)
        print_message("note: %s\n", lode_err_fmt(&e, msg, sizeof msg));
    for (ent = readdir(d); ent != NULL; ent = readdir(d)) {
        nl = strlen(ent->d_name);
        if (nl < 5 || strcmp(ent->d_name + nl - 4, ".csv") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", LODE_DATADIR, ent->d_name);
        assert_int_equal(lode_file_read(path, &b, &e), LODE_OK);
        s = NULL;
        for (i = 0; have_pkg && i < pkg.n_res; i++)
            if (strcmp(pkg.res[i].path, ent->d_name) == 0)
                s = &pkg.res[i];
        if (s == NULL)
            s = schema_from_header(a, b.data, b.len);
        roundtrip(path, b.data, b.len, s);
        nfiles++;
    }
    closedir(d);
    print_message("round trip: %zu files in %s\n", nfiles, LODE_DATADIR);
    lode_buf_free(&b);
    lode_arena_free(a);
}

/* ---- tests/bad ---------------------------------------------------------------------------- */

/* Check one corpus case directory: its one *.csv must fail lode_csv_scan with a message that,
 * after the file's path, starts with the text of `expected`. Cases the store catches (unknown
 * ids, duplicate keys) are skipped. Returns 1 if checked, 0 if skipped. */
static int bad_case(const char *dir, const lode_package *pkg)
{
    DIR *cd = opendir(dir);
    struct dirent *f;
    lode_buf b = LODE_BUF_INIT, exp = LODE_BUF_INIT;
    lode_err e;
    const lode_schema *s = NULL;
    char csvname[256] = "", path[1400], msg[1024], want[4096];
    size_t nl, i, ncsv = 0;
    int checked = 0;
    assert_non_null(cd);
    for (f = readdir(cd); f != NULL; f = readdir(cd)) {
        nl = strlen(f->d_name);
        if (nl > 4 && strcmp(f->d_name + nl - 4, ".csv") == 0) {
            snprintf(csvname, sizeof csvname, "%s", f->d_name);
            ncsv++;
        }
    }
    closedir(cd);
    if (ncsv != 1)
        fail_msg("%s: %zu CSV files, expected one", dir, ncsv);
    snprintf(path, sizeof path, "%.1000s/expected", dir);
    assert_int_equal(lode_file_read(path, &exp, &e), LODE_OK);
    while (exp.len > 0 && (exp.data[exp.len - 1] == '\n' || exp.data[exp.len - 1] == '\r'))
        exp.data[--exp.len] = '\0';
    if (exp.len == 0 || exp.data[0] != ':' || memchr(exp.data, '\n', exp.len) != NULL)
        fail_msg("%s: must be one line starting with ':'", path);
    if (strstr(exp.data, "unknown id") == NULL && strstr(exp.data, "duplicate key") == NULL) {
        for (i = 0; i < pkg->n_res; i++)
            if (strcmp(pkg->res[i].path, csvname) == 0)
                s = &pkg->res[i];
        if (s == NULL)
            fail_msg("%s: no resource with path %s", dir, csvname);
        snprintf(path, sizeof path, "%.1000s/%.255s", dir, csvname);
        assert_int_equal(lode_file_read(path, &b, &e), LODE_OK);
        if (lode_csv_scan(b.data, b.len, path, s, NULL, NULL, &e) != LODE_EINPUT)
            fail_msg("%s: accepted", path);
        lode_err_fmt(&e, msg, sizeof msg);
        snprintf(want, sizeof want, "%s%s", path, exp.data);
        if (strncmp(msg, want, strlen(want)) != 0)
            fail_msg("%s:\n  got  %s\n  want %s", dir, msg, want);
        checked = 1;
    }
    lode_buf_free(&b);
    lode_buf_free(&exp);
    return checked;
}

/* tests/bad/NN-name/ each hold one bad CSV named like a resource and `expected`, the error
 * text after the path; tests/bad/make_huge.sh OUTDIR writes one more case too big to commit.
 * Every case the CSV reader itself must catch is checked against data/datapackage.json. */
static void test_lode_csv_scan_bad_corpus(void **state)
{
    DIR *d;
    struct dirent *ent;
    lode_arena *a = lode_arena_new();
    lode_package pkg;
    lode_err e;
    char dir[1024], msg[1024], cmd[2200], bad_dir[1024], tmpd[] = "/tmp/lode_bad_XXXXXX";
    char *slash;
    size_t ncases = 0, nchecked = 0;
    (void)state;
    /* the corpus is written against the real schemas: without them this test cannot pass */
    if (lode_package_load(LODE_DATADIR "/datapackage.json", a, &pkg, &e) != LODE_OK)
        fail_msg("%s", lode_err_fmt(&e, msg, sizeof msg));
    /* the repository root is the parent of LODE_DATADIR */
    snprintf(bad_dir, sizeof bad_dir - 16, "%s", LODE_DATADIR);
    slash = strrchr(bad_dir, '/');
    strcpy(slash ? slash + 1 : bad_dir, "tests/bad");
    d = opendir(bad_dir);
    if (d == NULL)
        fail_msg("no %s", bad_dir);
    for (ent = readdir(d); ent != NULL; ent = readdir(d)) {
        if (ent->d_name[0] < '0' || ent->d_name[0] > '9')
            continue;
        snprintf(dir, sizeof dir, "%.700s/%.255s", bad_dir, ent->d_name);
        ncases++;
        nchecked += (size_t)bad_case(dir, &pkg);
    }
    closedir(d);
    assert_non_null(mkdtemp(tmpd));
    snprintf(cmd, sizeof cmd, "sh '%s/make_huge.sh' '%s'", bad_dir, tmpd);
    if (system(cmd) != 0)
        fail_msg("%s failed", cmd);
    snprintf(dir, sizeof dir, "%s/huge-line", tmpd);
    ncases++;
    nchecked += (size_t)bad_case(dir, &pkg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpd);
    assert_int_equal(system(cmd), 0);
    print_message("tests/bad: %zu cases, %zu checked here\n", ncases, nchecked);
    assert_true(ncases >= 32);
    lode_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lode_package_parse_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lode_package_find_and_field, setup, teardown),
        cmocka_unit_test(test_lode_package_parse_bad),
        cmocka_unit_test(test_lode_package_parse_bad_json),
        cmocka_unit_test(test_lode_package_load_missing),
        cmocka_unit_test(test_lode_package_load_file),
        cmocka_unit_test(test_lode_package_parse_fault_injection),
        cmocka_unit_test(test_lode_parse_number_accepts),
        cmocka_unit_test(test_lode_parse_number_rejects),
        cmocka_unit_test_setup_teardown(test_lode_csv_check_cell_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lode_csv_scan_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lode_csv_scan_record_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lode_csv_scan_lines_and_cells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lode_csv_scan_callback_stops, setup, teardown),
        cmocka_unit_test(test_lode_csv_write_row_python),
        cmocka_unit_test_setup_teardown(test_lode_csv_write_row_roundtrip_inline, setup, teardown),
        cmocka_unit_test(test_lode_csv_write_row_roundtrip_data),
        cmocka_unit_test(test_lode_csv_scan_bad_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
