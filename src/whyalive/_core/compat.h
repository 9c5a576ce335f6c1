/* compat.h: every CPython version difference whyalive depends on.
 *
 * The engine files (heap.c, roots.c, paths.c, names.c) call only the
 * static inline functions below; none of them tests PY_VERSION_HEX.
 * Concerns, in order: internal headers, object enumeration, immortal
 * objects, instance dictionaries and inline values, code objects and
 * their locals, running frames, generators, thread states, the
 * interpreter state.  What does not depend on CPython (the clock, huge
 * pages, bit helpers) is in platform.h.
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
/* module.c refuses to load; the rest must still compile. */
#define WHYALIVE_FREE_THREADED 1
#endif

/* ------------------------------------------------------------------ */
/* Object enumeration                                                  */
/* ------------------------------------------------------------------ */

/* Called once per object the collector tracks, frozen ones included.
 * Returns 0 to go on, -1 to stop (error already set by the caller's
 * own bookkeeping).  It must not allocate Python objects. */
typedef int (*compat_object_cb)(PyObject *op, void *arg);

#if PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED)
/* 3.10-3.13: read the generation lists and the permanent generation
 * (gc.freeze()) directly; nothing is written, unlike
 * PyUnstable_GC_VisitObjects, which also skips the permanent generation
 * before 3.12.10 and 3.13.3. */
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

/* The header word the collector uses for the previous object of its
 * list (plus flag bits in the low 2 bits).  heap.c borrows it during a
 * walk, as gc.collect() does, and restores it before any code runs. */
static inline uintptr_t *
compat_gc_prev_word(PyObject *op)
{
    return &((PyGC_Head *)op - 1)->_gc_prev;
}

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
/* Code objects: names and kinds of the fast locals                    */
/* ------------------------------------------------------------------ */

enum compat_local_kind {
    COMPAT_LOCAL = 0, /* plain local or argument */
    COMPAT_CELL = 1,  /* a variable of this frame that closures capture */
    COMPAT_FREE = 2,  /* a variable captured from an enclosing function */
};

/* Number of fast-local slots (locals, cells, free variables). */
static inline Py_ssize_t
compat_code_nslots(PyCodeObject *co)
{
#if PY_VERSION_HEX >= 0x030B0000
    return co->co_nlocalsplus;
#else
    return co->co_nlocals + PyTuple_GET_SIZE(co->co_cellvars) +
           PyTuple_GET_SIZE(co->co_freevars);
#endif
}

/* Name (borrowed) and kind of fast-local slot i. */
static inline PyObject *
compat_code_slot_name(PyCodeObject *co, Py_ssize_t i, int *kind)
{
#if PY_VERSION_HEX >= 0x030B0000
    _PyLocals_Kind k = _PyLocals_GetKind(co->co_localspluskinds, (int)i);
    *kind = (k & CO_FAST_FREE) ? COMPAT_FREE
            : (k & CO_FAST_CELL) ? COMPAT_CELL
                                 : COMPAT_LOCAL;
    return PyTuple_GET_ITEM(co->co_localsplusnames, i);
#else
    Py_ssize_t nlocals = co->co_nlocals;
    Py_ssize_t ncells = PyTuple_GET_SIZE(co->co_cellvars);
    if (i < nlocals) {
        *kind = COMPAT_LOCAL;
        return PyTuple_GET_ITEM(co->co_varnames, i);
    }
    if (i < nlocals + ncells) {
        *kind = COMPAT_CELL;
        return PyTuple_GET_ITEM(co->co_cellvars, i - nlocals);
    }
    *kind = COMPAT_FREE;
    return PyTuple_GET_ITEM(co->co_freevars, i - nlocals - ncells);
#endif
}

/* The name of closure cell i of a function whose code is co. */
static inline PyObject *
compat_code_freevar_name(PyCodeObject *co, Py_ssize_t i)
{
#if PY_VERSION_HEX >= 0x030B0000
    Py_ssize_t index = co->co_nlocalsplus - co->co_nfreevars + i;
    if (i < 0 || i >= co->co_nfreevars) {
        return NULL;
    }
    return PyTuple_GET_ITEM(co->co_localsplusnames, index);
#else
    if (i < 0 || i >= PyTuple_GET_SIZE(co->co_freevars)) {
        return NULL;
    }
    return PyTuple_GET_ITEM(co->co_freevars, i);
#endif
}

static inline PyObject *
compat_code_qualname(PyCodeObject *co)
{
#if PY_VERSION_HEX >= 0x030B0000
    return co->co_qualname;
#else
    return co->co_name;
#endif
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

/* A frame of some thread's stack, or the frame data a generator or a
 * frame object owns.  On 3.10 it is the frame object; on 3.11+ the
 * interpreter's own frame record, which is not a Python object. */
#if PY_VERSION_HEX >= 0x030B0000
typedef _PyInterpreterFrame compat_frame;
#else
typedef PyFrameObject compat_frame;
#endif

static inline compat_frame *
compat_thread_top_frame(PyThreadState *tstate)
{
#if PY_VERSION_HEX >= 0x030D0000
    return tstate->current_frame;
#elif PY_VERSION_HEX >= 0x030B0000
    return tstate->cframe ? tstate->cframe->current_frame : NULL;
#else
    return tstate->frame;
#endif
}

static inline compat_frame *
compat_frame_previous(compat_frame *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    return frame->previous;
#else
    return frame->f_back;
#endif
}

/* The frame's code object, or NULL for frames that run no Python code
 * (the C-stack shims of 3.12+). Borrowed. */
static inline PyCodeObject *
compat_frame_code(compat_frame *frame)
{
#if PY_VERSION_HEX >= 0x030E0000
    if (frame->owner >= FRAME_OWNED_BY_INTERPRETER) {
        return NULL;
    }
    PyObject *code = PyStackRef_AsPyObjectBorrow(frame->f_executable);
    return (code && PyCode_Check(code)) ? (PyCodeObject *)code : NULL;
#elif PY_VERSION_HEX >= 0x030D0000
    if (frame->owner == FRAME_OWNED_BY_CSTACK) {
        return NULL;
    }
    PyObject *code = frame->f_executable;
    return (code && PyCode_Check(code)) ? (PyCodeObject *)code : NULL;
#elif PY_VERSION_HEX >= 0x030C0000
    if (frame->owner == FRAME_OWNED_BY_CSTACK) {
        return NULL;
    }
    return frame->f_code;
#elif PY_VERSION_HEX >= 0x030B0000
    return frame->f_code;
#else
    return frame->f_code;
#endif
}

/* The object in fast-local slot i, or NULL (unbound).  Borrowed.
 * *owned is 0 when the slot holds a reference that owns no count (3.14
 * borrowed and deferred stack references). */
static inline PyObject *
compat_frame_slot(compat_frame *frame, Py_ssize_t i, int *owned)
{
    *owned = 1;
#if PY_VERSION_HEX >= 0x030E0000
    _PyStackRef ref = frame->localsplus[i];
    if (PyStackRef_IsNull(ref) || PyStackRef_IsTaggedInt(ref)) {
        return NULL;
    }
    *owned = PyStackRef_RefcountOnObject(ref);
    return PyStackRef_AsPyObjectBorrow(ref);
#elif PY_VERSION_HEX >= 0x030B0000
    return frame->localsplus[i];
#else
    return frame->f_localsplus[i];
#endif
}

/* How many value-stack slots (after the fast locals) of a running frame
 * to read.  *exact is 1 when CPython recorded the current top of the
 * stack, so the values are live references; 0 when it did not: then the
 * whole stack area is returned, and its values may be stale pointers
 * that must never be dereferenced, only compared.  inner is the frame
 * this one is calling, or NULL. */
static inline Py_ssize_t
compat_frame_stack_extent(compat_frame *frame, PyCodeObject *co,
                          compat_frame *inner, int *exact)
{
    *exact = 0;
#if PY_VERSION_HEX >= 0x030E0000
    (void)inner;
    if (frame->stackpointer != NULL) {
        Py_ssize_t top = frame->stackpointer - frame->localsplus;
        if (top >= co->co_nlocalsplus &&
            top <= co->co_nlocalsplus + co->co_stacksize)
        {
            *exact = 1;
            return top - co->co_nlocalsplus;
        }
    }
    return co->co_stacksize;
#elif PY_VERSION_HEX >= 0x030C0000
    /* stacktop is -1 unless the frame saved it for a call it makes */
    (void)inner;
    if (frame->stacktop >= co->co_nlocalsplus &&
        frame->stacktop <= co->co_nlocalsplus + co->co_stacksize)
    {
        *exact = 1;
        return frame->stacktop - co->co_nlocalsplus;
    }
    return co->co_stacksize;
#elif PY_VERSION_HEX >= 0x030B0000
    /* 3.11 never resets stacktop; it is current only while the frame
     * calls a Python function directly (not through C code) */
    if (inner != NULL && !inner->is_entry &&
        frame->stacktop >= co->co_nlocalsplus &&
        frame->stacktop <= co->co_nlocalsplus + co->co_stacksize)
    {
        *exact = 1;
        return frame->stacktop - co->co_nlocalsplus;
    }
    return co->co_stacksize;
#else
    /* 3.10 keeps the stack pointer of a running frame in a C local */
    (void)frame;
    (void)inner;
    return co->co_stacksize;
#endif
}

/* The index, in code units, of the instruction the frame is executing
 * (for a frame that called another, the call), or -1. */
static inline Py_ssize_t
compat_frame_instruction(compat_frame *frame, PyCodeObject *co)
{
#if PY_VERSION_HEX >= 0x030C0000
    (void)co;
    int offset = PyUnstable_InterpreterFrame_GetLasti(frame);
    return offset < 0 ? -1 : offset / (int)sizeof(_Py_CODEUNIT);
#elif PY_VERSION_HEX >= 0x030B0000
    return frame->prev_instr - _PyCode_CODE(co);
#else
    (void)co;
    return frame->f_lasti;
#endif
}

/* Value-stack slot i of a running frame, or NULL.  When the extent was
 * not exact, the result is an address to compare, not an object. */
static inline PyObject *
compat_frame_stack_value(compat_frame *frame, PyCodeObject *co, Py_ssize_t i,
                         int *owned)
{
    *owned = 1;
#if PY_VERSION_HEX >= 0x030E0000
    _PyStackRef ref = frame->localsplus[co->co_nlocalsplus + i];
    if (PyStackRef_IsNull(ref) || PyStackRef_IsTaggedInt(ref)) {
        return NULL;
    }
    *owned = PyStackRef_RefcountOnObject(ref);
    return PyStackRef_AsPyObjectBorrow(ref);
#elif PY_VERSION_HEX >= 0x030B0000
    return frame->localsplus[co->co_nlocalsplus + i];
#else
    (void)co;
    return frame->f_valuestack[i];
#endif
}

/* Strong references a running frame holds besides its fast locals: the
 * function it runs, its locals mapping (class bodies, module code) and
 * its materialized frame object.  Any may be NULL.  Borrowed. */
static inline void
compat_frame_specials(compat_frame *frame, PyObject **func, PyObject **locals,
                      PyObject **frame_obj)
{
#if PY_VERSION_HEX >= 0x030E0000
    *func = PyStackRef_IsNull(frame->f_funcobj)
                ? NULL
                : PyStackRef_AsPyObjectBorrow(frame->f_funcobj);
    *locals = frame->f_locals;
    *frame_obj = (PyObject *)frame->frame_obj;
#elif PY_VERSION_HEX >= 0x030C0000
    *func = frame->f_funcobj;
    *locals = frame->f_locals;
    *frame_obj = (PyObject *)frame->frame_obj;
#elif PY_VERSION_HEX >= 0x030B0000
    *func = (PyObject *)frame->f_func;
    *locals = frame->f_locals;
    *frame_obj = (PyObject *)frame->frame_obj;
#else
    /* The 3.10 frame is the object itself; its function is not kept. */
    *func = NULL;
    *locals = frame->f_locals;
    *frame_obj = NULL;
#endif
}

/* The frame object when the frame is one (3.10) and is or may become
 * a node of the graph: its own traversal then counts its locals. */
static inline PyObject *
compat_frame_as_object(compat_frame *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    (void)frame;
    return NULL;
#else
    return (PyObject *)frame;
#endif
}

static inline int
compat_frame_lineno(compat_frame *frame)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyUnstable_InterpreterFrame_GetLine(frame);
#elif PY_VERSION_HEX >= 0x030B0000
    PyCodeObject *co = frame->f_code;
    int addr = (int)((char *)frame->prev_instr - (char *)_PyCode_CODE(co));
    return PyCode_Addr2Line(co, addr < 0 ? 0 : addr);
#else
    return PyFrame_GetLineNumber(frame);
#endif
}

/* The frame data a frame object refers to (3.11+: only meaningful for
 * the fast locals when the object owns it, e.g. a frame kept by a
 * traceback after its function returned). */
static inline compat_frame *
compat_frame_object_data(PyObject *frame_object, int *owns_data)
{
#if PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame *data = ((PyFrameObject *)frame_object)->f_frame;
    *owns_data = data != NULL && data->owner == FRAME_OWNED_BY_FRAME_OBJECT;
    return data;
#else
    *owns_data = 1;
    return (PyFrameObject *)frame_object;
#endif
}

/* ------------------------------------------------------------------ */
/* Generators and coroutines                                           */
/* ------------------------------------------------------------------ */

static inline int
compat_is_generator_like(PyObject *op)
{
    return PyGen_Check(op) || PyCoro_CheckExact(op) ||
           PyAsyncGen_CheckExact(op);
}

/* The suspended frame data of a generator, coroutine or async
 * generator whose locals tp_traverse visits; NULL when it has none. */
static inline compat_frame *
compat_generator_frame(PyObject *gen)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyGenObject *g = (PyGenObject *)gen;
    if (g->gi_frame_state >= FRAME_CLEARED) {
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030E0000
    return &g->gi_iframe;
#else
    return (_PyInterpreterFrame *)g->gi_iframe;
#endif
#else
    PyFrameObject *f = ((PyGenObject *)gen)->gi_frame;
    return f;
#endif
}

/* The frame object a 3.10 generator keeps (tp_traverse visits it);
 * NULL on 3.11+, where the frame data is embedded in the generator. */
static inline PyObject *
compat_generator_frame_object(PyObject *gen)
{
#if PY_VERSION_HEX >= 0x030B0000
    (void)gen;
    return NULL;
#else
    return (PyObject *)((PyGenObject *)gen)->gi_frame;
#endif
}

/* ------------------------------------------------------------------ */
/* Thread states                                                       */
/* ------------------------------------------------------------------ */

enum compat_thread_field {
    COMPAT_THREAD_HANDLED_EXCEPTION = 0, /* sys.exc_info() of the thread */
    COMPAT_THREAD_HANDLED_TRACEBACK,     /* 3.10: its traceback */
    COMPAT_THREAD_RAISED_EXCEPTION,      /* being raised right now */
    COMPAT_THREAD_RAISED_TRACEBACK,      /* 3.10/3.11: its traceback */
    COMPAT_THREAD_DICT,                  /* per-thread state dict */
    COMPAT_THREAD_ASYNC_EXC,             /* pending async exception */
    COMPAT_THREAD_CONTEXT,               /* contextvars context */
    COMPAT_THREAD_PROFILER,              /* sys.setprofile object */
    COMPAT_THREAD_TRACER,                /* sys.settrace object */
    COMPAT_THREAD_ASYNCGEN_FIRSTITER,
    COMPAT_THREAD_ASYNCGEN_FINALIZER,
    COMPAT_THREAD_FIELD_COUNT
};

/* Strong references a thread state holds, by field.  Borrowed. */
static inline PyObject *
compat_thread_field(PyThreadState *ts, int field)
{
    switch (field) {
    case COMPAT_THREAD_HANDLED_EXCEPTION:
        /* Only the thread's own base item: the items above it belong
         * to running generators, whose traversal already visits them. */
        return ts->exc_state.exc_value;
#if PY_VERSION_HEX < 0x030B0000
    case COMPAT_THREAD_HANDLED_TRACEBACK:
        return ts->exc_state.exc_traceback;
#endif
#if PY_VERSION_HEX >= 0x030C0000
    case COMPAT_THREAD_RAISED_EXCEPTION:
        return ts->current_exception;
#else
    case COMPAT_THREAD_RAISED_EXCEPTION:
        return ts->curexc_value;
    case COMPAT_THREAD_RAISED_TRACEBACK:
        return ts->curexc_traceback;
#endif
    case COMPAT_THREAD_DICT:
        return ts->dict;
    case COMPAT_THREAD_ASYNC_EXC:
        return ts->async_exc;
    case COMPAT_THREAD_CONTEXT:
        return ts->context;
    case COMPAT_THREAD_PROFILER:
        return ts->c_profileobj;
    case COMPAT_THREAD_TRACER:
        return ts->c_traceobj;
    case COMPAT_THREAD_ASYNCGEN_FIRSTITER:
        return ts->async_gen_firstiter;
    case COMPAT_THREAD_ASYNCGEN_FINALIZER:
        return ts->async_gen_finalizer;
    default:
        return NULL;
    }
}

/* ------------------------------------------------------------------ */
/* Interpreter state                                                   */
/* ------------------------------------------------------------------ */

/* What the interpreter holds in C on a program's behalf, read from its
 * own structures (never through the Python functions that report them:
 * atexit has no reader, and gc.callbacks or codecs' registries would be
 * read through user-replaceable module attributes). */
typedef struct {
    PyObject *search_path;    /* codecs.register(): a list */
    PyObject *search_cache;   /* {encoding name: CodecInfo} */
    PyObject *error_registry; /* codecs.register_error(): {name: handler} */
    PyObject *audit_hooks;    /* sys.addaudithook(): a list, or NULL */
    PyObject *gc_garbage;     /* gc.garbage */
    PyObject *gc_callbacks;   /* gc.callbacks */
    PyObject *fork_before;    /* os.register_at_fork(before=...): list */
    PyObject *fork_parent;    /* ... after_in_parent= */
    PyObject *fork_child;     /* ... after_in_child= */
    PyObject *dict;           /* PyInterpreterState_GetDict() */
    PyObject *sysdict;        /* sys.__dict__ */
    PyObject *builtins;       /* builtins.__dict__ */
    PyObject *modules;        /* sys.modules */
    /* 3.14+: atexit's callbacks are a list of (func, args, kwargs)
     * tuples; before, a C array (compat_atexit_callback) */
    PyObject *atexit_list;
} compat_interp_fields;

static inline void
compat_interp_read(PyInterpreterState *interp, compat_interp_fields *out)
{
    memset(out, 0, sizeof(*out));
#if PY_VERSION_HEX >= 0x030D0000
    out->search_path = interp->codecs.search_path;
    out->search_cache = interp->codecs.search_cache;
    out->error_registry = interp->codecs.error_registry;
#else
    out->search_path = interp->codec_search_path;
    out->search_cache = interp->codec_search_cache;
    out->error_registry = interp->codec_error_registry;
#endif
    out->audit_hooks = interp->audit_hooks;
    out->gc_garbage = interp->gc.garbage;
    out->gc_callbacks = interp->gc.callbacks;
#ifdef HAVE_FORK
    out->fork_before = interp->before_forkers;
    out->fork_parent = interp->after_forkers_parent;
    out->fork_child = interp->after_forkers_child;
#endif
    out->dict = interp->dict;
    out->sysdict = interp->sysdict;
    out->builtins = interp->builtins;
#if PY_VERSION_HEX >= 0x030C0000
    out->modules = interp->imports.modules;
#else
    out->modules = interp->modules;
#endif
#if PY_VERSION_HEX >= 0x030E0000
    out->atexit_list = interp->atexit.callbacks;
#endif
}

/* Callbacks registered with atexit.register, in the C array of
 * 3.10-3.13 (3.14+: compat_interp_fields.atexit_list).  Entries may be
 * NULL (unregistered).  Borrowed. */
static inline int
compat_atexit_count(PyInterpreterState *interp)
{
#if PY_VERSION_HEX >= 0x030E0000
    (void)interp;
    return 0;
#else
    return interp->atexit.callbacks != NULL ? interp->atexit.ncallbacks : 0;
#endif
}

static inline int
compat_atexit_callback(PyInterpreterState *interp, int i, PyObject **func,
                       PyObject **args, PyObject **kwargs)
{
    *func = *args = *kwargs = NULL;
#if PY_VERSION_HEX >= 0x030E0000
    (void)interp;
    (void)i;
    return 0;
#else
    if (interp->atexit.callbacks == NULL || interp->atexit.callbacks[i] == NULL) {
        return 0;
    }
    *func = interp->atexit.callbacks[i]->func;
    *args = interp->atexit.callbacks[i]->args;
    *kwargs = interp->atexit.callbacks[i]->kwargs;
    return 1;
#endif
}

/* The handler signal.signal() installed for signum, or NULL.  3.12+
 * keep the table in _PyRuntime; 3.10 and 3.11 in a static array of the
 * _signal module, which only its getsignal() reads: called from C, it
 * runs no Python code and allocates nothing (a small int argument, a
 * stored reference returned).  Borrowed: the table keeps its own. */
static inline PyObject *
compat_signal_handler(int signum)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (signum < 1 || signum >= Py_NSIG) {
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    return (PyObject *)_Py_atomic_load_ptr(&_PyRuntime.signals.handlers[signum].func);
#else
    return (PyObject *)_Py_atomic_load_relaxed(
        &_PyRuntime.signals.handlers[signum].func);
#endif
#else
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *module = modules ? PyDict_GetItemString(modules, "_signal") : NULL;
    if (module == NULL || !PyModule_CheckExact(module)) {
        return NULL;
    }
    PyObject *getsignal = PyDict_GetItemString(PyModule_GetDict(module),
                                               "getsignal");
    /* only the module's own builtin: anything else could be user code */
    if (getsignal == NULL || !PyCFunction_CheckExact(getsignal) ||
        PyCFunction_GET_SELF(getsignal) != module ||
        !(PyCFunction_GET_FLAGS(getsignal) & METH_O) ||
        strcmp(((PyCFunctionObject *)getsignal)->m_ml->ml_name, "getsignal") != 0 ||
        signum < 1 || signum > 256)
    {
        return NULL;
    }
    PyObject *number = PyLong_FromLong(signum); /* cached: no allocation */
    PyObject *handler = PyCFunction_GET_FUNCTION(getsignal)(module, number);
    Py_XDECREF(number);
    if (handler == NULL) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(handler); /* the table still holds it */
    return handler == Py_None ? NULL : handler;
#endif
}

#include <signal.h>
#if defined(Py_NSIG)
#define COMPAT_NSIG Py_NSIG
#elif defined(NSIG)
#define COMPAT_NSIG NSIG
#else
#define COMPAT_NSIG 65
#endif

/* sys.monitoring (3.12+): tools, events, and the callable registered
 * for each pair.  Borrowed. */
#if PY_VERSION_HEX >= 0x030C0000
#define COMPAT_MONITORING_TOOLS PY_MONITORING_TOOL_IDS
#define COMPAT_MONITORING_EVENTS _PY_MONITORING_EVENTS
#else
#define COMPAT_MONITORING_TOOLS 0
#define COMPAT_MONITORING_EVENTS 0
#endif

static inline PyObject *
compat_monitoring_callback(PyInterpreterState *interp, int tool, int event)
{
#if PY_VERSION_HEX >= 0x030C0000
    return interp->monitoring_callables[tool][event];
#else
    (void)interp;
    (void)tool;
    (void)event;
    return NULL;
#endif
}

static inline PyObject *
compat_monitoring_tool_name(PyInterpreterState *interp, int tool)
{
#if PY_VERSION_HEX >= 0x030C0000
    return interp->monitoring_tool_names[tool];
#else
    (void)interp;
    (void)tool;
    return NULL;
#endif
}

/* The event's name in sys.monitoring.events. */
static inline const char *
compat_monitoring_event_name(int event)
{
#if PY_VERSION_HEX >= 0x030E0000
    static const char *const names[] = {
        "PY_START", "PY_RESUME", "PY_RETURN", "PY_YIELD", "CALL", "LINE",
        "INSTRUCTION", "JUMP", "BRANCH_LEFT", "BRANCH_RIGHT",
        "STOP_ITERATION", "RAISE", "EXCEPTION_HANDLED", "PY_UNWIND",
        "PY_THROW", "RERAISE", "C_RETURN", "C_RAISE", "BRANCH",
    };
#else
    static const char *const names[] = {
        "PY_START", "PY_RESUME", "PY_RETURN", "PY_YIELD", "CALL", "LINE",
        "INSTRUCTION", "JUMP", "BRANCH", "STOP_ITERATION", "RAISE",
        "EXCEPTION_HANDLED", "PY_UNWIND", "PY_THROW", "RERAISE",
        "C_RETURN", "C_RAISE",
    };
#endif
    if (event < 0 || (size_t)event >= sizeof(names) / sizeof(names[0])) {
        return "?";
    }
    return names[event];
}

/* ------------------------------------------------------------------ */
/* Struct fields, by the attribute name Python code sees them as        */
/* ------------------------------------------------------------------ */

/* Each returns the attribute name of the field of op that holds child,
 * or NULL if no such field does. */

static inline const char *
compat_function_field(PyObject *op, PyObject *child)
{
    PyFunctionObject *f = (PyFunctionObject *)op;
    if (child == f->func_code) {
        return "__code__";
    }
    if (child == f->func_globals) {
        return "__globals__";
    }
    if (child == f->func_builtins) {
        return "__builtins__";
    }
    if (child == f->func_closure) {
        return "__closure__";
    }
    if (child == f->func_defaults) {
        return "__defaults__";
    }
    if (child == f->func_kwdefaults) {
        return "__kwdefaults__";
    }
    if (child == f->func_dict) {
        return "__dict__";
    }
    if (child == f->func_module) {
        return "__module__";
    }
    if (child == f->func_annotations) {
        return "__annotations__";
    }
#if PY_VERSION_HEX >= 0x030C0000
    if (child == f->func_typeparams) {
        return "__type_params__";
    }
#endif
#if PY_VERSION_HEX >= 0x030E0000
    if (child == f->func_annotate) {
        return "__annotate__";
    }
#endif
    if (child == f->func_doc) {
        return "__doc__";
    }
    if (child == f->func_name) {
        return "__name__";
    }
    if (child == f->func_qualname) {
        return "__qualname__";
    }
    return NULL;
}

static inline const char *
compat_exception_field(PyObject *op, PyObject *child)
{
    PyBaseExceptionObject *e = (PyBaseExceptionObject *)op;
    if (child == e->args) {
        return "args";
    }
    if (child == e->traceback) {
        return "__traceback__";
    }
    if (child == e->context) {
        return "__context__";
    }
    if (child == e->cause) {
        return "__cause__";
    }
    if (child == e->dict) {
        return "__dict__";
    }
#if PY_VERSION_HEX >= 0x030B0000
    if (child == e->notes) {
        return "__notes__";
    }
#endif
    return NULL;
}

/* Fields of a frame object other than its fast locals. */
static inline const char *
compat_frame_object_field(PyObject *op, PyObject *child)
{
    PyFrameObject *f = (PyFrameObject *)op;
    if (child == (PyObject *)f->f_back) {
        return "f_back";
    }
    if (child == f->f_trace) {
        return "f_trace";
    }
#if PY_VERSION_HEX >= 0x030B0000
    int owns;
    compat_frame *data = compat_frame_object_data(op, &owns);
    if (owns) {
        PyObject *func, *locals, *frame_obj;
        compat_frame_specials(data, &func, &locals, &frame_obj);
        if (child == locals) {
            return "f_locals";
        }
        if (child == (PyObject *)compat_frame_code(data)) {
            return "f_code";
        }
        if (child == func) {
            return "f_func";
        }
    }
#else
    if (child == (PyObject *)f->f_code) {
        return "f_code";
    }
    if (child == f->f_globals) {
        return "f_globals";
    }
    if (child == f->f_builtins) {
        return "f_builtins";
    }
    if (child == f->f_locals) {
        return "f_locals";
    }
#endif
    return NULL;
}

/* Fields of a generator, coroutine or async generator other than the
 * locals of its suspended frame. */
static inline const char *
compat_generator_field(PyObject *op, PyObject *child)
{
    PyGenObject *g = (PyGenObject *)op;
    if (child == g->gi_name) {
        return "__name__";
    }
    if (child == g->gi_qualname) {
        return "__qualname__";
    }
#if PY_VERSION_HEX < 0x030B0000
    if (child == (PyObject *)g->gi_frame) {
        return "gi_frame";
    }
    if (child == g->gi_code) {
        return "gi_code";
    }
#else
    compat_frame *data = compat_generator_frame(op);
    if (data != NULL) {
        PyObject *func, *locals, *frame_obj;
        compat_frame_specials(data, &func, &locals, &frame_obj);
        if (child == (PyObject *)compat_frame_code(data)) {
            return "gi_code";
        }
        if (child == frame_obj) {
            return "gi_frame";
        }
    }
#endif
    return NULL;
}

/* The frame data of a frame object whose fast locals are its own (a
 * frame kept after its function returned), else NULL. */
static inline compat_frame *
compat_frame_object_locals(PyObject *op)
{
    int owns;
    compat_frame *data = compat_frame_object_data(op, &owns);
    return owns ? data : NULL;
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

#endif /* WHYALIVE_COMPAT_H */
