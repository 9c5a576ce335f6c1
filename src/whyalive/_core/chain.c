/* chain.c: every referrer chain of one object, from one walk of the heap.
 *
 * objgraph's find_backref_chain searches breadth first from an object
 * towards a predicate over its referrers, one gc.get_referrers() pass
 * over the heap per object met; whyalive's level walk pays one pass per
 * level, which is still a pass per link of a long chain.  Here the heap
 * is walked once, as an explain query does (heap.c: every reference,
 * CSR rows), the rows are turned around (who refers to each node), and
 * the breadth-first search runs over them in C.  The objects met come
 * back in the order the search met them, each with the one it was met
 * from, so the caller runs the predicate on them in that order, after
 * the walk: no Python code runs while the GC headers are borrowed.
 */
#include "chain.h"
#include "array.h"
#include "heap.h"

typedef struct {
    heap_t heap;
    deadline_t deadline;
    uint32_t *in_start; /* count + 1: node n's referrers are */
    uint32_t *in_nodes; /* in_nodes[in_start[n] .. in_start[n + 1]) */
    uint32_t *order;    /* nodes in the order met */
    uint32_t *parent;   /* per entry of order: the entry it was met from */
    uint8_t *met;       /* per node: met, or never to be met */
    size_t norder;
    size_t nin;   /* entries allocated in in_nodes */
    size_t nrows; /* entries allocated in in_start - 1, order, parent, met */
} chain_t;

static void
chain_free(chain_t *c)
{
    big_free(c->in_start, c->nrows + 1, sizeof(uint32_t));
    big_free(c->in_nodes, c->nin, sizeof(uint32_t));
    big_free(c->order, c->nrows, sizeof(uint32_t));
    big_free(c->parent, c->nrows, sizeof(uint32_t));
    big_free(c->met, c->nrows, sizeof(uint8_t));
    heap_free(&c->heap);
}

/* The graph with its rows turned around: in_nodes lists, per node, the
 * nodes whose references reach it, in node order (the collector's
 * order, as gc.get_referrers() lists them); one reference per pair. */
static int
reverse_rows(chain_t *c)
{
    heap_t *h = &c->heap;
    size_t count = h->count;
    if (h->nedges >= UINT32_MAX) {
        PyErr_SetString(PyExc_MemoryError, "whyalive: too many references");
        return -1;
    }
    size_t nin = h->nedges ? (size_t)h->nedges : 1;
    if (big_resize((void **)&c->in_nodes, 0, nin, sizeof(uint32_t)) < 0) {
        return -1;
    }
    c->nin = nin;
    if (big_resize((void **)&c->in_start, 0, count + 1, sizeof(uint32_t)) < 0 ||
        big_resize((void **)&c->order, 0, count, sizeof(uint32_t)) < 0 ||
        big_resize((void **)&c->parent, 0, count, sizeof(uint32_t)) < 0 ||
        big_resize((void **)&c->met, 0, count, sizeof(uint8_t)) < 0)
    {
        c->nrows = count; /* big_free of NULL arrays is harmless */
        return -1;
    }
    c->nrows = count;
    memset(c->in_start, 0, (count + 1) * sizeof(uint32_t));
    for (uint64_t e = 0; e < h->nedges; e++) {
        c->in_start[EDGE_NODE(h->edges[e]) + 1]++;
    }
    for (size_t n = 0; n < count; n++) {
        c->in_start[n + 1] += c->in_start[n];
    }
    /* fill with a moving cursor per node: in_start[n] walks up to the
     * old in_start[n + 1], then the starts are shifted back */
    for (size_t n = 0; n < count; n++) {
        for (uint64_t e = heap_row_start(h, (node_t)n); e < heap_row_end(h, (node_t)n);
             e++)
        {
            node_t to = EDGE_NODE(h->edges[e]);
            c->in_nodes[c->in_start[to]++] = (uint32_t)n;
        }
    }
    for (size_t n = count; n > 0; n--) {
        c->in_start[n] = c->in_start[n - 1];
    }
    c->in_start[0] = 0;
    return 0;
}

/* Nodes never met: the ignored ids and the call's own containers. */
static int
mark_ignored(chain_t *c, PyObject *ignore_ids, PyObject *const *own, size_t nown)
{
    heap_t *h = &c->heap;
    for (size_t i = 0; i < nown; i++) {
        node_t node = own[i] == NULL ? NODE_NONE : heap_find(h, own[i]);
        if (node != NODE_NONE) {
            h->flags[node] |= NODE_EXCLUDED;
        }
    }
    if (heap_flag_ids(h, ignore_ids, NODE_EXCLUDED) < 0) {
        return -1;
    }
    for (size_t n = 0; n < h->count; n++) {
        c->met[n] = (h->flags[n] & NODE_EXCLUDED) != 0;
    }
    return 0;
}

/* Breadth first from `start` over the referrers, to max_depth links. */
static void
search(chain_t *c, node_t start, size_t max_depth)
{
    c->met[start] = 1;
    c->order[0] = start;
    c->parent[0] = UINT32_MAX;
    c->norder = 1;
    size_t lo = 0, depth = 0;
    while (lo < c->norder && depth < max_depth) {
        size_t hi = c->norder;
        for (size_t i = lo; i < hi; i++) {
            node_t n = c->order[i];
            for (uint32_t k = c->in_start[n]; k < c->in_start[n + 1]; k++) {
                uint32_t from = c->in_nodes[k];
                if (!c->met[from]) {
                    c->met[from] = 1;
                    c->order[c->norder] = from;
                    c->parent[c->norder] = (uint32_t)i;
                    c->norder++;
                }
            }
        }
        lo = hi;
        depth++;
    }
}

static PyObject *
result(chain_t *c)
{
    PyObject *objects = PyList_New((Py_ssize_t)c->norder);
    PyObject *parents = PyBytes_FromStringAndSize(
        (const char *)c->parent, (Py_ssize_t)(c->norder * sizeof(uint32_t)));
    if (objects == NULL || parents == NULL) {
        Py_XDECREF(objects);
        Py_XDECREF(parents);
        return NULL;
    }
    for (size_t i = 0; i < c->norder; i++) {
        PyObject *op = c->heap.objs[c->order[i]];
        PyList_SET_ITEM(objects, (Py_ssize_t)i, Py_NewRef(op));
    }
    PyObject *pair = PyTuple_Pack(2, objects, parents);
    Py_DECREF(objects);
    Py_DECREF(parents);
    return pair;
}

static int
run(chain_t *c, PyObject *obj, size_t max_depth, PyObject *ignore_ids,
    PyObject *const *own, size_t nown)
{
    heap_t *h = &c->heap;
    if (heap_init(h, &c->deadline) < 0) {
        return -1;
    }
    int listed = heap_enumerate(h);
    if (listed < 0) {
        return -1;
    }
    node_t start = heap_add(h, obj);
    if (start == NODE_NONE) {
        return -1;
    }
    /* references into a non-container are kept only for targets */
    heap_mark_target(h, start);
    h->str_targets = PyUnicode_CheckExact(obj);
    if (heap_traverse_all(h) < 0 || reverse_rows(c) < 0) {
        return -1;
    }
    if (mark_ignored(c, ignore_ids, own, nown) < 0) {
        return -1;
    }
    search(c, start, max_depth);
    return 0;
}

PyObject *
chain_backrefs(PyObject *obj, Py_ssize_t max_depth, PyObject *ignore_ids,
               PyObject *const *own, size_t nown)
{
    chain_t c;
    memset(&c, 0, sizeof(c));
    c.deadline.start = platform_monotonic();
    c.deadline.next_report = c.deadline.start + PROGRESS_AFTER;
    /* a collection inside the walk would run finalizers and callbacks */
    int was_enabled = PyGC_Disable();
    PyObject *answer = NULL;
    if (run(&c, obj, max_depth < 0 ? SIZE_MAX : (size_t)max_depth, ignore_ids,
            own, nown) == 0)
    {
        answer = result(&c);
    }
    chain_free(&c);
    if (was_enabled) {
        PyGC_Enable();
    }
    return answer;
}

/* The binding (module.c lists it; module.c is at its size limit). */
const char chain_backrefs_doc[] =
    "chain_backrefs(obj, max_depth, ignore_ids)\n"
    "--\n\n"
    "obj and every object whose references reach it within max_depth\n"
    "links (-1: any), breadth first, from one walk of the heap: the\n"
    "referrers of each in the collector's order.  ignore_ids: a tuple of\n"
    "ints, objects never met (compared, never dereferenced).\n\n"
    "Returns (objects, parents): objects a list, obj first; parents bytes\n"
    "of native uint32, the index in objects each object was met from\n"
    "(0xFFFFFFFF for obj).";

PyObject *
chain_backrefs_binding(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"obj", "max_depth", "ignore_ids", NULL};
    PyObject *obj, *ignore_ids;
    Py_ssize_t max_depth;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OnO!:chain_backrefs",
                                     kwlist, &obj, &max_depth, &PyTuple_Type,
                                     &ignore_ids))
    {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ignore_ids); i++) {
        if (!PyLong_CheckExact(PyTuple_GET_ITEM(ignore_ids, i))) {
            PyErr_SetString(PyExc_TypeError, "ignore_ids must hold ints");
            return NULL;
        }
    }
    /* the call's own containers hold obj: never its referrers */
    PyObject *own[] = {args, kwargs};
    return chain_backrefs(obj, max_depth, ignore_ids, own, 2);
}
