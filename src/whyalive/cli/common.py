"""What the subcommands share: the usage error, the output formats and
writing a report in one of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import IO, Any

__all__ = [
    "FORMATS",
    "UsageError",
    "add_report_options",
    "check_format",
    "check_output",
    "check_report_options",
    "on_terminal",
    "tell",
    "write_report",
    "write_text",
]

#: --format choices, and the file extensions that imply them with -o.
FORMATS = {
    "text": ".txt",
    "json": ".json",
    "dot": ".dot",
    "svg": ".svg",
    "html": ".html",
}


class UsageError(Exception):
    """Bad input on the command line: reported as one line, exit status 2."""


def check_format(fmt: str | None, output: str | None) -> str:
    """The format to write, from ``--format`` or else ``-o``'s extension
    (text by default); checked before any work is done.

    >>> check_format(None, "report.json"), check_format("dot", None)
    ('json', 'dot')
    >>> check_format("yaml", None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    whyalive.cli.common.UsageError: --format: unknown format 'yaml' (choose ...)
    """
    if fmt is None:
        ext = os.path.splitext(output or "")[1].lower()
        fmt = next((name for name, e in FORMATS.items() if e == ext), "text")
    if fmt not in FORMATS:
        raise UsageError(
            f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})"
        )
    if fmt == "svg" and not shutil.which("dot"):
        raise UsageError(
            "--format svg: Graphviz's 'dot' program is not on PATH (install "
            "Graphviz, or ask for --format dot)"
        )
    return fmt


def check_output(output: str | None, option: str = "-o") -> None:
    """``-o FILE`` (or the file of ``option``) must be writable where it
    is: its directory exists."""
    if output is None:
        return
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise UsageError(f"{option}: no directory {folder!r} for {output!r}")


def report_text(report: Any, fmt: str, *, title: str = "whyalive report") -> str:
    """``report`` in format ``fmt``, as text."""
    if fmt == "text":
        return str(report) + "\n"
    if fmt == "json":
        return report.to_json() + "\n"
    if fmt == "html":
        return report.to_html(title=title)
    dot = report.to_dot()
    if fmt == "dot":
        return dot
    done = subprocess.run(
        ["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise UsageError(f"--format svg: dot failed: {done.stderr.strip()}")
    return done.stdout


def write_report(
    report: Any, fmt: str, output: str | None, *, title: str = "whyalive report"
) -> None:
    """Writes ``report`` in format ``fmt`` to the file ``output``, or to
    stdout when it is None."""
    write_text(report_text(report, fmt, title=title), output)


def write_text(text: str, output: str | None) -> None:
    """Writes ``text`` to the file ``output``, or to stdout when it is None."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)


def add_report_options(parser: Any, watch_help: str) -> None:
    """The options of the subcommands that explain watched classes:
    ``--watch``, ``--format``, ``-o``, ``--max-paths``, ``--timeout``."""
    parser.add_argument(
        "-w",
        "--watch",
        action="append",
        default=[],
        metavar="CLASS[,CLASS...]",
        help=watch_help,
    )
    parser.add_argument(
        "-f", "--format", help=f"{', '.join(FORMATS)} (text by default)"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE"
    )
    parser.add_argument(
        "--max-paths", type=int, default=3, help="paths shown per object (3)"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds for the explanation"
    )


def check_report_options(args: Any) -> None:
    """``--max-paths`` and ``--timeout`` in range, before any work."""
    if args.max_paths < 1:
        raise UsageError(f"--max-paths: must be >= 1, got {args.max_paths}")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout: must be > 0 seconds, got {args.timeout}")


def on_terminal() -> bool:
    """Whether stderr reaches a person (progress lines go there)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def tell(message: str, file: IO[str] | None = None) -> None:
    """One line for the person at the terminal (stderr)."""
    print(f"whyalive: {message}", file=file or sys.stderr, flush=True)
