"""The curation engine: streaming stages over declared inputs, units of work, executors.

``run_curation`` runs a :class:`~ded_plugins.configs.curate.CurationConfig`; ``show``
reads a run back for people; ``executors`` decide where units of work run.
"""

from __future__ import annotations

from ded_plugins.engine.run import CurationResult, curate, run_curation
from ded_plugins.engine.stats import format_stage_table


__all__ = ["CurationResult", "curate", "format_stage_table", "run_curation"]
