"""Run a Python script as ``python SCRIPT`` would, then explain every
watched instance still alive at its end.

``whyalive run app.py ARGS... --watch Session`` runs ``app.py`` as
``__main__`` with ``sys.argv == ['app.py', ARGS...]`` and its directory
first on ``sys.path``; when it ends, every live instance of the watched
classes (subclasses included) is explained.  Exit status: the script's
own when it failed, else 1 when a watched instance is alive, else 0.

whyalive's options may come before the script or after its arguments;
anything after ``--`` is the script's (``whyalive run app.py --watch
Session -- -o out.txt`` passes ``-o out.txt`` to the script).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import traceback
import types
from dataclasses import dataclass
from typing import Any

from ..census import find_classes
from .common import (
    UsageError,
    add_report_options,
    check_format,
    check_output,
    check_report_options,
    on_terminal,
    tell,
    write_report,
)

NAME = "run"
HELP = "run a script, then explain what it left alive"

#: whyalive's options of ``run`` and whether each takes a value: the
#: scanner of :func:`rearrange` must know them to find the script.
_OPTIONS = {
    "-w": True,
    "--watch": True,
    "--growth": False,
    "-f": True,
    "--format": True,
    "-o": True,
    "--output": True,
    "--max-paths": True,
    "--timeout": True,
    "-h": False,
    "--help": False,
}

_CLASS_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = (
        "whyalive run [options] (SCRIPT | -m MODULE) [ARGS...] [options] [-- ARGS...]"
    )
    add_report_options(
        parser,
        "classes whose live instances to explain at the end: a short "
        "name (Session) or a qualified one (app.models.Session)",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also print the types whose count grew between start and end",
    )
    parser.add_argument(
        "-m", dest="module", metavar="MODULE", help="run a module, like python -m"
    )
    parser.add_argument("script", nargs="?", metavar="SCRIPT")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")


def rearrange(argv: list[str], options: dict[str, bool] | None = None) -> list[str]:
    """whyalive's options first, then ``SCRIPT`` (or ``-m MODULE``), then
    the script's arguments: options of ``run`` that follow the script are
    whyalive's, unless they come after ``--``.  ``options`` maps another
    subcommand's options to whether each takes a value (``run``'s by
    default).

    >>> rearrange(["app.py", "x", "--watch", "Session", "--", "-o", "y"])
    ['--watch', 'Session', '--', 'app.py', 'x', '-o', 'y']
    >>> rearrange(["--growth", "-m", "http.server", "8000", "-w", "A,B"])
    ['--growth', '-w', 'A,B', '-m', 'http.server', '--', '8000']
    """
    known = _OPTIONS if options is None else options
    ours: list[str] = []
    program: list[str] = []
    theirs: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if program and arg == "--":
            theirs.extend(argv[i + 1 :])
            break
        option = arg.split("=", 1)[0]
        if option in known:
            takes_value = known[option] and "=" not in arg
            ours.extend(argv[i : i + 1 + takes_value])
            i += 1 + takes_value
            continue
        if not program and arg == "-m" and i + 1 < len(argv):
            program = argv[i : i + 2]
            i += 2
            continue
        if not program and not arg.startswith("-"):
            program = [arg]
        elif program:
            theirs.append(arg)
        else:
            ours.append(arg)  # an unknown option: argparse names it
        i += 1
    if program[:1] == ["-m"]:
        return [*ours, *program, "--", *theirs]
    return [*ours, "--", *program, *theirs] if program else ours


@dataclass
class Program:
    """What ``python SCRIPT`` or ``python -m MODULE`` would run."""

    label: str  # as the user named it
    code: types.CodeType
    argv0: str
    path0: str
    module_attrs: dict[str, Any]


def main(args: argparse.Namespace) -> int:
    watched = watch_names(args.watch)
    if not watched and not args.growth:
        raise UsageError("nothing to do: give --watch CLASS[,CLASS...] or --growth")
    fmt = check_format(args.format, args.output)
    check_output(args.output)
    check_report_options(args)
    if args.module and args.script:
        args.args.insert(0, args.script)
    try:
        program = find_program(args.module, args.script)
    except ScriptFailed as failed:
        return failed.status

    import whyalive

    before = whyalive.typestats(shortnames=False) if args.growth else None
    status = run_program(program, list(args.args))

    out_lines: list[str] = []
    if before is not None:
        rows = whyalive.typestats_diff(before, limit=None, shortnames=False)
        out_lines.append(_growth_text(rows, program.label))
    report = None
    if watched:
        classes = find_classes(watched)
        if not classes:
            raise UsageError(
                f"--watch: no class named {', '.join(watched)} exists "
                f"when {program.label} has run"
            )
        tell_progress = on_terminal()
        if tell_progress:
            tell(f"explaining the live instances of {', '.join(watched)}...")
        report = whyalive.explain_instances(
            tuple(classes), max_paths=args.max_paths, timeout=args.timeout
        )
        del classes
        out_lines.append(_summary(report, watched, program.label))
    _write(out_lines, report, fmt, args.output, program.label)
    if status:
        return status
    return 1 if report is not None and len(report) else 0


def _write(
    lines: list[str], report: Any, fmt: str, output: str | None, label: str
) -> None:
    sys.stdout.flush()
    if fmt == "text" and output is None:
        for line in lines:
            sys.stdout.write(line + "\n")
        if report is not None and len(report):
            write_report(report, fmt, None)
        sys.stdout.flush()
        return
    if fmt == "text":
        body = "\n".join(lines)
        if report is not None and len(report):
            body += "\n" + str(report)
        with open(output, "w", encoding="utf-8") as file:  # type: ignore[arg-type]
            file.write(body + "\n")
        return
    for line in lines:
        sys.stderr.write(line + "\n")
    if report is not None:
        write_report(report, fmt, output, title=f"whyalive: what {label} left alive")


def watch_names(values: list[str]) -> list[str]:
    """The class names of ``--watch`` options (each may list several,
    comma-separated), checked, without repeats.

    >>> watch_names(["Session,app.User", "Session"])
    ['Session', 'app.User']
    """
    names = [n.strip() for value in values for n in value.split(",")]
    for name in names:
        if not _CLASS_NAME.match(name):
            raise UsageError(f"--watch: {name!r} is not a class name")
    return list(dict.fromkeys(names))


def find_program(module: str | None, script: str | None) -> Program:
    """What ``python -m MODULE`` or ``python SCRIPT`` would run, compiled;
    :class:`UsageError` naming what is missing, :class:`ScriptFailed`
    (after python's message) when the script does not compile.

    >>> find_program("json.tool", None).label
    'json.tool'
    """
    if module:
        return find_module(module)
    if not script:
        raise UsageError("give a SCRIPT to run, or -m MODULE")
    if not os.path.exists(script):
        raise UsageError(f"can't open file {script!r}: no such file")
    if not os.path.isfile(script):
        raise UsageError(f"{script!r} is not a file")
    with open(script, "rb") as file:
        source = file.read()
    try:
        code = compile(source, script, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        # the script's own fault, reported as python reports it
        traceback.print_exception(type(error), error, None)
        raise ScriptFailed(1) from None
    attrs = {"__file__": script, "__cached__": None, "__spec__": None}
    path0 = os.path.dirname(os.path.abspath(script))
    return Program(script, code, script, path0, attrs)


def find_module(name: str) -> Program:
    """What ``python -m name`` would run (a package's ``__main__``).

    >>> find_module("json.tool").argv0.endswith("tool.py")
    True
    """
    sys.path.insert(0, os.getcwd())  # as python -m finds it
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            spec = importlib.util.find_spec(name + ".__main__")
    except (ImportError, ValueError) as error:
        raise UsageError(f"-m: cannot find module {name!r}: {error}") from None
    finally:
        del sys.path[0]
    if spec is None or spec.loader is None:
        raise UsageError(f"-m: no module named {name!r}")
    code = spec.loader.get_code(spec.name)  # type: ignore[attr-defined]
    if code is None:
        raise UsageError(f"-m: module {name!r} has no code to run")
    attrs = {
        "__file__": spec.origin,
        "__cached__": spec.cached,
        "__spec__": spec,
        "__loader__": spec.loader,
        "__package__": spec.parent,
    }
    return Program(name, code, spec.origin or name, os.getcwd(), attrs)


class ScriptFailed(Exception):
    """The script could not start (python's message is printed); the
    command exits with ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def run_program(program: Program, args: list[str]) -> int:
    """Runs ``program`` as ``__main__`` and returns its exit status.  Its
    module stays in ``sys.modules['__main__']`` (its globals are module
    globals when the survivors are explained), as in ``python SCRIPT``."""
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(program.module_attrs)
    main_module.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main_module
    sys.argv[:] = [program.argv0, *args]
    if sys.path:
        sys.path[0] = program.path0
    else:
        sys.path.append(program.path0)
    try:
        exec(program.code, main_module.__dict__)
    except SystemExit as exit:
        return _exit_status(exit.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        return 130
    except BaseException as error:
        # python prints it through sys.excepthook, without our frames
        tb = error.__traceback__.tb_next if error.__traceback__ else None
        sys.excepthook(type(error), error.with_traceback(tb), tb)
        del error, tb  # a traceback holds the script's frames
        return 1
    finally:
        sys.stdout.flush()
    return 0


def _exit_status(code: Any) -> int:
    """The status ``python`` exits with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code % 256
    print(code, file=sys.stderr)
    return 1


def _growth_text(rows: list[tuple[str, int, int, int]], label: str) -> str:
    grew = [row for row in rows if row[3] > 0]
    if not grew:
        return f"growth: no type has more objects after {label} than before"
    width = max(len(row[0]) for row in grew)
    lines = [f"growth while {label} ran (type, before, after, change):"]
    lines += [f"  {n:<{width}} {b:9d} {a:9d} {d:+9d}" for n, b, a, d in grew]
    return "\n".join(lines)


def _summary(report: Any, watched: list[str], label: str) -> str:
    n = len(report)
    what = ", ".join(watched)
    if not n:
        return f"no instance of {what} is alive after {label}"
    return f"{n} instance{'s' if n != 1 else ''} of {what} alive after {label}:"
