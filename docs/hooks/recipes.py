"""mkdocs hook: the output shown on a page is the output of a real run.

A line ``<!-- recipe: examples/recipes/x.py -->`` in a page becomes the
script's source and what it printed when the site was built; a line
``<!-- command: whyalive run --help -->`` becomes the command's output
(``whyalive`` runs as ``python -m whyalive``).  Addresses are masked
(``0x…``), since they change from run to run.  A script or command that
fails fails the build.
"""

from __future__ import annotations

import importlib.machinery
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!-- (?P<what>recipe|command): (?P<arg>.+?) -->$", re.M)
ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b")


def mask(text: str) -> str:
    """Addresses change from run to run: ``0x7f2926588990`` -> ``0x…``."""
    return ADDRESS.sub("0x…", text)


def environment(root: Path) -> dict[str, str]:
    """Run with the source tree's whyalive when it is built in place, else
    with the installed one (CI installs it)."""
    env = dict(os.environ)
    package = root / "src" / "whyalive"
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    if any((package / f"_core{suffix}").is_file() for suffix in suffixes):
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(root / "src"), env.get("PYTHONPATH")) if p
        )
    return env


def run(argv: list[str], root: Path, *, check: bool = True) -> tuple[str, int]:
    """``python ARGV``'s output and exit status; with ``check``, a failure
    fails the build."""
    result = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env=environment(root),
    )
    if check and result.returncode != 0:
        raise PluginError(
            f"{' '.join(argv)} failed (exit {result.returncode}):\n{result.stderr}"
        )
    return mask(result.stdout + result.stderr), result.returncode


def expand(markdown: str, root: Path) -> str:
    def replace(m: re.Match[str]) -> str:
        if m["what"] == "recipe":
            path = m["arg"]
            source = (root / path).read_text(encoding="utf-8")
            output, _ = run([path], root)
            return (
                f'```python title="{path}"\n{source.rstrip()}\n```\n\n'
                "What it prints (run when this page was built):\n\n"
                f"```text\n{output.rstrip()}\n```"
            )
        # a command's exit status is part of what it says: shown, not checked
        argv = shlex.split(m["arg"])
        if argv[0] == "whyalive":
            argv = ["-m", "whyalive", *argv[1:]]
        output, status = run(argv, root, check=False)
        tail = f"\n(exit status {status})" if status else ""
        return f"```text\n$ {m['arg']}\n{output.rstrip()}{tail}\n```"

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return expand(markdown, Path(config["config_file_path"]).parent)
