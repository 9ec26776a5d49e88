"""Lazy imports of optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
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
