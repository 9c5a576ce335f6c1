"""``whyalive snapshot`` and ``whyalive analyze``, run for real: a script
run to its end and its heap saved, then the file read back in another
process (top retainers, an id explained, two snapshots compared)."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from helpers import FREE_THREADED
from whyalive.render import json as report_json
from whyalive.render import tables

APP = """
    import sys

    class Page:
        def __init__(self, n):
            self.data = bytes(n)

    CACHE = {"pages": [Page(200_000) for _ in range(10)]}
    print("app ran", sys.argv[1:], __name__)
"""

GROW = """
    import sys, whyalive

    class Order:
        pass

    HISTORY = []
    whyalive.heap_snapshot().save("before.whyalive")
    for i in range(40):
        HISTORY.append(Order())
    whyalive.heap_snapshot().save("after.whyalive")
"""

ROW = re.compile(r"^(0x[0-9a-f]+)  (\S+ \S+)  (.+)  \((\S+), ([\d,]+) objects?\)$")


def one_line(done, status=2):
    assert done.returncode == status, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    return lines[-1]


def top_rows(stdout):
    return [m.groups() for m in map(ROW.match, stdout.splitlines()) if m]


@pytest.fixture
def saved(cli):
    cli.write("app.py", APP)
    done = cli("snapshot", "app.py", "one", "-o", "heap.whyalive", "two")
    assert done.returncode == 0, done.stderr
    return cli, done


def test_snapshot_runs_the_script_then_saves_its_heap(saved):
    cli, done = saved
    assert "app ran ['one', 'two'] __main__" in done.stdout
    assert (cli.cwd / "heap.whyalive").stat().st_size > 0
    line = one_line(done, 0)
    assert re.fullmatch(
        r"whyalive: wrote heap\.whyalive: [\d,]+ objects, \S+ \S+ alive after "
        r"app\.py \(read it with: whyalive analyze heap\.whyalive\)",
        line,
    ), line


def test_analyze_lists_the_top_retainers_with_ids(saved):
    cli, _ = saved
    done = cli("analyze", "heap.whyalive", "--top", "3")
    assert done.returncode == 0, done.stderr
    head = done.stdout.splitlines()[0]
    assert re.fullmatch(r"heap\.whyalive: [\d,]+ objects, \S+ \S+", head), head
    rows = top_rows(done.stdout)
    assert len(rows) == 3
    # the cache's list keeps 10 pages of 200 kB: the biggest retainer
    ident, size, expression, type_name, count = rows[0]
    assert expression == "__main__.CACHE['pages']"
    assert type_name == "list"
    assert size == "2.0 MB"
    assert int(count) >= 21  # the list, 10 pages and their bytes

    explained = cli("analyze", "heap.whyalive", "--explain", ident)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.splitlines() == [
        f"list at {ident}  [2.0 MB]",
        "└── ['pages'] in dict  [2.0 MB]",
        "    └── __main__.CACHE  (root: module global)",
    ]
    # decimal ids too
    decimal = cli("analyze", "heap.whyalive", "--explain", str(int(ident, 16)))
    assert decimal.stdout == explained.stdout


def test_analyze_explains_in_every_format(saved):
    cli, _ = saved
    ident = top_rows(cli("analyze", "heap.whyalive", "--top", "1").stdout)[0][0]
    done = cli("analyze", "heap.whyalive", "--explain", ident, "-f", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, report_json.schema())
    (target,) = document["targets"]
    assert target["id"] == int(ident, 16)
    assert target["paths"][0]["root"]["name"] == "__main__.CACHE"

    page = cli("analyze", "heap.whyalive", "--explain", ident, "-o", "why.html")
    assert page.returncode == 0, page.stderr
    html = (cli.cwd / "why.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert f"object {ident} in heap.whyalive" in html
    assert "wa-root-module" in html
    assert "2.0 MB" in html

    dot = cli("analyze", "heap.whyalive", "--explain", ident, "-f", "dot")
    assert dot.returncode == 0, dot.stderr
    assert dot.stdout.startswith("digraph")


def test_analyze_top_as_json_follows_the_tables_schema(saved):
    cli, _ = saved
    done = cli("analyze", "heap.whyalive", "-f", "json", "--top", "2")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, tables.schema())
    assert document["kind"] == "top_retainers"
    assert document["source"] == "heap.whyalive"
    first = document["rows"][0]
    assert first["expression"] == "__main__.CACHE['pages']"
    assert first["retained_size"] >= 10 * 200_000
    assert len(document["rows"]) == 2


def test_snapshot_in_chrome_devtools_format(cli):
    cli.write("app.py", APP)
    done = cli("snapshot", "--format", "heapsnapshot", "app.py")
    assert done.returncode == 0, done.stderr
    document = json.loads((cli.cwd / "app.heapsnapshot").read_text())
    meta = document["snapshot"]["meta"]
    assert "self_size" in meta["node_fields"]
    assert "analyze" not in done.stderr  # analyze reads whyalive's format only
    # by -o's extension too; analyze says what the file is
    cli("snapshot", "app.py", "-o", "heap.heapsnapshot")
    line = one_line(cli("analyze", "heap.heapsnapshot"))
    assert line.startswith(
        "whyalive analyze: error: heap.heapsnapshot: not a whyalive heap snapshot"
    )
    assert "Chrome DevTools heap snapshot" in line


def test_snapshot_keeps_the_scripts_exit_status_and_runs_modules(cli):
    cli.write("fail.py", "import sys\nKEPT = [1]\nsys.exit(3)\n")
    done = cli("snapshot", "fail.py")
    assert done.returncode == 3
    assert (cli.cwd / "fail.whyalive").exists()
    cli.write("pkg/__init__.py", "")
    cli.write("pkg/__main__.py", "print('pkg main', __name__)\n")
    done = cli("snapshot", "-m", "pkg", "-o", "m.whyalive")
    assert done.returncode == 0, done.stderr
    assert "pkg main __main__" in done.stdout
    assert (cli.cwd / "m.whyalive").exists()


def test_diff_of_two_snapshots_of_one_process(cli):
    cli.write("grow.py", GROW)
    assert cli("run", "grow.py", "--growth").returncode == 0
    done = cli("analyze", "after.whyalive", "--diff", "before.whyalive")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"after\.whyalive since before\.whyalive: [\d,]+ new objects; \d+ types "
        r"changed, the \d+ that grew most:",
        lines[0],
    ), lines[0]
    order = next(line for line in lines if line.startswith("__main__.Order "))
    assert re.fullmatch(
        r"__main__\.Order +\+40 objects +\+\S+ \S+  \(now 40 objects, .+\)", order
    ), order
    assert lines[-1] == (
        "(--type TYPE explains why the new objects of a type are alive)"
    )

    why = cli(
        "analyze", "after.whyalive", "--diff", "before.whyalive",
        "--type", "Order", "--limit", "2",
    )  # fmt: skip
    assert why.returncode == 0, why.stderr
    assert (
        "why the first 2 new Order objects are alive (--limit N explains more):"
        in why.stdout
    )
    assert why.stdout.count("(root: module global)") == 2
    # the first new ones: the oldest on a GIL build (the collector's lists
    # keep allocation order); 3.13t lists its heaps in their own order
    assert re.search(
        r"└── \[\d+\] in list" if FREE_THREADED else r"└── \[0\] in list", why.stdout
    )
    assert "    └── __main__.HISTORY  (root: module global)" in why.stdout

    as_json = cli(
        "analyze", "after.whyalive", "--diff", "before.whyalive",
        "--type", "__main__.Order", "-f", "json", "--top", "50",
    )  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    jsonschema.validate(document, tables.schema())
    jsonschema.validate(document["report"], report_json.schema())
    # not necessarily the first row: a dict CPython holds (one it resizes
    # as modules or strings come) may have grown more in bytes
    (order,) = [row for row in document["types"] if row["type"] == "__main__.Order"]
    assert order == {
        "type": "__main__.Order",
        "count_delta": 40,
        "size_delta": order["size"],
        "count": 40,
        "size": order["size"],
    }
    assert len(document["report"]["targets"]) == 20  # --limit's default

    page = cli(
        "analyze", "after.whyalive", "--diff", "before.whyalive",
        "--type", "Order", "-o", "new.html",
    )  # fmt: skip
    assert page.returncode == 0, page.stderr
    assert "__main__.HISTORY" in (cli.cwd / "new.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.whyalive"], "nope.whyalive: cannot read it: No such file"),
        (["."], ".: is a directory, not a snapshot file"),
        (["app.py"], "app.py: not a whyalive heap snapshot (starts with b'\\n"),
        (["cut.whyalive"], "cut.whyalive: truncated: section 'META' at byte 16"),
        (["heap.whyalive", "--explain", "zz"], "--explain: 'zz' is not an object id"),
        (["heap.whyalive", "--explain", "0x1"], "--explain: no object with id 0x1 in"),
        (["heap.whyalive", "--top", "0"], "--top: must be >= 1, got 0"),
        (["heap.whyalive", "--limit", "0"], "--limit: must be >= 1, got 0"),
        (["heap.whyalive", "--max-paths", "0"], "--max-paths: must be >= 1, got 0"),
        (["heap.whyalive", "-f", "html"], "--format html: the tables are text or json"),
        (["heap.whyalive", "-o", "t.html"], "-o t.html: the tables are text or json"),
        (["heap.whyalive", "-f", "yaml"], "--format: unknown format 'yaml'"),
        (["heap.whyalive", "--type", "dict"], "--type: only with --diff EARLIER"),
        (
            ["heap.whyalive", "--diff", "heap.whyalive", "--type", "Nope"],
            "--type: no object of a type named 'Nope' in heap.whyalive",
        ),
        (["heap.whyalive", "--explain", "1", "--top", "2"], "--top: not with"),
        (["heap.whyalive", "-o", "no/such/dir/x.txt"], "-o: no directory"),
        (
            ["heap.whyalive", "--explain", "1", "--diff", "x"],
            "argument --diff: not allowed with argument --explain",
        ),
        (["heap.whyalive", "--top", "x"], "argument --top: invalid int value: 'x'"),
    ],
)
def test_analyze_bad_input_one_line_exit_2(saved, args, message):
    cli, _ = saved
    blob = (cli.cwd / "heap.whyalive").read_bytes()
    (cli.cwd / "cut.whyalive").write_bytes(blob[:1000])
    line = one_line(cli("analyze", *args))
    assert line.startswith("whyalive analyze: error: "), line
    assert message in line, line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a SCRIPT to run, or -m MODULE"),
        (["nope.py"], "can't open file 'nope.py': no such file"),
        (["app.py", "-f", "json"], "--format: unknown snapshot format 'json'"),
        (["-o", "no/such/dir/x", "app.py"], "-o: no directory"),
        (["-m", "no_such_module_here"], "-m: no module named 'no_such_module_here'"),
    ],
)
def test_snapshot_bad_input_one_line_exit_2(cli, args, message):
    cli.write("app.py", APP)
    line = one_line(cli("snapshot", *args))
    assert line.startswith("whyalive snapshot: error: "), line
    assert message in line, line
    assert not list(cli.cwd.glob("*.whyalive"))
