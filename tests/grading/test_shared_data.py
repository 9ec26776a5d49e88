"""Regression guards on the shared labelled data (accuracy, not speed: speed is benchmarks/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ded_plugins.grading import grade_math, math_equal


Rows = Callable[[str], list[dict[str, Any]]]


def test_math500_golds_match_themselves_and_their_solutions(shared_rows: Rows) -> None:
    rows = shared_rows("math500.jsonl")
    for row in rows:
        gold = str(row["answer"])
        assert grade_math(f"The final answer is $\\boxed{{{gold}}}$", gold).correct, gold
        assert grade_math(str(row["solution"]), gold).correct, gold
    for i, row in enumerate(rows):  # and never another problem's answer
        other = str(rows[(7 * i + 3) % len(rows)]["answer"])
        if other != row["answer"]:
            assert not math_equal(other, str(row["answer"])), (other, row["answer"])


def test_aime_golds_zero_padded_or_not(shared_rows: Rows) -> None:
    for name in ("aime24.jsonl", "aime25.jsonl"):
        for row in shared_rows(name):
            gold = str(row["answer"])
            value = int(gold)
            for right in (str(value), f"x = {value}", gold, f"{value}.", f"0{value}"):
                assert math_equal(right, gold), (right, gold)
            for wrong in ("0", f"x = {value - 1}", f"{value + 1}", f"-{value}"):
                if value != 0:
                    assert not math_equal(wrong, gold), (wrong, gold)


def test_hardverify_targets(shared_rows: Rows) -> None:
    """The issue's targets on the shared half: >= 90% of equivalents, <= 1 wrong (the id 52 label error)."""
    rows = shared_rows("hardverify_math_pairs.jsonl")
    verdicts = [
        (grade_math(f"Final answer: $\\boxed{{{r['candidate']}}}$", str(r["gold"])).correct, r) for r in rows
    ]
    pos = [v for v, r in verdicts if r["label"]]
    neg = [(v, r["hvm_id"]) for v, r in verdicts if not r["label"]]
    assert sum(pos) / len(pos) >= 0.90
    assert [i for v, i in neg if v] in ([], [52])
