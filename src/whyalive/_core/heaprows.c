/* heaprows.c: reads of a finished heap graph (heap.h): the row a
 * reference position belongs to, and the references to a node that the
 * walk did not see (from outside the graph), a node by address once the
 * scratch words are given back, and nodes of addresses that may not be
 * live objects.
 */
#include "heap.h"
#include "array.h"

node_t
heap_row_of(const heap_t *h, uint64_t pos)
{
    return (node_t)csr_row_of(h->edge_start, h->count, pos);
}

Py_ssize_t
heap_unseen_references(const heap_t *h, node_t n)
{
    PyObject *op = h->objs[n];
    if (compat_is_immortal(op)) {
        return -1;
    }
    Py_ssize_t unseen = compat_refcount(op) - (Py_ssize_t)heap_seen(h, n);
    return unseen > 0 ? unseen : 0;
}

/* After the headers are restored: a sorted (address, node) index. */
node_t
heap_find_by_address(heap_t *h, PyObject *op)
{
    if (h->by_address == NULL) {
        h->by_address = PyMem_RawMalloc((h->count + 1) * 2 * sizeof(uint64_t));
        if (h->by_address == NULL) {
            return NODE_NONE;
        }
        for (size_t n = 0; n < h->count; n++) {
            h->by_address[2 * n] = (uint64_t)(uintptr_t)h->objs[n];
            h->by_address[2 * n + 1] = n;
        }
        qsort(h->by_address, h->count, 2 * sizeof(uint64_t), compare_u64);
    }
    uint64_t key = (uint64_t)(uintptr_t)op;
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->by_address[2 * mid] < key) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo < h->count && h->by_address[2 * lo] == key
               ? (node_t)h->by_address[2 * lo + 1]
               : NODE_NONE;
}

int
heap_resolve_addresses(heap_t *h, void *const *addresses, size_t n,
                       node_t *out)
{
    if (n == 0) {
        return 0;
    }
    /* a small set of the addresses, then one pass over the nodes */
    int bits = 4;
    while (((size_t)1 << bits) < 2 * n) {
        bits++;
    }
    size_t mask = ((size_t)1 << bits) - 1;
    uint32_t *set = PyMem_RawCalloc(mask + 1, sizeof(uint32_t));
    if (set == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = NODE_NONE;
        uint64_t x = (uint64_t)(uintptr_t)addresses[i] >> 4;
        size_t slot = (size_t)((x * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (set[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        set[slot] = (uint32_t)i + 1;
    }
    for (size_t node = 0; node < h->count; node++) {
        uint64_t x = (uint64_t)(uintptr_t)h->objs[node] >> 4;
        size_t slot = (size_t)((x * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        for (; set[slot] != 0; slot = (slot + 1) & mask) {
            size_t i = set[slot] - 1;
            if (addresses[i] == (void *)h->objs[node]) {
                out[i] = (node_t)node;
            }
        }
    }
    PyMem_RawFree(set);
    return 0;
}
