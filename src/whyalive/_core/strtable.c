/* strtable.c: a snapshot's string table (strtable.h). */
#include "strtable.h"
#include "array.h"

#define STRTABLE_MAX_BITS 32

static size_t
slot_of(const strtable_t *t, uint32_t hash)
{
    /* the slot comes from the hash's low half alone, which the slot
     * keeps: growing needs no str */
    return (size_t)(((uint64_t)hash * 0x9E3779B97F4A7C15ull) >> (64 - t->bits));
}

static int
grow(strtable_t *t, int bits)
{
    size_t nslots = (size_t)1 << bits;
    uint64_t *slots = PyMem_RawCalloc(nslots, sizeof(*slots));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    uint64_t *old = t->slots;
    size_t old_count = old ? t->mask + 1 : 0;
    t->slots = slots;
    t->bits = bits;
    t->mask = nslots - 1;
    for (size_t s = 0; s < old_count; s++) {
        if (old[s] == 0) {
            continue;
        }
        size_t home = slot_of(t, (uint32_t)(old[s] >> 32));
        slots[table_first_empty(slots, t->mask, home)] = old[s];
    }
    PyMem_RawFree(old);
    return 0;
}

int
strtable_init(strtable_t *t, size_t expected)
{
    memset(t, 0, sizeof(*t));
    if ((t->strings = PyList_New(0)) == NULL ||
        grow(t, table_bits_for(expected, 10, STRTABLE_MAX_BITS)) < 0)
    {
        strtable_free(t);
        return -1;
    }
    return 0;
}

void
strtable_free(strtable_t *t)
{
    Py_CLEAR(t->strings);
    PyMem_RawFree(t->slots);
    t->slots = NULL;
}

static int64_t
index_exact(strtable_t *t, PyObject *s)
{
    Py_hash_t full = PyObject_Hash(s);
    if (full == -1) {
        return -1;
    }
    uint32_t hash = (uint32_t)(uint64_t)full;
    size_t i = slot_of(t, hash);
    for (;;) {
        uint64_t slot = t->slots[i];
        if (slot == 0) {
            break;
        }
        if ((uint32_t)(slot >> 32) == hash) {
            Py_ssize_t index = (Py_ssize_t)(uint32_t)slot - 1;
            PyObject *known = PyList_GET_ITEM(t->strings, index);
            if (known == s || PyUnicode_Compare(known, s) == 0) {
                return index;
            }
            if (PyErr_Occurred()) {
                return -1;
            }
        }
        i = (i + 1) & t->mask;
    }
    Py_ssize_t index = PyList_GET_SIZE(t->strings);
    if ((uint64_t)index >= UINT32_MAX - 1) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: a snapshot holds fewer than 2**32 strings");
        return -1;
    }
    if (PyList_Append(t->strings, s) < 0) {
        return -1;
    }
    t->slots[i] = ((uint64_t)hash << 32) | ((uint64_t)index + 1);
    /* at most half full */
    if ((size_t)(index + 1) * 2 > t->mask + 1 &&
        t->bits < STRTABLE_MAX_BITS && grow(t, t->bits + 1) < 0)
    {
        return -1;
    }
    return index;
}

int64_t
strtable_index(strtable_t *t, PyObject *s)
{
    if (PyUnicode_CheckExact(s)) {
        return index_exact(t, s);
    }
    /* a str subclass's __hash__ and __eq__ are Python code: its text is
     * copied into an exact str first (copying runs none) */
    PyObject *exact = PyUnicode_FromObject(s);
    int64_t index = exact != NULL ? index_exact(t, exact) : -1;
    Py_XDECREF(exact);
    return index;
}
