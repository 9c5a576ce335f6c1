"""Every docstring example in the package runs, in every module.

The examples are the documentation people copy; one that no longer runs
fails here, named by its module.
"""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

import whyalive

PACKAGE = pathlib.Path(whyalive.__file__).parent


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # running it is running the command line
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


MODULES = _module_names()


def test_the_package_has_its_modules():
    assert {"whyalive", "whyalive.query", "whyalive.report"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        test.globs = {**test.globs}  # a fresh namespace per docstring
        runner.run(test, out=lambda text: None)
    results = runner.summarize(verbose=False)
    if results.failed:
        # run again, printing, so the failure shows what was expected
        report: list[str] = []
        rerun = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        for test in finder.find(module, name):
            rerun.run(test, out=report.append)
        pytest.fail("".join(report))
