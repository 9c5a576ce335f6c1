"""The C core and whyalive.vocab spell every name of a report the same."""

import pytest

from whyalive import _core, vocab

CORE = _core.vocabulary()


@pytest.mark.parametrize(
    ("core_name", "python_name"),
    [
        ("root_kinds", "ROOT_KINDS"),
        ("statuses", "STATUSES"),
        ("frame_slots", "FRAME_SLOTS"),
        ("thread_fields", "THREAD_FIELDS"),
        ("interpreter_holders", "INTERPRETER_HOLDERS"),
        ("phases", "PHASES"),
        ("edge_kinds", "EDGE_KINDS"),
    ],
)
def test_the_core_spells_each_name_as_vocab_does(core_name, python_name):
    assert CORE[core_name] == getattr(vocab, python_name)


def test_every_word_of_the_core_has_a_python_spelling():
    assert set(CORE) == {
        "root_kinds",
        "statuses",
        "frame_slots",
        "thread_fields",
        "interpreter_holders",
        "phases",
        "edge_kinds",
    }


def test_unresolved_statuses_are_statuses():
    assert set(vocab.UNRESOLVED_STATUSES) <= set(vocab.STATUSES)


def test_a_report_uses_only_the_vocabulary():
    import whyalive

    class Held:
        pass

    held = [Held()]
    report = whyalive.explain(held[0])
    (target,) = report.targets
    assert target.status in vocab.STATUSES
    for path in target.paths:
        assert path.root.kind in vocab.ROOT_KINDS
        if path.root.kind == "frame":
            assert path.root.slot in vocab.FRAME_SLOTS
        for edge in path.edges:
            assert edge.kind in vocab.EDGE_KINDS
    del held
