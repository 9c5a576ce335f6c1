"""A slow, pure-Python reference for whyalive's retainer search.

The C core and this module must agree, on the same heap, about the
first retainer path of a target: its length and the kind of its root
(``tests/core/test_oracle_agreement.py`` checks that on generated
graphs).  This module answers from ``gc.get_referrers``, one heap scan
per step outward, and implements the rules below directly.

**Length.**  A path's length counts the references from its root down
to the target, the root's own reference included.  A reference into an
object's internal container weighs 0, as a person writes the two as
one step: an object -> its ``__dict__`` (instances, classes, functions,
modules, exceptions...), a function -> its ``__closure__``,
``__defaults__`` or ``__kwdefaults__``, an exception -> its ``args``, a
``functools.partial`` -> its ``args`` or ``keywords``, a code object ->
its ``co_consts`` or ``co_names``, and any reference into a cell.  Every
other reference weighs 1.  So ``app.REG.items[3]`` has length 3 on every
Python version, whether ``REG`` keeps its attributes inline or in a dict.

**Roots**, preferred in this order when paths are equally long:

1. ``module``: the ``__dict__`` of every module in ``sys.modules``
   (whyalive's own excepted) is a source at distance 0, so a global
   holding the target directly gives length 1;
2. ``frame``: the variables (locals, cells, free variables) of every
   frame of every thread, and a frame's locals mapping when it has one,
   are at distance 1; frames running code from this file or from the
   installed ``whyalive`` package are never roots;
3. ``external``: when no module or frame reaches the target, every
   object no root reaches whose refcount exceeds the references the
   graph shows (other objects' references and frame variables) is held
   from outside the object graph, at distance 1.  The target itself
   counts as held from outside whenever its refcount says so, reached
   or not.  Objects no root reaches are also never crossed on the way
   from such an external holder: the outside search starts and runs
   among them only.

The shortest path is a 0-1 breadth-first search: here it runs backward
from the target over ``gc.get_referrers`` until it has the target's
whole set of retainers (it does not climb above module dictionaries,
which are sources), then forward from the roots over that set.  Weak
references never retain: ``gc.get_referrers`` does not return them.

When nothing holds the target, the answer is ``garbage`` if the target
lies on a reference cycle or hangs off one, else ``excluded`` (nothing
but the caller holds it; length 0).  A garbage path, counted as above,
is the lightest cycle through the target when it lies on one; else the
chain out to the nearest object on a cycle, then the lightest cycle
through that object (the nearest first, the lightest cycle among equally
near ones).

**What the oracle does not model**, so the generated graphs stay clear
of it: thread-state roots (exceptions being handled, thread-local
dicts, context); a frame's function object as a root; suspended
generators' frames as anything but ordinary objects; containers the
collector does not track (an atomic tuple or dict is invisible to
``gc.get_referrers``: every generated container holds a tracked object);
and objects frozen with ``gc.freeze()``.  Frame variables are read
through ``frame.f_locals``: on 3.13+ a live proxy, on 3.10-3.12 a
snapshot dict that CPython keeps on the frame.  That snapshot is itself
the frame's locals mapping (a root at distance 1), so it only ever adds
paths one reference longer than the variable's own.  A cell held in a
frame variable is seen through its content, which is at distance 1
either way.

**The oracle is no retainer**: it holds the objects it visits in one
list, whose references it counts, and skips its own containers and
frames when it meets them as referrers.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import heapq
import importlib.util
import os
import sys
import sysconfig
import types
from dataclasses import dataclass

__all__ = ["KINDS", "Answer", "first_path"]

#: Root kinds, in the order the core lists paths of equal length.
KINDS = ("module", "frame", "thread", "external", "garbage", "excluded")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

#: Explored objects beyond which the oracle gives up (a heap-wide walk).
MAX_NODES = 50_000

_OWN_FILE = os.path.abspath(__file__)
_spec = importlib.util.find_spec("whyalive")
_TOOL_PREFIX = (
    os.path.dirname(os.path.abspath(_spec.origin)) + os.sep
    if _spec is not None and _spec.origin
    else None
)
del _spec

_PTR = ctypes.sizeof(ctypes.c_void_p)
_FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
# words before an object up to its managed dict: no GC header on 3.13t
_DICT_BEFORE = 1 if _FREE_THREADED else 3
_MANAGED_DICT = 1 << 4  # Py_TPFLAGS_MANAGED_DICT, 3.11+
_IMMORTAL = 1 << 29  # refcounts this high are immortal or static objects
_MODULE_DICT = types.ModuleType.__dict__["__dict__"]


@dataclass(frozen=True)
class Answer:
    """The first path of a target, as the oracle sees it."""

    length: int
    kind: str
    #: objects the backward search visited (the target included)
    explored: int

    def __str__(self) -> str:
        return f"length {self.length}, root {self.kind!r}"


def first_path(box: list) -> Answer:
    """The length and root kind of the target's shortest retainer path.

    ``box`` is a one-element list holding the target: the oracle takes
    the target out for the duration of the search (so that neither the
    box nor a variable of the caller adds a reference the search would
    have to explain away) and puts it back before returning.
    """
    objs = [box.pop()]
    try:
        return _first_path(objs)
    finally:
        box.append(objs[0])
        del objs[:]


# ----------------------------------------------------------------------
# The search


def _first_path(objs: list) -> Answer:
    own = {id(objs)}
    frame_held, slot_refs = _scan_frames()
    sources, excluded = _module_dicts()
    retainers, shown = _explore(objs, own, sources, excluded)
    unseen = _unseen(objs, shown, slot_refs)
    n = len(objs)
    # what each explored object is held by as a root (cost, rank)
    seeds = {}
    for i in range(n):
        address = id(objs[i])
        if address in sources:
            seeds[i] = (0, _RANK["module"])
        elif address in frame_held:
            cost = 0 if type(objs[i]) is types.CellType else 1
            seeds[i] = (cost, _RANK["frame"])
    holds = [[] for _ in range(n)]  # forward: i holds (j, weight)
    for j in range(n):
        for i, weight in retainers[j].items():
            holds[i].append((j, weight))

    reached = _dijkstra(holds, seeds)  # node -> (distance, rank)
    candidates = []
    if 0 in seeds:
        candidates.append(seeds[0])
    if unseen[0] > 0:
        candidates.append((1, _RANK["external"]))
    outside = _dijkstra(
        holds,
        {
            i: (1, _RANK["external"])
            for i in range(n)
            if i not in reached and unseen[i] > 0
        },
        allowed=lambda i: i not in reached,
    )
    for i, weight in retainers[0].items():
        if i == 0:
            continue
        if i in reached:
            distance, rank = reached[i]
            candidates.append((distance + weight, rank))
        elif i in outside:
            candidates.append((outside[i][0] + weight, _RANK["external"]))
    if candidates:
        length, rank = min(candidates)
        return Answer(length, KINDS[rank], n)
    return _unrooted(holds, retainers, n)


def _dijkstra(holds, seeds, allowed=None):
    """Lexicographic (distance, root rank) from the seeds, forward."""
    best = {}
    heap = [(cost, rank, i) for i, (cost, rank) in seeds.items()]
    heapq.heapify(heap)
    while heap:
        cost, rank, i = heapq.heappop(heap)
        if i in best:
            continue
        best[i] = (cost, rank)
        for j, weight in holds[i]:
            if j not in best and (allowed is None or allowed(j)):
                heapq.heappush(heap, (cost + weight, rank, j))
    return best


def _unrooted(holds, retainers, n) -> Answer:
    """No root, no outside holder: cyclic garbage, or nothing at all."""
    cycle = _shortest_cycle(holds, 0)
    if cycle is not None:
        return Answer(cycle, "garbage", n)
    # the target hangs off garbage: the nearest object on a cycle
    down = _dijkstra([list(r.items()) for r in retainers], {0: (0, 0)})
    best = None
    for c in range(1, n):
        cycle = _shortest_cycle(holds, c) if c in down else None
        if cycle is not None and (best is None or (down[c][0], cycle) < best):
            best = (down[c][0], cycle)
    if best is None:
        return Answer(0, "excluded", n)
    return Answer(best[0] + best[1], "garbage", n)


def _shortest_cycle(holds, start):
    """Weight of the lightest cycle through start, or None."""
    found = None
    dist = _dijkstra(holds, {start: (0, 0)})
    for i, (cost, _) in dist.items():
        for j, weight in holds[i]:
            if j == start:
                total = cost + weight
                found = total if found is None else min(found, total)
    return found


# ----------------------------------------------------------------------
# The heap, read without changing it


def _explore(objs, own, sources, excluded):
    """Every retainer of objs[0], transitively, appended to objs.

    Returns, per object, {retainer index: reference weight}, and per
    object the number of references to it the collector shows: those of
    its retainers, and those of whyalive's module dictionaries, which
    count but never retain.
    """
    index = {id(objs[0]): 0}
    retainers = [{}]
    shown = [0]
    frontier = [0]
    while frontier:
        batch = []
        for i in frontier:
            batch.append(objs[i])
        batch = tuple(batch)
        own.add(id(batch))
        where = {id(batch[k]): frontier[k] for k in range(len(batch))}
        found = gc.get_referrers(*batch)
        own.add(id(found))
        frontier = []
        r = None
        for r in found:
            if id(r) in own or _is_own_frame(r):
                continue
            referents = gc.get_referents(r)
            counts = {}
            for m in range(len(referents)):
                k = where.get(id(referents[m]))
                if k is not None:
                    counts[k] = counts.get(k, 0) + 1
            del referents
            for k, count in counts.items():
                shown[k] += count
            if id(r) in excluded:
                continue
            u = index.get(id(r))
            if u is None:
                u = len(objs)
                if u >= MAX_NODES:
                    raise RuntimeError(
                        f"oracle: more than {MAX_NODES} retainers; "
                        "the graph reaches the whole heap"
                    )
                objs.append(r)
                index[id(r)] = u
                retainers.append({})
                shown.append(0)
                if id(r) not in sources:
                    frontier.append(u)
            for k in counts:
                retainers[k][u] = _weight(r, objs[k])
        del found, batch, r
    return retainers, shown


def _unseen(objs, shown, slot_refs):
    """References to each object that the graph does not show.

    shown[i] counts the references of the objects that hold objs[i];
    frame variables are added from slot_refs, and objs' own reference
    is the calibrated one.  -1 for immortal objects.
    """
    counts = _refcounts(objs)
    unseen = []
    for i in range(len(objs)):
        rc = counts[i] - _BIAS
        if rc >= _IMMORTAL:
            unseen.append(-1)
            continue
        seen = 1 + shown[i] + slot_refs.get(id(objs[i]), 0)
        unseen.append(max(rc - seen, 0))
    return unseen


def _refcounts(objs):
    """sys.getrefcount of every item; _BIAS is what the call itself adds.

    The free-threaded build counts one more for an object it defers
    (functions, classes, modules, code: bit 64 of ``ob_gc_bits``, the
    byte at offset 11 of its header), which no reference stands for.
    """
    counts = []
    for i in range(len(objs)):
        count = sys.getrefcount(objs[i])
        if _FREE_THREADED and ctypes.c_uint8.from_address(id(objs[i]) + 11).value & 64:
            count -= 1
        counts.append(count)
    return counts


class _Probe:
    pass


# the reading for an object held by one list only, minus 1
_BIAS = _refcounts([_Probe()])[0] - 1


def _scan_frames():
    """Frame roots: {id: True} of what frames hold, {id: slot references}.

    The first maps every value of a frame variable, and every frame's
    locals mapping, of the frames that are roots.  The second counts,
    per object, the fast-local slots of every frame that hold it
    directly (cells hold their contents, and a cell's references are
    visible to the collector).
    """
    held = {}
    slots = {}
    frames = list(sys._current_frames().values())
    for k in range(len(frames)):
        frame = frames[k]
        while frame is not None:
            code = frame.f_code
            if not _is_own_code(code):
                _scan_frame(frame, code, held, slots)
            frame = frame.f_back
    return held, slots


def _scan_frame(frame, code, held, slots):
    optimized = code.co_flags & 0x1  # CO_OPTIMIZED: fast locals
    plain = set(code.co_varnames) - set(code.co_cellvars) if optimized else set()
    mapping = frame.f_locals
    if isinstance(mapping, dict):
        held[id(mapping)] = True
    items = list(mapping.items())
    del mapping
    for k in range(len(items)):
        name = items[k][0]
        address = id(items[k][1])
        held[address] = True
        if name in plain:
            slots[address] = slots.get(address, 0) + 1
    del items


def _is_own_code(code) -> bool:
    filename = code.co_filename
    if not isinstance(filename, str):
        return False
    if os.path.abspath(filename) == _OWN_FILE:
        return True
    return _TOOL_PREFIX is not None and filename.startswith(_TOOL_PREFIX)


def _is_own_frame(obj) -> bool:
    return type(obj) is types.FrameType and _is_own_code(obj.f_code)


def _module_dicts():
    """ids of module dictionaries: the sources, and whyalive's own."""
    sources, excluded = set(), set()
    modules = list(sys.modules.items())
    for k in range(len(modules)):
        name, module = modules[k]
        if isinstance(module, types.ModuleType):
            address = id(_MODULE_DICT.__get__(module))
            if isinstance(name, str) and name.split(".")[0] == "whyalive":
                excluded.add(address)
            else:
                sources.add(address)
    del modules[:]
    return sources, excluded


# ----------------------------------------------------------------------
# Which references are internal (weight 0)

_FUNCTION_PARTS = tuple(
    types.FunctionType.__dict__[name]
    for name in ("__closure__", "__defaults__", "__kwdefaults__")
)
_EXCEPTION_ARGS = BaseException.__dict__["args"]
_PARTIAL_PARTS = (functools.partial.args, functools.partial.keywords)
_CODE_PARTS = (types.CodeType.co_consts, types.CodeType.co_names)


def _weight(referrer, referent) -> int:
    """0 for a reference into referrer's own internal container, else 1."""
    if type(referent) is types.CellType:
        return 0
    if id(referent) == _owned_dict_address(referrer):
        return 0
    tp = type(referrer)
    if issubclass(tp, types.FunctionType):
        parts = _FUNCTION_PARTS
    elif issubclass(tp, BaseException):
        parts = (_EXCEPTION_ARGS,)
    elif issubclass(tp, functools.partial):
        parts = _PARTIAL_PARTS
    elif issubclass(tp, types.CodeType):
        parts = _CODE_PARTS
    else:
        return 1
    for part in parts:
        if part.__get__(referrer) is referent:
            return 0
    return 1


def _owned_dict_address(obj) -> int:
    """The address of obj's own ``__dict__``, 0 if it has none yet.

    Read from the object's memory, because asking for ``obj.__dict__``
    would create a dict that the object keeps inline until then.
    """
    tp = type(obj)
    if sys.version_info >= (3, 11) and tp.__flags__ & _MANAGED_DICT:
        # before the object: the dict, then (default build) the GC header
        word = ctypes.c_size_t.from_address(id(obj) - _DICT_BEFORE * _PTR).value
        if sys.version_info[:2] == (3, 12) and word & 1:
            return 0  # tagged pointer to inline values: no dict
        return word
    offset = tp.__dictoffset__
    if offset > 0:
        return ctypes.c_size_t.from_address(id(obj) + offset).value
    return 0  # variable-size types keep it at a negative offset: not modelled


def _self_check() -> None:
    """The memory reads above agree with what Python says."""

    class Probe:
        pass

    inline = Probe()
    inline.a = 1
    if sys.version_info >= (3, 11) and _owned_dict_address(inline) != 0:
        raise ImportError("oracle: cannot read managed dicts on this Python")
    inline.__dict__  # noqa: B018  (materializes it)
    function = _self_check
    module = sys.modules[__name__]
    for obj in (inline, function, module, Probe):
        mapping = (
            obj.__dict__
            if not isinstance(obj, type)
            else gc.get_referents(obj.__dict__)[0]
        )
        if _owned_dict_address(obj) != id(mapping):
            raise ImportError(f"oracle: cannot read the __dict__ of {type(obj)}")


_self_check()
