/* ptrmap.c: the address map of ptrmap.h. */
#include "ptrmap.h"

#define MIN_BITS 6

static int
ptrmap_alloc(ptrmap_t *m, int bits)
{
    size_t nslots = (size_t)1 << bits;
    m->keys = PyMem_RawCalloc(nslots, sizeof(*m->keys));
    m->values = PyMem_RawMalloc(nslots * sizeof(*m->values));
    if (m->keys == NULL || m->values == NULL) {
        PyMem_RawFree(m->keys);
        PyMem_RawFree(m->values);
        m->keys = NULL;
        m->values = NULL;
        PyErr_NoMemory();
        return -1;
    }
    m->bits = bits;
    m->mask = nslots - 1;
    m->count = 0;
    return 0;
}

int
ptrmap_init(ptrmap_t *m, size_t expected)
{
    int bits = MIN_BITS;
    /* at most half full before the first resize */
    while (((size_t)1 << bits) < expected * 2 && bits < 62) {
        bits++;
    }
    memset(m, 0, sizeof(*m));
    return ptrmap_alloc(m, bits);
}

void
ptrmap_free(ptrmap_t *m)
{
    PyMem_RawFree(m->keys);
    PyMem_RawFree(m->values);
    memset(m, 0, sizeof(*m));
}

static void
insert_new(ptrmap_t *m, uintptr_t key, uint32_t value)
{
    size_t i = ptrmap_slot(m, key);
    while (m->keys[i] != 0) {
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->values[i] = value;
    m->count++;
}

static int
grow(ptrmap_t *m)
{
    ptrmap_t old = *m;
    if (ptrmap_alloc(m, old.bits + 1) < 0) {
        *m = old;
        return -1;
    }
    for (size_t i = 0; i <= old.mask; i++) {
        if (old.keys[i] != 0) {
            insert_new(m, old.keys[i], old.values[i]);
        }
    }
    ptrmap_free(&old);
    return 0;
}

int
ptrmap_put(ptrmap_t *m, const void *key, uint32_t value, uint32_t *existing)
{
    uintptr_t k = (uintptr_t)key;
    if (k == 0) {
        return 0;
    }
    size_t i = ptrmap_slot(m, k);
    for (;;) {
        uintptr_t here = m->keys[i];
        if (here == k) {
            if (existing != NULL) {
                *existing = m->values[i];
            }
            return 0;
        }
        if (here == 0) {
            break;
        }
        i = (i + 1) & m->mask;
    }
    /* keep the table at most 5/8 full */
    if ((m->count + 1) * 8 > (m->mask + 1) * 5) {
        if (grow(m) < 0) {
            return -1;
        }
        insert_new(m, k, value);
        return 1;
    }
    m->keys[i] = k;
    m->values[i] = value;
    m->count++;
    return 1;
}

int
ptrmap_add_ids(ptrmap_t *m, PyObject *ids, const char *what)
{
    Py_ssize_t n = PyTuple_GET_SIZE(ids);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(ids, i);
        if (!PyLong_Check(item) || PyBool_Check(item)) {
            PyErr_Format(PyExc_TypeError,
                         "%s must hold ints (ids), not %.100s", what,
                         Py_TYPE(item)->tp_name);
            return -1;
        }
        unsigned long long address = PyLong_AsUnsignedLongLong(item);
        if (address == (unsigned long long)-1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
                return -1;
            }
            PyErr_Clear(); /* negative or too large: not an address */
            continue;
        }
        if (address > (unsigned long long)UINTPTR_MAX) {
            continue;
        }
        if (ptrmap_put(m, (void *)(uintptr_t)address, (uint32_t)i, NULL) < 0) {
            return -1;
        }
    }
    return 0;
}
