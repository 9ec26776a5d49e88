"""``code_correct``: keep rollouts whose program passes the question's tests in the sandbox.

The program is extracted as LiveCodeBench's harness does it (the last fenced block) and
run against the question's :class:`~ded_plugins.records.CodeTests` in
:class:`~ded_plugins.sandbox.Sandbox`, the whole batch in parallel (``run_many``), with
the same grader semantics as the ``ded_livecodebench`` task. Problems whose answers are
judged by a checker program (Codeforces style, ``CodeTests.checker``) have that checker
run in the sandbox too. Time-limit verdicts are re-run once, so a batch gets the same
verdicts however loaded the machine is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ded_plugins.chat import THINK_CLOSE
from ded_plugins.records import Question, Rollout, Verdict


if TYPE_CHECKING:
    from ded_plugins.sandbox import RunRequest, Sandbox

__all__ = ["CodeCorrect"]


class CodeCorrect:
    """Keep code rollouts whose extracted program passes all of the question's tests.

    Verdict reasons: the sandbox status (``wrong_answer``, ``time_limit``,
    ``runtime_error``, ``memory_limit``, ``output_limit``, ``sandbox_error``),
    ``no_code`` (no fenced program), ``no_answer`` (thinking not closed while
    ``require_think_end``), ``no_tests`` (the question has none: never a vacuous pass);
    questions outside ``domains`` pass as ``not_applicable``.
    """

    #: the sandbox runs a batch on every core of the machine
    placement = "node"

    def __init__(
        self,
        *,
        domains: list[str] = ["code"],  # noqa: B006 - shown by `ded plugins`; never mutated
        grader: str = "lcb2505",
        workers: int | None = None,
        allow_degraded: bool = False,
        require_think_end: bool = False,
        memory_mb: int = 4096,
    ) -> None:
        from ded_plugins.sandbox.jobs import GRADERS

        if grader not in GRADERS:
            raise ValueError(f"grader must be one of {', '.join(GRADERS)}, got {grader!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.domains = frozenset(domains)
        self.grader = grader
        self.workers = workers
        self.allow_degraded = allow_degraded
        self.require_think_end = require_think_end
        self.memory_mb = memory_mb
        self._sandbox: Sandbox | None = None

    def _box(self) -> Sandbox:
        if self._sandbox is None:  # started on first use: listing or validating a config costs nothing
            from ded_plugins.sandbox import Sandbox

            self._sandbox = Sandbox(
                grader=self.grader,
                workers=self.workers,
                allow_degraded=self.allow_degraded,
                memory_mb=self.memory_mb,
            )
            self._sandbox.start()
        return self._sandbox

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per rollout, in order; all programs of the batch run in parallel."""
        from ded_plugins.grading.code import extract_code
        from ded_plugins.sandbox import RunRequest

        verdicts: list[Verdict | None] = [None] * len(items)
        todo: list[int] = []
        requests: list[RunRequest] = []
        for i, (question, rollout) in enumerate(items):
            tests = question.tests
            if question.domain not in self.domains:
                verdicts[i] = Verdict(passed=True, reason="not_applicable")
            elif tests is None or not tests.inputs:
                verdicts[i] = Verdict(passed=False, reason="no_tests")
            elif self.require_think_end and THINK_CLOSE not in rollout.text:
                verdicts[i] = Verdict(passed=False, reason="no_answer")
            elif not (code := extract_code(rollout.text)).strip():
                verdicts[i] = Verdict(passed=False, reason="no_code")
            else:
                todo.append(i)
                requests.append(
                    RunRequest(
                        id=rollout.id,
                        code=code,
                        inputs=tests.inputs,
                        outputs=tests.outputs,
                        fn_name=tests.fn_name,
                        timeout_s=tests.timeout_s,
                        checker=tests.checker,
                    )
                )
        results = self._box().run_many(requests) if requests else []
        for i, result in zip(todo, results, strict=True):
            details = {
                "status": result.status,
                "per_test": list(result.per_test),
                "grader": result.grader,
                "isolation": result.isolation,
            }
            verdicts[i] = Verdict(
                passed=result.passed, reason="ok" if result.passed else result.status, details=details
            )
        return [v for v in verdicts if v is not None]

    def close(self) -> None:
        """Stop the sandbox's workers."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
