/* result.c: a finished search as plain data.
 *
 * Labels come from names.c, one per reference on a reported path, and
 * results shared by many targets (a displayed edge, a root's name) are
 * built once.  The tuples' shapes are documented in module.c's
 * docstring of find_paths and in _core.pyi.
 *
 * A compact result (find_paths(compact=True)) holds the same values as
 * flat tables instead of a tuple per target, path and edge: int64
 * records in bytes, texts and roots once each in two lists.  Python
 * makes a target's tuple from them when it is read (report.py).
 */
#include "ptrmap.h"
#include "search.h"
#include "choose.h"


const char *const status_names[ST_COUNT] = {
    "rooted",       "external",     "garbage", "uncollectable",
    "unreferenced", "depth_limit", "timeout",
};

/* Growable int64 records in raw memory. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} words_t;

struct flat {
    PyObject *texts; /* list of str, each once (by identity) */
    ptrmap_t text_index;
    PyObject *roots; /* list of root tuples, each once (by identity) */
    ptrmap_t root_index;
    words_t targets, paths, hops, edges;
};

static int
words_push(words_t *w, const int64_t *values, size_t k)
{
    if (array_grow((void **)&w->v, &w->cap, w->n + k, sizeof(int64_t)) < 0) {
        return -1;
    }
    memcpy(w->v + w->n, values, k * sizeof(int64_t));
    w->n += k;
    return 0;
}

static PyObject *
words_bytes(const words_t *w)
{
    return PyBytes_FromStringAndSize(w->v ? (const char *)w->v : "",
                                     (Py_ssize_t)(w->n * sizeof(int64_t)));
}

/* The index of item in list, added once (by identity; the list keeps it
 * alive, so its address is never reused meanwhile); -1 on error. */
static int64_t
flat_index(PyObject *list, ptrmap_t *index, PyObject *item)
{
    uint32_t known = ptrmap_get(index, item);
    if (known != PTRMAP_NONE) {
        return known;
    }
    Py_ssize_t at = PyList_GET_SIZE(list);
    if (at >= (Py_ssize_t)PTRMAP_NONE) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyList_Append(list, item) < 0 ||
        ptrmap_put(index, item, (uint32_t)at, NULL) < 0)
    {
        return -1;
    }
    return at;
}

static void
flat_free(struct flat *f)
{
    Py_XDECREF(f->texts);
    Py_XDECREF(f->roots);
    ptrmap_free(&f->text_index);
    ptrmap_free(&f->root_index);
    PyMem_RawFree(f->targets.v);
    PyMem_RawFree(f->paths.v);
    PyMem_RawFree(f->hops.v);
    PyMem_RawFree(f->edges.v);
    memset(f, 0, sizeof(*f));
}



static inline size_t
memo_slot(const memo_t *m, uint64_t a, uint64_t b)
{
    uint64_t x = (a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull);
    x ^= x >> 29;
    return (size_t)(x * 0xBF58476D1CE4E5B9ull) & m->mask;
}

/* A borrowed value, or NULL. */
static PyObject *
memo_get(const memo_t *m, uint64_t a, uint64_t b)
{
    if (m->entries == NULL) {
        return NULL;
    }
    for (size_t i = memo_slot(m, a, b); m->entries[i].value != NULL;
         i = (i + 1) & m->mask)
    {
        if (m->entries[i].a == a && m->entries[i].b == b) {
            return m->entries[i].value;
        }
    }
    return NULL;
}

/* Keeps a new reference to value.  Failing to remember is not an error. */
static void
memo_put(memo_t *m, uint64_t a, uint64_t b, PyObject *value)
{
    if (m->entries == NULL || (m->used + 1) * 2 > m->mask + 1) {
        size_t cap = m->entries ? (m->mask + 1) * 2 : 1024;
        memo_entry_t *entries = PyMem_RawCalloc(cap, sizeof(memo_entry_t));
        if (entries == NULL) {
            return;
        }
        memo_t grown = {entries, cap - 1, 0};
        for (size_t i = 0; m->entries && i <= m->mask; i++) {
            if (m->entries[i].value != NULL) {
                size_t j = memo_slot(&grown, m->entries[i].a, m->entries[i].b);
                while (entries[j].value != NULL) {
                    j = (j + 1) & grown.mask;
                }
                entries[j] = m->entries[i];
                grown.used++;
            }
        }
        PyMem_RawFree(m->entries);
        *m = grown;
    }
    size_t i = memo_slot(m, a, b);
    while (m->entries[i].value != NULL) {
        i = (i + 1) & m->mask;
    }
    m->entries[i].a = a;
    m->entries[i].b = b;
    m->entries[i].value = Py_NewRef(value);
    m->used++;
}

void
result_memo_clear(memo_t *m)
{
    for (size_t i = 0; m->entries && i <= m->mask; i++) {
        Py_XDECREF(m->entries[i].value);
    }
    PyMem_RawFree(m->entries);
    memset(m, 0, sizeof(*m));
}

/* Shortest first; at equal length, by root kind. */
static PyObject *
object_id(PyObject *op)
{
    return PyLong_FromVoidPtr(op);
}

/* (referrer_type, referrer_id, label, kind, referrer_name) */
static PyObject *
edge_tuple(search_t *s, PyObject *referrer, PyObject *label, int kind)
{
    PyObject *type_name = names_type_name(&s->names, Py_TYPE(referrer));
    PyObject *name = names_object_name(&s->names, referrer);
    PyObject *result = NULL;
    if (type_name != NULL && name != NULL) {
        result = Py_BuildValue("(NNOsO)", type_name, object_id(referrer), label,
                               edge_kind_names[kind], name);
        type_name = NULL;
    }
    Py_XDECREF(type_name);
    Py_XDECREF(name);
    return result;
}

/* A compact result's edge: its record's index, as an int (what the memo
 * keeps and edges_tuple collects in place of the edge's tuple). */
static PyObject *
edge_record(search_t *s, PyObject *referrer, PyObject *label, int kind)
{
    struct flat *f = s->flat;
    PyObject *type_name = names_type_name(&s->names, Py_TYPE(referrer));
    PyObject *name = names_object_name(&s->names, referrer);
    PyObject *result = NULL;
    if (type_name != NULL && name != NULL) {
        int64_t record[5] = {
            flat_index(f->texts, &f->text_index, type_name),
            (int64_t)(uintptr_t)referrer,
            flat_index(f->texts, &f->text_index, label),
            kind,
            flat_index(f->texts, &f->text_index, name),
        };
        if (record[0] >= 0 && record[2] >= 0 && record[4] >= 0 &&
            words_push(&f->edges, record, 5) == 0)
        {
            result = PyLong_FromSize_t(f->edges.n / 5 - 1);
        }
    }
    Py_XDECREF(type_name);
    Py_XDECREF(name);
    return result;
}

/* Rows longer than this are big containers: the label of a value held
 * twice there names its first place (counting would make labelling
 * all of a big container's items quadratic). */
#define OCCURRENCE_ROW_LIMIT 256

static int
hop_label(search_t *s, const hop_t *hop, raw_label_t *out)
{
    heap_t *h = &s->heap;
    uint64_t start = heap_row_start(h, hop->referrer);
    Py_ssize_t occurrence = 0;
    uint64_t pos = hop->edge_pos;
    if (pos == UINT64_MAX) {
        pos = find_edge(h, hop->referrer, hop->referent);
    }
    if (pos != UINT64_MAX && pos - start <= OCCURRENCE_ROW_LIMIT) {
        for (uint64_t e = start; e < pos; e++) {
            occurrence += EDGE_NODE(h->edges[e]) == hop->referent;
        }
    }
    Py_ssize_t ordinal = pos == UINT64_MAX ? -1 : (Py_ssize_t)(pos - start);
    return names_raw(&s->names, h->objs[hop->referrer], h->objs[hop->referent],
                     occurrence, ordinal, out);
}

static int
hop_is_internal(search_t *s, const hop_t *hop)
{
    uint64_t pos = hop->edge_pos != UINT64_MAX
                       ? hop->edge_pos
                       : find_edge(&s->heap, hop->referrer, hop->referent);
    if (pos != UINT64_MAX && edge_weight(&s->heap, s->heap.edges[pos]) == 0) {
        return 1;
    }
    /* the stdlib's C types keep some containers inside themselves */
    return stdnames_is_inner(&s->names, s->heap.objs[hop->referrer],
                             s->heap.objs[hop->referent]);
}

/* The displayed edges of hops [0, n), folded, from the target out (in a
 * compact result, their records' indices). */
static PyObject *
edges_tuple(search_t *s, const hop_t *hops, uint32_t n)
{
    heap_t *h = &s->heap;
    PyObject *edges = PyList_New(0);
    raw_label_t *labels = PyMem_RawCalloc(n ? n : 1, sizeof(raw_label_t));
    if (edges == NULL || labels == NULL) {
        Py_XDECREF(edges);
        PyMem_RawFree(labels);
        return n && labels == NULL ? PyErr_NoMemory() : NULL;
    }
    /* groups from the outside in: an owner and the internal containers
     * its reference passes through */
    int64_t j = (int64_t)n - 1;
    while (j >= 0) {
        int64_t end = j;
        while (j > 0 && hop_is_internal(s, &hops[j])) {
            j--;
        }
        int count = (int)(end - j + 1);
        /* keyed by the outermost and innermost references it folds */
        uint64_t key_a = hops[end].edge_pos, key_b = hops[j].edge_pos;
        int memoizable = key_a != UINT64_MAX && key_b != UINT64_MAX;
        PyObject *known = memoizable ? memo_get(&s->memo, key_a, key_b) : NULL;
        if (known != NULL) {
            if (PyList_Append(edges, known) < 0) {
                goto error;
            }
            j--;
            continue;
        }
        for (int k = 0; k < count; k++) {
            if (hop_label(s, &hops[end - k], &labels[k]) < 0) {
                goto error;
            }
        }
        int kind;
        PyObject *owner = h->objs[hops[end].referrer];
        PyObject *label = names_fold(&s->names, owner, labels, count, &kind);
        for (int k = 0; k < count; k++) {
            names_raw_clear(&labels[k]);
        }
        if (label == NULL) {
            goto error;
        }
        PyObject *edge = s->flat ? edge_record(s, owner, label, kind)
                                 : edge_tuple(s, owner, label, kind);
        Py_DECREF(label);
        if (edge == NULL || PyList_Append(edges, edge) < 0) {
            Py_XDECREF(edge);
            goto error;
        }
        if (memoizable) {
            memo_put(&s->memo, key_a, key_b, edge);
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
error:
    for (uint32_t k = 0; k < n; k++) {
        names_raw_clear(&labels[k]);
    }
    PyMem_RawFree(labels);
    Py_DECREF(edges);
    return NULL;
}

/* (kind, name, detail) for the root of p; *absorbed receives the
 * number of outer hops the root's name stands for. */
static PyObject *
root_tuple(search_t *s, const target_t *t, const path_t *p, uint32_t *absorbed)
{
    heap_t *h = &s->heap;
    *absorbed = 0;
    node_t outer = p->nhops ? p->hops[p->nhops - 1].referrer : t->node;
    switch (p->root) {
    case PR_MODULE: {
        module_root_t *m = &s->roots.modules[p->root_index];
        if (p->nhops == 0) {
            PyObject *text = PyUnicode_FromFormat("%S.__dict__", m->name);
            return Py_BuildValue("(sN(Os))", "module", text, m->name, "__dict__");
        }
        raw_label_t raw;
        if (hop_label(s, &p->hops[p->nhops - 1], &raw) < 0) {
            return NULL;
        }
        PyObject *key = raw.key;
        PyObject *text =
            key ? names_global(&s->names, m->name, key) : Py_NewRef(raw.text);
        PyObject *key_text = key ? (PyUnicode_CheckExact(key)
                                        ? Py_NewRef(key)
                                        : names_safe_repr(&s->names, key))
                                 : Py_NewRef(raw.text);
        names_raw_clear(&raw);
        *absorbed = 1;
        if (text == NULL || key_text == NULL) {
            Py_XDECREF(text);
            Py_XDECREF(key_text);
            return NULL;
        }
        return Py_BuildValue("(sN(ON))", "module", text, m->name, key_text);
    }
    case PR_FRAME:
    case PR_THREAD:
    case PR_INTERP: {
        root_ref_t *ref = &s->roots.refs[p->root_index];
        /* a cell holds the variable: its content is what the root names */
        if (p->root == PR_FRAME && p->nhops > 0 && (h->flags[outer] & NODE_CELL)) {
            *absorbed = 1;
        }
        return roots_tuple(&s->roots, ref);
    }
    case PR_EXTERNAL: {
        PyObject *op = h->objs[outer];
        Py_ssize_t refcount = compat_refcount(op);
        Py_ssize_t seen = heap_seen(h, outer);
        return Py_BuildValue("(ss(nnn))", "external", "", refcount, seen,
                             refcount - seen);
    }
    case PR_GARBAGE:
        return Py_BuildValue("(ss(I))", "garbage",
                             p->collectable ? "collectable" : "uncollectable",
                             p->nhops);
    case PR_EXCLUDED:
        return Py_BuildValue("(ss())", "excluded", "");
    default:
        return Py_BuildValue("(ss(I))", "unreached",
                             s->search_timed_out || s->traverse_status
                                 ? "timeout"
                                 : "max_depth",
                             p->limit);
    }
}

/* The root tuple of p, memoized; *absorbed as root_tuple's. */
static PyObject *
path_root(search_t *s, const target_t *t, const path_t *p, uint32_t *absorbed_out)
{
    uint32_t absorbed;
    PyObject *root;
    /* module and frame roots depend only on the root and the object it
     * holds: for a global, the referent of the module dict's reference
     * (the last hop); otherwise the outermost object.  (External roots
     * carry counts of the object: built every time.) */
    node_t held = p->nhops == 0             ? t->node
                  : p->root == PR_MODULE ? p->hops[p->nhops - 1].referent
                                         : p->hops[p->nhops - 1].referrer;
    int memoizable = p->root <= PR_INTERP;
    /* how much of the path the root's name absorbs depends on whether
     * the path has references at all */
    uint64_t key_a = UINT64_MAX - 1 - 2 * (uint64_t)p->root - (p->nhops == 0);
    uint64_t key_b = ((uint64_t)p->root_index << 32) | held;
    PyObject *known = memoizable ? memo_get(&s->memo, key_a, key_b) : NULL;
    if (known != NULL) {
        /* (root, absorbed) */
        root = Py_NewRef(PyTuple_GET_ITEM(known, 0));
        absorbed = (uint32_t)PyLong_AsUnsignedLong(PyTuple_GET_ITEM(known, 1));
    }
    else {
        root = root_tuple(s, t, p, &absorbed);
        if (root == NULL) {
            return NULL;
        }
        if (memoizable) {
            PyObject *entry = Py_BuildValue("(OI)", root, absorbed);
            if (entry == NULL) {
                Py_DECREF(root);
                return NULL;
            }
            memo_put(&s->memo, key_a, key_b, entry);
            Py_DECREF(entry);
        }
    }
    *absorbed_out = absorbed;
    return root;
}

static PyObject *
path_tuple(search_t *s, const target_t *t, const path_t *p)
{
    uint32_t absorbed;
    PyObject *root = path_root(s, t, p, &absorbed);
    if (root == NULL) {
        return NULL;
    }
    PyObject *edges = edges_tuple(s, p->hops, p->nhops - absorbed);
    if (edges == NULL) {
        Py_DECREF(root);
        return NULL;
    }
    return Py_BuildValue("(NNI)", root, edges, p->length);
}

/* A compact result's path: its hops' and its own records. */
static int
path_record(search_t *s, const target_t *t, const path_t *p)
{
    struct flat *f = s->flat;
    uint32_t absorbed;
    PyObject *root = path_root(s, t, p, &absorbed);
    if (root == NULL) {
        return -1;
    }
    int64_t record[3] = {flat_index(f->roots, &f->root_index, root), p->length, 0};
    Py_DECREF(root);
    if (record[0] < 0) {
        return -1;
    }
    PyObject *edges = edges_tuple(s, p->hops, p->nhops - absorbed);
    if (edges == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(edges); i++) {
        int64_t edge = PyLong_AsLongLong(PyTuple_GET_ITEM(edges, i));
        if (words_push(&f->hops, &edge, 1) < 0) {
            Py_DECREF(edges);
            return -1;
        }
    }
    Py_DECREF(edges);
    record[2] = (int64_t)f->hops.n;
    return words_push(&f->paths, record, 3);
}

/* refcount, seen, unseen of a target, as its tuple gives them. */
static void
target_counts(search_t *s, const target_t *t, Py_ssize_t counts[3])
{
    PyObject *op = s->heap.objs[t->node];
    int immortal = compat_is_immortal(op);
    counts[0] = immortal ? -1 : compat_refcount(op);
    counts[1] = heap_seen(&s->heap, t->node);
    counts[2] = immortal ? -1 : unseen_refs(s, t->node);
    if (s->traverse_status != 0) {
        counts[1] = counts[2] = -1; /* the index stopped before it counted them */
    }
}

/* A compact result's target: its paths' and its own records (paths
 * already sorted). */
static int
target_record(search_t *s, const target_t *t)
{
    struct flat *f = s->flat;
    PyObject *op = s->heap.objs[t->node];
    for (uint32_t i = 0; i < t->npaths && !t->cut; i++) {
        if (path_record(s, t, &t->paths[i]) < 0) {
            return -1;
        }
    }
    Py_ssize_t counts[3];
    target_counts(s, t, counts);
    PyObject *type_name = names_type_name(&s->names, Py_TYPE(op));
    PyObject *name = names_object_name(&s->names, op);
    int result = -1;
    if (type_name != NULL && name != NULL) {
        int64_t record[9] = {
            (int64_t)(uintptr_t)op,
            flat_index(f->texts, &f->text_index, type_name),
            flat_index(f->texts, &f->text_index, name),
            counts[0],
            counts[1],
            counts[2],
            t->status,
            t->omitted,
            (int64_t)(f->paths.n / 3),
        };
        if (record[1] >= 0 && record[2] >= 0) {
            result = words_push(&f->targets, record, 9);
        }
    }
    Py_XDECREF(type_name);
    Py_XDECREF(name);
    return result;
}

static PyObject *
target_tuple(search_t *s, target_t *t)
{
    heap_t *h = &s->heap;
    PyObject *op = h->objs[t->node];
    choose_sort_paths(t); /* paths may be NULL: no path before a time limit */
    if (s->flat != NULL) {
        return target_record(s, t) < 0 ? NULL : Py_NewRef(Py_None);
    }
    PyObject *paths = PyList_New(0);
    if (paths == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < t->npaths && !t->cut; i++) {
        PyObject *path = path_tuple(s, t, &t->paths[i]);
        if (path == NULL || PyList_Append(paths, path) < 0) {
            Py_XDECREF(path);
            Py_DECREF(paths);
            return NULL;
        }
        Py_DECREF(path);
    }
    Py_ssize_t counts[3];
    target_counts(s, t, counts);
    Py_ssize_t refcount = counts[0], seen = counts[1], unseen = counts[2];
    PyObject *type_name = names_type_name(&s->names, Py_TYPE(op));
    PyObject *name = names_object_name(&s->names, op);
    if (type_name == NULL || name == NULL) {
        Py_XDECREF(type_name);
        Py_XDECREF(name);
        Py_DECREF(paths);
        return NULL;
    }
    PyObject *paths_tuple = PyList_AsTuple(paths);
    Py_DECREF(paths);
    if (paths_tuple == NULL) {
        Py_DECREF(type_name);
        Py_DECREF(name);
        return NULL;
    }
    return Py_BuildValue("(NNNnnnsNI)", object_id(op), type_name, name, refcount,
                         seen, unseen, status_names[t->status], paths_tuple,
                         t->omitted);
}

/* The compact result's targets: (texts, roots, targets, paths, hops,
 * edges), or NULL. */
static PyObject *
flat_tables(struct flat *f)
{
    /* each table freed once copied: one copy at a time */
    words_t *tables[4] = {&f->targets, &f->paths, &f->hops, &f->edges};
    PyObject *copies[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        copies[i] = words_bytes(tables[i]);
        PyMem_RawFree(tables[i]->v);
        memset(tables[i], 0, sizeof(words_t));
        if (copies[i] == NULL) {
            for (int k = 0; k < i; k++) {
                Py_DECREF(copies[k]);
            }
            return NULL;
        }
    }
    return Py_BuildValue("(OONNNN)", f->texts, f->roots, copies[0], copies[1],
                         copies[2], copies[3]);
}

/* A target's paths once its result is made: nothing reads them again,
 * and their memory can hold the next targets' results. */
static void
target_done(target_t *t)
{
    for (uint32_t p = 0; p < t->npaths; p++) {
        path_clear(&t->paths[p]);
    }
    PyMem_RawFree(t->paths);
    PyMem_RawFree(t->used);
    t->paths = NULL;
    t->npaths = 0;
    t->used = NULL;
    t->nused = 0;
    t->used_capacity = 0;
}

static PyObject *result_finish(search_t *s, PyObject *targets);

PyObject *
result_build(search_t *s)
{
    struct flat flat;
    memset(&flat, 0, sizeof(flat));
    if (s->q->compact) {
        flat.texts = PyList_New(0);
        flat.roots = PyList_New(0);
        if (flat.texts == NULL || flat.roots == NULL ||
            ptrmap_init(&flat.text_index, 64) < 0 ||
            ptrmap_init(&flat.root_index, 64) < 0)
        {
            flat_free(&flat);
            return NULL;
        }
        s->flat = &flat;
    }
    PyObject *targets = PyList_New(0);
    if (targets == NULL) {
        s->flat = NULL;
        flat_free(&flat);
        return NULL;
    }
    deadline_enter(&s->deadline, PHASE_NAMING);
    for (size_t i = 0; i < s->ntargets; i++) {
        s->deadline.done = i;
        if (deadline_passed(&s->deadline)) {
            s->search_timed_out = 1;
            s->targets[i].cut = 1;
            s->targets[i].status = ST_TIMEOUT;
        }
        PyObject *t = target_tuple(s, &s->targets[i]);
        if (t == NULL || (s->flat == NULL && PyList_Append(targets, t) < 0)) {
            Py_XDECREF(t);
            Py_DECREF(targets);
            s->flat = NULL;
            flat_free(&flat);
            return NULL;
        }
        Py_DECREF(t);
        target_done(&s->targets[i]);
    }
    if (s->flat != NULL) {
        Py_SETREF(targets, flat_tables(&flat));
        s->flat = NULL;
        flat_free(&flat);
        if (targets == NULL) {
            return NULL;
        }
    }
    return result_finish(s, targets);
}

/* The result tuple around targets (a new reference it takes). */
static PyObject *
result_finish(search_t *s, PyObject *targets)
{
    heap_t *h = &s->heap;
    PyObject *objects = Py_None;
    if (s->q->want_objects) {
        objects = PyList_New((Py_ssize_t)s->ntargets);
        if (objects == NULL) {
            Py_DECREF(targets);
            return NULL;
        }
        for (size_t i = 0; i < s->ntargets; i++) {
            PyList_SET_ITEM(objects, (Py_ssize_t)i,
                            Py_NewRef(h->objs[s->targets[i].node]));
        }
    }
    else {
        Py_INCREF(objects);
    }
    /* a search cut short says so, even when every target has a root */
    const char *partial = NULL;
    if (s->traverse_status == 1 || s->search_timed_out) {
        partial = "timeout";
    }
    else if (s->depth_truncated) {
        partial = "max_depth";
    }
    /* where the time ran out, and how far that phase had got */
    const deadline_t *d = &s->deadline;
    double now = platform_monotonic();
    return Py_BuildValue(
        "(zN(nKnndddzn)N)", partial, targets, (Py_ssize_t)h->count,
        (unsigned long long)h->nedges, (Py_ssize_t)s->roots.nthreads,
        (Py_ssize_t)s->roots.nframes, s->t_indexed - s->t_start,
        s->t_searched - s->t_indexed, now - s->t_start,
        deadline_phase_name(d->expired ? d->expired_phase : PHASE_NONE),
        (Py_ssize_t)(d->expired ? d->expired_done : 0), objects);
}

