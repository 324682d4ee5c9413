/* arena.c: the region allocator of include/lode/arena.h. Memory comes in zeroed chunks from
 * calloc and is handed out by bumping a pointer, 16-byte aligned; nothing is freed until
 * lode_arena_free releases every chunk at once. An allocation too big to share a chunk gets a
 * chunk of its own, so a few large arrays do not waste the small-object chunk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lode/arena.h"

enum {
    ALIGN = 16,        /* >= _Alignof(max_align_t) on the platforms we build for */
    CHUNK = 64 * 1024, /* payload bytes of an ordinary chunk */
    BIG = CHUNK / 4    /* requests above this get a chunk of their own */
};

typedef struct chunk {
    struct chunk *next;
    size_t cap;  /* bytes of mem[] */
    size_t used; /* bytes of mem[] handed out or skipped for alignment */
    unsigned char mem[];
} chunk;

struct lode_arena {
    chunk *head;  /* the chunk small allocations come from; big ones sit after it */
    size_t used;  /* bytes handed out, each request rounded up to ALIGN */
    long fail_in; /* fault injection: the fail_in-th allocation from now fails; 0 = off */
};

/* A new empty arena, or NULL when out of memory. Chunks are allocated on first use. */
lode_arena *lode_arena_new(void)
{
    return calloc(1, sizeof(lode_arena));
}

/* Free a and everything allocated from it. NULL is a no-op. */
void lode_arena_free(lode_arena *a)
{
    chunk *c, *next;
    if (a == NULL)
        return;
    for (c = a->head; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

/* Padding that makes p + used aligned to ALIGN. */
static size_t pad_for(const chunk *c)
{
    uintptr_t p = (uintptr_t)(c->mem + c->used);
    return (size_t)((ALIGN - (p % ALIGN)) % ALIGN);
}

/* A zeroed chunk with room for `need` aligned bytes, or NULL. */
static chunk *chunk_new(size_t need)
{
    chunk *c;
    /* calloc's alignment may be below ALIGN on some platforms: leave room to align mem. */
    if (need > SIZE_MAX - sizeof(chunk) - ALIGN)
        return NULL;
    c = calloc(1, sizeof(chunk) + need + ALIGN);
    if (c == NULL)
        return NULL;
    c->cap = need + ALIGN;
    return c;
}

/* Zeroed memory of `size` bytes aligned to 16, borrowed from a until it is freed. Returns NULL
 * when out of memory, on size overflow, when a is NULL, or when the fault-injection countdown
 * reaches this allocation. A size of 0 gives a distinct valid pointer. */
void *lode_arena_alloc(lode_arena *a, size_t size)
{
    chunk *c;
    size_t pad;
    void *p;
    if (a == NULL)
        return NULL;
    if (a->fail_in > 0) {
        a->fail_in--;
        if (a->fail_in == 0)
            return NULL;
    }
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ALIGN)
        return NULL;
    size = (size + ALIGN - 1) / ALIGN * ALIGN;

    if (size > BIG) {
        c = chunk_new(size);
        if (c == NULL)
            return NULL;
        if (a->head == NULL) {
            a->head = c;
        } else {
            c->next = a->head->next;
            a->head->next = c;
        }
    } else {
        c = a->head;
        if (c == NULL || c->cap - c->used < pad_for(c) + size) {
            c = chunk_new(CHUNK);
            if (c == NULL)
                return NULL;
            c->next = a->head;
            a->head = c;
        }
    }
    pad = pad_for(c);
    p = c->mem + c->used + pad;
    c->used += pad + size;
    a->used += size;
    return p;
}

/* Zeroed array of n elements of `size` bytes; NULL on n * size overflow or as
 * lode_arena_alloc. */
void *lode_arena_calloc(lode_arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return lode_arena_alloc(a, n * size);
}

/* Copy of at most n bytes of s, stopping at a NUL, NUL-terminated; s NULL gives "". NULL when
 * out of memory. */
char *lode_arena_strndup(lode_arena *a, const char *s, size_t n)
{
    char *d;
    const char *nul;
    if (s == NULL) {
        n = 0;
    } else {
        nul = memchr(s, '\0', n);
        if (nul != NULL)
            n = (size_t)(nul - s);
    }
    if (n == SIZE_MAX)
        return NULL;
    d = lode_arena_alloc(a, n + 1);
    if (d == NULL)
        return NULL;
    if (n > 0)
        memcpy(d, s, n);
    return d; /* d[n] is already 0: arena memory is zeroed */
}

/* Copy of the NUL-terminated s (NULL gives ""), or NULL when out of memory. */
char *lode_arena_strdup(lode_arena *a, const char *s)
{
    return lode_arena_strndup(a, s, s ? strlen(s) : 0);
}

/* Make the nth allocation from now fail (n >= 1), once: later ones succeed again. 0 (or a
 * negative n) turns injection off. Every call of alloc, strdup and strndup counts as one
 * allocation, and so does every call of calloc whose n * size does not overflow. */
void lode_arena_fail_after(lode_arena *a, long n)
{
    if (a != NULL)
        a->fail_in = n > 0 ? n : 0;
}

/* Bytes handed out so far: the sum of the sizes asked for, each rounded up to 16. */
size_t lode_arena_used(const lode_arena *a)
{
    return a ? a->used : 0;
}

int lode_arena_grow(lode_arena *a, void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *fresh = lode_arena_calloc(a, ncap, size);
    if (fresh == NULL)
        return -1;
    if (n)
        memcpy(fresh, *arr, n * size);
    *arr = fresh;
    *cap = ncap;
    return 0;
}
