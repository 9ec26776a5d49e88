"""``pass_rate``: question compression — drop the questions the student already solves.

The student's own rollouts are graded by the same processors as the teacher's (by
default: every processor stage that ran before this one, with the same parameters), so
there is one definition of correct. A student sample passes when every grader passes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from ded_plugins import io
from ded_plugins.errors import ConfigError, InputError
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, QuestionGroup, Rollout, Verdict


__all__ = ["PassRate"]

_GRADE_CHUNK = 256


class PassRate:
    """Drop questions whose student pass rate is above a threshold (keep the ones it still fails).

    The paper leaves the threshold and the number of student samples open. Our default,
    ``threshold: 0.5``, keeps a question when the student solves at most half of its
    samples; with one student sample per question it reduces to "keep what the student
    got wrong". ``missing`` says what to do with a question that has fewer than
    ``min_samples`` student rollouts.
    """

    def __init__(
        self,
        *,
        student_rollouts: str | list[str],
        threshold: float = 0.5,
        min_samples: int = 1,
        graders: list[str] | None = None,
        missing: Literal["error", "keep", "drop"] = "error",
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], found {threshold}")
        if min_samples < 1:
            raise ValueError(f"min_samples must be at least 1, found {min_samples}")
        self.paths = [student_rollouts] if isinstance(student_rollouts, str) else list(student_rollouts)
        self.threshold = threshold
        self.min_samples = min_samples
        self.graders = graders
        self.missing = missing

    def _grader_specs(self, context: StageContext) -> list[tuple[str, Mapping[str, Any]]]:
        if self.graders is None:
            specs = list(context.earlier_processors)
            if not specs:
                raise ConfigError(
                    f"stage {context.stage!r}: no processor stage runs before pass_rate and no 'graders' "
                    "are given, so student samples cannot be graded"
                )
            return specs
        by_name = dict(context.earlier_processors)
        return [(name, by_name.get(name, {})) for name in self.graders]

    def _student_rollouts(self, context: StageContext, wanted: set[str]) -> dict[str, list[Rollout]]:
        out: dict[str, list[Rollout]] = defaultdict(list)
        paths = [context.resolve(raw) for raw in self.paths]
        for _, _, r in io.read_checked_rollouts(paths, context.questions, what="student rollout"):
            if r.question_id in wanted:
                out[r.question_id].append(r)
        return out

    def _pass_rates(
        self, context: StageContext, groups: Sequence[QuestionGroup]
    ) -> dict[str, tuple[int, int]]:
        wanted = {g.question.id for g in groups}
        samples = self._student_rollouts(context, wanted)
        graders = [
            context.registry.build("processor", name, params, where=f"{context.stage}.graders")
            for name, params in self._grader_specs(context)
        ]
        items: list[tuple[Question, Rollout]] = [
            (context.questions[qid], r)
            for qid in sorted(samples, key=list(context.questions).index)
            for r in samples[qid]
        ]
        passed: dict[str, int] = defaultdict(int)
        try:
            for start in range(0, len(items), _GRADE_CHUNK):
                chunk = items[start : start + _GRADE_CHUNK]
                ok = [True] * len(chunk)
                for grader in graders:
                    for i, verdict in enumerate(grader.process(chunk)):
                        ok[i] = ok[i] and verdict.passed
                for (question, _), good in zip(chunk, ok, strict=True):
                    passed[question.id] += int(good)
        finally:
            for grader in graders:
                close = getattr(grader, "close", None)
                if callable(close):
                    close()
        return {qid: (passed[qid], len(samples[qid])) for qid in samples}

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Grade the student's samples, then keep or drop each question's rollouts together."""
        group_list = list(groups)
        rates = self._pass_rates(context, group_list)
        for group in group_list:
            n_pass, n = rates.get(group.question.id, (0, 0))
            details: dict[str, float] = {"student_passed": n_pass, "student_samples": n}
            if n < self.min_samples:
                if self.missing == "error":
                    raise InputError(
                        f"question {group.question.id!r} has {n} student rollouts, fewer than min_samples="
                        f"{self.min_samples} (set missing: keep or drop to allow this)",
                        path=", ".join(self.paths),
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
