"""The words of whyalive's reports, spelled once for Python.

The C core writes these names into its results (``_core.vocabulary()``
returns its own spelling, in the order of its enums); the tests hold the
two equal, so a name changed on one side fails the suite instead of
silently never matching.  How a name is phrased for people is
:mod:`whyalive.render.words`'s business.

>>> ROOT_KINDS[0], STATUSES[0], PHASES[0]
('module', 'rooted', 'listing')
"""

from __future__ import annotations

__all__ = [
    "EDGE_KINDS",
    "FRAME_SLOTS",
    "INTERPRETER_HOLDERS",
    "PHASES",
    "ROOT_KINDS",
    "STATUSES",
    "THREAD_FIELDS",
    "UNRESOLVED_STATUSES",
]

#: ``Root.kind``, in the order paths of equal length are listed.
ROOT_KINDS = (
    "module",  # a module's global
    "frame",  # a local (or other slot) of a running frame, any thread
    "thread",  # a field of a thread state
    "interpreter",  # what the interpreter holds for the program (atexit, ...)
    "external",  # held from outside the object graph (C code, ...)
    "garbage",  # cyclic garbage: the path is the cycle
    "excluded",  # only excluded objects or this call hold it
    "unreached",  # a limit stopped the search first
)

#: ``Target.status``.
STATUSES = (
    "rooted",  # reached from a module global, a frame, a thread state or
    # what the interpreter holds for the program (atexit, signal, ...)
    "external",  # only held from outside the object graph (C code, ...)
    "garbage",  # cyclic garbage: the next gc.collect() frees it
    "uncollectable",  # cyclic garbage the collector cannot free
    "unreferenced",  # only whyalive's own call and excluded objects hold it
    "depth_limit",  # no root within max_depth references
    "timeout",  # the time limit ran out before a root was found
)

#: Statuses of targets whose root a limit kept the search from finding.
UNRESOLVED_STATUSES = ("depth_limit", "timeout")

#: ``Root.slot`` of a frame root: what of the frame holds the object.
FRAME_SLOTS = (
    "local",
    "cell",
    "free",  # a free variable (closure cell of an enclosing function)
    "function",  # the function the frame runs
    "locals",  # its locals mapping (module and class bodies)
    "frame",  # its frame object
    "temporary",  # a value on its stack: an argument, an iterator, an operand
)

#: ``Root.name`` of a thread root: the field of the thread state.
THREAD_FIELDS = (
    "handled_exception",
    "handled_traceback",
    "raised_exception",
    "raised_traceback",
    "thread_dict",
    "async_exc",
    "context",
    "profiler",
    "tracer",
    "asyncgen_firstiter",
    "asyncgen_finalizer",
)

#: ``Root.holder`` of an interpreter root: what registered the object.
INTERPRETER_HOLDERS = (
    "atexit",
    "atexit_args",
    "atexit_kwargs",
    "signal_handler",
    "codec_search",
    "codec_cache",
    "codec_error",
    "audit_hook",
    "gc_callbacks",
    "gc_garbage",
    "fork_before",
    "fork_parent",
    "fork_child",
    "monitoring",
    "state_dict",
    "sys_dict",
    "builtins_dict",
    "sys_modules",
    "registry",
)

#: ``Stats.stopped_in``: the phases of a query, in order.
PHASES = (
    "listing",  # objects listed
    "indexing",  # objects indexed
    "searching",  # depth reached from the roots
    "searching_outside",  # depth reached from references outside the graph
    "choosing",  # targets whose paths are chosen
    "tracing_back",  # targets no root reaches, traced back
    "naming",  # targets whose paths are named
)

#: ``Edge.kind``: what a reference's label names.
EDGE_KINDS = (
    "key",
    "dict_key",
    "index",
    "element",
    "attr",
    "closure",
    "local",
    "referent",
)
