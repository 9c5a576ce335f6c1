/* snapdiff.c: a snapshot's totals by type, and two snapshots compared.
 *
 * Both read the data tuples only and make no Python object per node: a
 * heap of ten million objects is summed, or compared with another, in
 * one pass over its arrays.  An object of the later snapshot is new
 * when the earlier holds no object with its id and the same type name;
 * the two id orders (snapids.c) are merged, so the comparison is linear
 * once they are sorted.
 */
#include "snapshot.h"

PyObject *
snapshot_type_totals(PyObject *data)
{
    snapview_t v;
    if (snapview_open(&v, data) < 0) {
        return NULL;
    }
    size_t nstrings = (size_t)PyList_GET_SIZE(v.strings);
    uint64_t *counts = PyMem_RawCalloc(nstrings, sizeof(uint64_t));
    uint64_t *sizes = PyMem_RawCalloc(nstrings, sizeof(uint64_t));
    PyObject *totals = counts && sizes ? PyDict_New() : PyErr_NoMemory();
    for (size_t i = 0; totals != NULL && i < v.count; i++) {
        counts[v.types[i]]++;
        sizes[v.types[i]] += snap_size(&v, (uint32_t)i);
    }
    for (size_t t = 0; totals != NULL && t < nstrings; t++) {
        if (counts[t] == 0) {
            continue;
        }
        /* a file may name one type twice: its totals add up (the
         * strings are exact strs, so the dict runs no user code) */
        PyObject *name = PyList_GET_ITEM(v.strings, (Py_ssize_t)t);
        PyObject *known = PyDict_GetItemWithError(totals, name);
        unsigned long long count = counts[t], size = sizes[t];
        if (known != NULL) {
            count += PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(known, 0));
            size += PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(known, 1));
        }
        PyObject *value = PyErr_Occurred() ? NULL
                                           : Py_BuildValue("(KK)", count, size);
        if (value == NULL || PyDict_SetItem(totals, name, value) < 0) {
            Py_CLEAR(totals);
        }
        Py_XDECREF(value);
    }
    PyMem_RawFree(counts);
    PyMem_RawFree(sizes);
    return totals;
}

/* The id order of a snapshot of `count` nodes (snapshot_by_id's bytes),
 * checked to hold node numbers only, or NULL with ValueError. */
static const uint32_t *
id_order(PyObject *order, size_t count, const char *what)
{
    if (!PyBytes_CheckExact(order) || (size_t)PyBytes_GET_SIZE(order) != 4 * count) {
        PyErr_Format(PyExc_ValueError,
                     "%s must be snapshot_by_id's bytes for its snapshot", what);
        return NULL;
    }
    const uint32_t *nodes = (const uint32_t *)(const void *)PyBytes_AS_STRING(order);
    for (size_t i = 0; i < count; i++) {
        if (nodes[i] >= count) {
            PyErr_Format(PyExc_ValueError, "%s holds a node that is not there", what);
            return NULL;
        }
    }
    return nodes;
}

/* For each type index of the earlier snapshot, the later snapshot's
 * index of the same type name, SNAP_NONE where it has none; NULL with
 * an exception set. */
static uint32_t *
map_types(const snapview_t *later, const snapview_t *earlier)
{
    size_t nlater = (size_t)PyList_GET_SIZE(later->strings);
    size_t nearlier = (size_t)PyList_GET_SIZE(earlier->strings);
    uint8_t *used = PyMem_RawCalloc(nlater > nearlier ? nlater : nearlier, 1);
    uint32_t *map = PyMem_RawMalloc((nearlier ? nearlier : 1) * sizeof(uint32_t));
    PyObject *index = used && map ? PyDict_New() : PyErr_NoMemory();
    for (size_t i = 0; index != NULL && i < later->count; i++) {
        used[later->types[i]] = 1;
    }
    for (size_t t = 0; index != NULL && t < nlater; t++) {
        PyObject *number = used[t] ? PyLong_FromSize_t(t) : NULL;
        if (used[t] &&
            (number == NULL ||
             PyDict_SetItem(index, PyList_GET_ITEM(later->strings, (Py_ssize_t)t),
                            number) < 0))
        {
            Py_CLEAR(index);
        }
        Py_XDECREF(number);
    }
    if (index != NULL) {
        memset(used, 0, nearlier);
        for (size_t i = 0; i < earlier->count; i++) {
            used[earlier->types[i]] = 1;
        }
    }
    for (size_t t = 0; index != NULL && t < nearlier; t++) {
        map[t] = SNAP_NONE;
        PyObject *found = used[t] ? PyDict_GetItemWithError(
                                        index, PyList_GET_ITEM(earlier->strings,
                                                               (Py_ssize_t)t))
                                  : NULL;
        if (found != NULL) {
            map[t] = (uint32_t)PyLong_AsSize_t(found);
        }
        else if (PyErr_Occurred()) {
            Py_CLEAR(index);
        }
    }
    PyMem_RawFree(used);
    if (index == NULL) {
        PyMem_RawFree(map);
        return NULL;
    }
    Py_DECREF(index);
    return map;
}

PyObject *
snapshot_new_nodes(PyObject *later_data, PyObject *later_order,
                   PyObject *earlier_data, PyObject *earlier_order)
{
    snapview_t later, earlier;
    if (snapview_open(&later, later_data) < 0 ||
        snapview_open(&earlier, earlier_data) < 0)
    {
        return NULL;
    }
    const uint32_t *by_id = id_order(later_order, later.count, "later_order");
    const uint32_t *old_by_id =
        by_id ? id_order(earlier_order, earlier.count, "earlier_order") : NULL;
    uint32_t *map = old_by_id ? map_types(&later, &earlier) : NULL;
    if (map == NULL) {
        return NULL;
    }
    uint8_t *known = PyMem_RawCalloc(later.count ? later.count : 1, 1);
    if (known == NULL) {
        PyMem_RawFree(map);
        return PyErr_NoMemory();
    }
    size_t j = 0, fresh = later.count;
    for (size_t k = 0; k < later.count; k++) {
        uint32_t n = by_id[k];
        uint64_t id = later.ids[n];
        while (j < earlier.count && earlier.ids[old_by_id[j]] < id) {
            j++;
        }
        for (size_t m = j; m < earlier.count && earlier.ids[old_by_id[m]] == id; m++) {
            if (map[earlier.types[old_by_id[m]]] == later.types[n]) {
                known[n] = 1;
                fresh--;
                break;
            }
        }
    }
    char *out = NULL;
    PyObject *nodes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * fresh));
    if (nodes != NULL) {
        out = PyBytes_AS_STRING(nodes);
        for (uint32_t n = 0; n < later.count; n++) {
            if (!known[n]) {
                memcpy(out, &n, 4);
                out += 4;
            }
        }
    }
    PyMem_RawFree(map);
    PyMem_RawFree(known);
    return nodes;
}
