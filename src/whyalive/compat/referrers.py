"""referrers' functions on whyalive's C core.

``import whyalive.compat.referrers as referrers`` is the whole migration:
:func:`get_referrer_graph` and :func:`get_referrer_graph_for_list` take
referrers' parameters with its defaults, and return a
:class:`ReferrerGraph` whose ``str()`` is referrers' text tree and whose
:meth:`~ReferrerGraph.to_networkx` is its NetworkX graph, made of
:class:`ReferrerGraphNode` with the same names::

    ╙── list (object) (id=...) (target)
        ├── my_function.a (local) (id=...) (root)
        └── dict key=a (id=...)
            └── dict (object) (id=...)
                └── my_function.d (local) (id=...) (root)

Each level of the graph costs one pass over the heap in C
(``_core.graph_referrers``): all the referrers of a level at once, the
locals of running frames of every thread, untracked holders included,
where referrers pays one ``gc.get_referrers`` call per object.  The
references are named by the core, without running user code; only the
spelling is referrers': ``Holder.attr (instance attribute)``,
``dict key=k``, ``list index=3``, ``set member``,
``outer.<locals>.inner.x (closure)``, ``my_method method``,
``app.models.CACHE (global)``.

Where the results differ from referrers', it is on purpose:

- every module global is found, whatever ``module_prefixes`` says (it is
  accepted and checked, and widens nothing): a global of a module a
  running frame uses is ``(global)``, one of any other module
  ``(module variable)``;
- holders that referrers leaves out on purpose are shown, because they
  retain the object: a ``functools.lru_cache``'s cache, a thread's state
  (``MainThread.handled_exception (thread state)``);
- ``single_object_referrer_limit`` shows the first referrers up to the
  limit and then the limit's line, instead of none of them;
- ``max_untracked_search_depth`` is accepted and checked; untracked
  holders are found in the same pass, at any depth.

networkx is needed for :meth:`ReferrerGraph.to_networkx` only.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import types
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from .. import _core
from .._checks import check_int
from .._names import qualname, type_name
from ..query import TOOL_PREFIX

__all__ = [
    "ReferrerGraph",
    "ReferrerGraphNode",
    "get_referrer_graph",
    "get_referrer_graph_for_list",
]


@dataclass(frozen=True)
class ReferrerGraphNode:
    """A node of a referrer graph: an object (``Widget (object)``) or the
    name of a reference to one (``Holder.attr (instance attribute)``,
    ``main.w (local)``).

    ``id`` is the object's id; for a reference, the id of the object
    that holds it (a variable: of the object it names).  Nodes are equal
    when ``name``, ``id`` and ``type`` are; ``is_target`` marks the
    objects asked about and takes no part in equality.

    >>> from whyalive.compat.referrers import ReferrerGraphNode
    >>> print(ReferrerGraphNode("list (object)", 42, "object", is_target=True))
    list (object) (id=42) (target)
    """

    name: str
    id: int
    type: str
    is_target: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.name} (id={self.id})" + (" (target)" if self.is_target else "")


class ReferrerGraph:
    """The referrers of some objects: the targets, the names of the
    references to them, the objects that hold them, and so on out to the
    roots (variables) or a limit.

    ``str(graph)`` is the tree from each target outward, one line per
    node: a node met before is marked ``(cycle member)`` and not repeated,
    a node nothing refers to ``(root)``.
    """

    def __init__(
        self,
        targets: list[ReferrerGraphNode],
        referrers_of: dict[ReferrerGraphNode, dict[ReferrerGraphNode, None]],
    ) -> None:
        self._targets = targets
        # node -> its referrers, in the order found (a dict as an ordered set)
        self._referrers_of = referrers_of

    def __repr__(self) -> str:
        return (
            f"<ReferrerGraph: {len(self._targets)} targets, "
            f"{len(self._referrers_of)} nodes>"
        )

    def __str__(self) -> str:
        lines = [""]
        printed: set[ReferrerGraphNode] = set()
        for target in self._targets:
            if target in printed:
                continue
            printed.add(target)
            lines.append("╙── " + self._line(target, False))
            # depth first, without recursion: (node, prefix, last child)
            stack = self._children(target, "    ")
            while stack:
                node, prefix, last = stack.pop()
                seen = node in printed
                printed.add(node)
                branch = "└── " if last else "├── "
                lines.append(prefix + branch + self._line(node, seen))
                if not seen:
                    stack.extend(
                        self._children(node, prefix + ("    " if last else "│   "))
                    )
        return "\n".join(lines)

    def _line(self, node: ReferrerGraphNode, seen: bool) -> str:
        if seen:
            return f"{node} (cycle member)"
        if not self._referrers_of.get(node):
            return f"{node} (root)"
        return str(node)

    def _children(
        self, node: ReferrerGraphNode, prefix: str
    ) -> list[tuple[ReferrerGraphNode, str, bool]]:
        """The referrers of ``node`` as stack entries, the first on top."""
        found = list(self._referrers_of.get(node, ()))
        return [(child, prefix, k == len(found) - 1) for k, child in enumerate(found)][
            ::-1
        ]

    def to_networkx(self) -> Any:
        """The graph as a ``networkx.DiGraph`` of :class:`ReferrerGraphNode`,
        each edge from a referrer to what it refers to.

        >>> import whyalive.compat.referrers as referrers
        >>> def my_function():
        ...     a = [2, 4]
        ...     return referrers.get_referrer_graph(a).to_networkx()
        >>> graph = my_function()
        >>> [(u.name, v.name) for u, v in graph.edges]
        [('my_function.a (local)', 'list (object)')]
        """
        try:
            import networkx
        except ImportError as exc:
            raise ImportError(
                "ReferrerGraph.to_networkx() needs networkx: pip install networkx"
            ) from exc
        graph = networkx.DiGraph()
        for node, referrers in self._referrers_of.items():
            graph.add_node(node)
            for referrer in referrers:
                graph.add_edge(referrer, node)
        return graph


def get_referrer_graph(
    target_object: Any,
    max_depth: int | None = 20,
    exclude_object_ids: Sequence[int] | None = None,
    module_prefixes: Collection[str] | None = None,
    max_untracked_search_depth: int = 30,
    timeout: float | None = None,
    single_object_referrer_limit: int | None = 100,
) -> ReferrerGraph:
    """The graph of referrers of ``target_object``, out to ``max_depth``
    levels (a reference's name and its holder are a level each; None: no
    limit), within ``timeout`` seconds (None: no limit), at most
    ``single_object_referrer_limit`` referrers per object (None: all).
    A limit reached is a node saying so (``Maximum depth of 20
    exceeded``).  Objects whose ids are in ``exclude_object_ids`` are left
    out.  Collects garbage first, as referrers does.

    >>> import whyalive.compat.referrers as referrers
    >>> def my_function():
    ...     a = [2, 4]
    ...     d = dict(a=a)
    ...     return referrers.get_referrer_graph(a)
    >>> print(my_function())  # doctest: +ELLIPSIS
    <BLANKLINE>
    ╙── list (object) (id=...) (target)
        ├── my_function.a (local) (id=...) (root)
        └── dict key=a (id=...)
            └── dict (object) (id=...)
                └── my_function.d (local) (id=...) (root)
    """
    box = [target_object]
    del target_object
    return _graph(
        box,
        max_depth,
        exclude_object_ids,
        module_prefixes,
        max_untracked_search_depth,
        timeout,
        single_object_referrer_limit,
    )


def get_referrer_graph_for_list(
    target_objects: list[Any],
    max_depth: int | None = 20,
    exclude_object_ids: Sequence[int] | None = None,
    module_prefixes: Collection[str] | None = None,
    max_untracked_search_depth: int = 30,
    timeout: float | None = None,
    single_object_referrer_limit: int | None = 100,
) -> ReferrerGraph:
    """One graph of the referrers of every object in ``target_objects``
    (a list: any other iterable is a ValueError, as in referrers, so that a
    big iterable object is not taken apart by mistake); the list itself is
    left out.  Parameters as :func:`get_referrer_graph`.

    >>> import whyalive.compat.referrers as referrers
    >>> def two():
    ...     a, b = [1], [2]
    ...     return referrers.get_referrer_graph_for_list([a, b])
    >>> print(two())  # doctest: +ELLIPSIS
    <BLANKLINE>
    ╙── list (object) (id=...) (target)
        └── two.a (local) (id=...) (root)
    ╙── list (object) (id=...) (target)
        └── two.b (local) (id=...) (root)
    """
    if not isinstance(target_objects, list):
        raise ValueError("target_objects must be a list")
    box = list(target_objects)
    exclude = list(exclude_object_ids or ())
    exclude.append(id(target_objects))
    del target_objects
    return _graph(
        box,
        max_depth,
        exclude,
        module_prefixes,
        max_untracked_search_depth,
        timeout,
        single_object_referrer_limit,
    )


# ---------------------------------------------------------------------------
# The walk: objects and references, as plain data


def _check(
    max_depth: Any,
    exclude_object_ids: Any,
    module_prefixes: Any,
    max_untracked_search_depth: Any,
    timeout: Any,
    single_object_referrer_limit: Any,
) -> set[int]:
    """Every argument checked before any work; the ids to leave out."""
    if max_depth is not None:
        check_int(max_depth, "max_depth", "an int or None")
    if single_object_referrer_limit is not None:
        check_int(
            single_object_referrer_limit,
            "single_object_referrer_limit",
            "an int or None",
        )
    check_int(max_untracked_search_depth, "max_untracked_search_depth")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, Real)
    ):
        raise TypeError(
            f"timeout must be a number or None, not {type(timeout).__name__}"
        )
    if module_prefixes is not None and (
        isinstance(module_prefixes, str)
        or not all(isinstance(p, str) for p in module_prefixes)
    ):
        raise TypeError("module_prefixes must be a collection of strs or None")
    ids = set()
    for item in exclude_object_ids or ():
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(
                f"exclude_object_ids must hold ids (ints), not {type(item).__name__}"
            )
        ids.add(item)
    return ids


class _Walk:
    """What one walk found, in lists the core is told to ignore: the
    objects (``nodes``, which the core never reports), and per reference
    ``(referrer, referent)`` node indices and its label's parts."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.index: dict[int, int] = {}
        self.depth: list[int] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.label: list[str] = []
        self.kind: list[str] = []
        self.role: list[str] = []
        self.part: list[Any] = []
        self.module_of: dict[int, str] = {}  # node -> module, for module dicts
        self.roots: list[tuple[int, str]] = []  # (node, name of its variable)
        self.notes: list[tuple[int, str]] = []  # (node, a limit's line)
        self.constants: set[int] = set()  # nodes held by compiled code
        self.ntargets = 0  # the first nodes are the targets

    def containers(self) -> list[Any]:
        return [self, self.__dict__, *self.__dict__.values()]

    def add(self, obj: Any, depth: int) -> int:
        i = self.index.get(id(obj))
        if i is None:
            i = self.index[id(obj)] = len(self.nodes)
            self.nodes.append(obj)
            self.depth.append(depth)
        return i


def _step(kind_of_referrer: type, role: str, referent_is_cell: bool) -> int:
    """How many levels of referrers' graph one reference makes: a name and
    its holder (2); a bound method is named without a holder node (1); a
    cell, a closure's tuple of cells and an object's own ``__dict__`` fold
    into the name of the reference they carry (0)."""
    if role in ("cell_contents", "own_dict") or referent_is_cell:
        return 0
    if kind_of_referrer is types.MethodType:
        return 1
    return 2


def _graph(
    box: list[Any],
    max_depth: Any,
    exclude_object_ids: Any,
    module_prefixes: Any,
    max_untracked_search_depth: Any,
    timeout: Any,
    single_object_referrer_limit: Any,
) -> ReferrerGraph:
    ignore = _check(
        max_depth,
        exclude_object_ids,
        module_prefixes,
        max_untracked_search_depth,
        timeout,
        single_object_referrer_limit,
    )
    gc.collect()
    started = time.perf_counter()
    stack_modules = _stack_modules()
    w = _Walk()
    for obj in box:
        w.add(obj, 0)
    obj = None
    ntargets = w.ntargets = len(w.nodes)
    ignore.update(id(c) for c in w.containers())
    ignore.add(id(box))
    del box
    _walk(w, ignore, max_depth, timeout, single_object_referrer_limit, started)
    return _name(w, ntargets, stack_modules)


def _walk(
    w: _Walk,
    ignore: set[int],
    max_depth: int | None,
    timeout: float | None,
    limit: int | None,
    started: float,
) -> None:
    """Breadth first, one pass over the heap per level."""
    lo = 0
    while lo < len(w.nodes):
        hi = len(w.nodes)
        frontier = []
        for i in range(lo, hi):
            if i in w.module_of or (
                i >= w.ntargets and type(w.nodes[i]) is types.ModuleType
            ):
                continue  # a module, or its globals: a root, not walked past
            # a dict at the limit is walked one step more: when it is an
            # instance's own __dict__, its owner is on the same level
            depth = w.depth[i] - (type(w.nodes[i]) is dict)
            if max_depth is not None and depth >= max_depth:
                w.notes.append((i, f"Maximum depth of {max_depth} exceeded"))
            else:
                frontier.append(i)
        lo = hi
        if not frontier:
            continue
        elapsed = time.perf_counter() - started
        if timeout is not None and elapsed >= timeout:
            text = (
                f"Timeout of {timeout:.2f} seconds exceeded "
                f"(after {elapsed:.2f} seconds)"
            )
            w.notes.extend((i, text) for i in frontier)
            return
        ignore_ids = tuple(ignore)
        fresh, edges, _skipped, roots, modules = _core.graph_referrers(
            w.nodes, tuple(frontier), ignore_ids, -1, TOOL_PREFIX, True
        )
        edges, skipped = _first_referrers(edges, limit)
        # a root's name is the variable, or "<slot>" for the frame's own parts
        for i, (kind, name, detail) in roots:
            if kind == "frame":
                # referrers names a frame by its code's name, not qualified
                function = (detail[0] or "?").rsplit(".", 1)[-1]
                w.roots.append((i, f"{function}.{name} (local)"))
            else:
                w.roots.append((i, f"{_thread_name(detail[0])}.{name} (thread state)"))
        del roots
        module_at = dict(modules)
        pairs = []
        first = len(w.src)
        for src, dst, occurrence in edges:
            referrer = w.nodes[src] if src < hi else fresh[src - hi]
            pairs.append((referrer, w.nodes[dst], occurrence, int(src in module_at)))
            w.src.append(src)
            w.dst.append(dst)
        del edges
        rows = _core.graph_labels(pairs)
        for label, kind, role, part in rows:
            w.label.append(label)
            w.kind.append(kind)
            w.role.append(role)
            w.part.append(part)
        label = kind = role = part = None
        del rows
        # the referrers found become nodes, one level further out
        for n in range(first, len(w.src)):
            src, dst = w.src[n], w.dst[n]
            referrer = pairs[n - first][0]
            if type(referrer) is types.CodeType:
                # a constant of compiled code: the program's text, not a holder
                w.src[n] = -1
                w.constants.add(dst)
                continue
            step = _step(
                type(referrer), w.role[n], type(w.nodes[dst]) is types.CellType
            )
            j = w.add(referrer, w.depth[dst] + step)
            w.src[n] = j
            if src in module_at:
                w.module_of[j] = module_at[src]
        referrer = None
        del pairs, fresh
        for i, more in skipped:
            total = limit + more  # type: ignore[operator]
            text = f"Referrer limit of {limit} exceeded with {total} referrers."
            w.notes.append((i, text))


def _first_referrers(
    edges: list[tuple[int, int, int]], limit: int | None
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """The references from the first ``limit`` distinct referrers of each
    object, and (object, how many more) where there were more."""
    if limit is None:
        return edges, []
    kept: dict[int, dict[int, None]] = {}
    more: dict[int, set[int]] = {}
    result = []
    for src, dst, occurrence in edges:
        mine = kept.setdefault(dst, {})
        if src in mine or len(mine) < limit:
            mine[src] = None
            result.append((src, dst, occurrence))
        else:
            more.setdefault(dst, set()).add(src)
    return result, [(dst, len(found)) for dst, found in more.items()]


def _stack_modules() -> set[str]:
    """The modules whose globals the caller's frames use: their globals are
    ``(global)``, other modules' ``(module variable)``, as in referrers."""
    names = set()
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if isinstance(name, str):
            names.add(name)
        frame = frame.f_back
    return names


def _thread_name(thread_id: int) -> str:
    for thread in threading.enumerate():
        if thread.ident == thread_id:
            return thread.name
    return f"thread {thread_id}"


# ---------------------------------------------------------------------------
# Naming: referrers' nodes from the walk


#: Py_TPFLAGS_HEAPTYPE: a class made by a class statement (its instances'
#: attributes are "instance attributes"), not a C type
_HEAPTYPE = 1 << 9


def _type_name(obj: Any) -> str:
    return type_name(type(obj), qualified=False)


class _Namer:
    """Turns the walk's objects and labelled references into referrers'
    nodes: an object is ``Type (object)``, a reference the name of where
    it is held (``Holder.attr (instance attribute)``, ``dict key=k``)."""

    def __init__(self, w: _Walk, ntargets: int, stack_modules: set[str]) -> None:
        self.w = w
        self.ntargets = ntargets
        self.stack_modules = stack_modules
        self.referrers_of: dict[ReferrerGraphNode, dict[ReferrerGraphNode, None]] = {}
        # node -> the references to it: edge numbers
        self.into: dict[int, list[int]] = {}
        for n, dst in enumerate(w.dst):
            if w.src[n] >= 0:
                self.into.setdefault(dst, []).append(n)
        self.roots_of: dict[int, list[str]] = {}
        for i, name in w.roots:
            self.roots_of.setdefault(i, []).append(name)
        self.constants = self._constants()
        # own __dict__s of instances, named with their owner: dict -> owner
        self.owner: dict[int, int] = {}
        for n, src in enumerate(w.src):
            obj = w.nodes[src]
            if w.role[n] == "own_dict" and not isinstance(
                obj, (type, types.ModuleType)
            ):
                self.owner[w.dst[n]] = src

    def _constants(self) -> set[int]:
        """The nodes that are part of the program's text: held by compiled
        code (a function's constants) and by nothing else, or only by such
        constants (a tuple of tuples).  They are left out as holders."""
        w = self.w
        rooted = {i for i, _name in w.roots}
        constants = {i for i in w.constants if i not in rooted and not self.into.get(i)}
        grew = True
        while grew:
            grew = False
            for i, edges in self.into.items():
                if (
                    i not in constants
                    and i not in rooted
                    and i >= self.ntargets
                    and all(w.src[n] in constants for n in edges)
                ):
                    constants.add(i)
                    grew = True
        return constants

    def link(self, referent: ReferrerGraphNode, referrer: ReferrerGraphNode) -> None:
        self.referrers_of.setdefault(referent, {})[referrer] = None
        self.referrers_of.setdefault(referrer, {})

    def node(self, i: int) -> ReferrerGraphNode:
        """The node that stands for object ``i``, which its referrers point at."""
        obj = self.w.nodes[i]
        if type(obj) is types.MethodType and i >= self.ntargets:
            func = obj.__func__
            name = func.__name__ if type(func) is types.FunctionType else "?"
            return ReferrerGraphNode(f"{name} method", id(obj), "object")
        return ReferrerGraphNode(
            f"{_type_name(obj)} (object)", id(obj), "object", i < self.ntargets
        )

    def folded(self, i: int) -> bool:
        """Object ``i`` is shown as part of a name, not as a node: a cell,
        a closure's tuple of cells, an instance's own ``__dict__``."""
        obj = self.w.nodes[i]
        if i < self.ntargets:
            return False
        if type(obj) is types.CellType or i in self.owner:
            return True
        return type(obj) is tuple and any(
            self.w.role[n] == "closure" for n in self.into.get(i, ())
        )

    def names(self, n: int) -> list[tuple[ReferrerGraphNode, int | None]]:
        """Reference ``n`` as referrers names it: (name node, holder object
        or None when the name is the end of the line)."""
        w = self.w
        src, dst = w.src[n], w.dst[n]
        holder = w.nodes[src]
        referent = w.nodes[dst]
        label, kind, part = w.label[n], w.kind[n], w.part[n]
        if src in w.module_of:
            module = w.module_of[src]
            key = part if part is not None else label
            where = "global" if module in self.stack_modules else "module variable"
            return [
                (
                    ReferrerGraphNode(f"{module}.{key} ({where})", id(referent), where),
                    None,
                )
            ]
        if src in self.owner:  # a value in an instance's __dict__
            owner = self.owner[src]
            key = part if part is not None else label
            name = f"{_type_name(w.nodes[owner])}.{key} (instance attribute)"
            return [(ReferrerGraphNode(name, id(w.nodes[owner]), "object"), owner)]
        if type(holder) is types.CellType:
            return self.closures(src, referent)
        if type(holder) is types.MethodType:
            return [(self.node(src), -1)]
        tname = _type_name(holder)
        if kind == "key" and isinstance(holder, dict):
            key = part if part is not None else label[1:-1]
            name = f"{tname} key={key}"
        elif kind == "index":
            name = f"{tname} index={part}"
        elif kind == "element":
            name = f"{tname} member"
        elif isinstance(holder, type):
            name = f"{qualname(holder)}{label}"
        elif kind == "attr" and type(holder).__flags__ & _HEAPTYPE:
            name = f"{tname}{label} (instance attribute)"
        else:
            name = f"{tname}{label}"
        return [(ReferrerGraphNode(name, id(holder), "object"), src)]

    def closures(
        self, cell: int, value: Any
    ) -> list[tuple[ReferrerGraphNode, int | None]]:
        """A cell's value is held by the functions whose closure has the
        cell (``outer.<locals>.inner.x (closure)``) and by the running
        frame whose cell variable it is (``outer.x (local)``)."""
        w = self.w
        found: list[tuple[ReferrerGraphNode, int | None]] = [
            (ReferrerGraphNode(name, id(value), "local"), None)
            for name in self.roots_of.get(cell, ())
        ]
        for n in self.into.get(cell, ()):
            cells = w.src[n]
            if not self.folded(cells):  # a frame's cell variable, say
                found.extend(self.names(n))
                continue
            for m in self.into.get(cells, ()):
                if w.role[m] != "closure":
                    continue
                function = w.nodes[w.src[m]]
                if type(function) is not types.FunctionType:
                    continue
                names = function.__code__.co_freevars
                index = w.part[n]
                variable = (
                    names[index] if index is not None and index < len(names) else "?"
                )
                node = ReferrerGraphNode(
                    f"{function.__qualname__}.{variable} (closure)",
                    id(function),
                    "closure",
                )
                found.append((node, w.src[m]))
        return found

    def build(self) -> ReferrerGraph:
        w = self.w
        targets = [self.node(i) for i in range(self.ntargets)]
        for node in targets:
            self.referrers_of.setdefault(node, {})
        notes_of: dict[int, list[str]] = {}
        for i, text in w.notes:
            notes_of.setdefault(i, []).append(text)
        for i in range(len(w.nodes)):
            if i in w.module_of or self.folded(i):
                continue
            me = self.node(i)
            for name in self.roots_of.get(i, ()):
                self.link(me, ReferrerGraphNode(name, id(w.nodes[i]), "local"))
            for n in self.into.get(i, ()):
                if w.src[n] in self.constants:
                    continue
                for name_node, holder in self.names(n):
                    if holder == -1:  # a bound method: the name is its node
                        self.link(me, name_node)
                        continue
                    self.link(me, name_node)
                    if holder is not None:
                        self.link(name_node, self.node(holder))
            for text in notes_of.get(i, ()):
                self.link(me, ReferrerGraphNode(text, id(w.nodes[i]), "object"))
        return ReferrerGraph(targets, self._reachable(targets))

    def _reachable(
        self, targets: list[ReferrerGraphNode]
    ) -> dict[ReferrerGraphNode, dict[ReferrerGraphNode, None]]:
        """The nodes that lead to a target: a holder named only through a
        reference that folds into another name is left out."""
        keep = {node: None for node in targets}
        todo = list(targets)
        while todo:
            for referrer in self.referrers_of.get(todo.pop(), ()):
                if referrer not in keep:
                    keep[referrer] = None
                    todo.append(referrer)
        return {node: self.referrers_of.get(node, {}) for node in keep}


def _name(w: _Walk, ntargets: int, stack_modules: set[str]) -> ReferrerGraph:
    try:
        return _Namer(w, ntargets, stack_modules).build()
    finally:
        w.nodes.clear()
