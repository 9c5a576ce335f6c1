"""The pytest plugin, through inner pytest sessions (pytester)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import textwrap
from pathlib import Path

import pytest

WIDGETS = """
class Widget:
    def __init__(self, name):
        self.name = name

    def on_change(self):
        pass


class Registry:
    def __init__(self):
        self.callbacks = {}


REGISTRY = Registry()
"""

SUITE = """
import gc
import weakref

import widgets

LAST = []


def test_leaky():
    w = widgets.Widget("w1")
    widgets.REGISTRY.callbacks["changed"] = [w.on_change]
    LAST.append(weakref.ref(w))


def test_clean():
    w = widgets.Widget("w2")
    assert w.name == "w2"


def test_plugin_let_go():
    # once the registry forgets it, nothing (the plugin included) holds it
    widgets.REGISTRY.callbacks.clear()
    gc.collect()
    assert LAST[0]() is None
"""


def write(suite, **files: str) -> None:
    suite.pytester.makepyfile(
        widgets=WIDGETS, **{k: textwrap.dedent(v) for k, v in files.items()}
    )


def has_line(result: pytest.RunResult, *parts: str) -> None:
    """A line of the output holds ``parts`` in order (no glob: reports hold [])."""
    pattern = ".*".join(re.escape(part) for part in parts)
    lines = result.stdout.lines + result.stderr.lines
    assert any(re.search(pattern, line) for line in lines), "\n".join(lines)


def assert_leak_reported(result: pytest.RunResult, test: str = "test_leaky") -> None:
    text = result.stdout.str()
    assert f"ERROR at teardown of {test}" in text
    assert ".__self__ of bound method Widget.on_change" in text
    assert "['changed'] in dict" in text
    assert ".callbacks of widgets.Registry" in text
    assert "widgets.REGISTRY  (root: module global)" in text
    # the one-line reason of the short summary
    has_line(
        result,
        f"ERROR test_suite.py::{test} - 1 Widget alive after teardown, held by "
        "widgets.REGISTRY.callbacks['changed'][0].__self__:",
    )
    assert "whyalive/pytest_plugin.py" not in text
    assert "whyalive/testing.py" not in text


def test_does_nothing_unless_asked(suite):
    write(suite, test_suite=SUITE)
    result = suite()
    result.assert_outcomes(passed=3)


def test_option_fails_only_the_leaky_test(suite):
    write(suite, test_suite=SUITE)
    result = suite("--whyalive-watch=widgets.Widget")
    result.assert_outcomes(passed=3, errors=1)
    assert_leak_reported(result)


def test_ini_twin(suite):
    write(suite, test_suite=SUITE)
    suite.pytester.makeini(
        "[pytest]\nwhyalive_watch = widgets.Widget, widgets.Registry\n"
    )
    result = suite()
    result.assert_outcomes(passed=3, errors=1)
    assert_leak_reported(result)


def test_option_takes_several_classes_and_colon_form(suite):
    write(
        suite,
        test_suite="""
        import widgets
        KEEP = []

        def test_two_kinds():
            KEEP.append(widgets.Widget("a"))
            KEEP.append(widgets.Registry())
        """,
    )
    result = suite("--whyalive-watch", "widgets:Widget,widgets.Registry")
    result.assert_outcomes(passed=1, errors=1)
    has_line(
        result, "ERROR ", "::test_two_kinds - 1 Registry, 1 Widget alive after teardown"
    )


def test_marker_on_a_test_and_on_a_module(suite):
    write(
        suite,
        test_suite="""
        import pytest
        import widgets

        @pytest.mark.no_leaks.with_args(widgets.Widget)
        def test_leaky():
            w = widgets.Widget("w1")
            widgets.REGISTRY.callbacks["changed"] = [w.on_change]

        def test_unmarked_leak_is_not_checked():
            widgets.REGISTRY.callbacks["other"] = [widgets.Widget("w2").on_change]
        """,
        test_module_marked="""
        import pytest
        import widgets

        pytestmark = pytest.mark.no_leaks("widgets.Widget")

        def test_module_leak():
            widgets.REGISTRY.callbacks["module"] = [widgets.Widget("w3")]
        """,
    )
    result = suite()
    result.assert_outcomes(passed=3, errors=2)
    assert_leak_reported(result)
    has_line(result, "ERROR test_module_marked.py::test_module_leak - 1 Widget alive")


def test_marker_with_leak_watch(suite):
    write(
        suite,
        test_suite="""
        import pytest
        import widgets

        SEEN = []

        @pytest.mark.no_leaks
        def test_watched(leak_watch):
            w = leak_watch(widgets.Widget("w1"))
            SEEN.append(w)

        @pytest.mark.no_leaks
        def test_freed(leak_watch):
            leak_watch(widgets.Widget("w2"))

        def test_not_weakrefable(leak_watch):
            leak_watch({})
        """,
    )
    result = suite()
    result.assert_outcomes(passed=2, failed=1, errors=1)
    text = result.stdout.str()
    assert "ERROR at teardown of test_watched" in text
    assert "[0] in list" in text
    assert "test_suite.SEEN  (root: module global)" in text
    has_line(
        result,
        "ERROR test_suite.py::test_watched - 1 Widget given to leak_watch alive after "
        "teardown, held by test_suite.SEEN[0]:",
    )
    has_line(
        result,
        "FAILED test_suite.py::test_not_weakrefable - TypeError: watch() cannot "
        "watch an object of type builtins.dict",
    )


def test_fixture_made_objects(suite):
    """Function-scoped fixtures belong to the test; broader ones do not."""
    write(
        suite,
        test_suite="""
        import pytest
        import widgets

        @pytest.fixture(scope="module")
        def shared_widget():
            return widgets.Widget("shared")

        @pytest.fixture
        def leaky_widget():
            w = widgets.Widget("from a fixture")
            widgets.REGISTRY.callbacks["fixture"] = [w]
            yield w

        @pytest.fixture
        def clean_widget():
            yield widgets.Widget("clean")

        def test_uses_shared(shared_widget):
            pass

        def test_uses_shared_again(shared_widget):
            pass

        def test_uses_leaky(leaky_widget):
            pass

        def test_uses_clean(clean_widget):
            pass
        """,
    )
    result = suite("--whyalive-watch=widgets.Widget")
    result.assert_outcomes(passed=4, errors=1)
    has_line(result, "ERROR test_suite.py::test_uses_leaky - 1 Widget alive")


def test_failed_test_is_not_checked(suite):
    write(
        suite,
        test_suite="""
        import widgets

        def test_fails():
            w = widgets.Widget("kept by the traceback")
            assert w.name == "something else"
        """,
    )
    result = suite("--whyalive-watch=widgets.Widget")
    result.assert_outcomes(failed=1)


def test_whyalive_snapshot_fixture(suite):
    write(
        suite,
        test_suite="""
        import pytest
        import widgets

        KEEP = []

        @pytest.mark.no_leaks((widgets.Widget,))
        def test_mid_way(whyalive_snapshot):
            KEEP.append(widgets.Widget("early"))
            assert len(whyalive_snapshot.new_ids()) == 1
            KEEP.clear()
            whyalive_snapshot.assert_no_new("after clearing")

        def test_without_classes(whyalive_snapshot):
            pass
        """,
    )
    result = suite()
    result.assert_outcomes(passed=1, errors=1)
    has_line(
        result,
        "ERROR test_suite.py::test_without_classes - Failed: whyalive_snapshot needs "
        "classes to watch",
    )


def test_many_leaks_are_grouped_and_max_paths(suite):
    write(
        suite,
        test_suite="""
        import widgets

        POOL = []

        def test_many():
            POOL.extend(widgets.Widget(str(i)) for i in range(30))
        """,
    )
    result = suite("--whyalive-watch=widgets.Widget", "--whyalive-max-paths=1")
    result.assert_outcomes(passed=1, errors=1)
    text = result.stdout.str()
    assert "30 Widget objects alive after teardown" in text
    assert "30 widgets.Widget objects held the same way" in text
    assert "[i] in list" in text


def test_unimportable_class_is_a_usage_error(suite):
    write(suite, test_suite=SUITE)
    result = suite("--whyalive-watch=widgets.Nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    has_line(result, "ERROR: --whyalive-watch: cannot import 'widgets.Nope': widgets")
    result = suite("--whyalive-watch=nosuchpackage.Widget")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    has_line(
        result, "ERROR: --whyalive-watch: cannot import 'nosuchpackage.Widget': no "
    )
    result = suite("--whyalive-watch=widgets.REGISTRY")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    has_line(result, "ERROR: ", "'widgets.REGISTRY' is a Registry, not a class")
    result = suite("--whyalive-max-paths=0", "--whyalive-watch=widgets.Widget")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_marker_with_one_class_is_caught(suite):
    """``@pytest.mark.no_leaks(Widget)`` would turn the test into a Widget."""
    write(
        suite,
        test_suite="""
        import pytest
        import widgets

        @pytest.mark.no_leaks(widgets.Widget)
        def test_swallowed():
            pass

        @pytest.mark.no_leaks(widgets.Widget, widgets.Registry)
        def test_two_classes_are_fine():
            pass
        """,
    )
    result = suite()
    result.assert_outcomes(errors=1)
    has_line(
        result,
        "test_swallowed is not a test but a Widget: @pytest.mark.no_leaks(Widget) "
        "with one class",
    )
    has_line(result, "@pytest.mark.no_leaks.with_args(Widget)")


def test_bad_marker_argument_fails_that_test(suite):
    write(
        suite,
        test_suite="""
        import pytest

        @pytest.mark.no_leaks(42)
        def test_bad():
            pass
        """,
    )
    result = suite()
    result.assert_outcomes(errors=1)
    has_line(result, "ERROR test_suite.py::test_bad - Failed: @pytest.mark.no_leaks")


def test_without_cacheprovider(suite):
    write(suite, test_suite=SUITE)
    result = suite("-p", "no:cacheprovider", "--whyalive-watch=widgets.Widget")
    result.assert_outcomes(passed=3, errors=1)
    assert_leak_reported(result)


def test_help_lists_options(suite):
    result = suite("--help")
    result.stdout.fnmatch_lines(
        ["*whyalive*", "*--whyalive-watch=CLASSES*", "*--whyalive-max-paths=N*"]
    )
    result.stdout.fnmatch_lines(["*whyalive_watch*"])


@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed"
)
def test_xdist(suite):
    write(suite, test_suite=SUITE.replace("def test_plugin_let_go", "def _unused"))
    # workers start from the invoking environment: the ini puts the suite's
    # directory on sys.path for them, as a project would
    suite.pytester.makeini("[pytest]\npythonpath = .\n")
    result = suite(
        "-n", "2", "-p", "no:cacheprovider", "--whyalive-watch=widgets.Widget"
    )
    result.assert_outcomes(passed=2, errors=1)
    assert_leak_reported(result)


def test_example_widgets_suite(suite):
    """examples/widgets_suite fails as the README shows."""
    example = Path(__file__).resolve().parents[2] / "examples" / "widgets_suite"
    for name in ("widgets.py", "test_widgets.py", "pytest.ini"):
        shutil.copy(example / name, suite.pytester.path / name)
    result = suite()
    result.assert_outcomes(passed=4, errors=2)
    has_line(
        result,
        "ERROR test_widgets.py::test_dialog_forgets_to_unsubscribe - 1 Widget alive "
        "after teardown, held by widgets.BUS.handlers['click'][0].__self__:",
    )
    has_line(result, "ERROR test_widgets.py::test_style_is_cached_per_widget - ")
    has_line(result, "<cache key> in lru_cache style_for")


def test_objects_freed_by_the_collector_pass_and_leaks_in_cycles_are_caught(suite):
    """The plugin collects only when a watched object survives, youngest
    generation first: garbage cycles, young or promoted to the oldest
    generation, still pass; a leak, in a cycle or of a subclass, is
    still caught and explained."""
    write(
        suite,
        test_suite="""
        import gc
        import widgets

        class Special(widgets.Widget):
            pass

        KEEP = []

        def test_freed_by_refcount():
            widgets.Widget("plain")

        def test_young_cycle():
            w = widgets.Widget("cycle")
            w.me = w

        def test_old_cycle():
            w = widgets.Widget("old cycle")
            w.me = w
            gc.collect()  # w survives it: now in the oldest generation
            del w

        def test_cycle_through_a_fixture_like_holder():
            a, b = widgets.Widget("a"), widgets.Widget("b")
            a.peer, b.peer = b, a

        def test_leaked_cycle():
            w = Special("kept")
            w.me = w
            KEEP.append(w)
        """,
    )
    result = suite("--whyalive-watch=widgets.Widget")
    result.assert_outcomes(passed=5, errors=1)
    has_line(
        result,
        "ERROR test_suite.py::test_leaked_cycle - 1 Special alive after teardown, "
        "held by test_suite.KEEP[0]:",
    )
    assert "[0] in list" in result.stdout.str()


def test_the_plugins_own_calls_are_never_retainers(suite):
    """Issue 11: with the class reachable from the heap (an lru_cache
    keyed by it), no argument, keyword dict or tuple of the plugin's or
    whyalive's own calls shows on a path: the leak is told through the
    cache alone, and nothing is "held from outside"."""
    write(
        suite,
        test_suite="""
        import functools
        import widgets

        @functools.cache
        def style_for(cls, name):
            return cls(name)

        def test_cached_widget():
            style_for(widgets.Widget, "cached")

        def test_clean():
            widgets.Widget("clean")
        """,
    )
    result = suite("--whyalive-watch=widgets.Widget")
    result.assert_outcomes(passed=2, errors=1)
    # whyalive's report only: pytest's warnings summary may name the plugin's
    # module (an assertion-rewrite warning when another test imported it)
    text = result.stdout.str().split("warnings summary")[0]
    assert "<cache>" in text and "lru_cache style_for" in text
    for own in ("instances_of", "more_objs", "held from outside", "pytest_plugin"):
        assert own not in text, own
    # the shortest path is the cache, from the module that defines it
    has_line(
        result,
        "1 Widget alive after teardown, held by test_suite.style_for -> <cache>[",
    )


CYCLES_SUITE = """
import widgets


def test_leaves_a_cycle():
    w = widgets.Widget("w1")
    w.me = [w]


def test_leaves_another_kind_of_cycle():
    r = widgets.Registry()
    r.callbacks["self"] = r


def test_clean():
    w = widgets.Widget("w2")
    assert w.name == "w2"
"""


def test_cycles_option_reports_the_tests_that_leave_cycles(suite):
    write(suite, test_suite=CYCLES_SUITE)
    result = suite("--whyalive-cycles=widgets.Widget")
    result.assert_outcomes(passed=3)  # reported, not failed
    text = result.stdout.str()
    assert "whyalive: reference cycles" in text
    assert "1 test left reference cycles for the collector to break:" in text
    has_line(
        result,
        "test_suite.py::test_leaves_a_cycle: 1 cycle in",
    )
    assert "cycle of 2 objects (list, widgets.Widget), freed by a collection" in text
    assert "  #1 widgets.Widget  .me -> #2" in text
    assert "#2 list  [0] -> #1" in text
    assert "test_clean:" not in text
    assert "test_leaves_another_kind_of_cycle:" not in text


def test_cycles_ini_twin_and_several_classes(suite):
    write(suite, test_suite=CYCLES_SUITE)
    suite.pytester.makeini(
        "[pytest]\nwhyalive_cycles = widgets.Widget, widgets.Registry\n"
    )
    result = suite()
    result.assert_outcomes(passed=3)
    text = result.stdout.str()
    assert "2 tests left reference cycles for the collector to break:" in text
    assert "#1 widgets.Registry  .callbacks -> #2" in text
    assert "#2 dict  ['self'] -> #1" in text
    assert "test_clean:" not in text


def test_cycles_option_needs_classes(suite):
    write(suite, test_suite=CYCLES_SUITE)
    result = suite("--whyalive-cycles=widgets.Nothing")
    assert result.ret != 0
    has_line(result, "--whyalive-cycles", "widgets.Nothing")
