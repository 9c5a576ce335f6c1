"""A corpus of leak shapes: the stdlib's C types holding an object.

Each shape makes a holder of one C type that keeps ``marker`` alive, as
a program does in the field (issue 11's reports); the holder itself is
kept by the caller.  ``tests/core/test_stdlib_names.py`` explains each
marker and counts the references still labelled ``<referent #k>``; the
README quotes the figure.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import io
import itertools
import operator
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any


def _lru_unbounded(marker):
    @functools.cache
    def lookup(key):
        return marker

    lookup(1)
    return lookup


def _lru_bounded(marker):
    @functools.lru_cache(maxsize=8)
    def lookup(key, *, flag=False):
        return marker

    lookup("k", flag=True)
    return lookup


def _lru_key(marker):
    @functools.cache
    def lookup(key):
        return 1

    lookup(marker)
    return lookup


def _thread_local(marker):
    local = threading.local()
    local.conn = marker
    return local


def _context(marker):
    var = contextvars.ContextVar("current_request")
    ctx = contextvars.Context()
    ctx.run(var.set, marker)
    return (ctx, var)


def _context_many(marker):
    # enough variables that the HAMT has array and bitmap nodes inside
    names = [contextvars.ContextVar(f"v{i}") for i in range(40)]
    ctx = contextvars.Context()
    for i, var in enumerate(names):
        ctx.run(var.set, marker if i == 17 else i)
    return (ctx, names)


def _future(attribute):
    def make(marker):
        loop = asyncio.new_event_loop()
        fut = loop.create_future()
        if attribute == "result":
            fut.set_result(marker)
        elif attribute == "exception":
            fut.set_exception(ValueError(marker))
        else:
            for _ in range(2 if attribute == "callbacks" else 1):
                fut.add_done_callback(functools.partial(print, marker))
        loop.close()
        return fut

    return make


def _task(marker):
    async def work(value):
        return value

    loop = asyncio.new_event_loop()
    task = loop.create_task(work(marker))
    loop.close()
    return task


class _Ref:
    pass


def _cmp(a, b):
    return 0


def _tee(marker):
    first, second = itertools.tee([marker, 1])
    next(first)
    return second


def _product(marker):
    product = itertools.product([marker], [1])
    return product


def _pairwise(marker):
    pairs = itertools.pairwise([0, marker, 2])
    next(pairs)
    return pairs


SHAPES: dict[str, Callable[[Any], Any]] = {
    "lru_cache (maxsize=None)": _lru_unbounded,
    "lru_cache (maxsize=8)": _lru_bounded,
    "lru_cache key": _lru_key,
    "threading.local": _thread_local,
    "contextvars.Context": _context,
    "contextvars.Context (40 variables)": _context_many,
    "asyncio.Future result": _future("result"),
    "asyncio.Future exception": _future("exception"),
    "asyncio.Future callback": _future("callback"),
    "asyncio.Future callbacks": _future("callbacks"),
    "asyncio.Task coroutine": _task,
    "functools.partial": lambda m: functools.partial(print, m),
    "functools.partial keyword": lambda m: functools.partial(print, sep=m),
    "property": lambda m: property(m),
    "classmethod": lambda m: classmethod(m),
    "staticmethod": lambda m: staticmethod(m),
    "collections.OrderedDict": lambda m: collections.OrderedDict(k=m),
    "collections.defaultdict factory": lambda m: collections.defaultdict(m),
    "collections.deque": lambda m: collections.deque([m]),
    "types.MappingProxyType": lambda m: types.MappingProxyType({"k": m}),
    "types.SimpleNamespace": lambda m: types.SimpleNamespace(k=m),
    "types.MethodType": lambda m: types.MethodType(print, m),
    "weakref callback": lambda m: (weakref.ref(_REF, m), _REF),
    "map": lambda m: map(m, [1]),
    "map iterable": lambda m: map(print, m),
    "filter": lambda m: filter(m, [1]),
    "zip": lambda m: zip(m, [1], strict=False),
    "enumerate": lambda m: enumerate(m),
    "reversed": lambda m: reversed(m),
    "iter(list)": lambda m: iter(m),
    "iter(callable, sentinel)": lambda m: iter(m, None),
    "itertools.chain": lambda m: itertools.chain(m),
    "itertools.cycle": lambda m: itertools.cycle(m),
    "itertools.islice": lambda m: itertools.islice(m, 3),
    "itertools.starmap": lambda m: itertools.starmap(m, []),
    "itertools.takewhile": lambda m: itertools.takewhile(m, []),
    "itertools.accumulate": lambda m: itertools.accumulate(m),
    "itertools.repeat": lambda m: itertools.repeat(m),
    "operator.methodcaller": lambda m: operator.methodcaller("f", m),
    "functools.cmp_to_key": lambda m: functools.cmp_to_key(m),
    "functools.cmp_to_key key": lambda m: functools.cmp_to_key(_cmp)(m),
    "itertools.accumulate function": lambda m: itertools.accumulate([], m),
    "itertools.accumulate initial": lambda m: itertools.accumulate([], initial=m),
    "itertools.groupby key function": lambda m: itertools.groupby([], m),
    "itertools.tee buffer": _tee,
    "itertools.product": _product,
    "itertools.pairwise": _pairwise,
    "itertools.count": lambda m: itertools.count(m, 1.5),
    "operator.itemgetter": lambda m: operator.itemgetter(m, 1),
    "memoryview": lambda m: memoryview(m),
    "io.BufferedRWPair": lambda m: io.BufferedRWPair(m, io.BytesIO()),
    "super": lambda m: super(_Ref, m),
    "io.TextIOWrapper buffer": lambda m: io.TextIOWrapper(m),
}

_REF = _Ref()


class Marker(list):
    """What the shapes hold: callable, iterable, a buffer for io."""

    __hash__ = object.__hash__

    def __call__(self, *args):
        return None


class BufferMarker(io.BytesIO):
    """A marker io.TextIOWrapper accepts as its buffer."""


class BytesMarker(bytearray):
    """A marker memoryview accepts as its exporter."""

    __hash__ = object.__hash__


class NumberMarker(float):
    """A marker itertools.count accepts as its start."""


def marker_for(name: str) -> Any:
    if name in ("io.TextIOWrapper buffer", "io.BufferedRWPair"):
        return BufferMarker()
    if name == "memoryview":
        return BytesMarker(b"data")
    if name == "itertools.count":
        return NumberMarker(0.5)
    if name == "super":
        return _Ref()
    return Marker()
