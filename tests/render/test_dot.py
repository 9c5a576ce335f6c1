"""The DOT writer, the pictures of show_backrefs/show_refs/show_chain, and
Report.to_dot()."""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil

import pytest

import whyalive
from helpers import linked_chain
from whyalive import pictures
from whyalive.compat import objgraph as compat
from whyalive.refgraph import CALL_SLACK
from whyalive.render import dot, graphviz
from whyalive.render import text as TEXT
from whyalive.render.dot import DotEdge, DotGraph, DotNode, GraphvizNotFoundError


class Widget:
    pass


class Slotted:
    __slots__ = ("item",)


def backrefs(obj, **kw) -> str:
    out = io.StringIO()
    whyalive.show_backrefs(obj, output=out, **kw)
    return out.getvalue()


def refs(obj, **kw) -> str:
    out = io.StringIO()
    whyalive.show_refs(obj, output=out, **kw)
    return out.getvalue()


def node_keys(text: str) -> set[str]:
    """The objects and roots drawn (not the "N more" boxes)."""
    keys = set(re.findall(r"^  (\w+)\[label=", text, re.M))
    return {k for k in keys if not k.startswith("too_many_")}


def edges(text: str) -> list[tuple[str, str, str | None]]:
    found = []
    for src, dst, attrs in re.findall(r"^  (\w+) -> (\w+)(?: \[(.*)\])?;$", text, re.M):
        label = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs)
        found.append((src, dst, label.group(1) if label else None))
    return found


def key(obj) -> str:
    return f"o{id(obj)}"


# -------------------------------------------------------------- the writer


def test_quote_escapes_anything():
    assert dot.quote('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert dot.quote("\x00\x1f") == "\\\\x00\\\\x1f"
    assert dot.quote("é") == "é"


def test_gradient_and_attrs():
    assert dot.gradient((0, 0, 1), (0, 0, 0.3), 0, 0) == (0, 0, 1)
    assert dot.gradient((0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 1, 4) == (0.0, 0.0, 0.75)
    assert dot.node_attrs(None) == ""
    assert dot.node_attrs({"url": "x", "shape": "box", "skip": None}) == (
        ', shape="box", url="x"'
    )


def test_write_dot_shape():
    graph = DotGraph(
        [
            DotNode(
                "o1",
                ["Widget", "<Widget>"],
                0,
                start=True,
                edges=[DotEdge("o2", "o1", "['w']", 2), DotEdge("root0", "o1", None)],
                more=3,
            ),
            DotNode("o2", ["module", "app"], 1, kind="module", finalizer=True),
            DotNode("root0", ["frame"], 1, kind="root", attrs={"shape": "ellipse"}),
        ],
        max_depth=2,
        backwards=True,
    )
    assert dot.dot_text(graph) == (
        "digraph ObjectGraph {\n"
        "  node[shape=box, style=filled, fillcolor=white];\n"
        "  o1[fontcolor=red];\n"
        '  o1[label="Widget\\n<Widget>"];\n'
        '  o1[fillcolor="0,0,1"];\n'
        "  o2 -> o1 [label=\"['w']\",weight=2];\n"
        "  root0 -> o1;\n"
        "  too_many_o1->o1[color=red,style=dotted,len=0.25,weight=10];\n"
        '  too_many_o1[label="3 more backreferences",shape=box,height=0.25,'
        'color=red,fillcolor="0,1,0.65",fontsize=6];\n'
        "  too_many_o1[fontcolor=white];\n"
        '  o2[label="module\\napp"];\n'
        '  o2[fillcolor="0.3,1,0.65"];\n'
        "  o2->o2_has_a_del[color=red,style=dotted,len=0.25,weight=10];\n"
        '  o2_has_a_del[label="__del__",shape=doublecircle,height=0.25,'
        'color=red,fillcolor="0,.5,1",fontsize=6];\n'
        '  root0[label="frame", shape="ellipse"];\n'
        '  root0[fillcolor="0.1,0.6,0.65"];\n'
        "}\n"
    )


# ----------------------------------------------------------- show_backrefs


def test_backrefs_labels_keys_items_and_attributes():
    target = Widget()
    registry = {"w1": target, "again": target}
    listed = [None, target]
    slotted = Slotted()
    slotted.item = target
    text = backrefs(target, max_depth=1)
    found = edges(text)
    assert (key(registry), key(target), "['w1']") in found
    assert (key(registry), key(target), "['again']") in found  # both keys
    assert (key(listed), key(target), "[1]") in found
    assert (key(slotted), key(target), ".item") in found
    assert f"{key(target)}[fontcolor=red]" in text


def test_backrefs_folds_instance_dicts_into_attributes():
    class Holder:
        pass

    holder = Holder()
    holder.__dict__  # noqa: B018 - a real dict on every version
    target = Widget()
    holder.child = target
    text = backrefs(target, max_depth=2)
    assert (key(holder), key(target), ".child") in edges(text)
    assert key(holder.__dict__) not in node_keys(text)


def test_backrefs_draws_frame_locals_as_roots():
    target = Widget()
    out = io.StringIO()
    whyalive.show_backrefs(target, max_depth=1, output=out)
    text = out.getvalue()
    roots = [e for e in edges(text) if e[0].startswith("root")]
    assert roots == [("root0", key(target), "<local 'target'>")]
    label = re.search(r'  root0\[label="([^"]*)"', text).group(1)
    assert "test_backrefs_draws_frame_locals_as_roots" in label
    assert "MainThread" in label
    text = backrefs(target, max_depth=1, roots=False)
    assert not any(e[0].startswith("root") for e in edges(text))


def test_backrefs_draws_module_globals_as_the_module(module):
    module.REGISTRY = target = Widget()
    text = backrefs(target, max_depth=3, roots=False)
    mkey = key(module.__dict__)
    assert (mkey, key(target), ".REGISTRY") in edges(text)
    assert re.search(rf'  {mkey}\[label="module\\n{module.__name__}"\]', text)
    assert f'  {mkey}[fillcolor="0.3,1,' in text
    # a root: nothing is drawn above it
    assert not any(e[1] == mkey for e in edges(text))


def test_backrefs_too_many():
    target = Widget()
    holders = []
    for _ in range(8):
        holders.append([target])
    out = io.StringIO()
    whyalive.show_backrefs(
        target,
        max_depth=1,
        too_many=3,
        roots=False,
        extra_ignore=[id(holders)],
        output=out,
    )
    text = out.getvalue()
    tkey = key(target)  # (a comprehension using target would hold it in a cell)
    assert len([e for e in edges(text) if e[1] == tkey]) == 3
    assert "5 more backreferences" in text


def test_backrefs_filter_highlight_extra_info_attrs():
    target = Widget()
    kept, dropped = [target], (target,)
    text = backrefs(
        target,
        max_depth=1,
        roots=False,
        filter=lambda o: o is not dropped,
        highlight=lambda o: o is kept,
        extra_info=lambda o: f"id {id(o)}",
        extra_node_attrs=lambda o: {"URL": f"#{id(o)}"},
    )
    assert key(kept) in node_keys(text) and key(dropped) not in node_keys(text)
    assert f'  {key(kept)}[fillcolor="0.6,0.6,' in text
    assert f"id {id(target)}" in text
    assert f'URL="#{id(kept)}"' in text


def test_backrefs_never_shows_whyalive_itself():
    target = Widget()
    holder = [target]
    out = io.StringIO()
    whyalive.show_backrefs(target, max_depth=2, output=out)
    drawn = node_keys(out.getvalue())
    # the target, its holder, this frame (a root, drawn once), nothing else
    assert drawn - {key(target), key(holder)} == {"root0"}


def test_backrefs_refcounts():
    target = Widget()
    holder = [target]
    out = io.StringIO()
    whyalive.show_backrefs(target, max_depth=1, refcounts=True, roots=False, output=out)
    # this frame's local and the list (and before 3.11, the argument this
    # frame's call kept on its stack): the references the program holds
    expected = 2 + CALL_SLACK
    assert f"Widget [{expected}]" in out.getvalue()
    assert "list [1]" in out.getvalue()
    del holder


def test_backrefs_keeps_nothing_alive():
    import weakref

    target = Widget()
    ref = weakref.ref(target)
    backrefs(target, max_depth=2)
    del target
    assert ref() is None


# ---------------------------------------------------------------- show_refs


def test_refs_labels_and_too_many():
    data = {"name": [1, 2], "other": "x"}
    text = refs(data, max_depth=2)
    assert (key(data), key(data["name"]), "['name']") in edges(text)
    text = refs([list(range(7))], too_many=5)
    assert "2 more references" in text
    assert len(node_keys(text)) == 6


def test_refs_to_a_dot_file_says_where(tmp_path, capsys):
    path = tmp_path / "graph.dot"
    whyalive.show_refs([list(range(7))], too_many=5, filename=str(path))
    assert capsys.readouterr().out == f"Graph written to {path} (6 nodes)\n"
    assert path.read_text(encoding="utf-8").startswith("digraph ObjectGraph {")


def test_refs_quotes_any_key(tmp_path):
    all_the_chars = {chr(i): i for i in range(256)}
    text = refs(all_the_chars, too_many=600, max_depth=1)
    assert text.count(" -> ") == 256
    assert "['\\\\x00']" in text  # repr's escape, escaped for DOT


def test_output_and_filename_together_are_refused():
    with pytest.raises(ValueError, match="both output and filename"):
        whyalive.show_refs([], output=io.StringIO(), filename="x.dot")


def test_an_image_without_graphviz_names_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match="Graphviz"):
        whyalive.show_refs([], filename=str(tmp_path / "x.png"))
    assert "Graph written to" in capsys.readouterr().out


def test_no_viewer_no_renderer_leaves_the_dot_file(monkeypatch, capsys):
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: None)
    whyalive.show_refs([])
    out = capsys.readouterr().out
    assert "not found, not doing anything else" in out
    written = re.search(r"Graph written to (\S+)", out).group(1)
    assert os.path.exists(written)
    os.unlink(written)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("ext", ["png", "svg"])
def test_images_through_graphviz(tmp_path, capsys, ext):
    path = tmp_path / f"graph.{ext}"
    target = Widget()
    holder = {"t": target}
    whyalive.show_backrefs(target, filename=str(path))
    assert capsys.readouterr().out.endswith(f"Image generated as {path}\n")
    assert path.stat().st_size > 0
    del holder


# --------------------------------------------------------------- show_chain


def test_show_chain_draws_the_chain_only(module):
    module.DEEP = {"a": [Widget()]}
    target = module.DEEP["a"][0]
    chain = whyalive.find_backref_chain(target, whyalive.is_proper_module)
    out = io.StringIO()
    whyalive.show_chain(chain, output=out)
    text = out.getvalue()
    assert (key(module.DEEP["a"]), key(target), "[0]") in edges(text)
    assert (key(module.DEEP), key(module.DEEP["a"]), "['a']") in edges(text)
    assert (key(module.__dict__), key(module.DEEP), ".DEEP") in edges(text)
    assert not any(e[0].startswith("root") for e in edges(text))
    with pytest.raises(ValueError, match="non-empty chain"):
        whyalive.show_chain([])


def test_show_chain_of_a_long_chain_draws_each_link_once(module):
    """5,000 links: drawn from the chain's own references (one traversal
    of each object), every link with its label, module globals as the
    module; whyalive's and objgraph-compat's pictures agree."""
    tail = linked_chain(module, 5_000)
    chain = whyalive.find_backref_chain(
        tail, whyalive.is_proper_module, max_depth=6_000
    )
    assert len(chain) == 5_004 - 1
    out, theirs = io.StringIO(), io.StringIO()
    whyalive.show_chain(chain, output=out)
    compat.show_chain(chain, output=theirs)
    found = edges(out.getvalue())
    links = chain[2:]
    expected = [(key(a), key(b), ".nxt") for a, b in itertools.pairwise(links)]
    assert sorted(e for e in found if e[2] == ".nxt") == sorted(expected)
    assert (key(module.__dict__), key(module.HEAD), ".HEAD") in found
    assert len(found) == len(chain) - 2
    assert edges(theirs.getvalue()) == found
    del chain, tail


def test_show_chain_draws_what_the_level_walk_drew(module):
    """On a small heap with a branch and a cycle, the chain's picture is
    the one objgraph's walk (filtered to the chain's objects) draws."""
    target = Widget()
    inner = [target]
    inner.append(inner)  # a reference among the chain's objects
    module.KEEP = {"a": inner, "b": (inner,)}
    chain = whyalive.find_backref_chain(target, whyalive.is_proper_module)
    ours = io.StringIO()
    whyalive.show_chain(chain, output=ours)
    in_chain = {id(o) for o in chain}
    walked = io.StringIO()
    drawing = pictures.Drawing(
        max_depth=len(chain) - 1,
        filter=lambda o: id(o) in in_chain,
        output=walked,
        roots=False,
        cull=whyalive.is_proper_module,
    )
    pictures.draw([[chain[-1]]], drawing)
    assert sorted(edges(ours.getvalue())) == sorted(edges(walked.getvalue()))
    assert node_keys(ours.getvalue()) == node_keys(walked.getvalue())


# ----------------------------------------------------------- Report.to_dot


def test_to_dot_cuts_a_long_path_head_and_tail_like_the_text_tree(module):
    """A 3,000-reference path: its head and tail (the text tree's
    numbers), one dashed box for the middle, not a box per object."""
    tail = linked_chain(module, 3_000)
    report = whyalive.explain(tail)
    text = report.to_dot()
    found = edges(text)
    head, kept_tail = TEXT.HEAD_EDGES, TEXT.TAIL_EDGES
    longest = max(len(path.edges) for path in report.targets[0].paths)
    hidden = longest - head - kept_tail
    assert f"... {hidden:,} more references ..." in text
    elided = [e for e in found if e[0].startswith("elided")]
    assert len(elided) == 1
    # the drawn edges: head + tail references, the elided box's, the root's
    assert sum(1 for e in found if e[2] == ".nxt") == head + kept_tail
    assert text.count("\n") < 200
    assert (key(module.__dict__), key(module.HEAD), ".HEAD") not in found
    del tail, report


def test_report_to_dot(make_sample_report):
    report = make_sample_report()
    text = report.to_dot()
    assert text.startswith("digraph ObjectGraph {\n")
    assert f"o{0x7F00}[fontcolor=red]" in text
    found = edges(text)
    assert (f"o{0x10}", f"o{0x7F00}", "['w1']") in found
    assert (f"o{0x11}", f"o{0x10}", ".registry") in found
    roots = {src for src, _, _ in found if src.startswith("root")}
    assert len(roots) == 2
    assert "app.REGISTRY\\n(root: module global)" in text
    assert "(root: running frame)" in text
    assert "MainThread" in text


def test_report_to_dot_of_a_live_report():
    target = Widget()
    registry = {"w": target}
    text = whyalive.explain(target).to_dot()
    assert (key(registry), key(target), "['w']") in edges(text)


# ------------------------------------------------------------ hostile objects


def test_pictures_call_no_key_code_and_survive_hostile_classes():
    calls = []

    class Key:
        def __eq__(self, other):
            calls.append("__eq__")
            return self is other

        def __hash__(self):
            return 7

        def __repr__(self):
            calls.append("__repr__")
            return "Key()"

    class Meta(type):
        def __getattribute__(cls, name):
            if name in ("__mro__", "__name__", "__module__", "__dict__"):
                raise RuntimeError(f"hostile {name}")
            return super().__getattribute__(name)

    class Hostile(metaclass=Meta):
        def __repr__(self):
            raise ValueError("no repr")

    target = Hostile()
    key = Key()
    table = {key: target}
    calls.clear()
    text = backrefs(target, max_depth=1, roots=False)
    assert calls == []  # the dict key is named without running its code
    labels = [label for src, dst, label in edges(text) if src == f"o{id(table)}"]
    assert labels == [f"[<{Key.__qualname__} at {hex(id(key))}>]"]
    assert "Hostile\\n(unrepresentable)" in text
