"""whyalive.testing: assertions whose failure explains the leak."""

from __future__ import annotations

import gc
import re
import types
import weakref

import pytest

import whyalive
from helpers import FREE_THREADED
from whyalive import testing


class Widget:
    pass


class Actor:
    pass


class Other:
    pass


@pytest.fixture
def app(module):
    """A module in sys.modules (conftest's), so that its globals are roots."""
    yield module
    module.__dict__.clear()
    gc.collect()


def failure(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    del info
    return message


def assert_never_names_whyalive(message: str) -> None:
    """The tool is never a retainer: no line names its files or containers."""
    assert "whyalive/testing.py" not in message
    assert "whyalive/pytest_plugin.py" not in message
    assert "whyalive.testing." not in message


# ---------------------------------------------------------------- assert_no_instances


def test_no_instances_passes_when_none_alive():
    w = Widget()
    del w
    whyalive.assert_no_instances(Widget, "after closing")


def test_no_instances_names_attribute_and_root(app):
    class Registry:
        pass

    app.REGISTRY = Registry()
    app.REGISTRY.widgets = {"w1": Widget()}
    message = failure(whyalive.assert_no_instances, Widget, "after closing")
    assert message.startswith("1 Widget alive after closing:\n")
    assert "['w1'] in dict" in message
    assert ".widgets of " in message
    assert f"{app.__name__}.REGISTRY  (root: module global)" in message
    assert_never_names_whyalive(message)
    del app.REGISTRY
    whyalive.assert_no_instances(Widget, "after closing")


def test_no_instances_shows_a_local_of_the_running_test():
    held = Widget()
    message = failure(whyalive.assert_no_instances, Widget)
    assert message.startswith("1 Widget alive:\n")
    # the line is cut to 120 columns: the test's long name loses its end
    assert "<local 'held'> of test_no_instances_shows_a_local_of" in message
    assert "test_testing.py:" in message
    assert "(root: running frame)" in message
    assert_never_names_whyalive(message)
    del held


def test_no_instances_counts_and_tuple_of_classes(app):
    app.keep = [Widget(), Actor()]
    message = failure(whyalive.assert_no_instances, (Widget, Actor), "at exit")
    assert message.startswith("2 Widget or Actor objects alive at exit:\n")
    assert message.count("(root: module global)") == 2
    whyalive.assert_no_instances(Other)


def test_no_instances_node_id_from_request(app, request):
    app.keep = Widget()
    message = failure(whyalive.assert_no_instances, Widget, "at exit", request=request)
    first = message.splitlines()[0]
    assert first == f"1 Widget alive at exit ({request.node.nodeid}):"


def test_no_instances_groups_many_held_the_same_way(app):
    app.pool = [Widget() for _ in range(25)]
    message = failure(whyalive.assert_no_instances, Widget)
    assert message.startswith("25 Widget objects alive:\n")
    assert "25 " in message.splitlines()[1]
    assert "held the same way" in message
    assert "[i] in list" in message
    assert len(message.splitlines()) < 10


def test_no_instances_collect_false_reports_garbage():
    w = Widget()
    w.me = w
    del w
    gc.disable()
    try:
        message = failure(whyalive.assert_no_instances, Widget, collect=False)
    finally:
        gc.enable()
    assert "cyclic garbage" in message
    whyalive.assert_no_instances(Widget)


def test_no_instances_max_paths(app):
    w = Widget()
    app.a, app.b, app.c = [w], [w], [w]
    del w
    message = failure(whyalive.assert_no_instances, Widget, max_paths=1)
    assert message.count("(root: module global)") == 1
    assert "2 more retainers" in message


def test_no_instances_bad_arguments():
    with pytest.raises(TypeError, match="cls must be a class or a tuple of classes"):
        whyalive.assert_no_instances(Widget())
    with pytest.raises(TypeError, match="cls must be a class"):
        whyalive.assert_no_instances((Widget, 3))
    with pytest.raises(TypeError, match="when must be a str"):
        whyalive.assert_no_instances(Widget, 3)
    with pytest.raises(TypeError, match="collect must be True or False"):
        whyalive.assert_no_instances(Widget, collect=None)


# ---------------------------------------------------------------- Snapshot


def test_snapshot_ignores_what_existed_before(app):
    app.singleton = Widget()
    snap = whyalive.Snapshot(Widget)
    assert len(snap) == 1
    snap.assert_no_new("after test")
    app.leak = [Widget()]
    message = failure(snap.assert_no_new, "after test")
    assert message.startswith("1 new Widget object alive after test:\n")
    assert f"{app.__name__}.leak  (root: module global)" in message
    assert f"{app.__name__}.singleton" not in message
    del app.leak
    snap.assert_no_new("after test")


def test_snapshot_keeps_nothing_alive():
    w = Widget()
    ref = weakref.ref(w)
    snap = whyalive.Snapshot(Widget)
    del w
    gc.collect()
    assert ref() is None
    snap.assert_no_new()


def test_snapshot_predicate_label_and_robustness(app):
    class Explosive:
        def __eq__(self, other):
            raise RuntimeError("boom")

    def match(obj):
        if isinstance(obj, Explosive):
            raise ValueError("a predicate that raises is a miss")
        return isinstance(obj, Actor)

    landmine = Explosive()
    snap = whyalive.Snapshot(match)
    labelled = whyalive.Snapshot(match, label="VTK")
    app.scene = [Actor(), Actor()]
    message = failure(snap.assert_no_new, "after render")
    assert message.startswith("2 new objects alive after render:\n")
    message = failure(labelled.assert_no_new)
    assert message.startswith("2 new VTK objects alive:\n")
    del landmine


def test_snapshot_explain_new_and_new_ids(app):
    snap = whyalive.Snapshot((Widget, Actor))
    assert snap.label == "Widget or Actor"
    app.keep = Actor()
    assert snap.new_ids() == {id(app.keep)}
    report = snap.explain_new()
    assert isinstance(report, whyalive.Report)
    [target] = report.targets
    assert target.id == id(app.keep)
    assert target.paths[0].root.name == f"{app.__name__}.keep"


def test_snapshot_bad_arguments():
    with pytest.raises(TypeError, match="match must be a class, a tuple"):
        whyalive.Snapshot(42)
    with pytest.raises(TypeError, match="match must be a class or a tuple"):
        whyalive.Snapshot((Widget, 42))
    with pytest.raises(TypeError, match="label must be a str"):
        whyalive.Snapshot(Widget, label=3)


def test_snapshot_with_many_instances_of_a_builtin_type(app):
    """A predicate on dicts: survivors are explained one by one, not every dict."""
    snap = whyalive.Snapshot(lambda o: type(o) is dict and "marker_key" in o)
    app.cache = {"k": {"marker_key": []}}  # a dict of atoms is not tracked
    message = failure(snap.assert_no_new)
    assert message.startswith("1 new object alive:\n")
    assert "['k'] in dict" in message
    assert f"{app.__name__}.cache  (root: module global)" in message


# ---------------------------------------------------------------- assert_freed


def test_assert_freed_passes_for_a_temporary_and_own_variables():
    whyalive.assert_freed(Widget())
    w = Widget()
    a = Actor()
    whyalive.assert_freed(w, a)
    whyalive.assert_freed(w, w)


def test_assert_freed_fails_naming_the_retainer(app):
    app.callbacks = []
    w = Widget()
    app.callbacks.append(w)
    with pytest.raises(AssertionError) as info:
        whyalive.assert_freed(w, Actor())  # called directly: w is our own variable
    message = str(info.value)
    del info
    assert message.startswith("1 of 2 objects expected to be freed is alive:\n")
    assert "[0] in list" in message
    assert f"{app.__name__}.callbacks  (root: module global)" in message
    assert_never_names_whyalive(message)


def _subscribe(app, w):
    def on_click():
        return w

    app.handlers = {"click": on_click}


def test_assert_freed_held_by_a_closure(app):
    w = Widget()
    _subscribe(app, w)
    with pytest.raises(AssertionError) as info:
        whyalive.assert_freed(w)
    message = str(info.value)
    del info
    assert "<closure 'w'> of function _subscribe.<locals>.on_click" in message
    assert "['click'] in dict" in message
    assert f"{app.__name__}.handlers  (root: module global)" in message


def test_assert_freed_through_a_helper_counts_the_helper_variables():
    """Only the function calling assert_freed is discounted, not its callers."""
    w = Widget()
    message = failure(whyalive.assert_freed, w)
    assert "<local 'w'> of test_assert_freed_through_a_helper" in message


def test_assert_freed_needs_weak_references():
    with pytest.raises(
        TypeError, match=r"cannot watch an object of type builtins.dict"
    ):
        whyalive.assert_freed({})
    with pytest.raises(TypeError, match="weakly referenced"):
        whyalive.assert_freed(Widget(), 3)


# ---------------------------------------------------------------- expect_freed


def test_expect_freed_passes_when_released(app):
    app.scene = []
    with whyalive.expect_freed("after removing") as watch:
        actor = watch(Actor())
        assert isinstance(actor, Actor)
        app.scene.append(actor)
        app.scene.clear()
    assert len(watch) == 0


def test_expect_freed_fails_with_the_explanation(app):
    app.scene = []
    with (
        pytest.raises(AssertionError) as info,
        whyalive.expect_freed("after removing") as watch,
    ):
        app.scene.append(watch(Actor()))
        watch(Widget())
    message = str(info.value)
    del info
    assert message.startswith(
        "1 of 2 objects expected to be freed is alive after removing:\n"
    )
    assert f"{app.__name__}.scene  (root: module global)" in message
    assert_never_names_whyalive(message)


def test_expect_freed_does_not_check_when_the_block_raises(app):
    app.scene = []
    with pytest.raises(KeyError), whyalive.expect_freed() as watch:
        app.scene.append(watch(Actor()))
        raise KeyError("the block's own error wins")


def test_expect_freed_keeps_only_weak_references():
    with whyalive.expect_freed() as watch:
        w = watch(Widget())
        ref = weakref.ref(w)
        del w
        gc.collect()
        assert ref() is None


def test_expect_freed_needs_weak_references():
    with whyalive.expect_freed() as watch, pytest.raises(TypeError, match="list"):
        watch([])


# ---------------------------------------------------------------- gc_collect_once


def test_gc_collect_once_per_test(request):
    assert whyalive.gc_collect_once(request) is True
    assert whyalive.gc_collect_once(request) is False
    assert whyalive.gc_collect_once() is True


def test_gc_collect_once_bad_request():
    with pytest.raises(TypeError, match="pytest request"):
        whyalive.gc_collect_once(types.SimpleNamespace(node=None))


# ---------------------------------------------------------------- docs


def test_public_names_are_exported():
    for name in testing.__all__:
        assert getattr(whyalive, name) is getattr(testing, name)
        assert name in whyalive.__all__
        doc = getattr(testing, name).__doc__
        assert doc and re.search(r">>> ", doc), name


# ---------------------------------------------------------------- compat.refleak


def test_compat_refleak_call_shapes_and_summary(app):
    from whyalive.compat import refleak

    refleak.assert_no_instances(Widget, "after test")
    app.keep = [Widget()]
    message = failure(
        refleak.assert_no_instances,
        Widget,
        "after test",
        extra_info=lambda obj: ["extra-marker"],
        max_depth=5,
        max_lines=40,
    )
    assert message.startswith(f"Found 1 {__name__}.Widget @ after test:\n")
    assert "extra-marker\nWidget @ 0x" in message
    assert f"as code: {app.__name__}.keep[0]" in message
    assert_never_names_whyalive(message)


def test_compat_refleak_snapshot_ids_objs_and_freeze(app):
    from whyalive.compat import refleak

    app.old = Actor()
    snap = refleak.Snapshot(Actor, label="VTK")
    frozen = refleak.Snapshot(Actor, freeze=True)
    app.new = [Actor(), Actor()]
    message = failure(frozen.assert_no_new, "test")
    assert message.startswith(f"Found 2 new {__name__}.Actor objects @ test:\n")
    assert gc.get_freeze_count() < 1000  # thawed
    message = failure(snap.assert_no_new, "test")
    assert message.startswith("Found 2 new VTK objects @ test:\n")
    app.new.clear()
    snap.assert_no_new("test", objs=gc.get_objects())
    with pytest.raises(TypeError, match="objs= cannot be combined"):
        refleak.Snapshot(Actor, freeze=True, objs=[])


def test_compat_refleak_referrer_chain_and_gc_collect_once(request):
    from whyalive.compat import refleak

    w = Widget()
    holders = [[w] for _ in range(3)]
    lines, held = refleak.referrer_chain(w, max_lines=2)
    assert held and lines[-1] == "... (truncated)"
    lines, _ = refleak.referrer_chain(w, max_depth=1)
    assert all(line.startswith(("├── ", "└── ")) for line in lines)
    del holders
    refleak.gc_collect_once(request)
    assert request.node._refleak_gc_collected is True


def test_stats_of_several_walks_add_up_and_keep_where_one_stopped():
    from whyalive.report import Stats

    done = Stats(10, 20, 1, 3, 0.5, 0.25, 1.0)
    cut = Stats(5, 0, 1, 2, 0.25, 0.0, 0.25, "indexing", 4)
    both = done.add(cut)
    assert both == Stats(15, 20, 2, 5, 0.75, 0.25, 1.25, "indexing", 4)
    assert cut.add(done).stopped_in == "indexing"


def test_merged_reports_keep_every_target_and_the_first_partial_reason():
    from whyalive.report import Report, Stats

    class Kept:
        pass

    kept = [Kept(), Kept()]
    first = whyalive.explain(kept[0])
    cut = Report((), "timeout", Stats(1, 2, 0, 0, 0.0, 0.0, 0.5, "searching", 3))
    second = whyalive.explain(kept[1])
    merged = Report.merge([first, cut, second])
    assert [t.id for t in merged.targets] == [id(kept[0]), id(kept[1])]
    assert merged.partial_reason == "timeout"
    assert merged.stats == first.stats.add(cut.stats).add(second.stats)
    assert Report.merge([]) == Report.empty()
    del kept


# ---------------------------------------------------------------- collect_young_first


class _Cell:
    pass


def _generations_collected(survivors) -> tuple[bool, list[int]]:
    seen: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(info["generation"])

    was_enabled = gc.isenabled()
    gc.disable()  # only the collections collect_young_first makes
    gc.callbacks.append(record)
    try:
        alive = whyalive.collect_young_first(survivors)
    finally:
        gc.callbacks.remove(record)
        if was_enabled:
            gc.enable()
    return alive, seen


def test_collect_young_first_collects_nothing_when_nothing_survives():
    watch = whyalive.expect_freed()
    watch(_Cell())  # freed by its reference count at once
    assert _generations_collected(watch.alive) == (False, [])


def test_collect_young_first_stops_at_the_young_generation_that_frees():
    watch = whyalive.expect_freed()
    cell = watch(_Cell())
    cell.me = cell
    del cell
    alive, seen = _generations_collected(watch.alive)
    assert not alive
    assert seen[0] == 0
    assert 2 not in seen


@pytest.mark.skipif(
    FREE_THREADED,
    reason="3.13t's collector has no generations: collect(0) frees old cycles too",
)
def test_collect_young_first_goes_to_a_full_collection_for_old_cycles():
    watch = whyalive.expect_freed()
    cell = watch(_Cell())
    cell.me = cell
    gc.collect()  # the cycle survives: it is in the oldest generation now
    del cell
    alive, seen = _generations_collected(watch.alive)
    assert not alive
    assert seen[-1] == 2


def test_collect_young_first_reports_a_survivor_after_a_full_collection():
    watch = whyalive.expect_freed()
    kept = watch(_Cell())
    alive, seen = _generations_collected(watch.alive)
    assert alive
    assert seen == [0, 1, 2]
    assert watch.alive() == 1
    del kept
    assert watch.alive() == 0


def test_snapshot_of_an_abc_counts_its_registered_classes():
    """A class with its own __instancecheck__ (an ABC) is matched as
    isinstance does; plain classes take the census in C, by MRO."""
    import abc

    class Shape(abc.ABC):  # noqa: B024 (an ABC for its __instancecheck__)
        pass

    class Square:  # not a subclass: registered
        pass

    Shape.register(Square)
    snap = whyalive.Snapshot(Shape)
    kept = [Square()]
    assert snap.new_ids() == {id(kept[0])}
    plain = whyalive.Snapshot(Square)
    more = [Square()]
    assert plain.new_ids() == {id(more[0])}
    del kept, more


_MOVES = {
    "none": lambda: None,
    "collect(0)": lambda: gc.collect(0),
    "collect(1)": lambda: gc.collect(1),
    "collect()": gc.collect,
    "freeze": gc.freeze,
}


@pytest.mark.parametrize("move", sorted(_MOVES))
def test_snapshot_finds_new_instances_wherever_the_collector_moved_them(move):
    """Snapshots of classes take young censuses while they suffice: an
    instance made after the snapshot is found whatever generation it has
    reached (or frozen), and one that existed before never counts."""

    class Sprite:
        pass

    before = [Sprite()]
    gc.collect()
    snap = whyalive.Snapshot(Sprite, collect=False)
    assert snap.new_ids(collect=False) == set()
    made = [Sprite()]
    try:
        _MOVES[move]()
        assert snap.new_ids(collect=False) == {id(made[0])}
        assert snap.new_ids(collect=False) == {id(made[0])}  # a young census again
    finally:
        gc.unfreeze()
    made.clear()
    assert snap.new_ids(collect=False) == set()
    del before
