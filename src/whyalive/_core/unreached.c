/* unreached.c: stage 4 of an explain query, the targets no root reaches.
 *
 * Traced backwards along the in-edges (select.c): cyclic garbage
 * (collectable or not), held only by excluded objects or whyalive's own
 * call, or beyond max_depth.
 */
#include "search.h"
#include "array.h"

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
              compare_u64);
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

int
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
