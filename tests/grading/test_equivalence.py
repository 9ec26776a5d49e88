"""Golden equivalence cases (written for this project): what must match and what must not."""

from __future__ import annotations

import pytest

from ded_plugins.grading import math_equal


EQUIVALENT = [
    ("25", "025"),  # AIME: integers compare as integers
    ("0", "000"),
    ("\\frac{1}{2}", "0.5"),
    ("\\dfrac{3}{4}", "\\frac34"),
    ("\\tfrac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}"),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"),
    ("2\\sqrt{3}", "\\sqrt{12}"),
    ("10080", "10,\\!080"),
    ("\\$32,\\!348", "32348"),
    ("30^\\circ", "30"),
    ("\\frac{270}{7}\\text{ degrees}", "\\frac{270}7"),
    ("5.4\\text{ cents}", "5.4"),
    ("25\\%", "25"),
    ("\\text{(C)}", "C"),
    ("(C)", "C"),
    ("\\text{Evelyn}", "evelyn"),
    ("\\text{even}", "Even"),
    ("(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\{1, 2, 3\\}", "\\{3, 1, 2\\}"),  # sets are unordered
    ("1, -2", "-2, 1"),  # a list of solutions is unordered
    ("3 \\pm 2\\sqrt{2}", "3 + 2\\sqrt{2}, 3 - 2\\sqrt{2}"),
    ("[-2, 7]", "x \\in [-2,7]"),
    ("(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty,0)\\cup(1,+\\infty)"),
    ("x \\geq 3", "[3, \\infty)"),
    ("0 < x < 1", "(0, 1)"),
    ("\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}", "(1, -2)"),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"),
    ("y = 2x + 3", "2x+3"),
    ("k = 4", "4"),
    ("f(x) = x^2 - 1", "(x-1)(x+1)"),
    ("\\frac{x+1}{2}", "\\frac{1}{2}x + \\frac12"),
    ("\\sin^2 x + \\cos^2 x", "1"),
    ("e^{i\\pi}", "-1"),
    ("2 \\times 10^{-3}", "0.002"),
    ("12^{\\mathrm{th}}", "12"),
    ("\\frac{1}{3}", "0.333"),  # a decimal at 3 significant digits stands for what rounds to it
    ("4\\frac{1}{2}", "4.5"),  # mixed number
    ("x=5", "x = 5"),
    ("n\\pi", "k\\pi"),  # one free variable may be renamed
    ("3:2", "1.5"),
    ("6.02 \\times 10^{23}", "6.02e23"),
    ("\\sqrt{2}e^{i\\pi/4}", "1 + i"),  # complex values
    ("\\frac{639}{40}", "15\\frac{39}{40}, \\frac{639}{40}"),  # one answer written two ways
    ("C x^2 + 1", "c x^2 + 1"),  # a constant renamed by case only
    ("f(z) = z", "f(x) = x"),
    ("y + 1 = -(2x-1)^2", "-4x^2 + 4x - 2"),  # the gold equation solved for the variable it defines
    ("\\frac{\\pi}{6}", "30^\\circ"),  # degrees against radians
    ("\\mathbb{R} \\setminus \\{0\\}", "(-\\infty, 0) \\cup (0, \\infty)"),  # set difference
    ("\\{x \\mid x > 2\\}", "(2, \\infty)"),  # set-builder notation
    ("(0, \\sqrt{2}.]", "(0, \\sqrt{2}]"),  # a sentence's full stop inside the gold
]

DIFFERENT = [
    ("25", "26"),
    ("5", "0.05"),  # no percent x100 leniency
    ("5", "500"),
    ("12345", "12346"),  # no relative tolerance
    ("6290000", "6290001"),
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}"),  # tiny but different exact values
    ("\\pi", "3.14"),
    ("\\frac{1}{2}", "0.48"),  # too few significant digits for the decimal rule
    ("(3, 4]", "[3, 4)"),  # interval ends matter
    ("(1, 2)", "[1, 2]"),
    ("(1, 2)", "(2, 1)"),  # tuples are ordered
    ("1, 2", "1"),  # a part of a multi-part answer is not the answer
    ("1331, 1728", "1728"),
    ("\\{1, 2, 3\\}", "\\{1, 2\\}"),
    ("\\text{odd}", "\\text{even}"),
    ("B", "C"),  # choice letters are no variables to rename
    ("\\sqrt{2}", "1.414"),  # an answer in terms of a root is not its decimal expansion
    ("x^2", "x^3"),
    ("3x - y + 13 = 0", "3x + 4y + 14 = 0"),
    ("10000", "9999.857"),  # a decimal answer for an integer gold
    ("4:30", "2:15"),
    ("", "5"),
    ("5", ""),
    ("\\mathbb{R} \\setminus \\{0\\}", "(-\\infty, 0) \\cup (1, \\infty)"),
    ("\\{x \\mid x > 2\\}", "[2, \\infty)"),
    ("a + 1", "b + 1"),  # a and b are given quantities, not dummy variables
    ("(x, y)", "(y, x)"),
    ("\\frac{639}{40}", "15\\frac{39}{40}, 16"),
    ("e^{-10000}", "e^{-10001}"),  # tiny irrational values: no double-precision underflow
    ("\\sqrt{2}e^{i\\pi/4}", "1 - i"),
]


@pytest.mark.parametrize(("gold", "candidate"), EQUIVALENT)
def test_equivalent(gold: str, candidate: str) -> None:
    assert math_equal(candidate, gold)


@pytest.mark.parametrize(("gold", "candidate"), DIFFERENT)
def test_different(gold: str, candidate: str) -> None:
    assert not math_equal(candidate, gold)


def test_decimal_rule_needs_three_significant_digits_and_a_rational_value() -> None:
    assert math_equal("85.71", "\\frac{600}{7}") and math_equal("0.458", "\\frac{27}{59}")
    assert not math_equal("85.72", "\\frac{600}{7}")
    assert math_equal("300", "299.94")  # an integer answer for a decimal gold
    assert not math_equal("3", "2.5")  # ... but not at one significant digit


def test_huge_numbers_are_refused_not_computed() -> None:
    assert not math_equal("9^{9^{9}}", "1")
    assert not math_equal("(10^{7})!", "1")


def test_junk_is_wrong_not_an_error() -> None:
    for junk in ("\\frac{", "__import__('os').system('true')", "}}}{{", "\\undefinedcommand{3}", "a.b.c"):
        assert not math_equal(junk, "3")


@pytest.mark.timeout(120)
def test_fuzz_never_raises() -> None:
    import random

    from ded_plugins.grading.normalize import normalize_answer

    pieces = [
        "\\frac{", "}", "{", "\\sqrt", "^", "_", "(", ")", "[", "]", ",", "x", "2", "0", "-", "+", "=", "<",
        "\\leq", "\\pi", "\\infty", "\\cup", "\\text{", "and", " ", "\\{", "\\}", "!", ":", ".", "\\pm",
        "\\begin{pmatrix}", "\\\\", "&", "\\end{pmatrix}", "%", "^\\circ", "e", "i", "\\left(", "\\right)",
    ]  # fmt: skip
    rng = random.Random(0)
    for _ in range(400):
        a = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        b = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert isinstance(math_equal(a, b), bool)
        assert math_equal(a, a) == bool(normalize_answer(a))  # reflexive whenever there is an answer
