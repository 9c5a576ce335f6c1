"""Names of classes, read without running user code and copied into
plain ``str`` objects.

A class's ``__name__``, ``__qualname__`` and ``__module__`` can be
instances of a ``str`` subclass, and a metaclass can override them with
properties.  Names here are read through ``type``'s own descriptors (no
metaclass code runs) and copied by ``str.__str__``, which returns an
exact ``str`` without calling the subclass's methods; so formatting,
hashing or comparing them later runs no user code, and nothing whyalive
returns keeps the user's object.
"""

from __future__ import annotations

from typing import Any

__all__ = ["exact_str", "qualname", "type_name", "type_qualname"]

_NAME = type.__dict__["__name__"].__get__
_QUALNAME = type.__dict__["__qualname__"].__get__
_MODULE = type.__dict__["__module__"].__get__


def exact_str(value: Any, fallback: str = "") -> str:
    """``value`` as an exact ``str`` if it is a ``str`` (of any subclass),
    else ``fallback``; no method of ``value``'s class runs.

    >>> class Loud(str):
    ...     def __str__(self): raise RuntimeError
    >>> type(exact_str(Loud('x'))), exact_str(3, '?')
    (<class 'str'>, '?')
    """
    if issubclass(type(value), str):
        return str.__str__(value)
    return fallback


def type_name(tp: type, qualified: bool = True) -> str:
    """``module.Name`` (``Name`` alone when not ``qualified`` or when the
    module is not a non-empty str), as objgraph spells a class.

    >>> type_name(dict), type_name(dict, qualified=False)
    ('builtins.dict', 'dict')
    """
    name = exact_str(_NAME(tp), "?")
    if not qualified:
        return name
    module = exact_str(_MODULE(tp))
    return f"{module}.{name}" if module else name


def qualname(tp: type) -> str:
    """The class's ``__qualname__`` alone.

    >>> qualname(dict)
    'dict'
    """
    return exact_str(_QUALNAME(tp), "?")


def type_qualname(tp: type, builtins: bool = True) -> str:
    """``module.QualName``; the qualified name alone for builtins unless
    ``builtins``.

    >>> class Outer:
    ...     class Inner: pass
    >>> type_qualname(Outer.Inner, builtins=False).endswith('Outer.Inner')
    True
    >>> type_qualname(int, builtins=False)
    'int'
    """
    name = qualname(tp)
    module = exact_str(_MODULE(tp))
    if not module or (module == "builtins" and not builtins):
        return name
    return f"{module}.{name}"
