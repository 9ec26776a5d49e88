"""pass_rate, mixture, longest/shortest on hand-made groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ded_plugins.errors import ConfigError, InputError
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, QuestionGroup, Rollout
from ded_plugins.selectors.length_pick import Longest, Shortest
from ded_plugins.selectors.mixture import Mixture
from ded_plugins.selectors.pass_rate import PassRate


def q(qid: str, domain: str = "math") -> Question:
    return Question(id=qid, domain=domain, prompt=f"prompt {qid}", answer="1")


def r(qid: str, i: int, text: str = "<think>x</think>y", n_tokens: int | None = None) -> Rollout:
    return Rollout(question_id=qid, model="t", sample_index=i, text=text, n_tokens=n_tokens)


def ctx(questions: list[Question], tmp_path: Path, **kw: Any) -> StageContext:
    registry = get_registry(get_plugin_manager(load_entrypoints=False))
    return StageContext(
        stage="s", questions={x.id: x for x in questions}, registry=registry, base_dir=tmp_path, **kw
    )


def test_pass_rate_keeps_what_the_student_fails(tmp_path: Path) -> None:
    qs = [q("a"), q("b"), q("c")]
    student = [
        {
            "question_id": "a",
            "model": "s",
            "sample_index": 0,
            "role": "student",
            "text": "<think>x</think>ok",
        },
        {
            "question_id": "a",
            "model": "s",
            "sample_index": 1,
            "role": "student",
            "text": "<think>x</think>ok",
        },
        {
            "question_id": "b",
            "model": "s",
            "sample_index": 0,
            "role": "student",
            "text": "<think>x</think>ok",
        },
        {"question_id": "b", "model": "s", "sample_index": 1, "role": "student", "text": "no think"},
        {"question_id": "c", "model": "s", "sample_index": 0, "role": "student", "text": "broken"},
    ]
    (tmp_path / "student.jsonl").write_text("".join(json.dumps(x) + "\n" for x in student))
    groups = [QuestionGroup(question=x, rollouts=(r(x.id, 0), r(x.id, 1))) for x in qs]
    context = ctx(qs, tmp_path, earlier_processors=(("think_format", {}),))
    out = list(PassRate(student_rollouts="student.jsonl", threshold=0.5).select(groups, context))
    verdicts = {(ro.question_id, ro.sample_index): v for ro, v in out}
    assert len(out) == 6
    assert verdicts[("a", 0)].reason == "too_easy"
    assert verdicts[("a", 0)].details["student_pass_rate"] == 1.0
    assert verdicts[("b", 1)].passed  # 1 of 2 = 0.5 is not above the threshold
    assert verdicts[("c", 0)].passed
    assert verdicts[("c", 0)].details == {"student_passed": 0, "student_samples": 1, "student_pass_rate": 0.0}


def test_pass_rate_missing_samples(tmp_path: Path) -> None:
    qs = [q("a"), q("b")]
    (tmp_path / "s.jsonl").write_text(
        json.dumps({"question_id": "a", "model": "s", "sample_index": 0, "text": "x"}) + "\n"
    )
    groups = [QuestionGroup(question=x, rollouts=(r(x.id, 0),)) for x in qs]
    context = ctx(qs, tmp_path, earlier_processors=(("think_format", {}),))
    with pytest.raises(InputError, match="'b' has 0 student rollouts"):
        list(PassRate(student_rollouts="s.jsonl").select(groups, context))
    kept = list(PassRate(student_rollouts="s.jsonl", missing="keep").select(groups, context))
    assert kept[1][1].passed
    dropped = list(PassRate(student_rollouts="s.jsonl", missing="drop").select(groups, context))
    assert dropped[1][1].reason == "no_student_samples"


def test_pass_rate_needs_graders(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(
        json.dumps({"question_id": "a", "model": "s", "sample_index": 0, "text": "x"}) + "\n"
    )
    groups = [QuestionGroup(question=q("a"), rollouts=(r("a", 0),))]
    with pytest.raises(ConfigError, match="no processor stage runs before pass_rate"):
        list(PassRate(student_rollouts="s.jsonl").select(groups, ctx([q("a")], tmp_path)))


def test_mixture_takes_whole_groups_up_to_quota_seeded(tmp_path: Path) -> None:
    qs = [q(f"m{i}") for i in range(6)] + [q(f"c{i}", "code") for i in range(6)] + [q("s0", "science")]
    groups = [QuestionGroup(question=x, rollouts=tuple(r(x.id, i) for i in range(3))) for x in qs]
    context = ctx(qs, tmp_path, seed=3)
    out = list(Mixture(quotas={"math": 5, "code": 7}).select(groups, context))
    assert [ro.question_id for ro, _ in out] == [ro.question_id for g in groups for ro in g.rollouts]
    kept = {(ro.question_id) for ro, v in out if v.passed}
    assert len([k for k in kept if k.startswith("m")]) == 2  # 3 + 3 >= 5
    assert len([k for k in kept if k.startswith("c")]) == 3  # 3 + 3 + 3 >= 7
    assert {v.reason for ro, v in out if ro.question_id == "s0"} == {"domain_excluded"}
    again = list(Mixture(quotas={"math": 5, "code": 7}).select(groups, context))
    assert out == again
    other = list(Mixture(quotas={"math": 5, "code": 7}, seed=99).select(groups, context))
    assert out != other
    for qid in kept:  # whole groups only
        assert all(v.passed for ro, v in out if ro.question_id == qid)


def test_longest_and_shortest(tmp_path: Path) -> None:
    group = QuestionGroup(
        question=q("a"), rollouts=(r("a", 0, "xx"), r("a", 1, "xxxx"), r("a", 2, "x"), r("a", 3, "xxxx"))
    )
    context = ctx([q("a")], tmp_path)
    longest = [(ro.sample_index, v.passed) for ro, v in Longest().select([group], context)]
    assert [i for i, ok in longest if ok] == [1]  # ties go to the earlier rollout
    shortest = [(ro.sample_index, v.reason) for ro, v in Shortest(k=2).select([group], context)]
    assert shortest == [(0, "ok"), (1, "not_shortest"), (2, "ok"), (3, "not_shortest")]
    tokens = QuestionGroup(question=q("a"), rollouts=(r("a", 0, "x", 10), r("a", 1, "xxxxx", 3)))
    assert [v.passed for _, v in Longest().select([tokens], context)] == [True, False]
    with pytest.raises(ValueError, match="has no n_tokens"):
        list(Longest(by="tokens").select([group], context))
