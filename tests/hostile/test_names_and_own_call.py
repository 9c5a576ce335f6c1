"""Names that are instances of a ``str`` subclass, and whyalive's own
call (issue 9): names come back as exact ``str`` copies, so rendering
runs no user method and no report keeps the user's object; the
containers of whyalive's own call are never retainers."""

from __future__ import annotations

import gc
import io
from typing import ClassVar

import pytest

import whyalive
from whyalive import testing


class Hostile(str):
    """A name whose every method records the call and most raise."""

    calls: ClassVar[list[str]] = []

    def __str__(self):
        Hostile.calls.append("__str__")
        raise RuntimeError("user __str__ ran")

    def __repr__(self):
        Hostile.calls.append("__repr__")
        raise RuntimeError("user __repr__ ran")

    def __format__(self, spec):
        Hostile.calls.append("__format__")
        raise RuntimeError("user __format__ ran")

    def __add__(self, other):
        Hostile.calls.append("__add__")
        raise RuntimeError("user __add__ ran")

    def __eq__(self, other):
        Hostile.calls.append("__eq__")
        return str.__eq__(self, other)

    def __hash__(self):
        Hostile.calls.append("__hash__")
        return str.__hash__(self)


def _reaches_hostile(root) -> bool:
    seen, todo = set(), [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if type(obj) is Hostile:
            return True
        if isinstance(obj, type):
            continue  # classes lead to everything
        todo.extend(gc.get_referents(obj))
    return False


@pytest.fixture
def hostile_names(module):
    class Named:
        pass

    def function():
        pass

    Named.__qualname__ = Hostile("Named")
    Named.__name__ = Hostile("Named")
    function.__qualname__ = Hostile("function")
    function.__name__ = Hostile("function")
    module.instance = Named()
    module.function = function
    module.box = {Hostile("key"): module.instance}
    Hostile.calls.clear()
    yield Named, module
    Hostile.calls.clear()


def test_a_str_subclass_qualname_comes_back_as_an_exact_str(hostile_names):
    Named, module = hostile_names
    for report in (
        whyalive.explain(module.instance),
        whyalive.explain(module.function),
        whyalive.explain_instances(Named),
    ):
        target = report.targets[0]
        assert type(target.type_name) is str
        assert type(target.name) is str
        assert not _reaches_hostile(report)
        text = str(report)
        assert "Named" in text or "function" in text
        report.to_json()
    assert Hostile.calls == []


def test_assert_no_instances_fails_with_assertion_error_not_the_users(hostile_names):
    Named, _ = hostile_names
    with pytest.raises(AssertionError, match="Named"):
        testing.assert_no_instances(Named)
    assert Hostile.calls == []


def test_census_names_are_exact_str(hostile_names):
    _, module = hostile_names
    stats = whyalive.typestats(shortnames=False)
    assert all(type(name) is str for name in stats)
    rows = whyalive.leaking_objects([module.instance], collect=False)
    assert all(type(row.type_name) is str for row in rows)
    whyalive.show_growth(limit=3, file=io.StringIO())
    assert Hostile.calls == []


def test_the_keyword_dict_of_whyalives_own_call_is_no_retainer(module):
    class Held:
        pass

    Held.singleton = Held()  # the class, reachable from the heap, holds it
    module.Held = Held
    report = whyalive.explain_instances(Held)
    (target,) = report.targets
    labels = [edge.label for path in target.paths for edge in path.edges]
    assert "['instances_of']" not in labels
    # the module global and this frame's local, nothing from outside
    assert {path.root.kind for path in target.paths} == {"module", "frame"}


def test_find_classes_runs_no_method_of_a_str_subclass_name(hostile_names):
    # whyalive run --explain NAME: every live class is a candidate, the
    # hostile ones too (on 3.13t classes are immortal once a thread runs)
    from whyalive.cli.run import find_classes

    named, _ = hostile_names
    dotted = f"{named.__module__}.Named"
    assert [c for c in find_classes(["Named"]) if c is named] == [named]
    assert [c for c in find_classes([dotted]) if c is named] == [named]
    assert find_classes(["NoSuchClassAnywhere"]) == []
    assert Hostile.calls == []
