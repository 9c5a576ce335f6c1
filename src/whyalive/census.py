"""Counting objects by type, growth between two points, objects by type
or address, objects nothing refers to: objgraph's everyday tools, with
its names and parameters, on whyalive's C core.

Every count is one pass over the heap in C (``_core.census_types``):
no Python call per object and no list of all objects, type names made
once per type.  Counted are the objects the garbage collector tracks,
*including* those frozen by :func:`gc.freeze` (which ``gc.get_objects()``
leaves out).  Like objgraph, untracked objects (ints, strs, atomic
tuples and dicts) are not counted.

A type is named by its class (matched exactly), by its short name
(``'dict'``, ``'MyClass'``) or by a qualified one (``'mymodule.MyClass'``,
``'builtins.dict'``; ``'pkg.mod.Outer.Inner'`` for nested classes too).
A name that matches nothing counts 0; anything but a class or a str is a
``TypeError``.
"""

from __future__ import annotations

import gc
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import IO, Any, NamedTuple

from . import _core
from ._checks import check_bool, check_int, check_limit, is_a, kind_of
from ._names import exact_str, type_name
from ._tool import TOOL_PREFIX

__all__ = [
    "LeakingObject",
    "at",
    "at_addrs",
    "by_type",
    "count",
    "find_classes",
    "get_leaking_objects",
    "get_new_ids",
    "growth",
    "leaking_objects",
    "most_common_types",
    "show_growth",
    "show_most_common_types",
    "typestats",
    "typestats_diff",
]

# rows of _core.census_types: (type_id, short, long, qualified, count)
_ID, _SHORT, _LONG, _QUALIFIED, _COUNT = range(5)


def _as_sequence(objects: Any, what: str = "objects") -> list | tuple | None:
    """None, or objects as a list or tuple the core can read in place."""
    if objects is None or is_a(objects, (list, tuple)):
        return objects
    if is_a(objects, (str, bytes)) or not is_a(objects, Iterable):
        raise TypeError(
            f"{what} must be an iterable of objects or None, not {kind_of(objects)}"
        )
    return list(objects)


def _type_matcher(
    typename_or_type: Any, what: str = "typename"
) -> Callable[[tuple], bool]:
    if is_a(typename_or_type, type):
        type_id = id(typename_or_type)
        return lambda row: row[_ID] == type_id
    if is_a(typename_or_type, str):
        name = exact_str(typename_or_type)
        if "." in name:
            return lambda row: row[_LONG] == name or row[_QUALIFIED] == name
        return lambda row: row[_SHORT] == name
    raise TypeError(
        f"{what} must be a class or a type name (str), not {kind_of(typename_or_type)}"
    )


def _names(rows: Iterable[tuple], shortnames: bool) -> dict[str, int]:
    column = _SHORT if shortnames else _LONG
    stats: dict[str, int] = {}
    for row in rows:
        name = row[column]
        stats[name] = stats.get(name, 0) + row[_COUNT]
    return stats


def _all_objects() -> list:
    """Every tracked object, frozen ones included (for user filters)."""
    type_ids = tuple(row[_ID] for row in _core.census_types())
    return _core.census_objects_of(type_ids)


def _check_filter(filter: Any) -> None:
    if filter is not None and not callable(filter):
        raise TypeError(
            f"filter must be a function of one object or None, not {kind_of(filter)}"
        )


def _filtered_rows(objects: Any, filter: Callable[[Any], Any] | None) -> list[tuple]:
    seq = _as_sequence(objects)
    if filter is None:
        return _core.census_types(seq)
    if seq is None:
        seq = _all_objects()
    kept = [o for o in seq if filter(o)]
    del seq
    rows = _core.census_types(kept)
    del kept
    return rows


def find_classes(names: list[str]) -> list[type]:
    """The live classes called ``names``, as the census functions match
    them: a short name matches ``__name__``, a dotted one
    ``module.qualname`` (or ``module.name``).  Every class reachable
    through ``__subclasses__`` is a candidate; no user code runs (the
    names are read through ``type``'s own descriptors).

    >>> class Gadget: pass
    >>> [c.__name__ for c in find_classes(["Gadget"]) if c is Gadget]
    ['Gadget']
    """
    wanted_short = {n for n in names if "." not in n}
    wanted_long = {n for n in names if "." in n}
    found = []
    for cls in _all_classes():
        # exact str copies: a name of a str subclass must not have its
        # __hash__, __eq__ or __format__ run by the lookups below
        name = exact_str(_type_attr("__name__", cls), "?")
        if name in wanted_short:
            found.append(cls)
            continue
        module = exact_str(_type_attr("__module__", cls), "?")
        qualname = exact_str(_type_attr("__qualname__", cls), "?")
        if f"{module}.{qualname}" in wanted_long or f"{module}.{name}" in wanted_long:
            found.append(cls)
    return found


def _type_attr(attr: str, cls: type) -> Any:
    try:
        return type.__dict__[attr].__get__(cls)
    except Exception:
        return None


def _all_classes() -> list[type]:
    subclasses = type.__dict__["__subclasses__"]
    seen = {id(object)}
    found: list[type] = [object]
    stack = [object]
    while stack:
        for sub in subclasses(stack.pop()):
            if id(sub) not in seen:
                seen.add(id(sub))
                found.append(sub)
                stack.append(sub)
    return found


def count(typename: Any, objects: Iterable[Any] | None = None) -> int:
    """How many objects of a type are alive (or are among ``objects``).

    ``typename`` is a class (exact type), a short type name or a
    qualified one (objgraph's parameter name, so that its keyword calls
    work).  The count covers every object the collector tracks,
    those frozen by :func:`gc.freeze` included.

    >>> import whyalive
    >>> class CountedGizmo: pass
    >>> gizmos = [CountedGizmo(), CountedGizmo()]
    >>> whyalive.count(CountedGizmo), whyalive.count('CountedGizmo')
    (2, 2)
    >>> whyalive.count('NoSuchType')
    0
    """
    matches = _type_matcher(typename, "typename")
    rows = _core.census_types(_as_sequence(objects))
    return sum(row[_COUNT] for row in rows if matches(row))


def typestats(
    objects: Iterable[Any] | None = None,
    shortnames: bool = True,
    filter: Callable[[Any], Any] | None = None,
) -> dict[str, int]:
    """Counts by type name: ``{'dict': 1203, 'list': 812, ...}``.

    One pass over the heap in C (or over ``objects``).  With
    ``shortnames=False`` names are qualified (``'mymodule.MyClass'``,
    ``'builtins.dict'``), so that classes of the same name in different
    modules are told apart.  ``filter``, a function of one object, keeps
    the objects for which it returns true (it is called once per object,
    after the walk).

    >>> import whyalive
    >>> class TallyGizmo: pass
    >>> g = TallyGizmo()
    >>> whyalive.typestats()['TallyGizmo']
    1
    """
    check_bool(shortnames, "shortnames")
    _check_filter(filter)
    return _names(_filtered_rows(objects, filter), shortnames)


def most_common_types(
    limit: int | None = 10,
    objects: Iterable[Any] | None = None,
    shortnames: bool = True,
    filter: Callable[[Any], Any] | None = None,
) -> list[tuple[str, int]]:
    """The ``limit`` type names with the most objects, as ``(name, count)``,
    most common first (``limit=None``: all of them).

    >>> import whyalive
    >>> name, n = whyalive.most_common_types(limit=1)[0]
    >>> n > 0
    True
    """
    check_limit(limit)
    stats = typestats(objects, shortnames=shortnames, filter=filter)
    ranked = sorted(stats.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit] if limit else ranked


def show_most_common_types(
    limit: int | None = 10,
    objects: Iterable[Any] | None = None,
    shortnames: bool = True,
    file: IO[str] | None = None,
    filter: Callable[[Any], Any] | None = None,
) -> None:
    """Prints :func:`most_common_types` as a table to ``file`` (stdout).

    >>> import whyalive
    >>> whyalive.show_most_common_types(limit=2)  # doctest: +SKIP
    function                   1867
    tuple                      1447
    """
    stats = most_common_types(limit, objects, shortnames=shortnames, filter=filter)
    out = sys.stdout if file is None else file
    width = max((len(name) for name, _ in stats), default=0)
    for name, n in stats:
        out.write(f"{name:<{width}} {n}\n")


#: growth()'s peak counts between calls, when the caller keeps none.
_PEAK_STATS: dict[str, int] = {}


def growth(
    limit: int | None = 10,
    peak_stats: dict[str, int] = _PEAK_STATS,
    shortnames: bool = True,
    filter: Callable[[Any], Any] | None = None,
    *,
    collect: bool = True,
) -> list[tuple[str, int, int]]:
    """Types whose count rose above its peak since the last call.

    Returns ``(name, count, delta)`` tuples, biggest increase first (at
    most ``limit``; None for all), and raises the peaks in ``peak_stats``
    (by default a dict kept between calls).  Peaks only rise: a type
    that shrank must regrow past its old peak to show again; use
    :func:`typestats_diff` for a plain before/after difference.
    ``collect=False`` skips the full ``gc.collect()`` that runs first.

    >>> import whyalive
    >>> class GrowingGizmo: pass
    >>> _ = whyalive.growth(limit=None)
    >>> gizmos = [GrowingGizmo(), GrowingGizmo()]
    >>> [row for row in whyalive.growth(limit=None) if row[0] == 'GrowingGizmo']
    [('GrowingGizmo', 2, 2)]
    """
    check_limit(limit)
    check_bool(shortnames, "shortnames")
    check_bool(collect, "collect")
    _check_filter(filter)
    if peak_stats is None:
        peak_stats = _PEAK_STATS
    elif not is_a(peak_stats, dict):
        raise TypeError(f"peak_stats must be a dict or None, not {kind_of(peak_stats)}")
    if collect:
        gc.collect()
    stats = typestats(shortnames=shortnames, filter=filter)
    deltas = []
    for name, n in stats.items():
        peak = peak_stats.get(name, 0)
        if n > peak:
            deltas.append((name, n, n - peak))
            peak_stats[name] = n
    deltas.sort(key=lambda row: (-row[2], row[0]))
    return deltas[:limit] if limit else deltas


def show_growth(
    limit: int | None = 10,
    peak_stats: dict[str, int] | None = None,
    shortnames: bool = True,
    file: IO[str] | None = None,
    filter: Callable[[Any], Any] | None = None,
    *,
    collect: bool = True,
) -> None:
    """Prints :func:`growth` as a table to ``file`` (stdout).

    >>> import whyalive
    >>> whyalive.show_growth(limit=1)  # doctest: +SKIP
    function     1867    +1867
    """
    rows = growth(limit, peak_stats, shortnames, filter, collect=collect)
    if not rows:
        return
    out = sys.stdout if file is None else file
    width = max(len(name) for name, _, _ in rows)
    for name, n, delta in rows:
        out.write(f"{name:<{width}}{n:9d} {delta:+9d}\n")


def typestats_diff(
    before: dict[str, int],
    after: dict[str, int] | None = None,
    limit: int | None = 10,
    *,
    shortnames: bool = True,
    collect: bool = True,
) -> list[tuple[str, int, int, int]]:
    """What changed between two :func:`typestats` results.

    ``after`` defaults to the counts now (after a ``gc.collect()`` unless
    ``collect=False``; ``shortnames`` must match how ``before`` was made).
    Returns ``(name, before, after, delta)`` for every type whose count
    changed, biggest increase first and decreases last, at most ``limit``
    of them (None for all).

    >>> import whyalive
    >>> class DiffedGizmo: pass
    >>> before = whyalive.typestats()
    >>> gizmos = [DiffedGizmo() for _ in range(3)]
    >>> [row for row in whyalive.typestats_diff(before) if row[0] == 'DiffedGizmo']
    [('DiffedGizmo', 0, 3, 3)]
    """
    check_limit(limit)
    check_bool(shortnames, "shortnames")
    check_bool(collect, "collect")
    if after is None:
        if collect:
            gc.collect()
        after = typestats(shortnames=shortnames)
    changes = []
    for name in before.keys() | after.keys():
        old, new = before.get(name, 0), after.get(name, 0)
        if old != new:
            changes.append((name, old, new, new - old))
    changes.sort(key=lambda row: (-row[3], row[0]))
    return changes[:limit] if limit else changes


#: get_new_ids()'s state between calls, when the caller keeps none.
_NEW_IDS_STATE: dict[str, Any] = {}

_SORT_COLUMNS = {"old": 1, "current": 2, "new": 3, "deltas": 4}


def get_new_ids(
    skip_update: bool = False,
    limit: int | None = 10,
    sortby: str = "deltas",
    shortnames: bool | None = None,
    file: IO[str] | None = None,
    _state: dict[str, Any] | None = None,
    *,
    collect: bool = True,
) -> defaultdict[str, set[int]]:
    """The ids of the objects created since the last call, by type name.

    Returns ``{type_name: set_of_ids}`` (a defaultdict; the same dict
    object every call) and prints a table of old, current and new
    counts for ``limit`` types (0 prints nothing, None all), sorted by
    ``sortby``: 'old', 'current', 'new' or 'deltas'.  ``skip_update``
    returns the previous result without looking at the heap.
    ``shortnames`` None keeps the previous choice (first: True).  The
    ids come from one pass in C; an object is new when no object of the
    same type had its address last time.  Give the ids to
    :func:`at_addrs` to get the objects.

    >>> import whyalive
    >>> _ = whyalive.get_new_ids(limit=0)
    >>> fresh = [1, 2, 3]
    >>> id(fresh) in whyalive.get_new_ids(limit=0)['list']
    True
    """
    check_bool(skip_update, "skip_update")
    check_limit(limit)
    if shortnames is not None:
        check_bool(shortnames, "shortnames")
    check_bool(collect, "collect")
    state = _NEW_IDS_STATE if _state is None else _state
    if not state:
        state.update(new=defaultdict(set), shortnames=True, rows=[], pairs=b"")
    new_ids = state["new"]
    if skip_update:
        return new_ids
    if sortby not in _SORT_COLUMNS:
        raise ValueError(
            f"sortby must be one of {sorted(_SORT_COLUMNS)}, not {sortby!r}"
        )
    if shortnames is None:
        shortnames = state["shortnames"]
    else:
        state["shortnames"] = shortnames
    if collect:
        gc.collect()
    rows, pairs = _core.census_snapshot()
    fresh = _core.census_new_ids(state["pairs"], pairs)
    column = _SHORT if shortnames else _LONG
    name_of = {row[_ID]: row[column] for row in rows}
    old_counts = _names(state["rows"], shortnames)
    current = _names(rows, shortnames)
    state["rows"], state["pairs"] = rows, pairs
    new_ids.clear()
    for name in current:
        new_ids[name] = set()
    for type_id, addresses in fresh:
        new_ids[name_of[type_id]].update(addresses)
    table = []
    for name in old_counts.keys() | current.keys():
        old, now = old_counts.get(name, 0), current.get(name, 0)
        table.append((name, old, now, len(new_ids.get(name, ())), now - old))
    column_index = _SORT_COLUMNS[sortby]
    table.sort(key=lambda row: (row[column_index], row[0]), reverse=True)
    if limit is not None:
        table = table[:limit]
    if table:
        _print_new_ids(table, sys.stdout if file is None else file)
    return new_ids


def _print_new_ids(table: list[tuple[str, int, int, int, int]], out: IO[str]) -> None:
    width = max(len(row[0]) for row in table)
    rule = "=" * (width + 13 * 4)
    print(rule, file=out)
    print(
        f"{'Type':<{width}}{'Old_ids':>13}{'Current_ids':>13}{'New_ids':>13}"
        f"{'Count_Deltas':>13}",
        file=out,
    )
    print(rule, file=out)
    for name, old, now, new, delta in table:
        print(f"{name:<{width}}{old:13d}{now:13d}{new:+13d}{delta:+13d}", file=out)
    print(rule, file=out)


def by_type(typename: Any, objects: Iterable[Any] | None = None) -> list[Any]:
    """The live objects of a type (or those among ``objects``), in heap order.

    >>> import whyalive
    >>> class TypedGizmo: pass
    >>> g = TypedGizmo()
    >>> whyalive.by_type(TypedGizmo) == [g] == whyalive.by_type('TypedGizmo')
    True
    """
    matches = _type_matcher(typename, "typename")
    seq = _as_sequence(objects)
    type_ids = tuple(row[_ID] for row in _core.census_types(seq) if matches(row))
    if not type_ids:
        return []
    return _core.census_objects_of(type_ids, seq)


def at(addr: int) -> Any:
    """The tracked object whose ``id()`` is ``addr``, or None.

    The address is compared with those of live objects, never followed,
    so any int is safe.  Untracked objects (ints, strs) are not found.

    >>> import whyalive
    >>> box = []
    >>> whyalive.at(id(box)) is box, whyalive.at(12345)
    (True, None)
    """
    found = _core.census_objects_at((check_int(addr, "addr", "an int (an id())"),), 1)
    return found[0] if found else None


def at_addrs(address_set: Iterable[int]) -> list[Any]:
    """The tracked objects whose ids are in ``address_set``, in heap order.

    >>> import whyalive
    >>> a, b = [], [[]]
    >>> len(whyalive.at_addrs({id(a), id(b), 1}))
    2
    """
    if is_a(address_set, (str, bytes)) or not is_a(address_set, Iterable):
        raise TypeError(
            "address_set must be a collection of ints (ids), "
            f"not {kind_of(address_set)}"
        )
    ids = tuple(
        check_int(a, "address_set items", "an int (an id())") for a in address_set
    )
    return _core.census_objects_at(ids)


class LeakingObject(NamedTuple):
    """An object no reference of the object graph points to."""

    object: Any
    type_name: str
    #: its reference count, -1 for an immortal object
    refcount: int
    #: references from outside the object graph (C code, the interpreter),
    #: -1 for an immortal object
    outside: int

    @property
    def held_from_outside(self) -> bool:
        """True when something outside the object graph holds it."""
        return self.outside != 0


def leaking_objects(
    objects: Iterable[Any] | None = None, *, collect: bool = True
) -> list[LeakingObject]:
    """The objects that nothing in the object graph refers to, with the
    references that hold them from outside it.

    Candidates are the tracked objects (or ``objects``); the graph is
    every tracked object, the untracked containers and code objects they
    lead to, the frames of every thread and the thread states.  What is
    left is held from C code or the interpreter itself (``outside``
    counts those references): roots such as ``sys.modules``, or a
    reference-counting bug in an extension.  ``collect=False`` skips the
    ``gc.collect()`` that runs first.  A tuple whose only reference is C
    code's is left out: C code may still be building it (``tuple(gen)``
    in another thread), and a second reference would break that.

    >>> import whyalive
    >>> leaks = whyalive.leaking_objects()
    >>> leak = next(leak for leak in leaks if leak.type_name == 'builtins.dict')
    >>> leak.held_from_outside  # the dict of a static type: C holds it
    True
    """
    seq = _as_sequence(objects)
    if check_bool(collect, "collect"):
        gc.collect()
    excluded = () if seq is None else (seq,)
    rows = _core.census_leaking(seq, excluded, TOOL_PREFIX)
    del seq, excluded
    names = {}
    result = []
    for obj, refcount, outside in rows:
        tp = type(obj)
        name = names.get(tp)
        if name is None:
            name = names[tp] = _long_name(tp)
        result.append(LeakingObject(obj, name, refcount, outside))
    return result


def get_leaking_objects(
    objects: Iterable[Any] | None = None, *, collect: bool = True
) -> list[Any]:
    """The objects that nothing in the object graph refers to.

    objgraph's ``get_leaking_objects``, with whyalive's wider graph:
    untracked containers, code objects, running frames and thread states
    count as referrers, so what is left is held from outside the graph
    (C code, the interpreter) or is a reference-counting bug.
    :func:`leaking_objects` says how many outside references each has.

    >>> import whyalive
    >>> roots = whyalive.get_leaking_objects()
    >>> whyalive.show_most_common_types(objects=roots, limit=2)  # doctest: +SKIP
    dict  317
    tuple 376
    """
    return [row.object for row in leaking_objects(objects, collect=collect)]


def _long_name(tp: type) -> str:
    """``module.Name`` as objgraph spells it (the module's name alone for
    builtins: ``builtins.dict``)."""
    return type_name(tp)
