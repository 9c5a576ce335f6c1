"""A widget that outlives its window: kept by a callback registry and a closure.

A small GUI-like application: widgets subscribe to an event bus and a
settings store.  Closing the window drops the window's widgets, yet one
of them stays alive.  whyalive says why:

    python examples/widget_leak.py
"""

from __future__ import annotations

import whyalive


class EventBus:
    """Application-wide: handlers keyed by event name."""

    def __init__(self) -> None:
        self.handlers: dict[str, list] = {}

    def subscribe(self, event: str, handler) -> None:
        self.handlers.setdefault(event, []).append(handler)


class Settings:
    """Application-wide: callbacks run when a setting changes."""

    def __init__(self) -> None:
        self.watchers: list = []

    def watch(self, callback) -> None:
        self.watchers.append(callback)


BUS = EventBus()
SETTINGS = Settings()


class Widget:
    def __init__(self, name: str) -> None:
        self.name = name

    def on_theme_changed(self, theme: str) -> None:
        print(f"{self.name}: theme is now {theme}")


class Window:
    def __init__(self) -> None:
        self.widgets = [Widget("ok-button"), Widget("cancel-button")]
        # Leak 1: a bound method keeps its widget (method.__self__).
        BUS.subscribe("theme-changed", self.widgets[0].on_theme_changed)
        # Leak 2: a closure keeps the widget it captured.
        label = self.widgets[1]
        SETTINGS.watch(lambda: print("font changed for", label.name))

    def close(self) -> None:
        self.widgets.clear()


def main() -> None:
    window = Window()
    window.close()
    del window
    # The window is gone; its widgets should be too.  Which are alive, and why?
    report = whyalive.explain_instances(Widget)
    print(report)


if __name__ == "__main__":
    main()
