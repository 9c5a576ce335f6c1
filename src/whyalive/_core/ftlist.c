/* ftlist.c: the objects the collector tracks, on free-threaded builds
 * (compat.h's compat_gc_foreach there).  Compiled to nothing on the
 * default build, which reads the collector's lists.
 *
 * A free-threaded CPython keeps no lists: its objects live in mimalloc
 * heaps, which only CPython itself may walk.  PyUnstable_GC_VisitObjects
 * walks them with the other threads stopped and hands over each tracked
 * object, except on 3.13t the frozen ones (gc.freeze() sets a bit its
 * visitor skips, as gc.get_objects() does) and the immortal ones (once
 * a second thread has started, 3.13t makes modules, their dicts,
 * classes and functions immortal).  So:
 *
 * 1. the visitor's objects are copied into a raw array (no callback runs
 *    inside the visitor: there it may neither allocate from mimalloc nor
 *    stop the world again);
 * 2. when gc.get_freeze_count() says some objects are frozen, or 3.13t
 *    has immortalized objects, those are found by traversal.  From every
 *    listed object, the interpreter's own dicts and lists (sys, builtins,
 *    sys.modules...), the static types' dicts, and every thread's state
 *    and running frames (code, fast locals, the value stack where CPython
 *    recorded its top), what tp_traverse visits that is frozen or
 *    immortalized is added, then traversed in turn; so are the weak
 *    references to an object (its own list holds them) and its __dict__
 *    (its traversal skips one while its values are inline).  It stops at
 *    the freeze count when nothing is immortalized.  A frozen object
 *    that only C code or an unrecorded stack slot holds, or a frozen
 *    garbage cycle, stays unlisted: the heap walk still finds one when
 *    something it meets refers to it;
 * 3. cb runs on each, in order.
 *
 * The callers hold the GIL, which whyalive turns on (module.c refuses
 * when PYTHON_GIL=0 keeps it off): no other thread runs between the
 * steps.  Memory comes from PyMem_Raw*.
 */
#include "compat.h"

#ifdef Py_GIL_DISABLED
#include "scratch.h"

typedef struct {
    PyObject **objs;
    size_t count, capacity;
    int failed; /* out of memory */
    scratch_t seen; /* step 2: what is listed already */
    Py_ssize_t frozen_left; /* frozen objects not found yet */
    int immortalized; /* 3.13t made deferred objects immortal */
} ftlist_t;

static int
list_append(ftlist_t *l, PyObject *op)
{
    if (l->count == l->capacity) {
        size_t capacity = l->capacity ? l->capacity * 2 : 4096;
        PyObject **objs = PyMem_RawRealloc(l->objs, capacity * sizeof(*objs));
        if (objs == NULL) {
            l->failed = 1;
            return -1;
        }
        l->objs = objs;
        l->capacity = capacity;
    }
    l->objs[l->count++] = op;
    return 0;
}

/* step 1, inside the visitor: the world is stopped, only raw memory */
static int
list_visited(PyObject *op, void *arg)
{
    return list_append((ftlist_t *)arg, op) < 0 ? 0 : 1;
}

static inline int
is_frozen(PyObject *op)
{
    return (op->ob_gc_bits & _PyGC_BITS_FROZEN) != 0;
}

/* Once a second thread has started, 3.13t makes every object that
 * defers its reference count (modules and their dicts, classes,
 * functions) immortal, and its visitor skips immortal objects; some
 * (classes) are untracked too, yet a GIL build would list them. */
static inline int
is_immortalized(PyObject *op)
{
    return compat_is_immortal(op) &&
           (_PyObject_GC_IS_TRACKED(op) || _PyObject_HasDeferredRefcount(op));
}

static inline int
immortalizes(void)
{
#if PY_VERSION_HEX < 0x030E0000
    return PyInterpreterState_Get()->gc.immortalize > 0;
#else
    return 0; /* 3.14t defers instead */
#endif
}

/* step 2: a frozen referent not listed yet is appended; a code object
 * (not a GC type before 3.14) is looked through, as heap.c does. */
static int
list_frozen_referent(PyObject *op, void *arg)
{
    ftlist_t *l = (ftlist_t *)arg;
    if (op == NULL || Py_REFCNT(op) == 0) {
        return 0;
    }
    if (PyCode_Check(op) && !compat_is_gc(op)) {
        PyCodeObject *co = (PyCodeObject *)op;
        if (list_frozen_referent(co->co_consts, l) < 0) {
            return -1;
        }
        return list_frozen_referent(co->co_names, l);
    }
    if (!compat_is_gc(op)) {
        return 0;
    }
    int frozen = _PyObject_GC_IS_TRACKED(op) && is_frozen(op);
    if (!frozen && !(l->immortalized && is_immortalized(op))) {
        return 0;
    }
    uintptr_t *word = scratch_word(&l->seen, op);
    if (word == NULL) {
        l->failed = 1;
        return -1;
    }
    if (*word != 0) {
        return 0;
    }
    *word = 1;
    if (list_append(l, op) < 0) {
        return -1;
    }
    l->frozen_left -= frozen;
    return 0;
}

/* Weak references to an object are no references from it, but they are
 * objects: the frozen ones are found through the object's list of them. */
static int
list_weakrefs(PyWeakReference *wr, ftlist_t *l)
{
    for (; wr != NULL; wr = wr->wr_next) {
        if (list_frozen_referent((PyObject *)wr, l) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
list_own_weakrefs(PyObject *op, ftlist_t *l)
{
    PyTypeObject *tp = Py_TYPE(op);
    if (tp->tp_weaklistoffset <= 0 ||
        (PyType_Check(op) &&
         (((PyTypeObject *)op)->tp_flags & _Py_TPFLAGS_STATIC_BUILTIN)))
    {
        return 0; /* static types' lists are read from their states */
    }
    return list_weakrefs(
        *(PyWeakReference **)((char *)op + tp->tp_weaklistoffset), l);
}

/* What holds frozen objects besides listed ones: the interpreter's own
 * dicts and lists, every thread's state and running frames (their
 * code, fast locals, function, globals, builtins and locals mapping). */
static int
list_frozen_roots(ftlist_t *l)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    compat_interp_fields f;
    compat_interp_read(interp, &f);
    PyObject *seeds[] = {f.sysdict, f.builtins,     f.modules,
                         f.dict,    f.gc_garbage,   f.gc_callbacks,
                         f.search_path, f.search_cache, f.error_registry,
                         f.audit_hooks};
    for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
        if (list_frozen_referent(seeds[k], l) < 0) {
            return -1;
        }
    }
    /* static types keep their dicts, subclasses and weak references in
     * the interpreter; the types themselves are not GC objects */
    struct {
        size_t n;
        managed_static_type_state *states;
    } kinds[] = {
        {interp->types.builtins.num_initialized,
         interp->types.builtins.initialized},
        {interp->types.for_extensions.num_initialized,
         interp->types.for_extensions.initialized},
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t i = 0; i < kinds[k].n; i++) {
            managed_static_type_state *st = &kinds[k].states[i];
            PyTypeObject *tp = st->type;
            PyObject *more[] = {st->tp_dict, st->tp_subclasses,
                                tp ? tp->tp_mro : NULL, tp ? tp->tp_bases : NULL};
            for (size_t m = 0; m < sizeof(more) / sizeof(more[0]); m++) {
                if (list_frozen_referent(more[m], l) < 0) {
                    return -1;
                }
            }
            if (list_weakrefs((PyWeakReference *)st->tp_weaklist, l) < 0) {
                return -1;
            }
        }
    }
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
         ts = PyThreadState_Next(ts))
    {
        for (int field = 0; field < COMPAT_THREAD_FIELD_COUNT; field++) {
            if (list_frozen_referent(compat_thread_field(ts, field), l) < 0) {
                return -1;
            }
        }
        compat_frame *inner = NULL;
        for (compat_frame *fr = compat_thread_top_frame(ts); fr != NULL;
             inner = fr, fr = compat_frame_previous(fr))
        {
            PyCodeObject *co = compat_frame_code(fr);
            if (co == NULL) {
                continue;
            }
            /* the value stack only where CPython saved its top: other
             * slots may hold stale pointers, never to be dereferenced */
            int exact;
            Py_ssize_t depth = compat_frame_stack_extent(fr, co, inner, &exact);
            for (Py_ssize_t i = 0; exact && i < depth; i++) {
                int owned;
                PyObject *value = compat_frame_stack_value(fr, co, i, &owned);
                if (list_frozen_referent(value, l) < 0) {
                    return -1;
                }
            }
            PyObject *func, *locals, *frame_obj;
            compat_frame_specials(fr, &func, &locals, &frame_obj);
            PyObject *more[] = {(PyObject *)co, func, locals, frame_obj,
                                fr->f_globals, fr->f_builtins};
            for (size_t k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
                if (list_frozen_referent(more[k], l) < 0) {
                    return -1;
                }
            }
            Py_ssize_t nslots = compat_code_nslots(co);
            for (Py_ssize_t i = 0; i < nslots; i++) {
                int owned;
                if (list_frozen_referent(compat_frame_slot(fr, i, &owned), l) < 0) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

static int
list_frozen(ftlist_t *l, Py_ssize_t frozen)
{
    l->frozen_left = frozen;
    if (scratch_init(&l->seen, l->count + (size_t)frozen) < 0) {
        return -1;
    }
    for (size_t i = 0; i < l->count; i++) {
        uintptr_t *word = scratch_word(&l->seen, l->objs[i]);
        if (word == NULL) {
            return -1;
        }
        *word = 1;
    }
    if (list_frozen_roots(l) < 0) {
        goto failed;
    }
    /* the array grows as it is read: frozen objects found are traversed */
    for (size_t i = 0;
         i < l->count && (l->frozen_left > 0 || l->immortalized) && !l->failed;
         i++)
    {
        PyObject *op = l->objs[i];
        traverseproc traverse = Py_TYPE(op)->tp_traverse;
        if (traverse != NULL) {
            (void)traverse(op, list_frozen_referent, l);
        }
        (void)list_own_weakrefs(op, l);
        /* a materialized __dict__ whose instance still keeps its values
         * inline is not visited: the values are */
        if (compat_type_has_instance_dict(Py_TYPE(op))) {
            (void)list_frozen_referent(compat_instance_dict(op), l);
        }
    }
    if (!l->failed) {
        return 0;
    }
failed:
    PyErr_NoMemory();
    return -1;
}

/* gc.get_freeze_count(): a C function of the gc module that visits the
 * heaps with the world stopped (3.13 exports no C API for it). */
static Py_ssize_t
freeze_count(void)
{
    PyObject *gc = PyImport_ImportModule("gc");
    if (gc == NULL) {
        return -1;
    }
    PyObject *count = PyObject_CallMethod(gc, "get_freeze_count", NULL);
    Py_DECREF(gc);
    if (count == NULL) {
        return -1;
    }
    Py_ssize_t n = PyLong_AsSsize_t(count);
    Py_DECREF(count);
    return n;
}

int
ftlist_foreach(compat_object_cb cb, void *arg)
{
    ftlist_t l;
    memset(&l, 0, sizeof(l));
    int status = -1;
    Py_ssize_t frozen = freeze_count();
    if (frozen < 0) {
        goto done;
    }
    PyUnstable_GC_VisitObjects(list_visited, &l);
    if (l.failed) {
        PyErr_NoMemory();
        goto done;
    }
    l.immortalized = immortalizes();
    if ((frozen > 0 || l.immortalized) && list_frozen(&l, frozen) < 0) {
        goto done;
    }
    status = 0;
    for (size_t i = 0; i < l.count; i++) {
        if (cb(l.objs[i], arg) < 0) {
            status = -1;
            break;
        }
    }
done:
    scratch_free(&l.seen);
    PyMem_RawFree(l.objs);
    return status;
}

#else
/* ISO C wants a translation unit to declare something */
typedef int ftlist_unused_t;
#endif
