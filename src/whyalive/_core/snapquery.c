/* snapquery.c: retainer paths from a snapshot's data (snapshot.h).
 *
 * The same questions explain asks of the live heap, asked of stored
 * data: a 0-1 breadth-first search from module globals (distance 0) and
 * the references of frames, threads and the interpreter (distance 1),
 * then from objects held from outside the graph; the paths explain
 * would show (snapselect.c chooses them by choose.c's rule, live
 * explain's), as find_paths' tuples.  Labels are the stored
 * ones, folded by names.c as explain folds them, so a path reads the
 * same as explain's.  Reads only the data tuple: the objects may be gone
 * or in another process.
 */
#include "snapselect.h"
#include "array.h"
#include "names.h"
#include "roots.h"

/* ------------------------------------------------------------------ */
/* The data, checked                                                   */
/* ------------------------------------------------------------------ */

static int
bad(const char *what)
{
    PyErr_Format(PyExc_ValueError, "snapshot data: %s", what);
    return -1;
}

/* The bytes at index i of data, holding count items of `item` bytes. */
static const void *
field_bytes(PyObject *data, int i, size_t count, size_t item, const char *what)
{
    PyObject *b = PyTuple_GET_ITEM(data, i);
    if (!PyBytes_CheckExact(b) || (size_t)PyBytes_GET_SIZE(b) != count * item) {
        PyErr_Format(PyExc_ValueError, "snapshot data: %s has the wrong size",
                     what);
        return NULL;
    }
    return PyBytes_AS_STRING(b);
}

static int
check_string_index(const snapview_t *v, int64_t i)
{
    return i >= 0 && i < (int64_t)PyList_GET_SIZE(v->strings);
}

/* Entry i of big: (node, field, value). */
static void
big_entry(const snapview_t *v, size_t i, uint32_t *node, uint32_t *field,
          uint64_t *value)
{
    memcpy(node, v->big + 16 * i, 4);
    memcpy(field, v->big + 16 * i + 4, 4);
    memcpy(value, v->big + 16 * i + 8, 8);
}

/* Is node n's item of that field marked "in big"? */
static int
big_marked(const snapview_t *v, uint32_t field, uint32_t n)
{
    return field == SNAP_BIG_SIZE       ? v->sizes[n] == SNAP_BIG
           : field == SNAP_BIG_REFCOUNT ? v->refcounts[n] == SNAP_BIG
                                        : v->seen[n] == SNAP_SEEN_BIG;
}

/* big holds one value per marked item, in order, each too big for its
 * array (so that a snapshot has one form): snapview_big never misses. */
static int
check_big(const snapview_t *v)
{
    size_t marked = 0;
    for (size_t n = 0; n < v->count; n++) {
        marked += (v->sizes[n] == SNAP_BIG) + (v->refcounts[n] == SNAP_BIG) +
                  (v->seen[n] == SNAP_SEEN_BIG);
    }
    if (marked != v->nbig) {
        return bad("big values do not match the marked items");
    }
    uint64_t previous = 0;
    for (size_t i = 0; i < v->nbig; i++) {
        uint32_t node, field;
        uint64_t value;
        big_entry(v, i, &node, &field, &value);
        uint64_t order = ((uint64_t)field << 32) | node;
        uint64_t least = field == SNAP_BIG_SEEN ? SNAP_SEEN_BIG
                         : field == SNAP_BIG_REFCOUNT ? SNAP_IMMORTAL
                                                      : SNAP_BIG;
        if (field >= SNAP_BIG_FIELDS || node >= v->count ||
            (i > 0 && order <= previous) || !big_marked(v, field, node) ||
            value < least || (field == SNAP_BIG_REFCOUNT && value > INT64_MAX))
        {
            return bad("a big value is out of range or out of order");
        }
        previous = order;
    }
    return 0;
}

uint64_t
snapview_big(const snapview_t *v, uint32_t field, uint32_t node)
{
    uint64_t want = ((uint64_t)field << 32) | node;
    size_t lo = 0, hi = v->nbig;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t n, f;
        uint64_t value;
        big_entry(v, mid, &n, &f, &value);
        uint64_t order = ((uint64_t)f << 32) | n;
        if (order == want) {
            return value;
        }
        if (order < want) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return 0; /* not reached: check_big saw every marked item's value */
}

/* The tuple's shape: its fields' types and sizes, every string a str. */
static int
read_fields(snapview_t *v, PyObject *data)
{
    memset(v, 0, sizeof(*v));
    if (!PyTuple_CheckExact(data) || PyTuple_GET_SIZE(data) != SNAP_FIELD_COUNT) {
        return bad("not a tuple of the snapshot's fields");
    }
    v->strings = PyTuple_GET_ITEM(data, SNAP_STRINGS);
    v->modules = PyTuple_GET_ITEM(data, SNAP_MODULES);
    v->refs = PyTuple_GET_ITEM(data, SNAP_REFS);
    PyObject *ids = PyTuple_GET_ITEM(data, SNAP_IDS);
    PyObject *edges = PyTuple_GET_ITEM(data, SNAP_EDGES);
    PyObject *labels = PyTuple_GET_ITEM(data, SNAP_LABELS);
    PyObject *big = PyTuple_GET_ITEM(data, SNAP_BIG_VALUES);
    if (!PyList_CheckExact(v->strings) || PyList_GET_SIZE(v->strings) < 1 ||
        !PyList_CheckExact(v->modules) || !PyList_CheckExact(v->refs) ||
        !PyBytes_CheckExact(ids) || !PyBytes_CheckExact(edges) ||
        !PyBytes_CheckExact(labels) || !PyBytes_CheckExact(big))
    {
        return bad("a field has the wrong type");
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v->strings); i++) {
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(v->strings, i))) {
            return bad("strings must be str");
        }
    }
    v->count = (size_t)PyBytes_GET_SIZE(ids) / 8;
    v->nedges = (uint64_t)PyBytes_GET_SIZE(edges) / 4;
    v->nlabels = (size_t)PyBytes_GET_SIZE(labels) / (4 * SNAP_LABEL_FIELDS);
    v->nbig = (size_t)PyBytes_GET_SIZE(big) / 16;
    if (v->count >= SNAP_NONE / 2 || v->nedges >= UINT32_MAX) {
        return bad("too many nodes or references");
    }
    size_t n = v->count;
    if (!(v->ids = field_bytes(data, SNAP_IDS, n, 8, "ids")) ||
        !(v->types = field_bytes(data, SNAP_TYPES, n, 4, "types")) ||
        !(v->sizes = field_bytes(data, SNAP_SIZES, n, 4, "sizes")) ||
        !(v->names = field_bytes(data, SNAP_NAMES, n, 4, "names")) ||
        !(v->refcounts = field_bytes(data, SNAP_REFCOUNTS, n, 4, "refcounts")) ||
        !(v->seen = field_bytes(data, SNAP_SEEN, n, 1, "seen")) ||
        !(v->flags = field_bytes(data, SNAP_FLAGS, n, 1, "flags")) ||
        !(v->edge_start = field_bytes(data, SNAP_EDGE_START, n + 1, 4, "edge_start")) ||
        !(v->edges = field_bytes(data, SNAP_EDGES, v->nedges, 4, "edges")) ||
        !(v->edge_labels = field_bytes(data, SNAP_EDGE_LABELS, v->nedges, 4,
                                       "edge_labels")) ||
        !(v->labels = field_bytes(data, SNAP_LABELS, v->nlabels,
                                  4 * SNAP_LABEL_FIELDS, "labels")) ||
        !(v->big = field_bytes(data, SNAP_BIG_VALUES, v->nbig, 16, "big")))
    {
        return -1;
    }
    return 0;
}

/* Every index the arrays hold: O(objects + references). */
static int
check_indexes(const snapview_t *v)
{
    size_t n = v->count;
    if (check_big(v) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!check_string_index(v, v->types[i]) || !check_string_index(v, v->names[i])) {
            return bad("a node names a string that is not there");
        }
        if (v->edge_start[i] > v->edge_start[i + 1]) {
            return bad("rows out of order");
        }
    }
    if (v->edge_start[0] != 0 || v->edge_start[n] != v->nedges) {
        return bad("rows do not cover the references");
    }
    for (uint64_t e = 0; e < v->nedges; e++) {
        uint32_t label = v->edge_labels[e];
        if (SNAP_EDGE_NODE(v->edges[e]) >= n ||
            (SNAP_LABEL_TAG(label) < SNAP_LABEL_ITEM && label >= v->nlabels) ||
            (SNAP_LABEL_TAG(label) == SNAP_LABEL_STR_KEY &&
             !check_string_index(v, SNAP_LABEL_PAYLOAD(label))))
        {
            return bad("a reference leads nowhere");
        }
    }
    for (size_t i = 0; i < v->nlabels; i++) {
        const int32_t *l = &v->labels[i * SNAP_LABEL_FIELDS];
        int index_text = l[0] == SNAP_INDEX_TEXT && l[1] == EDGE_KIND_INDEX &&
                         l[4] >= 0;
        if ((!index_text && !check_string_index(v, l[0])) || l[1] < 0 ||
            l[1] >= EDGE_KIND_COUNT ||
            l[2] < 0 || l[2] >= ROLE_COUNT || (l[3] != -1 && !check_string_index(v, l[3])))
        {
            return bad("a label is out of range");
        }
    }
    return 0;
}

/* The roots: lists, which a caller could change after any check. */
static int
check_roots(const snapview_t *v)
{
    size_t n = v->count;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v->modules); i++) {
        PyObject *m = PyList_GET_ITEM(v->modules, i);
        if (!PyTuple_CheckExact(m) || PyTuple_GET_SIZE(m) != 2 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(m, 0)) ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(m, 1)) ||
            PyLong_AsSize_t(PyTuple_GET_ITEM(m, 0)) >= n)
        {
            PyErr_Clear();
            return bad("a module root is malformed");
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v->refs); i++) {
        PyObject *r = PyList_GET_ITEM(v->refs, i);
        if (!PyTuple_CheckExact(r) || PyTuple_GET_SIZE(r) != 3 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(r, 0)) ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(r, 1)) ||
            PyLong_AsSize_t(PyTuple_GET_ITEM(r, 0)) >= n ||
            PyLong_AsLong(PyTuple_GET_ITEM(r, 1)) < PR_FRAME ||
            PyLong_AsLong(PyTuple_GET_ITEM(r, 1)) > PR_INTERP ||
            !PyTuple_CheckExact(PyTuple_GET_ITEM(r, 2)))
        {
            PyErr_Clear();
            return bad("a frame, thread or interpreter root is malformed");
        }
    }
    return 0;
}

/* A checked snapshot: the data tuple, whose bytes cannot change, and
 * how many strings its indexes were checked against.  Only C makes
 * one, so a query given one skips check_indexes. */
#define CHECKED_NAME "whyalive._core.checked_snapshot"

typedef struct {
    PyObject *data;
    Py_ssize_t nstrings;
} checked_t;

static void
checked_free(PyObject *capsule)
{
    checked_t *c = PyCapsule_GetPointer(capsule, CHECKED_NAME);
    if (c != NULL) {
        Py_XDECREF(c->data);
        PyMem_RawFree(c);
    }
}

int
snapview_open(snapview_t *v, PyObject *data)
{
    if (PyCapsule_IsValid(data, CHECKED_NAME)) {
        checked_t *c = PyCapsule_GetPointer(data, CHECKED_NAME);
        if (read_fields(v, c->data) < 0) {
            return -1;
        }
        /* the strings list could have lost some since */
        if (PyList_GET_SIZE(v->strings) < c->nstrings && check_indexes(v) < 0) {
            return -1;
        }
        return check_roots(v);
    }
    if (read_fields(v, data) < 0 || check_indexes(v) < 0) {
        return -1;
    }
    return check_roots(v);
}

PyObject *
snapview_checked(PyObject *data, int made_here)
{
    snapview_t v;
    if (made_here ? read_fields(&v, data) < 0 : snapview_open(&v, data) < 0) {
        return NULL;
    }
    checked_t *c = PyMem_RawMalloc(sizeof(*c));
    if (c == NULL) {
        return PyErr_NoMemory();
    }
    c->data = Py_NewRef(data);
    c->nstrings = PyList_GET_SIZE(v.strings);
    PyObject *capsule = PyCapsule_New(c, CHECKED_NAME, checked_free);
    if (capsule == NULL) {
        Py_DECREF(c->data);
        PyMem_RawFree(c);
    }
    return capsule;
}

static uint32_t
module_node(const snapview_t *v, Py_ssize_t i)
{
    return (uint32_t)PyLong_AsSize_t(PyTuple_GET_ITEM(PyList_GET_ITEM(v->modules, i), 0));
}

static uint32_t
ref_node(const snapview_t *v, Py_ssize_t i)
{
    return (uint32_t)PyLong_AsSize_t(PyTuple_GET_ITEM(PyList_GET_ITEM(v->refs, i), 0));
}

static int
ref_kind(const snapview_t *v, Py_ssize_t i)
{
    return (int)PyLong_AsLong(PyTuple_GET_ITEM(PyList_GET_ITEM(v->refs, i), 1));
}

/* ------------------------------------------------------------------ */
/* The search                                                          */
/* ------------------------------------------------------------------ */

/* dist: distance in the low bits, the enum path_root above; reached_by:
 * the position of the reference followed into the node, or for a
 * seed, LINK_SEED | (root index, or LINK_OUTSIDE).  (DIST_* as
 * search.h's, LINK_* in snapselect.h.)
 *
 * The search goes as search.c's, level by level, so that of two ways
 * of the same length it takes the one explain takes: a level's nodes in
 * the order they were reached (folded references' at the same level
 * after it), or in node order once a level is wider than a bitmap of
 * the nodes would be (search.c's frontier_t). */

typedef struct {
    uint32_t *items;
    size_t n, cap;
} frontier_t;

static int
frontier_push(frontier_t *f, uint32_t n)
{
    if (array_grow((void **)&f->items, &f->cap, f->n + 1, sizeof(uint32_t)) < 0) {
        return -1;
    }
    f->items[f->n++] = n;
    return 0;
}

typedef struct {
    const snapview_t *v;
    uint32_t *dist;
    uint32_t *reached_by;
    frontier_t cur, same, next;
    size_t list_limit; /* search.c's: beyond it, a level goes in node order */
} snap_search_t;

static int
compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int
seed_node(snap_search_t *s, frontier_t *f, uint32_t n, uint32_t d,
          uint32_t link, int origin)
{
    if ((s->dist[n] & DIST_MASK) <= d) {
        return 0;
    }
    s->dist[n] = d | ((uint32_t)origin << DIST_BITS);
    s->reached_by[n] = LINK_SEED | link;
    return frontier_push(f, n);
}

/* Expands the nodes of f still at distance `level`, and empties f;
 * outside: a node the roots reach is left as it is. */
static int
expand(snap_search_t *s, frontier_t *f, uint32_t level, int outside)
{
    const snapview_t *v = s->v;
    size_t n = f->n;
    if (n > s->list_limit) { /* a bitmap: each node once, in node order */
        qsort(f->items, n, sizeof(uint32_t), compare_u32);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (k == 0 || f->items[k - 1] != f->items[i]) {
                f->items[k++] = f->items[i];
            }
        }
        n = k;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = f->items[i];
        if ((s->dist[u] & DIST_MASK) != level) {
            continue; /* reached more cheaply since it was queued */
        }
        uint32_t origin = s->dist[u] & ~DIST_MASK;
        for (uint64_t e = v->edge_start[u]; e < v->edge_start[u + 1]; e++) {
            uint32_t w = (v->edges[e] & SNAP_EDGE_FOLD) ? 0 : 1;
            uint32_t x = SNAP_EDGE_NODE(v->edges[e]);
            uint32_t dx = level + w;
            if (dx >= DIST_NONE || dx >= (s->dist[x] & DIST_MASK)) {
                continue;
            }
            if (outside && (s->dist[x] & DIST_MASK) != DIST_NONE &&
                (s->dist[x] >> DIST_BITS) != PR_EXTERNAL)
            {
                continue;
            }
            s->dist[x] = dx | origin;
            s->reached_by[x] = (uint32_t)e;
            if (frontier_push(w ? &s->next : &s->same, x) < 0) {
                return -1;
            }
        }
    }
    f->n = 0;
    return 0;
}

/* Level after level from s->cur at distance `level` until none is
 * left; with one_level, that level only (its next in s->next). */
static int
search_levels(snap_search_t *s, uint32_t level, int outside, int one_level)
{
    while (s->cur.n > 0) {
        while (s->cur.n > 0) {
            if (expand(s, &s->cur, level, outside) < 0) {
                return -1;
            }
            frontier_t t = s->cur;
            s->cur = s->same;
            s->same = t;
        }
        if (one_level) {
            return 0;
        }
        frontier_t t = s->cur;
        s->cur = s->next;
        s->next = t;
        level++;
    }
    return 0;
}

PyObject *
snapshot_search(PyObject *data)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    char *dist_out, *reached_out;
    PyObject *dist = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * v.count));
    PyObject *reached = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * v.count));
    if (dist == NULL || reached == NULL) {
        Py_XDECREF(dist);
        Py_XDECREF(reached);
        return NULL;
    }
    dist_out = PyBytes_AS_STRING(dist);
    reached_out = PyBytes_AS_STRING(reached);
    snap_search_t s;
    memset(&s, 0, sizeof(s));
    s.v = &v;
    s.dist = (uint32_t *)(void *)dist_out;
    s.reached_by = (uint32_t *)(void *)reached_out;
    s.list_limit = bitmap_words(v.count) * 2 > 1024 ? bitmap_words(v.count) * 2
                                                    : 1024;
    for (size_t n = 0; n < v.count; n++) {
        s.dist[n] = DIST_NONE;
        s.reached_by[n] = LINK_SEED | LINK_OUTSIDE;
    }
    int status = -1;
    Py_ssize_t nrefs = PyList_GET_SIZE(v.refs);
    /* level 0: module globals, then frame cells */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v.modules); i++) {
        if (seed_node(&s, &s.cur, module_node(&v, i), 0,
                      LINK_MODULE | (uint32_t)i, PR_MODULE) < 0)
        {
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < nrefs; i++) {
        uint32_t n = ref_node(&v, i);
        if ((v.flags[n] & SNAP_FLAG_CELL) &&
            seed_node(&s, &s.cur, n, 0, (uint32_t)i, ref_kind(&v, i)) < 0)
        {
            goto done;
        }
    }
    if (search_levels(&s, 0, 0, 1) < 0) {
        goto done;
    }
    /* level 1: what frames and threads hold directly, after what level
     * 0 reached */
    for (Py_ssize_t i = 0; i < nrefs; i++) {
        if (seed_node(&s, &s.next, ref_node(&v, i), 1, (uint32_t)i,
                      ref_kind(&v, i)) < 0)
        {
            goto done;
        }
    }
    frontier_t t = s.cur;
    s.cur = s.next;
    s.next = t;
    if (search_levels(&s, 1, 0, 0) < 0) {
        goto done;
    }
    /* held from outside the graph: more references than it shows */
    for (size_t n = 0; n < v.count; n++) {
        if ((s.dist[n] & DIST_MASK) == DIST_NONE &&
            snap_held_outside(&v, (uint32_t)n) &&
            seed_node(&s, &s.cur, (uint32_t)n, 1, LINK_OUTSIDE, PR_EXTERNAL) < 0)
        {
            goto done;
        }
    }
    if (search_levels(&s, 1, 1, 0) < 0) {
        goto done;
    }
    status = 0;
done:
    PyMem_RawFree(s.cur.items);
    PyMem_RawFree(s.same.items);
    PyMem_RawFree(s.next.items);
    if (status < 0) {
        Py_DECREF(dist);
        Py_DECREF(reached);
        return NULL;
    }
    return Py_BuildValue("(NN)", dist, reached);
}

/* ------------------------------------------------------------------ */
/* Paths and their tuples                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    const snapview_t *v;
    const uint32_t *dist;
    const uint32_t *reached_by;
    names_t names;
} snap_paths_t;

static PyObject *
string_at(const snapview_t *v, int64_t i)
{
    return PyList_GET_ITEM(v->strings, (Py_ssize_t)i);
}

PyObject *
snapview_label_text(const snapview_t *v, uint32_t label)
{
    if (SNAP_LABEL_TAG(label) == SNAP_LABEL_ITEM) {
        return PyUnicode_FromFormat("[%lu]",
                                    (unsigned long)SNAP_LABEL_PAYLOAD(label));
    }
    if (SNAP_LABEL_TAG(label) == SNAP_LABEL_STR_KEY) {
        return names_key_text(string_at(v, SNAP_LABEL_PAYLOAD(label)));
    }
    const int32_t *l = &v->labels[(size_t)label * SNAP_LABEL_FIELDS];
    if (l[0] == SNAP_INDEX_TEXT) {
        return PyUnicode_FromFormat("[%ld]", (long)l[4]);
    }
    return Py_NewRef(string_at(v, l[0]));
}

/* A stored label as names.c's raw label (its text a new reference,
 * its key borrowed): 0, or -1 with an exception set. */
static int
raw_at(const snapview_t *v, uint64_t pos, raw_label_t *out)
{
    uint32_t label = v->edge_labels[pos];
    out->text = snapview_label_text(v, label);
    if (out->text == NULL) {
        return -1;
    }
    if (label & SNAP_LABEL_ITEM) {
        int item = SNAP_LABEL_TAG(label) == SNAP_LABEL_ITEM;
        out->kind = item ? EDGE_KIND_INDEX : EDGE_KIND_KEY;
        out->role = ROLE_PLAIN;
        out->key = item ? NULL : string_at(v, SNAP_LABEL_PAYLOAD(label));
        out->index = item ? (Py_ssize_t)SNAP_LABEL_PAYLOAD(label) : -1;
        return 0;
    }
    const int32_t *l = &v->labels[(size_t)label * SNAP_LABEL_FIELDS];
    out->kind = l[1];
    out->role = l[2];
    out->key = l[3] >= 0 ? string_at(v, l[3]) : NULL;
    out->index = l[4];
    return 0;
}

/* (referrer_type, referrer_id, label, kind, referrer_name) */
static PyObject *
edge_tuple(const snapview_t *v, uint32_t referrer, PyObject *label, int kind)
{
    return Py_BuildValue("(ONOsO)", string_at(v, v->types[referrer]),
                         PyLong_FromUnsignedLongLong(v->ids[referrer]), label,
                         edge_kind_names[kind], string_at(v, v->names[referrer]));
}

/* The displayed edges of the hops (edge positions, from the target
 * outward) [0, n), folded as explain folds them. */
static PyObject *
edges_tuple(snap_paths_t *p, const uint64_t *hops, uint32_t n)
{
    const snapview_t *v = p->v;
    PyObject *edges = PyList_New(0);
    raw_label_t *labels = PyMem_RawCalloc(n ? n : 1, sizeof(raw_label_t));
    if (edges == NULL || labels == NULL) {
        Py_XDECREF(edges);
        PyMem_RawFree(labels);
        return labels == NULL ? PyErr_NoMemory() : NULL;
    }
    int64_t j = (int64_t)n - 1;
    while (j >= 0) {
        int64_t end = j;
        while (j > 0 && (v->edges[hops[j]] & SNAP_EDGE_FOLD)) {
            j--;
        }
        int count = (int)(end - j + 1), read = 0;
        while (read < count && raw_at(v, hops[end - read], &labels[read]) == 0) {
            read++;
        }
        int kind;
        uint32_t owner = snapview_row_of(v, hops[end]);
        /* the owner is not an object here: a closure's variable names
         * were stored as its labels' keys */
        PyObject *label = read == count
                              ? names_fold(&p->names, NULL, labels, count, &kind)
                              : NULL;
        for (int k = 0; k < read; k++) {
            names_raw_clear(&labels[k]);
        }
        PyObject *edge = label ? edge_tuple(v, owner, label, kind) : NULL;
        if (edge == NULL || PyList_Append(edges, edge) < 0) {
            Py_XDECREF(edge);
            Py_DECREF(edges);
            PyMem_RawFree(labels);
            return NULL;
        }
        Py_DECREF(edge);
        j--;
    }
    PyMem_RawFree(labels);
    if (PyList_Reverse(edges) < 0) {
        Py_DECREF(edges);
        return NULL;
    }
    PyObject *tuple = PyList_AsTuple(edges);
    Py_DECREF(edges);
    return tuple;
}

/* (kind, name, detail) of the root a path starts at, seed its
 * outermost node, link its root (snapselect.h's LINK_*, without
 * LINK_SEED); *absorbed: the outer hops its name stands for (result.c's
 * root_tuple, on data). */
static PyObject *
root_tuple(snap_paths_t *p, uint32_t seed, uint32_t link, const uint64_t *hops,
           uint32_t n, uint32_t *absorbed)
{
    const snapview_t *v = p->v;
    *absorbed = 0;
    if (link == LINK_OUTSIDE) {
        int64_t refcount = snap_refcount(v, seed);
        int64_t seen = (int64_t)snap_seen(v, seed);
        return Py_BuildValue("(ss(LLL))", "external", "", (long long)refcount,
                             (long long)seen, (long long)(refcount - seen));
    }
    if (link & LINK_MODULE) {
        PyObject *m = PyList_GET_ITEM(v->modules, link & ~LINK_MODULE);
        PyObject *module = PyTuple_GET_ITEM(m, 1);
        if (n == 0) {
            PyObject *text = PyUnicode_FromFormat("%U.__dict__", module);
            return Py_BuildValue("(sN(Os))", "module", text, module, "__dict__");
        }
        raw_label_t raw;
        if (raw_at(v, hops[n - 1], &raw) < 0) {
            return NULL;
        }
        PyObject *text, *key_text;
        if (raw.key != NULL) {
            text = names_global(&p->names, module, raw.key);
            key_text = Py_NewRef(raw.key);
        }
        else if (raw.kind == EDGE_KIND_KEY) {
            /* a key that is not a str: its label is "[repr]" */
            key_text = PyUnicode_Substring(raw.text, 1,
                                           PyUnicode_GET_LENGTH(raw.text) - 1);
            text = key_text ? PyUnicode_FromFormat("%U.__dict__%U", module,
                                                   raw.text)
                            : NULL;
        }
        else {
            text = Py_NewRef(raw.text);
            key_text = Py_NewRef(raw.text);
        }
        names_raw_clear(&raw);
        *absorbed = 1;
        if (text == NULL || key_text == NULL) {
            Py_XDECREF(text);
            Py_XDECREF(key_text);
            return NULL;
        }
        return Py_BuildValue("(sN(ON))", "module", text, module, key_text);
    }
    PyObject *ref = PyList_GET_ITEM(v->refs, link);
    uint32_t outer = n ? snapview_row_of(v, hops[n - 1]) : SNAP_NONE;
    if (ref_kind(v, link) == PR_FRAME && n > 0 && (v->flags[outer] & SNAP_FLAG_CELL)) {
        *absorbed = 1;
    }
    return Py_NewRef(PyTuple_GET_ITEM(ref, 2));
}

/* A chosen path (choose.h's) as find_paths' (root, edges, length). */
static PyObject *
path_tuple(snap_paths_t *p, uint32_t target, const path_t *path)
{
    uint32_t n = path->nhops, absorbed;
    uint64_t *hops = PyMem_RawMalloc((n ? n : 1) * sizeof(uint64_t));
    if (hops == NULL) {
        return PyErr_NoMemory();
    }
    for (uint32_t i = 0; i < n; i++) {
        hops[i] = path->hops[i].edge_pos;
    }
    uint32_t seed = n ? path->hops[n - 1].referrer : target;
    uint32_t link = path->root == PR_MODULE     ? LINK_MODULE | path->root_index
                    : path->root == PR_EXTERNAL ? LINK_OUTSIDE
                                                : path->root_index;
    PyObject *root = root_tuple(p, seed, link, hops, n, &absorbed);
    PyObject *edges = root ? edges_tuple(p, hops, n - absorbed) : NULL;
    PyMem_RawFree(hops);
    if (edges == NULL) {
        Py_XDECREF(root);
        return NULL;
    }
    return Py_BuildValue("(NNI)", root, edges, path->length);
}

/* Explain's target tuple for node target, its paths chosen by sg. */
static PyObject *
explain_one(snap_paths_t *p, snap_graph_t *sg, uint32_t target, uint32_t room)
{
    const snapview_t *v = p->v;
    PyObject *paths = NULL, *result = NULL;
    target_t t;
    if (snapselect_paths(sg, target, room, &t) < 0) {
        goto done;
    }
    paths = PyTuple_New(t.npaths);
    if (paths == NULL) {
        goto done;
    }
    for (uint32_t i = 0; i < t.npaths; i++) {
        PyObject *path = path_tuple(p, target, &t.paths[i]);
        if (path == NULL) {
            goto done;
        }
        PyTuple_SET_ITEM(paths, i, path);
    }
    int64_t refcount = snap_refcount(v, target);
    int64_t seen = (int64_t)snap_seen(v, target);
    int64_t unseen = refcount < 0 ? -1 : (refcount > seen ? refcount - seen : 0);
    uint32_t origin = p->dist[target] >> DIST_BITS;
    const char *status = (p->dist[target] & DIST_MASK) == DIST_NONE ? "garbage"
                         : origin == PR_EXTERNAL                  ? "external"
                                                                  : "rooted";
    result = Py_BuildValue("(NOOLLLsOI)", PyLong_FromUnsignedLongLong(v->ids[target]),
                           string_at(v, v->types[target]),
                           string_at(v, v->names[target]), (long long)refcount,
                           (long long)seen, (long long)unseen, status, paths,
                           t.omitted);
done:
    Py_XDECREF(paths);
    snapselect_free(&t);
    return result;
}

PyObject *
snapshot_explain(PyObject *data, PyObject *search, PyObject *nodes,
                 Py_ssize_t max_paths)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    if (!PyList_CheckExact(nodes)) {
        PyErr_SetString(PyExc_TypeError, "nodes must be a list of node numbers");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(nodes);
    uint32_t *targets = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(uint32_t));
    if (targets == NULL) {
        return PyErr_NoMemory();
    }
    /* every node checked before any work */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(nodes, i);
        size_t node = PyLong_Check(item) ? PyLong_AsSize_t(item) : (size_t)-1;
        if (node == (size_t)-1 || node >= v.count) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "no such node in the snapshot");
            PyMem_RawFree(targets);
            return NULL;
        }
        targets[i] = (uint32_t)node;
    }
    if (!PyTuple_CheckExact(search) || PyTuple_GET_SIZE(search) != 2 ||
        !PyBytes_CheckExact(PyTuple_GET_ITEM(search, 0)) ||
        !PyBytes_CheckExact(PyTuple_GET_ITEM(search, 1)) ||
        (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(search, 0)) != 4 * v.count ||
        (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(search, 1)) != 4 * v.count)
    {
        PyErr_SetString(PyExc_ValueError, "search must be snapshot_search's result");
        PyMem_RawFree(targets);
        return NULL;
    }
    snap_paths_t p;
    p.v = &v;
    p.dist = (const uint32_t *)(const void *)PyBytes_AS_STRING(PyTuple_GET_ITEM(search, 0));
    p.reached_by = (const uint32_t *)(const void *)PyBytes_AS_STRING(PyTuple_GET_ITEM(search, 1));
    if (names_init(&p.names) < 0) {
        PyMem_RawFree(targets);
        return NULL;
    }
    uint32_t room = max_paths > (Py_ssize_t)(UINT32_MAX / 2) ? UINT32_MAX / 2
                                                             : (uint32_t)max_paths;
    PyObject *result = PyList_New(count);
    snap_graph_t *sg = result && count > 0 ? snapselect_open(&v, p.dist, p.reached_by)
                                           : NULL;
    for (Py_ssize_t i = 0; result != NULL && i < count; i++) {
        PyObject *one = sg ? explain_one(&p, sg, targets[i], room) : NULL;
        if (one == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, one);
    }
    snapselect_close(sg);
    names_free(&p.names);
    PyMem_RawFree(targets);
    return result;
}
