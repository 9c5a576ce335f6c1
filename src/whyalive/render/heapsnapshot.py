"""A heap snapshot as Chrome DevTools' ``.heapsnapshot`` (V8's format).

``snap.save(path, format="heapsnapshot")`` writes one JSON object: a
``snapshot.meta`` naming the node fields (``type, name, id, self_size,
edge_count, trace_node_id, detachedness``) and edge fields (``type,
name_or_index, to_node``), then ``nodes`` and ``edges`` as flat arrays of
those fields, and ``strings``, each string once.  Open it in DevTools'
Memory tab (Load): the Summary groups objects by their Python type, and the
Retainers, Containment and Dominators views walk the same references
``explain`` names.

The mapping: node 0 is the synthetic root, referring to every root of the
snapshot (module globals by module name, frames and threads by the name
explain gives them); each object is a node named by its type (functions
``closure``, code objects ``code``, strs ``string``, ints and floats
``number``, the rest ``object``), with id ``2 * node + 3`` (odd, as V8's
heap objects) and its shallow size.  References: list and tuple items are
``element`` edges (their index), attributes and dict values ``property``
edges (the label), locals and closure variables ``context`` edges, the
rest ``internal``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["EDGE_FIELDS", "EDGE_TYPES", "NODE_FIELDS", "NODE_TYPES", "save"]

NODE_FIELDS = (
    "type",
    "name",
    "id",
    "self_size",
    "edge_count",
    "trace_node_id",
    "detachedness",
)
NODE_TYPES = (
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
)
EDGE_FIELDS = ("type", "name_or_index", "to_node")
EDGE_TYPES = (
    "context",
    "element",
    "property",
    "internal",
    "hidden",
    "shortcut",
    "weak",
)

_NODE_TYPE_OF = {
    "function": NODE_TYPES.index("closure"),
    "code": NODE_TYPES.index("code"),
    "str": NODE_TYPES.index("string"),
    "int": NODE_TYPES.index("number"),
    "float": NODE_TYPES.index("number"),
    "bool": NODE_TYPES.index("number"),
}
_OBJECT = NODE_TYPES.index("object")
_SYNTHETIC = NODE_TYPES.index("synthetic")
#: The core's edge kinds (vocab.EDGE_KINDS) as DevTools' edge types.
_EDGE_TYPE_OF = {
    "index": EDGE_TYPES.index("element"),
    "key": EDGE_TYPES.index("property"),
    "attr": EDGE_TYPES.index("property"),
    "local": EDGE_TYPES.index("context"),
    "closure": EDGE_TYPES.index("context"),
}
_INTERNAL = EDGE_TYPES.index("internal")
_ELEMENT = EDGE_TYPES.index("element")
_PROPERTY = EDGE_TYPES.index("property")
_WIDTH = len(NODE_FIELDS)


def _ints(values: Any) -> str:
    return ",".join(map(str, values))


def save(snap: Any, path: Any) -> None:
    """Writes ``snap`` (a :class:`~whyalive.HeapSnapshot`) to ``path``."""
    arrays = snap.arrays
    strings = list(arrays.strings)
    extra: dict[str, int] = {}

    def intern(text: str) -> int:
        if text not in extra:
            extra[text] = len(strings)
            strings.append(text)
        return extra[text]

    kinds = arrays.edge_kind_names
    count = len(arrays.ids)
    nodes: list[int] = [_SYNTHETIC, intern("(root)"), 1, 0, len(arrays.roots), 0, 0]
    node_type = [
        _NODE_TYPE_OF.get(name, _OBJECT) for name in strings[: len(arrays.strings)]
    ]
    starts = arrays.edge_start
    for n in range(count):
        t = arrays.types[n]
        nodes += (
            node_type[t],
            t,
            2 * n + 3,
            arrays.sizes[n],
            starts[n + 1] - starts[n],
            0,
            0,
        )
    edges: list[int] = []
    for i, (node, name) in enumerate(arrays.roots):
        edges += (_PROPERTY, intern(name or f"root #{i}"), (node + 1) * _WIDTH)
    label_fields = arrays.labels
    key_names: dict[int, int] = {}
    for e, target in enumerate(arrays.edges):
        label = arrays.edge_labels[e]
        to = ((target & 0x7FFFFFFF) + 1) * _WIDTH
        if label & arrays.LABEL_ITEM:
            # no entry in labels: a list's or tuple's item, or a dict's
            # value under a str key (a property named by its label)
            index = arrays.item_index(label)
            if index >= 0:
                edges += (_ELEMENT, index, to)
            else:
                if label not in key_names:
                    key_names[label] = intern(arrays.label_text(label))
                edges += (_PROPERTY, key_names[label], to)
            continue
        text, kind = label_fields[5 * label], label_fields[5 * label + 1]
        edge_type = _EDGE_TYPE_OF.get(kinds[kind], _INTERNAL)
        if edge_type == _ELEMENT:
            name = max(label_fields[5 * label + 4], 0)
        elif edge_type == _PROPERTY:
            name = intern(strings[text].lstrip("."))
        else:
            name = text
        edges += (edge_type, name, to)
    document_head = {
        "meta": {
            "node_fields": list(NODE_FIELDS),
            "node_types": [
                list(NODE_TYPES),
                "string",
                "number",
                "number",
                "number",
                "number",
                "number",
            ],
            "edge_fields": list(EDGE_FIELDS),
            "edge_types": [list(EDGE_TYPES), "string_or_number", "node"],
            "trace_function_info_fields": [
                "function_id",
                "name",
                "script_name",
                "script_id",
                "line",
                "column",
            ],
            "trace_node_fields": [
                "id",
                "function_info_index",
                "count",
                "size",
                "children",
            ],
            "sample_fields": ["timestamp_us", "last_assigned_id"],
            "location_fields": ["object_index", "script_id", "line", "column"],
        },
        "node_count": count + 1,
        "edge_count": len(edges) // len(EDGE_FIELDS),
        "trace_function_count": 0,
    }
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"snapshot":')
        json.dump(document_head, out)
        out.write(',\n"nodes":[')
        out.write(_ints(nodes))
        out.write('],\n"edges":[')
        out.write(_ints(edges))
        out.write(
            '],\n"trace_function_infos":[],"trace_tree":[],"samples":[],'
            '"locations":[],\n"strings":'
        )
        json.dump(strings, out)
        out.write("}\n")
