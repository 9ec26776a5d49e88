"""Scores users can trust: bootstrap intervals, paired comparisons, reports beside the paper's.

``bootstrap`` holds the statistics (pure numpy) and ``resample`` the draws behind them;
``results`` reads lm-eval output directories (``results_*.json`` plus the ``--log_samples``
files); ``compare`` and ``report`` build what ``ded compare`` and ``ded report`` print;
``ranking`` the noise in a ``ded teacher`` ranking; ``paper`` holds the DED paper's
numbers; ``plots`` draws the PNGs (matplotlib, imported lazily).
"""

from __future__ import annotations

from ded_plugins.evaluation.bootstrap import (
    Difference,
    Estimate,
    Votes,
    bootstrap_majority,
    bootstrap_mean,
    paired_bootstrap,
)


__all__ = ["Difference", "Estimate", "Votes", "bootstrap_majority", "bootstrap_mean", "paired_bootstrap"]
