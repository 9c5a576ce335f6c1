/* dominators.c: immediate dominators and retained sizes of a snapshot.
 *
 * A virtual root stands above every root: module globals, the
 * references of frames, threads and the interpreter, then objects held
 * from outside the graph (more references than it shows; whether the
 * roots reach them too or not), then any object still unreached
 * (garbage), each as a child of the virtual root.  Semi-NCA (Georgiadis, "Linear-Time Algorithms for Dominators
 * and Related Problems", 2005; Lengauer-Tarjan's semidominators, then
 * each immediate dominator as the nearest common ancestor in the depth-
 * first tree): one depth-first search and the path compressions run on
 * explicit stacks, no recursion, any heap shape.  (Cooper-Harvey-
 * Kennedy's simpler iteration is quadratic on heaps where a deep chain
 * of instances all refer to their class.)  An object's retained size is
 * its own size plus the retained sizes of the objects it immediately
 * dominates: what freeing it would free.
 */
#include "snapshot.h"
#include "array.h"

/* Vertices are numbered in preorder from 1; 1 is the virtual root and 0
 * means none.  Each working array is allocated when first needed, lent
 * to a later step when its own is over, and freed as soon as it is
 * done with: the peak is the semidominator step's (5 words per node
 * and one per reference).  The search's stack borrows the arrays the
 * semidominators use later; an edge position fits 32 bits (snapview_open
 * holds nedges below 2**32). */
typedef struct {
    const snapview_t *v;
    uint32_t *pre;        /* node -> preorder number, 0 unvisited */
    uint32_t *vertex;     /* preorder number -> node (vertex[1] unused) */
    uint32_t *parent;     /* in the depth-first tree, by preorder number */
    uint8_t *seed;        /* bit per node: a child of the virtual root */
    uint32_t *stack_node; /* the search's stack: nodes, */
    uint32_t *stack_next; /* and the next edge position of each row */
    uint32_t next;        /* the next preorder number */
} dfs_t;

#define SEED_SET(d, n) ((d)->seed[(n) >> 3] |= (uint8_t)(1u << ((n) & 7)))
#define SEED_GET(d, n) (((d)->seed[(n) >> 3] >> ((n) & 7)) & 1u)

/* Depth-first from node s, a child of the virtual root. */
static void
dfs_from(dfs_t *d, uint32_t s, int root)
{
    const snapview_t *v = d->v;
    if (root) {
        SEED_SET(d, s); /* the virtual root refers to it, visited or not */
    }
    if (d->pre[s] != 0) {
        return;
    }
    SEED_SET(d, s);
    size_t nstack = 0;
    d->pre[s] = d->next;
    d->vertex[d->next] = s;
    d->parent[d->next] = 1;
    d->next++;
    d->stack_node[nstack] = s;
    d->stack_next[nstack] = v->edge_start[s];
    nstack++;
    while (nstack > 0) {
        size_t top = nstack - 1;
        uint32_t node = d->stack_node[top];
        uint32_t pos = d->stack_next[top];
        uint32_t end = v->edge_start[node + 1];
        while (pos < end) {
            uint32_t x = SNAP_EDGE_NODE(v->edges[pos++]);
            if (d->pre[x] == 0) {
                d->pre[x] = d->next;
                d->vertex[d->next] = x;
                d->parent[d->next] = d->pre[node];
                d->next++;
                /* each node is pushed once: the stack never outgrows
                 * the node count */
                d->stack_node[nstack] = x;
                d->stack_next[nstack] = v->edge_start[x];
                nstack++;
                break;
            }
        }
        d->stack_next[top] = pos;
        if (nstack == top + 1 && pos >= end) {
            nstack--;
        }
    }
}

/* Lengauer-Tarjan's EVAL with path compression, iteratively: the
 * vertex of least semidominator on the compressed path above w. */
static uint32_t
eval(uint32_t *ancestor, uint32_t *label, const uint32_t *semi,
     uint32_t *path, uint32_t w)
{
    if (ancestor[w] == 0) {
        return w;
    }
    size_t n = 0;
    uint32_t x = w;
    while (ancestor[ancestor[x]] != 0) {
        path[n++] = x;
        x = ancestor[x];
    }
    /* nearest the top first, as the recursive version returns */
    while (n > 0) {
        uint32_t y = path[--n];
        uint32_t a = ancestor[y];
        if (semi[label[a]] < semi[label[y]]) {
            label[y] = label[a];
        }
        ancestor[y] = ancestor[a];
    }
    return label[w];
}

#define FREE(p) (PyMem_RawFree(p), (p) = NULL)

PyObject *
dominators_compute(PyObject *data)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    size_t n = v.count;
    size_t nv = n + 2; /* 0 none, 1 the virtual root, 2.. the nodes */
    dfs_t d;
    memset(&d, 0, sizeof(d));
    d.v = &v;
    d.next = 2;
    uint32_t *pred_start = NULL, *preds = NULL, *semi = NULL, *label = NULL;
    uint32_t *ancestor = NULL, *path = NULL;
    PyObject *b_idom = NULL, *b_retained = NULL, *b_count = NULL, *result = NULL;

    /* 1. the depth-first search; its stack in semi and label */
    d.pre = PyMem_RawCalloc(n + 1, sizeof(uint32_t));
    d.vertex = PyMem_RawCalloc(nv, sizeof(uint32_t));
    d.parent = PyMem_RawCalloc(nv, sizeof(uint32_t));
    d.seed = PyMem_RawCalloc(n / 8 + 1, 1);
    semi = PyMem_RawMalloc(nv * sizeof(uint32_t));
    label = PyMem_RawMalloc(nv * sizeof(uint32_t));
    if (!d.pre || !d.vertex || !d.parent || !d.seed || !semi || !label) {
        PyErr_NoMemory();
        goto done;
    }
    d.stack_node = semi;
    d.stack_next = label;
    /* the roots, then what is held from outside, then the rest */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v.modules); i++) {
        PyObject *m = PyList_GET_ITEM(v.modules, i);
        dfs_from(&d, (uint32_t)PyLong_AsSize_t(PyTuple_GET_ITEM(m, 0)), 1);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v.refs); i++) {
        PyObject *r = PyList_GET_ITEM(v.refs, i);
        dfs_from(&d, (uint32_t)PyLong_AsSize_t(PyTuple_GET_ITEM(r, 0)), 1);
    }
    for (size_t i = 0; i < n; i++) {
        if (snap_held_outside(&v, (uint32_t)i)) {
            /* reached from a root or not: freeing what holds it in the
             * graph leaves the outside reference holding it */
            dfs_from(&d, (uint32_t)i, 1);
        }
    }
    for (size_t i = 0; i < n; i++) {
        dfs_from(&d, (uint32_t)i, 0);
    }

    /* 2. predecessors of each node, as preorder numbers; then pre is
     * over, and its memory is eval's path */
    pred_start = PyMem_RawCalloc(n + 2, sizeof(uint32_t));
    preds = PyMem_RawMalloc((size_t)(v.nedges ? v.nedges : 1) * sizeof(uint32_t));
    if (!pred_start || !preds) {
        PyErr_NoMemory();
        goto done;
    }
    for (uint64_t e = 0; e < v.nedges; e++) {
        pred_start[SNAP_EDGE_NODE(v.edges[e]) + 1]++;
    }
    for (size_t i = 0; i < n; i++) {
        pred_start[i + 1] += pred_start[i];
    }
    for (size_t u = 0; u < n; u++) {
        for (uint64_t e = v.edge_start[u]; e < v.edge_start[u + 1]; e++) {
            uint32_t x = SNAP_EDGE_NODE(v.edges[e]);
            preds[pred_start[x]++] = d.pre[u];
        }
    }
    for (size_t i = n; i > 0; i--) {
        pred_start[i] = pred_start[i - 1];
    }
    pred_start[0] = 0;
    path = d.pre; /* a compressed path is at most n long */
    d.pre = NULL;

    /* 3. semidominators, in reverse preorder */
    ancestor = PyMem_RawCalloc(nv, sizeof(uint32_t));
    if (!ancestor) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t w = 0; w < nv; w++) {
        semi[w] = (uint32_t)w;
        label[w] = (uint32_t)w;
    }
    for (uint32_t w = (uint32_t)nv - 1; w >= 2; w--) {
        uint32_t node = d.vertex[w];
        if (SEED_GET(&d, node)) {
            semi[w] = 1; /* the virtual root refers to it */
        }
        else {
            for (uint32_t k = pred_start[node]; k < pred_start[node + 1]; k++) {
                uint32_t u = eval(ancestor, label, semi, path, preds[k]);
                if (semi[u] < semi[w]) {
                    semi[w] = semi[u];
                }
            }
        }
        ancestor[w] = d.parent[w]; /* link */
    }
    FREE(preds);
    FREE(pred_start);
    FREE(ancestor);
    FREE(label);
    FREE(path);

    /* 4. immediate dominators: the nearest ancestor at or above semi,
     * in place of parent (idom[w] reads parent[w] and the idoms of
     * vertices before w only) */
    d.parent[1] = 1;
    for (uint32_t w = 2; w < nv; w++) {
        uint32_t x = d.parent[w];
        while (x > semi[w]) {
            x = d.parent[x];
        }
        d.parent[w] = x;
    }
    FREE(semi);
    uint32_t *idom_pre = d.parent;

    b_idom = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * n));
    b_retained = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(8 * n));
    b_count = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * n));
    if (b_idom == NULL || b_retained == NULL || b_count == NULL) {
        goto done;
    }
    uint32_t *idom = (uint32_t *)(void *)PyBytes_AS_STRING(b_idom);
    uint64_t *retained = (uint64_t *)(void *)PyBytes_AS_STRING(b_retained);
    uint32_t *count = (uint32_t *)(void *)PyBytes_AS_STRING(b_count);
    for (uint32_t w = 2; w < nv; w++) {
        uint32_t node = d.vertex[w], dom = idom_pre[w];
        idom[node] = dom == 1 ? SNAP_NONE : d.vertex[dom];
        retained[node] = snap_size(&v, node);
        count[node] = 1;
    }
    /* dominators come before what they dominate in preorder */
    for (uint32_t w = (uint32_t)nv - 1; w >= 2; w--) {
        uint32_t node = d.vertex[w];
        if (idom[node] != SNAP_NONE) {
            retained[idom[node]] += retained[node];
            count[idom[node]] += count[node];
        }
    }
    result = Py_BuildValue("(OOO)", b_idom, b_retained, b_count);
done:
    Py_XDECREF(b_idom);
    Py_XDECREF(b_retained);
    Py_XDECREF(b_count);
    PyMem_RawFree(d.pre);
    PyMem_RawFree(d.vertex);
    PyMem_RawFree(d.parent);
    PyMem_RawFree(d.seed);
    PyMem_RawFree(pred_start);
    PyMem_RawFree(preds);
    PyMem_RawFree(semi);
    PyMem_RawFree(label);
    PyMem_RawFree(ancestor);
    PyMem_RawFree(path);
    return result;
}

/* ------------------------------------------------------------------ */
/* The biggest retainers                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t retained;
    uint32_t node;
} ranked_t;

static int
compare_ranked(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->retained != y->retained) {
        return x->retained > y->retained ? -1 : 1;
    }
    return (x->node > y->node) - (x->node < y->node);
}

PyObject *
dominators_top(PyObject *idom_bytes, PyObject *retained_bytes, Py_ssize_t n,
               double share)
{
    if (!PyBytes_CheckExact(idom_bytes) || !PyBytes_CheckExact(retained_bytes) ||
        PyBytes_GET_SIZE(idom_bytes) % 4 != 0 ||
        PyBytes_GET_SIZE(retained_bytes) != 2 * PyBytes_GET_SIZE(idom_bytes))
    {
        PyErr_SetString(PyExc_ValueError,
                        "idom and retained must be snapshot_dominators' bytes");
        return NULL;
    }
    size_t count = (size_t)PyBytes_GET_SIZE(idom_bytes) / 4;
    const uint32_t *idom = (const uint32_t *)(const void *)PyBytes_AS_STRING(idom_bytes);
    const uint64_t *retained =
        (const uint64_t *)(const void *)PyBytes_AS_STRING(retained_bytes);
    uint64_t *biggest = PyMem_RawCalloc(count ? count : 1, sizeof(uint64_t));
    ranked_t *ranked = PyMem_RawMalloc((count ? count : 1) * sizeof(ranked_t));
    if (biggest == NULL || ranked == NULL) {
        PyMem_RawFree(biggest);
        PyMem_RawFree(ranked);
        return PyErr_NoMemory();
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t parent = idom[i];
        if (parent < count && retained[i] > biggest[parent]) {
            biggest[parent] = retained[i];
        }
    }
    /* the best n so far, sorted, in ranked[0, nranked) */
    size_t nranked = 0, keep = (size_t)n < count ? (size_t)n : count;
    for (size_t i = 0; i < count && keep > 0; i++) {
        /* one dominated object holding nearly all: that one answers */
        if ((double)biggest[i] >= share * (double)retained[i]) {
            continue;
        }
        ranked_t item = {retained[i], (uint32_t)i};
        if (nranked == keep && compare_ranked(&item, &ranked[nranked - 1]) >= 0) {
            continue;
        }
        size_t at = nranked < keep ? nranked++ : nranked - 1;
        while (at > 0 && compare_ranked(&item, &ranked[at - 1]) < 0) {
            ranked[at] = ranked[at - 1];
            at--;
        }
        ranked[at] = item;
    }
    size_t shown = (size_t)n < nranked ? (size_t)n : nranked;
    PyObject *result = PyList_New((Py_ssize_t)shown);
    for (size_t i = 0; result != NULL && i < shown; i++) {
        PyObject *node = PyLong_FromUnsignedLong(ranked[i].node);
        if (node == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)i, node);
    }
    PyMem_RawFree(biggest);
    PyMem_RawFree(ranked);
    return result;
}
