"""What the pytest plugin costs a real test suite: watched over plain.

A third-party project's own suite, from a pinned sdist (by default
more-itertools 11.2.1, fetched once with ``pip download`` and kept in
``--cache``), runs ``--runs`` times plain and ``--runs`` times watched
(``--whyalive-watch=CLASS``), interleaved (plain, watched, plain, ...) so
that a machine getting busier or quieter weighs on both alike.  Each run
is a fresh ``python -m pytest -q -p no:cacheprovider TESTS`` in the
unpacked sdist, with whyalive imported from this checkout.  Printed: every
run's wall time and CPU time (the child's user + system, steadier than
wall time on a shared machine), the medians, and the ratios watched /
plain, against the goal (1.1).  A run that does not pass stops the
benchmark: a ratio of failing suites means nothing.

Examples (from the repository root, with the C core built in place)::

    PYTHONPATH=src python benchmarks/bench_plugin.py
    PYTHONPATH=src python benchmarks/bench_plugin.py --runs 5 --json plugin.json
    PYTHONPATH=src python benchmarks/bench_plugin.py --source DIR \\
        --tests tests --watch pkg.mod.Class      # a suite already unpacked
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import whyalive

#: The pinned suite: (requirement, sdist file name, tests, class to watch).
PINNED = (
    "more-itertools==11.2.1",
    "more_itertools-11.2.1.tar.gz",
    "tests",
    "more_itertools.more.peekable",
)
GOAL = 1.1
DEFAULT_CACHE = Path.home() / ".cache" / "whyalive-bench"


def fetch_sdist(cache: Path) -> Path:
    """The unpacked pinned sdist in ``cache``, downloaded on first use."""
    requirement, filename, _, _ = PINNED
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / filename
    if not archive.exists():
        pip = [sys.executable, "-m", "pip", "download", "--no-deps"]
        subprocess.run(
            [*pip, "--no-binary", ":all:", "-d", str(cache), requirement], check=True
        )
    root = cache / filename.removesuffix(".tar.gz")
    if not root.is_dir():
        with tarfile.open(archive) as tar:
            tar.extractall(cache, filter="data")
    return root


def plugin_installed() -> bool:
    """Whether whyalive's pytest plugin is installed under its ``pytest11``
    entry point (``pip install .``), so that pytest loads it by itself."""
    points = importlib.metadata.entry_points(group="pytest11")
    return any(point.value == "whyalive.pytest_plugin" for point in points)


def run_suite(source: Path, tests: str, watch: str | None) -> tuple[float, float]:
    """One run of the suite: (wall seconds, child CPU seconds)."""
    package_root = str(Path(whyalive.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(source), package_root])
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if plugin_installed():
        # pytest loads it by its entry point: once more by -p is an error
        cmd += [] if watch else ["-p", "no:whyalive"]
    else:
        cmd += ["-p", "whyalive.pytest_plugin"] if watch else []
    cmd += [f"--whyalive-watch={watch}"] if watch else []
    cmd.append(tests)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=source, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(
            f"the {'watched' if watch else 'plain'} run failed "
            f"(exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
        )
    return wall, cpu


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--source", type=Path, help="an unpacked project instead of the pinned sdist"
    )
    parser.add_argument("--tests", default=PINNED[2], help="what pytest runs")
    parser.add_argument("--watch", default=PINNED[3], help="the class to watch")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    source = args.source or fetch_sdist(args.cache)
    print(
        f"suite: {source.name}/{args.tests}, watched: --whyalive-watch={args.watch}, "
        f"python {sys.version.split()[0]}, {args.runs} runs of each, interleaved"
    )
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "watched": []}
    for i in range(args.runs):
        for kind, watch in (("plain", None), ("watched", args.watch)):
            wall, cpu = run_suite(source, args.tests, watch)
            runs[kind].append((wall, cpu))
            print(f"  run {i + 1} {kind:8} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    medians = {
        kind: (
            statistics.median(w for w, _ in times),
            statistics.median(c for _, c in times),
        )
        for kind, times in runs.items()
    }
    ratio_wall = medians["watched"][0] / medians["plain"][0]
    ratio_cpu = medians["watched"][1] / medians["plain"][1]
    for kind, (wall, cpu) in medians.items():
        print(f"median {kind:8} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    verdict = "meets" if max(ratio_wall, ratio_cpu) <= GOAL else "misses"
    print(
        f"watched / plain: wall {ratio_wall:.3f}x, cpu {ratio_cpu:.3f}x "
        f"({verdict} the goal of {GOAL}x)"
    )
    result = {
        "suite": f"{source.name}/{args.tests}",
        "watch": args.watch,
        "python": sys.version.split()[0],
        "runs": runs,
        "median": medians,
        "ratio_wall": ratio_wall,
        "ratio_cpu": ratio_cpu,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
