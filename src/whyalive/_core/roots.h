/* roots.h: where retainer paths start.
 *
 * - module globals: the __dict__ of every module in sys.modules is a
 *   source; its entries are globals ("app.REGISTRY");
 * - frames: the fast locals, cells and free variables of every frame of
 *   every thread, plus the function, locals mapping and frame object a
 *   running frame holds;
 * - thread states: the exception a thread handles or raises, its
 *   thread-local dict, its context, its profiler and tracer;
 * - the interpreter: what a program registered into it and it holds in
 *   C (atexit callbacks, signal handlers, codec registries, audit
 *   hooks, gc.callbacks, at-fork callbacks, sys.monitoring callbacks).
 *
 * References from outside the graph ("external") and cyclic garbage
 * are not roots recorded here: paths.c finds them by accounting.
 */
#ifndef WHYALIVE_ROOTS_H
#define WHYALIVE_ROOTS_H

#include "heap.h"

enum root_kind {
    ROOT_MODULE = 0,
    ROOT_FRAME = 1,
    ROOT_THREAD = 2,
    ROOT_INTERP = 3,
};

/* What holds an interpreter root (its slot_kind); the owner field is
 * the position (callback #owner+1), the signal number, or tool * 32 +
 * event for sys.monitoring. */
enum interp_holder {
    INTERP_ATEXIT = 0,         /* atexit.register(func, ...) */
    INTERP_ATEXIT_ARGS,        /* ... its positional arguments */
    INTERP_ATEXIT_KWARGS,      /* ... its keyword arguments */
    INTERP_SIGNAL_HANDLER,     /* signal.signal(signum, handler) */
    INTERP_CODEC_SEARCH,       /* codecs.register(search) */
    INTERP_CODEC_CACHE,        /* codecs.lookup(name)'s cached CodecInfo */
    INTERP_CODEC_ERROR,        /* codecs.register_error(name, handler) */
    INTERP_AUDIT_HOOK,         /* sys.addaudithook(hook) */
    INTERP_GC_CALLBACK,        /* gc.callbacks */
    INTERP_GC_GARBAGE,         /* gc.garbage */
    INTERP_FORK_BEFORE,        /* os.register_at_fork(before=...) */
    INTERP_FORK_PARENT,        /* ... after_in_parent= */
    INTERP_FORK_CHILD,         /* ... after_in_child= */
    INTERP_MONITORING,         /* sys.monitoring.register_callback() */
    INTERP_STATE_DICT,         /* PyInterpreterState_GetDict() */
    INTERP_SYS_DICT,           /* sys.__dict__ */
    INTERP_BUILTINS,           /* builtins.__dict__ */
    INTERP_MODULES,            /* sys.modules */
    INTERP_CONTAINER,          /* a registry's own list or dict */
    INTERP_HOLDER_COUNT
};

/* What a frame reference is, besides the compat_local_kind values. */
enum frame_slot_kind {
    FRAME_SLOT_LOCAL = COMPAT_LOCAL,
    FRAME_SLOT_CELL = COMPAT_CELL,
    FRAME_SLOT_FREE = COMPAT_FREE,
    FRAME_SLOT_FUNCTION, /* the function the frame runs */
    FRAME_SLOT_LOCALS,   /* its locals mapping (module/class code) */
    FRAME_SLOT_OBJECT,   /* its frame object */
    FRAME_SLOT_STACK,    /* a temporary on its value stack */
    FRAME_SLOT_COUNT
};

/* The names reports use (Root.slot, a thread root's name, Root.holder):
 * whyalive/vocab.py spells the same, and a test holds them equal. */
extern const char *const roots_frame_slot_names[FRAME_SLOT_COUNT];
extern const char *const roots_thread_field_names[COMPAT_THREAD_FIELD_COUNT];
extern const char *const roots_interp_holder_names[INTERP_HOLDER_COUNT];

typedef struct {
    PyCodeObject *code;     /* borrowed */
    PyObject *frame_object; /* 3.10: the frame itself, else NULL */
    unsigned long thread_id;
    uint32_t thread_index;  /* in roots_t.threads */
    int lineno;
    int depth;     /* 0 for the innermost frame of its thread */
    int excluded;  /* runs whyalive's own code */
    int call_site; /* the frame that called into whyalive */
    int star_call; /* ... with *args (1), and **kwargs (2) */
} frame_info_t;

/* One reference from a frame or a thread state.  Every ref counts as a
 * reference seen (when it owns a count); a ref may start a path unless
 * it belongs to whyalive's own frames or is a temporary of the frame
 * that called whyalive (the call's own arguments).  A by_address ref is
 * a value-stack slot whose liveness comes from the bytecode analysis of
 * _stack.py rather than from the interpreter: its address is looked up
 * in the graph, never dereferenced. */
typedef struct {
    uint8_t kind;      /* ROOT_FRAME, ROOT_THREAD or ROOT_INTERP */
    uint8_t slot_kind; /* frame_slot_kind, compat_thread_field or
                          interp_holder */
    uint8_t by_address;
    uint8_t owned;     /* holds a reference count (0: 3.14 borrowed) */
    uint8_t root;      /* may start a path */
    uint32_t owner;    /* index in frames, or in threads; see
                          interp_holder */
    PyObject *name;    /* the local's name, a registry's key (borrowed),
                          or NULL */
    PyObject *obj;     /* the object referred to (borrowed) */
    node_t node;       /* its node, NODE_NONE if not a holder */
} root_ref_t;

typedef struct {
    PyObject *name; /* the key in sys.modules (borrowed) */
    node_t dict;    /* node of the module's __dict__ */
    int excluded;   /* whyalive's own modules */
} module_root_t;

typedef struct {
    module_root_t *modules;
    size_t nmodules;
    frame_info_t *frames;
    size_t nframes;
    root_ref_t *refs;
    size_t nrefs;
    unsigned long *threads;
    size_t nthreads;
    size_t current_thread; /* index of the thread running the query */
    size_t capacity_frames, capacity_refs, capacity_threads;
    /* indices of the refs to nodes, sorted by node: "which roots hold
     * node n" */
    uint32_t *by_node;
    size_t nkeyed;
    /* indices of the refs of frames and threads that are not excluded,
     * in the order a search meets them: the querying thread first,
     * then the others; in a thread, outermost frame first, its slots
     * in order, then the thread state's fields */
    uint32_t *seed_order;
    size_t nseeds;
} roots_t;

/* Where a path starts, in the order paths of equal length are shown. */
enum path_root {
    PR_MODULE = 0,
    PR_FRAME,
    PR_THREAD,
    PR_INTERP,
    PR_EXTERNAL,
    PR_GARBAGE,
    PR_EXCLUDED,
    PR_UNREACHED,
    PR_COUNT
};

/* Its name, as vocab.ROOT_KINDS spells it. */
extern const char *const path_root_names[PR_COUNT];

/* The path root kind of a frame, thread or interpreter reference. */
static inline int
root_ref_path_kind(const root_ref_t *ref)
{
    return ref->kind == ROOT_FRAME    ? PR_FRAME
           : ref->kind == ROOT_THREAD ? PR_THREAD
                                      : PR_INTERP;
}


/* "interpreter", and a short name of the holder ("atexit"). */
const char *roots_interp_holder_name(int holder);
/* The root a frame, thread or interpreter reference stands for, in
 * find_paths' shape (kind, name, detail): frame (function, filename,
 * lineno, thread_id, slot, depth), thread (thread_id,), interpreter
 * (holder, index, key), named by its holder: whyalive.render.words
 * phrases it ("atexit callback #2", "signal handler for SIGUSR1").
 * The one spelling of these roots: explain's paths and the level walks
 * of pictures both use it.  New reference. */
PyObject *roots_tuple(const roots_t *r, const root_ref_t *ref);

/* Collects module, frame, thread and interpreter roots and adds their objects as
 * nodes.  Frames whose code file starts with tool_prefix are whyalive's
 * own: their references are counted, never shown.  stack_tables maps
 * code objects to the stack depth before each instruction (_stack.py),
 * or is NULL.  -1 on error. */
int roots_collect(roots_t *r, heap_t *h, PyObject *tool_prefix,
                  PyObject *stack_tables);
/* Calls cb on every frame of every thread that runs Python code, with
 * its code object and the frame it calls (or NULL), innermost first per
 * thread; stops at cb's first -1 and returns it. */
typedef int (*roots_frame_cb)(compat_frame *f, PyCodeObject *co,
                              compat_frame *inner, void *arg);
int roots_foreach_frame(roots_frame_cb cb, void *arg);
/* The code objects of every frame of every thread, in a new list. */
PyObject *roots_running_code(void);
/* After the traversal: count the roots' references on their objects,
 * flag module dicts, index refs by node, order the seeds.  -1 on error. */
int roots_account(roots_t *r, heap_t *h);
/* The first index in by_node of the refs that hold node n, and their
 * number in *count. */
size_t roots_refs_of(const roots_t *r, node_t n, size_t *count);
void roots_free(roots_t *r);

#endif /* WHYALIVE_ROOTS_H */
