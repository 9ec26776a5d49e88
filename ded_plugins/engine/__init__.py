"""The curation engine: streaming stages over declared inputs, units of work, executors.

``run_curation`` runs a :class:`~ded_plugins.configs.curate.CurationConfig`; ``show``
reads a run back for people; ``executors`` decide where units of work run.

The names below are imported on first use: every plugin manager imports
``ded_plugins.engine.executors``, and so this package, which must stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from ded_plugins.engine.run import CurationResult, curate, run_curation
    from ded_plugins.engine.stats import format_stage_table


__all__ = ["CurationResult", "curate", "format_stage_table", "run_curation"]

_LAZY = {
    "CurationResult": "ded_plugins.engine.run",
    "curate": "ded_plugins.engine.run",
    "format_stage_table": "ded_plugins.engine.stats",
    "run_curation": "ded_plugins.engine.run",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ded_plugins.engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
