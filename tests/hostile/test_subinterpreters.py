"""Subinterpreters (issue 9): whyalive refuses, clearly, a subinterpreter
with its own GIL (a walk borrows GC header words of objects every
interpreter shares), and works in one that shares the main GIL."""

from __future__ import annotations

import sys

import pytest

from helpers import run_python

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 12), reason="per-interpreter GIL exists from 3.12"
)

SCRIPT = """
import os, sys
try:
    import _interpreters as interpreters
except ImportError:
    import _xxsubinterpreters as interpreters

import whyalive
path = os.path.dirname(os.path.dirname(whyalive.__file__))
code = (
    f"import sys; sys.path.insert(0, {path!r})\\n"
    "try:\\n"
    "    import whyalive\\n"
    "except ImportError as exc:\\n"
    "    print('refused:', exc, flush=True)\\n"
    "else:\\n"
    "    for _ in range(3):\\n"
    "        whyalive.explain([])\\n"
    "    print('explained', flush=True)\\n"
)
if sys.version_info >= (3, 13):
    own, shared = interpreters.create("isolated"), interpreters.create("legacy")
    interpreters.exec(own, code)
    interpreters.exec(shared, code)
else:
    own = interpreters.create(isolated=True)
    shared = interpreters.create(isolated=False)
    interpreters.run_string(own, code)
    interpreters.run_string(shared, code)
print("done", flush=True)
"""


def test_own_gil_subinterpreter_refused_shared_gil_one_works():
    proc = run_python(SCRIPT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(
        "refused: whyalive cannot be imported in a subinterpreter"
    )
    assert lines[1:] == ["explained", "done"]
