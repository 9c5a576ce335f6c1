"""explain(..., sizes=True): retained sizes beside each holder on a path."""

from __future__ import annotations

import gc
import pickle
import sys
import types
import weakref

import pytest

import whyalive
from whyalive.render.words import describe_size


class Page:
    __slots__ = ("__weakref__", "body")

    def __init__(self, size):
        self.body = bytes(size)


def _app():
    app = types.ModuleType("sizes_explain_app")
    app.CACHE = types.SimpleNamespace(pages=[Page(100_000) for _ in range(20)])
    sys.modules[app.__name__] = app
    return app


def test_targets_and_holders_carry_their_retained_sizes():
    app = _app()
    try:
        pages = app.CACHE.pages
        page = pages[3]
        report = whyalive.explain(page, sizes=True)
        target = report.targets[0]
        one = sys.getsizeof(page) + sys.getsizeof(page.body)
        assert target.retained_size == one
        path = next(p for p in target.paths if p.root.kind == "module")
        edge = path.edges[0]
        assert edge.referrer_id == id(pages)
        # the target is a local here too: the list does not retain it alone
        whole = sys.getsizeof(pages) + 19 * one
        assert target.retained_size_of(id(pages)) == whole
        text = str(report)
        assert text.splitlines()[0].endswith(f"[{describe_size(one)}]")
        assert f"[3] in list  [{describe_size(whole)}]" in text
        assert "[1.9 MB]" in text
    finally:
        del sys.modules[app.__name__]


def test_without_sizes_nothing_changes():
    app = _app()
    try:
        report = whyalive.explain(app.CACHE.pages[0])
        assert report.targets[0].retained_size is None
        assert report.targets[0].sizes == ()
        assert " B]" not in str(report)
    finally:
        del sys.modules[app.__name__]


def test_sized_reports_compare_pickle_and_keep_nothing_alive():
    app = _app()
    try:
        page = app.CACHE.pages.pop()
        ref = weakref.ref(page)
        keep = [page]
        report = whyalive.explain(page, sizes=True)
        assert pickle.loads(pickle.dumps(report)) == report
        assert report != whyalive.explain(page)
        del page, keep
        gc.collect()
        assert ref() is None
        assert report.targets[0].retained_size > 0
    finally:
        del sys.modules[app.__name__]


def test_explain_instances_takes_sizes_too():
    app = _app()
    try:
        report = whyalive.explain_instances(Page, sizes=True, max_paths=1)
        assert len(report.targets) == 20
        assert all(t.retained_size > 100_000 for t in report.targets)
    finally:
        del sys.modules[app.__name__]


def test_sizes_must_be_a_bool():
    with pytest.raises(TypeError, match="sizes"):
        whyalive.explain(object(), sizes=1)
    with pytest.raises(TypeError, match="report"):
        whyalive.heap_snapshot().annotate("a report")
