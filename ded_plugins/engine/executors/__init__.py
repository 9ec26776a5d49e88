"""Executors: where the units of a stage run. Chosen by name like every other component.

``local`` (processes on this machine) is built in; ``ray`` (a cluster) comes with the
``ray`` extra. Both register through ``ded_register_executors``. (The factories are not named
``local`` / ``ray``: importing the submodules of those names would replace them.)
"""

from __future__ import annotations

from typing import Any

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register


def local_executor(*, workers: int | None = None) -> Any:
    """Processes on this machine: one per core (``workers``), started fresh for each stage."""
    from ded_plugins.engine.executors.local import LocalExecutor

    return LocalExecutor(workers=workers)


def ray_executor(
    *,
    address: str = "auto",
    namespace: str = "ded",
    runtime_env: dict[str, Any] | None = None,
    max_retries: int = 3,
    cpus_per_unit: float = 1.0,
) -> Any:
    """A Ray cluster (``pip install 'ded-plugins[ray]'``): tasks spread over the nodes, one actor
    per node for components that parallelise themselves; lost units are retried elsewhere."""
    from ded_plugins.engine.executors.ray import RayExecutor

    return RayExecutor(
        address=address,
        namespace=namespace,
        runtime_env=runtime_env,
        max_retries=max_retries,
        cpus_per_unit=cpus_per_unit,
    )


@hookimpl
def ded_register_executors(register: Register) -> None:
    """Register the built-in executors."""
    register("local", local_executor)
    register("ray", ray_executor)
