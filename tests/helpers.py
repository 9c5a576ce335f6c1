"""Helpers the tests import (``from helpers import ...``): tests/ is on
sys.path once pytest has loaded tests/conftest.py."""

from __future__ import annotations

import sysconfig

#: A free-threaded CPython (3.13t): whyalive runs there with the GIL on;
#: its collector keeps no lists and no generations.
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def labels(path) -> list[str]:
    """The labels of a path, target side first."""
    return [edge.label for edge in path.edges]


def find_path(target, predicate):
    """The first path of a report target satisfying predicate, or fail."""
    for path in target.paths:
        if predicate(path):
            return path
    raise AssertionError(
        "no path matches; paths were:\n" + "\n".join(repr(p) for p in target.paths)
    )


def run_python(source: str, timeout: float = 180):
    """Run source in a fresh interpreter that imports the same whyalive as
    these tests; the CompletedProcess (a crash shows as a negative
    returncode instead of ending the test run)."""
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    import whyalive

    env = dict(os.environ)
    package_parent = str(Path(whyalive.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent, *filter(None, [env.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Link:
    """One link of a chain: its only reference is ``.nxt``."""

    __slots__ = ("nxt",)


def linked_chain(module, size: int) -> Link:
    """A chain of ``size + 1`` links under ``module.HEAD``; returns its last."""
    head = cur = Link()
    for _ in range(size):
        cur.nxt = Link()
        cur = cur.nxt
    module.HEAD = head
    return cur
