"""bench_census.py still runs, and whyalive's answers in it are right.

No speed is asserted (benchmarks/README.md): a tiny heap, one run,
whyalive only (objgraph need not be installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
QUESTIONS = "typestats,count,show_growth,chain:8,fanchain:30,classattr:20"


def test_bench_census_runs_end_to_end(tmp_path):
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_census.py"),
            "--sizes", "2k",
            "--tools", "whyalive",
            "--questions", QUESTIONS,
            "--runs", "1",
            "--json", str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "| whyalive ratio |" in proc.stdout
    rows = {r["question"]: r for r in json.loads(out.read_text())["results"][0]["rows"]}
    assert rows["count"]["answer"] == "200"
    for question in ("chain:8", "fanchain:30", "classattr:20"):
        assert rows[question]["answer"].endswith("starts at the module"), rows[question]
    assert all(row["ratio"] > 0 for row in rows.values())
