/* fuzz_datapackage.c: libFuzzer target for lode_package_parse. Any input must give LODE_OK or a
 * clean error, never a crash or leak; an accepted package must be self-consistent (every key
 * index in range, every reference resolvable). Build and run with fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lode_arena *a = lode_arena_new();
    lode_package p;
    lode_err err;
    const lode_schema *s;
    size_t i, j;
    /* Input ending in N 0xFF fails the (N+1)th allocation (JSON never ends in 0xFF): the
     * error must stay clean. */
    if (size >= 2 && data[size - 1] == 0xFF) {
        lode_arena_fail_after(a, (long)data[size - 2] + 1);
        size -= 2;
    }
    if (lode_package_parse((const char *)data, size, "fuzz.json", a, &p, &err) == LODE_OK) {
        for (i = 0; i < p.n_res; i++) {
            s = &p.res[i];
            if (lode_package_find(&p, s->name) != s || s->n_fields == 0)
                abort();
            for (j = 0; j < s->n_pkey; j++)
                if (s->pkey[j] >= s->n_fields)
                    abort();
            for (j = 0; j < s->n_fkeys; j++)
                if (s->fkeys[j].field >= s->n_fields ||
                    lode_schema_field(lode_package_find(&p, s->fkeys[j].ref_resource),
                                      s->fkeys[j].ref_field) < 0)
                    abort();
        }
    } else if (err.code != LODE_EINPUT && err.code != LODE_EIO) {
        abort();
    }
    lode_arena_free(a);
    return 0;
}
