"""Where the answer is: think cut, last box, adjacent boxes, phrases; no guessing."""

from __future__ import annotations

import pytest

from ded_plugins.grading import answer_section, extract_answer, grade_math


def test_only_text_after_the_last_think_close_counts() -> None:
    response = "<think>maybe \\boxed{7}</think> no wait <think>\\boxed{8}</think> The answer is \\boxed{9}."
    assert extract_answer(answer_section(response) or "") == ("9", "boxed")
    assert grade_math(response, "9").correct
    assert not grade_math(response, "7").correct


def test_unclosed_thinking_has_no_answer_even_with_a_box_inside() -> None:
    grade = grade_math("<think>so the answer is \\boxed{42}", "42")
    assert (grade.correct, grade.reason, grade.extracted, grade.think_finished) == (
        False,
        "no_answer",
        None,
        False,
    )


def test_require_think_end_for_r1_style_outputs_without_the_opening_tag() -> None:
    truncated = "The sum is 12, so \\boxed{12} ... let me double check the"
    assert grade_math(truncated, "12").correct  # auto: a non-reasoning response is graded whole
    strict = grade_math(truncated, "12", require_think_end=True)
    assert (strict.correct, strict.reason) == (False, "no_answer")
    finished = grade_math("thinking...</think>\n\n**Answer** \\boxed{12}", "12", require_think_end=True)
    assert finished.correct and finished.think_finished


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("so \\boxed{\\frac{1}{2}} and later \\boxed{3}", "3"),
        ("nested \\boxed{\\boxed{5}}", "\\boxed{5}"),
        ("the roots are \\boxed{1} and \\boxed{-2}.", "1, -2"),
        ("$\\boxed{1}$, $\\boxed{2}$", "1, 2"),
        ("first \\boxed{2}. Hmm, that was wrong; after checking everything again, \\boxed{3}", "3"),
        ("\\fbox{x+1}", "x+1"),
        ("so it is \\boxed 5", "5"),
        ("\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}", "\\left(3, \\frac{\\pi}{2}\\right)"),
    ],
)
def test_boxes(section: str, expected: str) -> None:
    assert extract_answer(section) == (expected, "boxed")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("Final Answer: The final answer is $14$. I hope it is correct.", "14"),
        ("blah\nAnswer: 3/4\n", "3/4"),
        ("Thus the answer is **17**.", "17"),
        ("final answer: $x = 2$", "x = 2"),
    ],
)
def test_phrases_when_there_is_no_box(section: str, expected: str) -> None:
    assert extract_answer(section) == (expected, "phrase")


def test_no_last_number_guess() -> None:
    assert extract_answer("We get 5 apples, then 7 pears.") == (None, "none")
    assert grade_math("We get 5 apples, then 7 pears.", "7").reason == "no_answer"


def test_a_box_cut_off_by_truncation_is_not_an_answer() -> None:
    assert extract_answer("so \\boxed{\\frac{1}{2") == (None, "none")
