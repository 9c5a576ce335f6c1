"""``whyalive run``: a script run as python runs it, then its survivors."""

from __future__ import annotations

import json
import textwrap

import pytest

LEAKY = """
    import sys

    class Session:
        pass

    SESSIONS = {"s1": Session()}

    def handle():
        kept = [Session()]
        return kept

    LEFT = handle()
    print("argv", sys.argv[1:], "path0", sys.path[0], "name", __name__)
"""


def test_run_explains_every_survivor_and_exits_1(cli):
    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--watch", "Session")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "2 instances of Session alive after app.py:" in out
    assert "['s1'] in dict" in out
    assert "__main__.SESSIONS  (root: module global)" in out
    assert "__main__.LEFT  (root: module global)" in out
    assert done.stderr == ""


def test_the_script_runs_as_python_runs_it(cli):
    cli.write("sub/app.py", LEAKY)
    done = cli("run", "sub/app.py", "x", "-v", "--watch", "Session", "--", "-o", "y")
    assert f"argv ['x', '-v', '-o', 'y'] path0 {cli.cwd / 'sub'} name __main__" in (
        done.stdout
    )


def test_options_before_the_script(cli):
    cli.write("app.py", LEAKY)
    done = cli("run", "-w", "__main__.Session", "app.py")
    assert done.returncode == 1
    assert "2 instances of __main__.Session alive" in done.stdout


def test_nothing_alive_exits_0(cli):
    cli.write("clean.py", "class Session: pass\ns = Session()\ndel s\n")
    done = cli("run", "clean.py", "--watch", "Session")
    assert done.returncode == 0, done.stderr
    assert "no instance of Session is alive after clean.py" in done.stdout


@pytest.mark.parametrize(
    ("tail", "status"),
    [("raise SystemExit(3)", 3), ("raise ValueError('boom')", 1), ("pass", 1)],
)
def test_the_scripts_failure_status_wins(cli, tail, status):
    cli.write("app.py", textwrap.dedent(LEAKY) + tail + "\n")
    done = cli("run", "app.py", "--watch", "Session")
    assert done.returncode == status
    assert "2 instances of Session alive" in done.stdout
    if "ValueError" in tail:
        assert "ValueError: boom" in done.stderr
        assert "whyalive" not in done.stderr  # python's traceback, not ours


def test_a_failed_scripts_traceback_does_not_hold_its_objects(cli):
    cli.write(
        "app.py",
        """
        class Session: pass
        def work():
            s = Session()
            raise RuntimeError("failed while holding s")
        work()
        """,
    )
    done = cli("run", "app.py", "--watch", "Session")
    assert done.returncode == 1
    assert "no instance of Session is alive" in done.stdout


def test_run_a_module_with_dash_m(cli):
    cli.write("pkg/__init__.py", "")
    cli.write("pkg/__main__.py", LEAKY)
    done = cli("run", "-m", "pkg", "--flag", "--watch", "Session")
    assert done.returncode == 1, done.stderr
    assert f"argv ['--flag'] path0 {cli.cwd} name __main__" in done.stdout
    assert "__main__.SESSIONS  (root: module global)" in done.stdout


def test_growth(cli):
    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--growth")
    assert done.returncode == 0
    assert "growth while app.py ran" in done.stdout
    (row,) = [line for line in done.stdout.splitlines() if "__main__.Session" in line]
    assert row.split()[1:] == ["0", "2", "+2"]


def test_json_to_a_file(cli):
    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--watch", "Session", "-o", "out.json")
    assert done.returncode == 1
    assert "2 instances of Session alive" in done.stderr
    document = json.loads((cli.cwd / "out.json").read_text())
    assert len(document["targets"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py", "--watch", "Session"], "can't open file 'missing.py'"),
        (["app.py", "--watch", "Sesion"], "--watch: no class named Sesion"),
        (["app.py", "--watch", "Session", "--format", "yaml"], "unknown format 'yaml'"),
        (["app.py", "--watch", "no good"], "'no good' is not a class name"),
        (["app.py"], "nothing to do"),
        (["-m", "no_such_module_here", "--watch", "A"], "no module named"),
        (["app.py", "--watch", "A", "-o", "nowhere/x.txt"], "-o: no directory"),
        (["--bogus", "app.py"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_status_2(cli, args, message):
    cli.write("app.py", LEAKY)
    done = cli("run", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert message in lines[-1]
    assert "Traceback" not in done.stderr
    if "--bogus" not in args:
        assert len(lines) == 1


def test_no_command_and_help(cli):
    done = cli()
    assert done.returncode == 2
    assert "give a command" in done.stderr
    helped = cli("run", "--help")
    assert helped.returncode == 0
    assert "--watch" in helped.stdout


def test_html_page_to_a_file(cli):
    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--watch", "Session", "-o", "out.html")
    assert done.returncode == 1, done.stderr
    page = (cli.cwd / "out.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>whyalive: what app.py left alive</title>" in page
    assert page.count('<details class="wa-target" open>') == 2
    assert '<span class="wa-root wa-root-module">__main__.SESSIONS' in page


@pytest.mark.parametrize("fmt", ["dot", "json", "html"])
def test_formats_on_stdout_keep_the_summary_on_stderr(cli, fmt):
    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--watch", "Session", "--format", fmt)
    assert done.returncode == 1, done.stderr
    assert "2 instances of Session alive" in done.stderr
    start = {"dot": "digraph ObjectGraph {", "json": "{", "html": "<!DOCTYPE html>"}
    # the script's own print comes first, then the report alone
    report = done.stdout.split("\n", 1)[1]
    assert report.startswith(start[fmt])
    if fmt == "json":
        assert len(json.loads(report)["targets"]) == 2


def test_svg_through_graphviz(cli):
    import shutil

    cli.write("app.py", LEAKY)
    done = cli("run", "app.py", "--watch", "Session", "-o", "out.svg")
    if shutil.which("dot") is None:
        assert done.returncode == 2
        assert "Graphviz's 'dot' program is not on PATH" in done.stderr
        return
    assert done.returncode == 1, done.stderr
    assert "<svg" in (cli.cwd / "out.svg").read_text()
