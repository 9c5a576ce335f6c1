/* names.c: label a reference by what holds it, without running code.
 *
 * Each referrer type has a labeller that compares the referent with the
 * referrer's own fields, entries or items; what nothing names falls back
 * to "<referent #k of Type>", k being the position of the reference in
 * the referrer's tp_traverse.  Only builtin C code is called: PyDict_Next,
 * tp_members offsets, the deque's own C iterator, repr() of exact str,
 * bytes, int and float.
 */
#include "names.h"
#include "probes.h"

const char *const edge_kind_names[EDGE_KIND_COUNT] = {
    "key", "dict_key", "index", "element",
    "attr", "closure", "local", "referent",
};

#define MAX_REPR_CHARS 60
#define MAX_REPR_TUPLE 8
#define MAX_REPR_DEPTH 3

int
names_init(names_t *nm)
{
    memset(nm, 0, sizeof(*nm));
    /* before any walk borrows GC headers: the probes make objects */
    probes_learn();
    nm->type_names = PyDict_New();
    return nm->type_names != NULL ? 0 : -1;
}

void
names_free(names_t *nm)
{
    Py_CLEAR(nm->type_names);
    stdnames_free(nm);
    PyMem_RawFree(nm->big_values);
    PyMem_RawFree(nm->big_keys);
    for (size_t i = 0; i < sizeof(nm->attr_texts) / sizeof(nm->attr_texts[0]); i++) {
        Py_CLEAR(nm->attr_texts[i].text);
    }
    for (size_t i = 0; i < sizeof(nm->inline_texts) / sizeof(nm->inline_texts[0]); i++) {
        Py_CLEAR(nm->inline_texts[i].name);
        Py_CLEAR(nm->inline_texts[i].text);
    }
    memset(nm, 0, sizeof(*nm));
}

void
names_raw_clear(raw_label_t *label)
{
    Py_CLEAR(label->text);
    label->key = NULL;
}

PyObject *
names_dict_get_str(PyObject *dict, const char *name)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (PyUnicode_CheckExact(key) &&
            PyUnicode_CompareWithASCIIString(key, name) == 0)
        {
            return value;
        }
    }
    return NULL;
}

static int
is_identifier(PyObject *s)
{
    return s != NULL && PyUnicode_CheckExact(s) && PyUnicode_IsIdentifier(s) == 1;
}

/* The last dotted part of a type's name: "Widget" for app.Widget. */
static PyObject *
short_type_name(PyTypeObject *tp)
{
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyObject *qualname = ((PyHeapTypeObject *)tp)->ht_qualname;
        if (qualname != NULL && PyUnicode_Check(qualname)) {
            return names_exact_str(qualname);
        }
    }
    const char *dot = strrchr(tp->tp_name, '.');
    return PyUnicode_FromString(dot ? dot + 1 : tp->tp_name);
}

/* ------------------------------------------------------------------ */
/* Safe repr                                                           */
/* ------------------------------------------------------------------ */

static PyObject *
opaque_repr(PyObject *op)
{
    PyObject *short_name = short_type_name(Py_TYPE(op));
    if (short_name == NULL) {
        return NULL;
    }
    PyObject *text = PyUnicode_FromFormat("<%U at %p>", short_name, (void *)op);
    Py_DECREF(short_name);
    return text;
}

/* repr() of an exact builtin scalar, shortened when long. */
static PyObject *
scalar_repr(PyObject *op)
{
    PyObject *source = op;
    int cut = 0;
    if (PyUnicode_CheckExact(op) && PyUnicode_GET_LENGTH(op) > MAX_REPR_CHARS) {
        source = PyUnicode_Substring(op, 0, MAX_REPR_CHARS);
        cut = 1;
    }
    else if (PyBytes_CheckExact(op) && PyBytes_GET_SIZE(op) > MAX_REPR_CHARS) {
        source = PyBytes_FromStringAndSize(PyBytes_AS_STRING(op), MAX_REPR_CHARS);
        cut = 1;
    }
    if (source == NULL) {
        return NULL;
    }
    PyObject *text = PyObject_Repr(source);
    if (cut) {
        Py_DECREF(source);
    }
    if (text == NULL) {
        /* e.g. an int too long for str(); say what it is instead */
        PyErr_Clear();
        return opaque_repr(op);
    }
    if (cut) {
        PyObject *longer = PyUnicode_FromFormat("%U%s", text, "\xe2\x80\xa6");
        Py_DECREF(text);
        return longer;
    }
    return text;
}

static PyObject *
safe_repr_depth(PyObject *op, int depth)
{
    if (op == Py_None || PyBool_Check(op) || PyUnicode_CheckExact(op) ||
        PyBytes_CheckExact(op) || PyLong_CheckExact(op) ||
        PyFloat_CheckExact(op))
    {
        return scalar_repr(op);
    }
    Py_ssize_t n;
    if (!PyTuple_CheckExact(op) || depth >= MAX_REPR_DEPTH ||
        (n = PyTuple_GET_SIZE(op)) > MAX_REPR_TUPLE)
    {
        return opaque_repr(op);
    }
    PyObject *parts = PyList_New(0);
    if (parts == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *part = safe_repr_depth(PyTuple_GET_ITEM(op, i), depth + 1);
        if (part == NULL || PyList_Append(parts, part) < 0) {
            Py_XDECREF(part);
            Py_DECREF(parts);
            return NULL;
        }
        Py_DECREF(part);
    }
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *joined = sep ? PyUnicode_Join(sep, parts) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(parts);
    if (joined == NULL) {
        return NULL;
    }
    PyObject *text = PyUnicode_FromFormat(n == 1 ? "(%U,)" : "(%U)", joined);
    Py_DECREF(joined);
    return text;
}

PyObject *
names_safe_repr(names_t *nm, PyObject *op)
{
    (void)nm;
    return safe_repr_depth(op, 0);
}

PyObject *
names_global(names_t *nm, PyObject *module_name, PyObject *key)
{
    PyObject *module = PyUnicode_CheckExact(module_name)
                           ? Py_NewRef(module_name)
                           : names_safe_repr(nm, module_name);
    if (module == NULL) {
        return NULL;
    }
    PyObject *text;
    if (is_identifier(key)) {
        text = PyUnicode_FromFormat("%U.%U", module, key);
    }
    else {
        PyObject *key_repr = names_safe_repr(nm, key);
        text = key_repr ? PyUnicode_FromFormat("%U.__dict__[%U]", module,
                                               key_repr)
                        : NULL;
        Py_XDECREF(key_repr);
    }
    Py_DECREF(module);
    return text;
}

/* ------------------------------------------------------------------ */
/* Raw labels, by referrer type                                        */
/* Each labeller returns 1 when it labelled, 0 when it found nothing,  */
/* -1 on error.                                                        */
/* ------------------------------------------------------------------ */

static int
set_label(raw_label_t *out, int kind, int role, PyObject *text)
{
    if (text == NULL) {
        return -1;
    }
    out->text = text;
    out->kind = kind;
    out->role = role;
    return 1;
}

int
names_set_label(raw_label_t *out, int kind, int role, PyObject *text)
{
    return set_label(out, kind, role, text);
}

static int
attr_label(names_t *nm, raw_label_t *out, const char *name)
{
    size_t slot = ((uintptr_t)name >> 3) % (sizeof(nm->attr_texts) /
                                            sizeof(nm->attr_texts[0]));
    PyObject *known = nm->attr_texts[slot].text;
    if (known != NULL && nm->attr_texts[slot].name == name) {
        const char *utf8 = PyUnicode_AsUTF8(known);
        if (utf8 != NULL && strcmp(utf8 + 1, name) == 0) {
            return set_label(out, EDGE_KIND_ATTR, nm->attr_texts[slot].role,
                             Py_NewRef(known));
        }
        PyErr_Clear();
    }
    int role = ROLE_PLAIN;
    if (strcmp(name, "__dict__") == 0) {
        role = ROLE_OWN_DICT;
    }
    else if (strcmp(name, "__closure__") == 0) {
        role = ROLE_CLOSURE;
    }
    else if (strcmp(name, "gi_frame") == 0) {
        role = ROLE_FRAME;
    }
    PyObject *text = PyUnicode_FromFormat(".%s", name);
    if (text != NULL) {
        Py_XSETREF(nm->attr_texts[slot].text, Py_NewRef(text));
        nm->attr_texts[slot].name = name;
        nm->attr_texts[slot].role = role;
    }
    return set_label(out, EDGE_KIND_ATTR, role, text);
}

static int
local_label(raw_label_t *out, PyObject *name)
{
    PyObject *text = PyUnicode_Check(name)
                         ? PyUnicode_FromFormat("<local '%U'>", name)
                         : PyUnicode_FromString("<local>");
    return set_label(out, EDGE_KIND_LOCAL, ROLE_LOCAL, text);
}

PyObject *
names_key_text(PyObject *key)
{
    PyObject *key_repr = safe_repr_depth(key, 0);
    if (key_repr == NULL) {
        return NULL;
    }
    PyObject *text = PyUnicode_FromFormat("[%U]", key_repr);
    Py_DECREF(key_repr);
    return text;
}

static int
key_label(names_t *nm, PyObject *key, raw_label_t *out)
{
    (void)nm;
    out->key = key;
    return set_label(out, EDGE_KIND_KEY, ROLE_PLAIN, names_key_text(key));
}

#define BIG_DICT 256

static inline size_t
big_slot(const names_t *nm, PyObject *value)
{
    uint64_t x = (uint64_t)(uintptr_t)value >> 4;
    return (size_t)(x * 0x9E3779B97F4A7C15ull) & nm->big_mask;
}

/* The key of value's first entry in a big dict, through a map built
 * once per dict (the dict does not change during a walk), or NULL. */
static PyObject *
big_dict_first_key(names_t *nm, PyObject *dict, PyObject *value, int *ok)
{
    *ok = 1;
    if (nm->big_dict != dict || nm->big_dict_used != PyDict_GET_SIZE(dict)) {
        size_t n = (size_t)PyDict_GET_SIZE(dict), cap = 16;
        while (cap < 2 * n) {
            cap *= 2;
        }
        PyObject **values = PyMem_RawCalloc(cap, sizeof(PyObject *));
        PyObject **keys = PyMem_RawCalloc(cap, sizeof(PyObject *));
        if (values == NULL || keys == NULL) {
            PyMem_RawFree(values);
            PyMem_RawFree(keys);
            *ok = 0;
            return NULL;
        }
        PyMem_RawFree(nm->big_values);
        PyMem_RawFree(nm->big_keys);
        nm->big_values = values;
        nm->big_keys = keys;
        nm->big_mask = cap - 1;
        nm->big_dict = dict;
        nm->big_dict_used = PyDict_GET_SIZE(dict);
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(dict, &pos, &k, &v)) {
            size_t i = big_slot(nm, v);
            while (values[i] != NULL && values[i] != v) {
                i = (i + 1) & nm->big_mask;
            }
            if (values[i] == NULL) {
                values[i] = v;
                keys[i] = k;
            }
        }
    }
    size_t i = big_slot(nm, value);
    for (; nm->big_values[i] != NULL; i = (i + 1) & nm->big_mask) {
        if (nm->big_values[i] == value) {
            return nm->big_keys[i];
        }
    }
    return NULL;
}

/* A dict's traversal visits values in entry order (and, for tables
 * with non-str keys, each key after its value); the occurrence-th
 * reference to child picks which entry when one value sits under
 * several keys. */
static int
label_dict(names_t *nm, PyObject *dict, PyObject *child, Py_ssize_t occurrence,
           raw_label_t *out)
{
    if (occurrence == 0 && PyDict_GET_SIZE(dict) >= BIG_DICT) {
        int ok;
        PyObject *key = big_dict_first_key(nm, dict, child, &ok);
        if (!ok) {
            PyErr_NoMemory();
            return -1;
        }
        if (key != NULL) {
            return key_label(nm, key, out);
        }
    }
    Py_ssize_t pos = 0, matches = 0;
    PyObject *key, *value, *first_key = NULL, *chosen_key = NULL;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (value == child) {
            if (first_key == NULL) {
                first_key = key;
            }
            if (matches++ == occurrence) {
                chosen_key = key;
            }
        }
    }
    if (chosen_key != NULL) {
        return key_label(nm, chosen_key, out);
    }
    pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (key == child) {
            return set_label(out, EDGE_KIND_DICT_KEY, ROLE_PLAIN,
                             PyUnicode_FromString("<key>"));
        }
    }
    return first_key != NULL ? key_label(nm, first_key, out) : 0;
}

int
names_dict_entry(names_t *nm, PyObject *key, int is_key, raw_label_t *out)
{
    out->text = NULL;
    out->key = NULL;
    out->index = -1;
    int r = is_key ? set_label(out, EDGE_KIND_DICT_KEY, ROLE_PLAIN,
                               PyUnicode_FromString("<key>"))
                   : key_label(nm, key, out);
    return r < 0 ? -1 : 0;
}

static int
index_label(raw_label_t *out, Py_ssize_t index)
{
    out->index = index;
    return set_label(out, EDGE_KIND_INDEX, ROLE_PLAIN,
                     PyUnicode_FromFormat("[%zd]", index));
}

/* CPython traverses lists and tuples from the last item to the first,
 * so the reference at position `ordinal` of an exact list or tuple's
 * traversal is item n - 1 - ordinal, and the occurrence-th reference to
 * a value held twice is its occurrence-th place counted from the end. */
static int
label_sequence(PyObject **items, Py_ssize_t n, PyObject *child,
               Py_ssize_t occurrence, Py_ssize_t ordinal, raw_label_t *out)
{
    if (ordinal >= 0 && ordinal < n && items[n - 1 - ordinal] == child) {
        return index_label(out, n - 1 - ordinal);
    }
    Py_ssize_t last = -1, matches = 0;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        if (items[i] != child) {
            continue;
        }
        if (last < 0) {
            last = i;
        }
        if (matches++ == occurrence) {
            return index_label(out, i);
        }
    }
    return last >= 0 ? index_label(out, last) : 0;
}

/* The static collections.deque type in op's bases, or NULL. */
PyTypeObject *
names_deque_base(PyObject *op)
{
    for (PyTypeObject *tp = Py_TYPE(op); tp != NULL; tp = tp->tp_base) {
        /* a class statement can choose any name, but has no module
         * object; the builtin deque is static, or module-bound (3.12+) */
        int builtin = !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) ||
                      ((PyHeapTypeObject *)tp)->ht_module != NULL;
        /* the first letter first: object and the other static bases
         * of nearly every instance come here */
        if (builtin && tp->tp_name[0] == 'c' &&
            strcmp(tp->tp_name, "collections.deque") == 0)
        {
            return tp;
        }
    }
    return NULL;
}

static int
label_deque(PyTypeObject *deque_type, PyObject *dq, PyObject *child,
            Py_ssize_t occurrence, raw_label_t *out)
{
    /* the C iterator of the builtin type, never a subclass's __iter__ */
    if (deque_type->tp_iter == NULL) {
        return 0;
    }
    PyObject *it = deque_type->tp_iter(dq);
    if (it == NULL) {
        PyErr_Clear();
        return 0;
    }
    iternextfunc next = Py_TYPE(it)->tp_iternext;
    Py_ssize_t i = 0, first = -1, matches = 0, found = -1;
    PyObject *item;
    while (next != NULL && (item = next(it)) != NULL) {
        int same = item == child;
        Py_DECREF(item);
        if (same) {
            if (first < 0) {
                first = i;
            }
            if (matches++ == occurrence) {
                found = i;
                break;
            }
        }
        i++;
    }
    Py_DECREF(it);
    PyErr_Clear();
    if (found < 0) {
        found = first;
    }
    return found >= 0 ? index_label(out, found) : 0;
}

static int
label_frame_slots(compat_frame *data, PyObject *child, raw_label_t *out)
{
    if (data == NULL) {
        return 0;
    }
    PyCodeObject *co = compat_frame_code(data);
    if (co == NULL) {
        return 0;
    }
    Py_ssize_t nslots = compat_code_nslots(co);
    for (Py_ssize_t i = 0; i < nslots; i++) {
        int owned;
        if (compat_frame_slot(data, i, &owned) == child) {
            int kind;
            return local_label(out, compat_code_slot_name(co, i, &kind));
        }
    }
    return 0;
}

static size_t
inline_text_slot(const names_t *nm, PyObject *name)
{
    return ((uintptr_t)name >> 4) %
           (sizeof(nm->inline_texts) / sizeof(nm->inline_texts[0]));
}

/* ".name" for an inline value's key known to be an identifier (new
 * reference, no error set), or NULL: the first of its key object's
 * labels makes it (new_inline_attr_text). */
static PyObject *
inline_attr_text(names_t *nm, PyObject *name)
{
    size_t slot = inline_text_slot(nm, name);
    return nm->inline_texts[slot].name == name
               ? Py_NewRef(nm->inline_texts[slot].text)
               : NULL;
}

/* Makes ".name" for an identifier key and caches it, holding the key
 * so that no other object takes its address meanwhile. */
static PyObject *
new_inline_attr_text(names_t *nm, PyObject *name)
{
    PyObject *text = PyUnicode_FromFormat(".%U", name);
    if (text != NULL) {
        size_t slot = inline_text_slot(nm, name);
        Py_XSETREF(nm->inline_texts[slot].name, Py_NewRef(name));
        Py_XSETREF(nm->inline_texts[slot].text, Py_NewRef(text));
    }
    return text;
}

/* Instance attributes, slots and members, for any object. */
static int
label_instance(names_t *nm, PyObject *op, PyObject *child,
               Py_ssize_t occurrence, raw_label_t *out)
{
    PyObject **values;
    Py_ssize_t count;
    if (compat_inline_values(op, &values, &count)) {
        Py_ssize_t matches = 0, first = -1;
        for (Py_ssize_t i = 0; i < count; i++) {
            if (values[i] != child) {
                continue;
            }
            if (first < 0) {
                first = i;
            }
            if (matches++ == occurrence) {
                first = i;
                break;
            }
        }
        PyObject *name = first >= 0 ? compat_inline_value_name(op, first) : NULL;
        if (name != NULL && PyUnicode_Check(name)) {
            PyObject *known = inline_attr_text(nm, name);
            if (known != NULL || is_identifier(name)) {
                return set_label(out, EDGE_KIND_ATTR, ROLE_PLAIN,
                                 known ? known : new_inline_attr_text(nm, name));
            }
            /* the repr of an exact copy: a subclass's __repr__ never runs */
            PyObject *exact = names_exact_str(name);
            PyObject *text =
                exact ? PyUnicode_FromFormat(".__dict__[%R]", exact) : NULL;
            Py_XDECREF(exact);
            return set_label(out, EDGE_KIND_ATTR, ROLE_PLAIN, text);
        }
    }
    if (child == compat_instance_dict(op)) {
        return attr_label(nm, out, "__dict__");
    }
    /* the occurrence-th member holding child (property(f, f, f): .fget,
     * .fset, .fdel), else the first */
    PyObject *mro = Py_TYPE(op)->tp_mro;
    Py_ssize_t nbases = (mro && PyTuple_Check(mro)) ? PyTuple_GET_SIZE(mro) : 0;
    const char *first_member = NULL;
    Py_ssize_t member_matches = 0;
    for (Py_ssize_t b = 0; b < nbases; b++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, b);
        PyMemberDef *m = base->tp_members;
        for (; m != NULL && m->name != NULL; m++) {
            if (m->type != T_OBJECT && m->type != T_OBJECT_EX) {
                continue;
            }
#ifdef Py_RELATIVE_OFFSET
            if (m->flags & Py_RELATIVE_OFFSET) {
                continue;
            }
#endif
            if (m->offset <= 0 ||
                (size_t)m->offset + sizeof(PyObject *) >
                    (size_t)Py_TYPE(op)->tp_basicsize)
            {
                continue;
            }
            if (*(PyObject **)((char *)op + m->offset) == child) {
                if (member_matches++ == occurrence) {
                    return attr_label(nm, out, m->name);
                }
                first_member = first_member ? first_member : m->name;
            }
        }
    }
    if (first_member != NULL) {
        return attr_label(nm, out, first_member);
    }
    if ((PyObject *)Py_TYPE(op) == child) {
        return attr_label(nm, out, "__class__");
    }
    return 0;
}

static int
label_by_type(names_t *nm, PyObject *op, PyObject *child, Py_ssize_t occurrence,
              Py_ssize_t ordinal, raw_label_t *out)
{
    const char *field = NULL;
    int cls = names_type_class(nm, op);
    int r;

    if ((cls & CLASS_STDNAMES) && (r = stdnames_label(nm, op, child, out)) != 0) {
        return r;
    }
    switch (cls & CLASS_KIND) {
    case CLASS_DICT:
        if ((r = label_dict(nm, op, child, occurrence, out)) != 0) {
            return r;
        }
        break;
    case CLASS_LIST:
        r = label_sequence(((PyListObject *)op)->ob_item, PyList_GET_SIZE(op),
                           child, occurrence,
                           PyList_CheckExact(op) ? ordinal : -1, out);
        if (r != 0) {
            return r;
        }
        break;
    case CLASS_TUPLE:
        r = label_sequence(((PyTupleObject *)op)->ob_item, PyTuple_GET_SIZE(op),
                           child, occurrence,
                           PyTuple_CheckExact(op) ? ordinal : -1, out);
        if (r != 0) {
            return r;
        }
        break;
    case CLASS_SET:
        return set_label(out, EDGE_KIND_ELEMENT, ROLE_PLAIN,
                         PyUnicode_FromString("<element>"));
    case CLASS_DEQUE:
        r = label_deque(names_deque_base(op), op, child, occurrence, out);
        if (r != 0) {
            return r;
        }
        break;
    case CLASS_CELL:
        return set_label(out, EDGE_KIND_ATTR, ROLE_CELL_CONTENTS,
                         PyUnicode_FromString(".cell_contents"));
    case CLASS_FUNCTION:
        field = compat_function_field(op, child);
        break;
    case CLASS_METHOD:
        field = child == PyMethod_GET_FUNCTION(op) ? "__func__"
                : child == PyMethod_GET_SELF(op)   ? "__self__"
                                                   : NULL;
        break;
    case CLASS_CFUNCTION: {
        PyCFunctionObject *f = (PyCFunctionObject *)op;
        field = child == f->m_self     ? "__self__"
                : child == f->m_module ? "__module__"
                                       : NULL;
        break;
    }
    case CLASS_TYPE: {
        PyTypeObject *tp = (PyTypeObject *)op;
        field = child == tp->tp_dict               ? "__dict__"
                : child == tp->tp_mro              ? "__mro__"
                : child == tp->tp_bases            ? "__bases__"
                : child == (PyObject *)tp->tp_base ? "__base__"
                                                   : NULL;
        if (field == NULL && (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
            child == ((PyHeapTypeObject *)tp)->ht_module)
        {
            field = "__module_object__";
        }
        break;
    }
    case CLASS_MODULE:
        field = child == PyModule_GetDict(op) ? "__dict__" : NULL;
        break;
    case CLASS_FRAME:
        field = compat_frame_object_field(op, child);
        if (field == NULL &&
            (r = label_frame_slots(compat_frame_object_locals(op), child, out)) != 0)
        {
            return r;
        }
        break;
    case CLASS_GENERATOR:
        field = compat_generator_field(op, child);
        if (field == NULL &&
            (r = label_frame_slots(compat_generator_frame(op), child, out)) != 0)
        {
            return r;
        }
        break;
    case CLASS_TRACEBACK: {
        PyTracebackObject *tb = (PyTracebackObject *)op;
        field = child == (PyObject *)tb->tb_next    ? "tb_next"
                : child == (PyObject *)tb->tb_frame ? "tb_frame"
                                                    : NULL;
        break;
    }
    case CLASS_EXCEPTION:
        field = compat_exception_field(op, child);
        break;
    case CLASS_CODE: {
        PyCodeObject *co = (PyCodeObject *)op;
        field = child == co->co_consts  ? "co_consts"
                : child == co->co_names ? "co_names"
                                        : NULL;
        break;
    }
    case CLASS_WEAKREF:
        field = child == ((PyWeakReference *)op)->wr_callback ? "__callback__"
                                                              : NULL;
        break;
    default:
        break;
    }
    if (field != NULL) {
        return attr_label(nm, out, field);
    }
    return label_instance(nm, op, child, occurrence, out);
}

int
names_raw(names_t *nm, PyObject *referrer, PyObject *referent,
          Py_ssize_t occurrence, Py_ssize_t ordinal, raw_label_t *out)
{
    out->text = NULL;
    out->key = NULL;
    out->index = -1;
    out->kind = EDGE_KIND_REFERENT;
    out->role = ROLE_PLAIN;
    int r = label_by_type(nm, referrer, referent, occurrence, ordinal, out);
    if (r != 0) {
        return r < 0 ? -1 : 0;
    }
    PyObject *type_name = names_type_name(nm, Py_TYPE(referrer));
    if (type_name == NULL) {
        return -1;
    }
    r = set_label(out, EDGE_KIND_REFERENT, ROLE_PLAIN,
                  PyUnicode_FromFormat("<referent #%zd of %U>", ordinal,
                                       type_name));
    Py_DECREF(type_name);
    return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Folding                                                             */
/* ------------------------------------------------------------------ */

static PyObject *
concat(PyObject *a, PyObject *b)
{
    return PyUnicode_Concat(a, b);
}

PyObject *
names_fold(names_t *nm, PyObject *owner, raw_label_t *labels, int count,
           int *kind)
{
    (void)nm;
    PyObject *acc = Py_NewRef(labels[0].text);
    int role = labels[0].role;
    *kind = labels[0].kind;
    for (int i = 1; i < count; i++) {
        raw_label_t *next = &labels[i];
        PyObject *folded = NULL;
        if (next->role == ROLE_CELL_CONTENTS &&
            (role == ROLE_LOCAL || *kind == EDGE_KIND_CLOSURE))
        {
            continue; /* the cell is how the variable is stored */
        }
        if (role == ROLE_OWN_DICT && next->kind == EDGE_KIND_KEY &&
            is_identifier(next->key))
        {
            folded = PyUnicode_FromFormat(".%U", next->key);
            *kind = EDGE_KIND_ATTR;
            role = ROLE_PLAIN;
        }
        else if (role == ROLE_CLOSURE && next->kind == EDGE_KIND_INDEX &&
                 (owner == NULL || PyFunction_Check(owner)))
        {
            /* no owner: a snapshot's label, which stored the name as
             * its key */
            PyCodeObject *co =
                owner ? (PyCodeObject *)((PyFunctionObject *)owner)->func_code
                      : NULL;
            PyObject *name = co && PyCode_Check(co)
                                 ? compat_code_freevar_name(co, next->index)
                             : next->key && PyUnicode_Check(next->key)
                                 ? next->key
                                 : NULL;
            folded = name ? PyUnicode_FromFormat("<closure '%U'>", name)
                          : PyUnicode_FromFormat("<closure #%zd>", next->index);
            *kind = EDGE_KIND_CLOSURE;
            role = ROLE_PLAIN;
        }
        else if (role == ROLE_INNER) {
            folded = Py_NewRef(next->text);
            *kind = next->kind;
            role = next->role;
        }
        else if (role == ROLE_CACHE && next->kind == EDGE_KIND_DICT_KEY) {
            folded = PyUnicode_FromString("<cache key>");
            *kind = EDGE_KIND_DICT_KEY;
            role = ROLE_PLAIN;
        }
        else if (role == ROLE_ATTR_DICT && next->kind == EDGE_KIND_KEY &&
                 is_identifier(next->key))
        {
            folded = PyUnicode_FromFormat("%U.%U", acc, next->key);
            *kind = EDGE_KIND_ATTR;
            role = ROLE_PLAIN;
        }
        else if (role == ROLE_FRAME && next->role == ROLE_LOCAL) {
            folded = Py_NewRef(next->text);
            *kind = next->kind;
            role = ROLE_LOCAL;
        }
        else {
            folded = concat(acc, next->text);
            *kind = next->kind;
            role = next->role;
        }
        Py_DECREF(acc);
        if (folded == NULL) {
            return NULL;
        }
        acc = folded;
    }
    return acc;
}
