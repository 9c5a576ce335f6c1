/* snapmethods.c: the functions of _core that query a snapshot's data
 * (snapshot.h): checks, paths, the id index, dominators, totals by
 * type, comparison, and the text of a label stored as its key.  They
 * read the data tuple, or the checked snapshot standing for it, and no
 * interpreter state; module.c adds them to the module and keeps
 * snapshot_capture, which needs its state.
 */
#include "names.h"
#include "snapshot.h"

PyDoc_STRVAR(snapshot_check_doc,
             "snapshot_check(data)\n--\n\n"
             "Check a snapshot's data tuple (its shape and every index in it):\n"
             "the checked snapshot the queries take in its place, or\n"
             "ValueError saying what is wrong.");

static PyObject *
snapshot_check_(PyObject *module, PyObject *data)
{
    (void)module;
    return snapview_checked(data, 0);
}

PyDoc_STRVAR(snapshot_search_doc,
             "snapshot_search(data)\n--\n\n"
             "The search paths start from, over a snapshot's data: (dist,\n"
             "reached_by), bytes of uint32 per node.");

static PyObject *
snapshot_search_(PyObject *module, PyObject *data)
{
    (void)module;
    return snapshot_search(data);
}

PyDoc_STRVAR(
    snapshot_explain_doc,
    "snapshot_explain(data, search, nodes, max_paths)\n--\n\n"
    "find_paths' target tuples for a list of a snapshot's node numbers:\n"
    "a list of (id, type_name, name, refcount, seen, unseen, status,\n"
    "paths, omitted), status 'rooted', 'external' or 'garbage'.");

static PyObject *
snapshot_explain_(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *data, *search, *nodes;
    Py_ssize_t max_paths;
    if (!PyArg_ParseTuple(args, "OOO!n:snapshot_explain", &data, &search,
                          &PyList_Type, &nodes, &max_paths))
    {
        return NULL;
    }
    if (max_paths < 1) {
        PyErr_SetString(PyExc_ValueError, "max_paths must be at least 1");
        return NULL;
    }
    return snapshot_explain(data, search, nodes, max_paths);
}

PyDoc_STRVAR(snapshot_by_id_doc,
             "snapshot_by_id(data)\n--\n\n"
             "The nodes of a snapshot in increasing order of id: bytes of\n"
             "uint32, for finding a node by id with a binary search.");

static PyObject *
snapshot_by_id_(PyObject *module, PyObject *data)
{
    (void)module;
    return snapshot_by_id(data);
}

PyDoc_STRVAR(snapshot_dominators_doc,
             "snapshot_dominators(data)\n--\n\n"
             "Immediate dominators over a virtual root above every root:\n"
             "(idom, retained, dominated), bytes: idom uint32 per node\n"
             "(0xFFFFFFFF directly under the roots), retained uint64 (its size\n"
             "and what it alone keeps alive), dominated uint32 (objects it\n"
             "keeps alive, itself included).");

static PyObject *
snapshot_dominators_(PyObject *module, PyObject *data)
{
    (void)module;
    return dominators_compute(data);
}

PyDoc_STRVAR(snapshot_top_doc,
             "snapshot_top(idom, retained, n, share)\n--\n\n"
             "The n nodes of largest retained size (snapshot_dominators'\n"
             "idom and retained bytes), biggest first, leaving out a node one\n"
             "of whose dominated objects retains at least `share` of its size.");

static PyObject *
snapshot_top_(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *idom, *retained;
    Py_ssize_t n;
    double share;
    if (!PyArg_ParseTuple(args, "OOnd:snapshot_top", &idom, &retained, &n, &share)) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 0");
        return NULL;
    }
    return dominators_top(idom, retained, n, share);
}

PyDoc_STRVAR(snapshot_find_id_doc,
             "snapshot_find_id(data, id)\n--\n\n"
             "The node of a snapshot whose id is `id`, or None: one scan of\n"
             "the ids, for a query or two (many search snapshot_by_id's).");

static PyObject *
snapshot_find_id_(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *data, *id;
    if (!PyArg_ParseTuple(args, "OO!:snapshot_find_id", &data, &PyLong_Type, &id)) {
        return NULL;
    }
    return snapshot_find_id(data, id);
}

PyDoc_STRVAR(dict_key_text_doc,
             "dict_key_text(key)\n--\n\n"
             "The label of a dict's value under the str key `key`, as paths\n"
             "read it: \"['key']\" (a long key shortened as explain does).");

static PyObject *
dict_key_text_(PyObject *module, PyObject *key)
{
    (void)module;
    if (!PyUnicode_CheckExact(key)) {
        return PyErr_Format(PyExc_TypeError, "key must be a str, not %.100s",
                            Py_TYPE(key)->tp_name);
    }
    return names_key_text(key);
}

PyDoc_STRVAR(snapshot_type_totals_doc,
             "snapshot_type_totals(data)\n--\n\n"
             "{type name: (objects, bytes)} over every object of a snapshot.");

static PyObject *
snapshot_type_totals_(PyObject *module, PyObject *data)
{
    (void)module;
    return snapshot_type_totals(data);
}

PyDoc_STRVAR(snapshot_new_nodes_doc,
             "snapshot_new_nodes(later, later_order, earlier, earlier_order)\n--\n\n"
             "The nodes of snapshot `later` whose id and type name `earlier`\n"
             "lacks, in increasing order: bytes of uint32.  Each order is its\n"
             "snapshot's snapshot_by_id bytes.");

static PyObject *
snapshot_new_nodes_(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *later, *later_order, *earlier, *earlier_order;
    if (!PyArg_ParseTuple(args, "OOOO:snapshot_new_nodes", &later, &later_order,
                          &earlier, &earlier_order))
    {
        return NULL;
    }
    return snapshot_new_nodes(later, later_order, earlier, earlier_order);
}

PyMethodDef snapshot_query_methods[] = {
    {"snapshot_check", snapshot_check_, METH_O, snapshot_check_doc},
    {"snapshot_search", snapshot_search_, METH_O, snapshot_search_doc},
    {"snapshot_explain", snapshot_explain_, METH_VARARGS, snapshot_explain_doc},
    {"snapshot_by_id", snapshot_by_id_, METH_O, snapshot_by_id_doc},
    {"snapshot_find_id", snapshot_find_id_, METH_VARARGS, snapshot_find_id_doc},
    {"snapshot_top", snapshot_top_, METH_VARARGS, snapshot_top_doc},
    {"snapshot_dominators", snapshot_dominators_, METH_O,
     snapshot_dominators_doc},
    {"dict_key_text", dict_key_text_, METH_O, dict_key_text_doc},
    {"snapshot_type_totals", snapshot_type_totals_, METH_O,
     snapshot_type_totals_doc},
    {"snapshot_new_nodes", snapshot_new_nodes_, METH_VARARGS,
     snapshot_new_nodes_doc},
    {NULL, NULL, 0, NULL},
};
