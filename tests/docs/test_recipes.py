"""The recipes of the documentation site: each script in examples/recipes
runs, and what it prints names the true root of its leak.  The site's build
shows the same output (docs/hooks/recipes.py runs the scripts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FREE_THREADED

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "examples" / "recipes"
PAGES = ROOT / "docs"

#: per recipe, lines (stripped of the tree's drawing) that its output must have
EXPECTED = {
    "lru_cache_method.py": [
        "__main__.Widget at 0x",
        "<cache key> in lru_cache Widget.style",
        ".style of class __main__.Widget",
        "__main__.Widget  (root: module global)",
    ],
    "logging_handlers.py": [
        "__main__.Session at 0x",
        ".session of __main__.SessionLogHandler",
        "[0] in list",
        ".handlers of logging.Logger",
        "['app.db'] in dict",
        ".loggerDict of logging.Manager",
        "logging.Logger  (root: module global)",
    ],
    "asyncio_tasks.py": [
        "__main__.Connection at 0x",
        "<local 'connection'> of coroutine keep_alive",
        ".get_coro() of _asyncio.Task",
        "._scheduled of asyncio.unix_events._UnixSelectorEventLoop",
    ],
    "thread_locals.py": [
        "__main__.Request at 0x",
        "<attributes in thread 'MainThread'>.request of _thread._local",
        "__main__._state  (root: module global)",
    ],
    "contextvars_leak.py": [
        "__main__.User at 0x",
        "<value of ContextVar 'current_user'> of _contextvars.Context",
        "<context> of MainThread  (root: thread state)",
    ],
    "stored_traceback.py": [
        "__main__.Image at 0x",
        "<local 'image'> of frame render",
        ".tb_frame of traceback",
        ".tb_next of traceback",
        ".__traceback__ of ValueError",
        "__main__.LAST_ERROR  (root: module global)",
    ],
    "pyplot_figures.py": [
        "matplotlib.figure.Figure at 0x",
        ".figure of matplotlib.backends.backend_agg.FigureCanvasAgg",
        ".figs of class matplotlib._pylab_helpers.Gcf",
        "matplotlib._pylab_helpers.Gcf  (root: module global)",
    ],
    "report_formats.py": [
        "<whyalive.Report: __main__.Page at 0x",
        "held by __main__.CACHE['home'][0] (module global)>",
        "whyalive.report/1 __main__.CACHE['home'][0]",
        "round trip gives the same JSON: True",
        "list -> __main__.Page  label=[0]",
        "dict -> list  label=['home']",
        "dict is held by a root: __main__.CACHE (root: module global)",
        "3 foldable entries, 1 root marked",
    ],
    "snapshot_files.py": [
        "$ whyalive snapshot thumbnail_cache.py -o heap.whyalive",
        "served 40 thumbnails",
        "whyalive: wrote heap.whyalive: ",
        "2.6 MB  __main__._CACHE  (dict, ",
        "dict at 0x",
        "__main__._CACHE  (root: module global)",
        "__main__.Thumbnail  +30 objects  +",
        "why the first 5 new Thumbnail objects are alive",
        # the first new ones: the oldest on a GIL build, whose collector
        # keeps allocation order; 3.13t lists its heaps in their own order
        ".jpg'] in dict  [2.6 MB]"
        if FREE_THREADED
        else "['photo-10.jpg'] in dict  [2.6 MB]",
        "thumbnail_cache.py: not a whyalive heap snapshot",
        "(exit status 2)",
    ],
    "numpy_views.py": [
        "numpy.ndarray at 0x",
        ".base of numpy.ndarray",
        "['sales'] in dict",
        "__main__.HEADERS  (root: module global)",
    ],
}

NEEDS = {
    "pyplot_figures.py": "matplotlib",
    "numpy_views.py": "numpy",
    "report_formats.py": "networkx",
}

DRAWING = re.compile(r"^[\s│├└─]*")


def output_lines(script: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(RECIPES / script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return [DRAWING.sub("", line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_recipe_names_the_root(script):
    if script in NEEDS:
        pytest.importorskip(NEEDS[script])
    lines = output_lines(script)
    text = "\n".join(lines)
    for expected in EXPECTED[script]:
        assert any(expected in line for line in lines), (expected, text)
    # the root is named, not merely reached: nothing is left unexplained
    assert "no root found" not in text


def test_asyncio_recipe_roots_are_the_loop_running():
    """The roots are asyncio's own running frames (the event loop's methods,
    or asyncio.run's), the loop a local of each."""
    lines = output_lines("asyncio_tasks.py")
    roots = [line for line in lines if line.endswith("(root: running frame)")]
    assert roots and all(f"asyncio{os.sep}" in line for line in roots), lines


def test_every_recipe_has_a_page_and_every_page_a_recipe():
    scripts = {p.name for p in RECIPES.glob("*.py")}
    assert scripts == set(EXPECTED)
    shown = set()
    for page in PAGES.rglob("*.md"):
        text = page.read_text()
        for path in re.findall(r"^<!-- recipe: (\S+) -->$", text, re.M):
            assert (ROOT / path).is_file(), (page, path)
            shown.add(Path(path).name)
    assert scripts <= shown


def load_hook(name: str):
    """A module of docs/hooks, loaded by path (they are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"docs_hook_{name}", ROOT / "docs" / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hook_inserts_real_output_with_addresses_masked():
    pytest.importorskip("mkdocs")
    hook = load_hook("recipes")
    assert hook.mask("at 0x7f2926588990, id 0x10") == "at 0x…, id 0x10"
    page = "Intro\n<!-- recipe: examples/recipes/stored_traceback.py -->\nEnd\n"
    text = hook.expand(page, ROOT)
    assert text.startswith("Intro\n```python title=")
    assert "LAST_ERROR = error" in text  # the source
    assert "__main__.LAST_ERROR  (root: module global)" in text  # its output
    assert "0x…" in text and not re.search(r"0x[0-9a-f]{6,}", text)
    assert text.endswith("```\nEnd\n")
    # a marker inside a line is text, not a marker
    inline = "see `<!-- recipe: examples/recipes/x.py -->`\n"
    assert hook.expand(inline, ROOT) == inline


def test_hook_fails_the_build_when_a_recipe_fails(tmp_path):
    pytest.importorskip("mkdocs")
    from mkdocs.exceptions import PluginError

    hook = load_hook("recipes")
    (tmp_path / "broken.py").write_text("raise SystemExit('no')\n")
    with pytest.raises(PluginError, match=r"broken\.py failed"):
        hook.expand("<!-- recipe: broken.py -->\n", tmp_path)


def test_doctest_examples_become_code_blocks():
    pytest.importorskip("griffe")
    fence = load_hook("doctest_blocks").fence
    text = "Counts.\n\n>>> rows[0][1]\n3\n\nMore."
    assert fence(text) == "Counts.\n\n```pycon\n>>> rows[0][1]\n3\n```\n\nMore."
