/* sizes.c: the shallow size of an object, without running Python code.
 *
 * The rule (docs/snapshots.md):
 * - when the __sizeof__ a type resolves to (along its MRO, read from the
 *   types' dicts) is a builtin's C method (a method descriptor of a
 *   static type, taking no arguments), that C function gives the size,
 *   as sys.getsizeof() would ask it;
 * - otherwise (a __sizeof__ written in Python, or one that fails) the
 *   layout gives it: basic size + items * item size + inline values;
 * - either way plus what sits before the object in memory (the GC header
 *   and, from 3.11, the managed dict/weakref pre-header), as
 *   sys.getsizeof() adds it.
 * So for built-in types the size is what sys.getsizeof() says; for
 * everything else, what the object's own memory block takes.
 */
#include "snapshot.h"
#include "array.h"
#include "names.h"
#include "ptrmap.h"

typedef PyObject *(*sizeof_fn)(PyObject *, PyObject *);

struct sizes_cache {
    ptrmap_t by_type; /* type -> index in fns */
    sizeof_fn *fns;
    size_t nfns, capacity;
};

sizes_cache_t *
sizes_cache_new(void)
{
    sizes_cache_t *c = PyMem_RawCalloc(1, sizeof(*c));
    if (c == NULL || ptrmap_init(&c->by_type, 256) < 0) {
        PyMem_RawFree(c);
        PyErr_NoMemory();
        return NULL;
    }
    return c;
}

void
sizes_cache_free(sizes_cache_t *c)
{
    if (c != NULL) {
        ptrmap_free(&c->by_type);
        PyMem_RawFree(c->fns);
        PyMem_RawFree(c);
    }
}

/* The builtin C __sizeof__ tp resolves to, or NULL. */
static sizeof_fn
resolve_sizeof(PyTypeObject *tp)
{
    PyObject *mro = tp->tp_mro;
    if (mro == NULL || !PyTuple_Check(mro)) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *base = PyTuple_GET_ITEM(mro, i);
        if (!PyType_Check(base)) {
            continue;
        }
        PyObject *dict = compat_type_dict((PyTypeObject *)base);
        PyObject *found = dict != NULL && PyDict_Check(dict)
                              ? names_dict_get_str(dict, "__sizeof__")
                              : NULL;
        if (found == NULL) {
            continue;
        }
        if (!Py_IS_TYPE(found, &PyMethodDescr_Type)) {
            return NULL; /* written in Python, or something else */
        }
        PyMethodDescrObject *descr = (PyMethodDescrObject *)found;
        PyTypeObject *owner = PyDescr_TYPE(descr);
        PyMethodDef *def = descr->d_method;
        if (owner == NULL || (owner->tp_flags & Py_TPFLAGS_HEAPTYPE) ||
            def == NULL || def->ml_meth == NULL ||
            (def->ml_flags & (METH_VARARGS | METH_KEYWORDS | METH_O |
                              METH_NOARGS | METH_FASTCALL)) != METH_NOARGS)
        {
            return NULL;
        }
        return (sizeof_fn)(void (*)(void))def->ml_meth;
    }
    return NULL;
}

static sizeof_fn
cached_sizeof(sizes_cache_t *c, PyTypeObject *tp)
{
    uint32_t i = ptrmap_get(&c->by_type, tp);
    if (i != PTRMAP_NONE) {
        return c->fns[i];
    }
    sizeof_fn fn = resolve_sizeof(tp);
    if (array_grow((void **)&c->fns, &c->capacity, c->nfns + 1,
                       sizeof(sizeof_fn)) == 0 &&
        ptrmap_put(&c->by_type, tp, (uint32_t)c->nfns, NULL) >= 0)
    {
        c->fns[c->nfns++] = fn;
    }
    PyErr_Clear(); /* failing to remember is not an error */
    return fn;
}

static Py_ssize_t
layout_size(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    Py_ssize_t size = tp->tp_basicsize;
    if (tp->tp_itemsize != 0) {
        Py_ssize_t items = Py_SIZE(op);
        size += (items < 0 ? -items : items) * tp->tp_itemsize;
    }
    return size + compat_inline_values_size(tp);
}

Py_ssize_t
sizes_shallow(sizes_cache_t *c, PyObject *op)
{
    sizeof_fn fn = cached_sizeof(c, Py_TYPE(op));
    Py_ssize_t size = -1;
    if (fn != NULL) {
        PyObject *result = fn(op, NULL);
        if (result != NULL && PyLong_CheckExact(result)) {
            size = PyLong_AsSsize_t(result);
        }
        Py_XDECREF(result);
        if (size < 0) {
            PyErr_Clear();
        }
    }
    if (size < 0) {
        size = layout_size(op);
    }
    return size + compat_preheader_size(op);
}
