"""Helpers the tests import (``from helpers import ...``): tests/ is on
sys.path once pytest has loaded tests/conftest.py."""

from __future__ import annotations


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
