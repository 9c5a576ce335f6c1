/* paths.h: shortest retainer paths from the roots to the targets.
 *
 * One 0-1 breadth-first search runs from all module globals, frames and
 * thread states at once over the graph of heap.c (references folded
 * into their owner weigh 0); a second runs from the objects whose
 * refcount shows references from outside the graph.  Every node then
 * knows its distance to the nearest root and the reference that gives
 * it, so any number of targets cost one search.  Per target, the
 * shortest path through each distinct retainer is taken, then paths
 * that branch off those further out.  Targets no root reaches are
 * analysed backwards: cyclic garbage, or held only by excluded objects.
 */
#ifndef WHYALIVE_PATHS_H
#define WHYALIVE_PATHS_H

#include "heap.h"

/* One explain query, as module.c parsed it.  Borrowed references. */
typedef struct {
    PyObject *targets;          /* tuple of the objects asked about */
    PyObject *excluded_objects; /* tuple: never shown as retainers */
    PyObject *excluded_ids;     /* tuple of int addresses, same */
    PyObject *tool_prefix;      /* str: whyalive's own source files */
    PyObject *instances_of;     /* tuple of classes: their instances are
                                   targets too; or NULL */
    Py_ssize_t max_depth;       /* references per path; < 0: no limit */
    Py_ssize_t max_paths;       /* per target, >= 1 */
    double timeout;             /* seconds; <= 0: none */
    int threads;                /* for the index build (heappar.c) */
    PyObject *stack_tables;     /* {code: stack depths} (_stack.py) or NULL */
    int want_objects;           /* also return the targets themselves */
    int compact;                /* targets as flat tables (result.c) */
    int progress;               /* print a progress line on stderr after
                                   a few seconds */
    PyTypeObject *partial_type; /* functools.partial, or NULL */
    Py_ssize_t partial_args_offset;
    Py_ssize_t partial_keywords_offset;
    int expire_at_phase; /* tests: the time runs out as this
                            enum query_phase begins; 0: never */
} query_t;

/* Runs the query; returns the result tuple described in module.c's
 * docstring of find_paths, or NULL with an exception set. */
PyObject *paths_explain(const query_t *q);

#endif /* WHYALIVE_PATHS_H */
