"""Report, Target, RetainerPath, Edge, Root: views over plain tuples."""

from __future__ import annotations

import pickle

import pytest

from conftest import SAMPLE_CORE_RESULT, SCHEMA_CHECKED_TARGETS
from whyalive import Edge, Report, RetainerPath, Root, Stats


def test_fields(make_sample_report):
    report = make_sample_report()
    target = report.targets[0]
    assert (target.id, target.type_name, target.status, target.omitted) == (
        0x7F00,
        "app.Widget",
        "rooted",
        0,
    )
    module_path, frame_path = target.paths
    assert module_path.length == 3
    assert module_path.expression == "app.REGISTRY.registry['w1']"
    assert module_path.retainer == Edge(("dict", 0x10, "['w1']", "key", ""))
    assert module_path.root.module == "app"
    assert frame_path.root.function == "test_leak"
    assert frame_path.root.thread_name == "MainThread"
    assert frame_path.root.lineno == 12
    assert frame_path.retainer is None
    assert report.stats == Stats(10, 20, 1, 3, 0.01, 0.001, 0.011)
    assert not report.partial
    assert len(report) == 1 and list(report) == [target]


def test_equality_hashing_and_pickling(make_sample_report):
    a, b = make_sample_report(), make_sample_report()
    assert a == b and hash(a) == hash(b)
    assert a.targets[0].paths[0] == b.targets[0].paths[0]
    clone = pickle.loads(pickle.dumps(a))
    assert clone == a
    assert str(clone) == str(a)


def test_views_wrap_the_core_tuples_as_they_are(sample_core_result):
    allocated = (("app.py", 3),)
    report = Report.from_core(
        sample_core_result, thread_names={0x1: "Worker"}, allocations=[allocated]
    )
    core_target = sample_core_result[1][0]
    target = report.targets[0]
    # the core's shape, field for field: nothing packed into it
    assert target.__reduce__()[1][0] is core_target
    assert [p.__reduce__()[1][0] for p in target.paths] == list(core_target[7])
    assert target.allocated_at == allocated
    frame_path = target.paths[1]
    assert frame_path.root.kind == "frame" and frame_path.root.thread_name == "Worker"
    assert target.paths[0].root.thread_name is None
    # what sits beside the tuple takes part in equality and survives pickling
    renamed = Report.from_core(
        sample_core_result, thread_names={0x1: "Other"}, allocations=[allocated]
    )
    assert renamed != report
    clone = pickle.loads(pickle.dumps(report))
    assert clone == report and clone.targets[0].allocated_at == allocated
    assert clone.targets[0].paths[1].root.thread_name == "Worker"


def test_edge_description():
    assert Edge(("dict", 1, "['k']", "key", "")).describe() == "['k'] in dict"
    assert (
        Edge(("ValueError", 1, ".args[0]", "index", "")).describe()
        == ".args[0] of ValueError"
    )
    assert (
        Edge(("function", 1, "<closure 'x'>", "closure", "make.<locals>.cb")).describe()
        == "<closure 'x'> of function make.<locals>.cb"
    )
    assert Edge(("type", 1, ".items", "attr", "app.Registry")).describe() == (
        ".items of class app.Registry"
    )


def test_root_descriptions():
    assert Root(("module", "app.X", ("app", "X"))).describe() == "app.X"
    assert Root(("external", "", (3, 2, 1))).describe() == (
        "refcount 3, 2 seen, 1 from outside the object graph"
    )
    assert Root(("unreached", "max_depth", (5,))).describe() == (
        "root not reached within max_depth=5"
    )


def test_object_needs_keep_objects(make_sample_report):
    with pytest.raises(LookupError):
        _ = make_sample_report().targets[0].object


def test_repr_is_short(make_sample_report):
    report = make_sample_report()
    assert repr(report) == (
        "<whyalive.Report: app.Widget at 0x7f00 held by"
        " app.REGISTRY.registry['w1'] (module global) and 1 more path>"
    )
    several = Report.merge([report, report])
    assert repr(several) == (
        "<whyalive.Report: 2 targets (2 app.Widget); roots: 2 module global>"
    )
    assert repr(Report((), "timeout", report.stats)) == (
        "<whyalive.Report: no targets; partial: timeout>"
    )
    assert repr(report.targets[0].paths[0]).startswith(
        "<RetainerPath app.REGISTRY.registry['w1']"
    )
    assert isinstance(report.targets[0].paths[0], RetainerPath)


def test_referent_edge_names_its_holder_once():
    edge = Edge(("map", 1, "<referent #0 of map>", "referent", ""))
    assert edge.describe() == "<referent #0 of map>"


def _core_answer(count: int) -> tuple:
    """The core's answer for `count` targets, each held by a module dict
    and one of them by a frame of thread 0x1."""
    partial, (target,), stats, objects = SAMPLE_CORE_RESULT
    targets = tuple((0x7F00 + i, *target[1:]) for i in range(count))
    return (partial, targets, stats, objects)


def test_views_of_a_core_answer_are_made_when_read():
    count = SCHEMA_CHECKED_TARGETS + 1000  # the suite's check reads the first
    report = Report.from_core(_core_answer(count), thread_names={0x1: "MainThread"})
    assert len(report) == count
    assert report._views[SCHEMA_CHECKED_TARGETS:].count(None) == 1000  # none made
    seventh = report[7]
    assert seventh.id == 0x7F07 and report[7] is seventh
    assert report[-1].id == 0x7F00 + count - 1
    late = report[count - 10 : count - 8]
    assert [t.id for t in late] == [0x7F00 + count - 10, 0x7F00 + count - 9]
    assert report._views[SCHEMA_CHECKED_TARGETS:].count(None) == 997
    with pytest.raises(IndexError):
        report[count]
    assert report.targets[7] is seventh and report.targets[-1] is report[-1]
    assert [t.id for t in report] == [0x7F00 + i for i in range(count)]


def test_a_lazy_report_equals_the_same_report_made_of_views():
    lazy = Report.from_core(_core_answer(3), thread_names={0x1: "MainThread"})
    eager = Report(list(lazy), lazy.partial_reason, lazy.stats)
    fresh = Report.from_core(_core_answer(3), thread_names={0x1: "MainThread"})
    assert fresh == eager and hash(fresh) == hash(eager)
    assert pickle.loads(pickle.dumps(fresh)) == eager
    assert str(fresh) == str(eager)
    assert fresh[0].paths[1].root.thread_name == "MainThread"


def test_without_unreferenced_reads_statuses_without_views():
    partial, (target,), stats, objects = SAMPLE_CORE_RESULT
    gone = (0x9000, *target[1:6], "unreferenced", (), 0)
    raw = (partial, (target, gone, target), stats, objects)
    report = Report.from_core(raw)
    kept = report.without_unreferenced()
    assert [t.status for t in kept] == ["rooted", "rooted"]
    assert len(report) == 3
