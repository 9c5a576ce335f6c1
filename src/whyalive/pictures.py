"""Pictures: objgraph's ``show_backrefs``, ``show_refs`` and
``show_chain``, written once (:mod:`whyalive.compat.objgraph` draws
through :func:`draw` too).

A picture is a level walk of the heap (:func:`whyalive.refgraph.walk`,
plain data), turned into a :class:`~whyalive.render.dot.DotGraph` here
(the user's ``highlight``, ``extra_info`` and ``extra_node_attrs`` run
once the walk is over), then written or shown by
:mod:`whyalive.render.graphviz`.

Pictures carry whyalive's names for references (``.attr``, ``['key']``,
``[3]``, ``<local 'x'>``); a module's globals are drawn as the module, a
root, and the locals of running frames in every thread are drawn as
roots, worded by :mod:`whyalive.render.words`.
"""

from __future__ import annotations

import gc
import os
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from . import _core, _names
from ._tool import thread_names
from .refgraph import EdgeFunction, Predicate, Walk, chain_walk, is_proper_module, walk
from .render import dot as _dot
from .render import graphviz
from .render.words import frame_slot_label, thread_field_label, thread_label

__all__ = [
    "Drawing",
    "draw",
    "label_weight",
    "name_or_repr",
    "node_lines",
    "program_refcounts",
    "safe_repr",
    "short_repr",
    "show_backrefs",
    "show_chain",
    "show_refs",
    "type_name",
]


def type_name(obj: Any, shortnames: bool) -> str:
    """The name of ``obj``'s type, qualified by its module unless
    ``shortnames``; read through ``type``'s own descriptors, so no
    metaclass code runs.

    >>> type_name({}, True), type_name(1.5, False)
    ('dict', 'builtins.float')
    """
    return _names.type_name(type(obj), qualified=not shortnames)


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
    return _names.exact_str(name) if issubclass(type(name), str) else _repr40(value)


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
        return _names.type_name(obj, qualified=False)
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
    name = thread_label(thread, thread_names().get(thread))
    if kind == "frame":
        where = f"{function} at {os.path.basename(filename or '?')}:{lineno}"
        return ["frame", where, name]
    return ["thread state", name]


def _root_label(kind: str, name: Any, slot: str) -> str:
    if kind == "thread":
        return thread_field_label(slot)
    return frame_slot_label(slot, name)


def _picture(
    w: Walk,
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
            kind = "module" if issubclass(type(obj), types.ModuleType) else "object"
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
    for root_key, i, (kind, name, detail) in w.root_edges:
        if kind == "frame":
            function, filename, lineno, thread, slot, _depth = detail
        else:
            (thread,), slot, function, filename, lineno = detail, name, None, None, 0
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


def _own_dicts(w: Walk, rows: list) -> dict[int, int]:
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
    #: show_chain: the chains, whose references are drawn in time linear
    #: in their length (``refgraph.chain_walk``) instead of a walk
    chains: tuple[list[Any], ...] | None = None


def draw(box: list[Any], d: Drawing) -> Any:
    """Walks from the objects in ``box`` (a one-item list, emptied: the
    caller's frame then holds no reference the refcounts would show) and
    draws the picture ``d`` describes."""
    objs = box.pop()
    if d.filename and d.output:
        raise ValueError("Cannot specify both output and filename.")
    if d.collect:
        gc.collect()
    if d.chains is not None:
        # (keywords only: a call with ** packs the objects in a tuple)
        objs, d.chains = d.chains, None  # the drawing keeps no object
        w = chain_walk(
            objs,
            backwards=d.backwards,
            extra_ignore=d.extra_ignore,
            too_many=d.too_many,
            cull=d.cull,
        )
    else:
        w = walk(
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
    :func:`find_ref_chain` (``backrefs=False``): the references among
    their objects, from each chain's end, in time linear in their length;
    other parameters as for :func:`show_backrefs`.

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
    drawing = Drawing(
        backwards=backrefs,
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
        chains=chains,
    )
    del chains
    return draw([None], drawing)
