/* heap.h: the heap as a graph, built in one traversal.
 *
 * Nodes are the objects the collector tracks (frozen ones included),
 * every container reachable from them that it does not track (atomic
 * tuples and dicts, running frames, code objects), the targets, and
 * whatever the roots refer to.  Edges are what tp_traverse visits, in
 * visit order, stored as compressed rows (CSR): node n's references are
 * edges[edge_start[n] .. edge_start[n + 1]).
 *
 * Numbering: while the graph is built, a GC node's number lives in its
 * own GC header (the collector's "previous" word, tagged), so finding
 * a referent's node costs what gc.collect() pays per reference; other
 * nodes (strs, code objects before 3.14...) are in a small side table.
 * Free-threaded builds have no such header word: there the same word
 * lives in a table keyed by address (scratch.h), and nothing is written
 * to any object.
 * heap_traverse_all() restores every header before it returns, and
 * heap_free() restores them on any other exit: between the first
 * heap_add() and that point, no Python code may run, no object of the
 * heap may be freed, tracked or untracked, and the collector is off.
 *
 * Object addresses are borrowed: nothing runs between the enumeration
 * and the moment the last result is built, and the collector is off.
 */
#ifndef WHYALIVE_HEAP_H
#define WHYALIVE_HEAP_H

#include "compat.h"
#include "deadline.h"
#include "nogc.h"
#include "scratch.h"

typedef uint32_t node_t;
#define NODE_NONE ((node_t)UINT32_MAX)
/* Two high bits of a link to a retainer are a tag (search.h), so
 * nodes stay below 2**30. */
#define HEAP_MAX_NODES ((size_t)0x3FFFFFFE)

/* An edge is the referent's node; the high bit marks a reference from
 * an owner to a container it keeps internally (its __dict__, closure,
 * defaults, args) or into a cell, which a path folds into one step
 * ("owner.attr", "<closure 'x'>"): such a reference weighs 0. */
#define EDGE_FOLD 0x80000000u
#define EDGE_NODE(e) ((node_t)((e) & 0x7FFFFFFFu))
/* side references in flight while a snapshot walks (a power of 2) */
#define HEAP_SIDE_PENDING 16u

enum node_flag {
    NODE_TARGET = 1 << 0,      /* asked about */
    NODE_EXCLUDED = 1 << 1,    /* never on a path: the tool's, or excluded */
    NODE_MODULE_DICT = 1 << 2, /* a module's globals: a root source */
    NODE_CELL = 1 << 3,        /* a cell: a step into it is folded */
    NODE_REACHED = 1 << 4,     /* reached from a module, frame or thread */
    NODE_VISITED = 1 << 5,     /* scratch bit for searches */
    NODE_SIDE = 1 << 6,        /* no GC header: numbered in the side table */
    NODE_EXPLICIT = 1 << 7,    /* a target passed to the call */
};

/* A type's class for the traversal (heap.c's type_class), cached. */
typedef struct {
    PyTypeObject *type;
    uint32_t kind;
} heap_type_slot;

typedef struct {
    /* node -> object; flags; strong references seen from the graph and
     * the roots (its "in-degree" for refcount accounting): a byte per
     * node, SEEN_BIG meaning "look in seen_big", a small open-addressing
     * table of (node + 1) << 32 | count for the few nodes with more
     * (types, shared dicts); read it with heap_seen() */
    PyObject **objs;
    uint8_t *flags;
    uint8_t *seen;
    uint64_t *seen_big;
    size_t seen_big_mask, seen_big_count;
    /* A GC node's own header word, to restore.  For most nodes it is
     * predictable: the header of the node listed before it (the
     * collector's lists were enumerated in order), or nothing for a node
     * that was never in a list; only its 2 flag bits are kept, and the
     * words that differ from the prediction are kept whole. */
    uint8_t *prev_low;
    struct prev_exception {
        node_t node;
        uintptr_t word;
    } *prev_exceptions;
    size_t nprev_exceptions, prev_exceptions_capacity;
    size_t listed; /* nodes [0, listed) came from the collector's lists */
    double listing_seconds; /* what heap_enumerate() took */
    size_t count;
    size_t capacity;
    int headers_borrowed;  /* some GC header holds a node number */
#ifdef Py_GIL_DISABLED
    scratch_t scratch;     /* the GC nodes' words (no header to borrow) */
#endif
    int finished;          /* traversal over, headers given back */

    /* side table: address -> node, open addressing, for nodes without
     * a GC header; side_types lists their types.  A slot holds node + 1
     * (0 = empty) and, in its high half, the low half of the address's
     * hash, so that a probe past another address reads no node */
    uint64_t *side_slots;
    size_t side_mask;
    int side_bits;
    size_t side_count;
    PyTypeObject *side_types[8];
    int nside_types; /* -1: too many kinds, always look */
    /* snapshots: references to side nodes whose edge is appended but
     * whose node is looked up HEAP_SIDE_PENDING references later, once
     * the prefetched slot is in (heapside.c) */
    struct heap_side_pending {
        PyObject *op;
        uint64_t hash;
        uint64_t position; /* of the edge in edges */
    } side_pending[HEAP_SIDE_PENDING];
    unsigned side_pending_first, side_pending_count;

    /* sorted (address, node) pairs, built on demand once the headers
     * are restored, for heap_find() after the traversal */
    uint64_t *by_address;

    /* forward references, CSR; edge_start has count + 1 entries once
     * heap_traverse_all() has returned (untraversed rows are empty) */
    uint32_t *edge_start;
    uint32_t *edges;
    uint64_t nedges;
    uint64_t edges_capacity;
    size_t traversed; /* nodes whose rows are complete */

    /* per type, what a traversal must know (heap.c's type_class) */
    heap_type_slot type_cache[1024];
    /* threads the traversal may use (heappar.c); 1: the calling one */
    int threads;
    /* references to GC nodes the workers' rows hold, counted apart and
     * added to the header words' counts by restore_headers(); NULL when
     * no round ran on threads */
    uint32_t *par_seen;
    size_t par_seen_capacity;

    /* what becomes a node besides collector-tracked objects */
    PyObject *instances_of;     /* tuple of classes whose instances are
                                   targets, or NULL */
    int str_targets;            /* a target is a str: count dict keys */
    nogc_t nogc;                /* types without GC support that hold
                                   references (numpy.ndarray) */
    int every_object;           /* snapshots: every referent is a node
                                   (strs, ints, ...), not only holders,
                                   and str-keyed dicts refer to their
                                   keys (after their values) */
    PyTypeObject *partial_type; /* functools.partial, or NULL */
    Py_ssize_t partial_args_offset;
    Py_ssize_t partial_keywords_offset;

    /* references into targets, kept as the traversal meets them */
    struct target_ref {
        node_t target;
        node_t referrer;
        uint64_t position; /* of the reference in edges */
    } *target_refs;
    size_t ntarget_refs, target_refs_capacity;

    deadline_t *deadline;
} heap_t;

int heap_init(heap_t *h, deadline_t *deadline);
/* Frees the graph; restores borrowed headers first if still needed. */
void heap_free(heap_t *h);

/* The node of op, a live object, or NODE_NONE. */
node_t heap_find(heap_t *h, PyObject *op);
/* The same once the traversal is finished, from a sorted (address,
 * node) index built on the first call (heaprows.c). */
node_t heap_find_by_address(heap_t *h, PyObject *op);
/* The node of op, a live object, added if absent.  NODE_NONE with
 * MemoryError set.  Only before heap_traverse_all() returns. */
node_t heap_add(heap_t *h, PyObject *op);
/* Adds op if it can hold references or is a target (see heap.c);
 * NODE_NONE otherwise, or on error (then PyErr_Occurred()). */
node_t heap_add_if_holder(heap_t *h, PyObject *op);
/* Nodes of addresses that may not be live objects (stale stack slots,
 * ids given by a user): compared, never dereferenced.  out[i] is the
 * node of addresses[i] or NODE_NONE.  -1 on MemoryError. */
int heap_resolve_addresses(heap_t *h, void *const *addresses, size_t n,
                           node_t *out);


/* Adds every object the collector tracks.  0 done, 1 deadline passed
 * (some are missing), -1 error. */
int heap_enumerate(heap_t *h);
/* Records the references of every node, discovering new nodes as it
 * goes, then restores the GC headers.  0 done, 1 deadline passed (rows
 * of the rest are empty), -1 error. */
int heap_traverse_all(heap_t *h);
/* Counts one strong reference to node n held outside the graph's edges
 * (a frame slot, a thread state); after the traversal.  -1 with
 * MemoryError set. */
int heap_count_node(heap_t *h, node_t n);
/* Makes node n a target: the traversal keeps the references into it
 * (h->target_refs).  Before the traversal, for them all to be kept. */
void heap_mark_target(heap_t *h, node_t n);

/* Is op an instance of one of h->instances_of?  Reads types only. */
int heap_is_instance(const heap_t *h, PyObject *op);

#define SEEN_BIG 255

/* The count of a node whose byte is SEEN_BIG (heap.c). */
uint32_t heap_seen_big(const heap_t *h, node_t n);

/* Strong references to node n seen from the graph and the roots (once
 * the traversal has counted them; saturates at UINT32_MAX). */
static inline uint32_t
heap_seen(const heap_t *h, node_t n)
{
    uint8_t small = h->seen[n];
    return small != SEEN_BIG ? small : heap_seen_big(h, n);
}

/* References to node n the graph does not show: refcount minus seen.
 * -1 for immortal objects, whose refcount means nothing. */
Py_ssize_t heap_unseen_references(const heap_t *h, node_t n);

/* Some traverse functions visit their type's free list (CPython 3.12's
 * _asyncio module visits its FutureIter free list): objects already
 * freed, with a count of 0.  Such an object is never a node nor handed
 * out: a reference taken and dropped would free it a second time. */
static inline int
object_is_freed(PyObject *op)
{
    return Py_REFCNT(op) == 0;
}

static inline uint64_t
heap_row_start(const heap_t *h, node_t n)
{
    return h->edge_start[n];
}

static inline uint64_t
heap_row_end(const heap_t *h, node_t n)
{
    return h->edge_start[n + 1];
}

/* The node whose row holds edge position pos (< nedges), by binary
 * search over the row starts: for the few hops a shown path takes. */
node_t heap_row_of(const heap_t *h, uint64_t pos);

/* Sets `flag` on the nodes of ids, a tuple of ints (heap_resolve_addresses:
 * compared, never dereferenced).  -1 with an exception set. */
static inline int
heap_flag_ids(heap_t *h, PyObject *ids, uint8_t flag)
{
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
    if (heap_resolve_addresses(h, addresses, n, nodes) < 0) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (nodes[i] != NODE_NONE) {
            h->flags[nodes[i]] |= flag;
        }
    }
    status = 0;
done:
    PyMem_RawFree(addresses);
    PyMem_RawFree(nodes);
    return status;
}

#endif /* WHYALIVE_HEAP_H */
