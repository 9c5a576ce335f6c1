/* snapshot.c: capture the heap as plain data (the tuple of snapshot.h).
 *
 * One walk as explain's (heap.c with every referent a node, roots.c),
 * then, while every object is still where the walk saw it (the
 * collector off, no Python code run), one pass per node for its id,
 * type, shallow size (sizes.c) and name, and one per reference for its
 * label (names.c), stored as indices into one table of strings (a list's
 * or tuple's item "[i]" as its index alone: no label nor string each).  The
 * result holds no reference to any object of the heap: only strs of
 * its own (copies, own_strings), ints, and bytes.
 */
#include "snapshot.h"
#include "array.h"
#include "heap.h"
#include "names.h"
#include "ptrmap.h"
#include "roots.h"
#include "strtable.h"

/* The strs of the last capture, to size the next table (a hint). */
static size_t last_string_count;

/* How many nodes ahead a pass in node order asks for an object. */
#define OBJECT_PREFETCH_AHEAD 8

/* Rows longer than this name a value held twice by its first place
 * (result.c does the same: counting would be quadratic). */
#define OCCURRENCE_ROW_LIMIT 256

typedef struct {
    heap_t heap;
    roots_t roots;
    names_t names;
    deadline_t deadline;
    sizes_cache_t *sizes;
    strtable_t strings;     /* each str once: types, names, texts, keys */
    PyObject *label_index;  /* {(text, key, kind, role, index): index in labels} */
    int32_t *labels;        /* SNAP_LABEL_FIELDS per label */
    size_t nlabels, labels_capacity;
    ptrmap_t type_strings;  /* type -> index in strings of its name */
    ptrmap_t closures;      /* closure tuple -> node of its function */
    ptrmap_t text_labels;   /* a label's text object -> index in labels,
                               for labels with no key nor index (names.c
                               hands out one text per attribute) */
    PyObject *held_texts;   /* list: text_labels' keys, kept alive */
    uint32_t key_label;     /* "<key>"'s index in labels + 1, 0: none */
    /* heap.objs, .edge_start, .edges are the snapshot's bytes (ids, its
     * rows, its edges: the same values), not the heap's own arrays */
    int objs_lent, edge_start_lent, edges_lent;
} capture_t;

/* The index of s in the table, added if new; -1 on error. */
static int64_t
intern_string(capture_t *c, PyObject *s)
{
    return strtable_index(&c->strings, s);
}

/* Steals text. */
static int64_t
intern_new(capture_t *c, PyObject *text)
{
    if (text == NULL) {
        return -1;
    }
    int64_t index = intern_string(c, text);
    Py_DECREF(text);
    return index;
}

static int64_t
type_string(capture_t *c, PyTypeObject *tp)
{
    uint32_t known = ptrmap_get(&c->type_strings, tp);
    if (known != PTRMAP_NONE) {
        return known;
    }
    int64_t index = intern_new(c, names_type_name(&c->names, tp));
    if (index < 0 || ptrmap_put(&c->type_strings, tp, (uint32_t)index, NULL) < 0) {
        return -1;
    }
    return index;
}

/* Label `label` (returned) has text object `text` from now on: a
 * later label with the same object is found by its address (held, so
 * no other object takes it). */
static int64_t
remember_text(capture_t *c, PyObject *text, int64_t label)
{
    int inserted = ptrmap_put(&c->text_labels, text, (uint32_t)label, NULL);
    if (inserted < 0 || (inserted == 1 && PyList_Append(c->held_texts, text) < 0)) {
        return -1;
    }
    return label;
}

/* Adds a label of those fields: its index in labels, or -1 with
 * MemoryError set. */
static int64_t
append_label(capture_t *c, int32_t text, int kind, int role, int32_t key,
             int32_t index)
{
    /* an edge label with the high bit set is no index in labels
     * (SNAP_LABEL_ITEM, SNAP_LABEL_STR_KEY) */
    if (c->nlabels >= SNAP_LABEL_ITEM) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: a snapshot holds fewer than 2**31 labels");
        return -1;
    }
    if (array_grow((void **)&c->labels, &c->labels_capacity,
                   (c->nlabels + 1) * SNAP_LABEL_FIELDS, sizeof(int32_t)) < 0)
    {
        return -1;
    }
    int32_t *out = &c->labels[c->nlabels * SNAP_LABEL_FIELDS];
    out[0] = text;
    out[1] = kind;
    out[2] = role;
    out[3] = key;
    out[4] = index;
    return (int64_t)c->nlabels++;
}

/* The edge label "[index]" of a list's or tuple's item (index up to
 * SNAP_LABEL_PAYLOAD_MAX): its index alone (SNAP_LABEL_ITEM), no
 * label, no string. */
static int64_t
item_label(Py_ssize_t index)
{
    return (int64_t)(SNAP_LABEL_ITEM | (uint32_t)index);
}

/* The index in labels of a raw label (whose text it consumes), with
 * key_name naming a closure variable when not NULL. */
static int64_t
intern_label(capture_t *c, raw_label_t *raw, PyObject *key_name)
{
    PyObject *key = key_name ? key_name
                    : (raw->key && PyUnicode_CheckExact(raw->key)) ? raw->key
                                                                   : Py_None;
    /* the same text object as a known label's: no tuple to make.  Only
     * texts something else holds (names.c's attribute texts) come back:
     * a fresh one is not remembered */
    int plain = key == Py_None && raw->index == -1;
    int remember = plain && Py_REFCNT(raw->text) > 1;
    uint32_t seen_text = plain ? ptrmap_get(&c->text_labels, raw->text)
                               : PTRMAP_NONE;
    if (seen_text != PTRMAP_NONE &&
        c->labels[(size_t)seen_text * SNAP_LABEL_FIELDS + 1] == raw->kind &&
        c->labels[(size_t)seen_text * SNAP_LABEL_FIELDS + 2] == raw->role)
    {
        return seen_text;
    }
    /* the text alone is not the label: "[3]" is a list's index or a
     * dict's int key, and the export tells them apart by kind */
    PyObject *dict_key = Py_BuildValue("(OOiin)", raw->text, key, (int)raw->kind,
                                       (int)raw->role, raw->index);
    if (dict_key == NULL) {
        return -1;
    }
    PyObject *known = PyDict_GetItemWithError(c->label_index, dict_key);
    if (known != NULL) {
        Py_DECREF(dict_key);
        int64_t label = PyLong_AsLongLong(known);
        return remember && label >= 0 ? remember_text(c, raw->text, label)
                                      : label;
    }
    int64_t text = PyErr_Occurred() ? -1 : intern_string(c, raw->text);
    int64_t key_index = key == Py_None ? -1 : intern_string(c, key);
    PyObject *value = PyLong_FromSize_t(c->nlabels);
    if (text < 0 || (key != Py_None && key_index < 0) || value == NULL ||
        PyDict_SetItem(c->label_index, dict_key, value) < 0)
    {
        Py_DECREF(dict_key);
        Py_XDECREF(value);
        return -1;
    }
    Py_DECREF(dict_key);
    Py_DECREF(value);
    int64_t label = append_label(c, (int32_t)text, raw->kind, raw->role,
                                 (int32_t)key_index,
                                 (int32_t)(raw->index < INT32_MAX ? raw->index : -1));
    return remember && label >= 0 ? remember_text(c, raw->text, label) : label;
}

/* The label of the reference at position pos of node n's row. */
static int64_t
edge_label(capture_t *c, node_t n, uint64_t pos)
{
    heap_t *h = &c->heap;
    node_t referent = EDGE_NODE(h->edges[pos]);
    uint64_t start = heap_row_start(h, n);
    PyObject *owner = h->objs[n];
    Py_ssize_t ordinal = (Py_ssize_t)(pos - start);
    /* exact lists and tuples are traversed last item first */
    int sequence = PyList_CheckExact(owner) || PyTuple_CheckExact(owner);
    uint32_t closure_of = sequence && PyTuple_CheckExact(owner)
                              ? ptrmap_get(&c->closures, owner)
                              : PTRMAP_NONE;
    /* the item at its place is "[index]" whatever its other places
     * (names.c's label_sequence) */
    if (sequence && closure_of == PTRMAP_NONE) {
        Py_ssize_t size = Py_SIZE(owner);
        PyObject **items = PyList_CheckExact(owner)
                               ? ((PyListObject *)owner)->ob_item
                               : ((PyTupleObject *)owner)->ob_item;
        Py_ssize_t index = size - 1 - ordinal;
        if (index >= 0 && index <= SNAP_LABEL_PAYLOAD_MAX &&
            items[index] == h->objs[referent])
        {
            return item_label(index);
        }
    }
    Py_ssize_t occurrence = 0;
    if (pos - start <= OCCURRENCE_ROW_LIMIT) {
        for (uint64_t e = start; e < pos; e++) {
            occurrence += EDGE_NODE(h->edges[e]) == referent;
        }
    }
    raw_label_t raw;
    if (names_raw(&c->names, owner, h->objs[referent], occurrence, ordinal,
                  &raw) < 0)
    {
        return -1;
    }
    PyObject *key_name = NULL;
    if (closure_of != PTRMAP_NONE && raw.kind == EDGE_KIND_INDEX) {
        PyFunctionObject *func = (PyFunctionObject *)h->objs[closure_of];
        PyCodeObject *co = (PyCodeObject *)func->func_code;
        key_name = PyCode_Check(co) ? compat_code_freevar_name(co, raw.index)
                                    : NULL;
    }
    /* an item held at several places: names.c found which */
    int64_t label = sequence && closure_of == PTRMAP_NONE &&
                            raw.kind == EDGE_KIND_INDEX && raw.index >= 0 &&
                            raw.index <= SNAP_LABEL_PAYLOAD_MAX
                        ? item_label(raw.index)
                        : intern_label(c, &raw, key_name);
    names_raw_clear(&raw);
    return label;
}

static int label_dict_entry(capture_t *c, node_t n, uint64_t e, PyObject *key,
                            PyObject *value, int is_key, uint32_t *out);

/* The labels of a dict's row, entry by entry: its traversal visits
 * values in entry order, and after each value its key when the keys
 * are not all str; with str keys, heap.c adds the keys after all the
 * values.  Each reference is checked against the entry, and one that
 * does not match (a split table's other order) is labelled by names.c.
 * Labelling each reference by names.c alone would scan the dict once
 * per reference. */
static int
dict_row_labels(capture_t *c, node_t n, uint32_t *out)
{
    heap_t *h = &c->heap;
    PyObject *dict = h->objs[n];
    uint64_t start = heap_row_start(h, n), end = heap_row_end(h, n);
    uint64_t nrefs = end - start;
    Py_ssize_t size = PyDict_GET_SIZE(dict);
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    int interleaved = 0;
    if (size > 0 && nrefs == 2 * (uint64_t)size && PyDict_Next(dict, &pos, &key, &value)) {
        interleaved = h->objs[EDGE_NODE(h->edges[start + 1])] == key;
    }
    uint64_t e = start;
    for (int pass = 0; pass < 2 && e < end; pass++) {
        pos = 0;
        while (e < end && PyDict_Next(dict, &pos, &key, &value)) {
            for (int is_key = pass; is_key <= (interleaved ? 1 : pass) && e < end;
                 is_key++, e++)
            {
                if (label_dict_entry(c, n, e, key, value, is_key, out + (e - start)) < 0) {
                    return -1;
                }
            }
        }
        if (interleaved) {
            break;
        }
    }
    for (; e < end; e++) {
        int64_t label = edge_label(c, n, e);
        if (label < 0) {
            return -1;
        }
        out[e - start] = (uint32_t)label;
    }
    return 0;
}

/* The label, in labels, of a dict's reference to its key (is_key) or
 * to the value under it: names.c's; -1 with an exception set. */
static int64_t
dict_entry_label(capture_t *c, PyObject *key, int is_key)
{
    raw_label_t raw;
    if (names_dict_entry(&c->names, key, is_key, &raw) < 0) {
        return -1;
    }
    int64_t label = intern_label(c, &raw, NULL);
    names_raw_clear(&raw);
    return label;
}

/* The label of reference e of dict n, expected to be entry (key,
 * value)'s key (is_key) or value. */
static int
label_dict_entry(capture_t *c, node_t n, uint64_t e, PyObject *key,
             PyObject *value, int is_key, uint32_t *out)
{
    heap_t *h = &c->heap;
    PyObject *expected = is_key ? key : value;
    int64_t label = -1;
    if (h->objs[EDGE_NODE(h->edges[e])] != expected) {
        label = edge_label(c, n, e);
    }
    else if (is_key && c->key_label != 0) {
        label = c->key_label - 1;
    }
    else if (!is_key && PyUnicode_CheckExact(key)) {
        /* "['k']": the key's string alone (SNAP_LABEL_STR_KEY), no label
         * entry nor text of its own: a dict of a million str keys would
         * need a million of each */
        int64_t k = intern_string(c, key);
        label = k < 0                           ? -1
                : k <= SNAP_LABEL_PAYLOAD_MAX ? (int64_t)(SNAP_LABEL_STR_KEY | (uint32_t)k)
                                              : dict_entry_label(c, key, 0);
    }
    else {
        label = dict_entry_label(c, key, is_key);
        if (label >= 0 && is_key) {
            c->key_label = (uint32_t)label + 1;
        }
    }
    if (label < 0) {
        return -1;
    }
    *out = (uint32_t)label;
    return 0;
}

static PyObject *
new_bytes(size_t count, size_t item, char **out)
{
    *out = NULL;
    if (count > (size_t)PY_SSIZE_T_MAX / item) {
        return PyErr_NoMemory();
    }
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * item));
    *out = b ? PyBytes_AS_STRING(b) : NULL;
    return b;
}

/* Values too big for their narrow array, by field (snapshot.h's big),
 * each in increasing order of node as capture_nodes meets them. */
typedef struct {
    uint64_t *items[SNAP_BIG_FIELDS]; /* node, value, node, value... */
    size_t count[SNAP_BIG_FIELDS], capacity[SNAP_BIG_FIELDS];
} big_values_t;

/* Keeps value for (field, node): 0, or -1 with MemoryError set. */
static int
big_add(big_values_t *b, uint32_t field, node_t node, uint64_t value)
{
    if (array_grow((void **)&b->items[field], &b->capacity[field],
                   2 * (b->count[field] + 1), sizeof(uint64_t)) < 0)
    {
        return -1;
    }
    b->items[field][2 * b->count[field]] = node;
    b->items[field][2 * b->count[field] + 1] = value;
    b->count[field]++;
    return 0;
}

/* The big values as snapshot.h's bytes: (node, field, value) each. */
static PyObject *
big_bytes(const big_values_t *b)
{
    size_t total = 0;
    for (uint32_t f = 0; f < SNAP_BIG_FIELDS; f++) {
        total += b->count[f];
    }
    char *out = NULL;
    PyObject *bytes = new_bytes(total, 16, &out);
    if (bytes == NULL) {
        return NULL;
    }
    for (uint32_t f = 0; f < SNAP_BIG_FIELDS; f++) {
        for (size_t i = 0; i < b->count[f]; i++) {
            uint32_t node = (uint32_t)b->items[f][2 * i];
            memcpy(out, &node, 4);
            memcpy(out + 4, &f, 4);
            memcpy(out + 8, &b->items[f][2 * i + 1], 8);
            out += 16;
        }
    }
    return bytes;
}

/* The per-node arrays, into result[SNAP_IDS .. SNAP_FLAGS] and
 * result[SNAP_BIG_VALUES]. */
static int
capture_nodes(capture_t *c, PyObject *result)
{
    heap_t *h = &c->heap;
    size_t n = h->count;
    char *ids = NULL, *types = NULL, *sizes = NULL, *names = NULL;
    char *refcounts = NULL, *seen = NULL, *flags = NULL;
    PyObject *arrays[] = {
        new_bytes(n, 8, &ids),       new_bytes(n, 4, &types),
        new_bytes(n, 4, &sizes),     new_bytes(n, 4, &names),
        new_bytes(n, 4, &refcounts), new_bytes(n, 1, &seen),
        new_bytes(n, 1, &flags),
    };
    big_values_t big;
    memset(&big, 0, sizeof(big));
    int status = 0;
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        if (arrays[i] == NULL) {
            status = -1;
        }
        PyTuple_SET_ITEM(result, SNAP_IDS + (Py_ssize_t)i,
                         arrays[i] ? arrays[i] : Py_NewRef(Py_None));
    }
#if SIZEOF_VOID_P == 8
    /* ids are the addresses: the heap reads them from now on */
    if (status == 0 && n > 0) {
        memcpy(ids, h->objs, 8 * n);
        big_free(h->objs, h->capacity, sizeof(*h->objs));
        h->objs = (PyObject **)(void *)ids;
        c->objs_lent = 1;
    }
#endif
    for (size_t i = 0; status == 0 && i < n; i++) {
        PyObject *op = h->objs[i];
        /* every object is read once more here, in node order: a wait
         * for memory each, unless asked for ahead */
        if (i + OBJECT_PREFETCH_AHEAD < n) {
            platform_prefetch(h->objs[i + OBJECT_PREFETCH_AHEAD]);
        }
        int64_t type = type_string(c, Py_TYPE(op));
        /* most objects carry no name: "" is string 0 */
        int64_t name = names_has_name(&c->names, op)
                           ? intern_new(c, names_object_name(&c->names, op))
                           : 0;
        if (type < 0 || name < 0) {
            status = -1;
            break;
        }
        /* functions' closure tuples, so that capture_edges labels
         * their items by the variable's name (a dump has no function
         * to ask later) */
        PyObject *closure = PyFunction_Check(op)
                                ? ((PyFunctionObject *)op)->func_closure
                                : NULL;
        if (closure != NULL &&
            ptrmap_put(&c->closures, closure, (uint32_t)i, NULL) < 0)
        {
            status = -1;
            break;
        }
        uint64_t size = (uint64_t)sizes_shallow(c->sizes, op);
        uint64_t refcount = (uint64_t)compat_refcount(op);
        uint32_t seen_count = heap_seen(h, (node_t)i);
        uint32_t type32 = (uint32_t)type, name32 = (uint32_t)name;
        uint32_t size32 = size < SNAP_BIG ? (uint32_t)size : SNAP_BIG;
        uint32_t refcount32 = compat_is_immortal(op) ? SNAP_IMMORTAL
                              : refcount < SNAP_IMMORTAL ? (uint32_t)refcount
                                                         : SNAP_BIG;
        uint8_t seen8 = seen_count < SNAP_SEEN_BIG ? (uint8_t)seen_count
                                                   : SNAP_SEEN_BIG;
        if ((size32 == SNAP_BIG &&
             big_add(&big, SNAP_BIG_SIZE, (node_t)i, size) < 0) ||
            (refcount32 == SNAP_BIG &&
             big_add(&big, SNAP_BIG_REFCOUNT, (node_t)i, refcount) < 0) ||
            (seen8 == SNAP_SEEN_BIG &&
             big_add(&big, SNAP_BIG_SEEN, (node_t)i, seen_count) < 0))
        {
            status = -1;
            break;
        }
        uint8_t f = 0;
        f |= (h->flags[i] & NODE_CELL) ? SNAP_FLAG_CELL : 0;
        f |= (h->flags[i] & NODE_MODULE_DICT) ? SNAP_FLAG_MODULE_DICT : 0;
        if (!c->objs_lent) {
            uint64_t id = (uint64_t)(uintptr_t)op;
            memcpy(ids + 8 * i, &id, 8);
        }
        memcpy(types + 4 * i, &type32, 4);
        memcpy(sizes + 4 * i, &size32, 4);
        memcpy(names + 4 * i, &name32, 4);
        memcpy(refcounts + 4 * i, &refcount32, 4);
        seen[i] = (char)seen8;
        flags[i] = (char)f;
    }
    PyObject *b = status == 0 ? big_bytes(&big) : NULL;
    PyTuple_SET_ITEM(result, SNAP_BIG_VALUES, b ? b : Py_NewRef(Py_None));
    for (uint32_t f = 0; f < SNAP_BIG_FIELDS; f++) {
        PyMem_RawFree(big.items[f]);
    }
    return b != NULL ? 0 : -1;
}

#if EDGE_FOLD != SNAP_EDGE_FOLD
#error "a snapshot's edges are the heap's: the same fold bit"
#endif

/* The CSR rows and labels, into result[SNAP_EDGE_START .. SNAP_LABELS].
 * The edges are the heap's, copied once; the heap then reads the copy
 * (c->edges_lent) and its own array is freed before the labels'. */
static int
capture_edges(capture_t *c, PyObject *result)
{
    heap_t *h = &c->heap;
    if (h->nedges >= UINT32_MAX) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: a snapshot holds fewer than 2**32 references");
        return -1;
    }
    char *starts = NULL, *edges = NULL, *labels = NULL;
    PyObject *b_starts = new_bytes(h->count + 1, 4, &starts);
    PyObject *b_edges = new_bytes(h->nedges, 4, &edges);
    PyTuple_SET_ITEM(result, SNAP_EDGE_START, b_starts ? b_starts : Py_NewRef(Py_None));
    PyTuple_SET_ITEM(result, SNAP_EDGES, b_edges ? b_edges : Py_NewRef(Py_None));
    if (b_starts == NULL || b_edges == NULL) {
        return -1;
    }
    memcpy(starts, h->edge_start, 4 * (h->count + 1));
    big_free(h->edge_start, h->capacity + 1, sizeof(*h->edge_start));
    h->edge_start = (uint32_t *)(void *)starts;
    c->edge_start_lent = 1;
    if (h->nedges > 0) {
        memcpy(edges, h->edges, 4 * (size_t)h->nedges);
    }
    big_free(h->edges, (size_t)h->edges_capacity, sizeof(*h->edges));
    h->edges = (uint32_t *)(void *)edges;
    h->edges_capacity = 0;
    c->edges_lent = 1;
    PyObject *b_labels = new_bytes(h->nedges, 4, &labels);
    PyTuple_SET_ITEM(result, SNAP_EDGE_LABELS, b_labels ? b_labels : Py_NewRef(Py_None));
    if (b_labels == NULL) {
        return -1;
    }
    uint32_t *row_labels = (uint32_t *)(void *)labels;
    for (size_t n = 0; n < h->count; n++) {
        uint64_t start = heap_row_start(h, (node_t)n);
        uint64_t end = heap_row_end(h, (node_t)n);
        if (end == start) {
            continue; /* its object is not read again (most strs, ints) */
        }
        size_t ahead = n + OBJECT_PREFETCH_AHEAD;
        if (ahead < h->count &&
            heap_row_end(h, (node_t)ahead) > heap_row_start(h, (node_t)ahead))
        {
            platform_prefetch(h->objs[ahead]);
        }
        if (PyDict_Check(h->objs[n])) {
            if (dict_row_labels(c, (node_t)n, row_labels + start) < 0) {
                return -1;
            }
        }
        else {
            for (uint64_t e = start; e < end; e++) {
                int64_t label = edge_label(c, (node_t)n, e);
                if (label < 0) {
                    return -1;
                }
                row_labels[e] = (uint32_t)label;
            }
        }
    }
    char *out = NULL;
    PyObject *b = new_bytes(c->nlabels * SNAP_LABEL_FIELDS, 4, &out);
    PyTuple_SET_ITEM(result, SNAP_LABELS, b ? b : Py_NewRef(Py_None));
    if (b == NULL) {
        return -1;
    }
    if (c->nlabels) {
        memcpy(out, c->labels, c->nlabels * SNAP_LABEL_FIELDS * 4);
    }
    return 0;
}

/* Module globals and the references of frames, threads and the
 * interpreter, into result[SNAP_MODULES], result[SNAP_REFS]. */
static int
capture_roots(capture_t *c, PyObject *result)
{
    roots_t *r = &c->roots;
    PyObject *modules = PyList_New(0);
    PyObject *refs = PyList_New(0);
    PyTuple_SET_ITEM(result, SNAP_MODULES, modules ? modules : Py_NewRef(Py_None));
    PyTuple_SET_ITEM(result, SNAP_REFS, refs ? refs : Py_NewRef(Py_None));
    if (modules == NULL || refs == NULL) {
        return -1;
    }
    for (size_t i = 0; i < r->nmodules; i++) {
        module_root_t *m = &r->modules[i];
        if (m->excluded || m->dict == NODE_NONE) {
            continue;
        }
        PyObject *name = PyUnicode_CheckExact(m->name)
                             ? Py_NewRef(m->name)
                             : names_safe_repr(&c->names, m->name);
        PyObject *item = name ? Py_BuildValue("(IN)", (unsigned)m->dict, name)
                              : NULL;
        if (item == NULL || PyList_Append(modules, item) < 0) {
            Py_XDECREF(item);
            return -1;
        }
        Py_DECREF(item);
    }
    for (size_t i = 0; i < r->nseeds; i++) {
        root_ref_t *ref = &r->refs[r->seed_order[i]];
        if (ref->node == NODE_NONE) {
            continue;
        }
        PyObject *root = roots_tuple(r, ref);
        PyObject *item = root ? Py_BuildValue("(IiN)", (unsigned)ref->node,
                                              root_ref_path_kind(ref), root)
                              : NULL;
        if (item == NULL || PyList_Append(refs, item) < 0) {
            Py_XDECREF(item);
            return -1;
        }
        Py_DECREF(item);
    }
    return 0;
}

/* A copy of exact str s that no one else holds, or a new reference to
 * anything else; NULL with an exception set. */
static PyObject *
own_str(PyObject *s)
{
    if (!PyUnicode_CheckExact(s)) {
        return Py_NewRef(s);
    }
    return PyUnicode_FromKindAndData(PyUnicode_KIND(s), PyUnicode_DATA(s),
                                     PyUnicode_GET_LENGTH(s));
}

/* own_str of each item of a tuple, and of the tuples in it (roots'
 * details), as a new tuple; NULL with an exception set. */
static PyObject *
own_tuple(PyObject *t)
{
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(t, i);
        PyObject *copy = PyTuple_CheckExact(item) ? own_tuple(item) : own_str(item);
        if (copy == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, copy);
    }
    return out;
}

/* The strs the result holds, made its own: a string of the table, a
 * module's name or a root's may be an object of the heap (a dict's
 * key, a function's qualname, a local's name), and a snapshot holds
 * no reference to any object of the heap.  0, or -1 with an exception
 * set. */
static int
own_strings(PyObject *result)
{
    PyObject *lists[] = {PyTuple_GET_ITEM(result, SNAP_STRINGS),
                         PyTuple_GET_ITEM(result, SNAP_MODULES),
                         PyTuple_GET_ITEM(result, SNAP_REFS)};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lists[l]); i++) {
            PyObject *item = PyList_GET_ITEM(lists[l], i);
            PyObject *copy = PyTuple_CheckExact(item) ? own_tuple(item)
                                                      : own_str(item);
            if (copy == NULL) {
                return -1;
            }
            PyList_SET_ITEM(lists[l], i, copy);
            Py_DECREF(item);
        }
    }
    return 0;
}

static int
capture_run(capture_t *c, const snapshot_query_t *q, PyObject *result)
{
    heap_t *h = &c->heap;
    if (names_init(&c->names) < 0 || heap_init(h, &c->deadline) < 0 ||
        (c->sizes = sizes_cache_new()) == NULL ||
        ptrmap_init(&c->type_strings, 1024) < 0 ||
        ptrmap_init(&c->closures, 1024) < 0 ||
        ptrmap_init(&c->text_labels, 1024) < 0)
    {
        return -1;
    }
    h->every_object = 1;
    h->partial_type = q->partial_type;
    h->partial_args_offset = q->partial_args_offset;
    h->partial_keywords_offset = q->partial_keywords_offset;
    if (heap_enumerate(h) != 0 ||
        roots_collect(&c->roots, h, q->tool_prefix, q->stack_tables) < 0 ||
        heap_traverse_all(h) != 0 || roots_account(&c->roots, h) < 0)
    {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError,
                            "whyalive: the heap walk stopped early");
        }
        return -1;
    }
    c->label_index = PyDict_New();
    c->held_texts = PyList_New(0);
    if (strtable_init(&c->strings, last_string_count) < 0 ||
        c->label_index == NULL || c->held_texts == NULL)
    {
        return -1;
    }
    PyObject *empty = PyUnicode_FromString("");
    if (intern_new(c, empty) != 0 ||
        capture_nodes(c, result) < 0 || capture_edges(c, result) < 0 ||
        capture_roots(c, result) < 0)
    {
        return -1;
    }
    last_string_count = (size_t)PyList_GET_SIZE(c->strings.strings);
    PyTuple_SET_ITEM(result, SNAP_STRINGS, Py_NewRef(c->strings.strings));
    return own_strings(result);
}

PyObject *
snapshot_capture(const snapshot_query_t *q)
{
    capture_t c;
    memset(&c, 0, sizeof(c));
    double start = platform_monotonic();
    PyObject *result = PyTuple_New(SNAP_FIELD_COUNT);
    if (result == NULL) {
        return NULL;
    }
    /* a collection inside the walk would run finalizers and callbacks */
    int was_enabled = PyGC_Disable();
    int status = capture_run(&c, q, result);
    size_t threads = c.roots.nthreads, frames = c.roots.nframes;
    roots_free(&c.roots);
    c.heap.objs = c.objs_lent ? NULL : c.heap.objs;
    c.heap.edge_start = c.edge_start_lent ? NULL : c.heap.edge_start;
    c.heap.edges = c.edges_lent ? NULL : c.heap.edges;
    heap_free(&c.heap);
    names_free(&c.names);
    sizes_cache_free(c.sizes);
    ptrmap_free(&c.type_strings);
    ptrmap_free(&c.closures);
    ptrmap_free(&c.text_labels);
    Py_XDECREF(c.held_texts);
    PyMem_RawFree(c.labels);
    strtable_free(&c.strings);
    Py_XDECREF(c.label_index);
    if (was_enabled) {
        PyGC_Enable();
    }
    if (status < 0) {
        Py_DECREF(result);
        return NULL;
    }
    PyObject *stats = Py_BuildValue("(nnd)", (Py_ssize_t)threads,
                                    (Py_ssize_t)frames,
                                    platform_monotonic() - start);
    if (stats == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, SNAP_STATS, stats);
    /* made here: no query checks its indexes again */
    PyObject *checked = snapview_checked(result, 1);
    return checked ? Py_BuildValue("(NN)", result, checked)
                   : (Py_DECREF(result), NULL);
}
