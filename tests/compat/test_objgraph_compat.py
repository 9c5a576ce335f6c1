"""whyalive.compat.objgraph: objgraph's names, parameters and defaults."""

from __future__ import annotations

import gc
import inspect
import io

import pytest

import whyalive.compat.objgraph as objgraph

# objgraph 3.7.0's public functions: parameter names and defaults
SIGNATURES = {
    "count": "(typename, objects=None)",
    "typestats": "(objects=None, shortnames=True, filter=None)",
    "most_common_types": "(limit=10, objects=None, shortnames=True, filter=None)",
    "show_most_common_types": (
        "(limit=10, objects=None, shortnames=True, file=None, filter=None)"
    ),
    "growth": "(limit=10, peak_stats={}, shortnames=True, filter=None)",
    "show_growth": (
        "(limit=10, peak_stats=None, shortnames=True, file=None, filter=None)"
    ),
    "get_new_ids": (
        "(skip_update=False, limit=10, sortby='deltas', shortnames=None, file=None)"
    ),
    "get_leaking_objects": "(objects=None)",
    "by_type": "(typename, objects=None)",
    "at": "(addr)",
    "at_addrs": "(address_set)",
    "find_ref_chain": "(obj, predicate, max_depth=20, extra_ignore=())",
    "find_backref_chain": "(obj, predicate, max_depth=20, extra_ignore=())",
    "show_backrefs": (
        "(objs, max_depth=3, extra_ignore=(), filter=None, too_many=10, "
        "highlight=None, filename=None, extra_info=None, refcounts=False, "
        "shortnames=True, output=None, extra_node_attrs=None)"
    ),
    "show_refs": (
        "(objs, max_depth=3, extra_ignore=(), filter=None, too_many=10, "
        "highlight=None, filename=None, extra_info=None, refcounts=False, "
        "shortnames=True, output=None, extra_node_attrs=None)"
    ),
    "show_chain": "(*chains, **kw)",
    "is_proper_module": "(obj)",
}


def objgraph_part(name: str) -> str:
    """The leading parameters objgraph has (ours may add keyword-only ones)."""
    params = []
    for p in inspect.signature(getattr(objgraph, name)).parameters.values():
        if p.kind is p.KEYWORD_ONLY or p.name == "_state":
            continue
        text = str(p).split(":")[0] if p.default is p.empty else None
        if text is None:
            # growth()'s peak_stats={} is state: the default fills up
            default = {} if isinstance(p.default, dict) else p.default
            text = f"{p.name}={default!r}"
        if p.kind is p.VAR_POSITIONAL:
            text = f"*{p.name}"
        elif p.kind is p.VAR_KEYWORD:
            text = f"**{p.name}"
        params.append(text)
    return "(" + ", ".join(params) + ")"


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_objgraph_public_names_and_parameters(name):
    assert objgraph_part(name) == SIGNATURES[name]


def _positional_or_named(function) -> list[tuple[str, object, object]]:
    """(name, kind, default) of each parameter a caller may name or pass in
    order: what must match objgraph's exactly (state parameters whose
    default fills up, as growth's peak_stats={}, compare by type)."""
    out = []
    for p in inspect.signature(function).parameters.values():
        if p.kind is p.KEYWORD_ONLY or p.name.startswith("_"):
            continue
        default = p.default
        if isinstance(default, dict):
            default = dict
        out.append((p.name, p.kind, default))
    return out


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_are_objgraphs_own(name):
    real = pytest.importorskip("objgraph")
    assert _positional_or_named(getattr(objgraph, name)) == _positional_or_named(
        getattr(real, name)
    )


def test_objgraphs_keyword_calls_work():
    class Keyworded:
        pass

    kept = [Keyworded()]
    assert objgraph.count(typename="Keyworded") == 1
    assert objgraph.by_type(typename="Keyworded", objects=kept) == kept
    del kept


def test_everyday_use():
    class Thing:
        pass

    things = [Thing(), Thing()]
    assert objgraph.count("Thing") == 2
    assert {id(o) for o in objgraph.by_type("Thing")} == {id(o) for o in things}
    assert objgraph.typestats(objects=things) == {"Thing": 2}
    out = io.StringIO()
    objgraph.show_backrefs(things[0], max_depth=1, output=out)
    assert "[0]" in out.getvalue()
    chain = objgraph.find_ref_chain(things, lambda o: type(o) is Thing)
    assert chain[0] is things and type(chain[1]) is Thing and len(chain) == 2


def test_private_find_chain_with_an_edge_function():
    graph = {"a": ["b"], "b": ["c"], "c": []}
    names = {n: [n] for n in graph}  # distinct objects per name
    edges = {id(names[n]): [names[m] for m in graph[n]] for n in graph}
    chain = objgraph._find_chain(
        names["a"], lambda o: o is names["c"], lambda o: edges[id(o)]
    )
    assert chain == [names["c"], names["b"], names["a"]]
    assert objgraph._find_chain(names["a"], lambda o: False, gc.get_referents) == [
        names["a"]
    ]
