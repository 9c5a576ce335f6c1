"""Objects a traverse function visits after they were freed.

CPython 3.12's _asyncio module visits its FutureIter free list: objects
with a count of 0.  Handing one out (a referent walk's answer, an
objgraph predicate's argument) and dropping it freed it twice, and the
next gc.collect() looped forever over a self-linked free list.  Run in a
child process so that a regression fails instead of hanging the suite.
"""

import subprocess
import sys

SCRIPT = r"""
import asyncio, gc, sys
from whyalive.compat import objgraph
loop = asyncio.new_event_loop()
for _ in range(5):
    future = loop.create_future()
    iters = [iter(future.__await__()) for _ in range(3)]
    del iters  # into the free list, on CPythons that keep one
    future.cancel()
loop.close()
live = sum(type(o).__name__ == "FutureIter" for o in gc.get_objects())
met = []
def predicate(obj):
    if type(obj).__name__ == "FutureIter":
        met.append(1)
    return False
objgraph.find_ref_chain(sys.modules["_asyncio"], predicate, max_depth=3)
gc.collect()
gc.collect()
print("live", live, "met", len(met))
"""


def test_freed_free_list_objects_are_never_handed_out():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["live", "0", "met", "0"], done.stdout
