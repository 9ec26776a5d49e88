"""``math_correct``: keep rollouts whose final answer matches the question's reference answer.

It calls the same :func:`ded_plugins.grading.grade_math` as the lm-eval tasks, so
curation and evaluation share one definition of correct. A batch is graded in worker
processes with a hard per-item timeout (:func:`ded_plugins.grading.grade_many`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ded_plugins.records import Question, Rollout, Verdict


__all__ = ["MathCorrect"]


class MathCorrect:
    """Keep math rollouts whose final answer (after </think>) equals the reference answer.

    Verdict reasons: ``wrong``, ``no_answer`` (unfinished thinking or no boxed/stated
    answer), ``timeout`` (grading ran over ``timeout_s``), ``no_reference`` (the question
    has no answer to compare with); questions outside ``domains`` pass as ``not_applicable``.
    """

    def __init__(
        self,
        *,
        domains: list[str] = ["math"],  # noqa: B006 - shown by `ded plugins`; never mutated
        timeout_s: float = 10.0,
        workers: int | None = None,
        require_think_end: bool = False,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.domains = frozenset(domains)
        self.timeout_s = timeout_s
        self.workers = workers
        self.require_think_end = require_think_end

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per rollout, in order."""
        from ded_plugins.grading import grade_many

        verdicts: list[Verdict | None] = [None] * len(items)
        todo: list[int] = []
        for i, (question, _) in enumerate(items):
            if question.domain not in self.domains:
                verdicts[i] = Verdict(passed=True, reason="not_applicable")
            elif not question.answer:
                verdicts[i] = Verdict(passed=False, reason="no_reference")
            else:
                todo.append(i)
        grades = grade_many(
            [(items[i][1].text, items[i][0].answer or "") for i in todo],
            timeout_s=self.timeout_s,
            workers=self.workers,
            require_think_end=self.require_think_end,
        )
        for i, grade in zip(todo, grades, strict=True):
            details = {"extracted": grade.extracted, "reference": items[i][0].answer, "rule": grade.rule}
            verdicts[i] = Verdict(
                passed=grade.correct, reason="ok" if grade.correct else grade.reason, details=details
            )
        return [v for v in verdicts if v is not None]
