/* graph.c: the referrers or referents of a set of objects, one level of
 * a breadth-first walk at a time, with the references labelled on
 * request.
 *
 * Referrers take one pass over the heap (compat_gc_foreach, frozen
 * objects included): each object is traversed once and its references
 * to the frontier recorded.  When a frontier object is not tracked by
 * the collector, the untracked containers and code objects met on the
 * way are traversed too (only they can hold such an object besides the
 * tracked ones).  The frames of every thread and the thread states are
 * read from the interpreter's records (roots.c).
 *
 * Addresses are recorded in C memory during a walk; result objects are
 * made after it, with the collector still off, so nothing recorded can
 * be freed in between.
 */
#include "graph.h"
#include "array.h"
#include "heap.h"
#include "names.h"
#include "ptrmap.h"
#include "roots.h"

/* Edges kept per (referrer, referent) pair: a list holding one object a
 * million times is drawn with a few of its references, not all. */
#define MAX_OCCURRENCES 32u

static const char *const role_names[ROLE_COUNT] = {
    "", "own_dict", "closure", "cell_contents", "frame", "local",
    "inner", "attr_dict", "cache",
};


typedef struct {
    PyObject *referrer; /* borrowed */
    PyObject *referent; /* borrowed */
    uint32_t occurrence;
} hit_t;

/* Per-target bookkeeping of the referrer being traversed, indexed by
 * the target's index (a node for referrers, any object for referents). */
typedef struct {
    uint32_t *stamp;    /* serial of the referrer that last met it */
    uint32_t *occurs;   /* its references to it so far */
    uint8_t *dropped;   /* that referrer is over the cap for it */
    uint32_t *distinct; /* per frontier node: distinct neighbours kept */
    uint32_t *skipped;  /* and the distinct ones beyond the cap */
    size_t capacity;
} counts_t;

typedef struct {
    PyObject *nodes_list;
    PyObject **nodes; /* borrowed items of nodes_list */
    size_t nnodes;
    ptrmap_t index;   /* node -> its index */
    uint8_t *in_frontier;
    /* the frontier's addresses lie in [lo, lo + span]: most referents
     * are rejected by one comparison, without a hash probe */
    uintptr_t lo;
    uintptr_t span;
    ptrmap_t ignore;  /* ids never reported */
    size_t cap;

    /* objects met that are not nodes (referents walk): index nnodes + k */
    ptrmap_t extra_index;
    PyObject **extra;
    size_t nextra, extra_capacity;

    counts_t counts;
    hit_t *hits;
    size_t nhits, hits_capacity;
    PyObject *current;
    uint32_t current_index; /* its node, when walking referents */
    uint32_t serial;        /* counts the objects traversed */
    int referents; /* walking referents: targets may be new objects */

    /* untracked containers to traverse, each once */
    int discover;
    ptrmap_t untracked_seen;
    PyObject **work;
    size_t nwork, work_capacity;
    int failed;
} step_t;

static int
counts_reserve(counts_t *c, size_t needed)
{
    if (needed <= c->capacity) {
        return 0;
    }
    size_t old = c->capacity;
    size_t capacity = old ? old : 64;
    while (capacity < needed) {
        capacity *= 2;
    }
    if (array_resize((void **)&c->stamp, capacity, sizeof(uint32_t)) < 0 ||
        array_resize((void **)&c->occurs, capacity, sizeof(uint32_t)) < 0 ||
        array_resize((void **)&c->dropped, capacity, sizeof(uint8_t)) < 0 ||
        array_resize((void **)&c->distinct, capacity, sizeof(uint32_t)) < 0 ||
        array_resize((void **)&c->skipped, capacity, sizeof(uint32_t)) < 0)
    {
        return -1;
    }
    memset(c->stamp + old, 0, (capacity - old) * sizeof(uint32_t));
    memset(c->distinct + old, 0, (capacity - old) * sizeof(uint32_t));
    memset(c->skipped + old, 0, (capacity - old) * sizeof(uint32_t));
    c->capacity = capacity;
    return 0;
}

static void
counts_free(counts_t *c)
{
    PyMem_RawFree(c->stamp);
    PyMem_RawFree(c->occurs);
    PyMem_RawFree(c->dropped);
    PyMem_RawFree(c->distinct);
    PyMem_RawFree(c->skipped);
    memset(c, 0, sizeof(*c));
}

static void
step_free(step_t *s)
{
    ptrmap_free(&s->index);
    ptrmap_free(&s->ignore);
    ptrmap_free(&s->extra_index);
    ptrmap_free(&s->untracked_seen);
    PyMem_RawFree(s->in_frontier);
    PyMem_RawFree(s->extra);
    PyMem_RawFree(s->hits);
    PyMem_RawFree(s->work);
    counts_free(&s->counts);
}

/* Indexes the nodes, the frontier and the ignored ids.  Reads tuples
 * and a list in place: no Python code runs. */
static int
step_init(step_t *s, PyObject *nodes, PyObject *frontier, PyObject *ignore_ids,
          Py_ssize_t cap)
{
    memset(s, 0, sizeof(*s));
    s->nodes_list = nodes;
    s->nodes = PySequence_Fast_ITEMS(nodes);
    s->nnodes = (size_t)PyList_GET_SIZE(nodes);
    s->cap = cap < 0 ? SIZE_MAX : (size_t)cap;
    if (s->nnodes >= PTRMAP_NONE / 2) {
        PyErr_SetString(PyExc_MemoryError, "whyalive: too many nodes");
        return -1;
    }
    if (ptrmap_init(&s->index, s->nnodes) < 0 ||
        ptrmap_init(&s->ignore, (size_t)PyTuple_GET_SIZE(ignore_ids)) < 0 ||
        ptrmap_init(&s->extra_index, 64) < 0 ||
        ptrmap_init(&s->untracked_seen, 64) < 0 ||
        ptrmap_add_ids(&s->ignore, ignore_ids, "ignore_ids") < 0 ||
        counts_reserve(&s->counts, s->nnodes + 1) < 0)
    {
        return -1;
    }
    s->in_frontier = PyMem_RawCalloc(s->nnodes + 1, 1);
    if (s->in_frontier == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        /* a node listed twice keeps its first index */
        if (ptrmap_put(&s->index, s->nodes[i], (uint32_t)i, NULL) < 0) {
            return -1;
        }
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(frontier); k++) {
        PyObject *item = PyTuple_GET_ITEM(frontier, k);
        Py_ssize_t i = PyLong_Check(item) ? PyLong_AsSsize_t(item) : -1;
        if (i < 0 || (size_t)i >= s->nnodes) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_IndexError,
                                "frontier must hold indices into nodes");
            }
            return -1;
        }
        uint32_t first = ptrmap_get(&s->index, s->nodes[i]);
        s->in_frontier[first] = 1;
        uintptr_t a = (uintptr_t)s->nodes[i];
        if (k == 0 || a < s->lo) {
            s->span = k == 0 ? 0 : s->span + (s->lo - a);
            s->lo = a;
        }
        else if (a - s->lo > s->span) {
            s->span = a - s->lo;
        }
    }
    return 0;
}

/* The index of a referent met while walking referents: a node, or an
 * object met before in this call, or a new one. */
static uint32_t
target_index(step_t *s, PyObject *op)
{
    uint32_t i = ptrmap_get(&s->index, op);
    if (i != PTRMAP_NONE) {
        return i;
    }
    uint32_t k = (uint32_t)s->nextra;
    uint32_t existing;
    int r = ptrmap_put(&s->extra_index, op, k, &existing);
    if (r < 0) {
        return PTRMAP_NONE;
    }
    if (r == 0) {
        return (uint32_t)s->nnodes + existing;
    }
    if (array_grow((void **)&s->extra, &s->extra_capacity, s->nextra + 1,
                   sizeof(PyObject *)) < 0 ||
        counts_reserve(&s->counts, s->nnodes + s->nextra + 1) < 0)
    {
        return PTRMAP_NONE;
    }
    s->extra[s->nextra++] = op;
    return (uint32_t)s->nnodes + k;
}

/* One reference current -> target (index t).  Counts it; records it
 * unless the cap or the occurrence limit drops it.  The cap counts the
 * distinct neighbours of the frontier node: the target when walking
 * referrers, the referrer when walking referents. */
static int
record(step_t *s, PyObject *referent, uint32_t t)
{
    counts_t *c = &s->counts;
    uint32_t f = s->referents ? s->current_index : t;
    uint32_t occurrence;
    if (c->stamp[t] != s->serial) {
        c->stamp[t] = s->serial;
        c->occurs[t] = 0;
        c->dropped[t] = 0;
        occurrence = 0;
        if (c->distinct[f] >= s->cap) {
            c->dropped[t] = 1;
            c->skipped[f]++;
        }
        else {
            c->distinct[f]++;
        }
    }
    else {
        occurrence = ++c->occurs[t];
    }
    if (c->dropped[t] || occurrence >= MAX_OCCURRENCES) {
        return 0;
    }
    if (array_grow((void **)&s->hits, &s->hits_capacity, s->nhits + 1,
                   sizeof(hit_t)) < 0)
    {
        return -1;
    }
    hit_t *hit = &s->hits[s->nhits++];
    hit->referrer = s->current;
    hit->referent = referent;
    hit->occurrence = occurrence;
    return 0;
}

/* Can op hold references although the collector does not list it?
 * Reads op's type and GC header only. */
static int
is_untracked_holder(PyObject *op)
{
    if (PyObject_IS_GC(op)) {
        return !PyObject_GC_IsTracked(op);
    }
    return PyCode_Check(op);
}

static int
visit_for_referrers(PyObject *op, void *arg)
{
    step_t *s = (step_t *)arg;
    if (op == NULL) {
        return 0;
    }
    if ((uintptr_t)op - s->lo <= s->span) {
        uint32_t i = ptrmap_get(&s->index, op);
        if (i != PTRMAP_NONE && s->in_frontier[i] &&
            ptrmap_get(&s->ignore, s->current) == PTRMAP_NONE &&
            record(s, op, i) < 0)
        {
            s->failed = 1;
            return -1;
        }
    }
    if (s->discover && !object_is_freed(op) &&
        ptrmap_get(&s->ignore, op) == PTRMAP_NONE && is_untracked_holder(op))
    {
        int r = ptrmap_put(&s->untracked_seen, op, 0, NULL);
        if (r < 0 ||
            (r == 1 && array_grow((void **)&s->work, &s->work_capacity,
                                  s->nwork + 1, sizeof(PyObject *)) < 0))
        {
            s->failed = 1;
            return -1;
        }
        if (r == 1) {
            s->work[s->nwork++] = op;
        }
    }
    return 0;
}

/* Visits what op refers to: tp_traverse, or a code object's constants
 * and names (not a GC type before 3.14). */
static int
traverse(step_t *s, PyObject *op, visitproc visit)
{
    s->current = op;
    s->serial++;
    if (PyObject_IS_GC(op)) {
        traverseproc tp_traverse = Py_TYPE(op)->tp_traverse;
        if (tp_traverse != NULL) {
            (void)tp_traverse(op, visit, s);
        }
    }
    else if (PyCode_Check(op)) {
        PyCodeObject *co = (PyCodeObject *)op;
        if (visit(co->co_consts, s) == 0) {
            (void)visit(co->co_names, s);
        }
    }
    return s->failed ? -1 : 0;
}

static int
referrer_candidate(PyObject *op, void *arg)
{
    step_t *s = (step_t *)arg;
    /* an ignored object's references are dropped when they hit the
     * frontier (visit_for_referrers): one probe per hit, not per object;
     * its untracked containers are not searched */
    if (op == s->nodes_list ||
        (s->discover && ptrmap_get(&s->ignore, op) != PTRMAP_NONE))
    {
        return 0;
    }
    return traverse(s, op, visit_for_referrers);
}

static int
visit_for_referents(PyObject *op, void *arg)
{
    step_t *s = (step_t *)arg;
    if (op == NULL || object_is_freed(op) ||
        ptrmap_get(&s->ignore, op) != PTRMAP_NONE)
    {
        return 0;
    }
    uint32_t t = target_index(s, op);
    if (t == PTRMAP_NONE || record(s, op, t) < 0) {
        s->failed = 1;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/* Index of op among the nodes, then the new objects (added to `added`
 * and `fresh` when first met).  PTRMAP_NONE with an exception set. */
static uint32_t
result_index(step_t *s, ptrmap_t *added, PyObject *fresh, PyObject *op)
{
    uint32_t i = ptrmap_get(&s->index, op);
    if (i != PTRMAP_NONE) {
        return i;
    }
    uint32_t k = (uint32_t)PyList_GET_SIZE(fresh);
    uint32_t existing;
    int r = ptrmap_put(added, op, k, &existing);
    if (r < 0) {
        return PTRMAP_NONE;
    }
    if (r == 0) {
        return (uint32_t)s->nnodes + existing;
    }
    if (PyList_Append(fresh, op) < 0) {
        return PTRMAP_NONE;
    }
    return (uint32_t)s->nnodes + k;
}

/* (new_objects, edges, skipped) from the hits. */
static PyObject *
edges_result(step_t *s, ptrmap_t *added)
{
    PyObject *fresh = PyList_New(0);
    PyObject *edges = PyList_New(0);
    PyObject *skipped = PyList_New(0);
    if (fresh == NULL || edges == NULL || skipped == NULL) {
        goto error;
    }
    for (size_t k = 0; k < s->nhits; k++) {
        hit_t *hit = &s->hits[k];
        uint32_t src = result_index(s, added, fresh, hit->referrer);
        uint32_t dst = src == PTRMAP_NONE
                           ? PTRMAP_NONE
                           : result_index(s, added, fresh, hit->referent);
        if (dst == PTRMAP_NONE) {
            goto error;
        }
        PyObject *edge = Py_BuildValue("(III)", src, dst, hit->occurrence);
        if (edge == NULL || PyList_Append(edges, edge) < 0) {
            Py_XDECREF(edge);
            goto error;
        }
        Py_DECREF(edge);
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        if (s->counts.skipped[i] == 0) {
            continue;
        }
        PyObject *row = Py_BuildValue("(nI)", (Py_ssize_t)i,
                                      s->counts.skipped[i]);
        if (row == NULL || PyList_Append(skipped, row) < 0) {
            Py_XDECREF(row);
            goto error;
        }
        Py_DECREF(row);
    }
    return Py_BuildValue("(NNN)", fresh, edges, skipped);
error:
    Py_XDECREF(fresh);
    Py_XDECREF(edges);
    Py_XDECREF(skipped);
    return NULL;
}

/* (index, module_name) of the nodes and new objects that are the
 * __dict__ of a module in sys.modules. */
static PyObject *
module_dicts(step_t *s, ptrmap_t *added)
{
    PyObject *result = PyList_New(0);
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    if (result == NULL || modules == NULL || !PyDict_Check(modules)) {
        return result;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *module;
    while (PyDict_Next(modules, &pos, &name, &module)) {
        if (!PyModule_Check(module) || !PyUnicode_Check(name)) {
            continue;
        }
        PyObject *dict = PyModule_GetDict(module);
        uint32_t i = ptrmap_get(&s->index, dict);
        if (i == PTRMAP_NONE) {
            i = ptrmap_get(added, dict);
            if (i == PTRMAP_NONE) {
                continue;
            }
            i += (uint32_t)s->nnodes;
        }
        PyObject *row = Py_BuildValue("(IO)", i, name);
        if (row == NULL || PyList_Append(result, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(row);
    }
    return result;
}

/* (referent, root): the root in find_paths' (kind, name, detail) shape. */
static PyObject *
root_row(const roots_t *r, const root_ref_t *ref, uint32_t referent)
{
    PyObject *root = roots_tuple(r, ref);
    return root ? Py_BuildValue("(IN)", referent, root) : NULL;
}

/* References from frames and thread states to frontier nodes.  The
 * heap used to collect them is freed before any result object is made
 * (heap.h: no object may be created or freed while it numbers nodes). */
static PyObject *
frame_roots(step_t *s, PyObject *tool_prefix)
{
    heap_t h;
    roots_t r;
    deadline_t deadline;
    memset(&r, 0, sizeof(r));
    memset(&deadline, 0, sizeof(deadline));
    if (heap_init(&h, &deadline) < 0) {
        return NULL;
    }
    uint32_t *hits = NULL; /* pairs (ref index, frontier node) */
    size_t nhits = 0, capacity = 0;
    int status = roots_collect(&r, &h, tool_prefix, NULL);
    for (size_t k = 0; status == 0 && k < r.nrefs; k++) {
        const root_ref_t *ref = &r.refs[k];
        /* whyalive's frames, the arguments of the call into it, and
         * value-stack temporaries are not drawn */
        if (!ref->root || ref->by_address ||
            (ref->kind == ROOT_FRAME && ref->slot_kind > FRAME_SLOT_OBJECT) ||
            (ref->kind != ROOT_FRAME && ref->kind != ROOT_THREAD))
        {
            continue;
        }
        /* addresses are compared: a frontier node is alive */
        uint32_t i = ptrmap_get(&s->index, ref->obj);
        if (i == PTRMAP_NONE || !s->in_frontier[i]) {
            continue;
        }
        if (array_grow((void **)&hits, &capacity, 2 * (nhits + 1),
                       sizeof(uint32_t)) < 0)
        {
            status = -1;
            break;
        }
        hits[2 * nhits] = (uint32_t)k;
        hits[2 * nhits + 1] = i;
        nhits++;
    }
    heap_free(&h);
    PyObject *result = status == 0 ? PyList_New(0) : NULL;
    for (size_t k = 0; result != NULL && k < nhits; k++) {
        PyObject *row = root_row(&r, &r.refs[hits[2 * k]], hits[2 * k + 1]);
        if (row == NULL || PyList_Append(result, row) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(row);
    }
    PyMem_RawFree(hits);
    roots_free(&r);
    return result;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static int
needs_discovery(const step_t *s)
{
    for (size_t i = 0; i < s->nnodes; i++) {
        PyObject *op = s->nodes[i];
        if (s->in_frontier[i] &&
            !(PyObject_IS_GC(op) && PyObject_GC_IsTracked(op)))
        {
            return 1;
        }
    }
    return 0;
}

static int
walk_referrers(step_t *s)
{
    s->discover = needs_discovery(s);
    if (compat_gc_foreach(referrer_candidate, s) < 0) {
        return -1;
    }
    /* untracked containers met on the way; each may lead to more */
    for (size_t k = 0; k < s->nwork; k++) {
        if (traverse(s, s->work[k], visit_for_referrers) < 0) {
            return -1;
        }
    }
    return 0;
}

PyObject *
graph_referrers(PyObject *nodes, PyObject *frontier, PyObject *ignore_ids,
                Py_ssize_t cap, PyObject *tool_prefix, int want_roots)
{
    step_t s;
    ptrmap_t added;
    memset(&added, 0, sizeof(added));
    PyObject *result = NULL, *level = NULL, *roots = NULL, *modules = NULL;
    int was_enabled = PyGC_Disable();
    if (step_init(&s, nodes, frontier, ignore_ids, cap) < 0 ||
        ptrmap_init(&added, 64) < 0 || walk_referrers(&s) < 0)
    {
        goto done;
    }
    level = edges_result(&s, &added);
    if (level == NULL) {
        goto done;
    }
    roots = want_roots ? frame_roots(&s, tool_prefix) : PyList_New(0);
    modules = roots ? module_dicts(&s, &added) : NULL;
    if (modules != NULL) {
        result = Py_BuildValue("(OOOOO)", PyTuple_GET_ITEM(level, 0),
                               PyTuple_GET_ITEM(level, 1),
                               PyTuple_GET_ITEM(level, 2), roots, modules);
    }
done:
    Py_XDECREF(level);
    Py_XDECREF(roots);
    Py_XDECREF(modules);
    ptrmap_free(&added);
    step_free(&s);
    if (was_enabled) {
        PyGC_Enable();
    }
    return result;
}

PyObject *
graph_referents(PyObject *nodes, PyObject *frontier, PyObject *ignore_ids,
                Py_ssize_t cap)
{
    step_t s;
    ptrmap_t added;
    memset(&added, 0, sizeof(added));
    PyObject *result = NULL;
    int was_enabled = PyGC_Disable();
    if (step_init(&s, nodes, frontier, ignore_ids, cap) < 0 ||
        ptrmap_init(&added, 64) < 0)
    {
        goto done;
    }
    s.referents = 1;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(frontier); k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyTuple_GET_ITEM(frontier, k));
        PyObject *op = s.nodes[i];
        s.current_index = ptrmap_get(&s.index, op);
        /* gc.get_referents() semantics: GC types only */
        if (PyObject_IS_GC(op) && traverse(&s, op, visit_for_referents) < 0) {
            goto done;
        }
    }
    result = edges_result(&s, &added);
done:
    ptrmap_free(&added);
    step_free(&s);
    if (was_enabled) {
        PyGC_Enable();
    }
    return result;
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    PyObject *referent;
    Py_ssize_t wanted; /* occurrence */
    Py_ssize_t seen;
    Py_ssize_t position;
    Py_ssize_t found;
} ordinal_t;

static int
visit_ordinal(PyObject *op, void *arg)
{
    ordinal_t *o = (ordinal_t *)arg;
    if (op == o->referent && o->seen++ == o->wanted) {
        o->found = o->position;
        return 1; /* stop */
    }
    o->position++;
    return 0;
}

/* The position of the occurrence-th reference to referent among all of
 * referrer's references, -1 if unknown. */
static Py_ssize_t
ordinal_of(PyObject *referrer, PyObject *referent, Py_ssize_t occurrence)
{
    ordinal_t o = {referent, occurrence, 0, 0, -1};
    if (PyObject_IS_GC(referrer) && Py_TYPE(referrer)->tp_traverse != NULL) {
        (void)Py_TYPE(referrer)->tp_traverse(referrer, visit_ordinal, &o);
    }
    return o.found;
}

static int
is_identifier(PyObject *s)
{
    return s != NULL && PyUnicode_CheckExact(s) &&
           PyUnicode_IsIdentifier(s) == 1;
}

static PyObject *
label_row(names_t *nm, PyObject *pair)
{
    PyObject *referrer, *referent;
    Py_ssize_t occurrence;
    int namespace;
    if (!PyTuple_Check(pair) ||
        !PyArg_ParseTuple(pair, "OOni;pairs must hold (referrer, referent, "
                          "occurrence, namespace) tuples",
                          &referrer, &referent, &occurrence, &namespace))
    {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "pairs must hold (referrer, referent, "
                            "occurrence, namespace) tuples");
        }
        return NULL;
    }
    raw_label_t raw;
    Py_ssize_t ordinal = ordinal_of(referrer, referent, occurrence);
    if (names_raw(nm, referrer, referent, occurrence, ordinal, &raw) < 0) {
        return NULL;
    }
    PyObject *text = Py_NewRef(raw.text);
    const char *kind = edge_kind_names[raw.kind];
    PyObject *part = Py_None;
    if (raw.kind == EDGE_KIND_KEY && is_identifier(raw.key)) {
        part = raw.key;
        if (namespace) {
            Py_SETREF(text, PyUnicode_FromFormat(".%U", raw.key));
            kind = edge_kind_names[EDGE_KIND_ATTR];
        }
    }
    PyObject *index = NULL;
    if (raw.kind == EDGE_KIND_INDEX && raw.index >= 0) {
        part = index = PyLong_FromSsize_t(raw.index);
    }
    PyObject *row = NULL;
    if (text != NULL && part != NULL) {
        row = Py_BuildValue("(OssO)", text, kind, role_names[raw.role], part);
    }
    Py_XDECREF(text);
    Py_XDECREF(index);
    names_raw_clear(&raw);
    return row;
}

PyObject *
graph_labels(PyObject *pairs)
{
    names_t nm;
    if (names_init(&nm) < 0) {
        return NULL;
    }
    /* a collection could run finalizers that change the containers
     * being labelled */
    int was_enabled = PyGC_Disable();
    Py_ssize_t n = PyList_GET_SIZE(pairs);
    PyObject *result = PyList_New(n);
    for (Py_ssize_t i = 0; result != NULL && i < n; i++) {
        PyObject *row = label_row(&nm, PyList_GET_ITEM(pairs, i));
        if (row == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, row);
    }
    if (was_enabled) {
        PyGC_Enable();
    }
    names_free(&nm);
    return result;
}
