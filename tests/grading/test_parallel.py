"""grade_many: order, parallel workers, and a hard per-item limit on CPU time that kills the worker."""

from __future__ import annotations

import os
import signal
import threading
import time

from ded_plugins.grading import MathGrade, grade_many, grade_math
from ded_plugins.grading.parallel import BACKSTOP, GraderPool


PATHOLOGICAL = "\\boxed{\\binom{10^{8}}{5 \\cdot 10^{7}}}"  # computing it takes hours in sympy


def test_results_in_input_order_and_equal_to_in_process_grading() -> None:
    items = [(f"</think> \\boxed{{{i}}}", str(i if i % 3 else i + 1)) for i in range(12)]
    graded = grade_many(items, timeout_s=20, workers=2)
    assert graded == [grade_math(r, g) for r, g in items]
    assert [g.correct for g in graded] == [i % 3 != 0 for i in range(12)]


def test_pathological_input_times_out_within_the_bound() -> None:
    pool = GraderPool(workers=2)
    try:
        items = [(PATHOLOGICAL, "3"), ("\\boxed{025}", "25"), ("</think>\\boxed{\\frac12}", "0.5")]
        pool.grade(items[1:], timeout_s=30)  # start the workers outside the timed part
        start = time.monotonic()
        graded = pool.grade(items, timeout_s=2.0)
        elapsed = time.monotonic() - start
        assert graded[0].reason == "timeout" and not graded[0].correct
        assert graded[1].correct and graded[2].correct and graded[2].think_finished
        assert elapsed < 2.0 + 5.0, elapsed  # the bound plus a replacement worker, never hours
        # the killed worker was replaced: the pool still grades
        assert pool.grade([("\\boxed{7}", "7")], timeout_s=30)[0].correct
    finally:
        pool.close()


def test_explanations_on_request_and_for_timeouts() -> None:
    items = [("\\boxed{3}", "3"), ("\\boxed{4}", "3"), (PATHOLOGICAL, "3")]
    graded = grade_many(items, timeout_s=2.0, workers=2, explain="rejected")
    assert graded[0].explanation is None
    assert graded[1].explanation is not None and graded[1].explanation.answer_form == "value 4"
    assert graded[2].reason == "timeout" and graded[2].explanation is not None
    assert graded[2].explanation.decided_by.startswith("grading ran over 2 s")
    assert all(g.explanation is not None for g in grade_many(items[:2], workers=2, explain=True))


def test_empty_input() -> None:
    assert grade_many([]) == []


def _stopped_while_grading(stop_s: float, timeout_s: float) -> MathGrade:
    """Grade an easy item in a worker that gets no CPU for ``stop_s`` (as on a starved machine)."""
    pool = GraderPool(workers=1)
    try:
        assert pool.grade([("\\boxed{1}", "1")], timeout_s=30)[0].correct  # the worker is up
        (worker,) = pool._workers
        os.kill(worker.process.pid, signal.SIGSTOP)  # our own child, by pid
        result: list[MathGrade] = []
        thread = threading.Thread(
            target=lambda: result.extend(pool.grade([("\\boxed{7}", "7")], timeout_s=timeout_s))
        )
        thread.start()
        time.sleep(stop_s)
        if worker.process.is_alive():
            os.kill(worker.process.pid, signal.SIGCONT)
        thread.join(timeout=60)
        assert not thread.is_alive()
        return result[0]
    finally:
        pool.close()


def test_a_worker_waiting_for_a_core_is_waited_for() -> None:
    # 2.5 s without a core, a 1 s limit: the grade took no CPU time, so it is not a timeout
    assert _stopped_while_grading(2.5, timeout_s=1.0).correct


def test_a_worker_that_never_runs_is_stopped_at_the_backstop() -> None:
    assert BACKSTOP * 0.2 < 4.0
    grade = _stopped_while_grading(4.0, timeout_s=0.2)
    assert grade.reason == "timeout" and not grade.correct
