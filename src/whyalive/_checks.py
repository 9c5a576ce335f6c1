"""Argument checks shared by the public functions: each error names the
parameter and what it expected, and nothing is converted silently."""

from __future__ import annotations

from typing import Any


def check_bool(value: Any, name: str) -> bool:
    """``value`` if it is True or False, else TypeError naming ``name``.

    >>> check_bool(1, "collect")
    Traceback (most recent call last):
    TypeError: collect must be True or False, not int
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def check_int(value: Any, name: str, expected: str = "an int") -> int:
    """``value`` if it is an int (a bool is not), else TypeError saying
    ``name`` must be ``expected``.

    >>> check_int(2.0, "max_paths")
    Traceback (most recent call last):
    TypeError: max_paths must be an int, not float
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be {expected}, not {type(value).__name__}")
    return value


def check_classes(value: Any, name: str) -> tuple[type, ...]:
    """A class or a non-empty tuple of classes, as a tuple.

    >>> check_classes(int, "cls")
    (<class 'int'>,)
    """
    classes = value if isinstance(value, tuple) else (value,)
    if not classes or not all(isinstance(c, type) for c in classes):
        raise TypeError(
            f"{name} must be a class or a tuple of classes, not "
            f"{type(value).__name__}: {value!r:.60}"
        )
    return classes
