/* compat_threads.h: CPython version differences in thread states,
 * the interpreter state and struct fields read by attribute name.
 *
 * Part of compat.h, which includes it at its end (after the internal
 * headers and the object helpers); include compat.h, not this file.
 */
#ifndef WHYALIVE_COMPAT_THREADS_H
#define WHYALIVE_COMPAT_THREADS_H

#ifndef WHYALIVE_COMPAT_H
#error "include compat.h, which includes this header"
#endif

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

/* 3.13+: the key under which every thread-local keeps this thread's
 * attributes (a _thread._localdummy); before, each thread-local put a
 * dummy of its own in the thread's state dict.  Borrowed, or NULL. */
static inline PyObject *
compat_thread_local_key(PyThreadState *ts)
{
#if PY_VERSION_HEX >= 0x030D0000
    return ts->threading_local_key;
#else
    (void)ts;
    return NULL;
#endif
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


#endif /* WHYALIVE_COMPAT_THREADS_H */
