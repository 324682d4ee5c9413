/* api.c: what each /api/ route answers. Engines run through cli_run_json, the door the command
 * line's --json takes, so an endpoint's fields are the command's; the document then passes
 * srv_redact for the signed-in ally. Long runs (simulate, respond, invest, and stockpile or
 * chokepoints when asked) are jobs: a FIFO queue run by one worker thread, each job visible
 * to the ally that submitted it only. The LP solvers are not used from two threads at once
 * (lp_lock): GLPK keeps per-thread state and CBC global state. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli_int.h"
#include "lode/arena.h"
#include "lode/buf.h"
#include "lode/engines.h"
#include "server.h"

#define MAX_JOBS 256 /* jobs kept; the oldest finished job makes room for a new one */

typedef enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED } job_state;
static const char *const job_state_name[] = {"queued", "running", "done", "failed"};

typedef struct job {
    char id[17];
    char owner[16];
    char cmd[16];
    lode_arena *arena; /* argv strings */
    srv_argv args;
    char *scen_path;   /* a scenario_json written for this job, removed when it ends */
    job_state state;
    cli_sink sink;
    char *result;      /* printed, redacted document (done) */
    int status;        /* HTTP status of a failure */
    char submitted[32];
    double seconds;
} job;

typedef struct table_doc {
    char *name;
    char *body;   /* printed document, or NULL when filtered per viewer */
    cJSON *doc;   /* kept for tables filtered per viewer (stockpiles) */
} table_doc;

struct srv_state {
    srv_config cfg;
    lode_store *store;
    const lode_model *model;
    char *apidoc;
    size_t apidoc_len;
    char *scenarios; /* printed {"scenarios": [...]} */
    table_doc *tables;
    size_t n_tables;
    char tmp_dir[64]; /* scenario_json files */

    pthread_mutex_t key_lock;
    srv_key *keys;
    size_t n_keys;
    time_t keys_read;

    pthread_mutex_t lp_lock;

    pthread_mutex_t job_lock;
    pthread_cond_t job_cond;
    job *jobs[MAX_JOBS];
    size_t n_jobs;
    int stopping;
    pthread_t worker;
    int have_worker;
};

const srv_config *srv_state_config(const srv_state *st)
{
    return &st->cfg;
}

/* ---- replies ---------------------------------------------------------------------------- */

static void reply_take(srv_reply *out, int status, char *body)
{
    out->status = status;
    out->body = body;
    out->len = body ? strlen(body) : 0;
    out->type = "application/json";
    if (body == NULL) {
        out->status = 500;
        out->body = strdup("{\"error\":{\"status\":500,\"message\":\"out of memory\"}}");
        out->len = out->body ? strlen(out->body) : 0;
    }
}

void srv_error(srv_reply *out, int status, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    srv_utf8_scrub(msg);
    cJSON *doc = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddNumberToObject(e, "status", status);
    cJSON_AddStringToObject(e, "message", msg);
    char *body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    out->cache = SRV_NO_CACHE;
    reply_take(out, status, body);
}

static void reply_json(srv_reply *out, int status, cJSON *doc)
{
    char *body = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    reply_take(out, status, body);
}

static void reply_copy(srv_reply *out, const char *text, size_t len)
{
    char *b = malloc(len + 1);
    if (b) {
        memcpy(b, text, len);
        b[len] = '\0';
    }
    reply_take(out, 200, b);
    out->len = b ? len : out->len;
}

/* Exit codes of the command line as HTTP statuses. */
static int http_status(int rc)
{
    switch (rc) {
    case LODE_OK:
        return 200;
    case LODE_EUSAGE:
    case LODE_EINPUT:
        return 400;
    case LODE_ENOSOLN:
        return 422;
    default:
        return 500;
    }
}

/* ---- keys ------------------------------------------------------------------------------- */

static void keys_refresh(srv_state *st)
{
    time_t now = time(NULL);
    if (st->keys && now == st->keys_read)
        return;
    srv_key *k = NULL;
    size_t n = 0;
    lode_err err = {0};
    if (srv_keys_load(st->store, &k, &n, &err) != LODE_OK) {
        char buf[512];
        /* Keep the keys read last: a store that cannot be read now signs no one out. */
        fprintf(stderr, "lode serve: cannot read keys: %s\n", lode_err_fmt(&err, buf, sizeof buf));
        return;
    }
    free(st->keys);
    st->keys = k;
    st->n_keys = n;
    st->keys_read = now;
}

int srv_auth(srv_state *st, const char *authorization, srv_key *who)
{
    char key[160];
    if (authorization == NULL || srv_bearer_parse(authorization, key, sizeof key) != 0)
        return 0;
    pthread_mutex_lock(&st->key_lock);
    keys_refresh(st);
    const srv_key *k = srv_key_find(st->keys, st->n_keys, key);
    if (k)
        *who = *k;
    pthread_mutex_unlock(&st->key_lock);
    sodium_memzero(key, sizeof key);
    return k != NULL;
}

/* ---- engines ---------------------------------------------------------------------------- */

static int uses_lp(const char *cmd)
{
    return strcmp(cmd, "respond") == 0 || strcmp(cmd, "stockpile") == 0 ||
           strcmp(cmd, "invest") == 0;
}

/* Run argv for viewer; on success *text is the printed, redacted document. Returns the HTTP
 * status; on failure msg holds the command's message. */
static int run_engine(srv_state *st, srv_argv *args, const char *viewer, cli_sink *sink,
                      char **text, char *msg, size_t msg_len)
{
    const char *cmd = args->argv[0];
    int lp = uses_lp(cmd);
    if (lp)
        pthread_mutex_lock(&st->lp_lock);
    int rc = cli_run_json(args->argc, args->argv, st->model, st->cfg.data_dir, sink);
    if (lp)
        pthread_mutex_unlock(&st->lp_lock);
    *text = NULL;
    if (rc != 0) {
        snprintf(msg, msg_len, "%s", sink->msg[0] ? sink->msg : "the command failed");
        cJSON_Delete(sink->doc);
        sink->doc = NULL;
        return http_status(rc);
    }
    if (srv_redact(st->model, cmd, viewer, sink->doc) < 0) {
        cJSON_Delete(sink->doc);
        sink->doc = NULL;
        snprintf(msg, msg_len, "out of memory");
        return 500;
    }
    *text = cJSON_PrintUnformatted(sink->doc);
    cJSON_Delete(sink->doc);
    sink->doc = NULL;
    if (*text == NULL) {
        snprintf(msg, msg_len, "out of memory");
        return 500;
    }
    return 200;
}

static void handle_engine(srv_state *st, const srv_req *r, const srv_key *who, srv_reply *out)
{
    lode_arena *a = lode_arena_new();
    srv_argv args;
    char msg[1024];
    if (a == NULL) {
        srv_error(out, 500, "out of memory");
        return;
    }
    if (srv_argv_build(r->route.arg, r->query, r->n_query, st->cfg.scen_dir, a, &args, msg,
                       sizeof msg) != 0) {
        lode_arena_free(a);
        srv_error(out, 400, "%s", msg);
        return;
    }
    cli_sink sink;
    memset(&sink, 0, sizeof sink);
    char *text;
    int status = run_engine(st, &args, who->ally, &sink, &text, msg, sizeof msg);
    lode_arena_free(a);
    if (status != 200) {
        srv_error(out, status, "%s", msg);
        return;
    }
    /* Only stockpile (of the GET engines) names stocks; the others are the same for all. */
    out->cache = strcmp(r->route.arg, "stockpile") == 0 ? SRV_CACHE_PER_VIEWER : SRV_CACHE_PUBLIC;
    reply_take(out, 200, text);
}

/* ---- jobs ------------------------------------------------------------------------------- */

static void job_free(job *j)
{
    if (j == NULL)
        return;
    if (j->scen_path) {
        remove(j->scen_path);
        free(j->scen_path);
    }
    cJSON_Delete(j->sink.doc);
    free(j->result);
    lode_arena_free(j->arena);
    free(j);
}

static void *job_worker(void *arg)
{
    srv_state *st = arg;
    pthread_mutex_lock(&st->job_lock);
    for (;;) {
        job *j = NULL;
        for (size_t i = 0; i < st->n_jobs && j == NULL; i++)
            if (st->jobs[i]->state == JOB_QUEUED)
                j = st->jobs[i];
        if (j == NULL) {
            if (st->stopping)
                break;
            pthread_cond_wait(&st->job_cond, &st->job_lock);
            continue;
        }
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&st->job_lock);

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char msg[1024], *text;
        int status = run_engine(st, &j->args, j->owner, &j->sink, &text, msg, sizeof msg);
        clock_gettime(CLOCK_MONOTONIC, &t1);

        pthread_mutex_lock(&st->job_lock);
        j->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        j->status = status;
        if (status == 200) {
            j->result = text;
            j->state = JOB_DONE;
        } else {
            snprintf(j->sink.msg, sizeof j->sink.msg, "%s", msg);
            j->state = JOB_FAILED;
        }
        if (j->scen_path) {
            remove(j->scen_path);
            free(j->scen_path);
            j->scen_path = NULL;
        }
    }
    pthread_mutex_unlock(&st->job_lock);
    lode_engines_thread_done();
    return NULL;
}

/* The job's status document (caller holds job_lock). */
static char *job_text(const job *j)
{
    lode_buf b = LODE_BUF_INIT;
    long done = j->sink.done, total = j->sink.total;
    lode_buf_printf(&b,
                    "{\"id\":\"%s\",\"command\":\"%s\",\"state\":\"%s\",\"submitted\":\"%s\","
                    "\"progress\":{\"done\":%ld,\"total\":%ld,\"unit\":\"runs\"}",
                    j->id, j->cmd, job_state_name[j->state], j->submitted, done, total);
    if (j->state == JOB_DONE || j->state == JOB_FAILED)
        lode_buf_printf(&b, ",\"seconds\":%.3f", j->seconds);
    if (j->state == JOB_DONE) {
        lode_buf_puts(&b, ",\"result\":");
        lode_buf_puts(&b, j->result);
    } else if (j->state == JOB_FAILED) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "status", j->status);
        cJSON_AddStringToObject(e, "message", j->sink.msg);
        char *t = cJSON_PrintUnformatted(e);
        cJSON_Delete(e);
        lode_buf_puts(&b, ",\"error\":");
        lode_buf_puts(&b, t ? t : "null");
        free(t);
    }
    lode_buf_puts(&b, "}");
    if (b.oom) {
        lode_buf_free(&b);
        return NULL;
    }
    return b.data; /* lode_buf's storage is malloc'd and NUL-terminated */
}

/* Write a scenario given inline to a private file; its path, or NULL. */
static char *write_scenario(srv_state *st, const char *json, char *msg, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/scenario-XXXXXX", st->tmp_dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(msg, len, "cannot write the scenario: %s", strerror(errno));
        return NULL;
    }
    size_t n = strlen(json);
    ssize_t w = write(fd, json, n);
    close(fd);
    if (w < 0 || (size_t)w != n) {
        remove(path);
        snprintf(msg, len, "cannot write the scenario");
        return NULL;
    }
    return strdup(path);
}

static const char *const job_commands[] = {"chokepoints", "invest", "respond", "simulate",
                                           "stockpile"};

static void handle_submit(srv_state *st, const srv_req *r, const srv_key *who, srv_reply *out)
{
    job *j = calloc(1, sizeof *j);
    if (j == NULL || (j->arena = lode_arena_new()) == NULL) {
        free(j);
        srv_error(out, 500, "out of memory");
        return;
    }
    srv_param p[SRV_MAX_PARAMS];
    size_t n = 0;
    const char *scen_json = NULL;
    char msg[1024];
    if (srv_job_body_parse(r->body, r->body_len, j->arena, j->cmd, sizeof j->cmd, p, &n,
                           &scen_json, msg, sizeof msg) != 0) {
        job_free(j);
        srv_error(out, 400, "%s", msg);
        return;
    }
    int allowed = 0;
    for (size_t i = 0; i < sizeof job_commands / sizeof *job_commands; i++)
        allowed |= strcmp(j->cmd, job_commands[i]) == 0;
    if (!allowed) {
        srv_error(out, 400, "command '%s' is not run as a job (give one of chokepoints, invest, "
                            "respond, simulate, stockpile)", j->cmd);
        job_free(j);
        return;
    }
    if (srv_argv_build(j->cmd, p, n, st->cfg.scen_dir, j->arena, &j->args, msg, sizeof msg) !=
        0) {
        /* A scenario given inline stands for the missing 'scenario' parameter. */
        if (scen_json == NULL || strstr(msg, "is required") == NULL) {
            job_free(j);
            srv_error(out, 400, "%s", msg);
            return;
        }
    }
    if (scen_json) {
        int pos = strcmp(j->cmd, "simulate") == 0 || strcmp(j->cmd, "respond") == 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(p[i].name, "scenario") == 0) {
                job_free(j);
                srv_error(out, 400, "give 'scenario' or 'scenario_json', not both");
                return;
            }
        /* Build again with a placeholder name, then point it at the written file. */
        if (n >= SRV_MAX_PARAMS) {
            job_free(j);
            srv_error(out, 400, "more than %d parameters", SRV_MAX_PARAMS);
            return;
        }
        p[n].name = "scenario";
        p[n].value = "inline";
        if (srv_argv_build(j->cmd, p, n + 1, st->cfg.scen_dir, j->arena, &j->args, msg,
                           sizeof msg) != 0 ||
            (j->scen_path = write_scenario(st, scen_json, msg, sizeof msg)) == NULL) {
            job_free(j);
            srv_error(out, 400, "%s", msg);
            return;
        }
        for (int i = 1; i < j->args.argc; i++)
            if (strstr(j->args.argv[i], "/inline.json") &&
                (pos ? i == 1 : strcmp(j->args.argv[i - 1], "--scenario") == 0))
                j->args.argv[i] = j->scen_path;
    }
    unsigned char idb[8];
    randombytes_buf(idb, sizeof idb);
    sodium_bin2hex(j->id, sizeof j->id, idb, sizeof idb);
    snprintf(j->owner, sizeof j->owner, "%s", who->ally);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(j->submitted, sizeof j->submitted, "%Y-%m-%dT%H:%M:%SZ", &tm);

    pthread_mutex_lock(&st->job_lock);
    if (st->n_jobs == MAX_JOBS) { /* make room: the oldest finished job goes */
        size_t k = 0;
        while (k < st->n_jobs && st->jobs[k]->state < JOB_DONE)
            k++;
        if (k == st->n_jobs) {
            pthread_mutex_unlock(&st->job_lock);
            job_free(j);
            srv_error(out, 503, "%d jobs are queued or running; try again later", MAX_JOBS);
            return;
        }
        job_free(st->jobs[k]);
        memmove(&st->jobs[k], &st->jobs[k + 1], (st->n_jobs - k - 1) * sizeof st->jobs[0]);
        st->n_jobs--;
    }
    st->jobs[st->n_jobs++] = j;
    char *text = job_text(j);
    pthread_cond_signal(&st->job_cond);
    pthread_mutex_unlock(&st->job_lock);
    reply_take(out, 202, text);
}

static void handle_job(srv_state *st, const srv_req *r, const srv_key *who, srv_reply *out)
{
    pthread_mutex_lock(&st->job_lock);
    char *text = NULL;
    int found = 0;
    for (size_t i = 0; i < st->n_jobs && !found; i++) {
        job *j = st->jobs[i];
        /* Another ally's job does not exist, as far as this caller can tell. */
        if (strcmp(j->id, r->route.arg) == 0 && strcmp(j->owner, who->ally) == 0) {
            found = 1;
            text = job_text(j);
        }
    }
    pthread_mutex_unlock(&st->job_lock);
    if (!found)
        srv_error(out, 404, "no job '%s'", r->route.arg);
    else
        reply_take(out, 200, text);
}

static void handle_job_list(srv_state *st, const srv_key *who, srv_reply *out)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "jobs");
    pthread_mutex_lock(&st->job_lock);
    for (size_t i = 0; i < st->n_jobs; i++) {
        const job *j = st->jobs[i];
        if (strcmp(j->owner, who->ally) != 0)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", j->id);
        cJSON_AddStringToObject(o, "command", j->cmd);
        cJSON_AddStringToObject(o, "state", job_state_name[j->state]);
        cJSON_AddStringToObject(o, "submitted", j->submitted);
        cJSON_AddItemToArray(arr, o);
    }
    pthread_mutex_unlock(&st->job_lock);
    reply_json(out, 200, doc);
}

/* ---- news ------------------------------------------------------------------------------- */

/* Remove every occurrence of prefix from text, in place. */
static void cut_all(char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    char *w = text;
    for (const char *r = text; *r;) {
        if (strncmp(r, prefix, n) == 0)
            r += n;
        else
            *w++ = *r++;
    }
    *w = '\0';
}

/* POST /api/news: the articles are written to a private directory as files named as the
 * client named them, read by `lode news` like files on the command line, and the
 * directory's path is cut from the answer. Fast enough to answer at once (MB/s). */
static void handle_news(srv_state *st, const srv_req *r, const srv_key *who, srv_reply *out)
{
    lode_arena *a = lode_arena_new();
    srv_article art[SRV_MAX_ARTICLES];
    srv_param p[SRV_MAX_PARAMS];
    size_t n_art = 0, n = 0;
    srv_argv args;
    char msg[1024], dir[160] = "";
    int status = 400;
    char *text = NULL;
    if (a == NULL) {
        srv_error(out, 500, "out of memory");
        return;
    }
    if (srv_news_body_parse(r->body, r->body_len, a, art, &n_art, p, &n, msg, sizeof msg) != 0 ||
        srv_argv_build("news", p, n, st->cfg.scen_dir, a, &args, msg, sizeof msg) != 0)
        goto done;
    snprintf(dir, sizeof dir, "%s/news-XXXXXX", st->tmp_dir);
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        status = 500;
        snprintf(msg, sizeof msg, "cannot write the articles");
        goto done;
    }
    for (size_t i = 0; i < n_art; i++) {
        char *path = lode_arena_alloc(a, strlen(dir) + strlen(art[i].name) + 2);
        lode_err err = {0};
        if (path == NULL) {
            status = 500;
            snprintf(msg, sizeof msg, "out of memory");
            goto done;
        }
        sprintf(path, "%s/%s", dir, art[i].name);
        if (lode_file_write(path, art[i].text, strlen(art[i].text), &err) != LODE_OK) {
            status = 500;
            snprintf(msg, sizeof msg, "cannot write the articles");
            goto done;
        }
        args.argv[args.argc++] = path;
    }
    args.argv[args.argc] = NULL;
    cli_sink sink;
    memset(&sink, 0, sizeof sink);
    status = run_engine(st, &args, who->ally, &sink, &text, msg, sizeof msg);
    if (status == 200) {
        char prefix[170];
        snprintf(prefix, sizeof prefix, "%s/", dir);
        cut_all(text, prefix);
    }
done:
    for (size_t i = 0; dir[0] && i < n_art; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, art[i].name);
        remove(path);
    }
    if (dir[0])
        rmdir(dir);
    lode_arena_free(a);
    if (status == 200)
        reply_take(out, 200, text);
    else
        srv_error(out, status, "%s", msg);
}

/* ---- data tables ------------------------------------------------------------------------ */

typedef struct rows_ctx {
    const lode_schema *s;
    cJSON *rows;
} rows_ctx;

static lode_status add_row(void *ctx, const char *const *cells, size_t n, long line,
                           lode_err *err)
{
    (void)line;
    rows_ctx *c = ctx;
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const lode_field *f = &c->s->fields[i];
        double d;
        if (cells[i][0] == '\0')
            cJSON_AddNullToObject(o, f->name);
        else if (f->type != LODE_FT_STRING && lode_parse_number(cells[i], &d))
            cJSON_AddNumberToObject(o, f->name, d);
        else
            cJSON_AddStringToObject(o, f->name, cells[i]);
    }
    cJSON_AddItemToArray(c->rows, o);
    return LODE_OK;
}

/* Every table of the store as {"resource", "fields", "rows"}: exported once at start into a
 * private directory and read back with the package's schema, so both store backends serve
 * the same documents. */
static lode_status load_tables(srv_state *st, const lode_package *pkg, lode_err *err)
{
    char dir[96];
    snprintf(dir, sizeof dir, "%s/tables", st->tmp_dir);
    LODE_TRY(lode_store_export(st->store, dir, err));
    st->tables = calloc(pkg->n_res, sizeof *st->tables);
    if (st->tables == NULL)
        return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
    lode_status rc = LODE_OK;
    for (size_t i = 0; i < pkg->n_res && rc == LODE_OK; i++) {
        const lode_schema *s = &pkg->res[i];
        char path[256];
        snprintf(path, sizeof path, "%s/%s.csv", dir, s->name);
        lode_buf b = LODE_BUF_INIT;
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "resource", s->name);
        cJSON *fields = cJSON_AddArrayToObject(doc, "fields");
        for (size_t k = 0; k < s->n_fields; k++) {
            cJSON *f = cJSON_CreateObject();
            static const char *const types[] = {"string", "number", "integer"};
            cJSON_AddStringToObject(f, "name", s->fields[k].name);
            cJSON_AddStringToObject(f, "type", types[s->fields[k].type]);
            cJSON_AddStringToObject(f, "unit", s->fields[k].unit);
            cJSON_AddStringToObject(f, "description", s->fields[k].description);
            cJSON_AddItemToArray(fields, f);
        }
        rows_ctx c = {s, cJSON_AddArrayToObject(doc, "rows")};
        if (access(path, R_OK) == 0) { /* an empty table is not exported */
            rc = lode_file_read(path, &b, err);
            if (rc == LODE_OK)
                rc = lode_csv_scan(b.data, b.len, path, s, add_row, &c, err);
            remove(path);
        }
        lode_buf_free(&b);
        st->tables[i].name = strdup(s->name);
        if (st->tables[i].name == NULL && rc == LODE_OK)
            rc = LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
        if (lode_schema_field(s, "confidential") >= 0) {
            st->tables[i].doc = doc;
        } else {
            st->tables[i].body = cJSON_PrintUnformatted(doc);
            cJSON_Delete(doc);
        }
        st->n_tables = i + 1;
    }
    rmdir(dir);
    return rc;
}

static void handle_data(srv_state *st, const srv_req *r, const srv_key *who, srv_reply *out)
{
    for (size_t i = 0; i < st->n_tables; i++) {
        const table_doc *t = &st->tables[i];
        if (t->name == NULL || strcmp(t->name, r->route.arg) != 0)
            continue;
        if (t->body) {
            out->cache = SRV_CACHE_PUBLIC;
            reply_copy(out, t->body, strlen(t->body));
            return;
        }
        /* Rows marked confidential=yes are their holder's alone. */
        cJSON *doc = cJSON_Duplicate(t->doc, 1);
        cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
        for (cJSON *row = rows ? rows->child : NULL; row;) {
            cJSON *next = row->next;
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "confidential");
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(row, "holder");
            int conf = cJSON_IsString(c) && strcmp(c->valuestring, "yes") == 0;
            int own = cJSON_IsString(h) && strcmp(h->valuestring, who->ally) == 0;
            if (conf && !own)
                cJSON_Delete(cJSON_DetachItemViaPointer(rows, row));
            row = next;
        }
        out->cache = SRV_CACHE_PER_VIEWER;
        reply_json(out, 200, doc);
        return;
    }
    srv_error(out, 404, "no table '%s'", r->route.arg);
}

/* ---- scenarios -------------------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static lode_status load_scenarios(srv_state *st, lode_err *err)
{
    DIR *d = opendir(st->cfg.scen_dir);
    if (d == NULL)
        return LODE_FAIL(err, LODE_EIO, st->cfg.scen_dir, 0, NULL, "cannot read: %s",
                         strerror(errno));
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            names[n] = strndup(e->d_name, len - 5);
            if (names[n] && srv_name_ok(names[n]))
                n++;
            else
                free(names[n]);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "scenarios");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.json", st->cfg.scen_dir, names[i]);
        lode_buf b = LODE_BUF_INIT;
        lode_err e2 = {0};
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", names[i]);
        if (lode_file_read(path, &b, &e2) == LODE_OK) {
            cJSON *sc = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(sc, "title");
            const cJSON *desc = cJSON_GetObjectItemCaseSensitive(sc, "description");
            cJSON_AddStringToObject(o, "title", cJSON_IsString(t)      ? t->valuestring
                                                : cJSON_IsString(desc) ? desc->valuestring
                                                                       : names[i]);
            cJSON_Delete(sc);
        }
        lode_buf_free(&b);
        cJSON_AddItemToArray(arr, o);
        free(names[i]);
    }
    st->scenarios = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return st->scenarios ? LODE_OK : LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
}

static void handle_scenario(srv_state *st, const srv_req *r, srv_reply *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", st->cfg.scen_dir, r->route.arg);
    lode_buf b = LODE_BUF_INIT;
    lode_err err = {0};
    if (lode_file_read(path, &b, &err) != LODE_OK) {
        lode_buf_free(&b);
        srv_error(out, 404, "no scenario '%s'", r->route.arg);
        return;
    }
    out->cache = SRV_CACHE_PUBLIC;
    reply_copy(out, b.data ? b.data : "", b.len);
    lode_buf_free(&b);
}

/* ---- dispatch --------------------------------------------------------------------------- */

void srv_handle(srv_state *st, const srv_req *r, srv_reply *out)
{
    memset(out, 0, sizeof *out);
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0;
    if (r->route.kind == SRV_NOT_FOUND) {
        srv_error(out, 404, "no such resource");
        return;
    }
    int want_post = r->route.kind == SRV_NEWS;
    if (r->route.kind == SRV_JOBS ? !(get || post) : want_post ? !post : !get) {
        srv_error(out, 405, "method %s not allowed here", r->method);
        return;
    }
    if (get && r->body_len > 0) {
        srv_error(out, 400, "a GET request has no body");
        return;
    }
    if (r->route.kind == SRV_HEALTH) {
        out->cache = SRV_CACHE_PUBLIC;
        reply_copy(out, "{\"status\":\"ok\"}", 15);
        return;
    }
    if (r->route.kind == SRV_OPENAPI) {
        out->cache = SRV_CACHE_PUBLIC;
        reply_copy(out, st->apidoc, st->apidoc_len);
        return;
    }
    srv_key who;
    if (!srv_auth(st, r->authorization, &who)) {
        srv_error(out, 401, r->authorization ? "the key is not valid (revoked or unknown)"
                                             : "sign in: send 'Authorization: Bearer <key>'");
        return;
    }
    snprintf(out->viewer, sizeof out->viewer, "%s", who.ally);
    if (r->route.kind != SRV_ENGINE && r->n_query > 0) {
        srv_error(out, 400, "this resource takes no parameters");
        return;
    }
    switch (r->route.kind) {
    case SRV_WHOAMI: {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "ally", who.ally);
        cJSON_AddStringToObject(doc, "name", who.name);
        cJSON_AddStringToObject(doc, "key_id", who.id);
        cJSON_AddBoolToObject(doc, "confidential_holder",
                              srv_confidential_holder(st->model, who.ally));
        reply_json(out, 200, doc);
        return;
    }
    case SRV_ENGINE:
        handle_engine(st, r, &who, out);
        return;
    case SRV_SCENARIOS:
        out->cache = SRV_CACHE_PUBLIC;
        reply_copy(out, st->scenarios, strlen(st->scenarios));
        return;
    case SRV_SCENARIO:
        handle_scenario(st, r, out);
        return;
    case SRV_DATA:
        handle_data(st, r, &who, out);
        return;
    case SRV_JOBS:
        if (post)
            handle_submit(st, r, &who, out);
        else
            handle_job_list(st, &who, out);
        return;
    case SRV_JOB:
        handle_job(st, r, &who, out);
        return;
    case SRV_NEWS:
        handle_news(st, r, &who, out);
        return;
    default:
        srv_error(out, 404, "no such resource");
    }
}

/* ---- life ------------------------------------------------------------------------------- */

lode_status srv_state_new(const srv_config *cfg, lode_store *s, const lode_model *m,
                          srv_state **out, lode_err *err)
{
    if (srv_keys_init() != 0)
        return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "libsodium cannot start");
    srv_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
    st->cfg = *cfg;
    st->store = s;
    st->model = m;
    pthread_mutex_init(&st->key_lock, NULL);
    pthread_mutex_init(&st->lp_lock, NULL);
    pthread_mutex_init(&st->job_lock, NULL);
    pthread_cond_init(&st->job_cond, NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(st->tmp_dir, sizeof st->tmp_dir, "%.40s/lode-serve-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    lode_status rc = LODE_OK;
    lode_buf b = LODE_BUF_INIT;
    if (mkdtemp(st->tmp_dir) == NULL) {
        rc = LODE_FAIL(err, LODE_EIO, st->tmp_dir, 0, NULL, "cannot make: %s", strerror(errno));
        st->tmp_dir[0] = '\0';
    }
    if (rc == LODE_OK)
        rc = lode_file_read(cfg->apidoc, &b, err);
    if (rc == LODE_OK) {
        st->apidoc = b.data ? b.data : strdup("");
        st->apidoc_len = b.len;
        b.data = NULL;
    }
    lode_buf_free(&b);
    lode_package pkg;
    lode_arena *a = lode_arena_new();
    char pkg_path[4096];
    snprintf(pkg_path, sizeof pkg_path, "%s/datapackage.json", cfg->data_dir);
    if (rc == LODE_OK && a == NULL)
        rc = LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "out of memory");
    if (rc == LODE_OK)
        rc = lode_package_load(pkg_path, a, &pkg, err);
    if (rc == LODE_OK)
        rc = load_tables(st, &pkg, err);
    lode_arena_free(a);
    if (rc == LODE_OK)
        rc = load_scenarios(st, err);
    if (rc == LODE_OK && pthread_create(&st->worker, NULL, job_worker, st) != 0)
        rc = LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "cannot start the job worker");
    else if (rc == LODE_OK)
        st->have_worker = 1;
    if (rc != LODE_OK) {
        srv_state_free(st);
        return rc;
    }
    *out = st;
    return LODE_OK;
}

void srv_state_free(srv_state *st)
{
    if (st == NULL)
        return;
    if (st->have_worker) {
        pthread_mutex_lock(&st->job_lock);
        st->stopping = 1;
        /* Queued jobs are dropped; a running one finishes first. */
        for (size_t i = 0; i < st->n_jobs; i++)
            if (st->jobs[i]->state == JOB_QUEUED)
                st->jobs[i]->state = JOB_FAILED;
        pthread_cond_broadcast(&st->job_cond);
        pthread_mutex_unlock(&st->job_lock);
        pthread_join(st->worker, NULL);
    }
    for (size_t i = 0; i < st->n_jobs; i++)
        job_free(st->jobs[i]);
    for (size_t i = 0; i < st->n_tables; i++) {
        free(st->tables[i].name);
        free(st->tables[i].body);
        cJSON_Delete(st->tables[i].doc);
    }
    free(st->tables);
    free(st->keys);
    free(st->apidoc);
    free(st->scenarios);
    if (st->tmp_dir[0])
        rmdir(st->tmp_dir);
    pthread_mutex_destroy(&st->key_lock);
    pthread_mutex_destroy(&st->lp_lock);
    pthread_mutex_destroy(&st->job_lock);
    pthread_cond_destroy(&st->job_cond);
    free(st);
}
