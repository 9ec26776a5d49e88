"""The report's PNG plots (matplotlib, Agg backend): scores, entropy histograms, PCA shift."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ded_plugins._optional import require


__all__ = ["entropy_plot", "gaussian_kde", "pca_shift_plot", "scores_plot"]


def _pyplot() -> Any:
    matplotlib = require("matplotlib", "analysis", purpose="the teacher report's plots")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", "analysis")


def gaussian_kde(
    values: np.ndarray, grid: np.ndarray, *, max_points: int = 20000, seed: int = 0
) -> np.ndarray:
    """Density on ``grid`` with Scott's bandwidth; large samples are subsampled (seeded) to bound the cost."""
    v = values.astype(np.float64)
    if v.size > max_points:
        v = np.random.default_rng(seed).choice(v, max_points, replace=False)
    std = v.std()
    if v.size < 2 or std == 0:
        return np.zeros_like(grid)
    h = std * v.size ** (-1 / 5)
    out = np.zeros_like(grid, dtype=np.float64)
    for start in range(0, v.size, 2048):  # bounded memory: grid x 2048 at a time
        z = (grid[:, None] - v[None, start : start + 2048]) / h
        out += np.exp(-0.5 * z * z).sum(axis=1)
    return np.asarray(out / (v.size * h * np.sqrt(2 * np.pi)))


def scores_plot(
    path: Path,
    teachers: Sequence[str],
    tasks: Sequence[str],
    scores: Mapping[str, Mapping[str, float]],
    aggregate: Mapping[str, float],
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
) -> None:
    """Grouped bars: one group per task plus the aggregate, one bar per teacher; ``intervals``
    (teacher -> task or ``"aggregate"`` -> (low, high)) draws error bars."""
    plt = _pyplot()
    labels = [*tasks, "aggregate"]
    width = 0.8 / max(len(teachers), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(labels)), 4.0))
    x = np.arange(len(labels))
    top = 0.0
    for i, t in enumerate(teachers):
        values = [scores[t].get(task, np.nan) for task in tasks] + [aggregate[t]]
        bounds = [(intervals or {}).get(t, {}).get(label) for label in labels]
        yerr = [
            [v - b[0] if b else 0.0 for v, b in zip(values, bounds, strict=True)],
            [b[1] - v if b else 0.0 for v, b in zip(values, bounds, strict=True)],
        ]
        top = max([top, *(v for v in values if v == v), *(b[1] for b in bounds if b)])
        colour = "0.6" if t == "base_student" else f"C{i}"
        pos = x + (i - (len(teachers) - 1) / 2) * width
        bars = ax.bar(pos, values, width, label=t, color=colour, yerr=yerr if intervals else None, capsize=3)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_ylim(0.0, top * 1.15 if top > 0 else 1.0)
    ax.set_xticks(x, labels)
    ax.set_ylabel("score")
    ax.set_title("Smoke-test benchmark scores per teacher")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def entropy_plot(path: Path, values: Mapping[str, np.ndarray], *, unit: str = "bits") -> None:
    """Histogram (density) with a KDE line per teacher, on one axis, as in the paper's Figure 3."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    top = max((float(v.max()) for v in values.values() if v.size), default=1.0)
    grid = np.linspace(0.0, max(top, 1e-6), 400)
    bins = np.linspace(0.0, max(top, 1e-6), 60)
    for i, (name, v) in enumerate(values.items()):
        colour = f"C{i}"
        mean = float(v.mean()) if v.size else float("nan")
        ax.hist(v, bins=bins, density=True, alpha=0.35, color=colour, label=f"{name} (mean {mean:.3f})")
        ax.plot(grid, gaussian_kde(v, grid), color=colour, linewidth=1.5)
    ax.set_xlabel(f"Entropy ({unit})")
    ax.set_ylabel("density")
    ax.set_title("Token entropy of each teacher's corpus")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pca_shift_plot(
    path: Path, per_layer: Mapping[str, Mapping[str, Sequence[float]]], dis: Mapping[str, Mapping[str, float]]
) -> None:
    """Per-layer shift, one panel per benchmark, one line per teacher (``dis`` in the legend)."""
    plt = _pyplot()
    ticker = require("matplotlib.ticker", "analysis")
    benches = sorted({b for d in per_layer.values() for b in d})
    fig, axes = plt.subplots(1, len(benches), figsize=(5.0 * len(benches), 3.8), squeeze=False)
    for ax, bench in zip(axes[0], benches, strict=True):
        for i, (teacher, layers) in enumerate(per_layer.items()):
            if bench in layers:
                ax.plot(
                    layers[bench],
                    marker="o",
                    markersize=3,
                    color=f"C{i}",
                    label=f"{teacher} (dis {dis[teacher][bench]:.3g})",
                )
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.set_xlabel("hidden-state index (0 = embeddings)")
        ax.set_ylabel("shift in PC space")
        ax.set_title(f"PCA shift: {bench}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
