/* http.c: libmicrohttpd underneath the API: a pool of threads polling with epoll, limits on
 * what a client may send (URL length, body size, parameters, idle time), the dashboard's
 * static files, and a cache of answered GETs.
 *
 * The cache: the model is read once when the server starts and never changes while it runs,
 * so an engine's answer to the same query is the same until restart. Answers are kept as
 * libmicrohttpd response objects (queued again as they are, no copy) under the key
 * "<viewer or *>\x1f<path>\x1f<query>"; "*" for answers that are the same for every ally,
 * the ally's id for answers filtered for it. At most CACHE_MAX entries and CACHE_BYTES bytes;
 * past either, answers are computed every time (never evicted: no response is freed while a
 * connection may still be sending it). A request is signed in before the cache is consulted. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lode/buf.h"
#include "server.h"

#define CACHE_MAX 8192
#define CACHE_BYTES (256u << 20)

typedef struct cache_entry {
    char *key;
    struct MHD_Response *resp;
    unsigned status;
} cache_entry;

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static void *cache_root;
static size_t cache_n, cache_bytes;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const cache_entry *)a)->key, ((const cache_entry *)b)->key);
}

static const cache_entry *cache_get(const char *key)
{
    cache_entry probe = {(char *)key, NULL, 0};
    pthread_rwlock_rdlock(&cache_lock);
    void *hit = tfind(&probe, &cache_root, entry_cmp);
    pthread_rwlock_unlock(&cache_lock);
    return hit ? *(cache_entry **)hit : NULL;
}

/* Keep resp under key, taking over the caller's reference: 1 if kept, 0 when the cache is
 * full (the caller still owns its reference). */
static int cache_put(const char *key, struct MHD_Response *resp, unsigned status, size_t len)
{
    cache_entry *e = calloc(1, sizeof *e);
    if (e == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        return 0;
    }
    e->resp = resp;
    e->status = status;
    pthread_rwlock_wrlock(&cache_lock);
    int added = 0;
    if (cache_n < CACHE_MAX && cache_bytes + len < CACHE_BYTES) {
        void *slot = tsearch(e, &cache_root, entry_cmp);
        if (slot && *(cache_entry **)slot == e) {
            cache_n++;
            cache_bytes += len;
            added = 1;
        }
    }
    pthread_rwlock_unlock(&cache_lock);
    if (!added) {
        free(e->key);
        free(e);
    }
    return added;
}

static void entry_free(cache_entry *e)
{
    MHD_destroy_response(e->resp);
    free(e->key);
    free(e);
}

/* ---- one request ------------------------------------------------------------------------ */

typedef struct conn {
    lode_buf body;
    int too_big;
} conn;

typedef struct query_ctx {
    srv_param p[SRV_MAX_PARAMS + 1];
    size_t n;
    int too_many;
    lode_buf text; /* "name=value&..." in arrival order: part of the cache key */
} query_ctx;

static enum MHD_Result query_add(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    query_ctx *q = cls;
    if (q->n >= SRV_MAX_PARAMS) {
        q->too_many = 1;
        return MHD_NO;
    }
    q->p[q->n].name = key;
    q->p[q->n].value = value ? value : "";
    q->n++;
    lode_buf_printf(&q->text, "%s%s=%s", q->n > 1 ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

static void add_headers(struct MHD_Response *resp, const char *type, int api)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, api ? "no-store" : "no-cache");
    if (!api)
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "style-src 'self' 'unsafe-inline'");
}

static enum MHD_Result send_reply(struct MHD_Connection *c, srv_reply *rep,
                                  struct MHD_Response **keep)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(
        rep->len, rep->body, free);
    if (resp == NULL) {
        free(rep->body);
        return MHD_NO;
    }
    add_headers(resp, rep->type ? rep->type : "application/json", 1);
    enum MHD_Result r = MHD_queue_response(c, (unsigned)rep->status, resp);
    if (keep)
        *keep = resp; /* the caller caches it, then drops this reference */
    else
        MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg)
{
    srv_reply rep;
    memset(&rep, 0, sizeof rep);
    srv_error(&rep, status, "%s", msg);
    return send_reply(c, &rep, NULL);
}

static const char *mime_of(const char *path)
{
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
        {".svg", "image/svg+xml"},             {".png", "image/png"},
        {".ico", "image/x-icon"},              {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* A file of the dashboard. The path was checked by srv_route_parse (no "..", no dot-led or
 * empty segments); symbolic links are not followed. */
static enum MHD_Result send_static(struct MHD_Connection *c, const srv_config *cfg,
                                   const char *url, const char *method)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(c, 405, "method not allowed here");
    char path[4096];
    int n = snprintf(path, sizeof path, "%s%s", cfg->web_dir,
                     strcmp(url, "/") == 0 ? "/index.html" : url);
    if (n < 0 || (size_t)n >= sizeof path)
        return send_error(c, 414, "path too long");
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        if (strcmp(url, "/") == 0)
            return send_error(c, 404, "the dashboard is not built: run `make web`");
        return send_error(c, 404, "no such file");
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (resp == NULL) {
        close(fd);
        return MHD_NO;
    }
    add_headers(resp, mime_of(path), 0);
    enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    srv_state *st = cls;
    conn *cn = *con_cls;
    if (cn == NULL) { /* first call: headers only */
        cn = calloc(1, sizeof *cn);
        if (cn == NULL)
            return MHD_NO;
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size > 0) { /* body arriving */
        if (cn->body.len + *upload_size > SRV_MAX_BODY)
            cn->too_big = 1;
        else
            lode_buf_add(&cn->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->too_big)
        return send_error(c, 413, "request body over 256 KiB");
    if (cn->body.oom)
        return send_error(c, 500, "out of memory");
    if (strlen(url) > SRV_MAX_URL)
        return send_error(c, 414, "URL too long");

    srv_req r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = url;
    srv_route_parse(url, &r.route);
    if (r.route.kind == SRV_STATIC)
        return send_static(c, srv_state_config(st), url, method);

    query_ctx q;
    memset(&q, 0, sizeof q);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_add, &q);
    if (q.too_many || q.text.oom) {
        lode_buf_free(&q.text);
        return send_error(c, 400, "too many parameters");
    }
    r.query = q.p;
    r.n_query = q.n;
    r.body = cn->body.data ? cn->body.data : "";
    r.body_len = cn->body.len;
    r.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_AUTHORIZATION);

    /* Cached answers, after signing in (health and the API document need no key). */
    int open_route = r.route.kind == SRV_HEALTH || r.route.kind == SRV_OPENAPI;
    int get = strcmp(method, "GET") == 0 && r.body_len == 0;
    /* The key must hold the whole path and query: a truncated key would let two requests
     * share an answer. Longer queries (rare: 32 parameters at most) are not cached. */
    int keyable = q.text.len <= SRV_MAX_URL;
    srv_key who;
    memset(&who, 0, sizeof who);
    char key[SRV_MAX_URL * 2 + 64];
    if (get && keyable && (open_route || srv_auth(st, r.authorization, &who))) {
        const char *qs = q.text.data ? q.text.data : "";
        const char *viewers[2] = {"*", who.ally};
        for (int i = 0; i < (open_route ? 1 : 2); i++) {
            snprintf(key, sizeof key, "%s\x1f%s\x1f%s", viewers[i], url, qs);
            const cache_entry *e = cache_get(key);
            if (e) {
                lode_buf_free(&q.text);
                return MHD_queue_response(c, e->status, e->resp);
            }
        }
    }

    srv_reply rep;
    srv_handle(st, &r, &rep);
    struct MHD_Response *resp = NULL;
    int cache = get && keyable && rep.status == 200 && rep.cache != SRV_NO_CACHE;
    if (cache)
        snprintf(key, sizeof key, "%s\x1f%s\x1f%s",
                 rep.cache == SRV_CACHE_PUBLIC ? "*" : rep.viewer, url,
                 q.text.data ? q.text.data : "");
    lode_buf_free(&q.text);
    size_t len = rep.len;
    unsigned status = (unsigned)rep.status;
    enum MHD_Result res = send_reply(c, &rep, cache ? &resp : NULL);
    if (resp && !cache_put(key, resp, status, len))
        MHD_destroy_response(resp);
    return res;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return srv_unescape(s);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn *cn = *con_cls;
    if (cn) {
        lode_buf_free(&cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

lode_status srv_http_run(srv_state *st, const char *bind, int port, int threads, int timeout_s,
                         lode_err *err)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1)
        return LODE_FAIL(err, LODE_EUSAGE, NULL, 0, NULL, "--bind: '%s' is not an IPv4 address",
                         bind);
    /* SIGINT/SIGTERM are taken by sigwait below, in this thread only. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)port,
        NULL, NULL, handle, st, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)timeout_s, MHD_OPTION_CONNECTION_LIMIT, 2000u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    if (d == NULL)
        return LODE_FAIL(err, LODE_EIO, NULL, 0, NULL, "cannot listen on %s:%d: %s", bind, port,
                         strerror(errno));
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "lode serve: listening on http://%s:%u/ (%d threads; Ctrl-C stops)\n", bind,
            info ? (unsigned)info->port : (unsigned)port, threads);
    fflush(stderr);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "lode serve: stopping (signal %d)\n", sig);
    MHD_stop_daemon(d);
    pthread_rwlock_wrlock(&cache_lock);
    while (cache_root) {
        cache_entry *e = *(cache_entry **)cache_root;
        tdelete(e, &cache_root, entry_cmp);
        entry_free(e);
    }
    cache_n = cache_bytes = 0;
    pthread_rwlock_unlock(&cache_lock);
    return LODE_OK;
}
