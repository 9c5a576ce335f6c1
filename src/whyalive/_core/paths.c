/* paths.c: the search, and the plain-data result.
 *
 * Order of work in paths_explain():
 *   1. index: enumerate, add targets and roots, traverse (heap.c, roots.c);
 *   2. search: 0-1 BFS from module dicts (distance 0) and frame/thread
 *      references (distance 1), then from objects held from outside;
 *   3. select: per target, the shortest path through each retainer,
 *      then paths branching off further out (one in-edge scan per round);
 *   4. analyse targets no root reached (garbage, excluded, limits);
 *   5. build the result tuples (result.c).
 * The collector is off from 1 to 5, and no Python code runs.
 */
#include "search.h"
#include "array.h"

typedef struct {
    node_t dst;
    node_t src;
    uint64_t pos;
} in_edge_t;

typedef struct {
    uint32_t length;
    uint8_t kind;     /* enum path_root */
    uint32_t via;     /* link encoding (search.h) of x's retainer */
    uint32_t order;   /* tie-break: node or ref index */
    node_t x;         /* the node the retainer holds */
    uint32_t base;    /* path whose hops [0, base_hops) are kept */
    uint32_t base_hops;
    uint64_t pos;     /* edge position when via is a node */
    PyObject *label;  /* first-hop label, for the final tie-break */
} candidate_t;

/* The nodes a search expands next.  A list while they are few; once the
 * list would outweigh a bitmap over every node (a wide level of a big
 * heap: the millions of objects one list or dict holds), the bitmap:
 * whatever the heap's shape, a frontier costs at most a bit per node,
 * and a wide level is expanded in node order, which is close to address
 * order. */
typedef struct {
    node_t *items;
    size_t n, cap;
    size_t list_limit;
    uint64_t *bits; /* allocated on first use, all 0 when not in use */
    size_t nwords;
    int in_bits; /* the nodes are in bits, not items */
} frontier_t;

/* A search's frontiers: this level's, the next level's, and a spare one
 * for what folded references reach at this level. */
typedef struct {
    frontier_t cur, next, spare;
} frontiers_t;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void
frontier_init(frontier_t *f, size_t nodes)
{
    memset(f, 0, sizeof(*f));
    f->nwords = bitmap_words(nodes);
    /* a list of nwords * 2 node numbers weighs what the bitmap does */
    f->list_limit = f->nwords * 2 > 1024 ? f->nwords * 2 : 1024;
}

static void
frontier_free(frontier_t *f)
{
    PyMem_RawFree(f->items);
    PyMem_RawFree(f->bits);
}

static void
frontiers_init(frontiers_t *q, size_t nodes)
{
    frontier_init(&q->cur, nodes);
    frontier_init(&q->next, nodes);
    frontier_init(&q->spare, nodes);
}

static void
frontiers_free(frontiers_t *q)
{
    frontier_free(&q->cur);
    frontier_free(&q->next);
    frontier_free(&q->spare);
}

static void
frontier_swap(frontier_t *a, frontier_t *b)
{
    frontier_t tmp = *a;
    *a = *b;
    *b = tmp;
}

static inline int
frontier_empty(const frontier_t *f)
{
    return f->n == 0;
}

static int
frontier_push(frontier_t *f, node_t v)
{
    if (f->in_bits) {
        bitmap_set(f->bits, v);
        f->n++;
        return 0;
    }
    if (f->n == f->list_limit) {
        if (f->bits == NULL) {
            f->bits = PyMem_RawCalloc(f->nwords, sizeof(uint64_t));
            if (f->bits == NULL) {
                PyErr_NoMemory();
                return -1;
            }
        }
        for (size_t i = 0; i < f->n; i++) {
            bitmap_set(f->bits, f->items[i]);
        }
        f->in_bits = 1;
        bitmap_set(f->bits, v);
        f->n++;
        return 0;
    }
    if (array_grow((void **)&f->items, &f->cap, f->n + 1, sizeof(node_t)) < 0)
    {
        return -1;
    }
    f->items[f->n++] = v;
    return 0;
}

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
    PyObject *ids = s->q->excluded_ids;
    size_t n = (size_t)PyTuple_GET_SIZE(ids);
    if (n == 0) {
        return 0;
    }
    void **addresses = PyMem_RawMalloc(n * sizeof(void *));
    node_t *nodes = PyMem_RawMalloc(n * sizeof(node_t));
    int status = -1;
    if (addresses == NULL || nodes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        addresses[i] = PyLong_AsVoidPtr(PyTuple_GET_ITEM(ids, (Py_ssize_t)i));
        if (addresses[i] == NULL && PyErr_Occurred()) {
            goto done;
        }
    }
    if (heap_resolve_addresses(&s->heap, addresses, n, nodes) < 0) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (nodes[i] != NODE_NONE) {
            s->heap.flags[nodes[i]] |= NODE_EXCLUDED;
        }
    }
    status = 0;
done:
    PyMem_RawFree(addresses);
    PyMem_RawFree(nodes);
    return status;
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
/* 2. Search                                                           */
/* ------------------------------------------------------------------ */

/* Expands node u, at distance `level`: a reference folded into its
 * owner (weight 0) leads to `same`, expanded at this level too, the
 * others to `next`. */
static inline int
expand_node(search_t *s, node_t u, frontier_t *same, frontier_t *next,
            uint32_t level, int outside_pass)
{
    heap_t *h = &s->heap;
    uint32_t origin_bits = ORIGIN_BITS(origin_of(s, u));
    uint64_t end = heap_row_end(h, u);
    for (uint64_t e = heap_row_start(h, u); e < end; e++) {
        uint32_t edge = h->edges[e];
        node_t v = EDGE_NODE(edge);
        uint32_t weight = edge_weight(h, edge);
        uint32_t d = level + weight;
        /* excluded nodes sit at distance 0: never relaxed */
        if (d >= dist_of(s, v)) {
            continue;
        }
        if (outside_pass && (h->flags[v] & NODE_REACHED)) {
            continue;
        }
        if (d > s->max_depth) {
            s->depth_truncated = 1;
            continue;
        }
        s->dist[v] = d | origin_bits;
        s->reached_by[v] = (uint32_t)e;
        if (frontier_push(weight ? next : same, v) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Expands u if it is still at distance `level`.  0 done, 1 the time ran
 * out, -1 error. */
static inline int
expand_if_current(search_t *s, node_t u, frontier_t *same, frontier_t *next,
                  uint32_t level, int outside_pass)
{
    if (dist_of(s, u) != level) {
        return 0; /* reached more cheaply since it was queued */
    }
    if (deadline_passed(&s->deadline)) {
        s->search_timed_out = 1;
        return 1;
    }
    return expand_node(s, u, same, next, level, outside_pass);
}

/* Expands the nodes of f, and empties f. */
static int
expand_frontier(search_t *s, frontier_t *f, frontier_t *same, frontier_t *next,
                uint32_t level, int outside_pass)
{
    int status = 0;
    if (f->in_bits) {
        for (size_t i = 0; i < f->nwords && status == 0; i++) {
            uint64_t word = f->bits[i];
            f->bits[i] = 0;
            while (word != 0 && status == 0) {
                node_t u = (node_t)(i * 64 + compat_lowest_bit(word));
                word &= word - 1;
                status =
                    expand_if_current(s, u, same, next, level, outside_pass);
            }
        }
        if (status != 0) {
            /* stopped early: an unused bitmap is all 0 */
            memset(f->bits, 0, f->nwords * sizeof(uint64_t));
        }
    }
    else {
        for (size_t i = 0; i < f->n && status == 0; i++) {
            status = expand_if_current(s, f->items[i], same, next, level,
                                       outside_pass);
        }
    }
    f->n = 0;
    f->in_bits = 0;
    return status < 0 ? -1 : 0;
}

/* Expands one level: q->cur, then what folded references reach from it
 * at the same distance, until none is left; the next level gathers in
 * q->next. */
static int
bfs_level(search_t *s, frontiers_t *q, uint32_t level, int outside_pass)
{
    while (!frontier_empty(&q->cur) && !s->search_timed_out) {
        if (expand_frontier(s, &q->cur, &q->spare, &q->next, level,
                            outside_pass) < 0)
        {
            return -1;
        }
        frontier_swap(&q->cur, &q->spare);
    }
    return 0;
}

/* Expands level after level from q->cur, at distance `level`. */
static int
bfs_levels(search_t *s, frontiers_t *q, uint32_t level, int outside_pass)
{
    while (!frontier_empty(&q->cur) && !s->search_timed_out) {
        s->deadline.done = level;
        if (bfs_level(s, q, level, outside_pass) < 0) {
            return -1;
        }
        frontier_swap(&q->cur, &q->next);
        level++;
    }
    return 0;
}

static int
seed(search_t *s, frontier_t *f, node_t n, uint32_t d, uint32_t link,
     uint8_t origin)
{
    if (n == NODE_NONE || is_excluded(s, n) || dist_of(s, n) <= d) {
        return 0;
    }
    if (d > s->max_depth) {
        s->depth_truncated = 1;
        return 0;
    }
    s->dist[n] = d | ORIGIN_BITS(origin | ORIGIN_SEED);
    s->reached_by[n] = link;
    return frontier_push(f, n);
}

static int
search_from_roots(search_t *s)
{
    deadline_enter(&s->deadline, PHASE_SEARCHING);
    heap_t *h = &s->heap;
    roots_t *r = &s->roots;
    frontiers_t q;
    frontiers_init(&q, h->count);
    int status = -1;
    /* level 0: module globals dicts, then frame cells (the variable is
     * the cell's content, one reference away) */
    for (size_t i = 0; i < r->nmodules; i++) {
        if (!r->modules[i].excluded &&
            seed(s, &q.cur, r->modules[i].dict, 0, TAG_SOURCE | (uint32_t)i,
                 PR_MODULE) < 0)
        {
            goto done;
        }
    }
    for (size_t i = 0; i < r->nseeds; i++) {
        root_ref_t *ref = &r->refs[r->seed_order[i]];
        if (ref->node != NODE_NONE && (h->flags[ref->node] & NODE_CELL) &&
            seed(s, &q.cur, ref->node, 0, TAG_ROOT | r->seed_order[i],
                 root_ref_path_kind(ref)) < 0)
        {
            goto done;
        }
    }
    if (bfs_level(s, &q, 0, 0) < 0) {
        goto done;
    }
    /* level 1: what frames and thread states refer to directly */
    for (size_t i = 0; i < r->nseeds; i++) {
        root_ref_t *ref = &r->refs[r->seed_order[i]];
        if (seed(s, &q.next, ref->node, 1, TAG_ROOT | r->seed_order[i],
                 root_ref_path_kind(ref)) < 0)
        {
            goto done;
        }
    }
    frontier_swap(&q.cur, &q.next);
    if (bfs_levels(s, &q, 1, 0) < 0) {
        goto done;
    }
    /* for the search from outside, which a stop leaves out */
    for (size_t n = 0; n < h->count && !s->search_timed_out; n++) {
        if (dist_of(s, n) != DIST_NONE && !(h->flags[n] & NODE_EXCLUDED)) {
            h->flags[n] |= NODE_REACHED;
        }
    }
    status = 0;
done:
    frontiers_free(&q);
    return status;
}

/* Objects no root reaches but whose refcount exceeds the references
 * the graph shows are held from outside it: C code, an untracked
 * holder, the interpreter.  They start a second search. */
static int
search_from_outside(search_t *s)
{
    deadline_enter(&s->deadline, PHASE_SEARCHING_OUTSIDE);
    heap_t *h = &s->heap;
    frontiers_t q;
    frontiers_init(&q, h->count);
    int status = -1;
    for (size_t n = 0; n < h->count; n++) {
        if (h->flags[n] & (NODE_REACHED | NODE_EXCLUDED)) {
            continue;
        }
        if (unseen_refs(s, (node_t)n) > 0 &&
            seed(s, &q.cur, (node_t)n, 1, TAG_EXTERNAL, PR_EXTERNAL) < 0)
        {
            goto done;
        }
    }
    if (bfs_levels(s, &q, 1, 1) < 0) {
        goto done;
    }
    status = 0;
done:
    frontiers_free(&q);
    return status;
}

/* ------------------------------------------------------------------ */
/* 3. Select paths                                                     */
/* ------------------------------------------------------------------ */

static int
compare_u64_keys(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int
compare_in_edges(const void *a, const void *b)
{
    const in_edge_t *x = a, *y = b;
    if (x->dst != y->dst) {
        return x->dst < y->dst ? -1 : 1;
    }
    if (x->src != y->src) {
        return x->src < y->src ? -1 : 1;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The references into the targets, which the traversal kept as it met
 * them, from nodes not excluded, sorted by referent: no scan needed. */
static in_edge_t *
target_in_edges(search_t *s, size_t *count)
{
    heap_t *h = &s->heap;
    size_t n = 0;
    in_edge_t *list = PyMem_RawMalloc((h->ntarget_refs + 1) * sizeof(in_edge_t));
    if (list == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < h->ntarget_refs; i++) {
        const struct target_ref *ref = &h->target_refs[i];
        if (h->flags[ref->referrer] & NODE_EXCLUDED) {
            continue;
        }
        list[n].dst = ref->target;
        list[n].src = ref->referrer;
        list[n].pos = ref->position;
        n++;
    }
    qsort(list, n, sizeof(in_edge_t), compare_in_edges);
    *count = n;
    return list;
}

/* Every reference into a node flagged NODE_VISITED, from a node not
 * excluded, sorted by referent: one pass over the CSR, testing each
 * referent in a bitmap (a bit per node stays in cache; a byte does not). */
static in_edge_t *
gather_in_edges(search_t *s, size_t *count)
{
    heap_t *h = &s->heap;
    size_t n = 0, cap = 256;
    in_edge_t *list = PyMem_RawMalloc(cap * sizeof(in_edge_t));
    uint64_t *wanted =
        PyMem_RawCalloc(bitmap_words(h->count), sizeof(uint64_t));
    if (list == NULL || wanted == NULL) {
        PyMem_RawFree(list);
        PyMem_RawFree(wanted);
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t v = 0; v < h->count; v++) {
        if (h->flags[v] & NODE_VISITED) {
            bitmap_set(wanted, v);
        }
    }
    for (size_t u = 0; u < h->count; u++) {
        if (h->flags[u] & NODE_EXCLUDED) {
            continue;
        }
        if (deadline_passed(&s->deadline)) {
            s->search_timed_out = 1; /* the callers check it */
            break;
        }
        uint64_t end = heap_row_end(h, (node_t)u);
        for (uint64_t e = heap_row_start(h, (node_t)u); e < end; e++) {
            node_t v = EDGE_NODE(h->edges[e]);
            if (!bitmap_test(wanted, v)) {
                continue;
            }
            if (array_grow((void **)&list, &cap, n + 1, sizeof(in_edge_t)) < 0)
            {
                PyMem_RawFree(list);
                PyMem_RawFree(wanted);
                return NULL;
            }
            list[n].dst = v;
            list[n].src = (node_t)u;
            list[n].pos = e;
            n++;
        }
    }
    PyMem_RawFree(wanted);
    qsort(list, n, sizeof(in_edge_t), compare_in_edges);
    *count = n;
    return list;
}

static size_t
in_edges_of(const in_edge_t *list, size_t count, node_t n, size_t *end)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (list[mid].dst < n) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    size_t stop = lo;
    while (stop < count && list[stop].dst == n) {
        stop++;
    }
    *end = stop;
    return lo;
}

static int
is_used(const target_t *t, node_t x, uint32_t via)
{
    for (uint32_t i = 0; i < t->nused; i++) {
        if (t->used[2 * i] == x && t->used[2 * i + 1] == via) {
            return 1;
        }
    }
    return 0;
}

static int
mark_used(target_t *t, node_t x, uint32_t via)
{
    if (array_grow((void **)&t->used, &t->used_capacity,
                   2 * (size_t)t->nused + 2, sizeof(uint32_t)) < 0)
    {
        return -1;
    }
    t->used[2 * t->nused] = x;
    t->used[2 * t->nused + 1] = via;
    t->nused++;
    return 0;
}

static int
add_candidate(candidate_t **list, uint32_t *count, size_t *cap,
              const candidate_t *c)
{
    if (array_grow((void **)list, cap, *count + 1, sizeof(candidate_t)) < 0) {
        return -1;
    }
    (*list)[(*count)++] = *c;
    return 0;
}

/* Candidates for "who else holds x", where x is the node at hop
 * base_hops of path base of t (the target itself when base_hops is 0
 * or there is no base). */
static int
candidates_at(search_t *s, target_t *t, uint32_t base, uint32_t base_hops,
              node_t x, uint32_t suffix_length, uint32_t existing_via,
              const in_edge_t *in, size_t nin, candidate_t **list,
              uint32_t *count, size_t *cap)
{
    heap_t *h = &s->heap;
    roots_t *r = &s->roots;
    candidate_t c;
    memset(&c, 0, sizeof(c));
    c.x = x;
    c.base = base;
    c.base_hops = base_hops;

    size_t end, i = in_edges_of(in, nin, x, &end);
    node_t last_src = NODE_NONE;
    for (; i < end; i++) {
        node_t u = in[i].src;
        if (u == last_src || u == x || dist_of(s, u) == DIST_NONE) {
            continue; /* one candidate per retainer */
        }
        last_src = u;
        uint32_t via = TAG_NODE | u;
        if (via == existing_via || is_used(t, x, via)) {
            continue;
        }
        c.via = via;
        c.order = u;
        c.pos = in[i].pos;
        c.kind = origin_of(s, u);
        c.length = dist_of(s, u) + edge_weight(h, h->edges[in[i].pos]) +
                   suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    size_t nrefs, first = roots_refs_of(r, x, &nrefs);
    for (size_t k = 0; k < nrefs; k++) {
        uint32_t ref_index = r->by_node[first + k];
        root_ref_t *ref = &r->refs[ref_index];
        if (!ref->root) {
            continue;
        }
        uint32_t via = TAG_ROOT | ref_index;
        if (via == existing_via || is_used(t, x, via)) {
            continue;
        }
        c.via = via;
        c.order = ref_index;
        c.pos = UINT64_MAX;
        c.kind = root_ref_path_kind(ref);
        c.length = ((h->flags[x] & NODE_CELL) ? 0 : 1) + suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    /* References from outside are offered for the target itself (a C
     * holder of the very object asked about); further out, a root
     * already reaches x, and counts at shared objects (classes, say) are
     * too loose to name another holder.  After a timeout the counts are
     * incomplete: say nothing of outsiders. */
    if (x == t->node && s->traverse_status == 0 &&
        TAG_EXTERNAL != existing_via && !is_used(t, x, TAG_EXTERNAL) &&
        unseen_refs(s, x) > 0)
    {
        c.via = TAG_EXTERNAL;
        c.order = 0;
        c.pos = UINT64_MAX;
        c.kind = PR_EXTERNAL;
        c.length = 1 + suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    if ((h->flags[x] & NODE_MODULE_DICT) && !is_excluded(s, x)) {
        for (size_t m = 0; m < r->nmodules; m++) {
            if (r->modules[m].dict == x && !r->modules[m].excluded) {
                uint32_t via = TAG_SOURCE | (uint32_t)m;
                if (via != existing_via && !is_used(t, x, via)) {
                    c.via = via;
                    c.order = (uint32_t)m;
                    c.pos = UINT64_MAX;
                    c.kind = PR_MODULE;
                                c.length = suffix_length;
                    if (add_candidate(list, count, cap, &c) < 0) {
                        return -1;
                    }
                }
                break;
            }
        }
    }
    return 0;
}

static int
compare_candidates(const void *a, const void *b)
{
    const candidate_t *x = a, *y = b;
    if (x->length != y->length) {
        return x->length < y->length ? -1 : 1;
    }
    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    if (x->label != NULL && y->label != NULL) {
        int c = PyUnicode_Compare(x->label, y->label);
        if (c != 0) {
            return c;
        }
    }
    if (x->base_hops != y->base_hops) {
        return x->base_hops < y->base_hops ? -1 : 1;
    }
    return (x->order > y->order) - (x->order < y->order);
}

/* The first-hop label of a candidate, for the tie-break by label. */
static PyObject *
candidate_label(search_t *s, const candidate_t *c)
{
    heap_t *h = &s->heap;
    if ((c->via & TAG_MASK) == TAG_NODE) {
        raw_label_t raw;
        node_t u = TAG_VALUE(c->via);
        if (names_raw(&s->names, h->objs[u], h->objs[c->x], 0,
                      (Py_ssize_t)(c->pos - heap_row_start(h, u)), &raw) < 0)
        {
            return NULL;
        }
        return raw.text;
    }
    if ((c->via & TAG_MASK) == TAG_ROOT) {
        root_ref_t *ref = &s->roots.refs[TAG_VALUE(c->via)];
        if (ref->name != NULL && PyUnicode_Check(ref->name)) {
            return PyUnicode_FromFormat("%U", ref->name);
        }
    }
    return PyUnicode_FromString("");
}

static int
push_hop(path_t *p, size_t *cap, node_t referent, node_t referrer,
         uint64_t pos)
{
    if (array_grow((void **)&p->hops, cap, p->nhops + 1, sizeof(hop_t)) < 0) {
        return -1;
    }
    p->hops[p->nhops].referent = referent;
    p->hops[p->nhops].referrer = referrer;
    p->hops[p->nhops].edge_pos = pos;
    p->nhops++;
    return 0;
}

static void
path_clear(path_t *p)
{
    PyMem_RawFree(p->hops);
    memset(p, 0, sizeof(*p));
}

static void
mark_nodes(heap_t *h, const path_t *p, node_t x, int on)
{
    for (uint32_t i = 0; i < p->nhops; i++) {
        if (on) {
            h->flags[p->hops[i].referent] |= NODE_VISITED;
        }
        else {
            h->flags[p->hops[i].referent] &= (uint8_t)~NODE_VISITED;
        }
    }
    if (on) {
        h->flags[x] |= NODE_VISITED;
    }
    else {
        h->flags[x] &= (uint8_t)~NODE_VISITED;
    }
}

/* Builds the path a candidate describes.  Returns 1 when built, 0 when
 * its chain would pass through its own suffix (a cycle), -1 on error. */
static int
materialize(search_t *s, target_t *t, const candidate_t *c, path_t *out)
{
    heap_t *h = &s->heap;
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    if (c->base != NO_INDEX) {
        path_t *base = &t->paths[c->base];
        for (uint32_t i = 0; i < c->base_hops; i++) {
            if (push_hop(out, &cap, base->hops[i].referent,
                         base->hops[i].referrer, base->hops[i].edge_pos) < 0)
            {
                path_clear(out);
                return -1;
            }
        }
    }
    uint32_t suffix_hops = out->nhops;
    uint32_t tag = c->via & TAG_MASK;
    out->root_index = TAG_VALUE(c->via);
    int status = 1;
    if (tag == TAG_NODE) {
        /* the suffix's nodes: a chain looping back into them is refused */
        path_t suffix = *out;
        suffix.nhops = suffix_hops;
        mark_nodes(h, &suffix, c->x, 1);
        node_t u = TAG_VALUE(c->via);
        if (push_hop(out, &cap, c->x, u, c->pos) < 0) {
            status = -1;
        }
        while (status == 1) {
            if (h->flags[u] & NODE_VISITED) {
                status = 0;
                break;
            }
            if (is_seed(s, u)) {
                uint32_t link = s->reached_by[u];
                tag = link & TAG_MASK;
                out->root_index = TAG_VALUE(link);
                break;
            }
            uint64_t pos = s->reached_by[u];
            node_t retainer = heap_row_of(h, pos);
            if (push_hop(out, &cap, u, retainer, pos) < 0) {
                status = -1;
                break;
            }
            u = retainer;
        }
        suffix.hops = out->hops;
        mark_nodes(h, &suffix, c->x, 0);
    }
    if (status != 1) {
        path_clear(out);
        return status;
    }
    switch (tag) {
    case TAG_SOURCE:
        out->root = PR_MODULE;
        break;
    case TAG_ROOT:
        out->root = root_ref_path_kind(&s->roots.refs[out->root_index]);
        break;
    default:
        out->root = PR_EXTERNAL;
        break;
    }
    out->length = c->length;
    return 1;
}

static int
add_path(target_t *t, path_t *p, size_t *cap)
{
    if (array_grow((void **)&t->paths, cap, t->npaths + 1, sizeof(path_t)) < 0) {
        return -1;
    }
    t->paths[t->npaths++] = *p;
    return 0;
}

/* Picks up to `room` of t's candidates: sorted by length and root
 * kind, the closest ties broken by their first label. */
static int
choose(search_t *s, target_t *t, candidate_t *list, uint32_t count,
       uint32_t room, size_t *paths_cap, uint32_t *chosen)
{
    *chosen = 0;
    if (count == 0) {
        return 0;
    }
    qsort(list, count, sizeof(candidate_t), compare_candidates);
    /* Labels break the tie at the cut-off only: candidates of the same
     * length and root kind as the last one taken (at most 64 of them). */
    uint32_t first = 0, labelled = 0;
    if (count > room) {
        const candidate_t *cut = &list[room - 1];
        first = room - 1;
        while (first > 0 && list[first - 1].length == cut->length &&
               list[first - 1].kind == cut->kind)
        {
            first--;
        }
        labelled = first;
        while (labelled < count && labelled - first < 64 &&
               list[labelled].length == cut->length &&
               list[labelled].kind == cut->kind)
        {
            labelled++;
        }
        if (labelled - first < 2 || list[room].length != cut->length ||
            list[room].kind != cut->kind)
        {
            labelled = first; /* no tie across the cut-off */
        }
    }
    for (uint32_t i = first; i < labelled; i++) {
        list[i].label = candidate_label(s, &list[i]);
        if (list[i].label == NULL) {
            goto error;
        }
    }
    qsort(list + first, labelled - first, sizeof(candidate_t),
          compare_candidates);
    for (uint32_t i = 0; i < count && *chosen < room; i++) {
        if (is_used(t, list[i].x, list[i].via)) {
            continue;
        }
        path_t p;
        int built = materialize(s, t, &list[i], &p);
        if (built < 0) {
            goto error;
        }
        if (built == 0) {
            continue;
        }
        if (mark_used(t, list[i].x, list[i].via) < 0 ||
            add_path(t, &p, paths_cap) < 0)
        {
            path_clear(&p);
            goto error;
        }
        (*chosen)++;
    }
    for (uint32_t i = first; i < labelled; i++) {
        Py_CLEAR(list[i].label);
    }
    return 0;
error:
    for (uint32_t i = first; i < labelled; i++) {
        Py_CLEAR(list[i].label);
    }
    return -1;
}

/* The sum of the weights of hops [0, n) of a path: the references the
 * kept part of it costs. */
static uint32_t
suffix_length(const search_t *s, const path_t *p, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += edge_weight(&s->heap, s->heap.edges[p->hops[i].edge_pos]);
    }
    return total;
}

/* The retainer of the node at hop i of p, as a link (search.h). */
static uint32_t
retainer_at(const path_t *p, uint32_t i)
{
    if (i < p->nhops) {
        return TAG_NODE | p->hops[i].referrer;
    }
    switch (p->root) {
    case PR_MODULE:
        return TAG_SOURCE | p->root_index;
    case PR_FRAME:
    case PR_THREAD:
    case PR_INTERP:
        return TAG_ROOT | p->root_index;
    default:
        return TAG_EXTERNAL;
    }
}

static int
select_paths(search_t *s)
{
    heap_t *h = &s->heap;
    uint32_t max_paths = (uint32_t)s->q->max_paths;
    size_t *paths_caps = PyMem_RawCalloc(s->ntargets + 1, sizeof(size_t));
    candidate_t *list = NULL;
    size_t cap = 0;
    in_edge_t *in = NULL;
    int status = -1;
    if (paths_caps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    deadline_enter(&s->deadline, PHASE_CHOOSING);
    /* after a stop, each round would end at its first target: no round
     * (a round's set-up reads every node) */
    if (s->deadline.expired) {
        s->search_timed_out = 1;
    }
    for (uint32_t round = 0; round < max_paths && !s->deadline.expired;
         round++)
    {
        /* the nodes whose retainers this round considers */
        size_t interesting = 0;
        for (size_t i = 0; i < s->ntargets; i++) {
            target_t *t = &s->targets[i];
            if (round == 0) {
                h->flags[t->node] |= NODE_VISITED;
                interesting++;
                continue;
            }
            if (t->npaths == 0 || t->npaths >= max_paths) {
                continue;
            }
            for (uint32_t p = 0; p < t->npaths; p++) {
                for (uint32_t k = 0; k < t->paths[p].nhops; k++) {
                    node_t x = t->paths[p].hops[k].referrer;
                    /* x can have another retainer only if something else
                     * refers to it; the counts tell, without a scan */
                    if (!(h->flags[x] & NODE_MODULE_DICT) && h->seen[x] >= 2) {
                        h->flags[x] |= NODE_VISITED;
                        interesting++;
                    }
                }
            }
        }
        if (interesting == 0) {
            break;
        }
        size_t nin = 0;
        in = round == 0 ? target_in_edges(s, &nin) : gather_in_edges(s, &nin);
        for (size_t n = 0; n < h->count; n++) {
            h->flags[n] &= (uint8_t)~NODE_VISITED;
        }
        if (in == NULL) {
            goto done;
        }
        int progress = 0;
        for (size_t i = 0; i < s->ntargets; i++) {
            target_t *t = &s->targets[i];
            uint32_t count = 0;
            s->deadline.done = i;
            if (deadline_passed(&s->deadline)) {
                s->search_timed_out = 1;
                break; /* the targets left keep the paths they have */
            }
            if (round == 0) {
                if (candidates_at(s, t, NO_INDEX, 0, t->node, 0, NODE_NONE, in,
                                  nin, &list, &count, &cap) < 0)
                {
                    goto done;
                }
                uint32_t chosen;
                if (choose(s, t, list, count, max_paths, &paths_caps[i],
                           &chosen) < 0)
                {
                    goto done;
                }
                t->omitted = count > chosen ? count - chosen : 0;
                progress |= chosen > 0;
                continue;
            }
            if (t->npaths == 0 || t->npaths >= max_paths) {
                continue;
            }
            uint32_t npaths = t->npaths;
            for (uint32_t p = 0; p < npaths; p++) {
                path_t *path = &t->paths[p];
                uint32_t stop = path->root == PR_MODULE && path->nhops > 0
                                    ? path->nhops - 1
                                    : path->nhops;
                for (uint32_t k = 1; k <= stop; k++) {
                    node_t x = path->hops[k - 1].referrer;
                    if (candidates_at(s, t, p, k, x,
                                      suffix_length(s, path, k),
                                      retainer_at(path, k), in, nin, &list,
                                      &count, &cap) < 0)
                    {
                        goto done;
                    }
                }
            }
            uint32_t chosen;
            if (choose(s, t, list, count, max_paths - t->npaths, &paths_caps[i],
                       &chosen) < 0)
            {
                goto done;
            }
            progress |= chosen > 0;
        }
        PyMem_RawFree(in);
        in = NULL;
        if (!progress) {
            break;
        }
    }
    status = 0;
done:
    PyMem_RawFree(in);
    PyMem_RawFree(list);
    PyMem_RawFree(paths_caps);
    return status;
}

/* ------------------------------------------------------------------ */
/* 4. Targets no root reaches                                          */
/* ------------------------------------------------------------------ */

/* A backward 0-1 breadth-first search over the gathered in-edges, in
 * folded lengths (a reference into an internal container weighs 0):
 * order[k] is the k-th node met, via[k] the reference that gives it its
 * shortest distance dist[k] (its referrer is order[k]); via[0] keeps the
 * reference that closes the lightest cycle back to the start, if any;
 * back[n] is n's index in order + 1. */
typedef struct {
    node_t *order;
    in_edge_t *via;
    uint32_t *dist;
    size_t norder;
    size_t cap;
} backward_t;

static int
backward_push(backward_t *b, node_t n, const in_edge_t *via, uint32_t dist)
{
    if (b->norder == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        if (array_resize((void **)&b->order, cap, sizeof(node_t)) < 0 ||
            array_resize((void **)&b->via, cap, sizeof(in_edge_t)) < 0 ||
            array_resize((void **)&b->dist, cap, sizeof(uint32_t)) < 0)
        {
            return -1;
        }
        b->cap = cap;
    }
    b->order[b->norder] = n;
    if (via != NULL) {
        b->via[b->norder] = *via;
    }
    else {
        memset(&b->via[b->norder], 0, sizeof(in_edge_t));
    }
    b->dist[b->norder] = dist;
    b->norder++;
    return 0;
}

/* A double-ended queue of indices into a backward_t's order. */
typedef struct {
    size_t *items;
    size_t head, count, cap;
} deque_t;

static int
deque_push(deque_t *d, size_t k, int front)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        size_t *items = PyMem_RawMalloc(cap * sizeof(size_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < d->count; i++) {
            items[i] = d->items[(d->head + i) % d->cap];
        }
        PyMem_RawFree(d->items);
        d->items = items;
        d->head = 0;
        d->cap = cap;
    }
    if (front) {
        d->head = (d->head + d->cap - 1) % d->cap;
        d->items[d->head] = k;
    }
    else {
        d->items[(d->head + d->count) % d->cap] = k;
    }
    d->count++;
    return 0;
}

/* Searches back from start up to max_length (folded) references;
 * *closing is the index of the node through which the lightest cycle
 * returns to `start`, or SIZE_MAX.  Only unreached referrers are
 * followed when unreached_only. */
static int
backward_search(search_t *s, const in_edge_t *in, size_t nin, node_t start,
                uint32_t max_length, int unreached_only, uint32_t *back,
                backward_t *b, size_t *closing)
{
    heap_t *h = &s->heap;
    deque_t queue = {0};
    uint32_t best_cycle = UINT32_MAX;
    int status = -1;
    memset(b, 0, sizeof(*b));
    *closing = SIZE_MAX;
    if (backward_push(b, start, NULL, 0) < 0 || deque_push(&queue, 0, 0) < 0) {
        goto done;
    }
    back[start] = 1;
    while (queue.count > 0) {
        if (deadline_passed(&s->deadline)) {
            s->search_timed_out = 1; /* the caller checks it */
            break;
        }
        size_t k = queue.items[queue.head];
        queue.head = (queue.head + 1) % queue.cap;
        queue.count--;
        node_t v = b->order[k];
        uint32_t d = b->dist[k];
        size_t end, i = in_edges_of(in, nin, v, &end);
        for (; i < end; i++) {
            node_t u = in[i].src;
            if (unreached_only && dist_of(s, u) != DIST_NONE) {
                continue;
            }
            uint32_t weight = edge_weight(h, h->edges[in[i].pos]);
            uint32_t du = d + weight;
            if (u == start) {
                if (du < best_cycle) {
                    best_cycle = du;
                    *closing = k;
                    b->via[0] = in[i];
                }
                continue;
            }
            if (du > max_length) {
                continue;
            }
            if (back[u] != 0) {
                size_t j = back[u] - 1;
                if (du >= b->dist[j]) {
                    continue;
                }
                b->dist[j] = du; /* a lighter way to u */
                b->via[j] = in[i];
                if (deque_push(&queue, j, weight == 0) < 0) {
                    goto done;
                }
                continue;
            }
            if (backward_push(b, u, &in[i], du) < 0 ||
                deque_push(&queue, b->norder - 1, weight == 0) < 0)
            {
                goto done;
            }
            back[u] = (uint32_t)b->norder;
        }
    }
    status = 0;
done:
    PyMem_RawFree(queue.items);
    return status;
}

static void
backward_reset(backward_t *b, uint32_t *back)
{
    for (size_t k = 0; k < b->norder; k++) {
        back[b->order[k]] = 0;
    }
    PyMem_RawFree(b->order);
    PyMem_RawFree(b->via);
    PyMem_RawFree(b->dist);
    memset(b, 0, sizeof(*b));
}

/* Hops from order[0] out to order[k], following the search's links. */
static int
hops_to(const backward_t *b, const uint32_t *back, size_t k, path_t *p,
        size_t *cap)
{
    /* collect k's chain back to the start, then emit it start-first */
    size_t depth = 0;
    for (size_t j = k; j != 0; j = back[b->via[j].dst] - 1) {
        depth++;
    }
    size_t *chain = PyMem_RawMalloc((depth + 1) * sizeof(size_t));
    if (chain == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t n = 0;
    for (size_t j = k; j != 0; j = back[b->via[j].dst] - 1) {
        chain[n++] = j;
    }
    for (size_t i = n; i-- > 0;) {
        const in_edge_t *e = &b->via[chain[i]];
        if (push_hop(p, cap, e->dst, e->src, e->pos) < 0) {
            PyMem_RawFree(chain);
            return -1;
        }
    }
    PyMem_RawFree(chain);
    return 0;
}

static int
has_legacy_finalizer(const search_t *s, const backward_t *b)
{
    for (size_t k = 0; k < b->norder; k++) {
        if (Py_TYPE(s->heap.objs[b->order[k]])->tp_del != NULL) {
            return 1;
        }
    }
    return 0;
}

static int
explain_unreached(search_t *s, target_t *t, const in_edge_t *in, size_t nin,
                  uint32_t *back)
{
    heap_t *h = &s->heap;
    backward_t b = {0};
    path_t p;
    size_t cap = 0;
    size_t closing;
    memset(&p, 0, sizeof(p));
    int limited = s->depth_truncated;
    uint32_t max_levels = limited ? s->max_depth : UINT32_MAX;
    if (backward_search(s, in, nin, t->node, max_levels, !limited, back, &b,
                        &closing) < 0)
    {
        goto error;
    }
    if (s->search_timed_out) {
        t->status = ST_TIMEOUT;
        backward_reset(&b, back);
        return 0;
    }
    if (limited) {
        /* the nearest retainers, out to max_depth */
        t->status = ST_DEPTH_LIMIT;
        size_t deepest = 0;
        for (size_t k = 1; k < b.norder; k++) {
            if (b.dist[k] > b.dist[deepest]) {
                deepest = k;
            }
        }
        if (deepest > 0 && hops_to(&b, back, deepest, &p, &cap) < 0) {
            goto error;
        }
        p.root = PR_UNREACHED;
        p.limit = s->max_depth;
    }
    else if (closing != SIZE_MAX) {
        /* t lies on a cycle: t <- ... <- order[closing] <- t */
        in_edge_t close = b.via[0];
        if (hops_to(&b, back, closing, &p, &cap) < 0 ||
            push_hop(&p, &cap, close.dst, close.src, close.pos) < 0)
        {
            goto error;
        }
        p.root = PR_GARBAGE;
    }
    else {
        /* t hangs off garbage, or off excluded holders only: look for
         * the nearest node that lies on a cycle */
        size_t found = SIZE_MAX, tries = 0;
        backward_t inner = {0};
        in_edge_t inner_close;
        memset(&inner_close, 0, sizeof(inner_close));
        uint32_t *back2 = PyMem_RawCalloc(h->count + 1, sizeof(uint32_t));
        uint64_t *nearest = PyMem_RawMalloc((b.norder + 1) * sizeof(uint64_t));
        if (back2 == NULL || nearest == NULL) {
            PyMem_RawFree(back2);
            PyMem_RawFree(nearest);
            PyErr_NoMemory();
            goto error;
        }
        /* nearest first: (distance, index) */
        for (size_t k = 1; k < b.norder; k++) {
            nearest[k - 1] = ((uint64_t)b.dist[k] << 32) | (uint64_t)k;
        }
        qsort(nearest, b.norder > 0 ? b.norder - 1 : 0, sizeof(uint64_t),
              compare_u64_keys);
        for (size_t q = 0; q + 1 < b.norder && tries < 64; q++, tries++) {
            size_t k = (size_t)(nearest[q] & 0xFFFFFFFFu);
            size_t c2;
            if (backward_search(s, in, nin, b.order[k], UINT32_MAX, 1, back2,
                                &inner, &c2) < 0)
            {
                PyMem_RawFree(back2);
                PyMem_RawFree(nearest);
                goto error;
            }
            if (s->search_timed_out) {
                backward_reset(&inner, back2);
                break;
            }
            if (c2 != SIZE_MAX) {
                found = k;
                inner_close = inner.via[0];
                /* the cycle through order[k], after the chain to it */
                if (hops_to(&b, back, k, &p, &cap) < 0 ||
                    hops_to(&inner, back2, c2, &p, &cap) < 0 ||
                    push_hop(&p, &cap, inner_close.dst, inner_close.src,
                             inner_close.pos) < 0)
                {
                    backward_reset(&inner, back2);
                    PyMem_RawFree(back2);
                    PyMem_RawFree(nearest);
                    goto error;
                }
                backward_reset(&inner, back2);
                break;
            }
            backward_reset(&inner, back2);
        }
        PyMem_RawFree(back2);
        PyMem_RawFree(nearest);
        if (s->search_timed_out) {
            path_clear(&p);
            t->status = ST_TIMEOUT;
            backward_reset(&b, back);
            return 0;
        }
        if (found != SIZE_MAX) {
            p.root = PR_GARBAGE;
        }
        else {
            if (b.norder > 1 && hops_to(&b, back, b.norder - 1, &p, &cap) < 0) {
                goto error;
            }
            p.root = PR_EXCLUDED;
        }
    }
    if (p.root == PR_GARBAGE) {
        p.collectable = !has_legacy_finalizer(s, &b);
        t->status = p.collectable ? ST_GARBAGE : ST_UNCOLLECTABLE;
    }
    else if (p.root == PR_EXCLUDED) {
        t->status = ST_UNREFERENCED;
    }
    p.length = suffix_length(s, &p, p.nhops);
    backward_reset(&b, back);
    size_t paths_cap = 0;
    if (add_path(t, &p, &paths_cap) < 0) {
        path_clear(&p);
        return -1;
    }
    return 0;
error:
    backward_reset(&b, back);
    path_clear(&p);
    return -1;
}

static int
analyse_unreached(search_t *s)
{
    heap_t *h = &s->heap;
    int timed_out = s->traverse_status == 1 || s->search_timed_out;
    size_t pending = 0;
    for (size_t i = 0; i < s->ntargets; i++) {
        target_t *t = &s->targets[i];
        if (t->npaths > 0) {
            int rooted = 0;
            for (uint32_t p = 0; p < t->npaths; p++) {
                rooted |= t->paths[p].root <= PR_INTERP;
            }
            t->status = rooted ? ST_ROOTED : ST_EXTERNAL;
        }
        else if (timed_out) {
            t->status = ST_TIMEOUT;
        }
        else {
            pending++;
        }
    }
    if (pending == 0) {
        return 0;
    }
    /* in-edges among the nodes no search reached */
    deadline_enter(&s->deadline, PHASE_TRACING_BACK);
    for (size_t n = 0; n < h->count; n++) {
        if (dist_of(s, n) == DIST_NONE && !(h->flags[n] & NODE_EXCLUDED)) {
            h->flags[n] |= NODE_VISITED;
        }
    }
    size_t nin = 0;
    in_edge_t *in = gather_in_edges(s, &nin);
    for (size_t n = 0; n < h->count; n++) {
        h->flags[n] &= (uint8_t)~NODE_VISITED;
    }
    uint32_t *back = in ? PyMem_RawCalloc(h->count + 1, sizeof(uint32_t)) : NULL;
    if (back == NULL) {
        PyMem_RawFree(in);
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return -1;
    }
    /* a timed-out gathering leaves every pending target ST_TIMEOUT:
     * backward_search stops at once */
    int status = 0;
    for (size_t i = 0; i < s->ntargets && status == 0; i++) {
        target_t *t = &s->targets[i];
        s->deadline.done = i;
        if (t->npaths == 0 && t->status != ST_TIMEOUT) {
            status = explain_unreached(s, t, in, nin, back);
        }
    }
    PyMem_RawFree(back);
    PyMem_RawFree(in);
    return status;
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
    s->t_indexed = compat_monotonic();
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
    s->t_searched = compat_monotonic();
    return 0;
}

PyObject *
paths_explain(const query_t *q)
{
    search_t s;
    memset(&s, 0, sizeof(s));
    s.q = q;
    s.t_start = compat_monotonic();
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
