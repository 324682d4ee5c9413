/* server.h: `lode serve`, the shared service of a rapid-response group: an HTTP JSON API over
 * the same command handlers as the command line (so every endpoint has the fields of the
 * command's --json), long runs as jobs, one API key per ally, and each ally's confidential
 * stockpiles hidden from the others. Private to src/server and src/cli.
 *
 * Parts: request.c (pure parsers of what arrives: paths, keys, parameters, job bodies; fuzzed
 * by fuzz/fuzz_request.c), keys.c (keys hashed with libsodium, kept in the store's metadata),
 * redact.c (what another ally may see), jobs.c (a queue run by one worker thread), api.c (the
 * routes and the response cache), http.c (libmicrohttpd: limits, static files, dispatch).
 *
 * Units and sources travel inside each engine's document (fields like `unit`, `source`); the
 * server adds none of its own numbers except job progress (runs done of runs). */
#ifndef LODE_SERVER_H
#define LODE_SERVER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "lode/err.h"
#include "lode/model.h"
#include "lode/store.h"

/* ---- limits (bad input gets a 4xx, never a crash or a hang) ------------------------------- */

#define SRV_MAX_BODY (256 * 1024)  /* bytes of a request body */
#define SRV_MAX_URL 2048           /* bytes of a path + query */
#define SRV_MAX_DEPTH 16           /* nesting of arrays/objects in a JSON body */
#define SRV_MAX_PARAMS 32          /* parameters of one request */
#define SRV_MAX_ARGS (2 * SRV_MAX_PARAMS + 2)
#define SRV_MAX_ARTICLES 64        /* articles of one POST /api/news */
#define SRV_TIMEOUT_S 15           /* default: a connection idle this long is closed */

/* ---- request.c: parsing what arrives ------------------------------------------------------ */

typedef enum srv_route_kind {
    SRV_NOT_FOUND,
    SRV_STATIC,      /* anything outside /api/: a file of the dashboard */
    SRV_HEALTH,      /* GET /api/health */
    SRV_OPENAPI,     /* GET /api/openapi.json */
    SRV_WHOAMI,      /* GET /api/whoami */
    SRV_ENGINE,      /* GET /api/<check|risk|exposure|chokepoints|market|stockpile> */
    SRV_SCENARIOS,   /* GET /api/scenarios */
    SRV_SCENARIO,    /* GET /api/scenarios/<name> */
    SRV_DATA,        /* GET /api/data/<resource> */
    SRV_JOBS,        /* GET (list) or POST (submit) /api/jobs */
    SRV_JOB,         /* GET /api/jobs/<id> */
    SRV_NEWS         /* POST /api/news */
} srv_route_kind;

typedef struct srv_route {
    srv_route_kind kind;
    char arg[72]; /* engine name, scenario name, resource or job id; "" if none */
} srv_route;

/* Is s[0..n) valid UTF-8 without NUL bytes? */
int srv_utf8_ok(const char *s, size_t n);
/* Replace each byte of s that is not part of valid UTF-8 by '?' (messages echo input). */
void srv_utf8_scrub(char *s);
/* Decode %HH escapes in place, except %00, which stays as written (a NUL would cut the path
 * short: "/x%00.json" must not become "/x"). Returns the new length. libmicrohttpd calls it
 * for paths and query arguments. */
size_t srv_unescape(char *s);

/* Route a decoded URL path (no query). Paths with "..", empty or dot-led segments, control
 * bytes or over SRV_MAX_URL bytes are SRV_NOT_FOUND. A known /api/ path with a bad name in it
 * (e.g. /api/scenarios/../x) is SRV_NOT_FOUND too. */
void srv_route_parse(const char *path, srv_route *out);

/* A name the server accepts for scenarios, resources and job ids: 1-64 of [A-Za-z0-9_-], not
 * starting with '-'. Returns 1 if so. */
int srv_name_ok(const char *s);

/* Take the key from an "Authorization: Bearer <key>" value. Returns 0 and copies the key, or
 * -1 when the header is malformed or the key does not fit. */
int srv_bearer_parse(const char *header, char *key, size_t len);

/* The parts of a presented key "lode_<id>_<secret>": id 16 hex digits, secret 43 characters
 * of URL-safe base64. Returns 0 or -1. */
int srv_key_split(const char *key, char id[17], char secret[64]);

/* One request parameter. Values are strings as they came (numbers are checked per name). */
typedef struct srv_param {
    const char *name, *value;
} srv_param;

/* A command line built from parameters: argv[0] is the command. Strings are owned by the
 * arena passed to the builder. */
typedef struct srv_argv {
    int argc;
    char *argv[SRV_MAX_ARGS + SRV_MAX_ARTICLES + 1]; /* news appends its article files */
    int scenario_inline; /* params held scenario_json: the caller writes it to a file */
} srv_argv;

/* Build `cmd --opt value ...` from params after checking each against the command's table of
 * allowed parameters (name, kind, range): unknown names, bad numbers, out-of-range values,
 * repeats of single parameters and bad names fail with a message in msg. Scenario names
 * become <scen_dir>/<name>.json (the name must pass srv_name_ok). Returns 0 or -1. */
struct lode_arena;
int srv_argv_build(const char *cmd, const srv_param *p, size_t n, const char *scen_dir,
                   struct lode_arena *a, srv_argv *out, char *msg, size_t msg_len);

/* Parse a job body {"command": C, "params": {...}}: at most SRV_MAX_PARAMS parameters whose
 * values are strings, numbers, booleans or arrays of strings (repeated parameters); a
 * "scenario_json" object is returned printed in *scenario_json (arena) for the caller to
 * write. Depth beyond SRV_MAX_DEPTH, bad UTF-8 or JSON, and other shapes fail with msg.
 * cmd gets the command name. Returns 0 or -1. */
int srv_job_body_parse(const char *body, size_t len, struct lode_arena *a, char *cmd,
                       size_t cmd_len, srv_param *p, size_t *n, const char **scenario_json,
                       char *msg, size_t msg_len);

/* One article of a POST /api/news body. */
typedef struct srv_article {
    const char *name, *text;
} srv_article;

/* Parse {"articles": [{"name": N, "text": T}, ...], "params": {...}}: 1 to SRV_MAX_ARTICLES
 * articles with distinct file-safe names (1-64 of [A-Za-z0-9._-], not dot-led), parameters
 * strings or numbers (checked later by srv_argv_build for "news"). 0, or -1 with msg. */
int srv_news_body_parse(const char *body, size_t len, struct lode_arena *a, srv_article *art,
                        size_t *n_art, srv_param *p, size_t *n, char *msg, size_t msg_len);

/* Is this JSON text nested deeper than max (arrays/objects, outside strings)? */
int srv_json_too_deep(const char *s, size_t len, int max);

/* ---- keys.c: one key per ally ------------------------------------------------------------ */

typedef struct srv_key {
    char id[17];         /* public part, 16 hex digits */
    char ally[16];       /* the country (ISO3) or region the key signs in as */
    char name[96];       /* who holds it, e.g. "JOGMEC" */
    char created[32];    /* UTC, ISO 8601 */
    char revoked[32];    /* "" while valid */
    unsigned char hash[32]; /* BLAKE2b-256 of the secret */
} srv_key;

/* Must be called once before any other keys function (libsodium). 0 or -1. */
int srv_keys_init(void);
/* Create a key for ally (checked against the model by the caller); writes the whole key
 * (shown once, never stored) into key[len >= 96] and its id into id[17]. */
lode_status srv_key_add(lode_store *s, const char *ally, const char *name, char *key,
                        size_t len, char id[17], lode_err *err);
/* Every key in the store (malloc'd array, free with free()). */
lode_status srv_keys_load(lode_store *s, srv_key **out, size_t *n, lode_err *err);
/* Mark key `id` revoked; LODE_EINPUT if there is no such key. */
lode_status srv_key_revoke(lode_store *s, const char *id, lode_err *err);
/* The valid key matching `presented` (hash compared in constant time), or NULL. */
const srv_key *srv_key_find(const srv_key *keys, size_t n, const char *presented);

/* ---- redact.c: what one ally may see of another's stocks ----------------------------------- */

/* Is country `iso3` the holder of a confidential stockpile in m? */
int srv_confidential_holder(const lode_model *m, const char *iso3);
/* Remove from doc (the --json document of command cmd) every figure that would reveal the
 * stock of a confidential holder other than `viewer` (NULL: no one signed in), keeping
 * aggregates only over two or more such holders (docs/api.md, "Confidential stockpiles").
 * Returns 1 if something was withheld from this viewer, else 0; -1 when out of memory (doc
 * is then unusable). */
int srv_redact(const lode_model *m, const char *cmd, const char *viewer, cJSON *doc);

/* ---- api.c: the routes, behind http.c ---------------------------------------------------- */

typedef struct srv_state srv_state;

typedef struct srv_config {
    const char *db;        /* store URI (for keys, read each second) */
    const char *data_dir;  /* the bundled dataset (the engines' defaults) */
    const char *scen_dir;  /* the shipped scenarios, served by name */
    const char *web_dir;   /* the dashboard's static files */
    const char *apidoc;    /* the OpenAPI document's path */
} srv_config;

/* Load the model, the data tables, the scenarios' titles and the API document, and start the
 * job worker. The store s is used for keys only and must outlive the state. */
lode_status srv_state_new(const srv_config *cfg, lode_store *s, const lode_model *m,
                          srv_state **out, lode_err *err);
void srv_state_free(srv_state *st);

typedef struct srv_req {
    const char *method, *path;
    srv_route route;
    const srv_param *query;
    size_t n_query;
    const char *body;
    size_t body_len;
    const char *authorization; /* the header's value, or NULL */
} srv_req;

typedef enum srv_cache { SRV_NO_CACHE, SRV_CACHE_PUBLIC, SRV_CACHE_PER_VIEWER } srv_cache;

typedef struct srv_reply {
    int status;
    char *body; /* malloc'd */
    size_t len;
    const char *type;
    srv_cache cache;
    char viewer[16]; /* the signed-in ally ("" for no one): part of a per-viewer cache key */
} srv_reply;

/* Who presents this Authorization header: copies the key into *who and returns 1, or 0. Keys
 * are re-read from the store at most once a second, so `lode keys revoke` takes effect within
 * a second on a running server. */
int srv_auth(srv_state *st, const char *authorization, srv_key *who);
/* Answer a request whose route is not SRV_STATIC. */
void srv_handle(srv_state *st, const srv_req *r, srv_reply *out);
/* A JSON error reply {"error": {"status": N, "message": M}}. */
void srv_error(srv_reply *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const srv_config *srv_state_config(const srv_state *st);

/* ---- http.c ---------------------------------------------------------------------------- */

/* Serve on bind:port with `threads` threads until SIGINT/SIGTERM; connections idle for
 * timeout_s seconds are closed. */
lode_status srv_http_run(srv_state *st, const char *bind, int port, int threads, int timeout_s,
                         lode_err *err);

#endif
