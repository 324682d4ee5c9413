/* fuzz_request.c: libFuzzer target for the parsers of what an HTTP client sends to
 * `lode serve` (src/server/request.c): the input's first byte picks the parser, the rest is
 * its input: 0 a path (unescaped, then routed), 1 an Authorization header and the key in it,
 * 2 a job body and the command line built from it, 3 a query string ("a=b&c=d") for each
 * engine, 4 a news body (articles and parameters) and its command line. Any crash, sanitizer report or out-of-bounds read is a finding; results are checked
 * for the invariants the server relies on (routed names are safe, argv is NULL-terminated
 * and holds no path outside the scenario directory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/server.h"
#include "lode/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_argv(const srv_argv *v)
{
    if (v->argc < 1 || v->argc > SRV_MAX_ARGS || v->argv[v->argc] != NULL)
        abort();
    for (int i = 0; i < v->argc; i++)
        if (v->argv[i] == NULL || strstr(v->argv[i], "..") != NULL)
            abort();
}

static void fuzz_query(const char *text, lode_arena *a)
{
    static const char *const cmds[] = {"risk", "exposure", "chokepoints", "market",
                                       "stockpile", "simulate", "respond", "invest"};
    char *copy = lode_arena_strdup(a, text);
    srv_param p[SRV_MAX_PARAMS];
    size_t n = 0;
    for (char *save = NULL, *tok = copy ? strtok_r(copy, "&", &save) : NULL;
         tok && n < SRV_MAX_PARAMS; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        srv_unescape(tok);
        if (eq)
            srv_unescape(eq + 1);
        p[n].name = tok;
        p[n].value = eq ? eq + 1 : "";
        n++;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        srv_argv v;
        char msg[256];
        if (srv_argv_build(cmds[i], p, n, "/scen", a, &v, msg, sizeof msg) == 0)
            check_argv(&v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    char *s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    lode_arena *a = lode_arena_new();
    switch (data[0] % 5) {
    case 0: {
        srv_unescape(s);
        srv_route r;
        srv_route_parse(s, &r);
        if (r.kind != SRV_NOT_FOUND && r.kind != SRV_STATIC && r.arg[0] && !srv_name_ok(r.arg) &&
            r.kind != SRV_ENGINE)
            abort();
        if (r.kind == SRV_STATIC && strstr(s, "/.") != NULL)
            abort();
        break;
    }
    case 1: {
        char key[160], id[17], secret[64];
        if (srv_bearer_parse(s, key, sizeof key) == 0 && srv_key_split(key, id, secret) == 0 &&
            (strlen(id) != 16 || strlen(secret) != 43))
            abort();
        break;
    }
    case 2: {
        char cmd[16], msg[512];
        srv_param p[SRV_MAX_PARAMS];
        size_t n = 0;
        const char *scen = NULL;
        if (a && srv_job_body_parse(s, size - 1, a, cmd, sizeof cmd, p, &n, &scen, msg,
                                    sizeof msg) == 0) {
            srv_argv v;
            if (n > SRV_MAX_PARAMS)
                abort();
            if (srv_argv_build(cmd, p, n, "/scen", a, &v, msg, sizeof msg) == 0)
                check_argv(&v);
        }
        srv_utf8_scrub(msg);
        break;
    }
    case 4: {
        srv_article art[SRV_MAX_ARTICLES];
        srv_param p[SRV_MAX_PARAMS];
        size_t n_art = 0, n = 0;
        char msg[512];
        if (a && srv_news_body_parse(s, size - 1, a, art, &n_art, p, &n, msg, sizeof msg) == 0) {
            if (n_art < 1 || n_art > SRV_MAX_ARTICLES)
                abort();
            for (size_t i = 0; i < n_art; i++)
                if (strchr(art[i].name, '/') || art[i].name[0] == '.')
                    abort();
            srv_argv v;
            if (srv_argv_build("news", p, n, "/scen", a, &v, msg, sizeof msg) == 0)
                check_argv(&v);
        }
        break;
    }
    default:
        if (a)
            fuzz_query(s, a);
    }
    lode_arena_free(a);
    free(s);
    return 0;
}
