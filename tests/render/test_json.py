"""JSON documents: the schema they name, and the round trip."""

from __future__ import annotations

import json
import threading

import jsonschema
import pytest

import whyalive
from whyalive import Report
from whyalive.render import json as report_json
from whyalive.vocab import ROOT_KINDS, STATUSES


class Session:
    pass


def test_the_sample_report_as_a_document(make_sample_report):
    document = make_sample_report().to_dict()
    assert document["schema"] == "whyalive.report/1"
    (target,) = document["targets"]
    assert target["description"] == "app.Widget at 0x7f00"
    module_path, frame_path = target["paths"]
    assert module_path["expression"] == "app.REGISTRY.registry['w1']"
    assert module_path["root"]["detail"] == ["app", "REGISTRY"]
    assert [e["label"] for e in module_path["edges"]] == ["['w1']", ".registry"]
    assert frame_path["root"]["thread_name"] == "MainThread"
    assert frame_path["root"]["tag"] == "running frame"


def test_round_trip_gives_the_same_report_text_and_json(make_sample_report):
    report = make_sample_report()
    text = report.to_json()
    again = Report.from_json(text)
    assert again == report
    assert str(again) == str(report)
    assert again.to_json() == text
    assert again.stats == report.stats


def _live_report() -> Report:
    sessions = {"s1": Session()}  # noqa: F841  (a local root)
    held = []
    ready, stop = threading.Event(), threading.Event()

    def worker():
        mine = Session()
        held.append(mine)
        ready.set()
        stop.wait()

    thread = threading.Thread(target=worker, name="worker-1")
    thread.start()
    ready.wait()
    try:
        return whyalive.explain_instances(Session, max_paths=4)
    finally:
        stop.set()
        thread.join()


def test_round_trip_of_a_real_report_with_threads_and_frames():
    report = _live_report()
    assert len(report) == 2
    again = Report.from_json(report.to_json())
    assert str(again) == str(report)
    assert again.to_json() == report.to_json()
    assert again == report
    kinds = {p.root.kind for t in again for p in t.paths}
    assert "frame" in kinds
    threads = {p.root.thread_name for t in again for p in t.paths}
    assert "worker-1" in threads


def test_round_trip_keeps_allocation_sites():
    import tracemalloc

    tracemalloc.start()
    try:
        kept = [Session()]
        report = whyalive.explain(kept[0])
    finally:
        tracemalloc.stop()
    assert report.targets[0].allocated_at
    again = Report.from_json(report.to_json())
    assert again.targets[0].allocated_at == report.targets[0].allocated_at
    assert str(again) == str(report)


def test_a_partial_report_round_trips_and_validates(
    every_report_follows_the_json_schema,
):
    kept = [[[Session()]]]
    report = whyalive.explain(kept[0][0][0], max_depth=1)
    assert report.partial_reason == "max_depth"
    document = report.to_dict()
    every_report_follows_the_json_schema.validate(document)
    assert str(Report.from_dict(document)) == str(report)


def test_the_schema_names_every_root_kind_and_status():
    definitions = report_json.schema()["$defs"]
    assert definitions["root"]["properties"]["kind"]["enum"] == list(ROOT_KINDS)
    assert definitions["target"]["properties"]["status"]["enum"] == list(STATUSES)
    stats = report_json.schema()["properties"]["stats"]["required"]
    assert stats == list(whyalive.Stats._fields)


def test_the_schema_rejects_what_it_does_not_describe(
    make_sample_report, every_report_follows_the_json_schema
):
    document = make_sample_report().to_dict()
    document["targets"][0]["paths"][0]["root"]["kind"] = "moon"
    with pytest.raises(jsonschema.ValidationError):
        every_report_follows_the_json_schema.validate(document)
    del document["targets"][0]["paths"][0]["root"]
    with pytest.raises(jsonschema.ValidationError):
        every_report_follows_the_json_schema.validate(document)


def test_a_document_of_another_schema_is_refused(make_sample_report):
    document = make_sample_report().to_dict()
    document["schema"] = "whyalive.report/2"
    with pytest.raises(ValueError, match=r"follows schema 'whyalive.report/2'"):
        Report.from_dict(document)
    del document["schema"]
    with pytest.raises(ValueError, match="follows schema None"):
        Report.from_dict(document)
    good = make_sample_report().to_dict()
    del good["stats"]
    with pytest.raises(ValueError, match="no field 'stats'"):
        Report.from_dict(good)
    with pytest.raises(TypeError, match="document must be a dict, not list"):
        Report.from_dict([])


def test_the_schema_ships_in_the_package():
    from importlib import resources

    shipped = resources.files("whyalive").joinpath(report_json.SCHEMA_FILE)
    assert json.loads(shipped.read_text("utf-8"))["title"].startswith("whyalive")
