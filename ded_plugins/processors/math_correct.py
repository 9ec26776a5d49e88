"""``math_correct``: keep rollouts whose final answer matches the question's reference answer.

It calls the same :func:`ded_plugins.grading.grade_math` as the lm-eval tasks, so
curation and evaluation share one definition of correct. A batch is graded in worker
processes with a hard per-item timeout (:func:`ded_plugins.grading.grade_many`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ded_plugins.records import Question, Rollout, Verdict


__all__ = ["MathCorrect"]


class MathCorrect:
    """Keep math rollouts whose final answer (after </think>) equals the reference answer.

    Verdict reasons: ``wrong``, ``no_answer`` (unfinished thinking or no boxed/stated
    answer), ``timeout`` (grading took over ``timeout_s`` of CPU time), ``no_reference`` (the question
    has no answer to compare with); questions outside ``domains`` pass as ``not_applicable``.
    Details: ``extracted``, ``reference``, ``rule`` (where the answer was found); a rejected
    row also has ``explanation`` (parsed forms of both sides and the rule that decided).
    ``reference: solution`` is for pools whose answer field holds a worked solution (s1K's
    ``solution`` column): its final answer is extracted by the same rules as a response's.
    """

    #: grades a batch in its own pool of processes (with a hard per-item timeout)
    placement = "node"

    def __init__(
        self,
        *,
        domains: list[str] = ["math"],  # noqa: B006 - shown by `ded plugins`; never mutated
        timeout_s: float = 10.0,
        workers: int | None = None,
        require_think_end: bool = False,
        reference: Literal["answer", "solution"] = "answer",
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.domains = frozenset(domains)
        self.timeout_s = timeout_s
        self.workers = workers
        self.require_think_end = require_think_end
        self.reference = reference

    def _gold(self, question: Question) -> str | None:
        if not question.answer:
            return None
        if self.reference == "answer":
            return question.answer
        from ded_plugins.grading import extract_answer

        answer, _ = extract_answer(question.answer)
        return answer

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per rollout, in order."""
        from ded_plugins.grading import grade_many

        verdicts: list[Verdict | None] = [None] * len(items)
        todo: list[int] = []
        golds: list[str] = []
        for i, (question, _) in enumerate(items):
            gold = self._gold(question) if question.domain in self.domains else None
            if question.domain not in self.domains:
                verdicts[i] = Verdict(passed=True, reason="not_applicable")
            elif gold is None:
                verdicts[i] = Verdict(passed=False, reason="no_reference")
            else:
                todo.append(i)
                golds.append(gold)
        grades = grade_many(
            [(items[i][1].text, gold) for i, gold in zip(todo, golds, strict=True)],
            timeout_s=self.timeout_s,
            workers=self.workers,
            require_think_end=self.require_think_end,
            explain="rejected",
        )
        for i, gold, grade in zip(todo, golds, grades, strict=True):
            details: dict[str, object] = {"extracted": grade.extracted, "reference": gold, "rule": grade.rule}
            if grade.explanation is not None:  # rejected: why (what `ded grade --explain` prints)
                details["explanation"] = grade.explanation.as_dict()
            verdicts[i] = Verdict(
                passed=grade.correct, reason="ok" if grade.correct else grade.reason, details=details
            )
        return [v for v in verdicts if v is not None]
