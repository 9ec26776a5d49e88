"""GPQA letter extraction."""

from __future__ import annotations

import pytest

from ded_plugins.grading import extract_choice


@pytest.mark.parametrize(
    ("response", "letter"),
    [
        ("<think>A looks wrong, maybe \\boxed{B}</think>The answer is \\boxed{C}.", "C"),
        ("</think>\\boxed{\\text{(D)}}", "D"),
        ("</think>Answer: B", "B"),
        ("</think>So the correct answer is (A).", "A"),
        ("</think>After all that:\n\n**C**", "C"),
        ("<think>it must be \\boxed{A}", None),  # unfinished thinking
        ("</think>I am not sure.", None),
        ("</think>\\boxed{E}", None),  # not one of the options
        ("</think>The answer is a mixture of both.", None),
        ("</think>The answer is a mixture, so (B).\nAnswer: B", "B"),
    ],
)
def test_extract_choice(response: str, letter: str | None) -> None:
    assert extract_choice(response) == letter
