"""Isolated execution of programs against tests, with LiveCodeBench's grading semantics.

A :class:`Sandbox` supervises pre-started workers (bubblewrap namespaces where user
namespaces work), forks one child per program with rlimits and a seccomp deny-list, and
judges every test outside the child. It executes programs and nothing else:
``ded sandbox check`` is its command line; LiveCodeBench's data and the lm-eval task live
in :mod:`ded_plugins.integrations.lm_eval`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ded_plugins._optional import lazy_names as _lazy_names
from ded_plugins.sandbox.jobs import (
    DEFAULT_GRADER,
    GRADERS,
    ISOLATION_DEGRADED,
    ISOLATION_FULL,
    STATUSES,
    RunRequest,
    RunResult,
)


if TYPE_CHECKING:
    from ded_plugins.sandbox.sandbox import Sandbox


__all__ = [
    "DEFAULT_GRADER",
    "GRADERS",
    "ISOLATION_DEGRADED",
    "ISOLATION_FULL",
    "STATUSES",
    "RunRequest",
    "RunResult",
    "Sandbox",
]


# the supervisor (threads, subprocess, isolation probes) is imported on first use: the
# records and the CLI import the request types from here, and must stay light
__getattr__ = _lazy_names(__name__, {"Sandbox": "ded_plugins.sandbox.sandbox"})
