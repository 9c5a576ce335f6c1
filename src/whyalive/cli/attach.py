"""Ask a running Python process what it holds (CPython 3.14+).

``whyalive attach PID`` sends a small script to the process through
``sys.remote_exec`` (PEP 768); the process runs it at its next bytecode
boundary, in its main thread, and writes the answer to a temporary file
that this command reads and prints:

- ``whyalive attach PID``: the census, the most common types there;
- ``whyalive attach PID --watch Session``: the live instances of the
  watched classes explained there (exit status 1 when any is alive),
  printed here in any ``--format``;
- ``whyalive attach PID --dump FILE``: a heap snapshot taken there and
  saved here (``whyalive analyze FILE`` reads it; ``--format
  heapsnapshot`` or a FILE ending in ``.heapsnapshot`` for Chrome
  DevTools).  The process writes it into the private temporary folder of
  the request, and this command moves it to FILE, as this user.

Both sides must run the same CPython 3.14+ version, and the OS must let
this user debug the process (Linux: the same user, or root /
CAP_SYS_PTRACE, within ``/proc/sys/kernel/yama/ptrace_scope``; macOS:
root).  A process blocked in C (``input()``, a long ``sleep``) answers
when it next runs Python code.  The process imports whyalive to answer
(this whyalive, when it has none of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from ..render import tables
from ..render.words import describe_size
from .common import (
    UsageError,
    add_report_options,
    check_format,
    check_output,
    check_report_options,
    on_terminal,
    tell,
    write_report,
    write_text,
)

NAME = "attach"
HELP = "ask a running Python process (CPython 3.14+) what it holds"

#: How this command and the process's answer name their document.
ANSWER_SCHEMA = "whyalive.attach/1"

_PAYLOAD = """\
def _whyalive_attach(request, answer, parent):
    import json, os, sys
    try:
        try:
            from whyalive.cli.attach import serve
        except ImportError:
            sys.path.append(parent)
            try:
                from whyalive.cli.attach import serve
            finally:
                sys.path.remove(parent)
    except BaseException as error:
        with open(answer + ".part", "w", encoding="utf-8") as file:
            json.dump({{"schema": {schema!r}, "error": "whyalive cannot be imported "
                       "there: %s: %s" % (type(error).__name__, error)}}, file)
        os.replace(answer + ".part", answer)
        return
    serve(request)
_whyalive_attach({request!r}, {answer!r}, {parent!r})
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pid", metavar="PID", help="the process to ask")
    add_report_options(
        parser,
        "explain the live instances of these classes there (default: "
        "print the most common types)",
    )
    parser.add_argument(
        "--dump",
        metavar="FILE",
        help="save a heap snapshot of the process to FILE (--format: "
        "whyalive or heapsnapshot, by default from FILE's extension)",
    )
    parser.add_argument(
        "--limit", type=int, default=20, help="types in the census (20)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the process to answer (60)",
    )


def main(args: argparse.Namespace) -> int:
    from .run import watch_names
    from .snapshot import snapshot_format

    pid = _check_pid(args.pid)
    watched = watch_names(args.watch)
    if args.dump is not None:
        if watched:
            raise UsageError("--dump: not with --watch (ask one, then the other)")
        if args.output is not None:
            raise UsageError("-o: not with --dump FILE (the snapshot goes to FILE)")
        fmt = snapshot_format(args.format, args.dump)
        check_output(args.dump, "--dump")
    elif watched:
        fmt = check_format(args.format, args.output)
    elif args.format not in (None, "text", "json"):
        raise UsageError(
            f"--format {args.format}: the census is text or json; give --watch "
            "CLASS for a report in other formats"
        )
    else:
        fmt = check_format(args.format, args.output)
        if fmt not in ("text", "json"):
            raise UsageError(
                f"-o: the census is text or json, not {fmt}; give --watch "
                "CLASS for a report in other formats"
            )
    check_output(args.output)
    if args.limit < 1:
        raise UsageError(f"--limit: must be >= 1, got {args.limit}")
    check_report_options(args)
    if not args.wait > 0:
        raise UsageError(f"--wait: must be > 0 seconds, got {args.wait}")
    _check_process(pid)
    check_attach_possible()

    action = "dump" if args.dump is not None else "explain" if watched else "census"
    request = {
        "schema": ANSWER_SCHEMA,
        "action": action,
        "classes": watched,
        "limit": args.limit,
        "max_paths": args.max_paths,
        "timeout": args.timeout,
        "format": fmt,
    }
    answer = ask(pid, request, wait=args.wait, dump_to=args.dump)
    if "error" in answer:
        raise UsageError(f"process {pid}: {answer['error']}")
    where = f"process {pid} ({answer['python']})"
    if action == "dump":
        dumped = answer["dump"]
        tell(
            f"wrote {args.dump}: {dumped['objects']:,} objects, "
            f"{describe_size(dumped['total_size'])} alive in {where}"
            + (
                f" (read it with: whyalive analyze {args.dump})"
                if fmt == "whyalive"
                else ""
            )
        )
        return 0
    if action == "census":
        if fmt == "json":
            document = tables.census_document(pid, answer["python"], answer["census"])
            write_text(json.dumps(document, indent=2) + "\n", args.output)
        else:
            text = tables.census_text(answer["census"], where)
            write_text(text + "\n", args.output)
        return 0

    from ..report import Report

    report = Report.from_dict(answer["report"])
    summary = _summary(report, watched, where)
    if fmt == "text":
        write_text(
            f"{summary}\n{report}\n" if len(report) else summary + "\n", args.output
        )
    else:
        print(summary, file=sys.stderr)
        write_report(report, fmt, args.output, title=f"whyalive: {where}")
    return 1 if len(report) else 0


def check_attach_possible() -> None:
    """Refuses, in one line, where this Python cannot attach to others."""
    if sys.version_info < (3, 14) or not hasattr(sys, "remote_exec"):
        import platform

        raise UsageError(
            "attaching to a process needs CPython 3.14 or later "
            "(sys.remote_exec, PEP 768); this is "
            f"{platform.python_implementation()} {platform.python_version()}: "
            "run whyalive attach with the process's own Python"
        )


def ask(
    pid: int, request: dict[str, Any], *, wait: float, dump_to: str | None = None
) -> dict[str, Any]:
    """Sends ``request`` to process ``pid``, waits up to ``wait`` seconds
    for its answer and returns it (a dict with ``error`` when whyalive
    there could not answer).  Raises :class:`UsageError` when the OS or
    the process refuses, or when no answer comes in time.  With
    ``dump_to``, the process saves a snapshot in the request's private
    folder, and it is moved to ``dump_to``."""
    folder = tempfile.mkdtemp(prefix="whyalive-attach-")
    try:
        request_file = os.path.join(folder, "request.json")
        answer_file = os.path.join(folder, "answer.json")
        script_file = os.path.join(folder, "attach.py")
        dump_file = os.path.join(folder, "heap.snapshot")
        request = {**request, "answer": answer_file, "dump": dump_file}
        with open(request_file, "w", encoding="utf-8") as file:
            json.dump(request, file)
        parent = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        with open(script_file, "w", encoding="utf-8") as file:
            file.write(
                _PAYLOAD.format(
                    schema=ANSWER_SCHEMA,
                    request=request_file,
                    answer=answer_file,
                    parent=parent,
                )
            )
        _hand_over(folder, pid)
        _remote_exec(pid, script_file)
        answer = _await(pid, answer_file, wait)
        if dump_to is not None and "error" not in answer:
            _move_dump(dump_file, dump_to)
        return answer
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _move_dump(dump_file: str, dump_to: str) -> None:
    """The process's snapshot, copied to ``dump_to`` as this user (the
    folder is removed after)."""
    try:
        shutil.copyfile(dump_file, dump_to)
    except OSError as error:
        raise UsageError(
            f"--dump: cannot write {dump_to!r}: {error.strerror or error}"
        ) from None


def serve(request_file: str) -> None:
    """Runs in the attached process: reads the request, answers it into
    the answer file (written whole, then renamed).  Never raises: an error
    becomes the answer."""
    answer_file = None
    try:
        with open(request_file, encoding="utf-8") as file:
            request = json.load(file)
        answer_file = request["answer"]
        answer = _answer(request)
    except BaseException as error:  # the process must not see it
        answer = {"schema": ANSWER_SCHEMA, "error": f"{type(error).__name__}: {error}"}
    if answer_file is None:
        return
    with open(answer_file + ".part", "w", encoding="utf-8") as file:
        json.dump(answer, file)
    os.replace(answer_file + ".part", answer_file)


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    import platform

    import whyalive

    from ..census import find_classes

    answer: dict[str, Any] = {
        "schema": ANSWER_SCHEMA,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    if request["action"] == "dump":
        snap = whyalive.heap_snapshot()
        snap.save(request["dump"], format=request["format"])
        answer["dump"] = {"objects": len(snap), "total_size": snap.total_size}
        return answer
    if request["action"] == "census":
        rows = whyalive.most_common_types(limit=request["limit"], shortnames=False)
        answer["census"] = [
            [name.removeprefix("builtins."), count] for name, count in rows
        ]
        return answer
    classes = find_classes(request["classes"])
    if not classes:
        return {
            **answer,
            "error": f"--watch: no class named {', '.join(request['classes'])} "
            "exists there",
        }
    report = whyalive.explain_instances(
        tuple(classes), max_paths=request["max_paths"], timeout=request["timeout"]
    )
    del classes
    answer["report"] = report.to_dict()
    return answer


def _check_pid(text: str) -> int:
    try:
        pid = int(text)
    except ValueError:
        raise UsageError(f"PID: {text!r} is not a process id") from None
    if pid <= 0:
        raise UsageError(f"PID: {pid} is not a process id")
    if pid == os.getpid():
        raise UsageError(f"PID: {pid} is this whyalive itself")
    return pid


def _check_process(pid: int) -> None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise UsageError(f"PID: no process {pid}") from None
    except PermissionError:
        pass  # it exists; sys.remote_exec says whether we may attach


def _hand_over(folder: str, pid: int) -> None:
    """Root attaching to another user's process: that user must read the
    request and write the answer (the folder stays private to the two)."""
    if os.name != "posix" or os.getuid() != 0:
        return
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return
    if uid == 0:
        return
    for name in (folder, *(os.path.join(folder, f) for f in os.listdir(folder))):
        os.chown(name, uid, -1)


def _remote_exec(pid: int, script: str) -> None:
    try:
        sys.remote_exec(pid, script)  # type: ignore[attr-defined]
    except PermissionError as error:
        raise UsageError(
            f"the OS forbids attaching to process {pid} ({error.strerror or error}): "
            "run as its user or as root (Linux: /proc/sys/kernel/yama/ptrace_scope "
            "must be 0 or 1, or grant CAP_SYS_PTRACE; in a container, "
            "--cap-add=SYS_PTRACE)"
        ) from None
    except (RuntimeError, OSError) as error:
        text = str(error)
        if "not enabled" in text:
            raise UsageError(
                f"process {pid} has remote debugging turned off "
                "(PYTHON_DISABLE_REMOTE_DEBUG or -X disable-remote-debug)"
            ) from None
        if "Can't send commands" in text:
            raise UsageError(
                f"cannot attach to process {pid}: {text}; use the Python "
                "it runs (3.14+)"
            ) from None
        raise UsageError(
            f"cannot attach to process {pid}: {text} (is it a CPython 3.14+ process?)"
        ) from None


def _await(pid: int, answer_file: str, wait: float) -> dict[str, Any]:
    start = time.monotonic()
    told = False
    while True:
        if os.path.exists(answer_file):
            with open(answer_file, encoding="utf-8") as file:
                return json.load(file)
        waited = time.monotonic() - start
        if waited > wait:
            raise UsageError(
                f"process {pid} did not answer within {wait:g} s (it runs the "
                "request when it next runs Python code: a process blocked in C "
                "answers when that call returns; raise --wait)"
            )
        if not told and waited > 1.0 and on_terminal():
            tell(f"waiting for process {pid} to run the request...")
            told = True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise UsageError(f"process {pid} ended before it answered") from None
        except PermissionError:
            pass
        time.sleep(0.05)


def _summary(report: Any, watched: list[str], where: str) -> str:
    n = len(report)
    what = ", ".join(watched)
    if not n:
        return f"no instance of {what} is alive in {where}"
    return f"{n} instance{'s' if n != 1 else ''} of {what} alive in {where}:"
