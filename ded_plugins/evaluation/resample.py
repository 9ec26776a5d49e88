"""Resampling a run's per-question samples: the data layouts and the draws.

A run is ragged (k may differ per question), so its samples sit in a padded
``questions x k`` matrix with per-question counts. One resample draws N question indices
and, within each, k sample indices; :class:`Padded` turns that into the mean of means
(avg@k), :class:`Ballots` into the share of questions whose most frequent drawn answer
is correct (maj@k). Paired runs share the drawn questions. Draws are made in chunks so
that memory stays bounded whatever the number of resamples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


__all__ = [
    "Ballots",
    "Padded",
    "Questions",
    "Samples",
    "Votes",
    "data_of",
    "draw_together",
    "draws_of",
    "majority_point",
]

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


class Padded:
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


class Ballots:
    """maj@k data: answer ids ``[N, K]`` (-1 none) and the correctness of each answer id ``[N, M]``."""

    def __init__(self, votes: Sequence[Votes]) -> None:
        if not votes:
            raise ValueError("no questions to resample")
        self.padded = Padded([v.answers for v in votes])
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


Data = Padded | Ballots


def data_of(values: Questions) -> Data:
    votes = [v for v in values if isinstance(v, Votes)]
    if not votes:
        return Padded([v for v in values if not isinstance(v, Votes)])
    if len(votes) != len(values):
        raise ValueError("a run mixes vote and number samples")
    return Ballots(votes)


def _chunks(resamples: int, cells: int) -> Iterator[int]:
    step = max(1, _CHUNK_CELLS // max(cells, 1))
    for start in range(0, resamples, step):
        yield min(step, resamples - start)


def draw_together(runs: Sequence[Data], resamples: int, rng: np.random.Generator) -> list[np.ndarray]:
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


def draws_of(values: Questions, resamples: int, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """The statistic on ``values`` (avg@k for numbers, maj@k for :class:`Votes`) and its draws."""
    data = data_of(values)
    return data.point(), draw_together([data], resamples, rng)[0]


def majority_point(votes: Sequence[Votes]) -> float:
    """maj@k on the samples as they are (ties go to the answer seen first)."""
    return Ballots(votes).point()
