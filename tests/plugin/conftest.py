"""Plugin tests run inner pytest sessions with pytester."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

import whyalive


def pytest_configure(config: pytest.Config) -> None:
    """Load pytester for these tests.  (``pytest_plugins = ["pytester"]`` is
    refused outside the top-level conftest, and ``tests/conftest.py`` is
    shared; a conftest's ``pytest_configure`` runs when it is loaded.)"""
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


#: Where ``import whyalive`` comes from, for the inner sessions and workers.
SOURCE = str(Path(whyalive.__file__).resolve().parent.parent)


def _installed_as_entry_point() -> bool:
    return any(
        ep.name == "whyalive" and ep.value == "whyalive.pytest_plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )


#: Without an installed distribution (``PYTHONPATH=src``) the entry point is
#: absent: load the plugin by name instead.
PLUGIN_ARGS = () if _installed_as_entry_point() else ("-p", "whyalive.pytest_plugin")


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Runs pytest on files written to ``pytester.path``, plugin loaded."""
    paths = [SOURCE, str(pytester.path)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.setenv("COLUMNS", "250")  # -ra lines are cut to the width
    pytester.syspathinsert()

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest(*PLUGIN_ARGS, "-ra", *args)

    run.pytester = pytester  # type: ignore[attr-defined]
    return run
