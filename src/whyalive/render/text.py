"""The text tree of a report, as a person reads it.

Target first, its retainers below, each line naming one reference
(``['w1'] in dict``, ``.registry of app.Registry``), roots marked::

    app.Widget at 0x7f...
    ├── ['w1'] in dict
    │   └── .registry of app.Registry
    │       └── app.REGISTRY  (root: module global)
    └── <local 'w'> of test_leak at tests/t.py:12, MainThread  (root: running frame)

Paths that share their first references share their lines.  Nothing
here recurses, so a 100,000-reference chain renders (elided) safely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, NamedTuple

from ..report import Report, RetainerPath, Target
from ..vocab import UNRESOLVED_STATUSES
from .words import describe_size, elided_references

__all__ = [
    "Line",
    "partial_line",
    "path_lines",
    "render",
    "render_report",
    "render_target",
    "summary_line",
    "trie",
]

#: A path longer than this many references is shown head and tail.
MAX_SHOWN_EDGES = 40
HEAD_EDGES = 24
TAIL_EDGES = 12
#: Above this many targets, targets held the same way are grouped.
GROUP_ABOVE = 10
#: No line of the tree is wider; indentation deeper than MAX_INDENT
#: columns shows its innermost levels only, after an ellipsis.
MAX_WIDTH = 120
MAX_INDENT = 48

_INDEX = re.compile(r"\[-?\d+\]")
_KEY = re.compile(r"\[(?:b?'[^']*'|b?\"[^\"]*\"|<[^>]*>)\]")


def render(report: Report, out: IO[str], *, group: bool | None = None) -> None:
    """Writes the text tree of ``report`` to ``out`` (the render protocol
    every format module follows: ``render(report, out, **options)``).

    >>> import io
    >>> from whyalive.report import Report
    >>> out = io.StringIO()
    >>> render(Report.empty(), out)
    >>> out.getvalue().endswith(chr(10))
    True
    """
    out.write(render_report(report, group=group))
    out.write("\n")


def render_report(report: Report, *, group: bool | None = None) -> str:
    """The whole report as text: one tree per target (or per group of
    targets held the same way), then a line saying what was partial.

    ``group`` defaults to grouping when there are more than
    ``GROUP_ABOVE`` targets.
    """
    targets = report.targets
    if group is None:
        group = len(targets) > GROUP_ABOVE
    blocks = []
    if group:
        for members in _groups(targets):
            blocks.append("\n".join(_group_lines(members)))
    else:
        blocks.extend("\n".join(_target_lines(t)) for t in targets)
    if not targets:
        blocks.append("no targets")
    footer = partial_line(report)
    if footer:
        blocks.append(footer)
    return "\n\n".join(blocks)


def render_target(target: Target) -> str:
    """One target's tree."""
    return "\n".join(_target_lines(target))


def _header(target: Target) -> str:
    head = target.describe()
    size = target.retained_size
    if size is not None:
        head += f"  [{describe_size(size)}]"
    notes = []
    if target.immortal:
        notes.append("immortal")
    site = _allocation_site(target)
    if site:
        notes.append(f"allocated at {site}")
    return f"{head} ({', '.join(notes)})" if notes else head


def _allocation_site(target: Target) -> str | None:
    frames = target.allocated_at
    if not frames:
        return None
    filename, lineno = frames[-1]
    return f"{filename}:{lineno}"


def _target_lines(target: Target, generalize: bool = False) -> list[str]:
    lines = [_header(target)]
    lines.extend(_tree(_path_items(target, generalize)))
    return lines


class Line(NamedTuple):
    """One line of a target's tree, before drawing: ``kind`` is ``edge``
    (a reference; ``referrer_id`` the object holding the next one, ``size``
    its retained size when the report knows it, ``note`` a cycle back),
    ``root`` (``root_kind`` and ``tag`` say which), ``elided`` (the middle
    of a long path) or ``note`` (what was not found or not shown).
    ``str(line)`` is the line of the text tree.

    >>> str(Line("['w1'] in dict", "edge", 0x10, size="8.1 MB"))
    "['w1'] in dict  [8.1 MB]"
    """

    text: str
    kind: str
    referrer_id: int | None = None
    root_kind: str | None = None
    tag: str | None = None
    size: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        if self.kind == "root":
            return f"{self.text}  (root: {self.tag})"
        text = self.text
        if self.size is not None:
            text += f"  [{self.size}]"
        if self.note is not None:
            text += f"  ({self.note})"
        return text


def path_lines(target: Target) -> list[list[Line]]:
    """Each path of ``target`` as its lines, target side first, the root
    last; long paths elided in the middle, then notes (time ran out,
    retainers not shown).  The text tree and the HTML draw these.

    >>> from whyalive.report import Target
    >>> root = ("module", "app.X", ("app", "X"))
    >>> edge = ("dict", 0x10, "['w1']", "key", "")
    >>> paths = ((root, (edge,), 2),)
    >>> t = Target((0x20, "Widget", "", 2, 2, 0, "rooted", paths, 0, None))
    >>> [str(line) for line in path_lines(t)[0]]
    ["['w1'] in dict", 'app.X  (root: module global)']
    """
    paths = [_edge_lines(path, target) for path in target.paths]
    if target.status == "timeout" and not target.paths:
        paths.append(
            [
                Line(
                    "root not reached before the time limit",
                    "root",
                    None,
                    "unreached",
                    "not found",
                )
            ]
        )
    if target.omitted:
        more = target.omitted
        noun = "retainer" if more == 1 else "retainers"
        paths.append(
            [Line(f"... and {more} more {noun} (raise max_paths to see them)", "note")]
        )
    return paths


def _path_items(target: Target, generalize: bool) -> list[list[str]]:
    """Each path as the list of its text lines, target side first."""
    paths = []
    for lines in path_lines(target):
        items = [str(line) for line in lines]
        if generalize:
            items = [_KEY.sub("[k]", _INDEX.sub("[i]", line)) for line in items]
        paths.append(items)
    return paths


def _edge_lines(path: RetainerPath, target: Target) -> list[Line]:
    root = path.root
    seen = {target.id}
    lines = []
    for edge, count in path.runs():
        text = edge.describe() if count == 1 else edge.describe_run(count)
        size = target.retained_size_of(edge.referrer_id)
        note = None
        if edge.referrer_id in seen:
            what = "the target" if edge.referrer_id == target.id else "an object above"
            note = f"cycle back to {what}"
        seen.add(edge.referrer_id)
        lines.append(
            Line(
                text,
                "edge",
                edge.referrer_id,
                size=None if size is None else describe_size(size),
                note=note,
            )
        )
    if len(lines) > MAX_SHOWN_EDGES:
        hidden = len(lines) - HEAD_EDGES - TAIL_EDGES
        lines = [
            *lines[:HEAD_EDGES],
            Line(elided_references(hidden), "elided"),
            *lines[-TAIL_EDGES:],
        ]
    lines.append(Line(root.describe(), "root", None, root.kind, root.tag()))
    return lines


def trie(paths: Iterable[list]) -> dict:
    """Paths (lists of lines) merged on their first lines: a dict of each
    line to the dict of the lines below it, in the order first seen.

    >>> trie([["a", "b"], ["a", "c"], ["d"]])
    {'a': {'b': {}, 'c': {}}, 'd': {}}
    """
    merged: dict = {}
    for items in paths:
        node = merged
        for item in items:
            node = node.setdefault(item, {})
    return merged


def _tree(paths: Iterable[list[str]]) -> list[str]:
    """Merges paths into a trie on their lines and draws it."""
    merged = trie(paths)
    out: list[str] = []
    # (children, prefix) frames; an explicit stack, no recursion
    stack = [(iter(list(merged.items())), "", len(merged))]
    counters = [0]
    while stack:
        children, prefix, total = stack[-1]
        entry = next(children, None)
        if entry is None:
            stack.pop()
            counters.pop()
            continue
        counters[-1] += 1
        last = counters[-1] == total
        label, sub = entry
        out.append(_fit(f"{_indent(prefix)}{'└── ' if last else '├── '}{label}"))
        if sub:
            stack.append(
                (
                    iter(list(sub.items())),
                    prefix + ("    " if last else "│   "),
                    len(sub),
                )
            )
            counters.append(0)
    return out


def _indent(prefix: str) -> str:
    """A tree prefix at most ``MAX_INDENT`` columns wide.

    >>> len(_indent("│   " * 40)), _indent("│   " * 40)[0]
    (48, '…')
    """
    if len(prefix) <= MAX_INDENT:
        return prefix
    return "\N{HORIZONTAL ELLIPSIS}" + prefix[len(prefix) - MAX_INDENT + 1 :]


def _fit(line: str) -> str:
    """The line, cut to ``MAX_WIDTH`` columns: a file's directories give
    way first (``…/asyncio/tasks.py:12``), then what comes before `` at
    file:line``; a root line keeps its tag.

    >>> _fit("└── " + "x" * 150 + " at app.py:7  (root: running frame)")[-40:]
    'xxxx… at app.py:7  (root: running frame)'
    >>> _fit("└── <local 'x'> of f at /" + "d/" * 60 + "app/m.py:7, T")
    "└── <local 'x'> of f at …/app/m.py:7, T"
    """
    if len(line) <= MAX_WIDTH:
        return line
    ellipsis = "\N{HORIZONTAL ELLIPSIS}"
    head, tag, kind = line.rpartition("  (root: ")
    if not tag or len(tag + kind) >= MAX_WIDTH // 2:
        head, tag, kind = line, "", ""
    before, at, where = head.rpartition(" at ")
    if not at:
        room = MAX_WIDTH - len(tag + kind) - 1
        return head[:room] + ellipsis + tag + kind
    avail = MAX_WIDTH - len(tag + kind) - len(at)
    if len(before) + len(where) > avail and where.count("/") > 1:
        # the file's directory says least: keep its last directory
        where = ellipsis + "/" + "/".join(where.split("/")[-2:])
    if len(before) + len(where) > avail:
        keep = max(avail - len(where), avail // 2)
        if keep < len(before):
            before = before[: keep - 1] + ellipsis
        rest = avail - len(before)
        if rest < len(where):
            where = ellipsis + where[len(where) - rest + 1 :]
    return before + at + where + tag + kind


def _shape(target: Target) -> tuple:
    items = _path_items(target, generalize=True)
    return (target.type_name, target.status, tuple(tuple(path) for path in items))


def _groups(targets: Iterable[Target]) -> list[list[Target]]:
    groups: dict[tuple, list[Target]] = {}
    for target in targets:
        groups.setdefault(_shape(target), []).append(target)
    return sorted(groups.values(), key=len, reverse=True)


def _group_lines(members: list[Target]) -> list[str]:
    if len(members) == 1:
        return _target_lines(members[0])
    first = members[0]
    ids = ", ".join(f"{t.id:#x}" for t in members[:3])
    more = f" and {len(members) - 3:,} more" if len(members) > 3 else ""
    head = f"{len(members):,} {first.type_name} objects held the same way"
    lines = [f"{head} (at {ids}{more}):"]
    lines.extend(_tree(_path_items(first, generalize=True)))
    return lines


#: Where the time ran out (Stats.stopped_in), and how far it had got.
_STOPPED_IN = {
    "listing": "while listing objects ({at:,} listed)",
    "indexing": "while indexing ({at:,} of {nodes:,} objects indexed)",
    "searching": "while searching from the roots (at depth {at:,})",
    "searching_outside": (
        "while searching from references held outside the object graph"
        " (at depth {at:,})"
    ),
    "choosing": "while choosing paths ({at:,} of {targets:,} targets done)",
    "tracing_back": (
        "while tracing unreached targets back ({at:,} of {targets:,} targets done)"
    ),
    "naming": "while naming paths ({at:,} of {targets:,} targets done)",
}


def partial_line(report: Report) -> str:
    """The line that says why a report is partial, or ``''``."""
    reason = report.partial_reason
    if reason is None:
        return ""
    unrooted = sum(1 for t in report.targets if t.status in UNRESOLVED_STATUSES)
    total = len(report.targets)
    if reason == "timeout":
        what = "the time limit ran out"
        stats = report.stats
        where = _STOPPED_IN.get(stats.stopped_in or "")
        if where:
            what += " " + where.format(
                at=stats.stopped_at, nodes=stats.nodes, targets=total
            )
    else:
        what = "max_depth stopped the search"
    return f"partial: {what}; {unrooted} of {total} targets have no root found"


def summary_line(report: Report) -> str:
    """The report in one line: ``repr(report)`` and the HTML's heading.

    One target: what holds it, as code, and its root; several: their
    types and their roots (each target's first path), most common first.

    >>> from whyalive.report import Report
    >>> summary_line(Report.empty())
    'no targets'
    """
    targets = report.targets
    if not targets:
        text = "no targets"
    elif len(targets) == 1:
        text = _one_target(targets[0])
    else:
        types = _counted(t.type_name for t in targets)
        held = _counted(_held_by(t) for t in targets)
        text = f"{len(targets):,} targets ({types}); roots: {held}"
    if report.partial_reason:
        text += f"; partial: {report.partial_reason}"
    return text


def _one_target(target: Target) -> str:
    paths = target.paths
    if not paths:
        return f"{target.describe()}, {target.status}"
    first = paths[0]
    text = f"{target.describe()} held by {first.expression} ({first.root.tag()})"
    more = len(paths) - 1 + target.omitted
    if more:
        text += f" and {more} more path{'s' if more != 1 else ''}"
    return text


def _held_by(target: Target) -> str:
    paths = target.paths
    return paths[0].root.tag() if paths else target.status


def _counted(names: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    shown = [f"{n:,} {name}" for name, n in ranked[:3]]
    if len(ranked) > 3:
        shown.append(f"{len(ranked) - 3} more kinds")
    return ", ".join(shown)
