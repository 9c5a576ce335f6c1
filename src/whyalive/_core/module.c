/* module.c: whyalive._core, the bindings.  Glue only: argument parsing,
 * module state, and one call into the engine per function. */
#include "census.h"
#include "chain.h"
#include "graph.h"
#include "heap_internal.h"
#include "paths.h"
#include "roots.h"
#include "search.h"
#include "snapshot.h"
#include "cycles.h"

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
    "           stack_tables=None, want_objects=False, progress=False,\n"
    "           expire_at=None, threads=1, compact=False)\n"
    "--\n\n"
    "Walk the heap once and return the retainer paths of the targets.\n\n"
    "targets: tuple of objects; instances_of: a tuple of classes whose\n"
    "instances (subclasses included) are targets too.\n"
    "excluded_objects: tuple of objects never shown as retainers;\n"
    "excluded_ids: tuple of int ids,\n"
    "the same, matched but never dereferenced.  tool_prefix: source path\n"
    "prefix of frames that belong to the tool.  max_depth: references per\n"
    "path, -1 for no limit.  timeout: seconds, 0 for none.  stack_tables:\n"
    "{code: bytes}, native uint16 stack depth before each code unit, for\n"
    "reading the temporaries of running frames (whyalive._stack).\n"
    "progress: print a progress line on the process's stderr once the\n"
    "query has run for 2 seconds.  expire_at: for tests, the name of the\n"
    "phase (see stats) as which the time runs out.  threads: for the index\n"
    "build (the result is the same for any number).  compact: targets as\n"
    "flat tables (_core.pyi's _Flat) instead of tuples.\n\n"
    "Returns (partial, targets, stats, objects):\n"
    "  partial: None, 'timeout' or 'max_depth';\n"
    "  targets: list of (id, type_name, name, refcount, seen, unseen,\n"
    "           status, paths, omitted) tuples, explicit targets first;\n"
    "           refcount and unseen are -1 for immortal objects, seen\n"
    "           and unseen -1 when the time ran out while indexing; status\n"
    "           is 'rooted', 'external', 'garbage', 'uncollectable',\n"
    "           'unreferenced', 'depth_limit' or 'timeout'; omitted\n"
    "           counts retainers of the target not shown;\n"
    "  paths: tuple of (root, edges, length), shortest first, where\n"
    "         root is (kind, name, detail) and edges is a tuple of\n"
    "         (referrer_type, referrer_id, label, kind, referrer_name)\n"
    "         from the target outward;\n"
    "  stats: (nodes, edges, threads, frames, index_seconds,\n"
    "          search_seconds, total_seconds, stopped_in, stopped_at):\n"
    "         stopped_in names the phase the time ran out in, or is\n"
    "         None; stopped_at says how far it had got;\n"
    "  objects: None, or the list of targets when want_objects.");

static PyObject *
find_paths(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {
        "targets",      "excluded_objects", "excluded_ids", "tool_prefix",
        "instances_of", "max_depth",        "max_paths",    "timeout",
        "stack_tables", "want_objects",     "progress",     "expire_at",
        "threads",      "compact",          NULL,
    };
    module_state *state = get_state(module);
    PyObject *tool_prefix = Py_None, *instances_of = Py_None;
    PyObject *stack_tables = Py_None;
    const char *expire_at = NULL;
    int want_objects = 0, progress = 0, compact = 0;
    query_t q;
    memset(&q, 0, sizeof(q));
    q.max_depth = -1;
    q.max_paths = 3;
    q.threads = 1;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "O!O!O!|OOnndOppzip:find_paths", kwlist, &PyTuple_Type,
            &q.targets, &PyTuple_Type, &q.excluded_objects, &PyTuple_Type,
            &q.excluded_ids, &tool_prefix, &instances_of, &q.max_depth,
            &q.max_paths, &q.timeout, &stack_tables, &want_objects, &progress,
            &expire_at, &q.threads, &compact))
    {
        return NULL;
    }
    if (q.threads < 1) {
        return PyErr_Format(PyExc_ValueError, "threads must be at least 1");
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
    if (expire_at != NULL) {
        q.expire_at_phase = deadline_phase_named(expire_at);
        if (q.expire_at_phase == PHASE_NONE) {
            return PyErr_Format(PyExc_ValueError,
                                "expire_at must name a phase (listing, "
                                "indexing, searching, searching_outside, "
                                "choosing, tracing_back, naming), not "
                                "'%.100s'",
                                expire_at);
        }
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
    q.compact = compact;
    q.progress = progress;
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
             "first per thread, read without creating frame objects;\n"
             "code objects the interpreter allocated statically (the\n"
             "shim frame of a specialised __init__ call) left out.");

static PyObject *
running_code(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return roots_running_code();
}

PyDoc_STRVAR(is_interned_doc,
             "is_interned(s, /)\n--\n\n"
             "Whether the str s is interned (one copy the interpreter\n"
             "shares), read from its state, without interning it.");

static PyObject *
is_interned(PyObject *module, PyObject *s)
{
    (void)module;
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "s must be a str, not %.100s",
                     Py_TYPE(s)->tp_name);
        return NULL;
    }
    return PyBool_FromLong(PyUnicode_CHECK_INTERNED(s) != 0);
}

/* ------------------------------------------------------------------ */
/* Census: counts and objects by type or address                       */
/* ------------------------------------------------------------------ */

/* objects: None, or a list or tuple (read in place, no code runs). */
static int
check_objects(PyObject *objects, const char *what)
{
    if (objects != Py_None && !PyList_Check(objects) &&
        !PyTuple_Check(objects))
    {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a list, a tuple or None, not %.100s", what,
                     Py_TYPE(objects)->tp_name);
        return -1;
    }
    return 0;
}

static int
check_prefix(PyObject *tool_prefix)
{
    if (tool_prefix != Py_None && !PyUnicode_Check(tool_prefix)) {
        PyErr_Format(PyExc_TypeError,
                     "tool_prefix must be a str or None, not %.100s",
                     Py_TYPE(tool_prefix)->tp_name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(
    census_types_doc,
    "census_types(objects=None)\n"
    "--\n\n"
    "Count objects by exact type in one pass: every object the collector\n"
    "tracks, frozen ones included, or the items of objects (a list or\n"
    "tuple).\n\n"
    "Returns a list of (type_id, short_name, long_name, qualified_name,\n"
    "count) tuples, one per type, in the order types were first met:\n"
    "short_name is type.__name__, long_name type.__module__ + '.' +\n"
    "type.__name__ (objgraph's names), qualified_name module + '.' +\n"
    "__qualname__ ('dict' for builtins).");

static PyObject *
census_types_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"objects", NULL};
    PyObject *objects = Py_None;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:census_types", kwlist,
                                     &objects) ||
        check_objects(objects, "objects") < 0)
    {
        return NULL;
    }
    return census_type_counts(objects == Py_None ? NULL : objects);
}

PyDoc_STRVAR(
    census_objects_of_doc,
    "census_objects_of(type_ids, objects=None)\n"
    "--\n\n"
    "The objects whose exact type has its id in type_ids (a tuple of\n"
    "ints, compared, never dereferenced): tracked objects, frozen ones\n"
    "included, in heap order, or items of objects (a list or tuple).\n"
    "Returns a list of the objects themselves.");

static PyObject *
census_objects_of_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"type_ids", "objects", NULL};
    PyObject *type_ids, *objects = Py_None;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|O:census_objects_of",
                                     kwlist, &PyTuple_Type, &type_ids,
                                     &objects) ||
        check_objects(objects, "objects") < 0)
    {
        return NULL;
    }
    return census_objects_of_types(type_ids,
                                   objects == Py_None ? NULL : objects);
}

PyDoc_STRVAR(
    census_objects_at_doc,
    "census_objects_at(ids, limit=-1)\n"
    "--\n\n"
    "The tracked objects (frozen ones included) whose id is in ids, a\n"
    "tuple of ints compared with object addresses and never\n"
    "dereferenced, in heap order; at most limit of them (-1: no limit).\n"
    "Returns a list of the objects themselves.");

static PyObject *
census_objects_at_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"ids", "limit", NULL};
    PyObject *ids;
    Py_ssize_t limit = -1;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|n:census_objects_at",
                                     kwlist, &PyTuple_Type, &ids, &limit))
    {
        return NULL;
    }
    return census_objects_at(ids, limit);
}

PyDoc_STRVAR(
    census_snapshot_doc,
    "census_snapshot()\n"
    "--\n\n"
    "Every tracked object's id and type id, frozen objects included.\n\n"
    "Returns (rows, pairs): rows as census_types() returns them; pairs a\n"
    "bytes object of native uint64 (address, type_id) pairs sorted by\n"
    "address, for census_new_ids().");

static PyObject *
census_snapshot_(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return census_snapshot();
}

PyDoc_STRVAR(
    census_instances_doc,
    "census_instances(classes, since=None)\n"
    "--\n\n"
    "The tracked objects whose type is one of classes, a tuple of types,\n"
    "or a subclass of one by its MRO (no __instancecheck__ runs).  Nothing\n"
    "is collected first.  Returns (stamp, {id: type}, young): stamp, a\n"
    "tuple of ints, describes the collector's lists now (None where no\n"
    "young census may be taken: _young_census_check() says why).  When\n"
    "since, the stamp of an earlier call,\n"
    "equals it, no object has entered the oldest or the permanent\n"
    "generation since that call, so only the two young generations are\n"
    "walked and young is True: the objects found are those among them,\n"
    "every object tracked since included.  Otherwise every tracked object\n"
    "is walked, frozen ones included.");

static PyObject *
census_instances_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"classes", "since", NULL};
    PyObject *classes, *since = Py_None;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:census_instances",
                                     kwlist, &classes, &since))
    {
        return NULL;
    }
    if (!PyTuple_Check(classes)) {
        PyErr_Format(PyExc_TypeError,
                     "classes must be a tuple of classes, not %.100s",
                     Py_TYPE(classes)->tp_name);
        return NULL;
    }
    return census_instances(classes, since);
}

PyDoc_STRVAR(
    census_new_ids_doc,
    "census_new_ids(before, after)\n"
    "--\n\n"
    "The (address, type_id) pairs of snapshot `after` missing from\n"
    "snapshot `before` (the pairs bytes of census_snapshot()).\n\n"
    "Returns a list of (type_id, [address, ...]) tuples.");

static PyObject *
census_new_ids_(PyObject *module, PyObject *args)
{
    PyObject *before, *after;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O!:census_new_ids", &PyBytes_Type, &before,
                          &PyBytes_Type, &after))
    {
        return NULL;
    }
    return census_new_ids(before, after);
}

PyDoc_STRVAR(
    census_leaking_doc,
    "census_leaking(objects, excluded, tool_prefix=None)\n"
    "--\n\n"
    "Objects that no reference of the object graph points to: tracked\n"
    "objects (objects None) or the items of objects (a list or tuple).\n"
    "The graph covers tracked objects, untracked containers and code\n"
    "objects; references from the objects of excluded (a tuple) do not\n"
    "count, and objects a frame or a thread state holds are not listed.\n"
    "tool_prefix: source path prefix of the tool's own frames.\n\n"
    "Returns a list of (object, refcount, outside_refs) tuples:\n"
    "outside_refs counts the references from outside the graph (C code,\n"
    "the interpreter); both are -1 for immortal objects.");

static PyObject *
census_leaking_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"objects", "excluded", "tool_prefix", NULL};
    PyObject *objects, *excluded, *tool_prefix = Py_None;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!|O:census_leaking",
                                     kwlist, &objects, &PyTuple_Type,
                                     &excluded, &tool_prefix) ||
        check_objects(objects, "objects") < 0 || check_prefix(tool_prefix) < 0)
    {
        return NULL;
    }
    return census_leaking(objects == Py_None ? NULL : objects, excluded,
                          tool_prefix == Py_None ? NULL : tool_prefix);
}

/* ------------------------------------------------------------------ */
/* Graph: one level of a breadth-first walk                            */
/* ------------------------------------------------------------------ */

static int
check_step(PyObject *nodes, PyObject *frontier, PyObject *ignore_ids)
{
    if (!PyList_Check(nodes)) {
        PyErr_SetString(PyExc_TypeError, "nodes must be a list");
        return -1;
    }
    if (!PyTuple_Check(frontier) || !PyTuple_Check(ignore_ids)) {
        PyErr_SetString(PyExc_TypeError,
                        "frontier and ignore_ids must be tuples of ints");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(
    graph_referrers_doc,
    "graph_referrers(nodes, frontier, ignore_ids, cap=-1, tool_prefix=None,\n"
    "                roots=False)\n"
    "--\n\n"
    "The referrers of nodes[i] for i in frontier, in one pass over the\n"
    "heap.  nodes: a list; frontier: a tuple of indices into it;\n"
    "ignore_ids: a tuple of ints, objects never reported (nodes itself\n"
    "never is); cap: distinct referrers reported per frontier node, -1\n"
    "for all; roots: also report references from frames (whyalive's own,\n"
    "under tool_prefix, left out) and thread states.\n\n"
    "Returns (new_objects, edges, skipped, roots, modules); an index i\n"
    "names nodes[i], or new_objects[i - len(nodes)]:\n"
    "  new_objects: list of referrers not in nodes, in the order met;\n"
    "  edges: list of (referrer, referent, occurrence), one per\n"
    "         reference, occurrence counting the referrer's earlier\n"
    "         references to the same referent;\n"
    "  skipped: list of (referent, count) of referrers beyond cap;\n"
    "  roots: list of (referent, kind, name, slot, function, filename,\n"
    "         lineno, thread_id, depth), kind 'frame' or 'thread';\n"
    "  modules: list of (index, module_name) of nodes and new objects\n"
    "           that are the __dict__ of a module in sys.modules.");

static PyObject *
graph_referrers_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"nodes", "frontier",    "ignore_ids",
                             "cap",   "tool_prefix", "roots",      NULL};
    PyObject *nodes, *frontier, *ignore_ids, *tool_prefix = Py_None;
    Py_ssize_t cap = -1;
    int roots = 0;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|nOp:graph_referrers",
                                     kwlist, &nodes, &frontier, &ignore_ids,
                                     &cap, &tool_prefix, &roots) ||
        check_step(nodes, frontier, ignore_ids) < 0 ||
        check_prefix(tool_prefix) < 0)
    {
        return NULL;
    }
    return graph_referrers(nodes, frontier, ignore_ids, cap,
                           tool_prefix == Py_None ? NULL : tool_prefix, roots);
}

PyDoc_STRVAR(
    graph_referents_doc,
    "graph_referents(nodes, frontier, ignore_ids, cap=-1)\n"
    "--\n\n"
    "The objects nodes[i] refers to, for i in frontier (what its type's\n"
    "traversal visits, as gc.get_referents()); arguments as for\n"
    "graph_referrers, cap counting distinct referents per node.\n\n"
    "Returns (new_objects, edges, skipped) as graph_referrers does, each\n"
    "edge (referrer, referent, occurrence) having its referrer in the\n"
    "frontier and skipped counting per referrer.");

static PyObject *
graph_referents_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"nodes", "frontier", "ignore_ids", "cap", NULL};
    PyObject *nodes, *frontier, *ignore_ids;
    Py_ssize_t cap = -1;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|n:graph_referents",
                                     kwlist, &nodes, &frontier, &ignore_ids,
                                     &cap) ||
        check_step(nodes, frontier, ignore_ids) < 0)
    {
        return NULL;
    }
    return graph_referents(nodes, frontier, ignore_ids, cap);
}

PyDoc_STRVAR(
    graph_labels_doc,
    "graph_labels(pairs)\n"
    "--\n\n"
    "Name references as code would: pairs is a list of (referrer,\n"
    "referent, occurrence, namespace) tuples, occurrence picking which of\n"
    "the referrer's references to the referent (0 for the first),\n"
    "namespace 1 to spell a dict's str keys as attributes (module\n"
    "globals), else 0.  No user code runs.\n\n"
    "Returns a list of (label, kind, role, part) tuples: kind one of\n"
    "'key', 'dict_key', 'index', 'element', 'attr', 'closure', 'local',\n"
    "'referent'; role '' or 'own_dict', 'closure', 'cell_contents',\n"
    "'frame', 'local' (how the label folds with the next one); part the\n"
    "key (an identifier str) of a 'key' label, the index of an 'index'\n"
    "label, else None.");

static PyObject *
graph_labels_(PyObject *module, PyObject *args)
{
    PyObject *pairs;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!:graph_labels", &PyList_Type, &pairs)) {
        return NULL;
    }
    return graph_labels(pairs);
}

PyDoc_STRVAR(
    vocabulary_doc,
    "vocabulary()\n"
    "--\n\n"
    "The names the core puts in its results, each a tuple in the order of\n"
    "its enum: {'root_kinds', 'statuses', 'frame_slots', 'thread_fields',\n"
    "'interpreter_holders', 'phases', 'edge_kinds'}.  whyalive.vocab spells\n"
    "the same names; a test holds the two equal.");

static PyObject *
names_tuple(const char *const *names, size_t count)
{
    PyObject *tuple = PyTuple_New((Py_ssize_t)count);
    for (size_t i = 0; tuple != NULL && i < count; i++) {
        PyObject *name = PyUnicode_FromString(names[i]);
        if (name == NULL) {
            Py_CLEAR(tuple);
            break;
        }
        PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, name);
    }
    return tuple;
}

static PyObject *
vocabulary(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    const char *phases[PHASE_NAMING];
    size_t nphases = 0;
    for (int phase = PHASE_NONE + 1; deadline_phase_name(phase); phase++) {
        phases[nphases++] = deadline_phase_name(phase);
    }
    return Py_BuildValue(
        "{sNsNsNsNsNsNsN}", "root_kinds", names_tuple(path_root_names, PR_COUNT),
        "statuses", names_tuple(status_names, ST_COUNT), "frame_slots",
        names_tuple(roots_frame_slot_names, FRAME_SLOT_COUNT), "thread_fields",
        names_tuple(roots_thread_field_names, COMPAT_THREAD_FIELD_COUNT),
        "interpreter_holders",
        names_tuple(roots_interp_holder_names, INTERP_HOLDER_COUNT), "phases",
        names_tuple(phases, nphases), "edge_kinds",
        names_tuple(edge_kind_names, EDGE_KIND_COUNT));
}

/* The layout check's test hook: a field taken to be elsewhere in the
 * running CPython, applied by the next module exec (a fresh load). */
static char layout_override_name[64];
static uint64_t layout_override_value;

PyDoc_STRVAR(
    check_layout_doc,
    "_check_layout(field=None, offset=0, /, *, at_next_load=False)\n"
    "--\n\n"
    "The import-time check of the internal structures' layout against this\n"
    "CPython's own _Py_DebugOffsets (3.13+): None when they agree, else the\n"
    "message the import fails with.  For tests, field ('thread_state.\n"
    "current_frame', as _Py_DebugOffsets names it) is taken to be at offset\n"
    "instead; with at_next_load=True that is kept for the next load of the\n"
    "module (its exec), which then fails.");

static PyObject *
check_layout(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"", "", "at_next_load", NULL};
    const char *field = NULL;
    unsigned long long offset = 0;
    int at_next_load = 0;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zK$p:_check_layout", kwlist,
                                     &field, &offset, &at_next_load))
    {
        return NULL;
    }
    if (field != NULL &&
        (!compat_layout_has_field(field) || strlen(field) >= sizeof(layout_override_name)))
    {
        return PyErr_Format(PyExc_ValueError,
                            "field must be a field the layout check compares, "
                            "not %R",
                            PyTuple_GET_ITEM(args, 0));
    }
    if (at_next_load) {
        snprintf(layout_override_name, sizeof(layout_override_name), "%s",
                 field != NULL ? field : "");
        layout_override_value = offset;
        Py_RETURN_NONE;
    }
    char message[512];
    if (compat_layout_check(field, offset, message, sizeof(message)) == 0) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(message);
}

PyDoc_STRVAR(layout_fields_doc,
             "_layout_fields()\n"
             "--\n\n"
             "The fields _check_layout compares, as _Py_DebugOffsets names them\n"
             "(empty before 3.13).");

static PyObject *
layout_fields(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    Py_ssize_t count = (Py_ssize_t)COMPAT_LAYOUT_COUNT;
    PyObject *tuple = PyTuple_New(count);
    for (Py_ssize_t i = 0; tuple != NULL && i < count; i++) {
        PyObject *name = PyUnicode_FromString(compat_layout_field_name((size_t)i));
        if (name == NULL) {
            Py_CLEAR(tuple);
            break;
        }
        PyTuple_SET_ITEM(tuple, i, name);
    }
    return tuple;
}

/* ------------------------------------------------------------------ */
/* Snapshots: the heap kept as data (its queries: snapmethods.c)       */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(
    snapshot_capture_doc,
    "snapshot_capture(tool_prefix=None, stack_tables=None)\n--\n\n"
    "Walk the heap once and return it as plain data, holding no reference\n"
    "to any object of it: (strings, ids, types, sizes, names, refcounts,\n"
    "seen, flags, edge_start, edges, edge_labels, labels, modules, refs,\n"
    "stats, big), as snapshot.h describes: per-node and per-reference\n"
    "arrays in bytes (native uint64/uint32/uint8), strings as indices\n"
    "into `strings`, modules [(dict_node, name)], refs [(node, root_kind,\n"
    "(kind, name, detail))], stats (threads, frames, seconds), big the\n"
    "(node uint32, field uint32, value uint64) too big for sizes,\n"
    "refcounts (uint32) or seen (uint8), which mark them all ones;\n"
    "with the checked snapshot the queries take: (data, checked).");

static PyObject *
snapshot_capture_(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"tool_prefix", "stack_tables", NULL};
    module_state *state = get_state(module);
    PyObject *tool_prefix = Py_None, *stack_tables = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:snapshot_capture",
                                     kwlist, &tool_prefix, &stack_tables))
    {
        return NULL;
    }
    if (check_prefix(tool_prefix) < 0) {
        return NULL;
    }
    if (stack_tables != Py_None && !PyDict_CheckExact(stack_tables)) {
        return PyErr_Format(PyExc_TypeError,
                            "stack_tables must be a dict or None, not %.100s",
                            Py_TYPE(stack_tables)->tp_name);
    }
    snapshot_query_t q;
    q.tool_prefix = tool_prefix == Py_None ? NULL : tool_prefix;
    q.stack_tables = stack_tables == Py_None ? NULL : stack_tables;
    q.partial_type = (PyTypeObject *)state->partial_type;
    q.partial_args_offset = state->partial_args_offset;
    q.partial_keywords_offset = state->partial_keywords_offset;
    return snapshot_capture(&q);
}

/* ------------------------------------------------------------------ */
/* Cycles: the garbage a collection found (cycles.h)                    */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(
    cycles_graph_doc,
    "cycles_graph(objects)\n--\n\n"
    "The references among objects (a list: what a collection found\n"
    "unreachable) and their cycles: (nodes, edges, components), nodes\n"
    "[(id, type_name, name, flags)] (flags 1 finalizer, 2 legacy\n"
    "finalizer, 4 weak reference with a callback, 8 internal), edges\n"
    "[(src, dst, label, kind)] folded as paths are, components [tuple of\n"
    "node indices] (strongly connected, cyclic).");

static PyObject *
cycles_graph_(PyObject *module, PyObject *objects)
{
    (void)module;
    return cycles_graph(objects);
}

PyDoc_STRVAR(cycles_clear_doc,
             "cycles_clear(objects)\n--\n\n"
             "Empty the list objects and tp_clear each of its objects, as the\n"
             "collector clears garbage: cycles nothing else holds are freed.");

static PyObject *
cycles_clear_(PyObject *module, PyObject *objects)
{
    (void)module;
    return cycles_clear(objects);
}

static PyMethodDef core_methods[] = {
    {"_layout_fields", layout_fields, METH_NOARGS, layout_fields_doc},
    {"_check_layout", (PyCFunction)(void (*)(void))check_layout,
     METH_VARARGS | METH_KEYWORDS, check_layout_doc},
    {"vocabulary", vocabulary, METH_NOARGS, vocabulary_doc},
    {"find_paths", (PyCFunction)(void (*)(void))find_paths,
     METH_VARARGS | METH_KEYWORDS, find_paths_doc},
    {"running_code", running_code, METH_NOARGS, running_code_doc},
    {"is_interned", is_interned, METH_O, is_interned_doc},
    {"allocation_traceback", allocation_traceback, METH_O,
     allocation_traceback_doc},
    {"census_types", (PyCFunction)(void (*)(void))census_types_,
     METH_VARARGS | METH_KEYWORDS, census_types_doc},
    {"census_objects_of", (PyCFunction)(void (*)(void))census_objects_of_,
     METH_VARARGS | METH_KEYWORDS, census_objects_of_doc},
    {"census_objects_at", (PyCFunction)(void (*)(void))census_objects_at_,
     METH_VARARGS | METH_KEYWORDS, census_objects_at_doc},
    {"census_snapshot", census_snapshot_, METH_NOARGS, census_snapshot_doc},
    {"census_new_ids", census_new_ids_, METH_VARARGS, census_new_ids_doc},
    {"_young_census_check",
     (PyCFunction)(void (*)(void))census_young_check_binding,
     METH_VARARGS | METH_KEYWORDS, census_young_check_doc},
    {"census_instances", (PyCFunction)(void (*)(void))census_instances_,
     METH_VARARGS | METH_KEYWORDS, census_instances_doc},
    {"census_leaking", (PyCFunction)(void (*)(void))census_leaking_,
     METH_VARARGS | METH_KEYWORDS, census_leaking_doc},
    {"chain_backrefs", (PyCFunction)(void (*)(void))chain_backrefs_binding,
     METH_VARARGS | METH_KEYWORDS, chain_backrefs_doc},
    {"graph_referrers", (PyCFunction)(void (*)(void))graph_referrers_,
     METH_VARARGS | METH_KEYWORDS, graph_referrers_doc},
    {"graph_referents", (PyCFunction)(void (*)(void))graph_referents_,
     METH_VARARGS | METH_KEYWORDS, graph_referents_doc},
    {"graph_labels", graph_labels_, METH_VARARGS, graph_labels_doc},
    {"snapshot_capture", (PyCFunction)(void (*)(void))snapshot_capture_,
     METH_VARARGS | METH_KEYWORDS, snapshot_capture_doc},
    {"cycles_graph", cycles_graph_, METH_O, cycles_graph_doc},
    {"cycles_clear", cycles_clear_, METH_O, cycles_clear_doc},
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
    char message[512];
#ifdef WHYALIVE_FREE_THREADED
    if (compat_free_threaded_refusal(PyThreadState_Get(), message,
                                     sizeof(message)))
    {
        PyErr_SetString(PyExc_ImportError, message);
        return -1;
    }
#endif
    int layout = compat_layout_check(
        layout_override_name[0] ? layout_override_name : NULL,
        layout_override_value, message, sizeof(message));
    layout_override_name[0] = '\0';
    if (layout < 0) {
        PyErr_SetString(PyExc_ImportError, message);
        return -1;
    }
    if (heappar_init() < 0 ||
        PyModule_AddFunctions(module, snapshot_query_methods) < 0)
    {
        return -1;
    }
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
    /* several interpreters sharing one GIL, never one GIL each: a walk
     * borrows GC header words of objects every interpreter shares (the
     * empty tuple, static types' tuples), so two at once would clash */
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},
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
