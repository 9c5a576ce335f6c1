"""HTML: a report as a collapsible tree, for notebooks and browsers.

:func:`fragment` is what ``Report._repr_html_()`` shows in Jupyter: one
``<details>`` per target (its description, status and, when the report
knows them, the retained sizes of the target and of each holder), its
retainer paths below it merged into a tree as the text tree merges them
(:func:`whyalive.render.text.path_lines`), every root marked with its
kind.  The tree folds with the browser's own
``<details>``/``<summary>``: no script is needed, so it works in a
notebook that is not trusted.  :func:`page` wraps the same fragment in a
standalone document (``whyalive run ... --format html``), with two buttons
that open or close every branch.

Everything from the heap (type names, labels, keys) is escaped; the page
loads nothing from outside.

    >>> import whyalive
    >>> class Widget: pass
    >>> registry = {"w1": Widget()}
    >>> html = whyalive.explain(registry["w1"]).to_html()
    >>> html.startswith("<!DOCTYPE html>"), "wa-root-frame" in html
    (True, True)
"""

from __future__ import annotations

import html as _html
from typing import IO, Any

from .text import Line, partial_line, path_lines, summary_line, trie
from .words import describe_size

__all__ = ["MAX_TARGETS", "OPEN_TARGETS", "fragment", "page", "render"]

#: Targets drawn; the rest are counted (the text and JSON have them all).
MAX_TARGETS = 200
#: Targets shown open; the ones after them start folded.
OPEN_TARGETS = 10

_CSS = """
.whyalive-report { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  monospace; font-size: 13px; line-height: 1.45; color: #1f2328; }
.whyalive-report .wa-head { font-weight: 600; margin: 0 0 .4em 0; }
.whyalive-report .wa-partial { color: #9a6700; margin: .4em 0; }
.whyalive-report details > summary { cursor: pointer; }
.whyalive-report .wa-target { margin: .3em 0; }
.whyalive-report .wa-target > summary { font-weight: 600; }
.whyalive-report ul.wa-tree { list-style: none; margin: 0; padding-left: 1.4em;
  border-left: 1px dotted #8c959f; }
.whyalive-report ul.wa-tree li { margin: 0; }
.whyalive-report .wa-leaf { padding-left: 1.05em; display: inline-block; }
.whyalive-report .wa-status { font-weight: normal; font-size: 11px;
  padding: 0 .4em; border-radius: .6em; background: #ddf4ff; color: #0969da; }
.whyalive-report .wa-status-garbage, .whyalive-report .wa-status-timeout,
.whyalive-report .wa-status-max_depth { background: #fff8c5; color: #9a6700; }
.whyalive-report .wa-size { font-weight: normal; color: #6e7781; }
.whyalive-report .wa-note { font-weight: normal; color: #6e7781; }
.whyalive-report .wa-root-badge { font-size: 11px; padding: 0 .4em;
  border-radius: .6em; background: #dafbe1; color: #1a7f37; margin-left: .5em; }
.whyalive-report .wa-root-frame .wa-root-badge,
.whyalive-report .wa-root-thread .wa-root-badge,
.whyalive-report .wa-root-external .wa-root-badge,
.whyalive-report .wa-root-interpreter .wa-root-badge {
  background: #fff1e5; color: #bc4c00; }
.whyalive-report .wa-root-garbage .wa-root-badge,
.whyalive-report .wa-root-unreached .wa-root-badge,
.whyalive-report .wa-root-excluded .wa-root-badge {
  background: #ffebe9; color: #cf222e; }
.whyalive-report .wa-root { font-weight: 600; }
.whyalive-report .wa-elided, .whyalive-report .wa-more { color: #6e7781; }
"""

_PAGE_SCRIPT = """
function whyaliveFold(open) {
  document.querySelectorAll('.whyalive-report details').forEach(
    function (d) { d.open = open; });
}
"""


def fragment(report: Any) -> str:
    """``report`` as an HTML fragment (a ``<div>`` with its own style):
    what ``Report._repr_html_()`` returns.

    >>> from whyalive.report import Report
    >>> fragment(Report.empty()).startswith('<div class="whyalive-report">')
    True
    """
    esc = _html.escape
    parts = [
        '<div class="whyalive-report">',
        f"<style>{_CSS}</style>",
        f'<div class="wa-head">whyalive: {esc(summary_line(report))}</div>',
    ]
    targets = report.targets
    for number, target in enumerate(targets[:MAX_TARGETS]):
        parts.append(_target_html(target, opened=number < OPEN_TARGETS))
    if len(targets) > MAX_TARGETS:
        more = len(targets) - MAX_TARGETS
        parts.append(
            f'<div class="wa-more">... and {more:,} more targets '
            "(str(report) and report.to_json() have them all)</div>"
        )
    footer = partial_line(report)
    if footer:
        parts.append(f'<div class="wa-partial">{esc(footer)}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def page(report: Any, *, title: str = "whyalive report") -> str:
    """``report`` as a standalone HTML document: the :func:`fragment`,
    with buttons that open and close every branch.

    >>> from whyalive.report import Report
    >>> "<title>leaks</title>" in page(Report.empty(), title="leaks")
    True
    """
    esc = _html.escape
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title>",
            f"<script>{_PAGE_SCRIPT}</script>",
            "</head>",
            "<body>",
            f'<h1 style="font: 600 16px sans-serif">{esc(title)}</h1>',
            '<p><button type="button" onclick="whyaliveFold(true)">open all'
            '</button> <button type="button" onclick="whyaliveFold(false)">'
            "close all</button></p>",
            fragment(report),
            "</body>",
            "</html>",
            "",
        ]
    )


def render(
    report: Any, out: IO[str], *, title: str = "whyalive report", standalone=True
) -> None:
    """Writes ``report`` as HTML to ``out``: a whole page (:func:`page`),
    or with ``standalone=False`` the :func:`fragment` only (the render
    protocol: ``render(report, out, **options)``).

    >>> import io
    >>> from whyalive.report import Report
    >>> out = io.StringIO()
    >>> render(Report.empty(), out, standalone=False)
    >>> out.getvalue().endswith("</div>")
    True
    """
    out.write(page(report, title=title) if standalone else fragment(report))


def _target_html(target: Any, *, opened: bool) -> str:
    esc = _html.escape
    status = target.status
    head = [f'<span class="wa-object">{esc(target.describe())}</span>']
    size = getattr(target, "retained_size", None)
    if size is not None:
        head.append(f'<span class="wa-size">[{esc(describe_size(size))}]</span>')
    head.append(f'<span class="wa-status wa-status-{esc(status)}">{esc(status)}</span>')
    notes = []
    if target.immortal:
        notes.append("immortal")
    if target.allocated_at:
        filename, lineno = target.allocated_at[-1]
        notes.append(f"allocated at {filename}:{lineno}")
    if notes:
        head.append(f'<span class="wa-note">({esc(", ".join(notes))})</span>')
    out = [
        f'<details class="wa-target"{" open" if opened else ""}>',
        f"<summary>{' '.join(head)}</summary>",
    ]
    out.extend(_tree_html(trie(path_lines(target))))
    out.append("</details>")
    return "\n".join(out)


def _tree_html(merged: dict) -> list[str]:
    """The merged paths as nested lists; an explicit stack, no recursion
    (a 100,000-reference chain is elided to 37 lines by path_lines)."""
    out = ['<ul class="wa-tree">']
    stack = [iter(list(merged.items()))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            out.append("</ul></details></li>" if stack else "</ul>")
            continue
        line, below = entry
        if below:
            out.append(f"<li><details open><summary>{_line_html(line)}</summary>")
            out.append('<ul class="wa-tree">')
            stack.append(iter(list(below.items())))
        else:
            out.append(f'<li><span class="wa-leaf">{_line_html(line)}</span></li>')
    return out


def _line_html(line: Line) -> str:
    esc = _html.escape
    if line.kind == "root":
        kind = esc(line.root_kind or "")
        return (
            f'<span class="wa-root wa-root-{kind}">{esc(line.text)}'
            f'<span class="wa-root-badge">root: {esc(line.tag or "")}</span></span>'
        )
    if line.kind == "edge":
        out = f'<span class="wa-edge">{esc(line.text)}</span>'
        if line.size is not None:
            out += f' <span class="wa-size">[{esc(line.size)}]</span>'
        if line.note is not None:
            out += f' <span class="wa-note">({esc(line.note)})</span>'
        return out
    return f'<span class="wa-{esc(line.kind)}">{esc(line.text)}</span>'
