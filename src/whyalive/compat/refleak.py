"""refleak's call shapes on whyalive: switch a suite by changing an import.

``from whyalive.compat.refleak import assert_no_instances, Snapshot`` takes
the arguments ``refleak.testing`` takes (``objs=``, ``extra_info=``,
``max_depth=``, ``max_lines=``, ``freeze=``) and fails in the same cases
with the same summary line (``Found 2 app.Widget @ after test:``), one
section per survivor headed ``Widget @ 0x...:``.  Under each header is
whyalive's tree, which says more than refleak's chain:

- every path ends at its root: a module global, a local of a running
  frame, a reference from outside the object graph, cyclic garbage;
- a local of a running function holding the object is a retainer, so a
  test's own variable is reported (refleak does not see it);
- no ``repr()`` of user objects is taken: nothing of yours runs while
  the heap is read;
- ``max_depth`` and ``max_lines`` bound what is printed, not the search.

The pass count of refleak's own test suite against this module, and the
list of its tests that fail by design, are in the README.

>>> from whyalive.compat.refleak import assert_no_instances
>>> class Leaky: pass
>>> kept = [Leaky()]
>>> assert_no_instances(Leaky, "after test")
Traceback (most recent call last):
AssertionError: Found 1 whyalive.compat.refleak.Leaky @ after test:
Leaky @ 0x...:
└── [0] in list
...
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any

from .. import testing
from .._names import type_qualname
from ..query import explain, explain_ids
from ..render.text import render_target
from ..report import Report

__all__ = ["Snapshot", "assert_no_instances", "gc_collect_once", "referrer_chain"]

#: How many freeze-mode snapshots hold the heap frozen (only the outermost
#: one unfreezes it: ``gc.unfreeze()`` thaws everything).
_freeze_depth = 0


def gc_collect_once(request: Any = None) -> None:
    """``gc.collect()``, once per pytest test item when ``request`` is given.

    Sets refleak's marker attribute on the node too, for fixtures that
    read it.

    >>> gc_collect_once()
    """
    testing.gc_collect_once(request)
    node = testing.node_of(request)
    if node is not None:
        node._refleak_gc_collected = True


def assert_no_instances(
    cls: type | tuple[type, ...],
    when: str = "",
    *,
    request: Any = None,
    objs: list | None = None,
    extra_info: Callable[[Any], Iterable[str]] | None = None,
    max_depth: int = 5,
    max_lines: int = 40,
) -> None:
    """Fail if an instance of ``cls`` is alive, with why each one is.

    ``objs`` is a ``gc.get_objects()`` list to look in (default: a fresh
    one); ``extra_info(obj)`` returns lines put before the survivor's
    section.

    >>> class Figure: pass
    >>> assert_no_instances(Figure, "after close")
    """
    __tracebackhide__ = True
    gc_collect_once(request)
    message = _check(cls, set(), objs, extra_info, max_depth, max_lines, _fullname(cls))
    if message:
        raise AssertionError(_summary(message[0], _fullname(cls), when) + message[1])


class Snapshot:
    """refleak's ``Snapshot``: the matches alive now, by id (or a frozen heap).

    ``match`` is a class, a tuple of classes or a predicate; ``label`` the
    adjective of the summary (``Found 2 new VTK objects``).  With
    ``freeze=True`` the heap is frozen with ``gc.freeze()`` instead of
    recorded, and :meth:`assert_no_new` (or :meth:`thaw`) unfreezes it.

    >>> class Actor: pass
    >>> snap = Snapshot(Actor)
    >>> snap.assert_no_new("after render")
    """

    def __init__(
        self,
        match: Any,
        *,
        label: str | None = None,
        collect: bool = True,
        objs: list | None = None,
        freeze: bool = False,
    ) -> None:
        if isinstance(match, tuple):
            if not all(isinstance(m, type) for m in match):
                raise TypeError(f"match tuple must contain only types, got {match!r}")
        elif not isinstance(match, type) and not callable(match):
            raise TypeError(
                "match must be a type, a tuple of types or a callable, got "
                f"{type(match).__name__}"
            )
        if freeze and objs is not None:
            raise TypeError(
                "objs= cannot be combined with freeze=True: with freeze, the "
                "frozen heap says what existed before"
            )
        self._match = match
        if label is None:
            if isinstance(match, type):
                label = _fullname(match)
            elif isinstance(match, tuple):
                label = "(" + " | ".join(_fullname(m) for m in match) + ")"
            else:
                label = ""
        self._label = label
        self._frozen = False
        self._before: set[int] = set()
        if freeze:
            global _freeze_depth
            gc.freeze()
            _freeze_depth += 1
            self._frozen = True
            return
        if objs is None:
            if collect:
                gc.collect()
            objs = gc.get_objects()
        self._before = set(_matches(match, objs))
        del objs

    def thaw(self) -> None:
        """Undo this snapshot's ``gc.freeze()``, if any; safe to repeat."""
        global _freeze_depth
        if not self._frozen:
            return
        self._frozen = False
        _freeze_depth = max(_freeze_depth - 1, 0)
        if _freeze_depth == 0:
            gc.unfreeze()

    def assert_no_new(
        self,
        when: str = "",
        *,
        request: Any = None,
        objs: list | None = None,
        extra_info: Callable[[Any], Iterable[str]] | None = None,
        max_depth: int = 5,
        max_lines: int = 40,
    ) -> None:
        """Fail if a match made since the snapshot is alive, saying why."""
        __tracebackhide__ = True
        frozen = self._frozen and objs is None
        try:
            gc_collect_once(request)
            if frozen:
                # what the collector sees while frozen is what is new
                new = set(_matches(self._match, gc.get_objects()))
        finally:
            self.thaw()
        before = self._before
        if frozen:
            before = set(_matches(self._match, gc.get_objects())) - new
        message = _check(
            self._match, before, objs, extra_info, max_depth, max_lines, self._label
        )
        if message:
            count = message[0]
            what = f"new {self._label} object" if self._label else "new object"
            what += "" if count == 1 else "s"
            raise AssertionError(_summary(count, what, when) + message[1])


def referrer_chain(
    obj: Any,
    *,
    max_depth: int = 5,
    max_lines: int = 40,
    exclude_ids: Iterable[int] = (),
    objs: list | None = None,
) -> tuple[list[str], bool]:
    """What holds ``obj``: (tree lines, whether anything holds it).

    >>> class Node: pass
    >>> n = Node()
    >>> holder = [n]
    >>> lines, held = referrer_chain(n)
    >>> held, any("[0] in list" in line for line in lines)
    (True, True)
    """
    exclude = [*exclude_ids, *(() if objs is None else (objs,))]
    report = explain(obj, exclude=exclude).without_unreferenced()
    if not report.targets:
        return [], False
    return _lines(report, max_depth, max_lines, as_code=False), True


# --------------------------------------------------------------------------


def _check(
    match: Any,
    before: set[int],
    objs: list | None,
    extra_info: Any,
    max_depth: int,
    max_lines: int,
    label: str,
) -> tuple[int, str] | None:
    """(survivor count, the sections) or None when nothing new is alive."""
    scanned = objs is None
    if scanned:
        objs = gc.get_objects()
    alive: dict[int, type] = {}
    extra: dict[int, list[str]] = {}
    for ident, obj in _matches(match, objs).items():
        if ident in before:
            continue
        alive[ident] = type(obj)
        if extra_info is not None:
            extra[ident] = [str(line) for line in extra_info(obj)]
    obj = None
    exclude = () if scanned else (objs,)
    del objs
    if not alive:
        return None
    report = explain_ids(alive, max_paths=3, exclude=exclude)
    report = report.without_unreferenced()
    if not report.targets:
        return None
    sections = []
    for target in report.targets:
        single = Report((target,), report.partial_reason, report.stats)
        short = target.type_name.rsplit(".", 1)[-1]
        sections.extend(extra.get(target.id, []))
        sections.append(f"{short} @ {target.id:#x}:")
        sections.extend(_lines(single, max_depth, max_lines))
    return len(report.targets), "\n" + "\n".join(sections)


def _lines(
    report: Report, max_depth: int, max_lines: int, as_code: bool = True
) -> list[str]:
    """The tree under the target's own line, cut to max_depth and max_lines,
    then (``as_code``) each path from a module global as one line of code."""
    target = report.targets[0]
    tree = render_target(target).splitlines()[1:]
    shown = [line for line in tree if _depth(line) <= max(max_depth, 1)]
    if len(shown) < len(tree):
        hidden = len(tree) - len(shown)
        shown.append(f"└── ... ({hidden} lines deeper than max_depth={max_depth})")
    for path in target.paths if as_code else ():
        if path.root.kind == "module" and path.edges:
            shown.append(f"    as code: {path.expression}")
    if len(shown) > max_lines:
        shown = [*shown[:max_lines], "... (truncated)"]
    return shown


def _depth(line: str) -> int:
    """1 for a line right under the target, 2 under that, ..."""
    for index, char in enumerate(line):
        if char in "├└":
            return index // 4 + 1
    return 1


def _matches(match: Any, objs: Iterable[Any]) -> dict[int, Any]:
    """id -> object of the matches among ``objs``; a check that raises is
    a miss."""
    found: dict[int, Any] = {}
    predicate = None if isinstance(match, (type, tuple)) else match
    for obj in objs:
        try:
            hit = predicate(obj) if predicate else isinstance(obj, match)
        except Exception:
            continue
        if hit:
            found[id(obj)] = obj
    return found


def _summary(count: int, what: str, when: str) -> str:
    return f"Found {count} {what}" + (f" @ {when}" if when else "") + ":"


def _fullname(cls: Any) -> str:
    if isinstance(cls, tuple):
        return "(" + " | ".join(_fullname(c) for c in cls) + ")"
    if not isinstance(cls, type):
        cls = type(cls)
    return type_qualname(cls, builtins=False)
