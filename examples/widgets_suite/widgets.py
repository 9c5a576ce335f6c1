"""A small GUI-like toolkit with two classic leaks.

- ``EventBus.subscribe`` keeps bound methods: a widget that subscribes and
  is never unsubscribed stays alive as ``handler.__self__``.
- ``style_for`` is memoized with ``functools.lru_cache``: the cache keeps
  every widget it was asked about.
"""

from __future__ import annotations

import functools


class EventBus:
    """Application-wide: handlers keyed by event name."""

    def __init__(self) -> None:
        self.handlers: dict[str, list] = {}

    def subscribe(self, event: str, handler) -> None:
        self.handlers.setdefault(event, []).append(handler)

    def unsubscribe(self, event: str, handler) -> None:
        self.handlers.get(event, []).remove(handler)


BUS = EventBus()


class Widget:
    def __init__(self, name: str) -> None:
        self.name = name
        self.clicks = 0

    def on_click(self) -> None:
        self.clicks += 1


@functools.lru_cache(maxsize=256)
def style_for(widget: Widget) -> str:
    return "bold" if widget.name.startswith("ok") else "plain"


class Dialog:
    """Owns its widgets; ``close()`` should let them all go."""

    def __init__(self) -> None:
        self.ok = Widget("ok")
        self.cancel = Widget("cancel")
        BUS.subscribe("click", self.ok.on_click)

    def close(self, unsubscribe: bool = True) -> None:
        if unsubscribe:
            BUS.unsubscribe("click", self.ok.on_click)
        self.ok = self.cancel = None
