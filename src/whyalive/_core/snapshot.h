/* snapshot.h: heap snapshots, kept as plain data.
 *
 * snapshot_capture() walks the heap as explain does (heap.c, roots.c,
 * with every referent a node: strs and ints too) and returns what it
 * saw as bytes and lists, holding no reference to any object of the
 * heap.  Queries (snapquery.c, dominators.c) read that data only, so a
 * snapshot loaded from a file answers them the same way.
 *
 * The data tuple, in this order (SNAP_* indices):
 *   strings      list of str; strings[0] == ""
 *   ids          bytes, uint64 per node: id() of the object
 *   types        bytes, uint32 per node: index in strings of its type
 *   sizes        bytes, uint32 per node: shallow size (sizes.c's rule),
 *                SNAP_BIG: in big
 *   names        bytes, uint32 per node: index in strings of its name
 *   refcounts    bytes, uint32 per node; SNAP_IMMORTAL for immortal
 *                objects, SNAP_BIG: in big
 *   seen         bytes, uint8 per node: references the graph shows,
 *                SNAP_SEEN_BIG: in big
 *   flags        bytes, uint8 per node: SNAP_FLAG_*
 *   edge_start   bytes, uint32 per node + 1 (CSR rows)
 *   edges        bytes, uint32 per reference: referent | SNAP_EDGE_FOLD
 *   edge_labels  bytes, uint32 per reference: index in labels, or
 *                SNAP_LABEL_ITEM | i: a list's or tuple's item "[i]",
 *                or SNAP_LABEL_STR_KEY | k: a dict's value under the
 *                str key strings[k]
 *   labels       bytes, SNAP_LABEL_FIELDS int32 per label: text (in
 *                strings; SNAP_INDEX_TEXT: "[index]", for an index
 *                label only), edge kind, label role (names.h), key (in
 *                strings; -1 when the key is not a str), index (-1)
 *   modules      list of (dict_node, module_name): module globals
 *   refs         list of (node, path_root, root): frame, thread and
 *                interpreter references, in search order; root is
 *                find_paths' (kind, name, detail)
 *   stats        (threads, frames, seconds)
 *   big          bytes, (node uint32, field uint32, value uint64) per
 *                value too big for its array (field SNAP_BIG_*), in
 *                increasing order of (field, node), one per marked item
 * The few values that do not fit their narrow array (sizes of 4 GiB,
 * counts of 4G, more than 254 references seen) are found in big by a
 * binary search.
 * All integers native-endian; node numbers index the per-node arrays.
 */
#ifndef WHYALIVE_SNAPSHOT_H
#define WHYALIVE_SNAPSHOT_H

#include "compat.h"

enum snap_field {
    SNAP_STRINGS = 0,
    SNAP_IDS,
    SNAP_TYPES,
    SNAP_SIZES,
    SNAP_NAMES,
    SNAP_REFCOUNTS,
    SNAP_SEEN,
    SNAP_FLAGS,
    SNAP_EDGE_START,
    SNAP_EDGES,
    SNAP_EDGE_LABELS,
    SNAP_LABELS,
    SNAP_MODULES,
    SNAP_REFS,
    SNAP_STATS,
    SNAP_BIG_VALUES,
    SNAP_FIELD_COUNT
};

#define SNAP_EDGE_FOLD 0x80000000u
#define SNAP_EDGE_NODE(e) ((uint32_t)((e) & 0x7FFFFFFFu))
#define SNAP_NONE UINT32_MAX

/* Marks in the narrow per-node arrays. */
#define SNAP_BIG UINT32_MAX            /* sizes, refcounts: in big */
#define SNAP_IMMORTAL (UINT32_MAX - 1) /* refcounts: an immortal object */
#define SNAP_SEEN_BIG UINT8_MAX        /* seen: in big */

enum snap_big_field {
    SNAP_BIG_SIZE = 0,
    SNAP_BIG_REFCOUNT,
    SNAP_BIG_SEEN,
    SNAP_BIG_FIELDS
};

enum snap_flag {
    SNAP_FLAG_CELL = 1 << 0,        /* a cell: a frame root absorbs it */
    SNAP_FLAG_MODULE_DICT = 1 << 1, /* a module's globals */
};

#define SNAP_LABEL_FIELDS 5
/* An edge label's two top bits: 0x, an index in labels; 10, a list's
 * or tuple's item "[i]"; 11, a dict's value under the str key
 * strings[k] ("['k']", names_key_text's phrasing); i and k in the low
 * 30 bits.  Neither has an entry in labels or a string of its own: a
 * list of a million items, or a dict of a million str keys, would need
 * a million labels.  (Format 4 wrote items with 31 bits.) */
#define SNAP_LABEL_TAG(l) ((uint32_t)(l) & 0xC0000000u)
#define SNAP_LABEL_ITEM 0x80000000u
#define SNAP_LABEL_STR_KEY 0xC0000000u
#define SNAP_LABEL_PAYLOAD(l) ((uint32_t)(l) & 0x3FFFFFFFu)
/* The largest i or k an edge label holds (all ones is PTRMAP_NONE). */
#define SNAP_LABEL_PAYLOAD_MAX 0x3FFFFFFEu
/* A label's text field for "[index]" (format 3 wrote items' labels
 * so; they still load). */
#define SNAP_INDEX_TEXT (-1)

/* What a capture is asked for (module.c's state fills the rest). */
typedef struct {
    PyObject *tool_prefix;  /* str: whyalive's own source files, or NULL */
    PyObject *stack_tables; /* {code: stack depths} or NULL */
    PyTypeObject *partial_type;
    Py_ssize_t partial_args_offset;
    Py_ssize_t partial_keywords_offset;
} snapshot_query_t;

/* (the data tuple above, its snapview_checked object), or NULL with an
 * exception set. */
PyObject *snapshot_capture(const snapshot_query_t *q);

/* The data tuple, read in place (borrowed pointers into its bytes). */
typedef struct {
    size_t count;     /* nodes */
    uint64_t nedges;  /* references */
    size_t nlabels;
    PyObject *strings;
    const uint64_t *ids;
    const uint32_t *types;
    const uint32_t *sizes;    /* read with snap_size() */
    const uint32_t *names;
    const uint32_t *refcounts; /* read with snap_refcount() */
    const uint8_t *seen;       /* read with snap_seen() */
    const uint8_t *flags;
    const uint32_t *edge_start;
    const uint32_t *edges;
    const uint32_t *edge_labels;
    const int32_t *labels;
    PyObject *modules;
    PyObject *refs;
    const uint8_t *big; /* 16 bytes per value (snapshot.h's big) */
    size_t nbig;
} snapview_t;

/* Checks the tuple's shape and every index in it (a loaded file is
 * not trusted): 0, or -1 with ValueError saying what is wrong.  Given
 * snapview_checked's object instead, only the shape and the roots. */
int snapview_open(snapview_t *v, PyObject *data);
/* A checked snapshot of data, which every query takes in place of the
 * tuple and checks no more than it must: data checked now, or, made
 * here (a capture's own), only its shape.  New reference, or NULL with
 * ValueError saying what is wrong. */
PyObject *snapview_checked(PyObject *data, int made_here);

/* The text of edge label `label` (snapview_open checked it is there),
 * new reference, or NULL with an exception set. */
PyObject *snapview_label_text(const snapview_t *v, uint32_t label);

/* The value of big for (field, node); snapview_open checked it is there. */
uint64_t snapview_big(const snapview_t *v, uint32_t field, uint32_t node);

static inline uint64_t
snap_size(const snapview_t *v, uint32_t n)
{
    return v->sizes[n] != SNAP_BIG ? v->sizes[n]
                                   : snapview_big(v, SNAP_BIG_SIZE, n);
}

static inline uint64_t
snap_seen(const snapview_t *v, uint32_t n)
{
    return v->seen[n] != SNAP_SEEN_BIG ? v->seen[n]
                                       : snapview_big(v, SNAP_BIG_SEEN, n);
}

/* -1 for immortal objects. */
static inline int64_t
snap_refcount(const snapview_t *v, uint32_t n)
{
    uint32_t r = v->refcounts[n];
    return r == SNAP_IMMORTAL ? -1
           : r != SNAP_BIG    ? (int64_t)r
                              : (int64_t)snapview_big(v, SNAP_BIG_REFCOUNT, n);
}

/* Held from outside: more references than the graph shows. */
static inline int
snap_held_outside(const snapview_t *v, uint32_t n)
{
    int64_t r = snap_refcount(v, n);
    return r > 0 && (uint64_t)r > snap_seen(v, n);
}

/* The search every path query starts from (snapquery.c): for each
 * node, (distance | origin bits) and how it was reached, as in
 * search.h.  Returns (dist, reached_by), bytes of uint32 per node. */
PyObject *snapshot_search(PyObject *data);
/* Explain's target tuples for the node numbers in the list `nodes`,
 * from the data and its search: a list of (id, type_name, name,
 * refcount, seen, unseen, status, paths, omitted), find_paths' shape.
 * The data is checked and the reverse index built once for them all. */
PyObject *snapshot_explain(PyObject *data, PyObject *search, PyObject *nodes,
                           Py_ssize_t max_paths);

/* The nodes in increasing order of id: bytes of uint32 (snapids.c). */
PyObject *snapshot_by_id(PyObject *data);
/* The node with id `id` (an int), or None: a scan of the ids. */
PyObject *snapshot_find_id(PyObject *data, PyObject *id);

/* The functions of _core that query snapshots (snapmethods.c). */
extern PyMethodDef snapshot_query_methods[];

/* snapdiff.c: {type name: (objects, bytes)} over every node. */
PyObject *snapshot_type_totals(PyObject *data);
/* The nodes of the later snapshot whose id and type name the earlier
 * lacks, in increasing order: bytes of uint32.  Each order is its
 * snapshot's snapshot_by_id bytes. */
PyObject *snapshot_new_nodes(PyObject *later_data, PyObject *later_order,
                             PyObject *earlier_data, PyObject *earlier_order);

/* Dominators over a virtual root above every root (dominators.c):
 * (idom, retained, dominated), bytes: idom uint32 per node (SNAP_NONE
 * under the virtual root), retained uint64 (bytes the node keeps
 * alive, its own included), dominated uint32 (objects it keeps alive,
 * itself included). */
PyObject *dominators_compute(PyObject *data);
/* The n nodes of largest retained size, biggest first, leaving out any
 * node one of whose dominated objects retains at least `share` of its
 * retained size (that object answers instead).  A list of ints. */
PyObject *dominators_top(PyObject *idom, PyObject *retained, Py_ssize_t n,
                         double share);

/* The shallow size of op without running Python code (sizes.c). */
typedef struct sizes_cache sizes_cache_t;
sizes_cache_t *sizes_cache_new(void);
void sizes_cache_free(sizes_cache_t *c);
Py_ssize_t sizes_shallow(sizes_cache_t *c, PyObject *op);

#endif /* WHYALIVE_SNAPSHOT_H */
