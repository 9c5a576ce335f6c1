"""Shared fixtures: a throwaway module in sys.modules, and reports over a
hand-written core result for the views and renderers.  Helper functions
live in ``helpers.py``: ``conftest`` also names tests/plugin/conftest.py."""

from __future__ import annotations

import itertools
import sys
import types

import pytest

from whyalive import Report

_counter = itertools.count()


@pytest.fixture
def module():
    """A fresh module registered in sys.modules (a module-global root)."""
    name = f"whyalive_testmod_{next(_counter)}"
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    try:
        yield mod
    finally:
        sys.modules.pop(name, None)
        mod.__dict__.clear()


#: What ``_core.find_paths`` returns for one app.Widget held by a module
#: global through a dict and an attribute, and by a local of a running frame.
SAMPLE_CORE_RESULT = (
    None,
    [
        (
            0x7F00,
            "app.Widget",
            "",
            3,
            3,
            0,
            "rooted",
            (
                (
                    ("module", "app.REGISTRY", ("app", "REGISTRY")),
                    (
                        ("dict", 0x10, "['w1']", "key", ""),
                        ("app.Registry", 0x11, ".registry", "attr", ""),
                    ),
                    3,
                ),
                (("frame", "w", ("test_leak", "t.py", 12, 0x1, "local", 2)), (), 1),
            ),
            0,
        )
    ],
    (10, 20, 1, 3, 0.01, 0.001, 0.011),
    None,
)


@pytest.fixture
def sample_core_result():
    """SAMPLE_CORE_RESULT, the core's tuple for one app.Widget."""
    return SAMPLE_CORE_RESULT


@pytest.fixture
def make_sample_report():
    """Makes a new Report over SAMPLE_CORE_RESULT, its frame in thread
    MainThread (a fixture, as ``conftest`` names more than one module)."""

    def make() -> Report:
        return Report.from_core(SAMPLE_CORE_RESULT, thread_names={0x1: "MainThread"})

    return make


#: Reports with more targets are checked on their first this many (the
#: shape is the same for every target; validating 200,000 is slow).
SCHEMA_CHECKED_TARGETS = 500


@pytest.fixture(autouse=True, scope="session")
def every_report_follows_the_json_schema():
    """Every Report the suite makes, made by a query, a test or a JSON
    document, is checked against the JSON Schema shipped in the package
    as it is made: a report the schema does not describe fails the test
    that made it."""
    import jsonschema

    from whyalive.render import json as report_json

    validator = jsonschema.Draft202012Validator(report_json.schema())
    original_init = Report.__init__

    original_from_core = Report.__dict__["from_core"]

    def init_and_validate(self, targets, partial, stats):
        original_init(self, targets, partial, stats)
        document = report_json.to_dict(self)
        document["targets"] = document["targets"][:SCHEMA_CHECKED_TARGETS]
        validator.validate(document)

    def from_core_and_validate(cls, *args, **kwargs):
        # (a report made from the core's answer makes its views lazily:
        # the first ones are made here, checked by the constructor above)
        report = original_from_core.__func__(cls, *args, **kwargs)
        Report(report[:SCHEMA_CHECKED_TARGETS], report.partial_reason, report.stats)
        return report

    Report.__init__ = init_and_validate
    Report.from_core = classmethod(from_core_and_validate)
    try:
        yield validator
    finally:
        Report.__init__ = original_init
        Report.from_core = original_from_core
