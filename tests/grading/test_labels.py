"""Named answers: a name is dropped unless the other side uses it; names agree; no renaming onto names."""

from __future__ import annotations

import pytest

from ded_plugins.grading import math_equal


@pytest.mark.parametrize(
    ("gold", "candidate", "equal"),
    [
        ("y = 2x + 3", "2x + 3", True),
        ("y = 2x + 3", "2t + 3", True),  # the free variable renamed
        ("y = 2x + 3", "f(x) = 2x + 3", True),  # y and f(x) both name the function
        ("y = 2x + 3", "x = 2y + 3", False),  # the variables swapped: another line
        ("y = 2x + 3", "2y + 3", False),  # uses the named variable: not the value
        ("y = 2x + 3", "y = 2t + 3", True),
        ("f(n) = n, g(n) = 1", "f(n) = n, g(n) = 1", True),
        ("f(n) = n, g(n) = 1", "f(n) = 1, g(n) = n", False),
        ("x = 1, y = 2", "y = 2, x = 1", True),
        ("x = 1, y = 2", "x = 2, y = 1", False),
        ("2x = 4", "x = 2", True),  # an equation and its solution
        ("k = 4", "4", True),
        ("x = 5", "n = 5", True),  # one constant alone: the same number
        ("x = 5", "n = 6", False),
        ("x = 1, y = 2", "a = 1, b = 2", False),  # several named values: the names tell them apart
        ("(k, l) = (1, 2)", "(1, 2)", True),
    ],
)
def test_names(gold: str, candidate: str, equal: bool) -> None:
    assert math_equal(candidate, gold) is equal
