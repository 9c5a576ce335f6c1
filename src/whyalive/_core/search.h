/* search.h: the state of one explain query, shared by its stages:
 * paths.c (the pipeline, targets), search.c, select.c, unreached.c and
 * result.c (the plain-data result).  Private to the C core. */
#ifndef WHYALIVE_SEARCH_H
#define WHYALIVE_SEARCH_H

#include "array.h"
#include "names.h"
#include "paths.h"
#include "roots.h"

/* A link to the retainer: a node, or a tag saying where the path
 * starts. */
#define TAG_MASK (3u << 30)
#define TAG_NODE 0u
#define TAG_ROOT (1u << 30)     /* | index in roots.refs */
#define TAG_EXTERNAL (2u << 30) /* held from outside the graph */
#define TAG_SOURCE (3u << 30)   /* | index in roots.modules */
#define TAG_VALUE(p) ((p) & ~TAG_MASK)
#define NO_INDEX UINT32_MAX

/* search_t.dist holds, per node, its distance from the roots in the
 * low DIST_BITS and, above them, where it was reached from: the enum
 * path_root of its root, | ORIGIN_SEED for a node a search started at.
 * One word per node instead of two arrays: the search touches less
 * memory.  Paths longer than DIST_MAX count as beyond max_depth. */
#define DIST_BITS 28
#define DIST_MASK ((1u << DIST_BITS) - 1)
#define DIST_NONE DIST_MASK /* not reached */
#define DIST_MAX (DIST_MASK - 1)
#define ORIGIN_SEED 0x8u
#define ORIGIN_BITS(origin) ((uint32_t)(origin) << DIST_BITS)

enum target_status {
    ST_ROOTED = 0,    /* reached from a module, frame, thread or the
                         interpreter */
    ST_EXTERNAL,      /* only from references outside the graph */
    ST_GARBAGE,       /* cyclic garbage: gc.collect() frees it */
    ST_UNCOLLECTABLE, /* cyclic garbage with a legacy finalizer */
    ST_UNREFERENCED,  /* only whyalive's call and excluded objects */
    ST_DEPTH_LIMIT,   /* no root within max_depth */
    ST_TIMEOUT,       /* the time ran out first */
    ST_COUNT
};

/* Their names in a result (Root.kind, Target.status; result.c):
 * whyalive/vocab.py spells the same, and a test holds them equal. */
extern const char *const status_names[ST_COUNT];

typedef struct {
    node_t referent;
    node_t referrer;
    uint64_t edge_pos; /* of referrer -> referent in the CSR */
} hop_t;

typedef struct {
    hop_t *hops; /* from the target outward */
    uint32_t nhops;
    uint8_t root; /* enum path_root */
    uint32_t root_index;
    uint32_t length;
    uint8_t collectable;
    uint32_t limit;
} path_t;

typedef struct {
    node_t node;
    uint8_t cut; /* the time ran out before its paths were built */
    uint8_t status;
    uint8_t explicit; /* passed by the caller, not found as an instance */
    path_t *paths;
    uint32_t npaths;
    uint32_t omitted; /* retainers of the target not shown */
    uint32_t *used;   /* (node, retainer) pairs already on a path */
    uint32_t nused;
    size_t used_capacity; /* in uint32_t, two per pair */
} target_t;

/* Results shared by many targets, built once: a displayed edge (keyed by
 * the positions of the outermost and innermost references it folds) or
 * a root tuple (keyed by root kind, index and the object it holds). */
typedef struct {
    uint64_t a, b;
    PyObject *value;
} memo_entry_t;

typedef struct {
    memo_entry_t *entries;
    size_t mask, used;
} memo_t;

/* The flat tables of a compact result (result.c), or NULL. */
struct flat;

typedef struct {
    const query_t *q;
    heap_t heap;
    memo_t memo;
    struct flat *flat;
    roots_t roots;
    names_t names;
    deadline_t deadline;
    uint32_t *dist; /* distance and origin, see DIST_BITS */
    /* How a node was reached: the position in heap.edges of the
     * reference the search followed into it (its retainer is the row
     * holding that position), or, for a node the search started from
     * (ORIGIN_SEED), a tagged link to its root.  A position rather than
     * a node: one array instead of two, and the retainer is only looked
     * up for the few nodes a shown path passes through. */
    uint32_t *reached_by;
    target_t *targets;
    size_t ntargets;
    uint32_t max_depth;
    int traverse_status; /* 1: the deadline passed while indexing */
    Py_ssize_t call_slack; /* references the call's C code holds on each
                              explicit target */
    int search_timed_out;
    int depth_truncated;
    double t_start, t_indexed, t_searched;
} search_t;

static inline uint32_t
edge_weight(const heap_t *h, uint32_t edge)
{
    (void)h;
    return (edge & EDGE_FOLD) ? 0 : 1;
}

static inline uint32_t
dist_of(const search_t *s, node_t n)
{
    return s->dist[n] & DIST_MASK;
}

/* The enum path_root of the root n is reached from. */
static inline uint8_t
origin_of(const search_t *s, node_t n)
{
    return (uint8_t)((s->dist[n] >> DIST_BITS) & ~ORIGIN_SEED);
}

static inline int
is_seed(const search_t *s, node_t n)
{
    return (s->dist[n] & ORIGIN_BITS(ORIGIN_SEED)) != 0;
}

static inline int
is_excluded(const search_t *s, node_t n)
{
    return (s->heap.flags[n] & NODE_EXCLUDED) != 0;
}

/* References to n from outside the graph, less those the call into
 * whyalive itself holds on an explicit target; -1: immortal. */
static inline Py_ssize_t
unseen_refs(const search_t *s, node_t n)
{
    Py_ssize_t unseen = heap_unseen_references(&s->heap, n);
    if (unseen > 0 && (s->heap.flags[n] & NODE_EXPLICIT)) {
        unseen = unseen > s->call_slack ? unseen - s->call_slack : 0;
    }
    return unseen;
}

/* The position of the first reference referrer -> referent. */
static inline uint64_t
find_edge(const heap_t *h, node_t referrer, node_t referent)
{
    uint64_t end = heap_row_end(h, referrer);
    for (uint64_t e = heap_row_start(h, referrer); e < end; e++) {
        if (EDGE_NODE(h->edges[e]) == referent) {
            return e;
        }
    }
    return UINT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Shared by the stages                                                */
/* ------------------------------------------------------------------ */

/* A reference, keyed by its referent: the in-edges select.c gathers and
 * unreached.c traces back along. */
typedef struct {
    node_t dst;
    node_t src;
    uint64_t pos;
} in_edge_t;

/* Every reference into a node flagged NODE_VISITED, from a node not
 * excluded, sorted by referent (select.c); NULL with MemoryError. */
in_edge_t *gather_in_edges(search_t *s, size_t *count);
/* The in-edges of n in a sorted list: [return value, *end). */
size_t in_edges_of(const in_edge_t *list, size_t count, node_t n, size_t *end);

static inline int
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

static inline void
path_clear(path_t *p)
{
    PyMem_RawFree(p->hops);
    memset(p, 0, sizeof(*p));
}

static inline int
add_path(target_t *t, path_t *p, size_t *cap)
{
    if (array_grow((void **)&t->paths, cap, t->npaths + 1, sizeof(path_t)) < 0) {
        return -1;
    }
    t->paths[t->npaths++] = *p;
    return 0;
}

/* The sum of the weights of hops [0, n) of a path: the references the
 * kept part of it costs. */
static inline uint32_t
suffix_length(const search_t *s, const path_t *p, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += edge_weight(&s->heap, s->heap.edges[p->hops[i].edge_pos]);
    }
    return total;
}

/* The stages, in order (paths.c runs them). */
int search_from_roots(search_t *s);   /* search.c */
int search_from_outside(search_t *s); /* search.c */
int select_paths(search_t *s);        /* select.c */
int analyse_unreached(search_t *s);   /* unreached.c */

/* The result tuple of paths_explain() (result.c). */
PyObject *result_build(search_t *s);
void result_memo_clear(memo_t *m);

#endif /* WHYALIVE_SEARCH_H */
