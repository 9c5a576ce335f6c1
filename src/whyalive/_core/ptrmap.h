/* ptrmap.h: a small open-addressing map from addresses to indices.
 *
 * Keys are compared, never dereferenced, so a map can hold the int ids
 * a caller passed (addresses that may not be live objects) as well as
 * object and type pointers.  Memory comes from PyMem_Raw*, which never
 * starts a collection.
 */
#ifndef WHYALIVE_PTRMAP_H
#define WHYALIVE_PTRMAP_H

#include "compat.h"

#define PTRMAP_NONE UINT32_MAX

typedef struct {
    uintptr_t *keys;  /* 0 = empty slot */
    uint32_t *values;
    size_t mask;      /* slots - 1 */
    size_t count;
    int bits;
} ptrmap_t;

/* Room for about `expected` keys before the first resize.  -1 with
 * MemoryError set. */
int ptrmap_init(ptrmap_t *m, size_t expected);
void ptrmap_free(ptrmap_t *m);

/* Inserts key -> value unless key is present.  1 inserted, 0 present
 * (*existing receives its value when not NULL), -1 MemoryError. */
int ptrmap_put(ptrmap_t *m, const void *key, uint32_t value,
               uint32_t *existing);

static inline size_t
ptrmap_slot(const ptrmap_t *m, uintptr_t key)
{
    /* Fibonacci hashing; the low 3 bits are alignment */
    uint64_t x = (uint64_t)key >> 3;
    return (size_t)((x * 0x9E3779B97F4A7C15ull) >> (64 - m->bits));
}

/* The value of key, or PTRMAP_NONE. */
static inline uint32_t
ptrmap_get(const ptrmap_t *m, const void *key)
{
    uintptr_t k = (uintptr_t)key;
    if (k == 0) {
        return PTRMAP_NONE;
    }
    size_t i = ptrmap_slot(m, k);
    for (;;) {
        uintptr_t here = m->keys[i];
        if (here == k) {
            return m->values[i];
        }
        if (here == 0) {
            return PTRMAP_NONE;
        }
        i = (i + 1) & m->mask;
    }
}

/* Adds the addresses in a tuple of ints (ids) to m as keys, each with
 * its position in the tuple as value (the first one wins).  Ints that
 * cannot be addresses (negative, too large) are skipped.  -1 with
 * TypeError naming `what` for an item that is not an int. */
int ptrmap_add_ids(ptrmap_t *m, PyObject *ids, const char *what);

#endif /* WHYALIVE_PTRMAP_H */
