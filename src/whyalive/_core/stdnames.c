/* stdnames.c: references held by the stdlib's C types, named by hand.
 *
 * The general rules of names.c (dict entries, items, tp_members) leave
 * the stdlib's own C types as "<referent #k of Type>": an lru_cache's
 * cache, an asyncio Future's callbacks, a thread-local's per-thread
 * attributes, a Context's variables.  Each is named here as code would
 * name it ("<cache>[(1, 2)]", "._callbacks[0][0]",
 * "<attributes in thread 'worker'>.conn", "<value of ContextVar
 * 'current_request'>").
 *
 * What may be called: the type's own tp_traverse (which visits, never
 * runs code), the getters and no-argument methods of _asyncio's own
 * Future and Task types, found in the _asyncio module's dict (a type
 * that only shares the name is never called), dict reads with exact
 * str keys.  No user code runs.
 */
#include "names.h"
#include "nogc.h"
#include "probes.h"

/* The types, found once per query in the modules that define them
 * (heap types differ between interpreters and may be freed between
 * queries): NULL when the module is not imported. */
struct stdnames {
    PyTypeObject *lru;    /* functools._lru_cache_wrapper */
    PyTypeObject *future; /* _asyncio.Future */
    PyTypeObject *task;   /* _asyncio.Task */
    PyTypeObject *local;  /* _thread._local */
    PyTypeObject *pattern;  /* re.Pattern */
    PyTypeObject *textio;   /* _io.TextIOWrapper */
    PyTypeObject *fileio;   /* _io.FileIO */
    PyTypeObject *newlines; /* _io.IncrementalNewlineDecoder */
    PyTypeObject *decoder;  /* codecs.IncrementalDecoder */
    PyTypeObject *encoder;  /* codecs.IncrementalEncoder */
    PyTypeObject *dummy;  /* _thread._localdummy: a thread's key */
    PyObject *threads;    /* threading._active: {ident: Thread}, borrowed */
    PyTypeObject *positional[32]; /* the types of positional_types below */
    PyTypeObject *getters[8];     /* the types of getter_types below */
    nogc_t nogc; /* extension types without GC support (numpy) */
};

/* The HAMT behind contextvars: static types of the core, the same for
 * the life of the process; found once, under the GIL, from a context
 * made for the purpose (they are not exported). */
static PyTypeObject *hamt_type, *hamt_bitmap_type, *hamt_array_type;
/* The dealloc every class a class statement makes shares (CPython's
 * subtype_dealloc, not exported either). */
static destructor class_dealloc;
static int hidden_types_searched;

/* ------------------------------------------------------------------ */
/* Finding the types                                                   */
/* ------------------------------------------------------------------ */

static PyObject *
module_global(const char *module, const char *name)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    if (modules == NULL || !PyDict_Check(modules)) {
        return NULL;
    }
    PyObject *mod = names_dict_get_str(modules, module);
    if (mod == NULL || !PyModule_Check(mod)) {
        return NULL;
    }
    PyObject *dict = PyModule_GetDict(mod);
    return dict != NULL ? names_dict_get_str(dict, name) : NULL;
}

static PyTypeObject *
module_type(const char *module, const char *name)
{
    PyObject *tp = module_global(module, name);
    return tp != NULL && PyType_Check(tp) ? (PyTypeObject *)tp : NULL;
}

/* Types whose references have no names of their own (no members, no
 * attributes): the objects their constructors took, by the position in
 * which their tp_traverse visits them (after their type, for heap
 * types), the same on 3.10-3.15 (tests/core/test_stdlib_names.py
 * holds them to gc.get_referents).  The fields visited are never NULL
 * before those named, except chain's (its iterables, once exhausted).  A
 * label starting with '+' is a container kept inside the object: a
 * path folds the step into the next ("<iterables>[0] of map"). */
typedef struct {
    const char *module; /* the module that defines it, or NULL */
    const char *name;   /* its name there */
    PyTypeObject *builtin;
    const char *labels[5];
} positional_t;

static const positional_t positional_types[] = {
    {NULL, "map", &PyMap_Type, {"+<iterables>", "<function>"}},
    {NULL, "filter", &PyFilter_Type, {"<iterator>", "<function>"}},
    {NULL, "zip", &PyZip_Type, {"+<iterators>", "<result>"}},
    {NULL, "enumerate", &PyEnum_Type, {"<iterator>", "<result>"}},
    {NULL, "reversed", &PyReversed_Type, {"<sequence>"}},
    {NULL, "list_iterator", &PyListIter_Type, {"<sequence>"}},
    {NULL, "list_reverseiterator", &PyListRevIter_Type, {"<sequence>"}},
    {NULL, "tuple_iterator", &PyTupleIter_Type, {"<sequence>"}},
    {NULL, "iterator", &PySeqIter_Type, {"<sequence>"}},
    {NULL, "callable_iterator", &PyCallIter_Type, {"<callable>", "<sentinel>"}},
    {NULL, "mappingproxy", &PyDictProxy_Type, {"+<mapping>"}},
    {"itertools", "chain", NULL, {"<iterables>", "<current iterator>"}},
    {"itertools", "cycle", NULL, {"<iterator>", "+<saved items>"}},
    {"itertools", "islice", NULL, {"<iterator>"}},
    {"itertools", "starmap", NULL, {"<iterator>", "<function>"}},
    {"itertools", "takewhile", NULL, {"<iterator>", "<predicate>"}},
    {"itertools", "dropwhile", NULL, {"<iterator>", "<predicate>"}},
    {"itertools", "filterfalse", NULL, {"<iterator>", "<function>"}},
    {"itertools", "repeat", NULL, {"<object>"}},
    {"itertools", "compress", NULL, {"<data>", "<selectors>"}},
    {"itertools", "zip_longest", NULL, {"+<iterators>", "<result>", "<fillvalue>"}},
    /* its arguments (3.13: after the name) and keywords, and 3.15+ the
     * vector it calls with */
    {"_operator", "methodcaller", NULL,
     {"<name>", "+<arguments>", "+<keywords>", "+<call arguments>",
      "+<call keyword names>"}},
};

/* Types whose fields are read through their own getters (they are
 * getters, not members, on some versions): the getter of the type found
 * in its module, by name, never a look-alike's. */
typedef struct {
    const char *module;
    const char *name;
    const char *getters[2];
} getters_t;

static const getters_t getter_types[] = {
    {"_io", "TextIOWrapper", {"buffer", "encoding"}},
    {"_io", "BufferedReader", {"raw"}},
    {"_io", "BufferedWriter", {"raw"}},
    {"_io", "BufferedRandom", {"raw"}},
};
#define NGETTERS (sizeof(getter_types) / sizeof(getter_types[0]))
#define NPOSITIONAL (sizeof(positional_types) / sizeof(positional_types[0]))

static PyObject *visited_of_type(PyObject *op, const char *tp_name);

/* The type of a thread-local's per-thread keys (not exported): from a
 * thread-local made for the purpose, given an attribute in this
 * thread.  Only _thread's own C code runs. */
static PyTypeObject *
find_local_dummy_type(PyTypeObject *local_type)
{
    if (local_type == NULL) {
        return NULL;
    }
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyTypeObject *found = NULL;
    PyObject *local = PyObject_CallNoArgs((PyObject *)local_type);
    if (local != NULL && PyObject_SetAttrString(local, "whyalive", Py_None) == 0) {
        PyObject *dicts = visited_of_type(local, "dict");
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        if (dicts != NULL && PyDict_Next(dicts, &pos, &key, &value)) {
            if (PyWeakref_CheckRefExact(key)) {
                key = ((PyWeakReference *)key)->wr_object;
            }
            found = key != Py_None ? Py_TYPE(key) : NULL;
        }
    }
    Py_XDECREF(local);
    PyErr_Clear();
    PyErr_Restore(exc_type, exc_value, exc_tb);
    return found;
}

static struct stdnames *
stdnames_get(names_t *nm)
{
    if (nm->std != NULL) {
        return nm->std;
    }
    struct stdnames *st = PyMem_RawCalloc(1, sizeof(*st));
    if (st == NULL) {
        return NULL;
    }
    st->lru = module_type("_functools", "_lru_cache_wrapper");
    st->future = module_type("_asyncio", "Future");
    st->task = module_type("_asyncio", "Task");
    st->local = module_type("_thread", "_local");
    st->pattern = module_type("re", "Pattern");
    st->textio = module_type("_io", "TextIOWrapper");
    st->fileio = module_type("_io", "FileIO");
    st->newlines = module_type("_io", "IncrementalNewlineDecoder");
    st->decoder = module_type("codecs", "IncrementalDecoder");
    st->encoder = module_type("codecs", "IncrementalEncoder");
    st->dummy = find_local_dummy_type(st->local);
    nogc_init(&st->nogc);
    for (size_t i = 0; i < NPOSITIONAL; i++) {
        const positional_t *p = &positional_types[i];
        st->positional[i] = p->module ? module_type(p->module, p->name)
                                      : p->builtin;
    }
    for (size_t i = 0; i < NGETTERS; i++) {
        st->getters[i] = module_type(getter_types[i].module, getter_types[i].name);
    }
        PyObject *active = module_global("threading", "_active");
    st->threads = active != NULL && PyDict_CheckExact(active) ? active : NULL;
    nm->std = st;
    return st;
}

void
stdnames_free(names_t *nm)
{
    PyMem_RawFree(nm->std);
    nm->std = NULL;
}

/* What op's own tp_traverse visits, in order (borrowed). */
typedef struct {
    PyObject **items;
    Py_ssize_t n, capacity;
    int failed;
} visited_t;

static int
visit_collect(PyObject *op, void *arg)
{
    visited_t *v = (visited_t *)arg;
    if (v->n == v->capacity) {
        Py_ssize_t capacity = v->capacity ? 2 * v->capacity : 16;
        PyObject **items = PyMem_RawRealloc(v->items, capacity * sizeof(PyObject *));
        if (items == NULL) {
            v->failed = 1;
            return -1;
        }
        v->items = items;
        v->capacity = capacity;
    }
    v->items[v->n++] = op;
    return 0;
}

static int
visit_all(PyObject *op, visited_t *v)
{
    memset(v, 0, sizeof(*v));
    traverseproc traverse = Py_TYPE(op)->tp_traverse;
    if (traverse != NULL) {
        (void)traverse(op, visit_collect, v);
    }
    if (v->failed) {
        PyMem_RawFree(v->items);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The first object op's traversal visits whose type is named tp_name. */
static PyObject *
visited_of_type(PyObject *op, const char *tp_name)
{
    visited_t v;
    if (visit_all(op, &v) < 0) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *found = NULL;
    for (Py_ssize_t i = 0; i < v.n && found == NULL; i++) {
        if (strcmp(Py_TYPE(v.items[i])->tp_name, tp_name) == 0) {
            found = v.items[i];
        }
    }
    PyMem_RawFree(v.items);
    return found;
}

/* The types the core does not export, found once, under the GIL: the
 * HAMT's from a context made for the purpose, class_dealloc from a
 * class made by type() with an empty namespace (which runs only
 * object's own C __init_subclass__). */
static void
find_hidden_types(void)
{
    if (hidden_types_searched) {
        return;
    }
    hidden_types_searched = 1;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    /* a new context with enough variables that its root is an array
     * node (a bitmap node holds at most 16 entries) */
    PyObject *ctx = PyContext_New();
    if (ctx != NULL && PyContext_Enter(ctx) == 0) {
        for (int i = 0; i < 64; i++) {
            PyObject *var = PyContextVar_New("whyalive", NULL);
            PyObject *token = var ? PyContextVar_Set(var, Py_None) : NULL;
            Py_XDECREF(token);
            Py_XDECREF(var);
            if (token == NULL) {
                break;
            }
        }
        (void)PyContext_Exit(ctx);
        PyObject *hamt = visited_of_type(ctx, "hamt");
        PyObject *root = hamt ? visited_of_type(hamt, "hamt_array_node") : NULL;
        PyObject *node = visited_of_type(root ? root : hamt, "hamt_bitmap_node");
        hamt_type = hamt ? Py_TYPE(hamt) : NULL;
        hamt_array_type = root ? Py_TYPE(root) : NULL;
        hamt_bitmap_type = node ? Py_TYPE(node) : NULL;
    }
    Py_XDECREF(ctx);
    PyErr_Clear();
    PyObject *cls = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O)N",
                                          "whyalive_class_probe",
                                          (PyObject *)&PyBaseObject_Type,
                                          PyDict_New());
    if (cls != NULL && PyType_Check(cls)) {
        class_dealloc = ((PyTypeObject *)cls)->tp_dealloc;
    }
    Py_XDECREF(cls);
    PyErr_Clear();
    PyErr_Restore(exc_type, exc_value, exc_tb);
}

/* Is op an instance of classes that class statements made, over object
 * alone?  No type this file names can be among its bases then: each has
 * a C layout, which would be one of them. */
static int
is_plain_instance(PyObject *op)
{
    find_hidden_types();
    PyTypeObject *tp = Py_TYPE(op);
    while (tp != NULL && tp != &PyBaseObject_Type) {
        if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || class_dealloc == NULL ||
            tp->tp_dealloc != class_dealloc)
        {
            return 0;
        }
        tp = tp->tp_base;
    }
    return tp == &PyBaseObject_Type;
}

static int
is_hamt_node(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    return tp != NULL &&
           (tp == hamt_bitmap_type || tp == hamt_array_type ||
            /* collisions are too rare to make one, and on 3.13t the
             * probe's variables may share hash bits so that no array
             * node forms: a static type of this name, which only the
             * core defines */
            (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
             /* every object of every static type comes here: the
              * first letter turns nearly all away before strcmp */
             tp->tp_name[0] == 'h' &&
             (strcmp(tp->tp_name, "hamt_collision_node") == 0 ||
              strcmp(tp->tp_name, "hamt_array_node") == 0) &&
             tp->tp_traverse != NULL));
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */
/* ------------------------------------------------------------------ */

static int
put_str(raw_label_t *out, int kind, int role, const char *text)
{
    return names_set_label(out, kind, role, PyUnicode_FromString(text));
}

/* "<prefix>[key]" with key's safe repr. */
static int
put_keyed(names_t *nm, raw_label_t *out, const char *prefix, PyObject *key)
{
    PyObject *repr = names_safe_repr(nm, key);
    if (repr == NULL) {
        return -1;
    }
    out->key = key;
    int r = names_set_label(out, EDGE_KIND_KEY, ROLE_PLAIN,
                PyUnicode_FromFormat("%s[%U]", prefix, repr));
    Py_DECREF(repr);
    return r;
}

static int
is_lru_entry_type(PyObject *op)
{
    return PyType_Check(op) &&
           strcmp(((PyTypeObject *)op)->tp_name, "functools._lru_list_elem") == 0;
}

/* functools.lru_cache: the cache (a dict when unbounded, the linked
 * entries' keys and results, visited in turn, when bounded) and the
 * wrapped function. */
static int
label_lru(names_t *nm, PyObject *op, PyObject *child, raw_label_t *out)
{
    PyObject *own = compat_instance_dict(op);
    if (PyDict_CheckExact(child) && child != own) {
        return put_str(out, EDGE_KIND_ATTR, ROLE_CACHE, "<cache>");
    }
    if (own != NULL && PyDict_Check(own) &&
        names_dict_get_str(own, "__wrapped__") == child)
    {
        return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, ".__wrapped__");
    }
    visited_t v;
    if (visit_all(op, &v) < 0) {
        return -1;
    }
    int r = 0;
    /* each entry: its key, its result, then its type; the wrapper's own
     * field holding that type comes last (after the function and the
     * keyword marker, which are no entry) */
    Py_ssize_t last = -1;
    for (Py_ssize_t i = 0; i < v.n; i++) {
        if (is_lru_entry_type(v.items[i])) {
            last = i;
        }
    }
    for (Py_ssize_t i = 0; i + 2 < last && r == 0; i++) {
        if (!is_lru_entry_type(v.items[i + 2])) {
            continue;
        }
        if (v.items[i + 1] == child) {
            r = put_keyed(nm, out, "<cache>", v.items[i]);
        }
        else if (v.items[i] == child) {
            r = put_str(out, EDGE_KIND_DICT_KEY, ROLE_PLAIN, "<cache key>");
        }
    }
    PyMem_RawFree(v.items);
    if (r != 0) {
        return r;
    }
    /* its plumbing: the marker between positional and keyword
     * arguments in keys, the entries' type, the cache_info() type */
    if (Py_TYPE(child) == &PyBaseObject_Type) {
        return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, "<keyword marker>");
    }
    if (is_lru_entry_type(child)) {
        return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, "<entry type>");
    }
    if (PyType_Check(child) && child != (PyObject *)Py_TYPE(op) &&
        strcmp(((PyTypeObject *)child)->tp_name, "CacheInfo") == 0)
    {
        return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, "<cache_info type>");
    }
    return 0;
}

/* A getter of the real _asyncio type named `name`, or NULL. */
static PyGetSetDef *
find_getset(PyTypeObject *tp, const char *name)
{
    for (PyGetSetDef *gs = tp ? tp->tp_getset : NULL; gs && gs->name; gs++) {
        if (strcmp(gs->name, name) == 0 && gs->get != NULL) {
            return gs;
        }
    }
    return NULL;
}

static PyObject *
call_getter(struct stdnames *st, PyObject *op, const char *name)
{
    PyGetSetDef *gs = find_getset(st->future, name);
    if (gs == NULL && st->task != NULL && PyObject_TypeCheck(op, st->task)) {
        gs = find_getset(st->task, name);
    }
    PyObject *value = gs ? gs->get(op, gs->closure) : NULL;
    if (value == NULL) {
        PyErr_Clear();
    }
    return value;
}

static PyObject *
call_method(PyTypeObject *tp, PyObject *op, const char *name)
{
    for (PyMethodDef *m = tp ? tp->tp_methods : NULL; m && m->ml_name; m++) {
        if (strcmp(m->ml_name, name) == 0 && m->ml_flags == METH_NOARGS) {
            PyObject *value = m->ml_meth(op, NULL);
            if (value == NULL) {
                PyErr_Clear();
            }
            return value;
        }
    }
    return NULL;
}

/* asyncio's C Future and Task: the fields their own getters return,
 * named as asyncio's Python code names them. */
static int
label_future(struct stdnames *st, PyObject *op, PyObject *child,
             raw_label_t *out)
{
    static const char *const fields[][2] = {
        {"_coro", ".get_coro()"},
        {"_loop", ".get_loop()"},
        {"_result", "._result"},
        {"_exception", "._exception"},
        {"_fut_waiter", "._fut_waiter"},
        {"_source_traceback", "._source_traceback"},
        {"_cancel_message", "._cancel_message"},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        PyObject *value = call_getter(st, op, fields[i][0]);
        int same = value == child;
        Py_XDECREF(value);
        if (same) {
            return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, fields[i][1]);
        }
    }
    if (st->task != NULL && PyObject_TypeCheck(op, st->task)) {
        PyObject *context = call_method(st->task, op, "get_context");
        int same = context == child;
        Py_XDECREF(context);
        if (same) {
            return put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, ".get_context()");
        }
    }
    /* a new list of (callback, context) tuples: the first made for
     * the purpose, the others the future's own */
    PyObject *callbacks = call_getter(st, op, "_callbacks");
    int r = 0;
    Py_ssize_t n = callbacks && PyList_Check(callbacks) ? PyList_GET_SIZE(callbacks)
                                                        : 0;
    for (Py_ssize_t k = 0; k < n && r == 0; k++) {
        PyObject *entry = PyList_GET_ITEM(callbacks, k);
        for (Py_ssize_t j = 0; PyTuple_Check(entry) && j < PyTuple_GET_SIZE(entry);
             j++)
        {
            if (PyTuple_GET_ITEM(entry, j) == child) {
                r = names_set_label(out, EDGE_KIND_INDEX, ROLE_PLAIN,
                        PyUnicode_FromFormat("._callbacks[%zd][%zd]", k, j));
                break;
            }
        }
    }
    if (r == 0 && n > 1 && PyList_CheckExact(child) && PyList_GET_SIZE(child) > 0 &&
        PyList_GET_ITEM(child, 0) == PyList_GET_ITEM(callbacks, 1))
    {
        r = put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, "._callbacks[1:]");
    }
    Py_XDECREF(callbacks);
    return r;
}

/* A thread-local's per-thread key: the thread's dummy object (3.13+),
 * or a weak reference to it. */
static PyObject *
local_dummy(struct stdnames *st, PyObject *key)
{
    if (st->dummy == NULL) {
        return NULL;
    }
    if (PyWeakref_CheckRefExact(key)) {
        key = ((PyWeakReference *)key)->wr_object;
    }
    return key != NULL && Py_TYPE(key) == st->dummy ? key : NULL;
}

static int
is_local_dicts(struct stdnames *st, PyObject *dict)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    return PyDict_CheckExact(dict) && PyDict_Next(dict, &pos, &key, &value) &&
           local_dummy(st, key) != NULL;
}

/* An attribute of an instance, from its dict or inline values, if it is
 * an exact str; borrowed. */
static PyObject *
instance_str(PyObject *op, const char *name)
{
    PyObject **values;
    Py_ssize_t count;
    PyObject *found = NULL;
    if (compat_inline_values(op, &values, &count)) {
        for (Py_ssize_t i = 0; i < count && found == NULL; i++) {
            PyObject *key = compat_inline_value_name(op, i);
            if (values[i] != NULL && key != NULL && PyUnicode_CheckExact(key) &&
                PyUnicode_CompareWithASCIIString(key, name) == 0)
            {
                found = values[i];
            }
        }
    }
    PyObject *dict = found ? NULL : compat_instance_dict(op);
    if (dict != NULL && PyDict_Check(dict)) {
        found = names_dict_get_str(dict, name);
    }
    return found && PyUnicode_CheckExact(found) ? found : NULL;
}

/* "<attributes in thread 'name'>": the thread whose key the dummy is
 * (3.13+), or whose state dict holds it (a thread-local keeps one there
 * per thread that used it). */
static PyObject *
thread_attributes_label(struct stdnames *st, PyObject *dummy)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
         ts = PyThreadState_Next(ts))
    {
        PyObject *dict = compat_thread_field(ts, COMPAT_THREAD_DICT);
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        int holds = compat_thread_local_key(ts) == dummy;
        while (!holds && dict != NULL && PyDict_Check(dict) &&
               PyDict_Next(dict, &pos, &key, &value))
        {
            holds = value == dummy;
        }
        if (!holds) {
            continue;
        }
        PyObject *thread = NULL, *name = NULL;
        pos = 0;
        while (st->threads != NULL && thread == NULL &&
               PyDict_Next(st->threads, &pos, &key, &value))
        {
            if (PyLong_CheckExact(key) &&
                PyLong_AsUnsignedLong(key) == ts->thread_id)
            {
                thread = value;
            }
        }
        PyErr_Clear();
        name = thread ? instance_str(thread, "_name") : NULL;
        return name ? PyUnicode_FromFormat("<attributes in thread %R>", name)
                    : PyUnicode_FromFormat("<attributes in thread %#lx>",
                                           ts->thread_id);
    }
    return PyUnicode_FromString("<attributes in a finished thread>");
}

static int
label_local_dicts(struct stdnames *st, PyObject *dicts, PyObject *child,
                  raw_label_t *out)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value, *dummy;
    while (PyDict_Next(dicts, &pos, &key, &value)) {
        if (value == child && (dummy = local_dummy(st, key)) != NULL) {
            return names_set_label(out, EDGE_KIND_ATTR, ROLE_ATTR_DICT,
                       thread_attributes_label(st, dummy));
        }
    }
    return 0;
}

/* The name of a ContextVar used as a HAMT key, as its "name" member. */
static PyObject *
context_var_name(PyObject *var)
{
    if (!PyContextVar_CheckExact(var)) {
        return NULL;
    }
    for (PyMemberDef *m = PyContextVar_Type.tp_members; m && m->name; m++) {
        if (strcmp(m->name, "name") == 0 && m->type == T_OBJECT &&
            m->offset > 0)
        {
            PyObject *name = *(PyObject **)((char *)var + m->offset);
            return name && PyUnicode_CheckExact(name) ? name : NULL;
        }
    }
    return NULL;
}

/* A HAMT node visits its entries' values and keys in turn, from the
 * last down, and its sub-nodes alone. */
static int
label_hamt_node(names_t *nm, PyObject *node, PyObject *child, raw_label_t *out)
{
    if (is_hamt_node(child)) {
        return put_str(out, EDGE_KIND_ATTR, ROLE_INNER, "<variables>");
    }
    visited_t v;
    if (visit_all(node, &v) < 0) {
        return -1;
    }
    int r = 0;
    for (Py_ssize_t i = 0; i < v.n && r == 0; i++) {
        if (is_hamt_node(v.items[i])) {
            continue;
        }
        /* visited from the last slot down: a value, then its key */
        PyObject *value = v.items[i];
        PyObject *key = i + 1 < v.n ? v.items[++i] : NULL;
        PyObject *name = context_var_name(key);
        if (value == child) {
            r = name ? names_set_label(out, EDGE_KIND_ATTR, ROLE_PLAIN,
                           PyUnicode_FromFormat("<value of ContextVar %R>", name))
                     : put_keyed(nm, out, "", key);
        }
        else if (key == child) {
            r = name ? names_set_label(out, EDGE_KIND_DICT_KEY, ROLE_PLAIN,
                           PyUnicode_FromFormat("<ContextVar %R>", name))
                     : put_str(out, EDGE_KIND_DICT_KEY, ROLE_PLAIN, "<key>");
        }
    }
    PyMem_RawFree(v.items);
    return r;
}

/* The getter of one of getter_types that returns child, or NULL. */
static const char *
getter_label(struct stdnames *st, PyObject *op, PyObject *child)
{
    for (size_t t = 0; t < NGETTERS; t++) {
        if (st->getters[t] == NULL || !PyObject_TypeCheck(op, st->getters[t])) {
            continue;
        }
        for (int g = 0; g < 2 && getter_types[t].getters[g]; g++) {
            const char *name = getter_types[t].getters[g];
            PyGetSetDef *gs = find_getset(st->getters[t], name);
            PyObject *value = gs ? gs->get(op, gs->closure) : NULL;
            PyErr_Clear();
            int same = value == child;
            Py_XDECREF(value);
            if (same) {
                return name;
            }
        }
    }
    return NULL;
}

/* The parts a type holds that no probe can fill without running
 * Python code (a text stream's codecs) or whose fields are told apart
 * by their types: a thread-local's arguments for each thread's
 * __init__, a compiled pattern's group names, a text stream's codec
 * state.  NULL when child is none of them. */
static const char *
typed_label(struct stdnames *st, PyObject *op, PyObject *child)
{
    PyTypeObject *tp = Py_TYPE(op);
    if (st->local != NULL && PyObject_TypeCheck(op, st->local) &&
        child != compat_instance_dict(op))
    {
        return PyTuple_CheckExact(child)                                ? "<arguments>"
               : PyDict_CheckExact(child) && !is_local_dicts(st, child) ? "<keyword arguments>"
               : PyCFunction_Check(child) ? "<weak reference callback>"
               /* 3.13+: weak references that clear each thread's entry */
               : PyAnySet_CheckExact(child) ? "<thread watchdogs>"
                                            : NULL;
    }
    if (st->pattern != NULL && tp == st->pattern) {
        PyGetSetDef *gs = find_getset(st->pattern, "groupindex");
        PyObject *proxy = gs ? gs->get(op, gs->closure) : NULL;
        PyErr_Clear();
        int same = proxy != NULL && (proxy == child ||
                                     visited_of_type(proxy, "dict") == child);
        Py_XDECREF(proxy);
        return same                                ? ".groupindex"
               : PyTuple_CheckExact(child)         ? "<group names>"
                                                   : NULL;
    }
    if (st->textio == NULL || !PyObject_TypeCheck(op, st->textio)) {
        return NULL;
    }
    /* its members (buffer, encoding) are named as members */
    for (PyMemberDef *m = st->textio->tp_members; m && m->name; m++) {
        if ((m->type == T_OBJECT || m->type == T_OBJECT_EX) && m->offset > 0 &&
            *(PyObject **)((char *)op + m->offset) == child)
        {
            return NULL;
        }
    }
    PyTypeObject *ct = Py_TYPE(child);
    PyGetSetDef *gs = find_getset(st->textio, "errors");
    PyObject *errors = gs ? gs->get(op, gs->closure) : NULL;
    PyErr_Clear();
    int same = errors == child;
    Py_XDECREF(errors);
    if (same) {
        return "<errors>";
    }
    if ((st->newlines && PyType_IsSubtype(ct, st->newlines)) ||
        (st->decoder && PyType_IsSubtype(ct, st->decoder)))
    {
        return "<decoder>";
    }
    if (st->encoder && PyType_IsSubtype(ct, st->encoder)) {
        return "<encoder>";
    }
    if (st->fileio && PyType_IsSubtype(ct, st->fileio)) {
        return "<raw stream>"; /* its buffer's, kept for a fast path */
    }
    if (PyUnicode_CheckExact(child)) {
        return PyUnicode_CompareWithASCIIString(child, "\n") == 0 ||
                       PyUnicode_CompareWithASCIIString(child, "\r") == 0 ||
                       PyUnicode_CompareWithASCIIString(child, "\r\n") == 0
                   ? "<newline>"
                   : "<buffered text>";
    }
    return PyTuple_CheckExact(child) ? "<snapshot>"
           : PyList_CheckExact(child) || PyBytes_CheckExact(child) ? "<pending output>"
                                                                   : NULL;
}

/* The label of child among op's positional references, or NULL. */
static const char *
positional_label(struct stdnames *st, PyObject *op, PyObject *child, int *ok)
{
    *ok = 1;
    size_t t = 0;
    while (t < NPOSITIONAL && st->positional[t] != Py_TYPE(op)) {
        t++;
    }
    if (t == NPOSITIONAL || st->positional[t] == NULL) {
        return NULL;
    }
    visited_t v;
    if (visit_all(op, &v) < 0) {
        *ok = 0;
        return NULL;
    }
    Py_ssize_t first = v.n > 0 && v.items[0] == (PyObject *)Py_TYPE(op);
    const char *label = NULL;
    for (Py_ssize_t i = first; i < v.n && i - first < 5; i++) {
        if (v.items[i] == child) {
            label = positional_types[t].labels[i - first];
            break;
        }
    }
    PyMem_RawFree(v.items);
    return label;
}

int
stdnames_may_label(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    /* most references of a heap come from these: nothing here names
     * them (the checks below cost a capture a tenth of its time) */
    return !(tp == &PyList_Type || tp == &PyTuple_Type || is_plain_instance(op));
}

int
stdnames_names_objects(names_t *nm, PyObject *op)
{
    struct stdnames *st = stdnames_get(nm);
    return st != NULL && st->lru != NULL && Py_TYPE(op) == st->lru;
}

int
stdnames_label(names_t *nm, PyObject *op, PyObject *child, raw_label_t *out)
{
    PyTypeObject *tp = Py_TYPE(op);
    if (!stdnames_may_label(op)) {
        return 0;
    }
    find_hidden_types();
    if ((tp == &PyContext_Type || (hamt_type != NULL && tp == hamt_type)) &&
        (Py_TYPE(child) == hamt_type || is_hamt_node(child)))
    {
        return put_str(out, EDGE_KIND_ATTR, ROLE_INNER, "<variables>");
    }
    if (is_hamt_node(op)) {
        return label_hamt_node(nm, op, child, out);
    }
    struct stdnames *st = stdnames_get(nm);
    if (st == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (tp == &PyDict_Type) {
        return is_local_dicts(st, op) ? label_local_dicts(st, op, child, out)
                                      : 0;
    }
    if (st->lru != NULL && tp == st->lru) {
        return label_lru(nm, op, child, out);
    }
    int ok;
    const char *label = positional_label(st, op, child, &ok);
    if (!ok) {
        return -1;
    }
    Py_ssize_t index = -1;
    if (label == NULL) {
        label = probes_label(op, child, &index);
    }
    if (label != NULL && index >= 0) {
        out->index = index;
        return names_set_label(out, EDGE_KIND_INDEX, ROLE_PLAIN,
                   PyUnicode_FromFormat("%s[%zd]", label, index));
    }
    if (label != NULL) {
        /* '+': a container named in the path, '-': one folded away */
        return label[0] == '+'   ? put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, label + 1)
               : label[0] == '-' ? put_str(out, EDGE_KIND_ATTR, ROLE_INNER, label + 1)
                                 : put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, label);
    }
    if (st->future != NULL && PyObject_TypeCheck(op, st->future)) {
        return label_future(st, op, child, out);
    }
    const char *field;
    for (int i = 0; nogc_reference(&st->nogc, op, i, &field) != NULL; i++) {
        if (nogc_reference(&st->nogc, op, i, &field) == child) {
            return names_set_label(out, EDGE_KIND_ATTR, ROLE_PLAIN,
                                   PyUnicode_FromFormat(".%s", field));
        }
    }
    const char *getter = getter_label(st, op, child);
    if (getter != NULL) {
        return names_set_label(out, EDGE_KIND_ATTR, ROLE_PLAIN,
                   PyUnicode_FromFormat(".%s", getter));
    }
    if (st->local != NULL && PyObject_TypeCheck(op, st->local) &&
        child != compat_instance_dict(op) && is_local_dicts(st, child))
    {
        return put_str(out, EDGE_KIND_ATTR, ROLE_INNER, "<attributes per thread>");
    }
    const char *typed = typed_label(st, op, child);
    return typed ? put_str(out, EDGE_KIND_ATTR, ROLE_PLAIN, typed) : 0;
}

int
stdnames_is_inner(names_t *nm, PyObject *op, PyObject *child)
{
    PyTypeObject *tp = Py_TYPE(op);
    find_hidden_types();
    if (tp == &PyContext_Type) {
        return hamt_type != NULL && Py_TYPE(child) == hamt_type;
    }
    if (hamt_type != NULL && tp == hamt_type) {
        return is_hamt_node(child);
    }
    if (is_hamt_node(op)) {
        return is_hamt_node(child);
    }
    struct stdnames *st = stdnames_get(nm);
    if (st == NULL) {
        return 0;
    }
    if (tp == &PyDict_Type) {
        return PyDict_CheckExact(child) && is_local_dicts(st, op);
    }
    if (st->lru != NULL && tp == st->lru) {
        return PyDict_CheckExact(child) && child != compat_instance_dict(op);
    }
    int ok;
    const char *label = positional_label(st, op, child, &ok);
    if (!ok) {
        PyErr_Clear();
        return 0;
    }
    Py_ssize_t index;
    if (label == NULL) {
        label = probes_label(op, child, &index);
    }
    if (label != NULL) {
        return label[0] == '+' || label[0] == '-';
    }
    return st->local != NULL && PyObject_TypeCheck(op, st->local) &&
           is_local_dicts(st, child);
}

PyObject *
stdnames_object_name(names_t *nm, PyObject *op)
{
    struct stdnames *st = stdnames_get(nm);
    if (st == NULL || st->lru == NULL || Py_TYPE(op) != st->lru) {
        return NULL;
    }
    PyObject *own = compat_instance_dict(op);
    PyObject *name = own && PyDict_Check(own)
                         ? names_dict_get_str(own, "__qualname__")
                         : NULL;
    return name && PyUnicode_CheckExact(name) ? Py_NewRef(name) : NULL;
}
