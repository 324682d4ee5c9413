/* fuzz_scenario.c: libFuzzer target for lode_scenario_parse against the bundled model (loaded
 * once). Any input must give LODE_OK or a clean LODE_EINPUT/LODE_EIO, never a crash or leak; an
 * accepted scenario must hold only valid indexes, shares in 0..1 and ordered distributions. */
#include <stdint.h>
#include <stdlib.h>

#include "lode/sim.h"

static lode_model *model;

static int dist_ok(const lode_dist *d, double lo, double hi)
{
    return d->a >= lo && d->c <= hi && d->a <= d->b && d->b <= d->c &&
           lode_dist_draw(d, 0.37, 0.5) >= d->a && lode_dist_draw(d, 0.37, 0.5) <= d->c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (lode_model_load_dir(LODE_DATADIR, &model, NULL) != LODE_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lode_arena *a = lode_arena_new();
    lode_scenario s;
    lode_err err;
    /* input ending in N 0xFF (never in a valid scenario) fails the arena's (N+1)th allocation */
    if (size >= 2 && data[size - 1] == 0xFF) {
        lode_arena_fail_after(a, (long)data[size - 2] + 1);
        size -= 2;
    }
    if (lode_scenario_parse(model, (const char *)data, size, "fuzz.json", a, &s, &err) == LODE_OK) {
        if (s.weeks < 1 || s.weeks > 520)
            abort();
        for (size_t i = 0; i < s.n_policies; i++) {
            const lode_sim_policy *p = &s.policies[i];
            if ((size_t)p->country >= model->n_countries || p->n_materials == 0 ||
                !dist_ok(&p->severity, 0, 1) || !dist_ok(&p->start_wk, 0, 1e4) ||
                !dist_ok(&p->duration_wk, 0, 1e4) || p->diverted < 0 || p->diverted > 1)
                abort();
            for (size_t j = 0; j < p->n_materials; j++)
                if ((size_t)p->materials[j] >= model->n_materials)
                    abort();
            for (size_t j = 0; j < p->n_targets; j++)
                if ((size_t)p->targets[j] >= model->n_countries || p->targets[j] == p->country)
                    abort();
        }
        for (size_t i = 0; i < s.n_outages; i++)
            if ((size_t)s.outages[i].material >= model->n_materials ||
                !dist_ok(&s.outages[i].severity, 0, 1))
                abort();
        for (size_t i = 0; i < s.n_demand_shocks; i++)
            if (s.demand_shocks[i].change.a <= -1)
                abort();
    } else if (err.code != LODE_EINPUT && err.code != LODE_EIO) {
        abort();
    }
    lode_arena_free(a);
    return 0;
}
