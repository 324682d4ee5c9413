/* arena.h: region allocator. One arena per run or per model; everything allocated from it is
 * freed at once by lode_arena_free. `lode_arena_new` returns an owned arena; pointers from
 * lode_arena_alloc borrow from it until it is freed; lode_arena_free(NULL) is a no-op.
 *
 * For fault-injection tests, an arena can be told to fail its Nth allocation. */
#ifndef LODE_ARENA_H
#define LODE_ARENA_H

#include <stddef.h>

typedef struct lode_arena lode_arena;

lode_arena *lode_arena_new(void);
void lode_arena_free(lode_arena *a);

/* Zeroed memory of `size` bytes aligned for any type, or NULL when out of memory (or when the
 * fault-injection countdown hits zero). */
void *lode_arena_alloc(lode_arena *a, size_t size);
/* Zeroed array of n elements of `size` bytes; NULL on overflow or out of memory. */
void *lode_arena_calloc(lode_arena *a, size_t n, size_t size);
/* Copy of the NUL-terminated string s (NULL gives ""), or NULL when out of memory. */
char *lode_arena_strdup(lode_arena *a, const char *s);
char *lode_arena_strndup(lode_arena *a, const char *s, size_t n);

/* Room for one more element in an arena-backed array: if n == *cap, *arr moves to a block of
 * twice the capacity (16 at first) with its n elements copied; the old block stays in the
 * arena. Returns 0, or -1 when out of memory (then *arr and *cap are unchanged). */
int lode_arena_grow(lode_arena *a, void **arr, size_t n, size_t *cap, size_t size);

/* Make the nth allocation from now fail (n >= 1); 0 turns injection off. */
void lode_arena_fail_after(lode_arena *a, long n);
/* Bytes handed out so far. */
size_t lode_arena_used(const lode_arena *a);

#endif
