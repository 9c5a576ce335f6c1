/* census.h: counting and finding objects, one heap pass each.
 *
 * Every function walks the objects the collector tracks, frozen ones
 * (gc.freeze()) included, with compat_gc_foreach, or a sequence the
 * caller gave.  Counts are kept per type pointer; type names are made
 * once per type, after the walk.  The collector is off during a walk,
 * no Python code runs in it, and walk memory comes from PyMem_Raw*.
 */
#ifndef WHYALIVE_CENSUS_H
#define WHYALIVE_CENSUS_H

#include "compat.h"

/* Per type counts: list of (type_id, short_name, long_name,
 * qualified_name, count) tuples, in the order types were first met.
 * objects: a list or tuple to count instead of the heap, or NULL. */
PyObject *census_type_counts(PyObject *objects);

/* The objects whose exact type's id is in type_ids (a tuple of ints,
 * compared, never dereferenced), in heap order (or the order of
 * objects, a list or tuple, when not NULL).  A list. */
PyObject *census_objects_of_types(PyObject *type_ids, PyObject *objects);

/* The tracked objects whose id is in ids (a tuple of ints, compared,
 * never dereferenced), in heap order; at most `limit` of them
 * (< 0: no limit).  A list. */
PyObject *census_objects_at(PyObject *ids, Py_ssize_t limit);

/* The tracked objects whose type is one of classes (a tuple of types)
 * or a subclass of one by its MRO, without collecting; no
 * __instancecheck__ runs.  (stamp, {id: type}, young): stamp describes
 * the collector's lists now (None where no young census may be taken:
 * compat_young_census_check); when `since`, a stamp of an earlier call, equals it, only
 * the young generations are walked (young is True): every object
 * tracked since that call is among them.  Otherwise every tracked
 * object, frozen ones included. */
PyObject *census_instances(PyObject *classes, PyObject *since);

/* _core._young_census_check(field=None, value=0, *, keep=False): None
 * when census_instances may take young censuses on this CPython, else
 * why not (compat_young_census_check); the test hook's override. */
PyObject *census_young_check_binding(PyObject *module, PyObject *args,
                                     PyObject *kwargs);
extern const char census_young_check_doc[];

/* Every tracked object as (address, type id) pairs sorted by address:
 * (rows, pairs) where rows are census_type_counts' rows and pairs a
 * bytes object of native uint64 pairs. */
PyObject *census_snapshot(void);

/* Pairs of `after` absent from `before` (both as census_snapshot made
 * them): a list of (type_id, [address, ...]) tuples. */
PyObject *census_new_ids(PyObject *before, PyObject *after);

/* Objects no reference of the object graph points to.  objects: a
 * list or tuple of candidates, or NULL for every tracked object;
 * excluded: a tuple of objects whose references do not count (the
 * caller's own containers); tool_prefix: source path prefix of the
 * tool's frames, or NULL.  Objects held by a frame or a thread state
 * are not listed.  A list of (object, refcount, outside_refs) tuples;
 * both counts are -1 for immortal objects. */
PyObject *census_leaking(PyObject *objects, PyObject *excluded,
                         PyObject *tool_prefix);

#endif /* WHYALIVE_CENSUS_H */
