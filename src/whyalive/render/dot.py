"""Graphviz DOT: the one writer of whyalive's pictures.

Everything drawn goes through :func:`write_dot`, which consumes a
:class:`DotGraph` of plain data (node keys, label lines, depths, edge
labels): :func:`whyalive.show_backrefs`, :func:`whyalive.show_refs` and
:func:`whyalive.show_chain` build one from a walk of the heap,
:meth:`whyalive.Report.to_dot` from a report.  Nothing here looks at the
heap or calls user code.

The statements follow objgraph's conventions (node ``o<id>`` per object,
start objects in red, depth shading, modules in green, a dotted box for
the references not drawn), so its users read our pictures at once; edge
labels are whyalive's (``.attr``, ``['key']``, ``[3]``, ``<local 'x'>``)
and roots are drawn as roots.

This module only writes text: files, images and viewers are
:mod:`whyalive.render.graphviz`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import GraphvizNotFoundError
from .text import HEAD_EDGES, MAX_SHOWN_EDGES, TAIL_EDGES
from .words import elided_references

__all__ = [
    "DotEdge",
    "DotGraph",
    "DotNode",
    "GraphvizNotFoundError",  # its old home; see whyalive.errors
    "dot_text",
    "gradient",
    "node_attrs",
    "quote",
    "render",
    "report_graph",
    "write_dot",
]

#: Shading of object nodes from depth 0 to max_depth (HSV).
NODE_SHADE = ((0.0, 0.0, 1.0), (0.0, 0.0, 0.3))
#: Shading of the "N more references" boxes.
MORE_SHADE = ((0.0, 1.0, 1.0), (0.0, 1.0, 0.3))
#: Hue and saturation of modules, of other roots, of highlighted nodes.
MODULE_HS = (0.3, 1.0)
ROOT_HS = (0.1, 0.6)
HIGHLIGHT_HS = (0.6, 0.6)


@dataclass
class DotEdge:
    """``src -> dst``: ``src`` refers to ``dst`` under ``label``."""

    src: str
    dst: str
    label: str | None = None
    #: Graphviz layout weight: 10 for an object's own parts (attributes,
    #: locals), 2 for identifier dict keys, None for the rest.
    weight: int | None = None


@dataclass
class DotNode:
    """One box of the picture, followed by the edges found from it."""

    key: str
    lines: list[str]
    depth: int = 0
    #: 'object', 'module' (a module or its globals), 'root' (a frame,
    #: a thread state, a reference from outside the object graph) or
    #: 'elided' (the middle of a long path, cut as the text tree cuts it)
    kind: str = "object"
    start: bool = False
    highlight: bool = False
    finalizer: bool = False  # its class defines __del__
    attrs: dict[str, Any] = field(default_factory=dict)
    edges: list[DotEdge] = field(default_factory=list)
    #: neighbours not drawn (``too_many``)
    more: int = 0


@dataclass
class DotGraph:
    """A picture: nodes in the order they were found, each with its edges."""

    nodes: list[DotNode]
    max_depth: int = 1
    #: True when the walk went from the objects to what refers to them:
    #: "N more backreferences" then points at the node
    backwards: bool = True


def quote(text: str) -> str:
    """``text`` inside a DOT double-quoted string.

    >>> quote('say "hi"\\nnow')
    'say \\\\"hi\\\\"\\\\nnow'
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ch == "\x7f":
            # shown, never interpreted: Graphviz chokes on raw controls
            out.append(f"\\\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def gradient(
    start: tuple[float, float, float],
    end: tuple[float, float, float],
    depth: int,
    max_depth: int,
) -> tuple[float, float, float]:
    """The colour ``depth/max_depth`` of the way from ``start`` to ``end``.

    >>> gradient((0, 0, 1), (0, 0, 0.3), 0, 0)
    (0, 0, 1)
    >>> gradient((0, 0, 1.0), (0, 0, 0.0), 1, 2)
    (0.0, 0.0, 0.5)
    """
    if max_depth == 0:
        return start
    f = depth / max_depth
    return tuple(a + (b - a) * f for a, b in zip(start, end, strict=True))  # type: ignore[return-value]


def node_attrs(attrs: dict[str, Any] | None) -> str:
    """Extra node attributes as ``, name="value"`` text, sorted, None left out.

    >>> node_attrs({"shape": "diamond", "URL": None, "color": "red"})
    ', color="red", shape="diamond"'
    """
    if not attrs:
        return ""
    return "".join(
        f', {name}="{quote(str(value))}"'
        for name, value in sorted(attrs.items())
        if value is not None
    )


def _colour(node: DotNode, max_depth: int) -> tuple[float, float, float]:
    h, s, v = gradient(*NODE_SHADE, node.depth, max_depth)
    if node.kind == "module":
        h, s = MODULE_HS
    elif node.kind == "root":
        h, s = ROOT_HS
    if node.highlight:
        h, s = HIGHLIGHT_HS
        v = 0.5 + v * 0.5
    return h, s, v


def _edge_line(edge: DotEdge) -> str:
    extra = ""
    if edge.label is not None:
        weight = f",weight={edge.weight}" if edge.weight is not None else ""
        extra = f' [label="{quote(edge.label)}"{weight}]'
    elif edge.weight is not None:
        extra = f" [weight={edge.weight}]"
    return f"  {edge.src} -> {edge.dst}{extra};\n"


def write_dot(graph: DotGraph, file: IO[str]) -> None:
    """Writes ``graph`` as a DOT ``digraph`` to ``file``."""
    w = file.write
    w("digraph ObjectGraph {\n  node[shape=box, style=filled, fillcolor=white];\n")
    for node in graph.nodes:
        if node.start:
            w(f"  {node.key}[fontcolor=red];\n")
    for node in graph.nodes:
        key = node.key
        label = quote("\n".join(node.lines))
        w(f'  {key}[label="{label}"{node_attrs(node.attrs)}];\n')
        h, s, v = _colour(node, graph.max_depth)
        w(f'  {key}[fillcolor="{h:g},{s:g},{v:g}"];\n')
        if v < 0.5:
            w(f"  {key}[fontcolor=white];\n")
        if node.finalizer:
            w(
                f"  {key}->{key}_has_a_del"
                "[color=red,style=dotted,len=0.25,weight=10];\n"
                f'  {key}_has_a_del[label="__del__",shape=doublecircle,'
                'height=0.25,color=red,fillcolor="0,.5,1",fontsize=6];\n'
            )
        for edge in node.edges:
            w(_edge_line(edge))
        if node.more:
            h, s, v = gradient(*MORE_SHADE, node.depth + 1, graph.max_depth)
            more = f"too_many_{key}"
            if graph.backwards:
                text = f"{node.more} more backreferences"
                w(f"  {more}->{key}[color=red,style=dotted,len=0.25,weight=10];\n")
            else:
                text = f"{node.more} more references"
                w(f"  {key}->{more}[color=red,style=dotted,len=0.25,weight=10];\n")
            w(
                f'  {more}[label="{text}",shape=box,height=0.25,color=red,'
                f'fillcolor="{h:g},{s:g},{v:g}",fontsize=6];\n'
            )
            w(f"  {more}[fontcolor=white];\n")
    w("}\n")


def dot_text(graph: DotGraph) -> str:
    """``graph`` as DOT text."""
    import io

    buffer = io.StringIO()
    write_dot(graph, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Reports


def render(report: Any, out: IO[str]) -> None:
    """Writes ``report`` as a Graphviz DOT graph to ``out`` (the render
    protocol: ``render(report, out, **options)``).

    >>> import io
    >>> from whyalive.report import Report
    >>> out = io.StringIO()
    >>> render(Report.empty(), out)
    >>> out.getvalue().startswith("digraph ObjectGraph {")
    True
    """
    write_dot(report_graph(report), out)


def report_graph(report: Any) -> DotGraph:
    """The retainer paths of a :class:`whyalive.Report` as a picture.

    Targets are drawn in red, each path's referrers above them with the
    labels of their references, and the root of every path as a root:
    module globals in green; frames, thread states, references from
    outside the object graph and garbage in orange.
    """
    nodes: dict[str, DotNode] = {}
    drawn: set[tuple[str, str, str | None]] = set()
    root_keys: dict[tuple, str] = {}
    max_depth = 1

    def add(key: str, lines: list[str], depth: int, **kw: Any) -> DotNode:
        found = nodes.get(key)
        if found is None:
            found = nodes[key] = DotNode(key, lines, depth, **kw)
        elif depth < found.depth:
            found.depth = depth
        return found

    for target in report.targets:
        key = f"o{target.id}"
        add(key, _describe_lines(target.type_name, target.name), 0, start=True)
        for path in target.paths:
            below, depth = key, 0
            links: list[tuple[str, str, str | None]] = []
            edges = path.edges
            # a long path head and tail, as the text tree shows it
            cut = len(edges) > MAX_SHOWN_EDGES
            hidden = range(HEAD_EDGES, len(edges) - TAIL_EDGES) if cut else range(0)
            for n in range(len(edges)):
                if n in hidden:
                    if n == hidden.start:
                        depth += 1
                        src = f"elided{len(nodes)}"
                        more = elided_references(len(hidden))
                        node = add(src, [more], depth, kind="elided")
                        node.attrs["style"] = "dashed,filled"
                        links.append((src, below, None))
                        below = src
                    continue
                e = edges[n]
                depth += 1
                src = f"o{e.referrer_id}"
                add(src, _describe_lines(e.referrer_type, e.referrer_name), depth)
                links.append((src, below, e.label))
                below = src
            root = path.root
            root_id = (root.kind, root.name, tuple(root.detail))
            root_key = root_keys.setdefault(root_id, f"root{len(root_keys)}")
            depth += 1
            kind = "module" if root.kind == "module" else "root"
            add(root_key, [root.describe(), f"(root: {root.tag()})"], depth, kind=kind)
            links.append((root_key, below, None))
            max_depth = max(max_depth, depth)
            for src, dst, label in links:
                if (src, dst, label) not in drawn:
                    drawn.add((src, dst, label))
                    edge = DotEdge(src, dst, label, _weight_of_label(label))
                    nodes[dst].edges.append(edge)
    return DotGraph(list(nodes.values()), max_depth=max_depth, backwards=True)


def _describe_lines(type_name: str, name: str) -> list[str]:
    return [type_name, name] if name else [type_name]


def _weight_of_label(label: str | None) -> int | None:
    if label is None:
        return None
    if label.startswith((".", "<local", "<closure")):
        return 10
    if label.startswith("['"):
        return 2
    return None
