"""Plain data returned by the C core, wrapped for reading.

Every class here is a small view over a tuple the core built, kept as the
core built it (its shape is documented in ``whyalive._core.find_paths``
and typed in ``_core.pyi``); what the core cannot know -- a thread's name,
where a target was allocated -- sits beside that tuple, never packed into
it.  Equality, hashing and pickling come from the tuple and those extras.
Nothing here holds a strong reference to a heap object unless the report
was asked to (``keep_objects=True``); ids, type names and labels are
enough to render.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from .ranking import rank_target
from .render.words import (
    describe_edge,
    describe_root,
    edge_run,
    interpreter_root_label,
    root_tag,
)
from .render.words import describe_object as describe_object  # its old home
from .vocab import EDGE_KINDS, UNRESOLVED_STATUSES
from .vocab import ROOT_KINDS as ROOT_KINDS  # spelled in whyalive.vocab
from .vocab import STATUSES as STATUSES

__all__ = ["Edge", "Report", "RetainerPath", "Root", "Stats", "Target"]


class _TupleView:
    """A read-only view whose identity is the core's tuple it wraps and
    the extras (:meth:`_extras`) its constructor was given."""

    __slots__ = ("_data",)

    def __init__(self, data: tuple) -> None:
        self._data = data

    def _extras(self) -> tuple:
        """The constructor's arguments after the core's tuple."""
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (self._data, self._extras()) == (other._data, other._extras())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._data, self._extras()))

    def __reduce__(self):
        return (type(self), (self._data, *self._extras()))


class _WithThreadName(_TupleView):
    """A view of a core tuple that may start in a thread, and that
    thread's name (the core knows thread ids only), or None."""

    __slots__ = ("_thread_name",)

    def __init__(self, data: tuple, thread_name: str | None = None) -> None:
        super().__init__(data)
        self._thread_name = thread_name

    def _extras(self) -> tuple:
        return (self._thread_name,)


#: A run of this many identical references or more (a linked list's
#: ``.next``) is shown once, with its count.
FOLD_RUNS_FROM = 3


class Edge(_TupleView):
    """One reference on a retainer path: ``referrer`` holds the next object
    toward the target under ``label``.

    >>> e = Edge(("dict", 0x10, "['w1']", "key", ""))
    >>> e.label, e.kind, e.describe()
    ("['w1']", 'key', "['w1'] in dict")
    """

    __slots__ = ()

    referrer_type = property(lambda self: self._data[0], doc="Type of the referrer.")
    referrer_id = property(lambda self: self._data[1], doc="id() of the referrer.")
    label = property(lambda self: self._data[2], doc="How code names the reference.")
    kind = property(
        lambda self: self._data[3],
        doc="key, dict_key, index, element, attr, closure, local or referent.",
    )
    referrer_name = property(
        lambda self: self._data[4],
        doc="Name the referrer carries (function, class, module...), or ''.",
    )

    def referrer_description(self) -> str:
        """The referrer as a person names it: ``dict``, ``function f``."""
        return describe_object(self.referrer_type, self.referrer_name)

    def describe(self) -> str:
        """``['w1'] in dict``, ``.registry of app.Registry``."""
        return describe_edge(
            self.label, self.kind, self.referrer_type, self.referrer_name
        )

    def describe_run(self, count: int) -> str:
        """``count`` references like this one in a row, as one line:
        ``.next ×300 of app.Node``."""
        return describe_edge(
            edge_run(self.label, count),
            self.kind,
            self.referrer_type,
            self.referrer_name,
        )

    def __repr__(self) -> str:
        return f"<Edge {self.describe()} at {self.referrer_id:#x}>"


class Root(_WithThreadName):
    """Where a retainer path starts: the core's ``(kind, name, detail)``,
    and the name of the thread for frame and thread roots.

    ``kind`` is one of :data:`whyalive.vocab.ROOT_KINDS`; ``name`` names the root
    (``app.REGISTRY``, a local's name, a thread-state field); ``detail``
    is the kind's raw data, exposed by the properties below.

    >>> Root(("module", "app.X", ("app", "X"))).module
    'app'
    """

    __slots__ = ()

    kind = property(lambda self: self._data[0])
    detail = property(lambda self: self._data[2])

    @property
    def name(self) -> str:
        """The root's name; an interpreter root's is phrased from its
        detail (``signal handler for SIGUSR1``)."""
        if self._data[0] == "interpreter":
            return interpreter_root_label(*self._data[2])
        return self._data[1]

    @property
    def thread_name(self) -> str | None:
        """Name of the thread (frame and thread roots), or None."""
        return self._thread_name

    # module roots: (module name, global name)
    @property
    def module(self) -> str | None:
        return self.detail[0] if self.kind == "module" else None

    # frame roots: (function, filename, lineno, thread id, slot, depth)
    @property
    def function(self) -> str | None:
        return self.detail[0] if self.kind == "frame" else None

    @property
    def filename(self) -> str | None:
        return self.detail[1] if self.kind == "frame" else None

    @property
    def lineno(self) -> int | None:
        return self.detail[2] if self.kind == "frame" else None

    @property
    def thread_id(self) -> int | None:
        if self.kind == "frame":
            return self.detail[3]
        if self.kind == "thread":
            return self.detail[0]
        return None

    @property
    def outer_frames(self) -> int:
        """For frame roots: how many outer frames of the same thread hold
        the object the same way (folded into this, the innermost)."""
        detail = self.detail
        return detail[6] if self.kind == "frame" and len(detail) > 6 else 0

    @property
    def slot(self) -> str | None:
        """For frame roots: local, cell, free, function, locals, frame or
        temporary (a value on the frame's stack: a call's argument, a
        loop's iterator, an operand)."""
        return self.detail[4] if self.kind == "frame" else None

    # interpreter roots: (holder, index, key)
    @property
    def holder(self) -> str | None:
        """For interpreter roots, what holds the object: ``atexit``,
        ``signal_handler``, ``codec_search``, ``codec_cache``,
        ``codec_error``, ``audit_hook``, ``gc_callbacks``,
        ``gc_garbage``, ``fork_before``/``fork_parent``/``fork_child``,
        ``monitoring``, ``state_dict``, ``sys_dict``, ``builtins_dict``
        or ``sys_modules`` (``atexit_args``/``atexit_kwargs``: a
        callback's arguments)."""
        return self.detail[0] if self.kind == "interpreter" else None

    # external roots: (refcount, seen, unseen)
    @property
    def refcount(self) -> int | None:
        return self.detail[0] if self.kind == "external" else None

    @property
    def seen(self) -> int | None:
        return self.detail[1] if self.kind == "external" else None

    @property
    def unseen(self) -> int | None:
        return self.detail[2] if self.kind == "external" else None

    @property
    def collectable(self) -> bool | None:
        """For garbage: whether ``gc.collect()`` frees it."""
        return self.name == "collectable" if self.kind == "garbage" else None

    def describe(self) -> str:
        """The root line of a report, without its ``(root: ...)`` tag."""
        return describe_root(self)

    def tag(self) -> str:
        """The ``(root: ...)`` tag of the root line."""
        return root_tag(self)

    def __repr__(self) -> str:
        return f"<Root {self.kind}: {self.describe()}>"


class RetainerPath(_WithThreadName):
    """A chain of references from a root to a target: the core's
    ``(root, edges, length)``, and the name of the root's thread.

    ``edges[0]`` is the reference that holds the target itself; the last
    edge's referrer is the object the root holds.

    >>> root = ("module", "app.REGISTRY", ("app", "REGISTRY"))
    >>> RetainerPath((root, (("dict", 0x10, "['w1']", "key", ""),), 2)).expression
    "app.REGISTRY['w1']"
    """

    __slots__ = ()

    @property
    def root(self) -> Root:
        return Root(self._data[0], self._thread_name)

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(Edge(e) for e in self._data[1])

    @property
    def length(self) -> int:
        """References on the path, the root's own included."""
        return self._data[2]

    @property
    def retainer(self) -> Edge | None:
        """The edge that holds the target directly, if any."""
        edges = self._data[1]
        return Edge(edges[0]) if edges else None

    @property
    def expression(self) -> str:
        """The path as one line of code: ``app.REGISTRY.registry['w1']``."""
        root = self.root
        if root.kind in ("module", "frame"):
            start = root.name
        elif root.kind == "interpreter":
            start = f"<{root.name}>"
        else:
            start = f"<{root.kind}>"
        out = start
        after_run = False
        for edge, count in reversed(self.runs()):
            label = edge.label if count == 1 else edge_run(edge.label, count)
            if after_run:
                out += " "
            out += label if label.startswith((".", "[")) else f" -> {label}"
            after_run = count > 1
        return out

    def runs(self) -> list[tuple[Edge, int]]:
        """The edges, target side first, with runs of the same reference
        (``FOLD_RUNS_FROM`` or more: a linked list's ``.next``) as one
        ``(edge, count)``; other edges count 1.

        >>> edge = ("Node", 0x10, ".next", "attr", "")
        >>> root = ("module", "app.HEAD", ("app", "HEAD"))
        >>> [(e.label, n) for e, n in RetainerPath((root, (edge,) * 5, 6)).runs()]
        [('.next', 5)]
        """
        runs: list[tuple[Edge, int]] = []
        raw = self._data[1]
        i = 0
        while i < len(raw):
            j = i + 1
            key = (raw[i][0], raw[i][2], raw[i][3])
            while j < len(raw) and (raw[j][0], raw[j][2], raw[j][3]) == key:
                j += 1
            if j - i >= FOLD_RUNS_FROM:
                runs.append((Edge(raw[i]), j - i))
            else:
                runs.extend((Edge(raw[k]), 1) for k in range(i, j))
            i = j
        return runs

    def __repr__(self) -> str:
        return (
            f"<RetainerPath {self.expression} ({self.root.kind}, length {self.length})>"
        )


class Target(_TupleView):
    """One object asked about, with its retainer paths: the core's target
    tuple; where tracemalloc saw it allocated; the names of the threads
    its frame and thread roots belong to (``(thread id, name)`` pairs);
    and, for ``keep_objects=True``, the object itself (which takes no part
    in equality and is not pickled).
    """

    __slots__ = (
        "_allocated_at",
        "_has_object",
        "_object",
        "_sizes",
        "_thread_names",
    )

    def __init__(
        self,
        data: tuple,
        allocated_at: tuple | None = None,
        thread_names: tuple[tuple[int, str], ...] = (),
        sizes: tuple[tuple[int, int], ...] = (),
        obj: Any = None,
        has_object: bool = False,
    ) -> None:
        super().__init__(data)
        self._allocated_at = allocated_at
        self._thread_names = thread_names
        self._sizes = sizes
        self._object = obj
        self._has_object = has_object

    def _extras(self) -> tuple:
        return (self._allocated_at, self._thread_names, self._sizes)

    @property
    def retained_size(self) -> int | None:
        """Bytes freeing the target would free (its own and what only it
        keeps alive), when the report was made with ``sizes=True``; else
        None."""
        return self.retained_size_of(self.id)

    def retained_size_of(self, obj_id: int) -> int | None:
        """The retained size of the target or of a holder on its paths, by
        id, when the report was made with ``sizes=True``; else None.

        >>> data = (0x20, "list", "", 1, 1, 0, "rooted", (), 0)
        >>> t = Target(data, sizes=((0x20, 64),))
        >>> t.retained_size, t.retained_size_of(0x30)
        (64, None)
        """
        for known, size in self._sizes:
            if known == obj_id:
                return size
        return None

    @property
    def sizes(self) -> tuple[tuple[int, int], ...]:
        """``(id, retained size)`` of the target and the holders on its
        paths (``sizes=True``), or ()."""
        return self._sizes

    def with_sizes(self, sizes: tuple[tuple[int, int], ...]) -> Target:
        """The same target, with these ``(id, retained size)`` pairs."""
        return Target(
            self._data,
            self._allocated_at,
            self._thread_names,
            tuple(sizes),
            self._object,
            self._has_object,
        )

    id = property(lambda self: self._data[0], doc="id() of the target.")
    type_name = property(lambda self: self._data[1])
    name = property(lambda self: self._data[2], doc="Its __qualname__/name, or ''.")
    refcount = property(lambda self: self._data[3], doc="-1 for immortal objects.")
    seen = property(
        lambda self: self._data[4],
        doc="References the graph shows; -1 if the time ran out while indexing.",
    )
    unseen = property(
        lambda self: self._data[5],
        doc="References from outside it; -1 for an immortal object, or if the"
        " time ran out while indexing.",
    )
    status = property(lambda self: self._data[6], doc="One of whyalive.vocab.STATUSES.")
    omitted = property(lambda self: self._data[8], doc="Retainers not shown.")
    allocated_at = property(
        lambda self: self._allocated_at,
        doc="tracemalloc traceback ((filename, lineno), oldest first), or None.",
    )

    @property
    def paths(self) -> tuple[RetainerPath, ...]:
        names = dict(self._thread_names)
        return tuple(
            RetainerPath(p, names.get(_root_thread_id(p[0]))) for p in self._data[7]
        )

    @property
    def immortal(self) -> bool:
        return self.refcount == -1

    @property
    def object(self) -> Any:
        """The target itself, if the report was made with keep_objects=True."""
        if not self._has_object:
            raise LookupError(
                "the report keeps no reference to its targets; "
                "pass keep_objects=True to keep them"
            )
        return self._object

    def describe(self) -> str:
        """``app.Widget at 0x7f...``"""
        head = describe_object(self.type_name, self.name)
        return f"{head} at {self.id:#x}"

    def __repr__(self) -> str:
        return f"<Target {self.describe()}: {self.status}, {len(self._data[7])} paths>"


class Stats(NamedTuple):
    """What one walk cost, and where a time limit stopped it.

    ``stopped_in`` names the phase the time ran out in (``"listing"``,
    ``"indexing"``, ``"searching"``, ``"searching_outside"``,
    ``"choosing"``, ``"tracing_back"``, ``"naming"``), or is None;
    ``stopped_at`` is how far that phase had got: objects listed or
    indexed, the depth the search had reached, or targets done.

        >>> Stats(10, 20, 1, 3, 0.01, 0.001, 0.011).stopped_in is None
        True
    """

    nodes: int
    edges: int
    threads: int
    frames: int
    index_seconds: float
    search_seconds: float
    total_seconds: float
    stopped_in: str | None = None
    stopped_at: int = 0

    def add(self, more: Stats) -> Stats:
        """The cost of this walk and ``more`` together; where a time limit
        stopped is the first of the two walks' that stopped.

        >>> done = Stats(10, 20, 1, 3, 0.5, 0.25, 1.0)
        >>> cut = Stats(5, 0, 1, 3, 0.5, 0.0, 0.5, "indexing", 5)
        >>> both = done.add(cut)
        >>> both.nodes, both.total_seconds, both.stopped_in, both.stopped_at
        (15, 1.5, 'indexing', 5)
        """
        stopped = self if self.stopped_in else more
        return stopped._replace(
            **{field: getattr(self, field) + getattr(more, field) for field in _COSTS}
        )


#: The Stats fields that add up over several walks (all before stopped_in).
_COSTS = Stats._fields[: Stats._fields.index("stopped_in")]


class Report:
    """Why the targets are alive: ``str(report)`` is the text tree.

    ``report.targets`` lists the targets (explicit ones first), each with
    its ``paths``; ``report.partial`` says whether a limit (time, depth)
    stopped the search before every root was found.

    A report made from the core's answer (:meth:`from_core`) keeps the
    core's target tuples as they came, or its flat tables (the queries'
    compact answer, :class:`FlatTargets`), and makes a :class:`Target`
    view of one only when it is read (``report[i]``, iteration,
    ``targets``): a report of 10,000 instances costs the core's tables,
    and its views are made for the targets a caller looks at.
    """

    __slots__ = ("_lazy", "_partial", "_stats", "_targets", "_views")

    def __init__(
        self, targets: Sequence[Target], partial: str | None, stats: Stats
    ) -> None:
        self._targets: tuple[Target, ...] | None = tuple(targets)
        self._lazy: _LazyTargets | None = None
        self._views: list[Target | None] = []
        self._partial = partial
        self._stats = stats

    @classmethod
    def from_core(
        cls,
        raw: tuple,
        thread_names: dict[int, str] | None = None,
        allocations: Sequence[Any] | None = None,
        objects: Sequence[Any] | None = None,
        *,
        compact: bool = False,
        max_paths: int | None = None,
        only_ids: Container[int] | None = None,
    ) -> Report:
        """Wraps the tuple ``_core.find_paths`` returned, its target tuples
        as they are; ``thread_names`` maps thread ids to names,
        ``allocations`` and ``objects`` go with the targets in order.

        ``compact``: the targets are ``find_paths(compact=True)``'s flat
        tables (or a :class:`FlatTargets` of them), a target's tuple made
        from them when it is read;
        ``max_paths``: each target's paths are the core's candidates,
        ranked (:func:`whyalive.ranking.rank_target`) when it is read;
        ``only_ids``: the report has the targets with these ids only."""
        partial, raw_targets, raw_stats, _ = raw
        if compact:
            source = (
                raw_targets
                if isinstance(raw_targets, FlatTargets)
                else FlatTargets(raw_targets)
            )
        else:
            source = tuple(raw_targets)
        statuses = (
            source.statuses()
            if isinstance(source, FlatTargets)
            else [t[6] for t in source]
        )
        order = None
        if only_ids is not None:
            ids = (
                source.ids()
                if isinstance(source, FlatTargets)
                else [t[0] for t in source]
            )
            order = tuple(i for i, id_ in enumerate(ids) if id_ in only_ids)
            statuses = [statuses[i] for i in order]
        if partial == "max_depth" and not any(
            status in UNRESOLVED_STATUSES for status in statuses
        ):
            partial = None  # every target's root was found within the bound
        report = cls.__new__(cls)
        report._partial = partial
        report._stats = Stats(*raw_stats)
        report._targets = None
        report._lazy = _LazyTargets(
            source,
            dict(thread_names or {}),
            None if allocations is None else tuple(allocations),
            None if objects is None else tuple(objects),
            max_paths,
            order,
        )
        report._views = [None] * len(statuses)
        return report

    def _view(self, index: int) -> Target:
        """The view of target ``index``, made once."""
        lazy = self._lazy
        assert lazy is not None
        view = self._views[index]
        if view is None:
            view = self._views[index] = lazy.view(index)
        return view

    @classmethod
    def empty(cls) -> Report:
        """A report of no targets and no cost.

        >>> len(Report.empty()), Report.empty().partial
        (0, False)
        """
        return cls((), None, Stats(0, 0, 0, 0, 0.0, 0.0, 0.0))

    @classmethod
    def merge(cls, reports: Iterable[Report]) -> Report:
        """One report of several walks': their targets in order, the first
        reason one was partial, their stats added (:meth:`Stats.add`).

        >>> cut = Report((), "timeout", Stats(1, 0, 0, 0, 0.0, 0.0, 0.5))
        >>> both = Report.merge([Report.empty(), cut])
        >>> both.partial_reason, both.stats.total_seconds
        ('timeout', 0.5)
        """
        targets: list[Target] = []
        partial = None
        stats = None
        for report in reports:
            targets.extend(report.targets)
            partial = partial or report.partial_reason
            stats = report.stats if stats is None else stats.add(report.stats)
        return cls(targets, partial, stats or cls.empty().stats)

    def without_unreferenced(self) -> Report:
        """The report without the targets nothing but whyalive itself (and
        excluded objects) holds: status ``unreferenced``.

        >>> report = Report.empty()
        >>> report.without_unreferenced() is report
        True
        """
        if self._lazy is not None:
            statuses = self._lazy.statuses()
        else:
            statuses = [t.status for t in self.targets]
        kept = [i for i, status in enumerate(statuses) if status != "unreferenced"]
        if len(kept) == len(statuses):
            return self
        return Report([self[i] for i in kept], self._partial, self._stats)

    @property
    def targets(self) -> tuple[Target, ...]:
        if self._targets is None:
            self._targets = tuple(self._view(i) for i in range(len(self._views)))
        return self._targets

    @property
    def partial(self) -> bool:
        """True when a limit stopped the search: see ``partial_reason``."""
        return self._partial is not None

    @property
    def partial_reason(self) -> str | None:
        """None, ``'timeout'`` or ``'max_depth'``."""
        return self._partial

    @property
    def stats(self) -> Stats:
        return self._stats

    def __iter__(self) -> Iterator[Target]:
        if self._targets is not None:
            return iter(self._targets)
        return (self._view(i) for i in range(len(self._views)))

    def __len__(self) -> int:
        if self._targets is not None:
            return len(self._targets)
        return len(self._views)

    def __getitem__(self, index: int) -> Target:
        if self._targets is not None:
            return self._targets[index]
        chosen = range(len(self._views))[index]
        if isinstance(chosen, range):  # a slice: a tuple, as targets[index]
            return tuple(self._view(i) for i in chosen)  # type: ignore[return-value]
        return self._view(chosen)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return (self.targets, self._partial) == (other.targets, other._partial)

    def __hash__(self) -> int:
        return hash((self.targets, self._partial))

    def __reduce__(self):
        return (Report, (self.targets, self._partial, self._stats))

    def to_dot(self) -> str:
        """The report as a Graphviz DOT graph: each target in red, the
        referrers on its paths above it with the references labelled, and
        every path's root drawn as a root.  ``dot -Tsvg`` makes a picture.

        >>> r = Report([], None, Stats(0, 0, 0, 0, 0.0, 0.0, 0.0))
        >>> r.to_dot().startswith("digraph ObjectGraph {")
        True
        """
        from .render.dot import dot_text, report_graph

        return dot_text(report_graph(self))

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data that names its schema
        (``"schema": "whyalive.report/1"``, see :mod:`whyalive.render.json`).

        >>> r = Report([], None, Stats(0, 0, 0, 0, 0.0, 0.0, 0.0))
        >>> r.to_dict()["schema"], r.to_dict()["targets"]
        ('whyalive.report/1', [])
        """
        from .render.json import to_dict

        return to_dict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as a JSON document (:meth:`to_dict`); the same report
        gives the same text, and :meth:`from_json` reads it back.

        >>> r = Report([], "timeout", Stats(0, 0, 0, 0, 0.0, 0.0, 0.0))
        >>> Report.from_json(r.to_json()) == r
        True
        """
        from .render.json import report_to_json

        return report_to_json(self, indent=indent)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Report:
        """The report a :meth:`to_dict` document describes."""
        from .render.json import from_dict

        return from_dict(document)

    @classmethod
    def from_json(cls, text: str | bytes) -> Report:
        """The report a :meth:`to_json` document describes: its text, its
        JSON and its equality are those of the report that wrote it
        (without the targets themselves, which a document cannot carry).
        """
        from .render.json import report_from_json

        return report_from_json(text)

    def to_html(self, *, title: str = "whyalive report") -> str:
        """The report as a standalone HTML page: the collapsible tree of
        :meth:`_repr_html_`, with buttons that open and close it all.

        >>> Report.empty().to_html(title="leaks").startswith("<!DOCTYPE html>")
        True
        """
        from .render.html import page

        return page(self, title=title)

    def to_networkx(self) -> Any:
        """The report as a ``networkx.MultiDiGraph`` (networkx is needed):
        a node per object (keyed by id; attributes ``type``, ``id``,
        ``name``, ``description``, ``target``, ``root``), an edge per
        reference, referrer → referent, with its ``label`` and ``kind``.
        See :mod:`whyalive.render.networkx`.

        >>> import whyalive
        >>> class Widget: pass
        >>> registry = {"w1": Widget()}
        >>> graph = whyalive.explain(registry["w1"]).to_networkx()
        >>> edges = graph.in_edges(id(registry["w1"]), data=True)
        >>> [data["label"] for _, _, data in edges]
        ["['w1']"]
        """
        from .render.networkx import to_networkx

        return to_networkx(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the tree as collapsible HTML, roots marked."""
        from .render.html import fragment

        return fragment(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's view: the text tree."""
        printer.text(repr(self) if cycle else str(self))

    def __str__(self) -> str:
        from .render.text import render_report

        return render_report(self)

    def __repr__(self) -> str:
        """One line: the target and what holds it, or the targets' types
        and roots.

        >>> repr(Report.empty())
        '<whyalive.Report: no targets>'
        """
        from .render.text import summary_line

        return f"<whyalive.Report: {summary_line(self)}>"


class _LazyTargets:
    """What a report made from the core's answer keeps until a target is
    read: the core's target tuples (or its flat tables), the names of
    threads by id, the targets' allocation tracebacks and objects (or
    None), how many paths to rank a target's candidates down to (or None:
    as they are), and which of the core's targets the report has, in
    order (or None: all)."""

    __slots__ = ("allocations", "max_paths", "names", "objects", "order", "raw")

    def __init__(
        self,
        raw: Sequence[tuple] | FlatTargets,
        names: dict[int, str],
        allocations: tuple | None,
        objects: tuple | None,
        max_paths: int | None = None,
        order: tuple[int, ...] | None = None,
    ) -> None:
        self.raw = raw
        self.names = names
        self.allocations = allocations
        self.objects = objects
        self.max_paths = max_paths
        self.order = order

    def statuses(self) -> list[str]:
        """The status of each target of the report, without a view."""
        raw = self.raw
        every = raw.statuses() if isinstance(raw, FlatTargets) else [t[6] for t in raw]
        return every if self.order is None else [every[i] for i in self.order]

    def view(self, index: int) -> Target:
        """The :class:`Target` of the report's target ``index``."""
        if self.order is not None:
            index = self.order[index]
        t = self.raw[index]
        if self.max_paths is not None:
            t = rank_target(t, self.max_paths)
        names = self.names
        threads = {_root_thread_id(p[0]) for p in t[7]}
        named = tuple(sorted((k, names[k]) for k in threads if k in names))
        allocated = self.allocations[index] if self.allocations is not None else None
        if self.objects is not None:
            return Target(t, allocated, named, obj=self.objects[index], has_object=True)
        return Target(t, allocated, named)


#: Words of the core's flat records (``find_paths(compact=True)``).
_TARGET_WORDS, _PATH_WORDS, _EDGE_WORDS = 9, 3, 5
_UNSIGNED = (1 << 64) - 1


class FlatTargets:
    """The core's flat tables of a compact answer, read as the sequence of
    target tuples the core would have built: ``self[i]`` makes target
    ``i``'s tuple, equal to the eager answer's, each time it is asked.

    >>> from array import array
    >>> texts = ["list", "[0]", "", "app.W"]
    >>> root = ("module", "app.ITEMS", ("app", "ITEMS"))
    >>> words = lambda *v: array("q", v).tobytes()
    >>> flat = FlatTargets(
    ...     (
    ...         texts,
    ...         [root],
    ...         words(0x20, 3, 2, 2, 1, 1, 0, 0, 1),
    ...         words(0, 2, 1),
    ...         words(0),
    ...         words(0, 0x10, 1, 2, 2),
    ...     )
    ... )
    >>> flat[0] == (0x20, "app.W", "", 2, 1, 1, "rooted",
    ...             ((root, (("list", 0x10, "[0]", "index", ""),), 2),), 0)
    True
    """

    __slots__ = ("edges", "hops", "paths", "roots", "targets", "texts")

    def __init__(self, tables: tuple) -> None:
        texts, roots, targets, paths, hops, edges = tables
        self.texts = texts
        self.roots = roots
        self.targets = memoryview(targets).cast("q")
        self.paths = memoryview(paths).cast("q")
        self.hops = memoryview(hops).cast("q")
        self.edges = memoryview(edges).cast("q")

    def __len__(self) -> int:
        return len(self.targets) // _TARGET_WORDS

    def statuses(self) -> list[str]:
        return [_STATUS_NAMES[k] for k in self.targets[6::_TARGET_WORDS]]

    def ids(self) -> list[int]:
        return [i & _UNSIGNED for i in self.targets[0::_TARGET_WORDS]]

    def refcounts(self) -> list[int]:
        """Each target's refcount (-1: immortal), without its tuple."""
        return self.targets[3::_TARGET_WORDS].tolist()

    def _edge(self, index: int) -> tuple:
        type_name, referrer, label, kind, name = self.edges[
            index * _EDGE_WORDS : (index + 1) * _EDGE_WORDS
        ]
        texts = self.texts
        return (
            texts[type_name],
            referrer & _UNSIGNED,
            texts[label],
            _EDGE_KIND_NAMES[kind],
            texts[name],
        )

    def __getitem__(self, index: int) -> tuple:
        at = index * _TARGET_WORDS
        if not 0 <= index < len(self):
            raise IndexError(index)
        id_, type_name, name, refcount, seen, unseen, status, omitted, end = (
            self.targets[at : at + _TARGET_WORDS]
        )
        start = self.targets[at - 1] if index else 0
        hops, paths = self.hops, self.paths
        made = []
        for p in range(start, end):
            root, length, hops_end = paths[p * _PATH_WORDS : (p + 1) * _PATH_WORDS]
            hops_start = paths[p * _PATH_WORDS - 1] if p else 0
            edges = tuple(self._edge(e) for e in hops[hops_start:hops_end])
            made.append((self.roots[root], edges, length))
        texts = self.texts
        return (
            id_ & _UNSIGNED,
            texts[type_name],
            texts[name],
            refcount,
            seen,
            unseen,
            _STATUS_NAMES[status],
            tuple(made),
            omitted,
        )


#: The core's statuses and edge kinds by their enums' numbers (vocab.py
#: spells them in the C order: tests/core/test_vocabulary.py).
_STATUS_NAMES = STATUSES
_EDGE_KIND_NAMES = EDGE_KINDS


def _root_thread_id(root: tuple) -> int | None:
    """The thread a core root tuple belongs to (frame and thread roots;
    the core knows thread ids only), or None."""
    kind, _, detail = root
    if kind == "frame":
        return detail[3]
    if kind == "thread":
        return detail[0]
    return None
