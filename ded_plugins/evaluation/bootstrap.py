"""Two-level bootstrap for benchmark scores: resample questions, then each question's k samples.

A ``ded_*`` score is the mean over N questions of the share of a question's k samples
that are correct (avg@k), or of whether its majority answer is (maj@k). One resample
draws N questions with replacement and, for each drawn question, k of its samples with
replacement; the statistic is recomputed on that. The spread of the resampled statistic
gives the standard error and the percentile interval.

Resampling both levels counts the sampling noise of each question twice in expectation
(once through the spread of the question means, once through the redrawn samples), so
the interval is a little wider than a one-level bootstrap over question means: for a
mean, the resampled variance is ``(var(question means) + mean(var within) / k) / N``
exactly (population variances), which the tests check. It errs on the side of calling a
gap noise.

Paired comparisons draw the same questions for both runs and each run's samples
independently; the p-value is two-sided from the same draws, ``2 * min(P*(d <= 0),
P*(d >= 0))``, so it is below ``1 - level`` exactly when the percentile interval of the
difference excludes 0. Everything is seeded: the same inputs, seed and resamples give
the same numbers on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ded_plugins.evaluation.resample import (
    Questions,
    Votes,
    data_of,
    draw_together,
    draws_of,
    majority_point,
)


__all__ = [
    "DEFAULT_RESAMPLES",
    "Difference",
    "Estimate",
    "Votes",
    "bootstrap_majority",
    "bootstrap_mean",
    "combine_differences",
    "difference_from_draws",
    "draws_of",
    "estimate_from_draws",
    "majority_point",
    "paired_bootstrap",
    "paired_draws",
    "rng_for",
]

DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True, slots=True)
class Estimate:
    """A score with its bootstrap standard error and percentile interval."""

    value: float
    se: float
    low: float
    high: float
    level: float
    resamples: int
    seed: int
    questions: int
    samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Difference:
    """``b - a`` on the same questions, its interval and a two-sided p-value from the same draws."""

    a: float
    b: float
    value: float
    se: float
    low: float
    high: float
    p_value: float
    level: float
    resamples: int
    seed: int
    questions: int

    @property
    def significant(self) -> bool:
        """The gap is larger than the noise: the interval excludes 0."""
        return self.p_value < 1.0 - self.level

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def rng_for(seed: int, *streams: str) -> np.random.Generator:
    """A generator for ``seed`` and named streams (a task name), independent of call order.

    One run's score is always resampled from the seed's own stream (no names), so lm-eval's
    printed interval, ``ded report`` and ``ded teacher`` give the same numbers for the same
    samples; named streams keep draws that are combined (tasks of an aggregate) independent.
    """
    import zlib

    return np.random.default_rng([seed, *(zlib.crc32(s.encode()) for s in streams if s)])


def _check(resamples: int, level: float) -> None:
    if resamples < 2:
        raise ValueError(f"resamples must be >= 2, found {resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, found {level}")


def estimate_from_draws(
    point: float, draws: np.ndarray, *, level: float, seed: int, questions: int, samples: int
) -> Estimate:
    """An :class:`Estimate` from bootstrap draws of the statistic."""
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return Estimate(
        value=float(point),
        se=float(draws.std(ddof=1)),
        low=float(low),
        high=float(high),
        level=level,
        resamples=int(draws.size),
        seed=seed,
        questions=questions,
        samples=samples,
    )


def bootstrap_mean(
    values: Questions,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    stream: str = "",
) -> Estimate:
    """The statistic on ``values`` with its interval: avg@k of sample values (the mean over
    questions of each question's sample mean), maj@k of :class:`Votes`.

    The draws come from ``rng_for(seed, stream)``.
    """
    _check(resamples, level)
    data = data_of(values)
    draws = draw_together([data], resamples, rng_for(seed, stream))[0]
    return estimate_from_draws(
        data.point(),
        draws,
        level=level,
        seed=seed,
        questions=int(data.counts.size),
        samples=int(data.counts.sum()),
    )


#: maj@k (the most frequent answer among a question's samples is correct): :func:`bootstrap_mean`
#: of :class:`Votes`, which tells the two kinds apart by itself
bootstrap_majority = bootstrap_mean


def difference_from_draws(
    a: float, b: float, draws: np.ndarray, *, level: float, seed: int, questions: int
) -> Difference:
    """A :class:`Difference` from bootstrap draws of ``b - a``."""
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    p = min(1.0, 2.0 * min(float(np.mean(draws <= 0.0)), float(np.mean(draws >= 0.0))))
    return Difference(
        a=float(a),
        b=float(b),
        value=float(b - a),
        se=float(draws.std(ddof=1)),
        low=float(low),
        high=float(high),
        p_value=p,
        level=level,
        resamples=int(draws.size),
        seed=seed,
        questions=questions,
    )


def paired_draws(
    a: Questions, b: Questions, resamples: int, rng: np.random.Generator
) -> tuple[float, float, np.ndarray]:
    """Point values of ``a`` and ``b`` and bootstrap draws of ``b - a`` on the same questions."""
    if len(a) != len(b):
        raise ValueError(f"paired runs must have the same questions ({len(a)} vs {len(b)})")
    da, db = data_of(a), data_of(b)
    draws_a, draws_b = draw_together([da, db], resamples, rng)
    return da.point(), db.point(), draws_b - draws_a


def paired_bootstrap(
    a: Questions,
    b: Questions,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    stream: str = "",
) -> Difference:
    """``b - a`` on the same questions (question ``i`` of ``a`` is question ``i`` of ``b``)."""
    _check(resamples, level)
    pa, pb, draws = paired_draws(a, b, resamples, rng_for(seed, stream))
    return difference_from_draws(pa, pb, draws, level=level, seed=seed, questions=len(a))


def combine_differences(
    parts: Sequence[tuple[float, float, np.ndarray, float]],
    *,
    level: float,
    seed: int,
    questions: int,
) -> Difference:
    """A weighted mean of independent differences (``(a, b, draws of b - a, weight)`` per task)."""
    total = sum(w for *_, w in parts)
    if not parts or total <= 0:
        raise ValueError("nothing to combine")
    a = sum(pa * w for pa, _, _, w in parts) / total
    b = sum(pb * w for _, pb, _, w in parts) / total
    draws = sum(d * w for _, _, d, w in parts) / total
    return difference_from_draws(a, b, np.asarray(draws), level=level, seed=seed, questions=questions)
