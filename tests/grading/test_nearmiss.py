"""Near-miss property tests from every real gold of MATH-500, AIME 2024 and AIME 2025.

Each gold is rewritten by the seeded transforms of :mod:`ded_plugins.grading.nearmiss`:
every near miss must be rejected, every equivalent rewrite accepted, graded end to end
(the candidate is boxed in a response, as a model writes it).
"""

from __future__ import annotations

import random

import pytest

from ded_plugins.grading import grade_math
from ded_plugins.grading.nearmiss import NEAR_MISSES
from ded_plugins.grading.probes import Probe, probes
from ded_plugins.grading.rewrites import REWRITES


def _failures(suite: list[Probe]) -> list[tuple[str, str, str]]:
    return [
        (p.transform, p.gold, p.candidate)
        for p in suite
        if grade_math(f"So the final answer is $\\boxed{{{p.candidate}}}$.", p.gold).correct != p.equivalent
    ]


def test_every_transform_applies_to_some_real_gold(real_golds: list[tuple[str, str]]) -> None:
    made = {p.transform for p in probes(real_golds)}
    assert made == set(NEAR_MISSES) | set(REWRITES)


def test_near_misses_of_real_golds_are_rejected(real_golds: list[tuple[str, str]]) -> None:
    suite = [p for p in probes(real_golds) if not p.equivalent]
    assert len(suite) > 1500
    assert _failures(suite) == []


def test_rewrites_of_real_golds_are_accepted(real_golds: list[tuple[str, str]]) -> None:
    suite = [p for p in probes(real_golds) if p.equivalent]
    assert len(suite) > 1500
    assert _failures(suite) == []


def _seeded(golds: list[tuple[str, str]], seeds: range) -> list[Probe]:
    """The probes of several seeds (other digits changed, other elements dropped...), each once."""
    unique = {(p.gold, p.candidate): p for seed in seeds for p in probes(golds, seed=seed)}
    return list(unique.values())


def test_ten_more_seeds(real_golds: list[tuple[str, str]]) -> None:
    assert _failures(_seeded(real_golds, range(1, 11))) == []


@pytest.mark.slow
def test_a_hundred_more_seeds(real_golds: list[tuple[str, str]]) -> None:
    assert _failures(_seeded(real_golds, range(11, 111))) == []


@pytest.mark.parametrize(
    ("transform", "gold", "expected"),
    [
        ("flip_sign", "\\frac{14}{3}", ["-\\frac{14}{3}"]),
        ("flip_sign", "0", []),  # -0 is 0: no near miss
        ("off_by_one", "025", None),
        ("flip_inequality", "(2,\\infty)", ["x < 2", "x \\geq 2"]),
        ("open_endpoint", "[3,4)", None),
        ("swap_pair", "(1,1)", []),  # equal coordinates: swapping changes nothing
        ("drop_add_element", "3 \\pm 2 \\sqrt{2}", ["3 + 2 \\sqrt{2}", "3 - 2 \\sqrt{2}"]),
        ("change_exponent", "1^{2}", []),  # a power of 1 is 1
        ("swap_fraction", "\\frac{2}{2}", []),
        ("decimal", "\\frac{3}{4}", ["0.75"]),
        ("decimal", "\\frac{1}{3}", []),  # no terminating decimal
        ("thousands", "10,\\!080", ["10080"]),
        ("sqrt_braces", "\\sqrt{13}", []),  # \sqrt13 would be \sqrt{1}3
        ("assign", "x^2", ["y = x^2"]),
        ("as_inequality", "(-\\infty, 0]", ["x \\leq 0", "0 \\geq x"]),
    ],
)
def test_transforms_are_right_by_construction(transform: str, gold: str, expected: list[str] | None) -> None:
    table = NEAR_MISSES | REWRITES
    made = list(table[transform](gold, random.Random(0)))
    if expected is None:  # a seeded choice: "025" -> "024" or "026"; one end of [3,4) changed
        assert made in (["024"], ["026"], ["(3,4)"], ["[3,4]"])
    else:
        assert made == expected
