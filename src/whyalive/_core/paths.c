/* paths.c: an explain query from start to end (paths_explain), and its
 * first stage: the query's targets and excluded objects in the graph.
 *
 * Order of work in paths_explain():
 *   1. index: enumerate, add targets and roots, traverse (heap.c, roots.c);
 *   2. search: 0-1 BFS from module dicts (distance 0) and frame/thread
 *      references (distance 1), then from objects held from outside
 *      (search.c);
 *   3. select: per target, the shortest path through each retainer,
 *      then paths branching off further out (one in-edge scan per round)
 *      (select.c);
 *   4. analyse targets no root reached: garbage, excluded, limits
 *      (unreached.c);
 *   5. build the result tuples (result.c).
 * The collector is off from 1 to 5, and no Python code runs.
 */
#include "search.h"
#include "array.h"

/* ------------------------------------------------------------------ */
/* 1. Index                                                            */
/* ------------------------------------------------------------------ */

static int
add_targets(search_t *s)
{
    heap_t *h = &s->heap;
    Py_ssize_t n = PyTuple_GET_SIZE(s->q->targets);
    s->targets = PyMem_RawCalloc(n ? (size_t)n : 1, sizeof(target_t));
    if (s->targets == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *obj = PyTuple_GET_ITEM(s->q->targets, i);
        node_t node = heap_add(h, obj);
        if (node == NODE_NONE) {
            return -1;
        }
        heap_mark_target(h, node);
        h->flags[node] |= NODE_EXPLICIT;
        if (PyUnicode_CheckExact(obj)) {
            h->str_targets = 1;
        }
        target_t *t = &s->targets[s->ntargets++];
        t->node = node;
        t->explicit = 1;
    }
    return 0;
}

static int
add_excluded(search_t *s)
{
    heap_t *h = &s->heap;
    const query_t *q = s->q;
    PyObject *own[] = {q->targets, q->excluded_objects, q->excluded_ids};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        node_t n = heap_add(h, own[i]);
        if (n == NODE_NONE) {
            return -1;
        }
        h->flags[n] |= NODE_EXCLUDED;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(q->excluded_objects); i++) {
        node_t n = heap_add(h, PyTuple_GET_ITEM(q->excluded_objects, i));
        if (n == NODE_NONE) {
            return -1;
        }
        h->flags[n] |= NODE_EXCLUDED;
    }
    return 0;
}

/* Ids name objects only if they are nodes: an id is never followed. */
static int
mark_excluded_ids(search_t *s)
{
    return heap_flag_ids(&s->heap, s->q->excluded_ids, NODE_EXCLUDED);
}

/* A call with *args reaches whyalive through C code (3.10, 3.11) that
 * keeps the argument tuple where no frame shows it, and with **kwargs a
 * copy of every argument: those references are the call's, not the
 * program's.  The tuple holds the explicit targets and nothing else. */
static void
discount_star_call(search_t *s)
{
    heap_t *h = &s->heap;
    int star_call = 0;
    for (size_t i = 0; i < s->roots.nframes; i++) {
        if (s->roots.frames[i].call_site) {
            star_call = s->roots.frames[i].star_call;
        }
    }
    if (star_call == 0) {
        return;
    }
    s->call_slack = star_call == 2 ? 1 : 0;
    size_t nexplicit = 0;
    for (size_t i = 0; i < s->ntargets; i++) {
        nexplicit += s->targets[i].explicit;
    }
    for (size_t n = 0; n < h->count; n++) {
        uint64_t start = heap_row_start(h, (node_t)n);
        uint64_t end = heap_row_end(h, (node_t)n);
        if (end - start != nexplicit || !PyTuple_CheckExact(h->objs[n]) ||
            PyTuple_GET_SIZE(h->objs[n]) != (Py_ssize_t)nexplicit ||
            heap_unseen_references(h, (node_t)n) <= 0)
        {
            continue;
        }
        int only_targets = 1;
        for (uint64_t e = start; e < end; e++) {
            only_targets &= (h->flags[EDGE_NODE(h->edges[e])] & NODE_EXPLICIT) != 0;
        }
        if (only_targets) {
            h->flags[n] |= NODE_EXCLUDED;
        }
    }
}

/* explain_instances: the instances found, in node order, after the
 * explicit targets; explicit targets are never excluded. */
static int
collect_instance_targets(search_t *s)
{
    heap_t *h = &s->heap;
    for (size_t i = 0; i < s->ntargets; i++) {
        h->flags[s->targets[i].node] &= (uint8_t)~NODE_EXCLUDED;
    }
    if (s->q->instances_of == NULL) {
        return 0;
    }
    size_t extra = 0;
    for (size_t n = 0; n < h->count; n++) {
        extra += (h->flags[n] & (NODE_TARGET | NODE_EXCLUDED)) == NODE_TARGET;
    }
    if (array_resize((void **)&s->targets, s->ntargets + extra + 1,
                     sizeof(target_t)) < 0)
    {
        return -1;
    }
    size_t explicit_count = s->ntargets;
    for (size_t n = 0; n < h->count; n++) {
        if ((h->flags[n] & (NODE_TARGET | NODE_EXCLUDED)) != NODE_TARGET) {
            continue;
        }
        int is_explicit = 0;
        for (size_t i = 0; i < explicit_count; i++) {
            is_explicit |= s->targets[i].node == (node_t)n;
        }
        if (is_explicit) {
            continue;
        }
        target_t *t = &s->targets[s->ntargets++];
        memset(t, 0, sizeof(*t));
        t->node = (node_t)n;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

static void
search_free(search_t *s)
{
    for (size_t i = 0; i < s->ntargets; i++) {
        for (uint32_t p = 0; p < s->targets[i].npaths; p++) {
            path_clear(&s->targets[i].paths[p]);
        }
        PyMem_RawFree(s->targets[i].paths);
        PyMem_RawFree(s->targets[i].used);
    }
    PyMem_RawFree(s->targets);
    big_free(s->dist, s->heap.count + 1, sizeof(uint32_t));
    big_free(s->reached_by, s->heap.count + 1, sizeof(uint32_t));
    result_memo_clear(&s->memo);
    roots_free(&s->roots);
    heap_free(&s->heap);
    names_free(&s->names);
}

static int
run(search_t *s)
{
    const query_t *q = s->q;
    heap_t *h = &s->heap;
    if (names_init(&s->names) < 0 || heap_init(h, &s->deadline) < 0) {
        return -1;
    }
    h->instances_of = q->instances_of;
    h->threads = q->threads;
    h->partial_type = q->partial_type;
    h->partial_args_offset = q->partial_args_offset;
    h->partial_keywords_offset = q->partial_keywords_offset;

    /* 1. index */
    int listed = heap_enumerate(h);
    if (listed < 0 || add_targets(s) < 0 || add_excluded(s) < 0 ||
        roots_collect(&s->roots, h, q->tool_prefix, q->stack_tables) < 0)
    {
        return -1;
    }
    s->traverse_status = heap_traverse_all(h);
    if (listed == 1 && s->traverse_status == 0) {
        s->traverse_status = 1; /* some objects were never listed */
    }
    if (s->traverse_status < 0) {
        return -1;
    }
    /* instances found so far are targets even when the time ran out */
    if (collect_instance_targets(s) < 0) {
        return -1;
    }
    if (s->traverse_status == 0) {
        if (mark_excluded_ids(s) < 0 || roots_account(&s->roots, h) < 0) {
            return -1;
        }
        discount_star_call(s);
    }
    s->t_indexed = platform_monotonic();
    if (s->traverse_status == 1) {
        /* the time ran out while indexing: a partial graph answers nothing */
        for (size_t i = 0; i < s->ntargets; i++) {
            s->targets[i].status = ST_TIMEOUT;
        }
        s->t_searched = s->t_indexed;
        return 0;
    }

    /* 2. search */
    if (big_resize((void **)&s->dist, 0, h->count + 1, sizeof(uint32_t)) < 0 ||
        big_resize((void **)&s->reached_by, 0, h->count + 1,
                   sizeof(uint32_t)) < 0)
    {
        return -1;
    }
    /* excluded nodes are never on a path: distance 0 keeps every search
     * from relaxing them, without reading their flags per reference */
    for (size_t n = 0; n < h->count; n++) {
        s->dist[n] = (h->flags[n] & NODE_EXCLUDED) ? 0 : DIST_NONE;
    }
    s->dist[h->count] = DIST_NONE;
    if (search_from_roots(s) < 0) {
        return -1;
    }
    if (s->traverse_status == 0 && !s->search_timed_out &&
        search_from_outside(s) < 0)
    {
        return -1;
    }

    /* 3, 4 */
    if (select_paths(s) < 0 || analyse_unreached(s) < 0) {
        return -1;
    }
    s->t_searched = platform_monotonic();
    return 0;
}

PyObject *
paths_explain(const query_t *q)
{
    search_t s;
    memset(&s, 0, sizeof(s));
    s.q = q;
    s.t_start = platform_monotonic();
    s.deadline.deadline = q->timeout > 0 ? s.t_start + q->timeout : 0;
    s.deadline.progress = q->progress;
    s.deadline.start = s.t_start;
    s.deadline.next_report = s.t_start + PROGRESS_AFTER;
    s.deadline.expire_at_phase = q->expire_at_phase;
    s.max_depth = q->max_depth < 0 || q->max_depth > DIST_MAX
                      ? DIST_MAX
                      : (uint32_t)q->max_depth;

    /* a collection inside the walk would run finalizers and callbacks */
    int was_enabled = PyGC_Disable();
    PyObject *result = NULL;
    if (run(&s) == 0) {
        result = result_build(&s);
    }
    deadline_finish(&s.deadline);
    search_free(&s);
    if (was_enabled) {
        PyGC_Enable();
    }
    return result;
}
