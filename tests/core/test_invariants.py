"""DESIGN.md's invariants, each a test that fails if it is broken."""

from __future__ import annotations

import gc
import os
import sys
import threading
import weakref

import pytest

import whyalive
from helpers import FREE_THREADED, find_path, labels
from whyalive._tool import TOOL_PREFIX
from whyalive.errors import SharedObjectWarning


class Leaky:
    pass


# ---------------------------------------------------------------- no user code


CALLS: list[str] = []


class RecordingMeta(type):
    def __instancecheck__(cls, obj):
        CALLS.append("__instancecheck__")
        return super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub):
        CALLS.append("__subclasscheck__")
        return super().__subclasscheck__(sub)


class Recorder(metaclass=RecordingMeta):
    """Every special method a careless walker might call records itself."""

    def __eq__(self, other):
        CALLS.append("__eq__")
        return self is other

    def __hash__(self):
        CALLS.append("__hash__")
        return 7  # all collide: any dict lookup would call __eq__

    def __repr__(self):
        CALLS.append("__repr__")
        return "Recorder()"

    def __str__(self):
        CALLS.append("__str__")
        return "Recorder"

    def __getattr__(self, name):
        CALLS.append(f"__getattr__({name})")
        raise AttributeError(name)

    def __sizeof__(self):
        CALLS.append("__sizeof__")
        return 0

    def __len__(self):
        CALLS.append("__len__")
        return 0

    def __iter__(self):
        CALLS.append("__iter__")
        return iter(())

    def __bool__(self):
        CALLS.append("__bool__")
        return True

    @property
    def prop(self):
        CALLS.append("prop")
        return None


class RecordingDict(dict):
    def __getitem__(self, key):
        CALLS.append("dict.__getitem__")
        return super().__getitem__(key)

    def __iter__(self):
        CALLS.append("dict.__iter__")
        return super().__iter__()


def test_no_user_code_runs_during_a_walk(module):
    keys = [Recorder() for _ in range(3)]
    target = Recorder()
    holder = Recorder()
    holder.__dict__["held"] = target
    module.BY_KEY = {keys[0]: target, keys[1]: holder, keys[2]: [target]}
    module.SUBCLASS_DICT = RecordingDict({keys[0]: target})
    module.SET = {target, keys[1]}
    module.HOLDER = holder
    CALLS.clear()
    report = whyalive.explain(target, max_paths=10)
    instances = whyalive.explain_instances(Recorder, collect=False)
    assert CALLS == []
    # the keys were shown without repr()
    assert any(
        labels(p)[:1] == [f"[<Recorder at {id(keys[0]):#x}>]"]
        for p in report.targets[0].paths
    )
    assert len(instances.targets) >= 5
    str(report), str(instances)  # rendering uses only the plain data
    assert CALLS == []


# ---------------------------------------------------------------- no crash


class Link:
    __slots__ = ("next",)

    def __init__(self, next_=None):
        self.next = next_


def test_100000_long_linked_list_no_recursion(module):
    head = Link()
    node = head
    for _ in range(100_000):
        node.next = Link()
        node = node.next
    module.HEAD = head
    tail = node
    del node, head
    report = whyalive.explain(tail)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert path.length == 100_001
    assert path.root.name == f"{module.__name__}.HEAD"
    text = str(report)
    # one run of the same reference: one line, and one step of the expression
    assert ".next ×100000 of " in text
    assert path.expression == f"{module.__name__}.HEAD.next ×100000"
    assert len(text.splitlines()) < 200


def test_1000_deep_nesting(module):
    target = Leaky()
    nested = [target]
    for _ in range(1000):
        nested = [nested]
    module.NESTED = nested
    del nested
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert path.length == 1002
    assert labels(path) == ["[0]"] * 1001


def test_an_index_that_outgrows_the_previous_one(module):
    # the index's arrays are sized from the previous query: a heap that
    # has grown by a million objects since makes each of them grow again
    # and again while the walk goes on
    whyalive.explain(module)
    target = Leaky()
    module.HELD = [[[] for _ in range(1_500_000)], target]
    report = whyalive.explain(target)
    assert report.stats.nodes > 1_500_000
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path)[0] == "[1]"
    assert path.root.name == f"{module.__name__}.HELD"
    del module.HELD


def test_collector_stays_off_during_the_walk(monkeypatch):
    collections = []
    during = []

    def on_gc(phase, info):
        collections.append(phase)

    real = whyalive._core.find_paths

    def find_paths(*args, **kwargs):
        before = len(collections)
        result = real(*args, **kwargs)
        during.append(len(collections) - before)
        return result

    monkeypatch.setattr(whyalive._core, "find_paths", find_paths)
    old = gc.get_threshold()
    gc.callbacks.append(on_gc)
    # any allocation of a container would collect; 3.13t counts each
    # thread's allocations 512 at a time, subtracts what is freed (the
    # earlier tests' big heaps left its count far below 0 until a
    # collection) and waits for a quarter of the long-lived objects
    # unless the second threshold is 0
    if FREE_THREADED:
        gc.collect()
    gc.set_threshold(*((1, 0) if FREE_THREADED else (1,)))
    try:
        garbage = [[i] for i in range(20_000 if FREE_THREADED else 2000)]
        report = whyalive.explain_instances(Leaky, collect=False)
        whyalive.explain(garbage, max_paths=5)
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(on_gc)
        gc.set_threshold(*old)
    assert collections, "the threshold should have made collections happen"
    assert during == [0, 0]
    assert report.stats.nodes > 0


def test_collector_left_off_when_it_was_off():
    gc.disable()
    try:
        whyalive.explain(Leaky())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_other_threads_mutating_the_heap_do_not_disturb_a_walk(module):
    stop = threading.Event()
    module.SHARED = []

    def churn():
        while not stop.is_set():
            module.SHARED.append({"x": [1, 2, 3]})
            if len(module.SHARED) > 1000:
                module.SHARED.clear()

    workers = [threading.Thread(target=churn) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        target = Leaky()
        module.KEEP = [target]
        for _ in range(10):
            report = whyalive.explain(target)
            assert find_path(report.targets[0], lambda p: p.root.kind == "module")
    finally:
        stop.set()
        for worker in workers:
            worker.join()


def test_explain_called_during_finalization(module):
    seen = []

    class Dying:
        def __del__(self):
            seen.append(whyalive.explain(module.KEPT).targets[0].status)

    module.KEPT = Leaky()
    Dying()
    assert seen == ["rooted"]


# ------------------------------------------------------------ the tool never retains


def test_whyalive_frames_and_containers_never_appear(module):
    target = Leaky()
    module.T = target
    report = whyalive.explain(target, Leaky(), max_paths=10)
    for t in report.targets:
        for path in t.paths:
            if path.root.kind == "frame":
                assert not path.root.filename.startswith(TOOL_PREFIX)
            for edge in path.edges:
                assert edge.referrer_type not in ("frame",)
    assert report.targets[0].status == "rooted"


def test_refcounts_unchanged_after_a_call(module):
    target = Leaky()
    module.T = [target]
    before = sys.getrefcount(target)
    whyalive.explain(target)
    whyalive.explain_instances(Leaky)
    assert sys.getrefcount(target) == before


def test_report_keeps_no_reference_to_targets():
    target = Leaky()
    ref = weakref.ref(target)
    report = whyalive.explain(target)
    del target
    gc.collect()
    assert ref() is None
    assert report.targets[0].type_name.endswith("Leaky")
    with pytest.raises(LookupError, match="keep_objects=True"):
        _ = report.targets[0].object


def test_keep_objects_keeps_them():
    target = Leaky()
    ref = weakref.ref(target)
    report = whyalive.explain(target, keep_objects=True)
    del target
    gc.collect()
    assert report.targets[0].object is ref()
    instances = whyalive.explain_instances(Leaky, keep_objects=True)
    assert ref() in [t.object for t in instances.targets]


# ---------------------------------------------------------------- determinism


def test_same_heap_same_report(module):
    target = Leaky()
    module.A = [target]
    module.B = {"k": target}
    module.C = (target, None)
    first, second = (whyalive.explain(target, max_paths=5) for _ in range(2))
    assert str(first) == str(second)
    assert first == second


# ---------------------------------------------------------------- limits


def test_timeout_gives_a_partial_report_that_says_so():
    big = [[i] for i in range(200_000)]
    report = whyalive.explain(big[-1], timeout=1e-6)
    assert report.partial
    assert report.partial_reason == "timeout"
    assert report.targets[0].status == "timeout"
    assert "time limit" in str(report)
    del big


def hold_ten_lists_deep(module, target):
    """module.CHAIN = [[[...[target]...]]], ten lists deep."""
    chain = target
    for _ in range(10):
        chain = [chain]
    module.CHAIN = chain


PHASES = (
    "listing",
    "indexing",
    "searching",
    "searching_outside",
    "choosing",
    "tracing_back",
    "naming",
)


@pytest.mark.parametrize("phase", PHASES)
def test_time_running_out_in_any_phase_gives_an_honest_partial_report(
    module, monkeypatch, phase
):
    rooted = Leaky()
    module.HELD = [rooted]
    cycle = Leaky()
    cycle.me = cycle  # garbage once unnamed: only tracing back explains it
    refs = [weakref.ref(rooted), weakref.ref(cycle)]
    del cycle
    refcount = sys.getrefcount(rooted)
    monkeypatch.setattr(whyalive.query, "_expire_at", phase)
    report = whyalive.explain_instances(Leaky, collect=False)
    assert report.partial_reason == "timeout"
    assert report.stats.stopped_in == phase
    assert report.stats.stopped_at >= 0
    assert f"partial: the time limit ran out while {PHASE_WORDS[phase]}" in str(report)
    statuses = sorted(t.status for t in report.targets)
    if phase in ("listing", "indexing", "naming"):
        # a partial graph answers nothing; a cut while naming drops paths
        assert set(statuses) <= {"timeout"}
    if phase in ("listing", "indexing"):
        assert {(t.seen, t.unseen) for t in report.targets} <= {(-1, -1)}
    else:
        assert "timeout" in statuses
        assert all(t.paths or t.status == "timeout" for t in report.targets)
    assert sys.getrefcount(rooted) == refcount
    del module.HELD, rooted
    gc.collect()
    assert [r() for r in refs] == [None, None]  # the report holds neither


PHASE_WORDS = {
    "listing": "listing objects",
    "indexing": "indexing",
    "searching": "searching from the roots",
    "searching_outside": "searching from references held outside",
    "choosing": "choosing paths",
    "tracing_back": "tracing unreached targets back",
    "naming": "naming paths",
}


def test_expire_at_must_name_a_phase():
    with pytest.raises(ValueError, match="expire_at must name a phase"):
        whyalive._core.find_paths((), (), (), expire_at="lunch")


def test_max_depth_reports_the_root_was_not_reached(module):
    target = Leaky()
    hold_ten_lists_deep(module, target)
    report = whyalive.explain(target, max_depth=4)
    hidden = [p for p in report.targets[0].paths if p.root.kind != "frame"]
    # its root (the local) was found: not partial, though a path was cut
    assert report.partial_reason is None
    assert "partial" not in str(report)
    assert report.targets[0].paths[0].root.kind == "frame"  # the local `target`
    del target
    report = whyalive.explain_instances(Leaky, max_depth=4, collect=False)
    t = next(t for t in report.targets if t.status == "depth_limit")
    path = t.paths[0]
    assert path.root.kind == "unreached"
    assert path.root.name == "max_depth"
    assert len(path.edges) == 4
    assert "root not reached within max_depth=4" in str(report)
    assert hidden == []


def test_a_max_depth_beyond_any_path_is_no_limit(module):
    # the core keeps distances in 28 bits: a larger max_depth must behave
    # as no limit at all, not wrap around to a small one
    target = Leaky()
    hold_ten_lists_deep(module, target)
    huge = whyalive.explain_instances(Leaky, max_depth=2**40, collect=False)
    unlimited = whyalive.explain_instances(Leaky, collect=False)
    assert not huge.partial
    assert [t.status for t in huge.targets] == [t.status for t in unlimited.targets]
    assert "CHAIN" in str(huge)
    del target


def test_exclude_by_object_and_by_id(module):
    target = Leaky()
    bookkeeping = [target]
    module.BOOKS = bookkeeping
    module.REAL = {"r": target}
    report = whyalive.explain(target, exclude=[bookkeeping], max_paths=10)
    got = {tuple(labels(p)) for p in report.targets[0].paths if p.root.kind == "module"}
    assert got == {("['r']",)}
    report = whyalive.explain(target, exclude=[id(bookkeeping)], max_paths=10)
    got = {tuple(labels(p)) for p in report.targets[0].paths if p.root.kind == "module"}
    assert got == {("['r']",)}


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_depth": -1}, ValueError, "max_depth"),
        ({"max_depth": "3"}, TypeError, "max_depth"),
        ({"max_depth": 2.0}, TypeError, "max_depth"),
        ({"max_paths": 0}, ValueError, "max_paths"),
        ({"max_paths": None}, TypeError, "max_paths"),
        ({"timeout": "soon"}, TypeError, "timeout"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"timeout": True}, TypeError, "timeout"),
        ({"exclude": "abc"}, TypeError, "exclude"),
        ({"exclude": 3}, TypeError, "exclude"),
        ({"keep_objects": 1}, TypeError, "keep_objects"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        whyalive.explain(Leaky(), **kwargs)


@pytest.mark.parametrize("cls", [3, b"Leaky", Leaky(), (Leaky, 3), ()])
def test_explain_instances_needs_classes(cls):
    with pytest.raises(TypeError, match="cls must be a class"):
        whyalive.explain_instances(cls)


def test_explain_instances_bad_collect():
    with pytest.raises(TypeError, match="collect"):
        whyalive.explain_instances(Leaky, collect="yes")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="immortal objects are 3.12+")
def test_immortal_target_on_3_12_on():
    with pytest.warns(SharedObjectWarning, match="held by the whole interpreter"):
        report = whyalive.explain(None)
    assert report.targets[0].refcount == -1
    assert report.targets[0].immortal
    assert "immortal" in str(report)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from 3.12")
def test_none_target_is_mortal_on_3_10_and_3_11():
    with pytest.warns(SharedObjectWarning, match="held by the whole interpreter"):
        report = whyalive.explain(None)
    assert report.targets[0].refcount > 100  # everything holding None
    assert not report.targets[0].immortal
    assert "immortal" not in str(report)


def test_tool_prefix_is_the_package_directory():
    assert os.path.dirname(whyalive.query.__file__) + os.sep == TOOL_PREFIX


# ---------------------------------------------------------------- gc headers


RESURRECTED: list = []


class Phoenix:
    """Resurrects itself once: the collector marks it finalized."""

    def __del__(self):
        RESURRECTED.append(self)


def test_gc_headers_are_restored_exactly_dicts_tracked_from_3_14(module):
    # the walk borrows each object's GC header word; afterwards every
    # flag and link must be as it was
    p = Phoenix()
    p.self = p
    del p
    gc.collect()
    (phoenix,) = RESURRECTED
    assert gc.is_finalized(phoenix)
    untracked = {"a": 1}  # untracked on 3.10-3.13
    module.KEEP = [untracked, phoenix]
    gc.collect()
    gc.freeze()
    try:
        frozen_count = gc.get_freeze_count()
        tracked = gc.get_objects()  # kept alive, so none can die meanwhile
        whyalive.explain(phoenix, untracked)
        whyalive.explain_instances(Phoenix)
        assert gc.is_finalized(phoenix)
        assert gc.get_freeze_count() == frozen_count
        assert all(gc.is_tracked(o) for o in tracked)
        del tracked
        gc.collect()  # walks every list: a broken link would crash here
        assert gc.is_tracked(untracked) == (sys.version_info >= (3, 14))
    finally:
        gc.unfreeze()
        RESURRECTED.clear()
        phoenix.__dict__.clear()


def test_a_time_limit_inside_one_huge_container(module):
    # the limit is checked per reference: a stop can fall inside the row
    # of a container with millions of items, which must then be dropped
    # (most of these limits end inside the list's row)
    module.BIG = list(range(3_000_000))
    target = Leaky()
    module.BIG.append(target)
    full = whyalive.explain(target).stats.total_seconds
    for share in (0.1, 0.3, 0.5, 0.7, 0.9):
        report = whyalive.explain(target, timeout=full * share)
        if report.partial:
            assert report.partial_reason == "timeout"
            assert report.stats.stopped_in in PHASES
            assert report.targets[0].status == "timeout"
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["[3000000]"]
    del module.BIG
