"""Reference chains and pictures: objgraph's ``find_backref_chain``,
``find_ref_chain``, ``show_backrefs``, ``show_refs`` and ``show_chain``
on whyalive's C core.

Each level of a breadth-first walk is one call into the core: the
referrers of a whole level cost one pass over the heap
(``_core.graph_referrers``), where a ``gc.get_referrers`` search pays one
pass per object.  Between levels, and only there, the user's functions
run (``predicate``, ``filter``); ``highlight``, ``extra_info`` and
``extra_node_attrs`` run once the walk is over.  The objects found are
kept in one list, which the core never reports as a referrer, so the
tool does not show up in its own pictures.

Pictures carry whyalive's names for references (``.attr``, ``['key']``,
``[3]``, ``<local 'x'>``); a module's globals are drawn as the module, a
root, and the locals of running frames in every thread are drawn as
roots.  The DOT text comes from :mod:`whyalive.render.dot`.
"""

from __future__ import annotations

import gc
import os
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from . import _core
from ._checks import check_int
from ._tool import TOOL_PREFIX, thread_name
from .render import dot as _dot
from .render import graphviz

__all__ = [
    "find_backref_chain",
    "find_ref_chain",
    "is_proper_module",
    "show_backrefs",
    "show_chain",
    "show_refs",
]

Predicate = Callable[[Any], Any]

#: References a call from Python code keeps to its arguments that no
#: object shows: before 3.11 the caller's value stack holds them.
CALL_SLACK = 1 if sys.version_info < (3, 11) else 0


def is_proper_module(obj: Any) -> bool:
    """True when ``obj`` is a module listed in ``sys.modules`` under its name:
    a root of the object graph.

    >>> import sys, types, whyalive
    >>> whyalive.is_proper_module(sys), whyalive.is_proper_module(types.ModuleType('x'))
    (True, False)
    """
    if not isinstance(obj, types.ModuleType):
        return False
    name = obj.__dict__.get("__name__")
    return isinstance(name, str) and sys.modules.get(name) is obj


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

    Breadth first, one pass over the heap per level; ``predicate`` runs on
    each object found, between the passes.  ``extra_ignore`` holds ids of
    objects to leave out; ``collect=False`` skips the ``gc.collect()``
    that runs first.

    >>> import whyalive
    >>> class Gizmo: pass
    >>> registry = {'g': Gizmo()}
    >>> chain = whyalive.find_backref_chain(registry['g'], whyalive.is_proper_module)
    >>> chain[-1] is registry['g'], whyalive.is_proper_module(chain[0])
    (True, True)
    """
    return _find_chain(obj, predicate, max_depth, extra_ignore, collect, backwards=True)


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
# Pictures: the walk


class _Walk:
    """The objects and references one picture shows, as plain data.

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
        # (frame or thread key, node, row of _core.graph_referrers' roots)
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


EdgeFunction = Callable[[Any], Iterable[Any]]


def _walk(
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
) -> _Walk:
    """Breadth first from ``objs`` to ``max_depth``, at most ``too_many``
    neighbours per object, as objgraph's pictures walk.  ``edge_func``
    replaces the core's walk by a function of one object (objgraph's
    private ``_show_graph`` takes one)."""
    max_depth = check_int(max_depth, "max_depth")
    check_int(too_many, "too_many")
    starts = objs if issubclass(type(objs), (list, tuple)) else [objs]
    ignore = _ignore_ids(extra_ignore)
    ignore.update((id(objs), id(starts)))
    w = _Walk(max_depth)
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
    w: _Walk,
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
            for row in level_roots:
                if row[0] == i:
                    # one box per frame (or thread state)
                    key = (row[1], row[4], row[5], row[7], row[8])
                    w.root_edges.append((key, i, row))
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
    w: _Walk,
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


# ---------------------------------------------------------------------------
# Pictures: the drawing


def type_name(obj: Any, shortnames: bool) -> str:
    """The name of ``obj``'s type, qualified by its module unless
    ``shortnames``; read through ``type``'s own descriptors, so no
    metaclass code runs.

    >>> type_name({}, True), type_name(1.5, False)
    ('dict', 'builtins.float')
    """
    tp = type(obj)
    name = type.__dict__["__name__"].__get__(tp)
    if shortnames:
        return name
    module = type.__dict__["__module__"].__get__(tp)
    return f"{module}.{name}" if isinstance(module, str) and module else name


def _repr40(obj: Any) -> str:
    return repr(obj)[:40]


def name_or_repr(value: Any) -> str:
    """``value.__name__`` if it is a str, else ``repr(value)`` cut to 40.

    >>> name_or_repr(len), name_or_repr(3)
    ('len', '3')
    """
    try:
        name = value.__name__
    except AttributeError:
        return _repr40(value)
    return name if issubclass(type(name), str) else _repr40(value)


_SIZED = (dict, list, tuple, set, frozenset)


def short_repr(obj: Any) -> str:
    """A short description of ``obj`` for a picture's node: its name for
    classes, modules, functions and methods, ``'N items'`` for
    containers, ``file:line`` for frames, else ``repr()`` cut to 40
    characters.  Types are tested on ``type(obj)``, so proxies that lie
    about ``__class__`` (mocks) are described as what they are.
    """
    tp = type(obj)
    if issubclass(tp, type):
        return type.__dict__["__name__"].__get__(obj)
    if issubclass(tp, (types.ModuleType, types.BuiltinFunctionType)):
        return name_or_repr(obj)
    if issubclass(tp, types.MethodType):
        return name_or_repr(obj.__func__) + " (bound)"
    if issubclass(tp, types.FunctionType) and obj.__name__ == "<lambda>":
        code = obj.__code__
        return f"lambda: {os.path.basename(code.co_filename)}:{code.co_firstlineno}"
    if issubclass(tp, types.FrameType):
        return f"{obj.f_code.co_filename}:{obj.f_lineno}"
    for base in _SIZED:
        if issubclass(tp, base):
            return f"{base.__len__(obj)} items"
    return _repr40(obj)


def safe_repr(obj: Any) -> str:
    """:func:`short_repr`, or ``'(unrepresentable)'`` when it raises."""
    try:
        return short_repr(obj)
    except Exception:
        return "(unrepresentable)"


def node_lines(
    obj: Any,
    extra_info: Callable[[Any], Any] | None = None,
    refcount: int | None = None,
    shortnames: bool = True,
) -> list[str]:
    """The lines of an object's box: type name (with ``[refcount]`` when
    given), short description, ``extra_info(obj)``."""
    head = type_name(obj, shortnames)
    if refcount is not None:
        head += " [immortal]" if refcount < 0 else f" [{refcount}]"
    lines = [head, safe_repr(obj)]
    if extra_info is not None:
        lines.append(str(extra_info(obj)))
    return lines


#: Reference counts from here up are immortal objects' (3.12+) or
#: statically allocated ones' (3.11): they mean nothing.
IMMORTAL_REFCOUNT = 500_000_000


def program_refcounts(objects: list[Any]) -> list[int]:
    """The reference counts of ``objects`` minus the list's own reference
    (-1 for immortal objects).  No Python frame holds the objects while
    they are read (``map`` calls ``sys.getrefcount`` from C with the
    iterator's reference), so the numbers do not depend on the version's
    calling conventions."""
    counts = []
    for count in map(sys.getrefcount, objects):
        # the list's reference, and the one map() hands getrefcount
        counts.append(-1 if count >= IMMORTAL_REFCOUNT else count - 2)
    return counts


_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]


def _has_finalizer(obj: Any) -> bool:
    """Does obj's class define ``__del__``?  Read through type's own
    descriptors: no metaclass code runs."""
    try:
        mro = _TYPE_MRO.__get__(type(obj))
        return any("__del__" in _TYPE_DICT.__get__(klass) for klass in mro)
    except Exception:
        return False


def _root_lines(
    kind: str, function: Any, filename: Any, lineno: int, thread: int
) -> list[str]:
    name = thread_name(thread)
    if kind == "frame":
        where = f"{function} at {os.path.basename(filename or '?')}:{lineno}"
        return ["frame", where, name]
    return ["thread state", name]


def _root_label(kind: str, name: Any, slot: str) -> str:
    if kind == "thread":
        return f"<{slot}>"
    if slot in ("local", "cell"):
        return f"<local '{name}'>"
    if slot == "free":
        return f"<free variable '{name}'>"
    return f"<{slot}>"


def _picture(
    w: _Walk,
    *,
    backwards: bool,
    highlight: Predicate | None,
    extra_info: Callable[[Any], Any] | None,
    refcounts: bool,
    shortnames: bool,
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None,
    labels: bool,
) -> _dot.DotGraph:
    """The DOT graph of a finished walk; the user's functions run here."""
    rows: list[Any] = [None] * len(w.edges)
    if labels and w.edges:
        pairs = [
            (w.nodes[src], w.nodes[dst], occurrence, int(src in w.module_name))
            for src, dst, occurrence, _ in w.edges
        ]
        rows = _core.graph_labels(pairs)
        del pairs
    folded = _own_dicts(w, rows) if labels else {}
    keys = [f"o{id(obj)}" for obj in w.nodes]
    counts = program_refcounts(w.nodes) if refcounts else None
    starts = set(w.starts)
    boxes: dict[int, _dot.DotNode] = {}
    obj = None
    for i in range(len(w.nodes)):  # (enumerate would keep a reference)
        if i in folded:
            continue
        obj = w.nodes[i]
        if i in w.module_name:
            lines, kind = ["module", w.module_name[i]], "module"
        else:
            count = counts[i] if counts is not None else None
            lines = node_lines(obj, extra_info, count, shortnames)
            kind = "module" if isinstance(obj, types.ModuleType) else "object"
        attrs = extra_node_attrs(obj) if extra_node_attrs is not None else None
        boxes[i] = _dot.DotNode(
            keys[i],
            lines,
            w.depth[i],
            kind=kind,
            start=i in starts,
            highlight=bool(highlight(obj)) if highlight is not None else False,
            finalizer=_has_finalizer(obj),
            attrs=dict(attrs) if attrs else {},
            more=w.more.get(i, 0),
        )
    del obj
    for n, (src, dst, _occurrence, expanded) in enumerate(w.edges):
        row = rows[n]
        if dst in folded:
            continue  # owner -> its __dict__: drawn as owner -> value
        if src in folded:
            owner = folded[src]
            part = row[3] if row[1] == "key" else None
            label = f".{part}" if part is not None else ".__dict__" + row[0]
            edge = _dot.DotEdge(keys[owner], keys[dst], label, 10)
            box = boxes[dst] if backwards else boxes[owner]
        else:
            label = row[0] if row is not None else None
            edge = _dot.DotEdge(keys[src], keys[dst], label, label_weight(row))
            box = boxes[expanded]
        box.edges.append(edge)
    nodes = list(boxes.values())
    root_boxes: dict[tuple, _dot.DotNode] = {}
    for root_key, i, row in w.root_edges:
        _i, kind, name, slot, function, filename, lineno, thread, _depth = row
        box = root_boxes.get(root_key)
        if box is None:
            box = root_boxes[root_key] = _dot.DotNode(
                f"root{len(root_boxes)}",
                _root_lines(kind, function, filename, lineno, thread),
                w.depth[i] + 1,
                kind="root",
                attrs={"shape": "ellipse"},
            )
            nodes.append(box)
        boxes[i].edges.append(
            _dot.DotEdge(box.key, keys[i], _root_label(kind, name, slot), 10)
        )
    return _dot.DotGraph(nodes, max_depth=w.max_depth, backwards=backwards)


def label_weight(row: Any) -> int | None:
    """Layout weight of a labelled reference (a row of
    ``_core.graph_labels``): an object's own parts pull hardest, then dict
    entries named by identifiers.

    >>> label_weight((".x", "attr", "", None)), label_weight(("[0]", "index", "", 0))
    (10, None)
    """
    if row is None:
        return None
    kind = row[1]
    if kind == "key":
        return 2 if row[3] is not None else None
    if kind in ("attr", "local", "closure"):
        return 10
    return None


def _own_dicts(w: _Walk, rows: list) -> dict[int, int]:
    """Instance and class ``__dict__`` nodes to draw as part of their owner:
    {dict node: owner node}.  A dict folds when its only drawn referrer is
    its owner (through ``.__dict__``), it is not a starting object, and it
    leads somewhere."""
    into: dict[int, list[int]] = {}
    leads: set[int] = set()
    for n, (src, dst, _occurrence, _expanded) in enumerate(w.edges):
        into.setdefault(dst, []).append(n)
        leads.add(src)
    starts = set(w.starts)
    folded = {}
    for d, incoming in into.items():
        if len(incoming) != 1 or d in starts or d in w.more or d not in leads:
            continue
        row = rows[incoming[0]]
        if row is not None and row[2] == "own_dict":
            folded[d] = w.edges[incoming[0]][0]
    return folded


@dataclass
class Drawing:
    """How to walk and draw a picture: the parameters of the ``show_*``
    functions.  (Kept out of the calls that carry the objects: a call
    with many keyword arguments makes CPython 3.10 pack the positional
    ones into a tuple, which would then appear among their referrers.)"""

    backwards: bool = True
    max_depth: int = 3
    extra_ignore: Iterable[int] = ()
    filter: Predicate | None = None
    too_many: int = 10
    highlight: Predicate | None = None
    filename: str | None = None
    extra_info: Callable[[Any], Any] | None = None
    refcounts: bool = False
    shortnames: bool = True
    output: IO[str] | None = None
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None = None
    roots: bool = True
    cull: Predicate | None = None
    collect: bool = True
    #: a function of one object listing its neighbours, instead of the
    #: core's walk (objgraph's private ``_show_graph`` takes one)
    edge_func: EdgeFunction | None = None
    #: IPython display: called with the DOT text, its result returned
    interactive: Callable[[str], Any] | None = None
    presenter: Callable[[str, str | None], None] | None = None


def draw(box: list[Any], d: Drawing) -> Any:
    """Walks from the objects in ``box`` (a one-item list, emptied: the
    caller's frame then holds no reference the refcounts would show) and
    draws the picture ``d`` describes."""
    objs = box.pop()
    if d.filename and d.output:
        raise ValueError("Cannot specify both output and filename.")
    if d.collect:
        gc.collect()
    w = _walk(
        objs,
        backwards=d.backwards,
        max_depth=d.max_depth,
        extra_ignore=d.extra_ignore,
        filter=d.filter,
        too_many=d.too_many,
        roots=d.roots,
        cull=d.cull,
        edge_func=d.edge_func,
    )
    del objs
    graph = _picture(
        w,
        backwards=d.backwards,
        highlight=d.highlight,
        extra_info=d.extra_info,
        refcounts=d.refcounts,
        shortnames=d.shortnames,
        extra_node_attrs=d.extra_node_attrs,
        labels=d.edge_func is None,
    )
    del w
    return graphviz.emit(
        graph,
        filename=d.filename,
        output=d.output,
        interactive=d.interactive,
        presenter=d.presenter or graphviz.present,
    )


def show_backrefs(
    objs: Any,
    max_depth: int = 3,
    extra_ignore: Iterable[int] = (),
    filter: Predicate | None = None,
    too_many: int = 10,
    highlight: Predicate | None = None,
    filename: str | None = None,
    extra_info: Callable[[Any], Any] | None = None,
    refcounts: bool = False,
    shortnames: bool = True,
    output: IO[str] | None = None,
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None = None,
    *,
    roots: bool = True,
    collect: bool = True,
) -> None:
    """Draws what refers to ``objs`` (an object, or a list or tuple of
    them), and what refers to those, up to ``max_depth`` references.

    ``output``: a file object that receives the DOT text.  ``filename``:
    a ``.dot`` file, or an image whose extension (``.png``, ``.svg``,
    ``.pdf`` ...) Graphviz's ``dot`` program renders (an error names
    Graphviz when it is not installed).  Neither: the graph opens in
    ``xdot`` if installed, or becomes a PNG.  At most ``too_many``
    referrers are drawn per object; ``filter`` (a predicate) leaves
    objects out, ``extra_ignore`` (ids) too; ``highlight`` (a predicate)
    colours nodes; ``extra_info`` adds a line to each box;
    ``extra_node_attrs`` returns Graphviz attributes per node;
    ``refcounts`` shows reference counts; ``shortnames=False`` qualifies
    type names.

    References are labelled as code names them (``.attr``, ``['key']``,
    ``[3]``); module globals are drawn as their module (a root, not
    expanded), the locals of running frames and thread states as roots
    (``roots=False`` leaves them out).  ``collect=False`` skips the
    ``gc.collect()`` that runs first.

    >>> import io, whyalive
    >>> class Gizmo: pass
    >>> registry = {'g': Gizmo()}
    >>> out = io.StringIO()
    >>> whyalive.show_backrefs(registry['g'], max_depth=1, output=out)
    >>> "['g']" in out.getvalue()
    True
    """
    drawing = Drawing(
        backwards=True,
        max_depth=max_depth,
        extra_ignore=extra_ignore,
        filter=filter,
        too_many=too_many,
        highlight=highlight,
        filename=filename,
        extra_info=extra_info,
        refcounts=refcounts,
        shortnames=shortnames,
        output=output,
        extra_node_attrs=extra_node_attrs,
        roots=roots,
        cull=is_proper_module,
        collect=collect,
    )
    box = [objs]
    del objs
    return draw(box, drawing)


def show_refs(
    objs: Any,
    max_depth: int = 3,
    extra_ignore: Iterable[int] = (),
    filter: Predicate | None = None,
    too_many: int = 10,
    highlight: Predicate | None = None,
    filename: str | None = None,
    extra_info: Callable[[Any], Any] | None = None,
    refcounts: bool = False,
    shortnames: bool = True,
    output: IO[str] | None = None,
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None = None,
    *,
    collect: bool = True,
) -> None:
    """Draws what ``objs`` refer to, and so on, up to ``max_depth``
    references; the parameters are those of :func:`show_backrefs`.

    >>> import io, whyalive
    >>> out = io.StringIO()
    >>> whyalive.show_refs({'k': [1]}, max_depth=1, output=out)
    >>> "['k']" in out.getvalue()
    True
    """
    drawing = Drawing(
        backwards=False,
        max_depth=max_depth,
        extra_ignore=extra_ignore,
        filter=filter,
        too_many=too_many,
        highlight=highlight,
        filename=filename,
        extra_info=extra_info,
        refcounts=refcounts,
        shortnames=shortnames,
        output=output,
        extra_node_attrs=extra_node_attrs,
        roots=False,
        cull=None,
        collect=collect,
    )
    box = [objs]
    del objs
    return draw(box, drawing)


def show_chain(
    *chains: list[Any],
    backrefs: bool = True,
    highlight: Predicate | None = None,
    extra_info: Callable[[Any], Any] | None = None,
    refcounts: bool = False,
    shortnames: bool = True,
    filename: str | None = None,
    output: IO[str] | None = None,
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None = None,
    collect: bool = True,
) -> None:
    """Draws one or more chains from :func:`find_backref_chain` or
    :func:`find_ref_chain` (``backrefs=False``); other parameters as for
    :func:`show_backrefs`.

    >>> import io, whyalive
    >>> data = {'a': [[]]}
    >>> out = io.StringIO()
    >>> chain = whyalive.find_ref_chain(data, lambda o: o == [])
    >>> whyalive.show_chain(chain, backrefs=False, output=out)
    >>> out.getvalue().count('label=')
    5
    """
    chains = tuple(chain for chain in chains if chain)
    if not chains:
        raise ValueError("show_chain() needs at least one non-empty chain")
    in_chains = {id(obj) for chain in chains for obj in chain}
    max_depth = max(len(chain) for chain in chains) - 1
    starts = (
        [chain[-1] for chain in chains] if backrefs else [chain[0] for chain in chains]
    )
    drawing = Drawing(
        backwards=backrefs,
        max_depth=max_depth,
        extra_ignore=(id(chains), id(in_chains)),
        filter=lambda obj: id(obj) in in_chains,
        too_many=10,
        highlight=highlight,
        filename=filename,
        extra_info=extra_info,
        refcounts=refcounts,
        shortnames=shortnames,
        output=output,
        extra_node_attrs=extra_node_attrs,
        roots=False,
        cull=is_proper_module if backrefs else None,
        collect=collect,
    )
    box = [starts]
    del starts
    return draw(box, drawing)
