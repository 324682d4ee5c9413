/* request.c: the parsers of what a client sends: the path, the Authorization header, query
 * parameters and job bodies. Pure functions of their input (no I/O, no globals), so that
 * fuzz/fuzz_request.c can drive them; everything they reject becomes a 4xx with the message
 * they wrote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "lode/arena.h"
#include "server.h"

/* ---- bytes ------------------------------------------------------------------------------ */

int srv_utf8_ok(const char *s, size_t n)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (n > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
        if (k <= 0 || cp == 0)
            return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

void srv_utf8_scrub(char *s)
{
    size_t n = strlen(s);
    utf8proc_uint8_t *p = (utf8proc_uint8_t *)s;
    while (n > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
        if (k <= 0) {
            *p = '?';
            k = 1;
        }
        p += k;
        n -= (size_t)k;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t srv_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        int hi = r[0] == '%' ? hexval(r[1]) : -1, lo = hi >= 0 ? hexval(r[2]) : -1;
        if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---- paths ------------------------------------------------------------------------------ */

int srv_name_ok(const char *s)
{
    size_t n = 0;
    if (s == NULL || *s == '-' || *s == '\0')
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok || n >= 64)
            return 0;
    }
    return 1;
}

/* Every segment non-empty, not dot-led, printable ASCII or UTF-8 (no control bytes). */
static int path_safe(const char *path)
{
    if (path[0] != '/' || strlen(path) > SRV_MAX_URL)
        return 0;
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '\\')
            return 0;
        if (c == '/' && (p[1] == '/' || p[1] == '.'))
            return 0;
    }
    return 1;
}

/* If path is prefix + name with a valid name, copy the name and return 1. */
static int tail_name(const char *path, const char *prefix, char *arg, size_t len)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || !srv_name_ok(path + n) || strlen(path + n) >= len)
        return 0;
    snprintf(arg, len, "%s", path + n);
    return 1;
}

static const char *const engines[] = {"check",  "chokepoints", "exposure",
                                      "market", "risk",        "stockpile"};

void srv_route_parse(const char *path, srv_route *out)
{
    memset(out, 0, sizeof *out);
    out->kind = SRV_NOT_FOUND;
    if (path == NULL || !path_safe(path))
        return;
    if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
        out->kind = SRV_STATIC;
        return;
    }
    const char *p = path + 4; /* "/..." after "/api" */
    if (strcmp(p, "/health") == 0)
        out->kind = SRV_HEALTH;
    else if (strcmp(p, "/openapi.json") == 0)
        out->kind = SRV_OPENAPI;
    else if (strcmp(p, "/whoami") == 0)
        out->kind = SRV_WHOAMI;
    else if (strcmp(p, "/scenarios") == 0)
        out->kind = SRV_SCENARIOS;
    else if (strcmp(p, "/jobs") == 0)
        out->kind = SRV_JOBS;
    else if (strcmp(p, "/news") == 0)
        out->kind = SRV_NEWS;
    else if (tail_name(p, "/scenarios/", out->arg, sizeof out->arg))
        out->kind = SRV_SCENARIO;
    else if (tail_name(p, "/data/", out->arg, sizeof out->arg))
        out->kind = SRV_DATA;
    else if (tail_name(p, "/jobs/", out->arg, sizeof out->arg))
        out->kind = SRV_JOB;
    else
        for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
            if (p[0] == '/' && strcmp(p + 1, engines[i]) == 0) {
                out->kind = SRV_ENGINE;
                snprintf(out->arg, sizeof out->arg, "%s", engines[i]);
            }
}

/* ---- keys ------------------------------------------------------------------------------- */

int srv_bearer_parse(const char *header, char *key, size_t len)
{
    /* The scheme's name is case-insensitive (RFC 9110, 11.1). */
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *k = header + 7;
    while (*k == ' ')
        k++;
    size_t n = strlen(k);
    while (n > 0 && k[n - 1] == ' ')
        n--;
    if (n == 0 || n >= len)
        return -1;
    memcpy(key, k, n);
    key[n] = '\0';
    return 0;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int srv_key_split(const char *key, char id[17], char secret[64])
{
    if (strncmp(key, "lode_", 5) != 0 || strlen(key) != 5 + 16 + 1 + 43 || key[21] != '_')
        return -1;
    for (int i = 0; i < 16; i++)
        if (!is_hex(key[5 + i]))
            return -1;
    for (int i = 0; i < 43; i++)
        if (!is_b64url(key[22 + i]))
            return -1;
    memcpy(id, key + 5, 16);
    id[16] = '\0';
    memcpy(secret, key + 22, 43);
    secret[43] = '\0';
    return 0;
}

/* ---- parameters -> command line --------------------------------------------------------- */

typedef enum pkind {
    P_NAME,     /* an id: material, country, alliance, project (srv_name_ok) */
    P_INT,      /* whole number in [lo, hi] */
    P_NUM,      /* decimal number in [lo, hi] */
    P_ENUM,     /* one of the words in `words` ("a|b|c") */
    P_FLAG,     /* true/false: the option alone when true */
    P_DATE,     /* YYYY-MM-DD */
    P_SCENARIO, /* a shipped scenario's name -> its file */
    P_POS_SCENARIO /* the same, given as the first argument */
} pkind;

typedef struct pspec {
    const char *cmd, *name, *opt;
    pkind kind;
    double lo, hi;
    const char *words;
    int repeat; /* may be given more than once (arrays in job bodies) */
} pspec;

#define BIG 1e15
/* What each command accepts from a client. Options that touch files (--out), threads and
 * --mpi are not here: the server decides those. */
static const pspec specs[] = {
    {"check", "tolerance", "--tolerance", P_NUM, 0, 1, NULL, 0},
    {"news", "date", "--date", P_DATE, 0, 0, NULL, 0},
    {"news", "window", "--window", P_INT, 0, 365, NULL, 0},
    {"news", "sources", "--sources", P_INT, 1, 100, NULL, 0},
    {"risk", "material", "--material", P_NAME, 0, 0, NULL, 0},
    {"risk", "stage", "--stage", P_ENUM, 0, 0, "mine|refine|metal|component", 0},
    {"exposure", "country", "--country", P_NAME, 0, 0, NULL, 0},
    {"exposure", "material", "--material", P_NAME, 0, 0, NULL, 0},
    {"exposure", "top", "--top", P_INT, 1, 1000, NULL, 0},
    {"chokepoints", "weeks", "--weeks", P_INT, 1, 520, NULL, 0},
    {"chokepoints", "alliance", "--alliance", P_NAME, 0, 0, NULL, 0},
    {"chokepoints", "top", "--top", P_INT, 1, 100000, NULL, 0},
    {"market", "material", "--material", P_NAME, 0, 0, NULL, 0},
    {"market", "floor", "--floor", P_NUM, 0, BIG, NULL, 0},
    {"market", "volume", "--volume", P_NUM, 0, BIG, NULL, 0},
    {"market", "country", "--country", P_NAME, 0, 0, NULL, 0},
    {"market", "scenario", "--scenario", P_SCENARIO, 0, 0, NULL, 0},
    {"market", "runs", "--runs", P_INT, 1, 100000, NULL, 0},
    {"market", "seed", "--seed", P_INT, 0, 4e18, NULL, 0},
    {"market", "table", "--table", P_ENUM, 0, 0, "prices|costs|floor|concentration|distortions", 0},
    {"stockpile", "alliance", "--alliance", P_NAME, 0, 0, NULL, 0},
    {"stockpile", "confidence", "--confidence", P_NUM, 0, 1, NULL, 0},
    {"stockpile", "runs", "--runs", P_INT, 1, 100000, NULL, 0},
    {"stockpile", "scenario", "--scenario", P_SCENARIO, 0, 0, NULL, 1},
    {"stockpile", "weeks", "--weeks", P_INT, 1, 520, NULL, 0},
    {"stockpile", "seed", "--seed", P_INT, 0, 4e18, NULL, 0},
    {"stockpile", "solver", "--solver", P_ENUM, 0, 0, "clp|glpk", 0},
    {"simulate", "scenario", NULL, P_POS_SCENARIO, 0, 0, NULL, 0},
    {"simulate", "runs", "--runs", P_INT, 1, 1000000, NULL, 0},
    {"simulate", "weeks", "--weeks", P_INT, 1, 520, NULL, 0},
    {"simulate", "seed", "--seed", P_INT, 0, 4e18, NULL, 0},
    {"simulate", "top", "--top", P_INT, 1, 100000, NULL, 0},
    {"respond", "scenario", NULL, P_POS_SCENARIO, 0, 0, NULL, 0},
    {"respond", "alliance", "--alliance", P_NAME, 0, 0, NULL, 0},
    {"respond", "weeks", "--weeks", P_INT, 1, 520, NULL, 0},
    {"respond", "solver", "--solver", P_ENUM, 0, 0, "clp|glpk", 0},
    {"respond", "seed", "--seed", P_INT, 0, 4e18, NULL, 0},
    {"respond", "burden_tol", "--burden-tol", P_NUM, 0, 1, NULL, 0},
    {"respond", "burden_hard", "--burden-hard", P_FLAG, 0, 0, NULL, 0},
    {"respond", "require", "--require", P_INT, 1, 6, NULL, 0},
    {"respond", "no_resimulate", "--no-resimulate", P_FLAG, 0, 0, NULL, 0},
    {"invest", "budget", "--budget", P_NUM, 0, BIG, NULL, 0},
    {"invest", "months", "--months", P_NUM, 0, 1200, NULL, 0},
    {"invest", "alliance", "--alliance", P_NAME, 0, 0, NULL, 0},
    {"invest", "scenario", "--scenario", P_SCENARIO, 0, 0, NULL, 1},
    {"invest", "require", "--require", P_NAME, 0, 0, NULL, 1},
    {"invest", "horizon", "--horizon", P_INT, 1, 100, NULL, 0},
    {"invest", "as_of", "--as-of", P_INT, 1900, 2200, NULL, 0},
    {"invest", "runs", "--runs", P_INT, 1, 100000, NULL, 0},
    {"invest", "seed", "--seed", P_INT, 0, 4e18, NULL, 0},
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static const pspec *spec_of(const char *cmd, const char *name)
{
    for (size_t i = 0; i < N_SPECS; i++)
        if (strcmp(specs[i].cmd, cmd) == 0 && strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

static int known_command(const char *cmd)
{
    for (size_t i = 0; i < N_SPECS; i++)
        if (strcmp(specs[i].cmd, cmd) == 0)
            return 1;
    return 0;
}

static int word_in(const char *words, const char *v)
{
    size_t n = strlen(v);
    for (const char *w = words; *w;) {
        const char *end = strchr(w, '|');
        size_t len = end ? (size_t)(end - w) : strlen(w);
        if (len == n && strncmp(w, v, n) == 0)
            return 1;
        if (!end)
            break;
        w = end + 1;
    }
    return 0;
}

/* Check v against s; 0 or -1 with msg. */
static int value_ok(const pspec *s, const char *v, char *msg, size_t len)
{
    char *end;
    switch (s->kind) {
    case P_NAME:
    case P_SCENARIO:
    case P_POS_SCENARIO:
        if (!srv_name_ok(v)) {
            snprintf(msg, len, "parameter '%s': not a valid name (1-64 of A-Z a-z 0-9 _ -)",
                     s->name);
            return -1;
        }
        return 0;
    case P_INT:
    case P_NUM: {
        if (*v == '\0' || *v == ' ' || strlen(v) > 32) {
            snprintf(msg, len, "parameter '%s': not a number", s->name);
            return -1;
        }
        double d = strtod(v, &end);
        if (*end != '\0' || d != d) {
            snprintf(msg, len, "parameter '%s': not a number", s->name);
            return -1;
        }
        if (s->kind == P_INT && strspn(v, "0123456789") != strlen(v)) {
            snprintf(msg, len, "parameter '%s': not a whole number", s->name);
            return -1;
        }
        if (d < s->lo || d > s->hi) {
            snprintf(msg, len, "parameter '%s': %s is outside [%g, %g]", s->name, v, s->lo,
                     s->hi);
            return -1;
        }
        return 0;
    }
    case P_ENUM:
        if (!word_in(s->words, v)) {
            snprintf(msg, len, "parameter '%s': '%.64s' is not one of %s", s->name, v,
                     s->words);
            return -1;
        }
        return 0;
    case P_DATE: {
        int ok = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
        for (int i = 0; ok && i < 10; i++)
            ok = i == 4 || i == 7 || (v[i] >= '0' && v[i] <= '9');
        if (!ok) {
            snprintf(msg, len, "parameter '%s': give a date as YYYY-MM-DD", s->name);
            return -1;
        }
        return 0;
    }
    case P_FLAG:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && strcmp(v, "1") != 0 &&
            strcmp(v, "0") != 0) {
            snprintf(msg, len, "parameter '%s': give true or false", s->name);
            return -1;
        }
        return 0;
    }
    return -1;
}

int srv_argv_build(const char *cmd, const srv_param *p, size_t n, const char *scen_dir,
                   lode_arena *a, srv_argv *out, char *msg, size_t msg_len)
{
    memset(out, 0, sizeof *out);
    if (!known_command(cmd)) {
        snprintf(msg, msg_len, "unknown command '%.64s'", cmd);
        return -1;
    }
    if (n > SRV_MAX_PARAMS) {
        snprintf(msg, msg_len, "more than %d parameters", SRV_MAX_PARAMS);
        return -1;
    }
    out->argv[out->argc++] = lode_arena_strdup(a, cmd);
    const char *positional = NULL;
    for (size_t i = 0; i < n; i++) {
        const pspec *s = spec_of(cmd, p[i].name);
        if (s == NULL) {
            snprintf(msg, msg_len, "%s: unknown parameter '%.64s'", cmd, p[i].name);
            return -1;
        }
        if (!s->repeat)
            for (size_t j = 0; j < i; j++)
                if (strcmp(p[j].name, p[i].name) == 0) {
                    snprintf(msg, msg_len, "parameter '%s' given twice", s->name);
                    return -1;
                }
        if (value_ok(s, p[i].value, msg, msg_len) != 0)
            return -1;
        const char *v = p[i].value;
        if (s->kind == P_SCENARIO || s->kind == P_POS_SCENARIO) {
            char *path = lode_arena_alloc(a, strlen(scen_dir) + strlen(v) + 8);
            if (path == NULL) {
                snprintf(msg, msg_len, "out of memory");
                return -1;
            }
            sprintf(path, "%s/%s.json", scen_dir, v);
            v = path;
        }
        if (s->kind == P_POS_SCENARIO) {
            positional = v;
            continue;
        }
        if (s->kind == P_FLAG) {
            if (strcmp(p[i].value, "true") == 0 || strcmp(p[i].value, "1") == 0)
                out->argv[out->argc++] = (char *)s->opt;
            continue;
        }
        out->argv[out->argc++] = (char *)s->opt;
        out->argv[out->argc++] = lode_arena_strdup(a, v);
    }
    for (size_t i = 0; i < N_SPECS; i++)
        if (specs[i].kind == P_POS_SCENARIO && strcmp(specs[i].cmd, cmd) == 0 && !positional) {
            snprintf(msg, msg_len, "%s: parameter 'scenario' (or 'scenario_json') is required",
                     cmd);
            return -1;
        }
    if (positional) { /* the scenario goes first, as on the command line */
        memmove(&out->argv[2], &out->argv[1], (size_t)(out->argc - 1) * sizeof out->argv[0]);
        out->argv[1] = lode_arena_strdup(a, positional);
        out->argc++;
    }
    for (int i = 0; i < out->argc; i++)
        if (out->argv[i] == NULL) {
            snprintf(msg, msg_len, "out of memory");
            return -1;
        }
    out->argv[out->argc] = NULL;
    return 0;
}

/* ---- job bodies ------------------------------------------------------------------------- */

int srv_json_too_deep(const char *s, size_t len, int max)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

/* Parse exactly one JSON value filling text[0..len) (whitespace around it allowed); NULL if the
 * text is not JSON or holds anything after the value. */
static cJSON *parse_whole(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (doc == NULL)
        return NULL;
    for (const char *p = end; p && p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(doc);
            return NULL;
        }
    return doc;
}

/* A number of a JSON body as a parameter string: whole numbers without a fraction. */
static const char *number_text(lode_arena *a, double d)
{
    char buf[64];
    if (d > -9e15 && d < 9e15 && d == (double)(long long)d)
        snprintf(buf, sizeof buf, "%lld", (long long)d);
    else
        snprintf(buf, sizeof buf, "%.17g", d);
    return lode_arena_strdup(a, buf);
}

static int add_param(srv_param *p, size_t *n, const char *name, const char *value, char *msg,
                     size_t msg_len)
{
    if (*n >= SRV_MAX_PARAMS) {
        snprintf(msg, msg_len, "more than %d parameters", SRV_MAX_PARAMS);
        return -1;
    }
    if (name == NULL || value == NULL) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    p[*n].name = name;
    p[*n].value = value;
    (*n)++;
    return 0;
}

int srv_job_body_parse(const char *body, size_t len, lode_arena *a, char *cmd, size_t cmd_len,
                       srv_param *p, size_t *n, const char **scenario_json, char *msg,
                       size_t msg_len)
{
    *n = 0;
    *scenario_json = NULL;
    cmd[0] = '\0';
    if (len == 0) {
        snprintf(msg, msg_len, "empty body: give {\"command\": ..., \"params\": {...}}");
        return -1;
    }
    if (!srv_utf8_ok(body, len)) {
        snprintf(msg, msg_len, "body is not valid UTF-8 (or holds a NUL byte)");
        return -1;
    }
    if (srv_json_too_deep(body, len, SRV_MAX_DEPTH)) {
        snprintf(msg, msg_len, "body nested deeper than %d levels", SRV_MAX_DEPTH);
        return -1;
    }
    cJSON *doc = parse_whole(body, len);
    if (doc == NULL) {
        snprintf(msg, msg_len, "body is not valid JSON (one object, nothing after it)");
        return -1;
    }
    int rc = -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "command");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "params");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(c) || strlen(c->valuestring) >= cmd_len) {
        snprintf(msg, msg_len, "body: 'command' must be a string");
        goto done;
    }
    for (const cJSON *k = doc->child; k; k = k->next)
        if (strcmp(k->string, "command") != 0 && strcmp(k->string, "params") != 0) {
            snprintf(msg, msg_len, "body: unknown field '%.64s'", k->string);
            goto done;
        }
    snprintf(cmd, cmd_len, "%s", c->valuestring);
    if (params && !cJSON_IsObject(params)) {
        snprintf(msg, msg_len, "body: 'params' must be an object");
        goto done;
    }
    for (const cJSON *v = params ? params->child : NULL; v; v = v->next) {
        const char *name = lode_arena_strdup(a, v->string);
        if (strcmp(v->string, "scenario_json") == 0) {
            if (!cJSON_IsObject(v)) {
                snprintf(msg, msg_len, "params.scenario_json must be an object");
                goto done;
            }
            char *text = cJSON_PrintUnformatted(v);
            *scenario_json = text ? lode_arena_strdup(a, text) : NULL;
            free(text);
            if (*scenario_json == NULL) {
                snprintf(msg, msg_len, "out of memory");
                goto done;
            }
        } else if (cJSON_IsString(v)) {
            if (add_param(p, n, name, lode_arena_strdup(a, v->valuestring), msg, msg_len))
                goto done;
        } else if (cJSON_IsNumber(v)) {
            if (add_param(p, n, name, number_text(a, v->valuedouble), msg, msg_len))
                goto done;
        } else if (cJSON_IsBool(v)) {
            if (add_param(p, n, name, cJSON_IsTrue(v) ? "true" : "false", msg, msg_len))
                goto done;
        } else if (cJSON_IsArray(v)) {
            for (const cJSON *e = v->child; e; e = e->next) {
                if (!cJSON_IsString(e)) {
                    snprintf(msg, msg_len, "params.%.64s: arrays hold strings only", v->string);
                    goto done;
                }
                if (add_param(p, n, name, lode_arena_strdup(a, e->valuestring), msg, msg_len))
                    goto done;
            }
        } else {
            snprintf(msg, msg_len, "params.%.64s: give a string, number, boolean or array",
                     v->string);
            goto done;
        }
    }
    rc = 0;
done:
    cJSON_Delete(doc);
    return rc;
}

/* ---- news bodies ------------------------------------------------------------------------ */

/* A file name the server writes: 1-64 of [A-Za-z0-9._-], not starting with '.'. */
static int file_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int srv_news_body_parse(const char *body, size_t len, lode_arena *a, srv_article *art,
                        size_t *n_art, srv_param *p, size_t *n, char *msg, size_t msg_len)
{
    *n_art = 0;
    *n = 0;
    if (!srv_utf8_ok(body, len)) {
        snprintf(msg, msg_len, "body is not valid UTF-8 (or holds a NUL byte)");
        return -1;
    }
    if (srv_json_too_deep(body, len, SRV_MAX_DEPTH)) {
        snprintf(msg, msg_len, "body nested deeper than %d levels", SRV_MAX_DEPTH);
        return -1;
    }
    cJSON *doc = parse_whole(body, len);
    int rc = -1;
    const cJSON *arts = cJSON_GetObjectItemCaseSensitive(doc, "articles");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "params");
    if (!cJSON_IsObject(doc) || !cJSON_IsArray(arts)) {
        snprintf(msg, msg_len, "body: give {\"articles\": [{\"name\": ..., \"text\": ...}], "
                               "\"params\": {...}}");
        goto done;
    }
    for (const cJSON *k = doc->child; k; k = k->next)
        if (strcmp(k->string, "articles") != 0 && strcmp(k->string, "params") != 0) {
            snprintf(msg, msg_len, "body: unknown field '%.64s'", k->string);
            goto done;
        }
    for (const cJSON *x = arts->child; x; x = x->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "name");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(x, "text");
        size_t i = *n_art;
        if (i >= SRV_MAX_ARTICLES) {
            snprintf(msg, msg_len, "more than %d articles", SRV_MAX_ARTICLES);
            goto done;
        }
        if (!cJSON_IsObject(x) || !cJSON_IsString(name) || !cJSON_IsString(text) ||
            cJSON_GetArraySize(x) != 2) {
            snprintf(msg, msg_len, "articles[%zu]: give exactly a string 'name' and 'text'", i);
            goto done;
        }
        if (!file_name_ok(name->valuestring)) {
            snprintf(msg, msg_len,
                     "articles[%zu].name: 1-64 of A-Z a-z 0-9 . _ -, not starting with '.'", i);
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(art[j].name, name->valuestring) == 0) {
                snprintf(msg, msg_len, "articles[%zu].name: '%s' given twice", i,
                         name->valuestring);
                goto done;
            }
        art[i].name = lode_arena_strdup(a, name->valuestring);
        art[i].text = lode_arena_strdup(a, text->valuestring);
        if (art[i].name == NULL || art[i].text == NULL) {
            snprintf(msg, msg_len, "out of memory");
            goto done;
        }
        (*n_art)++;
    }
    if (*n_art == 0) {
        snprintf(msg, msg_len, "articles: give at least one");
        goto done;
    }
    if (params && !cJSON_IsObject(params)) {
        snprintf(msg, msg_len, "body: 'params' must be an object");
        goto done;
    }
    for (const cJSON *v = params ? params->child : NULL; v; v = v->next) {
        const char *val = cJSON_IsString(v)   ? lode_arena_strdup(a, v->valuestring)
                          : cJSON_IsNumber(v) ? number_text(a, v->valuedouble)
                                              : NULL;
        if (!cJSON_IsString(v) && !cJSON_IsNumber(v)) {
            snprintf(msg, msg_len, "params.%.64s: give a string or a number", v->string);
            goto done;
        }
        if (add_param(p, n, lode_arena_strdup(a, v->string), val, msg, msg_len))
            goto done;
    }
    rc = 0;
done:
    if (doc == NULL)
        snprintf(msg, msg_len, "body is not valid JSON");
    cJSON_Delete(doc);
    return rc;
}
