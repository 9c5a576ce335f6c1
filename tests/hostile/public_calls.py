"""Every public function of whyalive, each as a call on a small world
(a target held from a module global, a class with instances), for the
hostile scenarios of issue 9: hostile objects, threads mutating the heap,
interrupts, repeated calls, subinterpreters.  Imported by the tests and by
the scripts they run in fresh interpreters (this folder on sys.path)."""

from __future__ import annotations

import io
import sys
import types
from collections.abc import Callable
from typing import Any

import whyalive
from whyalive.compat import objgraph

MODULE = "whyalive_hostile_world"


class Gizmo:
    pass


class World:
    """The objects the calls ask about: ``target`` (a Gizmo under
    ``MODULE.REGISTRY['g'][0]``) and a second Gizmo in a local list."""

    def __init__(self) -> None:
        module = sys.modules.get(MODULE)
        if module is None:
            module = sys.modules[MODULE] = types.ModuleType(MODULE)
        self.module = module
        module.REGISTRY = {"g": [Gizmo()]}
        self.others = [Gizmo()]

    @property
    def target(self) -> Gizmo:
        return self.module.REGISTRY["g"][0]

    def close(self) -> None:
        self.module.REGISTRY = None
        self.others.clear()
        sys.modules.pop(MODULE, None)


def _null() -> io.StringIO:
    return io.StringIO()


def calls(w: World) -> dict[str, Callable[[], Any]]:
    """name -> a call of that public function (checks its answer where
    the answer is known whatever the other threads do)."""

    def explain() -> None:
        report = whyalive.explain(w.target)
        assert report.targets[0].status == "rooted", report
        str(report), report.to_dict(), report.to_dot()

    def explain_instances() -> None:
        report = whyalive.explain_instances(Gizmo, collect=False)
        assert len(report.targets) >= 1
        str(report)

    def find_backref_chain() -> None:
        chain = whyalive.find_backref_chain(
            w.target, whyalive.is_proper_module, collect=False
        )
        assert chain[0] is w.module and chain[-1] is w.target

    def find_ref_chain() -> None:
        target = w.target
        chain = whyalive.find_ref_chain(
            w.module.REGISTRY, lambda o: o is target, collect=False
        )
        assert chain[-1] is target

    def snapshot() -> None:
        snap = whyalive.Snapshot(Gizmo, collect=False)
        snap.new_ids()
        snap.update()

    def assert_no_instances() -> None:
        class Unused:
            pass

        whyalive.assert_no_instances(Unused, collect=False)

    return {
        "explain": explain,
        "explain_instances": explain_instances,
        "count": lambda: whyalive.count("Gizmo"),
        "by_type": lambda: whyalive.by_type("Gizmo"),
        "typestats": lambda: whyalive.typestats(),
        "most_common_types": lambda: whyalive.most_common_types(limit=5),
        "show_most_common_types": lambda: whyalive.show_most_common_types(
            limit=3, file=_null()
        ),
        "growth": lambda: whyalive.growth(collect=False),
        "show_growth": lambda: whyalive.show_growth(file=_null(), collect=False),
        "get_new_ids": lambda: whyalive.get_new_ids(
            skip_update=True, file=_null(), collect=False
        ),
        "typestats_diff": lambda: whyalive.typestats_diff(
            {}, whyalive.typestats(), collect=False
        ),
        "get_leaking_objects": lambda: whyalive.get_leaking_objects(),
        "leaking_objects": lambda: whyalive.leaking_objects(),
        "at": lambda: whyalive.at(id(w.target)),
        "at_addrs": lambda: whyalive.at_addrs([id(w.target)]),
        "find_backref_chain": find_backref_chain,
        "find_ref_chain": find_ref_chain,
        "show_backrefs": lambda: whyalive.show_backrefs(
            w.target, max_depth=2, output=_null(), collect=False
        ),
        "show_refs": lambda: whyalive.show_refs(
            w.module.REGISTRY, max_depth=2, output=_null(), collect=False
        ),
        "show_chain": lambda: whyalive.show_chain(
            [w.module.REGISTRY, w.module.REGISTRY["g"]], output=_null(), collect=False
        ),
        "Snapshot": snapshot,
        "assert_no_instances": assert_no_instances,
        "assert_freed": lambda: whyalive.assert_freed(),
        "gc_collect_once": whyalive.gc_collect_once,
        "collect_young_first": lambda: whyalive.collect_young_first(lambda: False),
        "is_proper_module": lambda: whyalive.is_proper_module(w.module),
        "objgraph.find_backref_chain": lambda: objgraph.find_backref_chain(
            w.target, objgraph.is_proper_module
        ),
        "objgraph.count": lambda: objgraph.count("Gizmo"),
    }


class Interrupt(Exception):
    """What interrupt_after()'s signal handler raises."""


_armed = [False]


def interrupt_after(call: Callable[[], Any], seconds: float) -> bool:
    """``call()`` with a SIGALRM handler raising :class:`Interrupt` after
    ``seconds`` (POSIX); True when it was interrupted.

    >>> interrupt_after(lambda: None, 10.0)
    False
    """
    import signal

    def handler(signum: int, frame: Any) -> None:
        if _armed[0]:
            raise Interrupt

    signal.signal(signal.SIGALRM, handler)
    try:
        _armed[0] = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
        call()
    except Interrupt:
        return True
    finally:
        _armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
    return False
