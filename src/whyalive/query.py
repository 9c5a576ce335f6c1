"""explain() and explain_instances(): the questions, asked of the C core.

This module checks arguments, decides what whyalive itself holds (its
own frames and containers are never shown as retainers), makes one call
into ``_core.find_paths`` and wraps the answer in a :class:`Report`.
It never walks the heap itself.
"""

from __future__ import annotations

import gc
import sys
import time
import warnings
from collections.abc import Container, Iterable
from numbers import Real
from typing import Any

from . import _core, _stack
from ._checks import (
    check_bool,
    check_classes,
    check_max_depth,
    check_max_paths,
    check_threads,
    is_a,
    kind_of,
)
from ._tool import TOOL_PREFIX, thread_names
from .census import find_classes
from .errors import SharedObjectWarning
from .ranking import CANDIDATES_PER_PATH
from .report import FlatTargets, Report
from .snapshot import heap_snapshot

__all__ = ["explain", "explain_ids", "explain_instances"]

#: Of what is left of a time limit, the share the C core may use; the
#: rest builds the report.
_CORE_SHARE = 0.95

#: Explaining objects one walk each (explain_ids) stops after this many.
MAX_SINGLY_EXPLAINED = 50

_TYPE_FLAGS = type.__dict__["__flags__"].__get__
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE

#: Tests only: the phase of a query (``Stats.stopped_in``) as which its
#: time runs out, to check what a report cut short there says.
_expire_at: str | None = None


def explain(
    obj: Any,
    *more_objs: Any,
    max_depth: int | None = None,
    max_paths: int = 3,
    timeout: float | None = None,
    exclude: Iterable[Any] = (),
    keep_objects: bool = False,
    sizes: bool = False,
    threads: int | None = None,
) -> Report:
    """Why is ``obj`` (and each of ``more_objs``) still alive?

    One walk of the heap finds, for every target, the shortest chains of
    references from a root (a module global, a local of a running frame
    in any thread, a thread state, or a reference from outside the object
    graph) down to it, each reference named as code would name it.

    ``max_paths`` paths per target: the shortest, then the next shortest
    through a different retainer.  ``max_depth`` bounds the references on
    a path (None: no bound); ``timeout`` (seconds, for the whole call)
    returns a partial report, marked so, that says where the time ran out
    (``report.stats.stopped_in``).  ``exclude`` takes
    objects (or ids, as ints) that must not count as retainers, such as
    your own bookkeeping list.  The report keeps no reference to the
    targets unless ``keep_objects`` is true.  ``sizes=True`` adds the
    retained size of each target and of each holder on its paths (one more
    walk, :func:`whyalive.heap_snapshot`'s): ``Target.retained_size``, and
    ``[8.1 MB]`` beside them in the text tree.  ``threads`` (an int >= 1,
    or None: the idle CPUs this process may use, at most 8, when 4 or more
    are idle, else 1) is how many threads build the index of a large heap;
    the report is the same for any number.

    >>> import whyalive
    >>> class Widget: pass
    >>> registry = {"w1": Widget()}
    >>> report = whyalive.explain(registry["w1"])
    >>> report.targets[0].paths[0].edges[0].label
    "['w1']"
    >>> whyalive.explain(registry["w1"], sizes=True).targets[0].retained_size > 0
    True
    >>> whyalive.explain(registry["w1"], threads=2).targets[0].status
    'rooted'
    """
    started = time.monotonic()
    targets = (obj, *more_objs)
    refcounts: list[int] = []  # the targets', as the core read them
    report = _run(
        targets,
        None,
        started=started,
        max_depth=max_depth,
        max_paths=max_paths,
        timeout=timeout,
        exclude=exclude,
        keep_objects=keep_objects,
        tool_containers=(more_objs,),
        sizes=sizes,
        threads=threads,
        refcounts=refcounts,
    )
    _warn_if_shared(targets, refcounts)
    return report


def explain_instances(
    cls: type | tuple[type, ...],
    *,
    collect: bool = True,
    max_depth: int | None = None,
    max_paths: int = 3,
    timeout: float | None = None,
    exclude: Iterable[Any] = (),
    keep_objects: bool = False,
    sizes: bool = False,
    threads: int | None = None,
) -> Report:
    """Why is every live instance of ``cls`` (subclasses included) alive?

    ``cls`` is a class, a class name as :func:`whyalive.count` takes it
    (``'Widget'``, ``'app.ui.Widget'``: every live class of that name), or
    a tuple of those.  All instances are found and
    explained in one walk of the heap; ``collect=True`` runs
    ``gc.collect()`` first so that garbage does not count.  The other
    arguments are those of :func:`explain`.

    >>> import whyalive
    >>> class Session: pass
    >>> open_sessions = [Session(), Session()]
    >>> report = whyalive.explain_instances(Session)
    >>> sorted(t.paths[0].edges[0].label for t in report.targets)
    ['[0]', '[1]']
    """
    return _explain_instances(
        cls,
        collect=collect,
        max_depth=max_depth,
        max_paths=max_paths,
        timeout=timeout,
        exclude=exclude,
        keep_objects=keep_objects,
        sizes=sizes,
        threads=threads,
    )


def _explain_instances(
    cls: Any,
    *,
    collect: bool,
    max_depth: int | None,
    max_paths: int,
    timeout: float | None,
    exclude: Iterable[Any],
    keep_objects: bool,
    sizes: bool,
    threads: int | None = None,
    only_ids: Container[int] | None = None,
) -> Report:
    """explain_instances; ``only_ids``: the report keeps the instances
    with these ids only (before any target's view is made)."""
    started = time.monotonic()
    classes = _classes(cls)
    check_bool(collect, "collect")
    # every argument checked before the collection (any work)
    check_max_depth(max_depth)
    check_max_paths(max_paths)
    _check_timeout(timeout)
    check_bool(keep_objects, "keep_objects")
    check_bool(sizes, "sizes")
    check_threads(threads)
    _split_exclude(exclude)
    if collect:
        gc.collect()  # inside the time limit too
    return _run(
        (),
        classes,
        started=started,
        max_depth=max_depth,
        max_paths=max_paths,
        timeout=timeout,
        exclude=exclude,
        keep_objects=keep_objects,
        tool_containers=(),
        sizes=sizes,
        threads=threads,
        only_ids=only_ids,
    )


def explain_ids(
    alive: dict[int, type],
    *,
    max_paths: int,
    exclude: Iterable[Any] = (),
    threads: int | None = None,
) -> Report:
    """Why the objects with these ids (id -> type) are alive: one report.

    If the instances of their types are few, one walk explains them all
    (``explain_instances``, nothing held by us meanwhile); otherwise each
    object is explained by its own walk, so that ten survivors among a
    million dicts do not cost the paths of every dict.  For callers that
    know objects only by id (weak references, a census): the testing
    helpers and :mod:`whyalive.compat.refleak`.

    >>> class Lamp: pass
    >>> lamps = [Lamp()]
    >>> report = explain_ids({id(lamps[0]): Lamp}, max_paths=1)
    >>> [t.status for t in report.targets]
    ['rooted']
    """
    check_threads(threads)
    if not alive:
        return Report.empty()
    # by identity, read in C: no metaclass __hash__, __eq__ or
    # __instancecheck__ runs, and no Python per heap object
    types = tuple({id(t): t for t in alive.values()}.values())
    _stamp, instances, _young = _core.census_instances(types)
    population = len(instances)
    wanted = tuple(i for i in alive if i in instances)
    held = _core.census_objects_at(wanted, MAX_SINGLY_EXPLAINED)
    del instances
    few = population <= max(64, 4 * len(alive))
    if few and all(_TYPE_FLAGS(t) & _HEAPTYPE for t in types):
        held.clear()
        return _explain_instances(
            types,
            collect=False,
            max_depth=None,
            max_paths=max_paths,
            timeout=None,
            exclude=exclude,
            keep_objects=False,
            sizes=False,
            threads=threads,
            only_ids=alive,
        )
    reports = []
    for index in range(len(held)):
        reports.append(
            explain(
                held[index],
                max_paths=max_paths,
                exclude=(held, *exclude),
                threads=threads,
            )
        )
    held.clear()
    return Report.merge(reports)


def _run(
    targets: tuple,
    classes: tuple[type, ...] | None,
    *,
    started: float,
    max_depth: int | None,
    max_paths: int,
    timeout: float | None,
    exclude: Iterable[Any],
    keep_objects: bool,
    tool_containers: tuple,
    sizes: bool = False,
    threads: int | None = None,
    only_ids: Container[int] | None = None,
    refcounts: list[int] | None = None,
) -> Report:
    depth = check_max_depth(max_depth)
    paths = check_max_paths(max_paths)
    seconds = _check_timeout(timeout)
    check_bool(keep_objects, "keep_objects")
    check_bool(sizes, "sizes")
    nthreads = check_threads(threads)
    excluded_objects, excluded_ids = _split_exclude(exclude)
    tracing = _tracemalloc_tracing()
    want_objects = bool(classes) and (keep_objects or tracing)
    # the stack depth at each instruction of every running frame's code,
    # so the core can read their temporaries (computed before the walk)
    stack_tables = _stack.depth_tables(_core.running_code())
    if seconds:
        seconds = _core_time_limit(seconds, time.monotonic() - started)
    # the call's own containers (the classes' tuple goes through the
    # keyword dict the call makes) are whyalive's, never a retainer
    own = (exclude, stack_tables, *tool_containers, *((classes,) if classes else ()))
    raw = _core.find_paths(
        targets,
        (*excluded_objects, *own),
        excluded_ids,
        tool_prefix=TOOL_PREFIX,
        instances_of=classes,
        max_depth=depth,
        max_paths=paths * CANDIDATES_PER_PATH,
        timeout=seconds,
        stack_tables=stack_tables,
        want_objects=want_objects,
        progress=_stderr_is_a_terminal(),
        expire_at=_expire_at,
        threads=nthreads,
        compact=True,
    )
    flat = FlatTargets(raw[1])
    if refcounts is not None:
        refcounts.extend(flat.refcounts())
    objects = raw[3] if want_objects else targets
    allocations = [_allocation(o) for o in objects] if tracing else None
    # the targets' tuples, ranked, are made when a target is read
    report = Report.from_core(
        (raw[0], flat, *raw[2:]),
        thread_names=thread_names(),
        allocations=allocations,
        objects=objects if keep_objects else None,
        compact=True,
        max_paths=paths,
        only_ids=only_ids,
    )
    del objects, raw, flat, stack_tables, own
    if sizes:
        report = heap_snapshot(collect=False).annotate(report)
    return report


#: Objects every program shares: their retainers are everyone's.
_SINGLETONS = (None, True, False, Ellipsis, NotImplemented, (), "", b"")


def _warn_if_shared(targets: tuple, refcounts: list[int]) -> None:
    """Warns when a target is shared by the whole interpreter: a
    singleton, a small int (cached), an immortal object (3.12+: the core
    reports no refcount), or an interned str.  Checks identities and
    exact types only: no user code runs."""
    for target, refcount in zip(targets, refcounts, strict=False):
        kind = None
        if any(target is s for s in _SINGLETONS):
            kind = "a singleton"
        elif type(target) is int and -5 <= target <= 256:
            kind = "a cached small int"
        elif refcount == -1:  # as Target.immortal
            kind = "immortal"
        elif type(target) is str and _core.is_interned(target):
            kind = "an interned str"
        if kind is not None:
            hint = " (a dead weak reference returns None)" if target is None else ""
            warnings.warn(
                f"explain({_short_repr(target)}): the target is {kind}, held by "
                f"the whole interpreter; its retainers are everyone's{hint}",
                SharedObjectWarning,
                stacklevel=3,
            )


def _short_repr(obj: Any) -> str:
    text = repr(obj)  # only for the exact builtin types above
    return text if len(text) <= 40 else text[:39] + "\N{HORIZONTAL ELLIPSIS}"


def _classes(cls: Any) -> tuple[type, ...]:
    """``cls`` as classes: class names resolved as the census functions
    match them; a name no live class has is a ValueError."""
    # by the type alone: no metaclass __instancecheck__ or __class__ runs
    items = cls if is_a(cls, tuple) else (cls,)
    if not items or not any(is_a(c, str) for c in items):
        return check_classes(cls, "cls")
    classes: list[type] = []
    for item in items:
        if is_a(item, str):
            found = find_classes([item])
            if not found:
                raise ValueError(f"cls: no live class is named {item!r}")
            classes.extend(found)
        else:
            classes.extend(check_classes(item, "cls"))
    return tuple(classes)


def _core_time_limit(timeout: float, spent: float) -> float:
    """What the C core may take of ``timeout`` once ``spent`` seconds are
    gone: ``_CORE_SHARE`` of the rest, the remainder being for building the
    report; never 0, which would mean no limit."""
    return max((timeout - spent) * _CORE_SHARE, 1e-9)


def _tracemalloc_tracing() -> bool:
    """Whether tracemalloc traces allocations; False where it cannot be
    imported (3.13's isolated subinterpreters refuse _tracemalloc)."""
    try:
        import tracemalloc
    except ImportError:
        return False
    return tracemalloc.is_tracing()


def _allocation(obj: Any) -> tuple[tuple[str, int], ...] | None:
    """tracemalloc's traceback of obj, oldest call first, or None."""
    frames = _core.allocation_traceback(obj)
    return tuple(reversed(frames)) if frames else None


def _stderr_is_a_terminal() -> bool:
    """Whether a progress line on stderr would reach a person."""
    try:
        return bool(sys.stderr and sys.stderr.isatty() and sys.stderr.fileno() == 2)
    except (AttributeError, OSError, ValueError):
        return False


def _check_timeout(timeout: Any) -> float:
    if timeout is None:
        return 0.0
    if is_a(timeout, bool) or not is_a(timeout, Real):
        raise TypeError(
            f"timeout must be a number of seconds or None, not {kind_of(timeout)}"
        )
    seconds = float(timeout)
    if not seconds > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {seconds!r}")
    return seconds


def _split_exclude(exclude: Any) -> tuple[tuple, tuple[int, ...]]:
    """Objects and ids (ints: an int object never retains anything)."""
    if is_a(exclude, (str, bytes)) or not is_a(exclude, Iterable):
        raise TypeError(
            f"exclude must be a collection of objects or ids, not {kind_of(exclude)}"
        )
    objects, ids = [], []
    for item in exclude:
        if is_a(item, int) and not is_a(item, bool):
            ids.append(item)
        else:
            objects.append(item)
    return tuple(objects), tuple(ids)
