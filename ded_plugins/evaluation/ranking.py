"""Noise in a ``ded teacher`` ranking: each student's scores with intervals, and every pair's gap.

Reads each smoke-test student's lm-eval output (run with ``--log_samples``). Per teacher:
every task's score with its two-level bootstrap interval, and the ranking aggregate's (the
weighted mean of the tasks, from the tasks' independent draws). Per pair of teachers
(higher-ranked first): the paired difference of each task and of the aggregate, so the
report can say whether a gap is larger than the noise. Without logged samples the
ranking still stands; the noise is then reported as not measured, with the reason.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ded_plugins.errors import InputError
from ded_plugins.evaluation.bootstrap import (
    DEFAULT_RESAMPLES,
    Estimate,
    bootstrap_mean,
    draws_of,
    estimate_from_draws,
    rng_for,
)
from ded_plugins.evaluation.compare import METHOD, PairComparison, compare_runs
from ded_plugins.evaluation.results import EvalRun, load_run


__all__ = ["AGGREGATE", "RankedRun", "RankingNoise", "ranking_noise"]

log = logging.getLogger(__name__)

AGGREGATE = "aggregate"


@dataclass(frozen=True, slots=True)
class RankedRun:
    """One evaluated student: its name, lm-eval output directory and ``{task: {"metric": "pass@1,none"}}``."""

    name: str
    eval_dir: Path
    scores: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class RankingNoise:
    #: name -> task (and ``"aggregate"``) -> estimate
    intervals: Mapping[str, Mapping[str, Estimate]]
    #: every pair, ``b`` ranked above ``a``: ``b - a`` is the higher-ranked one's lead
    pairs: tuple[PairComparison, ...]
    reason: str | None
    resamples: int
    seed: int
    level: float

    @property
    def winner_within_noise(self) -> bool | None:
        """Whether the winner's lead over the runner-up is within noise (None: not measured)."""
        lead = self.lead
        return None if lead is None else not lead.significant

    @property
    def lead(self) -> Any:
        """The winner-vs-runner-up :class:`~ded_plugins.evaluation.bootstrap.Difference` of the aggregate."""
        if not self.pairs:
            return None
        first = self.pairs[0]
        return first.aggregate if first.aggregate is not None else first.tasks[0].diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "resamples": self.resamples,
            "seed": self.seed,
            "level": self.level,
            "reason": self.reason,
            "winner_within_noise": self.winner_within_noise,
            "intervals": {n: {t: e.to_dict() for t, e in iv.items()} for n, iv in self.intervals.items()},
            "pairs": [
                {
                    "higher": p.b,
                    "lower": p.a,
                    "aggregate": (p.aggregate or p.tasks[0].diff).to_dict(),
                    "tasks": {t.task: t.diff.to_dict() for t in p.tasks},
                }
                for p in self.pairs
            ],
        }


def _metric(score: Mapping[str, Any]) -> str:
    return str(score.get("metric", "")).split(",", 1)[0]


def _intervals(
    run: EvalRun,
    ranked: RankedRun,
    weights: Mapping[str, float] | None,
    resamples: int,
    seed: int,
    level: float,
) -> dict[str, Estimate]:
    out: dict[str, Estimate] = {}
    parts = []
    for task, score in ranked.scores.items():
        samples = run.samples(task, _metric(score) or None)
        values = samples.values
        n = len(values)
        # the task's own interval from the seed's stream (the numbers lm-eval and ded report print);
        # for the aggregate, independent draws per task
        out[task] = bootstrap_mean(values, resamples=resamples, seed=seed, level=level)
        draws = draws_of(values, resamples, rng_for(seed, task))[1]
        w = 1.0 if weights is None else weights.get(task, 0.0)
        parts.append((out[task].value, draws, w, n, samples.count))
    total = sum(p[2] for p in parts)
    if len(parts) == 1:
        out[AGGREGATE] = out[next(iter(ranked.scores))]
    elif total > 0:
        point = sum(p[0] * p[2] for p in parts) / total
        draws = np.asarray(sum(p[1] * p[2] for p in parts) / total)
        out[AGGREGATE] = estimate_from_draws(
            point,
            draws,
            level=level,
            seed=seed,
            questions=sum(p[3] for p in parts),
            samples=sum(p[4] for p in parts),
        )
    return out


def ranking_noise(
    ranked: Sequence[RankedRun],
    *,
    weights: Mapping[str, float] | None = None,
    extra: Sequence[RankedRun] = (),
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> RankingNoise:
    """Intervals for every run (``extra``: e.g. the student without SFT, not ranked) and the gaps
    between every pair of ``ranked`` (best first)."""
    try:
        runs = {r.name: load_run(r.eval_dir, label=r.name) for r in [*ranked, *extra]}
        intervals = {
            r.name: _intervals(runs[r.name], r, weights, resamples, seed, level) for r in [*ranked, *extra]
        }
        pairs: list[PairComparison] = []
        for high, low in itertools.combinations(ranked, 2):
            tasks = [t for t in high.scores if t in low.scores]
            comparison = compare_runs(
                [runs[low.name], runs[high.name]],
                tasks=tasks,
                metrics={t: _metric(high.scores[t]) for t in tasks},
                weights=weights,
                resamples=resamples,
                seed=seed,
                level=level,
            )
            pairs.extend(comparison.pairs)
    except (InputError, ValueError) as exc:
        log.warning("ranking noise not measured: %s", exc)
        return RankingNoise(
            intervals={}, pairs=(), reason=str(exc), resamples=resamples, seed=seed, level=level
        )
    return RankingNoise(
        intervals=intervals, pairs=tuple(pairs), reason=None, resamples=resamples, seed=seed, level=level
    )
