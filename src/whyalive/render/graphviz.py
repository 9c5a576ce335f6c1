"""Graphviz itself: a DOT graph written to a file, turned into an image by
the ``dot`` program, or opened in the ``xdot`` viewer, as objgraph does.

:mod:`whyalive.render.dot` writes the text; this module is the only one
that starts programs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from typing import IO, Any

from ..errors import GraphvizNotFoundError
from .dot import DotGraph, dot_text, write_dot

__all__ = ["emit", "graph_nodes_count", "present"]


def _tell(message: str) -> None:
    print(message)


def present(
    dot_filename: str,
    filename: str | None = None,
    *,
    find_program: Callable[[str], Any] | None = None,
    popen: Callable[..., Any] | None = None,
    tell: Callable[[str], None] = _tell,
) -> None:
    """Turns the DOT file ``dot_filename`` into what ``filename`` asks for.

    ``filename`` ending in ``.dot`` (the same file): nothing to do.  Any
    other extension: ``dot -T<ext>`` makes it; without Graphviz this
    raises :class:`GraphvizNotFoundError`.  No filename: the ``xdot``
    viewer opens the graph, or else a PNG is made beside the DOT file, or
    else the DOT file is all there is (and ``tell`` says so).

    ``find_program``, ``popen`` and ``tell`` are seams for tests and for
    :mod:`whyalive.compat.objgraph`.
    """
    if filename == dot_filename:
        return
    find_program = find_program or shutil.which
    popen = popen or subprocess.Popen
    if not filename and find_program("xdot"):
        tell("Spawning graph viewer (xdot)")
        popen(["xdot", dot_filename], close_fds=True)
        return
    if not find_program("dot"):
        if not filename:
            tell(
                "Graph viewer (xdot) and image renderer (dot) not found,"
                " not doing anything else"
            )
            return
        raise GraphvizNotFoundError(
            f"cannot write {filename}: Graphviz's 'dot' program is not on PATH. "
            "Install Graphviz (https://graphviz.org/download/, e.g. "
            "'apt-get install graphviz' or 'brew install graphviz'), or ask "
            f"for a .dot file instead; the graph is in {dot_filename}"
        )
    if not filename:
        tell("Graph viewer (xdot) not found, generating a png instead")
        filename = dot_filename[:-4] + ".png"
    ext = os.path.splitext(filename)[1][1:] or "png"
    cmd = ["dot", "-T" + ext, "-o" + filename, dot_filename]
    process = popen(cmd, close_fds=False)
    process.wait()
    if process.returncode != 0:
        tell(
            f"dot failed (exit code {process.returncode}) while executing "
            f'"{" ".join(cmd)}"'
        )
    else:
        tell(f"Image generated as {filename}")


def graph_nodes_count(graph: DotGraph) -> int:
    """How many boxes ``graph`` draws (the "(N nodes)" of the message)."""
    return len(graph.nodes)


def emit(
    graph: DotGraph,
    *,
    filename: str | None = None,
    output: IO[str] | None = None,
    interactive: Callable[[str], Any] | None = None,
    presenter: Callable[[str, str | None], None] = present,
    tell: Callable[[str], None] = _tell,
) -> Any:
    """Sends ``graph`` where the caller asked, as objgraph's functions do.

    ``output``: the DOT text is written to that file object.  ``filename``
    ending in ``.dot``: written there.  ``interactive`` (IPython): its
    result for the DOT text is returned.  Otherwise a temporary ``.dot``
    file is written and ``presenter`` makes ``filename`` (an image) from
    it, or shows it.
    """
    import tempfile

    if filename and output:
        raise ValueError("Cannot specify both output and filename.")
    if output is not None:
        write_dot(graph, output)
        return None
    if interactive is not None and not filename:
        return interactive(dot_text(graph))
    if filename and filename.endswith(".dot"):
        dot_filename = filename
        with open(filename, "w", encoding="utf-8") as f:
            write_dot(graph, f)
    else:
        fd, dot_filename = tempfile.mkstemp(
            prefix="whyalive-", suffix=".dot", text=True
        )
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            write_dot(graph, f)
    tell(f"Graph written to {dot_filename} ({graph_nodes_count(graph)} nodes)")
    presenter(dot_filename, filename)
    return None
