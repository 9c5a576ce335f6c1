"""find_paths(compact=True): the same answer as flat tables (issue 15).

Each heap below is asked the same question twice, for tuples and for
the compact tables; the tables read back (``report.FlatTargets``) must be
the tuples, target for target, path for path, edge for edge.  Then the
reports made of each (ranked when built, or when read) must be equal,
and so must every text made of them.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import sys
import threading

import leak_shapes
import pytest

import whyalive
from helpers import linked_chain
from whyalive import Report, _core
from whyalive._tool import TOOL_PREFIX, thread_names
from whyalive.ranking import CANDIDATES_PER_PATH, rank_target
from whyalive.report import FlatTargets


class Leaf:
    """What every heap below is asked about."""


class Holder:
    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf

    def method(self) -> Leaf:
        return self.leaf


def _ask(targets=(), excluded=(), **options):
    """The core's tuples and its compact answer to one question."""
    kwargs = {"tool_prefix": TOOL_PREFIX, "instances_of": (Leaf,), **options}
    eager = _core.find_paths(targets, excluded, (), **kwargs)
    # the first answer's objects would count as references to the targets
    # in the second call: ids instead
    ids = None if eager[3] is None else [id(o) for o in eager[3]]
    eager = (*eager[:3], ids)
    compact = _core.find_paths(targets, excluded, (), compact=True, **kwargs)
    if compact[3] is not None:
        compact = (*compact[:3], [id(o) for o in compact[3]])
    return eager, compact


def _assert_same(eager, compact):
    partial, targets, stats, objects = eager
    assert compact[0] == partial
    # (the first answer is on the heap the second call walks: its nodes)
    assert compact[2][2:4] == stats[2:4] and compact[2][7:] == stats[7:]
    assert compact[3] == objects
    flat = FlatTargets(compact[1])
    assert len(flat) == len(targets)
    assert [flat[i] for i in range(len(flat))] == list(targets)
    assert flat.statuses() == [t[6] for t in targets]
    assert flat.ids() == [t[0] for t in targets]
    assert flat.refcounts() == [t[3] for t in targets]
    with pytest.raises(IndexError):
        flat[len(flat)]


def _assert_same_reports(eager, compact, max_paths=3, only_ids=None):
    names = thread_names()
    ranked = [rank_target(t, max_paths) for t in eager[1]]
    if only_ids is not None:
        ranked = [t for t in ranked if t[0] in only_ids]
    # (with the second call's stats: the text and JSON print them)
    made = Report.from_core(
        (eager[0], tuple(ranked), compact[2], eager[3]), thread_names=names
    )
    lazy = Report.from_core(
        compact,
        thread_names=names,
        compact=True,
        max_paths=max_paths,
        only_ids=only_ids,
    )
    assert len(lazy) == len(made) and lazy.partial_reason == made.partial_reason
    assert [lazy[i] for i in range(len(lazy))] == list(made)
    for mine, theirs in zip(lazy, made, strict=True):
        assert mine.paths == theirs.paths
        assert [p.edges for p in mine.paths] == [p.edges for p in theirs.paths]
        assert [p.root for p in mine.paths] == [p.root for p in theirs.paths]
        assert mine.omitted == theirs.omitted
    assert lazy == made
    for text in (str, repr, Report.to_json, Report.to_dot, Report.to_html):
        assert text(lazy) == text(made)
    assert lazy.without_unreferenced() == made.without_unreferenced()


def _varied_heap(module) -> dict:
    """Leaves held every way a program holds them: module globals through
    containers, attributes, closures, bound methods, a deque and a set;
    the stdlib's C types (their markers, asked about too); a local."""
    leaves = [Leaf() for _ in range(40)]
    module.by_key = {f"k{i}": leaf for i, leaf in enumerate(leaves[:8])}
    module.items = list(leaves[8:16])
    module.holders = [Holder(leaf) for leaf in leaves[16:20]]
    module.callbacks = [(lambda leaf=leaf: leaf) for leaf in leaves[20:22]]
    module.methods = [Holder(leaf).method for leaf in leaves[22:24]]
    module.queue = collections.deque(leaves[24:28])
    module.members = set(leaves[28:32])
    module.shared = leaves[0]  # one leaf by two routes
    shapes, markers = [], []
    for name in sorted(n for n in leak_shapes.SHAPES if "asyncio" not in n):
        markers.append(leak_shapes.marker_for(name))
        shapes.append(leak_shapes.SHAPES[name](markers[-1]))
    module.shapes = shapes
    return {"leaves": leaves, "local": Leaf(), "markers": tuple(markers)}


@pytest.mark.parametrize("max_paths", [1, 3, 9])
def test_the_compact_answer_is_the_tuples_on_a_varied_heap(module, max_paths):
    """And a blocked thread's frame, a cycle of garbage, a reference from
    outside the graph, a leaf only an excluded list holds."""
    heap = _varied_heap(module)
    ready, release = threading.Event(), threading.Event()

    def hold(leaf):
        ready.set()
        release.wait(30)

    thread = threading.Thread(target=hold, args=(Leaf(),), name="holder-thread")
    thread.start()
    ready.wait(30)
    gc.disable()  # the garbage below stays garbage while asked
    cycle = [Leaf()]
    cycle.append(cycle)
    del cycle
    outside = Leaf()  # held from outside the graph only (as C code holds it)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(outside))
    outside_id = id(outside)
    del outside
    unreferenced = [Leaf()]
    try:
        explicit = (heap["local"], module.items[0], *heap["markers"])
        eager, compact = _ask(explicit, (unreferenced,), max_paths=max_paths)
        statuses = {t[6] for t in eager[1]}
        assert {"rooted", "garbage", "external", "unreferenced"} <= statuses
        assert any(p[0][0] == "frame" for t in eager[1] for p in t[7])
        _assert_same(eager, compact)
        _assert_same_reports(eager, compact, max_paths=max(1, max_paths // 3))
        some = {t[0] for t in eager[1][::3]}
        _assert_same_reports(eager, compact, only_ids=some)
    finally:
        outside = ctypes.cast(outside_id, ctypes.py_object).value
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(outside))
        gc.enable()
        release.set()
        thread.join(30)


def test_the_compact_answer_is_the_tuples_past_a_depth_limit(module):
    linked_chain(module, 40).nxt = Leaf()  # no local holds the chain
    module.near = [Leaf()]
    eager, compact = _ask(max_depth=10)
    assert {t[6] for t in eager[1]} >= {"depth_limit", "rooted"}
    assert eager[0] == "max_depth"
    _assert_same(eager, compact)
    _assert_same_reports(eager, compact)


@pytest.mark.parametrize("phase", ["searching", "naming"])
def test_the_compact_answer_is_the_tuples_when_the_time_runs_out(module, phase):
    heap = _varied_heap(module)
    eager, compact = _ask(heap["markers"], expire_at=phase, want_objects=True)
    assert eager[0] == "timeout" and eager[2][7] == phase
    _assert_same(eager, compact)
    _assert_same_reports(eager, compact)
    del heap


def test_the_compact_answer_holds_no_heap_object(module):
    heap = _varied_heap(module)
    before = [sys.getrefcount(leaf) for leaf in heap["leaves"]]
    _eager, compact = _ask()
    assert [sys.getrefcount(leaf) for leaf in heap["leaves"]] == before
    texts, roots, *tables = compact[1]
    assert all(type(t) is str for t in texts)
    assert all(type(r) is tuple for r in roots)
    assert all(type(b) is bytes for b in tables)


def test_explain_asks_for_candidates_and_ranks_them_when_read(module):
    module.items = [Leaf() for _ in range(3)]
    report = whyalive.explain_instances(Leaf, collect=False, max_paths=2)
    eager = _core.find_paths(
        (),
        (),
        (),
        tool_prefix=TOOL_PREFIX,
        instances_of=(Leaf,),
        max_paths=2 * CANDIDATES_PER_PATH,
    )
    assert list(report) == [
        whyalive.Target(rank_target(t, 2), None, ()) for t in eager[1]
    ]
