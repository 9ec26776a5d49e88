"""What goes into the sandbox and what comes out: frozen records and their vocabularies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


__all__ = [
    "DEFAULT_GRADER",
    "GRADERS",
    "ISOLATION_DEGRADED",
    "ISOLATION_FULL",
    "STATUSES",
    "RunRequest",
    "RunResult",
    "Status",
]

#: grader versions: ``lcb2505`` = upstream HEAD (16de2a1, 2025-05-23), ``lcb2501`` = 15808c7
#: (2025-01-17), the one most 2025 papers and third-party harnesses used
GRADERS: tuple[str, ...] = ("lcb2505", "lcb2501")
DEFAULT_GRADER = "lcb2505"

Status = Literal[
    "passed", "wrong_answer", "time_limit", "runtime_error", "memory_limit", "output_limit", "sandbox_error"
]
STATUSES: tuple[str, ...] = (
    "passed",
    "wrong_answer",
    "time_limit",
    "runtime_error",
    "memory_limit",
    "output_limit",
    "sandbox_error",
)
#: every result names the isolation it ran under
ISOLATION_FULL = "bwrap+seccomp+rlimits"
ISOLATION_DEGRADED = "seccomp+rlimits"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    """One program and its tests, in LiveCodeBench's encoding.

    ``fn_name`` is ``None`` for stdin/stdout problems; otherwise each input holds one
    JSON argument per line and each output one JSON value. ``checker`` (optional) is
    the source of a program that judges a stdin/stdout answer instead of the line
    comparison: it runs as ``__main__`` with ``sys.argv[1:] = [input, expected,
    output]`` (file names) and accepts by exiting 0.
    """

    code: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    fn_name: str | None = None
    timeout_s: float = 6.0
    id: str = ""
    checker: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """The verdict on one program.

    ``per_test`` has one entry per test: ``True``/``False`` for the tests that ran,
    ``None`` for those skipped after the first failure (upstream stops there too).
    ``reran`` is true when a time-limit verdict was re-run on an idle worker; the
    re-run's verdict is the one reported.
    """

    id: str
    passed: bool
    status: Status
    per_test: tuple[bool | None, ...]
    grader: str
    isolation: str
    error: str = ""
    cpu_s: float = 0.0
    reran: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The fields ``ded sandbox check`` adds to a row."""
        return {
            "passed": self.passed,
            "per_test": list(self.per_test),
            "status": self.status,
            "grader": self.grader,
            "isolation": self.isolation,
            "error": self.error,
            "reran": self.reran,
        }
