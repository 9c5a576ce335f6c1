"""Arguments checked before any work, whatever the heap holds (issue 9):
a bad argument fails the same way when nothing leaks as when something
does, with the parameter's name; objgraph-style booleans and limits are
checked too."""

from __future__ import annotations

import pytest

import whyalive
from whyalive import testing


class Nothing:
    """No instance of it is ever made."""


def test_snapshot_checks_max_paths_even_when_nothing_leaks():
    snap = whyalive.Snapshot(Nothing)
    with pytest.raises(TypeError, match="max_paths"):
        snap.assert_no_new(max_paths="3")
    with pytest.raises(TypeError, match="max_paths"):
        snap.explain_new(max_paths="3")


def test_freed_checks_max_paths_even_when_everything_is_freed():
    with pytest.raises(TypeError, match="max_paths"):
        testing.assert_freed(Nothing(), max_paths="3")
    with pytest.raises(TypeError, match="max_paths"):
        testing.expect_freed(max_paths="3")
    with pytest.raises(TypeError, match="max_paths"):
        testing.assert_no_instances(Nothing, max_paths="3")


@pytest.mark.parametrize("name", ["max_paths", "max_depth"])
def test_huge_limits_are_a_value_error_naming_the_parameter(name):
    with pytest.raises(ValueError, match=name):
        whyalive.explain(Nothing, **{name: 2**70})
    with pytest.raises(ValueError, match=name):
        whyalive.explain_instances(Nothing, collect=False, **{name: 2**70})


def test_explain_instances_checks_everything_before_collecting(monkeypatch):
    collected = []
    monkeypatch.setattr("gc.collect", lambda *a: collected.append(a) or 0)
    for bad in ({"max_depth": -1}, {"max_paths": 0}, {"timeout": "1"}):
        with pytest.raises((TypeError, ValueError)):
            whyalive.explain_instances(Nothing, **bad)
    assert collected == []


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: whyalive.growth(collect="no"), "collect"),
        (lambda: whyalive.growth(shortnames="no"), "shortnames"),
        (lambda: whyalive.typestats(shortnames="no"), "shortnames"),
        (lambda: whyalive.typestats(filter="no"), "filter"),
        (lambda: whyalive.typestats_diff({}, collect=1), "collect"),
        (lambda: whyalive.get_new_ids(skip_update="no", limit=0), "skip_update"),
        (lambda: whyalive.get_new_ids(limit=0, collect="no"), "collect"),
        (lambda: whyalive.leaking_objects(collect=0), "collect"),
        (lambda: whyalive.most_common_types(limit=True), "limit"),
        (lambda: whyalive.most_common_types(limit=1.5), "limit"),
    ],
)
def test_objgraph_style_arguments_are_type_checked(call, name):
    with pytest.raises(TypeError, match=name):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: whyalive.most_common_types(limit=-1),
        lambda: whyalive.growth(limit=-1, collect=False),
        lambda: whyalive.typestats_diff({}, limit=-1),
    ],
)
def test_a_negative_limit_is_a_value_error(call):
    with pytest.raises(ValueError, match="limit"):
        call()


def test_limits_none_and_zero_keep_their_meaning():
    # a fixed population: the heap's own types change while tests run
    objects = [[], {}, set(), (1,), 1.5, b"", "", 3, None, True, frozenset(), 1j]
    everything = whyalive.most_common_types(limit=None, objects=objects)
    assert len(everything) > 10
    assert whyalive.most_common_types(limit=0, objects=objects) == everything
    assert len(whyalive.most_common_types(limit=2, objects=objects)) == 2
