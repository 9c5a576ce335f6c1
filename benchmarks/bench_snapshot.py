"""Heap snapshots: time and memory, as ratios to gc.collect() on the same heap.

For each heap size and layout (``--layouts``, by default ``ordered``:
``heaps.py``'s background objects, ``__slots__`` instances, two-key dicts
and two-item lists, each holding two references; ``records``: an
application's cache, instances of a plain class in one list; ``indexed``:
the same rows also in a dict by name)
this process builds the heap, then ``--runs`` times: one timed full
``gc.collect()``, then each step, timed, with the peak growth of the
process's memory while it runs:

``capture``
    ``whyalive.heap_snapshot(collect=False)``: the walk, sizes, labels.
``dominators``
    the snapshot's dominator tree and retained sizes (``retained_size`` of
    one object: the first query computes them).
``top_retainers``
    ``snap.top_retainers(10)`` once the dominators are known.
``diff``
    ``later.diff(snap)`` against a second snapshot of the same heap:
    ``by_type()`` and ``new_ids`` (the later snapshot's id order included).
``save`` / ``load``
    ``snap.save(path)`` and ``whyalive.load_snapshot(path)`` (when this
    whyalive has dumps), and the file's size per object.

Printed per step: the median seconds, its ratio to the median
``gc.collect()``, the peak memory growth per object, and the kept
snapshot's bytes per object and per reference.

Example (from the repository root, the C core built in place)::

    PYTHONPATH=src python benchmarks/bench_snapshot.py --sizes 1M --runs 3
    PYTHONPATH=src python benchmarks/bench_snapshot.py --layouts records
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile

import harness
from harness import fmt_ratio, fmt_seconds
from heaps import LAYOUTS, build_heap, format_size, parse_size

import whyalive


def _kept_bytes(snap: whyalive.HeapSnapshot) -> int:
    """The bytes of the snapshot's own data: every array of its data tuple
    and its strings (dominators, once computed, are counted apart)."""
    data = snap._data
    strings = data[0]
    total = sys.getsizeof(strings) + sum(map(sys.getsizeof, strings))
    return total + sum(len(item) for item in data if isinstance(item, bytes))


def _diff(later: whyalive.HeapSnapshot, earlier: whyalive.HeapSnapshot) -> tuple:
    diff = later.diff(earlier)
    return diff.by_type(), diff.new_ids


def run(size: int, runs: int, layout: str) -> list[list[str]]:
    heap = build_heap(size, layout, seed=0)
    name = f"{format_size(size)} {layout}"
    memory = harness.PeakMemory()
    rows = []
    try:
        times: dict[str, list[float]] = {}
        peaks: dict[str, list[int]] = {}
        collects = []
        facts: dict[str, float] = {}
        for _ in range(runs):
            collects.append(harness.time_collect())
            snap, peak, seconds = memory.call(
                lambda: whyalive.heap_snapshot(collect=False)
            )
            times.setdefault("capture", []).append(seconds)
            peaks.setdefault("capture", []).append(peak)
            probe = next(iter(snap.ids))
            _, peak, seconds = memory.call(
                lambda snap=snap, probe=probe: snap.retained_size(probe)
            )
            times.setdefault("dominators", []).append(seconds)
            peaks.setdefault("dominators", []).append(peak)
            _, peak, seconds = memory.call(lambda snap=snap: snap.top_retainers(10))
            times.setdefault("top_retainers", []).append(seconds)
            peaks.setdefault("top_retainers", []).append(peak)
            later = whyalive.heap_snapshot(collect=False)
            _, peak, seconds = memory.call(
                lambda later=later, snap=snap: _diff(later, snap)
            )
            times.setdefault("diff", []).append(seconds)
            peaks.setdefault("diff", []).append(peak)
            del later
            nodes = len(snap)
            edges = snap.stats.edges
            facts["nodes"] = nodes
            facts["edges"] = edges
            facts["kept"] = _kept_bytes(snap)
            facts["dominators"] = sum(map(len, snap._dominators or ()))
            if hasattr(snap, "save"):
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "heap.whyalive")
                    _, peak, seconds = memory.call(
                        lambda snap=snap, path=path: snap.save(path)
                    )
                    times.setdefault("save", []).append(seconds)
                    peaks.setdefault("save", []).append(peak)
                    facts["file"] = os.path.getsize(path)
                    del snap
                    gc.collect()
                    loaded, peak, seconds = memory.call(
                        lambda path=path: whyalive.load_snapshot(path)
                    )
                    times.setdefault("load", []).append(seconds)
                    peaks.setdefault("load", []).append(peak)
                    del loaded
            else:
                del snap
            gc.collect()
        collect = harness.median(collects)
        nodes = int(facts["nodes"])
        for step, values in times.items():
            seconds = harness.median(values)
            peak = harness.median(peaks[step])
            rows.append(
                [
                    name,
                    step,
                    fmt_seconds(seconds),
                    fmt_seconds(collect),
                    fmt_ratio(seconds / collect if collect else None),
                    f"{peak / nodes:.1f}",
                ]
            )
        kept = facts["kept"]
        budget = 32 * nodes + 8 * facts["edges"]
        print(
            f"{name}: {nodes:,} objects, {int(facts['edges']):,} "
            f"references; kept snapshot {kept / nodes:.1f} bytes/object "
            f"(goal 32/object + 8/reference: {budget / nodes:.1f}), "
            f"+{facts['dominators'] / nodes:.1f} once dominators are known"
            + (
                f"; dump {facts['file'] / nodes:.1f} bytes/object"
                if "file" in facts
                else ""
            )
        )
    finally:
        heap.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M", help="heap sizes, e.g. 100k,1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--layouts",
        default="ordered",
        help=f"heap layouts (heaps.py), of {','.join(LAYOUTS)}",
    )
    args = parser.parse_args()
    layouts = args.layouts.split(",")
    for layout in layouts:
        if layout not in LAYOUTS:
            parser.error(f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    rows = []
    for spec in args.sizes.split(","):
        for layout in layouts:
            rows += run(parse_size(spec), args.runs, layout)
    print(
        harness.markdown_table(
            ["heap", "step", "median", "gc.collect()", "ratio", "peak bytes/object"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
