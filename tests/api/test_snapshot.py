"""Heap snapshots: sizes, dominators, retained sizes, paths, diffs.

Sizes are checked exactly against ``sys.getsizeof`` on built-in-only
structures, dominators against networkx's ``immediate_dominators`` on
generated graphs, paths against :func:`whyalive.explain` itself.
"""

from __future__ import annotations

import gc
import random
import struct
import sys
import types
import weakref

import pytest

import whyalive
from whyalive import _core

networkx = pytest.importorskip("networkx")


class Node:
    """Slots only: no __dict__, no ints, so a graph of them is exactly
    the references the test makes (and the class)."""

    __slots__ = ("__weakref__", "r0", "r1", "r2")

    def __init__(self):
        self.r0 = self.r1 = self.r2 = None


#: Py_TPFLAGS_HEAPTYPE
HEAPTYPE = 1 << 9


def _size(obj):
    return sys.getsizeof(obj)


# -- sizes --------------------------------------------------------------------


BUILTINS = [
    [1, 2, 3],
    (1, "two", 3.0),
    {"a": 1, 2: "b"},
    {1, 2, 3},
    frozenset({4}),
    "a string of some length " * 3,
    "ünïcödé",
    b"bytes" * 10,
    bytearray(b"xyz"),
    10**40,
    2.5,
    range(10),
    type,
    int,
    Node,
    sys,
    len,
]


@pytest.mark.parametrize("index", range(len(BUILTINS)))
def test_shallow_size_of_builtins_is_sys_getsizeof(index):
    obj = BUILTINS[index]
    snap = whyalive.heap_snapshot()
    expected = sys.getsizeof(obj)
    static_type = type(obj) is type and not obj.__flags__ & HEAPTYPE
    if static_type and sys.version_info[:2] == (3, 12):
        # 3.12 allocates static types without a GC pre-header, yet its
        # early releases' sys.getsizeof counts one
        expected = type.__sizeof__(obj)
    assert snap.node(id(obj)).size == expected


def test_shallow_size_of_plain_instances_is_sys_getsizeof():
    class Plain:
        pass

    class Listy(list):
        pass

    plain, listy, node = Plain(), Listy([1, 2]), Node()
    plain.x = 1
    snap = whyalive.heap_snapshot()
    for obj in (plain, listy, node):
        assert snap.node(id(obj)).size == sys.getsizeof(obj)


def test_a_python_sizeof_is_never_called_the_layout_is_used():
    calls = []

    class Liar:
        __slots__ = ("a",)

        def __sizeof__(self):
            calls.append(1)
            return 10**9

    liar = Liar()
    snap = whyalive.heap_snapshot()
    assert calls == []
    size = snap.node(id(liar)).size
    assert 0 < size < 10**6
    # the layout: basic size plus the GC header
    assert size == type(liar).__basicsize__ + (sys.getsizeof([]) - [].__sizeof__())


def test_retained_size_of_a_builtin_structure_is_the_sum_of_getsizeof():
    blob = [bytes(100 + i) for i in range(20)]
    expected = _size(blob) + sum(_size(b) for b in blob)
    assert whyalive.retained_size(blob) == expected
    snap = whyalive.heap_snapshot()
    node = snap.node(id(blob))
    assert node.retained_size == expected
    assert node.count == 21


def test_retained_size_of_nested_dicts_and_tuples():
    def make():
        inner = {f"k{i}": (f"v{i}", float(i) + 0.5) for i in range(10)}
        outer = [inner]
        parts = [outer, inner]
        for key, value in inner.items():
            parts += [key, value, value[0], value[1]]
        return outer, sum(_size(p) for p in parts)

    outer, expected = make()
    assert whyalive.retained_size(outer) == expected


def test_shared_objects_are_not_retained_by_either_holder():
    shared = bytes(5000)
    a, b = [shared], [shared]
    snap = whyalive.heap_snapshot()
    assert snap.retained_size(id(a)) == _size(a)
    assert snap.retained_size(id(b)) == _size(b)
    holder = snap.node(id(shared)).dominator
    assert holder not in (id(a), id(b))
    del a, b


def test_an_object_also_held_from_outside_is_not_retained_by_its_holder():
    """A reference the graph does not show (C code's, here a bare
    Py_IncRef) keeps the object alive when its holder in the graph goes:
    it is directly under the virtual root, like explain's extra root."""
    import ctypes

    outer = [bytes(5000)]  # the list alone holds it in the graph
    inner_size = _size(outer[0])
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(outer[0]))
    try:
        snap = whyalive.heap_snapshot()
        assert snap.node(id(outer[0])).dominator is None
        assert snap.retained_size(id(outer)) == _size(outer)
        paths = whyalive.explain(outer[0]).targets[0].paths
        assert any(p.root.kind == "external" for p in paths)
    finally:
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(outer[0]))
    snap = whyalive.heap_snapshot()
    assert snap.node(id(outer[0])).dominator == id(outer)
    assert snap.retained_size(id(outer)) == _size(outer) + inner_size
    del outer


# -- dominators ---------------------------------------------------------------


def _diamond():
    top, a, b, c = Node(), Node(), Node(), Node()
    top.r0, top.r1 = a, b
    a.r0 = c
    b.r0 = c
    return top


def test_dominators_of_a_diamond():
    holder = [_diamond()]
    top, a, b = id(holder[0]), id(holder[0].r0), id(holder[0].r1)
    c = id(holder[0].r0.r0)
    size = _size(holder[0])
    snap = whyalive.heap_snapshot()
    assert snap.node(top).dominator == id(holder)
    assert snap.node(a).dominator == top
    assert snap.node(b).dominator == top
    assert snap.node(c).dominator == top
    assert snap.retained_size(top) == 4 * size
    assert snap.retained_size(a) == size
    assert snap.node(top).count == 4
    # the holder is a local of this frame: directly under the roots
    assert snap.node(id(holder)).dominator is None


def test_dominators_of_a_cycle():
    def make():
        x, y, z = Node(), Node(), Node()
        x.r0, y.r0, z.r0 = y, z, x
        return [x]

    holder = make()
    x, y, z = id(holder[0]), id(holder[0].r0), id(holder[0].r0.r0)
    snap = whyalive.heap_snapshot()
    assert snap.node(x).dominator == id(holder)
    assert snap.node(y).dominator == x
    assert snap.node(z).dominator == y
    assert snap.retained_size(x) == 3 * _size(holder[0])


def _random_graph(seed, count):
    rng = random.Random(seed)
    nodes = [Node() for _ in range(count)]
    edges = []
    for i, node in enumerate(nodes[1:], 1):
        # every node reachable: one reference from an earlier node
        parent = nodes[rng.randrange(i)]
        slot = rng.choice(("r0", "r1", "r2"))
        if getattr(parent, slot) is None:
            setattr(parent, slot, node)
        else:
            nodes[i - 1].r2 = node
    for node in nodes:
        for slot in ("r0", "r1", "r2"):
            if getattr(node, slot) is None and rng.random() < 0.5:
                setattr(node, slot, rng.choice(nodes))
    for node in nodes:
        for slot in ("r0", "r1", "r2"):
            target = getattr(node, slot)
            if target is not None:
                edges.append((id(node), id(target)))
    holder = [nodes[0]]
    ids = [id(n) for n in nodes]
    return holder, edges, ids


@pytest.mark.parametrize("seed", range(6))
def test_dominators_agree_with_networkx_on_generated_graphs(seed):
    holder, edges, ids = _random_graph(seed, 60)
    graph = networkx.DiGraph()
    graph.add_edge(id(holder), ids[0])
    graph.add_edges_from(edges)
    expected = networkx.immediate_dominators(graph, id(holder))
    snap = whyalive.heap_snapshot()
    reachable = set(expected)
    for oid in ids:
        if oid not in reachable:
            continue
        assert snap.node(oid).dominator == expected[oid], oid
    # retained size: the sizes of the dominator subtree
    children: dict[int, list[int]] = {}
    for oid, dom in expected.items():
        if oid != dom:
            children.setdefault(dom, []).append(oid)
    size = _size(holder[0])

    def subtree(oid):
        stack, total = [oid], 0
        while stack:
            here = stack.pop()
            total += size
            stack.extend(children.get(here, ()))
        return total

    for oid in ids:
        if oid in reachable:
            assert snap.retained_size(oid) == subtree(oid), oid
    del holder


def test_a_long_chain_needs_no_recursion():
    def make():
        head = node = Node()
        for _ in range(200_000):
            node.r0 = Node()
            node = node.r0
        return [head], id(node)

    holder, tail = make()
    snap = whyalive.heap_snapshot()
    assert snap.retained_size(id(holder[0])) == 200_001 * _size(holder[0])
    assert snap.node(tail).count == 1


# -- paths --------------------------------------------------------------------


def _expressions(report):
    return [p.expression for p in report.targets[0].paths]


def test_explain_from_a_snapshot_is_explains_report():
    class Widget:
        pass

    registry = {"w1": Widget()}
    holder = types.SimpleNamespace(items=[registry["w1"]])

    def closure():
        kept = registry["w1"]
        return lambda: kept

    fn = closure()
    target = registry["w1"]
    # taken on one line: the frame's line is where the question was asked
    snap, live = whyalive.heap_snapshot(), whyalive.explain(target, max_paths=5)
    stored = snap.explain(id(target), max_paths=5)
    # the paths explain shows, the branches further out included
    assert _expressions(stored) == _expressions(live)
    assert str(stored) == str(live)
    assert len(stored.targets[0].paths) == 5
    t = stored.targets[0]
    assert (t.id, t.type_name, t.status) == (
        id(target),
        live.targets[0].type_name,
        "rooted",
    )
    assert "<closure 'kept'>" in str(stored)
    assert holder.items[0] is fn() is target


def test_module_globals_are_roots_of_snapshot_paths():
    app = types.ModuleType("sizes_app_paths")
    app.CACHE = types.SimpleNamespace(pages=[bytes(10) for _ in range(3)])
    sys.modules[app.__name__] = app
    try:
        snap = whyalive.heap_snapshot()
        report = snap.explain(id(app.CACHE.pages[1]))
        assert _expressions(report)[0] == "sizes_app_paths.CACHE.pages[1]"
        assert report.targets[0].paths[0].root.kind == "module"
    finally:
        del sys.modules[app.__name__]


def test_top_retainers_name_the_container_that_holds_the_memory():
    app = types.ModuleType("sizes_app_top")
    app.CACHE = types.SimpleNamespace(pages=[bytes(100_000) for _ in range(80)])
    sys.modules[app.__name__] = app
    try:
        snap = whyalive.heap_snapshot()
        rows = snap.top_retainers(3)
        row = rows[0]
        pages = app.CACHE.pages
        expected = _size(pages) + sum(_size(p) for p in pages)
        assert row.expression == "sizes_app_top.CACHE.pages"
        assert (row.type_name, row.count, row.retained_size) == ("list", 81, expected)
        assert str(row) == "8.0 MB  sizes_app_top.CACHE.pages  (list, 81 objects)"
        assert rows == sorted(rows, key=lambda r: -r.retained_size)
        assert snap.top_retainers(0) == []
    finally:
        del sys.modules[app.__name__]


# -- diffs --------------------------------------------------------------------


class Leaky:
    pass


LEAKS: list = []


def test_diff_by_type_new_ids_and_explain_new():
    before = whyalive.heap_snapshot()
    for _ in range(7):
        LEAKS.append(Leaky())
    after = whyalive.heap_snapshot()
    diff = after.diff(before)
    rows = {row.type_name: row for row in diff.by_type()}
    leaky = rows[f"{__name__}.Leaky"]
    assert leaky.count_delta == 7 and leaky.count == 7
    assert leaky.size_delta == 7 * _size(LEAKS[0])
    new = set(diff.new_ids)
    assert {id(x) for x in LEAKS} <= new
    report = diff.explain_new(f"{__name__}.Leaky")
    assert len(report.targets) == 7
    assert {t.paths[0].expression for t in report.targets} == {
        f"{__name__}.LEAKS[{i}]" for i in range(7)
    }
    LEAKS.clear()


def test_lookups_by_id_scan_then_search_the_id_order():
    snap = whyalive.heap_snapshot()
    ids = snap.arrays.ids
    picks = random.Random(5).sample(range(len(ids)), 40)
    missing = [max(ids) + 16, 0, -1, 2**70]
    found = [snap._find(i) for i in missing] + [snap._find(ids[n]) for n in picks]
    assert snap._by_id is not None  # past the scans: the sorted order
    assert found == [None] * len(missing) + picks
    # the same answers once the order is there
    assert [snap._find(ids[n]) for n in picks] == picks
    assert [snap._find(i) for i in missing] == [None] * len(missing)
    with pytest.raises(KeyError, match="no object with id"):
        snap.node(max(ids) + 16)


def test_totals_by_type_are_the_sums_of_the_arrays():
    snap = whyalive.heap_snapshot()
    arrays = snap.arrays
    expected: dict[str, list[int]] = {}
    for t, size in zip(arrays.types, arrays.sizes, strict=True):
        totals = expected.setdefault(arrays.strings[t], [0, 0])
        totals[0] += 1
        totals[1] += size
    assert snap.by_type() == {name: tuple(v) for name, v in expected.items()}
    assert sum(size for _, size in snap.by_type().values()) == snap.total_size


def _new_by_sets(later, earlier):
    """The new objects' ids as a set of (id, type name) finds them."""
    old = earlier.arrays
    known = {(old.ids[n], old.strings[old.types[n]]) for n in range(len(old.ids))}
    new = later.arrays
    return [
        new.ids[n]
        for n in range(len(new.ids))
        if (new.ids[n], new.strings[new.types[n]]) not in known
    ]


def test_new_objects_are_new_ids_or_new_types_at_an_id():
    earlier = whyalive.heap_snapshot()
    LEAKS.extend(Leaky() for _ in range(5))
    later = whyalive.heap_snapshot()
    # the earlier snapshot as if LEAKS had been a dict then: its id holds
    # an object of another type now, a new one
    data = list(earlier._data)
    node = earlier._node_of(id(LEAKS))
    types = memoryview(bytearray(data[2])).cast("I")
    types[node] = data[0].index("dict")
    data[2] = bytes(types)
    altered = whyalive.HeapSnapshot(tuple(data))
    for before in (earlier, altered):
        diff = later.diff(before)
        assert diff.new_ids == _new_by_sets(later, before)
        assert {id(x) for x in LEAKS} <= set(diff.new_ids)
    assert id(LEAKS) not in later.diff(earlier).new_ids
    assert id(LEAKS) in later.diff(altered).new_ids
    assert later.diff(later).new_ids == []
    LEAKS.clear()


def test_comparing_checks_the_id_orders():
    snap = whyalive.heap_snapshot()
    order = snap._id_order()
    with pytest.raises(ValueError, match="later_order must be"):
        _core.snapshot_new_nodes(snap._checked, order[:-4], snap._checked, order)
    bad = struct.pack("=I", len(snap)) + order[4:]
    with pytest.raises(ValueError, match="earlier_order holds a node"):
        _core.snapshot_new_nodes(snap._checked, order, snap._checked, bad)


# -- invariants ---------------------------------------------------------------


class Hostile:
    def __repr__(self):
        raise AssertionError("repr ran")

    def __eq__(self, other):
        raise AssertionError("eq ran")

    def __hash__(self):
        raise AssertionError("hash ran")

    def __getattr__(self, name):
        raise AssertionError("getattr ran")

    def __sizeof__(self):
        raise AssertionError("sizeof ran")


def _strs_in(value, found):
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _strs_in(item, found)
    return found


def test_snapshots_hold_no_str_of_the_heap():
    key = "-".join(["a", "key", "made", "here"])  # a str of its own
    holder = {key: [1]}

    def fresh():
        pass

    fresh.__qualname__ = "-".join(["a", "fresh", "name"])
    name = fresh.__qualname__
    counts = sys.getrefcount(key), sys.getrefcount(name)
    snap = whyalive.heap_snapshot()
    assert (sys.getrefcount(key), sys.getrefcount(name)) == counts
    strings = snap.arrays.strings
    assert key in strings and name in strings  # equal texts, other objects
    # the table, the module roots and the frame roots: copies only
    data = snap._data
    held = _strs_in([data[0], data[12], data[13]], [])
    code = test_snapshots_hold_no_str_of_the_heap.__code__
    qualname = getattr(code, "co_qualname", code.co_name)  # 3.11+
    heap_strs = [key, name, code.co_filename, qualname, *code.co_varnames]
    assert not any(s is h for s in held for h in heap_strs)
    assert snap.explain(id(holder[key])).targets[0].paths[0].edges[0].label == (
        f"[{key!r}]"
    )


def test_snapshots_run_no_user_code_and_keep_nothing_alive():
    hostile = Hostile()
    holder = {"h": hostile}
    ref = weakref.ref(hostile)
    count = sys.getrefcount(hostile)
    snap = whyalive.heap_snapshot()
    report = snap.explain(id(hostile))
    snap.top_retainers(3)
    assert sys.getrefcount(hostile) == count
    labels = [p.edges[0].label for p in report.targets[0].paths if p.edges]
    assert labels == ["['h']"]
    del holder, hostile
    gc.collect()
    assert ref() is None
    assert len(snap) > 0 and snap.total_size > 0


def test_bad_input_names_the_parameter():
    snap = whyalive.heap_snapshot()
    with pytest.raises(TypeError, match="id"):
        snap.node("x")
    with pytest.raises(KeyError):
        snap.node(1)
    with pytest.raises(ValueError, match="n must"):
        snap.top_retainers(-1)
    with pytest.raises(TypeError, match="earlier"):
        snap.diff(3)
    with pytest.raises(TypeError, match="collect"):
        whyalive.heap_snapshot(collect=1)
    with pytest.raises(ValueError, match="max_paths"):
        snap.explain(id(sys), max_paths=0)
    with pytest.raises(TypeError, match="type_name"):
        snap.diff(snap).explain_new(type_name=3)


def test_the_core_refuses_malformed_data():
    data = list(_core.snapshot_capture()[0])
    with pytest.raises(ValueError, match="snapshot data"):
        _core.snapshot_check(tuple(data[:5]))
    broken = list(data)
    broken[9] = broken[9][:-4]  # one reference short
    with pytest.raises(ValueError, match="snapshot data"):
        _core.snapshot_check(tuple(broken))
    broken = list(data)
    broken[9] = b"\xff\xff\xff\x7f" + broken[9][4:]  # leads nowhere
    with pytest.raises(ValueError, match="snapshot data"):
        _core.snapshot_check(tuple(broken))
    # a size marked "in big" with no big value, a big value not marked,
    # one that would fit its array, two out of order
    marked = list(data)
    marked[3] = b"\xff\xff\xff\xff" + data[3][4:]
    first = struct.unpack_from("=I", data[3])[0]
    cases = [
        (marked, data[15]),
        (data, data[15] + struct.pack("=IIQ", 0, 0, 2**40)),
        (marked, data[15] + struct.pack("=IIQ", 0, 0, 5)),
        (marked, data[15] + struct.pack("=IIQ", 0, 0, 2**40)),
    ]
    assert data[15]  # (types seen more than 254 times): the last is out of order
    for base, big in cases:
        broken = list(base)
        broken[15] = big
        with pytest.raises(ValueError, match="big value"):
            _core.snapshot_check(tuple(broken))
    assert first != 0xFFFFFFFF


def test_the_core_explains_many_nodes_in_one_call_and_checks_them_first():
    data = _core.snapshot_capture()[0]
    search = _core.snapshot_search(data)
    count = len(data[1]) // 8  # ids: one uint64 per node
    nodes = list(range(0, count, max(1, count // 50)))
    together = _core.snapshot_explain(data, search, nodes, 3)
    assert together == [_core.snapshot_explain(data, search, [n], 3)[0] for n in nodes]
    assert _core.snapshot_explain(data, search, [], 3) == []
    for bad in ([count], [-1], [0, "x"]):
        with pytest.raises(ValueError, match="no such node"):
            _core.snapshot_explain(data, search, bad, 3)
    with pytest.raises(TypeError):
        _core.snapshot_explain(data, search, (0,), 3)


def test_a_snapshot_counts_the_references_explain_counts():
    """seen: the references the walk saw, per object (a regression: the
    capture once read four objects' one-byte counts as one object's)."""

    class Widget:
        pass

    widget = Widget()
    holders = [widget, widget, {"k": widget}]
    neighbours = [Widget() for _ in range(3)]  # noqa: F841 (their counts)
    stored = whyalive.heap_snapshot().explain(id(widget)).targets[0]
    # the list twice, the dict, this frame's local
    assert stored.seen == 4
    assert stored.refcount - stored.seen == stored.unseen >= 0
    assert holders[0] is widget


def _row_labels(snap, obj):
    """The label texts of obj's references, in the walk's order."""
    arrays = snap.arrays
    node = snap._node_of(id(obj))
    start, end = arrays.edge_start[node], arrays.edge_start[node + 1]
    return [arrays.label_text(arrays.edge_labels[e]) for e in range(start, end)]


def test_items_and_attributes_held_twice_are_labelled_at_each_place():
    class Item:
        pass

    class Pair:
        __slots__ = ("first", "second")

    item = Item()
    in_list, in_tuple = [item, item, None, item], (item, 1.5, item)
    pair, other = Pair(), Pair()
    pair.first = pair.second = item
    other.first, other.second = None, item
    snap = whyalive.heap_snapshot()
    # lists and tuples are traversed last item first
    assert _row_labels(snap, in_list) == ["[3]", "[2]", "[1]", "[0]"]
    assert _row_labels(snap, in_tuple) == ["[2]", "[1]", "[0]"]
    assert sorted(_row_labels(snap, pair)) == [".__class__", ".first", ".second"]
    assert sorted(_row_labels(snap, other)) == [".__class__", ".first", ".second"]


def test_items_of_lists_need_no_string_each():
    many = [object() for _ in range(20_000)]
    snap = whyalive.heap_snapshot()
    arrays = snap.arrays
    node = snap._node_of(id(many))
    row = range(arrays.edge_start[node], arrays.edge_start[node + 1])
    # each item's label is its index alone: no label, no string
    assert all(arrays.edge_labels[e] & arrays.LABEL_ITEM for e in row)
    assert {arrays.item_index(arrays.edge_labels[e]) for e in row} == set(range(20_000))
    index_kind = arrays.edge_kind_names.index("index")
    labels = arrays.labels.tolist()
    assert not any(
        labels[k + 1] == index_kind and labels[k + 4] >= 10_000
        for k in range(0, len(labels), 5)
    )
    labels = _row_labels(snap, many)
    assert labels == [f"[{i}]" for i in reversed(range(20_000))]
    path = snap.explain(id(many[12_345])).targets[0].paths[0]
    assert path.edges[-1].label == "[12345]"


def test_str_keys_of_dicts_need_no_label_each():
    by_name = {f"name{i}": [i] for i in range(20_000)}
    long_key = "k" * 300
    odd = {long_key: [1], "two words": [2], "it's": [3]}
    snap = whyalive.heap_snapshot()
    arrays = snap.arrays
    node = snap._node_of(id(by_name))
    row = range(arrays.edge_start[node], arrays.edge_start[node + 1])
    values = [e for e in row if arrays.key_index(arrays.edge_labels[e]) >= 0]
    assert len(values) == 20_000
    assert {
        arrays.strings[arrays.key_index(arrays.edge_labels[e])] for e in values
    } == (set(by_name))
    assert arrays.label_text(arrays.edge_labels[values[7]]) == repr([*by_name][7:8])
    # no label entry nor text for them
    texts = {
        arrays.strings[arrays.labels[k]]
        for k in range(0, len(arrays.labels), 5)
        if arrays.labels[k] >= 0
    }
    assert not texts & {repr([key]) for key in by_name}
    # the same text as live explain's, long keys shortened alike
    for holder, key in [(by_name, "name12345"), *((odd, k) for k in odd)]:
        live = whyalive.explain(holder[key]).targets[0].paths[0].edges[0].label
        stored = snap.explain(id(holder[key])).targets[0].paths[0].edges[0].label
        assert stored == live == _core.dict_key_text(key)
    assert len(_core.dict_key_text(long_key)) < 100
    with pytest.raises(TypeError, match="key must be a str"):
        _core.dict_key_text(3)


def test_an_index_text_only_labels_an_index():
    data = list(_core.snapshot_capture()[0])
    labels = list(struct.unpack(f"={len(data[11]) // 4}i", data[11]))
    # the first label that is not an index's, given the index text
    k = next(
        k for k in range(0, len(labels), 5) if labels[k] != -1 and labels[k + 1] != 2
    )
    labels[k], labels[k + 4] = -1, 3
    data[11] = struct.pack(f"={len(labels)}i", *labels)
    with pytest.raises(ValueError, match="a label is out of range"):
        _core.snapshot_check(tuple(data))


def test_a_checked_snapshot_is_checked_again_where_it_can_change():
    data, checked = _core.snapshot_capture()
    assert _core.snapshot_search(checked) == _core.snapshot_search(data)
    strings = data[0]
    # the lists in the data can change after the capture: fewer strings
    # than its labels name, or one that is not a str, is refused
    kept = strings[:]
    strings[1] = b"not a str"
    with pytest.raises(ValueError, match="strings must be str"):
        _core.snapshot_search(checked)
    strings[1:] = []
    with pytest.raises(ValueError, match="a node names a string that is not there"):
        _core.snapshot_dominators(checked)
    strings[:] = kept
    assert _core.snapshot_search(checked) == _core.snapshot_search(data)
    data[12].append(("not", "a root"))
    with pytest.raises(ValueError, match="a module root is malformed"):
        _core.snapshot_by_id(checked)


def _holders_of_named_values():
    """Instances of 6 classes, 20 identifier attributes each out of 90
    names, and one that is not an identifier; {id(value): its label}."""
    holders, expected = [], {}
    for k in range(6):
        cls = type(f"Holder{k}", (), {})
        for copy in range(2):
            holder = cls()
            for a in range(20):
                name = f"attr_{(7 * a + 11 * k) % 90}"
                value = [k, copy, a]
                setattr(holder, name, value)
                expected[id(value)] = "." + name
            odd = [k, copy]
            setattr(holder, "two words", odd)
            expected[id(odd)] = ".__dict__['two words']"
            holders.append(holder)
    return holders, expected


def test_attribute_names_of_many_classes_label_their_values():
    # more names than names.c keeps texts for, in classes sharing some
    holders, expected = _holders_of_named_values()
    snap = whyalive.heap_snapshot()
    found = {
        value: snap.explain(value).targets[0].paths[0].edges[0].label
        for value in expected
    }
    assert found == expected
    assert len(holders) == 12


def test_untracked_referents_are_numbered_right_however_many_and_repeated():
    # more distinct strs and ints than the side table first holds, each
    # met again a few references later: a snapshot looks them up a few
    # references after appending their edge (heapside.c), so every edge
    # must still name its own object and every count be whole
    fresh = [f"untracked {i}" for i in range(30_000)]
    fresh += [10**9 + i for i in range(30_000)]
    random.Random(5).shuffle(fresh)
    holder = []
    for i in range(len(fresh)):
        holder.append(fresh[i])
        if i % 7 == 0:
            holder.append(fresh[i // 2])
        if i % 5 == 0:
            holder.append(fresh[i])
    del i
    data = _core.snapshot_capture()[0]
    ids = memoryview(data[1]).cast("Q")
    node_of = {object_id: node for node, object_id in enumerate(ids)}
    starts = memoryview(data[8]).cast("I")
    edges = memoryview(data[9]).cast("I")
    node = node_of[id(holder)]
    row = edges[starts[node] : starts[node + 1]]
    # lists are traversed last item first
    assert [ids[edge & 0x7FFFFFFF] for edge in row] == [id(x) for x in reversed(holder)]
    times_held = {}
    for x in holder:
        times_held[id(x)] = times_held.get(id(x), 0) + 1
    seen = data[6]
    for x in fresh[:2000]:
        # held by fresh, by holder, by nothing else
        assert seen[node_of[id(x)]] == 1 + times_held[id(x)], x


def test_the_string_table_holds_each_text_once():
    # equal keys that are distinct objects, in two dicts, of every
    # string kind (1, 2 and 4 bytes a character), more of them than the
    # table first has room for: one string each, the same in both dicts
    texts = [f"key {i} {'é€😀'[i % 3]}" for i in range(5_000)]
    first = {"".join(list(text)): [i] for i, text in enumerate(texts)}
    second = {"".join(list(text)): (i,) for i, text in enumerate(texts)}
    assert next(iter(first)) is not next(iter(second))
    snap = whyalive.heap_snapshot()
    arrays = snap.arrays
    assert len(set(arrays.strings)) == len(arrays.strings)
    keys_of = {}
    for holder in (first, second):
        node = snap._node_of(id(holder))
        row = range(arrays.edge_start[node], arrays.edge_start[node + 1])
        keys_of[id(holder)] = {
            arrays.strings[arrays.key_index(arrays.edge_labels[e])]: arrays.key_index(
                arrays.edge_labels[e]
            )
            for e in row
            if arrays.key_index(arrays.edge_labels[e]) >= 0
        }
    assert set(keys_of[id(first)]) == set(texts)
    assert keys_of[id(first)] == keys_of[id(second)]


class _LoudStr(str):
    """A str whose hash and comparison are Python code, recorded."""

    calls: list[str] = []  # noqa: RUF012

    def __hash__(self):
        _LoudStr.calls.append("__hash__")
        return 7

    def __eq__(self, other):
        _LoudStr.calls.append("__eq__")
        return str.__eq__(self, other)


def test_a_snapshot_runs_no_code_of_str_subclasses():
    # names, attribute names and dict keys that are str subclasses: the
    # string table stores their text without hashing or comparing them
    def function():
        pass

    function.__qualname__ = _LoudStr("loud.function")
    holder = types.SimpleNamespace()
    holder.__dict__[_LoudStr("loud_attribute")] = [1]
    by_key = {_LoudStr("loud key"): [2], "plain": [3]}
    _LoudStr.calls.clear()
    snap = whyalive.heap_snapshot()
    assert _LoudStr.calls == []
    assert "loud.function" in snap.arrays.strings
    assert snap.node(id(function)).type_name == "function"
    assert snap.explain(id(by_key["plain"])).targets[0].paths
