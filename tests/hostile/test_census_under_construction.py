"""Census functions never hand out a tuple another thread is still
building (issue 9): ``tuple(generator)`` fills a new tuple that only C
code holds, and resizes it when full; a second reference makes that
resize fail with SystemError in the building thread."""

from __future__ import annotations

import gc
import threading

import pytest

import whyalive


def _building(count: int, census):
    """Runs census() while another thread's tuple(gen) has taken count
    items (after 10, CPython's first guess at the length, it is full and
    about to be resized); the thread's result or exception, and whether
    census() handed out the tuple."""
    reached, go_on = threading.Event(), threading.Event()
    outcome = {}
    mark = object()  # the first item of the tuple under construction

    def items():
        yield mark
        for i in range(1, 40):
            if i == count:
                reached.set()
                go_on.wait(30)
            yield i

    def build():
        try:
            outcome["value"] = tuple(items())
        except BaseException as exc:  # reported to the test
            outcome["error"] = exc

    thread = threading.Thread(target=build)
    thread.start()
    try:
        assert reached.wait(30)
        found = census()
        handed_out = any(
            type(obj) is tuple and len(obj) > 0 and obj[0] is mark for obj in found
        )
        del found
    finally:
        go_on.set()
        thread.join(30)
    assert outcome.get("value") == (mark, *range(1, 40)), outcome
    return handed_out


def _tuple_ids():
    # ids only: no reference outlives the comprehension's own, dropped at once
    return {id(o) for o in gc.get_objects() if type(o) is tuple}


CENSUS = {
    "get_leaking_objects": lambda: whyalive.get_leaking_objects(collect=False),
    "by_type": lambda: whyalive.by_type("tuple"),
    "typestats_filter": lambda: _filtered(),
    "at_addrs": lambda: whyalive.at_addrs(_tuple_ids()),
}


def _filtered():
    seen = []
    whyalive.typestats(filter=lambda obj: seen.append(obj) or True)
    return seen


@pytest.mark.parametrize("count", [3, 10], ids=["items_unset", "full_before_resize"])
@pytest.mark.parametrize("name", sorted(CENSUS))
def test_census_never_hands_out_a_tuple_another_thread_is_building(name, count):
    handed_out = _building(count, CENSUS[name])
    assert not handed_out, f"{name} handed out the tuple under construction"


def test_tuples_a_frame_or_a_container_holds_are_still_found():
    mark = []  # tracked, so that 3.14+ tracks the tuples holding it
    local_only = tuple([mark, "held by this frame"])  # refcount 1: the frame's
    in_list = [tuple([mark, "held by a list"])]
    found = [t for t in whyalive.by_type("tuple") if len(t) == 2 and t[0] is mark]
    assert local_only in found
    assert in_list[0] in found
    assert whyalive.at_addrs({id(local_only)}) == [local_only]
