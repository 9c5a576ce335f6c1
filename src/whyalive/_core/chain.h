/* chain.h: the referrers of one object to any depth, from one walk of
 * the heap (chain.c), for objgraph's find_backref_chain. */
#ifndef WHYALIVE_CHAIN_H
#define WHYALIVE_CHAIN_H

#include "compat.h"

/* Returns (objects, parents): objects, a list, holds obj then every
 * object whose references reach it within max_depth links (-1: any),
 * breadth first, the referrers of each in the collector's order;
 * parents, bytes of native uint32, the index in objects of the object
 * each was met from (UINT32_MAX for obj).  ignore_ids: a tuple of ints,
 * objects never met (compared, never dereferenced), nor the `own`
 * objects (the call's own containers, NULL entries skipped). */
PyObject *chain_backrefs(PyObject *obj, Py_ssize_t max_depth,
                         PyObject *ignore_ids, PyObject *const *own,
                         size_t nown);

/* _core.chain_backrefs(obj, max_depth, ignore_ids): its arguments
 * checked, then chain_backrefs with the call's own containers. */
PyObject *chain_backrefs_binding(PyObject *module, PyObject *args,
                                 PyObject *kwargs);
extern const char chain_backrefs_doc[];

#endif /* WHYALIVE_CHAIN_H */
