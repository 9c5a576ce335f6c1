"""objgraph's everyday tools, whyalive against objgraph itself, as ratios.

For each heap size (and layout, see ``heaps.py``) a child process builds the
heap; then for each question and each tool, ``--runs`` times: one timed full
``gc.collect()``, then the call, timed.  Printed per question: the median
time of each tool, its ratio to the median ``gc.collect()`` of the same runs,
and objgraph's time over whyalive's ("x faster").  Both tools run in the
same process, on the same heap.

Questions (``--questions``, comma-separated):

``typestats``
    ``typestats()``: counts of every type.
``count``
    ``count('LeakedWidget')``: one type, by name.
``show_growth``
    ``show_growth(file=<null>)`` after a first, untimed call (the peaks
    then match the heap): its own ``gc.collect()`` included, for both.
``chain:D``
    ``find_backref_chain(target, is_proper_module)`` for a target ``D``
    references from a module global, at the end of a chain of ``__slots__``
    nodes (one referrer per level).
``fanchain:W``
    the same for a target held by ``W`` containers, themselves held by one
    list, a module global: every level of objgraph's search calls
    ``gc.get_referrers`` once per object of the level.
``classattr:N``
    the same for a target in a list that is a class attribute, the class
    a module global with ``N`` live instances (held by another global): the
    class's referrers are its instances, so objgraph's search asks for the
    referrers of each of them before it reaches the module.

The answers are checked: both tools must return the same counts (whyalive
also counts the objects ``gc.freeze()`` moved out of ``gc.get_objects()``;
there are none here) and chains that start at the fixture's module.

Examples (from the repository root, the C core built in place, objgraph
installed: ``pip install objgraph``)::

    PYTHONPATH=src python benchmarks/bench_census.py                  # 100k, 1M, 5M
    PYTHONPATH=src python benchmarks/bench_census.py --sizes 100k --runs 3
    PYTHONPATH=src python benchmarks/bench_census.py --budget 60 --json census.json
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import time
from collections.abc import Callable
from typing import Any

import harness
from harness import Budget, BudgetExceeded, fmt_ratio, fmt_seconds
from heaps import (
    LAYOUTS,
    MODULE_NAME,
    Heap,
    LeakedWidget,
    Target,
    format_size,
    parse_size,
)

DEFAULTS = {
    "sizes": "100k,1M,5M",
    "layouts": "ordered",
    "questions": "typestats,count,show_growth,chain:8,fanchain:100,classattr:1000",
}
TOOLS = ("whyalive", "objgraph")
LEAKED = 200


def parse_question(spec: str) -> tuple[str, int]:
    kind, _, number = spec.partition(":")
    if kind in ("chain", "fanchain", "classattr") and number.isdigit() and int(number):
        return kind, int(number)
    if kind in ("typestats", "count", "show_growth") and not number:
        return kind, 0
    raise argparse.ArgumentTypeError(f"unknown question {spec!r}")


def fixtures(questions: list[str]) -> dict[str, Any]:
    chains, fans = [], []
    for spec in questions:
        kind, n = parse_question(spec)
        if kind == "chain":
            chains.append(n)
        elif kind == "fanchain":
            fans.append(n)
    return {"chains": chains, "fan_ins": fans, "leaked": LEAKED}


def add_class_attribute(heap: Heap, questions: list[str]) -> None:
    """The ``classattr:N`` fixture: ``Registered`` and ``N`` instances, as
    globals of the heap's module."""
    counts = [n for kind, n in map(parse_question, questions) if kind == "classattr"]
    if counts:
        # made here, so that only the heap's module holds the class
        cls = type(
            "Registered", (), {"__module__": MODULE_NAME, "registry": [Target()]}
        )
        heap.module.Registered = cls
        heap.module.registered = [cls() for _ in range(max(counts))]


def module_of(tool: str) -> Any:
    if tool == "whyalive":
        import whyalive

        return whyalive
    import objgraph

    return objgraph


def call_for(tool: str, heap: Heap, spec: str) -> tuple[str, Callable[[], Any]]:
    """The call and its description.  A chain's target is popped out of a
    one-item list in the call itself: no local of this code holds it."""
    m = module_of(tool)
    kind, n = parse_question(spec)
    if kind == "typestats":
        return "typestats()", m.typestats
    if kind == "count":
        return "count('LeakedWidget')", lambda: m.count(LeakedWidget.__name__)
    if kind == "show_growth":
        sink = io.StringIO()
        m.show_growth(file=sink)  # the peaks now match the heap
        return "show_growth(file=sink)", lambda: m.show_growth(file=sink)
    if kind == "chain":
        box: list = []

        def chain() -> Any:
            box.append(heap.chain_target(n))
            return m.find_backref_chain(box.pop(), m.is_proper_module)

        return "find_backref_chain(x, is_proper_module)", chain
    if kind == "classattr":
        box3: list = []

        def classattr() -> Any:
            box3.append(heap.module.Registered.registry[0])
            return m.find_backref_chain(box3.pop(), m.is_proper_module)

        return "find_backref_chain(x, is_proper_module)", classattr
    box2: list = []

    def fanchain() -> Any:
        box2.append(heap.fan_in_target(n))
        return m.find_backref_chain(box2.pop(), m.is_proper_module)

    return "find_backref_chain(x, is_proper_module)", fanchain


def check(spec: str, answer: Any) -> str:
    kind, _ = parse_question(spec)
    if kind == "typestats":
        return f"{len(answer)} types, {sum(answer.values()):,} objects"
    if kind == "count":
        return f"{answer}"
    if kind == "show_growth":
        return "-"
    start = answer[0]
    rooted = getattr(start, "__name__", None) == MODULE_NAME
    return f"{len(answer)} objects, {'starts at the module' if rooted else 'NO ROOT'}"


def ask(tool: str, heap: Heap, spec: str, runs: int, budget: float) -> dict[str, Any]:
    row: dict[str, Any] = {"question": spec, "tool": tool}
    try:
        call, fn = call_for(tool, heap, spec)
    except ImportError as e:
        return {**row, "skipped": f"not importable: {e}"}
    row["call"] = call
    collects, times = [], []
    answer = None
    for _ in range(runs):
        collects.append(harness.time_collect())
        start = time.perf_counter()
        try:
            with Budget(budget):
                answer = fn()
        except BudgetExceeded:
            row["over_budget"] = budget
            break
        times.append(time.perf_counter() - start)
    row["collect_seconds"] = collects
    row["seconds"] = times
    if times:
        row["median"] = harness.median(times)
        row["ratio"] = row["median"] / harness.median(collects[: len(times)])
        row["answer"] = check(spec, answer)
    del answer
    return row


def worker(job: dict[str, Any], out: str) -> None:
    heap = harness.build_job_heap(job, **fixtures(job["questions"]))
    add_class_attribute(heap, job["questions"])
    rows = []
    for spec in job["questions"]:
        for tool in job["tools"]:
            print(f"  {spec} / {tool}", file=sys.stderr)
            rows.append(ask(tool, heap, spec, job["runs"], job["budget"]))
            gc.collect()
    harness.finish_job(out, job, heap, rows=rows)


def table(results: list[dict[str, Any]]) -> str:
    headers = [
        "heap",
        "GC objects",
        "question",
        "gc.collect s",
        "whyalive s",
        "whyalive ratio",
        "objgraph s",
        "objgraph ratio",
        "x faster",
        "answers",
    ]
    lines = []
    for result in results:
        heap = f"{format_size(result['size'])} {result['layout']}"
        if "error" in result:
            lines.append([heap, "-", result["error"], *["-"] * 7])
            continue
        by_question: dict[str, dict[str, dict[str, Any]]] = {}
        for row in result["rows"]:
            by_question.setdefault(row["question"], {})[row["tool"]] = row
        for spec, tools in by_question.items():
            w, o = tools.get("whyalive", {}), tools.get("objgraph", {})
            collects = w.get("collect_seconds", []) + o.get("collect_seconds", [])
            faster = None
            if w.get("median") and o.get("median"):
                faster = o["median"] / w["median"]
            lines.append(
                [
                    heap,
                    f"{result['gc_objects']:,}",
                    f"{spec}",
                    fmt_seconds(harness.median(collects) if collects else None),
                    _time(w),
                    fmt_ratio(w.get("ratio")),
                    _time(o),
                    fmt_ratio(o.get("ratio")),
                    "-" if faster is None else f"{faster:,.1f}x",
                    " / ".join(
                        str(t.get("answer", t.get("skipped", "-"))) for t in (w, o)
                    ),
                ]
            )
    return harness.markdown_table(headers, lines)


def _time(row: dict[str, Any]) -> str:
    if "skipped" in row:
        return "not installed"
    if "over_budget" in row and not row.get("seconds"):
        return f"> {row['over_budget']:g} (budget)"
    return fmt_seconds(row.get("median"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default=DEFAULTS["sizes"], help="e.g. 100k,1M")
    parser.add_argument("--layouts", default=DEFAULTS["layouts"])
    parser.add_argument("--questions", default=DEFAULTS["questions"])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--runs", type=int, default=3, help="runs per call (>= 3)")
    parser.add_argument(
        "--budget", type=float, default=120.0, help="seconds per call, 0: none"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import json

        worker(json.loads(args.worker[0]), args.worker[1])
        return 0
    layouts = args.layouts.split(",")
    for layout in layouts:
        if layout not in LAYOUTS:
            parser.error(f"unknown layout {layout!r}")
    questions = args.questions.split(",")
    for spec in questions:
        parse_question(spec)
    tools = args.tools.split(",")
    jobs = [
        {
            "size": parse_size(size),
            "layout": layout,
            "questions": questions,
            "tools": tools,
            "runs": args.runs,
            "budget": args.budget,
            "seed": args.seed,
        }
        for size in args.sizes.split(",")
        for layout in layouts
    ]
    info = harness.machine_info()
    results = harness.run_workers(__file__, jobs)
    text = "\n".join(harness.machine_lines(info)) + "\n\n" + table(results)
    if args.runs < 3:
        text += "\n\n(fewer than 3 runs: the times are not medians)"
    print(text)
    if args.json:
        harness.write_json(args.json, {"machine": info, "results": results})
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
