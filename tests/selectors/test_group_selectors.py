"""pass_rate, mixture, longest/shortest on hand-made groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ded_plugins.errors import InputError, StageError
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, QuestionGroup, Rollout, Verdict
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


def graded(qid: str, i: int, **passed: bool) -> Rollout:
    """A student sample with the verdicts processor stages gave it (``stage=passed``)."""
    verdicts = {stage: Verdict(passed=ok, reason="ok" if ok else "wrong") for stage, ok in passed.items()}
    return Rollout(question_id=qid, model="s", sample_index=i, text="", role="student", verdicts=verdicts)


def test_pass_rate_keeps_what_the_student_fails(tmp_path: Path) -> None:
    qs = [q("a"), q("b"), q("c")]
    student = {
        "a": (
            graded("a", 0, think_format=True, math_correct=True),
            graded("a", 1, think_format=True, math_correct=True),
        ),
        "b": (
            graded("b", 0, think_format=True, math_correct=True),
            graded("b", 1, think_format=False, math_correct=True),
        ),
        "c": (graded("c", 0, think_format=True, math_correct=False),),
    }
    groups = [QuestionGroup(question=x, rollouts=(r(x.id, 0), r(x.id, 1)), student=student[x.id]) for x in qs]
    out = list(PassRate(threshold=0.5).select(groups, ctx(qs, tmp_path)))
    verdicts = {(ro.question_id, ro.sample_index): v for ro, v in out}
    assert len(out) == 6
    assert verdicts[("a", 0)].reason == "too_easy"
    assert verdicts[("a", 0)].details["student_pass_rate"] == 1.0
    assert verdicts[("b", 1)].passed  # 1 of 2 = 0.5 is not above the threshold
    assert verdicts[("c", 0)].passed
    assert verdicts[("c", 0)].details == {"student_passed": 0, "student_samples": 1, "student_pass_rate": 0.0}
    # graders: only math_correct counts, so b's format failure no longer matters: 2 of 2 -> too easy
    only = list(PassRate(graders=["math_correct"]).select(groups, ctx(qs, tmp_path)))
    assert {ro.question_id for ro, v in only if not v.passed} == {"a", "b"}


def test_pass_rate_missing_samples(tmp_path: Path) -> None:
    qs = [q("a"), q("b")]
    groups = [
        QuestionGroup(question=q("a"), rollouts=(r("a", 0),), student=(graded("a", 0, think_format=False),)),
        QuestionGroup(question=q("b"), rollouts=(r("b", 0),)),
    ]
    context = ctx(qs, tmp_path)
    with pytest.raises(InputError, match="'b' has 0 student rollouts"):
        list(PassRate().select(groups, context))
    kept = list(PassRate(missing="keep").select(groups, context))
    assert kept[1][1].passed
    dropped = list(PassRate(missing="drop").select(groups, context))
    assert dropped[1][1].reason == "no_student_samples"


def test_pass_rate_needs_graded_samples(tmp_path: Path) -> None:
    ungraded = Rollout(question_id="a", model="s", sample_index=0, text="x", role="student")
    groups = [QuestionGroup(question=q("a"), rollouts=(r("a", 0),), student=(ungraded,))]
    with pytest.raises(StageError, match="no processor stage ran before pass_rate"):
        list(PassRate().select(groups, ctx([q("a")], tmp_path)))
    graded_once = [
        QuestionGroup(question=q("a"), rollouts=(r("a", 0),), student=(graded("a", 0, length=True),))
    ]
    with pytest.raises(StageError, match="'math_correct' did not judge"):
        list(PassRate(graders=["math_correct"]).select(graded_once, ctx([q("a")], tmp_path)))


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
