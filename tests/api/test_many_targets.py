"""Reports of many targets cost the core's flat tables until a target is
read (issue 15): no Target, path or edge object is made before.

Views are counted as the objects they are (``gc.get_objects()`` of the
``Target`` type) and the report's memory with tracemalloc.  The suite's
schema check (conftest) reads the first ``SCHEMA_CHECKED_TARGETS`` views
of every report made from the core: those are allowed for.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import whyalive
from conftest import SCHEMA_CHECKED_TARGETS
from whyalive import Target
from whyalive.query import explain_ids, explain_instances

MANY = 10_000

#: Python bytes a report may keep per target before any is read.  The
#: core's tuples, ranked as the report was made, kept 730 on the
#: benchmark heap; the flat tables keep about 265.
BYTES_PER_TARGET = 400


class Many:
    """What the reports below are about."""


def _views() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Target)


@pytest.fixture
def many(module):
    """A module holding MANY instances, half of them twice (no local
    holds them: a frame root would add a path to each)."""
    module.items = [Many() for _ in range(MANY)]
    module.by_key = {i: item for i, item in enumerate(module.items[::2])}
    yield module
    gc.collect()


def test_a_report_of_many_targets_makes_no_view_until_one_is_read(many):
    before = _views()
    report = whyalive.explain_instances(Many, collect=False)
    assert len(report) == MANY
    made = _views() - before
    assert made <= SCHEMA_CHECKED_TARGETS  # the suite's check, none of ours
    assert report.without_unreferenced() is report  # statuses read, no view
    assert _views() - before == made
    last = report[MANY - 1]
    assert _views() - before == made + 1 and report[MANY - 1] is last
    assert last.paths[0].root.kind == "module"
    assert len(list(report)) == MANY
    assert _views() - before == MANY


def test_a_report_of_many_targets_keeps_little_python_memory(many):
    whyalive.explain_instances(Many, collect=False)  # imports, caches
    gc.collect()
    # what the suite's schema check (conftest) allocates is not counted
    not_the_check = [tracemalloc.Filter(False, "*/conftest.py", all_frames=True)]
    tracemalloc.start(8)
    try:
        before = tracemalloc.take_snapshot().filter_traces(not_the_check)
        report = whyalive.explain_instances(Many, collect=False)
        after = tracemalloc.take_snapshot().filter_traces(not_the_check)
    finally:
        tracemalloc.stop()
    kept = after.compare_to(before, "filename")
    assert len(report) == MANY
    size = sum(d.size_diff for d in kept)
    assert size / MANY < BYTES_PER_TARGET, size / MANY
    # a label per reference shown (1.5 per target here), no tuples: the
    # core's tuples were 10 or more blocks per target
    blocks = sum(d.count_diff for d in kept)
    assert blocks / MANY < 2, blocks / MANY


def test_explain_of_many_objects_makes_no_view(many):
    before = _views()
    report = whyalive.explain(*many.items[:2000])
    assert len(report) == 2000
    assert _views() - before <= SCHEMA_CHECKED_TARGETS
    assert {t.status for t in report} == {"rooted"}


def test_explain_ids_keeps_the_asked_targets_without_views(many):
    asked = {id(item): Many for item in many.items[::4]}
    before = _views()
    report = explain_ids(asked, max_paths=1)
    assert len(report) == len(asked)
    assert _views() - before <= SCHEMA_CHECKED_TARGETS
    assert sorted(t.id for t in report) == sorted(asked)
    assert all(len(t.paths) == 1 for t in report)


def test_a_lazy_report_renders_as_its_eager_copy(many):
    report = explain_instances(Many, collect=False, max_paths=2)
    text, document = str(report), report.to_json()  # read lazily
    eager = whyalive.Report(list(report), report.partial_reason, report.stats)
    assert eager == report and hash(eager) == hash(report)
    assert str(eager) == text and eager.to_json() == document
