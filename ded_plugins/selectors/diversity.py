"""``diversity``: per question, keep the P trajectories farthest apart by Levenshtein distance.

The selection is greedy farthest-point: start with the pair at the largest normalised
distance, then repeatedly add the trajectory whose smallest distance to the chosen set
is largest. Distances are exact (rapidfuzz's bit-parallel Levenshtein on the whole
text, half the matrix, on all cores); nothing approximate can change the choice.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

import numpy as np
from rapidfuzz.distance import Levenshtein

from ded_plugins._optional import require
from ded_plugins._workers import exit_with_parent
from ded_plugins.chat import thinking
from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict
from ded_plugins.steps import ModelRef


__all__ = ["Diversity", "distance_matrix", "select_diverse", "select_from_matrix"]


def distance_matrix(items: Sequence[Sequence[Any]], *, workers: int = 0) -> np.ndarray:
    """Normalised Levenshtein distances ``d(a, b) = lev(a, b) / max(len a, len b)``, 0 for two empties.

    ``items`` are strings or sequences of hashable tokens (e.g. token ids). Each pair
    ``i < j`` is computed once; large inputs are split into cost-balanced shares computed in
    ``workers`` processes (default: one per core), since rapidfuzz holds the GIL.
    """
    n = len(items)
    dist = np.zeros((n, n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    if not pairs:
        return dist
    costs = [len(items[i]) * len(items[j]) for i, j in pairs]
    nproc = workers if workers > 0 else (os.cpu_count() or 1)
    if nproc > 1 and sum(costs) >= _PARALLEL_MIN_COST:
        shares = _balanced(pairs, costs, nproc)
        pool = _pool(nproc)
        raw = [d for share in pool.map(_pair_distances, [items] * len(shares), shares) for d in share]
        pairs = [p for share in shares for p in share]
    else:
        raw = _pair_distances(items, pairs)
    for (i, j), d in zip(pairs, raw, strict=True):
        longest = max(len(items[i]), len(items[j]))
        dist[i, j] = dist[j, i] = d / longest if longest else 0.0
    return dist


#: below this many character-pair cells a process round trip costs more than it saves
_PARALLEL_MIN_COST = 20_000_000
_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def _pair_distances(items: Sequence[Sequence[Any]], pairs: Sequence[tuple[int, int]]) -> list[int]:
    return [int(Levenshtein.distance(items[i], items[j])) for i, j in pairs]


def _balanced(pairs: list[tuple[int, int]], costs: list[int], n: int) -> list[list[tuple[int, int]]]:
    """Split ``pairs`` into ``n`` shares of nearly equal total cost (largest first, to the lightest)."""
    shares: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    loads = [0] * n
    for idx in sorted(range(len(pairs)), key=lambda k: -costs[k]):
        lightest = loads.index(min(loads))
        shares[lightest].append(pairs[idx])
        loads[lightest] += costs[idx]
    return [s for s in shares if s]


def _pool(size: int) -> ProcessPoolExecutor:
    """One pool per process, reused across questions; forkserver keeps the parent's threads out."""
    global _POOL, _POOL_SIZE
    if _POOL is None or size != _POOL_SIZE:
        if _POOL is not None:
            _POOL.shutdown()
        _POOL = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=exit_with_parent,
        )
        _POOL_SIZE = size
        atexit.register(_POOL.shutdown)
    return _POOL


def select_from_matrix(dist: np.ndarray, k: int) -> list[int]:
    """Greedy farthest-point selection on a symmetric distance matrix; see :func:`select_diverse`."""
    n = dist.shape[0]
    if k < 1:
        raise ValueError(f"k must be at least 1, found {k}")
    if n <= k:
        return list(range(n))
    if k == 1:
        return [0]
    # the farthest pair i < j; ties go to the smallest i, then the smallest j
    upper = np.triu(dist, k=1)
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    best = upper[mask].max()
    i, j = (int(v) for v in np.argwhere(mask & (upper == best))[0])  # argwhere is row-major
    chosen = [i, j]
    nearest = np.minimum(dist[i], dist[j]).astype(float)
    nearest[chosen] = -np.inf
    while len(chosen) < k:
        nxt = int(np.argmax(nearest))  # first maximum: ties go to the smallest index
        chosen.append(nxt)
        nearest = np.minimum(nearest, dist[nxt])
        nearest[chosen] = -np.inf
    return chosen


def select_diverse(texts: Sequence[str], k: int) -> list[int]:
    """Indices of ``k`` mutually far texts, in selection order.

    ``d(a, b) = Levenshtein(a, b) / max(len(a), len(b))`` (0 when both are empty). With at
    most ``k`` texts all are returned in order; with ``k == 1``, ``[0]``. Otherwise the
    pair ``i < j`` of largest distance comes first (ties: smallest ``i``, then ``j``), then
    the index with the largest minimum distance to those chosen (ties: smallest index)
    until ``k`` are chosen.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, found {k}")
    if len(texts) <= k:
        return list(range(len(texts)))
    if k == 1:
        return [0]
    return select_from_matrix(distance_matrix(texts), k)


class Diversity:
    """Per question, keep the k trajectories farthest apart by normalised Levenshtein distance.

    ``unit``: compare characters (default) or token ids of ``tokenizer``. ``part``: the
    whole response (default) or only the text inside the thinking block.
    """

    #: each question on its own; distances over every core of the machine
    scope = "group"
    placement = "node"

    def __init__(
        self,
        *,
        k: int = 4,
        unit: Literal["chars", "tokens"] = "chars",
        part: Literal["full", "think"] = "full",
        tokenizer: ModelRef | None = None,
        workers: int = 0,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, found {k}")
        if unit == "tokens" and not tokenizer:
            raise ValueError("unit 'tokens' needs a tokenizer (a local path or hub id)")
        self.k = k
        self.unit = unit
        self.part = part
        self.tokenizer_name = tokenizer
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self._tokenizer: Any = None

    def _view(self, text: str) -> Sequence[Any]:
        if self.part == "think":
            text = thinking(text)
        if self.unit == "chars":
            return text
        if self._tokenizer is None:
            transformers = require("transformers", "analysis", purpose="token-level diversity")
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.tokenizer_name)
        ids: list[int] = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Stream question by question; memory stays that of one question."""
        for group in groups:
            views = [self._view(r.text) for r in group.rollouts]
            if len(views) <= self.k:
                order = list(range(len(views)))
                dist = None
            else:
                dist = distance_matrix(views, workers=self.workers)
                order = select_from_matrix(dist, self.k)
            for rank, idx in enumerate(order):
                details: dict[str, Any] = {"rank": rank, "candidates": len(views)}
                if dist is not None and rank > 0:
                    details["min_distance"] = round(float(min(dist[idx][order[:rank]])), 6)
                yield group.rollouts[idx], Verdict(passed=True, details=details)
            chosen = set(order)
            for idx, r in enumerate(group.rollouts):
                if idx not in chosen:
                    yield r, Verdict(passed=False, reason="not_selected", details={"candidates": len(views)})
            context.advance(len(group.rollouts))
