"""A server-like script whose cache of thumbnails only grows: save its
heap when it ends, then ask the file what holds the memory.

    whyalive snapshot examples/thumbnail_cache.py -o heap.whyalive
    whyalive analyze heap.whyalive

With ``--checkpoints`` it saves a snapshot itself before and after a
second batch of requests, for ``whyalive analyze after.whyalive --diff
before.whyalive``.
"""

import sys


class Thumbnail:
    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.pixels = bytearray(size)


_CACHE: dict = {}


def thumbnail(name: str) -> Thumbnail:
    if name not in _CACHE:
        _CACHE[name] = Thumbnail(name, 64_000)
    return _CACHE[name]


def serve(first: int, last: int) -> None:
    for i in range(first, last):
        thumbnail(f"photo-{i}.jpg")


if "--checkpoints" in sys.argv:
    import whyalive

    serve(0, 10)
    whyalive.heap_snapshot().save("before.whyalive")
    serve(10, 40)
    whyalive.heap_snapshot().save("after.whyalive")
else:
    serve(0, 40)
print(f"served {len(_CACHE)} thumbnails")
