"""``longest`` / ``shortest``: per question keep the k longest or shortest trajectories.

This is the paper's length ablation (QwQ-DS-32B-L and -S: one response per query).
Length is counted in tokens when every rollout of the question carries ``n_tokens``
(``by: auto``), else in characters; ties go to the earlier rollout.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict


__all__ = ["Longest", "Shortest"]

By = Literal["auto", "tokens", "chars"]


class _LengthPick:
    longest: bool
    #: each question on its own
    scope = "group"

    def __init__(self, *, k: int = 1, by: By = "auto") -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, found {k}")
        self.k = k
        self.by = by

    def _unit(self, group: QuestionGroup) -> str:
        has_tokens = all(r.n_tokens is not None for r in group.rollouts)
        if self.by == "tokens" and not has_tokens:
            missing = next(r for r in group.rollouts if r.n_tokens is None)
            raise ValueError(f"rollout {missing.id!r} has no n_tokens; use by: chars or auto")
        return "tokens" if self.by == "tokens" or (self.by == "auto" and has_tokens) else "chars"

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Rank each question's rollouts by length and keep the first k."""
        reason = "not_longest" if self.longest else "not_shortest"
        sign = -1 if self.longest else 1
        for group in groups:
            unit = self._unit(group)
            lengths = [r.n_tokens if unit == "tokens" else len(r.text) for r in group.rollouts]
            ranked = sorted(range(len(lengths)), key=lambda i: (sign * (lengths[i] or 0), i))
            keep = set(ranked[: self.k])
            for i, r in enumerate(group.rollouts):
                details = {"length": lengths[i], "unit": unit}
                if i in keep:
                    yield r, Verdict(passed=True, details=details)
                else:
                    yield r, Verdict(passed=False, reason=reason, details=details)
            context.advance(len(group.rollouts))


class Longest(_LengthPick):
    """Per question keep the k longest trajectories (the paper's -L corpus)."""

    longest = True


class Shortest(_LengthPick):
    """Per question keep the k shortest trajectories (the paper's -S corpus)."""

    longest = False
