"""_core.pyi says what the C functions take and return: held to them."""

from __future__ import annotations

import ast
import inspect
import pathlib
import typing

import whyalive
from whyalive import _core

STUB = pathlib.Path(whyalive.__file__).parent / "_core.pyi"


def _stub_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _stub_namespace() -> dict[str, typing.Any]:
    namespace: dict[str, typing.Any] = {}
    exec(compile(STUB.read_text(encoding="utf-8"), str(STUB), "exec"), namespace)
    return namespace


def _arity(alias: typing.Any) -> int:
    return len(typing.get_args(alias))


def test_every_core_function_has_a_stub_and_no_stub_is_stale():
    functions = {
        name
        for name, value in vars(_core).items()
        if callable(value) and not name.startswith("_")
    }
    assert set(_stub_functions()) == functions


def test_stub_parameters_are_the_c_functions_own():
    for name, node in _stub_functions().items():
        stub = [a.arg for a in node.args.posonlyargs + node.args.args]
        stub += [a.arg for a in node.args.kwonlyargs]
        defaults = [ast.literal_eval(d) for d in node.args.defaults]
        real = inspect.signature(getattr(_core, name)).parameters.values()
        assert stub == [p.name for p in real], name
        real_defaults = [p.default for p in real if p.default is not p.empty]
        assert defaults == real_defaults, name


def test_find_paths_results_have_the_stubs_shapes():
    shapes = _stub_namespace()

    class Kept:
        pass

    kept = {"k": Kept()}
    partial, targets, stats, objects = _core.find_paths(
        (kept["k"],), (), (), tool_prefix=whyalive._tool.TOOL_PREFIX
    )
    assert partial is None and objects is None
    assert len(stats) == _arity(shapes["_Stats"])
    (target,) = targets
    assert len(target) == _arity(shapes["_Target"])
    path = target[7][0]
    assert len(path) == _arity(shapes["_Path"])
    assert len(path[0]) == _arity(shapes["_Root"])
    assert all(len(edge) == _arity(shapes["_Edge"]) for edge in path[1])
    del kept, target, path, targets


def test_graph_and_census_results_have_the_stubs_shapes():
    shapes = _stub_namespace()

    class Held:
        pass

    nodes = [Held()]
    holder = [nodes[0]]
    new, edges, skipped, roots, modules = _core.graph_referrers(
        nodes, (0,), (id(holder),), -1, whyalive._tool.TOOL_PREFIX, True
    )
    assert all(len(e) == _arity(shapes["_GraphEdge"]) for e in edges)
    assert all(len(r) == _arity(shapes["_GraphRoot"]) for r in roots)
    assert all(len(row) == 2 for row in skipped + modules)
    rows = _core.census_types(holder)
    assert all(len(row) == _arity(shapes["_TypeRow"]) for row in rows)
    labels = _core.graph_labels([(holder, nodes[0], 0, 0)])
    assert [len(row) for row in labels] == [4]
    del new, edges, nodes, holder
