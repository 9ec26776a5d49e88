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

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


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
#: resampled cells (resamples x questions x samples [x answers]) held in memory at once
_CHUNK_CELLS = 4_000_000

Samples = Sequence[Sequence[float]]
#: per question, its sample values (avg@k) or its :class:`Votes` (maj@k); one kind per run
Questions = Sequence["Sequence[float] | Votes"]


@dataclass(frozen=True, slots=True)
class Votes:
    """One question's samples for maj@k: an answer id per sample (-1: no answer) and its correctness."""

    answers: tuple[int, ...]
    correct: tuple[bool, ...]


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


class _Padded:
    """avg@k data: ragged per-question samples as a padded matrix plus per-question counts."""

    def __init__(self, samples: Samples) -> None:
        counts = np.array([len(s) for s in samples], dtype=np.int64)
        if counts.size == 0:
            raise ValueError("no questions to resample")
        if (counts == 0).any():
            raise ValueError(f"question {int(np.argmin(counts))} has no samples")
        self.counts = counts
        self.width = int(counts.max())
        self.cells = self.width
        self.values = np.zeros((counts.size, self.width), dtype=np.float64)
        for i, s in enumerate(samples):
            self.values[i, : len(s)] = np.asarray(s, dtype=np.float64)

    def draw(self, rng: np.random.Generator, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample indices ``[b, N, K]`` within the drawn questions ``q`` ``[b, N]``, and their mask."""
        k = self.counts[q]
        s = (rng.random((*q.shape, self.width)) * k[..., None]).astype(np.int64)
        return s, np.arange(self.width) < k[..., None]

    def stat(self, q: np.ndarray, s: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean over the drawn questions of the mean of their drawn samples."""
        picked = self.values[q[..., None], s] * mask
        return np.asarray((picked.sum(-1) / self.counts[q]).mean(-1))

    def point(self) -> float:
        return float((self.values.sum(-1) / self.counts).mean())


class _Ballots:
    """maj@k data: answer ids ``[N, K]`` (-1 none) and the correctness of each answer id ``[N, M]``."""

    def __init__(self, votes: Sequence[Votes]) -> None:
        if not votes:
            raise ValueError("no questions to resample")
        self.padded = _Padded([v.answers for v in votes])
        self.counts, self.width = self.padded.counts, self.padded.width
        self.answers = self.padded.values.astype(np.int64)
        self.answers[np.arange(self.width) >= self.counts[:, None]] = -1
        self.options = max(1, max(max(v.answers, default=-1) + 1 for v in votes))
        self.cells = self.width * self.options
        self.key_correct = np.zeros((len(votes), self.options), dtype=bool)
        for i, v in enumerate(votes):
            if len(v.correct) != len(v.answers):
                raise ValueError(f"question {i}: {len(v.answers)} answers but {len(v.correct)} verdicts")
            for a, c in reversed(list(zip(v.answers, v.correct, strict=True))):
                if a >= 0:  # the first sample with an answer decides that answer's correctness
                    self.key_correct[i, a] = c

    def draw(self, rng: np.random.Generator, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.padded.draw(rng, q)

    def _majority(self, q: np.ndarray, picked: np.ndarray) -> np.ndarray:
        counts = (picked[..., None] == np.arange(self.options)).sum(-2)
        top = counts.argmax(-1)  # ties: the lowest id, i.e. the answer seen first
        return np.asarray((self.key_correct[q, top] & (counts.max(-1) > 0)).mean(-1))

    def stat(self, q: np.ndarray, s: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Share of drawn questions whose most frequent drawn answer is correct."""
        return self._majority(q, np.where(mask, self.answers[q[..., None], s], -1))

    def point(self) -> float:
        return float(self._majority(np.arange(self.counts.size)[None, :], self.answers[None, ...])[0])


_Data = _Padded | _Ballots


def _data(values: Questions) -> _Data:
    votes = [v for v in values if isinstance(v, Votes)]
    if not votes:
        return _Padded([v for v in values if not isinstance(v, Votes)])
    if len(votes) != len(values):
        raise ValueError("a run mixes vote and number samples")
    return _Ballots(votes)


def _chunks(resamples: int, cells: int) -> Iterator[int]:
    step = max(1, _CHUNK_CELLS // max(cells, 1))
    for start in range(0, resamples, step):
        yield min(step, resamples - start)


def _draws(runs: Sequence[_Data], resamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Bootstrap draws of each run's statistic, all on the same drawn questions."""
    n = runs[0].counts.size
    if any(r.counts.size != n for r in runs):
        raise ValueError(f"paired runs must have the same questions ({[r.counts.size for r in runs]})")
    out: list[list[np.ndarray]] = [[] for _ in runs]
    for b in _chunks(resamples, n * max(r.cells for r in runs)):
        q = rng.integers(0, n, size=(b, n))
        for r, sink in zip(runs, out, strict=True):
            sink.append(r.stat(q, *r.draw(rng, q)))
    return [np.concatenate(d) for d in out]


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


def draws_of(values: Questions, resamples: int, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """The statistic on ``values`` (avg@k for numbers, maj@k for :class:`Votes`) and its draws."""
    data = _data(values)
    return data.point(), _draws([data], resamples, rng)[0]


def _bootstrap(values: Questions, resamples: int, seed: int, level: float, stream: str) -> Estimate:
    _check(resamples, level)
    data = _data(values)
    draws = _draws([data], resamples, rng_for(seed, stream))[0]
    return estimate_from_draws(
        data.point(),
        draws,
        level=level,
        seed=seed,
        questions=int(data.counts.size),
        samples=int(data.counts.sum()),
    )


def bootstrap_mean(
    samples: Samples,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    stream: str = "",
) -> Estimate:
    """The mean over questions of each question's sample mean (avg@k), with its interval."""
    return _bootstrap(samples, resamples, seed, level, stream)


def bootstrap_majority(
    votes: Sequence[Votes],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    stream: str = "",
) -> Estimate:
    """maj@k (the most frequent answer among a question's samples is correct), with its interval."""
    return _bootstrap(votes, resamples, seed, level, stream)


def majority_point(votes: Sequence[Votes]) -> float:
    """maj@k on the samples as they are (ties go to the answer seen first)."""
    return _Ballots(votes).point()


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
    da, db = _data(a), _data(b)
    draws_a, draws_b = _draws([da, db], resamples, rng)
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
