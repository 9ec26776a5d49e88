"""The LaTeX converter: leading zeros, numerals side by side, absolute values, sums and products."""

from __future__ import annotations

import pytest
import sympy

from ded_plugins.grading.latex import ExprTooLargeError, LatexError, latex_to_sympy


def test_leading_zeros_are_decimal() -> None:
    assert latex_to_sympy("025") == 25 and latex_to_sympy("x + 007") == sympy.Symbol("x") + 7
    assert latex_to_sympy("0.5") == sympy.Rational(1, 2) and latex_to_sympy("0") == 0


def test_two_numbers_side_by_side_are_no_product() -> None:
    with pytest.raises(LatexError, match="side by side"):
        latex_to_sympy("1 000")
    assert latex_to_sympy("2 \\cdot 3") == 6


def test_absolute_values_nest() -> None:
    x = sympy.Symbol("x")
    assert latex_to_sympy("|x|") == sympy.Abs(x)
    assert latex_to_sympy("||x| - 1|") == sympy.Abs(sympy.Abs(x) - 1)
    assert latex_to_sympy("2|x - 1|") == 2 * sympy.Abs(x - 1)


def test_sums_and_products_are_evaluated() -> None:
    n = sympy.Symbol("n")
    assert latex_to_sympy("\\sum_{k=1}^{10} k") == 55
    assert latex_to_sympy("\\sum_{k=1}^{10} k + 1") == 56  # the body ends at a top-level +
    assert latex_to_sympy("\\sum_{i=0}^{3} 2^i") == 15  # i is the index, not the imaginary unit
    assert latex_to_sympy("\\prod_{i=1}^{5} i") == 120
    assert sympy.simplify(latex_to_sympy("\\sum_{k=1}^{n} k") - n * (n + 1) / 2) == 0
    with pytest.raises(ExprTooLargeError):
        latex_to_sympy("\\sum_{k=1}^{10^{9}} k")
    with pytest.raises(LatexError):
        latex_to_sympy("\\sum k")
