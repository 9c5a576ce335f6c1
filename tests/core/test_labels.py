"""Every edge label of DESIGN.md's table, folded as a person writes it."""

from __future__ import annotations

import collections
import functools
import gc
import sys
import weakref

import pytest

import whyalive
from helpers import find_path, labels


class Leaky:
    pass


class Plain:
    pass


class Slotted:
    __slots__ = ("held", "other")


class Opaque:
    """A dict key whose repr must never be called."""

    def __repr__(self):  # pragma: no cover - must not run
        raise AssertionError("repr called")


def module_path(target, module):
    report = whyalive.explain(target)
    return find_path(report.targets[0], lambda p: p.root.kind == "module"), report


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("w1", "['w1']"),
        (42, "[42]"),
        ((1, "a"), "[(1, 'a')]"),
        (b"raw", "[b'raw']"),
        (2.5, "[2.5]"),
        (None, "[None]"),
        (True, "[True]"),
        ("x" * 100, "['" + "x" * 60 + "'\u2026]"),
    ],
)
def test_dict_value_label_shows_safe_key(module, key, label):
    target = Leaky()
    module.D = {key: target}
    path, _ = module_path(target, module)
    assert labels(path) == [label]
    assert path.edges[0].kind == "key"


def test_dict_key_of_another_type_is_not_repr(module):
    target, key = Leaky(), Opaque()
    module.D = {key: target}
    path, _ = module_path(target, module)
    assert labels(path) == [f"[<Opaque at {id(key):#x}>]"]


def test_object_used_as_dict_key(module):
    target = Leaky()
    module.D = {target: "value"}
    path, _ = module_path(target, module)
    assert labels(path) == ["<key>"]
    assert path.edges[0].kind == "dict_key"


def test_str_target_used_as_dict_key(module):
    target = "".join(["a key ", "built at run time"])
    module.D = {target: 1}
    path, _ = module_path(target, module)
    assert labels(path) == ["<key>"]


def test_value_under_two_keys_gets_both_labels(module):
    target = Leaky()
    module.D = {"first": target, "second": target}
    path, report = module_path(target, module)
    # one retainer (the dict), its first key named
    assert labels(path) == ["['first']"]
    assert report.targets[0].omitted == 0


@pytest.mark.parametrize(
    ("make", "label", "kind"),
    [
        (lambda t: [None, None, None, t], "[3]", "index"),
        (lambda t: (None, t), "[1]", "index"),
        (lambda t: collections.deque([None, None, t]), "[2]", "index"),
        (lambda t: {t}, "<element>", "element"),
        (lambda t: frozenset([t]), "<element>", "element"),
    ],
    ids=["list", "tuple", "deque", "set", "frozenset"],
)
def test_container_items(module, make, label, kind):
    target = Leaky()
    module.C = make(target)
    path, _ = module_path(target, module)
    assert labels(path) == [label]
    assert path.edges[0].kind == kind


def test_instance_attribute(module):
    target = Leaky()
    module.OWNER = Plain()
    module.OWNER.held = target
    path, _ = module_path(target, module)
    assert labels(path) == [".held"]
    assert path.edges[0].kind == "attr"
    assert path.length == 2


def test_instance_attribute_inline_values_are_not_materialized(module):
    target = Leaky()
    owner = Plain()
    owner.held = target
    module.OWNER = owner
    dicts_before = [r for r in gc.get_referents(owner) if type(r) is dict]
    path, _ = module_path(target, module)
    assert labels(path) == [".held"]
    dicts_after = [r for r in gc.get_referents(owner) if type(r) is dict]
    assert dicts_after == dicts_before
    if sys.version_info >= (3, 11):
        assert dicts_before == []  # still inline values, no __dict__ created


def test_instance_attribute_through_a_materialized_dict(module):
    target = Leaky()
    owner = Plain()
    owner.held = target
    owner.__dict__  # noqa: B018 - materializes the dict on 3.11/3.12
    module.OWNER = owner
    path, _ = module_path(target, module)
    assert labels(path) == [".held"]
    assert path.length == 2


def test_instance_attribute_with_non_identifier_name(module):
    target = Leaky()
    module.OWNER = Plain()
    setattr(module.OWNER, "not an identifier", target)
    path, _ = module_path(target, module)
    assert labels(path)[0].startswith(".__dict__[")


def test_slots(module):
    target = Leaky()
    module.OWNER = Slotted()
    module.OWNER.other = None
    module.OWNER.held = target
    path, _ = module_path(target, module)
    assert labels(path) == [".held"]


def test_class_attribute(module):
    target = Leaky()

    class Registry:
        pass

    Registry.instances = [target]
    module.Registry = Registry
    path, _ = module_path(target, module)
    assert labels(path) == ["[0]", ".instances"]
    assert path.edges[1].referrer_description().startswith("class ")
    assert path.root.name == f"{module.__name__}.Registry"


def test_module_global_of_a_nested_name(module):
    target = Leaky()
    setattr(module, "weird-name", target)
    path, _ = module_path(target, module)
    assert path.root.name == f"{module.__name__}.__dict__['weird-name']"


def test_closure_cell_is_named_by_its_variable(module):
    def make(captured):
        def callback():
            return captured

        return callback

    target = Leaky()
    module.CALLBACK = make(target)
    path, _ = module_path(target, module)
    assert labels(path) == ["<closure 'captured'>"]
    assert path.edges[0].kind == "closure"
    assert path.edges[0].referrer_type == "function"
    assert path.length == 2


def test_bound_method_self_and_func(module):
    class Widget:
        def on_click(self):
            pass

    target = Widget()
    module.CALLBACKS = [target.on_click]
    path, report = module_path(target, module)
    assert labels(path) == [".__self__", "[0]"]
    assert "bound method" in path.edges[0].referrer_description()

    def handler(self):
        pass

    import types

    module.BOUND = types.MethodType(handler, Leaky())
    del handler
    report = whyalive.explain(module.BOUND.__func__)
    path = find_path(report.targets[0], lambda p: p.root.name.endswith(".BOUND"))
    assert labels(path) == [".__func__"]


def test_default_arguments(module):
    target, kw_target = Leaky(), Leaky()

    def f(a=target, *, k=kw_target):
        return a, k

    module.F = f
    path, _ = module_path(target, module)
    assert labels(path) == [".__defaults__[0]"]
    path, _ = module_path(kw_target, module)
    assert labels(path) == [".__kwdefaults__['k']"]


def test_traceback_frame_local_and_exception_fields(module):
    def fail():
        doomed = Leaky()
        module.DOOMED_ID = id(doomed)
        raise ValueError("boom", doomed)

    try:
        fail()
    except ValueError as exc:
        module.SAVED = exc
    target = next(o for o in gc.get_objects() if id(o) == module.DOOMED_ID)
    report = whyalive.explain(target, max_paths=5)
    del target
    all_labels = [labels(p) for p in report.targets[0].paths]
    assert [".args[1]"] in all_labels
    frame_path = find_path(
        report.targets[0], lambda p: labels(p)[:1] == ["<local 'doomed'>"]
    )
    assert labels(frame_path) == [
        "<local 'doomed'>",
        ".tb_frame",
        ".tb_next",
        ".__traceback__",
    ]
    assert frame_path.root.name == f"{module.__name__}.SAVED"


def test_exception_context_and_cause(module):
    first = KeyError("first")
    try:
        try:
            raise first
        except KeyError as inner:
            raise RuntimeError("second") from inner
    except RuntimeError as outer:
        module.ERR = outer
    report = whyalive.explain(first, max_paths=5)
    got = {tuple(labels(p)) for p in report.targets[0].paths}
    assert (".__cause__",) in got or (".__context__",) in got


def test_functools_partial(module):
    fn, positional, keyword = Leaky(), Leaky(), Leaky()
    fn.__call__ = None
    module.P = functools.partial(print, positional, sep=keyword)
    module.P2 = functools.partial(functools.partial, fn)
    assert labels(module_path(positional, module)[0]) == [".args[0]"]
    assert labels(module_path(keyword, module)[0]) == [".keywords['sep']"]
    assert labels(module_path(fn, module)[0]) == [".args[0]"]
    path, _ = module_path(print, module)  # builtins.print is a global first
    assert path.root.kind == "module"


def test_weakref_callback_is_strong_weak_reference_is_not(module):
    target = Leaky()
    referent = Leaky()

    class Callback:
        def __init__(self, keep):
            self.keep = keep

        def __call__(self, ref):
            pass

    module.REF = weakref.ref(referent, Callback(target))
    module.WEAK_VALUES = weakref.WeakValueDictionary({"t": target})
    module.REFERENT = referent
    report = whyalive.explain(target, max_paths=5)
    paths = [p for p in report.targets[0].paths if p.root.kind == "module"]
    assert [labels(p) for p in paths] == [[".keep", ".__callback__"]]
    assert paths[0].edges[1].referrer_type == "weakref.ReferenceType"
    # and nothing else: the weak references do not retain
    assert {p.root.kind for p in report.targets[0].paths} == {"module", "frame"}


def test_fallback_label_for_unnamed_references(module):
    import _csv

    class Terminator(str):
        pass

    # a csv dialect keeps its line terminator through a getter, no member
    target = Terminator("\r\n")
    module.M = _csv.Dialect(lineterminator=target)  # a C type with no names yet
    path, _ = module_path(target, module)
    assert labels(path)[-1].startswith("<referent #")
    assert labels(path)[-1].endswith(" of _csv.Dialect>")
    assert path.edges[-1].kind == "referent"


def test_iterators_name_what_their_constructor_took(module):
    # map(print, [target]): its iterables tuple is folded into the map
    target = Leaky()
    module.M = map(print, [target])
    path, _ = module_path(target, module)
    assert labels(path) == ["[0]", "<sequence>", "<iterables>[0]"]
    assert path.expression.endswith(".M -> <iterables>[0] -> <sequence>[0]")


def test_expression_reads_like_code(module):
    class Registry:
        def __init__(self):
            self.registry = {}

    target = Leaky()
    module.REGISTRY = Registry()
    module.REGISTRY.registry["w1"] = target
    path, _ = module_path(target, module)
    assert path.expression == f"{module.__name__}.REGISTRY.registry['w1']"
    assert path.length == 3
