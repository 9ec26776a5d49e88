"""``ded compare``: paired differences between lm-eval runs on the same questions.

For every pair of runs and every task both have, the questions both logged are paired
by ``doc_id`` (and checked to be the same question by ``doc_hash``); the difference
``B - A`` of the score, its percentile interval and a two-sided p-value come from one
paired two-level bootstrap (:mod:`ded_plugins.evaluation.bootstrap`: the same questions
drawn for both runs, each run's samples redrawn within each question). When more than
one task is compared, the mean over tasks (or a weighted mean) gets the same treatment
from the tasks' independent draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ded_plugins.errors import InputError
from ded_plugins.evaluation.bootstrap import (
    DEFAULT_RESAMPLES,
    Difference,
    Estimate,
    bootstrap_mean,
    combine_differences,
    difference_from_draws,
    paired_draws,
    rng_for,
)
from ded_plugins.evaluation.results import EvalRun, TaskSamples, align
from ded_plugins.io import write_json, write_text


__all__ = [
    "METHOD",
    "Comparison",
    "PairComparison",
    "TaskComparison",
    "compare_runs",
    "comparison_markdown",
    "fmt_estimate",
    "fmt_p",
    "verdict",
    "write_comparison",
]

METHOD = (
    "paired two-level bootstrap: the same questions are drawn for both runs, then each run's "
    "samples within each drawn question; two-sided p = 2 min(P(d <= 0), P(d >= 0)) over the draws"
)


@dataclass(frozen=True, slots=True)
class TaskComparison:
    task: str
    metric: str
    a: Estimate
    b: Estimate
    diff: Difference
    #: 100 for shares (shown in points), else 1
    scale: float


@dataclass(frozen=True, slots=True)
class PairComparison:
    a: str
    b: str
    tasks: tuple[TaskComparison, ...]
    #: the (weighted) mean over tasks; None with a single task
    aggregate: Difference | None
    weights: Mapping[str, float] | None


@dataclass(frozen=True, slots=True)
class Comparison:
    labels: tuple[str, ...]
    pairs: tuple[PairComparison, ...]
    resamples: int
    seed: int
    level: float
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "method": self.method,
            "resamples": self.resamples,
            "seed": self.seed,
            "level": self.level,
            "pairs": [
                {
                    "a": p.a,
                    "b": p.b,
                    "weights": dict(p.weights) if p.weights else None,
                    "aggregate": p.aggregate.to_dict() if p.aggregate else None,
                    "tasks": {
                        t.task: {
                            "metric": t.metric,
                            "a": t.a.to_dict(),
                            "b": t.b.to_dict(),
                            "diff": t.diff.to_dict(),
                        }
                        for t in p.tasks
                    },
                }
                for p in self.pairs
            ],
        }


def _task(
    sa: TaskSamples, sb: TaskSamples, resamples: int, seed: int, level: float
) -> tuple[TaskComparison, Any]:
    if sa.is_votes != sb.is_votes:
        raise InputError(f"{sa.task}: {sa.metric} is logged differently in the two runs", path=str(sb.source))
    a, b = align(sa, sb)
    n = len(a.values)
    pa, pb, draws = paired_draws(a.values, b.values, resamples, rng_for(seed, sa.task, "paired"))
    diff = difference_from_draws(pa, pb, draws, level=level, seed=seed, questions=n)
    # each run's own score: the seed's stream, the numbers lm-eval and ded report give
    ests = [bootstrap_mean(s.values, resamples=resamples, seed=seed, level=level) for s in (a, b)]
    scale = 100.0 if a.is_share and b.is_share else 1.0
    return TaskComparison(task=sa.task, metric=sa.metric, a=ests[0], b=ests[1], diff=diff, scale=scale), (
        pa,
        pb,
        draws,
    )


def compare_runs(
    runs: Sequence[EvalRun],
    *,
    tasks: Sequence[str] | None = None,
    metric: str | None = None,
    metrics: Mapping[str, str] | None = None,
    weights: Mapping[str, float] | None = None,
    all_pairs: bool = False,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Comparison:
    """Compare each run with the first (``all_pairs``: every pair); ``B - A`` per task.

    ``tasks`` defaults to the tasks every run has; ``metric`` (one for all tasks) or
    ``metrics`` (per task) pick what is compared, by default ``pass@1`` where a task has it.
    """
    if len(runs) < 2:
        raise InputError("compare needs at least two lm-eval results")
    labels = tuple(r.label for r in runs)
    if len(set(labels)) != len(labels):
        raise InputError(f"two results have the same label ({', '.join(labels)}); name them LABEL=PATH")
    if tasks is None:
        tasks = sorted(set.intersection(*(set(r.tasks) for r in runs)))
        if not tasks:
            raise InputError("the results have no task in common", path=str(runs[0].path))
    for t in weights or {}:
        if t not in tasks:
            raise InputError(f"weight for task {t!r}, which is not compared ({', '.join(tasks)})")
    chosen = dict(metrics or {})
    samples = {(r.label, t): r.samples(t, chosen.get(t) or metric) for r in runs for t in tasks}
    pairs = list(itertools.combinations(runs, 2)) if all_pairs else [(runs[0], r) for r in runs[1:]]
    out = []
    for ra, rb in pairs:
        parts = [_task(samples[(ra.label, t)], samples[(rb.label, t)], resamples, seed, level) for t in tasks]
        aggregate = None
        if len(parts) > 1:
            w = weights or {t: 1.0 for t in tasks}
            aggregate = combine_differences(
                [(*draws, w.get(c.task, 0.0)) for c, draws in parts],
                level=level,
                seed=seed,
                questions=sum(c.diff.questions for c, _ in parts),
            )
        out.append(
            PairComparison(
                a=ra.label, b=rb.label, tasks=tuple(c for c, _ in parts), aggregate=aggregate, weights=weights
            )
        )
    return Comparison(labels=labels, pairs=tuple(out), resamples=resamples, seed=seed, level=level)


def fmt_p(p: float, resamples: int) -> str:
    """A p-value as text; 0 from the draws means below one in ``resamples``."""
    return f"< {1 / resamples:.3g}" if p <= 0.0 else f"{p:.3f}"


def _pm(v: float, scale: float) -> str:
    return f"{v * scale:+.1f}" if scale == 100.0 else f"{v * scale:+.4g}"


def fmt_estimate(e: Estimate, scale: float) -> str:
    """A score with its interval: points to one decimal for shares (``scale`` 100), else 4 digits."""
    if scale == 100.0:
        return f"{e.value * scale:.1f} [{e.low * scale:.1f}, {e.high * scale:.1f}]"
    return f"{e.value:.4g} [{e.low:.4g}, {e.high:.4g}]"


def verdict(d: Difference, a: str, b: str) -> str:
    """``b better`` / ``a better`` when the gap exceeds the noise, else ``within noise``."""
    if not d.significant:
        return "within noise"
    return f"{b} better" if d.value > 0 else f"{a} better"


def comparison_markdown(c: Comparison) -> str:
    """One table per pair: the two scores, ``B - A`` with its interval, p and the verdict."""
    pct = round(c.level * 100)
    lines = ["# Paired comparison", ""]
    for p in c.pairs:
        lines += [
            f"## {p.b} vs {p.a}",
            "",
            f"| task | metric | questions | {p.a} | {p.b} | {p.b} − {p.a} | {pct}% interval | p | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for t in p.tasks:
            d = t.diff
            lines.append(
                f"| {t.task} | {t.metric} | {d.questions} | "
                f"{fmt_estimate(t.a, t.scale)} | {fmt_estimate(t.b, t.scale)} | "
                f"{_pm(d.value, t.scale)} | [{_pm(d.low, t.scale)}, {_pm(d.high, t.scale)}] | "
                f"{fmt_p(d.p_value, c.resamples)} | {verdict(d, p.a, p.b)} |"
            )
        if p.aggregate is not None:
            d, s = p.aggregate, p.tasks[0].scale if len({t.scale for t in p.tasks}) == 1 else 1.0
            name = "weighted mean" if p.weights else "mean of tasks"
            lines.append(
                f"| **{name}** | | {d.questions} | {d.a * s:.1f} | {d.b * s:.1f} | {_pm(d.value, s)} | "
                f"[{_pm(d.low, s)}, {_pm(d.high, s)}] | {fmt_p(d.p_value, c.resamples)} | "
                f"{verdict(d, p.a, p.b)} |"
            )
        lines.append("")
    lines += [
        f"Scores are shares in points (x100) with {pct}% intervals. Method: {c.method}; "
        f'{c.resamples} resamples, seed {c.seed}. "within noise": the interval of the difference '
        "contains 0.",
        "",
    ]
    return "\n".join(lines)


def write_comparison(c: Comparison, out_dir: Path) -> dict[str, Path]:
    """``compare.md``, ``compare.json`` and ``compare.png`` (error bars) in ``out_dir``."""
    from ded_plugins.evaluation.plots import differences_plot

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "compare.md",
        "json": out_dir / "compare.json",
        "plot": out_dir / "compare.png",
    }
    differences_plot(paths["plot"], c)  # the one step that needs an extra: before any other file
    write_json(paths["json"], c.to_dict())
    write_text(paths["markdown"], comparison_markdown(c))
    return paths
