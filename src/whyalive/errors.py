"""The exceptions whyalive raises of its own (bad arguments raise the
built-in TypeError and ValueError, naming the parameter).
"""

from __future__ import annotations

__all__ = ["GraphvizNotFoundError"]


class GraphvizNotFoundError(RuntimeError):
    """An image was asked for, and Graphviz's ``dot`` program is missing.

    Also importable from :mod:`whyalive.render.dot`, its first home.

    >>> from whyalive.render.dot import GraphvizNotFoundError as old
    >>> old is GraphvizNotFoundError
    True
    """
