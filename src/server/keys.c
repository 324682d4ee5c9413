/* keys.c: one API key per ally. A key is "lode_<id>_<secret>": the id (8 random bytes, hex) is
 * public and names the key in `lode keys list`; the secret (32 random bytes, URL-safe base64)
 * is shown once when the key is made and never stored. The store keeps, in its metadata under
 * "apikey:<id>", the ally, the holder's name, the dates and the BLAKE2b-256 hash of the secret
 * (libsodium's crypto_generichash): a 256-bit random secret needs no slow password hash, and
 * a leaked store gives no usable key. Hashes are compared with sodium_memcmp (constant time). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

#define META_PREFIX "apikey:"

int srv_keys_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

static void utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hash_secret(const char *secret, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

/* The stored form: ally \t name \t created \t revoked \t hash-hex. Tabs and newlines in the
 * name are replaced by spaces. */
static void record(const srv_key *k, char *buf, size_t len)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, k->hash, sizeof k->hash);
    snprintf(buf, len, "%s\t%s\t%s\t%s\t%s", k->ally, k->name, k->created, k->revoked, hex);
}

static int parse_record(const char *id, const char *v, srv_key *k)
{
    memset(k, 0, sizeof *k);
    char f[5][128];
    int nf = 0;
    const char *s = v;
    while (nf < 5) {
        const char *tab = strchr(s, '\t');
        size_t n = tab ? (size_t)(tab - s) : strlen(s);
        if (n >= sizeof f[0])
            return -1;
        memcpy(f[nf], s, n);
        f[nf++][n] = '\0';
        if (!tab)
            break;
        s = tab + 1;
    }
    if (nf != 5 || strlen(id) != 16 || strlen(f[0]) >= sizeof k->ally ||
        strlen(f[1]) >= sizeof k->name || strlen(f[2]) >= sizeof k->created ||
        strlen(f[3]) >= sizeof k->revoked)
        return -1;
    size_t bin_len = 0;
    if (sodium_hex2bin(k->hash, sizeof k->hash, f[4], strlen(f[4]), NULL, &bin_len, NULL) !=
            0 ||
        bin_len != sizeof k->hash)
        return -1;
    /* lengths checked above */
    memcpy(k->id, id, 17);
    memcpy(k->ally, f[0], strlen(f[0]) + 1);
    memcpy(k->name, f[1], strlen(f[1]) + 1);
    memcpy(k->created, f[2], strlen(f[2]) + 1);
    memcpy(k->revoked, f[3], strlen(f[3]) + 1);
    return 0;
}

lode_status srv_key_add(lode_store *s, const char *ally, const char *name, char *key,
                        size_t len, char id[17], lode_err *err)
{
    unsigned char idb[8], sec[32];
    randombytes_buf(idb, sizeof idb);
    randombytes_buf(sec, sizeof sec);
    char secret[64];
    sodium_bin2hex(id, 17, idb, sizeof idb);
    sodium_bin2base64(secret, sizeof secret, sec, sizeof sec,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(sec, sizeof sec);
    if (len < 96)
        return LODE_FAIL(err, LODE_EUSAGE, NULL, 0, NULL, "key buffer too small");
    snprintf(key, len, "lode_%s_%s", id, secret);

    srv_key k;
    memset(&k, 0, sizeof k);
    snprintf(k.id, sizeof k.id, "%s", id);
    snprintf(k.ally, sizeof k.ally, "%s", ally);
    snprintf(k.name, sizeof k.name, "%s", name ? name : "");
    for (char *p = k.name; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    utc_now(k.created, sizeof k.created);
    hash_secret(secret, k.hash);
    sodium_memzero(secret, sizeof secret);
    char meta_key[32], rec[512];
    snprintf(meta_key, sizeof meta_key, META_PREFIX "%s", id);
    record(&k, rec, sizeof rec);
    return lode_store_meta_set(s, meta_key, rec, err);
}

typedef struct load_ctx {
    srv_key *keys;
    size_t n, cap;
} load_ctx;

static int load_one(void *ctx, const char *key, const char *value)
{
    load_ctx *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        srv_key *k = realloc(c->keys, cap * sizeof *k);
        if (k == NULL)
            return -1;
        c->keys = k;
        c->cap = cap;
    }
    /* A record this version cannot read is skipped: it signs no one in. */
    if (parse_record(key + strlen(META_PREFIX), value, &c->keys[c->n]) == 0)
        c->n++;
    return 0;
}

lode_status srv_keys_load(lode_store *s, srv_key **out, size_t *n, lode_err *err)
{
    load_ctx c = {0};
    lode_status st = lode_store_meta_list(s, META_PREFIX, load_one, &c, err);
    if (st != LODE_OK) {
        free(c.keys);
        return st;
    }
    *out = c.keys;
    *n = c.n;
    return LODE_OK;
}

lode_status srv_key_revoke(lode_store *s, const char *id, lode_err *err)
{
    char meta_key[96], value[512], rec[512];
    if (strlen(id) != 16)
        return LODE_FAIL(err, LODE_EINPUT, NULL, 0, NULL, "no key with id '%s'", id);
    snprintf(meta_key, sizeof meta_key, META_PREFIX "%s", id);
    LODE_TRY(lode_store_meta_get(s, meta_key, value, sizeof value, err));
    srv_key k;
    if (value[0] == '\0' || parse_record(id, value, &k) != 0)
        return LODE_FAIL(err, LODE_EINPUT, NULL, 0, NULL, "no key with id '%s'", id);
    if (k.revoked[0] == '\0')
        utc_now(k.revoked, sizeof k.revoked);
    record(&k, rec, sizeof rec);
    return lode_store_meta_set(s, meta_key, rec, err);
}

const srv_key *srv_key_find(const srv_key *keys, size_t n, const char *presented)
{
    char id[17], secret[64];
    if (presented == NULL || srv_key_split(presented, id, secret) != 0)
        return NULL;
    unsigned char h[32];
    hash_secret(secret, h);
    const srv_key *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].id, id) == 0 && keys[i].revoked[0] == '\0' &&
            sodium_memcmp(keys[i].hash, h, sizeof h) == 0)
            found = &keys[i];
    sodium_memzero(secret, sizeof secret);
    return found;
}
