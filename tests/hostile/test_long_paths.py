"""Long paths (issue 9): a target held by a 5,000-link chain from a
module global and by short holders too.  Choosing paths beyond the first
summed the weights of a path's hops once per hop (quadratic: 26 s for a
100,000-link chain beside a closure cell, 1.2 s now); the lengths the
running sum gives must be the paths' own."""

from __future__ import annotations

import whyalive
from helpers import linked_chain


def test_a_long_path_beside_short_ones_is_chosen_with_its_length(module):
    tail = linked_chain(module, 5_000)
    holder = [tail]

    def asks():  # a closure cell and a list hold it too
        return whyalive.explain(tail, max_paths=10)

    report = asks()
    paths = report.targets[0].paths
    lengths = [p.length for p in paths]
    assert 5_001 in lengths, lengths
    long = paths[lengths.index(5_001)]
    assert long.root.kind == "module" and long.root.name.endswith(".HEAD")
    assert [e.label for e in long.edges] == [".nxt"] * 5_000
    assert len(long.edges) == long.length - 1
    assert min(lengths) == 1
    del holder
