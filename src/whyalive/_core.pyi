"""Type stubs for whyalive._core, the C core.  Shapes as in its docstrings."""

from typing import Any

_Edge = tuple[str, int, str, str, str]
"""(referrer_type, referrer_id, label, kind, referrer_name)"""

_Root = tuple[str, str, tuple[Any, ...]]
"""(kind, name, detail); detail by kind:
module (module_name, global_name); frame (function, filename, lineno,
thread_id, slot, depth); thread (thread_id,); interpreter (holder, index,
key); external (refcount, seen,
unseen); garbage (hops,); excluded (); unreached (limit,)."""

_Path = tuple[_Root, tuple[_Edge, ...], int]
"""(root, edges from the target outward, length)"""

_Target = tuple[int, str, str, int, int, int, str, tuple[_Path, ...], int]
"""(id, type_name, name, refcount, seen, unseen, status, paths, omitted)"""

_Flat = tuple[list[str], list[_Root], bytes, bytes, bytes, bytes]
"""(texts, roots, targets, paths, hops, edges): find_paths(compact=True)'s
targets.  The last four are native int64 records: a target (id, type_name,
name, refcount, seen, unseen, status, omitted, paths_end), a path (root,
length, hops_end), a hop (edge), an edge (referrer_type, referrer_id,
label, kind, referrer_name).  Names and labels index texts, root indexes
roots, status and kind vocab.STATUSES and vocab.EDGE_KINDS; ids are
unsigned; a target's paths end at paths_end, a path's hops at hops_end,
each starting where the previous one ended."""

_Stats = tuple[int, int, int, int, float, float, float, str | None, int]
"""(nodes, edges, threads, frames, index_seconds, search_seconds,
total_seconds, stopped_in, stopped_at): stopped_in the phase the time ran
out in (whyalive.vocab.PHASES) or None; stopped_at how far it had got"""

def find_paths(
    targets: tuple[Any, ...],
    excluded_objects: tuple[Any, ...],
    excluded_ids: tuple[int, ...],
    tool_prefix: str | None = None,
    instances_of: tuple[type, ...] | None = None,
    max_depth: int = -1,
    max_paths: int = 3,
    timeout: float = 0.0,
    stack_tables: dict[Any, bytes] | None = None,
    want_objects: bool = False,
    progress: bool = False,
    expire_at: str | None = None,
    threads: int = 1,
    compact: bool = False,
) -> tuple[str | None, list[_Target] | _Flat, _Stats, list[Any] | None]:
    """compact=True: the targets as _Flat tables (report.py reads them)"""

def vocabulary() -> dict[str, tuple[str, ...]]:
    """{root_kinds, statuses, frame_slots, thread_fields, interpreter_holders,
    phases, edge_kinds}: the C spelling of whyalive.vocab's names"""

def allocation_traceback(obj: Any, /) -> tuple[tuple[str, int], ...] | None: ...
def running_code() -> list[Any]: ...
def is_interned(s: str, /) -> bool: ...

# --- census: counts and objects by type or address -------------------------

_TypeRow = tuple[int, str, str, str, int]
"""(type_id, short_name, long_name, qualified_name, count)"""

def census_types(
    objects: list[Any] | tuple[Any, ...] | None = None,
) -> list[_TypeRow]: ...
def census_objects_of(
    type_ids: tuple[int, ...], objects: list[Any] | tuple[Any, ...] | None = None
) -> list[Any]: ...
def census_objects_at(ids: tuple[int, ...], limit: int = -1) -> list[Any]: ...
def census_snapshot() -> tuple[list[_TypeRow], bytes]: ...
def census_instances(
    classes: tuple[type, ...], since: tuple[int, ...] | None = None
) -> tuple[tuple[int, ...] | None, dict[int, type], bool]:
    """(stamp, {id: type}, young)"""

def census_new_ids(before: bytes, after: bytes) -> list[tuple[int, list[int]]]: ...
def census_leaking(
    objects: list[Any] | tuple[Any, ...] | None,
    excluded: tuple[Any, ...],
    tool_prefix: str | None = None,
) -> list[tuple[Any, int, int]]:
    """(object, refcount, outside_refs); -1, -1 for immortal objects"""

# --- graph: one level of a breadth-first walk -------------------------------

_GraphEdge = tuple[int, int, int]
"""(referrer, referent, occurrence): indices into nodes, then new_objects"""

_GraphRoot = tuple[int, _Root]
"""(referent, root): the root in find_paths' (kind, name, detail) shape"""

def chain_backrefs(
    obj: Any, max_depth: int, ignore_ids: tuple[int, ...]
) -> tuple[list[Any], bytes]:
    """(objects, parents): breadth first over referrers, one heap walk"""

def graph_referrers(
    nodes: list[Any],
    frontier: tuple[int, ...],
    ignore_ids: tuple[int, ...],
    cap: int = -1,
    tool_prefix: str | None = None,
    roots: bool = False,
) -> tuple[
    list[Any],
    list[_GraphEdge],
    list[tuple[int, int]],
    list[_GraphRoot],
    list[tuple[int, str]],
]:
    """(new_objects, edges, skipped, roots, modules)"""

def graph_referents(
    nodes: list[Any],
    frontier: tuple[int, ...],
    ignore_ids: tuple[int, ...],
    cap: int = -1,
) -> tuple[list[Any], list[_GraphEdge], list[tuple[int, int]]]:
    """(new_objects, edges, skipped)"""

def graph_labels(
    pairs: list[tuple[Any, Any, int, int]],
) -> list[tuple[str, str, str, str | int | None]]:
    """(label, kind, role, part) per (referrer, referent, occurrence, namespace)"""

# --- snapshots: the heap kept as data (snapshot.h) ---------------------------

_SnapshotData = tuple[
    list[str],  # strings; strings[0] == ""
    bytes,  # ids: uint64 per node
    bytes,  # types: uint32 per node, index in strings
    bytes,  # sizes: uint32 per node, shallow; 0xFFFFFFFF: in big
    bytes,  # names: uint32 per node, index in strings
    bytes,  # refcounts: uint32 per node, 0xFFFFFFFE immortal, 0xFFFFFFFF: in big
    bytes,  # seen: uint8 per node; 0xFF: in big
    bytes,  # flags: uint8 per node (1 cell, 2 module dict)
    bytes,  # edge_start: uint32 per node + 1
    bytes,  # edges: uint32 per reference, referent | 0x80000000 when folded
    bytes,  # edge_labels: uint32 per reference, index in labels
    bytes,  # labels: 5 int32 per label (text, kind, role, key, index)
    list[tuple[int, str]],  # modules: (dict_node, module_name)
    list[tuple[int, int, _Root]],  # refs: (node, root_kind, root)
    tuple[int, int, float],  # stats: (threads, frames, seconds)
    bytes,  # big: (node uint32, field uint32, value uint64), by (field, node)
]
"""snapshot_capture's data, which every snapshot query reads"""

_Checked = Any
"""snapshot_check's object (a capsule holding the data): the queries take it in
place of the data and skip the check of every index"""
_SnapshotInput = _SnapshotData | _Checked

def snapshot_capture(
    tool_prefix: str | None = None, stack_tables: dict[Any, bytes] | None = None
) -> tuple[_SnapshotData, _Checked]: ...
def snapshot_check(data: _SnapshotData) -> _Checked: ...
def snapshot_search(data: _SnapshotInput) -> tuple[bytes, bytes]:
    """(dist, reached_by), uint32 per node"""

def snapshot_explain(
    data: _SnapshotInput, search: tuple[bytes, bytes], nodes: list[int], max_paths: int
) -> list[_Target]:
    """the data checked and the reverse index built once for all nodes"""

def snapshot_by_id(data: _SnapshotInput) -> bytes:
    """uint32 nodes in increasing order of id"""

def dict_key_text(key: str) -> str:
    """ "['key']": the label of a dict's value under that str key"""

def snapshot_find_id(data: _SnapshotInput, id: int) -> int | None:
    """the node whose id is id, by a scan of the ids, or None"""

def snapshot_type_totals(data: _SnapshotInput) -> dict[str, tuple[int, int]]:
    """{type name: (objects, bytes)} over every object"""

def snapshot_new_nodes(
    later: _SnapshotInput,
    later_order: bytes,
    earlier: _SnapshotInput,
    earlier_order: bytes,
) -> bytes:
    """uint32 nodes of later whose (id, type name) earlier lacks, in order"""

def snapshot_top(idom: bytes, retained: bytes, n: int, share: float) -> list[int]:
    """the n biggest retainers' nodes, biggest first"""

def snapshot_dominators(data: _SnapshotInput) -> tuple[bytes, bytes, bytes]:
    """(idom uint32, retained uint64, dominated uint32) per node"""

# --- cycles: the garbage one collection found (cycles.h) ----------------------

_CycleNode = tuple[int, str, str, int]
"""(id, type_name, name, flags): 1 finalizer, 2 legacy, 4 weakref callback,
8 internal"""

_CycleEdge = tuple[int, int, str, str]
"""(src, dst, label, kind): indices into nodes, folded as paths are"""

def cycles_graph(
    objects: list[Any],
) -> tuple[list[_CycleNode], list[_CycleEdge], list[tuple[int, ...]]]:
    """(nodes, edges, components)"""

def cycles_clear(objects: list[Any]) -> None:
    """empties objects and tp_clears each of its objects"""
