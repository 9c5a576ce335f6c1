/* nogc.h: references held by objects without GC support.
 *
 * An extension type without tp_traverse hides its references from the
 * collector and so from a walk: a numpy view keeps its base array alive
 * through a field no traversal visits, and the base looks "held from
 * outside".  For a small, checked table of such types (numpy's ndarray
 * first) the fields are read from the type's public layout, never by
 * calling the extension: only when the type is the one its module
 * defines (found in sys.modules, static, of the documented size), so
 * a type that merely shares the name is never misread.
 */
#ifndef WHYALIVE_NOGC_H
#define WHYALIVE_NOGC_H

#include "compat.h"

typedef struct {
    PyTypeObject *ndarray; /* numpy.ndarray when numpy is imported */
} nogc_t;

/* Finds the types of the table among the imported modules.  Reads
 * dicts only; never fails. */
void nogc_init(nogc_t *g);

/* Is op of a type of the table, or a subclass of one? */
int nogc_is_known(const nogc_t *g, PyObject *op);

/* The i-th reference op holds outside its traversal (borrowed), NULL
 * past the last; *label receives its attribute name (".base"). */
PyObject *nogc_reference(const nogc_t *g, PyObject *op, int i,
                         const char **label);

/* Writes the table's types found (NOGC_MAX_TYPES at most) to out; how
 * many. */
#define NOGC_MAX_TYPES 1
int nogc_types(const nogc_t *g, PyTypeObject **out);

/* Visits each reference op holds outside its traversal, as a
 * tp_traverse would; stops at the first non-zero return of visit. */
int nogc_traverse(const nogc_t *g, PyObject *op, visitproc visit, void *arg);

#endif /* WHYALIVE_NOGC_H */
