"""Lazy imports: optional dependencies, with an error that names the extra to install, and a
package's heavy names, imported on first use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType

from ded_plugins.errors import MissingDependencyError


def require(module: str, extra: str, *, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and not module.startswith(exc.name) and exc.name != module:
            raise  # the module exists but one of *its* imports is broken: show that
        raise MissingDependencyError(module, extra, purpose=purpose) from exc


def lazy_names(package: str, sources: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name in ``sources`` is imported from its
    module on first use and kept in the package, so a light package can still offer them."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> object:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
