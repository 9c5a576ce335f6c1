"""whyalive: why is this Python object still alive?

It names every reference from a root (a module global, a local of a
running frame in any thread, a reference from C code outside the object
graph) down to the object, as code would name it, in one walk of the
heap done by a C core::

    >>> import whyalive
    >>> print(whyalive.explain(obj))                     # doctest: +SKIP
    app.Widget at 0x7f...
    ├── ['w1'] in dict
    │   └── .registry of app.Registry
    │       └── app.REGISTRY  (root: module global)
    └── ...
"""

import sysconfig as _sysconfig
import warnings as _warnings

try:
    if _sysconfig.get_config_var("Py_GIL_DISABLED"):
        # 3.13t: loading the core turns the GIL on (it declares
        # Py_MOD_GIL_USED: a walk needs the other threads stopped), as the
        # README says; CPython's RuntimeWarning saying it once more would
        # be a second line on every command's output
        with _warnings.catch_warnings():
            _warnings.filterwarnings(
                "ignore",
                message=r"The global interpreter lock \(GIL\) has been enabled "
                r"to load module 'whyalive\._core'",
                category=RuntimeWarning,
            )
            from . import _core
    else:
        from . import _core
except ImportError as _exc:
    if "subinterpreter" not in str(_exc):
        raise
    raise ImportError(
        "whyalive cannot be imported in a subinterpreter with its own GIL: "
        "a walk borrows GC header words of objects all interpreters share; "
        "use it in the main interpreter or in one that shares its GIL"
    ) from _exc

if not hasattr(_core, "find_paths"):  # a source tree without the built extension
    raise ImportError(
        "whyalive's C core (whyalive._core) is not built for this Python; "
        "install the package with 'pip install .' or build it in place with "
        "'python setup.py build_ext --inplace'"
    )

from .census import (
    LeakingObject,
    at,
    at_addrs,
    by_type,
    count,
    get_leaking_objects,
    get_new_ids,
    growth,
    leaking_objects,
    most_common_types,
    show_growth,
    show_most_common_types,
    typestats,
    typestats_diff,
)
from .cycles import (
    CycleLog,
    CycleMember,
    CycleReference,
    GarbageCycle,
    GarbageEntry,
    GarbageReport,
    cycles,
    explain_garbage,
)
from .errors import SnapshotFormatError
from .pictures import show_backrefs, show_chain, show_refs
from .query import explain, explain_instances
from .refgraph import find_backref_chain, find_ref_chain, is_proper_module
from .report import Edge, Report, RetainerPath, Root, Stats, Target
from .snapshot import (
    HeapSnapshot,
    RetainerRow,
    SnapshotDiff,
    SnapshotNode,
    TypeDelta,
    heap_snapshot,
    load_snapshot,
    retained_size,
)
from .testing import (
    Snapshot,
    assert_freed,
    assert_no_instances,
    collect_young_first,
    expect_freed,
    gc_collect_once,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "CycleLog",
    "CycleMember",
    "CycleReference",
    "Edge",
    "GarbageCycle",
    "GarbageEntry",
    "GarbageReport",
    "HeapSnapshot",
    "LeakingObject",
    "Report",
    "RetainerPath",
    "RetainerRow",
    "Root",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotFormatError",
    "SnapshotNode",
    "Stats",
    "Target",
    "TypeDelta",
    "__version__",
    "assert_freed",
    "assert_no_instances",
    "at",
    "at_addrs",
    "by_type",
    "collect_young_first",
    "count",
    "cycles",
    "expect_freed",
    "explain",
    "explain_garbage",
    "explain_instances",
    "find_backref_chain",
    "find_ref_chain",
    "gc_collect_once",
    "get_leaking_objects",
    "get_new_ids",
    "growth",
    "heap_snapshot",
    "is_proper_module",
    "leaking_objects",
    "load_snapshot",
    "most_common_types",
    "retained_size",
    "show_backrefs",
    "show_chain",
    "show_growth",
    "show_most_common_types",
    "show_refs",
    "typestats",
    "typestats_diff",
]
