"""NetworkX: a report as a ``networkx.MultiDiGraph`` (networkx optional).

Nodes are the objects on the report's paths, keyed by their id, with the
attributes

- ``type``: the type's name; ``id``: the id; ``name``: the name the object
  carries (a function's, a class's), or ``''``; ``description``: how the
  text tree names it;
- ``target``: True for the objects asked about;
- ``root``: the kind of root (``module``, ``frame``, ``thread``, ...) that
  holds the object directly, on the first such path, or None;
  ``root_kinds``: every kind of root that holds it directly, in path
  order; ``root_descriptions``: those roots as the text tree words them.

Edges go referrer → referent, one per reference (two paths through the
same reference share its edge; the edge's key is its label), with the
attributes ``label`` (``['w1']``, ``.registry``, ``<local 'x'>``) and
``kind`` (:data:`whyalive.vocab.EDGE_KINDS`).  A root is not an object:
it is the ``root`` attribute of what it holds.  Reports read back from
JSON give the same graph.

This is not a text format, so there is no ``render`` here; write the
graph with networkx's own writers (``networkx.write_graphml``, ...).
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_networkx"]


def to_networkx(report: Any) -> Any:
    """The graph of ``report`` (a :class:`whyalive.Report`), described above.

    >>> import whyalive
    >>> class Widget: pass
    >>> REGISTRY = {"w1": Widget()}
    >>> graph = to_networkx(whyalive.explain(REGISTRY["w1"]))
    >>> target = id(REGISTRY["w1"])
    >>> graph.nodes[target]["type"].endswith("Widget"), graph.nodes[target]["target"]
    (True, True)
    >>> edges = graph.in_edges(target, data=True)
    >>> [(graph.nodes[u]["type"], d["label"]) for u, _, d in edges]
    [('dict', "['w1']")]
    """
    try:
        import networkx
    except ImportError:
        raise ImportError(
            "Report.to_networkx() needs networkx: pip install networkx"
        ) from None
    graph = networkx.MultiDiGraph()
    for target in report.targets:
        _add_node(graph, target.id, target.type_name, target.name, target.describe())
        graph.nodes[target.id]["target"] = True
    for target in report.targets:
        for path in target.paths:
            below = target.id
            for edge in path.edges:
                held = edge.referrer_id
                _add_node(
                    graph,
                    held,
                    edge.referrer_type,
                    edge.referrer_name,
                    edge.referrer_description(),
                )
                if not graph.has_edge(held, below, key=edge.label):
                    graph.add_edge(
                        held, below, key=edge.label, label=edge.label, kind=edge.kind
                    )
                below = held
            root = path.root
            data = graph.nodes[below]
            description = f"{root.describe()} (root: {root.tag()})"
            if description not in data["root_descriptions"]:
                data["root_kinds"].append(root.kind)
                data["root_descriptions"].append(description)
                if data["root"] is None:
                    data["root"] = root.kind
    return graph


def _add_node(
    graph: Any, node_id: int, type_name: str, name: str, description: str
) -> None:
    if node_id in graph:
        return
    graph.add_node(
        node_id,
        id=node_id,
        type=type_name,
        name=name,
        description=description,
        target=False,
        root=None,
        root_kinds=[],
        root_descriptions=[],
    )
