"""objgraph's functions on whyalive's C core.

``import whyalive.compat.objgraph as objgraph`` is the whole migration:
this module has objgraph's public names, parameters and defaults, and
the private helpers objgraph's own test suite calls.  Counting, growth,
lookups by type or address and the leak search walk the heap once in C;
chains and pictures walk it once per level instead of once per object.

Where the results differ from objgraph's, it is on purpose:

- counts include the objects frozen by :func:`gc.freeze` (``gc.get_objects()``
  misses them);
- pictures label references as whyalive does (``.attr``, ``['key']``,
  ``[3]``, ``<local 'x'>``; a value under two keys gets both), draw module
  globals as their module and the locals of running frames as roots;
- :func:`get_leaking_objects` counts untracked containers, code objects,
  frames and thread states as referrers, so fewer false leaks remain;
- asking for an image (``filename='x.png'``) without Graphviz installed
  raises :class:`whyalive.errors.GraphvizNotFoundError` instead of
  printing a line and doing nothing.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
from collections.abc import Callable, Iterable
from typing import IO, Any

from .. import pictures
from ..census import (
    at,
    at_addrs,
    by_type,
    count,
    get_leaking_objects,
    get_new_ids,
    growth,
    most_common_types,
    show_growth,
    show_most_common_types,
    typestats,
)
from ..errors import GraphvizNotFoundError
from ..refgraph import (
    find_backref_chain,
    find_ref_chain,
    is_proper_module,
)
from ..render import dot as _dot
from ..render import graphviz

__all__ = [
    "GraphvizNotFoundError",
    "at",
    "at_addrs",
    "by_type",
    "count",
    "find_backref_chain",
    "find_ref_chain",
    "get_leaking_objects",
    "get_new_ids",
    "growth",
    "is_proper_module",
    "most_common_types",
    "show_backrefs",
    "show_chain",
    "show_growth",
    "show_most_common_types",
    "show_refs",
    "typestats",
]

#: objgraph's version whose interface this module follows.
__version__ = "3.7.0"

#: True in a graphical IPython session: pictures are returned as
#: ``graphviz.Source`` objects instead of being written to files.
IS_INTERACTIVE = False
try:  # pragma: no cover - depends on the session
    import graphviz  # type: ignore[import-not-found]

    # get_ipython is a builtin inside IPython only; text shells draw no images
    shell = get_ipython()  # type: ignore[name-defined]
    if "TerminalInteractiveShell" not in type(shell).__name__:
        IS_INTERACTIVE = True
    del shell
except (NameError, ImportError):
    pass

Predicate = Callable[[Any], Any]


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
) -> Any:
    """:func:`whyalive.show_backrefs`, with objgraph's ways of showing the
    result (this module's ``IS_INTERACTIVE`` and ``_present_graph``).

    >>> import io
    >>> import whyalive.compat.objgraph as objgraph
    >>> out = io.StringIO()
    >>> objgraph.show_backrefs([], max_depth=1, output=out)
    >>> out.getvalue().startswith('digraph ObjectGraph {')
    True
    """
    return _show_graph(
        objs,
        gc.get_referrers,
        False,
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
        cull_func=is_proper_module,
        extra_node_attrs=extra_node_attrs,
    )


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
) -> Any:
    """:func:`whyalive.show_refs`, with objgraph's ways of showing the result.

    >>> import io
    >>> import whyalive.compat.objgraph as objgraph
    >>> out = io.StringIO()
    >>> objgraph.show_refs({'k': 1}, output=out)
    >>> "['k']" in out.getvalue()
    True
    """
    return _show_graph(
        objs,
        gc.get_referents,
        True,
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
    )


def show_chain(*chains: list[Any], **kw: Any) -> Any:
    """Draws chains from :func:`find_backref_chain` (or, with
    ``backrefs=False``, :func:`find_ref_chain`); keywords as for
    :func:`show_backrefs`.  Time linear in the chains' length (one
    traversal of each object, not a heap pass per level).

    >>> import io
    >>> import whyalive.compat.objgraph as objgraph
    >>> out = io.StringIO()
    >>> objgraph.show_chain([[1], 1], backrefs=False, output=out)
    >>> out.getvalue().count(' -> ')
    1
    """
    backrefs = kw.pop("backrefs", True)
    chains = tuple(chain for chain in chains if chain)
    in_chains = {id(obj) for chain in chains for obj in chain}
    max_depth = max(len(chain) for chain in chains) - 1
    starts = (
        [chain[-1] for chain in chains] if backrefs else [chain[0] for chain in chains]
    )
    kw.setdefault("extra_ignore", (id(in_chains),))
    return _show_graph(
        starts,
        gc.get_referrers if backrefs else gc.get_referents,
        not backrefs,
        max_depth=max_depth,
        filter=lambda obj: id(obj) in in_chains,
        cull_func=is_proper_module if backrefs else None,
        _roots=False,
        _chains=chains,
        **kw,
    )


# ---------------------------------------------------------------------------
# objgraph's private helpers, which its test suite calls


def _isinstance(obj: Any, classinfo: Any) -> bool:
    return issubclass(type(obj), classinfo)


def _find_chain(
    obj: Any,
    predicate: Predicate,
    edge_func: Callable[[Any], Iterable[Any]],
    max_depth: int = 20,
    extra_ignore: Iterable[int] = (),
) -> list[Any]:
    """[match, ..., obj]: the chain found walking ``edge_func`` from ``obj``.

    ``gc.get_referrers`` and ``gc.get_referents`` run on the core, one pass
    per level; any other function is called once per object.
    """
    if edge_func is gc.get_referrers:
        return find_backref_chain(obj, predicate, max_depth, extra_ignore)
    if edge_func is gc.get_referents:
        return find_ref_chain(obj, predicate, max_depth, extra_ignore)[::-1]
    queue, parent = [obj], {id(obj): None}
    depth = {id(obj): 0}
    ignore = {*extra_ignore, id(queue), id(parent), id(depth)}
    for target in queue:
        if predicate(target):
            chain = [target]
            while parent[id(chain[-1])] is not None:
                chain.append(parent[id(chain[-1])])
            return chain
        if depth[id(target)] < max_depth:
            for source in edge_func(target):
                if id(source) not in ignore and id(source) not in depth:
                    depth[id(source)] = depth[id(target)] + 1
                    parent[id(source)] = target
                    queue.append(source)
    return [obj]


def _show_graph(
    objs: Any,
    edge_func: Callable[[Any], Iterable[Any]],
    swap_source_target: bool,
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
    cull_func: Predicate | None = None,
    extra_node_attrs: Callable[[Any], dict[str, Any]] | None = None,
    _roots: bool = True,
    _chains: tuple[list[Any], ...] | None = None,
) -> Any:
    """objgraph's picture maker.  ``gc.get_referrers`` and
    ``gc.get_referents`` as ``edge_func`` run on the core (labelled
    references, roots); any other function of one object is followed as
    given, without labels.  ``_chains`` (show_chain): the references among
    the chains' objects, found in time linear in their length."""
    on_core = edge_func is gc.get_referrers or edge_func is gc.get_referents
    interactive = None
    if IS_INTERACTIVE:
        source = graphviz.Source  # imported above when interactive

        def interactive(text: str) -> Any:
            return source(text)

    drawing = pictures.Drawing(
        backwards=not swap_source_target,
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
        roots=_roots and edge_func is gc.get_referrers,
        cull=cull_func,
        edge_func=None if on_core else edge_func,
        interactive=interactive,
        presenter=lambda dot_filename, filename: _present_graph(dot_filename, filename),
        chains=_chains if on_core else None,
    )
    box = [objs]
    del objs
    return pictures.draw(box, drawing)


def _present_graph(dot_filename: str, filename: str | None = None) -> None:
    """Turns a .dot file into ``filename`` (an image) with Graphviz, or shows
    it in ``xdot``; :func:`whyalive.render.graphviz.present` with this module's
    ``_program_in_path`` and ``subprocess``, looked up at call time."""
    graphviz.present(
        dot_filename,
        filename,
        find_program=lambda program: _program_in_path(program),
        popen=lambda *args, **kwargs: subprocess.Popen(*args, **kwargs),
    )


def _program_in_path(program: str) -> bool:
    return shutil.which(program) is not None


def _obj_node_id(obj: Any) -> str:
    return f"o{id(obj)}".replace("-", "_")


def _obj_attrs(obj: Any, extra_node_attrs: Callable[[Any], dict] | None) -> str:
    if extra_node_attrs is None:
        return ""
    return _dot.node_attrs(extra_node_attrs(obj))


def _obj_label(
    obj: Any,
    extra_info: Callable[[Any], Any] | None = None,
    refcounts: bool = False,
    shortnames: bool = True,
) -> str:
    refcount = None
    if refcounts:
        # less this frame's and its caller's references
        refcount = pictures.program_refcounts([obj])[0] - 2
    lines = pictures.node_lines(obj, extra_info, refcount, shortnames)
    return _dot.quote("\n".join(lines))


def _quote(text: str) -> str:
    return _dot.quote(text)


def _short_typename(obj: Any) -> str:
    return pictures.type_name(obj, True)


def _long_typename(obj: Any) -> str:
    return pictures.type_name(obj, False)


_safe_repr = pictures.safe_repr
_short_repr = pictures.short_repr
_name_or_repr = pictures.name_or_repr
_gradient = _dot.gradient


def _edge_label(source: Any, target: Any, shortnames: bool = True) -> str:
    """The DOT attributes of the reference source -> target: whyalive's
    label for it, or '' when source does not refer to target."""
    if not any(referent is target for referent in gc.get_referents(source)):
        return ""
    from .. import _core

    label, kind, _role, part = _core.graph_labels([(source, target, 0, 0)])[0]
    weight = pictures.label_weight((label, kind, _role, part))
    extra = f",weight={weight}" if weight is not None else ""
    return f' [label="{_dot.quote(label)}"{extra}]'
