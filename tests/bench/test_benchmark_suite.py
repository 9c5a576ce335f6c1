"""The benchmark suite still runs and its heaps are what it says.

No speed is asserted here: the benchmarks measure it (benchmarks/README.md).
These tests build tiny heaps, check the fixtures' shape and that whyalive's
answers reach the module global the suite expects, and run both scripts
end to end on a tiny heap (one run, whyalive only for the peers script).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import whyalive

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import heaps  # noqa: E402


@pytest.fixture(params=heaps.LAYOUTS)
def heap(request):
    built = heaps.build_heap(
        3000, request.param, seed=1, chains=(8, 50), fan_ins=(30,), leaked=21
    )
    try:
        yield built
    finally:
        built.close()
    assert heaps.MODULE_NAME not in sys.modules


def test_sizes_parse():
    assert heaps.parse_size("100k") == 100_000
    assert heaps.parse_size("1M") == 1_000_000
    assert heaps.parse_size("2500") == 2500
    assert heaps.format_size(10_000_000) == "10M"


def test_background_objects_are_tracked_and_held(heap):
    background = [o for chunk in heap.module.background for o in chunk]
    if heap.layout in ("records", "indexed"):  # a record and its list each
        assert len(heap.module.background) == 1
        if heap.layout == "indexed":
            assert list(heap.module.by_name.values()) == background
        background += [record.related for record in background]
    assert len(background) == 3000
    assert all(gc.is_tracked(o) for o in background)
    assert heap.gc_objects >= 3000


def test_chain_is_as_deep_as_built(heap):
    for depth in (8, 50):
        report = whyalive.explain(heap.chain_target(depth))
        path = report.targets[0].paths[0]
        assert path.root.kind == "module"
        assert path.root.name == f"{heaps.MODULE_NAME}.chain_{depth}"
        assert path.length == depth


def test_fan_in_target_is_in_every_container(heap):
    target = heap.fan_in_target(30)
    holders = heap.module.fan_in_30
    assert len(holders) == 30
    assert all(any(r is target for r in gc.get_referents(h)) for h in holders)
    del target  # a local of this frame would be the shortest path
    report = whyalive.explain(heap.fan_in_target(30))
    assert report.targets[0].paths[0].root.name == f"{heaps.MODULE_NAME}.fan_in_30"


def test_leaked_instances_have_every_kind_of_holder(heap):
    module = heap.module
    assert len(heap.leaked_instances()) == 21
    holders = ("dict", "list", "holders", "callbacks", "methods", "deque", "set")
    assert [len(getattr(module, f"leak_{h}")) for h in holders] == [3] * 7
    report = whyalive.explain_instances(heaps.LeakedWidget, collect=False)
    assert len(report.targets) == 21
    assert all(t.paths[0].root.module == heaps.MODULE_NAME for t in report.targets)


def _run(script: str, *args: str, tmp_path: Path) -> dict:
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--runs", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| N |" in proc.stdout
    return json.loads(out.read_text())


def test_bench_explain_runs_end_to_end(tmp_path):
    data = _run(
        "bench_explain.py",
        "--sizes", "2k",
        "--layouts", "ordered,fragmented",
        "--queries", "depth:8,fanin:100,instances:14,count",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert [r["layout"] for r in data["results"]] == ["ordered", "fragmented"]
    for result in data["results"]:
        answered = [q for q in result["queries"] if "skipped" not in q]
        explained = answered[:3]
        queries = [q["query"] for q in explained]
        assert queries == ["depth:8", "fanin:100", "instances:14"]
        assert all(q["root_reached"] for q in explained)
        assert all(q["ratio"] > 0 and q["nodes"] > 2000 for q in explained)


def test_bench_explain_measures_each_thread_count(tmp_path):
    data = _run(
        "bench_explain.py",
        "--sizes", "2k",
        "--queries", "depth:8,count",
        "--threads", "1,2,default",
        tmp_path=tmp_path,
    )  # fmt: skip
    rows = [q for q in data["results"][0]["queries"] if "skipped" not in q]
    assert [(q["query"], q["threads"]) for q in rows] == [
        ("depth:8", 1),
        ("depth:8", 2),
        ("depth:8", "default"),
        ("count", "default"),
    ]
    assert all(q["root_reached"] for q in rows[:3])


def test_bench_explain_many_targets_runs_end_to_end(tmp_path):
    data = _run(
        "bench_explain.py",
        "--sizes", "2k",
        "--queries", "targets:30",
        tmp_path=tmp_path,
    )  # fmt: skip
    (query,) = data["results"][0]["queries"]
    assert query["query"] == "targets:30" and query["root_reached"]
    assert query["targets"] == 30 and query["single_peak_bytes"] >= 0
    assert 0 < query["python_bytes_per_target"] <= query["python_peak_per_target"]
    assert query["python_seconds"] is not None


def test_bench_peers_runs_end_to_end(tmp_path):
    data = _run(
        "bench_peers.py",
        "--sizes", "2k",
        "--tools", "whyalive",
        "--questions", "depth:8,instances:7",
        "--budget", "60",
        tmp_path=tmp_path,
    )  # fmt: skip
    rows = data["results"][0]["rows"]
    assert [(r["question"], r["status"], r["root_reached"]) for r in rows] == [
        ("depth:8", "ok", True),
        ("instances:7", "ok", True),
    ]


def test_bench_plugin_runs_a_suite_plain_and_watched(tmp_path):
    """bench_plugin.py on a tiny project of its own: both kinds run, the
    watched run really loads the plugin (a leak would fail it), ratios
    come out."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "gizmos.py").write_text("class Gizmo:\n    pass\n")
    (project / "tests" / "test_gizmos.py").write_text(
        "import gizmos\n\n\n"
        "def test_makes_and_frees():\n"
        "    g = gizmos.Gizmo()\n"
        "    g.me = g\n"
    )
    out = tmp_path / "out.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(whyalive.__file__).resolve().parents[1])
    script = [sys.executable, str(BENCH / "bench_plugin.py")]
    args = [*script, "--source", str(project), "--tests", "tests"]
    args += ["--watch", "gizmos.Gizmo"]
    proc = subprocess.run(
        [*args, "--runs", "2", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "watched / plain: wall" in proc.stdout
    data = json.loads(out.read_text())
    assert len(data["runs"]["plain"]) == len(data["runs"]["watched"]) == 2
    assert data["ratio_wall"] > 0 and data["ratio_cpu"] > 0
    # a leaking suite stops the benchmark: the watched run loads the plugin
    (project / "tests" / "test_gizmos.py").write_text(
        "import gizmos\n\nKEEP = []\n\n\ndef test_leaks():\n"
        "    KEEP.append(gizmos.Gizmo())\n"
    )
    proc = subprocess.run(
        [*args, "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode != 0
    assert "the watched run failed" in proc.stderr
    assert "1 Gizmo alive after teardown" in proc.stderr


def test_bench_guppy_runs_and_agrees_with_guppy_when_it_is_there():
    """whyalive's retained size of the heap's biggest container is guppy3's
    domisize for it; without guppy3 the script says why and times whyalive."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(whyalive.__file__).resolve().parents[1]), str(BENCH)]
    )
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_guppy.py"), "--sizes", "2k"],
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH,
        timeout=300,
        check=True,
    ).stdout
    assert "whyalive heap_snapshot" in out
    line = next(x for x in out.splitlines() if "retained size of" in x)
    try:
        import guppy  # noqa: F401
    except ImportError:
        assert "guppy3 skipped: guppy3 is not installed" in out
    else:
        whyalive_says = line.split("whyalive ")[1].split(";")[0]
        guppy_says = line.rsplit("guppy ", 1)[1]
        assert whyalive_says == guppy_says
