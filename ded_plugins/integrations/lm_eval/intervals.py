"""Bootstrap intervals as lm-eval metrics: ``<metric>_boot_se`` and ``<metric>_ci95``.

lm-eval hands a metric's aggregation function the list of per-document values that
``process_results`` returned, and prints ``<metric>_stderr`` only for aggregations it
knows (for ``mean``: the standard deviation of the per-document values over sqrt(N), one
level). So each ``ded_*`` task returns, beside ``pass@1`` and ``maj@k`` (per-question
values, aggregated by ``mean``), two more metrics per score whose per-document value is
that question's samples:

* ``pass@1_boot_se`` / ``pass@1_ci95``: the 0/1 correctness of each of the k samples;
* ``maj@k_boot_se`` / ``maj@k_ci95``: ``{"votes": [answer id or -1 per sample],
  "correct": [0/1 per sample]}``.

Their aggregations run the two-level bootstrap of :mod:`ded_plugins.evaluation.bootstrap`
and return the standard error, and the 95% percentile interval as ``[low, high]``.
lm-eval shows ``N/A`` in their ``Stderr`` column (it has no formula for them). The
per-sample values land in ``--log_samples`` files, which is what ``ded compare`` and
``ded report`` read. Resamples and seed come from the task metadata ``ded_resamples``
(default 1000) and ``ded_bootstrap_seed`` (default 0).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from ded_plugins.evaluation.bootstrap import (
    DEFAULT_RESAMPLES,
    Estimate,
    Votes,
    bootstrap_majority,
    bootstrap_mean,
)


__all__ = [
    "BOOT_SE",
    "CI95",
    "bind_resampling",
    "bootstrap_ci95",
    "bootstrap_se",
    "interval_values",
    "votes_value",
]

BOOT_SE = "_boot_se"
CI95 = "_ci95"


def votes_value(keys: Sequence[str | None], correct: Sequence[bool]) -> dict[str, list[int]]:
    """One question's maj@k data: answer ids numbered by first appearance (-1: no answer)."""
    ids: dict[str, int] = {}
    votes = [-1 if k is None else ids.setdefault(k, len(ids)) for k in keys]
    return {"votes": votes, "correct": [int(bool(c)) for c in correct]}


def interval_values(name: str, per_sample: Any) -> dict[str, Any]:
    """The two interval metrics of ``name`` for one question (the same per-sample value twice)."""
    return {name + BOOT_SE: per_sample, name + CI95: per_sample}


def _votes(value: Mapping[str, Sequence[int]]) -> Votes:
    return Votes(tuple(int(v) for v in value["votes"]), tuple(bool(c) for c in value["correct"]))


def _estimate(items: Sequence[Any], resamples: int, seed: int) -> Estimate:
    if items and isinstance(items[0], Mapping):
        return bootstrap_majority([_votes(i) for i in items], resamples=resamples, seed=seed)
    return bootstrap_mean([[float(x) for x in i] for i in items], resamples=resamples, seed=seed)


def bootstrap_se(items: Sequence[Any], resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> float:
    """Aggregation: the two-level bootstrap standard error."""
    return round(_estimate(items, resamples, seed).se, 6)


def bootstrap_ci95(items: Sequence[Any], resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> list[float]:
    """Aggregation: the two-level bootstrap 95% percentile interval ``[low, high]``."""
    e = _estimate(items, resamples, seed)
    return [round(e.low, 6), round(e.high, 6)]


def _bound(fn: Callable[..., Any], resamples: int, seed: int) -> Callable[[Sequence[Any]], Any]:
    @functools.wraps(fn)
    def aggregate(items: Sequence[Any]) -> Any:
        return fn(items, resamples=resamples, seed=seed)

    return aggregate


def bind_resampling(aggregations: MutableMapping[str, Any], metadata: Mapping[str, Any]) -> None:
    """Give a task's interval aggregations the metadata's resamples and seed."""
    resamples = int(metadata.get("ded_resamples") or DEFAULT_RESAMPLES)
    seed = int(metadata.get("ded_bootstrap_seed") or 0)
    if resamples < 2:
        raise ValueError(f"ded_resamples must be >= 2, found {resamples}")
    for name, fn in list(aggregations.items()):
        base = getattr(fn, "__wrapped__", fn)
        if base is bootstrap_se or base is bootstrap_ci95:
            aggregations[name] = _bound(base, resamples, seed)
