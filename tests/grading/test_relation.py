"""Relations keep their direction and strictness; chains; solution sets; the ordering rule."""

from __future__ import annotations

import pytest
import sympy

from ded_plugins.grading.answer import parse_answer
from ded_plugins.grading.nodes import Relation
from ded_plugins.grading.relation import relation_set


def _relation(text: str) -> Relation:
    node = parse_answer(text)
    assert isinstance(node, Relation), node
    return node


def test_greater_than_is_stored_turned_round() -> None:
    r = _relation("x \\gt 3")
    assert (str(r), r.turned) == ("relation 3 < x", True)
    assert str(_relation("3 \\geq y \\geq 1")) == "relation 1 <= y <= 3"
    assert str(_relation("a < b > c")) == "relation a < b > c"  # mixed: kept as written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x > 3", sympy.Interval.open(3, sympy.oo)),
        ("-2x \\leq 4", sympy.Interval(-2, sympy.oo)),
        ("1 \\le x < 3", sympy.Interval.Ropen(1, 3)),
        ("x \\neq 3", sympy.Union(sympy.Interval.open(-sympy.oo, 3), sympy.Interval.open(3, sympy.oo))),
        ("1 \\leq |x| \\leq 3/2", sympy.Union(sympy.Interval(-1.5, -1), sympy.Interval(1, 1.5))),
        ("x^2 < 4", sympy.Interval.open(-2, 2)),
        ("1 \\geq |x| \\geq 3/2", sympy.EmptySet),
        ("3^x \\geq x^2", None),  # not a rational function: no solver call
        ("x + y < 1", None),  # two variables
    ],
)
def test_solution_sets(text: str, expected: object) -> None:
    got = relation_set(_relation(text))
    if expected is None:
        assert got is None
    else:
        assert got == sympy.sympify(expected).subs({sympy.Float(1.5): sympy.Rational(3, 2)})


def test_linear_shortcut_agrees_with_sympys_solver() -> None:
    x = sympy.Symbol("x", real=True)
    for text, cond in [
        ("2x + 1 > 5", 2 * x + 1 > 5),
        ("3 - x \\leq 7", 3 - x <= 7),
        ("x/2 < -1", x / 2 < -1),
    ]:
        assert relation_set(_relation(text)) == cond.as_set()
