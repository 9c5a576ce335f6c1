"""Shared fixtures: a throwaway module in sys.modules, report helpers."""

from __future__ import annotations

import itertools
import sys
import types

import pytest

_counter = itertools.count()


@pytest.fixture
def module():
    """A fresh module registered in sys.modules (a module-global root)."""
    name = f"whyalive_testmod_{next(_counter)}"
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    try:
        yield mod
    finally:
        sys.modules.pop(name, None)
        mod.__dict__.clear()


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
