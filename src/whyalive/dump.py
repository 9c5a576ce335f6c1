"""Heap snapshot files: ``snap.save(path)`` and :func:`load_snapshot`.

The format (version 5; ``docs/snapshots.md`` describes it field by field):

* a header of 16 bytes: the magic ``b"WHYALIVE"``, the format version
  (uint32, little-endian), and the number of sections (uint32);
* then each section: a tag of 4 ASCII bytes, the length of its payload
  (uint64), the CRC-32 of the payload (uint32), and the payload, which is
  zlib-compressed;
* ``META``: JSON (UTF-8): the CPython version that wrote it, the counts,
  the roots (modules, frame/thread/interpreter references), thread names
  and the walk's stats;
* ``STRS``: the string table, strings once: per string its length in bytes
  (uint32) then its UTF-8 (surrogates escaped);
* one section per array of the snapshot (``IDS ``, ``TYPE``, ``SIZE``,
  ``NAME``, ``RCNT``, ``SEEN``, ``FLAG``, ``ROWS``, ``EDGE``, ``ELAB``,
  ``LABL``, ``BIGV``), integers little-endian; ``ROWS`` holds each object's
  count of references (uint32), from which the rows are rebuilt; ``SIZE``
  and ``RCNT`` are uint32 and ``SEEN`` uint8, the few values too big for
  them in ``BIGV``.

Version 5 writes a list's or tuple's item ``[i]`` in ``ELAB`` as
``0x80000000 | i`` and a dict's value under a str key ``strings[k]`` as
``0xC0000000 | k``, neither with a label in ``LABL`` nor a string of its
own.  Version 4 files (items with 31 bits, every key label in ``LABL``),
version 3 files (such items as labels with text -1 and their index), version 2 files
(every label text in ``STRS``) and version 1 files (``SIZE`` and ``RCNT``
64-bit, ``SEEN`` uint32, no ``BIGV``) still load: version 1's arrays are
narrowed on reading.

Reading checks everything before a snapshot exists: the magic, the version,
each section's bounds, checksum and decompression, the JSON's shape, and
then every index the arrays hold (the C core's check).  Anything wrong is a
:class:`~whyalive.errors.SnapshotFormatError` saying what and where; a file
never loads half.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
import sys
import zlib
from array import array
from typing import Any

from . import _core
from .errors import SnapshotFormatError

__all__ = ["FORMAT_VERSION", "MAGIC", "load", "save"]

MAGIC = b"WHYALIVE"
FORMAT_VERSION = 5
#: Versions load() reads.
READS = (1, 2, 3, 4, 5)
_HEADER = struct.Struct("<8sII")
_SECTION = struct.Struct("<4sQI")

#: (tag, position in the core's data tuple, array typecode) of each array.
_ARRAYS = (
    (b"IDS ", 1, "Q"),
    (b"TYPE", 2, "I"),
    (b"SIZE", 3, "I"),
    (b"NAME", 4, "I"),
    (b"RCNT", 5, "I"),
    (b"SEEN", 6, "B"),
    (b"FLAG", 7, "B"),
    (b"EDGE", 9, "I"),
    (b"ELAB", 10, "I"),
    (b"LABL", 11, "i"),
)
#: Version 1's wider arrays, narrowed on reading.
_ARRAYS_V1 = {b"SIZE": "Q", b"RCNT": "q", b"SEEN": "I"}
_ROW_START = 8
_STRINGS, _MODULES, _REFS, _STATS, _BIG = 0, 12, 13, 14, 15
_FIELDS = 16
#: The big values (snapshot.h): (node, field, value) records.
_BIG_NATIVE = struct.Struct("=IIQ")
_BIG_LITTLE = struct.Struct("<IIQ")
#: Marks in the narrow arrays, and the big value fields.
_IN_BIG, _IMMORTAL, _SEEN_IN_BIG = 0xFFFFFFFF, 0xFFFFFFFE, 0xFF
_BIG_SIZE, _BIG_REFCOUNT, _BIG_SEEN = 0, 1, 2
_LITTLE = sys.byteorder == "little"


def _to_little(data: bytes, code: str) -> bytes:
    if _LITTLE or code == "B":
        return data
    values = array(code, data)
    values.byteswap()
    return values.tobytes()


_from_little = _to_little  # a byte swap is its own inverse


def _pack_strings(strings: list[str]) -> bytes:
    parts = []
    for s in strings:
        encoded = s.encode("utf-8", "surrogatepass")
        parts.append(struct.pack("<I", len(encoded)))
        parts.append(encoded)
    return b"".join(parts)


def save(data: tuple, thread_names: dict[int, str], path: Any) -> None:
    """Writes the core's snapshot data to ``path`` (see the module)."""
    strings = data[_STRINGS]
    starts = memoryview(data[_ROW_START]).cast("I")
    rows = array("I", (starts[i + 1] - starts[i] for i in range(len(starts) - 1)))
    meta = {
        "format": "whyalive heap snapshot",
        "format_version": FORMAT_VERSION,
        "python": sys.version,
        "python_version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "objects": len(data[1]) // 8,
        "references": len(data[9]) // 4,
        "strings": len(strings),
        "modules": [list(m) for m in data[_MODULES]],
        "refs": [list(r) for r in data[_REFS]],
        "threads": {str(k): v for k, v in thread_names.items()},
        "stats": list(data[_STATS]),
    }
    sections = [
        (b"META", json.dumps(meta).encode("utf-8")),
        (b"STRS", _pack_strings(strings)),
        (b"ROWS", _to_little(rows.tobytes(), "I")),
    ]
    sections += [(tag, _to_little(data[i], code)) for tag, i, code in _ARRAYS]
    big = b"".join(
        _BIG_LITTLE.pack(*item) for item in _BIG_NATIVE.iter_unpack(data[_BIG])
    )
    sections.append((b"BIGV", big))
    with open(path, "wb") as out:
        out.write(_HEADER.pack(MAGIC, FORMAT_VERSION, len(sections)))
        for tag, payload in sections:
            packed = zlib.compress(payload, 1)
            out.write(_SECTION.pack(tag, len(packed), zlib.crc32(packed)))
            out.write(packed)


def _tuples(value: Any) -> Any:
    """JSON lists back into the core's tuples."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _read_sections(blob: bytes, where: str) -> tuple[int, dict[bytes, bytes]]:
    if len(blob) < _HEADER.size:
        raise SnapshotFormatError(f"{where}: truncated: {len(blob)} bytes, no header")
    magic, version, count = _HEADER.unpack_from(blob, 0)
    if magic != MAGIC:
        raise SnapshotFormatError(
            f"{where}: not a whyalive heap snapshot (starts with {magic!r})"
        )
    if version not in READS:
        raise SnapshotFormatError(
            f"{where}: format version {version}; this whyalive reads versions"
            f" {', '.join(map(str, READS))}"
        )
    sections: dict[bytes, bytes] = {}
    offset = _HEADER.size
    for _ in range(count):
        if offset + _SECTION.size > len(blob):
            raise SnapshotFormatError(
                f"{where}: truncated at byte {offset}: a section header is cut"
            )
        tag, length, crc = _SECTION.unpack_from(blob, offset)
        name = tag.decode("ascii", "replace")
        start = offset + _SECTION.size
        if start + length > len(blob):
            raise SnapshotFormatError(
                f"{where}: truncated: section {name!r} at byte {offset} needs"
                f" {length} bytes, {len(blob) - start} left"
            )
        packed = blob[start : start + length]
        if zlib.crc32(packed) != crc:
            raise SnapshotFormatError(
                f"{where}: section {name!r} at byte {offset} is corrupt (checksum)"
            )
        try:
            sections[tag] = zlib.decompress(packed)
        except zlib.error as exc:
            raise SnapshotFormatError(
                f"{where}: section {name!r} at byte {offset} is corrupt ({exc})"
            ) from None
        offset = start + length
    if offset != len(blob):
        raise SnapshotFormatError(
            f"{where}: {len(blob) - offset} unexpected bytes after the last section"
        )
    return version, sections


def _unpack_strings(payload: bytes, where: str) -> list[str]:
    strings = []
    offset = 0
    try:
        while offset < len(payload):
            (length,) = struct.unpack_from("<I", payload, offset)
            offset += 4
            if offset + length > len(payload):
                raise SnapshotFormatError(f"{where}: section 'STRS': a string is cut")
            strings.append(
                payload[offset : offset + length].decode("utf-8", "surrogatepass")
            )
            offset += length
    except (struct.error, UnicodeDecodeError) as exc:
        raise SnapshotFormatError(
            f"{where}: section 'STRS' is corrupt ({exc})"
        ) from None
    return strings


def _check_meta(meta: Any, where: str) -> None:
    fields = {
        "modules": list,
        "refs": list,
        "threads": dict,
        "stats": list,
        "objects": int,
        "references": int,
    }
    if not isinstance(meta, dict):
        raise SnapshotFormatError(f"{where}: section 'META' is not an object")
    for name, kind in fields.items():
        if not isinstance(meta.get(name), kind):
            raise SnapshotFormatError(
                f"{where}: section 'META': {name!r} is missing or not a {kind.__name__}"
            )
    stats = meta["stats"]
    if len(stats) != 3 or not all(isinstance(x, (int, float)) for x in stats):
        raise SnapshotFormatError(f"{where}: section 'META': bad 'stats'")
    for key, value in meta["threads"].items():
        if not key.isdigit() or not isinstance(value, str):
            raise SnapshotFormatError(f"{where}: section 'META': bad 'threads'")


def _narrow_v1(data: list[Any]) -> bytes:
    """Version 1's sizes (uint64), refcounts (int64) and seen (uint32) as
    version 2's narrow arrays, in place in ``data``; returns the big
    values.  A negative refcount other than -1 (immortal) or a count past
    2**63 is left for the core's check to refuse."""
    big: list[tuple[int, int, int]] = []

    def narrow(values: bytes, code: str, field: int, limit: int, mark: int) -> array:
        wide = array(code, values)
        out = array("I" if mark != _SEEN_IN_BIG else "B")
        append = out.append
        for node, value in enumerate(wide):
            if value == -1 and field == _BIG_REFCOUNT:
                append(_IMMORTAL)
            elif 0 <= value < limit:
                append(value)
            else:
                append(mark)
                big.append((node, field, value))
        return out

    sizes = narrow(data[3], "Q", _BIG_SIZE, _IN_BIG, _IN_BIG)
    refcounts = narrow(data[5], "q", _BIG_REFCOUNT, _IMMORTAL, _IN_BIG)
    seen = narrow(data[6], "I", _BIG_SEEN, _SEEN_IN_BIG, _SEEN_IN_BIG)
    data[3], data[5], data[6] = sizes.tobytes(), refcounts.tobytes(), seen.tobytes()
    return b"".join(
        _BIG_NATIVE.pack(node, field, value & 0xFFFFFFFFFFFFFFFF)
        for node, field, value in sorted(big, key=lambda item: (item[1], item[0]))
    )


def load(path: Any) -> tuple[tuple, dict[int, str], Any]:
    """The core's data tuple, thread names and checked snapshot
    (``_core.snapshot_check``'s), read from ``path``."""
    where = (
        os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else repr(path)
    )
    with open(path, "rb") as f:
        blob = f.read()
    version, sections = _read_sections(blob, where)
    wanted = [b"META", b"STRS", b"ROWS"] + [tag for tag, _, _ in _ARRAYS]
    wanted += [b"BIGV"] if version >= 2 else []
    missing = [t.decode("ascii") for t in wanted if t not in sections]
    if missing:
        raise SnapshotFormatError(f"{where}: missing sections {missing}")
    try:
        meta = json.loads(sections[b"META"].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SnapshotFormatError(
            f"{where}: section 'META' is corrupt ({exc})"
        ) from None
    _check_meta(meta, where)
    data: list[Any] = [None] * _FIELDS
    data[_STRINGS] = _unpack_strings(sections[b"STRS"], where)
    for tag, i, code in _ARRAYS:
        if version == 1:
            code = _ARRAYS_V1.get(tag, code)
        payload = sections[tag]
        if len(payload) % array(code).itemsize:
            raise SnapshotFormatError(
                f"{where}: section {tag.decode('ascii')!r} has a partial item"
            )
        data[i] = _from_little(payload, code)
    if version == 1:
        data[_BIG] = _narrow_v1(data)
    else:
        big = sections[b"BIGV"]
        if len(big) % _BIG_LITTLE.size:
            raise SnapshotFormatError(f"{where}: section 'BIGV' has a partial item")
        data[_BIG] = b"".join(
            _BIG_NATIVE.pack(*item) for item in _BIG_LITTLE.iter_unpack(big)
        )
    rows_payload = sections[b"ROWS"]
    if len(rows_payload) % 4:
        raise SnapshotFormatError(f"{where}: section 'ROWS' has a partial item")
    rows = array("I", _from_little(rows_payload, "I"))
    starts = array("Q", [0])
    starts.extend(itertools.accumulate(rows))
    if starts[-1] >= 0xFFFFFFFF:
        raise SnapshotFormatError(f"{where}: section 'ROWS': too many references")
    data[_ROW_START] = array("I", starts).tobytes()
    data[_MODULES] = [_tuples(m) for m in meta["modules"]]
    data[_REFS] = [_tuples(r) for r in meta["refs"]]
    data[_STATS] = tuple(meta["stats"])
    result = tuple(data)
    try:
        checked = _core.snapshot_check(result)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SnapshotFormatError(f"{where}: {exc}") from None
    threads = {int(k): v for k, v in meta["threads"].items()}
    return result, threads, checked
