/* cmd_keys.c: `lode keys add|list|revoke`: the API keys of `lode serve`, one per ally, kept
 * hashed in the store (src/server/keys.c). The whole key is printed once, when it is made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../server/server.h"
#include "cli_int.h"

static const char keys_usage[] =
    "usage: lode keys add ALLY [--name TEXT]   make a key for ALLY (a country id, e.g. JPN)\n"
    "       lode keys list [--json | --csv]     every key: id, ally, name, created, revoked\n"
    "       lode keys revoke ID                 the key stops working within a second\n"
    "Keys sign allies in to `lode serve` (Authorization: Bearer <key>). The store keeps only\n"
    "a BLAKE2b hash of each key's secret: a lost key cannot be shown again, only replaced.\n";

static int keys_add(int argc, char **argv, lode_ctx *ctx, lode_store *s)
{
    const char *ally = NULL, *name = "";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (argv[i][0] != '-' && ally == NULL)
            ally = argv[i];
        else
            return cli_usage(keys_usage, "keys add: unexpected argument '%s'", argv[i]);
    }
    if (ally == NULL)
        return cli_usage(keys_usage, "keys add: give the ally (a country id, e.g. JPN)");
    const lode_model *m;
    int rc = cli_model(ctx, &m);
    if (rc)
        return rc;
    if (lode_model_country(m, ally) < 0 || strlen(ally) >= sizeof(((srv_key *)0)->ally))
        return cli_usage(keys_usage, "keys add: '%s' is not a country of the dataset", ally);
    if (strlen(name) >= sizeof(((srv_key *)0)->name))
        return cli_usage(keys_usage, "keys add: --name is longer than 95 bytes");
    if (srv_keys_init() != 0) {
        fputs("lode: libsodium cannot start\n", stderr);
        return LODE_EIO;
    }
    char key[128], id[17];
    lode_err err = {0};
    if (srv_key_add(s, ally, name, key, sizeof key, id, &err) != LODE_OK)
        return cli_fail(&err);
    printf("%s\n", key);
    fprintf(stderr, "lode: key %s for %s made; the line above is shown only once\n", id, ally);
    return 0;
}

static int keys_list(lode_ctx *ctx, lode_store *s)
{
    srv_key *k = NULL;
    size_t n = 0;
    lode_err err = {0};
    if (srv_keys_init() != 0 || srv_keys_load(s, &k, &n, &err) != LODE_OK)
        return cli_fail(&err);
    if (ctx->fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "keys");
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", k[i].id);
            cJSON_AddStringToObject(o, "ally", k[i].ally);
            cJSON_AddStringToObject(o, "name", k[i].name);
            cJSON_AddStringToObject(o, "created", k[i].created);
            cJSON_AddStringToObject(o, "revoked", k[i].revoked);
            cJSON_AddItemToArray(arr, o);
        }
        free(k);
        return out_json(doc);
    }
    static const char *const head[] = {"id", "ally", "name", "created (UTC)", "revoked (UTC)"};
    out_table t;
    out_table_init(&t, 5, head, NULL);
    for (size_t i = 0; i < n; i++) {
        out_table_add(&t, k[i].id);
        out_table_add(&t, k[i].ally);
        out_table_add(&t, k[i].name);
        out_table_add(&t, k[i].created);
        out_table_add(&t, k[i].revoked[0] ? k[i].revoked : "-");
    }
    free(k);
    return out_table_print(&t, ctx->fmt, stdout);
}

int cmd_keys(int argc, char **argv, lode_ctx *ctx)
{
    if (cli_wants_help(argc, argv)) {
        fputs(keys_usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cli_usage(keys_usage, "keys: give add, list or revoke");
    const char *verb = argv[1];
    if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 && strcmp(verb, "revoke") != 0)
        return cli_usage(keys_usage, "keys: unknown action '%s'", verb);
    if (strcmp(verb, "list") == 0 && argc > 2)
        return cli_usage(keys_usage, "keys list: unexpected argument '%s'", argv[2]);
    if (strcmp(verb, "revoke") == 0 && argc != 3)
        return cli_usage(keys_usage, "keys revoke: give one key id");
    lode_store *s;
    int rc = cli_store(ctx, &s);
    if (rc)
        return rc;
    if (strcmp(verb, "add") == 0)
        return keys_add(argc, argv, ctx, s);
    if (strcmp(verb, "list") == 0)
        return keys_list(ctx, s);
    lode_err err = {0};
    if (srv_key_revoke(s, argv[2], &err) != LODE_OK)
        return cli_fail(&err);
    fprintf(stderr, "lode: key %s revoked\n", argv[2]);
    return 0;
}
