"""An exception kept for later: its traceback keeps the frames it went
through, and their locals, alive."""

import whyalive

LAST_ERROR = None


class Image:
    def __init__(self, size):
        self.pixels = bytearray(size)


def render(size):
    image = Image(size)
    raise ValueError(f"cannot render {len(image.pixels)} bytes")


def render_safely(size):
    global LAST_ERROR
    try:
        render(size)
    except ValueError as error:
        LAST_ERROR = error  # kept for a status page


render_safely(1_000_000)
print(whyalive.explain_instances(Image))
