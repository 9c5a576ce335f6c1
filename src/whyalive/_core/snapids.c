/* snapids.c: finding a snapshot's node by id.  A query or two scan
 * the ids (snapshot_find_id: one sequential pass, no memory); many
 * take the nodes in increasing order of id (snapshot_by_id, sorted in
 * place without recursion) and search it.
 */
#include "snapshot.h"

/* Is node a's id below node b's? */
#define ID_LESS(ids, a, b) ((ids)[a] < (ids)[b])

static void
sift_down(uint32_t *a, const uint64_t *ids, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) {
            return;
        }
        if (child + 1 < n && ID_LESS(ids, a[child], a[child + 1])) {
            child++;
        }
        if (!ID_LESS(ids, a[root], a[child])) {
            return;
        }
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void
insertion_sort(uint32_t *a, const uint64_t *ids, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = a[i];
        size_t j = i;
        while (j > 0 && ID_LESS(ids, x, a[j - 1])) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* Sorts nodes a[0, n) by id in place, with no memory of its own:
 * quicksort (median of three, the larger side kept for later so that
 * 64 ranges are enough), insertion sort for short ranges, heapsort for
 * a range that partitions badly too often. */
static void
sort_by_id(uint32_t *a, size_t n, const uint64_t *ids)
{
    struct {
        size_t lo, hi;
        int depth;
    } stack[64];
    int depth = 2;
    for (size_t m = n; m > 1; m >>= 1) {
        depth += 2;
    }
    int top = 0;
    stack[top].lo = 0;
    stack[top].hi = n;
    stack[top].depth = depth;
    top++;
    while (top > 0) {
        top--;
        size_t lo = stack[top].lo, hi = stack[top].hi;
        depth = stack[top].depth;
        while (hi - lo > 16) {
            if (depth-- == 0) {
                for (size_t i = (hi - lo) / 2; i-- > 0;) {
                    sift_down(a + lo, ids, i, hi - lo);
                }
                for (size_t end = hi - lo; end-- > 1;) {
                    uint32_t t = a[lo];
                    a[lo] = a[lo + end];
                    a[lo + end] = t;
                    sift_down(a + lo, ids, 0, end);
                }
                lo = hi;
                break;
            }
            /* the median of three in the middle; Hoare's partition
             * around its id leaves both sides non-empty */
            size_t mid = lo + (hi - lo - 1) / 2;
            uint32_t *x = &a[lo], *y = &a[mid], *z = &a[hi - 1], t;
            if (ID_LESS(ids, *y, *x)) {
                t = *x, *x = *y, *y = t;
            }
            if (ID_LESS(ids, *z, *y)) {
                t = *y, *y = *z, *z = t;
                if (ID_LESS(ids, *y, *x)) {
                    t = *x, *x = *y, *y = t;
                }
            }
            uint64_t pivot = ids[a[mid]];
            size_t i = lo - 1, j = hi;
            for (;;) {
                do {
                    i++;
                } while (ids[a[i]] < pivot);
                do {
                    j--;
                } while (ids[a[j]] > pivot);
                if (i >= j) {
                    break;
                }
                t = a[i], a[i] = a[j], a[j] = t;
            }
            /* [lo, j] and [j + 1, hi): keep the larger for later */
            size_t split = j + 1;
            if (split - lo > hi - split) {
                stack[top].lo = lo;
                stack[top].hi = split;
                stack[top].depth = depth;
                lo = split;
            }
            else {
                stack[top].lo = split;
                stack[top].hi = hi;
                stack[top].depth = depth;
                hi = split;
            }
            top++;
        }
        if (hi > lo) {
            insertion_sort(a + lo, ids, hi - lo);
        }
    }
}

PyObject *
snapshot_by_id(PyObject *data)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * v.count));
    if (out == NULL) {
        return NULL;
    }
    uint32_t *nodes = (uint32_t *)(void *)PyBytes_AS_STRING(out);
    for (size_t i = 0; i < v.count; i++) {
        nodes[i] = (uint32_t)i;
    }
    sort_by_id(nodes, v.count, v.ids);
    return out;
}

PyObject *
snapshot_find_id(PyObject *data, PyObject *id)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    uint64_t wanted = PyLong_AsUnsignedLongLong(id);
    if (wanted == (uint64_t)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return NULL;
        }
        PyErr_Clear(); /* negative or past 2**64: no object has it */
        Py_RETURN_NONE;
    }
    for (size_t i = 0; i < v.count; i++) {
        if (v.ids[i] == wanted) {
            return PyLong_FromSize_t(i);
        }
    }
    Py_RETURN_NONE;
}
