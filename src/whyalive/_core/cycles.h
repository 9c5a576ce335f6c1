/* cycles.h: the cyclic garbage of one collection as plain data.
 *
 * cycles_graph(objects), objects a list (what a collection under
 * DEBUG_SAVEALL appended to gc.garbage), returns (nodes, edges,
 * components):
 *   nodes: list of (id, type_name, name, flags) per object, flags
 *          1 finalizer (tp_finalize, __del__, or tp_del), 2 legacy
 *          finalizer (tp_del: the collector cannot free it), 4 weak
 *          reference with a callback, 8 internal (an owner's __dict__,
 *          closure tuple or cell, a generator's frame: its references
 *          are shown folded into its owner's);
 *   edges: list of (src, dst, label, kind), indices into nodes, between
 *          objects that are not internal, labelled as paths are;
 *   components: list of tuples of node indices, the strongly connected
 *          components of more than one object or with a self-reference.
 * No user code runs; the collector is off while it reads.
 *
 * cycles_clear(objects) empties the list and calls tp_clear on each of
 * its objects (the collector's delete_garbage), so cycles that nothing
 * else holds are freed now.  Returns None.
 */
#ifndef WHYALIVE_CYCLES_H
#define WHYALIVE_CYCLES_H

#include "compat.h"

PyObject *cycles_graph(PyObject *objects);
PyObject *cycles_clear(PyObject *objects);

#endif /* WHYALIVE_CYCLES_H */
