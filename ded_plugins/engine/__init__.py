"""The curation engine: streaming stages over declared inputs, units of work, executors.

``run_curation`` runs a :class:`~ded_plugins.configs.curate.CurationConfig`; ``show``
reads a run back for people; ``executors`` decide where units of work run.

The names below are imported on first use: every plugin manager imports
``ded_plugins.engine.executors``, and so this package, which must stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ded_plugins._optional import lazy_names as _lazy_names


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


__getattr__ = _lazy_names(__name__, _LAZY)
