/* array.h: growable arrays in PyMem_Raw memory, for the engine files.
 *
 * Walk memory never comes from the object allocator: it must not start a
 * collection, and the collector must never see it.
 */
#ifndef WHYALIVE_ARRAY_H
#define WHYALIVE_ARRAY_H

#include "compat.h"
#include "platform.h"

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
 * *capacity.  0, or -1 with MemoryError set (the array is unchanged).
 * A new array starts small: a query keeps several per target (its paths,
 * their hops, the retainers used), and 10,000 targets of a few paths of
 * a few hops must not cost kilobytes each. */
static inline int
array_grow(void **array, size_t *capacity, size_t needed, size_t item)
{
    if (needed <= *capacity) {
        return 0;
    }
    size_t capacity2 = *capacity ? *capacity * 2 : 4;
    while (capacity2 < needed) {
        capacity2 *= 2;
    }
    if (array_resize(array, capacity2, item) < 0) {
        return -1;
    }
    *capacity = capacity2;
    return 0;
}

/* Bitmaps over node numbers: a bit per node, in 64-bit words. */
static inline size_t
bitmap_words(size_t bits)
{
    return bits / 64 + 1;
}

static inline void
bitmap_set(uint64_t *map, size_t i)
{
    map[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline int
bitmap_test(const uint64_t *map, size_t i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/* Big arrays: the heap's index and the search's per-node arrays, tens
 * to hundreds of MiB.  On Linux they are mapped straight from the
 * kernel: growing one moves its pages instead of copying them (mremap),
 * so an index built without knowing the heap's size never holds two
 * copies, and freeing it gives the memory back at once, whatever
 * malloc's thresholds.  Elsewhere, and under AddressSanitizer (which
 * checks heap memory only), they are PyMem_Raw memory.  The caller
 * keeps the size: `count` items of `item` bytes now, `old_count` before
 * (0 for a new array). */
#if defined(__linux__) && defined(MREMAP_MAYMOVE) &&                          \
    !defined(__SANITIZE_ADDRESS__)
#define BIG_ARRAYS_MAPPED 1
#endif

static inline int
big_resize(void **array, size_t old_count, size_t count, size_t item)
{
    if (count == 0 || count > SIZE_MAX / item) {
        PyErr_NoMemory();
        return -1;
    }
#ifdef BIG_ARRAYS_MAPPED
    void *array2 = MAP_FAILED;
    if (*array != NULL) {
        array2 =
            mremap(*array, old_count * item, count * item, MREMAP_MAYMOVE);
    }
    if (array2 == MAP_FAILED) {
        /* a new array, or one mremap cannot move: map anew, copy */
        array2 = mmap(NULL, count * item, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (array2 == MAP_FAILED) {
            PyErr_NoMemory();
            return -1;
        }
        if (*array != NULL) {
            memcpy(array2, *array,
                   (old_count < count ? old_count : count) * item);
            (void)munmap(*array, old_count * item);
        }
    }
    *array = array2;
#ifdef MADV_HUGEPAGE
    /* the whole mapping, not its 2 MiB-aligned middle: advice on part of
     * it would split it in several, and mremap moves only one at a time */
    (void)madvise(array2, count * item, MADV_HUGEPAGE);
#endif
    return 0;
#else
    (void)old_count;
    if (array_resize(array, count, item) < 0) {
        return -1;
    }
    platform_advise_huge_pages(*array, count * item);
    return 0;
#endif
}

/* Gives the kernel back the pages of an array of big_resize() past its
 * first `used` items, out of `count`: an array sized before the heap
 * was known has a tail never written but for the huge page its last
 * write faulted in whole.  The pages read as zeros if touched again;
 * nothing is resized.  Elsewhere nothing to do. */
static inline void
big_release_tail(void *array, size_t used, size_t count, size_t item)
{
#ifdef BIG_ARRAYS_MAPPED
    if (array == NULL || used >= count) {
        return;
    }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)array + used * item;
    uintptr_t end = (uintptr_t)array + count * item;
    start = (start + page - 1) & ~(page - 1);
    if (end > start) {
        (void)madvise((void *)start, end - start, MADV_DONTNEED);
    }
#else
    (void)array;
    (void)used;
    (void)count;
    (void)item;
#endif
}

/* Frees an array of big_resize(), of `count` items of `item` bytes. */
static inline void
big_free(void *array, size_t count, size_t item)
{
#ifdef BIG_ARRAYS_MAPPED
    if (array != NULL) {
        (void)munmap(array, count * item);
    }
#else
    (void)count;
    (void)item;
    PyMem_RawFree(array);
#endif
}

/* qsort order of uint64_t keys. */
static inline int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The row of a CSR array (count rows, starts[n] where row n begins)
 * holding position pos: the last row starting at or before it (an empty
 * row starts where the next one does, so it is never the answer). */
static inline size_t
csr_row_of(const uint32_t *starts, size_t count, uint64_t pos)
{
    size_t lo = 0, hi = count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (starts[mid] <= pos) {
            lo = mid;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

/* Open-addressing tables of 64-bit slots, 0 for empty, probed linearly
 * (heapside.c, strtable.c, scratch.c). */

/* The bits of a table for `count` entries at most half full: from
 * min_bits up, at most max_bits. */
static inline int
table_bits_for(size_t count, int min_bits, int max_bits)
{
    int bits = min_bits;
    while (bits < max_bits && ((size_t)1 << bits) < 2 * count) {
        bits++;
    }
    return bits;
}

/* The first empty slot from slot i on. */
static inline size_t
table_first_empty(const uint64_t *slots, size_t mask, size_t i)
{
    while (slots[i] != 0) {
        i = (i + 1) & mask;
    }
    return i;
}

#endif /* WHYALIVE_ARRAY_H */
