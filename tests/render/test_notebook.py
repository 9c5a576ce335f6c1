"""A real notebook: nbclient runs it on an IPython kernel that imports the
whyalive these tests import, and the report's outputs are checked as
Jupyter stores them (``text/html`` from ``_repr_html_``, ``text/plain``
from ``_repr_pretty_``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import whyalive

nbformat = pytest.importorskip("nbformat", reason="the test extra installs it")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs it")
pytest.importorskip("ipykernel", reason="the test extra installs it")

PACKAGE_PARENT = str(Path(whyalive.__file__).resolve().parents[1])

CELLS = [
    """\
import whyalive

class Session:
    pass

SESSIONS = {"s1": Session()}
whyalive.explain(SESSIONS["s1"])""",
    'print(repr(whyalive.explain(SESSIONS["s1"])))',
    "whyalive.explain_instances(Session, max_paths=1)._repr_html_().count('<details')",
]


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A kernel spec of this interpreter, with this whyalive on its path."""
    spec = tmp_path / "jupyter" / "kernels" / "whyalive-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": argv,
                "display_name": "whyalive test",
                "language": "python",
                "env": {"PYTHONPATH": PACKAGE_PARENT},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "whyalive-test"


def test_a_notebook_shows_the_report_as_html(tmp_path, kernel_name):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        startup_timeout=300,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    (shown,) = notebook.cells[0].outputs
    assert shown["output_type"] == "execute_result"
    page = shown["data"]["text/html"]
    assert page.startswith('<div class="whyalive-report">')
    assert '<details class="wa-target" open>' in page
    assert '<span class="wa-edge">[&#x27;s1&#x27;] in dict</span>' in page
    assert (
        '<span class="wa-root wa-root-module">__main__.SESSIONS'
        '<span class="wa-root-badge">root: module global</span>'
    ) in page
    # text/plain is the text tree (_repr_pretty_), not a bare repr
    plain = shown["data"]["text/plain"]
    assert "└── ['s1'] in dict" in plain
    assert "__main__.SESSIONS  (root: module global)" in plain

    (printed,) = notebook.cells[1].outputs
    line = printed["text"].strip()
    assert line.startswith("<whyalive.Report: __main__.Session at 0x")
    assert "held by __main__.SESSIONS['s1'] (module global)" in line
    assert "\n" not in line

    (count,) = notebook.cells[2].outputs
    assert int(count["data"]["text/plain"]) >= 2  # the target and its dict
