"""Snapshot files: the round trip, in this process and another, the format
read back as docs/snapshots.md documents it, refusals of bad files (a
fuzzed loader never crashes and never half-loads), and Chrome DevTools'
.heapsnapshot checked field by field."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import types
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import whyalive
from whyalive import SnapshotFormatError, _core

HEADER = struct.Struct("<8sII")
SECTION = struct.Struct("<4sQI")


@pytest.fixture(scope="module")
def app():
    module = types.ModuleType("sizes_dump_app")
    module.CACHE = types.SimpleNamespace(pages=[bytes(50_000) for _ in range(30)])
    # int keys whose labels read as the list's indices ("[3]"): still properties
    module.BY_NUMBER = {i: [] for i in range(30)}
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


@pytest.fixture(scope="module")
def saved(app, tmp_path_factory):
    snap = whyalive.heap_snapshot()
    path = tmp_path_factory.mktemp("dump") / "heap.whyalive"
    snap.save(path)
    return snap, path


def _sections(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The file read as the documentation says, independently of dump.py."""
    magic, version, count = HEADER.unpack_from(blob, 0)
    assert (magic, version) == (b"WHYALIVE", 5)
    offset, out = HEADER.size, []
    for _ in range(count):
        tag, length, crc = SECTION.unpack_from(blob, offset)
        packed = blob[offset + SECTION.size : offset + SECTION.size + length]
        assert zlib.crc32(packed) == crc
        out.append((tag, zlib.decompress(packed)))
        offset += SECTION.size + length
    assert offset == len(blob)
    return out


def _write(path: Path, sections: list[tuple[bytes, bytes]], version: int = 5) -> None:
    with open(path, "wb") as f:
        f.write(HEADER.pack(b"WHYALIVE", version, len(sections)))
        for tag, payload in sections:
            packed = zlib.compress(payload)
            f.write(SECTION.pack(tag, len(packed), zlib.crc32(packed)))
            f.write(packed)


def test_round_trip_answers_every_query_the_same(app, saved):
    snap, path = saved
    loaded = whyalive.load_snapshot(path)
    assert len(loaded) == len(snap)
    assert loaded.total_size == snap.total_size
    pages = app.CACHE.pages
    assert loaded.node(id(pages)) == snap.node(id(pages))
    assert loaded.retained_size(id(pages)) == snap.retained_size(id(pages))
    assert loaded.top_retainers(5) == snap.top_retainers(5)
    assert str(loaded.explain(id(pages[4]))) == str(snap.explain(id(pages[4])))
    assert loaded.diff(snap).new_ids == []
    assert [r for r in loaded.diff(snap).by_type()] == []


def test_the_file_is_as_documented(saved):
    snap, path = saved
    sections = dict(_sections(path.read_bytes()))
    meta = json.loads(sections[b"META"])
    assert meta["format_version"] == 5
    assert meta["python_version"] == list(sys.version_info[:3])
    assert meta["objects"] == len(snap)
    strings, offset, payload = [], 0, sections[b"STRS"]
    while offset < len(payload):
        (length,) = struct.unpack_from("<I", payload, offset)
        strings.append(payload[offset + 4 : offset + 4 + length].decode())
        offset += 4 + length
    assert strings[0] == "" and len(set(strings)) == len(strings)  # each once
    ids = struct.unpack(f"<{len(snap)}Q", sections[b"IDS "])
    assert set(ids) == set(snap.ids)
    rows = struct.unpack(f"<{len(snap)}I", sections[b"ROWS"])
    assert sum(rows) == meta["references"] == len(sections[b"EDGE"]) // 4
    # sizes 32-bit, each too big for them in BIGV (field 0) in node order
    n = len(snap)
    assert len(sections[b"SIZE"]) == len(sections[b"RCNT"]) == 4 * n
    assert len(sections[b"SEEN"]) == n
    small = struct.unpack(f"<{n}I", sections[b"SIZE"])
    big = {
        node: value
        for node, field, value in struct.iter_unpack("<IIQ", sections[b"BIGV"])
        if field == 0
    }
    sizes = [big[i] if size == 0xFFFFFFFF else size for i, size in enumerate(small)]
    assert sum(sizes) == snap.total_size
    # compact: well under the 24 bytes per object + 8 per reference budget
    budget = 24 * len(snap) + 8 * meta["references"]
    assert path.stat().st_size < budget


def test_another_process_loads_it(app, saved):
    snap, path = saved
    script = (
        "import sys, whyalive\n"
        "snap = whyalive.load_snapshot(sys.argv[1])\n"
        "print(len(snap), snap.total_size)\n"
        "print(snap.top_retainers(1)[0])\n"
        "print(snap.explain(int(sys.argv[2])))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(whyalive.__file__).parents[1]))
    target = id(app.CACHE.pages[2])
    out = subprocess.run(
        [sys.executable, "-c", script, str(path), str(target)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.splitlines()
    assert out[0] == f"{len(snap)} {snap.total_size}"
    assert out[1] == str(snap.top_retainers(1)[0])
    assert "\n".join(out[2:]) == str(snap.explain(target))


def test_refusals_say_what_and_where(saved, tmp_path):
    _, path = saved
    blob = path.read_bytes()
    bad = tmp_path / "bad"
    cases = {
        b"hello": "truncated",
        b"NOTASNAPSHOT" + blob[12:]: "not a whyalive heap snapshot",
        HEADER.pack(b"WHYALIVE", 6, 0) + blob[HEADER.size :]: "format version 6",
        blob[: len(blob) // 2]: "truncated",
        blob[:-1]: "truncated",
        blob + b"x": "unexpected bytes",
        blob[:40] + bytes([blob[40] ^ 0xFF]) + blob[41:]: "corrupt",
    }
    for content, message in cases.items():
        bad.write_bytes(content)
        with pytest.raises(SnapshotFormatError, match=message):
            whyalive.load_snapshot(bad)


def _as_version_1(sections: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A version 2 file's sections as version 1 wrote them (uint64 sizes,
    int64 refcounts, -1 immortal, uint32 seen, no BIGV)."""
    found = dict(sections)
    n = len(found[b"IDS "]) // 8
    big = {
        (field, node): value
        for node, field, value in struct.iter_unpack("<IIQ", found[b"BIGV"])
    }

    def wide(tag, field, mark, fmt, code, immortal=None):
        values = struct.unpack(f"<{n}{fmt}", found[tag])
        out = [
            -1 if v == immortal else big[field, i] if v == mark else v
            for i, v in enumerate(values)
        ]
        return struct.pack(f"<{n}{code}", *out)

    wider = {
        b"SIZE": wide(b"SIZE", 0, 0xFFFFFFFF, "I", "Q"),
        b"RCNT": wide(b"RCNT", 1, 0xFFFFFFFF, "I", "q", immortal=0xFFFFFFFE),
        b"SEEN": wide(b"SEEN", 2, 0xFF, "B", "I"),
    }
    return [(t, wider.get(t, p)) for t, p in sections if t != b"BIGV"]


ITEM, STR_KEY, TAG = 0x80000000, 0xC0000000, 0xC0000000


def _strings(payload: bytes) -> list[bytes]:
    offset, strings = 0, []
    while offset < len(payload):
        (length,) = struct.unpack_from("<I", payload, offset)
        strings.append(payload[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return strings


def _as_version_4(sections: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A version 5 file's sections as version 4 wrote them: a dict's value
    under a str key as a label in LABL (text "['k']" in STRS, kind 0: key,
    key k)."""
    found = dict(sections)
    strings = _strings(found[b"STRS"])
    edge_labels = struct.unpack(f"<{len(found[b'ELAB']) // 4}I", found[b"ELAB"])
    labels = list(struct.unpack(f"<{len(found[b'LABL']) // 4}i", found[b"LABL"]))
    added: dict[int, int] = {}
    for value in edge_labels:
        if value & TAG == STR_KEY and value not in added:
            key = value & ~TAG
            text = _core.dict_key_text(strings[key].decode()).encode()
            strings.append(text)
            added[value] = len(labels) // 5
            labels += [len(strings) - 1, 0, 0, key, -1]
    rewritten = {
        b"STRS": b"".join(struct.pack("<I", len(t)) + t for t in strings),
        b"ELAB": struct.pack(
            f"<{len(edge_labels)}I", *(added.get(v, v) for v in edge_labels)
        ),
        b"LABL": struct.pack(f"<{len(labels)}i", *labels),
    }
    return [(t, rewritten.get(t, p)) for t, p in sections]


def _as_version_3(sections: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A version 4 file's sections as version 3 wrote them: a list's or
    tuple's item "[i]" as a label of its own in LABL (text -1, index i)."""
    found = dict(sections)
    edge_labels = struct.unpack(f"<{len(found[b'ELAB']) // 4}I", found[b"ELAB"])
    labels = list(struct.unpack(f"<{len(found[b'LABL']) // 4}i", found[b"LABL"]))
    added: dict[int, int] = {}
    for value in edge_labels:
        if value & ITEM and value not in added:
            added[value] = len(labels) // 5
            labels += [-1, 2, 0, -1, value & ~ITEM]  # kind 2: index
    rewritten = {
        b"ELAB": struct.pack(
            f"<{len(edge_labels)}I", *(added.get(v, v) for v in edge_labels)
        ),
        b"LABL": struct.pack(f"<{len(labels)}i", *labels),
    }
    return [(t, rewritten.get(t, p)) for t, p in sections]


def _as_version_2(sections: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A version 3 file's sections as version 2 wrote them: every label
    text in STRS, "[i]" of a list's or tuple's item too (no text -1)."""
    found = dict(sections)
    strings = _strings(found[b"STRS"])
    labels = list(struct.unpack(f"<{len(found[b'LABL']) // 4}i", found[b"LABL"]))
    where = {text: i for i, text in enumerate(strings)}
    for k in range(0, len(labels), 5):
        if labels[k] == -1:
            text = f"[{labels[k + 4]}]".encode()
            if text not in where:
                where[text] = len(strings)
                strings.append(text)
            labels[k] = where[text]
    rewritten = {
        b"STRS": b"".join(struct.pack("<I", len(t)) + t for t in strings),
        b"LABL": struct.pack(f"<{len(labels)}i", *labels),
    }
    return [(t, rewritten.get(t, p)) for t, p in sections]


def test_items_and_str_keys_are_written_as_their_index_alone(saved):
    _, path = saved
    found = dict(_sections(path.read_bytes()))
    strings = _strings(found[b"STRS"])
    edge_labels = struct.unpack(f"<{len(found[b'ELAB']) // 4}I", found[b"ELAB"])
    labels = struct.unpack(f"<{len(found[b'LABL']) // 4}i", found[b"LABL"])
    items = {v & ~TAG for v in edge_labels if v & TAG == ITEM}
    assert set(range(30)) <= items  # app.CACHE.pages[0] to [29]
    keys = {strings[v & ~TAG] for v in edge_labels if v & TAG == STR_KEY}
    assert {b"CACHE", b"BY_NUMBER", b"pages"} <= keys  # module globals too
    # no label in LABL and no string of their own
    assert -1 not in labels[::5]
    assert b"['CACHE']" not in strings
    assert all(v & ITEM or v < len(labels) // 5 for v in edge_labels)


@pytest.mark.parametrize("version", [4, 3, 2])
def test_older_files_still_load(app, saved, tmp_path, version):
    snap, path = saved
    sections = _as_version_4(_sections(path.read_bytes()))
    if version <= 3:
        sections = _as_version_3(sections)
        labels = struct.unpack(
            f"<{len(dict(sections)[b'LABL']) // 4}i", dict(sections)[b"LABL"]
        )
        assert -1 in labels[::5]  # version 3: the items' labels, text -1
    if version == 2:
        sections = _as_version_2(sections)
    old = tmp_path / f"v{version}.whyalive"
    _write(old, sections, version=version)
    loaded = whyalive.load_snapshot(old)
    assert loaded.total_size == snap.total_size
    assert loaded.top_retainers(3) == snap.top_retainers(3)
    target = id(app.CACHE.pages[4])
    assert str(loaded.explain(target)) == str(snap.explain(target))
    assert "[4]" in str(loaded.explain(target))
    arrays = loaded.arrays
    node = loaded._node_of(id(app.CACHE.pages))
    row = range(arrays.edge_start[node], arrays.edge_start[node + 1])
    assert [arrays.label_text(arrays.edge_labels[e]) for e in row] == [
        f"[{i}]" for i in reversed(range(30))
    ]
    # Chrome's file reads the same nodes and edges either way
    ours, theirs = tmp_path / "new.heapsnapshot", tmp_path / "old.heapsnapshot"
    whyalive.load_snapshot(path).save(ours, format="heapsnapshot")
    loaded.save(theirs, format="heapsnapshot")
    assert _chrome_graph(ours) == _chrome_graph(theirs)


def _chrome_graph(path: Path) -> tuple[list, list]:
    """A .heapsnapshot's nodes and edges with their names read from its
    strings (element and hidden edges are named by a number)."""
    doc = json.loads(path.read_text())
    meta, strings = doc["snapshot"]["meta"], doc["strings"]
    node_width, edge_width = len(meta["node_fields"]), len(meta["edge_fields"])
    numbered = {meta["edge_types"][0].index(t) for t in ("element", "hidden")}
    nodes, edges = doc["nodes"], doc["edges"]
    return (
        [
            (nodes[i], strings[nodes[i + 1]], *nodes[i + 2 : i + node_width])
            for i in range(0, len(nodes), node_width)
        ],
        [
            (
                edges[i],
                edges[i + 1] if edges[i] in numbered else strings[edges[i + 1]],
                edges[i + 2],
            )
            for i in range(0, len(edges), edge_width)
        ],
    )


def test_version_1_files_still_load(saved, tmp_path):
    snap, path = saved
    sections = _sections(path.read_bytes())
    sections = _as_version_2(_as_version_3(_as_version_4(sections)))
    old, newer = tmp_path / "v1.whyalive", tmp_path / "v2.whyalive"
    _write(old, _as_version_1(sections), version=1)
    _write(newer, sections, version=2)
    loaded = whyalive.load_snapshot(old)
    assert loaded._data == whyalive.load_snapshot(newer)._data
    assert loaded.total_size == snap.total_size
    assert loaded.top_retainers(3) == snap.top_retainers(3)


def test_consistent_looking_files_are_still_checked(saved, tmp_path):
    _, path = saved
    sections = _sections(path.read_bytes())
    bad = tmp_path / "bad"
    # a reference to an object that is not there
    edges = dict(sections)[b"EDGE"]
    broken = [
        (t, p if t != b"EDGE" else struct.pack("<I", 0x7FFFFFF0) + edges[4:])
        for t, p in sections
    ]
    _write(bad, broken)
    with pytest.raises(SnapshotFormatError, match="leads nowhere"):
        whyalive.load_snapshot(bad)
    # a section missing
    _write(bad, [s for s in sections if s[0] != b"SIZE"])
    with pytest.raises(SnapshotFormatError, match="missing sections"):
        whyalive.load_snapshot(bad)
    # a size marked as too big for its array, with no value for it
    size = dict(sections)[b"SIZE"]
    broken = [
        (t, p if t != b"SIZE" else b"\xff\xff\xff\xff" + size[4:]) for t, p in sections
    ]
    _write(bad, broken)
    with pytest.raises(SnapshotFormatError, match="big values"):
        whyalive.load_snapshot(bad)
    # META not what it says
    broken = [(t, p if t != b"META" else b'{"modules": 3}') for t, p in sections]
    _write(bad, broken)
    with pytest.raises(SnapshotFormatError, match="META"):
        whyalive.load_snapshot(bad)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzed_files_load_whole_or_raise_snapshot_format_error(saved, tmp_path, data):
    _, path = saved
    blob = bytearray(path.read_bytes())
    action = data.draw(st.sampled_from(["cut", "flip", "splice"]))
    if action == "cut":
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif action == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            at = data.draw(st.integers(0, len(blob) - 1))
            blob[at] ^= data.draw(st.integers(1, 255))
    else:
        at = data.draw(st.integers(0, len(blob)))
        blob[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    fuzzed = tmp_path / "fuzzed"
    fuzzed.write_bytes(bytes(blob))
    try:
        loaded = whyalive.load_snapshot(fuzzed)
    except SnapshotFormatError:
        return
    # whatever loads is whole: every query answers
    loaded.top_retainers(2)
    assert len(loaded) > 0


def test_bad_arguments(saved):
    snap, _ = saved
    with pytest.raises(TypeError, match="path"):
        whyalive.load_snapshot(3)
    with pytest.raises(TypeError, match="path"):
        snap.save(3)
    with pytest.raises(ValueError, match="format"):
        snap.save("x", format="xml")


# -- Chrome DevTools ----------------------------------------------------------


def test_chrome_heapsnapshot_field_by_field(app, saved, tmp_path):
    snap, _ = saved
    path = tmp_path / "heap.heapsnapshot"
    snap.save(path, format="heapsnapshot")
    doc = json.loads(path.read_text(encoding="utf-8"))
    meta = doc["snapshot"]["meta"]
    node_fields = meta["node_fields"]
    assert node_fields == [
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
        "detachedness",
    ]
    assert meta["edge_fields"] == ["type", "name_or_index", "to_node"]
    node_types, edge_types = meta["node_types"][0], meta["edge_types"][0]
    assert "synthetic" in node_types and "object" in node_types
    assert meta["edge_types"][1:] == ["string_or_number", "node"]
    width, nodes, edges, strings = (
        len(node_fields),
        doc["nodes"],
        doc["edges"],
        doc["strings"],
    )
    assert len(nodes) == width * doc["snapshot"]["node_count"]
    assert len(edges) == 3 * doc["snapshot"]["edge_count"]
    assert doc["snapshot"]["node_count"] == len(snap) + 1
    # node 0: the synthetic root
    assert node_types[nodes[0]] == "synthetic" and strings[nodes[1]] == "(root)"
    counts = nodes[4::width]
    assert sum(counts) == doc["snapshot"]["edge_count"]
    assert sum(nodes[3::width]) == snap.total_size
    ids = nodes[2::width]
    assert len(set(ids)) == len(ids)
    for i in range(0, len(edges), 3):
        kind, name, to = edges[i : i + 3]
        assert 0 <= kind < len(edge_types)
        assert to % width == 0 and 0 < to < len(nodes)
        if edge_types[kind] == "element":
            assert isinstance(name, int)
        else:
            assert 0 <= name < len(strings)
    # a list's items are elements, in order
    pages = app.CACHE.pages
    by_id = {oid: n for n, oid in enumerate(snap.ids)}
    node = by_id[id(pages)] + 1
    first = sum(counts[:node])
    row = edges[3 * first : 3 * (first + counts[node])]
    assert strings[nodes[node * width + 1]] == "list"
    elements = [
        row[i + 1] for i in range(0, len(row), 3) if edge_types[row[i]] == "element"
    ]
    assert sorted(elements) == list(range(30))
    # ...and a dict's values under int keys are properties named as the key
    node = by_id[id(app.BY_NUMBER)] + 1
    first = sum(counts[:node])
    row = edges[3 * first : 3 * (first + counts[node])]
    names = [
        strings[row[i + 1]]
        for i in range(0, len(row), 3)
        if edge_types[row[i]] == "property"
    ]
    assert sorted(names) == sorted(f"[{i}]" for i in range(30))
    assert all(edge_types[row[i]] != "element" for i in range(0, len(row), 3))
