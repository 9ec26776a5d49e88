"""What the smoke test learned about one teacher (the report reads it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


__all__ = ["TeacherOutcome"]


@dataclass
class TeacherOutcome:
    """Everything the report needs about one teacher."""

    name: str
    dir: Path
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    aggregate: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)  # step -> "ran" | "skipped" | "given"
    corpus_size: int = 0
