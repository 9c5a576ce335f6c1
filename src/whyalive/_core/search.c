/* search.c: stage 2 of an explain query, the search from the roots.
 *
 * A 0-1 breadth-first search from module dicts (distance 0) and frame,
 * thread and interpreter references (distance 1) gives every node its
 * distance to the nearest root and the reference it was reached by
 * (search_t.dist, reached_by); a second search starts from the objects
 * held from outside the graph.  Folded references weigh 0.
 */
#include "search.h"
#include "array.h"

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
                node_t u = (node_t)(i * 64 + platform_lowest_bit(word));
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

int
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
int
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
