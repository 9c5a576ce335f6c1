/* probes.c: fields of the stdlib's C types found by probe objects.
 *
 * Some C types keep references in fields that are neither members nor
 * visited in a fixed order: accumulate's function, running total and
 * initial value are each NULL or not; groupby's keys come and go; a
 * memoryview reaches its exporter through a managed buffer.  Their
 * layouts are private, so they are learned, once per process: an
 * object of the type is made for the purpose from fresh objects of our
 * own (plain object() instances, lists, tuples, floats; nothing a
 * program defined, and only C code runs: the stdlib's constructors and
 * next()), and each field is the aligned word of the object's memory
 * that holds one of them, among the references its tp_traverse visits.
 * An object held at two offsets names both (readnl and writenl alike);
 * a field no probe filled stays unnamed, never guessed.
 *
 * A referrer is matched by its type's tp_traverse function (or a
 * base's, for subclasses), which only the C module that defines the
 * type has: a type that merely shares a name is never read.
 */
#include "probes.h"

#define PROBE_MARKS 16
#define RECIPE_FIELDS 8

typedef struct {
    PyObject *made[PROBE_MARKS]; /* owned: released after the probe */
    int nmade;
    PyObject *objs[PROBE_MARKS]; /* borrowed from made or the probe */
    const char *labels[PROBE_MARKS];
    int n;
} probe_t;

typedef struct {
    const char *label; /* "-<buffer>": folded away; "*<items>": an array */
    Py_ssize_t offset;
    Py_ssize_t extent; /* > 0: an array of that many slots ("[i]") */
} field_t;

/* Builds one probe object (a new reference) from p's marks, or NULL
 * (no error set) where this version has no such type. */
typedef PyObject *(*build_t)(probe_t *p);

typedef struct {
    build_t build[2]; /* one probe per state the fields are filled in */
    traverseproc traverse;
    Py_ssize_t basicsize;
    field_t fields[RECIPE_FIELDS];
    int nfields;
} recipe_t;

/* ------------------------------------------------------------------ */
/* Making probes                                                       */
/* ------------------------------------------------------------------ */

static PyObject *
own(probe_t *p, PyObject *obj)
{
    if (obj == NULL || p->nmade == PROBE_MARKS) {
        Py_XDECREF(obj);
        return NULL;
    }
    p->made[p->nmade++] = obj;
    return obj;
}

/* Names obj (borrowed, kept alive by p or the probe) as label. */
static PyObject *
name(probe_t *p, PyObject *obj, const char *label)
{
    if (obj != NULL && p->n < PROBE_MARKS) {
        p->objs[p->n] = obj;
        p->labels[p->n++] = label;
    }
    return obj;
}

/* A fresh object() named label. */
static PyObject *
mark(probe_t *p, const char *label)
{
    return name(p, own(p, PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)),
                label);
}

/* iter([item, ...]) of n fresh objects, the first named first_label
 * (when not NULL). */
static PyObject *
iter_of(probe_t *p, Py_ssize_t n, const char *first_label, const char *label)
{
    PyObject *list = own(p, PyList_New(0));
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        /* the list keeps them */
        PyObject *item = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
        int failed = item == NULL || PyList_Append(list, item) < 0;
        Py_XDECREF(item);
        if (failed) {
            return NULL;
        }
        if (i == 0 && first_label != NULL) {
            name(p, item, first_label);
        }
    }
    return list ? name(p, own(p, PyObject_GetIter(list)), label) : NULL;
}

static PyObject *
module_attr(const char *module, const char *attr)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    PyObject *mod = modules && PyDict_Check(modules)
                        ? names_dict_get_str(modules, module)
                        : NULL;
    PyObject *dict = mod && PyModule_Check(mod) ? PyModule_GetDict(mod) : NULL;
    return dict ? names_dict_get_str(dict, attr) : NULL;
}

/* The C type `attr` of module (borrowed), or NULL. */
static PyObject *
c_type(const char *module, const char *attr)
{
    PyObject *tp = module_attr(module, attr);
    return tp && PyType_Check(tp) && ((PyTypeObject *)tp)->tp_traverse ? tp
                                                                        : NULL;
}

/* next(it) times n, the last item (new reference) or NULL. */
static PyObject *
advance(PyObject *it, int n)
{
    PyObject *item = NULL;
    for (int i = 0; it != NULL && i < n; i++) {
        Py_XDECREF(item);
        item = PyIter_Next(it);
    }
    return item;
}

/* The first object op's traversal visits that is a tuple of size n. */
typedef struct {
    Py_ssize_t size;
    const char *tp_name;
    PyObject *found;
} find_t;

static int
visit_find(PyObject *obj, void *arg)
{
    find_t *f = (find_t *)arg;
    if (f->found == NULL &&
        (f->tp_name ? strcmp(Py_TYPE(obj)->tp_name, f->tp_name) == 0
                    : PyTuple_CheckExact(obj) && PyTuple_GET_SIZE(obj) == f->size))
    {
        f->found = obj;
    }
    return 0;
}

static PyObject *
visited(PyObject *op, Py_ssize_t tuple_size, const char *tp_name)
{
    find_t f = {tuple_size, tp_name, NULL};
    if (op != NULL && Py_TYPE(op)->tp_traverse != NULL) {
        (void)Py_TYPE(op)->tp_traverse(op, visit_find, &f);
    }
    return f.found;
}

/* itertools.accumulate(it, func, initial=...); then, without them, a
 * running total after one step */
static PyObject *
build_accumulate(probe_t *p)
{
    PyObject *tp = c_type("itertools", "accumulate");
    PyObject *it = iter_of(p, 1, NULL, "<iterator>");
    PyObject *func = mark(p, "<function>");
    PyObject *initial = mark(p, "<initial>");
    PyObject *kw = own(p, it && func && initial
                              ? Py_BuildValue("{sOsO}", "func", func, "initial",
                                              initial)
                              : NULL);
    PyObject *args = own(p, it ? PyTuple_Pack(1, it) : NULL);
    return tp && kw && args ? PyObject_Call(tp, args, kw) : NULL;
}

static PyObject *
build_accumulate_total(probe_t *p)
{
    PyObject *tp = c_type("itertools", "accumulate");
    PyObject *it = iter_of(p, 2, "<total>", NULL);
    PyObject *acc = tp && it ? PyObject_CallOneArg(tp, it) : NULL;
    Py_XDECREF(advance(acc, 1));
    return acc;
}

/* functools.cmp_to_key(cmp)(obj): its comparison function */
static PyObject *
build_key_wrapper(probe_t *p)
{
    PyObject *cmp_to_key = module_attr("_functools", "cmp_to_key");
    PyObject *cmp = mark(p, "<comparison function>");
    PyObject *obj = mark(p, ".obj");
    PyObject *K = own(p, cmp_to_key && PyCFunction_Check(cmp_to_key) && cmp
                             ? PyObject_CallOneArg(cmp_to_key, cmp)
                             : NULL);
    return K && obj ? PyObject_CallOneArg(K, obj) : NULL;
}

/* combinations, combinations_with_replacement, permutations: the pool
 * (a tuple of the iterable's items) and the last result */
static PyObject *
build_pool(probe_t *p, const char *type_name)
{
    PyObject *tp = c_type("itertools", type_name);
    PyObject *list = own(p, PyList_New(0));
    PyObject *a = mark(p, NULL), *b = mark(p, NULL);
    if (tp == NULL || list == NULL || a == NULL || b == NULL ||
        PyList_Append(list, a) < 0 || PyList_Append(list, b) < 0)
    {
        return NULL;
    }
    PyObject *obj = PyObject_CallFunction(tp, "On", list, (Py_ssize_t)1);
    name(p, own(p, advance(obj, 1)), "<result>");
    name(p, visited(obj, 2, NULL), "<pool>");
    return obj;
}

static PyObject *
build_combinations(probe_t *p)
{
    return build_pool(p, "combinations");
}

static PyObject *
build_combinations_wr(probe_t *p)
{
    return build_pool(p, "combinations_with_replacement");
}

static PyObject *
build_permutations(probe_t *p)
{
    return build_pool(p, "permutations");
}

/* product([a], [b]): the pools (a tuple of tuples) and the last result */
static PyObject *
build_product(probe_t *p)
{
    PyObject *tp = c_type("itertools", "product");
    PyObject *a = own(p, PyList_New(1)), *b = own(p, PyList_New(1));
    if (tp == NULL || a == NULL || b == NULL) {
        return NULL;
    }
    PyList_SET_ITEM(a, 0, Py_NewRef(Py_None));
    PyList_SET_ITEM(b, 0, Py_NewRef(Py_None));
    PyObject *obj = PyObject_CallFunctionObjArgs(tp, a, b, NULL);
    name(p, own(p, advance(obj, 1)), "<result>");
    name(p, visited(obj, 2, NULL), "<pools>");
    return obj;
}

/* count(start, step) with floats: the next value and the step */
static PyObject *
build_count(probe_t *p)
{
    PyObject *tp = c_type("itertools", "count");
    PyObject *start = name(p, own(p, PyFloat_FromDouble(0.5)), "<next value>");
    PyObject *step = name(p, own(p, PyFloat_FromDouble(1.5)), "<step>");
    return tp && start && step ? PyObject_CallFunctionObjArgs(tp, start, step, NULL)
                               : NULL;
}

/* groupby over [(ka,), (kb,)] keyed by itemgetter(0), its first group
 * consumed: the target key ka, the current key kb and value (kb,). */
static PyObject *
groupby_probe(probe_t *p, PyObject **grouper)
{
    PyObject *tp = c_type("itertools", "groupby");
    PyObject *getter = c_type("_operator", "itemgetter");
    PyObject *keyfunc = name(p, own(p, getter ? PyObject_CallFunction(getter, "n",
                                                        (Py_ssize_t)0)
                                              : NULL),
                             "<key function>");
    PyObject *ka = mark(p, "<target key>"), *kb = mark(p, "<current key>");
    PyObject *va = own(p, ka ? PyTuple_Pack(1, ka) : NULL);
    PyObject *vb = name(p, own(p, kb ? PyTuple_Pack(1, kb) : NULL), "<current value>");
    PyObject *list = own(p, va && vb ? PyList_New(0) : NULL);
    if (tp == NULL || keyfunc == NULL || list == NULL ||
        PyList_Append(list, va) < 0 || PyList_Append(list, vb) < 0)
    {
        return NULL;
    }
    PyObject *it = name(p, own(p, PyObject_GetIter(list)), "<iterator>");
    PyObject *obj = it ? PyObject_CallFunctionObjArgs(tp, it, keyfunc, NULL) : NULL;
    PyObject *first = own(p, advance(obj, 1));
    *grouper = first && PyTuple_Check(first) && PyTuple_GET_SIZE(first) == 2
                   ? PyTuple_GET_ITEM(first, 1)
                   : NULL;
    Py_XDECREF(advance(*grouper, 2)); /* its item, then the end */
    PyErr_Clear();
    return obj;
}

static PyObject *
build_groupby(probe_t *p)
{
    PyObject *grouper;
    return groupby_probe(p, &grouper);
}

static PyObject *
build_grouper(probe_t *p)
{
    PyObject *grouper;
    PyObject *gb = name(p, own(p, groupby_probe(p, &grouper)), "<groupby>");
    return gb && grouper ? Py_NewRef(grouper) : NULL;
}

/* pairwise(it), one step in: the item kept for the next pair */
static PyObject *
build_pairwise(probe_t *p)
{
    PyObject *tp = c_type("itertools", "pairwise");
    PyObject *list = own(p, PyList_New(0));
    PyObject *a = mark(p, NULL), *b = mark(p, "<previous item>");
    PyObject *c = mark(p, NULL);
    if (tp == NULL || list == NULL || c == NULL || PyList_Append(list, a) < 0 ||
        PyList_Append(list, b) < 0 || PyList_Append(list, c) < 0)
    {
        return NULL;
    }
    PyObject *it = name(p, own(p, PyObject_GetIter(list)), "<iterator>");
    PyObject *obj = it ? PyObject_CallOneArg(tp, it) : NULL;
    name(p, own(p, advance(obj, 1)), "<result>");
    return obj;
}

/* tee(it): a copy, and the buffer its copies share (LINKCELLS items
 * each, chained: 60 items read make two) */
static PyObject *
tee_probe(probe_t *p, PyObject **data)
{
    PyObject *tee = module_attr("itertools", "tee");
    PyObject *it = iter_of(p, 60, "*<buffered items>", "<iterator>");
    PyObject *pair = own(p, tee && it ? PyObject_CallOneArg(tee, it) : NULL);
    PyObject *a = pair && PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2
                      ? PyTuple_GET_ITEM(pair, 0)
                      : NULL;
    *data = visited(a, -1, "itertools._tee_dataobject");
    Py_XDECREF(advance(a, 60));
    PyErr_Clear();
    return a;
}

static PyObject *
build_tee(probe_t *p)
{
    PyObject *data;
    PyObject *a = tee_probe(p, &data);
    /* read past the first buffer: the copy holds the second */
    name(p, visited(a, -1, "itertools._tee_dataobject"), "<buffer>");
    return Py_XNewRef(a);
}

static PyObject *
build_tee_data(probe_t *p)
{
    PyObject *data;
    (void)tee_probe(p, &data);
    name(p, visited(data, -1, "itertools._tee_dataobject"), "<next buffer>");
    return Py_XNewRef(data);
}

static PyObject *
build_batched(probe_t *p)
{
    PyObject *tp = c_type("itertools", "batched");
    PyObject *it = iter_of(p, 1, NULL, "<iterator>");
    return tp && it ? PyObject_CallFunction(tp, "On", it, (Py_ssize_t)1) : NULL;
}

/* memoryview(bytearray): its managed buffer, which holds the exporter */
static PyObject *
build_memoryview(probe_t *p)
{
    PyObject *exporter = own(p, PyByteArray_FromStringAndSize("probe", 5));
    PyObject *view = exporter ? PyMemoryView_FromObject(exporter) : NULL;
    name(p, visited(view, -1, "managedbuffer"), "-<buffer>");
    return view;
}

static PyObject *
build_managed_buffer(probe_t *p)
{
    PyObject *exporter =
        name(p, own(p, PyByteArray_FromStringAndSize("probe", 5)), ".obj");
    PyObject *view = own(p, exporter ? PyMemoryView_FromObject(exporter) : NULL);
    return Py_XNewRef(visited(view, -1, "managedbuffer"));
}

/* property().__set_name__(object, name) (3.12+ keeps the name) */
static PyObject *
build_property(probe_t *p)
{
    PyObject *prop = PyObject_CallNoArgs((PyObject *)&PyProperty_Type);
    PyObject *str = name(p, own(p, PyUnicode_FromString("whyalive probe")),
                         ".__name__");
    PyObject *set_name = prop ? PyObject_GetAttrString(prop, "__set_name__")
                              : NULL;
    PyObject *r = set_name && str
                      ? PyObject_CallFunctionObjArgs(set_name, &PyBaseObject_Type,
                                                     str, NULL)
                      : NULL;
    Py_XDECREF(r);
    Py_XDECREF(set_name);
    PyErr_Clear();
    return prop;
}

/* operator.itemgetter(a, b), attrgetter('a', 'b'): the items or names
 * (a tuple; attrgetter keeps each dotted name as a tuple of its parts) */
static PyObject *
build_itemgetter(probe_t *p)
{
    PyObject *tp = c_type("_operator", "itemgetter");
    PyObject *a = mark(p, NULL), *b = mark(p, NULL);
    PyObject *obj = tp && a && b ? PyObject_CallFunctionObjArgs(tp, a, b, NULL)
                                 : NULL;
    name(p, visited(obj, 2, NULL), "<items>");
    return obj;
}

static PyObject *
build_attrgetter(probe_t *p)
{
    PyObject *tp = c_type("_operator", "attrgetter");
    PyObject *obj = tp ? PyObject_CallFunction(tp, "ss", "a", "b") : NULL;
    name(p, visited(obj, 2, NULL), "<attribute names>");
    return obj;
}

/* the io types a stream is made of */
static PyObject *
build_bytesio(probe_t *p)
{
    PyObject *tp = c_type("_io", "BytesIO");
    PyObject *bytes = name(p, own(p, PyBytes_FromStringAndSize("probe", 5)),
                           "<contents>");
    return tp && bytes ? PyObject_CallOneArg(tp, bytes) : NULL;
}

static PyObject *
build_rwpair(probe_t *p)
{
    PyObject *tp = c_type("_io", "BufferedRWPair");
    PyObject *bytesio = c_type("_io", "BytesIO");
    PyObject *r = own(p, bytesio ? PyObject_CallNoArgs(bytesio) : NULL);
    PyObject *w = own(p, bytesio ? PyObject_CallNoArgs(bytesio) : NULL);
    PyObject *obj = tp && r && w ? PyObject_CallFunctionObjArgs(tp, r, w, NULL)
                                 : NULL;
    name(p, visited(obj, -1, "_io.BufferedReader"), "<reader>");
    name(p, visited(obj, -1, "_io.BufferedWriter"), "<writer>");
    return obj;
}

static PyObject *
build_newline_decoder(probe_t *p)
{
    PyObject *tp = c_type("_io", "IncrementalNewlineDecoder");
    PyObject *decoder = mark(p, "<decoder>");
    PyObject *errors = name(p, own(p, PyUnicode_FromString("whyalive probe")),
                            "<errors>");
    return tp && decoder && errors
               ? PyObject_CallFunction(tp, "OiO", decoder, 1, errors)
               : NULL;
}

/* StringIO with universal newlines: its newline decoder; with "\r\n",
 * the newline it reads and writes */
static PyObject *
build_stringio(probe_t *p)
{
    PyObject *tp = c_type("_io", "StringIO");
    PyObject *obj = tp ? PyObject_CallFunction(tp, "sO", "", Py_None) : NULL;
    name(p, visited(obj, -1, "_io.IncrementalNewlineDecoder"), "<newline decoder>");
    return obj;
}

static PyObject *
build_stringio_newline(probe_t *p)
{
    PyObject *tp = c_type("_io", "StringIO");
    PyObject *obj = tp ? PyObject_CallFunction(tp, "ss", "", "\r\n") : NULL;
    PyObject *nl = visited(obj, -1, "str");
    if (nl != NULL && PyUnicode_Check(nl) &&
        PyUnicode_CompareWithASCIIString(nl, "\r\n") == 0)
    {
        name(p, nl, "<newline>");
    }
    return obj;
}

static recipe_t recipes[] = {
    {.build = {build_accumulate, build_accumulate_total}},
    {.build = {build_key_wrapper}},
    {.build = {build_combinations}},
    {.build = {build_combinations_wr}},
    {.build = {build_permutations}},
    {.build = {build_product}},
    {.build = {build_count}},
    {.build = {build_groupby}},
    {.build = {build_grouper}},
    {.build = {build_pairwise}},
    {.build = {build_tee}},
    {.build = {build_tee_data}},
    {.build = {build_batched}},
    {.build = {build_memoryview}},
    {.build = {build_managed_buffer}},
    {.build = {build_property}},
    {.build = {build_itemgetter}},
    {.build = {build_attrgetter}},
    {.build = {build_bytesio}},
    {.build = {build_rwpair}},
    {.build = {build_newline_decoder}},
    {.build = {build_stringio, build_stringio_newline}},
};
#define NRECIPES (sizeof(recipes) / sizeof(recipes[0]))

/* ------------------------------------------------------------------ */
/* Learning the offsets                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    PyObject *want;
    int seen;
} seek_t;

static int
visit_seek(PyObject *obj, void *arg)
{
    seek_t *s = (seek_t *)arg;
    s->seen |= obj == s->want;
    return 0;
}

static void
add_field(recipe_t *r, const char *label, Py_ssize_t offset)
{
    for (int i = 0; i < r->nfields; i++) {
        if (r->fields[i].offset == offset) {
            return;
        }
    }
    if (r->nfields < RECIPE_FIELDS) {
        r->fields[r->nfields++] = (field_t){label, offset, 0};
    }
}

static void
learn(recipe_t *r, PyObject *obj, probe_t *p)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (tp->tp_traverse == NULL ||
        (r->traverse != NULL && r->traverse != tp->tp_traverse))
    {
        return;
    }
    r->traverse = tp->tp_traverse;
    r->basicsize = tp->tp_basicsize;
    for (int m = 0; m < p->n; m++) {
        if (p->labels[m] == NULL) {
            continue;
        }
        seek_t s = {p->objs[m], 0};
        (void)tp->tp_traverse(obj, visit_seek, &s);
        if (!s.seen) {
            continue; /* not a reference it owns */
        }
        for (Py_ssize_t off = sizeof(PyObject);
             off + (Py_ssize_t)sizeof(PyObject *) <= tp->tp_basicsize;
             off += sizeof(PyObject *))
        {
            if (*(PyObject **)((char *)obj + off) == p->objs[m]) {
                add_field(r, p->labels[m], off);
            }
        }
    }
}

static int learned;

void
probes_learn(void)
{
    if (learned) {
        return;
    }
    learned = 1;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    for (size_t i = 0; i < NRECIPES; i++) {
        for (int b = 0; b < 2 && recipes[i].build[b] != NULL; b++) {
            probe_t p;
            memset(&p, 0, sizeof(p));
            PyObject *obj = recipes[i].build[b](&p);
            PyErr_Clear();
            if (obj != NULL) {
                learn(&recipes[i], obj, &p);
            }
            Py_XDECREF(obj);
            for (int m = p.nmade - 1; m >= 0; m--) {
                Py_DECREF(p.made[m]);
            }
            PyErr_Clear();
        }
    }
    /* an array ("*<buffered items>": a tee's buffer) runs from its
     * first slot to the next field, or the end of the object */
    for (size_t i = 0; i < NRECIPES; i++) {
        recipe_t *r = &recipes[i];
        for (int f = 0; f < r->nfields; f++) {
            if (r->fields[f].label[0] != '*') {
                continue;
            }
            Py_ssize_t end = r->basicsize;
            for (int g = 0; g < r->nfields; g++) {
                Py_ssize_t off = r->fields[g].offset;
                end = off > r->fields[f].offset && off < end ? off : end;
            }
            r->fields[f].extent =
                (end - r->fields[f].offset) / (Py_ssize_t)sizeof(PyObject *);
        }
    }
    PyErr_Restore(exc_type, exc_value, exc_tb);
}

/* The recipe whose type (or a base of it) is op's, or NULL. */
static recipe_t *
recipe_of(PyObject *op)
{
    for (PyTypeObject *tp = Py_TYPE(op); tp != NULL; tp = tp->tp_base) {
        if (tp->tp_traverse == NULL) {
            continue;
        }
        for (size_t i = 0; i < NRECIPES; i++) {
            if (recipes[i].traverse == tp->tp_traverse &&
                Py_TYPE(op)->tp_basicsize >= recipes[i].basicsize)
            {
                return &recipes[i];
            }
        }
    }
    return NULL;
}

const char *
probes_label(PyObject *op, PyObject *child, Py_ssize_t *index)
{
    probes_learn();
    *index = -1;
    recipe_t *r = recipe_of(op);
    for (int i = 0; r != NULL && i < r->nfields; i++) {
        const field_t *f = &r->fields[i];
        PyObject **slot = (PyObject **)((char *)op + f->offset);
        for (Py_ssize_t k = 0; k < (f->extent > 0 ? f->extent : 1); k++) {
            if (slot[k] == child) {
                *index = f->extent > 0 ? k : -1;
                return f->extent > 0 ? f->label + 1 : f->label;
            }
        }
    }
    return NULL;
}
