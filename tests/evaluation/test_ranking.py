"""Noise in a teacher ranking: intervals per student and the gap of every pair."""

from __future__ import annotations

from pathlib import Path

import pytest
from lm_eval_files import planted, write_run

from ded_plugins.evaluation.ranking import AGGREGATE, RankedRun, ranking_noise


SCORES = {"t1": {"metric": "pass@1,none"}, "t2": {"metric": "pass@1,none"}}


def _run(tmp_path: Path, name: str, t1: list[list[int]], t2: list[list[int]]) -> RankedRun:
    write_run(tmp_path / name / "eval", f"/runs/{name}/model", {"t1": t1, "t2": t2})
    return RankedRun(name=name, eval_dir=tmp_path / name / "eval", scores=SCORES)


def test_a_clear_lead_and_a_noisy_one(tmp_path: Path) -> None:
    low1, high1 = planted(96, seed=1)  # +20 points on t1
    low2, high2 = planted(0, seed=2)
    same1, _ = planted(0, seed=1)
    best = _run(tmp_path, "best", high1, high2)
    mid = _run(tmp_path, "mid", low1, low2)
    twin = _run(tmp_path, "twin", same1, low2)  # the same questions as mid, other samples
    noise = ranking_noise([best, mid, twin])
    assert noise.reason is None
    assert [(p.b, p.a) for p in noise.pairs] == [("best", "mid"), ("best", "twin"), ("mid", "twin")]
    lead = noise.lead
    assert lead.value == pytest.approx(0.10)  # (20 + 0) / 2: the mean over tasks
    assert lead.significant and noise.winner_within_noise is False
    assert not noise.pairs[2].aggregate.significant  # mid vs twin: nothing between them
    iv = noise.intervals["best"]
    assert set(iv) == {"t1", "t2", AGGREGATE}
    assert iv[AGGREGATE].value == pytest.approx((iv["t1"].value + iv["t2"].value) / 2)
    assert iv[AGGREGATE].low < iv[AGGREGATE].value < iv[AGGREGATE].high
    data = noise.to_dict()
    assert data["winner_within_noise"] is False
    assert data["pairs"][0]["higher"] == "best" and data["pairs"][0]["aggregate"]["significant"]


def test_within_noise_and_weights(tmp_path: Path) -> None:
    a1, b1 = planted(6, seed=3)  # +1.25 points on t1
    a2, b2 = planted(0, seed=4)
    noise = ranking_noise(
        [_run(tmp_path, "b", b1, b2), _run(tmp_path, "a", a1, a2)], weights={"t1": 1.0, "t2": 0.0}
    )
    assert noise.lead.value == pytest.approx(6 / 480)
    assert noise.winner_within_noise is True


def test_missing_samples_leave_the_noise_unmeasured(tmp_path: Path) -> None:
    ghost = RankedRun(name="ghost", eval_dir=tmp_path / "nothing", scores=SCORES)
    noise = ranking_noise([ghost, ghost])
    assert (
        noise.winner_within_noise is None and noise.pairs == () and "no such lm-eval output" in noise.reason
    )
