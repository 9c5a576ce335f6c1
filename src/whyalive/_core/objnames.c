/* objnames.c: the names objects and types carry, and the class of a
 * type that says how its references are labelled.
 *
 * A type's class is found once per walk (a small cache by its address:
 * no type is freed while a walk runs, since no Python code runs), so
 * that labelling a million references of one class does not test each
 * referrer against every kind of object names.c knows.
 */
#include "names.h"

/* The class of objects of op's type, by the same tests on op that
 * names.c's labellers would make (each depends on the type alone). */
static int
classify(names_t *nm, PyObject *op)
{
    int cls = PyDict_Check(op)                 ? CLASS_DICT
              : PyList_Check(op)               ? CLASS_LIST
              : PyTuple_Check(op)              ? CLASS_TUPLE
              : PyAnySet_Check(op)             ? CLASS_SET
              : names_deque_base(op) != NULL   ? CLASS_DEQUE
              : PyCell_Check(op)               ? CLASS_CELL
              : PyFunction_Check(op)           ? CLASS_FUNCTION
              : PyMethod_Check(op)             ? CLASS_METHOD
              : PyCFunction_Check(op)          ? CLASS_CFUNCTION
              : PyType_Check(op)               ? CLASS_TYPE
              : PyModule_Check(op)             ? CLASS_MODULE
              : PyFrame_Check(op)              ? CLASS_FRAME
              : compat_is_generator_like(op)   ? CLASS_GENERATOR
              : PyTraceBack_Check(op)          ? CLASS_TRACEBACK
              : PyExceptionInstance_Check(op)  ? CLASS_EXCEPTION
              : PyCode_Check(op)               ? CLASS_CODE
              : PyWeakref_Check(op)            ? CLASS_WEAKREF
                                               : CLASS_INSTANCE;
    if (stdnames_may_label(op)) {
        cls |= CLASS_STDNAMES;
    }
    if (stdnames_names_objects(nm, op)) {
        cls |= CLASS_STDNAMES_NAMED;
    }
    return cls;
}

int
names_type_class(names_t *nm, PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    size_t slot = (size_t)(((uintptr_t)tp * 0x9E3779B97F4A7C15ull) >>
                           (64 - NAMES_CLASS_BITS));
    if (nm->type_classes[slot].type == tp) {
        return nm->type_classes[slot].cls;
    }
    int cls = classify(nm, op);
    nm->type_classes[slot].type = tp;
    nm->type_classes[slot].cls = (uint8_t)cls;
    return cls;
}


PyObject *
names_exact_str(PyObject *s)
{
    /* a copy unless s is an exact str (unicode_result_unchanged) */
    return PyUnicode_Substring(s, 0, PyUnicode_GET_LENGTH(s));
}

PyObject *
names_str_or(PyObject *s, PyObject *fallback)
{
    if (s != NULL && PyUnicode_Check(s)) {
        return names_exact_str(s);
    }
    return Py_NewRef(fallback);
}

static PyObject *
compute_type_name(PyTypeObject *tp)
{
    if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return PyUnicode_FromString(tp->tp_name);
    }
    PyObject *qualname = ((PyHeapTypeObject *)tp)->ht_qualname;
    if (qualname == NULL || !PyUnicode_Check(qualname)) {
        return PyUnicode_FromString(tp->tp_name);
    }
    PyObject *module = NULL;
    if (tp->tp_dict != NULL && PyDict_Check(tp->tp_dict)) {
        module = names_dict_get_str(tp->tp_dict, "__module__");
    }
    if (module == NULL || !PyUnicode_CheckExact(module) ||
        PyUnicode_CompareWithASCIIString(module, "builtins") == 0)
    {
        return names_exact_str(qualname);
    }
    return PyUnicode_FromFormat("%U.%U", module, qualname);
}

PyObject *
names_type_name(names_t *nm, PyTypeObject *tp)
{
    size_t slot = ((uintptr_t)tp >> 5) & 255;
    if (nm->recent_types[slot].type == tp) {
        return Py_NewRef(nm->recent_types[slot].name);
    }
    PyObject *key = PyLong_FromVoidPtr(tp);
    if (key == NULL) {
        return NULL;
    }
    PyObject *name = PyDict_GetItemWithError(nm->type_names, key);
    if (name != NULL) {
        Py_DECREF(key);
        nm->recent_types[slot].type = tp;
        nm->recent_types[slot].name = name;
        return Py_NewRef(name);
    }
    if (PyErr_Occurred() || (name = compute_type_name(tp)) == NULL ||
        PyDict_SetItem(nm->type_names, key, name) < 0)
    {
        Py_DECREF(key);
        Py_XDECREF(name);
        return NULL;
    }
    Py_DECREF(key);
    nm->recent_types[slot].type = tp;
    nm->recent_types[slot].name = name; /* the dict keeps it */
    return name;
}

static PyObject *
str_or_empty(PyObject *s)
{
    if (s != NULL && PyUnicode_Check(s)) {
        return names_exact_str(s);
    }
    return PyUnicode_FromString("");
}

/* The classes whose objects carry a name. */
static int
class_has_name(int cls)
{
    switch (cls & CLASS_KIND) {
    case CLASS_FUNCTION: case CLASS_METHOD: case CLASS_CFUNCTION:
    case CLASS_TYPE: case CLASS_MODULE: case CLASS_CODE: case CLASS_FRAME:
    case CLASS_GENERATOR:
        return 1;
    default:
        return (cls & CLASS_STDNAMES_NAMED) != 0;
    }
}

int
names_has_name(names_t *nm, PyObject *op)
{
    return class_has_name(names_type_class(nm, op));
}

PyObject *
names_object_name(names_t *nm, PyObject *op)
{
    int cls = names_type_class(nm, op);
    switch (cls & CLASS_KIND) {
    case CLASS_FUNCTION:
        return str_or_empty(((PyFunctionObject *)op)->func_qualname);
    case CLASS_METHOD: {
        PyObject *func = PyMethod_GET_FUNCTION(op);
        return PyFunction_Check(func)
                   ? str_or_empty(((PyFunctionObject *)func)->func_qualname)
                   : PyUnicode_FromString("");
    }
    case CLASS_CFUNCTION:
        return PyUnicode_FromString(((PyCFunctionObject *)op)->m_ml->ml_name);
    case CLASS_TYPE:
        return names_type_name(nm, (PyTypeObject *)op);
    case CLASS_MODULE: {
        PyObject *dict = PyModule_GetDict(op);
        return str_or_empty(dict ? names_dict_get_str(dict, "__name__") : NULL);
    }
    case CLASS_CODE:
        return str_or_empty(compat_code_qualname((PyCodeObject *)op));
    case CLASS_FRAME: {
        int owns;
        compat_frame *data = compat_frame_object_data(op, &owns);
        PyCodeObject *co = data ? compat_frame_code(data) : NULL;
        return str_or_empty(co ? compat_code_qualname(co) : NULL);
    }
    case CLASS_GENERATOR:
        return str_or_empty(((PyGenObject *)op)->gi_qualname);
    default:
        break;
    }
    PyObject *name = (cls & CLASS_STDNAMES_NAMED) ? stdnames_object_name(nm, op)
                                                  : NULL;
    return name ? name : PyUnicode_FromString("");
}
