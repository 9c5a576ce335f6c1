"""whyalive and its peers on the same questions, the same heaps, one process.

For every heap size and layout (see ``heaps.py``) a child process builds the
heap once and asks every tool every question (``--questions``, the query
names of ``bench_explain.py``).  Each (question, tool) pair runs up to
``--runs`` times; each run is preceded by a timed full ``gc.collect()``,
and every figure is a ratio to the median of those collections.  A run
that exceeds ``--budget`` seconds is interrupted (``SIGALRM`` raising an
exception in the main thread) and reported as "> budget (did not finish)";
such a pair, or one that raised, is not run again.  Besides the time, each
answer is checked: did it reach the root, the module global that holds the
fixture?

The calls, with limits raised so that the root is within reach (the
defaults of objgraph, refleak and referrers stop at depth 20, 5 and 20)::

  whyalive   explain(x); explain_instances(LeakedWidget, collect=False);
             typestats(); count(LeakedWidget)  (when whyalive has them)
  objgraph   find_backref_chain(x, is_proper_module, max_depth=L+10);
             per instance of by_type('LeakedWidget'): the same;
             typestats(); count('LeakedWidget')
  referrers  get_referrer_graph(x, max_depth=2L+10, module_prefixes=[heap]);
             get_referrer_graph_for_list(instances, max_depth=30, ...)
  refleak    testing.referrer_chain(x, max_depth=L+10, max_lines=max(40, W+20));
             testing.assert_no_instances(LeakedWidget, max_depth=12)
  guppy3     str(hpy().iso(x).sp); per instance: the same (``.sp`` of a set
             shows only the nearest members); ``hpy()`` is made once per
             heap, untimed

(L: references on the fixture's path; W: fan-in width.)  A tool that is not
installed is reported as such and the others go on.  Install the peers in a
separate virtualenv (``benchmarks/README.md``) and run, from the repository
root::

    PYTHONPATH=src /tmp/venvs/bench311/bin/python benchmarks/bench_peers.py \\
        --sizes 1M --budget 120 --json peers.json
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import harness
from bench_explain import (
    check_whyalive,
    expected_length,
    fixtures,
    missing_api,
    parse_query,
    whyalive_call,
)
from harness import Budget, BudgetExceeded, fmt_ratio, fmt_seconds
from heaps import MODULE_NAME, Heap, LeakedWidget, format_size

TOOLS = ("whyalive", "objgraph", "referrers", "refleak", "guppy3")
IMPORTS = {
    "whyalive": "whyalive",
    "objgraph": "objgraph",
    "referrers": "referrers",
    "refleak": "refleak.testing",
    "guppy3": "guppy",
}
DEFAULTS = {
    "sizes": "1M",
    "layouts": "ordered",
    "questions": "depth:8,depth:1000,fanin:10000,instances:200,typestats",
}

Call = Callable[[], Any]
#: Why a tool has no row for a question.
NOT_ASKED = "not asked: the tool has no such call (census: see bench_census.py)"


class Progress:
    """What a per-instance loop got through before it ended."""

    def __init__(self) -> None:
        self.done = 0
        self.reached = 0


def _limit(kind: str, n: int) -> int:
    return expected_length(kind, n) or 0


# -- one adapter per tool: (call or None, checker) ----------------------------


def objgraph_call(
    heap: Heap, kind: str, n: int, progress: Progress
) -> tuple[str, Call] | None:
    import objgraph

    module = heap.module
    if kind in ("depth", "fanin"):
        box = [_target(heap, kind, n)]
        depth = _limit(kind, n) + 10
        return (
            f"find_backref_chain(x, is_proper_module, max_depth={depth})",
            lambda: objgraph.find_backref_chain(
                box.pop(), objgraph.is_proper_module, max_depth=depth
            ),
        )
    if kind == "instances":

        def each_instance() -> Progress:
            objs = objgraph.by_type(LeakedWidget.__name__)
            while objs:
                chain = objgraph.find_backref_chain(
                    objs.pop(), objgraph.is_proper_module, max_depth=12
                )
                progress.done += 1
                progress.reached += len(chain) > 1 and chain[0] is module
            return progress

        return (
            "find_backref_chain(x, is_proper_module) per by_type() item",
            each_instance,
        )
    if kind == "typestats":
        return "typestats()", objgraph.typestats
    return "count('LeakedWidget')", lambda: objgraph.count(LeakedWidget.__name__)


def objgraph_check(heap: Heap, kind: str, answer: Any) -> dict[str, Any]:
    if kind in ("depth", "fanin"):
        reached = len(answer) > 1 and answer[0] is heap.module
        if len(answer) == 1:
            return {"root_reached": False, "answer": "no chain found ([x] returned)"}
        return {
            "root_reached": reached,
            "answer": f"chain of {len(answer)} objects from "
            f"{type(answer[0]).__name__} {getattr(answer[0], '__name__', '')}",
        }
    if kind == "typestats":
        return {"root_reached": None, "answer": f"{len(answer)} types"}
    if kind == "count":
        return {"root_reached": None, "answer": f"count={answer} (built {heap.leaked})"}
    raise AssertionError(kind)


def referrers_call(
    heap: Heap, kind: str, n: int, progress: Progress
) -> tuple[str, Call] | None:
    import referrers

    prefixes = [MODULE_NAME]
    if kind in ("depth", "fanin"):
        box = [_target(heap, kind, n)]
        depth = 2 * _limit(kind, n) + 10
        return (
            f"get_referrer_graph(x, max_depth={depth}, module_prefixes=[heap])",
            lambda: referrers.get_referrer_graph(
                box.pop(), max_depth=depth, module_prefixes=prefixes
            ),
        )
    if kind == "instances":
        return (
            "get_referrer_graph_for_list(instances, max_depth=30, "
            "module_prefixes=[heap])",
            lambda: referrers.get_referrer_graph_for_list(
                heap.leaked_instances(), max_depth=30, module_prefixes=prefixes
            ),
        )
    return None


def referrers_check(heap: Heap, kind: str, answer: Any) -> dict[str, Any]:
    import networkx

    graph = answer.to_networkx()
    root_ids = {
        node
        for node in graph.nodes
        if node.type in ("module variable", "global")
        and node.name.startswith(MODULE_NAME + ".")
    }
    limits = sorted(
        {node.name for node in graph.nodes if "exceeded" in node.name},
    )
    note = f"; {limits[0]}" if limits else ""
    if kind == "instances":
        targets = [node for node in graph.nodes if node.is_target]
        reached = sum(1 for t in targets if networkx.ancestors(graph, t) & root_ids)
        return {
            "root_reached": reached == len(targets) == heap.leaked,
            "answer": f"{len(targets)} targets, {reached} reach a module global, "
            f"{graph.number_of_nodes()} nodes{note}",
        }
    return {
        "root_reached": bool(root_ids),
        "answer": f"{graph.number_of_nodes()} nodes, module global "
        f"{'named' if root_ids else 'not reached'}{note}",
    }


def refleak_call(
    heap: Heap, kind: str, n: int, progress: Progress
) -> tuple[str, Call] | None:
    from refleak import testing

    if kind in ("depth", "fanin"):
        box = [_target(heap, kind, n)]
        depth = _limit(kind, n) + 10
        lines = max(40, (n if kind == "fanin" else depth) + 20)
        return (
            f"referrer_chain(x, max_depth={depth}, max_lines={lines})",
            lambda: testing.referrer_chain(box.pop(), max_depth=depth, max_lines=lines),
        )
    if kind == "instances":

        def assert_none() -> str:
            try:
                testing.assert_no_instances(LeakedWidget, max_depth=12)
            except AssertionError as e:
                return str(e)
            return ""

        return "assert_no_instances(LeakedWidget, max_depth=12)", assert_none
    return None


def refleak_check(heap: Heap, kind: str, answer: Any) -> dict[str, Any]:
    needle = MODULE_NAME + "."
    if kind == "instances":
        sections: list[bool] = []
        for line in answer.splitlines():
            if line.startswith(f"{LeakedWidget.__qualname__} @ 0x"):
                sections.append(False)
            elif sections and needle in line:
                sections[-1] = True
        reached = sum(sections)
        return {
            "root_reached": reached == len(sections) == heap.leaked,
            "answer": f"{len(sections)} instances listed, "
            f"{reached} reach a module global",
        }
    lines, _ = answer
    reached = any(needle in line for line in lines)
    truncated = any("truncated" in line for line in lines)
    return {
        "root_reached": reached,
        "answer": f"{len(lines)} lines, module global "
        f"{'named' if reached else 'not reached'}"
        + ("; truncated" if truncated else ""),
    }


_HPY: list[Any] = []


def _hpy() -> Any:
    """One heapy session per heap (made untimed, before the first call)."""
    if not _HPY:
        from guppy import hpy

        _HPY.append(hpy())
    return _HPY[0]


def guppy_call(
    heap: Heap, kind: str, n: int, progress: Progress
) -> tuple[str, Call] | None:
    hp = _hpy()
    needle = f"i0_modules['{MODULE_NAME}']"
    if kind in ("depth", "fanin"):
        box = [_target(heap, kind, n)]
        return "str(hpy().iso(x).sp)", lambda: str(hp.iso(box.pop()).sp)
    if kind == "instances":

        def each_instance() -> Progress:
            objs = heap.leaked_instances()
            while objs:
                text = str(hp.iso(objs.pop()).sp)
                progress.done += 1
                progress.reached += needle in text.split("\n", 1)[0]
            return progress

        return "str(hpy().iso(x).sp) per instance", each_instance
    return None


def guppy_check(heap: Heap, kind: str, answer: Any) -> dict[str, Any]:
    first = answer.strip().split("\n", 1)[0]
    reached = f"i0_modules['{MODULE_NAME}']" in first
    if len(first) > 90:
        first = first[:60] + " ... " + first[-25:]
    return {"root_reached": reached, "answer": f"first path: {first.strip()}"}


def whyalive_adapter(
    heap: Heap, kind: str, n: int, progress: Progress
) -> tuple[str, Call] | None:
    if missing_api(kind):
        return None
    names = {
        "depth": "explain(x)",
        "fanin": "explain(x)",
        "instances": "explain_instances(LeakedWidget, collect=False)",
        "typestats": "typestats()",
        "count": "count(LeakedWidget)",
    }
    return names[kind], whyalive_call(heap, kind, n)


ADAPTERS: dict[str, Callable[..., tuple[str, Call] | None]] = {
    "whyalive": whyalive_adapter,
    "objgraph": objgraph_call,
    "referrers": referrers_call,
    "refleak": refleak_call,
    "guppy3": guppy_call,
}
CHECKS: dict[str, Callable[[Heap, str, Any], dict[str, Any]]] = {
    "objgraph": objgraph_check,
    "referrers": referrers_check,
    "refleak": refleak_check,
    "guppy3": guppy_check,
}


def _target(heap: Heap, kind: str, n: int) -> Any:
    return heap.chain_target(n) if kind == "depth" else heap.fan_in_target(n)


def check(tool: str, heap: Heap, kind: str, n: int, answer: Any) -> dict[str, Any]:
    if isinstance(answer, Progress):
        return {
            "root_reached": answer.reached == answer.done == heap.leaked,
            "answer": f"{answer.done} asked, {answer.reached} reach a module global",
        }
    if tool == "whyalive":
        return check_whyalive(heap, kind, n, answer)
    return CHECKS[tool](heap, kind, answer)


# -- the worker ---------------------------------------------------------------


def ask(
    tool: str, heap: Heap, question: str, runs: int, budget: float
) -> dict[str, Any]:
    kind, n = parse_query(question)
    row: dict[str, Any] = {"question": question, "tool": tool}
    collects: list[float] = []
    seconds: list[float] = []
    for run in range(runs):
        progress = Progress()
        made = ADAPTERS[tool](heap, kind, n, progress)
        if made is None:
            missing = missing_api(kind) if tool == "whyalive" else None
            return {**row, "skipped": missing or NOT_ASKED}
        row["call"], call = made
        if not run:  # peers may leave objects behind: the heap this pair sees
            row["gc_objects"] = len(gc.get_objects())
        collects.append(harness.time_collect())
        status, answer = "ok", None
        start = time.perf_counter()
        try:
            with Budget(budget):
                answer = call()
        except BudgetExceeded:
            status = "over budget"
        except Exception as e:  # a peer failing is a result too
            status = f"error: {type(e).__name__}: {str(e)[:80]}"
        elapsed = time.perf_counter() - start
        if status == "ok" and 0 < budget < elapsed:  # C code is not interrupted
            status = "over budget"
            row["finished_late"] = True
        del call
        if answer is not None:
            row.update(check(tool, heap, kind, n, answer))
            stats = getattr(answer, "stats", None)
            if stats is not None:  # whyalive's index
                row.update(nodes=stats.nodes, edges=stats.edges)
        elif progress.done:
            row.update(check(tool, heap, kind, n, progress))
        else:
            row.update(root_reached=False, answer="no answer")
        del answer
        if not gc.isenabled():
            gc.enable()
            row["note"] = "left the collector disabled"
        gc.collect()
        print(
            f"  {question} {tool} run {run + 1}/{runs}: {elapsed:.2f} s, {status}, "
            f"{row['answer']}",
            file=sys.stderr,
        )
        if status != "ok":
            row.update(status=status, elapsed=elapsed)
            break
        seconds.append(elapsed)
        row["status"] = "ok"
    collect_s, query_s = harness.median(collects), harness.median(seconds)
    row.update(
        runs=len(seconds),
        collect_seconds=collect_s,
        collect_runs=collects,
        seconds=query_s,
        seconds_runs=seconds,
        ratio=query_s / collect_s if query_s is not None and collect_s else None,
    )
    return row


def worker(job: dict[str, Any], out: str) -> None:
    available = {}
    for tool in job["tools"]:
        try:
            importlib.import_module(IMPORTS[tool])
            available[tool] = None
        except Exception as e:  # not installed, or failed to build
            available[tool] = f"not importable: {type(e).__name__}: {e}"
    heap = harness.build_job_heap(job, **fixtures(job["questions"]))
    if "guppy3" in job["tools"] and available["guppy3"] is None:
        _hpy()
    rows = []
    for question in job["questions"]:
        for tool in job["tools"]:
            if available[tool]:
                rows.append(
                    {"question": question, "tool": tool, "skipped": available[tool]}
                )
                continue
            rows.append(ask(tool, heap, question, job["runs"], job["budget"]))
    harness.finish_job(out, job, heap, rows=rows)


# -- the parent ---------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    rows, notes = [], []
    for res in results:
        size, layout = format_size(res["size"]), res["layout"]
        if "error" in res:
            notes.append(f"- {size} {layout}: {res['error']}")
            continue
        ours = {
            r["question"]: r["seconds"]
            for r in res["rows"]
            if r["tool"] == "whyalive" and r.get("seconds")
        }
        for r in res["rows"]:
            if r.get("skipped") == NOT_ASKED:
                continue
            if "skipped" in r:
                notes.append(
                    f"- {size} {layout} {r['question']} {r['tool']}: {r['skipped']}"
                )
                continue
            if r["status"] == "ok":
                time_s, ratio = fmt_seconds(r["seconds"]), fmt_ratio(r["ratio"])
            elif r["status"] == "over budget":
                done = (
                    f"finished after {r['elapsed']:.0f} s"
                    if r.get("finished_late")
                    else "did not finish"
                )
                time_s, ratio = f"> {res['budget']:g} ({done})", "-"
            else:
                time_s, ratio = r["status"], "-"
            vs = ours.get(r["question"])
            times_ours = (
                f"{r['seconds'] / vs:.1f}" if vs and r["status"] == "ok" else "-"
            )
            reached = r.get("root_reached")
            rows.append(
                [
                    size,
                    layout,
                    f"{r['gc_objects']:,}",
                    r["question"],
                    r["tool"],
                    r["call"],
                    r["runs"],
                    fmt_seconds(r["collect_seconds"]),
                    time_s,
                    ratio,
                    times_ours,
                    "-" if reached is None else ("yes" if reached else "NO"),
                    r["answer"] + (f" ({r['note']})" if "note" in r else ""),
                ]
            )
    out = [
        "### Same questions, same heap, same process "
        "(medians; ratio = time / gc.collect())",
        "",
        harness.markdown_table(
            [
                "N",
                "layout",
                "GC objects",
                "question",
                "tool",
                "call",
                "runs",
                "gc.collect s",
                "time s",
                "ratio",
                "x whyalive",
                "root reached",
                "answer",
            ],
            rows,
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
        f"questions {DEFAULTS['questions']}",
    )
    harness.add_common_arguments(parser)
    parser.add_argument("--questions", default=DEFAULTS["questions"])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per call (0: none)"
    )
    args = parser.parse_args(argv)

    if args.worker:
        gc.collect()
        worker(json.loads(args.worker[0]), args.worker[1])
        return 0

    sizes, layouts = harness.heap_settings(
        parser, args, DEFAULTS["sizes"], DEFAULTS["layouts"]
    )
    questions = args.questions.split(",")
    tools = args.tools.split(",")
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool!r}: one of {', '.join(TOOLS)}")
    for question in questions:
        try:
            kind, _ = parse_query(question)
        except ValueError as e:
            parser.error(str(e))
        if kind == "timeout":
            parser.error("timeout:P is a question for bench_explain.py only")

    info = harness.machine_info()
    jobs = [
        {
            "size": s,
            "layout": lay,
            "questions": questions,
            "tools": tools,
            "runs": args.runs,
            "budget": args.budget,
            "seed": args.seed,
        }
        for s in sizes
        for lay in layouts
    ]
    results = harness.run_workers(__file__, jobs)
    header = [
        "## whyalive and its peers: time as ratios to gc.collect()",
        "",
        *harness.machine_lines(info),
        f"- peers: {_versions(tools)}",
        f"- runs per call: up to {harness.runs_note(args.runs)}, "
        f"budget {args.budget:g} s per call, seed {args.seed}",
        f"- the objects asked about are instances of {LeakedWidget.__qualname__} "
        f"and targets held from the globals of module {MODULE_NAME}",
    ]
    harness.publish(args, "bench_peers", info, header, table(results), results)
    return 0


def _versions(tools: list[str]) -> str:
    from importlib import metadata

    out = []
    for tool in tools:
        try:
            out.append(f"{tool} {metadata.version(tool)}")
        except metadata.PackageNotFoundError:
            out.append(
                f"{tool} (not installed)" if tool != "whyalive" else "whyalive (src)"
            )
    return ", ".join(out)


if __name__ == "__main__":
    sys.exit(main())
