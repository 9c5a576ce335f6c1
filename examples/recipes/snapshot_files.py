"""Heap snapshots from the command line: run a script and save its heap,
read the file back (top retainers, one object explained), and compare two
snapshots of one process.  Each command runs for real, in a scratch
folder; the ids change from run to run."""

import os
import shutil
import subprocess
import sys
import tempfile

import whyalive as package

APP = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "thumbnail_cache.py"
)
#: the child processes import the whyalive this script imports
ENV = dict(
    os.environ,
    PYTHONPATH=os.pathsep.join(
        filter(
            None,
            [
                os.path.dirname(os.path.dirname(package.__file__)),
                os.environ.get("PYTHONPATH"),
            ],
        )
    ),
)


def whyalive(*args: str) -> str:
    """Runs ``whyalive ARGS`` (as ``python -m whyalive``), shows it and
    what it printed, and returns its output."""
    done = subprocess.run(
        [sys.executable, "-m", "whyalive", *args],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    print(f"$ whyalive {' '.join(args)}")
    print((done.stdout + done.stderr).rstrip())
    if done.returncode:
        print(f"(exit status {done.returncode})")
    print()
    return done.stdout


home = os.getcwd()
folder = tempfile.mkdtemp()
os.chdir(folder)
shutil.copy(APP, "thumbnail_cache.py")
try:
    whyalive("snapshot", "thumbnail_cache.py", "-o", "heap.whyalive")
    top = whyalive("analyze", "heap.whyalive", "--top", "3")
    biggest = top.splitlines()[2].split()[0]
    whyalive("analyze", "heap.whyalive", "--explain", biggest)

    subprocess.run(
        [sys.executable, "thumbnail_cache.py", "--checkpoints"],
        check=True,
        env=ENV,
        stdout=subprocess.DEVNULL,
    )
    whyalive(
        "analyze", "after.whyalive", "--diff", "before.whyalive",
        "--top", "5", "--type", "Thumbnail", "--limit", "5",
    )  # fmt: skip
    whyalive("analyze", "thumbnail_cache.py")
finally:
    os.chdir(home)
    shutil.rmtree(folder)
