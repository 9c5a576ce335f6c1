/* strtable.h: a snapshot's string table, each distinct str once.
 *
 * A list of the strs (the snapshot's own field) and an open-addressing
 * index over it by the strs' hashes, its slots holding the hash's low
 * half and the string's index: a str met for the first time costs one
 * probe of memory, and the index grows without reading any str again.
 * A str subclass's text is stored as an exact str (hashing and comparing
 * those run no Python code).
 * Memory comes from PyMem_Raw*, which never starts a collection.
 */
#ifndef WHYALIVE_STRTABLE_H
#define WHYALIVE_STRTABLE_H

#include "compat.h"

typedef struct {
    PyObject *strings; /* list of str: index -> str */
    uint64_t *slots;   /* hash low 32 bits << 32 | index + 1; 0 empty */
    size_t mask;
    int bits;
} strtable_t;

/* An empty table with room for about `expected` strs.  -1 with
 * MemoryError set. */
int strtable_init(strtable_t *t, size_t expected);
void strtable_free(strtable_t *t);

/* The index of the str equal to s, s (or, for a str subclass, an exact
 * copy) appended if none is; -1 with an exception set. */
int64_t strtable_index(strtable_t *t, PyObject *s);

#endif
