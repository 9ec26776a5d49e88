"""Paths and the environment for tests that run the `ded` command in a subprocess.

A module of its own (not conftest) because several conftest modules exist under tests/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BIN = Path(sys.executable).parent


def ded_env(*site_dirs: Path) -> dict[str, str]:
    """Environment for a `ded` subprocess, with extra site dirs on PYTHONPATH."""
    env = dict(os.environ)
    extra = os.pathsep.join(str(p) for p in site_dirs)
    if extra:
        env["PYTHONPATH"] = extra + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["DED_AUTOLOAD"] = env.get("DED_AUTOLOAD", "1")
    return env
