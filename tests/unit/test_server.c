/* test_server.c: the parts of `lode serve` that decide what comes in and what goes out, without
 * the HTTP layer: the request parsers (request.c: paths, keys, parameters, job bodies), API keys
 * on a fresh SQLite store (keys.c), and the confidentiality rules (redact.c) on hand-made
 * documents shaped like the commands' --json, judged against the bundled model's real
 * confidential holders (USA, JPN, AUS, CHN; KOR holds a stockpile that is not confidential). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lode/arena.h"
#include "lode/model.h"
#include "lode/store.h"
#include "lode/table.h"
#include "server/server.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))
#define SCEN "/srv/scen"

/* ---- request.c: bytes ------------------------------------------------------------------- */

static void test_srv_unescape_cases(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"%41", "A"},
        {"a%2fb", "a/b"},
        {"%4a%4A", "JJ"},       /* either case of hex digit */
        {"%c3%A9", "\xc3\xa9"}, /* é, bytes decoded one by one */
        {"/x%00.json", "/x%00.json"}, /* %00 stays as written: no NUL cuts the path */
        {"%00", "%00"},
        {"%4", "%4"},   /* truncated */
        {"%", "%"},
        {"a%", "a%"},
        {"%zz", "%zz"}, /* not hex */
        {"%4g", "%4g"},
        {"%%41", "%A"},
        {"%2e%2e", ".."},
        {"plain", "plain"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        size_t n = srv_unescape(buf);
        assert_string_equal(buf, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
}

static void test_srv_utf8_ok_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } cases[] = {
        {"", 0, 1},
        {"plain", 5, 1},
        {"caf\xc3\xa9", 5, 1},            /* é */
        {"\xe6\x97\xa5\xe6\x9c\xac", 6, 1}, /* 日本 */
        {"\xf0\x9f\x98\x80", 4, 1},        /* U+1F600 */
        {"\xc0\xaf", 2, 0},                /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0},            /* overlong '/', 3 bytes */
        {"\xf0\x80\x80\xaf", 4, 0},        /* overlong '/', 4 bytes */
        {"\xed\xa0\x80", 3, 0},            /* surrogate U+D800 */
        {"\xed\xbf\xbf", 3, 0},            /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", 4, 0},        /* above U+10FFFF */
        {"a\0b", 3, 0},                    /* NUL inside */
        {"\xe2\x82", 2, 0},                /* truncated 3-byte sequence */
        {"ab\xf0\x9f\x98", 5, 0},          /* truncated 4-byte sequence at the end */
        {"\x80", 1, 0},                    /* lone continuation byte */
        {"\xff", 1, 0},
        {"\xe2\x82\xac", 2, 0},            /* n cuts a valid € short */
        {"\xe2\x82\xac", 3, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (srv_utf8_ok(cases[i].s, cases[i].n) != cases[i].ok)
            fail_msg("case %zu: srv_utf8_ok gave %d", i, !cases[i].ok);
}

static void test_srv_utf8_scrub_cases(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"a\xff"
         "b",
         "a?b"},
        {"\xc0\xaf", "??"},
        {"\xed\xa0\x80x", "???x"},
        {"ab\xe2\x82", "ab??"},
        {"\xe2\x82"
         "A",
         "??A"},
        {"\x80\x80", "??"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        srv_utf8_scrub(buf);
        assert_string_equal(buf, cases[i].out);
        assert_true(srv_utf8_ok(buf, strlen(buf)));
    }
}

/* ---- request.c: paths ------------------------------------------------------------------- */

static srv_route route(const char *path)
{
    srv_route r;
    memset(&r, 0x55, sizeof r); /* the parser must set every field */
    srv_route_parse(path, &r);
    return r;
}

static void test_srv_route_parse_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        srv_route_kind kind;
        const char *arg;
    } cases[] = {
        {"/", SRV_STATIC, ""},
        {"/index.html", SRV_STATIC, ""},
        {"/js/app.js", SRV_STATIC, ""},
        {"/caf\xc3\xa9.html", SRV_STATIC, ""},
        {"/apix", SRV_STATIC, ""},
        {"/API/health", SRV_STATIC, ""},
        {"/api/health", SRV_HEALTH, ""},
        {"/api/openapi.json", SRV_OPENAPI, ""},
        {"/api/whoami", SRV_WHOAMI, ""},
        {"/api/risk", SRV_ENGINE, "risk"},
        {"/api/exposure", SRV_ENGINE, "exposure"},
        {"/api/chokepoints", SRV_ENGINE, "chokepoints"},
        {"/api/market", SRV_ENGINE, "market"},
        {"/api/stockpile", SRV_ENGINE, "stockpile"},
        {"/api/scenarios", SRV_SCENARIOS, ""},
        {"/api/scenarios/taiwan_strait", SRV_SCENARIO, "taiwan_strait"},
        {"/api/scenarios/a-b_C9", SRV_SCENARIO, "a-b_C9"},
        {"/api/data/trade", SRV_DATA, "trade"},
        {"/api/jobs", SRV_JOBS, ""},
        {"/api/jobs/0123abcd", SRV_JOB, "0123abcd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        srv_route r = route(cases[i].path);
        if (r.kind != cases[i].kind)
            fail_msg("'%s': kind %d, expected %d", cases[i].path, (int)r.kind,
                     (int)cases[i].kind);
        assert_string_equal(r.arg, cases[i].arg);
    }
}

static void test_srv_route_parse_tricks(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "",
        "api/health",
        "index.html",
        "/../x",
        "/..",
        "/.",
        "/x/..",
        "/x/./y",
        "/api/../api/health",
        "/api/scenarios/../x",
        "/api/scenarios/..",
        "/api/data/../../etc/passwd",
        "/a//b",
        "//api/health",
        "/api//health",
        "/.git/config",
        "/js/.hidden",
        "/api/data/",
        "/api/scenarios/",
        "/api/jobs/",
        "/api/scenarios/x/y",
        "/api/scenarios/-x",
        "/api/data/trade.csv",
        "/api/data/tr ade",
        "/api/data/trade\x01",
        "/index\x01.html",
        "/index\t.html",
        "/index\n.html",
        "/index\x7f.html",
        "/a\\b",
        "/api\\health",
        "/api/data/..\\x",
        "/api",
        "/api/",
        "/api/health/",
        "/api/risk/",
        "/api/riskx",
        "/api/simulate",
        "/api/nope",
        "/api/jobs/a.b",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        srv_route r = route(paths[i]);
        if (r.kind != SRV_NOT_FOUND)
            fail_msg("path %zu '%s': kind %d, expected SRV_NOT_FOUND", i, paths[i], (int)r.kind);
        assert_string_equal(r.arg, "");
    }
    srv_route r = route(NULL);
    assert_int_equal(r.kind, SRV_NOT_FOUND);
}

/* Names of 64 characters are routes; 65 are not, under every prefix that takes a name. */
static void test_srv_route_parse_name_length(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        srv_route_kind kind;
    } prefixes[] = {
        {"/api/scenarios/", SRV_SCENARIO}, {"/api/data/", SRV_DATA}, {"/api/jobs/", SRV_JOB}};
    char name[66], path[128];
    memset(name, 'a', 65);
    name[65] = '\0';
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%.64s", prefixes[i].prefix, name);
        srv_route r = route(path);
        assert_int_equal(r.kind, prefixes[i].kind);
        assert_int_equal(strlen(r.arg), 64);
        assert_memory_equal(r.arg, name, 64);
        snprintf(path, sizeof path, "%s%s", prefixes[i].prefix, name);
        r = route(path);
        assert_int_equal(r.kind, SRV_NOT_FOUND);
        assert_string_equal(r.arg, "");
    }
}

/* SRV_MAX_URL bytes is the longest path routed. */
static void test_srv_route_parse_max_url(void **state)
{
    (void)state;
    char *p = malloc(SRV_MAX_URL + 2);
    assert_non_null(p);
    p[0] = '/';
    memset(p + 1, 'x', SRV_MAX_URL);
    p[SRV_MAX_URL] = '\0'; /* SRV_MAX_URL bytes */
    assert_int_equal(route(p).kind, SRV_STATIC);
    p[SRV_MAX_URL] = 'x';
    p[SRV_MAX_URL + 1] = '\0'; /* one more */
    assert_int_equal(route(p).kind, SRV_NOT_FOUND);
    free(p);
}

/* What libmicrohttpd hands over is decoded by srv_unescape first: escapes cannot smuggle in
 * what the router refuses, and %00 cannot cut a name short. */
static void test_srv_route_parse_after_unescape(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        srv_route_kind kind;
        const char *arg;
    } cases[] = {
        {"/api/scenarios/%2e%2e%2fx", SRV_NOT_FOUND, ""},
        {"/%2e%2e/etc/passwd", SRV_NOT_FOUND, ""},
        {"/api/data%2f..%2fx", SRV_NOT_FOUND, ""},
        {"/a%2f%2fb", SRV_NOT_FOUND, ""},
        {"/api/data/trade%00", SRV_NOT_FOUND, ""},
        {"/api/data/trade%01", SRV_NOT_FOUND, ""},
        {"/api/data/a%5cb", SRV_NOT_FOUND, ""},
        {"/api/data/tr%61de", SRV_DATA, "trade"},
        {"/api/%68ealth", SRV_HEALTH, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", cases[i].raw);
        srv_unescape(buf);
        srv_route r = route(buf);
        if (r.kind != cases[i].kind)
            fail_msg("'%s' -> '%s': kind %d, expected %d", cases[i].raw, buf, (int)r.kind,
                     (int)cases[i].kind);
        assert_string_equal(r.arg, cases[i].arg);
    }
}

static void test_srv_name_ok_cases(void **state)
{
    (void)state;
    char n64[65], n65[66];
    memset(n64, 'Z', 64);
    n64[64] = '\0';
    memset(n65, 'Z', 65);
    n65[65] = '\0';
    assert_int_equal(srv_name_ok("a"), 1);
    assert_int_equal(srv_name_ok("Co_refined"), 1);
    assert_int_equal(srv_name_ok("_x"), 1);
    assert_int_equal(srv_name_ok("x-"), 1);
    assert_int_equal(srv_name_ok("0"), 1);
    assert_int_equal(srv_name_ok(n64), 1);
    assert_int_equal(srv_name_ok(n65), 0);
    assert_int_equal(srv_name_ok(NULL), 0);
    assert_int_equal(srv_name_ok(""), 0);
    assert_int_equal(srv_name_ok("-x"), 0);
    assert_int_equal(srv_name_ok("."), 0);
    assert_int_equal(srv_name_ok(".."), 0);
    assert_int_equal(srv_name_ok("a.json"), 0);
    assert_int_equal(srv_name_ok("a/b"), 0);
    assert_int_equal(srv_name_ok("a\\b"), 0);
    assert_int_equal(srv_name_ok("a b"), 0);
    assert_int_equal(srv_name_ok("a%00"), 0);
    assert_int_equal(srv_name_ok("caf\xc3\xa9"), 0);
    assert_int_equal(srv_name_ok("x\n"), 0);
}

/* ---- request.c: keys -------------------------------------------------------------------- */

static void test_srv_bearer_parse_cases(void **state)
{
    (void)state;
    char key[16];
    static const struct {
        const char *header, *key; /* key NULL: rejected */
    } cases[] = {
        {"Bearer abc", "abc"},
        {"Bearer    abc", "abc"},    /* extra spaces before */
        {"Bearer abc   ", "abc"},    /* and after */
        {"Bearer 0123456789abcde", "0123456789abcde"}, /* 15 bytes: fits key[16] */
        {"Bearer 0123456789abcdef", NULL},             /* 16 bytes: no room for the NUL */
        {"Bearer  0123456789abcde  ", "0123456789abcde"},
        {"Bearer ", NULL},
        {"Bearer      ", NULL},
        {"Bearer", NULL},
        {"", NULL},
        {"Basic abc", NULL},
        {"Bearerabc", NULL},
        {"Bearer\tabc", NULL},
        {" Bearer abc", NULL},
        {"BEARER abc", "abc"}, /* the scheme is case-insensitive */
        {"bearer abc", "abc"},
        {"lode_abc", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(key, 'Q', sizeof key);
        int rc = srv_bearer_parse(cases[i].header, key, sizeof key);
        if (cases[i].key == NULL) {
            if (rc != -1)
                fail_msg("'%s' accepted as '%s'", cases[i].header, key);
        } else {
            if (rc != 0)
                fail_msg("'%s' rejected", cases[i].header);
            assert_string_equal(key, cases[i].key);
        }
    }
    assert_int_equal(srv_bearer_parse(NULL, key, sizeof key), -1);
}

#define ID16 "0123456789abcdef"
#define SEC43 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_09"

static void test_srv_key_split_cases(void **state)
{
    (void)state;
    char id[17], secret[64];
    assert_int_equal(strlen(SEC43), 43);
    assert_int_equal(srv_key_split("lode_" ID16 "_" SEC43, id, secret), 0);
    assert_string_equal(id, ID16);
    assert_string_equal(secret, SEC43);

    static const char *const bad[] = {
        "lode_" ID16 "_" SEC43 "A",                               /* 44-character secret */
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_0", /* 42 */
        "lode_0123456789abcde_" SEC43 "A",                          /* 15-digit id */
        "lode_0123456789ABCDEF_" SEC43,                             /* upper-case hex */
        "lode_0123456789abcdeg_" SEC43,                             /* not hex */
        "lode_" ID16 "-" SEC43,                                     /* separator */
        "Lode_" ID16 "_" SEC43,
        "lodx_" ID16 "_" SEC43,
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm+_09", /* '+': standard base64 */
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm/_09", /* '/' */
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_0=", /* padding */
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_0 ", /* space */
        "lode_" ID16 "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_0\xc3", /* high byte */
        "",
        "lode_",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (srv_key_split(bad[i], id, secret) != -1)
            fail_msg("bad key %zu '%s' accepted", i, bad[i]);
}

/* ---- request.c: parameters -> argv ------------------------------------------------------ */

typedef struct argv_case {
    lode_arena *a;
    srv_argv v;
    char msg[256];
} argv_case;

static int build(argv_case *c, const char *cmd, const srv_param *p, size_t n)
{
    lode_arena_free(c->a);
    c->a = lode_arena_new();
    assert_non_null(c->a);
    c->msg[0] = '\0';
    return srv_argv_build(cmd, p, n, SCEN, c->a, &c->v, c->msg, sizeof c->msg);
}

/* argv is exactly want (NULL-terminated list) and ends with NULL. */
static void expect_argv(const srv_argv *v, const char *const *want)
{
    int n = 0;
    while (want[n])
        n++;
    if (v->argc != n)
        fail_msg("argc %d, expected %d", v->argc, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(v->argv[i], want[i]);
    assert_null(v->argv[n]);
}

static void expect_fail(argv_case *c, const char *cmd, const srv_param *p, size_t n,
                        const char *msg_part)
{
    if (build(c, cmd, p, n) != -1)
        fail_msg("%s: accepted, expected an error with '%s'", cmd, msg_part);
    if (strstr(c->msg, msg_part) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", cmd, c->msg, msg_part);
}

static int argv_setup(void **state)
{
    argv_case *c = calloc(1, sizeof *c);
    *state = c;
    return c ? 0 : -1;
}

static int argv_teardown(void **state)
{
    argv_case *c = *state;
    lode_arena_free(c->a);
    free(c);
    return 0;
}

static void test_srv_argv_build_simple(void **state)
{
    argv_case *c = *state;
    const srv_param p[] = {{"material", "Co_refined"}, {"stage", "refine"}};
    assert_int_equal(build(c, "risk", p, 2), 0);
    expect_argv(&c->v, (const char *const[]){"risk", "--material", "Co_refined", "--stage",
                                             "refine", NULL});
    assert_int_equal(build(c, "risk", NULL, 0), 0);
    expect_argv(&c->v, (const char *const[]){"risk", NULL});
    const srv_param e[] = {{"country", "JPN"}, {"top", "10"}};
    assert_int_equal(build(c, "exposure", e, 2), 0);
    expect_argv(&c->v,
                (const char *const[]){"exposure", "--country", "JPN", "--top", "10", NULL});
}

/* The positional scenario goes first wherever it came, as <dir>/<name>.json. */
static void test_srv_argv_build_positional_scenario(void **state)
{
    argv_case *c = *state;
    const srv_param s[] = {{"runs", "10"}, {"weeks", "52"}, {"scenario", "taiwan_strait"}};
    assert_int_equal(build(c, "simulate", s, 3), 0);
    expect_argv(&c->v, (const char *const[]){"simulate", SCEN "/taiwan_strait.json", "--runs",
                                             "10", "--weeks", "52", NULL});
    const srv_param s1[] = {{"scenario", "zero"}};
    assert_int_equal(build(c, "simulate", s1, 1), 0);
    expect_argv(&c->v, (const char *const[]){"simulate", SCEN "/zero.json", NULL});
    const srv_param r[] = {{"alliance", "G7"}, {"scenario", "zero"}, {"solver", "glpk"}};
    assert_int_equal(build(c, "respond", r, 3), 0);
    expect_argv(&c->v, (const char *const[]){"respond", SCEN "/zero.json", "--alliance", "G7",
                                             "--solver", "glpk", NULL});
    /* an option's scenario stays an option */
    const srv_param m[] = {{"material", "Co_refined"}, {"scenario", "zero"}};
    assert_int_equal(build(c, "market", m, 2), 0);
    expect_argv(&c->v, (const char *const[]){"market", "--material", "Co_refined", "--scenario",
                                             SCEN "/zero.json", NULL});
}

static void test_srv_argv_build_required_scenario(void **state)
{
    argv_case *c = *state;
    const srv_param p[] = {{"runs", "10"}};
    expect_fail(c, "simulate", p, 1, "parameter 'scenario' (or 'scenario_json') is required");
    expect_fail(c, "respond", NULL, 0, "parameter 'scenario' (or 'scenario_json') is required");
    const srv_param two[] = {{"scenario", "a"}, {"scenario", "b"}};
    expect_fail(c, "simulate", two, 2, "parameter 'scenario' given twice");
    const srv_param bad[] = {{"scenario", "../etc/passwd"}};
    expect_fail(c, "simulate", bad, 1, "parameter 'scenario': not a valid name");
    const srv_param dot[] = {{"scenario", "x.json"}};
    expect_fail(c, "simulate", dot, 1, "not a valid name");
    const srv_param empty[] = {{"scenario", ""}};
    expect_fail(c, "simulate", empty, 1, "not a valid name");
}

static void test_srv_argv_build_unknown(void **state)
{
    argv_case *c = *state;
    const srv_param out[] = {{"out", "/tmp/x"}};
    expect_fail(c, "risk", out, 1, "risk: unknown parameter 'out'");
    const srv_param thr[] = {{"scenario", "zero"}, {"threads", "64"}};
    expect_fail(c, "simulate", thr, 2, "simulate: unknown parameter 'threads'");
    /* a parameter of another command */
    const srv_param top[] = {{"top", "5"}};
    expect_fail(c, "risk", top, 1, "unknown parameter 'top'");
    expect_fail(c, "serve", NULL, 0, "unknown command 'serve'");
    expect_fail(c, "keys", NULL, 0, "unknown command 'keys'");
    expect_fail(c, "", NULL, 0, "unknown command ''");
}

static void test_srv_argv_build_repeats(void **state)
{
    argv_case *c = *state;
    const srv_param twice[] = {{"runs", "10"}, {"scenario", "zero"}, {"runs", "20"}};
    expect_fail(c, "simulate", twice, 3, "parameter 'runs' given twice");
    const srv_param inv[] = {{"scenario", "a"}, {"require", "Co_refined"}, {"scenario", "b"},
                             {"require", "Li_chem"}, {"budget", "1e9"}};
    assert_int_equal(build(c, "invest", inv, 5), 0);
    expect_argv(&c->v, (const char *const[]){"invest", "--scenario", SCEN "/a.json",
                                             "--require", "Co_refined", "--scenario",
                                             SCEN "/b.json", "--require", "Li_chem", "--budget",
                                             "1e9", NULL});
    const srv_param sp[] = {{"scenario", "a"}, {"scenario", "b"}};
    assert_int_equal(build(c, "stockpile", sp, 2), 0);
    expect_argv(&c->v, (const char *const[]){"stockpile", "--scenario", SCEN "/a.json",
                                             "--scenario", SCEN "/b.json", NULL});
    /* repeatable for invest, single for market */
    expect_fail(c, "market", sp, 2, "parameter 'scenario' given twice");
    const srv_param rq[] = {{"scenario", "zero"}, {"require", "2"}, {"require", "3"}};
    expect_fail(c, "respond", rq, 3, "parameter 'require' given twice");
}

static void test_srv_argv_build_flags(void **state)
{
    argv_case *c = *state;
    srv_param p[] = {{"scenario", "zero"}, {"burden_hard", "true"}, {"no_resimulate", "1"}};
    assert_int_equal(build(c, "respond", p, 3), 0);
    expect_argv(&c->v, (const char *const[]){"respond", SCEN "/zero.json", "--burden-hard",
                                             "--no-resimulate", NULL});
    p[1].value = "false";
    p[2].value = "0";
    assert_int_equal(build(c, "respond", p, 3), 0);
    expect_argv(&c->v, (const char *const[]){"respond", SCEN "/zero.json", NULL});
    static const char *const bad[] = {"yes", "TRUE", "", "2", "true "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        p[1].value = bad[i];
        expect_fail(c, "respond", p, 2, "parameter 'burden_hard': give true or false");
    }
}

static void test_srv_argv_build_numbers(void **state)
{
    argv_case *c = *state;
    static const struct {
        const char *cmd, *name, *value, *err; /* err NULL: accepted */
    } cases[] = {
        /* whole numbers */
        {"chokepoints", "weeks", "1", NULL},
        {"chokepoints", "weeks", "520", NULL},
        {"chokepoints", "weeks", "0", "parameter 'weeks': 0 is outside [1, 520]"},
        {"chokepoints", "weeks", "521", "parameter 'weeks': 521 is outside [1, 520]"},
        {"chokepoints", "weeks", "1.5", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "52.0", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "1e2", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "-1", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "+5", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "0x10", "parameter 'weeks': not a whole number"},
        {"chokepoints", "weeks", "", "parameter 'weeks': not a number"},
        {"chokepoints", "weeks", " 5", "parameter 'weeks': not a number"},
        {"chokepoints", "weeks", "5 ", "parameter 'weeks': not a number"},
        {"chokepoints", "weeks", "five", "parameter 'weeks': not a number"},
        {"chokepoints", "weeks", "123456789012345678901234567890123",
         "parameter 'weeks': not a number"}, /* over 32 characters */
        {"invest", "as_of", "1900", NULL},
        {"invest", "as_of", "2200", NULL},
        {"invest", "as_of", "1899", "is outside [1900, 2200]"},
        {"invest", "as_of", "2201", "is outside [1900, 2200]"},
        {"simulate", "seed", "0", NULL},
        {"simulate", "seed", "4000000000000000000", NULL},
        {"simulate", "seed", "40000000000000000000", "is outside"},
        /* decimal numbers */
        {"stockpile", "confidence", "0", NULL},
        {"stockpile", "confidence", "1", NULL},
        {"stockpile", "confidence", "0.95", NULL},
        {"stockpile", "confidence", "1.0001", "parameter 'confidence': 1.0001 is outside [0, 1]"},
        {"stockpile", "confidence", "-0.1", "parameter 'confidence': -0.1 is outside [0, 1]"},
        {"stockpile", "confidence", "nan", "parameter 'confidence': not a number"},
        {"stockpile", "confidence", "inf", "is outside"},
        {"stockpile", "confidence", "0.5x", "parameter 'confidence': not a number"},
        {"market", "floor", "0", NULL},
        {"market", "floor", "2.5e4", NULL},
        {"market", "floor", "1e15", NULL},
        {"market", "floor", "1.1e15", "is outside"},
        {"market", "floor", "1e400", "is outside"},
        {"invest", "months", "1200", NULL},
        {"invest", "months", "1200.5", "is outside [0, 1200]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        srv_param p[2] = {{cases[i].name, cases[i].value}, {"scenario", "zero"}};
        size_t n = strcmp(cases[i].cmd, "simulate") == 0 ? 2 : 1;
        if (cases[i].err == NULL) {
            if (build(c, cases[i].cmd, p, n) != 0)
                fail_msg("%s %s=%s rejected: %s", cases[i].cmd, cases[i].name, cases[i].value,
                         c->msg);
            int at = n == 2 ? 2 : 1; /* after the positional scenario */
            assert_int_equal(c->v.argc, at + 2);
            assert_string_equal(c->v.argv[at + 1], cases[i].value);
        } else {
            expect_fail(c, cases[i].cmd, p, n, cases[i].err);
        }
    }
}

static void test_srv_argv_build_enums_and_names(void **state)
{
    argv_case *c = *state;
    static const char *const good[] = {"mine", "refine", "metal", "component"};
    for (size_t i = 0; i < 4; i++) {
        const srv_param p[] = {{"stage", good[i]}};
        assert_int_equal(build(c, "risk", p, 1), 0);
        expect_argv(&c->v, (const char *const[]){"risk", "--stage", good[i], NULL});
    }
    static const char *const bad[] = {"ref",    "refin", "refinery", "Refine", "",
                                      "mine|refine", "min", "component ", "|"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const srv_param p[] = {{"stage", bad[i]}};
        expect_fail(c, "risk", p, 1, "parameter 'stage': '");
        assert_non_null(strstr(c->msg, "is not one of mine|refine|metal|component"));
    }
    const srv_param t[] = {{"table", "distortions"}};
    assert_int_equal(build(c, "market", t, 1), 0);
    const srv_param tp[] = {{"table", "distortion"}};
    expect_fail(c, "market", tp, 1, "is not one of");
    const srv_param nm[] = {{"material", "Co refined"}};
    expect_fail(c, "risk", nm, 1, "parameter 'material': not a valid name");
    const srv_param nm2[] = {{"country", "-JPN"}};
    expect_fail(c, "exposure", nm2, 1, "parameter 'country': not a valid name");
}

/* SRV_MAX_PARAMS parameters are taken; one more is refused before anything is read. */
static void test_srv_argv_build_max_params(void **state)
{
    argv_case *c = *state;
    srv_param p[SRV_MAX_PARAMS + 1];
    for (size_t i = 0; i < SRV_MAX_PARAMS + 1; i++)
        p[i] = (srv_param){"require", "Co_refined"};
    assert_int_equal(build(c, "invest", p, SRV_MAX_PARAMS), 0);
    assert_int_equal(c->v.argc, 1 + 2 * SRV_MAX_PARAMS);
    assert_string_equal(c->v.argv[2 * SRV_MAX_PARAMS - 1], "--require");
    assert_string_equal(c->v.argv[2 * SRV_MAX_PARAMS], "Co_refined");
    assert_null(c->v.argv[c->v.argc]);
    expect_fail(c, "invest", p, SRV_MAX_PARAMS + 1, "more than 32 parameters");
}

/* ---- request.c: job bodies -------------------------------------------------------------- */

static void test_srv_json_too_deep_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int max, deep;
    } cases[] = {
        {"[]", 1, 0},
        {"[[]]", 1, 1},
        {"[[]]", 2, 0},
        {"{\"a\":[{}]}", 3, 0},
        {"{\"a\":[{}]}", 2, 1},
        {"[\"[[[[[[\"]", 1, 0},              /* brackets inside a string */
        {"[\"{{{{\",\"]]]]\"]", 1, 0},
        {"[\"a\\\"[[[[[\"]", 1, 0},          /* an escaped quote does not end the string */
        {"[\"a\\\\\",[[]]]", 2, 1},          /* an escaped backslash does not escape the quote */
        {"[\"a\\\\\",[[]]]", 3, 0},
        {"[[],[],{}]", 2, 0},                /* siblings do not add up */
        {"[[],[],{}]", 1, 1},
        {"", 0, 0},
        {"{}", 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (srv_json_too_deep(cases[i].s, strlen(cases[i].s), cases[i].max) != cases[i].deep)
            fail_msg("case %zu '%s' max %d: expected %d", i, cases[i].s, cases[i].max,
                     cases[i].deep);
}

typedef struct body_case {
    lode_arena *a;
    char cmd[32];
    srv_param p[SRV_MAX_PARAMS];
    size_t n;
    const char *scen;
    char msg[256];
} body_case;

static int body(body_case *b, const char *text, size_t len)
{
    lode_arena_free(b->a);
    b->a = lode_arena_new();
    assert_non_null(b->a);
    b->msg[0] = '\0';
    return srv_job_body_parse(text, len, b->a, b->cmd, sizeof b->cmd, b->p, &b->n, &b->scen,
                              b->msg, sizeof b->msg);
}

static void body_fail(body_case *b, const char *text, size_t len, const char *msg_part)
{
    if (body(b, text, len) != -1)
        fail_msg("body '%s' accepted, expected '%s'", text, msg_part);
    if (strstr(b->msg, msg_part) == NULL)
        fail_msg("body '%s': message '%s' lacks '%s'", text, b->msg, msg_part);
}

#define BODY(b, s) body((b), (s), strlen(s))
#define BODY_FAIL(b, s, m) body_fail((b), (s), strlen(s), (m))

static int body_setup(void **state)
{
    body_case *b = calloc(1, sizeof *b);
    *state = b;
    return b ? 0 : -1;
}

static int body_teardown(void **state)
{
    body_case *b = *state;
    lode_arena_free(b->a);
    free(b);
    return 0;
}

static void expect_param(const body_case *b, size_t i, const char *name, const char *value)
{
    assert_true(i < b->n);
    assert_string_equal(b->p[i].name, name);
    assert_string_equal(b->p[i].value, value);
}

static void test_srv_job_body_parse_valid(void **state)
{
    body_case *b = *state;
    assert_int_equal(BODY(b, "{\"command\": \"simulate\", \"params\": {\"scenario\": \"zero\", "
                             "\"runs\": 100, \"burden_hard\": true, \"no_resimulate\": false, "
                             "\"budget\": 5e9, \"confidence\": 0.5, \"seed\": -3}}"),
                     0);
    assert_string_equal(b->cmd, "simulate");
    assert_int_equal(b->n, 7);
    expect_param(b, 0, "scenario", "zero");
    expect_param(b, 1, "runs", "100");
    expect_param(b, 2, "burden_hard", "true");
    expect_param(b, 3, "no_resimulate", "false");
    expect_param(b, 4, "budget", "5000000000");
    expect_param(b, 5, "confidence", "0.5");
    expect_param(b, 6, "seed", "-3");
    assert_null(b->scen);

    /* arrays are repeated parameters, in order */
    assert_int_equal(BODY(b, "{\"command\":\"invest\",\"params\":{\"scenario\":[\"a\",\"b\"],"
                             "\"require\":[\"Co_refined\"],\"budget\":2.5e8}}"),
                     0);
    assert_string_equal(b->cmd, "invest");
    assert_int_equal(b->n, 4);
    expect_param(b, 0, "scenario", "a");
    expect_param(b, 1, "scenario", "b");
    expect_param(b, 2, "require", "Co_refined");
    expect_param(b, 3, "budget", "250000000");

    /* no params at all, and an empty array */
    assert_int_equal(BODY(b, "{\"command\":\"risk\"}"), 0);
    assert_string_equal(b->cmd, "risk");
    assert_int_equal(b->n, 0);
    assert_int_equal(BODY(b, "{\"params\":{\"require\":[]},\"command\":\"invest\"}"), 0);
    assert_string_equal(b->cmd, "invest");
    assert_int_equal(b->n, 0);
}

/* scenario_json comes back printed, not as a parameter. */
static void test_srv_job_body_parse_scenario_json(void **state)
{
    body_case *b = *state;
    assert_int_equal(BODY(b, "{\"command\":\"simulate\",\"params\":{\"runs\":5,"
                             "\"scenario_json\":{\"name\":\"x\",\"shocks\":[{\"week\":1}]}}}"),
                     0);
    assert_int_equal(b->n, 1);
    expect_param(b, 0, "runs", "5");
    assert_non_null(b->scen);
    assert_string_equal(b->scen, "{\"name\":\"x\",\"shocks\":[{\"week\":1}]}");
    BODY_FAIL(b, "{\"command\":\"simulate\",\"params\":{\"scenario_json\":\"x\"}}",
              "params.scenario_json must be an object");
    BODY_FAIL(b, "{\"command\":\"simulate\",\"params\":{\"scenario_json\":[{}]}}",
              "params.scenario_json must be an object");
}

static void test_srv_job_body_parse_bad(void **state)
{
    body_case *b = *state;
    BODY_FAIL(b, "", "empty body");
    BODY_FAIL(b, "{\"command\":", "body is not valid JSON");
    BODY_FAIL(b, "{\"command\":\"risk\",}", "body is not valid JSON");
    BODY_FAIL(b, "{'command':'risk'}", "body is not valid JSON");
    BODY_FAIL(b, "[\"risk\"]", "body: 'command' must be a string");
    BODY_FAIL(b, "\"risk\"", "body: 'command' must be a string");
    BODY_FAIL(b, "5", "body: 'command' must be a string");
    BODY_FAIL(b, "{}", "body: 'command' must be a string");
    BODY_FAIL(b, "{\"command\":5}", "body: 'command' must be a string");
    BODY_FAIL(b, "{\"command\":null}", "body: 'command' must be a string");
    BODY_FAIL(b, "{\"command\":\"risk\",\"extra\":1}", "body: unknown field 'extra'");
    BODY_FAIL(b, "{\"command\":\"risk\",\"Params\":{}}", "body: unknown field 'Params'");
    BODY_FAIL(b, "{\"command\":\"risk\",\"params\":[]}", "body: 'params' must be an object");
    BODY_FAIL(b, "{\"command\":\"risk\",\"params\":\"x\"}", "body: 'params' must be an object");
    BODY_FAIL(b, "{\"command\":\"risk\",\"params\":{\"x\":null}}",
              "params.x: give a string, number, boolean or array");
    BODY_FAIL(b, "{\"command\":\"risk\",\"params\":{\"x\":{\"y\":1}}}",
              "params.x: give a string, number, boolean or array");
    BODY_FAIL(b, "{\"command\":\"invest\",\"params\":{\"require\":[1,2]}}",
              "params.require: arrays hold strings only");
    BODY_FAIL(b, "{\"command\":\"invest\",\"params\":{\"require\":[\"a\",true]}}",
              "params.require: arrays hold strings only");
    BODY_FAIL(b, "{\"command\":\"invest\",\"params\":{\"require\":[[\"a\"]]}}",
              "params.require: arrays hold strings only");
    /* a command name longer than the caller's buffer */
    char cmdlong[128];
    snprintf(cmdlong, sizeof cmdlong, "{\"command\":\"%040d\"}", 0);
    BODY_FAIL(b, cmdlong, "body: 'command' must be a string");
}

static void test_srv_job_body_parse_trailing(void **state)
{
    body_case *b = *state;
    BODY_FAIL(b, "{\"command\":\"risk\"}{\"command\":\"simulate\"}", "body is not valid JSON");
    BODY_FAIL(b, "{\"command\":\"risk\"} x", "body is not valid JSON");
}

static void test_srv_job_body_parse_utf8(void **state)
{
    body_case *b = *state;
    BODY_FAIL(b, "{\"command\":\"r\xff\"}", "body is not valid UTF-8");
    BODY_FAIL(b, "{\"command\":\"r\xc0\xaf\"}", "body is not valid UTF-8");
    BODY_FAIL(b, "{\"command\":\"r\xed\xa0\x80\"}", "body is not valid UTF-8");
    BODY_FAIL(b, "{\"command\":\"risk\",\"params\":{\"material\":\"\xe2\x82\"}}",
              "body is not valid UTF-8");
    static const char nul[] = "{\"command\":\"risk\"}\0{}";
    assert_int_equal(body(b, nul, sizeof nul - 1), -1);
    assert_non_null(strstr(b->msg, "NUL"));
    /* valid UTF-8 in a value is kept as is */
    assert_int_equal(BODY(b, "{\"command\":\"news\",\"params\":{\"title\":\"caf\xc3\xa9\"}}"), 0);
    expect_param(b, 0, "title", "caf\xc3\xa9");
}

/* Nesting: SRV_MAX_DEPTH levels parse (and fail on shape), one more is refused first; brackets
 * inside strings do not count. */
static void test_srv_job_body_parse_depth(void **state)
{
    body_case *b = *state;
    char text[512];
    /* {"command":"x","params":{"a": [ ... ] }} : depth 2 + k */
    for (int k = SRV_MAX_DEPTH - 2; k <= SRV_MAX_DEPTH - 1; k++) {
        int n = snprintf(text, sizeof text, "{\"command\":\"x\",\"params\":{\"a\":");
        for (int i = 0; i < k; i++)
            text[n++] = '[';
        text[n++] = '"';
        text[n++] = 'v';
        text[n++] = '"';
        for (int i = 0; i < k; i++)
            text[n++] = ']';
        snprintf(text + n, sizeof text - (size_t)n, "}}");
        if (k + 2 <= SRV_MAX_DEPTH) /* parsed: then refused for its shape */
            BODY_FAIL(b, text, "params.a: arrays hold strings only");
        else
            BODY_FAIL(b, text, "body nested deeper than 16 levels");
    }
    /* 64 brackets, quotes and backslashes in strings are not nesting */
    assert_int_equal(BODY(b, "{\"command\":\"risk\",\"params\":{\"material\":"
                             "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{\","
                             "\"stage\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[\\\\\"}}"),
                     0);
    assert_int_equal(b->n, 2);
    expect_param(b, 0, "material", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{");
    expect_param(b, 1, "stage", "\"[[[[[[[[[[[[[[[[[[[[[[\\");
    /* an escaped quote followed by real nesting is still counted */
    char deep[256];
    int n = snprintf(deep, sizeof deep, "{\"command\":\"x\\\"\",\"params\":{\"a\":");
    for (int i = 0; i < SRV_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < SRV_MAX_DEPTH; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - (size_t)n, "}}");
    BODY_FAIL(b, deep, "body nested deeper than 16 levels");
}

static void test_srv_job_body_parse_max_params(void **state)
{
    body_case *b = *state;
    char text[2048];
    for (int total = SRV_MAX_PARAMS; total <= SRV_MAX_PARAMS + 1; total++) {
        /* as separate fields */
        int n = snprintf(text, sizeof text, "{\"command\":\"invest\",\"params\":{");
        for (int i = 0; i < total; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\"p%d\":\"v%d\"", i ? "," : "", i,
                          i);
        snprintf(text + n, sizeof text - (size_t)n, "}}");
        if (total == SRV_MAX_PARAMS) {
            assert_int_equal(BODY(b, text), 0);
            assert_int_equal(b->n, SRV_MAX_PARAMS);
            expect_param(b, SRV_MAX_PARAMS - 1, "p31", "v31");
        } else {
            BODY_FAIL(b, text, "more than 32 parameters");
        }
        /* as one array */
        n = snprintf(text, sizeof text, "{\"command\":\"invest\",\"params\":{\"require\":[");
        for (int i = 0; i < total; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\"m%d\"", i ? "," : "", i);
        snprintf(text + n, sizeof text - (size_t)n, "]}}");
        if (total == SRV_MAX_PARAMS) {
            assert_int_equal(BODY(b, text), 0);
            assert_int_equal(b->n, SRV_MAX_PARAMS);
            expect_param(b, 0, "require", "m0");
        } else {
            BODY_FAIL(b, text, "more than 32 parameters");
        }
    }
}

/* A parsed body builds the command line it describes. */
static void test_srv_job_body_parse_to_argv(void **state)
{
    body_case *b = *state;
    assert_int_equal(BODY(b, "{\"command\":\"respond\",\"params\":{\"weeks\":26,"
                             "\"burden_hard\":true,\"scenario\":\"zero\",\"burden_tol\":0.25}}"),
                     0);
    srv_argv v;
    char msg[256];
    assert_int_equal(srv_argv_build(b->cmd, b->p, b->n, SCEN, b->a, &v, msg, sizeof msg), 0);
    expect_argv(&v, (const char *const[]){"respond", SCEN "/zero.json", "--weeks", "26",
                                          "--burden-hard", "--burden-tol", "0.25", NULL});
    /* a whole number as JSON 1.5e1 is 15; 1.5 for an int parameter is refused */
    assert_int_equal(BODY(b, "{\"command\":\"chokepoints\",\"params\":{\"weeks\":1.5e1}}"), 0);
    assert_int_equal(srv_argv_build(b->cmd, b->p, b->n, SCEN, b->a, &v, msg, sizeof msg), 0);
    expect_argv(&v, (const char *const[]){"chokepoints", "--weeks", "15", NULL});
    assert_int_equal(BODY(b, "{\"command\":\"chokepoints\",\"params\":{\"weeks\":1.5}}"), 0);
    assert_int_equal(srv_argv_build(b->cmd, b->p, b->n, SCEN, b->a, &v, msg, sizeof msg), -1);
    assert_string_equal(msg, "parameter 'weeks': not a whole number");
}

/* ---- keys.c ----------------------------------------------------------------------------- */

typedef struct keys_fixture {
    lode_arena *arena;
    lode_package pkg;
    char tmp[256];
    lode_store *s;
} keys_fixture;

static int keys_setup(void **state)
{
    keys_fixture *f = calloc(1, sizeof *f);
    lode_err err = {0};
    if (f == NULL || srv_keys_init() != 0)
        return -1;
    f->arena = lode_arena_new();
    if (lode_package_load(LODE_DATADIR "/datapackage.json", f->arena, &f->pkg, &err) != LODE_OK)
        return -1;
    snprintf(f->tmp, sizeof f->tmp, "%s/lode-test-server.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(f->tmp) == NULL)
        return -1;
    char uri[300];
    snprintf(uri, sizeof uri, "%s/store.db", f->tmp);
    if (lode_store_open(uri, &f->pkg, &f->s, &err) != LODE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", uri, err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int keys_teardown(void **state)
{
    keys_fixture *f = *state;
    lode_store_close(f->s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmp);
    int rc = system(cmd);
    lode_arena_free(f->arena);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int all_of(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || strchr(set, s[i]) == NULL)
            return 0;
    return 1;
}

#define HEX "0123456789abcdef"
#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void test_srv_key_add_form(void **state)
{
    keys_fixture *f = *state;
    lode_err err = {0};
    char key[96], id[17];
    assert_int_equal(srv_key_add(f->s, "JPN", "JOGMEC", key, sizeof key, id, &err), LODE_OK);
    /* lode_<16 hex>_<43 base64url> */
    assert_int_equal(strlen(key), 5 + 16 + 1 + 43);
    assert_memory_equal(key, "lode_", 5);
    assert_true(all_of(key + 5, 16, HEX));
    assert_int_equal(key[21], '_');
    assert_true(all_of(key + 22, 43, B64URL));
    assert_int_equal(strlen(id), 16);
    assert_memory_equal(id, key + 5, 16);

    srv_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(srv_keys_load(f->s, &keys, &n, &err), LODE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].id, id);
    assert_string_equal(keys[0].ally, "JPN");
    assert_string_equal(keys[0].name, "JOGMEC");
    assert_string_equal(keys[0].revoked, "");
    /* created: YYYY-MM-DDTHH:MM:SSZ */
    const char *c = keys[0].created;
    assert_int_equal(strlen(c), 20);
    assert_true(c[4] == '-' && c[7] == '-' && c[10] == 'T' && c[13] == ':' && c[16] == ':' &&
                c[19] == 'Z');
    assert_true(all_of(c, 4, "0123456789") && all_of(c + 5, 2, "0123456789") &&
                all_of(c + 17, 2, "0123456789"));
    assert_ptr_equal(srv_key_find(keys, n, key), &keys[0]);
    free(keys);

    /* too small a buffer is refused */
    char small[64];
    assert_int_equal(srv_key_add(f->s, "JPN", "x", small, sizeof small, id, &err), LODE_EUSAGE);
}

static void test_srv_key_find_rejects(void **state)
{
    keys_fixture *f = *state;
    lode_err err = {0};
    char k1[96], k2[96], id1[17], id2[17];
    assert_int_equal(srv_key_add(f->s, "JPN", "JOGMEC", k1, sizeof k1, id1, &err), LODE_OK);
    assert_int_equal(srv_key_add(f->s, "DEU", "BGR", k2, sizeof k2, id2, &err), LODE_OK);
    assert_string_not_equal(id1, id2);
    srv_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(srv_keys_load(f->s, &keys, &n, &err), LODE_OK);
    assert_int_equal(n, 2);
    const srv_key *a = srv_key_find(keys, n, k1), *b = srv_key_find(keys, n, k2);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->ally, "JPN");
    assert_string_equal(a->id, id1);
    assert_string_equal(b->ally, "DEU");

    char bad[200];
    /* the last character changed (to another URL-safe character) */
    snprintf(bad, sizeof bad, "%s", k1);
    bad[64] = bad[64] == 'A' ? 'B' : 'A';
    assert_null(srv_key_find(keys, n, bad));
    /* the first character of the secret changed */
    snprintf(bad, sizeof bad, "%s", k1);
    bad[22] = bad[22] == 'A' ? 'B' : 'A';
    assert_null(srv_key_find(keys, n, bad));
    /* the id changed, secret kept */
    snprintf(bad, sizeof bad, "%s", k1);
    bad[5] = bad[5] == '0' ? '1' : '0';
    assert_null(srv_key_find(keys, n, bad));
    /* one key's id with the other's secret */
    snprintf(bad, sizeof bad, "lode_%s_%s", id1, k2 + 22);
    assert_null(srv_key_find(keys, n, bad));
    /* truncated by one, and to the id only */
    snprintf(bad, sizeof bad, "%.64s", k1);
    assert_null(srv_key_find(keys, n, bad));
    snprintf(bad, sizeof bad, "%.22s", k1);
    assert_null(srv_key_find(keys, n, bad));
    /* one character more */
    snprintf(bad, sizeof bad, "%sA", k1);
    assert_null(srv_key_find(keys, n, bad));
    assert_null(srv_key_find(keys, n, ""));
    assert_null(srv_key_find(keys, n, NULL));
    assert_null(srv_key_find(NULL, 0, k1));
    free(keys);
}

static void test_srv_key_revoke_cases(void **state)
{
    keys_fixture *f = *state;
    lode_err err = {0};
    char k1[96], k2[96], id1[17], id2[17];
    assert_int_equal(srv_key_add(f->s, "AUS", "Critical Minerals Office", k1, sizeof k1, id1,
                                 &err),
                     LODE_OK);
    assert_int_equal(srv_key_add(f->s, "KOR", "KOMIR", k2, sizeof k2, id2, &err), LODE_OK);
    assert_int_equal(srv_key_revoke(f->s, id1, &err), LODE_OK);
    srv_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(srv_keys_load(f->s, &keys, &n, &err), LODE_OK);
    assert_int_equal(n, 2);
    const srv_key *r = strcmp(keys[0].id, id1) == 0 ? &keys[0] : &keys[1];
    const srv_key *o = r == &keys[0] ? &keys[1] : &keys[0];
    assert_string_equal(r->id, id1);
    assert_int_equal(strlen(r->revoked), 20);
    assert_int_equal(r->revoked[19], 'Z');
    assert_string_equal(r->ally, "AUS");
    assert_string_equal(r->name, "Critical Minerals Office");
    assert_string_equal(o->revoked, "");
    assert_null(srv_key_find(keys, n, k1));
    assert_ptr_equal(srv_key_find(keys, n, k2), o);
    free(keys);

    /* revoking again is fine; unknown ids are bad input */
    assert_int_equal(srv_key_revoke(f->s, id1, &err), LODE_OK);
    assert_int_equal(srv_key_revoke(f->s, "0000000000000000", &err), LODE_EINPUT);
    assert_non_null(strstr(err.msg, "no key with id '0000000000000000'"));
    assert_int_equal(srv_key_revoke(f->s, "abc", &err), LODE_EINPUT);
    assert_int_equal(srv_key_revoke(f->s, "", &err), LODE_EINPUT);
    char longer[40];
    snprintf(longer, sizeof longer, "%s0", id2);
    assert_int_equal(srv_key_revoke(f->s, longer, &err), LODE_EINPUT);
    /* none of that touched the other key */
    assert_int_equal(srv_keys_load(f->s, &keys, &n, &err), LODE_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].id, id2) == 0)
            assert_string_equal(keys[i].revoked, "");
    assert_non_null(srv_key_find(keys, n, k2));
    free(keys);
}

/* The store holds the hash, never the secret; names cannot break the record. */
static void test_srv_key_add_stored(void **state)
{
    keys_fixture *f = *state;
    lode_err err = {0};
    char key[96], id[17], meta[96], value[512];
    assert_int_equal(srv_key_add(f->s, "USA", "DLA\tStrategic\nMaterials\rX", key, sizeof key, id,
                                 &err),
                     LODE_OK);
    snprintf(meta, sizeof meta, "apikey:%s", id);
    assert_int_equal(lode_store_meta_get(f->s, meta, value, sizeof value, &err), LODE_OK);
    assert_true(strlen(value) > 0);
    assert_null(strstr(value, key + 22));       /* the secret */
    assert_null(strstr(value, key));            /* the whole key */
    char half[24];
    snprintf(half, sizeof half, "%.20s", key + 22);
    assert_null(strstr(value, half));           /* nor a good part of it */
    /* ally, name (tabs and newlines as spaces), created, revoked "", 64 hex digits of hash */
    char want[128];
    snprintf(want, sizeof want, "USA\tDLA Strategic Materials X\t");
    assert_memory_equal(value, want, strlen(want));
    const char *last = strrchr(value, '\t');
    assert_non_null(last);
    assert_int_equal(strlen(last + 1), 64);
    assert_true(all_of(last + 1, 64, HEX));
    assert_null(strchr(value, '\n'));
    assert_null(strchr(value, '\r'));

    srv_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(srv_keys_load(f->s, &keys, &n, &err), LODE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].name, "DLA Strategic Materials X");
    assert_string_equal(keys[0].ally, "USA");
    assert_ptr_equal(srv_key_find(keys, n, key), &keys[0]);
    free(keys);
}

/* ---- redact.c --------------------------------------------------------------------------- */

static lode_model *model;

static int model_setup(void **state)
{
    (void)state;
    lode_err err = {0};
    if (lode_model_load_dir(LODE_DATADIR, &model, &err) != LODE_OK) {
        fprintf(stderr, "cannot load %s: %s\n", LODE_DATADIR, err.msg);
        return -1;
    }
    return 0;
}

static int model_teardown(void **state)
{
    (void)state;
    lode_model_free(model);
    return 0;
}

static void test_srv_confidential_holder_bundled(void **state)
{
    (void)state;
    assert_int_equal(srv_confidential_holder(model, "USA"), 1);
    assert_int_equal(srv_confidential_holder(model, "JPN"), 1);
    assert_int_equal(srv_confidential_holder(model, "AUS"), 1);
    assert_int_equal(srv_confidential_holder(model, "CHN"), 1);
    assert_int_equal(srv_confidential_holder(model, "KOR"), 0); /* holds, openly */
    assert_int_equal(srv_confidential_holder(model, "EUU"), 0);
    assert_int_equal(srv_confidential_holder(model, "DEU"), 0);
    assert_int_equal(srv_confidential_holder(model, "jpn"), 0);
    assert_int_equal(srv_confidential_holder(model, ""), 0);
}

static cJSON *parse(const char *text)
{
    cJSON *d = cJSON_Parse(text);
    assert_non_null(d);
    return d;
}

/* The element of array doc[arr] whose string fields match (field, value) pairs, or NULL. */
static cJSON *row(cJSON *doc, const char *arr, const char *f1, const char *v1, const char *f2,
                  const char *v2, const char *f3, const char *v3)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, arr), *found = NULL;
    for (cJSON *x = a ? a->child : NULL; x; x = x->next) {
        const char *fs[3] = {f1, f2, f3}, *vs[3] = {v1, v2, v3};
        int ok = 1;
        for (int i = 0; i < 3 && fs[i]; i++) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, fs[i]);
            ok = ok && cJSON_IsString(c) && strcmp(c->valuestring, vs[i]) == 0;
        }
        if (ok) {
            if (found)
                fail_msg("two rows of %s match %s=%s", arr, f1, v1);
            found = x;
        }
    }
    return found;
}

static double numf(const cJSON *o, const char *field)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!cJSON_IsNumber(c))
        fail_msg("field '%s' is not a number", field);
    return c->valuedouble;
}

static int is_null(const cJSON *o, const char *field)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, field));
}

static int is_true(const cJSON *o, const char *field)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, field));
}

static int has(const cJSON *o, const char *field)
{
    return cJSON_GetObjectItemCaseSensitive(o, field) != NULL;
}

static int array_size(const cJSON *doc, const char *arr)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, arr));
}

/* Shaped like `lode --json stockpile`: JPN, USA, AUS (confidential), KOR (open) hold cobalt;
 * CHN alone (confidential) holds NdPr; USA and AUS hold lithium, AUS with 0 t. */
static const char stockpile_doc[] =
    "{\"stocks\":["
    "{\"country\":\"JPN\",\"material\":\"Co_refined\",\"held_t\":100,\"target_agency\":\"JOGMEC\","
    "\"target_days\":60,\"target_t\":200},"
    "{\"country\":\"USA\",\"material\":\"Co_refined\",\"held_t\":300,\"target_agency\":\"DLA\","
    "\"target_days\":90,\"target_t\":400},"
    "{\"country\":\"AUS\",\"material\":\"Co_refined\",\"held_t\":50,\"target_agency\":\"CMO\","
    "\"target_days\":30,\"target_t\":60},"
    "{\"country\":\"KOR\",\"material\":\"Co_refined\",\"held_t\":70,\"target_agency\":\"KOMIR\","
    "\"target_days\":100,\"target_t\":80},"
    "{\"country\":\"CHN\",\"material\":\"NdPr_oxide\",\"held_t\":400,\"target_agency\":\"NFSRA\","
    "\"target_days\":null,\"target_t\":null},"
    "{\"country\":\"USA\",\"material\":\"Li_chem\",\"held_t\":20,\"target_agency\":\"DLA\","
    "\"target_days\":10,\"target_t\":25},"
    "{\"country\":\"AUS\",\"material\":\"Li_chem\",\"held_t\":0,\"target_agency\":\"CMO\","
    "\"target_days\":0,\"target_t\":0}],"
    "\"materials\":[{\"material\":\"Co_refined\"},{\"material\":\"NdPr_oxide\"},"
    "{\"material\":\"Li_chem\"}]}";

static void expect_stock_withheld(cJSON *doc, const char *country, const char *mat)
{
    cJSON *s = row(doc, "stocks", "country", country, "material", mat, NULL, NULL);
    assert_non_null(s);
    if (!is_null(s, "held_t") || !is_null(s, "target_agency") || !is_null(s, "target_days") ||
        !is_null(s, "target_t") || !is_true(s, "withheld"))
        fail_msg("%s %s not withheld", country, mat);
}

static void expect_stock_kept(cJSON *doc, const char *country, const char *mat, double held)
{
    cJSON *s = row(doc, "stocks", "country", country, "material", mat, NULL, NULL);
    assert_non_null(s);
    NEAR(numf(s, "held_t"), held, 1e-9);
    assert_false(has(s, "withheld"));
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "target_agency")));
}

static cJSON *material(cJSON *doc, const char *mat)
{
    cJSON *m = row(doc, "materials", "material", mat, NULL, NULL, NULL, NULL);
    assert_non_null(m);
    return m;
}

static void test_srv_redact_stockpile_jpn(void **state)
{
    (void)state;
    cJSON *doc = parse(stockpile_doc);
    assert_int_equal(srv_redact(model, "stockpile", "JPN", doc), 1);
    expect_stock_kept(doc, "JPN", "Co_refined", 100); /* its own */
    expect_stock_kept(doc, "KOR", "Co_refined", 70);  /* not confidential */
    expect_stock_withheld(doc, "USA", "Co_refined");
    expect_stock_withheld(doc, "AUS", "Co_refined");
    expect_stock_withheld(doc, "CHN", "NdPr_oxide");
    expect_stock_withheld(doc, "USA", "Li_chem");
    expect_stock_withheld(doc, "AUS", "Li_chem");
    assert_int_equal(array_size(doc, "stocks"), 7);
    /* cobalt: USA + AUS (two others) = 350; NdPr: CHN alone; lithium: only USA holds some */
    NEAR(numf(material(doc, "Co_refined"), "others_confidential_held_t"), 350, 1e-9);
    assert_true(is_null(material(doc, "NdPr_oxide"), "others_confidential_held_t"));
    assert_true(is_null(material(doc, "Li_chem"), "others_confidential_held_t"));
    cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
    assert_non_null(conf);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(conf, "viewer")->valuestring, "JPN");
    NEAR(numf(conf, "withheld_items"), 5, 0);
    cJSON_Delete(doc);
}

static void test_srv_redact_stockpile_others(void **state)
{
    (void)state;
    static const char *const viewers[] = {"DEU", NULL};
    for (size_t v = 0; v < 2; v++) {
        cJSON *doc = parse(stockpile_doc);
        assert_int_equal(srv_redact(model, "stockpile", viewers[v], doc), 1);
        expect_stock_kept(doc, "KOR", "Co_refined", 70);
        expect_stock_withheld(doc, "JPN", "Co_refined");
        expect_stock_withheld(doc, "USA", "Co_refined");
        expect_stock_withheld(doc, "AUS", "Co_refined");
        expect_stock_withheld(doc, "CHN", "NdPr_oxide");
        /* cobalt: JPN + USA + AUS = 450 */
        NEAR(numf(material(doc, "Co_refined"), "others_confidential_held_t"), 450, 1e-9);
        assert_true(is_null(material(doc, "NdPr_oxide"), "others_confidential_held_t"));
        assert_true(is_null(material(doc, "Li_chem"), "others_confidential_held_t"));
        cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(conf, "viewer")->valuestring,
                            viewers[v] ? viewers[v] : "");
        NEAR(numf(conf, "withheld_items"), 6, 0);
        cJSON_Delete(doc);
    }
    /* USA sees JPN + AUS = 150 for cobalt, and its own lithium */
    cJSON *doc = parse(stockpile_doc);
    assert_int_equal(srv_redact(model, "stockpile", "USA", doc), 1);
    NEAR(numf(material(doc, "Co_refined"), "others_confidential_held_t"), 150, 1e-9);
    expect_stock_kept(doc, "USA", "Li_chem", 20);
    expect_stock_withheld(doc, "JPN", "Co_refined");
    cJSON_Delete(doc);
}

/* Nothing to hide: 0, and the document keeps its figures. */
static void test_srv_redact_stockpile_nothing_hidden(void **state)
{
    (void)state;
    static const char text[] =
        "{\"stocks\":[{\"country\":\"KOR\",\"material\":\"Co_refined\",\"held_t\":70,"
        "\"target_agency\":\"KOMIR\",\"target_days\":100,\"target_t\":80},"
        "{\"country\":\"JPN\",\"material\":\"Co_refined\",\"held_t\":100,"
        "\"target_agency\":\"JOGMEC\",\"target_days\":60,\"target_t\":200}],"
        "\"materials\":[{\"material\":\"Co_refined\"}]}";
    cJSON *doc = parse(text);
    assert_int_equal(srv_redact(model, "stockpile", "JPN", doc), 0);
    expect_stock_kept(doc, "KOR", "Co_refined", 70);
    expect_stock_kept(doc, "JPN", "Co_refined", 100);
    assert_true(is_null(material(doc, "Co_refined"), "others_confidential_held_t"));
    assert_false(has(doc, "confidentiality"));
    cJSON_Delete(doc);
    /* other commands' documents are left alone */
    doc = parse("{\"rows\":[{\"country\":\"USA\",\"held_t\":5}]}");
    assert_int_equal(srv_redact(model, "risk", "DEU", doc), 0);
    NEAR(numf(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "rows"), 0), "held_t"), 5,
         0);
    assert_false(has(doc, "confidentiality"));
    cJSON_Delete(doc);
}

/* Shaped like `lode --json respond`. */
static const char respond_doc[] =
    "{\"released_t\":25,\"redirected_t\":4,\"burden_deviation_usd\":150,"
    "\"shipping_tonne_weeks\":99,\"deliveries\":["
    "{\"from\":\"USA\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":2,"
    "\"arrive_week\":4,\"source\":\"stockpile\",\"tonnes\":10},"
    "{\"from\":\"AUS\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":1,"
    "\"arrive_week\":3,\"source\":\"stockpile\",\"tonnes\":5},"
    "{\"from\":\"CHN\",\"to\":\"KOR\",\"material\":\"NdPr_oxide\",\"unit\":\"t\",\"week\":1,"
    "\"arrive_week\":2,\"source\":\"stockpile\",\"tonnes\":7},"
    "{\"from\":\"KOR\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":1,"
    "\"arrive_week\":2,\"source\":\"stockpile\",\"tonnes\":3},"
    "{\"from\":\"JPN\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":1,"
    "\"arrive_week\":2,\"source\":\"surplus\",\"tonnes\":4}],"
    "\"burden\":["
    "{\"country\":\"USA\",\"share\":0.5,\"key\":0.4,\"contrib_usd\":1000,\"contrib_t\":10,"
    "\"own_release_t\":0,\"received_t\":0,\"deviation_usd\":100},"
    "{\"country\":\"KOR\",\"share\":0.2,\"key\":0.3,\"contrib_usd\":300,\"contrib_t\":3,"
    "\"own_release_t\":0,\"received_t\":7,\"deviation_usd\":50}]}";

static void test_srv_redact_respond_deu(void **state)
{
    (void)state;
    static const char *const viewers[] = {"DEU", NULL};
    for (size_t v = 0; v < 2; v++) {
        cJSON *doc = parse(respond_doc);
        assert_int_equal(srv_redact(model, "respond", viewers[v], doc), 1);
        /* USA + AUS to (DEU, Co): one pooled row; CHN alone to (KOR, NdPr): dropped */
        assert_null(row(doc, "deliveries", "from", "USA", NULL, NULL, NULL, NULL));
        assert_null(row(doc, "deliveries", "from", "AUS", NULL, NULL, NULL, NULL));
        assert_null(row(doc, "deliveries", "from", "CHN", NULL, NULL, NULL, NULL));
        assert_null(row(doc, "deliveries", "to", "KOR", NULL, NULL, NULL, NULL));
        cJSON *p = row(doc, "deliveries", "from", "pooled", "to", "DEU", "material", "Co_refined");
        assert_non_null(p);
        NEAR(numf(p, "tonnes"), 15, 1e-9);
        NEAR(numf(p, "holders"), 2, 0);
        NEAR(numf(p, "week"), 1, 0);
        NEAR(numf(p, "arrive_week"), 3, 0);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "source")->valuestring,
                            "stockpile");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "unit")->valuestring, "t");
        /* KOR's open release and JPN's surplus stay as they were */
        cJSON *k = row(doc, "deliveries", "from", "KOR", NULL, NULL, NULL, NULL);
        assert_non_null(k);
        NEAR(numf(k, "tonnes"), 3, 0);
        cJSON *s = row(doc, "deliveries", "from", "JPN", "source", "surplus", NULL, NULL);
        assert_non_null(s);
        NEAR(numf(s, "tonnes"), 4, 0);
        assert_int_equal(array_size(doc, "deliveries"), 3);
        cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
        NEAR(numf(conf, "withheld_deliveries"), 1, 0);
        NEAR(numf(conf, "withheld_items"), 4, 0); /* 3 releases + 1 burden row */
        /* USA's burden row withheld, KOR's kept */
        cJSON *bu = row(doc, "burden", "country", "USA", NULL, NULL, NULL, NULL);
        assert_true(is_null(bu, "share") && is_null(bu, "contrib_t") &&
                    is_null(bu, "contrib_usd") && is_null(bu, "own_release_t") &&
                    is_null(bu, "deviation_usd") && is_true(bu, "withheld"));
        cJSON *bk = row(doc, "burden", "country", "KOR", NULL, NULL, NULL, NULL);
        NEAR(numf(bk, "share"), 0.2, 0);
        NEAR(numf(bk, "deviation_usd"), 50, 0);
        assert_false(has(bk, "withheld"));
        /* one hidden contributor (USA): the deviation total is KOR's alone */
        NEAR(numf(doc, "burden_deviation_usd"), 50, 1e-9);
        /* hidden releasers: the release total is what is shown (KOR 3 + the pool 15), else
         * 25 - 18 would be CHN's dropped 7 t; tonne-weeks withheld */
        NEAR(numf(doc, "released_t"), 18, 1e-9);
        assert_true(is_null(doc, "shipping_tonne_weeks"));
        NEAR(numf(doc, "redirected_t"), 4, 0);
        cJSON_Delete(doc);
    }
}

/* The viewer's own releases are not hidden from it; a lone other holder's are dropped. */
static void test_srv_redact_respond_usa(void **state)
{
    (void)state;
    cJSON *doc = parse(respond_doc);
    assert_int_equal(srv_redact(model, "respond", "USA", doc), 1);
    cJSON *u = row(doc, "deliveries", "from", "USA", NULL, NULL, NULL, NULL);
    assert_non_null(u);
    NEAR(numf(u, "tonnes"), 10, 0);
    assert_null(row(doc, "deliveries", "from", "pooled", NULL, NULL, NULL, NULL));
    assert_null(row(doc, "deliveries", "from", "AUS", NULL, NULL, NULL, NULL));
    assert_null(row(doc, "deliveries", "from", "CHN", NULL, NULL, NULL, NULL));
    assert_int_equal(array_size(doc, "deliveries"), 3); /* USA, KOR, JPN surplus */
    cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
    NEAR(numf(conf, "withheld_deliveries"), 2, 0);
    NEAR(numf(doc, "released_t"), 13, 1e-9); /* its own 10 + KOR's 3: what it sees */
    assert_true(is_null(doc, "shipping_tonne_weeks"));
    cJSON *bu = row(doc, "burden", "country", "USA", NULL, NULL, NULL, NULL);
    NEAR(numf(bu, "contrib_t"), 10, 0);
    assert_false(has(bu, "withheld"));
    NEAR(numf(doc, "burden_deviation_usd"), 150, 1e-9); /* no hidden contributor */
    cJSON_Delete(doc);
}

/* Exactly one hidden holder released: the release total is recomputed over the visible rows
 * and the tonne-weeks are withheld. */
static void test_srv_redact_respond_one_releaser(void **state)
{
    (void)state;
    static const char text[] =
        "{\"released_t\":10,\"shipping_tonne_weeks\":17,\"burden_deviation_usd\":0,"
        "\"deliveries\":["
        "{\"from\":\"CHN\",\"to\":\"KOR\",\"material\":\"NdPr_oxide\",\"unit\":\"t\",\"week\":1,"
        "\"arrive_week\":2,\"source\":\"stockpile\",\"tonnes\":7},"
        "{\"from\":\"KOR\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":1,"
        "\"arrive_week\":2,\"source\":\"stockpile\",\"tonnes\":3},"
        "{\"from\":\"USA\",\"to\":\"DEU\",\"material\":\"Co_refined\",\"unit\":\"t\",\"week\":1,"
        "\"arrive_week\":2,\"source\":\"surplus\",\"tonnes\":6}],"
        "\"burden\":[]}";
    cJSON *doc = parse(text);
    assert_int_equal(srv_redact(model, "respond", "DEU", doc), 1);
    NEAR(numf(doc, "released_t"), 3, 1e-9);
    assert_true(is_null(doc, "shipping_tonne_weeks"));
    cJSON *conf = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
    NEAR(numf(conf, "withheld_deliveries"), 1, 0);
    assert_true(is_true(conf, "totals_visible_only"));
    /* a confidential holder's surplus is not its stock: untouched */
    cJSON *s = row(doc, "deliveries", "from", "USA", "source", "surplus", NULL, NULL);
    assert_non_null(s);
    NEAR(numf(s, "tonnes"), 6, 0);
    assert_int_equal(array_size(doc, "deliveries"), 2);
    cJSON_Delete(doc);

    /* CHN itself sees everything: nothing hidden */
    doc = parse(text);
    assert_int_equal(srv_redact(model, "respond", "CHN", doc), 0);
    NEAR(numf(doc, "released_t"), 10, 0);
    NEAR(numf(doc, "shipping_tonne_weeks"), 17, 0);
    assert_int_equal(array_size(doc, "deliveries"), 3);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "confidentiality");
    NEAR(numf(c, "withheld_deliveries"), 0, 0);
    assert_false(is_true(c, "totals_visible_only"));
    assert_false(has(c, "withheld_items"));
    cJSON_Delete(doc);
}

static void test_srv_redact_respond_total_isolates_dropped(void **state)
{
    (void)state;
    cJSON *doc = parse(respond_doc);
    assert_int_equal(srv_redact(model, "respond", "DEU", doc), 1);
    double shown = 0;
    cJSON *dels = cJSON_GetObjectItemCaseSensitive(doc, "deliveries");
    for (cJSON *d = dels->child; d; d = d->next)
        if (strcmp(cJSON_GetObjectItemCaseSensitive(d, "source")->valuestring, "stockpile") == 0)
            shown += numf(d, "tonnes");
    NEAR(shown, 18, 1e-9); /* KOR 3 + pooled 15 */
    cJSON *rel = cJSON_GetObjectItemCaseSensitive(doc, "released_t");
    if (!cJSON_IsNull(rel))
        NEAR(numf(doc, "released_t"), shown, 1e-9);
    cJSON_Delete(doc);
}

static void test_srv_redact_simulate_exhaustion(void **state)
{
    (void)state;
    static const char text[] =
        "{\"exhaustion\":["
        "{\"country\":\"USA\",\"material\":\"Co_refined\",\"week\":5},"
        "{\"country\":\"JPN\",\"material\":\"Co_refined\",\"week\":9},"
        "{\"country\":\"KOR\",\"material\":\"Co_refined\",\"week\":12},"
        "{\"country\":\"CHN\",\"material\":\"NdPr_oxide\",\"week\":30}]}";
    cJSON *doc = parse(text);
    assert_int_equal(srv_redact(model, "simulate", "JPN", doc), 1);
    assert_int_equal(array_size(doc, "exhaustion"), 2);
    NEAR(numf(row(doc, "exhaustion", "country", "JPN", NULL, NULL, NULL, NULL), "week"), 9, 0);
    NEAR(numf(row(doc, "exhaustion", "country", "KOR", NULL, NULL, NULL, NULL), "week"), 12, 0);
    assert_null(row(doc, "exhaustion", "country", "USA", NULL, NULL, NULL, NULL));
    assert_null(row(doc, "exhaustion", "country", "CHN", NULL, NULL, NULL, NULL));
    NEAR(numf(cJSON_GetObjectItemCaseSensitive(doc, "confidentiality"), "withheld_items"), 2, 0);
    cJSON_Delete(doc);
    doc = parse(text);
    assert_int_equal(srv_redact(model, "simulate", NULL, doc), 1);
    assert_int_equal(array_size(doc, "exhaustion"), 1);
    assert_non_null(row(doc, "exhaustion", "country", "KOR", NULL, NULL, NULL, NULL));
    cJSON_Delete(doc);
    doc = parse("{\"exhaustion\":[{\"country\":\"KOR\",\"material\":\"Co_refined\",\"week\":1}]}");
    assert_int_equal(srv_redact(model, "simulate", "DEU", doc), 0);
    assert_int_equal(array_size(doc, "exhaustion"), 1);
    cJSON_Delete(doc);
}

static void test_srv_redact_invest_paths(void **state)
{
    (void)state;
    cJSON *doc = parse("{\"scenarios\":["
                       "{\"path\":\"/srv/lode/scenarios/taiwan_strait.json\",\"weight\":1},"
                       "{\"path\":\"/tmp/x/scenario-AbC123\"},"
                       "{\"path\":\"/tmp/x/scenario-AbC123.json\"},"
                       "{\"path\":\"zero.json\"},"
                       "{\"path\":\"relative/dir/drc_cobalt\"},"
                       "{\"name\":\"no path\"}]}");
    assert_int_equal(srv_redact(model, "invest", "DEU", doc), 0);
    cJSON *sc = cJSON_GetObjectItemCaseSensitive(doc, "scenarios");
    static const char *const want[] = {"taiwan_strait", "inline", "inline", "zero",
                                       "drc_cobalt"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sc, i), "path")->valuestring,
            want[i]);
    NEAR(numf(cJSON_GetArrayItem(sc, 0), "weight"), 1, 0);
    assert_false(has(cJSON_GetArrayItem(sc, 5), "path"));
    assert_false(has(doc, "confidentiality"));
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest request_tests[] = {
        cmocka_unit_test(test_srv_unescape_cases),
        cmocka_unit_test(test_srv_utf8_ok_cases),
        cmocka_unit_test(test_srv_utf8_scrub_cases),
        cmocka_unit_test(test_srv_route_parse_kinds),
        cmocka_unit_test(test_srv_route_parse_tricks),
        cmocka_unit_test(test_srv_route_parse_name_length),
        cmocka_unit_test(test_srv_route_parse_max_url),
        cmocka_unit_test(test_srv_route_parse_after_unescape),
        cmocka_unit_test(test_srv_name_ok_cases),
        cmocka_unit_test(test_srv_bearer_parse_cases),
        cmocka_unit_test(test_srv_key_split_cases),
        cmocka_unit_test(test_srv_json_too_deep_cases),
    };
    const struct CMUnitTest argv_tests[] = {
        cmocka_unit_test_setup_teardown(test_srv_argv_build_simple, argv_setup, argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_positional_scenario, argv_setup,
                                        argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_required_scenario, argv_setup,
                                        argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_unknown, argv_setup, argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_repeats, argv_setup, argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_flags, argv_setup, argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_numbers, argv_setup, argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_enums_and_names, argv_setup,
                                        argv_teardown),
        cmocka_unit_test_setup_teardown(test_srv_argv_build_max_params, argv_setup,
                                        argv_teardown),
    };
    const struct CMUnitTest body_tests[] = {
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_valid, body_setup, body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_scenario_json, body_setup,
                                        body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_bad, body_setup, body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_trailing, body_setup,
                                        body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_utf8, body_setup, body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_depth, body_setup, body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_max_params, body_setup,
                                        body_teardown),
        cmocka_unit_test_setup_teardown(test_srv_job_body_parse_to_argv, body_setup,
                                        body_teardown),
    };
    const struct CMUnitTest key_tests[] = {
        cmocka_unit_test_setup_teardown(test_srv_key_add_form, keys_setup, keys_teardown),
        cmocka_unit_test_setup_teardown(test_srv_key_find_rejects, keys_setup, keys_teardown),
        cmocka_unit_test_setup_teardown(test_srv_key_revoke_cases, keys_setup, keys_teardown),
        cmocka_unit_test_setup_teardown(test_srv_key_add_stored, keys_setup, keys_teardown),
    };
    const struct CMUnitTest redact_tests[] = {
        cmocka_unit_test(test_srv_confidential_holder_bundled),
        cmocka_unit_test(test_srv_redact_stockpile_jpn),
        cmocka_unit_test(test_srv_redact_stockpile_others),
        cmocka_unit_test(test_srv_redact_stockpile_nothing_hidden),
        cmocka_unit_test(test_srv_redact_respond_deu),
        cmocka_unit_test(test_srv_redact_respond_usa),
        cmocka_unit_test(test_srv_redact_respond_one_releaser),
        cmocka_unit_test(test_srv_redact_respond_total_isolates_dropped),
        cmocka_unit_test(test_srv_redact_simulate_exhaustion),
        cmocka_unit_test(test_srv_redact_invest_paths),
    };
    int rc = cmocka_run_group_tests(request_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(argv_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(body_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(key_tests, NULL, NULL);
    rc |= cmocka_run_group_tests(redact_tests, model_setup, model_teardown);
    return rc;
}
