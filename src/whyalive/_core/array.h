/* array.h: growable arrays in PyMem_Raw memory, for the engine files.
 *
 * Walk memory never comes from the object allocator: it must not start a
 * collection, and the collector must never see it.
 */
#ifndef WHYALIVE_ARRAY_H
#define WHYALIVE_ARRAY_H

#include "compat.h"

/* Resizes *array to `count` items of `item` bytes.  For arrays that grow
 * together under one capacity; a lone array uses array_grow.  0, or -1
 * with MemoryError set (the array is unchanged). */
static inline int
array_resize(void **array, size_t count, size_t item)
{
    if (count > SIZE_MAX / item) {
        PyErr_NoMemory();
        return -1;
    }
    void *array2 = PyMem_RawRealloc(*array, count * item);
    if (array2 == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *array = array2;
    return 0;
}

/* Makes room for `needed` items of `item` bytes in *array, doubling its
 * *capacity.  0, or -1 with MemoryError set (the array is unchanged). */
static inline int
array_grow(void **array, size_t *capacity, size_t needed, size_t item)
{
    if (needed <= *capacity) {
        return 0;
    }
    size_t capacity2 = *capacity ? *capacity * 2 : 64;
    while (capacity2 < needed) {
        capacity2 *= 2;
    }
    if (array_resize(array, capacity2, item) < 0) {
        return -1;
    }
    *capacity = capacity2;
    return 0;
}

#endif /* WHYALIVE_ARRAY_H */
