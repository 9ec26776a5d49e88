"""Hook specifications: the one way code outside ded_plugins extends it.

Built-in components register through these same hooks (see :mod:`ded_plugins.plugins`).
A plugin is a module or object with ``@ded_plugins.hookimpl`` functions, announced by an
entry point in the group ``ded``::

    [project.entry-points.ded]
    my_plugin = "my_package.ded_hooks"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy


if TYPE_CHECKING:
    from collections.abc import Mapping

    from ded_plugins.registry import Register


hookspec = pluggy.HookspecMarker("ded")
#: decorate a plugin's hook functions with this (re-exported as ``ded_plugins.hookimpl``)
hookimpl = pluggy.HookimplMarker("ded")


# --- Registration: called once, when the plugin manager is built -------------------------


@hookspec
def ded_register_processors(register: Register) -> None:
    """Contribute per-rollout stages (filters and verifiers) by name.

    Args:
        register: ``register("name", factory)``. ``factory(**params)`` must return an
            object with ``process(items) -> list[Verdict]``. Its keyword parameters are
            what a config may set; a duplicate name is an error.

    Called once per plugin manager; return values are ignored.
    """


@hookspec
def ded_register_selectors(register: Register) -> None:
    """Contribute group or pool stages (pass rate, diversity, mixture) by name.

    Args:
        register: ``register("name", factory)``; ``factory(**params)`` returns an object
            with ``select(groups, context)`` yielding ``(rollout, verdict)`` pairs.

    Called once per plugin manager; return values are ignored.
    """


@hookspec
def ded_register_exporters(register: Register) -> None:
    """Contribute exporters that write the curated corpus for a training framework.

    Args:
        register: ``register("name", factory)``; ``factory(**params)`` returns an object
            with ``export(rollouts, context, out_dir) -> summary``.

    Called once per plugin manager; return values are ignored.
    """


@hookspec
def ded_register_rollout_backends(register: Register) -> None:
    """Contribute generation backends for ``ded rollout`` (vLLM, OpenAI-compatible, ...).

    Args:
        register: ``register("name", factory)``; see :mod:`ded_plugins.rollouts`.

    Called once per plugin manager; return values are ignored.
    """


@hookspec
def ded_register_teacher_metrics(register: Register) -> None:
    """Contribute metrics that ``ded teacher`` computes for every candidate teacher.

    Args:
        register: ``register("name", factory)``; see :mod:`ded_plugins.teacher`.

    Called once per plugin manager; return values are ignored.
    """


@hookspec
def ded_register_executors(register: Register) -> None:
    """Contribute executors: where the units of a curation stage run (``local``, ``ray``).

    Args:
        register: ``register("name", factory)``; ``factory(**params)`` returns an object
            with ``run(job, units, on_done)`` and ``close()`` (see
            :class:`ded_plugins.protocols.Executor`). Configs choose one with
            ``executor: {name: {params}}``; ``ded curate --executor NAME`` overrides.

    Called once per plugin manager; return values are ignored.
    """


# --- Observation: called while a run goes on; return values are ignored -----------------


@hookspec
def ded_stage_finished(stage: str, stats: Mapping[str, Any]) -> None:
    """Observe a finished pipeline stage (logging, experiment tracking).

    Args:
        stage: the stage's directory name, e.g. ``03_pass_rate``.
        stats: what was written to the stage's ``stats.json``.

    Called after the stage's outputs are in place; must not change anything.
    """


# --- The command line --------------------------------------------------------------------


@hookspec
def ded_register_commands(cli: Any) -> None:
    """Add sub-commands to ``ded`` (the pattern of simonw/llm's ``register_commands``).

    Args:
        cli: the ``ded`` :class:`click.Group`; call ``cli.add_command(my_command)`` or
            decorate with ``@cli.command()``. Keep heavy imports inside the command body:
            every ``ded`` invocation loads this hook.

    Called once per ``ded`` invocation; return values are ignored.
    """
