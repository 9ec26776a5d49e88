"""Start-up autoload of DED's framework hooks (imported by ``ded_plugins_autoload.pth``).

LLaMA-Factory and lm-eval have no plugin discovery, so the wheel ships one ``.pth``
line that imports this module at interpreter start-up. It only puts a finder on
``sys.meta_path``; nothing of DED (or of the frameworks) is imported until the host
program itself imports one of the target modules in :data:`HOOKS`. Then, right after
that module has finished executing, the matching ``install(module)`` function runs.

Rules (start-up code runs inside every Python process of the environment):

* it must cost well under a millisecond: only ``os`` and ``sys``, which ``site`` has
  already imported, are used at start-up;
* it never raises into the host: every failure is recorded in :data:`STATUS` and
  logged at debug level (``logging`` is imported only then);
* ``DED_AUTOLOAD=0`` disables it entirely.

This is a top-level module rather than part of ``ded_plugins`` because importing the
package would cost milliseconds. ``ded_plugins.integrations.autoload_status()`` reads
:data:`STATUS` for ``ded doctor``.
"""

import os
import sys


# no "from __future__ import annotations" and no typing at run time: each costs a share of the
# start-up budget, so annotations naming Any are strings
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


#: target module -> "module:function" called with the target module once it is imported
HOOKS: dict[str, str] = {
    "llamafactory.data.loader": "ded_plugins.integrations.llamafactory.hook:install",
    "lm_eval.tasks": "ded_plugins.integrations.lm_eval.hook:install",
}

#: what happened: "enabled" (bool) and, per target, "waiting" | "installed" | "failed: ..."
STATUS: "dict[str, Any]" = {"enabled": False, "hooks": dict.fromkeys(HOOKS, "waiting")}


def _log_debug(message: str, *args: object) -> None:
    import logging  # only on the rare paths: logging costs milliseconds at start-up

    logging.getLogger("ded_plugins.autoload").debug(message, *args, exc_info=True)


def _run_installer(name: str, module: "Any") -> None:
    target = HOOKS[name]
    try:
        import importlib

        module_name, _, func_name = target.partition(":")
        getattr(importlib.import_module(module_name), func_name)(module)
        STATUS["hooks"][name] = "installed"
    except Exception as exc:  # a hook must never break the host program
        STATUS["hooks"][name] = f"failed: {type(exc).__name__}: {exc}"
        _log_debug("DED hook %s for %s not installed", target, name)


class _HookedLoader:
    """Wraps a target module's loader to run its installer after the module executed."""

    def __init__(self, loader: "Any", name: str) -> None:
        self._loader = loader
        self._name = name

    def __getattr__(self, attr: str) -> "Any":  # everything else behaves like the real loader
        return getattr(self._loader, attr)

    def create_module(self, spec: "Any") -> "Any":
        return self._loader.create_module(spec)

    def exec_module(self, module: "Any") -> None:
        # the module now carries our wrapper; give it back its real loader first
        try:
            module.__loader__ = self._loader
            if module.__spec__ is not None:
                module.__spec__.loader = self._loader
        except Exception:
            pass
        self._loader.exec_module(module)
        _run_installer(self._name, module)


class _PostImportFinder:
    """A ``sys.meta_path`` entry that answers only for the modules in :data:`HOOKS`."""

    def find_spec(self, fullname: str, path: "Any" = None, target: "Any" = None) -> "Any":
        if fullname not in HOOKS or STATUS["hooks"].get(fullname) != "waiting":
            return None
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _HookedLoader(spec.loader, fullname)  # type: ignore[assignment]
                    return spec
        except Exception:
            _log_debug("DED autoload could not wrap %s", fullname)
        return None


def install_hooks() -> None:
    """Put the finder on ``sys.meta_path`` (idempotent); run installers of modules already imported."""
    if os.environ.get("DED_AUTOLOAD", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    STATUS["enabled"] = True
    if not any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())
    for name in HOOKS:
        module = sys.modules.get(name)
        if module is not None and STATUS["hooks"][name] == "waiting":
            _run_installer(name, module)


try:
    install_hooks()
except Exception:  # start-up code never raises into the host
    pass
