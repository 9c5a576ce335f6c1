"""HTML: the collapsible tree of ``Report._repr_html_()`` and ``--format
html``, read back with the standard library's HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import whyalive
from whyalive import Report
from whyalive.render import html as report_html
from whyalive.render.text import summary_line
from whyalive.render.words import describe_size

VOID = {"meta", "br", "img", "input", "link", "hr"}


class Tree(HTMLParser):
    """Checks that tags nest and close, and keeps the text of each span
    class and the <details> elements (their depth and whether open)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.details: list[tuple[int, bool, str]] = []
        self.texts: dict[str, list[str]] = {}
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            return
        if tag == "details":
            depth = sum(1 for t, _ in self.stack if t == "details")
            self.details.append((depth, "open" in attrs, attrs.get("class") or ""))
        self.stack.append((tag, attrs.get("class") or ""))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        for _, cls in self.stack:
            for name in cls.split():
                self.texts.setdefault(name, []).append(data)


def parse(text: str) -> Tree:
    tree = Tree()
    tree.feed(text)
    tree.close()
    assert tree.errors == []
    assert tree.stack == []
    return tree


def test_the_sample_report_as_a_tree(make_sample_report):
    report = make_sample_report()
    tree = parse(report._repr_html_())
    assert tree.texts["wa-object"] == ["app.Widget at 0x7f00"]
    assert tree.texts["wa-status"] == ["rooted"]
    assert tree.texts["wa-edge"] == ["['w1'] in dict", ".registry of app.Registry"]
    assert tree.texts["wa-root-module"] == ["app.REGISTRY", "root: module global"]
    assert tree.texts["wa-root-frame"] == [
        "<local 'w'> of test_leak at t.py:12, MainThread",
        "root: running frame",
    ]
    # the target, then one <details> per reference that has lines below it
    assert [(depth, opened) for depth, opened, _ in tree.details] == [
        (0, True),
        (1, True),
        (2, True),
    ]
    assert tree.texts["wa-head"] == [f"whyalive: {summary_line(report)}"]
    assert repr(report) == f"<whyalive.Report: {summary_line(report)}>"


def test_a_page_is_a_whole_document(make_sample_report):
    page = make_sample_report().to_html(title="what <app> left")
    assert page.startswith("<!DOCTYPE html>\n<html")
    tree = parse(page)
    assert "whyaliveFold" in page
    assert "<title>what &lt;app&gt; left</title>" in page
    assert tree.texts["wa-object"] == ["app.Widget at 0x7f00"]


class Hostile:
    pass


def test_everything_from_the_heap_is_escaped():
    key = "</summary><script>alert(1)</script>"
    held = {key: Hostile()}
    report = whyalive.explain(held[key])
    fragment = report._repr_html_()
    assert "<script>" not in fragment
    tree = parse(fragment)
    assert [t for t in tree.texts["wa-edge"] if "alert" in t] == [f"[{key!r}] in dict"]


def test_a_live_report_marks_each_root_by_kind(module):
    module.KEPT = Hostile()
    local = Hostile()
    report = whyalive.explain_instances(Hostile)
    tree = parse(report._repr_html_())
    assert f"{module.__name__}.KEPT" in tree.texts["wa-root-module"]
    assert any("<local 'local'>" in t for t in tree.texts["wa-root-frame"])
    del local


def test_many_targets_fold_after_the_first_and_stop_at_the_limit(monkeypatch):
    objects = [Hostile() for _ in range(13)]
    report = whyalive.explain_instances(Hostile)
    monkeypatch.setattr(report_html, "MAX_TARGETS", 12)
    tree = parse(report._repr_html_())
    targets = [opened for depth, opened, cls in tree.details if cls == "wa-target"]
    assert targets == [True] * report_html.OPEN_TARGETS + [False, False]
    assert tree.texts["wa-more"] == [
        "... and 1 more targets (str(report) and report.to_json() have them all)"
    ]
    del objects


def test_a_partial_report_says_so():
    report = Report((), "timeout", Report.empty().stats)
    tree = parse(report._repr_html_())
    assert tree.texts["wa-partial"][0].startswith("partial: the time limit ran out")


def test_a_long_chain_is_elided_without_recursion():
    head: Any = [Hostile()]
    for i in range(20_000):  # lists and tuples: no run of one reference
        head = [head] if i % 2 else (head,)
    report = whyalive.explain_instances(Hostile, max_depth=None)
    tree = parse(report._repr_html_())
    assert tree.texts["wa-elided"] == ["... 19,965 more references ..."]
    del head


def test_sizes_when_the_report_knows_them(make_sample_report):
    """A target that knows its retained size shows it in its summary."""

    class SizedTarget(type(make_sample_report().targets[0])):
        __slots__ = ()
        retained_size = 8_148_000

    target = make_sample_report().targets[0]
    _, data = target.__reduce__()
    sized = Report([SizedTarget(*data)], None, Report.empty().stats)
    tree = parse(sized._repr_html_())
    assert tree.texts["wa-size"] == ["[8.1 MB]"]
    assert "wa-size" not in parse(make_sample_report()._repr_html_()).texts


class Chunk:
    def __init__(self) -> None:
        self.body = bytes(300_000)


def test_holders_on_the_path_carry_their_retained_sizes(module):
    """explain(..., sizes=True): the target's size in its summary, each
    holder's beside its reference, as elements of their own; a cycle back
    is a note beside it."""
    module.STORE = {"chunks": [Chunk() for _ in range(4)]}
    chunk = module.STORE["chunks"][2]
    report = whyalive.explain(chunk, sizes=True)
    target = report.targets[0]
    chunks = module.STORE["chunks"]
    # three chunks: the local `chunk` keeps the fourth alive too
    assert target.retained_size_of(id(chunks)) >= 3 * 300_000
    tree = parse(report._repr_html_())
    sizes = tree.texts["wa-size"]
    # the target, then the list holding it
    assert sizes[0] == f"[{describe_size(target.retained_size)}]"
    assert f"[{describe_size(target.retained_size_of(id(chunks)))}]" in sizes
    assert "[2] in list" in tree.texts["wa-edge"]  # the size is not in the label
    assert all(not t.endswith("]  ") and "MB" not in t for t in tree.texts["wa-edge"])
    # the text tree shows the same sizes, after the label
    assert f"[2] in list  [{describe_size(target.retained_size_of(id(chunks)))}]" in (
        str(report)
    )
    del chunk, chunks


def test_a_cycle_back_is_a_note_beside_its_reference():
    from whyalive.render.text import Line

    line = Line(".owner of Node", "edge", 0x10, size="1.0 kB", note="cycle back")
    html = report_html._line_html(line)
    tree = parse(html)
    assert tree.texts["wa-edge"] == [".owner of Node"]
    assert tree.texts["wa-size"] == ["[1.0 kB]"]
    assert tree.texts["wa-note"] == ["(cycle back)"]
    assert str(line) == ".owner of Node  [1.0 kB]  (cycle back)"
