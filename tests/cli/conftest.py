"""The command line, run for real: ``python -m whyalive`` in a subprocess
that imports the same whyalive as these tests (an installed one in CI, the
in-place build of this source tree when run with PYTHONPATH=src)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import whyalive

# the folder holding the whyalive package these tests import
PACKAGE_PARENT = str(Path(whyalive.__file__).resolve().parents[1])


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def write(self, name: str, source: str) -> Path:
        path = self.cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [PACKAGE_PARENT, *filter(None, [env.get("PYTHONPATH")])]
        )
        return subprocess.run(
            [sys.executable, "-m", "whyalive", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def cli(tmp_path):
    """Runs ``python -m whyalive ARGS`` in a fresh directory."""
    return Cli(tmp_path)
