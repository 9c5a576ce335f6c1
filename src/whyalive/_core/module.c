/* module.c: whyalive._core, the bindings.  Glue only: argument parsing,
 * module state, and one call into the engine per function. */
#include "paths.h"
#include "roots.h"

typedef struct {
    PyObject *partial_type; /* functools.partial, to fold its .args */
    Py_ssize_t partial_args_offset;
    Py_ssize_t partial_keywords_offset;
} module_state;

static inline module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

PyDoc_STRVAR(
    find_paths_doc,
    "find_paths(targets, excluded_objects, excluded_ids, tool_prefix=None,\n"
    "           instances_of=None, max_depth=-1, max_paths=3, timeout=0.0,\n"
    "           stack_tables=None, want_objects=False)\n"
    "--\n\n"
    "Walk the heap once and return the retainer paths of the targets.\n\n"
    "targets: tuple of objects; instances_of: a tuple of classes whose\n"
    "instances (subclasses included) are targets too.  excluded_objects: tuple of\n"
    "objects never shown as retainers; excluded_ids: tuple of int ids,\n"
    "the same, matched but never dereferenced.  tool_prefix: source path\n"
    "prefix of frames that belong to the tool.  max_depth: references per\n"
    "path, -1 for no limit.  timeout: seconds, 0 for none.  stack_tables:\n"
    "{code: bytes}, native uint16 stack depth before each code unit, for\n"
    "reading the temporaries of running frames (whyalive._stack).\n\n"
    "Returns (partial, targets, stats, objects):\n"
    "  partial: None, 'timeout' or 'max_depth';\n"
    "  targets: list of (id, type_name, name, refcount, seen, unseen,\n"
    "           status, paths, omitted) tuples, explicit targets first;\n"
    "           refcount and unseen are -1 for immortal objects; status\n"
    "           is 'rooted', 'external', 'garbage', 'uncollectable',\n"
    "           'unreferenced', 'depth_limit' or 'timeout'; omitted\n"
    "           counts retainers of the target not shown;\n"
    "  paths: list of (root, edges, length), shortest first, where\n"
    "         root is (kind, name, detail) and edges is a tuple of\n"
    "         (referrer_type, referrer_id, label, kind, referrer_name)\n"
    "         from the target outward;\n"
    "  stats: (nodes, edges, threads, frames, index_seconds,\n"
    "          search_seconds, total_seconds);\n"
    "  objects: None, or the list of targets when want_objects.");

static PyObject *
find_paths(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {
        "targets",      "excluded_objects", "excluded_ids", "tool_prefix",
        "instances_of", "max_depth",        "max_paths",    "timeout",
        "stack_tables", "want_objects",     NULL,
    };
    module_state *state = get_state(module);
    PyObject *tool_prefix = Py_None, *instances_of = Py_None;
    PyObject *stack_tables = Py_None;
    int want_objects = 0;
    query_t q;
    memset(&q, 0, sizeof(q));
    q.max_depth = -1;
    q.max_paths = 3;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "O!O!O!|OOnndOp:find_paths", kwlist, &PyTuple_Type,
            &q.targets, &PyTuple_Type, &q.excluded_objects, &PyTuple_Type,
            &q.excluded_ids, &tool_prefix, &instances_of, &q.max_depth,
            &q.max_paths, &q.timeout, &stack_tables, &want_objects))
    {
        return NULL;
    }
    if (tool_prefix != Py_None && !PyUnicode_Check(tool_prefix)) {
        return PyErr_Format(PyExc_TypeError,
                            "tool_prefix must be a str or None, not %.100s",
                            Py_TYPE(tool_prefix)->tp_name);
    }
    if (instances_of != Py_None) {
        if (!PyTuple_Check(instances_of)) {
            return PyErr_Format(PyExc_TypeError,
                                "instances_of must be a tuple of classes or "
                                "None, not %.100s",
                                Py_TYPE(instances_of)->tp_name);
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(instances_of); i++) {
            if (!PyType_Check(PyTuple_GET_ITEM(instances_of, i))) {
                PyErr_SetString(PyExc_TypeError,
                                "instances_of must hold classes only");
                return NULL;
            }
        }
    }
    if (q.max_paths < 1) {
        PyErr_SetString(PyExc_ValueError, "max_paths must be at least 1");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(q.excluded_ids); i++) {
        if (!PyLong_Check(PyTuple_GET_ITEM(q.excluded_ids, i))) {
            PyErr_SetString(PyExc_TypeError, "excluded_ids must hold ints");
            return NULL;
        }
    }
    if (stack_tables != Py_None && !PyDict_CheckExact(stack_tables)) {
        return PyErr_Format(PyExc_TypeError,
                            "stack_tables must be a dict or None, not %.100s",
                            Py_TYPE(stack_tables)->tp_name);
    }
    q.stack_tables = stack_tables == Py_None ? NULL : stack_tables;
    q.tool_prefix = tool_prefix == Py_None ? NULL : tool_prefix;
    q.instances_of = instances_of == Py_None ? NULL : instances_of;
    q.want_objects = want_objects;
    q.partial_type = (PyTypeObject *)state->partial_type;
    q.partial_args_offset = state->partial_args_offset;
    q.partial_keywords_offset = state->partial_keywords_offset;
    return paths_explain(&q);
}

PyDoc_STRVAR(allocation_traceback_doc,
             "allocation_traceback(obj)\n--\n\n"
             "Where tracemalloc saw obj's memory allocated: a tuple of\n"
             "(filename, lineno) tuples, most recent call first, or None when\n"
             "tracemalloc did not trace it.  Unlike\n"
             "tracemalloc.get_object_traceback, it finds instances whose\n"
             "memory starts before the GC header (3.11 managed dicts).");

static PyObject *
allocation_traceback(PyObject *module, PyObject *obj)
{
    (void)module;
    return compat_allocation_traceback(obj);
}

PyDoc_STRVAR(running_code_doc,
             "running_code()\n--\n\n"
             "The code objects of every frame of every thread, innermost\n"
             "first per thread, read without creating frame objects.");

static PyObject *
running_code(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return roots_running_code();
}

static PyMethodDef core_methods[] = {
    {"find_paths", (PyCFunction)(void (*)(void))find_paths,
     METH_VARARGS | METH_KEYWORDS, find_paths_doc},
    {"running_code", running_code, METH_NOARGS, running_code_doc},
    {"allocation_traceback", allocation_traceback, METH_O,
     allocation_traceback_doc},
    {NULL, NULL, 0, NULL},
};

/* The offset of an object member of a C type, or -1. */
static Py_ssize_t
member_offset(PyTypeObject *tp, const char *name)
{
    for (PyMemberDef *m = tp->tp_members; m != NULL && m->name != NULL; m++) {
        if (strcmp(m->name, name) == 0 &&
            (m->type == T_OBJECT || m->type == T_OBJECT_EX))
        {
            return m->offset;
        }
    }
    return -1;
}

static int
core_exec(PyObject *module)
{
#ifdef WHYALIVE_FREE_THREADED
    PyErr_SetString(PyExc_ImportError,
                    "whyalive does not support the free-threaded build of "
                    "CPython yet: its heap walk needs the GIL");
    return -1;
#endif
    module_state *state = get_state(module);
    state->partial_args_offset = -1;
    state->partial_keywords_offset = -1;
    PyObject *functools = PyImport_ImportModule("functools");
    if (functools == NULL) {
        return -1;
    }
    PyObject *partial = PyObject_GetAttrString(functools, "partial");
    Py_DECREF(functools);
    if (partial == NULL) {
        return -1;
    }
    if (PyType_Check(partial)) {
        PyTypeObject *tp = (PyTypeObject *)partial;
        state->partial_args_offset = member_offset(tp, "args");
        state->partial_keywords_offset = member_offset(tp, "keywords");
        state->partial_type = partial;
    }
    else {
        Py_DECREF(partial);
    }
    return 0;
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->partial_type);
    return 0;
}

static int
core_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->partial_type);
    return 0;
}

static void
core_free(void *module)
{
    core_clear((PyObject *)module);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(core_doc,
             "whyalive's C core: one heap walk answers why objects are alive.");

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "whyalive._core",
    .m_doc = core_doc,
    .m_size = sizeof(module_state),
    .m_methods = core_methods,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
