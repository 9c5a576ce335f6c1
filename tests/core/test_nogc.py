"""Objects without GC support that hold references (issue 11: "a numpy
view held in a cache keeps a 32 MB base array alive; whyalive says held
from outside for the base, because ndarray has no tp_traverse").  The
base is read from numpy's public array layout, never by calling numpy,
and only for numpy's own ndarray type."""

from __future__ import annotations

import sys
import textwrap

import pytest

import whyalive
from helpers import run_python

PREVIEW: dict = {}


def test_numpy_view_in_a_cache_names_its_base():
    np = pytest.importorskip("numpy")

    def load():
        big = np.zeros(4_000_000)  # 32 MB
        PREVIEW["s1"] = big[:10]

    load()
    base = PREVIEW["s1"].base
    try:
        target = whyalive.explain(base, max_paths=5).targets[0]
        assert target.status == "rooted"
        path = next(p for p in target.paths if p.edges)
        assert [e.describe() for e in path.edges] == [
            ".base of numpy.ndarray",
            "['s1'] in dict",
        ]
        assert path.expression == f"{__name__}.PREVIEW['s1'].base"
        assert all(p.root.kind != "external" for p in target.paths)
    finally:
        PREVIEW.clear()
        del base


def test_bytes_under_a_numpy_array_and_a_subclass_view():
    # np.frombuffer(payload) keeps the payload; a Python subclass of
    # ndarray is tracked by the collector but hides .base all the same
    np = pytest.importorskip("numpy")

    class Image(np.ndarray):
        pass

    payload = bytes(range(64)) * 4
    PREVIEW["raw"] = np.frombuffer(payload, dtype=np.uint8)
    owner = np.ones(1000)
    PREVIEW["img"] = owner[10:20].view(Image)
    try:
        paths = whyalive.explain(payload, max_paths=5).targets[0].paths
        assert any([e.label for e in p.edges] == [".base", "['raw']"] for p in paths), [
            p.expression for p in paths
        ]
        paths = whyalive.explain(owner, max_paths=5).targets[0].paths
        # the Image views the slice, which views the owner
        assert any(p.expression.endswith("PREVIEW['img'].base.base") for p in paths), [
            p.expression for p in paths
        ]
    finally:
        PREVIEW.clear()


def test_numpy_bases_run_no_code_and_keep_no_reference():
    np = pytest.importorskip("numpy")
    bases = [np.arange(100) for _ in range(3)]
    PREVIEW["views"] = [b[1:] for b in bases]
    try:
        before = [sys.getrefcount(b) for b in bases]
        report = whyalive.explain(*bases, max_paths=2)
        assert all(t.status == "rooted" for t in report.targets)
        del report
        assert [sys.getrefcount(b) for b in bases] == before
    finally:
        PREVIEW.clear()


LOOK_ALIKE = textwrap.dedent(
    """
    import sys, types
    fake = types.ModuleType("numpy")

    class ndarray:  # a Python class: a heap type, never read as numpy's
        __slots__ = ("base", "pad")

    ndarray.__module__ = "numpy"
    fake.ndarray = ndarray
    sys.modules["numpy"] = fake

    import whyalive

    class Payload:
        pass

    holder = ndarray()
    holder.base = Payload()
    holder.pad = None
    report = whyalive.explain(holder.base)
    print(report.targets[0].paths[0].edges[0].label)
    """
)


def test_a_type_that_only_shares_numpys_name_is_read_by_its_own_rules():
    result = run_python(LOOK_ALIKE)
    assert result.returncode == 0, result.stderr
    # its slot, as any class's: the member rule, not numpy's layout
    assert result.stdout.strip().splitlines()[-1] == ".base"
