"""Code: LiveCodeBench problems of the evaluation window, by statement, contest and date."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pool_problems import LCB_WINDOW

from ded_plugins.integrations.lm_eval.benchmarks import load_benchmark
from ded_plugins.pool import Decontaminator
from ded_plugins.pool.contests import contest_of, question_day
from ded_plugins.records import Question


@pytest.fixture(scope="module")
def lcb(lcb_file: Path) -> Decontaminator:
    meta = {"lcb_path": str(lcb_file), "lcb_start": LCB_WINDOW[0], "lcb_end": LCB_WINDOW[1]}
    return Decontaminator([load_benchmark("ded_livecodebench", metadata=meta)])


@pytest.fixture(scope="module")
def problems(lcb_file: Path) -> list[dict]:
    return [json.loads(line) for line in lcb_file.read_text(encoding="utf-8").splitlines()]


def _q(qid: str, text: str, **meta: object) -> Question:
    return Question(id=qid, domain="code", prompt=text, metadata=meta)


def test_the_window_is_what_the_task_evaluates(lcb: Decontaminator, problems: list[dict]) -> None:
    (bench,) = lcb.benchmarks
    inside = [p for p in problems if LCB_WINDOW[0] <= p["contest_date"][:10] <= LCB_WINDOW[1]]
    assert len(bench.items) == len(inside) == 279
    assert bench.window == LCB_WINDOW


def test_a_statement_of_the_window_is_flagged(lcb: Decontaminator, problems: list[dict]) -> None:
    p = next(p for p in problems if p["contest_date"] >= "2024-10" and p["platform"] == "atcoder")
    pooled = "You are given the following programming task.\n\n" + "  ".join(p["question_content"].split())
    dropped = lcb.dropped(lcb.check(_q("pool-1", pooled)))
    assert dropped is not None and dropped.method == "ngram" and dropped.benchmark_id == p["question_id"]


def test_a_problem_outside_the_window_is_not(lcb: Decontaminator, problems: list[dict]) -> None:
    old = next(p for p in problems if p["contest_date"] < "2024-01")
    assert lcb.check(_q("pool-2", old["question_content"])) == []


def test_a_reworded_problem_from_a_contest_in_the_window_is_flagged(lcb: Decontaminator) -> None:
    text = "Given N integers, print how many pairs sum to an even number. Constraints: 1 <= N <= 2*10^5."
    start = int(datetime(2024, 9, 14, 14, 35, tzinfo=UTC).timestamp())
    by_date = lcb.check(_q("cf-1", text, platform="Codeforces", contest_id="2999", contest_start=start))
    found = [(m.status, m.method, m.evidence["date"]) for m in by_date]
    assert found == [("contaminated", "date", "2024-09-14")]
    no_platform = lcb.check(_q("x-1", text, contest_date="2024-12-01T00:00:00"))
    assert [m.method for m in no_platform] == ["date"]


def test_a_benchmark_contest_is_flagged_without_a_date(lcb: Decontaminator, problems: list[dict]) -> None:
    p = next(p for p in problems if p["contest_date"] >= "2024-10" and p["platform"] == "atcoder")
    matches = lcb.check(_q("ac-1", "A reworded statement.", platform="AtCoder", contest_id=p["contest_id"]))
    assert [(m.method, m.evidence["contest_id"]) for m in matches] == [("contest", p["contest_id"])]


def test_dates_outside_the_window_or_other_domains_are_not_flagged(lcb: Decontaminator) -> None:
    text = "Print the sum of two integers."
    assert lcb.check(_q("a", text, platform="atcoder", contest_id="abc100", contest_date="2024-05-01")) == []
    math = Question(id="m", domain="math", prompt=text, metadata={"date": "2024-12-01"})
    assert lcb.check(math) == []


def test_contest_ids_and_days() -> None:
    assert contest_of("abc380_g", "atcoder") == "abc380"
    assert contest_of("1873_A", "codeforces") == "1873"
    assert contest_of("3485", "leetcode") is None
    assert question_day({"contest_start": 1726324500}) == "2024-09-14"
    assert question_day({"date": "2025-03-01T12:00:00"}) == "2025-03-01"
    assert question_day({"date": "March 2025"}) is None
