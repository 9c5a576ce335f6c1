/* cycles.c: the cyclic garbage one collection found, as plain data.
 *
 * cycles.py gives the collector DEBUG_SAVEALL while a `cycles()` block
 * runs, so a collection appends what it found unreachable to gc.garbage
 * instead of clearing it; its "stop" callback hands those objects here:
 *
 * - cycles_graph(objects) reads them (tp_traverse, names.c's labels;
 *   no user code runs) into the references among them, folded as paths
 *   fold them (an owner's __dict__, a function's closure cells and a
 *   generator's frame are not shown as objects of their own), and their
 *   strongly connected components (Tarjan's, iterative);
 * - cycles_clear(objects) then does what the collector would have done
 *   without DEBUG_SAVEALL (its delete_garbage): tp_clear on each, so the
 *   cycles are broken and freed now, not kept until the block ends.
 */
#include "cycles.h"
#include "array.h"
#include "names.h"
#include "ptrmap.h"

/* Earlier references scanned to count a reference's occurrence (the
 * key a value stored twice is labelled with). */
#define OCCURRENCE_SCAN_LIMIT 4096u

enum cycle_flag {
    CYCLE_FINALIZER = 1,     /* tp_finalize (__del__) or tp_del */
    CYCLE_LEGACY = 2,        /* tp_del: the collector cannot free it */
    CYCLE_WEAKREF_CB = 4,    /* a weak reference with a callback */
    CYCLE_INTERNAL = 8,      /* shown folded into its owner's references */
};

typedef struct {
    uint32_t src, dst;
    uint32_t occurrence;
    Py_ssize_t ordinal;
} raw_edge_t;

typedef struct {
    const ptrmap_t *index;
    uint32_t src;
    Py_ssize_t ordinal;
    raw_edge_t *edges;
    size_t count, capacity;
} collect_t;

static int
visit_member(PyObject *op, void *arg)
{
    collect_t *c = (collect_t *)arg;
    Py_ssize_t ordinal = c->ordinal++;
    if (op == NULL) {
        return 0;
    }
    uint32_t dst = ptrmap_get(c->index, op);
    if (dst == PTRMAP_NONE) {
        return 0;
    }
    if (array_grow((void **)&c->edges, &c->capacity, c->count + 1,
                   sizeof(raw_edge_t)) < 0)
    {
        return -1;
    }
    raw_edge_t *e = &c->edges[c->count++];
    e->src = c->src;
    e->dst = dst;
    e->ordinal = ordinal;
    e->occurrence = 0;
    return 0;
}

static int
flags_of(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    int flags = 0;
    if (tp->tp_finalize != NULL || tp->tp_del != NULL) {
        flags |= CYCLE_FINALIZER;
    }
    if (tp->tp_del != NULL) {
        flags |= CYCLE_LEGACY;
    }
    if (PyWeakref_Check(op) &&
        ((PyWeakReference *)op)->wr_callback != NULL)
    {
        flags |= CYCLE_WEAKREF_CB;
    }
    return flags;
}

/* An edge into an object that paths show folded into its referrer. */
static int
role_is_internal(int role)
{
    return role == ROLE_OWN_DICT || role == ROLE_CLOSURE || role == ROLE_FRAME;
}

/* Tarjan's strongly connected components without recursion over the
 * visible nodes; components of more than one node, or of one node that
 * refers to itself, appended to out as tuples of node indices. */
static int
components(uint32_t n, const uint32_t *start, const uint32_t *adj,
           const uint8_t *hidden, PyObject *out)
{
    uint32_t *order = PyMem_RawMalloc((n + 1) * sizeof(uint32_t));
    uint32_t *low = PyMem_RawMalloc((n + 1) * sizeof(uint32_t));
    uint32_t *stack = PyMem_RawMalloc((n + 1) * sizeof(uint32_t));
    uint32_t *calls = PyMem_RawMalloc((n + 1) * sizeof(uint32_t));
    uint32_t *next = PyMem_RawMalloc((n + 1) * sizeof(uint32_t));
    uint8_t *on_stack = PyMem_RawCalloc(n + 1, 1);
    int status = -1;
    if (!order || !low || !stack || !calls || !next || !on_stack) {
        PyErr_NoMemory();
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        order[i] = UINT32_MAX;
    }
    uint32_t counter = 0, top = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (hidden[root] || order[root] != UINT32_MAX) {
            continue;
        }
        uint32_t depth = 0;
        calls[depth++] = root;
        order[root] = low[root] = counter++;
        next[root] = start[root];
        stack[top++] = root;
        on_stack[root] = 1;
        while (depth > 0) {
            uint32_t v = calls[depth - 1];
            if (next[v] < start[v + 1]) {
                uint32_t w = adj[next[v]++];
                if (order[w] == UINT32_MAX) {
                    order[w] = low[w] = counter++;
                    next[w] = start[w];
                    stack[top++] = w;
                    on_stack[w] = 1;
                    calls[depth++] = w;
                }
                else if (on_stack[w] && order[w] < low[v]) {
                    low[v] = order[w];
                }
                continue;
            }
            depth--;
            if (depth > 0) {
                uint32_t parent = calls[depth - 1];
                if (low[v] < low[parent]) {
                    low[parent] = low[v];
                }
            }
            if (low[v] != order[v]) {
                continue;
            }
            uint32_t bottom = top;
            while (stack[bottom - 1] != v) {
                bottom--;
            }
            bottom--;
            uint32_t size = top - bottom;
            int self_loop = 0;
            for (uint32_t e = start[v]; size == 1 && e < start[v + 1]; e++) {
                self_loop |= adj[e] == v;
            }
            PyObject *members = NULL;
            if (size > 1 || self_loop) {
                members = PyTuple_New(size);
                if (members == NULL) {
                    goto done;
                }
            }
            for (uint32_t k = bottom; k < top; k++) {
                on_stack[stack[k]] = 0;
                if (members != NULL) {
                    PyObject *index = PyLong_FromUnsignedLong(stack[k]);
                    if (index == NULL) {
                        Py_DECREF(members);
                        goto done;
                    }
                    PyTuple_SET_ITEM(members, k - bottom, index);
                }
            }
            top = bottom;
            if (members != NULL) {
                int rc = PyList_Append(out, members);
                Py_DECREF(members);
                if (rc < 0) {
                    goto done;
                }
            }
        }
    }
    status = 0;
done:
    PyMem_RawFree(order);
    PyMem_RawFree(low);
    PyMem_RawFree(stack);
    PyMem_RawFree(calls);
    PyMem_RawFree(next);
    PyMem_RawFree(on_stack);
    return status;
}

/* The shown references from src: each reference to a visible object,
 * and through internal objects (depth-first, each met once per src) to
 * the visible objects they lead to, labelled as one folded label. */
typedef struct {
    names_t *nm;
    PyObject *objects;
    const raw_edge_t *edges;
    const uint32_t *out_start; /* raw edges by src */
    const uint8_t *hidden;
    uint8_t *visiting;
    raw_label_t *labels; /* the chain being folded */
    uint32_t *chain;     /* raw edge index per level */
    uint32_t n;
    PyObject *rows; /* (src, dst, label, kind) */
    uint32_t *adj;
    size_t nadj, adj_capacity;
    uint32_t *adj_src;
} shown_t;

static int
raw_label_of(shown_t *s, uint32_t e, raw_label_t *out)
{
    const raw_edge_t *edge = &s->edges[e];
    return names_raw(s->nm, PyList_GET_ITEM(s->objects, edge->src),
                     PyList_GET_ITEM(s->objects, edge->dst),
                     (Py_ssize_t)edge->occurrence, edge->ordinal, out);
}

static int
emit(shown_t *s, uint32_t src, uint32_t dst, int depth)
{
    int kind = 0, status = -1;
    int filled = 0;
    for (; filled < depth; filled++) {
        if (raw_label_of(s, s->chain[filled], &s->labels[filled]) < 0) {
            goto done;
        }
    }
    PyObject *label = names_fold(s->nm, PyList_GET_ITEM(s->objects, src),
                                 s->labels, depth, &kind);
    if (label == NULL) {
        goto done;
    }
    PyObject *row = Py_BuildValue("(IINs)", src, dst, label, edge_kind_names[kind]);
    if (row == NULL || PyList_Append(s->rows, row) < 0) {
        Py_XDECREF(row);
        goto done;
    }
    Py_DECREF(row);
    if (array_grow((void **)&s->adj, &s->adj_capacity, s->nadj + 1,
                   sizeof(uint32_t)) < 0 ||
        array_resize((void **)&s->adj_src, s->adj_capacity, sizeof(uint32_t)) < 0)
    {
        goto done;
    }
    s->adj_src[s->nadj] = src;
    s->adj[s->nadj++] = dst;
    status = 0;
done:
    for (int i = 0; i < filled; i++) {
        names_raw_clear(&s->labels[i]);
    }
    return status;
}

/* Iterative depth-first search from src through internal objects. */
static int
shown_from(shown_t *s, uint32_t src)
{
    uint32_t *cursor = PyMem_RawMalloc((s->n + 1) * sizeof(uint32_t));
    uint32_t *node_at = PyMem_RawMalloc((s->n + 1) * sizeof(uint32_t));
    if (cursor == NULL || node_at == NULL) {
        PyMem_RawFree(cursor);
        PyMem_RawFree(node_at);
        PyErr_NoMemory();
        return -1;
    }
    int depth = 0, status = 0;
    node_at[0] = src;
    cursor[0] = s->out_start[src];
    s->visiting[src] = 1;
    while (depth >= 0) {
        uint32_t v = node_at[depth];
        if (cursor[depth] >= s->out_start[v + 1]) {
            if (depth > 0) {
                s->visiting[v] = 0;
            }
            depth--;
            continue;
        }
        uint32_t e = cursor[depth]++;
        uint32_t w = s->edges[e].dst;
        s->chain[depth] = e;
        if (!s->hidden[w]) {
            if (emit(s, src, w, depth + 1) < 0) {
                status = -1;
                break;
            }
        }
        else if (!s->visiting[w] && (uint32_t)depth + 1 < s->n) {
            s->visiting[w] = 1;
            depth++;
            node_at[depth] = w;
            cursor[depth] = s->out_start[w];
        }
    }
    for (int d = 0; d <= depth && d >= 0; d++) {
        s->visiting[node_at[d]] = 0;
    }
    s->visiting[src] = 0;
    PyMem_RawFree(cursor);
    PyMem_RawFree(node_at);
    return status;
}

static int
compare_edges(const void *a, const void *b)
{
    const raw_edge_t *x = a, *y = b;
    if (x->src != y->src) {
        return x->src < y->src ? -1 : 1;
    }
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

PyObject *
cycles_graph(PyObject *objects)
{
    if (!PyList_CheckExact(objects)) {
        return PyErr_Format(PyExc_TypeError, "objects must be a list, not %.100s",
                            Py_TYPE(objects)->tp_name);
    }
    Py_ssize_t size = PyList_GET_SIZE(objects);
    if ((size_t)size >= UINT32_MAX - 1) {
        PyErr_SetString(PyExc_ValueError, "objects: too many");
        return NULL;
    }
    uint32_t n = (uint32_t)size;
    names_t nm;
    if (names_init(&nm) < 0) {
        return NULL;
    }
    /* a collection could run finalizers while the list is read */
    int was_enabled = PyGC_Disable();
    PyObject *result = NULL, *nodes = NULL, *rows = NULL, *comps = NULL;
    ptrmap_t index;
    int have_index = 0;
    collect_t c = {0};
    uint32_t *out_start = NULL, *in_count = NULL, *in_edge = NULL;
    uint32_t *vis_start = NULL;
    uint8_t *hidden = NULL, *visiting = NULL;
    raw_label_t *labels = NULL;
    uint32_t *chain = NULL;
    shown_t s = {0};

    if (ptrmap_init(&index, n ? n : 1) < 0) {
        goto done;
    }
    have_index = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (ptrmap_put(&index, PyList_GET_ITEM(objects, i), i, NULL) < 0) {
            goto done;
        }
    }
    c.index = &index;
    for (uint32_t i = 0; i < n; i++) {
        PyObject *op = PyList_GET_ITEM(objects, i);
        traverseproc traverse = Py_TYPE(op)->tp_traverse;
        if (!PyObject_IS_GC(op) || traverse == NULL ||
            ptrmap_get(&index, op) != i)
        {
            continue; /* not traversable, or listed twice */
        }
        c.src = i;
        c.ordinal = 0;
        if (traverse(op, visit_member, &c) < 0) {
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
    }
    if (c.count) {
        qsort(c.edges, c.count, sizeof(raw_edge_t), compare_edges);
    }
    out_start = PyMem_RawCalloc((size_t)n + 1, sizeof(uint32_t));
    in_count = PyMem_RawCalloc((size_t)n + 1, sizeof(uint32_t));
    in_edge = PyMem_RawCalloc((size_t)n + 1, sizeof(uint32_t));
    hidden = PyMem_RawCalloc((size_t)n + 1, 1);
    visiting = PyMem_RawCalloc((size_t)n + 1, 1);
    labels = PyMem_RawCalloc((size_t)n + 1, sizeof(raw_label_t));
    chain = PyMem_RawCalloc((size_t)n + 1, sizeof(uint32_t));
    if (!out_start || !in_count || !in_edge || !hidden || !visiting ||
        !labels || !chain)
    {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t e = 0; e < c.count; e++) {
        raw_edge_t *edge = &c.edges[e];
        out_start[edge->src + 1]++;
        in_count[edge->dst]++;
        in_edge[edge->dst] = (uint32_t)e;
        /* occurrence: earlier references of src to the same object */
        size_t first = e;
        while (first > 0 && c.edges[first - 1].src == edge->src &&
               e - first < OCCURRENCE_SCAN_LIMIT)
        {
            first--;
        }
        for (size_t k = first; k < e; k++) {
            edge->occurrence += c.edges[k].src == edge->src &&
                                c.edges[k].dst == edge->dst;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        out_start[i + 1] += out_start[i];
    }
    /* internal: held by one reference of the set, which paths fold (an
     * owner's __dict__, closure, frame), or a cell held by one internal
     * closure tuple; resolved in list order, then once more for cells */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            if (in_count[i] != 1 || hidden[i]) {
                continue;
            }
            raw_edge_t *edge = &c.edges[in_edge[i]];
            if (edge->src == i) {
                continue;
            }
            PyObject *op = PyList_GET_ITEM(objects, i);
            if (Py_TYPE(op) == &PyCell_Type) {
                hidden[i] = hidden[edge->src] &&
                            PyTuple_CheckExact(PyList_GET_ITEM(objects, edge->src));
                continue;
            }
            if (pass == 1) {
                continue;
            }
            raw_label_t raw;
            if (raw_label_of(&(shown_t){.nm = &nm, .objects = objects,
                                        .edges = c.edges},
                             in_edge[i], &raw) < 0)
            {
                goto done;
            }
            hidden[i] = role_is_internal(raw.role);
            names_raw_clear(&raw);
        }
    }
    nodes = PyList_New(n);
    if (nodes == NULL) {
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        PyObject *op = PyList_GET_ITEM(objects, i);
        PyObject *type_name = names_type_name(&nm, Py_TYPE(op));
        PyObject *name = type_name ? names_object_name(&nm, op) : NULL;
        int flags = flags_of(op) | (hidden[i] ? CYCLE_INTERNAL : 0);
        PyObject *row = name ? Py_BuildValue("(KNNi)", (unsigned long long)(uintptr_t)op,
                                             type_name, name, flags)
                             : NULL;
        if (row == NULL) {
            Py_XDECREF(type_name);
            Py_XDECREF(name);
            goto done;
        }
        PyList_SET_ITEM(nodes, i, row);
    }
    rows = PyList_New(0);
    if (rows == NULL) {
        goto done;
    }
    s.nm = &nm;
    s.objects = objects;
    s.edges = c.edges;
    s.out_start = out_start;
    s.hidden = hidden;
    s.visiting = visiting;
    s.labels = labels;
    s.chain = chain;
    s.n = n;
    s.rows = rows;
    for (uint32_t i = 0; i < n; i++) {
        if (!hidden[i] && shown_from(&s, i) < 0) {
            goto done;
        }
    }
    /* the shown references as rows by src (emitted in src order) */
    vis_start = PyMem_RawCalloc((size_t)n + 1, sizeof(uint32_t));
    if (vis_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t k = 0; k < s.nadj; k++) {
        vis_start[s.adj_src[k] + 1]++;
    }
    for (uint32_t i = 0; i < n; i++) {
        vis_start[i + 1] += vis_start[i];
    }
    comps = PyList_New(0);
    if (comps == NULL ||
        components(n, vis_start, s.adj ? s.adj : vis_start, hidden, comps) < 0)
    {
        goto done;
    }
    result = PyTuple_Pack(3, nodes, rows, comps);
done:
    Py_XDECREF(nodes);
    Py_XDECREF(rows);
    Py_XDECREF(comps);
    if (have_index) {
        ptrmap_free(&index);
    }
    PyMem_RawFree(c.edges);
    PyMem_RawFree(out_start);
    PyMem_RawFree(in_count);
    PyMem_RawFree(in_edge);
    PyMem_RawFree(hidden);
    PyMem_RawFree(visiting);
    PyMem_RawFree(labels);
    PyMem_RawFree(chain);
    PyMem_RawFree(vis_start);
    PyMem_RawFree(s.adj);
    PyMem_RawFree(s.adj_src);
    names_free(&nm);
    if (was_enabled) {
        PyGC_Enable();
    }
    return result;
}

PyObject *
cycles_clear(PyObject *objects)
{
    if (!PyList_CheckExact(objects)) {
        return PyErr_Format(PyExc_TypeError, "objects must be a list, not %.100s",
                            Py_TYPE(objects)->tp_name);
    }
    /* as the collector's delete_garbage: each object's tp_clear under a
     * reference of our own, an error reported as unraisable; the list
     * is emptied first, so the last references left are the cycles' */
    PyObject *held = PyList_GetSlice(objects, 0, PyList_GET_SIZE(objects));
    if (held == NULL || PyList_SetSlice(objects, 0, PyList_GET_SIZE(objects), NULL) < 0) {
        Py_XDECREF(held);
        return NULL;
    }
    int was_enabled = PyGC_Disable();
    Py_ssize_t n = PyList_GET_SIZE(held);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *op = PyList_GET_ITEM(held, i);
        inquiry clear = Py_TYPE(op)->tp_clear;
        if (clear == NULL) {
            continue;
        }
        Py_INCREF(op);
        (void)clear(op);
        if (PyErr_Occurred()) {
            PyErr_WriteUnraisable(op);
        }
        Py_DECREF(op);
    }
    Py_DECREF(held);
    if (was_enabled) {
        PyGC_Enable();
    }
    Py_RETURN_NONE;
}
