"""Executors: where the units of a stage run. Chosen by name like every other component.

``local`` (processes on this machine) is built in; ``ray`` (a cluster) comes with the
``ray`` extra. Both register through ``ded_register_executors``.
"""

from __future__ import annotations

from typing import Any

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register


def local_executor(*, workers: int | None = None) -> Any:
    """Processes on this machine: one per core (``workers``), started fresh for each stage."""
    from ded_plugins.engine.executors.local import LocalExecutor

    return LocalExecutor(workers=workers)


@hookimpl
def ded_register_executors(register: Register) -> None:
    """Register the built-in executors."""
    register("local", local_executor)
