"""The census and graph primitives of the C core, on their raw formats."""

from __future__ import annotations

import gc
import platform
import struct
import sys
import types

import pytest

from helpers import FREE_THREADED
from whyalive import _core
from whyalive.query import TOOL_PREFIX


class Gadget:
    pass


class Other:
    pass


def rows_by_id(rows):
    return {row[0]: row for row in rows}


# ---------------------------------------------------------------- census_types


def test_census_types_row_shape():
    keep = [Gadget(), Gadget()]
    row = rows_by_id(_core.census_types())[id(Gadget)]
    type_id, short, long, qualified, count = row
    assert type_id == id(Gadget)
    assert short == "Gadget"
    assert long == f"{__name__}.Gadget"
    assert qualified == f"{__name__}.Gadget"
    assert count == 2
    del keep


def test_census_types_builtin_names():
    rows = rows_by_id(_core.census_types())
    assert rows[id(dict)][1:4] == ("dict", "builtins.dict", "dict")


def test_census_types_nested_class_names():
    class Inner:
        pass

    keep = Inner()
    row = rows_by_id(_core.census_types([keep]))[id(Inner)]
    assert row[1] == "Inner"
    assert row[2] == f"{__name__}.Inner"  # objgraph's: module + __name__
    assert row[3].endswith("test_census_types_nested_class_names.<locals>.Inner")


def test_census_types_of_a_sequence_counts_its_items_only():
    items = (Gadget(), Gadget(), Other(), 1, "s")
    rows = rows_by_id(_core.census_types(items))
    assert rows[id(Gadget)][4] == 2
    assert rows[id(Other)][4] == 1
    assert rows[id(int)][4] == 1  # untracked objects count when listed
    assert sum(row[4] for row in rows.values()) == len(items)


@pytest.mark.skipif(
    FREE_THREADED,
    reason="3.13t: frozen objects are found by traversal (ftlist.c), so one "
    "only C code or an unrecorded stack slot holds is not counted",
)
def test_census_types_counts_what_gc_lists_plus_frozen():
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        total = sum(row[4] for row in _core.census_types())
        listed = len(gc.get_objects())
        # the list gc.get_objects() returns is not in it; ours is not counted
        assert total >= listed + frozen - 50
        assert total <= listed + frozen + 50
    finally:
        gc.unfreeze()


def test_census_types_counts_frozen_objects():
    made = [Gadget() for _ in range(5)]
    gc.freeze()
    try:
        assert not any(type(o) is Gadget for o in gc.get_objects())
        assert rows_by_id(_core.census_types())[id(Gadget)][4] == 5
    finally:
        gc.unfreeze()
    del made


def test_census_types_rejects_other_containers():
    with pytest.raises(TypeError, match="objects must be a list, a tuple or None"):
        _core.census_types({1, 2})


def test_census_types_runs_no_user_code():
    calls = []

    class Meta(type):
        def __getattribute__(cls, name):
            calls.append(name)
            return super().__getattribute__(name)

    class Watched(metaclass=Meta):
        pass

    keep = Watched()
    calls.clear()
    rows = rows_by_id(_core.census_types())
    assert rows[id(Watched)][1] == "Watched"
    assert calls == []
    del keep


# ----------------------------------------------------- objects by type, by address


def test_census_objects_of_exact_types_in_order():
    a, b, c = Gadget(), Other(), Gadget()
    found = _core.census_objects_of((id(Gadget),), [a, b, c])
    assert found == [a, c]
    found = _core.census_objects_of((id(Gadget), id(Other)))
    assert {id(o) for o in found} >= {id(a), id(b), id(c)}


def test_census_objects_of_unknown_ids_match_nothing():
    assert _core.census_objects_of((1, 2**63, 0)) == []


def test_census_objects_at_never_dereferences():
    box = [1]
    # ids that are not objects: small, odd, unaligned, huge, negative
    ids = (id(box), 1, 3, id(box) + 1, 2**64 - 8, -16, 2**80)
    assert _core.census_objects_at(ids) == [box]


def test_census_objects_at_limit():
    a, b = [], []
    assert len(_core.census_objects_at((id(a), id(b)))) == 2
    assert len(_core.census_objects_at((id(a), id(b)), 1)) == 1
    assert _core.census_objects_at((id(a),), 0) == []


def test_census_objects_at_finds_tracked_objects_only():
    text = "an untracked str " * 3
    assert _core.census_objects_at((id(text),)) == []


def test_census_objects_at_rejects_non_ints():
    with pytest.raises(TypeError, match="ids must hold ints"):
        _core.census_objects_at(("x",))


# ------------------------------------------------------------------ snapshots


def unpack(pairs: bytes) -> list[tuple[int, int]]:
    return list(struct.iter_unpack("=QQ", pairs))


def test_census_snapshot_pairs_sorted_by_address():
    rows, pairs = _core.census_snapshot()
    entries = unpack(pairs)
    assert entries == sorted(entries)
    assert len(entries) == sum(row[4] for row in rows)


def test_census_new_ids_reports_new_objects_by_type():
    _, before = _core.census_snapshot()
    fresh = [Gadget(), Gadget()]
    _, after = _core.census_snapshot()
    groups = dict(_core.census_new_ids(before, after))
    assert set(groups[id(Gadget)]) == {id(g) for g in fresh}


def test_census_new_ids_of_identical_snapshots_is_empty():
    _, pairs = _core.census_snapshot()
    assert _core.census_new_ids(pairs, pairs) == []


def test_census_new_ids_rejects_foreign_bytes():
    with pytest.raises(ValueError, match="not a snapshot"):
        _core.census_new_ids(b"x" * 15, b"")


# ------------------------------------------------------------------- leaking


def test_census_leaking_row_shape_and_outside_references():
    rows = _core.census_leaking(None, (), TOOL_PREFIX)
    assert rows
    for _obj, refcount, outside in rows[:50]:
        assert refcount == -1 or refcount >= 1
        assert outside == -1 or 0 <= outside <= refcount
    del _obj


def test_census_leaking_of_candidates_excludes_the_container():
    lonely = Gadget()
    held = Gadget()
    holder = [held]
    candidates = [lonely, held]
    # `lonely` is held by this frame: a root, not a leak
    assert _core.census_leaking(candidates, (candidates,), TOOL_PREFIX) == []
    ids = id(lonely)
    del lonely
    # now only the candidates list holds it: no referrer in the graph
    rows = _core.census_leaking(candidates, (candidates,), TOOL_PREFIX)
    assert [id(row[0]) for row in rows] == [ids]
    assert rows[0][2] == 0  # nothing outside the graph holds it
    del holder


# -------------------------------------------------------------------- graph


def test_graph_referrers_shape_and_occurrences():
    target = Gadget()
    twice = {"a": target, "b": target}
    listed = [target]
    nodes = [target]
    new, edges, skipped, roots, modules = _core.graph_referrers(nodes, (0,), ())
    index = {id(o): i + len(nodes) for i, o in enumerate(new)}
    assert (index[id(twice)], 0, 0) in edges
    assert (index[id(twice)], 0, 1) in edges
    assert (index[id(listed)], 0, 0) in edges
    assert skipped == [] and roots == [] and modules == []
    del new, twice, listed


def test_graph_referrers_never_reports_nodes_or_ignored():
    target = Gadget()
    mine = [target]
    theirs = [target]
    nodes = [target]
    new, *_ = _core.graph_referrers(nodes, (0,), (id(mine),))
    assert not any(o is nodes or o is mine for o in new)
    assert any(o is theirs for o in new)
    del new


def test_graph_referrers_cap_counts_the_rest():
    target = Gadget()
    holders = []
    for _ in range(7):  # (a comprehension would hold target in a cell on 3.10)
        holders.append([target])
    nodes = [target]
    new, edges, skipped, _, _ = _core.graph_referrers(nodes, (0,), (id(holders),), 3)
    assert len({src for src, _, _ in edges}) == 3
    assert skipped == [(0, 4)]
    del new


def test_graph_referrers_reports_frame_locals_as_roots():
    target = Gadget()
    nodes = [target]
    _, _, _, roots, _ = _core.graph_referrers(nodes, (0,), (), -1, TOOL_PREFIX, True)
    locals_ = [row for row in roots if row[1][:2] == ("frame", "target")]
    assert locals_, roots
    referent, (_kind, _name, detail) = locals_[0]
    function, filename, lineno, thread, slot, depth = detail
    assert (referent, slot) == (0, "local")
    assert function.endswith("test_graph_referrers_reports_frame_locals_as_roots")
    assert filename == __file__
    assert lineno > 0 and thread > 0 and depth >= 0


def test_graph_referrers_flags_module_globals():
    mod = types.ModuleType("whyalive_census_core_mod")
    sys.modules[mod.__name__] = mod
    try:
        mod.VALUE = target = Gadget()
        nodes = [target]
        new, _, _, _, modules = _core.graph_referrers(nodes, (0,), ())
        names = {name for _, name in modules}
        assert mod.__name__ in names
        index = dict(modules)
        assert any(new[i - 1] is mod.__dict__ for i in index if i >= 1)
        del new
    finally:
        del sys.modules[mod.__name__]


def test_graph_referrers_finds_untracked_holders():
    text = "whyalive-untracked-" + str(id(object()))
    atomic = (text, 1)
    gc.collect()  # untracks the atomic tuple
    assert not gc.is_tracked(atomic)
    outer = [atomic]
    nodes = [text]
    new, *_ = _core.graph_referrers(nodes, (0,), ())
    assert any(o is atomic for o in new)
    del new, outer


def test_graph_referents_in_traversal_order_with_cap():
    data = [10, 20, 30, 40]
    nodes = [data]
    new, edges, skipped = _core.graph_referents(nodes, (0,), (), 2)
    assert len(new) == 2 and skipped == [(0, 2)]
    assert all(src == 0 for src, _, _ in edges)


def test_graph_referents_of_non_gc_objects_is_empty():
    assert _core.graph_referents(["text"], (0,), ()) == ([], [], [])


def test_graph_rejects_bad_frontier():
    with pytest.raises(IndexError):
        _core.graph_referrers([1], (5,), ())
    with pytest.raises(TypeError):
        _core.graph_referrers((1,), (0,), ())


class Slotted:
    __slots__ = ("attr",)


def test_graph_labels_rows():
    target = Gadget()
    d = {"name": target, 3: target}
    seq = [None, target]
    box = Slotted()
    box.attr = target
    rows = _core.graph_labels(
        [(d, target, 0, 0), (d, target, 1, 0), (seq, target, 0, 0), (box, target, 0, 0)]
    )
    assert rows[0] == ("['name']", "key", "", "name")
    assert rows[1] == ("[3]", "key", "", None)
    assert rows[2] == ("[1]", "index", "", 1)
    assert rows[3][:2] == (".attr", "attr")


def test_graph_labels_namespace_spells_attributes():
    d = {"REGISTRY": [], "not an identifier": []}
    rows = _core.graph_labels(
        [(d, d["REGISTRY"], 0, 1), (d, d["not an identifier"], 0, 1)]
    )
    assert rows[0][:2] == (".REGISTRY", "attr")
    assert rows[1][:2] == ("['not an identifier']", "key")


def test_graph_labels_role_of_an_instance_dict():
    holder = Other()
    assert holder.__dict__ == {}  # materialize it on 3.11+
    rows = _core.graph_labels([(holder, holder.__dict__, 0, 0)])
    assert rows[0][:3] == (".__dict__", "attr", "own_dict")


def test_census_instances_finds_subclasses_without_running_user_code():
    calls = []

    class Meta(type):
        pass

    class Base(metaclass=Meta):
        pass

    class Derived(Base):
        @property
        def __class__(self):  # never read
            calls.append("__class__")
            return Base

    class Other:
        pass

    base, derived, other = Base(), Derived(), Other()
    _, found, young = _core.census_instances((Base,))
    assert found == {id(base): Base, id(derived): Derived}
    assert not young
    assert _core.census_instances((Other, Base))[1][id(other)] is Other
    assert _core.census_instances(())[1] == {}
    assert calls == []
    del base, derived, other


def test_census_instances_bad_input():
    with pytest.raises(TypeError, match="classes must be a tuple"):
        _core.census_instances([object])
    with pytest.raises(TypeError, match="classes must be a tuple of classes"):
        _core.census_instances((object, 3))
    with pytest.raises(TypeError, match="since must be a stamp"):
        _core.census_instances((object,), since=[1, 2])


#: The CPythons whose collector the young census reads: generational with
#: three lists, 3.10-3.13, 3.14.5+ (3.14.0-3.14.4 collect incrementally)
#: and 3.15 releases; not the free-threaded build, which has no lists.
YOUNG_CENSUS = not FREE_THREADED and (
    sys.hexversion < 0x030E0000
    or 0x030E05F0 <= sys.hexversion < 0x030F0000
    or 0x030F00F0 <= sys.hexversion < 0x03100000
)
young_census = pytest.mark.skipif(
    not YOUNG_CENSUS, reason="no young censuses on this CPython"
)


def test_young_censuses_on_the_cpythons_whose_collector_they_read():
    why = _core._young_census_check()
    assert (why is None) == YOUNG_CENSUS, why


@young_census
def test_stamp_counts_the_collections_gc_get_stats_counts():
    """The stamp's first two words are the collections of generations 1 and
    2 as gc.get_stats() counts them (3.15: the newest of each ring of
    records), and its third the last object of the oldest generation."""
    gc.disable()
    try:
        gc.collect(1)
        gc.collect()
        gc.collect(1)
        oldest = gc.get_objects(2)
        stamp, _, _ = _core.census_instances(())
        stats = gc.get_stats()
        assert stamp[:2] == (stats[1]["collections"], stats[2]["collections"])
        assert stamp[0] >= 2 and stamp[1] >= 1
        gc_head = 2 * struct.calcsize("P")  # PyGC_Head: two words
        assert stamp[2] == id(oldest[-1]) - gc_head
        del oldest
    finally:
        gc.enable()


@young_census
def test_census_is_full_while_the_young_census_check_refuses():
    """A CPython the young census is not right for (3.14.0-3.14.4's
    incremental collector, say) or whose collector state is elsewhere:
    no stamp, so every census walks the whole heap, and finds all."""

    class Kept:
        pass

    old = [Kept()]
    gc.collect()
    stamp, _, young = _core.census_instances((Kept,))
    assert stamp is not None and not young
    fields = ["version"] + (["gc.size"] if sys.version_info >= (3, 14) else [])
    try:
        for field in fields:
            why = _core._young_census_check(field, 0x030E04F0, keep=True)
            assert why.startswith("no young censuses on CPython")
            assert "every census walks the whole heap" in why
            made = Kept()
            stamp2, found, young = _core.census_instances((Kept,), stamp)
            assert stamp2 is None and not young
            assert set(found) == {id(old[0]), id(made)}
            del made
    finally:
        assert _core._young_census_check(None, keep=True) is None
    stamp3, _, young = _core.census_instances((Kept,))
    assert stamp3 is not None and not young
    assert _core.census_instances((Kept,), stamp3)[2]  # young again
    del old


@young_census
def test_young_census_check_names_the_version_and_the_field():
    why = _core._young_census_check("version", 0x030E04F0)
    assert "CPython 3.14.4" in why
    assert f"built for CPython {platform.python_version()}" in why
    if sys.version_info >= (3, 14):
        why = _core._young_census_check("gc.size", 7)
        assert " gc.size is 7, not " in why
    assert _core._young_census_check() is None  # nothing kept


@pytest.mark.parametrize("field", ["nope", "gc", "gc.collecting", ""])
def test_young_census_check_unknown_field_is_a_value_error(field):
    with pytest.raises(ValueError, match="field must be"):
        _core._young_census_check(field, 1)


def test_young_census_check_bad_types():
    with pytest.raises(TypeError):
        _core._young_census_check(b"version", 1)
    with pytest.raises(TypeError):
        _core._young_census_check("version", "3.14")


def test_census_instances_walks_the_young_generations_while_the_stamp_holds():
    class Young:
        pass

    old = [Young()]
    gc.collect()  # `old` is in the oldest generation now
    stamp, found, young = _core.census_instances((Young,))
    assert set(found) == {id(old[0])}
    assert not young
    made = Young()
    stamp2, found2, young2 = _core.census_instances((Young,), stamp)
    if YOUNG_CENSUS:  # the young generations alone
        assert young2 and stamp2 == stamp
        assert set(found2) == {id(made)}
    else:  # no young censuses: every census is full
        assert stamp2 is None and not young2
        assert set(found2) == {id(made), id(old[0])}
    del made, old


@pytest.mark.parametrize("move", ["collect(1)", "collect()", "freeze"])
def test_census_instances_is_full_once_objects_may_have_grown_old(move):
    """An instance made after a stamp and moved to the oldest or the
    permanent generation is found: the stamp changed, the census is full."""

    class Aging:
        pass

    stamp, _, _ = _core.census_instances((Aging,))
    made = Aging()
    try:
        if move == "freeze":
            gc.freeze()
        else:
            gc.collect(1) if move == "collect(1)" else gc.collect()
        stamp2, found, young = _core.census_instances((Aging,), stamp)
    finally:
        gc.unfreeze()
    assert not young
    assert id(made) in found
    assert stamp2 != stamp or stamp2 is None
    del made
