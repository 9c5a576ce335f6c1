"""Run a Python script as ``python SCRIPT`` would, then save a heap
snapshot of everything it left alive.

``whyalive snapshot app.py ARGS... -o heap.whyalive`` runs ``app.py`` as
``whyalive run`` does (``__main__``, ``sys.argv``, its directory first on
``sys.path``); when it ends, every object still alive, with its size and
references, is written to the file: whyalive's own format (read it with
``whyalive analyze FILE``), or with ``--format heapsnapshot`` (or an ``-o``
ending in ``.heapsnapshot``) Chrome DevTools' format, for its Memory tab.
Exit status: the script's own.

whyalive's options may come before the script or after its arguments;
anything after ``--`` is the script's.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..render.words import describe_size
from .common import UsageError, check_output, on_terminal, tell
from .run import ScriptFailed, find_program, rearrange, run_program

NAME = "snapshot"
HELP = "run a script, then save a heap snapshot of what it left alive"

#: File formats, and the extension each gets when -o is not given.
SNAPSHOT_FORMATS = {"whyalive": ".whyalive", "heapsnapshot": ".heapsnapshot"}

#: whyalive's options of ``snapshot`` and whether each takes a value.
OPTIONS = {
    "-f": True,
    "--format": True,
    "-o": True,
    "--output": True,
    "-h": False,
    "--help": False,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = (
        "whyalive snapshot [options] (SCRIPT | -m MODULE) [ARGS...] [options] "
        "[-- ARGS...]"
    )
    parser.add_argument(
        "-f",
        "--format",
        help="whyalive (read by 'whyalive analyze') or heapsnapshot (Chrome "
        "DevTools); by default from -o's extension, else whyalive",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the snapshot file (default: the script's name with the "
        "format's extension, in the current directory)",
    )
    parser.add_argument(
        "-m", dest="module", metavar="MODULE", help="run a module, like python -m"
    )
    parser.add_argument("script", nargs="?", metavar="SCRIPT")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")


def snapshot_format(fmt: str | None, output: str | None) -> str:
    """The file format, from ``--format`` or else ``-o``'s extension.

    >>> snapshot_format(None, "heap.heapsnapshot"), snapshot_format(None, None)
    ('heapsnapshot', 'whyalive')
    >>> snapshot_format("json", None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    whyalive.cli.common.UsageError: --format: unknown snapshot format 'json' ...
    """
    if fmt is None:
        ext = os.path.splitext(output or "")[1].lower()
        fmt = "heapsnapshot" if ext == ".heapsnapshot" else "whyalive"
    if fmt not in SNAPSHOT_FORMATS:
        raise UsageError(
            f"--format: unknown snapshot format {fmt!r} "
            f"(choose from {', '.join(SNAPSHOT_FORMATS)})"
        )
    return fmt


def main(args: argparse.Namespace) -> int:
    fmt = snapshot_format(args.format, args.output)
    check_output(args.output)
    if args.module and args.script:
        args.args.insert(0, args.script)
    try:
        program = find_program(args.module, args.script)
    except ScriptFailed as failed:
        return failed.status
    output = args.output or _default_output(program.label, args.module, fmt)

    status = run_program(program, list(args.args))

    import whyalive

    if on_terminal():
        tell(f"taking a heap snapshot of what {program.label} left alive...")
    snap = whyalive.heap_snapshot()
    try:
        snap.save(output, format=fmt)
    except OSError as error:
        raise UsageError(f"-o: cannot write {output!r}: {error.strerror}") from None
    sys.stdout.flush()
    tell(
        f"wrote {output}: {len(snap):,} objects, "
        f"{describe_size(snap.total_size)} "
        f"alive after {program.label}"
        + (f" (read it with: whyalive analyze {output})" if fmt == "whyalive" else "")
    )
    return status


def _default_output(label: str, module: str | None, fmt: str) -> str:
    stem = module if module else os.path.splitext(os.path.basename(label))[0]
    return stem + SNAPSHOT_FORMATS[fmt]


def preparse(argv: list[str]) -> list[str]:
    """``snapshot``'s arguments in argparse's order (see
    :func:`whyalive.cli.run.rearrange`).

    >>> preparse(["app.py", "x", "-o", "h.whyalive"])
    ['-o', 'h.whyalive', '--', 'app.py', 'x']
    """
    return rearrange(argv, OPTIONS)
