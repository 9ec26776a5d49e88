"""ded-plugins: DED (data-efficient distillation of reasoning models) as plugins.

The public API is exactly ``__all__``; everything else is internal.
"""

from __future__ import annotations

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
from ded_plugins.protocols import Exporter, Processor, Selector, StageContext
from ded_plugins.records import CodeTests, Question, QuestionGroup, Rejection, Rollout, Verdict
from ded_plugins.registry import Register, Registry


__all__ = [
    "CodeTests",
    "ConfigError",
    "DedError",
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
    "SandboxError",
    "Selector",
    "StageContext",
    "StageError",
    "UnknownComponentError",
    "Verdict",
    "get_plugin_manager",
    "get_registry",
    "hookimpl",
]
