"""``Report.to_networkx()``: objects as nodes, references as labelled edges."""

from __future__ import annotations

import sys

import networkx
import pytest

import whyalive
from whyalive import Report


class Gizmo:
    pass


def test_the_sample_report_as_a_graph(make_sample_report):
    graph = make_sample_report().to_networkx()
    assert isinstance(graph, networkx.MultiDiGraph)
    assert set(graph.nodes) == {0x7F00, 0x10, 0x11}
    target = graph.nodes[0x7F00]
    assert target["type"] == "app.Widget"
    assert target["target"] is True
    # held directly by a running frame's local, and through the module path
    assert target["root"] == "frame"
    assert target["root_kinds"] == ["frame"]
    assert graph.nodes[0x11]["root"] == "module"
    assert graph.nodes[0x11]["root_descriptions"] == [
        "app.REGISTRY (root: module global)"
    ]
    assert graph.nodes[0x10]["root"] is None
    edges = sorted(graph.edges(keys=True, data=True))
    assert edges == [
        (0x10, 0x7F00, "['w1']", {"label": "['w1']", "kind": "key"}),
        (0x11, 0x10, ".registry", {"label": ".registry", "kind": "attr"}),
    ]


def test_a_live_report_shares_the_edges_its_paths_share(module):
    shared = Gizmo()
    box = {"x": shared}
    module.A = box
    module.B = [box]
    report = whyalive.explain(shared, max_paths=5)
    graph = report.to_networkx()
    through_box = [p for p in report[0].paths if p.edges]
    assert len(through_box) >= 2
    assert {p.edges[0].referrer_id for p in through_box} == {id(box)}
    # the paths through box['x'] share one edge
    assert [d["label"] for _, _, d in graph.in_edges(id(shared), data=True)] == [
        "['x']"
    ]
    assert graph.nodes[id(shared)]["root"] == "frame"  # the local 'shared'
    assert (
        f"{module.__name__}.A (root: module global)"
        in (graph.nodes[id(box)]["root_descriptions"])
    )
    assert graph.nodes[id(module.B)]["root"] == "module"
    assert graph.has_edge(id(module.B), id(box), key="[0]")
    # referrer -> referent: nothing leaves the target
    assert graph.out_degree(id(shared)) == 0


def test_two_references_from_one_holder_are_parallel_edges():
    root = ("module", "app.H", ("app", "H"))
    a = ("app.Holder", 0x11, ".a", "attr", "")
    b = ("app.Holder", 0x11, ".b", "attr", "")
    target = (0x7F00, "app.Widget", "", 3, 3, 0, "rooted")
    stats = (0, 0, 0, 0, 0.0, 0.0, 0.0, None, 0)
    raw = (None, [(*target, [(root, (a,), 2), (root, (b,), 2)], 0)], stats, None)
    graph = Report.from_core(raw).to_networkx()
    assert sorted(graph[0x11][0x7F00]) == [".a", ".b"]
    assert graph.nodes[0x11]["root_kinds"] == ["module"]


def test_the_graph_of_a_report_read_back_from_json(make_sample_report):
    report = make_sample_report()
    again = Report.from_json(report.to_json())
    first, second = report.to_networkx(), again.to_networkx()
    assert dict(first.nodes(data=True)) == dict(second.nodes(data=True))
    assert sorted(first.edges(keys=True, data=True)) == sorted(
        second.edges(keys=True, data=True)
    )


def test_without_networkx_a_clear_error(make_sample_report, monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError, match="needs networkx: pip install networkx"):
        make_sample_report().to_networkx()


def test_an_empty_report_is_an_empty_graph():
    graph = Report.empty().to_networkx()
    assert graph.number_of_nodes() == 0
