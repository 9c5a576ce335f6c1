"""Interpreter roots: what a program registers into the interpreter, which
holds it in C (issue 11's field reports: ``signal.signal(SIGUSR1,
obj.handle)``, ``codecs.register(obj.search)``, ``sys.addaudithook``,
``atexit.register`` and so every ``weakref.finalize``).  Each was shown as
"held from outside the object graph"; each is now named as a person
would write it, read from the interpreter's structures (no Python code
runs), on every CPython."""

from __future__ import annotations

import atexit
import codecs
import ctypes
import gc
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from typing import ClassVar

import pytest

import whyalive
from helpers import find_path, labels


class Service:
    """A holder whose methods are registered as callbacks."""

    def close(self):
        pass

    def handle(self, signum, frame):
        pass

    def search(self, name):
        return None

    def trace(self, frame, event, arg):
        return None


class Hostile:
    """Runs no code of its own during a walk: any call fails the test."""

    calls: ClassVar[list[str]] = []

    def __eq__(self, other):
        Hostile.calls.append("__eq__")
        return NotImplemented

    def __hash__(self):
        Hostile.calls.append("__hash__")
        return 0

    def __repr__(self):
        Hostile.calls.append("__repr__")
        return "Hostile()"

    def __call__(self, *args):  # gc.callbacks may call it between walks
        pass


def interpreter_path(target):
    return find_path(target, lambda p: p.root.kind == "interpreter")


def explain_one(obj):
    report = whyalive.explain(obj, max_paths=10)
    return report, report.targets[0]


def test_atexit_callback_bound_method_names_the_callback():
    # atexit.register(conn.close): the connection lives until exit
    service = Service()
    callback = service.close
    atexit.register(callback)
    try:
        del callback
        report, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name.startswith("atexit callback #")
        assert path.root.holder == "atexit"
        assert labels(path) == [".__self__"]
        assert f"<{path.root.name}>  (root: held by the interpreter)" in str(report)
        assert target.status == "rooted"
    finally:
        atexit.unregister(service.close)


def test_atexit_callback_arguments_and_keywords():
    # atexit.register(save, state, path=cache): the arguments stay alive too
    positional, keyword = Service(), Service()
    atexit.register(print, positional, sep=keyword)
    try:
        _, target = explain_one(positional)
        path = interpreter_path(target)
        assert path.root.holder == "atexit_args"
        assert path.root.name.startswith("arguments of atexit callback #")
        assert labels(path) == ["[0]"]
        _, target = explain_one(keyword)
        path = interpreter_path(target)
        assert path.root.holder == "atexit_kwargs"
        assert labels(path) == ["['sep']"]
    finally:
        atexit.unregister(print)


def test_atexit_callbacks_are_numbered_in_registration_order():
    # 3.14 keeps them newest first: the numbers must not depend on that
    first, second = Service(), Service()
    atexit.register(first.close)
    atexit.register(second.close)
    try:
        number = {}
        for name, obj in (("first", first), ("second", second)):
            root = interpreter_path(explain_one(obj)[1]).root
            number[name] = int(root.name.rsplit("#", 1)[1])
        assert number["second"] == number["first"] + 1
    finally:
        atexit.unregister(first.close)
        atexit.unregister(second.close)


def test_weakref_finalize_arguments_are_rooted_not_external():
    # weakref.finalize(resource, cleanup, state): the state is reached
    # through finalize's own registry, a module path
    import weakref

    resource, state = Service(), Service()
    finalizer = weakref.finalize(resource, print, state)
    state_id = id(state)
    del state
    try:
        report = whyalive.explain_instances(Service, collect=False)
        target = next(t for t in report.targets if t.id == state_id)
        assert target.status == "rooted"
        assert target.paths[0].root.kind == "module"
    finally:
        finalizer.detach()


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
def test_signal_handler_by_signal_name():
    # signal.signal(SIGUSR1, worker.handle): the worker lives as long as the handler
    service = Service()
    old = signal.signal(signal.SIGUSR1, service.handle)
    try:
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name == "signal handler for SIGUSR1"
        assert path.root.holder == "signal_handler"
        assert path.expression == "<signal handler for SIGUSR1>.__self__"
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_default_sigint_handler_is_named():
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        pytest.skip("SIGINT has no Python handler here")
    _, target = explain_one(handler)
    roots = [p.root.name for p in target.paths if p.root.kind == "interpreter"]
    assert "signal handler for SIGINT" in roots


def test_codec_search_function():
    # codecs.register(plugin.search): the plugin lives until unregistered
    service = Service()
    search = service.search
    codecs.register(search)
    try:
        del search
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name.startswith("codec search function #")
        assert path.root.holder == "codec_search"
        assert labels(path) == [".__self__"]
    finally:
        codecs.unregister(service.search)


def test_codec_cache_entry_by_encoding_name():
    # codecs.lookup caches the CodecInfo its search function returned
    service = Service()

    def encode(text, errors="strict", service=service):
        return b"", 0

    def search(name, encode=encode):
        if name == "whyalive_test_codec":
            return codecs.CodecInfo(encode, encode, name="whyalive_test_codec")
        return None

    codecs.register(search)
    try:
        codecs.lookup("whyalive_test_codec")
        del encode
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name == "cached codec 'whyalive_test_codec'"
        assert path.root.holder == "codec_cache"
        assert path.root.detail[2] == "whyalive_test_codec"
        assert labels(path)[0] == ".__defaults__[1]"
    finally:
        codecs.unregister(search)  # clears the cache too


def test_gc_callbacks_entry():
    # gc.callbacks.append(monitor.on_collect): a common metrics-library leak
    service = Service()
    gc.callbacks.append(service.close)
    try:
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name.startswith("gc.callbacks[")
        assert labels(path) == [".__self__"]
    finally:
        gc.callbacks.remove(service.close)


def test_gc_garbage_entry():
    # gc.set_debug(DEBUG_SAVEALL) keeps every collected object in gc.garbage
    service = Service()
    gc.garbage.append(service)
    try:
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name == f"gc.garbage[{len(gc.garbage) - 1}]"
        assert path.length == 1
    finally:
        gc.garbage.remove(service)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_sys_monitoring_callback_names_tool_and_event_on_3_12_on():
    # a coverage/profiler tool's callback, left registered after it stopped
    monitoring = sys.monitoring
    tool = next(
        t for t in range(6) if monitoring.get_tool(t) is None
    )  # 0-5: user tools
    service = Service()
    monitoring.use_tool_id(tool, "leaky-profiler")
    monitoring.register_callback(tool, monitoring.events.PY_START, service.close)
    try:
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name == (
            f"sys.monitoring callback for PY_START of tool {tool} 'leaky-profiler'"
        )
        assert path.root.holder == "monitoring"
    finally:
        monitoring.register_callback(tool, monitoring.events.PY_START, None)
        monitoring.free_tool_id(tool)


def test_interpreter_state_dict_from_an_extension():
    # C extensions keep per-interpreter state in PyInterpreterState_GetDict()
    # a private handle: the prototypes set here stay out of ctypes.pythonapi
    api = ctypes.PyDLL(ctypes.pythonapi._name, handle=ctypes.pythonapi._handle)
    api.PyInterpreterState_Get.restype = ctypes.c_void_p
    api.PyInterpreterState_GetDict.restype = ctypes.py_object
    api.PyInterpreterState_GetDict.argtypes = [ctypes.c_void_p]
    state = api.PyInterpreterState_GetDict(api.PyInterpreterState_Get())
    # ctypes takes a py_object result as a new reference; this one is
    # borrowed: give ctypes the reference it will drop
    api.Py_IncRef(ctypes.py_object(state))
    service = Service()
    state["whyalive_test"] = service
    try:
        _, target = explain_one(service)
        path = interpreter_path(target)
        assert path.root.name == "interpreter state dict"
        assert labels(path) == ["['whyalive_test']"]
    finally:
        del state["whyalive_test"]
        del state


def test_sys_modules_is_not_counted_as_held_from_outside():
    # the interpreter's own reference to sys.modules is no outsider, and
    # sys.modules is still named as the sys module's global
    target = whyalive.explain(sys.modules).targets[0]
    assert target.status == "rooted"
    assert target.paths[0].root.name == "sys.modules"
    assert all(p.root.kind != "interpreter" for p in target.paths)


PERMANENT = textwrap.dedent(
    """
    import codecs, json, os, sys
    import whyalive

    class Service:
        def hook(self, *args):
            pass

    found = {}
    audited, handler, forked = Service(), Service(), Service()
    sys.addaudithook(audited.hook)
    codecs.register_error("whyalive_test", handler.hook)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=forked.hook)
    for name, obj in (("audit", audited), ("error", handler), ("fork", forked)):
        target = whyalive.explain(obj).targets[0]
        found[name] = [
            (p.root.name, p.root.holder, [e.label for e in p.edges])
            for p in target.paths
            if p.root.kind == "interpreter"
        ]
    print(json.dumps(found))
    """
)


def test_permanent_registrations_in_a_fresh_interpreter():
    # audit hooks, codec error handlers and at-fork callbacks cannot be
    # removed again: checked in a child interpreter
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", PERMANENT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found["audit"] == [["audit hook #1", "audit_hook", [".__self__"]]]
    assert found["error"] == [
        ["codec error handler 'whyalive_test'", "codec_error", [".__self__"]]
    ]
    if hasattr(os, "register_at_fork"):
        # the stdlib registers some at start-up (random, threading): ours is last
        [(name, holder, edges)] = found["fork"]
        assert re.fullmatch(r"at-fork callback #\d+ \(after in child\)", name)
        assert (holder, edges) == ("fork_child", [".__self__"])


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="needs SIGUSR2")
def test_interpreter_roots_run_no_user_code_and_keep_no_reference():
    # hostile objects in every registry: no __eq__/__hash__/__repr__ runs,
    # and their refcounts are what they were
    hostiles = [Hostile() for _ in range(4)]
    old = signal.signal(signal.SIGUSR2, hostiles[0])
    atexit.register(hostiles[1], hostiles[2])
    gc.callbacks.append(hostiles[3])
    try:
        before = [sys.getrefcount(h) for h in hostiles]
        Hostile.calls.clear()
        report = whyalive.explain_instances(Hostile, collect=False)
        assert Hostile.calls == []
        assert [sys.getrefcount(h) for h in hostiles] == before
        kinds = {t.id: {p.root.kind for p in t.paths} for t in report.targets}
        assert all("interpreter" in kinds[id(h)] for h in hostiles)
        assert "external" not in str(report)
        del report
        assert [sys.getrefcount(h) for h in hostiles] == before
    finally:
        gc.callbacks.remove(hostiles[3])
        atexit.unregister(hostiles[1])
        signal.signal(signal.SIGUSR2, old)


def test_every_holder_has_words_of_its_own():
    # the core names an interpreter root by its holder; words.py phrases
    # each one (the raw holder name would leak into reports otherwise)
    from whyalive.render import words
    from whyalive.vocab import INTERPRETER_HOLDERS

    for holder in INTERPRETER_HOLDERS:
        if holder == "registry":  # a registry's own list: never a root
            continue
        label = words.interpreter_root_label(holder, 0, None)
        assert label != holder, holder
        assert words.interpreter_root_label(holder, 0, "k") != holder, holder
    assert words.interpreter_root_label("signal_handler", 200, None) == (
        "signal handler for signal 200"
    )


def test_core_names_interpreter_roots_by_holder_only():
    # phrasing lives in render/words.py: the core's tuple carries data
    service = Service()
    atexit.register(service.close)
    try:
        path = interpreter_path(explain_one(service)[1])
        raw = path.root._data
        assert raw[1] == "atexit" == raw[2][0]
        assert path.root.name == f"atexit callback #{raw[2][1] + 1}"
    finally:
        atexit.unregister(service.close)


@pytest.mark.parametrize(
    ("install", "uninstall", "field"),
    [
        (sys.setprofile, lambda: sys.setprofile(None), "profiler"),
        (sys.settrace, lambda: sys.settrace(None), "tracer"),
    ],
)
def test_profile_and_trace_functions_of_a_thread(install, uninstall, field):
    # sys.setprofile(profiler.hook), left installed: a thread-state root
    service = Service()
    hook = service.trace
    outer_trace, outer_profile = sys.gettrace(), sys.getprofile()
    install(hook)
    try:
        del hook
        report = whyalive.explain(service)
    finally:
        uninstall()
        sys.settrace(outer_trace)
        sys.setprofile(outer_profile)
    path = find_path(report.targets[0], lambda p: p.root.kind == "thread")
    assert path.root.name == field
    assert labels(path) == [".__self__"]
    assert f"<{field}> of MainThread" in str(report)


def test_async_generator_hooks_of_a_thread():
    # sys.set_asyncgen_hooks(firstiter=loop.hook): an event loop's hook
    # outlives the loop when it is not restored
    service = Service()
    old = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=service.close, finalizer=service.search)
    try:
        report = whyalive.explain(service, max_paths=10)
    finally:
        sys.set_asyncgen_hooks(*old)
    names = {p.root.name for p in report.targets[0].paths if p.root.kind == "thread"}
    assert names == {"asyncgen_firstiter", "asyncgen_finalizer"}
    assert "<asyncgen firstiter> of MainThread" in str(report)
