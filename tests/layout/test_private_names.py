"""No module of the package reaches into another's private names.

Each module's ``_name``s are its own: a name another module needs is
public in the module that owns the concept (docs/DESIGN.md says which).
Private modules (``_core``, ``_tool``, ``_checks``, ``_stack``) may be
imported; their public names are the package's internal interface.
"""

from __future__ import annotations

import ast
import pathlib

import whyalive

PACKAGE = pathlib.Path(whyalive.__file__).parent


def _modules() -> list[pathlib.Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(path: pathlib.Path) -> list[str]:
    """``module:line: what`` for each private name of another whyalive
    module that ``path`` imports or reads as ``alias._name``."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    aliases: dict[str, str] = {}  # local name -> whyalive module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node.level, node.module)
            if not source.startswith("whyalive"):
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                submodule = f"{source}.{alias.name}"
                if (PACKAGE.parent / submodule.replace(".", "/")).with_suffix(
                    ".py"
                ).exists() or (PACKAGE.parent / submodule.replace(".", "/")).is_dir():
                    aliases[local] = submodule  # a module: may be private
                elif alias.name == "_core" or submodule == "whyalive._core":
                    aliases[local] = submodule
                elif _is_private(alias.name) and source != module:
                    found.append(
                        f"{module}:{node.lineno}: from {source} import {alias.name}"
                    )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("whyalive") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _is_private(node.attr)
            and aliases[node.value.id] != module
        ):
            found.append(
                f"{module}:{node.lineno}: {aliases[node.value.id]}.{node.attr}"
            )
    return found


def test_no_module_uses_another_modules_private_names():
    found = [use for path in _modules() for use in private_uses(path)]
    assert found == []


def test_the_scan_finds_a_private_import_and_a_private_attribute(tmp_path):
    # the scan itself, on a module written to break the rule both ways
    fake = PACKAGE / "_layout_probe_never_shipped.py"
    assert not fake.exists()
    fake.write_text(
        "from .testing import _still_alive\n"
        "from . import report as _report\n"
        "from . import _core\n"
        "x = _report._TupleView\n"
        "y = _core.find_paths\n",
        encoding="utf-8",
    )
    try:
        found = private_uses(fake)
    finally:
        fake.unlink()
    assert [use.split(": ", 1)[1] for use in found] == [
        "from whyalive.testing import _still_alive",
        "whyalive.report._TupleView",
    ]
