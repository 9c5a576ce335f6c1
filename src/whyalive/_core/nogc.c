/* nogc.c: references held by objects without GC support (nogc.h). */
#include "nogc.h"
#include <stddef.h>

/* numpy's PyArrayObject_fields (numpy/ndarraytypes.h), the prefix read
 * here: public and the same from numpy 1.7 to 2.x. */
typedef struct {
    PyObject_HEAD
    char *data;
    int nd;
    Py_ssize_t *dimensions; /* npy_intp */
    Py_ssize_t *strides;
    PyObject *base; /* what the array's memory belongs to, or NULL */
    PyObject *descr;
    int flags;
} numpy_array_prefix;

/* The type named `name` in the dict of module `module`, borrowed. */
static PyTypeObject *
module_type(const char *module, const char *name)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    if (modules == NULL || !PyDict_Check(modules)) {
        return NULL;
    }
    PyObject *key, *value, *found = NULL;
    Py_ssize_t pos = 0;
    while (found == NULL && PyDict_Next(modules, &pos, &key, &value)) {
        if (PyUnicode_CheckExact(key) &&
            PyUnicode_CompareWithASCIIString(key, module) == 0 &&
            PyModule_Check(value))
        {
            found = value;
        }
    }
    PyObject *dict = found ? PyModule_GetDict(found) : NULL;
    pos = 0;
    while (dict != NULL && PyDict_Next(dict, &pos, &key, &value)) {
        if (PyUnicode_CheckExact(key) &&
            PyUnicode_CompareWithASCIIString(key, name) == 0)
        {
            return PyType_Check(value) ? (PyTypeObject *)value : NULL;
        }
    }
    return NULL;
}

void
nogc_init(nogc_t *g)
{
    memset(g, 0, sizeof(*g));
    PyTypeObject *tp = module_type("numpy", "ndarray");
    /* numpy's own: a static type without GC support, of its name and
     * at least the documented size */
    if (tp != NULL && !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
        !(tp->tp_flags & Py_TPFLAGS_HAVE_GC) &&
        strcmp(tp->tp_name, "numpy.ndarray") == 0 &&
        (size_t)tp->tp_basicsize >= sizeof(numpy_array_prefix))
    {
        g->ndarray = tp;
    }
}

int
nogc_is_known(const nogc_t *g, PyObject *op)
{
    return g->ndarray != NULL && PyObject_TypeCheck(op, g->ndarray);
}

PyObject *
nogc_reference(const nogc_t *g, PyObject *op, int i, const char **label)
{
    if (i != 0 || !nogc_is_known(g, op)) {
        return NULL;
    }
    *label = "base";
    return ((numpy_array_prefix *)op)->base;
}

int
nogc_traverse(const nogc_t *g, PyObject *op, visitproc visit, void *arg)
{
    const char *label;
    PyObject *ref;
    for (int i = 0; (ref = nogc_reference(g, op, i, &label)) != NULL; i++) {
        int r = visit(ref, arg);
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

int
nogc_types(const nogc_t *g, PyTypeObject **out)
{
    int n = 0;
    if (g->ndarray != NULL) {
        out[n++] = g->ndarray;
    }
    return n;
}
