"""ded-plugins: DED (data-efficient distillation of reasoning models) as plugins.

The public API is exactly ``__all__``; everything else is internal. Records, errors,
protocols and the registry are imported here; the functions each ``ded`` command calls
(``curate``, ``run_rollouts``, ``run_teacher_selection``, ``read_stage``, ...) are imported
on first use, so ``import ded_plugins`` stays light.
"""

from __future__ import annotations

from ded_plugins._optional import lazy_names as _lazy_names
from ded_plugins.errors import (
    ConfigError,
    DedError,
    InputError,
    MissingDependencyError,
    PluginError,
    SandboxError,
    StageError,
    UnknownComponentError,
)
from ded_plugins.hookspecs import hookimpl
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.protocols import (
    Executor,
    Exporter,
    Processor,
    RolloutBackend,
    Selector,
    StageContext,
    TeacherMetric,
)
from ded_plugins.records import CodeTests, Question, QuestionGroup, Rejection, Rollout, Verdict
from ded_plugins.registry import Register, Registry


__all__ = [
    "CodeTests",
    "ConfigError",
    "DedError",
    "Executor",
    "Exporter",
    "InputError",
    "MissingDependencyError",
    "PluginError",
    "Processor",
    "Question",
    "QuestionGroup",
    "Register",
    "Registry",
    "Rejection",
    "Rollout",
    "RolloutBackend",
    "SandboxError",
    "Selector",
    "StageContext",
    "StageError",
    "TeacherMetric",
    "UnknownComponentError",
    "Verdict",
    "get_plugin_manager",
    "get_registry",
    "hookimpl",
]

#: the typed functions behind the commands: name -> module, imported when first used
_LAZY = {
    "curate": "ded_plugins.engine",
    "explain_math": "ded_plugins.grading",
    "format_stage_table": "ded_plugins.engine",
    "grade_math": "ded_plugins.grading",
    "load_curation_config": "ded_plugins.configs.curate",
    "load_rollout_config": "ded_plugins.configs.rollout",
    "load_teacher_config": "ded_plugins.configs.teacher",
    "read_stage": "ded_plugins.engine.show",
    "run_curation": "ded_plugins.engine",
    "run_rollouts": "ded_plugins.rollouts.runner",
    "run_teacher_selection": "ded_plugins.teacher.smoke",
}
__all__ += sorted(_LAZY)
__all__.sort()


__getattr__ = _lazy_names(__name__, _LAZY)
