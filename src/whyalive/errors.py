"""The exceptions whyalive raises of its own (bad arguments raise the
built-in TypeError and ValueError, naming the parameter).
"""

from __future__ import annotations

__all__ = ["GraphvizNotFoundError", "SharedObjectWarning", "SnapshotFormatError"]


class GraphvizNotFoundError(RuntimeError):
    """An image was asked for, and Graphviz's ``dot`` program is missing.

    Also importable from :mod:`whyalive.render.dot`, its first home.

    >>> from whyalive.render.dot import GraphvizNotFoundError as old
    >>> old is GraphvizNotFoundError
    True
    """


class SharedObjectWarning(UserWarning):
    """A target is a singleton, an immortal object or a cached constant
    (``None``, ``True``, a small int, an interned str): the whole
    interpreter holds it, so its retainers are everyone's and say nothing
    about a leak.  ``explain(None)`` is usually a dead weak reference's
    result (``ref()``) passed on.

    >>> issubclass(SharedObjectWarning, UserWarning)
    True
    """


class SnapshotFormatError(ValueError):
    """A heap snapshot file is truncated, corrupt, of another format
    version, or not a snapshot at all: the message says what is wrong and
    where (the file, the section, the byte offset).

    >>> import whyalive
    >>> issubclass(whyalive.SnapshotFormatError, ValueError)
    True
    """
