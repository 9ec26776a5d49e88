"""A compact MinHash LSH index for streaming deduplication (signatures from datasketch).

datasketch's ``MinHashLSH`` keeps a Python set per bucket and the band bytes twice per
key: about 4.5 KB per indexed question (543 MiB peak at 100,000 questions, measured by
``benchmarks/bench_pool.py``), so a million-question pool would need several GiB. This
index keeps the same banding (bands and rows chosen as datasketch chooses them: the pair
that minimises the false-positive plus false-negative area of the S-curve) in numpy
arrays: the salted 64-bit key of every (question, band) in one sorted array, searched by
bisection, and a b-bit (8-bit) copy of every signature to verify candidates (Li and
König's estimator corrects for the 1/256 chance that two low bytes agree). About 0.25 KB
per question.
"""

from __future__ import annotations

import numpy as np


__all__ = ["Buckets", "LshIndex", "optimal_bands"]


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimising the false-positive + false-negative area at ``threshold``."""
    best = (num_perm, 1)
    best_error = float("inf")
    below = np.linspace(0.0, threshold, 201)
    above = np.linspace(threshold, 1.0, 201)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _trapezoid(1 - (1 - below**rows) ** bands, below)
            fn = _trapezoid((1 - above**rows) ** bands, above)
            if fp + fn < best_error:
                best, best_error = (bands, rows), float(fp + fn)
    return best


class Buckets:
    """Band key -> members, as a sorted array plus a small dict of recent insertions.

    Queries binary-search the sorted part; the recent part is merged in once it holds a
    tenth of the sorted size (at least 2**16 entries), so merging costs O(n log n) overall.
    About 12 bytes per (member, band).
    """

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.members = np.zeros(0, dtype=np.int32)
        self.recent: dict[int, list[int]] = {}
        self.n_recent = 0

    def get(self, keys: list[int]) -> set[int]:
        found: set[int] = set()
        if len(self.keys):
            probe = np.asarray(keys, dtype=np.uint64)
            lo = np.searchsorted(self.keys, probe, side="left")
            hi = np.searchsorted(self.keys, probe, side="right")
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                if b > a:
                    found.update(self.members[a:b].tolist())
        for key in keys:
            found.update(self.recent.get(key, ()))
        return found

    def put(self, keys: list[int], member: int) -> None:
        for key in keys:
            self.recent.setdefault(key, []).append(member)
        self.n_recent += len(keys)
        if self.n_recent >= max(1 << 16, len(self.keys) // 10):
            new_keys = np.fromiter((k for k, ms in self.recent.items() for _ in ms), dtype=np.uint64)
            new_members = np.fromiter((m for ms in self.recent.values() for m in ms), dtype=np.int32)
            keys_all = np.concatenate([self.keys, new_keys])
            order = np.argsort(keys_all, kind="stable")
            self.keys = keys_all[order]
            self.members = np.concatenate([self.members, new_members])[order]
            self.recent = {}
            self.n_recent = 0


class LshIndex:
    """Signatures of the questions kept so far, banded for candidate lookup."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.bands, self.rows = optimal_bands(threshold, num_perm)
        self.num_perm = num_perm
        rng = np.random.default_rng(20250801)  # fixed: band keys are the same in every run
        self._mult = rng.integers(1, 2**63, size=self.rows, dtype=np.uint64) | np.uint64(1)
        self._salt = rng.integers(1, 2**63, size=self.bands, dtype=np.uint64)
        self._buckets = Buckets()
        self._low = np.zeros((1 << 12, num_perm), dtype=np.uint8)
        self.size = 0

    def _keys(self, signature: np.ndarray) -> list[int]:
        used = signature[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        with np.errstate(over="ignore"):
            keys = (used * self._mult).sum(axis=1, dtype=np.uint64) ^ self._salt
        return [int(k) for k in keys.tolist()]

    def candidates(self, signature: np.ndarray) -> list[tuple[int, float]]:
        """``(member, estimated Jaccard)`` of every member sharing a band with ``signature``."""
        found = self._buckets.get(self._keys(signature))
        if not found:
            return []
        members = np.fromiter(sorted(found), dtype=np.int64)
        agree = np.count_nonzero(self._low[members] == signature.astype(np.uint8), axis=1) / self.num_perm
        estimate = np.clip((agree - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)
        return list(zip(members.tolist(), estimate.tolist(), strict=True))

    def add(self, signature: np.ndarray) -> int:
        """Index ``signature``; returns its member number (0, 1, 2, ... in insertion order)."""
        member = self.size
        if member >= len(self._low):
            self._low = np.concatenate([self._low, np.zeros_like(self._low)])
        self._low[member] = signature.astype(np.uint8)
        self._buckets.put(self._keys(signature), member)
        self.size += 1
        return member
