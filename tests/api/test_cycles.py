"""whyalive.cycles(): the cyclic garbage collections free or cannot free."""

from __future__ import annotations

import gc
import pickle
import sys
import weakref
from typing import ClassVar

import pytest

import whyalive
from helpers import FREE_THREADED

try:
    import _testcapi
except ImportError:  # pragma: no cover - a CPython built without it
    _testcapi = None


class Node:
    pass


class Fin:
    ran: ClassVar[list[str]] = []

    def __del__(self):
        Fin.ran.append("del")


KEEP = Node()


def alive(cls: type) -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is cls)


@pytest.fixture(autouse=True)
def clean_collector():
    gc.collect()
    debug, callbacks = gc.get_debug(), list(gc.callbacks)
    yield
    assert gc.get_debug() == debug
    assert gc.callbacks == callbacks


def make_pair() -> None:
    a, b = Node(), Node()
    a.peer, b.peer = b, a


def test_a_cycle_is_recorded_labelled_and_freed():
    before = alive(Node)
    garbage = list(gc.garbage)
    with whyalive.cycles() as found:
        make_pair()
        gc.collect()
        # freed by the collection that found it, not kept until the end
        assert alive(Node) == before
        assert gc.garbage == garbage
    (cycle,) = [c for c in found if "Node" in str(c.type_names)]
    assert cycle.freed and cycle.generation == 2
    assert [m.type_name for m in cycle.members] == [f"{__name__}.Node"] * 2
    assert sorted((r.source, r.target, r.label, r.kind) for r in cycle.references) == [
        (0, 1, ".peer", "attr"),
        (1, 0, ".peer", "attr"),
    ]
    assert found.collections >= 1
    text = str(cycle)
    assert text.splitlines()[0] == (
        f"cycle of 2 objects ({__name__}.Node x2), freed by a collection of "
        "generation 2"
    )
    assert f"#1 {__name__}.Node  .peer -> #2" in text
    assert "1 cycle" in str(found) or "cycles" in str(found)


def test_containers_closures_and_dicts_are_labelled_as_paths_are():
    def build():
        parent = Node()
        parent.children = [parent]
        d = {}
        d["me"] = d

        def outer():
            box = []

            def inner():
                return box

            box.append(inner)

        outer()

    with whyalive.cycles() as found:
        build()
        gc.collect()
    labels = {
        tuple(sorted(r.label for r in c.references)): sorted(c.type_names)
        for c in found
    }
    assert labels[(".children", "[0]")] == ["list", f"{__name__}.Node"]
    assert labels[("['me']",)] == ["dict"]
    assert labels[("<closure 'box'>", "[0]")] == ["function", "list"]
    # the owner's __dict__, the closure tuple and the cell are folded away
    members = [m for c in found for m in c.members]
    assert not any(m.type_name in ("cell", "tuple") for m in members)


def test_finalizers_are_flagged_and_still_run():
    Fin.ran.clear()

    def build():
        f = Fin()
        f.me = f
        n = Node()
        # a weak reference whose callback holds n: in the cycle
        n.ref = weakref.ref(KEEP, lambda r, n=n: None)

    with whyalive.cycles() as found:
        build()
        gc.collect()
    assert Fin.ran == ["del"]
    (fin,) = [c for c in found if c.type_names == (f"{__name__}.Fin",)]
    assert fin.members[0].has_finalizer and not fin.members[0].legacy_finalizer
    assert "(__del__)" in str(fin)
    (weak,) = [c for c in found if any(m.weakref_callback for m in c.members)]
    ref = next(m for m in weak.members if m.weakref_callback)
    assert "weakref" in ref.type_name and weak.finalizers == (ref,)
    assert "(weak reference with a callback)" in str(weak)


def test_weak_references_to_the_garbage_are_cleared_and_their_callbacks_run():
    called = []
    holder = []

    def build():
        a = Node()
        a.me = a
        holder.append(weakref.ref(a, lambda r: called.append(r)))

    with whyalive.cycles() as found:
        build()
        gc.collect()
    assert holder[0]() is None and called == holder
    assert any(c.type_names == (f"{__name__}.Node",) for c in found)


@pytest.mark.skipif(_testcapi is None, reason="needs _testcapi.with_tp_del")
def test_a_legacy_finalizer_cycle_is_not_freed_and_gc_garbage_is_explained():
    @_testcapi.with_tp_del
    class Legacy:
        def __tp_del__(self):
            pass

    def build():
        legacy, node = Legacy(), Node()
        legacy.node, node.legacy = node, legacy

    start = len(gc.garbage)
    try:
        with whyalive.cycles() as found:
            build()
            gc.collect()
        (cycle,) = found.not_freed
        assert not cycle.freed
        legacy = [m for m in cycle.members if m.legacy_finalizer]
        assert len(legacy) == 1 and legacy[0].type_name.endswith("Legacy")
        assert "not freed: left in gc.garbage" in str(cycle)
        # the collector leaves it in gc.garbage as it would without the block
        left = sorted(type(o).__name__ for o in gc.garbage[start:])
        assert [t for t in left if t != "dict"] == ["Legacy", "Node"]
        report = whyalive.explain_garbage()
        reasons = {e.type_name.rsplit(".", 1)[-1]: e.reason for e in report}
        assert reasons["Legacy"].startswith("it has a legacy finalizer (tp_del)")
        assert reasons["Node"].startswith("it is reachable from #")
        assert "which has a legacy finalizer" in str(report)
    finally:
        for obj in gc.garbage[start:]:
            (obj if type(obj) is dict else obj.__dict__).clear()
        del gc.garbage[start:]
        gc.collect()


def test_classes_keeps_only_the_cycles_holding_their_instances():
    class Other:
        pass

    def build():
        o = Other()
        o.me = o
        make_pair()

    with whyalive.cycles(classes=(Other,)) as found:
        build()
        gc.collect()
    assert [c.type_names for c in found] == [(f"{__name__}.{Other.__qualname__}",)]
    with pytest.raises(TypeError, match="classes"):
        whyalive.cycles(classes=3)
    with pytest.raises(TypeError, match="classes"):
        whyalive.cycles(classes=(Node, "x"))


def test_automatic_collections_are_recorded_with_their_generation():
    threshold = gc.get_threshold()
    # 3.13t: the second threshold 0 collects past the first alone, each
    # thread adds its allocations to the count 512 at a time, and what
    # earlier tests freed left the count below 0 until a collection
    if FREE_THREADED:
        gc.collect()
    gc.set_threshold(*((50, 0) if FREE_THREADED else (50,)))
    try:
        with whyalive.cycles(classes=(Node,)) as found:
            for _ in range(2000 if FREE_THREADED else 200):
                make_pair()
                junk = [[] for _ in range(100)]  # allocations trigger collections
                del junk
    finally:
        gc.set_threshold(*threshold)
    assert len(found) >= 1
    assert found.collections > 1
    assert all(c.generation in (0, 1, 2) and c.freed for c in found)


def test_the_program_saveall_is_respected():
    gc.set_debug(gc.DEBUG_SAVEALL)
    start = len(gc.garbage)
    try:
        with whyalive.cycles(classes=(Node,)) as found:
            make_pair()
            gc.collect()
        assert len(found) == 1
        assert gc.get_debug() == gc.DEBUG_SAVEALL
        saved = [type(o) for o in gc.garbage[start:]]
        assert saved.count(Node) == 2
        reasons = {e.reason for e in whyalive.explain_garbage()}
        assert any("DEBUG_SAVEALL" in r for r in reasons)
    finally:
        gc.set_debug(0)
        del gc.garbage[start:]
        gc.collect()


def test_nested_blocks_share_the_hook_and_restore_the_collector():
    with whyalive.cycles(classes=(Node,)) as outer:
        with whyalive.cycles(classes=(Node,)) as inner:
            make_pair()
            gc.collect()
        assert gc.get_debug() & gc.DEBUG_SAVEALL
        make_pair()
        gc.collect()
    assert len(inner) == 1 and len(outer) == 2
    block = whyalive.cycles()
    with block:
        pass
    with pytest.raises(RuntimeError):
        block.__enter__()


def test_no_user_code_runs_and_nothing_is_kept():
    calls = []

    class Meta(type):
        def __instancecheck__(cls, obj):
            calls.append("instancecheck")
            return True

        def __getattribute__(cls, name):
            if name not in ("__dict__", "__mro__", "__name__", "__qualname__"):
                calls.append(f"meta {name}")
            return super().__getattribute__(name)

    class Hostile(metaclass=Meta):
        def __repr__(self):
            calls.append("repr")
            return "x"

        def __eq__(self, other):
            calls.append("eq")
            return False

        __hash__ = object.__hash__

        def __getattr__(self, name):
            calls.append(f"getattr {name}")
            raise AttributeError(name)

    def build():
        h = Hostile()
        h.me = {"k": h}

    with whyalive.cycles(classes=(Hostile,)) as found:
        build()
        gc.collect()
    assert calls == []
    assert len(found) == 1 and "['k']" in str(found[0])
    assert alive(Hostile) == 0
    # plain data: equal, hashable, picklable
    assert pickle.loads(pickle.dumps(found[0])) == found[0]
    assert hash(found[0]) == hash(found[0])


def test_an_empty_block_records_nothing():
    with whyalive.cycles(classes=(Node,)) as found:
        pass
    assert len(found) == 0 and found.freed == [] and found.not_freed == []
    assert str(found).startswith("0 cycles")
    assert found.by_type() == {}


def test_explain_garbage_of_an_empty_garbage_list():
    if gc.garbage:
        pytest.skip("gc.garbage is not empty in this process")
    assert str(whyalive.explain_garbage()) == "gc.garbage is empty"
    assert len(whyalive.explain_garbage()) == 0


def test_the_core_refuses_a_non_list():
    from whyalive import _core

    with pytest.raises(TypeError, match="objects"):
        _core.cycles_graph((1, 2))
    with pytest.raises(TypeError, match="objects"):
        _core.cycles_clear((1, 2))
    assert _core.cycles_graph([]) == ([], [], [])
    assert sys.getrefcount is not None
