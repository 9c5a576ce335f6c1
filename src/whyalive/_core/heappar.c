/* heappar.c: a traversal round spread over worker threads.
 *
 * A round is the nodes [h->traversed, end) known when it begins, cut in
 * chunks of HEAPPAR_CHUNK nodes.  Worker threads (POSIX threads made for
 * the round and joined before it returns; the calling thread is one of
 * them) take chunks in turn and record each node's references in the
 * chunk's own buffers: the referent's node number when it already has
 * one, else the referent itself (EDGE_PENDING), which the merge numbers.
 * They write nothing shared: no GC header, no count, no flag, no table;
 * every other thread only reads what the round does not change.
 *
 * Then the calling thread merges the chunks in node order, as one thread
 * would have traversed them: rows are copied, pending referents get their
 * numbers in the order one thread would have met them, references into
 * targets are kept, those to nodes without a GC header counted (h->seen).
 * Last the threads count the references to GC nodes in the header words,
 * each the referents of its own range of node numbers.  A node a worker may not traverse (its
 * type's tp_traverse is not one of the few known below, a node without a
 * GC header, a type nogc.h knows), a node whose traversal met a type with
 * its own tp_is_gc, and a node a worker did not reach (time limit, memory)
 * is traversed there by the calling thread, in its place.  So the graph,
 * its numbering, its counts and every report are those of one thread,
 * whatever the number of threads (tests/api/test_threads.py).
 *
 * Why the workers are safe is in docs/DESIGN.md ("Threads").  Built only
 * where POSIX threads exist and the build has a GIL; elsewhere a round is
 * traversed by the calling thread.
 */
#include "heap_internal.h"

#include <stdlib.h>

#if !defined(Py_GIL_DISABLED) && !defined(_WIN32) && \
    (defined(__unix__) || defined(__APPLE__))
#define HEAPPAR_THREADS 1
#include <pthread.h>
#include <signal.h>
#endif

/* The round's traversal on the calling thread alone. */
static int
round_here(heap_t *h, size_t end)
{
    int status = 0;
    for (size_t n = h->traversed; n < end && status == 0; n++) {
        status = heap_traverse_one(h, (node_t)n);
    }
    return status;
}

#ifndef HEAPPAR_THREADS

int
heappar_safe_traverse(PyTypeObject *tp)
{
    (void)tp;
    return 0;
}

int
heappar_init(void)
{
    return 0;
}

int
heappar_round(heap_t *h, size_t end)
{
    return round_here(h, end);
}

#else

#define HEAPPAR_MAX_THREADS 64
#define ROW_MAIN UINT32_MAX       /* the calling thread traverses it */
#define EDGE_PENDING 0x3FFFFFFFu  /* the referent is in chunk->pending */

/* The traverse functions a worker may call: CPython's own, for the
 * types most objects are, which read the object and call visit, nothing
 * else (the list is argued in docs/DESIGN.md).  Set once, by the
 * calling thread, before any worker starts (heappar_init). */
static traverseproc safe_traverse[10];
static int nsafe_traverse;
static traverseproc subtype_traverse_fn; /* a class statement's */

static int
is_safe_function(traverseproc f)
{
    for (int i = 0; i < nsafe_traverse; i++) {
        if (safe_traverse[i] == f) {
            return 1;
        }
    }
    return 0;
}

int
heappar_safe_traverse(PyTypeObject *tp)
{
    if (subtype_traverse_fn == NULL || tp->tp_traverse == NULL) {
        return 0;
    }
    /* a class's traversal ends in its first base of another kind */
    PyTypeObject *base = tp;
    while (base != NULL && base->tp_traverse == subtype_traverse_fn) {
        base = base->tp_base;
    }
    return base == NULL || base->tp_traverse == NULL ||
           is_safe_function(base->tp_traverse);
}

int
heappar_init(void)
{
    if (subtype_traverse_fn != NULL) {
        return 0;
    }
    PyTypeObject *types[] = {
        &PyDict_Type,     &PyList_Type,      &PyTuple_Type,
        &PySet_Type,      &PyFrozenSet_Type, &PyFunction_Type,
        &PyCell_Type,     &PyMethod_Type,
    };
    nsafe_traverse = 0;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (types[i]->tp_traverse != NULL) {
            safe_traverse[nsafe_traverse++] = types[i]->tp_traverse;
        }
    }
    /* subtype_traverse is static in CPython: a plain class has it */
    PyObject *cls = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O){}",
                                          "_whyalive_probe",
                                          (PyObject *)&PyBaseObject_Type);
    if (cls == NULL) {
        return -1;
    }
    subtype_traverse_fn = ((PyTypeObject *)cls)->tp_traverse;
    Py_DECREF(cls);
    return 0;
}

typedef struct {
    size_t first, end; /* its nodes */
    size_t done_upto;  /* nodes [first, done_upto) have rows */
    uint32_t *rows;    /* per node: its references, or ROW_MAIN */
    uint32_t *edges;   /* as h->edges, or EDGE_PENDING (| EDGE_FOLD) */
    size_t nedges, edges_capacity;
    PyObject **pending; /* the referents of EDGE_PENDING, in order */
    size_t npending, pending_capacity;
    /* positions in edges, in order, of the references the merge must
     * look at: pending, into a target, or to a node without a GC header
     * (counted in h->seen); the others are copied as they are and
     * counted by count_references() */
    uint32_t *special;
    size_t nspecial, special_capacity;
} chunk_t;

typedef struct {
    heap_t *h;         /* read only while workers run */
    chunk_t *chunks;
    size_t nchunks;
    size_t next;       /* the next chunk to take (atomic) */
    int stop;          /* the time ran out (atomic) */
    double limit;      /* platform_monotonic() to stop at; 0: none */
} round_t;

typedef struct {
    visit_ctx base; /* its folds, its node */
    round_t *r;
    chunk_t *c;
    unsigned int ticks;
    int bail;    /* leave this node to the calling thread */
    int failed;  /* out of memory */
    int stopped; /* the time ran out */
    int calling; /* the calling thread: it keeps the deadline */
    heap_type_slot cache[1024];
} worker_t;

static int
should_stop(round_t *r)
{
    if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        return 1;
    }
    if (r->limit > 0 && platform_monotonic() >= r->limit) {
        __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
        return 1;
    }
    return 0;
}

/* Memory from the C library: PyMem_Raw* may call tracemalloc's hooks,
 * which take the GIL. */
static int
grow(void **array, size_t *capacity, size_t need, size_t item)
{
    if (need <= *capacity) {
        return 0;
    }
    size_t capacity2 = *capacity ? *capacity * 2 : 1024;
    while (capacity2 < need) {
        capacity2 *= 2;
    }
    void *bigger = realloc(*array, capacity2 * item);
    if (bigger == NULL) {
        return -1;
    }
    *array = bigger;
    *capacity = capacity2;
    return 0;
}

/* visit_reference's twin, writing only the chunk's buffers. */
static int
par_visit(PyObject *op, void *arg)
{
    worker_t *w = (worker_t *)arg;
    const heap_t *h = w->r->h;
    chunk_t *c = w->c;
    if (op == NULL) {
        return 0;
    }
    if ((++w->ticks & 1023u) == 0 && should_stop(w->r)) {
        w->stopped = 1;
        return -1;
    }
    PyTypeObject *tp = Py_TYPE(op);
    int gc = 0;
    if (PyType_IS_GC(tp)) {
        if (tp->tp_is_gc == NULL) {
            gc = 1;
        }
        else if (tp->tp_is_gc == PyType_Type.tp_is_gc) {
            gc = tp->tp_is_gc(op); /* reads the type's flags */
        }
        else {
            w->bail = 1; /* someone else's code: not on this thread */
            return -1;
        }
    }
    node_t n;
    uint32_t edge;
    if (gc) {
        n = header_node(*compat_gc_prev_word(op));
        if (n == NODE_NONE && object_is_freed(op)) {
            return 0;
        }
        node_t shown = n == NODE_NONE ? EDGE_PENDING : n;
        edge = tp == &PyCell_Type ? shown | EDGE_FOLD
                                  : fold_edge(&w->base, op, shown);
    }
    else {
        if (!heap_maybe_side_node(h, op, tp)) {
            return 0;
        }
        n = heap_side_find(h, op);
        if (n == NODE_NONE &&
            (object_is_freed(op) || !heap_is_holder(h, op)))
        {
            return 0;
        }
        edge = fold_edge(&w->base, op, n == NODE_NONE ? EDGE_PENDING : n);
    }
    /* a known GC node's target bit is in its header (heap.c) */
    int special = n == NODE_NONE || !gc ||
                  (*compat_gc_prev_word(op) & HEADER_TARGET) != 0;
    if (n == NODE_NONE) {
        if (grow((void **)&c->pending, &c->pending_capacity, c->npending + 1,
                 sizeof(*c->pending)) < 0)
        {
            w->failed = 1;
            return -1;
        }
        c->pending[c->npending++] = op;
    }
    if (grow((void **)&c->edges, &c->edges_capacity, c->nedges + 1,
             sizeof(*c->edges)) < 0 ||
        (special && grow((void **)&c->special, &c->special_capacity,
                         c->nspecial + 1, sizeof(*c->special)) < 0))
    {
        w->failed = 1;
        return -1;
    }
    if (special) {
        c->special[c->nspecial++] = (uint32_t)c->nedges;
    }
    c->edges[c->nedges++] = edge;
    return 0;
}

static void
run_chunk(worker_t *w, chunk_t *c)
{
    heap_t *h = w->r->h;
    c->rows = malloc((c->end - c->first) * sizeof(*c->rows));
    if (c->rows == NULL) {
        return; /* the calling thread traverses them all */
    }
    w->c = c;
    for (size_t n = c->first; n < c->end; n++) {
        if (should_stop(w->r)) {
            return;
        }
        PyObject *op = h->objs[n];
        uint32_t kind = heap_type_class(h, w->cache, op);
        uint32_t *row = &c->rows[n - c->first];
        if ((h->flags[n] & NODE_SIDE) || !(kind & TC_PAR_SAFE) ||
            (kind & TC_NOGC))
        {
            *row = ROW_MAIN;
            c->done_upto = n + 1;
            continue;
        }
        w->base.src = (node_t)n;
        w->base.nfold = 0;
        w->bail = w->stopped = 0;
        if (kind & (TC_DICT_OWNER | TC_FUNCTION | TC_EXCEPTION | TC_CODE |
                    TC_GENERATOR | TC_PARTIAL))
        {
            heap_collect_folds(h, op, kind, &w->base);
        }
        size_t edges_mark = c->nedges, pending_mark = c->npending;
        size_t special_mark = c->nspecial;
        (void)Py_TYPE(op)->tp_traverse(op, par_visit, w);
        if (w->failed || w->stopped || w->bail) {
            c->nedges = edges_mark;
            c->npending = pending_mark;
            c->nspecial = special_mark;
            if (!w->bail) {
                return;
            }
            *row = ROW_MAIN;
        }
        else {
            *row = (uint32_t)(c->nedges - edges_mark);
        }
        c->done_upto = n + 1;
    }
}

static void
work(worker_t *w)
{
    int calling_thread = w->calling;
    round_t *r = w->r;
    deadline_t *d = r->h->deadline;
    while (!w->failed) {
        size_t k = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
        if (k >= r->nchunks) {
            break;
        }
        if (calling_thread) {
            /* progress and the time limit, as one thread keeps them */
            d->done = r->chunks[k].first;
            if (deadline_passed(d)) {
                __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
            }
        }
        if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
            continue; /* its nodes go to the calling thread's merge */
        }
        run_chunk(w, &r->chunks[k]);
    }
}

static void *
worker_main(void *arg)
{
    work((worker_t *)arg);
    return NULL;
}

static void
chunk_free_edges(chunk_t *c)
{
    free(c->edges);
    free(c->pending);
    free(c->special);
    c->edges = c->special = NULL;
    c->pending = NULL;
}

/* A pending referent's node, numbered now if it has none. */
static node_t
resolve(heap_t *h, PyObject *op)
{
    if (compat_is_gc(op)) {
        uintptr_t *word = compat_gc_prev_word(op);
        node_t n = header_node(*word);
        return n != NODE_NONE ? n : heap_add_gc_node(h, op, word);
    }
    node_t n = heap_side_find(h, op);
    return n != NODE_NONE ? n : heap_add_side_node(h, op);
}

/* The chunks' rows appended in node order, as heap_traverse_one()
 * would append them; the nodes without a row traversed here.  The
 * references to GC nodes in the rows copied are counted after, by
 * count_references(). */
static int
merge(heap_t *h, round_t *r)
{
    for (size_t k = 0; k < r->nchunks; k++) {
        chunk_t *c = &r->chunks[k];
        size_t e = 0, p = 0, sp = 0;
        for (size_t n = c->first; n < c->end; n++) {
            uint32_t count = n < c->done_upto ? c->rows[n - c->first]
                                              : ROW_MAIN;
            int status;
            if (count == ROW_MAIN) {
                if ((status = heap_traverse_one(h, (node_t)n)) != 0) {
                    return status;
                }
                continue;
            }
            h->deadline->done = n;
            if (deadline_passed(h->deadline)) {
                return 1;
            }
            uint64_t start = h->nedges;
            h->edge_start[n] = (uint32_t)start;
            if (Py_TYPE(h->objs[n]) == &PyCell_Type) {
                h->flags[n] |= NODE_CELL;
            }
            while (start + count > h->edges_capacity) {
                if (heap_grow_edges(h) < 0) {
                    return -1;
                }
            }
            if (count > 0) { /* a chunk with no references has no buffer */
                memcpy(h->edges + start, c->edges + e, count * sizeof(*h->edges));
            }
            for (; sp < c->nspecial && c->special[sp] < e + count; sp++) {
                uint64_t at = start + (c->special[sp] - e);
                uint32_t edge = h->edges[at];
                node_t m = EDGE_NODE(edge);
                if (m == EDGE_PENDING) {
                    if ((m = resolve(h, c->pending[p++])) == NODE_NONE) {
                        return -1;
                    }
                    h->edges[at] = (edge & EDGE_FOLD) | m;
                }
                /* kept as heap.c keeps it: at its position */
                h->nedges = at;
                if ((h->flags[m] & NODE_TARGET) &&
                    heap_record_target_reference(h, m, (node_t)n) < 0)
                {
                    return -1;
                }
                if ((h->flags[m] & NODE_SIDE) && heap_seen_add_one(h, m) < 0) {
                    return -1;
                }
            }
            h->nedges = start + count;
            e += count;
            h->traversed = n + 1;
        }
        chunk_free_edges(c); /* merged: its memory can hold the next rows */
    }
    return 0;
}

/* Counts the references of the rows the workers made to GC nodes in
 * h->par_seen, which restore_headers() adds to the header words' counts:
 * each thread the referents of one range of node numbers, so no count
 * has two writers. */
typedef struct {
    heap_t *h;
    round_t *r;
    size_t lo, hi; /* its referents */
} counter_t;

static void
count_references(counter_t *k)
{
    heap_t *h = k->h;
    for (size_t i = 0; i < k->r->nchunks; i++) {
        chunk_t *c = &k->r->chunks[i];
        for (size_t n = c->first; n < c->done_upto && n < h->traversed; n++) {
            uint32_t count = c->rows[n - c->first];
            if (count == ROW_MAIN) {
                continue; /* counted as it was traversed */
            }
            const uint32_t *row = h->edges + h->edge_start[n];
            for (uint32_t j = 0; j < count; j++) {
                node_t m = EDGE_NODE(row[j]);
                if (m >= k->lo && m < k->hi && !(h->flags[m] & NODE_SIDE)) {
                    h->par_seen[m]++; /* < 2**32: so are all references */
                }
            }
        }
    }
}

/* h->par_seen for every node, the new ones at 0.  -1 with MemoryError
 * set. */
static int
par_seen_grow(heap_t *h)
{
    size_t old = h->par_seen_capacity;
    if (h->count <= old) {
        return 0;
    }
    uint32_t *seen = PyMem_RawRealloc(h->par_seen, h->count * sizeof(*seen));
    if (seen == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(seen + old, 0, (h->count - old) * sizeof(*seen));
    h->par_seen = seen;
    h->par_seen_capacity = h->count;
    return 0;
}

static void *
counter_main(void *arg)
{
    count_references((counter_t *)arg);
    return NULL;
}

/* Runs fn on n threads, the calling one included (args[0]), and joins
 * them; a part whose thread cannot be made runs on the caller.  Workers
 * take no signal: the calling thread's handlers see them, as before. */
static void
run_threads(size_t n, void *(*fn)(void *), void *args, size_t size)
{
    pthread_t ids[HEAPPAR_MAX_THREADS];
    int made[HEAPPAR_MAX_THREADS];
    sigset_t all, old;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    for (size_t i = 1; i < n; i++) {
        made[i] = pthread_create(&ids[i], NULL, fn, (char *)args + i * size) == 0;
    }
    if (masked) {
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    (void)fn(args);
    for (size_t i = 1; i < n; i++) {
        if (made[i]) {
            (void)pthread_join(ids[i], NULL);
        }
        else {
            (void)fn((char *)args + i * size);
        }
    }
}

int
heappar_round(heap_t *h, size_t end)
{
    size_t first = h->traversed;
    size_t nchunks = (end - first + HEAPPAR_CHUNK - 1) / HEAPPAR_CHUNK;
    size_t nthreads = (size_t)h->threads;
    if (nthreads > HEAPPAR_MAX_THREADS) {
        nthreads = HEAPPAR_MAX_THREADS;
    }
    if (nthreads > nchunks) {
        nthreads = nchunks;
    }
    if (subtype_traverse_fn == NULL || nthreads < 2 || h->deadline->expired) {
        return round_here(h, end);
    }
    round_t r;
    memset(&r, 0, sizeof(r));
    r.h = h;
    r.nchunks = nchunks;
    r.chunks = calloc(nchunks, sizeof(*r.chunks));
    worker_t *workers = calloc(nthreads, sizeof(*workers));
    if (r.chunks == NULL || workers == NULL) {
        free(r.chunks);
        free(workers);
        return round_here(h, end);
    }
    for (size_t k = 0; k < nchunks; k++) {
        r.chunks[k].first = r.chunks[k].done_upto = first + k * HEAPPAR_CHUNK;
        r.chunks[k].end = k + 1 < nchunks ? first + (k + 1) * HEAPPAR_CHUNK
                                          : end;
    }
    deadline_t *d = h->deadline;
    if (d->deadline > 0) {
        r.limit = d->deadline - d->reserve;
    }
    for (size_t i = 0; i < nthreads; i++) {
        workers[i].r = &r;
    }
    workers[0].calling = 1;
    run_threads(nthreads, worker_main, workers, sizeof(*workers));
    int status = merge(h, &r);
    if (status == 0 && par_seen_grow(h) < 0) {
        status = -1;
    }
    if (status == 0) {
        /* a stopped walk keeps no counts (heap.c): only a finished one */
        counter_t counters[HEAPPAR_MAX_THREADS];
        size_t step = (h->count + nthreads - 1) / nthreads;
        for (size_t i = 0; i < nthreads; i++) {
            counters[i].h = h;
            counters[i].r = &r;
            counters[i].lo = i * step;
            counters[i].hi = i + 1 < nthreads ? (i + 1) * step : h->count;
        }
        run_threads(nthreads, counter_main, counters, sizeof(*counters));
    }
    for (size_t k = 0; k < nchunks; k++) {
        chunk_free_edges(&r.chunks[k]); /* those a stop left unmerged */
        free(r.chunks[k].rows);
    }
    free(r.chunks);
    free(workers);
    return status;
}

#endif /* HEAPPAR_THREADS */
