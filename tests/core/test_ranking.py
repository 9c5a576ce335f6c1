"""The most useful paths first (issue 11: three `<local 'self'>` frames of
one timer thread; `.__base__ of class RootLogger` beside `.__bases__[0]`;
one object under three module aliases; a torch logger's `.manager` where
`logging.Logger.manager` is the answer).  ranking.py folds the variants
and orders the rest; max_paths then shows different retainers."""

from __future__ import annotations

import sys
import threading
import types

import pytest

import whyalive
from whyalive.ranking import rank_paths


def frame_root(function, depth, thread=7, name="self"):
    return ("frame", name, (function, "t.py", depth + 1, thread, "local", depth))


def module_root(module, name):
    return ("module", f"{module}.{name}", (module, name))


EDGE = ("app.core.Registry", 0x10, ".items", "attr", "")


def test_frames_of_one_thread_fold_into_the_innermost():
    paths = [
        (frame_root("_bootstrap", 2), (), 1),
        (frame_root("run", 0), (), 1),
        (frame_root("_bootstrap_inner", 1), (), 1),
        (frame_root("run", 0, thread=8), (), 1),
    ]
    shown, left = rank_paths(paths, 5)
    assert [p[0][2][0] for p in shown] == ["run", "run"]
    assert shown[0][0][2][6] == 2 and len(shown[1][0][2]) == 6
    assert left == 0


def test_module_aliases_fold_into_the_defining_module():
    registry = ("type", 0x10, ".items", "attr", "app.core.Registry")
    paths = [
        (module_root("app.api", "Registry"), (registry,), 2),
        (module_root("app.core", "Registry"), (registry,), 2),
        (module_root("app", "Registry"), (registry,), 2),
    ]
    shown, _ = rank_paths(paths, 3)
    assert [p[0][1] for p in shown] == ["app.core.Registry"]


def test_class_plumbing_loses_and_its_variants_fold():
    base = ("type", 0x20, ".__base__", "attr", "app.Sub")
    bases = [
        ("tuple", 0x30, "[0]", "index", ""),
        ("type", 0x20, ".__bases__", "attr", "app.Sub"),
    ]
    direct = ("dict", 0x40, "['k']", "key", "")
    root = module_root("app", "Sub")
    paths = [
        (root, (base,), 2),
        (root, tuple(bases), 3),
        (module_root("app", "TABLE"), (direct,), 2),
    ]
    shown, left = rank_paths(paths, 3)
    assert [p[1][0][2] for p in shown] == ["['k']", ".__base__"]
    assert left == 0


def test_an_alias_loses_to_the_defining_module_along_other_references():
    # torch's loggers' .manager vs logging.Logger.manager
    via_instance = ("logging.Logger", 0x50, ".manager", "attr", "")
    via_class = ("type", 0x60, ".manager", "attr", "logging.Logger")
    paths = [
        (module_root("torch._logging", "log"), (via_instance,), 2),
        (module_root("logging", "Logger"), (via_class,), 2),
    ]
    shown, _ = rank_paths(paths, 1)
    assert shown[0][0][1] == "logging.Logger"


ev = threading.Event()


class Timer(threading.Thread):
    def run(self):
        ev.wait(30)


def test_a_timer_threads_frames_are_one_retainer():
    def start():
        timer = Timer(name="timer-1")
        timer.start()
        return timer

    timer = start()
    try:
        report = whyalive.explain(timer, max_paths=5)
        frames = [p for p in report.targets[0].paths if p.root.kind == "frame"]
        in_thread = [
            p
            for p in frames
            if p.root.thread_name == "timer-1" and p.root.slot == "local"
        ]
        assert len(in_thread) == 1
        assert in_thread[0].root.function.endswith("run")  # 3.10: no qualname
        assert in_thread[0].root.outer_frames >= 2  # _bootstrap, _bootstrap_inner
        assert "run and 2 outer frames at " in in_thread[0].root.describe()
        # the rest are different retainers: threading's registry, this test
        assert any(p.root.name == "threading._active" for p in report.targets[0].paths)
    finally:
        ev.set()
        timer.join()


def test_a_base_class_is_reached_once_through_its_subclass():
    class Base:
        pass

    class Sub(Base):
        pass

    module = types.ModuleType("ranking_app")
    module.Sub = Sub
    sys.modules["ranking_app"] = module
    try:
        del Sub
        paths = whyalive.explain(Base, max_paths=10).targets[0].paths
        through_sub = [
            p for p in paths if p.root.name == "ranking_app.Sub" and len(p.edges) <= 2
        ]
        assert len(through_sub) == 1, [p.expression for p in through_sub]
    finally:
        del sys.modules["ranking_app"]


def test_one_object_under_module_aliases_is_one_path():
    core = types.ModuleType("rank_core")
    registry = type("Registry", (), {"__module__": "rank_core"})()
    item = type("Item", (), {})()
    registry.items = [item]
    for name in ("rank_core", "rank_api", "rank_app"):
        mod = sys.modules[name] = types.ModuleType(name)
        mod.REGISTRY = registry
    try:
        paths = whyalive.explain(item, max_paths=5).targets[0].paths
        roots = [p.root.name for p in paths if p.root.kind == "module"]
        assert roots == ["rank_core.REGISTRY"]
    finally:
        for name in ("rank_core", "rank_api", "rank_app"):
            del sys.modules[name]
    del core


@pytest.mark.parametrize("max_paths", [1, 2, 4])
def test_ranking_keeps_max_paths(max_paths):
    holders = [[object()] for _ in range(1)]
    target = holders[0][0]
    lists = [[target] for _ in range(6)]
    report = whyalive.explain(target, max_paths=max_paths)
    assert len(report.targets[0].paths) == max_paths
    del lists
