"""``pass_rate``: question compression — drop the questions the student already solves.

The student's own samples are curation inputs (``rollouts:`` with ``role: student``):
every processor stage grades them in the same pass as the teacher's, with the same
parameters, so there is one definition of correct. This stage counts the verdicts: a
student sample passes when every grader passed it (by default every processor stage
that judged it; ``graders`` names a subset).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from ded_plugins.errors import InputError, StageError
from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict


__all__ = ["PassRate"]


class PassRate:
    """Drop questions whose student pass rate is above a threshold (keep the ones it still fails).

    The paper leaves the threshold and the number of student samples open. Our default,
    ``threshold: 0.5``, keeps a question when the student solves at most half of its
    samples; with one student sample per question it reduces to "keep what the student
    got wrong". ``missing`` says what to do with a question that has fewer than
    ``min_samples`` student rollouts.
    """

    #: each question is decided on its own, from its verdicts: shards run anywhere, no text read
    scope = "group"
    reads_text = False

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        min_samples: int = 1,
        graders: list[str] | None = None,
        missing: Literal["error", "keep", "drop"] = "error",
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], found {threshold}")
        if min_samples < 1:
            raise ValueError(f"min_samples must be at least 1, found {min_samples}")
        if graders is not None and not graders:
            raise ValueError("graders must name at least one processor stage (or be left out)")
        self.threshold = threshold
        self.min_samples = min_samples
        self.graders = graders
        self.missing = missing

    def _passed(self, sample: Rollout) -> bool:
        if not sample.verdicts:
            raise StageError(
                f"pass_rate: student rollout {sample.id!r} has no verdicts: no processor stage ran before "
                "pass_rate, so the student's samples were never graded"
            )
        if self.graders is None:
            return all(v.passed for v in sample.verdicts.values())
        missing = [g for g in self.graders if g not in sample.verdicts]
        if missing:
            raise StageError(
                f"pass_rate.graders: {missing[0]!r} did not judge student rollout {sample.id!r}; "
                f"stages that did: {', '.join(sample.verdicts)}"
            )
        return all(sample.verdicts[g].passed for g in self.graders)

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Keep or drop each question's rollouts together, by the share of its student samples that passed."""
        for group in groups:
            n = len(group.student)
            n_pass = sum(self._passed(s) for s in group.student)
            details: dict[str, float] = {"student_passed": n_pass, "student_samples": n}
            if n < self.min_samples:
                if self.missing == "error":
                    raise InputError(
                        f"question {group.question.id!r} has {n} student rollouts, fewer than min_samples="
                        f"{self.min_samples} (set missing: keep or drop to allow this)",
                        path="rollouts (role: student)",
                    )
                verdict = Verdict(
                    passed=self.missing == "keep",
                    reason="ok" if self.missing == "keep" else "no_student_samples",
                    details=details,
                )
            else:
                rate = n_pass / n
                details["student_pass_rate"] = round(rate, 6)
                verdict = (
                    Verdict(passed=True, details=details)
                    if rate <= self.threshold
                    else Verdict(passed=False, reason="too_easy", details=details)
                )
            for r in group.rollouts:
                yield r, verdict
            context.advance(len(group.rollouts))
