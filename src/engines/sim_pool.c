/* sim_pool.c: the threads of lode simulate and lode chokepoints. Workers take items (runs,
 * or losses to try) by index from one counter; with a window, finished items are committed
 * strictly in index order, so whatever is summed in commit is summed in run order and the
 * result is bit-identical for any number of threads. The window bounds the finished items
 * waiting for an earlier one, so the memory for them does not grow with the number of runs. */
#include <pthread.h>
#include <stdlib.h>

#include "sim_int.h"

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long n, next, committed, window;
    long *slot_item; /* [window]: the finished item waiting in slot, or -1 */
    sim_item_fn fn, commit;
    void *ctx;
    lode_progress_fn progress;
    void *progress_ctx;
} pool;

typedef struct worker_arg {
    pool *p;
    int id;
} worker_arg;

static void work(pool *p, int id)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->next < p->n && p->window > 0 && p->next >= p->committed + p->window)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->next >= p->n)
            break;
        long item = p->next++;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ctx, id, item);
        pthread_mutex_lock(&p->mu);
        if (p->window > 0) {
            p->slot_item[item % p->window] = item;
            while (p->committed < p->n && p->slot_item[p->committed % p->window] == p->committed) {
                if (p->commit)
                    p->commit(p->ctx, id, p->committed);
                p->slot_item[p->committed % p->window] = -1;
                p->committed++;
            }
        } else {
            p->committed++;
        }
        if (p->progress)
            p->progress(p->progress_ctx, p->committed, p->n);
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

static void *thread_main(void *arg)
{
    worker_arg *w = arg;
    work(w->p, w->id);
    return NULL;
}

int sim_pool_run(int threads, long n_items, long window, sim_item_fn fn, sim_item_fn commit,
                 void *ctx, lode_progress_fn progress, void *progress_ctx)
{
    pool p;
    pthread_t *tid = NULL;
    worker_arg *args = NULL;
    int started = 0;
    if (threads < 1)
        threads = 1;
    if (n_items < threads)
        threads = n_items > 0 ? (int)n_items : 1; /* n_items < threads, so it fits an int */
    p.n = n_items;
    p.next = p.committed = 0;
    p.window = window > 0 ? window : 0;
    p.slot_item = NULL;
    p.fn = fn;
    p.commit = commit;
    p.ctx = ctx;
    p.progress = progress;
    p.progress_ctx = progress_ctx;
    long local_slot = -1;
    if (p.window > 0) {
        p.slot_item = malloc((size_t)p.window * sizeof *p.slot_item);
        if (p.slot_item == NULL) {
            /* One thread committing each item as it ends needs a single slot. */
            p.window = 1;
            p.slot_item = &local_slot;
            threads = 1;
        }
        for (long i = 0; i < p.window; i++)
            p.slot_item[i] = -1;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    if (threads > 1) {
        tid = malloc((size_t)threads * sizeof *tid);
        args = malloc((size_t)threads * sizeof *args);
        if (tid && args) {
            for (int i = 1; i < threads; i++) {
                args[i].p = &p;
                args[i].id = i;
                if (pthread_create(&tid[i], NULL, thread_main, &args[i]) != 0)
                    break;
                started++;
            }
        }
    }
    work(&p, 0);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(tid);
    free(args);
    if (p.slot_item != &local_slot)
        free(p.slot_item);
    return 1 + started;
}
