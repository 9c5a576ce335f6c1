"""Read a heap snapshot file: what keeps the most memory alive, why one
object was alive, what grew since an earlier snapshot.

``whyalive analyze FILE`` reads a snapshot that ``whyalive snapshot``,
``whyalive attach PID --dump FILE`` or ``HeapSnapshot.save`` wrote (in
any process) and prints its top retainers: the objects whose freeing
would free the most, each with its id and its path from a root.
``--explain ID`` explains one of them as ``whyalive.explain`` would have
(retained sizes beside each holder), in any ``--format``.  ``--diff
EARLIER`` lists the types that grew since the earlier snapshot of the same
process, and with ``--type TYPE`` explains why the new objects of that
type are alive.  A file that is not a whyalive snapshot, or is truncated
or corrupt, gets one line saying what is wrong and where, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..render import tables
from ..render.words import describe_size
from .common import (
    FORMATS,
    UsageError,
    check_format,
    check_output,
    on_terminal,
    tell,
    write_report,
    write_text,
)

NAME = "analyze"
HELP = "read a heap snapshot file: top retainers, explain an id, diff two"

#: Rows shown when --top is not given: retainers, and changed types.
DEFAULT_TOP = 10
DEFAULT_DIFF_ROWS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a whyalive heap snapshot")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--explain",
        metavar="ID",
        help="explain the object with this id (decimal or 0x hex, as the "
        "top retainers list them)",
    )
    action.add_argument(
        "--diff",
        metavar="EARLIER",
        help="what changed since EARLIER, a snapshot of the same process",
    )
    parser.add_argument(
        "--top",
        type=int,
        metavar="N",
        help=f"rows shown: top retainers ({DEFAULT_TOP}), or with --diff "
        f"changed types ({DEFAULT_DIFF_ROWS})",
    )
    parser.add_argument(
        "--type",
        metavar="TYPE",
        help="with --diff: explain why the new objects of this type are alive",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="with --diff --type: new objects explained (20)",
    )
    parser.add_argument(
        "-f",
        "--format",
        help=f"{', '.join(FORMATS)} (text by default; the tables are text or json)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    parser.add_argument(
        "--max-paths", type=int, default=3, help="paths shown per object (3)"
    )


def parse_id(text: str) -> int:
    """An object id as the user typed it: decimal, or hex with ``0x``.

    >>> parse_id("0x7f00"), parse_id("4096")
    (32512, 4096)
    """
    try:
        value = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise UsageError(f"--explain: {text!r} is not an object id") from None
    if value < 0:
        raise UsageError(f"--explain: {text!r} is not an object id")
    return value


def main(args: argparse.Namespace) -> int:
    fmt = check_format(args.format, args.output)
    check_output(args.output)
    report_wanted = args.explain is not None or args.type is not None
    if fmt not in ("text", "json") and not report_wanted:
        option = f"--format {fmt}" if args.format else f"-o {args.output}"
        raise UsageError(
            f"{option}: the tables are text or json; {fmt} is for a "
            "report (--explain ID, or --diff EARLIER --type TYPE)"
        )
    if args.type is not None and args.diff is None:
        raise UsageError("--type: only with --diff EARLIER")
    if args.top is not None and args.explain is not None:
        raise UsageError("--top: not with --explain")
    if args.top is not None and args.top < 1:
        raise UsageError(f"--top: must be >= 1, got {args.top}")
    if args.limit < 1:
        raise UsageError(f"--limit: must be >= 1, got {args.limit}")
    if args.max_paths < 1:
        raise UsageError(f"--max-paths: must be >= 1, got {args.max_paths}")
    obj_id = parse_id(args.explain) if args.explain is not None else None

    snap = load(args.file)
    if obj_id is not None:
        return _explain(snap, obj_id, args, fmt)
    if args.diff is not None:
        return _diff(snap, load(args.diff), args, fmt)
    return _top(snap, args, fmt)


def load(path: str) -> Any:
    """The snapshot in ``path``; a missing, unreadable or foreign file is
    a :class:`UsageError` naming it (and what is wrong, where)."""
    import whyalive

    if on_terminal():
        tell(f"reading {path}...")
    try:
        return whyalive.load_snapshot(path)
    except whyalive.SnapshotFormatError as error:
        raise UsageError(str(error) + _devtools_hint(path)) from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a snapshot file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read it: {error.strerror}") from None


def _devtools_hint(path: str) -> str:
    try:
        with open(path, "rb") as file:
            start = file.read(16)
    except OSError:
        return ""
    if start.lstrip().startswith(b'{"snapshot"'):
        return (
            "; it is a Chrome DevTools heap snapshot: open it in DevTools' Memory tab"
        )
    return ""


def _top(snap: Any, args: argparse.Namespace, fmt: str) -> int:
    n = args.top or DEFAULT_TOP
    if on_terminal():
        tell("computing retained sizes...")
    rows = snap.top_retainers(n)
    if fmt == "json":
        document = tables.top_document(args.file, snap, rows)
        write_text(_json(document), args.output)
        return 0
    head = (
        f"{args.file}: {len(snap):,} objects, {describe_size(snap.total_size)}\n"
        f"the {len(rows)} objects that keep the most memory alive "
        "(id, retained size, shortest path from a root, type, objects kept):"
    )
    write_text(f"{head}\n{tables.top_text(rows)}\n", args.output)
    return 0


def _explain(snap: Any, obj_id: int, args: argparse.Namespace, fmt: str) -> int:
    if obj_id not in snap:
        raise UsageError(f"--explain: no object with id {obj_id:#x} in {args.file}")
    report = snap.annotate(snap.explain(obj_id, max_paths=args.max_paths))
    write_report(
        report, fmt, args.output, title=f"whyalive: object {obj_id:#x} in {args.file}"
    )
    return 0


def _diff(later: Any, earlier: Any, args: argparse.Namespace, fmt: str) -> int:
    if on_terminal():
        tell("comparing...")
    diff = later.diff(earlier)
    deltas = diff.by_type()
    shown = deltas[: args.top or DEFAULT_DIFF_ROWS]
    new = len(diff.new_ids)
    report = None
    if args.type is not None:
        type_name = type_named(args.type, later.by_type(), args.file)
        report = diff.explain_new(type_name, args.max_paths, limit=args.limit)
        report = later.annotate(report)
    if fmt == "json":
        document = tables.diff_document(args.file, args.diff, shown, new, report)
        write_text(_json(document), args.output)
        return 0
    head = (
        f"{args.file} since {args.diff}: {new:,} new objects; "
        f"{len(deltas)} types changed"
        + (f", the {len(shown)} that grew most:" if deltas else "")
    )
    lines = [head, tables.diff_text(shown)] if deltas else [head]
    if fmt == "text":
        if report is not None:
            lines.append(_new_summary(report, args.type, args.limit))
            if len(report):
                lines.append(str(report))
        elif deltas:
            lines.append(
                "(--type TYPE explains why the new objects of a type are alive)"
            )
        write_text("\n".join(lines) + "\n", args.output)
        return 0
    for line in [*lines, _new_summary(report, args.type, args.limit)]:
        print(line, file=sys.stderr)
    write_report(
        report,
        fmt,
        args.output,
        title=f"whyalive: new {args.type} objects in {args.file} since {args.diff}",
    )
    return 0


def type_named(name: str, types: Any, source: str) -> str:
    """The snapshot's name of the type ``name`` means: itself, or the one
    qualified name ending in ``.name`` (``Order`` for ``app.Order``).

    >>> type_named("Order", {"app.Order": (1, 56), "dict": (9, 900)}, "f")
    'app.Order'
    """
    if name in types:
        return name
    matches = sorted(t for t in types if t.endswith("." + name))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"--type: {name!r} is ambiguous in {source}: {', '.join(matches)}"
        )
    raise UsageError(f"--type: no object of a type named {name!r} in {source}")


def _new_summary(report: Any, type_name: str, limit: int) -> str:
    n = len(report)
    if not n:
        return f"no new {type_name} object is alive"
    first = f"the first {n}" if n == limit else f"{n}"
    more = " (--limit N explains more)" if n == limit else ""
    return f"why {first} new {type_name} objects are alive{more}:".replace(
        "why 1 new", "why the 1 new"
    )


def _json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2) + "\n"
