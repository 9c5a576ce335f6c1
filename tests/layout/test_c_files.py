"""The C core stays in files small enough to read: one concern each."""

import pathlib

CORE = pathlib.Path(__file__).resolve().parents[2] / "src" / "whyalive" / "_core"


def test_no_c_file_is_over_1000_lines():
    # headers count too: compat.h once held every version shim in 1,138 lines
    sources = sorted([*CORE.glob("*.c"), *CORE.glob("*.h")])
    assert sources, f"no C sources in {CORE}"
    lines = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in sources}
    assert {name: n for name, n in lines.items() if n > 1000} == {}
