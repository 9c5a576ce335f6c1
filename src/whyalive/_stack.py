"""Stack depth at every instruction of a code object, for the C core.

A running frame's value stack holds temporaries: the arguments of a call
in progress, a ``for`` loop's iterator, operands of an expression.  They
are real references, but CPython records where the stack ends only for
some frames (3.11+: those calling a Python function directly).  For the
others, the core reads the stack up to the depth this module computes
from the bytecode: the number of values live before the frame's current
instruction, which CPython's compiler guarantees is the same on every
path that reaches it.

The analysis runs before the heap walk, in Python, on CPython's own
opcode metadata (``dis``); tables are cached per code object (weakly).
"""

from __future__ import annotations

import contextlib
import dis
import sys
import weakref
from array import array

__all__ = ["depth_table", "depth_tables"]

UNKNOWN = 0xFFFF

# Instructions after which execution never falls through to the next one.
_NO_FALLTHROUGH = frozenset(
    dis.opmap[name]
    for name in (
        "RETURN_VALUE",
        "RETURN_CONST",
        "RAISE_VARARGS",
        "RERAISE",
        "JUMP_FORWARD",
        "JUMP_BACKWARD",
        "JUMP_BACKWARD_NO_INTERRUPT",
        "JUMP_ABSOLUTE",
        "JUMP",
        "JUMP_NO_INTERRUPT",
    )
    if name in dis.opmap
)
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)
# RETURN_GENERATOR leaves the frame; it resumes at the next instruction
# with the value sent in on its stack.
_RETURN_GENERATOR = dis.opmap.get("RETURN_GENERATOR")
# 3.10: a generator's frame starts with the first value sent in on its
# stack, which GEN_START pops.
_GEN_START = dis.opmap.get("GEN_START")

# On 3.10 and 3.11 a call with *args (and **kwargs) runs through C code
# that keeps the argument tuple (and, with **kwargs, a copy of every
# argument) where no frame shows it: flagged in the table so the core can
# tell the call's own references apart.  (3.12 on need no flag.)
_CALL_FUNCTION_EX = (
    dis.opmap.get("CALL_FUNCTION_EX") if sys.version_info < (3, 12) else None
)
STAR_CALL = 0x8000
STAR_CALL_KWARGS = 0x4000

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def depth_tables(codes) -> dict:
    """``{code: table}`` for each code object (see :func:`depth_table`);
    codes whose bytecode cannot be analysed are left out."""
    tables = {}
    for code in codes:
        try:
            table = _cache[code]
        except KeyError:
            table = depth_table(code)
            if table is None:
                continue
            # an object that takes no weak reference is not cached
            with contextlib.suppress(TypeError):
                _cache[code] = table
        tables[code] = table
    return tables


def depth_table(code) -> bytes | None:
    """Two native-endian uint16 per code unit: the values on the stack
    before the instruction starting there, and how many of them the
    instruction consumes (for a call: the callable and its arguments),
    or-ed with STAR_CALL (and STAR_CALL_KWARGS) for a call with ``*args``
    (and ``**kwargs``); 0xFFFF for cache entries and unreachable code.
    None when the analysis does not check out.

    >>> def f(x):
    ...     return g(x, 1)
    >>> table = depth_table(f.__code__)
    >>> len(table) == 2 * len(f.__code__.co_code)
    True
    """
    units = len(code.co_code) // 2
    instructions = list(dis.get_instructions(code))
    position = {ins.offset: i for i, ins in enumerate(instructions)}
    depths = array("H", [UNKNOWN]) * (2 * units)
    start = 1 if instructions and instructions[0].opcode == _GEN_START else 0
    work = [(0, start)]
    work.extend(_handlers(code))
    while work:
        offset, depth = work.pop()
        if offset not in position:
            return None
        if depth < 0 or depth > code.co_stacksize:
            return None
        unit = offset // 2
        known = depths[2 * unit]
        if known != UNKNOWN:
            if known != depth:
                return None  # the compiler promises one depth per instruction
            continue
        index = position[offset]
        ins = instructions[index]
        op, arg = ins.opcode, ins.arg
        effect = dis.stack_effect(op, arg, jump=False)
        depths[2 * unit] = depth
        # exact for instructions that push one value, calls among them
        uses = min(depth, max(0, 1 - effect))
        if op == _CALL_FUNCTION_EX:
            uses |= STAR_CALL | (STAR_CALL_KWARGS if arg & 1 else 0)
        depths[2 * unit + 1] = uses
        if op in _JUMPS:
            target = _jump_target(ins)
            if target is None:
                return None
            work.append((target, depth + dis.stack_effect(op, arg, jump=True)))
        if op not in _NO_FALLTHROUGH and index + 1 < len(instructions):
            after = depth + effect
            if op == _RETURN_GENERATOR:
                after = depth + 1
            work.append((instructions[index + 1].offset, after))
    return depths.tobytes()


def _jump_target(ins) -> int | None:
    target = getattr(ins, "jump_target", None)  # 3.13+
    if target is None:
        target = ins.argval
    return target if isinstance(target, int) else None


def _handlers(code) -> list[tuple[int, int]]:
    """Exception handler entry points (3.11+): (offset, depth), the handler
    starting with the exception (and, if asked, the last instruction's
    offset) pushed onto the table entry's depth."""
    table = getattr(code, "co_exceptiontable", b"")
    entries = []
    for _start, _end, target, depth, lasti in _parse_exception_table(table):
        entries.append((target * 2, depth + bool(lasti) + 1))
    return entries


def _parse_exception_table(table: bytes):
    """Entries of a 3.11+ exception table (Objects/exception_handling_notes.txt):
    varints of 6 bits, high bit 0x80 marking an entry's start, 0x40 "more"."""
    data = iter(table)

    def varint(first: int) -> int:
        value = first & 63
        while first & 64:
            first = next(data)
            value = (value << 6) | (first & 63)
        return value

    for byte in data:
        start = varint(byte)
        length = varint(next(data))
        target = varint(next(data))
        depth_lasti = varint(next(data))
        yield start, start + length, target, depth_lasti >> 1, depth_lasti & 1


if sys.version_info < (3, 11):  # the block stack, not a table, handles exceptions

    def _handlers(code) -> list[tuple[int, int]]:
        return []
