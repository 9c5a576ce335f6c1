"""JSON: a report as a document that names the schema it follows.

``Report.to_dict()`` / ``to_json()`` write it, ``Report.from_json()`` /
``from_dict()`` read it back: the round trip gives the same report, the
same text and the same JSON.  The document follows the JSON Schema
shipped in the package (``whyalive/schemas/report-1.schema.json``,
:func:`schema`); its top-level ``"schema"`` field names that schema and
version (``"whyalive.report/1"``).  A change to the document's shape
gets a new schema file and version; readers check the version.

Fields carry the report's plain data: ids, type names, labels, root
kinds with their raw ``detail`` (a list of strings, ints and nulls, as
the core gives it), and, for people and other tools, derived text: each
target's ``description``, each root's ``description`` and ``tag``, each
path's ``expression``.  Readers of the JSON ignore the derived fields.

    >>> import whyalive
    >>> class Widget: pass
    >>> registry = {"w1": Widget()}
    >>> document = whyalive.explain(registry["w1"]).to_dict()
    >>> document["schema"], document["targets"][0]["paths"][0]["edges"][0]["label"]
    ('whyalive.report/1', "['w1']")
"""

from __future__ import annotations

import json
from importlib import resources
from typing import IO, Any

__all__ = [
    "SCHEMA",
    "SCHEMA_FILE",
    "from_dict",
    "render",
    "report_from_json",
    "report_to_json",
    "schema",
    "to_dict",
]

#: The schema this module writes and reads: name and version.
SCHEMA = "whyalive.report/1"
#: Where it lives in the package.
SCHEMA_FILE = "schemas/report-1.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the documents :func:`to_dict`
    writes, as shipped in the package.

    >>> schema()["properties"]["schema"]["const"]
    'whyalive.report/1'
    """
    text = resources.files("whyalive").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def to_dict(report: Any) -> dict[str, Any]:
    """``report`` as plain JSON data (dicts, lists, strs, ints, floats,
    bools, None)."""
    return {
        "schema": SCHEMA,
        "partial": report.partial_reason,
        "stats": dict(report.stats._asdict()),
        "targets": [_target(t) for t in report.targets],
    }


def _target(target: Any) -> dict[str, Any]:
    allocated = target.allocated_at
    return {
        "id": target.id,
        "type_name": target.type_name,
        "name": target.name,
        "description": target.describe(),
        "refcount": target.refcount,
        "seen": target.seen,
        "unseen": target.unseen,
        "status": target.status,
        "omitted": target.omitted,
        "allocated_at": (
            None if allocated is None else [[f, line] for f, line in allocated]
        ),
        "paths": [_path(p) for p in target.paths],
    }


def _path(path: Any) -> dict[str, Any]:
    root = path.root
    return {
        "length": path.length,
        "expression": path.expression,
        "root": {
            "kind": root.kind,
            "name": root.name,
            "detail": list(root.detail),
            "thread_name": root.thread_name,
            "description": root.describe(),
            "tag": root.tag(),
        },
        "edges": [
            {
                "referrer_type": e.referrer_type,
                "referrer_id": e.referrer_id,
                "label": e.label,
                "kind": e.kind,
                "referrer_name": e.referrer_name,
            }
            for e in path.edges
        ],
    }


def from_dict(document: Any) -> Any:
    """The :class:`whyalive.Report` a :func:`to_dict` document describes.

    The document must name this schema (``"schema":
    "whyalive.report/1"``); a missing field is a ``ValueError`` naming it.
    """
    from ..report import Report, Stats

    if not isinstance(document, dict):
        raise TypeError(f"document must be a dict, not {type(document).__name__}")
    version = document.get("schema")
    if version != SCHEMA:
        raise ValueError(
            f"document follows schema {version!r}; this whyalive reads {SCHEMA!r}"
        )
    try:
        targets, thread_names, allocations = [], {}, []
        for t in document["targets"]:
            paths = []
            for p in t["paths"]:
                root = p["root"]
                detail = tuple(root["detail"])
                if root["kind"] in ("frame", "thread") and root["thread_name"]:
                    thread_id = detail[3] if root["kind"] == "frame" else detail[0]
                    thread_names[thread_id] = root["thread_name"]
                edges = tuple(
                    (
                        e["referrer_type"],
                        e["referrer_id"],
                        e["label"],
                        e["kind"],
                        e["referrer_name"],
                    )
                    for e in p["edges"]
                )
                paths.append(((root["kind"], root["name"], detail), edges, p["length"]))
            allocated = t["allocated_at"]
            allocations.append(
                None if allocated is None else tuple(tuple(f) for f in allocated)
            )
            targets.append(
                (
                    t["id"],
                    t["type_name"],
                    t["name"],
                    t["refcount"],
                    t["seen"],
                    t["unseen"],
                    t["status"],
                    tuple(paths),
                    t["omitted"],
                )
            )
        stats = document["stats"]
        raw = (
            document["partial"],
            targets,
            tuple(stats[f] for f in Stats._fields),
            None,
        )
    except KeyError as missing:
        raise ValueError(f"the document has no field {missing}") from None
    return Report.from_core(raw, thread_names=thread_names, allocations=allocations)


def report_to_json(report: Any, *, indent: int | None = 2) -> str:
    """:func:`to_dict` as JSON text (keys in a fixed order: the same
    report gives the same text)."""
    return json.dumps(to_dict(report), indent=indent, ensure_ascii=False)


def report_from_json(text: str | bytes) -> Any:
    """The report a :func:`report_to_json` text describes."""
    return from_dict(json.loads(text))


def render(report: Any, out: IO[str], *, indent: int | None = 2) -> None:
    """Writes ``report`` as JSON to ``out``."""
    out.write(report_to_json(report, indent=indent))
    out.write("\n")
