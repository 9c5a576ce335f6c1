"""Walks of the reference graph, returning plain data: objgraph's
``find_backref_chain`` and ``find_ref_chain``, and the level walk the
pictures draw (:func:`walk`, whose :class:`Walk` :mod:`whyalive.pictures`
turns into DOT).

Each level of a breadth-first walk is one call into the core: the
referrers of a whole level cost one pass over the heap
(``_core.graph_referrers``), where a ``gc.get_referrers`` search pays one
pass per object.  Between levels, and only there, the user's functions
run (``predicate``, ``filter``); ``highlight``, ``extra_info`` and
``extra_node_attrs`` run once the walk is over.  The objects found are
kept in one list, which the core never reports as a referrer, so the
tool does not show up in its own pictures.

A module's globals are met as the module (a root, not expanded), and
the locals of running frames in every thread as roots.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

from . import _core
from ._checks import check_bool, check_int, is_a, kind_of
from ._tool import TOOL_PREFIX

__all__ = [
    "Walk",
    "chain_walk",
    "find_backref_chain",
    "find_ref_chain",
    "is_proper_module",
    "walk",
]

Predicate = Callable[[Any], Any]

_NO_PARENT = 0xFFFFFFFF  # chain_backrefs' parent of the start

#: References a call from Python code keeps to its arguments that no
#: object shows: before 3.11 the caller's value stack holds them.
CALL_SLACK = 1 if sys.version_info < (3, 11) else 0


_MODULE_DICT = types.ModuleType.__dict__["__dict__"].__get__


def is_proper_module(obj: Any) -> bool:
    """True when ``obj`` is a module listed in ``sys.modules`` under its name:
    a root of the object graph.  Reads the module's own namespace: no
    ``__class__`` property, ``__getattr__`` or ``__dict__`` of a subclass
    runs.

    >>> import sys, types, whyalive
    >>> whyalive.is_proper_module(sys), whyalive.is_proper_module(types.ModuleType('x'))
    (True, False)
    """
    if not is_a(obj, types.ModuleType):
        return False
    # the module's own dict slot, not a subclass's __dict__ or __getattr__
    namespace = _MODULE_DICT(obj)
    name = dict.get(namespace, "__name__") if type(namespace) is dict else None
    modules = sys.modules
    return type(name) is str and is_a(modules, dict) and dict.get(modules, name) is obj


def _ignore_ids(extra_ignore: Any) -> set[int]:
    if isinstance(extra_ignore, (str, bytes)) or not isinstance(extra_ignore, Iterable):
        raise TypeError(
            "extra_ignore must be a collection of ids, "
            f"not {type(extra_ignore).__name__}"
        )
    ids = set()
    for item in extra_ignore:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(
                f"extra_ignore must hold ids (ints), not {type(item).__name__}"
            )
        ids.add(item)
    ids.add(id(extra_ignore))
    return ids


# ---------------------------------------------------------------------------
# Chains


def find_backref_chain(
    obj: Any,
    predicate: Predicate,
    max_depth: int = 20,
    extra_ignore: Iterable[int] = (),
    *,
    collect: bool = True,
) -> list[Any]:
    """A shortest chain of references from an object satisfying
    ``predicate`` down to ``obj``: ``[root, ..., obj]``, or ``[obj]`` when
    none is found within ``max_depth`` references.

    One walk of the heap finds every referrer of ``obj`` and theirs, to
    ``max_depth`` links, breadth first in C (``_core.chain_backrefs``);
    then ``predicate`` runs on the objects met, in that order, until one
    satisfies it: objgraph's search (one ``gc.get_referrers`` pass per
    object met), at the cost of one walk.  ``extra_ignore`` holds ids of
    objects to leave out; ``collect=False`` skips the ``gc.collect()``
    that runs first.

    >>> import whyalive
    >>> class Gizmo: pass
    >>> registry = {'g': Gizmo()}
    >>> chain = whyalive.find_backref_chain(registry['g'], whyalive.is_proper_module)
    >>> chain[-1] is registry['g'], whyalive.is_proper_module(chain[0])
    (True, True)
    """
    if not callable(predicate):
        raise TypeError(f"predicate must be callable, not {kind_of(predicate)}")
    max_depth = check_int(max_depth, "max_depth")
    ignore = _ignore_ids(extra_ignore)
    check_bool(collect, "collect")
    if collect:
        gc.collect()
    if predicate(obj):
        return [obj]
    # this call's frames hold obj in their locals once they are objects
    ignore.update((id(sys._getframe()),))
    met, parents = _core.chain_backrefs(obj, max(max_depth, 0), tuple(ignore))
    try:
        parent = memoryview(parents).cast("I")
        for k in range(1, len(met)):
            if predicate(met[k]):
                chain = []  # from the match down to obj
                while k != _NO_PARENT:
                    chain.append(met[k])
                    k = parent[k]
                return chain
    finally:
        met.clear()
    return [obj]


def find_ref_chain(
    obj: Any,
    predicate: Predicate,
    max_depth: int = 20,
    extra_ignore: Iterable[int] = (),
    *,
    collect: bool = True,
) -> list[Any]:
    """A shortest chain of references from ``obj`` to an object satisfying
    ``predicate``: ``[obj, ..., found]``, or ``[obj]`` when none is found.

    >>> import whyalive
    >>> class Gizmo: pass
    >>> data = {'a': [1, Gizmo()]}
    >>> chain = whyalive.find_ref_chain(data, lambda o: isinstance(o, Gizmo))
    >>> [type(o).__name__ for o in chain]
    ['dict', 'list', 'Gizmo']
    """
    chain = _find_chain(
        obj, predicate, max_depth, extra_ignore, collect, backwards=False
    )
    chain.reverse()
    return chain


def _find_chain(
    obj: Any,
    predicate: Predicate,
    max_depth: int,
    extra_ignore: Iterable[int],
    collect: bool,
    backwards: bool,
) -> list[Any]:
    if not callable(predicate):
        raise TypeError(f"predicate must be callable, not {type(predicate).__name__}")
    max_depth = check_int(max_depth, "max_depth")
    ignore = _ignore_ids(extra_ignore)
    if collect:
        gc.collect()
    if predicate(obj):
        return [obj]
    nodes = [obj]  # every object found; the core never reports this list
    parent = [-1]
    index = {id(obj): 0}
    ignore_ids = tuple(ignore)
    lo, depth = 0, 0
    while lo < len(nodes) and depth < max_depth:
        hi = len(nodes)
        frontier = tuple(range(lo, hi))
        if backwards:
            level = _core.graph_referrers(nodes, frontier, ignore_ids)
        else:
            level = _core.graph_referents(nodes, frontier, ignore_ids)
        fresh, edges = level[0], level[1]
        del level
        # the neighbours of each node, in the order the walk met them
        found: dict[int, list[int]] = {}
        for src, dst, occurrence in edges:
            if occurrence == 0:
                if backwards:
                    found.setdefault(dst, []).append(src)
                else:
                    found.setdefault(src, []).append(dst)
        del edges
        for i in range(lo, hi):
            for k in found.get(i, ()):
                neighbour = nodes[k] if k < hi else fresh[k - hi]
                if id(neighbour) not in index:
                    index[id(neighbour)] = len(nodes)
                    nodes.append(neighbour)
                    parent.append(i)
        del fresh, found
        neighbour = None
        for k in range(hi, len(nodes)):
            if predicate(nodes[k]):
                chain = []  # from the match back to obj
                while k >= 0:
                    chain.append(nodes[k])
                    k = parent[k]
                return chain
        lo, depth = hi, depth + 1
    return [obj]


# ---------------------------------------------------------------------------
# Level walk (the pictures' walk)


class Walk:
    """The objects and references one picture shows, as plain data
    (made by :func:`walk`).

    ``nodes`` holds the objects (the only container of them the walk
    keeps); everything else refers to them by index.
    """

    def __init__(self, max_depth: int) -> None:
        self.nodes: list[Any] = []
        self.index: dict[int, int] = {}
        self.depth: list[int] = []
        self.module_name: dict[int, str] = {}  # node -> module, for module globals
        self.more: dict[int, int] = {}  # node -> neighbours not drawn
        # (referrer, referent, occurrence, expanded node), node indices
        self.edges: list[tuple[int, int, int, int]] = []
        # (frame or thread key, node, root as (kind, name, detail))
        self.root_edges: list[tuple[tuple, int, tuple]] = []
        self.starts: list[int] = []
        self.max_depth = max_depth

    def add(self, obj: Any, depth: int) -> int:
        i = self.index.get(id(obj))
        if i is None:
            i = self.index[id(obj)] = len(self.nodes)
            self.nodes.append(obj)
            self.depth.append(depth)
        return i


def root_box_key(root: tuple) -> tuple:
    """What one box of a picture stands for: a frame (kind, function,
    filename, thread, depth) or a thread state (kind, thread); ``root`` is
    in ``find_paths``' shape ``(kind, name, detail)``.

    >>> root_box_key(("thread", "async_gen_finalizer", (7,)))
    ('thread', 7)
    >>> root_box_key(("frame", "x", ("main", "app.py", 3, 7, "local", 0)))
    ('frame', 'main', 'app.py', 7, 0)
    """
    kind, _name, detail = root
    if kind == "frame":
        function, filename, _lineno, thread, _slot, depth = detail
        return (kind, function, filename, thread, depth)
    return (kind, *detail)


def chain_walk(
    chains: tuple[list[Any], ...],
    *,
    backwards: bool,
    extra_ignore: Iterable[int],
    too_many: int,
    cull: Predicate | None,
) -> Walk:
    """The walk :func:`walk` makes from the chains' ends, neighbours
    filtered to the chains' objects, to the longest chain's depth (what
    ``show_chain`` draws), in time linear in the chains' lengths: the
    references among the chains' objects come from one traversal of each
    (``_core.graph_referents``), not from a pass over the heap per level.
    A module's globals are met as the module and not expanded, as
    :func:`walk` meets them."""
    ignore = _ignore_ids(extra_ignore)
    w = Walk(max(len(chain) for chain in chains) - 1)
    ignore.update((id(w), id(w.__dict__), id(chains)))
    objects: list[Any] = []  # the chains' objects, each once
    position: dict[int, int] = {}
    for chain in chains:
        for k in range(len(chain)):
            if id(chain[k]) not in position and id(chain[k]) not in ignore:
                position[id(chain[k])] = len(objects)
                objects.append(chain[k])
    ignore.update((id(objects), id(position)))
    everything = tuple(range(len(objects)))
    _fresh, refs, _skipped = _core.graph_referents(objects, everything, tuple(ignore))
    del _fresh
    # per object: its neighbours among the objects, in the order met,
    # with the occurrences of each reference
    around: dict[int, dict[int, list[int]]] = {}
    count = len(objects)
    for src, dst, occurrence in refs:
        if dst < count:
            node, other = (dst, src) if backwards else (src, dst)
            around.setdefault(node, {}).setdefault(other, []).append(occurrence)
    del refs
    module_dicts = _module_dicts(objects)
    for chain in chains:
        w.starts.append(w.add(chain[-1] if backwards else chain[0], 0))
    lo = 0
    while lo < len(w.nodes):
        i, lo = lo, lo + 1
        obj = w.nodes[i]
        k_self = position.get(id(obj))
        if id(obj) in module_dicts:
            w.module_name[i] = module_dicts[id(obj)]
            continue
        if (
            w.depth[i] >= w.max_depth
            or k_self is None
            or (cull is not None and cull(obj))
        ):
            continue
        drawn = more = 0
        for k, occurrences in around.get(k_self, {}).items():
            if drawn >= too_many:
                more += 1
                continue
            j = w.add(objects[k], w.depth[i] + 1)
            for occurrence in occurrences:
                w.edges.append(
                    (j, i, occurrence, i) if backwards else (i, j, occurrence, i)
                )
            drawn += 1
        if more:
            w.more[i] = more
    obj = None
    objects.clear()
    return w


def _module_dicts(objects: list[Any]) -> dict[int, str]:
    """id of a module's globals -> the module's name, for the proper
    modules' dicts among ``objects`` (found through the modules in
    ``sys.modules``, read through ``module``'s own descriptor)."""
    ids = {id(obj) for obj in objects if type(obj) is dict}
    found = {}
    modules = sys.modules
    for name, module in list(dict.items(modules)) if is_a(modules, dict) else ():
        if is_a(module, types.ModuleType) and type(name) is str:
            namespace = _MODULE_DICT(module)
            if id(namespace) in ids and is_proper_module(module):
                found[id(namespace)] = name
    return found


EdgeFunction = Callable[[Any], Iterable[Any]]


def walk(
    objs: Any,
    *,
    backwards: bool,
    max_depth: int,
    extra_ignore: Iterable[int],
    filter: Predicate | None,
    too_many: int,
    roots: bool,
    cull: Predicate | None,
    edge_func: EdgeFunction | None = None,
) -> Walk:
    """Breadth first from ``objs`` to ``max_depth``, at most ``too_many``
    neighbours per object, as objgraph's pictures walk.  ``edge_func``
    replaces the core's walk by a function of one object (objgraph's
    private ``_show_graph`` takes one)."""
    max_depth = check_int(max_depth, "max_depth")
    check_int(too_many, "too_many")
    starts = objs if issubclass(type(objs), (list, tuple)) else [objs]
    ignore = _ignore_ids(extra_ignore)
    ignore.update((id(objs), id(starts)))
    w = Walk(max_depth)
    ignore.update((id(w), id(w.__dict__)))
    for k in range(len(starts)):
        w.starts.append(w.add(starts[k], 0))
    del objs, starts
    ignore_ids = tuple(ignore)
    cap = too_many if filter is None and edge_func is None else -1
    lo = 0
    while lo < len(w.nodes):
        hi = len(w.nodes)
        frontier = tuple(
            i
            for i in range(lo, hi)
            if w.depth[i] < max_depth
            and i not in w.module_name
            and not (cull is not None and cull(w.nodes[i]))
        )
        if frontier:
            _expand(
                w,
                frontier,
                backwards,
                ignore_ids,
                ignore,
                filter,
                too_many,
                cap,
                roots,
                edge_func,
            )
        lo = hi
    return w


def _expand(
    w: Walk,
    frontier: tuple[int, ...],
    backwards: bool,
    ignore_ids: tuple[int, ...],
    ignore: set[int],
    filter: Predicate | None,
    too_many: int,
    cap: int,
    roots: bool,
    edge_func: EdgeFunction | None,
) -> None:
    hi = len(w.nodes)
    if edge_func is not None:
        fresh, edges, skipped, level_roots, modules = _edge_function_level(
            w, frontier, edge_func, ignore, backwards
        )
    elif backwards:
        fresh, edges, skipped, level_roots, modules = _core.graph_referrers(
            w.nodes, frontier, ignore_ids, cap, TOOL_PREFIX, roots
        )
    else:
        fresh, edges, skipped = _core.graph_referents(
            w.nodes, frontier, ignore_ids, cap
        )
        level_roots, modules = [], []
    module_of = {i: name for i, name in modules}
    # per frontier node: its neighbours in the order met, with the
    # occurrences of each reference
    neighbours: dict[int, dict[int, list[int]]] = {}
    for src, dst, occurrence in edges:
        node, other = (dst, src) if backwards else (src, dst)
        neighbours.setdefault(node, {}).setdefault(other, []).append(occurrence)
    del edges
    for i in frontier:
        if roots:
            for referent, root in level_roots:
                if referent == i:
                    w.root_edges.append((root_box_key(root), i, root))
        drawn = 0
        more = 0
        for k, occurrences in neighbours.get(i, {}).items():
            obj = w.nodes[k] if k < hi else fresh[k - hi]
            if id(obj) in ignore:
                continue
            if filter is not None and not filter(obj):
                continue
            if drawn >= too_many:
                more += 1
                continue
            j = w.add(obj, w.depth[i] + 1)
            if k in module_of and j not in w.module_name:
                w.module_name[j] = module_of[k]
            for occurrence in occurrences:
                if backwards:
                    w.edges.append((j, i, occurrence, i))
                else:
                    w.edges.append((i, j, occurrence, i))
            drawn += 1
        more += sum(n for node, n in skipped if node == i)
        if more:
            w.more[i] = more
    obj = None
    del fresh


def _edge_function_level(
    w: Walk,
    frontier: tuple[int, ...],
    edge_func: EdgeFunction,
    ignore: set[int],
    backwards: bool,
) -> tuple[list, list, list, list, list]:
    """One level through a user's edge function: (fresh, edges, ...) as the
    core returns them; the neighbours are referrers when ``backwards``."""
    fresh: list[Any] = []
    position: dict[int, int] = {}
    edges = []
    hi = len(w.nodes)
    for i in frontier:
        found = edge_func(w.nodes[i])
        ignore.add(id(found))
        for obj in found:
            k = w.index.get(id(obj))
            if k is None:
                k = position.get(id(obj))
                if k is None:
                    k = position[id(obj)] = hi + len(fresh)
                    fresh.append(obj)
            edges.append((k, i, 0) if backwards else (i, k, 0))
        del found
    return fresh, edges, [], [], []
