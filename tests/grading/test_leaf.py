"""Leaves: values, base numerals, words, and raw math that keeps every operator."""

from __future__ import annotations

import sympy

from ded_plugins.grading.leaf import leaf, numeral, raw_form
from ded_plugins.grading.nodes import Expr, Numeral, Raw, Text


def test_raw_form_drops_only_spacing_and_redundant_braces() -> None:
    assert raw_form("3^{x} \\geq x^{2}") == "3^x\\geq x^2"
    assert raw_form("\\forall x > 0") == "\\forall x>0"
    assert raw_form("a - b") != raw_form("a + b") and raw_form("x < 3") != raw_form("x > 3")


def test_unparsable_math_is_raw_and_prose_is_words() -> None:
    assert isinstance(leaf("a + \\cdots + b"), Raw)
    assert leaf("The function $f(x+1)-1$ is odd.") == Text("the function $f(x+1)-1$ is odd")
    assert leaf("Evelyn") == Text("evelyn")


def test_numerals_and_clock_times() -> None:
    assert numeral("52_8") == Numeral("52", 8) and numeral("-0101_{2}") == Numeral("101", 2, True)
    assert numeral("58_7") is None and numeral("b_{12}") is None  # 8 is no base-7 digit; a subscripted name
    clock = leaf("4:30")  # a clock time, and the ratio 2/15 against a number
    assert isinstance(clock, Text) and clock.ratio == sympy.Rational(2, 15)
    assert leaf("5:8") == Expr(sympy.Rational(5, 8))


def test_decimals_remember_their_places() -> None:
    assert leaf("2.6667") == Expr(sympy.Rational(26667, 10000), 4)
    assert leaf(".35") == Expr(sympy.Rational(7, 20), 2)
