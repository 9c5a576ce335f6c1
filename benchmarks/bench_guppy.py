"""whyalive's snapshot beside guppy3's heap(), on the same heap, as ratios
to gc.collect().

guppy3 (``pip install guppy3``) answers the same two questions: what the
heap holds by type (``hpy().heap()``), and what one object keeps alive
(``hpy().iso(obj).domisize``, its dominated size).  On the same heap
(``heaps.py``'s ordered background objects) this process times:

``gc.collect()``
    one full collection, the unit of every ratio;
``whyalive heap_snapshot``
    ``whyalive.heap_snapshot(collect=False)``: every object with its type
    and shallow size, and the references;
``whyalive dominators + retained_size``
    the dominator tree and every retained size, answering the retained
    size of the heap's biggest container (``snap.retained_size(id)``);
``guppy heap()``
    ``hpy().heap()``: the heap partitioned by type, with sizes;
``guppy domisize``
    ``hpy().iso(obj).domisize`` for the same container.

Without guppy3 it prints why and times whyalive alone.

Example (from the repository root, the C core built in place)::

    PYTHONPATH=src python benchmarks/bench_guppy.py --sizes 100k,1M --runs 1
"""

from __future__ import annotations

import argparse
import time

import harness
from harness import fmt_ratio, fmt_seconds
from heaps import build_heap, format_size, parse_size

import whyalive

try:
    from guppy import hpy
except ImportError as exc:  # the benchmark says so and times whyalive alone
    hpy = None
    GUPPY_MISSING = f"guppy3 is not installed ({exc}); pip install guppy3"
else:
    GUPPY_MISSING = ""


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(size: int, runs: int) -> list[list[str]]:
    heap = build_heap(size, "ordered", seed=0)
    rows = []
    try:
        target = heap.module.background  # the list of chunks: all of it
        times: dict[str, list[float]] = {}
        answers: dict[str, int] = {}
        collects = []
        for _ in range(runs):
            collects.append(harness.time_collect())
            snap, seconds = _timed(lambda: whyalive.heap_snapshot(collect=False))
            times.setdefault("whyalive heap_snapshot", []).append(seconds)
            answer, seconds = _timed(lambda snap=snap: snap.retained_size(id(target)))
            times.setdefault("whyalive dominators + retained_size", []).append(seconds)
            answers["whyalive"] = answer
            del snap
            if hpy is not None:
                h = hpy()
                part, seconds = _timed(h.heap)
                times.setdefault("guppy heap()", []).append(seconds)
                answers["guppy heap() objects"] = part.count
                answer, seconds = _timed(lambda h=h: h.iso(target).domisize)
                times.setdefault("guppy domisize", []).append(seconds)
                answers["guppy"] = answer
                del part, h
        collect = harness.median(collects)
        for step, values in times.items():
            seconds = harness.median(values)
            rows.append(
                [
                    format_size(size),
                    step,
                    fmt_seconds(seconds),
                    fmt_seconds(collect),
                    fmt_ratio(seconds / collect if collect else None),
                ]
            )
        said = "; ".join(f"{k} {v:,}" for k, v in answers.items())
        print(f"{format_size(size)}: retained size of heap.background: {said}")
    finally:
        heap.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="heap sizes, e.g. 100k,1M")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if GUPPY_MISSING:
        print(f"guppy3 skipped: {GUPPY_MISSING}")
    rows = []
    for spec in args.sizes.split(","):
        rows += run(parse_size(spec), args.runs)
    print(
        harness.markdown_table(
            ["heap", "step", "median", "gc.collect()", "ratio"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
