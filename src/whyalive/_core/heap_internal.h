/* heap_internal.h: what heap.c shares with heappar.c, its parallel
 * traversal, and heapside.c, its side table, and nobody else: the
 * borrowed header word's layout, the per-type classes, the traversal's
 * per-object context and steps.
 */
#ifndef WHYALIVE_HEAP_INTERNAL_H
#define WHYALIVE_HEAP_INTERNAL_H

#include "heap.h"

/* A borrowed header word: bit 2 set, the node number in bits 3-32, the
 * references seen so far in bits 33-62 (so counting one touches only
 * the referent's own cache line), bit 63 set for a target (so that its
 * references are kept as they are met).  The collector's own words never
 * have bit 2 set: they hold a pointer to a header (8-byte aligned) with
 * flags in bits 0-1, or the flags alone.  64-bit builds only. */
#define HEADER_TAG ((uint64_t)0x4)
#define HEADER_TAG_MASK ((uint64_t)0x7)
#define HEADER_SHIFT 3
#define HEADER_NODE_MASK ((uint64_t)0x3FFFFFFF)
#define HEADER_SEEN_SHIFT 33
#define HEADER_SEEN_ONE ((uint64_t)1 << HEADER_SEEN_SHIFT)
#define HEADER_SEEN_MAX ((uint64_t)0x3FFFFFFF)
#define HEADER_TARGET ((uint64_t)1 << 63)

#if SIZEOF_VOID_P < 8
#error "whyalive's heap index needs a 64-bit build"
#endif

static inline node_t
header_node(uintptr_t word)
{
    return (word & HEADER_TAG_MASK) == HEADER_TAG
               ? (node_t)((word >> HEADER_SHIFT) & HEADER_NODE_MASK)
               : NODE_NONE;
}

/* A GC node's word: its GC header's on the default build; on
 * free-threaded builds, which have no header word to borrow, a word in
 * h->scratch (scratch.h), made if absent (NULL with MemoryError set). */
static inline uintptr_t *
node_word(heap_t *h, PyObject *op)
{
#ifdef Py_GIL_DISABLED
    return scratch_word(&h->scratch, op);
#else
    (void)h;
    return compat_gc_prev_word(op);
#endif
}

/* op's word if it has one (never made): NULL on free-threaded builds
 * for an object that is not a node. */
static inline uintptr_t *
node_word_find(heap_t *h, PyObject *op)
{
#ifdef Py_GIL_DISABLED
    return scratch_find(&h->scratch, op);
#else
    (void)h;
    return compat_gc_prev_word(op);
#endif
}

#ifdef Py_GIL_DISABLED
#define WORD_MISSING(word) ((word) == NULL)
#else
#define WORD_MISSING(word) 0 /* a header is always there */
#endif

/* Fibonacci hashing of the address; the low 4 bits are alignment.  The
 * slot is the hash's top side_bits bits; its low half, one to one with
 * the address's low bits, tells most addresses sharing a probe apart. */
static inline uint64_t
side_hash(PyObject *op)
{
    return ((uint64_t)(uintptr_t)op >> 4) * 0x9E3779B97F4A7C15ull;
}

static inline size_t
side_slot_of(const heap_t *h, uint64_t hash)
{
    return (size_t)(hash >> (64 - h->side_bits));
}

static inline uint64_t
side_entry(uint64_t hash, node_t n)
{
    return (hash << 32) | ((uint64_t)n + 1);
}

enum type_class {
    TC_KNOWN = 1 << 0,
    TC_FUNCTION = 1 << 1,
    TC_EXCEPTION = 1 << 2,
    TC_CODE = 1 << 3,
    TC_GENERATOR = 1 << 4,
    TC_PARTIAL = 1 << 5,
    TC_TARGET = 1 << 6, /* its instances are targets */
    TC_DICT_OWNER = 1 << 7,
    TC_CELL = 1 << 8,
    TC_DICT = 1 << 9,
    TC_NOGC = 1 << 10, /* holds references its traversal hides (nogc.h) */
    TC_PAR_SAFE = 1 << 11, /* a worker thread may traverse it (heappar.c) */
};

#define MAX_FOLDS 6

typedef struct {
    heap_t *h;
    node_t src; /* the node being traversed */
    PyObject *fold[MAX_FOLDS]; /* containers the object keeps internally */
    int nfold;
    int failed;
    int stopped; /* the deadline passed inside the object's references */
} visit_ctx;

/* The edge to node n, marked when op is a container the referrer keeps
 * internally. */
static inline uint32_t
fold_edge(const visit_ctx *ctx, PyObject *op, node_t n)
{
    for (int i = 0; i < ctx->nfold; i++) {
        if (ctx->fold[i] == op) {
            return n | EDGE_FOLD;
        }
    }
    return n;
}

/* Could op, an object without a GC header, be a node?  Only code
 * objects, the types of side nodes seen so far, and instances. */
static inline int
heap_maybe_side_node(const heap_t *h, PyObject *op, PyTypeObject *tp)
{
    if (tp == &PyCode_Type || h->nside_types < 0 || h->every_object) {
        return 1;
    }
    for (int k = 0; k < h->nside_types; k++) {
        if (h->side_types[k] == tp) {
            return 1;
        }
    }
    return h->instances_of != NULL && heap_is_instance(h, op);
}

/* heap.c's steps, shared with heappar.c and heapside.c (each as heap.c
 * describes it). */
uint32_t heap_type_class(const heap_t *h, heap_type_slot *cache, PyObject *op);
node_t heap_new_node(heap_t *h, PyObject *op);
/* heapside.c: the side table (heapside.c describes each) */
int heap_side_init(heap_t *h);
int heap_side_expect_every_object(heap_t *h);
void heap_side_remember(const heap_t *h);
void heap_side_free(heap_t *h);
node_t heap_side_find(const heap_t *h, PyObject *op);
int heap_side_defer(heap_t *h, PyObject *op, uint32_t fold);
int heap_side_resolve_all(heap_t *h);
void heap_side_drop_from(heap_t *h, uint64_t position);
int heap_is_holder(const heap_t *h, PyObject *op);
node_t heap_add_gc_node(heap_t *h, PyObject *op, uintptr_t *word);
node_t heap_add_side_node(heap_t *h, PyObject *op);
int heap_seen_add_one(heap_t *h, node_t n);
int heap_traverse_node(heap_t *h, node_t n);
void heap_collect_folds(const heap_t *h, PyObject *op, uint32_t kind,
                        visit_ctx *ctx);
int heap_record_target_reference(heap_t *h, node_t target, node_t referrer);
int heap_grow_edges(heap_t *h);

/* Appends an edge to the row being built: once per reference, so
 * inline, the growth out of line.  0, or -1 with MemoryError set. */
static inline int
heap_append_edge(heap_t *h, uint32_t edge)
{
    if (h->nedges == h->edges_capacity && heap_grow_edges(h) < 0) {
        return -1;
    }
    h->edges[h->nedges++] = edge;
    return 0;
}
/* Traverses node n on the calling thread (it holds the GIL): 0 done, 1
 * the deadline passed (n's row left empty), -1 error. */
int heap_traverse_one(heap_t *h, node_t n);

/* A round of fewer nodes runs on the calling thread alone: threads
 * would cost more than they save (benchmarks/bench_explain.py). */
#define HEAPPAR_MIN_NODES ((size_t)1 << 16)
/* Nodes a worker takes at a time. */
#define HEAPPAR_CHUNK ((size_t)1 << 13)

/* heappar.c: traverses nodes [h->traversed, end) with h->threads
 * threads; the result is what heap_traverse_one() on each would give.
 * 0 done, 1 the deadline passed, -1 error. */
int heappar_round(heap_t *h, size_t end);
/* May worker threads call this type's tp_traverse? */
int heappar_safe_traverse(PyTypeObject *tp);
/* Learns the traverse functions workers may call (module init: it makes
 * and drops a class).  -1 with an exception set. */
int heappar_init(void);

#endif /* WHYALIVE_HEAP_INTERNAL_H */
