"""Renderers: each consumes a :class:`whyalive.Report`, never the heap."""

from .text import render_report, render_target

__all__ = ["render_report", "render_target"]
