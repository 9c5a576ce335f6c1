/* scratch.c: the free-threaded build's per-object scratch words
 * (scratch.h).  Compiled to nothing on the default build. */
#include "scratch.h"
#include "array.h"

#ifdef Py_GIL_DISABLED

static int
scratch_rehash(scratch_t *s, int bits)
{
    size_t pairs = (size_t)1 << bits;
    uintptr_t *slots = PyMem_RawCalloc(pairs, 2 * sizeof(uintptr_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    uintptr_t *old = s->slots;
    size_t old_pairs = old != NULL ? s->mask + 1 : 0;
    s->slots = slots;
    s->bits = bits;
    s->mask = pairs - 1;
    for (size_t j = 0; j < old_pairs; j++) {
        if (old[2 * j] == 0) {
            continue;
        }
        size_t i = scratch_slot(s, old[2 * j]);
        while (slots[2 * i] != 0) {
            i = (i + 1) & s->mask;
        }
        slots[2 * i] = old[2 * j];
        slots[2 * i + 1] = old[2 * j + 1];
    }
    PyMem_RawFree(old);
    return 0;
}

int
scratch_init(scratch_t *s, size_t expected)
{
    memset(s, 0, sizeof(*s));
    return scratch_rehash(s, table_bits_for(expected, 10, 40));
}

int
scratch_grow(scratch_t *s)
{
    return scratch_rehash(s, s->slots != NULL ? s->bits + 1 : 10);
}

void
scratch_free(scratch_t *s)
{
    PyMem_RawFree(s->slots);
    memset(s, 0, sizeof(*s));
}

#else
/* ISO C wants a translation unit to declare something */
typedef int scratch_unused_t;
#endif
