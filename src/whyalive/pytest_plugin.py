"""The whyalive pytest plugin: a test fails when objects it made outlive it.

It does nothing unless asked, by one of:

- ``--whyalive-watch=pkg.mod.Widget,pkg.mod.Actor`` (ini ``whyalive_watch``):
  after every test, instances of those classes created during the test
  (its function-scoped fixtures included) that are still alive fail it;
- ``@pytest.mark.no_leaks(Widget, Actor)`` on a test, a class or a module:
  the same, for those tests and classes.  With a single class write
  ``@pytest.mark.no_leaks.with_args(Widget)`` or
  ``@pytest.mark.no_leaks("app.Widget")``: pytest takes a mark called with
  one class as decorating that class (the plugin says so if it happens);
- the ``leak_watch`` fixture: ``leak_watch(obj)`` in a test, and ``obj``
  must be freed once the test and its fixtures are torn down;
- the ``whyalive_snapshot`` fixture: the test's baseline, a
  :class:`whyalive.Snapshot` of the watched classes taken before it ran;
- ``--whyalive-cycles=pkg.mod.Node`` (ini ``whyalive_cycles``): reports,
  at the end of the run, the tests that left reference cycles holding
  instances of those classes for the collector to break (freed or not),
  each cycle with its labelled references (:func:`whyalive.cycles`).
  It does not fail them.  Each such test starts and ends with a full
  collection, so that cycles are counted for the test that made them.

The leak shows where pytest users look: as an error in the test's
teardown whose text is the retainer tree, with a one-line reason in the
short summary (``-ra``).  Instances made while a broader-scoped fixture
(module, class, session) is set up belong to that fixture, not to the
test.  The plugin keeps ids and weak references only; after a report it
holds nothing of the test's objects.  A test that failed is not checked:
its traceback keeps its locals alive on purpose.
"""

from __future__ import annotations

import gc
import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import testing
from .cycles import cycles
from .render.text import render_report
from .report import Report

#: What ``-ra`` and the report say comes after the counts.
WHEN = "after teardown"

_SETTINGS = pytest.StashKey["_Settings"]()
_WATCH = pytest.StashKey["_Watch"]()
_FAILED = pytest.StashKey[bool]()
_CYCLES = pytest.StashKey["tuple[cycles, CycleLog]"]()
#: The report section that carries a test's cycles to the summary.
CYCLES_SECTION = "whyalive: reference cycles"


@dataclass
class _Settings:
    classes: tuple[type, ...]
    max_paths: int
    current: _Watch | None = None
    cycle_classes: tuple[type, ...] = ()


@dataclass
class _Watch:
    """What one test watches: a baseline of classes, weakly held objects."""

    snapshot: testing.Snapshot | None
    objects: testing.expect_freed = field(default_factory=testing.expect_freed)


# --------------------------------------------------------------------------
# Options, ini values, markers
# --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("whyalive", "whyalive: objects that outlive a test")
    group.addoption(
        "--whyalive-watch",
        action="append",
        dest="whyalive_watch",
        default=None,
        metavar="CLASSES",
        help=(
            "comma-separated classes (pkg.mod.Class or pkg.mod:Class); a test "
            "fails if instances it created are alive after its teardown, and "
            "the failure says what holds them (ini: whyalive_watch)"
        ),
    )
    group.addoption(
        "--whyalive-max-paths",
        action="store",
        dest="whyalive_max_paths",
        default=None,
        metavar="N",
        help="retainer paths shown per leaked object, default 3 "
        "(ini: whyalive_max_paths)",
    )
    group.addoption(
        "--whyalive-cycles",
        action="append",
        dest="whyalive_cycles",
        default=None,
        metavar="CLASSES",
        help=(
            "comma-separated classes; report the tests that leave reference "
            "cycles holding their instances for the collector to break "
            "(ini: whyalive_cycles)"
        ),
    )
    parser.addini(
        "whyalive_cycles",
        type="linelist",
        default=[],
        help="classes whose reference cycles a test must not leave (whyalive)",
    )
    parser.addini(
        "whyalive_watch",
        type="linelist",
        default=[],
        help="classes whose instances must not outlive a test (whyalive)",
    )
    parser.addini(
        "whyalive_max_paths",
        default="3",
        help="retainer paths shown per leaked object (whyalive)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "no_leaks(*classes): fail the test if instances of these classes that "
        "it created, or objects given to the leak_watch fixture, are alive "
        "after its teardown (whyalive)",
    )
    names = config.getoption("whyalive_watch") or config.getini("whyalive_watch")
    classes = tuple(_resolve_class(name, "--whyalive-watch") for name in _split(names))
    raw = config.getoption("whyalive_max_paths") or config.getini("whyalive_max_paths")
    try:
        max_paths = int(raw)
        if max_paths < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise pytest.UsageError(
            f"--whyalive-max-paths must be a whole number >= 1, got {raw!r}"
        ) from None
    names = config.getoption("whyalive_cycles") or config.getini("whyalive_cycles")
    cycle_classes = tuple(
        _resolve_class(name, "--whyalive-cycles") for name in _split(names)
    )
    config.stash[_SETTINGS] = _Settings(classes, max_paths, cycle_classes=cycle_classes)


def _split(values: list[str]) -> list[str]:
    names = []
    for value in values:
        names.extend(part.strip() for part in value.replace(",", " ").split())
    return [name for name in names if name]


def _resolve_class(name: str, where: str) -> type:
    """``pkg.mod.Class`` (or ``pkg.mod:Class``, ``pkg.mod.Outer.Inner``)."""
    if ":" in name:
        module_name, _, attrs = name.partition(":")
        candidates = [(module_name, attrs.split("."))]
    else:
        parts = name.split(".")
        candidates = [
            (".".join(parts[:i]), parts[i:]) for i in range(len(parts) - 1, 0, -1)
        ]
    if not candidates or not all(m and all(attrs) for m, attrs in candidates):
        raise pytest.UsageError(
            f"{where}: {name!r} is not a class name like pkg.module.Class"
        )
    for module_name, attrs in candidates:
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name + ".").startswith(exc.name + "."):
                continue  # no such module: try a shorter prefix
            raise pytest.UsageError(
                f"{where}: cannot import {name!r}: importing {module_name} "
                f"failed: {exc}"
            ) from None
        except Exception as exc:
            raise pytest.UsageError(
                f"{where}: cannot import {name!r}: importing {module_name} "
                f"raised {type(exc).__name__}: {exc}"
            ) from None
        for attr in attrs:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise pytest.UsageError(
                    f"{where}: cannot import {name!r}: {module_name} has no "
                    f"attribute {'.'.join(attrs)!r}"
                ) from None
        if not isinstance(obj, type):
            raise pytest.UsageError(
                f"{where}: {name!r} is a {type(obj).__name__}, not a class"
            )
        return obj
    raise pytest.UsageError(
        f"{where}: cannot import {name!r}: no module of that name "
        "(is its package installed, or on the pythonpath ini option?)"
    )


def _marker_classes(item: pytest.Item) -> tuple[tuple[type, ...], bool]:
    """Classes named by ``no_leaks`` markers, and whether there is one."""
    classes: list[type] = []
    marked = False
    for marker in item.iter_markers("no_leaks"):
        marked = True
        if marker.kwargs:
            raise TypeError(
                f"@pytest.mark.no_leaks takes classes only, not "
                f"{', '.join(sorted(marker.kwargs))}="
            )
        for arg in marker.args:
            if isinstance(arg, str):
                for name in _split([arg]):
                    classes.append(_resolve_class(name, "@pytest.mark.no_leaks"))
            elif isinstance(arg, type):
                classes.append(arg)
            elif isinstance(arg, tuple) and all(isinstance(c, type) for c in arg):
                classes.extend(arg)
            else:
                raise TypeError(
                    "@pytest.mark.no_leaks takes classes (or their dotted names), "
                    f"not {type(arg).__name__}"
                )
    return tuple(dict.fromkeys(classes)), marked


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> None:
    """Catch ``@pytest.mark.no_leaks(Widget)``: with one class as its only
    argument, a pytest mark decorates that class and returns it, so the
    test becomes a ``Widget`` and would silently never run."""
    if inspect.isfunction(obj) or isinstance(obj, type):
        return
    marks = getattr(type(obj), "pytestmark", None)
    if not isinstance(marks, list) or not any(
        getattr(mark, "name", None) == "no_leaks" for mark in marks
    ):
        return
    test_like = getattr(collector, "funcnamefilter", None)
    class_like = getattr(collector, "classnamefilter", None)
    if not ((test_like and test_like(name)) or (class_like and class_like(name))):
        return
    cls = type(obj)
    raise collector.CollectError(
        f"{name} is not a test but a {cls.__qualname__}: "
        f"@pytest.mark.no_leaks({cls.__qualname__}) with one class as its only "
        "argument decorates that class (a rule of pytest marks); write "
        f"@pytest.mark.no_leaks.with_args({cls.__qualname__}) or "
        f'@pytest.mark.no_leaks("{cls.__module__}.{cls.__qualname__}")'
    )


# --------------------------------------------------------------------------
# The run of one test
# --------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """The baseline, before any fixture of the test is set up."""
    settings = item.config.stash[_SETTINGS]
    settings.current = None
    try:
        marked, _ = _marker_classes(item)
    except (TypeError, pytest.UsageError) as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    classes = tuple(dict.fromkeys(settings.classes + marked))
    if settings.cycle_classes:
        gc.collect()  # earlier tests' garbage is theirs
        block = cycles(classes=settings.cycle_classes)
        item.stash[_CYCLES] = (block, block.__enter__())
    snapshot = testing.Snapshot(classes, collect=False) if classes else None
    watch = _Watch(snapshot)
    item.stash[_WATCH] = watch
    settings.current = watch


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any):
    """Instances a broader-scoped fixture makes are not the test's."""
    yield
    if fixturedef.scope == "function":
        return
    settings = request.config.stash.get(_SETTINGS, None)
    watch = settings.current if settings is not None else None
    if watch is not None and watch.snapshot is not None:
        watch.snapshot.update()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Teardown checks collect afresh (see ``whyalive.gc_collect_once``)."""
    item.config.stash[_SETTINGS].current = None
    if hasattr(item, testing.COLLECTED_MARK):
        delattr(item, testing.COLLECTED_MARK)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.when in ("setup", "call") and not report.passed:
        item.stash[_FAILED] = True
    if call.when != "teardown":
        return
    if _CYCLES in item.stash:
        block, found = item.stash[_CYCLES]
        del item.stash[_CYCLES]
        try:
            gc.collect()
        finally:
            block.__exit__(None, None, None)
        if len(found):
            report.sections.append((CYCLES_SECTION, str(found)))
    watch = item.stash.get(_WATCH, None)
    failed = item.stash.get(_FAILED, False)
    for key in (_WATCH, _FAILED):
        if key in item.stash:
            del item.stash[key]
    if watch is None or failed or not report.passed:
        return
    try:
        message = _check(item, watch)
    except Exception as exc:  # a bug of ours must not pass for a leak or a pass
        message = f"whyalive could not check for leaks: {type(exc).__name__}: {exc}"
    del watch
    if message:
        report.outcome = "failed"
        report.longrepr = message


def _check(item: pytest.Item, watch: _Watch) -> str:
    settings = item.config.stash[_SETTINGS]
    if watch.snapshot is None and not len(watch.objects):
        return ""
    snapshot = watch.snapshot

    def survivors() -> bool:
        new = snapshot is not None and snapshot.new_ids(collect=False)
        return bool(new) or watch.objects.alive() > 0

    # most tests leave nothing behind: then nothing is collected, and a
    # young garbage cycle costs a young collection, not a full one
    if not testing.collect_young_first(survivors):
        return ""
    # pytest lets go of the test's fixture values right after this report
    pending = _pending_fixture_values(item)
    blocks = []
    if watch.snapshot is not None:
        report = watch.snapshot.explain_new(
            collect=False, max_paths=settings.max_paths, exclude=pending
        )
        if report.targets:
            blocks.append(_block(report, ""))
    if len(watch.objects):
        report = watch.objects.alive_report(
            max_paths=settings.max_paths, collect=False, exclude=pending
        )
        if report.targets:
            blocks.append(_block(report, " given to leak_watch"))
    return "\n\n".join(blocks)


def _pending_fixture_values(item: pytest.Item) -> tuple[Any, ...]:
    """Containers of the test's fixture values that pytest clears after the
    teardown report (``item.funcargs``): they are not the test's leak."""
    funcargs = getattr(item, "funcargs", None)
    return (funcargs,) if isinstance(funcargs, dict) else ()


def _block(report: Report, given: str) -> str:
    """``2 Widget objects alive after teardown, held by app.REGISTRY.w[0]:``
    (the one-line reason ``-ra`` shows) and the tree."""
    counts: dict[str, int] = {}
    for target in report.targets:
        short = target.type_name.rsplit(".", 1)[-1]
        counts[short] = counts.get(short, 0) + 1
    what = ", ".join(
        f"{n} {name}" if n == 1 else f"{n} {name} objects"
        for name, n in sorted(counts.items())
    )
    head = f"{what}{given} alive {WHEN}"
    held = _first_module_path(report)
    if held:
        head += f", held by {held}"
    body = render_report(report, group=len(report.targets) > testing.GROUP_ABOVE)
    return f"{head}:\n{body}"


def _first_module_path(report: Report) -> str:
    for target in report.targets:
        for path in target.paths:
            if path.root.kind == "module":
                return path.expression
    return ""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The tests that left reference cycles (``--whyalive-cycles``)."""
    seen = set()
    found = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for title, text in getattr(report, "sections", ()):
                key = (getattr(report, "nodeid", ""), text)
                if title == CYCLES_SECTION and key not in seen:
                    seen.add(key)
                    found.append(key)
    if not found:
        return
    terminalreporter.section(CYCLES_SECTION)
    tests = "test" if len(found) == 1 else "tests"
    terminalreporter.write_line(
        f"{len(found)} {tests} left reference cycles for the collector to break:"
    )
    for nodeid, text in found:
        head, *rest = text.splitlines()
        terminalreporter.write_line(f"{nodeid}: {head}")
        for line in rest:
            terminalreporter.write_line(f"  {line}")


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def leak_watch(request: pytest.FixtureRequest):
    """``leak_watch(obj)``: ``obj`` must be freed once the test is torn down.

    Only a weak reference is kept; ``leak_watch(obj)`` returns ``obj``.
    After the test's teardown, a watched object still alive fails the
    test with the tree of what holds it.  Objects that cannot be weakly
    referenced raise ``TypeError``::

        @pytest.mark.no_leaks
        def test_close(leak_watch):
            dialog = leak_watch(open_dialog())
            dialog.close()
    """
    watch = request.node.stash.get(_WATCH, None)
    if watch is None:  # the plugin's setup hook did not run: an odd item
        watch = request.node.stash[_WATCH] = _Watch(None)
    return watch.objects


@pytest.fixture
def whyalive_snapshot(request: pytest.FixtureRequest) -> testing.Snapshot:
    """The test's baseline: a :class:`whyalive.Snapshot` of the watched classes.

    Taken before the test's fixtures were set up, it lets a test check
    mid-way, or look at what it made::

        @pytest.mark.no_leaks(Widget)
        def test_dialog(whyalive_snapshot):
            open_and_close_dialog()
            whyalive_snapshot.assert_no_new("after closing the dialog")

    Classes come from ``--whyalive-watch`` and ``@pytest.mark.no_leaks``.
    """
    watch = request.node.stash.get(_WATCH, None)
    if watch is None or watch.snapshot is None:
        pytest.fail(
            "whyalive_snapshot needs classes to watch: mark the test "
            "@pytest.mark.no_leaks(SomeClass) or pass --whyalive-watch",
            pytrace=False,
        )
    return watch.snapshot
