"""Assertions that turn a leak into a failing test whose message explains it.

Each check collects garbage, finds what survived, and renders why it is
alive: the chain of references from a root (a module global, a local of a
running frame, a reference from C code) down to the object::

    >>> import whyalive
    >>> class Widget: pass
    >>> whyalive.assert_no_instances(Widget, "after closing the window")
    >>> cache = [Widget()]
    >>> whyalive.assert_no_instances(Widget, "after closing the window")
    Traceback (most recent call last):
    AssertionError: 1 Widget alive after closing the window:
    ...

The call shapes are refleak's (``refleak.testing``): ``assert_no_instances``,
``Snapshot``, ``gc_collect_once`` take the same arguments, so a suite
switches by changing an import.  The messages say more: roots, locals of
running frames, references from outside the object graph.

Nothing here keeps a checked object alive: snapshots record ids, watches
hold weak references, and whyalive's own frames and containers never show
as retainers.  This module does not import pytest; a pytest ``request``
is only read (its ``node``).
"""

from __future__ import annotations

import _abc
import abc
import gc
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from . import _core
from ._checks import check_bool, check_classes, check_max_paths, is_a, kind_of
from ._names import exact_str, qualname, type_qualname
from ._tool import outside_caller
from .query import explain_ids, explain_instances
from .render.text import render_report
from .report import Report, Target

__all__ = [
    "Snapshot",
    "assert_freed",
    "assert_no_instances",
    "collect_young_first",
    "expect_freed",
    "gc_collect_once",
]

#: Above this many survivors, survivors held the same way share one tree.
GROUP_ABOVE = 3

#: The attribute ``gc_collect_once`` sets on a pytest node (the plugin
#: removes it before the teardown checks collect afresh).
COLLECTED_MARK = "_whyalive_gc_collected"


# --------------------------------------------------------------------------
# Collecting once per test
# --------------------------------------------------------------------------


def gc_collect_once(request: Any = None) -> bool:
    """``gc.collect()``, at most once per pytest test item.

    A full collection costs about as much as walking the whole heap, so
    several teardown checks of one test should pay for one.  ``request``
    is a pytest ``request`` (or the test item itself); without it, this
    always collects.  Returns True when it collected.  The whyalive
    pytest plugin makes the teardown phase of each test collect afresh,
    so a collection made while the test ran does not hide garbage made
    after it.

    >>> import whyalive
    >>> whyalive.gc_collect_once()
    True
    """
    node = node_of(request)
    if node is None:
        gc.collect()
        return True
    if getattr(node, COLLECTED_MARK, False):
        return False
    gc.collect()
    setattr(node, COLLECTED_MARK, True)
    return True


def node_of(request: Any) -> Any:
    """The pytest node of ``request`` (a pytest request or item), or None.

    >>> node_of(None) is None
    True
    """
    if request is None:
        return None
    node = getattr(request, "node", request)
    if node is None:
        raise TypeError("request must be a pytest request, a pytest item or None")
    return node


def _nodeid(request: Any) -> str:
    node = node_of(request)
    nodeid = getattr(node, "nodeid", None) if node is not None else None
    return nodeid if isinstance(nodeid, str) else ""


def _collect(collect: bool, request: Any) -> None:
    if check_bool(collect, "collect"):
        gc_collect_once(request)


# --------------------------------------------------------------------------
# No instances of a class
# --------------------------------------------------------------------------


def assert_no_instances(
    cls: type | tuple[type, ...],
    when: str = "",
    *,
    request: Any = None,
    collect: bool = True,
    max_paths: int = 3,
) -> None:
    """Fail if any instance of ``cls`` (a class or a tuple of classes) is alive.

    Collects garbage first (once per test when ``request``, a pytest
    request, is given; not at all with ``collect=False``), then raises
    ``AssertionError`` saying how many instances, of what, ``when``, in
    which test, with the retainer tree of each (survivors held the same
    way share one tree).  Locals of running functions are retainers too:
    a test's own variable holding the object is reported as such.

    >>> import whyalive
    >>> class Figure: pass
    >>> open_figures = {"fig1": Figure()}
    >>> whyalive.assert_no_instances(Figure, "after plt.close()")
    Traceback (most recent call last):
    AssertionError: 1 Figure alive after plt.close():
    ...Figure at 0x...
    └── ['fig1'] in dict
    ...
    >>> del open_figures
    >>> whyalive.assert_no_instances(Figure, "after plt.close()")
    """
    __tracebackhide__ = True
    classes = check_classes(cls, "cls")
    _check_when(when)
    check_max_paths(max_paths)
    _collect(collect, request)
    report = explain_instances(classes, collect=False, max_paths=max_paths)
    report = report.without_unreferenced()
    if report.targets:
        names = _class_names(classes)
        raise AssertionError(
            _message(
                len(report.targets), names, f"{names} objects", when, request, report
            )
        )


# --------------------------------------------------------------------------
# Snapshots: only what is new
# --------------------------------------------------------------------------


class Snapshot:
    """The matches alive now, by id, so that a later check fails only for new ones.

    ``match`` is a class, a tuple of classes, or a predicate called with
    each object the collector tracks (a predicate that raises counts as
    no match).  Long-lived singletons, caches warmed by an earlier test
    and the like exist before the snapshot and never fail it.  ``label``
    names the matches in messages; ``collect=True`` collects garbage first,
    so that dead objects are not recorded.

    Only ids are kept: a snapshot keeps nothing alive.  The price is id
    reuse: a new object allocated at the address of one that died after
    the snapshot looks old and is missed.  That gives false negatives
    only, never a false failure.

    >>> import whyalive
    >>> class Connection: pass
    >>> pool = [Connection()]            # long-lived, before the snapshot
    >>> snap = whyalive.Snapshot(Connection)
    >>> pool.append(Connection())        # made after it, and kept
    >>> snap.assert_no_new("after the request")
    Traceback (most recent call last):
    AssertionError: 1 new Connection object alive after the request:
    ...Connection at 0x...
    └── [1] in list
    ...
    >>> del pool[1]
    >>> snap.assert_no_new("after the request")
    """

    __slots__ = ("_before", "_classes", "_label", "_predicate")

    def __init__(
        self,
        match: type | tuple[type, ...] | Callable[[Any], Any],
        *,
        label: str | None = None,
        collect: bool = True,
    ) -> None:
        if is_a(match, (type, tuple)):
            self._classes: tuple[type, ...] | None = check_classes(match, "match")
            self._predicate: Callable[[Any], Any] | None = None
        elif callable(match):
            self._classes = None
            self._predicate = match
        else:
            raise TypeError(
                "match must be a class, a tuple of classes or a predicate, not "
                f"{type(match).__name__}"
            )
        if label is not None and not is_a(label, str):
            raise TypeError(f"label must be a str or None, not {kind_of(label)}")
        if label is None and self._classes is not None:
            label = _class_names(self._classes)
        elif label is not None:
            label = exact_str(label)
        self._label = label
        _collect(collect, None)
        self._before: set[int] = set(self._matching())

    @property
    def label(self) -> str | None:
        """How messages name the matches (None: "object")."""
        return self._label

    def __len__(self) -> int:
        """How many matches the snapshot recorded."""
        return len(self._before)

    def __repr__(self) -> str:
        return (
            f"<whyalive.Snapshot of {self._label or 'matches'}: {len(self)} recorded>"
        )

    def new_ids(self, *, collect: bool = True, request: Any = None) -> set[int]:
        """Ids of matches alive now that the snapshot did not record."""
        _collect(collect, request)
        return set(self._matching()) - self._before

    def explain_new(
        self,
        *,
        collect: bool = True,
        request: Any = None,
        max_paths: int = 3,
        exclude: Iterable[Any] = (),
    ) -> Report:
        """A :class:`whyalive.Report` on the matches made since the snapshot.

        ``exclude`` holds objects that must not count as retainers (as for
        :func:`whyalive.explain`); a match that only they hold is left out.

        >>> import whyalive
        >>> class Job: pass
        >>> snap = whyalive.Snapshot(Job)
        >>> queue = [Job()]
        >>> [t.paths[0].edges[0].label for t in snap.explain_new()]
        ['[0]']
        """
        check_max_paths(max_paths)
        _collect(collect, request)
        new = {
            ident: kind
            for ident, kind in self._matching().items()
            if ident not in self._before
        }
        return explain_ids(
            new, max_paths=max_paths, exclude=exclude
        ).without_unreferenced()

    def assert_no_new(
        self,
        when: str = "",
        *,
        request: Any = None,
        collect: bool = True,
        max_paths: int = 3,
    ) -> None:
        """Fail if a match made since the snapshot is alive, saying why it is.

        ``request`` (a pytest request) puts the test's node id in the
        message and makes the collection once per test.
        """
        __tracebackhide__ = True
        _check_when(when)
        check_max_paths(max_paths)
        report = self.explain_new(collect=collect, request=request, max_paths=max_paths)
        if report.targets:
            what = f"new {self._label} object" if self._label else "new object"
            count = len(report.targets)
            raise AssertionError(
                _message(count, what, f"{what}s", when, request, report)
            )

    def update(self) -> None:
        """Count the matches alive now as old ones too (the plugin does so
        after a broader-scoped fixture made some).

        >>> import whyalive
        >>> class Token: pass
        >>> snap = whyalive.Snapshot(Token)
        >>> tokens = [Token()]
        >>> snap.update()
        >>> snap.assert_no_new()
        """
        self._before.update(self._matching())

    def _matching(self) -> dict[int, type]:
        """id -> type of every match the collector tracks."""
        classes, predicate = self._classes, self._predicate
        if classes:
            # a census in C, by MRO: no Python per object (no metaclass
            # __instancecheck__ runs), young generations only when nothing
            # can have entered the old ones since the last
            return _census_of(_with_virtual_subclasses(classes)).alive()
        found: dict[int, type] = {}
        objects = gc.get_objects()
        try:
            for obj in objects:
                try:
                    hit = predicate(obj)  # type: ignore[misc]
                except Exception:
                    continue
                if hit:
                    found[id(obj)] = type(obj)
        finally:
            obj = None
            del objects
        return found


class _Census:
    """Censuses of one tuple of classes, young generations only when that
    suffices.

    A full census (every tracked object) is remembered with the stamp of
    the collector's lists it was taken at.  While the stamp stays the
    same, no object has entered the oldest or the permanent generation,
    so the instances alive are those of the full census that are still
    alive plus those the young generations hold: a census then walks the
    young generations only.  Ids of the full census whose object died
    since stay in the answer until the next full one (as a ``Snapshot``'s
    ids do: an id that is reused is missed, never a false failure).  The
    classes are held weakly.
    """

    __slots__ = ("_classes", "_old", "_stamp")

    def __init__(self, classes: tuple[type, ...]) -> None:
        self._classes = tuple(weakref.ref(cls) for cls in classes)
        self._old: dict[int, type] = {}
        self._stamp: tuple[int, ...] | None = None

    def is_for(self, classes: tuple[type, ...]) -> bool:
        return len(classes) == len(self._classes) and all(
            ref() is cls for ref, cls in zip(self._classes, classes, strict=True)
        )

    def alive(self) -> dict[int, type]:
        classes = tuple(ref() for ref in self._classes)
        with _CENSUSES_LOCK:  # the stamp and the full census go together
            stamp, found, young = _core.census_instances(classes, self._stamp)
            self._stamp = stamp
            if not young:
                self._old = found
                return dict(found)
            return {**self._old, **found}


#: Censuses by the ids of their classes (checked by identity on use).
_CENSUSES: dict[tuple[int, ...], _Census] = {}
_CENSUSES_LOCK = threading.Lock()


def _census_of(classes: tuple[type, ...]) -> _Census:
    key = tuple(map(id, classes))
    with _CENSUSES_LOCK:
        census = _CENSUSES.get(key)
        if census is None or not census.is_for(classes):
            for old_key, old in list(_CENSUSES.items()):
                if not all(ref() is not None for ref in old._classes):
                    del _CENSUSES[old_key]
            census = _CENSUSES[key] = _Census(classes)
        return census


def _with_virtual_subclasses(classes: tuple[type, ...]) -> tuple[type, ...]:
    """``classes`` and, for each ABC among them (of ``abc.ABCMeta`` itself),
    the classes it counts as subclasses beyond its MRO: those registered
    with it or with an ABC below it, and those its ``__subclasshook__``
    already accepted (its cache).  Read from the ABC's data
    (``_abc._get_dump``): no ``__instancecheck__``, ``__subclasshook__`` or
    other metaclass code runs.  A registered class's own subclasses are
    found by the census (by MRO)."""
    found = list(classes)
    seen = {id(c) for c in classes}
    work = [c for c in classes if type(c) is abc.ABCMeta]
    while work:
        cls = work.pop()
        registry, cache, _negative, _version = _abc._get_dump(cls)
        below = type.__subclasses__(cls)
        below_ids = {id(sub) for sub in below}
        for sub in [ref() for ref in (*registry, *cache)] + below:
            if sub is None or id(sub) in seen or not is_a(sub, type):
                continue
            seen.add(id(sub))
            if id(sub) not in below_ids:
                found.append(sub)  # a subclass by MRO is counted already
            if type(sub) is abc.ABCMeta:
                work.append(sub)
    return tuple(found)


# --------------------------------------------------------------------------
# Collecting only what must be
# --------------------------------------------------------------------------


def collect_young_first(survivors: Callable[[], Any]) -> bool:
    """Collect no more than it takes for ``survivors()`` to become false.

    ``survivors`` answers "is anything I watch still alive?" without
    collecting (a count, a set of ids, a bool).  Nothing is collected
    while it is false; otherwise the youngest generation is collected
    first, then the middle one, then the whole heap, asking again after
    each.  Returns whether something still survives a full collection.
    A test's objects freed by reference counting cost nothing, those in
    a young garbage cycle a young collection, and only a true survivor
    (a leak to explain) a full one.

    >>> import whyalive
    >>> class Node: pass
    >>> watch = whyalive.expect_freed()
    >>> a = watch(Node()); a.self = a      # a cycle: only the collector frees it
    >>> del a
    >>> whyalive.collect_young_first(watch.alive)
    False
    >>> kept = watch(Node())
    >>> whyalive.collect_young_first(watch.alive)
    True
    """
    for generation in (0, 1, 2):
        if not survivors():
            return False
        gc.collect(generation)
    return bool(survivors())


# --------------------------------------------------------------------------
# Objects that must be freed
# --------------------------------------------------------------------------


def assert_freed(*objs: Any, max_paths: int = 3) -> None:
    """Fail unless each of ``objs`` is held by nothing but the caller.

    The check lets go of the objects, collects garbage, and fails for each
    one that something other than the calling function's own variables
    still holds, with the retainer tree of each: so ``assert_freed(w)``
    asks "once I drop ``w``, is it freed?".  Objects that cannot be weakly
    referenced raise ``TypeError``.

    >>> import whyalive
    >>> class Widget: pass
    >>> callbacks = []
    >>> def close_and_check(register):
    ...     w = Widget()
    ...     if register:
    ...         callbacks.append(w)
    ...     whyalive.assert_freed(w)   # nothing but this variable may hold it
    >>> close_and_check(register=False)
    >>> close_and_check(register=True)
    Traceback (most recent call last):
    AssertionError: 1 object expected to be freed is alive:
    ...Widget at 0x...
    ├── <local 'w'> of close_and_check at ...
    ...── [0] in list
    ...
    """
    __tracebackhide__ = True
    check_max_paths(max_paths)
    refs = _weak_refs(objs, "assert_freed")
    # on 3.10 the caller's value stack holds each argument during the call
    on_stack = _occurrences(objs) if sys.version_info < (3, 11) else {}
    del objs
    report = _still_alive(refs, max_paths, _caller_place(), on_stack)
    if report.targets:
        raise AssertionError(_freed_message(report, len(refs), ""))


class expect_freed:  # lower case: used like a function, ``with expect_freed()``
    """Objects watched in the block must be freed when it ends.

    ``watch(obj)`` takes a weak reference and returns ``obj``; when the
    block ends without an exception, garbage is collected and every
    watched object that something other than the variables of the
    function running the block still holds fails the block with an
    ``AssertionError`` explaining why it is alive.  Objects that cannot be
    weakly referenced raise ``TypeError`` at ``watch(obj)``.

    >>> import whyalive
    >>> class Actor: pass
    >>> scene = []
    >>> with whyalive.expect_freed("after removing the actor") as watch:
    ...     scene.append(watch(Actor()))
    ...     scene.clear()
    >>> with whyalive.expect_freed("after removing the actor") as watch:
    ...     scene.append(watch(Actor()))
    Traceback (most recent call last):
    AssertionError: 1 object expected to be freed is alive after removing the actor:
    ...Actor at 0x...
    └── [0] in list
    ...
    """

    __slots__ = ("_max_paths", "_refs", "_when")

    def __init__(self, when: str = "", *, max_paths: int = 3) -> None:
        _check_when(when)
        self._when = when
        self._max_paths = check_max_paths(max_paths)
        self._refs: list[weakref.ref] = []

    def __call__(self, obj: Any) -> Any:
        """Watch ``obj`` (a weak reference only); returns ``obj``."""
        self._refs.extend(_weak_refs((obj,), "watch"))
        return obj

    watch = __call__

    def __len__(self) -> int:
        return len(self._refs)

    def alive(self) -> int:
        """How many watched objects are alive now (nothing is collected).

        >>> class Brush: pass
        >>> watch = expect_freed()
        >>> kept, gone = watch(Brush()), watch(Brush())
        >>> del gone
        >>> watch.alive()
        1
        """
        return sum(ref() is not None for ref in self._refs)

    def __enter__(self) -> expect_freed:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        __tracebackhide__ = True
        if exc_type is not None:
            return
        self.check()

    def check(self) -> None:
        """The end-of-block check, callable by hand (then the block's end
        checks nothing more)."""
        __tracebackhide__ = True
        refs, self._refs = self._refs, []
        report = _still_alive(refs, self._max_paths, _caller_place(), {})
        if report.targets:
            raise AssertionError(_freed_message(report, len(refs), self._when))

    def alive_report(
        self,
        *,
        max_paths: int | None = None,
        collect: bool = True,
        exclude: Iterable[Any] = (),
    ) -> Report:
        """The watched objects still alive, explained (an empty report when
        all are freed); the watch is emptied.  For callers that report
        otherwise than by raising, as the pytest plugin does.

        >>> class Sprite: pass
        >>> watch = expect_freed()
        >>> kept = watch(Sprite())
        >>> [t.type_name.rsplit(".", 1)[-1] for t in watch.alive_report().targets]
        ['Sprite']
        >>> len(watch)
        0
        """
        paths = self._max_paths if max_paths is None else check_max_paths(max_paths)
        check_bool(collect, "collect")
        refs, self._refs = self._refs, []
        return _still_alive(refs, paths, None, {}, collect=collect, exclude=exclude)


def _weak_refs(objs: Iterable[Any], where: str) -> list[weakref.ref]:
    refs = []
    for obj in objs:
        try:
            refs.append(weakref.ref(obj))
        except TypeError:
            raise TypeError(
                f"{where}() cannot watch an object of type "
                f"{type_qualname(type(obj))}: it cannot be "
                "weakly referenced, and a strong reference would keep it alive; "
                "watch an object that holds it instead, or use "
                "assert_no_instances() / Snapshot() on its class"
            ) from None
    return refs


def _occurrences(objs: tuple) -> dict[int, int]:
    counts: dict[int, int] = {}
    for obj in objs:
        counts[id(obj)] = counts.get(id(obj), 0) + 1
    return counts


def _caller_place() -> tuple[str, int, int] | None:
    """Where the innermost function outside whyalive is: the one checking.

    (filename, current line, thread id), compared with the frame roots of
    a report; the frame object itself is not kept, so that it does not
    show as a retainer.
    """
    frame = outside_caller(1)
    if frame is None:
        return None
    place = (frame.f_code.co_filename, frame.f_lineno, threading.get_ident())
    del frame
    return place


def _still_alive(
    refs: list[weakref.ref],
    max_paths: int,
    caller: tuple[str, int, int] | None,
    on_stack: dict[int, int],
    collect: bool = True,
    exclude: Iterable[Any] = (),
) -> Report:
    """Collect, then explain the referents held by more than the caller."""
    if collect:
        gc.collect()
    alive: dict[int, type] = {}
    for ref in refs:
        obj = ref()
        if obj is not None:
            alive[id(obj)] = type(obj)
    obj = None
    if not alive:
        return Report.empty()
    report = explain_ids(alive, max_paths=max_paths, exclude=exclude)
    report = report.without_unreferenced()
    kept = [t for t in report.targets if not _only_caller(t, caller, on_stack)]
    return Report(kept, report.partial_reason, report.stats)


#: Frame slots through which the checking function itself holds an object.
_CALLER_SLOTS = ("local", "temporary", "possible_temporary")


def _only_caller(
    target: Target, where: tuple[str, int, int] | None, on_stack: dict[int, int]
) -> bool:
    """Whether only the checking function's variables (and stack) hold it."""
    if target.omitted or not target.paths:
        return False
    for path in target.paths:
        root = path.root
        if path.edges:
            return False
        if root.kind == "frame":
            if where is None or root.slot not in _CALLER_SLOTS:
                return False
            if (root.filename, root.lineno, root.thread_id) != where:
                return False
        elif root.kind == "external":
            if not root.unseen or root.unseen > on_stack.get(target.id, 0):
                return False
        else:
            return False
    return True


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------


def _message(
    count: int, singular: str, plural: str, when: str, request: Any, report: Report
) -> str:
    noun = singular if count == 1 else plural
    return _assemble(f"{count} {noun} alive", when, request, report)


def _freed_message(report: Report, watched: int, when: str) -> str:
    count = len(report.targets)
    if watched == 1 or count == watched:
        noun = "object" if count == 1 else "objects"
        verb = "is" if count == 1 else "are"
        head = f"{count} {noun} expected to be freed {verb} alive"
    else:
        verb = "is" if count == 1 else "are"
        head = f"{count} of {watched} objects expected to be freed {verb} alive"
    return _assemble(head, when, None, report)


def _assemble(head: str, when: str, request: Any, report: Report) -> str:
    if when:
        head += f" {when}"
    nodeid = _nodeid(request)
    if nodeid:
        head += f" ({nodeid})"
    body = render_report(report, group=len(report.targets) > GROUP_ABOVE)
    return f"{head}:\n{body}"


def _class_names(classes: tuple[type, ...]) -> str:
    return " or ".join(qualname(c) for c in classes)


def _check_when(when: Any) -> None:
    if not is_a(when, str):
        raise TypeError(f"when must be a str, not {kind_of(when)}")
