"""whyalive.compat.referrers: referrers' names, parameters, text and graph."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import weakref

import pytest

import whyalive.compat.referrers as referrers

# referrers 0.16.4's public functions: parameter names and defaults
SIGNATURE = (
    "max_depth=20, exclude_object_ids=None, module_prefixes=None, "
    "max_untracked_search_depth=30, timeout=None, single_object_referrer_limit=100)"
)


def lines(graph) -> list[str]:
    """The graph's text with ids masked."""
    return re.sub(r"id=\d+", "id=N", str(graph)).splitlines()


class Widget:
    pass


class Holder:
    def __init__(self, value):
        self.value = value

    def method(self):
        pass


def make_closure(captured):
    def show():
        return captured

    return show


WIDGETS = []


def test_signatures_are_referrers():
    for name, first in (
        ("get_referrer_graph", "target_object"),
        ("get_referrer_graph_for_list", "target_objects"),
    ):
        params = inspect.signature(getattr(referrers, name)).parameters.values()
        text = ", ".join(
            p.name if p.default is p.empty else f"{p.name}={p.default!r}"
            for p in params
        )
        assert f"({text})" == f"({first}, {SIGNATURE}"


def test_readme_example_local_and_dict_key():
    def my_function():
        a = [2, 4]
        d = dict(a=a)
        graph = referrers.get_referrer_graph(a)
        del d
        return graph

    assert lines(my_function()) == [
        "",
        "╙── list (object) (id=N) (target)",
        "    ├── my_function.a (local) (id=N) (root)",
        "    └── dict key=a (id=N)",
        "        └── dict (object) (id=N)",
        "            └── my_function.d (local) (id=N) (root)",
    ]


def test_names_of_each_kind_of_holder():
    def holders():
        target = Widget()
        holder = Holder(target)
        in_list = [target]
        in_set = {target}
        closure = make_closure(target)
        WIDGETS.append(target)
        try:
            return lines(referrers.get_referrer_graph(target))
        finally:
            WIDGETS.remove(target)
            del holder, in_list, in_set, closure

    text = "\n".join(holders())
    module = __name__
    for expected in (
        "╙── Widget (object) (id=N) (target)",
        "├── holders.target (local) (id=N) (root)",
        "── Holder.value (instance attribute) (id=N)",
        "── Holder (object) (id=N)",
        "── holders.holder (local) (id=N) (root)",
        "── list index=0 (id=N)",
        "── holders.in_list (local) (id=N) (root)",
        "── set member (id=N)",
        "── make_closure.<locals>.show.captured (closure) (id=N)",
        "── holders.closure (local) (id=N) (root)",
        f"── {module}.WIDGETS (global) (id=N) (root)",
    ):
        assert expected in text, text


def test_bound_method_is_named_by_its_function():
    holder = Holder(12345678901234567890)
    kept = Holder(holder.method)
    graph = referrers.get_referrer_graph(holder)
    text = "\n".join(lines(graph))
    assert "── method method (id=N)" in text, text
    assert "── Holder.value (instance attribute) (id=N)" in text, text
    assert kept.value.__self__ is holder


def test_to_networkx_edges_go_from_referrer_to_referent():
    nx = pytest.importorskip("networkx")

    def f():
        target = Widget()
        holder = Holder(target)
        return referrers.get_referrer_graph(target).to_networkx(), id(holder)

    graph, holder_id = f()
    assert isinstance(graph, nx.DiGraph)
    names = {(u.name, v.name) for u, v in graph.edges}
    assert ("Holder.value (instance attribute)", "Widget (object)") in names
    assert ("Holder (object)", "Holder.value (instance attribute)") in names
    assert ("f.target (local)", "Widget (object)") in names
    (target,) = [node for node in graph if node.is_target]
    assert target.name == "Widget (object)" and target.type == "object"
    attribute = next(n for n in graph if n.name.startswith("Holder.value"))
    assert attribute.id == holder_id


def test_node_equality_ignores_is_target():
    a = referrers.ReferrerGraphNode("x (object)", 1, "object", is_target=True)
    b = referrers.ReferrerGraphNode("x (object)", 1, "object")
    assert a == b and hash(a) == hash(b)
    assert str(a) == "x (object) (id=1) (target)"


def test_for_list_leaves_the_list_out():
    def two():
        a, b = Widget(), Widget()
        return lines(referrers.get_referrer_graph_for_list([a, b]))

    assert two() == [
        "",
        "╙── Widget (object) (id=N) (target)",
        "    └── two.a (local) (id=N) (root)",
        "╙── Widget (object) (id=N) (target)",
        "    └── two.b (local) (id=N) (root)",
    ]


def test_limits_leave_a_line_saying_so():
    class Link:
        def __init__(self, to=None):
            self.to = to

    first = link = Link()
    for _ in range(10):
        link = Link(link)
    text = str(referrers.get_referrer_graph(first, max_depth=4))
    assert "Maximum depth of 4 exceeded" in text
    assert text.count("Link.to (instance attribute)") == 2

    text = str(referrers.get_referrer_graph(first, timeout=0.0))
    assert "Timeout of 0.00 seconds exceeded" in text

    target = Widget()
    holders = []
    for _ in range(12):
        holders.append(Holder(target))
    text = str(
        referrers.get_referrer_graph(
            target, single_object_referrer_limit=5, exclude_object_ids=[id(holders)]
        )
    )
    assert "Referrer limit of 5 exceeded with 12 referrers." in text, text
    assert text.count("Holder.value (instance attribute)") == 5
    assert "test_limits_leave_a_line_saying_so.target (local)" in text
    text = str(
        referrers.get_referrer_graph(
            target, single_object_referrer_limit=None, exclude_object_ids=[id(holders)]
        )
    )
    assert text.count("Holder.value (instance attribute)") == 12


def test_lru_cache_shows_its_cache_and_the_global_holding_it():
    @functools.lru_cache(maxsize=4)
    def cached(n):
        return Widget()

    result = cached(1)
    text = "\n".join(lines(referrers.get_referrer_graph(result)))
    assert (
        "test_lru_cache_shows_its_cache_and_the_global_holding_it.result (local)"
        in text
    )
    assert "_lru_cache_wrapper" in text
    del result


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="target_objects must be a list"):
        referrers.get_referrer_graph_for_list((1, 2))
    with pytest.raises(TypeError, match="max_depth"):
        referrers.get_referrer_graph(Widget(), max_depth="3")
    with pytest.raises(TypeError, match="timeout"):
        referrers.get_referrer_graph(Widget(), timeout="1")
    with pytest.raises(TypeError, match="exclude_object_ids"):
        referrers.get_referrer_graph(Widget(), exclude_object_ids=["x"])
    with pytest.raises(TypeError, match="module_prefixes"):
        referrers.get_referrer_graph(Widget(), module_prefixes="app")
    with pytest.raises(TypeError, match="single_object_referrer_limit"):
        referrers.get_referrer_graph(Widget(), single_object_referrer_limit=1.5)


class Hostile:
    """Every hook raises: the walk and the naming must call none of them."""

    def __eq__(self, other):
        raise AssertionError("__eq__ ran")

    def __hash__(self):
        raise AssertionError("__hash__ ran")

    def __repr__(self):
        raise AssertionError("__repr__ ran")

    def __getattr__(self, name):
        raise AssertionError(f"__getattr__ ran for {name}")


def test_no_user_code_runs():
    target = Widget()
    hostile = Hostile()
    hostile.__dict__["held"] = target
    keyed = {"k": target}
    text = str(referrers.get_referrer_graph(target))
    assert "Hostile.held (instance attribute)" in text
    assert "dict key=k" in text
    assert keyed["k"] is target


def test_the_graph_keeps_nothing_alive():
    target = Widget()
    before = sys.getrefcount(target)
    graph = referrers.get_referrer_graph(target)
    assert sys.getrefcount(target) == before
    ref = weakref.ref(target)
    del target
    assert ref() is None
    assert "(target)" in str(graph)


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(referrers, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5


def test_a_module_is_walked_as_a_target_and_named_as_a_holder(module):
    holders = [module]
    module.kept = Widget()
    text = "\n".join(lines(referrers.get_referrer_graph(module)))
    assert "╙── module (object) (id=N) (target)" in text
    assert "── list index=0 (id=N)" in text
    text = "\n".join(lines(referrers.get_referrer_graph(module.kept)))
    assert f"── {module.__name__}.kept (module variable) (id=N) (root)" in text
    assert "module (object)" not in text
    del holders
