/* heap.c: enumerate the heap, number its objects, record references.
 *
 * One pass calls tp_traverse on every node and appends each referent's
 * node number to the node's row.  A referent that is not yet a node
 * becomes one when it can hold references (an untracked container, a
 * frozen object the lists missed, a running frame, a code object) or is
 * a target; other referents (strs, ints...) are skipped.  New nodes are
 * appended and traversed later in the same pass, so the walk needs no
 * recursion however deep the heap.
 *
 * Memory comes from PyMem_Raw*: it never starts a collection and is
 * never seen by the collector.
 */
#include "heap.h"

#define INITIAL_NODES ((size_t)1 << 16)
#define INITIAL_SLOT_BITS 17
#define INITIAL_EDGES ((uint64_t)1 << 18)

/* Fibonacci hashing of the address; the low 4 bits are alignment. */
static inline size_t
slot_of(const heap_t *h, PyObject *op)
{
    uint64_t x = (uint64_t)(uintptr_t)op >> 4;
    return (size_t)((x * 0x9E3779B97F4A7C15ull) >> (64 - h->slot_bits));
}

static int
grow_nodes(heap_t *h, size_t capacity)
{
    PyObject **objs = PyMem_RawRealloc(h->objs, capacity * sizeof(*objs));
    if (objs == NULL) {
        goto error;
    }
    h->objs = objs;
    uint8_t *flags = PyMem_RawRealloc(h->flags, capacity * sizeof(*flags));
    if (flags == NULL) {
        goto error;
    }
    h->flags = flags;
    uint32_t *seen = PyMem_RawRealloc(h->seen, capacity * sizeof(*seen));
    if (seen == NULL) {
        goto error;
    }
    h->seen = seen;
    uint64_t *starts =
        PyMem_RawRealloc(h->edge_start, (capacity + 1) * sizeof(*starts));
    if (starts == NULL) {
        goto error;
    }
    h->edge_start = starts;
    h->capacity = capacity;
    return 0;
error:
    PyErr_NoMemory();
    return -1;
}

static int
rehash(heap_t *h, int bits)
{
    size_t nslots = (size_t)1 << bits;
    uint32_t *slots = PyMem_RawCalloc(nslots, sizeof(*slots));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyMem_RawFree(h->slots);
    h->slots = slots;
    h->slot_bits = bits;
    h->slot_mask = nslots - 1;
    for (size_t n = 0; n < h->count; n++) {
        size_t i = slot_of(h, h->objs[n]);
        while (slots[i] != 0) {
            i = (i + 1) & h->slot_mask;
        }
        slots[i] = (uint32_t)n + 1;
    }
    return 0;
}

static int
grow_edges(heap_t *h)
{
    uint64_t capacity = h->edges_capacity ? h->edges_capacity * 2
                                          : INITIAL_EDGES;
    if (capacity > (uint64_t)(SIZE_MAX / sizeof(uint32_t))) {
        PyErr_NoMemory();
        return -1;
    }
    uint32_t *edges =
        PyMem_RawRealloc(h->edges, (size_t)capacity * sizeof(*edges));
    if (edges == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    h->edges = edges;
    h->edges_capacity = capacity;
    return 0;
}

int
heap_init(heap_t *h, deadline_t *deadline)
{
    memset(h, 0, sizeof(*h));
    h->deadline = deadline;
    h->partial_args_offset = -1;
    h->partial_keywords_offset = -1;
    if (grow_nodes(h, INITIAL_NODES) < 0 || rehash(h, INITIAL_SLOT_BITS) < 0 ||
        grow_edges(h) < 0)
    {
        heap_free(h);
        return -1;
    }
    h->edge_start[0] = 0;
    return 0;
}

void
heap_free(heap_t *h)
{
    PyMem_RawFree(h->objs);
    PyMem_RawFree(h->flags);
    PyMem_RawFree(h->seen);
    PyMem_RawFree(h->slots);
    PyMem_RawFree(h->edge_start);
    PyMem_RawFree(h->edges);
    memset(h, 0, sizeof(*h));
}

node_t
heap_find(const heap_t *h, PyObject *op)
{
    size_t i = slot_of(h, op);
    for (;;) {
        uint32_t entry = h->slots[i];
        if (entry == 0) {
            return NODE_NONE;
        }
        if (h->objs[entry - 1] == op) {
            return entry - 1;
        }
        i = (i + 1) & h->slot_mask;
    }
}

node_t
heap_add(heap_t *h, PyObject *op)
{
    node_t found = heap_find(h, op);
    if (found != NODE_NONE) {
        return found;
    }
    if (h->count >= HEAP_MAX_NODES) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: the heap has too many objects to index");
        return NODE_NONE;
    }
    if (h->count == h->capacity && grow_nodes(h, h->capacity * 2) < 0) {
        return NODE_NONE;
    }
    /* keep the table at most 5/8 full */
    if ((h->count + 1) * 8 > (h->slot_mask + 1) * 5 &&
        rehash(h, h->slot_bits + 1) < 0)
    {
        return NODE_NONE;
    }
    node_t n = (node_t)h->count++;
    h->objs[n] = op;
    h->flags[n] = 0;
    h->seen[n] = 0;
    size_t i = slot_of(h, op);
    while (h->slots[i] != 0) {
        i = (i + 1) & h->slot_mask;
    }
    h->slots[i] = n + 1;
    return n;
}

/* Can op keep other objects alive, or is it a target?  Reads op's type
 * only; runs no code. */
static int
is_holder(const heap_t *h, PyObject *op)
{
    if (PyObject_IS_GC(op) || PyCode_Check(op)) {
        return 1;
    }
    return heap_is_instance(h, op);
}

int
heap_is_instance(const heap_t *h, PyObject *op)
{
    if (h->instances_of == NULL) {
        return 0;
    }
    /* PyType_IsSubtype reads tp_mro; no __instancecheck__ runs */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(h->instances_of); i++) {
        PyTypeObject *tp = (PyTypeObject *)PyTuple_GET_ITEM(h->instances_of, i);
        if (PyObject_TypeCheck(op, tp)) {
            return 1;
        }
    }
    return 0;
}

node_t
heap_add_if_holder(heap_t *h, PyObject *op)
{
    node_t n = heap_find(h, op);
    if (n != NODE_NONE || !is_holder(h, op)) {
        return n;
    }
    return heap_add(h, op);
}

static int
add_tracked(PyObject *op, void *arg)
{
    return heap_add((heap_t *)arg, op) == NODE_NONE ? -1 : 0;
}

int
heap_enumerate(heap_t *h)
{
    return compat_gc_foreach(add_tracked, h);
}

/* ------------------------------------------------------------------ */
/* The traversal                                                       */
/* ------------------------------------------------------------------ */

#define MAX_FOLDS 6

typedef struct {
    heap_t *h;
    PyObject *fold[MAX_FOLDS]; /* containers the object keeps internally */
    int nfold;
    int failed;
} visit_ctx;

static int
append_edge(heap_t *h, uint32_t edge)
{
    if (h->nedges == h->edges_capacity && grow_edges(h) < 0) {
        return -1;
    }
    h->edges[h->nedges++] = edge;
    node_t n = EDGE_NODE(edge);
    if (h->seen[n] != UINT32_MAX) {
        h->seen[n]++;
    }
    return 0;
}

static int
visit_reference(PyObject *op, void *arg)
{
    visit_ctx *ctx = (visit_ctx *)arg;
    heap_t *h = ctx->h;
    if (op == NULL) {
        return 0;
    }
    node_t n = heap_find(h, op);
    if (n == NODE_NONE) {
        if (!is_holder(h, op)) {
            return 0;
        }
        n = heap_add(h, op);
        if (n == NODE_NONE) {
            ctx->failed = 1;
            return -1;
        }
    }
    uint32_t edge = n;
    for (int i = 0; i < ctx->nfold; i++) {
        if (ctx->fold[i] == op) {
            edge |= EDGE_FOLD;
            break;
        }
    }
    if (append_edge(h, edge) < 0) {
        ctx->failed = 1;
        return -1;
    }
    return 0;
}

static void
add_fold(visit_ctx *ctx, PyObject *container)
{
    if (container != NULL && ctx->nfold < MAX_FOLDS) {
        ctx->fold[ctx->nfold++] = container;
    }
}

/* The containers op keeps as part of itself, so that "owner -> its
 * __dict__ -> value" is one step of a path, as a person writes it. */
static void
collect_folds(const heap_t *h, PyObject *op, visit_ctx *ctx)
{
    add_fold(ctx, compat_instance_dict(op));
    if (PyFunction_Check(op)) {
        PyFunctionObject *func = (PyFunctionObject *)op;
        add_fold(ctx, func->func_closure);
        add_fold(ctx, func->func_defaults);
        add_fold(ctx, func->func_kwdefaults);
    }
    else if (PyExceptionInstance_Check(op)) {
        add_fold(ctx, ((PyBaseExceptionObject *)op)->args);
    }
    else if (PyCode_Check(op)) {
        add_fold(ctx, ((PyCodeObject *)op)->co_consts);
        add_fold(ctx, ((PyCodeObject *)op)->co_names);
    }
    else if (compat_is_generator_like(op)) {
        add_fold(ctx, compat_generator_frame_object(op));
    }
    else if (h->partial_type != NULL && PyObject_TypeCheck(op, h->partial_type)) {
        if (h->partial_args_offset >= 0) {
            add_fold(ctx, *(PyObject **)((char *)op + h->partial_args_offset));
        }
        if (h->partial_keywords_offset >= 0) {
            add_fold(ctx,
                     *(PyObject **)((char *)op + h->partial_keywords_offset));
        }
    }
}

/* A unicode-keyed dict's tp_traverse visits values only, so a str
 * target used as a key would look held from outside.  Add the key
 * references it skipped.  Runs only when some target is a str. */
static int
count_str_keys(heap_t *h, PyObject *dict, uint64_t row_start, visit_ctx *ctx)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            continue;
        }
        node_t kn = heap_find(h, key);
        if (kn == NODE_NONE || !(h->flags[kn] & NODE_TARGET)) {
            continue;
        }
        /* visits of key so far vs. entries holding it as a value */
        uint64_t visits = 0;
        for (uint64_t e = row_start; e < h->nedges; e++) {
            visits += EDGE_NODE(h->edges[e]) == kn;
        }
        Py_ssize_t vpos = 0;
        PyObject *k2, *v2;
        uint64_t as_value = 0;
        while (PyDict_Next(dict, &vpos, &k2, &v2)) {
            as_value += v2 == key;
        }
        if (visits <= as_value && visit_reference(key, ctx) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
traverse_node(heap_t *h, node_t n)
{
    PyObject *op = h->objs[n];
    PyTypeObject *tp = Py_TYPE(op);
    uint64_t row_start = h->nedges;
    visit_ctx ctx;
    ctx.h = h;
    ctx.nfold = 0;
    ctx.failed = 0;

    if (tp == &PyCell_Type) {
        h->flags[n] |= NODE_CELL;
    }
    if (heap_is_instance(h, op)) {
        h->flags[n] |= NODE_TARGET;
    }
    collect_folds(h, op, &ctx);
    if (PyObject_IS_GC(op)) {
        if (tp->tp_traverse != NULL) {
            (void)tp->tp_traverse(op, visit_reference, &ctx);
        }
    }
    else if (PyCode_Check(op)) {
        /* not a GC type before 3.14: its constants and names are
         * invisible to the collector */
        PyCodeObject *co = (PyCodeObject *)op;
        if (visit_reference(co->co_consts, &ctx) == 0) {
            (void)visit_reference(co->co_names, &ctx);
        }
    }
    if (!ctx.failed && h->str_targets && PyDict_Check(op)) {
        (void)count_str_keys(h, op, row_start, &ctx);
    }
    return ctx.failed ? -1 : 0;
}

int
heap_traverse_all(heap_t *h)
{
    int status = 0;
    size_t n;
    for (n = h->traversed; n < h->count; n++) {
        if (deadline_passed(h->deadline)) {
            status = 1;
            break;
        }
        h->edge_start[n] = h->nedges;
        if (traverse_node(h, (node_t)n) < 0) {
            return -1;
        }
        h->traversed = n + 1;
    }
    /* rows of nodes not traversed (deadline) are empty */
    for (n = h->traversed; n <= h->count; n++) {
        h->edge_start[n] = h->nedges;
    }
    return status;
}

void
heap_count_reference(heap_t *h, PyObject *op)
{
    node_t n = heap_find(h, op);
    if (n != NODE_NONE && h->seen[n] != UINT32_MAX) {
        h->seen[n]++;
    }
}

Py_ssize_t
heap_unseen_references(const heap_t *h, node_t n)
{
    PyObject *op = h->objs[n];
    if (compat_is_immortal(op)) {
        return -1;
    }
    Py_ssize_t unseen = Py_REFCNT(op) - (Py_ssize_t)h->seen[n];
    return unseen > 0 ? unseen : 0;
}
