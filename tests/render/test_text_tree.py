"""The text renderer, on hand-written core tuples (no heap walk)."""

from __future__ import annotations

from whyalive.render.text import render_report, render_target
from whyalive.report import Report, Stats

STATS = Stats(10, 20, 1, 3, 0.01, 0.001, 0.011)
THREADS = {0x1: "MainThread"}


def target(
    paths,
    *,
    status="rooted",
    omitted=0,
    tid=0x7F00,
    type_name="app.Widget",
    refcount=3,
    allocated=None,
):
    core = (tid, type_name, "", refcount, 2, 1, status, tuple(paths), omitted)
    return core, allocated


def module_root(name):
    mod, _, attr = name.rpartition(".")
    return ("module", name, (mod, attr))


def frame_root(local, function="test_leak", line=12, slot="local"):
    return ("frame", local, (function, "tests/test_app.py", line, 0x1, slot, 3))


def edge(label, kind, referrer_type, rid, name=""):
    return (referrer_type, rid, label, kind, name)


def report_of(*targets, partial=None):
    raw_targets = [t for t, _ in targets]
    raw = (partial, raw_targets, tuple(STATS), None)
    return Report.from_core(
        raw, thread_names=THREADS, allocations=[a for _, a in targets]
    )


DESIGN_TREE = """\
app.Widget at 0x7f00
├── ['w1'] in dict
│   └── .registry of app.widgets.Registry
│       └── app.REGISTRY  (root: module global)
└── .__self__ of bound method Widget.on_click
    └── [0] in list
        └── .callbacks of app.bus.Bus
            └── app.BUS  (root: module global)"""


def test_design_example_shape():
    paths = [
        (
            module_root("app.REGISTRY"),
            (
                edge("['w1']", "key", "dict", 0x10),
                edge(".registry", "attr", "app.widgets.Registry", 0x11),
            ),
            3,
        ),
        (
            module_root("app.BUS"),
            (
                edge(".__self__", "attr", "method", 0x20, "Widget.on_click"),
                edge("[0]", "index", "list", 0x21),
                edge(".callbacks", "attr", "app.bus.Bus", 0x22),
            ),
            4,
        ),
    ]
    assert render_report(report_of(target(paths))) == DESIGN_TREE


def test_paths_sharing_retainers_share_lines():
    shared = edge("['w1']", "key", "dict", 0x10)
    paths = [
        (module_root("app.A"), (shared, edge(".x", "attr", "app.Holder", 0x11)), 3),
        (module_root("app.B"), (shared, edge(".y", "attr", "app.Other", 0x12)), 3),
    ]
    lines = render_target(report_of(target(paths))[0]).splitlines()
    assert lines[1] == "└── ['w1'] in dict"
    assert lines[2].startswith("    ├── .x of app.Holder")
    assert lines[4].startswith("    └── .y of app.Other")


def test_frame_root_names_function_file_line_thread():
    text = render_report(report_of(target([(frame_root("w"), (), 1)])))
    assert text.splitlines()[1] == (
        "└── <local 'w'> of test_leak at tests/test_app.py:12, MainThread"
        "  (root: running frame)"
    )


def test_external_root_gives_the_numbers():
    root = ("external", "", (3, 2, 1))
    text = render_report(report_of(target([(root, (), 1)], status="external")))
    assert "refcount 3, 2 seen, 1 from outside the object graph" in text
    assert "(root: held from outside the object graph)" in text


def test_garbage_cycle_back_to_the_target():
    root = ("garbage", "collectable", (2,))
    edges = (
        edge(".partner", "attr", "app.Node", 0x30),
        edge(".partner", "attr", "app.Node", 0x7F00),
    )
    text = render_report(report_of(target([(root, edges, 2)], status="garbage")))
    assert "(cycle back to the target)" in text
    assert "gc.collect() frees it" in text


def test_uncollectable_garbage_says_so():
    root = ("garbage", "uncollectable", (1,))
    edges = (edge(".me", "attr", "app.Legacy", 0x7F00),)
    text = render_report(report_of(target([(root, edges, 1)], status="uncollectable")))
    assert "uncollectable: gc.collect() cannot free it" in text


def test_long_path_is_elided_and_rendering_does_not_recurse():
    # .next and .prev in turn: no run of one reference to fold
    edges = tuple(
        edge(".next" if i % 2 else ".prev", "attr", "app.Link", 0x1000 + i)
        for i in range(100_000)
    )
    text = render_report(report_of(target([(module_root("app.HEAD"), edges, 100_001)])))
    lines = text.splitlines()
    assert len(lines) < 60
    assert any("99,964 more references" in line for line in lines)
    assert lines[-1].strip().endswith("app.HEAD  (root: module global)")


def test_a_run_of_one_reference_is_one_line_and_lines_fit_120_columns():
    edges = tuple(edge(".next", "attr", "app.Link", 0x1000 + i) for i in range(300))
    lines = render_report(
        report_of(target([(module_root("app.HEAD"), edges, 301)]))
    ).splitlines()
    assert lines[1].endswith(".next ×300 of app.Link")
    assert len(lines) == 3


def test_omitted_retainers_are_counted():
    text = render_report(report_of(target([(frame_root("w"), (), 1)], omitted=4)))
    assert "... and 4 more retainers (raise max_paths to see them)" in text


def test_allocation_site_in_the_header():
    t = target(
        [(frame_root("w"), (), 1)], allocated=(("app/ui.py", 7), ("app/widgets.py", 42))
    )
    assert render_report(report_of(t)).splitlines()[0] == (
        "app.Widget at 0x7f00 (allocated at app/widgets.py:42)"
    )


def test_immortal_in_the_header():
    t = target([], refcount=-1, type_name="NoneType")
    assert "(immortal)" in render_report(report_of(t)).splitlines()[0]


def test_partial_reports_say_what_was_cut():
    t = target([], status="timeout")
    text = render_report(report_of(t, partial="timeout"))
    assert "root not reached before the time limit" in text
    assert text.splitlines()[-1] == (
        "partial: the time limit ran out; 1 of 1 targets have no root found"
    )


def test_many_targets_held_the_same_way_are_grouped():
    targets = []
    for i in range(12):
        path = (
            module_root("app.CACHE"),
            (
                edge(f"[{i}]", "index", "list", 0x50),
                edge("['widgets']", "key", "dict", 0x51),
            ),
            3,
        )
        targets.append(target([path], tid=0x9000 + i))
    odd = (module_root("app.OTHER"), (), 1)
    targets.append(target([odd], tid=0xA000))
    text = render_report(report_of(*targets))
    assert text.splitlines()[0] == (
        "12 app.Widget objects held the same way"
        " (at 0x9000, 0x9001, 0x9002 and 9 more):"
    )
    assert "[i] in list" in text
    assert "app.Widget at 0xa000" in text


def test_no_targets():
    assert render_report(report_of()) == "no targets"
