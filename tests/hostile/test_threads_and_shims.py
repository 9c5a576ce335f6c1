"""Threads and interpreter shims (issue 9): a walk while another thread
runs Python code must neither crash nor hand out what the interpreter
owns statically.  Each scenario runs in a fresh interpreter, so that a
crash fails the test instead of ending the run."""

from __future__ import annotations

from helpers import run_python


def _assert_ran(proc, expected: str) -> None:
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    assert proc.stdout.strip().endswith(expected), proc.stdout


def test_explain_while_another_thread_constructs_objects():
    # 3.13: a call site specialised to CALL_ALLOC_AND_ENTER_INIT leaves a
    # shim frame whose code object is static and read-only; a weak
    # reference to it (the stack-depth cache) was a SIGSEGV.
    proc = run_python(
        """
        import threading, whyalive

        class Thing:
            def __init__(self, i):
                self.i = i

        stop = False
        def work():
            i = 0
            while not stop:
                Thing(i)
                i += 1

        worker = threading.Thread(target=work)
        worker.start()
        kept = Thing(-1)
        try:
            for _ in range(60):
                report = whyalive.explain(kept)
                assert report.targets[0].status == "rooted", report
            whyalive.explain_instances(Thing)
        finally:
            stop = True
            worker.join()
        print("done")
        """
    )
    _assert_ran(proc, "done")


def test_explain_inside_init_reached_by_a_specialised_call_site():
    proc = run_python(
        """
        import whyalive

        seen = []

        class Thing:
            def __init__(self, probe):
                if probe:
                    report = whyalive.explain(self)
                    seen.append(str(report))

        for i in range(400):  # enough calls for the site to specialise
            Thing(i >= 390)
        assert len(seen) == 10
        assert all("<local 'self'>" in text for text in seen), seen[-1]
        print("done")
        """
    )
    _assert_ran(proc, "done")
