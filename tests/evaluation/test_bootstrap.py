"""The two-level bootstrap against direct computations: exact enumeration, a closed form, seeds."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from ded_plugins.evaluation.bootstrap import (
    Votes,
    bootstrap_majority,
    bootstrap_mean,
    combine_differences,
    draws_of,
    majority_point,
    paired_bootstrap,
    paired_draws,
    rng_for,
)


def _exact_distribution(samples: list[list[int]]) -> dict[Fraction, Fraction]:
    """Every outcome of the two-level resampling, each with its exact probability."""
    n = len(samples)
    dist: dict[Fraction, Fraction] = {}
    for questions in itertools.product(range(n), repeat=n):
        inner = [list(itertools.product(samples[q], repeat=len(samples[q]))) for q in questions]
        weight = Fraction(1, n**n) / np.prod([len(x) for x in inner])
        for draw in itertools.product(*inner):
            value = sum(Fraction(sum(d), len(d)) for d in draw) / n
            dist[value] = dist.get(value, Fraction(0)) + weight
    return dist


def test_matches_exact_enumeration_on_a_tiny_case() -> None:
    samples = [[1, 0], [1, 1, 0], [0]]  # 3 questions, ragged k: 3^3 question draws x their sample draws
    dist = _exact_distribution(samples)
    assert sum(dist.values()) == 1
    mean = sum(v * p for v, p in dist.items())
    var = sum((v - mean) ** 2 * p for v, p in dist.items())
    draws = draws_of(samples, 200_000, rng_for(0))[1]
    assert draws.mean() == pytest.approx(float(mean), abs=2e-3)
    assert draws.var() == pytest.approx(float(var), rel=0.02)
    # the whole distribution, not just two moments: the CDF at every support point
    for value in sorted(dist)[:-1]:
        exact = float(sum(p for v, p in dist.items() if v <= value))
        assert float(np.mean(draws <= float(value) + 1e-12)) == pytest.approx(exact, abs=5e-3)
    e = bootstrap_mean(samples, resamples=5000)
    assert e.value == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert e.se == pytest.approx(float(var) ** 0.5, rel=0.05)


def test_variance_matches_the_closed_form_on_a_benchmark_sized_case() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, 30)
    samples = [list((rng.random(16) < pi).astype(float)) for pi in p]  # AIME: 30 questions x 16
    means = np.array([np.mean(s) for s in samples])
    within = np.array([np.var(s) for s in samples])
    closed = (means.var() + (within / 16).mean()) / 30  # exact variance of the two-level resampled mean
    draws = draws_of(samples, 100_000, rng_for(1))[1]
    assert draws.var() == pytest.approx(closed, rel=0.02)
    one_level = means.var(ddof=1) / 30  # lm-eval's mean_stderr squared: questions only
    assert draws.var() > one_level * 0.98  # the two-level interval is never the narrower one
    e = bootstrap_mean(samples)
    assert e.low < e.value < e.high
    assert (e.resamples, e.seed, e.questions, e.samples, e.level) == (1000, 0, 30, 480, 0.95)


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    rng = np.random.default_rng(0)
    samples = [list((rng.random(8) < 0.4).astype(float)) for _ in range(20)]
    assert bootstrap_mean(samples, seed=7) == bootstrap_mean(samples, seed=7)
    assert bootstrap_mean(samples, seed=7) != bootstrap_mean(samples, seed=8)
    votes = [
        Votes(tuple(int(x) for x in rng.integers(-1, 3, 8)), tuple(rng.random(8) < 0.5)) for _ in range(20)
    ]
    assert bootstrap_majority(votes, seed=1) == bootstrap_majority(votes, seed=1)
    a, b = samples[:10], samples[10:]
    assert paired_bootstrap(a, b, seed=3) == paired_bootstrap(a, b, seed=3)


def test_no_noise_when_every_sample_agrees() -> None:
    e = bootstrap_mean([[1.0] * 4] * 10)
    assert (e.value, e.se, e.low, e.high) == (1.0, 0.0, 1.0, 1.0)


def test_majority_statistic() -> None:
    # question 0: answer 0 (right) twice, answer 1 once -> right; question 1: no answers -> wrong;
    # question 2: tie between answer 0 (wrong, seen first) and 1 (right) -> the first seen wins
    votes = [
        Votes((0, 1, 0), (True, False, True)),
        Votes((-1, -1), (False, False)),
        Votes((0, 1), (False, True)),
    ]
    assert majority_point(votes) == pytest.approx(1 / 3)
    e = bootstrap_majority(votes, resamples=4000)
    assert e.value == pytest.approx(1 / 3)
    assert 0.0 <= e.low <= e.value <= e.high <= 1.0
    # a question whose samples all agree contributes no within-question noise
    sure = [Votes((0, 0, 0, 0), (True,) * 4)] * 5 + [Votes((1, 1, 1, 1), (False,) * 4)] * 5
    draws = draws_of(sure, 20_000, rng_for(0))[1]
    assert draws.var() == pytest.approx(0.25 / 10, rel=0.05)  # questions only: var of a 0/1 mean


def _runs(gap_per_question: int, seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    """30 questions x 16 samples; B has ``gap_per_question`` more right samples on every question
    whose A count leaves room (so the planted gap is exact in total)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(2, 13, 30)  # A's right samples per question
    a = [[1.0] * c + [0.0] * (16 - c) for c in counts]
    b = [[1.0] * (c + gap_per_question) + [0.0] * (16 - c - gap_per_question) for c in counts]
    for row in (*a, *b):
        rng.shuffle(row)
    return a, b


def test_paired_bootstrap_flags_a_planted_ten_point_gap() -> None:
    # 16 samples per question: +1.6 right samples on average is 10 points; plant 48 of 480 exactly
    rng = np.random.default_rng(5)
    a, _ = _runs(0)
    b = [list(r) for r in a]
    wrong = [(i, j) for i, r in enumerate(b) for j, x in enumerate(r) if x == 0.0]
    for k in rng.choice(len(wrong), 48, replace=False):
        i, j = wrong[k]
        b[i][j] = 1.0
    d = paired_bootstrap(a, b)
    assert d.value == pytest.approx(0.10)
    assert d.significant and d.p_value < 0.05 and d.low > 0.0
    assert paired_bootstrap(b, a).value == pytest.approx(-0.10)
    assert paired_bootstrap(b, a).significant


def test_paired_bootstrap_calls_a_zero_gap_noise() -> None:
    a, b = _runs(0)  # the same counts per question, samples in other orders
    d = paired_bootstrap(a, b)
    assert d.value == 0.0
    assert not d.significant and d.low < 0.0 < d.high and d.p_value > 0.5


def test_combined_difference_is_the_weighted_mean_of_the_tasks() -> None:
    a1, b1 = _runs(2, seed=1)
    a2, b2 = _runs(0, seed=2)
    parts = [
        (*paired_draws(a1, b1, 2000, rng_for(0, "t1")), 3.0),
        (*paired_draws(a2, b2, 2000, rng_for(0, "t2")), 1.0),
    ]
    d = combine_differences(parts, level=0.95, seed=0, questions=60)
    assert d.value == pytest.approx((3 * 2 / 16 + 0) / 4)
    assert d.se < paired_bootstrap(a1, b1, resamples=2000).se  # averaging in a noisy-but-flat task


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="no questions"):
        bootstrap_mean([])
    with pytest.raises(ValueError, match="question 1 has no samples"):
        bootstrap_mean([[1.0], []])
    with pytest.raises(ValueError, match="same questions"):
        paired_bootstrap([[1.0]], [[1.0], [0.0]])
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_mean([[1.0]], resamples=1)
