/* roots.c: module globals, frames of every thread, thread states, and
 * what the interpreter holds on a program's behalf.
 *
 * Frames are read from the interpreter's own records (compat.h), not
 * through f_locals or PyFrame_GetBack, which would create frame objects
 * and locals snapshots and so change the heap being inspected.
 */
#include "roots.h"
#include "array.h"
#include "names.h"

/* ------------------------------------------------------------------ */
/* Modules                                                             */
/* ------------------------------------------------------------------ */

static int
is_own_module(PyObject *name)
{
    if (!PyUnicode_CheckExact(name)) {
        return 0;
    }
    const char *utf8 = PyUnicode_AsUTF8(name);
    if (utf8 == NULL) {
        PyErr_Clear();
        return 0;
    }
    return strcmp(utf8, "whyalive") == 0 || strncmp(utf8, "whyalive.", 9) == 0;
}

static int
compare_modules(const void *a, const void *b)
{
    PyObject *x = ((const module_root_t *)a)->name;
    PyObject *y = ((const module_root_t *)b)->name;
    int xs = PyUnicode_CheckExact(x), ys = PyUnicode_CheckExact(y);
    if (xs && ys) {
        return PyUnicode_Compare(x, y);
    }
    return ys - xs; /* str names first; the rest keep their order */
}

static int
collect_modules(roots_t *r, heap_t *h)
{
    /* borrowed; sys.modules is the interpreter's, not a user mapping */
    PyObject *modules = PySys_GetObject("modules");
    if (modules == NULL || !PyDict_Check(modules)) {
        return 0;
    }
    size_t capacity = 0;
    Py_ssize_t pos = 0;
    PyObject *name, *module;
    while (PyDict_Next(modules, &pos, &name, &module)) {
        if (!PyModule_Check(module)) {
            continue;
        }
        PyObject *dict = PyModule_GetDict(module);
        if (dict == NULL) {
            continue;
        }
        node_t node = heap_add(h, dict);
        if (node == NODE_NONE) {
            return -1;
        }
        if (array_grow((void **)&r->modules, &capacity, r->nmodules + 1,
                 sizeof(module_root_t)) < 0)
        {
            return -1;
        }
        module_root_t *m = &r->modules[r->nmodules++];
        m->name = name;
        m->dict = node;
        m->excluded = is_own_module(name);
    }
    qsort(r->modules, r->nmodules, sizeof(module_root_t), compare_modules);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Frames and thread states                                            */
/* ------------------------------------------------------------------ */

/* by_address: obj is only an address, resolved against the graph after
 * the traversal; otherwise a live object that may become a node.
 * owned: the reference holds a count.  root: it may start a path. */
static int
add_ref(roots_t *r, heap_t *h, int kind, int slot_kind, size_t owner,
        PyObject *name, PyObject *obj, int by_address, int owned, int root)
{
    if (obj == NULL) {
        return 0;
    }
    node_t node = NODE_NONE;
    if (!by_address) {
        node = heap_add_if_holder(h, obj);
        if (node == NODE_NONE && PyErr_Occurred()) {
            return -1;
        }
    }
    if (array_grow((void **)&r->refs, &r->capacity_refs, r->nrefs + 1,
             sizeof(root_ref_t)) < 0)
    {
        return -1;
    }
    root_ref_t *ref = &r->refs[r->nrefs++];
    ref->kind = (uint8_t)kind;
    ref->slot_kind = (uint8_t)slot_kind;
    ref->by_address = (uint8_t)by_address;
    ref->owned = (uint8_t)owned;
    ref->root = (uint8_t)root;
    ref->owner = (uint32_t)owner;
    ref->name = name;
    ref->obj = obj;
    ref->node = node;
    return 0;
}

static int
is_tool_code(PyCodeObject *co, PyObject *tool_prefix)
{
    if (tool_prefix == NULL || !PyUnicode_Check(tool_prefix) ||
        !PyUnicode_CheckExact(co->co_filename))
    {
        return 0;
    }
    return PyUnicode_Tailmatch(co->co_filename, tool_prefix, 0,
                               PY_SSIZE_T_MAX, -1) == 1;
}

/* How many value-stack slots of the frame hold live values, and
 * whether they may be dereferenced (*by_address == 0) or only compared:
 * the interpreter's own record of the stack top when it has one, else
 * the depth _stack.py computed for the current instruction, else none.
 * *operands: how many of the top values the current instruction uses
 * (0 when the top is recorded: a Python call has taken its arguments);
 * *star_call: the instruction is a call with *args (1), and **kwargs (2). */
#define STACK_STAR_CALL 0x8000
#define STACK_STAR_CALL_KWARGS 0x4000

static Py_ssize_t
live_stack(compat_frame *frame, PyCodeObject *co, compat_frame *inner,
           PyObject *stack_tables, int *by_address, Py_ssize_t *operands,
           int *star_call)
{
    int exact;
    Py_ssize_t extent = compat_frame_stack_extent(frame, co, inner, &exact);
    *by_address = 0;
    *operands = 0;
    *star_call = 0;
    if (exact) {
        return extent;
    }
    *by_address = 1;
    if (stack_tables == NULL) {
        return 0;
    }
    /* code objects hash and compare in C; no user code runs */
    PyObject *table = PyDict_GetItemWithError(stack_tables, (PyObject *)co);
    if (table == NULL || !PyBytes_Check(table)) {
        PyErr_Clear();
        return 0;
    }
    Py_ssize_t at = compat_frame_instruction(frame, co);
    Py_ssize_t units = PyBytes_GET_SIZE(table) / (2 * (Py_ssize_t)sizeof(uint16_t));
    if (at < 0 || at >= units) {
        return 0;
    }
    uint16_t entry[2]; /* depth before the instruction, values it uses */
    memcpy(entry, PyBytes_AS_STRING(table) + at * sizeof(entry), sizeof(entry));
    uint16_t uses = entry[1] & ~(STACK_STAR_CALL | STACK_STAR_CALL_KWARGS);
    if (entry[0] > extent || uses > entry[0]) {
        return 0;
    }
    if (entry[1] & STACK_STAR_CALL) {
        *star_call = (entry[1] & STACK_STAR_CALL_KWARGS) ? 2 : 1;
    }
    *operands = uses;
    return entry[0];
}

static int
collect_frame(roots_t *r, heap_t *h, compat_frame *frame, PyCodeObject *co,
              compat_frame *inner, size_t thread_index, int depth,
              int call_site, PyObject *tool_prefix, PyObject *stack_tables)
{
    if (array_grow((void **)&r->frames, &r->capacity_frames, r->nframes + 1,
             sizeof(frame_info_t)) < 0)
    {
        return -1;
    }
    size_t index = r->nframes++;
    frame_info_t *info = &r->frames[index];
    info->code = co;
    info->frame_object = compat_frame_as_object(frame);
    info->thread_index = (uint32_t)thread_index;
    info->thread_id = r->threads[thread_index];
    info->lineno = compat_frame_lineno(frame);
    info->depth = depth;
    info->excluded = is_tool_code(co, tool_prefix);
    info->call_site = call_site;
    info->star_call = 0;
    int root = !info->excluded;
    size_t locals_start = r->nrefs;

    Py_ssize_t nslots = compat_code_nslots(co);
    for (Py_ssize_t i = 0; i < nslots; i++) {
        int owned;
        PyObject *value = compat_frame_slot(frame, i, &owned);
        if (value == NULL) {
            continue;
        }
        int kind;
        PyObject *name = compat_code_slot_name(co, i, &kind);
        if (add_ref(r, h, ROOT_FRAME, kind, index, name, value, 0, owned,
                    root) < 0)
        {
            return -1;
        }
    }
    PyObject *func, *locals, *frame_obj;
    compat_frame_specials(frame, &func, &locals, &frame_obj);
    if (add_ref(r, h, ROOT_FRAME, FRAME_SLOT_FUNCTION, index, NULL, func, 0, 1,
                root) < 0 ||
        add_ref(r, h, ROOT_FRAME, FRAME_SLOT_LOCALS, index, NULL, locals, 0, 1,
                root) < 0 ||
        add_ref(r, h, ROOT_FRAME, FRAME_SLOT_OBJECT, index, NULL, frame_obj, 0,
                1, root) < 0)
    {
        return -1;
    }
    /* Temporaries start paths, except the operands of the call into
     * whyalive (the call's own arguments) and copies of the frame's own
     * locals (an argument being passed on, before 3.11). */
    size_t locals_end = r->nrefs;
    int by_address, star_call;
    Py_ssize_t operands;
    Py_ssize_t nstack = live_stack(frame, co, inner, stack_tables, &by_address,
                                   &operands, &star_call);
    info = &r->frames[index]; /* add_ref may have moved the array */
    info->star_call = call_site ? star_call : 0;
    for (Py_ssize_t i = 0; i < nstack; i++) {
        int owned;
        PyObject *value = compat_frame_stack_value(frame, co, i, &owned);
        if (value == NULL || !owned) {
            continue;
        }
        int copy = 0;
        for (size_t k = locals_start; k < locals_end && !copy; k++) {
            copy = r->refs[k].obj == value;
        }
        int call_operand = call_site && i >= nstack - operands;
        if (add_ref(r, h, ROOT_FRAME, FRAME_SLOT_STACK, index, NULL, value,
                    by_address, owned, root && !call_operand && !copy) < 0)
        {
            return -1;
        }
    }
    return 0;
}

static int
collect_threads(roots_t *r, heap_t *h, PyObject *tool_prefix,
                PyObject *stack_tables)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    PyThreadState *current = PyThreadState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
         ts = PyThreadState_Next(ts))
    {
        if (array_grow((void **)&r->threads, &r->capacity_threads, r->nthreads + 1,
                 sizeof(unsigned long)) < 0)
        {
            return -1;
        }
        size_t thread_index = r->nthreads++;
        r->threads[thread_index] = ts->thread_id;
        if (ts == current) {
            r->current_thread = thread_index;
        }
        int depth = 0;
        /* in the querying thread, whyalive's frames are on top; the
         * first frame below them made the call */
        int in_tool = ts == current;
        compat_frame *inner = NULL;
        for (compat_frame *f = compat_thread_top_frame(ts); f != NULL;
             inner = f, f = compat_frame_previous(f))
        {
            PyCodeObject *co = compat_frame_code(f);
            if (co == NULL) {
                continue;
            }
            int tool = is_tool_code(co, tool_prefix);
            int call_site = in_tool && !tool && depth > 0;
            in_tool = in_tool && tool;
            if (collect_frame(r, h, f, co, inner, thread_index, depth++,
                              call_site, tool_prefix, stack_tables) < 0)
            {
                return -1;
            }
        }
        for (int field = 0; field < COMPAT_THREAD_FIELD_COUNT; field++) {
            PyObject *obj = compat_thread_field(ts, field);
            if (add_ref(r, h, ROOT_THREAD, field, thread_index, NULL, obj, 0,
                        1, 1) < 0)
            {
                return -1;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The interpreter                                                     */
/* ------------------------------------------------------------------ */

/* A registry's list: its own reference is counted (the interpreter
 * holds it) but starts no path; each item starts one, under the
 * holder's name, its count already seen in the list's traversal. */
static int
add_interp_list(roots_t *r, heap_t *h, int holder, PyObject *list)
{
    if (list == NULL || !PyList_CheckExact(list)) {
        return 0;
    }
    if (add_ref(r, h, ROOT_INTERP, INTERP_CONTAINER, (size_t)holder, NULL,
                list, 0, 1, 0) < 0)
    {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (add_ref(r, h, ROOT_INTERP, holder, (size_t)i, NULL,
                    PyList_GET_ITEM(list, i), 0, 0, 1) < 0)
        {
            return -1;
        }
    }
    return 0;
}

/* The same for a registry's dict: each value under its key. */
static int
add_interp_dict(roots_t *r, heap_t *h, int holder, PyObject *dict)
{
    if (dict == NULL || !PyDict_CheckExact(dict)) {
        return 0;
    }
    if (add_ref(r, h, ROOT_INTERP, INTERP_CONTAINER, (size_t)holder, NULL,
                dict, 0, 1, 0) < 0)
    {
        return -1;
    }
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (add_ref(r, h, ROOT_INTERP, holder, (size_t)i++, key, value, 0, 0,
                    1) < 0)
        {
            return -1;
        }
    }
    return 0;
}

static int
add_atexit(roots_t *r, heap_t *h, PyInterpreterState *interp,
           const compat_interp_fields *f)
{
    int n = compat_atexit_count(interp);
    size_t live = 0; /* unregistered callbacks leave empty slots */
    for (int i = 0; i < n; i++) {
        PyObject *func, *args, *kwargs;
        if (!compat_atexit_callback(interp, i, &func, &args, &kwargs)) {
            continue;
        }
        if (add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT, live, NULL, func, 0, 1,
                    1) < 0 ||
            add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT_ARGS, live, NULL, args, 0,
                    1, 1) < 0 ||
            add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT_KWARGS, live, NULL, kwargs,
                    0, 1, 1) < 0)
        {
            return -1;
        }
        live++;
    }
    /* 3.14+: a list of (func, args, kwargs) tuples, the latest first
     * (they run first); numbered in the order of registration */
    PyObject *list = f->atexit_list;
    if (list == NULL || !PyList_CheckExact(list)) {
        return 0;
    }
    if (add_ref(r, h, ROOT_INTERP, INTERP_CONTAINER, INTERP_ATEXIT, NULL, list,
                0, 1, 0) < 0)
    {
        return -1;
    }
    Py_ssize_t count = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        size_t n = (size_t)(count - 1 - i);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 3) {
            if (add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT, n, NULL, item, 0, 0,
                        1) < 0)
            {
                return -1;
            }
            continue;
        }
        PyObject *kwargs = PyTuple_GET_ITEM(item, 2);
        if (add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT, n, NULL,
                    PyTuple_GET_ITEM(item, 0), 0, 0, 1) < 0 ||
            add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT_ARGS, n, NULL,
                    PyTuple_GET_ITEM(item, 1), 0, 0, 1) < 0 ||
            add_ref(r, h, ROOT_INTERP, INTERP_ATEXIT_KWARGS, n, NULL,
                    kwargs == Py_None ? NULL : kwargs, 0, 0, 1) < 0)
        {
            return -1;
        }
    }
    return 0;
}

/* A module dict the interpreter holds: counted; a root of its own only
 * if no module in sys.modules already has it (the module path says it
 * better). */
static int
add_interp_module_dict(roots_t *r, heap_t *h, int holder, PyObject *dict)
{
    if (dict == NULL) {
        return 0;
    }
    node_t node = heap_add_if_holder(h, dict);
    if (node == NODE_NONE && PyErr_Occurred()) {
        return -1;
    }
    int known = 0;
    for (size_t i = 0; i < r->nmodules && !known; i++) {
        known = r->modules[i].dict == node;
    }
    return add_ref(r, h, ROOT_INTERP, holder, 0, NULL, dict, 0, 1, !known);
}

static int
collect_interpreter(roots_t *r, heap_t *h)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    compat_interp_fields f;
    compat_interp_read(interp, &f);
    if (add_atexit(r, h, interp, &f) < 0) {
        return -1;
    }
    /* the signal table is the process's; only the main interpreter
     * sets it */
    if (interp == PyInterpreterState_Main()) {
        for (int signum = 1; signum < COMPAT_NSIG; signum++) {
            PyObject *handler = compat_signal_handler(signum);
            /* SIG_DFL and SIG_IGN are ints */
            if (handler != NULL && !PyLong_CheckExact(handler) &&
                add_ref(r, h, ROOT_INTERP, INTERP_SIGNAL_HANDLER,
                        (size_t)signum, NULL, handler, 0, 1, 1) < 0)
            {
                return -1;
            }
        }
    }
    if (add_interp_list(r, h, INTERP_CODEC_SEARCH, f.search_path) < 0 ||
        add_interp_dict(r, h, INTERP_CODEC_CACHE, f.search_cache) < 0 ||
        add_interp_dict(r, h, INTERP_CODEC_ERROR, f.error_registry) < 0 ||
        add_interp_list(r, h, INTERP_AUDIT_HOOK, f.audit_hooks) < 0 ||
        add_interp_list(r, h, INTERP_GC_CALLBACK, f.gc_callbacks) < 0 ||
        add_interp_list(r, h, INTERP_GC_GARBAGE, f.gc_garbage) < 0 ||
        add_interp_list(r, h, INTERP_FORK_BEFORE, f.fork_before) < 0 ||
        add_interp_list(r, h, INTERP_FORK_PARENT, f.fork_parent) < 0 ||
        add_interp_list(r, h, INTERP_FORK_CHILD, f.fork_child) < 0)
    {
        return -1;
    }
    for (int tool = 0; tool < COMPAT_MONITORING_TOOLS; tool++) {
        PyObject *name = compat_monitoring_tool_name(interp, tool);
        if (add_ref(r, h, ROOT_INTERP, INTERP_CONTAINER, INTERP_MONITORING,
                    NULL, name, 0, 1, 0) < 0)
        {
            return -1;
        }
        for (int event = 0; event < COMPAT_MONITORING_EVENTS; event++) {
            if (add_ref(r, h, ROOT_INTERP, INTERP_MONITORING,
                        (size_t)(tool * 32 + event), name,
                        compat_monitoring_callback(interp, tool, event), 0, 1,
                        1) < 0)
            {
                return -1;
            }
        }
    }
    if (add_ref(r, h, ROOT_INTERP, INTERP_STATE_DICT, 0, NULL, f.dict, 0, 1,
                1) < 0 ||
        add_interp_module_dict(r, h, INTERP_SYS_DICT, f.sysdict) < 0 ||
        add_interp_module_dict(r, h, INTERP_BUILTINS, f.builtins) < 0 ||
        add_ref(r, h, ROOT_INTERP, INTERP_MODULES, 0, NULL, f.modules, 0, 1,
                0) < 0)
    {
        return -1;
    }
    return 0;
}

const char *const roots_frame_slot_names[FRAME_SLOT_COUNT] = {
    "local", "cell", "free", "function", "locals", "frame", "temporary",
};

const char *const roots_thread_field_names[COMPAT_THREAD_FIELD_COUNT] = {
    "handled_exception", "handled_traceback", "raised_exception",
    "raised_traceback",  "thread_dict",       "async_exc",
    "context",           "profiler",          "tracer",
    "asyncgen_firstiter", "asyncgen_finalizer",
};

const char *const path_root_names[PR_COUNT] = {
    "module",  "frame",    "thread",   "interpreter",
    "external", "garbage", "excluded", "unreached",
};

const char *const roots_interp_holder_names[INTERP_HOLDER_COUNT] = {
    "atexit",        "atexit_args",   "atexit_kwargs", "signal_handler",
    "codec_search",  "codec_cache",   "codec_error",   "audit_hook",
    "gc_callbacks",  "gc_garbage",    "fork_before",   "fork_parent",
    "fork_child",    "monitoring",    "state_dict",    "sys_dict",
    "builtins_dict", "sys_modules",   "registry",
};

const char *
roots_interp_holder_name(int holder)
{
    return holder >= 0 && holder < INTERP_HOLDER_COUNT
               ? roots_interp_holder_names[holder]
               : "interpreter";
}

PyObject *
roots_tuple(const roots_t *r, const root_ref_t *ref)
{
    const char *kind = path_root_names[root_ref_path_kind(ref)];
    if (ref->kind == ROOT_THREAD) {
        const char *field = ref->slot_kind < COMPAT_THREAD_FIELD_COUNT
                                ? roots_thread_field_names[ref->slot_kind]
                                : "thread_state";
        return Py_BuildValue("(ss(k))", kind, field, r->threads[ref->owner]);
    }
    if (ref->kind == ROOT_INTERP) {
        PyObject *key = ref->name != NULL && PyUnicode_CheckExact(ref->name)
                            ? ref->name
                            : Py_None;
        /* phrased by whyalive.render.words from the detail */
        const char *holder = roots_interp_holder_name(ref->slot_kind);
        return Py_BuildValue("(ss(sIO))", kind, holder, holder,
                             (unsigned)ref->owner, key);
    }
    const frame_info_t *info = &r->frames[ref->owner];
    const char *slot = roots_frame_slot_names[ref->slot_kind];
    PyObject *name = ref->name != NULL && PyUnicode_Check(ref->name)
                         ? names_exact_str(ref->name)
                         : PyUnicode_FromFormat("<%s>", slot);
    if (name == NULL) {
        return NULL;
    }
    PyObject *qualname =
        names_str_or(compat_code_qualname(info->code), Py_None);
    PyObject *filename = names_str_or(info->code->co_filename, Py_None);
    if (qualname == NULL || filename == NULL) {
        Py_DECREF(name);
        Py_XDECREF(qualname);
        Py_XDECREF(filename);
        return NULL;
    }
    return Py_BuildValue("(sN(NNiksi))", kind, name, qualname, filename,
                         info->lineno, info->thread_id, slot, info->depth);
}

int
roots_collect(roots_t *r, heap_t *h, PyObject *tool_prefix,
              PyObject *stack_tables)
{
    memset(r, 0, sizeof(*r));
    if (collect_modules(r, h) < 0 ||
        collect_threads(r, h, tool_prefix, stack_tables) < 0 ||
        collect_interpreter(r, h) < 0)
    {
        return -1;
    }
    return 0;
}

int
roots_foreach_frame(roots_frame_cb cb, void *arg)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
         ts = PyThreadState_Next(ts))
    {
        compat_frame *inner = NULL;
        for (compat_frame *f = compat_thread_top_frame(ts); f != NULL;
             inner = f, f = compat_frame_previous(f))
        {
            PyCodeObject *co = compat_frame_code(f);
            if (co != NULL && cb(f, co, inner, arg) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int
append_code(compat_frame *f, PyCodeObject *co, compat_frame *inner, void *arg)
{
    (void)f;
    (void)inner;
    /* statically allocated code (a shim's) stays in C */
    if (compat_code_is_static(co)) {
        return 0;
    }
    return PyList_Append((PyObject *)arg, (PyObject *)co);
}

PyObject *
roots_running_code(void)
{
    PyObject *codes = PyList_New(0);
    if (codes != NULL && roots_foreach_frame(append_code, codes) < 0) {
        Py_CLEAR(codes);
    }
    return codes;
}

/* ------------------------------------------------------------------ */
/* Accounting                                                          */
/* ------------------------------------------------------------------ */

static int
order_seeds(roots_t *r)
{
    uint64_t *keyed = PyMem_RawMalloc((r->nrefs ? r->nrefs : 1) * sizeof(uint64_t));
    r->seed_order = PyMem_RawMalloc((r->nrefs ? r->nrefs : 1) * sizeof(uint32_t));
    if (keyed == NULL || r->seed_order == NULL) {
        PyMem_RawFree(keyed);
        PyErr_NoMemory();
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        root_ref_t *ref = &r->refs[i];
        uint64_t thread, place;
        if (!ref->root) {
            continue;
        }
        if (ref->kind == ROOT_FRAME) {
            frame_info_t *info = &r->frames[ref->owner];
            thread = info->thread_index;
            place = 0xFFFE - (uint64_t)(info->depth & 0xFFFF);
        }
        else if (ref->kind == ROOT_THREAD) {
            thread = ref->owner;
            place = 0xFFFF;
        }
        else { /* the interpreter's, after every thread's */
            thread = r->nthreads;
            place = 0;
        }
        uint64_t rank = thread == r->current_thread ? 0 : thread + 1;
        keyed[n++] = (rank << 48) | (place << 32) | (uint64_t)i;
    }
    qsort(keyed, n, sizeof(uint64_t), compare_u64);
    for (size_t i = 0; i < n; i++) {
        r->seed_order[i] = (uint32_t)(keyed[i] & 0xFFFFFFFFu);
    }
    r->nseeds = n;
    PyMem_RawFree(keyed);
    return 0;
}

/* Nodes of what was recorded by address: value-stack slots read from
 * the bytecode analysis, and the frame objects of 3.10 frames. */
static int
resolve_by_address(roots_t *r, heap_t *h, node_t *frame_nodes)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        n += r->refs[i].by_address;
    }
    for (size_t i = 0; i < r->nframes; i++) {
        n += r->frames[i].frame_object != NULL;
    }
    void **addresses = PyMem_RawMalloc((n ? n : 1) * sizeof(void *));
    node_t *nodes = PyMem_RawMalloc((n ? n : 1) * sizeof(node_t));
    if (addresses == NULL || nodes == NULL) {
        PyMem_RawFree(addresses);
        PyMem_RawFree(nodes);
        PyErr_NoMemory();
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        if (r->refs[i].by_address) {
            addresses[k++] = r->refs[i].obj;
        }
    }
    for (size_t i = 0; i < r->nframes; i++) {
        if (r->frames[i].frame_object != NULL) {
            addresses[k++] = r->frames[i].frame_object;
        }
    }
    if (heap_resolve_addresses(h, addresses, n, nodes) < 0) {
        PyMem_RawFree(addresses);
        PyMem_RawFree(nodes);
        return -1;
    }
    k = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        if (r->refs[i].by_address) {
            r->refs[i].node = nodes[k++];
        }
    }
    for (size_t i = 0; i < r->nframes; i++) {
        frame_nodes[i] =
            r->frames[i].frame_object != NULL ? nodes[k++] : NODE_NONE;
    }
    PyMem_RawFree(addresses);
    PyMem_RawFree(nodes);
    return 0;
}

int
roots_account(roots_t *r, heap_t *h)
{
    for (size_t i = 0; i < r->nmodules; i++) {
        h->flags[r->modules[i].dict] |= NODE_MODULE_DICT;
        if (r->modules[i].excluded) {
            h->flags[r->modules[i].dict] |= NODE_EXCLUDED;
        }
    }
    node_t *frame_nodes =
        PyMem_RawMalloc((r->nframes ? r->nframes : 1) * sizeof(node_t));
    if (frame_nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (resolve_by_address(r, h, frame_nodes) < 0) {
        PyMem_RawFree(frame_nodes);
        return -1;
    }
    size_t nkeyed = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        root_ref_t *ref = &r->refs[i];
        nkeyed += ref->node != NODE_NONE;
        if (!ref->owned) {
            continue; /* a borrowed reference adds no count */
        }
        /* a 3.10 frame that is a node counts its own slots */
        if (ref->kind == ROOT_FRAME && frame_nodes[ref->owner] != NODE_NONE &&
            ref->slot_kind <= FRAME_SLOT_LOCALS)
        {
            continue;
        }
        if (heap_count_node(h, ref->node) < 0) {
            PyMem_RawFree(frame_nodes);
            return -1;
        }
    }
    PyMem_RawFree(frame_nodes);
    uint64_t *keyed = PyMem_RawMalloc((nkeyed ? nkeyed : 1) * sizeof(uint64_t));
    if (keyed == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < r->nrefs; i++) {
        if (r->refs[i].node != NODE_NONE) {
            keyed[k++] = ((uint64_t)r->refs[i].node << 32) | (uint64_t)i;
        }
    }
    qsort(keyed, nkeyed, sizeof(uint64_t), compare_u64);
    r->by_node = PyMem_RawMalloc((nkeyed ? nkeyed : 1) * sizeof(uint32_t));
    if (r->by_node == NULL) {
        PyMem_RawFree(keyed);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < nkeyed; i++) {
        r->by_node[i] = (uint32_t)(keyed[i] & 0xFFFFFFFFu);
    }
    r->nkeyed = nkeyed;
    PyMem_RawFree(keyed);
    return order_seeds(r);
}

size_t
roots_refs_of(const roots_t *r, node_t n, size_t *count)
{
    size_t lo = 0, hi = r->nkeyed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->refs[r->by_node[mid]].node < n) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    size_t end = lo;
    while (end < r->nkeyed && r->refs[r->by_node[end]].node == n) {
        end++;
    }
    *count = end - lo;
    return lo;
}

void
roots_free(roots_t *r)
{
    PyMem_RawFree(r->modules);
    PyMem_RawFree(r->frames);
    PyMem_RawFree(r->refs);
    PyMem_RawFree(r->threads);
    PyMem_RawFree(r->by_node);
    PyMem_RawFree(r->seed_order);
    memset(r, 0, sizeof(*r));
}
