"""grade_many: order, parallel workers, and a hard per-item timeout that kills the worker."""

from __future__ import annotations

import time

from ded_plugins.grading import grade_many, grade_math
from ded_plugins.grading.parallel import GraderPool


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
