"""The core's dominators and retained sizes against a brute-force oracle.

Each test builds a snapshot's raw data tuple by hand (a small random graph
with module and frame roots, objects held from outside, garbage, self
references, repeated and folded references, sizes and counts past 32 bits)
and checks ``_core.snapshot_dominators`` against the definition: ``d``
dominates ``v`` when ``v`` cannot be reached from the virtual root without
``d``; a retained size is the sum of the sizes of the objects a node
dominates, itself included.
"""

from __future__ import annotations

import random
import struct

import pytest

from whyalive import _core

NONE = 0xFFFFFFFF
FOLD = 0x80000000


def narrow(values, limit, mark, field, big, immortal=None):
    """Values in the narrow array, those past limit marked and in big."""
    out = []
    for node, value in enumerate(values):
        if immortal is not None and value == -1:
            out.append(immortal)
        elif value < limit:
            out.append(value)
        else:
            out.append(mark)
            big.append((field, node, value))
    return out


def make_data(sizes, refcounts, seen, rows, modules, refs):
    """The core's data tuple for a graph: rows[n] lists node n's referents
    (| FOLD for a folded reference); sizes, counts as wide as they come
    (the big values of snapshot.h hold what the arrays cannot)."""
    n = len(sizes)
    big = []
    sizes = narrow(sizes, NONE, NONE, 0, big)
    refcounts = narrow(refcounts, NONE - 1, NONE, 1, big, immortal=NONE - 1)
    seen = narrow(seen, 255, 255, 2, big)
    big_bytes = b"".join(struct.pack("=IIQ", node, f, v) for f, node, v in sorted(big))
    starts = [0]
    edges = []
    for row in rows:
        edges.extend(row)
        starts.append(len(edges))
    strings = ["", "T", "m", "f"]
    ids = [0x1000 + 16 * i for i in range(n)]
    label = [0, 0, 0, -1, -1]  # text "", kind KEY, role PLAIN, no key, no index
    return (
        strings,
        struct.pack(f"={n}Q", *ids),
        struct.pack(f"={n}I", *([1] * n)),
        struct.pack(f"={n}I", *sizes),
        struct.pack(f"={n}I", *([0] * n)),
        struct.pack(f"={n}I", *refcounts),
        struct.pack(f"={n}B", *seen),
        bytes(n),
        struct.pack(f"={n + 1}I", *starts),
        struct.pack(f"={len(edges)}I", *edges),
        bytes(4 * len(edges)),
        struct.pack("=5i", *label),
        [(m, "m") for m in modules],
        [(r, 1, ("frame", "f", "")) for r in refs],  # 1: PR_FRAME
        (0, 0, 0.0),
        big_bytes,
    )


def oracle(sizes, refcounts, seen, rows, modules, refs):
    """(idom, retained, count) by the definition; the virtual root's
    children are the roots, then objects held from outside and then any
    object still unreached, in node order (as dominators.c starts them)."""
    n = len(sizes)
    succ = [[e & ~FOLD for e in row] for row in rows]

    def reach(starts, removed=None):
        seen_nodes = set()
        stack = [s for s in starts if s != removed]
        while stack:
            x = stack.pop()
            if x in seen_nodes:
                continue
            seen_nodes.add(x)
            stack.extend(y for y in succ[x] if y != removed and y not in seen_nodes)
        return seen_nodes

    seeds = list(modules) + list(refs)
    # an object held from outside is a child of the virtual root whether
    # the roots reach it or not: freeing its holders in the graph frees
    # nothing the outside reference holds
    for i in range(n):
        if refcounts[i] > 0 and refcounts[i] > seen[i]:
            seeds.append(i)
    for i in range(n):
        if i not in reach(seeds):
            seeds.append(i)
    everything = reach(seeds)
    assert everything == set(range(n))
    dominators = {v: {v} for v in range(n)}
    for d in range(n):
        without = reach(seeds, removed=d)
        for v in range(n):
            if v != d and v not in without:
                dominators[v].add(d)
    idom = []
    for v in range(n):
        strict = dominators[v] - {v}
        # the nearest: the strict dominator every other one dominates
        near = [d for d in strict if strict <= dominators[d]]
        assert len(near) <= 1
        idom.append(near[0] if near else NONE)
    retained = [sum(sizes[w] for w in range(n) if v in dominators[w]) for v in range(n)]
    count = [sum(1 for w in range(n) if v in dominators[w]) for v in range(n)]
    return idom, retained, count


def random_graph(seed):
    rng = random.Random(seed)
    n = rng.randrange(1, 40)
    rows = []
    for _ in range(n):
        row = []
        for _ in range(rng.choice((0, 0, 1, 2, 3, 5))):
            target = rng.randrange(n)
            row.append(target | (FOLD if rng.random() < 0.2 else 0))
        if row and rng.random() < 0.2:
            row.append(row[0])  # the same referent twice
        if row and rng.random() < 0.05:
            row += [row[0]] * 300  # seen past 8 bits
        rows.append(row)
    sizes = [
        rng.choice((0, 16, 56, 1000, 2**32 - 1, 2**32 + 7, 2**40))
        if rng.random() < 0.3
        else rng.randrange(16, 200)
        for _ in range(n)
    ]
    indegree = [0] * n
    for row in rows:
        for e in row:
            indegree[e & ~FOLD] += 1
    refcounts, seen = [], []
    for i in range(n):
        kind = rng.random()
        seen.append(indegree[i])
        if kind < 0.1:
            refcounts.append(-1)  # immortal
        elif kind < 0.25:
            refcounts.append(indegree[i] + rng.choice((1, 2, 2**33)))  # held outside
        else:
            refcounts.append(indegree[i])
    modules = rng.sample(range(n), min(n, rng.randrange(0, 3)))
    refs = [rng.randrange(n) for _ in range(rng.randrange(0, 3))]
    return sizes, refcounts, seen, rows, modules, refs


@pytest.mark.parametrize("seed", range(300))
def test_dominators_match_the_definition(seed):
    graph = random_graph(seed)
    data = make_data(*graph)
    idom, retained, count = _core.snapshot_dominators(data)
    n = len(graph[0])
    expected = oracle(*graph)
    assert list(struct.unpack(f"={n}I", idom)) == expected[0]
    assert list(struct.unpack(f"={n}Q", retained)) == expected[1]
    assert list(struct.unpack(f"={n}I", count)) == expected[2]


def test_a_long_chain_and_a_wide_fan():
    n = 50_000
    rows = [[i + 1] for i in range(n - 1)] + [[]]
    rows[0] += list(range(2, n, 7))  # node 0 refers to many along the chain
    sizes = [10] * n
    seen = [0] * n
    for row in rows:
        for e in row:
            seen[e] += 1
    data = make_data(sizes, list(seen), seen, rows, [0], [])
    idom, retained, count = _core.snapshot_dominators(data)
    idom = struct.unpack(f"={n}I", idom)
    retained = struct.unpack(f"={n}Q", retained)
    assert idom[0] == NONE and idom[1] == 0 and idom[2] == 0 and idom[3] == 2
    assert retained[0] == 10 * n
    assert struct.unpack(f"={n}I", count)[0] == n


@pytest.mark.parametrize(
    "shape", ["random", "sorted", "reversed", "few values", "organ pipe", "tiny"]
)
def test_nodes_by_id_are_in_order_of_id(shape):
    rng = random.Random(shape)
    n = 3 if shape == "tiny" else 20_000
    ids = [rng.randrange(2**48) for _ in range(n)]
    if shape == "sorted":
        ids.sort()
    elif shape == "reversed":
        ids.sort(reverse=True)
    elif shape == "few values":
        ids = [rng.choice((16, 32, 48)) for _ in range(n)]
    elif shape == "organ pipe":
        ids = list(range(n // 2)) + list(range(n - n // 2, 0, -1))
    data = list(make_data([16] * n, [1] * n, [0] * n, [[] for _ in range(n)], [], []))
    data[1] = struct.pack(f"={n}Q", *ids)
    order = struct.unpack(f"={n}I", _core.snapshot_by_id(tuple(data)))
    assert sorted(order) == list(range(n))
    assert [ids[i] for i in order] == sorted(ids)
