/* compat.h: every CPython version difference whyalive depends on.
 *
 * The engine files (heap.c, roots.c, paths.c, names.c) call only the
 * static inline functions below; none of them tests PY_VERSION_HEX.
 * One header per concern: this one holds the internal headers, object
 * enumeration, GC headers, reference counts (immortal objects), instance
 * dictionaries and inline values, and tracemalloc; compat_frames.h code
 * objects, running frames and generators; compat_threads.h thread
 * states, the interpreter state and struct fields read by name;
 * compat_layout.h the check of those structures' layout against the
 * running CPython's _Py_DebugOffsets.  This
 * header includes the other two at its end; the engine includes only
 * this one.  What does not depend on CPython (the clock, huge pages, bit
 * helpers) is in platform.h.
 *
 * Internal structures are read, never written, and only with the GIL
 * held and no Python code running.  The layouts come from the headers
 * of the interpreter this extension is compiled against.
 */
#ifndef WHYALIVE_COMPAT_H
#define WHYALIVE_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030A0000
#error "whyalive needs CPython 3.10 or newer"
#endif

/* ------------------------------------------------------------------ */
/* Internal headers                                                    */
/* ------------------------------------------------------------------ */

/* The internal headers are not written for -Wextra, and some redefine
 * what the public headers define when Py_BUILD_CORE is unset. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#undef _PyGC_FINALIZED
#undef _PyObject_LookupSpecial
#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_object.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#include "internal/pycore_genobject.h"
#include "internal/pycore_runtime.h"
#include "internal/pycore_tracemalloc.h"
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_interpframe.h"
#include "internal/pycore_stackref.h"
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#ifdef Py_GIL_DISABLED
#define WHYALIVE_FREE_THREADED 1
#include "internal/pycore_ceval.h"
#endif

/* ------------------------------------------------------------------ */
/* The free-threaded build                                             */
/* ------------------------------------------------------------------ */

#ifdef Py_GIL_DISABLED
/* Why whyalive cannot walk the heap of this free-threaded interpreter,
 * written to message (returns 1), or 0 when it can.  A walk reads every
 * object with no other thread running: on 3.13t that holds while the
 * GIL is on, as importing whyalive turns it on (its module says
 * Py_MOD_GIL_USED) unless PYTHON_GIL=0 or -X gil=0 keep it off; 3.13
 * exports no way to stop the other threads.  3.14t+ (deferred stack
 * references, per-thread reference counts) cannot be run here, so it
 * is refused rather than walked untested. */
static inline int
compat_free_threaded_refusal(PyThreadState *tstate, char *message,
                             size_t size)
{
#if PY_VERSION_HEX >= 0x030E0000
    (void)tstate;
    PyOS_snprintf(message, size,
                  "whyalive does not support the free-threaded build of "
                  "CPython %s yet: only 3.13t (with the GIL on) is supported",
                  PY_VERSION);
    return 1;
#else
    if (_PyEval_IsGILEnabled(tstate)) {
        return 0;
    }
    PyOS_snprintf(message, size,
                  "whyalive cannot walk the heap of free-threaded CPython %s "
                  "with the GIL disabled (PYTHON_GIL=0 or -X gil=0): a walk "
                  "needs every other thread stopped, and CPython 3.13 offers "
                  "no way to stop them; run without PYTHON_GIL=0 (importing "
                  "whyalive then turns the GIL on)",
                  PY_VERSION);
    return 1;
#endif
}
#endif

/* ------------------------------------------------------------------ */
/* Object enumeration                                                  */
/* ------------------------------------------------------------------ */

/* Called once per object the collector tracks, frozen ones included.
 * Returns 0 to go on, -1 to stop (error already set by the caller's
 * own bookkeeping).  It must not allocate Python objects. */
typedef int (*compat_object_cb)(PyObject *op, void *arg);

#ifndef Py_GIL_DISABLED
/* One of the collector's doubly linked lists, read only. */
static inline int
compat_gc_list_walk(PyGC_Head *head, compat_object_cb cb, void *arg)
{
    PyGC_Head *gc = (PyGC_Head *)head->_gc_next;
    while (gc != head) {
        PyGC_Head *next = (PyGC_Head *)gc->_gc_next;
        if (cb((PyObject *)(gc + 1), arg) < 0) {
            return -1;
        }
        gc = next;
    }
    return 0;
}
#endif

#if PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED)
/* 3.10-3.13: read the generation lists and the permanent generation
 * (gc.freeze()) directly; nothing is written, unlike
 * PyUnstable_GC_VisitObjects, which also skips the permanent generation
 * before 3.12.10 and 3.13.3. */
static inline int
compat_gc_foreach(compat_object_cb cb, void *arg)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    struct _gc_runtime_state *gcstate = &interp->gc;
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        if (compat_gc_list_walk(&gcstate->generations[i].head, cb, arg) < 0) {
            return -1;
        }
    }
    return compat_gc_list_walk(&gcstate->permanent_generation.head, cb, arg);
}
#elif defined(Py_GIL_DISABLED)
/* Free-threaded builds keep no lists: ftlist.c lists the tracked
 * objects through PyUnstable_GC_VisitObjects, frozen ones by traversal. */
int ftlist_foreach(compat_object_cb cb, void *arg);

static inline int
compat_gc_foreach(compat_object_cb cb, void *arg)
{
    return ftlist_foreach(cb, arg);
}
#else
/* 3.14+: the GC state layout differs between patch releases (incremental
 * in 3.14.0-3.14.4, generational again from 3.14.5), so use the public
 * visitor, which includes the permanent generation on these versions. */
typedef struct {
    compat_object_cb cb;
    void *arg;
    int failed;
} compat_visit_state;

static int
compat_visit_one(PyObject *op, void *arg)
{
    compat_visit_state *state = (compat_visit_state *)arg;
    if (state->cb(op, state->arg) < 0) {
        state->failed = 1;
        return 0; /* stop */
    }
    return 1; /* go on */
}

static inline int
compat_gc_foreach(compat_object_cb cb, void *arg)
{
    compat_visit_state state = {cb, arg, 0};
    PyUnstable_GC_VisitObjects(compat_visit_one, &state);
    return state.failed ? -1 : 0;
}
#endif

/* Young censuses: the two young generations alone, and a stamp that
 * changes whenever an object may have entered the oldest generation or
 * the permanent one (gc.freeze()): the collections of generations 1 and
 * 2 (the only moves into the oldest generation, besides gc.unfreeze())
 * and the last object of each of those two lists (appending to a list
 * changes its last object).  While the stamp stays the same, every
 * object tracked since it was taken is in generation 0 or 1.
 *
 * That holds for a generational collector of three lists: every patch
 * release of 3.10-3.13, 3.14 from 3.14.5 on (3.14.0-3.14.4 collect
 * incrementally: the same three lists, young/old[2], but objects move
 * between the old ones at every young collection, and the low bit of
 * _gc_next flags an object's old space), and 3.15 from its
 * release on (its alphas were incremental too).  Only headers of those
 * releases compile the young census in (COMPAT_YOUNG_SINCE, the first
 * release it is right for; COMPAT_YOUNG_BEFORE, the next minor), and
 * census.c takes a stamp only while compat_young_census_check
 * (compat_layout.h) finds the running CPython among those releases with
 * the collector's state where these headers put it; otherwise every
 * census walks the whole heap, as compat_gc_foreach does: slower, never
 * wrong, and the state is never read at an offset that may be another
 * field's.  Free-threaded builds have no generation lists. */
#if defined(Py_GIL_DISABLED)
#define COMPAT_YOUNG_CENSUS 0
#elif PY_VERSION_HEX < 0x030E0000
#define COMPAT_YOUNG_CENSUS 1
#define COMPAT_YOUNG_SINCE (PY_VERSION_HEX & 0xFFFF0000UL)
#elif PY_VERSION_HEX >= 0x030E05F0 && PY_VERSION_HEX < 0x030F0000
#define COMPAT_YOUNG_CENSUS 1
#define COMPAT_YOUNG_SINCE 0x030E05F0UL /* 3.14.5 */
#elif PY_VERSION_HEX >= 0x030F00F0 && PY_VERSION_HEX < 0x03100000
#define COMPAT_YOUNG_CENSUS 1
#define COMPAT_YOUNG_SINCE 0x030F00F0UL /* 3.15.0 */
#else
/* 3.14.0-3.14.4 headers (incremental), 3.15 pre-releases, 3.16+ (not
 * looked at): every census walks the whole heap. */
#define COMPAT_YOUNG_CENSUS 0
#endif

#if COMPAT_YOUNG_CENSUS
#define COMPAT_YOUNG_BEFORE ((((unsigned long)PY_VERSION_HEX >> 16) + 1) << 16)
#define COMPAT_STAMP_WORDS 4

/* The CPython running this extension, as PY_VERSION_HEX spells it.
 * Py_Version is 3.11+; a 3.10 build runs only on 3.10, all of whose
 * patch releases the young census is right for. */
static inline uint64_t
compat_running_version(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    return (uint64_t)Py_Version;
#else
    return (uint64_t)PY_VERSION_HEX;
#endif
}

static inline int
compat_gc_foreach_young(compat_object_cb cb, void *arg)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    struct _gc_runtime_state *gcstate = &interp->gc;
    for (int i = 0; i < NUM_GENERATIONS - 1; i++) {
        if (compat_gc_list_walk(&gcstate->generations[i].head, cb, arg) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The collections of `generation` (1 or 2) since the interpreter
 * started; -1 where they cannot be read. */
static inline int64_t
compat_gc_collections(struct _gc_runtime_state *gcstate, int generation)
{
#if PY_VERSION_HEX >= 0x030F0000
    /* 3.15: each generation keeps a ring of its last collections'
     * records (gc_stats, heap-allocated), each record's collections the
     * total since start (add_stats copies the previous record and adds
     * one collection): the largest is the newest, whatever the ring's
     * index. */
    const struct gc_stats *stats = gcstate->generation_stats;
    if (stats == NULL) {
        return -1;
    }
    const struct gc_old_stats_buffer *ring = &stats->old[generation - 1];
    Py_ssize_t most = 0;
    for (int i = 0; i < GC_OLD_STATS_SIZE; i++) {
        if (ring->items[i].collections > most) {
            most = ring->items[i].collections;
        }
    }
    return (int64_t)most;
#else
    return (int64_t)gcstate->generation_stats[generation].collections;
#endif
}

/* The stamp now: 0, or -1 where it cannot be taken (no young census
 * then). */
static inline int
compat_gc_stamp(uint64_t stamp[COMPAT_STAMP_WORDS])
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    struct _gc_runtime_state *gcstate = &interp->gc;
    int64_t middle = compat_gc_collections(gcstate, 1);
    int64_t oldest = compat_gc_collections(gcstate, NUM_GENERATIONS - 1);
    if (middle < 0 || oldest < 0) {
        return -1;
    }
    stamp[0] = (uint64_t)middle;
    stamp[1] = (uint64_t)oldest;
    stamp[2] = (uint64_t)(gcstate->generations[NUM_GENERATIONS - 1]
                              .head._gc_prev &
                          _PyGC_PREV_MASK);
    stamp[3] = (uint64_t)(gcstate->permanent_generation.head._gc_prev &
                          _PyGC_PREV_MASK);
    return 0;
}
#endif

/* ------------------------------------------------------------------ */
/* GC headers                                                          */
/* ------------------------------------------------------------------ */

/* Does op have a GC header (its type supports the collector)?  The
 * collector's own test: reads op's type, runs no code. */
static inline int
compat_is_gc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    return PyType_IS_GC(tp) && (tp->tp_is_gc == NULL || tp->tp_is_gc(op));
}

#ifndef Py_GIL_DISABLED
/* The header word the collector uses for the previous object of its
 * list (plus flag bits in the low 2 bits).  heap.c borrows it during a
 * walk, as gc.collect() does, and restores it before any code runs.
 * Free-threaded objects have no such word (no PyGC_Head: the memory
 * before them is the managed-dict pre-header or another block):
 * heap.c keeps its words in a table there (scratch.h). */
static inline uintptr_t *
compat_gc_prev_word(PyObject *op)
{
    return &((PyGC_Head *)op - 1)->_gc_prev;
}
#endif

/* ------------------------------------------------------------------ */
/* Reference counts                                                    */
/* ------------------------------------------------------------------ */

/* Objects whose reference count means nothing: 3.12+ immortals, and the
 * statically allocated objects of 3.11, which start near 10**9. */
static inline int
compat_is_immortal(PyObject *op)
{
#if PY_VERSION_HEX >= 0x030E0000
    return PyUnstable_IsImmortal(op);
#elif PY_VERSION_HEX >= 0x030C0000
    return _Py_IsImmortal(op);
#elif PY_VERSION_HEX >= 0x030B0000
    return Py_REFCNT(op) >= 500000000;
#else
    (void)op;
    return 0;
#endif
}

/* The references that hold op: its reference count as Py_REFCNT reads
 * it, less what the free-threaded build adds for deferred reference
 * counting (functions, code objects, modules, classes: _PyGC_BITS_DEFERRED).
 * 3.13t adds 1 to ob_ref_local when it defers an object (so that only
 * the collector frees it), as its collector's update_refs subtracts.
 * On 3.13t, Py_REFCNT (ob_ref_local + ob_ref_shared >> 2) may also count
 * one reference more while a decref by a thread that does not own op
 * waits in the owner's merge queue (the queue holds it): such a count
 * shows as one reference from outside the graph, never as one less.
 * 3.14t (refused at import, compile-checked only) defers by adding
 * _Py_REF_DEFERRED to the shared count and keeps per-thread counts of
 * classes and code objects, which this does not add. */
static inline Py_ssize_t
compat_refcount(PyObject *op)
{
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    if (_PyObject_HasDeferredRefcount(op)) {
        return Py_REFCNT(op) - _Py_REF_DEFERRED;
    }
#elif defined(Py_GIL_DISABLED)
    if (_PyObject_HasDeferredRefcount(op)) {
        return Py_REFCNT(op) - 1;
    }
#endif
    return Py_REFCNT(op);
}

/* ------------------------------------------------------------------ */
/* Instance dictionaries and inline values                             */
/* ------------------------------------------------------------------ */

/* The instance's __dict__ if one exists, without creating it (on 3.11+
 * _PyObject_GetDictPtr and reading __dict__ both materialize it).
 * Borrowed; NULL when the attributes live inline or there are none. */
static inline PyObject *
compat_instance_dict(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
#if PY_VERSION_HEX >= 0x030D0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        return (PyObject *)_PyObject_ManagedDictPointer(op)->dict;
    }
#elif PY_VERSION_HEX >= 0x030C0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(op);
        if (_PyDictOrValues_IsValues(dorv)) {
            return NULL;
        }
        return _PyDictOrValues_GetDict(dorv);
    }
#elif PY_VERSION_HEX >= 0x030B0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        return *_PyObject_ManagedDictPointer(op);
    }
#endif
    if (tp->tp_dictoffset == 0) {
        return NULL;
    }
    PyObject **dictptr = _PyObject_GetDictPtr(op);
    return dictptr ? *dictptr : NULL;
}

/* Can instances of tp have a __dict__ (its own slot or a managed one)? */
static inline int
compat_type_has_instance_dict(PyTypeObject *tp)
{
#if PY_VERSION_HEX >= 0x030B0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        return 1;
    }
#endif
    return tp->tp_dictoffset != 0;
}

/* Inline attribute values (3.11+): on success *values is the values
 * array and *count how many slots CPython's own traversal visits;
 * compat_inline_value_name names slot i.
 * Returns 0 when the object has no inline values. */
static inline int
compat_inline_values(PyObject *op, PyObject ***values, Py_ssize_t *count)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyTypeObject *tp = Py_TYPE(op);
    PyDictKeysObject *keys = ((PyHeapTypeObject *)tp)->ht_cached_keys;
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || keys == NULL) {
        return 0;
    }
#if PY_VERSION_HEX >= 0x030D0000
    if (!(tp->tp_flags & Py_TPFLAGS_INLINE_VALUES)) {
        return 0;
    }
    PyDictValues *vals = _PyObject_InlineValues(op);
    if (!vals->valid) {
        return 0;
    }
    *values = vals->values;
    *count = vals->capacity < keys->dk_nentries ? vals->capacity
                                                : keys->dk_nentries;
#elif PY_VERSION_HEX >= 0x030C0000
    PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(op);
    if (!_PyDictOrValues_IsValues(dorv)) {
        return 0;
    }
    *values = _PyDictOrValues_GetValues(dorv)->values;
    *count = keys->dk_nentries;
#else
    PyDictValues *vals = *_PyObject_ValuesPointer(op);
    if (vals == NULL) {
        return 0;
    }
    *values = vals->values;
    *count = keys->dk_nentries;
#endif
    return 1;
#else
    (void)op;
    (void)values;
    (void)count;
    return 0;
#endif
}

/* The attribute name of inline value i (borrowed), or NULL. */
static inline PyObject *
compat_inline_value_name(PyObject *op, Py_ssize_t i)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyDictKeysObject *keys = ((PyHeapTypeObject *)Py_TYPE(op))->ht_cached_keys;
    if (keys == NULL || i < 0 || i >= keys->dk_nentries) {
        return NULL;
    }
    return DK_UNICODE_ENTRIES(keys)[i].me_key;
#else
    (void)op;
    (void)i;
    return NULL;
#endif
}

/* ------------------------------------------------------------------ */
/* Sizes (sizes.c)                                                     */
/* ------------------------------------------------------------------ */

/* What sys.getsizeof() adds to __sizeof__: the memory before the object
 * (GC header; from 3.11 the managed dict/weakref pre-header too; from
 * 3.12 nothing for static types, which have none). */
static inline Py_ssize_t
compat_preheader_size(PyObject *op)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (Py_IS_TYPE(op, &PyType_Type) &&
        !PyType_HasFeature((PyTypeObject *)op, Py_TPFLAGS_HEAPTYPE))
    {
        return 0;
    }
    return (Py_ssize_t)_PyType_PreHeaderSize(Py_TYPE(op));
#elif PY_VERSION_HEX >= 0x030B0000
    return (Py_ssize_t)_PyType_PreHeaderSize(Py_TYPE(op));
#else
    return PyObject_IS_GC(op) ? (Py_ssize_t)sizeof(PyGC_Head) : 0;
#endif
}

/* A type's own dict, borrowed: static builtin types keep theirs in the
 * interpreter from 3.12 (tp_dict is NULL there). */
static inline PyObject *
compat_type_dict(PyTypeObject *tp)
{
#if PY_VERSION_HEX >= 0x030C0000
    return _PyType_GetDict(tp);
#else
    return tp->tp_dict;
#endif
}

/* Attribute values stored inside the object after its basic size
 * (3.13+), which tp_basicsize does not count. */
static inline Py_ssize_t
compat_inline_values_size(PyTypeObject *tp)
{
#if PY_VERSION_HEX >= 0x030D0000
    if (tp->tp_flags & Py_TPFLAGS_INLINE_VALUES) {
        return (Py_ssize_t)_PyInlineValuesSize(tp);
    }
#endif
    (void)tp;
    return 0;
}

/* ------------------------------------------------------------------ */
/* tracemalloc                                                         */
/* ------------------------------------------------------------------ */

/* The start of op's memory block, where tracemalloc keys its trace:
 * before the object come the GC header and, from 3.11, the managed
 * dict/weakref pre-header (which 3.11's own lookup forgets). */
static inline uintptr_t
compat_memory_block(PyObject *op)
{
#if PY_VERSION_HEX >= 0x030B0000
    return (uintptr_t)op - _PyType_PreHeaderSize(Py_TYPE(op));
#else
    return (uintptr_t)op - (PyObject_IS_GC(op) ? sizeof(PyGC_Head) : 0);
#endif
}

/* Where op was allocated: a tuple of (filename, lineno), most recent
 * first, or None when tracemalloc did not trace the block. */
static inline PyObject *
compat_allocation_traceback(PyObject *op)
{
    return _PyTraceMalloc_GetTraceback(0, compat_memory_block(op));
}

/* The other concerns, one header each. */
#include "compat_frames.h"
#include "compat_layout.h"
#include "compat_threads.h"

#endif /* WHYALIVE_COMPAT_H */
