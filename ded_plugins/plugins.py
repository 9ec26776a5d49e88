"""The plugin manager: built-in plugins, then third-party ones from the ``ded`` entry points."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import pluggy

from ded_plugins import hookspecs
from ded_plugins.errors import PluginError
from ded_plugins.registry import KINDS, Register, Registry


__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "get_plugin_manager", "get_registry"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ded"

#: built-ins register through the same hooks as third-party plugins
DEFAULT_PLUGINS: tuple[str, ...] = (
    "ded_plugins.processors",
    "ded_plugins.selectors",
    "ded_plugins.exporters",
    "ded_plugins.rollouts",
    "ded_plugins.teacher",
    "ded_plugins.engine.executors",
)

_HOOK_FOR_KIND = {kind: f"ded_register_{kind}s" for kind in KINDS}


def get_plugin_manager(*, load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A fresh manager with the hookspecs, the built-ins and (optionally) installed plugins.

    ``DED_TRACE_PLUGINS=1`` prints every hook call to stderr.
    """
    import importlib

    pm = pluggy.PluginManager("ded")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must say which one it is
            raise PluginError(
                f"loading plugins of entry-point group {ENTRY_POINT_GROUP!r} failed: {exc}"
            ) from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
    if os.environ.get("DED_TRACE_PLUGINS", "") not in ("", "0"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def get_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """Call every registration hook of ``pm`` (default: a fresh manager) into a new registry."""
    pm = pm if pm is not None else get_plugin_manager()
    registry = Registry()
    for kind, hook_name in _HOOK_FOR_KIND.items():
        hook: Any = getattr(pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # registration order, built-ins first
            register = Register(registry, kind, impl.plugin_name)
            try:
                impl.function(register=register)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc}") from exc
    return registry
