"""Regression guards on the shared labelled data (accuracy, not speed: speed is benchmarks/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ded_plugins.grading import grade_math, math_equal


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _rows(name: str) -> list[dict[str, object]]:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_math500_golds_match_themselves_and_their_solutions() -> None:
    rows = _rows("math500.jsonl")
    for row in rows:
        gold = str(row["answer"])
        assert grade_math(f"The final answer is $\\boxed{{{gold}}}$", gold).correct, gold
        assert grade_math(str(row["solution"]), gold).correct, gold
    for i, row in enumerate(rows):  # and never another problem's answer
        other = str(rows[(7 * i + 3) % len(rows)]["answer"])
        if other != row["answer"]:
            assert not math_equal(other, str(row["answer"])), (other, row["answer"])


def test_hardverify_targets() -> None:
    rows = _rows("hardverify_math_pairs.jsonl")
    verdicts = [
        (grade_math(f"Final answer: $\\boxed{{{r['candidate']}}}$", str(r["gold"])).correct, r) for r in rows
    ]
    pos = [v for v, r in verdicts if r["label"]]
    neg = [v for v, r in verdicts if not r["label"]]
    assert sum(pos) / len(pos) >= 0.85
    assert sum(neg) / len(neg) <= 0.01
