"""Area packages whose public names load on first use (:pep:`562`).

An area package (``matcher.engine``, ``matcher.sessions``, ...) offers the public names of its
modules (each module's ``__all__``) as its own: ``from matcher.sessions import Session``. The
modules are imported only when one of their names is asked for, in the order the package lists
them, so that importing one module (the session model) does not load its neighbours (the
agenda's solver and its OR-Tools). ``__all__`` of the package is the union of its modules',
computed when first read (``from matcher.engine import *``, ``dir()``).

:func:`lazy_module` does the same for one library a module uses only inside its functions
(pandas for :mod:`matcher.profiles`): importing the module does not import the library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["lazy_module", "lazy_package"]


def lazy_package(
    package: str, modules: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package named `package` whose public modules are
    `modules` (names relative to it, cheapest first)."""
    if isinstance(modules, str):
        raise TypeError(f"Got modules={modules!r}, expected a sequence of module names")

    def public_names(module: str) -> tuple[Any, list[str]]:
        loaded = importlib.import_module(f".{module}", package)
        return loaded, list(getattr(loaded, "__all__", ()))

    def __getattr__(name: str) -> Any:
        namespace = vars(importlib.import_module(package))
        if name == "__all__":
            names = sorted({n for module in modules for n in public_names(module)[1]})
            namespace["__all__"] = names
            return names
        if not name.startswith("_"):
            for module in modules:
                loaded, names = public_names(module)
                if name in names:
                    value = namespace[name] = getattr(loaded, name)
                    return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(__getattr__("__all__")))

    return __getattr__, __dir__


class _LazyModule:
    """Stands for the module it names and imports it when one of its attributes is first read;
    the module's names are then copied onto it, so that later reads cost what reading a
    module's attribute does (a name the module gains later is still found, through it)."""

    def __init__(self, name: str):
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__dict__["_lazy_name"])
        self.__dict__.update(vars(module))
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_name']!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module `name` (``pd = lazy_module("pandas")``) that imports it when
    one of its attributes is first read: a module that only uses a library inside functions
    can be imported without it (type hints naming it are never evaluated, with ``from
    __future__ import annotations``)."""
    return _LazyModule(name)
