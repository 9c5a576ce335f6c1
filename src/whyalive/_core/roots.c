/* roots.c: module globals, frames of every thread, thread states.
 *
 * Frames are read from the interpreter's own records (compat.h), not
 * through f_locals or PyFrame_GetBack, which would create frame objects
 * and locals snapshots and so change the heap being inspected.
 */
#include "roots.h"
#include "array.h"

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

int
roots_collect(roots_t *r, heap_t *h, PyObject *tool_prefix,
              PyObject *stack_tables)
{
    memset(r, 0, sizeof(*r));
    if (collect_modules(r, h) < 0 ||
        collect_threads(r, h, tool_prefix, stack_tables) < 0)
    {
        return -1;
    }
    return 0;
}

PyObject *
roots_running_code(void)
{
    PyObject *codes = PyList_New(0);
    if (codes == NULL) {
        return NULL;
    }
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
         ts = PyThreadState_Next(ts))
    {
        for (compat_frame *f = compat_thread_top_frame(ts); f != NULL;
             f = compat_frame_previous(f))
        {
            PyCodeObject *co = compat_frame_code(f);
            if (co != NULL && PyList_Append(codes, (PyObject *)co) < 0) {
                Py_DECREF(codes);
                return NULL;
            }
        }
    }
    return codes;
}

/* ------------------------------------------------------------------ */
/* Accounting                                                          */
/* ------------------------------------------------------------------ */

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

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
        else {
            thread = ref->owner;
            place = 0xFFFF;
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
        heap_count_node(h, ref->node);
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
