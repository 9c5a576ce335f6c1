"""Heaps to benchmark on, shared by every benchmark script.

``build_heap(size, layout, seed, ...)`` fills the process with ``size``
background objects that the cyclic collector tracks, plus the fixtures the
questions ask about, all held from the globals of one module registered in
``sys.modules`` as :data:`MODULE_NAME` (so a module global is the root of
every fixture).  Only one heap lives in a process at a time; ``close()``
frees it.

Background objects cycle through three kinds, each exactly one GC object on
every CPython version and each holding two references to other background
objects: a ``__slots__`` instance (:class:`Node`), a two-key dict and a
two-item list.  They are held in lists of :data:`CHUNK` (``size / 1000``
extra lists).  Three layouts:

``ordered``
    objects allocated one after another; object *i* refers to objects
    *i - 1* and *i - 2*, so references point at neighbours in memory.
``fragmented``
    first ``2 * size`` junk blocks of the same allocator size classes are
    allocated and a random half of them freed, in random order; the real
    objects are then allocated into those holes, and each refers to two
    random other real objects.  The surviving junk blocks are ``bytes``
    (not tracked by the collector, so the count of GC objects stays
    ``size``); they keep the holes scattered.
``records``
    an application's cache instead: ``size / 2`` instances of a plain class
    (:class:`Record`: an int, a str and a one-item list as attributes, the
    list holding the record before it), all in one list, as a cache of
    rows is; the strs and ints are reached too (not tracked by the
    collector, as in a real application's heap).
``indexed``
    ``records``, and a dict indexing the rows by name (a str key each), as
    an application looks its rows up.

Fixtures (each optional):

``chain_<d>``
    a chain of ``d - 1`` linked ``__slots__`` nodes (:class:`Link`) under
    the global ``chain_<d>``, the last one holding a :class:`Target`: the
    retainer path is ``d`` references long, the module global's included.
``fan_in_<w>``
    one :class:`Target` inside ``w`` containers (lists, dicts, ``Node``
    attributes in turn) held by a list, the global ``fan_in_<w>``: the
    shortest path is 3 references long.
``leak_*``
    ``leaked`` instances of :class:`LeakedWidget` held from varied holders,
    in turn: a dict, a list, an attribute of a :class:`Holder`, a closure,
    a bound method, a deque and a set, each holder a module global.

The accessors (:meth:`Heap.chain_target`, :meth:`Heap.fan_in_target`,
:meth:`Heap.leaked_instances`) return fixtures without storing them
anywhere, so the caller decides what holds them while it asks.

Building is deterministic for a seed.  The collector is disabled while the
heap is built and enabled again afterwards; nothing is frozen.

Reuse from another script in this folder::

    from heaps import build_heap

    heap = build_heap(1_000_000, "fragmented", seed=0, leaked=200)
    try:
        ...  # heap.module, heap.gc_objects, heap.leaked_instances()
    finally:
        heap.close()
"""

from __future__ import annotations

import gc
import random
import sys
import time
import types
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = [
    "CHUNK",
    "LAYOUTS",
    "LEAK_HOLDERS",
    "MODULE_NAME",
    "Heap",
    "Holder",
    "LeakedWidget",
    "Link",
    "Node",
    "Target",
    "build_heap",
    "format_size",
    "parse_size",
]

#: Name of the module whose globals hold every fixture.
MODULE_NAME = "whyalive_bench_heap"
#: The heap layouts.
LAYOUTS = ("ordered", "fragmented", "records", "indexed")
#: Background objects per holding list.
CHUNK = 1000
#: Kinds of holders of leaked widgets, in the order instances are dealt.
LEAK_HOLDERS = ("dict", "list", "attribute", "closure", "bound method", "deque", "set")


class Node:
    """A background object with two references."""

    __slots__ = ("a", "b")

    def __init__(self, a: object, b: object) -> None:
        self.a = a
        self.b = b


class Record:
    """A row of the ``records`` layout: plain attributes, as most classes."""

    def __init__(self, number: int, previous: object) -> None:
        self.number = number
        self.name = f"record {number}"
        self.related = [previous]


class Link:
    """One node of a chain fixture."""

    __slots__ = ("nxt",)

    def __init__(self, nxt: object) -> None:
        self.nxt = nxt


class Target:
    """An object a question asks about; it refers to nothing."""

    __slots__ = ()


class LeakedWidget:
    """The class whose instances the ``leak_*`` fixture leaks."""

    def on_event(self) -> LeakedWidget:
        return self


class Holder:
    """Holds a leaked widget in an instance attribute."""

    def __init__(self, widget: LeakedWidget) -> None:
        self.widget = widget


def _closure_over(widget: LeakedWidget) -> Callable[[], LeakedWidget]:
    return lambda: widget


def parse_size(text: str) -> int:
    """``"100k"`` -> 100000, ``"1M"`` -> 1000000, ``"2500"`` -> 2500."""
    text = text.strip()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    number = text[:-1] if scale != 1 else text
    value = int(float(number.replace("_", "")) * scale)
    if value < 0:
        raise ValueError(f"a size must be >= 0, got {text!r}")
    return value


def format_size(n: int) -> str:
    """1000000 -> ``"1M"``, 100000 -> ``"100k"``."""
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 1_000 and n % 100 == 0:
        return f"{n / 1_000:g}k"
    return str(n)


@dataclass
class Heap:
    """A built heap: its module, how it was made, and its fixtures."""

    module: types.ModuleType
    size: int
    layout: str
    seed: int
    build_seconds: float
    chains: tuple[int, ...] = ()
    fan_ins: tuple[int, ...] = ()
    leaked: int = 0
    #: len(gc.get_objects()) right after the build (the whole process).
    gc_objects: int = 0
    notes: list[str] = field(default_factory=list)

    def chain_target(self, depth: int) -> Target:
        """The target at the end of chain ``depth`` (walked from its global)."""
        node = getattr(self.module, f"chain_{depth}")
        for _ in range(depth - 1):
            node = node.nxt
        return node

    def fan_in_target(self, width: int) -> Target:
        """The target of fan-in fixture ``width``."""
        return getattr(self.module, f"fan_in_{width}")[0][0]

    def leaked_instances(self) -> list[LeakedWidget]:
        """A new list of every live :class:`LeakedWidget`."""
        return [o for o in gc.get_objects() if type(o) is LeakedWidget]

    def close(self) -> None:
        """Frees the heap: the module leaves ``sys.modules``, its globals go."""
        if sys.modules.get(MODULE_NAME) is self.module:
            del sys.modules[MODULE_NAME]
        self.module.__dict__.clear()
        gc.collect()


def build_heap(
    size: int,
    layout: str = "ordered",
    seed: int = 0,
    *,
    chains: Iterable[int] = (),
    fan_ins: Iterable[int] = (),
    leaked: int = 0,
) -> Heap:
    """Builds ``size`` background GC objects in ``layout`` plus fixtures.

    ``chains``: depths of chain fixtures; ``fan_ins``: widths of fan-in
    fixtures; ``leaked``: how many :class:`LeakedWidget` instances to leak.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if MODULE_NAME in sys.modules:
        raise RuntimeError(f"a heap is already built ({MODULE_NAME} is imported)")
    chains = tuple(sorted(set(chains)))
    fan_ins = tuple(sorted(set(fan_ins)))
    if any(d < 1 for d in chains) or any(w < 1 for w in fan_ins) or leaked < 0:
        raise ValueError("chain depths and fan-in widths must be >= 1, leaked >= 0")

    module = types.ModuleType(MODULE_NAME, "Objects built for whyalive's benchmarks.")
    rng = random.Random(seed)
    was_enabled = gc.isenabled()
    gc.disable()
    start = time.perf_counter()
    try:
        if layout == "ordered":
            objs = _ordered(size)
        elif layout in ("records", "indexed"):
            objs = _records(size)
            if layout == "indexed":
                # the cache's rows by name too: a dict of str keys
                module.by_name = {row.name: row for row in objs}
        else:
            objs, junk = _fragmented(size, rng)
            module._junk = junk
        # a cache holds its rows in one list; the others in chunks
        module.background = (
            [objs]
            if layout in ("records", "indexed")
            else [objs[i : i + CHUNK] for i in range(0, size, CHUNK)]
        )
        del objs
        for depth in chains:
            _add_chain(module, depth)
        for width in fan_ins:
            _add_fan_in(module, width)
        _add_leaked(module, leaked)
        sys.modules[MODULE_NAME] = module
    finally:
        if was_enabled:
            gc.enable()
    build_seconds = time.perf_counter() - start
    gc.collect()
    heap = Heap(module, size, layout, seed, build_seconds, chains, fan_ins, leaked)
    heap.gc_objects = len(gc.get_objects())
    return heap


def _make(kind: int, a: object, b: object) -> object:
    if kind == 0:
        return Node(a, b)
    if kind == 1:
        return {"a": a, "b": b}
    return [a, b]


def _ordered(size: int) -> list:
    objs: list = []
    append = objs.append
    prev = prev2 = None
    for i in range(size):
        obj = _make(i % 3, prev, prev2)
        append(obj)
        prev2, prev = prev, obj
    return objs


def _records(size: int) -> list:
    """``size`` GC objects: a Record and its list each."""
    objs: list = []
    previous = None
    for i in range(size // 2):
        previous = Record(i, previous)
        objs.append(previous)
    return objs


def _junk_lengths() -> tuple[int, int, int]:
    """bytes lengths whose blocks fall in the size class of each kind."""
    empty_bytes = sys.getsizeof(b"")  # header, one byte for the trailing NUL
    protos = (Node(None, None), {}, [])
    return tuple(max(sys.getsizeof(p) - empty_bytes, 2) for p in protos)


def _fragmented(size: int, rng: random.Random) -> tuple[list, tuple]:
    lengths = _junk_lengths()
    # 2 junk blocks per real object, in the real objects' kind order, so a
    # freed block is a hole of the right size class
    junk: list = [bytes(lengths[(i // 2) % 3]) for i in range(2 * size)]
    order = list(range(2 * size))
    rng.shuffle(order)
    for i in order[:size]:
        junk[i] = None
    del order
    survivors = tuple(b for b in junk if b is not None)
    del junk
    objs = [_make(i % 3, None, None) for i in range(size)]
    rand = rng.random
    for obj in objs:
        a = objs[int(rand() * size)]
        b = objs[int(rand() * size)]
        if type(obj) is Node:
            obj.a = a
            obj.b = b
        elif type(obj) is dict:
            obj["a"] = a
            obj["b"] = b
        else:
            obj[0] = a
            obj[1] = b
    return objs, survivors


def _add_chain(module: types.ModuleType, depth: int) -> None:
    node: object = Target()
    for _ in range(depth - 1):
        node = Link(node)
    setattr(module, f"chain_{depth}", node)


def _add_fan_in(module: types.ModuleType, width: int) -> None:
    target = Target()
    holders: list = []
    for i in range(width):
        kind = i % 3
        if kind == 0:
            holders.append([target])
        elif kind == 1:
            holders.append({"target": target})
        else:
            holders.append(Node(target, None))
    setattr(module, f"fan_in_{width}", holders)


def _add_leaked(module: types.ModuleType, count: int) -> None:
    module.LeakedWidget = LeakedWidget
    module.leak_dict = {}
    module.leak_list = []
    module.leak_holders = []
    module.leak_callbacks = []
    module.leak_methods = []
    module.leak_deque = deque()
    module.leak_set = set()
    for i in range(count):
        widget = LeakedWidget()
        kind = LEAK_HOLDERS[i % len(LEAK_HOLDERS)]
        if kind == "dict":
            module.leak_dict[f"w{i}"] = widget
        elif kind == "list":
            module.leak_list.append(widget)
        elif kind == "attribute":
            module.leak_holders.append(Holder(widget))
        elif kind == "closure":
            module.leak_callbacks.append(_closure_over(widget))
        elif kind == "bound method":
            module.leak_methods.append(widget.on_event)
        elif kind == "deque":
            module.leak_deque.append(widget)
        else:
            module.leak_set.add(widget)
