"""How long whyalive takes to answer, as a ratio to one full gc.collect().

For every heap size and layout (see ``heaps.py``) a child process builds the
heap, then for each query, ``--runs`` times: times one full ``gc.collect()``,
then asks whyalive the question and times the call, measuring the peak RSS
growth of the process during it (``harness.PeakMemory``).  Printed per query:
the medians of both times and their ratio next to the issue's goal, the
split the report's ``stats`` gives (index build, search), the nodes and
edges of the index, the peak RSS growth against the index memory goal
(24 bytes per node + 4 per edge), and whether the answer reached the root.

Queries (``--queries``, comma-separated):

``depth:D``
    ``whyalive.explain(target)``, target at the end of a chain of ``D``
    references from a module global (linked ``__slots__`` nodes).  The
    answer must start at that module global, ``D`` references long.
``fanin:W``
    ``whyalive.explain(target)``, target inside ``W`` containers held by
    one list, a module global: the answer must start at a module global.
``instances:C``
    ``whyalive.explain_instances(LeakedWidget, collect=False)`` with ``C``
    instances held from dicts, lists, attributes, closures, bound methods,
    a deque and a set: all ``C`` must be found, each rooted at a module
    global.  ``collect=False``: the default ``collect=True`` adds one
    ``gc.collect()``, i.e. 1.0 to the ratio.
``targets:N``
    many targets (issue 15): ``whyalive.explain_instances(LeakedWidget,
    collect=False)`` with ``N`` instances held as ``instances:C``'s, timed
    the same way; besides, in the same process, the peak RSS growth of a
    single-target call (``explain`` of the depth-8 chain's target) and the
    ratio of the two peaks (goal: <= 1.25), the seconds of the call spent
    outside the core (``total_seconds`` of the report's stats is the
    core's), and, in one more untimed call under ``tracemalloc``, the
    Python bytes per target the report keeps and the peak of the call's
    Python allocations per target.
``typestats``, ``count``
    ``whyalive.typestats()`` and ``whyalive.count(LeakedWidget)`` when
    whyalive has them (skipped with a note otherwise).
``timeout:P``
    ``whyalive.explain(target, timeout=T)`` for the depth-8 chain's target,
    T being P % of the ``gc.collect()`` just timed: the time limit must be
    kept within 10 %, so the goal is a ratio of 1.1 * P / 100.  The answer
    says where the time ran out (``Report.stats.stopped_in``) and how far
    that phase had got, or that the query finished in time.

``--threads`` (comma-separated: ``default`` or a count, e.g. ``1,2,default``)
measures each explain query once per value, ``explain(..., threads=T)``
(``default``: ``threads=None``, the library's choice); the ``threads``
column says which.

The target is never held by a local of the timing code: it is popped out
of a one-item list in the call expression itself.

Examples (from the repository root, with the C core built in place)::

    PYTHONPATH=src python benchmarks/bench_explain.py               # issue 2
    PYTHONPATH=src python benchmarks/bench_explain.py --sizes 100k --runs 3
    PYTHONPATH=src python benchmarks/bench_explain.py --threads 1,2,default  # issue 15
    PYTHONPATH=src python benchmarks/bench_explain.py --matrix \\
        --json bench.json --markdown bench.md                       # issue 4
    PYTHONPATH=src python benchmarks/bench_explain.py --sizes 1M \\
        --queries targets:10000 --runs 3                            # issue 15
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable
from typing import Any

import harness
from harness import fmt_mib, fmt_ratio, fmt_seconds
from heaps import MODULE_NAME, Heap, LeakedWidget, format_size

#: Sizes, layouts and queries of the issue-4 matrix (``--matrix``).
MATRIX = {
    "sizes": "1M,5M,10M",
    "layouts": "ordered,fragmented",
    "queries": "depth:8,depth:1000,fanin:10000,instances:200,typestats,count",
}
#: Issue 2: explain(target) at depth 8, heaps of 100k, 1M and 5M objects.
DEFAULTS = {"sizes": "100k,1M,5M", "layouts": "ordered", "queries": "depth:8"}
#: Leaked instances when only count() asks for them.
DEFAULT_LEAKED = 200
#: A time limit is kept when the call returns within 10 % of it.
TIMEOUT_SLACK = 1.1
#: The chain whose target a timeout:P query asks about (and a targets:N
#: query's single-target call).
TIMEOUT_CHAIN = 8
#: Issue 15: a many-target call's peak RSS growth, as a multiple of a
#: single-target call's on the same heap.
MANY_TARGETS_PEAK_GOAL = 1.25


def parse_query(spec: str) -> tuple[str, int]:
    """``"depth:8"`` -> ("depth", 8); ``"typestats"`` -> ("typestats", 0)."""
    kind, _, number = spec.partition(":")
    if (
        kind in ("depth", "fanin", "instances", "timeout", "targets")
        and number.isdigit()
        and int(number)
    ):
        return kind, int(number)
    if kind in ("typestats", "count") and not number:
        return kind, 0
    raise ValueError(
        f"unknown query {spec!r}: use depth:D, fanin:W, instances:C, timeout:P, "
        "targets:N, typestats, count"
    )


def goal_of(spec: str) -> float | None:
    """The largest acceptable ratio to gc.collect(), or None."""
    kind, n = parse_query(spec)
    if kind == "timeout":
        return round(TIMEOUT_SLACK * n / 100, 3)
    return harness.GOALS.get(spec)


def fixtures(queries: list[str]) -> dict[str, Any]:
    """The build_heap() keyword arguments the queries need."""
    parsed = [parse_query(q) for q in queries]
    leaked = max((n for k, n in parsed if k in ("instances", "targets")), default=0)
    if not leaked and any(k == "count" for k, _ in parsed):
        leaked = DEFAULT_LEAKED
    chains = [n for k, n in parsed if k == "depth"]
    single = any(k in ("timeout", "targets") for k, _ in parsed)
    if single and TIMEOUT_CHAIN not in chains:
        chains.append(TIMEOUT_CHAIN)
    return {
        "chains": chains,
        "fan_ins": [n for k, n in parsed if k == "fanin"],
        "leaked": leaked,
    }


def expected_length(kind: str, n: int) -> int | None:
    """References on the shortest path the fixture was built with."""
    return {"depth": n, "fanin": 3}.get(kind)


# -- asking whyalive (bench_peers.py asks the same way) -----------------------


def missing_api(kind: str) -> str | None:
    """Why whyalive cannot answer this kind of query, or None."""
    import whyalive

    if kind in ("typestats", "count") and not hasattr(whyalive, kind):
        return f"whyalive.{kind} does not exist in this build: skipped"
    return None


def whyalive_call(
    heap: Heap,
    kind: str,
    n: int,
    collect_seconds: float | None = None,
    threads: int | None = None,
) -> Callable[[], Any]:
    """A call that asks whyalive one question, for one run;
    ``collect_seconds`` is what a timeout:P query takes P % of; ``threads``
    goes to explain()/explain_instances() when not None."""
    import whyalive

    more = {} if threads is None else {"threads": threads}

    if kind == "timeout":
        if collect_seconds is None:
            raise ValueError("a timeout query needs the gc.collect() time")
        box = [heap.chain_target(TIMEOUT_CHAIN)]
        limit = collect_seconds * n / 100
        return lambda: whyalive.explain(box.pop(), timeout=limit, **more)
    if kind in ("depth", "fanin"):
        getter = heap.chain_target if kind == "depth" else heap.fan_in_target
        box = [getter(n)]
        return lambda: whyalive.explain(box.pop(), **more)
    if kind in ("instances", "targets"):
        return lambda: whyalive.explain_instances(LeakedWidget, collect=False, **more)
    if kind == "typestats":
        return lambda: whyalive.typestats()
    return lambda: _count(whyalive.count)


def _count(count: Callable[[Any], int]) -> int:
    try:
        return count(LeakedWidget)
    except TypeError:  # a census API that takes type names
        return count(LeakedWidget.__name__)


def check_whyalive(heap: Heap, kind: str, n: int, answer: Any) -> dict[str, Any]:
    """Did the answer reach the root?  ``root_reached`` and a short summary."""
    if kind in ("depth", "fanin"):
        if answer.partial or not answer.targets:
            return {"root_reached": False, "answer": f"partial: {answer.partial}"}
        target = answer.targets[0]
        path = target.paths[0] if target.paths else None
        reached = (
            target.status == "rooted"
            and path is not None
            and path.root.kind == "module"
            and path.root.module == MODULE_NAME
        )
        length = path.length if path is not None else None
        want = expected_length(kind, n)
        summary = f"{target.status}, {path.root.describe() if path else 'no path'}"
        summary += f", {length} refs"
        if length != want:
            summary += f" (built with {want})"
        return {"root_reached": reached, "path_length": length, "answer": summary}
    if kind in ("instances", "targets"):
        targets = answer.targets
        rooted = sum(
            1
            for t in targets
            if t.status == "rooted"
            and t.paths
            and t.paths[0].root.kind == "module"
            and t.paths[0].root.module == MODULE_NAME
        )
        return {
            "root_reached": rooted == len(targets) == heap.leaked,
            "answer": f"{len(targets)} found, {rooted} rooted at module globals"
            + (f", partial: {answer.partial}" if answer.partial else ""),
        }
    if kind == "count":
        return {"root_reached": None, "answer": f"count={answer} (built {heap.leaked})"}
    if kind == "timeout":
        stats = answer.stats
        if answer.partial_reason != "timeout":
            return {"root_reached": None, "answer": "finished within the limit"}
        return {
            "root_reached": None,
            "answer": f"stopped while {stats.stopped_in} (at {stats.stopped_at:,})",
        }
    size = len(answer) if hasattr(answer, "__len__") else "?"
    return {"root_reached": None, "answer": f"{size} rows"}


# -- the worker: one heap, every query --------------------------------------


def parse_threads(text: str) -> list[int | None]:
    """``"1,2,default"`` -> [1, 2, None]."""
    values: list[int | None] = []
    for item in text.split(","):
        if item == "default":
            values.append(None)
        elif item.isdigit() and int(item) >= 1:
            values.append(int(item))
        else:
            raise ValueError(f"--threads takes counts >= 1 or 'default', not {item!r}")
    return values


def measure(
    heap: Heap,
    spec: str,
    runs: int,
    memory: harness.PeakMemory,
    threads: int | None = None,
) -> dict:
    kind, n = parse_query(spec)
    row: dict[str, Any] = {
        "query": spec,
        "goal": goal_of(spec),
        "threads": "default" if threads is None else threads,
    }
    missing = missing_api(kind)
    if missing:
        return {**row, "skipped": missing}
    collects, seconds, peaks, index_s, search_s, core_s = [], [], [], [], [], []
    check: dict[str, Any] = {}
    stats = None
    for run in range(runs):
        collects.append(harness.time_collect())
        call = whyalive_call(heap, kind, n, collects[-1], threads)
        answer, peak, elapsed = memory.call(call)
        del call
        seconds.append(elapsed)
        peaks.append(peak)
        stats = getattr(answer, "stats", None)
        if stats is not None:
            index_s.append(stats.index_seconds)
            search_s.append(stats.search_seconds)
            core_s.append(stats.total_seconds)
        if kind == "targets":  # before any view is made (check_whyalive)
            del answer
            answer = None
        check = check_whyalive(heap, kind, n, answer) if answer is not None else {}
        del answer
        print(
            f"  {spec} threads={row['threads']} run {run + 1}/{runs}: {elapsed:.3f} s "
            f"(gc.collect {collects[-1]:.3f} s), {check.get('answer', '')}",
            file=sys.stderr,
        )
    if kind == "targets":
        check = many_targets(heap, n, runs, memory)
    collect_s, query_s = harness.median(collects), harness.median(seconds)
    row.update(
        runs=runs,
        collect_seconds=collect_s,
        collect_runs=collects,
        seconds=query_s,
        seconds_runs=seconds,
        ratio=query_s / collect_s if collect_s else None,
        index_seconds=harness.median(index_s),
        search_seconds=harness.median(search_s),
        python_seconds=(
            harness.median([t - c for t, c in zip(seconds, core_s, strict=True)])
            if len(core_s) == len(seconds)
            else None
        ),
        peak_bytes=max(peaks),
        peak_runs=peaks,
        **check,
    )
    if stats is not None:
        budget = (
            harness.INDEX_BYTES_PER_NODE * stats.nodes
            + harness.INDEX_BYTES_PER_EDGE * stats.edges
        )
        row.update(
            nodes=stats.nodes,
            edges=stats.edges,
            bytes_per_node=max(peaks) / stats.nodes if stats.nodes else None,
            memory_goal_bytes=budget,
            memory_ratio=max(peaks) / budget if budget else None,
        )
    return row


def _takes_threads(spec: str) -> bool:
    return parse_query(spec)[0] in ("depth", "fanin", "instances", "timeout")


def many_targets(
    heap: Heap, n: int, runs: int, memory: harness.PeakMemory
) -> dict[str, Any]:
    """A targets:N query's extras: the single-target call's peak, the
    Python bytes per target (tracemalloc), the answer checked."""
    import tracemalloc

    import whyalive

    single = []
    for _ in range(runs):
        call = whyalive_call(heap, "depth", TIMEOUT_CHAIN)
        _, peak, _ = memory.call(call)
        single.append(peak)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        answer = whyalive.explain_instances(LeakedWidget, collect=False)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    targets = len(answer)
    check = check_whyalive(heap, "targets", n, answer)
    del answer
    return {
        **check,
        "targets": targets,
        "single_peak_bytes": max(single),
        "single_peak_runs": single,
        "python_bytes_per_target": (kept - before) / max(targets, 1),
        "python_peak_per_target": (peak - before) / max(targets, 1),
    }


def worker(job: dict[str, Any], out: str) -> None:
    heap = harness.build_job_heap(job, **fixtures(job["queries"]))
    memory = harness.PeakMemory()
    queries = [
        measure(heap, q, job["runs"], memory, t)
        for q in job["queries"]
        for t in (job.get("threads") or [None] if _takes_threads(q) else [None])
    ]
    harness.finish_job(out, job, heap, memory_method=memory.method, queries=queries)


# -- the parent: run the heaps, print the tables ------------------------------


def tables(results: list[dict[str, Any]]) -> str:
    speed, memory, many, notes = [], [], [], []
    for res in results:
        size, layout = format_size(res["size"]), res["layout"]
        if "error" in res:
            notes.append(f"- {size} {layout}: {res['error']}")
            continue
        for q in res["queries"]:
            if "skipped" in q:
                notes.append(f"- {size} {layout} {q['query']}: {q['skipped']}")
                continue
            goal = q["goal"]
            met = "-" if goal is None else ("yes" if q["ratio"] <= goal else "NO")
            speed.append(
                [
                    size,
                    layout,
                    f"{res['gc_objects']:,}",
                    q["query"],
                    q.get("threads", "default"),
                    q["runs"],
                    fmt_seconds(q["collect_seconds"]),
                    fmt_seconds(q["seconds"]),
                    fmt_ratio(q["ratio"]),
                    "-" if goal is None else f"<= {goal}",
                    met,
                    fmt_seconds(q.get("index_seconds")),
                    fmt_seconds(q.get("search_seconds")),
                    q["answer"],
                ]
            )
            if "single_peak_bytes" in q:
                vs_single = q["peak_bytes"] / max(q["single_peak_bytes"], 1)
                many.append(
                    [
                        size,
                        layout,
                        q["query"],
                        fmt_ratio(q["ratio"]),
                        fmt_seconds(q["seconds"] - q["python_seconds"])
                        if q.get("python_seconds") is not None
                        else "-",
                        fmt_seconds(q.get("python_seconds")),
                        fmt_mib(q["peak_bytes"]),
                        fmt_mib(q["single_peak_bytes"]),
                        f"{fmt_ratio(vs_single)} "
                        f"({'yes' if vs_single <= MANY_TARGETS_PEAK_GOAL else 'NO'})",
                        f"{q['python_bytes_per_target']:.0f}",
                        f"{q['python_peak_per_target']:.0f}",
                    ]
                )
            if "nodes" in q:
                memory.append(
                    [
                        size,
                        layout,
                        q["query"],
                        f"{q['nodes']:,}",
                        f"{q['edges']:,}",
                        fmt_mib(q["peak_bytes"]),
                        f"{q['bytes_per_node']:.1f}",
                        fmt_mib(q["memory_goal_bytes"]),
                        fmt_ratio(q["memory_ratio"]),
                    ]
                )
    out = [
        "### Speed (medians; ratio = query / gc.collect(), same heap, same process)",
        "",
        harness.markdown_table(
            [
                "N",
                "layout",
                "GC objects",
                "query",
                "threads",
                "runs",
                "gc.collect s",
                "query s",
                "ratio",
                "goal",
                "met",
                "index s",
                "search s",
                "answer",
            ],
            speed,
        ),
    ]
    if memory:
        method = next((r["memory_method"] for r in results if "error" not in r), "")
        out += [
            "",
            f"### Memory (peak RSS growth during the query, max of runs; {method})",
            "",
            harness.markdown_table(
                [
                    "N",
                    "layout",
                    "query",
                    "nodes",
                    "edges",
                    "peak MiB",
                    "B/node",
                    "goal MiB (24/node + 4/edge)",
                    "peak / goal",
                ],
                memory,
            ),
        ]
    if many:
        out += [
            "",
            "### Many targets (issue 15; peaks: RSS growth, max of runs; Python"
            " bytes: tracemalloc, one more call)",
            "",
            harness.markdown_table(
                [
                    "N",
                    "layout",
                    "query",
                    "ratio",
                    "core s",
                    "Python s",
                    "peak MiB",
                    "single-target peak MiB",
                    f"peak / single (<= {MANY_TARGETS_PEAK_GOAL})",
                    "Python B/target kept",
                    "Python peak B/target",
                ],
                many,
            ),
        ]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"defaults: sizes {DEFAULTS['sizes']}, layouts {DEFAULTS['layouts']}, "
        f"queries {DEFAULTS['queries']}",
    )
    harness.add_common_arguments(parser)
    parser.add_argument(
        "--queries",
        help="depth:D, fanin:W, instances:C, timeout:P, targets:N, typestats, count",
    )
    parser.add_argument(
        "--matrix",
        action="store_true",
        help=f"issue 4: sizes {MATRIX['sizes']}, both layouts, queries "
        f"{MATRIX['queries']} (--sizes etc. still override)",
    )
    parser.add_argument(
        "--threads",
        default="default",
        help="explain(threads=T) for each: counts or 'default', e.g. 1,2,default",
    )
    args = parser.parse_args(argv)

    if args.worker:
        gc.collect()
        worker(json.loads(args.worker[0]), args.worker[1])
        return 0

    base = MATRIX if args.matrix else DEFAULTS
    sizes, layouts = harness.heap_settings(parser, args, base["sizes"], base["layouts"])
    queries = (args.queries or base["queries"]).split(",")
    for query in queries:
        try:
            parse_query(query)
        except ValueError as e:
            parser.error(str(e))
    try:
        threads = parse_threads(args.threads)
    except ValueError as e:
        parser.error(str(e))

    info = harness.machine_info()
    jobs = [
        {
            "size": s,
            "layout": lay,
            "queries": queries,
            "runs": args.runs,
            "seed": args.seed,
            "threads": threads,
        }
        for s in sizes
        for lay in layouts
    ]
    results = harness.run_workers(__file__, jobs)
    header = [
        "## whyalive.explain: time and memory as ratios to gc.collect()",
        "",
        *harness.machine_lines(info),
        f"- runs per query: {harness.runs_note(args.runs)}, seed {args.seed}",
    ]
    harness.publish(args, "bench_explain", info, header, tables(results), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
