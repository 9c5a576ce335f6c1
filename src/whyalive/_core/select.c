/* select.c: stage 3 of an explain query, choosing the paths shown.
 *
 * The rule is choose.c's (per target, the shortest path through each
 * distinct retainer, then paths branching off those further out, up to
 * max_paths); here the live heap is its graph, and each round gathers
 * the in-edges it needs in one scan for every target at once.  Also the
 * in-edges (references gathered by referent) that unreached.c traces
 * back along.
 */
#include "search.h"
#include "array.h"
#include "choose.h"

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
in_edge_t *
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

size_t
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

/* ------------------------------------------------------------------ */
/* The live heap as choose.h's graph                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    search_t *s;
    uint32_t *seed_rank; /* per root reference: its place in the search */
} live_graph_t;

static uint32_t
live_dist(void *ctx, node_t u)
{
    return dist_of(((live_graph_t *)ctx)->s, u);
}

static uint8_t
live_origin(void *ctx, node_t u)
{
    return origin_of(((live_graph_t *)ctx)->s, u);
}

static uint32_t
live_weight(void *ctx, uint64_t pos)
{
    heap_t *h = &((live_graph_t *)ctx)->s->heap;
    return edge_weight(h, h->edges[pos]);
}

static int
live_reached(void *ctx, node_t u, uint32_t *link, uint64_t *pos,
             node_t *holder)
{
    search_t *s = ((live_graph_t *)ctx)->s;
    if (is_seed(s, u)) {
        *link = s->reached_by[u];
        return 1;
    }
    *pos = s->reached_by[u];
    *holder = heap_row_of(&s->heap, *pos);
    return 0;
}

static uint64_t
live_seen(void *ctx, node_t u)
{
    return heap_seen(&((live_graph_t *)ctx)->s->heap, u);
}

static int
live_is_cell(void *ctx, node_t u)
{
    return (((live_graph_t *)ctx)->s->heap.flags[u] & NODE_CELL) != 0;
}

static int
live_is_module_dict(void *ctx, node_t u)
{
    return (((live_graph_t *)ctx)->s->heap.flags[u] & NODE_MODULE_DICT) != 0;
}

static const uint32_t *
live_root_refs(void *ctx, node_t u, size_t *count)
{
    roots_t *r = &((live_graph_t *)ctx)->s->roots;
    size_t first = roots_refs_of(r, u, count);
    return *count ? &r->by_node[first] : NULL;
}

/* The order of a root reference is its place in the search (roots.h's
 * seed_order), which a snapshot keeps too. */
static int
live_root_ref(void *ctx, uint32_t i, uint8_t *kind, uint32_t *order)
{
    live_graph_t *g = ctx;
    root_ref_t *ref = &g->s->roots.refs[i];
    *kind = (uint8_t)root_ref_path_kind(ref);
    *order = g->seed_rank[i];
    return ref->root;
}

/* After a timeout the counts are incomplete: say nothing of outsiders. */
static int
live_held_outside(void *ctx, node_t u)
{
    search_t *s = ((live_graph_t *)ctx)->s;
    return s->traverse_status == 0 && unseen_refs(s, u) > 0;
}

static int
live_module_of(void *ctx, node_t u, uint32_t *module)
{
    search_t *s = ((live_graph_t *)ctx)->s;
    roots_t *r = &s->roots;
    if (!(s->heap.flags[u] & NODE_MODULE_DICT) || is_excluded(s, u)) {
        return 0;
    }
    for (size_t m = 0; m < r->nmodules; m++) {
        if (r->modules[m].dict == u && !r->modules[m].excluded) {
            *module = (uint32_t)m;
            return 1;
        }
    }
    return 0;
}

/* The first-hop label of a candidate, for the tie-break by label. */
static PyObject *
live_label(void *ctx, const candidate_t *c)
{
    search_t *s = ((live_graph_t *)ctx)->s;
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
            return names_exact_str(ref->name);
        }
    }
    return PyUnicode_FromString("");
}

static void
live_mark(void *ctx, node_t u, int on)
{
    heap_t *h = &((live_graph_t *)ctx)->s->heap;
    if (on) {
        h->flags[u] |= NODE_VISITED;
    }
    else {
        h->flags[u] &= (uint8_t)~NODE_VISITED;
    }
}

static int
live_marked(void *ctx, node_t u)
{
    return (((live_graph_t *)ctx)->s->heap.flags[u] & NODE_VISITED) != 0;
}

static void
want_node(void *arg, node_t x)
{
    ((heap_t *)arg)->flags[x] |= NODE_VISITED;
}

int
select_paths(search_t *s)
{
    heap_t *h = &s->heap;
    roots_t *r = &s->roots;
    uint32_t max_paths = (uint32_t)s->q->max_paths;
    size_t *paths_caps = PyMem_RawCalloc(s->ntargets + 1, sizeof(size_t));
    uint32_t *seed_rank =
        PyMem_RawCalloc(r->nrefs ? r->nrefs : 1, sizeof(uint32_t));
    candidates_t list = {NULL, 0, 0};
    in_edge_t *in = NULL;
    int status = -1;
    if (paths_caps == NULL || seed_rank == NULL) {
        PyMem_RawFree(paths_caps);
        PyMem_RawFree(seed_rank);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < r->nseeds; i++) {
        seed_rank[r->seed_order[i]] = (uint32_t)i;
    }
    live_graph_t live = {s, seed_rank};
    const choice_graph_t g = {
        &live,        live_dist,           live_origin,    live_weight,
        live_reached, live_seen,           live_is_cell,   live_is_module_dict,
        live_root_refs, live_root_ref,     live_held_outside, live_module_of,
        live_label,   live_mark,           live_marked,
    };
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
            interesting += choose_branch_points(&g, t, want_node, h);
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
            uint32_t chosen;
            s->deadline.done = i;
            if (deadline_passed(&s->deadline)) {
                s->search_timed_out = 1;
                break; /* the targets left keep the paths they have */
            }
            if (round == 0) {
                if (choose_first(&g, t, in, nin, max_paths, &list,
                                 &paths_caps[i], &chosen) < 0)
                {
                    goto done;
                }
            }
            else if (t->npaths == 0 || t->npaths >= max_paths) {
                continue;
            }
            else if (choose_branches(&g, t, in, nin, max_paths - t->npaths,
                                     &list, &paths_caps[i], &chosen) < 0)
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
    PyMem_RawFree(list.items);
    PyMem_RawFree(paths_caps);
    PyMem_RawFree(seed_rank);
    return status;
}
