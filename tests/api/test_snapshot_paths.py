"""A snapshot's explain shows the paths explain shows (issue 13): the same
rule (choose.c) picks them, so for the same heap the reports agree path
for path, in order, with the same labels and the same counts of paths
not shown.

Each heap is built by a function and kept alive here; the snapshot and
the live report are taken on one line (so a frame root's line number is
the same) with nothing made in between that could hold the targets.
"""

import ctypes
import gc
import sys
import sysconfig
import types

import pytest

import whyalive


class Leak:
    pass


class Node:
    pass


def _snap_and_explain(obj, max_paths=3):
    """A snapshot and explain's report of obj, taken with nothing made in
    between (one line: the caller's frame is at the same line)."""
    return whyalive.heap_snapshot(), whyalive.explain(obj, max_paths=max_paths)


def _both(obj, max_paths=3):
    """(stored, live) of obj: a snapshot's report and explain's."""
    snap, live = _snap_and_explain(obj, max_paths=max_paths)
    return snap.explain(id(obj), max_paths=max_paths), live


def _shape(path):
    """A path as data, less what belongs to the moment of the question:
    a frame root's depth (it counts the frames of the call that asked; a
    snapshot's is shallower), an external root's reference counts (the
    live call holds references on its targets)."""
    root = path.root
    detail = root.detail
    if root.kind == "frame":
        detail = (*detail[:5], *detail[6:])
    elif root.kind == "external":
        detail = ()
    return (root.kind, root.name, detail, root.thread_name, path.edges, path.length)


#: On free-threaded builds two walks number objects in different orders
#: (ftlist.c copies them out of the heaps' pages), so ties that the node
#: order breaks may break otherwise: the paths agree in length and kind.
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _assert_same_target(s, t):
    if FREE_THREADED:
        key = [(p.length, p.root.kind) for p in s.paths]
        assert key == [(p.length, p.root.kind) for p in t.paths]
        assert (s.omitted, s.status, s.id) == (t.omitted, t.status, t.id)
        return
    assert [_shape(p) for p in s.paths] == [_shape(p) for p in t.paths]
    assert (s.omitted, s.status, s.id, s.type_name) == (
        t.omitted,
        t.status,
        t.id,
        t.type_name,
    )


def _assert_same(stored, live):
    _assert_same_target(stored.targets[0], live.targets[0])
    assert FREE_THREADED or str(stored) == str(live)


@pytest.fixture
def app():
    """A module of globals, so that paths start at module roots."""
    module = types.ModuleType("snapshot_paths_app")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]
    module.__dict__.clear()


def test_the_issue_example_branches_off_a_shared_dict(app):
    app.obj = Leak()
    app.shared = {"k": app.obj}
    app.A = [app.shared]
    app.B = (app.shared,)
    stored, live = _both(app.obj, 5)
    _assert_same(stored, live)
    # the branches further out, as live shows them: the list and the tuple
    # holding the dict (a tie their order breaks: the list is older)
    expressions = [p.expression for p in stored.targets[0].paths]
    assert expressions[0] == "snapshot_paths_app.obj"
    assert "snapshot_paths_app.shared['k']" in expressions
    assert expressions[-1].endswith("[0]['k']")
    if not FREE_THREADED:
        branches = [e for e in expressions if e.endswith("[0]['k']")]
        assert branches[0] == "snapshot_paths_app.A[0]['k']"


def test_a_dict_shared_by_several_globals(app):
    app.target = Leak()
    app.shared = {"t": app.target}
    for i in range(6):
        setattr(app, f"holder{i}", [app.shared] if i % 2 else {"s": app.shared})
    for max_paths in range(1, 6):
        stored, live = _both(app.target, max_paths)
        _assert_same(stored, live)
        assert len(stored.targets[0].paths) == min(max_paths, 7)


def test_a_closure_cell_shared_by_two_functions(app):
    def make():
        kept = Leak()

        def first():
            return kept

        def second():
            return kept

        return first, second

    app.first, app.second = make()
    stored, live = _both(app.first(), 5)
    _assert_same(stored, live)
    text = str(stored)
    assert "first" in text and "second" in text  # both functions


def test_cycles_through_the_target_are_refused_as_live(app):
    target, peer = Node(), Node()
    target.peer, peer.back = peer, target
    ring = [target]
    ring.append(ring)  # a list holding itself and the target
    app.peer = peer
    app.ring = {"r": ring, "again": ring}
    app.target_holder = [target]
    for max_paths in (1, 3, 5):
        stored, live = _both(target, max_paths)
        _assert_same(stored, live)
        # no path leads back through the target
        for path in stored.targets[0].paths:
            assert id(target) not in [e.referrer_id for e in path.edges]


def _incref(obj):
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _decref(obj):
    ctypes.pythonapi.Py_DecRef(ctypes.py_object(obj))


def test_an_object_held_from_outside_and_by_a_global(app):
    app.target = Leak()
    app.other = [app.target]
    _incref(app.target)  # a reference no object of the graph shows
    try:
        snap = whyalive.heap_snapshot()
        live = whyalive.explain(app.target)
        stored = snap.explain(id(app.target))
        s, t = stored.targets[0], live.targets[0]
        kinds = [p.root.kind for p in s.paths]
        assert kinds == [p.root.kind for p in t.paths]
        assert "external" in kinds
        # the paths agree but for the counts an external root carries:
        # the live call holds references on its target, the snapshot not
        assert [p.expression for p in s.paths] == [p.expression for p in t.paths]
        assert [p.edges for p in s.paths] == [p.edges for p in t.paths]
        assert s.omitted == t.omitted
    finally:
        _decref(app.target)


def _held_from_outside():
    """A Leak in a dict only C code holds (an extra reference count)."""
    inner = {"held": Leak()}
    _incref(inner)
    return id(inner), id(inner["held"])


def test_an_object_held_from_outside_only():
    inner_id, target_id = _held_from_outside()
    try:
        gc.collect()
        snap = whyalive.heap_snapshot()
        live = whyalive.explain(ctypes.cast(target_id, ctypes.py_object).value)
        stored = snap.explain(target_id)
        s, t = stored.targets[0], live.targets[0]
        assert s.status == t.status == "external"
        assert [p.edges for p in s.paths] == [p.edges for p in t.paths]
        assert [p.root.kind for p in s.paths] == [p.root.kind for p in t.paths]
        assert [p.root.kind for p in s.paths] == ["external"]
    finally:
        inner = next(o for o in gc.get_objects() if id(o) == inner_id)
        _decref(inner)


def test_a_target_in_containers_held_many_times(app):
    target = Leak()
    bag = [target]
    app.target = target
    app.holders = [{"bag": bag} for _ in range(5)]
    app.more = tuple([bag] * 3)
    app.named = types.SimpleNamespace(bag=bag, again=bag)
    for max_paths in range(1, 6):
        stored, live = _both(target, max_paths)
        _assert_same(stored, live)


def test_targets_held_by_frames(app):
    target = Leak()
    shared = [target]
    app.shared = shared

    def inner(x):
        held = shared
        return _both(x, 5), held

    (stored, live), _ = inner(target)
    _assert_same(stored, live)
    assert "frame" in [p.root.kind for p in stored.targets[0].paths]


def test_a_loaded_dump_explains_as_live(app, tmp_path):
    app.obj = Leak()
    app.shared = {"k": app.obj}
    app.A = [app.shared]
    app.B = (app.shared,)
    path = tmp_path / "heap.whyalive"
    snap, live = _snap_and_explain(app.obj, max_paths=4)
    snap.save(path)
    loaded = whyalive.load_snapshot(path).explain(id(app.obj), max_paths=4)
    _assert_same(loaded, live)
    assert len(loaded.targets[0].paths) == 4


def test_explain_new_shows_the_paths_explain_shows(app):
    app.cache = {}
    before = whyalive.heap_snapshot()
    leaks = [Leak() for _ in range(3)]
    app.cache["a"] = leaks
    app.cache["b"] = leaks
    app.again = [leaks]
    app.first = leaks[0]
    snap, explain = whyalive.heap_snapshot, whyalive.explain
    after, live = snap(), explain(*leaks, max_paths=4)
    report = after.diff(before).explain_new(f"{__name__}.Leak", max_paths=4)
    by_id = {t.id: t for t in report.targets}
    assert set(by_id) == {id(x) for x in leaks}
    for target in live.targets:
        _assert_same_target(by_id[target.id], target)
    # the first has its global, and branches off the list it is in
    assert len(by_id[id(leaks[0])].paths) == 4
