"""User code outside the walk (issue 9): the checks of arguments, the
censuses of classes and ``is_proper_module`` read types, never attributes:
a metaclass's ``__getattribute__``, ``__instancecheck__``,
``__subclasscheck__``, ``__hash__``, ``__eq__`` or ``__repr__``, and an
object's ``__class__`` property or ``__getattr__``, never run."""

from __future__ import annotations

import gc
import sys
import types

import pytest

import whyalive
from whyalive.compat import objgraph

CALLS: list[str] = []


def _recorder(name):
    def hook(cls, *args):
        CALLS.append(f"meta.{name}{args[:1]}")
        return getattr(type, name)(cls, *args)

    return hook


#: A metaclass whose every hook records that it ran.
Recording = type(
    "Recording",
    (type,),
    {
        name: _recorder(name)
        for name in (
            "__getattribute__",
            "__instancecheck__",
            "__subclasscheck__",
            "__hash__",
            "__eq__",
            "__repr__",
            "__str__",
            "__format__",
        )
    },
)


class Widget(metaclass=Recording):
    pass


class Gadget(Widget):
    pass


class Impostor:
    """An object whose ``__class__`` and missing attributes record that
    they were asked for (isinstance falls back to ``__class__``)."""

    @property
    def __class__(self):
        CALLS.append("__class__ property")
        return bool

    def __getattr__(self, name):
        CALLS.append(f"__getattr__({name})")
        raise AttributeError(name)


class HostileModule(types.ModuleType):
    @property
    def __class__(self):
        CALLS.append("module __class__ property")
        return types.ModuleType

    def __getattribute__(self, name):
        CALLS.append(f"module __getattribute__({name})")
        return types.ModuleType.__getattribute__(self, name)


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_classes_with_a_recording_metaclass_run_nothing_across_class_functions():
    gc.collect()
    whyalive.assert_no_instances(Widget, collect=False)
    whyalive.assert_no_instances((Widget, Gadget), collect=False)
    snap = whyalive.Snapshot(Widget, collect=False)
    report = whyalive.explain_instances(Gadget, collect=False)
    whyalive.count(Widget)
    whyalive.by_type(Widget)
    objgraph.count(Gadget)
    kept = [Gadget()]
    with pytest.raises(AssertionError):
        snap.assert_no_new("after")
    text = str(whyalive.explain_instances(Widget, collect=False))
    assert not CALLS, CALLS[:5]
    assert "Gadget" in text and report.targets == ()
    del kept


def test_snapshot_of_a_class_runs_no_instancecheck_per_heap_object():
    gc.collect()
    snap = whyalive.Snapshot(Widget)
    kept = [Widget(), Gadget()]
    assert snap.new_ids() == {id(kept[0]), id(kept[1])}
    snap.update()
    assert snap.new_ids() == set()
    assert not CALLS, CALLS[:5]


def test_check_classes_refuses_a_non_class_without_asking_its_class():
    with pytest.raises(TypeError, match="cls must be a class or a tuple of classes"):
        whyalive.explain_instances(Impostor())
    with pytest.raises(TypeError, match="not a tuple holding Impostor"):
        whyalive.assert_no_instances((Widget, Impostor()))
    with pytest.raises(TypeError, match="match must be a class"):
        whyalive.Snapshot(Impostor())
    assert not CALLS, CALLS[:5]


def test_a_fake_bool_is_refused_without_reading_its_class_property():
    """isinstance(Impostor(), bool) is True through its __class__
    property: the checks must see through it, and run nothing."""
    with pytest.raises(TypeError, match="keep_objects must be True or False"):
        whyalive.explain([], keep_objects=Impostor())
    with pytest.raises(TypeError, match="collect must be True or False"):
        objgraph.growth(collect=Impostor())
    with pytest.raises(TypeError, match="max_paths must be an int, not Impostor"):
        whyalive.explain([], max_paths=Impostor())
    with pytest.raises(TypeError, match="timeout must be a number"):
        whyalive.explain([], timeout=Impostor())
    assert not CALLS, CALLS[:5]


def test_is_proper_module_reads_no_class_property_nor_module_attributes():
    module = HostileModule("hostile_mod")
    assert not whyalive.is_proper_module(Impostor())
    assert not whyalive.is_proper_module(module)
    sys.modules["hostile_mod"] = module
    try:
        assert whyalive.is_proper_module(module)
    finally:
        del sys.modules["hostile_mod"]
    assert whyalive.is_proper_module(sys)
    assert not CALLS, CALLS[:5]


def test_find_backref_chain_to_a_module_skips_impostors_without_running_them():
    holder = [Impostor()]
    globals()["_HOLDER"] = holder
    try:
        chain = whyalive.find_backref_chain(holder, whyalive.is_proper_module)
    finally:
        del globals()["_HOLDER"]
    assert chain[0] is sys.modules[__name__]
    assert chain[-1] is holder
    assert not CALLS, CALLS[:5]


class HostileThing(Widget):
    """Instances whose special methods record too (their class's come
    from the recording metaclass)."""

    def __getattribute__(self, name):
        CALLS.append(f"__getattribute__({name})")
        return object.__getattribute__(self, name)

    def __eq__(self, other):
        CALLS.append("__eq__")
        return self is other

    def __hash__(self):
        CALLS.append("__hash__")
        return id(self)

    def __repr__(self):
        CALLS.append("__repr__")
        return "HostileThing"

    def __len__(self):
        CALLS.append("__len__")
        return 0


#: Drawn boxes show repr() cut to 40 characters, as objgraph's do: the
#: pictures call the objects' __repr__ on purpose, after the walk.
PICTURES = {"show_backrefs", "show_refs", "show_chain"}


def test_every_public_function_runs_no_special_method_of_hostile_objects():
    import public_calls

    world = public_calls.World()
    world.module.HOSTILE = {"a": [HostileThing(), HostileThing()], "b": HostileThing}
    world.module.REGISTRY["g"].append(HostileThing())
    world.others.append(HostileThing())
    try:
        calls = public_calls.calls(world)
        CALLS.clear()
        for name, call in calls.items():
            if name not in PICTURES:
                call()
                assert not CALLS, (name, CALLS[:5])
        whyalive.explain_instances(HostileThing).to_dot()
        str(whyalive.explain(world.module.HOSTILE["a"][0]))
        assert not CALLS, CALLS[:5]
    finally:
        world.close()
