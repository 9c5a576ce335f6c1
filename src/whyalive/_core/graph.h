/* graph.h: one level of a breadth-first walk of the reference graph.
 *
 * The caller keeps every object found so far in one list, `nodes`, and
 * asks for the next level: the referrers of some of them (one pass over
 * the heap) or their referents (one traversal each).  Between levels
 * the caller may run user code (filters, predicates); within a level
 * none runs.  Indices below are positions in nodes, then in the list of
 * new objects a call returns (index len(nodes) + k is new object k).
 */
#ifndef WHYALIVE_GRAPH_H
#define WHYALIVE_GRAPH_H

#include "compat.h"

/* Returns (new_objects, edges, skipped, roots, modules):
 *   new_objects: referrers not in nodes, in the order first met;
 *   edges: list of (referrer, referent, occurrence): one per reference,
 *          occurrence counting the referrer's earlier references to the
 *          same referent (a value under two keys gives two edges);
 *   skipped: list of (referent, count): distinct referrers beyond `cap`
 *          per referent, not reported (cap < 0: no limit);
 *   roots: list of (referent, kind, name, slot, function, filename,
 *          lineno, thread_id, depth): references from the frames of
 *          every thread (kind 'frame') and thread states (kind
 *          'thread'), whyalive's own frames left out, when want_roots;
 *   modules: list of (index, module_name) of referrers that are the
 *          __dict__ of a module in sys.modules.
 * frontier: tuple of indices into nodes; ignore_ids: tuple of ints,
 * objects never reported (compared, never dereferenced); the nodes list
 * itself is never a referrer.  Containers the collector does not track
 * and code objects are searched too when a frontier object is itself
 * untracked (only such objects can be held by them). */
PyObject *graph_referrers(PyObject *nodes, PyObject *frontier,
                          PyObject *ignore_ids, Py_ssize_t cap,
                          PyObject *tool_prefix, int want_roots);

/* Returns (new_objects, edges, skipped) as graph_referrers, following
 * the references the frontier objects hold (tp_traverse order), edges
 * being (referrer, referent, occurrence) with the referrer in the
 * frontier and skipped counted per referrer. */
PyObject *graph_referents(PyObject *nodes, PyObject *frontier,
                          PyObject *ignore_ids, Py_ssize_t cap);

/* Labels references: pairs is a list of (referrer, referent, occurrence,
 * namespace) tuples; namespace true spells a dict's str keys as
 * attributes (a module's globals).  Returns a list of (label, kind,
 * role, part) tuples: kind as in Edge.kind; role '' or one of
 * 'own_dict', 'closure', 'cell_contents', 'frame', 'local' (how the
 * label folds with the next one); part the dict key (an identifier str)
 * for kind 'key', the index for kind 'index', else None. */
PyObject *graph_labels(PyObject *pairs);

#endif /* WHYALIVE_GRAPH_H */
