/* snapselect.c: the paths a snapshot's explain shows.
 *
 * choose.c's rule, the one live explain follows (select.c), over a
 * snapshot's data: the graph is the stored CSR with snapshot_search's
 * distances, and the in-edges each round needs come from a reverse
 * index of the references built once per call.  What the data does not
 * keep, and its nearest equivalent: a node's order is its number in the
 * snapshot (the walk numbers tracked objects in enumeration order as
 * explain's walk does; the untracked objects a snapshot adds come after
 * them; on free-threaded builds two walks number objects in different
 * orders, so such ties may break otherwise); a root reference's order
 * is its place in data's refs, the order of the search (explain orders
 * them so too); whyalive's own
 * module dicts, excluded from explain's graph, are ordinary nodes of a
 * snapshot (not roots).
 */
#include "snapselect.h"
#include "array.h"
#include "names.h"

struct snap_graph {
    const snapview_t *v;
    const uint32_t *dist;
    const uint32_t *reached_by;
    uint32_t *refs_by_node; /* indices in refs, sorted by (node, index) */
    size_t nrefs;
    uint64_t *marks;        /* a bit per node */
    uint32_t *in_start;     /* reverse index: per node, + 1 */
    uint32_t *in_pos;       /* edge positions, by referent, ascending */
    node_t *wanted;         /* branch points of the next round */
    size_t nwanted, wanted_cap;
    int failed;             /* want() ran out of memory */
};

uint32_t
snapview_row_of(const snapview_t *v, uint64_t pos)
{
    return (uint32_t)csr_row_of(v->edge_start, v->count, pos);
}

static uint32_t
ref_node_at(const snapview_t *v, size_t i)
{
    PyObject *ref = PyList_GET_ITEM(v->refs, (Py_ssize_t)i);
    return (uint32_t)PyLong_AsSize_t(PyTuple_GET_ITEM(ref, 0));
}

/* ------------------------------------------------------------------ */
/* The snapshot as choose.h's graph                                    */
/* ------------------------------------------------------------------ */

static uint32_t
snap_dist(void *ctx, node_t u)
{
    return ((snap_graph_t *)ctx)->dist[u] & DIST_MASK;
}

static uint8_t
snap_origin(void *ctx, node_t u)
{
    return (uint8_t)(((snap_graph_t *)ctx)->dist[u] >> DIST_BITS);
}

static uint32_t
snap_weight(void *ctx, uint64_t pos)
{
    return (((snap_graph_t *)ctx)->v->edges[pos] & SNAP_EDGE_FOLD) ? 0 : 1;
}

static int
snap_reached(void *ctx, node_t u, uint32_t *link, uint64_t *pos,
             node_t *holder)
{
    snap_graph_t *g = ctx;
    uint32_t by = g->reached_by[u];
    if (!(by & LINK_SEED)) {
        *pos = by;
        *holder = snapview_row_of(g->v, by);
        return 0;
    }
    by &= ~LINK_SEED;
    *link = by == LINK_OUTSIDE  ? TAG_EXTERNAL
            : by & LINK_MODULE ? TAG_SOURCE | (by & ~LINK_MODULE)
                               : TAG_ROOT | by;
    return 1;
}

static uint64_t
snap_seen_of(void *ctx, node_t u)
{
    return snap_seen(((snap_graph_t *)ctx)->v, u);
}

static int
snap_is_cell(void *ctx, node_t u)
{
    return (((snap_graph_t *)ctx)->v->flags[u] & SNAP_FLAG_CELL) != 0;
}

static int
snap_is_module_dict(void *ctx, node_t u)
{
    return (((snap_graph_t *)ctx)->v->flags[u] & SNAP_FLAG_MODULE_DICT) != 0;
}

static const uint32_t *
snap_root_refs(void *ctx, node_t u, size_t *count)
{
    snap_graph_t *g = ctx;
    size_t lo = 0, hi = g->nrefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ref_node_at(g->v, g->refs_by_node[mid]) < u) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    size_t end = lo;
    while (end < g->nrefs && ref_node_at(g->v, g->refs_by_node[end]) == u) {
        end++;
    }
    *count = end - lo;
    return g->refs_by_node + lo;
}

/* Every reference the data keeps may start a path (capture_roots keeps
 * only those); its order is its place in the search. */
static int
snap_root_ref(void *ctx, uint32_t i, uint8_t *kind, uint32_t *order)
{
    PyObject *ref = PyList_GET_ITEM(((snap_graph_t *)ctx)->v->refs, i);
    *kind = (uint8_t)PyLong_AsLong(PyTuple_GET_ITEM(ref, 1));
    *order = i;
    return 1;
}

static int
snap_held_outside_of(void *ctx, node_t u)
{
    return snap_held_outside(((snap_graph_t *)ctx)->v, u);
}

static int
snap_module_of(void *ctx, node_t u, uint32_t *module)
{
    const snapview_t *v = ((snap_graph_t *)ctx)->v;
    if (!(v->flags[u] & SNAP_FLAG_MODULE_DICT)) {
        return 0;
    }
    for (Py_ssize_t m = 0; m < PyList_GET_SIZE(v->modules); m++) {
        PyObject *item = PyList_GET_ITEM(v->modules, m);
        if (PyLong_AsSize_t(PyTuple_GET_ITEM(item, 0)) == u) {
            *module = (uint32_t)m;
            return 1;
        }
    }
    return 0;
}

/* The text explain's label would have: a reference's stored label; a
 * root reference's name (a frame's local, an interpreter registry's
 * key), "" when it has none (a frame slot the data names "<slot>"). */
static PyObject *
snap_label(void *ctx, const candidate_t *c)
{
    const snapview_t *v = ((snap_graph_t *)ctx)->v;
    if ((c->via & TAG_MASK) == TAG_NODE) {
        return snapview_label_text(v, v->edge_labels[c->pos]);
    }
    if ((c->via & TAG_MASK) == TAG_ROOT) {
        PyObject *ref = PyList_GET_ITEM(v->refs, TAG_VALUE(c->via));
        PyObject *root = PyTuple_GET_ITEM(ref, 2);
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(ref, 1));
        if (PyTuple_Check(root) && PyTuple_GET_SIZE(root) == 3) {
            PyObject *name = PyTuple_GET_ITEM(root, 1);
            PyObject *detail = PyTuple_GET_ITEM(root, 2);
            if (kind == PR_FRAME && PyUnicode_Check(name) &&
                PyTuple_Check(detail) && PyTuple_GET_SIZE(detail) > 4)
            {
                PyObject *slot = PyTuple_GET_ITEM(detail, 4);
                PyObject *unnamed =
                    PyUnicode_Check(slot) ? PyUnicode_FromFormat("<%U>", slot)
                                          : NULL;
                if (unnamed == NULL) {
                    PyErr_Clear();
                }
                int plain = unnamed == NULL ||
                            PyUnicode_Compare(name, unnamed) != 0;
                Py_XDECREF(unnamed);
                if (plain) {
                    return Py_NewRef(name);
                }
            }
            else if (kind == PR_INTERP && PyTuple_Check(detail) &&
                     PyTuple_GET_SIZE(detail) > 2 &&
                     PyUnicode_Check(PyTuple_GET_ITEM(detail, 2)))
            {
                return Py_NewRef(PyTuple_GET_ITEM(detail, 2));
            }
        }
    }
    return PyUnicode_FromString("");
}

static void
snap_mark(void *ctx, node_t u, int on)
{
    uint64_t *marks = ((snap_graph_t *)ctx)->marks;
    if (on) {
        bitmap_set(marks, u);
    }
    else {
        marks[u / 64] &= ~((uint64_t)1 << (u % 64));
    }
}

static int
snap_marked(void *ctx, node_t u)
{
    return bitmap_test(((snap_graph_t *)ctx)->marks, u);
}

static void
want(void *arg, node_t x)
{
    snap_graph_t *g = arg;
    if (array_grow((void **)&g->wanted, &g->wanted_cap, g->nwanted + 1,
                   sizeof(node_t)) < 0)
    {
        g->failed = 1;
        PyErr_Clear();
        return;
    }
    g->wanted[g->nwanted++] = x;
}

/* ------------------------------------------------------------------ */
/* In-edges                                                            */
/* ------------------------------------------------------------------ */

/* The reverse index: the positions of the references to each node. */
static int
index_references(snap_graph_t *g)
{
    const snapview_t *v = g->v;
    g->in_start = PyMem_RawCalloc(v->count + 2, sizeof(uint32_t));
    g->in_pos = PyMem_RawMalloc((v->nedges ? v->nedges : 1) * sizeof(uint32_t));
    if (g->in_start == NULL || g->in_pos == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (uint64_t e = 0; e < v->nedges; e++) {
        g->in_start[SNAP_EDGE_NODE(v->edges[e]) + 2]++;
    }
    for (size_t n = 2; n < v->count + 2; n++) {
        g->in_start[n] += g->in_start[n - 1];
    }
    /* in_start[n + 1] is where node n's references go, then where they end */
    for (uint64_t e = 0; e < v->nedges; e++) {
        g->in_pos[g->in_start[SNAP_EDGE_NODE(v->edges[e]) + 1]++] = (uint32_t)e;
    }
    return 0;
}

static int
compare_nodes(const void *a, const void *b)
{
    node_t x = *(const node_t *)a, y = *(const node_t *)b;
    return (x > y) - (x < y);
}

/* The references into the nodes of g->wanted, sorted by referent, then
 * referrer and position (select.c's order). */
static in_edge_t *
in_edges(snap_graph_t *g, size_t *count)
{
    const snapview_t *v = g->v;
    qsort(g->wanted, g->nwanted, sizeof(node_t), compare_nodes);
    size_t n = 0;
    for (size_t i = 0; i < g->nwanted; i++) {
        node_t x = g->wanted[i];
        if (i == 0 || g->wanted[i - 1] != x) {
            n += g->in_start[x + 1] - g->in_start[x];
        }
    }
    in_edge_t *list = PyMem_RawMalloc((n ? n : 1) * sizeof(in_edge_t));
    if (list == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    n = 0;
    for (size_t i = 0; i < g->nwanted; i++) {
        node_t x = g->wanted[i];
        if (i > 0 && g->wanted[i - 1] == x) {
            continue;
        }
        /* positions ascend, so referrers do */
        for (uint32_t k = g->in_start[x]; k < g->in_start[x + 1]; k++) {
            list[n].dst = x;
            list[n].pos = g->in_pos[k];
            list[n].src = snapview_row_of(v, g->in_pos[k]);
            n++;
        }
    }
    g->nwanted = 0;
    *count = n;
    return list;
}

static int
compare_refs_by_node(const void *a, const void *b, const snapview_t *v)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t nx = ref_node_at(v, x), ny = ref_node_at(v, y);
    if (nx != ny) {
        return nx < ny ? -1 : 1;
    }
    return (x > y) - (x < y);
}

/* refs sorted by (node, index): an insertion sort, there are few */
static int
index_refs(snap_graph_t *g)
{
    const snapview_t *v = g->v;
    g->nrefs = (size_t)PyList_GET_SIZE(v->refs);
    g->refs_by_node = PyMem_RawMalloc((g->nrefs ? g->nrefs : 1) * sizeof(uint32_t));
    if (g->refs_by_node == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < g->nrefs; i++) {
        uint32_t r = (uint32_t)i;
        size_t j = i;
        while (j > 0 && compare_refs_by_node(&g->refs_by_node[j - 1], &r, v) > 0) {
            g->refs_by_node[j] = g->refs_by_node[j - 1];
            j--;
        }
        g->refs_by_node[j] = r;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The rounds                                                          */
/* ------------------------------------------------------------------ */

void
snapselect_free(target_t *t)
{
    for (uint32_t p = 0; p < t->npaths; p++) {
        path_clear(&t->paths[p]);
    }
    PyMem_RawFree(t->paths);
    PyMem_RawFree(t->used);
    memset(t, 0, sizeof(*t));
}

snap_graph_t *
snapselect_open(const snapview_t *v, const uint32_t *dist,
                const uint32_t *reached_by)
{
    snap_graph_t *sg = PyMem_RawCalloc(1, sizeof(*sg));
    if (sg == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    sg->v = v;
    sg->dist = dist;
    sg->reached_by = reached_by;
    sg->marks = PyMem_RawCalloc(bitmap_words(v->count + 1), sizeof(uint64_t));
    if (sg->marks == NULL) {
        PyErr_NoMemory();
        snapselect_close(sg);
        return NULL;
    }
    if (index_refs(sg) < 0 || index_references(sg) < 0) {
        snapselect_close(sg);
        return NULL;
    }
    return sg;
}

void
snapselect_close(snap_graph_t *sg)
{
    if (sg == NULL) {
        return;
    }
    PyMem_RawFree(sg->marks);
    PyMem_RawFree(sg->refs_by_node);
    PyMem_RawFree(sg->in_start);
    PyMem_RawFree(sg->in_pos);
    PyMem_RawFree(sg->wanted);
    PyMem_RawFree(sg);
}

int
snapselect_paths(snap_graph_t *sg, uint32_t target, uint32_t max_paths,
                 target_t *t)
{
    const snapview_t *v = sg->v;
    memset(t, 0, sizeof(*t));
    t->node = target;
    /* each target starts with no node marked and nothing wanted */
    memset(sg->marks, 0, bitmap_words(v->count + 1) * sizeof(uint64_t));
    sg->nwanted = 0;
    sg->failed = 0;
    const choice_graph_t g = {
        sg,            snap_dist,      snap_origin,          snap_weight,
        snap_reached,  snap_seen_of,   snap_is_cell,         snap_is_module_dict,
        snap_root_refs, snap_root_ref, snap_held_outside_of, snap_module_of,
        snap_label,    snap_mark,      snap_marked,
    };
    candidates_t list = {NULL, 0, 0};
    in_edge_t *in = NULL;
    size_t paths_cap = 0, nin = 0;
    int status = -1;
    /* round 0: the target's retainers; then branches, while they come */
    uint32_t chosen = 0;
    want(sg, target);
    for (uint32_t round = 0; round < max_paths && !sg->failed; round++) {
        if (round > 0 && (t->npaths == 0 || t->npaths >= max_paths ||
                          choose_branch_points(&g, t, want, sg) == 0))
        {
            break;
        }
        if (sg->failed) {
            break;
        }
        PyMem_RawFree(in);
        in = in_edges(sg, &nin);
        if (in == NULL) {
            goto done;
        }
        if (round == 0
                ? choose_first(&g, t, in, nin, max_paths, &list, &paths_cap,
                               &chosen) < 0
                : choose_branches(&g, t, in, nin, max_paths - t->npaths, &list,
                                  &paths_cap, &chosen) < 0)
        {
            goto done;
        }
        if (chosen == 0) {
            break;
        }
    }
    if (sg->failed) {
        PyErr_NoMemory();
        goto done;
    }
    choose_sort_paths(t);
    status = 0;
done:
    PyMem_RawFree(in);
    PyMem_RawFree(list.items);
    return status;
}
