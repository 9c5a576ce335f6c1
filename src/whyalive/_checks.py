"""Argument checks shared by the public functions: each error names the
parameter and what it expected, and nothing is converted silently."""

from __future__ import annotations

import sys
from typing import Any

from ._names import type_name


def is_a(value: Any, types: type | tuple[type, ...]) -> bool:
    """``isinstance(value, types)`` by the type's MRO alone: no
    ``__class__`` of ``value`` (a property, a ``__getattribute__``) and no
    metaclass ``__instancecheck__`` runs; ``types`` are builtin classes.

    >>> class Liar:
    ...     @property
    ...     def __class__(self): raise RuntimeError("ran")
    >>> is_a(Liar(), bool), is_a(True, int)
    (False, True)
    """
    return issubclass(type(value), types)


def kind_of(value: Any) -> str:
    """The name of ``value``'s class for an error message, read without
    running user code (a metaclass's ``__name__`` property, a ``str``
    subclass as name).

    >>> kind_of(3)
    'int'
    """
    return type_name(type(value), qualified=False)


def check_bool(value: Any, name: str) -> bool:
    """``value`` if it is True or False, else TypeError naming ``name``.

    >>> check_bool(1, "collect")
    Traceback (most recent call last):
    TypeError: collect must be True or False, not int
    """
    if type(value) is not bool:
        raise TypeError(f"{name} must be True or False, not {kind_of(value)}")
    return value


def check_int(value: Any, name: str, expected: str = "an int") -> int:
    """``value`` if it is an int (a bool is not), else TypeError saying
    ``name`` must be ``expected``.

    >>> check_int(2.0, "max_paths")
    Traceback (most recent call last):
    TypeError: max_paths must be an int, not float
    """
    if type(value) is bool or not is_a(value, int):
        raise TypeError(f"{name} must be {expected}, not {kind_of(value)}")
    return value


def check_limit(value: Any, name: str = "limit") -> int | None:
    """None or an int >= 0 (objgraph's row limits), else TypeError or
    ValueError naming ``name``.

    >>> check_limit(-1)
    Traceback (most recent call last):
    ValueError: limit must be >= 0 or None, got -1
    """
    if value is None:
        return None
    check_int(value, name, "an int or None")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 or None, got {value}")
    return value


#: The most threads a default ``threads=None`` uses.
DEFAULT_MAX_THREADS = 8
#: Fewer idle CPUs than this: ``threads=None`` uses one thread.
MIN_IDLE_CPUS = 4


def check_threads(value: Any, name: str = "threads") -> int:
    """The threads a heap walk may use: an int >= 1, or None for the
    default (``default_threads()``); else TypeError or ValueError naming
    ``name``.

    >>> check_threads(0)
    Traceback (most recent call last):
    ValueError: threads must be >= 1 or None, got 0
    >>> 1 <= check_threads(None) <= DEFAULT_MAX_THREADS
    True
    """
    if value is None:
        return default_threads()
    check_int(value, name, "an int or None")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 or None, got {value}")
    return min(value, 1024)


def default_threads(cpus: int | None = None, load: float | None = None) -> int:
    """The threads ``threads=None`` means: the CPUs this process may run on
    that are idle (the 1-minute load average as the busy ones, the
    caller's own core counted as idle), up to ``DEFAULT_MAX_THREADS``, when
    there are at least ``MIN_IDLE_CPUS`` of them; else 1.  Threads pay
    only on idle cores, and on two of them the merge and the counting cost
    what the workers save (docs/DESIGN.md, "Threads"); a report is the
    same whatever the count.

    >>> default_threads(cpus=16, load=0.2), default_threads(cpus=16, load=14)
    (8, 1)
    >>> default_threads(cpus=2, load=0.0)
    1
    """
    import os

    if cpus is None:
        cpus = _usable_cpus()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    idle = min(int(cpus - load + 1), cpus)  # the caller's own core is idle
    return min(idle, DEFAULT_MAX_THREADS) if idle >= MIN_IDLE_CPUS else 1


def _usable_cpus() -> int:
    import os

    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(len(affinity(0)), 1)
        except OSError:
            pass
    return os.cpu_count() or 1


def check_max_paths(value: Any, name: str = "max_paths") -> int:
    """An int from 1 to sys.maxsize, else TypeError or ValueError naming
    ``name``.

    >>> check_max_paths(2**70)
    Traceback (most recent call last):
    ValueError: max_paths must be from 1 to sys.maxsize, got 2**70
    """
    check_int(value, name)
    if not 1 <= value <= sys.maxsize:
        raise ValueError(f"{name} must be from 1 to sys.maxsize, got {_shown(value)}")
    return value


def check_max_depth(value: Any, name: str = "max_depth") -> int:
    """-1 for None (no limit), else an int from 0 to sys.maxsize, else
    TypeError or ValueError naming ``name``.

    >>> check_max_depth(None), check_max_depth(3)
    (-1, 3)
    """
    if value is None:
        return -1
    check_int(value, name, "an int or None")
    if not 0 <= value <= sys.maxsize:
        raise ValueError(
            f"{name} must be from 0 to sys.maxsize or None, got {_shown(value)}"
        )
    return value


def _shown(value: int) -> str:
    """A huge int as a power of two when it is one, else its digits cut."""
    if value > 0 and value & (value - 1) == 0 and value.bit_length() > 64:
        return f"2**{value.bit_length() - 1}"
    text = (
        str(value)
        if value.bit_length() < 200
        else f"an int of {value.bit_length()} bits"
    )
    return text


def check_classes(value: Any, name: str) -> tuple[type, ...]:
    """A class or a non-empty tuple of classes, as an exact tuple.  Types
    are tested by their MRO: no metaclass ``__getattribute__``,
    ``__instancecheck__`` or ``__repr__`` runs, nor anything of a value that
    is not a class.

    >>> check_classes(int, "cls")
    (<class 'int'>,)
    >>> check_classes((int, 3), "cls")
    Traceback (most recent call last):
    TypeError: cls must be a class or a tuple of classes, not a tuple holding int
    """
    if is_a(value, tuple):
        classes = tuple.__getitem__(value, slice(None))  # exact, no __iter__
        if not classes:
            raise TypeError(f"{name} must be a class or a tuple of classes, not ()")
        for c in classes:
            if not is_a(c, type):
                raise TypeError(
                    f"{name} must be a class or a tuple of classes, "
                    f"not a tuple holding {kind_of(c)}"
                )
        return classes
    if not is_a(value, type):
        raise TypeError(
            f"{name} must be a class or a tuple of classes, not {kind_of(value)}"
        )
    return (value,)
