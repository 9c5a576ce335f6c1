"""Tables the command line prints: a heap snapshot's top retainers, the
types that changed between two snapshots, a census of a running process;
as text for people and as JSON documents that name the schema they follow
(``whyalive/schemas/tables-1.schema.json``, :func:`schema`).

    >>> from whyalive.snapshot import RetainerRow
    >>> row = RetainerRow((0x10, "list", 8_100_000, 81, "app.CACHE.pages"))
    >>> print(top_text([row]))
    0x10  8.1 MB  app.CACHE.pages  (list, 81 objects)
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .words import describe_size

__all__ = [
    "SCHEMA",
    "SCHEMA_FILE",
    "census_document",
    "census_text",
    "diff_document",
    "diff_text",
    "schema",
    "signed_size",
    "top_document",
    "top_text",
]

#: The schema of the documents this module writes: name and version.
SCHEMA = "whyalive.tables/1"
#: Where it lives in the package.
SCHEMA_FILE = "schemas/tables-1.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the documents this module
    writes, as shipped in the package.

    >>> schema()["$defs"]["kind"]["enum"]
    ['top_retainers', 'diff', 'census']
    """
    text = resources.files("whyalive").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def signed_size(delta: int) -> str:
    """A change in bytes, with its sign.

    >>> signed_size(8_100), signed_size(-512), signed_size(0)
    ('+8.1 kB', '-512 B', '0 B')
    """
    if delta == 0:
        return "0 B"
    return ("+" if delta > 0 else "-") + describe_size(abs(delta))


def top_text(rows: list[Any]) -> str:
    """Rows of ``HeapSnapshot.top_retainers``, one line each, led by the
    id (what ``whyalive analyze FILE --explain ID`` takes)."""
    if not rows:
        return "(no object)"
    width = max(len(f"{row.id:#x}") for row in rows)
    return "\n".join(f"{row.id:#{width}x}  {row}" for row in rows)


def top_document(source: str, snap: Any, rows: list[Any]) -> dict[str, Any]:
    """The top retainers of the snapshot read from ``source`` as JSON data.

    >>> import whyalive
    >>> snap = whyalive.heap_snapshot()
    >>> top_document("heap.whyalive", snap, snap.top_retainers(1))["kind"]
    'top_retainers'
    """
    return {
        "schema": SCHEMA,
        "kind": "top_retainers",
        "source": source,
        "objects": len(snap),
        "total_size": snap.total_size,
        "rows": [
            {
                "id": row.id,
                "type": row.type_name,
                "retained_size": row.retained_size,
                "objects": row.count,
                "expression": row.expression,
            }
            for row in rows
        ],
    }


def diff_text(deltas: list[Any]) -> str:
    """Rows of ``SnapshotDiff.by_type``: the type, the change in objects
    and in bytes, then the later snapshot's totals.

    >>> from whyalive.snapshot import TypeDelta
    >>> print(diff_text([TypeDelta(("dict", 3, 600, 10, 2000))]))
    dict  +3 objects  +600 B  (now 10 objects, 2.0 kB)
    """
    if not deltas:
        return "(no type changed)"
    name_w = max(len(d.type_name) for d in deltas)
    counts = [f"{d.count_delta:+,d}" for d in deltas]
    count_w = max(map(len, counts))
    sizes = [signed_size(d.size_delta) for d in deltas]
    size_w = max(map(len, sizes))
    return "\n".join(
        f"{d.type_name:<{name_w}}  {c:>{count_w}} objects  {s:>{size_w}}"
        f"  (now {d.count:,} objects, {describe_size(d.size)})"
        for d, c, s in zip(deltas, counts, sizes, strict=True)
    )


def diff_document(
    source: str,
    earlier: str,
    deltas: list[Any],
    new_objects: int,
    report: Any = None,
) -> dict[str, Any]:
    """A diff of two snapshots as JSON data: the types that changed, the
    number of new objects, and (when asked for) the report of why new
    objects of a type are alive (the report schema's document)."""
    return {
        "schema": SCHEMA,
        "kind": "diff",
        "source": source,
        "earlier": earlier,
        "new_objects": new_objects,
        "types": [
            {
                "type": d.type_name,
                "count_delta": d.count_delta,
                "size_delta": d.size_delta,
                "count": d.count,
                "size": d.size,
            }
            for d in deltas
        ],
        "report": None if report is None else report.to_dict(),
    }


def census_text(rows: list[list[Any]], where: str) -> str:
    """A census (``[type, count]`` rows, most first) of the process
    ``where`` names.

    >>> print(census_text([["dict", 1200], ["Session", 3]], "process 42"))
    most common types in process 42:
      dict         1,200
      Session          3
    """
    lines = [f"most common types in {where}:"]
    width = max((len(name) for name, _ in rows), default=0)
    lines += [f"  {name:<{width}} {count:>10,}" for name, count in rows]
    return "\n".join(lines)


def census_document(pid: int, python: str, rows: list[list[Any]]) -> dict[str, Any]:
    """A census of process ``pid`` (running ``python``) as JSON data.

    >>> census_document(42, "CPython 3.14.0", [["dict", 1200]])["rows"]
    [{'type': 'dict', 'count': 1200}]
    """
    return {
        "schema": SCHEMA,
        "kind": "census",
        "pid": pid,
        "python": python,
        "rows": [{"type": name, "count": count} for name, count in rows],
    }
