"""Teacher selection: token entropy, PCA shift and the built-in teacher metrics.

``ded teacher`` ranks candidate teachers by a distillation smoke test and computes,
for each, the metrics registered through ``ded_register_teacher_metrics``: a factory
``factory(**params)`` returning an object with ``compute(context) -> mapping`` (see
:class:`ded_plugins.teacher.context.TeacherContext`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ded_plugins._optional import lazy_names as _lazy_names
from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register


if TYPE_CHECKING:
    from ded_plugins.teacher.entropy import token_entropy


__all__ = ["ded_register_teacher_metrics", "token_entropy"]


@hookimpl
def ded_register_teacher_metrics(register: Register) -> None:
    """Register the built-in teacher metrics."""
    from ded_plugins.teacher.metrics import LengthStats, PassRate, PCAShiftMetric, TokenEntropy

    register("pass_rate", PassRate)
    register("length", LengthStats)
    register("token_entropy", TokenEntropy)
    register("pca_shift", PCAShiftMetric)


# numpy on first use: every plugin manager (and so ``ded --help``) imports this package
__getattr__ = _lazy_names(__name__, {"token_entropy": "ded_plugins.teacher.entropy"})
