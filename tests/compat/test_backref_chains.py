"""find_backref_chain from one heap walk (issue 9): the same answers as
objgraph's search (one gc.get_referrers pass per object met) on small
heaps, right on long chains, and the predicate runs on the objects met,
in breadth-first order, after the walk."""

from __future__ import annotations

import gc
import itertools

import pytest

import whyalive
from whyalive.compat import objgraph as compat


class Link:
    def __init__(self, nxt=None):
        self.nxt = nxt


def _is_chain(chain, obj, predicate) -> bool:
    """chain[0] satisfies predicate, chain[-1] is obj, each refers to the
    next."""
    if chain[-1] is not obj or not predicate(chain[0]):
        return False
    return all(
        any(r is b for r in gc.get_referents(a)) for a, b in itertools.pairwise(chain)
    )


def _heaps(module):
    """(target, max_depth) of small heaps under a fresh module."""
    target = Link()
    module.direct = target
    yield target, 20
    target = Link()
    module.nested = {"a": [[(target,)]]}
    yield target, 20
    target = Link()
    module.attr = Link(Link(Link(target)))
    yield target, 20
    target = Link()
    a, b = [target], []
    a.append(b)
    b.append(a)  # a cycle on the way
    module.cycle = {"x": b}
    yield target, 20
    target = Link()
    module.cut = [[[[[target]]]]]
    yield target, 3  # too deep: [target]


def test_backref_chain_equals_objgraph_on_small_heaps(module):
    objgraph = pytest.importorskip("objgraph")
    for target, depth in _heaps(module):
        ours = whyalive.find_backref_chain(
            target, whyalive.is_proper_module, max_depth=depth
        )
        theirs = objgraph.find_backref_chain(
            target, objgraph.is_proper_module, max_depth=depth
        )
        assert [type(o) for o in ours] == [type(o) for o in theirs]
        assert all(a is b for a, b in zip(ours, theirs, strict=True))
        if len(ours) > 1:
            assert ours[0] is module and _is_chain(
                ours, target, whyalive.is_proper_module
            )


def test_backref_chain_of_a_long_linked_list_is_whole(module):
    """20,000 links: one walk, not a pass per level; the chain goes from
    the module through every link."""
    head = Link()
    cur = head
    for _ in range(20_000):
        cur.nxt = Link()
        cur = cur.nxt
    module.head = head
    tail, cur = cur, None
    chain = whyalive.find_backref_chain(
        tail,
        whyalive.is_proper_module,
        max_depth=50_000,  # 3.10: a dict per link
    )
    assert chain[0] is module and chain[-1] is tail
    # module, its dict, then each link and its attribute dict (or the
    # link alone where its attributes are inline values)
    assert len(chain) >= 20_003
    assert _is_chain(chain, tail, whyalive.is_proper_module)
    short = whyalive.find_backref_chain(tail, whyalive.is_proper_module, max_depth=100)
    assert short == [tail]


def test_predicate_runs_breadth_first_after_the_walk_and_stops_at_a_match(module):
    target = Link()
    near, far = [target], [[target]]
    module.keep = (near, far)
    met = []

    def predicate(obj):
        met.append(obj)
        return obj is far

    chain = whyalive.find_backref_chain(target, predicate, collect=False)
    assert chain == [far, far[0], target]
    assert met[0] is target
    # near and far[0] (depth 1) before far (depth 2); nothing after far
    assert any(o is near for o in met) and met[-1] is far
    assert met.index(far[0]) < len(met) - 1


def test_backref_chain_arguments_are_checked_before_any_work():
    with pytest.raises(TypeError, match="predicate must be callable"):
        whyalive.find_backref_chain([], 3)
    with pytest.raises(TypeError, match="max_depth must be an int"):
        whyalive.find_backref_chain([], whyalive.is_proper_module, max_depth="3")
    with pytest.raises(TypeError, match="collect must be True or False"):
        whyalive.find_backref_chain([], whyalive.is_proper_module, collect=1)
    with pytest.raises(TypeError, match="extra_ignore"):
        compat.find_backref_chain([], compat.is_proper_module, extra_ignore=3)
