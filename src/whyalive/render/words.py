"""How whyalive names things for people: objects, references, roots.

The single place for phrasing: the report's views (``Target.describe``,
``Edge.describe``, ``Root.describe`` and ``Root.tag``), the text tree,
the JSON description fields and the pictures all ask here, so a root is
worded the same wherever it shows.  The words these phrases are made of
(kinds, statuses, slots) are :mod:`whyalive.vocab`'s.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "describe_cycle_heading",
    "describe_cycle_member",
    "describe_cycle_reference",
    "describe_edge",
    "describe_garbage_reason",
    "describe_object",
    "describe_retainer_row",
    "describe_root",
    "describe_size",
    "edge_run",
    "elided_references",
    "frame_slot_label",
    "interpreter_root_label",
    "root_tag",
    "thread_field_label",
    "thread_label",
]

#: How a line names an object the core named, by its type.
_NAMED_KINDS = {
    "function": "function",
    "method": "bound method",
    "builtin_function_or_method": "builtin",
    "module": "module",
    "code": "code",
    "frame": "frame",
    "generator": "generator",
    "coroutine": "coroutine",
    "async_generator": "async generator",
    "functools._lru_cache_wrapper": "lru_cache",
}


def describe_retainer_row(
    size: str, expression: str, type_name: str, count: int
) -> str:
    """One line of a snapshot's top retainers.

    >>> describe_retainer_row("8.1 MB", "app.CACHE.pages", "list", 81)
    '8.1 MB  app.CACHE.pages  (list, 81 objects)'
    """
    objects = "object" if count == 1 else "objects"
    return f"{size}  {expression}  ({type_name}, {count} {objects})"


#: Edge kinds whose label is a position inside the referrer.
_CONTAINER_KINDS = ("key", "dict_key", "index", "element")


def describe_object(type_name: str, name: str) -> str:
    """How a line of a report names an object of ``type_name`` called ``name``.

    >>> describe_object("function", "make.<locals>.cb")
    'function make.<locals>.cb'
    >>> describe_object("method", "Widget.on_click")
    'bound method Widget.on_click'
    >>> describe_object("app.Registry", "")
    'app.Registry'
    >>> describe_object("abc.ABCMeta", "app.Base")
    'class app.Base'
    """
    if not name:
        return type_name
    kind = _NAMED_KINDS.get(type_name)
    if kind is None:
        # the core names only the kinds above and classes (of any metaclass)
        return f"class {name}"
    return f"{kind} {name}"


def describe_edge(label: str, kind: str, referrer_type: str, referrer_name: str) -> str:
    """A reference as a line of a path: ``['w1'] in dict``,
    ``.registry of app.Registry``.

    >>> describe_edge("['w1']", "key", "dict", "")
    "['w1'] in dict"
    >>> describe_edge(".registry", "attr", "app.Registry", "")
    '.registry of app.Registry'
    """
    if kind == "referent":  # "<referent #k of Type>" names its holder
        return label
    container = kind in _CONTAINER_KINDS
    preposition = "in" if container and not label.startswith(".") else "of"
    return f"{label} {preposition} {describe_object(referrer_type, referrer_name)}"


def describe_cycle_heading(
    count: int, type_counts: list[tuple[str, int]], freed: bool, generation: int
) -> str:
    """The first line of a reference cycle the collector found.

    >>> describe_cycle_heading(3, [("app.Node", 2), ("list", 1)], True, 0)
    'cycle of 3 objects (app.Node x2, list), freed by a collection of generation 0'
    >>> describe_cycle_heading(1, [("app.Fin", 1)], False, 2).split(", ")[1]
    'not freed: left in gc.garbage by a collection of generation 2'
    """
    objects = "object" if count == 1 else "objects"
    types = ", ".join(name if n == 1 else f"{name} x{n}" for name, n in type_counts)
    fate = "freed by" if freed else "not freed: left in gc.garbage by"
    by = f"a collection of generation {generation}"
    return f"cycle of {count} {objects} ({types}), {fate} {by}"


#: What a cycle's member is flagged with, by cause.
_CYCLE_FLAGS = (
    ("legacy", "tp_del: the collector cannot free it"),
    ("finalizer", "__del__"),
    ("weakref_callback", "weak reference with a callback"),
)


def describe_cycle_member(
    number: int, type_name: str, name: str, flags: tuple[str, ...]
) -> str:
    """A member of a cycle, numbered so that its references can point
    at it, with what runs when it is freed.

    >>> describe_cycle_member(1, "app.Node", "", ())
    '#1 app.Node'
    >>> describe_cycle_member(2, "app.Fin", "", ("finalizer",))
    '#2 app.Fin (__del__)'
    """
    text = f"#{number} {describe_object(type_name, name)}"
    said = [words for flag, words in _CYCLE_FLAGS if flag in flags]
    if "legacy" in flags:
        said = said[:1]  # tp_del is the finalizer
    return f"{text} ({'; '.join(said)})" if said else text


def describe_cycle_reference(label: str, number: int) -> str:
    """A reference from one member of a cycle to another.

    >>> describe_cycle_reference(".peer", 2)
    '.peer -> #2'
    """
    return f"{label} -> #{number}"


def describe_garbage_reason(
    legacy: bool, holder: str | None, saved_by_debug: bool
) -> str:
    """Why an object sits in ``gc.garbage``.

    >>> describe_garbage_reason(True, None, False)
    'it has a legacy finalizer (tp_del), so the collector cannot free its cycle'
    >>> describe_garbage_reason(False, "#1 app.Legacy", False)
    'it is reachable from #1 app.Legacy, which has a legacy finalizer (tp_del)'
    """
    if legacy:
        return (
            "it has a legacy finalizer (tp_del), so the collector cannot free its cycle"
        )
    if holder is not None:
        return f"it is reachable from {holder}, which has a legacy finalizer (tp_del)"
    if saved_by_debug:
        return "gc.DEBUG_SAVEALL is set: the collector saves all the garbage it finds"
    return "not garbage the collector found: the program put it there"


def elided_references(count: int) -> str:
    """What stands for the middle of a long path, cut head and tail (the
    text tree and the DOT picture).

    >>> elided_references(99_964)
    '... 99,964 more references ...'
    """
    return f"... {count:,} more references ..."


def describe_size(size: int) -> str:
    """A number of bytes as a person reads it: ``512 B``, ``8.1 kB``,
    ``8.1 MB`` (powers of 1000, one decimal above a kilobyte).

    >>> describe_size(512), describe_size(8_100), describe_size(8_148_000)
    ('512 B', '8.1 kB', '8.1 MB')
    """
    if size < 1000:
        return f"{size} B"
    value = float(size)
    unit = "B"
    for unit in ("kB", "MB", "GB", "TB"):  # noqa: B007 (the unit it stops at)
        value /= 1000
        if value < 999.95:
            break
    return f"{value:.1f} {unit}"


#: What ends the label of a run of references.
RUN_MARK = "\N{MULTIPLICATION SIGN}"


def edge_run(label: str, count: int) -> str:
    """A run of ``count`` identical references, as one label.

    >>> edge_run(".next", 300)
    '.next ×300'
    """
    return f"{label} {RUN_MARK}{count}"


def thread_label(thread_id: int, thread_name: str | None) -> str:
    """A thread, by its name when Python knows one.

    >>> thread_label(0x10, "MainThread"), thread_label(0x10, None)
    ('MainThread', 'thread 0x10')
    """
    return thread_name or f"thread {thread_id:#x}"


def frame_slot_label(slot: str | None, name: Any) -> str:
    """What of a frame holds the object, as the root's first words:
    ``<local 'x'>``, ``<free variable 'x'>``, ``<temporary>``, or the
    name the core gave the slot (``<function>``, ``<locals>``, ``<frame>``).

    >>> frame_slot_label("cell", "x"), frame_slot_label("temporary", None)
    ("<local 'x'>", '<temporary>')
    """
    if slot in ("local", "cell"):
        return f"<local '{name}'>"
    if slot == "free":
        return f"<free variable '{name}'>"
    if slot == "temporary" or name is None:
        return f"<{slot}>"
    return str(name)


def thread_field_label(field: str) -> str:
    """A thread-state field as a root: ``<handled exception>``.

    >>> thread_field_label("handled_exception")
    '<handled exception>'
    """
    return f"<{field.replace('_', ' ')}>"


#: An interpreter root by its holder (``vocab.INTERPRETER_HOLDERS``): the
#: words, with ``{n}`` the callback's number (from 1), ``{i}`` its index.
_INTERPRETER_WORDS = {
    "atexit": "atexit callback #{n}",
    "atexit_args": "arguments of atexit callback #{n}",
    "atexit_kwargs": "keyword arguments of atexit callback #{n}",
    "codec_search": "codec search function #{n}",
    "audit_hook": "audit hook #{n}",
    "gc_callbacks": "gc.callbacks[{i}]",
    "gc_garbage": "gc.garbage[{i}]",
    "fork_before": "at-fork callback #{n} (before)",
    "fork_parent": "at-fork callback #{n} (after in parent)",
    "fork_child": "at-fork callback #{n} (after in child)",
    "state_dict": "interpreter state dict",
    "sys_dict": "sys.__dict__",
    "builtins_dict": "builtins.__dict__",
    "sys_modules": "sys.modules",
}

#: Registries keyed by name: the words with the key, and without one.
_KEYED_WORDS = {
    "codec_cache": ("cached codec {key!r}", "cached codec #{n}"),
    "codec_error": ("codec error handler {key!r}", "codec error handler #{n}"),
}


def _signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _monitoring_event_name(event: int) -> str:
    import sys

    events = getattr(getattr(sys, "monitoring", None), "events", None)
    for name, bit in sorted(vars(events).items() if events else ()):
        if isinstance(bit, int) and bit == 1 << event:
            return name
    return f"event {event}"


def interpreter_root_label(holder: str, index: int, key: str | None) -> str:
    """What the interpreter holds, as a person would write it, from an
    interpreter root's detail: the holder (:data:`whyalive.vocab.INTERPRETER_HOLDERS`),
    the position (a signal's number; ``tool * 32 + event`` for
    ``sys.monitoring``) and the registry's key (a codec's or tool's name).

    >>> interpreter_root_label("atexit", 1, None)
    'atexit callback #2'
    >>> interpreter_root_label("signal_handler", 2, None)
    'signal handler for SIGINT'
    >>> interpreter_root_label("codec_error", 0, "strict")
    "codec error handler 'strict'"
    """
    if holder == "signal_handler":
        return f"signal handler for {_signal_name(index)}"
    if holder == "monitoring":
        tool, event = divmod(index, 32)
        event_name = _monitoring_event_name(event)
        words = f"sys.monitoring callback for {event_name} of tool {tool}"
        return f"{words} {key!r}" if key is not None else words
    if holder in _KEYED_WORDS:
        with_key, without = _KEYED_WORDS[holder]
        return (with_key if key is not None else without).format(key=key, n=index + 1)
    words = _INTERPRETER_WORDS.get(holder)
    if words is None:
        return holder
    return words.format(n=index + 1, i=index)


def describe_root(root: Any) -> str:
    """The root line of a report, without its ``(root: ...)`` tag; ``root``
    is a :class:`whyalive.Root`.

    >>> from whyalive import Root
    >>> describe_root(Root(("module", "app.X", ("app", "X"))))
    'app.X'
    """
    kind = root.kind
    if kind == "module":
        return root.name
    if kind == "frame":
        where = f"{root.function} at {root.filename}:{root.lineno}"
        what = frame_slot_label(root.slot, root.name)
        thread = thread_label(root.thread_id, root.thread_name)
        outer = root.outer_frames
        if outer:  # the innermost of several frames that hold it alike
            noun = "frame" if outer == 1 else "frames"
            where = f"{root.function} and {outer} outer {noun} at "
            where += f"{root.filename}:{root.lineno}"
        return f"{what} of {where}, {thread}"
    if kind == "thread":
        thread = thread_label(root.thread_id, root.thread_name)
        return f"{thread_field_label(root.name)} of {thread}"
    if kind == "interpreter":
        return f"<{root.name}>"
    if kind == "external":
        return (
            f"refcount {root.refcount}, {root.seen} seen, "
            f"{root.unseen} from outside the object graph"
        )
    if kind == "garbage":
        return "cyclic garbage"
    if kind == "excluded":
        return "held only by excluded objects or by this call"
    if kind == "unreached":
        if root.name == "max_depth":
            return f"root not reached within max_depth={root.detail[0]}"
        return "root not reached before the time limit"
    return root.name


_TAGS = {
    "module": "module global",
    "frame": "running frame",
    "thread": "thread state",
    "interpreter": "held by the interpreter",
    "external": "held from outside the object graph",
    "excluded": "none",
    "unreached": "not found",
}


def root_tag(root: Any) -> str:
    """The ``(root: ...)`` tag of a root line.

    >>> from whyalive import Root
    >>> root_tag(Root(("garbage", "collectable", ())))
    'gc.collect() frees it'
    """
    if root.kind == "garbage":
        if root.collectable:
            return "gc.collect() frees it"
        return "uncollectable: gc.collect() cannot free it"
    return _TAGS.get(root.kind, root.kind)
