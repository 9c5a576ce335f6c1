"""``whyalive attach PID``: a real child process asked through
``sys.remote_exec`` on CPython 3.14+, where the OS lets this user attach;
the refusals (older Pythons, the OS, the process) as one line each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import whyalive

PACKAGE_PARENT = str(Path(whyalive.__file__).resolve().parents[1])

NEW_ENOUGH = sys.version_info >= (3, 14) and hasattr(sys, "remote_exec")
needs_314 = pytest.mark.skipif(not NEW_ENOUGH, reason="sys.remote_exec is 3.14+")

HOLDER = """
    import sys, time

    class Session:
        pass

    SESSIONS = {"s1": Session(), "s2": Session()}

    def serve_forever():
        kept = Session()
        print("ready", flush=True)
        while True:
            time.sleep(0.02)

    serve_forever()
"""


def start(tmp_path, source=HOLDER, env=None, python=sys.executable):
    """A child Python running ``source`` (without whyalive on its path:
    attach brings it), once it says it is ready."""
    script = tmp_path / "holder.py"
    script.write_text(textwrap.dedent(source))
    child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child_env.update(env or {})
    child = subprocess.Popen(
        [python, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env,
        cwd=tmp_path,
    )
    assert child.stdout.readline().strip() == "ready"
    return child


@pytest.fixture
def holder(tmp_path):
    child = start(tmp_path)
    yield child
    child.kill()
    child.wait()


def os_permits_attaching(pid: int, tmp_path) -> bool:
    """Whether this user may sys.remote_exec into ``pid`` (a probe that
    does nothing there)."""
    probe = tmp_path / "probe.py"
    probe.write_text("pass\n")
    try:
        sys.remote_exec(pid, str(probe))
    except PermissionError:
        return False
    return True


def one_line(done, status=2):
    assert done.returncode == status, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.skipif(NEW_ENOUGH, reason="the refusal of Pythons before 3.14")
def test_before_314_a_clear_refusal(cli):
    line = one_line(cli("attach", str(os.getppid())))
    assert "attaching to a process needs CPython 3.14 or later" in line
    assert f"this is CPython {sys.version.split()[0]}" in line


@needs_314
def test_census_and_explain_in_a_running_process(cli, holder, tmp_path):
    pid = str(holder.pid)
    if not os_permits_attaching(holder.pid, tmp_path):
        line = one_line(cli("attach", pid))
        assert f"the OS forbids attaching to process {pid}" in line
        return
    census = cli("attach", pid, "--limit", "100000")
    assert census.returncode == 0, census.stderr
    assert f"most common types in process {pid} (CPython 3." in census.stdout
    (row,) = [
        r for r in census.stdout.splitlines() if r.split()[0] == "__main__.Session"
    ]
    assert row.split()[1] == "3"

    done = cli("attach", pid, "--watch", "Session")
    assert done.returncode == 1, done.stderr
    assert f"3 instances of Session alive in process {pid}" in done.stdout
    assert "└── __main__.SESSIONS  (root: module global)" in done.stdout
    assert "<local 'kept'> of serve_forever at " in done.stdout
    assert "(root: running frame)" in done.stdout
    # the process answered and runs on, unchanged
    assert holder.poll() is None

    again = cli("attach", pid, "-w", "__main__.Session", "-o", "out.json")
    assert again.returncode == 1, again.stderr
    document = json.loads((cli.cwd / "out.json").read_text())
    assert document["schema"] == "whyalive.report/1"
    assert len(document["targets"]) == 3

    line = one_line(cli("attach", pid, "--watch", "Sesion"))
    assert f"process {pid}: --watch: no class named Sesion exists there" in line


GROWER = """
    import os, time

    class Order:
        def __init__(self):
            self.receipt = bytes(20_000)

    HISTORY = []

    print("ready", flush=True)
    while True:  # one more batch of orders each time the file "go" appears
        if os.path.exists("go"):
            HISTORY.extend(Order() for _ in range(25))
            os.remove("go")
            print("grew", flush=True)
        time.sleep(0.02)
"""


@needs_314
def test_census_as_json_follows_the_tables_schema(cli, holder, tmp_path):
    import jsonschema

    from whyalive.render import tables

    pid = str(holder.pid)
    if not os_permits_attaching(holder.pid, tmp_path):
        pytest.skip("the OS forbids attaching here (its message is tested)")
    done = cli("attach", pid, "--format", "json", "--limit", "100000")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, tables.schema())
    assert document["kind"] == "census"
    assert document["pid"] == holder.pid
    assert document["python"].startswith("CPython 3.")
    counts = {row["type"]: row["count"] for row in document["rows"]}
    assert counts["__main__.Session"] == 3
    # -o FILE.json picks json too
    again = cli("attach", pid, "-o", "census.json")
    assert again.returncode == 0, again.stderr
    written = json.loads((cli.cwd / "census.json").read_text())
    jsonschema.validate(written, tables.schema())


@needs_314
def test_dump_a_running_process_then_analyze_and_diff(cli, tmp_path):
    script = tmp_path / "grower.py"
    script.write_text(textwrap.dedent(GROWER))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        if not os_permits_attaching(child.pid, tmp_path):
            pytest.skip("the OS forbids attaching here (its message is tested)")
        pid = str(child.pid)

        def grow():
            (tmp_path / "go").write_text("")
            assert child.stdout.readline().strip() == "grew"

        grow()
        first = cli("attach", pid, "--dump", "before.whyalive")
        assert first.returncode == 0, first.stderr
        assert first.stdout == ""
        assert re.fullmatch(
            rf"whyalive: wrote before\.whyalive: [\d,]+ objects, \S+ \S+ alive in "
            rf"process {pid} \(CPython 3\.\S+\) \(read it with: whyalive analyze "
            r"before\.whyalive\)",
            first.stderr.strip(),
        ), first.stderr
        grow()
        grow()
        assert cli("attach", pid, "--dump", "after.whyalive").returncode == 0
        assert child.poll() is None  # it answered and runs on

        top = cli("analyze", "after.whyalive", "--top", "1")
        assert top.returncode == 0, top.stderr
        # 75 orders of 20 kB receipts
        assert re.search(
            r"^0x[0-9a-f]+  1\.5 MB  __main__\.HISTORY  \(list, 151 objects\)$",
            top.stdout,
            re.M,
        ), top.stdout

        diff = cli(
            "analyze", "after.whyalive", "--diff", "before.whyalive",
            "--type", "Order", "--limit", "100",
        )  # fmt: skip
        assert diff.returncode == 0, diff.stderr
        lines = diff.stdout.splitlines()
        order = next(line for line in lines if line.startswith("__main__.Order"))
        assert "+50 objects" in order
        assert "why 50 new Order objects are alive:" in diff.stdout
        assert "50 __main__.Order objects held the same way" in diff.stdout
        assert "└── [i] in list  [1.5 MB]" in diff.stdout
        assert "    └── __main__.HISTORY  (root: module global)" in diff.stdout

        chrome = cli("attach", pid, "--dump", "heap.heapsnapshot")
        assert chrome.returncode == 0, chrome.stderr
        document = json.loads((cli.cwd / "heap.heapsnapshot").read_text())
        assert "node_fields" in document["snapshot"]["meta"]
    finally:
        child.kill()
        child.wait()


@needs_314
def test_nothing_alive_exits_0(cli, tmp_path):
    source = HOLDER.replace('{"s1": Session(), "s2": Session()}', "{}")
    child = start(tmp_path, source.replace("kept = Session()", "kept = None"))
    try:
        if not os_permits_attaching(child.pid, tmp_path):
            pytest.skip("the OS forbids attaching here (its message is tested)")
        done = cli("attach", str(child.pid), "--watch", "Session")
        assert done.returncode == 0, done.stderr
        assert f"no instance of Session is alive in process {child.pid}" in (
            done.stdout
        )
    finally:
        child.kill()
        child.wait()


@needs_314
def test_a_process_with_remote_debugging_off(cli, tmp_path):
    child = start(tmp_path, env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"})
    try:
        line = one_line(cli("attach", str(child.pid)))
        assert "remote debugging turned off" in line or "the OS forbids" in line
    finally:
        child.kill()
        child.wait()


@needs_314
def test_a_process_that_is_not_python(cli):
    child = subprocess.Popen(["sleep", "60"])
    try:
        line = one_line(cli("attach", str(child.pid)))
        assert f"process {child.pid}" in line
        assert "cannot attach" in line or "the OS forbids" in line
    finally:
        child.kill()
        child.wait()


def others_can_reach(path: str) -> bool:
    """Whether another user may enter every folder down to ``path`` (and
    to what its links point at): ``nobody`` must run this Python."""
    for p in {Path(path).absolute(), Path(path).resolve()}:
        for folder in p.parents:
            if not folder.stat().st_mode & 0o001:
                return False
    return True


@needs_314
@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to drop to"
)
@pytest.mark.skipif(
    not (others_can_reach(sys.executable) and others_can_reach(PACKAGE_PARENT)),
    reason="user nobody cannot reach this Python or whyalive (a private folder)",
)
def test_the_os_forbids_another_users_process(cli, holder, tmp_path):
    """Run as nobody, attaching to root's process: the OS refuses."""
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
    done = subprocess.run(
        [sys.executable, "-m", "whyalive", "attach", str(holder.pid)],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        user=65534,
        timeout=120,
        check=False,
    )
    line = one_line(done)
    assert f"the OS forbids attaching to process {holder.pid}" in line
    assert "ptrace_scope" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["abc"], "PID: 'abc' is not a process id"),
        (["0"], "PID: 0 is not a process id"),
        (["4194303"], "PID: no process 4194303"),
        (["1", "--limit", "0"], "--limit: must be >= 1"),
        (["1", "--format", "html"], "--format html: the census is text or json"),
        (["1", "-o", "census.html"], "-o: the census is text or json, not html"),
        (["1", "--dump", "h.whyalive", "-w", "A"], "--dump: not with --watch"),
        (["1", "--dump", "h.whyalive", "-o", "x"], "-o: not with --dump FILE"),
        (["1", "--dump", "h.whyalive", "-f", "json"], "unknown snapshot format 'json'"),
        (["1", "--dump", "no/such/dir/h.whyalive"], "--dump: no directory"),
        (["1", "-w", "A", "--format", "yaml"], "unknown format 'yaml'"),
        (["1", "--wait", "0"], "--wait: must be > 0"),
    ],
)
def test_bad_input(cli, args, message):
    line = one_line(cli("attach", *args))
    assert message in line
