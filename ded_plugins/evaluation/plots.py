"""PNGs of ``ded compare`` and ``ded report`` (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ded_plugins._optional import require
from ded_plugins.io import atomic_write


if TYPE_CHECKING:
    from ded_plugins.evaluation.compare import Comparison
    from ded_plugins.evaluation.report import Report

__all__ = ["differences_plot", "report_plot"]


def _pyplot() -> Any:
    matplotlib = require("matplotlib", "analysis", purpose="the comparison and report plots")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", "analysis")


def _save(fig: Any, path: Path) -> None:
    plt = _pyplot()
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


def differences_plot(path: Path, comparison: Comparison) -> None:
    """One row per pair and task: the difference ``B - A`` with its interval; 0 marked."""
    plt = _pyplot()
    rows = [(f"{p.b} − {p.a}: {t.task}", t.diff, t.scale) for p in comparison.pairs for t in p.tasks]
    rows += [
        (f"{p.b} − {p.a}: {'weighted mean' if p.weights else 'mean of tasks'}", p.aggregate, p.tasks[0].scale)
        for p in comparison.pairs
        if p.aggregate is not None
    ]
    fig, ax = plt.subplots(figsize=(8.0, 0.9 + 0.45 * len(rows)))
    for y, (_, d, scale) in enumerate(reversed(rows)):
        colour = "C3" if d.significant else "0.45"
        lo, hi = (d.value - d.low) * scale, (d.high - d.value) * scale
        ax.errorbar(d.value * scale, y, xerr=[[lo], [hi]], fmt="o", color=colour, capsize=4)
    ax.axvline(0.0, color="0.2", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(rows)), [label for label, *_ in reversed(rows)])
    unit = "points" if all(s == 100.0 for *_, s in rows) else "score"
    ax.set_xlabel(
        f"difference ({unit}), {round(comparison.level * 100)}% interval; red: larger than the noise"
    )
    ax.set_title("Paired differences (two-level bootstrap)")
    _save(fig, path)


def report_plot(path: Path, report: Report) -> None:
    """Grouped bars per task with interval error bars; the paper's numbers as black diamonds."""
    import numpy as np

    plt = _pyplot()
    tasks = list(report.tasks)
    rows = report.rows
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(tasks)), 4.2))
    x = np.arange(len(tasks))
    paper_label = "paper"
    for i, row in enumerate(rows):
        pos = x + (i - (len(rows) - 1) / 2) * width
        vals: list[float] = []
        errs: list[list[float]] = [[], []]
        for t in tasks:
            e = row.scores.get(t)
            s = report.scale.get(t, 1.0)
            vals.append(e.value * s if e else np.nan)
            errs[0].append((e.value - e.low) * s if e else 0.0)
            errs[1].append((e.high - e.value) * s if e else 0.0)
        ax.bar(pos, vals, width, yerr=errs, capsize=3, label=row.label, color=f"C{i}")
        if row.paper is not None:
            ys = [row.paper.value(t) for t in tasks]
            xs = [p for p, v in zip(pos, ys, strict=True) if v is not None]
            ax.scatter(
                xs, [v for v in ys if v is not None], marker="D", color="black", zorder=3, label=paper_label
            )
            paper_label = "_nolegend_"
    ax.set_xticks(x, tasks)
    ax.set_ylabel("score (points)" if all(report.scale.get(t) == 100.0 for t in tasks) else "score")
    ax.set_title(f"Results with {round(report.level * 100)}% intervals")
    ax.legend(fontsize=8)
    _save(fig, path)
