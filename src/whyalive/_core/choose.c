/* choose.c: the rule that picks the paths a report shows (choose.h),
 * over any graph that fills a choice_graph_t: the live heap (select.c)
 * or a snapshot's data (snapselect.c).
 */
#include "choose.h"
#include "array.h"

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
add_candidate(candidates_t *list, const candidate_t *c)
{
    if (array_grow((void **)&list->items, &list->cap, (size_t)list->count + 1,
                   sizeof(candidate_t)) < 0)
    {
        return -1;
    }
    list->items[list->count++] = *c;
    return 0;
}

/* Candidates for "who else holds x", where x is the node at hop
 * base_hops of path base of t (the target itself when base_hops is 0
 * or there is no base). */
static int
candidates_at(const choice_graph_t *g, target_t *t, uint32_t base,
              uint32_t base_hops, node_t x, uint32_t suffix_length,
              uint32_t existing_via, const in_edge_t *in, size_t nin,
              candidates_t *list)
{
    void *ctx = g->ctx;
    candidate_t c;
    memset(&c, 0, sizeof(c));
    c.x = x;
    c.base = base;
    c.base_hops = base_hops;

    size_t end, i = in_edges_of(in, nin, x, &end);
    node_t last_src = NODE_NONE;
    for (; i < end; i++) {
        node_t u = in[i].src;
        if (u == last_src || u == x || g->dist(ctx, u) == DIST_NONE) {
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
        c.kind = g->origin(ctx, u);
        c.length = g->dist(ctx, u) + g->weight(ctx, in[i].pos) + suffix_length;
        if (add_candidate(list, &c) < 0) {
            return -1;
        }
    }
    size_t nrefs;
    const uint32_t *refs = g->root_refs(ctx, x, &nrefs);
    for (size_t k = 0; k < nrefs; k++) {
        uint8_t kind;
        uint32_t order;
        if (!g->root_ref(ctx, refs[k], &kind, &order)) {
            continue;
        }
        uint32_t via = TAG_ROOT | refs[k];
        if (via == existing_via || is_used(t, x, via)) {
            continue;
        }
        c.via = via;
        c.order = order;
        c.pos = UINT64_MAX;
        c.kind = kind;
        c.length = (g->is_cell(ctx, x) ? 0 : 1) + suffix_length;
        if (add_candidate(list, &c) < 0) {
            return -1;
        }
    }
    /* References from outside are offered for the target itself (a C
     * holder of the very object asked about); further out, a root
     * already reaches x, and counts at shared objects (classes, say) are
     * too loose to name another holder. */
    if (x == t->node && TAG_EXTERNAL != existing_via &&
        !is_used(t, x, TAG_EXTERNAL) && g->held_outside(ctx, x))
    {
        c.via = TAG_EXTERNAL;
        c.order = 0;
        c.pos = UINT64_MAX;
        c.kind = PR_EXTERNAL;
        c.length = 1 + suffix_length;
        if (add_candidate(list, &c) < 0) {
            return -1;
        }
    }
    uint32_t m;
    if (g->module_of(ctx, x, &m)) {
        uint32_t via = TAG_SOURCE | m;
        if (via != existing_via && !is_used(t, x, via)) {
            c.via = via;
            c.order = m;
            c.pos = UINT64_MAX;
            c.kind = PR_MODULE;
            c.length = suffix_length;
            if (add_candidate(list, &c) < 0) {
                return -1;
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

static void
mark_nodes(const choice_graph_t *g, const path_t *p, node_t x, int on)
{
    for (uint32_t i = 0; i < p->nhops; i++) {
        g->mark(g->ctx, p->hops[i].referent, on);
    }
    g->mark(g->ctx, x, on);
}

/* Builds the path a candidate describes.  Returns 1 when built, 0 when
 * its chain would pass through its own suffix (a cycle), -1 on error. */
static int
materialize(const choice_graph_t *g, target_t *t, const candidate_t *c,
            path_t *out)
{
    void *ctx = g->ctx;
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
        mark_nodes(g, &suffix, c->x, 1);
        node_t u = TAG_VALUE(c->via);
        if (push_hop(out, &cap, c->x, u, c->pos) < 0) {
            status = -1;
        }
        while (status == 1) {
            if (g->marked(ctx, u)) {
                status = 0;
                break;
            }
            uint32_t link;
            uint64_t pos;
            node_t retainer;
            if (g->reached(ctx, u, &link, &pos, &retainer)) {
                tag = link & TAG_MASK;
                out->root_index = TAG_VALUE(link);
                break;
            }
            if (push_hop(out, &cap, u, retainer, pos) < 0) {
                status = -1;
                break;
            }
            u = retainer;
        }
        suffix.hops = out->hops;
        mark_nodes(g, &suffix, c->x, 0);
    }
    if (status != 1) {
        path_clear(out);
        return status;
    }
    uint32_t order;
    switch (tag) {
    case TAG_SOURCE:
        out->root = PR_MODULE;
        break;
    case TAG_ROOT:
        (void)g->root_ref(ctx, out->root_index, &out->root, &order);
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
choose(const choice_graph_t *g, target_t *t, candidates_t *candidates,
       uint32_t room, size_t *paths_cap, uint32_t *chosen)
{
    candidate_t *list = candidates->items;
    uint32_t count = candidates->count;
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
        list[i].label = g->label(g->ctx, &list[i]);
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
        int built = materialize(g, t, &list[i], &p);
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

int
choose_first(const choice_graph_t *g, target_t *t, const in_edge_t *in,
             size_t nin, uint32_t room, candidates_t *list, size_t *paths_cap,
             uint32_t *chosen)
{
    list->count = 0;
    if (candidates_at(g, t, NO_INDEX, 0, t->node, 0, NODE_NONE, in, nin,
                      list) < 0 ||
        choose(g, t, list, room, paths_cap, chosen) < 0)
    {
        return -1;
    }
    t->omitted = list->count > *chosen ? list->count - *chosen : 0;
    return 0;
}

size_t
choose_branch_points(const choice_graph_t *g, const target_t *t,
                     void (*want)(void *arg, node_t x), void *arg)
{
    size_t n = 0;
    for (uint32_t p = 0; p < t->npaths; p++) {
        for (uint32_t k = 0; k < t->paths[p].nhops; k++) {
            node_t x = t->paths[p].hops[k].referrer;
            /* x can have another retainer only if something else refers
             * to it; the counts tell, without a scan */
            if (!g->is_module_dict(g->ctx, x) && g->seen(g->ctx, x) >= 2) {
                want(arg, x);
                n++;
            }
        }
    }
    return n;
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
choose_branches(const choice_graph_t *g, target_t *t, const in_edge_t *in,
                size_t nin, uint32_t room, candidates_t *list,
                size_t *paths_cap, uint32_t *chosen)
{
    uint32_t npaths = t->npaths;
    list->count = 0;
    for (uint32_t p = 0; p < npaths; p++) {
        path_t *path = &t->paths[p];
        uint32_t stop = path->root == PR_MODULE && path->nhops > 0
                            ? path->nhops - 1
                            : path->nhops;
        /* hops [0, k) weigh `suffix`, summed as k grows: a sum per hop
         * would make a long path quadratic */
        uint32_t suffix = 0;
        for (uint32_t k = 1; k <= stop; k++) {
            node_t x = path->hops[k - 1].referrer;
            suffix += g->weight(g->ctx, path->hops[k - 1].edge_pos);
            if (candidates_at(g, t, p, k, x, suffix, retainer_at(path, k), in,
                              nin, list) < 0)
            {
                return -1;
            }
        }
    }
    return choose(g, t, list, room, paths_cap, chosen);
}

void
choose_sort_paths(target_t *t)
{
    /* an insertion sort: stable, and t has few paths */
    for (uint32_t i = 1; i < t->npaths; i++) {
        path_t p = t->paths[i];
        uint32_t j = i;
        while (j > 0 && (t->paths[j - 1].length > p.length ||
                         (t->paths[j - 1].length == p.length &&
                          t->paths[j - 1].root > p.root)))
        {
            t->paths[j] = t->paths[j - 1];
            j--;
        }
        t->paths[j] = p;
    }
}
