"""Each root kind, with the scenario that produces it."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading

import pytest

import whyalive
from helpers import find_path, labels


class Leaky:
    pass


def test_module_global_root(module):
    module.TARGET = Leaky()
    report = whyalive.explain(module.TARGET)
    path = report.targets[0].paths[0]
    assert path.root.kind == "module"
    assert path.root.name == f"{module.__name__}.TARGET"
    assert path.edges == ()
    assert path.length == 1
    assert report.targets[0].status == "rooted"


def test_local_of_the_calling_test_function_is_shown():
    w = Leaky()
    report = whyalive.explain(w)
    path = report.targets[0].paths[0]
    assert path.root.kind == "frame"
    assert path.root.name == "w"
    assert path.root.function.endswith(
        "test_local_of_the_calling_test_function_is_shown"
    )
    assert path.root.filename == __file__
    assert path.root.thread_name == threading.current_thread().name
    assert path.length == 1


def test_local_of_an_outer_frame_not_only_the_innermost():
    def outer():
        kept = Leaky()
        return middle(id(kept)), kept

    def middle(target_id):
        return inner(target_id)

    def inner(target_id):
        obj = next(o for o in gc.get_objects() if id(o) == target_id)
        try:
            return whyalive.explain(obj)
        finally:
            del obj

    report, _ = outer()
    path = find_path(report.targets[0], lambda p: p.root.name == "kept")
    assert path.root.function.endswith("outer")
    assert path.root.kind == "frame"


def test_local_of_a_frame_in_another_thread():
    ready, done = threading.Event(), threading.Event()
    box = {}

    def worker():
        held_by_worker = Leaky()
        box["id"] = id(held_by_worker)
        ready.set()
        done.wait(10)

    thread = threading.Thread(target=worker, name="leak-worker")
    thread.start()
    try:
        assert ready.wait(10)
        target = next(o for o in gc.get_objects() if id(o) == box["id"])
        report = whyalive.explain(target)
        del target
        # (this thread's frames come first among equal roots: the worker's)
        path = find_path(
            report.targets[0],
            lambda p: p.root.kind == "frame" and p.root.name != "target",
        )
        assert path.root.name == "held_by_worker"
        assert path.root.thread_name == "leak-worker"
        assert path.root.function.endswith("worker")
    finally:
        done.set()
        thread.join()


def test_cell_variable_of_a_running_frame():
    captured = Leaky()

    def reader():
        return captured

    report = whyalive.explain(captured)
    path = report.targets[0].paths[0]
    assert path.root.kind == "frame"
    assert path.root.name == "captured"
    assert path.root.slot == "cell"
    assert path.edges == ()
    assert reader() is captured


def test_free_variable_of_a_running_frame():
    def make():
        free = Leaky()

        def inner():
            return whyalive.explain(free)

        return inner

    report = make()()
    path = report.targets[0].paths[0]
    assert path.root.kind == "frame"
    assert path.root.slot == "free"
    assert path.root.name == "free"
    assert path.root.function.endswith("inner")


def test_local_of_a_suspended_generator(module):
    def producer():
        pending = Leaky()
        yield pending
        yield None

    module.GEN = producer()
    target = next(module.GEN)
    report = whyalive.explain(target)
    del target
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["<local 'pending'>"]
    assert path.edges[0].referrer_type == "generator"
    assert path.root.name == f"{module.__name__}.GEN"


def test_local_of_a_suspended_coroutine(module):
    class Suspend:
        def __await__(self):
            yield

    async def handler():
        request = Leaky()
        module.REQUEST_ID = id(request)
        await Suspend()
        return request

    module.CORO = handler()
    module.CORO.send(None)
    target = next(o for o in gc.get_objects() if id(o) == module.REQUEST_ID)
    report = whyalive.explain(target)
    del target
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["<local 'request'>"]
    assert path.edges[0].referrer_type == "coroutine"
    module.CORO.close()


@contextlib.contextmanager
def held_by_c_code(obj):
    """Holds obj with one reference no object shows (as C code would),
    and yields the Leaky instance's target in a fresh report."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    target_id = id(obj)
    del obj
    try:
        report = whyalive.explain_instances(Leaky, collect=False)
        yield report, next(t for t in report.targets if t.id == target_id)
    finally:
        obj = next(o for o in gc.get_objects() if id(o) == target_id)
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(obj))


def test_reference_from_c_code_is_external_with_numbers(module):
    with held_by_c_code(Leaky()) as (report, target):
        path = target.paths[0]
        assert path.root.kind == "external"
        assert path.root.unseen == 1
        assert path.root.refcount == path.root.seen + 1
        assert target.status == "external"
        assert "1 from outside the object graph" in str(report)


@pytest.mark.parametrize("holders", [254, 255, 256, 300, 70_000])
def test_reference_counts_exact_beyond_a_byte(module, holders):
    """The index keeps a byte per object for its count of references; an
    object held more often must still get its exact count."""
    module.HOLDERS = [[Leaky()]]
    module.HOLDERS += [list(module.HOLDERS[0]) for _ in range(holders - 1)]
    with held_by_c_code(module.HOLDERS[0][0]) as (_, target):
        assert target.seen == holders
        assert target.unseen == 1
        assert target.refcount == holders + 1
        assert target.status == "rooted"
    del module.HOLDERS


@pytest.mark.parametrize("holders", [254, 300])
def test_reference_counts_exact_beyond_a_byte_without_gc_header(module, holders):
    """The same for a target the collector does not track (a str, counted
    in the index's side table while the graph is built)."""
    text = "".join(["whyalive-", str(holders), "-side"])
    module.HOLDERS = [[text] for _ in range(holders)]
    report = whyalive.explain(text)
    target = report.targets[0]
    assert target.seen >= holders
    assert target.seen + target.unseen == target.refcount
    del module.HOLDERS


class Node:
    def __init__(self):
        self.partner = None


def test_cyclic_garbage_is_reported_as_collectable():
    gc.collect()
    gc.disable()
    try:
        a, b = Node(), Node()
        a.partner, b.partner = b, a
        ids = {id(a), id(b)}
        del a, b
        report = whyalive.explain_instances(Node, collect=False)
        targets = [t for t in report.targets if t.id in ids]
        assert len(targets) == 2
        for target in targets:
            assert target.status == "garbage"
            path = target.paths[0]
            assert path.root.kind == "garbage"
            assert path.root.collectable is True
            assert labels(path) == [".partner", ".partner"]
            assert path.edges[-1].referrer_id == target.id  # back to the target
        assert "cycle back to the target" in str(report)
    finally:
        gc.enable()
        gc.collect()


def test_uncollectable_garbage_with_a_legacy_finalizer():
    testcapi = pytest.importorskip("_testcapi")

    class Legacy:
        def __tp_del__(self):
            pass

    legacy = testcapi.with_tp_del(Legacy)
    gc.collect()
    gc.disable()
    try:
        x = legacy()
        x.me = x
        target_id = id(x)
        del x
        report = whyalive.explain_instances(legacy, collect=False)
        target = next(t for t in report.targets if t.id == target_id)
        assert target.status == "uncollectable"
        assert target.paths[0].root.collectable is False
    finally:
        gc.enable()
        gc.collect()
        for obj in list(gc.garbage):
            if type(obj) is legacy:
                obj.__dict__.clear()
                gc.garbage.remove(obj)


def test_holder_frozen_by_gc_freeze_is_seen(module):
    holder = []
    module.HOLDER = holder
    gc.collect()
    gc.freeze()
    try:
        target = Leaky()
        holder.append(target)
        del holder
        report = whyalive.explain(target)
        path = find_path(report.targets[0], lambda p: p.root.kind == "module")
        assert labels(path) == ["[0]"]
        assert path.root.name == f"{module.__name__}.HOLDER"
    finally:
        gc.unfreeze()


def test_untracked_target_tuple_of_ints(module):
    target = (1, 2, 10**30)
    module.ITEMS = [target]
    gc.collect()
    assert not gc.is_tracked(target)
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["[0]"]


def test_target_dict_of_ints_untracked_on_3_10_to_3_13_tracked_on_3_14_on(module):
    target = {1: 2, 3: 4}
    module.ITEMS = [target]
    gc.collect()
    # CPython 3.10-3.13 untrack dicts of atoms; 3.14 and later track every dict
    assert gc.is_tracked(target) == (sys.version_info >= (3, 14))
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["[0]"]


def test_untracked_holder_tuple_of_strs(module):
    target = "a string nobody else has " + str(id(module))
    module.PAIR = ("first", target)
    gc.collect()
    assert not gc.is_tracked(module.PAIR)
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["[1]"]
    assert path.edges[0].referrer_type == "tuple"


def test_target_of_a_c_type_without_gc_support(module):
    target = bytes(range(7)) * 3
    assert not gc.is_tracked(target) and not type(target).__flags__ & (1 << 14)
    module.PRICES = {"apple": target}
    report = whyalive.explain(target)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert labels(path) == ["['apple']"]


def test_constant_held_by_a_code_object(module):
    code = compile(
        "def f():\n    return ('an unusual constant', 42)\n", "<gen>", "exec"
    )
    exec(code, module.__dict__)
    constant = module.f()
    report = whyalive.explain(constant)
    path = find_path(report.targets[0], lambda p: p.root.kind == "module")
    assert path.edges[0].label.startswith(".co_consts[")
    assert path.edges[0].referrer_type == "code"
    assert labels(path)[1] == ".__code__"


def test_thread_state_handled_exception_root():
    try:
        raise KeyError("boom")
    except KeyError:
        exc = sys.exc_info()[1]
        exc_id = id(exc)
        del exc
        report = whyalive.explain_instances(KeyError, collect=False)
    target = next(t for t in report.targets if t.id == exc_id)
    path = find_path(target, lambda p: p.root.kind == "thread")
    assert path.root.name == "handled_exception"
    assert path.root.thread_name == threading.current_thread().name


class Holder:
    def __init__(self, keep):
        self.keep = keep
        self.done = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.done:
            raise StopIteration
        self.done = True
        return None


def test_temporary_on_a_frame_stack_is_a_root():
    # the loop's iterator lives only on the frame's value stack
    for _ in Holder(Leaky()):
        kept_id = next(id(o.keep) for o in gc.get_objects() if type(o) is Holder)
        report = whyalive.explain_instances(Leaky, collect=False)
        target = next(t for t in report.targets if t.id == kept_id)
        path = target.paths[0]
        assert labels(path) == [".keep"]
        assert path.root.kind == "frame"
        assert path.root.slot == "temporary"
        assert path.root.function.endswith("test_temporary_on_a_frame_stack_is_a_root")


def test_argument_of_the_call_into_whyalive_is_not_a_retainer():
    # the new object is held only by the call itself: nothing retains it
    report = whyalive.explain(Leaky())
    target = report.targets[0]
    assert target.status == "unreferenced"
    assert [p.root.kind for p in target.paths] == ["excluded"]


def test_argument_passed_down_helpers_is_shown_once_per_local():
    def helper(obj):
        return whyalive.explain(obj)

    kept = Leaky()
    report = helper(kept)
    kinds = [(p.root.kind, p.root.slot, p.root.name) for p in report.targets[0].paths]
    assert ("frame", "local", "kept") in kinds
    assert ("frame", "local", "obj") in kinds
    assert all(kind != "external" for kind, _, _ in kinds)
    assert all(slot != "temporary" for _, slot, _ in kinds)


def test_regression_two_globals_of_one_module_keep_their_own_names(module):
    # results shared between targets are memoized; the key is the object a
    # global holds, not the module dict both paths end at
    module.single = Leaky()
    module.many = [Leaky()]
    report = whyalive.explain_instances(Leaky, collect=False)
    roots = {
        t.id: [p.root.name for p in t.paths if p.root.kind == "module"]
        for t in report.targets
    }
    assert roots[id(module.single)] == [f"{module.__name__}.single"]
    assert roots[id(module.many[0])] == [f"{module.__name__}.many"]


def test_regression_star_args_call_adds_no_retainer():
    # explain(*objs, **kwargs) runs through C code that keeps the argument
    # tuple and copies of the arguments: those references are the call's
    def check():
        found = [Leaky(), Leaky()]
        return whyalive.explain(*found, exclude=(found,)), whyalive.explain(*found)

    with_kwargs, plain = check()
    for target in with_kwargs.targets:
        assert target.status == "unreferenced"
        assert [p.root.kind for p in target.paths] == ["excluded"]
    for target in plain.targets:
        assert [p.root.kind for p in target.paths] == ["frame"]
        assert [p.edges[0].label for p in target.paths][:1] in (["[0]"], ["[1]"])
