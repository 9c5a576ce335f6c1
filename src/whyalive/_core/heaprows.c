/* heaprows.c: reads of a finished heap graph (heap.h): the row a
 * reference position belongs to, and the references to a node that the
 * walk did not see (from outside the graph).
 */
#include "heap.h"

node_t
heap_row_of(const heap_t *h, uint64_t pos)
{
    /* the last node whose row starts at or before pos: an empty row
     * starts where the next one does, so it is never the answer */
    size_t lo = 0, hi = h->count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->edge_start[mid] <= pos) {
            lo = mid;
        }
        else {
            hi = mid;
        }
    }
    return (node_t)lo;
}

Py_ssize_t
heap_unseen_references(const heap_t *h, node_t n)
{
    PyObject *op = h->objs[n];
    if (compat_is_immortal(op)) {
        return -1;
    }
    Py_ssize_t unseen = Py_REFCNT(op) - (Py_ssize_t)heap_seen(h, n);
    return unseen > 0 ? unseen : 0;
}
