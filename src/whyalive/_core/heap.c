/* heap.c: enumerate the heap, number its objects, record references.
 *
 * One pass calls tp_traverse on every node and appends each referent's
 * node number to the node's row.  A referent that is not yet a node
 * becomes one when it can hold references (an untracked container, a
 * frozen object the lists missed, a running frame, a code object) or is
 * a target; other referents (strs, ints...) are skipped.  New nodes are
 * appended and traversed later in the same pass, so the walk needs no
 * recursion however deep the heap.
 *
 * Memory comes from PyMem_Raw*: it never starts a collection and is
 * never seen by the collector.
 */
#include "heap.h"
#include "array.h"
#include "heap_internal.h"

#define INITIAL_NODES ((size_t)1 << 16)

/* The size of the last graph, to size the next one (a hint: a wrong
 * value costs only reallocations; the GIL serializes updates). */
static size_t last_node_count;
static uint64_t last_edge_count;
#define INITIAL_EDGES ((uint64_t)1 << 18)


/* ------------------------------------------------------------------ */
/* Counts of references seen: a byte per node, big counts in a table   */
/* ------------------------------------------------------------------ */

#define SEEN_ENTRY_NODE(e) ((node_t)(((e) >> 32) - 1))
#define SEEN_ENTRY_COUNT(e) ((uint32_t)((e) & 0xFFFFFFFFu))

/* The slot of node n in seen_big: its entry, or the empty one where it
 * goes. */
static inline size_t
seen_big_slot(const heap_t *h, node_t n)
{
    size_t i = (size_t)(((uint64_t)n * 0x9E3779B97F4A7C15ull) >> 32) &
               h->seen_big_mask;
    while (h->seen_big[i] != 0 && SEEN_ENTRY_NODE(h->seen_big[i]) != n) {
        i = (i + 1) & h->seen_big_mask;
    }
    return i;
}

uint32_t
heap_seen_big(const heap_t *h, node_t n)
{
    return SEEN_ENTRY_COUNT(h->seen_big[seen_big_slot(h, n)]);
}

/* Sets node n's count.  -1 with MemoryError set (the count unchanged). */
static int
seen_set(heap_t *h, node_t n, uint64_t count)
{
    if (count < SEEN_BIG && h->seen[n] != SEEN_BIG) {
        h->seen[n] = (uint8_t)count;
        return 0;
    }
    if (count > UINT32_MAX) {
        count = UINT32_MAX;
    }
    /* keep the table at most half full */
    if (h->seen[n] != SEEN_BIG &&
        (h->seen_big_count + 1) * 2 > h->seen_big_mask + 1)
    {
        size_t old_slots = h->seen_big ? h->seen_big_mask + 1 : 0;
        size_t slots = old_slots ? old_slots * 2 : 64;
        uint64_t *old = h->seen_big;
        h->seen_big = PyMem_RawCalloc(slots, sizeof(uint64_t));
        if (h->seen_big == NULL) {
            h->seen_big = old;
            PyErr_NoMemory();
            return -1;
        }
        h->seen_big_mask = slots - 1;
        for (size_t i = 0; i < old_slots; i++) {
            if (old[i] != 0) {
                h->seen_big[seen_big_slot(h, SEEN_ENTRY_NODE(old[i]))] = old[i];
            }
        }
        PyMem_RawFree(old);
    }
    size_t i = seen_big_slot(h, n);
    if (h->seen_big[i] == 0) {
        h->seen_big_count++;
    }
    h->seen_big[i] = ((uint64_t)n + 1) << 32 | count;
    h->seen[n] = SEEN_BIG;
    return 0;
}

/* One more reference seen to node n (saturating). */
int
heap_seen_add_one(heap_t *h, node_t n)
{
    if (h->seen[n] < SEEN_BIG - 1) {
        h->seen[n]++;
        return 0;
    }
    return seen_set(h, n, (uint64_t)heap_seen(h, n) + 1);
}

static int
grow_nodes(heap_t *h, size_t cap)
{
    size_t old = h->capacity;
    if (big_resize((void **)&h->objs, old, cap, sizeof(*h->objs)) < 0 ||
        big_resize((void **)&h->flags, old, cap, sizeof(*h->flags)) < 0 ||
        big_resize((void **)&h->seen, old, cap, sizeof(*h->seen)) < 0 ||
        big_resize((void **)&h->prev_low, old, cap, sizeof(*h->prev_low)) <
            0 ||
        big_resize((void **)&h->edge_start, old ? old + 1 : 0, cap + 1,
                   sizeof(*h->edge_start)) < 0)
    {
        return -1;
    }
    h->capacity = cap;
    return 0;
}

int
heap_grow_edges(heap_t *h)
{
    uint64_t capacity = h->edges == NULL ? h->edges_capacity
                                         : h->edges_capacity * 2;
    if (h->edges != NULL && h->edges_capacity >= UINT32_MAX) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: the heap has more references than it can "
                        "index (2**32)");
        return -1;
    }
    if (capacity > UINT32_MAX) {
        capacity = UINT32_MAX;
    }
    size_t old = h->edges == NULL ? 0 : (size_t)h->edges_capacity;
    if (big_resize((void **)&h->edges, old, (size_t)capacity,
                   sizeof(*h->edges)) < 0)
    {
        return -1;
    }
    h->edges_capacity = capacity;
    return 0;
}

int
heap_init(heap_t *h, deadline_t *deadline)
{
    memset(h, 0, sizeof(*h));
    h->deadline = deadline;
    h->partial_args_offset = -1;
    h->partial_keywords_offset = -1;
    size_t nodes = last_node_count + last_node_count / 8;
    h->edges_capacity = last_edge_count + last_edge_count / 8;
    if (h->edges_capacity < INITIAL_EDGES / 2) {
        h->edges_capacity = INITIAL_EDGES / 2;
    }
    if (grow_nodes(h, nodes > INITIAL_NODES ? nodes : INITIAL_NODES) < 0 ||
#ifdef Py_GIL_DISABLED
        scratch_init(&h->scratch, nodes > INITIAL_NODES ? nodes : INITIAL_NODES) < 0 ||
#endif
        heap_side_init(h) < 0 || heap_grow_edges(h) < 0)
    {
        heap_free(h);
        return -1;
    }
    h->edge_start[0] = 0;
    /* their instances become nodes when they hold a reference */
    nogc_init(&h->nogc);
    h->nside_types += nogc_types(&h->nogc, h->side_types + h->nside_types);
    return 0;
}

/* A GC node's original header word without its flag bits, as it must
 * be: the header of the node listed just before it in the same list, or
 * nothing.  Depends only on what is fixed once n is added. */
static inline uintptr_t
predicted_prev(const heap_t *h, size_t n)
{
#ifdef Py_GIL_DISABLED
    (void)h; /* a fresh scratch word is 0: nothing to predict */
    (void)n;
    return 0;
#else
    if (n == 0 || n >= h->listed || (h->flags[n - 1] & NODE_SIDE)) {
        return 0;
    }
    return (uintptr_t)compat_gc_prev_word(h->objs[n - 1]) - offsetof(PyGC_Head, _gc_prev);
#endif
}

/* Gives every borrowed GC header its own word back, keeping the count
 * of references it accumulated in h->seen if keep_counts.  Every header
 * is restored whatever happens; -1 with MemoryError set when a count
 * could not be kept. */
static int
restore_headers(heap_t *h, int keep_counts)
{
    if (!h->headers_borrowed) {
        return 0;
    }
    int status = 0;
    size_t k = 0;
    for (size_t n = 0; n < h->count; n++) {
        if (h->flags[n] & NODE_SIDE) {
            continue;
        }
        uintptr_t *word = node_word_find(h, h->objs[n]);
        uint64_t seen = (*word >> HEADER_SEEN_SHIFT) & HEADER_SEEN_MAX;
        if (n < h->par_seen_capacity) {
            seen += h->par_seen[n]; /* saturating as the header would */
            seen = seen < HEADER_SEEN_MAX ? seen : HEADER_SEEN_MAX;
        }
        if (keep_counts && status == 0 && seen_set(h, (node_t)n, seen) < 0) {
            status = -1;
        }
#ifndef Py_GIL_DISABLED /* a scratch word is simply forgotten */
        if (k < h->nprev_exceptions && h->prev_exceptions[k].node == n) {
            *word = h->prev_exceptions[k++].word;
        }
        else {
            *word = predicted_prev(h, n) | h->prev_low[n];
        }
#endif
    }
    (void)k;
#ifdef Py_GIL_DISABLED
    scratch_free(&h->scratch);
#endif
    h->headers_borrowed = 0;
    /* not needed any more: the search's arrays can have the memory */
    big_free(h->prev_low, h->capacity, sizeof(*h->prev_low));
    h->prev_low = NULL;
    PyMem_RawFree(h->prev_exceptions);
    h->prev_exceptions = NULL;
    h->nprev_exceptions = h->prev_exceptions_capacity = 0;
    PyMem_RawFree(h->par_seen);
    h->par_seen = NULL;
    h->par_seen_capacity = 0;
    return status;
}

void
heap_free(heap_t *h)
{
    (void)restore_headers(h, 0);
#ifdef Py_GIL_DISABLED
    scratch_free(&h->scratch);
#endif
    big_free(h->objs, h->capacity, sizeof(*h->objs));
    big_free(h->flags, h->capacity, sizeof(*h->flags));
    big_free(h->seen, h->capacity, sizeof(*h->seen));
    big_free(h->prev_low, h->capacity, sizeof(*h->prev_low));
    PyMem_RawFree(h->prev_exceptions);
    PyMem_RawFree(h->seen_big);
    heap_side_free(h);
    PyMem_RawFree(h->by_address);
    big_free(h->edge_start, h->capacity + 1, sizeof(*h->edge_start));
    big_free(h->edges, (size_t)h->edges_capacity, sizeof(*h->edges));
    PyMem_RawFree(h->target_refs);
    PyMem_RawFree(h->par_seen);
    memset(h, 0, sizeof(*h));
}

node_t
heap_find(heap_t *h, PyObject *op)
{
    if (!compat_is_gc(op)) {
        return heap_side_find(h, op);
    }
    if (h->finished) {
        return heap_find_by_address(h, op); /* the headers are back */
    }
    uintptr_t *word = node_word_find(h, op);
    return WORD_MISSING(word) ? NODE_NONE : header_node(*word);
}

node_t
heap_new_node(heap_t *h, PyObject *op)
{
    if (h->count >= HEAP_MAX_NODES) {
        PyErr_SetString(PyExc_MemoryError,
                        "whyalive: the heap has too many objects to index");
        return NODE_NONE;
    }
    if (h->count == h->capacity && grow_nodes(h, h->capacity * 2) < 0) {
        return NODE_NONE;
    }
    node_t n = (node_t)h->count++;
    h->objs[n] = op;
    h->flags[n] = 0;
    h->seen[n] = 0;
    return n;
}


/* What the traversal needs to know of a type, computed once per type
 * (a direct-mapped cache; types outlive the walk). */
uint32_t
heap_type_class(const heap_t *h, heap_type_slot *cache, PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    size_t slot = ((uintptr_t)tp >> 5) & 1023;
    if (cache[slot].type == tp) {
        return cache[slot].kind;
    }
    uint32_t kind = TC_KNOWN;
    if (PyFunction_Check(op)) {
        kind |= TC_FUNCTION;
    }
    else if (PyExceptionInstance_Check(op)) {
        kind |= TC_EXCEPTION;
    }
    else if (PyCode_Check(op)) {
        kind |= TC_CODE;
    }
    else if (compat_is_generator_like(op)) {
        kind |= TC_GENERATOR;
    }
    else if (h->partial_type != NULL && PyObject_TypeCheck(op, h->partial_type)) {
        kind |= TC_PARTIAL;
    }
    if (heap_is_instance(h, op)) {
        kind |= TC_TARGET;
    }
    if (compat_type_has_instance_dict(tp)) {
        kind |= TC_DICT_OWNER;
    }
    if (tp == &PyCell_Type) {
        kind |= TC_CELL;
    }
    if (PyDict_Check(op)) {
        kind |= TC_DICT;
    }
    if (nogc_is_known(&h->nogc, op)) {
        kind |= TC_NOGC;
    }
    if (heappar_safe_traverse(tp)) {
        kind |= TC_PAR_SAFE;
    }
    cache[slot].type = tp;
    cache[slot].kind = kind;
    return kind;
}

node_t
heap_add_gc_node(heap_t *h, PyObject *op, uintptr_t *word)
{
    uintptr_t original = *word;
    if ((original & ~(uintptr_t)3) != predicted_prev(h, h->count)) {
        /* keep it whole (first of a list, or never listed but tracked) */
        if (array_grow((void **)&h->prev_exceptions,
                       &h->prev_exceptions_capacity, h->nprev_exceptions + 1,
                       sizeof(*h->prev_exceptions)) < 0)
        {
            return NODE_NONE; /* the header is still untouched */
        }
        h->prev_exceptions[h->nprev_exceptions].node = (node_t)h->count;
        h->prev_exceptions[h->nprev_exceptions].word = original;
        h->nprev_exceptions++;
    }
    node_t n = heap_new_node(h, op);
    if (n == NODE_NONE) {
        if (h->nprev_exceptions > 0 &&
            h->prev_exceptions[h->nprev_exceptions - 1].node == (node_t)h->count)
        {
            h->nprev_exceptions--;
        }
        return NODE_NONE;
    }
    h->prev_low[n] = (uint8_t)(original & 3);
    *word = ((uintptr_t)n << HEADER_SHIFT) | HEADER_TAG;
    h->headers_borrowed = 1;
    if (h->instances_of != NULL && (heap_type_class(h, h->type_cache, op) & TC_TARGET)) {
        heap_mark_target(h, n);
    }
    return n;
}

node_t
heap_add(heap_t *h, PyObject *op)
{
    if (h->finished) {
        PyErr_SetString(PyExc_SystemError,
                        "whyalive: heap_add() after the traversal");
        return NODE_NONE;
    }
    if (compat_is_gc(op)) {
        uintptr_t *word = node_word(h, op);
        if (WORD_MISSING(word)) {
            return NODE_NONE;
        }
        node_t n = header_node(*word);
        return n != NODE_NONE ? n : heap_add_gc_node(h, op, word);
    }
    node_t n = heap_side_find(h, op);
    return n != NODE_NONE ? n : heap_add_side_node(h, op);
}

/* Can op keep other objects alive, or is it a target?  Reads op's type
 * only; runs no code. */
int
heap_is_holder(const heap_t *h, PyObject *op)
{
    if (h->every_object || compat_is_gc(op) || PyCode_Check(op)) {
        return 1;
    }
    const char *no;
    return heap_is_instance(h, op) || nogc_reference(&h->nogc, op, 0, &no);
}

int
heap_is_instance(const heap_t *h, PyObject *op)
{
    if (h->instances_of == NULL) {
        return 0;
    }
    /* PyType_IsSubtype reads tp_mro; no __instancecheck__ runs */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(h->instances_of); i++) {
        PyTypeObject *tp = (PyTypeObject *)PyTuple_GET_ITEM(h->instances_of, i);
        if (PyObject_TypeCheck(op, tp)) {
            return 1;
        }
    }
    return 0;
}

node_t
heap_add_if_holder(heap_t *h, PyObject *op)
{
    node_t n = heap_find(h, op);
    if (n != NODE_NONE || !heap_is_holder(h, op)) {
        return n;
    }
    return heap_add(h, op);
}

/* Enumeration comes first: every tracked object is a new GC node. */
static int
add_tracked(PyObject *op, void *arg)
{
    heap_t *h = (heap_t *)arg;
    h->deadline->done = h->count;
    if (deadline_passed(h->deadline)) {
        return -1; /* stop; heap_enumerate tells it from an error */
    }
    uintptr_t *word = node_word(h, op);
    if (WORD_MISSING(word)) {
        return -1;
    }
    return heap_add_gc_node(h, op, word) == NODE_NONE ? -1 : 0;
}

int
heap_enumerate(heap_t *h)
{
    deadline_t *d = h->deadline;
    deadline_enter(d, PHASE_LISTING);
    /* giving every listed header back costs about what listing it did */
    d->reserve_rate = 1.0;
    h->listed = SIZE_MAX; /* while listing, each node follows the last */
    int status = compat_gc_foreach(add_tracked, h);
    h->listed = h->count;
    h->listing_seconds = platform_monotonic() - d->phase_start;
    if (status < 0) {
        return PyErr_Occurred() ? -1 : 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The traversal                                                       */
/* ------------------------------------------------------------------ */


/* Keeps the reference about to be appended, from referrer into target. */
int
heap_record_target_reference(heap_t *h, node_t target, node_t referrer)
{
    if (array_grow((void **)&h->target_refs, &h->target_refs_capacity,
                   h->ntarget_refs + 1, sizeof(*h->target_refs)) < 0)
    {
        return -1;
    }
    h->target_refs[h->ntarget_refs].target = target;
    h->target_refs[h->ntarget_refs].referrer = referrer;
    h->target_refs[h->ntarget_refs].position = h->nedges;
    h->ntarget_refs++;
    return 0;
}

static int
fail(visit_ctx *ctx)
{
    ctx->failed = 1;
    return -1;
}


/* The per-reference step: what gc.collect() does per reference (read
 * the referent's type and GC header), plus one edge appended. */
static int
visit_reference(PyObject *op, void *arg)
{
    visit_ctx *ctx = (visit_ctx *)arg;
    heap_t *h = ctx->h;
    node_t n;
    if (op == NULL) {
        return 0;
    }
    /* per reference, not per object: one dict can hold millions */
    if (deadline_passed(h->deadline)) {
        ctx->stopped = 1;
        return -1;
    }
    PyTypeObject *tp = Py_TYPE(op);
    if (PyType_IS_GC(tp) && (tp->tp_is_gc == NULL || tp->tp_is_gc(op))) {
        uintptr_t *word = node_word(h, op);
        if (WORD_MISSING(word)) {
            return fail(ctx);
        }
        n = header_node(*word);
        if (n == NODE_NONE) {
            if (object_is_freed(op)) {
                return 0;
            }
            if ((n = heap_add_gc_node(h, op, word)) == NODE_NONE) {
                ctx->failed = 1;
                return -1;
            }
        }
        uintptr_t w = *word;
        if (((w >> HEADER_SEEN_SHIFT) & HEADER_SEEN_MAX) != HEADER_SEEN_MAX) {
            *word = w + HEADER_SEEN_ONE;
        }
        if ((w & HEADER_TARGET) && heap_record_target_reference(h, n, ctx->src) < 0) {
            return fail(ctx);
        }
        /* a step into a cell is folded too ("<closure 'x'>") */
        uint32_t edge = tp == &PyCell_Type ? n | EDGE_FOLD : fold_edge(ctx, op, n);
        return heap_append_edge(h, edge) < 0 ? fail(ctx) : 0;
    }
    else {
        if (!heap_maybe_side_node(h, op, tp)) {
            return 0;
        }
        if (h->every_object) {
            /* a snapshot: no targets to note; every object is a node */
            return object_is_freed(op) ||
                           heap_side_defer(h, op, fold_edge(ctx, op, 0)) == 0
                       ? 0
                       : fail(ctx);
        }
        n = heap_side_find(h, op);
        if (n == NODE_NONE) {
            if (object_is_freed(op) || !heap_is_holder(h, op)) {
                return 0;
            }
            if ((n = heap_add_side_node(h, op)) == NODE_NONE) {
                ctx->failed = 1;
                return -1;
            }
        }
    }
    if (heap_seen_add_one(h, n) < 0) {
        return fail(ctx);
    }
    if ((h->flags[n] & NODE_TARGET) && heap_record_target_reference(h, n, ctx->src) < 0) {
        return fail(ctx);
    }
    return heap_append_edge(h, fold_edge(ctx, op, n)) < 0 ? fail(ctx) : 0;
}

static void
add_fold(visit_ctx *ctx, PyObject *container)
{
    if (container != NULL && ctx->nfold < MAX_FOLDS) {
        ctx->fold[ctx->nfold++] = container;
    }
}

/* The containers op keeps as part of itself, so that "owner -> its
 * __dict__ -> value" is one step of a path, as a person writes it. */
void
heap_collect_folds(const heap_t *h, PyObject *op, uint32_t kind, visit_ctx *ctx)
{
    if (kind & TC_DICT_OWNER) {
        add_fold(ctx, compat_instance_dict(op));
    }
    if (kind & TC_FUNCTION) {
        PyFunctionObject *func = (PyFunctionObject *)op;
        add_fold(ctx, func->func_closure);
        add_fold(ctx, func->func_defaults);
        add_fold(ctx, func->func_kwdefaults);
    }
    else if (kind & TC_EXCEPTION) {
        add_fold(ctx, ((PyBaseExceptionObject *)op)->args);
    }
    else if (kind & TC_CODE) {
        add_fold(ctx, ((PyCodeObject *)op)->co_consts);
        add_fold(ctx, ((PyCodeObject *)op)->co_names);
    }
    else if (kind & TC_GENERATOR) {
        add_fold(ctx, compat_generator_frame_object(op));
    }
    else if (kind & TC_PARTIAL) {
        if (h->partial_args_offset >= 0) {
            add_fold(ctx, *(PyObject **)((char *)op + h->partial_args_offset));
        }
        if (h->partial_keywords_offset >= 0) {
            add_fold(ctx,
                     *(PyObject **)((char *)op + h->partial_keywords_offset));
        }
    }
}

/* A unicode-keyed dict's tp_traverse visits values only, so a str
 * target used as a key would look held from outside.  Add the key
 * references it skipped.  Runs only when some target is a str. */
static int
count_str_keys(heap_t *h, PyObject *dict, uint64_t row_start, visit_ctx *ctx)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            continue;
        }
        node_t kn = heap_find(h, key);
        if (kn == NODE_NONE || !(h->flags[kn] & NODE_TARGET)) {
            continue;
        }
        /* visits of key so far vs. entries holding it as a value */
        uint64_t visits = 0;
        for (uint64_t e = row_start; e < h->nedges; e++) {
            visits += EDGE_NODE(h->edges[e]) == kn;
        }
        Py_ssize_t vpos = 0;
        PyObject *k2, *v2;
        uint64_t as_value = 0;
        while (PyDict_Next(dict, &vpos, &k2, &v2)) {
            as_value += v2 == key;
        }
        if (visits <= as_value && visit_reference(key, ctx) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Appends node n's row.  0 done, 1 the deadline passed (the row is
 * incomplete), -1 error. */
int
heap_traverse_node(heap_t *h, node_t n)
{
    PyObject *op = h->objs[n];
    PyTypeObject *tp = Py_TYPE(op);
    uint64_t row_start = h->nedges;
    visit_ctx ctx;
    ctx.h = h;
    ctx.src = n;
    ctx.nfold = 0;
    ctx.failed = 0;
    ctx.stopped = 0;

    uint32_t kind = heap_type_class(h, h->type_cache, op);
    if (kind & TC_CELL) {
        h->flags[n] |= NODE_CELL;
    }
    if (kind & (TC_DICT_OWNER | TC_FUNCTION | TC_EXCEPTION | TC_CODE |
                TC_GENERATOR | TC_PARTIAL))
    {
        heap_collect_folds(h, op, kind, &ctx);
    }
    if (!(h->flags[n] & NODE_SIDE)) {
        if (tp->tp_traverse != NULL) {
            (void)tp->tp_traverse(op, visit_reference, &ctx);
        }
    }
    else if (kind & TC_CODE) {
        /* not a GC type before 3.14: its constants and names are
         * invisible to the collector */
        PyCodeObject *co = (PyCodeObject *)op;
        if (visit_reference(co->co_consts, &ctx) == 0) {
            (void)visit_reference(co->co_names, &ctx);
        }
    }
    if ((kind & TC_NOGC) && !ctx.failed && !ctx.stopped) {
        (void)nogc_traverse(&h->nogc, op, visit_reference, &ctx);
    }
    if (!ctx.failed && !ctx.stopped && h->str_targets && (kind & TC_DICT)) {
        (void)count_str_keys(h, op, row_start, &ctx);
    }
    if (!ctx.failed && !ctx.stopped && h->every_object && (kind & TC_DICT) &&
        h->nedges - row_start == (uint64_t)PyDict_GET_SIZE(op))
    {
        /* snapshots: a str-keyed dict visits only values; add its keys */
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (!ctx.failed && !ctx.stopped &&
               PyDict_Next(op, &pos, &key, &value)) {
            (void)visit_reference(key, &ctx);
        }
    }
    return ctx.failed ? -1 : ctx.stopped;
}

int
heap_traverse_one(heap_t *h, node_t n)
{
    h->deadline->done = n;
    if (deadline_passed(h->deadline)) {
        return 1;
    }
    h->edge_start[n] = (uint32_t)h->nedges;
    int traversed = heap_traverse_node(h, n);
    if (traversed == 1) {
        /* stopped inside the row: it is left empty, like the rest */
        h->nedges = h->edge_start[n];
        heap_side_drop_from(h, h->nedges);
        while (h->ntarget_refs > 0 &&
               h->target_refs[h->ntarget_refs - 1].position >= h->nedges)
        {
            h->ntarget_refs--;
        }
    }
    if (traversed == 0) {
        h->traversed = (size_t)n + 1;
    }
    return traversed;
}

/* Rounds: the nodes known when a round begins, in order; those it finds
 * are the next round's.  The order is the one-thread order, whichever
 * thread traverses a round's nodes (heappar.c). */
int
heap_traverse_all(heap_t *h)
{
    int status = 0;
    size_t n;
    deadline_enter(h->deadline, PHASE_INDEXING);
    if (h->every_object && heap_side_expect_every_object(h) < 0) {
        (void)restore_headers(h, 0);
        h->finished = 1;
        return -1;
    }
    h->deadline->reserve = h->listing_seconds; /* for restore_headers() */
    while (status == 0 && h->traversed < h->count) {
        size_t end = h->count;
        if (h->threads > 1 && end - h->traversed >= HEAPPAR_MIN_NODES &&
            !h->every_object && !h->str_targets)
        {
            status = heappar_round(h, end);
        }
        else {
            for (n = h->traversed; n < end && status == 0; n++) {
                status = heap_traverse_one(h, (node_t)n);
            }
            /* the nodes they add belong to the next round */
            if (status >= 0 && heap_side_resolve_all(h) < 0) {
                status = -1;
            }
        }
    }
    if (status < 0) {
        (void)restore_headers(h, 0);
        h->finished = 1;
        return -1;
    }
    /* rows of nodes not traversed (deadline) are empty */
    for (n = h->traversed; n <= h->count; n++) {
        h->edge_start[n] = (uint32_t)h->nedges;
    }
    /* a stopped walk answers nothing: its counts are not worth the
     * writes (fresh memory, which the time limit would pay for) */
    if (restore_headers(h, status == 0) < 0) {
        status = -1;
    }
    h->finished = 1;
    /* the arrays were sized from a hint: what is left of them is never
     * written again, yet their last huge pages are whole in memory */
    big_release_tail(h->objs, h->count, h->capacity, sizeof(*h->objs));
    big_release_tail(h->flags, h->count, h->capacity, sizeof(*h->flags));
    big_release_tail(h->seen, h->count, h->capacity, sizeof(*h->seen));
    big_release_tail(h->edge_start, h->count + 1, h->capacity + 1,
                     sizeof(*h->edge_start));
    big_release_tail(h->edges, (size_t)h->nedges, (size_t)h->edges_capacity,
                     sizeof(*h->edges));
    h->deadline->reserve = 0;
    last_node_count = h->count;
    last_edge_count = h->nedges;
    heap_side_remember(h);
    return status;
}

void
heap_mark_target(heap_t *h, node_t n)
{
    h->flags[n] |= NODE_TARGET;
    if (!(h->flags[n] & NODE_SIDE) && !h->finished) {
        uintptr_t *word = node_word_find(h, h->objs[n]);
        if (!WORD_MISSING(word)) {
            *word |= HEADER_TARGET;
        }
    }
}

/* Called after the traversal, once the counts are in h->seen. */
int
heap_count_node(heap_t *h, node_t n)
{
    return n == NODE_NONE ? 0 : heap_seen_add_one(h, n);
}
