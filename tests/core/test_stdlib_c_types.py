"""Every C type of the stdlib that holds references, walked (issue 11:
"a test walks every C type in the stdlib that holds references and
reports how many edges stay <referent #k>").

The types are those the collector tracks (they hold references) that C
code defines: the builtins' and those of the stdlib's extension modules,
found as subclasses of object.  Each gets instances: made here by a
table of makers (every type issue 11 names, in the states that fill
their fields: accumulate with and without a function, groupby in the
middle of a group, ...), and whatever the process already holds.  Every
reference each instance's tp_traverse visits is labelled by the core
(``_core.graph_labels``); the figure is how many stay "<referent #k>".

For the types issue 11 names, the figure must be none, on 3.10 to 3.15
(their traversal orders and fields differ by version).  The figure over
all the types is printed (``pytest -s``) and quoted in the README.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextvars
import functools
import gc
import importlib
import io
import itertools
import operator
import re
import sys
import threading
import types

import pytest

from whyalive import _core

HAVE_GC = 1 << 14
HEAPTYPE = 1 << 9
IMMUTABLETYPE = 1 << 8  # C types made from specs; never a class statement


class Item:
    """A plain object to fill fields with."""


def call(*args, **kwargs):
    return None


def after(iterator, steps):
    for _ in range(steps):
        next(iterator, None)
    return iterator


def _groupby_in_a_group():
    groups = itertools.groupby([(Item(),), (Item(),)], operator.itemgetter(0))
    _key, group = next(groups)
    after(group, 2)  # the group's item, then its end: the next key is read
    return groups, group


def _tee_copies():
    first, second = itertools.tee([Item() for _ in range(60)])
    after(first, 60)  # two buffers, the first linked to the next
    return first, second


def _text_stream():
    stream = io.TextIOWrapper(io.BytesIO(b"a\nb\n"), encoding="utf-8", newline="")
    stream.readline()
    return stream


def _writing_text_stream():
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=False)
    stream.write("pending")
    return stream


class _Local(threading.local):
    def __init__(self, *args, **kwargs):
        self.args = args


class _WithProperty:
    @property
    def value(self):
        return 1


def _lru(maxsize):
    cached = functools.lru_cache(maxsize=maxsize)(call)
    for i in range(3):
        cached(i, k=Item())
    return cached


def _future():
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    future.add_done_callback(call)
    future.add_done_callback(call)
    future.set_result(Item())
    loop.close()
    return future


def _context():
    var = contextvars.ContextVar("request")
    context = contextvars.copy_context()
    context.run(var.set, Item())
    return context


#: Makers of the types issue 11 names, by "module.name" as the type
#: says it; each instance in the states that fill its fields.
ISSUE_TYPES = {
    "builtins.map": [lambda: map(call, [Item()], [Item()])],
    "builtins.filter": [lambda: filter(call, [Item()])],
    "builtins.zip": [lambda: after(zip([Item()] * 2, [Item()] * 2, strict=False), 1)],
    "builtins.enumerate": [lambda: after(enumerate([Item()] * 2), 1)],
    "builtins.reversed": [lambda: reversed((Item(),))],
    "builtins.property": [
        lambda: property(call, call, call, "doc"),
        lambda: _WithProperty.__dict__["value"],
    ],
    "builtins.classmethod": [lambda: classmethod(call)],
    "builtins.staticmethod": [lambda: staticmethod(call)],
    "builtins.memoryview": [
        lambda: memoryview(bytearray(b"data")),
        lambda: memoryview(array.array("b", [1, 2]))[::2],
    ],
    "builtins.managedbuffer": [
        lambda: next(
            r
            for r in gc.get_referents(memoryview(bytearray(b"x")))
            if type(r).__name__ == "managedbuffer"
        )
    ],
    "builtins.mappingproxy": [lambda: types.MappingProxyType({"k": Item()})],
    "collections.OrderedDict": [lambda: collections.OrderedDict(k=Item())],
    "collections.defaultdict": [lambda: collections.defaultdict(list, k=Item())],
    "collections.deque": [lambda: collections.deque([Item(), Item()], maxlen=5)],
    "functools.KeyWrapper": [
        lambda: functools.cmp_to_key(call),
        lambda: functools.cmp_to_key(call)(Item()),
    ],
    "functools.partial": [lambda: functools.partial(call, Item(), k=Item())],
    "functools._lru_cache_wrapper": [lambda: _lru(None), lambda: _lru(2)],
    "_asyncio.Future": [_future],
    "_contextvars.Context": [_context],
    "itertools.accumulate": [
        lambda: itertools.accumulate([Item()]),
        lambda: after(itertools.accumulate([Item(), Item()]), 1),
        lambda: itertools.accumulate([Item()], call, initial=Item()),
        lambda: after(itertools.accumulate([1, 2], operator.add, initial=0), 2),
    ],
    "itertools.batched": [lambda: itertools.batched([Item()], 1)],
    "itertools.chain": [
        lambda: itertools.chain([Item()], [Item()]),
        lambda: after(itertools.chain([Item()], [Item()]), 1),
    ],
    "itertools.combinations": [
        lambda: itertools.combinations([Item(), Item()], 1),
        lambda: after(itertools.combinations([Item(), Item()], 1), 1),
    ],
    "itertools.combinations_with_replacement": [
        lambda: after(itertools.combinations_with_replacement([Item()], 2), 1)
    ],
    "itertools.compress": [lambda: itertools.compress([Item()], [1])],
    "itertools.count": [
        lambda: itertools.count(),
        lambda: itertools.count(0.5, 1.5),
        lambda: itertools.count(10**30),
    ],
    "itertools.cycle": [lambda: after(itertools.cycle([Item()]), 2)],
    "itertools.dropwhile": [lambda: itertools.dropwhile(call, [Item()])],
    "itertools.filterfalse": [lambda: itertools.filterfalse(call, [Item()])],
    "itertools.groupby": [
        lambda: itertools.groupby([Item()], call),
        lambda: _groupby_in_a_group()[0],
    ],
    "itertools._grouper": [lambda: _groupby_in_a_group()[1]],
    "itertools.islice": [lambda: itertools.islice([Item()], 1)],
    "itertools.pairwise": [lambda: after(itertools.pairwise([Item()] * 3), 1)],
    "itertools.permutations": [
        lambda: after(itertools.permutations([Item(), Item()], 1), 1)
    ],
    "itertools.product": [lambda: after(itertools.product([Item()], [Item()]), 1)],
    "itertools.repeat": [lambda: itertools.repeat(Item(), 3)],
    "itertools.starmap": [lambda: itertools.starmap(call, [(Item(),)])],
    "itertools.takewhile": [lambda: itertools.takewhile(call, [Item()])],
    "itertools._tee": [lambda: _tee_copies()[0], lambda: _tee_copies()[1]],
    "itertools._tee_dataobject": [
        lambda: next(
            r
            for r in gc.get_referents(_tee_copies()[1])
            if type(r).__name__ == "_tee_dataobject"
        )
    ],
    "itertools.zip_longest": [
        lambda: itertools.zip_longest([Item()], [Item()], fillvalue=Item())
    ],
    "operator.attrgetter": [lambda: operator.attrgetter("a", "b.c")],
    "operator.itemgetter": [lambda: operator.itemgetter(0, 1)],
    "operator.methodcaller": [lambda: operator.methodcaller("m", Item(), k=Item())],
    "re.Pattern": [lambda: re.compile(r"(?P<a>x)(y)"), lambda: re.compile(b"x")],
    "re.Match": [lambda: re.match(r"(?P<a>x)", "xx")],
    "_sre.SRE_Scanner": [lambda: re.compile("x").scanner("xx")],
    "_thread._local": [
        lambda: threading.local(),
        lambda: _Local(Item(), k=Item()),
    ],
    "_io.BytesIO": [lambda: io.BytesIO(b"data")],
    "_io.StringIO": [
        lambda: io.StringIO("a\r\nb", newline=None),
        lambda: io.StringIO("a", newline="\r\n"),
    ],
    "_io.BufferedReader": [lambda: io.BufferedReader(io.BytesIO(b"x"))],
    "_io.BufferedWriter": [lambda: io.BufferedWriter(io.BytesIO())],
    "_io.BufferedRandom": [lambda: io.BufferedRandom(io.BytesIO())],
    "_io.BufferedRWPair": [lambda: io.BufferedRWPair(io.BytesIO(), io.BytesIO())],
    "_io.IncrementalNewlineDecoder": [
        lambda: io.IncrementalNewlineDecoder(None, True),
        lambda: io.IncrementalNewlineDecoder(Item(), True, errors="strict"),
    ],
    "_io.TextIOWrapper": [_text_stream, _writing_text_stream],
}


def type_key(tp):
    return f"{tp.__module__}.{tp.__qualname__}"


def stdlib_c_types():
    """The GC-tracked types C code defines among the imported modules:
    static types, and heap types made from C specs (immutable)."""
    # keyed by id: a metaclass's __eq__ or __hash__ may warn (3.14's
    # deprecated typing._UnionGenericAlias)
    found, stack = {}, [object]
    while stack:
        tp = stack.pop()
        if id(tp) in found:
            continue
        found[id(tp)] = tp
        stack.extend(type.__subclasses__(tp))
    return {
        tp
        for tp in found.values()
        if tp.__flags__ & HAVE_GC
        and (not tp.__flags__ & HEAPTYPE or tp.__flags__ & IMMUTABLETYPE)
        and not issubclass(tp, BaseException)  # one layout, named in test_labels
    }


def opaque_edges(obj):
    """(labels, how many stay "<referent #k>") of obj's references."""
    referents = gc.get_referents(obj)
    seen = collections.Counter()
    pairs = []
    for referent in referents:
        pairs.append((obj, referent, seen[id(referent)], 0))
        seen[id(referent)] += 1
    rows = _core.graph_labels(pairs)
    return [row[0] for row in rows], sum(row[1] == "referent" for row in rows)


def issue_instances():
    """The instances of ISSUE_TYPES, and the holders that keep them."""
    out = []
    for key, makers in ISSUE_TYPES.items():
        for make in makers:
            try:
                out.append((key, make()))
            except AttributeError:  # a type this version lacks (batched)
                assert key == "itertools.batched" and sys.version_info < (3, 12)
    return out


def test_issue_types_have_no_unnamed_reference():
    failures = []
    for key, obj in issue_instances():
        assert key in {type_key(tp) for tp in type(obj).__mro__}, (key, type(obj))
        labels, opaque = opaque_edges(obj)
        if opaque:
            failures.append((key, labels))
    assert failures == []


def test_issue_types_are_among_the_stdlib_c_types():
    # the table names the types as the walk of all C types finds them
    walked = {type_key(tp) for tp in stdlib_c_types()}
    made = {
        key
        for key, obj in issue_instances()
        if type_key(type(obj)) == key and type(obj).__flags__ & HAVE_GC
    }
    assert made - walked == set()
    assert len(made) >= len(ISSUE_TYPES) - 2  # batched, newline decoder


def test_every_stdlib_c_type_walked_and_the_figure():
    # every C type of the stdlib that holds references, with instances
    # made here or held by the process: how many references stay opaque
    importlib.import_module("asyncio")
    importlib.import_module("decimal")
    types_ = stdlib_c_types()
    instances = collections.defaultdict(list)
    for _key, obj in issue_instances():
        instances[type(obj)].append(obj)
    for obj in gc.get_objects():
        tp = type(obj)
        if tp in types_ and len(instances[tp]) < 20:
            instances[tp].append(obj)
    edges = opaque = 0
    opaque_by_type = collections.Counter()
    for tp, objs in instances.items():
        for obj in objs:
            labels, n = opaque_edges(obj)
            edges += len(labels)
            opaque += n
            opaque_by_type[type_key(tp)] += n
    walked = [tp for tp in types_ if instances.get(tp)]
    assert len(walked) >= len(ISSUE_TYPES) - 1
    assert edges > 0 and opaque < edges
    for key in ISSUE_TYPES:
        assert opaque_by_type[key] == 0, key
    print(
        f"\n{sys.version.split()[0]}: {len(types_)} C types hold references, "
        f"{len(walked)} walked, {edges} references, {opaque} stay <referent #k>: "
        + ", ".join(f"{k} {n}" for k, n in opaque_by_type.most_common() if n)
    )


@pytest.mark.parametrize(
    ("make", "label"),
    [
        # a running total that keeps the last big item summed
        (lambda m: after(itertools.accumulate([m, 1], operator.add), 1), "<total>"),
        (lambda m: itertools.accumulate([], initial=m), "<initial>"),
        (lambda m: itertools.accumulate([], m), "<function>"),
        # sorted(..., key=cmp_to_key(self.compare)) kept in a cache
        (lambda m: functools.cmp_to_key(m), "<comparison function>"),
        (lambda m: itertools.groupby([], m), "<key function>"),
        (lambda m: after(itertools.pairwise([0, m, 2]), 1), "<previous item>"),
        (lambda m: after(itertools.combinations([m, 1], 1), 1), "<pool>"),
        (lambda m: itertools.batched([m], 1), "<iterator>"),
        (lambda m: memoryview(m), "<buffer>"),
        (lambda m: _Local(m), "<arguments>"),
    ],
)
def test_probe_labels_name_the_field(make, label):
    if label == "<iterator>" and sys.version_info < (3, 12):
        pytest.skip("itertools.batched is 3.12+")
    marker = bytearray(b"m") if label == "<buffer>" else [Item()]
    holder = make(marker)
    labels, opaque = opaque_edges(holder)
    assert opaque == 0 and label in labels, labels


def test_a_look_alike_type_is_not_read_by_the_probes():
    # a class named and placed like itertools.accumulate, with a
    # different layout: its references are never read at accumulate's
    # offsets (only types whose tp_traverse is itertools' are)
    lookalike = type("accumulate", (), {"__module__": "itertools"})
    obj = lookalike()
    obj.x = Item()
    labels, _ = opaque_edges(obj)
    assert "<function>" not in labels and "<total>" not in labels

    class Sub(itertools.accumulate):
        pass

    labels, _ = opaque_edges(Sub([1], call))
    assert "<function>" in labels and "<iterator>" in labels


def test_probes_keep_no_reference():
    marker = Item()
    before = sys.getrefcount(marker)
    holder = itertools.accumulate([], call, initial=marker)
    opaque_edges(holder)
    del holder
    assert sys.getrefcount(marker) == before
