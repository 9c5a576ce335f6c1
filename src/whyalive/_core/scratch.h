/* scratch.h: per-object scratch words for a heap walk on free-threaded
 * builds (Py_GIL_DISABLED), where an object has no GC header whose word
 * heap.c could borrow.
 *
 * On the default build heap.c keeps a node's number (and the references
 * seen to it) in the collector's "previous" header word.  A free-threaded
 * object's header is ob_tid, ob_gc_bits and the split reference counts,
 * all of which other threads and the collector read, so nothing is
 * written to objects there: the same word lives in this table instead,
 * an open-addressing map from address to word.  heap.c reaches it
 * through one accessor, so the default build compiles none of this.
 *
 * Memory comes from PyMem_Raw* (the C allocator, never mimalloc), so the
 * table may grow inside PyUnstable_GC_VisitObjects' callback.
 */
#ifndef WHYALIVE_SCRATCH_H
#define WHYALIVE_SCRATCH_H

#include "compat.h"

#ifdef Py_GIL_DISABLED

typedef struct {
    /* (address, word) pairs; address 0 = empty slot */
    uintptr_t *slots;
    size_t mask; /* pairs - 1 */
    size_t count;
    int bits;
} scratch_t;

/* Room for about `expected` objects before the first resize.  -1 with
 * MemoryError set. */
int scratch_init(scratch_t *s, size_t expected);
void scratch_free(scratch_t *s);
/* Grows the table for one more object: -1 with MemoryError set. */
int scratch_grow(scratch_t *s);

static inline size_t
scratch_slot(const scratch_t *s, uintptr_t key)
{
    /* Fibonacci hashing; the low 4 bits are alignment */
    uint64_t x = (uint64_t)key >> 4;
    return (size_t)((x * 0x9E3779B97F4A7C15ull) >> (64 - s->bits));
}

/* op's word, or NULL when op has none. */
static inline uintptr_t *
scratch_find(const scratch_t *s, PyObject *op)
{
    uintptr_t k = (uintptr_t)op;
    if (s->slots == NULL) {
        return NULL;
    }
    size_t i = scratch_slot(s, k);
    for (;;) {
        uintptr_t here = s->slots[2 * i];
        if (here == k) {
            return &s->slots[2 * i + 1];
        }
        if (here == 0) {
            return NULL;
        }
        i = (i + 1) & s->mask;
    }
}

/* op's word, made (0) if absent; NULL with MemoryError set.  The pointer
 * is good until the next call that makes a word. */
static inline uintptr_t *
scratch_word(scratch_t *s, PyObject *op)
{
    uintptr_t *word = scratch_find(s, op);
    if (word != NULL) {
        return word;
    }
    uintptr_t k = (uintptr_t)op;
    /* keep the table at most half full */
    if (s->slots == NULL || (s->count + 1) * 2 > s->mask + 1) {
        if (scratch_grow(s) < 0) {
            return NULL;
        }
    }
    size_t i = scratch_slot(s, k);
    while (s->slots[2 * i] != 0) {
        i = (i + 1) & s->mask;
    }
    s->slots[2 * i] = k;
    s->slots[2 * i + 1] = 0;
    s->count++;
    return &s->slots[2 * i + 1];
}

#endif /* Py_GIL_DISABLED */

#endif /* WHYALIVE_SCRATCH_H */
