/* census.c: counts by type, objects by type or address, snapshots of
 * ids, and objects no reference of the graph points to.
 *
 * A walk records type pointers and object addresses in C memory; names
 * and result objects are made after it, once per type.  The collector
 * stays off from the walk to the last result object, so no type or
 * object recorded can be freed in between (a collection would run
 * finalizers).
 */
#include "census.h"
#include "array.h"
#include "heap.h"
#include "names.h"
#include "ptrmap.h"
#include "roots.h"

/* ------------------------------------------------------------------ */
/* Counting by type                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    ptrmap_t index;       /* type pointer -> row */
    PyTypeObject **types; /* row -> type */
    uint64_t *counts;     /* row -> count */
    size_t nrows;
    size_t capacity;
    PyTypeObject *last_type; /* consecutive objects often share a type */
    uint32_t last_row;
} tally_t;

static int
tally_init(tally_t *t)
{
    memset(t, 0, sizeof(*t));
    t->last_row = PTRMAP_NONE;
    return ptrmap_init(&t->index, 1024);
}

static void
tally_free(tally_t *t)
{
    ptrmap_free(&t->index);
    PyMem_RawFree(t->types);
    PyMem_RawFree(t->counts);
    memset(t, 0, sizeof(*t));
}

static int
tally_new_row(tally_t *t, PyTypeObject *tp, uint32_t *row)
{
    if (t->nrows == t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 1024;
        if (array_resize((void **)&t->types, cap, sizeof(*t->types)) < 0 ||
            array_resize((void **)&t->counts, cap, sizeof(*t->counts)) < 0)
        {
            return -1;
        }
        t->capacity = cap;
    }
    *row = (uint32_t)t->nrows;
    if (ptrmap_put(&t->index, tp, *row, NULL) < 0) {
        return -1;
    }
    t->types[t->nrows] = tp;
    t->counts[t->nrows] = 0;
    t->nrows++;
    return 0;
}

/* The row of op's type, counted once more.  PTRMAP_NONE on error. */
static inline uint32_t
tally_add(tally_t *t, PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    uint32_t row;
    if (tp == t->last_type) {
        row = t->last_row;
    }
    else {
        row = ptrmap_get(&t->index, tp);
        if (row == PTRMAP_NONE && tally_new_row(t, tp, &row) < 0) {
            return PTRMAP_NONE;
        }
        t->last_type = tp;
        t->last_row = row;
    }
    t->counts[row]++;
    return row;
}

static int
tally_visit(PyObject *op, void *arg)
{
    return tally_add((tally_t *)arg, op) == PTRMAP_NONE ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Type names, made once per type after the walk                       */
/* ------------------------------------------------------------------ */

/* type.__name__: the heap type's own name, else tp_name after its last
 * dot.  New reference. */
static PyObject *
short_type_name(PyTypeObject *tp)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyObject *name = ((PyHeapTypeObject *)tp)->ht_name;
        if (name != NULL && PyUnicode_Check(name)) {
            return names_exact_str(name);
        }
    }
    const char *dot = strrchr(tp->tp_name, '.');
    return PyUnicode_FromString(dot ? dot + 1 : tp->tp_name);
}

/* type.__module__ + '.' + type.__name__, or the name alone when the
 * module is not a non-empty str.  Reads the type's dict and tp_name
 * only: no descriptor or metaclass code runs.  New reference. */
static PyObject *
long_type_name(PyTypeObject *tp, PyObject *short_name)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyObject *module = NULL;
        if (tp->tp_dict != NULL && PyDict_Check(tp->tp_dict)) {
            module = names_dict_get_str(tp->tp_dict, "__module__");
        }
        if (module != NULL && PyUnicode_Check(module) &&
            PyUnicode_GET_LENGTH(module) > 0)
        {
            return PyUnicode_FromFormat("%U.%U", module, short_name);
        }
        return Py_NewRef(short_name);
    }
    const char *dot = strrchr(tp->tp_name, '.');
    if (dot == NULL) {
        return PyUnicode_FromFormat("builtins.%U", short_name);
    }
    /* PyUnicode_FromFormat takes "%.*s" only from 3.12 on */
    PyObject *module =
        PyUnicode_FromStringAndSize(tp->tp_name, dot - tp->tp_name);
    if (module == NULL) {
        return NULL;
    }
    PyObject *name = PyUnicode_FromFormat("%U.%U", module, short_name);
    Py_DECREF(module);
    return name;
}

/* (type_id, short_name, long_name, qualified_name, count) */
static PyObject *
type_row(names_t *nm, PyTypeObject *tp, uint64_t count)
{
    PyObject *short_name = short_type_name(tp);
    if (short_name == NULL) {
        return NULL;
    }
    PyObject *long_name = long_type_name(tp, short_name);
    PyObject *qualified = long_name ? names_type_name(nm, tp) : NULL;
    if (qualified == NULL) {
        Py_DECREF(short_name);
        Py_XDECREF(long_name);
        return NULL;
    }
    return Py_BuildValue("(NNNNK)", PyLong_FromVoidPtr(tp), short_name,
                         long_name, qualified, (unsigned long long)count);
}

static PyObject *
type_rows(const tally_t *t)
{
    names_t nm;
    if (names_init(&nm) < 0) {
        return NULL;
    }
    PyObject *rows = PyList_New((Py_ssize_t)t->nrows);
    if (rows == NULL) {
        names_free(&nm);
        return NULL;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        PyObject *row = type_row(&nm, t->types[i], t->counts[i]);
        if (row == NULL) {
            Py_DECREF(rows);
            names_free(&nm);
            return NULL;
        }
        PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
    }
    names_free(&nm);
    return rows;
}

/* ------------------------------------------------------------------ */
/* Walks                                                               */
/* ------------------------------------------------------------------ */

/* Calls cb on each item of a list or tuple.  No Python code runs: the
 * items are read in place. */
static int
foreach_item(PyObject *seq, compat_object_cb cb, void *arg)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (cb(items[i], arg) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The heap, or the objects of a list or tuple. */
static int
foreach_object(PyObject *objects, compat_object_cb cb, void *arg)
{
    if (objects != NULL) {
        return foreach_item(objects, cb, arg);
    }
    return compat_gc_foreach(cb, arg);
}

PyObject *
census_type_counts(PyObject *objects)
{
    tally_t t;
    if (tally_init(&t) < 0) {
        return NULL;
    }
    int was_enabled = PyGC_Disable();
    PyObject *result = NULL;
    if (foreach_object(objects, tally_visit, &t) == 0) {
        result = type_rows(&t);
    }
    if (was_enabled) {
        PyGC_Enable();
    }
    tally_free(&t);
    return result;
}

/* ------------------------------------------------------------------ */
/* Objects only C code holds                                           */
/* ------------------------------------------------------------------ */

/* C code may build a tuple while running Python code: tuple(generator)
 * in another thread fills a new tuple item by item and resizes it when
 * full, which CPython refuses (SystemError, in that thread) once a
 * second reference exists.  Such a tuple is never handed out: one with
 * an item not yet set, or one whose only reference no object of the
 * heap and no running frame holds (C code's own). */
static int
tuple_unfinished(PyObject *op)
{
    if (!PyTuple_Check(op)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(op); i++) {
        if (PyTuple_GET_ITEM(op, i) == NULL) {
            return 1;
        }
    }
    return 0;
}

static int
tuple_held_once(PyObject *op)
{
    return PyTuple_Check(op) && !compat_is_immortal(op) &&
           compat_refcount(op) == 1;
}

typedef struct {
    ptrmap_t suspects; /* tuple held once -> index in found */
    uint8_t *held;
} holders_t;

static int
holders_visit(PyObject *op, void *arg)
{
    holders_t *hs = (holders_t *)arg;
    uint32_t i = ptrmap_get(&hs->suspects, op);
    if (i != PTRMAP_NONE) {
        hs->held[i] = 1;
    }
    return 0;
}

static int
holders_traverse(PyObject *op, void *arg)
{
    traverseproc traverse = Py_TYPE(op)->tp_traverse;
    if (traverse != NULL) {
        traverse(op, holders_visit, arg);
    }
    return 0;
}

/* Every object a running frame holds: fast locals, function, locals
 * mapping, frame object, and the value stack where CPython recorded its
 * top (roots_foreach_frame's callback). */
static int
holders_frame(compat_frame *f, PyCodeObject *co, compat_frame *inner,
              void *arg)
{
    int owned, exact;
    for (Py_ssize_t i = 0; i < compat_code_nslots(co); i++) {
        PyObject *value = compat_frame_slot(f, i, &owned);
        if (value != NULL) {
            holders_visit(value, arg);
        }
    }
    PyObject *special[3];
    compat_frame_specials(f, &special[0], &special[1], &special[2]);
    for (int i = 0; i < 3; i++) {
        if (special[i] != NULL) {
            holders_visit(special[i], arg);
        }
    }
    Py_ssize_t top = compat_frame_stack_extent(f, co, inner, &exact);
    for (Py_ssize_t i = 0; exact && i < top; i++) {
        PyObject *value = compat_frame_stack_value(f, co, i, &owned);
        if (value != NULL) {
            holders_visit(value, arg);
        }
    }
    return 0;
}

/* Drops from found[] the tuples C code may still be building; one more
 * pass over the heap's references only when a tuple held once is among
 * them.  -1 with MemoryError set. */
static int
drop_unfinished(PyObject **found, size_t *count)
{
    holders_t hs;
    size_t nsuspects = 0, kept = 0;
    for (size_t i = 0; i < *count; i++) {
        nsuspects += tuple_held_once(found[i]);
    }
    memset(&hs, 0, sizeof(hs));
    if (nsuspects > 0) {
        hs.held = PyMem_RawCalloc(*count, 1);
        if (hs.held == NULL || ptrmap_init(&hs.suspects, nsuspects) < 0) {
            PyMem_RawFree(hs.held);
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            return -1;
        }
        for (size_t i = 0; i < *count; i++) {
            if (tuple_held_once(found[i]) &&
                ptrmap_put(&hs.suspects, found[i], (uint32_t)i, NULL) < 0)
            {
                ptrmap_free(&hs.suspects);
                PyMem_RawFree(hs.held);
                return -1;
            }
        }
        compat_gc_foreach(holders_traverse, &hs);
        roots_foreach_frame(holders_frame, &hs);
    }
    for (size_t i = 0; i < *count; i++) {
        PyObject *op = found[i];
        if (tuple_unfinished(op) || (tuple_held_once(op) && !hs.held[i])) {
            continue;
        }
        found[kept++] = op;
    }
    *count = kept;
    if (nsuspects > 0) {
        ptrmap_free(&hs.suspects);
        PyMem_RawFree(hs.held);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Finding objects                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    ptrmap_t wanted;   /* type ids, or object ids */
    int by_type;       /* match Py_TYPE(op) rather than op */
    PyObject **found;
    size_t count;
    size_t capacity;
    size_t limit;
} finder_t;

static int
finder_visit(PyObject *op, void *arg)
{
    finder_t *f = (finder_t *)arg;
    const void *key = f->by_type ? (const void *)Py_TYPE(op) : (void *)op;
    if (ptrmap_get(&f->wanted, key) == PTRMAP_NONE) {
        return 0;
    }
    if (array_grow((void **)&f->found, &f->capacity, f->count + 1,
                   sizeof(*f->found)) < 0)
    {
        return -1;
    }
    f->found[f->count++] = op;
    /* stop the walk early: -1 without an exception set */
    return f->count >= f->limit ? -1 : 0;
}

static PyObject *
find(PyObject *ids, PyObject *objects, int by_type, Py_ssize_t limit,
     const char *what)
{
    finder_t f;
    memset(&f, 0, sizeof(f));
    f.by_type = by_type;
    f.limit = limit < 0 ? SIZE_MAX : (size_t)limit;
    if (ptrmap_init(&f.wanted, (size_t)PyTuple_GET_SIZE(ids)) < 0) {
        return NULL;
    }
    if (ptrmap_add_ids(&f.wanted, ids, what) < 0) {
        ptrmap_free(&f.wanted);
        return NULL;
    }
    PyObject *result = NULL;
    int was_enabled = PyGC_Disable();
    int status = f.limit == 0 || f.wanted.count == 0
                     ? 0
                     : foreach_object(objects, finder_visit, &f);
    if ((status == 0 || !PyErr_Occurred()) &&
        drop_unfinished(f.found, &f.count) == 0)
    {
        result = PyList_New((Py_ssize_t)f.count);
        for (size_t i = 0; result != NULL && i < f.count; i++) {
            PyList_SET_ITEM(result, (Py_ssize_t)i, Py_NewRef(f.found[i]));
        }
    }
    if (was_enabled) {
        PyGC_Enable();
    }
    PyMem_RawFree(f.found);
    ptrmap_free(&f.wanted);
    return result;
}

PyObject *
census_objects_of_types(PyObject *type_ids, PyObject *objects)
{
    return find(type_ids, objects, 1, -1, "type_ids");
}

PyObject *
census_objects_at(PyObject *ids, Py_ssize_t limit)
{
    return find(ids, NULL, 0, limit, "ids");
}

/* ------------------------------------------------------------------ */
/* Instances of classes, subclasses included                           */
/* ------------------------------------------------------------------ */

typedef struct {
    PyObject *classes;     /* a tuple of types */
    PyTypeObject *last_type; /* consecutive objects often share a type */
    int last_match;
    PyObject **found;
    size_t count;
    size_t capacity;
} instances_t;

/* Whether tp is one of the classes or a subclass by its MRO: no
 * __instancecheck__ or __class__ runs. */
static int
instances_match(instances_t *w, PyTypeObject *tp)
{
    if (tp != w->last_type) {
        int match = 0;
        for (Py_ssize_t i = 0; !match && i < PyTuple_GET_SIZE(w->classes);
             i++)
        {
            match = PyType_IsSubtype(
                tp, (PyTypeObject *)PyTuple_GET_ITEM(w->classes, i));
        }
        w->last_type = tp;
        w->last_match = match;
    }
    return w->last_match;
}

static int
instances_visit(PyObject *op, void *arg)
{
    instances_t *w = (instances_t *)arg;
    if (!instances_match(w, Py_TYPE(op))) {
        return 0;
    }
    if (array_grow((void **)&w->found, &w->capacity, w->count + 1,
                   sizeof(*w->found)) < 0)
    {
        return -1;
    }
    w->found[w->count++] = op;
    return 0;
}

/* The field and value compat_young_census_check takes the running
 * CPython to have, for tests (_core._young_census_check(...,
 * keep=True)); an empty name: none.  Protected by the GIL. */
static char young_override_name[64];
static uint64_t young_override_value;

/* The stamp of the collector's lists now, as a tuple of ints, or None
 * where no young census may be taken: this build has none, or the
 * running CPython is not one it is right for (compat_young_census_check:
 * then nothing of the collector's state is read). */
static PyObject *
stamp_now(void)
{
#if COMPAT_YOUNG_CENSUS
    char why[512];
    uint64_t words[COMPAT_STAMP_WORDS];
    if (compat_young_census_check(
            young_override_name[0] ? young_override_name : NULL,
            young_override_value, why, sizeof(why)) < 0 ||
        compat_gc_stamp(words) < 0)
    {
        Py_RETURN_NONE;
    }
    PyObject *stamp = PyTuple_New(COMPAT_STAMP_WORDS);
    for (Py_ssize_t i = 0; stamp != NULL && i < COMPAT_STAMP_WORDS; i++) {
        PyObject *word = PyLong_FromUnsignedLongLong(words[i]);
        if (word == NULL) {
            Py_CLEAR(stamp);
            break;
        }
        PyTuple_SET_ITEM(stamp, i, word);
    }
    return stamp;
#else
    Py_RETURN_NONE;
#endif
}

const char census_young_check_doc[] =
    "_young_census_check(field=None, value=0, *, keep=False)\n"
    "--\n\n"
    "Whether census_instances may take young censuses on this CPython:\n"
    "None when it may, else why not (then every census is full).  For\n"
    "tests, field ('version', the running CPython's as sys.hexversion\n"
    "spells it, or a gc field of _Py_DebugOffsets) is taken to be value;\n"
    "with keep=True that holds for every census until the next call with\n"
    "keep=True (field None: none).";

PyObject *
census_young_check_binding(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"field", "value", "keep", NULL};
    const char *field = NULL;
    unsigned long long value = 0;
    int keep = 0;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zK$p:_young_census_check",
                                     kwlist, &field, &value, &keep))
    {
        return NULL;
    }
    if (field != NULL && (!compat_young_has_field(field) ||
                          strlen(field) >= sizeof(young_override_name)))
    {
        return PyErr_Format(PyExc_ValueError,
                            "field must be 'version' or a field the young "
                            "census check compares on this CPython, not "
                            "'%s'",
                            field);
    }
    if (keep) {
        snprintf(young_override_name, sizeof(young_override_name), "%s",
                 field != NULL ? field : "");
        young_override_value = value;
    }
    char message[512];
    if (compat_young_census_check(field, value, message, sizeof(message)) ==
        0)
    {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(message);
}

/* {id: type} of the w->count objects found. */
static PyObject *
instances_dict(const instances_t *w)
{
    PyObject *result = PyDict_New();
    for (size_t i = 0; result != NULL && i < w->count; i++) {
        PyObject *key = PyLong_FromVoidPtr(w->found[i]);
        if (key == NULL ||
            PyDict_SetItem(result, key, (PyObject *)Py_TYPE(w->found[i])) < 0)
        {
            Py_XDECREF(key);
            Py_CLEAR(result);
            break;
        }
        Py_DECREF(key);
    }
    return result;
}

PyObject *
census_instances(PyObject *classes, PyObject *since)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(classes); i++) {
        if (!PyType_Check(PyTuple_GET_ITEM(classes, i))) {
            PyErr_Format(PyExc_TypeError,
                         "classes must be a tuple of classes, not one holding "
                         "%.100s",
                         Py_TYPE(PyTuple_GET_ITEM(classes, i))->tp_name);
            return NULL;
        }
    }
    if (since != Py_None && !PyTuple_Check(since)) {
        PyErr_Format(PyExc_TypeError,
                     "since must be a stamp (a tuple) or None, not %.100s",
                     Py_TYPE(since)->tp_name);
        return NULL;
    }
    instances_t w;
    memset(&w, 0, sizeof(w));
    w.classes = classes;
    PyObject *result = NULL, *stamp = NULL, *found = NULL;
    /* no collection from the stamp to the last item: the stamp stays
     * true, and every object found stays alive until its type is read */
    int was_enabled = PyGC_Disable();
    stamp = stamp_now();
    int young = 0;
    if (stamp != NULL && stamp != Py_None && since != Py_None) {
        young = PyObject_RichCompareBool(stamp, since, Py_EQ);
    }
    if (young < 0 || stamp == NULL) {
        goto done;
    }
    int status = 0;
    if (PyTuple_GET_SIZE(classes) > 0) {
#if COMPAT_YOUNG_CENSUS
        status = young ? compat_gc_foreach_young(instances_visit, &w)
                       : compat_gc_foreach(instances_visit, &w);
#else
        status = compat_gc_foreach(instances_visit, &w);
#endif
    }
    if (status == 0 && (found = instances_dict(&w)) != NULL) {
        result = Py_BuildValue("(OOO)", stamp, found,
                               young ? Py_True : Py_False);
    }
done:
    if (was_enabled) {
        PyGC_Enable();
    }
    Py_XDECREF(stamp);
    Py_XDECREF(found);
    PyMem_RawFree(w.found);
    return result;
}

/* ------------------------------------------------------------------ */
/* Snapshots of ids                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t address;
    uint64_t type;
} pair_t;

typedef struct {
    tally_t tally;
    pair_t *pairs;
    size_t count;
    size_t capacity;
} snapshot_t;

static int
snapshot_visit(PyObject *op, void *arg)
{
    snapshot_t *s = (snapshot_t *)arg;
    if (array_grow((void **)&s->pairs, &s->capacity, s->count + 1,
                   sizeof(*s->pairs)) < 0)
    {
        return -1;
    }
    s->pairs[s->count].address = (uint64_t)(uintptr_t)op;
    s->pairs[s->count].type = (uint64_t)(uintptr_t)Py_TYPE(op);
    s->count++;
    return tally_add(&s->tally, op) == PTRMAP_NONE ? -1 : 0;
}

static int
compare_pairs(const void *a, const void *b)
{
    const pair_t *x = (const pair_t *)a, *y = (const pair_t *)b;
    if (x->address != y->address) {
        return x->address < y->address ? -1 : 1;
    }
    return (x->type > y->type) - (x->type < y->type);
}

PyObject *
census_snapshot(void)
{
    snapshot_t s;
    memset(&s, 0, sizeof(s));
    if (tally_init(&s.tally) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    int was_enabled = PyGC_Disable();
    if (compat_gc_foreach(snapshot_visit, &s) == 0) {
        if (s.count > 1) {
            qsort(s.pairs, s.count, sizeof(pair_t), compare_pairs);
        }
        PyObject *rows = type_rows(&s.tally);
        PyObject *pairs = rows ? PyBytes_FromStringAndSize(
                                     (const char *)s.pairs,
                                     (Py_ssize_t)(s.count * sizeof(pair_t)))
                               : NULL;
        if (pairs != NULL) {
            result = PyTuple_Pack(2, rows, pairs);
        }
        Py_XDECREF(rows);
        Py_XDECREF(pairs);
    }
    if (was_enabled) {
        PyGC_Enable();
    }
    PyMem_RawFree(s.pairs);
    tally_free(&s.tally);
    return result;
}

static int
compare_by_type(const void *a, const void *b)
{
    const pair_t *x = (const pair_t *)a, *y = (const pair_t *)b;
    if (x->type != y->type) {
        return x->type < y->type ? -1 : 1;
    }
    return (x->address > y->address) - (x->address < y->address);
}

/* The list of (type_id, [address, ...]) of n pairs sorted by type. */
static PyObject *
group_by_type(const pair_t *pairs, size_t n)
{
    PyObject *groups = PyList_New(0);
    size_t i = 0;
    while (groups != NULL && i < n) {
        size_t end = i;
        while (end < n && pairs[end].type == pairs[i].type) {
            end++;
        }
        PyObject *addresses = PyList_New((Py_ssize_t)(end - i));
        for (size_t k = i; addresses != NULL && k < end; k++) {
            PyObject *address = PyLong_FromUnsignedLongLong(pairs[k].address);
            if (address == NULL) {
                Py_CLEAR(addresses);
                break;
            }
            PyList_SET_ITEM(addresses, (Py_ssize_t)(k - i), address);
        }
        PyObject *group =
            addresses ? Py_BuildValue("(KN)", (unsigned long long)pairs[i].type,
                                      addresses)
                      : NULL;
        if (group == NULL || PyList_Append(groups, group) < 0) {
            Py_XDECREF(group);
            Py_CLEAR(groups);
            break;
        }
        Py_DECREF(group);
        i = end;
    }
    return groups;
}

PyObject *
census_new_ids(PyObject *before, PyObject *after)
{
    Py_ssize_t nb = PyBytes_GET_SIZE(before), na = PyBytes_GET_SIZE(after);
    if (nb % (Py_ssize_t)sizeof(pair_t) || na % (Py_ssize_t)sizeof(pair_t)) {
        PyErr_SetString(PyExc_ValueError,
                        "not a snapshot made by census_snapshot()");
        return NULL;
    }
    const pair_t *old = (const pair_t *)PyBytes_AS_STRING(before);
    const pair_t *now = (const pair_t *)PyBytes_AS_STRING(after);
    size_t nold = (size_t)nb / sizeof(pair_t);
    size_t nnow = (size_t)na / sizeof(pair_t);
    pair_t *fresh = PyMem_RawMalloc((nnow ? nnow : 1) * sizeof(pair_t));
    if (fresh == NULL) {
        return PyErr_NoMemory();
    }
    /* both sorted by (address, type): one merge */
    size_t i = 0, j = 0, nfresh = 0;
    while (j < nnow) {
        while (i < nold && compare_pairs(&old[i], &now[j]) < 0) {
            i++;
        }
        if (i < nold && compare_pairs(&old[i], &now[j]) == 0) {
            j++;
            continue;
        }
        fresh[nfresh++] = now[j++];
    }
    if (nfresh > 1) {
        qsort(fresh, nfresh, sizeof(pair_t), compare_by_type);
    }
    PyObject *groups = group_by_type(fresh, nfresh);
    PyMem_RawFree(fresh);
    return groups;
}

/* ------------------------------------------------------------------ */
/* Objects no reference of the graph points to                         */
/* ------------------------------------------------------------------ */

typedef struct {
    heap_t heap;
    roots_t roots;
    deadline_t deadline;
    uint32_t *graph_seen; /* references from graph edges only */
    node_t *candidates;
    size_t ncandidates;
} leaks_t;

static void
leaks_free(leaks_t *l)
{
    PyMem_RawFree(l->graph_seen);
    PyMem_RawFree(l->candidates);
    roots_free(&l->roots);
    heap_free(&l->heap);
}

/* Frame and thread-state references that hold node n (a local of a
 * running frame is a root, not a leak); whyalive's own frames and the
 * arguments of the call into it do not count. */
static Py_ssize_t
root_refs(const roots_t *r, node_t n)
{
    size_t count;
    size_t first = roots_refs_of(r, n, &count);
    Py_ssize_t held = 0;
    for (size_t k = 0; k < count; k++) {
        const root_ref_t *ref = &r->refs[r->by_node[first + k]];
        held += ref->root != 0;
    }
    return held;
}

static int
leaks_index(leaks_t *l, PyObject *objects, PyObject *excluded,
            PyObject *tool_prefix)
{
    heap_t *h = &l->heap;
    if (heap_init(h, &l->deadline) < 0 || heap_enumerate(h) < 0) {
        return -1;
    }
    size_t tracked = h->count;
    size_t n = objects ? (size_t)PySequence_Fast_GET_SIZE(objects) : tracked;
    l->candidates = PyMem_RawMalloc((n ? n : 1) * sizeof(node_t));
    if (l->candidates == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        node_t node = (node_t)i;
        if (objects != NULL) {
            node = heap_add(h, PySequence_Fast_ITEMS(objects)[i]);
            if (node == NODE_NONE) {
                return -1;
            }
        }
        l->candidates[l->ncandidates++] = node;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(excluded); i++) {
        node_t node = heap_add(h, PyTuple_GET_ITEM(excluded, i));
        if (node == NODE_NONE) {
            return -1;
        }
        h->flags[node] |= NODE_EXCLUDED;
    }
    if (roots_collect(&l->roots, h, tool_prefix, NULL) < 0 ||
        heap_traverse_all(h) < 0)
    {
        return -1;
    }
    /* what the graph shows, before the roots add their references */
    l->graph_seen = PyMem_RawMalloc((h->count ? h->count : 1) *
                                    sizeof(uint32_t));
    if (l->graph_seen == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t x = 0; x < h->count; x++) {
        l->graph_seen[x] = heap_seen(h, (node_t)x);
    }
    for (node_t x = 0; x < h->count; x++) {
        if (!(h->flags[x] & NODE_EXCLUDED)) {
            continue;
        }
        for (uint64_t e = heap_row_start(h, x); e < heap_row_end(h, x); e++) {
            node_t y = EDGE_NODE(h->edges[e]);
            if (l->graph_seen[y] > 0 && l->graph_seen[y] != UINT32_MAX) {
                l->graph_seen[y]--;
            }
        }
    }
    return roots_account(&l->roots, h);
}

static PyObject *
leaks_result(leaks_t *l)
{
    heap_t *h = &l->heap;
    PyObject *result = PyList_New(0);
    for (size_t i = 0; result != NULL && i < l->ncandidates; i++) {
        node_t n = l->candidates[i];
        if (l->graph_seen[n] != 0 || (h->flags[n] & NODE_EXCLUDED) ||
            root_refs(&l->roots, n) != 0)
        {
            continue;
        }
        PyObject *op = h->objs[n];
        int immortal = compat_is_immortal(op);
        Py_ssize_t outside = heap_unseen_references(h, n);
        /* a tuple C code may be building (see drop_unfinished) */
        if (tuple_unfinished(op) || (tuple_held_once(op) && outside == 1)) {
            continue;
        }
        PyObject *row = Py_BuildValue(
            "(Onn)", op, immortal ? (Py_ssize_t)-1 : compat_refcount(op),
            immortal ? (Py_ssize_t)-1 : outside);
        if (row == NULL || PyList_Append(result, row) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(row);
    }
    return result;
}

PyObject *
census_leaking(PyObject *objects, PyObject *excluded, PyObject *tool_prefix)
{
    leaks_t l;
    memset(&l, 0, sizeof(l));
    PyObject *result = NULL;
    int was_enabled = PyGC_Disable();
    if (leaks_index(&l, objects, excluded, tool_prefix) == 0) {
        result = leaks_result(&l);
    }
    if (was_enabled) {
        PyGC_Enable();
    }
    leaks_free(&l);
    return result;
}
