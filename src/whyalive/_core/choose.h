/* choose.h: the rule that picks the paths a report shows, per target,
 * the one home of it: live explain (select.c, over the heap) and
 * snapshots (snapselect.c, over stored data) both run it, each through
 * a choice_graph_t saying what its graph knows.
 *
 * Round 0: the shortest path through each distinct retainer of the
 * target (a node, a root reference, a reference from outside, the
 * module of a module dict).  Each later round: paths branching off
 * those further out, at every node on them that something else refers
 * to, until max_paths or no new path.  Candidates are sorted by length,
 * root kind, (at the cut-off only) first-hop label, the hop they branch
 * at, then order (a node's number, a root reference's place in the
 * search, a module's index); a candidate whose chain passes back
 * through its own suffix (a cycle through the target) is refused.
 * Private to the C core.
 */
#ifndef WHYALIVE_CHOOSE_H
#define WHYALIVE_CHOOSE_H

#include "search.h"

typedef struct {
    uint32_t length;
    uint8_t kind;     /* enum path_root */
    uint32_t via;     /* link encoding (search.h) of x's retainer */
    uint32_t order;   /* tie-break: node, root reference or module */
    node_t x;         /* the node the retainer holds */
    uint32_t base;    /* path whose hops [0, base_hops) are kept */
    uint32_t base_hops;
    uint64_t pos;     /* edge position when via is a node */
    PyObject *label;  /* first-hop label, for the final tie-break */
} candidate_t;

typedef struct {
    candidate_t *items;
    uint32_t count;
    size_t cap;
} candidates_t;

/* What a graph tells the rule; ctx is its first argument. */
typedef struct {
    void *ctx;
    /* u's distance from the roots (DIST_NONE: not reached) */
    uint32_t (*dist)(void *ctx, node_t u);
    /* the enum path_root u is reached from */
    uint8_t (*origin)(void *ctx, node_t u);
    /* the reference at position pos: 0 when folded into its owner */
    uint32_t (*weight)(void *ctx, uint64_t pos);
    /* How u was reached: 1 and the tagged link (search.h) of its root
     * when a search started at u; else 0, the position of the reference
     * followed into u and the node holding it. */
    int (*reached)(void *ctx, node_t u, uint32_t *link, uint64_t *pos,
                   node_t *holder);
    /* the references of the graph to u (heap_seen's count) */
    uint64_t (*seen)(void *ctx, node_t u);
    int (*is_cell)(void *ctx, node_t u);
    int (*is_module_dict)(void *ctx, node_t u);
    /* The root references (frame, thread, interpreter) holding u:
     * *count of their indices from the return value, in index order. */
    const uint32_t *(*root_refs)(void *ctx, node_t u, size_t *count);
    /* 1 and its enum path_root and order when reference i may start a
     * path, else 0 */
    int (*root_ref)(void *ctx, uint32_t i, uint8_t *kind, uint32_t *order);
    /* u is held from outside the graph (offered for the target only) */
    int (*held_outside)(void *ctx, node_t u);
    /* 1 and the index of the module whose globals u is, else 0 */
    int (*module_of)(void *ctx, node_t u, uint32_t *module);
    /* the text of a candidate's first hop (new reference), or NULL */
    PyObject *(*label)(void *ctx, const candidate_t *c);
    /* a mark per node, for the cycle check; all clear between calls */
    void (*mark)(void *ctx, node_t u, int on);
    int (*marked)(void *ctx, node_t u);
} choice_graph_t;

/* Round 0 for t: the retainers of the target (in: its in-edges, sorted
 * by referent), up to room paths; t->omitted counts the others. */
int choose_first(const choice_graph_t *g, target_t *t, const in_edge_t *in,
                 size_t nin, uint32_t room, candidates_t *list,
                 size_t *paths_cap, uint32_t *chosen);

/* The nodes of t's paths whose other retainers a next round looks for
 * (want is called on each): those something else may refer to. */
size_t choose_branch_points(const choice_graph_t *g, const target_t *t,
                            void (*want)(void *arg, node_t x), void *arg);

/* A later round for t: paths branching off its paths, in: the in-edges
 * of the branch points, up to room paths. */
int choose_branches(const choice_graph_t *g, target_t *t, const in_edge_t *in,
                    size_t nin, uint32_t room, candidates_t *list,
                    size_t *paths_cap, uint32_t *chosen);

/* t's paths in the order they are shown: by length, then root kind,
 * ties in the order they were chosen. */
void choose_sort_paths(target_t *t);

#endif /* WHYALIVE_CHOOSE_H */
