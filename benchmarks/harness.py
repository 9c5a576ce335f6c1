"""Measuring and reporting, shared by the benchmark scripts.

- :func:`time_collect`: the baseline, one full ``gc.collect()``; every
  figure of the suite is a ratio to it, measured on the same heap in the
  same process.
- :class:`PeakMemory`: peak RSS growth of the process during one call.
  On Linux it resets the peak (``VmHWM``) by writing ``5`` to
  ``/proc/self/clear_refs``, reads ``VmRSS`` before the call and ``VmHWM``
  after it; the difference is what the call made resident at its worst,
  C allocations included (``tracemalloc`` sees only Python's allocators).
  Free heap memory is handed back first (``malloc_trim``) so earlier calls
  do not hide the growth.  Elsewhere it falls back to the growth of
  ``resource.getrusage().ru_maxrss``, a lower bound (the lifetime peak
  moves only when the call exceeds it); ``method`` says which was used.
- :class:`Budget`: a time limit on a pure-Python call, by ``SIGALRM``
  raising :class:`BudgetExceeded` (a ``BaseException``, so a peer's
  ``except Exception`` does not swallow it) in the main thread.  C code is
  interrupted only when it returns to the interpreter.
- :func:`run_workers`: each heap is built and measured in a child process
  of its own (a fresh allocator, and no heap left over from the previous
  size); the child writes its results as JSON.
- :func:`machine_info`, :func:`markdown_table`, :func:`write_json`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import datetime
import gc
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "GOALS",
    "Budget",
    "BudgetExceeded",
    "PeakMemory",
    "machine_info",
    "markdown_table",
    "median",
    "run_workers",
    "time_collect",
    "write_json",
]

REPO = Path(__file__).resolve().parent.parent

#: The issue's performance goals: the largest acceptable ratio of a query's
#: time to one full gc.collect() on the same heap.
GOALS = {
    "depth:8": 1.0,
    "depth:1000": 1.0,
    "fanin:10000": 1.0,
    "instances:200": 1.5,
    "typestats": 0.3,
    "count": 0.3,
}
#: Memory goal for a query's peak: bytes per node and per edge (issue 15:
#: 24 per object + 4 per reference; issue 2 asked 16 + 8).
INDEX_BYTES_PER_NODE = 24
INDEX_BYTES_PER_EDGE = 4


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def time_collect() -> float:
    """Seconds of one full ``gc.collect()``."""
    start = time.perf_counter()
    gc.collect()
    return time.perf_counter() - start


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _load_libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBC = _load_libc()


def malloc_trim() -> None:
    """Returns free heap memory to the system (glibc only; else nothing)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


class PeakMemory:
    """Peak RSS growth of this process during a call (see the module doc)."""

    def __init__(self) -> None:
        self.method = self._probe()

    @staticmethod
    def _reset_hwm() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return False
        return True

    def _probe(self) -> str:
        if _status_kib("VmRSS") is not None and self._reset_hwm():
            return "VmHWM reset by /proc/self/clear_refs, minus VmRSS before"
        return "ru_maxrss growth (a lower bound: the lifetime peak)"

    def call(self, fn: Callable[[], Any]) -> tuple[Any, int, float]:
        """``(fn(), peak growth in bytes, seconds)``; timing excludes the
        memory bookkeeping."""
        malloc_trim()
        if self.method.startswith("VmHWM"):
            self._reset_hwm()
            before = _status_kib("VmRSS") or 0
            start = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - start
            peak = (_status_kib("VmHWM") or 0) - before
        else:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        return result, max(peak, 0) * 1024, seconds


class BudgetExceeded(BaseException):
    """Raised in the main thread when a :class:`Budget` runs out."""


class Budget:
    """``with Budget(seconds):`` interrupts the block after ``seconds``.

    An exception raised where the interpreter ignores exceptions (a weakref
    or gc callback, ``__del__``) is lost, so once expired the alarm fires
    again every :attr:`RETRY` seconds until the block is left.
    """

    RETRY = 0.25

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._previous: Any = None

    def _expire(self, signum: int, frame: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, self.RETRY)
        raise BudgetExceeded

    def __enter__(self) -> Budget:
        if self.seconds > 0:
            self._previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


def mem_available() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _whyalive_location() -> str | None:
    """Where ``import whyalive`` finds the package (and a COMMIT file there)."""
    import importlib.util

    spec = importlib.util.find_spec("whyalive")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).parent
    stamp = package.parent.parent / "COMMIT"  # written by an export of a commit
    if stamp.is_file():
        return f"{package} (commit {stamp.read_text().strip()})"
    return str(package)


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, Python, whyalive's commit, load, date."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    total = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": round(total / 2**30, 1) if total else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "commit": _git_commit(),
        "whyalive": _whyalive_location(),
        "load_average": load,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def machine_lines(info: dict[str, Any]) -> list[str]:
    """The machine block printed above every table."""
    return [
        f"- machine: {info['cpu']}, {info['cores']} cores "
        f"({info['usable_cores']} usable), {info['memory_gib']} GiB",
        f"- Python {info['python']} ({info['implementation']}), {info['platform']}",
        f"- benchmarks at commit {info['commit']}; whyalive from {info['whyalive']}",
        f"- {info['date']}, load average at start {info['load_average']}",
    ]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def fmt_mib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f}"


def write_json(path: str, payload: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")


def estimated_bytes(size: int, layout: str) -> int:
    """A generous guess at what a heap of ``size`` and one query need."""
    per_object = 400 if layout == "fragmented" else 250
    return size * per_object + (200 << 20)


def run_workers(
    script: str, jobs: Sequence[dict[str, Any]], timeout: float | None = None
) -> list[dict[str, Any]]:
    """Runs ``script --worker`` once per job, in order, and collects results.

    Each job is a JSON-able dict with at least ``size`` and ``layout``.  A
    job whose heap would not fit in the available memory is skipped; a
    worker that fails is reported; both give a result with ``error``.
    """
    results = []
    for job in jobs:
        need, free = estimated_bytes(job["size"], job["layout"]), mem_available()
        if free is not None and need > 0.8 * free:
            results.append(
                {
                    **job,
                    "error": f"skipped: needs about {need >> 20} MiB, "
                    f"{free >> 20} MiB available",
                }
            )
            print(f"skipped {job}: not enough memory", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            cmd = [sys.executable, script, "--worker", json.dumps(job), out]
            try:
                proc = subprocess.run(cmd, timeout=timeout)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            if code == 0 and os.path.exists(out):
                with open(out) as f:
                    results.append(json.load(f))
            else:
                results.append({**job, "error": f"worker failed (exit {code})"})
    return results


# -- the worker side of run_workers ------------------------------------------


def build_job_heap(job: dict[str, Any], **fixtures: Any) -> Any:
    """Builds the heap a worker's ``job`` names (size, layout, seed) with
    ``heaps.build_heap``'s ``fixtures``, saying so on stderr."""
    from heaps import build_heap, format_size

    print(f"{format_size(job['size'])} {job['layout']}: building...", file=sys.stderr)
    heap = build_heap(job["size"], job["layout"], job["seed"], **fixtures)
    print(
        f"  built in {heap.build_seconds:.1f} s, {heap.gc_objects:,} GC objects",
        file=sys.stderr,
    )
    return heap


def finish_job(out: str, job: dict[str, Any], heap: Any, **fields: Any) -> None:
    """Frees ``heap`` and writes the worker's result to ``out``: the job, the
    Python, the heap's size and build time, and ``fields``."""
    result = {
        **job,
        "python": sys.version.split()[0],
        "gc_objects": heap.gc_objects,
        "build_seconds": heap.build_seconds,
        **fields,
    }
    heap.close()
    write_json(out, result)


# -- the command line every benchmark script shares ---------------------------


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """--sizes, --layouts, --runs, --seed, --json, --markdown, --worker.

    --sizes and --layouts default to None: the script supplies its defaults
    to :func:`heap_settings`."""
    parser.add_argument("--sizes", help="heap sizes, e.g. 100k,1M,5M")
    parser.add_argument("--layouts", help="ordered,fragmented")
    parser.add_argument("--runs", type=int, default=3, help="runs per call (>= 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="also write the tables")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)


def heap_settings(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    sizes: str,
    layouts: str,
) -> tuple[list[int], list[str]]:
    """Sizes and layouts asked for (else the defaults given), checked."""
    from heaps import LAYOUTS, parse_size

    try:
        size_list = [parse_size(s) for s in (args.sizes or sizes).split(",")]
    except ValueError as e:
        parser.error(f"--sizes: {e}")
    layout_list = (args.layouts or layouts).split(",")
    for layout in layout_list:
        if layout not in LAYOUTS:
            parser.error(f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    return size_list, layout_list


def runs_note(runs: int) -> str:
    return f"{runs}" + (" (fewer than 3: not a median)" if runs < 3 else "")


def publish(
    args: argparse.Namespace,
    benchmark: str,
    info: dict[str, Any],
    header: Sequence[str],
    body: str,
    results: list[dict[str, Any]],
) -> None:
    """Prints the title block and tables; writes --markdown and --json."""
    text = "\n".join([*header, "", body])
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        write_json(
            args.json, {"benchmark": benchmark, "machine": info, "results": results}
        )
