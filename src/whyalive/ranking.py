"""The most useful paths first: ranking the core's candidate paths.

The core finds the shortest paths through distinct retainers; some of
them are trivial variants of one another, which a person reads as noise:

- the frames of one thread that all hold the object in the same local
  (a timer thread's ``_bootstrap``, ``_bootstrap_inner`` and ``run`` each
  have ``self``): folded into the innermost frame, whose root then says
  ``and N outer frames``;
- one object reached under several module aliases (``app.registry``,
  ``app.api.registry``) along the same references: one path, through the
  module that defines the object the root holds when one does;
- class plumbing (``.__base__``, ``.__bases__[0]``, ``.__mro__[1]``,
  ``.__class__``): such paths lose to any path without it;
- a module alias (the root's module is not the one defining what it
  holds) loses to a path from the defining module.

``query`` asks the core for more candidates than ``max_paths`` and keeps
the first ``max_paths`` of this order.  Plain data in, plain data out:
the core's path tuples ``(root, edges, length)``; nothing here touches
the objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .vocab import ROOT_KINDS

__all__ = ["CANDIDATES_PER_PATH", "PLUMBING_LABELS", "rank_paths", "rank_target"]

#: The core is asked for this many candidates per path shown.
CANDIDATES_PER_PATH = 3

#: Labels of class plumbing: a path through one is a last resort.
PLUMBING_LABELS = re.compile(
    r"^\.(__base__|__bases__\[\d+\]|__mro__\[\d+\]|__mro__|__bases__|__class__)$"
)

#: Named objects whose name is no "module.qualname" (the core names
#: classes so, and these by their qualname).
_NOT_CLASSES = frozenset(
    (
        "function",
        "method",
        "builtin_function_or_method",
        "module",
        "code",
        "frame",
        "generator",
        "coroutine",
        "async_generator",
        "functools._lru_cache_wrapper",
    )
)

#: Paths of equal length, by their root's kind (vocab.ROOT_KINDS' order).
_KIND_ORDER = {kind: i for i, kind in enumerate(ROOT_KINDS)}

# (referrer_type, referrer_id, label, kind, referrer_name)
_TYPE, _ID, _LABEL, _KIND, _NAME = range(5)


def _signature(path: tuple) -> tuple:
    """The references of a path, without its root; a class's base reached
    as ``.__base__``, ``.__bases__[i]`` or ``.__mro__[i]`` is one step."""
    edges = path[1]
    steps = []
    i = 0
    while i < len(edges):
        edge = edges[i]
        if edge[_LABEL] == ".__base__":
            steps.append(("base of", edge[_ID]))
        elif (
            edge[_TYPE] == "tuple"
            and i + 1 < len(edges)
            and edges[i + 1][_LABEL] in (".__mro__", ".__bases__")
        ):
            steps.append(("base of", edges[i + 1][_ID]))
            i += 1
        else:
            steps.append((edge[_ID], edge[_LABEL]))
        i += 1
    return tuple(steps)


def _defining_module(path: tuple) -> str | None:
    """The module that defines the class a module root holds, as the core
    names classes (``app.models.User``); None when the root holds anything
    else (an instance held by another module's global is no alias)."""
    edges = path[1]
    if not edges or path[0][0] != "module":
        return None
    outer = edges[-1]
    if outer[_TYPE] in _NOT_CLASSES or not outer[_NAME]:
        return None
    return outer[_NAME].rpartition(".")[0] or None


def _home_module(path: tuple) -> str | None:
    """Where what a module root holds comes from: a class's module, or an
    instance's type's; None for anything else."""
    edges = path[1]
    if not edges or path[0][0] != "module" or edges[-1][_TYPE] in _NOT_CLASSES:
        return None
    name = edges[-1][_NAME] or edges[-1][_TYPE]
    return name.rpartition(".")[0] or None


def _at_home(path: tuple) -> bool:
    home = _home_module(path)
    return home is not None and path[0][2][0] == home


def _is_alias(path: tuple) -> bool:
    """A class held by a module other than its own (``from x import C``)."""
    defining = _defining_module(path)
    return defining is not None and path[0][2][0] != defining


def _is_home(path: tuple) -> bool:
    """A class held by its own module: ``logging.Logger.manager``."""
    defining = _defining_module(path)
    return defining is not None and path[0][2][0] == defining


def _plumbing(path: tuple) -> int:
    return sum(1 for e in path[1] if PLUMBING_LABELS.match(e[_LABEL]))


def _fold(paths: Sequence[tuple]) -> list[tuple]:
    """Frame variants folded into their innermost frame, module aliases of
    one path into one."""
    kept: list[tuple] = []
    frames: dict[tuple, int] = {}  # (thread, slot, name, refs) -> index in kept
    outer: dict[int, int] = {}
    modules: dict[tuple, int] = {}
    seen: set[tuple] = set()
    for path in paths:
        kind, name, detail = path[0][:3]
        if kind == "frame":
            key = (detail[3], detail[4], name, _signature(path))
            at = frames.get(key)
            if at is None:
                frames[key] = len(kept)
                kept.append(path)
                continue
            outer[at] = outer.get(at, 0) + 1
            if detail[5] < kept[at][0][2][5]:  # innermost first
                kept[at] = path
            continue
        variant = (path[0][:3], _signature(path))
        if variant in seen:
            continue  # the same retainer by another piece of class plumbing
        seen.add(variant)
        if kind == "module":
            key = _signature(path)
            if key:
                at = modules.get(key)
                if at is None:
                    modules[key] = len(kept)
                else:  # another module's name for it: keep its home's
                    if _at_home(path) and not _at_home(kept[at]):
                        kept[at] = path
                    continue
        kept.append(path)
    for at, count in outer.items():
        root, edges, length = kept[at][:3]
        kind, name, detail = root[:3]
        kept[at] = ((kind, name, (*detail[:6], count)), edges, length)
    return kept


def rank_paths(paths: Sequence[tuple], max_paths: int) -> tuple[tuple, int]:
    """The paths to show of the core's candidates (shortest first), and
    how many different ones were left out.

    >>> root = ("frame", "self", ("run", "t.py", 3, 7, "local", 0))
    >>> outer = ("frame", "self", ("_bootstrap", "threading.py", 9, 7, "local", 1))
    >>> shown, left = rank_paths([(root, (), 1), (outer, (), 1)], 3)
    >>> shown[0][0][2], left
    (('run', 't.py', 3, 7, 'local', 0, 1), 0)
    """
    folded = _fold(paths)
    order = sorted(
        range(len(folded)),
        key=lambda i: (
            _plumbing(folded[i]) > 0,
            _is_alias(folded[i]),
            folded[i][2],  # then shortest
            not _is_home(folded[i]),  # a class attribute over an instance's
            _KIND_ORDER.get(folded[i][0][0], len(_KIND_ORDER)),  # as the core
            i,
        ),
    )
    # one path per retainer (what holds the target) before a second one
    firsts, seconds, retainers = [], [], []
    for i in order:
        retainer = _retainer(folded[i])
        (seconds if retainer in retainers else firsts).append(i)
        retainers.append(retainer)
    order = firsts + seconds
    shown = tuple(folded[i] for i in order[:max_paths])
    # as the core counts them: retainers with no path shown
    hidden = set(retainers) - {_retainer(p) for p in shown}
    return shown, len(hidden)


def rank_target(target: tuple, max_paths: int) -> tuple:
    """The core's target tuple with its most useful ``max_paths`` paths
    (:func:`rank_paths`), the retainers left out added to ``omitted``.

    >>> root = ("module", "app.X", ("app", "X"))
    >>> target = (0x20, "list", "", 2, 1, 1, "rooted", ((root, (), 1),) * 2, 0)
    >>> rank_target(target, 1)[7:]
    (((('module', 'app.X', ('app', 'X')), (), 1),), 0)
    """
    shown, left = rank_paths(target[7], max_paths)
    return (*target[:7], shown, target[8] + left, *target[9:])


def _retainer(path: tuple) -> tuple:
    """What holds the target on a path: its first reference, or the root."""
    edges = path[1]
    return (edges[0][_ID], edges[0][_LABEL]) if edges else path[0][:3]
