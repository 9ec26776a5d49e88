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


def _stat(pid: int | str) -> tuple[str, int] | None:
    """A process's state letter and parent pid, from /proc; None once it is gone."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` that have not ended (a zombie has: only its reaping is left)."""
    return {pid for pid in pids if (stat := _stat(pid)) is not None and stat[0] != "Z"}


def descendants(pid: int) -> set[int]:
    """The live processes below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry.name)) is not None and stat[0] != "Z":
            children.setdefault(stat[1], []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
