"""Words that mislead, and whyalive's own call as a retainer (issue 11:
explain(None) printing thousands of retainers with no hint, "partial ...
0 of 1 targets have no root found", explain_instances('app.Widget')
raising TypeError while count('app.Widget') works, a 300-link chain
indented to 201 columns, the keyword dict of whyalive's own core call on a
path)."""

from __future__ import annotations

import functools
import warnings

import pytest

import whyalive
from whyalive.errors import SharedObjectWarning


class Widget:
    pass


class Node:
    def __init__(self, nxt):
        self.next = nxt


KEEP: list = []


@pytest.mark.parametrize("shared", [None, True, 0, 255, (), ""])
def test_explaining_a_shared_object_warns(shared):
    with pytest.warns(SharedObjectWarning, match="held by the whole interpreter"):
        whyalive.explain(shared, max_paths=1)


def test_explain_none_hints_at_a_dead_weak_reference():
    with pytest.warns(SharedObjectWarning, match="dead weak reference"):
        whyalive.explain(None, max_paths=1)


def test_an_ordinary_object_gives_no_warning():
    KEEP.append(Widget())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            whyalive.explain(KEEP[0], [1, 2], "".join(["not", "interned"]) * 3)
    finally:
        KEEP.clear()


def test_explain_instances_takes_class_names_like_count():
    KEEP.append(Widget())
    try:
        short = whyalive.explain_instances("Widget", collect=False)
        dotted = whyalive.explain_instances(f"{__name__}.Widget", collect=False)
        mixed = whyalive.explain_instances((Node, "Widget"), collect=False)
        assert whyalive.count(f"{__name__}.Widget") >= 1
        for report in (short, dotted, mixed):
            assert id(KEEP[0]) in {t.id for t in report.targets}
    finally:
        KEEP.clear()


def test_explain_instances_of_an_unknown_name_says_so():
    with pytest.raises(ValueError, match="cls: no live class is named 'NoSuchWidget'"):
        whyalive.explain_instances("NoSuchWidget")
    with pytest.raises(TypeError, match="cls must be a class"):
        whyalive.explain_instances(42)


def test_max_depth_is_partial_only_when_a_root_is_missing():
    KEEP.append(Widget())
    deep = [[[[Widget()]]]]
    try:
        found = whyalive.explain(KEEP[0], max_depth=2)
        assert not found.partial
        assert "partial" not in str(found)
        cut = whyalive.explain(deep[0][0][0][0], max_depth=1)
        assert cut.partial_reason == "max_depth"
        assert "partial: max_depth stopped the search; 1 of 1 targets" in str(cut)
    finally:
        KEEP.clear()


def test_a_300_link_chain_folds_its_run_and_fits_120_columns():
    payload = Widget()
    node = Node(None)
    node.value = payload
    for _ in range(300):
        node = Node(node)
    KEEP.append(node)
    del node
    try:
        report = whyalive.explain(payload)
        text = str(report)
        assert f".next ×300 of {__name__}.Node" in text
        path = next(p for p in report.targets[0].paths if len(p.edges) > 1)
        assert path.expression.endswith("[0].next ×300 .value")
        assert max(len(line) for line in text.splitlines()) <= 120
    finally:
        KEEP.clear()


def test_no_line_is_wider_than_120_columns_at_any_depth():
    # 200 different references in a row: nothing to fold, all indented
    payload = Widget()
    holder = payload
    for i in range(200):
        holder = {f"key_{i}_" + "x" * 30: holder} if i % 2 else [holder]
    KEEP.append(holder)
    try:
        text = str(whyalive.explain(payload))
        lines = text.splitlines()
        assert len(lines) > 30
        assert max(len(line) for line in lines) <= 120
    finally:
        KEEP.clear()


def _own_call_on_path(report):
    return [
        e.describe()
        for t in report.targets
        for p in t.paths
        for e in p.edges
        if "instances_of" in e.label or "more_objs" in e.label
    ]


def test_whyalives_own_call_is_never_a_retainer():
    # a class reachable through an lru_cache: its instances' paths must
    # not run through the keyword dict or tuples of whyalive's own call
    @functools.cache
    def style_for(cls):
        return cls()

    KEEP.append(style_for)
    style_for(Widget)
    try:
        report = whyalive.explain_instances(Widget, collect=False, max_paths=10)
        assert report.targets
        assert _own_call_on_path(report) == []
        assert all(p.root.kind != "external" for t in report.targets for p in t.paths)
        many = whyalive.explain(
            style_for(Widget), Widget, style_for, max_paths=10, exclude=[KEEP]
        )
        assert _own_call_on_path(many) == []
        assert "held from outside" not in str(many)
    finally:
        KEEP.clear()
        style_for.cache_clear()


def test_assertion_helpers_are_never_retainers():
    from whyalive.testing import assert_no_instances

    @functools.cache
    def make(cls):
        return cls()

    make(Widget)
    try:
        with pytest.raises(AssertionError) as failure:
            assert_no_instances(Widget, collect=False)
        message = str(failure.value)
        assert "instances_of" not in message
        assert "held from outside" not in message
        assert "<cache>" in message
    finally:
        make.cache_clear()
