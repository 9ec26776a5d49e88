"""Isolated execution of programs against tests, with LiveCodeBench's grading semantics.

A :class:`Sandbox` supervises pre-started workers (bubblewrap namespaces where user
namespaces work), forks one child per program with rlimits and a seccomp deny-list, and
judges every test outside the child. See ``ded sandbox check`` for the command line and
:mod:`ded_plugins.sandbox.lcb_data` for the LiveCodeBench data loader.
"""

from __future__ import annotations

from ded_plugins.sandbox.jobs import (
    DEFAULT_GRADER,
    GRADERS,
    ISOLATION_DEGRADED,
    ISOLATION_FULL,
    STATUSES,
    RunRequest,
    RunResult,
)
from ded_plugins.sandbox.lcb_data import LcbProblem, load_lcb_problems
from ded_plugins.sandbox.sandbox import Sandbox


__all__ = [
    "DEFAULT_GRADER",
    "GRADERS",
    "ISOLATION_DEGRADED",
    "ISOLATION_FULL",
    "STATUSES",
    "LcbProblem",
    "RunRequest",
    "RunResult",
    "Sandbox",
    "load_lcb_problems",
]
