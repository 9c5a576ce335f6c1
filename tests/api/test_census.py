"""Counting, growth, lookups and chains: objgraph's everyday tools."""

from __future__ import annotations

import gc
import io
import sys
import weakref

import pytest

import whyalive
from whyalive import census


class Gizmo:
    pass


class SubGizmo(Gizmo):
    pass


def make_class(name: str, module: str) -> type:
    return type(name, (), {"__module__": module})


# ------------------------------------------------------------------ counting


def test_count_by_class_is_exact():
    class Base:
        pass

    class Derived(Base):
        pass

    keep = [Base(), Base(), Derived()]
    assert whyalive.count(Base) == 2
    assert whyalive.count(Derived) == 1
    del keep


def test_count_by_short_and_qualified_names():
    a = make_class("Twin", "first")()
    b = make_class("Twin", "second")()
    assert whyalive.count("Twin") == 2
    assert whyalive.count("first.Twin") == 1
    assert whyalive.count("second.Twin") == 1
    assert whyalive.count("builtins.dict") == whyalive.count("dict")
    del a, b


def test_count_by_qualified_name_of_a_nested_class():
    class Inner:
        pass

    keep = Inner()
    qualified = f"{__name__}.{Inner.__qualname__}"
    assert whyalive.count(qualified) == 1
    assert whyalive.count(f"{__name__}.Inner") == 1  # objgraph's spelling
    del keep


def test_a_name_that_matches_nothing_counts_zero():
    assert whyalive.count("NoSuchTypeAnywhere") == 0
    assert whyalive.count("no.such.Type") == 0
    assert whyalive.by_type("NoSuchTypeAnywhere") == []


@pytest.mark.parametrize("bad", [42, None, b"dict", Gizmo()])
def test_a_wrong_kind_of_type_argument_is_a_type_error(bad):
    with pytest.raises(TypeError, match="typename must be a class"):
        whyalive.count(bad)
    with pytest.raises(TypeError, match="typename must be a class"):
        whyalive.by_type(bad)


def test_count_among_given_objects():
    objects = (Gizmo(), Gizmo(), "x", 1)
    assert whyalive.count(Gizmo, objects) == 2
    assert whyalive.count("int", iter(objects)) == 1
    with pytest.raises(TypeError, match="objects must be"):
        whyalive.count(Gizmo, 5)


def test_frozen_objects_are_counted():
    cls = make_class("Frosty", "cold")
    made = [cls() for _ in range(4)]
    gc.freeze()
    try:
        assert sum(type(o) is cls for o in gc.get_objects()) == 0
        assert whyalive.count(cls) == 4
        assert whyalive.typestats(shortnames=False)["cold.Frosty"] == 4
        assert len(whyalive.by_type(cls)) == 4
    finally:
        gc.unfreeze()
    del made


def test_counting_creates_no_reference_cycles():
    # objgraph's regression test (its PR 22), for every counting call
    gc.collect()
    gc.disable()
    try:
        x = make_class("Lonely", "mod")()
        before = len(gc.get_referrers(x))
        whyalive.count("Lonely")
        whyalive.typestats()
        whyalive.typestats(filter=lambda o: True)
        whyalive.most_common_types()
        whyalive.show_most_common_types(file=io.StringIO())
        assert len(gc.get_referrers(x)) == before
        found = whyalive.by_type("Lonely")
        assert found == [x]
        # the list returned, and this frame: nothing left over from the call
        assert len(gc.get_referrers(x)) <= before + 1
        del found
    finally:
        gc.enable()


def test_counting_keeps_nothing_alive():
    x = Gizmo()
    ref = weakref.ref(x)
    whyalive.count(Gizmo)
    whyalive.typestats(filter=lambda o: True)
    whyalive.by_type(Gizmo)
    whyalive.at(id(x))
    whyalive.get_new_ids(limit=0, _state={})
    del x
    assert ref() is None


def test_typestats_names_and_filter():
    cls = make_class("Marked", "somewhere")
    a, b = cls(), cls()
    a.flag, b.flag = True, False
    stats = whyalive.typestats(shortnames=False)
    assert stats["somewhere.Marked"] == 2
    assert "Marked" not in stats
    assert whyalive.typestats()["Marked"] == 2
    only = whyalive.typestats(filter=lambda o: isinstance(o, cls) and o.flag)
    assert only == {"Marked": 1}
    del a, b


def test_typestats_of_objects():
    assert whyalive.typestats([1, 2, "x", Gizmo()]) == {"int": 2, "str": 1, "Gizmo": 1}


def test_most_common_types_order_and_limit():
    objects = [1, 2, 3, "a", "b", 1.0]
    assert whyalive.most_common_types(objects=objects) == [
        ("int", 3),
        ("str", 2),
        ("float", 1),
    ]
    assert whyalive.most_common_types(limit=1, objects=objects) == [("int", 3)]
    out = io.StringIO()
    whyalive.show_most_common_types(objects=objects, file=out)
    assert out.getvalue() == "int   3\nstr   2\nfloat 1\n"
    out = io.StringIO()
    whyalive.show_most_common_types(objects=[], file=out)
    assert out.getvalue() == ""


# -------------------------------------------------------------------- growth


def test_growth_reports_rises_above_the_peak():
    peaks: dict[str, int] = {}
    whyalive.growth(limit=None, peak_stats=peaks)
    made = [Gizmo() for _ in range(3)]
    rows = [
        row
        for row in whyalive.growth(limit=None, peak_stats=peaks)
        if row[0] == "Gizmo"
    ]
    assert rows == [("Gizmo", whyalive.count(Gizmo), 3)]
    # a drop, then a regrowth below the peak: no growth (peaks only rise)
    del made[:2]
    whyalive.growth(limit=None, peak_stats=peaks)
    made.append(Gizmo())
    rows = [
        row
        for row in whyalive.growth(limit=None, peak_stats=peaks)
        if row[0] == "Gizmo"
    ]
    assert rows == []
    assert peaks["Gizmo"] >= 3


def test_growth_default_state_and_show_growth():
    whyalive.growth(limit=None)
    made = [SubGizmo(), SubGizmo()]
    rows = dict((name, delta) for name, _, delta in whyalive.growth(limit=None))
    assert rows["SubGizmo"] == 2
    peaks: dict[str, int] = {}
    out = io.StringIO()
    whyalive.show_growth(limit=3, peak_stats=peaks, file=out)
    assert peaks
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    _name, total, delta = lines[0].split()
    assert int(total) == int(delta) > 0
    del made


def test_growth_collect_false_skips_the_collection(monkeypatch):
    calls = []
    monkeypatch.setattr(census.gc, "collect", lambda *a: calls.append(a) or 0)
    whyalive.growth(peak_stats={}, collect=False)
    assert calls == []
    whyalive.growth(peak_stats={})
    assert calls == [()]


def test_typestats_diff_both_ways():
    before = {"Gizmo": 5, "Gone": 2, "Same": 1}
    after = {"Gizmo": 8, "Same": 1, "New": 1}
    assert whyalive.typestats_diff(before, after, limit=None) == [
        ("Gizmo", 5, 8, 3),
        ("New", 0, 1, 1),
        ("Gone", 2, 0, -2),
    ]
    live_before = whyalive.typestats()
    made = [Gizmo() for _ in range(2)]
    rows = [
        r for r in whyalive.typestats_diff(live_before, limit=None) if r[0] == "Gizmo"
    ]
    assert rows and rows[0][3] == 2
    del made


# --------------------------------------------------------------- get_new_ids


def test_get_new_ids_finds_new_objects_once():
    state: dict = {}
    whyalive.get_new_ids(limit=0, _state=state)
    x = Gizmo()
    new = whyalive.get_new_ids(limit=0, _state=state)
    assert id(x) in new["Gizmo"]
    new = whyalive.get_new_ids(limit=0, _state=state)
    assert id(x) not in new["Gizmo"]
    assert new["NoSuchType"] == set()  # a defaultdict, as objgraph's


def test_get_new_ids_skip_update_and_long_names():
    state: dict = {}
    whyalive.get_new_ids(limit=0, shortnames=False, _state=state)
    x = make_class("Fresh", "pkg.mod")()
    new = whyalive.get_new_ids(limit=0, _state=state)
    assert id(x) in new["pkg.mod.Fresh"]
    again = whyalive.get_new_ids(skip_update=True, _state=state)
    assert again is new and id(x) in again["pkg.mod.Fresh"]


def test_get_new_ids_prints_a_table():
    state: dict = {}
    out = io.StringIO()
    out.write("")  # (a StringIO makes its buffer list when first written)
    whyalive.get_new_ids(limit=0, _state=state)
    whyalive.get_new_ids(limit=0, _state=state)
    made = [[] for _ in range(10)]
    whyalive.get_new_ids(limit=1, _state=state, file=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == lines[2] == lines[4] and set(lines[0]) == {"="}
    assert lines[1].split() == [
        "Type",
        "Old_ids",
        "Current_ids",
        "New_ids",
        "Count_Deltas",
    ]
    name, _old, _current, new, delta = lines[3].split()
    assert name == "list" and delta == "+11" and new.startswith("+")
    del made


def test_get_new_ids_checks_sortby():
    with pytest.raises(ValueError, match="sortby"):
        whyalive.get_new_ids(sortby="size", _state={})


# ------------------------------------------------------------ by type, by id


def test_by_type_and_objects():
    cls = make_class("Sought", "here")
    sub = type("SoughtToo", (cls,), {"__module__": "here"})
    a, b = cls(), sub()
    assert whyalive.by_type(cls) == [a]
    assert whyalive.by_type("SoughtToo") == [b]
    assert whyalive.by_type("here.Sought", [b, a, a]) == [a, a]
    assert whyalive.by_type(Gizmo, [b, a]) == []


def test_at_and_at_addrs():
    a, b = [1], {"k": []}
    assert whyalive.at(id(a)) is a
    assert whyalive.at(id("not tracked" * 2)) is None
    for junk in (0, 1, 7, 2**64, -1, id(a) + 3):
        assert whyalive.at(junk) is None
    assert {id(o) for o in whyalive.at_addrs({id(a), id(b), 5})} == {id(a), id(b)}
    with pytest.raises(TypeError, match="addr must be an int"):
        whyalive.at("0x10")
    with pytest.raises(TypeError, match="address_set items must be an int"):
        whyalive.at_addrs([1.5])


# ------------------------------------------------------------------- leaking


def test_leaking_objects_of_candidates():
    alone = Gizmo()
    held = Gizmo()
    keeper = {"held": held}
    ident = id(alone)
    candidates = [alone, held]
    del alone
    leaks = whyalive.leaking_objects(candidates)
    assert [id(leak.object) for leak in leaks] == [ident]
    leak = leaks[0]
    assert leak.type_name == f"{__name__}.Gizmo"
    assert leak.outside == 0 and not leak.held_from_outside
    del leaks, leak  # they refer to it: while they live, it does not leak
    assert whyalive.get_leaking_objects(candidates) == [candidates[0]]
    del keeper


def test_frame_locals_are_roots_not_leaks():
    local_only = Gizmo()
    assert whyalive.get_leaking_objects([local_only]) == []


def test_leaking_objects_say_what_c_code_holds():
    leaks = whyalive.leaking_objects()
    held = [leak for leak in leaks if leak.held_from_outside]
    assert held
    assert all(leak.outside != 0 for leak in held)


# -------------------------------------------------------------------- chains


def test_find_backref_chain_to_a_module(module):
    module.REGISTRY = {"w": [Gizmo()]}
    target = module.REGISTRY["w"][0]
    chain = whyalive.find_backref_chain(target, whyalive.is_proper_module)
    assert chain[0] is module
    assert chain[-1] is target
    assert chain[1] is module.__dict__
    assert chain[2] is module.REGISTRY


def test_find_backref_chain_not_found_and_depth(module):
    lonely = Gizmo()
    assert whyalive.find_backref_chain(lonely, whyalive.is_proper_module) == [lonely]
    module.deep = [[[[Gizmo()]]]]
    target = module.deep[0][0][0][0]
    assert whyalive.find_backref_chain(
        target, whyalive.is_proper_module, max_depth=2
    ) == [target]
    assert len(whyalive.find_backref_chain(target, whyalive.is_proper_module)) == 7


def test_find_backref_chain_extra_ignore(module):
    target = Gizmo()
    module.direct = [target]
    chain = whyalive.find_backref_chain(
        target, whyalive.is_proper_module, extra_ignore=[id(module.direct)]
    )
    assert chain == [target]


def test_find_backref_chain_never_shows_its_own_containers():
    target = Gizmo()
    seen = []

    def predicate(obj):
        seen.append(type(obj).__name__)
        return False

    whyalive.find_backref_chain(target, predicate, max_depth=3)
    # nothing of whyalive's own: only the `seen` list refers to target's
    # referrers... and this frame holds target, which is not an object
    assert "list" not in seen[:1]


def test_predicate_errors_propagate():
    def boom(obj):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        whyalive.find_backref_chain(Gizmo(), boom)
    with pytest.raises(TypeError, match="predicate must be callable"):
        whyalive.find_backref_chain(Gizmo(), None)


def test_find_ref_chain():
    data = {"a": [1, (2, Gizmo())]}
    chain = whyalive.find_ref_chain(data, lambda o: type(o) is Gizmo)
    assert [type(o).__name__ for o in chain] == ["dict", "list", "tuple", "Gizmo"]
    assert whyalive.find_ref_chain(data, lambda o: False) == [data]


def test_is_proper_module():
    import types

    assert whyalive.is_proper_module(sys)
    assert not whyalive.is_proper_module(types.ModuleType("nowhere"))
    assert not whyalive.is_proper_module({})


def test_long_names_of_static_types_in_dotted_modules():
    # a static type whose tp_name carries its module ("collections.deque"):
    # the module part was written with "%.*s", which PyUnicode_FromFormat
    # takes only from 3.12 on, and came out as the literal "%.*s.%U"
    import collections

    queue = collections.deque()
    names = whyalive.typestats(shortnames=False)
    assert names["collections.deque"] >= 1
    assert not [name for name in names if "%" in name]
    assert whyalive.count("collections.deque") >= 1
    del queue
