"""The ``whyalive`` command line: one module per subcommand.

Each subcommand module has ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``main(args) -> int``.  :func:`main` parses the command line, runs the
subcommand, and turns a :class:`UsageError` (bad input: a missing script,
an unknown class, a bad format) into one line on stderr and exit status 2,
as argparse does for its own errors; never a traceback.

    >>> from whyalive.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    whyalive ...
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .common import UsageError

__all__ = ["UsageError", "main"]

PROG = "whyalive"


def _subcommands() -> list:
    from . import analyze, attach, run, snapshot

    return [run, snapshot, analyze, attach]


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line, every subcommand included."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Why is this Python object still alive? "
        "Named retainer paths, from a script's end or a running process.",
    )
    parser.add_argument(
        "--version", action="version", version=f"whyalive {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _subcommands():
        child = sub.add_parser(
            module.NAME, help=module.HELP, description=module.__doc__.split("\n\n")[0]
        )
        module.add_arguments(child)
        child.set_defaults(subcommand=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``) and
    returns the exit status: 0, 1 (what was asked about is alive, or the
    script failed), 2 (bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_preparse(argv))
    except SystemExit as exit:  # --help, --version, argparse's own errors
        return exit.code if isinstance(exit.code, int) else 2
    if getattr(args, "subcommand", None) is None:
        parser.print_usage(sys.stderr)
        names = ", ".join(m.NAME for m in _subcommands())
        print(f"{PROG}: error: give a command: {names}", file=sys.stderr)
        return 2
    try:
        return args.subcommand.main(args)
    except UsageError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


def _preparse(argv: list[str]) -> list[str]:
    """Lets a subcommand rearrange its arguments before argparse sees them
    (``run`` and ``snapshot`` take their options after the script's
    arguments too)."""
    if argv and argv[0] == "run":
        from . import run

        return ["run", *run.rearrange(argv[1:])]
    if argv and argv[0] == "snapshot":
        from . import snapshot

        return ["snapshot", *snapshot.preparse(argv[1:])]
    return argv
