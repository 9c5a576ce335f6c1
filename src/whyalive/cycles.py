"""Reference cycles the collector has to break, as it breaks them.

``with whyalive.cycles() as found:`` records the cyclic garbage that the
collections run during the block free, or cannot free: each strongly
connected component of what a collection found unreachable is one
:class:`GarbageCycle`, its members' references labelled as
:func:`whyalive.explain` labels a path (``.peer``, ``[0]``,
``<closure 'x'>``), members whose freeing runs code flagged (``__del__``,
weak references with callbacks, legacy ``tp_del`` finalizers).

How: while a block runs, the collector has ``gc.DEBUG_SAVEALL``, so a
collection appends what it found unreachable to ``gc.garbage`` instead of
clearing it, after running its finalizers and weak reference callbacks
as always.  A ``gc.callbacks`` hook, at the end of that collection, reads
those objects (no user code runs), takes them out of ``gc.garbage`` and
clears them as the collector would have (``tp_clear``), so they are
freed by the collection that found them, not kept.  Objects the
collector cannot free (a legacy finalizer in their cycle) stay in
``gc.garbage``, as they would without the block; :func:`explain_garbage`
says why each object there is there.  A block started while
``gc.DEBUG_SAVEALL`` is already set records the same and leaves
``gc.garbage`` as the program asked.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple

from . import _core
from ._checks import check_classes
from .render.words import (
    describe_cycle_heading,
    describe_cycle_member,
    describe_cycle_reference,
    describe_garbage_reason,
)

__all__ = [
    "CycleLog",
    "CycleMember",
    "CycleReference",
    "GarbageCycle",
    "GarbageEntry",
    "GarbageReport",
    "cycles",
    "explain_garbage",
]

#: The core's member flags (cycles.h), by name.
_FLAG_BITS = (
    (1, "finalizer"),
    (2, "legacy"),
    (4, "weakref_callback"),
    (8, "internal"),
)

_TYPE_MRO = type.__dict__["__mro__"]


def _flag_names(bits: int) -> tuple[str, ...]:
    return tuple(name for bit, name in _FLAG_BITS if bits & bit)


class CycleMember(NamedTuple):
    """One object of a cycle, as it was when the collector found it."""

    id: int
    type_name: str
    name: str
    flags: tuple[str, ...]

    @property
    def has_finalizer(self) -> bool:
        """Does freeing it run code (``__del__``, ``tp_del``)?"""
        return "finalizer" in self.flags

    @property
    def legacy_finalizer(self) -> bool:
        """Has it a legacy finalizer (``tp_del``), which the collector
        cannot run, so that its cycle stays in ``gc.garbage``?"""
        return "legacy" in self.flags

    @property
    def weakref_callback(self) -> bool:
        """Is it a weak reference with a callback?"""
        return "weakref_callback" in self.flags


class CycleReference(NamedTuple):
    """A reference between two members: indices into
    :attr:`GarbageCycle.members`, labelled as paths are."""

    source: int
    target: int
    label: str
    kind: str


class GarbageCycle(NamedTuple):
    """One strongly connected component of a collection's garbage.

    ``str()`` reads as the members, numbered, each with its references
    to the others::

        cycle of 2 objects (app.Node x2), freed by a collection of generation 2
          #1 app.Node  .peer -> #2
          #2 app.Node  .peer -> #1
    """

    members: tuple[CycleMember, ...]
    references: tuple[CycleReference, ...]
    freed: bool
    generation: int

    @property
    def type_names(self) -> tuple[str, ...]:
        """The members' types, sorted, with repeats."""
        return tuple(sorted(m.type_name for m in self.members))

    @property
    def finalizers(self) -> tuple[CycleMember, ...]:
        """The members whose freeing runs code."""
        return tuple(m for m in self.members if m.has_finalizer or m.weakref_callback)

    def lines(self) -> list[str]:
        """``str(cycle)`` as lines."""
        counts = Counter(m.type_name for m in self.members)
        heading = describe_cycle_heading(
            len(self.members), sorted(counts.items()), self.freed, self.generation
        )
        out: list[list[str]] = [[] for _ in self.members]
        for ref in self.references:
            out[ref.source].append(describe_cycle_reference(ref.label, ref.target + 1))
        lines = [heading]
        for i, member in enumerate(self.members):
            text = describe_cycle_member(
                i + 1, member.type_name, member.name, member.flags
            )
            lines.append(f"  {text}  {', '.join(out[i])}".rstrip())
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


class GarbageEntry(NamedTuple):
    """An object of ``gc.garbage`` and why it is there."""

    index: int
    id: int
    type_name: str
    name: str
    reason: str

    def __str__(self) -> str:
        what = describe_cycle_member(self.index + 1, self.type_name, self.name, ())
        return f"{what}: {self.reason}"


class GarbageReport(NamedTuple):
    """:func:`explain_garbage`'s answer: one entry per object of
    ``gc.garbage`` (an owner's ``__dict__`` and closure cells are shown
    with their owner), numbered by their position there."""

    entries: tuple[GarbageEntry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[GarbageEntry]:  # type: ignore[override]
        return iter(self.entries)

    def __str__(self) -> str:
        if not self.entries:
            return "gc.garbage is empty"
        return "\n".join(str(entry) for entry in self.entries)


class CycleLog:
    """What a :func:`cycles` block saw: the cycles, in the order the
    collections found them.  It holds no reference to any of them.

    >>> import gc, whyalive
    >>> class Node: pass
    >>> with whyalive.cycles() as found:
    ...     a, b = Node(), Node()
    ...     a.peer, b.peer = b, a
    ...     del a, b
    ...     _ = gc.collect()
    >>> [c for c in found if "Node" in c.type_names[0]][0].references[0].label
    '.peer'
    """

    def __init__(self, classes: tuple[type, ...]) -> None:
        self._classes = classes
        self.cycles: list[GarbageCycle] = []
        #: Collections that ran during the block.
        self.collections = 0
        #: Objects the collections found unreachable, cyclic or not.
        self.garbage_found = 0

    def __len__(self) -> int:
        return len(self.cycles)

    def __iter__(self) -> Iterator[GarbageCycle]:
        return iter(self.cycles)

    def __getitem__(self, index: int) -> GarbageCycle:
        return self.cycles[index]

    @property
    def freed(self) -> list[GarbageCycle]:
        """The cycles the collector freed."""
        return [c for c in self.cycles if c.freed]

    @property
    def not_freed(self) -> list[GarbageCycle]:
        """The cycles the collector could not free (left in ``gc.garbage``)."""
        return [c for c in self.cycles if not c.freed]

    def by_type(self) -> Counter[str]:
        """Members of all cycles, counted by type name."""
        return Counter(m.type_name for c in self.cycles for m in c.members)

    def __str__(self) -> str:
        cycles = "cycle" if len(self.cycles) == 1 else "cycles"
        runs = "collection" if self.collections == 1 else "collections"
        lines = [
            f"{len(self.cycles)} {cycles} in {self.collections} {runs} "
            f"({len(self.freed)} freed, {len(self.not_freed)} not freed)"
        ]
        for cycle in self.cycles:
            lines += cycle.lines()
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CycleLog {len(self.cycles)} cycles, {self.collections} collections>"

    def _record(
        self, objects: list[Any], graph: tuple, freed_count: int, generation: int
    ) -> None:
        nodes, edges, components = graph
        self.collections += 1
        self.garbage_found += len(objects)
        for component in sorted(components, key=min):
            members = sorted(component)
            if self._classes and not any(
                _is_instance(objects[i], self._classes) for i in members
            ):
                continue
            position = {node: k for k, node in enumerate(members)}
            self.cycles.append(
                GarbageCycle(
                    tuple(
                        CycleMember(
                            nodes[i][0],
                            nodes[i][1],
                            nodes[i][2],
                            _flag_names(nodes[i][3]),
                        )
                        for i in members
                    ),
                    tuple(
                        CycleReference(position[s], position[d], label, kind)
                        for s, d, label, kind in edges
                        if s in position and d in position
                    ),
                    all(i < freed_count for i in members),
                    generation,
                )
            )


def _is_instance(obj: Any, classes: tuple[type, ...]) -> bool:
    """isinstance without a metaclass's ``__instancecheck__``."""
    mro = _TYPE_MRO.__get__(type(obj))
    return any(cls in mro for cls in classes)


class _State:
    """The hook's state: one hook and one DEBUG_SAVEALL for all blocks
    (nested, or in several threads); the lock guards entering and
    leaving, the GIL the hook."""

    lock = threading.Lock()
    logs: ClassVar[list[CycleLog]] = []
    base: int | None = None  # len(gc.garbage) when a collection started
    saved_debug = 0  # the program's flags before the first block
    program_saves = False  # DEBUG_SAVEALL was the program's own


def _on_collection(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _State.base = len(gc.garbage)
        return
    base, _State.base = _State.base, None
    logs = list(_State.logs)
    if base is None or not logs:
        return
    garbage = gc.garbage
    found = garbage[base:]
    if not found:
        for log in logs:
            log.collections += 1
        return
    uncollectable = min(info.get("uncollectable", 0), len(found))
    freed_count = len(found) - uncollectable
    try:
        graph = _core.cycles_graph(found)
        for log in logs:
            log._record(found, graph, freed_count, info.get("generation", -1))
        del graph
    finally:
        if not _State.program_saves:
            # what the collector would have freed: out of gc.garbage, cleared
            del garbage[base : base + freed_count]
            del found[freed_count:]
            _core.cycles_clear(found)
        found.clear()


class cycles:
    """Records the reference cycles that the collections during the
    block free, or cannot free; ``as`` gives the :class:`CycleLog`.

    ``classes``: record only the cycles holding an instance of one of
    them (subclasses included).  Nothing found is kept alive: each
    collection's garbage is freed by that collection (see the module's
    documentation for how).

    >>> import gc, whyalive
    >>> class Parent: pass
    >>> with whyalive.cycles(classes=(Parent,)) as found:
    ...     p = Parent()
    ...     p.children = [p]
    ...     del p
    ...     _ = gc.collect()
    >>> print(found[0])  # doctest: +ELLIPSIS
    cycle of 2 objects (list, ...Parent), freed by a collection of generation 2
      #1 ...Parent  .children -> #2
      #2 list  [0] -> #1
    """

    def __init__(self, classes: tuple[type, ...] | None = None) -> None:
        self._log = CycleLog(
            check_classes(classes, "classes") if classes is not None else ()
        )
        self._entered = False

    def __enter__(self) -> CycleLog:
        if self._entered:
            raise RuntimeError("a cycles() block cannot be entered twice")
        self._entered = True
        with _State.lock:
            if not _State.logs:
                debug = gc.get_debug()
                _State.saved_debug = debug
                _State.program_saves = bool(debug & gc.DEBUG_SAVEALL)
                _State.base = None
                gc.callbacks.append(_on_collection)
                gc.set_debug(debug | gc.DEBUG_SAVEALL)
            _State.logs.append(self._log)
        return self._log

    def __exit__(self, *exc: object) -> None:
        with _State.lock:
            _State.logs.remove(self._log)
            if not _State.logs:
                if not _State.program_saves:
                    gc.set_debug(gc.get_debug() & ~gc.DEBUG_SAVEALL)
                if _on_collection in gc.callbacks:
                    gc.callbacks.remove(_on_collection)


def explain_garbage() -> GarbageReport:
    """Why each object in ``gc.garbage`` is there: its own legacy
    finalizer (``tp_del``), a legacy finalizer's cycle that holds it,
    ``gc.DEBUG_SAVEALL``, or the program's own doing.

    >>> import whyalive
    >>> print(whyalive.explain_garbage())  # doctest: +SKIP
    #1 app.Legacy (tp_del: the collector cannot free it): it has a legacy ...
    """
    objects = list(gc.garbage)
    try:
        nodes, edges, _components = _core.cycles_graph(objects)
    finally:
        del objects[:]
    saving = bool(gc.get_debug() & gc.DEBUG_SAVEALL)
    legacy = [i for i, node in enumerate(nodes) if node[3] & 2]
    holder: dict[int, int] = {i: i for i in legacy}
    queue = list(legacy)
    out: dict[int, list[int]] = {}
    for s, d, _label, _kind in edges:
        out.setdefault(s, []).append(d)
    while queue:
        node = queue.pop(0)
        for nxt in out.get(node, ()):
            if nxt not in holder:
                holder[nxt] = holder[node]
                queue.append(nxt)
    entries = []
    for i, (oid, type_name, name, flags) in enumerate(nodes):
        if flags & 8:
            continue
        origin = holder.get(i)
        by = None
        if origin is not None and origin != i:
            origin_node = nodes[origin]
            by = describe_cycle_member(origin + 1, origin_node[1], origin_node[2], ())
        reason = describe_garbage_reason(bool(flags & 2), by, saving)
        entries.append(GarbageEntry(i, oid, type_name, name, reason))
    return GarbageReport(tuple(entries))
