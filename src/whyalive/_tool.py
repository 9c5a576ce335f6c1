"""What "whyalive itself" is, in one place.

A report never shows whyalive as a retainer: frames running code from
the package's directory (:data:`TOOL_PREFIX`) are its own, and so are the
containers a call builds.  Threads are named here too, because the core
knows thread ids only.
"""

from __future__ import annotations

import os
import sys
import threading
from types import FrameType

__all__ = [
    "TOOL_PREFIX",
    "is_own_frame",
    "outside_caller",
    "thread_names",
]

#: Frames running code from this directory are whyalive's own.
TOOL_PREFIX = os.path.dirname(__file__) + os.sep


def is_own_frame(frame: FrameType) -> bool:
    """Whether ``frame`` runs whyalive's own code.

    >>> import sys
    >>> is_own_frame(sys._getframe())
    False
    """
    return frame.f_code.co_filename.startswith(TOOL_PREFIX)


def outside_caller(depth: int = 1) -> FrameType | None:
    """The innermost frame outside whyalive, starting ``depth`` frames
    above the caller's; None when every frame is whyalive's.  The caller
    should drop the frame as soon as it is read: a frame held is a
    retainer.

    >>> import sys
    >>> outside_caller(0) is sys._getframe()
    True
    """
    frame: FrameType | None = sys._getframe(depth + 1)
    while frame is not None and is_own_frame(frame):
        frame = frame.f_back
    return frame


def thread_names() -> dict[int, str]:
    """{thread id: name} of the running Python threads.

    >>> import threading
    >>> thread_names()[threading.get_ident()] == threading.current_thread().name
    True
    """
    return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}
