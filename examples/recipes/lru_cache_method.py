"""lru_cache on a method: the cache is shared by the class, and its keys
hold every `self` it was called with, for as long as the class lives."""

import functools

import whyalive


class Widget:
    def __init__(self, name):
        self.name = name

    @functools.lru_cache(maxsize=128)  # noqa: B019 (the leak shown here)
    def style(self):
        return {"widget": self.name, "color": "red"}


def draw_once():
    widget = Widget("dialog")
    widget.style()  # the cache now holds this widget, as part of a key


draw_once()
print(whyalive.explain_instances(Widget))
