"""Heap snapshots: what is alive, how much memory it holds, and since when.

:func:`heap_snapshot` walks the heap once (the walk :func:`whyalive.explain`
makes, every object it sees: tracked by the collector, frozen, or reached
from those) and keeps it as plain data in C arrays: per object its id,
type, shallow size and name, per reference its referent and label, and
the roots.  It keeps no reference to any object, so it never keeps
anything alive, and every query takes ids: the same calls work on a
snapshot loaded from a file in another process.

Shallow sizes never run Python code: for an object whose ``__sizeof__`` is
a builtin's C method (every built-in type, and classes that do not
define their own) it is what ``sys.getsizeof`` says; otherwise the
object's layout (basic size + items * item size + inline attribute
values + GC header).  Retained sizes come from the dominator tree over a
virtual root above every root: an object's retained size is what freeing
it would free.
"""

from __future__ import annotations

import bisect
import gc
import os
import re
import struct
import sys  # noqa: F401 (the docstring examples')
import time
from array import array
from collections.abc import Iterator
from typing import Any, NamedTuple

from . import _core, _stack, dump
from ._checks import check_bool, check_int
from ._tool import TOOL_PREFIX, thread_names
from .ranking import CANDIDATES_PER_PATH, rank_target
from .render import heapsnapshot
from .render.words import describe_retainer_row, describe_size
from .report import Report, Stats
from .vocab import EDGE_KINDS

__all__ = [
    "HeapSnapshot",
    "RetainerRow",
    "SnapshotArrays",
    "SnapshotDiff",
    "SnapshotNode",
    "TypeDelta",
    "heap_snapshot",
    "load_snapshot",
    "retained_size",
]

#: Positions in the core's data tuple (``_core.snapshot_capture``).
_STRINGS, _IDS, _TYPES, _SIZES, _NAMES, _REFCOUNTS, _SEEN = range(7)
_EDGE_START, _EDGES, _EDGE_LABELS, _LABELS, _MODULES, _REFS, _STATS = range(8, 15)
_BIG = 15
#: The mark of a size kept in the big values (snapshot.h), and its field.
_SIZE_IN_BIG = 0xFFFFFFFF
_BIG_SIZE = 0
_BIG_ITEM = struct.Struct("=IIQ")
#: An edge label's two top bits (snapshot.h): 10, a list's or tuple's item
#: "[i]"; 11, a dict's value under the str key strings[k]; i and k in the
#: low 30 bits.  Format 3 wrote items as labels with text -1
#: (SNAP_INDEX_TEXT).
_LABEL_TAG = 0xC0000000
_LABEL_ITEM = 0x80000000
_LABEL_STR_KEY = 0xC0000000
_LABEL_PAYLOAD = 0x3FFFFFFF
_INDEX_TEXT = -1
#: Lookups by id that scan the ids before the id order is sorted: a
#: scan costs a fiftieth of the sort or less (1M objects: 0.25-0.5 ms
#: against 26 ms).
_SCANS_BEFORE_INDEX = 16
#: idom value of an object directly under the roots.
_NO_DOMINATOR = 0xFFFFFFFF
#: A dominated child holding at least this share of an object's retained
#: size makes the child, not the object, the answer of top_retainers.
_FOCUS_SHARE = 0.9


class SnapshotArrays(NamedTuple):
    """A snapshot's data as arrays, for writers of other formats: per
    object (by node number) ``ids``, ``types`` and ``names`` (indices into
    ``strings``) and ``sizes`` (an ``array("Q")``, made when asked); its
    references ``edges[edge_start[n]:
    edge_start[n + 1]]`` (referent node, high bit set for a reference into
    a container its owner keeps internally) with ``edge_labels`` (label
    numbers: label ``k`` is ``labels[5k:5k + 5]``, its text in
    ``strings`` (-1: ``"[index]"``), its kind in ``edge_kind_names``, its
    role, its key in ``strings`` or -1, its index or -1; a number with the
    high bit set has no entry in ``labels``: ``0x80000000 | i`` is a list's
    or tuple's item ``"[i]"``, ``0xC0000000 | k`` a dict's value under the
    str key ``strings[k]``; read any with :meth:`label_text`,
    :meth:`item_index` and :meth:`key_index`); ``roots``, ``(node, name)``.
    """

    strings: list[str]
    ids: memoryview
    types: memoryview
    sizes: array
    names: memoryview
    edge_start: memoryview
    edges: memoryview
    edge_labels: memoryview
    labels: memoryview
    roots: list[tuple[int, str]]
    edge_kind_names: tuple[str, ...]

    #: The top bits of an edge label that make it a list's or tuple's item,
    #: and those that make it a dict's value under a str key.
    LABEL_ITEM = _LABEL_ITEM
    LABEL_STR_KEY = _LABEL_STR_KEY

    def label_text(self, label: int) -> str:
        """The text of label number ``label``: a list's or tuple's item
        reads ``"[index]"`` and has no string of its own.

        >>> import whyalive
        >>> held = [object(), object()]
        >>> arrays = whyalive.heap_snapshot().arrays
        >>> row = arrays.ids.tolist().index(id(held))
        >>> start = arrays.edge_start[row]
        >>> arrays.label_text(arrays.edge_labels[start])
        '[1]'
        """
        index = self.item_index(label)
        if index >= 0:
            return f"[{index}]"
        key = self.key_index(label)
        if key >= 0:
            return _core.dict_key_text(self.strings[key])
        return self.strings[self.labels[5 * label]]

    def item_index(self, label: int) -> int:
        """The index of a list's or tuple's item when label number
        ``label`` is ``"[index]"``, else -1.

        >>> import whyalive
        >>> held = [object(), object()]
        >>> arrays = whyalive.heap_snapshot().arrays
        >>> row = arrays.ids.tolist().index(id(held))
        >>> arrays.item_index(arrays.edge_labels[arrays.edge_start[row]])
        1
        """
        if label & _LABEL_TAG == _LABEL_ITEM:
            return label & _LABEL_PAYLOAD
        if label & _LABEL_ITEM or self.labels[5 * label] != _INDEX_TEXT:
            return -1
        return self.labels[5 * label + 4]

    def key_index(self, label: int) -> int:
        """The index in ``strings`` of the key when label number ``label``
        is a dict's value under a str key, else -1 (a label in ``labels``
        keeps its key in its fourth field).

        >>> import whyalive
        >>> held = {"answer": object()}
        >>> arrays = whyalive.heap_snapshot().arrays
        >>> row = arrays.ids.tolist().index(id(held))
        >>> label = arrays.edge_labels[arrays.edge_start[row]]
        >>> arrays.strings[arrays.key_index(label)], arrays.label_text(label)
        ('answer', "['answer']")
        """
        if label & _LABEL_TAG == _LABEL_STR_KEY:
            return label & _LABEL_PAYLOAD
        return -1


class SnapshotNode:
    """One object of a snapshot: ``(id, type_name, size, retained_size,
    dominator, name, count)``, where ``dominator`` is the id of its
    immediate dominator (None directly under the roots) and ``count`` the
    objects it keeps alive, itself included.

    >>> node = SnapshotNode((0x10, "list", 56, 112, None, "", 2))
    >>> node.type_name, node.retained_size, node.dominator
    ('list', 112, None)
    """

    __slots__ = ("_data",)

    def __init__(self, data: tuple) -> None:
        self._data = data

    id = property(lambda self: self._data[0], doc="id() of the object.")
    type_name = property(lambda self: self._data[1])
    size = property(lambda self: self._data[2], doc="Shallow size in bytes.")
    retained_size = property(
        lambda self: self._data[3], doc="Bytes freeing it would free, its own too."
    )
    dominator = property(
        lambda self: self._data[4],
        doc="id of its immediate dominator, None directly under the roots.",
    )
    name = property(lambda self: self._data[5], doc="Its __qualname__/name, or ''.")
    count = property(lambda self: self._data[6], doc="Objects it keeps alive.")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnapshotNode) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        size, retained = describe_size(self.size), describe_size(self.retained_size)
        return (
            f"<SnapshotNode {self.type_name} at {self.id:#x}: {size},"
            f" retains {retained}>"
        )


class RetainerRow:
    """One row of :meth:`HeapSnapshot.top_retainers`: ``(id, type_name,
    retained_size, count, expression)``; ``str(row)`` is one line.

    >>> print(RetainerRow((0x10, "list", 8_100_000, 81, "app.CACHE.pages")))
    8.1 MB  app.CACHE.pages  (list, 81 objects)
    """

    __slots__ = ("_data",)

    def __init__(self, data: tuple) -> None:
        self._data = data

    id = property(lambda self: self._data[0])
    type_name = property(lambda self: self._data[1])
    retained_size = property(lambda self: self._data[2])
    count = property(lambda self: self._data[3], doc="Objects it keeps alive.")
    expression = property(lambda self: self._data[4], doc="Its path from a root.")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RetainerRow) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __str__(self) -> str:
        return describe_retainer_row(
            describe_size(self.retained_size),
            self.expression,
            self.type_name,
            self.count,
        )

    def __repr__(self) -> str:
        return f"<RetainerRow {self}>"


class TypeDelta:
    """One type in :meth:`SnapshotDiff.by_type`: ``(type_name, count_delta,
    size_delta, count, size)``, ``count`` and ``size`` those of the later
    snapshot.

    >>> TypeDelta(("dict", 3, 600, 10, 2000)).size_delta
    600
    """

    __slots__ = ("_data",)

    def __init__(self, data: tuple) -> None:
        self._data = data

    type_name = property(lambda self: self._data[0])
    count_delta = property(lambda self: self._data[1])
    size_delta = property(lambda self: self._data[2])
    count = property(lambda self: self._data[3])
    size = property(lambda self: self._data[4])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeDelta) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return (
            f"<TypeDelta {self.type_name}: {self.count_delta:+d} objects,"
            f" {self.size_delta:+d} bytes>"
        )


class HeapSnapshot:
    """Every object of the heap at one moment, as data: see the module.

    ``len(snap)`` objects of ``snap.total_size`` bytes; queries take ids.

    >>> import whyalive
    >>> class Page: pass
    >>> pages = [Page() for _ in range(3)]
    >>> snap = whyalive.heap_snapshot()
    >>> snap.node(id(pages[0])).dominator == id(pages)
    True
    """

    __slots__ = (
        "_by_id",
        "_checked",
        "_data",
        "_dominators",
        "_scans",
        "_search",
        "_thread_names",
    )

    def __init__(
        self,
        data: tuple,
        thread_names: dict[int, str] | None = None,
        *,
        _checked: Any = None,
    ) -> None:
        # the core's checked snapshot, which the queries take: made by the
        # capture or the loader that checked it, else checked here
        self._checked = _checked if _checked is not None else _core.snapshot_check(data)
        self._data = data
        self._thread_names = dict(thread_names or {})
        self._by_id: bytes | None = None
        self._scans = 0
        self._dominators: tuple | None = None
        self._search: tuple | None = None

    # -- the data --------------------------------------------------------

    def _array(self, field: int, code: str) -> memoryview:
        return memoryview(self._data[field]).cast(code)

    def _big_sizes(self) -> dict[int, int]:
        """{node: size} of the few sizes too big for the 32-bit array."""
        return {
            node: value
            for node, field, value in _BIG_ITEM.iter_unpack(self._data[_BIG])
            if field == _BIG_SIZE
        }

    def _size(self, n: int) -> int:
        size = self._array(_SIZES, "I")[n]
        return self._big_sizes()[n] if size == _SIZE_IN_BIG else size

    def _sizes(self) -> array:
        """Every node's size, 64 bits each."""
        sizes = array("Q", self._array(_SIZES, "I"))
        for node, size in self._big_sizes().items():
            sizes[node] = size
        return sizes

    def _node_of(self, obj_id: Any) -> int:
        check_int(obj_id, "id")
        node = self._find(obj_id)
        if node is None:
            raise KeyError(f"no object with id {obj_id:#x} in the snapshot")
        return node

    def _id_order(self) -> bytes:
        """The nodes in increasing order of id (uint32 each), made once."""
        if self._by_id is None:
            self._by_id = _core.snapshot_by_id(self._checked)
        return self._by_id

    def _find(self, obj_id: int) -> int | None:
        # a few lookups scan the ids; more pay for the sorted order once
        if self._by_id is None and self._scans < _SCANS_BEFORE_INDEX:
            self._scans += 1
            return _core.snapshot_find_id(self._checked, obj_id)
        order = memoryview(self._id_order()).cast("I")
        ids = self._array(_IDS, "Q")
        at = bisect.bisect_left(order, obj_id, key=ids.__getitem__)
        if at == len(order) or ids[order[at]] != obj_id:
            return None
        return order[at]

    def _dominator_arrays(self) -> tuple[memoryview, memoryview, memoryview]:
        if self._dominators is None:
            self._dominators = _core.snapshot_dominators(self._checked)
        idom, retained, count = self._dominators
        return (
            memoryview(idom).cast("I"),
            memoryview(retained).cast("Q"),
            memoryview(count).cast("I"),
        )

    def _searched(self) -> tuple:
        if self._search is None:
            self._search = _core.snapshot_search(self._checked)
        return self._search

    def __len__(self) -> int:
        return len(self._data[_IDS]) // 8

    def __contains__(self, obj_id: object) -> bool:
        if isinstance(obj_id, bool) or not isinstance(obj_id, int):
            return False
        try:
            self._node_of(obj_id)
        except KeyError:
            return False
        return True

    @property
    def total_size(self) -> int:
        """The shallow sizes of every object, in bytes."""
        big = self._big_sizes()
        small = sum(self._array(_SIZES, "I")) - _SIZE_IN_BIG * len(big)
        return small + sum(big.values())

    @property
    def ids(self) -> Iterator[int]:
        """The ids of every object, in the walk's order."""
        return iter(self._array(_IDS, "Q"))

    @property
    def arrays(self) -> SnapshotArrays:
        """The data as arrays (:class:`SnapshotArrays`), read in place."""
        data = self._data
        roots = [(node, name) for node, name in data[_MODULES]]
        roots += [(node, root[1]) for node, _, root in data[_REFS]]
        return SnapshotArrays(
            data[_STRINGS],
            self._array(_IDS, "Q"),
            self._array(_TYPES, "I"),
            self._sizes(),
            self._array(_NAMES, "I"),
            self._array(_EDGE_START, "I"),
            self._array(_EDGES, "I"),
            self._array(_EDGE_LABELS, "I"),
            self._array(_LABELS, "i"),
            roots,
            EDGE_KINDS,
        )

    @property
    def stats(self) -> Stats:
        """What the walk cost (``Stats``; search fields 0)."""
        threads, frames, seconds = self._data[_STATS]
        return Stats(
            len(self),
            len(self._data[_EDGES]) // 4,
            threads,
            frames,
            seconds,
            0.0,
            seconds,
        )

    # -- queries ---------------------------------------------------------

    def node(self, id: int) -> SnapshotNode:
        """The object with this id: its type, sizes and dominator.

        KeyError if the snapshot holds no such object.
        """
        n = self._node_of(id)
        return self._node_at(n)

    def _node_at(self, n: int) -> SnapshotNode:
        strings = self._data[_STRINGS]
        idom, retained, count = self._dominator_arrays()
        dom = idom[n]
        ids = self._array(_IDS, "Q")
        return SnapshotNode(
            (
                ids[n],
                strings[self._array(_TYPES, "I")[n]],
                self._size(n),
                retained[n],
                None if dom == _NO_DOMINATOR else ids[dom],
                strings[self._array(_NAMES, "I")[n]],
                count[n],
            )
        )

    def explain(self, id: int, *, max_paths: int = 3) -> Report:
        """Why the object with this id was alive: the :class:`Report`
        :func:`whyalive.explain` gives, from the snapshot's data.

        KeyError if the snapshot holds no such object.
        """
        _check_max_paths(max_paths)
        return self._explain_nodes([self._node_of(id)], max_paths)

    def _explain_nodes(self, nodes: list[int], max_paths: int) -> Report:
        _check_max_paths(max_paths)
        started = time.monotonic()
        search = self._searched()
        searched = time.monotonic()
        # as explain: the core's candidates, ranked (ranking.py)
        wanted = max_paths * CANDIDATES_PER_PATH
        found = _core.snapshot_explain(self._checked, search, list(nodes), wanted)
        targets = [rank_target(target, max_paths) for target in found]
        done = time.monotonic()
        threads, frames, _ = self._data[_STATS]
        stats = (
            len(self),
            len(self._data[_EDGES]) // 4,
            threads,
            frames,
            searched - started,
            done - searched,
            done - started,
            None,
            0,
        )
        return Report.from_core(
            (None, targets, stats, None), thread_names=self._thread_names
        )

    def retained_size(self, id: int) -> int:
        """Bytes freeing the object with this id would free."""
        return self._dominator_arrays()[1][self._node_of(id)]

    def annotate(self, report: Report) -> Report:
        """``report`` with the retained size of each target and of each
        holder on its paths, as this snapshot knows them (objects it does
        not hold get none): what ``explain(..., sizes=True)`` shows.

        >>> import whyalive
        >>> pages = [bytes(1000)]
        >>> report = whyalive.explain(pages[0])
        >>> sized = whyalive.heap_snapshot().annotate(report)
        >>> sized.targets[0].retained_size == sys.getsizeof(pages[0])
        True
        """
        if not isinstance(report, Report):
            raise TypeError(f"report must be a Report, not {type(report).__name__}")
        _, retained, _ = self._dominator_arrays()
        targets = []
        for target in report.targets:
            wanted = [target.id]
            for path in target.paths:
                wanted.extend(edge.referrer_id for edge in path.edges)
            sizes = {}
            for oid in wanted:
                node = self._find(oid)
                if node is not None:
                    sizes[oid] = retained[node]
            targets.append(target.with_sizes(tuple(sizes.items())))
        return Report(targets, report.partial_reason, report.stats)

    def top_retainers(self, n: int = 10) -> list[RetainerRow]:
        """The ``n`` objects that keep the most memory alive, biggest first.

        An object whose memory is nearly all (90%) in one object it keeps
        alive is represented by that object instead ("app.CACHE.pages"
        rather than "app.CACHE" and its ``__dict__``).  Rows can nest: a
        row's object may keep another row's alive.
        """
        check_int(n, "n")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        _, retained, count = self._dominator_arrays()
        idom_bytes, retained_bytes, _ = self._dominators
        chosen = _core.snapshot_top(idom_bytes, retained_bytes, n, _FOCUS_SHARE)
        strings = self._data[_STRINGS]
        types = self._array(_TYPES, "I")
        ids = self._array(_IDS, "Q")
        rows = []
        # one core call for every row: it prepares the data once
        report = self._explain_nodes(list(chosen), 1)
        for node, target in zip(chosen, report.targets, strict=True):
            paths = target.paths
            expression = paths[0].expression if paths else f"<{target.status}>"
            rows.append(
                RetainerRow(
                    (
                        ids[node],
                        strings[types[node]],
                        retained[node],
                        count[node],
                        expression,
                    )
                )
            )
        return rows

    def by_type(self) -> dict[str, tuple[int, int]]:
        """``{type_name: (count, size)}`` over every object.

        >>> import whyalive
        >>> count, size = whyalive.heap_snapshot().by_type()["dict"]
        >>> count > 0 and size > 0
        True
        """
        return _core.snapshot_type_totals(self._checked)

    def diff(self, earlier: HeapSnapshot) -> SnapshotDiff:
        """What changed since ``earlier``: ``later.diff(earlier)``."""
        if not isinstance(earlier, HeapSnapshot):
            raise TypeError(
                f"earlier must be a HeapSnapshot, not {type(earlier).__name__}"
            )
        return SnapshotDiff(self, earlier)

    def save(self, path: Any, format: str = "whyalive") -> None:
        """Writes the snapshot to ``path``: ``format="whyalive"``, the
        compact versioned file :func:`load_snapshot` reads back (strings
        once, arrays compressed; ``docs/snapshots.md``), or
        ``format="heapsnapshot"``, Chrome DevTools' ``.heapsnapshot`` JSON
        (open it in the Memory tab).

        >>> import os, tempfile, whyalive
        >>> snap = whyalive.heap_snapshot()
        >>> path = os.path.join(tempfile.mkdtemp(), "heap.whyalive")
        >>> snap.save(path)
        >>> len(whyalive.load_snapshot(path)) == len(snap)
        True
        """
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        if format == "whyalive":
            dump.save(self._data, self._thread_names, path)
        elif format == "heapsnapshot":
            heapsnapshot.save(self, path)
        else:
            raise ValueError(
                f"format must be 'whyalive' or 'heapsnapshot', not {format!r}"
            )

    def __repr__(self) -> str:
        return f"<HeapSnapshot {len(self)} objects, {describe_size(self.total_size)}>"


class SnapshotDiff:
    """Two snapshots compared: ``later.diff(earlier)``.

    An object is new when its id (with the same type) is not in the
    earlier snapshot.
    """

    __slots__ = ("_earlier", "_later", "_new")

    def __init__(self, later: HeapSnapshot, earlier: HeapSnapshot) -> None:
        self._later = later
        self._earlier = earlier
        self._new: list[int] | None = None

    def by_type(self) -> list[TypeDelta]:
        """Per type, the change in objects and bytes: biggest growth first."""
        before = self._earlier.by_type()
        after = self._later.by_type()
        rows = []
        for name in set(before) | set(after):
            count, size = after.get(name, (0, 0))
            count0, size0 = before.get(name, (0, 0))
            if (count, size) != (count0, size0):
                rows.append(
                    TypeDelta((name, count - count0, size - size0, count, size))
                )
        rows.sort(key=lambda row: (-row.size_delta, -row.count_delta, row.type_name))
        return rows

    def _new_nodes(self) -> list[int]:
        if self._new is None:
            later, earlier = self._later, self._earlier
            nodes = _core.snapshot_new_nodes(
                later._checked, later._id_order(), earlier._checked, earlier._id_order()
            )
            self._new = memoryview(nodes).cast("I").tolist()
        return self._new

    @property
    def new_ids(self) -> list[int]:
        """Ids of the objects of the later snapshot the earlier lacks."""
        ids = self._later._array(_IDS, "Q")
        return [ids[n] for n in self._new_nodes()]

    def explain_new(
        self, type_name: str | None = None, max_paths: int = 3, *, limit: int = 100
    ) -> Report:
        """Why the new objects (of ``type_name``, or all) are alive: a
        :class:`Report` of at most ``limit`` of them, those sharing a path
        (indices aside: ``[3]`` and ``[4]`` are one path) together, the
        biggest group first."""
        if type_name is not None and not isinstance(type_name, str):
            raise TypeError(
                f"type_name must be a str or None, not {type(type_name).__name__}"
            )
        _check_max_paths(max_paths)
        check_int(limit, "limit")
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        later = self._later
        strings = later._data[_STRINGS]
        types = later._array(_TYPES, "I")
        nodes = [
            n
            for n in self._new_nodes()
            if type_name is None or strings[types[n]] == type_name
        ]
        report = later._explain_nodes(nodes[:limit], max_paths)
        groups: dict[str, list] = {}
        for target in report.targets:
            paths = target.paths
            shape = (
                _INDEX.sub("[*]", paths[0].expression)
                if paths
                else f"<{target.status}>"
            )
            groups.setdefault(shape, []).append(target)
        ordered = sorted(groups.values(), key=len, reverse=True)
        targets = [t for group in ordered for t in group]
        return Report(targets, report.partial_reason, report.stats)

    def __repr__(self) -> str:
        return f"<SnapshotDiff {len(self._new_nodes())} new objects>"


def _check_max_paths(max_paths: Any) -> None:
    check_int(max_paths, "max_paths")
    if max_paths < 1:
        raise ValueError(f"max_paths must be >= 1, got {max_paths}")


#: An index in a path, which explain_new's grouping ignores.
_INDEX = re.compile(r"\[\d+\]")


def heap_snapshot(*, collect: bool = True) -> HeapSnapshot:
    """Every object alive now, with sizes and references: a
    :class:`HeapSnapshot` (see the module for what it holds).

    ``collect=True`` runs ``gc.collect()`` first, so that garbage does not
    count.

    >>> import whyalive
    >>> cache = [bytes(1000) for _ in range(10)]
    >>> snap = whyalive.heap_snapshot()
    >>> snap.retained_size(id(cache)) >= 10 * 1000
    True
    """
    if check_bool(collect, "collect"):
        gc.collect()
    stack_tables = _stack.depth_tables(_core.running_code())
    data, checked = _core.snapshot_capture(
        tool_prefix=TOOL_PREFIX, stack_tables=stack_tables
    )
    del stack_tables
    return HeapSnapshot(data, thread_names(), _checked=checked)


def load_snapshot(path: Any) -> HeapSnapshot:
    """The :class:`HeapSnapshot` ``snap.save(path)`` wrote, here or in
    another process: every query answers as on the original.

    :class:`~whyalive.errors.SnapshotFormatError` if the file is truncated,
    corrupt, of another format version or not a snapshot.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str or path, not {type(path).__name__}")
    data, threads, checked = dump.load(path)
    return HeapSnapshot(data, threads, _checked=checked)


def retained_size(obj: Any) -> int:
    """Bytes that freeing ``obj`` would free (its own and what only it
    keeps alive), from one walk of the heap.

    >>> import sys, whyalive
    >>> blob = [bytes(100) for _ in range(3)]
    >>> expected = sys.getsizeof(blob) + 3 * sys.getsizeof(bytes(100))
    >>> whyalive.retained_size(blob) == expected
    True
    """
    target = id(obj)
    snap = heap_snapshot(collect=False)
    return snap.retained_size(target)
