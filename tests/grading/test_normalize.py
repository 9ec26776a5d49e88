"""String clean-up: thousands separators, relation spellings, HTML powers, repeating decimals."""

from __future__ import annotations

import pytest

from ded_plugins.grading.normalize import clean_answer, normalize_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 000", "1000"),
        ("1\\,000", "1000"),
        ("14{,}916", "14916"),
        ("32,\\! 349", "32349"),
        ("11,\\! 111,\\! 100", "11111100"),
        ("58,500", "58500"),
        ("x = 58,500", "x = 58500"),
        ("1,000.99€", "1000.99"),
        ("1, 000", "1, 000"),  # a list, not a number
        ("12 345 678", "12345678"),
        ("10\\,000.5", "10000.5"),
        ("1 23", "1 23"),  # not groups of three
        ("x \\lt 3", "x < 3"),
        ("x \\ge 3", "x \\geq 3"),
        ("x >= 3", "x \\geq 3"),
        ("x != 3", "x \\neq 3"),
        ("x! = 3", "x! = 3"),  # a factorial, then equals
        ("x \\ne 3", "x \\neq 3"),
        ("3<sup>x</sup>", "3^{x}"),
        ("15\\text{cm}", "15 cm"),
        ("\\left(\\begin{array}{cc} 1 & 2 \\end{array}\\right)", "(\\begin{pmatrix} 1 & 2 \\end{pmatrix})"),
        ("1\\frac45", "1\\frac{4}{5}"),
        ("0.1\\overline{6}", "\\frac{15}{90}"),
        ("12^{\\text{th}}", "12"),
    ],
)
def test_clean_answer(text: str, expected: str) -> None:
    assert clean_answer(text) == expected


def test_normalize_answer_drops_a_unit_for_vote_keys() -> None:
    assert (
        normalize_answer("12 \\text{ inches}") == "12" and normalize_answer("\\dfrac{1}{2}") == "\\frac{1}{2}"
    )
