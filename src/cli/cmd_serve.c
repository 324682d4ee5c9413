/* cmd_serve.c: `lode serve`: the HTTP JSON API and the dashboard (src/server/). Loads the
 * store's model once, then answers until SIGINT or SIGTERM. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../server/server.h"
#include "cli_int.h"

static const char serve_usage[] =
    "usage: lode serve [--port P] [--bind ADDR] [--threads T] [--timeout S] [--web DIR]\n"
    "                  [--scenarios DIR]\n"
    "Serves the HTTP JSON API (docs/api.md; the OpenAPI document is at /api/openapi.json) and\n"
    "the web dashboard (built by `make web` into web/dist) from the store (--db). Every /api/\n"
    "request but /api/health and /api/openapi.json needs a key (`lode keys add ALLY`). Port\n"
    "8080 on 127.0.0.1 by default (port 0: any free port, printed on stderr); T threads\n"
    "answer requests (default: the number of processors); a connection idle for S seconds is\n"
    "closed (default 15). The model is read once at start:\n"
    "restart the server after an import.\n";

int cmd_serve(int argc, char **argv, lode_ctx *ctx)
{
    long port = 8080, timeout = SRV_TIMEOUT_S, threads = sysconf(_SC_NPROCESSORS_ONLN);
    const char *bind = "127.0.0.1", *web = LODE_SHAREDIR "/web/dist",
               *scen = LODE_SHAREDIR "/scenarios";
    if (cli_wants_help(argc, argv)) {
        fputs(serve_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return cli_usage(serve_usage, "serve: '%s' needs a value", a);
        if (strcmp(a, "--port") == 0) {
            if (cli_parse_long(v, 0, 65535, &port) != 0)
                return cli_usage(serve_usage, "serve: --port: '%s' is not 0-65535", v);
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_long(v, 1, 256, &threads) != 0)
                return cli_usage(serve_usage, "serve: --threads: '%s' is not 1-256", v);
        } else if (strcmp(a, "--timeout") == 0) {
            if (cli_parse_long(v, 1, 3600, &timeout) != 0)
                return cli_usage(serve_usage, "serve: --timeout: '%s' is not 1-3600", v);
        } else if (strcmp(a, "--bind") == 0) {
            bind = v;
        } else if (strcmp(a, "--web") == 0) {
            web = v;
        } else if (strcmp(a, "--scenarios") == 0) {
            scen = v;
        } else {
            return cli_usage(serve_usage, "serve: unexpected argument '%s'", a);
        }
    }
    if (threads < 1)
        threads = 2;
    lode_store *s;
    const lode_model *m;
    int rc = cli_store(ctx, &s);
    if (rc == 0)
        rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    srv_config cfg = {ctx->db, ctx->data_dir, scen, web, LODE_SHAREDIR "/api/openapi.json"};
    srv_state *st = NULL;
    lode_err err = {0};
    if (srv_state_new(&cfg, s, m, &st, &err) != LODE_OK)
        return cli_fail(&err);
    lode_status status = srv_http_run(st, bind, (int)port, (int)threads, (int)timeout, &err);
    srv_state_free(st);
    return status == LODE_OK ? 0 : cli_fail(&err);
}
