/* compat_frames.h: CPython version differences in code objects,
 * running frames and generators.
 *
 * Part of compat.h, which includes it at its end (after the internal
 * headers and the object helpers); include compat.h, not this file.
 */
#ifndef WHYALIVE_COMPAT_FRAMES_H
#define WHYALIVE_COMPAT_FRAMES_H

#ifndef WHYALIVE_COMPAT_H
#error "include compat.h, which includes this header"
#endif

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

/* 1 for a code object the interpreter allocated statically, which must
 * not be handed to Python code (a weak reference to it would write into
 * it): 3.13+'s CALL_ALLOC_AND_ENTER_INIT shim, _Py_InitCleanup, is const
 * (read-only memory), marked CO_NO_MONITORING_EVENTS, a flag no compiled
 * code carries; 3.14+ also flags every statically allocated object. */
static inline int
compat_code_is_static(PyCodeObject *co)
{
#if PY_VERSION_HEX >= 0x030E0000
    if (_Py_IsStaticImmortal((PyObject *)co)) {
        return 1;
    }
#endif
#ifdef CO_NO_MONITORING_EVENTS
    return (co->co_flags & CO_NO_MONITORING_EVENTS) != 0;
#else
    (void)co;
    return 0;
#endif
}
#if PY_VERSION_HEX >= 0x030E0000
/* One stack reference (3.14+ frames hold _PyStackRef, not PyObject *),
 * decoded by its tag bits, every value named: the object it refers to,
 * borrowed, or NULL for a value that is no object.  *owned is 1 when the
 * reference owns a count on the object, 0 when it owns none (a borrowed
 * reference such as 3.14's LOAD_FAST_BORROW pushes, a deferred one, an
 * immortal).  The tags are checked against CPython's own at compile time,
 * so a change of scheme is a build error, never a misread. */
static inline PyObject *
compat_stackref_object(_PyStackRef ref, int *owned)
{
    uintptr_t bits = ref.bits;
    *owned = 0;
#if PY_VERSION_HEX >= 0x030F0000
    /* 3.15, both builds: the low two bits are 0 for a counted pointer,
     * Py_TAG_REFCNT (1) for an uncounted one (alone: NULL),
     * Py_TAG_INVALID (2) for PyStackRef_ERROR, Py_INT_TAG (3) for a
     * tagged int. */
    _Static_assert(Py_TAG_BITS == 3 && Py_TAG_REFCNT == 1 &&
                       Py_TAG_INVALID == 2 && Py_INT_TAG == 3,
                   "CPython 3.15 stack-reference tags changed");
    switch (bits & Py_TAG_BITS) {
    case 0:
        *owned = 1;
        return (PyObject *)bits;
    case Py_TAG_REFCNT:
        return bits == Py_TAG_REFCNT ? NULL
                                     : (PyObject *)(bits & ~(uintptr_t)Py_TAG_BITS);
    case Py_TAG_INVALID: /* PyStackRef_ERROR: a failed result, no object */
    default:             /* Py_INT_TAG: a tagged int */
        return NULL;
    }
#else
    /* 3.14: bit 0 is Py_TAG_REFCNT (alone: NULL), on 3.14t called
     * Py_TAG_DEFERRED; the low two bits 3 are a tagged int. */
#ifdef Py_GIL_DISABLED
    _Static_assert(Py_TAG_BITS == 1 && Py_TAG_DEFERRED == Py_TAG_REFCNT,
                   "CPython 3.14t stack-reference tags changed");
#else
    _Static_assert(Py_TAG_BITS == 3, "CPython 3.14 stack-reference tags changed");
#endif
    _Static_assert(Py_TAG_REFCNT == 1 && Py_INT_TAG == 3,
                   "CPython 3.14 stack-reference tags changed");
    if (bits == Py_TAG_REFCNT || (bits & Py_INT_TAG) == Py_INT_TAG) {
        return NULL;
    }
    *owned = (bits & Py_TAG_REFCNT) == 0;
    return (PyObject *)(bits & ~(uintptr_t)Py_TAG_REFCNT);
#endif
}
#endif

/* The object in fast-local slot i, or NULL (unbound).  Borrowed.
 * *owned is 0 when the slot holds a reference that owns no count (3.14
 * borrowed and deferred stack references). */
static inline PyObject *
compat_frame_slot(compat_frame *frame, Py_ssize_t i, int *owned)
{
    *owned = 1;
#if PY_VERSION_HEX >= 0x030E0000
    return compat_stackref_object(frame->localsplus[i], owned);
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
    return compat_stackref_object(frame->localsplus[co->co_nlocalsplus + i],
                                  owned);
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


#endif /* WHYALIVE_COMPAT_FRAMES_H */
