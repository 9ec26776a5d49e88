"""Teacher selection: token entropy, PCA shift and the built-in teacher metrics.

``ded teacher`` ranks candidate teachers by a distillation smoke test and computes,
for each, the metrics registered through ``ded_register_teacher_metrics``.
"""

from __future__ import annotations

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register
from ded_plugins.teacher.entropy import token_entropy


__all__ = ["ded_register_teacher_metrics", "token_entropy"]


@hookimpl
def ded_register_teacher_metrics(register: Register) -> None:
    """Register the built-in teacher metrics."""
