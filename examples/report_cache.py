"""A script that knows nothing of whyalive and leaks: run it under
``whyalive run`` to see what keeps its reports alive.

    whyalive run examples/report_cache.py --watch Report
"""

import functools
import sys


class Report:
    def __init__(self, title: str) -> None:
        self.title = title

    @functools.cache  # noqa: B019  (the leak this shows)
    def render(self, width: int) -> str:
        return self.title.center(width)


HISTORY: list = []


def build(title: str) -> str:
    report = Report(title)
    text = report.render(40)
    if title.startswith("!"):
        HISTORY.append(report)
    return text


for title in sys.argv[1:] or ["daily", "!urgent"]:
    print(build(title))
