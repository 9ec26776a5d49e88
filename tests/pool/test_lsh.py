"""The compact LSH index: datasketch's banding, candidates across the sorted/recent split."""

from __future__ import annotations

import numpy as np
import pytest

from ded_plugins.pool.lsh import Buckets, LshIndex, optimal_bands


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.8, 128), (0.5, 64), (0.7, 128)])
def test_bands_are_datasketchs(threshold: float, num_perm: int) -> None:
    lsh = pytest.importorskip("datasketch.lsh")
    assert optimal_bands(threshold, num_perm) == lsh._optimal_param(threshold, num_perm, 0.5, 0.5)


def test_buckets_find_members_before_and_after_a_merge() -> None:
    b = Buckets()
    for member in range(70_000):  # more than one merge's worth of entries
        b.put([member % 1000, 10**6 + member], member)
    assert len(b.keys) > 0 and b.recent  # part sorted, part recent
    assert b.get([7]) == set(range(7, 70_000, 1000))
    assert b.get([10**6 + 69_999, 10**6 + 5]) == {69_999, 5}
    assert b.get([123_456_789]) == set()


def test_index_estimates_similarity() -> None:
    rng = np.random.default_rng(0)
    index = LshIndex(0.8, 128)
    base = rng.integers(0, 2**32, size=128, dtype=np.uint64)
    index.add(base)
    index.add(rng.integers(0, 2**32, size=128, dtype=np.uint64))
    close = base.copy()
    close[:10] = rng.integers(0, 2**32, size=10, dtype=np.uint64)  # 118 of 128 agree
    (found,) = index.candidates(close)
    assert found[0] == 0 and found[1] == pytest.approx(118 / 128, abs=0.02)
    assert index.candidates(rng.integers(0, 2**32, size=128, dtype=np.uint64)) == []
