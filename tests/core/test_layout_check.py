"""The import-time check of the internal structures' layout against the
running CPython's own _Py_DebugOffsets (3.13+), through its test hook
_core._check_layout, which feeds it a wrong offset for one field."""

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import whyalive
from whyalive import _core

on_3_13_on = pytest.mark.skipif(
    sys.version_info < (3, 13), reason="_Py_DebugOffsets is 3.13+"
)


@on_3_13_on
def test_layout_agrees_with_this_cpythons_debug_offsets_on_3_13_on():
    assert _core._check_layout() is None


@on_3_13_on
def test_fields_checked_are_those_the_core_reads_on_3_13_on():
    fields = set(_core._layout_fields())
    assert {
        "interpreter_state.threads_head",
        "interpreter_state.sysdict",
        "interpreter_state.imports_modules",
        "thread_state.current_frame",
        "thread_state.thread_id",
        "interpreter_frame.previous",
        "interpreter_frame.executable",
        "interpreter_frame.localsplus",
        "interpreter_frame.owner",
        "code_object.localsplusnames",
        "code_object.localspluskinds",
        "dict_object.ma_values",
        "gc.collecting",
        "gc.size",
    } <= fields
    if sys.version_info >= (3, 14):
        assert {
            "interpreter_frame.stackpointer",
            "gen_object.gi_iframe",
            "gen_object.gi_frame_state",
        } <= fields
    if sys.version_info >= (3, 15):
        assert {
            "thread_state.current_exception",
            "thread_state.exc_state",
            "heap_type_object.ht_cached_keys",
        } <= fields


@on_3_13_on
def test_every_field_out_of_place_is_named_with_the_cpython_version_on_3_13_on():
    for field in _core._layout_fields():
        message = _core._check_layout(field, 123456789)
        assert message is not None, field
        assert f" {field} " in message
        assert f"CPython {platform.python_version()}" in message
        assert "123456789" in message
        assert "rebuild" in message
    # the hook changes nothing for the next check
    assert _core._check_layout() is None


@on_3_13_on
def test_import_refused_when_the_layout_differs_on_3_13_on(tmp_path):
    # a fresh load of the module (its exec) with one field out of place
    # fails the import with the check's message; the next load is clean
    script = textwrap.dedent(
        """
        import importlib.util
        from whyalive import _core

        def load():
            spec = importlib.util.spec_from_file_location(
                "whyalive._core", _core.__file__)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module

        _core._check_layout("thread_state.current_frame", 4242,
                            at_next_load=True)
        try:
            load()
        except ImportError as error:
            print("refused:", error)
        else:
            print("loaded")
        print("again:", hasattr(load(), "find_paths"))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(whyalive.__file__).parents[1]))
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    refused, again = out.strip().splitlines()
    assert refused.startswith("refused: whyalive was built for CPython")
    assert "thread_state.current_frame" in refused
    assert "4242" in refused
    assert f"this CPython {platform.python_version()}" in refused
    assert again == "again: True"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13+ publish offsets")
def test_nothing_to_check_before_3_13():
    assert _core._layout_fields() == ()
    assert _core._check_layout() is None
    with pytest.raises(ValueError, match="field"):
        _core._check_layout("gc.size", 1)


@pytest.mark.parametrize("field", ["nope", "gc", "thread_state.nope", ""])
def test_unknown_field_is_a_value_error(field):
    with pytest.raises(ValueError, match="field must be"):
        _core._check_layout(field, 1)


@pytest.mark.parametrize("field", [1, b"gc.size", ["gc.size"]])
def test_field_must_be_a_string(field):
    with pytest.raises(TypeError):
        _core._check_layout(field, 1)


def test_offset_must_be_an_int():
    with pytest.raises(TypeError):
        _core._check_layout(None, "8")
