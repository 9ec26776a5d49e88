"""What the start-up autoload did, for ``ded doctor``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import shutil
import sys
from importlib import metadata
from typing import Any


__all__ = ["EXTRAS", "VERSIONS", "autoload_status", "doctor_report"]


def autoload_status() -> dict[str, Any]:
    """``{"pth_loaded", "enabled", "disabled_by_env", "hooks": {target: {"installer", "state"}}}``.

    ``state`` is ``waiting`` (target not imported yet), ``installed``, or ``failed: <why>``.
    ``pth_loaded`` is false when the ``.pth`` start-up line did not run (package not
    installed as a wheel or editable, or ``python -S``); the status is then read from a
    fresh import of the autoload module, which installs nothing while disabled.
    """
    pth_loaded = "ded_plugins_autoload" in sys.modules
    import ded_plugins_autoload as autoload

    return {
        "pth_loaded": pth_loaded,
        "enabled": bool(autoload.STATUS["enabled"]),
        "disabled_by_env": os.environ.get("DED_AUTOLOAD", "1").strip().lower() in ("0", "false", "no", "off"),
        "hooks": {
            target: {"installer": installer, "state": autoload.STATUS["hooks"][target]}
            for target, installer in autoload.HOOKS.items()
        },
    }


#: extra -> modules whose presence means it is installed
EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("llamafactory", "torch", "transformers"),
    "eval": ("lm_eval",),
    "hf": ("datasets", "pyarrow"),
    "vllm": ("vllm",),
    "ray": ("ray",),
    "analysis": ("matplotlib", "transformers"),
}

#: distributions whose versions matter for reproducing a run
VERSIONS = (
    "ded-plugins",
    "llamafactory",
    "lm-eval",
    "torch",
    "transformers",
    "datasets",
    "vllm",
    "ray",
    "rapidfuzz",
    "sympy",
)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _hooks() -> dict[str, Any]:
    """What the start-up autoload reports, if that part is installed."""
    try:
        return autoload_status()
    except Exception as exc:  # doctor must report, not crash
        return {"error": repr(exc)}


def _llamafactory() -> dict[str, Any]:
    try:
        hook = importlib.import_module("ded_plugins.integrations.llamafactory.hook")
        describe = getattr(hook, "describe", None)
        return dict(describe()) if callable(describe) else {}
    except Exception as exc:
        return {"error": repr(exc)}


def doctor_report() -> dict[str, Any]:
    """Everything ``ded doctor`` reports, as data."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {d: _version(d) for d in VERSIONS},
        "extras": {extra: all(_has(m) for m in mods) for extra, mods in EXTRAS.items()},
        "bubblewrap": shutil.which("bwrap"),
        "autoload": _hooks(),
        "llamafactory_hook": _llamafactory(),
    }
