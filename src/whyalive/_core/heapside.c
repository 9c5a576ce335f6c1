/* heapside.c: the side table, the node numbers of objects without a GC
 * header (strs, ints, code objects before 3.14, untracked containers)
 * whose header word the walk cannot borrow: open addressing by address.
 *
 * Memory comes from big_resize() (array.h): never the object allocator.
 */
#include "heap.h"
#include "array.h"
#include "heap_internal.h"

#define INITIAL_SIDE_BITS 12

/* The side nodes of the last snapshot's walk, to size the next one's
 * table at once (a hint, as heap.c's counts are): an explain's walk
 * meets few, and starts small. */
static size_t last_snapshot_side_count;

static int
side_rehash(heap_t *h, int bits)
{
    size_t nslots = (size_t)1 << bits;
    uint64_t *slots = NULL;
    if (big_resize((void **)&slots, 0, nslots, sizeof(*slots)) < 0) {
        return -1;
    }
#ifndef BIG_ARRAYS_MAPPED
    memset(slots, 0, nslots * sizeof(*slots));
#endif
    /* the old table's entries move over: scanning every node instead
     * would cost the whole heap at each doubling */
    uint64_t *old_slots = h->side_slots;
    size_t old_count = old_slots ? h->side_mask + 1 : 0;
    h->side_slots = slots;
    h->side_bits = bits;
    h->side_mask = nslots - 1;
    for (size_t s = 0; s < old_count; s++) {
        uint64_t entry = old_slots[s];
        if (entry == 0) {
            continue;
        }
        size_t home = side_slot_of(h, side_hash(h->objs[(uint32_t)entry - 1]));
        slots[table_first_empty(slots, h->side_mask, home)] = entry;
    }
    big_free(old_slots, old_count, sizeof(*old_slots));
    return 0;
}

/* The table's size for count nodes: at most three quarters full (the
 * check in each slot keeps probes past other addresses cheap). */
static int
side_bits_for(size_t count)
{
    int bits = INITIAL_SIDE_BITS;
    while (((size_t)3 << bits) < 4 * count && bits < 40) {
        bits++;
    }
    return bits;
}

int
heap_side_init(heap_t *h)
{
    return side_rehash(h, INITIAL_SIDE_BITS);
}

int
heap_side_expect_every_object(heap_t *h)
{
    int bits = side_bits_for(last_snapshot_side_count);
    return bits > h->side_bits ? side_rehash(h, bits) : 0;
}

void
heap_side_remember(const heap_t *h)
{
    if (h->every_object) {
        last_snapshot_side_count = h->side_count;
    }
}

void
heap_side_free(heap_t *h)
{
    if (h->side_slots != NULL) {
        big_free(h->side_slots, h->side_mask + 1, sizeof(*h->side_slots));
    }
    h->side_slots = NULL;
}

static node_t
side_find_hashed(const heap_t *h, PyObject *op, uint64_t hash)
{
    uint32_t check = (uint32_t)hash;
    size_t i = side_slot_of(h, hash);
    for (;;) {
        uint64_t entry = h->side_slots[i];
        if (entry == 0) {
            return NODE_NONE;
        }
        node_t n = (node_t)((uint32_t)entry - 1);
        if ((uint32_t)(entry >> 32) == check && h->objs[n] == op) {
            return n;
        }
        i = (i + 1) & h->side_mask;
    }
}

node_t
heap_side_find(const heap_t *h, PyObject *op)
{
    return side_find_hashed(h, op, side_hash(op));
}

node_t
heap_add_side_node(heap_t *h, PyObject *op)
{
    /* keep the side table at most three quarters full */
    if ((h->side_count + 1) * 4 > 3 * (h->side_mask + 1) &&
        side_rehash(h, h->side_bits + 1) < 0)
    {
        return NODE_NONE;
    }
    node_t n = heap_new_node(h, op);
    if (n == NODE_NONE) {
        return NODE_NONE;
    }
    h->flags[n] = NODE_SIDE;
    h->prev_low[n] = 0;
    h->side_count++;
    uint64_t hash = side_hash(op);
    size_t i = table_first_empty(h->side_slots, h->side_mask, side_slot_of(h, hash));
    h->side_slots[i] = side_entry(hash, n);
    if (h->instances_of != NULL && heap_is_instance(h, op)) {
        h->flags[n] |= NODE_TARGET;
    }
    PyTypeObject *tp = Py_TYPE(op);
    if (h->nside_types >= 0 && tp != &PyCode_Type) {
        int known = 0;
        for (int k = 0; k < h->nside_types; k++) {
            known |= h->side_types[k] == tp;
        }
        if (!known) {
            if (h->nside_types == (int)(sizeof(h->side_types) / sizeof(h->side_types[0]))) {
                h->nside_types = -1; /* too many kinds: always look */
            }
            else {
                h->side_types[h->nside_types++] = tp;
            }
        }
    }
    return n;
}

/* A snapshot meets every untracked str and int, each at a random slot
 * of the side table: a wait for memory per reference, unless the slot
 * is fetched ahead.  heap_side_defer() appends the edge with its node
 * left blank and prefetches the slot; the lookup (or the new node) comes
 * HEAP_SIDE_PENDING references later.  Side nodes are thus numbered a
 * little later than met, the same way on every walk. */
static int
side_resolve_first(heap_t *h)
{
    struct heap_side_pending *p = &h->side_pending[h->side_pending_first];
    h->side_pending_first = (h->side_pending_first + 1) % HEAP_SIDE_PENDING;
    h->side_pending_count--;
    node_t n = side_find_hashed(h, p->op, p->hash);
    if (n == NODE_NONE && (n = heap_add_side_node(h, p->op)) == NODE_NONE) {
        return -1;
    }
    h->edges[p->position] |= n;
    return heap_seen_add_one(h, n);
}

int
heap_side_defer(heap_t *h, PyObject *op, uint32_t fold)
{
    if (h->side_pending_count == HEAP_SIDE_PENDING && side_resolve_first(h) < 0) {
        return -1;
    }
    uint64_t hash = side_hash(op);
    platform_prefetch(&h->side_slots[side_slot_of(h, hash)]);
    if (heap_append_edge(h, fold) < 0) {
        return -1;
    }
    unsigned last = (h->side_pending_first + h->side_pending_count) % HEAP_SIDE_PENDING;
    h->side_pending[last].op = op;
    h->side_pending[last].hash = hash;
    h->side_pending[last].position = h->nedges - 1;
    h->side_pending_count++;
    return 0;
}

/* Every deferred reference looked up: before anything reads the edges,
 * the counts or the number of nodes. */
int
heap_side_resolve_all(heap_t *h)
{
    while (h->side_pending_count > 0) {
        if (side_resolve_first(h) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Forgets the deferred references of edges from position on (a row the
 * deadline cut short is emptied). */
void
heap_side_drop_from(heap_t *h, uint64_t position)
{
    while (h->side_pending_count > 0) {
        unsigned last = (h->side_pending_first + h->side_pending_count - 1) %
                        HEAP_SIDE_PENDING;
        if (h->side_pending[last].position < position) {
            break;
        }
        h->side_pending_count--;
    }
}
