"""Stress (issue 9), each scenario in a fresh interpreter so that a crash
fails the test: every public function (tests/hostile/public_calls.py)
while threads mutate the heap; interrupts (a signal handler raising) at
random points of walks on a large heap, after which the heap is sound;
300 repeated calls without growth in objects or memory; the same in a
subinterpreter sharing the main GIL (3.12+)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import run_python

HERE = str(Path(__file__).resolve().parent)

PRELUDE = f"""
import gc, random, sys, threading
sys.path.insert(0, {HERE!r})
import public_calls as pc
import whyalive
"""

MUTATORS = """
stop = threading.Event()

def mutate(seed):
    rnd = random.Random(seed)
    keep = []
    while not stop.is_set():
        r = rnd.random()
        if r < 0.25:
            keep.append([object() for _ in range(20)])
        elif r < 0.4:
            keep.append({i: (i, str(i)) for i in range(20)})
        elif r < 0.5:
            keep.append(type("Made", (), {"x": 1})())
        elif r < 0.6:
            keep.append(tuple(x for x in range(50)))  # built by C, resized
        elif r < 0.7:
            keep.append(pc.Gizmo())
        elif r < 0.75:
            gc.collect(0)
        elif keep:
            keep.pop(rnd.randrange(len(keep)))
        if len(keep) > 300:
            keep.clear()

threads = [threading.Thread(target=mutate, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
"""

THREADS = (
    PRELUDE
    + """
sys.setswitchinterval(1e-5)
world = pc.World()
"""
    + MUTATORS
    + """
try:
    for _ in range(ROUNDS):
        for name, call in pc.calls(world).items():
            try:
                call()
            except Exception as exc:
                raise AssertionError(f"{name}: {exc!r}") from exc
finally:
    stop.set()
    for t in threads:
        t.join()
gc.collect()
report = whyalive.explain(world.target)
assert 3 in [p.length for p in report.targets[0].paths], report
print("ok", len(pc.calls(world)))
"""
)


def _assert_ran(proc, expected: str) -> str:
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(expected), proc.stdout
    return last


def test_every_public_function_while_threads_mutate_the_heap():
    proc = run_python(THREADS.replace("ROUNDS", "3"), timeout=600)
    _assert_ran(proc, "ok")


INTERRUPTS = (
    PRELUDE
    + """
import signal

big = [[{} for _ in range(10)] for _ in range(20_000)]  # ~220k objects
world = pc.World()
calls = pc.calls(world)
names = ["explain", "explain_instances", "find_backref_chain", "Snapshot",
         "get_leaking_objects", "typestats", "show_backrefs", "assert_no_instances",
         "objgraph.find_backref_chain", "at_addrs", "growth"]

class Interrupt(Exception):
    pass

armed = False

def handler(signum, frame):
    if armed:
        raise Interrupt

signal.signal(signal.SIGALRM, handler)
rnd = random.Random(SEED)
hits = 0
for i in range(40):
    name = rnd.choice(names)
    try:
        armed = True
        signal.setitimer(signal.ITIMER_REAL, rnd.uniform(0.0002, 0.08))
        calls[name]()
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
    except Interrupt:
        hits += 1
    armed = False
    signal.setitimer(signal.ITIMER_REAL, 0)
    assert gc.isenabled(), f"the collector left off by {name}"
assert hits, "no interrupt landed inside a call"
# the heap is sound: collections work, the answers are right
gc.collect()
gc.collect()


def check(world):
    target = world.target
    report = whyalive.explain(target)
    shape = [
        (p.length, p.root.kind, [e.label for e in p.edges])
        for p in report.targets[0].paths
    ]
    assert (3, "module", ["[0]", "['g']"]) in shape, report
    holders = gc.get_referrers(target)
    assert any(h is world.module.REGISTRY["g"] for h in holders)
    chain = whyalive.find_backref_chain(target, whyalive.is_proper_module)
    assert chain[0] is world.module and chain[-1] is target, chain
    assert whyalive.count("Gizmo") >= 2


check(world)
print("interrupted", hits)
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="signal.setitimer is POSIX")
@pytest.mark.parametrize("seed", [1, 2])
def test_interrupts_at_random_points_of_walks_leave_a_sound_heap(seed):
    proc = run_python(INTERRUPTS.replace("SEED", str(seed)), timeout=600)
    _assert_ran(proc, "interrupted")


REPEATED = (
    PRELUDE
    + """
def rss_kib():
    try:
        with open("/proc/self/statm") as f:
            import os
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0

world = pc.World()
calls = pc.calls(world)
skip = {"gc_collect_once", "collect_young_first"}
def once():
    for name, call in calls.items():
        if name not in skip:
            call()

def measure():
    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks(), rss_kib()

for _ in range(100):  # caches fill (names, stack depths, censuses)
    once()
before = measure()
for _ in range(300):
    once()
after = measure()
objects, blocks, rss = (a - b for a, b in zip(after, before))
print("growth", objects, blocks, rss, flush=True)
assert objects <= 0 + SLACK, (before, after)
assert blocks <= 1000, (before, after)  # caches; a leak per call is 8,000+
# under AddressSanitizer (.ci/run's sanitizer block) freed memory waits in
# its quarantine, so RSS says nothing there; every other run checks it
import os
if "libasan" not in os.environ.get("LD_PRELOAD", ""):
    assert rss <= 4096, (before, after)
print("no growth", objects, blocks, rss)
"""
)


def test_300_repeated_calls_grow_neither_objects_nor_memory():
    proc = run_python(REPEATED.replace("SLACK", "0"), timeout=600)
    _assert_ran(proc, "no growth")


SUBINTERPRETER = """
import os, sys
try:
    import _interpreters as interpreters
except ImportError:
    import _xxsubinterpreters as interpreters
import whyalive
path = os.path.dirname(os.path.dirname(whyalive.__file__))
code = f"import sys; sys.path.insert(0, {path!r})\\n" + CODE
if sys.version_info >= (3, 13):
    shared = interpreters.create("legacy")
    failed = interpreters.exec(shared, code)
    assert failed is None, failed
else:
    shared = interpreters.create(isolated=False)
    interpreters.run_string(shared, code)
print("done", flush=True)
"""


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="interpreters sharing the main GIL: 3.12+"
)
@pytest.mark.parametrize("scenario", ["threads", "repeated"])
def test_in_a_subinterpreter_sharing_the_main_gil(scenario):
    code = {
        "threads": THREADS.replace("ROUNDS", "1"),
        # the same checks; the subinterpreter's own modules are young
        "repeated": REPEATED.replace("SLACK", "0"),
    }[scenario]
    proc = run_python(SUBINTERPRETER.replace("CODE", repr(code)), timeout=600)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert lines[-1] == "done" and lines[-2].startswith(("ok", "no growth")), (
        proc.stdout,
        proc.stderr,
    )
