"""What the start-up autoload did, for ``ded doctor``."""

from __future__ import annotations

import os
import sys
from typing import Any


__all__ = ["autoload_status"]


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
