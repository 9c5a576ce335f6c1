"""Names inside the stdlib's C types (issue 11: "<referent #1 of
functools._lru_cache_wrapper>", "<referent #2 of _thread._local>", a
ContextVar's value behind "<referent #0 of hamt_bitmap_node>" three
times).  Each is named as code would name it, read without running
Python code (stdnames.c), on every CPython."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import re
import sys
import threading
from typing import ClassVar

import leak_shapes
import pytest

import whyalive


def first_edges(obj, max_paths=5):
    """The first edge of each path to obj, as a report line says it."""
    target = whyalive.explain(obj, max_paths=max_paths).targets[0]
    return [p.edges[0].describe() for p in target.paths if p.edges]


def all_labels(obj, max_paths=5):
    target = whyalive.explain(obj, max_paths=max_paths).targets[0]
    return [e.label for p in target.paths for e in p.edges]


#: What each shape's first edge reads; every shape of the corpus is here.
EXPECTED = {
    "lru_cache (maxsize=None)": (
        "<cache>[1] in lru_cache _lru_unbounded.<locals>.lookup"
    ),
    "lru_cache (maxsize=8)": re.compile(
        r"<cache>\[\('k', <object at 0x[0-9a-f]+>, 'flag', True\)\] "
        r"in lru_cache _lru_bounded\.<locals>\.lookup"
    ),
    "lru_cache key": "[0] in tuple",
    "threading.local": "<attributes in thread 'MainThread'>.conn of _thread._local",
    "contextvars.Context": (
        "<value of ContextVar 'current_request'> of _contextvars.Context"
    ),
    "contextvars.Context (40 variables)": (
        "<value of ContextVar 'v17'> of _contextvars.Context"
    ),
    "asyncio.Future result": "._result of _asyncio.Future",
    "asyncio.Future exception": ".args[0] of ValueError",
    "asyncio.Future callback": ".args[0] of functools.partial",
    "asyncio.Future callbacks": ".args[0] of functools.partial",
    "asyncio.Task coroutine": "<local 'value'> of coroutine _task.<locals>.work",
    "functools.partial": ".args[0] of functools.partial",
    "functools.partial keyword": ".keywords['sep'] of functools.partial",
    "property": ".fget of property",
    "classmethod": ".__func__ of classmethod",
    "staticmethod": ".__func__ of staticmethod",
    "collections.OrderedDict": "['k'] in collections.OrderedDict",
    "collections.defaultdict factory": ".default_factory of collections.defaultdict",
    "collections.deque": "[0] in collections.deque",
    "types.MappingProxyType": "<mapping>['k'] in mappingproxy",
    "types.SimpleNamespace": ".k of types.SimpleNamespace",
    "types.MethodType": ".__self__ of method",
    "weakref callback": ".__callback__ of weakref.ReferenceType",
    "map": "<function> of map",
    "map iterable": "<sequence> of list_iterator",
    "filter": "<function> of filter",
    "zip": "<sequence> of list_iterator",
    "enumerate": "<sequence> of list_iterator",
    "reversed": "<sequence> of list_reverseiterator",
    "iter(list)": "<sequence> of list_iterator",
    "iter(callable, sentinel)": "<callable> of callable_iterator",
    "itertools.chain": "[0] in tuple",
    "itertools.cycle": "<sequence> of list_iterator",
    "itertools.islice": "<sequence> of list_iterator",
    "itertools.starmap": "<function> of itertools.starmap",
    "itertools.takewhile": "<predicate> of itertools.takewhile",
    "itertools.accumulate": "<sequence> of list_iterator",
    "itertools.accumulate function": "<function> of itertools.accumulate",
    "itertools.accumulate initial": "<initial> of itertools.accumulate",
    "itertools.groupby key function": "<key function> of itertools.groupby",
    "itertools.tee buffer": "<buffered items>[0] in itertools._tee_dataobject",
    "itertools.product": "[0] in tuple",
    "itertools.pairwise": "<previous item> of itertools.pairwise",
    "itertools.count": "<next value> of itertools.count",
    "operator.itemgetter": "[0] in tuple",
    "memoryview": ".obj of memoryview",
    "io.BufferedRWPair": ".raw of _io.BufferedReader",
    "itertools.repeat": "<object> of itertools.repeat",
    "operator.methodcaller": re.compile(
        r"<arguments>\[[01]\] in operator\.methodcaller"  # 3.13: after the name
    ),
    "functools.cmp_to_key": "<comparison function> of functools.KeyWrapper",
    "functools.cmp_to_key key": ".obj of functools.KeyWrapper",
    "super": ".__self__ of super",
    "io.TextIOWrapper buffer": ".buffer of _io.TextIOWrapper",
}

#: Shapes whose paths still hold a "<referent #k>" edge (types without
#: names yet): the README's figure counts them.
STILL_OPAQUE: set[str] = set()


def shape_report(name):
    marker = leak_shapes.marker_for(name)
    holder = leak_shapes.SHAPES[name](marker)
    try:
        return whyalive.explain(marker, max_paths=5).targets[0]
    finally:
        del holder


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(leak_shapes.SHAPES))
def test_leak_shape_is_named(name):
    target = shape_report(name)
    firsts = [p.edges[0].describe() for p in target.paths if p.edges]
    expected = EXPECTED[name]
    if isinstance(expected, re.Pattern):
        assert any(expected.fullmatch(line) for line in firsts), firsts
    elif expected is not None:
        assert expected in firsts
    opaque = [e.label for p in target.paths for e in p.edges if e.kind == "referent"]
    assert bool(opaque) == (name in STILL_OPAQUE), opaque


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_corpus_figure():
    # the README's figure: shapes and "<referent #k>" edges left
    assert set(EXPECTED) == set(leak_shapes.SHAPES)
    opaque = {
        name
        for name in leak_shapes.SHAPES
        if any(e.kind == "referent" for p in shape_report(name).paths for e in p.edges)
    }
    assert opaque == STILL_OPAQUE
    print(
        f"{len(leak_shapes.SHAPES) - len(opaque)} of {len(leak_shapes.SHAPES)} shapes"
    )


def test_lru_cache_key_is_named_as_the_cache_key():
    # a method's lru_cache keeps self in every key: "<cache key>"
    class Model:
        @functools.cache  # noqa: B019 - the leak itself
        def predict(self, x):
            return x

    model = Model()
    model.predict(1)
    labels = all_labels(model)
    assert "<cache key>" in labels
    del model


def test_thread_local_names_the_thread_that_owns_the_attributes():
    # a connection pool's threading.local: which worker keeps the connection
    local = threading.local()
    ready, done = threading.Event(), threading.Event()
    conn = leak_shapes.Marker()
    conn_id = id(conn)

    def work(conn=conn):
        local.conn = conn
        ready.set()
        done.wait(30)

    worker = threading.Thread(target=work, name="pool-worker-1")
    worker.start()
    del conn
    try:
        ready.wait(30)
        target = whyalive.explain_instances(leak_shapes.Marker, max_paths=5)
        target = next(t for t in target.targets if t.id == conn_id)
        firsts = [p.edges[0].describe() for p in target.paths if p.edges]
        assert "<attributes in thread 'pool-worker-1'>.conn of _thread._local" in firsts
    finally:
        done.set()
        worker.join()


class _Local(threading.local):
    pass


def test_python_subclasses_of_standard_types_are_named_as_their_base():
    """Plain classes (class statements over object alone) skip the
    standard types' checks; a class statement over a standard type must
    not: its instances are labelled as the base's."""
    marker = leak_shapes.Marker()
    local = type("Local2", (_Local,), {})()
    local.conn = marker
    firsts = {
        p.edges[0].describe()
        for p in whyalive.explain(marker, max_paths=10).targets[0].paths
        if p.edges
    }
    label = "<attributes in thread 'MainThread'>.conn of test_stdlib_names.Local2"
    assert label in firsts
    del local, marker


def test_context_variable_is_one_step_named_by_the_variable():
    # a request context copied into a long-lived task: the HAMT is folded
    current_request = contextvars.ContextVar("current_request")
    request = leak_shapes.Marker()
    ctx = contextvars.Context()
    ctx.run(current_request.set, request)
    target = whyalive.explain(request).targets[0]
    path = next(p for p in target.paths if p.edges)
    assert path.root.name == "ctx"
    assert [e.label for e in path.edges] == ["<value of ContextVar 'current_request'>"]
    assert path.edges[0].referrer_type == "_contextvars.Context"
    assert "hamt" not in str(whyalive.explain(request))
    del ctx


def test_future_and_task_fields_by_their_asyncio_names():
    async def scenario():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        first, second = leak_shapes.Marker(), leak_shapes.Marker()
        fut.add_done_callback(first)
        fut.add_done_callback(second)
        labels = {
            "first": all_labels(first),
            "second": all_labels(second),
        }
        fut.remove_done_callback(first)
        fut.remove_done_callback(second)
        held = leak_shapes.Marker()

        async def work(value):
            await asyncio.sleep(30)

        task = asyncio.ensure_future(work(held))
        await asyncio.sleep(0)
        labels["task"] = [
            e.describe()
            for p in whyalive.explain(held, max_paths=5).targets[0].paths
            for e in p.edges
        ]
        task.cancel()
        return labels

    labels = asyncio.run(scenario())
    assert "._callbacks[0][0]" in labels["first"]
    assert "._callbacks[1:]" in labels["second"]
    assert ".get_coro() of _asyncio.Task" in labels["task"]


class Hostile(leak_shapes.Marker):
    """A marker that records any call of its comparison or repr."""

    calls: ClassVar[list[str]] = []

    def __eq__(self, other):
        Hostile.calls.append("__eq__")
        return self is other

    def __hash__(self):
        Hostile.calls.append("__hash__")
        return id(self) >> 4

    def __repr__(self):
        Hostile.calls.append("__repr__")
        return "Hostile()"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_named_types_run_no_user_code_and_keep_no_reference():
    holders, markers = [], []
    for name, make in leak_shapes.SHAPES.items():
        if type(leak_shapes.marker_for(name)) is not leak_shapes.Marker:
            continue  # shapes that need a buffer, a number, an instance
        marker = Hostile()
        holders.append(make(marker))
        markers.append(marker)
    gc.collect()
    before = [sys.getrefcount(m) for m in markers]
    Hostile.calls.clear()
    report = whyalive.explain_instances(Hostile, max_paths=3, collect=False)
    text = str(report)
    assert Hostile.calls == []
    assert "Hostile()" not in text
    del report, text
    assert [sys.getrefcount(m) for m in markers] == before


def test_a_class_that_only_shares_a_name_is_not_read_as_one():
    # a Python class called _lru_cache_wrapper, in module functools,
    # holding a dict: not an lru_cache, so no "<cache>"
    fake = type("_lru_cache_wrapper", (), {"__module__": "functools"})()
    fake.table = {"k": leak_shapes.Marker()}
    labels = all_labels(fake.table["k"])
    assert not any("<cache" in label for label in labels)
    assert "['k']" in labels[0] or ".table['k']" in "".join(labels)
