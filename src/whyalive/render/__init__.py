"""Renderers: each consumes a :class:`whyalive.Report`, never the heap.

One module per format, each with ``render(report, out, **options)``
writing to a text file object: :mod:`.text` (the tree), :mod:`.json`,
:mod:`.dot` (Graphviz DOT).  :mod:`.words` phrases objects, references
and roots for all of them; :mod:`.graphviz` turns DOT into images.

The formats are imported when first used (``report.py`` imports
:mod:`.words`, and the formats import ``report.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_report", "render_target"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import text

        return getattr(text, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
