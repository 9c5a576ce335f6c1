"""Long chains (issue 9): a target at the end of a linked list of ``N``
``__slots__`` nodes, the head a module global.  For each ``N``, in one
process on the same heap: ``explain(target)``, ``find_backref_chain(target,
is_proper_module)`` (one heap walk), ``show_chain`` of that chain (whyalive's
and ``whyalive.compat.objgraph``'s, to a null file) and ``Report.to_dot()``
(with its line count: a long path is cut head and tail).  Each time is the
median of ``--runs`` with its ratio to a full ``gc.collect()`` timed in the
same runs.  With ``--objgraph N``, objgraph's own ``find_backref_chain`` and
``show_chain`` run too on chains up to ``N`` long (a heap pass per object
met: minutes past a few thousand).

The answers are checked: each chain starts at the module and ends at the
target, ``N + 3`` long (module, its dict, the ``N + 1`` links).

Examples (from the repository root, the C core built in place)::

    PYTHONPATH=src python benchmarks/bench_chains.py          # 2k, 4k, 8k, 100k
    PYTHONPATH=src python benchmarks/bench_chains.py --sizes 100k --runs 1
    PYTHONPATH=src python benchmarks/bench_chains.py --objgraph 4000
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import types
from collections.abc import Callable
from typing import Any

from harness import fmt_ratio, fmt_seconds, markdown_table, median, time_collect

import whyalive
from whyalive.compat import objgraph as compat

MODULE = "whyalive_bench_chains"


class Link:
    __slots__ = ("nxt",)


def build(module: types.ModuleType, size: int) -> Link:
    """The chain under ``module.HEAD``; returns its last node."""
    head = cur = Link()
    for _ in range(size):
        cur.nxt = Link()
        cur = cur.nxt
    module.HEAD = head
    return cur


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def measure(size: int, runs: int, objgraph_up_to: int) -> list[list[str]]:
    module = types.ModuleType(MODULE)
    sys.modules[MODULE] = module
    target = build(module, size)
    null = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    times: dict[str, list[float]] = {}
    collects: list[float] = []
    lines = 0
    objgraph = None
    if size <= objgraph_up_to:
        import objgraph

    def record(name: str, call: Callable[[], Any]) -> Any:
        seconds, result = timed(call)
        times.setdefault(name, []).append(seconds)
        return result

    try:
        for _ in range(runs):
            collects.append(time_collect())
            # timed inline: a lambda would hold the target in a closure
            # cell, a second (short) path beside the chain's
            start = time.perf_counter()
            report = whyalive.explain(target)
            times.setdefault("explain", []).append(time.perf_counter() - start)
            lines = record("Report.to_dot", report.to_dot).count("\n")
            del report
            chain = record(
                "find_backref_chain",
                lambda: whyalive.find_backref_chain(
                    target, whyalive.is_proper_module, max_depth=size + 10
                ),
            )
            assert chain[0] is module and chain[-1] is target
            assert len(chain) == size + 3, len(chain)  # module, dict, the links
            record("show_chain", lambda c=chain: whyalive.show_chain(c, output=null))
            record(
                "compat show_chain", lambda c=chain: compat.show_chain(c, output=null)
            )
            if objgraph is not None:
                theirs = record(
                    "objgraph find_backref_chain",
                    lambda: objgraph.find_backref_chain(
                        target, objgraph.is_proper_module, max_depth=size + 10
                    ),
                )
                assert len(theirs) == len(chain)
                record(
                    "objgraph show_chain",
                    lambda c=theirs: objgraph.show_chain(c, output=null),
                )
                del theirs
            del chain
    finally:
        null.close()
        del sys.modules[MODULE]
    collect = median(collects)
    rows = []
    for name, values in times.items():
        value = median(values)
        note = f"{lines:,} lines" if name == "Report.to_dot" else ""
        rows.append(
            [f"{size:,}", name, fmt_seconds(value), fmt_ratio(value / collect), note]
        )
    rows.append([f"{size:,}", "gc.collect()", fmt_seconds(collect), "1.00", ""])
    return rows


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2k,4k,8k,100k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--objgraph", type=parse_size, default=0, metavar="N")
    args = parser.parse_args(argv)
    rows = []
    for size in map(parse_size, args.sizes.split(",")):
        gc.collect()
        rows.extend(measure(size, args.runs, args.objgraph))
    print(f"Python {sys.version.split()[0]}, whyalive {whyalive.__version__}")
    print(markdown_table(["chain", "call", "median", "vs gc.collect()", ""], rows))


if __name__ == "__main__":
    main()
