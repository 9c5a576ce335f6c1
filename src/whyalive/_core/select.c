/* select.c: stage 3 of an explain query, choosing the paths shown.
 *
 * Per target, the shortest path through each distinct retainer, then
 * paths branching off those further out, up to max_paths, one in-edge
 * scan per round.  Also the in-edges (references gathered by referent)
 * that unreached.c traces back along.
 */
#include "search.h"
#include "array.h"

typedef struct {
    uint32_t length;
    uint8_t kind;     /* enum path_root */
    uint32_t via;     /* link encoding (search.h) of x's retainer */
    uint32_t order;   /* tie-break: node or ref index */
    node_t x;         /* the node the retainer holds */
    uint32_t base;    /* path whose hops [0, base_hops) are kept */
    uint32_t base_hops;
    uint64_t pos;     /* edge position when via is a node */
    PyObject *label;  /* first-hop label, for the final tie-break */
} candidate_t;

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

static int
is_used(const target_t *t, node_t x, uint32_t via)
{
    for (uint32_t i = 0; i < t->nused; i++) {
        if (t->used[2 * i] == x && t->used[2 * i + 1] == via) {
            return 1;
        }
    }
    return 0;
}

static int
mark_used(target_t *t, node_t x, uint32_t via)
{
    if (array_grow((void **)&t->used, &t->used_capacity,
                   2 * (size_t)t->nused + 2, sizeof(uint32_t)) < 0)
    {
        return -1;
    }
    t->used[2 * t->nused] = x;
    t->used[2 * t->nused + 1] = via;
    t->nused++;
    return 0;
}

static int
add_candidate(candidate_t **list, uint32_t *count, size_t *cap,
              const candidate_t *c)
{
    if (array_grow((void **)list, cap, *count + 1, sizeof(candidate_t)) < 0) {
        return -1;
    }
    (*list)[(*count)++] = *c;
    return 0;
}

/* Candidates for "who else holds x", where x is the node at hop
 * base_hops of path base of t (the target itself when base_hops is 0
 * or there is no base). */
static int
candidates_at(search_t *s, target_t *t, uint32_t base, uint32_t base_hops,
              node_t x, uint32_t suffix_length, uint32_t existing_via,
              const in_edge_t *in, size_t nin, candidate_t **list,
              uint32_t *count, size_t *cap)
{
    heap_t *h = &s->heap;
    roots_t *r = &s->roots;
    candidate_t c;
    memset(&c, 0, sizeof(c));
    c.x = x;
    c.base = base;
    c.base_hops = base_hops;

    size_t end, i = in_edges_of(in, nin, x, &end);
    node_t last_src = NODE_NONE;
    for (; i < end; i++) {
        node_t u = in[i].src;
        if (u == last_src || u == x || dist_of(s, u) == DIST_NONE) {
            continue; /* one candidate per retainer */
        }
        last_src = u;
        uint32_t via = TAG_NODE | u;
        if (via == existing_via || is_used(t, x, via)) {
            continue;
        }
        c.via = via;
        c.order = u;
        c.pos = in[i].pos;
        c.kind = origin_of(s, u);
        c.length = dist_of(s, u) + edge_weight(h, h->edges[in[i].pos]) +
                   suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    size_t nrefs, first = roots_refs_of(r, x, &nrefs);
    for (size_t k = 0; k < nrefs; k++) {
        uint32_t ref_index = r->by_node[first + k];
        root_ref_t *ref = &r->refs[ref_index];
        if (!ref->root) {
            continue;
        }
        uint32_t via = TAG_ROOT | ref_index;
        if (via == existing_via || is_used(t, x, via)) {
            continue;
        }
        c.via = via;
        c.order = ref_index;
        c.pos = UINT64_MAX;
        c.kind = root_ref_path_kind(ref);
        c.length = ((h->flags[x] & NODE_CELL) ? 0 : 1) + suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    /* References from outside are offered for the target itself (a C
     * holder of the very object asked about); further out, a root
     * already reaches x, and counts at shared objects (classes, say) are
     * too loose to name another holder.  After a timeout the counts are
     * incomplete: say nothing of outsiders. */
    if (x == t->node && s->traverse_status == 0 &&
        TAG_EXTERNAL != existing_via && !is_used(t, x, TAG_EXTERNAL) &&
        unseen_refs(s, x) > 0)
    {
        c.via = TAG_EXTERNAL;
        c.order = 0;
        c.pos = UINT64_MAX;
        c.kind = PR_EXTERNAL;
        c.length = 1 + suffix_length;
        if (add_candidate(list, count, cap, &c) < 0) {
            return -1;
        }
    }
    if ((h->flags[x] & NODE_MODULE_DICT) && !is_excluded(s, x)) {
        for (size_t m = 0; m < r->nmodules; m++) {
            if (r->modules[m].dict == x && !r->modules[m].excluded) {
                uint32_t via = TAG_SOURCE | (uint32_t)m;
                if (via != existing_via && !is_used(t, x, via)) {
                    c.via = via;
                    c.order = (uint32_t)m;
                    c.pos = UINT64_MAX;
                    c.kind = PR_MODULE;
                                c.length = suffix_length;
                    if (add_candidate(list, count, cap, &c) < 0) {
                        return -1;
                    }
                }
                break;
            }
        }
    }
    return 0;
}

static int
compare_candidates(const void *a, const void *b)
{
    const candidate_t *x = a, *y = b;
    if (x->length != y->length) {
        return x->length < y->length ? -1 : 1;
    }
    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    if (x->label != NULL && y->label != NULL) {
        int c = PyUnicode_Compare(x->label, y->label);
        if (c != 0) {
            return c;
        }
    }
    if (x->base_hops != y->base_hops) {
        return x->base_hops < y->base_hops ? -1 : 1;
    }
    return (x->order > y->order) - (x->order < y->order);
}

/* The first-hop label of a candidate, for the tie-break by label. */
static PyObject *
candidate_label(search_t *s, const candidate_t *c)
{
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
mark_nodes(heap_t *h, const path_t *p, node_t x, int on)
{
    for (uint32_t i = 0; i < p->nhops; i++) {
        if (on) {
            h->flags[p->hops[i].referent] |= NODE_VISITED;
        }
        else {
            h->flags[p->hops[i].referent] &= (uint8_t)~NODE_VISITED;
        }
    }
    if (on) {
        h->flags[x] |= NODE_VISITED;
    }
    else {
        h->flags[x] &= (uint8_t)~NODE_VISITED;
    }
}

/* Builds the path a candidate describes.  Returns 1 when built, 0 when
 * its chain would pass through its own suffix (a cycle), -1 on error. */
static int
materialize(search_t *s, target_t *t, const candidate_t *c, path_t *out)
{
    heap_t *h = &s->heap;
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    if (c->base != NO_INDEX) {
        path_t *base = &t->paths[c->base];
        for (uint32_t i = 0; i < c->base_hops; i++) {
            if (push_hop(out, &cap, base->hops[i].referent,
                         base->hops[i].referrer, base->hops[i].edge_pos) < 0)
            {
                path_clear(out);
                return -1;
            }
        }
    }
    uint32_t suffix_hops = out->nhops;
    uint32_t tag = c->via & TAG_MASK;
    out->root_index = TAG_VALUE(c->via);
    int status = 1;
    if (tag == TAG_NODE) {
        /* the suffix's nodes: a chain looping back into them is refused */
        path_t suffix = *out;
        suffix.nhops = suffix_hops;
        mark_nodes(h, &suffix, c->x, 1);
        node_t u = TAG_VALUE(c->via);
        if (push_hop(out, &cap, c->x, u, c->pos) < 0) {
            status = -1;
        }
        while (status == 1) {
            if (h->flags[u] & NODE_VISITED) {
                status = 0;
                break;
            }
            if (is_seed(s, u)) {
                uint32_t link = s->reached_by[u];
                tag = link & TAG_MASK;
                out->root_index = TAG_VALUE(link);
                break;
            }
            uint64_t pos = s->reached_by[u];
            node_t retainer = heap_row_of(h, pos);
            if (push_hop(out, &cap, u, retainer, pos) < 0) {
                status = -1;
                break;
            }
            u = retainer;
        }
        suffix.hops = out->hops;
        mark_nodes(h, &suffix, c->x, 0);
    }
    if (status != 1) {
        path_clear(out);
        return status;
    }
    switch (tag) {
    case TAG_SOURCE:
        out->root = PR_MODULE;
        break;
    case TAG_ROOT:
        out->root = root_ref_path_kind(&s->roots.refs[out->root_index]);
        break;
    default:
        out->root = PR_EXTERNAL;
        break;
    }
    out->length = c->length;
    return 1;
}

/* Picks up to `room` of t's candidates: sorted by length and root
 * kind, the closest ties broken by their first label. */
static int
choose(search_t *s, target_t *t, candidate_t *list, uint32_t count,
       uint32_t room, size_t *paths_cap, uint32_t *chosen)
{
    *chosen = 0;
    if (count == 0) {
        return 0;
    }
    qsort(list, count, sizeof(candidate_t), compare_candidates);
    /* Labels break the tie at the cut-off only: candidates of the same
     * length and root kind as the last one taken (at most 64 of them). */
    uint32_t first = 0, labelled = 0;
    if (count > room) {
        const candidate_t *cut = &list[room - 1];
        first = room - 1;
        while (first > 0 && list[first - 1].length == cut->length &&
               list[first - 1].kind == cut->kind)
        {
            first--;
        }
        labelled = first;
        while (labelled < count && labelled - first < 64 &&
               list[labelled].length == cut->length &&
               list[labelled].kind == cut->kind)
        {
            labelled++;
        }
        if (labelled - first < 2 || list[room].length != cut->length ||
            list[room].kind != cut->kind)
        {
            labelled = first; /* no tie across the cut-off */
        }
    }
    for (uint32_t i = first; i < labelled; i++) {
        list[i].label = candidate_label(s, &list[i]);
        if (list[i].label == NULL) {
            goto error;
        }
    }
    qsort(list + first, labelled - first, sizeof(candidate_t),
          compare_candidates);
    for (uint32_t i = 0; i < count && *chosen < room; i++) {
        if (is_used(t, list[i].x, list[i].via)) {
            continue;
        }
        path_t p;
        int built = materialize(s, t, &list[i], &p);
        if (built < 0) {
            goto error;
        }
        if (built == 0) {
            continue;
        }
        if (mark_used(t, list[i].x, list[i].via) < 0 ||
            add_path(t, &p, paths_cap) < 0)
        {
            path_clear(&p);
            goto error;
        }
        (*chosen)++;
    }
    for (uint32_t i = first; i < labelled; i++) {
        Py_CLEAR(list[i].label);
    }
    return 0;
error:
    for (uint32_t i = first; i < labelled; i++) {
        Py_CLEAR(list[i].label);
    }
    return -1;
}

/* The retainer of the node at hop i of p, as a link (search.h). */
static uint32_t
retainer_at(const path_t *p, uint32_t i)
{
    if (i < p->nhops) {
        return TAG_NODE | p->hops[i].referrer;
    }
    switch (p->root) {
    case PR_MODULE:
        return TAG_SOURCE | p->root_index;
    case PR_FRAME:
    case PR_THREAD:
    case PR_INTERP:
        return TAG_ROOT | p->root_index;
    default:
        return TAG_EXTERNAL;
    }
}

int
select_paths(search_t *s)
{
    heap_t *h = &s->heap;
    uint32_t max_paths = (uint32_t)s->q->max_paths;
    size_t *paths_caps = PyMem_RawCalloc(s->ntargets + 1, sizeof(size_t));
    candidate_t *list = NULL;
    size_t cap = 0;
    in_edge_t *in = NULL;
    int status = -1;
    if (paths_caps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
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
            for (uint32_t p = 0; p < t->npaths; p++) {
                for (uint32_t k = 0; k < t->paths[p].nhops; k++) {
                    node_t x = t->paths[p].hops[k].referrer;
                    /* x can have another retainer only if something else
                     * refers to it; the counts tell, without a scan */
                    if (!(h->flags[x] & NODE_MODULE_DICT) && heap_seen(h, x) >= 2) {
                        h->flags[x] |= NODE_VISITED;
                        interesting++;
                    }
                }
            }
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
            uint32_t count = 0;
            s->deadline.done = i;
            if (deadline_passed(&s->deadline)) {
                s->search_timed_out = 1;
                break; /* the targets left keep the paths they have */
            }
            if (round == 0) {
                if (candidates_at(s, t, NO_INDEX, 0, t->node, 0, NODE_NONE, in,
                                  nin, &list, &count, &cap) < 0)
                {
                    goto done;
                }
                uint32_t chosen;
                if (choose(s, t, list, count, max_paths, &paths_caps[i],
                           &chosen) < 0)
                {
                    goto done;
                }
                t->omitted = count > chosen ? count - chosen : 0;
                progress |= chosen > 0;
                continue;
            }
            if (t->npaths == 0 || t->npaths >= max_paths) {
                continue;
            }
            uint32_t npaths = t->npaths;
            for (uint32_t p = 0; p < npaths; p++) {
                path_t *path = &t->paths[p];
                uint32_t stop = path->root == PR_MODULE && path->nhops > 0
                                    ? path->nhops - 1
                                    : path->nhops;
                /* hops [0, k) weigh `suffix`, summed as k grows: a
                 * sum per hop would make a long path quadratic */
                uint32_t suffix = 0;
                for (uint32_t k = 1; k <= stop; k++) {
                    node_t x = path->hops[k - 1].referrer;
                    suffix += edge_weight(h, h->edges[path->hops[k - 1].edge_pos]);
                    if (candidates_at(s, t, p, k, x, suffix,
                                      retainer_at(path, k), in, nin, &list,
                                      &count, &cap) < 0)
                    {
                        goto done;
                    }
                }
            }
            uint32_t chosen;
            if (choose(s, t, list, count, max_paths - t->npaths, &paths_caps[i],
                       &chosen) < 0)
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
    PyMem_RawFree(list);
    PyMem_RawFree(paths_caps);
    return status;
}
