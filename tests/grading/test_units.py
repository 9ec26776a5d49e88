"""Units after a number: split off; compared only when both sides write a unit of measure."""

from __future__ import annotations

import pytest

from ded_plugins.grading.units import same_unit, split_unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 cm^2", ("15", "cm^2")),
        ("15cm^2", ("15", "cm^2")),
        ("12 inches", ("12", "inches")),
        ("40 chocolate candies", ("40", "chocolate candies")),
        ("\\frac{270}{7} degrees", ("\\frac{270}{7}", "degrees")),
        ("5 m", ("5", "m")),
        ("5x", ("5x", None)),  # a product, not a unit
        ("5 x", ("5 x", None)),
        ("2 \\pi", ("2 \\pi", None)),
        ("x cm", ("x cm", None)),  # no number before it
        ("3 and 4", ("3 and 4", None)),
        ("12m", ("12m", None)),  # a single letter against the number is a product
        ("3 km/h", ("3", "km/h")),
    ],
)
def test_split_unit(text: str, expected: tuple[str, str | None]) -> None:
    assert split_unit(text) == expected


def test_same_unit_by_spelling_plural_and_synonym() -> None:
    assert (
        same_unit("inches", "inch") and same_unit("in", "inches") and same_unit("cm^2", "square centimeters")
    )
    assert same_unit("miles", "mi") and same_unit("cents", "cent")
    assert (
        not same_unit("miles", "km") and not same_unit("cm^2", "cm^3") and not same_unit("hours", "minutes")
    )
    assert same_unit("km/h", "kilometers/hour") and not same_unit("km/h", "m/s")
    assert same_unit("lollipop candies", "hard candies")  # descriptions, not units of measure
