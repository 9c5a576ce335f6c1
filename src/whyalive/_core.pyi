"""Type stubs for whyalive._core, the C core.  Shapes as in its docstrings."""

from typing import Any

_Edge = tuple[str, int, str, str, str]
"""(referrer_type, referrer_id, label, kind, referrer_name)"""

_Root = tuple[str, str, tuple[Any, ...]]
"""(kind, name, detail); detail by kind:
module (module_name, global_name); frame (function, filename, lineno,
thread_id, slot, depth); thread (thread_id,); external (refcount, seen,
unseen); garbage (hops,); excluded (); unreached (limit,)."""

_Path = tuple[_Root, tuple[_Edge, ...], int]
"""(root, edges from the target outward, length)"""

_Target = tuple[int, str, str, int, int, int, str, list[_Path], int]
"""(id, type_name, name, refcount, seen, unseen, status, paths, omitted)"""

_Stats = tuple[int, int, int, int, float, float, float]
"""(nodes, edges, threads, frames, index_seconds, search_seconds, total_seconds)"""

def find_paths(
    targets: tuple[Any, ...],
    excluded_objects: tuple[Any, ...],
    excluded_ids: tuple[int, ...],
    tool_prefix: str | None = None,
    instances_of: tuple[type, ...] | None = None,
    max_depth: int = -1,
    max_paths: int = 3,
    timeout: float = 0.0,
    stack_tables: dict[Any, bytes] | None = None,
    want_objects: bool = False,
) -> tuple[str | None, list[_Target], _Stats, list[Any] | None]: ...

def allocation_traceback(obj: Any, /) -> tuple[tuple[str, int], ...] | None: ...

def running_code() -> list[Any]: ...
