/* snapselect.h: the paths a snapshot's explain shows (snapselect.c),
 * chosen by choose.h's rule over the snapshot's data, and the encoding
 * of snapshot_search's result (snapquery.c) both read.  Private to the
 * C core.
 */
#ifndef WHYALIVE_SNAPSELECT_H
#define WHYALIVE_SNAPSELECT_H

#include "choose.h"
#include "snapshot.h"

/* snapshot_search's result: dist as search.h's (distance in the low
 * DIST_BITS, the enum path_root above, no seed bit); reached_by the
 * position of the reference followed into the node, or for a seed,
 * LINK_SEED | (root reference index, LINK_MODULE | module index, or
 * LINK_OUTSIDE). */
#define LINK_SEED 0x80000000u
#define LINK_MODULE 0x40000000u
#define LINK_OUTSIDE 0x3FFFFFFFu

/* The row (node) holding edge position pos. */
uint32_t snapview_row_of(const snapview_t *v, uint64_t pos);

/* What choosing paths over a snapshot's data needs, built once for
 * every target of a call (the reverse index of the references, the root
 * references by node): NULL with an exception set, or free it with
 * snapselect_close. */
typedef struct snap_graph snap_graph_t;
snap_graph_t *snapselect_open(const snapview_t *v, const uint32_t *dist,
                              const uint32_t *reached_by);
void snapselect_close(snap_graph_t *g);

/* Chooses target's paths, as explain would of the same heap, into t
 * (zeroed first; root_index: an index in data's refs or modules);
 * paths in the order shown.  0, or -1 with an exception set; free t
 * with snapselect_free either way. */
int snapselect_paths(snap_graph_t *g, uint32_t target, uint32_t max_paths,
                     target_t *t);
void snapselect_free(target_t *t);

#endif /* WHYALIVE_SNAPSELECT_H */
