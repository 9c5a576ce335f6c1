/* probes.h: fields of the stdlib's C types learned from probe objects
 * (probes.c): itertools' iterators whose fields may be NULL, the key
 * of functools.cmp_to_key, memoryview's buffer, operator's getters, io
 * objects' parts. */
#ifndef WHYALIVE_PROBES_H
#define WHYALIVE_PROBES_H

#include "names.h"

/* The label of the field of op that holds child (static; a leading
 * '+' marks a container a path names and folds into the next label,
 * '-' one it folds away), or NULL.  *index receives the
 * position in an array field ("<buffered items>"), else -1. */
const char *probes_label(PyObject *op, PyObject *child, Py_ssize_t *index);

/* Makes the probes once per process (a no-op after): called before a
 * walk borrows the GC headers.  Never fails; a field no probe filled
 * stays unnamed. */
void probes_learn(void);

#endif /* WHYALIVE_PROBES_H */
